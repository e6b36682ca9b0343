"""The violations dock (校核结果): one row per finding of the simulation; a click zooms to and selects the feature."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QDockWidget, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from console.ui.i18n import translate
from console.ui.i18n_messages import translate_message
from console.ui.simulation._text import violation_row

__all__ = ["ViolationsDock", "COLUMNS", "MAX_ROWS"]

COLUMNS = (
    QT_TRANSLATE_NOOP("SimulationDock", "Kind"),
    QT_TRANSLATE_NOOP("SimulationDock", "Severity"),
    QT_TRANSLATE_NOOP("SimulationDock", "Feature"),
    QT_TRANSLATE_NOOP("SimulationDock", "Value"),
    QT_TRANSLATE_NOOP("SimulationDock", "Limit"),
)
MAX_ROWS = 5000  # a list beyond this is unreadable; the header says how many more there are
ID_ROLE = Qt.ItemDataRole.UserRole
_ORDER = {"error": 0, "warning": 1}


class ViolationsDock(QDockWidget):
    """Signal ``featureActivated(id)`` when a row is clicked."""

    featureActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("SimulationDock", "Violations"), parent)
        self.setObjectName("simulationViolationsDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.header = QLabel(translate("SimulationDock", "No simulation yet"))
        self.header.setObjectName("panelSubtitle")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([translate("SimulationDock", c) for c in COLUMNS])
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
            message = translate_message(v.message)
            item.setToolTip(0, message)
            item.setToolTip(2, message)
            if v.severity == "error":
                item.setForeground(1, QBrush(QColor("#ff5b6e")))
            for col in (3, 4):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.tree.addTopLevelItems(items)
        for col in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        if len(ordered) > MAX_ROWS:
            text = translate(
                "SimulationDock", "{count} findings (first {shown} shown) — click a row to zoom to the feature"
            )
        else:
            text = translate("SimulationDock", "{count} findings — click a row to zoom to the feature")
        self.header.setText(header or text.format(count=f"{len(ordered):,}", shown=f"{MAX_ROWS:,}"))

    def clear(self, header: str | None = None) -> None:
        self.tree.clear()
        self.header.setText(header if header is not None else translate("SimulationDock", "No simulation yet"))

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
