"""Pipe crossings (交叉点管位): pipes that cross in plan, their vertical clearance, and those below GB 50028's minimum.

1. Pairs of pipes whose lines cross in plan (interiors meet at a point: shapely's ``crosses``) come from one STRtree
   query over all pipes; pairs that share an end node are a junction, not a crossing, and are dropped.
2. The crossing point is where the two lines meet (the first point when they meet more than once); the ground there
   is the mean of the two pipes' ground profiles (end node elevations interpolated along each pipe).
3. The upper pipe is the one with the smaller cover. The vertical clear distance is from the bottom of the upper pipe
   to the crown of the lower: ``cover_lower - (cover_upper + outer_diameter_upper)``; below zero the pipes clash.
4. Each crossing is checked against GB 50028 table 6.3.3-2: 0.15 m between two gas pipes
   (:data:`~console.scene.MIN_VERTICAL_CLEARANCE_M`).

Everything is vectorised: no Python loop runs per pipe or per crossing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from console.scene._depth import MIN_VERTICAL_CLEARANCE_M

__all__ = ["Crossings", "find_crossings"]


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
        Pipe ids and end node ids, aligned with ``geoms``.
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
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    ids = np.asarray(ids, dtype=object)
    cover = np.asarray(cover_m, dtype=float)
    dia = np.asarray(outer_diameter_m, dtype=float)
    zf = np.zeros(n) if elev_from is None else np.asarray(elev_from, dtype=float)
    zt = np.zeros(n) if elev_to is None else np.asarray(elev_to, dtype=float)
    if n < 2:
        return _empty(required_m)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="crosses")
    keep = left < right
    left, right = left[keep], right[keep]
    fn = np.asarray(from_node, dtype=object)
    tn = np.asarray(to_node, dtype=object)
    shared = (fn[left] == fn[right]) | (fn[left] == tn[right]) | (tn[left] == fn[right]) | (tn[left] == tn[right])
    left, right = left[~shared], right[~shared]
    if not len(left):
        return _empty(required_m)
    meet = shapely.intersection(geoms[left], geoms[right])
    coords, which = shapely.get_coordinates(meet, return_index=True)
    first = np.unique(which, return_index=True)[1]
    has = np.zeros(len(left), dtype=bool)
    has[which[first]] = True
    xy = np.full((len(left), 2), np.nan)
    xy[which[first]] = coords[first]
    left, right, xy = left[has], right[has], xy[has]
    points = shapely.points(xy)
    fa = shapely.line_locate_point(geoms[left], points, normalized=True)
    fb = shapely.line_locate_point(geoms[right], points, normalized=True)
    ground = 0.5 * ((zf[left] + fa * (zt[left] - zf[left])) + (zf[right] + fb * (zt[right] - zf[right])))
    # a = the upper pipe of each pair
    swap = cover[right] < cover[left]
    a = np.where(swap, right, left)
    b = np.where(swap, left, right)
    clearance = cover[b] - (cover[a] + dia[a])
    order = np.lexsort((ids[a].astype(str), clearance))
    a, b, xy, ground, clearance = a[order], b[order], xy[order], ground[order], clearance[order]
    return Crossings(
        pipe_a=a,
        pipe_b=b,
        id_a=ids[a],
        id_b=ids[b],
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
    """The crossings of ``network``'s pipes with the depths and ground of its :class:`~console.scene.NetworkScene`."""
    pipes = network["pipes"]
    return find_crossings(
        np.asarray(pipes.geometry.array, dtype=object),
        pipes["id"].to_numpy(dtype=object),
        pipes["from_node"].to_numpy(dtype=object),
        pipes["to_node"].to_numpy(dtype=object),
        scene.cover_m,
        scene.outer_diameter_m,
        scene.ground_from,
        scene.ground_to,
    )
