"""Break analysis (关阀分析): which valves to close, in what order, and who loses gas.

Every query works on the cached segment graph (:mod:`console.isolation._segments`), never on the full pipe table:

1. **Break segments** — the segments of the break positions (both sides of a leaking valve or regulator).
2. **Shut-off region** — grown from the break segments through every boundary valve that cannot be turned
   (attributes not operable / not accessible, or reported failed for this incident) and through a regulator reported
   failed when gas enters the region through it: gas passes them, so the next ring of valves must hold.
3. **Boundary** — open valves with one side in the region (to close), normally-closed valves (already barriers),
   regulators whose outlet is in the region (gas reaches the break straight through them: shut the regulator), and
   sources inside the region (stop the gate station).
4. **Supply after closing** — one breadth-first search from the sources over the segment graph without the region.
   A boundary device whose far side is still supplied is *required* (leaving it open reconnects the break to a
   source); one whose far side lost supply is *optional* (closing it only keeps the line pack of cut-off pipes from
   venting through the break). Segments supplied before but not after are **cut off**.
5. **Order** — upstream first by default (see ``ORDER_RULES``); distances along the network from the break are a
   Dijkstra search inside the shut-off region only.
6. **Impact** — per-segment sums (pipe length, internal volume per class, customers per category, households, peak
   demand) over the outage, and the customer and sensor lists gathered from per-segment CSR arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from console.errors import UnknownFeatureError
from console.isolation._segments import (
    NOT_ACCESSIBLE,
    NOT_OPERABLE,
    REGULATOR,
    REPORTED_FAILED,
    VALVE,
    FlowGraph,
    ValveSegments,
    device_xy,
    gather,
    positions,
    valve_segments,
)
from console.isolation._types import (
    ORDER_RULES,
    AffectedCustomer,
    ClosingStep,
    Impact,
    IsolationRequest,
    IsolationRequestError,
    IsolationResult,
    SkippedDevice,
)
from console.isolation._volume import TYPICAL_OPERATING_PRESSURE_MPA, normal_volume_factors
from console.network import LINK_LAYERS, NODE_LAYERS, GasNetwork
from console.texts import QT_TRANSLATE_NOOP

__all__ = ["isolate", "reanalyse", "failure_scenarios"]

_EPS_M = 1e-9  # scipy's sparse graphs drop explicit zeros: keep zero-length valves as (almost) zero-length edges


@dataclass
class _Breaks:
    segments: np.ndarray
    start_nodes: np.ndarray
    start_offsets_m: np.ndarray
    points: list[tuple[str, float, float]]
    failed_devices: np.ndarray


def isolate(network: GasNetwork, request: IsolationRequest) -> IsolationResult:
    """Analyse a shut-off: valves to close (in order), optional valves, skipped valves, cut-off segments, impact.

    Parameters
    ----------
    network
        The network (the current version's segments are built once and cached).
    request
        Break positions, valves that will not turn, sources, closing-order rule, operating pressures.

    Raises
    ------
    UnknownFeatureError
        A break, inoperable or source id that the network does not contain.
    IsolationRequestError
        A feature of the wrong kind (a pipe named inoperable, a position on a node …) or a pipe out of service.
    """
    seg = valve_segments(network)
    topo = network.topology
    n_seg = seg.n_segments
    warnings: list[str] = []

    # 1. Break segments, and why each device cannot be turned (attributes, or reported for this incident).
    brk = _resolve_breaks(network, seg, request)
    reason = seg.dev_reason.copy()
    named = _named_devices(network, seg, request.inoperable, "inoperable")
    reason[named] |= REPORTED_FAILED
    reason[brk.failed_devices] |= REPORTED_FAILED

    source_nodes, source_regs, flow, supplied_before, base_hops = _sources(network, seg, request.sources)
    if not supplied_before.any():
        warnings.append(_NO_SOURCE)
    unfed = np.unique(brk.segments[~supplied_before[brk.segments]])
    if len(unfed):
        warnings.append(_UNFED.format(segments=unfed.tolist()))

    # 2. Grow the shut-off region through devices that cannot be turned.
    in_region = np.zeros(n_seg, dtype=bool)
    in_region[brk.segments] = True
    frontier = np.unique(brk.segments)
    skipped_dev: list[np.ndarray] = []
    skipped_to: list[np.ndarray] = []
    while len(frontier):
        dev, side, other = _incident(seg, frontier)
        open_valve = (seg.dev_kind[dev] == VALVE) & seg.dev_open[dev]
        feeds_in = (seg.dev_kind[dev] == REGULATOR) & (side == 1)  # the region is on the outlet side
        passes = ~in_region[other] & (reason[dev] != 0) & (open_valve | feeds_in)
        if not passes.any():
            break
        skipped_dev.append(dev[passes])
        skipped_to.append(other[passes])
        frontier = np.unique(other[passes])
        in_region[frontier] = True
    region = np.flatnonzero(in_region)

    # 3. The boundary of the region.
    dev, side, other = _incident(seg, region)
    outside = ~in_region[other]
    kind = seg.dev_kind[dev]
    valve_out = outside & (kind == VALVE)
    close_dev = np.unique(dev[valve_out & seg.dev_open[dev]])
    closed_dev = np.unique(dev[valve_out & ~seg.dev_open[dev]])
    is_source_reg = np.isin(dev, source_regs)
    reg_dev = np.unique(dev[(kind == REGULATOR) & (side == 1) & (outside | is_source_reg)])
    stop_nodes = source_nodes[in_region[seg.node_segment[source_nodes]]]

    # 4. Supply once the region is shut off.
    supplied_after = flow.supplied(removed=in_region)
    cut_off = np.flatnonzero(supplied_before & ~supplied_after & ~in_region)

    far_valve = np.where(in_region[seg.dev_a[close_dev]], seg.dev_b[close_dev], seg.dev_a[close_dev])
    near_valve_node = np.where(
        in_region[seg.dev_a[close_dev]], topo.link_from[seg.dev_link[close_dev]], topo.link_to[seg.dev_link[close_dev]]
    )
    far_reg = seg.dev_a[reg_dev]
    valve_required = supplied_after[far_valve]
    reg_required = supplied_after[far_reg] | np.isin(reg_dev, source_regs)

    # 5. Distances from the break inside the region, and hops from supply.
    targets = np.concatenate([near_valve_node, topo.link_to[seg.dev_link[reg_dev]], stop_nodes]).astype(np.int64)
    dist = _distances_in_region(seg, topo, in_region, region, brk, targets)
    # Upstream rank: how far from a source the far side sits in normal operation (the network's supply hierarchy).
    far = np.concatenate([far_valve, far_reg]).astype(np.int64)
    hops = np.where(supplied_after[far], base_hops[far], -1)

    plan = _plan(
        network,
        seg,
        request.order,
        close_dev,
        far_valve,
        valve_required,
        reg_dev,
        far_reg,
        reg_required,
        stop_nodes,
        dist,
        hops,
        supplied_before,
    )

    skipped = _skipped(network, seg, reason, skipped_dev, skipped_to)
    used = {s.feature_id for s in skipped}
    for vid in request.inoperable:
        if vid not in used:
            warnings.append(_NOT_ON_BOUNDARY.format(valve=vid))

    impact = _impact(network, seg, region, cut_off, supplied_before, request)
    pipe_layer = LINK_LAYERS.index("pipes")
    iso_links, _ = gather(seg.seg_link_ptr, seg.seg_links, region)
    cut_links, _ = gather(seg.seg_link_ptr, seg.seg_links, cut_off)
    return IsolationResult(
        network=network.name,
        version=network.version,
        request=request,
        order_rule=request.order,
        order_reason=ORDER_RULES[request.order],
        break_points=tuple(brk.points),
        break_segments=tuple(int(s) for s in np.unique(brk.segments)),
        isolated_segments=tuple(int(s) for s in region),
        cut_off_segments=tuple(int(s) for s in cut_off),
        plan=plan,
        skipped=skipped,
        already_closed=tuple(sorted(topo.link_ids_at(seg.dev_link[closed_dev]).tolist())),
        isolated_pipe_ids=tuple(topo.link_ids_at(iso_links[topo.link_layer[iso_links] == pipe_layer]).tolist()),
        cut_off_pipe_ids=tuple(topo.link_ids_at(cut_links[topo.link_layer[cut_links] == pipe_layer]).tolist()),
        impact=impact,
        warnings=tuple(warnings),
    )


def reanalyse(
    network: GasNetwork, previous: IsolationResult | IsolationRequest, failed: Iterable[str]
) -> IsolationResult:
    """What if valve X fails: the previous incident again, with more valves that would not turn.

    ``previous`` is the earlier result (or its request); ``failed`` the valve or regulator ids that did not turn.
    The UI's "this valve failed" button calls this with the result it shows.
    """
    request = previous.request if isinstance(previous, IsolationResult) else previous
    return isolate(network, request.with_failed(failed))


def failure_scenarios(network: GasNetwork, previous: IsolationResult | IsolationRequest) -> dict[str, IsolationResult]:
    """For contingency planning: for every valve the plan requires, the plan if that valve fails (one call)."""
    result = previous if isinstance(previous, IsolationResult) else isolate(network, previous)
    return {vid: reanalyse(network, result, [vid]) for vid in result.valves_to_close}


# -- resolving the request -------------------------------------------------------------------------------------------
def _incident(seg: ValveSegments, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Devices touching ``segments``: device index, which end touches (0 = a, 1 = b), and the segment at the other."""
    pos, _ = positions(seg.inc_ptr, segments)
    dev = seg.inc_dev[pos]
    side = seg.inc_side[pos]
    other = np.where(side == 0, seg.dev_b[dev], seg.dev_a[dev])
    return dev, side, other


def _unknown(network: GasNetwork, feature_id: str, what: str) -> UnknownFeatureError:
    return UnknownFeatureError(feature_id, f"network {network.name!r} ({what})")


def _kind_of(network: GasNetwork, feature_id: str) -> str:
    try:
        return network.locate(feature_id)[0]
    except UnknownFeatureError:
        return ""


def _resolve_breaks(network: GasNetwork, seg: ValveSegments, request: IsolationRequest) -> _Breaks:
    topo = network.topology
    segs: list[int] = []
    nodes: list[int] = []
    offsets: list[float] = []
    points: list[tuple[str, float, float]] = []
    failed: list[int] = []
    for b in request.breaks:  # a handful of breaks per incident, not a hot loop
        li = int(topo.link_index([b.feature_id])[0])
        ni = int(topo.node_index([b.feature_id])[0])
        if li >= 0:
            layer = LINK_LAYERS[topo.link_layer[li]]
            row = int(topo.link_row[li])
            d = int(seg.link_device[li])
            if layer in ("valves", "regulators"):
                if b.fraction is not None:
                    raise IsolationRequestError(
                        f"break on {layer[:-1]} {b.feature_id!r}: a position applies to pipes only"
                    )
                if d < 0:
                    raise IsolationRequestError(f"{layer[:-1]} {b.feature_id!r} is not connected at both ends")
                segs += [int(seg.dev_a[d]), int(seg.dev_b[d])]
                nodes += [int(topo.link_from[li]), int(topo.link_to[li])]
                offsets += [0.0, 0.0]
                failed.append(d)
                x, y = device_xy(network, layer, [row])[0]
            else:
                s = int(seg.link_segment[li])
                if s < 0:
                    status = network[layer]["status"].iat[row] if layer == "pipes" else "not connected"
                    raise IsolationRequestError(f"pipe {b.feature_id!r} is {status}: it carries no gas to isolate")
                f = 0.5 if b.fraction is None else b.fraction
                length = float(seg.link_length_m[li])
                segs.append(s)
                nodes += [int(topo.link_from[li]), int(topo.link_to[li])]
                offsets += [f * length, (1.0 - f) * length]
                geom = network[layer].geometry.array[row]
                p = shapely.line_interpolate_point(geom, f, normalized=True)
                x, y = shapely.get_x(p), shapely.get_y(p)
        elif ni >= 0:
            if b.fraction is not None:
                layer = NODE_LAYERS[topo.node_layer[ni]]
                raise IsolationRequestError(f"break at {layer[:-1]} {b.feature_id!r}: a position applies to pipes only")
            segs.append(int(seg.node_segment[ni]))
            nodes.append(ni)
            offsets.append(0.0)
            x, y = topo.node_xy[ni]
        else:
            kind = _kind_of(network, b.feature_id)
            if kind:
                raise IsolationRequestError(
                    f"break on {b.feature_id!r}: a {kind} feature is not part of the pipe network; "
                    "give a pipe, node, valve or regulator"
                )
            raise _unknown(network, b.feature_id, "break position")
        points.append((b.feature_id, float(x), float(y)))
    return _Breaks(
        np.asarray(segs, dtype=np.int64),
        np.asarray(nodes, dtype=np.int64),
        np.asarray(offsets, dtype=float),
        points,
        np.asarray(failed, dtype=np.int64),
    )


def _named_devices(network: GasNetwork, seg: ValveSegments, ids: tuple[str, ...], what: str) -> np.ndarray:
    """Device indices of named valves/regulators; clear errors for unknown ids and other kinds of feature."""
    if not ids:
        return np.empty(0, dtype=np.int64)
    topo = network.topology
    li = topo.link_index(list(ids))
    dev = np.where(li >= 0, seg.link_device[np.maximum(li, 0)], -1)
    for k in np.flatnonzero(dev < 0):  # error path only
        fid = ids[k]
        kind = LINK_LAYERS[topo.link_layer[li[k]]] if li[k] >= 0 else _kind_of(network, fid)
        if not kind:
            raise _unknown(network, fid, what)
        if kind in ("valves", "regulators"):
            raise IsolationRequestError(f"{what}: {kind[:-1]} {fid!r} is not connected at both ends")
        raise IsolationRequestError(f"{what}: {fid!r} is a feature of layer {kind!r}; name valves or regulators")
    return dev.astype(np.int64)


def _sources(
    network: GasNetwork, seg: ValveSegments, sources: tuple[str, ...] | None
) -> tuple[np.ndarray, np.ndarray, FlowGraph, np.ndarray, np.ndarray]:
    """(source nodes, source regulator devices, flow graph, supplied-before mask, hops from supply)."""
    if sources is None:
        return seg.gate_station_nodes.astype(np.int64), np.empty(0, np.int64), seg.flow, seg.supplied, seg.hops
    topo = network.topology
    ni = topo.node_index(list(sources)).astype(np.int64)
    is_node = ni >= 0
    regs = np.empty(0, np.int64)
    if (~is_node).any():
        named = tuple(s for s, ok in zip(sources, is_node, strict=True) if not ok)
        regs = _named_devices(network, seg, named, "sources")
        not_reg = seg.dev_kind[regs] != REGULATOR
        if not_reg.any():
            bad = named[int(np.flatnonzero(not_reg)[0])]
            raise IsolationRequestError(f"sources: {bad!r} is a valve; sources are nodes or regulators")
    nodes = ni[is_node]
    flow = seg.flow.with_sources(np.concatenate([seg.node_segment[nodes], seg.dev_b[regs]]))
    return nodes, regs, flow, flow.supplied(), flow.hops()


# -- distances and order ---------------------------------------------------------------------------------------------
def _distances_in_region(
    seg: ValveSegments, topo, in_region: np.ndarray, region: np.ndarray, brk: _Breaks, targets: np.ndarray
) -> np.ndarray:
    """Shortest distance (m) along pipes and devices inside the region from the nearest break to each target node."""
    if not len(targets):
        return np.empty(0)
    links, _ = gather(seg.seg_link_ptr, seg.seg_links, region)
    dev, side, other = _incident(seg, region)
    internal = seg.dev_link[dev[(side == 0) & in_region[other]]]
    links = np.concatenate([links, internal]).astype(np.int64)
    a, b = topo.link_from[links].astype(np.int64), topo.link_to[links].astype(np.int64)
    w = seg.link_length_m[links] + _EPS_M
    nodes = np.unique(np.concatenate([a, b, brk.start_nodes, targets]))
    la, lb = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    lo, hi = np.minimum(la, lb), np.maximum(la, lb)
    # Parallel pipes would be summed by the sparse constructor: keep the shortest of each node pair.
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, w = lo[first], hi[first], w[first]
    virtual = len(nodes)
    starts = np.searchsorted(nodes, brk.start_nodes)
    s_order = np.lexsort((brk.start_offsets_m, starts))
    s_first = np.ones(len(starts), dtype=bool)
    s_first[1:] = starts[s_order][1:] != starts[s_order][:-1]
    starts, s_off = starts[s_order][s_first], brk.start_offsets_m[s_order][s_first]
    # Rows sorted, columns sorted within rows, no duplicates: build the CSR directly, nothing for scipy to sort.
    rows = np.concatenate([lo, np.full(len(starts), virtual)])
    cols = np.concatenate([hi, starts]).astype(np.int32)
    weights = np.concatenate([w, s_off + _EPS_M])
    n = virtual + 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    graph = csr_matrix((weights, cols, indptr), shape=(n, n))
    graph.has_sorted_indices = True
    dist = dijkstra(graph, directed=False, indices=virtual)
    return dist[np.searchsorted(nodes, targets)]


def _plan(
    network: GasNetwork,
    seg: ValveSegments,
    order_rule: str,
    close_dev: np.ndarray,
    far_valve: np.ndarray,
    valve_required: np.ndarray,
    reg_dev: np.ndarray,
    far_reg: np.ndarray,
    reg_required: np.ndarray,
    stop_nodes: np.ndarray,
    dist: np.ndarray,
    hops: np.ndarray,
    supplied_before: np.ndarray,
) -> tuple[ClosingStep, ...]:
    topo = network.topology
    nv, nr, ns = len(close_dev), len(reg_dev), len(stop_nodes)
    if nv + nr + ns == 0:
        return ()
    devs = np.concatenate([close_dev, reg_dev, np.full(ns, -1)]).astype(np.int64)
    links = seg.dev_link[devs[: nv + nr]]
    actions = np.array(["close_valve"] * nv + ["shut_regulator"] * nr + ["stop_source"] * ns)
    feature_ids = np.concatenate([topo.link_ids_at(links), topo.node_ids_at(stop_nodes)]).astype(str)
    layers = [LINK_LAYERS[i] for i in topo.link_layer[links]] + [NODE_LAYERS[i] for i in topo.node_layer[stop_nodes]]
    rows = np.concatenate([topo.link_row[links], topo.node_row[stop_nodes]]).astype(np.int64)
    required = np.concatenate([valve_required, reg_required, np.ones(ns, dtype=bool)])
    far = np.concatenate([far_valve, far_reg, np.full(ns, -1)]).astype(np.int64)
    hops_all = np.concatenate([hops, np.full(ns, -1)]).astype(np.int64)
    optional = ~required
    # Sources inside the region first (key -1), then by hops from supply; far sides without supply last.
    hop_key = np.where(actions == "stop_source", -1, np.where(hops_all >= 0, hops_all, np.iinfo(np.int64).max))
    if order_rule == "upstream_first":
        # Optional steps stop no flow, so nothing is gained by going upstream: they follow by distance.
        opt_dist = np.where(optional, dist, 0.0)
        order = np.lexsort((feature_ids, dist, hop_key, opt_dist, optional))
    else:
        order = np.lexsort((feature_ids, hop_key, dist, optional))

    xy = np.zeros((len(order), 2))
    for layer in set(layers):
        mask = np.array([lyr == layer for lyr in layers])
        xy[mask] = device_xy(network, layer, rows[mask])
    s_rows, s_dev = gather(seg.dev_sensor_ptr, seg.dev_sensors, devs[devs >= 0])
    on_device: dict[int, list[str]] = {}
    for d, sid in zip(s_dev.tolist(), seg.sensor_ids[s_rows].tolist(), strict=True):
        on_device.setdefault(d, []).append(sid)
    steps = []
    for k, i in enumerate(order):  # one iteration per plan step (tens), not per feature
        d = int(devs[i])
        sensors = tuple(on_device.get(d, ()))
        steps.append(
            ClosingStep(
                order=k + 1,
                action=str(actions[i]),
                feature_id=str(feature_ids[i]),
                layer=layers[i],
                required=bool(required[i]),
                reason=_step_reason(str(actions[i]), bool(required[i]), int(far[i]), int(hops_all[i]), supplied_before),
                x=float(xy[i, 0]),
                y=float(xy[i, 1]),
                supply_segment=None if far[i] < 0 else int(far[i]),
                upstream_hops=None if hops_all[i] < 0 else int(hops_all[i]),
                distance_m=None if not np.isfinite(dist[i]) else round(float(dist[i]), 3),
                remote_controlled=bool(d >= 0 and seg.dev_remote[d]),
                sensor_ids=sensors,
            )
        )
    return tuple(steps)


# Warnings and reasons of a result, in English (CLI, CSV); the UI translates them (context "IsolationNotes").
_NO_SOURCE = QT_TRANSLATE_NOOP(
    "IsolationNotes", "no supply source in the network: nothing is supplied, so no valve is needed to isolate"
)
_UNFED = QT_TRANSLATE_NOOP(
    "IsolationNotes", "break segment(s) {segments} had no path to a source even before the incident"
)
_NOT_ON_BOUNDARY = QT_TRANSLATE_NOOP(
    "IsolationNotes", "{valve} is not on the isolation boundary: reporting it failed changes nothing"
)
_STOP_SOURCE = QT_TRANSLATE_NOOP(
    "IsolationNotes", "supply source inside the shut-off region: stop the supply at the station outlet"
)
_REGULATOR_FEEDS = QT_TRANSLATE_NOOP(
    "IsolationNotes",
    "gas reaches the break straight through this regulator from supplied segment {segment}: shut it (inlet valve or "
    "slam-shut)",
)
_REGULATOR_INLET = QT_TRANSLATE_NOOP(
    "IsolationNotes",
    "its inlet segment {segment} loses supply too; shutting it keeps that line pack from venting downstream",
)
_SOURCE_SEGMENT = QT_TRANSLATE_NOOP("IsolationNotes", "a source's own segment")
_DOWNSTREAM = QT_TRANSLATE_NOOP("IsolationNotes", "{hops} valve(s)/regulator(s) downstream of a source")
_VALVE_FEEDS = QT_TRANSLATE_NOOP("IsolationNotes", "gas still feeds the break from segment {segment} ({where})")
_CUT_OFF_BEYOND = QT_TRANSLATE_NOOP(
    "IsolationNotes",
    "segment {segment} beyond it is cut off; closing keeps its line pack from venting through the break",
)
_UNSUPPLIED_BEYOND = QT_TRANSLATE_NOOP(
    "IsolationNotes",
    "segment {segment} beyond it has no supply anyway; closing keeps its gas from venting through the break",
)
_REPORTED_FAILED = QT_TRANSLATE_NOOP("IsolationNotes", "reported failed in this incident")
_NOT_OPERABLE = QT_TRANSLATE_NOOP("IsolationNotes", "not operable (attribute)")
_NOT_ACCESSIBLE = QT_TRANSLATE_NOOP("IsolationNotes", "not accessible (attribute)")
_SKIPPED_REGULATOR = QT_TRANSLATE_NOOP(
    "IsolationNotes", "regulator {what}: gas passes it, so its inlet side is shut off too"
)
_SKIPPED_VALVE = QT_TRANSLATE_NOOP(
    "IsolationNotes", "{what}: gas passes it, so the next ring of valves is closed instead"
)
#: Every template above (the UI matches a finished text to its template to show it translated).
NOTE_TEMPLATES = (
    _NO_SOURCE, _UNFED, _NOT_ON_BOUNDARY, _STOP_SOURCE, _REGULATOR_FEEDS, _REGULATOR_INLET, _SOURCE_SEGMENT,
    _DOWNSTREAM, _VALVE_FEEDS, _CUT_OFF_BEYOND, _UNSUPPLIED_BEYOND, _REPORTED_FAILED, _NOT_OPERABLE, _NOT_ACCESSIBLE,
    _SKIPPED_REGULATOR, _SKIPPED_VALVE,
)  # fmt: skip


def _step_reason(action: str, required: bool, far: int, hops: int, supplied_before: np.ndarray) -> str:
    if action == "stop_source":
        return _STOP_SOURCE
    if action == "shut_regulator":
        return (_REGULATOR_FEEDS if required else _REGULATOR_INLET).format(segment=far)
    if required:
        where = _SOURCE_SEGMENT if hops == 0 else _DOWNSTREAM.format(hops=hops)
        return _VALVE_FEEDS.format(segment=far, where=where)
    return (_CUT_OFF_BEYOND if supplied_before[far] else _UNSUPPLIED_BEYOND).format(segment=far)


def _skipped(
    network: GasNetwork, seg: ValveSegments, reason: np.ndarray, devs: list[np.ndarray], to: list[np.ndarray]
) -> tuple[SkippedDevice, ...]:
    if not devs:
        return ()
    dev = np.concatenate(devs)
    other = np.concatenate(to)
    _, first = np.unique(dev, return_index=True)
    first = np.sort(first)  # ring by ring, in the order the region grew
    dev, other = dev[first], other[first]
    topo = network.topology
    links = seg.dev_link[dev]
    out = []
    for d, link, o in zip(dev, links, other, strict=True):  # one per skipped valve (a few)
        layer = LINK_LAYERS[topo.link_layer[link]]
        x, y = device_xy(network, layer, [topo.link_row[link]])[0]
        out.append(
            SkippedDevice(
                feature_id=str(topo.link_ids_at([link])[0]),
                layer=layer,
                reason=_skip_reason(int(reason[d]), int(seg.dev_kind[d])),
                passed_to_segment=int(o),
                x=float(x),
                y=float(y),
            )
        )
    return tuple(out)


def _skip_reason(bits: int, kind: int) -> str:
    parts = []
    if bits & REPORTED_FAILED:
        parts.append(_REPORTED_FAILED)
    if bits & NOT_OPERABLE:
        parts.append(_NOT_OPERABLE)
    if bits & NOT_ACCESSIBLE:
        parts.append(_NOT_ACCESSIBLE)
    return (_SKIPPED_REGULATOR if kind == REGULATOR else _SKIPPED_VALVE).format(what="; ".join(parts))


# -- impact ----------------------------------------------------------------------------------------------------------
def _impact(
    network: GasNetwork,
    seg: ValveSegments,
    region: np.ndarray,
    cut_off: np.ndarray,
    supplied_before: np.ndarray,
    request: IsolationRequest,
) -> Impact:
    factors = normal_volume_factors(request.operating_pressure_mpa)
    iso_vol = seg.seg_volume_m3_by_class[region].sum(axis=0)
    cut_vol = seg.seg_volume_m3_by_class[cut_off].sum(axis=0)
    outage = np.concatenate([region, cut_off]).astype(np.int64)
    in_outage = np.zeros(seg.n_segments, dtype=bool)
    in_outage[outage] = True
    # Customers who had no gas before the incident do not lose it: count only segments supplied before.
    lost = outage[supplied_before[outage]]

    rows, grp = gather(seg.seg_customer_ptr, seg.seg_customers, lost)
    listed = _affected_customers(network, seg, rows, grp, np.isin(grp, region))
    by_cat = seg.seg_customers_by_category[lost].sum(axis=0)

    s_rows, _ = gather(seg.seg_sensor_ptr, seg.seg_sensors, outage)
    s_rows = s_rows[in_outage[seg.sensor_seg_b[s_rows]]]
    sensor_ids = tuple(sorted(seg.sensor_ids[s_rows].tolist()))

    return Impact(
        customers=listed,
        customers_by_category={c: int(n) for c, n in zip(seg.customer_categories, by_cat, strict=True)},
        households=int(round(seg.seg_households[lost].sum())),
        peak_demand_nm3h=float(seg.seg_peak_demand_nm3h[lost].sum()),
        isolated_pipe_length_m=float(seg.seg_pipe_length_m[region].sum()),
        cut_off_pipe_length_m=float(seg.seg_pipe_length_m[cut_off].sum()),
        isolated_internal_volume_m3=float(iso_vol.sum()),
        cut_off_internal_volume_m3=float(cut_vol.sum()),
        isolated_gas_volume_nm3=float(iso_vol @ factors),
        cut_off_gas_volume_nm3=float(cut_vol @ factors),
        sensor_ids=sensor_ids,
        operating_pressure_mpa={**TYPICAL_OPERATING_PRESSURE_MPA, **request.operating_pressure_mpa},
    )


def _affected_customers(
    network: GasNetwork, seg: ValveSegments, rows: np.ndarray, segment: np.ndarray, isolated: np.ndarray
) -> tuple[AffectedCustomer, ...]:
    """The lost customers, special users first (by name, then id), then the rest by id."""
    if not len(rows):
        return ()
    ids = network.topology.node_ids_at(seg.customer_node[rows])
    names = np.asarray(seg.customer_name[rows], dtype=object)
    category = np.asarray(seg.customer_categories, dtype=object)[seg.customer_category[rows]]
    special = np.flatnonzero(category == "special")
    others = np.flatnonzero(category != "special")
    order = np.concatenate(
        [
            special[sorted(range(len(special)), key=lambda k: (names[special[k]], ids[special[k]]))],
            others[np.argsort(ids[others], kind="stable")],
        ]
    ).astype(np.int64)
    xy = network.topology.node_xy[seg.customer_node[rows[order]]]
    columns = (
        ids[order].tolist(),
        names[order].tolist(),
        category[order].tolist(),
        np.asarray(seg.customer_special_kind[rows[order]], dtype=object).tolist(),
        seg.customer_households[rows[order]].tolist(),
        seg.customer_peak_demand_nm3h[rows[order]].tolist(),
        segment[order].tolist(),
        np.where(isolated[order], "isolated", "cut_off").tolist(),
        xy[:, 0].tolist(),
        xy[:, 1].tolist(),
    )
    return tuple(map(AffectedCustomer._make, zip(*columns, strict=True)))
