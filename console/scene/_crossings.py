"""Pipe crossings (交叉点管位): pipes that cross in plan, their vertical clearance, and those below GB 50028's minimum.

1. Pairs of pipes whose lines cross in plan (their interiors meet at a point, as shapely's ``crosses``) come from a
   grid join of the pipes' straight segments (:func:`crossing_points`): long segments are cut into pieces no longer
   than a grid cell, each piece is bucketed by the cell of its centre, and only pieces in the same or adjacent cells
   are tested, with an exact segment-intersection test. Pairs that share an end node are a junction, not a crossing,
   and are dropped; so are collinear overlaps (no single crossing point) and a pipe's end lying on another pipe.
2. The crossing point is where the two lines meet (the first one along the first pipe when they meet more than
   once); the ground there is the mean of the two pipes' ground profiles (end node elevations interpolated along each
   pipe by distance).
3. The upper pipe is the one with the smaller cover. The vertical clear distance is from the bottom of the upper pipe
   to the crown of the lower: ``cover_lower - (cover_upper + outer_diameter_upper)``; below zero the pipes clash.
4. Each crossing is checked against GB 50028 table 6.3.3-2: 0.15 m between two gas pipes
   (:data:`~console.scene.MIN_VERTICAL_CLEARANCE_M`).

No Python loop runs per pipe, segment or crossing (the grid join loops over batches of a few million candidate
pairs, so memory stays flat whatever the network's size). A million-pipe network takes seconds, where one STRtree
query with the ``crosses`` predicate took 40 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from console.scene._depth import MIN_VERTICAL_CLEARANCE_M

__all__ = ["Crossings", "crossing_points", "find_crossings", "network_crossings"]

PAIR_BATCH = 4_000_000  # candidate pairs tested at once (about 0.5 GB of temporaries)
END_TOLERANCE_M = 1e-6  # a meeting point this close to a pipe's end is that end (a tee or a node), not a crossing
# the half neighbourhood of a cell: itself and four of its eight neighbours (the other four see it from their side)
_NEIGHBOURS = ((0, 0), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(frozen=True, eq=False)
class Crossings:
    """Crossings sorted by clearance, smallest first. Arrays are aligned; ``pipe_a``/``pipe_b`` are pipe rows, ``a`` the
    upper pipe (smaller cover). Heights are metres above the datum of the node elevations; ``z_a``/``z_b`` are the
    pipes' centre lines."""

    pipe_a: np.ndarray
    pipe_b: np.ndarray
    id_a: np.ndarray
    id_b: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ground_z: np.ndarray
    cover_a: np.ndarray
    cover_b: np.ndarray
    z_a: np.ndarray
    z_b: np.ndarray
    clearance_m: np.ndarray
    required_m: float

    def __len__(self) -> int:
        return len(self.pipe_a)

    @property
    def below_minimum(self) -> np.ndarray:
        """True where the clear distance is below the required one (GB 50028 table 6.3.3-2)."""
        return self.clearance_m < self.required_m - 1e-9

    def row(self, k: int) -> dict[str, object]:
        """One crossing as plain values (for lists and reports)."""
        return {
            "upper": str(self.id_a[k]),
            "lower": str(self.id_b[k]),
            "x": float(self.x[k]),
            "y": float(self.y[k]),
            "ground_z": float(self.ground_z[k]),
            "cover_upper_m": float(self.cover_a[k]),
            "cover_lower_m": float(self.cover_b[k]),
            "clearance_m": float(self.clearance_m[k]),
            "required_m": self.required_m,
            "below_minimum": bool(self.below_minimum[k]),
        }


def crossing_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of LineStrings that cross in plan: (left rows, right rows (left < right), (k, 2) meeting points, the
    meeting point's fraction of the left line's length, and of the right line's), sorted by (left, right).

    A meeting point at either end of a line (a tee, or a shared node: line 2 below) is not a crossing, nor are
    collinear overlaps.

    >>> from shapely import LineString
    >>> geoms = np.array([LineString([(0, 0), (10, 0)]), LineString([(4, -5), (4, 5)]), LineString([(10, 0), (10, 9)]),
    ...                   LineString([(-1, 3), (5, 3), (5, -3)])])
    >>> left, right, xy, fl, fr = crossing_points(geoms)
    >>> left.tolist(), right.tolist(), xy.tolist(), fl.round(2).tolist()
    ([0, 0, 1], [1, 3, 3], [[4.0, 0.0], [5.0, 0.0], [4.0, 3.0]], [0.4, 0.5, 0.8])
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0), np.zeros(0))
    if len(geoms) < 2:
        return empty
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) < 2:
        return empty
    same = which[1:] == which[:-1]
    seg = np.flatnonzero(same)  # segment k runs from vertex seg[k] to seg[k] + 1
    a, b = coords[seg], coords[seg + 1]
    owner = which[seg]
    length = np.hypot(*(b - a).T)
    # distance along its line of each segment's start, and each line's total length
    run = np.concatenate([[0.0], np.cumsum(np.where(same, np.hypot(*np.diff(coords, axis=0).T), 0.0))])
    line_start = np.zeros(len(geoms), dtype=np.int64)
    first_vertex = np.unique(which, return_index=True)[1]
    line_start[which[first_vertex]] = first_vertex
    along = run[seg] - run[line_start[owner]]
    total = np.zeros(len(geoms))
    np.maximum.at(total, owner, along + length)
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1) & (length > 0)
    keep = np.flatnonzero(ok)
    if len(keep) < 2:
        return empty
    # pieces no longer than a cell; a piece's box lies within half a cell of its centre
    extent = np.maximum(np.abs(b - a)[keep, 0], np.abs(b - a)[keep, 1])
    cell = max(float(np.percentile(extent, 75)), 1e-6)
    pieces = np.maximum(np.ceil(extent / cell).astype(np.int64), 1)
    piece_seg = np.repeat(keep, pieces)
    k_in = np.arange(len(piece_seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t_mid = (k_in + 0.5) / np.repeat(pieces, pieces)
    centre = a[piece_seg] + t_mid[:, None] * (b - a)[piece_seg]
    lo = centre.min(axis=0)
    ij = np.floor((centre - lo) / cell).astype(np.int64) + 1  # 1-based: every neighbour key stays positive
    ny = int(ij[:, 1].max()) + 2
    key = ij[:, 0] * ny + ij[:, 1]
    order = np.argsort(key, kind="stable")
    piece_seg, key = piece_seg[order], key[order]
    cells, start, count = np.unique(key, return_index=True, return_counts=True)
    seg4 = np.column_stack([a, b - a])
    hits: list[tuple[np.ndarray, ...]] = []
    for di, dj in _NEIGHBOURS:
        want = cells + di * ny + dj
        q = np.minimum(np.searchsorted(cells, want), len(cells) - 1)
        p = np.flatnonzero(cells[q] == want)
        q = q[p]
        for i, j in _pairs(start[p], count[p], start[q], count[q], same_cell=(di, dj) == (0, 0)):
            s1, s2 = piece_seg[i], piece_seg[j]
            diff = owner[s1] != owner[s2]
            hits.append(_intersect(s1[diff], s2[diff], seg4, owner, along, length, total))
    if not hits:
        return empty
    s_left, s_right, t_left, t_right = (np.concatenate(h) for h in zip(*hits, strict=True))
    if not len(s_left):
        return empty
    left, right = owner[s_left], owner[s_right]
    pos = along[s_left] + t_left * length[s_left]  # along the left line: the first meeting point of a pair wins
    order = np.lexsort((pos, right, left))
    first = order[np.r_[True, (left[order][1:] != left[order][:-1]) | (right[order][1:] != right[order][:-1])]]
    s_left, s_right, t_left, t_right = s_left[first], s_right[first], t_left[first], t_right[first]
    left, right = owner[s_left], owner[s_right]
    xy = a[s_left] + t_left[:, None] * (b - a)[s_left]
    frac_left = (along[s_left] + t_left * length[s_left]) / total[left]
    frac_right = (along[s_right] + t_right * length[s_right]) / total[right]
    return left.astype(np.int64), right.astype(np.int64), xy, frac_left, frac_right


def _pairs(start_p, count_p, start_q, count_q, same_cell: bool):
    """Batches of (i, j) position pairs: every item of cell p with every item of cell q (i < j within one cell)."""
    n_pairs = count_p.astype(np.int64) * count_q
    ends = np.cumsum(n_pairs)
    at = 0
    while at < len(n_pairs):
        base = ends[at - 1] if at else 0
        stop = max(int(np.searchsorted(ends, base + PAIR_BATCH, side="right")), at + 1)
        sizes = n_pairs[at:stop]
        which = np.repeat(np.arange(at, stop), sizes)
        local = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        i = start_p[which] + local // count_q[which]
        j = start_q[which] + local % count_q[which]
        if same_cell:
            i, j = i[i < j], j[i < j]
        yield i, j
        at = stop


def _intersect(s1, s2, seg, owner, along, length, total):
    """The pairs of segments (s1, s2) that meet at one point inside both lines (not at a line's end): (left segment,
    right segment, parameter on each), left being the segment of the lower line row. ``seg`` is (m, 4): start x, y
    and direction x, y of each segment (one gather per side for the cheap test; the rest only for the hits)."""
    p, q = seg[s1], seg[s2]
    rx, ry, sx, sy = p[:, 2], p[:, 3], q[:, 2], q[:, 3]
    denom = rx * sy - ry * sx
    qx, qy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    tn = qx * sy - qy * sx  # t = tn / denom on the first segment, u = un / denom on the second
    un = qx * ry - qy * rx
    eps = 1e-9 * np.abs(denom)
    # 0 <= t <= 1 and 0 <= u <= 1 without dividing: the numerators have the sign of denom and at most its size
    sign = np.sign(denom)
    hit = (denom != 0) & (tn * sign >= -eps) & (tn * sign <= np.abs(denom) + eps)
    hit &= (un * sign >= -eps) & (un * sign <= np.abs(denom) + eps)
    k = np.flatnonzero(hit)
    s1, s2 = s1[k], s2[k]
    t = np.clip(tn[k] / denom[k], 0.0, 1.0)
    u = np.clip(un[k] / denom[k], 0.0, 1.0)
    parallel = np.abs(denom[k]) <= 1e-12 * length[s1] * length[s2]
    d1 = along[s1] + t * length[s1]
    d2 = along[s2] + u * length[s2]
    tol = END_TOLERANCE_M
    inside = ~parallel & (d1 > tol) & (d1 < total[owner[s1]] - tol) & (d2 > tol) & (d2 < total[owner[s2]] - tol)
    s1, s2, t, u = s1[inside], s2[inside], t[inside], u[inside]
    swap = owner[s1] > owner[s2]
    return np.where(swap, s2, s1), np.where(swap, s1, s2), np.where(swap, u, t), np.where(swap, t, u)


def find_crossings(
    geoms: np.ndarray,
    ids: np.ndarray,
    from_node: np.ndarray,
    to_node: np.ndarray,
    cover_m: np.ndarray,
    outer_diameter_m: np.ndarray,
    elev_from: np.ndarray | None = None,
    elev_to: np.ndarray | None = None,
    required_m: float = MIN_VERTICAL_CLEARANCE_M["gas"],
) -> Crossings:
    """Every pair of pipes that cross in plan, with their vertical clearance (see the module's steps).

    Parameters
    ----------
    geoms
        Pipe LineStrings (plan).
    ids, from_node, to_node
        Pipe ids and end node ids (or node indices), aligned with ``geoms``.
    cover_m, outer_diameter_m
        Cover to the crown and outer diameter per pipe, metres (:func:`~console.scene.pipe_depths`).
    elev_from, elev_to
        Ground elevation at each pipe's ends (m); zeros when not given.
    required_m
        Minimum vertical clear distance (GB 50028: 0.15 m between gas pipes).

    Examples
    --------
    Two pipes crossing at (5, 0): the upper at 0.9 m cover, DN 110; the lower at 1.1 m. Clear distance
    1.1 - (0.9 + 0.11) = 0.09 m, below the 0.15 m minimum:

    >>> from shapely import LineString
    >>> geoms = np.array([LineString([(0, 0), (10, 0)]), LineString([(5, -5), (5, 5)])])
    >>> c = find_crossings(geoms, np.array(["P1", "P2"]), np.array(["A", "C"]), np.array(["B", "D"]),
    ...                    np.array([0.9, 1.1]), np.array([0.11, 0.2]))
    >>> len(c), c.id_a.tolist(), c.id_b.tolist(), round(float(c.clearance_m[0]), 3), c.below_minimum.tolist()
    (1, ['P1'], ['P2'], 0.09, [True])
    """
    left, right, xy, fl, fr = crossing_points(geoms)
    fn, tn = np.asarray(from_node), np.asarray(to_node)
    return _assemble(
        left, right, xy, fl, fr, fn[left], tn[left], fn[right], tn[right], lambda rows: np.asarray(ids)[rows],
        cover_m, outer_diameter_m, elev_from, elev_to, len(geoms), required_m,
    )  # fmt: skip


def _assemble(left, right, xy, fl, fr, fn_l, tn_l, fn_r, tn_r, ids_of, cover_m, outer_diameter_m, elev_from, elev_to,
              n, required_m) -> Crossings:  # fmt: skip
    shared = (fn_l == fn_r) | (fn_l == tn_r) | (tn_l == fn_r) | (tn_l == tn_r)
    keep = ~np.asarray(shared, dtype=bool)
    left, right, xy, fl, fr = left[keep], right[keep], xy[keep], fl[keep], fr[keep]
    if not len(left):
        return _empty(required_m)
    cover = np.asarray(cover_m, dtype=float)
    dia = np.asarray(outer_diameter_m, dtype=float)
    zf = np.zeros(n) if elev_from is None else np.asarray(elev_from, dtype=float)
    zt = np.zeros(n) if elev_to is None else np.asarray(elev_to, dtype=float)
    ground = 0.5 * ((zf[left] + fl * (zt[left] - zf[left])) + (zf[right] + fr * (zt[right] - zf[right])))
    # a = the upper pipe of each pair
    swap = cover[right] < cover[left]
    a = np.where(swap, right, left)
    b = np.where(swap, left, right)
    clearance = cover[b] - (cover[a] + dia[a])
    id_a = np.asarray(ids_of(a), dtype=object)
    order = np.lexsort((id_a.astype(str), clearance))
    a, b, xy, ground, clearance, id_a = a[order], b[order], xy[order], ground[order], clearance[order], id_a[order]
    return Crossings(
        pipe_a=a,
        pipe_b=b,
        id_a=id_a,
        id_b=np.asarray(ids_of(b), dtype=object),
        x=xy[:, 0],
        y=xy[:, 1],
        ground_z=ground,
        cover_a=cover[a],
        cover_b=cover[b],
        z_a=ground - cover[a] - dia[a] / 2,
        z_b=ground - cover[b] - dia[b] / 2,
        clearance_m=clearance,
        required_m=float(required_m),
    )


def _empty(required_m: float) -> Crossings:
    f, i, o = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    return Crossings(i, i, o, o, f, f, f, f, f, f, f, f, float(required_m))


def network_crossings(network, scene) -> Crossings:
    """The crossings of ``network``'s pipes with the depths and ground of its :class:`~console.scene.NetworkScene`.

    Only the pipes that meet another in plan have their end nodes and ids read (Arrow ``take``): turning a million
    ids into Python strings would cost more than the whole grid join.
    """
    pipes = network["pipes"]
    left, right, xy, fl, fr = crossing_points(np.asarray(pipes.geometry.array, dtype=object))

    def column(name: str, rows: np.ndarray) -> np.ndarray:
        return pipes[name].take(rows).to_numpy(dtype=object) if len(rows) else np.zeros(0, dtype=object)

    return _assemble(
        left, right, xy, fl, fr, column("from_node", left), column("to_node", left), column("from_node", right),
        column("to_node", right), lambda rows: column("id", rows), scene.cover_m, scene.outer_diameter_m,
        scene.ground_from, scene.ground_to, len(pipes), MIN_VERTICAL_CLEARANCE_M["gas"],
    )  # fmt: skip
