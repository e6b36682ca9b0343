"""The contour overlay: filled bands under the pipes, isobars above them, a few level labels; one item per level.

Items are built from :class:`console.hydraulics.PressureContours` on the main thread (the contouring itself ran in a
worker): each band level becomes one QPainterPath (odd-even fill, so holes stay holes) and each isobar level one
``PlotCurveItem`` with ``connect="finite"`` over the NaN-separated lines — never an item per line or ring.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath

from console.hydraulics import PressureContours
from console.ui.map._items import make_pen
from console.ui.simulation._colours import format_level, pressure_ramp

__all__ = ["BandsItem", "ContourOverlay"]

BAND_Z = -30.0  # below the pipes (-20 … -9): the bands tint the service area, the pipes stay readable
ISOBAR_Z = 30.0
LABEL_Z = 31.0
BAND_ALPHA = {"dark": 95, "light": 80}  # dark needs more: a translucent warm hue on near-black reads as brown
MAX_LABELS_PER_LEVEL = 2
MIN_LABEL_LINE_PX = 60.0


class BandsItem(pg.GraphicsObject):
    """Filled paths, one brush each; empty ``shape()`` so hover hit-testing never walks the rings."""

    def __init__(self) -> None:
        super().__init__()
        self._paths: list[tuple[QPainterPath, QBrush]] = []
        self._rect = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_paths(self, paths: list[tuple[QPainterPath, QBrush]]) -> None:
        self.prepareGeometryChange()
        self._paths = paths
        rect = QRectF()
        for path, _ in paths:
            rect = rect.united(path.boundingRect())
        self._rect = rect
        self.update()

    def count(self) -> int:
        return len(self._paths)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter, *_args) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for path, brush in self._paths:
            painter.setBrush(brush)
            painter.drawPath(path)


def _ring_path(points: np.ndarray, offsets: np.ndarray) -> QPainterPath:
    """All rings of one band as one path: a break (no connection) after each ring's last point."""
    connect = np.ones(len(points), dtype=np.int32)
    connect[offsets[1:] - 1] = 0
    path = pg.arrayToQPath(points[:, 0], points[:, 1], connect=connect)
    path.setFillRule(Qt.FillRule.OddEvenFill)
    return path


class ContourOverlay:
    """Bands, isobars and labels of one :class:`PressureContours` on a :class:`MapCanvas`."""

    def __init__(self, canvas) -> None:
        self._canvas = canvas
        self.bands = BandsItem()
        self.isobars: list[pg.PlotCurveItem] = []
        self.labels: list[pg.TextItem] = []
        self.contours: PressureContours | None = None
        self.visible = False

    def items(self) -> list:
        """Every item this overlay has on the map (for tests)."""
        return [i for i in (self.bands, *self.isobars, *self.labels) if i.scene() is not None]

    def show(self, contours: PressureContours, theme: str) -> None:
        self.clear()
        self.contours = contours
        c = self._canvas
        ox, oy = c.origin
        paths = []
        for cs in contours.sets:
            n = len(cs.levels_pa)
            colours = pressure_ramp(max(n, 2), theme)
            for k, (pts, offs) in enumerate(cs.bands):
                if len(pts) < 3:
                    continue
                colour = QColor(colours[min(k, n - 1)])
                colour.setAlpha(BAND_ALPHA.get(theme, 80))
                paths.append((_ring_path(pts - (ox, oy), offs), QBrush(colour)))
            for k, line in enumerate(cs.isobars):
                if not len(line):
                    continue
                local = line - (ox, oy)
                pen = make_pen(colours[k], 1.3)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                item = pg.PlotCurveItem(local[:, 0], local[:, 1], connect="finite", pen=pen, antialias=True)
                item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                c.add_overlay(item, ISOBAR_Z)
                self.isobars.append(item)
                self._label(local, format_level(float(cs.levels_pa[k]), cs.pressure_class), colours[k], theme)
        self.bands.set_paths(paths)
        c.add_overlay(self.bands, BAND_Z)
        self.visible = True

    def _label(self, local: np.ndarray, text: str, colour: str, theme: str) -> None:
        """Label the longest lines of a level at their middle point (long enough to carry a label)."""
        breaks = np.flatnonzero(~np.isfinite(local[:, 0]))
        starts = np.r_[0, breaks + 1]
        ends = np.r_[breaks, len(local)]
        mpp = max(self._canvas.metres_per_pixel(), 1e-9)
        seg = np.hypot(*np.diff(np.nan_to_num(local), axis=0).T)
        cum = np.r_[0.0, np.cumsum(seg)]
        lengths = cum[np.maximum(ends - 1, starts)] - cum[starts]
        for k in np.argsort(-lengths)[:MAX_LABELS_PER_LEVEL]:
            if lengths[k] / mpp < MIN_LABEL_LINE_PX or ends[k] - starts[k] < 2:
                continue
            mid = starts[k] + (ends[k] - starts[k]) // 2
            fill = "#0c1117c8" if theme == "dark" else "#f6f4eed0"
            item = pg.TextItem(text, color=colour, anchor=(0.5, 0.5), fill=pg.mkBrush(fill),
                               border=pg.mkPen(colour, width=0.8))  # fmt: skip
            item.setPos(float(local[mid, 0]), float(local[mid, 1]))
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._canvas.add_overlay(item, LABEL_Z)
            self.labels.append(item)

    def clear(self) -> None:
        for item in (self.bands, *self.isobars, *self.labels):
            self._canvas.remove_overlay(item)
        self.isobars, self.labels = [], []
        self.bands.set_paths([])
        self.visible = False

    def legend_rows(self, theme: str) -> list[tuple[str, str, str, str]]:
        """(colour, label, '', dash) per class and level, high first, as the pipe legend lists its bins."""
        rows = []
        if self.contours is None:
            return rows
        for cs in self.contours.sets:
            colours = pressure_ramp(max(len(cs.levels_pa), 2), theme)
            for k in reversed(range(len(cs.levels_pa))):
                rows.append((colours[k], f"{cs.pressure_class} {format_level(float(cs.levels_pa[k]), cs.pressure_class)}",
                             "", "solid"))  # fmt: skip
        return rows
