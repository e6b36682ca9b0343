"""Level of detail for the 3D view (细节层次): every main, plus a spatially thinned set of the other pipes.

While the camera moves the view draws only what :func:`thin_pipes` keeps, so a frame stays within its budget on a
software renderer; full detail comes back shortly after the camera stops. Mains are never dropped (a commander must
always see the backbone). The other pipes are thinned evenly over the plan: a grid just coarse enough that one pipe
per occupied cell fits the budget, and in each cell the longest pipe (it shows the most of the street).
"""

from __future__ import annotations

import numpy as np

__all__ = ["thin_pipes"]


def thin_pipes(mid_xy: np.ndarray, length_m: np.ndarray, is_main: np.ndarray, budget: int) -> np.ndarray:
    """Rows of the pipes to draw while the camera moves, sorted: every main, and at most ``budget - mains`` others.

    Parameters
    ----------
    mid_xy
        (n, 2) plan position of each pipe (its midpoint).
    length_m
        Length per pipe (the longest pipe of a cell is kept).
    is_main
        True for mains (:func:`~console.scene.main_pipes`), kept whatever the budget.
    budget
        Pipes wanted in all; when the mains alone exceed it, only the mains are kept.

    Examples
    --------
    >>> xy = np.array([[0, 0], [1, 0], [100, 0], [101, 0], [200, 0]], dtype=float)
    >>> thin_pipes(xy, np.array([5.0, 9, 1, 2, 3]), np.array([True, False, False, False, False]), 3).tolist()
    [0, 1, 4]
    >>> thin_pipes(xy, np.ones(5), np.ones(5, dtype=bool), 2).tolist()  # mains always stay
    [0, 1, 2, 3, 4]
    """
    is_main = np.asarray(is_main, dtype=bool)
    n = len(is_main)
    mains = np.flatnonzero(is_main)
    others = np.flatnonzero(~is_main)
    room = int(budget) - len(mains)
    if room >= len(others):
        return np.arange(n)
    if room <= 0 or not len(others):
        return mains
    xy = np.asarray(mid_xy, dtype=float)[others]
    finite = np.isfinite(xy).all(axis=1)
    others, xy = others[finite], xy[finite]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    cell = float(np.sqrt(span[0] * span[1] / room)) if span.min() > 1e-6 else float(span.max() / room)
    cell = max(cell, 1e-9)
    length = np.asarray(length_m, dtype=float)[others]
    while True:
        ij = np.floor((xy - lo) / cell).astype(np.int64)
        key = ij[:, 0] * (int(span[1] / cell) + 2) + ij[:, 1]
        order = np.lexsort((-length, key))  # by cell, the longest first
        first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
        if len(first) <= room:
            break
        cell *= 1.25
    return np.sort(np.concatenate([mains, others[first]]))
