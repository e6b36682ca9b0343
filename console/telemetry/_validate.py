"""Reading validation before alarms and history: unknown sensors, non-finite numbers, values outside the instrument
range, clock skew, duplicates and late readings are sorted out, vectorised over a batch.

Order is judged per sensor against the newest reading accepted *live* so far, in arrival order:

* newer than it: **live** — evaluated by the alarm engine and stored (live readings are therefore strictly
  increasing in time per sensor, which the alarm engine relies on);
* at the same time: a **duplicate** (QoS 1 redelivery, a device resending) — dropped and counted;
* older, or older than ``live_window_s`` before the moment a live feed received it: **late** — backfilled into the
  history (trends and reports show it) but never evaluated for live alarms, so no alarm is ever raised dated in the
  past. The service drops a late reading the history already holds as a duplicate.

Clock-skew bounds apply in both directions against the wall time a live feed received a batch
(:attr:`ReadingBatch.received_t`; simulations and replays carry data time and are not judged): a reading stamped more
than ``max_future_s`` ahead is dropped as ``future_timestamp`` (it would otherwise hold back every later reading of
its sensor), one stamped more than ``max_past_s`` behind as ``too_old`` (a device clock reset to 1970).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from console.telemetry._types import DropReason, ReadingBatch

__all__ = ["MAX_FUTURE_S", "MAX_PAST_S", "LIVE_WINDOW_S", "ReadingValidator", "Verdict"]

MAX_FUTURE_S = 60.0  # a device clock this far ahead of the console's is wrong, not early
MAX_PAST_S = 30 * 86400.0  # older than this is not backfill but a broken clock
LIVE_WINDOW_S = 300.0  # readings later than this behind real time go to history only (no live alarms)


@dataclass(frozen=True, eq=False)
class Verdict:
    """What became of a batch: ``live`` and ``late`` readings (in arrival order) and the drops per reason."""

    live: ReadingBatch
    late: ReadingBatch
    drops: dict[DropReason, int]


class ReadingValidator:
    """Sorts readings into live, late and dropped; remembers the newest live time of every sensor.

    Parameters
    ----------
    range_min, range_max
        Instrument range per sensor (NaN: unbounded on that side).
    max_future_s, max_past_s, live_window_s
        Clock-skew bounds and the live window, in seconds (see the module docstring).
    """

    def __init__(
        self,
        range_min: np.ndarray,
        range_max: np.ndarray,
        *,
        max_future_s: float = MAX_FUTURE_S,
        max_past_s: float = MAX_PAST_S,
        live_window_s: float = LIVE_WINDOW_S,
    ) -> None:
        self.range_min = np.where(np.isnan(range_min), -np.inf, range_min)
        self.range_max = np.where(np.isnan(range_max), np.inf, range_max)
        self.newest_t = np.full(len(self.range_min), -np.inf)
        self.max_future_s = float(max_future_s)
        self.max_past_s = float(max_past_s)
        self.live_window_s = float(live_window_s)

    def validate(self, batch: ReadingBatch) -> tuple[ReadingBatch, dict[DropReason, int]]:
        """The live readings and the drops per reason, late readings counted as ``out_of_order`` (for callers that
        keep no history to backfill into)."""
        verdict = self.judge(batch)
        drops = dict(verdict.drops)
        if len(verdict.late):
            drops[DropReason.OUT_OF_ORDER] = drops.get(DropReason.OUT_OF_ORDER, 0) + len(verdict.late)
        return verdict.live, drops

    def judge(self, batch: ReadingBatch) -> Verdict:
        """Sort a batch into live readings, late readings and drops (see the module docstring)."""
        rows, t, v = batch.rows, batch.t, batch.value
        n_sensors = len(self.newest_t)
        drops: dict[DropReason, int] = {}
        known = (rows >= 0) & (rows < n_sensors)
        drops[DropReason.UNKNOWN_SENSOR] = int((~known).sum())
        finite = np.isfinite(t) & np.isfinite(v)
        drops[DropReason.NOT_FINITE] = int((known & ~finite).sum())
        ok = known & finite
        safe_rows = np.where(ok, rows, 0)
        in_range = (v >= self.range_min[safe_rows]) & (v <= self.range_max[safe_rows])
        drops[DropReason.OUT_OF_RANGE] = int((ok & ~in_range).sum())
        ok &= in_range
        behind = np.zeros(len(rows), bool)
        now = batch.received_t
        if np.isfinite(now):
            future = ok & (t > now + self.max_future_s)
            too_old = ok & (t < now - self.max_past_s)
            drops[DropReason.FUTURE] = int(future.sum())
            drops[DropReason.TOO_OLD] = int(too_old.sum())
            ok &= ~future & ~too_old
            behind = ok & (t < now - self.live_window_s)

        live = np.zeros(len(rows), bool)
        late = ok & behind
        idx = np.flatnonzero(ok & ~behind)
        if len(idx):
            prev = self._newest_before(rows[idx], t[idx])
            ti = t[idx]
            drops[DropReason.DUPLICATE] = int((ti == prev).sum())
            good = ti > prev
            live[idx[good]] = True
            late[idx[ti < prev]] = True
            np.maximum.at(self.newest_t, rows[idx[good]], ti[good])
        if late.any():  # a late reading repeating one seen in this batch is a duplicate too
            cand = np.concatenate([np.flatnonzero(live), np.flatnonzero(late)])
            again = pd.MultiIndex.from_arrays([rows[cand], t[cand]]).duplicated(keep="first")
            repeated = cand[again]
            late[repeated] = False
            drops[DropReason.DUPLICATE] = drops.get(DropReason.DUPLICATE, 0) + len(repeated)
        return Verdict(batch.take(live), batch.take(late), {k: n for k, n in drops.items() if n})

    def _newest_before(self, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """For each reading, the newest time of its sensor among earlier readings and the accepted history.

        A grouped running maximum without a Python loop: readings are stably sorted by sensor, times replaced by
        their global rank, and ``group * m + rank`` accumulated with ``np.maximum`` — keys of a later group exceed
        every key of an earlier one, so the running maximum restarts at each group, exactly (integers, no floats).
        """
        m = len(rows)
        order = np.argsort(rows, kind="stable")
        r, ts = rows[order], t[order]
        first = np.ones(m, bool)
        first[1:] = r[1:] != r[:-1]
        group = np.cumsum(first) - 1
        by_time = np.argsort(ts, kind="stable")
        rank = np.empty(m, np.int64)
        rank[by_time] = np.arange(m)
        key = group.astype(np.int64) * m + rank
        running = np.maximum.accumulate(key)
        prev_key = np.zeros(m, np.int64)
        prev_key[1:] = running[:-1]
        within = np.where(first, -np.inf, ts[by_time][np.maximum(prev_key - group * m, 0)])
        prev = np.maximum(within, self.newest_t[r])
        out = np.empty(m)
        out[order] = prev
        return out
