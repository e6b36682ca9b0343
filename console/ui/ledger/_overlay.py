"""Hazards on the map: one :class:`MarkerItem` per (state, severity) style, never one item per hazard.

Colour says severity (amber minor, orange major, red critical); shape says the lifecycle state: a warning
triangle while reported, a diamond once assigned, a square once rectified, a circle once verified, and a small grey
ring with a tick when closed (closed hazards stay visible but recede).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from console.ui.map._items import MarkerItem

__all__ = ["HazardOverlay", "SEVERITY_COLORS", "hazard_icon", "hazard_pixmap", "ring_pixmap"]

SEVERITY_COLORS = {
    "dark": {"minor": "#ffd23f", "major": "#ff8c1a", "critical": "#ff3b4e"},
    "light": {"minor": "#d4a000", "major": "#e06500", "critical": "#d0021b"},
}
_OUTLINE = {"dark": "#0c1117", "light": "#ffffff"}
_CLOSED = {"dark": "#7d8a98", "light": "#8a96a3"}
_SIZE_PX = {"reported": 20, "assigned": 17, "rectified": 15, "verified": 15, "closed": 12}
_Z = {"closed": 60, "verified": 61, "rectified": 62, "assigned": 63, "reported": 64}


def _shape(state: str, s: float) -> QPainterPath:
    p = QPainterPath()
    h = s / 2
    if state == "reported":
        p.addPolygon(QPolygonF([QPointF(0, -h), QPointF(h, h * 0.8), QPointF(-h, h * 0.8), QPointF(0, -h)]))
    elif state == "assigned":
        p.addPolygon(QPolygonF([QPointF(0, -h), QPointF(h, 0), QPointF(0, h), QPointF(-h, 0), QPointF(0, -h)]))
    elif state == "rectified":
        p.addRect(QRectF(-h * 0.85, -h * 0.85, h * 1.7, h * 1.7))
    else:
        p.addEllipse(QPointF(0, 0), h, h)
    return p


def _paint(painter: QPainter, state: str, severity: str, theme: str, size: float) -> None:
    colours = SEVERITY_COLORS.get(theme, SEVERITY_COLORS["dark"])
    fill = QColor(_CLOSED[theme] if state == "closed" else colours.get(severity, colours["major"]))
    path = _shape(state, size)
    pen = QPen(QColor(_OUTLINE[theme]))
    pen.setWidthF(1.6)
    painter.setPen(pen)
    painter.setBrush(fill if state != "closed" else Qt.BrushStyle.NoBrush)
    if state == "closed":
        ring = QPen(fill)
        ring.setWidthF(2.2)
        painter.setPen(ring)
    painter.drawPath(path)
    ink = QColor("#111111") if state != "closed" else fill
    glyph = {"reported": "!", "assigned": "→", "rectified": "✓", "verified": "✓✓", "closed": "✓"}[state]
    font = QFont("DejaVu Sans")
    font.setBold(True)
    font.setPixelSize(max(int(size * (0.55 if state != "verified" else 0.42)), 7))
    painter.setFont(font)
    painter.setPen(ink)
    box = QRectF(-size / 2, -size / 2 + (size * 0.12 if state == "reported" else 0), size, size)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, glyph)


def hazard_pixmap(state: str, severity: str, theme: str, dpr: float = 1.0, size: float | None = None) -> QPixmap:
    """The marker of a hazard in ``state`` with ``severity``, centred on a transparent square."""
    size = size or _SIZE_PX[state]
    side = int(np.ceil((size + 4) * dpr))
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.translate(side / 2, side / 2)
    painter.scale(dpr, dpr)
    _paint(painter, state, severity, theme, size)
    painter.end()
    pix.setDevicePixelRatio(dpr)
    return pix


def hazard_icon(state: str, severity: str, theme: str) -> QIcon:
    return QIcon(hazard_pixmap(state, severity, theme, 1.0, 14 if state != "reported" else 16))


_RING = {"dark": "#00ffd0", "light": "#00a3ff"}  # the map's selection colour of each theme


def ring_pixmap(theme: str, dpr: float = 1.0, size: float = 30.0) -> QPixmap:
    """The highlight ring around the selected hazard."""
    side = int(np.ceil((size + 4) * dpr))
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(side / 2, side / 2)
    painter.scale(dpr, dpr)
    glow = QColor(_RING[theme])
    glow.setAlpha(90)
    for colour, width in ((glow, 6.0), (QColor(_RING[theme]), 2.2)):
        pen = QPen(colour)
        pen.setWidthF(width)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(0, 0), size / 2 - 3, size / 2 - 3)
    painter.end()
    pix.setDevicePixelRatio(dpr)
    return pix


class HazardOverlay:
    """The hazards of the register on a :class:`MapCanvas`, one marker item per (state, severity), and a ring
    around the selected one."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.theme = "dark"
        self.items: dict[tuple[str, str], MarkerItem] = {}
        self._xy: dict[tuple[str, str], np.ndarray] = {}
        self.ring = MarkerItem()
        self._ring_xy: tuple[float, float] | None = None

    def set_selected(self, x: float | None, y: float | None) -> None:
        """Ring the hazard at map (x, y); None removes the ring."""
        if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
            self._ring_xy = None
            self.canvas.remove_overlay(self.ring)
            return
        self._ring_xy = (float(x), float(y))
        if self.ring.scene() is None:
            self.ring.set_pixmap(ring_pixmap(self.theme, self._dpr()))
            self.canvas.add_overlay(self.ring, 59)
        lx, ly = self.canvas.to_local(x, y)
        self.ring.set_points(np.array([[float(lx), float(ly)]]))

    def set_hazards(self, states: np.ndarray, severities: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        """Show hazards given as parallel arrays (map coordinates); hazards without a finite location are skipped."""
        states, severities = np.asarray(states, dtype=object), np.asarray(severities, dtype=object)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        finite = np.isfinite(x) & np.isfinite(y)
        keys = set(zip(states[finite].tolist(), severities[finite].tolist(), strict=True))
        lx, ly = self.canvas.to_local(x, y)
        for key in list(self.items):
            if key not in keys:
                self.canvas.remove_overlay(self.items.pop(key))
                self._xy.pop(key, None)
        for key in keys:
            mask = finite & (states == key[0]) & (severities == key[1])
            xy = np.column_stack([lx[mask], ly[mask]])
            item = self.items.get(key)
            if item is None:
                item = self.items[key] = MarkerItem()
                item.set_pixmap(hazard_pixmap(*key, self.theme, self._dpr()))
                self.canvas.add_overlay(item, _Z[key[0]] + {"minor": 0.0, "major": 0.1, "critical": 0.2}.get(key[1], 0))
            item.set_points(xy)
            self._xy[key] = xy

    def marker_count(self) -> int:
        return sum(item.count() for item in self.items.values())

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        for key, item in self.items.items():
            item.set_pixmap(hazard_pixmap(*key, theme, self._dpr()))
        self.ring.set_pixmap(ring_pixmap(theme, self._dpr()))

    def clear(self) -> None:
        for item in self.items.values():
            self.canvas.remove_overlay(item)
        self.items.clear()
        self._xy.clear()
        self.set_selected(None, None)

    def _dpr(self) -> float:
        return float(self.canvas.devicePixelRatioF())
