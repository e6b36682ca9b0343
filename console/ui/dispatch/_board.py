"""The incident board: every open incident with its grade, state, live service clocks and flags.

One row per open incident; the clock cells count up live (the controller refreshes them every few seconds) and a
clock past its limit is flagged in red. Above the table, alarms that look like an incident (methane HIHI, pressure
LOLO) are offered for opening with one click.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.dispatch import term
from console.ui.i18n import current_language, translate

__all__ = ["IncidentBoardDock", "clock_text", "GRADE_COLORS"]

CLOCK_NAMES = ("arrival", "isolation", "notice", "restoration")
COLUMNS = ("Incident", "Grade", "Kind", "State", "Customers", "Arrival", "Isolation", "Notice", "Restoration",
           "Crews", "Flags")  # fmt: skip
COLUMN_TITLES = (
    QT_TRANSLATE_NOOP("IncidentBoard", "Incident"), QT_TRANSLATE_NOOP("IncidentBoard", "Grade"),
    QT_TRANSLATE_NOOP("IncidentBoard", "Kind"), QT_TRANSLATE_NOOP("IncidentBoard", "State"),
    QT_TRANSLATE_NOOP("IncidentBoard", "Customers"), QT_TRANSLATE_NOOP("IncidentBoard", "Arrival"),
    QT_TRANSLATE_NOOP("IncidentBoard", "Isolation"), QT_TRANSLATE_NOOP("IncidentBoard", "Notice"),
    QT_TRANSLATE_NOOP("IncidentBoard", "Restoration"), QT_TRANSLATE_NOOP("IncidentBoard", "Crews"),
    QT_TRANSLATE_NOOP("IncidentBoard", "Flags"),
)  # fmt: skip
COL = {name: i for i, name in enumerate(COLUMNS)}
GRADE_COLORS = {"I": "#b91c1c", "II": "#ea580c", "III": "#ca8a04", "IV": "#2563eb", "routine": "#64748b"}
STATUS_COLORS = {"met": "#15803d", "missed": "#dc2626", "breached": "#dc2626", "running": "#a16207"}


def state_label(state: str) -> str:
    """An incident's state in the UI's language (the words are the dispatch domain's, shared with the report)."""
    return term(state, current_language(), "state")


def word(value: str) -> str:
    """A dispatch data word (kind, clock, status, crew kind …) in the UI's language (``en_route``: en route)."""
    text = term(value, current_language())
    return text.replace("_", " ") if text == value and isinstance(value, str) else text


def clock_text(clock: dict) -> str:
    """A clock cell: ``✓ 18 / 30 min`` met, ``✗ 41 / 30`` missed, ``12 / 30`` running, ``⚠ 45 / 30`` breached."""
    mark = {"met": "✓ ", "missed": "✗ ", "breached": "⚠ ", "running": ""}[clock["status"]]
    return f"{mark}{clock['elapsed_min']:.0f} / {clock['limit_min']:g} min"


class IncidentBoardDock(QDockWidget):
    """The board. Signals: ``incidentActivated(id)`` a row was chosen, ``newCallRequested()``,
    ``alarmOpenRequested(sensor_id, condition)`` the offered alarm is to become an incident."""

    incidentActivated = Signal(str)
    newCallRequested = Signal()
    alarmOpenRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("IncidentBoard", "Incident board"), parent)
        self.setObjectName("incidentBoardDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        top = QHBoxLayout()
        self.summary = QLabel(translate("IncidentBoard", "No open incidents"))
        self.summary.setObjectName("panelTitle")
        self.new_call_button = QPushButton(translate("IncidentBoard", "New call…"))
        self.new_call_button.setToolTip(
            translate("IncidentBoard", "Take a phone call: caller, what they smell or see, where (Ctrl+Shift+E)")
        )
        top.addWidget(self.summary)
        top.addStretch(1)
        top.addWidget(self.new_call_button)
        layout.addLayout(top)

        self.offer = QFrame()
        self.offer.setObjectName("incidentOffer")
        self.offer.setStyleSheet("#incidentOffer{background:#7f1d1d;border-radius:4px} #incidentOffer QLabel"
                                 "{color:#fff;font-weight:600}")  # fmt: skip
        offer_row = QHBoxLayout(self.offer)
        offer_row.setContentsMargins(8, 4, 8, 4)
        self.offer_label = QLabel("")
        self.offer_button = QPushButton(translate("IncidentBoard", "Open incident"))
        self.offer_dismiss = QPushButton(translate("IncidentBoard", "Dismiss"))
        offer_row.addWidget(self.offer_label, 1)
        offer_row.addWidget(self.offer_button)
        offer_row.addWidget(self.offer_dismiss)
        self.offer.hide()
        self._offer: tuple[str, str] | None = None
        layout.addWidget(self.offer)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([translate("IncidentBoard", t) for t in COLUMN_TITLES])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.setWidget(body)

        self._ids: list[str] = []
        self.new_call_button.clicked.connect(self.newCallRequested)
        self.offer_button.clicked.connect(self._open_offer)
        self.offer_dismiss.clicked.connect(lambda: self.show_offer(None))
        self.table.itemSelectionChanged.connect(self._on_select)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._activate(r))

    # -- content -----------------------------------------------------------------------------------------------------
    def set_rows(self, rows: list[dict], current: str | None = None) -> None:
        """Show the board rows of :meth:`console.app.incidents.IncidentService.board`."""
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        self._ids = [r["incident_id"] for r in rows]
        breached = 0
        for i, r in enumerate(rows):
            clocks = {c["name"]: c for c in r["clocks"]}
            flags = []
            if r["breached"]:
                names = ", ".join(word(n) for n in r["breached"])
                flags.append(translate("IncidentBoard", "clock {names} breached").format(names=names))
                breached += 1
            if r["overlaps"]:
                ids = ", ".join(r["overlaps"])
                flags.append(translate("IncidentBoard", "overlaps {ids}").format(ids=ids))
            cells = [r["incident_id"], r["grade"] or "—", word(r["kind"]), state_label(r["state"]),
                     translate("IncidentBoard", "{customers:,} ({households:,} households)").format(
                         customers=r["customers"], households=r["households"])]  # fmt: skip
            cells += [clock_text(clocks[n]) if n in clocks else "—" for n in CLOCK_NAMES]
            cells += [str(r["crews"]), "; ".join(flags)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == COL["Grade"] and r["grade"]:
                    item.setForeground(QBrush(QColor(GRADE_COLORS.get(r["grade"], "#64748b"))))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                name = COLUMNS[c].lower()
                if name in clocks:
                    status = clocks[name]["status"]
                    item.setForeground(QBrush(QColor(STATUS_COLORS[status])))
                    if status in ("breached", "missed"):
                        item.setBackground(QBrush(QColor(220, 38, 38, 50)))
                    tip = translate("IncidentBoard", "{clock}: {status} — limit {limit:g} min").format(
                        clock=word(name), status=word(status), limit=clocks[name]["limit_min"])  # fmt: skip
                    if clocks[name]["done_at"]:
                        tip += translate("IncidentBoard", ", done at {time}").format(time=clocks[name]["done_at"])
                    item.setToolTip(tip)
                if c == COL["Flags"] and flags:
                    item.setForeground(QBrush(QColor("#dc2626")))
                self.table.setItem(i, c, item)
        if current in self._ids:
            self.table.selectRow(self._ids.index(current))
        self.table.blockSignals(False)
        n = len(rows)
        if not n:
            text = translate("IncidentBoard", "No open incidents")
        elif n == 1:
            text = translate("IncidentBoard", "1 open incident")
        else:
            text = translate("IncidentBoard", "{n} open incidents").format(n=n)
        if n and breached:
            text += translate("IncidentBoard", " · {n} with a breached clock").format(n=breached)
        self.summary.setText(text)

    def incident_ids(self) -> list[str]:
        return list(self._ids)

    def cell_text(self, incident_id: str, column: str) -> str:
        item = self.table.item(self._ids.index(incident_id), COL[column])
        return item.text() if item is not None else ""

    def show_offer(self, offer: tuple[str, str, str] | None) -> None:
        """Offer an alarm (sensor id, condition, text) for opening as an incident; None hides the offer."""
        if offer is None:
            self._offer = None
            self.offer.hide()
            return
        sensor, condition, text = offer
        self._offer = (sensor, condition)
        self.offer_label.setText(text)
        self.offer.show()

    @property
    def offered(self) -> tuple[str, str] | None:
        return self._offer

    def _open_offer(self) -> None:
        if self._offer is not None:
            sensor, condition = self._offer
            self.show_offer(None)
            self.alarmOpenRequested.emit(sensor, condition)

    def _on_select(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) == 1:
            self._activate(rows.pop())

    def _activate(self, row: int) -> None:
        if 0 <= row < len(self._ids):
            self.incidentActivated.emit(self._ids[row])
