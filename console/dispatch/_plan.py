"""What an incident's plan means beyond the valves (关阀调压方案): its pressure effect outside the shut-off region,
outages that overlap, calls near an open incident, confirmation of a closed valve by telemetry, place search.

>>> confirm_by_pressure(baseline_pa=2500.0, now_pa=900.0, elapsed_s=60, timeout_s=600)
'confirmed'
>>> confirm_by_pressure(2500.0, 2400.0, elapsed_s=60, timeout_s=600), confirm_by_pressure(2500.0, 2400.0, 700, 600)
('pending', 'warning')
>>> overlapping({"A": {"C-1", "C-2"}, "B": {"C-2", "C-3"}, "C": {"C-9"}})
[('A', 'B', 1)]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "PressureEffect",
    "confirm_by_pressure",
    "EFFECT_TEMPLATES",
    "infeasible_effect",
    "nearby_incidents",
    "overlapping",
    "place_index",
    "pressure_effect",
    "search_places",
]

# out of control in the scenario but still fed (an unsupplied regulator sits in the outage and cannot help)
HELPFUL_STATES = {"pass_through", "capacity_exceeded"}

# The English notes and advice of a pressure effect; the UI translates them (context "DispatchPlan").
_RAISE_OR_BYPASS = QT_TRANSLATE_NOOP("DispatchPlan", "{before} → {after}: raise its set point or open its bypass")
_NEAREST = QT_TRANSLATE_NOOP("DispatchPlan", "{distance} m from the low-pressure customers: raise its set point")
NOT_SOLVED = QT_TRANSLATE_NOOP("DispatchPlan", "hydraulic what-if not solved: {why}")
WHOLE_NETWORK = QT_TRANSLATE_NOOP("DispatchPlan", "whole network solved: {reason}")
EFFECT_TEMPLATES = (_RAISE_OR_BYPASS, _NEAREST, NOT_SOLVED, WHOLE_NETWORK)


@dataclass(frozen=True)
class PressureEffect:
    """Customers outside the shut-off region that would fall below their service pressure with the plan's valves
    closed, and the regulators whose set point or bypass could keep them supplied."""

    low_customers: tuple[str, ...]
    unsupplied_outside: tuple[str, ...]
    regulators: tuple[tuple[str, str], ...]  # (regulator id, what to do)
    max_drop_pa: float
    solved: bool = True
    note: str = ""
    # When the what-if is infeasible (the closure leaves a pressure system unable to carry its demand): the
    # systems ("#104 MP-A"), the demand they cannot deliver, the pipes with the largest pressure drops (id, Nm³/h)
    # and the nodes where pressure would collapse (lowest first).
    infeasible: bool = False
    systems: tuple[str, ...] = ()
    demand_nm3h: float = 0.0
    bottlenecks: tuple[tuple[str, float], ...] = ()
    collapsed_nodes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = {"low_customers": list(self.low_customers), "unsupplied_outside": list(self.unsupplied_outside),
             "regulators": [list(r) for r in self.regulators], "max_drop_pa": self.max_drop_pa,
             "solved": self.solved, "note": self.note}  # fmt: skip
        if self.infeasible:
            d.update(
                infeasible=True,
                systems=list(self.systems),
                demand_nm3h=self.demand_nm3h,
                bottlenecks=[list(b) for b in self.bottlenecks],
                collapsed_nodes=list(self.collapsed_nodes),
            )
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> PressureEffect:
        return cls(tuple(d["low_customers"]), tuple(d["unsupplied_outside"]),
                   tuple(tuple(r) for r in d["regulators"]), float(d["max_drop_pa"]), bool(d.get("solved", True)),
                   str(d.get("note", "")), bool(d.get("infeasible", False)), tuple(d.get("systems", ())),
                   float(d.get("demand_nm3h", 0.0)), tuple((str(p), float(q)) for p, q in d.get("bottlenecks", ())),
                   tuple(d.get("collapsed_nodes", ())))  # fmt: skip


_DEMAND = re.compile(r"the ([\d,.]+) Nm³/h of demand supplied through pressure system\(s\) \[([^\]]*)\] \(([^)]*)\)")
_BOTTLENECK = re.compile(r"([^\s,(]+) \(([\d,.]+) Nm³/h\)")


def infeasible_effect(exc) -> PressureEffect:
    """The pressure effect of a plan whose what-if is infeasible (``exc``: console.hydraulics.InfeasibleError):
    with its valves closed a pressure system cannot carry its demand at all (pressure would fall below zero
    absolute). That is a finding for the commander, not a failure to compute: the systems, the demand, the
    bottleneck pipes and the collapsing nodes are taken from the error; ``note`` keeps its full text.

    >>> class E(Exception):
    ...     node_ids, system_ids = ["J-2", "J-1"], [4]
    >>> e = infeasible_effect(E("infeasible: the 1,250.5 Nm³/h of demand supplied through pressure system(s) [4] "
    ...     "(MP-A) cannot be delivered from their supply pressure — pipes too small, supply too low or demand too "
    ...     "high; the largest pressure drops are in pipes P-9 (1,200 Nm³/h), P-8 (50 Nm³/h); pressure would fall "
    ...     "below zero absolute at J-2, J-1"))
    >>> e.infeasible, e.solved, e.systems, e.demand_nm3h, e.bottlenecks, e.collapsed_nodes
    (True, False, ('#4 MP-A',), 1250.5, (('P-9', 1200.0), ('P-8', 50.0)), ('J-2', 'J-1'))
    """
    text = str(exc)
    systems = [int(s) for s in getattr(exc, "system_ids", ())]
    demand, classes = 0.0, []
    m = _DEMAND.search(text)
    if m:
        demand = float(m[1].replace(",", ""))
        classes = [c.strip() for c in m[3].split(",")]
    # one class per system when they match up, else the classes after the system numbers
    if len(classes) == len(systems):
        names = tuple(f"#{s} {c}" for s, c in zip(systems, classes, strict=True))
    else:
        names = tuple(f"#{s}" for s in systems) + tuple(classes)
    bottlenecks: tuple[tuple[str, float], ...] = ()
    head, sep, tail = text.partition("the largest pressure drops are in pipes ")
    if sep:
        tail = tail.split("; pressure would fall")[0]
        bottlenecks = tuple((p, float(q.replace(",", ""))) for p, q in _BOTTLENECK.findall(tail))
    return PressureEffect((), (), (), 0.0, solved=False, note=text, infeasible=True, systems=names,
                          demand_nm3h=demand, bottlenecks=bottlenecks,
                          collapsed_nodes=tuple(getattr(exc, "node_ids", ())))  # fmt: skip


def pressure_effect(diff, outage_customers: Iterable[str], regulator_xy: Mapping[str, tuple[float, float]],
                    customer_xy: Mapping[str, tuple[float, float]]) -> PressureEffect:  # fmt: skip
    """From a hydraulic what-if's ``diff`` (console.hydraulics.ResultDiff): who *outside* the outage falls below
    service pressure, and which regulators could help: those the scenario drives out of control (pass-through,
    over capacity, unsupplied), else the two nearest the low customers (raise the set point or open the bypass)."""
    outage = set(outage_customers)
    low = tuple(c for c in diff.low_pressure_customer_ids if c not in outage)
    unsupplied = tuple(c for c in diff.newly_unsupplied_customer_ids if c not in outage)
    regs: list[tuple[str, str]] = []
    for rid, before, after in diff.regulator_changes:
        if after in HELPFUL_STATES and before not in HELPFUL_STATES | {"unsupplied", "closed"}:
            regs.append((rid, _RAISE_OR_BYPASS.format(before=before, after=after)))
    if (low or unsupplied) and not regs and regulator_xy:
        pts = np.array([customer_xy[c] for c in (*low, *unsupplied) if c in customer_xy] or [[np.nan, np.nan]])
        cx, cy = np.nanmean(pts, axis=0)
        ids = list(regulator_xy)
        d = np.array([math.hypot(regulator_xy[r][0] - cx, regulator_xy[r][1] - cy) for r in ids])
        for k in np.argsort(d)[:2]:
            regs.append((ids[k], _NEAREST.format(distance=f"{d[k]:.0f}")))
    return PressureEffect(low, unsupplied, tuple(regs), float(diff.max_drop_pa))


def confirm_by_pressure(baseline_pa: float, now_pa: float, elapsed_s: float, timeout_s: float,
                        expected_fall: float = 0.5) -> str:  # fmt: skip
    """``confirmed`` when the pressure downstream has fallen by at least ``expected_fall`` of its baseline (the plan
    predicts the isolated section empties), ``warning`` when it has not within ``timeout_s``, else ``pending``."""
    if baseline_pa > 0 and now_pa <= baseline_pa * (1.0 - expected_fall):
        return "confirmed"
    return "warning" if elapsed_s >= timeout_s else "pending"


def overlapping(customers: Mapping[str, set[str]]) -> list[tuple[str, str, int]]:
    """Pairs of incidents whose outages share customers, with how many (each pair once, sorted)."""
    ids = sorted(customers)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            n = len(customers[a] & customers[b])
            if n:
                out.append((a, b, n))
    return out


def nearby_incidents(incidents: Iterable[tuple[str, float, float, float]], x: float, y: float, t: float,
                     radius_m: float = 300.0, window_s: float = 7200.0) -> list[str]:  # fmt: skip
    """Open incidents ``(id, x, y, opened epoch s)`` within ``radius_m`` and ``window_s`` of a new call, nearest
    first: the call is offered to join one of them instead of opening a duplicate."""
    hits = []
    for iid, ix, iy, it in incidents:
        d = math.hypot(ix - x, iy - y)
        if d <= radius_m and abs(t - it) <= window_s:
            hits.append((d, iid))
    return [iid for _, iid in sorted(hits)]


def place_index(network) -> list[tuple[str, str, str, float, float]]:
    """Places to search for where a caller is: (name, feature id, layer, x, y) of every named node feature
    (customers by name, regulator stations and boxes, gate stations, sensors), every street (its middle) and every
    customer's address, streets and addresses derived from the mains (“金浦调压箱”, “桃湾路”, “桃湾路18号”)."""

    def build():
        out = []
        for layer in ("gate_stations", "regulators", "customers", "sensors", "junctions"):
            frame = network[layer]
            if not len(frame) or "name" not in frame:
                continue
            names = frame["name"].astype(str).to_numpy()
            named = np.flatnonzero(names != "")
            if not len(named):
                continue
            geom = frame.geometry.to_numpy()[named]
            import shapely

            cent = shapely.centroid(geom)
            xs, ys = shapely.get_x(cent), shapely.get_y(cent)
            ids = frame["id"].astype(str).to_numpy()[named]
            out += [(names[k], ids[j], layer, float(xs[j]), float(ys[j])) for j, k in enumerate(named)]
        out += _streets_and_addresses(network)
        return out

    return network.cached("dispatch.places", build)


def _streets_and_addresses(network) -> list[tuple[str, str, str, float, float]]:
    """Streets (at their middle) and customer addresses (``桃湾路18号 (18 Taowan Lu)``) derived from the mains
    (:func:`console.network.derive_addresses`, shared with the search bar's cache)."""
    import shapely

    from console.network import derive_addresses

    if not len(network["pipes"]):
        return []
    a = network.cached("addresses", lambda: derive_addresses(network))
    out = []
    if len(a):
        mid = shapely.line_interpolate_point(np.asarray(a.line, dtype=object), 0.5, normalized=True)
        xs, ys = shapely.get_x(mid), shapely.get_y(mid)
        out += [(a.label(i), str(a.name[i]), "streets", float(xs[i]), float(ys[i])) for i in range(len(a))]
    cus = network["customers"]
    if len(cus) and len(a.customer_street) == len(cus):
        addresses = a.customer_addresses()
        ids = cus["id"].astype(str).to_numpy()
        xs, ys = shapely.get_x(cus.geometry.array), shapely.get_y(cus.geometry.array)
        out += [
            (addresses[i], ids[i], "customers", float(xs[i]), float(ys[i])) for i in np.flatnonzero(addresses != "")
        ]
    return out


def search_places(network, text: str, limit: int = 20) -> list[tuple[str, str, str, float, float]]:
    """Places whose name or id contains ``text`` (case-insensitive), exact id first."""
    text = text.strip().lower()
    if not text:
        return []
    hits = [p for p in place_index(network) if text in p[0].lower() or text == p[1].lower()]
    hits.sort(key=lambda p: (p[1].lower() != text, len(p[0]), p[0]))
    return hits[:limit]
