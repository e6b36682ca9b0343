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
    gate: int
    gate_xy: np.ndarray
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


def make_plan(rng: np.random.Generator, island: Island, streets: Streets) -> Plan:
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

    # Factories: low-lying countryside near the coast (port industry), fed from the MP mains.
    weight = (1.0 - streets.urban) * (elevation < 25) * (rho > 0.55)
    weight[sites] = 0
    weight[gate] = 0
    plan.factories = gumbel_top(rng, weight, max(1, round(n / 1200)))

    # MP-A mains: the shortest-path tree from the gate station to every regulator and factory.
    mp_dist, pred = dijkstra(streets.graph, directed=False, indices=gate, return_predecessors=True)
    pred = np.where(pred < 0, -1, pred)
    mp_on = mark_paths(pred, np.concatenate([sites, plan.factories]))
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
    while True:  # climb to the lowest common ancestor, all candidates at once
        diff = a != b
        if not diff.any():
            break
        up_a = diff & (da >= db)
        up_b = diff & (db > da)
        a[up_a], da[up_a] = mp_parent[a[up_a]], da[up_a] - 1
        b[up_b], db[up_b] = mp_parent[b[up_b]], db[up_b] - 1
    ring_len = mp_dist[u[cand]] + mp_dist[v[cand]] - 2 * mp_dist[a] + streets.length[cand]
    eligible = ring_len > np.maximum(1200.0, 5 * streets.length[cand])
    pick = gumbel_top(rng, np.where(eligible, ring_len, 0.0), max(1, round(0.05 * len(sites))))
    plan.rings = cand[pick]
    plan.ring_closed = np.arange(len(pick)) < max(1, round(len(pick) / 2))
    rng.shuffle(plan.ring_closed)
    return plan


def nearest(points: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the point nearest to each of ``xy``."""
    return cKDTree(points).query(xy)[1]
