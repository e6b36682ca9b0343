"""GasLib XML import (``.net``, namespace ``http://gaslib.zib.de/Gas``).

GasLib (gaslib.zib.de, CC BY 3.0; Pfetsch et al. 2012, ZIB-Report 12-41) describes gas transmission networks as
``<framework:nodes>`` (``source``, ``sink``, ``innode``) and ``<framework:connections>`` (``pipe``, ``shortPipe``,
``valve``, ``controlValve``, ``compressorStation``, ``resistor``). Each value is a child element with ``value`` and
``unit`` attributes. The file is parsed with expat directly, so that every message can name its line.

Mapping: sources → gate_stations, sinks → customers (category industrial; ``flowMax`` is a bound, kept as
``flow_max_nm3h``, not a demand: a ``.net`` file states no demand, so peak demand is 0 until a demand scenario — a
GasLib nomination or a CSV, :func:`console.hydraulics.read_demand_scenario` — gives one), innodes →
junctions, pipes → pipes, valves → valves, control valves → regulators (kind ``control_valve``), compressor stations,
resistors and short pipes → links. Units, pressures, classes and placement: see :mod:`console.io._gaslib_model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import pandas as pd

from console.errors import NetworkFileError
from console.io._common import check_readable
from console.io._gaslib_model import ATM_BAR, LINK_ELEMENTS, NODE_ELEMENTS, assemble
from console.network import GasNetwork

__all__ = ["read_gaslib"]

GAS_NS = "http://gaslib.zib.de/Gas"
FRAMEWORK_NS = "http://gaslib.zib.de/Framework"

# unit → factor to the GasOps unit of each quantity
_LENGTH_M = {"m": 1.0, "meter": 1.0, "km": 1000.0}
_DIAMETER_MM = {"mm": 1.0, "m": 1000.0, "cm": 10.0}
_PRESSURE_BAR = {"bar": 1.0, "Pa": 1e-5, "kPa": 1e-2, "MPa": 10.0}
_FLOW_NM3H = {"1000m_cube_per_hour": 1000.0, "m_cube_per_hour": 1.0, "m_cube_per_s": 3600.0}
_NONE = {"": 1.0}
_DENSITY = {"kg_per_m_cube": 1.0}
# GasLib-24 gives heights without a unit attribute; GasLib heights are metres.
_HEIGHT_M = {**_LENGTH_M, "": 1.0}


@dataclass
class _Element:
    element: str
    attrs: dict[str, str]
    line: int
    values: dict[str, dict[str, str]] = field(default_factory=dict)


def read_gaslib(path: Path, *, crs: Any = None) -> GasNetwork:
    """Import a GasLib XML network file.

    Parameters
    ----------
    path
        A GasLib ``.net`` (or ``.xml``) file.
    crs
        The CRS of the result: the projection for geo-referenced files, or the CRS of raw x/y for schematic ones.
    """
    check_readable(path)
    data = path.read_bytes()
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise NetworkFileError(path, "not a GasLib XML file (it does not start with '<')")
    title, nodes, links = _parse(path, data)
    node_table = _node_table(path, nodes)
    link_table = _link_table(path, links)
    _check_unique(path, nodes + links)
    return assemble(path, node_table, link_table, title or path.stem, crs)


def _parse(path: Path, data: bytes) -> tuple[str, list[_Element], list[_Element]]:
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[tuple[str, str]] = []
    sections: set[str] = set()
    nodes: list[_Element] = []
    links: list[_Element] = []
    title: list[str] = []
    current: list[_Element | None] = [None]

    def start(name: str, attrs: dict[str, str]) -> None:
        uri, _, local = name.rpartition(" ")
        depth = len(stack)
        parent = stack[-1] if stack else None
        stack.append((uri, local))
        if depth == 0:
            if (uri, local) != (GAS_NS, "network"):
                raise NetworkFileError(
                    path, f"not a GasLib network: root element is <{local}>, expected <network> in namespace {GAS_NS}"
                )
        elif depth == 1 and uri == FRAMEWORK_NS:
            sections.add(local)
        elif depth == 2 and parent == (FRAMEWORK_NS, "nodes") and local in NODE_ELEMENTS:
            current[0] = _Element(local, dict(attrs), parser.CurrentLineNumber)
            nodes.append(current[0])
        elif depth == 2 and parent == (FRAMEWORK_NS, "connections") and local in LINK_ELEMENTS:
            current[0] = _Element(local, dict(attrs), parser.CurrentLineNumber)
            links.append(current[0])
        elif depth == 3 and current[0] is not None:
            current[0].values.setdefault(local, dict(attrs))

    def end(name: str) -> None:
        stack.pop()
        if len(stack) == 2:
            current[0] = None

    def text(chars: str) -> None:
        if stack and stack[-1] == (FRAMEWORK_NS, "title"):
            title.append(chars)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise NetworkFileError(path, _xml_problem(data, exc)) from exc
    for section in ("nodes", "connections"):
        if section not in sections:
            raise NetworkFileError(path, f"not a complete GasLib network: no <framework:{section}> section")
    if not nodes:
        raise NetworkFileError(path, "the <framework:nodes> section holds no source, sink or innode")
    return "".join(title).strip(), nodes, links


def _xml_problem(data: bytes, exc: expat.ExpatError) -> str:
    message = expat.errors.messages.get(exc.code, str(exc))
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if exc.lineno >= n_lines and exc.code in {
        expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
        expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
        expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
        expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION],
    }:
        return f"truncated XML at line {exc.lineno}: {message} (the file ends before </network>)"
    return f"malformed XML at line {exc.lineno}, column {exc.offset}: {message}"


def _value(path: Path, el: _Element, child: str, units: dict[str, float], *, required: bool = False) -> float:
    attrs = el.values.get(child)
    if attrs is None:
        if required:
            raise NetworkFileError(path, f"line {el.line}: {el.element} {el.attrs.get('id')!r} has no <{child}>")
        return np.nan
    unit = attrs.get("unit", "")
    if unit not in units:
        raise NetworkFileError(
            path,
            f"line {el.line}: {el.element} {el.attrs.get('id')!r}: <{child}> has unknown unit {unit!r} "
            f"(known: {', '.join(u for u in units if u)})",
        )
    raw = attrs.get("value")
    try:
        value = float(raw) * units[unit]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NetworkFileError(
            path, f"line {el.line}: {el.element} {el.attrs.get('id')!r}: <{child}> value {raw!r} is not a number"
        ) from None
    if not np.isfinite(value):  # 1e400, inf, nan: never a length, diameter or bound
        raise NetworkFileError(
            path, f"line {el.line}: {el.element} {el.attrs.get('id')!r}: <{child}> value {raw!r} is not a finite number"
        )
    return value


def _gauge_mpa(path: Path, el: _Element, child: str) -> float:
    """An absolute GasLib pressure bound as gauge MPa."""
    return (_value(path, el, child, _PRESSURE_BAR) - ATM_BAR) / 10.0


def _float_attr(path: Path, el: _Element, name: str) -> float:
    raw = el.attrs.get(name)
    if raw is None:
        return np.nan
    try:
        value = float(raw)
    except ValueError:
        raise NetworkFileError(
            path, f"line {el.line}: {el.element} {el.attrs.get('id')!r}: attribute {name}={raw!r} is not a number"
        ) from None
    if not np.isfinite(value):
        raise NetworkFileError(
            path, f"line {el.line}: {el.element} {el.attrs.get('id')!r}: attribute {name}={raw!r} is not finite"
        )
    return value


def _node_table(path: Path, nodes: list[_Element]) -> pd.DataFrame:
    rows = []
    for el in nodes:
        _need_id(path, el)
        rows.append(
            {
                "id": el.attrs["id"],
                "element": el.element,
                "name": el.attrs.get("alias", ""),
                "x": _float_attr(path, el, "x"),
                "y": _float_attr(path, el, "y"),
                "lon": _float_attr(path, el, "geoWGS84Long"),
                "lat": _float_attr(path, el, "geoWGS84Lat"),
                "elevation_m": _value(path, el, "height", _HEIGHT_M),
                "pressure_min_mpa": _gauge_mpa(path, el, "pressureMin"),
                "pressure_max_mpa": _gauge_mpa(path, el, "pressureMax"),
                "flow_min_nm3h": _value(path, el, "flowMin", _FLOW_NM3H),
                "flow_max_nm3h": _value(path, el, "flowMax", _FLOW_NM3H),
                "norm_density_kg_m3": _value(path, el, "normDensity", _DENSITY),
                "line": el.line,
            }
        )
    return pd.DataFrame(rows)


def _link_table(path: Path, links: list[_Element]) -> pd.DataFrame:
    rows = []
    for el in links:
        _need_id(path, el)
        for end in ("from", "to"):
            if not el.attrs.get(end):
                raise NetworkFileError(path, f"line {el.line}: {el.element} {el.attrs['id']!r} has no {end!r} node")
        is_pipe = el.element == "pipe"
        rows.append(
            {
                "id": el.attrs["id"],
                "element": el.element,
                "from_node": el.attrs["from"],
                "to_node": el.attrs["to"],
                "name": el.attrs.get("alias", ""),
                "length_m": _value(path, el, "length", _LENGTH_M, required=is_pipe),
                "diameter_mm": _value(path, el, "diameter", _DIAMETER_MM, required=is_pipe),
                "roughness_mm": _value(path, el, "roughness", _DIAMETER_MM),
                "flow_min_nm3h": _value(path, el, "flowMin", _FLOW_NM3H),
                "flow_max_nm3h": _value(path, el, "flowMax", _FLOW_NM3H),
                "pressure_max_mpa": _gauge_mpa(path, el, "pressureMax"),
                "pressure_in_min_mpa": _gauge_mpa(path, el, "pressureInMin"),
                "pressure_out_max_mpa": _gauge_mpa(path, el, "pressureOutMax"),
                "pressure_differential_min_mpa": _value(path, el, "pressureDifferentialMin", _PRESSURE_BAR) / 10.0,
                "pressure_differential_max_mpa": _value(path, el, "pressureDifferentialMax", _PRESSURE_BAR) / 10.0,
                "drag_factor": _value(path, el, "dragFactor", _NONE),
                "fuel_gas_node": el.attrs.get("fuelGasVertex", ""),
                "line": el.line,
            }
        )
    columns = ["id", "element", "from_node", "to_node", "name", "length_m", "diameter_mm", "line"]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def _need_id(path: Path, el: _Element) -> None:
    if not el.attrs.get("id"):
        raise NetworkFileError(path, f"line {el.line}: <{el.element}> has no id")


def _check_unique(path: Path, elements: list[_Element]) -> None:
    first: dict[str, int] = {}
    for el in elements:
        ident = el.attrs["id"]
        if ident in first:
            raise NetworkFileError(path, f"line {el.line}: duplicate id {ident!r} (first used at line {first[ident]})")
        first[ident] = el.line
