"""What the UI calls the network's layers, features, attributes, code-list values and pressure classes.

The network's schema (:mod:`console.network`) is domain data: English layer names for files and logs, and the Chinese
names the industry uses (``label_zh``: 低压, 中压B, 调压站/调压箱 …) kept beside them. The UI shows one language at a
time, so the names it shows live here, in English, marked for translation (``QT_TRANSLATE_NOOP``) and looked up in
the current language by the functions below. The Chinese catalog holds the same industry terms as the schema.

>>> layer_name("pipes"), feature_name("valves"), pressure_class_label("MP-A"), pressure_class_label("XX")
('Pipes', 'Valve', 'MP-A medium pressure A', 'XX')
>>> attribute_title("Pressure class"), value_text("ductile iron"), value_text("Hospital No. 1")
('Pressure class', 'ductile iron', 'Hospital No. 1')
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.ui.i18n import current_language, translate

__all__ = [
    "ATTRIBUTE_TITLES",
    "address_parts",
    "address_text",
    "street_text",
    "FEATURE_NAMES",
    "LAYER_NAMES",
    "PRESSURE_CLASS_NAMES",
    "VALUE_TEXTS",
    "attribute_title",
    "feature_name",
    "layer_name",
    "pressure_class_label",
    "value_text",
]

# Layer (plural, as the layer panel lists them).
LAYER_NAMES: dict[str, str] = {
    "junctions": QT_TRANSLATE_NOOP("NetworkLayers", "Junctions"),
    "gate_stations": QT_TRANSLATE_NOOP("NetworkLayers", "Gate stations"),
    "customers": QT_TRANSLATE_NOOP("NetworkLayers", "Customers / meters"),
    "risers": QT_TRANSLATE_NOOP("NetworkLayers", "Risers"),
    "end_caps": QT_TRANSLATE_NOOP("NetworkLayers", "End caps"),
    "pipes": QT_TRANSLATE_NOOP("NetworkLayers", "Pipes"),
    "valves": QT_TRANSLATE_NOOP("NetworkLayers", "Valves"),
    "regulators": QT_TRANSLATE_NOOP("NetworkLayers", "Regulators"),
    "links": QT_TRANSLATE_NOOP("NetworkLayers", "Other links"),
    "sensors": QT_TRANSLATE_NOOP("NetworkLayers", "Sensors"),
}

# One feature of a layer (a title "Valve V-00161", a search suggestion).
FEATURE_NAMES: dict[str, str] = {
    "pipes": QT_TRANSLATE_NOOP("NetworkFeatures", "Pipe"),
    "valves": QT_TRANSLATE_NOOP("NetworkFeatures", "Valve"),
    "regulators": QT_TRANSLATE_NOOP("NetworkFeatures", "Regulator"),
    "junctions": QT_TRANSLATE_NOOP("NetworkFeatures", "Junction"),
    "gate_stations": QT_TRANSLATE_NOOP("NetworkFeatures", "Gate station"),
    "customers": QT_TRANSLATE_NOOP("NetworkFeatures", "Customer"),
    "risers": QT_TRANSLATE_NOOP("NetworkFeatures", "Riser"),
    "end_caps": QT_TRANSLATE_NOOP("NetworkFeatures", "End cap"),
    "links": QT_TRANSLATE_NOOP("NetworkFeatures", "Link"),
    "sensors": QT_TRANSLATE_NOOP("NetworkFeatures", "Sensor"),
}

# GB 50028 pressure classes: the code and its name in English; the Chinese catalog has 低压, 中压B … (as the schema).
PRESSURE_CLASS_NAMES: dict[str, str] = {
    "LP": QT_TRANSLATE_NOOP("PressureClasses", "LP low pressure"),
    "MP-B": QT_TRANSLATE_NOOP("PressureClasses", "MP-B medium pressure B"),
    "MP-A": QT_TRANSLATE_NOOP("PressureClasses", "MP-A medium pressure A"),
    "SHP-B": QT_TRANSLATE_NOOP("PressureClasses", "SHP-B sub-high pressure B"),
    "SHP-A": QT_TRANSLATE_NOOP("PressureClasses", "SHP-A sub-high pressure A"),
    "HP-B": QT_TRANSLATE_NOOP("PressureClasses", "HP-B high pressure B"),
    "HP-A": QT_TRANSLATE_NOOP("PressureClasses", "HP-A high pressure A"),
}

# The identify panel's attribute titles (console.ui.docks.attributes_dock derives them from the schema's columns).
ATTRIBUTE_TITLES: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("NetworkAttributes", "Layer"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Id"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Geometry"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Address"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Name"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Elevation"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Supply pressure"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Capacity"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Category"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Special kind"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Households"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Peak demand"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Meter id"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Floors"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "From node"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "To node"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Length"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Nominal diameter DN"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Inner diameter"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Material"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Pressure class"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Roughness"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Install year"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Depth"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Status"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Normal position"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Operable"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Accessible"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Valve type"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Remote controlled"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Kind"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Inlet class"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Outlet class"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Set outlet pressure"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Diameter"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Unit"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Feature id"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "X, Y"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Vertices"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Drawn length"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Lon, lat"),
    QT_TRANSLATE_NOOP("NetworkAttributes", "Live"),
)

# Code-list values as the identify panel shows them (underscores as spaces), and yes / no / unknown.
VALUE_TEXTS: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("NetworkValues", "yes"),
    QT_TRANSLATE_NOOP("NetworkValues", "no"),
    QT_TRANSLATE_NOOP("NetworkValues", "unknown"),
    QT_TRANSLATE_NOOP("NetworkValues", "steel"),
    QT_TRANSLATE_NOOP("NetworkValues", "ductile iron"),
    QT_TRANSLATE_NOOP("NetworkValues", "cast iron"),
    QT_TRANSLATE_NOOP("NetworkValues", "in service"),
    QT_TRANSLATE_NOOP("NetworkValues", "planned"),
    QT_TRANSLATE_NOOP("NetworkValues", "abandoned"),
    QT_TRANSLATE_NOOP("NetworkValues", "closed"),
    QT_TRANSLATE_NOOP("NetworkValues", "open"),
    QT_TRANSLATE_NOOP("NetworkValues", "ball"),
    QT_TRANSLATE_NOOP("NetworkValues", "gate"),
    QT_TRANSLATE_NOOP("NetworkValues", "plug"),
    QT_TRANSLATE_NOOP("NetworkValues", "butterfly"),
    QT_TRANSLATE_NOOP("NetworkValues", "check"),
    QT_TRANSLATE_NOOP("NetworkValues", "emergency shutoff"),
    QT_TRANSLATE_NOOP("NetworkValues", "station"),
    QT_TRANSLATE_NOOP("NetworkValues", "box"),
    QT_TRANSLATE_NOOP("NetworkValues", "cabinet"),
    QT_TRANSLATE_NOOP("NetworkValues", "control valve"),
    QT_TRANSLATE_NOOP("NetworkValues", "residential"),
    QT_TRANSLATE_NOOP("NetworkValues", "commercial"),
    QT_TRANSLATE_NOOP("NetworkValues", "industrial"),
    QT_TRANSLATE_NOOP("NetworkValues", "special"),
    QT_TRANSLATE_NOOP("NetworkValues", "hospital"),
    QT_TRANSLATE_NOOP("NetworkValues", "school"),
    QT_TRANSLATE_NOOP("NetworkValues", "care home"),
    QT_TRANSLATE_NOOP("NetworkValues", "kindergarten"),
    QT_TRANSLATE_NOOP("NetworkValues", "pressure"),
    QT_TRANSLATE_NOOP("NetworkValues", "flow"),
    QT_TRANSLATE_NOOP("NetworkValues", "methane"),
    QT_TRANSLATE_NOOP("NetworkValues", "temperature"),
    QT_TRANSLATE_NOOP("NetworkValues", "valve position"),
    QT_TRANSLATE_NOOP("NetworkValues", "compressor"),
    QT_TRANSLATE_NOOP("NetworkValues", "resistor"),
    QT_TRANSLATE_NOOP("NetworkValues", "short pipe"),
    QT_TRANSLATE_NOOP("NetworkValues", "pump"),
)


def layer_name(layer: str) -> str:
    """A layer's name in the current language (an unknown layer by its key)."""
    return translate("NetworkLayers", LAYER_NAMES[layer]) if layer in LAYER_NAMES else layer


def feature_name(layer: str) -> str:
    """What one feature of ``layer`` is called ("Valve"), in the current language."""
    return translate("NetworkFeatures", FEATURE_NAMES[layer]) if layer in FEATURE_NAMES else layer


def pressure_class_label(value: object) -> str:
    """``'MP-A'`` → ``'MP-A medium pressure A'`` (中压A in Chinese); unknown values are returned as they are."""
    text = str(getattr(value, "value", value))
    return translate("PressureClasses", PRESSURE_CLASS_NAMES[text]) if text in PRESSURE_CLASS_NAMES else text


def attribute_title(title: str) -> str:
    """An attribute title of :data:`ATTRIBUTE_TITLES` in the current language (a utility's own column as it is)."""
    return translate("NetworkAttributes", title)


def value_text(text: str) -> str:
    """A code-list value of :data:`VALUE_TEXTS` in the current language (any other text as it is)."""
    return translate("NetworkValues", text)


def address_parts(bilingual: str) -> tuple[str, str]:
    """A derived address ``桃湾路18号 (18 Taowan Lu)`` (see :class:`console.network.Addresses`) as (Chinese, English).

    >>> address_parts("Road 18 (18 Road)"), address_parts("no English")
    (('Road 18', '18 Road'), ('no English', 'no English'))
    """
    if bilingual.endswith(")") and " (" in bilingual:
        zh, en = bilingual[:-1].split(" (", 1)
        return zh, en
    return bilingual, bilingual


def address_text(bilingual: str) -> str:
    """A derived address in the current language: ``桃湾路18号`` in Chinese, ``18 Taowan Lu`` in English."""
    zh, en = address_parts(bilingual)
    return zh if current_language() == "zh_CN" else en


def street_text(chinese: str, english: str) -> str:
    """A street's name in the current language (its Chinese name in Chinese, its romanised name in English)."""
    return chinese if current_language() == "zh_CN" else english
