"""The simulation controller: runs simulate / what-if / contours as background jobs and shows their results.

Prepare → process → apply: the network snapshot and the request are taken on the main thread, the solve, the
pipe classifications and the contours are computed in a worker (:func:`console.ui.workers.start_job`), and the
result is applied to the docks and the map on the main thread. A result belongs to one network version; a new
network or an edit makes it stale and clears the map colouring.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QCursor, QIcon, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QToolTip

from console.errors import GasOpsError
from console.hydraulics import (
    DemandOptions,
    InfeasibleError,
    PressureContours,
    ResultDiff,
    SimulationRequest,
    SimulationResult,
    Violation,
    pressure_contours,
    simulate,
    what_if,
    with_live_pressures,
)
from console.network import GasNetwork
from console.ui.map.styles import VALUES_STYLE, PipeClassification
from console.ui.simulation._colours import (
    Legend,
    difference_classification,
    flow_classification,
    pressure_classification,
    velocity_classification,
)
from console.ui.simulation._dock import SimulationDock
from console.ui.simulation._overlay import ContourOverlay
from console.ui.simulation._text import diff_html, error_line, feature_text, summary_html
from console.ui.simulation._violations import ViolationsDock
from console.ui.workers import JobWorker, start_job

__all__ = ["SimulationController", "SimulationRun"]

log = logging.getLogger(__name__)
HOVER_MS = 350
LIVE_CONTOUR_MS = 30_000
MAX_INTERVAL_LEVELS = 40


@dataclass(eq=False)
class SimulationRun:
    """A solved network: the snapshot it was solved on, the result and its pipe classifications."""

    network: GasNetwork  # the snapshot (contours need the same node order)
    source: GasNetwork  # the live network shown on the map
    version: int
    result: SimulationResult
    styles: dict[str, tuple[PipeClassification, Legend]]


def run_simulation(network: GasNetwork, source: GasNetwork, request: SimulationRequest, feedback=None) -> SimulationRun:
    """Worker: solve and classify (pressure, velocity, flow)."""
    result = simulate(network, request, feedback=feedback)
    if feedback is not None:
        feedback.progress(0.95, "Colouring the pipes…")
    styles = {
        "pressure": pressure_classification(network, result),
        "velocity": velocity_classification(result),
        "flow": flow_classification(result),
    }
    return SimulationRun(network, source, source.version, result, styles)


def run_what_if(run: SimulationRun, closed: list[str], feedback=None):
    """Worker: the scenario with ``closed`` shut, against the run's base case."""
    base, scenario, diff = what_if(run.network, closed, run.result.request, base=run.result, feedback=feedback)
    return scenario, diff, difference_classification(base, scenario)


def run_contours(network: GasNetwork, result: SimulationResult, levels, n_levels: int, bounds=None, live=None,
                 feedback=None) -> tuple[PressureContours, int]:  # fmt: skip
    """Worker: the contours of ``result``, corrected by ``live`` = (node index, gauge Pa) readings when given;
    returns them and how many readings went in."""
    used = 0
    if live is not None:
        result, used = with_live_pressures(network, result, *live)
    if feedback is not None:
        feedback.progress(0.1, "Contouring pressures…")
    return pressure_contours(network, result, levels=levels, n_levels=n_levels, bounds=bounds), used


def contour_bounds(view: tuple, full: tuple, current: tuple | None) -> tuple | None:
    """The box to contour for this view: None (the whole network) when the view shows a quarter of it or more,
    else the view with half its size around it (a finer grid). ``current`` is kept while it still fits the view.

    >>> contour_bounds((0, 0, 10, 10), (0, 0, 12, 12), None) is None
    True
    >>> contour_bounds((0, 0, 1, 1), (0, 0, 12, 12), None)
    (-0.5, -0.5, 1.5, 1.5)
    >>> contour_bounds((0.2, 0.2, 1.2, 1.2), (0, 0, 12, 12), (-0.5, -0.5, 1.5, 1.5))
    (-0.5, -0.5, 1.5, 1.5)
    """
    area = lambda b: max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)  # noqa: E731
    if area(view) >= 0.25 * area(full):
        return None
    if current is not None and _covers(current, view) and area(current) <= 6.0 * area(view):
        return current
    dx, dy = (view[2] - view[0]) / 2, (view[3] - view[1]) / 2
    return (view[0] - dx, view[1] - dy, view[2] + dx, view[3] + dy)


def _covers(outer: tuple, inner: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


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


class SimulationController(QObject):
    """Wires the Simulate action, the docks, the jobs and the map overlay of one main window.

    Signals ``simulated(object)`` (a :class:`SimulationRun`), ``failed(str)`` (the one-line message),
    ``contoursShown()``, ``whatIfShown(object)`` (the :class:`ResultDiff`).
    """

    simulated = Signal(object)
    failed = Signal(str)
    contoursShown = Signal()
    whatIfShown = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.run: SimulationRun | None = None
        self.scenario: SimulationResult | None = None
        self.diff: ResultDiff | None = None
        self._diff_style: tuple[PipeClassification, Legend] | None = None
        self._job: JobWorker | None = None
        self._contour_job: JobWorker | None = None
        self._contour_bounds: tuple | None = None
        self.overlay = ContourOverlay(self.canvas)
        # Left, tabbed with the layer panel: the full height for the run, the legends and the list; the map stays wide.
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dock = window.add_dock(SimulationDock(window), left, tabify_with=window.layers_dock)
        self.violations = window.add_dock(ViolationsDock(window), left, tabify_with=self.dock)
        self.dock.raise_()
        QTimer.singleShot(0, self._fit_dock)  # once the window has its size
        self.action = QAction("&Simulate 水力计算", window)
        self.action.setShortcut(QKeySequence("F5"))
        self.action.setToolTip("Simulate: steady-state gas flow of the network (F5)")
        self.action.setStatusTip("Simulate the steady-state gas flow of the network")
        self.action.setIcon(simulate_icon(window.theme.text))
        self.action.triggered.connect(self.simulate)
        window.addAction(self.action)
        window.add_analysis_action(self.action, toolbar=True)
        self._hover = QTimer(self)
        self._hover.setSingleShot(True)
        self._hover.setInterval(HOVER_MS)
        self._hover.timeout.connect(self._show_hover)
        self._hover_xy: tuple[float, float] | None = None
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_CONTOUR_MS)
        self._live_timer.timeout.connect(self._on_live_tick)
        self._live_seen = -1
        self._connect()

    def _fit_dock(self) -> None:
        """On a first start, the dock as wide as its rows (run buttons, colour-by, contour levels); a layout the
        user saved is left as it was."""
        if self.window.saved_state() is None:
            self.window.fit_dock(self.dock)

    def _connect(self) -> None:
        d = self.dock
        d.simulateRequested.connect(self.simulate)
        d.cancelRequested.connect(self.cancel)
        d.colourModeChanged.connect(self._on_colour_mode_change)
        d.contoursToggled.connect(self.set_contours_visible)
        d.liveToggled.connect(self._on_live_toggle)
        d.levelsChanged.connect(self._on_levels_change)
        d.whatIfRequested.connect(self.compare)
        d.useSelectionRequested.connect(self._add_selection)
        d.themeMaybeChanged.connect(self._on_theme_change)
        self.violations.featureActivated.connect(self.window.zoom_to_feature)
        self.canvas.styleChanged.connect(self._on_style_change)
        self.canvas.featureIdentified.connect(self._on_feature_identified)
        self.canvas.cursorMoved.connect(self._on_cursor_move)
        self.canvas.settled.connect(self._on_view_settled)
        self.window.networkShown.connect(self._on_network_shown)

    # -- simulate ----------------------------------------------------------------------------------------------------
    def request(self) -> SimulationRequest:
        return SimulationRequest(law=self.dock.law(), demand=DemandOptions(demand_factor=self.dock.demand_factor()))

    def simulate(self) -> JobWorker | None:
        network = self.window.network
        if network is None:
            self._fail("Open a network first (File › Open)")
            return None
        self.cancel()
        job = start_job(self.window.runner, run_simulation, network.snapshot(), network, self.request())
        job.progressed.connect(self._on_progress)
        job.finished.connect(lambda run, job=job: self._on_simulated(job, run))
        job.errored.connect(lambda exc, job=job: self._on_error(job, exc))
        job.cancelled.connect(lambda job=job: self._on_cancelled(job))
        self._job = job
        self._start_progress(f"Simulating {network.name}…")
        return job

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _start_progress(self, text: str) -> None:
        self.dock.set_running(True, text)
        self.window.progress.setValue(0)
        self.window.progress.show()
        self.window.statusBar().showMessage(text)

    def _end_progress(self, job: JobWorker) -> bool:
        if job is not self._job:
            return False  # superseded
        self._job = None
        self.dock.set_running(False)
        self.window.progress.hide()
        return True

    def _on_progress(self, fraction: float, message: str) -> None:
        self.window.progress.setValue(int(fraction * 100))
        if message:
            self.window.statusBar().showMessage(message)

    def _on_simulated(self, job: JobWorker, run: SimulationRun) -> None:
        if not self._end_progress(job):
            return
        if run.source is not self.window.network or run.version != run.source.version:
            self.dock.set_status("The network changed while simulating — simulate again")
            return
        self.run, self.scenario, self.diff, self._diff_style = run, None, None, None
        r = run.result
        c = r.convergence
        text = f"Solved in {c.solve_seconds * 1e3:,.0f} ms · {len(r.violations):,} findings"
        self.dock.set_status(text)
        self.dock.raise_()
        self.dock.summary.setText(summary_html(r, r.request.demand.demand_factor))
        self.dock.summary.setVisible(True)
        self.dock.diff_label.setVisible(False)
        self.violations.set_violations(r.violations)
        self.window.statusBar().showMessage(text, 8000)
        mode = self.dock.colour_mode()
        if mode in ("network", "difference"):
            mode = "pressure"
        self.dock.set_colour_mode(mode)
        self._apply_colour(mode)
        if self.dock.contours_check.isChecked():
            self._start_contours()
        self.simulated.emit(run)

    def _on_error(self, job: JobWorker, exc: BaseException) -> None:
        if not self._end_progress(job):
            return
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
                    "pressure would fall below zero absolute here",
                )  # fmt: skip
                for nid in exc.node_ids
            ]
            self.violations.set_violations(rows, f"Infeasible: {len(rows)} nodes where pressure collapses")
        elif not isinstance(exc, GasOpsError):
            log.error("unexpected error in the simulation", exc_info=exc)
        self._fail(error_line(exc))

    def _on_cancelled(self, job: JobWorker) -> None:
        if self._end_progress(job):
            self.dock.set_status("Cancelled")
            self.window.statusBar().showMessage("Simulation cancelled", 5000)

    def _fail(self, text: str) -> None:
        self.dock.set_status(text, error=True)
        self.window.statusBar().showMessage(text, 10000)
        self.failed.emit(text)

    # -- colouring -------------------------------------------------------------------------------------------------
    def _style(self, mode: str) -> tuple[PipeClassification, Legend] | None:
        if mode == "difference":
            return self._diff_style
        return self.run.styles.get(mode) if self.run is not None else None

    def _on_colour_mode_change(self, mode: str) -> None:
        if mode == "network":
            self.dock.legend.clear()
            if self.canvas.classification is not None and self.canvas.classification.style == VALUES_STYLE:
                self.canvas.clear_pipe_values()
            return
        if self._style(mode) is None:
            what = "Compare a what-if first" if mode == "difference" else "Simulate first (F5)"
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
        if classification.style != VALUES_STYLE and not getattr(self, "_applying", False):
            self.dock.set_colour_mode("network")  # the user picked a named style (or a network was shown)
            self.dock.legend.clear()

    def back_to_network_style(self) -> None:
        self.dock.set_colour_mode("network", emit=True)

    # -- contours ----------------------------------------------------------------------------------------------------
    def set_contours_visible(self, visible: bool) -> None:
        if self.dock.contours_check.isChecked() != visible:
            self.dock.contours_check.setChecked(visible)  # re-enters through the toggled signal
            return
        if not visible:
            if self._contour_job is not None:
                self._contour_job.cancel()
                self._contour_job = None
            self.overlay.clear()
            self.dock.contour_legend.clear()
            return
        if self.run is None:
            self.dock.set_status("Simulate first (F5), then the contours are drawn")
            return
        self._start_contours()

    def _levels(self) -> dict | None:
        step_pa = self.dock.interval_spin.value() * 1e3
        if step_pa <= 0 or self.run is None:
            return None
        levels = {}
        for cls in {s.pressure_class for s in self.run.result.systems if s.supplied and s.pressure_class}:
            ids = [s for s in self.run.result.systems if s.pressure_class == cls and s.supplied]
            lo, hi = min(s.min_pressure_pa for s in ids), max(s.max_pressure_pa for s in ids)
            start, stop = np.floor(lo / step_pa) * step_pa, np.ceil(hi / step_pa) * step_pa
            n = int(round((stop - start) / step_pa)) + 1
            if 2 <= n <= MAX_INTERVAL_LEVELS:
                levels[cls] = start + step_pa * np.arange(n)
        return levels

    def _start_contours(self) -> None:
        if self._contour_job is not None:
            self._contour_job.cancel()
        run = self.run
        self._contour_bounds = contour_bounds(self.canvas.map_range(), run.network.bounds, None)
        live = self._live_readings() if self.dock.live_check.isChecked() else None
        job = start_job(self.window.runner, run_contours, run.network, run.result, self._levels(),
                        self.dock.levels_spin.value(), self._contour_bounds, live)  # fmt: skip
        job.finished.connect(lambda contours, job=job: self._on_contours(job, contours))
        job.errored.connect(lambda exc, job=job: self._contour_job is job and self._fail(error_line(exc)))
        self._contour_job = job
        self.window.statusBar().showMessage("Contouring pressures…")

    def _on_contours(self, job: JobWorker, out: tuple[PressureContours, int]) -> None:
        if job is not self._contour_job:
            return
        self._contour_job = None
        contours, self._live_used = out
        if not self.dock.contours_check.isChecked():
            return
        theme = self.window.theme.name
        self.overlay.show(contours, theme)
        self._fill_contour_legend()
        self.window.statusBar().showMessage(f"Contours in {contours.seconds * 1e3:,.0f} ms", 5000)
        self.contoursShown.emit()

    def _fill_contour_legend(self) -> None:
        c = self.overlay.contours
        if c is None:
            return
        note = f"Isobars and bands per pressure system; grid {c.cell_m:.0f} m, {c.buffer_m:.0f} m around the pipes."
        if self.dock.live_check.isChecked():
            used = getattr(self, "_live_used", 0)
            note += (
                f" Corrected by {used:,} live pressure readings ({time.strftime('%H:%M:%S')})."
                if used
                else " No live pressure readings yet: the model's field."
            )
        self.dock.contour_legend.set_entries("Isobars 等压线", note, self.overlay.legend_rows(self.window.theme.name))

    def _on_view_settled(self) -> None:
        """Zoomed in or out: contour the view on a finer grid (or the whole network again) when it no longer fits."""
        if self.run is None or not self.dock.contours_check.isChecked() or self._contour_job is not None:
            return
        if self.overlay.contours is None:
            return
        want = contour_bounds(self.canvas.map_range(), self.run.network.bounds, self._contour_bounds)
        if want != self._contour_bounds:
            self._start_contours()

    def _on_levels_change(self) -> None:
        if self.dock.contours_check.isChecked() and self.run is not None:
            self._start_contours()

    # -- live readings ----------------------------------------------------------------------------------------------
    def _telemetry(self):
        return getattr(self.window, "extensions", {}).get("telemetry")

    def _live_readings(self):
        telemetry = self._telemetry()
        if telemetry is None or self.run is None:
            return None
        self._live_seen = telemetry.live_version
        return telemetry.live_pressures(self.run.version)

    def _on_live_toggle(self, on: bool) -> None:
        if on:
            self._live_timer.start()
        else:
            self._live_timer.stop()
        if self.run is not None and self.dock.contours_check.isChecked():
            self._start_contours()

    def _on_live_tick(self) -> None:
        telemetry = self._telemetry()
        if (self.run is None or not self.dock.contours_check.isChecked() or self._contour_job is not None
                or telemetry is None or telemetry.live_version == self._live_seen):  # fmt: skip
            return
        self._start_contours()

    # -- what-if -----------------------------------------------------------------------------------------------------
    def compare(self, ids_text: str) -> JobWorker | None:
        ids = [t.strip() for t in ids_text.replace(";", ",").split(",") if t.strip()]
        if not ids:
            self._fail("Name the valves to close (comma separated) or add the selected one")
            return None
        if self.run is None or self.run.source is not self.window.network:
            self._fail("Simulate the base case first (F5)")
            return None
        self.cancel()
        job = start_job(self.window.runner, run_what_if, self.run, ids)
        job.progressed.connect(self._on_progress)
        job.finished.connect(lambda out, job=job: self._on_what_if(job, out))
        job.errored.connect(lambda exc, job=job: self._on_error(job, exc))
        job.cancelled.connect(lambda job=job: self._on_cancelled(job))
        self._job = job
        self._start_progress(f"What-if: closing {', '.join(ids[:5])}…")
        return job

    def _on_what_if(self, job: JobWorker, out) -> None:
        if not self._end_progress(job):
            return
        self.scenario, self.diff, self._diff_style = out
        self.dock.diff_label.setText(diff_html(self.diff))
        self.dock.diff_label.setVisible(True)
        self.dock.set_status(f"What-if with {len(self.scenario.request.closed)} closed — base vs scenario")
        self.dock.set_colour_mode("difference")
        self._apply_colour("difference")
        self.whatIfShown.emit(self.diff)

    def _add_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None:
            self.window.statusBar().showMessage("Select a valve on the map first (Identify, I)", 5000)
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
        result = self.scenario if self.dock.colour_mode() == "difference" and self.scenario else self.run.result
        return feature_text(result, feature_id)

    def _on_feature_identified(self, hit) -> None:
        text = self.feature_text(hit.feature_id) if hit is not None else None
        self.dock.feature_label.setText(text or "No simulated values for this feature")

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
        if self.run is not None and self.run.source is self.window.network:
            return
        self.reset()

    def reset(self) -> None:
        """Forget the result (a new network): overlays, legends, lists."""
        self.cancel()
        self.run = self.scenario = self.diff = self._diff_style = None
        self.overlay.clear()
        self.dock.legend.clear()
        self.dock.contour_legend.clear()
        self.dock.summary.setVisible(False)
        self.dock.diff_label.setVisible(False)
        self.dock.set_status("Not run yet — Simulate (F5)")
        self.dock.set_colour_mode("network")
        self.violations.clear()

    def _on_theme_change(self) -> None:
        theme = self.window.theme.name
        self.action.setIcon(simulate_icon(self.window.theme.text))
        self._fill_legend()
        if self.overlay.contours is not None and self.overlay.visible:
            self.overlay.show(self.overlay.contours, theme)
            self._fill_contour_legend()
