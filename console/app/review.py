"""The engineering effect of a change set (审核), computed on the branch before a reviewer approves it, Qt-free.

For a master network and the same network with the change set applied (the *branch*):

1. **Validation**: the findings the branch has that the master has not (introduced) and the reverse (resolved).
2. **Valve segments** (阀门分段): master segments whose pipes end up in several branch segments (split), branch
   segments gathering pipes of several master segments (merged), valves whose two sides lie in one segment on the
   branch but not on the master (made useless), and the customers whose segment — the set of customers that lose gas
   with them — changes.
3. **Hydraulics**: minimum pressure per pressure system before and after (steady state, design demand) and the
   violations the branch has that the master has not.

>>> from tests.builders import chain
>>> from console.network import InsertDevice
>>> import shapely
>>> master = chain(2); branch = master.snapshot()
>>> InsertDevice(branch, "P1", shapely.Point(41_405_050, 3_320_000), "valves").redo()
>>> effect = review_effect(master, branch, hydraulics=False)
>>> effect.segments_split, effect.findings_introduced
(1, [])
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from console.network import LINK_LAYERS, NODE_LAYERS, GasNetwork
from console.network._validation import GLOBAL_CHECKS, _connectivity, neighbourhood, per_feature, validate_features

__all__ = [
    "ReviewEffect",
    "SystemPressure",
    "boundary_segments",
    "STEADY_STATE_KEY",
    "add_hydraulics",
    "master_steady_state",
    "prepare_master",
    "review_effect",
    "steady_state_key",
    "touched_segments",
]


@dataclass(frozen=True)
class SystemPressure:
    """One pressure system's minimum pressure before and after (kPa gauge; ``None``: not in that network)."""

    system: str
    pressure_class: str
    min_before_kpa: float | None
    min_after_kpa: float | None
    node_after: str = ""
    reached: bool = False  # solved again on the branch because the change set reaches it (not when all were solved)


@dataclass
class ReviewEffect:
    """What approving a change set would do to the network (see the module)."""

    findings_introduced: list[dict] = field(default_factory=list)
    findings_resolved: list[dict] = field(default_factory=list)
    segments_before: int = 0
    segments_after: int = 0
    segments_split: int = 0
    segments_merged: int = 0
    valves_made_useless: list[str] = field(default_factory=list)
    customers_isolation_changed: list[str] = field(default_factory=list)
    pressures: list[SystemPressure] = field(default_factory=list)
    new_violations: list[dict] = field(default_factory=list)
    hydraulics_note: str = ""
    overlapping_changesets: list[str] = field(default_factory=list)
    # The branch's whole steady state (console.hydraulics.SimulationResult), not part of the effect shown: on
    # approval of this change set it is the new master's (EditingService carries it over).
    branch_steady_state: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(replace(self, branch_steady_state=None))
        out.pop("branch_steady_state", None)
        return out

    @property
    def blocking(self) -> bool:
        """True when the branch introduces a validation error or a hydraulic violation of severity error."""
        return any(f["severity"] == "error" for f in self.findings_introduced) or any(
            v["severity"] == "error" for v in self.new_violations
        )

    def format_text(self) -> str:
        lines = [
            f"validation: {len(self.findings_introduced)} findings introduced, {len(self.findings_resolved)} resolved",
        ]
        for f in self.findings_introduced[:10]:
            lines.append(f"  + {f['severity']:7} {f['check']}: {', '.join(f['feature_ids'][:5])}")
        lines.append(
            f"valve segments: {self.segments_before} → {self.segments_after} ({self.segments_split} split, "
            f"{self.segments_merged} merged); valves made useless: {', '.join(self.valves_made_useless) or 'none'}"
        )
        lines.append(f"customers whose isolation changes: {len(self.customers_isolation_changed)}")
        if self.hydraulics_note:
            lines.append(f"hydraulics: {self.hydraulics_note}")
        for p in self.pressures:
            before = "—" if p.min_before_kpa is None else f"{p.min_before_kpa:.2f}"
            after = "—" if p.min_after_kpa is None else f"{p.min_after_kpa:.2f}"
            lines.append(f"  {p.system} ({p.pressure_class}): min {before} → {after} kPa")
        for v in self.new_violations[:10]:
            lines.append(f"  new {v['severity']} {v['kind']} at {v['feature_id']}")
        if self.overlapping_changesets:
            lines.append(
                "valve segment boundaries also changed by pending change sets: "
                + ", ".join(self.overlapping_changesets)
            )
        return "\n".join(lines)


def review_effect(
    master: GasNetwork,
    branch: GasNetwork,
    *,
    hydraulics: bool = True,
    changes: list | None = None,
    before: Any = None,
) -> ReviewEffect:
    """The effect of turning ``master`` into ``branch`` (see the module).

    ``changes`` (the change set, when known) bounds the validation to the changed features' neighbourhood; without
    it the change set is diffed first. The master's valve segments and customer groups are cached on it (one build
    per master version serves every review against it). ``before`` is the master's steady state when the caller
    has it (:meth:`console.app.editing.EditingService.steady_state`: kept across sessions), else it is solved once
    per master version (:func:`master_steady_state`).
    """
    if changes is None:
        from console.network import diff_networks

        changes = diff_networks(master, branch)
    effect = ReviewEffect()
    _validation(master, branch, effect, changes)
    _segments(master, branch, effect, changes)
    if hydraulics:
        _hydraulics(master, branch, effect, changes, before=before)
    return effect


def prepare_master(master: GasNetwork, *, hydraulics: bool = True) -> GasNetwork:
    """Build what every review against ``master`` reads of it (cached on it per version): the layers' row lookups
    (shared by the branches snapshotted afterwards), the topology and its id indexes, the valve segments, the
    connectivity findings and the hydraulic model's arrays. What a console prepares in the background when the
    review dock opens, so that a review costs the branch, not the city (its steady state is apart:
    :meth:`console.app.editing.EditingService.steady_state`). Returns ``master``.

    >>> from tests.builders import chain
    >>> master = prepare_master(chain(2))
    >>> master.topology.link_index(["P2", "P9"]).tolist()
    [1, -1]
    """
    from console.isolation import valve_segments

    topo = master.topology
    topo.node_index([]), topo.link_index([])
    master.index_rows()  # slices of the topology's id indexes
    valve_segments(master)
    _connectivity_findings(master)
    if hydraulics:
        from console.hydraulics import HydraulicsError
        from console.hydraulics._model import model_arrays

        try:
            model_arrays(master)
        except HydraulicsError:
            pass  # the review says why the master does not solve
    return master


def add_hydraulics(master: GasNetwork, branch: GasNetwork, effect: ReviewEffect, changes=None, *,
                   before: Any = None) -> ReviewEffect:  # fmt: skip
    """Complete ``effect`` (validation and valve segments, from ``review_effect(..., hydraulics=False)``) with the
    hydraulic effect: what ``review_effect`` with hydraulics adds, computed apart so that a console can show the rest
    while the steady states are solved. Returns ``effect``."""
    _hydraulics(master, branch, effect, changes, before=before)
    return effect


def _seed_ids(changes) -> set[str]:
    """The changed features and every node their versions (before and after) end at or sit on."""
    seeds: set[str] = set()
    for c in changes:
        seeds.add(c.feature_id)
        for values in (c.before, c.after):
            for end in ("from_node", "to_node", "feature_id"):
                if isinstance(values.get(end), str) and values[end]:
                    seeds.add(values[end])
    return seeds


def _validation(master: GasNetwork, branch: GasNetwork, effect: ReviewEffect, changes) -> None:
    """Findings per (check, feature) around the change (both versions of its neighbourhood re-checked); the global
    component check on both topologies (the branch's is built for the valve segments anyway)."""
    seeds = _seed_ids(changes)
    scope = neighbourhood(master, seeds) | neighbourhood(branch, seeds)
    before = {(f.check, f.feature_ids[0]): f for f in validate_features(master, scope)}
    after = {(f.check, f.feature_ids[0]): f for f in validate_features(branch, scope)}
    before |= per_feature(_connectivity_findings(master))
    after |= per_feature(_connectivity_findings(branch))
    effect.findings_introduced = [f.to_dict() for k, f in sorted(after.items()) if k not in before]
    effect.findings_resolved = [f.to_dict() for k, f in sorted(before.items()) if k not in after]


def _connectivity_findings(network: GasNetwork) -> list:
    def build():
        findings = [f for f in _connectivity(network, network.topology) if f.check in GLOBAL_CHECKS]
        return findings

    return network.cached("review.components", build)


def _customer_signature(network: GasNetwork) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, signature per customer): the signature stands for the set of customers in its valve segment
    (a sum of 64-bit hashes of their ids), so two customers' isolations are equal when their signatures are."""

    def build():
        from console.isolation import valve_segments

        seg = valve_segments(network)
        topo = network.topology
        rows = topo.layer_nodes("customers")
        ids = network["customers"]["id"].to_numpy(dtype=object)
        if not len(rows):
            return ids, np.zeros(0, dtype=np.uint64)
        segment = seg.node_segment[rows].astype(np.int64)
        weight = pd.util.hash_array(ids.astype(str).astype(object)).astype(np.uint64)
        signature = np.zeros(len(rows), dtype=np.uint64)
        inside = segment >= 0
        if inside.any():
            order = np.argsort(segment[inside], kind="stable")
            segs = segment[inside][order]
            starts = np.flatnonzero(np.r_[True, segs[1:] != segs[:-1]])
            sums = np.add.reduceat(weight[inside][order], starts)
            per_seg = dict(zip(segs[starts].tolist(), sums.tolist(), strict=True))
            signature[inside] = np.fromiter((per_seg[k] for k in segment[inside].tolist()), dtype=np.uint64)
        return ids, signature

    return network.cached("review.customer_signature", build)


def _segments(master: GasNetwork, branch: GasNetwork, effect: ReviewEffect, changes) -> None:
    """The valve-segment effect, computed on the part of the branch the change set can reach.

    A master segment none of whose nodes or links the change set touches is, on the branch, the same segment (same
    nodes, links, customers and bounding valves). So only the *region* — the master segments the change touches, their
    nodes as the branch has them, the features the change adds, and every branch link at those nodes — is segmented
    again (the same kernel, on the region's nodes and links); the rest is the master's cached segmentation. The region
    is grown until no link that carries gas leaves it, so it holds whole branch segments by construction. Equal to
    :func:`_segments_full` (tested on random edits), at a cost that follows the change rather than the city.
    """
    from console.isolation import valve_segments
    from console.isolation._kernel import label_segments
    from console.isolation._segments import PIPE_LAYER, REGULATOR_LAYER, VALVE_LAYER, gather

    seg_a = valve_segments(master)
    topo_a, topo_b = master.topology, branch.topology
    n_pipes_a = len(master["pipes"])
    seeds = np.asarray(sorted(_seed_ids(changes)), dtype=object)
    touched = np.asarray(sorted(touched_segments(master, changes)), dtype=np.int64)
    extra_nodes = topo_b.node_index(seeds) if len(seeds) else np.empty(0, dtype=np.int32)
    extra_links = _link_positions(branch, seeds)
    extra_nodes = np.concatenate([extra_nodes, topo_b.link_from[extra_links], topo_b.link_to[extra_links]])
    extra_nodes = extra_nodes[extra_nodes >= 0]
    status_b = branch["pipes"]["status"]
    while True:
        nodes_a, _ = gather(seg_a.seg_node_ptr, seg_a.seg_nodes, touched)
        links_a, _ = gather(seg_a.seg_link_ptr, seg_a.seg_links, touched)
        nodes_b = topo_b.node_index(topo_a.node_ids_at(nodes_a)) if len(nodes_a) else np.empty(0, dtype=np.int32)
        region = np.unique(np.concatenate([nodes_b[nodes_b >= 0], extra_nodes]).astype(np.int64))
        mapped = _link_positions(branch, topo_a.link_ids_at(links_a)) if len(links_a) else np.empty(0, np.int64)
        at_nodes, _ = gather(topo_b.indptr.astype(np.int64), topo_b.adj_link, region)
        links = np.unique(np.concatenate([at_nodes, mapped, extra_links]).astype(np.int64))
        layer = topo_b.link_layer[links]
        exclude = (layer == VALVE_LAYER) | (layer == REGULATOR_LAYER)
        is_pipe = layer == PIPE_LAYER
        exclude[is_pipe] = (status_b.iloc[topo_b.link_row[links[is_pipe]]] != "in_service").to_numpy()
        ends = np.concatenate([topo_b.link_from[links[~exclude]], topo_b.link_to[links[~exclude]]]).astype(np.int64)
        ends = np.unique(ends[ends >= 0])
        outside = ends[~np.isin(ends, region)]
        if not len(outside):
            break
        # a link that carries gas leaves the region: take in the master segments (or the new nodes) across it
        back = topo_a.node_index(topo_b.node_ids_at(outside))
        touched = np.union1d(touched, seg_a.node_segment[back[back >= 0]].astype(np.int64))
        extra_nodes = np.concatenate([extra_nodes, outside])  # the region grows every round: this ends

    def local(nodes: np.ndarray) -> np.ndarray:
        """Position in ``region`` of each branch node (-1: an unknown end, or outside)."""
        if not len(region):
            return np.full(len(nodes), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(region, nodes), len(region) - 1)
        return np.where((nodes >= 0) & (region[pos] == nodes), pos, -1)

    lab = label_segments(len(region), local(topo_b.link_from[links]), local(topo_b.link_to[links]), exclude=exclude)
    effect.segments_before = int(seg_a.n_segments)
    effect.segments_after = int(seg_a.n_segments) - len(touched) + int(lab.n_segments)

    # split / merged: the touched master segments' pipes and the region segments they lie in on the branch
    pipes_a = links_a[topo_a.link_layer[links_a] == PIPE_LAYER]
    pipes_a = pipes_a[pipes_a < n_pipes_a]
    a = seg_a.link_segment[pipes_a].astype(np.int64)
    rows_b = branch.rows_of("pipes", topo_a.link_ids_at(pipes_a)) if len(pipes_a) else np.empty(0, np.intp)
    where = np.searchsorted(links, rows_b)
    found = (rows_b >= 0) & (where < len(links))
    found[found] = links[where[found]] == rows_b[found]
    b = np.full(len(rows_b), -1, dtype=np.int64)
    b[found] = lab.link_segment[where[found]]
    ok = (a >= 0) & (b >= 0)
    width = int(lab.n_segments) + 1
    pairs = np.unique(a[ok] * width + b[ok])
    pa_, pb_ = pairs // width, pairs % width
    effect.segments_split = int((np.bincount(pa_)[np.unique(pa_)] > 1).sum()) if len(pairs) else 0
    effect.segments_merged = int((np.bincount(pb_)[np.unique(pb_)] > 1).sum()) if len(pairs) else 0

    # valves made useless: a branch valve with both sides in one region segment that was not useless on the master
    same = (seg_a.dev_a == seg_a.dev_b) & (seg_a.dev_kind == 0)
    useless_a = set(topo_a.link_ids_at(seg_a.dev_link[same]).tolist())
    frm, to = local(topo_b.link_from[links]), local(topo_b.link_to[links])
    valve = (topo_b.link_layer[links] == VALVE_LAYER) & (frm >= 0) & (to >= 0)
    valve[valve] = lab.node_segment[frm[valve]] == lab.node_segment[to[valve]]
    useless_b = set(topo_b.link_ids_at(links[valve]).tolist())
    effect.valves_made_useless = sorted(useless_b - useless_a)

    # customers whose isolation changes: the set of customers in their segment differs (only region customers can)
    c_rows, c_seg = gather(seg_a.seg_customer_ptr, seg_a.seg_customers, touched)
    ids_a = master["customers"]["id"].to_numpy(dtype=object)[c_rows] if len(c_rows) else np.empty(0, dtype=object)
    groups_a: dict[int, set] = {}
    for cid, s in zip(ids_a.tolist(), c_seg.tolist(), strict=True):
        groups_a.setdefault(s, set()).add(cid)
    is_customer = topo_b.node_layer[region] == NODE_LAYERS.index("customers")
    ids_b = topo_b.node_ids_at(region[is_customer])
    seg_b = lab.node_segment[np.flatnonzero(is_customer)]
    groups_b: dict[int, set] = {}
    for cid, s in zip(ids_b.tolist(), seg_b.tolist(), strict=True):
        groups_b.setdefault(s, set()).add(cid)
    where_b = dict(zip(ids_b.tolist(), seg_b.tolist(), strict=True))
    changed = {
        cid
        for cid, s in zip(ids_a.tolist(), c_seg.tolist(), strict=True)
        if cid in where_b and groups_a[s] != groups_b[where_b[cid]]
    }
    new = ids_b[master.rows_of("customers", ids_b) < 0] if len(ids_b) else ids_b
    effect.customers_isolation_changed = sorted(map(str, changed)) + sorted(map(str, new))


def _link_positions(network: GasNetwork, ids: np.ndarray) -> np.ndarray:
    """Topology link indices of the links among ``ids`` (the first layer in ``LINK_LAYERS`` order that has the id),
    through the layers' row lookups (kept across edits and snapshots: no index over every link is built)."""
    ids = np.asarray(ids, dtype=object)
    out = np.full(len(ids), -1, dtype=np.int64)
    offset = 0
    for layer in LINK_LAYERS:
        if len(ids) and (out < 0).any():
            rows = network.rows_of(layer, ids)
            take = (out < 0) & (rows >= 0)
            out[take] = rows[take] + offset
        offset += len(network[layer])
    return out[out >= 0]


def _segments_full(master: GasNetwork, branch: GasNetwork, effect: ReviewEffect) -> None:
    """The valve-segment effect from both networks' whole segmentations (the reference :func:`_segments` is tested
    against; it builds the branch's segments and customer groups in full)."""
    from console.isolation import valve_segments

    seg_a, seg_b = valve_segments(master), valve_segments(branch)
    topo_a, topo_b = master.topology, branch.topology
    effect.segments_before, effect.segments_after = int(seg_a.n_segments), int(seg_b.n_segments)
    # pipes are the first link layer: a pipe's row is its link position in both topologies
    ids_a = master["pipes"]["id"].to_numpy(dtype=object)
    rows_b = branch.rows_of("pipes", ids_a)
    common = rows_b >= 0
    a = seg_a.link_segment[: len(ids_a)][common].astype(np.int64)
    b = seg_b.link_segment[rows_b[common]].astype(np.int64)
    ok = (a >= 0) & (b >= 0)
    pairs = np.unique(a[ok] * (int(seg_b.n_segments) + 1) + b[ok])
    pa_, pb_ = pairs // (int(seg_b.n_segments) + 1), pairs % (int(seg_b.n_segments) + 1)
    effect.segments_split = int((np.bincount(pa_)[np.unique(pa_)] > 1).sum()) if len(pairs) else 0
    effect.segments_merged = int((np.bincount(pb_)[np.unique(pb_)] > 1).sum()) if len(pairs) else 0

    def useless(seg, topo) -> set[str]:
        same = (seg.dev_a == seg.dev_b) & (seg.dev_kind == 0)
        return set(topo.link_ids_at(seg.dev_link[same]).tolist())

    effect.valves_made_useless = sorted(useless(seg_b, topo_b) - useless(seg_a, topo_a))

    # A customer's isolation changes when the set of customers in its segment changes.
    ca, sa = _customer_signature(master)
    cb, sb = _customer_signature(branch)
    rows = branch.rows_of("customers", ca) if len(ca) else np.empty(0, dtype=np.intp)
    kept = rows >= 0
    changed = ca[kept][sa[kept] != sb[rows[kept]]]
    new = np.ones(len(cb), dtype=bool)
    new[rows[kept]] = False
    effect.customers_isolation_changed = sorted(map(str, changed)) + sorted(map(str, cb[new]))


def _system_name(s) -> str:
    return ", ".join(s.fed_by[:2]) + (" …" if len(s.fed_by) > 2 else "") if s.fed_by else f"system {s.system_id}"


STEADY_STATE_KEY = "review.steady_state"


def steady_state_key(request) -> str:
    """The key a master's steady state for ``request`` is cached under on the network (one per request)."""
    from console.app.master_state import request_digest

    return f"{STEADY_STATE_KEY}:{request_digest(request)}"


def master_steady_state(master: GasNetwork, request=None, *, feedback=None):
    """The master's steady state (``request``, default design demand), solved once per master version and kept on
    it: every review of the same master after the first takes it from there."""
    from console.hydraulics import SimulationRequest, simulate

    request = request or SimulationRequest()
    return master.cached(steady_state_key(request), lambda: simulate(master, request, feedback=feedback))


def _hydraulics(master: GasNetwork, branch: GasNetwork, effect: ReviewEffect, changes=None, *,
                partial: bool = True, before=None) -> None:  # fmt: skip
    """Minimum pressure per pressure system before and after, and the new violations. The master's steady state is
    solved once per master version (:func:`master_steady_state`); the branch's only in the pressure systems the
    change set reaches (:func:`console.hydraulics.simulate_branch`, equal to a full solve of the branch within the
    solver's tolerance) unless ``partial`` is False or the change set is not known."""
    from console.hydraulics import HydraulicsError, simulate, simulate_branch

    try:
        if before is None or before.network_version != master.version or before.network_name != master.name:
            before = master_steady_state(master)
    except HydraulicsError as exc:
        effect.hydraulics_note = f"master does not solve: {exc}"
        return
    try:
        if partial and changes is not None:
            after = simulate_branch(master, before, branch, _seed_ids(changes), assemble=True)
        else:
            after = simulate(branch, before.request)
    except HydraulicsError as exc:
        effect.hydraulics_note = f"the branch does not solve: {exc}"
        effect.new_violations.append({"kind": "not_solved", "severity": "error", "feature_id": "", "message": str(exc)})
        return
    effect.branch_steady_state = getattr(after, "result", after)

    def by_system(result) -> dict[tuple, Any]:
        names = Counter()
        out = {}
        for s in result.systems:
            key = (s.pressure_class, _system_name(s))
            names[key] += 1
            out[key if names[key] == 1 else (*key, names[key])] = s
        return out

    a, b = by_system(before), by_system(after)
    solved = getattr(after, "solved", frozenset()) if not getattr(after, "full", True) else frozenset()
    for key in sorted(set(a) | set(b), key=str):
        sa, sb = a.get(key), b.get(key)
        effect.pressures.append(
            SystemPressure(
                key[1],
                key[0],
                None if sa is None or not sa.supplied else round(sa.min_pressure_pa / 1000, 3),
                None if sb is None or not sb.supplied else round(sb.min_pressure_pa / 1000, 3),
                sb.min_node_id if sb is not None else "",
                sb is not None and sb.system_id in solved,
            )
        )
    seen = {(v.kind, v.feature_id) for v in before.violations}
    effect.new_violations = [
        {
            "kind": v.kind,
            "severity": v.severity,
            "feature_id": v.feature_id,
            "layer": v.layer,
            "value": float(v.value),
            "limit": float(v.limit),
        }  # fmt: skip
        for v in after.violations
        if (v.kind, v.feature_id) not in seen
    ]


# -- change sets that meet on a valve segment --------------------------------------------------------------------------
_BOUNDARY_LAYERS = ("valves", "regulators")
_BOUNDARY_COLUMNS = {"from_node", "to_node", "normal_position", "status"}


def touched_segments(master: GasNetwork, changes) -> set[int]:
    """The master's valve segments a change set touches: those of its features and of the nodes they end at."""
    from console.isolation import valve_segments

    seg = valve_segments(master)
    topo = master.topology
    node_ids, link_ids = set(), set()
    for c in changes:
        (node_ids if c.layer in NODE_LAYERS else link_ids).add(c.feature_id)
        for values in (c.before, c.after):
            for end in ("from_node", "to_node", "feature_id"):
                if isinstance(values.get(end), str) and values[end]:
                    node_ids.add(values[end])
    out: set[int] = set()
    nodes = topo.node_index(sorted(node_ids))
    out |= set(seg.node_segment[nodes[nodes >= 0]].tolist())
    links = topo.link_index(sorted(link_ids))
    links = links[links >= 0]
    out |= set(seg.link_segment[links].tolist())
    devices = seg.link_device[links]
    devices = devices[devices >= 0]
    out |= set(seg.dev_a[devices].tolist()) | set(seg.dev_b[devices].tolist())
    out.discard(-1)
    return out


def boundary_segments(master: GasNetwork, changes) -> set[int]:
    """Segments whose boundary the change set alters: it adds, deletes or re-ends a valve or regulator, or splits
    a pipe (a new device), or changes a valve's normal position."""
    altering = [
        c
        for c in changes
        if (c.layer in _BOUNDARY_LAYERS and (c.op != "change" or _BOUNDARY_COLUMNS & set(c.after)))
        or (c.layer == "pipes" and c.op != "change")
    ]
    return touched_segments(master, altering) if altering else set()
