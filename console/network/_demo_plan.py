"""Planning the demo district on its street graph: LP areas and their regulators, the gate station, factories, MP tree.

Everything is in street-node and street-edge indices of :class:`console.network._demo_streets.Streets`; the laying step
(:mod:`console.network._demo_lay`) turns the plan into pipes and devices.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from console.network._demo_streets import Island, Streets, hop_depth, mark_paths, subtree_sum

__all__ = ["Plan", "gumbel_top", "make_plan", "nearest"]


class Plan:
    """Where things go, in street-node and street-edge indices."""

    sites: np.ndarray  # regulator street nodes; stations first
    is_station: np.ndarray
    area: np.ndarray  # per street node: index into sites of the LP area it belongs to
    lp_parent: np.ndarray  # per street node: next node towards its regulator (-1 at regulators)
    lp_dist: np.ndarray
    gate: int  # the first gate station's street node
    gate_xy: np.ndarray
    gates: np.ndarray  # street nodes of every gate station (门站); gate == gates[0]
    gates_xy: np.ndarray  # (n_gates, 2)
    districts: np.ndarray  # street nodes of the district regulator stations (高中压调压站), SHP-A -> MP-A; may be empty
    mp_sources: np.ndarray  # street nodes where MP-A is fed: the districts, or the gate when there are none
    hp_on: np.ndarray  # per street node: an SHP-A main passes (all False without districts)
    hp_u: np.ndarray  # street node pairs of the SHP-A mains: the ring through the districts, the gates' spurs
    hp_v: np.ndarray
    hp_dist: np.ndarray  # street distance from the nearest gate station
    factories: np.ndarray  # street nodes where factories take gas from the MP mains
    mp_on: np.ndarray  # per street node: an MP main passes
    mp_parent: np.ndarray  # per street node on the MP tree: next node towards the gate station (-1 at the gate)
    mp_dist: np.ndarray
    mp_load: np.ndarray  # street nodes of LP area (plus factory equivalents) fed through each MP node
    rings: np.ndarray  # street edges that close MP rings
    ring_closed: np.ndarray
    town: np.ndarray  # per street node: nearest town


def gumbel_top(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` items drawn without replacement with probability proportional to ``weight`` (> 0)."""
    k = min(k, int((weight > 0).sum()))
    keys = np.log(rng.random(len(weight))) / np.where(weight > 0, weight, np.nan)
    keys = np.nan_to_num(keys, nan=-np.inf)
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k > 0 else np.empty(0, np.int64)


def _voronoi(streets: Streets, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest site by street distance: (site index per node, distance, predecessor towards the site)."""
    dist, pred, source = dijkstra(streets.graph, directed=False, indices=sites, min_only=True, return_predecessors=True)
    rank = np.full(streets.n, -1, np.int64)
    rank[sites] = np.arange(len(sites))
    return rank[source], dist, np.where(pred < 0, -1, pred)


def make_plan(
    rng: np.random.Generator,
    island: Island,
    streets: Streets,
    n_districts: int = 0,
    hp_rng: np.random.Generator | None = None,
) -> Plan:
    """The plan; with ``n_districts`` > 0 a city-scale supply: several gate stations on the coast feed a sub-high
    pressure (SHP-A, 次高压A) ring, and ``n_districts`` district regulator stations on it feed
    the MP-A mains, each its own part (``hp_rng`` draws the extra choices, so smaller districts stay as they were)."""
    plan = Plan()
    n, xy = streets.n, streets.xy
    elevation = island.sample(island.elevation, xy[:, 0], xy[:, 1])
    rho = island.rho(xy[:, 0], xy[:, 1])
    plan.town = nearest(island.town_xy, xy)

    # Regulator stations in the old town (its LP grid predates the boxes); boxes everywhere else, about one per
    # 30 intersections, never within 700 m (by street) of a station, so station areas are the big ones.
    n_station = max(1, round(n / 1000))
    old = np.argsort(streets.year + rng.random(n), kind="stable")[: max(n_station, n // 10)]
    stations = np.sort(rng.choice(old, n_station, replace=False))
    near_station = dijkstra(streets.graph, directed=False, indices=stations, min_only=True) < 700.0
    candidates = np.flatnonzero(~near_station)
    n_box = min(max(2, round(n / 30)), len(candidates))
    boxes = np.sort(rng.choice(candidates, n_box, replace=False))
    sites = np.concatenate([stations, boxes])
    # One Lloyd step: move each regulator to the node nearest its area's centroid, so areas come out compact.
    area, _, _ = _voronoi(streets, sites)
    cnt = np.bincount(area, minlength=len(sites))
    centroid = np.column_stack([np.bincount(area, xy[:, k], len(sites)) for k in (0, 1)]) / cnt[:, None]
    d2 = ((xy - centroid[area]) ** 2).sum(axis=1)
    order = np.lexsort((d2, area))
    first = order[np.r_[True, area[order][1:] != area[order][:-1]]]
    sites = first[np.argsort(area[first])]
    is_station = np.arange(len(sites)) < n_station
    for _ in range(5):  # drop regulators left with a stub of an area, then re-split
        area, lp_dist, lp_parent = _voronoi(streets, sites)
        small = np.bincount(area, minlength=len(sites)) < 4
        if not small.any() or small.all():
            break
        sites, is_station = sites[~small], is_station[~small]
    plan.sites, plan.is_station, plan.area, plan.lp_dist, plan.lp_parent = sites, is_station, area, lp_dist, lp_parent

    # Gate station: on the coast, 2–3 km out of the main town (where the transmission line lands).
    d_main = np.hypot(*(xy - island.town_xy[0]).T)
    coastal = (rho > 0.75) & (elevation < 15)
    score = np.abs(d_main - 2500.0 * min(1.0, float(np.sqrt(n / 3300)))) + rng.uniform(0, 300, n)
    gate = int(np.argmin(np.where(coastal, score, np.inf))) if coastal.any() else int(np.argmax(rho))
    out = xy[gate] - np.array([island.coast.cx, island.coast.cy])
    out /= np.linalg.norm(out)
    steps = np.array([250.0, 150.0, 80.0, 40.0, 20.0])
    tries = xy[gate] + steps[:, None] * out
    ok = island.rho(tries[:, 0], tries[:, 1]) < 0.985
    plan.gate, plan.gate_xy = gate, tries[int(np.argmax(ok))] if ok.any() else tries[-1]
    plan.gates, plan.gates_xy = np.array([gate]), plan.gate_xy[None, :]
    plan.districts = np.empty(0, np.int64)
    plan.hp_on = np.zeros(n, bool)
    plan.hp_u = plan.hp_v = np.empty(0, np.int64)
    plan.hp_dist = np.zeros(n)
    if n_districts > 0:
        _plan_sub_high_pressure(hp_rng or np.random.default_rng(0), island, streets, plan, coastal, n_districts)

    # Factories: low-lying countryside near the coast (port industry), fed from the MP mains.
    weight = (1.0 - streets.urban) * (elevation < 25) * (rho > 0.55)
    weight[sites] = 0
    weight[gate] = 0
    weight[plan.districts] = 0
    plan.factories = gumbel_top(rng, weight, max(1, round(n / 1200)))

    # MP-A mains: the shortest-path tree from the gate station (or forest from the district stations) to every
    # regulator and factory.
    plan.mp_sources = plan.districts if len(plan.districts) else np.array([gate])
    mp_dist, pred, mp_root = dijkstra(
        streets.graph, directed=False, indices=plan.mp_sources, min_only=True, return_predecessors=True
    )
    pred = np.where(pred < 0, -1, pred)
    mp_on = mark_paths(pred, np.concatenate([sites, plan.factories]))
    mp_on[plan.mp_sources] = True
    mp_parent = np.where(mp_on, pred, -1)
    depth = hop_depth(mp_parent)
    load = np.zeros(n)
    np.add.at(load, sites, np.bincount(area, minlength=len(sites)).astype(float))
    np.add.at(load, plan.factories, 150.0)
    plan.mp_on, plan.mp_parent, plan.mp_dist = mp_on, mp_parent, mp_dist
    plan.mp_load = subtree_sum(mp_parent, depth, load)

    # Rings: street edges joining two MP nodes far apart along the tree close the biggest loops.
    u, v = streets.u, streets.v
    cand = np.flatnonzero(mp_on[u] & mp_on[v] & (mp_parent[u] != v) & (mp_parent[v] != u))
    a, b = u[cand].copy(), v[cand].copy()
    da, db = depth[a].copy(), depth[b].copy()
    # Mains of two district stations' trees meeting in a street are tied together there (a loop through both).
    tie = mp_root[a] != mp_root[b]
    a[tie], b[tie] = mp_root[a[tie]], mp_root[a[tie]]
    while True:  # climb to the lowest common ancestor, all candidates at once
        diff = a != b
        if not diff.any():
            break
        up_a = diff & (da >= db)
        up_b = diff & (db > da)
        a[up_a], da[up_a] = mp_parent[a[up_a]], da[up_a] - 1
        b[up_b], db[up_b] = mp_parent[b[up_b]], db[up_b] - 1
    ring_len = mp_dist[u[cand]] + mp_dist[v[cand]] - 2 * np.where(tie, 0.0, mp_dist[a]) + streets.length[cand]
    eligible = ring_len > np.maximum(1200.0, 5 * streets.length[cand])
    pick = gumbel_top(rng, np.where(eligible, ring_len, 0.0), max(1, round(0.05 * len(sites))))
    plan.rings = cand[pick]
    plan.ring_closed = np.arange(len(pick)) < max(1, round(len(pick) / 2))
    rng.shuffle(plan.ring_closed)
    return plan


def _plan_sub_high_pressure(rng, island: Island, streets: Streets, plan: Plan, coastal: np.ndarray, k: int) -> None:
    """Gate stations spread along the coast, district stations at the load centres, the SHP-A trees and ring ties."""
    n, xy = streets.n, streets.xy
    # Gate stations: the first as placed, the others each as far (in a straight line) from those before as the coast
    # allows: where further transmission lines land.
    n_gates = max(2, round(k / 5))
    pool = np.flatnonzero(coastal) if coastal.sum() > n_gates else np.arange(n)
    gates = [plan.gate]
    far = np.hypot(*(xy[pool] - xy[plan.gate]).T)
    for _ in range(n_gates - 1):
        g = int(pool[np.argmax(far + rng.uniform(0, 200, len(pool)))])
        gates.append(g)
        far = np.minimum(far, np.hypot(*(xy[pool] - xy[g]).T))
    gates = np.array(gates)
    out = xy[gates] - np.array([island.coast.cx, island.coast.cy])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    plan.gates = gates
    plan.gates_xy = np.vstack([plan.gate_xy, xy[gates[1:]] + 60.0 * out[1:]])
    # District stations: k-means of the street nodes weighted by their LP area's size (the load), a few Lloyd steps.
    load = np.bincount(plan.area, minlength=len(plan.sites))[plan.area].astype(float)
    centres = xy[rng.choice(n, k, replace=False, p=load / load.sum())]
    for _ in range(8):
        label = nearest(centres, xy)
        w = np.bincount(label, load, k)
        moved = np.column_stack([np.bincount(label, load * xy[:, j], k) for j in (0, 1)]) / np.maximum(w, 1e-9)[:, None]
        centres = np.where((w > 0)[:, None], moved, centres)
    taken = np.zeros(n, bool)
    taken[np.concatenate([plan.sites, gates])] = True
    free = np.flatnonzero(~taken)
    districts = np.unique(free[nearest(xy[free], centres)])
    plan.districts = districts
    # SHP-A ring: the district stations in order of bearing around their centre, each joined to the next by the
    # shortest street path; each gate station joins the ring by its shortest path to it.
    centre = xy[districts].mean(axis=0)
    ring = districts[np.argsort(np.arctan2(xy[districts, 1] - centre[1], xy[districts, 0] - centre[0]))]
    paths = []
    for a, b in zip(ring, np.roll(ring, -1), strict=True):
        _, pred = dijkstra(streets.graph, directed=False, indices=a, return_predecessors=True)
        paths.append(_path(pred, b))
    on_ring = np.zeros(n, bool)
    on_ring[np.concatenate(paths)] = True
    _, pred, _ = dijkstra(
        streets.graph, directed=False, indices=np.flatnonzero(on_ring), min_only=True, return_predecessors=True
    )
    paths += [_path(pred, g) for g in gates]
    u = np.concatenate([p[:-1] for p in paths])
    v = np.concatenate([p[1:] for p in paths])
    key = np.unique(np.minimum(u, v) * n + np.maximum(u, v))
    plan.hp_u, plan.hp_v = key // n, key % n
    plan.hp_on = np.zeros(n, bool)
    plan.hp_on[np.concatenate([plan.hp_u, plan.hp_v, gates])] = True
    plan.hp_dist = dijkstra(streets.graph, directed=False, indices=gates, min_only=True)


def _path(pred: np.ndarray, target: int) -> np.ndarray:
    """Street nodes from ``target`` back to the source of a predecessor array (target first)."""
    out = [int(target)]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return np.array(out, np.int64)


def nearest(points: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the point nearest to each of ``xy``."""
    return cKDTree(points).query(xy)[1]
