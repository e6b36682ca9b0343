"""Live values where the eye is: the identify panel shows the live value, unit, quality and age of the identified
sensor (or of the sensors on the identified device), kept current while it is shown."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QTimer

from console.telemetry import SensorStatus
from console.ui.i18n import translate
from console.ui.telemetry._overlay import STATE_COLORS, STATE_LABELS

__all__ = ["IdentifyLiveValues", "age_text", "alarm_text"]

TICK_MS = 1000  # the age ticks on even when no reading arrives


def age_text(seconds: float) -> str:
    """``4 s``, ``3 min``, ``2 h 5 min``, ``3 d``.

    >>> age_text(4.2), age_text(185), age_text(7500), age_text(3 * 86400 + 5)
    ('4 s', '3 min', '2 h 5 min', '3 d')
    """
    s = max(float(seconds), 0.0)
    if s < 90:
        return translate("SensorState", "{n} s").format(n=f"{s:.0f}")
    if s < 5400:
        return translate("SensorState", "{n} min").format(n=f"{s / 60:.0f}")
    if s < 86400:
        return translate("SensorState", "{h} h {m} min").format(h=int(s // 3600), m=int(s % 3600 // 60))
    return translate("SensorState", "{n} d").format(n=f"{s / 86400:.0f}")


_STATE_WORDS = {
    "unack_active": QT_TRANSLATE_NOOP("SensorState", "unacknowledged"),
    "ack_active": QT_TRANSLATE_NOOP("SensorState", "acknowledged"),
    "unack_rtn": QT_TRANSLATE_NOOP("SensorState", "returned, unacknowledged"),
    "shelved": QT_TRANSLATE_NOOP("SensorState", "shelved"),
    "suppressed": QT_TRANSLATE_NOOP("SensorState", "suppressed"),
    "out_of_service": QT_TRANSLATE_NOOP("SensorState", "out of service"),
}
_ORDER = {"HIHI": 0, "LOLO": 1, "HI": 2, "LO": 3, "ROC": 4, "STALE": 5}


def alarm_text(records) -> str:
    """The alarm-list records of one sensor as the identify panel says them ("HI alarm (unacknowledged)"), the
    most severe condition first; "" when the sensor has none in the list."""
    parts = []
    for rec in sorted(records, key=lambda r: _ORDER.get(str(r.condition), 9)):
        state = str(rec.state)
        state = translate("SensorState", _STATE_WORDS[state]) if state in _STATE_WORDS else state
        if rec.active:
            text = translate("SensorState", "{condition} alarm ({state})")
        else:
            text = translate("SensorState", "{condition} cleared ({state})")
        parts.append(text.format(condition=rec.condition, state=state))
    return translate("SensorState", ", ").join(parts)


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
        alarms: dict[str, list] = {}  # the alarm list's own records: the panel never says "Normal" beside an alarm
        for rec in s.service.alarm_list():
            alarms.setdefault(rec.sensor_id, []).append(rec)
        out = []
        for sid in self.ctrl._sensors_of(self._hit):
            row = s.sensors.row(sid)
            if row < 0 or row >= len(snap.status):
                continue
            value, t = snap.last_value[row], snap.last_t[row]
            status = SensorStatus(int(snap.status[row]))
            state = alarm_text(alarms.get(sid, [])) or translate("SensorState", STATE_LABELS[status])
            if np.isfinite(value):
                text = translate("SensorState", "{value} · {state} · {age} ago").format(
                    value=f"{value:,.4g} {s.sensors.unit[row]}", state=state, age=age_text(now - t)
                )
            else:
                text = translate("SensorState", "no reading yet · {state}").format(state=state)
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
