"""Change sets (变更集): the difference between two versions of a network, feature by feature, and applying it.

A change set lists, per feature, what an edit session did: ``add`` (the new row), ``delete`` (the row as it was) or
``change`` (only the columns that changed, before and after). Values are JSON: text, numbers (``None`` for a missing
number), booleans; geometries as hex WKB, so a round trip through a file is exact.

Applying checks every feature against the change set's *before* values first (optimistic concurrency, per feature
and per column): a feature edited since, deleted since, or an id already taken is a :class:`ChangeConflict` naming the
feature, and nothing is written. The result is an undoable edit (:class:`ApplyChangeSet`).

>>> from tests.builders import chain
>>> a = chain(2); b = a.snapshot()
>>> b.set_values("pipes", np.array([1]), "dn", 160)
>>> changes = diff_networks(a, b)
>>> [(c.op, c.feature_id, c.after) for c in changes]
[('change', 'P2', {'dn': 160})]
>>> ApplyChangeSet(a, changes).redo(); int(a["pipes"]["dn"].iat[1])
160
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from console.errors import GasOpsError
from console.network._edit import EditCommand, SetAttribute
from console.network._edits import CompositeEdit, DeleteRows, InsertRows
from console.network._model import take_rows
from console.network._schema import LAYERS, LINK_LAYERS, NODE_LAYERS

__all__ = [
    "ApplyChangeSet",
    "ChangeConflict",
    "ChangeSetError",
    "FeatureChange",
    "changes_from_json",
    "changes_to_json",
    "diff_networks",
    "feature_values",
]

OPS = ("add", "change", "delete")


class ChangeSetError(GasOpsError):
    """A change set that cannot be read or would break the network (names the feature)."""

    def __init__(self, message: str, feature_id: str = "") -> None:
        self.feature_id = feature_id
        super().__init__(message)


class ChangeConflict(ChangeSetError):
    """A feature is no longer as the change set found it: edited or deleted since, or its id is taken.

    ``base`` is what the change set expected, ``current`` what the network holds now (column → value; ``None`` for
    a feature that is gone).
    """

    def __init__(
        self, message: str, feature_id: str, base: dict | None, current: dict | None, conflicts: int = 1
    ) -> None:
        self.base, self.current, self.conflicts = base, current, conflicts
        self.details: list[dict[str, Any]] = []  # per conflict: feature_id, layer, kind, ancestor, branch, master
        super().__init__(message, feature_id)


@dataclass(frozen=True)
class FeatureChange:
    """One feature's change: ``before``/``after`` map column → JSON value (the whole row for add/delete)."""

    op: str
    layer: str
    feature_id: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "layer": self.layer, "id": self.feature_id, "before": self.before, "after": self.after}

    @property
    def columns(self) -> list[str]:
        return sorted(set(self.before) | set(self.after))


# -- values --------------------------------------------------------------------------------------------------------------
def _json_column(values: pd.Series | np.ndarray, geometry: bool = False) -> list[Any]:
    """A column as JSON values: geometry → hex WKB, numbers → int/float (NaN → None), the rest → text/bool."""
    if geometry:
        arr = np.asarray(values, dtype=object)
        return [None if g is None else h for g, h in zip(arr, shapely.to_wkb(arr, hex=True), strict=True)]
    series = pd.Series(values)
    kind = series.dtype.kind if not isinstance(series.dtype, pd.CategoricalDtype) else "O"
    raw = series.to_numpy(dtype=object)
    if kind == "b":
        return [bool(v) for v in raw]
    if kind in "iu":
        return [int(v) for v in raw]
    if kind == "f":
        return [None if v != v else float(v) for v in raw]
    out = []
    for v in raw:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            out.append(None)
        elif isinstance(v, (np.generic,)):
            out.append(v.item())
        else:
            out.append(v if isinstance(v, (str, bool, int, float)) else str(v))
    return out


def feature_values(
    network, layer: str, rows: Sequence[int] | np.ndarray, columns: Iterable[str] | None = None
) -> list[dict]:
    """Rows of ``layer`` as JSON dicts (``columns``: all of the layer's, ``id`` and ``geometry`` included)."""
    frame = network[layer]
    rows = np.asarray(rows, dtype=np.int64)
    names = list(columns) if columns is not None else [c for c in frame.columns]
    cols = {}
    for name in names:
        if name == "geometry":
            cols[name] = _json_column(np.asarray(frame.geometry.array[rows], dtype=object), geometry=True)
        else:
            cols[name] = _json_column(take_rows(frame[name], rows))
    return [{name: cols[name][i] for name in names} for i in range(len(rows))]


def _same(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray, geometry: bool = False) -> np.ndarray:
    if geometry:
        ga, gb = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        return np.asarray(shapely.equals_exact(ga, gb, tolerance=0.0), dtype=bool) & (
            shapely.get_num_coordinates(ga) == shapely.get_num_coordinates(gb)
        )
    sa, sb = pd.Series(a).reset_index(drop=True), pd.Series(b).reset_index(drop=True)
    if isinstance(sa.dtype, pd.CategoricalDtype):
        sa = sa.astype(object)
    if isinstance(sb.dtype, pd.CategoricalDtype):
        sb = sb.astype(object)
    eq = (sa == sb).fillna(False).to_numpy(dtype=bool)
    both_missing = (sa.isna() & sb.isna()).to_numpy(dtype=bool)
    return eq | both_missing


# -- diff ------------------------------------------------------------------------------------------------------------------
def diff_networks(base, edited) -> list[FeatureChange]:
    """The feature changes that turn ``base`` into ``edited`` (matched by id, layer by layer; vectorised per column).

    A feature whose id moved to another layer is a delete and an add. Row order is not a change.
    """
    changes: list[FeatureChange] = []
    for layer in LAYERS:
        a, b = base[layer], edited[layer]
        ida = pd.Index(a["id"].to_numpy(dtype=object))
        idb = pd.Index(b["id"].to_numpy(dtype=object))
        in_b = idb.get_indexer(ida)
        deleted = np.flatnonzero(in_b < 0)
        added = np.flatnonzero(ida.get_indexer(idb) < 0)
        for _row, values in zip(deleted, feature_values(base, layer, deleted), strict=True):
            changes.append(FeatureChange("delete", layer, str(values["id"]), before=values))
        for _row, values in zip(added, feature_values(edited, layer, added), strict=True):
            changes.append(FeatureChange("add", layer, str(values["id"]), after=values))
        common_a = np.flatnonzero(in_b >= 0)
        common_b = in_b[common_a]
        if not len(common_a):
            continue
        columns = [c for c in dict.fromkeys([*a.columns, *b.columns]) if c != "id"]
        changed: dict[int, list[str]] = {}
        for col in columns:
            geometry = col == "geometry"
            if col not in a.columns or col not in b.columns:
                differ = np.ones(len(common_a), dtype=bool)
            elif geometry:
                ga = np.asarray(a.geometry.array, dtype=object)[common_a]
                gb = np.asarray(b.geometry.array, dtype=object)[common_b]
                differ = ~_same(ga, gb, geometry=True)
            else:
                differ = ~_same(a[col].iloc[common_a], b[col].iloc[common_b])
            for k in np.flatnonzero(differ):
                changed.setdefault(int(k), []).append(col)
        for k in sorted(changed, key=lambda k: common_a[k]):
            cols = changed[k]
            before = feature_values(base, layer, [common_a[k]], [c for c in cols if c in a.columns])[0]
            after = feature_values(edited, layer, [common_b[k]], [c for c in cols if c in b.columns])[0]
            changes.append(FeatureChange("change", layer, str(ida[common_a[k]]), before=before, after=after))
    return changes


# -- JSON ----------------------------------------------------------------------------------------------------------------------
def changes_to_json(changes: Sequence[FeatureChange]) -> list[dict]:
    return [c.to_dict() for c in changes]


def changes_from_json(items: Any, source: str = "change set") -> list[FeatureChange]:
    """Feature changes from their JSON form; anything malformed is a :class:`ChangeSetError` naming the entry."""
    if not isinstance(items, list):
        raise ChangeSetError(f"{source}: 'changes' must be a list")
    out = []
    for i, item in enumerate(items):
        where = f"{source}: change #{i + 1}"
        if not isinstance(item, dict):
            raise ChangeSetError(f"{where} is not an object")
        op, layer, fid = item.get("op"), item.get("layer"), item.get("id")
        if op not in OPS:
            raise ChangeSetError(f"{where}: op {op!r} is not one of {', '.join(OPS)}", str(fid or ""))
        if layer not in LAYERS:
            raise ChangeSetError(f"{where} ({fid}): unknown layer {layer!r}", str(fid or ""))
        if not isinstance(fid, str) or not fid:
            raise ChangeSetError(f"{where}: no feature id")
        before, after = item.get("before", {}), item.get("after", {})
        if not isinstance(before, dict) or not isinstance(after, dict):
            raise ChangeSetError(f"{where} ({fid}): 'before' and 'after' must be objects", fid)
        for values in (before, after):
            for col, value in values.items():
                if col == "geometry" and value is not None:
                    try:
                        shapely.from_wkb(value)
                    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
                        raise ChangeSetError(f"{where} ({fid}): geometry is not valid hex WKB ({exc})", fid) from None
                elif isinstance(value, (dict, list)):
                    raise ChangeSetError(f"{where} ({fid}): column {col!r} holds a {type(value).__name__}", fid)
        out.append(FeatureChange(op, layer, fid, dict(before), dict(after)))
    return out


def _decoded(layer: str, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for col, value in values.items():
        if col == "geometry":
            out[col] = shapely.from_wkb(value) if value is not None else None
        elif value is None and col != "id":
            kind = LAYERS[layer].column(col).kind if col in {c.name for c in LAYERS[layer].columns} else float
            out[col] = np.nan if kind in (float, int) else None
        else:
            out[col] = value
    return out


# -- apply -----------------------------------------------------------------------------------------------------------------------
def _conflict_text(change: FeatureChange, column: str, base: Any, current: Any) -> str:
    def show(v: Any) -> str:
        if column == "geometry" and isinstance(v, str):
            return "another geometry" if v != base else "its geometry"
        return repr(v)

    return (f"{change.layer[:-1].replace('_', ' ')} {change.feature_id}: {column} is {show(current)} here, the change "
            f"set expected {show(base)} (edited since, or a change set made against another base)")  # fmt: skip


class ApplyChangeSet(CompositeEdit):
    """Apply feature changes to ``network`` as one undoable edit, after checking every feature (see the module).

    Raises :class:`ChangeConflict` for the first feature that is not as the change set found it (``conflicts`` counts
    them all) and :class:`ChangeSetError` when the result would break the topology (a link to a missing node).
    """

    def __init__(self, network, changes: Sequence[FeatureChange], text: str = "apply change set") -> None:
        super().__init__(text)
        self.conflicts = find_conflicts(network, changes)
        if self.conflicts:
            first = self.conflicts[0]
            raise ChangeConflict(
                first[1] + (f" (and {len(self.conflicts) - 1} more conflicts)" if len(self.conflicts) > 1 else ""),
                first[0].feature_id, first[0].before or None, first[2], len(self.conflicts),
            )  # fmt: skip
        _check_topology(network, changes)
        steps: list[EditCommand] = []
        by_layer: dict[str, dict[str, list[FeatureChange]]] = {}
        for c in changes:
            by_layer.setdefault(c.layer, {}).setdefault(c.op, []).append(c)
        for layer in LAYERS:  # deletes first: an id may move from one layer to another
            todo = by_layer.get(layer, {})
            if todo.get("delete"):
                steps.append(DeleteRows(network, layer, [c.feature_id for c in todo["delete"]]))
        for layer in LAYERS:
            columns: dict[str, list[FeatureChange]] = {}
            for c in by_layer.get(layer, {}).get("change", []):
                for col in c.after:
                    columns.setdefault(col, []).append(c)
            for col, group in columns.items():
                values = [_decoded(layer, {col: c.after[col]})[col] for c in group]
                ids = [c.feature_id for c in group]
                arr = np.empty(len(values), dtype=object)
                arr[:] = values
                steps.append(SetAttribute(network, layer, ids, col, list(values) if col == "geometry" else arr))
        for layer in LAYERS:
            adds = by_layer.get(layer, {}).get("add", [])
            if adds:
                rows = [_decoded(layer, c.after) for c in adds]
                frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=network.crs)
                steps.append(InsertRows(network, layer, frame))
        self.steps = steps


def find_conflicts(network, changes: Sequence[FeatureChange]) -> list[tuple[FeatureChange, str, dict | None]]:
    """(change, message, current values) for every change whose feature is not as the change set found it.

    Looks the features up through the network's row lookups (kept across edits and shared by snapshots): the cost
    follows the change set, not the network."""
    out = []
    for layer in LAYERS:
        mine = [c for c in changes if c.layer == layer]
        if not mine:
            continue
        frame = network[layer]
        rows = network.rows_of(layer, np.asarray([c.feature_id for c in mine], dtype=object))
        adds = [c for c in mine if c.op == "add"]
        taken = dict(zip([c.feature_id for c in adds], network.has_ids([c.feature_id for c in adds]).tolist(),
                         strict=True)) if adds else {}  # fmt: skip
        for c, row in zip(mine, rows.tolist(), strict=True):
            if c.op == "add":
                if taken[c.feature_id]:
                    out.append((c, f"{c.feature_id}: the id is already taken here (added concurrently?)", None))
                continue
            if row < 0:
                out.append((c, f"{layer[:-1].replace('_', ' ')} {c.feature_id} is no longer in the network "
                               f"(deleted since, or a change set made against another base)", None))  # fmt: skip
                continue
            cols = [k for k in c.before if k in frame.columns or k == "geometry"]
            current = feature_values(network, layer, [row], cols)[0]
            for col in cols:
                base = c.before[col]
                if col == "geometry":
                    same = base is not None and bool(
                        _same([shapely.from_wkb(base)], [frame.geometry.iat[row]], True)[0]
                    )
                else:
                    same = current[col] == base or (current[col] is None and base is None)
                if not same:
                    out.append((c, _conflict_text(c, col, base, current[col]), current))
                    break
    return out


def _check_topology(network, changes: Sequence[FeatureChange]) -> None:
    """Refuse a change set that leaves a link pointing at a node that is not there."""
    removed_nodes = {c.feature_id for c in changes if c.op == "delete" and c.layer in NODE_LAYERS}
    added_nodes = {c.feature_id for c in changes if c.op == "add" and c.layer in NODE_LAYERS}
    removed_links = {c.feature_id for c in changes if c.op == "delete" and c.layer in LINK_LAYERS}
    ends = [
        (c, end, str(c.after[end]))
        for c in changes
        if c.layer in LINK_LAYERS and c.op in ("add", "change")
        for end in ("from_node", "to_node")
        if c.after.get(end) is not None
    ]
    # the ends that must already be nodes of the network, looked up once per node layer
    wanted = np.asarray(sorted({n for _c, _e, n in ends} - added_nodes - removed_nodes), dtype=object)
    present = np.zeros(len(wanted), dtype=bool)
    for layer in NODE_LAYERS:
        if len(wanted) and not present.all():
            present |= network.rows_of(layer, wanted) >= 0
    is_node = dict(zip(wanted.tolist(), present.tolist(), strict=True))
    for c, end, node in ends:
        if node in added_nodes or (node not in removed_nodes and is_node[node]):
            continue
        raise ChangeSetError(f"{c.feature_id}: {end} {node} is not a node of the network after the change set; the "
                             f"edit would break the topology", c.feature_id)  # fmt: skip
    if removed_nodes:
        changed_ends = {
            c.feature_id for c in changes if c.layer in LINK_LAYERS and ({"from_node", "to_node"} & set(c.after))
        }
        for layer in LINK_LAYERS:
            links = network[layer]
            if not len(links):
                continue
            hit = (links["from_node"].isin(removed_nodes) | links["to_node"].isin(removed_nodes)).to_numpy()
            for lid in links["id"][hit].astype(str):
                if lid not in removed_links and lid not in changed_ends:
                    raise ChangeSetError(f"{lid} still ends at a node the change set deletes; the edit would break "
                                         f"the topology", lid)  # fmt: skip


def summary(changes: Sequence[FeatureChange]) -> dict[str, int]:
    """Counts per operation: {"add": n, "change": n, "delete": n}."""
    out = dict.fromkeys(OPS, 0)
    for c in changes:
        out[c.op] += 1
    return out


def dumps(changes: Sequence[FeatureChange]) -> str:
    return json.dumps(changes_to_json(changes), ensure_ascii=False, allow_nan=False)
