"""The attribute form of one feature: a field per schema column with its domain, checks before OK."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit

from console.network import DN_LIST, LAYERS, EditRefused, attribute_problems, parse_value
from console.ui.editing._table import column_title
from console.ui.forms import FormDialog
from console.ui.i18n import translate
from console.ui.i18n_messages import register, translate_message
from console.ui.names import feature_name, layer_name

__all__ = ["AttributeForm", "PipeDefaultsForm"]

_READ_ONLY = {"from_node", "to_node"}

register("EditRefusals", EditRefused.MESSAGE_TEMPLATES)  # parse and attribute problems in the UI's language


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else repr(value)
    return str(value)


def _joined(problems: list[str]) -> str:
    """Several problems of one entry, each in the UI's language, joined with the language's separator."""
    text = translate_message(problems[0])
    for problem in problems[1:]:
        text = translate("EditRefusals", "{problem}; {more}").format(problem=text, more=translate_message(problem))
    return text


class AttributeForm(FormDialog):
    """Edit one feature's attributes; ``changes()`` gives the (column, value) pairs that differ after OK."""

    def __init__(self, network, feature_id: str, parent=None) -> None:
        self.network, self.feature_id = network, feature_id
        self.layer, _row = network.locate(feature_id)
        spec = LAYERS[self.layer]
        super().__init__(translate("AttributeForm", "{feature} {id} — attributes").format(
            feature=feature_name(self.layer), id=feature_id), parent)  # fmt: skip
        self.set_intro(translate("AttributeForm", "{layer} · values outside their lists or not numbers are "
                                 "refused").format(layer=layer_name(self.layer)))  # fmt: skip
        self.current = network.feature(feature_id)
        self.fields: dict[str, Any] = {}
        self._changes: list[tuple[str, Any]] = []
        for col in spec.columns:
            value = self.current.get(col.name)
            label = column_title(self.layer, col.name)
            if col.name in _READ_ONLY:
                self.form.addRow(label, QLabel(_text(value)))
                continue
            if isinstance(col.kind, type) and issubclass(col.kind, StrEnum):
                widget = QComboBox()
                widget.addItems([m.value for m in col.kind])
                widget.setCurrentText(_text(value))
            elif col.name == "dn":
                widget = QComboBox()
                options = sorted({*DN_LIST, int(value)}) if value else list(DN_LIST)
                widget.addItems([str(v) for v in options])
                widget.setEditable(True)  # a catalogue, but old steel mains have odd sizes
                widget.setCurrentText(_text(value))
            elif col.kind is bool:
                widget = QCheckBox()
                widget.setChecked(bool(value))
            else:
                widget = QLineEdit(_text(value))
            widget.setObjectName(f"field_{col.name}")
            self.fields[col.name] = widget
            self.form.addRow(label, widget)

    def show_error(self, text: str) -> None:
        super().show_error(text)
        self.adjustSize()  # room for the message, however long

    def _raw(self, name: str) -> Any:
        widget = self.fields[name]
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        return widget.text()

    def set_value(self, name: str, value: Any) -> None:
        widget = self.fields[name]
        if isinstance(widget, QComboBox):
            widget.setCurrentText(str(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        else:
            widget.setText(str(value))

    def validate(self) -> str | None:
        values: dict[str, Any] = {}
        try:
            for name in self.fields:
                values[name] = parse_value(self.layer, name, self._raw(name))
        except EditRefused as exc:
            return translate_message(str(exc))
        changed = {}
        for name, value in values.items():
            old = self.current.get(name)
            same = (old == value) or (
                isinstance(old, float) and isinstance(value, float) and np.isnan(old) and np.isnan(value)
            )
            if not same:
                changed[name] = value
        problems = attribute_problems(self.network, self.layer, self.feature_id, changed) if changed else []
        if problems:
            return _joined(problems)
        self._changes = list(changed.items())
        return None

    def changes(self) -> list[tuple[str, Any]]:
        return self._changes


class PipeDefaultsForm(FormDialog):
    """Pressure class, DN and material of the pipes about to be drawn ("inherit": from the pipe they start on)."""

    def __init__(self, defaults: dict[str, Any], parent=None) -> None:
        super().__init__(translate("AttributeForm", "Pipe defaults for drawing"), parent)
        self.set_intro(translate("AttributeForm", "New pipes take these values; “inherit” takes them from the pipe or "
                                 "node they start on."))  # fmt: skip
        self.fields: dict[str, QComboBox] = {}
        spec = LAYERS["pipes"]
        for name, options in (
            ("pressure_class", [m.value for m in spec.column("pressure_class").kind]),
            ("dn", [str(v) for v in DN_LIST]),
            ("material", [m.value for m in spec.column("material").kind]),
        ):
            box = QComboBox()
            box.addItem(translate("AttributeForm", "inherit"), None)
            box.addItems(options)
            if name in defaults:
                box.setCurrentText(str(defaults[name]))
            box.setObjectName(f"default_{name}")
            self.fields[name] = box
            self.form.addRow(column_title("pipes", name), box)

    def values(self) -> dict[str, Any]:
        out = {}
        for name, box in self.fields.items():
            if box.currentIndex() > 0:
                out[name] = parse_value("pipes", name, box.currentText())
        if "dn" in out:
            out["inner_diameter_mm"] = round(out["dn"] * (1 - 2 / 11), 1)
        return out
