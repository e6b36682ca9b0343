"""GasLib JSON import (format ``gaslib-json``): the JSON conversion of GasLib instances (kaarthiksundar/GasLib).

The file holds ``nodes`` (``x_coord`` = latitude, ``y_coord`` = longitude — pipe lengths match the geodesic distance
only that way round —, ``elevation``, ``min_pressure``/``max_pressure`` in absolute Pa), ``pipes`` (``length`` m,
``diameter`` m, ``friction_factor``), ``short_pipes``, ``valves``, ``control_valves``, ``compressors``,
``resistors``, ``loss_resistors`` (``pressure_loss`` Pa), and ``receipts``/``deliveries`` that point at nodes.
Connections refer to nodes by numeric id; GasOps ids are the element ``name`` s (unique across the file).

Receipt nodes become gate stations, delivery nodes customers (industrial; the file states no demand, so peak demand
is 0), all other nodes junctions. Pipes have a Darcy friction factor instead of a roughness: it is kept as
``friction_factor`` and ``roughness_mm`` takes the schema default. Flow bounds are left out: their unit is not stated.
Units, classes and placement otherwise follow :mod:`console.io._gaslib_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from console.errors import NetworkFileError
from console.io._common import check_readable
from console.io._gaslib_model import assemble
from console.network import GasNetwork

__all__ = ["read_gaslib_json"]

_ATM_PA = 101325.0
_CONNECTIONS = {
    "pipes": "pipe",
    "short_pipes": "shortPipe",
    "valves": "valve",
    "control_valves": "controlValve",
    "compressors": "compressorStation",
    "resistors": "resistor",
    "loss_resistors": "resistor",
}


def read_gaslib_json(path: Path, *, crs: Any = None) -> GasNetwork:
    """Import a GasLib instance in its JSON conversion (e.g. ``GasLib-4197.network.json``).

    Parameters
    ----------
    path
        The ``.json`` file.
    crs
        The projected CRS of the result; default WGS 84 / UTM in the zone of the mean longitude.
    """
    check_readable(path)
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        end = exc.pos >= len(exc.doc.rstrip()) if isinstance(exc.doc, str) else False
        what = "truncated JSON" if end else "invalid JSON"
        raise NetworkFileError(path, f"{what} at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise NetworkFileError(path, f"not a JSON file (not UTF-8 text: {exc.reason} at byte {exc.start})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise NetworkFileError(path, "not a GasLib JSON network: no 'nodes' object")
    nodes, by_number = _node_table(path, data)
    links = _link_table(path, data, by_number)
    name = path.name.removesuffix(".json").removesuffix(".network")
    return assemble(path, nodes, links, name, crs)


def _records(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    section = data.get(key, {})
    if not isinstance(section, dict):
        raise NetworkFileError(path, f"'{key}' is not an object of records")
    return list(section.values())


def _node_table(path: Path, data: dict[str, Any]) -> tuple[pd.DataFrame, dict[int, str]]:
    records = _records(path, data, "nodes")
    try:
        frame = pd.DataFrame(
            {
                "number": [int(r["id"]) for r in records],
                "id": [str(r["name"]) for r in records],
                "lat": [float(r["x_coord"]) for r in records],
                "lon": [float(r["y_coord"]) for r in records],
                "elevation_m": [float(r.get("elevation", np.nan)) for r in records],
                "pressure_min_mpa": [(float(r["min_pressure"]) - _ATM_PA) / 1e6 for r in records],
                "pressure_max_mpa": [(float(r["max_pressure"]) - _ATM_PA) / 1e6 for r in records],
            }
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkFileError(path, f"node records lack or mistype a field: {exc!r}") from exc
    by_number = dict(zip(frame["number"], frame["id"], strict=True))
    role = pd.Series("innode", index=frame.index)
    for key, element in (("receipts", "source"), ("deliveries", "sink")):
        numbers = [int(r["node_id"]) for r in _records(path, data, key)]
        unknown = sorted(set(numbers) - set(by_number))
        if unknown:
            raise NetworkFileError(path, f"'{key}' refer to unknown node ids {unknown[:5]}")
        role[frame["number"].isin(numbers)] = element
    return (
        frame.assign(element=role, name="", x=np.nan, y=np.nan, flow_min_nm3h=np.nan, flow_max_nm3h=np.nan).drop(
            columns="number"
        ),
        by_number,
    )


def _link_table(path: Path, data: dict[str, Any], by_number: dict[int, str]) -> pd.DataFrame:
    rows = []
    for key, element in _CONNECTIONS.items():
        for r in _records(path, data, key):
            try:
                ends = (by_number[int(r["fr_node"])], by_number[int(r["to_node"])])
            except KeyError as exc:
                raise NetworkFileError(
                    path, f"{key} {r.get('name')!r} refers to unknown node id {exc.args[0]}"
                ) from None
            diameter = r.get("diameter")
            rows.append(
                {
                    "id": str(r["name"]),
                    "element": element,
                    "from_node": ends[0],
                    "to_node": ends[1],
                    "name": "",
                    "length_m": float(r["length"]) if "length" in r else np.nan,
                    "diameter_mm": float(diameter) * 1000.0 if diameter is not None else np.nan,
                    "friction_factor": float(r.get("friction_factor", np.nan)),
                    "drag_factor": float(r.get("drag", np.nan)),
                    "pressure_loss_mpa": float(r.get("pressure_loss", np.nan)) / 1e6,
                    "pressure_differential_min_mpa": float(r.get("min_pressure_differential", np.nan)) / 1e6,
                    "pressure_differential_max_mpa": float(r.get("max_pressure_differential", np.nan)) / 1e6,
                    "fuel_gas_node": by_number.get(int(r["fuel_node"]), "") if "fuel_node" in r else "",
                }
            )
    links = pd.DataFrame(rows)
    pipes = links["element"] == "pipe"
    missing = pipes & (links["length_m"].isna() | links["diameter_mm"].isna())
    if missing.any():
        raise NetworkFileError(path, f"pipes {links.loc[missing, 'id'].head(5).tolist()} lack length or diameter")
    every_id = pd.Series([*by_number.values(), *links["id"]])
    duplicated = every_id[every_id.duplicated()].unique()
    if len(duplicated):
        raise NetworkFileError(path, f"duplicate element names {sorted(duplicated)[:5]}")
    return links
