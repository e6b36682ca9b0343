"""Alarm limits per sensor (报警限值): high/low limits, deadband, rate of change, on/off delays, stale timeout,
priorities and the instrument range, as arrays aligned with the sensors layer.

Defaults, in the order they apply (later ones win):

1. by sensor kind (:data:`KIND_DEFAULTS`): methane at 25 % LEL (warning, HI) and 50 % LEL (alarm, HIHI) per
   GB/T 50493; temperature and valve-position bands; delays per ISA-18.2 TR5 (pressure and flow 15 s, temperature
   60 s) and deadbands per EEMUA 191 (pressure 2 %, flow 5 %, temperature 1 °C);
2. pressure sensors by GB 50028 pressure class (:data:`CLASS_LIMITS_KPA`) where the set pressure of their zone is
   unknown, otherwise relative to it (:data:`SETPOINT_FACTORS`: a low-pressure zone set at 2.2 kPa alarms HI at
   2.42 kPa rather than at the class's 3.5 kPa);
3. a limits file (JSON, :func:`AlarmLimits.with_overrides`): ``{"classes": {"LP": {"hi": 3.2}}, "kinds": {"flow":
   {"hi": 5000}}, "sensors": {"S-00004": {"hihi": 3.0, "priority": {"HIHI": 1}}}}``.

A NaN limit disables its condition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from console.errors import SchemaError
from console.network import PressureClass, SensorKind
from console.telemetry._sensors import KINDS, SensorTable
from console.telemetry._types import CONDITIONS, Condition, Priority

__all__ = ["AlarmLimits", "CLASS_LIMITS_KPA", "KIND_DEFAULTS", "LIMIT_FIELDS", "SETPOINT_FACTORS"]

NAN = float("nan")

# (lolo, lo, hi, hihi) in gauge kPa by GB 50028 class: HIHI at the class's maximum operating pressure, LO at its lower
# bound (for LP: the 1.5 kPa below which domestic appliances rated 2 kPa burn badly).
CLASS_LIMITS_KPA: dict[PressureClass, tuple[float, float, float, float]] = {
    PressureClass.LP: (1.0, 1.5, 3.5, 5.0),
    PressureClass.MP_B: (30.0, 50.0, 190.0, 200.0),
    PressureClass.MP_A: (150.0, 200.0, 380.0, 400.0),
    PressureClass.SHP_B: (300.0, 400.0, 760.0, 800.0),
    PressureClass.SHP_A: (600.0, 800.0, 1520.0, 1600.0),
    PressureClass.HP_B: (1200.0, 1600.0, 2375.0, 2500.0),
    PressureClass.HP_A: (1875.0, 2500.0, 3800.0, 4000.0),
}
# (lolo, lo, hi, hihi) as multiples of the zone's source pressure (regulator set point or gate station supply):
# regulators hold ±10 % (AC10); slam-shut valves trip near 1.3×, so HIHI warns before they do.
SETPOINT_FACTORS = (0.55, 0.75, 1.10, 1.25)

LIMIT_FIELDS = (
    "hihi",
    "hi",
    "lo",
    "lolo",
    "deadband",
    "roc_per_min",
    "on_delay_s",
    "off_delay_s",
    "stale_after_s",
    "range_min",
    "range_max",
)

KIND_DEFAULTS: dict[SensorKind, dict[str, float]] = {
    SensorKind.PRESSURE: {  # limits come from the class or zone; deadband and rate of change are set relative to them
        "on_delay_s": 15.0,
        "off_delay_s": 15.0,
        "stale_after_s": 120.0,
        "range_min": -10.0,
        "range_max": 10_000.0,
    },
    SensorKind.FLOW: {
        "on_delay_s": 15.0,
        "off_delay_s": 15.0,
        "stale_after_s": 120.0,
        "range_min": -1e6,
        "range_max": 1e6,
    },
    SensorKind.METHANE: {
        "hi": 25.0,
        "hihi": 50.0,
        "deadband": 2.0,
        "on_delay_s": 3.0,
        "off_delay_s": 10.0,
        "stale_after_s": 120.0,
        "range_min": -5.0,
        "range_max": 100.0,
    },
    SensorKind.TEMPERATURE: {
        "lolo": -5.0,
        "lo": 0.0,
        "hi": 40.0,
        "hihi": 50.0,
        "deadband": 1.0,
        "on_delay_s": 60.0,
        "off_delay_s": 60.0,
        "stale_after_s": 300.0,
        "range_min": -60.0,
        "range_max": 120.0,
    },
    SensorKind.VALVE_POSITION: {  # normally open valves: LO/LOLO; normally closed: HI/HIHI (set in defaults())
        "deadband": 2.0,
        "on_delay_s": 5.0,
        "off_delay_s": 5.0,
        "stale_after_s": 300.0,
        "range_min": -5.0,
        "range_max": 105.0,
    },
}

_PRIORITY_DEFAULT = {
    Condition.HIHI: Priority.HIGH,
    Condition.HI: Priority.MEDIUM,
    Condition.LO: Priority.MEDIUM,
    Condition.LOLO: Priority.HIGH,
    Condition.ROC: Priority.MEDIUM,
    Condition.STALE: Priority.LOW,
}


@dataclass(frozen=True, eq=False)
class AlarmLimits:
    """Per-sensor alarm settings as float64 arrays of length n (NaN disables), plus priorities (n × conditions).

    ``deadband`` is in the sensor's unit (hysteresis: a HI alarm clears below ``hi - deadband``); ``roc_per_min`` is
    the absolute rate of change (unit per minute) that raises ROC; delays are seconds a condition must persist
    before it activates (``on_delay_s``; ROC has none) or clears (``off_delay_s``); ``stale_after_s`` the silence
    after which communication is taken as lost; ``range_min``/``range_max`` the instrument range outside which a
    reading is dropped as out of range.
    """

    sensor_ids: np.ndarray
    hihi: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    lolo: np.ndarray
    deadband: np.ndarray
    roc_per_min: np.ndarray
    on_delay_s: np.ndarray
    off_delay_s: np.ndarray
    stale_after_s: np.ndarray
    range_min: np.ndarray
    range_max: np.ndarray
    priority: np.ndarray  # int8 (n, len(CONDITIONS))

    def __len__(self) -> int:
        return len(self.sensor_ids)

    @classmethod
    def defaults(cls, sensors: SensorTable, class_limits: Mapping[PressureClass, tuple] | None = None) -> AlarmLimits:
        """The default limits of every sensor of ``sensors`` (see the module docstring)."""
        n = len(sensors)
        cols = {f: np.full(n, NAN) for f in LIMIT_FIELDS}
        for k, kind in enumerate(KINDS):
            mask = sensors.kind == k
            for f, value in KIND_DEFAULTS.get(kind, {}).items():
                cols[f][mask] = value
        priority = np.tile(np.array([_PRIORITY_DEFAULT[c] for c in CONDITIONS], np.int8), (n, 1))

        methane = sensors.kind == KINDS.index(SensorKind.METHANE)
        priority[methane, Condition.HIHI.code] = Priority.CRITICAL
        priority[methane, Condition.HI.code] = Priority.HIGH

        table = dict(CLASS_LIMITS_KPA)
        table.update(class_limits or {})
        pressure = sensors.kind == KINDS.index(SensorKind.PRESSURE)
        by_class = np.full((n, 4), NAN)
        known_class = pressure & (sensors.pressure_class >= 0)
        class_rows = np.array([table[c] for c in PressureClass], dtype=float)  # rank order
        by_class[known_class] = class_rows[sensors.pressure_class[known_class]]
        by_zone = sensors.zone_source_kpa[:, None] * np.array(SETPOINT_FACTORS)[None, :]
        use_zone = pressure & np.isfinite(sensors.zone_source_kpa)
        four = np.where(use_zone[:, None], by_zone, by_class)
        for j, f in enumerate(("lolo", "lo", "hi", "hihi")):
            cols[f][pressure] = four[pressure, j]
        # Deadband 2 % and rate of change 20 % per minute of the pressure level the sensor normally sees.
        level = np.where(use_zone, sensors.zone_source_kpa, four[:, 3] / 1.25)
        cols["deadband"][pressure] = 0.02 * level[pressure]
        cols["roc_per_min"][pressure] = 0.20 * level[pressure]

        valve = sensors.kind == KINDS.index(SensorKind.VALVE_POSITION)
        closed = valve & sensors.normally_closed
        opened = valve & ~sensors.normally_closed
        cols["lo"][opened], cols["lolo"][opened] = 90.0, 10.0
        cols["hi"][closed], cols["hihi"][closed] = 10.0, 90.0
        for f in ("deadband", "on_delay_s", "off_delay_s"):
            cols[f] = np.nan_to_num(cols[f], nan=0.0)  # unset means none, not "never"
        return cls(sensor_ids=sensors.ids, priority=priority, **cols)

    def with_overrides(self, spec: Mapping[str, Any], sensors: SensorTable | None = None) -> AlarmLimits:
        """A copy with a limits specification applied (``classes`` needs ``sensors``, see the module docstring).

        Raises :class:`console.errors.SchemaError` naming the sensor and field for unknown sensors, unknown fields
        and inconsistent limits (they must satisfy lolo <= lo <= hi <= hihi where set).
        """
        unknown_keys = set(spec) - {"classes", "kinds", "sensors"}
        if unknown_keys:
            raise SchemaError(f"alarm limits: unknown sections {sorted(unknown_keys)}; use classes, kinds, sensors")
        out = self
        if spec.get("classes"):
            if sensors is None:
                raise SchemaError("alarm limits: 'classes' overrides need the sensor table")
            table = {}
            for name, fields in spec["classes"].items():
                try:
                    cls_ = PressureClass(name)
                except ValueError:
                    raise SchemaError(f"alarm limits: unknown pressure class {name!r}") from None
                base = dict(zip(("lolo", "lo", "hi", "hihi"), CLASS_LIMITS_KPA[cls_], strict=True))
                base.update({k: float(v) for k, v in fields.items()})
                table[cls_] = (base["lolo"], base["lo"], base["hi"], base["hihi"])
            fresh = AlarmLimits.defaults(sensors, table)
            by_class = np.isnan(sensors.zone_source_kpa) & (sensors.pressure_class >= 0)
            cols = {f: np.where(by_class, getattr(fresh, f), getattr(out, f)) for f in LIMIT_FIELDS}
            out = replace(out, **cols)
        cols = {f: getattr(out, f).copy() for f in LIMIT_FIELDS}
        priority = out.priority.copy()
        index = {sid: i for i, sid in enumerate(self.sensor_ids)}
        kinds = sensors.kind if sensors is not None else None
        for kind_name, fields in (spec.get("kinds") or {}).items():
            try:
                k = KINDS.index(SensorKind(kind_name))
            except ValueError:
                raise SchemaError(f"alarm limits: unknown sensor kind {kind_name!r}") from None
            if kinds is None:
                raise SchemaError("alarm limits: 'kinds' overrides need the sensor table")
            _apply(cols, priority, np.flatnonzero(kinds == k), fields, f"kind {kind_name!r}")
        for sid, fields in (spec.get("sensors") or {}).items():
            if sid not in index:
                raise SchemaError(f"alarm limits: {sid!r} is not a sensor of the network")
            _apply(cols, priority, np.array([index[sid]]), fields, f"sensor {sid!r}")
        result = AlarmLimits(sensor_ids=self.sensor_ids, priority=priority, **cols)
        result.check()
        return result

    @classmethod
    def load(cls, path: str | Path, sensors: SensorTable) -> AlarmLimits:
        """Defaults for ``sensors`` with the JSON limits file at ``path`` applied."""
        try:
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaError(f"{path}: cannot read alarm limits ({exc})") from None
        if not isinstance(spec, dict):
            raise SchemaError(f"{path}: alarm limits must be a JSON object")
        try:
            return cls.defaults(sensors).with_overrides(spec, sensors)
        except SchemaError as exc:
            raise SchemaError(f"{path}: {exc}") from None

    def check(self) -> None:
        """Raise SchemaError naming the first sensors whose limits are out of order."""
        order = np.column_stack([self.lolo, self.lo, self.hi, self.hihi])
        bad = np.zeros(len(self), bool)
        for a in range(4):
            for b in range(a + 1, 4):
                bad |= order[:, a] > order[:, b]  # NaN compares False: unset limits never conflict
        bad |= self.deadband < 0
        if bad.any():
            ids = self.sensor_ids[bad][:5].tolist()
            raise SchemaError(f"alarm limits of {ids} are not ordered lolo <= lo <= hi <= hihi with deadband >= 0")

    def for_sensor(self, row: int) -> dict[str, Any]:
        """One sensor's settings as a plain dict (for a properties panel)."""
        out: dict[str, Any] = {f: float(getattr(self, f)[row]) for f in LIMIT_FIELDS}
        out["priority"] = {c.value: int(self.priority[row, c.code]) for c in CONDITIONS}
        return out

    def take(self, rows: np.ndarray) -> AlarmLimits:
        """Limits of a subset of sensors (for a sensor table reordered after an edit)."""
        cols = {f: getattr(self, f)[rows] for f in LIMIT_FIELDS}
        return AlarmLimits(sensor_ids=self.sensor_ids[rows], priority=self.priority[rows], **cols)


def _apply(cols: dict[str, np.ndarray], priority: np.ndarray, rows: np.ndarray, fields: Mapping, where: str) -> None:
    for name, value in fields.items():
        if name == "priority":
            for cond, p in dict(value).items():
                try:
                    priority[rows, Condition(cond).code] = Priority(int(p))
                except ValueError:
                    raise SchemaError(f"alarm limits of {where}: bad priority {cond!r}: {p!r}") from None
            continue
        if name not in cols:
            raise SchemaError(f"alarm limits of {where}: unknown field {name!r}; fields are {', '.join(LIMIT_FIELDS)}")
        try:
            cols[name][rows] = NAN if value is None else float(value)
        except (TypeError, ValueError):
            raise SchemaError(f"alarm limits of {where}: {name} = {value!r} is not a number") from None
