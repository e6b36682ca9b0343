"""The attribute table of one layer: sort, filter, select on the map, edit a cell or several rows at once.

The table costs nothing until it is shown: the dock keeps the network it is handed and gives it to the model only
when it becomes visible (a hidden table is marked stale by edits, never refreshed). The model itself is lazy: it
holds no per-row Python objects — a cell is read from the layer's column (one numpy array per column, taken when the
column is first painted), sorting is one ``argsort`` of a column and filtering one vectorised match per column, both
kept as an array of row positions. A view shows a few dozen rows, so a million-row layer opens at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.network import LAYERS, EditRefused, SetAttribute, attribute_problems, parse_value
from console.ui.i18n import translate
from console.ui.names import attribute_title, layer_name

__all__ = ["AttributeTableDock", "LayerTableModel", "column_title"]

_READ_ONLY = ("id", "from_node", "to_node")
_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole)
_UNIT_SUFFIXES = ("_nm3h", "_mpa", "_mm", "_m")


def column_title(layer: str, column: str) -> str:
    """A column's title in the UI's language with its unit (``diameter_mm``: "Diameter (mm)"; 管径 (mm) in Chinese);
    the same titles as the identify panel's (:mod:`console.ui.names`). A utility's own column keeps its name."""
    if column == "id":
        return attribute_title("Id")
    try:
        col = LAYERS[layer].column(column)
    except (KeyError, ValueError, AttributeError):
        return column
    label = col.label or ("nominal diameter DN" if column == "dn" else "")
    if not label:
        label = column
        for suffix in _UNIT_SUFFIXES:
            if label.endswith(suffix):
                label = label[: -len(suffix)]
                break
        label = label.replace("_", " ")
    title = attribute_title(label[0].upper() + label[1:])
    return f"{title} ({col.unit})" if col.unit else title


class LayerTableModel(QAbstractTableModel):
    """One layer of the network as a table, read on demand.

    ``rows`` maps a view row to the layer's positional row when the table is sorted or filtered (None: the layer's
    own order). Column arrays are cached until the network's version changes (:meth:`refresh`).
    """

    def __init__(self, network=None, layer: str = "pipes") -> None:
        super().__init__()
        self.network, self.layer = network, layer
        self.columns: list[str] = LAYERS[layer].column_names
        self.edit: Callable[[str, list[str], str, Any], None] | None = None
        self.error: Callable[[str], None] = lambda text: None
        self.rows: np.ndarray | None = None
        self.sort_key: tuple[int, Qt.SortOrder] | None = None
        self.filter_text = ""
        self._arrays: dict[str, np.ndarray] = {}
        self._n = 0
        self._version: int | None = None
        if network is not None:
            self.reset(network, layer)

    # -- (re)loading -------------------------------------------------------------------------------------------------
    def reset(self, network=None, layer: str | None = None) -> None:
        """Show ``network``'s ``layer`` (either kept when None); sort and filter are re-applied."""
        if layer is not None and layer != self.layer:
            self.sort_key = None
        self.beginResetModel()
        self.network = network if network is not None else self.network
        self.layer = layer or self.layer
        self.columns = LAYERS[self.layer].column_names
        self._load()
        self.endResetModel()

    def refresh(self) -> None:
        """The network was edited: read the columns again (rows kept when only values changed)."""
        if self.network is None:
            return
        n = len(self.network[self.layer])
        if n == self._n and not self.filter_text and self.sort_key is None:
            self._arrays.clear()
            self._version = getattr(self.network, "version", None)
            if n:
                self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(self.columns) - 1), list(_ROLES))
            return
        self.reset()

    def _load(self) -> None:
        self._arrays = {}
        self._version = getattr(self.network, "version", None)
        self._n = 0 if self.network is None else len(self.network[self.layer])
        self.rows = self._ordered_rows()

    def column_array(self, column: str) -> np.ndarray:
        """The layer's ``column`` as one array (taken once per network version)."""
        array = self._arrays.get(column)
        if array is None:
            array = self._arrays[column] = self.network[self.layer][column].to_numpy()
        return array

    def _ordered_rows(self) -> np.ndarray | None:
        if self.network is None or (not self.filter_text and self.sort_key is None):
            return None
        rows = np.arange(self._n)
        if self.filter_text:
            rows = rows[self._matches(self.filter_text)]
        if self.sort_key is not None:
            column, order = self.sort_key
            keys = self._sort_keys(self.columns[column])[rows]
            idx = np.argsort(keys, kind="stable")
            if order == Qt.SortOrder.DescendingOrder:
                idx = idx[::-1]
            rows = rows[idx]
        return rows

    def _sort_keys(self, column: str) -> np.ndarray:
        values = self.column_array(column)
        if values.dtype.kind in "biuf":
            return values
        if values.dtype.kind == "b":
            return values.astype(np.int8)
        return pd.Series(values, copy=False).astype(str).to_numpy(dtype=str)

    def _matches(self, text: str) -> np.ndarray:
        hit = np.zeros(self._n, dtype=bool)
        for column in self.columns:
            values = pd.Series(self.column_array(column), copy=False)
            hit |= values.astype(str).str.contains(text, case=False, regex=False).to_numpy(dtype=bool)
        return hit

    # -- sort and filter -----------------------------------------------------------------------------------------------
    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if self.network is None or not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self.sort_key = (column, order)
        self.rows = self._ordered_rows()
        self.layoutChanged.emit()

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self.filter_text = text.strip()
        self.rows = self._ordered_rows()
        self.endResetModel()

    # -- the Qt model ----------------------------------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid() or self.network is None:
            return 0
        return self._n if self.rows is None else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column_title(self.layer, self.columns[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section]  # the field's name in the data
        return None

    def source_row(self, row: int) -> int:
        """The layer's positional row shown at view row ``row``."""
        return int(row if self.rows is None else self.rows[row])

    def feature_id(self, row: int) -> str:
        return str(self.column_array("id")[self.source_row(row)])

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or self.network is None:
            return None
        value = self.column_array(self.columns[index.column()])[self.source_row(index.row())]
        if value is None or value is pd.NA:
            return ""
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else f"{float(value):.6g}"
        return str(value.item() if hasattr(value, "item") else value)

    def flags(self, index: QModelIndex):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()] not in _READ_ONLY:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or self.edit is None:
            return False
        column = self.columns[index.column()]
        try:
            self.edit(self.layer, [self.feature_id(index.row())], column, value)
        except Exception as exc:
            self.error(str(exc))
            return False
        return True


class AttributeTableDock(QDockWidget):
    """Layer chooser, filter box, the table, and "Set value on selected rows"."""

    featureSelected = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(translate("AttributeTable", "Attribute table"), parent)
        self.setObjectName("attributeTableDock")
        self.model = LayerTableModel()
        self._pending = None  # the network handed over while hidden
        self._stale = False
        body = QWidget()
        layout = QVBoxLayout(body)
        top = QHBoxLayout()
        self.layer_box = QComboBox()
        for name in LAYERS:
            if name != "links":
                self.layer_box.addItem(layer_name(name), name)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(translate("AttributeTable", "Filter rows (any column)…"))
        self.filter.setClearButtonEnabled(True)
        self.set_many = QPushButton(translate("AttributeTable", "Set value on selected…"))
        top.addWidget(self.layer_box)
        top.addWidget(self.filter, 1)
        top.addWidget(self.set_many)
        layout.addLayout(top)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        layout.addWidget(self.view)
        self.setWidget(body)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)  # a million rows are matched once typing pauses
        self._filter_timer.timeout.connect(lambda: self.model.set_filter(self.filter.text()))
        self.layer_box.currentIndexChanged.connect(lambda _i: self._on_layer(self.layer()))
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.view.clicked.connect(self._on_row_click)
        self.set_many.clicked.connect(self.ask_set_many)
        self.visibilityChanged.connect(self._on_visible)

    def set_network(self, network) -> None:
        """Show ``network`` — when the dock is visible; a hidden dock only remembers it."""
        if network is None:
            return
        if self.isVisible():
            self._pending, self._stale = None, False
            self.model.reset(network, self.layer())
        else:
            self._pending = network

    def network_edited(self) -> None:
        """An edit changed the network: refresh a visible table, mark a hidden one stale."""
        if self.isVisible() and self._pending is None:
            self.model.refresh()
        else:
            self._stale = True

    def _on_visible(self, visible: bool) -> None:
        if not visible:
            return
        if self._pending is not None:
            self.set_network(self._pending)
        elif self._stale:
            self._stale = False
            self.model.reset()

    def _on_layer(self, name: str) -> None:
        if self.model.network is not None:
            self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.model.reset(layer=name)
        else:
            self.model.layer, self.model.columns = name, LAYERS[name].column_names

    def layer(self) -> str:
        """The layer shown (its key: ``pipes``)."""
        return self.layer_box.currentData() or "pipes"

    def set_layer(self, layer: str) -> None:
        """Show ``layer`` (its key)."""
        index = self.layer_box.findData(layer)
        if index >= 0:
            self.layer_box.setCurrentIndex(index)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.feature_id(r) for r in rows]

    def _on_row_click(self, index: QModelIndex) -> None:
        self.featureSelected.emit(self.model.feature_id(index.row()))

    def ask_set_many(self) -> None:
        ids = self.selected_ids()
        if not ids or self.model.edit is None:
            return
        editable = [c for c in self.model.columns if c not in _READ_ONLY]
        titles = [column_title(self.model.layer, c) for c in editable]
        title, ok = QInputDialog.getItem(
            self, translate("AttributeTable", "Set value"), translate("AttributeTable", "Column of {n} {layer}:").format(
                n=len(ids), layer=layer_name(self.model.layer)), titles, 0, False)  # fmt: skip
        if not ok:
            return
        column = editable[titles.index(title)]
        value, ok = QInputDialog.getText(self, translate("AttributeTable", "Set value"), translate(
            "AttributeTable", "New {column} for {n} features:").format(column=title, n=len(ids)))  # fmt: skip
        if ok:
            try:
                self.model.edit(self.model.layer, ids, column, value)
            except Exception as exc:
                self.model.error(str(exc))


def table_edit(network, layer: str, ids: list[str], column: str, text: Any) -> SetAttribute:
    """The edit for a table entry: parsed strictly and checked for each feature first (nothing half-done)."""
    value = parse_value(layer, column, text)
    for fid in ids:
        problems = attribute_problems(network, layer, fid, {column: value})
        if problems:
            raise EditRefused(fid, "; ".join(problems))
    return SetAttribute(network, layer, ids, column, value)
