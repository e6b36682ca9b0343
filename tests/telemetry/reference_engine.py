"""A straightforward reference of the alarm rules, one reading at a time (kept in the tests to check the vectorised
engine, the way the ledger keeps an RFC reference). No shelving: that is covered by hand-worked cases."""

from __future__ import annotations

import math


class ReferenceAlarms:
    """ISA-18.2 states of one sensor's HIHI/HI/LO/LOLO/ROC/STALE alarms, evaluated reading by reading."""

    CONDS = ("HIHI", "HI", "LO", "LOLO", "ROC", "STALE")

    def __init__(self, limits: dict, *, roc_window_s: float = 60.0, epoch: float | None = None) -> None:
        self.l = limits
        self.w = roc_window_s
        self.raw = dict.fromkeys(self.CONDS[:5], False)
        self.run_start = dict.fromkeys(self.CONDS[:5], math.nan)
        self.active = dict.fromkeys(self.CONDS, False)
        self.acked = dict.fromkeys(self.CONDS, True)
        self.last_t = math.nan
        self.epoch = epoch
        self.window = math.nan
        self.window_first = (math.nan, math.nan)

    def _limit(self, c):
        return {
            "HIHI": self.l["hihi"],
            "HI": self.l["hi"],
            "LO": self.l["lo"],
            "LOLO": self.l["lolo"],
            "ROC": self.l["roc_per_min"],
        }[c]

    def reading(self, t: float, v: float) -> list[tuple]:
        if self.epoch is None:
            self.epoch = t
        events = []
        # STALE: a gap longer than the timeout activates at its deadline and clears now
        ref = self.epoch if math.isnan(self.last_t) else self.last_t
        if self.active["STALE"]:
            events.append((t, "STALE", "cleared", "normal" if self.acked["STALE"] else "unack_rtn"))
            self.active["STALE"] = False
        elif t - ref > self.l["stale_after_s"]:
            events.append((ref + self.l["stale_after_s"], "STALE", "activated", "unack_active"))
            events.append((t, "STALE", "cleared", "unack_rtn"))
            self.acked["STALE"] = False
        db = self.l["deadband"]
        flags = {}
        for c in ("HIHI", "HI"):
            lim = self._limit(c)
            flags[c] = True if v >= lim else (False if not (v >= lim - db) else None)
        for c in ("LO", "LOLO"):
            lim = self._limit(c)
            flags[c] = True if v <= lim else (False if not (v <= lim + db) else None)
        window = math.floor(t / self.w)
        flags["ROC"] = None
        if window != self.window:  # first reading of a new window: judge the rate against the previous first
            t0, v0 = self.window_first
            if not math.isnan(t0) and t - t0 >= 0.5 * self.w:
                rate = abs(v - v0) / (t - t0) * 60.0
                flags["ROC"] = rate >= self.l["roc_per_min"]
            self.window, self.window_first = window, (t, v)
        for c in self.CONDS[:5]:
            f = flags[c]
            if f is not None and f != self.raw[c]:
                self.raw[c] = f
                self.run_start[c] = t
            elapsed = t - self.run_start[c]
            on = 0.0 if c == "ROC" else self.l["on_delay_s"]
            if self.raw[c] and not self.active[c] and elapsed >= on:
                self.active[c] = True
                self.acked[c] = False
                events.append((t, c, "activated", "unack_active"))
            elif not self.raw[c] and self.active[c] and elapsed >= self.l["off_delay_s"]:
                self.active[c] = False
                events.append((t, c, "cleared", "normal" if self.acked[c] else "unack_rtn"))
        self.last_t = t
        return events

    def acknowledge(self, t: float) -> list[tuple]:
        events = []
        for c in self.CONDS:
            if not self.acked[c]:
                self.acked[c] = True
                events.append((t, c, "acknowledged", "ack_active" if self.active[c] else "normal"))
        return events
