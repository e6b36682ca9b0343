"""Point symbology: a distinct, meaningful marker per point layer, with variants (closed valves, special customers).

Symbols follow the conventions dispatchers know from paper network maps: a bow-tie for a valve (filled red when it
is closed), a square with a diagonal for a regulator, a large pentagon for the gate station (门站), a triangle for a
sensor, small dots for customers and a pink cross for special customers (hospitals, schools: 重点用户).
Each variant also states the coarsest zoom (metres per pixel) at which it is still drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap, QTransform

from console.ui.map.styles import THEMES

__all__ = ["POINT_STYLES", "PointLayerStyle", "PointVariant", "marker_pixmap", "symbol_pixmap"]


def _bowtie() -> QPainterPath:
    p = QPainterPath()
    p.moveTo(-0.5, -0.38)
    p.lineTo(0.5, 0.38)
    p.lineTo(0.5, -0.38)
    p.lineTo(-0.5, 0.38)
    p.closeSubpath()
    return p


def _regulator() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-0.5, -0.5, 1.0, 1.0))
    p.moveTo(-0.5, 0.5)
    p.lineTo(0.5, -0.5)
    return p


def _cross() -> QPainterPath:
    """A bold 'hospital' cross: special customers must stand out among thousands of meters."""
    p = QPainterPath()
    p.addRect(QRectF(-0.5, -0.17, 1.0, 0.34))
    p.addRect(QRectF(-0.17, -0.5, 0.34, 1.0))
    return p.simplified()


def _end_cap() -> QPainterPath:
    p = QPainterPath()
    p.addRect(QRectF(-0.17, -0.5, 0.34, 1.0))
    return p


SYMBOLS: dict[str, QPainterPath | str] = {
    "bowtie": _bowtie(),
    "regulator": _regulator(),
    "end_cap": _end_cap(),
    "pentagon": "p",
    "triangle": "t1",
    "dot": "o",
    "square": "s",
    "cross": _cross(),
    "diamond": "d",
}


@dataclass(frozen=True)
class PointVariant:
    """One kind of marker of a point layer; ``select`` picks its rows (None: every row not taken by another)."""

    key: str
    label: str
    symbol: str
    size_px: float
    fill: tuple[str, str]  # (dark theme, light theme)
    outline: tuple[str, str] | None  # None: no outline (cheap for dense layers)
    max_m_per_px: float  # drawn only at this zoom or closer
    select: Callable[[pd.DataFrame], np.ndarray] | None = None
    offset_px: tuple[float, float] = (0.0, 0.0)  # screen offset (right, down): keeps attached markers beside their host

    def fill_color(self, theme: str) -> QColor:
        return QColor(self.fill[THEMES.index(theme)])

    def pen(self, theme: str) -> QPen:
        if self.outline is None:
            return QPen(Qt.PenStyle.NoPen)
        pen = QPen(QColor(self.outline[THEMES.index(theme)]))
        pen.setWidthF(1.2)
        pen.setCosmetic(True)
        return pen


@dataclass(frozen=True)
class PointLayerStyle:
    layer: str
    z: float
    variants: tuple[PointVariant, ...]

    def rows_by_variant(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Rows of ``frame`` per variant (vectorised masks; the variant without ``select`` takes the rest)."""
        taken = np.zeros(len(frame), bool)
        masks: list[np.ndarray | None] = []
        for v in self.variants:
            if v.select is None:
                masks.append(None)
                continue
            m = np.asarray(v.select(frame), bool) & ~taken
            taken |= m
            masks.append(m)
        return [np.flatnonzero(~taken if m is None else m).astype(np.int32) for m in masks]


_INF = float("inf")
_OUTLINE = ("#0c1117", "#ffffff")  # the map background of each theme: markers stand out from pipes below
_INK = ("#e6edf5", "#1c232b")

POINT_STYLES: dict[str, PointLayerStyle] = {
    s.layer: s
    for s in (
        PointLayerStyle(
            "junctions",
            10,
            (
                PointVariant(
                    "junction", QT_TRANSLATE_NOOP("MapLegend", "Junction"), "dot", 3, ("#5c6b7a", "#9aa5b1"), None, 0.4
                ),
            ),
        ),
        PointLayerStyle(
            "customers",
            12,
            (
                PointVariant(
                    "special",
                    QT_TRANSLATE_NOOP("MapLegend", "Special customer"),
                    "cross",
                    13,
                    ("#ff4fa3", "#d81b60"),
                    _OUTLINE,
                    10.0,
                    lambda f: (f["category"].astype(str) == "special").to_numpy(),
                ),
                PointVariant(
                    "customer",
                    QT_TRANSLATE_NOOP("MapLegend", "Customer / meter"),
                    "dot",
                    4,
                    ("#8fa1b3", "#66727f"),
                    None,
                    2.0,
                ),
            ),
        ),
        PointLayerStyle(
            "risers",
            13,
            (
                PointVariant(
                    "riser", QT_TRANSLATE_NOOP("MapLegend", "Riser"), "square", 5, ("#b0bec5", "#546e7a"), None, 1.0
                ),
            ),
        ),
        PointLayerStyle(
            "end_caps",
            14,
            (PointVariant("end_cap", QT_TRANSLATE_NOOP("MapLegend", "End cap"), "end_cap", 9, _INK, None, 1.5),),
        ),
        PointLayerStyle(
            "valves",
            20,
            (
                PointVariant(
                    "closed",
                    QT_TRANSLATE_NOOP("MapLegend", "Normally closed"),
                    "bowtie",
                    12,
                    ("#ff2d2d", "#e00000"),
                    _INK,
                    _INF,
                    lambda f: (f["normal_position"].astype(str) == "closed").to_numpy(),
                ),
                PointVariant(
                    "open", QT_TRANSLATE_NOOP("MapLegend", "Normally open"), "bowtie", 10, _OUTLINE, _INK, 2.5
                ),
            ),
        ),
        PointLayerStyle(
            "regulators",
            30,
            (
                PointVariant(
                    "station",
                    QT_TRANSLATE_NOOP("MapLegend", "Station / cabinet"),
                    "regulator",
                    14,
                    ("#f2f5f8", "#263238"),
                    ("#0c1117", "#ffffff"),
                    _INF,
                    lambda f: f["kind"].astype(str).isin(["station", "cabinet"]).to_numpy(),
                ),
                PointVariant(
                    "box",
                    QT_TRANSLATE_NOOP("MapLegend", "Box"),
                    "regulator",
                    10,
                    ("#f2f5f8", "#263238"),
                    ("#0c1117", "#ffffff"),
                    12.0,
                ),
            ),
        ),
        PointLayerStyle(
            "sensors",
            25,  # below regulators and valves, and drawn up-right of its point: a sensor sits *on* a device
            (
                PointVariant(
                    "sensor",
                    QT_TRANSLATE_NOOP("MapLegend", "Sensor"),
                    "triangle",
                    10,
                    ("#00e5ff", "#00838f"),
                    _OUTLINE,
                    4.0,
                    offset_px=(8.0, -8.0),
                ),
            ),
        ),
        PointLayerStyle(
            "gate_stations",
            50,
            (
                PointVariant(
                    "gate",
                    QT_TRANSLATE_NOOP("MapLegend", "Gate station"),
                    "pentagon",
                    22,
                    ("#ff3347", "#c3001c"),
                    ("#ffffff", "#ffffff"),
                    _INF,
                ),
            ),
        ),
    )
}


def symbol_path(name: str) -> QPainterPath:
    sym = SYMBOLS[name]
    if isinstance(sym, QPainterPath):
        return sym
    from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols

    return Symbols[sym]


def marker_pixmap(
    variant: PointVariant, theme: str, device_pixel_ratio: float = 1.0, size_px: float | None = None
) -> QPixmap:
    """The variant's marker on a transparent square just big enough for it (and its outline)."""
    size = variant.size_px if size_px is None else size_px
    dpr = device_pixel_ratio
    side = int(np.ceil((size + 3) * dpr))
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QTransform().translate(side / 2, side / 2).scale(size * dpr, size * dpr).map(symbol_path(variant.symbol))
    pen = variant.pen(theme)
    pen.setCosmetic(False)
    pen.setWidthF(1.2 * dpr)
    painter.setPen(pen)
    painter.setBrush(QBrush(variant.fill_color(theme)))
    painter.drawPath(path)
    painter.end()
    pix.setDevicePixelRatio(dpr)
    return pix


def symbol_pixmap(variant: PointVariant, theme: str, size: int = 18) -> QPixmap:
    """The marker centred on a ``size`` square, for legends (big markers are shrunk to fit)."""
    marker = marker_pixmap(variant, theme, 1.0, min(variant.size_px, size - 4))
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.drawPixmap(QPointF((size - marker.width()) / 2, (size - marker.height()) / 2), marker)
    painter.end()
    return pix
