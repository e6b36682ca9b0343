"""From a network and a request to Newton problems: link states, node groups, supply, equation rows, tree peeling.

:class:`Setup` holds what a request fixes (closed links, demand, law constants, pressure systems); :class:`Round`
one configuration of regulator states: the groups of nodes joined without resistance, their fixed pressures, which
groups are supplied, the equation rows, and :meth:`Round.solve`, which peels the trees, runs Newton on the looped
core and marches the pressures back out along the trees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from console.errors import GasOpsError, UnknownFeatureError
from console.hydraulics._errors import HydraulicModelError
from console.hydraulics._gas import G_M_S2
from console.hydraulics._laws import FlowLaw, PipeLaw
from console.hydraulics._model import components, model_arrays
from console.hydraulics._solver import GgaProblem, GgaSolution, _evaluate, _pressures, solve_gga
from console.hydraulics._trees import peel_trees
from console.hydraulics._types import RegulatorState, SimulationRequest
from console.network import GasNetwork

__all__ = ["ACTIVE", "CLOSED", "OPEN", "REQ_CLOSED", "Round", "Setup"]

ACTIVE, OPEN, CLOSED, REQ_CLOSED = 0, 1, 2, 3  # regulator modes inside the solver


def _resolve_ids(network: GasNetwork, ids: tuple[str, ...], what: str) -> np.ndarray:
    if not ids:
        return np.zeros(0, dtype=np.int64)
    idx = network.topology.link_index(list(ids)).astype(np.int64)
    missing = [i for i, k in zip(ids, idx, strict=True) if k < 0]
    if missing:
        node = network.topology.node_index(missing)
        if (node >= 0).any():
            name = missing[int(np.argmax(node >= 0))]
            raise GasOpsError(f"{what}: {name!r} is a node; only links (valves, pipes, regulators) open or close")
        raise UnknownFeatureError(missing[0], f"network {network.name!r}")
    return idx


def _scenario_demand(network: GasNetwork, scenario: dict[str, float], factor: float, n_nodes: int) -> np.ndarray:
    """Per-node demand (Nm³/h) of a demand scenario; unknown ids and impossible values are errors naming them."""
    ids = list(scenario)
    idx = network.topology.node_index(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    if (idx < 0).any():
        missing = [i for i, k in zip(ids, idx, strict=True) if k < 0]
        raise HydraulicModelError("demand scenario names nodes not in the network", missing)
    values = np.array([scenario[i] for i in ids], dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise HydraulicModelError("demand scenario has demands that are not finite numbers >= 0",
                                  [i for i, b in zip(ids, bad, strict=True) if b])  # fmt: skip
    return np.bincount(idx, weights=values * factor, minlength=n_nodes)


class Setup:
    """Everything about a request that does not change between regulator rounds."""

    def __init__(self, network: GasNetwork, request: SimulationRequest) -> None:
        a = self.arrays = model_arrays(network)
        self.request, self.gas = request, request.gas
        self.warnings: list[str] = []
        closed = np.zeros(a.n_links, dtype=bool)
        closed[_resolve_ids(network, request.closed, "closed")] = True
        opened = np.zeros(a.n_links, dtype=bool)
        opened[_resolve_ids(network, request.opened, "opened")] = True
        self.pipe_active = a.pipe_in_service & ~closed[: a.n_pipes]
        valve_open = (a.valve_normally_open | opened[a.valve_links]) & ~closed[a.valve_links]
        other_open = (a.other_normally_open | opened[a.other_links]) & ~closed[a.other_links]
        short = (a.other_kind == "short_pipe") & other_open
        unmodelled = (a.other_kind != "short_pipe") & other_open
        if unmodelled.any():
            ids = a.link_ids[a.other_links[unmodelled]].tolist()
            self.warnings.append(
                f"{len(ids)} compressor/pump/resistor link(s) not modelled, treated as closed: {ids[:8]}"
            )
        zero_pipes = np.flatnonzero(self.pipe_active & a.pipe_zero_length)
        self.static_zero = np.concatenate([zero_pipes, a.valve_links[valve_open], a.other_links[short]])
        self.res_pipes = np.flatnonzero(self.pipe_active & ~a.pipe_zero_length)
        self.reg_req_closed = closed[a.reg_links]

        scenario = request.demand.node_demand_nm3h
        if scenario is None:
            factors = request.demand.factors(a.customer_category)
            weights = a.customer_peak_nm3h * factors
            self.demand_nm3h = np.bincount(a.customer_nodes, weights=weights, minlength=a.n_nodes)
        else:
            self.demand_nm3h = _scenario_demand(network, scenario, request.demand.demand_factor, a.n_nodes)
        self.demand = self.demand_nm3h / 3600.0
        self.p_atm = self.gas.atmospheric_pa(a.node_elevation_m)

        # Pressure systems: parts joined by pipes, valves and short links, never through a regulator.
        sys_links = np.concatenate([np.flatnonzero(self.pipe_active), a.valve_links[valve_open], a.other_links[short]])
        self.system = components(a.n_nodes, a.link_from[sys_links], a.link_to[sys_links])
        rank = np.full(int(self.system.max()) + 1 if a.n_nodes else 0, -1, dtype=np.int64)
        act = np.flatnonzero(self.pipe_active)
        np.maximum.at(rank, self.system[a.link_from[act]], a.pipe_class_rank[act].astype(np.int64))
        self.system_rank = rank
        self.node_rank = rank[self.system]
        # The weakest pipe at a node bounds the pressure it may see (an LP pipe joined to MP by a bypass).
        weakest = np.full(a.n_nodes, 99, dtype=np.int64)
        for ends in (a.link_from[act], a.link_to[act]):
            np.minimum.at(weakest, ends, a.pipe_class_rank[act].astype(np.int64))
        self.node_design_rank = np.where(weakest == 99, -1, weakest)
        # Renouard's linear (LP) form in low-pressure systems, its quadratic form elsewhere.
        res = self.res_pipes
        linear = rank[self.system[a.link_from[res]]] == 0
        self.law = PipeLaw.build(
            request.law,
            self.gas,
            a.pipe_length_m[res],
            a.pipe_diameter_m[res],
            a.pipe_roughness_m[res],
            a.pipe_loss_coefficient[res],
            linear_form=linear if request.law is FlowLaw.RENOUARD else None,
            efficiency=request.efficiency,
            laminar=request.laminar_flow,
        )
        self.dz = a.node_elevation_m[a.link_to[res]] - a.node_elevation_m[a.link_from[res]]
        gas = self.gas
        self.column_coef = (
            gas.density_base_kg_m3 * gas.base_temperature_k * G_M_S2 / (2.0 * gas.base_pressure_pa * gas.temperature_k)
        )
        self.gate_pi = (a.gate_supply_mpa * 1e6 + self.p_atm[a.gate_nodes]) ** 2
        self.reg_set_abs = a.reg_set_mpa * 1e6 + self.p_atm[a.link_to[a.reg_links]]


class Round:
    """One regulator-state configuration: node groups, fixed pressures, supplied groups, rows and the solve."""

    def __init__(self, s: Setup, mode: np.ndarray) -> None:
        a = s.arrays
        regs = a.reg_links
        rf, rt = a.link_from[regs], a.link_to[regs]
        self.zero_links = zero = np.concatenate([s.static_zero, regs[mode == OPEN]])
        self.group = g = components(a.n_nodes, a.link_from[zero], a.link_to[zero])
        self.n_groups = ng = int(g.max()) + 1 if a.n_nodes else 0
        # Fixed pressures: gate stations, then the outlets of leading active regulators.
        fixed_pi = np.full(ng, np.nan)
        gate_groups = g[a.gate_nodes]
        np.fmax.at(fixed_pi, gate_groups, s.gate_pi)
        is_gate = np.zeros(ng, dtype=bool)
        is_gate[gate_groups] = True
        ig, og = g[rf], g[rt]
        active = mode == ACTIVE
        bypassed = active & (ig == og)
        held = active & ~bypassed & is_gate[og]
        candidate = active & ~bypassed & ~held
        # Leading regulator per outlet group: highest set point, first listed on ties.
        order = np.lexsort((np.arange(len(regs)), -s.reg_set_abs, og))
        order = order[candidate[order]]
        first = np.r_[True, og[order][1:] != og[order][:-1]] if len(order) else np.zeros(0, bool)
        self.lead = lead = np.zeros(len(regs), dtype=bool)
        lead[order[first]] = True
        self.label = np.full(len(regs), "", dtype=object)
        self.label[bypassed] = RegulatorState.BYPASSED.value
        self.label[held] = RegulatorState.CLOSED.value
        self.label[candidate & ~lead] = RegulatorState.STANDBY.value
        fixed_pi[og[lead]] = s.reg_set_abs[lead] ** 2
        self.fixed_pi = fixed_pi
        # Reference node of each group, where its unknown pressure applies: the gate station or regulator outlet
        # of a fixed group, the first member otherwise.
        ref = np.full(ng, a.n_nodes, dtype=np.int64)
        np.minimum.at(ref, g, np.arange(a.n_nodes))
        ref[gate_groups] = a.gate_nodes
        ref[og[lead]] = rt[lead]
        self.ref_node = ref
        self.node_factor = np.ones(a.n_nodes)
        # Supplied groups: reachable from a gate station along pipes (both ways) and leading regulators (one way).
        rp = s.res_pipes
        self.gf, self.gt = gf, gt = g[a.link_from[rp]], g[a.link_to[rp]]
        sources = np.unique(gate_groups)
        src = np.concatenate([gf, gt, ig[lead], np.full(len(sources), ng)])
        dst = np.concatenate([gt, gf, og[lead], sources])
        graph = sp.coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(ng + 1, ng + 1)).tocsr()
        supplied = np.zeros(ng + 1, dtype=bool)
        supplied[breadth_first_order(graph, ng, directed=True, return_predecessors=False)] = True
        self.supplied = supplied[:ng]
        free = self.supplied & ~np.isfinite(fixed_pi)
        col = np.full(ng, -1, dtype=np.int64)
        col[free] = np.arange(int(free.sum()))
        # Equation rows: a free group's own; an active outlet's balance joins its regulator's inlet row.
        target = np.full(ng, -1, dtype=np.int64)
        target[og[lead]] = ig[lead]
        row = col.copy()
        for _ in range(len(regs) + 1):
            new = np.where(target >= 0, row[np.maximum(target, 0)], row)
            if np.array_equal(new, row):
                break
            row = new
        row[~self.supplied] = -1
        self.col, self.row, self.free = col, row, free
        self.pipe_mask = self.supplied[gf] & (gf != gt)  # over s.res_pipes: the pipes Newton solves
        self.group_demand = np.bincount(g, weights=s.demand, minlength=ng)

    def start(self, s: Setup, pi_node: np.ndarray | None) -> np.ndarray:
        """Start π per group (the last solution where known, else the fixed pressure of the part); also sets the
        gas-column factors π_node = π_group · exp(−2 κ Δz) between a group's members and its reference node."""
        a, gas, g, ng = s.arrays, s.gas, self.group, self.n_groups
        guess = np.full(ng, np.nan)
        if pi_node is not None:
            known = np.isfinite(pi_node)
            np.fmax.at(guess, g[known], pi_node[known])
        fixed = np.isfinite(self.fixed_pi)
        missing = self.supplied & ~fixed & ~np.isfinite(guess)
        if missing.any():
            m = self.pipe_mask
            comp = components(ng, self.gf[m], self.gt[m])
            best = np.full(int(comp.max()) + 1, np.nan)
            np.fmax.at(best, comp[fixed], self.fixed_pi[fixed])
            guess[missing] = best[comp[missing]]
        guess = np.where(fixed, self.fixed_pi, guess)
        guess = np.where(np.isfinite(guess), guess, (gas.atmospheric_pressure_pa + 1e3) ** 2)
        z = gas.z(np.sqrt(guess[g]))
        kappa = (
            gas.density_base_kg_m3 * gas.base_temperature_k * G_M_S2 / (gas.base_pressure_pa * gas.temperature_k * z)
        )
        self.node_factor = np.exp(-2.0 * kappa * (a.node_elevation_m - a.node_elevation_m[self.ref_node[g]]))
        return guess

    def _problem(self, s: Setup) -> GgaProblem:
        """Newton problem over all solved pipes (columns/rows of the full set of free groups)."""
        m = self.pipe_mask
        gf, gt = self.gf[m], self.gt[m]
        lf, lt = s.arrays.link_from[s.res_pipes[m]], s.arrays.link_to[s.res_pipes[m]]
        return GgaProblem(
            n_free=int(self.free.sum()),
            col_from=self.col[gf],
            col_to=self.col[gt],
            row_from=self.row[gf],
            row_to=self.row[gt],
            pi_fixed_from=np.nan_to_num(self.fixed_pi[gf]),
            pi_fixed_to=np.nan_to_num(self.fixed_pi[gt]),
            factor_from=self.node_factor[lf],
            factor_to=self.node_factor[lt],
            row_demand=np.zeros(0),
            law=s.law.take(m),
            dz=s.dz[m],
            column_coef=s.column_coef,
            z0=s.gas.z_factor,
            z_slope_per_pa=s.gas.z_slope_per_mpa / 1e6,
        )

    def solve(self, s: Setup, pi_start: np.ndarray, q_start: np.ndarray,
              check: Callable[[int, float, float], None] | None = None,
              cold: bool = False) -> tuple[np.ndarray, np.ndarray, GgaSolution]:  # fmt: skip
        """Solve this round: (π per group, flow per solved pipe, Newton's solution on the core); ``cold``: no
        start flows are known (Newton starts from the linearised network)."""
        full = self._problem(s)
        gf, gt = self.gf[self.pipe_mask], self.gt[self.pipe_mask]
        ng = self.n_groups
        # A free group may be peeled when nothing else's balance is added to its row (not a regulator inlet).
        rows_used = np.bincount(self.row[self.row >= 0], minlength=len(self.col))
        peelable = self.free & (rows_used[np.maximum(self.row, 0)] == 1)
        peel = peel_trees(gf, gt, ng, peelable, self.group_demand)
        core_free = self.free & ~peel.peeled
        new_col = np.full(ng, -1, dtype=np.int64)
        new_col[core_free] = np.arange(int(core_free.sum()))
        by_old_col = np.full(max(len(self.col), 1), -1, dtype=np.int64)
        by_old_col[self.col[self.free]] = new_col[self.free]
        new_row = np.where(self.row >= 0, by_old_col[np.maximum(self.row, 0)], -1)
        new_row[peel.peeled] = -1
        n_core = int(core_free.sum())
        # Each row's demand includes the peeled subtrees hanging from its groups (their flows are known).
        ok = new_row >= 0
        row_demand = np.bincount(new_row[ok], weights=peel.load[ok], minlength=n_core)
        c = np.flatnonzero(peel.core)
        core = full.take(c, n_core, new_col[gf[c]], new_col[gt[c]], new_row[gf[c]], new_row[gt[c]], row_demand,
                         full.pi_fixed_from[c], full.pi_fixed_to[c])  # fmt: skip
        opts = s.request.solver
        sol = solve_gga(
            core,
            q_start[c],
            pi_start[core_free],
            max_iterations=opts.max_iterations,
            flow_tolerance=opts.flow_tolerance_nm3h / 3600.0,
            pressure_tolerance_pa=opts.pressure_tolerance_pa,
            check=check,
            cold=cold,
        )
        pi_group = np.where(np.isfinite(self.fixed_pi), self.fixed_pi, np.nan)
        pi_group[core_free] = sol.pi_free[new_col[core_free]]
        q = peel.flow.copy()
        q[c] = sol.q
        # March the pressures out along the peeled trees (innermost level first), then repeat with the pipe
        # drops re-evaluated at the new pressures: Z and the gas column depend on them only weakly.
        if peel.levels:
            pipes = np.concatenate([lv[0] for lv in peel.levels])
            march = full.take(pipes, ng, gf[pipes], gt[pipes], np.full(len(pipes), -1), np.full(len(pipes), -1),
                              np.zeros(ng), np.zeros(len(pipes)), np.zeros(len(pipes)))  # fmt: skip
            residual = self._march(peel.levels, pipes, march, q, pi_group, min(1e-7, opts.pressure_tolerance_pa))
            sol.pressure_residual = max(sol.pressure_residual, residual)
            sol.converged &= residual <= opts.pressure_tolerance_pa
        return pi_group, q, sol

    def _march(self, levels: list, pipes: np.ndarray, march: GgaProblem, q: np.ndarray, pi_group: np.ndarray,
               tolerance_pa: float) -> float:  # fmt: skip
        """Fill ``pi_group`` of the peeled groups: π_leaf_end = π_parent_end ∓ Δ (quadratic form) or
        p_leaf_end = p_parent_end ∓ Δ (linear form), Δ = φ(Q) + gas column, iterated to a fixed point.
        Returns the largest pipe-law residual left (Pa)."""
        pos = np.full(int(pipes.max()) + 1, -1, dtype=np.int64)
        pos[pipes] = np.arange(len(pipes))
        quad = march.law.quadratic
        qm = q[pipes]
        delta = np.zeros(len(pipes))
        # What does not change between sweeps, per level (innermost first): the pipes, which end is the leaf's, the
        # gas-column factors at both ends; a level of quadratic-form pipes only is one multiply-add.
        steps = []
        for lp, leaves, parents in reversed(levels):
            k = pos[lp]
            leaf_is_from = march.col_from[k] == leaves
            f_leaf = np.where(leaf_is_from, march.factor_from[k], march.factor_to[k])
            f_par = np.where(leaf_is_from, march.factor_to[k], march.factor_from[k])
            sign = np.where(leaf_is_from, 1.0, -1.0)  # F = end_from − end_to = Δ
            quad_k = quad[k]
            steps.append((k, leaves, parents, f_leaf, f_par, sign, quad_k, bool(quad_k.all())))
        for _ in range(30):
            for k, leaves, parents, f_leaf, f_par, sign, quad_k, all_quad in steps:
                par_end = pi_group[parents] * f_par
                if all_quad:
                    pi_group[leaves] = (par_end + sign * delta[k]) / f_leaf
                    continue
                lin_end = np.sqrt(np.maximum(par_end, 0.0)) + sign * delta[k]
                leaf_end = np.where(quad_k, par_end + sign * delta[k], np.sign(lin_end) * lin_end * lin_end)
                pi_group[leaves] = leaf_end / f_leaf
            r1, _, _, _, _, r1_pa = _evaluate(march, qm, pi_group)
            residual = float(np.max(np.abs(r1_pa), initial=0.0))
            if residual <= tolerance_pa:
                break
            pif, pit = _pressures(march, pi_group)
            end_diff = np.where(quad, pif - pit, np.sqrt(np.maximum(pif, 0.0)) - np.sqrt(np.maximum(pit, 0.0)))
            delta = end_diff - r1
        return residual
