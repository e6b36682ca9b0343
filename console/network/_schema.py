"""Feature classes, attribute schemas and code lists of a city gas network.

The network is a node-link graph:

* **node layers** (points): junctions, gate stations (门站), customers/meters, risers (立管), end caps;
* **link layers** with ``from_node``/``to_node``: pipes (lines) and the in-line devices valves, regulators
  (调压站/调压箱) and other typed links (compressors, resistors, short pipes, pumps) kept from imported models;
* **attached layers**: sensors, which sit on a feature (``feature_id``) but are not part of the topology.

In-line devices are links rather than nodes because that is how GasLib, EPANET and the hydraulic solver see them: a
regulator has an inlet and an outlet side, a valve joins two valve segments. A device link carries a point geometry
(where the crew finds it); its two end nodes normally sit within a metre of it.

Pressures are gauge pressures in MPa, as GB 50028 states them; lengths in m; diameters in mm; flows in Nm³/h.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = [
    "PressureClass",
    "Material",
    "PipeStatus",
    "ValvePosition",
    "ValveType",
    "RegulatorKind",
    "CustomerCategory",
    "SensorKind",
    "LinkKind",
    "Column",
    "LayerSpec",
    "LAYERS",
    "NODE_LAYERS",
    "LINK_LAYERS",
    "layer_spec",
]


class PressureClass(StrEnum):
    """Design pressure classes of GB 50028 (城镇燃气设计规范), gauge MPa, lower bound exclusive."""

    LP = "LP"  # 低压 < 0.01
    MP_B = "MP-B"  # 中压B 0.01–0.2
    MP_A = "MP-A"  # 中压A 0.2–0.4
    SHP_B = "SHP-B"  # 次高压B 0.4–0.8
    SHP_A = "SHP-A"  # 次高压A 0.8–1.6
    HP_B = "HP-B"  # 高压B 1.6–2.5
    HP_A = "HP-A"  # 高压A 2.5–4.0

    @property
    def range_mpa(self) -> tuple[float, float]:
        return _CLASS_RANGES[self]

    @property
    def label_zh(self) -> str:
        return _CLASS_ZH[self]

    @property
    def rank(self) -> int:
        """0 for LP up to 6 for HP-A: compare classes by rank, never by name."""
        return _CLASS_ORDER.index(self)

    @classmethod
    def for_pressure(cls, pressure_mpa: float | np.ndarray) -> PressureClass | np.ndarray:
        """The class a gauge pressure (MPa) falls in; vectorised over arrays (returns an array of codes).

        >>> PressureClass.for_pressure(0.0025)
        <PressureClass.LP: 'LP'>
        >>> PressureClass.for_pressure(0.4).value  # upper bounds are inclusive
        'MP-A'
        >>> PressureClass.for_pressure(np.array([0.005, 0.3, 1.0])).tolist()
        ['LP', 'MP-A', 'SHP-A']
        """
        p = np.asarray(pressure_mpa, dtype=float)
        if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 4.0):
            raise ValueError(f"pressure outside GB 50028 classes (0–4.0 MPa gauge): {pressure_mpa!r}")
        uppers = np.array([_CLASS_RANGES[c][1] for c in _CLASS_ORDER])
        idx = np.searchsorted(uppers, p, side="left")
        codes = np.array([c.value for c in _CLASS_ORDER], dtype=object)[idx]
        return cls(codes) if p.ndim == 0 else codes


_CLASS_ORDER = list(PressureClass)
_CLASS_RANGES = {
    PressureClass.LP: (0.0, 0.01),
    PressureClass.MP_B: (0.01, 0.2),
    PressureClass.MP_A: (0.2, 0.4),
    PressureClass.SHP_B: (0.4, 0.8),
    PressureClass.SHP_A: (0.8, 1.6),
    PressureClass.HP_B: (1.6, 2.5),
    PressureClass.HP_A: (2.5, 4.0),
}
_CLASS_ZH = {
    PressureClass.LP: "低压",
    PressureClass.MP_B: "中压B",
    PressureClass.MP_A: "中压A",
    PressureClass.SHP_B: "次高压B",
    PressureClass.SHP_A: "次高压A",
    PressureClass.HP_B: "高压B",
    PressureClass.HP_A: "高压A",
}


class Material(StrEnum):
    PE80 = "PE80"
    PE100 = "PE100"
    STEEL = "steel"
    DUCTILE_IRON = "ductile_iron"
    CAST_IRON = "cast_iron"
    UNKNOWN = "unknown"


class PipeStatus(StrEnum):
    IN_SERVICE = "in_service"
    PLANNED = "planned"
    ABANDONED = "abandoned"
    CLOSED = "closed"  # in place and sound, but shut (an imported model's CLOSED pipe): carries no gas


class ValvePosition(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ValveType(StrEnum):
    BALL = "ball"
    GATE = "gate"
    PLUG = "plug"
    BUTTERFLY = "butterfly"
    CHECK = "check"
    EMERGENCY_SHUTOFF = "emergency_shutoff"  # 紧急切断阀
    UNKNOWN = "unknown"


class RegulatorKind(StrEnum):
    STATION = "station"  # 调压站
    BOX = "box"  # 调压箱
    CABINET = "cabinet"  # 调压柜
    CONTROL_VALVE = "control_valve"  # an imported model's control valve (GasLib)


class CustomerCategory(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"
    SPECIAL = "special"  # hospitals, schools, care homes … served first and named in every outage report


class SensorKind(StrEnum):
    PRESSURE = "pressure"
    FLOW = "flow"
    METHANE = "methane"  # %LEL, alarms at 25 % and 50 % LEL (GB/T 50493)
    TEMPERATURE = "temperature"
    VALVE_POSITION = "valve_position"


class LinkKind(StrEnum):
    """Typed links kept from imported models that are neither pipes, valves nor regulators."""

    COMPRESSOR = "compressor"
    RESISTOR = "resistor"
    SHORT_PIPE = "short_pipe"
    PUMP = "pump"


SENSOR_UNITS = {
    SensorKind.PRESSURE: "kPa",
    SensorKind.FLOW: "Nm3/h",
    SensorKind.METHANE: "%LEL",
    SensorKind.TEMPERATURE: "degC",
    SensorKind.VALVE_POSITION: "%open",
}


@dataclass(frozen=True)
class Column:
    """One attribute column: ``kind`` is str, float, int, bool or the StrEnum whose values it takes."""

    name: str
    kind: type
    required: bool = False
    default: object = None
    unit: str = ""
    label: str = ""


@dataclass(frozen=True)
class LayerSpec:
    """A feature class: its layer name, role in the topology, geometry type and columns (``id`` is implicit)."""

    name: str
    role: str  # "node" | "link" | "attached"
    geometry: str  # "Point" | "LineString"
    label: str
    label_zh: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return ["id", *(c.name for c in self.columns)]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"layer {self.name!r} has no column {name!r}")


_NODE_COLS = (Column("name", str, default=""), Column("elevation_m", float, default=0.0, unit="m"))
_LINK_COLS = (Column("from_node", str, required=True), Column("to_node", str, required=True))

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec("junctions", "node", "Point", "Junctions", "节点", _NODE_COLS),
        LayerSpec(
            "gate_stations",
            "node",
            "Point",
            "Gate stations",
            "门站",
            (
                *_NODE_COLS,
                Column("supply_pressure_mpa", float, required=True, unit="MPa"),
                Column("capacity_nm3h", float, default=np.nan, unit="Nm³/h"),
            ),
        ),
        LayerSpec(
            "customers",
            "node",
            "Point",
            "Customers / meters",
            "用户/表具",
            (
                *_NODE_COLS,
                Column("category", CustomerCategory, default=CustomerCategory.RESIDENTIAL),
                Column("special_kind", str, default=""),  # hospital, school, care_home, kindergarten …
                Column("households", int, default=0),
                Column("peak_demand_nm3h", float, default=0.0, unit="Nm³/h"),
                Column("meter_id", str, default=""),
            ),
        ),
        LayerSpec("risers", "node", "Point", "Risers", "立管", (*_NODE_COLS, Column("floors", int, default=0))),
        LayerSpec("end_caps", "node", "Point", "End caps", "管帽/堵头", _NODE_COLS),
        LayerSpec(
            "pipes",
            "link",
            "LineString",
            "Pipes",
            "管道",
            (
                *_LINK_COLS,
                Column("length_m", float, required=True, unit="m"),
                Column("dn", int, required=True, unit="mm", label="nominal diameter DN"),
                Column("inner_diameter_mm", float, required=True, unit="mm"),
                Column("material", Material, default=Material.UNKNOWN),
                Column("pressure_class", PressureClass, required=True),
                Column("roughness_mm", float, default=0.05, unit="mm"),
                Column("install_year", int, default=0),
                Column("depth_m", float, default=np.nan, unit="m"),
                Column("status", PipeStatus, default=PipeStatus.IN_SERVICE),
            ),
        ),
        LayerSpec(
            "valves",
            "link",
            "Point",
            "Valves",
            "阀门",
            (
                *_LINK_COLS,
                Column("normal_position", ValvePosition, default=ValvePosition.OPEN),
                Column("operable", bool, default=True),
                Column("accessible", bool, default=True),
                Column("valve_type", ValveType, default=ValveType.UNKNOWN),
                Column("dn", int, default=0, unit="mm"),
                Column("remote_controlled", bool, default=False),
            ),
        ),
        LayerSpec(
            "regulators",
            "link",
            "Point",
            "Regulators",
            "调压站/调压箱",
            (
                *_LINK_COLS,  # from_node is the inlet side, to_node the outlet side
                Column("name", str, default=""),
                Column("kind", RegulatorKind, default=RegulatorKind.BOX),
                Column("inlet_class", PressureClass, required=True),
                Column("outlet_class", PressureClass, required=True),
                Column("set_outlet_pressure_mpa", float, required=True, unit="MPa"),
                Column("capacity_nm3h", float, default=np.nan, unit="Nm³/h"),
            ),
        ),
        LayerSpec(
            "links",
            "link",
            "LineString",
            "Other links",
            "其他连接",
            (
                *_LINK_COLS,
                Column("kind", LinkKind, required=True),
                Column("name", str, default=""),
                Column("length_m", float, default=np.nan, unit="m"),
                Column("diameter_mm", float, default=np.nan, unit="mm"),
                Column("normal_position", ValvePosition, default=ValvePosition.OPEN),
            ),
        ),
        LayerSpec(
            "sensors",
            "attached",
            "Point",
            "Sensors",
            "监测点",
            (
                Column("kind", SensorKind, required=True),
                Column("unit", str, default=""),
                Column("feature_id", str, default=""),
                Column("name", str, default=""),
            ),
        ),
    )
}

NODE_LAYERS: tuple[str, ...] = tuple(n for n, s in LAYERS.items() if s.role == "node")
LINK_LAYERS: tuple[str, ...] = tuple(n for n, s in LAYERS.items() if s.role == "link")


def layer_spec(name: str) -> LayerSpec:
    try:
        return LAYERS[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; layers are {', '.join(LAYERS)}") from None
