"""Spatial index (shapely STRtree per layer) for identify/picking and box queries.

Picking never hit-tests graphics items: the map asks this index for the nearest feature within a tolerance.
Point features win over pipes at equal distance, because a valve drawn on a pipe is what the user clicked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

__all__ = ["PICK_ORDER", "SpatialIndex", "Hit"]

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


class SpatialIndex:
    """STRtrees over each non-empty layer of one network version (built lazily, layer by layer)."""

    def __init__(self, network) -> None:
        self._network = network
        self._trees: dict[str, STRtree] = {}
        self._geoms: dict[str, np.ndarray] = {}

    def tree(self, layer: str) -> STRtree:
        tree = self._trees.get(layer)
        if tree is None:
            geoms = np.asarray(self._network[layer].geometry.array, dtype=object)
            self._geoms[layer] = geoms
            tree = self._trees[layer] = STRtree(geoms)
        return tree

    def nearest(self, x: float, y: float, tolerance: float, layers: tuple[str, ...] | None = None) -> Hit | None:
        """The feature nearest to (x, y) within ``tolerance`` map units; points before lines at a tie."""
        point = shapely.Point(x, y)
        best: Hit | None = None
        for layer in layers or PICK_ORDER:
            if not len(self._network[layer]):
                continue
            rows = self.tree(layer).query(point, predicate="dwithin", distance=tolerance)
            if not len(rows):
                continue
            dist = shapely.distance(self._geoms[layer][rows], point)
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
        return np.sort(self.tree(layer).query(shapely.box(*bounds)))
