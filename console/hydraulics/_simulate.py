"""Steady-state simulation of a gas network (水力计算): request in, :class:`SimulationResult` out.

How the network becomes equations (all vectorised over the topology arrays):

1. *Link states.* In-service pipes carry gas; valves are open per ``normal_position`` unless the request closes
   them (or opens a normally-closed one); ``links`` of kind ``short_pipe`` join their ends; compressors, pumps and
   resistors are not modelled (closed, with a warning).
2. *Node groups.* Open valves, short links, zero-length pipes and regulators standing wide open join their end
   nodes into one group with one pressure (connected components).
3. *Regulators* (调压器) in the active state fix the pressure of their outlet group at the set point and pass
   whatever the outlet side takes; their state is found by an outer loop as in EPANET's PRV logic: active →
   pass-through when the inlet falls below the set point, → closed on reverse flow; closed → active when the inlet
   is above and the outlet below the set point. Parallel regulators into one outlet: the highest set point leads,
   the others stand by.
4. *Supply.* Groups reachable from a gate station (门站, fixed pressure) along pipes and through regulators
   (inlet → outlet only) are supplied; the rest are reported as unsupplied parts by feature id.
5. *Newton* (:mod:`._solver`) solves the looped core of the supplied groups after the dead-end trees are peeled
   off (:mod:`._trees`; their flows follow from the demands, their pressures are marched out afterwards); flows
   through valves and regulators are recovered from each node's balance on a spanning forest, so conservation
   holds at every node.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from console.hydraulics._errors import InfeasibleError, NotConvergedError
from console.hydraulics._model import CLASS_CODES
from console.hydraulics._report import build_result
from console.hydraulics._setup import ACTIVE, CLOSED, OPEN, REQ_CLOSED, Round, Setup
from console.hydraulics._solver import single_threaded_blas
from console.hydraulics._trees import forest_flows
from console.hydraulics._types import SimulationRequest, SimulationResult
from console.network import GasNetwork
from console.texts import QT_TRANSLATE_NOOP

# Progress messages of a run (English; the UI translates them with context "SimulationService").
_PREPARING = QT_TRANSLATE_NOOP("SimulationService", "preparing the flow model")
_ITERATION = QT_TRANSLATE_NOOP("SimulationService", "Newton iteration {iteration}: imbalance {imbalance} Nm³/h")
_CHECKING = QT_TRANSLATE_NOOP("SimulationService", "checking pressures and velocities")
_DONE = QT_TRANSLATE_NOOP("SimulationService", "done")
PROGRESS_MESSAGES = (_PREPARING, _ITERATION, _CHECKING, _DONE)

__all__ = ["simulate", "what_if"]

Q_TOL = 1e-7  # m³/s: flows below this count as none for regulator decisions
P_TOL_PA = 1.0


class Feedback(Protocol):
    def progress(self, fraction: float, message: str = "") -> None: ...


def _link_flows(s: Setup, r: Round, q_res: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All link flows (m³/s), gate supplies and node conservation residuals from the solved pipe flows."""
    a = s.arrays
    flow = np.zeros(a.n_links)
    flow[s.res_pipes] = q_res
    supplied_node = r.supplied[r.group]
    b = np.where(supplied_node, s.demand, 0.0)
    b += np.bincount(a.link_from[s.res_pipes], weights=q_res, minlength=a.n_nodes)
    b -= np.bincount(a.link_to[s.res_pipes], weights=q_res, minlength=a.n_nodes)
    edges = np.concatenate([r.zero_links, a.reg_links[r.lead]])
    edges = edges[supplied_node[a.link_from[edges]]]
    pref = np.zeros(a.n_nodes)
    pref[a.gate_nodes] = 1.0
    x, rest = forest_flows(a.n_nodes, a.link_from[edges], a.link_to[edges], b, pref)
    flow[edges] = x
    supply = np.zeros(a.n_nodes)
    supply[a.gate_nodes] = rest[a.gate_nodes]
    gate = np.zeros(a.n_nodes, dtype=bool)
    gate[a.gate_nodes] = True
    conservation = np.where(gate | ~supplied_node, 0.0, -rest)
    return flow, supply, conservation


def simulate(
    network: GasNetwork,
    request: SimulationRequest | None = None,
    *,
    initial: SimulationResult | None = None,
    feedback: Feedback | None = None,
) -> SimulationResult:
    """Solve the steady state of ``network`` for ``request`` (default: natural gas, Colebrook, as found).

    Parameters
    ----------
    network
        The network (pass a snapshot when running off the UI thread).
    request
        Closed/opened links, law, gas, demand options, service limits, solver options.
    initial
        A previous result on the same network (e.g. the base case of a what-if) to start from.
    feedback
        Optional object with ``progress(fraction, message)``; it may raise to cancel (console.app.jobs.Feedback).

    Raises
    ------
    InfeasibleError
        The demand would need a negative absolute pressure somewhere (names the nodes).
    NotConvergedError
        Newton did not converge (with the residual history).
    HydraulicModelError, UnknownFeatureError
        Unusable data or unknown ids in the request.
    """
    with single_threaded_blas():  # the thread pools the solver needs, whatever the environment says
        return _simulate(network, request or SimulationRequest(), initial, feedback)


def _simulate(network: GasNetwork, request: SimulationRequest, initial: SimulationResult | None,
              feedback: Feedback | None) -> SimulationResult:  # fmt: skip
    t0 = time.perf_counter()
    if feedback is not None:
        feedback.progress(0.02, _PREPARING)
    s = Setup(network, request)
    a = s.arrays
    mode = np.where(s.reg_req_closed, REQ_CLOSED, ACTIVE).astype(np.int8)
    pi_node: np.ndarray | None = None
    q_all = np.full(a.n_pipes, np.nan)
    if initial is not None and len(initial.node_ids) == a.n_nodes and len(initial.link_ids) == a.n_links:
        pi_node = np.where(initial.node_supplied, initial.node_pressure_abs_pa**2, np.nan)
        q_all = initial.link_flow_nm3h[: a.n_pipes] / 3600.0
        wide_open = np.isin(initial.regulator_state.astype(str), ["pass_through", "bypassed"])
        mode = np.where(s.reg_req_closed, REQ_CLOSED, np.where(wide_open, OPEN, ACTIVE)).astype(np.int8)

    def on_iteration(it: int, fr: float, history: list) -> None:
        if feedback is not None:
            fraction = min(0.9, 0.05 + 0.03 * len(history))
            feedback.progress(fraction, _ITERATION.format(iteration=it, imbalance=f"{fr * 3600:.3g}"))

    rounds_out = regulator_rounds(s, mode, pi_node, q_all, on_iteration)
    if feedback is not None:
        feedback.progress(0.95, _CHECKING)
    result = rounds_out.result(network, s, seconds=time.perf_counter() - t0)
    if feedback is not None:
        feedback.progress(1.0, _DONE)
    return result


@dataclass
class RegulatorRounds:
    """What the regulator-state loop ends with (the last round's solution)."""

    round: Round
    mode: np.ndarray
    pi_group: np.ndarray
    flow: np.ndarray
    supply: np.ndarray
    conservation: np.ndarray
    sol: object
    iterations: int
    rounds: int
    history: list

    def result(self, network, s: Setup, seconds: float) -> SimulationResult:
        return build_result(network, s, self.round, self.mode, self.pi_group, self.flow, self.supply,
                            self.conservation, self.sol, iterations=self.iterations, rounds=self.rounds,
                            history=self.history, seconds=seconds)  # fmt: skip


def regulator_rounds(
    s: Setup,
    mode: np.ndarray,
    pi_node: np.ndarray | None,
    q_all: np.ndarray,
    on_iteration: Callable[[int, float, list], None] | None = None,
) -> RegulatorRounds:
    """Solve, update the regulators' states (EPANET-style PRV rules), solve again until they settle.

    ``pi_node`` (squared absolute pressure per node) and ``q_all`` (Nm³/s per pipe, NaN where unknown) start the first
    round; ``on_iteration(iteration, flow_residual, history)`` is told of every Newton iteration. Shared by
    :func:`simulate` and the partial solves of what-ifs and reviews, so both follow the same rules.
    """
    a = s.arrays
    q_all = q_all.copy()
    history: list[tuple[int, float, float]] = []
    iterations = 0
    seen: set[bytes] = set()
    for rounds in range(1, max(1, s.request.solver.max_regulator_rounds) + 1):
        seen.add(mode.tobytes())
        r = Round(s, mode)
        pi_start = r.start(s, pi_node)
        q_start = q_all[s.res_pipes][r.pipe_mask]
        cold = not np.isfinite(q_start).any()  # no flows known yet: Newton starts from the linearised network
        about_1_m_s = np.pi / 4 * a.pipe_diameter_m[s.res_pipes][r.pipe_mask] ** 2
        q_start = np.where(np.isfinite(q_start), q_start, about_1_m_s)

        def check(it: int, fr: float, pr: float, rounds: int = rounds) -> None:
            history.append((rounds, fr * 3600.0, pr))
            if on_iteration is not None:
                on_iteration(it, fr, history)

        pi_group, q, sol = r.solve(s, pi_start, q_start, check, cold=cold)
        iterations += sol.iterations
        collapsed = r.free & ~(pi_group > 0)
        if collapsed.any() or not sol.converged:
            _raise_failure(s, r, pi_group, q, collapsed, sol)
        pi_node = np.where(r.supplied[r.group], pi_group[r.group] * r.node_factor, np.nan)
        q_res = np.zeros(len(s.res_pipes))
        q_res[r.pipe_mask] = q
        q_all[:] = np.nan
        q_all[s.res_pipes] = q_res
        flow, supply, conservation = _link_flows(s, r, q_res)
        new_mode = _next_modes(s, r, mode, pi_node, flow)
        if np.array_equal(new_mode, mode):
            break
        if new_mode.tobytes() in seen:
            s.warnings.append("regulator states oscillate; the last consistent state is reported")
            break
        mode = new_mode
    else:
        s.warnings.append(f"regulator states still changing after {rounds} rounds; the last state is reported")
    return RegulatorRounds(r, mode, pi_group, flow, supply, conservation, sol, iterations, rounds, history)


def _next_modes(s: Setup, r: Round, mode: np.ndarray, pi_node: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """EPANET-style PRV status changes from the solved pressures and flows."""
    a = s.arrays
    g = r.group
    rf, rt = a.link_from[a.reg_links], a.link_to[a.reg_links]
    ok_in, ok_out = r.supplied[g[rf]], r.supplied[g[rt]]
    p_in = np.where(ok_in, np.sqrt(np.maximum(np.nan_to_num(pi_node[rf]), 0.0)), 0.0)
    p_out = np.where(ok_out, np.sqrt(np.maximum(np.nan_to_num(pi_node[rt]), 0.0)), 0.0)
    q = flow[a.reg_links]
    set_abs = s.reg_set_abs
    new = mode.copy()
    lead = r.lead
    new[(mode == ACTIVE) & lead & ok_in & (p_in < set_abs - P_TOL_PA)] = OPEN
    new[(mode == ACTIVE) & lead & (q < -Q_TOL)] = CLOSED
    new[(mode == OPEN) & ok_in & (p_in > set_abs + P_TOL_PA)] = ACTIVE
    new[(mode == OPEN) & (q < -Q_TOL)] = CLOSED
    closed = mode == CLOSED
    new[closed & ok_in & (p_in > set_abs + P_TOL_PA) & (p_out < set_abs - P_TOL_PA)] = ACTIVE
    new[closed & ok_in & (p_in <= set_abs + P_TOL_PA) & (p_out < p_in - P_TOL_PA)] = OPEN
    return new


def _downstream_systems(s: Setup, systems: list[int]) -> np.ndarray:
    """``systems`` and every pressure system their regulators feed, directly or further down (a mask by system)."""
    a = s.arrays
    inlet, outlet = s.system[a.link_from[a.reg_links]], s.system[a.link_to[a.reg_links]]
    reached = np.zeros(int(s.system.max()) + 1, dtype=bool)
    reached[systems] = True
    while True:
        new = reached.copy()
        new[outlet[reached[inlet]]] = True
        if np.array_equal(new, reached):
            return reached
        reached = new


def _bottlenecks(s: Setup, r: Round, pi_group: np.ndarray, q: np.ndarray, systems: list[int], limit: int = 5) -> str:
    """The pipes of ``systems`` with the largest pressure drop in the failed iterate, with their flows."""
    a = s.arrays
    pipes = s.res_pipes[r.pipe_mask]
    if not len(pipes):
        return ""
    p = np.sqrt(np.clip(np.nan_to_num(pi_group, nan=0.0), 0.0, None))
    drop = np.abs(p[r.group[a.link_from[pipes]]] - p[r.group[a.link_to[pipes]]])
    inside = np.isin(s.system[a.link_from[pipes]], systems)
    order = np.flatnonzero(inside)[np.argsort(-drop[inside], kind="stable")][:limit]
    if not len(order):
        return ""
    shown = ", ".join(f"{a.link_ids[pipes[k]]} ({abs(q[k]) * 3600:,.0f} Nm³/h)" for k in order)
    return f"; the largest pressure drops are in pipes {shown}"


def _raise_failure(s: Setup, r: Round, pi_group: np.ndarray, q: np.ndarray, collapsed: np.ndarray, sol: Any) -> None:
    a = s.arrays
    g = r.group
    node_pi = np.nan_to_num(pi_group[g], nan=-1.0)
    bad_nodes = np.flatnonzero(collapsed[g])
    if not len(bad_nodes) and not sol.converged:
        # Pressures heading for zero while Newton fails is the signature of an infeasible demand too.
        free_nodes = np.flatnonzero(r.col[g] >= 0)
        low = free_nodes[node_pi[free_nodes] < (0.05 * s.gas.atmospheric_pressure_pa) ** 2]
        if not len(low):
            fr, pr = sol.flow_residual * 3600.0, sol.pressure_residual
            raise NotConvergedError(
                f"Newton did not converge in {sol.iterations} iterations (imbalance {fr:.3g} Nm³/h, "
                f"pipe-law residual {pr:.3g} Pa); try more iterations or check pipe data",
                sol.history,
            )
        bad_nodes = low
    order = bad_nodes[np.argsort(node_pi[bad_nodes])]
    systems = np.unique(s.system[order]).tolist()
    # What the failing systems must carry: their own customers and everything their regulators pass further down.
    own = float(s.demand_nm3h[np.isin(s.system, systems)].sum())
    carried = float(s.demand_nm3h[_downstream_systems(s, systems)[s.system]].sum())
    classes = sorted({str(CLASS_CODES[max(s.system_rank[k], 0)]) for k in systems})
    shown = systems[:5] if len(systems) <= 5 else [*systems[:5], f"… {len(systems)} in all"]
    through = f" ({own:,.1f} Nm³/h to their own customers)" if carried > own else ""
    raise InfeasibleError(
        f"the {carried:,.1f} Nm³/h of demand supplied through pressure system(s) {shown} ({', '.join(classes)})"
        f"{through} cannot be delivered from their supply pressure — pipes too small, supply too low or demand "
        f"too high{_bottlenecks(s, r, pi_group, q, systems)}",
        a.node_ids[order].tolist(),
        systems,
    )


def what_if(
    network: GasNetwork,
    closed: Any,
    request: SimulationRequest | None = None,
    *,
    base: SimulationResult | None = None,
    feedback: Feedback | None = None,
):
    """Solve the base case (unless given) and the case with ``closed`` links shut; return (base, scenario, diff)."""
    from console.hydraulics._diff import diff_results

    request = request or SimulationRequest()
    base = base or simulate(network, request)
    scenario = simulate(network, request.with_closed(list(closed), label="what-if"), initial=base, feedback=feedback)
    return base, scenario, diff_results(base, scenario)
