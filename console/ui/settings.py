"""QSettings as the storage backend of the Qt-free :class:`console.app.settings.Settings`."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from console.app.settings import Settings

__all__ = ["QtSettingsBackend", "qt_settings"]


class QtSettingsBackend:
    """Stores :class:`console.app.settings.Settings` in QSettings (the user's registry/INI file): Qt only as storage."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qsettings = qsettings if qsettings is not None else QSettings()

    def get(self, key: str):
        return self.qsettings.value(key)

    def set(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)

    def remove(self, key: str) -> None:
        self.qsettings.remove(key)

    def keys(self) -> list[str]:
        return sorted(self.qsettings.allKeys())


def qt_settings(qsettings: QSettings | None = None) -> Settings:
    """The GUI's settings: declared, typed, stored in QSettings."""
    return Settings(QtSettingsBackend(qsettings))
