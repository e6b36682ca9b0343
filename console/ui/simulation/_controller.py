"""The simulation controller: the simulation dock, the violations list and the map overlay of one main window,
drawn from :class:`console.app.simulation.SimulationService`.

The service runs simulate / what-if / contours as jobs on the window's :class:`console.ui.workers.QtJobs` (the pipe
classifications are computed in the same jobs through its style hooks) and announces results; this controller
forwards the dock's input to it and draws what it announces, nothing else.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFileDialog, QToolTip

from console.app.jobs import JobHandle
from console.app.settings import declare
from console.app.simulation import ContourField, SimulationRun, SimulationService, WhatIfRun
from console.errors import GasOpsError
from console.hydraulics import (
    DemandOptions,
    DemandScenario,
    InfeasibleError,
    SimulationRequest,
    Violation,
    read_demand_scenario,
)
from console.ui.actions import ActionSpec
from console.ui.i18n import translate
from console.ui.i18n_messages import translate_message
from console.ui.map.styles import VALUES_STYLE, PipeClassification
from console.ui.simulation._colours import (
    Legend,
    difference_classification,
    flow_classification,
    pressure_classification,
    velocity_classification,
)
from console.ui.simulation._dock import SimulationDock
from console.ui.simulation._overlay import ClosedValvesOverlay, ContourOverlay
from console.ui.simulation._text import diff_html, error_line, feature_text, summary_html
from console.ui.simulation._violations import ViolationsDock

__all__ = ["SimulationController", "SimulationRun"]

HOVER_MS = 350
declare("simulation/scenario_dir", "", str, "folder of the last demand scenario file opened in the simulation dock")
LIVE_CONTOUR_MS = 30_000


def pipe_styles(network, result) -> dict[str, tuple[PipeClassification, Legend]]:
    """The map's colourings of a run (pressure, velocity, flow); runs in the simulation job."""
    return {
        "pressure": pressure_classification(network, result),
        "velocity": velocity_classification(result),
        "flow": flow_classification(result),
    }


class ShownLiveSession:
    """The live pressures of whatever live session the telemetry feature has open now (none: no readings).

    The simulation service's live provider: the telemetry feature opens and closes sessions as networks come and go,
    so the session is looked up on every call through the feature's public ``session``.
    """

    def __init__(self, window) -> None:
        self.window = window

    def _session(self):
        telemetry = getattr(self.window, "extensions", {}).get("telemetry")
        return getattr(telemetry, "session", None)

    def live_pressures(self, network_version: int | None = None):
        session = self._session()
        return session.live_pressures(network_version) if session is not None else None

    @property
    def live_version(self) -> int:
        session = self._session()
        return session.live_version if session is not None else -1


def simulate_icon(color: str, size: int = 24) -> QIcon:
    """A pressure gauge (压力表): an arc, ticks and a needle, stroked in the theme's ink like the other tools."""
    pix = QPixmap(size * 2, size * 2)
    pix.fill(Qt.GlobalColor.transparent)
    pix.setDevicePixelRatio(2)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 24, size / 24)
    pen = QPen(QColor(color))
    pen.setWidthF(1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.drawArc(QRectF(3, 5, 18, 18), 0 * 16, 180 * 16)
    p.drawLine(QPointF(3, 14), QPointF(21, 14))
    for angle in (150, 90, 30):
        a = np.radians(angle)
        p.drawLine(QPointF(12 + 7.2 * np.cos(a), 14 - 7.2 * np.sin(a)), QPointF(12 + 9 * np.cos(a), 14 - 9 * np.sin(a)))
    p.drawLine(QPointF(12, 14), QPointF(17, 9))
    p.drawEllipse(QPointF(12, 14), 1.2, 1.2)
    p.drawLine(QPointF(6, 19), QPointF(18, 19))
    p.end()
    return QIcon(pix)


def scenario_text(scenario: DemandScenario) -> str:
    """One line on a loaded demand scenario: name, nodes and total."""
    return translate("SimulationDock", "Scenario “{name}”: {nodes} nodes, {flow} Nm³/h").format(
        name=scenario.name, nodes=f"{len(scenario.node_demand_nm3h):,}", flow=f"{scenario.total_nm3h:,.1f}"
    )


def scenario_html(result, scenario: DemandScenario | None) -> str:
    """The summary's first line when a run used a demand scenario (empty for the customers' peaks)."""
    demand = result.request.demand.node_demand_nm3h
    if demand is None:
        return ""
    known = scenario is not None and scenario.node_demand_nm3h is demand
    name = scenario.name if known else translate("SimulationDock", "a demand scenario")
    entries = ""
    if known and scenario.entries_nm3h:
        entries = translate("SimulationDock", " · nominated entries {flow} Nm³/h").format(
            flow=f"{sum(scenario.entries_nm3h.values()):,.1f}"
        )
    text = translate("SimulationDock", "Demand scenario {name}: {nodes} nodes, {flow} Nm³/h × {factor}").format(
        name=f"<b>{html.escape(name)}</b>",
        nodes=f"{len(demand):,}",
        flow=f"{sum(demand.values()):,.1f}",
        factor=f"{result.request.demand.demand_factor:g}",
    )
    return f"<div>{text}{html.escape(entries)}</div>"


class SimulationController(QObject):
    """Draws the :class:`SimulationService` of one main window: the Simulate action, the docks and the map overlay.

    Signals ``simulated(object)`` (a :class:`SimulationRun`), ``failed(str)`` (the one-line message),
    ``contoursShown()``, ``whatIfShown(object)`` (the :class:`ResultDiff`), each once the window shows it.
    """

    simulated = Signal(object)
    failed = Signal(str)
    contoursShown = Signal()
    whatIfShown = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.service = SimulationService(
            window.jobs, ShownLiveSession(window), style_run=pipe_styles, style_what_if=difference_classification
        )
        self.overlay = ContourOverlay(self.canvas)
        self.closed_marks = ClosedValvesOverlay(self.canvas)  # the valves a what-if closes
        # Left, tabbed with the layer panel: the full height for the run, the legends and the list; the map stays wide.
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dock = window.add_dock(SimulationDock(window), left, tabify_with=window.layers_dock)
        self.violations = window.add_dock(ViolationsDock(window), left, tabify_with=self.dock)
        self.dock.raise_()
        QTimer.singleShot(0, self._fit_dock)  # once the window has its size
        self.action = window.actions.declare(
            ActionSpec(
                "simulation.run",
                QT_TRANSLATE_NOOP("Actions", "&Simulate"),
                self.simulate,
                shortcut="F5",
                tip=QT_TRANSLATE_NOOP("Actions", "Simulate the steady-state gas flow of the network"),
                menu="Analysis",
                toolbar=True,
                icon=simulate_icon,
                permission="simulation.run",
            )
        )
        self._hover = QTimer(self)
        self._hover.setSingleShot(True)
        self._hover.setInterval(HOVER_MS)
        self._hover.timeout.connect(self._show_hover)
        self._hover_xy: tuple[float, float] | None = None
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_CONTOUR_MS)
        self._live_timer.timeout.connect(self._on_live_tick)
        self._applying = False
        self.scenario: DemandScenario | None = None  # the demand scenario the next run uses (None: customers' peaks)
        self._scenario_network = None  # the network whose node ids the scenario was checked against
        self._connect()
        self._push_contour_options()
        if window.network is not None:  # installed after the first network was shown
            self.service.set_network(window.network)

    @property
    def run(self) -> SimulationRun | None:
        """The shown run (the service's)."""
        return self.service.run

    @property
    def _live_used(self) -> int:
        # Read by the telemetry UI tests: how many live readings corrected the shown contours.
        return self.service.contours.live_used if self.service.contours is not None else 0

    def _fit_dock(self) -> None:
        """On a first start, the dock as wide as its rows (run buttons, colour-by, contour levels); a layout the
        user saved is left as it was."""
        if self.window.saved_state() is None:
            self.window.fit_dock(self.dock)

    def _connect(self) -> None:
        d = self.dock
        d.simulateRequested.connect(self.simulate)
        d.cancelRequested.connect(self.service.cancel)
        d.colourModeChanged.connect(self._on_colour_mode_change)
        d.contoursToggled.connect(self.set_contours_visible)
        d.liveToggled.connect(self._on_live_toggle)
        d.levelsChanged.connect(self._on_levels_change)
        d.whatIfRequested.connect(self.compare)
        d.useSelectionRequested.connect(self._add_selection)
        d.themeMaybeChanged.connect(self._on_theme_change)
        d.scenarioRequested.connect(self.choose_scenario)
        d.scenarioCleared.connect(self.clear_scenario)
        self.violations.featureActivated.connect(self.window.zoom_to_feature)
        self.canvas.styleChanged.connect(self._on_style_change)
        self.canvas.featureIdentified.connect(self._on_feature_identified)
        self.canvas.cursorMoved.connect(self._on_cursor_move)
        self.canvas.settled.connect(self._on_view_settled)
        self.window.networkShown.connect(self._on_network_shown)
        s = self.service
        s.run_changed.connect(self._on_run_change)
        s.what_if_changed.connect(self._on_what_if_change)
        s.contours_changed.connect(self._on_contours_change)
        s.started.connect(self._on_started)
        s.busy_changed.connect(self._on_busy_change)
        s.progressed.connect(self._on_progress)
        s.failed.connect(self._on_failed)
        s.cancelled.connect(self._on_cancelled)

    # -- simulate ----------------------------------------------------------------------------------------------------
    def request(self) -> SimulationRequest:
        scenario = self.scenario.node_demand_nm3h if self.scenario is not None else None
        demand = DemandOptions(demand_factor=self.dock.demand_factor(), node_demand_nm3h=scenario)
        return SimulationRequest(law=self.dock.law(), demand=demand)

    # -- demand scenario -----------------------------------------------------------------------------------------------
    def choose_scenario(self) -> DemandScenario | None:
        """Ask for a demand scenario file (CSV or GasLib nomination) and load it for the next runs."""
        if self.window.network is None:
            self.dock.set_status(translate("SimulationDock", "Open a network first (File › Open)"), error=True)
            return None
        start = str(self.window.prefs.get("simulation/scenario_dir", "") or "")
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            translate("SimulationDock", "Demand scenario"),
            start,
            translate(
                "SimulationDock",
                "Demand scenarios (*.csv *.json *.txt);;CSV node id → Nm³/h (*.csv);;GasLib nomination (*.json);;"
                "All files (*)",
            ),
        )
        if not path:
            return None
        self.window.prefs.set("simulation/scenario_dir", str(Path(path).parent))
        return self.load_scenario(path)

    def load_scenario(self, path: str | Path) -> DemandScenario | None:
        """Read ``path`` against the shown network; the next Simulate uses its demands. A file that cannot be used
        leaves the current demands as they were and says why in the dock."""
        network = self.window.network
        if network is None:
            self.dock.set_status(translate("SimulationDock", "Open a network first (File › Open)"), error=True)
            return None
        try:
            scenario = read_demand_scenario(path, network)
        except GasOpsError as exc:
            self._fail(
                translate("SimulationDock", "Demand scenario not loaded — {error}").format(
                    error=translate_message(str(exc))
                )
            )
            return None
        self.scenario, self._scenario_network = scenario, network
        self.dock.set_scenario(scenario_text(scenario))
        self.dock.set_status(
            translate("SimulationDock", "Demand scenario “{name}” loaded — Simulate (F5) to use it").format(
                name=scenario.name
            )
        )
        return scenario

    def clear_scenario(self) -> None:
        """Back to the customers' peak demand × simultaneity."""
        self.scenario = self._scenario_network = None
        self.dock.set_scenario(None)

    def simulate(self) -> JobHandle | None:
        return self.service.simulate(self.request(), network=self.window.network)

    def cancel(self) -> None:
        self.service.cancel()

    def _on_started(self, text: str) -> None:
        text = translate_message(text)
        self.dock.set_running(True, text)
        self.window.progress.setValue(0)
        self.window.progress.show()
        self.window.statusBar().showMessage(text)

    def _on_busy_change(self, busy: bool) -> None:
        if not busy:
            self.dock.set_running(False)
            self.window.progress.hide()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.window.progress.setValue(int(fraction * 100))
        if message:
            self.window.statusBar().showMessage(translate_message(message))

    def _on_run_change(self, run: SimulationRun | None) -> None:
        if run is None:
            self._clear()
            return
        r = run.result
        c = r.convergence
        text = translate("SimulationDock", "Solved in {ms} ms · {count} findings").format(
            ms=f"{c.solve_seconds * 1e3:,.0f}", count=f"{len(r.violations):,}"
        )
        self.dock.set_status(text)
        self.dock.raise_()
        self.dock.summary.setText(scenario_html(r, self.scenario) + summary_html(r, r.request.demand.demand_factor))
        self.dock.summary.setVisible(True)
        self.dock.diff_label.setVisible(False)
        self.violations.set_violations(r.violations)
        self.window.statusBar().showMessage(text, 8000)
        mode = self.dock.colour_mode()
        if mode in ("network", "difference"):
            mode = "pressure"
        self.dock.set_colour_mode(mode)
        self._apply_colour(mode)
        self.simulated.emit(run)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, InfeasibleError):
            rows = [
                Violation(
                    "infeasible",
                    "error",
                    nid,
                    "",
                    float("nan"),
                    0.0,
                    "Pa",
                    translate("SimulationDock", "pressure would fall below zero absolute here"),
                )  # fmt: skip
                for nid in exc.node_ids
            ]
            header = translate("SimulationDock", "Infeasible: {count} nodes where pressure collapses")
            self.violations.set_violations(rows, header.format(count=len(rows)))
        self._fail(error_line(exc))

    def _on_cancelled(self, reason: str) -> None:
        text = translate_message(reason)
        self.dock.set_status(text)
        cancelled = translate("SimulationDock", "Simulation cancelled")
        self.window.statusBar().showMessage(text if reason != "Cancelled" else cancelled, 5000)

    def _fail(self, text: str) -> None:
        self.dock.set_status(text, error=True)
        self.window.statusBar().showMessage(text, 10000)
        self.failed.emit(text)

    # -- colouring -------------------------------------------------------------------------------------------------
    def _style(self, mode: str) -> tuple[PipeClassification, Legend] | None:
        if mode == "difference":
            return self.service.what_if.style if self.service.what_if is not None else None
        return self.run.styles.get(mode) if self.run is not None else None

    def _on_colour_mode_change(self, mode: str) -> None:
        if mode == "network":
            self.dock.legend.clear()
            if self.canvas.classification is not None and self.canvas.classification.style == VALUES_STYLE:
                self.canvas.clear_pipe_values()
            return
        if self._style(mode) is None:
            if mode == "difference":
                what = translate("SimulationDock", "Compare a what-if first")
            else:
                what = translate("SimulationDock", "Simulate first (F5)")
            self.dock.set_status(what)
            self.dock.set_colour_mode("network")
            return
        self._apply_colour(mode)

    def _apply_colour(self, mode: str) -> None:
        style = self._style(mode)
        if style is None:
            return
        classification, legend = style
        self._applying = True
        try:
            self.canvas.set_pipe_classification(classification)
        finally:
            self._applying = False
        self._fill_legend()

    def _fill_legend(self) -> None:
        style = self._style(self.dock.colour_mode())
        if style is None:
            self.dock.legend.clear()
            return
        classification, legend = style
        theme = self.window.theme.name
        counts = classification.counts()
        rows = [
            (cls.color(theme), cls.label, f"{int(counts[k]):,}", cls.dash)
            for k, cls in enumerate(classification.classes)
            if counts[k]
        ]
        self.dock.legend.set_entries(legend.title, legend.note, rows)

    def _on_style_change(self, classification: PipeClassification) -> None:
        if classification.style != VALUES_STYLE and not self._applying:
            self.dock.set_colour_mode("network")  # the user picked a named style (or a network was shown)
            self.dock.legend.clear()

    def back_to_network_style(self) -> None:
        self.dock.set_colour_mode("network", emit=True)

    # -- contours ----------------------------------------------------------------------------------------------------
    def set_contours_visible(self, visible: bool) -> None:
        if self.dock.contours_check.isChecked() != visible:
            self.dock.contours_check.setChecked(visible)  # re-enters through the toggled signal
            return
        if visible and self.run is None:
            self.dock.set_status(translate("SimulationDock", "Simulate first (F5), then the contours are drawn"))
        elif visible:
            self.window.statusBar().showMessage(translate("SimulationDock", "Contouring pressures…"))
        self.service.set_contours_visible(visible, self.canvas.map_range())

    def _push_contour_options(self, view: tuple | None = None) -> None:
        """The dock's isobar interval, number of levels and live correction, to the service (which redraws shown
        contours)."""
        self.service.set_contour_options(
            interval_pa=self.dock.interval_spin.value() * 1e3,
            n_levels=self.dock.levels_spin.value(),
            live=self.dock.live_check.isChecked(),
            view=view,
        )

    def _on_contours_change(self, field: ContourField | None) -> None:
        if field is None:
            self.overlay.clear()
            self.dock.contour_legend.clear()
            return
        self.overlay.show(field.contours, self.window.theme.name)
        self._fill_contour_legend()
        self.window.statusBar().showMessage(
            translate("SimulationDock", "Contours in {ms} ms").format(ms=f"{field.contours.seconds * 1e3:,.0f}"), 5000
        )
        self.contoursShown.emit()

    def _fill_contour_legend(self) -> None:
        field = self.service.contours
        if field is None:
            return
        c = field.contours
        note = translate(
            "SimulationDock", "Isobars and bands per pressure system; grid {cell} m, {buffer} m around the pipes."
        ).format(cell=f"{c.cell_m:.0f}", buffer=f"{c.buffer_m:.0f}")
        if field.live and field.live_used:
            note += translate("SimulationDock", " Corrected by {count} live pressure readings ({time}).").format(
                count=f"{field.live_used:,}", time=time.strftime("%H:%M:%S", time.localtime(field.at))
            )
        elif field.live:
            note += translate("SimulationDock", " No live pressure readings yet: the model's field.")
        rows = self.overlay.legend_rows(self.window.theme.name)
        self.dock.contour_legend.set_entries(translate("SimulationDock", "Isobars"), note, rows)

    def _on_view_settled(self) -> None:
        """Zoomed in or out: the service re-contours the view on a finer grid when the contours no longer fit it."""
        self.service.follow_view(self.canvas.map_range())

    def _on_levels_change(self) -> None:
        self._push_contour_options(self.canvas.map_range())

    # -- live readings ----------------------------------------------------------------------------------------------
    def _on_live_toggle(self, on: bool) -> None:
        if on:
            self._live_timer.start()
        else:
            self._live_timer.stop()
        self._push_contour_options(self.canvas.map_range())

    def _on_live_tick(self) -> None:
        self.service.refresh_live(self.canvas.map_range())

    # -- what-if -----------------------------------------------------------------------------------------------------
    def compare(self, ids_text: str) -> JobHandle | None:
        if self.service.network is not self.window.network:
            self.service.set_network(self.window.network)
        return self.service.compare(ids_text)

    def _on_what_if_change(self, out: WhatIfRun | None) -> None:
        if out is None:
            self.closed_marks.clear()
            return
        self.closed_marks.show(self.window.network, out.scenario.request.closed, self.window.theme.name)
        self.dock.show()  # the comparison is read in the dock: a role layout may have it tabbed away or hidden
        self.dock.raise_()
        self.dock.diff_label.setText(diff_html(out.diff))
        self.dock.diff_label.setVisible(True)
        self.dock.set_status(
            translate("SimulationDock", "What-if with {count} closed — base vs scenario").format(
                count=len(out.scenario.request.closed)
            )
        )
        self.dock.set_colour_mode("difference")
        self._apply_colour("difference")
        self.whatIfShown.emit(out.diff)

    def _add_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None:
            self.window.statusBar().showMessage(
                translate("SimulationDock", "Select a valve on the map first (Identify, I)"), 5000
            )
            return
        ids = [t.strip() for t in self.dock.close_edit.text().split(",") if t.strip()]
        if hit.feature_id not in ids:
            ids.append(hit.feature_id)
        self.dock.close_edit.setText(", ".join(ids))

    # -- feature values ------------------------------------------------------------------------------------------------
    def feature_text(self, feature_id: str) -> str | None:
        """Simulated values of a feature (scenario values while a what-if is shown)."""
        if self.run is None:
            return None
        what_if = self.service.what_if
        showing_what_if = self.dock.colour_mode() == "difference" and what_if is not None
        return feature_text(what_if.scenario if showing_what_if else self.run.result, feature_id)

    def _on_feature_identified(self, hit) -> None:
        text = self.feature_text(hit.feature_id) if hit is not None else None
        self.dock.feature_label.setText(text or translate("SimulationDock", "No simulated values for this feature"))

    def _on_cursor_move(self, x: float, y: float) -> None:
        if self.run is not None:
            self._hover_xy = (x, y)
            self._hover.start()

    def _show_hover(self) -> None:
        if self._hover_xy is None or self.window.network is None:
            return
        hit = self.canvas.pick(*self._hover_xy)
        text = self.feature_text(hit.feature_id) if hit is not None else None
        if text:
            QToolTip.showText(QCursor.pos(), text, self.canvas.viewport())
        else:
            QToolTip.hideText()

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    def _on_network_shown(self) -> None:
        self.service.set_network(self.window.network)  # the same network (an edit) keeps its run
        if self.scenario is not None and self.window.network is not self._scenario_network:
            self.clear_scenario()  # its node ids belong to the network it was loaded for

    def _clear(self) -> None:
        """The service forgot its result (a new network): overlays, legends, lists."""
        self.overlay.clear()
        self.closed_marks.clear()
        self.dock.legend.clear()
        self.dock.contour_legend.clear()
        self.dock.summary.setVisible(False)
        self.dock.diff_label.setVisible(False)
        self.dock.set_status(translate("SimulationDock", "Not run yet — Simulate (F5)"))
        self.dock.set_colour_mode("network")
        self.violations.clear()

    def _on_theme_change(self) -> None:
        self._fill_legend()
        if self.overlay.contours is not None and self.overlay.visible:
            self.overlay.show(self.overlay.contours, self.window.theme.name)
            self._fill_contour_legend()
