"""Tiny hand-built networks for tests: nodes and links written out so answers can be worked out by hand."""

from __future__ import annotations

from collections import defaultdict

import geopandas as gpd
import shapely

from console.network import LAYERS, GasNetwork

PIPE_DEFAULTS = {"dn": 110, "inner_diameter_mm": 90.0, "material": "PE100", "pressure_class": "MP-A"}
NODE_DEFAULTS = {"gate_stations": {"supply_pressure_mpa": 0.4}}
LINK_DEFAULTS = {
    "regulators": {"inlet_class": "MP-A", "outlet_class": "LP", "set_outlet_pressure_mpa": 0.002},
    "links": {"kind": "compressor"},
}

# Around Zhoushan in CGCS2000 / 3-degree GK zone 41 (EPSG:4529), so the area-of-use check passes.
ORIGIN = (41_405_000.0, 3_320_000.0)


def make_network(nodes, links=(), sensors=(), *, crs=4529, origin=ORIGIN, name="test") -> GasNetwork:
    """Build a network from ``nodes`` = [(id, layer, x, y, {attrs})] and ``links`` = [(id, layer, from, to, {attrs})].

    Coordinates are offsets in metres from ``origin``. Pipes get a straight geometry between their nodes and
    ``length_m`` from it unless given; device links a point at their midpoint.
    """
    ox, oy = origin
    xy = {}
    rows = defaultdict(list)
    for node in nodes:
        nid, layer, x, y, *rest = node
        attrs = rest[0] if rest else {}
        xy[nid] = (ox + x, oy + y)
        rows[layer].append(
            {"id": nid, **NODE_DEFAULTS.get(layer, {}), **attrs, "geometry": shapely.Point(ox + x, oy + y)}
        )
    for link in links:
        lid, layer, a, b, *rest = link
        attrs = dict(rest[0]) if rest else {}
        pa, pb = xy.get(a, (ox, oy)), xy.get(b, (ox, oy))
        if LAYERS[layer].geometry == "LineString":
            geom = attrs.pop("geometry", None) or shapely.LineString([pa, pb])
            if layer == "pipes":
                attrs = {**PIPE_DEFAULTS, "length_m": geom.length, **attrs}
        else:
            geom = shapely.Point((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)
        rows[layer].append(
            {"id": lid, "from_node": a, "to_node": b, **LINK_DEFAULTS.get(layer, {}), **attrs, "geometry": geom}
        )
    for sensor in sensors:
        sid, kind, fid, x, y = sensor
        rows["sensors"].append({"id": sid, "kind": kind, "feature_id": fid, "geometry": shapely.Point(ox + x, oy + y)})
    frames = {layer: gpd.GeoDataFrame(r, geometry="geometry", crs=crs) for layer, r in rows.items()}
    return GasNetwork(frames, crs=crs, name=name)


def chain(n: int, *, spacing: float = 100.0, pressure_class: str = "MP-A") -> GasNetwork:
    """A gate station G followed by n pipes P1..Pn through junctions J1..Jn, ending in an end cap."""
    nodes = [("G", "gate_stations", 0, 0)] + [(f"J{i}", "junctions", i * spacing, 0) for i in range(1, n)]
    nodes.append(("E", "end_caps", n * spacing, 0))
    names = ["G"] + [f"J{i}" for i in range(1, n)] + ["E"]
    links = [(f"P{i + 1}", "pipes", names[i], names[i + 1], {"pressure_class": pressure_class}) for i in range(n)]
    return make_network(nodes, links)
