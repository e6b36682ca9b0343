"""Picking in 3D on the CPU (三维拾取): the pipe segment nearest to a click on screen, whatever the GL driver.

pyqtgraph's ``itemsAt`` answers with whole items (one item holds every pipe) and depends on the driver's selection
buffer, so picking is done here with numpy and a KD-tree:

1. The click's ray comes from the inverse of the view's model-view-projection matrix.
2. Pipes lie in a thin slab just below the ground; the stretch of the ray inside that slab, projected on the plan, is
   sampled and the KD-tree of points along the segments (midpoints, and every few metres along the longest 5 %)
   gives the segments near it (radius: the click tolerance in metres plus half the point spacing).
3. Those candidates are projected to the screen and the one nearest to the click (in pixels) within the tolerance wins.
   A near-horizontal ray (the slab stretch is too long) falls back to projecting every segment, still vectorised.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["SegmentPicker"]

MAX_SAMPLES = 400


class SegmentPicker:
    """Nearest-segment picking over ``segments`` ((2m, 3) vertex pairs) in the scene's coordinates."""

    def __init__(self, segments: np.ndarray) -> None:
        seg = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 3)
        self._a = seg[:, 0]
        self._b = seg[:, 1]
        n = len(self._a)
        self._tree = None
        self._half_max = 0.0
        self._z = (float(seg[..., 2].min()), float(seg[..., 2].max())) if n else (0.0, 0.0)
        if not n:
            return
        # The tree holds points every `step` m along each segment (its midpoint for most): one long main must not
        # widen every search to its half length.
        length = np.hypot(*(self._b - self._a)[:, :2].T)
        step = max(float(np.percentile(length, 95)), 1e-6)
        count = np.maximum(np.ceil(length / step).astype(np.int64), 1)
        self._owner = np.repeat(np.arange(n), count)
        first = np.cumsum(count) - count
        t = (np.arange(len(self._owner)) - first[self._owner] + 0.5) / count[self._owner]
        a, b = self._a[self._owner, :2], self._b[self._owner, :2]
        self._tree = cKDTree(a + t[:, None] * (b - a))
        self._half_max = 0.5 * float((length / count).max())

    def __len__(self) -> int:
        return len(self._a)

    def pick(
        self,
        mvp: np.ndarray,
        size: tuple[int, int],
        pixel: tuple[float, float],
        tolerance_px: float = 6.0,
        z_scale: float = 1.0,
        candidates: np.ndarray | None = None,
    ) -> tuple[int, float]:
        """(segment index, distance in px) of the segment nearest to ``pixel``, or (-1, inf) when none is within
        ``tolerance_px``.

        ``mvp`` is the 4x4 model-view-projection matrix (row-major, acting on column vectors) of the scene's
        coordinates with z multiplied by ``z_scale``; ``size`` the viewport (width, height) in pixels; ``pixel``
        (x, y) from the top left. ``candidates`` restricts the search (e.g. to the segments drawn at this level of
        detail).
        """
        if self._tree is None:
            return -1, float("inf")
        m = np.asarray(mvp, dtype=np.float64) @ np.diag([1.0, 1.0, z_scale, 1.0])
        rows = self._near_ray(m, size, pixel, tolerance_px)
        if candidates is not None:
            allowed = np.zeros(len(self._a), dtype=bool)
            allowed[np.asarray(candidates, dtype=np.int64)] = True
            rows = np.flatnonzero(allowed) if rows is None else rows[allowed[rows]]
        elif rows is None:
            rows = np.arange(len(self._a))
        if not len(rows):
            return -1, float("inf")
        pa, wa = _project(m, self._a[rows], size)
        pb, wb = _project(m, self._b[rows], size)
        d = _point_segment_distance(np.asarray(pixel, dtype=float), pa, pb)
        d[(wa <= 0) | (wb <= 0)] = np.inf  # behind the camera
        k = int(np.argmin(d))
        if not np.isfinite(d[k]) or d[k] > tolerance_px:
            return -1, float("inf")
        return int(rows[k]), float(d[k])

    def _near_ray(self, m: np.ndarray, size, pixel, tolerance_px) -> np.ndarray | None:
        inv = np.linalg.inv(m)
        p0, p1 = _ray(inv, size, pixel)
        q0, q1 = _ray(inv, size, (pixel[0] + tolerance_px, pixel[1]))
        lo, hi = self._z[0] - 0.5, self._z[1] + 0.5
        dz = p1[2] - p0[2]
        if abs(dz) < 1e-9:
            return None
        t = np.clip((np.array([lo, hi]) - p0[2]) / dz, 0.0, 1.0)
        ends = p0[None, :] + t[:, None] * (p1 - p0)[None, :]
        tm = float(np.mean(t))
        mid = p0 + tm * (p1 - p0)
        mid_q = q0 + tm * (q1 - q0)
        radius = float(np.hypot(*(mid_q - mid)[:2])) * 1.5 + self._half_max + 1e-6
        stretch = float(np.hypot(*(ends[1] - ends[0])[:2]))
        samples = int(np.ceil(stretch / radius)) + 1
        if samples > MAX_SAMPLES:
            return None
        pts = ends[0][None, :2] + np.linspace(0.0, 1.0, samples)[:, None] * (ends[1] - ends[0])[None, :2]
        found = self._tree.query_ball_point(pts, radius)
        points = np.concatenate([np.asarray(f, dtype=np.int64) for f in found]) if len(found) else np.zeros(0, int)
        return np.unique(self._owner[points])


def _ray(inv: np.ndarray, size, pixel) -> tuple[np.ndarray, np.ndarray]:
    w, h = size
    x = 2.0 * pixel[0] / w - 1.0
    y = 1.0 - 2.0 * pixel[1] / h
    near = inv @ np.array([x, y, -1.0, 1.0])
    far = inv @ np.array([x, y, 1.0, 1.0])
    return near[:3] / near[3], far[:3] / far[3]


def _project(m: np.ndarray, xyz: np.ndarray, size) -> tuple[np.ndarray, np.ndarray]:
    clip = xyz @ m[:3, :3].T + m[:3, 3]
    w = xyz @ m[3, :3] + m[3, 3]
    safe = np.where(np.abs(w) < 1e-12, 1e-12, w)
    px = (clip[:, 0] / safe + 1.0) * 0.5 * size[0]
    py = (1.0 - clip[:, 1] / safe) * 0.5 * size[1]
    return np.column_stack([px, py]), w


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
    nearest = a + t[:, None] * ab
    return np.hypot(*(nearest - p).T)
