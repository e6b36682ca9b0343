"""The incident dock: one incident's plan, crews, notices, restoration and timeline, in tabs.

The dock shows what :class:`console.app.incidents.IncidentService` folds from the ledger (a *view* dict the
controller assembles) and asks for steps through one signal, ``stepRequested(verb, arguments)``; the controller
records them and the dock is refilled from the ledger. A refused step comes back as a red line (:meth:`show_message`).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.dispatch import EFFECT_TEMPLATES, step_name
from console.ui.dispatch._board import GRADE_COLORS, STATUS_COLORS, clock_text, state_label, word
from console.ui.elided import ElidedLabel
from console.ui.i18n import current_language, translate
from console.ui.i18n_messages import register, translate_message

register("DispatchPlan", EFFECT_TEMPLATES)

__all__ = ["IncidentDock", "TABS"]

TABS = ("plan", "crews", "notices", "restoration", "timeline")
TAB_TITLES = {"plan": QT_TRANSLATE_NOOP("IncidentDock", "Plan"), "crews": QT_TRANSLATE_NOOP("IncidentDock", "Crews"),
              "notices": QT_TRANSLATE_NOOP("IncidentDock", "Notices"),
              "restoration": QT_TRANSLATE_NOOP("IncidentDock", "Restoration"),
              "timeline": QT_TRANSLATE_NOOP("IncidentDock", "Timeline")}  # fmt: skip
VALVE_STATUS_COLORS = {"closed": "#15803d", "confirmed": "#15803d", "warning": "#dc2626", "failed": "#7c3aed",
                       "reopened": "#2563eb", "to close": "#a16207", "optional": "#64748b"}  # fmt: skip
CREW_NEXT = {"dispatched": "acknowledged", "acknowledged": "en_route", "en_route": "on_site", "on_site": "done"}
CREW_NEXT_LABELS = {"acknowledged": QT_TRANSLATE_NOOP("IncidentDock", "Acknowledged ▸"),
                    "en_route": QT_TRANSLATE_NOOP("IncidentDock", "En route ▸"),
                    "on_site": QT_TRANSLATE_NOOP("IncidentDock", "On site ▸"),
                    "done": QT_TRANSLATE_NOOP("IncidentDock", "Done ▸")}  # fmt: skip
METER_LABELS = {None: QT_TRANSLATE_NOOP("IncidentDock", "gas on"), "shut_off": QT_TRANSLATE_NOOP("IncidentDock", "shut off"),
                "relit": QT_TRANSLATE_NOOP("IncidentDock", "relit"),
                "not_home": QT_TRANSLATE_NOOP("IncidentDock", "not at home"),
                "handed_over": QT_TRANSLATE_NOOP("IncidentDock", "handed over")}  # fmt: skip
VALVE_STATUS_LABELS = {"closed": QT_TRANSLATE_NOOP("IncidentDock", "closed"),
                       "confirmed": QT_TRANSLATE_NOOP("IncidentDock", "confirmed"),
                       "reopened": QT_TRANSLATE_NOOP("IncidentDock", "reopened"),
                       "to close": QT_TRANSLATE_NOOP("IncidentDock", "to close"),
                       "optional": QT_TRANSLATE_NOOP("IncidentDock", "optional"),
                       "warning": QT_TRANSLATE_NOOP("IncidentDock", "warning: pressure did not fall"),
                       "failed": QT_TRANSLATE_NOOP("IncidentDock", "failed (would not turn)")}  # fmt: skip


def effect_text(effect: dict | None) -> tuple[str, str, str]:
    """A plan's pressure effect as (one line, details (rich text, may be empty), level "warning" / "low" / "")."""
    if not effect:
        return translate("IncidentDock", "not computed (hydraulic what-if off)"), "", ""
    if effect.get("infeasible"):
        systems = ", ".join(effect.get("systems", ())) or "?"
        pipes = effect.get("bottlenecks", ())
        line = translate("IncidentDock", "WARNING: with these valves closed, pressure system {systems} cannot "
                         "carry its peak demand of {demand:,.1f} Nm³/h").format(
            systems=systems, demand=effect.get("demand_nm3h", 0.0))  # fmt: skip
        rows = [
            translate("IncidentDock", "<b>Supply cannot be held.</b> With the plan's valves closed, the "
                      "{demand:,.1f} Nm³/h of peak demand fed through pressure system {systems} cannot be delivered "
                      "from its supply pressure: the rest of the network must carry the flow the closed section "
                      "carried, and pressure would fall below zero.").format(
                demand=effect.get("demand_nm3h", 0.0), systems=html.escape(systems)),
        ]  # fmt: skip
        if pipes:
            shown = ", ".join(f"{html.escape(p)} ({q:,.0f} Nm³/h)" for p, q in pipes)
            rows.append(translate("IncidentDock", "Bottleneck pipes (largest pressure drops): {pipes}").format(
                pipes=shown))  # fmt: skip
        nodes = effect.get("collapsed_nodes", ())
        if nodes:
            shown = ", ".join(html.escape(n) for n in nodes[:8]) + (" …" if len(nodes) > 8 else "")
            rows.append(translate("IncidentDock", "Pressure collapses at {count} nodes: {nodes}").format(
                count=len(nodes), nodes=shown))  # fmt: skip
        rows.append(translate("IncidentDock", "Before closing: shed or cut large loads in that system, raise the gate "
                              "station's outlet pressure, or feed it another way (a bypass around the break, a "
                              "temporary line); close in stages while watching the pressures."))  # fmt: skip
        return line, "<br>".join(rows), "warning"
    if not effect.get("solved", True):
        why = translate_message(effect.get("note", ""))
        return translate("IncidentDock", "not computed"), html.escape(why), ""
    low = len(effect.get("low_customers", ())) + len(effect.get("unsupplied_outside", ()))
    regs = effect.get("regulators", ())
    if not low:
        return translate("IncidentDock", "no customer outside the shut-off region falls below service pressure"), "", ""
    line = translate("IncidentDock", "{n} customers outside the shut-off region fall below service pressure").format(
        n=low)  # fmt: skip
    details = ""
    if regs:
        line += translate("IncidentDock", " — regulators: {regulators}").format(
            regulators=", ".join(r[0] for r in regs))  # fmt: skip
        details = "<br>".join(f"<b>{html.escape(r[0])}</b>: {html.escape(translate_message(r[1]))}" for r in regs)
    return line, details, "low"


def _table(columns: list[str], multi: bool = False) -> QTableWidget:
    """A read-only table with ``columns`` (English, marked): the headers in the UI's language."""
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels([translate("IncidentDock", c) for c in columns])
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                       else QAbstractItemView.SelectionMode.SingleSelection)  # fmt: skip
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.verticalHeader().setDefaultSectionSize(22)
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # sized once per fill, not per cell
    header.setStretchLastSection(True)
    return t


def _fill(table: QTableWidget, rows: list[list[str]], colors: list[str | None] | None = None, color_col: int = -1):
    """Replace the table's rows (thousands of customers: one layout pass at the end, not one per cell)."""
    table.setUpdatesEnabled(False)
    try:
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                item = QTableWidgetItem(str(text))
                if colors is not None and j == color_col and colors[i]:
                    item.setForeground(QBrush(QColor(colors[i])))
                table.setItem(i, j, item)
        table.resizeColumnsToContents()
    finally:
        table.setUpdatesEnabled(True)


def _selected(table: QTableWidget, column: int = 0) -> list[str]:
    rows = sorted({i.row() for i in table.selectedItems()})
    return [table.item(r, column).text() for r in rows if table.item(r, column) is not None]


class IncidentDock(QDockWidget):
    """One incident in five tabs. Signals: ``stepRequested(verb, args)``, ``featureActivated(id)``,
    ``reportRequested()``, ``zoomRequested()``."""

    stepRequested = Signal(str, dict)
    featureActivated = Signal(str)
    reportRequested = Signal()
    zoomRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("IncidentDock", "Incident"), parent)
        self.setObjectName("incidentDock")
        self.incident_id: str | None = None
        self._view: dict = {}
        self._customers_key: tuple | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        head = QHBoxLayout()
        self.title = QLabel(translate("IncidentDock", "No incident chosen"))
        self.title.setObjectName("panelTitle")
        self.grade_label = QLabel("")
        self.zoom_button = QPushButton(translate("IncidentDock", "Zoom"))
        self.zoom_button.setToolTip(
            translate("IncidentDock", "Show the outage, the plan's valves and the crews on the map")
        )
        self.report_button = QPushButton(translate("IncidentDock", "Report…"))
        self.report_button.setToolTip(
            translate("IncidentDock", "The after-action report from the ledger (HTML and PDF)")
        )
        head.addWidget(self.title)
        head.addWidget(self.grade_label)
        head.addStretch(1)
        head.addWidget(self.zoom_button)
        head.addWidget(self.report_button)
        layout.addLayout(head)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("panelSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)
        self.clocks = QLabel("")
        self.clocks.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.clocks)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self._build_plan()
        self._build_crews()
        self._build_notices()
        self._build_restoration()
        self._build_timeline()
        self.setWidget(body)
        self.zoom_button.clicked.connect(self.zoomRequested)
        self.report_button.clicked.connect(self.reportRequested)
        self._set_enabled(False)

    # -- tabs --------------------------------------------------------------------------------------------------------
    def _tab(self, key: str) -> QVBoxLayout:
        page = QWidget()
        page.setObjectName(f"incidentTab_{key}")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(2, 6, 2, 2)
        lay.setSpacing(4)
        self.tabs.addTab(page, translate("IncidentDock", TAB_TITLES[key]))
        return lay

    def _step(self, verb: str, **args) -> None:
        if self.incident_id:
            self.stepRequested.emit(verb, {"incident_id": self.incident_id, **args})

    def _build_plan(self) -> None:
        lay = self._tab("plan")
        self.plan_summary = QLabel("")
        self.plan_summary.setWordWrap(True)
        self.plan_summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.plan_summary)
        # The pressure effect on one line (elided); its figures in the tooltip and, on demand, below it.
        effect_row = QHBoxLayout()
        self.plan_effect = ElidedLabel("")
        self.plan_effect_more = QToolButton()
        self.plan_effect_more.setText(translate("IncidentDock", "Details"))
        self.plan_effect_more.setCheckable(True)
        self.plan_effect_more.setAutoRaise(True)
        self.plan_effect_more.hide()
        effect_row.addWidget(self.plan_effect, 1)
        effect_row.addWidget(self.plan_effect_more)
        lay.addLayout(effect_row)
        self.plan_effect_details = QLabel("")
        self.plan_effect_details.setWordWrap(True)
        self.plan_effect_details.setTextFormat(Qt.TextFormat.RichText)
        self.plan_effect_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan_effect_details.hide()
        lay.addWidget(self.plan_effect_details)
        self.plan_effect_more.toggled.connect(self.plan_effect_details.setVisible)
        self.valves = _table(["#", QT_TRANSLATE_NOOP("IncidentDock", "Valve"), QT_TRANSLATE_NOOP("IncidentDock", "Action"),
                              QT_TRANSLATE_NOOP("IncidentDock", "Kind"), QT_TRANSLATE_NOOP("IncidentDock", "Status"),
                              QT_TRANSLATE_NOOP("IncidentDock", "Crew"),
                              QT_TRANSLATE_NOOP("IncidentDock", "Distance")])  # fmt: skip
        lay.addWidget(self.valves, 2)
        row = QHBoxLayout()
        self.closed_button = QPushButton(translate("IncidentDock", "Closed ✓"))
        self.closed_button.setToolTip(translate("IncidentDock", "The crew reports the selected valve closed (the "
                                                "console then watches the pressure downstream to confirm it)"))  # fmt: skip
        self.failed_button = QPushButton(translate("IncidentDock", "Would not turn…"))
        self.failed_button.setToolTip(
            translate("IncidentDock", "The selected valve would not turn: re-plan in place with the next ring")
        )
        self.reopen_button = QPushButton(translate("IncidentDock", "Reopened"))
        row.addWidget(self.closed_button)
        row.addWidget(self.failed_button)
        row.addWidget(self.reopen_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.customers = _table([QT_TRANSLATE_NOOP("IncidentDock", "Customer"), QT_TRANSLATE_NOOP("IncidentDock", "Name"),
                                 QT_TRANSLATE_NOOP("IncidentDock", "Category"),
                                 QT_TRANSLATE_NOOP("IncidentDock", "Households"),
                                 QT_TRANSLATE_NOOP("IncidentDock", "Role")])  # fmt: skip
        lay.addWidget(QLabel(translate("IncidentDock", "Customers without gas — special users first")))
        lay.addWidget(self.customers, 3)
        self.closed_button.clicked.connect(lambda: self._valve_step("closed"))
        self.reopen_button.clicked.connect(lambda: self._valve_step("opened"))
        self.failed_button.clicked.connect(lambda: self._valve_step("failed"))
        self.valves.cellDoubleClicked.connect(lambda r, _c: self.featureActivated.emit(self.valves.item(r, 1).text()))
        self.customers.cellDoubleClicked.connect(
            lambda r, _c: self.featureActivated.emit(self.customers.item(r, 0).text())
        )

    def _valve_step(self, action: str) -> None:
        for valve in _selected(self.valves, 1):
            self._step("valve", valve_id=valve, action=action)

    def _build_crews(self) -> None:
        lay = self._tab("crews")
        self.crews = _table([QT_TRANSLATE_NOOP("IncidentDock", "Crew"), QT_TRANSLATE_NOOP("IncidentDock", "Kind"),
                             QT_TRANSLATE_NOOP("IncidentDock", "Vehicle"), QT_TRANSLATE_NOOP("IncidentDock", "Status"),
                             QT_TRANSLATE_NOOP("IncidentDock", "Steps"), QT_TRANSLATE_NOOP("IncidentDock", "Route"),
                             QT_TRANSLATE_NOOP("IncidentDock", "ETA"),
                             QT_TRANSLATE_NOOP("IncidentDock", "Where")])  # fmt: skip
        lay.addWidget(self.crews, 1)
        row = QHBoxLayout()
        self.dispatch_button = QPushButton(translate("IncidentDock", "Dispatch"))
        self.dispatch_button.setToolTip(translate("IncidentDock", "Assign the plan steps of its kind to the selected "
                                                  "crew, with the route and ETA along the streets"))  # fmt: skip
        self.advance_button = QPushButton(translate("IncidentDock", "Next status ▸"))
        self.advance_button.setToolTip(translate(
            "IncidentDock", "The crew's acknowledgement and progress: acknowledged → en route → on site → done"
        ))  # fmt: skip
        row.addWidget(self.dispatch_button)
        row.addWidget(self.advance_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.crew_note = QLabel("")
        self.crew_note.setWordWrap(True)
        lay.addWidget(self.crew_note)
        self.dispatch_button.clicked.connect(lambda: [self._step("dispatch", crew_id=c) for c in _selected(self.crews)])
        self.advance_button.clicked.connect(self._advance_crew)
        self.crews.itemSelectionChanged.connect(self._update_crew_buttons)

    def _advance_crew(self) -> None:
        for cid in _selected(self.crews):
            status = self._view.get("crews", {}).get(cid, {}).get("status")
            if status in CREW_NEXT:
                self._step("crew_status", crew_id=cid, status=CREW_NEXT[status])

    def _update_crew_buttons(self) -> None:
        sel = _selected(self.crews)
        assigned = self._view.get("crews", {})
        status = assigned.get(sel[0], {}).get("status") if sel else None
        self.dispatch_button.setEnabled(bool(sel) and (status is None or status == "done") and self._open())
        self.advance_button.setEnabled(status in CREW_NEXT and self._open())
        self.advance_button.setText(translate("IncidentDock", CREW_NEXT_LABELS[CREW_NEXT[status]]) if status in CREW_NEXT
                                    else translate("IncidentDock", "Next status ▸"))  # fmt: skip

    def _build_notices(self) -> None:
        lay = self._tab("notices")
        grid = QGridLayout()
        self.notice_kind = QComboBox()
        self.notice_kind.addItem(translate("IncidentDock", "Outage"), "outage")
        self.notice_kind.addItem(translate("IncidentDock", "Restoration"), "restoration")
        self.notice_kind.addItem(translate("IncidentDock", "Planned outage"), "planned")
        self.notice_language = QComboBox()  # the customers' language: Chinese first, whatever the UI's
        self.notice_language.addItem(translate("IncidentDock", "Chinese"), "zh")
        self.notice_language.addItem(translate("IncidentDock", "English"), "en")
        self.notice_expected = QLineEdit()
        self.notice_expected.setPlaceholderText(translate("IncidentDock", "expected back, e.g. 18:00"))
        grid.addWidget(QLabel(translate("IncidentDock", "Notice")), 0, 0)
        grid.addWidget(self.notice_kind, 0, 1)
        grid.addWidget(QLabel(translate("IncidentDock", "Language")), 0, 2)
        grid.addWidget(self.notice_language, 0, 3)
        grid.addWidget(QLabel(translate("IncidentDock", "Expected back")), 1, 0)
        grid.addWidget(self.notice_expected, 1, 1, 1, 3)
        lay.addLayout(grid)
        self.notice_preview = QPlainTextEdit()
        self.notice_preview.setReadOnly(True)
        self.notice_preview.setMaximumHeight(110)
        lay.addWidget(self.notice_preview)
        row = QHBoxLayout()
        self.notice_audience = QLabel("")
        self.send_button = QPushButton(translate("IncidentDock", "Write call list + SMS batch"))
        self.send_button.setToolTip(translate("IncidentDock", "The call list and the SMS batch file for the gateway "
                                              "(special users first), recorded as a notice step"))  # fmt: skip
        row.addWidget(self.notice_audience, 1)
        row.addWidget(self.send_button)
        lay.addLayout(row)
        self.notices = _table([QT_TRANSLATE_NOOP("IncidentDock", "Time"), QT_TRANSLATE_NOOP("IncidentDock", "Kind"),
                               QT_TRANSLATE_NOOP("IncidentDock", "Language"),
                               QT_TRANSLATE_NOOP("IncidentDock", "Customers"),
                               QT_TRANSLATE_NOOP("IncidentDock", "Special")])  # fmt: skip
        lay.addWidget(QLabel(translate("IncidentDock", "Notices sent")))
        lay.addWidget(self.notices, 1)
        for w in (self.notice_kind, self.notice_language):
            w.currentIndexChanged.connect(self._update_preview)
        self.notice_expected.textChanged.connect(self._update_preview)
        self.send_button.clicked.connect(
            lambda: self._step(
                "notify",
                kind=self.notice_kind.currentData(),
                language=self.notice_language.currentData(),
                expected=self.notice_expected.text().strip(),
            )  # fmt: skip
        )

    def _update_preview(self, *_args) -> None:
        preview = self._view.get("notice_preview")
        if preview is not None:
            self.notice_preview.setPlainText(
                preview(self.notice_kind.currentData(), self.notice_language.currentData(), self.notice_expected.text())
            )

    def _build_restoration(self) -> None:
        lay = self._tab("restoration")
        self.restore_summary = QLabel("")
        self.restore_summary.setWordWrap(True)
        self.restore_summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.restore_summary)
        row = QHBoxLayout()
        self.shut_off_button = QPushButton(translate("IncidentDock", "Shut off all meters"))
        self.reopen_next_button = QPushButton(translate("IncidentDock", "Reopen next valve"))
        self.purge_button = QPushButton(translate("IncidentDock", "Purged"))
        row.addWidget(self.shut_off_button)
        row.addWidget(self.reopen_next_button)
        row.addWidget(self.purge_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.meters = _table([QT_TRANSLATE_NOOP("IncidentDock", "Customer"), QT_TRANSLATE_NOOP("IncidentDock", "Meter"),
                              QT_TRANSLATE_NOOP("IncidentDock", "Category"), QT_TRANSLATE_NOOP("IncidentDock", "State")],
                             multi=True)  # fmt: skip
        lay.addWidget(self.meters, 1)
        row2 = QHBoxLayout()
        self.relit_button = QPushButton(translate("IncidentDock", "Relit ✓"))
        self.relit_button.setToolTip(translate("IncidentDock", "The selected meters (none selected: every meter "
                                               "waiting) were relit and checked"))  # fmt: skip
        self.not_home_button = QPushButton(translate("IncidentDock", "Not at home"))
        self.handed_button = QPushButton(translate("IncidentDock", "Handed over"))
        self.close_button = QPushButton(translate("IncidentDock", "Close incident"))
        self.close_button.setToolTip(
            translate("IncidentDock", "A commander closes the incident once every meter is relit or handed over")
        )
        for b in (self.relit_button, self.not_home_button, self.handed_button):
            row2.addWidget(b)
        row2.addStretch(1)
        row2.addWidget(self.close_button)
        lay.addLayout(row2)
        self.shut_off_button.clicked.connect(lambda: self._step("meters", step="shut_off", meters=None))
        self.purge_button.clicked.connect(lambda: self._step("purge"))
        self.reopen_next_button.clicked.connect(self._reopen_next)
        self.relit_button.clicked.connect(lambda: self._meter_step("relit"))
        self.not_home_button.clicked.connect(lambda: self._meter_step("not_home"))
        self.handed_button.clicked.connect(lambda: self._meter_step("handed_over"))
        self.close_button.clicked.connect(lambda: self._step("close"))

    def _reopen_next(self) -> None:
        order = self._view.get("reopen_order") or []
        if order:
            self._step("valve", valve_id=order[0], action="opened")

    def _meter_step(self, step: str) -> None:
        chosen = _selected(self.meters)
        self._step("meters", step=step, meters=chosen or None)

    def _build_timeline(self) -> None:
        lay = self._tab("timeline")
        self.timeline = _table([QT_TRANSLATE_NOOP("IncidentDock", "Time"), QT_TRANSLATE_NOOP("IncidentDock", "Who"),
                                QT_TRANSLATE_NOOP("IncidentDock", "Step"), QT_TRANSLATE_NOOP("IncidentDock", "Activity"),
                                "#"])  # fmt: skip
        lay.addWidget(self.timeline, 1)
        note = QLabel(translate("IncidentDock", "Every row is a signed ledger entry (ICS 214 activity log); the "
                                "report is built from them."))  # fmt: skip
        note.setObjectName("panelSubtitle")
        note.setWordWrap(True)
        lay.addWidget(note)

    # -- content -----------------------------------------------------------------------------------------------------
    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(key))

    def show_message(self, text: str, kind: str = "error") -> None:
        color = {"error": "#dc2626", "note": "#a16207", "ok": "#15803d"}.get(kind, "#64748b")
        self.message.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _open(self) -> bool:
        return self._view.get("state") not in (None, "closed")

    def _set_enabled(self, on: bool) -> None:
        for w in (self.tabs, self.zoom_button, self.report_button):
            w.setEnabled(on)

    def clear(self) -> None:
        self.incident_id, self._view = None, {}
        self.title.setText(translate("IncidentDock", "No incident chosen"))
        self.grade_label.setText("")
        self.subtitle.setText(
            translate("IncidentDock", "Right-click a pipe → Open incident here, or take a call (New call…)")
        )
        self.clocks.setText("")
        for t in (self.valves, self.customers, self.crews, self.notices, self.meters, self.timeline):
            t.setRowCount(0)
        self._customers_key = None
        self._set_enabled(False)

    def show_view(self, view: dict) -> None:
        """Show an incident (the controller's view of it: see ``DispatchController.view``)."""
        same = view["incident_id"] == self.incident_id
        if not same:
            self.show_message("")
        self.incident_id, self._view = view["incident_id"], view
        self._set_enabled(True)
        self.title.setText(f"{view['incident_id']} · {word(view['kind'])}")
        grade = view["grade"] or "—"
        self.grade_label.setText(translate("IncidentDock", "grade {grade}").format(grade=view["grade_label"]))
        self.grade_label.setStyleSheet(f"color: {GRADE_COLORS.get(grade, '#64748b')}; font-weight: 700;")
        text = translate("IncidentDock", "{state} · opened {time} from {source} at {where}").format(
            state=state_label(view["state"]), time=view["opened_at"][11:19], source=word(view["source"]),
            where=view["where"])  # fmt: skip
        if view["reports"] > 1:
            text += translate("IncidentDock", " · {n} reports").format(n=view["reports"])
        if view["notify"]:
            text += translate("IncidentDock", " · notify: {who}").format(who=", ".join(word(n) for n in view["notify"]))
        self.subtitle.setText(text)
        self.update_clocks(view["clocks"])
        self._show_plan(view)
        self._show_crews(view)
        self._show_notices(view)
        self._show_restoration(view)
        self._show_timeline(view)
        open_ = self._open()
        for b in (self.closed_button, self.failed_button, self.reopen_button, self.send_button, self.shut_off_button,
                  self.reopen_next_button, self.purge_button, self.relit_button, self.not_home_button,
                  self.handed_button, self.close_button):  # fmt: skip
            b.setEnabled(open_)
        self._update_crew_buttons()

    def update_clocks(self, clocks: list[dict]) -> None:
        parts = []
        for c in clocks:
            color = STATUS_COLORS[c["status"]]
            parts.append(f"<span style='color:{color}'><b>{word(c['name'])}</b> {clock_text(c)}</span>")
        if not parts:
            self.clocks.setText("")
            return
        self.clocks.setText(translate("IncidentDock", "Service clocks: {clocks}").format(
            clocks=" &nbsp;·&nbsp; ".join(parts)))  # fmt: skip

    def _show_plan(self, view: dict) -> None:
        p = view.get("plan")
        if not p:
            self.plan_summary.setText(translate("IncidentDock", "No plan yet"))
            self.plan_effect.setText("")
            self.plan_effect.set_details("")
            self.plan_effect_more.hide()
            self.plan_effect_details.hide()
            self.valves.setRowCount(0)
            self.customers.setRowCount(0)
            self._customers_key = None
            return
        line, details, level = effect_text(p.get("effect"))
        self.plan_effect.setText(translate("IncidentDock", "Pressure effect: {effect}").format(effect=line))
        self.plan_effect.set_details(details)
        self.plan_effect.setStyleSheet({"warning": "color:#b91c1c;font-weight:700", "low": "color:#b45309",
                                        "": ""}[level])  # fmt: skip
        self.plan_effect_details.setText(details)
        self.plan_effect_more.setVisible(bool(details))
        self.plan_effect_details.setVisible(bool(details) and self.plan_effect_more.isChecked())
        cats = ", ".join(
            f"{word(k)} {v:,}" for k, v in sorted(p["by_category"].items(), key=lambda kv: kv[0] != "special")
        )
        n = len(p["valves"])
        text = (translate("IncidentDock", "Close <b>1</b> valve") if n == 1
                else translate("IncidentDock", "Close <b>{n}</b> valves").format(n=n))  # fmt: skip
        if p["optional"]:
            text += translate("IncidentDock", " (+{n} optional)").format(n=len(p["optional"]))
        text += translate("IncidentDock", " · <b>{customers:,}</b> customers ({households:,} households; {categories})"
                          " · <b>{special}</b> special users · gas to vent {vented:.1f} Nm³").format(
            customers=p["customers"], households=p["households"], categories=cats, special=p["special"],
            vented=p["vented_nm3"])  # fmt: skip
        if p["failed"]:
            text += translate("IncidentDock", " · failed: {valves}").format(valves=", ".join(p["failed"]))
        if p.get("overlaps"):
            text += "<br><span style='color:#dc2626'>" + translate("IncidentDock", "Overlaps {incidents}").format(
                incidents=p["overlaps"]) + "</span>"  # fmt: skip
        self.plan_summary.setText(text)
        rows, colors = [], []
        for s in p["steps"]:
            status = translate("IncidentDock", VALVE_STATUS_LABELS[s["status"]]) if s["status"] in \
                VALVE_STATUS_LABELS else s["status"]  # fmt: skip
            rows.append([s["order"], s["feature_id"], word(s["action"]), word("required" if s["required"] else
                         "optional"), status, s["crew"], s["distance"]])  # fmt: skip
            colors.append(VALVE_STATUS_COLORS.get(s["status"], None))
        _fill(self.valves, rows, colors, 4)
        key = (view["incident_id"], p["plan_index"], current_language())
        if key == self._customers_key:  # the same plan: its customers have not changed
            return
        self._customers_key = key
        _fill(self.customers, [[c["feature_id"], c["name"], word(c["category"]) + (f" ({word(c['special_kind'])})" if
                                c["special_kind"] else ""), c["households"], word(c["role"])] for c in p["customer_rows"]],
              ["#b91c1c" if c["category"] == "special" else None for c in p["customer_rows"]], 2)  # fmt: skip

    def _show_crews(self, view: dict) -> None:
        rows = view.get("roster", [])
        colors = [{"done": "#15803d", "on_site": "#15803d", None: None}.get(r[8] if len(r) > 8 else None, "#2563eb")
                  for r in rows]  # fmt: skip
        selected = _selected(self.crews)
        _fill(self.crews, [r[:8] for r in rows], colors, 3)
        for i, r in enumerate(rows):
            if r[0] in selected:
                self.crews.selectRow(i)
        self.crew_note.setText(view.get("crew_note", ""))

    def _show_notices(self, view: dict) -> None:
        languages = {"zh": translate("IncidentDock", "Chinese"), "en": translate("IncidentDock", "English")}
        _fill(self.notices, [[n["time"][11:19], word(n["kind"]), languages.get(n["language"], n["language"]),
                              n["customers"], n["special"]] for n in view.get("notices", [])])  # fmt: skip
        p = view.get("plan") or {}
        self.notice_audience.setText(
            translate("IncidentDock", "{customers:,} customers, {special} special users first").format(
                customers=p.get("customers", 0), special=p.get("special", 0)) if p
            else translate("IncidentDock", "No plan yet: notices go to the customers it cuts off"))  # fmt: skip
        self._update_preview()

    def _show_restoration(self, view: dict) -> None:
        r = view.get("restoration", {})
        order = view.get("reopen_order") or []
        text = translate("IncidentDock", "<b>{affected:,}</b> meters: {shut_off:,} shut off · {relit:,} relit · "
                         "{handed_over:,} handed over · {not_home:,} not at home (revisit) · <b>{pending:,}</b> "
                         "pending").format(
            affected=r.get("affected", 0), shut_off=r.get("shut_off", 0), relit=r.get("relit", 0),
            handed_over=r.get("handed_over", 0), not_home=r.get("not_home", 0), pending=r.get("pending", 0))  # fmt: skip
        text += "<br>" + translate("IncidentDock", "Reopening order: {order} · purged {purged}").format(
            order=" → ".join(order) if order else "—", purged=view.get("purged") or "—")  # fmt: skip
        if view.get("revisit"):
            ids = ", ".join(view["revisit"][:8]) + (" …" if len(view["revisit"]) > 8 else "")
            text += "<br>" + translate("IncidentDock", "Revisit queue: {customers}").format(customers=ids)
        self.restore_summary.setText(text)
        self.reopen_next_button.setText(translate("IncidentDock", "Reopen {valve}").format(valve=order[0]) if order
                                        else translate("IncidentDock", "Reopen next valve"))  # fmt: skip
        meters = view.get("meters", [])
        _fill(self.meters, [[m[0], m[1], word(m[2]), translate("IncidentDock", METER_LABELS[m[3]])
                             if m[3] in METER_LABELS else m[3]] for m in meters],
              [{"relit": "#15803d", "handed_over": "#15803d", "not_home": "#dc2626", "shut_off": "#a16207"}.get(m[3])
               for m in meters], 3)  # fmt: skip

    def _show_timeline(self, view: dict) -> None:
        rows = view.get("timeline", [])
        lang = current_language()
        _fill(self.timeline, [[r.time[11:19], r.who, step_name(r.type, lang), r.activity, r.index] for r in rows])
        self.timeline.scrollToBottom()
