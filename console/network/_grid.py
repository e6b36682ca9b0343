"""The one uniform-grid spatial index: items (points, lines, segments) bucketed by the grid cell of their box centre.

Every box query of the console goes through it: picking and identify (:class:`console.network.SpatialIndex`'s point
and line grids) and the map's view queries (render buffers in ``console.ui.map``). Items are sorted cell by cell, so
the items of a box are a few contiguous runs of one int32 array, sliced without a tree walk or a Python loop per
feature, at ~4 bytes an item (an STRtree takes ~70). Items larger than a cell (a long main across the district) are
kept apart in a short list of their own boxes and tested directly.

A gridded item reaches at most ``reach`` (its largest half-extent, 0 for points, at most half a cell) from its
centre, so the cells of a query box grown by ``reach`` hold every gridded item whose box meets the query box.
:meth:`GridIndex.query` returns those candidates (a superset: callers test exactly what they need — distance, box);
:meth:`GridIndex.count` tells about how many items the cells of a box hold, in O(1), when built with ``counts=True``.

>>> boxes = np.array([[0, 0, 0, 0], [10, 0, 10, 0], [2, 2, 3, 3], [-50, -50, 60, 60]], float)
>>> grid = GridIndex.build(boxes, items_per_cell=1)
>>> np.sort(grid.query((9.0, -1.0, 11.0, 1.0))).tolist()  # point 1, and the oversize box 3 that covers all
[1, 3]
>>> grid.oversize.tolist()
[3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GridIndex"]

Box = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


@dataclass(frozen=True, eq=False)
class GridIndex:
    """Items bucketed by the grid cell of their box centre; ``order`` lists the gridded item ids cell by cell."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    reach: float  # how far a gridded item's box reaches from its centre (plus rounding slack): queries grow by it
    order: np.ndarray  # int32 ids of the gridded items, sorted by cell
    cell_start: np.ndarray  # (nx*ny + 1): the items of cell c are order[cell_start[c]:cell_start[c + 1]]
    oversize: np.ndarray  # int32 ids of the items larger than a cell, tested by their boxes
    oversize_box: np.ndarray  # (k, 4) their xmin, ymin, xmax, ymax
    sat: np.ndarray | None = None  # int64 (ny + 1, nx + 1) summed-area table of items per cell (counts=True)

    @classmethod
    def build(
        cls,
        boxes: np.ndarray,
        *,
        items_per_cell: float = 4,
        max_cells_per_side: int = 2048,
        min_cell: float = 0.0,
        counts: bool = False,
    ) -> GridIndex:
        """Index items given their (n, 4) boxes xmin, ymin, xmax, ymax; rows with a NaN (empty items) are left out.

        Parameters
        ----------
        boxes
            One row per item (a point is a box of zero size), any float dtype; ids are row numbers.
        items_per_cell
            The cell is sized so that, spread evenly over the extent, about this many items share a cell.
        max_cells_per_side
            At most this many cells (plus one) along each side, whatever the number of items.
        min_cell
            A lower bound for the cell (line layers pass their typical length, so few lines are oversize).
        counts
            Also build the summed-area table :meth:`count` uses (8 bytes a cell).
        """
        boxes = np.asarray(boxes).reshape(-1, 4)
        valid = np.isfinite(boxes).all(axis=1)
        rows = np.flatnonzero(valid).astype(np.int32) if not valid.all() else None
        b = boxes[rows] if rows is not None else boxes
        n = len(b)
        if n:
            x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
            x1, y1 = float(b[:, 2].max()), float(b[:, 3].max())
        else:
            x0 = y0 = x1 = y1 = 0.0
        w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
        cell = max(np.sqrt(w * h * items_per_cell / max(n, 1)), max(w, h) / max_cells_per_side, min_cell, 1e-6)
        nx = int(min(w // cell + 1, max_cells_per_side + 1))
        ny = int(min(h // cell + 1, max_cells_per_side + 1))
        extent = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        big = extent > cell
        small = np.flatnonzero(~big)
        reach = float(extent[small].max()) / 2 if len(small) else 0.0
        # Centres in float32 (render buffers) round differently from the float64 query: a little slack.
        slack = 4 * float(np.finfo(b.dtype if b.dtype.kind == "f" else np.float64).eps) * max(abs(x0), abs(y0),
                                                                                               abs(x1), abs(y1), 1.0)  # fmt: skip
        del extent
        # int32 cell numbers (at most 2049 x 2049 cells): these temporaries are as long as the layer.
        cell_id = np.clip(((b[:, 1] + b[:, 3]) * 0.5 - y0) // cell, 0, ny - 1).astype(np.int32)
        cell_id *= nx
        cell_id += np.clip(((b[:, 0] + b[:, 2]) * 0.5 - x0) // cell, 0, nx - 1).astype(np.int32)
        ids = rows if rows is not None else np.arange(n, dtype=np.int32)
        order = ids[small[np.argsort(cell_id[small], kind="stable")]]
        cell_start = np.zeros(nx * ny + 1, np.int32 if n < 2**31 else np.int64)
        np.cumsum(np.bincount(cell_id[small], minlength=nx * ny), out=cell_start[1:])
        sat = None
        if counts:
            sat = np.zeros((ny + 1, nx + 1), np.int64)
            sat[1:, 1:] = np.bincount(cell_id, minlength=nx * ny).reshape(ny, nx).cumsum(0).cumsum(1)
        oversize = np.flatnonzero(big)
        return cls(x0, y0, float(cell), nx, ny, reach + slack, order.astype(np.int32, copy=False), cell_start,
                   ids[oversize], b[oversize].copy(), sat)  # fmt: skip

    @property
    def nbytes(self) -> int:
        extra = self.sat.nbytes if self.sat is not None else 0
        return self.order.nbytes + self.cell_start.nbytes + self.oversize.nbytes + self.oversize_box.nbytes + extra

    def _cells(self, box: Box, grow: float) -> tuple[int, int, int, int] | None:
        """The cell range [i0, i1] x [j0, j1] that ``box`` grown by ``grow`` touches, or None outside the grid."""
        i0 = max(int(np.floor((box[0] - grow - self.x0) / self.cell)), 0)
        j0 = max(int(np.floor((box[1] - grow - self.y0) / self.cell)), 0)
        i1 = min(int(np.floor((box[2] + grow - self.x0) / self.cell)), self.nx - 1)
        j1 = min(int(np.floor((box[3] + grow - self.y0) / self.cell)), self.ny - 1)
        if i0 > i1 or j0 > j1:
            return None
        return i0, i1, j0, j1

    def query(self, box: Box) -> np.ndarray:
        """Ids of the items whose box may meet ``box`` (boundary included): a superset, unsorted (int32)."""
        parts = []
        cells = self._cells(box, self.reach)
        if cells is not None and len(self.order):
            parts.append(self.order[_runs(self.cell_start, self.nx, *cells)])
        if len(self.oversize):
            b = self.oversize_box
            hit = (b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1])
            parts.append(self.oversize[hit])
        if not parts:
            return np.empty(0, np.int32)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def count(self, box: Box) -> int:
        """About how many items have their centre in the cells ``box`` touches (O(1); oversize items included)."""
        if self.sat is None:
            raise ValueError("GridIndex.count needs a grid built with counts=True")
        cells = self._cells(box, 0.0)
        if cells is None:
            return 0
        i0, i1, j0, j1 = cells
        s = self.sat
        return int(s[j1 + 1, i1 + 1] - s[j0, i1 + 1] - s[j1 + 1, i0] + s[j0, i0])


def _runs(start: np.ndarray, nx: int, i0: int, i1: int, j0: int, j1: int) -> np.ndarray:
    """Positions of the entries of cells [i0, i1] x [j0, j1] of a cell-sorted array with cell offsets ``start``."""
    first = np.arange(j0, j1 + 1, dtype=np.int64) * nx
    starts = start[first + i0].astype(np.int64)
    lens = start[first + i1 + 1] - starts
    total = int(lens.sum())
    # Concatenate the runs [starts[k], starts[k] + lens[k]) without a Python loop.
    return np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(total)
