"""Valve segments of a GasOps network and the segment graph every shut-off query runs on (阀门分段).

A **segment** is the set of pipes and nodes that reach each other without passing a valve or a regulator. Valve and
regulator links belong to no segment: they are the edges of the *segment graph*.

* An **open valve** joins its two end segments both ways; a valve whose normal position is closed is a barrier and
  no edge at all (it is remembered, to report it when it bounds an outage).
* A **regulator** (调压站/调压箱) is a directed edge inlet → outlet: gas never flows back through it, so its outlet
  segment is supplied only if its inlet segment is. It splits segments because the classes on its two sides differ
  and because a regulator station can be shut on its own (inlet valve or slam-shut), which the analysis uses when the
  outage is fed straight through one.
* Pipes out of service (planned, abandoned) carry no gas and belong to no segment; the typed links kept from imported
  models (compressors, resistors, short pipes, pumps) pass gas both ways like pipes.
* **Sources** are gate stations (门站) by default: a super-source vertex feeds each gate station's segment.

Everything here is built once per network version (``network.cached(SEGMENTS_KEY, ...)``) with numpy and scipy; the per-segment sums (pipe length, internal volume per class, customers per category …) are what lets a break
query cost the size of the outage rather than the size of the city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, shortest_path

from console.isolation._kernel import label_segments
from console.isolation._volume import CLASS_CODES, internal_volume_m3
from console.network import LINK_LAYERS, GasNetwork

__all__ = ["ValveSegments", "FlowGraph", "adopt_segments", "build_valve_segments", "segments_ready", "valve_segments"]

SEGMENTS_KEY = "isolation.segments"  # the network cache key of a version's ValveSegments (only this module uses it)

PIPE_LAYER = LINK_LAYERS.index("pipes")
VALVE_LAYER = LINK_LAYERS.index("valves")
REGULATOR_LAYER = LINK_LAYERS.index("regulators")
VALVE, REGULATOR = 0, 1  # device kinds
NOT_OPERABLE, NOT_ACCESSIBLE, REPORTED_FAILED = 1, 2, 4  # device reason bits


@dataclass(frozen=True, eq=False)
class ValveSegments:
    """Valve segments and the segment graph of one network version. Arrays use the topology's node/link indices.

    Attributes
    ----------
    node_segment, link_segment
        Segment of every node / link (``-1`` for valves, regulators and pipes out of service).
    devices
        ``dev_*`` arrays, one entry per valve or regulator whose two end nodes exist: topology link index, kind
        (``VALVE``/``REGULATOR``), segment at the from/inlet end (``dev_a``) and at the to/outlet end (``dev_b``),
        whether it is normally open, and why it cannot be turned (bits: not operable, not accessible).
    inc_ptr, inc_dev, inc_side
        CSR from segment to the devices touching it; ``inc_side`` 0 when the segment is the device's ``a`` end.
    flow
        The directed graph along which gas flows between segments (open valves both ways, regulators inlet →
        outlet) from the gate stations.
    supplied, hops
        Segments that reach a gate station before any incident, and how many devices away from the nearest source
        segment they are in normal operation (-1 when unsupplied).
    """

    network_name: str
    version: int
    n_segments: int
    node_segment: np.ndarray
    link_segment: np.ndarray
    seg_node_ptr: np.ndarray
    seg_nodes: np.ndarray
    seg_link_ptr: np.ndarray
    seg_links: np.ndarray
    link_length_m: np.ndarray
    dev_link: np.ndarray
    dev_kind: np.ndarray
    dev_a: np.ndarray
    dev_b: np.ndarray
    dev_open: np.ndarray
    dev_reason: np.ndarray
    dev_remote: np.ndarray
    link_device: np.ndarray  # device index of every link, -1 for pipes and other links
    inc_ptr: np.ndarray
    inc_dev: np.ndarray
    inc_side: np.ndarray
    flow: FlowGraph
    gate_station_nodes: np.ndarray
    supplied: np.ndarray
    hops: np.ndarray
    seg_pipe_length_m: np.ndarray
    seg_volume_m3_by_class: np.ndarray  # (n_segments, len(CLASS_CODES))
    customer_node: np.ndarray  # node index of every customer row
    seg_customer_ptr: np.ndarray
    seg_customers: np.ndarray  # customer rows sorted by segment
    # The customers layer's own text columns (no copy: a Python string per customer would cost ~40 MB at 1M pipes)
    customer_name: pd.api.extensions.ExtensionArray
    customer_special_kind: pd.api.extensions.ExtensionArray
    customer_category: np.ndarray  # int8 code into customer_categories
    customer_households: np.ndarray
    customer_peak_demand_nm3h: np.ndarray
    customer_categories: tuple[str, ...]
    seg_customers_by_category: np.ndarray  # (n_segments, n_categories)
    seg_households: np.ndarray
    seg_peak_demand_nm3h: np.ndarray
    sensor_ids: np.ndarray  # object (str) per sensor row
    sensor_seg_a: np.ndarray
    sensor_seg_b: np.ndarray
    seg_sensor_ptr: np.ndarray
    seg_sensors: np.ndarray  # sensor rows sorted by sensor_seg_a
    dev_sensor_ptr: np.ndarray
    dev_sensors: np.ndarray  # sensor rows on each device

    @property
    def n_devices(self) -> int:
        return len(self.dev_link)

    def segment_nodes(self, segment: int) -> np.ndarray:
        """Topology node indices of one segment."""
        return self.seg_nodes[self.seg_node_ptr[segment] : self.seg_node_ptr[segment + 1]]

    def segment_links(self, segment: int) -> np.ndarray:
        """Topology link indices (pipes and pass-through links) of one segment."""
        return self.seg_links[self.seg_link_ptr[segment] : self.seg_link_ptr[segment + 1]]

    def sizes(self) -> pd.DataFrame:
        """Nodes, links and pipe length per segment (one row per segment)."""
        return pd.DataFrame(
            {
                "nodes": np.diff(self.seg_node_ptr),
                "links": np.diff(self.seg_link_ptr),
                "pipe_length_m": self.seg_pipe_length_m,
                "supplied": self.supplied,
            }
        )


def valve_segments(network: GasNetwork) -> ValveSegments:
    """The valve segments of ``network``'s current version (built once per version and cached)."""
    return network.cached(SEGMENTS_KEY, lambda: build_valve_segments(network))


class _Cold(Exception):
    """The segments of this version are not built yet (raised by a builder that must not build)."""


def _cold() -> ValveSegments:
    raise _Cold


def segments_ready(network: GasNetwork) -> bool:
    """Whether the valve segments of ``network``'s current version are built (a query will not build them)."""
    try:
        network.cached(SEGMENTS_KEY, _cold)
    except _Cold:
        return False
    return True


def adopt_segments(network: GasNetwork, segments: ValveSegments, topology=None) -> bool:
    """Hand segments built elsewhere (a background job on a snapshot) to ``network``'s cache.

    The usual prepare → process → apply split: a job builds :func:`build_valve_segments` on
    ``network.snapshot()``, then the main thread adopts its result (and the snapshot's topology, which the segments'
    indices refer to) so the next query on the live network does not build them again. Returns False, adopting
    nothing, when the network was edited since the snapshot was taken (``segments.version`` is not its version).
    """
    if topology is not None:
        network.adopt(network.TOPOLOGY_KEY, topology, segments.version)
    return network.adopt(SEGMENTS_KEY, segments, segments.version)


def group_by(labels: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (ptr, members) of the positions of ``labels`` per group; negative labels are left out."""
    keep = np.flatnonzero(labels >= 0)
    order = keep[np.argsort(labels[keep], kind="stable")].astype(np.int32)
    ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(labels[keep], minlength=n_groups), out=ptr[1:])
    return ptr, order


def positions(ptr: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a CSR's member array of every member of ``groups``, and the group each came from.

    Vectorised range concatenation: no Python loop over the groups.

    >>> pos, grp = positions(np.array([0, 2, 2, 5]), np.array([2, 0]))
    >>> pos.tolist(), grp.tolist()
    ([2, 3, 4, 0, 1], [2, 2, 2, 0, 0])
    """
    groups = np.asarray(groups, dtype=np.int64)
    starts = ptr[groups]
    lens = ptr[groups + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), groups[:0]
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return offsets + np.arange(total), np.repeat(groups, lens)


def gather(ptr: np.ndarray, values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The members of ``groups`` from a CSR (ptr, values), and the group each came from."""
    pos, grp = positions(ptr, groups)
    return values[pos], grp


@dataclass(frozen=True, eq=False)
class FlowGraph:
    """The directed graph along which gas flows between segments, in CSR form, with a super source.

    Vertices are the segments plus a last one, the super source, with an edge to every source segment. Edges are
    deduplicated and sorted, so removing vertices for a query is two gathers, a cumulative sum and a compress —
    no sorting — before scipy's breadth-first search runs in C.
    """

    n_segments: int
    indptr: np.ndarray  # int64 (n_segments + 2)
    indices: np.ndarray  # int32
    rows: np.ndarray  # int32: the row (tail) of every edge

    @classmethod
    def build(cls, n_segments: int, tail: np.ndarray, head: np.ndarray, sources: np.ndarray) -> FlowGraph:
        n = n_segments + 1
        keep = tail != head
        key = np.unique(tail[keep].astype(np.int64) * n + head[keep])
        src = np.unique(np.asarray(sources, dtype=np.int64))
        rows = np.concatenate([key // n, np.full(len(src), n_segments)]).astype(np.int32)
        indices = np.concatenate([key % n, src]).astype(np.int32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(n_segments, indptr, indices, rows)

    def with_sources(self, sources: np.ndarray) -> FlowGraph:
        """The same flow edges fed from other source segments."""
        inner = self.rows < self.n_segments
        return FlowGraph.build(self.n_segments, self.rows[inner], self.indices[inner], sources)

    def _graph(self, removed: np.ndarray | None) -> csr_matrix:
        n = self.n_segments + 1
        indptr, indices = self.indptr, self.indices
        if removed is not None:
            gone = np.append(np.asarray(removed, dtype=bool), False)  # the super source stays
            keep = ~(gone[self.rows] | gone[indices])
            kept = np.zeros(len(keep) + 1, dtype=np.int64)
            np.cumsum(keep, out=kept[1:])
            indptr, indices = kept[indptr], indices[keep]
        data = np.ones(len(indices), dtype=np.float64)  # float64 is what csgraph works in: no conversion copy
        graph = csr_matrix((data, indices, indptr), shape=(n, n))
        graph.has_sorted_indices = True
        return graph

    def supplied(self, removed: np.ndarray | None = None) -> np.ndarray:
        """Segments that gas reaches from a source, with the ``removed`` segments (bool mask) taken out."""
        order = breadth_first_order(self._graph(removed), self.n_segments, directed=True, return_predecessors=False)
        reached = np.zeros(self.n_segments + 1, dtype=bool)
        reached[order] = True
        return reached[: self.n_segments]

    def hops(self) -> np.ndarray:
        """Devices (valves, regulators) between the nearest source segment and each segment; -1 when unsupplied."""
        dist = shortest_path(self._graph(None), method="D", unweighted=True, indices=self.n_segments)
        return np.where(np.isfinite(dist[: self.n_segments]), dist[: self.n_segments] - 1, -1).astype(np.int64)


def build_valve_segments(network: GasNetwork) -> ValveSegments:
    """Build the segments and segment graph of ``network`` (vectorised; use :func:`valve_segments` for the cache)."""
    topo = network.topology
    n_nodes, n_links = topo.n_nodes, topo.n_links
    layer = topo.link_layer
    is_valve = layer == VALVE_LAYER
    is_regulator = layer == REGULATOR_LAYER
    is_pipe = layer == PIPE_LAYER

    pipes = network["pipes"]
    pipe_links = np.flatnonzero(is_pipe)
    pipe_rows = topo.link_row[pipe_links]
    in_service = np.ones(n_links, dtype=bool)
    in_service[pipe_links] = (pipes["status"] == "in_service").to_numpy()[pipe_rows]
    exclude = is_valve | is_regulator | ~in_service

    labels = label_segments(n_nodes, topo.link_from, topo.link_to, exclude=exclude)
    n_seg = labels.n_segments
    node_seg, link_seg = labels.node_segment, labels.link_segment
    seg_node_ptr, seg_nodes = group_by(node_seg, n_seg)
    seg_link_ptr, seg_links = group_by(link_seg, n_seg)

    # Lengths for distances along the network: a pipe's length_m; devices and other links their straight length.
    known = (topo.link_from >= 0) & (topo.link_to >= 0)
    straight = np.zeros(n_links)
    straight[known] = np.hypot(*(topo.node_xy[topo.link_from[known]] - topo.node_xy[topo.link_to[known]]).T)
    link_length_m = straight.copy()
    pipe_length = pipes["length_m"].to_numpy(dtype=float)[pipe_rows]
    link_length_m[pipe_links] = np.where(np.isfinite(pipe_length), pipe_length, straight[pipe_links])

    # Devices: valves and regulators with both ends known.
    dev_link = np.flatnonzero((is_valve | is_regulator) & known).astype(np.int32)
    dev_kind = np.where(is_valve[dev_link], VALVE, REGULATOR).astype(np.int8)
    dev_a = node_seg[topo.link_from[dev_link]]
    dev_b = node_seg[topo.link_to[dev_link]]
    valves = network["valves"]
    v_rows = topo.link_row[dev_link[dev_kind == VALVE]]
    dev_open = np.ones(len(dev_link), dtype=bool)
    dev_reason = np.zeros(len(dev_link), dtype=np.int8)
    dev_remote = np.zeros(len(dev_link), dtype=bool)
    is_v = dev_kind == VALVE
    dev_open[is_v] = (valves["normal_position"] == "open").to_numpy()[v_rows]
    not_operable = ~valves["operable"].to_numpy(dtype=bool)[v_rows]
    not_accessible = ~valves["accessible"].to_numpy(dtype=bool)[v_rows]
    dev_reason[is_v] = not_operable * NOT_OPERABLE + not_accessible * NOT_ACCESSIBLE
    dev_remote[is_v] = valves["remote_controlled"].to_numpy(dtype=bool)[v_rows]
    link_device = np.full(n_links, -1, dtype=np.int32)
    link_device[dev_link] = np.arange(len(dev_link), dtype=np.int32)

    n_dev = len(dev_link)
    ends = np.concatenate([dev_a, dev_b])
    inc_ptr, inc_pos = group_by(ends, n_seg)
    inc_dev = (inc_pos % max(n_dev, 1)).astype(np.int32)
    inc_side = (inc_pos >= n_dev).astype(np.int8)

    # Gas flows through open valves both ways and through regulators inlet → outlet, from the gate stations.
    both_ways = dev_open & (dev_kind == VALVE)
    one_way = dev_kind == REGULATOR
    tail = np.concatenate([dev_a[both_ways], dev_b[both_ways], dev_a[one_way]])
    head = np.concatenate([dev_b[both_ways], dev_a[both_ways], dev_b[one_way]])
    gate_nodes = topo.layer_nodes("gate_stations")
    flow = FlowGraph.build(n_seg, tail, head, node_seg[gate_nodes])

    # Per-segment sums: pipe length and internal volume per pressure class.
    p_seg = link_seg[pipe_links]
    p_ok = p_seg >= 0
    seg_pipe_length_m = np.bincount(p_seg[p_ok], weights=np.nan_to_num(pipe_length[p_ok]), minlength=n_seg)
    volume = internal_volume_m3(pipes["inner_diameter_mm"].to_numpy(dtype=float)[pipe_rows], pipe_length)
    class_code = _codes(pipes["pressure_class"], CLASS_CODES)[pipe_rows]
    n_cls = len(CLASS_CODES)
    cls_ok = p_ok & (class_code >= 0)
    seg_volume = np.bincount(
        p_seg[cls_ok].astype(np.int64) * n_cls + class_code[cls_ok], weights=volume[cls_ok], minlength=n_seg * n_cls
    ).reshape(n_seg, n_cls)

    # Customers per segment.
    customers = network["customers"]
    customer_node = topo.layer_nodes("customers")  # contiguous, in row order
    c_seg = node_seg[customer_node]
    seg_customer_ptr, seg_customers = group_by(c_seg, n_seg)
    categories = tuple(str(c) for c in customers["category"].cat.categories)
    cat_code = customers["category"].cat.codes.to_numpy().astype(np.int64)
    n_cat = len(categories)
    c_ok = cat_code >= 0
    seg_by_cat = np.bincount(c_seg[c_ok].astype(np.int64) * n_cat + cat_code[c_ok], minlength=n_seg * n_cat).reshape(
        n_seg, n_cat
    )
    households = customers["households"].to_numpy(dtype=float)
    peak = np.nan_to_num(customers["peak_demand_nm3h"].to_numpy(dtype=float))
    seg_households = np.bincount(c_seg, weights=households, minlength=n_seg)
    seg_peak = np.bincount(c_seg, weights=peak, minlength=n_seg)

    # Sensors: on a node or pipe they sit in its segment; on a device between its two end segments.
    feature = network["sensors"]["feature_id"].to_numpy(dtype=object)
    s_node = topo.node_index(feature)
    s_link = topo.link_index(feature)
    s_dev = np.where(s_link >= 0, link_device[np.maximum(s_link, 0)], -1)
    sensor_seg_a = np.where(s_node >= 0, node_seg[np.maximum(s_node, 0)], -1)
    sensor_seg_a = np.where(s_link >= 0, link_seg[np.maximum(s_link, 0)], sensor_seg_a)
    sensor_seg_b = sensor_seg_a.copy()
    on_dev = s_dev >= 0
    sensor_seg_a[on_dev] = dev_a[s_dev[on_dev]]
    sensor_seg_b[on_dev] = dev_b[s_dev[on_dev]]
    seg_sensor_ptr, seg_sensors = group_by(sensor_seg_a, n_seg)
    dev_sensor_ptr, dev_sensors = group_by(s_dev, n_dev)

    return ValveSegments(
        network_name=network.name,
        version=network.version,
        n_segments=n_seg,
        node_segment=node_seg,
        link_segment=link_seg,
        seg_node_ptr=seg_node_ptr,
        seg_nodes=seg_nodes,
        seg_link_ptr=seg_link_ptr,
        seg_links=seg_links,
        link_length_m=link_length_m,
        dev_link=dev_link,
        dev_kind=dev_kind,
        dev_a=dev_a,
        dev_b=dev_b,
        dev_open=dev_open,
        dev_reason=dev_reason,
        dev_remote=dev_remote,
        link_device=link_device,
        inc_ptr=inc_ptr,
        inc_dev=inc_dev,
        inc_side=inc_side,
        flow=flow,
        gate_station_nodes=gate_nodes,
        supplied=flow.supplied(),
        hops=flow.hops(),
        seg_pipe_length_m=seg_pipe_length_m,
        seg_volume_m3_by_class=seg_volume,
        customer_node=customer_node.astype(np.int32),
        seg_customer_ptr=seg_customer_ptr,
        seg_customers=seg_customers,
        customer_name=customers["name"].array,
        customer_special_kind=customers["special_kind"].array,
        customer_category=cat_code.astype(np.int8),
        customer_households=customers["households"].to_numpy(dtype=np.int64),
        customer_peak_demand_nm3h=peak,
        customer_categories=categories,
        seg_customers_by_category=seg_by_cat,
        seg_households=seg_households,
        seg_peak_demand_nm3h=seg_peak,
        sensor_ids=network["sensors"]["id"].to_numpy(dtype=object),
        sensor_seg_a=sensor_seg_a.astype(np.int32),
        sensor_seg_b=sensor_seg_b.astype(np.int32),
        seg_sensor_ptr=seg_sensor_ptr,
        seg_sensors=seg_sensors,
        dev_sensor_ptr=dev_sensor_ptr,
        dev_sensors=dev_sensors,
    )


def _codes(values: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Index of each value in ``names`` (``-1`` when absent), vectorised over a categorical or text column."""
    cat = pd.Categorical(values.astype("object"), categories=list(names))
    return np.asarray(cat.codes, dtype=np.int64)


def device_xy(network: GasNetwork, layer: str, rows: np.ndarray) -> np.ndarray:
    """(x, y) of point features (valves, regulators, nodes) of ``layer`` at ``rows``."""
    geoms = network[layer].geometry.array[np.asarray(rows, dtype=np.int64)]  # only these rows, not the layer
    return shapely.get_coordinates(np.asarray(geoms, dtype=object)).reshape(-1, 2)
