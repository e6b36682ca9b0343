"""The steady state of an edited copy of a network (a review's *branch*), solved only where the edit reaches.

Given the master's solved steady state and the branch (master + change set), :func:`simulate_branch` re-solves only
the pressure systems (parts joined without passing a regulator) the change set can alter, warm-started from the
master's solution mapped by feature id, and takes every other system from the master's answer. Which systems:

* every branch system holding a changed, added or deleted feature's node or link end (a system split or merged by the
  edit holds such an end, so every system whose nodes or links differ from the master's is among them), joined with
  the systems coupled to them through a regulator standing wide open in the master's state;
* a system *feeding* the solved part through a regulator is held (the regulator's inlet at its master pressure) as
  long as the part draws the same flow through that regulator as on the master (within ``FLOW_TOL_NM3H`` plus the
  solver's tolerance); when the draw changes, the feeding system's pressures change too, and it is added;
* a system *fed* from the solved part keeps the master's solution as long as its regulator keeps its state at the new
  inlet pressure (the outlet side of an active regulator does not see its inlet); otherwise it is added.

The part grows and is solved again until those checks hold (what :func:`console.hydraulics.what_if_local` does for a
what-if, here with the branch's arrays and an exact feed check). Without a master solution to map, with a request
that closes or opens links or carries its own demand scenario, or when the part fails to solve, the branch is
solved in full (``full`` says why). Equal to a full solve of the branch within the solver's tolerance (tested on
random change sets against :func:`~console.hydraulics.simulate`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from console.hydraulics._errors import HydraulicsError
from console.hydraulics._model import components, model_arrays
from console.hydraulics._subsystem import _WIDE_OPEN, _solve_part, _upstream
from console.hydraulics._types import SimulationResult, SystemSummary, Violation
from console.network import LINK_LAYERS, GasNetwork

__all__ = ["BranchSteadyState", "simulate_branch"]

FLOW_TOL_NM3H = 1e-4  # a feeding regulator's draw that moved less than this keeps its upstream system as solved


@dataclass
class BranchSteadyState:
    """The branch's pressure systems (numbered as a full solve of the branch numbers them) and violations."""

    systems: list[SystemSummary]
    violations: list[Violation]
    resolved_systems: int  # branch systems solved again (all of them when ``full``)
    n_systems: int
    full: bool
    reason: str = ""
    seconds: float = 0.0
    # The branch's whole steady state: the full solve when ``full``; else, with ``assemble``, the master's solution
    # mapped by id with the re-solved part's written over it (what the branch's own next review starts from).
    result: SimulationResult | None = field(default=None, repr=False)
    # The branch systems (``system_id`` of ``systems``) solved again: every one when ``full``.
    solved: frozenset[int] = frozenset()


def simulate_branch(
    master: GasNetwork,
    base: SimulationResult,
    branch: GasNetwork,
    seed_ids,
    *,
    max_passes: int = 12,
    assemble: bool = False,
) -> BranchSteadyState:
    """The steady state of ``branch`` for ``base.request``, re-solving only the systems ``seed_ids`` (the changed
    features and the nodes they end at, before and after the change) can alter (see the module).

    With ``assemble`` the answer's ``result`` is the branch's whole :class:`SimulationResult` (the master's solution
    by id where nothing was solved again, the part's where it was): equal to a full solve of the branch within the
    solver's tolerance, so it can serve as the steady state of the master the branch becomes on approval.

    ``base`` is ``master``'s steady state (same version). Raises the errors of :func:`simulate` when the branch
    does not solve."""
    from console.hydraulics._simulate import simulate

    t0 = time.perf_counter()
    request = base.request

    def full(reason: str) -> BranchSteadyState:
        result = simulate(branch, request)
        n = int(result.node_system.max()) + 1 if len(result.node_system) else 0
        return BranchSteadyState(list(result.systems), list(result.violations), n, n, True, reason,
                                 time.perf_counter() - t0, result, frozenset(range(n)))  # fmt: skip

    if base.network_version != master.version or base.network_name != master.name:
        return full("the master's steady state is of another version")
    if request.closed or request.opened or request.demand.node_demand_nm3h is not None:
        return full("the request closes or opens links or carries a demand scenario")
    a = model_arrays(branch)
    ma = model_arrays(master)
    lf, lt = a.link_from, a.link_to
    # Pressure systems of the branch, exactly as Setup numbers them (no links closed or opened by the request).
    short = (a.other_kind == "short_pipe") & a.other_normally_open
    sys_links = np.concatenate([np.flatnonzero(a.pipe_in_service), a.valve_links[a.valve_normally_open],
                                a.other_links[short]])  # fmt: skip
    system = components(a.n_nodes, lf[sys_links], lt[sys_links]).astype(np.int64)
    n_sys = int(system.max()) + 1 if a.n_nodes else 0
    # The master's solution on the branch's nodes and links, by id.
    # (integer maps when the branch's topology was derived from the master's: no million ids looked up)
    m_node = branch.topology.positions_in(master.topology, "nodes")
    m_link = branch.topology.positions_in(master.topology, "links")
    has_n, has_l = m_node >= 0, m_link >= 0
    mn, ml = np.maximum(m_node, 0), np.maximum(m_link, 0)
    factors = request.demand.factors(a.customer_category)
    demand = np.bincount(a.customer_nodes, weights=a.customer_peak_nm3h * factors, minlength=a.n_nodes)
    reg_pos = np.full(ma.n_links, -1, dtype=np.int64)
    reg_pos[ma.reg_links] = np.arange(len(ma.reg_links))
    m_reg = np.where(has_l[a.reg_links], reg_pos[ml[a.reg_links]], -1)
    reg_state = np.where(m_reg >= 0, base.regulator_state.astype(str)[np.maximum(m_reg, 0)], "active")
    pseudo = SimpleNamespace(
        node_supplied=np.where(has_n, base.node_supplied[mn], False),
        node_pressure_abs_pa=np.where(has_n, base.node_pressure_abs_pa[mn], np.nan),
        node_pressure_pa=np.where(has_n, base.node_pressure_pa[mn], np.nan),
        node_demand_nm3h=demand,
        link_flow_nm3h=np.where(has_l, base.link_flow_nm3h[ml], np.nan),
    )
    # The systems the change set reaches.
    seeds = sorted(map(str, seed_ids))
    nodes = branch.topology.node_index(seeds).astype(np.int64) if seeds else np.empty(0, np.int64)
    links = branch.topology.link_index(seeds).astype(np.int64) if seeds else np.empty(0, np.int64)
    links = links[links >= 0]
    touched = np.concatenate([nodes[nodes >= 0], lf[links], lt[links], np.flatnonzero(~has_n),
                              lf[~has_l], lt[~has_l]])  # fmt: skip
    insys = np.zeros(n_sys, dtype=bool)
    insys[system[touched[touched >= 0]]] = True
    ctx = (pseudo, has_n, mn, has_l, ml, m_reg) if assemble else None
    if not insys.any():
        return _assemble(branch, base, a, system, n_sys, insys, None, m_node, t0, ctx)
    rf, rt = lf[a.reg_links], lt[a.reg_links]
    rs_in, rs_out = system[rf], system[rt]
    coupled = np.isin(reg_state, _WIDE_OPEN)
    back_closed = reg_state == "closed"
    reg_layer = LINK_LAYERS.index("regulators")
    tol = FLOW_TOL_NM3H + 10 * request.solver.flow_tolerance_nm3h
    part = None
    for _ in range(max_passes):
        while True:  # close over wide-open couplings
            grow = coupled & (insys[rs_in] != insys[rs_out])
            if not grow.any():
                break
            insys[rs_in[grow]] = True
            insys[rs_out[grow]] = True
        if back_closed.any() and _upstream(insys, rs_in, rs_out, n_sys)[rs_in[back_closed]].any():
            return full("a regulator upstream is closed by back-pressure")
        node_in = insys[system]
        try:
            part = _solve_part(branch, a, pseudo, request, insys, node_in, system, reg_state)
        except HydraulicsError:
            return full("the part could not be solved")  # solved in full, the error names the branch's systems
        add = part.checks(insys)
        # Feeding regulators: a changed draw (more or less) changes the feeding system's pressures.
        sub = part.result
        regs = np.flatnonzero(sub.link_layer == reg_layer)
        k = part.links[regs]
        feeding = node_in[lt[k]] & ~node_in[lf[k]]
        q_new = sub.link_flow_nm3h[regs][feeding]
        q_old = np.nan_to_num(pseudo.link_flow_nm3h[k[feeding]])
        moved = np.abs(q_new - q_old) > tol + 1e-9 * np.abs(q_old)
        add[system[lf[k[feeding][moved]]]] = True
        add &= ~insys
        if not add.any():
            break
        insys |= add
    else:
        return full(f"the solved part was still growing after {max_passes} passes")
    return _assemble(branch, base, a, system, n_sys, insys, part, m_node, t0, ctx)


def _assemble(branch, base, a, system, n_sys, insys, part, m_node, t0, ctx=None) -> BranchSteadyState:
    """The branch's system summaries and violations: the part's where it was solved, the master's elsewhere."""
    rep = np.full(n_sys, -1, dtype=np.int64)
    order = np.arange(len(system))[::-1]
    rep[system[order]] = order  # the first node of each system
    by_master = {s.system_id: s for s in base.systems}
    out: dict[int, SystemSummary] = {}
    for k in np.flatnonzero(~insys).tolist():
        m = m_node[rep[k]]
        if m >= 0 and (s := by_master.get(int(base.node_system[m]))) is not None:
            out[k] = replace(s, system_id=k)
    violations: list[Violation] = []
    solved_ids: set[str] = set()
    if part is not None:
        sub = part.result
        inner_nodes = part.nodes[part.interior]
        part_system = system[part.nodes]
        for s in sub.systems:
            members = np.flatnonzero((sub.node_system == s.system_id) & part.interior)
            if len(members):
                k = int(part_system[members[0]])
                out[k] = replace(s, system_id=k)
        solved_ids = set(a.node_ids[inner_nodes].tolist()) | set(sub.link_ids.tolist())
        violations = [v for v in sub.violations if v.feature_id in solved_ids]
    # the master's violations of features the branch has, in systems not solved again
    ids = [v.feature_id for v in base.violations]
    if ids:
        bn = branch.topology.node_index(ids).astype(np.int64)
        bl = branch.topology.link_index(ids).astype(np.int64)
        at = np.where(bn >= 0, bn, np.where(bl >= 0, a.link_from[np.maximum(bl, 0)], -1))
        keep = (at >= 0) & ~insys[system[np.maximum(at, 0)]]
        violations += [v for v, k in zip(base.violations, keep.tolist(), strict=True) if k]
    violations.sort(key=lambda v: (v.severity != "error", v.kind, v.value))
    systems = [out[k] for k in sorted(out)]
    whole = None
    if ctx is not None:
        whole = _whole(branch, base, a, system, insys, part, systems, violations, ctx)
    return BranchSteadyState(systems, violations, int(insys.sum()), n_sys, False, "", time.perf_counter() - t0,
                             whole, frozenset(np.flatnonzero(insys).tolist()))  # fmt: skip


def _whole(branch, base, a, system, insys, part, systems, violations, ctx) -> SimulationResult:
    """The branch's whole steady state: the master's arrays mapped by id, the part's interior written over them."""
    pseudo, has_n, mn, has_l, ml, m_reg = ctx

    def nodes(values, fill):
        return np.where(has_n, np.asarray(values)[mn], fill)

    def links(values, fill):
        return np.where(has_l, np.asarray(values)[ml], fill)

    arrays = {
        "node_pressure_pa": pseudo.node_pressure_pa.astype(float),
        "node_pressure_abs_pa": pseudo.node_pressure_abs_pa.astype(float),
        "node_supplied": pseudo.node_supplied.astype(bool),
        "node_demand_nm3h": np.asarray(pseudo.node_demand_nm3h, dtype=float),  # the branch's customers' demand
        "node_supply_nm3h": nodes(base.node_supply_nm3h, 0.0),
        "node_conservation_nm3h": nodes(base.node_conservation_nm3h, 0.0),
        "link_flow_nm3h": pseudo.link_flow_nm3h.astype(float),
        "link_velocity_ms": links(base.link_velocity_ms, np.nan),
        "link_pressure_from_pa": links(base.link_pressure_from_pa, np.nan),
        "link_pressure_to_pa": links(base.link_pressure_to_pa, np.nan),
        "link_dp_per_km_pa": links(base.link_dp_per_km_pa, np.nan),
        "link_active": links(base.link_active, False).astype(bool),
    }
    has_r = m_reg >= 0
    reg_state = np.where(has_r, base.regulator_state.astype(object)[np.maximum(m_reg, 0)], "active").astype(object)
    reg_loading = np.where(has_r, np.asarray(base.regulator_loading, dtype=float)[np.maximum(m_reg, 0)], np.nan)
    unsupplied = []
    convergence, warnings = base.convergence, list(base.warnings)
    if base.unsupplied:
        first = branch.topology.node_index([u.node_ids[0] if u.node_ids else "" for u in base.unsupplied])
        unsupplied = [
            u for u, k in zip(base.unsupplied, first.tolist(), strict=True) if k >= 0 and not insys[system[k]]
        ]
    if part is not None:
        sub = part.result
        inner = part.interior
        at = part.nodes[inner]
        for name in (
            "node_pressure_pa",
            "node_pressure_abs_pa",
            "node_supplied",
            "node_supply_nm3h",
            "node_conservation_nm3h",
        ):  # the part's demand holds its fed regulators' draw: not taken
            arrays[name][at] = getattr(sub, name)[inner]
        for name in ("link_flow_nm3h", "link_velocity_ms", "link_pressure_from_pa", "link_pressure_to_pa",
                     "link_dp_per_km_pa", "link_active"):  # fmt: skip
            arrays[name][part.links] = getattr(sub, name)
        in_part = np.isin(a.reg_links, part.links)
        reg_state[in_part] = np.asarray(sub.regulator_state, dtype=object)
        reg_loading[in_part] = np.asarray(sub.regulator_loading, dtype=float)
        interior_ids = set(sub.node_ids[inner].tolist())
        unsupplied += [u for u in sub.unsupplied if u.node_ids and u.node_ids[0] in interior_ids]
        convergence, warnings = sub.convergence, warnings + [w for w in sub.warnings if w not in warnings]
    # End pressures of every link from its nodes' (a link outside the part may end at a node solved again).
    lf, lt = a.link_from, a.link_to
    p = arrays["node_pressure_pa"]
    arrays["link_pressure_from_pa"] = np.where(lf >= 0, p[np.maximum(lf, 0)], np.nan)
    arrays["link_pressure_to_pa"] = np.where(lt >= 0, p[np.maximum(lt, 0)], np.nan)
    return SimulationResult(
        network_name=branch.name, network_version=branch.version, request=base.request, node_ids=a.node_ids,
        node_layer=a.node_layer, node_system=system.astype(np.asarray(base.node_system).dtype), link_ids=a.link_ids,
        link_layer=a.link_layer, regulator_state=reg_state, regulator_loading=reg_loading, systems=list(systems),
        unsupplied=unsupplied, violations=list(violations), convergence=convergence, n_pipes=a.n_pipes,
        warnings=warnings, **arrays,
    )  # fmt: skip
