"""Words and numbers of the isolation dock: how a commander reads a shut-off result.

Texts are English in the code and translated (context ``IsolationDock``) where they are shown.

>>> format_length(None), format_length(86.4), format_length(41_234.0)
('—', '86 m', '41.23 km')
>>> format_volume(0.42), format_volume(1234.6)
('0.4 Nm³', '1,235 Nm³')
>>> plural(1, "valve"), plural(3, "valve")
('1 valve', '3 valves')
>>> count(1, "{count} valve", "{count} valves"), count(1200, "{count} valve", "{count} valves")
('1 valve', '1,200 valves')
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.app.isolation import MESSAGE_TEMPLATES
from console.isolation import NOTE_TEMPLATES, ORDER_RULES, Break, IsolationRequest, IsolationResult
from console.ui.i18n import translate
from console.ui.i18n_messages import register, translate_message

__all__ = [
    "ACTION_LABELS",
    "CATEGORY_LABELS",
    "SHORT_ACTIONS",
    "action_label",
    "break_text",
    "category_label",
    "count",
    "customers_by_role",
    "cut_off_summary",
    "format_length",
    "format_volume",
    "headline",
    "note_text",
    "plural",
    "short_action",
    "special_kind_label",
    "step_detail",
]

ACTION_LABELS = {
    "close_valve": QT_TRANSLATE_NOOP("IsolationDock", "Close valve"),
    "shut_regulator": QT_TRANSLATE_NOOP("IsolationDock", "Shut regulator"),
    "stop_source": QT_TRANSLATE_NOOP("IsolationDock", "Stop source"),
}
SHORT_ACTIONS = {
    "close_valve": QT_TRANSLATE_NOOP("IsolationDock", "Close"),
    "shut_regulator": QT_TRANSLATE_NOOP("IsolationDock", "Shut regulator"),
    "stop_source": QT_TRANSLATE_NOOP("IsolationDock", "Stop source"),
}
register("IsolationNotes", (*NOTE_TEMPLATES, *ORDER_RULES.values()))
register("IsolationService", MESSAGE_TEMPLATES)

CATEGORY_LABELS = {
    "special": QT_TRANSLATE_NOOP("IsolationDock", "Special users"),
    "residential": QT_TRANSLATE_NOOP("IsolationDock", "Residential"),
    "commercial": QT_TRANSLATE_NOOP("IsolationDock", "Commercial"),
    "industrial": QT_TRANSLATE_NOOP("IsolationDock", "Industrial"),
}

SPECIAL_KINDS = {
    "hospital": QT_TRANSLATE_NOOP("IsolationDock", "hospital"),
    "school": QT_TRANSLATE_NOOP("IsolationDock", "school"),
    "care_home": QT_TRANSLATE_NOOP("IsolationDock", "care home"),
    "kindergarten": QT_TRANSLATE_NOOP("IsolationDock", "kindergarten"),
}


def special_kind_label(kind: str) -> str:
    """A special user's kind (``hospital`` …) as shown; an unknown code as it is."""
    return translate("IsolationDock", SPECIAL_KINDS[kind]) if kind in SPECIAL_KINDS else kind.replace("_", " ")


def action_label(action: str) -> str:
    """A plan step's action in full ("Close valve"), translated."""
    return translate("IsolationDock", ACTION_LABELS[action]) if action in ACTION_LABELS else action


def short_action(action: str) -> str:
    """A plan step's action for the plan's column ("Close"), translated."""
    return translate("IsolationDock", SHORT_ACTIONS[action]) if action in SHORT_ACTIONS else action


def category_label(category: str) -> str:
    return translate("IsolationDock", CATEGORY_LABELS[category]) if category in CATEGORY_LABELS else category


def note_text(text: str) -> str:
    """A reason, warning or note of the (Qt-free) analysis in the current language."""
    return translate_message(text)


def format_length(length_m: float | None) -> str:
    if length_m is None:
        return "—"
    if abs(length_m) < 1000:
        return f"{length_m:,.0f} m"
    return f"{length_m / 1000:,.2f} km"


def format_volume(volume: float, unit: str = "Nm³") -> str:
    return f"{volume:,.1f} {unit}" if abs(volume) < 10 else f"{volume:,.0f} {unit}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """English count and noun (exports and logs); the dock uses :func:`count` with translated texts."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def count(n: int, one: str, many: str) -> str:
    """``one`` or ``many`` (translated texts with a ``{count}`` placeholder) for ``n``."""
    return (one if n == 1 else many).format(count=f"{n:,}")


def _break(b: Break) -> str:
    if b.fraction is None:
        return b.feature_id
    return translate("IsolationDock", "{feature} at {percent}").format(
        feature=b.feature_id, percent=f"{b.fraction:.0%}"
    )


def break_text(request: IsolationRequest) -> str:
    """Where the gas escapes, e.g. ``P-12 at 30%`` or ``P-12 at 30% + J-7``."""
    return " + ".join(_break(b) for b in request.breaks)


def headline(result: IsolationResult) -> str:
    """The one line a crew needs first: how many valves to close, and what else to do."""
    steps = result.required_steps
    valves = sum(1 for s in steps if s.action == "close_valve")
    other = len(steps) - valves
    parts = []
    if valves or not other:
        parts.append(
            count(
                valves,
                translate("IsolationDock", "Close {count} valve"),
                translate("IsolationDock", "Close {count} valves"),
            )
        )
    if other:
        regs = sum(1 for s in steps if s.action == "shut_regulator")
        srcs = other - regs
        if regs:
            parts.append(count(regs, translate("IsolationDock", "shut {count} regulator"),
                               translate("IsolationDock", "shut {count} regulators")))  # fmt: skip
        if srcs:
            parts.append(
                count(
                    srcs,
                    translate("IsolationDock", "stop {count} source"),
                    translate("IsolationDock", "stop {count} sources"),
                )
            )
    if result.optional_steps:
        parts.append(translate("IsolationDock", "{count} optional").format(count=len(result.optional_steps)))
    if result.skipped:
        parts.append(translate("IsolationDock", "{count} would not turn").format(count=len(result.skipped)))
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
        return translate(
            "IsolationDock", "No unintended outage: every segment outside the shut-off region keeps a path to a source."
        )
    roles = customers_by_role(result.impact.customers)
    return translate("IsolationDock", "{segments} · {pipes} · {length} · {customers} lose supply").format(
        segments=count(
            n, translate("IsolationDock", "{count} segment"), translate("IsolationDock", "{count} segments")
        ),
        pipes=count(
            len(result.cut_off_pipe_ids),
            translate("IsolationDock", "{count} pipe"),
            translate("IsolationDock", "{count} pipes"),
        ),
        length=format_length(result.impact.cut_off_pipe_length_m),
        customers=count(
            roles["cut_off"],
            translate("IsolationDock", "{count} customer"),
            translate("IsolationDock", "{count} customers"),
        ),
    )


def step_detail(step) -> str:
    """One plan step for the detail line under the plan (rich text)."""
    extra = [translate("IsolationDock", "required") if step.required else translate("IsolationDock", "optional")]
    if step.distance_m is not None:
        extra.append(
            translate("IsolationDock", "{distance} from the break").format(distance=format_length(step.distance_m))
        )
    if step.remote_controlled:
        extra.append(translate("IsolationDock", "remote-controlled"))
    if step.sensor_ids:
        extra.append(translate("IsolationDock", "sensors {ids}").format(ids=", ".join(step.sensor_ids)))
    head = html.escape(f"{step.order}. {action_label(step.action)} {step.feature_id}")
    return f"<b>{head}</b> ({html.escape(', '.join(extra))})<br>{html.escape(note_text(step.reason))}"
