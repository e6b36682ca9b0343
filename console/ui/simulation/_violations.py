"""The violations dock (校核结果): one row per finding of the simulation; a click zooms to and selects the feature."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QDockWidget, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from console.ui.simulation._text import violation_row

__all__ = ["ViolationsDock", "COLUMNS", "MAX_ROWS"]

COLUMNS = ("Kind", "Severity", "Feature", "Value", "Limit")
MAX_ROWS = 5000  # a list beyond this is unreadable; the header says how many more there are
ID_ROLE = Qt.ItemDataRole.UserRole
_ORDER = {"error": 0, "warning": 1}


class ViolationsDock(QDockWidget):
    """Signal ``featureActivated(id)`` when a row is clicked."""

    featureActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Violations 校核", parent)
        self.setObjectName("simulationViolationsDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.header = QLabel("No simulation yet")
        self.header.setObjectName("panelSubtitle")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(False)
        self.tree.itemClicked.connect(self._on_item_click)
        self.tree.itemActivated.connect(self._on_item_click)
        layout.addWidget(self.tree, 1)
        self.setWidget(body)

    def set_violations(self, violations: list, header: str = "") -> None:
        """Show violations, errors first (then by kind, largest shortfall first as the core sorted them)."""
        ordered = sorted(violations, key=lambda v: _ORDER.get(v.severity, 2))
        self.tree.clear()
        items = []
        for v in ordered[:MAX_ROWS]:
            item = QTreeWidgetItem(list(violation_row(v)))
            item.setData(0, ID_ROLE, v.feature_id)
            item.setToolTip(0, v.message)
            item.setToolTip(2, v.message)
            if v.severity == "error":
                item.setForeground(1, QBrush(QColor("#ff5b6e")))
            for col in (3, 4):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.tree.addTopLevelItems(items)
        for col in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        more = f" (first {MAX_ROWS:,} shown)" if len(ordered) > MAX_ROWS else ""
        self.header.setText(header or f"{len(ordered):,} findings{more} — click a row to zoom to the feature")

    def clear(self, header: str = "No simulation yet") -> None:
        self.tree.clear()
        self.header.setText(header)

    def rows(self) -> list[tuple[str, ...]]:
        return [
            tuple(self.tree.topLevelItem(k).text(c) for c in range(len(COLUMNS)))
            for k in range(self.tree.topLevelItemCount())
        ]

    def feature_ids(self) -> list[str]:
        return [self.tree.topLevelItem(k).data(0, ID_ROLE) for k in range(self.tree.topLevelItemCount())]

    def _on_item_click(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        fid = item.data(0, ID_ROLE)
        if fid:
            self.featureActivated.emit(str(fid))
