"""The built-in features, registered through the same plugin mechanism a third-party plugin uses.

The file formats come from the one format table, :data:`console.io.FORMATS`: every ending (or URL scheme) of a format
GasOps reads gets a reader, of one it writes a writer. Reading goes through :func:`console.io.read_network` (which
tells GeoJSON from GasLib JSON by content), writing through :func:`console.io.write_network` (atomic).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

__all__ = ["BUILTIN_UI_EXTENSIONS", "register"]

# Feature UIs, installed into the main window in this order (import paths: console.app never imports console.ui).
BUILTIN_UI_EXTENSIONS: tuple[tuple[str, str], ...] = (
    ("isolation", "console.ui.isolation:install"),
    ("simulation", "console.ui.simulation:install"),
    ("ledger", "console.ui.ledger:install"),
    ("telemetry", "console.ui.telemetry:install"),
    ("operators", "console.ui.operators:install"),
    ("editing", "console.ui.editing:install"),
    ("dispatch", "console.ui.dispatch:install"),
    ("metering", "console.ui.metering:install"),
    ("view3d", "console.ui.view3d:install"),
    ("basemap", "console.ui.map.basemap:install"),
    ("help", "console.ui.help:install"),
)


def _read(path: str | Path, crs: Any = None, **options: Any) -> Any:
    from console.io import read_network

    return read_network(path, crs=crs, **options)


def _write(network: Any, path: str | Path, *, format: str) -> Path | str:
    from console.io import write_network

    return write_network(network, path, format=format)


def register(registry) -> None:
    from console.io import FORMATS

    for fmt in FORMATS.values():
        for ext in fmt.extensions:
            # The first format naming an ending describes it (".json": GeoJSON; GasLib JSON is told by content).
            if fmt.reads and ext not in registry.readers:
                registry.add_reader(ext, _read, fmt.label)
            if fmt.writes and ext not in registry.writers and not (fmt.folder and ext.startswith(".")):
                registry.add_writer(ext, partial(_write, format=fmt.key), fmt.label)
    for name, target in BUILTIN_UI_EXTENSIONS:
        registry.add_ui_extension(name, target)
