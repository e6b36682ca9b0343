"""Validation report: the data problems a utility's GIS team fixes before trusting an analysis.

Every check is vectorised over the topology arrays, so a 1,000,000-pipe network validates in seconds. Each finding
names the features involved; the report serialises to JSON for the CLI (``gasops info``) and the GUI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import shapely

from console.network._crs import outside_area_of_use
from console.network._model import take_rows
from console.network._schema import LAYERS, LINK_LAYERS, NODE_LAYERS
from console.network._topology import line_endpoints
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "CHECKS",
    "CHECK_TITLES",
    "GLOBAL_CHECKS",
    "MESSAGE_TEMPLATES",
    "Finding",
    "ValidationReport",
    "neighbourhood",
    "per_feature",
    "validate",
    "validate_features",
]

#: check name → (severity, what it means); the meanings are marked (context "ValidationFindings") for the UI.
CHECKS: dict[str, tuple[str, str]] = {
    "duplicate_id": ("error", QT_TRANSLATE_NOOP("ValidationFindings", "the same id is used by more than one feature")),
    "unknown_node": ("error", QT_TRANSLATE_NOOP("ValidationFindings", "a link refers to a node id that does not exist")),
    "unsnapped_endpoint": ("error", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a pipe's geometry does not start/end at its from/to node")),
    "zero_length": ("error", QT_TRANSLATE_NOOP("ValidationFindings", "a pipe has zero length")),
    "class_change_without_regulator": ("error", QT_TRANSLATE_NOOP(
        "ValidationFindings", "pipes of different pressure classes meet without a regulator")),
    "regulator_class_mismatch": ("warning", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a regulator's inlet/outlet class differs from the pipes at that side")),
    "disconnected_component": ("warning", QT_TRANSLATE_NOOP(
        "ValidationFindings", "part of the network is not connected to the rest")),
    "dangling_end": ("warning", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a pipe ends at a junction with nothing else attached (no end cap, customer, …)")),
    "isolated_node": ("warning", QT_TRANSLATE_NOOP("ValidationFindings", "a node with no link at all")),
    "length_mismatch": ("warning", QT_TRANSLATE_NOOP(
        "ValidationFindings", "length_m differs from the geometry's length by more than 5 % and 1 m")),
    "unknown_sensor_feature": ("warning", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a sensor sits on a feature id that does not exist")),
    "outside_area_of_use": ("error", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a feature lies outside the area of use of the network's CRS")),
    "impossible_value": ("error", QT_TRANSLATE_NOOP(
        "ValidationFindings", "a value no real feature can have (zero or negative diameter, non-finite number)")),
}  # fmt: skip
#: check name → short title for lists (marked, context "ValidationFindings"; the UI shows it translated).
CHECK_TITLES: dict[str, str] = {
    "duplicate_id": QT_TRANSLATE_NOOP("ValidationFindings", "duplicate id"),
    "unknown_node": QT_TRANSLATE_NOOP("ValidationFindings", "unknown node"),
    "unsnapped_endpoint": QT_TRANSLATE_NOOP("ValidationFindings", "unsnapped endpoint"),
    "zero_length": QT_TRANSLATE_NOOP("ValidationFindings", "zero length"),
    "class_change_without_regulator": QT_TRANSLATE_NOOP("ValidationFindings", "class change without regulator"),
    "regulator_class_mismatch": QT_TRANSLATE_NOOP("ValidationFindings", "regulator class mismatch"),
    "disconnected_component": QT_TRANSLATE_NOOP("ValidationFindings", "disconnected component"),
    "dangling_end": QT_TRANSLATE_NOOP("ValidationFindings", "dangling end"),
    "isolated_node": QT_TRANSLATE_NOOP("ValidationFindings", "isolated node"),
    "length_mismatch": QT_TRANSLATE_NOOP("ValidationFindings", "length mismatch"),
    "unknown_sensor_feature": QT_TRANSLATE_NOOP("ValidationFindings", "unknown sensor feature"),
    "outside_area_of_use": QT_TRANSLATE_NOOP("ValidationFindings", "outside area of use"),
    "impossible_value": QT_TRANSLATE_NOOP("ValidationFindings", "impossible value"),
}

# Finding messages: English templates (context "ValidationFindings") filled with .format(); the UI translates a
# finished message back through ``console.ui.i18n_messages`` (the CLI and JSON reports keep the English).
_IMPOSSIBLE_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} features hold impossible values")
_DUPLICATE_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "this id is used by more than one feature")
_CLASS_MEET_HERE = QT_TRANSLATE_NOOP("ValidationFindings", "pipes of different pressure classes meet here")
_NO_LINK_HERE = QT_TRANSLATE_NOOP("ValidationFindings", "this node has no link")
_BARE_JUNCTION = QT_TRANSLATE_NOOP("ValidationFindings", "a pipe end stops at this bare junction")
_UNKNOWN_NODE_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "refers to a node id that does not exist")
_ZERO_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "this pipe has zero length")
_LENGTH_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "length_m disagrees with the geometry")
_GAP_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "does not start/end at its nodes (gap {gap} map units)")
_VALVE_CLASSES = QT_TRANSLATE_NOOP("ValidationFindings", "this valve joins different pressure classes")
_LINK_CLASSES = QT_TRANSLATE_NOOP("ValidationFindings", "this link joins different pressure classes")
_REGULATOR_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "inlet/outlet class differs from the pipes it connects")
_SENSOR_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "this sensor sits on an unknown feature")
_OUTSIDE_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "lies outside {crs}'s area of use")
_IMPOSSIBLE_ONE = QT_TRANSLATE_NOOP("ValidationFindings", "holds an impossible value")
_DUPLICATE_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} ids are used by more than one feature")
_UNKNOWN_NODE_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} links refer to node ids that do not exist")
_ZERO_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} pipes have zero length")
_LENGTH_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} pipes' length_m disagrees with their geometry")
_GAP_N = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{n} pipes do not start/end at their nodes (worst gap {gap} map units)"
)
_CLASS_NODES_N = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{n} nodes join pipes of different pressure classes without a regulator"
)
_VALVES_CLASSES_N = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{n} valves join different pressure classes without a regulator"
)
_LINKS_CLASSES_N = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{n} links join different pressure classes without a regulator"
)
_REGULATORS_N = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{n} regulators' inlet/outlet classes differ from the pipes they connect"
)
_DANGLING_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} pipe ends stop at a bare junction")
_ISOLATED_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} nodes have no link")
_CUT_OFF_FED = QT_TRANSLATE_NOOP(
    "ValidationFindings",
    "{nodes} nodes and {links} links are cut off from the main network (with its own gate station)",
)
_CUT_OFF_UNFED = QT_TRANSLATE_NOOP(
    "ValidationFindings", "{nodes} nodes and {links} links are cut off from the main network (with no gate station)"
)
_SENSORS_N = QT_TRANSLATE_NOOP("ValidationFindings", "{n} sensors sit on unknown features")
_OUTSIDE_N = QT_TRANSLATE_NOOP(
    "ValidationFindings",
    "{n} features lie outside {crs}'s area of use ({area}: {west}–{east}°E, {south}–{north}°N)")  # fmt: skip
#: Every finding message template (context "ValidationFindings").
MESSAGE_TEMPLATES = (
    _IMPOSSIBLE_N, _DUPLICATE_ONE, _CLASS_MEET_HERE, _NO_LINK_HERE, _BARE_JUNCTION, _UNKNOWN_NODE_ONE, _ZERO_ONE,
    _LENGTH_ONE, _GAP_ONE, _VALVE_CLASSES, _LINK_CLASSES, _REGULATOR_ONE, _SENSOR_ONE, _OUTSIDE_ONE, _IMPOSSIBLE_ONE,
    _DUPLICATE_N, _UNKNOWN_NODE_N, _ZERO_N, _LENGTH_N, _GAP_N, _CLASS_NODES_N, _VALVES_CLASSES_N, _LINKS_CLASSES_N,
    _REGULATORS_N, _DANGLING_N, _ISOLATED_N, _CUT_OFF_FED, _CUT_OFF_UNFED, _SENSORS_N, _OUTSIDE_N,
)  # fmt: skip
#: Checks that depend on the whole network (the rest are decided by a feature and its neighbours).
GLOBAL_CHECKS = ("disconnected_component",)

#: Numeric columns that must be positive and finite (column → what it is), per layer.
_POSITIVE = {"pipes": ("length_m", "dn", "inner_diameter_mm")}
#: ... that must not be negative or infinite (0 or NaN: not recorded)
_NOT_NEGATIVE = {"pipes": ("roughness_mm", "depth_m"), "valves": ("dn",), "gate_stations": ("supply_pressure_mpa",)}


@dataclass(frozen=True)
class Finding:
    """One problem (or one group of related problems) with the ids of the features involved."""

    check: str
    severity: str
    message: str
    feature_ids: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return asdict(self) | {"feature_ids": list(self.feature_ids)}


@dataclass(frozen=True)
class ValidationReport:
    #: For front ends (``console.network`` exports the report): the check titles and the finding templates.
    CHECK_TITLES: ClassVar[dict[str, str]] = CHECK_TITLES
    MESSAGE_TEMPLATES: ClassVar[tuple[str, ...]] = MESSAGE_TEMPLATES

    network: str
    version: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when no finding is an error (warnings allowed)."""
        return not any(f.severity == "error" for f in self.findings)

    def by_check(self, check: str) -> list[Finding]:
        if check not in CHECKS:
            raise KeyError(f"unknown check {check!r}; checks are {', '.join(CHECKS)}")
        return [f for f in self.findings if f.check == check]

    def ids(self, check: str) -> set[str]:
        """Every feature id named by the findings of one check."""
        return {i for f in self.by_check(check) for i in f.feature_ids}

    def summary(self) -> dict[str, int]:
        """check → number of features it names (checks that found nothing are 0)."""
        return {check: len(self.ids(check)) for check in CHECKS}

    def to_dict(self) -> dict:
        return {
            "network": self.network,
            "version": self.version,
            "ok": self.ok,
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def format_text(self, max_ids: int = 8) -> str:
        if not self.findings:
            return "validation: no problems found"
        lines = []
        for f in self.findings:
            ids = ", ".join(f.feature_ids[:max_ids])
            more = f" … (+{len(f.feature_ids) - max_ids})" if len(f.feature_ids) > max_ids else ""
            lines.append(f"{f.severity.upper():7} {f.check}: {f.message}" + (f" [{ids}{more}]" if ids else ""))
        return "\n".join(lines)


def _finding(check: str, message: str, ids) -> Finding:
    return Finding(check, CHECKS[check][0], message, tuple(str(i) for i in ids))


def validate(network, *, snap_tolerance: float | None = None) -> ValidationReport:
    """Run every check on ``network`` and return the report.

    Parameters
    ----------
    snap_tolerance
        Largest distance (map units) between a pipe end and its node still counted as snapped; default 0.01 m in a
        projected CRS, 1e-7 degrees in a geographic one.
    """
    topo = network.topology
    if snap_tolerance is None:
        snap_tolerance = 1e-7 if (network.crs is not None and network.crs.is_geographic) else 0.01
    findings: list[Finding] = []
    findings += _duplicate_ids(network)
    findings += _unknown_nodes(network, topo)
    findings += _pipe_geometry(network, topo, snap_tolerance)
    findings += _pressure_classes(network, topo)
    findings += _connectivity(network, topo)
    findings += _sensors(network)
    findings += _area_of_use(network)
    findings += _impossible_values(network)
    return ValidationReport(network.name, network.version, tuple(findings))


def _bad_values(frame, layer: str) -> np.ndarray:
    """Rows of ``frame`` (a layer or some of its rows) holding an impossible value (see ``_POSITIVE``/``_FINITE``)."""
    bad = np.zeros(len(frame), dtype=bool)
    for column in _POSITIVE.get(layer, ()):
        if column in frame.columns:
            v = frame[column].to_numpy(dtype=float, na_value=np.nan)
            bad |= ~np.isfinite(v) | (v <= 0)
    for column in _NOT_NEGATIVE.get(layer, ()):
        if column in frame.columns:
            v = frame[column].to_numpy(dtype=float, na_value=np.nan)
            bad |= np.isinf(v) | (v < 0)
    if len(frame):
        xy, owner = shapely.get_coordinates(np.asarray(frame.geometry.array, dtype=object), return_index=True)
        if len(xy):
            nonfinite = ~np.isfinite(xy).all(axis=1)
            if nonfinite.any():
                bad[np.unique(owner[nonfinite])] = True
    return bad


def _impossible_values(network) -> list[Finding]:
    ids = []
    for layer, frame in network.layers.items():
        if len(frame):
            bad = _bad_values(frame, layer)
            if bad.any():
                ids.append(frame["id"].to_numpy(dtype=object)[bad])
    if not ids:
        return []
    ids = np.concatenate(ids)
    return [_finding("impossible_value", _IMPOSSIBLE_N.format(n=len(ids)), ids)]


# -- per feature (incremental) ------------------------------------------------------------------------------------------
def per_feature(findings) -> dict[tuple[str, str], Finding]:
    """(check, feature id) → finding, one per feature named (grouped findings split up; the message kept)."""
    out: dict[tuple[str, str], Finding] = {}
    for f in findings:
        for fid in f.feature_ids:
            out.setdefault((f.check, fid), Finding(f.check, f.severity, f.message, (fid,)))
    return out


def _link_rows(network, node_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Link layer → rows of the links with an end at one of ``node_ids``."""
    out = {}
    if not len(node_ids):
        return out
    topo = network.cached_now(network.TOPOLOGY_KEY)
    if topo is not None:  # the adjacency, and the few links with an unknown end by their end ids
        nodes = topo.node_index(node_ids)
        links = topo.links_at_nodes(nodes[nodes >= 0])
        loose = topo.loose_links
        if len(loose):
            layer_of, row_of = topo.link_layer[loose], topo.link_row[loose]
            hit = np.zeros(len(loose), dtype=bool)
            for i, layer in enumerate(LINK_LAYERS):
                at = np.flatnonzero(layer_of == i)
                if len(at):
                    frame = network[layer].iloc[row_of[at]]
                    hit[at] = (frame["from_node"].isin(node_ids) | frame["to_node"].isin(node_ids)).to_numpy()
            links = np.union1d(links, loose[hit])
        for i, layer in enumerate(LINK_LAYERS):
            rows = np.sort(topo.link_row[links[topo.link_layer[links] == i]]).astype(np.int64)
            if len(rows):
                out[layer] = rows
        return out
    for layer in LINK_LAYERS:
        links = network[layer]
        if len(links):
            hit = (links["from_node"].isin(node_ids) | links["to_node"].isin(node_ids)).to_numpy()
            if hit.any():
                out[layer] = np.flatnonzero(hit)
    return out


def _where(network, ids: np.ndarray, layers) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Layer → (positions in ``ids``, rows) of the ids found in ``layers``."""
    out = {}
    for layer in layers:
        rows = network.rows_of(layer, ids)
        found = np.flatnonzero(rows >= 0)
        if len(found):
            out[layer] = (found, rows[found])
    return out


def _take(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Values of ``column`` at positional ``rows`` as objects (only those rows converted)."""
    return take_rows(column, rows).to_numpy(dtype=object)


def neighbourhood(network, feature_ids) -> set[str]:
    """The features whose local findings an edit of ``feature_ids`` can change: the features, the end nodes of the
    links among them, every link at those nodes and at the nodes among them, and the sensors on any of these."""
    ids = np.asarray(sorted({str(i) for i in feature_ids}), dtype=object)
    out = set(ids.tolist())
    nodes = set()
    for layer, (_pos, rows) in _where(network, ids, NODE_LAYERS).items():
        nodes |= set(_take(network[layer]["id"], rows).tolist())
    for layer, (_pos, rows) in _where(network, ids, LINK_LAYERS).items():
        frame = network[layer]
        nodes |= set(_take(frame["from_node"], rows).tolist())
        nodes |= set(_take(frame["to_node"], rows).tolist())
    nodes.discard("")
    out |= nodes
    for layer, rows in _link_rows(network, np.asarray(sorted(nodes), dtype=object)).items():
        out |= set(_take(network[layer]["id"], rows).tolist())
    sensors = network["sensors"]
    if len(sensors):
        on = sensors["feature_id"].isin(np.asarray(sorted(out), dtype=object)).to_numpy()
        out |= set(sensors["id"].to_numpy(dtype=object)[on].tolist())
    return out


def validate_features(network, feature_ids, *, snap_tolerance: float | None = None) -> list[Finding]:
    """The local checks' findings for exactly ``feature_ids`` (one finding per feature and check), costing the
    features asked and their neighbours, not the network. Over every id of the network, they are :func:`validate`'s
    findings of every check but :data:`GLOBAL_CHECKS`, split per feature (``per_feature``)."""
    if snap_tolerance is None:
        snap_tolerance = 1e-7 if (network.crs is not None and network.crs.is_geographic) else 0.01
    ids = np.asarray(sorted({str(i) for i in feature_ids}), dtype=object)
    out: list[Finding] = []
    if not len(ids):
        return out

    def add(check: str, message: str, fids) -> None:
        out.extend(Finding(check, CHECKS[check][0], message, (str(i),)) for i in fids)

    # duplicate ids: counted in every layer (within a layer too)
    counts = np.zeros(len(ids), dtype=np.int64)
    for layer in network.layers:
        counts += network.id_counts(layer, ids)
    add("duplicate_id", _DUPLICATE_ONE, ids[counts > 1])

    node_at = _where(network, ids, NODE_LAYERS)
    link_at = _where(network, ids, LINK_LAYERS)
    node_ids = {layer: _take(network[layer]["id"], rows) for layer, (_p, rows) in node_at.items()}
    asked_nodes = np.concatenate(list(node_ids.values())) if node_ids else np.empty(0, dtype=object)
    # the asked links' ends, and whether each exists
    ends = set()
    for layer, (_pos, rows) in link_at.items():
        frame = network[layer]
        ends |= set(_take(frame["from_node"], rows).tolist())
        ends |= set(_take(frame["to_node"], rows).tolist())
    ends_arr = np.asarray(sorted(ends), dtype=object)
    node_xy: dict[str, tuple[float, float]] = {}
    for layer, (pos, rows) in _where(network, ends_arr, NODE_LAYERS).items():
        xy = shapely.get_coordinates(np.asarray(network[layer].geometry.array[rows], dtype=object))
        node_xy.update(zip(ends_arr[pos].tolist(), map(tuple, xy), strict=True))

    def exists(values: np.ndarray) -> np.ndarray:
        return np.fromiter((v in node_xy for v in values.tolist()), dtype=bool, count=len(values))

    # node classes: the pipes at the asked nodes and at the ends of asked non-pipe links
    class_nodes = set(asked_nodes.tolist())
    for layer in ("valves", "links", "regulators"):
        if layer in link_at:
            frame, rows = network[layer], link_at[layer][1]
            class_nodes |= set(_take(frame["from_node"], rows).tolist())
            class_nodes |= set(_take(frame["to_node"], rows).tolist())
    around = _link_rows(network, np.asarray(sorted(class_nodes | set(asked_nodes.tolist())), dtype=object))
    pipes = network["pipes"]
    classes: dict[str, set[int]] = {}
    if "pipes" in around:
        rows = around["pipes"]
        codes = pipes["pressure_class"].iloc[rows].cat.codes.to_numpy()
        frm = _take(pipes["from_node"], rows)
        to = _take(pipes["to_node"], rows)
        for a, b, c in zip(frm.tolist(), to.tolist(), codes.tolist(), strict=True):
            if c < 0:
                continue
            classes.setdefault(a, set()).add(c)
            classes.setdefault(b, set()).add(c)

    def node_class(node: str) -> int:
        got = classes.get(node, ())
        return next(iter(got)) if len(got) == 1 else -1

    # per node: class change, dangling end, isolated node (degree: links whose both ends exist)
    if len(asked_nodes):
        all_ends: set[str] = set()
        for layer, rows in around.items():
            frame = network[layer]
            all_ends |= set(_take(frame["from_node"], rows).tolist())
            all_ends |= set(_take(frame["to_node"], rows).tolist())
        known = set()
        all_arr = np.asarray(sorted(all_ends), dtype=object)
        for _layer, (pos, _rows) in _where(network, all_arr, NODE_LAYERS).items():
            known |= set(all_arr[pos].tolist())
        degree: dict[str, int] = {}
        for layer, rows in around.items():
            frame = network[layer]
            for a, b in zip(
                _take(frame["from_node"], rows).tolist(),
                _take(frame["to_node"], rows).tolist(),
                strict=True,
            ):
                if a in known and b in known:
                    degree[a] = degree.get(a, 0) + 1
                    degree[b] = degree.get(b, 0) + 1
        junctions = set(node_ids.get("junctions", np.empty(0, dtype=object)).tolist())
        for node in asked_nodes.tolist():
            if len(classes.get(node, ())) > 1:
                add("class_change_without_regulator", _CLASS_MEET_HERE, [node])
            d = degree.get(node, 0)
            if d == 0:
                add("isolated_node", _NO_LINK_HERE, [node])
            elif d == 1 and node in junctions:
                add("dangling_end", _BARE_JUNCTION, [node])

    # per link
    for layer, (_pos, rows) in link_at.items():
        frame = network[layer]
        lids = _take(frame["id"], rows)
        frm = _take(frame["from_node"], rows)
        to = _take(frame["to_node"], rows)
        unknown = ~exists(frm) | ~exists(to)
        add("unknown_node", _UNKNOWN_NODE_ONE, lids[unknown])
        if layer == "pipes":
            geoms = np.asarray(frame.geometry.array[rows], dtype=object)
            geom_len = shapely.length(geoms)
            length_attr = frame["length_m"].to_numpy()[rows]
            zero = (geom_len <= 1e-3) | (length_attr <= 1e-3)
            add("zero_length", _ZERO_ONE, lids[zero])
            if network.crs is None or not network.crs.is_geographic:
                diff = np.abs(geom_len - length_attr)
                add(
                    "length_mismatch",
                    _LENGTH_ONE,
                    lids[(diff > 1.0) & (diff > 0.05 * np.maximum(geom_len, length_attr)) & ~zero],
                )
            start, end = line_endpoints(geoms)
            for k in np.flatnonzero(~unknown):
                a, b = node_xy[frm[k]], node_xy[to[k]]
                gap = max(np.hypot(*(start[k] - a)), np.hypot(*(end[k] - b)))
                if gap > snap_tolerance:
                    add("unsnapped_endpoint", _GAP_ONE.format(gap=f"{gap:.3g}"), [lids[k]])
        elif layer in ("valves", "links"):
            for k in np.flatnonzero(~unknown):
                ca, cb = node_class(frm[k]), node_class(to[k])
                if ca >= 0 and cb >= 0 and ca != cb:
                    add("class_change_without_regulator", _VALVE_CLASSES if layer == "valves" else _LINK_CLASSES,
                        [lids[k]])  # fmt: skip
        elif layer == "regulators":
            categories = list(pipes["pressure_class"].cat.categories)
            code_of = {c: i for i, c in enumerate(categories)}
            inlet = _take(frame["inlet_class"], rows).astype(str)
            outlet = _take(frame["outlet_class"], rows).astype(str)
            for k in range(len(rows)):
                ca = node_class(frm[k]) if frm[k] in node_xy else -1
                cb = node_class(to[k]) if to[k] in node_xy else -1
                if (ca >= 0 and ca != code_of.get(inlet[k], -9)) or (cb >= 0 and cb != code_of.get(outlet[k], -9)):
                    add("regulator_class_mismatch", _REGULATOR_ONE, [lids[k]])

    # sensors, area of use, impossible values: per asked feature of every layer
    for layer, (_pos, rows) in _where(network, ids, list(network.layers)).items():
        frame = network[layer].iloc[rows]
        lids = frame["id"].to_numpy(dtype=object)
        if layer == "sensors":
            fid = frame["feature_id"].to_numpy(dtype=object)
            has = fid != ""
            unknown = has & ~network.has_ids(fid)
            add("unknown_sensor_feature", _SENSOR_ONE, lids[unknown])
        if network.crs is not None and network.crs.area_of_use is not None:
            geoms = np.asarray(frame.geometry.array, dtype=object)
            if LAYERS[layer].geometry == "LineString":
                a, b = line_endpoints(geoms)
                bad = outside_area_of_use(network.crs, a[:, 0], a[:, 1]) | outside_area_of_use(
                    network.crs, b[:, 0], b[:, 1]
                )
            else:
                xy = shapely.get_coordinates(geoms)
                bad = outside_area_of_use(network.crs, xy[:, 0], xy[:, 1])
            add("outside_area_of_use", _OUTSIDE_ONE.format(crs=network.crs.name), lids[bad])
        add("impossible_value", _IMPOSSIBLE_ONE, lids[_bad_values(frame, layer)])
    return out


def _duplicate_ids(network) -> list[Finding]:
    ids = pd.Series(np.concatenate([f["id"].to_numpy(dtype=object) for f in network.layers.values()]))
    dup = ids[ids.duplicated(keep=False)]
    if dup.empty:
        return []
    unique = pd.unique(dup)
    return [_finding("duplicate_id", _DUPLICATE_N.format(n=len(unique)), unique)]


def _unknown_nodes(network, topo) -> list[Finding]:
    bad = (topo.link_from < 0) | (topo.link_to < 0)
    if not bad.any():
        return []
    return [_finding("unknown_node", _UNKNOWN_NODE_N.format(n=int(bad.sum())), topo.link_ids[bad])]


def _pipe_geometry(network, topo, tolerance: float) -> list[Finding]:
    pipes = network["pipes"]
    if pipes.empty:
        return []
    out = []
    geoms = np.asarray(pipes.geometry.array, dtype=object)
    ids = pipes["id"].to_numpy(dtype=object)
    geom_len = shapely.length(geoms)
    length_attr = pipes["length_m"].to_numpy()
    zero = (geom_len <= 1e-3) | (length_attr <= 1e-3)
    if zero.any():
        out.append(_finding("zero_length", _ZERO_N.format(n=int(zero.sum())), ids[zero]))
    if network.crs is None or not network.crs.is_geographic:
        diff = np.abs(geom_len - length_attr)
        mismatch = (diff > 1.0) & (diff > 0.05 * np.maximum(geom_len, length_attr)) & ~zero
        if mismatch.any():
            out.append(
                _finding(
                    "length_mismatch",
                    _LENGTH_N.format(n=int(mismatch.sum())),
                    ids[mismatch],
                )
            )
    rows = topo.layer_links("pipes")
    frm, to = topo.link_from[rows], topo.link_to[rows]
    start, end = line_endpoints(geoms)
    known = (frm >= 0) & (to >= 0)
    d_start = np.full(len(rows), np.inf)
    d_end = np.full(len(rows), np.inf)
    d_start[known] = np.hypot(*(start[known] - topo.node_xy[frm[known]]).T)
    d_end[known] = np.hypot(*(end[known] - topo.node_xy[to[known]]).T)
    unsnapped = known & ((d_start > tolerance) | (d_end > tolerance))
    if unsnapped.any():
        worst = float(np.max(np.maximum(d_start, d_end)[unsnapped]))
        out.append(
            _finding(
                "unsnapped_endpoint",
                _GAP_N.format(n=int(unsnapped.sum()), gap=f"{worst:.3g}"),
                ids[unsnapped],
            )
        )
    return out


def _pressure_classes(network, topo) -> list[Finding]:
    pipes = network["pipes"]
    if pipes.empty:
        return []
    out = []
    rows = topo.layer_links("pipes")
    codes = pipes["pressure_class"].cat.codes.to_numpy().astype(np.int64)
    frm, to = topo.link_from[rows], topo.link_to[rows]
    node = np.concatenate([frm, to])
    cls = np.concatenate([codes, codes])
    keep = (node >= 0) & (cls >= 0)
    # Unique (node, class) pairs via one sorted int64 key: np.unique(axis=0) is far slower at millions of rows.
    key = np.sort(node[keep].astype(np.int64) * 16 + cls[keep])
    key = key[np.concatenate([[True], key[1:] != key[:-1]])] if len(key) else key
    pairs = np.stack([key // 16, key % 16], axis=1)
    n_classes = np.bincount(pairs[:, 0], minlength=topo.n_nodes)
    mixed = np.flatnonzero(n_classes > 1)
    categories = list(pipes["pressure_class"].cat.categories)
    if len(mixed):
        out.append(
            _finding(
                "class_change_without_regulator",
                _CLASS_NODES_N.format(n=len(mixed)),
                topo.node_ids[mixed],
            )
        )
    # The class each node is on (when its pipes agree): -1 where no pipe or mixed.
    node_class = np.full(topo.n_nodes, -1, np.int64)
    single = pairs[n_classes[pairs[:, 0]] == 1]
    node_class[single[:, 0]] = single[:, 1]
    # Valves and other links pass gas without reducing pressure: both ends must be on one class.
    for layer in ("valves", "links"):
        lrows = topo.layer_links(layer)
        if not len(lrows):
            continue
        a, b = topo.link_from[lrows], topo.link_to[lrows]
        ok = (a >= 0) & (b >= 0)
        ca = np.where(ok, node_class[np.maximum(a, 0)], -1)
        cb = np.where(ok, node_class[np.maximum(b, 0)], -1)
        bad = (ca >= 0) & (cb >= 0) & (ca != cb)
        if bad.any():
            out.append(
                _finding(
                    "class_change_without_regulator",
                    (_VALVES_CLASSES_N if layer == "valves" else _LINKS_CLASSES_N).format(n=int(bad.sum())),
                    topo.link_ids[lrows][bad],
                )
            )
    regs = network["regulators"]
    if len(regs):
        lrows = topo.layer_links("regulators")
        a, b = topo.link_from[lrows], topo.link_to[lrows]
        code_of = {c: i for i, c in enumerate(categories)}
        inlet = regs["inlet_class"].astype(str).map(code_of).to_numpy(dtype=float)
        outlet = regs["outlet_class"].astype(str).map(code_of).to_numpy(dtype=float)
        ca = np.where(a >= 0, node_class[np.maximum(a, 0)], -1)
        cb = np.where(b >= 0, node_class[np.maximum(b, 0)], -1)
        bad = ((ca >= 0) & (ca != inlet)) | ((cb >= 0) & (cb != outlet))
        if bad.any():
            out.append(
                _finding(
                    "regulator_class_mismatch",
                    _REGULATORS_N.format(n=int(bad.sum())),
                    regs["id"].to_numpy(dtype=object)[bad],
                )
            )
    return out


def _connectivity(network, topo) -> list[Finding]:
    out = []
    degree = topo.degree
    junction = topo.node_layer == NODE_LAYERS.index("junctions")
    dangling = junction & (degree == 1)
    if dangling.any():
        out.append(_finding("dangling_end", _DANGLING_N.format(n=int(dangling.sum())), topo.node_ids[dangling]))
    isolated = degree == 0
    if isolated.any():
        out.append(_finding("isolated_node", _ISOLATED_N.format(n=int(isolated.sum())), topo.node_ids[isolated]))
    if topo.n_components > 1:
        sizes = np.bincount(topo.component, minlength=topo.n_components)
        main = int(np.argmax(sizes))
        gate = topo.node_layer == NODE_LAYERS.index("gate_stations")
        fed = np.zeros(topo.n_components, bool)
        fed[topo.component[gate]] = True
        known = topo.link_from >= 0
        link_comp = np.full(topo.n_links, -1, np.int64)
        link_comp[known] = topo.component[topo.link_from[known]]
        node_order = np.argsort(topo.component, kind="stable")
        node_starts = np.searchsorted(topo.component[node_order], np.arange(topo.n_components + 1))
        link_order = np.argsort(link_comp, kind="stable")
        link_starts = np.searchsorted(link_comp[link_order], np.arange(topo.n_components + 1))
        # Largest first; a node with no link at all is reported as an isolated node instead.
        for comp in np.argsort(-sizes, kind="stable"):
            members = node_order[node_starts[comp] : node_starts[comp + 1]]
            links = link_order[link_starts[comp] : link_starts[comp + 1]]
            if comp == main or (len(members) == 1 and isolated[members[0]]):
                continue
            cut_off = _CUT_OFF_FED if fed[comp] else _CUT_OFF_UNFED
            out.append(
                _finding(
                    "disconnected_component",
                    cut_off.format(nodes=len(members), links=len(links)),
                    np.concatenate([topo.node_ids[members], topo.link_ids[links]]),
                )
            )
    return out


def _sensors(network) -> list[Finding]:
    sensors = network["sensors"]
    if sensors.empty:
        return []
    fid = sensors["feature_id"].to_numpy(dtype=object)
    has = fid != ""
    unknown = has & (network.id_index.positions(fid) < 0)
    if not unknown.any():
        return []
    return [
        _finding(
            "unknown_sensor_feature",
            _SENSORS_N.format(n=int(unknown.sum())),
            sensors["id"].to_numpy(dtype=object)[unknown],
        )
    ]


def _area_of_use(network) -> list[Finding]:
    if network.crs is None or network.crs.area_of_use is None:
        return []
    bad_ids = []
    for name, frame in network.layers.items():
        if frame.empty:
            continue
        geoms = np.asarray(frame.geometry.array, dtype=object)
        if LAYERS[name].geometry == "LineString":
            # Both ends of a line must be inside; checking ends keeps this vectorised at 1M pipes.
            a, b = line_endpoints(geoms)
            bad = outside_area_of_use(network.crs, a[:, 0], a[:, 1]) | outside_area_of_use(
                network.crs, b[:, 0], b[:, 1]
            )
        else:
            xy = shapely.get_coordinates(geoms)
            bad = outside_area_of_use(network.crs, xy[:, 0], xy[:, 1])
        if bad.any():
            bad_ids.append(frame["id"].to_numpy(dtype=object)[bad])
    if not bad_ids:
        return []
    ids = np.concatenate(bad_ids)
    aou = network.crs.area_of_use
    return [
        _finding(
            "outside_area_of_use",
            _OUTSIDE_N.format(
                n=len(ids),
                crs=network.crs.name,
                area=aou.name,
                west=f"{aou.west:.1f}",
                east=f"{aou.east:.1f}",
                south=f"{aou.south:.1f}",
                north=f"{aou.north:.1f}",
            ),
            ids,
        )
    ]
