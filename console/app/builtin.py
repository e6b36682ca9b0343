"""The built-in features, registered through the same plugin mechanism a third-party plugin uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["register"]

BUILTIN_FORMATS = (
    (".gpkg", "GeoPackage (native project file)"),
    (".geojson", "GeoJSON"),
    (".json", "GeoJSON"),
    (".shp", "Shapefile (a folder of .shp files, one per layer)"),
    (".net", "GasLib XML network"),
    (".xml", "GasLib XML network"),
    (".inp", "EPANET input file"),
    ("postgresql://", "PostGIS database (postgresql://user@host:port/db?schema=NAME)"),
    ("postgres://", "PostGIS database"),
    ("postgis://", "PostGIS database"),
)


def _read(path: str | Path, crs: Any = None) -> Any:
    from console.io import read_network

    return read_network(path, crs=crs)


# Feature UIs, installed into the main window in this order (import paths: console.app never imports console.ui).
BUILTIN_UI_EXTENSIONS: tuple[tuple[str, str], ...] = (
    ("isolation", "console.ui.isolation:install"),
    ("simulation", "console.ui.simulation:install"),
    ("ledger", "console.ui.ledger:install"),
    ("telemetry", "console.ui.telemetry:install"),
)


def register(registry) -> None:
    for ext, description in BUILTIN_FORMATS:
        registry.add_reader(ext, _read, description)
    for name, target in BUILTIN_UI_EXTENSIONS:
        registry.add_ui_extension(name, target)
