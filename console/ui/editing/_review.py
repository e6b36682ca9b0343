"""The review view: change sets waiting for review, their diff on the map and in a table, their engineering
effect, approve (co-sign) or reject with a comment, and a feature's as-built history."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
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

from console.ui.editing._table import column_title
from console.ui.i18n import translate
from console.ui.map._items import SegmentsItem, make_pen
from console.ui.names import attribute_title, layer_name

__all__ = ["DIFF_COLORS", "DiffOverlay", "ReviewDock", "effect_text"]

STATUS_LABELS = {"draft": QT_TRANSLATE_NOOP("ReviewDock", "draft"),
                 "submitted": QT_TRANSLATE_NOOP("ReviewDock", "submitted"),
                 "approved": QT_TRANSLATE_NOOP("ReviewDock", "approved"),
                 "rejected": QT_TRANSLATE_NOOP("ReviewDock", "rejected")}  # fmt: skip

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
        super().__init__(translate("ReviewDock", "Review and commit"), parent)
        self.setObjectName("reviewDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.list = QListWidget()
        self.list.setObjectName("changesetList")
        self.title = QLabel(translate("ReviewDock", "Select a change set to review"))
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["", translate("ReviewDock", "Layer"), translate("ReviewDock", "Feature"),
                                              translate("ReviewDock", "Column"), translate("ReviewDock", "Before"),
                                              translate("ReviewDock", "After")])  # fmt: skip
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.effect = QPlainTextEdit()
        self.effect.setReadOnly(True)
        self.effect.setPlaceholderText(translate("ReviewDock", "Engineering effect: press “Review effect”"))
        buttons = QHBoxLayout()
        self.effect_button = QPushButton(translate("ReviewDock", "Review effect"))
        self.approve_button = QPushButton(translate("ReviewDock", "Approve ✓"))
        self.reject_button = QPushButton(translate("ReviewDock", "Reject…"))
        self.history_button = QPushButton(translate("ReviewDock", "Feature history…"))
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
            item = QListWidgetItem(f"[{_status(cs.status)}] {cs.change_id} · {cs.author or '—'} · +{n['add']} "
                                   f"~{n['change']} -{n['delete']} · {cs.title}")  # fmt: skip
            item.setData(Qt.ItemDataRole.UserRole, cs.change_id)
            self.list.addItem(item)
            if cs.change_id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def show_changeset(self, cs) -> None:
        n = cs.counts()
        text = f"<b>{cs.change_id}</b> — {cs.title}<br>" + translate("ReviewDock", "by {author} · {status}").format(
            author=cs.author or "—", status=_status(cs.status))  # fmt: skip
        if cs.reviewer:
            text += translate("ReviewDock", " · reviewer {reviewer}").format(reviewer=cs.reviewer)
        text += translate("ReviewDock", " · {added} added, {changed} changed, {deleted} deleted").format(
            added=n["add"], changed=n["change"], deleted=n["delete"])  # fmt: skip
        if cs.comment:
            text += "<br>" + translate("ReviewDock", "comment: {comment}").format(comment=cs.comment)
        self.title.setText(text)
        rows = []
        for c in cs.changes:
            if c.op == "change":
                for col in c.columns:
                    rows.append((c.op, c.layer, c.feature_id, col, c.before.get(col), c.after.get(col)))
            else:
                rows.append((c.op, c.layer, c.feature_id, "", "", ""))
        self.table.setRowCount(len(rows))
        for r, (op, layer, fid, col, before, after) in enumerate(rows):
            title = (attribute_title("Geometry") if col == "geometry" else column_title(layer, col)) if col else ""
            cells = ["+" if op == "add" else "−" if op == "delete" else "~", layer_name(layer), fid, title,
                     _shown(col, before), _shown(col, after)]  # fmt: skip
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if k == 0:
                    item.setForeground(pg.mkColor(DIFF_COLORS[op]))
                elif k == 3 and col:
                    item.setToolTip(col)  # the column as stored
                elif k in (4, 5) and (before, after)[k - 4] not in (None, ""):
                    item.setToolTip(str((before, after)[k - 4])[:200])  # the value as stored
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
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "NaN"
    return "" if value is None else str(value)


def _status(status: str) -> str:
    return translate("ReviewDock", STATUS_LABELS[status]) if status in STATUS_LABELS else status


def effect_text(effect) -> str:
    """A change set's engineering effect (:class:`console.app.review.ReviewEffect`) in the UI's language."""
    lines = [translate("ReviewDock", "validation: {introduced} findings introduced, {resolved} resolved").format(
        introduced=len(effect.findings_introduced), resolved=len(effect.findings_resolved))]  # fmt: skip
    from console.ui.editing._validation import check_title, severity_word  # the findings' words (dock's tables)

    for f in effect.findings_introduced[:10]:
        lines.append(f"  + {severity_word(f['severity'])} {check_title(f['check'])}: {', '.join(f['feature_ids'][:5])}")
    lines.append(translate("ReviewDock", "valve segments: {before} → {after} ({split} split, {merged} merged); valves "
                           "made useless: {valves}").format(
        before=effect.segments_before, after=effect.segments_after, split=effect.segments_split,
        merged=effect.segments_merged,
        valves=", ".join(effect.valves_made_useless) or translate("ReviewDock", "none")))  # fmt: skip
    lines.append(translate("ReviewDock", "customers whose isolation changes: {n}").format(
        n=len(effect.customers_isolation_changed)))  # fmt: skip
    if effect.hydraulics_note:
        lines.append(translate("ReviewDock", "hydraulics: {note}").format(note=effect.hydraulics_note))

    # The pressure systems whose minimum pressure moves (as shown, to 0.01 kPa), the largest drop first; the others
    # counted: a district has thousands of systems and a change set reaches a few.
    def kpa(value) -> str:
        return "—" if value is None else f"{value:.2f}"

    changed = [p for p in effect.pressures if kpa(p.min_before_kpa) != kpa(p.min_after_kpa)]
    shown = changed + [p for p in effect.pressures if p.reached and p not in changed]
    shown.sort(key=lambda p: (p.min_before_kpa is not None and p.min_after_kpa is not None,
                              (p.min_after_kpa or 0.0) - (p.min_before_kpa or 0.0), p.system))  # fmt: skip
    if effect.pressures:
        lines.append(translate("ReviewDock", "minimum pressure per pressure system: {changed} changed, {same} "
                               "unchanged").format(changed=len(changed), same=len(effect.pressures) - len(changed)))  # fmt: skip
        if len(shown) > len(changed):
            lines.append("  " + translate("ReviewDock", "(the systems the change set reaches are listed even when "
                                                        "unchanged)"))  # fmt: skip
    for p in shown:
        lines.append("  " + translate("ReviewDock", "{system} ({pressure_class}): min {before} → {after} kPa").format(
            system=p.system, pressure_class=p.pressure_class, before=kpa(p.min_before_kpa),
            after=kpa(p.min_after_kpa)))  # fmt: skip
    for v in effect.new_violations[:10]:
        lines.append("  " + translate("ReviewDock", "new {severity} {kind} at {feature}").format(
            severity=v["severity"], kind=v["kind"], feature=v["feature_id"]))  # fmt: skip
    if effect.overlapping_changesets:
        lines.append(translate("ReviewDock", "valve segment boundaries also changed by pending change sets: "
                               "{changes}").format(changes=", ".join(effect.overlapping_changesets)))  # fmt: skip
    return "\n".join(lines)
