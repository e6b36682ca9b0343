"""The few custom pyqtgraph items the map draws with: line segments, a raster, and the selection overlay.

All three have an empty ``shape()``: picking goes through the network's spatial index, so Qt's hit testing (which
pyqtgraph runs on every mouse move for hover events) must never walk their geometry.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap

__all__ = ["MarkerItem", "RasterItem", "SegmentsItem", "SelectionItem", "make_pen"]

_DASHES = {"solid": None, "dash": [5.0, 3.0], "dot": [1.5, 2.5]}


def make_pen(color: str | QColor, width_px: float, dash: str = "solid") -> QPen:
    """A cosmetic pen (width in device pixels at any zoom).

    Square caps close the gaps where the segments of one polyline meet; round caps would look nicer but make
    ``drawLines`` 5-10x slower in Qt's raster engine.
    """
    pen = QPen(QColor(color))
    pen.setWidthF(max(width_px, 0.5))
    pen.setCosmetic(True)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap if dash == "solid" else Qt.PenCapStyle.FlatCap)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    if _DASHES.get(dash):
        pen.setDashPattern(_DASHES[dash])
    return pen


def _bounds_rect(lines: np.ndarray) -> QRectF:
    if not len(lines):
        return QRectF()
    xmin = float(min(lines[:, 0].min(), lines[:, 2].min()))
    xmax = float(max(lines[:, 0].max(), lines[:, 2].max()))
    ymin = float(min(lines[:, 1].min(), lines[:, 3].min()))
    ymax = float(max(lines[:, 1].max(), lines[:, 3].max()))
    return QRectF(xmin, ymin, max(xmax - xmin, 1e-6), max(ymax - ymin, 1e-6))


class SegmentsItem(pg.GraphicsObject):
    """Many straight segments drawn with one pen in one ``QPainter.drawLines`` call (one item per style class)."""

    def __init__(self, pen: QPen | None = None, antialias: bool = True) -> None:
        super().__init__()
        self._lines = PrimitiveArray(QLineF, 4)
        self._rect = QRectF()
        self._pen = pen or make_pen("#ffffff", 1.0)
        self._antialias = antialias
        self.setFlag(self.GraphicsItemFlag.ItemIgnoresParentOpacity, True)

    def set_lines(self, lines: np.ndarray) -> None:
        """Replace the segments: ``lines`` is (k, 4) x0, y0, x1, y1 in the view's (local) coordinates."""
        self.prepareGeometryChange()
        self._lines.resize(len(lines))
        if len(lines):
            self._lines.ndarray()[:] = lines
        self._rect = _bounds_rect(lines)
        self.update()

    def set_pen(self, pen: QPen) -> None:
        self._pen = pen
        self.update()

    def pen(self) -> QPen:
        return self._pen

    def count(self) -> int:
        return len(self._lines)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._lines):
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, self._antialias)
        painter.setPen(self._pen)
        painter.drawLines(*self._lines.drawargs())


class RasterItem(pg.GraphicsObject):
    """A pre-rendered image of part of the map, stretched over its rectangle in local coordinates.

    Row 0 of the image is the rectangle's *lowest* y: the view's y axis points up, so the image is rendered the same
    way up (see :func:`console.ui.map._render.render_segments`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._image: QImage | None = None
        self._rect = QRectF()

    def set_image(self, image: QImage | None, rect: QRectF | None = None) -> None:
        self.prepareGeometryChange()
        self._image = image
        self._rect = QRectF(rect) if rect is not None else QRectF()
        self.update()

    @property
    def image(self) -> QImage | None:
        return self._image

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._image is None or self._image.isNull():
            return
        # Nearest-pixel when the image is drawn 1:1 (crisp and fast), smooth while it is being stretched.
        device = painter.transform().mapRect(self._rect)
        one_to_one = abs(device.width() - self._image.width() / self._image.devicePixelRatio()) < 1.0
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not one_to_one)
        painter.drawImage(self._rect, self._image)


class SelectionItem(pg.GraphicsObject):
    """The selection highlight: one item for any selected feature, a glow along a line or a ring around a point.

    It sits *below* the pipe items, so the selected pipe keeps its class colour and the glow frames it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lines = np.empty((0, 4))
        self._points = np.empty((0, 2))
        self._color = QColor("#00ffd0")
        self._rect = QRectF()
        self.setZValue(-15)  # above the rasters (-20, -19), below pipe vectors (-10 …) and point markers

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def set_selection(self, lines: np.ndarray | None = None, points: np.ndarray | None = None) -> None:
        self.prepareGeometryChange()
        self._lines = np.empty((0, 4)) if lines is None else np.asarray(lines, float).reshape(-1, 4)
        self._points = np.empty((0, 2)) if points is None else np.asarray(points, float).reshape(-1, 2)
        xs = np.concatenate([self._lines[:, 0], self._lines[:, 2], self._points[:, 0]])
        ys = np.concatenate([self._lines[:, 1], self._lines[:, 3], self._points[:, 1]])
        if len(xs):
            self._rect = QRectF(xs.min(), ys.min(), max(np.ptp(xs), 1e-6), max(np.ptp(ys), 1e-6))
        else:
            self._rect = QRectF()
        self.update()

    def is_empty(self) -> bool:
        return not (len(self._lines) or len(self._points))

    def boundingRect(self) -> QRectF:
        # The ring is drawn in pixels around the point: pad by a generous amount in item units.
        px = self.pixelLength(pg.Point(1, 0)) or 0.0
        pad = 16 * px
        return self._rect.adjusted(-pad, -pad, pad, pad)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.is_empty():
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        glow = QColor(self._color)
        glow.setAlpha(110)
        lines = [QLineF(*row) for row in self._lines]  # a handful of segments: one selected feature
        if lines:
            painter.setPen(make_pen(glow, 14.0))
            painter.drawLines(lines)
            painter.setPen(make_pen(self._color, 7.0))
            painter.drawLines(lines)
        if len(self._points):
            transform = painter.transform()
            painter.resetTransform()
            for x, y in self._points:
                c = transform.map(QPointF(x, y))
                painter.setPen(make_pen(glow, 7.0))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(c, 12.0, 12.0)
                painter.setPen(make_pen(self._color, 2.5))
                painter.drawEllipse(c, 12.0, 12.0)
            painter.setTransform(transform)


class MarkerItem(pg.GraphicsObject):
    """Point markers of one kind: one pre-rendered symbol stamped at every point with ``drawPixmapFragments``.

    Like pyqtgraph's ``ScatterPlotItem`` in pixel mode, but with one style for all points: setting 100,000 points
    is an array assignment, and a repaint is one numpy transform plus one Qt call (ScatterPlotItem keeps per-point
    styles and spends Python time per point on every ``setData``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._xy = np.empty((0, 2))
        self._pixmap: QPixmap | None = None
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self._rect = QRectF()
        self._pad_px = 8.0
        self._offset = (0.0, 0.0)

    def set_offset(self, dx_px: float, dy_px: float) -> None:
        """Draw each marker this many pixels right/down of its point."""
        self._offset = (float(dx_px), float(dy_px))
        self._pad_px = max(self._pad_px, abs(dx_px) + 8, abs(dy_px) + 8)
        self.update()

    def set_points(self, xy: np.ndarray) -> None:
        """Marker centres, (n, 2) in local coordinates."""
        self.prepareGeometryChange()
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if len(self._xy):
            lo, hi = self._xy.min(axis=0), self._xy.max(axis=0)
            self._rect = QRectF(lo[0], lo[1], max(hi[0] - lo[0], 1e-6), max(hi[1] - lo[1], 1e-6))
        else:
            self._rect = QRectF()
        self.update()

    def set_pixmap(self, pixmap: QPixmap) -> None:
        """The symbol, drawn centred on each point (its devicePixelRatio is honoured)."""
        self.prepareGeometryChange()
        self._pixmap = pixmap
        half = max(pixmap.width(), pixmap.height()) / pixmap.devicePixelRatio() / 2 + 1
        self._pad_px = half + max(abs(self._offset[0]), abs(self._offset[1]))
        self.update()

    def count(self) -> int:
        return len(self._xy)

    def points(self) -> np.ndarray:
        return self._xy

    def boundingRect(self) -> QRectF:
        if self._rect.isNull():
            return QRectF()
        px = self.pixelLength(pg.Point(1, 0)) or 0.0
        pad = self._pad_px * px
        return self._rect.adjusted(-pad, -pad, pad, pad)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._pixmap is None or not len(self._xy):
            return
        t = painter.transform()
        x = t.m11() * self._xy[:, 0] + t.m21() * self._xy[:, 1] + (t.dx() + self._offset[0])
        y = t.m12() * self._xy[:, 0] + t.m22() * self._xy[:, 1] + (t.dy() + self._offset[1])
        area = painter.viewport() if widget is None else widget.rect()
        pad = self._pad_px
        keep = (x > area.left() - pad) & (x < area.right() + pad) & (y > area.top() - pad) & (y < area.bottom() + pad)
        n = int(keep.sum())
        if not n:
            return
        dpr = self._pixmap.devicePixelRatio()
        self._fragments.resize(n)
        frags = self._fragments.ndarray()
        frags[:, 0] = x[keep]
        frags[:, 1] = y[keep]
        frags[:, 2:6] = (0.0, 0.0, self._pixmap.width(), self._pixmap.height())
        frags[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        painter.resetTransform()
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._pixmap)
        painter.setTransform(t)
