"""The Metering dock (计量存证): four tabs of plain values the controller hands in (texts in English, translated).

* **Meters** — each meter with its latest anchored period (status coloured: complete, partial, missing, rejected),
  the anchoring summary and the buttons to anchor, prove and verify.
* **Custody** — the compared custody-transfer days (交接计量): both parties' figures, difference, combined
  uncertainty, E_n and status; disputed days in red.
* **Balance** — unaccounted-for gas (输差) per day of an area as a bar plot (jumps in red) and a table.
* **Emissions** — the signed methane figures (甲烷排放) in t CH₄ and t CO₂e per scope and subject, with the buttons
  to compute and sign a station's or an incident's/isolation's figure and to open the month's report.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.i18n import translate

__all__ = ["MeteringDock", "label"]

STATUS_COLOURS = {
    "complete": "#1b8a3a",
    "agreed": "#1b8a3a",
    "partial": "#b26a00",
    "incomplete": "#b26a00",
    "missing": "#c62828",
    "rejected": "#c62828",
    "disputed": "#c62828",
}


# values from the ledger shown as words (statuses, meter kinds, emission scopes): translated where shown
LABELS = {
    "complete": QT_TRANSLATE_NOOP("MeteringDock", "complete"),
    "partial": QT_TRANSLATE_NOOP("MeteringDock", "partial"),
    "missing": QT_TRANSLATE_NOOP("MeteringDock", "missing"),
    "rejected": QT_TRANSLATE_NOOP("MeteringDock", "rejected"),
    "agreed": QT_TRANSLATE_NOOP("MeteringDock", "agreed"),
    "incomplete": QT_TRANSLATE_NOOP("MeteringDock", "incomplete"),
    "disputed": QT_TRANSLATE_NOOP("MeteringDock", "disputed"),
    "none": QT_TRANSLATE_NOOP("MeteringDock", "none"),
    "gate": QT_TRANSLATE_NOOP("MeteringDock", "gate"),
    "district": QT_TRANSLATE_NOOP("MeteringDock", "district"),
    "customer": QT_TRANSLATE_NOOP("MeteringDock", "customer"),
    "station": QT_TRANSLATE_NOOP("MeteringDock", "station"),
    "incident": QT_TRANSLATE_NOOP("MeteringDock", "incident"),
    "isolation": QT_TRANSLATE_NOOP("MeteringDock", "isolation"),
}
METER_HEADERS = [
    QT_TRANSLATE_NOOP("MeteringDock", "Meter"),
    QT_TRANSLATE_NOOP("MeteringDock", "Kind"),
    QT_TRANSLATE_NOOP("MeteringDock", "Area"),
    QT_TRANSLATE_NOOP("MeteringDock", "Station"),
    QT_TRANSLATE_NOOP("MeteringDock", "Last period end"),
    QT_TRANSLATE_NOOP("MeteringDock", "Status"),
    QT_TRANSLATE_NOOP("MeteringDock", "Readings"),
    "Nm³",
]
CUSTODY_HEADERS = [
    QT_TRANSLATE_NOOP("MeteringDock", "Station"),
    QT_TRANSLATE_NOOP("MeteringDock", "Day"),
    QT_TRANSLATE_NOOP("MeteringDock", "Utility Nm³"),
    QT_TRANSLATE_NOOP("MeteringDock", "Supplier Nm³"),
    QT_TRANSLATE_NOOP("MeteringDock", "Difference"),
    QT_TRANSLATE_NOOP("MeteringDock", "± Uncertainty"),
    "E_n",
    QT_TRANSLATE_NOOP("MeteringDock", "Status"),
]
BALANCE_HEADERS = [
    QT_TRANSLATE_NOOP("MeteringDock", "Day"),
    QT_TRANSLATE_NOOP("MeteringDock", "Inflow Nm³"),
    QT_TRANSLATE_NOOP("MeteringDock", "Out Nm³"),
    QT_TRANSLATE_NOOP("MeteringDock", "Δ line pack"),
    QT_TRANSLATE_NOOP("MeteringDock", "UFG Nm³"),
    QT_TRANSLATE_NOOP("MeteringDock", "UFG %"),
    "",
]
EMISSION_HEADERS = [
    QT_TRANSLATE_NOOP("MeteringDock", "Scope"),
    QT_TRANSLATE_NOOP("MeteringDock", "Subject"),
    QT_TRANSLATE_NOOP("MeteringDock", "Start"),
    QT_TRANSLATE_NOOP("MeteringDock", "End"),
    "t CH₄",
    "t CO₂e",
    "GWP",
    QT_TRANSLATE_NOOP("MeteringDock", "Model"),
]


def label(value: str) -> str:
    """A ledger value (status, kind, scope) in the current language (unknown values as they are)."""
    return translate("MeteringDock", LABELS[value]) if value in LABELS else value


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels([translate("MeteringDock", h) if h else h for h in headers])
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(False)  # numbers stay under their heading
    return tree


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):  # canonical JSON gives 3984 for 3984.0
        return f"{value if round(value, digits) else 0.0:,.{digits}f}"  # no "-0.0"
    return str(value)


def _coloured(item: QTreeWidgetItem, column: int, status: str) -> None:
    colour = STATUS_COLOURS.get(status)
    if colour:
        item.setForeground(column, QBrush(QColor(colour)))


class MeteringDock(QDockWidget):
    """Signals: ``anchorRequested()``, ``trainRequested()``, ``proveRequested(str meter_id)``,
    ``verifyRequested()``, ``areaChanged(str)``, ``hazardRequested()`` (raise the shown jump), ``mapToggled(bool)``,
    ``reportRequested()`` (the month's emissions report), ``stationEmissionRequested()``,
    ``ventedEmissionRequested()`` (an incident's or isolation's vented gas)."""

    hazardRequested = Signal()
    mapToggled = Signal(bool)
    reportRequested = Signal()
    anchorRequested = Signal()
    trainRequested = Signal()
    proveRequested = Signal(str)
    verifyRequested = Signal()
    areaChanged = Signal(str)
    stationEmissionRequested = Signal()
    ventedEmissionRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(translate("MeteringDock", "Metering"), parent)
        self.setObjectName("meteringDock")
        self.tabs = QTabWidget()
        self.setWidget(self.tabs)

        # meters
        page = QWidget()
        lay = QVBoxLayout(page)
        self.status_label = QLabel(translate("MeteringDock", "No ledger open: unlock the ledger to see its meters."))
        self.status_label.setWordWrap(True)
        lay.addWidget(self.status_label)
        self.meters = _tree(METER_HEADERS)
        lay.addWidget(self.meters)
        legend = QHBoxLayout()
        self.map_box = QCheckBox(translate("MeteringDock", "Meters on the map:"))
        self.map_box.setChecked(True)
        self.map_box.toggled.connect(self.mapToggled)
        legend.addWidget(self.map_box)
        key = " ".join(f"<span style='color:{STATUS_COLOURS[s]}'>■</span> {label(s)}" for s in
                       ("complete", "partial", "missing", "rejected"))  # fmt: skip
        shapes = translate("MeteringDock", "none yet · ■ gate ◆ regulator ● customer")
        legend.addWidget(QLabel(f"{key} <span style='color:#8a8a8a'>■</span> {shapes}"))
        legend.addStretch(1)
        lay.addLayout(legend)
        row = QHBoxLayout()
        self.anchor_button = QPushButton(translate("MeteringDock", "Anchor now"))
        self.train_button = QPushButton(translate("MeteringDock", "Train: simulate a day"))
        self.prove_button = QPushButton(translate("MeteringDock", "Prove reading…"))
        self.verify_button = QPushButton(translate("MeteringDock", "Verify proof…"))
        for b in (self.anchor_button, self.train_button, self.prove_button, self.verify_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.anchor_button.clicked.connect(self.anchorRequested)
        self.train_button.clicked.connect(self.trainRequested)
        self.prove_button.clicked.connect(lambda: self.proveRequested.emit(self.selected_meter() or ""))
        self.verify_button.clicked.connect(self.verifyRequested)
        self.tabs.addTab(page, translate("MeteringDock", "Meters"))

        # custody
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(QLabel(translate("MeteringDock", "Custody transfer: utility vs supplier per gate station and "
                                       "day; agreed when |E_n| ≤ 1 (difference within the combined expanded "
                                       "uncertainty).")))  # fmt: skip
        lay.itemAt(0).widget().setWordWrap(True)
        self.custody = _tree(CUSTODY_HEADERS)
        lay.addWidget(self.custody)
        self.tabs.addTab(page, translate("MeteringDock", "Custody"))

        # balance
        page = QWidget()
        lay = QVBoxLayout(page)
        row = QHBoxLayout()
        row.addWidget(QLabel(translate("MeteringDock", "Area:")))
        self.area_box = QComboBox()
        self.area_box.currentTextChanged.connect(self.areaChanged)
        row.addWidget(self.area_box, 1)
        lay.addLayout(row)
        self.balance_plot = pg.PlotWidget()
        self.balance_plot.setLabel("left", "UFG", units="%")
        self.balance_plot.setLabel("bottom", translate("MeteringDock", "day"))
        self.balance_plot.showGrid(y=True, alpha=0.3)
        self.balance_plot.setMinimumHeight(180)
        lay.addWidget(self.balance_plot, 1)
        self.balance = _tree(BALANCE_HEADERS)
        self.balance.headerItem().setToolTip(
            2, translate("MeteringDock", "customers of the area and gas passed on to areas downstream")
        )
        lay.addWidget(self.balance, 1)
        row = QHBoxLayout()
        self.balance_note = QLabel("")
        self.balance_note.setWordWrap(True)
        row.addWidget(self.balance_note, 1)
        self.hazard_button = QPushButton(translate("MeteringDock", "Raise hazard…"))
        self.hazard_button.setToolTip(translate("MeteringDock", "Report the jump as a hazard candidate (leak) at the "
                                                "area, signed by you"))  # fmt: skip
        self.hazard_button.setEnabled(False)
        self.hazard_button.clicked.connect(self.hazardRequested)
        row.addWidget(self.hazard_button)
        lay.addLayout(row)
        self.tabs.addTab(page, translate("MeteringDock", "Gas balance"))

        # emissions
        page = QWidget()
        lay = QVBoxLayout(page)
        self.emission_plot = pg.PlotWidget()
        self.emission_plot.setLabel("left", "CO₂e", units="t")
        self.emission_plot.setMinimumHeight(160)
        lay.addWidget(self.emission_plot, 1)
        self.emissions = _tree(EMISSION_HEADERS)
        lay.addWidget(self.emissions, 1)
        self.emission_note = QLabel("")
        self.emission_note.setWordWrap(True)
        lay.addWidget(self.emission_note)
        row = QHBoxLayout()
        self.station_button = QPushButton(translate("MeteringDock", "Station emissions…"))
        self.station_button.setToolTip(translate("MeteringDock", "A station's methane over a period from its "
                                                 "detector's readings (enclosure mass balance), signed into the "
                                                 "ledger"))  # fmt: skip
        self.station_button.clicked.connect(self.stationEmissionRequested)
        self.vented_button = QPushButton(translate("MeteringDock", "Incident or isolation emissions…"))
        self.vented_button.setToolTip(translate("MeteringDock", "The methane in the gas an incident's plan or the "
                                                "current isolation vents, signed into the ledger"))  # fmt: skip
        self.vented_button.clicked.connect(self.ventedEmissionRequested)
        self.report_button = QPushButton(translate("MeteringDock", "Monthly report…"))
        self.report_button.setToolTip(translate("MeteringDock", "A month's signed figures for the regulator: view, "
                                                "plot and export (HTML or JSON)"))  # fmt: skip
        self.report_button.clicked.connect(self.reportRequested)
        for b in (self.station_button, self.vented_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.report_button)
        lay.addLayout(row)
        self.tabs.addTab(page, translate("MeteringDock", "Emissions"))

    # -- showing ---------------------------------------------------------------------------------------------------
    def selected_meter(self) -> str | None:
        item = self.meters.currentItem()
        return item.text(0) if item is not None else None

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_meters(self, rows: list[dict]) -> None:
        self.meters.clear()
        for r in rows:
            lp = r.get("last_period") or {}
            item = QTreeWidgetItem([
                r["meter_id"], label(r["kind"]), r["area"], r["station"], lp.get("end", "—"),
                label(lp.get("status", "none")),
                f"{lp['received']}/{lp['expected']}" if lp else "—", _fmt(lp.get("quantity_nm3")),
            ])  # fmt: skip
            _coloured(item, 5, lp.get("status", ""))
            self.meters.addTopLevelItem(item)

    def show_custody(self, rows: list[dict]) -> None:
        self.custody.clear()
        for r in rows:
            u, s = r["utility"], r["supplier"]
            item = QTreeWidgetItem([
                r["station"], r["day"], _fmt(u.get("quantity_nm3")), _fmt(s.get("quantity_nm3")),
                _fmt(r.get("difference_nm3")), _fmt(r.get("tolerance_nm3")), _fmt(r.get("en"), 2), label(r["status"]),
            ])  # fmt: skip
            _coloured(item, 7, r["status"])
            self.custody.addTopLevelItem(item)

    def set_areas(self, areas: list[str]) -> None:
        current = self.area_box.currentText()
        self.area_box.blockSignals(True)
        self.area_box.clear()
        self.area_box.addItems(areas)
        if current in areas:
            self.area_box.setCurrentText(current)
        self.area_box.blockSignals(False)

    def set_balance_note(self, text: str, *, hazard_enabled: bool) -> None:
        self.balance_note.setText(text)
        self.hazard_button.setEnabled(hazard_enabled)

    def show_balance(self, rows: list[dict]) -> None:
        self.balance.clear()
        self.balance_plot.clear()
        xs, ys, brushes = [], [], []
        for i, r in enumerate(rows):
            pct = r.get("ufg_pct")
            item = QTreeWidgetItem([
                r["start"][:10], _fmt(r["inflow_nm3"]), _fmt(r["consumption_nm3"]), _fmt(r["linepack_change_nm3"]),
                _fmt(r["ufg_nm3"]), _fmt(pct, 2), translate("MeteringDock", "JUMP") if r.get("jump") else "",
            ])  # fmt: skip
            if r.get("jump"):
                _coloured(item, 6, "disputed")
            self.balance.addTopLevelItem(item)
            if pct is not None:
                xs.append(i)
                ys.append(pct)
                brushes.append(pg.mkBrush("#c62828" if r.get("jump") else "#1f77b4"))
        if xs:
            self.balance_plot.addItem(pg.BarGraphItem(x=xs, height=ys, width=0.6, brushes=brushes))
            axis = self.balance_plot.getAxis("bottom")
            axis.enableAutoSIPrefix(False)
            axis.setTicks([[(i, rows[i]["start"][5:10]) for i in xs]])
            self.balance_plot.setXRange(-0.5, max(len(rows), 7) - 0.5, padding=0.02)  # a week at least: bars stay bars

    def show_emissions(self, rows: list[dict], note: str = "") -> None:
        self.emissions.clear()
        self.emission_plot.clear()
        totals: dict[str, float] = {}
        for r in rows:
            self.emissions.addTopLevelItem(QTreeWidgetItem([
                label(r["scope"]), r["subject"], r["start"], r["end"], f"{r['ch4_t']:.4f}", f"{r['co2e_t']:.3f}",
                _fmt(r["gwp"]), r["model"],
            ]))  # fmt: skip
            key = f"{r['scope']}:{r['subject']}"
            totals[key] = totals.get(key, 0.0) + r["co2e_t"]
        if totals:
            names = sorted(totals)
            colours = {"station": "#8e44ad", "incident": "#c0392b", "isolation": "#d35400"}
            self.emission_plot.addItem(pg.BarGraphItem(
                x=list(range(len(names))), height=[totals[n] for n in names], width=0.6,
                brushes=[pg.mkBrush(colours.get(n.split(":", 1)[0], "#7f8c8d")) for n in names]))  # fmt: skip
            axis = self.emission_plot.getAxis("bottom")
            axis.enableAutoSIPrefix(False)
            axis.setTicks([list(enumerate(names))])
            self.emission_plot.setXRange(-0.5, max(len(names), 5) - 0.5, padding=0.02)
        self.emission_note.setText(note)
