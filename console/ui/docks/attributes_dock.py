"""The identify panel: layer, id and every attribute of the identified feature, with units; a customer's
address; the live value, unit, quality and age of the feature's sensors (kept current by the live view, see
:meth:`AttributesDock.set_live`); and the other features drawn at the same spot ("Also here", pick the one you mean).

Values are formatted the way a dispatcher reads them: ``DN110``, ``MP-A medium pressure A`` (中压A in Chinese), ``123.4 m``, ``yes``/``no``, ``—``
for empty values. Units come from the schema (``LAYERS[layer].columns[*].unit``).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.network import LAYERS, GasNetwork, Hit
from console.ui.i18n import translate
from console.ui.names import address_text, attribute_title, feature_name, layer_name, pressure_class_label, value_text
from console.ui.search import addresses_of

__all__ = ["AttributesDock", "format_value"]

_CLASS_COLUMNS = {"pressure_class", "inlet_class", "outlet_class"}
_UNIT_SUFFIXES = ("_mpa", "_nm3h", "_mm", "_m", "_kpa")
# Code-list columns: their values are shown in the current language (console.ui.names.VALUE_TEXTS).
_CODE_COLUMNS = {"material", "status", "normal_position", "valve_type", "kind", "category", "special_kind"}


def _title(name: str, label: str = "") -> str:
    """The English title of a column (looked up in the current language by :func:`attribute_title`)."""
    if name == "dn":
        label = label or "nominal diameter DN"
    if label:
        return label[0].upper() + label[1:]
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ").capitalize()


def format_value(column: str, value: object, unit: str = "") -> str:
    """Format one attribute for display.

    >>> format_value("dn", 110, "mm"), format_value("pressure_class", "MP-A"), format_value("length_m", 123.456, "m")
    ('DN110', 'MP-A medium pressure A', '123.46 m')
    >>> format_value("install_year", 0), format_value("depth_m", float("nan"), "m"), format_value("operable", True)
    ('unknown', '—', 'yes')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return value_text("yes") if value else value_text("no")
    if column in _CLASS_COLUMNS:
        return pressure_class_label(value)
    if column == "dn":
        return f"DN{int(value)}" if int(value) > 0 else "—"
    if column == "install_year":
        return str(int(value)) if int(value) > 0 else value_text("unknown")
    if isinstance(value, (int, np.integer)):
        text = f"{int(value):,}"
    elif isinstance(value, (float, np.floating)):
        v = float(value)
        text = f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.4g}"
    else:
        text = str(value)
        if not text:
            return "—"
        text = (
            text.replace("_", " ") if column not in ("id", "from_node", "to_node", "feature_id", "meter_id") else text
        )
        if column in _CODE_COLUMNS:
            text = value_text(text)
    return f"{text} {unit}" if unit else text


class AttributesDock(QDockWidget):
    """Shows one feature; ``zoomRequested(feature_id)`` asks the map to zoom to it."""

    zoomRequested = Signal(str)
    featureChosen = Signal(object)  # a Hit chosen in "Also here"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("AttributesDock", "Feature"), parent)
        self.setObjectName("attributesDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        self.title = QLabel(translate("AttributesDock", "Nothing identified"))
        self.title.setObjectName("panelTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(_hint())
        self.subtitle.setObjectName("panelSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        also = QHBoxLayout()
        self.also_label = QLabel(translate("AttributesDock", "Also here:"))
        self.also_here = QComboBox()
        self.also_here.setToolTip(
            translate("AttributesDock", "Other features drawn at this spot: choose the one you mean")
        )
        self.also_here.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.also_here.setMinimumContentsLength(12)
        self.also_here.activated.connect(self._on_also_here)
        also.addWidget(self.also_label)
        also.addWidget(self.also_here, 1)
        layout.addLayout(also)
        self._also_hits: list = []
        self.table = QTreeWidget()
        self.table.setColumnCount(2)
        self.table.setHeaderLabels([translate("AttributesDock", "Attribute"), translate("AttributesDock", "Value")])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(False)  # a live row takes the lines it needs (value · state · age)
        self.table.setWordWrap(True)
        self.table.header().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.zoom_button = QPushButton(translate("AttributesDock", "Zoom to"))
        self.zoom_button.setToolTip(translate("AttributesDock", "Centre the map on this feature"))
        self.zoom_button.clicked.connect(lambda: self._feature_id and self.zoomRequested.emit(self._feature_id))
        self.copy_button = QPushButton(translate("AttributesDock", "Copy id"))
        self.copy_button.clicked.connect(self._copy_id)
        buttons.addWidget(self.zoom_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._feature_id: str | None = None
        self._values: dict[str, str] = {}
        self._live: dict[str, str] = {}
        self._live_items: list[QTreeWidgetItem] = []
        self.clear()

    @property
    def feature_id(self) -> str | None:
        return self._feature_id

    def values(self) -> dict[str, str]:
        """Attribute title → displayed text (what the user sees; tests read it)."""
        return dict(self._values)

    def live_values(self) -> dict[str, str]:
        """Sensor label → live text shown ("2.31 kPa · normal · 4 s ago"); tests read it."""
        return dict(self._live)

    def set_live(self, rows: list[tuple[str, str, str]], empty: str = "") -> None:
        """Show live readings at the top of the table: (sensor label, value text, state colour) per sensor; with no
        rows, ``empty`` (say why: "no reading yet", "live view not open") or nothing."""
        for item in self._live_items:
            index = self.table.indexOfTopLevelItem(item)
            if index >= 0:
                self.table.takeTopLevelItem(index)
        self._live_items, self._live = [], {}
        if self._feature_id is None or (not rows and not empty):
            return
        bold = QFont(self.table.font())
        bold.setBold(True)
        items = []
        for label, text, colour in rows or [(attribute_title("Live"), empty, "")]:
            # One row per part (value, alarm state, age) under the sensor's name, so nothing is cut off in a narrow
            # dock; every row's tooltip has the whole text on one line.
            for k, part in enumerate(text.split(" · ")):
                item = QTreeWidgetItem([label if k == 0 else "", part])
                item.setToolTip(0, label)
                item.setToolTip(1, text)
                item.setFont(1, bold)
                if colour:
                    item.setForeground(1, QBrush(QColor(colour)))
                items.append(item)
            self._live[label] = text
        self.table.insertTopLevelItems(0, items)
        self._live_items = items
        self._fit_first_column()

    def _fit_first_column(self) -> None:
        """The attribute column fits its text but leaves the value column at least 60 % of the table."""
        self.table.resizeColumnToContents(0)
        cap = max(int(self.table.viewport().width() * 0.4), 80)
        if self.table.columnWidth(0) > cap:
            self.table.setColumnWidth(0, cap)

    def set_also_here(self, hits: list) -> None:
        """The features drawn where the identified one is (the identified first); hidden when it is alone."""
        self._also_hits = list(hits)
        self.also_here.clear()
        for hit in hits:
            self.also_here.addItem(f"{feature_name(hit.layer)} {hit.feature_id}")
        alone = len(hits) < 2
        self.also_here.setVisible(not alone)
        self.also_label.setVisible(not alone)
        if not alone and self._feature_id is not None:
            for i, hit in enumerate(hits):
                if hit.feature_id == self._feature_id:
                    self.also_here.setCurrentIndex(i)

    def also_here_ids(self) -> list[str]:
        return [h.feature_id for h in self._also_hits] if self.also_here.isVisibleTo(self) else []

    def _on_also_here(self, index: int) -> None:
        if 0 <= index < len(self._also_hits) and self._also_hits[index].feature_id != self._feature_id:
            self.featureChosen.emit(self._also_hits[index])

    def clear(self) -> None:
        self._feature_id = None
        self._values = {}
        self._live, self._live_items = {}, []
        self.set_also_here([])
        self.table.clear()
        self.title.setText(translate("AttributesDock", "Nothing identified"))
        self.subtitle.setText(_hint())
        self.zoom_button.setEnabled(False)
        self.copy_button.setEnabled(False)

    def show_feature(self, network: GasNetwork, hit: Hit, lonlat: tuple[float, float] | None = None) -> None:
        spec = LAYERS[hit.layer]
        frame = network[hit.layer]
        record = frame.iloc[hit.row]
        self._feature_id = hit.feature_id
        self.title.setText(f"{feature_name(hit.layer)} {hit.feature_id}")
        self.subtitle.setText(
            translate("AttributesDock", "{layer} · row {row}").format(layer=layer_name(hit.layer), row=f"{hit.row:,}")
        )
        rows: list[tuple[str, str]] = [
            (attribute_title("Layer"), layer_name(hit.layer)),
            (attribute_title("Id"), hit.feature_id),
        ]
        known = {"id", "geometry"}
        for col in spec.columns:
            known.add(col.name)
            rows.append(
                (
                    attribute_title(_title(col.name, col.label)),
                    format_value(col.name, _scalar(record[col.name]), col.unit),
                )
            )
        for name in frame.columns:  # the utility's own extra attributes
            if name not in known and name != frame.geometry.name:
                rows.append((name, format_value(name, _scalar(record[name]))))
        geom = frame.geometry.array[hit.row]
        if shapely.get_type_id(geom) == 0:
            rows.append((attribute_title("X, Y"), f"{geom.x:,.2f}, {geom.y:,.2f} m"))
        else:
            rows.append((attribute_title("Vertices"), f"{shapely.get_num_coordinates(geom):,}"))
            rows.append((attribute_title("Drawn length"), f"{shapely.length(geom):,.2f} m"))
        if lonlat is not None:
            rows.append((attribute_title("Lon, lat"), f"{lonlat[0]:.6f}°E, {lonlat[1]:.6f}°N"))
        if (address := _address(network, hit)) is not None:
            rows.insert(2, (attribute_title("Address"), address))
        self.table.clear()
        self._live, self._live_items = {}, []
        self._values = {}
        for title, text in rows:
            item = QTreeWidgetItem([title, text])
            item.setToolTip(1, text)
            self.table.addTopLevelItem(item)
            self._values[title] = text
        self._fit_first_column()
        self.zoom_button.setEnabled(True)
        self.copy_button.setEnabled(True)

    def _copy_id(self) -> None:
        if self._feature_id:
            QGuiApplication.clipboard().setText(self._feature_id)


def _hint() -> str:
    return translate("AttributesDock", "Click a feature with the identify tool (I), or search by id (Ctrl+F).")


def _address(network: GasNetwork, hit: Hit) -> str | None:
    """A customer's address, or where any other point is ("near …"), from the network's derived streets."""
    addresses = addresses_of(network)
    if addresses is None or not len(addresses):
        return None
    if hit.layer == "customers":
        return address_text(addresses.customer_address(hit.row)) or None
    geom = network[hit.layer].geometry.array[hit.row]
    if geom is None or geom.is_empty:
        return None
    c = geom.centroid if shapely.get_type_id(geom) != 0 else geom
    return address_text(addresses.describe(c.x, c.y)) or None


def _scalar(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
