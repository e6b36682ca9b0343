"""The gas network model (Qt-free): feature layers, schema, topology, spatial index, validation, demo, edits."""

from console.network._addresses import Addresses, derive_addresses
from console.network._changes import (
    ApplyChangeSet,
    ChangeConflict,
    ChangeSetError,
    FeatureChange,
    changes_from_json,
    changes_to_json,
    diff_networks,
    feature_values,
    find_conflicts,
)
from console.network._crs import cgcs2000_gk3_crs, cgcs2000_gk3_zone, outside_area_of_use, to_lonlat
from console.network._demo_buildings import Buildings, derive_buildings
from console.network._edit import AddFeatures, EditCommand, MoveNode, RemoveFeatures, SetAttribute
from console.network._edits import (
    DN_LIST,
    AddPipe,
    CompositeEdit,
    DeleteFeatures,
    DeleteRows,
    EditRefused,
    InsertDevice,
    InsertRows,
    MoveFeature,
    ReshapePipe,
    SnapTarget,
    SplitPipe,
    attribute_problems,
    dependants_of,
    next_id,
    parse_value,
    snap,
)
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
from console.network._undo import UndoStack
from console.network._validation import CHECKS, Finding, ValidationReport, validate

__all__ = [
    "PICK_ORDER",
    "AddFeatures",
    "AddPipe",
    "DN_LIST",
    "ApplyChangeSet",
    "ChangeConflict",
    "ChangeSetError",
    "CompositeEdit",
    "DeleteFeatures",
    "DeleteRows",
    "EditRefused",
    "FeatureChange",
    "InsertDevice",
    "InsertRows",
    "MoveFeature",
    "ReshapePipe",
    "SnapTarget",
    "SplitPipe",
    "UndoStack",
    "changes_from_json",
    "changes_to_json",
    "attribute_problems",
    "dependants_of",
    "diff_networks",
    "feature_values",
    "find_conflicts",
    "next_id",
    "parse_value",
    "snap",
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
    "Addresses",
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
    "derive_addresses",
    "Buildings",
    "derive_buildings",
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
