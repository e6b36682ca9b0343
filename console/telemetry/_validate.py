"""Reading validation before alarms and history: unknown sensors, non-finite numbers, values outside the instrument
range, duplicates and out-of-order readings are dropped and counted with a reason (vectorised over a batch).

Order is judged per sensor against the newest reading accepted so far, in arrival order: a reading with the same
timestamp is a *duplicate* (QoS 1 redelivery, a device resending), an older one is *out of order*. Accepted readings
are therefore strictly increasing in time per sensor, which the alarm engine and the history rely on.
"""

from __future__ import annotations

import numpy as np

from console.telemetry._types import DropReason, ReadingBatch

__all__ = ["ReadingValidator"]


class ReadingValidator:
    """Drops bad readings and remembers the newest accepted time of every sensor.

    Parameters
    ----------
    range_min, range_max
        Instrument range per sensor (NaN: unbounded on that side).
    """

    def __init__(self, range_min: np.ndarray, range_max: np.ndarray) -> None:
        self.range_min = np.where(np.isnan(range_min), -np.inf, range_min)
        self.range_max = np.where(np.isnan(range_max), np.inf, range_max)
        self.newest_t = np.full(len(self.range_min), -np.inf)

    def validate(self, batch: ReadingBatch) -> tuple[ReadingBatch, dict[DropReason, int]]:
        """The accepted readings (in arrival order) and the number dropped per reason."""
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

        idx = np.flatnonzero(ok)
        accepted = np.zeros(len(rows), bool)
        if len(idx):
            prev = self._newest_before(rows[idx], t[idx])
            ti = t[idx]
            drops[DropReason.DUPLICATE] = int((ti == prev).sum())
            drops[DropReason.OUT_OF_ORDER] = int((ti < prev).sum())
            good = ti > prev
            accepted[idx[good]] = True
            np.maximum.at(self.newest_t, rows[idx[good]], ti[good])
        return batch.take(accepted), {k: n for k, n in drops.items() if n}

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
