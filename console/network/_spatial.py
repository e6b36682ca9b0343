"""Spatial index for identify/picking and box queries: a uniform grid per layer, points and lines tested exactly.

Picking never hit-tests graphics items: the map asks this index for the nearest feature within a tolerance.
Point features win over pipes at equal distance, because a valve drawn on a pipe is what the user clicked.

Both kinds of layer go through the one uniform grid of the console, :class:`console.network._grid.GridIndex` (the
map's view queries use it too). Point layers (junctions, customers, valves …: a million points in a city) use
:class:`PointGrid`: the same answers as an STRtree for points at about a third of its memory (~20 bytes a point
instead of ~66) and a faster build. Line layers use :class:`LineGrid`, the grid over the centres of the lines'
bounding boxes, with the few lines longer than a cell tested by their boxes: the same answers as one STRtree over
every line at ~6 bytes a line instead of ~75 (about 70 MB less at a million pipes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from console.network._grid import GridIndex
from console.network._schema import LAYERS

__all__ = ["PICK_ORDER", "LineGrid", "PointGrid", "SpatialIndex", "Hit"]

_POINTS_PER_CELL = 4

# Layers checked for identify, topmost first (drawn last on the map).
PICK_ORDER = (
    "sensors",
    "gate_stations",
    "regulators",
    "valves",
    "customers",
    "risers",
    "end_caps",
    "junctions",
    "links",
    "pipes",
)


@dataclass(frozen=True)
class Hit:
    layer: str
    row: int
    feature_id: str
    distance: float


class PointGrid:
    """Points in the grid index (:class:`console.network._grid.GridIndex`), tested exactly by distance and box.

    >>> grid = PointGrid(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.5], [np.nan, np.nan]]))
    >>> rows, dist = grid.within(10.0, 0.4, 1.0)
    >>> sorted(zip(rows.tolist(), np.round(dist, 2).tolist()))
    [(1, 0.4), (2, 0.1)]
    >>> grid.in_box((-1.0, -1.0, 10.0, 0.1)).tolist()  # boundary included; empty points never match
    [0, 1]
    """

    def __init__(self, xy: np.ndarray) -> None:
        self.xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self.index = GridIndex.build(np.hstack([self.xy, self.xy]), items_per_cell=_POINTS_PER_CELL)

    @property
    def nbytes(self) -> int:
        return self.index.nbytes + self.xy.nbytes

    def within(self, x: float, y: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the points at most ``distance`` from (x, y), and their distances."""
        rows = self.index.query((x - distance, y - distance, x + distance, y + distance))
        d = np.hypot(self.xy[rows, 0] - x, self.xy[rows, 1] - y)
        keep = d <= distance
        return rows[keep].astype(np.int64), d[keep]

    def in_box(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Rows (sorted) of the points inside the box, boundary included."""
        rows = self.index.query(box)
        px, py = self.xy[rows, 0], self.xy[rows, 1]
        keep = (px >= box[0]) & (px <= box[2]) & (py >= box[1]) & (py <= box[3])
        return np.sort(rows[keep]).astype(np.int64)


class LineGrid:
    """Lines in the grid index by the centre of their bounding box, tested exactly by distance and box.

    The cell is at least the typical (95th percentile) line's extent, so only the few longer lines are kept apart
    as oversize. Answers are those of an STRtree over all lines: ``within`` as ``query(point, "dwithin", d)``,
    ``in_box`` as ``query(box)`` (bounding boxes that intersect the box).

    >>> lines = shapely.linestrings([[(0, 0), (10, 0)], [(0, 5), (0, 9)], [(-50, -50), (60, 60)]])
    >>> grid = LineGrid(np.array([*lines, None], dtype=object))
    >>> rows, dist = grid.within(3.0, 1.0, 2.0)
    >>> sorted(zip(rows.tolist(), np.round(dist, 2).tolist()))
    [(0, 1.0), (2, 1.41)]
    >>> grid.in_box((-1.0, 6.0, 1.0, 7.0)).tolist()  # the long diagonal's box covers everything
    [1, 2]
    """

    def __init__(self, geoms: np.ndarray) -> None:
        self._geoms = geoms = np.asarray(geoms, dtype=object)
        bounds = shapely.bounds(geoms)  # NaN for missing and empty geometries
        extent = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        extent = extent[np.isfinite(extent)]
        typical = float(np.percentile(extent, 95)) if len(extent) else 1.0
        del extent
        self.index = GridIndex.build(bounds, items_per_cell=_POINTS_PER_CELL, min_cell=typical)

    @property
    def nbytes(self) -> int:
        return self.index.nbytes

    def within(self, x: float, y: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the lines at most ``distance`` from (x, y), and their distances."""
        rows = self.index.query((x - distance, y - distance, x + distance, y + distance)).astype(np.int64)
        d = shapely.distance(self._geoms[rows], shapely.Point(x, y))
        keep = d <= distance
        return rows[keep], d[keep]

    def in_box(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Rows (sorted) of the lines whose bounding box intersects the box, boundary included."""
        rows = self.index.query(box).astype(np.int64)
        b = shapely.bounds(self._geoms[rows])
        keep = (b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])
        return np.sort(rows[keep])


class SpatialIndex:
    """The index of each non-empty layer of one network version (built lazily, layer by layer)."""

    def __init__(self, network) -> None:
        self._network = network
        self._grids: dict[str, PointGrid | LineGrid] = {}

    def build(self, layer: str) -> None:
        """Build the index ``nearest`` and ``query_box`` use for ``layer`` (warms the first click)."""
        self.grid(layer)

    def grid(self, layer: str) -> PointGrid | LineGrid:
        """The layer's index: a :class:`PointGrid` for point layers, a :class:`LineGrid` for line layers."""
        grid = self._grids.get(layer)
        if grid is None:
            geoms = np.asarray(self._network[layer].geometry.array, dtype=object)
            if LAYERS[layer].geometry == "Point":
                xy = np.full((len(geoms), 2), np.nan)
                valid = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
                xy[valid] = shapely.get_coordinates(geoms[valid])
                grid = PointGrid(xy)
            else:
                grid = LineGrid(geoms)
            self._grids[layer] = grid
        return grid

    def nearest(self, x: float, y: float, tolerance: float, layers: tuple[str, ...] | None = None) -> Hit | None:
        """The feature nearest to (x, y) within ``tolerance`` map units; points before lines at a tie."""
        best: Hit | None = None
        for layer in layers or PICK_ORDER:
            if not len(self._network[layer]):
                continue
            rows, dist = self.grid(layer).within(x, y, tolerance)
            if not len(rows):
                continue
            k = int(np.argmin(dist))
            hit = Hit(layer, int(rows[k]), str(self._network[layer]["id"].iat[int(rows[k])]), float(dist[k]))
            # Point layers come first in PICK_ORDER; a line only wins when it is clearly closer.
            if best is None or hit.distance < best.distance * 0.5:
                best = hit
        return best

    def query_box(self, layer: str, bounds: tuple[float, float, float, float]) -> np.ndarray:
        """Rows of ``layer`` whose geometry intersects the box (xmin, ymin, xmax, ymax)."""
        if not len(self._network[layer]):
            return np.empty(0, dtype=np.int64)
        return self.grid(layer).in_box(bounds)
