"""Edit commands: one class per atomic edit, each with ``redo``/``undo`` (the UI wraps them for QUndoStack).

Consecutive small edits of the same attribute on the same features merge into one undo step, as in QGIS. Every
command describes itself (``describe()``) so a committed change set can be digested and recorded in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from console.errors import UnknownFeatureError
from console.network._schema import NODE_LAYERS

__all__ = ["EditCommand", "SetAttribute", "MoveNode", "AddFeatures", "RemoveFeatures"]


class EditCommand:
    """Base class: ``redo`` applies the edit, ``undo`` reverts it exactly; both bump the network version."""

    text = "edit"

    def redo(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def undo(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def merge_with(self, other: EditCommand) -> bool:
        """Absorb ``other`` (applied right after this one) into this command; False when they do not merge."""
        return False

    def describe(self) -> dict[str, Any]:
        return {"edit": type(self).__name__, "text": self.text}


def _rows(network, layer: str, ids: list[str]) -> np.ndarray:
    rows = network.rows_of(layer, ids)  # the network's id lookup, kept across edits
    if (rows < 0).any():
        raise UnknownFeatureError(ids[int(np.flatnonzero(rows < 0)[0])], f"layer {layer!r}")
    return rows


@dataclass
class SetAttribute(EditCommand):
    """Set one attribute of some features to new values (scalar or one per feature)."""

    network: Any
    layer: str
    feature_ids: list[str]
    column: str
    new_values: Any
    _old: np.ndarray | None = field(default=None, init=False, repr=False)
    # The layer as it was before and after this edit (frames are never changed in place). An undo that finds the
    # ``_after`` frame still in place puts ``_before`` back, and a redo that finds ``_before`` puts ``_after`` back:
    # no column is copied (at a million pipes a geometry column copy touches a million objects).
    _before: Any = field(default=None, init=False, repr=False)
    _after: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.feature_ids = list(self.feature_ids)
        self.text = f"set {self.column} of {len(self.feature_ids)} {self.layer}"

    def _put(self, frame, rows: np.ndarray) -> None:
        self.network.install_layer(
            self.layer, frame, keep=len(frame), same_values=True, column=self.column, rows=np.asarray(rows).copy()
        )

    def redo(self) -> None:
        rows = _rows(self.network, self.layer, self.feature_ids)
        now = self.network[self.layer]
        if self._after is not None and now is self._before:
            self._put(self._after, rows)
            return
        if self._old is None:
            self._old = now[self.column].iloc[rows].to_numpy(dtype=object).copy()
        self.network.set_values(self.layer, rows, self.column, self.new_values)
        self._before, self._after = now, self.network[self.layer]

    def undo(self) -> None:
        rows = _rows(self.network, self.layer, self.feature_ids)
        now = self.network[self.layer]
        if self._before is not None and now is self._after:
            self._put(self._before, rows)
            return
        self.network.set_values(self.layer, rows, self.column, self._old)
        self._before, self._after = self.network[self.layer], now

    def merge_with(self, other: EditCommand) -> bool:
        if (
            isinstance(other, SetAttribute)
            and other.network is self.network
            and (other.layer, other.column, other.feature_ids) == (self.layer, self.column, self.feature_ids)
        ):
            self.new_values = other.new_values
            return True
        return False

    def describe(self) -> dict[str, Any]:
        values = np.broadcast_to(np.asarray(self.new_values, dtype=object), (len(self.feature_ids),))
        return super().describe() | {
            "layer": self.layer,
            "column": self.column,
            "features": dict(zip(self.feature_ids, map(str, values), strict=True)),
        }


@dataclass
class MoveNode(EditCommand):
    """Move a node; the ends of the pipes attached to it move along so they stay snapped."""

    network: Any
    node_id: str
    x: float
    y: float
    _old_xy: tuple[float, float] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.text = f"move {self.node_id}"

    def _move(self, x: float, y: float) -> tuple[float, float]:
        layer, row = self.network.locate(self.node_id)
        if layer not in NODE_LAYERS:
            raise UnknownFeatureError(self.node_id, "node layers")
        old = self.network[layer].geometry.iat[row]
        self.network.set_values(layer, np.array([row]), "geometry", [shapely.Point(x, y)])
        pipes = self.network["pipes"]
        for column, index in (("from_node", 0), ("to_node", -1)):
            rows = np.flatnonzero((pipes[column] == self.node_id).to_numpy())
            if len(rows):
                geoms = np.asarray(self.network["pipes"].geometry.array, dtype=object)[rows]
                coords = [np.asarray(g.coords) for g in geoms]  # a handful of pipes per node
                for c in coords:
                    c[index] = (x, y)
                self.network.set_values(
                    "pipes",
                    rows,
                    "geometry",
                    shapely.linestrings(coords) if len(coords) > 1 else [shapely.LineString(coords[0])],
                )
        return (old.x, old.y)

    def redo(self) -> None:
        old = self._move(self.x, self.y)
        if self._old_xy is None:
            self._old_xy = old

    def undo(self) -> None:
        assert self._old_xy is not None
        self._move(*self._old_xy)

    def merge_with(self, other: EditCommand) -> bool:
        # Dragging a node emits many small moves: keep one undo step from the first position to the last.
        if isinstance(other, MoveNode) and other.network is self.network and other.node_id == self.node_id:
            self.x, self.y = other.x, other.y
            return True
        return False

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"node": self.node_id, "to": [self.x, self.y], "from": list(self._old_xy or ())}


@dataclass
class AddFeatures(EditCommand):
    network: Any
    layer: str
    frame: pd.DataFrame

    def __post_init__(self) -> None:
        self.text = f"add {len(self.frame)} {self.layer}"

    def redo(self) -> None:
        self.network.add_features(self.layer, self.frame)

    def undo(self) -> None:
        self.network.remove_features(self.layer, self.frame["id"].astype(str).tolist())

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"layer": self.layer, "ids": self.frame["id"].astype(str).tolist()}


@dataclass
class RemoveFeatures(EditCommand):
    network: Any
    layer: str
    feature_ids: list[str]
    _removed: gpd.GeoDataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.feature_ids = list(self.feature_ids)
        self.text = f"remove {len(self.feature_ids)} {self.layer}"

    def redo(self) -> None:
        self._removed = self.network.remove_features(self.layer, self.feature_ids)

    def undo(self) -> None:
        assert self._removed is not None
        self.network.add_features(self.layer, self._removed)

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"layer": self.layer, "ids": self.feature_ids}
