"""The 2D map canvas: a pyqtgraph view (no axes, 1:1 aspect, y up) with GIS navigation, identify and overlays.

Coordinates
    Public methods and signals speak *map* coordinates (the network's CRS, metres). Items live in *local*
    coordinates, map minus ``origin`` (a round point near the network's lower-left corner), because
    Gauss-Krüger eastings with a zone prefix (41,400,000 m) would eat the float precision deep zoom needs.

Tools
    ``pan`` (drag pans), ``zoom_box`` (drag a rubber band, click zooms in), ``identify`` (click picks the nearest
    feature through ``network.spatial.nearest`` within ~6 screen pixels; drag pans). The wheel zooms about the
    cursor with every tool. Picking never hit-tests graphics items.

Level of detail
    See :mod:`console.ui.map.layers`. The canvas re-evaluates it on a debounced ``viewChanged`` (60 ms after the
    view stopped moving) and emits ``settled`` once the items match the view (vectors set, or this view's raster
    arrived).

Measuring repaint (benchmarks)
    Wait until the map is settled, then time a synchronous repaint of the viewport::

        qtbot.waitUntil(canvas.is_settled)          # or: while not canvas.is_settled(): app.processEvents()
        t0 = time.perf_counter(); canvas.viewport().repaint(); ms = (time.perf_counter() - t0) * 1e3

    ``canvas.grab()`` (a QPixmap of the whole widget, overlays included) costs about the same plus a copy.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from console.app.jobs import JobRunner
from console.errors import UnknownFeatureError
from console.network import PICK_ORDER, GasNetwork, Hit
from console.ui.i18n import translate
from console.ui.map._items import SelectionItem
from console.ui.map._symbols import POINT_STYLES
from console.ui.map.layers import MapData, PipeLayer, PointLayer, ViewState, prepare_map_data
from console.ui.map.links import LinksLayer
from console.ui.map.styles import PIPE_STYLES, PipeClassification, classify_pipes, classify_values
from console.ui.theme import DARK, Theme

__all__ = ["MapCanvas", "PICK_ORDER"]

IDENTIFY_TOLERANCE_PX = 6.0
_DEBOUNCE_MS = 60
_ASYNC_STYLE_MIN_PIPES = 200_000  # classify bigger networks in a worker
_MIN_VIEW_M = 5.0


class _MapViewBox(pg.ViewBox):
    """A ViewBox that reports plain left clicks (in local coordinates) instead of opening a menu."""

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(lockAspect=1.0, enableMenu=False, invertY=False, defaultPadding=0.0)
        self._canvas = canvas

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._canvas._on_click(self.mapSceneToView(ev.scenePos()))
        elif ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            self._canvas._on_context(self.mapSceneToView(ev.scenePos()), ev.screenPos().toPoint())
        else:
            ev.ignore()


class MapCanvas(pg.GraphicsView):
    """The map: pipes and point layers of one network, navigation tools, identify, selection, scale bar, north arrow.

    Signals
    -------
    featureIdentified(object)
        A :class:`console.network.Hit` from a click or search (``None`` when a click hit nothing).
    cursorMoved(float, float)
        The map coordinates under the mouse.
    viewChanged(object)
        The visible box (xmin, ymin, xmax, ymax) in map coordinates, on every change.
    settled()
        The drawn level of detail matches the view (after the debounce and any raster render).
    networkPainted()
        The first paint that showed the current network.
    styleChanged(object)
        A new :class:`PipeClassification` is drawn.
    """

    featureIdentified = Signal(object)
    cursorMoved = Signal(float, float)
    viewChanged = Signal(object)
    settled = Signal()
    networkPainted = Signal()
    styleChanged = Signal(object)
    #: right click: (Hit or None, map x, map y, global QPoint) — features add their actions to the context menu
    contextRequested = Signal(object, float, float, object)

    def __init__(self, parent=None, *, runner: JobRunner | None = None) -> None:
        super().__init__(parent, background=DARK.map_background)
        self.setViewportUpdateMode(self.ViewportUpdateMode.FullViewportUpdate)  # overlays are screen-fixed
        self.setCacheMode(self.CacheModeFlag.CacheNone)
        self._runner = runner or JobRunner(max_workers=1)
        self._owns_runner = runner is None
        self.view = _MapViewBox(self)
        self.setCentralItem(self.view)
        self.view.disableAutoRange()
        self.view.sigRangeChanged.connect(self._on_range_change)
        self._data: MapData | None = None
        self._theme = DARK
        self._tool = "pan"
        self._announced = False
        self._placeholder = translate("MapCanvas", "No network — File › Open (Ctrl+O)")
        self.pipes = PipeLayer(self.view, self._runner)
        self.pipes.changed.connect(self._on_layer_content_change)
        self.links = LinksLayer(self.view)
        self.points = {name: PointLayer(self.view, style) for name, style in POINT_STYLES.items()}
        self.selection = SelectionItem()
        self.selection.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.view.addItem(self.selection, ignoreBounds=True)
        self._selected: Hit | None = None
        self._style_job = None
        self._named_style = "pressure_class"
        self._lod_timer = QTimer(self)
        self._lod_timer.setSingleShot(True)
        self._lod_timer.setInterval(_DEBOUNCE_MS)
        self._lod_timer.timeout.connect(self._update_lod)
        self.set_tool("pan")
        self.set_theme(DARK)

    # -- network ---------------------------------------------------------------------------------------------------
    @property
    def network(self) -> GasNetwork | None:
        return self._data.network if self._data else None

    @property
    def map_data(self) -> MapData | None:
        return self._data

    @property
    def origin(self) -> tuple[float, float]:
        return self._data.origin if self._data else (0.0, 0.0)

    def set_network(self, network: GasNetwork, style: str = "pressure_class") -> None:
        """Show ``network``, preparing its buffers on this thread (fine for small networks and tests).

        Large networks should be prepared in a worker with :func:`prepare_map_data` and given to
        :meth:`set_map_data`, as :class:`MainWindow` does.
        """
        self.set_map_data(prepare_map_data(network, style))

    def set_map_data(self, data: MapData, *, keep_view: bool = False) -> None:
        """Show prepared map data and zoom to its extent (``keep_view``: stay put, e.g. after an edit)."""
        view = self.map_range() if keep_view and self._data is not None else None
        selected = self._selected.feature_id if keep_view and self._selected else None
        refresh = keep_view and self._data is not None and self._data.network is data.network
        self._data = data
        if data.classification.style in PIPE_STYLES:
            self._named_style = data.classification.style
        self._announced = self._announced and refresh  # a re-opened network is announced again
        self._selected = None
        self.selection.set_selection()
        self.pipes.set_data(data)
        self.links.set_data(data.network, data.origin)
        for name, layer in self.points.items():
            layer.set_data(data.points[name], data.point_rows[name])
        if view is None:
            self.zoom_to_extent()
        else:
            self.set_map_range(*view)
        if selected is not None:
            try:
                layer, row = data.network.locate(selected)
                self.select(Hit(layer, row, selected, 0.0))
            except UnknownFeatureError:
                pass  # the edit deleted it
        self._update_lod()
        self.styleChanged.emit(data.classification)

    def clear(self, placeholder: str = "") -> None:
        """Empty the map, showing ``placeholder`` (default: how to open a network)."""
        self._placeholder = placeholder or translate("MapCanvas", "No network — File › Open (Ctrl+O)")
        self.viewport().update()

    def set_placeholder(self, text: str) -> None:
        """The message drawn in the middle of an empty map (e.g. while a network loads)."""
        self._placeholder = text
        self.viewport().update()

    # -- style, theme, visibility ------------------------------------------------------------------------------------
    def set_pipe_style(self, style: str) -> None:
        """Restyle the pipes (classification in a worker for big networks); ``styleChanged`` follows."""
        if self._data is None:
            return
        network = self._data.network
        key = f"ui.pipe_style.{style}"
        if len(network["pipes"]) < _ASYNC_STYLE_MIN_PIPES:
            self._apply_classification(network.cached(key, lambda: classify_pipes(network["pipes"], style)))
            return
        from console.ui.workers import start_job

        if self._style_job is not None:
            self._style_job.cancel()
        pipes = network["pipes"]
        self._style_job = start_job(self._runner, lambda feedback: classify_pipes(pipes, style))
        self._style_job.finished.connect(self._apply_classification)

    def set_pipe_values(self, values, bins, colors, labels, title: str, **kwargs) -> PipeClassification:
        """Colour the pipes by a numeric value per pipe row (an analysis result) in bins; see ``classify_values``.

        :meth:`clear_pipe_values` (or choosing a named style) goes back to the network's style.
        """
        classification = classify_values(values, bins, colors, labels, title, **kwargs)
        self.set_pipe_classification(classification)
        return classification

    def set_pipe_classification(self, classification: PipeClassification) -> None:
        """Draw a ready-made classification (one code per pipe row); ``styleChanged`` follows."""
        if self._data is None:
            return
        if len(classification.codes) != len(self._data.network["pipes"]):
            raise ValueError(f"{len(classification.codes)} pipe classes for {len(self._data.network['pipes'])} pipes")
        if self._style_job is not None:
            self._style_job.cancel()
        self._apply_classification(classification)

    def clear_pipe_values(self) -> None:
        """Back to the last named style (pressure class, diameter …) after :meth:`set_pipe_values`."""
        self.set_pipe_style(self.named_style)

    @property
    def named_style(self) -> str:
        """The last named style drawn (a key of ``PIPE_STYLES``), whatever value colouring is on top."""
        return self._named_style

    def _apply_classification(self, classification: PipeClassification) -> None:
        if classification.style in PIPE_STYLES:
            self._named_style = classification.style
        self._style_job = None
        self.pipes.set_classification(classification)
        self.styleChanged.emit(classification)
        self._schedule_lod()

    @property
    def classification(self) -> PipeClassification | None:
        return self.pipes.classification

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setBackground(theme.map_background)
        self.selection.set_color(theme.selection)
        self.pipes.set_theme(theme.name)
        for layer in self.points.values():
            layer.set_theme(theme.name, self.devicePixelRatioF())
        self.view.rbScaleBox.setPen(pg.mkPen(theme.highlight, width=1.5))
        self.view.rbScaleBox.setBrush(pg.mkBrush(QColor(theme.highlight).lighter(120).red(), 127, 255, 40))
        self.viewport().update()

    @property
    def theme(self) -> Theme:
        return self._theme

    def set_layer_visible(self, layer: str, visible: bool) -> None:
        if layer == "pipes":
            self.pipes.set_visible(visible)
        elif layer == "links":
            self.links.set_visible(visible)
        elif layer in self.points:
            self.points[layer].set_visible(visible)
            self._schedule_lod()

    def layer_visible(self, layer: str) -> bool:
        if layer == "links":
            return self.links.visible
        return self.pipes.visible if layer == "pipes" else self.points[layer].visible

    # -- tools -------------------------------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """``pan``, ``zoom_box`` or ``identify``."""
        if tool not in ("pan", "zoom_box", "identify"):
            raise ValueError(f"unknown map tool {tool!r}")
        self._tool = tool
        self.view.setMouseMode(pg.ViewBox.RectMode if tool == "zoom_box" else pg.ViewBox.PanMode)
        cursors = {
            "pan": Qt.CursorShape.OpenHandCursor,
            "zoom_box": Qt.CursorShape.CrossCursor,
            "identify": Qt.CursorShape.PointingHandCursor,
        }
        self.viewport().setCursor(cursors[tool])

    @property
    def tool(self) -> str:
        return self._tool

    def _on_context(self, local: QPointF, global_pos) -> None:
        if self._data is None:
            return
        x, y = self.local_to_map(local)
        self.contextRequested.emit(self.pick(x, y), x, y, global_pos)

    def local_to_map(self, local: QPointF) -> tuple[float, float]:
        """Map coordinates of a point in the view's local (origin-shifted) coordinates."""
        ox, oy = self.origin
        return local.x() + ox, local.y() + oy

    # -- overlays (analysis results drawn above the network) ---------------------------------------------------------
    def add_overlay(self, item, z: float = 50.0) -> None:
        """Add a pyqtgraph item drawn in origin-shifted coordinates (use :meth:`to_local`) above the network."""
        item.setZValue(z)
        self.view.addItem(item, ignoreBounds=True)

    def remove_overlay(self, item) -> None:
        if item.scene() is not None:
            self.view.removeItem(item)

    def to_local(self, x, y):
        """Origin-shifted coordinates for overlay items (map eastings of 41,400,000 m lose precision in float32)."""
        ox, oy = self.origin
        return np.asarray(x, dtype=float) - ox, np.asarray(y, dtype=float) - oy

    def _on_click(self, local: QPointF) -> None:
        x, y = local.x() + self.origin[0], local.y() + self.origin[1]
        if self._tool == "identify":
            self.identify_at(x, y)
        elif self._tool == "zoom_box":
            self.zoom_by(2.0, (x, y))

    # -- view --------------------------------------------------------------------------------------------------------
    def map_range(self) -> tuple[float, float, float, float]:
        """The visible box (xmin, ymin, xmax, ymax) in map coordinates."""
        (x0, x1), (y0, y1) = self.view.viewRange()
        ox, oy = self.origin
        return (x0 + ox, y0 + oy, x1 + ox, y1 + oy)

    def set_map_range(self, xmin: float, ymin: float, xmax: float, ymax: float, padding: float = 0.0) -> None:
        """Show at least this box (the aspect lock widens one side)."""
        ox, oy = self.origin
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        hw, hh = max(xmax - xmin, _MIN_VIEW_M) / 2, max(ymax - ymin, _MIN_VIEW_M) / 2
        self.view.setRange(xRange=(cx - hw - ox, cx + hw - ox), yRange=(cy - hh - oy, cy + hh - oy), padding=padding)

    def zoom_to_extent(self) -> None:
        if self._data is not None:
            self.set_map_range(*self._data.bounds, padding=0.04)

    def zoom_by(self, factor: float, center: tuple[float, float] | None = None) -> None:
        """Zoom in by ``factor`` (> 1 in, < 1 out) about ``center`` (map coordinates; default the view centre)."""
        if center is None:
            xmin, ymin, xmax, ymax = self.map_range()
            center = ((xmin + xmax) / 2, (ymin + ymax) / 2)
        ox, oy = self.origin
        self.view.scaleBy((1.0 / factor, 1.0 / factor), center=QPointF(center[0] - ox, center[1] - oy))

    def pan_by(self, dx_m: float, dy_m: float) -> None:
        self.view.translateBy(x=dx_m, y=dy_m)

    def zoom_to_feature(self, feature_id: str, *, min_size_m: float = 250.0) -> Hit:
        """Centre the view on a feature (at least ``min_size_m`` across), select it and report it as identified."""
        network = self._require_network()
        layer, row = network.locate(feature_id)  # raises UnknownFeatureError
        xmin, ymin, xmax, ymax = shapely.bounds(network[layer].geometry.array[row])
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        half = max(max(xmax - xmin, ymax - ymin) * 0.8, min_size_m / 2)  # the feature with its surroundings
        self.set_map_range(cx - half, cy - half, cx + half, cy + half)
        hit = Hit(layer, row, str(feature_id), 0.0)
        self.select(hit)
        self.featureIdentified.emit(hit)
        return hit

    def metres_per_pixel(self) -> float:
        return float(self.view.viewPixelSize()[0])

    def scale_denominator(self) -> float:
        """The map scale 1:N for this screen (logical DPI)."""
        return self.metres_per_pixel() / (0.0254 / max(self.logicalDpiX(), 1))

    def map_to_widget(self, x: float, y: float) -> QPointF:
        """Widget (viewport) pixel position of a map coordinate."""
        ox, oy = self.origin
        scene = self.view.mapViewToScene(QPointF(x - ox, y - oy))
        return QPointF(self.mapFromScene(scene))

    def widget_to_map(self, pos: QPointF) -> tuple[float, float]:
        local = self.view.mapSceneToView(self.mapToScene(pos.toPoint()))
        return local.x() + self.origin[0], local.y() + self.origin[1]

    def view_state(self) -> ViewState:
        (x0, x1), (y0, y1) = self.view.viewRange()
        vp = self.viewport()
        return ViewState((x0, y0, x1, y1), max(vp.width(), 1), max(vp.height(), 1), vp.devicePixelRatioF())

    # -- identify and selection ----------------------------------------------------------------------------------
    def identify_at(self, x: float, y: float) -> Hit | None:
        """The feature drawn nearest to (x, y) within ~6 screen pixels; selects it and emits ``featureIdentified``."""
        if self._data is None:
            return None
        hit = self.pick(x, y)
        if hit is None:
            self.clear_selection()
        else:
            self.select(hit)
        self.featureIdentified.emit(hit)
        return hit

    def pick(self, x: float, y: float) -> Hit | None:
        """Nearest drawn feature within the identify tolerance, without selecting it."""
        network = self._require_network()
        mpp = self.metres_per_pixel()
        layers = tuple(
            name
            for name in PICK_ORDER
            if (name == "pipes" and self.pipes.visible)
            or (name in self.points and self.points[name].drawn(mpp))
            or (name == "links" and self.links.visible)
        )
        return network.spatial.nearest(x, y, IDENTIFY_TOLERANCE_PX * mpp, layers)

    def select(self, hit: Hit) -> None:
        network = self._require_network()
        geom = network[hit.layer].geometry.array[hit.row]
        xy = shapely.get_coordinates(geom) - np.asarray(self.origin)
        if shapely.get_type_id(geom) == 0:
            self.selection.set_selection(points=xy)
        else:
            self.selection.set_selection(lines=np.hstack([xy[:-1], xy[1:]]))
        self._selected = hit

    def clear_selection(self) -> None:
        self._selected = None
        self.selection.set_selection()

    @property
    def selected(self) -> Hit | None:
        return self._selected

    def _require_network(self) -> GasNetwork:
        if self._data is None:
            raise UnknownFeatureError("(none)", "an empty map")
        return self._data.network

    # -- level of detail -------------------------------------------------------------------------------------------
    def _on_range_change(self, *_args) -> None:
        self.viewChanged.emit(self.map_range())
        self._schedule_lod()

    def _schedule_lod(self) -> None:
        self._lod_timer.start()

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        if hasattr(self, "_lod_timer"):
            self._schedule_lod()

    def _update_lod(self) -> None:
        if self._data is None:
            return
        state = self.view_state()
        self.pipes.update_view(state)
        for layer in self.points.values():
            layer.update_view(state)
        self._on_layer_content_change()

    def _on_layer_content_change(self) -> None:
        self.viewport().update()
        if self.is_settled():
            self.settled.emit()

    def is_settled(self) -> bool:
        """The drawn level of detail matches the current view (no debounce pending, no raster rendering)."""
        return (
            self._data is not None
            and not self._lod_timer.isActive()
            and not self.pipes.busy
            and self._style_job is None
        )

    @property
    def lod_mode(self) -> str | None:
        """``vector`` or ``raster``: how the pipes are drawn for the current view."""
        return self.pipes.mode

    def shutdown(self) -> None:
        """Stop background renders (call before the window closes)."""
        self._lod_timer.stop()
        self.pipes.cancel_jobs()
        if self._style_job is not None:
            self._style_job.cancel()
        if self._owns_runner:
            self._runner.shutdown(wait=False)

    def closeEvent(self, ev) -> None:
        self.shutdown()
        super().closeEvent(ev)

    # -- painting ----------------------------------------------------------------------------------------------------
    def paintEvent(self, ev) -> None:
        super().paintEvent(ev)
        if self._data is not None and not self._announced and self.pipes.has_content:
            self._announced = True
            QTimer.singleShot(0, self.networkPainted.emit)

    def mouseMoveEvent(self, ev) -> None:
        super().mouseMoveEvent(ev)
        if self._data is not None:
            x, y = self.widget_to_map(ev.position())
            self.cursorMoved.emit(x, y)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._data is None:
            self._draw_placeholder(painter)
        else:
            self._draw_scale_bar(painter)
            self._draw_north_arrow(painter)
        painter.restore()

    def _backdrop(self, painter: QPainter, rect: QRectF) -> None:
        """A translucent card behind a screen overlay, so it never fights with the pipes under it."""
        card = QColor(self._theme.map_background)
        card.setAlpha(200)
        edge = QColor(self._theme.muted_text)
        edge.setAlpha(90)
        painter.setPen(QPen(edge, 1.0))
        painter.setBrush(card)
        painter.drawRoundedRect(rect, 5, 5)

    def _text_path(self, painter: QPainter, pos: QPointF, text: str, font: QFont) -> None:
        """Text with a halo in the map background colour: readable over any pipe."""
        path = QPainterPath()
        path.addText(pos, font, text)
        halo = QPen(QColor(self._theme.map_halo))
        halo.setWidthF(3.5)
        halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.strokePath(path, halo)
        painter.fillPath(path, QColor(self._theme.map_text))

    def _draw_placeholder(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(13)
        painter.setFont(font)
        painter.setPen(QColor(self._theme.muted_text))
        painter.drawText(QRectF(self.viewport().rect()), Qt.AlignmentFlag.AlignCenter, self._placeholder)

    def _draw_scale_bar(self, painter: QPainter) -> None:
        mpp = self.metres_per_pixel()
        if not np.isfinite(mpp) or mpp <= 0:
            return
        length_m = _nice_length(mpp * 140)
        length_px = length_m / mpp
        h = self.viewport().height()
        x0, y0 = 20.0, h - 24.0
        font = QFont(self.font())
        font.setPointSizeF(9)
        font.setBold(True)
        label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
        label_w = QFontMetricsF(font).horizontalAdvance(label)
        self._backdrop(painter, QRectF(x0 - 10, y0 - 24, length_px + label_w / 2 + 22, 38))
        ink, paper = QColor(self._theme.map_text), QColor(self._theme.map_halo)
        outline = QPen(paper)
        outline.setWidthF(1.0)
        painter.setPen(outline)
        half = length_px / 2
        painter.setBrush(ink)
        painter.drawRect(QRectF(x0, y0, half, 6))
        painter.setBrush(paper)
        painter.drawRect(QRectF(x0 + half, y0, half, 6))
        frame = QPen(ink)
        frame.setWidthF(1.0)
        painter.setPen(frame)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x0, y0, length_px, 6))
        self._text_path(painter, QPointF(x0 - 3, y0 - 6), "0", font)
        self._text_path(painter, QPointF(x0 + length_px - label_w / 2, y0 - 6), label, font)

    def _draw_north_arrow(self, painter: QPainter) -> None:
        w = self.viewport().width()
        cx, top = w - 32.0, 16.0
        self._backdrop(painter, QRectF(cx - 18, top - 6, 36, 52))
        ink, paper = QColor(self._theme.map_text), QColor(self._theme.map_halo)
        left = QPolygonF([QPointF(cx, top + 14), QPointF(cx - 9, top + 40), QPointF(cx, top + 33)])
        right = QPolygonF([QPointF(cx, top + 14), QPointF(cx + 9, top + 40), QPointF(cx, top + 33)])
        pen = QPen(ink)
        pen.setWidthF(1.2)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.setBrush(ink)
        painter.drawPolygon(left)
        painter.setBrush(paper)
        painter.drawPolygon(right)
        font = QFont(self.font())
        font.setPointSizeF(10)
        font.setBold(True)
        self._text_path(painter, QPointF(cx - QFontMetricsF(font).horizontalAdvance("N") / 2, top + 10), "N", font)


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``metres``."""
    exp = np.floor(np.log10(max(metres, 1e-9)))
    base = metres / 10**exp
    step = 5 if base >= 5 else 2 if base >= 2 else 1
    return float(step * 10**exp)
