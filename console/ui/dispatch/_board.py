"""The incident board: every open incident with its grade, state, live service clocks and flags.

One row per open incident; the clock cells count up live (the controller refreshes them every few seconds) and a
clock past its limit is flagged in red. Above the table, alarms that look like an incident (methane HIHI, pressure
LOLO) are offered for opening with one click.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, Signal
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

from console.dispatch import grade_label, term
from console.ui.i18n import current_language, translate

__all__ = ["IncidentBoardDock", "clock_text", "grade_text", "GRADE_COLORS"]

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


def grade_text(grade: str | None) -> str:
    """A grade in the UI's language, as the dock shows it (``II 重大``, ``日常抢修``); ``—`` when not graded."""
    return grade_label(grade, current_language())


def clock_text(clock: dict) -> str:
    """A clock cell: ``✓ 18 / 30 min`` met, ``✗ 41 / 30 min`` missed, ``12 / 30 min`` running, ``⚠ 45 / 30 min``
    breached (minutes in the UI's language: ``18 / 30 分钟``)."""
    mark = {"met": "✓ ", "missed": "✗ ", "breached": "⚠ ", "running": ""}[clock["status"]]
    return mark + translate("IncidentBoard", "{elapsed} / {limit} min").format(
        elapsed=f"{clock['elapsed_min']:.0f}", limit=f"{clock['limit_min']:g}")  # fmt: skip


def clock_cell(clock: dict) -> str:
    """A clock in a board cell, compact (the column title says minutes): ``✓ 18/30``, ``12/30``."""
    mark = {"met": "✓ ", "missed": "✗ ", "breached": "⚠ ", "running": ""}[clock["status"]]
    return f"{mark}{clock['elapsed_min']:.0f}/{clock['limit_min']:g}"


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
        for name in CLOCK_NAMES:  # the clock cells are "elapsed/limit" in minutes
            self.table.horizontalHeaderItem(COL[name.capitalize()]).setToolTip(
                translate("IncidentBoard", "Minutes elapsed / limit"))  # fmt: skip
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)  # fit_columns gives the flags what is left
        header.setMinimumSectionSize(24)
        self.table.viewport().installEventFilter(self)
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
            cells = [r["incident_id"], grade_text(r["grade"]), word(r["kind"]), state_label(r["state"]),
                     translate("IncidentBoard", "{customers:,} ({households:,} households)").format(
                         customers=r["customers"], households=r["households"])]  # fmt: skip
            cells += [clock_cell(clocks[n]) if n in clocks else "—" for n in CLOCK_NAMES]
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
                if c in (COL["Kind"], COL["Customers"], COL["Crews"], COL["Flags"]) and text:
                    item.setToolTip(text)  # these columns give way first (elided): the full text stays at hand
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
        self.fit_columns()

    def fit_columns(self) -> None:
        """Size the columns to the board's width: the incident, grade, state and the four service clocks keep their
        full width; kind, customers, crews and flags give way (elided, in that order of reluctance) when the dock is
        narrow, so no horizontal scrolling hides a clock."""
        table, header = self.table, self.table.horizontalHeader()
        width = table.viewport().width() - 4  # a little slack: the stretched last section never forces a scroll
        if width <= 0:
            return
        want = [max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(len(COLUMNS))]
        # (column, least width) in the order they give way: flags first, then crews, customers, kind
        # (the clocks then give up the part of their width their titles want beyond their figures: titles elide)
        yielding = [(COL["Flags"], 24), (COL["Crews"], 24), (COL["Customers"], 40), (COL["Kind"], 32),
                    (COL["State"], 40)]  # fmt: skip
        yielding += [(COL[n.capitalize()], table.sizeHintForColumn(COL[n.capitalize()])) for n in CLOCK_NAMES]
        sizes = list(want)
        excess = sum(sizes) - width
        for col, least in yielding:
            if excess <= 0:
                break
            cut = min(excess, max(0, sizes[col] - least))
            sizes[col] -= cut
            excess -= cut
        if excess > 0:  # still too wide: all but the incident and its grade share what is left in proportion
            keep = sizes[COL["Incident"]] + sizes[COL["Grade"]]
            scale = max(0.0, width - keep) / max(1, sum(sizes) - keep)
            sizes = [
                w if c in (COL["Incident"], COL["Grade"]) else max(24, int(w * scale)) for c, w in enumerate(sizes)
            ]
        over = sum(sizes) - width  # rounding and the 24 px floor: take the rest from the widest other column
        if over > 0:
            k = max((c for c in range(len(sizes)) if c not in (COL["Incident"], COL["Grade"])), key=sizes.__getitem__)
            sizes[k] = max(24, sizes[k] - over)
        sizes[-1] = max(24, width - sum(sizes[:-1]))  # the flags take what is left
        for col, w in enumerate(sizes):
            header.resizeSection(col, w)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(obj, event)

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
