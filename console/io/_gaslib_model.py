"""Turning a parsed GasLib instance (XML or JSON) into GasOps layers: placement, pressure classes, geometry.

Both GasLib readers hand over two plain tables (nodes and connections, SI-ish units already converted) and this
module does the rest, so that the XML and the JSON import make the same decisions.

Decisions (documented here once):

* **Pressures.** GasLib pressure bounds are *absolute* (node bounds such as 81.01325 bar and control-valve inlet
  minima of 1.01325 bar show it). GasOps pressures are gauge MPa (GB 50028), so ``p_gauge_mpa = (p_abs_bar −
  1.01325) / 10`` (JSON: ``(p_abs_pa − 101325) / 1e6``). Differential pressures convert without the offset.
* **Pressure classes.** GasLib models transmission grids run at 40–80 bar, far above the 4.0 MPa top of GB 50028's
  distribution classes. The class of a pipe comes from the larger maximum pressure of its end nodes through
  :meth:`PressureClass.for_pressure`, clipped to 4.0 MPa, so in practice every imported pipe is HP-A (高压A); the
  true bounds stay in ``pressure_max_mpa``. A node without a bound takes the largest bound in the file.
* **Flows.** GasLib flows are in 1000 m³/h at normal conditions: ×1000 gives Nm³/h. Flow bounds stay bounds
  (``flow_min_nm3h``/``flow_max_nm3h``); exits get no demand from them (peak demand 0): real demands come from a
  demand scenario (a GasLib nomination or a CSV, :func:`console.hydraulics.read_demand_scenario`).
* **Placement and CRS.** Nodes that all carry ``geoWGS84Long``/``geoWGS84Lat`` (GasLib-40, -135; the JSON's
  ``y_coord``/``x_coord``, which are longitude/latitude) are projected to WGS 84 / UTM in the zone of their mean
  longitude (EPSG:326zz), or to ``crs`` when given. Otherwise x/y are schematic drawing units, not metres and not
  degrees (GasLib-11 draws 55 km pipes 200 units long, GasLib-134 mixes 140–500 m per unit), so they are scaled by
  the median ratio of pipe length to drawn length, putting the schematic roughly at true scale, in a local
  engineering CRS (``ENGCRS``, metres) that GeoPackage and Shapefile store and read back. With ``crs`` given the
  raw x/y are taken as coordinates in that CRS. Raw x/y stay in ``gaslib_x``/``gaslib_y``.
* **Devices.** Valves and control valves (regulators) are placed at the midpoint of their end nodes; compressor
  stations, resistors and short pipes are ``links`` with a straight line between their nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from console.errors import NetworkFileError
from console.io._common import make_network, parse_crs
from console.network import LAYERS, GasNetwork, PressureClass

__all__ = ["ATM_BAR", "assemble", "schematic_crs"]

ATM_BAR = 1.01325
_MAX_CLASS_MPA = PressureClass.HP_A.range_mpa[1]

# GasLib element → (GasOps layer, link kind)
LINK_ELEMENTS = {
    "pipe": ("pipes", None),
    "valve": ("valves", None),
    "controlValve": ("regulators", None),
    "shortPipe": ("links", "short_pipe"),
    "compressorStation": ("links", "compressor"),
    "resistor": ("links", "resistor"),
}
NODE_ELEMENTS = {"source": "gate_stations", "sink": "customers", "innode": "junctions"}


def schematic_crs(metres_per_unit: float) -> CRS:
    """A local engineering CRS in metres for a scaled GasLib schematic (no place on the Earth)."""
    return CRS.from_wkt(
        f'ENGCRS["GasLib schematic plane (1 drawing unit = {metres_per_unit:.6g} m)",'
        'EDATUM["GasLib drawing plane"],CS[Cartesian,2],'
        'AXIS["easting (X)",east,ORDER[1],LENGTHUNIT["metre",1]],'
        'AXIS["northing (Y)",north,ORDER[2],LENGTHUNIT["metre",1]]]'
    )


def assemble(path: Path, nodes: pd.DataFrame, links: pd.DataFrame, name: str, crs: Any = None) -> GasNetwork:
    """Build the network from GasLib node and connection tables.

    ``nodes`` columns: id, element (source/sink/innode), name, x, y, lon, lat, elevation_m, pressure_min_mpa,
    pressure_max_mpa (gauge), flow_min_nm3h, flow_max_nm3h, plus extras. ``links`` columns: id, element (see
    ``LINK_ELEMENTS``), from_node, to_node, name, length_m, diameter_mm, roughness_mm, plus extras such as
    pressure_out_max_mpa (gauge). ``line`` columns, when present, give source lines for messages.
    """
    nodes = _ensure(nodes, ["name", "x", "y", "lon", "lat", "pressure_max_mpa", "flow_max_nm3h"])
    links = _ensure(links, ["name", "length_m", "diameter_mm", "flow_max_nm3h", "pressure_out_max_mpa"])
    node_index = pd.Index(nodes["id"])
    src = node_index.get_indexer(links["from_node"])
    dst = node_index.get_indexer(links["to_node"])
    for ends, column in ((src, "from_node"), (dst, "to_node")):
        bad = np.flatnonzero(ends < 0)
        if len(bad):
            row = links.iloc[bad[0]]
            where = f"line {row['line']}: " if "line" in links and pd.notna(row.get("line")) else ""
            raise NetworkFileError(
                path, f"{where}{row['element']} {row['id']!r} refers to unknown node {row[column]!r}"
            )
    _check_pipe_sizes(path, links)
    xy, crs = _place(path, nodes, links, src, dst, crs)
    pmax = nodes["pressure_max_mpa"].to_numpy(float)
    known = pmax[np.isfinite(pmax)]
    pmax = np.where(np.isfinite(pmax), pmax, known.max() if len(known) else _MAX_CLASS_MPA)

    layers: dict[str, pd.DataFrame] = {}
    nodes = nodes.drop(columns=[c for c in ("line", "lon", "lat", "x", "y") if c in nodes]).assign(
        gaslib_x=nodes["x"], gaslib_y=nodes["y"]
    )
    if nodes["gaslib_x"].isna().all():
        nodes = nodes.drop(columns=["gaslib_x", "gaslib_y"])
    points = shapely.points(xy)
    for element, layer in NODE_ELEMENTS.items():
        mask = (nodes["element"] == element).to_numpy()
        frame = nodes.loc[mask].drop(columns="element")
        if layer == "gate_stations":
            frame = frame.assign(
                supply_pressure_mpa=np.clip(pmax[mask], 0.0, None), capacity_nm3h=frame["flow_max_nm3h"]
            )
        elif layer == "customers":
            # flowMax is the exit's contractual bound, not what it draws: no demand until a scenario gives one.
            frame = frame.assign(category="industrial", peak_demand_nm3h=0.0)
        layers[layer] = _with_geometry(frame, points[mask])

    a, b = xy[src], xy[dst]
    element = links["element"].to_numpy()
    parts: dict[str, list[gpd.GeoDataFrame]] = {}
    for gaslib_element, (layer, kind) in LINK_ELEMENTS.items():
        mask = element == gaslib_element
        if not mask.any():
            continue
        frame = links.loc[mask].drop(columns=[c for c in ("element", "line") if c in links])
        p_from, p_to = pmax[src[mask]], pmax[dst[mask]]
        if layer == "pipes":
            frame = frame.assign(
                dn=np.round(frame["diameter_mm"]).astype("int64"),
                inner_diameter_mm=frame["diameter_mm"],
                pressure_class=_classes(np.maximum(p_from, p_to)),
            ).drop(columns="diameter_mm")
            geometry = shapely.linestrings(np.stack([a[mask], b[mask]], axis=1))
        elif layer == "regulators":
            outlet = frame["pressure_out_max_mpa"].to_numpy(float)
            frame = frame.assign(
                kind="control_valve",
                inlet_class=_classes(p_from),
                outlet_class=_classes(p_to),
                set_outlet_pressure_mpa=np.clip(np.fmin(outlet, p_to), 0.0, None),
                capacity_nm3h=frame["flow_max_nm3h"].where(frame["flow_max_nm3h"] > 0),
            )
            geometry = shapely.points((a[mask] + b[mask]) / 2)
        elif layer == "valves":
            geometry = shapely.points((a[mask] + b[mask]) / 2)
        else:
            frame = frame.assign(kind=kind)
            geometry = shapely.linestrings(np.stack([a[mask], b[mask]], axis=1))
        parts.setdefault(layer, []).append(_with_geometry(frame, geometry))
    for layer, frames in parts.items():
        layers[layer] = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    layers = {layer: _drop_empty_extras(layer, frame) for layer, frame in layers.items()}
    return make_network(path, layers, crs, name)


def _check_pipe_sizes(path: Path, links: pd.DataFrame) -> None:
    """Pipes need a finite, positive length and diameter: a GasLib length of 1e400 or a diameter of −500 is an
    error naming the pipes, never an "inf km" pipe on the map."""
    pipes = links.loc[(links["element"] == "pipe").to_numpy()]
    for column, what in (("length_m", "length"), ("diameter_mm", "diameter")):
        values = pipes[column].to_numpy(float)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            ids = pipes.loc[bad, "id"].tolist()
            shown = ", ".join(map(str, ids[:5])) + (f" … ({len(ids)} in all)" if len(ids) > 5 else "")
            raise NetworkFileError(path, f"pipes with a {what} that is not a positive finite number: {shown}")


def _place(
    path: Path, nodes: pd.DataFrame, links: pd.DataFrame, src: np.ndarray, dst: np.ndarray, crs: Any
) -> tuple[np.ndarray, CRS]:
    """Node coordinates and their CRS (see the module docstring)."""
    target = parse_crs(crs, path)
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    if len(nodes) and np.isfinite(lon).all() and np.isfinite(lat).all():
        if target is None:
            zone = int(np.floor((np.mean(lon) + 180.0) / 6.0)) % 60 + 1
            target = CRS.from_epsg((32600 if np.mean(lat) >= 0 else 32700) + zone)
        transformer = Transformer.from_crs(CRS.from_epsg(4326), target, always_xy=True)
        x, y = transformer.transform(lon, lat)
        xy = np.column_stack([x, y])
        if not np.isfinite(xy).all():
            raise NetworkFileError(path, f"node coordinates cannot be projected to {target.name}")
        return xy, target
    raw = nodes[["x", "y"]].to_numpy(float)
    if not np.isfinite(raw).all():
        bad = nodes.loc[~np.isfinite(raw).all(axis=1), "id"].head(5).tolist()
        raise NetworkFileError(path, f"nodes {bad} have no x/y coordinates")
    if target is not None:
        return raw, target
    pipes = (links["element"] == "pipe").to_numpy()
    drawn = np.hypot(*(raw[dst[pipes]] - raw[src[pipes]]).T)
    length = links.loc[pipes, "length_m"].to_numpy(float)
    ok = (drawn > 0) & np.isfinite(length) & (length > 0)
    scale = float(np.median(length[ok] / drawn[ok])) if ok.any() else 1.0
    return raw * scale, schematic_crs(scale)


def _ensure(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    missing = {c: "" if c == "name" else np.nan for c in columns if c not in frame.columns}
    return frame.assign(**missing) if missing else frame


def _classes(pressure_mpa: np.ndarray) -> np.ndarray:
    return PressureClass.for_pressure(np.clip(np.asarray(pressure_mpa, float), 0.0, _MAX_CLASS_MPA))


def _with_geometry(frame: pd.DataFrame, geometry: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=gpd.GeoSeries(geometry))


def _drop_empty_extras(layer: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop extra columns with no value, so a layer carries only the bounds its GasLib elements have."""
    schema = set(LAYERS[layer].column_names) | {"geometry"}
    empty = [c for c in frame.columns if c not in schema and (frame[c].isna() | (frame[c].astype("str") == "")).all()]
    return frame.drop(columns=empty)
