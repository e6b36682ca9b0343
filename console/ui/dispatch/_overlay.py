"""Incidents on the map: every open incident's marker, the chosen incident's outage and plan (drawn by the
isolation overlay), its crews (a labelled badge each) and their routes along the streets (dashed)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap

from console.ui.isolation import IsolationOverlay
from console.ui.map._items import MarkerItem, SegmentsItem, make_pen

__all__ = ["IncidentOverlay"]

Z_ROUTES, Z_INCIDENTS, Z_CREWS = 68.0, 69.0, 70.0
INCIDENT_PX = 26
CREW_COLORS = {"valve": "#0ea5e9", "regulator": "#a855f7", "repair": "#f97316"}
ROUTE_COLOR = "#38bdf8"


def _incident_pixmap(grade_color: str, dpr: float) -> QPixmap:
    """A warning triangle with an exclamation mark, in the grade's colour."""
    size = INCIDENT_PX
    pix = QPixmap(int(size * dpr), int(size * dpr))
    pix.setDevicePixelRatio(dpr)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.moveTo(size / 2, 2)
    path.lineTo(size - 2, size - 3)
    path.lineTo(2, size - 3)
    path.closeSubpath()
    p.setPen(QPen(QColor("#ffffff"), 2))
    p.setBrush(QColor(grade_color))
    p.drawPath(path)
    pen = QPen(QColor("#ffffff"), 3)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.drawLine(QPointF(size / 2, 9), QPointF(size / 2, size - 11))
    p.drawPoint(QPointF(size / 2, size - 7))
    p.end()
    return pix


def _crew_pixmap(label: str, color: str, dpr: float) -> QPixmap:
    """A rounded badge with the crew id (a vehicle on the map)."""
    font = QFont()
    font.setPixelSize(11)
    font.setBold(True)
    w, h = 12 + 7 * len(label), 18
    pix = QPixmap(int(w * dpr), int(h * dpr))
    pix.setDevicePixelRatio(dpr)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor("#ffffff"), 1.5))
    p.setBrush(QColor(color))
    p.drawRoundedRect(QRectF(1, 1, w - 2, h - 2), 5, 5)
    p.setFont(font)
    p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, label)
    p.end()
    return pix


class IncidentOverlay:
    """The incidents' map items; :meth:`draw` them, :meth:`clear` them."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.outage = IsolationOverlay(canvas)
        self.outage.set_dim(False)  # other incidents and the network stay readable
        self.routes = SegmentsItem()
        self.routes.set_pen(make_pen(ROUTE_COLOR, 3.0, "dash"))
        self.incidents: dict[str, MarkerItem] = {}
        self.crews: dict[str, MarkerItem] = {}
        self.bounds: tuple[float, float, float, float] | None = None
        self._tips: list[tuple[float, float, str]] = []

    def draw(self, network, incidents: list[tuple[str, str, float, float]], result=None,
             crews: list[tuple[str, str, float, float]] = (), routes: list[np.ndarray] = ()) -> None:  # fmt: skip
        """``incidents``: (id, grade colour, x, y) of open incidents; ``result``: the chosen incident's plan
        (IsolationResult) or None; ``crews``: (id, kind, x, y); ``routes``: polylines (n, 2) in map metres."""
        ox, oy = self.canvas.origin
        dpr = self.canvas.devicePixelRatioF()
        self._clear_markers()
        self._tips = []
        for iid, color, x, y in incidents:
            item = MarkerItem()
            item.set_pixmap(_incident_pixmap(color, dpr))
            item.set_points(np.array([[x - ox, y - oy]]))
            self.canvas.add_overlay(item, Z_INCIDENTS)
            self.incidents[iid] = item
            self._tips.append((x, y, f"Incident {iid}"))
        for cid, kind, x, y in crews:
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            item = MarkerItem()
            item.set_pixmap(_crew_pixmap(cid, CREW_COLORS.get(kind, "#0ea5e9"), dpr))
            item.set_points(np.array([[x - ox, y - oy]]))
            self.canvas.add_overlay(item, Z_CREWS)
            self.crews[cid] = item
            self._tips.append((x, y, f"Crew {cid} ({kind})"))
        lines = [np.hstack([r[:-1] - (ox, oy), r[1:] - (ox, oy)]) for r in routes if len(r) > 1]
        self.routes.set_lines(np.vstack(lines) if lines else np.empty((0, 4)))
        if self.routes.scene() is None:
            self.canvas.add_overlay(self.routes, Z_ROUTES)
        if result is not None and network is not None:
            self.outage.draw(network, result)
            self.bounds = self.outage.bounds
        else:
            self.outage.clear()
            self.bounds = None
        self.canvas.viewport().update()

    def _clear_markers(self) -> None:
        for item in (*self.incidents.values(), *self.crews.values()):
            self.canvas.remove_overlay(item)
        self.incidents, self.crews = {}, {}

    def clear(self) -> None:
        self._clear_markers()
        self.canvas.remove_overlay(self.routes)
        self.outage.clear()
        self.bounds = None
        self._tips = []

    def set_theme(self, theme: str) -> None:
        self.outage.set_theme(theme)

    def items(self) -> list:
        """What is on the map now (tests, screenshots)."""
        out = [*self.incidents.values(), *self.crews.values(), *self.outage.items()]
        return out + ([self.routes] if self.routes.scene() is not None and self.routes.count() else [])

    def tooltip_at(self, pos: QPointF, radius_px: float = 14.0) -> str | None:
        near = []
        for x, y, text in self._tips:
            p = self.canvas.map_to_widget(x, y)
            d = float(np.hypot(p.x() - pos.x(), p.y() - pos.y()))
            if d < radius_px:
                near.append((d, text))
        return "\n".join(t for _, t in sorted(near)) or self.outage.tooltip_at(pos)
