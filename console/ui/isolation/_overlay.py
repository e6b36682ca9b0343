"""The outage of one shut-off result drawn on the map: a handful of items over the network, whatever its size.

From bottom to top: a veil that dims the network (optional), the cut-off pipes and the shut-off region (each a glow
band and a core line, one :class:`SegmentsItem` apiece), skipped valves (crosses), breaks (bursts) and the numbered
plan steps. Everything is in the canvas's origin-shifted local coordinates; :meth:`IsolationOverlay.draw` is called
again when the map's origin or the result changes.
"""

from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import QPointF

from console.isolation import IsolationResult
from console.network import GasNetwork
from console.ui.i18n import translate
from console.ui.isolation._items import (
    NumberedMarkersItem,
    VeilItem,
    draw_break,
    draw_skipped,
    symbol_pixmap,
)
from console.ui.isolation._style import (
    BREAK_SIZE_PX,
    CUT_OFF_GLOW_WIDTH_PX,
    CUT_OFF_WIDTH_PX,
    GLOW_WIDTH_PX,
    ISOLATED_WIDTH_PX,
    SKIPPED_SIZE_PX,
    glow,
    overlay_colors,
)
from console.ui.isolation._text import action_label, format_length, note_text
from console.ui.map._items import MarkerItem, SegmentsItem, make_pen

__all__ = ["IsolationOverlay", "pipe_lines"]

# Above every network layer (point markers go up to z = 50) and the selection.
Z_VEIL, Z_CUT, Z_ISOLATED, Z_SKIPPED, Z_BREAK, Z_STEPS = 55.0, 60.0, 62.0, 65.0, 66.0, 67.0
TOOLTIP_RADIUS_PX = 14.0


def pipe_lines(network: GasNetwork, pipe_ids, origin: tuple[float, float]) -> np.ndarray:
    """(k, 4) local segment coordinates x0, y0, x1, y1 of the pipes ``pipe_ids`` (unknown ids are left out)."""
    ids = np.asarray(list(pipe_ids), dtype=object)
    if not len(ids):
        return np.empty((0, 4))
    topo = network.topology
    li = topo.link_index(ids)
    li = li[li >= 0]
    rows = topo.link_row[li].astype(np.int64)
    geoms = network["pipes"].geometry.array[rows]
    coords, which = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    coords = coords - np.asarray(origin, dtype=float)
    same = which[1:] == which[:-1]
    return np.hstack([coords[:-1][same], coords[1:][same]])


class IsolationOverlay:
    """The map items of one isolation; create once per canvas, :meth:`draw` a result, :meth:`clear` it."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self._theme = "dark"
        c = overlay_colors(self._theme)
        self.veil = VeilItem(glow(c.dim, c.dim_alpha))
        self.cut_glow = SegmentsItem()
        self.cut_core = SegmentsItem()
        self.isolated_glow = SegmentsItem()
        self.isolated_core = SegmentsItem()
        self.skipped = MarkerItem()
        self.breaks = MarkerItem()
        self.steps = NumberedMarkersItem(c)
        self._z = {
            self.veil: Z_VEIL,
            self.cut_glow: Z_CUT,
            self.cut_core: Z_CUT + 0.5,
            self.isolated_glow: Z_ISOLATED,
            self.isolated_core: Z_ISOLATED + 0.5,
            self.skipped: Z_SKIPPED,
            self.breaks: Z_BREAK,
            self.steps: Z_STEPS,
        }
        self._dim = True
        self._shown = False
        self.origin: tuple[float, float] | None = None
        self.bounds: tuple[float, float, float, float] | None = None  # of the drawn outage, map coordinates
        self._tips: list[tuple[float, float, str]] = []  # map x, y, tooltip text
        self.set_theme(self._theme)

    # -- content -----------------------------------------------------------------------------------------------------
    def draw(self, network: GasNetwork, result: IsolationResult) -> None:
        """Show ``result`` (replacing what was drawn) in the canvas's current local coordinates."""
        origin = self.canvas.origin
        self.origin = origin
        ox, oy = origin
        self.cut_glow.set_lines(cut := pipe_lines(network, result.cut_off_pipe_ids, origin))
        self.cut_core.set_lines(cut)
        self.isolated_glow.set_lines(iso := pipe_lines(network, result.isolated_pipe_ids, origin))
        self.isolated_core.set_lines(iso)
        skipped = np.array([(s.x - ox, s.y - oy) for s in result.skipped]).reshape(-1, 2)
        breaks = np.array([(x - ox, y - oy) for _, x, y in result.break_points]).reshape(-1, 2)
        self.skipped.set_points(skipped)
        self.breaks.set_points(breaks)
        self.steps.set_keep_clear(np.vstack([skipped, breaks]))
        plan = result.plan
        self.steps.set_markers(
            np.array([(s.x - ox, s.y - oy) for s in plan]).reshape(-1, 2),
            [str(s.order) for s in plan],
            np.array([s.required for s in plan], bool),
            np.array([s.action != "close_valve" for s in plan], bool),
            [s.feature_id for s in plan],
        )
        self.bounds = _bounds(result, iso, origin)
        self._tips = [(s.x, s.y, _step_tip(s)) for s in plan]
        would_not = translate("IsolationDock", "✕ {valve} would not turn — {reason}")
        self._tips += [
            (s.x, s.y, would_not.format(valve=s.feature_id, reason=note_text(s.reason))) for s in result.skipped
        ]
        at = translate("IsolationDock", "Break at {feature}")
        self._tips += [(x, y, at.format(feature=fid)) for fid, x, y in result.break_points]
        self._show()

    def clear(self) -> None:
        """Remove every item from the map."""
        for item in self._z:
            self.canvas.remove_overlay(item)
        self._shown = False
        self.origin = None
        self._tips = []

    @property
    def shown(self) -> bool:
        return self._shown

    def _show(self) -> None:
        for item, z in self._z.items():
            if item is self.veil and not self._dim:
                self.canvas.remove_overlay(item)
                continue
            if item.scene() is None:
                self.canvas.add_overlay(item, z)
        self._shown = True
        self.canvas.viewport().update()

    def items(self) -> list:
        """The items on the map now (for tests and screenshots)."""
        return [item for item in self._z if item.scene() is not None]

    # -- style -------------------------------------------------------------------------------------------------------
    def set_dim(self, dim: bool) -> None:
        """Dim the rest of the map while an isolation is shown."""
        self._dim = dim
        if self._shown:
            self._show()

    @property
    def dim(self) -> bool:
        return self._dim

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        c = overlay_colors(theme)
        self.veil.set_color(glow(c.dim, c.dim_alpha))
        self.cut_glow.set_pen(make_pen(glow(c.cut_off, c.glow_alpha // 2), CUT_OFF_GLOW_WIDTH_PX))
        self.cut_core.set_pen(make_pen(c.cut_off, CUT_OFF_WIDTH_PX))
        self.isolated_glow.set_pen(make_pen(glow(c.isolated, c.glow_alpha), GLOW_WIDTH_PX))
        self.isolated_core.set_pen(make_pen(c.isolated, ISOLATED_WIDTH_PX))
        dpr = self.canvas.devicePixelRatioF()
        self.skipped.set_pixmap(
            symbol_pixmap(lambda p, at: draw_skipped(p, at, c, SKIPPED_SIZE_PX), SKIPPED_SIZE_PX, dpr)
        )
        self.breaks.set_pixmap(symbol_pixmap(lambda p, at: draw_break(p, at, c, BREAK_SIZE_PX), BREAK_SIZE_PX, dpr))
        self.steps.set_colors(c)
        self.canvas.viewport().update()

    # -- tooltips ----------------------------------------------------------------------------------------------------
    def tooltip_at(self, pos: QPointF) -> str | None:
        """Tooltips of the markers drawn within a few pixels of widget position ``pos``, nearest first (valves often
        share a junction, so one spot can hold several)."""
        if not self._shown:
            return None
        near = []
        for x, y, text in self._tips:  # one per plan step, skipped valve or break: a few dozen
            p = self.canvas.map_to_widget(x, y)
            d = float(np.hypot(p.x() - pos.x(), p.y() - pos.y()))
            if d < TOOLTIP_RADIUS_PX:
                near.append((d, text))
        return "\n\n".join(text for _, text in sorted(near, key=lambda t: t[0])) or None


def _bounds(result: IsolationResult, isolated_lines: np.ndarray, origin) -> tuple[float, float, float, float]:
    """Map box of what a crew needs to see: breaks, plan steps, skipped valves and the shut-off region."""
    xy = [(x, y) for _, x, y in result.break_points]
    xy += [(s.x, s.y) for s in result.plan] + [(s.x, s.y) for s in result.skipped]
    pts = np.array(xy, dtype=float).reshape(-1, 2)
    if len(isolated_lines):
        pts = np.vstack([pts, isolated_lines[:, :2] + origin, isolated_lines[:, 2:] + origin])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _step_tip(step) -> str:
    extra = [translate("IsolationDock", "required") if step.required else translate("IsolationDock", "optional")]
    if step.distance_m is not None:
        extra.append(
            translate("IsolationDock", "{distance} from the break").format(distance=format_length(step.distance_m))
        )
    if step.remote_controlled:
        extra.append(translate("IsolationDock", "remote-controlled"))
    label = action_label(step.action)
    return f"{step.order}. {label} {step.feature_id} ({', '.join(extra)})\n{note_text(step.reason)}"
