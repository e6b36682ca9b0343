"""GeoPackage, the native project file: one GPKG layer per feature class and a small ``gasops_meta`` table.

Layer names are the schema's layer names (``pipes``, ``valves`` …); every layer is written, empty ones too, so that
a GIS user who opens the file finds each feature class with its fields ready to edit. ``gasops_meta`` is a plain
attribute table of ``key``/``value`` text rows: the network name, the CRS as WKT (kept even when every layer is
empty) and the pandas dtypes of extra, non-schema columns so that they read back exactly. Code lists are stored as
text, booleans as GeoPackage booleans.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

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

__all__ = ["read_gpkg", "write_gpkg", "META_TABLE"]

META_TABLE = "gasops_meta"
_FORMAT = "gasops-gpkg"
_VERSION = "1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_IDS = {b"GPKG", b"GP10", b"GP11"}


def read_gpkg(path: Path, *, crs: Any = None) -> GasNetwork:
    """Read a GasOps GeoPackage (or any GeoPackage whose layers are named after the feature classes).

    Layers with other names are ignored; feature classes without a layer come back empty. ``crs`` replaces the
    stored CRS without transforming coordinates.
    """
    check_readable(path)
    _check_header(path)
    _check_contents(path)
    try:
        with warnings.catch_warnings():  # GDAL's own warnings; _check_contents has said what matters
            warnings.simplefilter("ignore", RuntimeWarning)
            listed = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:
        raise NetworkFileError(path, _sqlite_problem(exc)) from exc
    meta = _read_meta(path) if META_TABLE in listed else {}
    present = [name for name in listed if name in LAYERS]
    if not present and not meta:
        raise NetworkFileError(
            path, f"no GasOps layers in this GeoPackage (found {listed}); layer names must be {', '.join(LAYERS)}"
        )
    dtypes = meta.get("dtypes", {})
    frames: dict[str, pd.DataFrame] = {}
    layer_crs: dict[str, Any] = {}
    for layer in present:
        with file_error(path, f"cannot read layer {layer!r}"):
            frame = _read_layer(path, layer)
            if frame.crs is not None:
                layer_crs[layer] = frame.crs
            frames[layer] = decode_dtypes(single_part(frame, layer), dtypes.get(layer, {}))
    file_crs = _one_crs(path, layer_crs) or parse_crs(meta.get("crs_wkt") or None, path)
    return make_network(path, frames, parse_crs(crs, path) or file_crs, meta.get("name") or path.stem)


def _read_layer(path: Path, layer: str) -> pd.DataFrame:
    """One layer as ``pyogrio.read_dataframe(path, layer=layer, use_arrow=True)`` returns it, in less memory.

    ``read_dataframe`` reads the whole layer into one Arrow table first, and the string columns it hands to pandas
    keep views into that table's buffers: the table (WKB included) then lives as long as the frame, about 240 MB at
    a million pipes. Here the layer is streamed batch by batch: each batch's geometries are parsed and its attributes
    copied out of GDAL's buffers before the next batch is read, so those buffers never pile up. Layers with datetime
    or JSON fields (which ``read_dataframe`` post-processes) take the plain path.
    """
    with pyogrio.open_arrow(path, layer=layer, use_pyarrow=True) as (meta, reader):
        special = any(str(d).startswith("datetime") for d in meta["dtypes"]) or "OFSTJSON" in meta["ogr_subtypes"]
        geometry_name = meta["geometry_name"] or "wkb_geometry"
        if not special:
            schema = reader.schema
            has_geometry = geometry_name in schema.names
            geoms: list[np.ndarray] = []
            batches: list[pa.RecordBatch] = []
            for batch in reader:
                if has_geometry:
                    wkb = batch.column(geometry_name)
                    wkb = wkb.storage if isinstance(wkb, pa.ExtensionArray) else wkb
                    geoms.append(shapely.from_wkb(wkb.to_numpy(zero_copy_only=False)))
                    batch = batch.drop_columns([geometry_name])
                # concat_arrays always allocates: the copy no longer pins GDAL's batch.
                batches.append(
                    pa.RecordBatch.from_arrays([pa.concat_arrays([c]) for c in batch.columns], schema=batch.schema)
                )
                del batch
            if has_geometry:
                schema = schema.remove(schema.get_field_index(geometry_name))
    if special:
        return pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    table = pa.Table.from_batches(batches, schema=schema)
    del batches
    frame = table.to_pandas(self_destruct=True)
    del table
    if not has_geometry:
        return frame
    geometry = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=meta["crs"]), crs=meta["crs"]
    )


def write_gpkg(network: GasNetwork, path: Path) -> None:
    """Write every layer and the ``gasops_meta`` table to a new GeoPackage at ``path`` (which must not exist)."""
    dtypes: dict[str, dict[str, str]] = {}
    for layer, spec in LAYERS.items():
        frame = network[layer]
        try:
            dtypes[layer] = encode_dtypes(frame, layer)
        except ValueError as exc:
            raise NetworkFileError(path, str(exc)) from exc
        with file_error(path, f"cannot write layer {layer!r}"), no_crs_warning():
            pyogrio.write_dataframe(
                text_frame(frame),
                path,
                layer=layer,
                driver="GPKG",
                geometry_type=spec.geometry,
                promote_to_multi=False,
                use_arrow=True,
            )
    meta = {
        "format": _FORMAT,
        "version": _VERSION,
        "name": network.name,
        "crs_wkt": network.crs.to_wkt() if network.crs is not None else "",
        "dtypes": json.dumps({k: v for k, v in dtypes.items() if v}, ensure_ascii=False),
    }
    table = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    with file_error(path, f"cannot write table {META_TABLE!r}"):
        pyogrio.write_dataframe(table, path, layer=META_TABLE, driver="GPKG")


def _check_header(path: Path) -> None:
    """Catch the common broken files before GDAL does, with a message a user can act on."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header.startswith(_SQLITE_MAGIC):
        raise NetworkFileError(path, "not a GeoPackage (SQLite header missing)")
    if len(header) < 100:
        raise NetworkFileError(path, f"truncated GeoPackage ({len(header)} bytes, shorter than the SQLite header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    # The header's page count is valid only when the change counter matches version-valid-for (SQLite file format).
    if page_count and header[24:28] == header[92:96]:
        expected = page_size * page_count
        actual = path.stat().st_size
        if actual < expected:
            raise NetworkFileError(
                path, f"truncated GeoPackage ({actual} bytes of the {expected} its SQLite header announces)"
            )
    application_id = header[68:72]
    if application_id not in _GPKG_APPLICATION_IDS:
        raise NetworkFileError(
            path, f"an SQLite database but not a GeoPackage (application_id {application_id!r}, expected b'GPKG')"
        )


def _check_contents(path: Path) -> None:
    """Layers the file claims (gpkg_contents) must exist, and numeric columns must hold numbers.

    SQLite stores whatever it is given: a table dropped but still listed would read as an empty layer, and text in a
    REAL column as 0 — both are damage the user must hear about, naming the layer and the features.
    """
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise NetworkFileError(path, _sqlite_problem(exc)) from None
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        try:
            listed = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        except sqlite3.Error:
            return  # not our problem to diagnose here: GDAL's reading says what is wrong
        missing = [name for name in listed if name in LAYERS and name not in tables]
        if missing:
            raise NetworkFileError(
                path, f"layer(s) {', '.join(missing)} listed in gpkg_contents but their table is missing (damaged file)"
            )
        for layer in (name for name in listed if name in LAYERS and name in tables):
            columns = {r[1]: str(r[2]).upper() for r in con.execute(f'PRAGMA table_info("{layer}")')}
            numeric = [c for c, t in columns.items() if c in LAYERS[layer].column_names and _is_numeric_type(t)]
            if not numeric:
                continue
            text = " OR ".join(f"typeof(\"{c}\") = 'text'" for c in numeric)
            ident = '"id"' if "id" in columns else "rowid"
            rows = con.execute(f'SELECT {ident}, {", ".join(chr(34) + c + chr(34) for c in numeric)} FROM "{layer}" '
                               f"WHERE {text} LIMIT 5").fetchall()  # fmt: skip
            if rows:
                first = rows[0]
                column = next(c for c, v in zip(numeric, first[1:], strict=True) if isinstance(v, str))
                value = first[1 + numeric.index(column)]
                ids = ", ".join(str(r[0]) for r in rows)
                raise NetworkFileError(
                    path, f"layer {layer!r}: column {column!r} holds text ({value!r}) where numbers belong, for {ids}"
                )
    except sqlite3.DatabaseError as exc:
        raise NetworkFileError(path, _sqlite_problem(exc)) from None
    finally:
        con.close()


def _is_numeric_type(declared: str) -> bool:
    return any(t in declared for t in ("INT", "REAL", "FLOA", "DOUB", "NUMERIC"))


def _sqlite_problem(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    for symptom in ("database disk image is malformed", "file is not a database", "disk I/O error"):
        if symptom in message:
            return f"damaged GeoPackage (SQLite: {symptom})"
    return f"cannot open the GeoPackage: {message}"


def _read_meta(path: Path) -> dict[str, Any]:
    with file_error(path, f"cannot read table {META_TABLE!r}"):
        table = pyogrio.read_dataframe(path, layer=META_TABLE, read_geometry=False)
        if not {"key", "value"} <= set(table.columns):
            raise NetworkFileError(path, f"table {META_TABLE!r} lacks its 'key'/'value' columns")
        meta: dict[str, Any] = dict(zip(table["key"].astype(str), table["value"].fillna("").astype(str), strict=True))
        meta["dtypes"] = json.loads(meta.get("dtypes") or "{}")
    return meta


def _one_crs(path: Path, layer_crs: dict[str, Any]) -> Any:
    distinct = {crs.to_wkt(): (layer, crs) for layer, crs in layer_crs.items()}
    if len(distinct) > 1:
        listing = ", ".join(f"{layer}: {crs.name}" for layer, crs in distinct.values())
        raise NetworkFileError(path, f"layers have different CRSs ({listing}); reproject them to one CRS")
    return next(iter(distinct.values()))[1] if distinct else None
