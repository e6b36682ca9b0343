"""The isolation feature in the main window: the "Isolate here" tool, the context menu, the dock and the overlay.

The workflow itself — valve segments per network version, the request waiting for them, re-runs after a failed
valve or an edit, exports — is :class:`console.app.isolation.IsolationService`, the same one the command line and
the tests drive. This controller turns clicks into its calls and draws what its signals announce; the only timing
it keeps is the debounce of a burst of edits before the service re-runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QFileDialog, QMenu

from console.app.isolation import IsolationService
from console.errors import GasOpsError
from console.isolation import IsolationRequest, IsolationResult
from console.network import GasNetwork, Hit
from console.ui.actions import ActionSpec
from console.ui.i18n import translate
from console.ui.isolation._dock import IsolationDock
from console.ui.isolation._overlay import IsolationOverlay
from console.ui.isolation._text import break_text, headline, note_text
from console.ui.isolation._tool import MapClickFilter, break_at, pick_break

__all__ = ["IsolationController", "SHORTCUT"]

log = logging.getLogger(__name__)

SHORTCUT = "Ctrl+I"
_EDIT_DEBOUNCE_MS = 300
_DOCK_WIDTH_PX = 470
_FIT_MARGIN_PX = 70
_EXPORT_TITLES = {
    "plan": QT_TRANSLATE_NOOP("IsolationDock", "Save the valve list"),
    "customers": QT_TRANSLATE_NOOP("IsolationDock", "Save the customers without gas"),
}


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
    """The isolation tool, dock and overlay of one main window, over an :class:`IsolationService` (``.service``).

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
        self._theme = window.theme.name
        self._tool_on = False
        self._prev_tool = "pan"
        self._dock_sized = False
        self._disarm_on_result = False

        self._edit_timer = QTimer(self)  # a burst of edits (a drag, an undo series) re-runs once
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(_EDIT_DEBOUNCE_MS)
        self.service = service = IsolationService(window.jobs, window.prefs, edit_debounce=self._edit_timer.start)
        self._edit_timer.timeout.connect(service.network_edited)
        # The service follows the network's edits; a network can outlive this window (tests share one).
        self.destroyed.connect(lambda *_: service.close())
        window.closing.connect(service.close)
        service.result_changed.connect(self._on_result_change)
        service.error.connect(self._show_error)
        service.note.connect(self._on_note)

        declare = window.actions.declare
        tip = QT_TRANSLATE_NOOP("Actions", "Isolate here: click where the gas escapes; Shift+click adds a break")
        self.act_isolate = declare(
            ActionSpec("isolation.isolate", QT_TRANSLATE_NOOP("Actions", "Isolate here"), self.set_tool_active, SHORTCUT, tip,
                       menu="Analysis", toolbar=True, checkable=True, icon=_isolate_icon, permission="isolation.run")
        )  # fmt: skip
        self.act_clear = declare(
            ActionSpec("isolation.clear", QT_TRANSLATE_NOOP("Actions", "Clear isolation"), self.clear,
                       tip=QT_TRANSLATE_NOOP("Actions", "Remove the isolation from the map and the Isolation panel"), menu="Analysis",
                       enabled=lambda: service.result is not None)
        )  # fmt: skip

        self.overlay = IsolationOverlay(self.canvas)
        self.dock = IsolationDock(self.act_isolate, window)
        window.add_dock(self.dock, Qt.DockWidgetArea.LeftDockWidgetArea, tabify_with=window.layers_dock)
        self._filter = MapClickFilter(self.canvas, self._on_map_click, self.overlay.tooltip_at)

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
        self._show_order(service.order)
        d.orderChanged.connect(self.set_order)
        d.themeMaybeChanged.connect(self._on_theme_maybe_change)
        self._apply_theme(self._theme)
        if window.network is not None:  # installed after a network was shown: follow it (and warm its segments)
            service.set_network(window.network)

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def result(self) -> IsolationResult | None:
        return self.service.result

    @property
    def network(self) -> GasNetwork | None:
        return self.window.network

    @property
    def busy(self) -> bool:
        """An analysis is waiting for its valve segments."""
        return self.service.busy

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
                translate(
                    "IsolationDock",
                    "Isolate here: click the pipe or node where the gas escapes (Shift+click adds a break; Esc cancels)",
                )
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
            self._show_error(
                translate("IsolationDock", "Nothing to isolate here: click on a pipe, a node, a valve or a regulator")
            )
            return False
        self.isolate_hit(hit, x, y, add=add)
        return True

    def isolate_hit(self, hit: Hit, x: float, y: float, *, add: bool = False) -> None:
        network = self.network
        if network is None:
            return
        try:
            brk = break_at(network, hit, x, y)
        except GasOpsError as exc:
            self._show_error(note_text(str(exc)))
            return
        self._follow_network()
        if add:
            self.service.add_break(brk)
        else:
            self.service.run(brk)

    # -- the service's verbs -----------------------------------------------------------------------------------------
    def run(self, request: IsolationRequest) -> None:
        """Analyse ``request`` on the network shown (at once on warm segments, else once they are built)."""
        self._follow_network()
        self.service.run(request)

    def valve_failed(self, feature_id: str) -> None:
        """The valve (or regulator) ``feature_id`` of the current plan would not turn: plan again without it."""
        self.service.valve_failed(feature_id)

    def set_order(self, order: str) -> None:
        """Closing-order rule for new analyses; the current one is redone with it."""
        self.service.set_order(order)
        self._show_order(self.service.order)

    def clear(self, *_args) -> None:
        """Remove the overlay and empty the dock."""
        self.service.clear()

    def _follow_network(self) -> None:
        if self.network is not self.service.network:
            self.service.set_network(self.network, prebuild=False)

    # -- drawing what the service announces --------------------------------------------------------------------------
    def _on_result_change(self, result: IsolationResult | None) -> None:
        self.dock.show_message("", "note")  # a note explaining this result follows
        if result is None:
            self.overlay.clear()
            self.dock.clear()
        else:
            self.overlay.draw(self.service.network, result)
            self.dock.show_result(result)
            self._show_dock()
            if self._disarm_on_result:
                self._disarm_on_result = False
                self.set_tool_active(False)
            if not self._in_view(result):
                self.zoom_to_outage()
            text = translate("IsolationDock", "Isolation at {where}: {headline}").format(
                where=break_text(result.request), headline=headline(result)
            )
            self.window.statusBar().showMessage(text, 15000)
        self.window.actions.refresh()
        self.resultChanged.emit(result)

    def _on_note(self, text: str) -> None:
        text = note_text(text)
        self.dock.show_message(text, "note")
        if self.service.busy:
            self.window.statusBar().showMessage(text)  # until the answer replaces it
        elif self.service.result is None:
            self.window.statusBar().showMessage(text, 10000)

    def _show_error(self, text: str) -> None:
        text = note_text(text)
        self._disarm_on_result = False
        self.window.statusBar().showMessage(text, 10000)
        self.dock.show_message(text, "error")
        self.errorShown.emit(text)

    def _show_order(self, order: str) -> None:
        combo = self.dock.order_combo
        index = combo.findData(order)
        if index >= 0 and index != combo.currentIndex():
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

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
        if self.result is None or self.overlay.bounds is None:
            return
        xmin, ymin, xmax, ymax = self.overlay.bounds
        size = max(xmax - xmin, ymax - ymin, 120.0)
        self.canvas.set_map_range(xmin, ymin, xmax, ymax, padding=0.05)
        # Then room for what is drawn in pixels around the points: markers, ids, the north arrow in a corner.
        pad = 0.05 * size + _FIT_MARGIN_PX * self.canvas.metres_per_pixel()
        self.canvas.set_map_range(xmin - pad, ymin - pad, xmax + pad, ymax + pad)

    # -- the network changes -----------------------------------------------------------------------------------------
    def _on_map_data_change(self, *_args) -> None:
        """The canvas shows new map data (another network, an edit, a restyle): follow it."""
        network, result = self.network, self.result
        if network is not self.service.network:
            self._follow_network()  # another network: the service clears the isolation, with a note
        elif result is not None and self.overlay.shown and self.overlay.origin != self.canvas.origin:
            self.overlay.draw(network, result)

    def _on_network_shown(self) -> None:
        self.service.set_network(self.network)  # its segments are built now: the first click is then instant

    # -- the map's context menu --------------------------------------------------------------------------------------
    def _add_context_actions(self, menu: QMenu, hit: Hit | None, x: float, y: float) -> None:
        if self.network is None:
            return
        result = self.result
        if hit is None or hit.layer == "sensors":
            hit = pick_break(self.canvas, x, y)
        if hit is not None:
            act = menu.addAction(translate("IsolationDock", "Isolate here — {feature}").format(feature=hit.feature_id))
            act.triggered.connect(lambda *_, h=hit: self.isolate_hit(h, x, y))
            if result is not None:
                act = menu.addAction(translate("IsolationDock", "Add a break here (Shift+click)"))
                act.triggered.connect(lambda *_, h=hit: self.isolate_hit(h, x, y, add=True))
                steps = {s.feature_id for s in result.plan if s.action != "stop_source"}
                if hit.feature_id in steps:
                    act = menu.addAction(
                        translate("IsolationDock", "{valve} would not turn — plan again").format(valve=hit.feature_id)
                    )
                    act.triggered.connect(lambda *_, f=hit.feature_id: self.valve_failed(f))
        if result is not None:
            menu.addSeparator()
            menu.addAction(self.act_clear)

    # -- rows, exports -----------------------------------------------------------------------------------------------
    def zoom_to(self, feature_id: str) -> None:
        """Zoom to and select a feature of the result (a row of the dock was clicked)."""
        self.window.zoom_to_feature(feature_id)

    def export_plan(self, path: str | Path | None = None) -> Path | None:
        """Write the valve list as CSV (asks where when ``path`` is None); returns the path written."""
        return self._export("plan", path)

    def export_customers(self, path: str | Path | None = None) -> Path | None:
        """Write the customers without gas as CSV (asks where when ``path`` is None); returns the path written."""
        return self._export("customers", path)

    def _export(self, kind: str, path: str | Path | None) -> Path | None:
        suggested = self.service.default_export_path(kind)
        if suggested is None:
            return None
        if path is None:
            title = translate("IsolationDock", _EXPORT_TITLES[kind])
            chosen, _ = QFileDialog.getSaveFileName(self.window, title, str(suggested), "CSV (*.csv)")
            if not chosen:
                return None
            path = chosen if chosen.lower().endswith(".csv") else chosen + ".csv"
        written = self.service.export(kind, path)  # a failure arrives as an error signal
        if written is not None:
            self.window.statusBar().showMessage(translate("IsolationDock", "Saved {path}").format(path=written), 8000)
        return written

    # -- theme -------------------------------------------------------------------------------------------------------
    def _on_theme_maybe_change(self) -> None:
        name = self.window.theme.name
        if name != self._theme:
            self._apply_theme(name)

    def _apply_theme(self, name: str) -> None:
        self._theme = name
        self.overlay.set_theme(name)
        self.dock.set_theme(name)
