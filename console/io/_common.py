"""What every reader and writer shares: error wrapping, input checks, network assembly, extra-column types.

Every failure leaves this package as :class:`console.errors.NetworkFileError` naming the file and the problem in
one line, never as a raw traceback from GDAL, expat or pandas.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from console.errors import GasOpsError, NetworkFileError, SchemaError
from console.network import LAYERS, GasNetwork

__all__ = [
    "check_plausible",
    "check_readable",
    "clean_message",
    "decode_dtypes",
    "encode_dtypes",
    "file_error",
    "make_network",
    "no_crs_warning",
    "parse_crs",
    "single_part",
    "text_frame",
]


def check_readable(path: Path, *, folder_ok: bool = False) -> None:
    """Raise NetworkFileError unless ``path`` is a readable, non-empty file (or folder when ``folder_ok``)."""
    if not path.exists():
        raise NetworkFileError(path, "no such file or folder")
    if path.is_dir():
        if folder_ok:
            return
        raise NetworkFileError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise NetworkFileError(path, "empty file (0 bytes)")


def clean_message(exc: BaseException) -> str:
    """An exception's message on one line (GDAL messages may span several)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


@contextmanager
def file_error(path: Path, what: str) -> Iterator[None]:
    """Turn any failure inside the block into ``NetworkFileError(path, f"{what}: {message}")``.

    GasOps errors pass through unchanged (they are already precise); SchemaError is re-raised as NetworkFileError
    because a schema problem in a file is a problem *of that file*.
    """
    try:
        yield
    except NetworkFileError:
        raise
    except SchemaError as exc:
        raise NetworkFileError(path, _strip_source(str(exc), path)) from exc
    except GasOpsError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # GDAL, pandas, OS errors: reported, never shown as a traceback
        raise NetworkFileError(path, f"{what}: {clean_message(exc)}") from exc


def _strip_source(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


@contextmanager
def no_crs_warning() -> Iterator[None]:
    """Silence pyogrio's warning for frames without a CRS: a network may have none, and the file records that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        yield


def parse_crs(value: Any, path: Path) -> CRS | None:
    """A pyproj CRS from anything pyproj accepts; NetworkFileError naming the file when it is not a CRS."""
    if value is None:
        return None
    try:
        return CRS.from_user_input(value)
    except (PyprojCRSError, TypeError, ValueError) as exc:
        raise NetworkFileError(path, f"invalid CRS {value!r}: {clean_message(exc)}") from exc


def make_network(path: Path, layers: Mapping[str, pd.DataFrame], crs: Any, name: str) -> GasNetwork:
    """Build a GasNetwork from raw layer frames; schema problems become NetworkFileError naming the file."""
    target = parse_crs(crs, path) if crs is not None and not isinstance(crs, CRS) else crs
    relabelled = {}
    for layer, frame in layers.items():
        # ``crs=`` on reading assigns a CRS; the frames still carry the file's, which GeoPandas would call a clash.
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs != target:
            frame = frame.set_crs(target, allow_override=True)
        relabelled[layer] = frame
    with file_error(path, "cannot build the network"):
        network = GasNetwork(relabelled, target, name, source=str(path))
    check_plausible(path, network)
    return network


# Beyond these a value is damage, not data: the longest gas pipe between two nodes is tens of km; the widest, 1.4 m.
MAX_PIPE_LENGTH_M = 1_000_000.0
MAX_DIAMETER_MM = 5_000.0
MAX_PROJECTED_M = 1e8  # beyond any projected CRS's extent (UTM northings reach 1e7)


def check_plausible(path: Path, network: GasNetwork) -> None:
    """Impossible values are errors naming the features: non-finite numbers, non-positive or absurd pipe lengths
    and diameters, coordinates outside any plausible extent (a GeoPackage length of 1e308, a coordinate of 1e300)."""
    for layer, frame in network.layers.items():
        if not len(frame):
            continue
        ids = frame["id"].to_numpy(dtype=object)
        for column in frame.columns:
            if column == "geometry" or frame[column].dtype.kind != "f":
                continue
            values = frame[column].to_numpy()
            bad = np.isinf(values)
            if layer == "pipes" and column in ("length_m", "inner_diameter_mm"):
                limit = MAX_PIPE_LENGTH_M if column == "length_m" else MAX_DIAMETER_MM
                bad |= ~(values > 0) | (values > limit)
                what = f"not a positive number up to {limit:,.0f}"
            else:
                what = "not finite"
            if bad.any():
                raise NetworkFileError(path, f"layer {layer!r}: {column} {what} for {_some(ids[bad], values[bad])}")
        box = np.asarray(frame.total_bounds, dtype=float)  # cheap; the per-feature scan only when it is off
        geographic = network.crs is not None and network.crs.is_geographic
        limit = np.array([180.0, 90.0, 180.0, 90.0]) if geographic else MAX_PROJECTED_M
        if np.isfinite(box).all() and (np.abs(box) <= limit).all():
            continue
        xy = shapely.get_coordinates(np.asarray(frame.geometry.array, dtype=object))
        if geographic:
            far = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
            what = "outside longitude ±180° / latitude ±90°"
        else:
            far = ~np.isfinite(xy).all(axis=1) | (np.abs(xy) > MAX_PROJECTED_M).any(axis=1)
            what = f"beyond ±{MAX_PROJECTED_M:.0e} m"
        if far.any():
            _, index = shapely.get_coordinates(np.asarray(frame.geometry.array, dtype=object), return_index=True)
            rows = np.unique(index[far])
            raise NetworkFileError(path, f"layer {layer!r}: coordinates {what} for {_some(ids[rows])}")


def _some(ids: np.ndarray, values: np.ndarray | None = None, limit: int = 5) -> str:
    """'P-1 (1e+308), P-9 (-5) … (12 in all)': the first few features, with their values when given."""
    if values is None:
        shown = [str(i) for i in ids[:limit]]
    else:
        shown = [f"{i} ({v:g})" for i, v in zip(ids[:limit], values[:limit], strict=True)]
    return ", ".join(shown) + (f" … ({len(ids)} in all)" if len(ids) > limit else "")


def single_part(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Unwrap single-part Multi* geometries (QGIS and Shapefile often store lines as one-part multilines)."""
    if "geometry" not in frame or not len(frame):
        return frame
    geoms = np.asarray(frame.geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    multi = (types == 4) | (types == 5)  # MultiPoint, MultiLineString
    if not multi.any():
        return frame
    one_part = multi & (shapely.get_num_geometries(geoms) == 1)
    if one_part.any():
        geoms = geoms.copy()
        geoms[one_part] = shapely.get_geometry(geoms[one_part], 0)
        frame = frame.copy()
        frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    return frame


# -- extra (non-schema) columns: their pandas dtypes travel with the file so they read back exactly ------------------

_INT_RE = re.compile(r"^u?int(8|16|32|64)$")


def encode_dtypes(frame: pd.DataFrame, layer: str) -> dict[str, str]:
    """The dtype code of each extra column of ``frame``.

    Codes are ``bool``, ``boolean``, ``int64`` (any numpy/pandas integer), ``float64``, ``str``,
    ``datetime64[ms]`` … and ``category:[...]`` with the categories in order. Raises ValueError (the caller names
    the file) for columns that no GIS format can hold, such as lists or mixed objects.
    """
    spec = LAYERS[layer]
    schema = set(spec.column_names) | {"geometry", frame.geometry.name}
    out: dict[str, str] = {}
    for name in frame.columns:
        if name in schema:
            continue
        out[str(name)] = _dtype_code(frame[name], layer)
    return out


def _dtype_code(values: pd.Series, layer: str) -> str:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category:" + json.dumps([str(c) for c in dtype.categories], ensure_ascii=False)
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean" if pd.api.types.is_extension_array_dtype(dtype) else "bool"
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return str(dtype)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return str(dtype)
    if pd.api.types.is_string_dtype(dtype):
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in {"string", "empty"}:
            return "str"
        if pd.api.types.is_object_dtype(dtype) and kind in {"boolean", "integer", "floating", "mixed-integer-float"}:
            return {"boolean": "boolean", "integer": "Int64"}.get(kind, "float64")
        raise ValueError(
            f"layer {layer!r}: column {values.name!r} holds {kind} values that no GIS file can store; "
            "convert it to text or numbers first"
        )
    raise ValueError(f"layer {layer!r}: column {values.name!r} has type {dtype} that no GIS file can store")


def decode_dtypes(frame: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Give the extra columns of a frame read from a file back the dtypes :func:`encode_dtypes` recorded."""
    # A shallow copy: assigning columns below never writes into the caller's frame (pandas copy-on-write), and a
    # deep one would copy every attribute column of a million pipes for nothing.
    frame = frame.copy(deep=False)
    for name, code in dtypes.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if code == "str":
            frame[name] = values.astype("str")
        elif code.startswith("category:"):
            frame[name] = pd.Categorical(values.astype("str"), categories=json.loads(code[len("category:") :]))
        elif code in {"bool", "boolean"}:
            parsed = values if pd.api.types.is_bool_dtype(values.dtype) else values.map(_to_bool, na_action="ignore")
            frame[name] = parsed.astype(code) if code == "boolean" or not parsed.isna().any() else parsed
        elif code.startswith("datetime64"):
            frame[name] = pd.to_datetime(values).astype(code)
        elif _INT_RE.match(code) and values.isna().any():
            frame[name] = values  # an int column cannot hold the nulls a format wrote; keep them as float
        else:
            frame[name] = values.astype(code)
    return frame


def _to_bool(value: object) -> object:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "t", "yes", "y", "1"}
    return bool(value)


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with code-list (categorical) columns as plain text, which every GIS format stores."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return frame
    frame = frame.copy()
    for c in cats:
        frame[c] = frame[c].astype("str")
    return frame
