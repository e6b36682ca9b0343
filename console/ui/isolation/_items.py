"""The isolation overlay's own graphics items: numbered plan markers and the veil that dims the rest of the map.

Like the map's items (:mod:`console.ui.map._items`) they have an empty ``shape()`` (no Qt hit testing) and draw
many markers per item. Markers and numbers are drawn in screen pixels, so "1", "2", … read the same at any zoom.
The ``draw_*`` functions paint one symbol at a screen point; the legend uses them too, so legend and map agree.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap

from console.ui.isolation._style import (
    OPTIONAL_RADIUS_PX,
    STEP_RADIUS_PX,
    OverlayColors,
    step_font,
    text_rect,
)

__all__ = [
    "NumberedMarkersItem",
    "VeilItem",
    "draw_break",
    "draw_name",
    "draw_skipped",
    "draw_step",
    "place_markers",
    "symbol_pixmap",
]

_VEIL_HALF_M = 1.0e8
_LEADER_GAP_PX = 8.0  # local coordinates: far beyond any city, still exact in double precision


def _pen(color: str | QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setStyle(style)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def draw_step(painter: QPainter, at: QPointF, text: str, c: OverlayColors, required: bool, square: bool) -> None:
    """One plan step: a disc (valve) or rounded square (regulator, source) with its number."""
    radius = STEP_RADIUS_PX if required else OPTIONAL_RADIUS_PX
    radius += 3.0 * max(len(text) - 2, 0)  # "100" still fits
    if required:
        painter.setPen(_pen(c.step_outline, 2.2))
        painter.setBrush(QColor(c.step_fill))
    else:
        painter.setPen(_pen(c.optional_outline, 2.0, Qt.PenStyle.DashLine if not square else Qt.PenStyle.SolidLine))
        painter.setBrush(QColor(c.optional_fill))
    box = text_rect(at, radius)
    if square:
        painter.drawRoundedRect(box, 3.5, 3.5)
    else:
        painter.drawEllipse(box)
    painter.setFont(step_font(14 if required else 12))
    painter.setPen(QColor(c.step_text if required else c.optional_text))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def name_font(required: bool) -> QFont:
    font = step_font(12)
    font.setBold(required)
    return font


def draw_name(painter: QPainter, baseline: QPointF, name: str, c: OverlayColors, required: bool) -> None:
    """A feature id written from ``baseline`` (left end of its base line), with a halo so it reads over any pipe."""
    path = QPainterPath()
    path.addText(baseline, name_font(required), name)
    halo = QPen(QColor(c.name_halo))
    halo.setWidthF(3.5)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.strokePath(path, halo)
    painter.fillPath(path, QColor(c.name_text))


def place_names(
    centres: np.ndarray, sizes: np.ndarray, radius: float, gap: float = 4.0, obstacles: np.ndarray | None = None
) -> list[tuple[float, float] | None]:
    """Top-left corners for labels of ``sizes`` (n, 2: width, height) beside markers at ``centres`` (n, 2; in
    priority order) so that no label covers a marker, an ``obstacles`` point (within ``radius``) or an earlier label:
    right of the marker if free, else left, above, below; ``None`` when all four are taken (the number and the
    tooltip still name the valve).

    >>> c = np.array([[0.0, 0.0], [40.0, 0.0]])
    >>> place_names(c, np.array([[30.0, 10.0], [30.0, 10.0]]), 8.0)  # the first can't go right: the second is there
    [(-42.0, -5.0), (52.0, -5.0)]
    """
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    pts = centres if obstacles is None else np.vstack([centres, np.asarray(obstacles, dtype=float).reshape(-1, 2)])
    r = radius
    markers = np.column_stack([pts - r, pts + r])  # x0, y0, x1, y1
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float] | None] = []
    for k, ((cx, cy), (w, h)) in enumerate(zip(centres, np.asarray(sizes, dtype=float).reshape(-1, 2), strict=True)):
        choice = None
        for x0, y0 in ((cx + r + gap, cy - h / 2), (cx - r - gap - w, cy - h / 2),
                       (cx - w / 2, cy - r - gap - h), (cx - w / 2, cy + r + gap)):  # fmt: skip
            x1, y1 = x0 + w, y0 + h
            hit = (markers[:, 0] < x1) & (markers[:, 2] > x0) & (markers[:, 1] < y1) & (markers[:, 3] > y0)
            hit[k] = False
            if hit.any() or any(a < x1 and c > x0 and b < y1 and d > y0 for a, b, c, d in placed):
                continue
            choice = (float(x0), float(y0))
            placed.append((x0, y0, x1, y1))
            break
        out.append(choice)
    return out


def draw_skipped(painter: QPainter, at: QPointF, c: OverlayColors, size: float) -> None:
    """A bold cross: this valve would not turn."""
    h = size / 2 - 2
    a1, b1 = QPointF(at.x() - h, at.y() - h), QPointF(at.x() + h, at.y() + h)
    a2, b2 = QPointF(at.x() - h, at.y() + h), QPointF(at.x() + h, at.y() - h)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(_pen(c.skipped_outline, 7.0))
    painter.drawLine(a1, b1)
    painter.drawLine(a2, b2)
    painter.setPen(_pen(c.skipped, 3.4))
    painter.drawLine(a1, b1)
    painter.drawLine(a2, b2)


def _burst(at: QPointF, size: float, points: int = 8) -> QPainterPath:
    path = QPainterPath()
    outer, inner = size / 2, size / 4.4
    for k in range(points * 2):
        r = outer if k % 2 == 0 else inner
        a = math.pi * k / points - math.pi / 2
        p = QPointF(at.x() + r * math.cos(a), at.y() + r * math.sin(a))
        path.moveTo(p) if k == 0 else path.lineTo(p)
    path.closeSubpath()
    return path


def draw_break(painter: QPainter, at: QPointF, c: OverlayColors, size: float) -> None:
    """A burst where the gas escapes."""
    painter.setPen(_pen(c.break_outline, 2.6))
    painter.setBrush(QColor(c.break_fill))
    painter.drawPath(_burst(at, size))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(c.break_outline))
    painter.drawEllipse(at, size / 9, size / 9)


def symbol_pixmap(draw, size_px: float, device_pixel_ratio: float = 1.0) -> QPixmap:
    """A symbol painted by ``draw(painter, centre)`` on a transparent square, for :class:`MarkerItem`."""
    side = int(math.ceil((size_px + 8) * device_pixel_ratio))
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(device_pixel_ratio, device_pixel_ratio)
    draw(p, QPointF(side / device_pixel_ratio / 2, side / device_pixel_ratio / 2))
    p.end()
    pix.setDevicePixelRatio(device_pixel_ratio)
    return pix


def place_markers(xy: np.ndarray, spacing_px: float, fixed: np.ndarray | None = None) -> np.ndarray:
    """Screen positions for markers at ``xy`` (in priority order) so that none hides another or a ``fixed`` symbol.

    Each marker stays on its point when that is free, else moves to the nearest free spot on rings around it.
    Plan steps are a few dozen at most, so the quadratic search is cheap.

    >>> place_markers(np.array([[0.0, 0.0], [5.0, 0.0], [100.0, 0.0]]), 20.0).round(1).tolist()
    [[0.0, 0.0], [5.0, -20.0], [100.0, 0.0]]
    >>> place_markers(np.array([[0.0, 0.0]]), 20.0, fixed=np.array([[3.0, 0.0]])).round(1).tolist()
    [[0.0, -20.0]]
    """
    out = np.array(xy, dtype=float).reshape(-1, 2)
    fixed = np.empty((0, 2)) if fixed is None else np.asarray(fixed, dtype=float).reshape(-1, 2)
    angles = np.deg2rad([-90, -45, 0, 45, 90, 135, 180, -135])
    for k in range(len(out)):
        placed = np.vstack([fixed, out[:k]])
        p = out[k].copy()
        if not len(placed) or np.min(np.hypot(*(placed - p).T)) >= spacing_px:
            continue
        for ring in (1.0, 2.0, 3.0):
            r = spacing_px * ring
            cand = p + r * np.column_stack([np.cos(angles), np.sin(angles)])
            dist = np.hypot(cand[:, None, 0] - placed[None, :, 0], cand[:, None, 1] - placed[None, :, 1]).min(axis=1)
            free = np.flatnonzero(dist >= spacing_px)
            if len(free):
                out[k] = cand[free[0]]
                break
    return out


class NumberedMarkersItem(pg.GraphicsObject):
    """The closing plan's markers: one numbered disc or square per step, all in one item.

    Markers never hide each other or the crosses and bursts they are told to keep clear: one that would is drawn
    beside its valve with a leader line (see :func:`place_markers`).
    """

    def __init__(self, colors: OverlayColors) -> None:
        super().__init__()
        self._xy = np.empty((0, 2))
        self._labels: list[str] = []
        self._names: list[str] = []
        self._fixed = np.empty((0, 2))
        self._required = np.empty(0, bool)
        self._square = np.empty(0, bool)
        self._colors = colors
        self._rect = QRectF()
        self._pad_px = STEP_RADIUS_PX + 100.0  # the marker, a displacement, and the id written beside it

    def set_markers(
        self,
        xy: np.ndarray,
        labels: list[str],
        required: np.ndarray,
        square: np.ndarray,
        names: list[str] | None = None,
    ) -> None:
        """Marker centres (n, 2) in local coordinates, their numbers, which are required / drawn square, and the
        feature id written beside each (crews talk in valve ids)."""
        self.prepareGeometryChange()
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self._labels = list(labels)
        self._names = list(names) if names is not None else []
        self._required = np.asarray(required, bool)
        self._square = np.asarray(square, bool)
        if len(self._xy):
            lo, hi = self._xy.min(axis=0), self._xy.max(axis=0)
            self._rect = QRectF(lo[0], lo[1], max(hi[0] - lo[0], 1e-6), max(hi[1] - lo[1], 1e-6))
        else:
            self._rect = QRectF()
        self.update()

    def set_colors(self, colors: OverlayColors) -> None:
        self._colors = colors
        self.update()

    def set_keep_clear(self, xy: np.ndarray) -> None:
        """Points (local coordinates) of other symbols that markers must not hide (skipped valves, breaks)."""
        self._fixed = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self.update()

    def count(self) -> int:
        return len(self._xy)

    def labels(self) -> list[str]:
        return list(self._labels)

    def points(self) -> np.ndarray:
        return self._xy

    def required(self) -> np.ndarray:
        return self._required

    def boundingRect(self) -> QRectF:
        if self._rect.isNull():
            return QRectF()
        pad = self._pad_px * (self.pixelLength(pg.Point(1, 0)) or 0.0)
        return self._rect.adjusted(-pad, -pad, pad, pad)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._xy):
            return
        t = painter.transform()
        x = t.m11() * self._xy[:, 0] + t.m21() * self._xy[:, 1] + t.dx()
        y = t.m12() * self._xy[:, 0] + t.m22() * self._xy[:, 1] + t.dy()
        area = painter.viewport() if widget is None else widget.rect()
        pad = self._pad_px
        keep = (x > area.left() - pad) & (x < area.right() + pad) & (y > area.top() - pad) & (y < area.bottom() + pad)
        # Priority: required steps in plan order, then optional ones. Place in priority order, draw in reverse so
        # step 1 ends up on top; a marker that would hide another is pushed aside with a leader to its valve.
        visible = [k for k in range(len(x)) if keep[k]]
        priority = [k for k in visible if self._required[k]] + [k for k in visible if not self._required[k]]
        fixed = np.column_stack(
            [
                t.m11() * self._fixed[:, 0] + t.m21() * self._fixed[:, 1] + t.dx(),
                t.m12() * self._fixed[:, 0] + t.m22() * self._fixed[:, 1] + t.dy(),
            ]
        )
        at = place_markers(np.column_stack([x, y])[priority], 2 * STEP_RADIUS_PX + 2, fixed)
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        self._name_boxes = self._place_names(priority, at, fixed)
        for j in range(len(priority) - 1, -1, -1):
            k = priority[j]
            true_pos = QPointF(float(x[k]), float(y[k]))
            pos = QPointF(float(at[j, 0]), float(at[j, 1]))
            if pos != true_pos:  # a leader that stops short of the valve: the symbol there stays readable
                d = pos - true_pos
                tip = true_pos + d * (_LEADER_GAP_PX / max(math.hypot(d.x(), d.y()), 1e-9))
                painter.setPen(_pen(self._colors.step_outline, 3.2))
                painter.drawLine(tip, pos)
                painter.setPen(_pen(self._colors.optional_outline, 1.6))
                painter.drawLine(tip, pos)
            draw_step(painter, pos, self._labels[k], self._colors, bool(self._required[k]), bool(self._square[k]))
            box = self._name_boxes[j]
            if box is not None:
                draw_name(painter, QPointF(box[0], box[1] + box[4]), self._names[k], self._colors,
                          bool(self._required[k]))  # fmt: skip
        painter.setTransform(t)

    def _place_names(self, priority: list[int], at: np.ndarray, fixed: np.ndarray) -> list:
        """Per placed marker: (x, y, w, h, ascent) of its id label on screen, or None where it would cover another
        marker, symbol or label."""
        if not self._names or not len(priority):
            return [None] * len(priority)
        sizes, ascents = [], []
        for k in priority:
            fm = QFontMetricsF(name_font(bool(self._required[k])))
            sizes.append((fm.horizontalAdvance(self._names[k]) + 2.0, fm.ascent() + fm.descent()))
            ascents.append(fm.ascent())
        corners = place_names(at, np.array(sizes), STEP_RADIUS_PX, obstacles=fixed)
        return [None if c is None else (c[0], c[1], sizes[j][0], sizes[j][1], ascents[j])
                for j, c in enumerate(corners)]  # fmt: skip

    def name_boxes(self) -> list:
        """The id labels' screen boxes as last painted (x, y, w, h, ascent; None: left out), for tests."""
        return list(getattr(self, "_name_boxes", []))


class VeilItem(pg.GraphicsObject):
    """A translucent wash over the whole view: the network fades so the outage drawn above it stands out."""

    def __init__(self, color: QColor) -> None:
        super().__init__()
        self._color = QColor(color)

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.update()

    def color(self) -> QColor:
        return QColor(self._color)

    def boundingRect(self) -> QRectF:
        return QRectF(-_VEIL_HALF_M, -_VEIL_HALF_M, 2 * _VEIL_HALF_M, 2 * _VEIL_HALF_M)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = painter.transform()
        painter.resetTransform()
        area = QRectF(painter.viewport() if widget is None else widget.rect())
        painter.fillRect(area, self._color)
        painter.setTransform(t)
