"""Reprojection of a whole network to another CRS."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from console.errors import GasOpsError
from console.network import GasNetwork

__all__ = ["reproject"]


def reproject(network: GasNetwork, to_crs: Any) -> GasNetwork:
    """A copy of ``network`` with every layer's geometry transformed to ``to_crs``.

    Attributes are copied as they are: lengths (``length_m``), diameters and elevations are surveyed values, not
    measured on the map, so they stay what the source said.

    Parameters
    ----------
    network
        The network; it must have a CRS.
    to_crs
        Anything pyproj accepts (``"EPSG:4529"``, a ``pyproj.CRS``, WKT).

    Raises
    ------
    GasOpsError
        When the network has no CRS, the target is not a CRS, or pyproj has no transformation between the two
        (a local engineering CRS cannot be placed on the Earth).
    """
    if network.crs is None:
        raise GasOpsError(f"network {network.name!r} has no CRS to reproject from; assign one when reading (crs=...)")
    try:
        target = CRS.from_user_input(to_crs)
    except CRSError as exc:
        raise GasOpsError(f"invalid target CRS {to_crs!r}: {exc}") from exc
    if target == network.crs:
        return network.snapshot()
    layers = {}
    for name, frame in network.layers.items():
        if not len(frame):
            continue
        try:
            moved = frame.to_crs(target)
        except Exception as exc:  # pyproj raises several types for impossible transformations
            raise GasOpsError(
                f"cannot reproject network {network.name!r} from {network.crs.name} to {target.name}: {exc}"
            ) from exc
        coords = shapely.get_coordinates(np.asarray(moved.geometry.array, dtype=object))
        if not np.isfinite(coords).all():
            raise GasOpsError(
                f"cannot reproject network {network.name!r} from {network.crs.name} to {target.name}: "
                f"layer {name!r} has coordinates outside the target CRS or no transformation exists"
            )
        layers[name] = moved
    return GasNetwork(layers, target, network.name, source=network.source)
