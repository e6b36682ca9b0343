"""Tree parts of a network, where flows follow from the demands alone.

:func:`peel_trees` strips dead-end branches (service lines, end caps, tree-shaped low-pressure streets) layer by
layer: the flow of a pipe into a leaf group is the leaf's demand plus everything already peeled behind it. Newton
then solves only the looped core (about 40 % of the nodes of a city network), and the pressures of the peeled
groups are marched outwards level by level afterwards. :func:`forest_flows` spreads node imbalances over a spanning
forest of zero-resistance links (valves, regulators) to give their flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.sparse.linalg import spsolve

from console.hydraulics._model import components

__all__ = ["Peel", "forest_flows", "peel_trees"]


@dataclass
class Peel:
    """Result of :func:`peel_trees`; ``levels`` in peeling order (outermost leaves first)."""

    core: np.ndarray  # bool per pipe: still in the Newton problem
    peeled: np.ndarray  # bool per group
    flow: np.ndarray  # m³/s per pipe (known for peeled pipes, NaN for core pipes)
    load: np.ndarray  # m³/s per group: own demand plus the peeled subtrees hanging from it
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (pipes, leaves, parents)


def peel_trees(gf: np.ndarray, gt: np.ndarray, n_groups: int, peelable: np.ndarray, demand: np.ndarray) -> Peel:
    """Peel leaf groups of the pipe graph ``gf[i]–gt[i]`` (groups); only ``peelable`` groups are removed."""
    n_pipes = len(gf)
    alive = np.ones(n_pipes, dtype=bool)
    deg = np.bincount(gf, minlength=n_groups) + np.bincount(gt, minlength=n_groups)
    # Sum of the indices of the live pipes at each group: for a group of degree 1 it is its one pipe.
    idx = np.arange(n_pipes, dtype=np.int64)
    psum = np.bincount(gf, weights=idx, minlength=n_groups) + np.bincount(gt, weights=idx, minlength=n_groups)
    psum = np.rint(psum).astype(np.int64)
    load = demand.astype(float).copy()
    flow = np.full(n_pipes, np.nan)
    peeled = np.zeros(n_groups, dtype=bool)
    levels = []
    leaves = np.flatnonzero(peelable & (deg == 1))
    while len(leaves):
        pipe = psum[leaves]
        parent = np.where(gf[pipe] == leaves, gt[pipe], gf[pipe])
        # Two leaves joined by one pipe form an island; keep one of them in the core.
        both = peelable[parent] & (deg[parent] == 1) & ~peeled[parent]
        keep = ~both | (leaves > parent)
        leaves, pipe, parent = leaves[keep], pipe[keep], parent[keep]
        q = load[leaves]
        flow[pipe] = np.where(gt[pipe] == leaves, q, -q)  # positive from → to
        np.add.at(load, parent, q)
        alive[pipe] = False
        peeled[leaves] = True
        deg[leaves] = 0
        np.subtract.at(deg, parent, 1)
        np.subtract.at(psum, parent, pipe)
        levels.append((pipe, leaves, parent))
        cand = np.unique(parent)
        leaves = cand[peelable[cand] & ~peeled[cand] & (deg[cand] == 1)]
    return Peel(alive, peeled, flow, load, levels)


def forest_flows(
    n: int, ea: np.ndarray, eb: np.ndarray, b: np.ndarray, pref: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flows on zero-resistance edges (ea → eb) that balance node imbalances ``b`` (outflow − inflow + demand).

    A spanning forest carries the flow (cycles of open valves have no unique split; their chords get 0); each
    tree is rooted at its highest-``pref`` node (a gate station), whose left-over is its supply.
    Returns (flow per edge, left-over per node).
    """
    x = np.zeros(len(ea))
    rest = b.copy()
    if not len(ea):
        return x, rest
    lo, hi = np.minimum(ea, eb), np.maximum(ea, eb)
    real = lo != hi
    _, first = np.unique(np.where(real, lo * n + hi, -1), return_index=True)
    first = first[real[first]]
    w = sp.coo_matrix((first + 1.0, (lo[first], hi[first])), shape=(n, n)).tocsr()
    edges = np.asarray(minimum_spanning_tree(w).tocoo().data, dtype=np.int64) - 1
    if not len(edges):
        return x, rest
    ta, tb = ea[edges], eb[edges]
    nodes = np.unique(np.concatenate([ta, tb]))
    comp = components(n, ta, tb)[nodes]
    order = np.lexsort((nodes, -pref[nodes], comp))
    roots = nodes[order][np.r_[True, comp[order][1:] != comp[order][:-1]]]
    nonroot = np.setdiff1d(nodes, roots)
    pos = np.full(n, -1, dtype=np.int64)
    pos[nonroot] = np.arange(len(nonroot))
    k = np.arange(len(edges))
    rows = np.concatenate([pos[tb], pos[ta]])
    cols = np.concatenate([k, k])
    vals = np.concatenate([np.ones(len(k)), -np.ones(len(k))])
    keep = rows >= 0
    a = sp.csc_matrix((vals[keep], (rows[keep], cols[keep])), shape=(len(nonroot), len(edges)))
    sol = np.atleast_1d(spsolve(a, b[nonroot]))
    x[edges] = sol
    rest -= np.bincount(tb, weights=sol, minlength=n) - np.bincount(ta, weights=sol, minlength=n)
    return x, rest
