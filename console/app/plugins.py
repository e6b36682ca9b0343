"""Plugins: first-party and third-party extensions registered through the ``console.plugins`` entry-point group.

An entry point names a callable ``register(registry)``. The built-in file formats register the same way
(``console.app.builtin:register``), so a plugin can do whatever the built-ins do: add a file reader for an extension,
a UI extension for the GUI (docks, tools, overlays), a feed adapter or a record type (later features add their kinds to the registry).

Loading never crashes the console: a plugin that fails to import or register is recorded with its error and skipped.
Tests load plugins only through fixtures (``load_plugins(registry, names=[...])``), never by accident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from console.errors import GasOpsError, NetworkFileError

__all__ = ["ENTRY_POINT_GROUP", "PluginRegistry", "LoadedPlugin", "load_plugins", "default_registry"]

ENTRY_POINT_GROUP = "console.plugins"
log = logging.getLogger(__name__)

Reader = Callable[..., Any]  # (path, crs=None) -> GasNetwork


@dataclass
class LoadedPlugin:
    name: str
    value: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class PluginRegistry:
    """What plugins contribute. Qt-free: UI extensions are stored as import paths or callables the UI calls."""

    # ".ext" (or "scheme://" for a database URL) -> (description, reader)
    readers: dict[str, tuple[str, Reader]] = field(default_factory=dict)
    # name -> "module:function" or a callable taking the MainWindow (the app layer never imports the UI itself)
    ui_extensions: dict[str, str | Callable[..., Any]] = field(default_factory=dict)
    plugins: list[LoadedPlugin] = field(default_factory=list)

    def add_reader(self, extension: str, reader: Reader, description: str = "") -> None:
        """Register ``reader`` for a file extension (``".gpkg"``) or a URL scheme (``"postgresql://"``)."""
        ext = extension.lower()
        if not ext.startswith(".") and not ext.endswith("://"):
            ext = f".{ext}"
        self.readers[ext] = (description or ext, reader)

    def add_ui_extension(self, name: str, target: str | Callable[..., Any]) -> None:
        """A feature UI: ``"module:function"`` or a callable, called with the MainWindow when it is built."""
        self.ui_extensions[name] = target

    def reader_for(self, path: str | Path) -> Reader:
        if isinstance(path, str) and "://" in path:  # a URL (Path() would fold its "//")
            scheme = path.split("://", 1)[0].lower() + "://"
            if scheme in self.readers:
                return self.readers[scheme][1]
            known = ", ".join(sorted(k for k in self.readers if k.endswith("://"))) or "none"
            raise NetworkFileError(f"{scheme}…", f"no reader for this kind of URL (known: {known})")
        p = Path(path)
        suffixes = [s.lower() for s in p.suffixes]
        for n in range(len(suffixes), 0, -1):  # ".network.json" before ".json"
            ext = "".join(suffixes[-n:])
            if ext in self.readers:
                return self.readers[ext][1]
        if p.is_dir() and ".shp" in self.readers:
            return self.readers[".shp"][1]
        known = ", ".join(sorted(self.readers))
        raise NetworkFileError(p, f"no reader for this kind of file (known: {known})")

    def open(self, path: str | Path, **kwargs: Any) -> Any:
        return self.reader_for(path)(path, **kwargs)

    def file_filter(self) -> str:
        """A file-dialog filter listing every readable extension."""
        exts = " ".join(f"*{e}" for e in sorted(self.readers) if not e.endswith("://"))
        return f"Network files ({exts});;All files (*)"


def _entry_points(group: str) -> Iterable[EntryPoint]:
    return entry_points(group=group)


def load_plugins(
    registry: PluginRegistry, *, names: Iterable[str] | None = None, group: str = ENTRY_POINT_GROUP
) -> list[LoadedPlugin]:
    """Call ``register(registry)`` of every entry point in ``group`` (or only those in ``names``)."""
    wanted = set(names) if names is not None else None
    loaded = []
    for ep in sorted(_entry_points(group), key=lambda e: (e.name != "builtin", e.name)):
        if wanted is not None and ep.name not in wanted:
            continue
        record = LoadedPlugin(ep.name, ep.value)
        try:
            register = ep.load()
            register(registry)
        except GasOpsError as exc:
            record.error = str(exc)
        except Exception as exc:  # a broken third-party plugin must not take the console down
            record.error = f"{type(exc).__name__}: {exc}"
        if record.error:
            log.warning("plugin %s (%s) not loaded: %s", ep.name, ep.value, record.error)
        loaded.append(record)
    registry.plugins.extend(loaded)
    return loaded


_default: PluginRegistry | None = None


def default_registry() -> PluginRegistry:
    """The process-wide registry with every installed plugin loaded (built-ins first)."""
    global _default
    if _default is None:
        registry = PluginRegistry()
        load_plugins(registry)
        if not registry.readers:  # not installed as a distribution (running from a source tree): built-ins only
            from console.app.builtin import register

            register(registry)
        _default = registry
    return _default
