"""Sensors on the map coloured by their live state: one :class:`MarkerItem` per state, never one item per sensor.

The state markers sit where the network's sensor triangles are (up-right of the device they measure) and replace
their colour: normal stays the sensor cyan, a warning (HI/LO/rate of change, methane 25 % LEL) is amber, an alarm
(HIHI/LOLO, methane 50 % LEL) red, communication loss grey-violet, no data yet a hollow triangle. Normal and no-data
markers follow the sensor layer (its zoom threshold and its visibility in the layer panel); warnings, alarms and
stale sensors are drawn at every zoom and cannot be hidden by a layer switch — only shelving hides an alarm.
A ring blinks around every sensor with an unacknowledged alarm (ISA-101: unacknowledged alarms flash).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap

from console.telemetry import SensorStatus
from console.ui.map._items import MarkerItem
from console.ui.map._symbols import PointVariant, marker_pixmap

__all__ = ["STATE_COLORS", "STATE_LABELS", "SensorStateOverlay", "state_pixmap"]

_INF = float("inf")
SENSOR_ZOOM_M_PER_PX = 4.0  # the sensors layer's own threshold (console.ui.map._symbols)
OFFSET_PX = (8.0, -8.0)
STATE_COLORS = {
    "dark": {
        SensorStatus.NORMAL: "#00e5ff",
        SensorStatus.WARNING: "#ffb300",
        SensorStatus.ALARM: "#ff2d55",
        SensorStatus.STALE: "#9e8fc7",
        SensorStatus.NO_DATA: "#7d8a98",
    },
    "light": {
        SensorStatus.NORMAL: "#00838f",
        SensorStatus.WARNING: "#d98200",
        SensorStatus.ALARM: "#d0021b",
        SensorStatus.STALE: "#6f5fa3",
        SensorStatus.NO_DATA: "#8a96a3",
    },
}
# English, marked for translation: shown with translate("SensorState", STATE_LABELS[status]).
STATE_LABELS = {
    SensorStatus.NORMAL: QT_TRANSLATE_NOOP("SensorState", "Normal"),
    SensorStatus.WARNING: QT_TRANSLATE_NOOP("SensorState", "Warning"),
    SensorStatus.ALARM: QT_TRANSLATE_NOOP("SensorState", "Alarm"),
    SensorStatus.STALE: QT_TRANSLATE_NOOP("SensorState", "Communication lost"),
    SensorStatus.NO_DATA: QT_TRANSLATE_NOOP("SensorState", "No data yet"),
}
_SIZE = {
    SensorStatus.NORMAL: 10,
    SensorStatus.WARNING: 13,
    SensorStatus.ALARM: 16,
    SensorStatus.STALE: 11,
    SensorStatus.NO_DATA: 9,
}
_Z = {SensorStatus.NO_DATA: 70, SensorStatus.NORMAL: 71, SensorStatus.STALE: 72, SensorStatus.WARNING: 73}
_Z[SensorStatus.ALARM] = 74
_OUTLINE = ("#0c1117", "#ffffff")
_ALWAYS = (SensorStatus.WARNING, SensorStatus.ALARM, SensorStatus.STALE)


def _variant(status: SensorStatus) -> PointVariant:
    dark, light = STATE_COLORS["dark"][status], STATE_COLORS["light"][status]
    if status == SensorStatus.NO_DATA:  # hollow: an outline in the state colour, no fill
        return PointVariant("no_data", STATE_LABELS[status], "triangle", _SIZE[status], ("#00000000", "#00000000"),
                            (dark, light), SENSOR_ZOOM_M_PER_PX, offset_px=OFFSET_PX)  # fmt: skip
    limit = _INF if status in _ALWAYS else SENSOR_ZOOM_M_PER_PX
    return PointVariant(status.name.lower(), STATE_LABELS[status], "triangle", _SIZE[status], (dark, light), _OUTLINE,
                        limit, offset_px=OFFSET_PX)  # fmt: skip


VARIANTS = {s: _variant(s) for s in SensorStatus}


def state_pixmap(status: SensorStatus, theme: str, size: int = 18) -> QPixmap:
    """The state's marker centred on a ``size`` square (legends, the alarm list)."""
    from console.ui.map._symbols import symbol_pixmap

    return symbol_pixmap(VARIANTS[SensorStatus(status)], theme, size)


def _ring_pixmap(color: str, dpr: float, size_px: float = 26.0) -> QPixmap:
    side = int(np.ceil((size_px + 4) * dpr))
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(color))
    pen.setWidthF(2.6 * dpr)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    r = size_px * dpr / 2
    p.drawEllipse(QPointF(side / 2, side / 2), r, r)
    p.end()
    pix.setDevicePixelRatio(dpr)
    return pix


class SensorStateOverlay:
    """The state markers of every sensor of one network on a :class:`~console.ui.map.canvas.MapCanvas`."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self._theme = "dark"
        self._xy = np.empty((0, 2))
        self._status = np.empty(0, np.int8)
        self._unack = np.empty(0, bool)
        self._layer_visible = True
        self._mpp = 1.0
        self._blink_on = True
        self.items: dict[SensorStatus, MarkerItem] = {}
        for status in SensorStatus:
            item = MarkerItem()
            item.set_offset(*OFFSET_PX)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.items[status] = item
        self.ring = MarkerItem()
        self.ring.set_offset(*OFFSET_PX)
        self.ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._added = False
        self.set_theme(self._theme)

    # -- data --------------------------------------------------------------------------------------------------------
    def set_sensors(self, xy: np.ndarray) -> None:
        """Sensor positions in map coordinates, (n, 2), rows of the sensors layer."""
        self._xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self._status = np.full(len(self._xy), int(SensorStatus.NO_DATA), np.int8)
        self._unack = np.zeros(len(self._xy), bool)
        if not self._added:
            for status, item in self.items.items():
                self.canvas.add_overlay(item, _Z[status])
            self.canvas.add_overlay(self.ring, 75)
            self._added = True
        self._redraw()

    def update(self, status: np.ndarray, unacknowledged: np.ndarray) -> None:
        """New per-sensor :class:`SensorStatus` codes and unacknowledged flags (arrays over the sensor rows)."""
        status = np.asarray(status, dtype=np.int8)
        unack = np.asarray(unacknowledged, dtype=bool)
        if len(status) != len(self._xy):
            raise ValueError(f"{len(status)} sensor states for {len(self._xy)} sensors on the map")
        if np.array_equal(status, self._status) and np.array_equal(unack, self._unack):
            return
        self._status, self._unack = status.copy(), unack.copy()
        self._redraw()

    def _redraw(self) -> None:
        if not len(self._xy):
            for item in (*self.items.values(), self.ring):
                item.set_points(np.empty((0, 2)))
            return
        lx, ly = self.canvas.to_local(self._xy[:, 0], self._xy[:, 1])
        local = np.column_stack([lx, ly])
        for status, item in self.items.items():
            item.set_points(local[self._status == int(status)])
        flagged = self._unack & np.isin(self._status, [int(SensorStatus.WARNING), int(SensorStatus.ALARM)])
        self.ring.set_points(local[flagged])
        self._apply_visibility()

    # -- view --------------------------------------------------------------------------------------------------------
    def set_view(self, metres_per_pixel: float, sensors_layer_visible: bool) -> None:
        self._mpp = float(metres_per_pixel)
        self._layer_visible = bool(sensors_layer_visible)
        self._apply_visibility()

    def _apply_visibility(self) -> None:
        for status, item in self.items.items():
            v = VARIANTS[status]
            follows_layer = status not in _ALWAYS
            item.setVisible(self._mpp <= v.max_m_per_px and (self._layer_visible or not follows_layer))
        self.ring.setVisible(self._blink_on)

    def blink(self) -> None:
        """Toggle the unacknowledged rings (call at about 1 Hz)."""
        self._blink_on = not self._blink_on
        self.ring.setVisible(self._blink_on)

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        dpr = self.canvas.devicePixelRatioF() if hasattr(self.canvas, "devicePixelRatioF") else 1.0
        for status, item in self.items.items():
            item.set_pixmap(marker_pixmap(VARIANTS[status], theme, dpr))
        self.ring.set_pixmap(_ring_pixmap(STATE_COLORS[theme][SensorStatus.ALARM], dpr))

    def clear(self) -> None:
        self.set_sensors(np.empty((0, 2)))

    # -- queries -----------------------------------------------------------------------------------------------------
    def counts(self) -> dict[SensorStatus, int]:
        return {s: int(np.count_nonzero(self._status == int(s))) for s in SensorStatus}

    @property
    def ring_count(self) -> int:
        return self.ring.count()

    def nearest(self, x: float, y: float, radius_px: float = 12.0) -> int:
        """Row of the drawn sensor marker nearest to map point (x, y) within ``radius_px``, or -1."""
        if not len(self._xy):
            return -1
        mpp = self._mpp
        shown = np.zeros(len(self._xy), bool)
        for status, item in self.items.items():
            if item.isVisible():
                shown |= self._status == int(status)
        if not shown.any():
            return -1
        # markers are drawn OFFSET_PX from their point (screen y grows downwards, map y upwards)
        cx = self._xy[:, 0] + OFFSET_PX[0] * mpp
        cy = self._xy[:, 1] - OFFSET_PX[1] * mpp
        d = np.hypot(cx - x, cy - y)
        d[~shown] = np.inf
        row = int(np.argmin(d))
        return row if d[row] <= radius_px * mpp else -1
