"""Planner edits (编辑): add a pipe, insert a device on a pipe, move a node, reshape, delete — each one undo step.

Every edit here is a :class:`CompositeEdit`: it plans its row-level steps against the network as it is when it is
built (which ids to split, which nodes to snap to, which dependants go with a deletion) and then ``redo``/``undo``
run those steps forwards and backwards. Undo is exact: rows come back at their old positions with their old values,
so any sequence of edits undone gives back the network it started from, row for row.

Topology is kept by construction:

1. **Ends snap.** A pipe end within ``tolerance_m`` of a node joins that node; on a pipe (or one of its vertices) it
   splits that pipe there and the junction created joins both; anywhere else it gets a new junction.
2. **Devices split.** A valve or regulator inserted on a pipe cuts it in two, with the device between two junctions at
   the cut point (a device is a link: inlet side, outlet side); an end cap cuts it and caps both halves; a sensor
   splits it at a junction the sensor sits on.
3. **Ends follow.** Moving a node moves the pipe ends on it (and a device whose other node sits with it moves along).
4. **Dependants.** Deleting pipes takes the junctions left with nothing attached and the sensors on them along;
   deleting a node that links still use, or a regulator that still feeds pipes, is refused with a message naming
   them (:class:`EditRefused`).

>>> from tests.builders import chain
>>> net = chain(2)
>>> edit = InsertDevice(net, "P1", net["pipes"].geometry.iat[0].interpolate(40), "valves")
>>> edit.redo(); sorted(net["pipes"]["id"]), edit.created["valves"]
(['P1', 'P2', 'P3'], ['V1'])
>>> edit.undo(); sorted(net["pipes"]["id"])
['P1', 'P2']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from console.errors import GasOpsError, UnknownFeatureError
from console.network._edit import EditCommand, SetAttribute
from console.network._schema import LAYERS, LINK_LAYERS, NODE_LAYERS
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "DN_LIST",
    "AddPipe",
    "CompositeEdit",
    "DeleteFeatures",
    "EditRefused",
    "PROBLEMS_JOINED",
    "InsertDevice",
    "MoveFeature",
    "ReshapePipe",
    "SnapTarget",
    "SplitPipe",
    "attribute_problems",
    "dependants_of",
    "next_id",
    "parse_value",
    "snap",
]

#: Pipe attributes a new pipe takes from the pipe it starts on (unless set before drawing).
INHERITED = ("pressure_class", "dn", "inner_diameter_mm", "material", "roughness_mm", "status")
DEVICE_LAYERS = ("valves", "regulators")
ID_PREFIX = {
    "pipes": "P",
    "junctions": "J",
    "valves": "V",
    "regulators": "RX",
    "end_caps": "EC",
    "sensors": "S",
    "customers": "C",
    "risers": "R",
    "gate_stations": "GS",
    "links": "L",
}
CO_LOCATED_M = 1.0  # a device's two end nodes within this distance move (and heal) together


# Refusals: English templates (context "EditRefusals") filled with .format(); the UI shows them translated through
# ``console.ui.i18n_messages`` (EditRefused.MESSAGE_TEMPLATES). Layer words are templates too, for nested values.
_NOT_A_PIPE_SPLIT = QT_TRANSLATE_NOOP("EditRefusals", "{feature} is a {layer} feature, not a pipe: nothing to split")
_CUT_AT_END = QT_TRANSLATE_NOOP("EditRefusals", "{feature}: the cut is at an end of the pipe; snap to its node instead")
_TWO_VERTICES = QT_TRANSLATE_NOOP("EditRefusals", "a pipe needs at least two vertices with finite coordinates")
_BOTH_ENDS_ON = QT_TRANSLATE_NOOP("EditRefusals", "both ends of the new pipe lie on {feature}")
_SAME_ENDS = QT_TRANSLATE_NOOP("EditRefusals", "the new pipe would start and end at {feature}")
_ZERO_PIPE = QT_TRANSLATE_NOOP("EditRefusals", "the new pipe has zero length")
_NOT_ON_PIPE = QT_TRANSLATE_NOOP(
    "EditRefusals", "cannot insert a {layer} feature on a pipe (valves, regulators, end caps, sensors)"
)
_NOT_FINITE_POSITION = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature}: the new position ({x}, {y}) is not a finite coordinate"
)
_NOT_MOVABLE = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature} is a {layer} feature; move nodes, valves or regulators (reshape pipes)"
)
_NOT_A_PIPE_RESHAPE = QT_TRANSLATE_NOOP("EditRefusals", "{feature} is not a pipe: only pipes are reshaped")
_RESHAPE_VERTICES = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature}: a pipe needs at least two vertices with finite coordinates"
)
_RESHAPE_ENDS = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature}: reshaping keeps the ends on nodes {start} and {end}; move a node to move an end"
)
_NOTHING_SELECTED = QT_TRANSLATE_NOOP("EditRefusals", "nothing selected to delete")
_FEEDS_ONE = QT_TRANSLATE_NOOP(
    "EditRefusals", "regulator {feature} still feeds 1 {cls} pipe ({pipes}); delete or re-feed them first"
)
_FEEDS_MANY = QT_TRANSLATE_NOOP(
    "EditRefusals", "regulator {feature} still feeds {n} {cls} pipes ({pipes}); delete or re-feed them first"
)
_END_OF_ONE = QT_TRANSLATE_NOOP(
    "EditRefusals", "{kind} {feature} is still the end of 1 link ({links}); delete those first"
)
_END_OF_MANY = QT_TRANSLATE_NOOP(
    "EditRefusals", "{kind} {feature} is still the end of {n} links ({links}); delete those first"
)
_NOT_YES_NO = QT_TRANSLATE_NOOP("EditRefusals", "{column}: {value} is not yes/no")
_REQUIRED = QT_TRANSLATE_NOOP("EditRefusals", "{column} is required")
_NOT_A_NUMBER = QT_TRANSLATE_NOOP("EditRefusals", "{column}: {value} is not a number")
_NOT_FINITE = QT_TRANSLATE_NOOP("EditRefusals", "{column}: {value} is not a finite number")
_NOT_WHOLE = QT_TRANSLATE_NOOP("EditRefusals", "{column}: {value} is not a whole number")
_NOT_ONE_OF = QT_TRANSLATE_NOOP("EditRefusals", "{column}: {value} is not one of {allowed}")
_DIAMETERS_POSITIVE = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature}: DN and inner diameter must be positive (DN {dn}, inner {inner} mm)"
)
_DIAMETERS_DISAGREE = QT_TRANSLATE_NOOP(
    "EditRefusals", "{feature}: inner diameter {inner} mm does not agree with DN {dn}"
)
_LENGTH_POSITIVE = QT_TRANSLATE_NOOP("EditRefusals", "{feature}: length must be positive")
_CLASS_NEEDS_REGULATOR = QT_TRANSLATE_NOOP(
    "EditRefusals",
    "a class change needs a regulator: {pipe} at {node} stays {cls} (insert a regulator between them first)",
)
_DN_NEGATIVE = QT_TRANSLATE_NOOP("EditRefusals", "{feature}: DN must not be negative")
#: Several problems of one entry, joined (``attribute_problems``' list as one refusal).
PROBLEMS_JOINED = QT_TRANSLATE_NOOP("EditRefusals", "{problem}; {more}")
#: The layer words refusals name (``LAYERS[layer].label.lower()`` and its singular), translated as nested values.
_LAYER_WORDS = (
    QT_TRANSLATE_NOOP("EditRefusals", "junctions"), QT_TRANSLATE_NOOP("EditRefusals", "gate stations"),
    QT_TRANSLATE_NOOP("EditRefusals", "customers / meters"), QT_TRANSLATE_NOOP("EditRefusals", "risers"),
    QT_TRANSLATE_NOOP("EditRefusals", "end caps"), QT_TRANSLATE_NOOP("EditRefusals", "pipes"),
    QT_TRANSLATE_NOOP("EditRefusals", "valves"), QT_TRANSLATE_NOOP("EditRefusals", "regulators"),
    QT_TRANSLATE_NOOP("EditRefusals", "other links"), QT_TRANSLATE_NOOP("EditRefusals", "sensors"),
    QT_TRANSLATE_NOOP("EditRefusals", "junction"), QT_TRANSLATE_NOOP("EditRefusals", "gate station"),
    QT_TRANSLATE_NOOP("EditRefusals", "customers / meter"), QT_TRANSLATE_NOOP("EditRefusals", "riser"),
    QT_TRANSLATE_NOOP("EditRefusals", "end cap"),
)  # fmt: skip
MESSAGE_TEMPLATES = (
    _NOT_A_PIPE_SPLIT, _CUT_AT_END, _TWO_VERTICES, _BOTH_ENDS_ON, _SAME_ENDS, _ZERO_PIPE, _NOT_ON_PIPE,
    _NOT_FINITE_POSITION, _NOT_MOVABLE, _NOT_A_PIPE_RESHAPE, _RESHAPE_VERTICES, _RESHAPE_ENDS, _NOTHING_SELECTED,
    _FEEDS_ONE, _FEEDS_MANY, _END_OF_ONE, _END_OF_MANY, _NOT_YES_NO, _REQUIRED, _NOT_A_NUMBER, _NOT_FINITE,
    _NOT_WHOLE, _NOT_ONE_OF, _DIAMETERS_POSITIVE, _DIAMETERS_DISAGREE, _LENGTH_POSITIVE, _CLASS_NEEDS_REGULATOR,
    _DN_NEGATIVE, PROBLEMS_JOINED, *_LAYER_WORDS,
)  # fmt: skip


class EditRefused(GasOpsError):
    """An edit that would break the network: names the feature and why (nothing was changed).

    ``MESSAGE_TEMPLATES``: the marked English templates (context "EditRefusals") the messages are built from.
    """

    MESSAGE_TEMPLATES = MESSAGE_TEMPLATES

    def __init__(self, feature_id: str, message: str) -> None:
        self.feature_id = feature_id
        super().__init__(message)


# -- row-level steps (exact undo) -------------------------------------------------------------------------------------
def _install(network, layer: str, frame: gpd.GeoDataFrame, keep: int) -> None:
    # A step of this package writes the layer table directly: GasNetwork.add/remove_features re-check things the
    # planned edit already checked, and would append restored rows at the end instead of at their old positions.
    # ``keep``: the leading rows left where they were (the network's id lookup stays valid for them).
    network.install_layer(layer, frame, keep=keep, same_values=True)


@dataclass
class InsertRows(EditCommand):
    """Append rows (coerced to the schema) to a layer; undo drops them again."""

    network: Any
    layer: str
    frame: pd.DataFrame
    # After an undo: the layer with the rows (``_with``) and the layer the undo left (``_without``, a slice of it
    # sharing its buffers). A redo that finds ``_without`` still in place puts ``_with`` back: no copy at all.
    _with: Any = field(default=None, init=False, repr=False)
    _without: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.text = f"add {len(self.frame)} {self.layer}"

    def redo(self) -> None:
        if self._without is not None and self.network[self.layer] is self._without:
            _install(self.network, self.layer, self._with, len(self._without))
        else:
            self.network.add_features(self.layer, self.frame)
        self._with = self._without = None

    def undo(self) -> None:
        frame = self.network[self.layer]
        n = len(frame) - len(self.frame)
        without = frame.iloc[:n].reset_index(drop=True)
        _install(self.network, self.layer, without, n)
        self._with, self._without = frame, without

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"layer": self.layer, "ids": self.frame["id"].astype(str).tolist()}


@dataclass
class DeleteRows(EditCommand):
    """Remove rows by id; undo puts them back at the positions they had."""

    network: Any
    layer: str
    feature_ids: list[str]
    _rows: np.ndarray | None = field(default=None, init=False, repr=False)
    _removed: gpd.GeoDataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.feature_ids = list(self.feature_ids)
        self.text = f"delete {len(self.feature_ids)} {self.layer}"

    def redo(self) -> None:
        frame = self.network[self.layer]
        rows = np.sort(self.network.rows_of(self.layer, self.feature_ids))
        if (rows < 0).any():
            missing = sorted(set(self.feature_ids) - set(frame["id"]))
            raise UnknownFeatureError(missing[0], f"layer {self.layer!r}")
        keep = np.ones(len(frame), dtype=bool)
        keep[rows] = False
        self._rows, self._removed = rows, frame.iloc[rows]
        _retire(self.network, self.feature_ids)
        _install(
            self.network,
            self.layer,
            frame.iloc[np.flatnonzero(keep)].reset_index(drop=True),
            int(rows[0]) if len(rows) else len(frame),
        )

    def undo(self) -> None:
        assert self._rows is not None and self._removed is not None
        frame = self.network[self.layer]
        n = len(frame) + len(self._rows)
        order = np.empty(n, dtype=np.int64)
        back = np.zeros(n, dtype=bool)
        back[self._rows] = True
        order[~back] = np.arange(len(frame))
        order[back] = len(frame) + np.arange(len(self._rows))
        both = pd.concat([frame, self._removed], ignore_index=True) if len(frame) else self._removed
        restored = gpd.GeoDataFrame(both.iloc[order].reset_index(drop=True), geometry="geometry", crs=frame.crs)
        _install(self.network, self.layer, restored, int(self._rows[0]) if len(self._rows) else len(frame))

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"layer": self.layer, "ids": self.feature_ids}


def _appends_first(steps: list[EditCommand]) -> list[EditCommand]:
    """The steps of an edit that only adds rows and sets values, the appends first (order among each kept).

    Equivalent (appended rows come with their final values; the values set name features by id), and it lets an
    undo-then-redo reuse the layers as they were (see ``InsertRows``) instead of appending again.
    """
    return [s for s in steps if isinstance(s, InsertRows)] + [s for s in steps if not isinstance(s, InsertRows)]


class CompositeEdit(EditCommand):
    """Several steps as one undo step: ``redo`` runs them in order, ``undo`` in reverse.

    ``created`` lists the ids the edit added, by layer (the UI selects them; the tests check them).
    """

    def __init__(self, text: str, steps: Iterable[EditCommand] = ()) -> None:
        self.text = text
        self.steps: list[EditCommand] = list(steps)
        self.created: dict[str, list[str]] = {}
        self._done = 0

    def redo(self) -> None:
        done = 0
        try:
            for step in self.steps:
                step.redo()
                done += 1
        except Exception:
            for step in reversed(self.steps[:done]):  # a step failed: leave the network as it was
                step.undo()
            raise

    def undo(self) -> None:
        for step in reversed(self.steps):
            step.undo()

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"steps": [s.describe() for s in self.steps]}


# -- helpers ------------------------------------------------------------------------------------------------------------
_NUMBERED = re.compile(r"^(.*?)(\d+)$")
_RETIRED = "\0retired"  # key in network._id_tops: the ids deleted from this network (and its snapshots' ancestors)


def _retire(network, ids: Iterable[str]) -> None:
    """Remember ``ids`` as deleted: :func:`next_id` never hands them out again on this network or its snapshots.

    Ids share one namespace across layers, and a change set is applied to the master, where a deleted feature still
    holds its id until the change set's own delete: a new feature given a freed id would be a delete plus an add of
    one id (an insert-insert conflict with the master, or a deleted feature's history continued by a new one). A
    frozenset replaced, never mutated, so a snapshot (which copies ``_id_tops`` shallowly) keeps its own."""
    network._id_tops[_RETIRED] = network._id_tops.get(_RETIRED, frozenset()) | frozenset(map(str, ids))


def next_id(network, layer: str, taken: Iterable[str] = ()) -> str:
    """A fresh id in ``layer``'s style: the largest number used there plus one, zero-padded as its ids are.

    >>> from tests.builders import chain
    >>> next_id(chain(3), "pipes"), next_id(chain(3), "valves")
    ('P4', 'V1')
    """
    ids = network[layer]["id"]
    # The largest numbered id is remembered per layer and only rows appended since are scanned: a million-pipe layer
    # is read once, not at every edit. It never goes down (an id an undone edit used is not handed out again), and
    # every candidate is checked against the whole network, so a stale memory costs a skipped number at most.
    memo = network._id_tops.get(layer)
    scanned, prefix, width, top = memo if memo is not None else (0, ID_PREFIX.get(layer, layer[:2].upper()), 0, 0)
    if len(ids) > scanned:
        found = _top_numbered(ids.iloc[scanned:])
        if found is not None and found[2] > top:
            prefix, width, top = found
        scanned = len(ids)
    network._id_tops[layer] = (scanned, prefix, width, top)
    taken = set(taken)
    retired = network._id_tops.get(_RETIRED, frozenset())
    while True:
        top += 1
        candidate = f"{prefix}{top:0{width}d}"
        if candidate not in taken and candidate not in retired and not network.has_ids([candidate])[0]:
            return candidate


def _top_numbered(ids: pd.Series) -> tuple[str, int, int] | None:
    """(prefix, digits, number) of the id ending in the largest number (None: no id ends in digits); in arrow's
    compute kernels (a million ids in a fraction of a second), pandas' for numbers past 64 bits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = (
            pa.chunked_array([pa.array(ids.astype(str).array)])
            if not hasattr(ids.array, "__arrow_array__")
            else (ids.array.__arrow_array__())
        )
        parts = pc.extract_regex(text, r"^(?P<prefix>(?:.*\D)?)(?P<number>\d+)$")
        numbers = pc.cast(pc.struct_field(parts, "number"), pa.int64())
        if numbers.null_count == len(numbers):
            return None
        k = int(pc.index(numbers, pc.max(numbers)).as_py())
        digits = pc.struct_field(parts, "number")[k].as_py()
        return pc.struct_field(parts, "prefix")[k].as_py(), len(digits), int(digits)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        parts = ids.astype(str).str.extract(r"^(.*?)(\d+)$")
        numbers = pd.to_numeric(parts[1], errors="coerce")
        if not numbers.notna().any():
            return None
        k = int(np.nanargmax(numbers.to_numpy(dtype=float)))
        return str(parts[0].iat[k]), len(str(parts[1].iat[k])), int(numbers.iat[k])


class _Ids:
    """Fresh ids for one planned edit (several new features of a layer before any is added)."""

    def __init__(self, network) -> None:
        self.network = network
        self.taken: set[str] = set()

    def __call__(self, layer: str) -> str:
        new = next_id(self.network, layer, self.taken)
        self.taken.add(new)
        return new


def _row(network, feature_id: str) -> tuple[str, int]:
    return network.locate(feature_id)


def _node_xy(network, node_id: str) -> tuple[float, float]:
    layer, row = network.locate(node_id)
    g = network[layer].geometry.iat[row]
    return (g.x, g.y)


def _links_at(network, node_ids: Iterable[str]) -> dict[str, list[str]]:
    """Layer → ids of the links with an end at one of ``node_ids``."""
    wanted = list(node_ids)
    out: dict[str, list[str]] = {}
    for layer in LINK_LAYERS:
        links = network[layer]
        if not len(links):
            continue
        hit = (links["from_node"].isin(wanted) | links["to_node"].isin(wanted)).to_numpy()
        if hit.any():
            out[layer] = links["id"][hit].astype(str).tolist()
    return out


def _frame(network, layer: str, rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)


def _pipe_attrs(network, row: int) -> dict[str, Any]:
    pipe = network["pipes"].iloc[row]
    out = {}
    for col in LAYERS["pipes"].columns:
        value = pipe[col.name]
        out[col.name] = value.item() if hasattr(value, "item") else value
    return out


def _scaled_length(old_length_m: float, old_geom, new_geom) -> float:
    """A pipe's recorded length after its geometry changed: surveyed lengths keep their ratio to the drawing."""
    old = float(shapely.length(old_geom))
    new = float(shapely.length(new_geom))
    if not np.isfinite(old_length_m) or old <= 0:
        return new
    return float(old_length_m) * new / old


# -- snapping ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapTarget:
    """What a point snaps to: a node, a pipe vertex, a point on a pipe, or nothing (``kind`` "none")."""

    kind: str  # "node" | "vertex" | "pipe" | "none"
    x: float
    y: float
    feature_id: str = ""
    layer: str = ""
    distance: float = 0.0


def snap(network, x: float, y: float, tolerance: float, *, pipes: bool = True) -> SnapTarget:
    """Snap (x, y) within ``tolerance`` map units: nodes first, then pipe vertices, then the nearest point on a pipe.

    Lookups go through the network's grid index (built once per version), so a snap costs the features near the
    cursor, not the size of the network.
    """
    spatial = network.spatial
    hit = spatial.nearest(x, y, tolerance, layers=NODE_LAYERS)
    if hit is not None:
        g = network[hit.layer].geometry.iat[hit.row]
        return SnapTarget("node", g.x, g.y, hit.feature_id, hit.layer, hit.distance)
    if not pipes or not len(network["pipes"]):
        return SnapTarget("none", x, y)
    rows, dist = spatial.grid("pipes").within(x, y, tolerance)
    if not len(rows):
        return SnapTarget("none", x, y)
    k = int(np.argmin(dist))
    row = int(rows[k])
    line = network["pipes"].geometry.iat[row]
    pid = str(network["pipes"]["id"].iat[row])
    coords = shapely.get_coordinates(line)
    vd = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
    j = int(np.argmin(vd))
    if vd[j] <= tolerance:
        return SnapTarget("vertex", float(coords[j, 0]), float(coords[j, 1]), pid, "pipes", float(vd[j]))
    p = line.interpolate(line.project(shapely.Point(x, y)))
    return SnapTarget("pipe", p.x, p.y, pid, "pipes", float(dist[k]))


# -- split -------------------------------------------------------------------------------------------------------------
def _split_steps(network, pipe_id: str, point, ids: _Ids, *, tolerance: float = 0.01):
    """Steps that cut ``pipe_id`` at the point of it nearest ``point``: (steps, new pipe id, cut point, pipe attrs).

    The first half keeps the pipe's id and from-node; the second half gets a new id and the to-node. Lengths are
    shared in proportion to the drawing. Cutting within ``tolerance`` of an end is refused (use the end node).
    """
    layer, row = _row(network, pipe_id)
    if layer != "pipes":
        raise EditRefused(pipe_id, _NOT_A_PIPE_SPLIT.format(feature=pipe_id, layer=LAYERS[layer].label.lower()))
    line = network["pipes"].geometry.iat[row]
    at = float(line.project(point if isinstance(point, shapely.Point) else shapely.Point(*point)))
    total = float(line.length)
    if at <= tolerance or at >= total - tolerance:
        raise EditRefused(pipe_id, _CUT_AT_END.format(feature=pipe_id))
    cut = line.interpolate(at)
    first = substring(line, 0.0, at)
    second = substring(line, at, total)
    # The halves must meet exactly at the cut and end exactly where the pipe did.
    c1, c2 = np.asarray(first.coords), np.asarray(second.coords)
    c1[-1] = c2[0] = (cut.x, cut.y)
    c1[0], c2[-1] = line.coords[0], line.coords[-1]
    first, second = shapely.LineString(c1), shapely.LineString(c2)
    attrs = _pipe_attrs(network, row)
    length = float(attrs["length_m"])
    new_pipe = ids("pipes")
    return (
        [
            SetAttribute(network, "pipes", [pipe_id], "geometry", [first]),
            SetAttribute(network, "pipes", [pipe_id], "length_m", _scaled_length(length, line, first)),
        ],
        new_pipe,
        cut,
        attrs | {"geometry": second, "length_m": _scaled_length(length, line, second)},
    )


class SplitPipe(CompositeEdit):
    """Cut a pipe at a point with a new junction (the second half gets a new pipe id)."""

    def __init__(self, network, pipe_id: str, point, *, elevation_m: float | None = None) -> None:
        super().__init__(f"split {pipe_id}")
        ids = _Ids(network)
        steps, new_pipe, cut, second = _split_steps(network, pipe_id, point, ids)
        junction = ids("junctions")
        old_to = second["to_node"]
        steps.append(SetAttribute(network, "pipes", [pipe_id], "to_node", junction))
        steps.append(
            InsertRows(network, "junctions", _frame(network, "junctions", [_junction(junction, cut, elevation_m)]))
        )
        steps.append(
            InsertRows(
                network,
                "pipes",
                _frame(network, "pipes", [second | {"id": new_pipe, "from_node": junction, "to_node": old_to}]),
            )
        )
        self.steps = _appends_first(steps)
        self.created = {"junctions": [junction], "pipes": [new_pipe]}
        self.junction_id = junction


def _junction(junction_id: str, point, elevation_m: float | None = None) -> dict:
    row = {"id": junction_id, "geometry": shapely.Point(point.x, point.y)}
    if elevation_m is not None:
        row["elevation_m"] = elevation_m
    return row


# -- add a pipe -------------------------------------------------------------------------------------------------------
class AddPipe(CompositeEdit):
    """Draw a pipe through ``vertices``; each end joins the node or pipe it lies on (see the module's rules).

    ``attrs`` set before drawing win; otherwise a pipe starting on a pipe (or on a node with pipes) inherits its
    pressure class, DN, inner diameter, material, roughness and status; ``length_m`` is the drawn length.
    """

    def __init__(self, network, vertices, attrs: Mapping[str, Any] | None = None, *, tolerance: float = 0.01) -> None:
        coords = np.asarray(vertices, dtype=float).reshape(-1, 2)
        if len(coords) < 2 or not np.isfinite(coords).all():
            raise EditRefused("", _TWO_VERTICES)
        super().__init__("add pipe")
        ids = _Ids(network)
        ends: list[str] = []
        inherited: dict[str, Any] = {}
        steps: list[EditCommand] = []
        adds: dict[str, list[dict]] = {"junctions": [], "pipes": []}
        for k in (0, -1):
            target = snap(network, coords[k, 0], coords[k, 1], tolerance)
            if target.kind == "node":
                ends.append(target.feature_id)
                coords[k] = (target.x, target.y)
                at = _links_at(network, [target.feature_id]).get("pipes", [])
                if at and not inherited:
                    inherited = _pipe_attrs(network, _row(network, at[0])[1])
            elif target.kind in ("vertex", "pipe"):
                if (
                    k == -1
                    and ends
                    and target.feature_id in [s.feature_ids[0] for s in steps if isinstance(s, SetAttribute)]
                ):
                    raise EditRefused(target.feature_id, _BOTH_ENDS_ON.format(feature=target.feature_id))
                split, new_pipe, cut, second = _split_steps(
                    network, target.feature_id, shapely.Point(target.x, target.y), ids
                )
                junction = ids("junctions")
                steps += split
                steps.append(SetAttribute(network, "pipes", [target.feature_id], "to_node", junction))
                adds["junctions"].append(_junction(junction, cut))
                adds["pipes"].append(second | {"id": new_pipe, "from_node": junction})
                ends.append(junction)
                coords[k] = (cut.x, cut.y)
                if not inherited:
                    inherited = _pipe_attrs(network, _row(network, target.feature_id)[1])
                self.created.setdefault("pipes", []).append(new_pipe)
                self.created.setdefault("junctions", []).append(junction)
            else:
                junction = ids("junctions")
                adds["junctions"].append(_junction(junction, shapely.Point(*coords[k])))
                ends.append(junction)
                self.created.setdefault("junctions", []).append(junction)
        if ends[0] == ends[1]:
            raise EditRefused(ends[0], _SAME_ENDS.format(feature=ends[0]))
        line = shapely.LineString(coords)
        if line.length <= 0:
            raise EditRefused("", _ZERO_PIPE)
        attrs = dict(attrs or {})
        pipe_id = attrs.pop("id", None) or ids("pipes")
        row = {c: inherited[c] for c in INHERITED if c in inherited}
        row.setdefault("pressure_class", "LP")
        row.setdefault("dn", 110)
        row.setdefault("inner_diameter_mm", _inner_diameter_default(row["dn"]))
        row |= attrs
        row |= {"id": pipe_id, "from_node": ends[0], "to_node": ends[1], "geometry": line}
        row.setdefault("length_m", float(line.length))
        adds["pipes"].append(row)
        for layer in ("junctions", "pipes"):
            if adds[layer]:
                steps.append(InsertRows(network, layer, _frame(network, layer, adds[layer])))
        self.steps = _appends_first(steps)
        self.created.setdefault("pipes", []).append(pipe_id)
        self.pipe_id = pipe_id


def _inner_diameter_default(dn: int) -> float:
    """PE SDR11 bore for a DN (outside diameter, mm): what a planner's new PE main is unless told otherwise."""
    return round(float(dn) * (1 - 2 / 11), 1)


# -- insert a device --------------------------------------------------------------------------------------------------
class InsertDevice(CompositeEdit):
    """Put a valve, regulator, end cap or sensor on a pipe at ``point``, cutting the pipe there.

    valves / regulators
        pipe → junction A → device → junction B → rest of the pipe (A and B at the cut point; a regulator's inlet
        class is the pipe's, its outlet class one below unless given).
    end_caps
        the pipe is cut and both halves end on an end cap.
    sensors
        the pipe is split at a junction and the sensor sits on that junction.
    """

    def __init__(self, network, pipe_id: str, point, layer: str, attrs: Mapping[str, Any] | None = None) -> None:
        if layer not in ("valves", "regulators", "end_caps", "sensors"):
            raise EditRefused(pipe_id, _NOT_ON_PIPE.format(layer=LAYERS[layer].label.lower()))
        super().__init__(f"insert {layer[:-1].replace('_', ' ')} on {pipe_id}")
        ids = _Ids(network)
        steps, new_pipe, cut, second = _split_steps(network, pipe_id, point, ids)
        attrs = dict(attrs or {})
        device_id = attrs.pop("id", None) or ids(layer)
        old_to = second["to_node"]
        inserts: dict[str, list[dict]] = {}
        if layer in DEVICE_LAYERS:
            a, b = ids("junctions"), ids("junctions")
            inserts["junctions"] = [_junction(a, cut), _junction(b, cut)]
            device = {"id": device_id, "from_node": a, "to_node": b, "geometry": shapely.Point(cut.x, cut.y)}
            if layer == "regulators":
                inlet = second["pressure_class"]
                from console.network._schema import PressureClass

                rank = PressureClass(inlet).rank
                outlet = list(PressureClass)[max(rank - 1, 0)].value
                device |= {"inlet_class": inlet, "outlet_class": outlet,
                           "set_outlet_pressure_mpa": min(PressureClass(outlet).range_mpa[1], 0.002 if outlet == "LP" else PressureClass(outlet).range_mpa[1] * 0.8)}  # fmt: skip
            else:
                device["dn"] = int(second["dn"])
            inserts[layer] = [device | attrs]
            first_end, second_start = a, b
        elif layer == "end_caps":
            a, b = device_id, ids("end_caps")
            inserts["end_caps"] = [_junction(a, cut) | attrs, _junction(b, cut)]
            first_end, second_start = a, b
        else:
            j = ids("junctions")
            inserts["junctions"] = [_junction(j, cut)]
            inserts["sensors"] = [
                {"kind": "pressure", "unit": "kPa"}
                | attrs
                | {"id": device_id, "feature_id": j, "geometry": shapely.Point(cut.x, cut.y)}
            ]
            first_end = second_start = j
        steps.append(SetAttribute(network, "pipes", [pipe_id], "to_node", first_end))
        inserts["pipes"] = [second | {"id": new_pipe, "from_node": second_start, "to_node": old_to}]
        for lname in ("junctions", "end_caps", "pipes", "valves", "regulators", "sensors"):
            if lname in inserts:
                steps.append(InsertRows(network, lname, _frame(network, lname, inserts[lname])))
                self.created[lname] = [r["id"] for r in inserts[lname]]
        self.steps = _appends_first(steps)
        self.device_id = device_id


# -- move --------------------------------------------------------------------------------------------------------------
def _co_located_group(network, node_id: str) -> tuple[list[str], list[tuple[str, str]]]:
    """``node_id`` with the device links at it whose other node sits with it (and those nodes, transitively)."""
    nodes, devices = [node_id], []
    x0, y0 = _node_xy(network, node_id)
    k = 0
    while k < len(nodes):
        at = _links_at(network, [nodes[k]])
        for layer in DEVICE_LAYERS:
            for dev in at.get(layer, []):
                if (layer, dev) in devices:
                    continue
                row = _row(network, dev)[1]
                frame = network[layer]
                for other in (str(frame["from_node"].iat[row]), str(frame["to_node"].iat[row])):
                    if other in nodes:
                        continue
                    try:
                        ox, oy = _node_xy(network, other)
                    except UnknownFeatureError:
                        continue
                    if np.hypot(ox - x0, oy - y0) <= CO_LOCATED_M:
                        nodes.append(other)
                devices.append((layer, dev))
        k += 1
    return nodes, devices


class MoveFeature(CompositeEdit):
    """Move a node (or a valve/regulator with its two end nodes) to (x, y); the pipe ends on them follow.

    Pipes keep their inner vertices; their recorded length changes in proportion to the drawing. Consecutive moves of
    the same feature (a drag) merge into one undo step.
    """

    def __init__(self, network, feature_id: str, x: float, y: float) -> None:
        if not (np.isfinite(x) and np.isfinite(y)):
            raise EditRefused(feature_id, _NOT_FINITE_POSITION.format(feature=feature_id, x=x, y=y))
        super().__init__(f"move {feature_id}")
        self.network, self.feature_id, self.x, self.y = network, feature_id, float(x), float(y)
        self.steps = self._plan()

    def _plan(self) -> list[EditCommand]:
        network, feature_id = self.network, self.feature_id
        layer, row = _row(network, feature_id)
        if layer in NODE_LAYERS:
            anchor = feature_id
        elif layer in DEVICE_LAYERS:
            anchor = str(network[layer]["from_node"].iat[row])
        else:
            raise EditRefused(
                feature_id,
                _NOT_MOVABLE.format(feature=feature_id, layer=LAYERS[layer].label.lower()),
            )
        ax, ay = (network[layer].geometry.iat[row].x, network[layer].geometry.iat[row].y)
        dx, dy = self.x - ax, self.y - ay
        nodes, devices = _co_located_group(network, anchor)
        steps: list[EditCommand] = []
        new_xy: dict[str, tuple[float, float]] = {}
        for node in nodes:
            nl, nr = _row(network, node)
            g = network[nl].geometry.iat[nr]
            new_xy[node] = (g.x + dx, g.y + dy)
            steps.append(SetAttribute(network, nl, [node], "geometry", [shapely.Point(*new_xy[node])]))
        for dl, dev in devices:
            g = network[dl].geometry.iat[_row(network, dev)[1]]
            steps.append(SetAttribute(network, dl, [dev], "geometry", [shapely.Point(g.x + dx, g.y + dy)]))
        pipes = network["pipes"]
        hit = np.flatnonzero((pipes["from_node"].isin(nodes) | pipes["to_node"].isin(nodes)).to_numpy())
        for r in hit:
            pid = str(pipes["id"].iat[r])
            line = pipes.geometry.iat[r]
            c = np.asarray(line.coords)
            if str(pipes["from_node"].iat[r]) in new_xy:
                c[0] = new_xy[str(pipes["from_node"].iat[r])]
            if str(pipes["to_node"].iat[r]) in new_xy:
                c[-1] = new_xy[str(pipes["to_node"].iat[r])]
            new = shapely.LineString(c)
            steps.append(SetAttribute(network, "pipes", [pid], "geometry", [new]))
            steps.append(
                SetAttribute(
                    network, "pipes", [pid], "length_m", _scaled_length(float(pipes["length_m"].iat[r]), line, new)
                )
            )
        return steps

    def merge_with(self, other: EditCommand) -> bool:
        # A drag: one undo step from where the feature was to where it was dropped. The merged steps are the first
        # move's undo data with the last move's targets, so undo still lands exactly on the start.
        if not (
            isinstance(other, MoveFeature) and other.network is self.network and other.feature_id == self.feature_id
        ):
            return False
        by_key = {(s.layer, tuple(s.feature_ids), s.column): s for s in self.steps if isinstance(s, SetAttribute)}
        for s in other.steps:
            if not isinstance(s, SetAttribute):
                return False
            mine = by_key.get((s.layer, tuple(s.feature_ids), s.column))
            if mine is None:
                return False
            mine.new_values = s.new_values
        self.x, self.y = other.x, other.y
        return True


# -- reshape -------------------------------------------------------------------------------------------------------------
class ReshapePipe(CompositeEdit):
    """Give a pipe new vertices; its ends stay on its nodes (move the node to move an end)."""

    def __init__(self, network, pipe_id: str, vertices, *, tolerance: float = 0.01) -> None:
        layer, row = _row(network, pipe_id)
        if layer != "pipes":
            raise EditRefused(pipe_id, _NOT_A_PIPE_RESHAPE.format(feature=pipe_id))
        coords = np.asarray(vertices, dtype=float).reshape(-1, 2)
        if len(coords) < 2 or not np.isfinite(coords).all():
            raise EditRefused(pipe_id, _RESHAPE_VERTICES.format(feature=pipe_id))
        pipes = network["pipes"]
        old = pipes.geometry.iat[row]
        ends = np.asarray(old.coords)[[0, -1]]
        if np.hypot(*(coords[0] - ends[0])) > tolerance or np.hypot(*(coords[-1] - ends[1])) > tolerance:
            raise EditRefused(
                pipe_id,
                _RESHAPE_ENDS.format(feature=pipe_id, start=pipes["from_node"].iat[row], end=pipes["to_node"].iat[row]),
            )
        coords[0], coords[-1] = ends[0], ends[1]
        new = shapely.LineString(coords)
        super().__init__(f"reshape {pipe_id}")
        self.steps = [
            SetAttribute(network, "pipes", [pipe_id], "geometry", [new]),
            SetAttribute(
                network, "pipes", [pipe_id], "length_m", _scaled_length(float(pipes["length_m"].iat[row]), old, new)
            ),
        ]


# -- delete --------------------------------------------------------------------------------------------------------------
def dependants_of(network, regulator_id: str) -> list[str]:
    """The pipes a regulator feeds: those reached from its outlet without passing another device."""
    frame = network["regulators"]
    row = _row(network, regulator_id)[1]
    start = str(frame["to_node"].iat[row])
    pipes = network["pipes"]
    frm = pipes["from_node"].to_numpy(dtype=object)
    to = pipes["to_node"].to_numpy(dtype=object)
    adjacency: dict[str, list[int]] = {}
    for i, (a, b) in enumerate(zip(frm, to, strict=True)):
        adjacency.setdefault(a, []).append(i)
        adjacency.setdefault(b, []).append(i)
    seen_nodes, seen_pipes, todo = {start}, set(), [start]
    while todo:
        node = todo.pop()
        for i in adjacency.get(node, ()):
            if i in seen_pipes:
                continue
            seen_pipes.add(i)
            for other in (frm[i], to[i]):
                if other not in seen_nodes:
                    seen_nodes.add(other)
                    todo.append(other)
    return [str(pipes["id"].iat[i]) for i in sorted(seen_pipes)]


class DeleteFeatures(CompositeEdit):
    """Delete features with their dependants, or refuse naming what still depends on them.

    * pipes and other links: the junctions left with nothing attached and the sensors on what goes go along;
    * a valve whose two nodes sit together: the gap heals (pipes on its outlet node move to its inlet node);
    * a regulator that still feeds pipes, or a node still used by links that stay: refused (:class:`EditRefused`).
    """

    def __init__(self, network, feature_ids: Iterable[str]) -> None:
        wanted = list(dict.fromkeys(feature_ids))
        if not wanted:
            raise EditRefused("", _NOTHING_SELECTED)
        super().__init__(f"delete {', '.join(wanted[:3])}{' …' if len(wanted) > 3 else ''}")
        by_layer: dict[str, list[str]] = {}
        for fid in wanted:
            by_layer.setdefault(_row(network, fid)[0], []).append(fid)
        steps: list[EditCommand] = []
        gone = set(wanted)
        # Regulators still feeding pipes are refused; valves with co-located nodes heal.
        for reg in by_layer.get("regulators", []):
            fed = [p for p in dependants_of(network, reg) if p not in gone]
            if fed:
                classes = network["pipes"].set_index("id").loc[fed, "pressure_class"].astype(str)
                cls = classes.mode().iat[0]
                listed = f"{', '.join(fed[:3])}{' …' if len(fed) > 3 else ''}"
                raise EditRefused(reg, (_FEEDS_MANY if len(fed) > 1 else _FEEDS_ONE).format(
                    feature=reg, n=len(fed), cls=cls, pipes=listed))  # fmt: skip
        healed: list[str] = []
        received: set[str] = set()  # inlet nodes the healed pipes now end at: in use, whatever else goes
        for valve in by_layer.get("valves", []):
            row = _row(network, valve)[1]
            a = str(network["valves"]["from_node"].iat[row])
            b = str(network["valves"]["to_node"].iat[row])
            try:
                (ax, ay), (bx, by) = _node_xy(network, a), _node_xy(network, b)
            except UnknownFeatureError:
                continue
            b_layer = _row(network, b)[0]
            others = {k: [i for i in v if i != valve] for k, v in _links_at(network, [b]).items()}
            if (
                np.hypot(ax - bx, ay - by) > CO_LOCATED_M
                or b_layer != "junctions"
                or any(v for k, v in others.items() if k != "pipes")
            ):
                continue  # the gap cannot heal: the valve goes and both sides stay as they are
            pipes = network["pipes"]
            for r in np.flatnonzero((pipes["from_node"] == b).to_numpy() | (pipes["to_node"] == b).to_numpy()):
                pid = str(pipes["id"].iat[r])
                c = np.asarray(pipes.geometry.iat[r].coords)
                if str(pipes["from_node"].iat[r]) == b:
                    c[0] = (ax, ay)
                    steps.append(SetAttribute(network, "pipes", [pid], "from_node", a))
                if str(pipes["to_node"].iat[r]) == b:
                    c[-1] = (ax, ay)
                    steps.append(SetAttribute(network, "pipes", [pid], "to_node", a))
                steps.append(SetAttribute(network, "pipes", [pid], "geometry", [shapely.LineString(c)]))
                received.add(a)
            healed.append(b)
        gone.update(healed)
        # Junctions left bare by deleted links go along.
        link_ids = {fid for layer in LINK_LAYERS for fid in by_layer.get(layer, [])}
        ends: set[str] = set()
        for layer in LINK_LAYERS:
            if layer in by_layer:
                frame = network[layer].set_index("id")
                ends |= set(frame.loc[by_layer[layer], "from_node"].astype(str)) | set(
                    frame.loc[by_layer[layer], "to_node"].astype(str)
                )
        for node in sorted(ends - gone - received):
            try:
                layer = _row(network, node)[0]
            except UnknownFeatureError:
                continue
            if layer != "junctions":
                continue
            still = [i for ids_ in _links_at(network, [node]).values() for i in ids_ if i not in link_ids]
            if not still:
                gone.add(node)
        # Nodes that links outside the deletion still use: refuse.
        for layer in NODE_LAYERS:
            nodes = [n for n in gone if _row(network, n)[0] == layer and n not in healed]
            for node in nodes:
                users = [i for ids_ in _links_at(network, [node]).values() for i in ids_ if i not in gone]
                if users:
                    kind = LAYERS[layer].label.lower().rstrip("s")
                    listed = f"{', '.join(users[:3])}{' …' if len(users) > 3 else ''}"
                    raise EditRefused(node, (_END_OF_MANY if len(users) > 1 else _END_OF_ONE).format(
                        kind=kind, feature=node, n=len(users), links=listed))  # fmt: skip
        # Sensors on anything that goes, go too.
        sensors = network["sensors"]
        if len(sensors):
            on = sensors["id"][sensors["feature_id"].isin(gone).to_numpy()].astype(str).tolist()
            gone.update(on)
        grouped: dict[str, list[str]] = {}
        for fid in gone:
            grouped.setdefault(_row(network, fid)[0], []).append(fid)
        for layer in ("sensors", *LINK_LAYERS, *NODE_LAYERS):
            if layer in grouped:
                order = pd.Index(network[layer]["id"].to_numpy(dtype=object)).get_indexer(grouped[layer])
                steps.append(DeleteRows(network, layer, [grouped[layer][i] for i in np.argsort(order)]))
        self.steps = steps
        self.deleted = grouped


# -- attribute values from a form or a table cell -----------------------------------------------------------------------
#: nominal diameters (mm) offered for pipes: PE outside diameters and steel DN, as a utility's catalogue lists them
DN_LIST = (20, 25, 32, 40, 50, 63, 75, 90, 110, 125, 160, 200, 250, 315, 355, 400, 450, 500, 600, 700, 800, 1000)


def parse_value(layer: str, column: str, text: object) -> Any:
    """A form or table entry as the column's value; anything that does not fit is an :class:`EditRefused` naming
    the column (text in a numeric column, a value outside a code list, a non-finite number) — never coerced.

    >>> parse_value("pipes", "dn", "160"), parse_value("pipes", "material", "steel")
    (160, 'steel')
    >>> parse_value("pipes", "length_m", "12,5")
    Traceback (most recent call last):
    ...
    console.network._edits.EditRefused: length_m: '12,5' is not a number
    """
    col = LAYERS[layer].column(column)
    if isinstance(text, str):
        text = text.strip()
    if col.kind is str:
        return "" if text is None else str(text)
    if col.kind is bool:
        if isinstance(text, bool):
            return text
        value = str(text).lower()
        if value in ("true", "yes", "1", "t", "y"):
            return True
        if value in ("false", "no", "0", "f", "n"):
            return False
        raise EditRefused("", _NOT_YES_NO.format(column=column, value=repr(text)))
    if col.kind in (int, float):
        if text in ("", None):
            if col.required:
                raise EditRefused("", _REQUIRED.format(column=column))
            return np.nan if col.kind is float else 0
        try:
            value = float(text) if not isinstance(text, (int, float)) else text
        except ValueError:
            raise EditRefused("", _NOT_A_NUMBER.format(column=column, value=repr(text))) from None
        if not np.isfinite(value):
            raise EditRefused("", _NOT_FINITE.format(column=column, value=repr(text)))
        if col.kind is int:
            if float(value) != int(value):
                raise EditRefused("", _NOT_WHOLE.format(column=column, value=repr(text)))
            return int(value)
        return float(value)
    allowed = [m.value for m in col.kind]
    if str(text) not in allowed:
        raise EditRefused("", _NOT_ONE_OF.format(column=column, value=repr(text), allowed=", ".join(allowed)))
    return str(text)


def attribute_problems(network, layer: str, feature_id: str, values: Mapping[str, Any]) -> list[str]:
    """Engineering checks of new attribute values for one feature (empty when they may be set).

    * diameters: DN and inner diameter must be positive, and the inner diameter below the DN and above half of it;
    * lengths must be positive;
    * a pipe's pressure class may differ from a pipe it meets only across a regulator (a class change needs one).
    """
    problems = []
    current = network.feature(feature_id)
    merged = {**current, **values}
    if layer == "pipes":
        dn, inner = float(merged["dn"]), float(merged["inner_diameter_mm"])
        if dn <= 0 or inner <= 0:
            problems.append(_DIAMETERS_POSITIVE.format(feature=feature_id, dn=f"{dn:g}", inner=f"{inner:g}"))
        elif not (0.5 * dn < inner < dn * 1.05):
            problems.append(_DIAMETERS_DISAGREE.format(feature=feature_id, inner=f"{inner:g}", dn=f"{dn:g}"))
        if float(merged["length_m"]) <= 0:
            problems.append(_LENGTH_POSITIVE.format(feature=feature_id))
        new_class = str(merged["pressure_class"])
        if "pressure_class" in values and new_class != str(current["pressure_class"]):
            pipes = network["pipes"]
            for end in (current["from_node"], current["to_node"]):
                at = pipes[((pipes["from_node"] == end) | (pipes["to_node"] == end)).to_numpy()]
                other = at[
                    (at["id"] != feature_id).to_numpy() & (at["pressure_class"].astype(str) != new_class).to_numpy()
                ]
                if len(other):
                    problems.append(
                        _CLASS_NEEDS_REGULATOR.format(
                            pipe=other["id"].iat[0], node=end, cls=other["pressure_class"].iat[0]
                        )
                    )
                    break
    elif layer == "valves" and "dn" in values and int(merged["dn"]) < 0:
        problems.append(_DN_NEGATIVE.format(feature=feature_id))
    return problems
