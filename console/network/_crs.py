"""Coordinate reference systems: CGCS2000 Gauss-Krüger zones and areas of use."""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer

__all__ = ["cgcs2000_gk3_zone", "cgcs2000_gk3_crs", "to_lonlat", "outside_area_of_use"]

CGCS2000_GEOGRAPHIC = CRS.from_epsg(4490)


def cgcs2000_gk3_zone(lon: float) -> int:
    """The 3-degree Gauss-Krüger zone number of a longitude (zone n has central meridian 3n°E).

    >>> cgcs2000_gk3_zone(122.2)  # Zhoushan island
    41
    """
    return int(np.floor((lon + 1.5) / 3.0))


def cgcs2000_gk3_crs(lon: float) -> CRS:
    """CGCS2000 / 3-degree Gauss-Krüger with the zone number prefixed to eastings (EPSG:4513–4533, zones 25–45)."""
    zone = cgcs2000_gk3_zone(lon)
    if not 25 <= zone <= 45:
        raise ValueError(f"longitude {lon} is outside the CGCS2000 3-degree zones 25–45 (China)")
    return CRS.from_epsg(4513 + zone - 25)


def to_lonlat(crs: CRS, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees, CGCS2000 ≈ WGS 84 at map scale) of projected coordinates."""
    transformer = Transformer.from_crs(crs, CGCS2000_GEOGRAPHIC, always_xy=True)
    return transformer.transform(np.asarray(x, float), np.asarray(y, float))


def outside_area_of_use(crs: CRS | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of coordinates outside the CRS's area of use (False everywhere when the CRS states none)."""
    x = np.asarray(x, float)
    if crs is None or crs.area_of_use is None or not len(x):
        return np.zeros(len(x), dtype=bool)
    aou = crs.area_of_use
    if crs.is_geographic:
        lon, lat = x, np.asarray(y, float)
    else:
        with np.errstate(all="ignore"):
            lon, lat = to_lonlat(crs, x, y)
    lon = np.asarray(lon)
    lat = np.asarray(lat)
    # A small margin: surveyed features right on a zone border are still valid in that zone.
    margin = 0.05
    return (
        ~np.isfinite(lon)
        | (lon < aou.west - margin)
        | (lon > aou.east + margin)
        | (lat < aou.south - margin)
        | (lat > aou.north + margin)
    )
