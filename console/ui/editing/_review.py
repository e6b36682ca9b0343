"""The review view (审核): change sets waiting for review, their diff on the map and in a table, their engineering
effect, approve (co-sign) or reject with a comment, and a feature's as-built history."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.map._items import SegmentsItem, make_pen

__all__ = ["DIFF_COLORS", "DiffOverlay", "ReviewDock"]

# Distinct from every pressure-class colour of the map (LP … HP are blues, greens, oranges and reds of the network).
DIFF_COLORS = {"add": "#39ff88", "change": "#e040fb", "delete": "#ff3030"}
Z_DIFF = 70.0


def _geometry(change) -> object | None:
    values = change.after if change.op != "delete" else change.before
    wkb = values.get("geometry")
    return shapely.from_wkb(wkb) if isinstance(wkb, str) else None


class DiffOverlay:
    """A change set on the map: added in green, changed in orange, deleted in red (dashed), points as rings."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.lines = {
            op: SegmentsItem(make_pen(c, 6.0, "dash" if op == "delete" else "solid")) for op, c in DIFF_COLORS.items()
        }
        self.points = {op: pg.ScatterPlotItem(pxMode=True) for op in DIFF_COLORS}
        for op in DIFF_COLORS:
            canvas.add_overlay(self.lines[op], Z_DIFF)
            canvas.add_overlay(self.points[op], Z_DIFF + 1)

    def draw(self, changes, network=None) -> None:
        ox, oy = self.canvas.origin
        for op, color in DIFF_COLORS.items():
            mine = [c for c in changes if c.op == op]
            geoms = []
            for c in mine:
                g = _geometry(c)
                if g is None and network is not None:  # an attribute-only change: where the feature is
                    try:
                        g = network.feature(c.feature_id)["geometry"]
                    except KeyError:
                        g = None
                if g is not None:
                    geoms.append(g)
            geoms = np.asarray(geoms, dtype=object)
            lines = geoms[shapely.get_type_id(geoms) == 1] if len(geoms) else geoms
            pts = geoms[shapely.get_type_id(geoms) == 0] if len(geoms) else geoms
            if len(lines):
                coords, which = shapely.get_coordinates(lines, return_index=True)
                coords = coords - (ox, oy)
                same = which[1:] == which[:-1]
                self.lines[op].set_lines(np.hstack([coords[:-1][same], coords[1:][same]]))
            else:
                self.lines[op].set_lines(np.empty((0, 4)))
            if len(pts):
                xy = shapely.get_coordinates(pts) - (ox, oy)
                self.points[op].setData(xy[:, 0], xy[:, 1], symbol="o", size=13, pen=pg.mkPen(color, width=3),
                                        brush=pg.mkBrush(0, 0, 0, 0))  # fmt: skip
            else:
                self.points[op].setData([], [])

    def clear(self) -> None:
        self.draw([])


class ReviewDock(QDockWidget):
    """The list of change sets, the selected one's diff table and effect, and the reviewer's buttons."""

    selected = Signal(str)  # a change set id
    approveRequested = Signal(str)
    rejectRequested = Signal(str)
    effectRequested = Signal(str)
    historyRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Review 审核入库", parent)
        self.setObjectName("reviewDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.list = QListWidget()
        self.list.setObjectName("changesetList")
        self.title = QLabel("Select a change set to review")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["", "layer", "feature", "column", "before", "after"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.effect = QPlainTextEdit()
        self.effect.setReadOnly(True)
        self.effect.setPlaceholderText("Engineering effect: press “Review effect”")
        buttons = QHBoxLayout()
        self.effect_button = QPushButton("Review effect")
        self.approve_button = QPushButton("Approve ✓")
        self.reject_button = QPushButton("Reject…")
        self.history_button = QPushButton("Feature history…")
        for b in (self.effect_button, self.approve_button, self.reject_button, self.history_button):
            buttons.addWidget(b)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.table)
        split.addWidget(self.effect)
        split.setSizes([90, 300, 220])
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.list.currentItemChanged.connect(
            lambda item, _old: item and self.selected.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.effect_button.clicked.connect(lambda: self.current_id() and self.effectRequested.emit(self.current_id()))
        self.approve_button.clicked.connect(lambda: self.current_id() and self.approveRequested.emit(self.current_id()))
        self.reject_button.clicked.connect(lambda: self.current_id() and self.rejectRequested.emit(self.current_id()))
        self.history_button.clicked.connect(self.historyRequested.emit)

    def current_id(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def set_changesets(self, changesets) -> None:
        keep = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for cs in sorted(changesets, key=lambda c: (c.status != "submitted", c.created), reverse=False):
            n = cs.counts()
            item = QListWidgetItem(f"[{cs.status}] {cs.change_id} · {cs.author or '—'} · +{n['add']} ~{n['change']} "
                                   f"-{n['delete']} · {cs.title}")  # fmt: skip
            item.setData(Qt.ItemDataRole.UserRole, cs.change_id)
            self.list.addItem(item)
            if cs.change_id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def show_changeset(self, cs) -> None:
        n = cs.counts()
        self.title.setText(
            f"<b>{cs.change_id}</b> — {cs.title}<br>by {cs.author or '—'} · {cs.status}"
            f"{' · reviewer ' + cs.reviewer if cs.reviewer else ''} · {n['add']} added, {n['change']} changed, "
            f"{n['delete']} deleted{('<br>comment: ' + cs.comment) if cs.comment else ''}"
        )
        rows = []
        for c in cs.changes:
            if c.op == "change":
                for col in c.columns:
                    rows.append((c.op, c.layer, c.feature_id, col, c.before.get(col), c.after.get(col)))
            else:
                rows.append((c.op, c.layer, c.feature_id, "", "", ""))
        self.table.setRowCount(len(rows))
        for r, (op, layer, fid, col, before, after) in enumerate(rows):
            cells = ["+" if op == "add" else "−" if op == "delete" else "~", layer, fid, col,
                     _shown(col, before), _shown(col, after)]  # fmt: skip
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if k == 0:
                    item.setForeground(pg.mkColor(DIFF_COLORS[op]))
                self.table.setItem(r, k, item)
        self.table.resizeColumnsToContents()
        self.approve_button.setEnabled(cs.status == "submitted")
        self.reject_button.setEnabled(cs.status == "submitted")
        self.effect.setPlainText("")

    def show_effect(self, text: str) -> None:
        self.effect.setPlainText(text)


def _shown(column: str, value) -> str:
    if column == "geometry" and isinstance(value, str):
        g = shapely.from_wkb(value)
        return (
            f"{g.geom_type} {g.length:.1f} m" if g.geom_type == "LineString" else f"{g.geom_type} {g.x:.1f}, {g.y:.1f}"
        )
    return "" if value is None else str(value)
