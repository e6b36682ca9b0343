"""The crossings dock (交叉点管位): pipes that cross in plan, their vertical clearance, and those below GB 50028's
minimum; choosing a row flies the 3D camera to the crossing with both pipes labelled."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.scene import Crossings
from console.ui.i18n import translate

__all__ = ["CrossingsDock"]

COLUMNS = (
    QT_TRANSLATE_NOOP("View3D", "Upper pipe"),
    QT_TRANSLATE_NOOP("View3D", "Lower pipe"),
    QT_TRANSLATE_NOOP("View3D", "Clear distance m"),
    QT_TRANSLATE_NOOP("View3D", "Cover upper m"),
    QT_TRANSLATE_NOOP("View3D", "Cover lower m"),
)
MAX_ROWS = 5000


class CrossingsDock(QDockWidget):
    """A table of crossings, the ones below the minimum first and in red. ``crossingChosen(k)`` gives the row of
    :class:`~console.scene.Crossings` the user chose."""

    crossingChosen = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(translate("View3D", "Crossings"), parent)
        self.setObjectName("view3d_crossings")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel(translate("View3D", "Crossings are computed when the 3D view opens."), body)
        self.summary.setWordWrap(True)
        self.only_below = QCheckBox(translate("View3D", "Only those below the minimum clearance"), body)
        self.only_below.setChecked(True)
        self.only_below.toggled.connect(lambda _on: self._fill())
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setHorizontalHeaderLabels([translate("View3D", c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._on_selection_change)
        layout.addWidget(self.summary)
        layout.addWidget(self.only_below)
        layout.addWidget(self.table, 1)
        self.setWidget(body)
        self.crossings: Crossings | None = None
        self._rows: list[int] = []

    def set_crossings(self, crossings: Crossings | None) -> None:
        self.crossings = crossings
        self._fill()

    def _fill(self) -> None:
        c = self.crossings
        self.table.setRowCount(0)
        self._rows = []
        if c is None:
            return
        below = c.below_minimum
        self.summary.setText(
            translate(
                "View3D",
                "{count} crossings in plan; {below} below the {minimum} m vertical clear distance of GB 50028 (table "
                "6.3.3-2). Clearances use the recorded cover, or the minimum cover of §6.3.4 where it is missing.",
            ).format(count=f"{len(c):,}", below=f"<b>{int(below.sum()):,}</b>", minimum=f"{c.required_m:.2f}")
        )
        rows = [k for k in range(len(c)) if below[k] or not self.only_below.isChecked()][:MAX_ROWS]
        self._rows = rows
        self.table.setRowCount(len(rows))
        red = QBrush(QColor("#ff5c5c"))
        for r, k in enumerate(rows):
            values = (
                str(c.id_a[k]),
                str(c.id_b[k]),
                f"{c.clearance_m[k]:.2f}",
                f"{c.cover_a[k]:.2f}",
                f"{c.cover_b[k]:.2f}",
            )
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if below[k]:
                    item.setForeground(red)
                self.table.setItem(r, col, item)
        self.table.resizeColumnsToContents()

    def crossing_at(self, table_row: int) -> int:
        return self._rows[table_row]

    def choose(self, table_row: int) -> None:
        """Select a table row (as a click does)."""
        self.table.selectRow(table_row)

    def _on_selection_change(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.crossingChosen.emit(self._rows[rows[0].row()])
