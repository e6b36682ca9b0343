"""The isolation feature in the main window: the "Isolate here" tool, the context menu, running, drawing, exports.

Running follows the prepare → process → apply split: the valve segments of a network version (seconds at a
million pipes) are built in a background job on a snapshot and handed back to the live network's cache; a break
query on warm segments takes milliseconds, so it runs on the main thread and the map answers the click at once.
Segments are also built ahead, as soon as a network is shown. An edit re-runs the current incident on the new
version (or clears it, with a note, when it no longer applies).
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QFileDialog, QMenu

from console.errors import GasOpsError
from console.isolation import (
    IsolationRequest,
    IsolationResult,
    isolate,
    reanalyse,
    valve_segments,
    write_customers_csv,
    write_plan_csv,
)
from console.network import GasNetwork, Hit
from console.ui.isolation._dock import IsolationDock
from console.ui.isolation._overlay import IsolationOverlay
from console.ui.isolation._text import break_text, headline
from console.ui.isolation._tool import MapClickFilter, break_at, pick_break
from console.ui.workers import JobWorker, start_job

__all__ = ["IsolationController", "SHORTCUT", "build_segments"]

log = logging.getLogger(__name__)

SHORTCUT = "Ctrl+I"
SEGMENTS_KEY = "isolation.segments"  # the key console.isolation.valve_segments caches under
_EDIT_DEBOUNCE_MS = 300
_EXPORT_DIR_KEY = "isolation/export_dir"
_DOCK_WIDTH_PX = 470
_FIT_MARGIN_PX = 70


def build_segments(network: GasNetwork, feedback=None):
    """Job: the valve segments (and topology) of a snapshot, to be handed to the live network's cache."""
    if feedback is not None:
        feedback.progress(0.05, "Building valve segments 阀门分段…")
    segments = valve_segments(network)
    if feedback is not None:
        feedback.progress(1.0, "Valve segments ready")
    return segments, network.topology


@dataclass
class _Ask:
    """One analysis the user asked for: a request, or a previous result with valves that failed."""

    request: IsolationRequest | None
    previous: IsolationResult | None = None
    failed: tuple[str, ...] = ()
    note: str = ""
    after_edit: bool = False


def _edit_slot(controller_ref: weakref.ref):
    """The network's ``changed`` handler: a plain function holding the controller weakly, so a network that
    outlives its window (tests share one) never calls into a deleted Qt object."""

    def on_network_edit(version: int) -> None:
        controller = controller_ref()
        if controller is not None and shiboken6.isValid(controller):
            controller._on_network_edit(version)

    return on_network_edit


def _unwatch(watched: dict[str, weakref.ref], slot, *_args) -> None:
    """Stop following the watched network's edits (also called when the controller is destroyed)."""
    ref = watched.pop("network", None)
    network = ref() if ref is not None else None
    if network is not None:
        network.changed.disconnect(slot)


def _isolate_icon(color: str) -> QIcon:
    """A valve (bow-tie) with its handwheel, crossed by a closing arrow: 'close valves here'."""
    out = QIcon()
    for scale in (1, 2):
        pix = QPixmap(24 * scale, 24 * scale)
        pix.fill(Qt.GlobalColor.transparent)
        pix.setDevicePixelRatio(scale)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(color))
        pen.setWidthF(1.6)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        bow = QPainterPath()
        bow.moveTo(3, 10)
        bow.lineTo(21, 20)
        bow.lineTo(21, 10)
        bow.lineTo(3, 20)
        bow.closeSubpath()
        p.drawPath(bow)
        p.drawLine(QPointF(12, 15), QPointF(12, 6))
        p.drawLine(QPointF(7.5, 4.5), QPointF(16.5, 4.5))
        p.setBrush(QColor("#ff2d6f"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(17, 1, 6, 6))
        p.end()
        out.addPixmap(pix)
    return out


class IsolationController(QObject):
    """Owns the isolation tool, dock and overlay of one main window.

    Signals
    -------
    resultChanged(object)
        The result now shown (``None`` after Clear).
    errorShown(str)
        A one-line error shown in the status bar and the dock (bad click, pipe out of service …).
    """

    resultChanged = Signal(object)
    errorShown = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.settings = window.settings
        self._theme = window.theme.name
        self._result: IsolationResult | None = None
        self._order = "upstream_first"
        self._warm: tuple[weakref.ref, int] | None = None
        self._job: JobWorker | None = None
        self._job_key: tuple[weakref.ref, int] | None = None
        self._pending: _Ask | None = None
        self._tool_on = False
        self._prev_tool = "pan"
        self._dock_sized = False
        self._disarm_on_result = False
        self._edit_slot = _edit_slot(weakref.ref(self))
        self._watched: dict[str, weakref.ref] = {}  # the network whose edits we follow (read after we are gone)
        self.destroyed.connect(partial(_unwatch, self._watched, self._edit_slot))

        self.act_isolate = QAction("Isolate here 关阀分析", window)
        self.act_isolate.setCheckable(True)
        self.act_isolate.setShortcut(QKeySequence(SHORTCUT))
        tip = "Isolate here: click where the gas escapes; Shift+click adds a break"
        self.act_isolate.setToolTip(f"{tip} ({SHORTCUT})")
        self.act_isolate.setStatusTip(tip)
        self.act_isolate.toggled.connect(self.set_tool_active)
        self.act_clear = QAction("Clear isolation", window)
        self.act_clear.setToolTip("Remove the isolation from the map and the Isolation panel")
        self.act_clear.triggered.connect(self.clear)
        self.act_clear.setEnabled(False)

        self.overlay = IsolationOverlay(self.canvas)
        self.dock = IsolationDock(self.act_isolate, window)
        window.add_dock(self.dock, Qt.DockWidgetArea.LeftDockWidgetArea, tabify_with=window.layers_dock)
        window.add_analysis_action(self.act_isolate, toolbar=True)
        window.add_analysis_action(self.act_clear)
        window.addAction(self.act_isolate)  # the shortcut works while toolbar and menu are hidden
        self._filter = MapClickFilter(self.canvas, self._on_map_click, self.overlay.tooltip_at)

        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(_EDIT_DEBOUNCE_MS)
        self._edit_timer.timeout.connect(self._on_edit_settled)

        window.add_context_provider(self._add_context_actions)
        self.canvas.styleChanged.connect(self._on_map_data_change)
        window.networkShown.connect(self._on_network_shown)
        for act in (window.act_pan, window.act_zoom_box, window.act_identify):
            act.triggered.connect(lambda *_: self.set_tool_active(False, restore=False))
        window.act_clear.triggered.connect(lambda *_: self.set_tool_active(False))  # Esc leaves the tool too
        d = self.dock
        d.featureActivated.connect(self.zoom_to)
        d.failedRequested.connect(self.valve_failed)
        d.exportPlanRequested.connect(lambda: self.export_plan())
        d.exportCustomersRequested.connect(lambda: self.export_customers())
        d.clearRequested.connect(self.clear)
        d.zoomRequested.connect(self.zoom_to_outage)
        d.dimToggled.connect(self.overlay.set_dim)
        d.orderChanged.connect(self.set_order)
        d.themeMaybeChanged.connect(self._on_theme_maybe_change)
        self._apply_theme(self._theme)

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def result(self) -> IsolationResult | None:
        return self._result

    @property
    def network(self) -> GasNetwork | None:
        return self.window.network

    @property
    def busy(self) -> bool:
        """An analysis is waiting for its valve segments."""
        return self._pending is not None

    def _is_warm(self, network: GasNetwork) -> bool:
        return self._warm is not None and self._warm[0]() is network and self._warm[1] == network.version

    # -- the tool ----------------------------------------------------------------------------------------------------
    @property
    def tool_active(self) -> bool:
        return self._tool_on

    def set_tool_active(self, on: bool, restore: bool = True) -> None:
        """Arm (or disarm) "Isolate here": the next click on the map breaks the pipe or node under it."""
        on = bool(on)
        if on == self._tool_on:
            return
        self._tool_on = on
        self.act_isolate.setChecked(on)
        if on:
            self._prev_tool = self.canvas.tool
            if self.canvas.tool != "pan":
                self.window.set_tool("pan")  # a drag still pans the map
            self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
            self.window.statusBar().showMessage(
                "Isolate here: click the pipe or node where the gas escapes (Shift+click adds a break; Esc cancels)"
            )
        elif restore and self._prev_tool != self.canvas.tool:
            self.window.set_tool(self._prev_tool)
        else:
            self.canvas.set_tool(self.canvas.tool)  # its cursor back

    def _on_map_click(self, pos: QPointF, modifiers) -> None:
        if not self._tool_on or self.network is None:
            return
        x, y = self.canvas.widget_to_map(pos)
        add = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        self._disarm_on_result = not add  # one click, one analysis; a failed one leaves the tool armed
        self.isolate_at(x, y, add=add)

    def isolate_at(self, x: float, y: float, *, add: bool = False) -> bool:
        """Isolate at map point (x, y) (``add``: as one more break of the current incident); False if nothing there."""
        hit = pick_break(self.canvas, x, y)
        if hit is None:
            self._show_error("Nothing to isolate here: click on a pipe, a node, a valve or a regulator")
            return False
        self.isolate_hit(hit, x, y, add=add)
        return True

    def isolate_hit(self, hit: Hit, x: float, y: float, *, add: bool = False) -> None:
        network = self.network
        if network is None:
            return
        try:
            brk = break_at(network, hit, x, y)
            current = self._pending.request if self._pending and self._pending.request else None
            current = current or (self._result.request if self._result else None)
            if add and current is not None:
                request = replace(current, breaks=(*current.breaks, brk))
            else:
                request = IsolationRequest((brk,), order=self._order)
        except GasOpsError as exc:
            self._show_error(str(exc))
            return
        self.run(request)

    # -- running -----------------------------------------------------------------------------------------------------
    def run(self, request: IsolationRequest) -> None:
        """Analyse ``request`` on the current network (at once on warm segments, else once they are built)."""
        self._submit(_Ask(request))

    def valve_failed(self, feature_id: str) -> None:
        """The valve (or regulator) ``feature_id`` of the current plan would not turn: plan again without it."""
        if self._result is None:
            return
        self._submit(_Ask(None, self._result, (feature_id,), note=f"{feature_id} reported failed: plan redone"))

    def set_order(self, order: str) -> None:
        """Closing-order rule for new analyses; the current one is redone with it."""
        if order == self._order:
            return
        self._order = order
        if self._result is not None:
            self._submit(_Ask(replace(self._result.request, order=order)))

    def _submit(self, ask: _Ask) -> None:
        network = self.network
        if network is None:
            return
        self._pending = ask
        if self._is_warm(network):
            self._run_pending(network)
            return
        self._ensure_segments_job(network)
        msg = f"Building the valve segments of {network.name} (first analysis after loading or an edit)…"
        self.window.statusBar().showMessage(msg)
        self.dock.show_message(msg, "note")

    def _ensure_segments_job(self, network: GasNetwork) -> None:
        key = (weakref.ref(network), network.version)
        if self._job is not None and self._job_key is not None:
            if self._job_key[0]() is network and self._job_key[1] == network.version:
                return  # already on its way
            self._job.cancel()
        snapshot = network.snapshot()  # the job never sees later edits
        try:
            job = start_job(self.window.runner, build_segments, snapshot)
        except RuntimeError:  # the window is closing and its job runner has shut down
            self._forget_job()
            self._pending = None
            return
        job.finished.connect(lambda out, job=job, net=network: self._on_segments_built(job, net, out))
        job.errored.connect(lambda exc, job=job: self._on_segments_error(job, exc))
        job.cancelled.connect(lambda job=job: self._job is job and self._forget_job())
        self._job, self._job_key = job, key

    def _forget_job(self) -> None:
        self._job = self._job_key = None

    def _on_segments_built(self, job: JobWorker, network: GasNetwork, out) -> None:
        if job is not self._job:
            return
        self._forget_job()
        segments, topology = out
        if network is not self.network:
            return
        if network.version != segments.version:  # edited meanwhile: build again if someone waits
            if self._pending is not None:
                self._ensure_segments_job(network)
            return
        network.cached("topology", lambda: topology)
        network.cached(SEGMENTS_KEY, lambda: segments)
        self._warm = (weakref.ref(network), network.version)
        if self._pending is not None:
            self._run_pending(network)

    def _on_segments_error(self, job: JobWorker, exc: BaseException) -> None:
        if job is not self._job:
            return
        self._forget_job()
        if self._pending is not None:
            self._pending = None
            self._show_error(self._error_text(exc, "building the valve segments"))

    def _run_pending(self, network: GasNetwork) -> None:
        ask, self._pending = self._pending, None
        try:
            if ask.previous is not None:
                result = reanalyse(network, ask.previous, ask.failed)
            else:
                result = isolate(network, ask.request)
        except Exception as exc:  # a bad click must never become a traceback
            text = self._error_text(exc, "isolating")
            if ask.after_edit:
                self.clear(note=f"The network was edited and the isolation no longer applies: {text}")
            else:
                self._show_error(text)
            return
        self._warm = (weakref.ref(network), network.version)
        self._apply(network, result, ask.note)

    def _error_text(self, exc: BaseException, doing: str) -> str:
        if isinstance(exc, GasOpsError):
            return str(exc)
        log.error("unexpected error while %s", doing, exc_info=exc)
        return f"Unexpected error while {doing} ({type(exc).__name__}): {exc}"

    def _apply(self, network: GasNetwork, result: IsolationResult, note: str = "") -> None:
        self._result = result
        self.overlay.draw(network, result)
        self.dock.show_result(result)
        self.dock.show_message(note, "note")
        self._show_dock()
        if self._disarm_on_result:
            self._disarm_on_result = False
            self.set_tool_active(False)
        if not self._in_view(result):
            self.zoom_to_outage()
        self.act_clear.setEnabled(True)
        self.window.statusBar().showMessage(f"Isolation at {break_text(result.request)}: {headline(result)}", 15000)
        self.resultChanged.emit(result)

    def _show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()
        if not self._dock_sized:  # once per session: a width the dispatcher drags to afterwards stays
            self.window.fit_dock(self.dock, minimum=_DOCK_WIDTH_PX)
        self._dock_sized = True

    def _in_view(self, result: IsolationResult) -> bool:
        """Every break and required step is on screen (else the map zooms out to show them)."""
        xmin, ymin, xmax, ymax = self.canvas.map_range()
        pts = [(x, y) for _, x, y in result.break_points] + [(s.x, s.y) for s in result.required_steps]
        return all(xmin <= x <= xmax and ymin <= y <= ymax for x, y in pts)

    def zoom_to_outage(self) -> None:
        """Show the breaks, the plan's valves, skipped valves and the shut-off region."""
        if self._result is None or self.overlay.bounds is None:
            return
        xmin, ymin, xmax, ymax = self.overlay.bounds
        size = max(xmax - xmin, ymax - ymin, 120.0)
        self.canvas.set_map_range(xmin, ymin, xmax, ymax, padding=0.05)
        # Then room for what is drawn in pixels around the points: markers, ids, the north arrow in a corner.
        pad = 0.05 * size + _FIT_MARGIN_PX * self.canvas.metres_per_pixel()
        self.canvas.set_map_range(xmin - pad, ymin - pad, xmax + pad, ymax + pad)

    def _show_error(self, text: str) -> None:
        self._disarm_on_result = False
        self.window.statusBar().showMessage(text, 10000)
        self.dock.show_message(text, "error")
        self.errorShown.emit(text)

    def clear(self, *_args, note: str = "") -> None:
        """Remove the overlay and empty the dock (``note`` says why, when it was not the user)."""
        self._result = None
        self._pending = None
        self.overlay.clear()
        self.dock.clear()
        self.dock.show_message(note, "note")
        self.act_clear.setEnabled(False)
        if note:
            self.window.statusBar().showMessage(note, 10000)
        self.resultChanged.emit(None)

    # -- the network changes -----------------------------------------------------------------------------------------
    def _on_map_data_change(self, *_args) -> None:
        """The canvas shows new map data (another network, an edit, a restyle): follow it."""
        network = self.network
        current = self._watched["network"]() if "network" in self._watched else None
        if network is not current:
            _unwatch(self._watched, self._edit_slot)
            if network is not None:
                network.changed.connect(self._edit_slot)
                self._watched["network"] = weakref.ref(network)
            if self._result is not None or self._pending is not None:
                name = network.name if network is not None else "no network"
                self.clear(note=f"Isolation cleared: {name} is now shown")
            return
        if self.overlay.shown and self._result is not None and self.overlay.origin != self.canvas.origin:
            self.overlay.draw(network, self._result)

    def _on_network_shown(self) -> None:
        network = self.network
        if network is not None and len(network["pipes"]) and not self._is_warm(network):
            self._ensure_segments_job(network)  # the first click after loading is then instant

    def _on_network_edit(self, _version: int) -> None:
        self._edit_timer.start()

    def _on_edit_settled(self) -> None:
        network = self.network
        if network is None:
            return
        ask = self._pending
        if ask is None and self._result is not None:
            note = f"The network was edited (version {network.version}): isolation redone"
            ask = _Ask(self._result.request, note=note, after_edit=True)
        if ask is not None:
            self._submit(ask)
        else:
            self._ensure_segments_job(network)

    # -- the map's context menu --------------------------------------------------------------------------------------
    def _add_context_actions(self, menu: QMenu, hit: Hit | None, x: float, y: float) -> None:
        if self.network is None:
            return
        if hit is None or hit.layer == "sensors":
            hit = pick_break(self.canvas, x, y)
        if hit is not None:
            act = menu.addAction(f"Isolate here (关阀分析) — {hit.feature_id}")
            act.triggered.connect(lambda *_, h=hit: self.isolate_hit(h, x, y))
            if self._result is not None:
                act = menu.addAction("Add a break here (Shift+click)")
                act.triggered.connect(lambda *_, h=hit: self.isolate_hit(h, x, y, add=True))
                steps = {s.feature_id for s in self._result.plan if s.action != "stop_source"}
                if hit.feature_id in steps:
                    act = menu.addAction(f"{hit.feature_id} would not turn — plan again")
                    act.triggered.connect(lambda *_, f=hit.feature_id: self.valve_failed(f))
        if self._result is not None:
            menu.addSeparator()
            menu.addAction(self.act_clear)

    # -- rows, exports -----------------------------------------------------------------------------------------------
    def zoom_to(self, feature_id: str) -> None:
        """Zoom to and select a feature of the result (a row of the dock was clicked)."""
        self.window.zoom_to_feature(feature_id)

    def export_plan(self, path: str | Path | None = None) -> Path | None:
        """Write the valve list as CSV (asks where when ``path`` is None); returns the path written."""
        return self._export(path, write_plan_csv, "Save the valve list", "valves_to_close")

    def export_customers(self, path: str | Path | None = None) -> Path | None:
        """Write the customers without gas as CSV (asks where when ``path`` is None); returns the path written."""
        return self._export(path, write_customers_csv, "Save the customers without gas", "customers_without_gas")

    def _export(self, path, write, title: str, stem: str) -> Path | None:
        result, network = self._result, self.network
        if result is None:
            return None
        if path is None:
            folder = str(self.settings.value(_EXPORT_DIR_KEY, str(Path.home())))
            slug = "_".join(b.feature_id for b in result.request.breaks)[:60]
            name = f"{stem}_{slug}_{datetime.now():%Y%m%d-%H%M}.csv"
            chosen, _ = QFileDialog.getSaveFileName(self.window, title, str(Path(folder) / name), "CSV (*.csv)")
            if not chosen:
                return None
            path = chosen if chosen.lower().endswith(".csv") else chosen + ".csv"
        try:
            written = write(result, path, crs=network.crs if network is not None else None)
        except GasOpsError as exc:
            self._show_error(str(exc))
            return None
        self.settings.setValue(_EXPORT_DIR_KEY, str(Path(written).resolve().parent))
        self.window.statusBar().showMessage(f"Saved {written}", 8000)
        return Path(written)

    # -- theme -------------------------------------------------------------------------------------------------------
    def _on_theme_maybe_change(self) -> None:
        name = self.window.theme.name
        if name != self._theme:
            self._apply_theme(name)

    def _apply_theme(self, name: str) -> None:
        self._theme = name
        self.overlay.set_theme(name)
        self.dock.set_theme(name)
        self.act_isolate.setIcon(_isolate_icon(self.window.theme.text))
