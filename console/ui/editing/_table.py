"""The attribute table (属性表) of one layer: sort, filter, select on the map, edit a cell or several rows at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
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

__all__ = ["AttributeTableDock", "LayerTableModel"]


class LayerTableModel(QAbstractTableModel):
    """One layer of the network as a table (values read on demand; reset after every edit)."""

    def __init__(self, network=None, layer: str = "pipes") -> None:
        super().__init__()
        self.network, self.layer = network, layer
        self.columns: list[str] = []
        self.edit: Callable[[str, list[str], str, Any], None] | None = None
        self.error: Callable[[str], None] = lambda text: None
        self.reset(network, layer)

    def reset(self, network=None, layer: str | None = None) -> None:
        self.beginResetModel()
        self.network = network if network is not None else self.network
        self.layer = layer or self.layer
        self.columns = LAYERS[self.layer].column_names
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() or self.network is None else len(self.network[self.layer])

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None

    def feature_id(self, row: int) -> str:
        return str(self.network[self.layer]["id"].iat[row])

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.UserRole):
            return None
        value = self.network[self.layer][self.columns[index.column()]].iat[index.row()]
        if hasattr(value, "item"):
            value = value.item()
        if role == Qt.ItemDataRole.UserRole:  # the sort key: numbers as numbers
            return (
                value
                if isinstance(value, (int, float)) and not (isinstance(value, float) and np.isnan(value))
                else str(value)
            )
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.6g}"
        return str(value)

    def flags(self, index: QModelIndex):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()] not in ("id", "from_node", "to_node"):
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
        super().__init__("Attribute table 属性表", parent)
        self.setObjectName("attributeTableDock")
        self.model = LayerTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        body = QWidget()
        layout = QVBoxLayout(body)
        top = QHBoxLayout()
        self.layer_box = QComboBox()
        self.layer_box.addItems([n for n in LAYERS if n != "links"])
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter rows (any column)…")
        self.set_many = QPushButton("Set value on selected…")
        top.addWidget(self.layer_box)
        top.addWidget(self.filter, 1)
        top.addWidget(self.set_many)
        layout.addLayout(top)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        layout.addWidget(self.view)
        self.setWidget(body)
        self.layer_box.currentTextChanged.connect(lambda name: self.model.reset(layer=name))
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.clicked.connect(self._on_row_click)
        self.set_many.clicked.connect(self.ask_set_many)

    def set_network(self, network) -> None:
        self.model.reset(network)

    def selected_ids(self) -> list[str]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.feature_id(r) for r in rows]

    def _on_row_click(self, index: QModelIndex) -> None:
        self.featureSelected.emit(self.model.feature_id(self.proxy.mapToSource(index).row()))

    def ask_set_many(self) -> None:
        ids = self.selected_ids()
        if not ids or self.model.edit is None:
            return
        editable = [c for c in self.model.columns if c not in ("id", "from_node", "to_node")]
        column, ok = QInputDialog.getItem(
            self, "Set value", f"Column of {len(ids)} {self.model.layer}:", editable, 0, False
        )
        if not ok:
            return
        value, ok = QInputDialog.getText(self, "Set value", f"New {column} for {len(ids)} features:")
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
