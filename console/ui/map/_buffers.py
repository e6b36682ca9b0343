"""Render buffers (Qt-free numpy): line layers as vertex-pair arrays, and the grid index for view queries.

Built once per network version, in a worker, and cached with ``network.cached``. Coordinates are stored relative to
a local origin (the network's lower-left corner, rounded) as float32: CGCS2000 Gauss-Krüger eastings carry the zone
number (41,400,000 m) and would otherwise waste the float precision that deep zoom needs.

The grid (:class:`console.network.GridIndex`, the one picking uses too) answers "which segments may be in this box"
by slicing contiguous runs of cell-sorted segments (no tree walk, no Python loop per feature), and "about how many"
in O(1) from a summed-area table, which is what decides between the raster overview and vector items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from console.network import GridIndex

__all__ = [
    "GridIndex",
    "PointBuffers",
    "SegmentBuffers",
    "build_point_buffers",
    "build_segment_buffers",
    "local_origin",
    "view_grid",
]

_ITEMS_PER_CELL = 6
_MAX_CELLS_PER_SIDE = 1024


def local_origin(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """A round origin at or below the lower-left corner of ``bounds`` (1 km steps), (0, 0) for empty bounds."""
    xmin, ymin = bounds[0], bounds[1]
    if not (np.isfinite(xmin) and np.isfinite(ymin)):
        return (0.0, 0.0)
    return (float(np.floor(xmin / 1000.0) * 1000.0), float(np.floor(ymin / 1000.0) * 1000.0))


def view_grid(boxes: np.ndarray) -> GridIndex:
    """The console's one grid index over render items, with the O(1) counts that choose raster or vectors."""
    return GridIndex.build(boxes, items_per_cell=_ITEMS_PER_CELL, max_cells_per_side=_MAX_CELLS_PER_SIDE, counts=True)


@dataclass(frozen=True, eq=False)
class SegmentBuffers:
    """Every straight segment of a line layer: ``lines`` (k, 4) float32 x0, y0, x1, y1 relative to ``origin``.

    ``feature`` is the row of the feature each segment belongs to; a feature's segments are consecutive.
    """

    origin: tuple[float, float]
    lines: np.ndarray
    feature: np.ndarray
    grid: GridIndex

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True, eq=False)
class PointBuffers:
    """Point features as (n, 2) float32 local coordinates with a grid for view queries."""

    origin: tuple[float, float]
    xy: np.ndarray
    grid: GridIndex

    def __len__(self) -> int:
        return len(self.xy)


_CHUNK = 100_000  # geometries per shapely call: each call holds the GIL, so the UI thread waits at most ~40 ms


def _coordinates(geoms: np.ndarray, return_index: bool = False):
    """``shapely.get_coordinates`` in chunks (same result), so a worker never starves the UI thread for long."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) <= _CHUNK:
        return shapely.get_coordinates(geoms, return_index=return_index)
    parts = [
        shapely.get_coordinates(geoms[i : i + _CHUNK], return_index=return_index) for i in range(0, len(geoms), _CHUNK)
    ]
    if not return_index:
        return np.concatenate(parts)
    xy = np.concatenate([p[0] for p in parts])
    index = np.concatenate([p[1] + i * _CHUNK for i, p in enumerate(parts)])
    return xy, index


def build_segment_buffers(geoms: np.ndarray, origin: tuple[float, float]) -> SegmentBuffers:
    """Split line geometries into vertex pairs (consecutive vertices within one feature), vectorised.

    Works through the geometries in chunks straight into the final arrays, so the float64 coordinates of a whole
    city never exist at once (at a million pipes they and their index would be ~100 MB of temporaries).

    >>> import shapely
    >>> b = build_segment_buffers(np.array([shapely.LineString([(0, 0), (1, 0), (1, 1)]),
    ...                                     shapely.LineString([(5, 5), (6, 5)])]), (0.0, 0.0))
    >>> b.lines.tolist(), b.feature.tolist()
    ([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 5.0]], [0, 0, 1])
    """
    geoms = np.asarray(geoms, dtype=object)
    per_feature = np.maximum(shapely.get_num_coordinates(geoms).astype(np.int64) - 1, 0)
    total = int(per_feature.sum())
    del per_feature
    lines = np.empty((total, 4), np.float32)
    feature = np.empty(total, np.int32)
    done = 0
    for lo in range(0, len(geoms), _CHUNK):
        xy, index = shapely.get_coordinates(geoms[lo : lo + _CHUNK], return_index=True)
        start = np.flatnonzero(index[:-1] == index[1:])
        out = lines[done : done + len(start)]
        out[:, 0] = xy[start, 0] - origin[0]
        out[:, 1] = xy[start, 1] - origin[1]
        out[:, 2] = xy[start + 1, 0] - origin[0]
        out[:, 3] = xy[start + 1, 1] - origin[1]
        feature[done : done + len(start)] = index[start] + lo
        done += len(start)
    boxes = np.empty((total, 4), np.float32)
    np.minimum(lines[:, 0], lines[:, 2], out=boxes[:, 0])
    np.minimum(lines[:, 1], lines[:, 3], out=boxes[:, 1])
    np.maximum(lines[:, 0], lines[:, 2], out=boxes[:, 2])
    np.maximum(lines[:, 1], lines[:, 3], out=boxes[:, 3])
    return SegmentBuffers(origin, lines, feature, view_grid(boxes))


def build_point_buffers(geoms: np.ndarray, origin: tuple[float, float]) -> PointBuffers:
    xy = _coordinates(geoms)
    local = np.empty((len(xy), 2), np.float32)
    local[:, 0] = xy[:, 0] - origin[0]
    local[:, 1] = xy[:, 1] - origin[1]
    return PointBuffers(origin, local, view_grid(np.hstack([local, local])))
