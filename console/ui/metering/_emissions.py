"""Methane emission dialogs (甲烷排放): compute a figure, look at it and its inputs, sign it into the ledger; and the
month's report for the regulator (plot, the report itself, export).

The dialogs hold no model: ``compute()`` is the controller's call into :class:`console.app.metering.MeteringService`
(which returns an :class:`console.metering.EmissionFigure`) and ``sign(figure)`` its ``record_emission``; an error
of either shows in the dialog's red line, and the dialog closes only once the figure is signed."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
)

from console.errors import GasOpsError
from console.metering import GWP_SOURCES, EmissionFigure, gwp_source
from console.ui.forms import FormDialog
from console.ui.i18n import translate
from console.ui.metering._dock import label

__all__ = ["EmissionDialog", "EmissionsReportDialog", "figure_html"]

SCOPE_COLOURS = {"station": "#8e44ad", "incident": "#c0392b", "isolation": "#d35400"}


def figure_html(fig: EmissionFigure) -> str:
    """The figure as the dialog shows it: masses, GWP and its source, model, parameters and input digests."""
    esc = html.escape
    params = "<br>".join(f"{esc(str(k))} = {esc(str(v))}" for k, v in sorted(fig.parameters.items()))
    # a SHA-256 on two lines of 32 hex digits: the dialog stays narrow and the digest can still be compared
    inputs = "<br>".join(f"<code>{esc(d[:32])}<br>{esc(d[32:])}</code>" for d in fig.inputs) or "—"
    rows = [
        (translate("MeteringEmissions", "Subject"), f"{esc(label(fig.scope))} {esc(fig.subject)}"),
        (translate("MeteringEmissions", "Period"), f"{esc(fig.start)} – {esc(fig.end)}"),
        ("CH₄", f"<b>{fig.ch4_t:.6f} t</b>"),
        ("CO₂e", f"<b>{fig.co2e_t:.4f} t</b>"),
        ("GWP-100", f"{fig.gwp:g} ({esc(gwp_source(fig.gwp))})"),
        (translate("MeteringEmissions", "Model"), esc(fig.model)),
        (translate("MeteringEmissions", "Parameters"), params),
        (translate("MeteringEmissions", "Input digests (SHA-256)"), inputs),
    ]
    cells = "".join(f"<tr><td valign='top'><b>{k}</b>&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing='2'>{cells}</table>"


def _utc_edit(moment: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setTimeZone(QTimeZone.utc())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
    edit.setCalendarPopup(True)
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), QTimeZone.utc()))
    return edit


def utc_text(edit: QDateTimeEdit) -> str:
    return edit.dateTime().toUTC().toString("yyyy-MM-ddTHH:mm:ssZ")


class EmissionDialog(FormDialog):
    """Fields (the caller adds them to ``form``), a Compute button, the figure, and OK = sign into the ledger.

    ``compute()`` returns the figure (or raises :class:`GasOpsError`); ``sign(figure)`` records it."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(title, parent)
        self.setMinimumWidth(620)
        self.compute: Callable[[], EmissionFigure] | None = None
        self.sign: Callable[[EmissionFigure], object] | None = None
        self.figure: EmissionFigure | None = None
        self.signed = None
        self.gwp_box = QComboBox()
        for value, source in GWP_SOURCES.items():
            self.gwp_box.addItem(f"{value:g} — {source}", value)
        self.compute_button = QPushButton(translate("MeteringEmissions", "Compute"))
        self.compute_button.clicked.connect(self.run_compute)
        self.figure_label = QLabel(translate("MeteringEmissions", "Compute the figure to see it before signing."))
        self.figure_label.setTextFormat(Qt.TextFormat.RichText)
        self.figure_label.setWordWrap(True)
        self.figure_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figure_label.setMinimumHeight(120)
        self.figure_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = self.layout()
        layout.insertWidget(layout.indexOf(self.error_label), self.compute_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.insertWidget(layout.indexOf(self.error_label), self.figure_label)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(translate("MeteringEmissions", "Sign into the ledger"))
        ok.setEnabled(False)
        self.on_submit = self._sign

    def add_gwp_field(self) -> None:
        self.form.addRow(translate("MeteringEmissions", "GWP-100 of CH₄:"), self.gwp_box)

    @property
    def gwp(self) -> float:
        return float(self.gwp_box.currentData())

    def run_compute(self) -> EmissionFigure | None:
        self.show_error("")
        try:
            self.figure = self.compute() if self.compute is not None else None
        except (GasOpsError, ValueError) as exc:
            self.figure = None
            self.show_error(str(exc))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.figure is not None)
        if self.figure is not None:
            self.figure_label.setText(figure_html(self.figure))
            self.adjustSize()
        return self.figure

    def _sign(self) -> str | None:
        if self.figure is None:
            return translate("MeteringEmissions", "Compute the figure first")
        try:
            self.signed = self.sign(self.figure) if self.sign is not None else None
        except GasOpsError as exc:
            return str(exc)
        return None


def station_dialog(parent, stations: list[str], sensors: list[str]) -> EmissionDialog:
    """The station form: station, methane detector, ventilation, background, period (the last 24 h by default)."""
    dlg = EmissionDialog(translate("MeteringEmissions", "Station methane emissions"), parent)
    dlg.set_intro(translate("MeteringEmissions", "Enclosure mass balance: E = Q · (C − C_bg) · ρ_CH₄, integrated over "
                            "the detector's readings (% LEL, LEL = 5 % vol) in the period."))  # fmt: skip
    dlg.station_box = QComboBox()
    dlg.station_box.setEditable(True)
    dlg.station_box.addItems(stations)
    dlg.sensor_box = QComboBox()
    dlg.sensor_box.setEditable(True)
    dlg.sensor_box.addItems(sensors)
    for box in (dlg.station_box, dlg.sensor_box):
        box.setMinimumContentsLength(24)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    dlg.ventilation = QDoubleSpinBox()
    dlg.ventilation.setRange(1.0, 1e6)
    dlg.ventilation.setValue(1200.0)
    dlg.ventilation.setSuffix(" m³/h")
    dlg.background = QDoubleSpinBox()
    dlg.background.setRange(0.0, 1000.0)
    dlg.background.setDecimals(1)
    dlg.background.setValue(2.0)
    dlg.background.setSuffix(" ppm")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dlg.start_edit, dlg.end_edit = _utc_edit(now - timedelta(days=1)), _utc_edit(now)
    form = dlg.form
    form.addRow(translate("MeteringEmissions", "Station:"), dlg.station_box)
    form.addRow(translate("MeteringEmissions", "Methane detector:"), dlg.sensor_box)
    form.addRow(translate("MeteringEmissions", "Ventilation (exhaust air):"), dlg.ventilation)
    form.addRow(translate("MeteringEmissions", "Background methane:"), dlg.background)
    form.addRow(translate("MeteringEmissions", "From:"), dlg.start_edit)
    form.addRow(translate("MeteringEmissions", "To:"), dlg.end_edit)
    dlg.add_gwp_field()
    return dlg


def vented_dialog(parent, sources: list[tuple[str, str]]) -> EmissionDialog:
    """The vented-gas form: which incident (its signed plan) or the current isolation, the methane fraction and, for
    an isolation, its subject and period. ``sources`` are (key, label) pairs: ``incident:ID`` or ``isolation``."""
    dlg = EmissionDialog(translate("MeteringEmissions", "Vented gas emissions"), parent)
    dlg.set_intro(translate("MeteringEmissions", "Gas vented (Nm³ from the isolation analysis) × methane fraction × "
                            "ρ_CH₄ at 0 °C, 101.325 kPa (0.7158 kg/m³)."))  # fmt: skip
    dlg.source_box = QComboBox()
    for key, text in sources:
        dlg.source_box.addItem(text, key)
    dlg.fraction = QDoubleSpinBox()
    dlg.fraction.setRange(0.0, 1.0)
    dlg.fraction.setDecimals(3)
    dlg.fraction.setSingleStep(0.01)
    dlg.fraction.setValue(0.95)
    dlg.subject = QLineEdit()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dlg.start_edit, dlg.end_edit = _utc_edit(now - timedelta(hours=2)), _utc_edit(now)
    form = dlg.form
    form.addRow(translate("MeteringEmissions", "Source:"), dlg.source_box)
    form.addRow(translate("MeteringEmissions", "Methane mole fraction:"), dlg.fraction)
    form.addRow(translate("MeteringEmissions", "Isolation subject:"), dlg.subject)
    form.addRow(translate("MeteringEmissions", "Isolation from:"), dlg.start_edit)
    form.addRow(translate("MeteringEmissions", "Isolation to:"), dlg.end_edit)
    dlg.add_gwp_field()

    def follow() -> None:  # an incident's period and subject come from its signed plan
        isolation = dlg.source_box.currentData() == "isolation"
        for w in (dlg.subject, dlg.start_edit, dlg.end_edit):
            w.setEnabled(isolation)

    dlg.source_box.currentIndexChanged.connect(follow)
    follow()
    return dlg


class EmissionsReportDialog(QDialog):
    """The month's report: a bar plot of t CO₂e per subject (coloured by scope), the report as the regulator gets
    it, and Export (HTML or JSON). ``load(month)`` is the controller's: it returns (report dict, report HTML)."""

    def __init__(self, months: list[str], load: Callable[[str], tuple[dict, str]], export: Callable[[str], object],
                 parent=None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(translate("MeteringEmissions", "Methane emissions report"))
        self.resize(980, 760)
        self._load, self._export = load, export
        self.report: dict | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel(translate("MeteringEmissions", "Month:")))
        self.month_box = QComboBox()
        self.month_box.setEditable(True)
        self.month_box.addItems(months)
        top.addWidget(self.month_box)
        self.summary = QLabel("")
        top.addWidget(self.summary, 1)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "CO₂e", units="t")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.showGrid(y=True, alpha=0.3)
        self.plot.setMinimumHeight(220)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.view.setStyleSheet("QTextBrowser { background: #ffffff; color: #111111; }")  # as printed for the regulator
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #ff5a5a; font-weight: 600;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = QPushButton(translate("MeteringEmissions", "Export…"))
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(lambda: self._export(self.month))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.month_box.currentTextChanged.connect(self.show_month)
        self.show_month(self.month)

    @property
    def month(self) -> str:
        return self.month_box.currentText().strip()

    def show_month(self, month: str) -> None:
        self.plot.clear()
        self.legend.clear()
        self.error_label.setText("")
        try:
            report, page = self._load(month.strip())
        except GasOpsError as exc:
            self.report = None
            self.error_label.setText(str(exc))
            self.view.setHtml("")
            self.summary.setText("")
            return
        self.report = report
        self.view.setHtml(page)
        self.summary.setText(translate("MeteringEmissions", "{count} signed figure(s): {ch4:.4f} t CH₄ = {co2e:.3f} t "
                                       "CO₂e").format(count=len(report["figures"]), ch4=report["ch4_t"],
                                                      co2e=report["co2e_t"]))  # fmt: skip
        names = sorted(report["totals"])
        if not names:
            return
        top = max(report["totals"][n]["co2e_t"] for n in names) or 1.0
        seen = set()
        for i, name in enumerate(names):
            scope = name.split(":", 1)[0]
            value = report["totals"][name]["co2e_t"]
            bar = pg.BarGraphItem(
                x=[i], height=[value], width=0.6, brush=pg.mkBrush(SCOPE_COLOURS.get(scope, "#7f8c8d"))
            )
            self.plot.addItem(bar)
            if scope not in seen:  # one legend row per scope
                seen.add(scope)
                self.legend.addItem(bar, label(scope))
            text = pg.TextItem(f"{value:.3f}", anchor=(0.5, 1.0))
            text.setPos(i, value + 0.02 * top)
            self.plot.addItem(text)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([[(i, n.split(":", 1)[1]) for i, n in enumerate(names)]])
        self.plot.setXRange(-0.5, max(len(names), 5) - 0.5, padding=0.02)
