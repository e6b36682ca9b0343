"""Render buffers (Qt-free numpy): line layers as vertex-pair arrays, and a uniform grid for view queries.

Built once per network version, in a worker, and cached with ``network.cached``. Coordinates are stored relative to
a local origin (the network's lower-left corner, rounded) as float32: CGCS2000 Gauss-Krüger eastings carry the zone
number (41,400,000 m) and would otherwise waste the float precision that deep zoom needs.

The grid answers "which segments may be in this box" by slicing contiguous runs of cell-sorted segments (no tree
walk, no Python loop per feature), and "about how many" in O(1) from a summed-area table, which is what decides
between the raster overview and vector items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "GridIndex",
    "PointBuffers",
    "SegmentBuffers",
    "build_point_buffers",
    "build_segment_buffers",
    "local_origin",
]

_ITEMS_PER_CELL = 6
_MAX_CELLS_PER_SIDE = 1024


def local_origin(bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """A round origin at or below the lower-left corner of ``bounds`` (1 km steps), (0, 0) for empty bounds."""
    xmin, ymin = bounds[0], bounds[1]
    if not (np.isfinite(xmin) and np.isfinite(ymin)):
        return (0.0, 0.0)
    return (float(np.floor(xmin / 1000.0) * 1000.0), float(np.floor(ymin / 1000.0) * 1000.0))


@dataclass(frozen=True, eq=False)
class GridIndex:
    """Items bucketed by the grid cell of their centre; ``order`` lists item ids cell by cell.

    Items wider than a cell (rare long segments) are kept apart in ``oversize`` and tested by bounding box, so the
    regular query only needs to widen the box by one cell.
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    order: np.ndarray  # int32, item ids sorted by cell
    cell_start: np.ndarray  # int64 (nx*ny + 1): items of cell c are order[cell_start[c]:cell_start[c+1]]
    sat: np.ndarray  # int64 (ny+1, nx+1) summed-area table of per-cell counts
    oversize: np.ndarray  # int32 ids of items wider than a cell
    oversize_box: np.ndarray  # float32 (k, 4) their xmin, ymin, xmax, ymax

    @classmethod
    def build(cls, boxes: np.ndarray) -> GridIndex:
        """Index items given their (n, 4) boxes xmin, ymin, xmax, ymax (local coordinates)."""
        n = len(boxes)
        if n == 0:
            return cls(0.0, 0.0, 1.0, 1, 1, np.empty(0, np.int32), np.zeros(2, np.int64), np.zeros((2, 2), np.int64),
                       np.empty(0, np.int32), np.empty((0, 4), np.float32))  # fmt: skip
        x0, y0 = float(boxes[:, 0].min()), float(boxes[:, 1].min())
        w = max(float(boxes[:, 2].max()) - x0, 1e-6)
        h = max(float(boxes[:, 3].max()) - y0, 1e-6)
        cells_wanted = max(n / _ITEMS_PER_CELL, 1.0)
        cell = max(np.sqrt(w * h / cells_wanted), max(w, h) / _MAX_CELLS_PER_SIDE, 1e-3)
        nx = int(min(np.ceil(w / cell) + 1, _MAX_CELLS_PER_SIDE + 1))
        ny = int(min(np.ceil(h / cell) + 1, _MAX_CELLS_PER_SIDE + 1))
        big = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) > cell
        # int32 cell numbers (at most 1025 x 1025 cells): these temporaries are as long as the layer.
        cx = np.clip(((boxes[:, 0] + boxes[:, 2]) * 0.5 - x0) // cell, 0, nx - 1).astype(np.int32)
        cell_id = np.clip(((boxes[:, 1] + boxes[:, 3]) * 0.5 - y0) // cell, 0, ny - 1).astype(np.int32)
        cell_id *= nx
        cell_id += cx
        del cx
        small = np.flatnonzero(~big).astype(np.int32)
        order = small[np.argsort(cell_id[small], kind="stable")].astype(np.int32)
        counts = np.bincount(cell_id[small], minlength=nx * ny)
        cell_start = np.zeros(nx * ny + 1, np.int64)
        np.cumsum(counts, out=cell_start[1:])
        sat = np.zeros((ny + 1, nx + 1), np.int64)
        sat[1:, 1:] = np.bincount(cell_id, minlength=nx * ny).reshape(ny, nx).cumsum(0).cumsum(1)
        oversize = np.flatnonzero(big).astype(np.int32)
        return cls(x0, y0, float(cell), nx, ny, order, cell_start, sat, oversize, boxes[oversize].astype(np.float32))

    def _cell_range(self, box: tuple[float, float, float, float], pad: int) -> tuple[int, int, int, int] | None:
        xmin, ymin, xmax, ymax = box
        i0 = int(np.floor((xmin - self.x0) / self.cell)) - pad
        i1 = int(np.floor((xmax - self.x0) / self.cell)) + pad
        j0 = int(np.floor((ymin - self.y0) / self.cell)) - pad
        j1 = int(np.floor((ymax - self.y0) / self.cell)) + pad
        i0, j0 = max(i0, 0), max(j0, 0)
        i1, j1 = min(i1, self.nx - 1), min(j1, self.ny - 1)
        if i0 > i1 or j0 > j1:
            return None
        return i0, i1, j0, j1

    def count(self, box: tuple[float, float, float, float]) -> int:
        """About how many items lie in ``box`` (cells it touches; O(1)), oversize items included."""
        r = self._cell_range(box, 0)
        if r is None:
            return 0
        i0, i1, j0, j1 = r
        s = self.sat
        return int(s[j1 + 1, i1 + 1] - s[j0, i1 + 1] - s[j1 + 1, i0] + s[j0, i0])

    def query(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Ids of items whose box may intersect ``box`` (a superset; sorted by cell, not by id)."""
        parts = []
        r = self._cell_range(box, 1)
        if r is not None:
            i0, i1, j0, j1 = r
            rows = np.arange(j0, j1 + 1, dtype=np.int64) * self.nx
            starts = self.cell_start[rows + i0]
            ends = self.cell_start[rows + i1 + 1]
            lens = ends - starts
            total = int(lens.sum())
            if total:
                # Concatenate the runs [starts[k], ends[k]) without a Python loop.
                offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
                parts.append(self.order[offsets + np.arange(total)])
        if len(self.oversize):
            b = self.oversize_box
            hit = (b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])
            parts.append(self.oversize[hit])
        if not parts:
            return np.empty(0, np.int32)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]


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
    return SegmentBuffers(origin, lines, feature, GridIndex.build(boxes))


def build_point_buffers(geoms: np.ndarray, origin: tuple[float, float]) -> PointBuffers:
    xy = _coordinates(geoms)
    local = np.empty((len(xy), 2), np.float32)
    local[:, 0] = xy[:, 0] - origin[0]
    local[:, 1] = xy[:, 1] - origin[1]
    return PointBuffers(origin, local, GridIndex.build(np.hstack([local, local])))
