"""Dock panels: the layer panel with legend, and the identify (attributes) panel."""

from console.ui.docks._identify import follow_identify
from console.ui.docks._picking import features_at, pick_asset
from console.ui.docks.attributes_dock import AttributesDock
from console.ui.docks.layers_dock import LayersDock

__all__ = ["AttributesDock", "LayersDock", "features_at", "follow_identify", "pick_asset"]
