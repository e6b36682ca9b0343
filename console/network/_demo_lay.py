"""Laying the demo district: MP-A mains, regulators, factories, LP mains, service tees, services, risers, customers.

The functions here turn a :class:`~console.network._demo_plan.Plan` into chunks of a
:class:`~console.network._demo_draft.Draft`; valves are requested per pipe end and inserted afterwards in one step.
Pipes are laid with their material (by age) and role (main, service, riser); their sizes come afterwards from the
design flow (:mod:`~console.network._demo_sizing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.network._demo_draft import (
    ABANDONED,
    CAST,
    CITY,
    COMMERCIAL,
    CUSTOMER,
    DUCTILE,
    GATE,
    HP_MAIN,
    HP_SUPPLY_PRESSURE_MPA,
    IN_SERVICE,
    INDUSTRIAL,
    JUNCTION,
    LP,
    LP_MAIN,
    LP_SERVICE,
    MP,
    MP_MAIN,
    MP_SERVICE,
    PE80,
    PE100,
    PLANNED,
    QUARTERS,
    RESIDENTIAL,
    RISER,
    RISER_PIPE,
    SHP,
    SPECIAL,
    SPECIAL_USERS,
    STEEL,
    SUPPLY_PRESSURE_MPA,
    Draft,
    cn_number,
    factory_names,
    numbered_names,
)
from console.network._demo_plan import Plan, gumbel_top, nearest
from console.network._demo_streets import Island, Streets, edge_lookup

__all__ = ["lay_low_pressure", "lay_mains_and_regulators"]

MP_OFFSET_M = 4.0  # MP mains run this far left of the street centre line
MP_NODE_OFFSET = np.array([2.5, 2.5])  # an MP junction's fallback place, ~3.5 m off the intersection
MP_VALVE_SPACING_M = 800.0
HP_OFFSET_M = 7.0  # SHP-A mains run this far right of the street centre line
HP_VALVE_SPACING_M = 2000.0


def _left(d: np.ndarray) -> np.ndarray:
    return np.column_stack([-d[:, 1], d[:, 0]])


def _unit(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    length = np.hypot(d[:, 0], d[:, 1])
    return d / np.maximum(length, 1e-9)[:, None], length


def _oriented(streets: Streets, edges: np.ndarray, frm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, B, C) vertex arrays of street ``edges`` walked from street node ``frm``."""
    fwd = streets.u[edges] == frm
    a = np.where(fwd[:, None], streets.xy[streets.u[edges]], streets.xy[streets.v[edges]])
    c = np.where(fwd[:, None], streets.xy[streets.v[edges]], streets.xy[streets.u[edges]])
    return a, streets.bend[edges], c


def _size_index(value: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """0 for the biggest class (value >= thresholds[0]) up to len(thresholds) for the smallest."""
    return np.searchsorted(-np.asarray(thresholds, float), -value, side="right")


def lay_mains_and_regulators(rng, island: Island, streets: Streets, plan: Plan, draft: Draft) -> None:
    """MP-A mains and the gate station, regulators with their tees and LP entries, factories, and the MP valves."""
    mains = _lay_mp_mains(rng, streets, plan, draft)
    taps, entries = _lay_regulators(rng, streets, plan, draft, mains.node_offset)
    factory_taps = _lay_factories(rng, island, streets, plan, draft, mains.node_offset)
    if len(plan.districts):  # a city: SHP-A ring and district stations (their own random stream: see make_plan)
        _lay_sub_high_pressure(np.random.default_rng(rng.integers(2**63)), streets, plan, draft, mains.node_offset)

    # MP valves: on each branch leaving a junction of degree >= 3 (tees counted), every ~800 m along the mains, on
    # every regulator and factory tee, at the gate station outlet; half of the ring closers are normally closed ties.
    n = streets.n
    degree = np.bincount(
        np.concatenate([mains.frm, mains.to, plan.sites, plan.factories, plan.mp_sources]), minlength=n
    )
    child, parent = mains.child, mains.parent
    branch = degree[parent] >= 3
    spacing = MP_VALVE_SPACING_M
    spaced = np.floor(plan.mp_dist[child] / spacing) > np.floor(plan.mp_dist[parent] / spacing)
    trunk_main = mains.size[: len(child)] <= 1  # the biggest loads: the trunk mains
    on = branch | spaced
    draft.add_valves(mains.tree[on], 0, remote=(branch & trunk_main)[on])
    draft.add_valves(mains.rings, 0, closed=plan.ring_closed, remote=plan.ring_closed)
    draft.add_valves(mains.rings[degree[streets.v[plan.rings]] >= 3], 1)
    draft.add_valves(mains.gate_trunk, 0, remote=True)
    draft.add_valves(taps, 0, remote=plan.is_station)
    draft.add_valves(factory_taps, 0)
    draft.add_valves(entries, 1)


@dataclass(frozen=True)
class _Mains:
    tree: np.ndarray  # pipe indices of the tree mains, in the order of ``child``
    rings: np.ndarray  # pipe indices of the ring closers, in the order of ``plan.rings``
    gate_trunk: np.ndarray
    child: np.ndarray  # street node at the downstream end of each tree main
    parent: np.ndarray
    frm: np.ndarray  # street nodes at the ends of every main (tree then rings)
    to: np.ndarray
    size: np.ndarray  # index into the MP size ladder, per main
    node_offset: np.ndarray  # (n, 2) where each street node's MP junction sits relative to it


def _lay_mp_mains(rng, streets: Streets, plan: Plan, draft: Draft) -> _Mains:
    """LP junctions at every street node, MP junctions and mains beside the MP tree and rings, the gate station."""
    n, xy = streets.n, streets.xy
    # Tree mains are walked parent -> child (the flow direction), ring closers u -> v.
    child = np.flatnonzero(plan.mp_on & (plan.mp_parent >= 0))
    parent = plan.mp_parent[child]
    tree_edges = edge_lookup(streets.u, streets.v, n, parent, child)
    edges = np.concatenate([tree_edges, plan.rings])
    frm = np.concatenate([parent, streets.u[plan.rings]])
    to = np.concatenate([child, streets.v[plan.rings]])
    a, b, c = _oriented(streets, edges, frm)
    d1, l1 = _unit(b - a)
    d2, l2 = _unit(c - b)
    n1, n2 = _left(d1), _left(d2)
    nb, _ = _unit(n1 + n2)
    # An MP junction sits on the mean offset of the mains meeting there (a straight run stays straight); where
    # they pull apart evenly, it steps diagonally off the intersection instead.
    pull = np.zeros((n, 2))
    np.add.at(pull, frm, n1)
    np.add.at(pull, to, n2)
    pull_dir, pull_len = _unit(pull)
    node_offset = np.where((pull_len > 0.3)[:, None], MP_OFFSET_M * pull_dir, MP_NODE_OFFSET)

    # Every street node belongs to exactly one LP area, so each gets one LP junction.
    draft.lp_node = draft.add_nodes(xy, JUNCTION)
    draft.mp_node = np.full(n, -1, np.int64)
    mp_nodes = np.flatnonzero(plan.mp_on)
    draft.mp_node[mp_nodes] = draft.add_nodes(xy[mp_nodes] + node_offset[mp_nodes], JUNCTION)
    draft.gate_nodes = draft.add_nodes(plan.gates_xy, GATE)
    draft.gate_node = int(draft.gate_nodes[0])
    draft.gate_supply_mpa = np.full(
        len(plan.gates), HP_SUPPLY_PRESSURE_MPA if len(plan.districts) else SUPPLY_PRESSURE_MPA
    )
    vertices = np.stack(
        [
            xy[frm] + node_offset[frm],
            a + d1 * np.minimum(10.0, 0.3 * l1)[:, None] + MP_OFFSET_M * n1,
            b + MP_OFFSET_M * nb,
            c - d2 * np.minimum(10.0, 0.3 * l2)[:, None] + MP_OFFSET_M * n2,
            xy[to] + node_offset[to],
        ],
        axis=1,
    )
    # Load class by the LP area fed downstream (0 the trunks, which are mostly steel); mains laid since 2003 are
    # mostly PE100. Sizes come later, from the design flow (console.network._demo_sizing).
    size = np.concatenate([_size_index(plan.mp_load[child], [1200, 500, 200, 60]), np.full(len(plan.rings), 3)])
    year = np.clip(np.round(streets.year[to] + rng.normal(3, 2, len(to))), 1990, 2025).astype(int)
    steel = (year < 2003) | ((size <= 1) & (rng.random(len(to)) < 0.7))
    pipes = draft.add_pipes(
        draft.mp_node[frm],
        draft.mp_node[to],
        vertices,
        material=np.where(steel, STEEL, PE100),
        role=MP_MAIN,
        pclass=MP,
        year=year,
        depth=rng.uniform(1.0, 1.5, len(to)),
        status=IN_SERVICE,
    )
    if len(plan.districts):  # the gate stations feed the SHP-A mains instead (_lay_sub_high_pressure)
        return _Mains(pipes[: len(child)], pipes[len(child) :], np.empty(0, np.int64), child, parent, frm, to, size,
                      node_offset)  # fmt: skip
    trunk = draft.add_pipes(
        [draft.gate_node],
        draft.mp_node[[plan.gate]],
        material=STEEL,
        role=MP_MAIN,
        pclass=MP,
        year=int(year.min()),
        depth=1.4,
        status=IN_SERVICE,
    )
    return _Mains(pipes[: len(child)], pipes[len(child) :], trunk, child, parent, frm, to, size, node_offset)


def _lay_sub_high_pressure(rng, streets: Streets, plan: Plan, draft: Draft, mp_offset: np.ndarray) -> None:
    """A city's SHP-A mains (次高压A, steel) from the gate stations to the district stations, closed into a ring,
    and the district regulator stations (高中压调压站) feeding the MP-A mains at 0.4 MPa."""
    n, xy = streets.n, streets.xy
    frm, to = plan.hp_u, plan.hp_v
    edges = edge_lookup(streets.u, streets.v, n, frm, to)
    a, b, c = _oriented(streets, edges, frm)
    d1, l1 = _unit(b - a)
    d2, l2 = _unit(c - b)
    n1, n2 = -_left(d1), -_left(d2)  # on the right of the street, across it from the MP main
    nb, _ = _unit(n1 + n2)
    pull = np.zeros((n, 2))
    np.add.at(pull, frm, n1)
    np.add.at(pull, to, n2)
    pull_dir, pull_len = _unit(pull)
    offset = np.where((pull_len > 0.3)[:, None], HP_OFFSET_M * pull_dir, -2.0 * MP_NODE_OFFSET)
    hp_node = np.full(n, -1, np.int64)
    on = np.flatnonzero(plan.hp_on)
    hp_node[on] = draft.add_nodes(xy[on] + offset[on], JUNCTION)
    vertices = np.stack(
        [
            xy[frm] + offset[frm],
            a + d1 * np.minimum(10.0, 0.3 * l1)[:, None] + HP_OFFSET_M * n1,
            b + HP_OFFSET_M * nb,
            c - d2 * np.minimum(10.0, 0.3 * l2)[:, None] + HP_OFFSET_M * n2,
            xy[to] + offset[to],
        ],
        axis=1,
    )
    year = np.clip(np.round(streets.year[to] + rng.normal(6, 2, len(to))), 1998, 2025).astype(int)
    hp = {"material": STEEL, "role": HP_MAIN, "pclass": SHP, "status": IN_SERVICE}
    mains = draft.add_pipes(hp_node[frm], hp_node[to], vertices, year=year, depth=rng.uniform(1.2, 1.8, len(to)), **hp)
    trunks = draft.add_pipes(draft.gate_nodes, hp_node[plan.gates], year=int(year.min()), depth=1.5, **hp)

    d = plan.districts
    k = len(d)
    turn = rng.uniform(0, 2 * np.pi, k)
    box, inlet_xy, outlet_xy = _beside(xy[d], np.column_stack([np.cos(turn), np.sin(turn)]), offset[d], 30.0, 3.0)
    inlet = draft.add_nodes(inlet_xy, JUNCTION)
    outlet = draft.add_nodes(outlet_xy, JUNCTION)
    year_d = np.clip(np.round(streets.year[d] + rng.normal(6, 2, k)), 1998, 2025).astype(int)
    taps = draft.add_pipes(hp_node[d], inlet, year=year_d, depth=1.5, **hp)
    outs = draft.add_pipes(outlet, draft.mp_node[d], material=STEEL, role=MP_MAIN, pclass=MP, year=year_d,
                           depth=1.4, status=IN_SERVICE)  # fmt: skip
    draft.add_regulators(inlet, outlet, box, station=np.ones(k, bool), factory=np.zeros(k, bool), site=d,
                         set_mpa=np.full(k, SUPPLY_PRESSURE_MPA), inlet_pc=np.full(k, SHP), outlet_pc=np.full(k, MP))  # fmt: skip

    # Valves: remote ones at every gate outlet and district station inlet, one at each station outlet, block
    # valves every ~2 km along the mains and on each branch.
    degree = np.bincount(np.concatenate([frm, to, d]), minlength=n)
    spaced = np.floor(plan.hp_dist[to] / HP_VALVE_SPACING_M) > np.floor(plan.hp_dist[frm] / HP_VALVE_SPACING_M)
    draft.add_valves(mains[(degree[frm] >= 3) | spaced], 0, remote=True)
    draft.add_valves(trunks, 0, remote=True)
    draft.add_valves(taps, 0, remote=True)
    draft.add_valves(outs, 1)


def _beside(xy: np.ndarray, direction: np.ndarray, node_offset: np.ndarray, distance, half) -> tuple:
    """A device box ``distance`` from street nodes ``xy`` along ``direction``, and its inlet and outlet points
    ``half`` either side across it, the inlet on the side of the MP junction so the two pipes to it never cross."""
    across = _left(direction)
    across *= np.sign((across * node_offset).sum(axis=1) + 1e-9)[:, None]
    box = xy + direction * np.asarray(distance, float).reshape(-1, 1)
    half = np.asarray(half, float).reshape(-1, 1)
    return box, box + across * half, box - across * half


def _lay_regulators(rng, streets: Streets, plan: Plan, draft: Draft, node_offset: np.ndarray):
    """Each LP area's regulator: a tee off the MP junction to the inlet, the outlet's LP pipe back to the street."""
    sites, station = plan.sites, plan.is_station
    k = len(sites)
    turn = rng.uniform(0, 2 * np.pi, k)
    direction = np.column_stack([np.cos(turn), np.sin(turn)])
    box, inlet_xy, outlet_xy = _beside(
        streets.xy[sites], direction, node_offset[sites], np.where(station, 25.0, 12.0), np.where(station, 2.0, 1.0)
    )
    inlet = draft.add_nodes(inlet_xy, JUNCTION)
    outlet = draft.add_nodes(outlet_xy, JUNCTION)
    year = np.clip(np.round(streets.year[sites] + rng.normal(2, 2, k)), 1988, 2025).astype(int)
    old = year < 2003
    taps = draft.add_pipes(
        draft.mp_node[sites],
        inlet,
        material=np.where(old, STEEL, PE100),
        role=MP_SERVICE,
        pclass=MP,
        year=year,
        depth=rng.uniform(1.0, 1.4, k),
        status=IN_SERVICE,
    )
    iron = year < 2001
    entries = draft.add_pipes(
        outlet,
        draft.lp_node[sites],
        material=np.where(iron, DUCTILE, PE100),
        role=LP_MAIN,
        pclass=LP,
        year=year,
        depth=rng.uniform(0.8, 1.2, k),
        status=IN_SERVICE,
    )
    # Outlet set points: stations 3.0 kPa, boxes 2.2–2.8 kPa (LP distribution, designed for <= 1 kPa of drop).
    set_mpa = np.where(station, 0.003, np.round(rng.uniform(0.0022, 0.0028, k), 4))
    draft.add_regulators(inlet, outlet, box, station=station, factory=np.zeros(k, bool), site=sites, set_mpa=set_mpa)
    return taps, entries


def _lay_factories(rng, island: Island, streets: Streets, plan: Plan, draft: Draft, node_offset: np.ndarray):
    """Factories near the quays, each on its own MP-A service line to a regulator box at its fence (专用调压箱).

    Large industrial users take gas at medium pressure: the dedicated service line runs 50–90 m from the MP main to
    the box, whose outlet (5 kPa) reaches the factory's meter a few metres on.
    """
    f = plan.factories
    m = len(f)
    out = streets.xy[f] - np.array([island.coast.cx, island.coast.cy])
    turn = np.arctan2(out[:, 1], out[:, 0]) + rng.uniform(-0.7, 0.7, m)  # roughly seawards
    direction = np.column_stack([np.cos(turn), np.sin(turn)])
    box, inlet_xy, outlet_xy = _beside(streets.xy[f], direction, node_offset[f], rng.uniform(50, 90, m), np.ones(m))
    inlet = draft.add_nodes(inlet_xy, JUNCTION)
    outlet = draft.add_nodes(outlet_xy, JUNCTION)
    demand = np.clip(rng.lognormal(np.log(400), 0.7, m), 100, 2000)
    factory = draft.add_nodes(
        box + direction * rng.uniform(6, 10, m)[:, None],
        CUSTOMER,
        category=np.full(m, INDUSTRIAL),
        special_kind=np.full(m, "", object),
        households=np.zeros(m, int),
        peak=demand,
        name=factory_names(rng, island.town_names[plan.town[f]]),
    )
    year = np.clip(np.round(streets.year[f] + rng.normal(4, 3, m)), 1995, 2025).astype(int)
    steel = year < 2005
    attrs = {"material": np.where(steel, STEEL, PE100), "year": year, "status": IN_SERVICE}
    taps = draft.add_pipes(draft.mp_node[f], inlet, pclass=MP, role=MP_SERVICE, depth=rng.uniform(1.0, 1.4, m), **attrs)
    draft.add_pipes(outlet, factory, pclass=LP, role=LP_SERVICE, depth=rng.uniform(0.8, 1.2, m), **attrs)
    draft.add_regulators(
        inlet, outlet, box, station=np.zeros(m, bool), factory=np.ones(m, bool), site=f, set_mpa=np.full(m, 0.005)
    )
    return taps


def lay_low_pressure(rng, island: Island, streets: Streets, plan: Plan, draft: Draft, n_pipes: int) -> None:
    """LP mains along every street inside an area, service tees on them, services, risers and customers.

    The pipes still wanted after the mains, regulator and factory connections and one LP pipe per street come from
    service tees: each tee adds a main segment and a service pipe, and a riser pipe where it feeds an apartment block.
    """
    mains = _lp_mains(rng, streets, plan)
    edges, frm, to, status = mains.edges, mains.frm, mains.to, mains.status
    length = streets.length[edges]
    a, b, c = _oriented(streets, edges, frm)
    urban = 0.5 * (streets.urban[frm] + streets.urban[to])
    block_share = _block_share(urban)
    cap = np.where(status == IN_SERVICE, np.floor((length - 10.0) / 7.0), 0).clip(0)
    weight = cap * 7.0 * (0.4 + urban)
    remaining = n_pipes - draft.n_pipes - len(edges)
    mean_block = float((weight * block_share).sum() / max(weight.sum(), 1e-9))
    n_tees = int(np.clip(round(remaining / (2.0 + mean_block)), 0, cap.sum()))
    tees = _allocate(rng, weight, cap, n_tees)
    n_tees = int(tees.sum())
    n_blocks = int(np.clip(remaining - 2 * n_tees, 0, n_tees))

    # Tee positions: evenly spread along the street with a little jitter, >= 5 m from either end.
    tee_edge = np.repeat(np.arange(len(edges)), tees)
    first = np.concatenate([[0], np.cumsum(tees)[:-1]])
    j = np.arange(n_tees) - np.repeat(first, tees)
    k = tees[tee_edge]
    s = 5.0 + (length[tee_edge] - 10.0) * (j + 0.5 + rng.uniform(-0.25, 0.25, n_tees)) / k
    ta, tb, tc = a[tee_edge], b[tee_edge], c[tee_edge]
    d1, l1 = _unit(tb - ta)
    d2, _ = _unit(tc - tb)
    on_first = s <= l1
    tee_xy = np.where(on_first[:, None], ta + d1 * s[:, None], tb + d2 * (s - l1)[:, None])
    normal = _left(np.where(on_first[:, None], d1, d2)) * rng.choice([-1.0, 1.0], n_tees)[:, None]
    tee_node = draft.add_nodes(tee_xy, JUNCTION)

    # Main segments between consecutive stops (street node, tees…, street node), with the bend where it falls.
    stops = tees + 2
    stop_edge = np.repeat(np.arange(len(edges)), stops)
    stop_first = np.concatenate([[0], np.cumsum(stops)[:-1]])
    stop_node = np.empty(stops.sum(), np.int64)
    stop_s = np.empty(stops.sum())
    stop_node[stop_first] = draft.lp_node[frm]
    stop_node[stop_first + stops - 1] = draft.lp_node[to]
    stop_s[stop_first] = 0.0
    stop_s[stop_first + stops - 1] = length
    inner = np.ones(stops.sum(), bool)
    inner[stop_first] = False
    inner[stop_first + stops - 1] = False
    stop_node[inner] = tee_node
    stop_s[inner] = s
    last = np.zeros(stops.sum(), bool)
    last[stop_first + stops - 1] = True
    seg = np.flatnonzero(~last)
    seg_edge = stop_edge[seg]
    bend_s = np.hypot(*(b - a).T)[seg_edge]
    has_bend = (stop_s[seg] < bend_s) & (bend_s < stop_s[seg + 1])
    node_xy = draft.xy
    vertices = np.stack([node_xy[stop_node[seg]], b[seg_edge], node_xy[stop_node[seg + 1]]], axis=1)
    mask = np.column_stack([np.ones(len(seg), bool), has_bend, np.ones(len(seg), bool)])
    pick = seg_edge
    segments = draft.add_pipes(
        stop_node[seg],
        stop_node[seg + 1],
        vertices,
        mask,
        material=mains.material[pick],
        role=LP_MAIN,
        pclass=LP,
        year=mains.year[pick],
        depth=rng.uniform(0.8, 1.2, len(seg)),
        status=status[pick],
    )
    # Valves on some LP branches: the first segment of a tree street leaving a junction of degree >= 3.
    first_seg = segments[np.searchsorted(seg, stop_first)]
    branch = mains.is_tree & (mains.degree[frm] >= 3) & (rng.random(len(edges)) < 0.15)
    draft.add_valves(first_seg[branch], 0)

    _lay_services(
        rng,
        island,
        streets,
        plan,
        draft,
        tee_node,
        tee_xy,
        normal,
        urban[tee_edge],
        mains.year[tee_edge],
        n_blocks,
    )


@dataclass(frozen=True)
class _LPMains:
    edges: np.ndarray  # street edges inside an LP area, each carrying one LP main
    frm: np.ndarray  # street node it is walked from: the regulator side on the area's tree, else the lower index
    to: np.ndarray
    is_tree: np.ndarray
    area: np.ndarray
    degree: np.ndarray  # per street node: LP mains meeting there
    material: np.ndarray
    year: np.ndarray
    status: np.ndarray


def _lp_mains(rng, streets: Streets, plan: Plan) -> _LPMains:
    """Which streets carry LP mains, and their age, material and status."""
    n, u, v = streets.n, streets.u, streets.v
    edges = np.flatnonzero(plan.area[u] == plan.area[v])
    child = np.flatnonzero(plan.lp_parent >= 0)
    tree_edge = edge_lookup(u, v, n, plan.lp_parent[child], child)
    frm = u.copy()
    frm[tree_edge] = plan.lp_parent[child]
    frm = frm[edges]
    to = np.where(u[edges] == frm, v[edges], u[edges])
    is_tree = np.zeros(len(u), bool)
    is_tree[tree_edge] = True
    is_tree = is_tree[edges]

    # Age by quarter (one build-out per area) and material by age; a share of the old iron has been relined in PE.
    area = plan.area[frm]
    area_shift = rng.normal(0, 2.0, len(plan.sites))
    year = 0.5 * (streets.year[frm] + streets.year[to]) + area_shift[area] + rng.normal(0, 1.0, len(edges))
    year = np.clip(np.round(year), 1985, 2025).astype(int)
    renewed = (year < 2001) & (rng.random(len(edges)) < 0.25)
    year = np.where(renewed, rng.integers(2010, 2025, len(edges)), year)
    material = np.select([year < 1993, year < 2001, year < 2008], [CAST, DUCTILE, PE80], PE100)

    # Dead-end streets with nobody on them: the newest are planned extensions, the oldest cast iron is abandoned.
    degree = np.bincount(np.concatenate([frm, to]), minlength=n)
    dead_end = degree[to] == 1
    planned = dead_end & (year >= 2016) & (rng.random(len(edges)) < 0.3)
    abandoned = dead_end & (material == CAST) & (year < 1991) & (rng.random(len(edges)) < 0.5)
    status = np.select([planned, abandoned], [PLANNED, ABANDONED], IN_SERVICE)
    year = np.where(planned, rng.integers(2026, 2028, len(edges)), year)
    material = np.where(planned, PE100, material)
    return _LPMains(edges, frm, to, is_tree, area, degree, material, year, status)


def _block_share(urban: np.ndarray) -> np.ndarray:
    """Share of service tees that feed an apartment block: most in town, few in the villages."""
    return 0.04 + 0.36 * urban


def _allocate(rng: np.random.Generator, weight: np.ndarray, cap: np.ndarray, total: int) -> np.ndarray:
    """Integers <= cap summing to about ``total``, proportional to ``weight`` (systematic rounding, no loops per edge)."""
    expected = np.zeros(len(weight))
    free = weight > 0
    left = float(total)
    for _ in range(8):  # water filling: edges that hit their cap hand the rest to the others
        if not free.any() or left <= 0:
            break
        share = left * weight * free / weight[free].sum()
        over = free & (expected + share > cap)
        expected = np.where(free, np.minimum(expected + share, cap), expected)
        left = total - expected.sum()
        free &= ~over
    cum = np.cumsum(expected) + rng.random()
    counts = np.diff(np.floor(np.concatenate([[cum[0] - expected[0]], cum]))).astype(np.int64)
    return np.minimum(counts, cap.astype(np.int64))


def _lay_services(rng, island, streets, plan, draft, tee_node, tee_xy, normal, urban, year, n_blocks) -> None:
    """Customers at the service tees: apartment blocks through risers, houses, shops, restaurants, special users."""
    t = len(tee_node)
    block = np.zeros(t, bool)
    block[gumbel_top(rng, _block_share(urban), n_blocks)] = True
    old = year < 2000
    floors = np.where(
        old, rng.integers(5, 8, t), np.where(urban > 0.6, rng.choice([11, 18, 26, 33], t), rng.choice([6, 11, 18], t))
    )
    households = np.where(block, np.minimum(200, floors * rng.integers(2, 5, t)), 1)  # shops and schools: 0 below

    # Special users, by the households they serve; never on a block tee.
    n_households = int(households.sum())
    special_kind = np.full(t, "", dtype=object)
    special_name = np.full(t, "", dtype=object)
    free_weight = np.where(block, 0.0, 0.05 + urban)
    for kind, (per, _, _) in SPECIAL_USERS.items():  # four kinds
        chosen = gumbel_top(
            rng, free_weight, max(1 if kind in ("hospital", "care_home") else 2, round(n_households / per))
        )
        special_kind[chosen] = kind
        free_weight[chosen] = 0.0
    special = special_kind != ""
    commercial = ~block & ~special & (rng.random(t) < 0.03 + 0.2 * urban)
    restaurant = commercial & (rng.random(t) < 0.55)

    peak = rng.uniform(0.7, 1.5, t)  # one household's cooker and water heater, Nm³/h
    # Blocks: households times the simultaneity factor of GB 50028 (roughly 0.2 at 100 households).
    peak = np.where(block, households * peak * (0.13 + 0.87 * households**-0.55), peak)
    peak = np.where(restaurant, np.clip(rng.lognormal(np.log(12), 0.5, t), 5, 30), peak)
    peak = np.where(commercial & ~restaurant, rng.uniform(0.5, 4.0, t), peak)
    for kind, (_, (lo, hi), _) in SPECIAL_USERS.items():
        here = special_kind == kind
        peak[here] = rng.uniform(lo, hi, here.sum())
    if special.any():
        idx = np.flatnonzero(special)
        town = plan.town[nearest(streets.xy, tee_xy[idx])]
        rel = tee_xy[idx] - island.town_xy[town]
        quarter = QUARTERS[np.round(np.arctan2(rel[:, 1], rel[:, 0]) / (np.pi / 2)).astype(int) % 4]
        quarter = np.where(np.hypot(rel[:, 0], rel[:, 1]) < 700, "城中", quarter).astype(object)
        towns = island.town_names[town] + quarter
        endings = np.empty(len(idx), dtype=object)
        for kind, (_, _, names) in SPECIAL_USERS.items():
            here = special_kind[idx] == kind
            endings[here] = np.asarray(names, dtype=object)[rng.integers(0, len(names), here.sum())]
        special_name[idx] = numbered_names(towns, endings)
        hospitals = idx[special_kind[idx] == "hospital"]
        top = hospitals[: min(6, len(hospitals))]  # the city hospitals are numbered: 岱海市第一人民医院 …
        special_name[top] = CITY + "第" + cn_number(np.arange(1, len(top) + 1)) + "人民医院"

    category = np.select([special, commercial], [SPECIAL, COMMERCIAL], RESIDENTIAL)
    households = np.where(category == RESIDENTIAL, households, 0)
    length = np.where(
        special,
        rng.uniform(20, 45, t),
        np.where(block, rng.uniform(8, 20, t), rng.uniform(6, 16, t) + 10 * (1 - urban)),
    )
    riser_xy = tee_xy + normal * length[:, None]
    customer_xy = np.where(block[:, None], riser_xy + normal * 3.0, riser_xy)
    bi = np.flatnonzero(block)
    risers = draft.add_nodes(riser_xy[bi], RISER, floors=floors[bi])
    customers = draft.add_nodes(
        customer_xy,
        CUSTOMER,
        category=category,
        special_kind=special_kind,
        households=households,
        peak=peak,
        name=special_name,
    )

    service_year = np.minimum(2025, year + rng.integers(0, 7, t))
    steel = service_year < 2001
    end = customers.copy()
    end[bi] = risers
    services = draft.add_pipes(
        tee_node,
        end,
        material=np.where(steel, STEEL, np.where(service_year < 2008, PE80, PE100)),
        role=LP_SERVICE,
        pclass=LP,
        year=service_year,
        depth=rng.uniform(0.6, 0.9, t),
        status=IN_SERVICE,
    )
    draft.add_pipes(
        risers,
        customers[bi],
        material=STEEL,
        role=RISER_PIPE,
        pclass=LP,
        year=service_year[bi],
        depth=0.0,
        status=IN_SERVICE,
    )
    draft.add_valves(services[(block & (households >= 60)) | special], 1)  # building entry valves (引入管阀门)
