"""Sizing the demo district for the design peak hour (管径计算): every pipe's DN from the flow it carries.

The district is laid first (:mod:`~console.network._demo_lay`), with materials by age but no sizes; this step gives
each pipe the smallest catalogue size of its kind (main, service, riser; PE, steel or iron) that keeps every customer
above the minimum service pressure of its class at the design peak hour flow: peak demand × the simultaneity factor
of its category (GB 50028 §10.2.9), which is what the simulator's ``demand_factor`` 1.0 means.

The method is the textbook one, done for the whole district at once. Each pressure system is a spanning tree of
shortest paths from its source (the gate station for MP-A, a regulator outlet for LP) plus the pipes that close loops.
A tree pipe carries the design demand downstream of it (regulator inlets draw their LP area's total). The pressure a
path may lose is the budget of its far end (source pressure − design minimum, corrected for the gas column in LP,
where gas lighter than air gains gauge pressure uphill, 附加压头); it is shared out along the path in proportion to
``length × flow^(1/3)`` (near the cheapest split for a pipe cost ∝ diameter), and each pipe's gradient is the least
any node downstream allows. So the drop along every tree path stays within the budget of its end, whatever sizes the
others get; loop closers are sized as if they carried the smaller flow of their two ends, and only add capacity.
Design velocity stays at or below :data:`DESIGN_VELOCITY_MS` at the lowest pressure the pipe may see.

Friction is Darcy–Weisbach for isothermal gas flow with the Swamee–Jain friction factor (within ~1 % of Colebrook–
White), 64/Re in laminar flow, and a margin for fittings: the same law the simulator uses by default, in the same
units. The design basis copies the simulator's defaults (``console.hydraulics`` builds on this package, so it cannot
be imported here); a test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from console.network._demo_draft import (
    CAST,
    CUSTOMER,
    DUCTILE,
    HP_MAIN,
    IN_SERVICE,
    LP_MAIN,
    LP_SERVICE,
    MP,
    MP_MAIN,
    MP_SERVICE,
    PE100,
    RISER_PIPE,
    ROUGHNESS_MM,
    SHP,
    STEEL,
    Draft,
    inner_diameter_mm,
)
from console.network._demo_streets import Island, hop_depth

__all__ = [
    "DESIGN_MIN_PRESSURE_PA",
    "DESIGN_SIMULTANEITY",
    "DESIGN_VELOCITY_MS",
    "LADDERS",
    "size_for_design_peak",
]

# Design basis: the simulator's defaults (DEFAULT_SIMULTANEITY, GasProperties()), by customer category code.
DESIGN_SIMULTANEITY = {"residential": 0.3, "commercial": 0.6, "industrial": 0.8, "special": 0.8}
_SIMULTANEITY_BY_CODE = np.array(
    [DESIGN_SIMULTANEITY[c] for c in ("residential", "commercial", "industrial", "special")]
)
# The lowest gauge pressure the design allows, per class: the service minimum (LP 1.5 kPa, MP-A 0.2 MPa) with a
# margin (LP 0.15 kPa; MP-A designed to stay at 0.28 MPa, SHP-A at 0.95 MPa, well above their minimum).
DESIGN_MIN_PRESSURE_PA = {"LP": 1650.0, "MP-A": 280_000.0, "SHP-A": 950_000.0}
LP_DESIGN_DROP_PA = 1000.0  # LP networks are designed for at most ~1 kPa from the regulator outlet
DESIGN_VELOCITY_MS = 15.0  # below the simulator's 20 m/s warning
LOSS_MARGIN = 1.15  # fittings and tees, and the transition zone the simulator interpolates (Re 2000–4000)
MIN_LP_BUDGET_PA = 100.0  # a far end well below its regulator still gets a workable budget

_RHO_BASE = 0.58 * 1.2930  # natural gas, kg/Nm³ (relative density 0.58)
_VISCOSITY = 1.08e-5  # Pa·s
_T_GAS, _T_BASE, _P_BASE = 288.15, 273.15, 101_325.0
# Gauge gain of LP gas per metre uphill, (ρ_air − ρ_gas) g ≈ 4.9 Pa/m at 15 °C: taken low uphill, high downhill.
_COLUMN_UP_PA_M, _COLUMN_DOWN_PA_M = 4.0, 5.5
_P_LOW_LP_ABS = 99_000.0  # below any LP absolute pressure on the island (atmosphere at 120 m is 99.9 kPa)

# Catalogue sizes by pipe role and material family: PE dn is the outside diameter, steel and iron DN nominal bores.
PE, STEEL_FAMILY, IRON = 0, 1, 2
LADDERS = {
    (MP_MAIN, PE): (110, 160, 200, 250, 315),
    (MP_MAIN, STEEL_FAMILY): (100, 150, 200, 250, 300, 350, 400, 500, 600, 700, 800),
    (MP_SERVICE, PE): (63, 90, 110, 160, 200, 250, 315),
    (MP_SERVICE, STEEL_FAMILY): (50, 80, 100, 150, 200, 250, 300, 350, 400),
    (LP_MAIN, PE): (63, 90, 110, 160, 200, 250, 315, 400),
    (LP_MAIN, STEEL_FAMILY): (80, 100, 150, 200, 250, 300, 350, 400),
    (LP_MAIN, IRON): (80, 100, 150, 200, 250, 300, 400),
    (LP_SERVICE, PE): (32, 40, 50, 63, 90, 110, 160, 200, 250, 315),
    (LP_SERVICE, STEEL_FAMILY): (25, 32, 40, 50, 80, 100, 150, 200, 250, 300),
    (RISER_PIPE, STEEL_FAMILY): (32, 40, 50, 80, 100),
    (HP_MAIN, STEEL_FAMILY): (150, 200, 250, 300, 350, 400, 500, 600, 700, 800),
}


def size_for_design_peak(island: Island, draft: Draft) -> None:
    """Give every pipe of ``draft`` its ``dn`` for the design peak hour; MP PE too small for its flow becomes steel.

    Also leaves ``draft.regulator_design_nm3h`` (the design flow through each regulator, in the order added) and
    ``draft.customer_design_nm3h`` behind for the regulator table.
    """
    pipes, regs, xy = draft.pipes(), draft.regulators(), draft.xy
    n = draft.n_nodes
    length = _polyline_length(pipes["coords"], pipes["count"])
    live = np.flatnonzero(pipes["status"] == IN_SERVICE)

    customers = np.flatnonzero(draft.layer == CUSTOMER)
    attrs = draft.node_attrs[CUSTOMER]
    peak = np.concatenate([c["peak"] for c in attrs])
    category = np.concatenate([c["category"] for c in attrs])
    demand = np.zeros(n)
    demand[customers] = peak * _SIMULTANEITY_BY_CODE[category]
    draft.customer_design_nm3h = demand[customers]

    gates = draft.gate_nodes
    sources = np.concatenate([gates, regs["to"]])
    tree = _SupplyTree.build(n, pipes["from"][live], pipes["to"][live], length[live], sources)
    # Design flow into each node's subtree; a regulator inlet draws everything its outlet side takes (an MP
    # regulator's area, a district station's MP part with the LP areas below it: one pass per level).
    customer_demand = demand
    flow = tree.subtree_sum(customer_demand)
    for _ in range(3):
        through_regulator = flow[regs["to"]]
        demand = customer_demand.copy()
        np.add.at(demand, regs["frm"], through_regulator)
        flow = tree.subtree_sum(demand)
    draft.regulator_design_nm3h = flow[regs["to"]]
    draft.gate_design_nm3h = flow[gates]

    # Budgets in π = p_abs² (the simulator's quadratic form), per node, for the path from its source.
    elevation = island.sample(island.elevation, xy[:, 0], xy[:, 1])
    atm = _P_BASE * (1.0 - 2.25577e-5 * elevation) ** 5.25588
    source_abs = np.concatenate([draft.gate_supply_mpa * 1e6, regs["set_mpa"] * 1e6]) + atm[sources]
    gate_class = np.full(len(gates), SHP if (regs["inlet_pc"] == SHP).any() else MP)
    source_class = np.concatenate([gate_class, regs["outlet_pc"]])
    reached = tree.source >= 0
    src = np.maximum(tree.source, 0)
    is_mp = reached & (source_class[src] == MP)
    is_shp = reached & (source_class[src] == SHP)
    pi_source = source_abs[src] ** 2
    rise = elevation - elevation[sources[src]]
    lp_drop = np.minimum(source_abs[src] - atm[sources[src]] - DESIGN_MIN_PRESSURE_PA["LP"], LP_DESIGN_DROP_PA)
    lp_drop = np.maximum(lp_drop + np.minimum(_COLUMN_UP_PA_M * rise, _COLUMN_DOWN_PA_M * rise), MIN_LP_BUDGET_PA)
    mp_budget = pi_source - (atm + DESIGN_MIN_PRESSURE_PA["MP-A"]) ** 2
    shp_budget = pi_source - (atm + DESIGN_MIN_PRESSURE_PA["SHP-A"]) ** 2
    budget = np.select([is_mp, is_shp], [mp_budget, shp_budget], 2.0 * _P_LOW_LP_ABS * lp_drop)

    # Share the budget along each path by length × flow^(1/3); each pipe takes the least gradient downstream allows.
    child = tree.child_of_pipe
    weight = np.zeros(n)
    weight[child] = (flow[child] + 1.0) ** (1.0 / 3.0)
    weighted_dist = tree.path_sum(np.where(tree.parent >= 0, weight * tree.parent_length, 0.0))
    ratio = np.where(reached & (tree.parent >= 0), budget / np.maximum(weighted_dist, 1e-9), np.inf)
    least = np.where(tree.parent >= 0, tree.subtree_min(ratio), 0.0)  # 0 at sources and unreached nodes
    gradient = np.where(tree.parent >= 0, weight * least, np.inf)  # allowed Δπ per metre of the pipe into a node
    # The lowest π each node may see (for the design velocity); budgets stay below the source's π, so the floor is
    # only a guard.
    pi_low = np.maximum(pi_source - least * weighted_dist, (0.5 * source_abs[src]) ** 2)

    # Tree pipes by their child node; loop closers as if carrying the smaller flow of their two ends.
    q = np.zeros(len(live))
    grad = np.full(len(live), np.inf)
    p_low = np.full(len(live), _P_LOW_LP_ABS)
    q[tree.tree_pipe] = flow[child]
    grad[tree.tree_pipe] = gradient[child]
    p_low[tree.tree_pipe] = np.sqrt(pi_low[child])
    loop = np.ones(len(live), bool)
    loop[tree.tree_pipe] = False
    a, b = pipes["from"][live][loop], pipes["to"][live][loop]
    q[loop] = np.minimum(flow[a], flow[b])
    grad[loop] = np.minimum(gradient[a], gradient[b])
    p_low[loop] = np.sqrt(np.minimum(pi_low[a], pi_low[b]))
    p_low = np.where((is_mp | is_shp)[pipes["from"][live]], p_low, _P_LOW_LP_ABS)

    dn = np.zeros(len(pipes["from"]), np.int64)
    material = pipes["material"]
    role = pipes["role"]
    dn[:] = _smallest(role, _family(material))  # out of service or unreached: the smallest of its kind
    sized, ok = _choose(role[live], material[live], q, grad, p_low, length[live])
    dn[live] = sized
    # MP PE that no PE size can carry is laid in steel, as trunk mains are.
    swap = live[~ok & (material[live] <= PE100) & np.isin(role[live], (MP_MAIN, MP_SERVICE))]
    if swap.size:
        material[swap] = STEEL
        k = np.searchsorted(live, swap)
        dn[swap] = _choose(role[swap], material[swap], q[k], grad[k], p_low[k], length[swap])[0]
    pipes["dn"] = dn


def _family(material: np.ndarray) -> np.ndarray:
    return np.select([material <= PE100, material == STEEL, (material == DUCTILE) | (material == CAST)], [0, 1, 2], 1)


def _smallest(role: np.ndarray, family: np.ndarray) -> np.ndarray:
    out = np.zeros(len(role), np.int64)
    for (r, f), ladder in LADDERS.items():
        out[(role == r) & (family == f)] = ladder[0]
    return out


def _choose(role, material, q_nm3h, gradient, p_low_abs, length_m) -> tuple[np.ndarray, np.ndarray]:
    """Smallest ladder size meeting the allowed Δπ per metre and the design velocity; the largest where none does.

    Returns (dn, whether a size met both).
    """
    family = _family(material)
    dn = np.zeros(len(role), np.int64)
    ok = np.zeros(len(role), bool)
    q = q_nm3h / 3600.0
    k = ROUGHNESS_MM[material] / 1000.0
    for (r, f), ladder in LADDERS.items():
        here = np.flatnonzero((role == r) & (family == f))
        if not here.size:
            continue
        dn[here] = ladder[-1]
        for size in ladder:  # a handful of catalogue sizes, each over every pipe of this kind at once
            open_ = here[~ok[here]]
            if not open_.size:
                break
            d = inner_diameter_mm(material[open_], np.full(len(open_), size)) / 1000.0
            loss = _loss_pi_per_m(q[open_], d, k[open_])
            velocity = q[open_] * (_P_BASE / p_low_abs[open_]) * (_T_GAS / _T_BASE) / (np.pi / 4 * d**2)
            fits = (loss <= gradient[open_]) & (velocity <= DESIGN_VELOCITY_MS)
            dn[open_[fits]] = size
            ok[open_[fits]] = True
    if (dn == 0).any():
        i = int(np.argmax(dn == 0))
        raise ValueError(f"no size ladder for pipe role {role[i]} in material {material[i]}: add one to LADDERS")
    return dn, ok


def _loss_pi_per_m(q_m3s: np.ndarray, d_m: np.ndarray, roughness_m: np.ndarray) -> np.ndarray:
    """Δ(p²) per metre (Pa²/m) at base flow ``q_m3s``: λ · 16 ρ_b p_b Z T Q² / (π² D⁵ T_b), Z = 1, with a margin.

    100 m³/h through DN100 steel at about 102 kPa absolute: Δp/L = Δ(p²)/(2p) ≈ 1.22 Pa/m by Darcy-Weisbach, 1.40 with
    the margin.

    >>> loss = float(_loss_pi_per_m(np.array([100 / 3600]), np.array([0.1]), np.array([7e-6]))[0])
    >>> round(loss / 2 / 102_000 / LOSS_MARGIN, 2), round(loss / 2 / 102_000, 2)
    (1.22, 1.4)
    """
    re = 4.0 * _RHO_BASE * q_m3s / (np.pi * d_m * _VISCOSITY)
    re = np.maximum(re, 1e-9)
    turbulent = 0.25 / np.log10(roughness_m / (3.7 * d_m) + 5.74 / np.maximum(re, 4000.0) ** 0.9) ** 2
    lam = np.where(re < 2000.0, 64.0 / re, turbulent)
    coef = 16.0 * _RHO_BASE * _P_BASE * _T_GAS / (np.pi**2 * _T_BASE)
    return LOSS_MARGIN * lam * coef * q_m3s**2 / d_m**5


def _polyline_length(coords: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Length of each pipe from its flat vertex array (``count`` vertices each)."""
    seg = np.hypot(*np.diff(coords, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return cum[start + count - 1] - cum[start]


@dataclass(frozen=True)
class _SupplyTree:
    """Shortest-path forest from the sources over the pipes in service, with vectorised level-by-level passes.

    ``parent``/``parent_length`` per node (-1/0 at sources and unreached nodes), ``source`` the index into the
    sources feeding it (-1 unreached); ``tree_pipe`` the pipes (indices into the edges given) on the forest and
    ``child_of_pipe`` their downstream nodes.
    """

    parent: np.ndarray
    parent_length: np.ndarray
    source: np.ndarray
    tree_pipe: np.ndarray
    child_of_pipe: np.ndarray
    levels: tuple[np.ndarray, ...]  # nodes with a parent, by hop depth, shallowest first

    @classmethod
    def build(cls, n: int, frm: np.ndarray, to: np.ndarray, length: np.ndarray, sources: np.ndarray) -> _SupplyTree:
        lo, hi = np.minimum(frm, to).astype(np.int64), np.maximum(frm, to).astype(np.int64)
        key = lo * n + hi
        order = np.argsort(key)
        sorted_keys = key[order]
        # A graph sums parallel edges; none are laid, but should one be, the first of a pair stands for both.
        first = order[np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]] if len(order) else order
        graph = coo_matrix((np.maximum(length[first], 1e-3), (lo[first], hi[first])), shape=(n, n)).tocsr()
        _, pred, source_node = dijkstra(graph, directed=False, indices=sources, min_only=True,
                                        return_predecessors=True)  # fmt: skip
        parent = np.where(pred < 0, -1, pred).astype(np.int64)
        rank = np.full(n, -1, np.int64)
        rank[sources] = np.arange(len(sources))
        source = np.where(source_node >= 0, rank[np.maximum(source_node, 0)], -1)
        child = np.flatnonzero(parent >= 0)
        want = np.minimum(parent[child], child) * n + np.maximum(parent[child], child)
        tree_pipe = order[np.searchsorted(sorted_keys, want)]
        parent_length = np.zeros(n)
        parent_length[child] = length[tree_pipe]
        depth = hop_depth(parent)
        by_depth = child[np.argsort(depth[child], kind="stable")]
        cuts = np.flatnonzero(np.diff(depth[by_depth])) + 1
        levels = tuple(np.split(by_depth, cuts)) if len(by_depth) else ()
        return cls(parent, parent_length, source, tree_pipe, child, levels)

    def subtree_sum(self, x: np.ndarray) -> np.ndarray:
        total = np.asarray(x, float).copy()
        for level in reversed(self.levels):
            np.add.at(total, self.parent[level], total[level])
        return total

    def subtree_min(self, x: np.ndarray) -> np.ndarray:
        least = np.asarray(x, float).copy()
        for level in reversed(self.levels):
            np.minimum.at(least, self.parent[level], least[level])
        return least

    def path_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each node's path from its source (the source's own value excluded)."""
        total = np.zeros(len(self.parent))
        for level in self.levels:
            total[level] = total[self.parent[level]] + x[level]
        return total
