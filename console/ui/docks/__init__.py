"""Dock panels: the layer panel with legend, and the identify (attributes) panel."""

from console.ui.docks.attributes_dock import AttributesDock
from console.ui.docks.layers_dock import LayersDock

__all__ = ["AttributesDock", "LayersDock"]
