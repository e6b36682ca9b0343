"""What is under the cursor: the feature identify picks, every feature drawn there, and the asset under a sensor.

Identify, hover, "Report hazard here" and the identify panel's "Also here" list all answer from these, so they
always agree on which feature a point means (sensors sit on the device they measure, so a click on a valve often
lands on its sensor too).
"""

from __future__ import annotations

from console.network import PICK_ORDER, Hit

__all__ = ["features_at", "pick_asset"]

_TOLERANCE_PX = 6.0  # as the canvas's identify (console.ui.map.canvas.IDENTIFY_TOLERANCE_PX)


def _drawn_layers(canvas, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    mpp = canvas.metres_per_pixel()
    return tuple(
        name
        for name in PICK_ORDER
        if name not in exclude
        and (
            (name == "pipes" and canvas.pipes.visible)
            or (name in canvas.points and canvas.points[name].drawn(mpp))
            or name == "links"
        )
    )


def pick_asset(canvas, x: float, y: float) -> Hit | None:
    """The network feature (never a sensor) identify would pick at (x, y) if sensors were not drawn."""
    network = canvas.network
    if network is None:
        return None
    layers = _drawn_layers(canvas, exclude=("sensors",))
    return network.spatial.nearest(x, y, _TOLERANCE_PX * canvas.metres_per_pixel(), layers)


def features_at(canvas, x: float, y: float, limit: int = 8) -> list[Hit]:
    """Every drawn feature within the identify tolerance of (x, y): identify's pick first, then by distance."""
    network = canvas.network
    if network is None:
        return []
    tolerance = _TOLERANCE_PX * canvas.metres_per_pixel()
    layers = _drawn_layers(canvas)
    first = network.spatial.nearest(x, y, tolerance, layers)
    hits: list[Hit] = []
    for layer in layers:
        if not len(network[layer]):
            continue
        rows, dist = network.spatial.grid(layer).within(x, y, tolerance)
        ids = network[layer]["id"].to_numpy()
        hits += [Hit(layer, int(r), str(ids[int(r)]), float(d)) for r, d in zip(rows, dist, strict=True)]
    hits.sort(key=lambda h: h.distance)
    if first is not None:
        hits = [first] + [h for h in hits if (h.layer, h.row) != (first.layer, first.row)]
    return hits[:limit]
