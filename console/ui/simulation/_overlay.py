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
from console.ui.i18n import translate
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


SMOOTH_ITERATIONS = 2  # Chaikin corner cutting: the contour grid's cell steps read as curves at any zoom
RELAX = 3  # passes of a 1-2-1 vertex filter before the corner cutting (removes the staircase's zigzag)


def smooth_rings(points: np.ndarray, offsets: np.ndarray, iterations: int = SMOOTH_ITERATIONS, relax: int = RELAX):
    """Chaikin corner cutting of closed rings (``offsets``: ring starts and the end, as contourpy gives them): each
    edge p→q becomes the two points ¾p+¼q and ¼p+¾q. A ring stays closed and inside its old hull, straight edges stay
    straight; the staircase of the contour grid's cells becomes a smooth curve.

    >>> pts, offs = smooth_rings(np.array([[0.0, 0], [2, 0], [2, 2], [0, 2]]), np.array([0, 4]), 1, relax=0)
    >>> pts.tolist()[:3], offs.tolist()
    ([[0.5, 0.0], [1.5, 0.0], [2.0, 0.5]], [0, 8])
    """
    pts, offs = np.asarray(points, dtype=float), np.asarray(offsets, dtype=np.int64)
    if relax and len(pts) >= 3:
        idx = np.arange(len(pts))
        ring = np.searchsorted(offs, idx, side="right") - 1
        prev, nxt = idx - 1, idx + 1
        first = prev < offs[ring]
        prev[first] = offs[ring[first] + 1] - 1
        last = nxt == offs[ring + 1]
        nxt[last] = offs[ring[last]]
        for _ in range(relax):  # a 1-2-1 filter: the cell staircase's zigzag cancels, the course stays
            pts = 0.25 * pts[prev] + 0.5 * pts + 0.25 * pts[nxt]
    for _ in range(iterations):
        n = len(pts)
        if n < 3:
            break
        idx = np.arange(n)
        ring = np.searchsorted(offs, idx, side="right") - 1
        nxt = idx + 1
        wrap = nxt == offs[ring + 1]
        nxt[wrap] = offs[ring[wrap]]
        a, b = pts, pts[nxt]
        out = np.empty((2 * n, 2))
        out[0::2] = 0.75 * a + 0.25 * b
        out[1::2] = 0.25 * a + 0.75 * b
        pts, offs = out, offs * 2
    return pts, offs


def smooth_lines(lines: np.ndarray, iterations: int = SMOOTH_ITERATIONS, relax: int = RELAX) -> np.ndarray:
    """Chaikin corner cutting of NaN-separated open lines; each line keeps its end points (where it meets the band
    edge or another isobar's label).

    >>> smooth_lines(np.array([[0.0, 0], [2, 0], [2, 2]]), 1, relax=0).tolist()
    [[0.0, 0.0], [1.5, 0.0], [2.0, 0.5], [2.0, 2.0]]
    """
    out = np.asarray(lines, dtype=float)
    if relax and len(out) >= 3:
        ok = np.isfinite(out).all(axis=1)
        inner = ok & np.r_[False, ok[:-1]] & np.r_[ok[1:], False]  # both neighbours on the same line: not an end
        inner[[0, -1]] = False
        k = np.flatnonzero(inner)
        for _ in range(relax):
            out = out.copy()
            out[k] = 0.25 * out[k - 1] + 0.5 * out[k] + 0.25 * out[k + 1]
    for _ in range(iterations):
        if len(out) < 3:
            break
        a, b = out[:-1], out[1:]
        ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
        q = 0.75 * a + 0.25 * b
        r = 0.25 * a + 0.75 * b
        start = ~np.r_[False, ok[:-1]]  # a segment that begins a line keeps the line's first point
        end = ~np.r_[ok[1:], False]  # and one that ends it, the last
        seg = np.empty((len(a), 2, 2))
        seg[:, 0] = np.where(start[:, None], a, q)
        seg[:, 1] = np.where(end[:, None], b, r)
        seg[~ok] = np.nan  # the break between two lines
        out = seg.reshape(-1, 2)
    return out


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
                pts, offs = smooth_rings(pts - (ox, oy), offs)
                paths.append((_ring_path(pts, offs), QBrush(colour)))
            for k, line in enumerate(cs.isobars):
                if not len(line):
                    continue
                local = smooth_lines(line - (ox, oy))
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


CLOSED_Z = 32.0  # above isobars and labels: a closed valve is what the what-if is about
CLOSED_COLOURS = {"dark": ("#ff5a6e", "#0c1117"), "light": ("#c62839", "#ffffff")}  # mark, halo


class ClosedValvesOverlay:
    """The valves a what-if closes (关阀对比), marked on the map: a red ✕ ring and the valve id at each."""

    def __init__(self, canvas) -> None:
        self._canvas = canvas
        self.marks = pg.ScatterPlotItem(pxMode=True)
        self.marks.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.labels: list[pg.TextItem] = []
        self.ids: list[str] = []

    def show(self, network, closed_ids, theme: str = "dark") -> None:
        self.clear()
        ox, oy = self._canvas.origin
        mark, halo = CLOSED_COLOURS.get(theme, CLOSED_COLOURS["dark"])
        xy = []
        for fid in closed_ids:
            try:
                layer, row = network.locate(fid)
            except Exception:  # an id the network no longer has: nothing to mark
                continue
            c = network[layer].geometry.array[row].centroid
            xy.append((c.x - ox, c.y - oy))
            self.ids.append(str(fid))
        if not xy:
            return
        pts = np.asarray(xy, dtype=float)
        self.marks.setData(pos=pts, symbol="x", size=17, pen=pg.mkPen(halo, width=1.2), brush=pg.mkBrush(mark))
        self._canvas.add_overlay(self.marks, CLOSED_Z)
        for (x, y), fid in zip(pts, self.ids, strict=True):
            item = pg.TextItem(
                translate("SimulationDock", "{valve} closed").format(valve=fid),
                color=mark,
                anchor=(0.0, 1.1),
                fill=pg.mkBrush(halo + "c8"),
            )
            item.setPos(float(x), float(y))
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._canvas.add_overlay(item, CLOSED_Z)
            self.labels.append(item)

    def clear(self) -> None:
        for item in (self.marks, *self.labels):
            self._canvas.remove_overlay(item)
        self.marks.clear()
        self.labels, self.ids = [], []

    def shown_ids(self) -> list[str]:
        return list(self.ids) if self.marks.scene() is not None else []
