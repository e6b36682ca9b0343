"""The hazards dock: the register with state and proof badge per hazard, and the selected one's history.

The dock only shows :class:`HazardRow` values and emits requests; the controller signs and appends.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.hazards import CATEGORIES, SEVERITIES, STEP_LABELS, STEP_VERBS, HazardRow, next_step, short
from console.ui.i18n import translate
from console.ui.ledger._overlay import hazard_icon

__all__ = ["HazardsDock", "BADGES", "badge_text"]

# badge -> (text, tooltip prefix, dark colour, light colour)
# (texts marked for translation with context "HazardsDock", shown through translate())
BADGES = {
    "witnessed": (QT_TRANSLATE_NOOP("HazardsDock", "✓ witnessed"), QT_TRANSLATE_NOOP("HazardsDock", "Proven and witnessed"),
                  "#3ddc84", "#1b8a3a"),
    "signed": (QT_TRANSLATE_NOOP("HazardsDock", "✓ signed"),
               QT_TRANSLATE_NOOP("HazardsDock", "Proven in a signed checkpoint, not yet witnessed"), "#8fd3ff", "#1565c0"),
    "pending": (QT_TRANSLATE_NOOP("HazardsDock", "… pending"), QT_TRANSLATE_NOOP("HazardsDock", "Not yet in a checkpoint"),
                "#b0bec5", "#607d8b"),
    "failed": (QT_TRANSLATE_NOOP("HazardsDock", "✗ FAILED"), QT_TRANSLATE_NOOP("HazardsDock", "Proof failed"),
               "#ff4d4f", "#c62828"),
}  # fmt: skip
_STATE_COLOURS = {"closed": ("#8b98a7", "#6b7785")}
_CATEGORY_LABELS = dict(CATEGORIES)
_SEVERITY_LABELS = dict(SEVERITIES)


def badge_text(badge: str) -> str:
    return translate("HazardsDock", BADGES.get(badge, BADGES["pending"])[0])


def step_label(step: str) -> str:
    """A lifecycle step as people read it (the ledger's own key when unknown)."""
    return translate("Hazards", STEP_LABELS[step]) if step in STEP_LABELS else step


def category_label(key: str) -> str:
    return translate("Hazards", _CATEGORY_LABELS[key]) if key in _CATEGORY_LABELS else key


def severity_label(key: str) -> str:
    return translate("Hazards", _SEVERITY_LABELS[key]) if key in _SEVERITY_LABELS else key


class HazardsDock(QDockWidget):
    """Signals: ``hazardSelected(str)``, ``advanceRequested(str)``, ``zoomRequested(str)``, ``reportRequested()``,
    ``incidentRequested(str)`` (open an emergency incident at the hazard; offered when something listens),
    ``themeMaybeChanged()``."""

    hazardSelected = Signal(str)
    advanceRequested = Signal(str)
    zoomRequested = Signal(str)
    reportRequested = Signal()
    incidentRequested = Signal(str)
    themeMaybeChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("HazardsDock", "Hazards"), parent)
        self.setObjectName("ledgerHazardsDock")
        self.theme = "dark"
        self._rows: dict[str, HazardRow] = {}
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.summary = QLabel(translate("HazardsDock", "No ledger open"))
        self.summary.setObjectName("panelSubtitle")
        self.summary.setWordWrap(True)
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(
            [
                translate("HazardsDock", "Hazard"),
                translate("HazardsDock", "State"),
                translate("HazardsDock", "Proof"),
                translate("HazardsDock", "Severity"),
                translate("HazardsDock", "Asset"),
            ]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.currentItemChanged.connect(self._on_current_change)
        self.tree.itemDoubleClicked.connect(
            lambda item, _c: self.zoomRequested.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.title = QLabel(translate("HazardsDock", "Select a hazard to see its history"))
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setObjectName("panelSubtitle")
        self.history = QTreeWidget()
        self.history.setHeaderLabels(
            [
                translate("HazardsDock", "Step"),
                translate("HazardsDock", "Actor"),
                translate("HazardsDock", "Time (UTC)"),
                "#",
                translate("HazardsDock", "Leaf hash"),
                translate("HazardsDock", "Detail"),
            ]
        )
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.header().setStretchLastSection(True)
        self.report_button = QPushButton(translate("HazardsDock", "Report hazard…"))
        self.report_button.setToolTip(translate("HazardsDock", "Or right-click on the map: Report hazard here"))
        self.report_button.clicked.connect(self.reportRequested)
        self.zoom_button = QPushButton(translate("HazardsDock", "Zoom to"))
        self.zoom_button.clicked.connect(lambda: self.current_id() and self.zoomRequested.emit(self.current_id()))
        self.advance_button = QPushButton(translate("HazardsDock", "Advance…"))
        self.advance_button.setDefault(True)
        self.advance_button.clicked.connect(lambda: self.current_id() and self.advanceRequested.emit(self.current_id()))
        self.incident_button = QPushButton(translate("HazardsDock", "Open incident"))
        self.incident_button.setToolTip(
            translate("HazardsDock", "Open an emergency incident at this hazard: plan, grade, customers")
        )
        self.incident_button.clicked.connect(
            lambda: self.current_id() and self.incidentRequested.emit(self.current_id())
        )
        self.incident_button.setVisible(False)  # shown once dispatch listens (set_incidents_enabled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.report_button)
        buttons.addStretch(1)
        buttons.addWidget(self.incident_button)
        buttons.addWidget(self.zoom_button)
        buttons.addWidget(self.advance_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 4, 0, 0)
        lower_layout.addWidget(self.title)
        lower_layout.addWidget(self.detail)
        lower_layout.addWidget(self.history, 1)
        lower_layout.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addWidget(split, 1)
        # A scroll area keeps the dock's minimum height small: tabbed with other docks it must not force the window taller.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self._update_buttons()
        self._update_legend()

    # -- content -----------------------------------------------------------------------------------------------------
    def set_hazards(self, rows: list[HazardRow]) -> None:
        current = self.current_id()
        self._rows = {r.hazard_id: r for r in rows}
        self.tree.blockSignals(True)
        self.tree.clear()
        select = None
        for r in rows:
            item = QTreeWidgetItem([r.hazard_id, step_label(r.status), badge_text(r.badge), severity_label(r.severity),
                                    r.asset_id or "—"])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, r.hazard_id)
            item.setIcon(0, hazard_icon(r.status, r.severity, self.theme))
            item.setToolTip(0, f"{category_label(r.category)}: {r.description}")
            colours = BADGES.get(r.badge, BADGES["pending"])
            item.setForeground(2, QBrush(QColor(colours[2 if self.theme == "dark" else 3])))
            item.setToolTip(2, f"{translate('HazardsDock', colours[1])}: {r.badge_detail}")
            if r.status == "closed":
                muted = QColor(_STATE_COLOURS["closed"][0 if self.theme == "dark" else 1])
                for col in (0, 1, 3, 4):
                    item.setForeground(col, QBrush(muted))
            self.tree.addTopLevelItem(item)
            if r.hazard_id == current:
                select = item
        self.tree.blockSignals(False)
        open_count = sum(r.status != "closed" for r in rows)
        failed = sum(r.badge == "failed" for r in rows)
        text = translate("HazardsDock", "{count} hazards · {open} open · {closed} closed").format(
            count=len(rows), open=open_count, closed=len(rows) - open_count
        )
        if failed:
            failed_text = translate("HazardsDock", "{count} failed proof").format(count=failed)
            text += f" · <b style='color:#ff4d4f'>{failed_text}</b>"
        self.summary.setText(text)
        if select is not None:
            self.tree.setCurrentItem(select)
        self._show_history(self._rows.get(current) if current else None)

    def set_message(self, text: str) -> None:
        self.summary.setText(text)

    def current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select_hazard(self, hazard_id: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == hazard_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def row(self, hazard_id: str) -> HazardRow | None:
        return self._rows.get(hazard_id)

    def hazard_ids(self) -> list[str]:
        return [
            self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(self.tree.topLevelItemCount())
        ]

    def _on_current_change(self, item, _previous) -> None:
        hazard_id = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        self._show_history(self._rows.get(hazard_id) if hazard_id else None)
        if hazard_id:
            self.hazardSelected.emit(hazard_id)

    def _show_history(self, row: HazardRow | None) -> None:
        self.history.clear()
        if row is None:
            self.title.setText(translate("HazardsDock", "Select a hazard to see its history"))
            self.detail.setText("")
            self._update_buttons()
            return
        colours = BADGES.get(row.badge, BADGES["pending"])
        colour = colours[2 if self.theme == "dark" else 3]
        self.title.setText(f"{row.hazard_id} — {step_label(row.status)}")
        where = translate("HazardsDock", "{category} · {severity} · asset {asset} · log {log}").format(
            category=category_label(row.category), severity=severity_label(row.severity), asset=row.asset_id or "—",
            log=row.origin,
        )  # fmt: skip
        badge = translate("HazardsDock", colours[0])
        self.detail.setText(
            f"{where}<br>{row.description}<br>"
            f"<span style='color:{colour}; font-weight:600'>{badge}</span> — {row.badge_detail}"
        )
        for s in row.steps:
            label = step_label(s.state) + (f"  📎{s.attachments}" if s.attachments else "")
            item = QTreeWidgetItem([label, s.actor, s.time.replace("T", " ")[:19], str(s.index),
                                    short(s.leaf_hash), s.detail])  # fmt: skip
            item.setToolTip(4, s.leaf_hash)
            item.setToolTip(5, s.detail)
            if s.index == row.bad_index:
                item.setText(0, "✗ " + label)
                for col in range(6):
                    item.setForeground(col, QBrush(QColor(BADGES["failed"][2 if self.theme == "dark" else 3])))
                item.setToolTip(
                    0, translate("HazardsDock", "This entry's stored bytes no longer match the signed checkpoint")
                )
            self.history.addTopLevelItem(item)
        self._update_buttons(row)

    def set_incidents_enabled(self, enabled: bool) -> None:
        """Offer "Open incident" on a hazard (the dispatch feature calls this when it installs)."""
        self.incident_button.setVisible(enabled)
        self._incidents = enabled

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        hazard_id = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self.tree)
        if getattr(self, "_incidents", False):
            menu.addAction(
                translate("HazardsDock", "Open incident here"), lambda: self.incidentRequested.emit(hazard_id)
            )
        menu.addAction(translate("HazardsDock", "Zoom to"), lambda: self.zoomRequested.emit(hazard_id))
        step = next_step(self._rows[hazard_id].status) if hazard_id in self._rows else None
        if step is not None:
            menu.addAction(translate("Hazards", STEP_VERBS[step]) + "…", lambda: self.advanceRequested.emit(hazard_id))
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _update_buttons(self, row: HazardRow | None = None) -> None:
        step = next_step(row.status) if row is not None and row.status else None
        self.zoom_button.setEnabled(row is not None)
        self.incident_button.setEnabled(row is not None)
        self.advance_button.setEnabled(step is not None)
        self.advance_button.setText(
            translate("Hazards", STEP_VERBS[step]) + "…" if step else translate("HazardsDock", "Advance…")
        )

    # -- theme -------------------------------------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self._update_legend()
        if self._rows:
            self.set_hazards(list(self._rows.values()))

    def _update_legend(self) -> None:
        from console.ui.ledger._overlay import SEVERITY_COLORS

        c = SEVERITY_COLORS.get(self.theme, SEVERITY_COLORS["dark"])
        severity = " &nbsp; ".join(
            f"<span style='color:{c[key]}'>■</span> {severity_label(key)}" for key in ("minor", "major", "critical")
        )
        glyphs = {"reported": "▲", "assigned": "◆", "rectified": "■", "verified": "●", "closed": "○"}
        states = " &nbsp;".join(f"{glyph} {step_label(step)}" for step, glyph in glyphs.items())
        self.legend.setText(
            translate("HazardsDock", "Severity: {severities}<br>State: {states}").format(
                severities=severity, states=states
            )
        )

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.themeMaybeChanged.emit()
