"""Toolbar icons drawn with QPainter in the theme's ink colour (crisp at any DPI, no image files to ship).

Each icon is a few strokes on a 24 × 24 grid, in the line style of common GIS toolbars.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

__all__ = ["icon", "ICON_NAMES"]


def _open(p: QPainter) -> None:
    path = QPainterPath()
    path.moveTo(3, 19)
    path.lineTo(3, 6)
    path.lineTo(9, 6)
    path.lineTo(11, 8)
    path.lineTo(19, 8)
    path.lineTo(19, 11)
    p.drawPath(path)
    p.drawPolygon([QPointF(3, 19), QPointF(7, 11), QPointF(22, 11), QPointF(18, 19)])


def _pan(p: QPainter) -> None:
    p.drawLine(QPointF(12, 3), QPointF(12, 21))
    p.drawLine(QPointF(3, 12), QPointF(21, 12))
    for tip, a, b in (
        ((12, 3), (9, 6), (15, 6)),
        ((12, 21), (9, 18), (15, 18)),
        ((3, 12), (6, 9), (6, 15)),
        ((21, 12), (18, 9), (18, 15)),
    ):
        p.drawPolyline([QPointF(*a), QPointF(*tip), QPointF(*b)])


def _magnifier(p: QPainter) -> None:
    p.drawEllipse(QRectF(3, 3, 13, 13))
    pen = p.pen()
    pen.setWidthF(pen.widthF() * 1.4)
    p.setPen(pen)
    p.drawLine(QPointF(14.5, 14.5), QPointF(21, 21))


def _zoom_box(p: QPainter) -> None:
    pen = p.pen()
    dashed = QPen(pen)
    dashed.setDashPattern([2.0, 1.5])
    p.setPen(dashed)
    p.drawRect(QRectF(2.5, 2.5, 12, 10))
    p.setPen(pen)
    p.drawEllipse(QRectF(10, 10, 8, 8))
    p.drawLine(QPointF(17, 17), QPointF(21.5, 21.5))


def _zoom_in(p: QPainter) -> None:
    _magnifier(p)
    p.drawLine(QPointF(6.5, 9.5), QPointF(12.5, 9.5))
    p.drawLine(QPointF(9.5, 6.5), QPointF(9.5, 12.5))


def _zoom_out(p: QPainter) -> None:
    _magnifier(p)
    p.drawLine(QPointF(6.5, 9.5), QPointF(12.5, 9.5))


def _identify(p: QPainter) -> None:
    p.drawEllipse(QRectF(3, 3, 18, 18))
    p.drawLine(QPointF(12, 10.5), QPointF(12, 17))
    p.setBrush(p.pen().color())
    p.drawEllipse(QPointF(12, 7.3), 1.0, 1.0)


def _extent(p: QPainter) -> None:
    for (x, y), (dx, dy) in (((3, 3), (1, 1)), ((21, 3), (-1, 1)), ((3, 21), (1, -1)), ((21, 21), (-1, -1))):
        p.drawPolyline([QPointF(x, y + 6 * dy), QPointF(x, y), QPointF(x + 6 * dx, y)])
    p.drawRect(QRectF(8, 8, 8, 8))


def _theme(p: QPainter) -> None:
    p.drawEllipse(QRectF(4, 4, 16, 16))
    half = QPainterPath()
    half.moveTo(12, 4)
    half.arcTo(QRectF(4, 4, 16, 16), 90, 180)
    half.closeSubpath()
    p.fillPath(half, p.pen().color())


def _help(p: QPainter) -> None:
    p.drawEllipse(QRectF(3, 3, 18, 18))
    path = QPainterPath()
    path.moveTo(9, 9.5)
    path.cubicTo(9, 5.5, 15.5, 5.5, 15, 9.5)
    path.cubicTo(14.7, 12, 12, 11.5, 12, 14.5)
    p.drawPath(path)
    p.setBrush(p.pen().color())
    p.drawEllipse(QPointF(12, 17.5), 1.0, 1.0)


def _clear(p: QPainter) -> None:
    p.drawLine(QPointF(6, 6), QPointF(18, 18))
    p.drawLine(QPointF(18, 6), QPointF(6, 18))


_PAINTERS: dict[str, Callable[[QPainter], None]] = {
    "open": _open,
    "pan": _pan,
    "zoom_box": _zoom_box,
    "zoom_in": _zoom_in,
    "zoom_out": _zoom_out,
    "identify": _identify,
    "extent": _extent,
    "theme": _theme,
    "search": _magnifier,
    "help": _help,
    "clear": _clear,
}
ICON_NAMES = tuple(_PAINTERS)


def icon(name: str, color: str, size: int = 24) -> QIcon:
    """The named icon stroked in ``color`` (drawn at 1× and 2× for HiDPI screens)."""
    result = QIcon()
    for scale in (1, 2):
        pix = QPixmap(size * scale, size * scale)
        pix.fill(Qt.GlobalColor.transparent)
        pix.setDevicePixelRatio(scale)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        pen = QPen(QColor(color))
        pen.setWidthF(1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        _PAINTERS[name](p)
        p.end()
        result.addPixmap(pix)
    return result
