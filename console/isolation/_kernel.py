"""The segmentation kernel: connected components of a node–link incidence graph with some incidences cut.

Both ways of saying where valves are go through :func:`label_segments`:

* the GasOps model, where a valve is a *link* of its own: both of its incidences are cut and the valve is left out of
  every segment (it is an edge *between* segments);
* WNTR's valve layer, where a valve is a (link, node) pair sitting on the link next to the node: that one incidence
  is cut, so the link stays with its other end (a link valved at both ends is a segment on its own).

Working on incidences rather than on nodes is what lets one kernel serve both: every node and every link is a vertex,
every link end that is not cut an edge, and ``scipy.sparse.csgraph.connected_components`` does the rest in C.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["SegmentLabels", "label_segments", "segments_from_valve_pairs"]


@dataclass(frozen=True, eq=False)
class SegmentLabels:
    """Segment number of every node and link (``-1`` for links left out of every segment)."""

    node_segment: np.ndarray  # int32 (n_nodes,)
    link_segment: np.ndarray  # int32 (n_links,)
    n_segments: int

    def members(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(node indices, link indices) of every segment, in segment order. For tests and small networks."""
        node_order = np.argsort(self.node_segment, kind="stable")
        link_keep = np.flatnonzero(self.link_segment >= 0)
        link_order = link_keep[np.argsort(self.link_segment[link_keep], kind="stable")]
        node_ptr = np.searchsorted(self.node_segment[node_order], np.arange(self.n_segments + 1))
        link_ptr = np.searchsorted(self.link_segment[link_order], np.arange(self.n_segments + 1))
        return [
            (node_order[node_ptr[s] : node_ptr[s + 1]], link_order[link_ptr[s] : link_ptr[s + 1]])
            for s in range(self.n_segments)
        ]


def label_segments(
    n_nodes: int,
    link_from: np.ndarray,
    link_to: np.ndarray,
    *,
    cut_from: np.ndarray | None = None,
    cut_to: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> SegmentLabels:
    """Label valve segments: nodes and links that reach each other without crossing a cut link end.

    Parameters
    ----------
    n_nodes
        Number of nodes; nodes are ``0 .. n_nodes-1``.
    link_from, link_to
        End node of every link (int arrays); ``-1`` for an unknown end, which then joins nothing.
    cut_from, cut_to
        Boolean per link: a valve separates the link from its from-node / to-node.
    exclude
        Boolean per link: links that belong to no segment (valve and regulator links, pipes out of service). Their
        incidences are cut and their label is ``-1``.

    Returns
    -------
    SegmentLabels
        Segment numbers ``0 .. n_segments-1``, numbered in order of the first node (then link) of each segment, so
        the numbering is deterministic for a given network.

    Examples
    --------
    A chain ``0 -a- 1 -b- 2 -c- 3`` with link ``b`` a valve link (excluded):

    >>> lab = label_segments(4, np.array([0, 1, 2]), np.array([1, 2, 3]), exclude=np.array([False, True, False]))
    >>> lab.node_segment.tolist(), lab.link_segment.tolist(), lab.n_segments
    ([0, 0, 1, 1], [0, -1, 1], 2)

    The same chain with a WNTR-style valve on link ``b`` next to node 2 only: ``b`` stays with node 1.

    >>> lab = label_segments(4, np.array([0, 1, 2]), np.array([1, 2, 3]), cut_to=np.array([False, True, False]))
    >>> lab.node_segment.tolist(), lab.link_segment.tolist()
    ([0, 0, 1, 1], [0, 0, 1])
    """
    n_links = len(link_from)
    n = n_nodes + n_links
    # int32 vertex numbers (int64 only for graphs past 2**31 vertices): at a million pipes every array here is
    # millions long, and the int64 versions doubled the memory this build needs at its peak.
    index = np.int32 if n < 2**31 else np.int64
    link_from = np.asarray(link_from, dtype=index)
    link_to = np.asarray(link_to, dtype=index)
    no = np.zeros(n_links, dtype=bool)
    cut_from = no if cut_from is None else np.asarray(cut_from, dtype=bool)
    cut_to = no if cut_to is None else np.asarray(cut_to, dtype=bool)
    exclude = no if exclude is None else np.asarray(exclude, dtype=bool)
    keep_from = ~cut_from & ~exclude & (link_from >= 0)
    keep_to = ~cut_to & ~exclude & (link_to >= 0)
    from_links, to_links = np.flatnonzero(keep_from).astype(index), np.flatnonzero(keep_to).astype(index)
    rows = np.concatenate([link_from[keep_from], link_to[keep_to]])
    cols = np.concatenate([from_links, to_links]) + index(n_nodes)
    del from_links, to_links, keep_from, keep_to
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    del rows, cols
    _, labels = connected_components(graph, directed=False)
    del graph
    # Excluded links are singleton components: drop their labels and renumber the rest densely, keeping the order.
    used = np.zeros(int(labels.max()) + 1 if n else 0, dtype=bool)
    used[labels[:n_nodes]] = True
    used[labels[n_nodes:][~exclude]] = True
    renumber = (np.cumsum(used) - 1).astype(np.int32)
    node_segment = renumber[labels[:n_nodes]]
    link_segment = np.where(exclude, np.int32(-1), renumber[labels[n_nodes:]])
    return SegmentLabels(node_segment, link_segment, int(used.sum()))


def segments_from_valve_pairs(
    n_nodes: int,
    link_from: np.ndarray,
    link_to: np.ndarray,
    valve_link: np.ndarray,
    valve_node: np.ndarray,
) -> SegmentLabels:
    """Valve segments with valves given WNTR's way: valve ``k`` sits on link ``valve_link[k]`` next to node
    ``valve_node[k]`` and separates the two (``wntr.metrics.valve_segments`` semantics).

    Raises
    ------
    ValueError
        If a valve's node is not an end of its link (naming the first such valve by position).

    Examples
    --------
    >>> lab = segments_from_valve_pairs(3, np.array([0, 1]), np.array([1, 2]), np.array([0, 0]), np.array([0, 1]))
    >>> lab.node_segment.tolist(), lab.link_segment.tolist()  # link 0 valved at both ends: a segment of its own
    ([0, 1, 1], [2, 1])
    """
    link_from = np.asarray(link_from, dtype=np.int64)
    link_to = np.asarray(link_to, dtype=np.int64)
    valve_link = np.asarray(valve_link, dtype=np.int64)
    valve_node = np.asarray(valve_node, dtype=np.int64)
    if len(valve_link) != len(valve_node):
        raise ValueError(f"valve_link has {len(valve_link)} entries but valve_node {len(valve_node)}")
    bad_link = (valve_link < 0) | (valve_link >= len(link_from))
    if bad_link.any():
        raise ValueError(
            f"valve {int(np.flatnonzero(bad_link)[0])} names link {int(valve_link[bad_link][0])}, not a link"
        )
    at_from = link_from[valve_link] == valve_node
    at_to = link_to[valve_link] == valve_node
    stray = ~(at_from | at_to)
    if stray.any():
        k = int(np.flatnonzero(stray)[0])
        raise ValueError(f"valve {k}: node {int(valve_node[k])} is not an end of link {int(valve_link[k])}")
    cut_from = np.zeros(len(link_from), dtype=bool)
    cut_to = np.zeros(len(link_from), dtype=bool)
    cut_from[valve_link[at_from]] = True
    cut_to[valve_link[at_to]] = True
    return label_segments(n_nodes, link_from, link_to, cut_from=cut_from, cut_to=cut_to)
