"""Shapefile: a folder with one ``<layer>.shp`` per non-empty layer and a ``gasops.json`` side file.

Each shapefile comes with ``.prj`` (the CRS) and ``.cpg`` (``UTF-8``, so Chinese text survives). dBASE field names
hold at most 10 bytes, so longer column names go through :data:`SHAPEFILE_FIELD_NAMES`, one fixed, reversible table
(``inner_diameter_mm`` ↔ ``inner_diam``); other long or non-ASCII extra columns get generated names that
``gasops.json`` records together with the network name, the exact CRS and the dtypes of extra columns.

Limits of the format (the writer refuses rather than silently losing data where it can): text values longer than
254 bytes are rejected; empty text and missing text read back alike (schema text columns become ``""``, extra text
columns missing); timestamps are stored as ISO text and restored from ``gasops.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from console.atomic import FOLDER_MARKER
from console.errors import NetworkFileError
from console.io._common import (
    check_readable,
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

__all__ = ["SHAPEFILE_FIELD_NAMES", "read_shapefile", "write_shapefile"]

_FORMAT = "gasops-shapefile"
_VERSION = 1
_MAX_FIELD = 10
_MAX_TEXT_BYTES = 254

#: Column name → dBASE field name for every column longer than 10 characters that GasOps itself defines: the schema
#: columns and the extra columns the GasLib and EPANET importers add. Reading maps the field names back.
SHAPEFILE_FIELD_NAMES: dict[str, str] = {
    # schema columns
    "elevation_m": "elev_m",
    "supply_pressure_mpa": "supply_mpa",
    "capacity_nm3h": "cap_nm3h",
    "special_kind": "special",
    "peak_demand_nm3h": "peak_nm3h",
    "inner_diameter_mm": "inner_diam",
    "pressure_class": "pres_class",
    "roughness_mm": "rough_mm",
    "install_year": "inst_year",
    "normal_position": "normal_pos",
    "remote_controlled": "remote_ctl",
    "inlet_class": "in_class",
    "outlet_class": "out_class",
    "set_outlet_pressure_mpa": "outlet_mpa",
    "diameter_mm": "diam_mm",
    # extra columns of imported models
    "pressure_min_mpa": "p_min_mpa",
    "pressure_max_mpa": "p_max_mpa",
    "pressure_in_min_mpa": "p_in_min",
    "pressure_out_max_mpa": "p_out_max",
    "pressure_differential_min_mpa": "dp_min_mpa",
    "pressure_differential_max_mpa": "dp_max_mpa",
    "flow_min_nm3h": "q_min_nm3h",
    "flow_max_nm3h": "q_max_nm3h",
    "drag_factor": "drag",
    "friction_factor": "friction",
    "fuel_gas_node": "fuel_node",
    "roughness_hw_c": "rough_hw_c",
    "roughness_manning_n": "manning_n",
    "epanet_status": "en_status",
    "epanet_type": "en_type",
    "epanet_kind": "en_kind",
    "epanet_setting": "en_setting",
}
_FIELD_TO_COLUMN = {field: column for column, field in SHAPEFILE_FIELD_NAMES.items()}


def read_shapefile(path: Path, *, crs: Any = None, layer: str | None = None) -> GasNetwork:
    """Read a folder written by :func:`write_shapefile`, a folder of ``<layer>.shp`` files, or one ``.shp``.

    A single ``.shp`` inside a GasOps folder (one with ``gasops.json``) reads the whole folder; any other single
    ``.shp`` is one layer, named by ``layer`` or by the file name (``pipes.shp``).
    """
    check_readable(path, folder_ok=True)
    if path.is_dir():
        folder, files = path, None
    elif (path.parent / FOLDER_MARKER).is_file():
        folder, files = path.parent, None
    else:
        name = layer or path.stem
        if name not in LAYERS:
            raise NetworkFileError(
                path, f"cannot tell which layer {path.name!r} holds: name it after a layer (pipes.shp …) or pass layer="
            )
        folder, files = path.parent, {name: path}
    meta = _read_marker(folder)
    if files is None:
        files = _layer_files(folder)
    fields = meta.get("fields", {})
    dtypes = meta.get("dtypes", {})
    frames: dict[str, pd.DataFrame] = {}
    layer_crs: dict[str, Any] = {}
    for name, shp in files.items():
        _check_parts(shp)
        with file_error(shp, f"cannot read layer {name!r}"):
            frame = pyogrio.read_dataframe(shp, use_arrow=True)
            if frame.crs is not None:
                layer_crs[name] = frame.crs
            # gasops.json knows every renamed field; without it (another tool's files) only the fixed table applies.
            reverse = {f: c for c, f in fields.get(name, {}).items()} if meta else _FIELD_TO_COLUMN
            frame = frame.rename(columns={f: reverse.get(f, f) for f in frame.columns if f != frame.geometry.name})
            frames[name] = decode_dtypes(single_part(frame, name), dtypes.get(name, {}))
    file_crs = parse_crs(meta.get("crs_wkt") or None, path)
    if file_crs is None and layer_crs:
        distinct = {c.to_wkt(): c for c in layer_crs.values()}
        if len(distinct) > 1:
            raise NetworkFileError(
                path, f"the shapefiles have different CRSs: {sorted(c.name for c in distinct.values())}"
            )
        file_crs = next(iter(distinct.values()))
    return make_network(path, frames, parse_crs(crs, path) or file_crs, meta.get("name") or folder.name)


def write_shapefile(network: GasNetwork, folder: Path) -> None:
    """Write each non-empty layer as ``<layer>.shp`` into the (new, empty) ``folder``, then ``gasops.json``."""
    fields: dict[str, dict[str, str]] = {}
    dtypes: dict[str, dict[str, str]] = {}
    for name, spec in LAYERS.items():
        frame = network[name]
        if not len(frame):
            continue
        try:
            dtypes[name] = encode_dtypes(frame, name)
        except ValueError as exc:
            raise NetworkFileError(folder, str(exc)) from exc
        frame = text_frame(frame)
        mapping = field_names([c for c in frame.columns if c != frame.geometry.name])
        _check_text_width(folder, name, frame)
        fields[name] = {c: f for c, f in mapping.items() if c != f}
        out = frame.rename(columns=mapping)
        with file_error(folder, f"cannot write layer {name!r}"), no_crs_warning():
            pyogrio.write_dataframe(
                out,
                folder / f"{name}.shp",
                driver="ESRI Shapefile",
                geometry_type=spec.geometry,
                promote_to_multi=False,
                use_arrow=True,
                layer_options={"ENCODING": "UTF-8"},
            )
    marker = {
        "format": _FORMAT,
        "version": _VERSION,
        "name": network.name,
        "crs_wkt": network.crs.to_wkt() if network.crs is not None else "",
        "fields": fields,
        "dtypes": {k: v for k, v in dtypes.items() if v},
    }
    (folder / FOLDER_MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8")


def field_names(columns: list[str]) -> dict[str, str]:
    """Column → dBASE field name: the fixed table first, short ASCII names as they are, generated names otherwise.

    >>> field_names(["id", "inner_diameter_mm", "管理单位", "maintenance_team"])
    {'id': 'id', 'inner_diameter_mm': 'inner_diam', '管理单位': 'field', 'maintenance_team': 'maintenanc'}
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    # Table names first, then short names as they are, so that a column keeps its field name whatever else the
    # layer holds; only what is left (long or non-ASCII extra columns, or a clash) gets a generated name.
    for column in columns:
        if column in SHAPEFILE_FIELD_NAMES:
            mapping[column] = SHAPEFILE_FIELD_NAMES[column]
            taken.add(mapping[column].lower())
    for column in columns:
        if column not in mapping and _fits(column) and column.lower() not in taken:
            mapping[column] = column
            taken.add(column.lower())
    for column in columns:
        if column in mapping:
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "", column)[:_MAX_FIELD] or "field"
        field, k = base, 1
        while field.lower() in taken:
            suffix = f"_{k}"
            field, k = base[: _MAX_FIELD - len(suffix)] + suffix, k + 1
        mapping[column] = field
        taken.add(field.lower())
    return {c: mapping[c] for c in columns}


def _fits(column: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_]{1,10}", column))


def _check_text_width(folder: Path, layer: str, frame: pd.DataFrame) -> None:
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype) or column == frame.geometry.name:
            continue
        text = values.dropna().astype("str")
        if not len(text):
            continue
        nbytes = text.str.encode("utf-8").str.len()
        too_long = nbytes > _MAX_TEXT_BYTES
        if too_long.any():
            ids = frame.loc[too_long[too_long].index, "id"].astype(str).head(5).tolist()
            raise NetworkFileError(
                folder,
                f"layer {layer!r}: column {column!r} has text longer than the Shapefile limit of "
                f"{_MAX_TEXT_BYTES} bytes (features {ids}); use GeoPackage",
            )


def _check_parts(shp: Path) -> None:
    """Missing or truncated .shp/.shx/.dbf: GDAL would read a truncated .dbf silently as fewer features."""
    for suffix, what in ((".shp", "geometry"), (".shx", "index"), (".dbf", "attribute table")):
        part = _sibling(shp, suffix)
        if part is None:
            raise NetworkFileError(shp, f"{shp.stem}{suffix} (the {what} of {shp.name}) is missing")
        size = part.stat().st_size
        with open(part, "rb") as handle:
            header = handle.read(32)
        if suffix == ".dbf":
            if len(header) < 12:
                raise NetworkFileError(part, f"truncated dBASE file ({size} bytes, shorter than its header)")
            records = int.from_bytes(header[4:8], "little")
            expected = int.from_bytes(header[8:10], "little") + records * int.from_bytes(header[10:12], "little")
        else:
            if len(header) < 28:
                raise NetworkFileError(part, f"truncated {suffix} file ({size} bytes, shorter than its header)")
            expected = 2 * int.from_bytes(header[24:28], "big")  # file length in 16-bit words
        if size < expected:
            raise NetworkFileError(
                part, f"truncated {suffix} file ({size} bytes of the {expected} its header announces)"
            )


def _sibling(shp: Path, suffix: str) -> Path | None:
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _read_marker(folder: Path) -> dict[str, Any]:
    marker = folder / FOLDER_MARKER
    if not marker.is_file():
        return {}
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetworkFileError(marker, f"damaged GasOps side file: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise NetworkFileError(marker, f"not a GasOps side file (format is not {_FORMAT!r})")
    return meta


def _layer_files(folder: Path) -> dict[str, Path]:
    shps = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".shp")
    files = {p.stem: p for p in shps if p.stem in LAYERS}
    if not files and not (folder / FOLDER_MARKER).is_file():
        found = [p.name for p in shps][:5]
        raise NetworkFileError(
            folder, f"no shapefiles named after GasOps layers (found {found}); expected {', '.join(LAYERS)} (.shp)"
        )
    return {name: files[name] for name in LAYERS if name in files}
