"""Pipe colours for simulation results: pressure, velocity, flow and what-if difference, as pipe classifications.

Each builder returns a :class:`console.ui.map.styles.PipeClassification` (one class per legend bin), so the map,
the layer panel's legend and the simulation dock's legend all read the same classes. Everything is vectorised
over the pipe rows (``np.quantile``, ``np.searchsorted``); only the handful of legend classes are built in Python.

Pressure is binned per pressure class (压力级制): an LP area (kPa) and an MP main (MPa) differ by two orders of
magnitude, so one scale would paint every LP pipe the same colour. Within a class the bins are quantiles of the
pipes' mean pressures (each bin holds about as many pipes), rounded for the legend; pipes below the class's minimum
service pressure get their own red class whatever their class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.hydraulics import SimulationResult
from console.network import GasNetwork, PressureClass
from console.ui.i18n import translate
from console.ui.map.styles import VALUES_STYLE, PipeClassification, StyleClass, classify_values

__all__ = [
    "COLOUR_MODES",
    "Legend",
    "difference_classification",
    "flow_classification",
    "pressure_classification",
    "pressure_ramp",
    "velocity_classification",
]

# Mode key → dock label.
COLOUR_MODES = {  # translated where shown (context "SimulationDock")
    "network": QT_TRANSLATE_NOOP("SimulationDock", "Network style (pressure class …)"),
    "pressure": QT_TRANSLATE_NOOP("SimulationDock", "Pressure"),
    "velocity": QT_TRANSLATE_NOOP("SimulationDock", "Velocity (m/s)"),
    "flow": QT_TRANSLATE_NOOP("SimulationDock", "Flow (Nm³/h)"),
    "difference": QT_TRANSLATE_NOOP("SimulationDock", "Pressure change (what-if)"),
}

# Low pressure warm, high pressure cool; red is kept for "below the minimum service pressure". (dark, light)
_PRESSURE_RAMP = (
    ("#f4a259", "#d35f14"),
    ("#f6d55c", "#b98b00"),
    ("#a8d66a", "#5c9e2e"),
    ("#4fc08d", "#138a6e"),
    ("#3ba7e0", "#1f6fc2"),
)
_BELOW_MIN = ("#ff3b5c", "#d0002a")
_VELOCITY_RAMP = (
    ("#44698f", "#9db4cc"),
    ("#3ba7e0", "#4a86c5"),
    ("#4fc08d", "#1f9e89"),
    ("#a8d66a", "#5c9e2e"),
    ("#f6d55c", "#b98b00"),
    ("#f4a259", "#d35f14"),
    ("#ff3b5c", "#d0002a"),
)
_FLOW_RAMP = (
    ("#44698f", "#9db4cc"),
    ("#2f8fc0", "#4a86c5"),
    ("#21b0a0", "#1f9e89"),
    ("#5ec962", "#35a047"),
    ("#c9e03a", "#8a9e00"),
    ("#fde725", "#c27c00"),
)
_DROP_RAMP = (("#ff3b5c", "#b2182b"), ("#ff7a6b", "#d6604d"), ("#ffab91", "#e8916c"), ("#ffd6c9", "#e3b49c"))
_RISE_RAMP = (("#c6dbef", "#a9c4e0"), ("#86b7e8", "#6f9fd0"), ("#4a90e2", "#2f72b8"), ("#2f5fd0", "#1a4f9c"))
_NO_CHANGE = ("#7d8a98", "#9aa2ab")
_NO_GAS = ("#56606b", "#a3a9b0")
_LOST_GAS = ("#d67bff", "#8e24aa")  # what a what-if is for: who loses gas must stand out from "no change" grey
_N_PRESSURE_BINS = len(_PRESSURE_RAMP)


@dataclass(frozen=True)
class Legend:
    """What the dock's legend shows above the classes: a title with units and a line on how the bins were chosen."""

    title: str
    note: str


def pressure_ramp(n: int, theme: str) -> list[str]:
    """``n`` colours along the pressure ramp (low → high) for ``theme``: contour levels use the pipes' colours."""
    k = 0 if theme == "dark" else 1
    stops = np.array([_hex_rgb(c[k]) for c in _PRESSURE_RAMP], dtype=float)
    t = np.linspace(0.0, len(stops) - 1, max(n, 1))
    lo = np.minimum(np.floor(t).astype(int), len(stops) - 2)
    f = (t - lo)[:, None]
    rgb = stops[lo] * (1 - f) + stops[lo + 1] * f
    return ["#{:02x}{:02x}{:02x}".format(*np.round(c).astype(int)) for c in rgb]


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def unit_of(pressure_class: str) -> tuple[float, str]:
    """Display scale and unit of a class: kPa for LP and MP-B (below 0.2 MPa), MPa above."""
    return (1e3, "kPa") if pressure_class in ("LP", "MP-B") else (1e6, "MPa")


def format_level(pressure_pa: float, pressure_class: str) -> str:
    scale, unit = unit_of(pressure_class)
    return f"{_round_sig(pressure_pa / scale):g} {unit}"


def _round_sig(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}") if np.isfinite(x) and x != 0 else float(x)


def pipe_systems(network: GasNetwork, result: SimulationResult) -> np.ndarray:
    """Pressure class of each pipe row's pressure system (from its from-node); '' where unknown."""
    topo = network.topology
    n = result.n_pipes
    system = result.node_system[topo.link_from[:n]].astype(np.int64)
    classes = {s.system_id: s.pressure_class for s in result.systems}
    lookup = np.array([classes.get(k, "") for k in range(int(system.max(initial=-1)) + 2)], dtype=object)
    return lookup[np.where(system >= 0, system, len(lookup) - 1)]


def pressure_classification(network: GasNetwork, result: SimulationResult) -> tuple[PipeClassification, Legend]:
    """Pipes by mean gauge pressure, binned per pressure class (quantiles), with a below-minimum class."""
    p = result.pipe_pressure_pa
    active = result.link_active[: result.n_pipes] & np.isfinite(p)
    cls_of = pipe_systems(network, result)
    present = sorted({str(c) for c in np.unique(cls_of[active]).tolist() if c}, key=_rank, reverse=True)
    limits = result.request.limits.min_pressure_mpa
    minimum = np.array([limits.get(str(c), 0.0) * 1e6 for c in cls_of.tolist()]) if len(cls_of) else np.zeros(0)
    below = active & (p < minimum)
    codes = np.full(len(p), -1, dtype=np.int64)
    classes: list[StyleClass] = []
    for c in present:
        scale, unit = unit_of(c)
        width = _class_width(c)
        mine = active & ~below & (cls_of == c)
        vals = p[mine]
        if not len(vals):
            continue
        edges = _quantile_edges(vals / scale, _N_PRESSURE_BINS)
        # Highest bin first in the legend: the colours then read top (high, cool) to bottom (low, warm).
        k = np.clip(np.searchsorted(edges, vals / scale, side="right") - 1, 0, len(edges) - 2)
        first = len(classes)
        n_bins = len(edges) - 1
        ramp = _spread(_PRESSURE_RAMP, n_bins)
        for b in reversed(range(n_bins)):
            label = f"{c} {_fmt(edges[b])}–{_fmt(edges[b + 1])} {unit}"
            classes.append(StyleClass(f"{c}:{b}", label, ramp[b], width))
        codes[np.flatnonzero(mine)] = first + (n_bins - 1 - k)
    below_label = translate("SimulationDock", "Below minimum service pressure")
    classes.append(StyleClass("below_min", below_label, _BELOW_MIN, 2.6))
    codes[below] = len(classes) - 1
    classes.append(
        StyleClass(
            "no_gas", translate("SimulationDock", "No gas: closed, cut off or out of service"), _NO_GAS, 1.0, "dot"
        )
    )
    codes[codes < 0] = len(classes) - 1
    mins = ", ".join(f"{c} {format_level(limits.get(c, 0.0) * 1e6, c)}" for c in present)
    legend = Legend(
        translate("SimulationDock", "Pressure (gauge)"),
        translate(
            "SimulationDock",
            "Mean of each pipe's end pressures. Bins per pressure class: quantiles of its pipes (about equal counts). "
            "Red: below the class's minimum service pressure ({minimums}).",
        ).format(minimums=mins),
    )
    return PipeClassification(VALUES_STYLE, tuple(classes), codes.astype(np.int8), legend.title), legend


def velocity_classification(result: SimulationResult) -> tuple[PipeClassification, Legend]:
    """Pipes by mean gas velocity (m/s) in fixed bins up to and beyond the velocity limit."""
    v = np.abs(result.pipe_velocity_ms)
    active = result.link_active[: result.n_pipes]
    limit = max(result.request.limits.max_velocity_ms.values(), default=20.0)
    edges = np.array([0.0, 0.5, 1.0, 2.0, 5.0, 10.0, limit, max(limit * 10, float(np.nanmax(v, initial=0.0)) + 1)])
    edges = np.unique(np.clip(edges, 0.0, None))
    labels = [f"{_fmt(edges[k])}–{_fmt(edges[k + 1])} m/s" for k in range(len(edges) - 2)] + [f"> {_fmt(limit)} m/s"]
    title = translate("SimulationDock", "Velocity (m/s)")
    c = classify_values(np.where(active, v, np.nan), edges, _spread(_VELOCITY_RAMP, len(edges) - 1), labels, title,
                        no_value_label=translate("SimulationDock", "No gas"))  # fmt: skip
    note = translate(
        "SimulationDock", "Mean velocity along each pipe; red above the {limit} m/s limit (noise, erosion)."
    )
    return c, Legend(title, note.format(limit=_fmt(limit)))


def flow_classification(result: SimulationResult) -> tuple[PipeClassification, Legend]:
    """Pipes by |flow| (Nm³/h, base conditions) in decades: flows span five orders from service lines to mains."""
    q = np.abs(result.pipe_flow_nm3h)
    active = result.link_active[: result.n_pipes] & (q > 1e-6)
    top = float(np.max(q[active], initial=1.0))
    hi = max(1, int(np.ceil(np.log10(max(top, 1.0)))))
    edges = np.array([0.0, *[10.0**e for e in range(0, hi + 1)]])
    edges[-1] = max(edges[-1], top)
    edges = edges[-(len(_FLOW_RAMP) + 1) :] if len(edges) > len(_FLOW_RAMP) + 1 else edges
    edges[0] = 0.0
    labels = [f"{_fmt(edges[k])}–{_fmt(edges[k + 1])} Nm³/h" for k in range(len(edges) - 1)]
    title = translate("SimulationDock", "Flow (Nm³/h)")
    c = classify_values(np.where(active, q, np.nan), edges, _spread(_FLOW_RAMP, len(edges) - 1), labels, title,
                        width_px=1.8, no_value_label=translate("SimulationDock", "No flow"))  # fmt: skip
    note = translate("SimulationDock", "|Flow| at base conditions ({base}), decade bins.")
    return c, Legend(title, note.format(base=result.request.gas.base_label))


def difference_classification(base: SimulationResult, scenario: SimulationResult) -> tuple[PipeClassification, Legend]:
    """Pipes by scenario − base mean pressure (kPa): falls red, rises blue, losing gas grey; symmetric bins."""
    n = base.n_pipes
    dp = scenario.pipe_pressure_pa - base.pipe_pressure_pa
    active = scenario.link_active[:n] & base.link_active[:n] & np.isfinite(dp)
    big = float(np.max(np.abs(dp[active]), initial=0.0))
    m = _nice_ceiling(max(big, 10.0))
    small = max(5.0, 0.01 * m)  # changes below this are read as none
    neg = [e for e in (-m, -0.5 * m, -0.2 * m, -0.05 * m) if e < -small]
    edges = np.array([*neg, -small, small, *[-e for e in reversed(neg)]])
    span = translate("SimulationDock", "{low} to {high} kPa")
    labels = [span.format(low=_fmt(a / 1e3), high=_fmt(b / 1e3)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    labels[len(neg)] = translate("SimulationDock", "No change (±{band} kPa)").format(band=_fmt(small / 1e3))
    colours = [*_DROP_RAMP[: len(neg)], _NO_CHANGE, *_RISE_RAMP[len(_RISE_RAMP) - len(neg) :]]
    title = translate("SimulationDock", "Pressure change (scenario − base, kPa)")
    c = classify_values(np.where(active, dp, np.nan), edges, colours, labels, title, width_px=2.0,
                        no_value_label=translate("SimulationDock", "No gas in the scenario"), no_value_colors=_LOST_GAS,
                        no_value_width_px=2.2)  # fmt: skip
    closed = ", ".join(scenario.request.closed[:6]) + (" …" if len(scenario.request.closed) > 6 else "")
    note = translate("SimulationDock", "Closed: {valves}. Falls red, rises blue; purple dotted pipes lose their gas.")
    return c, Legend(title, note.format(valves=closed))


# -- helpers ----------------------------------------------------------------------------------------------------------
def _rank(pressure_class: str) -> int:
    try:
        return PressureClass(pressure_class).rank
    except ValueError:
        return -1


def _class_width(pressure_class: str) -> float:
    return {"LP": 1.6, "MP-B": 2.2}.get(pressure_class, 2.8)


def _spread(ramp: tuple, n: int) -> list:
    """``n`` colours picked evenly from a ramp (all of it when ``n`` equals its length)."""
    idx = np.round(np.linspace(0, len(ramp) - 1, max(n, 1))).astype(int)
    return [ramp[i] for i in idx]


def _quantile_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Up to ``n_bins`` quantile bins, edges rounded to 3 significant figures, strictly increasing."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-9 * max(abs(hi), 1.0):
        return np.array([_round_sig(lo), _round_sig(lo) + max(abs(lo) * 1e-3, 1e-6)])
    q = np.quantile(values, np.linspace(0, 1, n_bins + 1))
    inner = np.array([_round_sig(v) for v in q[1:-1]])
    edges = np.unique(np.concatenate([[lo], inner[(inner > lo) & (inner < hi)], [hi]]))
    edges[0] = np.floor(lo * 1000) / 1000 if lo > 0 else lo
    edges[-1] = np.ceil(hi * 1000) / 1000
    return edges


def _nice_ceiling(x: float) -> float:
    exp = 10.0 ** np.floor(np.log10(x))
    return float(next(m * exp for m in (1.0, 2.0, 5.0, 10.0) if m * exp >= x))


def _fmt(x: float) -> str:
    """Short legend number: 3 significant figures, no trailing zeros, a real minus sign."""
    text = f"{_round_sig(float(x)):,.6g}" if abs(x) >= 1000 else f"{_round_sig(float(x)):g}"
    return text.replace("-", "−")
