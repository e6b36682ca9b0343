"""Edit tools on the map: draw a pipe, insert a device, move a feature, reshape, delete — with snapping.

One event filter on the canvas viewport turns mouse input into domain edits (:mod:`console.network`). While a tool
is active, every mouse move snaps the cursor (nodes, then pipe vertices, then pipes, within ``snap_px`` pixels,
looked up in the network's grid index) and a marker shows what it snapped to: a square on a node, a diamond on a
vertex, a cross on a pipe. A drag that starts on nothing still pans the map.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, QPointF, Qt

from console.network import (
    NODE_LAYERS,
    AddPipe,
    EditCommand,
    InsertDevice,
    MoveFeature,
    ReshapePipe,
    SnapTarget,
    snap,
)
from console.ui.i18n import translate

__all__ = ["EDIT_TOOLS", "SNAP_STYLE", "EditTool"]

# The tools' tips (English, marked; the action registry and the status bar show them translated, context "Actions").
EDIT_TOOLS = {
    "add_pipe": QT_TRANSLATE_NOOP(
        "Actions", "Draw a pipe: click vertices, double-click or Enter to finish, Esc to cancel"
    ),
    "valves": QT_TRANSLATE_NOOP("Actions", "Insert a valve on a pipe"),
    "regulators": QT_TRANSLATE_NOOP("Actions", "Insert a regulator on a pipe (inlet on the drawn side)"),
    "end_caps": QT_TRANSLATE_NOOP("Actions", "Cut a pipe and cap both ends"),
    "sensors": QT_TRANSLATE_NOOP("Actions", "Put a pressure sensor on a pipe"),
    "move": QT_TRANSLATE_NOOP("Actions", "Drag a node, valve or regulator; the pipe ends follow"),
    "reshape": QT_TRANSLATE_NOOP("Actions", "Drag a pipe's vertex, or click a pipe to add one there"),
    "select": QT_TRANSLATE_NOOP(
        "Actions",
        "Drag a box around pipes and devices (click one to add or drop it); Del deletes them with their dependants",
    ),
}
#: Layers a box selects (wholly inside the box): links, and the point features that are not mere ends of links.
SELECTABLE = ("pipes", "valves", "regulators", "links", "end_caps", "sensors", "customers", "risers")
SELECTION_COLOR = "#ff5f1f"
#: snap kind → (symbol, colour, size px)
SNAP_STYLE = {"node": ("s", "#ff3df2", 16), "vertex": ("d", "#29e0ff", 14), "pipe": ("x", "#ffd400", 16)}
_CLICK_SLOP_PX = 4.0
Z_EDIT = 80.0


class EditTool(QObject):
    """The active edit tool of one canvas; ``push(edit)`` receives each finished edit (the controller's undo stack).

    ``attrs()`` gives the attributes set before drawing (pressure class, DN, material).
    """

    def __init__(
        self, canvas, push: Callable[[EditCommand], None], attrs: Callable[[], dict], snap_px: Callable[[], float]
    ) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._push = push
        self._attrs = attrs
        self._snap_px = snap_px
        self.mode: str | None = None
        self.target: SnapTarget | None = None
        self.vertices: list[tuple[float, float]] = []
        self._press: QPointF | None = None
        self._drag: tuple[str, object] | None = None  # ("feature", id) or ("vertex", (pipe_id, index))
        self.selection: list[str] = []  # ids chosen with the select tool (box or click)
        self._box: tuple[float, float] | None = None  # map point where a box drag started
        self.marker = pg.ScatterPlotItem(pxMode=True)
        self.chosen_lines = pg.PlotCurveItem(pen=pg.mkPen(SELECTION_COLOR, width=5), connect="finite")
        self.chosen_points = pg.ScatterPlotItem(pxMode=True)
        canvas.add_overlay(self.chosen_lines, Z_EDIT - 1)
        canvas.add_overlay(self.chosen_points, Z_EDIT - 1)
        self.band = pg.PlotCurveItem(pen=pg.mkPen("#ffd400", width=2, style=Qt.PenStyle.DashLine))
        canvas.add_overlay(self.band, Z_EDIT)
        canvas.add_overlay(self.marker, Z_EDIT + 1)
        self.last_error = ""
        self.on_error: Callable[[str], None] = lambda text: None
        canvas.viewport().installEventFilter(self)
        canvas.viewport().setMouseTracking(True)

    # -- state ------------------------------------------------------------------------------------------------------
    def set_mode(self, mode: str | None) -> None:
        self.mode = mode
        self.vertices = []
        self._drag = None
        self._box = None
        if mode != "select":
            self.set_selection([])
        self._draw()
        if mode is not None:
            self.canvas.set_tool("pan")
            self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)

    def snap_at(self, x: float, y: float) -> SnapTarget:
        network = self.canvas.network
        tolerance = self._snap_px() * self.canvas.metres_per_pixel()
        pipes_too = self.mode != "move"
        self.target = snap(network, x, y, tolerance, pipes=pipes_too)
        return self.target

    def _draw(self) -> None:
        t = self.target
        if self.mode is None or t is None or t.kind == "none":
            self.marker.setData([], [])
        else:
            symbol, color, size = SNAP_STYLE[t.kind]
            lx, ly = self.canvas.to_local(t.x, t.y)
            self.marker.setData([float(lx)], [float(ly)], symbol=symbol, size=size,
                                pen=pg.mkPen(color, width=2.5), brush=pg.mkBrush(0, 0, 0, 0))  # fmt: skip
        if self.mode == "select" and self._box is not None and t is not None:
            (x0, y0), (x1, y1) = self._box, (t.x, t.y)
            lx, ly = self.canvas.to_local(np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0]))
            self.band.setData(lx, ly)
        elif self.mode == "add_pipe" and self.vertices:
            pts = np.asarray(self.vertices + ([(t.x, t.y)] if t is not None else []), dtype=float)
            lx, ly = self.canvas.to_local(pts[:, 0], pts[:, 1])
            self.band.setData(lx, ly)
        else:
            self.band.setData([], [])

    # -- input --------------------------------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if self.mode is None or self.canvas.network is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            x, y = self.canvas.widget_to_map(event.position())
            if self._drag is not None:
                self._drag_to(x, y)
                return True
            if self._box is not None:
                self.target = SnapTarget("none", x, y)
                self._draw()
                return True
            self.snap_at(x, y)
            self._draw()
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            x, y = self.canvas.widget_to_map(event.position())
            t = self.snap_at(x, y)
            if self.mode == "move":
                feature = self.movable_at(x, y)
                if feature is not None:
                    self._drag = ("feature", feature)
                    return True
            if self.mode == "reshape" and t.kind == "vertex":
                self._drag = ("vertex", self._vertex_of(t))
                return True
            if self.mode == "select":
                self._box = (x, y)
                return True
            return False
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            press, self._press = self._press, None
            if self._drag is not None:
                self._drag = None
                self.dragFinished()
                return True
            if self._box is not None:
                start, self._box = self._box, None
                x, y = self.canvas.widget_to_map(event.position())
                d = event.position() - press if press is not None else QPointF()
                if abs(d.x()) + abs(d.y()) > _CLICK_SLOP_PX:
                    self.select_box((min(start[0], x), min(start[1], y), max(start[0], x), max(start[1], y)))
                else:
                    self.click(x, y)
                self._draw()
                return True
            if press is not None:
                d = event.position() - press
                if abs(d.x()) + abs(d.y()) <= _CLICK_SLOP_PX:
                    x, y = self.canvas.widget_to_map(event.position())
                    self.click(x, y)
                    return True
            return False
        if kind == QEvent.Type.MouseButtonDblClick and self.mode == "add_pipe":
            self.finish()
            return True
        if kind == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.mode == "add_pipe":
                self.finish()
                return True
            if event.key() == Qt.Key.Key_Escape and self.vertices:
                self.vertices = []
                self._draw()
                return True
        return False

    def dragFinished(self) -> None:  # the controller hooks this to close the merge of a drag
        pass

    def movable_at(self, x: float, y: float) -> str | None:
        """The valve, regulator or node under (x, y) (devices first: they sit on their two nodes)."""
        tolerance = self._snap_px() * self.canvas.metres_per_pixel()
        hit = self.canvas.network.spatial.nearest(x, y, tolerance, layers=("valves", "regulators", *NODE_LAYERS))
        return hit.feature_id if hit is not None else None

    def _vertex_of(self, t: SnapTarget) -> tuple[str, int]:
        line = self.canvas.network.feature(t.feature_id)["geometry"]
        coords = np.asarray(line.coords)
        k = int(np.argmin(np.hypot(coords[:, 0] - t.x, coords[:, 1] - t.y)))
        return (t.feature_id, k)

    def _drag_to(self, x: float, y: float) -> None:
        what, ref = self._drag
        network = self.canvas.network
        try:
            if what == "feature":
                self._push(MoveFeature(network, ref, x, y))
            else:
                pipe_id, k = ref
                coords = np.asarray(network.feature(pipe_id)["geometry"].coords)
                if 0 < k < len(coords) - 1:
                    coords[k] = (x, y)
                    self._push(ReshapePipe(network, pipe_id, coords))
        except Exception as exc:
            self._error(exc)
        self.target = SnapTarget("node" if what == "feature" else "vertex", x, y)
        self._draw()

    def click(self, x: float, y: float) -> None:
        """A click at map (x, y) with the active tool (also what the tests call)."""
        t = self.snap_at(x, y)
        network = self.canvas.network
        try:
            if self.mode == "add_pipe":
                self.vertices.append((t.x, t.y))
            elif self.mode in ("valves", "regulators", "end_caps", "sensors"):
                if t.kind not in ("pipe", "vertex"):
                    raise ValueError(translate("EditTool", "click on a pipe to put it there"))
                self._push(InsertDevice(network, t.feature_id, shapely.Point(t.x, t.y), self.mode))
            elif self.mode == "select":
                fid = self.selectable_at(x, y)
                if fid is not None:
                    self.set_selection(
                        [i for i in self.selection if i != fid] + ([] if fid in self.selection else [fid])
                    )
            elif self.mode == "reshape" and t.kind == "pipe":
                line = network.feature(t.feature_id)["geometry"]
                coords = np.asarray(line.coords)
                at = line.project(shapely.Point(t.x, t.y))
                dist = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
                k = int(np.searchsorted(dist, at))
                self._push(ReshapePipe(network, t.feature_id, np.insert(coords, k, (t.x, t.y), axis=0)))
        except Exception as exc:
            self._error(exc)
        self._draw()

    # -- selection ----------------------------------------------------------------------------------------------------
    def select_box(self, box: tuple[float, float, float, float], *, add: bool = False) -> list[str]:
        """Select the links and point features wholly inside ``box`` (map units: xmin, ymin, xmax, ymax); looked up
        in the grid index, so a box costs the features near it."""
        network = self.canvas.network
        region = shapely.box(*box)
        found: list[str] = []
        for layer in SELECTABLE:
            frame = network[layer]
            if not len(frame):
                continue
            rows = network.spatial.query_box(layer, box)
            if not len(rows):
                continue
            geoms = np.asarray(frame.geometry.array[rows], dtype=object)
            inside = rows[shapely.covered_by(geoms, region)]
            found += frame["id"].iloc[inside].astype(str).tolist()
        self.set_selection((self.selection if add else []) + [f for f in found if not add or f not in self.selection])
        return self.selection

    def selectable_at(self, x: float, y: float) -> str | None:
        tolerance = self._snap_px() * self.canvas.metres_per_pixel()
        hit = self.canvas.network.spatial.nearest(x, y, tolerance, layers=SELECTABLE)
        return hit.feature_id if hit is not None else None

    def set_selection(self, ids: list[str]) -> None:
        """Choose ``ids`` (drawn in the selection colour) and say how many in the status bar."""
        self.selection = list(dict.fromkeys(ids))
        network = self.canvas.network
        lines, points = [], []
        for fid in self.selection if network is not None else []:
            try:
                g = network.feature(fid)["geometry"]
            except KeyError:
                continue
            (lines if g.geom_type == "LineString" else points).append(g)
        if lines:
            parts = [np.vstack([shapely.get_coordinates(g), [np.nan, np.nan]]) for g in lines]
            xy = np.vstack(parts)
            lx, ly = self.canvas.to_local(xy[:, 0], xy[:, 1])
            self.chosen_lines.setData(np.asarray(lx, float), np.asarray(ly, float))
        else:
            self.chosen_lines.setData([], [])
        if points:
            xy = shapely.get_coordinates(np.asarray(points, dtype=object))
            lx, ly = self.canvas.to_local(xy[:, 0], xy[:, 1])
            self.chosen_points.setData(np.asarray(lx, float), np.asarray(ly, float), symbol="o", size=14,
                                       pen=pg.mkPen(SELECTION_COLOR, width=3), brush=pg.mkBrush(0, 0, 0, 0))  # fmt: skip
        else:
            self.chosen_points.setData([], [])
        self.selectionChanged(self.selection)

    def selectionChanged(self, ids: list[str]) -> None:  # the controller hooks this (status bar, delete action)
        pass

    def finish(self) -> None:
        """Finish the pipe being drawn (needs two vertices)."""
        vertices, self.vertices = self.vertices, []
        if len(vertices) >= 2:
            tolerance = max(self._snap_px() * self.canvas.metres_per_pixel() * 0.05, 0.01)
            try:
                self._push(AddPipe(self.canvas.network, vertices, self._attrs(), tolerance=tolerance))
            except Exception as exc:
                self._error(exc)
        self._draw()

    def _error(self, exc: Exception) -> None:
        self.last_error = str(exc)
        self.on_error(self.last_error)
