"""Alarm-system performance per ISA-18.2 / EEMUA 191 (报警泛滥): floods, frequent and chattering alarms.

ISA-18.2's metrics count annunciated alarms (activations) per operator in fixed 10-minute periods: more than 10 in a
period is an *alarm flood*; the target is under 1 % of periods in flood. A *chattering* alarm activates 3 or more
times within 60 s. The "top 10" most frequent alarms usually make most of the load and are the first to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from console.telemetry._types import AlarmEvent, AlarmEventKind, iso_utc

__all__ = ["FloodPeriod", "FloodSummary", "flood_summary"]


@dataclass(frozen=True)
class FloodPeriod:
    """Consecutive flooded periods merged: when, how many activations, which alarms made most of them."""

    start_t: float
    end_t: float
    activations: int
    top: tuple[tuple[str, str, int], ...]  # (sensor_id, condition, activations), most first

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start_t),
            "end": iso_utc(self.end_t),
            "activations": self.activations,
            "top": [{"sensor_id": s, "condition": c, "activations": n} for s, c, n in self.top],
        }


@dataclass(frozen=True)
class FloodSummary:
    """Alarm-load metrics over ``[start_t, end_t)`` in periods of ``period_s``."""

    start_t: float
    end_t: float
    period_s: float
    threshold: int
    activations: int
    periods: int
    flooded_periods: int
    peak_activations: int  # the most activations in one period
    peak_start_t: float
    floods: tuple[FloodPeriod, ...]
    top_alarms: tuple[tuple[str, str, int], ...]
    chattering: tuple[tuple[str, str, int], ...]  # alarms with >= 3 activations within 60 s; the most in 60 s

    @property
    def percent_time_in_flood(self) -> float:
        return 100.0 * self.flooded_periods / self.periods if self.periods else 0.0

    @property
    def average_per_period(self) -> float:
        return self.activations / self.periods if self.periods else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start_t),
            "end": iso_utc(self.end_t),
            "period_s": self.period_s,
            "threshold": self.threshold,
            "activations": self.activations,
            "periods": self.periods,
            "flooded_periods": self.flooded_periods,
            "percent_time_in_flood": self.percent_time_in_flood,
            "average_per_period": self.average_per_period,
            "peak_activations": self.peak_activations,
            "peak_start": iso_utc(self.peak_start_t),
            "floods": [f.to_dict() for f in self.floods],
            "top_alarms": [{"sensor_id": s, "condition": c, "activations": n} for s, c, n in self.top_alarms],
            "chattering": [{"sensor_id": s, "condition": c, "max_in_60s": n} for s, c, n in self.chattering],
        }

    def format_text(self) -> str:
        lines = [
            f"alarm load {iso_utc(self.start_t)} … {iso_utc(self.end_t)}: {self.activations} activations in "
            f"{self.periods} periods of {self.period_s / 60:g} min (average {self.average_per_period:.2f}, "
            f"peak {self.peak_activations} from {iso_utc(self.peak_start_t)})",
            f"floods (> {self.threshold} per period): {self.flooded_periods} periods, "
            f"{self.percent_time_in_flood:.1f} % of the time (ISA-18.2 target < 1 %)",
        ]
        for f in self.floods:
            top = ", ".join(f"{s} {c} ×{n}" for s, c, n in f.top[:3])
            lines.append(f"  flood {iso_utc(f.start_t)} … {iso_utc(f.end_t)}: {f.activations} activations ({top})")
        if self.top_alarms:
            lines.append("most frequent: " + ", ".join(f"{s} {c} ×{n}" for s, c, n in self.top_alarms[:10]))
        if self.chattering:
            lines.append(
                "chattering (>= 3 in 60 s): " + ", ".join(f"{s} {c} ({n} in 60 s)" for s, c, n in self.chattering)
            )
        return "\n".join(lines)


def _top(keys: np.ndarray, labels: list[tuple[str, str]], n: int) -> tuple[tuple[str, str, int], ...]:
    if not len(keys):
        return ()
    uk, counts = np.unique(keys, return_counts=True)
    order = np.lexsort((uk, -counts))[:n]
    return tuple((*labels[int(uk[i])], int(counts[i])) for i in order)


def flood_summary(
    events: Iterable[AlarmEvent],
    *,
    start_t: float | None = None,
    end_t: float | None = None,
    period_s: float = 600.0,
    threshold: int = 10,
    chatter_window_s: float = 60.0,
    chatter_count: int = 3,
) -> FloodSummary:
    """Alarm-load metrics of the activations among ``events`` (ISA-18.2: > ``threshold`` per ``period_s`` floods).

    Periods are aligned to multiples of ``period_s`` (epoch), from the one holding ``start_t`` (default: the first
    activation) to the one holding ``end_t`` (default: the last).
    """
    acts = [e for e in events if e.kind == AlarmEventKind.ACTIVATED]
    t = np.array([e.t for e in acts], dtype=float)
    label_index: dict[tuple[str, str], int] = {}
    keys = np.array(
        [label_index.setdefault((e.sensor_id, e.condition.value), len(label_index)) for e in acts], dtype=np.int64
    )
    labels = list(label_index)
    lo = start_t if start_t is not None else (float(t.min()) if len(t) else 0.0)
    hi = end_t if end_t is not None else (float(t.max()) if len(t) else lo)
    inside = (t >= lo) & (t <= hi)
    t, keys = t[inside], keys[inside]
    first = np.floor(lo / period_s) * period_s
    n_periods = max(1, round((np.floor(hi / period_s) * period_s - first) / period_s) + 1)
    period = ((t - first) // period_s).astype(np.int64)
    counts = np.bincount(period, minlength=n_periods)
    flooded = counts > threshold
    floods = []
    if flooded.any():
        edges = np.flatnonzero(np.diff(np.r_[0, flooded.astype(np.int8), 0]))
        for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            sel = (period >= a) & (period < b)
            floods.append(
                FloodPeriod(first + a * period_s, first + b * period_s, int(sel.sum()), _top(keys[sel], labels, 5))
            )
    peak = int(np.argmax(counts)) if len(counts) else 0

    chattering = []
    if len(t):
        order = np.lexsort((t, keys))
        ks, ts = keys[order], t[order]
        span = chatter_count - 1
        if len(ts) > span:
            same = ks[span:] == ks[:-span]
            fast = same & (ts[span:] - ts[:-span] <= chatter_window_s)
            for k in np.unique(ks[:-span][fast]).tolist():
                kt = ts[ks == k]
                most = int(np.max(np.searchsorted(kt, kt + chatter_window_s, side="right") - np.arange(len(kt))))
                chattering.append((*labels[k], most))
        chattering.sort(key=lambda x: (-x[2], x[0], x[1]))
    return FloodSummary(
        start_t=lo,
        end_t=hi,
        period_s=period_s,
        threshold=threshold,
        activations=int(len(t)),
        periods=n_periods,
        flooded_periods=int(flooded.sum()),
        peak_activations=int(counts[peak]) if len(counts) else 0,
        peak_start_t=first + peak * period_s,
        floods=tuple(floods),
        top_alarms=_top(keys, labels, 10),
        chattering=tuple(chattering),
    )
