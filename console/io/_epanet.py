"""EPANET ``.inp`` import: a tolerant reader of the sections a network's layout needs.

EPANET describes water networks, so the import keeps the layout and the physical pipe data and makes documented
choices for what a gas network needs and a water model lacks:

* **Sections read.** ``[JUNCTIONS]`` (elevation), ``[RESERVOIRS]`` and ``[TANKS]`` (sources → gate_stations with
  ``epanet_kind`` and ``head_m``), ``[PIPES]``, ``[VALVES]`` (valves, placed at the midpoint of their nodes),
  ``[PUMPS]`` (links of kind ``pump``), ``[STATUS]`` (initial status of any link), ``[COORDINATES]``,
  ``[VERTICES]`` (on any link, as EPANET 2.2 allows: pipes and pumps run through theirs), ``[OPTIONS]``
  (``UNITS``, ``HEADLOSS``) and ``[BACKDROP] UNITS``. Every other section of EPANET 2.2 (demands, patterns, curves,
  controls, rules, energy, quality, labels, tags …) is accepted and skipped. Comments (``;``), tabs, blank lines and
  upper/lower case are accepted; ``[END]`` stops reading.
* **Statuses.** A CLOSED pipe (in [PIPES] or [STATUS]) is kept as a pipe with ``status`` ``closed`` (in place, no
  gas); a CLOSED pump is a ``links`` row with ``normal_position`` ``closed``; a CLOSED valve is normally closed.
  The EPANET status is kept in ``epanet_status``. Numbers must be finite, pipe lengths and diameters positive and
  coordinates within a plausible drawing (±1e8 units, or ±180°/±90° in degrees): otherwise an error names them.
* **Units.** US flow units (CFS, GPM — the EPANET default —, MGD, IMGD, AFD) mean feet and inches: elevations,
  heads and lengths × 0.3048 → m, diameters × 25.4 → mm. SI flow units mean metres and millimetres.
* **Roughness.** Hazen-Williams C (the default ``HEADLOSS H-W``) is not a roughness height: it is kept in
  ``roughness_hw_c`` and ``roughness_mm`` takes the schema default (0.05 mm). Darcy-Weisbach roughness is
  converted (millifeet × 0.3048 → mm, or mm); Chezy-Manning n is kept in ``roughness_manning_n``.
* **Pressures.** Water networks have no gas pressure class: every pipe gets ``pressure_class`` (default MP-B, 中压B)
  and every source ``supply_pressure_mpa`` (default: the upper bound of that class), both overridable.
* **Coordinates.** EPANET coordinates are drawing units. With ``[BACKDROP] UNITS FEET`` they are converted to
  metres; ``METERS`` and ``NONE`` (the usual case) are taken as they are; ``DEGREES`` means WGS 84 longitude/
  latitude. Unless ``crs`` is given the result is in a local engineering CRS (``EPANET drawing plane``, metres).
* **Ids.** EPANET nodes and links have separate id spaces (Net3 has junction ``10`` and pump ``10``) while GasOps
  ids are unique across the network: a link whose id is also a node id becomes ``pipe:10``/``pump:10``/
  ``valve:10``. Every link keeps its EPANET id in ``epanet_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from console.errors import NetworkFileError
from console.io._common import check_readable, make_network, parse_crs
from console.network import GasNetwork, PressureClass

__all__ = ["read_epanet", "epanet_crs"]

FT_M = 0.3048
IN_MM = 25.4
_US_UNITS = {"CFS", "GPM", "MGD", "IMGD", "AFD"}
_SI_UNITS = {"LPS", "LPM", "MLD", "CMH", "CMD", "CMS"}
_MIN_FIELDS = {  # fields after the id that a line must have
    "JUNCTIONS": ("Elev",),
    "RESERVOIRS": ("Head",),
    "TANKS": ("Elev", "InitLevel"),
    "PIPES": ("Node1", "Node2", "Length", "Diameter", "Roughness"),
    "PUMPS": ("Node1", "Node2"),
    "VALVES": ("Node1", "Node2", "Diameter", "Type"),
    "COORDINATES": ("X", "Y"),
    "VERTICES": ("X", "Y"),
    "STATUS": ("Status",),
}
_KNOWN = {*_MIN_FIELDS, "TITLE", "OPTIONS", "BACKDROP"}
_TOKEN = re.compile(r'"[^"]*"|\S+')


def epanet_crs() -> CRS:
    """The local engineering CRS of EPANET drawing coordinates (metres, no place on the Earth)."""
    return CRS.from_wkt(
        'ENGCRS["EPANET drawing plane",EDATUM["EPANET drawing"],CS[Cartesian,2],'
        'AXIS["easting (X)",east,ORDER[1],LENGTHUNIT["metre",1]],'
        'AXIS["northing (Y)",north,ORDER[2],LENGTHUNIT["metre",1]]]'
    )


@dataclass
class _Inp:
    path: Path
    sections: dict[str, list[tuple[int, list[str]]]] = field(default_factory=dict)
    has_end: bool = False

    def rows(self, section: str) -> list[tuple[int, list[str]]]:
        return self.sections.get(section, [])

    def fail(self, section: str, line: int, problem: str) -> NetworkFileError:
        return NetworkFileError(self.path, f"[{section}] line {line}: {problem}")

    def number(self, section: str, line: int, ident: str, what: str, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise self.fail(section, line, f"{ident}: {what} {text!r} is not a number") from None
        if not np.isfinite(value):
            raise self.fail(section, line, f"{ident}: {what} {text!r} is not a finite number")
        return value


def read_epanet(
    path: Path,
    *,
    crs: Any = None,
    pressure_class: str = "MP-B",
    supply_pressure_mpa: float | None = None,
) -> GasNetwork:
    """Import an EPANET input file as a gas network layout.

    Parameters
    ----------
    path
        The ``.inp`` file.
    crs
        The CRS of the coordinates (default: a local engineering CRS, or WGS 84 for ``[BACKDROP] UNITS DEGREES``).
    pressure_class
        The GB 50028 class given to every pipe (water networks have none).
    supply_pressure_mpa
        The supply pressure of every source; default the upper bound of ``pressure_class``.
    """
    try:
        cls = PressureClass(pressure_class)
    except ValueError:
        classes = ", ".join(c.value for c in PressureClass)
        raise NetworkFileError(path, f"invalid pressure_class {pressure_class!r}; classes are {classes}") from None
    supply = cls.range_mpa[1] if supply_pressure_mpa is None else float(supply_pressure_mpa)
    check_readable(path)
    inp = _split(path, path.read_bytes())
    us = _us_units(inp)
    length_factor = FT_M if us else 1.0
    diameter_factor = IN_MM if us else 1.0

    nodes = _nodes(inp, length_factor)
    xy, coords_crs = _coordinates(inp, nodes)
    index = pd.Index(nodes["id"])
    links = _links(inp, index, length_factor, diameter_factor)
    links["id"] = _link_ids(links, set(nodes["id"]))
    points = shapely.points(xy)

    layers: dict[str, pd.DataFrame] = {}
    junctions = nodes["epanet_kind"] == "junction"
    layers["junctions"] = gpd.GeoDataFrame(
        nodes.loc[junctions, ["id", "elevation_m"]].reset_index(drop=True), geometry=points[junctions.to_numpy()]
    )
    sources = ~junctions
    layers["gate_stations"] = gpd.GeoDataFrame(
        nodes.loc[sources, ["id", "elevation_m", "head_m", "epanet_kind"]]
        .assign(supply_pressure_mpa=supply)
        .reset_index(drop=True),
        geometry=points[sources.to_numpy()],
    )
    ends = np.column_stack([index.get_indexer(links["from_node"]), index.get_indexer(links["to_node"])])
    kind = links["kind"].to_numpy()
    pipe = kind == "pipe"
    lines = _link_lines(inp, links["epanet_id"], ends, xy, coords_crs)
    closed = (links["epanet_status"] == "CLOSED").to_numpy()
    layers["pipes"] = gpd.GeoDataFrame(
        links.loc[pipe]
        .assign(
            dn=np.round(links.loc[pipe, "diameter_mm"]).astype("int64"),
            inner_diameter_mm=links.loc[pipe, "diameter_mm"],
            pressure_class=cls.value,
            status=np.where(closed[pipe], "closed", "in_service"),  # CLOSED pipes stay in place, shut
        )
        .drop(columns=["kind", "diameter_mm", "epanet_type", "epanet_setting"])
        .dropna(axis=1, how="all")
        .reset_index(drop=True),
        geometry=lines[pipe],
    )
    valve = kind == "valve"
    midpoints = (xy[ends[:, 0]] + xy[ends[:, 1]]) / 2
    layers["valves"] = gpd.GeoDataFrame(
        links.loc[valve]
        .assign(
            dn=np.round(links.loc[valve, "diameter_mm"]).astype("int64"),
            normal_position=np.where(links.loc[valve, "epanet_status"] == "CLOSED", "closed", "open"),
        )
        .drop(columns=["kind", "diameter_mm", "length_m"])
        .dropna(axis=1, how="all")
        .reset_index(drop=True),
        geometry=shapely.points(midpoints[valve]),
    )
    pump = kind == "pump"
    layers["links"] = gpd.GeoDataFrame(
        links.loc[pump, ["id", "from_node", "to_node", "epanet_id", "epanet_status"]]
        .assign(kind="pump", normal_position=np.where(closed[pump], "closed", "open"))
        .reset_index(drop=True),
        geometry=lines[pump],
    )
    target = parse_crs(crs, path) or coords_crs.crs
    title = " ".join(" ".join(t) for _, t in inp.rows("TITLE")[:1]).strip()
    return make_network(path, layers, target, title or path.stem)


# -- the section reader ----------------------------------------------------------------------------------------------


def _split(path: Path, data: bytes) -> _Inp:
    if b"\x00" in data[:4096]:
        raise NetworkFileError(path, "not an EPANET input file (binary data)")
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese utilities' EPANET files are often GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly any byte string
        text = data.decode("latin-1")
    inp = _Inp(path)
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            match = re.match(r"\[\s*([A-Za-z_]+)\s*\]", line)
            if not match:
                raise NetworkFileError(path, f"line {number}: malformed section header {line!r}")
            current = match[1].upper()
            if current == "END":
                inp.has_end = True
                break
            inp.sections.setdefault(current, [])
            continue
        if current is None:
            raise NetworkFileError(path, f"line {number}: data before the first [SECTION] header: {line[:40]!r}")
        if current not in _KNOWN:
            continue
        tokens = [t.strip('"') for t in _TOKEN.findall(line)] if '"' in line else line.split()
        needed = _MIN_FIELDS.get(current, ())
        if len(tokens) < 1 + len(needed):
            raise NetworkFileError(
                path,
                f"[{current}] line {number}: expected ID {' '.join(needed)}, found {len(tokens)} field(s)"
                + _truncation_hint(inp, text, number),
            )
        inp.sections[current].append((number, tokens))
    if not inp.sections.keys() & {"JUNCTIONS", "RESERVOIRS", "TANKS", "PIPES"}:
        raise NetworkFileError(path, "not an EPANET input file (no [JUNCTIONS], [RESERVOIRS], [TANKS] or [PIPES])")
    return inp


def _truncation_hint(inp: _Inp, text: str, number: int) -> str:
    last = len(text.rstrip().splitlines())
    return " (the file ends here without [END]: truncated?)" if number >= last else ""


def _us_units(inp: _Inp) -> bool:
    units = "GPM"
    for number, tokens in inp.rows("OPTIONS"):
        if tokens[0].upper() == "UNITS" and len(tokens) > 1:
            units = tokens[1].upper()
            if units not in _US_UNITS | _SI_UNITS:
                raise inp.fail("OPTIONS", number, f"unknown UNITS {tokens[1]!r}")
    return units in _US_UNITS


def _headloss(inp: _Inp) -> str:
    for _, tokens in inp.rows("OPTIONS"):
        if tokens[0].upper() == "HEADLOSS" and len(tokens) > 1:
            return tokens[1].upper()
    return "H-W"


def _nodes(inp: _Inp, ft: float) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    first: dict[str, tuple[str, int]] = {}
    for section, kind in (("JUNCTIONS", "junction"), ("RESERVOIRS", "reservoir"), ("TANKS", "tank")):
        for number, tokens in inp.rows(section):
            ident = tokens[0]
            if ident in first:
                where = first[ident]
                raise inp.fail(section, number, f"duplicate node id {ident!r} (first in [{where[0]}] line {where[1]})")
            first[ident] = (section, number)
            value = inp.number(section, number, ident, "elevation" if kind != "reservoir" else "head", tokens[1])
            if kind == "tank":
                level = inp.number(section, number, ident, "initial level", tokens[2])
                rows.append({"id": ident, "elevation_m": value * ft, "head_m": (value + level) * ft})
            elif kind == "reservoir":
                rows.append({"id": ident, "elevation_m": value * ft, "head_m": value * ft})
            else:
                rows.append({"id": ident, "elevation_m": value * ft, "head_m": np.nan})
            rows[-1]["epanet_kind"] = kind
            rows[-1]["line"] = number
    if not rows:
        raise NetworkFileError(inp.path, "no nodes: [JUNCTIONS], [RESERVOIRS] and [TANKS] are empty")
    return pd.DataFrame(rows)


@dataclass
class _Placement:
    crs: CRS
    factor: float  # drawing units → CRS units


def _coordinates(inp: _Inp, nodes: pd.DataFrame) -> tuple[np.ndarray, _Placement]:
    units = "NONE"
    for _, tokens in inp.rows("BACKDROP"):
        if tokens[0].upper() == "UNITS" and len(tokens) > 1:
            units = tokens[1].upper()
    placement = (
        _Placement(CRS.from_epsg(4326), 1.0)
        if units == "DEGREES"
        else _Placement(epanet_crs(), FT_M if units == "FEET" else 1.0)
    )
    index = {ident: row for row, ident in enumerate(nodes["id"])}
    xy = np.full((len(nodes), 2), np.nan)
    for number, tokens in inp.rows("COORDINATES"):
        row = index.get(tokens[0], -1)
        if row < 0:
            raise inp.fail("COORDINATES", number, f"unknown node {tokens[0]!r}")
        xy[row] = [inp.number("COORDINATES", number, tokens[0], c, t) for c, t in zip("XY", tokens[1:3], strict=True)]
    _check_extent(inp, "COORDINATES", xy, nodes["id"].tolist(), placement)
    missing = ~np.isfinite(xy).all(axis=1)
    if missing.any():
        ids = nodes.loc[missing, "id"].head(5).tolist()
        hint = "" if inp.has_end else " (the file has no [END]: truncated?)"
        raise NetworkFileError(
            inp.path, f"[COORDINATES]: {missing.sum()} node(s) have no coordinates, e.g. {ids}{hint}"
        )
    return xy * placement.factor, placement


def _links(inp: _Inp, node_index: pd.Index, ft: float, inch: float) -> pd.DataFrame:
    headloss = _headloss(inp)
    nodes = set(node_index)
    rows: list[dict[str, Any]] = []
    first: dict[str, tuple[str, int]] = {}
    for section, kind in (("PIPES", "pipe"), ("PUMPS", "pump"), ("VALVES", "valve")):
        for number, tokens in inp.rows(section):
            ident = tokens[0]
            if ident in first:
                where = first[ident]
                raise inp.fail(section, number, f"duplicate link id {ident!r} (first in [{where[0]}] line {where[1]})")
            first[ident] = (section, number)
            for end in tokens[1:3]:
                if end not in nodes:
                    raise inp.fail(section, number, f"{kind} {ident} refers to unknown node {end}")
            row: dict[str, Any] = {"epanet_id": ident, "kind": kind, "from_node": tokens[1], "to_node": tokens[2]}
            status = "ACTIVE" if kind == "valve" else "OPEN"  # EPANET's initial status of each kind
            row.update({"length_m": np.nan, "diameter_mm": np.nan, "epanet_status": status})
            if kind == "pipe":
                row["length_m"] = inp.number(section, number, ident, "length", tokens[3]) * ft
                row["diameter_mm"] = inp.number(section, number, ident, "diameter", tokens[4]) * inch
                for what, value in (("length", row["length_m"]), ("diameter", row["diameter_mm"])):
                    if value <= 0:
                        raise inp.fail(
                            section,
                            number,
                            f"pipe {ident}: {what} {tokens[3 if what == 'length' else 4]!r} must be positive",
                        )
                roughness = inp.number(section, number, ident, "roughness", tokens[5])
                if headloss == "D-W":
                    row["roughness_mm"] = roughness * ft  # US: millifeet × 0.3048 = mm; SI: already mm
                elif headloss == "C-M":
                    row["roughness_manning_n"] = roughness
                else:
                    row["roughness_hw_c"] = roughness
                if len(tokens) > 7:
                    row["epanet_status"] = tokens[7].upper()
            elif kind == "valve":
                row["diameter_mm"] = inp.number(section, number, ident, "diameter", tokens[3]) * inch
                row["epanet_type"] = tokens[4].upper()
                row["epanet_setting"] = tokens[5] if len(tokens) > 5 else ""
            rows.append(row)
    links = pd.DataFrame(rows)
    for c in ("epanet_id", "kind", "from_node", "to_node", "epanet_status", "epanet_type", "epanet_setting"):
        if c not in links:  # no links of a kind (or none at all): the columns still exist
            links[c] = pd.Series(np.nan, index=links.index, dtype=object)
    for c in ("length_m", "diameter_mm"):
        if c not in links:
            links[c] = pd.Series(np.nan, index=links.index, dtype=float)
    where = {ident: row for row, ident in enumerate(links["epanet_id"])}
    status = links["epanet_status"].to_numpy(dtype=object).copy()
    for number, tokens in inp.rows("STATUS"):
        if tokens[0] not in where:
            raise inp.fail("STATUS", number, f"unknown link {tokens[0]!r}")
        status[where[tokens[0]]] = tokens[1].upper()
    links["epanet_status"] = status
    return links


def _link_ids(links: pd.DataFrame, node_ids: set[str]) -> pd.Series:
    ids = links["epanet_id"].astype(str)
    clash = ids.isin(node_ids)
    return ids.where(~clash, links["kind"] + ":" + ids)


def _link_lines(inp: _Inp, epanet_ids: pd.Series, ends: np.ndarray, xy: np.ndarray, place: _Placement) -> np.ndarray:
    """Every link's line from its start node through its [VERTICES] to its end node, in one vectorised call.

    EPANET 2.2 allows vertices on any link: pipes and pumps run through theirs; a valve is drawn as a point at its
    midpoint, so its vertices are read (and checked) but not drawn.
    """
    n = len(epanet_ids)
    position = {ident: row for row, ident in enumerate(epanet_ids)}
    v_rows, v_xy = [], []
    for number, tokens in inp.rows("VERTICES"):
        if tokens[0] not in position:
            raise inp.fail("VERTICES", number, f"unknown link {tokens[0]!r}")
        v_rows.append(position[tokens[0]])
        v_xy.append([inp.number("VERTICES", number, tokens[0], c, t) for c, t in zip("XY", tokens[1:3], strict=True)])
    vertices = np.asarray(v_xy, dtype=float).reshape(-1, 2) * place.factor
    _check_extent(inp, "VERTICES", vertices, [inp.rows("VERTICES")[k][1][0] for k in range(len(v_rows))], place)
    pipe_of = np.concatenate([np.arange(n), np.asarray(v_rows, dtype=np.int64), np.arange(n)])
    order_in_pipe = np.concatenate([np.zeros(n), np.arange(1, len(v_rows) + 1), np.full(n, np.inf)])
    coords = np.vstack([xy[ends[:, 0]], vertices, xy[ends[:, 1]]])
    order = np.lexsort((order_in_pipe, pipe_of))
    return shapely.linestrings(coords[order], indices=pipe_of[order]) if n else np.empty(0, dtype=object)


# Drawing units beyond this are no drawing of a real network (a 1e300 coordinate is damage, not a place).
_MAX_DRAWING_UNITS = 1e8


def _check_extent(inp: _Inp, section: str, xy: np.ndarray, ids: list[str], place: _Placement) -> None:
    """Coordinates outside any plausible extent are errors naming the features."""
    if not len(xy):
        return
    if place.crs.is_geographic:
        bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
        what = "outside longitude ±180° / latitude ±90°"
    else:
        bad = (np.abs(xy) > _MAX_DRAWING_UNITS).any(axis=1)
        what = f"beyond ±{_MAX_DRAWING_UNITS:.0e} drawing units"
    if bad.any():
        shown = sorted({ids[k] for k in np.flatnonzero(bad)})
        raise NetworkFileError(
            inp.path, f"[{section}]: coordinates {what} for {', '.join(shown[:5])}" + (" …" if len(shown) > 5 else "")
        )
