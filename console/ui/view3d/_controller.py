"""The 3D view feature: opens the view on the shown network and keeps it linked with the rest of the console.

* scene and crossings are prepared in jobs (:mod:`console.scene`, Qt-free) and drawn when they arrive;
* colour modes: the 2D map's named styles (pressure class, DN, material) and, once the simulation feature has a run
  of this network version, its pressure and velocity colourings (read from ``window.extensions["simulation"]``'s
  service, never changed); pressure contours of that run draped on the ground as bands;
* selection is shared with the 2D map both ways; "View in 3D here" on the map's right-click;
* the isolation feature's current result (break, valves to close in order, shut-off region, cut-off pipes) is
  drawn in the scene; right-clicking a valve in 3D offers "This valve failed";
* the open incident of the dispatch feature (the one its dock shows, else the latest open one) is drawn from
  :class:`~console.app.incidents.IncidentService`'s public API only: its plan's break, valves to close in order
  (closed, failed or still to close, from the incident's ledger steps), the shut-off region and the cut-off areas.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QVector3D
from PySide6.QtWidgets import QMenu

from console.network import Hit
from console.scene import band_index, build_scene, network_crossings
from console.ui.actions import ActionSpec
from console.ui.i18n import translate
from console.ui.map.styles import classify_pipes
from console.ui.view3d._symbols import SymbolItem
from console.ui.view3d._view import LegendEntry, _rgba, prepare_view
from console.ui.view3d._window import View3DWindow

__all__ = ["NAMED_MODES", "View3DController"]

NAMED_MODES = {
    "pressure_class": QT_TRANSLATE_NOOP("View3D", "Pressure class"),
    "diameter": QT_TRANSLATE_NOOP("View3D", "Diameter DN"),
    "material": QT_TRANSLATE_NOOP("View3D", "Material"),
}
SIM_MODES = {
    "sim:pressure": QT_TRANSLATE_NOOP("View3D", "Simulated pressure"),
    "sim:velocity": QT_TRANSLATE_NOOP("View3D", "Simulated velocity"),
}
ISOLATED_RGBA = (1.0, 0.2, 0.2, 1.0)
CUT_OFF_RGBA = (1.0, 0.6, 0.1, 1.0)
CLOSE_RGBA = (0.2, 1.0, 0.4, 1.0)
CROSSING_RGBA = ((0.2, 0.9, 1.0, 1.0), (1.0, 0.3, 1.0, 1.0))
# the open incident: shut-off region red, cut-off areas orange, valves to close by state
INCIDENT_VALVE_RGBA = {
    "to close": (0.2, 1.0, 0.4, 1.0),
    "closed": (0.85, 0.85, 0.9, 1.0),
    "failed": (1.0, 0.2, 0.9, 1.0),
}
BREAK_RGBA = (1.0, 0.15, 0.15, 1.0)
STATE_LABELS = {  # a valve's state in the incident, as labelled in the scene
    "to close": QT_TRANSLATE_NOOP("View3D", "to close"),
    "closed": QT_TRANSLATE_NOOP("View3D", "closed"),
    "failed": QT_TRANSLATE_NOOP("View3D", "failed"),
}


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


class SceneLabel(gl.GLTextItem):
    """A label in the scene that never covers another: drawn where a label drawn before it in the same frame already
    is (labels anchored close together, or close on screen from this camera), it moves up a line at a time until it
    is free. ``drawn_rect`` is where it was drawn last (widget px), for tests."""

    MAX_LINES_UP = 8

    drawn_rect: QRectF | None = None

    def paint(self) -> None:
        if not self.text:
            return
        view = self.view()
        project = self.compute_projection()
        # one placement record per frame, shared by the view's labels: a new camera or size, or a label painted a
        # second time (the same camera drawn again), starts the next frame
        key = (tuple(project.data()), view.width(), view.height())
        frame = getattr(view, "_scene_label_frame", None)
        if frame is None or frame["key"] != key or id(self) in frame["drawn"]:
            frame = {"key": key, "drawn": set(), "rects": []}
            view._scene_label_frame = frame
        frame["drawn"].add(id(self))
        anchor = project.map(QVector3D(*(float(c) for c in self.pos))).toPointF()
        bounds = QFontMetricsF(self.font).boundingRect(self.text)  # around the baseline's start at (0, 0)
        rect = bounds.translated(anchor)
        for _ in range(self.MAX_LINES_UP):
            if not any(rect.adjusted(-3, -1, 3, 1).intersects(other) for other in frame["rects"]):
                break
            rect.translate(0, -(rect.height() + 1))
        frame["rects"].append(QRectF(rect))
        self.drawn_rect = QRectF(rect)
        self.setupGLState()
        painter = QPainter(view)
        painter.setPen(self.color)
        painter.setFont(self.font)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        painter.drawText(QPointF(anchor.x(), rect.top() - bounds.top()), self.text)
        painter.end()


def _label(pos, text: str, color=(1.0, 1.0, 1.0, 1.0)) -> gl.GLTextItem:
    font = QFont()
    font.setPointSize(11)
    font.setBold(True)
    return SceneLabel(pos=np.asarray(pos, dtype=float), text=text, color=tuple(int(c * 255) for c in color), font=font)


class View3DController(QObject):
    """Installed into the main window as the ``view3d`` feature."""

    sceneReady = Signal()
    crossingsReady = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.view_window: View3DWindow | None = None
        self.scene = None
        self.crossings = None
        self._scene_version: tuple[int, int] | None = None  # (id of the network, version) drawn
        self._mode = "pressure_class"
        self._pending_fly: tuple[float, float] | None = None
        self.act_open = window.actions.declare(
            ActionSpec(
                "view.3d",
                QT_TRANSLATE_NOOP("Actions", "3D view"),
                self.open,
                "Ctrl+3",
                QT_TRANSLATE_NOOP("Actions", "Pipes at their burial depth, the ground, buildings and crossings in 3D"),
                menu="View",
                section="3d",
                enabled=lambda: window.network is not None,
            )
        )
        window.add_context_provider(self._context_menu)
        window.canvas.featureIdentified.connect(self._on_2d_identified)
        window.networkShown.connect(self._on_network_shown)
        self._linked = False
        self.incident_drawn: dict | None = None  # what _draw_incident drew (incident id, valve states, break)

    # -- opening -------------------------------------------------------------------------------------------------
    @property
    def view(self):
        return self.view_window.view if self.view_window is not None else None

    def open(self, *_args) -> View3DWindow | None:
        """Show the 3D window on the current network (building its scene in the background when needed)."""
        network = self.window.network
        if network is None:
            return None
        if self.view_window is None:
            self.view_window = View3DWindow(self.window)
            v = self.view_window.view
            v.colourModeChanged.connect(self.set_colour_mode)
            v.featurePicked.connect(self._on_3d_picked)
            v.featureMenu.connect(self._on_3d_menu)
            v.contoursToggled.connect(self._on_contours_toggled)
            self.view_window.crossings_dock.crossingChosen.connect(self.fly_to_crossing)
            self._link_services()
        self.view_window.show()
        self.view_window.raise_()
        if self._scene_version != (id(network), network.version):
            self._build(network)
        return self.view_window

    def _build(self, network) -> None:
        self._scene_version = (id(network), network.version)
        self.window.statusBar().showMessage(translate("View3D", "Preparing the 3D scene…"))
        snapshot = network.snapshot()

        def build(feedback=None):
            scene = build_scene(snapshot)  # Qt-free, in a worker: the UI stays live while a big network is prepared
            return scene, prepare_view(scene)

        self.window.jobs.submit("view3d.scene", build, on_done=lambda done: self._on_scene(snapshot, *done))

    def _on_scene(self, snapshot, scene, prepared=None) -> None:
        if self.view_window is None:
            return
        network = self.window.network
        if network is not None and self._scene_version == (id(network), snapshot.version):
            network.adopt(network.TOPOLOGY_KEY, snapshot.topology, snapshot.version)  # shared with every analysis
        self.scene = scene
        self._snapshot = snapshot
        self.view.set_scene(scene, prepared)
        self._refresh_modes()
        self.set_colour_mode(self._mode)
        self._draw_isolation()
        self._draw_incident()
        self.window.statusBar().showMessage(
            translate("View3D", "3D scene: {pipes} pipes, {buildings} buildings").format(
                pipes=f"{len(scene.pipe_ids):,}", buildings=f"{len(scene.buildings):,}"
            ),
            5000,
        )
        if self._pending_fly is not None:
            self.look_at(*self._pending_fly)
            self._pending_fly = None
        self.sceneReady.emit()

        def crossings(feedback=None):
            return network_crossings(snapshot, scene)

        self.window.jobs.submit("view3d.crossings", crossings, on_done=self._on_crossings)

    def _on_crossings(self, crossings) -> None:
        self.crossings = crossings
        if self.view_window is not None:
            self.view_window.crossings_dock.set_crossings(crossings)
        self.crossingsReady.emit()

    def _on_network_shown(self) -> None:
        if self.view_window is not None and self.view_window.isVisible():
            self.open()

    # -- colour ----------------------------------------------------------------------------------------------------
    def _sim_run(self):
        """The simulation feature's current run when it was solved on the network version drawn (read-only)."""
        sim = self.window.extensions.get("simulation") if isinstance(self.window.extensions, dict) else None
        run = getattr(getattr(sim, "service", None), "run", None)
        network = self.window.network
        if run is None or network is None or run.source is not network or run.version != network.version:
            return None
        return run

    def _refresh_modes(self) -> None:
        modes = list(NAMED_MODES.items())
        run = self._sim_run()
        if run is not None and run.styles:
            modes += list(SIM_MODES.items())
        if self._mode not in dict(modes):
            self._mode = "pressure_class"
        self.view.set_colour_modes(modes, self._mode)

    def set_colour_mode(self, mode: str) -> None:
        """Colour the pipes by ``mode`` (a key of NAMED_MODES, or sim:pressure / sim:velocity)."""
        self._mode = mode or "pressure_class"
        if self.view is None or self.scene is None:
            return
        classification = None
        if self._mode.startswith("sim:"):
            run = self._sim_run()
            if run is not None and self._mode[4:] in run.styles:
                classification = run.styles[self._mode[4:]][0]
        if classification is None:
            if self._mode.startswith("sim:"):
                self._mode = "pressure_class"
            classification = classify_pipes(self._snapshot["pipes"], self._mode)
        colours = np.array([_rgba(c.color("dark")) for c in classification.classes], dtype=np.float32)
        rgba = colours[np.asarray(classification.codes, dtype=np.int64)]
        counts = np.bincount(np.asarray(classification.codes, dtype=np.int64), minlength=len(classification.classes))
        legend = [
            LegendEntry(c.label, c.color("dark")) for c, n in zip(classification.classes, counts, strict=True) if n
        ]
        self.view.set_pipe_colors(rgba, legend, classification.title)
        index = self.view.colour_mode.findData(self._mode)
        if index >= 0 and index != self.view.colour_mode.currentIndex():
            self.view.colour_mode.blockSignals(True)
            self.view.colour_mode.setCurrentIndex(index)
            self.view.colour_mode.blockSignals(False)

    @property
    def colour_mode(self) -> str:
        return self._mode

    # -- contours on the ground ----------------------------------------------------------------------------------
    def _on_contours_toggled(self, on: bool) -> None:
        if not on or self.scene is None:
            self.view.set_ground_bands(None)
            return
        run = self._sim_run()
        if run is None:
            self.window.statusBar().showMessage(
                translate("View3D", "Contours need a simulation of this network: Analysis › Simulate"), 8000
            )
            self.view.show_contours.setChecked(False)
            return
        x, y = self.view.ground_vertices_xy()

        def drape(feedback=None):
            from console.hydraulics import pressure_contours
            from console.ui.simulation._colours import pressure_ramp

            contours = pressure_contours(run.network, run.result, n_levels=10)
            rgb = np.tile(np.array([[0.42, 0.47, 0.40]], np.float32), (len(x), 1))
            done = np.zeros(len(x), dtype=bool)
            # the lowest pressure class first: the distribution areas a planner reads, mains fill what is left
            for cset in sorted(contours.sets, key=lambda s: s.levels_pa.max() if len(s.levels_pa) else 0):
                k = band_index(x, y, cset.bands)
                ramp = np.array([_rgba(c)[:3] for c in pressure_ramp(max(len(cset.bands), 1), "dark")], np.float32)
                new = (k >= 0) & ~done
                rgb[new] = ramp[k[new]]
                done |= new
            return rgb

        self.window.jobs.submit("view3d.contours", drape, on_done=self.view.set_ground_bands)

    # -- linking with 2D -----------------------------------------------------------------------------------------
    def _on_2d_identified(self, hit: Hit | None) -> None:
        if self.view is not None and self.scene is not None:
            self.view.select(hit.feature_id if hit is not None else None)

    def _on_3d_picked(self, layer: str, feature_id: str) -> None:
        network = self.window.network
        if network is None:
            return
        try:
            layer, row = network.locate(feature_id)
        except Exception:
            return
        hit = Hit(layer, row, feature_id, 0.0)
        self.window.canvas.select(hit)
        self.window.canvas.featureIdentified.emit(hit)  # the attributes dock and every feature follow, as on a 2D click

    def _context_menu(self, menu: QMenu, hit, x: float, y: float) -> None:
        act = menu.addAction(translate("View3D", "View in 3D here"))
        act.triggered.connect(lambda: self.view_here(x, y, hit.feature_id if hit is not None else None))

    def view_here(self, x: float, y: float, feature_id: str | None = None) -> None:
        """Open the 3D view looking at map point (x, y) (and select ``feature_id``)."""
        self.open()
        if self.scene is None or self._scene_version != (id(self.window.network), self.window.network.version):
            self._pending_fly = (x, y)
        else:
            self.look_at(x, y)
        if feature_id and self.scene is not None:
            self.view.select(feature_id)

    def look_at(self, x: float, y: float, distance: float = 120.0, elevation: float = 30.0) -> None:
        """Point the camera at map point (x, y) on the ground from ``distance`` m."""
        lx, ly = self.scene.local(x, y)
        z = float(self.scene.ground.height_at(np.array([x]), np.array([y]))[0])
        self.view.fly_to((float(lx), float(ly), z), distance, elevation, animate=False)

    def _on_3d_menu(self, layer: str, feature_id: str, global_pos) -> None:
        menu = QMenu(self.view)
        iso = self.window.extensions.get("isolation") if isinstance(self.window.extensions, dict) else None
        if layer == "valves" and iso is not None and iso.service.result is not None:
            menu.addAction(translate("View3D", "This valve failed"), lambda: iso.valve_failed(feature_id))
        if iso is not None and layer == "pipes":
            from console.isolation import Break

            menu.addAction(translate("View3D", "Isolate here"), lambda: iso.service.run(Break(feature_id, 0.5)))
        menu.addAction(translate("View3D", "Show on the map"), lambda: self.window.zoom_to_feature(feature_id))
        self.context_menu = menu
        menu.popup(global_pos)

    # -- isolation -------------------------------------------------------------------------------------------------
    def _link_services(self) -> None:
        if self._linked or not isinstance(self.window.extensions, dict):
            return
        iso = self.window.extensions.get("isolation")
        if iso is not None:
            iso.service.result_changed.connect(lambda _r: QTimer.singleShot(0, self._draw_isolation))
        sim = self.window.extensions.get("simulation")
        if sim is not None:
            sim.service.run_changed.connect(lambda _r: QTimer.singleShot(0, self._on_run_change))
        dispatch = self.window.extensions.get("dispatch")
        if dispatch is not None and hasattr(dispatch, "incidentShown"):
            # the dock shows an incident, or was refilled after a step: redraw it from the service
            dispatch.incidentShown.connect(lambda _iid: QTimer.singleShot(0, self._draw_incident))
        self._linked = True

    def _on_run_change(self) -> None:
        if self.view is not None and self.scene is not None:
            self._refresh_modes()
            self.set_colour_mode(self._mode)

    def _draw_isolation(self) -> None:
        if self.view is None or self.scene is None:
            return
        iso = self.window.extensions.get("isolation") if isinstance(self.window.extensions, dict) else None
        result = iso.service.result if iso is not None else None
        if result is None:
            self.view.set_overlay("isolation", [])
            return
        scene = self.scene
        items = []
        for pipe_ids, rgba in ((result.cut_off_pipe_ids, CUT_OFF_RGBA), (result.isolated_pipe_ids, ISOLATED_RGBA)):
            rows = np.flatnonzero(np.isin(scene.pipe_ids, np.asarray(pipe_ids, dtype=object)))
            if len(rows):
                items.append(
                    gl.GLLinePlotItem(
                        pos=scene.pipe_segments(rows), mode="lines", width=4.0, color=rgba, glOptions="opaque"
                    )
                )
        ids, xyz = scene.symbols.get("valves", (np.zeros(0, dtype=object), np.zeros((0, 3))))
        order = list(result.valves_to_close)
        where = {v: i for i, v in enumerate(ids)}
        pts = [xyz[where[v]] for v in order if v in where]
        if pts:
            s = gl.GLScatterPlotItem(pos=np.array(pts), color=CLOSE_RGBA, size=16.0, pxMode=True)
            s.setGLOptions("opaque")
            items.append(s)
            close = translate("View3D", "{n}. close {valve}")
            for n, (v, p) in enumerate(((v, xyz[where[v]]) for v in order if v in where), start=1):
                items.append(_label(p + [0, 0, 3.0], close.format(n=n, valve=v), CLOSE_RGBA))
        for fid, bx, by in result.break_points:
            lx, ly = scene.local(bx, by)
            z = float(scene.ground.height_at(np.array([bx]), np.array([by]))[0])
            s = gl.GLScatterPlotItem(pos=np.array([[lx, ly, z - 1.0]]), color=ISOLATED_RGBA, size=24.0, pxMode=True)
            s.setGLOptions("opaque")
            text = translate("View3D", "break {feature}").format(feature=fid)
            items += [s, _label((lx, ly, z + 6.0), text, ISOLATED_RGBA)]
        self.view.set_overlay("isolation", items)

    # -- the open incident (dispatch) ------------------------------------------------------------------------------
    def incident_shown(self):
        """(service, incident) drawn in 3D: the incident the dispatch dock shows when open, else the latest open
        incident; None without the dispatch feature, an unlocked ledger or an open incident with a plan."""
        dispatch = self.window.extensions.get("dispatch") if isinstance(self.window.extensions, dict) else None
        service = getattr(dispatch, "service", None) if dispatch is not None else None
        if service is None:
            return None
        try:
            open_now = [i for i in service.open_incidents() if i.plan is not None]
        except Exception:  # a ledger that cannot be read is the dispatch feature's to report
            return None
        current = getattr(dispatch, "current", None)
        chosen = next((i for i in open_now if i.incident_id == current), open_now[-1] if open_now else None)
        return (service, chosen) if chosen is not None else None

    def _draw_incident(self) -> None:
        if self.view is None or self.scene is None:
            return
        shown = self.incident_shown()
        if shown is None:
            self.view.set_overlay("incident", [])
            self.view.set_overlay_legend("incident", [])
            self.incident_drawn = None
            return
        service, inc = shown
        result = service.plan_result(inc)
        scene = self.scene
        items = []
        for pipe_ids, rgba in ((result.cut_off_pipe_ids, CUT_OFF_RGBA), (result.isolated_pipe_ids, ISOLATED_RGBA)):
            rows = np.flatnonzero(np.isin(scene.pipe_ids, np.asarray(pipe_ids, dtype=object)))
            if len(rows):
                items.append(
                    gl.GLLinePlotItem(
                        pos=scene.pipe_segments(rows), mode="lines", width=5.0, color=rgba, glOptions="opaque"
                    )
                )
        ids, xyz = scene.symbols.get("valves", (np.zeros(0, dtype=object), np.zeros((0, 3))))
        where = {v: i for i, v in enumerate(ids)}
        failed, closed = set(inc.failed_valves), set(inc.still_closed)
        steps = [s for s in result.plan if s.layer == "valves" and s.feature_id in where]
        labels: list[list] = []  # [position, texts, colour]: valves within 20 m share one label (one node's valves)

        def label(p, text, rgba) -> None:
            for entry in labels:
                if np.hypot(*(entry[0] - p)[:2]) < 20.0:
                    entry[1].append(text)
                    return
            labels.append([p, [text], rgba])

        states = {}
        for n, step in enumerate(steps, start=1):
            state = "failed" if step.feature_id in failed else "closed" if step.feature_id in closed else "to close"
            states[step.feature_id] = state
            p = xyz[where[step.feature_id]]
            rgba = INCIDENT_VALVE_RGBA[state]
            items.append(SymbolItem("bowtie", pos=p[None, :], color=rgba, size=20.0, pxMode=True))
            label(p, f"{n}. {translate('View3D', STATE_LABELS[state])} {step.feature_id}", rgba)
        for fid in failed - set(states):  # a failed valve the new plan works around
            if fid in where:
                p = xyz[where[fid]]
                items.append(SymbolItem("bowtie", pos=p[None, :], color=INCIDENT_VALVE_RGBA["failed"], size=20.0))
                label(p, translate("View3D", "failed {valve}").format(valve=fid), INCIDENT_VALVE_RGBA["failed"])
        valve_labels = [_label(p + [0, 0, 4.0], " · ".join(texts), rgba) for p, texts, rgba in labels]
        for fid, bx, by in result.break_points:
            lx, ly = scene.local(bx, by)
            z = float(scene.ground.height_at(np.array([bx]), np.array([by]))[0])
            items.append(SymbolItem("diamond", pos=np.array([[lx, ly, z - 1.0]]), color=BREAK_RGBA, size=26.0))
            text = translate("View3D", "{incident} {kind} at {feature}")
            items.append(
                _label((lx, ly, z + 8.0), text.format(incident=inc.incident_id, kind=inc.kind, feature=fid), BREAK_RGBA)
            )
        self.view.set_overlay("incident", items + valve_labels)
        self.view.set_overlay_legend(
            "incident",
            [
                LegendEntry(
                    translate("View3D", "{incident} break").format(incident=inc.incident_id),
                    _hex(BREAK_RGBA),
                    "diamond",
                ),
                *(
                    LegendEntry(
                        translate("View3D", "valve {state}").format(state=translate("View3D", STATE_LABELS[s])),
                        _hex(INCIDENT_VALVE_RGBA[s]),
                        "bowtie",
                    )
                    for s in INCIDENT_VALVE_RGBA
                ),
                LegendEntry(translate("View3D", "shut-off region"), _hex(ISOLATED_RGBA), "line"),
                LegendEntry(translate("View3D", "cut-off area"), _hex(CUT_OFF_RGBA), "line"),
            ],
        )
        points = [xyz[where[s.feature_id]] for s in steps]
        for _fid, bx, by in result.break_points:
            lx, ly = scene.local(bx, by)
            points.append(np.array([lx, ly, scene.ground.height_at(np.array([bx]), np.array([by]))[0]]))
        self.incident_drawn = {
            "incident_id": inc.incident_id,
            "valves": states,
            "break": result.break_points,
            "points": np.array(points, dtype=float).reshape(-1, 3),  # scene coordinates of the break and valves
        }

    def look_at_incident(self, elevation: float = 50.0) -> bool:
        """Frame the drawn incident: its break and every valve to close in view (False when none is drawn)."""
        drawn = self.incident_drawn
        if not drawn or not len(drawn["points"]):
            return False
        pts = drawn["points"]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        centre = 0.5 * (lo + hi)
        distance = max(150.0, 1.4 * float(np.hypot(*(hi - lo)[:2])))
        self.view.fly_to(tuple(centre), distance, elevation, animate=False)
        return True

    # -- crossings ---------------------------------------------------------------------------------------------------
    def fly_to_crossing(self, k: int, animate: bool = True) -> None:
        """Fly the camera to crossing ``k`` (a row of :attr:`crossings`) with both pipes highlighted and labelled."""
        c, scene = self.crossings, self.scene
        if c is None or scene is None or self.view is None:
            return
        lx, ly = scene.local(c.x[k], c.y[k])
        items = []
        # labels above the upper pipe and below the lower one, so they never overlap
        for row, pid, z, cover, rgba in (
            (c.pipe_a[k], c.id_a[k], c.z_a[k] + 1.2, c.cover_a[k], CROSSING_RGBA[0]),
            (c.pipe_b[k], c.id_b[k], c.z_b[k] - 1.2, c.cover_b[k], CROSSING_RGBA[1]),
        ):
            items.append(
                gl.GLLinePlotItem(
                    pos=scene.pipe_segments([row]), mode="lines", width=6.0, color=rgba, glOptions="opaque"
                )
            )
            dn = scene.outer_diameter_m[row] * 1000
            text = translate("View3D", "{pipe}  cover {cover} m  Ø{diameter}")
            items.append(_label((lx, ly, z), text.format(pipe=pid, cover=f"{cover:.2f}", diameter=f"{dn:.0f}"), rgba))
        colour = (1.0, 0.35, 0.35, 1.0) if c.below_minimum[k] else (0.8, 0.8, 0.8, 1.0)
        items.append(
            _label(
                (lx, ly, c.ground_z[k] + 2.0),
                translate("View3D", "clear {clearance} m (min {minimum})").format(
                    clearance=f"{c.clearance_m[k]:.2f}", minimum=f"{c.required_m:.2f}"
                ),
                colour,
            )
        )
        self.view.set_overlay("crossing", items)
        self.view.fly_to((float(lx), float(ly), float(c.ground_z[k]) - 1.0), 18.0, -12.0, animate=animate)
