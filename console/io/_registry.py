"""The format table, format detection and the two entry points ``read_network``/``write_network``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.atomic import AtomicWriteError, atomic_output
from console.errors import GasOpsError, NetworkFileError
from console.io._common import clean_message
from console.io._dburl import is_database_url
from console.io._epanet import read_epanet
from console.io._gaslib import read_gaslib
from console.io._gaslib_json import read_gaslib_json
from console.io._geojson import read_geojson, write_geojson
from console.io._gpkg import read_gpkg, write_gpkg
from console.io._shapefile import read_shapefile, write_shapefile
from console.network import GasNetwork

__all__ = ["FORMATS", "FileFormat", "detect_format", "read_network", "write_network"]


def _read_postgis(url: str, *, crs: Any = None, **options: Any) -> GasNetwork:
    from console.io._postgis import read_postgis  # the database stack loads only when a database is used

    return read_postgis(str(url), crs=crs, **options)


def _write_postgis(network: GasNetwork, url: str) -> str:
    from console.io._postgis import write_postgis

    return write_postgis(network, str(url))


@dataclass(frozen=True)
class FileFormat:
    """One network format: its key, name, file name endings (or URL schemes), and its reader and writer.

    ``extensions`` are lower-case endings (``".gpkg"``), ``"<folder>"`` for a folder, or URL schemes
    (``"postgresql://"``). A format without a ``writer`` is imported only.
    """

    key: str
    label: str
    extensions: tuple[str, ...]
    description: str
    reader: Callable[..., GasNetwork] | None = None
    writer: Callable[[GasNetwork, Any], Any] | None = None
    folder: bool = False  # written as a folder (renamed over the previous folder as a whole)

    @property
    def reads(self) -> bool:
        return self.reader is not None

    @property
    def writes(self) -> bool:
        return self.writer is not None

    @property
    def is_database(self) -> bool:
        return any(e.endswith("://") for e in self.extensions)


# The one list of formats: read_network/write_network dispatch through it, the plugin registry's built-ins
# (console.app.builtin) register from it, and File › Open/Save filters are built from that registry.
FORMATS: dict[str, FileFormat] = {
    f.key: f
    for f in (
        FileFormat(
            "gpkg",
            "GeoPackage",
            (".gpkg",),
            "The native project file: one layer per feature class, CRS and extra columns kept exactly.",
            read_gpkg,
            write_gpkg,
        ),
        FileFormat(
            "geojson",
            "GeoJSON",
            (".geojson", ".json"),
            "One FeatureCollection, a 'layer' property per feature, a 'crs' member (projected CRSs allowed).",
            read_geojson,
            write_geojson,
        ),
        FileFormat(
            "shapefile",
            "Shapefile folder",
            (".shp", "<folder>"),
            "A folder with one .shp per layer, UTF-8 text, 10-character field names mapped back on reading.",
            read_shapefile,
            write_shapefile,
            folder=True,
        ),
        FileFormat(
            "gaslib",
            "GasLib XML",
            (".net", ".xml"),
            "Import of GasLib gas transmission instances (gaslib.zib.de); pressures converted to gauge MPa.",
            read_gaslib,
        ),
        FileFormat(
            "gaslib-json",
            "GasLib JSON",
            (".json",),
            "Import of GasLib instances in their JSON conversion (nodes/pipes/receipts/deliveries, SI units).",
            read_gaslib_json,
        ),
        FileFormat(
            "epanet",
            "EPANET input",
            (".inp",),
            "Import of an EPANET water network's layout: nodes, pipes, valves, pumps, coordinates, vertices.",
            read_epanet,
        ),
        FileFormat(
            "postgis",
            "PostGIS database",
            ("postgresql://", "postgres://", "postgis://"),
            "A schema of a PostgreSQL/PostGIS database (postgresql://user@host:port/db?schema=NAME): one table per "
            "layer, written atomically.",
            _read_postgis,
            _write_postgis,
        ),
    )
}

_ALIASES = {
    "geopackage": "gpkg",
    "json": "geojson",
    "shp": "shapefile",
    "esri shapefile": "shapefile",
    "gaslib-xml": "gaslib",
    "net": "gaslib",
    "xml": "gaslib",
    "inp": "epanet",
    "postgresql": "postgis",
    "postgres": "postgis",
    "pg": "postgis",
}


def _suffix_table() -> dict[str, str]:
    # The first format naming an ending owns it; ".json" is told apart by its content (_sniff_json).
    table: dict[str, str] = {}
    for fmt in FORMATS.values():
        for ext in fmt.extensions:
            if ext.startswith(".") and ext != ".json":
                table.setdefault(ext, fmt.key)
    return table


def detect_format(path: str | os.PathLike[str]) -> str:
    """The key in :data:`FORMATS` of a path, from its ending (and, for ``.json``, its first bytes).

    A folder, or a path without an ending, is a Shapefile folder. ``.json`` is GasLib JSON when the file starts
    like one (a ``nodes`` object and no ``FeatureCollection``), GeoJSON otherwise.

    A ``postgresql://`` (or ``postgis://``) URL is a PostGIS database.

    >>> detect_format("network.gpkg"), detect_format("Net3.inp"), detect_format("GasLib-11.net")
    ('gpkg', 'epanet', 'gaslib')
    >>> detect_format("postgresql://gis@db/city?schema=east")
    'postgis'
    """
    if is_database_url(path):
        return "postgis"
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _sniff_json(p)
    by_suffix = _suffix_table()
    if suffix in by_suffix:
        return by_suffix[suffix]
    if p.is_dir() or not suffix:
        return "shapefile"
    known = ", ".join(sorted({*by_suffix, ".json"}))
    raise NetworkFileError(p, f"unknown file type {suffix!r}; GasOps reads {known} and Shapefile folders")


def _sniff_json(path: Path) -> str:
    if not path.is_file():
        return "geojson"
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if b'"FeatureCollection"' in head:
        return "geojson"
    if b'"nodes"' in head and (b'"x_coord"' in head or b'"pipes"' in head):
        return "gaslib-json"
    return "geojson"


def _format_key(format: str | None, path: Path) -> str:
    if format is None:
        return detect_format(path)
    key = _ALIASES.get(format.lower(), format.lower())
    if key not in FORMATS:
        raise NetworkFileError(path, f"unknown format {format!r}; formats are {', '.join(FORMATS)}")
    return key


def _is_postgis_format(format: str | None) -> bool:
    return format is not None and _ALIASES.get(format.lower(), format.lower()) == "postgis"


def read_network(
    path: str | os.PathLike[str], *, crs: Any = None, format: str | None = None, **options: Any
) -> GasNetwork:
    """Read a network file in any format of :data:`FORMATS`.

    Parameters
    ----------
    path
        The file (or Shapefile folder), or a PostGIS URL ``postgresql://user@host:port/db?schema=NAME`` (password
        from the URL, ``PGPASSWORD`` or ``~/.pgpass``; see :mod:`console.io._postgis`).
    crs
        Assign this CRS (anything pyproj accepts) instead of the file's; coordinates are not transformed (use
        :func:`reproject` for that). For GasLib files with WGS 84 positions it is the projection to use.
    format
        A key of :data:`FORMATS` (or ``geopackage``, ``shp``, ``inp`` …) when the file name does not tell.
    **options
        Format options: ``layer=`` for one-layer GeoJSON/Shapefile from other tools; ``pressure_class=`` and
        ``supply_pressure_mpa=`` for EPANET.

    Raises
    ------
    NetworkFileError
        Naming the file and the problem, for every way a file can be missing, damaged or wrong (for a database:
        :class:`PostGISError`, naming the URL without its password).
    """
    if is_database_url(path) or _is_postgis_format(format):
        return FORMATS["postgis"].reader(str(path), crs=crs, **options)
    p = Path(path)
    key = _format_key(format, p)
    reader = FORMATS[key].reader
    if reader is None:  # a format a plugin added to the table for writing only
        raise NetworkFileError(p, f"{FORMATS[key].label} is written only")
    try:
        return reader(p, crs=crs, **options)
    except GasOpsError:
        raise
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            raise TypeError(f"{FORMATS[key].label} takes no option: {exc}") from None
        raise NetworkFileError(p, f"cannot read: {clean_message(exc)}") from exc
    except Exception as exc:  # the boundary: whatever a reader raises reaches the user as one line
        raise NetworkFileError(p, f"cannot read: {clean_message(exc)}") from exc


def write_network(network: GasNetwork, path: str | os.PathLike[str], *, format: str | None = None) -> Path | str:
    """Write ``network`` atomically as GeoPackage, GeoJSON, a Shapefile folder or into PostGIS; return where.

    The output is built in a temporary file (or folder) next to ``path`` and renamed over it only when complete,
    so a failure leaves no partial output and any previous file untouched. A ``postgresql://…?schema=NAME`` URL
    writes the tables in one transaction (staging tables, then swapped in) and returns the URL without password.

    Raises
    ------
    NetworkFileError
        Naming the target and the problem (format that GasOps only imports, unstorable column, disk error …).
    """
    if is_database_url(path) or _is_postgis_format(format):
        return FORMATS["postgis"].writer(network, str(path))
    p = Path(path)
    key = _format_key(format, p)
    fmt = FORMATS[key]
    if fmt.folder and p.suffix.lower() in fmt.extensions:
        raise NetworkFileError(p, "a network is written as a folder of shapefiles: give a folder path, not a .shp")
    if fmt.writer is None:
        writable = ", ".join(f.label for f in FORMATS.values() if f.writes)
        raise NetworkFileError(p, f"{fmt.label} is imported only; write {writable}")
    temporary: list[Path] = []
    try:
        with atomic_output(p, folder=fmt.folder) as tmp:
            temporary.append(tmp)
            fmt.writer(network, tmp)
    except AtomicWriteError as exc:  # the one atomic write reports in the io layer's terms
        raise NetworkFileError(p, exc.problem) from exc
    except NetworkFileError as exc:
        # Name the user's target, not the temporary file GDAL was writing when it failed.
        problem = exc.problem
        for tmp in temporary:
            problem = problem.replace(str(tmp), str(p))
        if exc.path == str(p) and problem == exc.problem:
            raise
        raise NetworkFileError(p, problem) from exc
    except OSError as exc:
        raise NetworkFileError(p, f"cannot write: {exc.strerror or exc}") from exc
    except Exception as exc:  # the boundary: whatever a writer raises reaches the user as one line
        raise NetworkFileError(p, f"cannot write: {clean_message(exc)}") from exc
    return p
