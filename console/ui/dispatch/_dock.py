"""The incident dock (事件处置): one incident's plan, crews, notices, restoration and timeline, in tabs.

The dock shows what :class:`console.app.incidents.IncidentService` folds from the ledger (a *view* dict the
controller assembles) and asks for steps through one signal, ``stepRequested(verb, arguments)``; the controller
records them and the dock is refilled from the ledger. A refused step comes back as a red line (:meth:`show_message`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
    QVBoxLayout,
    QWidget,
)

from console.ui.dispatch._board import GRADE_COLORS, STATE_LABELS, STATUS_COLORS, clock_text

__all__ = ["IncidentDock", "TABS"]

TABS = ("plan", "crews", "notices", "restoration", "timeline")
TAB_TITLES = {"plan": "Plan 方案", "crews": "Crews 调度", "notices": "Notices 通知", "restoration": "Restoration 恢复",
              "timeline": "Timeline 记录"}  # fmt: skip
VALVE_STATUS_COLORS = {"closed": "#15803d", "confirmed": "#15803d", "warning": "#dc2626", "failed": "#7c3aed",
                       "reopened": "#2563eb", "to close": "#a16207", "optional": "#64748b"}  # fmt: skip
CREW_NEXT = {"dispatched": "acknowledged", "acknowledged": "en_route", "en_route": "on_site", "on_site": "done"}
METER_LABELS = {None: "gas on", "shut_off": "shut off 已关表", "relit": "relit 已点火", "not_home": "not at home 未在家",
                "handed_over": "handed over 已移交"}  # fmt: skip


def _table(columns: list[str], multi: bool = False) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels(columns)
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
        super().__init__("Incident 事件处置", parent)
        self.setObjectName("incidentDock")
        self.incident_id: str | None = None
        self._view: dict = {}
        self._customers_key: tuple | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        head = QHBoxLayout()
        self.title = QLabel("No incident chosen")
        self.title.setObjectName("panelTitle")
        self.grade_label = QLabel("")
        self.zoom_button = QPushButton("Zoom")
        self.zoom_button.setToolTip("Show the outage, the plan's valves and the crews on the map")
        self.report_button = QPushButton("Report… 报告")
        self.report_button.setToolTip("The after-action report from the ledger (HTML and PDF)")
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
        self.tabs.addTab(page, TAB_TITLES[key])
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
        self.valves = _table(["#", "Valve", "Action", "Kind", "Status", "Crew", "Distance"])
        lay.addWidget(self.valves, 2)
        row = QHBoxLayout()
        self.closed_button = QPushButton("Closed ✓ 已关")
        self.closed_button.setToolTip("The crew reports the selected valve closed (the console then watches the "
                                      "pressure downstream to confirm it)")  # fmt: skip
        self.failed_button = QPushButton("Would not turn… 失效")
        self.failed_button.setToolTip("The selected valve would not turn: re-plan in place with the next ring")
        self.reopen_button = QPushButton("Reopened 已开")
        row.addWidget(self.closed_button)
        row.addWidget(self.failed_button)
        row.addWidget(self.reopen_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.customers = _table(["Customer", "Name", "Category", "Households", "Role"])
        lay.addWidget(QLabel("Customers without gas — special users first 受影响用户"))
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
        self.crews = _table(["Crew", "Kind", "Vehicle", "Status", "Steps", "Route", "ETA", "Where"])
        lay.addWidget(self.crews, 1)
        row = QHBoxLayout()
        self.dispatch_button = QPushButton("Dispatch 派单")
        self.dispatch_button.setToolTip("Assign the plan steps of its kind to the selected crew, with the route "
                                        "and ETA along the streets")  # fmt: skip
        self.advance_button = QPushButton("Next status ▸")
        self.advance_button.setToolTip(
            "The crew's acknowledgement and progress: acknowledged → en route → on site → done"
        )
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
        self.advance_button.setText(f"{CREW_NEXT[status].replace('_', ' ').capitalize()} ▸" if status in CREW_NEXT
                                    else "Next status ▸")  # fmt: skip

    def _build_notices(self) -> None:
        lay = self._tab("notices")
        grid = QGridLayout()
        self.notice_kind = QComboBox()
        for key, label in (
            ("outage", "Outage 停气"),
            ("restoration", "Restoration 恢复"),
            ("planned", "Planned 计划停气"),
        ):
            self.notice_kind.addItem(label, key)
        self.notice_language = QComboBox()
        self.notice_language.addItem("中文", "zh")
        self.notice_language.addItem("English", "en")
        self.notice_expected = QLineEdit()
        self.notice_expected.setPlaceholderText("expected back, e.g. 18:00")
        grid.addWidget(QLabel("Notice"), 0, 0)
        grid.addWidget(self.notice_kind, 0, 1)
        grid.addWidget(QLabel("Language"), 0, 2)
        grid.addWidget(self.notice_language, 0, 3)
        grid.addWidget(QLabel("Expected back"), 1, 0)
        grid.addWidget(self.notice_expected, 1, 1, 1, 3)
        lay.addLayout(grid)
        self.notice_preview = QPlainTextEdit()
        self.notice_preview.setReadOnly(True)
        self.notice_preview.setMaximumHeight(110)
        lay.addWidget(self.notice_preview)
        row = QHBoxLayout()
        self.notice_audience = QLabel("")
        self.send_button = QPushButton("Write call list + SMS batch 发送通知")
        self.send_button.setToolTip("The call list and the SMS batch file for the gateway (special users first), "
                                    "recorded as a notice step")  # fmt: skip
        row.addWidget(self.notice_audience, 1)
        row.addWidget(self.send_button)
        lay.addLayout(row)
        self.notices = _table(["Time", "Kind", "Language", "Customers", "Special"])
        lay.addWidget(QLabel("Notices sent"))
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
        self.shut_off_button = QPushButton("Shut off all meters 关表")
        self.reopen_next_button = QPushButton("Reopen next valve")
        self.purge_button = QPushButton("Purged 置换完成")
        row.addWidget(self.shut_off_button)
        row.addWidget(self.reopen_next_button)
        row.addWidget(self.purge_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.meters = _table(["Customer", "Meter", "Category", "State"], multi=True)
        lay.addWidget(self.meters, 1)
        row2 = QHBoxLayout()
        self.relit_button = QPushButton("Relit ✓ 点火")
        self.relit_button.setToolTip("The selected meters (none selected: every meter waiting) were relit and checked")
        self.not_home_button = QPushButton("Not at home 未在家")
        self.handed_button = QPushButton("Handed over")
        self.close_button = QPushButton("Close incident 结案")
        self.close_button.setToolTip("A commander closes the incident once every meter is relit or handed over")
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
        self.timeline = _table(["Time", "Who", "Step", "Activity", "#"])
        lay.addWidget(self.timeline, 1)
        note = QLabel("Every row is a signed ledger entry (ICS 214 activity log); the report is built from them.")
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
        self.title.setText("No incident chosen")
        self.grade_label.setText("")
        self.subtitle.setText("Right-click a pipe → Open incident here, or take a call (New call… 接报)")
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
        self.title.setText(f"{view['incident_id']} · {view['kind']}")
        grade = view["grade"] or "—"
        self.grade_label.setText(f"grade {view['grade_label']}")
        self.grade_label.setStyleSheet(f"color: {GRADE_COLORS.get(grade, '#64748b')}; font-weight: 700;")
        self.subtitle.setText(f"{STATE_LABELS.get(view['state'], view['state'])} · opened {view['opened_at'][11:19]} "
                              f"from {view['source']} at {view['where']}"
                              + (f" · {view['reports']} reports" if view["reports"] > 1 else "")
                              + (f" · notify: {', '.join(view['notify'])}" if view["notify"] else ""))  # fmt: skip
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
            parts.append(f"<span style='color:{color}'><b>{c['name']}</b> {clock_text(c)}</span>")
        self.clocks.setText("Service clocks 服务时限: " + " &nbsp;·&nbsp; ".join(parts) if parts else "")

    def _show_plan(self, view: dict) -> None:
        p = view.get("plan")
        if not p:
            self.plan_summary.setText("No plan yet")
            self.valves.setRowCount(0)
            self.customers.setRowCount(0)
            self._customers_key = None
            return
        effect = p.get("effect") or {}
        if effect and effect.get("solved", True):
            low = len(effect.get("low_customers", ())) + len(effect.get("unsupplied_outside", ()))
            regs = "; ".join(f"{r[0]} ({r[1]})" for r in effect.get("regulators", ()))
            eff = (f"<b>{low}</b> customers outside the shut-off region fall below service pressure"
                   + (f" — regulators: {regs}" if regs else "") if low
                   else "no customer outside the shut-off region falls below service pressure")  # fmt: skip
        elif effect:
            eff = f"pressure effect not computed: {effect.get('note', '')}"
        else:
            eff = "pressure effect not computed"
        cats = ", ".join(f"{k} {v:,}" for k, v in sorted(p["by_category"].items(), key=lambda kv: kv[0] != "special"))
        overlaps = f"<br><span style='color:#dc2626'>Overlaps {p['overlaps']}</span>" if p.get("overlaps") else ""
        self.plan_summary.setText(
            f"Close <b>{len(p['valves'])}</b> valve{'s' if len(p['valves']) != 1 else ''}{' (+' + str(len(p['optional'])) + ' optional)' if p['optional'] else ''}"
            f" · <b>{p['customers']:,}</b> customers ({p['households']:,} households; {cats})"
            f" · <b>{p['special']}</b> special users · gas to vent {p['vented_nm3']:.1f} Nm³"
            + (f" · failed: {', '.join(p['failed'])}" if p["failed"] else "")
            + f"<br>Pressure effect: {eff}{overlaps}"
        )  # fmt: skip
        rows, colors = [], []
        for s in p["steps"]:
            rows.append([s["order"], s["feature_id"], s["action"].replace("_", " "), "required" if s["required"] else
                         "optional", s["status"], s["crew"], s["distance"]])  # fmt: skip
            colors.append(VALVE_STATUS_COLORS.get(s["status"].split(" ")[0], None))
        _fill(self.valves, rows, colors, 4)
        key = (view["incident_id"], p["plan_index"])
        if key == self._customers_key:  # the same plan: its customers have not changed
            return
        self._customers_key = key
        _fill(self.customers, [[c["feature_id"], c["name"], c["category"] + (f" ({c['special_kind']})" if
                                c["special_kind"] else ""), c["households"], c["role"]] for c in p["customer_rows"]],
              ["#b91c1c" if c["category"] == "special" else None for c in p["customer_rows"]], 2)  # fmt: skip

    def _show_crews(self, view: dict) -> None:
        rows = view.get("roster", [])
        colors = []
        for r in rows:
            colors.append({"done": "#15803d", "on_site": "#15803d", None: None}.get(r[3].split(" ")[0] or None,
                                                                                    "#2563eb"))  # fmt: skip
        selected = _selected(self.crews)
        _fill(self.crews, rows, colors, 3)
        for i, r in enumerate(rows):
            if r[0] in selected:
                self.crews.selectRow(i)
        self.crew_note.setText(view.get("crew_note", ""))

    def _show_notices(self, view: dict) -> None:
        _fill(self.notices, [[n["time"][11:19], n["kind"], n["language"], n["customers"], n["special"]]
                             for n in view.get("notices", [])])  # fmt: skip
        p = view.get("plan") or {}
        self.notice_audience.setText(f"{p.get('customers', 0):,} customers, {p.get('special', 0)} special users first"
                                     if p else "No plan yet: notices go to the customers it cuts off")  # fmt: skip
        self._update_preview()

    def _show_restoration(self, view: dict) -> None:
        r = view.get("restoration", {})
        order = view.get("reopen_order") or []
        self.restore_summary.setText(
            f"<b>{r.get('affected', 0):,}</b> meters: {r.get('shut_off', 0):,} shut off · {r.get('relit', 0):,} relit · "
            f"{r.get('handed_over', 0):,} handed over · {r.get('not_home', 0):,} not at home (revisit) · "
            f"<b>{r.get('pending', 0):,}</b> pending"
            f"<br>Reopening order: {' → '.join(order) if order else '—'} · purged {view.get('purged') or '—'}"
            + (f"<br>Revisit queue: {', '.join(view['revisit'][:8])}{' …' if len(view['revisit']) > 8 else ''}"
               if view.get("revisit") else "")
        )  # fmt: skip
        self.reopen_next_button.setText(f"Reopen {order[0]}" if order else "Reopen next valve")
        meters = view.get("meters", [])
        _fill(self.meters, [[m[0], m[1], m[2], METER_LABELS.get(m[3], m[3])] for m in meters],
              [{"relit": "#15803d", "handed_over": "#15803d", "not_home": "#dc2626", "shut_off": "#a16207"}.get(m[3])
               for m in meters], 3)  # fmt: skip

    def _show_timeline(self, view: dict) -> None:
        rows = view.get("timeline", [])
        _fill(self.timeline, [[r.time[11:19], r.who, r.type, r.activity, r.index] for r in rows])
        self.timeline.scrollToBottom()
