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
    result: SimulationResult | None = field(default=None, repr=False)  # the full solve, when ``full``


def simulate_branch(
    master: GasNetwork, base: SimulationResult, branch: GasNetwork, seed_ids, *, max_passes: int = 12
) -> BranchSteadyState:
    """The steady state of ``branch`` for ``base.request``, re-solving only the systems ``seed_ids`` (the changed
    features and the nodes they end at, before and after the change) can alter (see the module).

    ``base`` is ``master``'s steady state (same version). Raises the errors of :func:`simulate` when the branch
    does not solve."""
    from console.hydraulics._simulate import simulate

    t0 = time.perf_counter()
    request = base.request

    def full(reason: str) -> BranchSteadyState:
        result = simulate(branch, request)
        n = int(result.node_system.max()) + 1 if len(result.node_system) else 0
        return BranchSteadyState(list(result.systems), list(result.violations), n, n, True, reason,
                                 time.perf_counter() - t0, result)  # fmt: skip

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
    m_node = master.topology.node_index(a.node_ids).astype(np.int64)
    m_link = master.topology.link_index(a.link_ids).astype(np.int64)
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
    if not insys.any():
        return _assemble(branch, base, a, system, n_sys, insys, None, m_node, t0)
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
    return _assemble(branch, base, a, system, n_sys, insys, part, m_node, t0)


def _assemble(branch, base, a, system, n_sys, insys, part, m_node, t0) -> BranchSteadyState:
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
    return BranchSteadyState([out[k] for k in sorted(out)], violations, int(insys.sum()), n_sys, False, "",
                             time.perf_counter() - t0)  # fmt: skip
