"""The gas network model (Qt-free): feature layers, schema, topology, spatial index, validation, demo, edits."""

from console.network._crs import cgcs2000_gk3_crs, cgcs2000_gk3_zone, outside_area_of_use, to_lonlat
from console.network._edit import AddFeatures, EditCommand, MoveNode, RemoveFeatures, SetAttribute
from console.network._grid import GridIndex
from console.network._ids import IdIndex
from console.network._model import GasNetwork, coerce_layer, empty_layer
from console.network._schema import (
    LAYERS,
    LINK_LAYERS,
    NODE_LAYERS,
    SENSOR_UNITS,
    Column,
    CustomerCategory,
    LayerSpec,
    LinkKind,
    Material,
    PipeStatus,
    PressureClass,
    RegulatorKind,
    SensorKind,
    ValvePosition,
    ValveType,
    layer_spec,
)
from console.network._spatial import PICK_ORDER, Hit, SpatialIndex
from console.network._topology import Topology, build_topology
from console.network._validation import CHECKS, Finding, ValidationReport, validate

__all__ = [
    "PICK_ORDER",
    "AddFeatures",
    "CHECKS",
    "EditCommand",
    "Finding",
    "MoveNode",
    "RemoveFeatures",
    "SetAttribute",
    "ValidationReport",
    "validate",
    "LAYERS",
    "LINK_LAYERS",
    "NODE_LAYERS",
    "SENSOR_UNITS",
    "Column",
    "CustomerCategory",
    "GasNetwork",
    "GridIndex",
    "Hit",
    "IdIndex",
    "LayerSpec",
    "LinkKind",
    "Material",
    "PipeStatus",
    "PressureClass",
    "RegulatorKind",
    "SensorKind",
    "SpatialIndex",
    "Topology",
    "ValvePosition",
    "ValveType",
    "build_topology",
    "cgcs2000_gk3_crs",
    "cgcs2000_gk3_zone",
    "coerce_layer",
    "empty_layer",
    "generate_demo",
    "layer_spec",
    "outside_area_of_use",
    "to_lonlat",
]


def __getattr__(name: str):
    # The demo generator pulls in scipy.spatial and friends; load it only when asked for, so opening a saved
    # network (the usual start-up) does not pay for it.
    if name == "generate_demo":
        from console.network._demo import generate_demo

        return generate_demo
    raise AttributeError(f"module 'console.network' has no attribute {name!r}")
