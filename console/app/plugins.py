"""Plugins: first-party and third-party extensions registered through the ``console.plugins`` entry-point group.

An entry point names a callable ``register(registry)``. The built-in file formats register the same way
(``console.app.builtin:register``, from ``console.io.FORMATS``), so a plugin can do whatever the built-ins do: add a
file reader or writer for an extension (File › Open and Save filters are built from the registry), a UI extension
for the GUI (docks, tools, overlays), a feed adapter or a record type (later features add their kinds to the
registry).

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

__all__ = ["ENTRY_POINT_GROUP", "FeedAdapter", "PluginRegistry", "LoadedPlugin", "load_plugins", "default_registry"]

ENTRY_POINT_GROUP = "console.plugins"
log = logging.getLogger(__name__)

Reader = Callable[..., Any]  # (path, crs=None) -> GasNetwork
Writer = Callable[..., Any]  # (network, path) -> where it was written


@dataclass
class LoadedPlugin:
    name: str
    value: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class FeedAdapter:
    """A kind of live feed a plugin adds (Sparkplug B, OPC UA, Modbus …): ``factory(sensors, **options)`` returns a
    ``console.telemetry.Feed`` for the network's sensor table; ``options`` documents the keyword options it takes."""

    name: str
    factory: Callable[..., Any]
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)

    def create(self, sensors: Any, **options: Any) -> Any:
        """The feed, after checking that every option is one the adapter declares (when it declares any)."""
        unknown = sorted(set(options) - set(self.options)) if self.options else []
        if unknown:
            raise GasOpsError(
                f"feed adapter {self.name!r} has no option {', '.join(unknown)} (options: {', '.join(self.options)})"
            )
        return self.factory(sensors, **options)


@dataclass
class PluginRegistry:
    """What plugins contribute. Qt-free: UI extensions are stored as import paths or callables the UI calls."""

    # ".ext" (or "scheme://" for a database URL) -> (description, reader)
    readers: dict[str, tuple[str, Reader]] = field(default_factory=dict)
    # ".ext" (or "scheme://") -> (description, writer)
    writers: dict[str, tuple[str, Writer]] = field(default_factory=dict)
    # name -> "module:function" or a callable taking the MainWindow (the app layer never imports the UI itself)
    ui_extensions: dict[str, str | Callable[..., Any]] = field(default_factory=dict)
    # name -> live feed adapter (``LiveSession.connect_adapter``, ``gasops feed adapter``)
    feed_adapters: dict[str, FeedAdapter] = field(default_factory=dict)
    plugins: list[LoadedPlugin] = field(default_factory=list)

    def add_reader(self, extension: str, reader: Reader, description: str = "") -> None:
        """Register ``reader`` for a file extension (``".gpkg"``) or a URL scheme (``"postgresql://"``)."""
        ext = _normalise(extension)
        self.readers[ext] = (description or ext, reader)

    def add_writer(self, extension: str, writer: Writer, description: str = "") -> None:
        """Register ``writer(network, path)`` for a file extension or a URL scheme (File › Save as, ``save``)."""
        ext = _normalise(extension)
        self.writers[ext] = (description or ext, writer)

    def add_ui_extension(self, name: str, target: str | Callable[..., Any]) -> None:
        """A feature UI: ``"module:function"`` or a callable, called with the MainWindow when it is built."""
        self.ui_extensions[name] = target

    def add_feed_adapter(
        self, name: str, factory: Callable[..., Any], description: str = "", options: dict[str, str] | None = None
    ) -> None:
        """A live feed kind: ``factory(sensors, **options)`` returns a ``console.telemetry.Feed``."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise GasOpsError(f"feed adapter name {name!r}: use letters, digits, '-' and '_'")
        self.feed_adapters[name] = FeedAdapter(name, factory, description or name, dict(options or {}))

    def feed_adapter(self, name: str) -> FeedAdapter:
        """The adapter registered as ``name``; the error names the installed ones."""
        try:
            return self.feed_adapters[name]
        except KeyError:
            known = ", ".join(sorted(self.feed_adapters)) or "none installed"
            raise GasOpsError(f"no live feed adapter {name!r} (installed: {known})") from None

    def reader_for(self, path: str | Path) -> Reader:
        """The reader registered for ``path``'s kind (longest matching extension, URL scheme, or a Shapefile folder)."""
        return self._lookup(self.readers, path, "reader")

    def writer_for(self, path: str | Path) -> Writer:
        """The writer registered for ``path``'s kind."""
        return self._lookup(self.writers, path, "writer")

    def open(self, path: str | Path, **kwargs: Any) -> Any:
        return self.reader_for(path)(path, **kwargs)

    def save(self, network: Any, path: str | Path) -> Any:
        return self.writer_for(path)(network, path)

    def file_filter(self, mode: str = "read") -> str:
        """A file-dialog filter: every readable (``mode="read"``, File › Open) or writable (``"write"``) file kind.

        The first entry lists them all, then one entry per description, then ``All files (*)``; URL schemes are
        left out (a database is opened by URL, not through a file dialog), and so is a Shapefile folder.

        >>> registry = PluginRegistry()
        >>> registry.add_reader(".gpkg", print, "GeoPackage")
        >>> registry.add_reader(".site.json", print, "Site survey")
        >>> registry.file_filter()
        'Network files (*.gpkg *.site.json);;GeoPackage (*.gpkg);;Site survey (*.site.json);;All files (*)'
        """
        if mode not in ("read", "write"):
            raise ValueError(f"file_filter mode is 'read' or 'write', not {mode!r}")
        table = self.readers if mode == "read" else self.writers
        kinds: dict[str, list[str]] = {}
        for ext, (description, _) in table.items():  # registration order: built-ins first, then plugins
            if ext.startswith("."):  # not "scheme://" or "<folder>"
                kinds.setdefault(description, []).append(f"*{ext}")
        every = [pattern for patterns in kinds.values() for pattern in patterns]
        named = [f"{description} ({' '.join(patterns)})" for description, patterns in kinds.items()]
        first = [f"Network files ({' '.join(every)})"] if every else []
        return ";;".join([*first, *named, "All files (*)"])

    @staticmethod
    def _lookup(table: dict[str, tuple[str, Any]], path: str | Path, what: str) -> Any:
        if isinstance(path, str) and "://" in path:  # a URL (Path() would fold its "//")
            scheme = path.split("://", 1)[0].lower() + "://"
            if scheme in table:
                return table[scheme][1]
            known = ", ".join(sorted(k for k in table if k.endswith("://"))) or "none"
            raise NetworkFileError(f"{scheme}…", f"no {what} for this kind of URL (known: {known})")
        p = Path(path)
        suffixes = [s.lower() for s in p.suffixes]
        for n in range(len(suffixes), 0, -1):  # ".network.json" before ".json"
            ext = "".join(suffixes[-n:])
            if ext in table:
                return table[ext][1]
        if (p.is_dir() or not p.suffix) and "<folder>" in table:
            return table["<folder>"][1]
        if p.is_dir() and ".shp" in table:
            return table[".shp"][1]
        known = ", ".join(sorted(table))
        raise NetworkFileError(p, f"no {what} for this kind of file (known: {known})")


def _normalise(extension: str) -> str:
    ext = extension.lower()
    if not ext.startswith(".") and not ext.endswith("://") and ext != "<folder>":
        ext = f".{ext}"
    return ext


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
