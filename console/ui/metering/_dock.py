"""The Metering dock (计量存证): four tabs of plain values the controller hands in.

* **Meters** — each meter with its latest anchored period (status coloured: complete, partial, missing, rejected),
  the anchoring summary and the buttons to anchor, prove and verify.
* **Custody** — the compared custody-transfer days (交接计量): both parties' figures, difference, combined
  uncertainty, E_n and status; disputed days in red.
* **Balance** — unaccounted-for gas (输差) per day of an area as a bar plot (jumps in red) and a table.
* **Emissions** — the signed methane figures (甲烷排放) in t CH₄ and t CO₂e per scope and subject.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
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

__all__ = ["MeteringDock"]

STATUS_COLOURS = {
    "complete": "#1b8a3a",
    "agreed": "#1b8a3a",
    "partial": "#b26a00",
    "incomplete": "#b26a00",
    "missing": "#c62828",
    "rejected": "#c62828",
    "disputed": "#c62828",
}


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
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
    ``reportRequested()`` (save the month's emissions report)."""

    hazardRequested = Signal()
    mapToggled = Signal(bool)
    reportRequested = Signal()
    anchorRequested = Signal()
    trainRequested = Signal()
    proveRequested = Signal(str)
    verifyRequested = Signal()
    areaChanged = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__("Metering 计量存证", parent)
        self.setObjectName("meteringDock")
        self.tabs = QTabWidget()
        self.setWidget(self.tabs)

        # meters
        page = QWidget()
        lay = QVBoxLayout(page)
        self.status_label = QLabel("No ledger open: unlock the ledger to see its meters.")
        self.status_label.setWordWrap(True)
        lay.addWidget(self.status_label)
        self.meters = _tree(["Meter", "Kind", "Area", "Station", "Last period end", "Status", "Readings", "Nm³"])
        lay.addWidget(self.meters)
        legend = QHBoxLayout()
        self.map_box = QCheckBox("Meters on the map:")
        self.map_box.setChecked(True)
        self.map_box.toggled.connect(self.mapToggled)
        legend.addWidget(self.map_box)
        key = " ".join(f"<span style='color:{STATUS_COLOURS[s]}'>■</span> {s}" for s in
                       ("complete", "partial", "missing", "rejected"))  # fmt: skip
        legend.addWidget(QLabel(key + " <span style='color:#8a8a8a'>■</span> none yet · ■ gate ◆ regulator ● customer"))
        legend.addStretch(1)
        lay.addLayout(legend)
        row = QHBoxLayout()
        self.anchor_button = QPushButton("Anchor now")
        self.train_button = QPushButton("Train: simulate a day")
        self.prove_button = QPushButton("Prove reading…")
        self.verify_button = QPushButton("Verify proof…")
        for b in (self.anchor_button, self.train_button, self.prove_button, self.verify_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.anchor_button.clicked.connect(self.anchorRequested)
        self.train_button.clicked.connect(self.trainRequested)
        self.prove_button.clicked.connect(lambda: self.proveRequested.emit(self.selected_meter() or ""))
        self.verify_button.clicked.connect(self.verifyRequested)
        self.tabs.addTab(page, "Meters")

        # custody
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(QLabel("Custody transfer (交接计量): utility vs supplier per gate station and day; "
                             "agreed when |E_n| ≤ 1 (difference within the combined expanded uncertainty)."))  # fmt: skip
        lay.itemAt(0).widget().setWordWrap(True)
        self.custody = _tree(["Station", "Day", "Utility Nm³", "Supplier Nm³", "Difference", "± Uncertainty", "E_n",
                              "Status"])  # fmt: skip
        lay.addWidget(self.custody)
        self.tabs.addTab(page, "Custody")

        # balance
        page = QWidget()
        lay = QVBoxLayout(page)
        row = QHBoxLayout()
        row.addWidget(QLabel("Area:"))
        self.area_box = QComboBox()
        self.area_box.currentTextChanged.connect(self.areaChanged)
        row.addWidget(self.area_box, 1)
        lay.addLayout(row)
        self.balance_plot = pg.PlotWidget()
        self.balance_plot.setLabel("left", "UFG", units="%")
        self.balance_plot.setLabel("bottom", "day")
        self.balance_plot.showGrid(y=True, alpha=0.3)
        self.balance_plot.setMinimumHeight(180)
        lay.addWidget(self.balance_plot, 1)
        self.balance = _tree(["Day", "Inflow Nm³", "Out Nm³", "Δ line pack", "UFG Nm³", "UFG %", ""])
        self.balance.headerItem().setToolTip(2, "customers of the area and gas passed on to areas downstream")
        lay.addWidget(self.balance, 1)
        row = QHBoxLayout()
        self.balance_note = QLabel("")
        self.balance_note.setWordWrap(True)
        row.addWidget(self.balance_note, 1)
        self.hazard_button = QPushButton("Raise hazard…")
        self.hazard_button.setToolTip("Report the jump as a hazard candidate (leak) at the area, signed by you")
        self.hazard_button.setEnabled(False)
        self.hazard_button.clicked.connect(self.hazardRequested)
        row.addWidget(self.hazard_button)
        lay.addLayout(row)
        self.tabs.addTab(page, "Balance 输差")

        # emissions
        page = QWidget()
        lay = QVBoxLayout(page)
        self.emission_plot = pg.PlotWidget()
        self.emission_plot.setLabel("left", "CO₂e", units="t")
        self.emission_plot.setMinimumHeight(160)
        lay.addWidget(self.emission_plot, 1)
        self.emissions = _tree(["Scope", "Subject", "Start", "End", "t CH₄", "t CO₂e", "GWP", "Model"])
        lay.addWidget(self.emissions, 1)
        self.emission_note = QLabel("")
        self.emission_note.setWordWrap(True)
        lay.addWidget(self.emission_note)
        row = QHBoxLayout()
        self.report_button = QPushButton("Monthly report…")
        self.report_button.setToolTip("Save a month's signed figures for the regulator (HTML or JSON)")
        self.report_button.clicked.connect(self.reportRequested)
        row.addStretch(1)
        row.addWidget(self.report_button)
        lay.addLayout(row)
        self.tabs.addTab(page, "Emissions CH₄")

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
                r["meter_id"], r["kind"], r["area"], r["station"], lp.get("end", "—"), lp.get("status", "none"),
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
                _fmt(r.get("difference_nm3")), _fmt(r.get("tolerance_nm3")), _fmt(r.get("en"), 2), r["status"],
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
                _fmt(r["ufg_nm3"]), _fmt(pct, 2), "JUMP" if r.get("jump") else "",
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
                r["scope"], r["subject"], r["start"], r["end"], f"{r['ch4_t']:.4f}", f"{r['co2e_t']:.3f}",
                _fmt(r["gwp"]), r["model"],
            ]))  # fmt: skip
            key = f"{r['scope']}:{r['subject']}"
            totals[key] = totals.get(key, 0.0) + r["co2e_t"]
        if totals:
            names = sorted(totals)
            self.emission_plot.addItem(pg.BarGraphItem(x=list(range(len(names))),
                                                       height=[totals[n] for n in names], width=0.6,
                                                       brush=pg.mkBrush("#8e44ad")))  # fmt: skip
            axis = self.emission_plot.getAxis("bottom")
            axis.enableAutoSIPrefix(False)
            axis.setTicks([list(enumerate(names))])
            self.emission_plot.setXRange(-0.5, max(len(names), 5) - 0.5, padding=0.02)
        self.emission_note.setText(note)
