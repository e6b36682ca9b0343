"""The alarm engine (报警引擎): ISA-18.2 / EEMUA 191 alarm states evaluated over batches of readings with numpy.

Every sensor has six alarms, one per :class:`Condition` (HIHI, HI, LO, LOLO, ROC, STALE). For each the engine keeps,
as (sensors × conditions) arrays:

* the *raw* condition with hysteresis: HI sets at ``value >= hi`` and resets only below ``hi - deadband`` (LO
  mirrored); ROC is judged once per ``roc_window_s`` (60 s): at the first reading of a window against the first
  reading of the previous one, setting when ``|Δvalue / Δt| >= roc_per_min``;
* the *active* state with delays: a raw condition must hold ``on_delay_s`` (ROC: no on-delay) before the alarm
  activates, and be gone ``off_delay_s`` before it clears — chattering inside the delays raises nothing;
* *acknowledged* and *shelved until*.

Their combination is the ISA-18.2 state: normal (A), unacknowledged active (B), acknowledged active (C),
unacknowledged returned-to-normal (D), shelved (E). Transitions:

====================  ==========================================  ===================================
from                  what happens                                to
====================  ==========================================  ===================================
normal                condition activates                         unack_active
unack_active          operator acknowledges                       ack_active
unack_active          condition clears                            unack_rtn
ack_active            condition clears                            normal
unack_rtn             operator acknowledges                       normal
unack_rtn             condition activates again                   unack_active
any                   operator shelves (with an expiry)           shelved
shelved               expiry passes, or operator unshelves        unack_active if active, else normal
====================  ==========================================  ===================================

While shelved the condition is still tracked but nothing is annunciated. STALE activates ``stale_after_s`` after a
sensor's last reading (at that moment, whether noticed by :meth:`AlarmEngine.tick` or by the next reading) and clears
with the next reading; it has no delays. Every transition is returned as an :class:`AlarmEvent` with the data time
at which it happened, so the same readings give the same events however they are split into batches.

The evaluation is vectorised: readings are sorted by (sensor, time), set/reset flags are computed for all readings
and conditions at once, and sequential state (hysteresis, delay timers, active) is carried through each sensor's
readings with grouped forward-fills (``np.maximum.accumulate`` over indices); no Python loop runs per reading.
Readings must arrive per sensor in increasing time (the service's validator guarantees it).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from console.telemetry._limits import AlarmLimits
from console.telemetry._sensors import KINDS, SensorTable
from console.telemetry._types import (
    CONDITIONS,
    AlarmActionError,
    AlarmEvent,
    AlarmEventKind,
    AlarmRecord,
    AlarmState,
    Condition,
    Priority,
    SensorStatus,
)

__all__ = ["AlarmEngine", "MAX_SHELVE_S", "ROC_WINDOW_S"]

MAX_SHELVE_S = 12 * 3600.0  # ISA-18.2: shelving is time-limited; one shift and a half at most by default
ROC_WINDOW_S = 60.0
_N_LEVEL = 5  # HIHI, HI, LO, LOLO, ROC: conditions evaluated from values
_STALE = Condition.STALE.code
_STATES = tuple(AlarmState)
_S_NORMAL, _S_UNACK, _S_ACK, _S_RTN, _S_SHELVED, _S_SUPPRESSED, _S_OOS = (
    _STATES.index(s)
    for s in (
        AlarmState.NORMAL,
        AlarmState.UNACK_ACTIVE,
        AlarmState.ACK_ACTIVE,
        AlarmState.UNACK_RTN,
        AlarmState.SHELVED,
        AlarmState.SUPPRESSED,
        AlarmState.OUT_OF_SERVICE,
    )
)
AUDIBLE_PRIORITY = Priority.HIGH  # new alarms of this priority or more urgent sound the horn until acknowledged
_KINDS = tuple(AlarmEventKind)
_K_ACT, _K_CLR = _KINDS.index(AlarmEventKind.ACTIVATED), _KINDS.index(AlarmEventKind.CLEARED)
_PRIORITIES = {int(p): p for p in Priority}
_NO_EVENTS = {k: np.empty(0, np.float64 if k in ("t", "value", "limit") else np.int64)
              for k in ("t", "row", "cond", "kind", "state", "value", "limit")}  # fmt: skip
_LOUD_AGAIN = tuple(
    _KINDS.index(k) for k in (AlarmEventKind.UNSHELVED, AlarmEventKind.UNSUPPRESSED, AlarmEventKind.RETURNED_TO_SERVICE)
)


def _shift(a: np.ndarray, first: np.ndarray, carry_first: np.ndarray) -> np.ndarray:
    """``a`` shifted down by one reading within each sensor's run; the first reading of a run takes the carry."""
    out = np.empty_like(a)
    out[1:] = a[:-1]
    out[first] = carry_first
    return out


def _ffill_code(code: np.ndarray, gstart: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Latest set (1) / reset (0) flag at or before each reading of the same run; ``carry`` before any (-1 = none)."""
    m = code.shape[0]
    idx = np.where(code >= 0, np.arange(m)[:, None], -1)
    np.maximum.accumulate(idx, axis=0, out=idx)
    valid = idx >= gstart[:, None]
    picked = np.take_along_axis(code, np.maximum(idx, 0), axis=0)
    return np.where(valid, picked == 1, carry)


def _ffill_at(mark: np.ndarray, gstart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the latest marked reading at or before each reading within its run, and whether there is one."""
    m = mark.shape[0]
    idx = np.where(mark, np.arange(m)[:, None], -1)
    np.maximum.accumulate(idx, axis=0, out=idx)
    return np.maximum(idx, 0), idx >= gstart[:, None]


class AlarmEngine:
    """Alarm states of every sensor of a :class:`SensorTable` under :class:`AlarmLimits`.

    Parameters
    ----------
    sensors
        The sensors (rows of the network's sensors layer).
    limits
        Their alarm settings, aligned with ``sensors``.
    max_shelve_s
        Longest shelving an operator may ask for.
    roc_window_s
        Window over which rates of change are judged (windows aligned to multiples of it in epoch time).

    Examples
    --------
    >>> from console.telemetry import AlarmLimits, SensorTable
    >>> sensors = SensorTable.from_arrays(["S1"], ["methane"])
    >>> engine = AlarmEngine(sensors, AlarmLimits.defaults(sensors))
    >>> [(e.condition.value, e.kind.value) for e in engine.evaluate([0, 0, 0], [0.0, 5.0, 10.0], [1.0, 30.0, 30.0])]
    [('HI', 'activated')]
    """

    def __init__(
        self,
        sensors: SensorTable,
        limits: AlarmLimits,
        *,
        max_shelve_s: float = MAX_SHELVE_S,
        roc_window_s: float = ROC_WINDOW_S,
    ) -> None:
        if len(limits) != len(sensors):
            raise ValueError(f"{len(limits)} alarm limits for {len(sensors)} sensors")
        if roc_window_s <= 0:
            raise ValueError(f"rate-of-change window {roc_window_s} s must be positive")
        self.sensors = sensors
        self.max_shelve_s = float(max_shelve_s)
        self.roc_window_s = float(roc_window_s)
        self._set_limits(limits)
        n, c = len(sensors), len(CONDITIONS)
        self._raw = np.zeros((n, _N_LEVEL), bool)
        self._run_start = np.full((n, _N_LEVEL), np.nan)
        self._active = np.zeros((n, c), bool)
        self._acked = np.ones((n, c), bool)
        self._shelved_until = np.full((n, c), np.nan)
        self._since = np.full((n, c), np.nan)
        self._value_at = np.full((n, c), np.nan)
        self._last_change = np.full((n, c), np.nan)
        self._comment: dict[tuple[int, int], str] = {}
        self._roc_bucket = np.full(n, np.nan)  # window of the latest reading, and the first reading in it
        self._roc_t = np.full(n, np.nan)
        self._roc_v = np.full(n, np.nan)
        self.last_t = np.full(n, np.nan)
        self.last_value = np.full(n, np.nan)
        self.epoch: float | None = None  # first time seen: sensors that never report go stale from here
        # Suppression by design (key → (sensor ids, condition codes, reason)), out of service (sensor id → reason),
        # flood suppression (alarms of this priority and less urgent), and the horn (new urgent alarms).
        self._suppressions: dict[str, tuple[frozenset[str], tuple[int, ...], str]] = {}
        self._supp_mask = np.zeros((n, c), bool)
        self._oos: dict[str, str] = {}
        self._oos_mask = np.zeros(n, bool)
        self._flood_priority: int | None = None
        self._horn = np.zeros((n, c), bool)
        self._quiet_rises: list[float] = []  # activations hidden by shelving/suppression (they still load a flood)

    # -- configuration ------------------------------------------------------------------------------------------
    @property
    def limits(self) -> AlarmLimits:
        return self._limits

    def set_limits(self, limits: AlarmLimits) -> None:
        """Replace the limits; the next readings are judged against them (states carry over)."""
        if len(limits) != len(self.sensors):
            raise ValueError(f"{len(limits)} alarm limits for {len(self.sensors)} sensors")
        self._set_limits(limits)

    def _set_limits(self, limits: AlarmLimits) -> None:
        self._limits = limits
        self._deadband = np.nan_to_num(limits.deadband, nan=0.0)
        self._on = np.nan_to_num(limits.on_delay_s, nan=0.0)
        self._off = np.nan_to_num(limits.off_delay_s, nan=0.0)
        self._stale_after = np.where(np.isnan(limits.stale_after_s), np.inf, limits.stale_after_s)

    # -- evaluation ---------------------------------------------------------------------------------------------
    def evaluate(self, rows, t, value) -> list[AlarmEvent]:
        """Judge readings (``rows`` of the sensors layer, epoch ``t``, ``value``) and return the alarm events, in
        time order. Shelvings that expire between the readings expire at their own time, in sequence."""
        rows = np.asarray(rows, dtype=np.int32).reshape(-1)
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        value = np.asarray(value, dtype=np.float64).reshape(-1)
        if not len(rows):
            return []
        tmin, tmax = float(t.min()), float(t.max())
        if self.epoch is None:
            self.epoch = tmin
        events = self._expire_shelves(tmin)
        su = self._shelved_until
        cuts = np.unique(su[(su > tmin) & (su <= tmax)])
        lo = -np.inf
        for cut in cuts:  # rare: one split per shelving that ends inside this batch
            sel = (t >= lo) & (t < cut)
            events += self._evaluate(rows[sel], t[sel], value[sel])
            events += self._expire_shelves(float(cut))
            lo = cut
        sel = t >= lo if len(cuts) else slice(None)
        events += self._evaluate(rows[sel], t[sel], value[sel])
        events.sort(key=lambda e: e.t)  # stable: batch order within one instant
        return events

    def tick(self, now: float, stale_now: float | None = None) -> list[AlarmEvent]:
        """Advance the clock without readings: expire shelvings and raise STALE for sensors silent too long.

        ``stale_now`` (default ``now``) is the moment silence is judged at: the service passes the data time of a
        backlog being drained, so sensors are not declared silent while their queued readings are still coming."""
        now = float(now)
        stale_now = now if stale_now is None else min(now, float(stale_now))
        if self.epoch is None:
            self.epoch = stale_now
        events = self._expire_shelves(now)
        ref = np.where(np.isnan(self.last_t), self.epoch, self.last_t)
        deadline = ref + self._stale_after
        newly = np.flatnonzero(~self._active[:, _STALE] & (deadline < stale_now))
        if len(newly):
            shelved = self._quiet()[newly, _STALE]
            self._active[newly, _STALE] = True
            loud = newly[~shelved]
            self._quiet_rises.extend(deadline[newly[shelved]].tolist())
            self._acked[loud, _STALE] = False
            self._since[loud, _STALE] = deadline[loud]
            self._value_at[loud, _STALE] = np.nan
            self._last_change[loud, _STALE] = deadline[loud]
            events += self._make_events(
                t=deadline[loud],
                row=loud,
                cond=np.full(len(loud), _STALE),
                kind=np.full(len(loud), _K_ACT),
                state=np.full(len(loud), _S_UNACK),
                value=np.full(len(loud), np.nan),
                limit=self._stale_after[loud],
            )
        events.sort(key=lambda e: e.t)
        return events

    def mark_lost(self, rows, t: float) -> list[AlarmEvent]:
        """Communication with these sensors is lost now (a Sparkplug NDEATH/DDEATH): STALE activates at ``t``
        without waiting for the stale timeout, and clears with the sensor's next reading."""
        rows = np.unique(np.asarray(rows, np.int64).reshape(-1))
        rows = rows[(rows >= 0) & (rows < len(self.sensors))]
        newly = rows[~self._active[rows, _STALE]]
        if not len(newly):
            return []
        t = float(t)
        quiet = self._quiet()[newly, _STALE]
        self._active[newly, _STALE] = True
        self._quiet_rises.extend([t] * int(quiet.sum()))
        loud = newly[~quiet]
        self._acked[loud, _STALE] = False
        self._since[loud, _STALE] = t
        self._value_at[loud, _STALE] = np.nan
        self._last_change[loud, _STALE] = t
        return self._make_events(
            t=np.full(len(loud), t),
            row=loud,
            cond=np.full(len(loud), _STALE),
            kind=np.full(len(loud), _K_ACT),
            state=np.full(len(loud), _S_UNACK),
            value=np.full(len(loud), np.nan),
            limit=self._stale_after[loud],
            comment="communication lost",
        )

    def _evaluate(self, rows: np.ndarray, t: np.ndarray, v: np.ndarray) -> list[AlarmEvent]:
        m = len(rows)
        if m == 0:
            return []
        order = np.lexsort((t, rows))
        r, tt, vv = rows[order], t[order], v[order]
        ar = np.arange(m)
        first = np.ones(m, bool)
        first[1:] = r[1:] != r[:-1]
        last = np.ones(m, bool)
        last[:-1] = first[1:]
        gstart = np.maximum.accumulate(np.where(first, ar, 0))
        rf = r[first]
        lim = self._limits
        prev_t = _shift(tt, first, self.last_t[rf])

        # Set/reset flags of the value conditions, all readings at once.
        limits4 = np.column_stack([lim.hihi[r], lim.hi[r], lim.lo[r], lim.lolo[r]])
        db = self._deadband[r][:, None]
        x = vv[:, None]
        set_ = np.empty((m, _N_LEVEL), bool)
        reset = np.empty((m, _N_LEVEL), bool)
        set_[:, :2] = x >= limits4[:, :2]
        reset[:, :2] = ~(x >= limits4[:, :2] - db)  # NaN limit: never set, always reset
        set_[:, 2:4] = x <= limits4[:, 2:4]
        reset[:, 2:4] = ~(x <= limits4[:, 2:4] + db)
        rate, mark = self._window_rates(r, tt, vv, first, last, gstart, rf)
        roc = lim.roc_per_min[r]
        judged = mark & np.isfinite(rate)
        set_[:, 4] = judged & (rate >= roc)
        reset[:, 4] = judged & ~(rate >= roc)
        code = np.where(set_, 1, np.where(reset, 0, -1)).astype(np.int8)

        # Readings that cannot change a level alarm — the condition agrees with the state carried in, which is
        # settled (raw == active: no delay running) — are skipped: only sensors with another reading go through the
        # hysteresis and delay machinery (in steady operation, almost none).
        carry_raw = self._raw[r]
        busy_cell = (carry_raw != self._active[r, :_N_LEVEL]) | ((code != -1) & ((code == 1) != carry_raw))
        busy = busy_cell.any(axis=1)
        if busy.any():
            group = np.cumsum(first) - 1
            busy = (np.bincount(group, weights=busy, minlength=int(group[-1]) + 1) > 0)[group]
            limit_of = np.column_stack([limits4, roc])
            level_events = self._levels(r[busy], tt[busy], vv[busy], code[busy], limit_of[busy])
        else:
            level_events = _NO_EVENTS

        stale_events = self._stale_gaps(r, tt, first, last, prev_t)
        li = np.flatnonzero(last)
        lr = r[li]
        self.last_t[lr] = tt[li]
        self.last_value[lr] = vv[li]
        return self._make_events(**_join(level_events, stale_events))

    def _levels(self, r, tt, vv, code, limit_of) -> dict[str, np.ndarray]:
        """Hysteresis, delays and transitions of the value conditions for readings sorted by (sensor, time), with
        their set (1) / reset (0) / no-opinion (-1) codes; carries each sensor's state into the next batch."""
        m = len(r)
        ar = np.arange(m)
        first = np.ones(m, bool)
        first[1:] = r[1:] != r[:-1]
        last = np.ones(m, bool)
        last[:-1] = first[1:]
        gstart = np.maximum.accumulate(np.where(first, ar, 0))
        rf = r[first]
        raw = _ffill_code(code, gstart, self._raw[r])
        prev_raw = _shift(raw, first, self._raw[rf])
        changed = raw != prev_raw
        at, has = _ffill_at(changed, gstart)
        run_start = np.where(has, tt[at], self._run_start[r])
        elapsed = tt[:, None] - run_start
        on = np.repeat(self._on[r][:, None], _N_LEVEL, axis=1)
        on[:, 4] = 0.0  # a rate of change is already a judgement over time
        act_code = np.where(raw & (elapsed >= on), 1, np.where(~raw & (elapsed >= self._off[r][:, None]), 0, -1))
        active = _ffill_code(act_code.astype(np.int8), gstart, self._active[r, :_N_LEVEL])
        prev_active = _shift(active, first, self._active[rf, :_N_LEVEL])

        loud = ~self._quiet()[r, :_N_LEVEL]  # shelving and suppression are constant within one call
        rise = active & ~prev_active & loud
        hidden_rise = active & ~prev_active & ~loud
        if hidden_rise.any():
            self._quiet_rises.extend(np.broadcast_to(tt[:, None], hidden_rise.shape)[hidden_rise].tolist())
        fall = ~active & prev_active & loud
        csum = np.cumsum(rise, axis=0)
        before_group = csum[gstart] - rise[gstart]
        rises_before = csum - before_group - rise
        acked_at_fall = self._acked[r, :_N_LEVEL] & (rises_before == 0)

        ii, cc = np.nonzero(rise | fall)
        is_rise = rise[ii, cc]
        level_events = dict(
            t=tt[ii],
            row=r[ii],
            cond=cc,
            kind=np.where(is_rise, _K_ACT, _K_CLR),
            state=np.where(is_rise, _S_UNACK, np.where(acked_at_fall[ii, cc], _S_NORMAL, _S_RTN)),
            value=vv[ii],
            limit=limit_of[ii, cc],
        )

        # Carry the state of each sensor's last reading into the next batch.
        li = np.flatnonzero(last)
        lr = r[li]
        self._raw[lr] = raw[li]
        self._run_start[lr] = run_start[li]
        self._active[lr, :_N_LEVEL] = active[li]
        n_rises = csum[li] - before_group[li]
        self._acked[lr, :_N_LEVEL] &= n_rises == 0
        at_rise, has_rise = _ffill_at(rise, gstart)
        got = has_rise[li]
        since = np.where(got, tt[at_rise[li]], self._since[lr, :_N_LEVEL])
        value_at = np.where(got, vv[at_rise[li]], self._value_at[lr, :_N_LEVEL])
        self._since[lr, :_N_LEVEL] = since
        self._value_at[lr, :_N_LEVEL] = value_at
        at_ev, has_ev = _ffill_at(rise | fall, gstart)
        self._last_change[lr, :_N_LEVEL] = np.where(has_ev[li], tt[at_ev[li]], self._last_change[lr, :_N_LEVEL])

        return level_events

    def _window_rates(self, r, tt, vv, first, last, gstart, rf) -> tuple[np.ndarray, np.ndarray]:
        """Rate of change (unit/min), judged once per ``roc_window_s`` window: at the first reading of each window,
        against the first reading of the sensor's previous window (1 Hz noise over one second would look like a
        steep rate; over a minute it does not). Returns the rates and which readings are judged."""
        m = len(r)
        ar = np.arange(m)
        bucket = np.floor(tt / self.roc_window_s)
        mark = bucket != _shift(bucket, first, self._roc_bucket[rf])  # NaN carry: a sensor's first reading marks
        ff = np.maximum.accumulate(np.where(mark, ar, -1))
        prev = np.empty(m, np.int64)
        prev[0] = -1
        prev[1:] = ff[:-1]
        inside = prev >= gstart
        safe = np.maximum(prev, 0)
        ref_t = np.where(inside, tt[safe], self._roc_t[r])
        ref_v = np.where(inside, vv[safe], self._roc_v[r])
        dt = tt - ref_t
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(mark & (dt >= 0.5 * self.roc_window_s), np.abs(vv - ref_v) / dt * 60.0, np.nan)
        li = np.flatnonzero(last)
        got = ff[li] >= gstart[li]
        lr, src = r[li][got], ff[li][got]
        self._roc_bucket[lr], self._roc_t[lr], self._roc_v[lr] = bucket[src], tt[src], vv[src]
        return rate, mark

    def _stale_gaps(self, r, tt, first, last, prev_t) -> dict[str, np.ndarray]:
        """STALE events for silences inside this batch (and since the previous one): each gap longer than the
        timeout activates at ``previous + stale_after_s`` and clears at the reading that ends it."""
        sa = self._stale_after[r]
        gap_start = np.where(np.isnan(prev_t), self.epoch, prev_t)
        was_active = np.zeros(len(r), bool)
        was_active[first] = self._active[r[first], _STALE]
        pair = (tt - gap_start > sa) & ~was_active
        loud = ~self._quiet()[r, _STALE]
        if (pair & ~loud).any():
            self._quiet_rises.extend((gap_start + sa)[pair & ~loud].tolist())
        pair &= loud
        lone = was_active & loud
        acked = self._acked[r, _STALE]
        ip, il = np.flatnonzero(pair), np.flatnonzero(lone)
        gr = np.concatenate([ip, ip, il])
        kind = np.concatenate([np.full(len(ip), _K_ACT), np.full(len(ip) + len(il), _K_CLR)])
        state = np.concatenate(
            [np.full(len(ip), _S_UNACK), np.full(len(ip), _S_RTN), np.where(acked[il], _S_NORMAL, _S_RTN)]
        )
        t = np.concatenate([gap_start[ip] + sa[ip], tt[ip], tt[il]])
        # carry: a reading arrived, so the sensor is not stale after this batch
        n_groups = int(first.sum())
        groups = np.cumsum(first) - 1
        lr = r[last]
        any_pair = np.bincount(groups[ip], minlength=n_groups) > 0
        last_rise = np.full(n_groups, -np.inf)
        np.maximum.at(last_rise, groups[ip], gap_start[ip] + sa[ip])
        last_fall = np.full(n_groups, -np.inf)
        np.maximum.at(last_fall, groups[ip], tt[ip])
        np.maximum.at(last_fall, groups[il], tt[il])
        self._acked[lr, _STALE] &= ~any_pair
        self._since[lr, _STALE] = np.where(any_pair, last_rise, self._since[lr, _STALE])
        self._last_change[lr, _STALE] = np.where(np.isfinite(last_fall), last_fall, self._last_change[lr, _STALE])
        self._active[lr, _STALE] = False
        return dict(
            t=t,
            row=r[gr],
            cond=np.full(len(gr), _STALE),
            kind=kind,
            state=state,
            value=np.full(len(gr), np.nan),
            limit=sa[gr],
        )

    def _expire_shelves(self, upto: float) -> list[AlarmEvent]:
        ri, ci = np.nonzero(self._shelved_until <= upto)
        if not len(ri):
            return []
        when = self._shelved_until[ri, ci]
        self._shelved_until[ri, ci] = np.nan
        return self._unshelve(ri, ci, when, user="system", comment="shelving expired")

    def _unshelve(self, ri, ci, when, *, user: str, comment: str) -> list[AlarmEvent]:
        active = self._active[ri, ci]
        still = self._quiet()[ri, ci]  # also suppressed or out of service: stays hidden
        self._acked[ri, ci] = np.where(still, self._acked[ri, ci], ~active)  # still active: annunciate it afresh
        self._since[ri, ci] = np.where(active & ~still, when, self._since[ri, ci])
        self._last_change[ri, ci] = when
        return self._make_events(
            t=np.broadcast_to(when, len(ri)),
            row=ri,
            cond=ci,
            kind=np.full(len(ri), _KINDS.index(AlarmEventKind.UNSHELVED)),
            state=self.state_codes()[ri, ci],
            value=np.full(len(ri), np.nan),
            limit=np.full(len(ri), np.nan),
            user=user,
            comment=comment,
        )

    def _make_events(
        self, *, t, row, cond, kind, state, value, limit, user: str = "", comment: str = ""
    ) -> list[AlarmEvent]:
        if not len(t):
            return []
        # the horn sounds for urgent alarms annunciated now (new, or back from shelving/suppression) until acknowledged
        loud_kind = np.isin(kind, [_K_ACT, *_LOUD_AGAIN])
        prio_of = self._limits.priority[row, cond]
        horn = loud_kind & (state == _S_UNACK) & (prio_of <= int(AUDIBLE_PRIORITY))
        if horn.any():
            self._horn[row[horn], cond[horn]] = True
        order = np.lexsort((cond, row, t))
        ids = self.sensors.ids
        fids = self.sensors.feature_id
        prio = self._limits.priority
        out = []
        for i in order.tolist():
            rw, c = int(row[i]), int(cond[i])
            out.append(
                AlarmEvent(
                    t=float(t[i]),
                    sensor_id=ids[rw],
                    condition=CONDITIONS[c],
                    kind=_KINDS[int(kind[i])],
                    state=_STATES[int(state[i])],
                    priority=_PRIORITIES[int(prio[rw, c])],
                    value=float(value[i]),
                    limit=float(limit[i]),
                    row=rw,
                    feature_id=fids[rw],
                    user=user,
                    comment=comment,
                )
            )
        return out

    # -- operator actions ---------------------------------------------------------------------------------------
    def _targets(self, sensor_id: str, condition: Condition | str | None) -> tuple[int, list[int]]:
        row = self.sensors.row(sensor_id)
        if row < 0:
            raise AlarmActionError(f"no sensor {sensor_id!r} in this network")
        if condition is None:
            return row, list(range(len(CONDITIONS)))
        try:
            return row, [Condition(condition).code]
        except ValueError:
            raise AlarmActionError(
                f"unknown alarm condition {condition!r}; conditions are {[c.value for c in CONDITIONS]}"
            ) from None

    def acknowledge(
        self, sensor_id: str, condition: Condition | str | None = None, *, t: float, user: str = "", comment: str = ""
    ) -> list[AlarmEvent]:
        """Acknowledge the sensor's unacknowledged alarms (or one condition): B → C, D → A. Shelved alarms are not
        acknowledged. Returns the events (none if there was nothing to acknowledge)."""
        row, conds = self._targets(sensor_id, condition)
        cs = np.array([c for c in conds if not self._acked[row, c] and not self._quiet()[row, c]], int)
        return self._ack(np.full(len(cs), row), cs, t, user, comment)

    def acknowledge_all(self, *, t: float, user: str = "", comment: str = "") -> list[AlarmEvent]:
        """Acknowledge every unacknowledged, unshelved alarm."""
        ri, ci = np.nonzero(~self._acked & ~self._quiet())
        return self._ack(ri, ci, t, user, comment)

    def _ack(self, ri: np.ndarray, ci: np.ndarray, t: float, user: str, comment: str) -> list[AlarmEvent]:
        if not len(ri):
            return []
        self._acked[ri, ci] = True
        self._horn[ri, ci] = False  # acknowledging mutes the horn
        self._last_change[ri, ci] = t
        if comment:
            for r_, c_ in zip(ri.tolist(), ci.tolist(), strict=True):
                self._comment[(r_, c_)] = comment
        return self._make_events(
            t=np.full(len(ri), float(t)),
            row=ri,
            cond=ci,
            kind=np.full(len(ri), _KINDS.index(AlarmEventKind.ACKNOWLEDGED)),
            state=np.where(self._active[ri, ci], _S_ACK, _S_NORMAL),
            value=np.full(len(ri), np.nan),
            limit=np.full(len(ri), np.nan),
            user=user,
            comment=comment,
        )

    def shelve(
        self,
        sensor_id: str,
        condition: Condition | str | None = None,
        *,
        t: float,
        duration_s: float,
        user: str = "",
        comment: str = "",
    ) -> list[AlarmEvent]:
        """Shelve one alarm (or all of a sensor's) until ``t + duration_s``; shelving again moves the expiry."""
        if not (0 < duration_s <= self.max_shelve_s):
            raise AlarmActionError(
                f"shelving {sensor_id!r} for {duration_s:g} s: choose between 1 s and {self.max_shelve_s:g} s"
            )
        row, conds = self._targets(sensor_id, condition)
        cs = np.array(conds, int)
        until = float(t) + float(duration_s)
        self._shelved_until[row, cs] = until
        self._last_change[row, cs] = t
        if comment:
            for c_ in conds:
                self._comment[(row, c_)] = comment
        return self._make_events(
            t=np.full(len(cs), float(t)),
            row=np.full(len(cs), row),
            cond=cs,
            kind=np.full(len(cs), _KINDS.index(AlarmEventKind.SHELVED)),
            state=np.full(len(cs), _S_SHELVED),
            value=np.full(len(cs), np.nan),
            limit=np.full(len(cs), until),  # the limit column of a shelving event holds its expiry
            user=user,
            comment=comment,
        )

    def unshelve(
        self, sensor_id: str, condition: Condition | str | None = None, *, t: float, user: str = "", comment: str = ""
    ) -> list[AlarmEvent]:
        """Unshelve now: an alarm whose condition is still active comes back unacknowledged."""
        row, conds = self._targets(sensor_id, condition)
        cs = np.array([c for c in conds if np.isfinite(self._shelved_until[row, c])], int)
        self._shelved_until[row, cs] = np.nan
        return self._unshelve(np.full(len(cs), row), cs, np.full(len(cs), float(t)), user=user, comment=comment)

    def comment(
        self, sensor_id: str, condition: Condition | str, *, t: float, user: str, text: str
    ) -> list[AlarmEvent]:
        """Attach an operator's comment to an alarm (stored as an event; the state does not change)."""
        row, (c,) = self._targets(sensor_id, condition)
        self._comment[(row, c)] = text
        state = self.state_codes()[row, c]
        return self._make_events(
            t=np.array([float(t)]),
            row=np.array([row]),
            cond=np.array([c]),
            kind=np.array([_KINDS.index(AlarmEventKind.COMMENTED)]),
            state=np.array([state]),
            value=np.array([np.nan]),
            limit=np.array([np.nan]),
            user=user,
            comment=text,
        )

    # -- suppression (ISA-18.2 suppressed by design, out of service, flood) ------------------------------------------
    def _flood_mask(self) -> np.ndarray:
        if self._flood_priority is None:
            return np.zeros_like(self._supp_mask)
        return self._limits.priority >= self._flood_priority

    def _quiet(self) -> np.ndarray:
        """(sensors × conditions) bool: the alarm is evaluated but not annunciated (shelved, suppressed by design or
        by a flood, or out of service)."""
        return np.isfinite(self._shelved_until) | self._supp_mask | self._flood_mask() | self._oos_mask[:, None]

    def _rebuild_masks(self) -> None:
        mask = np.zeros_like(self._supp_mask)
        for ids, conds, _reason in self._suppressions.values():
            rows = self.sensors.rows_of(sorted(ids))
            rows = rows[rows >= 0]
            mask[np.ix_(rows, np.asarray(conds, int))] = True
        self._supp_mask = mask
        oos = np.zeros_like(self._oos_mask)
        rows = self.sensors.rows_of(sorted(self._oos)) if self._oos else np.empty(0, int)
        oos[rows[rows >= 0]] = True
        self._oos_mask = oos

    def _requiet(self, change, *, t: float, on: AlarmEventKind, off: AlarmEventKind, user: str,
                 comment: str) -> list[AlarmEvent]:  # fmt: skip
        """Apply ``change()`` (which edits the suppression settings) and return the events of the alarms it hid or
        brought back. Hidden alarms are logged when they were not normal; alarms brought back while their condition
        is active are annunciated afresh (unacknowledged), as after shelving; returned-to-normal alarms nobody
        acknowledged before come back unacknowledged."""
        before = self._quiet()
        was_shown = self.state_codes()
        change()
        self._rebuild_masks()
        after = self._quiet()
        t = float(t)
        events = []
        ri, ci = np.nonzero(before & ~after)
        if len(ri):
            active = self._active[ri, ci]
            logged = active | ~self._acked[ri, ci]
            self._acked[ri, ci] &= ~active  # active: annunciated afresh; returned unacknowledged: stays so
            self._since[ri, ci] = np.where(active, t, self._since[ri, ci])
            self._last_change[ri, ci] = np.where(logged, t, self._last_change[ri, ci])
            ri, ci = ri[logged], ci[logged]
            events += self._make_events(
                t=np.full(len(ri), t), row=ri, cond=ci, kind=np.full(len(ri), _KINDS.index(off)),
                state=self.state_codes()[ri, ci], value=np.full(len(ri), np.nan), limit=np.full(len(ri), np.nan),
                user=user, comment=comment,
            )  # fmt: skip
        came = ~before & after
        self._horn[came] = False
        ri, ci = np.nonzero(came & (was_shown != _S_NORMAL))
        if len(ri):
            self._last_change[ri, ci] = t
            events += self._make_events(
                t=np.full(len(ri), t), row=ri, cond=ci, kind=np.full(len(ri), _KINDS.index(on)),
                state=self.state_codes()[ri, ci], value=np.full(len(ri), np.nan), limit=np.full(len(ri), np.nan),
                user=user, comment=comment,
            )  # fmt: skip
        return events

    def _conditions(self, conditions) -> tuple[int, ...]:
        if conditions is None:
            return tuple(range(len(CONDITIONS)))
        try:
            return tuple(sorted({Condition(c).code for c in conditions}))
        except ValueError:
            raise AlarmActionError(
                f"unknown alarm condition in {list(conditions)!r}; conditions are {[c.value for c in CONDITIONS]}"
            ) from None

    def suppress(
        self, key: str, sensor_ids: Iterable[str], reason: str, *, t: float, conditions=None, user: str = "system"
    ) -> list[AlarmEvent]:
        """Suppress by design (ISA-18.2 state-based suppression) the alarms of ``sensor_ids`` under ``key`` (an
        outage, say): they are still evaluated but shown as SUPPRESSED and never annunciated. Suppressing under a
        key again replaces its sensors. Sensor ids not in the network are kept (they count once the network has
        them)."""
        key = str(key)
        if not key:
            raise AlarmActionError("a suppression needs a key (what it belongs to, e.g. an incident id)")
        if not str(reason).strip():
            raise AlarmActionError(f"suppression {key!r} needs a reason (ISA-18.2 records why alarms are hidden)")
        entry = (frozenset(str(s) for s in sensor_ids), self._conditions(conditions), str(reason))

        def change() -> None:
            self._suppressions[key] = entry

        return self._requiet(change, t=t, on=AlarmEventKind.SUPPRESSED, off=AlarmEventKind.UNSUPPRESSED,
                             user=user, comment=str(reason))  # fmt: skip

    def unsuppress(self, key: str, *, t: float, user: str = "system") -> list[AlarmEvent]:
        """End the suppression ``key`` (no-op if there is none): its still-active alarms are annunciated afresh
        unless another suppression, a shelving or out-of-service still hides them."""
        entry = self._suppressions.get(str(key))
        if entry is None:
            return []
        return self._requiet(
            lambda: self._suppressions.pop(str(key)),
            t=t,
            on=AlarmEventKind.SUPPRESSED,
            off=AlarmEventKind.UNSUPPRESSED,
            user=user,
            comment=f"suppression ended: {entry[2]}",
        )

    def suppressions(self) -> dict[str, tuple[tuple[str, ...], tuple[Condition, ...], str]]:
        """Active suppressions: key → (sensor ids, conditions, reason)."""
        return {k: (tuple(sorted(ids)), tuple(CONDITIONS[c] for c in conds), reason)
                for k, (ids, conds, reason) in self._suppressions.items()}  # fmt: skip

    def remove_from_service(self, sensor_id: str, reason: str, *, t: float, user: str = "") -> list[AlarmEvent]:
        """Take a sensor out of service (maintenance, a known-faulty instrument): its alarms are evaluated but shown
        as OUT_OF_SERVICE and not annunciated until :meth:`return_to_service`."""
        self._targets(sensor_id, None)
        if not str(reason).strip():
            raise AlarmActionError(f"taking {sensor_id!r} out of service needs a reason")
        return self._requiet(lambda: self._oos.__setitem__(sensor_id, str(reason)), t=t,
                             on=AlarmEventKind.OUT_OF_SERVICE, off=AlarmEventKind.RETURNED_TO_SERVICE, user=user,
                             comment=str(reason))  # fmt: skip

    def return_to_service(self, sensor_id: str, *, t: float, user: str = "", comment: str = "") -> list[AlarmEvent]:
        """Put a sensor back in service: its still-active alarms are annunciated afresh."""
        self._targets(sensor_id, None)
        if sensor_id not in self._oos:
            return []
        return self._requiet(lambda: self._oos.pop(sensor_id), t=t, on=AlarmEventKind.OUT_OF_SERVICE,
                             off=AlarmEventKind.RETURNED_TO_SERVICE, user=user, comment=comment)  # fmt: skip

    def out_of_service(self) -> dict[str, str]:
        """Sensors out of service: id → reason."""
        return dict(self._oos)

    def set_flood_suppression(self, priority: int | None, *, t: float, reason: str = "alarm flood") -> list[AlarmEvent]:
        """Suppress alarms of ``priority`` and less urgent (ISA-18.2 flood suppression), or end it (None)."""
        priority = None if priority is None else int(priority)
        if priority == self._flood_priority:
            return []
        return self._requiet(lambda: setattr(self, "_flood_priority", priority), t=t, on=AlarmEventKind.SUPPRESSED,
                             off=AlarmEventKind.UNSUPPRESSED, user="system",
                             comment=reason if priority is not None else f"{reason} over")  # fmt: skip

    @property
    def flood_priority(self) -> int | None:
        return self._flood_priority

    def take_hidden_activations(self) -> list[float]:
        """Times of the activations not annunciated since the last call (shelved, suppressed, out of service)."""
        out, self._quiet_rises = self._quiet_rises, []
        return out

    # -- annunciation ---------------------------------------------------------------------------------------------
    @property
    def audible(self) -> bool:
        """The horn: a new alarm of :data:`AUDIBLE_PRIORITY` or more urgent is annunciated and nobody acknowledged
        or silenced it yet."""
        return bool((self._horn & ~self._acked & ~self._quiet()).any())

    def audible_alarms(self) -> list[tuple[str, Condition]]:
        ri, ci = np.nonzero(self._horn & ~self._acked & ~self._quiet())
        return [(self.sensors.ids[r], CONDITIONS[c]) for r, c in zip(ri.tolist(), ci.tolist(), strict=True)]

    def silence(self) -> int:
        """Silence the horn without acknowledging (the alarms stay unacknowledged); a new urgent alarm sounds it
        again. Returns how many alarms were sounding."""
        n = len(self.audible_alarms())
        self._horn[:] = False
        return n

    # -- reading the state --------------------------------------------------------------------------------------
    def state_codes(self) -> np.ndarray:
        """(sensors × conditions) int8 codes into ``tuple(AlarmState)``."""
        st = np.where(
            self._active,
            np.where(self._acked, _S_ACK, _S_UNACK),
            np.where(self._acked, _S_NORMAL, _S_RTN),
        )
        st = np.where(self._supp_mask | self._flood_mask(), _S_SUPPRESSED, st)
        st = np.where(np.isfinite(self._shelved_until), _S_SHELVED, st)
        return np.where(self._oos_mask[:, None], _S_OOS, st).astype(np.int8)

    def state(self, sensor_id: str, condition: Condition | str) -> AlarmState:
        row, (c,) = self._targets(sensor_id, condition)
        return _STATES[int(self.state_codes()[row, c])]

    @property
    def active(self) -> np.ndarray:
        """(sensors × conditions) bool: the condition is active (shelved or not)."""
        return self._active.copy()

    def sensor_status(self) -> np.ndarray:
        """int8 :class:`SensorStatus` code per sensor, for colouring the map."""
        shown = self._active & ~self._quiet()
        alarm = shown[:, Condition.HIHI.code] | shown[:, Condition.LOLO.code]
        warning = shown[:, Condition.HI.code] | shown[:, Condition.LO.code] | shown[:, Condition.ROC.code]
        status = np.where(np.isnan(self.last_t), SensorStatus.NO_DATA, SensorStatus.NORMAL)
        status = np.where(warning, SensorStatus.WARNING, status)
        status = np.where(shown[:, _STALE], SensorStatus.STALE, status)
        return np.where(alarm, SensorStatus.ALARM, status).astype(np.int8)

    def unacknowledged(self) -> np.ndarray:
        """bool per sensor: it has an unacknowledged, unshelved alarm (a map symbol may blink)."""
        return (~self._acked & ~self._quiet()).any(axis=1)

    def alarm_list(self) -> list[AlarmRecord]:
        """Every alarm not in the normal state, most urgent first, then newest first — without the suppressed and
        out-of-service ones, which are not annunciated (:meth:`hidden_alarms` lists those)."""
        codes = self.state_codes()
        hidden = (codes == _S_SUPPRESSED) | (codes == _S_OOS)
        return self._records(np.nonzero((codes != _S_NORMAL) & ~hidden), codes)

    def hidden_alarms(self) -> list[AlarmRecord]:
        """The suppressed and out-of-service alarms whose condition is active: what an outage, a flood or a
        maintenance job is hiding from the alarm list (ISA-18.2 asks that they can be reviewed)."""
        codes = self.state_codes()
        hidden = (codes == _S_SUPPRESSED) | (codes == _S_OOS)
        return self._records(np.nonzero(hidden & self._active), codes)

    def _records(self, where, codes: np.ndarray) -> list[AlarmRecord]:
        ri, ci = where
        prio = self._limits.priority[ri, ci]
        since = self._since[ri, ci]
        order = np.lexsort((-np.nan_to_num(since, nan=-np.inf), prio))
        kinds = self.sensors.kind
        out = []
        for i in order.tolist():
            r_, c_ = int(ri[i]), int(ci[i])
            out.append(
                AlarmRecord(
                    sensor_id=self.sensors.ids[r_],
                    condition=CONDITIONS[c_],
                    state=_STATES[int(codes[r_, c_])],
                    priority=_PRIORITIES[int(prio[i])],
                    active=bool(self._active[r_, c_]),
                    since=float(since[i]),
                    value=float(self._value_at[r_, c_]),
                    limit=float(_limit_of(self._limits, r_, c_, self._stale_after)),
                    row=r_,
                    feature_id=self.sensors.feature_id[r_],
                    kind=KINDS[int(kinds[r_])].value,
                    shelved_until=float(self._shelved_until[r_, c_]),
                    last_change=float(self._last_change[r_, c_]),
                    comment=self._comment.get((r_, c_), ""),
                )
            )
        return out

    def rebound(self, sensors: SensorTable, limits: AlarmLimits) -> AlarmEngine:
        """A new engine for an edited sensors layer that keeps the state of every sensor id found in both."""
        new = AlarmEngine(sensors, limits, max_shelve_s=self.max_shelve_s, roc_window_s=self.roc_window_s)
        new.epoch = self.epoch
        old_rows = self.sensors.rows_of(sensors.ids)
        keep = old_rows >= 0
        dst, src = np.flatnonzero(keep), old_rows[keep]
        for name in (
            "_raw", "_run_start", "_active", "_acked", "_shelved_until", "_since", "_value_at", "_last_change",
            "_roc_bucket", "_roc_t", "_roc_v", "last_t", "last_value",
        ):  # fmt: skip
            getattr(new, name)[dst] = getattr(self, name)[src]
        new._horn[dst] = self._horn[src]
        new._suppressions, new._oos, new._flood_priority = (
            dict(self._suppressions),
            dict(self._oos),
            self._flood_priority,
        )
        new._rebuild_masks()
        new_row = dict(zip(src.tolist(), dst.tolist(), strict=True))
        new._comment = {(new_row[r], c): text for (r, c), text in self._comment.items() if r in new_row}
        return new

    def restore(self, records: Iterable[AlarmRecord]) -> None:
        """Take over alarm states saved by an earlier session (records from the history's latest states)."""
        for rec in records:
            row = self.sensors.row(rec.sensor_id)
            if row < 0:
                continue  # the sensor was removed from the network since
            c = rec.condition.code
            self._active[row, c] = rec.active
            self._acked[row, c] = rec.state not in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN)  # hidden: acked
            self._shelved_until[row, c] = rec.shelved_until if rec.state == AlarmState.SHELVED else np.nan
            self._since[row, c] = rec.since
            self._value_at[row, c] = rec.value
            self._last_change[row, c] = rec.last_change
            if rec.comment:
                self._comment[(row, c)] = rec.comment
            if c < _N_LEVEL:
                self._raw[row, c] = rec.active
                self._run_start[row, c] = rec.since if rec.active else rec.last_change


def _limit_of(limits: AlarmLimits, row: int, c: int, stale_after: np.ndarray) -> float:
    cond = CONDITIONS[c]
    if cond == Condition.STALE:
        return stale_after[row]
    if cond == Condition.ROC:
        return limits.roc_per_min[row]
    return getattr(limits, cond.value.lower())[row]


def _join(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([np.asarray(a[k]), np.asarray(b[k])]) for k in a}
