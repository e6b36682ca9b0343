"""Topology of a gas network as int32 arrays: a global node index, link end indices and CSR adjacency.

Built once per network version (``network.topology``) in vectorised numpy/scipy; every analysis (validation, valve
segments, hydraulics) starts from these arrays instead of walking features.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from console.network._ids import IdIndex, id_text
from console.network._schema import LINK_LAYERS, NODE_LAYERS

__all__ = ["Topology", "build_topology", "derive_topology", "line_endpoints"]


@dataclass(frozen=True, eq=False)
class Topology:
    """Node-link arrays of one network version.

    Nodes are every feature of the node layers, in ``NODE_LAYERS`` order; links every feature of the link layers,
    in ``LINK_LAYERS`` order. ``link_from``/``link_to`` are node indices, ``-1`` where the id is unknown (validation
    reports those). Adjacency is CSR: the links at node ``i`` are ``adj_link[indptr[i]:indptr[i+1]]`` and the nodes
    across them ``adj_node[...]``.

    The ids stay in the layers' own Arrow columns (no copy); ``node_ids``/``link_ids`` (numpy object arrays, a Python
    string per feature) and the id indices behind ``node_index``/``link_index`` are built on first use, so the
    analyses that only walk the arrays (valve segments, hydraulics) never pay for a million Python strings.
    """

    node_id_text: pa.ChunkedArray  # large_string, the node layers' id columns
    node_layer: np.ndarray  # int8 index into NODE_LAYERS
    node_row: np.ndarray  # int32 row in its layer
    node_xy: np.ndarray  # float64 (n, 2)
    link_id_text: pa.ChunkedArray
    link_layer: np.ndarray  # int8 index into LINK_LAYERS
    link_row: np.ndarray  # int32
    link_from: np.ndarray  # int32
    link_to: np.ndarray  # int32
    indptr: np.ndarray  # int32 (n_nodes + 1)
    adj_node: np.ndarray  # int32
    adj_link: np.ndarray  # int32
    component: np.ndarray  # int32 per node
    n_components: int
    _lazy: dict = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_id_text)

    @property
    def n_links(self) -> int:
        return len(self.link_id_text)

    @property
    def node_ids(self) -> np.ndarray:
        """Node ids as a numpy object array (built on first use)."""
        return self._once("node_ids", lambda: _objects(self.node_id_text))

    @property
    def link_ids(self) -> np.ndarray:
        """Link ids as a numpy object array (built on first use)."""
        return self._once("link_ids", lambda: _objects(self.link_id_text))

    def node_ids_at(self, nodes: np.ndarray) -> np.ndarray:
        """Ids (object array) of the nodes at these indices, without building ``node_ids`` for all of them."""
        return self._ids_at("node_ids", self.node_id_text, nodes)

    def link_ids_at(self, links: np.ndarray) -> np.ndarray:
        """Ids (object array) of the links at these indices, without building ``link_ids`` for all of them."""
        return self._ids_at("link_ids", self.link_id_text, links)

    def _ids_at(self, key: str, text: pa.ChunkedArray, at: np.ndarray) -> np.ndarray:
        at = np.asarray(at, dtype=np.int64)
        built = self._lazy.get(key)
        if built is not None:
            return built[at]
        return _objects(text.take(at)) if len(at) else np.empty(0, dtype=object)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr).astype(np.int32)

    def node_index(self, ids: object) -> np.ndarray:
        """Node indices of ``ids`` (vectorised); ``-1`` for unknown ids, the first node of a repeated id."""
        return self._once("node_index", lambda: IdIndex(self.node_id_text)).positions(ids)

    def link_index(self, ids: object) -> np.ndarray:
        """Link indices of ``ids`` (vectorised); ``-1`` for unknown ids, the first link of a repeated id."""
        return self._once("link_index", lambda: IdIndex(self.link_id_text)).positions(ids)

    def positions_in(self, other: Topology, what: str = "nodes") -> np.ndarray:
        """Index in ``other`` of each of this topology's nodes (``what="nodes"``) or links (``"links"``), -1 where
        ``other`` has no such id. When this topology was derived from ``other`` (a branch's from its master's, see
        :func:`derive_topology`) the kept rows map by integers and only the rows the edits added are looked up by id;
        else every id is looked up. The same answer either way for ids that are unique (validation reports
        duplicates); the first of a repeated id by lookup."""
        nodes = what == "nodes"
        if other is self:
            return np.arange(self.n_nodes if nodes else self.n_links, dtype=np.int64)
        derived = self._lazy.get("derived_from")
        if derived is not None and derived[0]() is other:
            back = (derived[1] if nodes else derived[2]).astype(np.int64)
            todo = np.flatnonzero(back < 0)
            if len(todo):
                text = (self.node_id_text if nodes else self.link_id_text).take(todo)
                back[todo] = (other.node_index if nodes else other.link_index)(text)
            return back
        text = self.node_id_text if nodes else self.link_id_text
        return (other.node_index if nodes else other.link_index)(text).astype(np.int64)

    def _once(self, key: str, build):
        value = self._lazy.get(key)
        if value is None:
            value = self._lazy[key] = build()
        return value

    def layer_nodes(self, layer: str) -> np.ndarray:
        """Node indices of one node layer (a contiguous range)."""
        return np.flatnonzero(self.node_layer == NODE_LAYERS.index(layer)).astype(np.int32)

    def layer_links(self, layer: str) -> np.ndarray:
        return np.flatnonzero(self.link_layer == LINK_LAYERS.index(layer)).astype(np.int32)

    def links_at_nodes(self, nodes: np.ndarray) -> np.ndarray:
        """Sorted link indices with an end at any of ``nodes``, among the links whose both ends are known (the
        adjacency's; :attr:`loose_links` are the others).

        >>> from tests.builders import chain
        >>> topo = chain(3).topology
        >>> topo.link_ids_at(topo.links_at_nodes(topo.node_index(["J1"]))).tolist()
        ['P1', 'P2']
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        starts = self.indptr[nodes].astype(np.int64)
        counts = self.indptr[nodes + 1].astype(np.int64) - starts
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return np.unique(self.adj_link[offsets + np.arange(int(counts.sum()))])

    @property
    def loose_links(self) -> np.ndarray:
        """Indices of the links with an end whose id is not a node (not in the adjacency; validation reports them)."""
        return self._once("loose_links", lambda: np.flatnonzero((self.link_from < 0) | (self.link_to < 0)))

    def links_at(self, node: int) -> np.ndarray:
        return self.adj_link[self.indptr[node] : self.indptr[node + 1]]

    def neighbours(self, node: int) -> np.ndarray:
        return self.adj_node[self.indptr[node] : self.indptr[node + 1]]


def _objects(text: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def _column_text(frames, column: str) -> pa.ChunkedArray:
    return pa.chunked_array([c for f in frames for c in id_text(f[column]).chunks], type=pa.large_string())


def build_topology(network) -> Topology:
    node_frames = [network[name] for name in NODE_LAYERS]
    node_id_text = _column_text(node_frames, "id")
    node_layer = np.concatenate([np.full(len(f), i, np.int8) for i, f in enumerate(node_frames)])
    node_row = np.concatenate([np.arange(len(f), dtype=np.int32) for f in node_frames])
    node_xy = np.vstack(
        [shapely.get_coordinates(np.asarray(f.geometry.array, dtype=object)) for f in node_frames] or [np.empty((0, 2))]
    ).reshape(-1, 2)
    node_index = IdIndex(node_id_text)

    link_frames = [network[name] for name in LINK_LAYERS]
    link_id_text = _column_text(link_frames, "id")
    link_layer = np.concatenate([np.full(len(f), i, np.int8) for i, f in enumerate(link_frames)])
    link_row = np.concatenate([np.arange(len(f), dtype=np.int32) for f in link_frames])
    link_from = node_index.positions(_column_text(link_frames, "from_node"))
    link_to = node_index.positions(_column_text(link_frames, "to_node"))

    n = len(node_id_text)
    ok = (link_from >= 0) & (link_to >= 0)
    links = np.flatnonzero(ok).astype(np.int32)
    src = np.concatenate([link_from[ok], link_to[ok]])
    dst = np.concatenate([link_to[ok], link_from[ok]])
    lnk = np.concatenate([links, links])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    adj_node = dst[order].astype(np.int32)
    adj_link = lnk[order].astype(np.int32)
    del src, dst, lnk, order

    graph = coo_matrix((np.ones(ok.sum(), dtype=np.int8), (link_from[ok], link_to[ok])), shape=(n, n)).tocsr()
    n_components, component = connected_components(graph, directed=False)

    return Topology(
        node_id_text=node_id_text,
        node_layer=node_layer,
        node_row=node_row,
        node_xy=node_xy,
        link_id_text=link_id_text,
        link_layer=link_layer,
        link_row=link_row,
        link_from=link_from,
        link_to=link_to,
        indptr=indptr,
        adj_node=adj_node,
        adj_link=adj_link,
        component=component.astype(np.int32),
        n_components=int(n_components),
        _lazy={"node_index": node_index},
    )


#: A derived topology is worth it while the rows the edits replaced or changed stay under this many (past it, the
#: remapping costs about what a build does).
DERIVE_MAX_ROWS = 50_000
_END_COLUMNS = {"from_node", "to_node"}


def derive_topology(prev: Topology, network, edits) -> Topology | None:
    """The topology of ``network``, derived from ``prev`` (an earlier version's) and the edits since
    (``network.edits_since``): equal, array for array, to :func:`build_topology` (tested on random edits).

    Rows an edit kept (ids and values) keep their node coordinates and link ends, renumbered; only the rows appended
    or replaced, and the link ends or node positions a values edit set, are read from the layers again. The node id
    index is patched, not re-sorted. Adjacency and components are recomputed from the arrays (C loops over int32).
    None, to build in full, when the edits replaced too many rows or added an id the network already has.
    """
    node_counts = np.bincount(prev.node_layer, minlength=len(NODE_LAYERS))
    link_counts = np.bincount(prev.link_layer, minlength=len(LINK_LAYERS))
    old_len = {n: int(c) for n, c in zip(NODE_LAYERS, node_counts, strict=True)}
    old_len |= {n: int(c) for n, c in zip(LINK_LAYERS, link_counts, strict=True)}
    keep = dict(old_len)
    dirty: dict[str, list[np.ndarray]] = {}
    for e in edits:
        if e.layer not in keep:  # sensors and other layers the topology does not hold
            continue
        if e.column is None:
            keep[e.layer] = min(keep[e.layer], e.keep)
        elif (e.layer in NODE_LAYERS and e.column == "geometry") or (
            e.layer in LINK_LAYERS and e.column in _END_COLUMNS
        ):
            dirty.setdefault(e.layer, []).append(np.asarray(e.rows, dtype=np.int64))
    changed_rows = {}
    for name in (*NODE_LAYERS, *LINK_LAYERS):
        rows = np.unique(np.concatenate(dirty.get(name, [np.empty(0, np.int64)])))
        changed_rows[name] = rows[rows < keep[name]]
    replaced = sum(len(network[n]) - keep[n] + len(changed_rows[n]) for n in keep)
    if replaced > DERIVE_MAX_ROWS:
        return None

    # -- nodes --------------------------------------------------------------------------------------------------------
    node_frames = [network[name] for name in NODE_LAYERS]
    node_id_text = _column_text(node_frames, "id")
    node_layer = np.concatenate([np.full(len(f), i, np.int8) for i, f in enumerate(node_frames)])
    node_row = np.concatenate([np.arange(len(f), dtype=np.int32) for f in node_frames])
    n = len(node_id_text)
    old_start = np.concatenate([[0], np.cumsum(node_counts)])
    new_start = np.concatenate([[0], np.cumsum([len(f) for f in node_frames])])
    node_xy = np.empty((n, 2), dtype=np.float64)
    node_map = np.full(prev.n_nodes, -1, dtype=np.int64)
    node_back = np.full(n, -1, dtype=np.int32)  # the previous index of every kept node (see positions_in)
    new_ids, new_pos = [], []
    for i, (name, frame) in enumerate(zip(NODE_LAYERS, node_frames, strict=True)):
        k, o, s = keep[name], int(old_start[i]), int(new_start[i])
        node_xy[s : s + k] = prev.node_xy[o : o + k]
        node_map[o : o + k] = s + np.arange(k)
        node_back[s : s + k] = o + np.arange(k, dtype=np.int32)
        if len(frame) > k:
            node_xy[s + k : s + len(frame)] = _point_xy(frame.geometry.array[k:])
            new_ids.append(id_text(frame["id"].array[k:]))
            new_pos.append(s + np.arange(k, len(frame)))
        rows = changed_rows[name]
        if len(rows):
            node_xy[s + rows] = _point_xy(frame.geometry.array[rows])
    added = pa.chunked_array([c for t in new_ids for c in t.chunks], type=pa.large_string())
    node_index = prev._lazy.get("node_index") or IdIndex(prev.node_id_text)
    node_index = node_index.derived(node_map, added, np.concatenate(new_pos) if new_pos else np.empty(0, np.int64))
    if node_index is None:
        return None

    # -- links --------------------------------------------------------------------------------------------------------
    link_frames = [network[name] for name in LINK_LAYERS]
    link_id_text = _column_text(link_frames, "id")
    link_layer = np.concatenate([np.full(len(f), i, np.int8) for i, f in enumerate(link_frames)])
    link_row = np.concatenate([np.arange(len(f), dtype=np.int32) for f in link_frames])
    m = len(link_id_text)
    old_lstart = np.concatenate([[0], np.cumsum(link_counts)])
    new_lstart = np.concatenate([[0], np.cumsum([len(f) for f in link_frames])])
    link_from = np.full(m, -1, dtype=np.int32)
    link_to = np.full(m, -1, dtype=np.int32)
    link_back = np.full(m, -1, dtype=np.int32)
    for i, (name, frame) in enumerate(zip(LINK_LAYERS, link_frames, strict=True)):
        k, o, s = keep[name], int(old_lstart[i]), int(new_lstart[i])
        link_back[s : s + k] = o + np.arange(k, dtype=np.int32)
        for old_ends, new_ends, column in (
            (prev.link_from, link_from, "from_node"),
            (prev.link_to, link_to, "to_node"),
        ):
            ends = old_ends[o : o + k]
            kept = np.where(ends >= 0, node_map[np.maximum(ends, 0)], -1)
            new_ends[s : s + k] = kept
            # ends to look up by id: appended or changed rows, ends whose node is gone (it may sit at another row
            # now), and unknown ends when nodes were added (one may carry the id)
            again = np.flatnonzero((kept < 0) & ((ends >= 0) | (len(added) > 0)))
            again = np.union1d(again, changed_rows[name])
            again = np.concatenate([again, np.arange(k, len(frame))]).astype(np.int64)
            if len(again):
                new_ends[s + again] = node_index.positions(id_text(frame[column].array).take(again))

    lazy = {"node_index": node_index, "derived_from": (weakref.ref(prev), node_back, link_back)}
    prev_links = prev._lazy.get("link_index")
    if prev_links is not None:  # patched like the node index (else built on first use)
        link_map = np.full(prev.n_links, -1, dtype=np.int64)
        kept_links = np.flatnonzero(link_back >= 0)
        link_map[link_back[kept_links]] = kept_links
        new_links = np.flatnonzero(link_back < 0)
        link_index = prev_links.derived(link_map, link_id_text.take(new_links), new_links)
        if link_index is not None:
            lazy["link_index"] = link_index

    indptr, adj_node, adj_link, component, n_components = _adjacency(n, link_from, link_to)
    return Topology(
        node_id_text=node_id_text,
        node_layer=node_layer,
        node_row=node_row,
        node_xy=node_xy,
        link_id_text=link_id_text,
        link_layer=link_layer,
        link_row=link_row,
        link_from=link_from,
        link_to=link_to,
        indptr=indptr,
        adj_node=adj_node,
        adj_link=adj_link,
        component=component,
        n_components=n_components,
        _lazy=lazy,
    )


def _point_xy(geoms) -> np.ndarray:
    return shapely.get_coordinates(np.asarray(geoms, dtype=object)).reshape(-1, 2)


def _adjacency(n: int, link_from: np.ndarray, link_to: np.ndarray):
    """CSR adjacency (indptr, adj_node, adj_link) of the links with both ends known, and the connected components
    (labels numbered by their lowest node, as scipy numbers them) found on it."""
    ok = (link_from >= 0) & (link_to >= 0)
    links = np.flatnonzero(ok).astype(np.int32)
    src = np.concatenate([link_from[ok], link_to[ok]])
    dst = np.concatenate([link_to[ok], link_from[ok]])
    lnk = np.concatenate([links, links])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    adj_node = dst[order].astype(np.int32)
    adj_link = lnk[order].astype(np.int32)
    graph = csr_matrix((np.ones(len(adj_node), dtype=np.int8), adj_node, indptr), shape=(n, n))
    n_components, component = connected_components(graph, directed=False)
    return indptr, adj_node, adj_link, component.astype(np.int32), int(n_components)


def line_endpoints(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last vertex (n, 2) of each LineString, from one flat coordinate array.

    ``shapely.get_point`` builds a Point object per feature; this stays in numpy (about 5x faster at 1M pipes).
    """
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=len(geoms))
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    return coords[first], coords[last]
