"""From a solved state to a :class:`SimulationResult`: pressures, velocities, regulator states, pressure systems,
unsupplied parts and the checks (violations), all as arrays aligned with the network."""

from __future__ import annotations

from typing import Any

import numpy as np

from console.hydraulics._model import CLASS_CODES, components
from console.hydraulics._types import (
    ConvergenceInfo,
    RegulatorState,
    SimulationResult,
    SystemSummary,
    UnsuppliedPart,
    Violation,
    format_pressure,
)
from console.network import NODE_LAYERS, GasNetwork, PressureClass

__all__ = ["build_result"]

ACTIVE, OPEN, CLOSED, REQ_CLOSED = 0, 1, 2, 3
Q_TOL_NM3H = 1e-4
_CUSTOMER = NODE_LAYERS.index("customers")
_GATE = NODE_LAYERS.index("gate_stations")


def _split(values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Group ``values`` by ``keys``: (unique keys, list of value arrays)."""
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    uniq, start = np.unique(k, return_index=True)
    return uniq, np.split(v, start[1:]) if len(v) else []


def _extreme(values: np.ndarray, groups: np.ndarray, n: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per group the min (or max) of ``values`` and the index where it first occurs (−1 for empty groups; a group
    with no finite value gives NaN at its first index). One pass of ufunc.at, no sort: a million nodes in ~50 ms.

    >>> _extreme(np.array([3.0, 1.0, np.nan, 1.0, 5.0]), np.array([0, 0, 1, 0, 2]), 4, largest=False)
    (array([ 1., nan,  5., nan]), array([ 1,  2,  4, -1]))
    """
    best = np.full(n, np.nan)
    where = np.full(n, -1, dtype=np.int64)
    if not len(values):
        return best, where
    index = np.arange(len(values), dtype=np.int64)
    finite = np.isfinite(values)
    extreme = np.full(n, -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(extreme, groups[finite], values[finite])
    hit = finite & (values == extreme[groups])
    none = len(values)
    first_hit = np.full(n, none, dtype=np.int64)
    np.minimum.at(first_hit, groups[hit], index[hit])
    first_any = np.full(n, none, dtype=np.int64)
    np.minimum.at(first_any, groups, index)
    pick = np.where(first_hit < none, first_hit, first_any)
    present = pick < none
    where[present] = pick[present]
    best[present] = values[pick[present]]
    return best, where


def build_result(network: GasNetwork, s: Any, r: Any, mode: np.ndarray, pi_group: np.ndarray, flow: np.ndarray,
                 supply: np.ndarray, conservation: np.ndarray, sol: Any, *, iterations: int, rounds: int,
                 history: list, seconds: float) -> SimulationResult:  # fmt: skip
    a, gas, req = s.arrays, s.gas, s.request
    g = r.group
    supplied = r.supplied[g]
    p_abs = np.where(supplied, np.sqrt(np.maximum(np.nan_to_num(pi_group[g]) * r.node_factor, 0.0)), s.p_atm)
    p_gauge = np.where(supplied, p_abs - s.p_atm, 0.0)
    flow_h = flow * 3600.0
    lf, lt = a.link_from, a.link_to

    # Pipes: velocity at the mean pressure, pressure drop per km.
    n_p = a.n_pipes
    velocity = np.zeros(a.n_links)
    dp_km = np.zeros(a.n_links)
    solved = np.zeros(a.n_links, dtype=bool)
    solved[s.res_pipes[r.pipe_mask]] = True
    pipes = np.flatnonzero(solved[:n_p])
    p1, p2 = p_abs[lf[pipes]], p_abs[lt[pipes]]
    pm = 2.0 / 3.0 * (p1 + p2 - p1 * p2 / (p1 + p2))
    area = np.pi / 4.0 * a.pipe_diameter_m[pipes] ** 2
    factor = gas.base_pressure_pa / pm * gas.temperature_k / gas.base_temperature_k * gas.z(pm)
    velocity[pipes] = np.abs(flow[pipes]) * factor / area
    length_km = a.pipe_length_m[pipes] / 1000.0
    dp_km[pipes] = np.where(length_km > 0, np.abs(p1 - p2) / np.maximum(length_km, 1e-12), 0.0)

    active = solved.copy()
    active[r.zero_links] = supplied[lf[r.zero_links]]
    active[a.reg_links[r.lead]] = supplied[lf[a.reg_links[r.lead]]]

    # Regulator states.
    regs = a.reg_links
    q_reg = flow_h[regs]
    inlet_ok = supplied[lf[regs]]
    state = np.full(len(regs), RegulatorState.ACTIVE.value, dtype=object)
    state[~inlet_ok] = RegulatorState.UNSUPPLIED.value
    cap = a.reg_capacity_nm3h
    loading = np.where(np.isfinite(cap) & (cap > 0), q_reg / np.where(cap > 0, cap, 1.0), np.nan)
    lead_ok = r.lead & inlet_ok
    state[lead_ok & (np.abs(q_reg) <= Q_TOL_NM3H)] = RegulatorState.NO_FLOW.value
    state[lead_ok & (loading > 1.0)] = RegulatorState.CAPACITY_EXCEEDED.value
    state[(mode == OPEN) & inlet_ok] = RegulatorState.PASS_THROUGH.value
    labelled = (mode == ACTIVE) & (r.label != "")
    state[labelled] = r.label[labelled]
    state[(mode == CLOSED) | (mode == REQ_CLOSED)] = RegulatorState.CLOSED.value

    systems = _systems(s, r, supplied, p_gauge, state)
    unsupplied = _unsupplied_parts(s, supplied, mode)
    violations = _violations(s, p_gauge, supplied, velocity, solved, state, loading, q_reg, supply * 3600.0)
    info = ConvergenceInfo(
        converged=True,
        iterations=iterations,
        regulator_rounds=rounds,
        flow_residual_nm3h=sol.flow_residual * 3600.0,
        pressure_residual_pa=sol.pressure_residual,
        conservation_max_nm3h=float(np.max(np.abs(conservation), initial=0.0)) * 3600.0,
        solve_seconds=seconds,
        history=tuple(history),
    )
    return SimulationResult(
        network_name=network.name,
        network_version=network.version,
        request=req,
        node_ids=a.node_ids,
        node_layer=a.node_layer,
        node_pressure_pa=p_gauge,
        node_pressure_abs_pa=p_abs,
        node_supplied=supplied,
        node_system=s.system.astype(np.int32),
        node_demand_nm3h=s.demand_nm3h,
        node_supply_nm3h=supply * 3600.0,
        node_conservation_nm3h=conservation * 3600.0,
        link_ids=a.link_ids,
        link_layer=a.link_layer,
        link_flow_nm3h=flow_h,
        link_velocity_ms=velocity,
        link_pressure_from_pa=p_gauge[lf],
        link_pressure_to_pa=p_gauge[lt],
        link_dp_per_km_pa=dp_km,
        link_active=active,
        regulator_state=state.astype(str),
        regulator_loading=loading,
        systems=systems,
        unsupplied=unsupplied,
        violations=violations,
        convergence=info,
        n_pipes=n_p,
        warnings=list(s.warnings),
    )


def _systems(s: Any, r: Any, supplied: np.ndarray, p_gauge: np.ndarray, state: np.ndarray) -> list[SystemSummary]:
    a = s.arrays
    system = s.system
    n_sys = int(system.max()) + 1 if len(system) else 0
    n_nodes = np.bincount(system, minlength=n_sys)
    act = np.flatnonzero(s.pipe_active)
    n_pipes = np.bincount(system[a.link_from[act]], minlength=n_sys)
    has_gate = np.zeros(n_sys, dtype=bool)
    has_gate[system[a.gate_nodes]] = True
    any_supplied = np.bincount(system, weights=supplied.astype(float), minlength=n_sys) > 0
    demand = np.bincount(system, weights=s.demand_nm3h, minlength=n_sys)
    idx = np.flatnonzero(supplied)
    lo, lo_at = _extreme(p_gauge[idx], system[idx], n_sys, largest=False)
    hi, hi_at = _extreme(p_gauge[idx], system[idx], n_sys, largest=True)
    feeders = np.concatenate([a.gate_nodes, a.link_to[a.reg_links]])
    feeder_ids = np.concatenate([a.node_ids[a.gate_nodes], a.link_ids[a.reg_links]])
    feeding = np.concatenate(
        [np.ones(len(a.gate_nodes), bool), np.isin(state, ["active", "capacity_exceeded", "no_flow", "pass_through"])]
    )
    fed_keys, fed_lists = _split(feeder_ids[feeding], system[feeders[feeding]])
    fed = dict(zip(fed_keys.tolist(), fed_lists, strict=True))
    out = []
    for k in np.flatnonzero((n_pipes > 0) | has_gate).tolist():
        rank = int(s.system_rank[k])
        found = lo_at[k] >= 0
        out.append(
            SystemSummary(
                system_id=k,
                pressure_class=str(CLASS_CODES[rank]) if rank >= 0 else "",
                n_nodes=int(n_nodes[k]),
                n_pipes=int(n_pipes[k]),
                supplied=bool(any_supplied[k]),
                min_pressure_pa=float(lo[k]) if found else 0.0,
                min_node_id=str(a.node_ids[idx[lo_at[k]]]) if found else "",
                max_pressure_pa=float(hi[k]) if found else 0.0,
                max_node_id=str(a.node_ids[idx[hi_at[k]]]) if found else "",
                demand_nm3h=float(demand[k]),
                fed_by=tuple(str(x) for x in fed.get(k, np.zeros(0)).tolist()),
            )
        )
    return out


def _unsupplied_parts(s: Any, supplied: np.ndarray, mode: np.ndarray) -> list[UnsuppliedPart]:
    a = s.arrays
    if supplied.all():
        return []
    lf, lt = a.link_from, a.link_to
    links = np.concatenate([np.flatnonzero(s.pipe_active), s.static_zero, a.reg_links[mode != REQ_CLOSED]])
    inside = ~supplied[lf[links]] & ~supplied[lt[links]]
    comp = components(a.n_nodes, lf[links[inside]], lt[links[inside]])
    nodes = np.flatnonzero(~supplied)
    keys, node_groups = _split(nodes, comp[nodes])
    act = np.flatnonzero(s.pipe_active)
    act = act[~supplied[lf[act]]]
    pipe_keys, pipe_groups = _split(act, comp[lf[act]])
    pipes_of = dict(zip(pipe_keys.tolist(), pipe_groups, strict=True))
    # Closed links on the border: valves, links and regulators with exactly one end in the part.
    open_links = np.zeros(a.n_links, dtype=bool)
    open_links[links] = True
    open_links[: a.n_pipes] |= ~a.pipe_in_service  # out-of-service pipes are not "closed" devices
    shut = np.flatnonzero(~open_links)
    end_in = np.where(~supplied[lf[shut]], lf[shut], lt[shut])
    border = supplied[lf[shut]] != supplied[lt[shut]]
    b_keys, b_groups = _split(shut[border], comp[end_in[border]])
    border_of = dict(zip(b_keys.tolist(), b_groups, strict=True))
    out = []
    for key, members in zip(keys.tolist(), node_groups, strict=True):
        cust = members[a.node_layer[members] == _CUSTOMER]
        out.append(
            UnsuppliedPart(
                node_ids=tuple(a.node_ids[members].tolist()),
                customer_ids=tuple(a.node_ids[cust].tolist()),
                pipe_ids=tuple(a.link_ids[pipes_of.get(key, np.zeros(0, np.int64))].tolist()),
                demand_nm3h=float(s.demand_nm3h[members].sum()),
                closed_boundary_ids=tuple(a.link_ids[border_of.get(key, np.zeros(0, np.int64))].tolist()),
            )
        )
    out.sort(key=lambda p: (-p.demand_nm3h, -len(p.node_ids)))
    return out


def _violations(s: Any, p_gauge: np.ndarray, supplied: np.ndarray, velocity: np.ndarray, solved: np.ndarray,
                state: np.ndarray, loading: np.ndarray, q_reg: np.ndarray, supply_h: np.ndarray) -> list[Violation]:  # fmt: skip
    a, limits = s.arrays, s.request.limits
    out: list[Violation] = []
    layer_names = np.array(NODE_LAYERS, dtype=object)
    classes = CLASS_CODES[np.maximum(s.node_rank, 0)]
    min_pa = (
        np.array([limits.min_pressure_mpa.get(c, 0.0) for c in CLASS_CODES.tolist()])[np.maximum(s.node_rank, 0)] * 1e6
    )
    check = supplied & (s.node_rank >= 0) & (a.node_layer != _GATE)
    for i in np.flatnonzero(check & (p_gauge < 0)).tolist():
        out.append(Violation("below_atmospheric", "error", str(a.node_ids[i]), str(layer_names[a.node_layer[i]]), float(p_gauge[i]), 0.0, "Pa",
                             f"{a.node_ids[i]}: {format_pressure(p_gauge[i])} gauge, below atmospheric (air would enter)"))  # fmt: skip
    for i in np.flatnonzero(check & (p_gauge >= 0) & (p_gauge < min_pa)).tolist():
        out.append(Violation("low_pressure", "error", str(a.node_ids[i]), str(layer_names[a.node_layer[i]]), float(p_gauge[i]), float(min_pa[i]), "Pa",
                             f"{a.node_ids[i]}: {format_pressure(p_gauge[i])}, below the {classes[i]} minimum {format_pressure(min_pa[i])}"))  # fmt: skip
    design = np.maximum(s.node_design_rank, 0)
    upper = np.array([PressureClass(c).range_mpa[1] for c in CLASS_CODES.tolist()])[design] * 1e6
    high = supplied & (s.node_design_rank >= 0) & (a.node_layer != _GATE) & (p_gauge > upper * (1.0 + 1e-9))
    for i in np.flatnonzero(high).tolist():
        out.append(Violation("high_pressure", "error", str(a.node_ids[i]), str(layer_names[a.node_layer[i]]), float(p_gauge[i]), float(upper[i]), "Pa",
                             f"{a.node_ids[i]}: {format_pressure(p_gauge[i])}, above the {CLASS_CODES[design[i]]} design range (≤ {format_pressure(upper[i])})"))  # fmt: skip
    n_p = a.n_pipes
    vmax = np.array([limits.max_velocity_ms.get(c, np.inf) for c in CLASS_CODES.tolist()])[a.pipe_class_rank]
    for i in np.flatnonzero(solved[:n_p] & (velocity[:n_p] > vmax)).tolist():
        out.append(Violation("high_velocity", "warning", str(a.link_ids[i]), "pipes", float(velocity[i]), float(vmax[i]), "m/s",
                             f"{a.link_ids[i]}: {velocity[i]:.1f} m/s above {vmax[i]:g} m/s"))  # fmt: skip
    rid = a.link_ids[a.reg_links]
    for k in np.flatnonzero(loading > 1.0).tolist():
        out.append(Violation("regulator_capacity", "error", str(rid[k]), "regulators", float(q_reg[k]), float(a.reg_capacity_nm3h[k]), "Nm3/h",
                             f"{rid[k]}: {q_reg[k]:.1f} Nm³/h exceeds its capacity {a.reg_capacity_nm3h[k]:g} Nm³/h"))  # fmt: skip
    for k in np.flatnonzero(state == RegulatorState.BYPASSED.value).tolist():
        out.append(Violation("regulator_bypassed", "error", str(rid[k]), "regulators", 0.0, 0.0, "",
                             f"{rid[k]}: inlet and outlet joined by an open valve or link; the outlet side sees inlet pressure"))  # fmt: skip
    for k in np.flatnonzero(state == RegulatorState.PASS_THROUGH.value).tolist():
        set_pa = a.reg_set_mpa[k] * 1e6
        p_in = p_gauge[a.link_from[a.reg_links[k]]]
        out.append(Violation("regulator_pass_through", "warning", str(rid[k]), "regulators", float(p_in), float(set_pa), "Pa",
                             f"{rid[k]}: inlet {format_pressure(p_in)} below its set point {format_pressure(set_pa)}; passing through"))  # fmt: skip
    cap = a.gate_capacity_nm3h
    gate_supply = supply_h[a.gate_nodes]
    for k in np.flatnonzero(np.isfinite(cap) & (gate_supply > cap)).tolist():
        gid = a.node_ids[a.gate_nodes[k]]
        out.append(Violation("gate_capacity", "error", str(gid), "gate_stations", float(gate_supply[k]), float(cap[k]), "Nm3/h",
                             f"{gid}: supplies {gate_supply[k]:.1f} Nm³/h, above its capacity {cap[k]:g} Nm³/h"))  # fmt: skip
    lost = np.flatnonzero(~supplied & (a.node_layer == _CUSTOMER) & (s.demand_nm3h > 0))
    for i in lost.tolist():
        out.append(Violation("unsupplied", "error", str(a.node_ids[i]), "customers", float(s.demand_nm3h[i]), 0.0, "Nm3/h",
                             f"{a.node_ids[i]}: no path from a gate station; {s.demand_nm3h[i]:.2f} Nm³/h not served"))  # fmt: skip
    out.sort(key=lambda v: (v.severity != "error", v.kind, v.value))
    return out
