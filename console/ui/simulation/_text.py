"""Words and numbers of the simulation UI: run summary, tooltips, violation rows, error lines (context
``SimulationDock``)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.app.simulation import MESSAGE_TEMPLATES
from console.errors import GasOpsError
from console.hydraulics import InfeasibleError, ResultDiff, SimulationResult, format_pressure
from console.ui.i18n import translate
from console.ui.i18n_messages import register, translate_message
from console.ui.simulation._colours import format_level

__all__ = ["KIND_LABELS", "SEVERITY_LABELS", "diff_html", "error_line", "feature_text", "summary_html", "violation_row"]

register("SimulationService", MESSAGE_TEMPLATES)

KIND_LABELS = {
    "low_pressure": QT_TRANSLATE_NOOP("SimulationDock", "Low pressure"),
    "below_atmospheric": QT_TRANSLATE_NOOP("SimulationDock", "Below atmospheric"),
    "high_pressure": QT_TRANSLATE_NOOP("SimulationDock", "Above class range"),
    "high_velocity": QT_TRANSLATE_NOOP("SimulationDock", "High velocity"),
    "regulator_capacity": QT_TRANSLATE_NOOP("SimulationDock", "Regulator over capacity"),
    "gate_capacity": QT_TRANSLATE_NOOP("SimulationDock", "Gate station over capacity"),
    "regulator_pass_through": QT_TRANSLATE_NOOP("SimulationDock", "Regulator passing through"),
    "regulator_bypassed": QT_TRANSLATE_NOOP("SimulationDock", "Regulator bypassed"),
    "unsupplied": QT_TRANSLATE_NOOP("SimulationDock", "No supply"),
    "infeasible": QT_TRANSLATE_NOOP("SimulationDock", "Infeasible"),
}
SEVERITY_LABELS = {
    "error": QT_TRANSLATE_NOOP("SimulationDock", "error"),
    "warning": QT_TRANSLATE_NOOP("SimulationDock", "warning"),
    "info": QT_TRANSLATE_NOOP("SimulationDock", "info"),
}
REGULATOR_STATES = {  # console.hydraulics.RegulatorState
    "active": QT_TRANSLATE_NOOP("SimulationDock", "active"),
    "capacity_exceeded": QT_TRANSLATE_NOOP("SimulationDock", "over capacity"),
    "pass_through": QT_TRANSLATE_NOOP("SimulationDock", "passing through"),
    "no_flow": QT_TRANSLATE_NOOP("SimulationDock", "no flow"),
    "closed": QT_TRANSLATE_NOOP("SimulationDock", "closed"),
    "standby": QT_TRANSLATE_NOOP("SimulationDock", "standby"),
    "bypassed": QT_TRANSLATE_NOOP("SimulationDock", "bypassed"),
    "unsupplied": QT_TRANSLATE_NOOP("SimulationDock", "unsupplied"),
}


def _label(table: dict[str, str], key: str) -> str:
    return translate("SimulationDock", table[key]) if key in table else key.replace("_", " ")


LAYER_LABELS = {
    "pipes": QT_TRANSLATE_NOOP("SimulationDock", "pipe"),
    "valves": QT_TRANSLATE_NOOP("SimulationDock", "valve"),
    "regulators": QT_TRANSLATE_NOOP("SimulationDock", "regulator"),
    "gate_stations": QT_TRANSLATE_NOOP("SimulationDock", "gate station"),
    "junctions": QT_TRANSLATE_NOOP("SimulationDock", "junction"),
    "customers": QT_TRANSLATE_NOOP("SimulationDock", "customer"),
    "risers": QT_TRANSLATE_NOOP("SimulationDock", "riser"),
}
_UNIT_SCALE = {"Pa": (1e3, "kPa"), "m/s": (1.0, "m/s"), "Nm³/h": (1.0, "Nm³/h")}


def _value(value: float, unit: str) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if unit == "Pa":
        return format_pressure(float(value))
    return f"{value:.3g} {unit}".strip()


def violation_row(v) -> tuple[str, str, str, str, str]:
    """(kind, severity, feature, value, limit) as shown in the violations list."""
    return (
        _label(KIND_LABELS, v.kind),
        _label(SEVERITY_LABELS, v.severity),
        v.feature_id,
        _value(v.value, v.unit),
        _value(v.limit, v.unit),
    )


def error_line(exc: BaseException) -> str:
    """One line for the dock and status bar: the error's own message for ours, the type for anything else."""
    if isinstance(exc, InfeasibleError):
        text = translate_message(str(exc))
        return text[0].upper() + text[1:]
    if isinstance(exc, GasOpsError):
        return translate_message(str(exc))
    return translate("SimulationDock", "Unexpected error ({type}): {error}").format(type=type(exc).__name__, error=exc)


def summary_html(result: SimulationResult, demand_factor: float) -> str:
    """Min/max pressure per system class, convergence, regulator states, violation counts."""
    c = result.convergence
    rows = []
    by_class: dict[str, list] = {}
    for s in result.systems:
        if s.supplied and s.pressure_class:
            by_class.setdefault(s.pressure_class, []).append(s)
    for cls, systems in by_class.items():
        lo = min(systems, key=lambda s: s.min_pressure_pa)
        hi = max(systems, key=lambda s: s.max_pressure_pa)
        rows.append(
            f"<tr><td><b>{cls}</b> × {len(systems)}</td><td>{format_level(lo.min_pressure_pa, cls)}"
            f" <span style='opacity:.7'>({html.escape(lo.min_node_id)})</span></td>"
            f"<td>{format_level(hi.max_pressure_pa, cls)}</td></tr>"
        )
    states, counts = np.unique(result.regulator_state.astype(str), return_counts=True)
    regs = ", ".join(f"{int(n)} {_label(REGULATOR_STATES, str(s))}" for s, n in zip(states, counts, strict=True))
    regs = regs or translate("SimulationDock", "none")
    errors = sum(v.severity == "error" for v in result.violations)
    warnings = len(result.violations) - errors
    unsupplied = sum(len(u.customer_ids) for u in result.unsupplied)
    demand = translate("SimulationDock", "demand × {factor} · {flow} Nm³/h").format(
        factor=f"{demand_factor:g}", flow=f"{float(result.node_demand_nm3h.sum()):,.0f}"
    )
    head = "".join(
        f"<th align='left'>{html.escape(translate('SimulationDock', t))}</th>"
        for t in (QT_TRANSLATE_NOOP("SimulationDock", "System"), "min", "max")
    )
    counts_line = translate("SimulationDock", "{errors} errors, {warnings} warnings").format(
        errors=f"<b>{errors}</b>", warnings=f"<b>{warnings}</b>"
    )
    if unsupplied:
        counts_line += translate("SimulationDock", " · {count} customers without supply").format(count=unsupplied)
    lines = [
        f"<b>{html.escape(result.request.law.value)}</b> · {demand}",
        f"<table cellspacing='0' cellpadding='2'><tr>{head}</tr>{''.join(rows)}</table>",
        translate("SimulationDock", "{iterations} iterations · residual {residual} Nm³/h · {ms} ms").format(
            iterations=c.iterations, residual=f"{c.flow_residual_nm3h:.2g}", ms=f"{c.solve_seconds * 1e3:,.0f}"
        ),
        translate("SimulationDock", "Regulators: {states}").format(states=regs),
        counts_line,
    ]
    return "<br>".join(lines)


def diff_html(diff: ResultDiff) -> str:
    if diff.max_drop_pa >= 1.0:
        parts = [
            translate("SimulationDock", "Largest fall {drop} at {node}").format(
                drop=format_pressure(diff.max_drop_pa), node=html.escape(diff.max_drop_node_id)
            )
        ]
    else:
        parts = [translate("SimulationDock", "No supplied node loses pressure")]
    parts.append(
        translate("SimulationDock", "{count} customers lose gas ({flow} Nm³/h)").format(
            count=len(diff.newly_unsupplied_customer_ids), flow=f"{diff.lost_demand_nm3h:,.1f}"
        )
    )
    parts.append(
        translate("SimulationDock", "{new} new, {resolved} resolved violations").format(
            new=len(diff.new_violations), resolved=len(diff.resolved_violations)
        )
    )
    if diff.regulator_changes:
        parts.append(
            translate("SimulationDock", "{count} regulators change state").format(count=len(diff.regulator_changes))
        )
    return "<br>".join(parts)


def feature_text(result: SimulationResult, feature_id: str) -> str | None:
    """Simulated values of one feature as a few lines (tooltip, dock); None when the result does not know it."""
    try:
        v = result.feature_values(feature_id)
    except KeyError:
        return None
    layer = _label(LAYER_LABELS, v["layer"])
    if "pressure_pa" in v:
        pressure = translate("SimulationDock", "Pressure {pressure}").format(pressure=format_pressure(v["pressure_pa"]))
        lines = [f"{feature_id} ({layer})", pressure]
        if not v["supplied"]:
            lines[1] = translate("SimulationDock", "No supply")
        if v["demand_nm3h"]:
            lines.append(translate("SimulationDock", "Demand {flow} Nm³/h").format(flow=f"{v['demand_nm3h']:.3g}"))
        return "\n".join(lines)
    lines = [
        f"{feature_id} ({layer})",
        translate("SimulationDock", "Flow {flow} Nm³/h").format(flow=f"{v['flow_nm3h']:,.3g}"),
        translate("SimulationDock", "Pressure {inlet} → {outlet}").format(
            inlet=format_pressure(v["pressure_from_pa"]), outlet=format_pressure(v["pressure_to_pa"])
        ),
    ]
    if v["layer"] == "pipes":
        lines.insert(
            2, translate("SimulationDock", "Velocity {velocity} m/s").format(velocity=f"{abs(v['velocity_ms']):.3g}")
        )
        lines.append(translate("SimulationDock", "Drop {drop} kPa/km").format(drop=f"{v['dp_per_km_pa'] / 1e3:.3g}"))
    return "\n".join(lines)
