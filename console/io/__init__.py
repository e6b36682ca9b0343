"""Network files (Qt-free): the GeoPackage project file, GeoJSON and Shapefile exchange, GasLib and EPANET import.

>>> from console.io import read_network, write_network
>>> net = read_network("network.gpkg")                     # doctest: +SKIP
>>> write_network(net, "exchange.geojson")                  # doctest: +SKIP

Every failure is a :class:`console.errors.NetworkFileError` naming the file and the problem in one line. Writes are
atomic: a temporary file next to the target, renamed over it when complete.
"""

from console.io._registry import FORMATS, FileFormat, detect_format, read_network, write_network
from console.io._reproject import reproject
from console.io._shapefile import SHAPEFILE_FIELD_NAMES

__all__ = [
    "FORMATS",
    "SHAPEFILE_FIELD_NAMES",
    "FileFormat",
    "detect_format",
    "read_network",
    "reproject",
    "write_network",
]
