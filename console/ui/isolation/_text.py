"""Words and numbers of the isolation dock, Qt-free: how a commander reads a shut-off result.

>>> format_length(None), format_length(86.4), format_length(41_234.0)
('—', '86 m', '41.23 km')
>>> format_volume(0.42), format_volume(1234.6)
('0.4 Nm³', '1,235 Nm³')
>>> plural(1, "valve"), plural(3, "valve")
('1 valve', '3 valves')
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from console.isolation import Break, IsolationRequest, IsolationResult

__all__ = [
    "ACTION_LABELS",
    "CATEGORY_LABELS",
    "SHORT_ACTIONS",
    "break_text",
    "customers_by_role",
    "cut_off_summary",
    "format_length",
    "format_volume",
    "headline",
    "plural",
    "step_detail",
]

ACTION_LABELS = {
    "close_valve": "Close valve 关阀",
    "shut_regulator": "Shut regulator 关调压器",
    "stop_source": "Stop source 停气源",
}
SHORT_ACTIONS = {"close_valve": "Close", "shut_regulator": "Shut regulator", "stop_source": "Stop source"}
CATEGORY_LABELS = {
    "special": "Special users 重点用户",
    "residential": "Residential 居民",
    "commercial": "Commercial 商业",
    "industrial": "Industrial 工业",
}


def format_length(length_m: float | None) -> str:
    if length_m is None:
        return "—"
    if abs(length_m) < 1000:
        return f"{length_m:,.0f} m"
    return f"{length_m / 1000:,.2f} km"


def format_volume(volume: float, unit: str = "Nm³") -> str:
    return f"{volume:,.1f} {unit}" if abs(volume) < 10 else f"{volume:,.0f} {unit}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _break(b: Break) -> str:
    return b.feature_id if b.fraction is None else f"{b.feature_id} at {b.fraction:.0%}"


def break_text(request: IsolationRequest) -> str:
    """Where the gas escapes, e.g. ``P-12 at 30%`` or ``P-12 at 30% + J-7``."""
    return " + ".join(_break(b) for b in request.breaks)


def headline(result: IsolationResult) -> str:
    """The one line a crew needs first: how many valves to close, and what else to do."""
    steps = result.required_steps
    valves = sum(1 for s in steps if s.action == "close_valve")
    other = len(steps) - valves
    parts = [f"Close {plural(valves, 'valve')}"] if valves or not other else []
    if other:
        regs = sum(1 for s in steps if s.action == "shut_regulator")
        srcs = other - regs
        parts += [f"shut {plural(regs, 'regulator')}"] if regs else []
        parts += [f"stop {plural(srcs, 'source')}"] if srcs else []
    if result.optional_steps:
        parts.append(f"{len(result.optional_steps)} optional")
    if result.skipped:
        parts.append(f"{len(result.skipped)} would not turn")
    return " · ".join(parts)


def customers_by_role(customers: Iterable) -> dict[str, int]:
    """How many lost customers are in the shut-off region (``isolated``) and how many are ``cut_off``."""
    out = {"isolated": 0, "cut_off": 0}
    for c in customers:
        out[c.role] = out.get(c.role, 0) + 1
    return out


def cut_off_summary(result: IsolationResult) -> str:
    """Cut-off segments in one line: segments, pipes, length and customers that lose supply without venting."""
    n = len(result.cut_off_segments)
    if not n:
        return "No unintended outage: every segment outside the shut-off region keeps a path to a source."
    roles = customers_by_role(result.impact.customers)
    return (
        f"{plural(n, 'segment')} · {plural(len(result.cut_off_pipe_ids), 'pipe')} · "
        f"{format_length(result.impact.cut_off_pipe_length_m)} · {plural(roles['cut_off'], 'customer')} lose supply"
    )


def step_detail(step) -> str:
    """One plan step for the detail line under the plan (rich text)."""
    kind = "required" if step.required else "optional"
    extra = [kind]
    if step.distance_m is not None:
        extra.append(f"{format_length(step.distance_m)} from the break")
    if step.remote_controlled:
        extra.append("remote-controlled 远控")
    if step.sensor_ids:
        extra.append("sensors " + ", ".join(step.sensor_ids))
    label = ACTION_LABELS.get(step.action, step.action)
    head = html.escape(f"{step.order}. {label} {step.feature_id}")
    return f"<b>{head}</b> ({html.escape(', '.join(extra))})<br>{html.escape(step.reason)}"
