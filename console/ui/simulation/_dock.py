"""The simulation dock (水力计算): run controls, pipe colouring, contour controls, what-if, summary and legends.

The dock only shows state and reports what the user asks for through signals; the controller
(:mod:`console.ui.simulation._controller`) runs the jobs and draws the map.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.hydraulics import FlowLaw
from console.ui.i18n import translate
from console.ui.simulation._colours import COLOUR_MODES
from console.ui.simulation._legend import LegendView

__all__ = ["SimulationDock", "LAW_LABELS"]

LAW_LABELS = {
    FlowLaw.COLEBROOK: QT_TRANSLATE_NOOP("SimulationDock", "Darcy–Colebrook (default)"),
    FlowLaw.RENOUARD: "Renouard (GB 50028)",
    FlowLaw.WEYMOUTH: "Weymouth",
    FlowLaw.PANHANDLE_A: "Panhandle A",
}


class SimulationDock(QDockWidget):
    """Signals: ``simulateRequested``, ``cancelRequested``, ``colourModeChanged(str)``, ``contoursToggled(bool)``,
    ``levelsChanged``, ``whatIfRequested(str)`` (comma list of ids), ``useSelectionRequested``,
    ``themeMaybeChanged`` (the application palette changed), ``scenarioRequested`` (pick a demand scenario file),
    ``scenarioCleared``."""

    simulateRequested = Signal()
    cancelRequested = Signal()
    colourModeChanged = Signal(str)
    contoursToggled = Signal(bool)
    levelsChanged = Signal()
    whatIfRequested = Signal(str)
    useSelectionRequested = Signal()
    themeMaybeChanged = Signal()
    liveToggled = Signal(bool)
    scenarioRequested = Signal()
    scenarioCleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("SimulationDock", "Simulation"), parent)
        self.setObjectName("simulationDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)

        run = QGroupBox(translate("SimulationDock", "Run"))
        form = QFormLayout(run)
        self.law_combo = QComboBox()
        for law, label in LAW_LABELS.items():
            self.law_combo.addItem(translate("SimulationDock", label), law.value)
        self.law_combo.setToolTip(
            translate(
                "SimulationDock", "Pressure-drop law: Darcy–Weisbach with Colebrook–White friction, or a pipeline form"
            )
        )
        form.addRow(translate("SimulationDock", "Law"), self.law_combo)
        self.demand_spin = QDoubleSpinBox()
        self.demand_spin.setRange(0.05, 3.0)
        self.demand_spin.setSingleStep(0.05)
        self.demand_spin.setValue(1.0)
        self.demand_spin.setToolTip(translate("SimulationDock", "Scales every customer's peak demand × simultaneity"))
        form.addRow(translate("SimulationDock", "Demand ×"), self.demand_spin)
        scenario = QHBoxLayout()
        self.scenario_button = QPushButton(translate("SimulationDock", "Demand scenario…"))
        self.scenario_button.setToolTip(
            translate(
                "SimulationDock",
                "Simulate with the demands of a file instead of the customers' peaks: a CSV of node id → Nm³/h "
                "(columns node_id, demand_nm3h) or a GasLib nomination (JSON, exits in kg/s)",
            )
        )
        self.scenario_button.clicked.connect(self.scenarioRequested)
        self.scenario_clear_button = QPushButton(translate("SimulationDock", "Clear"))
        self.scenario_clear_button.setToolTip(
            translate("SimulationDock", "Back to the customers' peak demand × simultaneity")
        )
        self.scenario_clear_button.clicked.connect(self.scenarioCleared)
        scenario.addWidget(self.scenario_button, 1)
        scenario.addWidget(self.scenario_clear_button)
        form.addRow(translate("SimulationDock", "Demands"), scenario)
        self.scenario_label = QLabel()
        self.scenario_label.setObjectName("panelSubtitle")
        self.scenario_label.setWordWrap(True)
        self.scenario_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.scenario_label)
        self.set_scenario(None)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(translate("SimulationDock", "Simulate (F5)"))
        self.run_button.clicked.connect(self.simulateRequested)
        self.cancel_button = QPushButton(translate("SimulationDock", "Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        self.status = QLabel(translate("SimulationDock", "Not run yet — Simulate (F5)"))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.status)
        layout.addWidget(run)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setVisible(False)
        layout.addWidget(self.summary)

        colour = QGroupBox(translate("SimulationDock", "Colour pipes by"))
        cl = QVBoxLayout(colour)
        row = QHBoxLayout()
        self.colour_combo = QComboBox()
        for key, label in COLOUR_MODES.items():
            self.colour_combo.addItem(translate("SimulationDock", label), key)
        self.colour_combo.currentIndexChanged.connect(lambda _i: self.colourModeChanged.emit(self.colour_mode()))
        row.addWidget(self.colour_combo, 1)
        self.network_style_button = QPushButton(translate("SimulationDock", "Network style"))
        self.network_style_button.setToolTip(
            translate("SimulationDock", "Back to the network's own style (pressure class, diameter …)")
        )
        self.network_style_button.clicked.connect(lambda: self.set_colour_mode("network", emit=True))
        row.addWidget(self.network_style_button)
        cl.addLayout(row)
        self.legend = LegendView()
        cl.addWidget(self.legend)
        layout.addWidget(colour)

        contours = QGroupBox(translate("SimulationDock", "Pressure contours"))
        ctl = QVBoxLayout(contours)
        self.contours_check = QCheckBox(translate("SimulationDock", "Show isobars and bands"))
        self.contours_check.toggled.connect(self.contoursToggled)
        ctl.addWidget(self.contours_check)
        self.live_check = QCheckBox(translate("SimulationDock", "Correct with live readings"))
        self.live_check.setToolTip(
            translate(
                "SimulationDock",
                "Move the model's pressure field onto the pressure sensors' latest readings (each pressure system on "
                "its own) and redraw every 30 s while a feed runs",
            )
        )
        self.live_check.toggled.connect(self.liveToggled)
        ctl.addWidget(self.live_check)
        lv = QHBoxLayout()
        lv.addWidget(QLabel(translate("SimulationDock", "Levels ≈")))
        self.levels_spin = QSpinBox()
        self.levels_spin.setRange(3, 30)
        self.levels_spin.setValue(8)
        self.levels_spin.setToolTip(
            translate("SimulationDock", "About how many levels per pressure class (round 1-2-5 steps)")
        )
        lv.addWidget(self.levels_spin)
        lv.addWidget(QLabel(translate("SimulationDock", "or every")))
        self.interval_spin = QDoubleSpinBox()
        self.interval_spin.setRange(0.0, 1000.0)
        self.interval_spin.setDecimals(2)
        self.interval_spin.setSuffix(" kPa")
        self.interval_spin.setSpecialValueText(translate("SimulationDock", "auto"))
        self.interval_spin.setToolTip(
            translate(
                "SimulationDock", "A fixed interval for every class (kPa); auto when it would give < 2 or > 40 levels"
            )
        )
        lv.addWidget(self.interval_spin)
        lv.addStretch(1)
        ctl.addLayout(lv)
        self.levels_spin.valueChanged.connect(lambda _v: self.levelsChanged.emit())
        self.interval_spin.valueChanged.connect(lambda _v: self.levelsChanged.emit())
        self.contour_legend = LegendView()
        ctl.addWidget(self.contour_legend)
        layout.addWidget(contours)

        what_if = QGroupBox(translate("SimulationDock", "What-if: close valves"))
        wl = QVBoxLayout(what_if)
        self.close_edit = QLineEdit()
        self.close_edit.setPlaceholderText(translate("SimulationDock", "Valve ids, comma separated (e.g. V12, V40)"))
        self.close_edit.returnPressed.connect(lambda: self.whatIfRequested.emit(self.close_edit.text()))
        wl.addWidget(self.close_edit)
        wr = QHBoxLayout()
        self.selection_button = QPushButton(translate("SimulationDock", "Add selected"))
        self.selection_button.setToolTip(translate("SimulationDock", "Add the feature selected on the map"))
        self.selection_button.clicked.connect(self.useSelectionRequested)
        self.compare_button = QPushButton(translate("SimulationDock", "Compare with base"))
        self.compare_button.clicked.connect(lambda: self.whatIfRequested.emit(self.close_edit.text()))
        wr.addWidget(self.selection_button)
        wr.addWidget(self.compare_button, 1)
        wl.addLayout(wr)
        self.diff_label = QLabel()
        self.diff_label.setWordWrap(True)
        self.diff_label.setVisible(False)
        wl.addWidget(self.diff_label)
        layout.addWidget(what_if)

        feature = QGroupBox(translate("SimulationDock", "Identified feature"))
        fl = QVBoxLayout(feature)
        self.feature_label = QLabel(
            translate("SimulationDock", "Identify (I) a pipe or node to see its simulated values")
        )
        self.feature_label.setObjectName("panelSubtitle")
        self.feature_label.setWordWrap(True)
        self.feature_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        fl.addWidget(self.feature_label)
        layout.addWidget(feature)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.set_running(False)

    # -- state -------------------------------------------------------------------------------------------------------
    def law(self) -> str:
        return str(self.law_combo.currentData())

    def demand_factor(self) -> float:
        return float(self.demand_spin.value())

    def set_scenario(self, text: str | None) -> None:
        """Show the loaded demand scenario (``None``: the customers' peaks)."""
        if text is None:
            self.scenario_label.setText(translate("SimulationDock", "Customers' peak × simultaneity"))
            self.scenario_label.setToolTip("")
            self.demand_spin.setToolTip(
                translate("SimulationDock", "Scales every customer's peak demand × simultaneity")
            )
        else:
            self.scenario_label.setText(text)
            self.scenario_label.setToolTip(text)
            self.demand_spin.setToolTip(translate("SimulationDock", "Scales every demand of the scenario"))
        self.scenario_clear_button.setVisible(text is not None)

    def colour_mode(self) -> str:
        return str(self.colour_combo.currentData())

    def set_colour_mode(self, mode: str, *, emit: bool = False) -> None:
        index = self.colour_combo.findData(mode)
        self.colour_combo.blockSignals(not emit)
        self.colour_combo.setCurrentIndex(index)
        self.colour_combo.blockSignals(False)

    def set_running(self, running: bool, text: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.compare_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if text:
            self.set_status(text)

    def set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #ff6b6b; font-weight: 600;" if error else "")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.themeMaybeChanged.emit()
