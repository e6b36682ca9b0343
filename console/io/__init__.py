"""Network files (Qt-free): the GeoPackage project file, GeoJSON and Shapefile exchange, GasLib and EPANET import,
and PostGIS databases.

>>> from console.io import read_network, write_network
>>> net = read_network("network.gpkg")                     # doctest: +SKIP
>>> write_network(net, "exchange.geojson")                  # doctest: +SKIP
>>> write_network(net, "postgresql://gis@db:5432/city?schema=east")  # doctest: +SKIP

Every failure is a :class:`console.errors.NetworkFileError` naming the file and the problem in one line (for a
database a :class:`PostGISError` naming the URL without its password). Writes are atomic: a temporary file next to
the target, renamed over it when complete; a database is written in one transaction.
"""

from console.io._dburl import PostGISError, is_database_url, redact_url
from console.io._registry import FORMATS, FileFormat, detect_format, read_network, write_network
from console.io._reproject import reproject
from console.io._shapefile import SHAPEFILE_FIELD_NAMES

__all__ = [
    "FORMATS",
    "SHAPEFILE_FIELD_NAMES",
    "FileFormat",
    "commit_changes",
    "PostGISError",
    "detect_format",
    "is_database_url",
    "read_network",
    "redact_url",
    "reproject",
    "write_network",
]


def commit_changes(url: str, changes: list) -> object:
    """Commit feature changes to a PostGIS network in place, per feature, with conflict detection (see
    :func:`console.io._postgis.commit_changes`); imported on use, so opening a file never loads the database driver."""
    from console.io._postgis import commit_changes as commit

    return commit(url, changes)
