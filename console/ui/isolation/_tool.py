"""The "Isolate here" map tool: which click on the map becomes which break position.

The canvas has no tool of its own for this; a small event filter on its viewport reports left clicks (a press and
release within a few pixels — a drag still pans) and tooltip requests. Picking goes through the network's spatial
index like identify does, so a click on a pipe breaks that pipe at the clicked fraction of its length, and a click on
a node, valve or regulator breaks it there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtWidgets import QToolTip

from console.isolation import Break
from console.network import GasNetwork, Hit
from console.ui.map.canvas import IDENTIFY_TOLERANCE_PX, PICK_ORDER

__all__ = ["BREAK_LAYERS", "MapClickFilter", "break_at", "pick_break"]

# What a break can be on: everything in the pipe network except attached sensors.
BREAK_LAYERS = tuple(layer for layer in PICK_ORDER if layer != "sensors")
_CLICK_SLOP_PX = 4.0


def pick_break(canvas, x: float, y: float) -> Hit | None:
    """The feature drawn nearest (x, y) that can hold a break (as identify picks, but never a sensor)."""
    network = canvas.network
    if network is None:
        return None
    mpp = canvas.metres_per_pixel()
    layers = tuple(
        name
        for name in BREAK_LAYERS
        if (name == "pipes" and canvas.pipes.visible)
        or (name in canvas.points and canvas.points[name].drawn(mpp))
        or name == "links"
    )
    return network.spatial.nearest(x, y, IDENTIFY_TOLERANCE_PX * mpp, layers)


def break_at(network: GasNetwork, hit: Hit, x: float, y: float) -> Break:
    """The break for a click at (x, y) on ``hit``: on a line, the fraction of its length nearest the click."""
    geom = network[hit.layer].geometry.array[hit.row]
    if shapely.get_type_id(geom) in (1, 5):  # LineString, MultiLineString
        fraction = float(shapely.line_locate_point(geom, shapely.Point(x, y), normalized=True))
        return Break(hit.feature_id, round(float(np.clip(fraction, 0.0, 1.0)), 4))
    return Break(hit.feature_id)


class MapClickFilter(QObject):
    """Reports left clicks (``on_click(widget_pos, modifiers)``) and tooltip requests on the canvas viewport."""

    def __init__(
        self,
        canvas,
        on_click: Callable[[QPointF, Qt.KeyboardModifier], None],
        on_tooltip: Callable[[QPointF], str | None],
    ) -> None:
        super().__init__(canvas)
        self._viewport = canvas.viewport()
        self._on_click = on_click
        self._on_tooltip = on_tooltip
        self._press: tuple[QPointF, Qt.KeyboardModifier] | None = None
        self._viewport.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position(), event.modifiers())
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            press, self._press = self._press, None
            if press is not None:
                d = event.position() - press[0]
                if abs(d.x()) + abs(d.y()) <= _CLICK_SLOP_PX:
                    self._on_click(event.position(), event.modifiers() | press[1])
        elif kind == QEvent.Type.ToolTip:
            text = self._on_tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self._viewport)
                return True
        return False
