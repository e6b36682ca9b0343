"""The gas network: one GeoDataFrame per feature class, a CRS, and a version that every edit bumps.

Derived structures (topology arrays, spatial index, render buffers, valve segments …) are cached per *version* with
:meth:`GasNetwork.cached`; nothing derived is ever stored on its own. Views and services learn about edits through the
psygnal ``changed`` signal; the network never calls into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from psygnal import Signal
from pyproj import CRS

from console.errors import SchemaError, UnknownFeatureError
from console.network._ids import IdIndex, id_text
from console.network._schema import LAYERS, LINK_LAYERS, NODE_LAYERS, Column, LayerSpec

__all__ = ["GasNetwork", "coerce_layer", "empty_layer"]

T = TypeVar("T")


def _dtype_for(col: Column) -> Any:
    if col.kind is float:
        return "float64"
    if col.kind is int:
        return "int64"
    if col.kind is bool:
        return "bool"
    if col.kind is str:
        return "str"
    return pd.CategoricalDtype([m.value for m in col.kind])  # a StrEnum code list


def empty_layer(name: str, crs: CRS | None) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the layer's columns and dtypes."""
    spec = LAYERS[name]
    data = {"id": pd.Series([], dtype="str")}
    for col in spec.columns:
        data[col.name] = pd.Series([], dtype=_dtype_for(col))
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def coerce_layer(name: str, frame: pd.DataFrame, crs: CRS | None, source: str = "") -> gpd.GeoDataFrame:
    """Return ``frame`` as a layer that follows the schema: all columns present, typed, code lists checked.

    Missing optional columns get their default; a missing required column, a value outside a code list or a
    geometry of the wrong type raises :class:`SchemaError` naming the layer, column and the first offending ids.
    Extra columns are kept (utilities carry their own attributes) after the schema's columns.
    """
    spec = LAYERS[name]
    where = f"{source}: layer {name!r}" if source else f"layer {name!r}"
    if "id" not in frame.columns:
        raise SchemaError(f"{where} has no 'id' column")
    n = len(frame)
    ids = frame["id"] if _is_text(frame["id"]) else frame["id"].astype("str")
    if ids.isna().any() or (ids == "").any():
        bad = np.flatnonzero((ids.isna() | (ids == "")).to_numpy())[:5]
        raise SchemaError(f"{where}: features at rows {bad.tolist()} have no id")
    out: dict[str, Any] = {"id": ids.array}
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required and n:
                raise SchemaError(f"{where} lacks required column {col.name!r}")
            default = col.default.value if hasattr(col.default, "value") else col.default
            values = pd.Series([default] * n, dtype=_dtype_for(col)) if n else pd.Series([], dtype=_dtype_for(col))
            out[col.name] = values.to_numpy() if not isinstance(values.dtype, pd.CategoricalDtype) else values
            continue
        out[col.name] = _coerce_column(spec, col, frame[col.name], ids, where)
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame.get("geometry")
    if geometry is None:
        raise SchemaError(f"{where} has no geometry")
    geom_values = geometry.array if isinstance(geometry, gpd.GeoSeries) else np.asarray(geometry, dtype=object)
    geoms = np.asarray(geom_values, dtype=object)
    _check_geometry(spec, geoms, ids, where)
    extra = [
        c
        for c in frame.columns
        if c not in out and c != "geometry" and c != getattr(frame, "_geometry_column_name", "geometry")
    ]
    for c in extra:
        out[c] = frame[c].reset_index(drop=True).array  # keeps nullable/categorical dtypes of utility columns
    if isinstance(geom_values, gpd.array.GeometryArray) and crs is not None:
        # Keep the vectorised array; the network's CRS is what counts (frames may come labelled otherwise).
        geo = gpd.GeoSeries(geom_values).set_crs(crs, allow_override=True)
    else:
        geo = gpd.GeoSeries(geoms, crs=crs)
    result = gpd.GeoDataFrame(out, geometry=geo.reset_index(drop=True), crs=crs)
    result.index = pd.RangeIndex(n)
    return result


def _is_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype)


def _coerce_column(spec: LayerSpec, col: Column, values: pd.Series, ids: pd.Series, where: str) -> Any:
    # Fast paths: a column already in its schema dtype passes through untouched (a 1M-pipe load must not copy
    # every string column three times).
    dtype = _dtype_for(col)
    default = col.default.value if hasattr(col.default, "value") else col.default
    if isinstance(dtype, pd.CategoricalDtype):
        if isinstance(values.dtype, pd.CategoricalDtype) and list(values.dtype.categories) == list(dtype.categories):
            if not values.isna().any():
                return values.array
            if col.required:
                raise SchemaError(f"{where}: column {col.name!r} is empty for {ids[values.isna()].head(5).tolist()}")
            return values.fillna(default).array
        text = values.astype("str") if not _is_text(values) else values
        missing = values.isna() | (text == "")
        if missing.any():
            if col.required:
                raise SchemaError(f"{where}: column {col.name!r} is empty for {ids[missing].head(5).tolist()}")
            text = text.where(~missing, default)
        bad_mask = ~text.isin(dtype.categories)
        if bad_mask.any():
            bad_vals = sorted(set(text[bad_mask].astype(str)))[:5]
            bad_ids = ids[bad_mask].head(5).tolist()
            raise SchemaError(
                f"{where}: column {col.name!r} has values {bad_vals} outside {list(dtype.categories)} (features {bad_ids})"
            )
        return pd.Categorical(text, categories=dtype.categories)
    if col.kind is str:
        if _is_text(values):
            return values.fillna(default or "").array if values.isna().any() else values.array
        filled = values.astype("object").where(values.notna(), default or "")
        return filled.astype("str").array
    if col.kind is bool:
        if values.dtype == bool:
            return values.to_numpy()
        mapped = values.map(_parse_bool)
        bad_mask = mapped.isna() & values.notna()
        if bad_mask.any():
            raise SchemaError(f"{where}: column {col.name!r} is not true/false for {ids[bad_mask].head(5).tolist()}")
        return mapped.fillna(bool(col.default)).astype(bool).to_numpy()
    if values.dtype.kind in "iuf":
        numeric = values
    else:
        numeric = pd.to_numeric(values, errors="coerce")
        bad_mask = numeric.isna() & values.notna() & (values.astype("str") != "")
        if bad_mask.any():
            raise SchemaError(f"{where}: column {col.name!r} is not numeric for {ids[bad_mask].head(5).tolist()}")
    if col.kind is int:
        if numeric.dtype == np.int64:
            return numeric.to_numpy()
        return numeric.fillna(col.default if col.default is not None else 0).round().astype("int64").to_numpy()
    has_nan = numeric.isna()
    if col.required and has_nan.any():
        raise SchemaError(f"{where}: column {col.name!r} is empty for {ids[has_nan].head(5).tolist()}")
    if has_nan.any() and col.default is not None and not (isinstance(col.default, float) and np.isnan(col.default)):
        numeric = numeric.fillna(col.default)
    return numeric.to_numpy(dtype="float64")


def _parse_bool(v: object) -> object:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float, np.floating)) and not pd.isna(v):
        return bool(v)
    s = str(v).strip().lower()
    if s in {"true", "t", "yes", "y", "1"}:
        return True
    if s in {"false", "f", "no", "n", "0"}:
        return False
    return None


def _check_geometry(spec: LayerSpec, geoms: np.ndarray, ids: pd.Series, where: str) -> None:
    if not len(geoms):
        return
    type_ids = shapely.get_type_id(geoms)
    want = 0 if spec.geometry == "Point" else 1  # shapely GeometryType.POINT / LINESTRING
    bad = (type_ids != want) | shapely.is_empty(geoms)
    if bad.any():
        raise SchemaError(f"{where}: features {ids[bad].head(5).tolist()} need a non-empty {spec.geometry} geometry")


#: Rows appended since a layer's id lookup was built are searched directly up to this many; past it, it is rebuilt.
_TAIL_ROWS = 4096
#: A text column patched in place holds its values in arrow chunks; past this many it is compacted into one.
_MAX_CHUNKS = 64


class _RowLookup:
    """Feature id → positional row of one layer, kept across edits.

    Built once (a hash index of the layer's ids); an edit says how many leading rows it left as they were
    (``keep``), so values edits keep it whole, appends keep it and add a tail searched directly, and a deletion keeps
    the rows before the first one deleted. Rows at or past ``valid`` are looked up in the layer itself.
    """

    __slots__ = ("index", "positions", "valid")

    def __init__(self, ids: pd.Series) -> None:
        index = pd.Index(ids.array)
        if index.is_unique:
            self.index, self.positions = index, None
        else:  # duplicate ids (a finding of validation): the first row of each is the feature
            first = ~index.duplicated(keep="first")
            self.index, self.positions = index[first], np.flatnonzero(first)
        if len(self.index):  # the hash table is filled on the first lookup: here, not in the first edit's time
            self.index.get_indexer(self.index[:1])
        self.valid = len(ids)

    def rows(self, ids: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        pos = self.index.get_indexer(ids) if len(self.index) else np.full(len(ids), -1, dtype=np.intp)
        if self.positions is not None:
            pos = np.where(pos >= 0, self.positions[np.maximum(pos, 0)], -1)
        pos = np.where(pos < self.valid, pos, -1)
        n = len(frame)
        if n > self.valid and (pos < 0).any():
            missing = pos < 0
            tail = pd.Index(frame["id"].array[self.valid :])
            hit = (
                tail.get_indexer(ids[missing])
                if tail.is_unique
                else tail.get_indexer_for(ids[missing])[: missing.sum()]
            )
            pos[missing] = np.where(hit >= 0, hit + self.valid, -1)
        return pos


class _TopologyIds:
    """One layer's part of a topology's id index (its nodes or links: a contiguous range), answering ``get_indexer``
    as the pandas index of a :class:`_RowLookup` does — the row in the layer, -1 for ids elsewhere or nowhere — with
    no index of its own (see :meth:`GasNetwork.index_rows`)."""

    __slots__ = ("ids", "start", "stop")

    def __init__(self, ids, start: int, stop: int) -> None:
        self.ids, self.start, self.stop = ids, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def get_indexer(self, wanted) -> np.ndarray:
        p = self.ids.positions(wanted).astype(np.intp)
        return np.where((p >= self.start) & (p < self.stop), p - self.start, -1)


def _topology_lookups(topology) -> dict[str, _RowLookup]:
    """Row lookups for every node and link layer from ``topology``'s id indexes (already built for it), when every id
    is unique and none is null; else {} (the layers build their own)."""
    out: dict[str, _RowLookup] = {}
    for names, layer_of, text, index in (
        (NODE_LAYERS, topology.node_layer, topology.node_id_text, topology.node_index),
        (LINK_LAYERS, topology.link_layer, topology.link_id_text, topology.link_index),
    ):
        index([])  # built (the node index always is; the link index on first use)
        ids = topology._lazy["node_index" if names is NODE_LAYERS else "link_index"]
        if text.null_count or not ids.is_unique():
            return {}
        bounds = np.concatenate([[0], np.cumsum(np.bincount(layer_of, minlength=len(names)))])
        for i, name in enumerate(names):
            lookup = object.__new__(_RowLookup)
            lookup.index = _TopologyIds(ids, int(bounds[i]), int(bounds[i + 1]))
            lookup.positions, lookup.valid = None, int(bounds[i + 1] - bounds[i])
            out[name] = lookup
    return out


def take_rows(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """``series.iloc[rows]`` (positional ``rows``), chunk by chunk for an Arrow column of several chunks: pyarrow's
    take on a chunked array joins the chunks first — a copy of a million ids for every few rows looked at.

    >>> s = pd.Series(pd.array(pa.chunked_array([["a", "b"], ["c"]]), dtype="string[pyarrow]"))
    >>> take_rows(s, np.array([2, 0])).tolist()
    ['c', 'a']
    """
    rows = np.asarray(rows, dtype=np.int64)
    try:
        chunked = series.array.__arrow_array__()
    except (AttributeError, TypeError):
        chunked = None
    if not isinstance(chunked, pa.ChunkedArray) or chunked.num_chunks < 2 or not len(rows):
        return series.iloc[rows]
    starts = np.cumsum([0] + [len(c) for c in chunks]) if (chunks := chunked.chunks) else np.zeros(1, np.int64)
    which = np.searchsorted(starts, rows, side="right") - 1
    order = np.argsort(which, kind="stable")
    pieces = []
    for k in np.unique(which).tolist():
        at = rows[order][which[order] == k] - starts[k]
        pieces.append(chunks[k].take(pa.array(at)))
    taken = pa.chunked_array(pieces, type=chunked.type).take(pa.array(np.argsort(order, kind="stable")))
    return pd.Series(pd.array(taken, dtype=series.dtype), index=series.index[rows], name=series.name)


def _patched_text(series: pd.Series, rows: np.ndarray, values: np.ndarray) -> pd.Series | None:
    """``series`` with ``values`` at positional ``rows``, sharing every other value (arrow slices: O(rows), not
    O(len)); None when the column is not arrow text."""
    try:
        chunked = series.array.__arrow_array__()
    except (AttributeError, TypeError):
        return None
    if (
        not isinstance(chunked, pa.ChunkedArray)
        or not pa.types.is_string(chunked.type)
        and not pa.types.is_large_string(chunked.type)
    ):
        return None
    if chunked.num_chunks > _MAX_CHUNKS:
        chunked = pa.chunked_array([chunked.combine_chunks()])
    order = np.argsort(rows, kind="stable")
    rows = np.asarray(rows)[order]
    new = pa.array([values[i] for i in order], type=chunked.type)
    pieces, start = [], 0
    for k, r in enumerate(rows.tolist()):
        if r < start:  # the same row twice: the last value wins
            pieces[-1] = new.slice(k, 1)
            continue
        pieces += [chunked.slice(start, r - start), new.slice(k, 1)]
        start = r + 1
    pieces.append(chunked.slice(start))
    chunks = [c for p in pieces for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p]) if len(c)]
    out = pa.chunked_array(chunks, type=chunked.type)
    return pd.Series(pd.array(out, dtype=series.dtype), index=series.index, name=series.name)


class GasNetwork:
    """A gas network: feature layers, CRS, name and an edit version.

    Parameters
    ----------
    layers
        Layer name → DataFrame/GeoDataFrame; missing layers are empty. Frames are coerced to the schema.
    crs
        The coordinate reference system of every layer (a pyproj CRS or anything pyproj accepts).
    name
        A human name for title bars and reports.
    """

    changed = Signal(int)  # the new version, after every edit

    def __init__(
        self,
        layers: Mapping[str, pd.DataFrame] | None = None,
        crs: Any = None,
        name: str = "network",
        *,
        source: str = "",
        _trusted: bool = False,
    ) -> None:
        self.crs: CRS | None = CRS.from_user_input(crs) if crs is not None else None
        self.name = name
        self.source = source
        self._version = 0
        self._cache: dict[str, tuple[int, Any]] = {}
        self._lookups: dict[str, _RowLookup] = {}  # per layer, kept across edits (see _RowLookup)
        self._id_tops: dict[str, tuple[int, str, int, int]] = {}  # per layer: rows scanned, the top id's parts
        self._log: list[EditRecord] = []  # the latest edits, one per version (see edits_since)
        layers = dict(layers or {})
        unknown = set(layers) - set(LAYERS)
        if unknown:
            raise SchemaError(f"{source or name}: unknown layers {sorted(unknown)}; layers are {list(LAYERS)}")
        self._layers: dict[str, gpd.GeoDataFrame] = {}
        for lname in LAYERS:
            frame = layers.get(lname)
            if frame is None or len(frame) == 0:
                self._layers[lname] = empty_layer(lname, self.crs)
            elif _trusted:
                self._layers[lname] = frame
            else:
                self._layers[lname] = coerce_layer(lname, frame, self.crs, source)

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    def __getitem__(self, layer: str) -> gpd.GeoDataFrame:
        return self._layers[layer]

    @property
    def layers(self) -> Mapping[str, gpd.GeoDataFrame]:
        return dict(self._layers)

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self._layers.items()}

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of every feature; NaNs for an empty network."""
        return self.cached("bounds", self._total_bounds)

    def _total_bounds(self) -> tuple[float, float, float, float]:
        # A slice of geometries at a time: the (n, 4) float64 boxes of a million pipes at once would be 32 MB.
        step = 100_000
        boxes = [
            shapely.total_bounds(np.asarray(f.geometry.array, dtype=object)[i : i + step])
            for f in self._layers.values()
            for i in range(0, len(f), step)
        ]
        if not boxes:
            return (np.nan, np.nan, np.nan, np.nan)
        b = np.vstack(boxes)
        return (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Return the value cached under ``key`` for this version, building it once if needed."""
        version = self._version
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        if self._version == version:  # a build that an edit overtook (a job on the live network) is not kept
            self._cache[key] = (version, value)
        return value

    def cached_now(self, key: str) -> Any:
        """The value cached under ``key`` for this version, or None when none is (nothing is built)."""
        hit = self._cache.get(key)
        return hit[1] if hit is not None and hit[0] == self._version else None

    TOPOLOGY_KEY = "topology"

    def adopt(self, key: str, value: object, version: int) -> bool:
        """Cache ``value``, computed on a snapshot at ``version``, under ``key`` (prepare → process → apply: a job
        builds on ``snapshot()``, the main thread adopts the result). False, adopting nothing, when this network was
        edited since that snapshot."""
        if version != self._version:
            return False
        self._cache[key] = (self._version, value)
        return True

    @property
    def topology(self):  # -> Topology (imported lazily: topology imports this module's types)
        """Node-link arrays of this version: derived from an earlier version's (still in the cache, e.g. the
        master's in a snapshot that a change set was applied to) when the edits since are few and logged (see
        :func:`~console.network._topology.derive_topology`), else built in full."""
        from console.network._topology import build_topology, derive_topology

        def build():
            prev = self._cache.get(self.TOPOLOGY_KEY)
            if prev is not None and prev[0] < self._version:
                edits = self.edits_since(prev[0])
                if edits is not None:
                    derived = derive_topology(prev[1], self, edits)
                    if derived is not None:
                        return derived
            return build_topology(self)

        return self.cached(self.TOPOLOGY_KEY, build)

    def edits_since(self, version: int) -> list[EditRecord] | None:
        """The row-level edits that led from ``version`` to this one, oldest first; None when they are not all
        logged (only the latest :data:`_LOG_LENGTH` are kept)."""
        if version > self._version:
            return None
        edits = [e for e in self._log if e.version > version]
        if len(edits) != self._version - version:
            return None
        return edits

    @property
    def spatial(self):  # -> SpatialIndex
        from console.network._spatial import SpatialIndex

        return self.cached("spatial", lambda: SpatialIndex(self))

    @property
    def id_index(self) -> IdIndex:
        """Every feature id of this version, sorted for exact and prefix lookups (see :class:`IdIndex`).

        Positions count through the layers in ``LAYERS`` order; :meth:`locate` turns one into (layer, row). Built once
        per version and shared: the map's search box uses this same index.
        """
        return self._feature_index()[0]

    def _feature_index(self) -> tuple[IdIndex, np.ndarray, list[str]]:
        def build() -> tuple[IdIndex, np.ndarray, list[str]]:
            names = list(self._layers)
            ids = pa.chunked_array(
                [chunk for n in names for chunk in id_text(self._layers[n]["id"]).chunks], type=pa.large_string()
            )
            starts = np.cumsum([0] + [len(self._layers[n]) for n in names])
            return IdIndex(ids), starts, names

        return self.cached("feature_index", build)

    def locate(self, feature_id: str) -> tuple[str, int]:
        """(layer name, row) of a feature id; raises UnknownFeatureError.

        Goes through the per-layer lookups (kept across edits), so an edit does not make the next lookup re-index
        the whole network."""
        if isinstance(feature_id, str):
            wanted = np.array([feature_id], dtype=object)
            for layer in self._layers:
                row = int(self.rows_of(layer, wanted)[0])
                if row >= 0:
                    return layer, row
        raise UnknownFeatureError(feature_id, self.name)

    def rows_of(self, layer: str, ids: Iterable[str]) -> np.ndarray:
        """Positional rows of ``ids`` in ``layer`` (-1 where absent). Costs the ids asked, not the layer's size, once
        the layer's lookup is built (it survives edits; see :class:`_RowLookup`)."""
        wanted = ids if isinstance(ids, np.ndarray) and ids.dtype == object else np.asarray(list(ids), dtype=object)
        frame = self._layers[layer]
        if not len(frame) or not len(wanted):
            return np.full(len(wanted), -1, dtype=np.intp)
        lookup = self._lookups.get(layer)
        if lookup is None or len(frame) - lookup.valid > _TAIL_ROWS:
            lookup = self._lookups[layer] = _RowLookup(frame["id"])
        return lookup.rows(wanted, frame)

    def id_counts(self, layer: str, ids: np.ndarray) -> np.ndarray:
        """How many rows of ``layer`` carry each of ``ids`` (object array): through the row lookup and a scan of the
        rows past it while the layer's indexed ids are unique, else a scan of the layer."""
        wanted = np.asarray(ids, dtype=object)
        frame = self._layers[layer]
        if not len(frame) or not len(wanted):
            return np.zeros(len(wanted), dtype=np.int64)
        self.rows_of(layer, wanted[:1])  # the lookup, built or brought up to date
        lookup = self._lookups[layer]
        if lookup.positions is not None:
            hit = frame["id"][frame["id"].isin(wanted)].to_numpy(dtype=object)
            return pd.Index(hit).value_counts().reindex(wanted, fill_value=0).to_numpy().astype(np.int64)
        pos = lookup.index.get_indexer(wanted)
        counts = ((pos >= 0) & (pos < lookup.valid)).astype(np.int64)
        if len(frame) > lookup.valid:
            tail = frame["id"].iloc[lookup.valid :]
            hit = tail[tail.isin(wanted)].to_numpy(dtype=object)
            if len(hit):
                counts += pd.Index(hit).value_counts().reindex(wanted, fill_value=0).to_numpy().astype(np.int64)
        return counts

    def index_rows(self) -> None:
        """Build every layer's row lookup now (:meth:`rows_of` builds one on first use): snapshots taken afterwards
        share them, so a branch and its master do not each index the same million ids. With the topology of this
        version built and its ids unique, the node and link layers' lookups are slices of its id indexes (no second
        index of the same ids)."""
        stale = [layer for layer, frame in self._layers.items()
                 if len(frame) and ((lk := self._lookups.get(layer)) is None or len(frame) - lk.valid > _TAIL_ROWS)]  # fmt: skip
        topology = self.cached_now(self.TOPOLOGY_KEY)
        shared = _topology_lookups(topology) if stale and topology is not None else {}
        for layer in stale:
            frame = self._layers[layer]
            got = shared.get(layer)
            self._lookups[layer] = got if got is not None and got.valid == len(frame) else _RowLookup(frame["id"])

    def has_ids(self, ids: Iterable[str]) -> np.ndarray:
        """For each id, whether any layer has it."""
        wanted = np.asarray(list(ids), dtype=object)
        found = np.zeros(len(wanted), dtype=bool)
        for layer in self._layers:
            if (~found).any():
                found[~found] |= self.rows_of(layer, wanted[~found]) >= 0
        return found

    def feature(self, feature_id: str) -> dict[str, Any]:
        """All attributes of one feature as a plain dict (``layer`` added)."""
        layer, row = self.locate(feature_id)
        record = self._layers[layer].iloc[row].to_dict()
        record["layer"] = layer
        return record

    def node_layers(self) -> Iterable[tuple[str, gpd.GeoDataFrame]]:
        return ((n, self._layers[n]) for n in NODE_LAYERS)

    def link_layers(self) -> Iterable[tuple[str, gpd.GeoDataFrame]]:
        return ((n, self._layers[n]) for n in LINK_LAYERS)

    def snapshot(self) -> GasNetwork:
        """A copy that later edits of this network do not affect (cheap: pandas copy-on-write)."""
        snap = GasNetwork(
            {n: f.copy(deep=False) for n, f in self._layers.items()},
            self.crs,
            self.name,
            source=self.source,
            _trusted=True,
        )
        snap._version = self._version
        snap._cache = dict(self._cache)
        snap._lookups = {n: _copy_lookup(lk) for n, lk in self._lookups.items()}
        snap._id_tops = dict(self._id_tops)
        snap._log = list(self._log)
        return snap

    # -- editing (use console.network.edit commands for undoable edits) -------------------------------------------
    def install_layer(
        self,
        layer: str,
        frame: gpd.GeoDataFrame,
        keep: int = 0,
        *,
        same_values: bool = False,
        column: str | None = None,
        rows: np.ndarray | None = None,
    ) -> None:
        """Put ``frame`` (already following the schema) in place of ``layer`` and bump the version. ``keep``: how many
        leading rows have the same ids at the same positions as before (the row lookup stays valid for them).

        ``same_values``: those rows also hold the same values in every column, except ``column`` at ``rows`` when
        given (a values edit). Logged (:meth:`edits_since`), it lets derived structures be updated, not rebuilt."""
        self._layers[layer] = frame
        self._log.append(
            EditRecord(self._version + 1, layer, keep if same_values else 0, column, None if rows is None else rows)
        )
        del self._log[:-_LOG_LENGTH]
        lookup = self._lookups.get(layer)
        if lookup is not None:
            if keep <= 0:
                del self._lookups[layer]
            else:
                lookup.valid = min(lookup.valid, keep)
        self._bump()

    def replace_layer(self, layer: str, frame: pd.DataFrame) -> None:
        """Replace a whole layer (coerced to the schema) and bump the version."""
        self.install_layer(layer, coerce_layer(layer, frame, self.crs, self.source))

    def set_values(self, layer: str, rows: np.ndarray, column: str, values: Any) -> None:
        """Set ``column`` at positional ``rows`` of ``layer`` (values coerced to the schema) and bump the version.

        Only the rows set are checked and copied where the column allows (arrow text is patched by slices); the
        rest of the layer is shared with the frame before the edit."""
        rows = np.asarray(rows, dtype=np.intp).reshape(-1)
        frame = self._layers[layer].copy(deep=False)
        spec = LAYERS[layer]
        where = f"layer {layer!r}"
        if column == "geometry":
            new = np.empty(len(rows), dtype=object)
            new[:] = list(np.broadcast_to(np.asarray(values, dtype=object), (len(rows),)))
            _check_geometry(spec, new, frame["id"].iloc[rows].reset_index(drop=True), where)
            geoms = frame.geometry.array.copy()
            geoms[rows] = new
            frame["geometry"] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
        else:
            if column == "id":
                raise SchemaError("feature ids are not edited in place; delete and re-add the feature")
            col = spec.column(column)
            series = pd.Series(np.broadcast_to(np.asarray(values, dtype=object), (len(rows),)))
            coerced = np.asarray(
                _coerce_column(spec, col, series, frame["id"].iloc[rows].reset_index(drop=True), where)
            )
            column_values = _patched_text(frame[column], rows, coerced) if col.kind is str else None
            if column_values is None:
                column_values = frame[column].copy()
                column_values.iloc[rows] = coerced
            frame[column] = column_values
        self.install_layer(layer, frame, keep=len(frame), same_values=True, column=column, rows=rows.copy())

    def add_features(self, layer: str, frame: pd.DataFrame) -> list[str]:
        """Append features (coerced to the schema) to ``layer``; ids must be new to the whole network."""
        new = coerce_layer(layer, frame, self.crs, self.source)
        ids = new["id"].to_numpy(dtype=object)
        clash = ids[self.has_ids(ids)]
        dup_new = pd.Index(ids)[pd.Index(ids).duplicated()]
        if len(clash) or len(dup_new):
            raise SchemaError(f"layer {layer!r}: ids already in use: {sorted(set(clash) | set(dup_new))[:5]}")
        old = self._layers[layer]
        combined = pd.concat([old, new], ignore_index=True) if len(old) else new
        self.install_layer(
            layer, gpd.GeoDataFrame(combined, geometry="geometry", crs=self.crs), keep=len(old), same_values=True
        )
        return ids.tolist()

    def remove_features(self, layer: str, ids: Iterable[str]) -> gpd.GeoDataFrame:
        """Remove features by id from ``layer`` and return them (for undo). Nodes still used by links are refused."""
        ids = list(ids)
        frame = self._layers[layer]
        mask = frame["id"].isin(ids).to_numpy()
        missing = sorted(set(ids) - set(frame["id"][mask]))
        if missing:
            raise UnknownFeatureError(missing[0], f"layer {layer!r}")
        if layer in NODE_LAYERS:
            used = []
            for _, links in self.link_layers():
                hit = links["from_node"].isin(ids) | links["to_node"].isin(ids)
                used += links["id"][hit].tolist()
            if used:
                raise SchemaError(f"nodes {ids[:5]} are still ends of links {used[:5]}; remove those links first")
        removed = frame[mask].reset_index(drop=True)
        first = int(np.argmax(mask)) if mask.any() else len(frame)
        self.install_layer(layer, frame[~mask].reset_index(drop=True), keep=first, same_values=True)
        return removed

    def _bump(self) -> None:
        self._version += 1
        self.changed.emit(self._version)

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(f)}" for n, f in self._layers.items() if len(f))
        crs = self.crs.to_string() if self.crs else "no CRS"
        return f"<GasNetwork {self.name!r} v{self._version} {crs}: {parts}>"


@dataclass(frozen=True)
class EditRecord:
    """One version's edit of one layer: rows ``[0, keep)`` kept as they were (ids and values), the rest replaced;
    for a values edit (``column`` set) the layer's length is unchanged and only ``column`` at ``rows`` differs."""

    version: int  # the version the edit made
    layer: str
    keep: int
    column: str | None = None
    rows: np.ndarray | None = None


#: How many edits a network remembers for :meth:`GasNetwork.edits_since`.
_LOG_LENGTH = 256


def _copy_lookup(lookup: _RowLookup) -> _RowLookup:
    """A snapshot's own lookup (shares the index; its ``valid`` moves with the snapshot's edits)."""
    copy = object.__new__(_RowLookup)
    copy.index, copy.positions, copy.valid = lookup.index, lookup.positions, lookup.valid
    return copy
