"""Meters of the open network and its hydraulic state (计量与管网): metering areas, line pack per area, training meters.

A metering area here is a **pressure system** of the solved network (the pipes connected without passing a
regulator), named ``PS<id> <class>`` (``PS0 LP``). Its inflow meters are the gate stations feeding it (``GM-<id>``)
and the regulators whose outlet lies in it (district meters ``DM-<id>``, whose volume is outflow of the area upstream);
its consumption meters are its customers (the ``meter_id`` of the customer, else ``CM-<id>``). Demand the solve put
on other nodes, and customers beyond ``max_customers``, are one aggregate meter per area (``CM-<area>-rest``, not on
the map) so the volumes still add up.

Line pack (Nm³) per area is :func:`console.metering.line_pack_nm3` over the area's pipes (a pipe belongs to the area
of its ``from_node``) with the absolute pressures of the solve at both ends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from console.metering._balance import line_pack_nm3
from console.metering._simulate import MeteringSimulator

__all__ = ["area_label", "area_pipe_rows", "line_pack_by_area", "node_areas", "simulator_from_network"]


def area_label(system_id: int, pressure_class: str) -> str:
    """``PS<id> <class>``: how a pressure system is named as a metering area."""
    return f"PS{int(system_id)} {pressure_class}".strip()


def node_areas(result) -> np.ndarray:
    """The metering area of each node of a :class:`~console.hydraulics.SimulationResult` (aligned with its
    ``node_ids``)."""
    labels = {s.system_id: area_label(s.system_id, s.pressure_class) for s in result.systems}
    system = np.asarray(result.node_system)
    out = np.empty(system.size, dtype=object)
    for sid in np.unique(system):
        out[system == sid] = labels.get(int(sid), area_label(int(sid), ""))
    return out


def _node_index(result, ids) -> np.ndarray:
    return pd.Index(np.asarray(result.node_ids).astype(str)).get_indexer(np.asarray(ids).astype(str))


def _pipe_ends(network, result) -> tuple[np.ndarray, np.ndarray]:
    pipes = network["pipes"]
    return _node_index(result, pipes["from_node"].to_numpy()), _node_index(result, pipes["to_node"].to_numpy())


def area_pipe_rows(network, result, area: str) -> np.ndarray:
    """Rows of the ``pipes`` layer in ``area`` (the area of each pipe's ``from_node``)."""
    a, _ = _pipe_ends(network, result)
    areas = node_areas(result)
    ok = a >= 0
    rows = np.flatnonzero(ok)
    return rows[areas[a[ok]] == area]


def line_pack_by_area(network, result, temperature_k: float = 288.15) -> dict[str, float]:
    """Gas held in each area's pipes (Nm³) in the solved state; pipes whose ends are not in the solve are left out."""
    pipes = network["pipes"]
    a, b = _pipe_ends(network, result)
    ok = (a >= 0) & (b >= 0)
    p_abs = np.asarray(result.node_pressure_abs_pa, float)
    areas = node_areas(result)
    d = pipes["inner_diameter_mm"].to_numpy(float)[ok] / 1000.0
    length = pipes["length_m"].to_numpy(float)[ok]
    pa, pb, pipe_area = p_abs[a[ok]], p_abs[b[ok]], areas[a[ok]]
    out = {}
    for area in sorted(set(areas.tolist())):
        m = pipe_area == area
        out[area] = round(line_pack_nm3(d[m], length[m], pa[m], pb[m], temperature_k), 3) if m.any() else 0.0
    return out


def simulator_from_network(
    start: str,
    network,
    result,
    *,
    max_customers: int = 500,
    leak_nm3h: dict[str, float] | None = None,
    profile_amplitude: float = 0.0,
    key_factory=None,
) -> MeteringSimulator:
    """Training meters of a solved network (see the module docstring): gate, district and customer meters with the
    solve's supplies, regulator flows and demands; ``max_customers`` of the largest customers get their own meter.
    Areas the solve left unsupplied get no meters. ``key_factory(meter_id)`` gives each device its key (default: a
    new random key; the metering service derives them from its training key so they persist across sessions)."""
    sim = MeteringSimulator(start, profile_amplitude=profile_amplitude, key_factory=key_factory)
    areas = node_areas(result)
    supplied = np.asarray(result.node_supplied, bool)
    supply = np.asarray(result.node_supply_nm3h, float)
    demand = np.asarray(result.node_demand_nm3h, float)
    live_areas = sorted(set(areas[supplied].tolist()))

    # inflow points of each area: gate stations (their supply) and regulators (their flow into the outlet side)
    inflows: dict[str, list[tuple[str, str, str, str, float]]] = {a: [] for a in live_areas}  # id, kind, fid, up, q
    gates = network["gate_stations"]
    gi = _node_index(result, gates["id"].to_numpy())
    for gid, i in zip(gates["id"].astype(str), gi, strict=True):
        if i >= 0 and supplied[i]:
            inflows[areas[i]].append((f"GM-{gid}", "gate", gid, "", max(float(supply[i]), 0.0)))
    regs = network["regulators"]
    if len(regs):
        flow = np.asarray(result.link_values("regulators", "flow_nm3h"), float)
        ri, ro = _node_index(result, regs["from_node"].to_numpy()), _node_index(result, regs["to_node"].to_numpy())
        for k, rid in enumerate(regs["id"].astype(str)):
            if ri[k] >= 0 and ro[k] >= 0 and supplied[ro[k]] and areas[ri[k]] != areas[ro[k]]:
                inflows[areas[ro[k]]].append((f"DM-{rid}", "district", rid, areas[ri[k]], max(float(flow[k]), 0.0)))
    for area in live_areas:
        points = inflows[area]
        total = sum(q for *_, q in points)
        for meter_id, kind, fid, upstream, q in points:
            share = q / total if total > 0 else 1.0 / len(points)
            sim.add_inflow(meter_id, area, kind, share=share, station=fid, feature_id=fid, from_area=upstream,
                           party="utility")  # fmt: skip

    # customers: the largest get their own meter; the rest of each area's demand is one aggregate meter
    cust = network["customers"]
    ci = _node_index(result, cust["id"].to_numpy())
    own = cust["meter_id"].astype(str).to_numpy() if "meter_id" in cust else np.full(len(cust), "")
    ids = cust["id"].astype(str).to_numpy()
    keep = np.flatnonzero((ci >= 0) & supplied[np.maximum(ci, 0)])
    keep = keep[np.argsort(-demand[ci[keep]], kind="stable")]
    metered, seen = np.zeros(demand.size, bool), set()
    for k in keep[:max_customers]:
        meter_id = own[k] if own[k] and own[k] not in seen and own[k] not in sim.meters else f"CM-{ids[k]}"
        seen.add(meter_id)
        i = ci[k]
        sim.add_customer(meter_id, areas[i], float(demand[i]), feature_id=ids[k])
        metered[i] = True
    rest = np.where(supplied & ~metered & (demand > 0), demand, 0.0)
    for area in live_areas:
        q = float(rest[areas == area].sum())
        if q > 0:
            sim.add_customer(f"CM-{area.replace(' ', '-')}-rest", area, q)
    for area, q in (leak_nm3h or {}).items():
        sim.set_leak(area, q)
    return sim
