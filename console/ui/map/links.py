"""Other links on the map: compressors, resistors, short pipes and pumps, and the connectors of in-line
devices whose two ends lie apart.

Imported models keep links that are neither pipes, valves nor regulators (GasLib's short pipes, compressor stations
and resistors; EPANET's pumps). Each kind is drawn as one :class:`SegmentsItem` with its own pen, so the whole layer
is a handful of items. Valves and regulators are point symbols at their midpoint; where their end nodes lie apart
(a GasLib control valve or valve joins nodes metres to kilometres apart on the schematic) a thin dotted connector
joins the ends, so the network shows no gaps. In the demo they are a metre or two long and are not drawn.

The segments are built Qt-free (:func:`link_segments`) and cached per network version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.network import GasNetwork
from console.ui.map._buffers import build_segment_buffers
from console.ui.map._items import SegmentsItem, make_pen

__all__ = ["CONNECTOR_MIN_M", "LINK_STYLES", "LinkStyle", "LinksLayer", "link_segments"]

CONNECTOR_MIN_M = 5.0  # devices shorter than this end to end need no connector: their symbol covers the gap
_MAX_CONNECTORS = 100_000


@dataclass(frozen=True)
class LinkStyle:
    label: str
    color: str
    width_px: float
    dash: str = "solid"


# Kind of link (LinkKind values, and "connector") → style; the legend shows the labels translated ("MapLegend").
LINK_STYLES: dict[str, LinkStyle] = {
    "compressor": LinkStyle(QT_TRANSLATE_NOOP("MapLegend", "Compressor"), "#ff7f0e", 4.0),
    "pump": LinkStyle(QT_TRANSLATE_NOOP("MapLegend", "Pump"), "#e377c2", 4.0),
    "resistor": LinkStyle(QT_TRANSLATE_NOOP("MapLegend", "Resistor"), "#bcbd22", 3.0, "dash"),
    "short_pipe": LinkStyle(QT_TRANSLATE_NOOP("MapLegend", "Short pipe"), "#17becf", 2.0),
    "connector": LinkStyle(QT_TRANSLATE_NOOP("MapLegend", "Valve / regulator span"), "#9e9e9e", 1.5, "dot"),
}


def link_segments(network: GasNetwork, origin: tuple[float, float]) -> dict[str, np.ndarray]:
    """(k, 4) float32 segments per style key, relative to ``origin``, cached per network version."""

    def build() -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        links = network["links"]
        if len(links):
            buffers = build_segment_buffers(np.asarray(links.geometry.array, dtype=object), origin)
            kind = links["kind"].astype(str).to_numpy(dtype=object)[buffers.feature]
            for key in LINK_STYLES:
                out[key] = buffers.lines[kind == key]
        topo = network.topology
        rows = np.concatenate([topo.layer_links("valves"), topo.layer_links("regulators")])
        if len(rows):
            a, b = topo.node_xy[topo.link_from[rows]], topo.node_xy[topo.link_to[rows]]
            apart = np.flatnonzero(np.hypot(*(b - a).T) >= CONNECTOR_MIN_M)[:_MAX_CONNECTORS]
            lines = np.column_stack([a[apart] - origin, b[apart] - origin]).astype(np.float32)
            out["connector"] = lines
        return {k: v for k, v in out.items() if len(v)}

    return network.cached(f"ui.link_segments.{origin}", build)


class LinksLayer:
    """The other links on the map: one item per kind, all segments handed over once (there are few)."""

    def __init__(self, view: pg.ViewBox) -> None:
        self._items: dict[str, SegmentsItem] = {}
        for z, (key, style) in enumerate(LINK_STYLES.items()):
            item = SegmentsItem(make_pen(style.color, style.width_px, style.dash))
            item.setZValue(-5 + 0.1 * z)  # above the pipes (rasters -20, vectors about -10), under the point symbols
            view.addItem(item, ignoreBounds=True)
            self._items[key] = item
        self.visible = True

    def set_data(self, network: GasNetwork, origin: tuple[float, float]) -> None:
        segments = link_segments(network, origin)
        for key, item in self._items.items():
            item.set_lines(segments.get(key, np.zeros((0, 4), np.float32)))

    def counts(self) -> dict[str, int]:
        """Segments drawn per style key."""
        return {key: item.count() for key, item in self._items.items() if item.count()}

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in self._items.values():
            item.setVisible(visible)
