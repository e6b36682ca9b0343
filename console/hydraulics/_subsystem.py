"""A what-if solved only in the pressure systems it touches (局部水力计算), warm-started from the base case.

Regulators decouple pressure systems: a regulator holding its set point fixes its outlet side whatever its inlet
does (as long as the inlet stays above the set point), and passes whatever the outlet side draws. So when links are
closed in one system, the systems it feeds keep their solution unless their regulator leaves its state, and the
systems that feed it see only a change of what their regulator passes. :func:`what_if_local` therefore solves

* the systems holding the closed links, joined with every system coupled to them through a regulator standing wide
  open in the base case (pass-through, bypassed);
* with each *feeding* regulator's inlet held at its base pressure (a fixed-pressure source there), and each *fed*
  regulator replaced by its base flow drawn at its inlet;

and then checks those assumptions on the answer, adding systems and solving again where they fail: a system fed
from the solved part whose regulator would change state (inlet below its set point, or unsupplied) is added, and so
is a feeding system from which the solved part now draws *more* (its pressures would fall). A feeding system from
which the solved part draws less or the same is left as it is: with fixed-pressure sources and monotone pipe laws
less demand raises every pressure upstream, so it can gain no low-pressure customer and lose no supply. What is
reported (the diff over the re-solved nodes and links) is therefore the full what-if's answer for the questions an
outage asks: who newly falls below service pressure or loses supply, the largest pressure fall, and which
regulators change state in the solved part. When the re-solved part grows past ``max_fraction`` of the network, or
a regulator upstream stands closed by back-pressure (a rise upstream could open it), the whole network is solved
instead (:func:`~console.hydraulics.what_if` with the base as warm start) and ``full`` says so.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace

import numpy as np

from console.errors import UnknownFeatureError
from console.hydraulics._diff import ResultDiff, diff_results
from console.hydraulics._errors import HydraulicsError
from console.hydraulics._model import ModelArrays, model_arrays
from console.hydraulics._setup import ACTIVE, OPEN, REQ_CLOSED, Setup
from console.hydraulics._simulate import P_TOL_PA, regulator_rounds, what_if
from console.hydraulics._solver import single_threaded_blas
from console.hydraulics._types import SimulationRequest, SimulationResult
from console.network import LINK_LAYERS, GasNetwork

__all__ = ["LocalWhatIf", "what_if_local"]

_WIDE_OPEN = ("pass_through", "bypassed")


@dataclass(eq=False)
class LocalWhatIf:
    """The answer of :func:`what_if_local`.

    ``scenario`` and ``diff`` cover the re-solved nodes (``node_index`` into the network's topology order) and
    links (``link_index``), unless ``full``: then they are the whole network's what-if."""

    base: SimulationResult
    scenario: SimulationResult
    diff: ResultDiff
    systems: tuple[int, ...]  # base pressure systems re-solved (``base.node_system`` numbers)
    node_index: np.ndarray
    link_index: np.ndarray
    full: bool
    passes: int  # solves of a growing part (1 when the first guess held)
    seconds: float
    reason: str = ""
    held: np.ndarray | None = None  # per node_index: a feeding regulator's inlet, held at its base pressure


class _Topology:
    """``link_index``/``node_index`` of the sub-model (what :class:`Setup` asks of a network's topology)."""

    def __init__(self, network: GasNetwork, node_map: np.ndarray, link_map: np.ndarray) -> None:
        self._topo, self._nodes, self._links = network.topology, node_map, link_map

    def link_index(self, ids):
        k = self._topo.link_index(list(ids)).astype(np.int64)
        return np.where(k >= 0, self._links[np.maximum(k, 0)], -1)

    def node_index(self, ids):
        k = self._topo.node_index(list(ids)).astype(np.int64)
        return np.where(k >= 0, self._nodes[np.maximum(k, 0)], -1)


class _Part:
    """The network seen by the sub-model: its arrays, topology and name (what Setup and build_result use)."""

    def __init__(self, network: GasNetwork, arrays: ModelArrays, topology: _Topology) -> None:
        self.name, self.version, self.topology, self._arrays = network.name, network.version, topology, arrays

    def cached(self, key, build):
        if key == "hydraulics.arrays":
            return self._arrays
        return build()


_BASE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _base_index(base: SimulationResult) -> dict:
    """Per base result: violations by feature id and regulator modes (computed once)."""
    got = _BASE_CACHE.get(base)
    if got is None:
        by_feature: dict[str, list] = {}
        for v in base.violations:
            by_feature.setdefault(v.feature_id, []).append(v)
        got = {"violations": by_feature, "reg_state": base.regulator_state.astype(str)}
        _BASE_CACHE[base] = got
    return got


def what_if_local(
    network: GasNetwork,
    closed,
    base: SimulationResult,
    *,
    request: SimulationRequest | None = None,
    max_fraction: float = 0.5,
) -> LocalWhatIf:
    """Close ``closed`` links and solve only the pressure systems that answer changes in (see the module doc).

    ``base`` is the base case of ``request`` (default ``base.request``) on this version of ``network``: its
    solution is the warm start and holds the pressures of every system not re-solved.

    Raises ValueError when ``base`` is of another network version, the errors of :func:`simulate` otherwise."""
    t0 = time.perf_counter()
    if base.network_version != network.version or base.network_name != network.name:
        raise ValueError(f"the base case is of {base.network_name} v{base.network_version}, "
                         f"not {network.name} v{network.version}")  # fmt: skip
    request = request or base.request
    scenario_request = request.with_closed(list(closed), label="what-if")
    a = model_arrays(network)
    closed_idx = network.topology.link_index(list(scenario_request.closed)).astype(np.int64)
    if (closed_idx < 0).any():
        missing = [i for i, k in zip(scenario_request.closed, closed_idx, strict=True) if k < 0]
        raise UnknownFeatureError(missing[0], f"network {network.name!r}")
    idx = _base_index(base)
    system = base.node_system.astype(np.int64)
    n_sys = int(system.max()) + 1 if len(system) else 0
    reg_state = idx["reg_state"]
    rf, rt = a.link_from[a.reg_links], a.link_to[a.reg_links]
    rs_in, rs_out = system[rf], system[rt]
    req_closed_reg = np.isin(a.reg_links, closed_idx)

    def full(reason: str, passes: int) -> LocalWhatIf:
        b, scen, diff = what_if(network, closed, request, base=base)
        return LocalWhatIf(b, scen, diff, tuple(range(n_sys)), np.arange(a.n_nodes), np.arange(a.n_links), True,
                           passes, time.perf_counter() - t0, reason, np.zeros(a.n_nodes, dtype=bool))  # fmt: skip

    # Systems joined through regulators standing wide open in the base case solve together.
    coupled = np.isin(reg_state, _WIDE_OPEN)
    insys = np.zeros(n_sys, dtype=bool)
    insys[system[a.link_from[closed_idx]]] = True
    insys[system[a.link_to[closed_idx]]] = True
    # A regulator closed by back-pressure upstream could open when the pressures there rise: solve everything.
    back_closed = (reg_state == "closed") & ~req_closed_reg
    passes = 0
    while True:
        while True:  # close over wide-open couplings
            grow = coupled & (insys[rs_in] != insys[rs_out])
            if not grow.any():
                break
            insys[rs_in[grow]] = True
            insys[rs_out[grow]] = True
        if back_closed.any() and _upstream(insys, rs_in, rs_out, n_sys)[rs_in[back_closed]].any():
            return full("a regulator upstream is closed by back-pressure", passes)
        node_in = insys[system]
        if node_in.sum() > max_fraction * a.n_nodes:
            return full(f"the outage reaches more than {max_fraction:.0%} of the network", passes)
        passes += 1
        try:
            part = _solve_part(network, a, base, scenario_request, insys, node_in, system, reg_state)
        except HydraulicsError:  # solved again in full, so the error names the network's own pressure systems
            return full("the part could not be solved", passes)
        add = part.checks(insys)
        if not add.any():
            break
        insys |= add
    sub_base = _restrict(base, idx, part)
    diff = diff_results(sub_base, part.result)
    return LocalWhatIf(base, part.result, diff, tuple(np.flatnonzero(insys).tolist()), part.nodes, part.links,
                       False, passes, time.perf_counter() - t0, held=~part.interior)  # fmt: skip


def _upstream(insys: np.ndarray, rs_in: np.ndarray, rs_out: np.ndarray, n_sys: int) -> np.ndarray:
    """Systems that feed the marked ones through regulators, directly or further up."""
    reached = insys.copy()
    while True:
        new = reached.copy()
        new[rs_in[reached[rs_out]]] = True
        if np.array_equal(new, reached):
            return reached & ~insys
        reached = new


class _PartSolution:
    """One solve of a part: its result, which nodes and links of the network it covers, and its checks."""

    result: SimulationResult
    nodes: np.ndarray
    links: np.ndarray
    boundary: np.ndarray
    interior: np.ndarray


def _solve_part(network: GasNetwork, a: ModelArrays, base: SimulationResult, request: SimulationRequest,
                insys: np.ndarray, node_in: np.ndarray, system: np.ndarray, reg_state: np.ndarray) -> _PartSolution:  # fmt: skip
    lf, lt = a.link_from, a.link_to
    rf, rt = lf[a.reg_links], lt[a.reg_links]
    feed = node_in[rt] & ~node_in[rf]  # regulators into the part from outside: inlet held at its base pressure
    child = node_in[rf] & ~node_in[rt]  # regulators out of the part: their base flow drawn at the inlet
    boundary = np.unique(rf[feed])
    nodes = np.flatnonzero(node_in)
    nodes = np.union1d(nodes, boundary)
    node_map = np.full(a.n_nodes, -1, dtype=np.int64)
    node_map[nodes] = np.arange(len(nodes))
    inner = node_in[lf] & node_in[lt]
    inner[a.reg_links] = False
    inner[a.reg_links[node_in[rt]]] = True
    links = np.flatnonzero(inner)
    link_map = np.full(a.n_links, -1, dtype=np.int64)
    link_map[links] = np.arange(len(links))
    n_pipes = int(np.searchsorted(links, a.n_pipes))
    pipes = links[:n_pipes]

    def sel(kind_links: np.ndarray):
        k = link_map[kind_links]
        keep = k >= 0
        return k[keep], keep

    valves, v_keep = sel(a.valve_links)
    regs, r_keep = sel(a.reg_links)
    others, o_keep = sel(a.other_links)
    c_keep = node_in[a.customer_nodes]
    g_keep = node_in[a.gate_nodes]
    fed = boundary[base.node_supplied[boundary]]  # a boundary node without gas in the base case stays without
    p_atm_b = base.node_pressure_abs_pa[fed] - base.node_pressure_pa[fed]
    gauge = (base.node_pressure_abs_pa[fed] - p_atm_b) / 1e6
    arrays = ModelArrays(
        n_nodes=len(nodes),
        n_links=len(links),
        node_ids=a.node_ids[nodes],
        node_layer=a.node_layer[nodes],
        node_xy=a.node_xy[nodes],
        node_elevation_m=a.node_elevation_m[nodes],
        customer_nodes=node_map[a.customer_nodes[c_keep]],
        customer_peak_nm3h=a.customer_peak_nm3h[c_keep],
        customer_category=a.customer_category[c_keep],
        gate_nodes=np.concatenate([node_map[a.gate_nodes[g_keep]], node_map[fed]]),
        gate_supply_mpa=np.concatenate([a.gate_supply_mpa[g_keep], gauge]),
        gate_capacity_nm3h=np.concatenate([a.gate_capacity_nm3h[g_keep], np.full(len(fed), np.nan)]),
        link_ids=a.link_ids[links],
        link_layer=a.link_layer[links],
        link_from=node_map[lf[links]],
        link_to=node_map[lt[links]],
        n_pipes=n_pipes,
        pipe_length_m=a.pipe_length_m[pipes],
        pipe_diameter_m=a.pipe_diameter_m[pipes],
        pipe_roughness_m=a.pipe_roughness_m[pipes],
        pipe_loss_coefficient=a.pipe_loss_coefficient[pipes],
        pipe_in_service=a.pipe_in_service[pipes],
        pipe_class_rank=a.pipe_class_rank[pipes],
        pipe_zero_length=a.pipe_zero_length[pipes],
        valve_links=valves,
        valve_normally_open=a.valve_normally_open[v_keep],
        reg_links=regs,
        reg_set_mpa=a.reg_set_mpa[r_keep],
        reg_capacity_nm3h=a.reg_capacity_nm3h[r_keep],
        other_links=others,
        other_kind=a.other_kind[o_keep],
        other_normally_open=a.other_normally_open[o_keep],
    )
    inside = network.topology.link_index(list(request.closed)).astype(np.int64)
    local = replace(request, closed=tuple(i for i, k in zip(request.closed, inside, strict=True) if link_map[k] >= 0),
                    opened=tuple(i for i in request.opened if link_map[network.topology.link_index([i])[0]] >= 0))  # fmt: skip
    part = _Part(network, arrays, _Topology(network, node_map, link_map))
    s = Setup(part, local)
    # Demand: the base case's (same demand options), the fed regulators' base flows at their inlets, none at the
    # boundary (held upstream nodes).
    demand = base.node_demand_nm3h[nodes].copy()
    demand[node_map[boundary]] = 0.0
    child_flow = np.maximum(base.link_flow_nm3h[a.reg_links[child]], 0.0)
    np.add.at(demand, node_map[rf[child]], child_flow)
    s.demand_nm3h, s.demand = demand, demand / 3600.0
    # Warm start from the base case.
    pi_node = np.where(base.node_supplied[nodes], base.node_pressure_abs_pa[nodes] ** 2, np.nan)
    q_all = base.link_flow_nm3h[pipes] / 3600.0
    base_reg = reg_state[r_keep]
    mode = np.where(s.reg_req_closed, REQ_CLOSED, np.where(np.isin(base_reg, _WIDE_OPEN), OPEN, ACTIVE)).astype(np.int8)
    with single_threaded_blas():
        result = _run(part, s, mode, pi_node, q_all)
    out = _PartSolution()
    out.result, out.nodes, out.links, out.boundary = result, nodes, links, boundary
    out.interior = node_in[nodes]
    sub_p_abs = result.node_pressure_abs_pa
    sub_supplied = result.node_supplied
    reg_pos_full = np.flatnonzero(r_keep)  # position in a.reg_links of each sub regulator

    def checks(insys_now: np.ndarray) -> np.ndarray:
        add = np.zeros_like(insys_now)
        # Fed regulators: would they leave their base state at the new inlet pressure?
        for k in np.flatnonzero(child).tolist():
            state = reg_state[k]
            i = node_map[rf[k]]
            ok_in = bool(sub_supplied[i])
            p_in = float(sub_p_abs[i]) if ok_in else 0.0
            p_atm_out = base.node_pressure_abs_pa[rt[k]] - base.node_pressure_pa[rt[k]]  # p_atm where unsupplied too
            set_abs = float(a.reg_set_mpa[k] * 1e6 + p_atm_out)
            if state == "unsupplied":
                change = ok_in
            elif state == "closed":
                p_out = float(base.node_pressure_abs_pa[rt[k]]) if base.node_supplied[rt[k]] else 0.0
                change = ok_in and ((p_in > set_abs + P_TOL_PA and p_out < set_abs - P_TOL_PA)
                                    or (p_in <= set_abs + P_TOL_PA and p_out < p_in - P_TOL_PA))  # fmt: skip
            else:  # active, capacity exceeded, no flow, standby: holds while the inlet stays above the set point
                change = (not ok_in) or p_in < set_abs - P_TOL_PA
            if change:
                add[system[rt[k]]] = True
        # Feeding regulators: does the part now draw more through one of them?
        q_sub = result.link_flow_nm3h[arrays.reg_links]
        tol = max(request.solver.flow_tolerance_nm3h, 1e-9)
        for j, k in enumerate(reg_pos_full.tolist()):
            if feed[k] and q_sub[j] > max(base.link_flow_nm3h[a.reg_links[k]], 0.0) + tol:
                add[system[rf[k]]] = True
        return add & ~insys_now

    out.checks = checks
    return out


def _run(part: _Part, s: Setup, mode: np.ndarray, pi_node: np.ndarray, q_all: np.ndarray) -> SimulationResult:
    """The regulator-state loop of :func:`simulate` on the part's Setup."""
    t0 = time.perf_counter()
    return regulator_rounds(s, mode, pi_node, q_all).result(part, s, seconds=time.perf_counter() - t0)


def _restrict(base: SimulationResult, idx: dict, part: _PartSolution) -> SimulationResult:
    """The base case over the part's nodes and links (violations of its interior features only)."""
    nodes, links = part.nodes, part.links
    sub = part.result
    ids = set(sub.node_ids[part.interior].tolist()) | set(sub.link_ids.tolist())
    violations = [v for f in ids for v in idx["violations"].get(f, ())]
    reg_layer = LINK_LAYERS.index("regulators")
    reg_links_full = np.flatnonzero(base.link_layer == reg_layer)
    reg_pos = np.searchsorted(reg_links_full, links[base.link_layer[links] == reg_layer])
    return replace(
        base,
        node_ids=base.node_ids[nodes],
        node_layer=base.node_layer[nodes],
        node_pressure_pa=base.node_pressure_pa[nodes],
        node_pressure_abs_pa=base.node_pressure_abs_pa[nodes],
        node_supplied=base.node_supplied[nodes],
        node_system=base.node_system[nodes],
        node_demand_nm3h=base.node_demand_nm3h[nodes],
        node_supply_nm3h=base.node_supply_nm3h[nodes],
        node_conservation_nm3h=base.node_conservation_nm3h[nodes],
        link_ids=base.link_ids[links],
        link_layer=base.link_layer[links],
        link_flow_nm3h=base.link_flow_nm3h[links],
        link_velocity_ms=base.link_velocity_ms[links],
        link_pressure_from_pa=base.link_pressure_from_pa[links],
        link_pressure_to_pa=base.link_pressure_to_pa[links],
        link_dp_per_km_pa=base.link_dp_per_km_pa[links],
        link_active=base.link_active[links],
        regulator_state=base.regulator_state[reg_pos],
        regulator_loading=base.regulator_loading[reg_pos],
        violations=violations,
    )
