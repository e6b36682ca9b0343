"""Pressure contour bands draped on the ground (等压带): which band of a contour set each ground point lies in."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["band_index"]


def band_index(x: np.ndarray, y: np.ndarray, bands: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Index of the band containing each point (odd-even rule over the band's rings), -1 outside every band.

    ``bands[i]`` is ``(points, ring_offsets)`` as :class:`console.hydraulics.ContourSet` gives them: ring ``k`` is
    ``points[offsets[k]:offsets[k+1]]``, outer boundaries and holes together.

    >>> square = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], dtype=float)
    >>> hole = np.array([[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]], dtype=float)
    >>> bands = [(np.vstack([square, hole]), np.array([0, 5, 10])), (hole, np.array([0, 5]))]
    >>> band_index(np.array([0.5, 2.0, 9.0]), np.array([0.5, 2.0, 9.0]), bands).tolist()
    [0, 1, -1]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.full(x.shape, -1, dtype=np.int32)
    for i, (points, offsets) in enumerate(bands):
        inside = np.zeros(x.shape, dtype=bool)
        offsets = np.asarray(offsets)
        for k in range(len(offsets) - 1):
            ring = np.asarray(points[offsets[k] : offsets[k + 1]], dtype=float)
            if len(ring) < 4:
                continue
            (x0, y0), (x1, y1) = ring.min(axis=0), ring.max(axis=0)
            near = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
            if not near.any():
                continue
            poly = shapely.Polygon(ring)
            shapely.prepare(poly)
            inside[near] ^= shapely.contains_xy(poly, x[near], y[near])
        out[inside] = i
    return out
