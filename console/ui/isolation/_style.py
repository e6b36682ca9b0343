"""How a shut-off (关阀分析) is drawn: overlay colours per theme and the legend swatches built from them.

The outage must read at a glance over any pipe style. The network styles use every hue somewhere (pressure classes
run red → magenta → purple → orange → yellow → blue), so the overlay does not rely on hue alone: while an isolation
is shown the rest of the map is dimmed, the outage is drawn wide with a glow no network style has, and the plan's
valves are big numbered discs drawn in screen pixels. The map, the legend and the tests read the colours from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from console.ui.map._items import make_pen

__all__ = ["OVERLAY_COLORS", "OverlayColors", "legend_entries", "overlay_colors"]


@dataclass(frozen=True)
class OverlayColors:
    """Colours (``#rrggbb``) and alphas of one theme's isolation overlay."""

    isolated: str  # shut-off region: pipes that vent through the break (关断区)
    cut_off: str  # pipes that only lose supply (停气区)
    glow_alpha: int  # the translucent band under the outage pipes
    dim: str  # veil over the rest of the map
    dim_alpha: int
    step_fill: str  # required plan steps: numbered discs
    step_outline: str
    step_text: str
    optional_fill: str
    optional_outline: str
    optional_text: str
    name_text: str  # the valve id written beside its number
    name_halo: str
    skipped: str  # the cross on a valve that would not turn
    skipped_outline: str
    break_fill: str  # the burst at each break (泄漏点)
    break_outline: str


OVERLAY_COLORS: dict[str, OverlayColors] = {
    "dark": OverlayColors(
        isolated="#ff2d6f",
        cut_off="#b98cff",
        glow_alpha=95,
        dim="#0c1117",
        dim_alpha=165,
        step_fill="#ffe14a",
        step_outline="#0c1117",
        step_text="#0c1117",
        optional_fill="#0c1117",
        optional_outline="#ffe14a",
        optional_text="#ffe14a",
        name_text="#ffffff",
        name_halo="#0c1117",
        skipped="#ffffff",
        skipped_outline="#0c1117",
        break_fill="#ffffff",
        break_outline="#ff2d6f",
    ),
    "light": OverlayColors(
        isolated="#e0004d",
        cut_off="#7b3fd1",
        glow_alpha=70,
        dim="#f6f4ee",
        dim_alpha=175,
        step_fill="#ffd60a",
        step_outline="#1c232b",
        step_text="#1c232b",
        optional_fill="#ffffff",
        optional_outline="#1c232b",
        optional_text="#1c232b",
        name_text="#1c232b",
        name_halo="#ffffff",
        skipped="#1c232b",
        skipped_outline="#ffffff",
        break_fill="#ffd60a",
        break_outline="#e0004d",
    ),
}

ISOLATED_WIDTH_PX = 5.0
CUT_OFF_WIDTH_PX = 3.0
GLOW_WIDTH_PX = 15.0  # shut-off region; the cut-off glow is narrower and fainter: the region to vent comes first
CUT_OFF_GLOW_WIDTH_PX = 9.0
STEP_RADIUS_PX = 13.0
OPTIONAL_RADIUS_PX = 11.0
SKIPPED_SIZE_PX = 19.0
BREAK_SIZE_PX = 30.0


def overlay_colors(theme: str) -> OverlayColors:
    """The overlay colours of a theme by name (``dark`` for anything unknown)."""
    return OVERLAY_COLORS.get(theme, OVERLAY_COLORS["dark"])


def glow(color: str, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def step_font(pixel_size: int = 12) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(pixel_size)
    font.setBold(True)
    return font


def _line_icon(color: str, width: float, glow_alpha: int, size: tuple[int, int] = (34, 18)) -> QIcon:
    pix = QPixmap(*size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    a, b = QPointF(4, size[1] / 2), QPointF(size[0] - 4, size[1] / 2)
    p.setPen(make_pen(glow(color, glow_alpha), 11.0))
    p.drawLine(a, b)
    p.setPen(make_pen(color, width))
    p.drawLine(a, b)
    p.end()
    return QIcon(pix)


def _symbol_icon(draw, size: tuple[int, int] = (34, 26)) -> QIcon:
    pix = QPixmap(*size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(p, QPointF(size[0] / 2, size[1] / 2))
    p.end()
    return QIcon(pix)


def legend_entries(theme: str) -> list[tuple[QIcon, str, str]]:
    """(icon, label, tooltip) for every overlay symbol, in the colours of ``theme``."""
    from console.ui.i18n import translate
    from console.ui.isolation._items import draw_break, draw_skipped, draw_step

    c = overlay_colors(theme)
    return [
        (
            _symbol_icon(lambda p, at: draw_break(p, at, c, BREAK_SIZE_PX * 0.8)),
            translate("IsolationDock", "Break"),
            translate("IsolationDock", "Where the gas escapes (the clicked point); Shift+click adds another break"),
        ),
        (
            _line_icon(c.isolated, ISOLATED_WIDTH_PX, c.glow_alpha),
            translate("IsolationDock", "Shut-off region"),
            translate(
                "IsolationDock", "Pipes between the valves to close: they vent through the break and need purging"
            ),
        ),
        (
            _line_icon(c.cut_off, CUT_OFF_WIDTH_PX, c.glow_alpha // 2),
            translate("IsolationDock", "Cut off"),
            translate(
                "IsolationDock", "Pipes that lose every path to a source once the valves are closed (unintended outage)"
            ),
        ),
        (
            _symbol_icon(lambda p, at: draw_step(p, at, "1", c, True, False)),
            translate("IsolationDock", "Valve to close, in order"),
            translate(
                "IsolationDock", "Required steps, numbered in the closing order; a square is a regulator or a source"
            ),
        ),
        (
            _symbol_icon(lambda p, at: draw_step(p, at, "4", c, False, False)),
            translate("IsolationDock", "Optional valve"),
            translate(
                "IsolationDock", "Closing it only keeps the line pack of cut-off pipes from venting through the break"
            ),
        ),
        (
            _symbol_icon(lambda p, at: draw_skipped(p, at, c, SKIPPED_SIZE_PX)),
            translate("IsolationDock", "Would not turn"),
            translate(
                "IsolationDock",
                "Inoperable, inaccessible or reported failed: the next ring of valves is closed instead",
            ),
        ),
    ]


def text_rect(center: QPointF, radius: float) -> QRectF:
    return QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius)
