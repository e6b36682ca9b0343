"""GeoJSON: one FeatureCollection holding every layer, each feature naming its layer in a ``layer`` property.

The file follows the 2008 GeoJSON spec rather than RFC 7946 because a city network lives in a projected CRS: the
FeatureCollection carries a ``crs`` member (``urn:ogc:def:crs:EPSG::4529`` for EPSG systems, the WKT otherwise,
which GDAL reads back). A second foreign member, ``gasops``, records the network name, the exact CRS as WKT, each
layer's columns and the pandas dtypes of extra columns, so that a layer's own columns (and all-null extra columns)
come back exactly; GeoJSON from other tools without it is read by the ``layer`` property alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from console.errors import NetworkFileError
from console.io._common import (
    check_readable,
    clean_message,
    decode_dtypes,
    encode_dtypes,
    file_error,
    make_network,
    no_crs_warning,
    parse_crs,
    single_part,
    text_frame,
)
from console.network import LAYERS, GasNetwork

__all__ = ["read_geojson", "write_geojson"]

_FORMAT = "gasops-geojson"
_VERSION = 1
_LAYER = "layer"
_HEADER_BYTES = 1 << 20  # GDAL writes foreign members before "features": the header is near the start
_GASOPS_MEMBER = re.compile(r'"gasops"\s*:\s*')


def read_geojson(path: Path, *, crs: Any = None, layer: str | None = None) -> GasNetwork:
    """Read a GasOps GeoJSON FeatureCollection.

    Parameters
    ----------
    path
        The ``.geojson``/``.json`` file.
    crs
        Replaces the file's CRS (GeoJSON without a ``crs`` member is WGS 84 longitude/latitude).
    layer
        For GeoJSON from other tools that has no ``layer`` property: the layer every feature belongs to.
    """
    check_readable(path)
    _check_start(path)
    header = _read_gasops_member(path)
    try:
        frame = pyogrio.read_dataframe(path, use_arrow=True)
    except Exception as exc:
        raise NetworkFileError(path, _gdal_json_problem(path, exc)) from exc
    with file_error(path, "cannot split the features into layers"):
        parts = _split_layers(path, frame, header, layer)
    # Our own files state their CRS (or its absence) in the gasops member; for others GDAL applies the GeoJSON rule
    # (no crs member: WGS 84).
    file_crs = parse_crs(header.get("crs_wkt") or None, path) if header else frame.crs
    name = header.get("name") or path.stem
    return make_network(path, parts, parse_crs(crs, path) or file_crs, name)


def write_geojson(network: GasNetwork, path: Path) -> None:
    """Write all non-empty layers of ``network`` as one FeatureCollection at ``path``."""
    frames: list[pd.DataFrame] = []
    columns: dict[str, list[str]] = {}
    dtypes: dict[str, dict[str, str]] = {}
    for name in LAYERS:
        frame = network[name]
        if not len(frame):
            continue
        if _LAYER in frame.columns:
            raise NetworkFileError(path, f"layer {name!r}: column {_LAYER!r} is reserved in GeoJSON for the layer name")
        try:
            dtypes[name] = encode_dtypes(frame, name)
        except ValueError as exc:
            raise NetworkFileError(path, str(exc)) from exc
        columns[name] = [c for c in frame.columns if c != frame.geometry.name]
        frames.append(_nullable(text_frame(frame)).assign(**{_LAYER: name}))
    combined = _combine(frames)
    foreign: dict[str, Any] = {
        "gasops": {
            "format": _FORMAT,
            "version": _VERSION,
            "name": network.name,
            "crs_wkt": network.crs.to_wkt() if network.crs is not None else "",
            "columns": columns,
            "dtypes": {k: v for k, v in dtypes.items() if v},
        }
    }
    if network.crs is not None:
        foreign["crs"] = {"type": "name", "properties": {"name": _crs_name(network.crs)}}
    # The frame has no CRS on purpose: the crs member above replaces the one GDAL would (not) write.
    with file_error(path, "cannot write GeoJSON"), no_crs_warning():
        pyogrio.write_dataframe(
            combined,
            path,
            driver="GeoJSON",
            geometry_type="Unknown",
            use_arrow=True,
            layer_options={
                "FOREIGN_MEMBERS_COLLECTION": json.dumps(foreign, ensure_ascii=False),
                "RFC7946": "NO",
                "WRITE_NAME": "NO",
            },
        )


# -- writing helpers -------------------------------------------------------------------------------------------------


def _nullable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Booleans and integers as nullable dtypes, so that other layers' features get null, not NaN/object."""
    frame = frame.copy()
    for c in frame.columns:
        dtype = frame[c].dtype
        if pd.api.types.is_bool_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
            frame[c] = frame[c].astype("boolean")
        elif pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
            frame[c] = frame[c].astype("Int64")
    return frame


def _combine(frames: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    if not frames:
        return gpd.GeoDataFrame({_LAYER: pd.Series([], dtype="str")}, geometry=gpd.GeoSeries([]))
    combined = pd.concat(frames, ignore_index=True)
    combined = combined[[_LAYER, *[c for c in combined.columns if c != _LAYER]]]
    for c in combined.columns:
        # The same extra column name with different types in two layers: write text (the dtypes member restores it).
        if pd.api.types.is_object_dtype(combined[c].dtype) and c != "geometry":
            kind = pd.api.types.infer_dtype(combined[c], skipna=True)
            if kind not in {"string", "empty"}:
                combined[c] = combined[c].map(str, na_action="ignore").astype("str")
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=None)


def _crs_name(crs: Any) -> str:
    ident = crs.to_json_dict().get("id", {})
    if ident.get("authority") == "EPSG":
        return f"urn:ogc:def:crs:EPSG::{ident['code']}"
    return crs.to_wkt()


# -- reading helpers -------------------------------------------------------------------------------------------------


def _check_start(path: Path) -> None:
    with open(path, "rb") as handle:
        start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"{"):
        raise NetworkFileError(path, "not a GeoJSON file (it does not start with '{')")


def _read_gasops_member(path: Path) -> dict[str, Any]:
    """The ``gasops`` foreign member of a file this module wrote; {} for other GeoJSON."""
    with open(path, "rb") as handle:
        text = handle.read(_HEADER_BYTES).decode("utf-8", errors="replace")
    features_at = text.find('"features"')
    match = _GASOPS_MEMBER.search(text, 0, features_at if features_at >= 0 else len(text))
    if match is None:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text, match.end())
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) and value.get("format") == _FORMAT else {}


def _split_layers(
    path: Path, frame: gpd.GeoDataFrame, header: dict[str, Any], layer: str | None
) -> dict[str, pd.DataFrame]:
    if _LAYER not in frame.columns:
        if not len(frame):
            return {}
        if layer is None:
            raise NetworkFileError(
                path, f"features have no {_LAYER!r} property naming their layer; pass layer=... for a one-layer file"
            )
        if layer not in LAYERS:
            raise NetworkFileError(path, f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
        frame = frame.assign(**{_LAYER: layer})
    names = frame[_LAYER]
    missing = names.isna()
    if missing.any():
        raise NetworkFileError(path, f"features {_ids(frame, missing)} have no {_LAYER!r} property")
    unknown = ~names.isin(list(LAYERS))
    if unknown.any():
        values = sorted(set(names[unknown].astype(str)))[:5]
        raise NetworkFileError(
            path, f"features {_ids(frame, unknown)} have unknown {_LAYER} {values}; layers are {', '.join(LAYERS)}"
        )
    columns = header.get("columns", {})
    dtypes = header.get("dtypes", {})
    parts: dict[str, pd.DataFrame] = {}
    for name, part in frame.groupby(_LAYER, sort=False):
        part = part.drop(columns=_LAYER).reset_index(drop=True)
        schema = LAYERS[name].column_names
        keep = columns.get(name) or [c for c in part.columns if c in schema or part[c].notna().any()]
        keep = [c for c in keep if c in part.columns and c != part.geometry.name]
        part = part[[*keep, part.geometry.name]]
        parts[name] = decode_dtypes(single_part(part, name), dtypes.get(name, {}))
    return parts


def _ids(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    if "id" in frame.columns:
        return frame.loc[mask, "id"].astype(str).head(5).tolist()
    return [f"#{i}" for i in frame.index[mask][:5]]


_GDAL_JSON_ERROR = re.compile(r"At line (\d+), character (\d+): (.*)$")


def _gdal_json_problem(path: Path, exc: Exception) -> str:
    message = clean_message(exc)
    match = _GDAL_JSON_ERROR.search(message)
    if not match:
        return f"cannot read GeoJSON: {message}"
    line, char, what = int(match[1]), int(match[2]), match[3].rstrip(".")
    with open(path, "rb") as handle:
        n_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) + 1
    if line >= n_lines:
        return f"truncated GeoJSON at line {line}: {what.lower()} (the file ends inside the FeatureCollection)"
    return f"invalid JSON at line {line}, character {char}: {what.lower()}"
