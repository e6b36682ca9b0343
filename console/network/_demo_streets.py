"""The ground under the demo district (演示片区): island outline, terrain, towns and an irregular street graph.

The gas network of :mod:`console.network._demo` is laid along these streets. Everything here is seeded and vectorised
(numpy, scipy.spatial, scipy.sparse.csgraph) so the same code serves a 30,000-pipe demo and a 1,000,000-pipe benchmark.
Lengths are metres in the projected CRS the caller works in; the island is described in its own rotated frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

__all__ = [
    "Coast",
    "Island",
    "Streets",
    "make_island",
    "make_streets",
    "edge_lookup",
    "first_of_each",
    "hop_depth",
    "mark_paths",
    "sorted_unique",
    "subtree_sum",
]

# Fictional Zhoushan-style place names (two characters: a qualifier and a coastal landform), so every town is unique.
_PLACE_HEAD = list("东西南北金白青长双马盐螺桃竹鹿凤龙渔岑沙")
_PLACE_TAIL = list("岙港湾浦塘峙礁山洋桥墩岭嘴门泉峰溪岗头浜")


@dataclass(frozen=True, eq=False)
class Coast:
    """A star-shaped coastline: an ellipse whose radius is perturbed by a few dozen harmonics."""

    cx: float
    cy: float
    a: float  # semi-major axis, m
    b: float  # semi-minor axis, m
    angle: float  # rotation of the major axis, rad
    harm_k: np.ndarray
    harm_amp: np.ndarray
    harm_phase: np.ndarray

    def local(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.cos(self.angle), np.sin(self.angle)
        dx, dy = np.asarray(x) - self.cx, np.asarray(y) - self.cy
        return dx * c + dy * s, -dx * s + dy * c

    def __post_init__(self) -> None:
        # The harmonic sum tabulated once: rho() is called on millions of points.
        t = np.linspace(-np.pi, np.pi, 8193)
        r = 1.0 + np.cos(np.multiply.outer(t, self.harm_k) + self.harm_phase) @ self.harm_amp
        object.__setattr__(self, "_table", (t, np.maximum(r, 0.45)))

    def radius(self, theta: np.ndarray) -> np.ndarray:
        """Coast radius (in units of the ellipse) at elliptic angle ``theta`` (radians, any range)."""
        t, r = self._table
        return np.interp(np.mod(np.asarray(theta) + np.pi, 2 * np.pi) - np.pi, t, r)

    def rho(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Normalised distance from the centre: < 1 on land, 1 on the coast."""
        u, v = self.local(x, y)
        u, v = u / self.a, v / self.b
        return np.hypot(u, v) / self.radius(np.arctan2(v, u))

    def outline(self, n: int = 1440) -> np.ndarray:
        """Coastline vertices (n, 2) in CRS metres."""
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        r = self.radius(t)
        u, v = self.a * r * np.cos(t), self.b * r * np.sin(t)
        c, s = np.cos(self.angle), np.sin(self.angle)
        return np.column_stack([self.cx + u * c - v * s, self.cy + u * s + v * c])


@dataclass(frozen=True, eq=False)
class Island:
    """The coast plus terrain, street density and building-age rasters on one regular grid, and the towns."""

    coast: Coast
    x0: float  # grid: centre of cell (0, 0)
    y0: float
    cell: float
    elevation: np.ndarray  # (ny, nx) ground elevation, m
    density: np.ndarray  # (ny, nx) relative street density, 0 offshore
    year: np.ndarray  # (ny, nx) the year streets there were built (and piped), 1985..2025
    town_xy: np.ndarray  # (t, 2); town 0 is the old main town
    town_angle: np.ndarray  # (t,) orientation of the town's planned street grid, rad
    town_names: np.ndarray  # object

    def rho(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.coast.rho(x, y)

    def sample(self, grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _bilinear(grid, self.x0, self.y0, self.cell, x, y)


def _bilinear(grid: np.ndarray, x0: float, y0: float, cell: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    fx = np.clip((np.asarray(x) - x0) / cell, 0, grid.shape[1] - 1.000001)
    fy = np.clip((np.asarray(y) - y0) / cell, 0, grid.shape[0] - 1.000001)
    ix, iy = fx.astype(np.int64), fy.astype(np.int64)
    tx, ty = fx - ix, fy - iy
    top = grid[iy, ix] * (1 - tx) + grid[iy, ix + 1] * tx
    bottom = grid[iy + 1, ix] * (1 - tx) + grid[iy + 1, ix + 1] * tx
    return top * (1 - ty) + bottom * ty


def _points_inside(rng: np.random.Generator, coast: Coast, bbox, n: int, lo: float, hi: float) -> np.ndarray:
    """``n`` uniform points with lo <= rho < hi (rejection sampling in batches)."""
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(64, 4 * (n - have))
        p = np.column_stack([rng.uniform(bbox[0], bbox[2], m), rng.uniform(bbox[1], bbox[3], m)])
        r = coast.rho(p[:, 0], p[:, 1])
        p = p[(r >= lo) & (r < hi)]
        out.append(p)
        have += len(p)
    return np.concatenate(out)[:n]


def _add_bumps(grid: np.ndarray, xs: np.ndarray, ys: np.ndarray, centres, sigmas, amps, op: str = "add") -> None:
    """Add (or take the minimum with) Gaussian bumps on the grid, each only within 4 sigma of its centre."""
    cell = xs[1] - xs[0]
    for (cx, cy), sigma, amp in zip(centres, sigmas, amps, strict=True):  # tens to hundreds of bumps, not features
        i0 = max(0, int((cx - 4 * sigma - xs[0]) / cell))
        i1 = min(len(xs), int((cx + 4 * sigma - xs[0]) / cell) + 2)
        j0 = max(0, int((cy - 4 * sigma - ys[0]) / cell))
        j1 = min(len(ys), int((cy + 4 * sigma - ys[0]) / cell) + 2)
        if i0 >= i1 or j0 >= j1:
            continue
        d2 = (xs[i0:i1][None, :] - cx) ** 2 + (ys[j0:j1][:, None] - cy) ** 2
        if op == "add":
            grid[j0:j1, i0:i1] += amp * np.exp(-d2 / (2 * sigma**2))
        else:  # "min": amp is the year a town was founded; it grew outwards by ~15 years per sigma
            np.minimum(grid[j0:j1, i0:i1], amp + 15.0 * np.sqrt(d2) / sigma, out=grid[j0:j1, i0:i1])


def make_island(rng: np.random.Generator, scale: float, centre: tuple[float, float]) -> Island:
    """A Zhoushan-like island: about 19 x 11 km at ``scale`` 1, its area growing with ``scale``²."""
    harm_k = np.arange(2, 41, dtype=float)
    coast = Coast(
        centre[0],
        centre[1],
        8000.0 * scale,
        4700.0 * scale,
        np.deg2rad(rng.uniform(-22.0, -8.0)),
        harm_k,
        rng.normal(0.0, 1.0, harm_k.size) * 0.15 / harm_k**1.05,
        rng.uniform(0, 2 * np.pi, harm_k.size),
    )
    ring = coast.outline(2048)
    xmin, ymin = ring.min(axis=0) - 200
    xmax, ymax = ring.max(axis=0) + 200
    bbox = (xmin, ymin, xmax, ymax)
    cell = max(20.0, max(xmax - xmin, ymax - ymin) / 700.0)
    xs = np.arange(xmin, xmax + cell, cell)
    ys = np.arange(ymin, ymax + cell, cell)
    gx, gy = np.meshgrid(xs, ys)
    rho = coast.rho(gx, gy)

    # Terrain: Gaussian hills inland, tapered to sea level at the coast, capped smoothly at 120 m.
    n_hills = max(3, round(6 * scale**2))
    hills = _points_inside(rng, coast, bbox, n_hills, 0.0, 0.7)
    relief = np.zeros_like(gx)
    _add_bumps(relief, xs, ys, hills, rng.uniform(700, 2200, n_hills), rng.uniform(40, 150, n_hills))
    taper = np.clip((1.0 - rho) / 0.25, 0.0, 1.0) ** 0.8
    elevation = 120.0 * np.tanh(relief * taper / 120.0) + 2.0 * (rho < 1)

    # Towns sit on the low coastal plains; town 0 is the old main town with the cast-iron quarter.
    n_towns = max(1, round(3 * scale**2))
    cand = _points_inside(rng, coast, bbox, 40 * n_towns + 40, 0.25, 0.85)
    cand_elev = _bilinear(elevation, xs[0], ys[0], cell, cand[:, 0], cand[:, 1])
    cand = cand[np.argsort(cand_elev + rng.uniform(0, 25, len(cand)), kind="stable")]
    towns = _spread(cand, n_towns, min_gap=2600.0)
    n_towns = len(towns)
    sigma = np.concatenate([[1500.0], rng.uniform(500, 1100, n_towns - 1)])
    weight = np.concatenate([[1.6], rng.uniform(0.5, 1.0, n_towns - 1)])
    founded = np.concatenate([[1986.0], rng.uniform(1992, 2010, n_towns - 1)])

    density = np.zeros_like(gx)
    _add_bumps(density, xs, ys, towns, sigma, weight)
    density = (density + 0.03) * np.exp(-elevation / 30.0) * (rho < 0.95)
    year = np.full_like(gx, 2025.0)
    _add_bumps(year, xs, ys, towns, sigma, founded, op="min")
    year = np.clip(year, 1985.0, 2025.0)

    names = np.array([h + t for h in _PLACE_HEAD for t in _PLACE_TAIL], dtype=object)
    names = names[rng.permutation(len(names))]
    town_names = names[np.arange(n_towns) % len(names)]
    if n_towns > len(names):  # huge benchmark islands: keep names unique with a district number
        town_names = town_names + (np.arange(n_towns) // len(names)).astype(str).astype(object)
        town_names[: len(names)] = names
    town_angle = rng.uniform(0, np.pi / 2, n_towns)
    return Island(coast, xs[0], ys[0], cell, elevation, density, year, towns, town_angle, town_names)


def _spread(cand: np.ndarray, n: int, min_gap: float) -> np.ndarray:
    """Greedy pick of up to ``n`` candidates at least ``min_gap`` apart, in candidate order."""
    chosen = [cand[0]]
    for p in cand[1:]:  # candidates number tens per town; this runs once per island
        if len(chosen) >= n:
            break
        if np.min(np.hypot(*(np.asarray(chosen) - p).T)) >= min_gap:
            chosen.append(p)
    return np.asarray(chosen)


@dataclass(frozen=True, eq=False)
class Streets:
    """An undirected, connected, planar street graph; edge e runs u[e] -> bend[e] -> v[e] (u < v)."""

    xy: np.ndarray  # (n, 2) intersections and street ends
    u: np.ndarray  # int64 (m,)
    v: np.ndarray
    bend: np.ndarray  # (m, 2) a mid vertex (the midpoint for straight streets)
    length: np.ndarray  # polyline length, m
    urban: np.ndarray  # (n,) 0 (countryside) .. 1 (dense town centre)
    year: np.ndarray  # (n,) the year the quarter was built
    graph: csr_matrix  # symmetric, weights = length

    @property
    def n(self) -> int:
        return len(self.xy)


def make_streets(rng: np.random.Generator, island: Island, n_target: int) -> Streets:
    """About ``n_target`` intersections joined by an irregular, planar, connected street graph.

    Old quarters and the countryside grow organically (hard-core random points); quarters built since the late 1990s
    are planned grids, jittered, each town with its own orientation. A Gabriel graph over all points, pruned of long
    edges, grid diagonals and (more in the countryside) a share of the loops, gives the streets.
    """
    dens = island.density
    nx = dens.shape[1]
    p = dens.ravel() / dens.sum()
    m = int(1.6 * n_target) + 16
    cells = rng.choice(p.size, size=m, p=p)
    iy, ix = np.divmod(cells, nx)
    xy = np.column_stack(
        [island.x0 + (ix + rng.random(m) - 0.5) * island.cell, island.y0 + (iy + rng.random(m) - 0.5) * island.cell]
    )
    xy = xy[island.rho(xy[:, 0], xy[:, 1]) < 0.96]
    # Expected spacing of n_target intersections at this density (points per m²).
    local = island.sample(dens, xy[:, 0], xy[:, 1])
    spacing = 0.88 / np.sqrt(np.maximum(local, 1e-9) * n_target / (dens.sum() * island.cell**2))
    urban = np.clip(local / np.quantile(local, 0.9), 0, 1)
    planned = (island.sample(island.year, xy[:, 0], xy[:, 1]) >= 1998) & (urban > 0.25)

    # Planned quarters: snap to the town's lattice (spacing quantised in steps of sqrt 2), one point per lattice site.
    _, town = cKDTree(island.town_xy).query(xy[planned])
    theta = island.town_angle[town]
    level = np.round(2 * np.log2(spacing[planned] * 1.05))
    step = 2.0 ** (level / 2)
    c, s = np.cos(theta), np.sin(theta)
    rel = xy[planned] - island.town_xy[town]
    i = np.round((rel[:, 0] * c + rel[:, 1] * s) / step)
    j = np.round((-rel[:, 0] * s + rel[:, 1] * c) / step)
    site_key = ((town * 64 + (level.astype(np.int64) + 32)) << 40) + ((i.astype(np.int64) + (1 << 19)) << 20)
    first = np.sort(first_of_each(site_key + (j.astype(np.int64) + (1 << 19))))
    i, j, step, c, s, town = i[first], j[first], step[first], c[first], s[first], town[first]
    i = i + rng.normal(0, 0.045, len(i))
    j = j + rng.normal(0, 0.045, len(j))
    grid_xy = island.town_xy[town] + np.column_stack([(i * c - j * s) * step, (i * s + j * c) * step])
    grid_angle = island.town_angle[town]
    # Lattice points come first, so the hard-core thinning below removes organic points next to them, not they.
    xy = np.concatenate([grid_xy, xy[~planned]])
    spacing = np.concatenate([step / 1.05, spacing[~planned]])
    angle = np.concatenate([grid_angle, np.full((~planned).sum(), np.nan)])
    keep = island.rho(xy[:, 0], xy[:, 1]) < 0.96
    xy, spacing, angle = xy[keep], spacing[keep], angle[keep]
    d, j = cKDTree(xy).query(xy, k=6)
    drop = ((d[:, 1:] < 0.55 * spacing[:, None]) & (j[:, 1:] < np.arange(len(xy))[:, None])).any(axis=1)
    xy, spacing, angle = xy[~drop], spacing[~drop], angle[~drop]

    tri = Delaunay(xy - xy.mean(axis=0)).simplices.astype(np.int64)  # centred: qhull is faster and exact there
    pa, pb, pc = xy[tri[:, 0]], xy[tri[:, 1]], xy[tri[:, 2]]
    # Gabriel graph: drop the edge opposite each obtuse angle (its diametral circle holds that vertex).
    obtuse = np.column_stack(
        [
            np.einsum("ij,ij->i", pb - pa, pc - pa) < 0,
            np.einsum("ij,ij->i", pa - pb, pc - pb) < 0,
            np.einsum("ij,ij->i", pa - pc, pb - pc) < 0,
        ]
    )
    e = np.concatenate([tri[:, [1, 2]], tri[:, [2, 0]], tri[:, [0, 1]]])
    e.sort(axis=1)
    key = e[:, 0] * len(xy) + e[:, 1]
    not_gabriel = sorted_unique(key[obtuse.T.ravel()])
    key = sorted_unique(key)
    key = key[~np.isin(key, not_gabriel)]
    u, v = np.divmod(key, len(xy))
    length = np.hypot(*(xy[u] - xy[v]).T)
    ok = length < np.minimum(2.4 * 0.5 * (spacing[u] + spacing[v]), 2500.0)
    # Grids have no diagonal streets: within a lattice keep edges within 20 degrees of its axes.
    lattice = (angle[u] == angle[v]) & ~np.isnan(angle[u])
    off_axis = np.degrees(np.arctan2(*(xy[v] - xy[u]).T[::-1]) - angle[u]) % 90.0
    ok &= ~lattice | (off_axis < 20) | (off_axis > 70)
    for t in (0.2, 0.4, 0.6, 0.8):  # no street through the sea across a bay
        q = xy[u] * (1 - t) + xy[v] * t
        ok &= island.rho(q[:, 0], q[:, 1]) < 0.975
    u, v, length = u[ok], v[ok], length[ok]
    # Streets rarely close small triangles: drop the longest side of every triangle still whole. That never
    # disconnects anything, since each dropped edge is bridged by two shorter ones.
    tri_keys = np.column_stack(
        [tri[:, 1] * len(xy) + tri[:, 2], tri[:, 2] * len(xy) + tri[:, 0], tri[:, 0] * len(xy) + tri[:, 1]]
    )
    lo, hi = np.divmod(tri_keys, len(xy))
    tri_keys = np.minimum(lo, hi) * len(xy) + np.maximum(lo, hi)
    key = u * len(xy) + v
    whole = np.isin(tri_keys, key).all(axis=1)
    sides = np.hypot(*(xy[lo[whole]] - xy[hi[whole]]).transpose(2, 0, 1))
    longest = tri_keys[whole][np.arange(whole.sum()), np.argmax(sides, axis=1)]
    ok = ~np.isin(key, longest)
    u, v, length = u[ok], v[ok], length[ok]

    # Keep the largest connected piece, renumbered.
    n = len(xy)
    _, comp = connected_components(coo_matrix((length, (u, v)), shape=(n, n)), directed=False)
    main = np.argmax(np.bincount(comp))
    alive = comp == main
    new = np.cumsum(alive) - 1
    ok = alive[u]
    xy, angle, u, v, length = xy[alive], angle[alive], new[u[ok]], new[v[ok]], length[ok]
    n = len(xy)
    local = island.sample(dens, xy[:, 0], xy[:, 1])
    urban = np.clip(local / np.quantile(local, 0.9), 0, 1)

    # Thin to a street pattern: keep a spanning tree, drop more of the rest in the countryside (tree-like lanes).
    mst = minimum_spanning_tree(coo_matrix((length, (u, v)), shape=(n, n)).tocsr()).tocoo()
    tkey = np.minimum(mst.row, mst.col).astype(np.int64) * n + np.maximum(mst.row, mst.col)
    in_tree = np.isin(u * n + v, tkey)
    mid_urban = 0.5 * (urban[u] + urban[v])
    in_grid = (angle[u] == angle[v]) & ~np.isnan(angle[u])
    drop = ~in_tree & (rng.random(len(u)) < np.where(in_grid, 0.04, 0.1) + 0.35 * (1.0 - mid_urban))
    u, v, length, mid_urban = u[~drop], v[~drop], length[~drop], mid_urban[~drop]

    # Country lanes bend more than town streets; short streets stay straight.
    mid = 0.5 * (xy[u] + xy[v])
    direction = (xy[v] - xy[u]) / length[:, None]
    offset = rng.normal(0, 1, len(u)) * length * (0.008 + 0.06 * (1.0 - mid_urban)) * (length > 40)
    bend = mid + np.column_stack([-direction[:, 1], direction[:, 0]]) * offset[:, None]
    poly = np.hypot(*(bend - xy[u]).T) + np.hypot(*(xy[v] - bend).T)
    graph = coo_matrix((poly, (u, v)), shape=(n, n)).tocsr()
    graph = (graph + graph.T).tocsr()
    year = island.sample(island.year, xy[:, 0], xy[:, 1])
    return Streets(xy, u, v, bend, poly, urban, year, graph)


# -- small vectorised tree/graph helpers -------------------------------------------------------------------------


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` for big integer arrays by sorting (numpy 2.4's hash-based unique is far slower on these)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def first_of_each(key: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of every distinct value of ``key`` (in order of value)."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    return order[np.r_[True, k[1:] != k[:-1]]] if len(k) else order


def edge_lookup(u: np.ndarray, v: np.ndarray, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Index of the undirected edge (a, b) in the sorted-key edge list (u < v); -1 where there is none."""
    key = u * n + v
    order = np.argsort(key)
    want = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
    pos = np.clip(np.searchsorted(key[order], want), 0, len(key) - 1)
    hit = key[order][pos] == want
    return np.where(hit, order[pos], -1)


def hop_depth(parent: np.ndarray) -> np.ndarray:
    """Number of hops to the root of each node of a forest (``parent`` -1 at roots), by pointer jumping."""
    anc = np.where(parent >= 0, parent, np.arange(len(parent))).astype(np.int64)
    depth = (parent >= 0).astype(np.int64)
    active = np.flatnonzero(anc[anc] != anc)
    while active.size:
        a = anc[active]
        depth[active] += depth[a]
        anc[active] = anc[a]
        active = active[anc[anc[active]] != anc[active]]
    return depth


def subtree_sum(parent: np.ndarray, depth: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Sum of ``weight`` over each node's subtree, one vectorised step per tree level (deepest first)."""
    total = weight.astype(float).copy()
    order = np.argsort(-depth, kind="stable")
    levels = np.split(order, np.flatnonzero(np.diff(depth[order])) + 1)
    for level in levels:
        p = parent[level]
        has = p >= 0
        np.add.at(total, p[has], total[level[has]])
    return total


def mark_paths(parent: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mask of the nodes on the tree paths from ``targets`` up to the root."""
    on = np.zeros(len(parent), dtype=bool)
    frontier = sorted_unique(np.asarray(targets))
    while frontier.size:
        on[frontier] = True
        frontier = sorted_unique(parent[frontier])
        frontier = frontier[(frontier >= 0)]
        frontier = frontier[~on[frontier]]
    return on
