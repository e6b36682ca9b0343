"""The 2D map: canvas (navigation, identify, overlays), layer adapters with level of detail, and pipe styles."""

from console.ui.map.canvas import MapCanvas
from console.ui.map.layers import VECTOR_MAX_SEGMENTS, MapData, prepare_map_data
from console.ui.map.styles import PIPE_STYLES, PipeClassification, StyleClass, classify_pipes

__all__ = [
    "PIPE_STYLES",
    "VECTOR_MAX_SEGMENTS",
    "MapCanvas",
    "MapData",
    "PipeClassification",
    "StyleClass",
    "classify_pipes",
    "prepare_map_data",
]
