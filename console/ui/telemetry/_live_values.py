"""Live values where the eye is: the identify panel shows the live value, unit, quality and age of the identified
sensor (or of the sensors on the identified device), kept current while it is shown."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer

from console.telemetry import SensorStatus
from console.ui.telemetry._overlay import STATE_COLORS, STATE_LABELS

__all__ = ["IdentifyLiveValues", "age_text"]

TICK_MS = 1000  # the age ticks on even when no reading arrives


def age_text(seconds: float) -> str:
    """``4 s``, ``3 min``, ``2 h 5 min``, ``3 d``.

    >>> age_text(4.2), age_text(185), age_text(7500), age_text(3 * 86400 + 5)
    ('4 s', '3 min', '2 h 5 min', '3 d')
    """
    s = max(float(seconds), 0.0)
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if s < 86400:
        return f"{int(s // 3600)} h {int(s % 3600 // 60)} min"
    return f"{s / 86400:.0f} d"


class IdentifyLiveValues(QObject):
    """Feeds :meth:`AttributesDock.set_live` from the telemetry controller's session."""

    def __init__(self, controller) -> None:
        super().__init__(controller)
        self.ctrl = controller
        self.dock = controller.window.attributes_dock
        self._hit = None
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.update)
        controller.canvas.featureIdentified.connect(self._on_feature_identified)
        controller.refreshed.connect(self.update)
        controller.sessionOpened.connect(lambda *_: self.update())

    def _on_feature_identified(self, hit) -> None:
        self._hit = hit
        self.update()

    def rows(self) -> list[tuple[str, str, str]]:
        """(sensor label, "value unit · quality · age", colour) of the identified feature's sensors."""
        s = self.ctrl.session
        if s is None or self._hit is None:
            return []
        snap = s.service.snapshot()
        colours = STATE_COLORS.get(self.ctrl.window.theme.name, STATE_COLORS["dark"])
        now = s.service.clock()
        out = []
        for sid in self.ctrl._sensors_of(self._hit):
            row = s.sensors.row(sid)
            if row < 0 or row >= len(snap.status):
                continue
            value, t = snap.last_value[row], snap.last_t[row]
            status = SensorStatus(int(snap.status[row]))
            if np.isfinite(value):
                text = f"{value:,.4g} {s.sensors.unit[row]} · {STATE_LABELS[status]} · {age_text(now - t)} ago"
            else:
                text = f"no reading yet · {STATE_LABELS[status]}"
            out.append((s.label(sid), text, colours[status]))
        return out

    def update(self) -> None:
        if self.dock.feature_id is None or self._hit is None or self._hit.feature_id != self.dock.feature_id:
            self._tick.stop()
            return
        rows = self.rows()
        has_sensors = bool(self.ctrl._sensors_of(self._hit)) if self.ctrl.session is not None else False
        self.dock.set_live(rows)
        if rows or has_sensors:
            self._tick.start()
        else:
            self._tick.stop()
