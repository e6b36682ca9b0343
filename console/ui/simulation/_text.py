"""Words and numbers of the simulation UI: run summary, tooltips, violation rows, error lines (Qt-free)."""

from __future__ import annotations

import html

import numpy as np

from console.errors import GasOpsError
from console.hydraulics import InfeasibleError, ResultDiff, SimulationResult, format_pressure
from console.ui.simulation._colours import format_level

__all__ = ["KIND_LABELS", "diff_html", "error_line", "feature_text", "summary_html", "violation_row"]

KIND_LABELS = {
    "low_pressure": "Low pressure 欠压",
    "below_atmospheric": "Below atmospheric 负压",
    "high_pressure": "Above class range 超压",
    "high_velocity": "High velocity 超速",
    "regulator_capacity": "Regulator over capacity 调压器超负荷",
    "gate_capacity": "Gate station over capacity 门站超负荷",
    "regulator_pass_through": "Regulator passing through 调压器直通",
    "regulator_bypassed": "Regulator bypassed 旁通",
    "unsupplied": "No supply 无气源",
    "infeasible": "Infeasible 不可行",
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
    return (KIND_LABELS.get(v.kind, v.kind), v.severity, v.feature_id, _value(v.value, v.unit), _value(v.limit, v.unit))


def error_line(exc: BaseException) -> str:
    """One line for the dock and status bar: the error's own message for ours, the type for anything else."""
    if isinstance(exc, InfeasibleError):
        return str(exc)[0].upper() + str(exc)[1:]
    if isinstance(exc, GasOpsError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}"


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
    regs = ", ".join(f"{int(n)} {s.replace('_', ' ')}" for s, n in zip(states, counts, strict=True)) or "none"
    errors = sum(v.severity == "error" for v in result.violations)
    warnings = len(result.violations) - errors
    unsupplied = sum(len(u.customer_ids) for u in result.unsupplied)
    lines = [
        f"<b>{html.escape(result.request.law.value)}</b> · demand × {demand_factor:g} · "
        f"{float(result.node_demand_nm3h.sum()):,.0f} Nm³/h",
        "<table cellspacing='0' cellpadding='2'><tr><th align='left'>System</th><th align='left'>min</th>"
        f"<th align='left'>max</th></tr>{''.join(rows)}</table>",
        f"{c.iterations} iterations · residual {c.flow_residual_nm3h:.2g} Nm³/h · {c.solve_seconds * 1e3:,.0f} ms",
        f"Regulators: {regs}",
        f"<b>{errors}</b> errors, <b>{warnings}</b> warnings"
        + (f" · {unsupplied} customers without supply" if unsupplied else ""),
    ]
    return "<br>".join(lines)


def diff_html(diff: ResultDiff) -> str:
    if diff.max_drop_pa >= 1.0:
        parts = [f"Largest fall {format_pressure(diff.max_drop_pa)} at {html.escape(diff.max_drop_node_id)}"]
    else:
        parts = ["No supplied node loses pressure"]
    parts.append(f"{len(diff.newly_unsupplied_customer_ids)} customers lose gas ({diff.lost_demand_nm3h:,.1f} Nm³/h)")
    parts.append(f"{len(diff.new_violations)} new, {len(diff.resolved_violations)} resolved violations")
    if diff.regulator_changes:
        parts.append(f"{len(diff.regulator_changes)} regulators change state")
    return "<br>".join(parts)


def feature_text(result: SimulationResult, feature_id: str) -> str | None:
    """Simulated values of one feature as a few lines (tooltip, dock); None when the result does not know it."""
    try:
        v = result.feature_values(feature_id)
    except KeyError:
        return None
    layer = v["layer"]
    if "pressure_pa" in v:
        lines = [f"{feature_id} ({layer})", f"Pressure {format_pressure(v['pressure_pa'])}"]
        if not v["supplied"]:
            lines[1] = "No supply 无气"
        if v["demand_nm3h"]:
            lines.append(f"Demand {v['demand_nm3h']:.3g} Nm³/h")
        return "\n".join(lines)
    lines = [
        f"{feature_id} ({layer})",
        f"Flow {v['flow_nm3h']:,.3g} Nm³/h",
        f"Pressure {format_pressure(v['pressure_from_pa'])} → {format_pressure(v['pressure_to_pa'])}",
    ]
    if layer == "pipes":
        lines.insert(2, f"Velocity {abs(v['velocity_ms']):.3g} m/s")
        lines.append(f"Drop {v['dp_per_km_pa'] / 1e3:.3g} kPa/km")
    return "\n".join(lines)
