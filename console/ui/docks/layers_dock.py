"""The layer panel: visibility per layer, the pipe style, and a legend with swatches and counts per class.

The legend is built from the same :class:`PipeClassification` the map draws, so its colours are the map's colours.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.i18n import translate
from console.ui.map._items import make_pen
from console.ui.map._symbols import POINT_STYLES, symbol_pixmap
from console.ui.map.links import LINK_STYLES
from console.ui.map.styles import PIPE_STYLES, PipeClassification, style_title
from console.ui.names import layer_name

__all__ = ["LayersDock", "LEGEND_ORDER"]

# Top to bottom in the panel: pipes (the legend a dispatcher reads most), then points roughly as drawn, top first.
LEGEND_ORDER = (
    "pipes",
    "links",
    "gate_stations",
    "regulators",
    "valves",
    "sensors",
    "customers",
    "risers",
    "end_caps",
    "junctions",
)
KEY_ROLE = Qt.ItemDataRole.UserRole
COLOR_ROLE = Qt.ItemDataRole.UserRole + 1
LAYER_ROLE = Qt.ItemDataRole.UserRole + 2


def line_swatch(color: str, width_px: float, dash: str, size: tuple[int, int] = (30, 16)) -> QIcon:
    pix = QPixmap(*size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(make_pen(color, max(width_px, 1.0), dash))
    p.drawLine(QPointF(3, size[1] / 2), QPointF(size[0] - 3, size[1] / 2))
    p.end()
    return QIcon(pix)


class LayersDock(QDockWidget):
    """Signals: ``layerVisibilityChanged(layer, visible)`` and ``pipeStyleChanged(style)``."""

    layerVisibilityChanged = Signal(str, bool)
    pipeStyleChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("LayersDock", "Layers"), parent)
        self.setObjectName("layersDock")
        self._theme = "dark"
        self._classification: PipeClassification | None = None
        self._counts: tuple[dict, dict] | None = None
        self._populating = False

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        row.addWidget(QLabel(translate("LayersDock", "Style pipes by")))
        self.style_combo = QComboBox()
        for key in PIPE_STYLES:
            self.style_combo.addItem(style_title(key), key)
        self.style_combo.setToolTip(
            translate("LayersDock", "How the pipes are coloured: pressure class, diameter, material, age or status")
        )
        self.style_combo.currentIndexChanged.connect(self._on_style_combo_change)
        row.addWidget(self.style_combo, 1)
        layout.addLayout(row)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([translate("LayersDock", "Layer"), translate("LayersDock", "Count")])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(self.tree.iconSize().expandedTo(QPixmap(30, 16).size()))
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, self.tree.header().ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(self._on_item_change)
        layout.addWidget(self.tree, 1)
        self.setWidget(body)
        self._layer_items: dict[str, QTreeWidgetItem] = {}
        self._build_layers()

    # -- public ----------------------------------------------------------------------------------------------------
    def set_counts(self, counts: dict[str, int], variant_counts: dict[str, list[int]] | None = None) -> None:
        """Feature counts per layer, and per marker variant (``MapData.point_rows`` lengths) when known."""
        self._counts = (counts, variant_counts or {})
        for layer, item in self._layer_items.items():
            item.setText(1, f"{counts.get(layer, 0):,}")
            item.setDisabled(counts.get(layer, 0) == 0)
            if layer not in POINT_STYLES:
                continue  # the pipes' children are the style legend, counted by set_classification
            per_variant = (variant_counts or {}).get(layer)
            for k in range(item.childCount()):
                item.child(k).setText(1, f"{per_variant[k]:,}" if per_variant else "")
        self._fill_link_legend()

    def set_classification(self, classification: PipeClassification) -> None:
        self._classification = classification
        index = self.style_combo.findData(classification.style)
        if index >= 0 and index != self.style_combo.currentIndex():
            self.style_combo.blockSignals(True)
            self.style_combo.setCurrentIndex(index)
            self.style_combo.blockSignals(False)
        self._fill_pipe_legend()

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self._build_layers()
        if self._counts is not None:
            self.set_counts(*self._counts)
        self._fill_pipe_legend()

    def set_layer_checked(self, layer: str, visible: bool) -> None:
        self._layer_items[layer].setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)

    def legend_entries(self) -> list[dict]:
        """The pipe legend as shown: key, label, colour (#rrggbb) and count of each listed class."""
        item = self._layer_items["pipes"]
        return [
            {
                "key": item.child(k).data(0, KEY_ROLE),
                "label": item.child(k).text(0),
                "color": item.child(k).data(0, COLOR_ROLE),
                "count": int(item.child(k).text(1).replace(",", "")),
            }
            for k in range(item.childCount())
        ]

    def link_legend_entries(self) -> list[dict]:
        """The other links' legend as shown: key (link kind or ``connector``), label, colour and count."""
        item = self._layer_items["links"]
        return [
            {
                "key": item.child(k).data(0, KEY_ROLE),
                "label": item.child(k).text(0),
                "color": item.child(k).data(0, COLOR_ROLE),
                "count": int(item.child(k).text(1).replace(",", "")),
            }
            for k in range(item.childCount())
        ]

    def current_style(self) -> str:
        return str(self.style_combo.currentData())

    # -- building ----------------------------------------------------------------------------------------------------
    def _build_layers(self) -> None:
        checked = {name: item.checkState(0) for name, item in self._layer_items.items()}
        self._populating = True
        self.tree.clear()
        self._layer_items = {}
        for layer in LEGEND_ORDER:
            item = QTreeWidgetItem([layer_name(layer), ""])
            item.setData(0, LAYER_ROLE, layer)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, checked.get(layer, Qt.CheckState.Checked))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            if layer in POINT_STYLES:
                variants = POINT_STYLES[layer].variants
                if len(variants) == 1:
                    item.setIcon(0, QIcon(symbol_pixmap(variants[0], self._theme)))
                else:
                    for v in variants:
                        child = QTreeWidgetItem([translate("MapLegend", v.label), ""])
                        child.setIcon(0, QIcon(symbol_pixmap(v, self._theme)))
                        child.setData(0, KEY_ROLE, v.key)
                        child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                        child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                        item.addChild(child)
            self.tree.addTopLevelItem(item)
            self._layer_items[layer] = item
        self._layer_items["pipes"].setExpanded(True)
        self._layer_items["valves"].setExpanded(True)
        self.tree.resizeColumnToContents(1)
        self._populating = False

    def _fill_pipe_legend(self) -> None:
        c = self._classification
        pipes_item = self._layer_items["pipes"]
        self._populating = True
        pipes_item.takeChildren()
        if c is not None:
            counts = c.counts()
            pipes_item.setToolTip(0, c.title)
            for k, cls in enumerate(c.classes):
                if counts[k] == 0:
                    continue  # an uncluttered legend: only classes the network has
                color = cls.color(self._theme)
                child = QTreeWidgetItem([cls.label, f"{int(counts[k]):,}"])
                child.setIcon(0, line_swatch(color, cls.width_px, cls.dash))
                child.setData(0, KEY_ROLE, cls.key)
                child.setData(0, COLOR_ROLE, color)
                child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                share = 100 * counts[k] / max(np.sum(counts), 1)
                child.setToolTip(0, translate("LayersDock", "{label}: {count} pipes ({share} %)").format(
                    label=cls.label, count=f"{int(counts[k]):,}", share=f"{share:.1f}"))  # fmt: skip
                pipes_item.addChild(child)
        pipes_item.setExpanded(True)
        self._populating = False

    def _link_counts(self) -> dict[str, int]:
        """Features per other-link kind of the window's shown network, and the valve/regulator spans drawn as
        connectors (as the map draws them: :data:`LINK_STYLES`)."""
        window = self.parent()
        network = getattr(window, "network", None)
        if network is None:
            return {}
        counts: dict[str, int] = {}
        links = network["links"]
        if len(links):
            kinds, n = np.unique(links["kind"].astype(str).to_numpy(dtype=object).astype(str), return_counts=True)
            counts.update({str(k): int(c) for k, c in zip(kinds, n, strict=True)})
        layer = getattr(getattr(window, "canvas", None), "links", None)
        connectors = layer.counts().get("connector", 0) if layer is not None else 0
        if connectors:
            counts["connector"] = int(connectors)
        return counts

    def _fill_link_legend(self) -> None:
        """The other links' roles (compressor, short pipe, resistor, pump, device span) with the map's pens; only
        the kinds the network has."""
        item = self._layer_items["links"]
        self._populating = True
        item.takeChildren()
        counts = self._link_counts()
        for key, style in LINK_STYLES.items():
            if not counts.get(key):
                continue
            child = QTreeWidgetItem([translate("MapLegend", style.label), f"{counts[key]:,}"])
            child.setIcon(0, line_swatch(style.color, style.width_px, style.dash))
            child.setData(0, KEY_ROLE, key)
            child.setData(0, COLOR_ROLE, style.color)
            child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.addChild(child)
        item.setDisabled(not item.childCount())
        item.setExpanded(True)
        self._populating = False

    # -- events ------------------------------------------------------------------------------------------------------
    def _on_style_combo_change(self, _index: int) -> None:
        self.pipeStyleChanged.emit(self.current_style())

    def _on_item_change(self, item: QTreeWidgetItem, column: int) -> None:
        if self._populating or column != 0:
            return
        layer = item.data(0, LAYER_ROLE)
        if layer:
            self.layerVisibilityChanged.emit(layer, item.checkState(0) == Qt.CheckState.Checked)
