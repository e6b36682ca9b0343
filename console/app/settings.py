"""Settings (Qt-free): what the user chose, kept between sessions and shared by the GUI and the command line.

Every setting is declared once (:data:`SETTINGS`: key, default, type, what it means) and read through
:class:`Settings`, which converts the stored value back to the declared type (QSettings' INI backend gives strings
back: ``"false"`` must not become ``True``). Where values are stored is a backend: the GUI passes one over QSettings
(``console.ui.app.QtSettingsBackend``), the command line and tests a JSON file or memory.

>>> s = Settings(MemoryBackend())
>>> s.get("telemetry/autostart_demo")
True
>>> s.set("telemetry/autostart_demo", "false")
>>> s.get("telemetry/autostart_demo")
False
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from psygnal import Signal

__all__ = [
    "SETTINGS",
    "default_settings",
    "JsonFileBackend",
    "MemoryBackend",
    "Setting",
    "Settings",
    "SettingsBackend",
    "declare",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    type: type
    doc: str = ""

    def convert(self, value: Any) -> Any:
        if value is None:
            return self.default
        try:
            if self.type is bool:
                if isinstance(value, str):
                    return value.strip().lower() in ("1", "true", "yes", "on")
                return bool(value)
            if self.type in (list, tuple):
                if isinstance(value, str):
                    return self.type([value]) if value else self.type()
                return self.type(value)
            return self.type(value)
        except (TypeError, ValueError):
            log.warning(
                "setting %s: stored value %r is not a %s; using %r", self.key, value, self.type.__name__, self.default
            )
            return self.default


SETTINGS: dict[str, Setting] = {}


def declare(key: str, default: Any, type_: type | None = None, doc: str = "") -> Setting:
    """Declare a setting (once, at import of the feature that owns it)."""
    setting = Setting(key, default, type_ or type(default), doc)
    SETTINGS[key] = setting
    return setting


declare("ui/theme", "dark", str, "colour theme: dark (control room) or light")
declare("ui/last_file", "", str, "the network file opened last")
declare("ui/recent_files", [], list, "recently opened network files and PostGIS URLs (without passwords)")
declare("map/pipe_style", "pressure_class", str, "how pipes are coloured (pressure class, material, diameter …)")
declare("files/last_dir", "", str, "folder a network file was last opened from")
declare("files/last_database", "postgresql://gis@localhost:5432/gis?schema=public", str,
        "the PostGIS URL opened last (never with its password)")  # fmt: skip
for _layer in (
    "junctions",
    "gate_stations",
    "customers",
    "risers",
    "end_caps",
    "pipes",
    "valves",
    "regulators",
    "sensors",
):
    declare(f"layers/{_layer}/visible", True, bool, f"whether the {_layer} layer is drawn")
declare("isolation/export_dir", "", str, "folder the valve and customer lists were last saved to")
declare("isolation/order", "upstream_first", str, "closing-order rule for new valve plans")
declare("telemetry/autostart_demo", True, bool, "start the training simulator when the demo district opens")
declare("telemetry/mqtt/autoconnect", False, bool, "reconnect to the last MQTT broker at start")
declare("telemetry/replay_dir", "", str, "folder a recording was last replayed from")


class SettingsBackend(Protocol):
    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any) -> None: ...
    def remove(self, key: str) -> None: ...
    def keys(self) -> list[str]: ...


class MemoryBackend:
    """Settings that last as long as the process (tests, ``--no-settings``)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def remove(self, key: str) -> None:
        self.values.pop(key, None)

    def keys(self) -> list[str]:
        return sorted(self.values)


class JsonFileBackend(MemoryBackend):
    """Settings in a JSON file, written atomically on every change (the command line's store)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        values: dict[str, Any] = {}
        if self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    values = loaded
                else:
                    log.warning("%s: settings file does not hold an object; starting from the defaults", self.path)
            except (OSError, ValueError) as exc:
                log.warning("%s: settings not read (%s); starting from the defaults", self.path, exc)
        super().__init__(values)

    def set(self, key: str, value: Any) -> None:
        super().set(key, value)
        self._write()

    def remove(self, key: str) -> None:
        super().remove(key)
        self._write()

    def _write(self) -> None:
        from console.atomic import atomic_write_text

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(self.values, ensure_ascii=False, indent=1, sort_keys=True))


class Settings:
    """Typed access to the declared settings over a backend.

    Signals
    -------
    changed(key, value)
        A setting was set (the converted value).
    """

    changed = Signal(str, object)

    def __init__(self, backend: SettingsBackend | None = None) -> None:
        self.backend = backend if backend is not None else MemoryBackend()

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` converted to its declared type (undeclared keys: stored value or ``default``)."""
        setting = SETTINGS.get(key)
        stored = self.backend.get(key)
        if setting is None:
            return default if stored is None else stored
        return setting.convert(stored)

    def set(self, key: str, value: Any) -> None:
        self.backend.set(key, value)
        self.changed.emit(key, self.get(key, value))

    def remove(self, key: str) -> None:
        self.backend.remove(key)

    def on_change(self, key: str, callback: Callable[[Any], Any]) -> Callable[[str, Any], None]:
        """Call ``callback(value)`` whenever ``key`` changes; returns the slot (to disconnect)."""

        def slot(changed_key: str, value: Any) -> None:
            if changed_key == key:
                callback(value)

        self.changed.connect(slot)
        return slot


_default: Settings | None = None


def default_settings() -> Settings:
    """The command line's settings: ``settings.json`` in the data folder (the GUI uses QSettings instead)."""
    global _default
    if _default is None:
        from console.app.workspace import data_dir

        _default = Settings(JsonFileBackend(data_dir() / "settings.json"))
    return _default
