"""The node matrix's LU keeps its ordering and pattern across Newton iterations: each solve must still be exact."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from console.hydraulics._solver import NodeFactor


def _triplets(rng: np.random.Generator, n: int, n_pipes: int):
    """A looped network's node matrix as GGA assembles it: per pipe the 2 x 2 block of its end columns (duplicates
    where pipes run in parallel), values unsymmetric as Z and the gas column make them, plus a fixed-pressure
    tie on a few columns so that the matrix is regular."""
    a = rng.integers(0, n, n_pipes)
    b = (a + rng.integers(1, n, n_pipes)) % n
    tree = np.arange(1, n)
    a, b = np.concatenate([tree - 1, a]), np.concatenate([tree, b])
    rows = np.concatenate([a, a, b, b, [0, n // 2]])
    cols = np.concatenate([a, b, a, b, [0, n // 2]])

    def values() -> np.ndarray:
        k = len(a)
        g1, g2 = rng.uniform(0.5, 2.0, k), rng.uniform(0.5, 2.0, k)
        return np.concatenate([g1, -g2, -g1, g2, [3.0, 3.0]])

    return rows, cols, values


@pytest.mark.parametrize("seed", range(6))
def test_every_iteration_solves_its_own_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    rows, cols, values = _triplets(rng, n, int(rng.integers(0, 2 * n)))
    lu = NodeFactor(n)
    for _ in range(4):  # the first call orders, the later ones reuse the ordering with new values
        vals = values()
        rhs = rng.standard_normal(n)
        m = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
        x = lu.solve(rows, cols, vals, rhs)
        np.testing.assert_allclose(m @ x, rhs, atol=1e-9 * max(1.0, np.abs(rhs).max()))
        np.testing.assert_allclose(x, spsolve(m, rhs), rtol=1e-8, atol=1e-10)


def test_empty_system() -> None:
    assert NodeFactor(0).solve(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0)).shape == (0,)
