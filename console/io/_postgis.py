"""PostGIS: a network's GIS layers as the tables of one PostgreSQL schema, for when one machine is not enough.

The tables are the GeoPackage's layers one to one: one table per feature class, named after it (``pipes``,
``valves`` …), every layer written, empty ones too. ``id text`` is the primary key; the attribute columns keep their
names and get SQL types (text, double precision, bigint, boolean, timestamp), code lists are text, NaN is NULL; the
geometry column ``geom`` is ``geometry(LineString|Point, SRID)`` with the network's SRID and a GiST index.
``gasops_meta`` holds ``key``/``value`` text rows: the network name, the CRS as WKT and its SRID (the WKT keeps a CRS
without an EPSG code exactly; its tables then have SRID 0), and the pandas dtypes of extra columns.

Writing is atomic. All of it is one transaction: the tables are created and bulk-loaded (``COPY … FROM STDIN`` of CSV
made by Arrow, geometries as hex WKB from shapely, nothing per feature in Python) as staging tables
(``gasops_new_<random>_pipes`` …, invisible to other sessions until the commit), keyed and indexed there, and only
then are the previous tables dropped and the staging ones renamed (tables, keys and indexes). Writing so needs
CREATE on the target schema only. A failure anywhere, a dropped connection included, rolls all of it back: the previous
network stays as it was and no staging table is left. An advisory lock per schema serialises writers; readers lock
the tables in the same order as a writer, so a reader sees the whole old or the whole new network, never a mix.
Replaced tables lose grants given on them one by one (``ALTER DEFAULT PRIVILEGES`` on the schema keeps them).

Reading streams each table out with ``COPY (SELECT …) TO STDOUT``, parses it with Arrow's CSV reader and the
geometries with ``shapely.from_wkb``. Tables that other tools published (``ogr2ogr -f PostgreSQL``) read too: the
geometry column is found whatever its name, extra columns are kept and missing optional ones get their defaults.
Rows come back in the tables' physical order, which is the written order until another tool edits them.

Every failure is a :class:`~console.io._dburl.PostGISError` naming the URL without its password and what to do.
"""

from __future__ import annotations

import binascii
import io
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from pyproj import CRS
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.pool import NullPool

from console.errors import GasOpsError, NetworkFileError
from console.io._common import (
    clean_message,
    decode_dtypes,
    encode_dtypes,
    make_network,
    parse_crs,
    single_part,
    text_frame,
)
from console.io._dburl import DatabaseLocation, parse_location
from console.network import LAYERS, GasNetwork, LayerSpec

__all__ = [
    "GEOMETRY_COLUMN",
    "META_TABLE",
    "REVISION_COLUMN",
    "CommitResult",
    "commit_changes",
    "read_postgis",
    "write_postgis",
]

META_TABLE = "gasops_meta"
GEOMETRY_COLUMN = "geom"
_FORMAT = "gasops-postgis"
_VERSION = "1"
_STAGING_PREFIX = "gasops_new_"
_COPY_BATCH_ROWS = 65_536
_MAX_IDENTIFIER_BYTES = 63  # PostgreSQL cuts longer names silently (NAMEDATALEN - 1)
_INT_CODE = re.compile(r"^u?int(8|16|32|64)$", re.IGNORECASE)
# Every table of a network, in the one order in which readers and writers lock them (so they never deadlock).
_TABLES = (META_TABLE, *LAYERS)
# Row version of a feature, bumped by every per-feature commit (optimistic concurrency); not a network attribute.
REVISION_COLUMN = "gasops_rev"


def write_postgis(network: GasNetwork, url: str) -> str:
    """Write every layer and ``gasops_meta`` into the schema ``url`` names, replacing the network already there.

    The schema must exist (as a folder must for a file). Tables in it with layer names are replaced only when its
    ``gasops_meta`` says GasOps wrote them. Returns the location as it may be shown (without the password).

    Raises
    ------
    PostGISError
        Cannot connect, no PostGIS extension, no such schema, other tables in the way, a layer that no table can
        hold (duplicate ids, over-long column names), or any server error while loading. Nothing was changed.
    """
    location = parse_location(url)
    with _boundary(location, "cannot write"):
        dtypes = {layer: _encode_dtypes(location, network[layer], layer) for layer in LAYERS}
        layers = [_LayerRows.of(location, layer, network[layer], dtypes[layer]) for layer in LAYERS]
        epsg = network.crs.to_epsg() if network.crs is not None else None
        with _connect(location) as conn, conn.begin():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"gasops:{location.schema}"})
            _check_database(conn, location, writing=True)
            existing = _replaceable_tables(conn, location)
            srid = _srid_for(conn, epsg)
            # Staging tables sit in the target schema under a prefix, so that writing needs CREATE on that schema
            # only (not on the database); until the commit no other session sees them.
            stage = _Staging(location.schema, f"{_STAGING_PREFIX}{uuid.uuid4().hex[:8]}_")
            _create_and_load(conn, stage, layers, srid)
            meta = {
                "format": _FORMAT,
                "version": _VERSION,
                "name": network.name,
                "crs_wkt": network.crs.to_wkt() if network.crs is not None else "",
                "srid": str(srid),
                "dtypes": json.dumps({k: v for k, v in dtypes.items() if v}, ensure_ascii=False),
            }
            _write_meta(conn, stage, meta)
            _swap_in(conn, stage, existing)
    return location.shown


def read_postgis(url: str, *, crs: Any = None) -> GasNetwork:
    """Read the network in the schema ``url`` names (a GasOps schema, or tables named after the feature classes).

    Tables with other names are ignored; feature classes without a table come back empty. ``crs`` replaces the
    stored CRS without transforming coordinates.

    Raises
    ------
    PostGISError
        Cannot connect, no PostGIS extension, no such schema, no GasOps tables, a table without ``id`` or geometry
        or lacking a required column or with a column of the wrong type, SRIDs that disagree between tables or with
        ``gasops_meta``.
    """
    location = parse_location(url)
    with _boundary(location, "cannot read"):
        target_crs = parse_crs(crs, location.shown) if crs is not None else None
        with _connect(location) as conn, conn.begin():
            # One snapshot for all tables; physical row order (no parallel or synchronised scans start mid-table).
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            conn.execute(sa.text("SET LOCAL synchronize_seqscans = off"))
            conn.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
            _check_database(conn, location, writing=False)
            present = _tables_in(conn, location.schema)
            names = [t for t in _TABLES if t in present]
            layers = [t for t in names if t in LAYERS]
            if not layers and META_TABLE not in present:
                found = ", ".join(sorted(present)) or "none"
                raise location.error(
                    f"no GasOps tables in schema {location.schema!r} (tables found: {found}); "
                    f"table names must be {', '.join(LAYERS)}"
                )
            conn.execute(sa.text(f"LOCK TABLE {', '.join(_q(location.schema, t) for t in names)} IN ACCESS SHARE MODE"))
            meta = _read_meta(conn, location) if META_TABLE in present else {}
            reflected = sa.inspect(conn).get_multi_columns(
                schema=location.schema, filter_names=layers, kind=ObjectKind.ANY
            )
            plans = {layer: _ReadPlan.of(location, layer, reflected[(location.schema, layer)]) for layer in layers}
            srid = _check_srids(conn, location, plans, meta)
            if target_crs is None:
                target_crs = parse_crs(meta["crs_wkt"], location.shown) if meta.get("crs_wkt") else None
            if target_crs is None and srid:
                target_crs = _crs_of_srid(conn, srid)
            raw = conn.connection.driver_connection
            dtypes = meta.get("dtypes", {})
            frames = {
                layer: decode_dtypes(single_part(plan.read(raw), layer), dtypes.get(layer, {}))
                for layer, plan in plans.items()
            }
        return make_network(location.shown, frames, target_crs, meta.get("name") or location.schema)


# -- connection, checks and errors -----------------------------------------------------------------------------------


@contextmanager
def _connect(location: DatabaseLocation) -> Iterator[sa.Connection]:
    # libpq gets the URI as it is: PGPASSWORD, ~/.pgpass, service files and sslmode work as in psql.
    engine = sa.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(location.conninfo), poolclass=NullPool
    )
    try:
        try:
            conn = engine.connect()
        except (sa.exc.DBAPIError, psycopg.Error) as exc:
            raise location.error(_connect_problem(exc)) from None  # the driver's error may carry the URI
        with conn:
            yield conn
    finally:
        engine.dispose()


def _connect_problem(exc: Exception) -> str:
    text = clean_message(getattr(exc, "orig", None) or exc).removeprefix("connection failed: ")
    lower = text.lower()
    hint = ""
    if "password authentication failed" in lower or "no password supplied" in lower:
        hint = "; give the password in the URL, in PGPASSWORD or in ~/.pgpass"
    return f"cannot connect: {text}{hint}"


@contextmanager
def _boundary(location: DatabaseLocation, what: str) -> Iterator[None]:
    """Whatever fails inside reaches the user as one PostGISError line naming the URL (without password)."""
    try:
        yield
    except NetworkFileError as exc:
        if exc.path == location.shown:
            raise
        raise location.error(exc.problem) from exc
    except GasOpsError:
        raise
    except MemoryError:
        raise
    except (sa.exc.DBAPIError, psycopg.Error) as exc:
        raise location.error(f"{what}: {_server_message(exc)}") from exc
    except Exception as exc:  # Arrow, shapely, pyproj: reported, never shown as a traceback
        raise location.error(f"{what}: {clean_message(exc)}") from exc


def _server_message(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    if diag is not None and diag.message_primary:
        parts = [
            diag.message_primary,
            diag.message_detail or "",
            f"hint: {diag.message_hint}" if diag.message_hint else "",
        ]
        return clean_message(Exception("; ".join(p for p in parts if p)))
    return clean_message(orig)


def _check_database(conn: sa.Connection, location: DatabaseLocation, *, writing: bool) -> None:
    database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is None:
        raise location.error(
            f"database {database!r} has no PostGIS extension; run CREATE EXTENSION postgis; in it "
            "(as its owner or a superuser)"
        )
    if conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": location.schema}).first():
        return
    holding = conn.execute(
        sa.text("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = :t ORDER BY 1"),
        {"t": META_TABLE},
    ).scalars()
    known = ", ".join(holding)
    problem = f"schema {location.schema!r} does not exist in database {database!r}"
    if writing:
        problem += f"; create it first (CREATE SCHEMA {_q(location.schema)};)"
    if known:
        problem += f"; schemas with GasOps networks: {known}"
    raise location.error(problem)


def _tables_in(conn: sa.Connection, schema: str) -> dict[str, str]:
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        ),
        {"s": schema},
    )
    return {str(name): str(kind) for name, kind in rows}


def _replaceable_tables(conn: sa.Connection, location: DatabaseLocation) -> list[str]:
    """The network tables already in the schema, after checking that GasOps wrote them (so they may be replaced)."""
    present = _tables_in(conn, location.schema)
    found = [t for t in _TABLES if t in present]
    if not found:
        return []
    not_tables = [t for t in found if present[t] not in ("r", "p")]
    if not_tables:
        raise location.error(
            f"schema {location.schema!r} has views or foreign tables named {', '.join(not_tables)}; "
            "GasOps replaces only tables it wrote: choose another schema"
        )
    if META_TABLE not in present:
        raise location.error(
            f"schema {location.schema!r} holds tables {', '.join(found)} that GasOps did not write (no {META_TABLE} "
            "table); choose another schema or drop them"
        )
    fmt = _read_meta(conn, location).get("format", "")
    if not fmt.startswith("gasops-"):
        raise location.error(
            f"schema {location.schema!r}: table {META_TABLE!r} is not GasOps metadata (format {fmt!r}); "
            "choose another schema"
        )
    return found


def _srid_for(conn: sa.Connection, epsg: int | None) -> int:
    """The server's SRID for an EPSG code, 0 when there is none (the CRS is then kept as WKT in gasops_meta)."""
    if epsg is None:
        return 0
    srid = conn.execute(
        sa.text(
            "SELECT srid FROM spatial_ref_sys WHERE upper(auth_name) = 'EPSG' AND auth_srid = :c "
            "ORDER BY srid <> :c LIMIT 1"
        ),
        {"c": epsg},
    ).scalar()
    return int(srid) if srid is not None else 0


def _crs_of_srid(conn: sa.Connection, srid: int) -> CRS | None:
    row = conn.execute(
        sa.text("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = :s"), {"s": srid}
    ).first()
    if row is None:
        return None
    auth, code, wkt = row
    if auth and code:
        try:
            return CRS.from_authority(auth, code)
        except Exception:  # an authority pyproj does not know: fall back on the server's WKT
            pass
    return CRS.from_wkt(wkt) if wkt else None


def _check_srids(
    conn: sa.Connection, location: DatabaseLocation, plans: dict[str, _ReadPlan], meta: dict[str, Any]
) -> int:
    """The one SRID of all tables (0 if none); PostGISError when tables disagree or contradict gasops_meta."""
    srids: dict[str, int] = {}
    for layer, plan in plans.items():
        srids[layer] = plan.srid if plan.srid > 0 else _data_srid(conn, location, layer, plan)
    recorded = meta.get("srid", "")
    if recorded.isdigit():
        wrong = {layer: s for layer, s in srids.items() if s != int(recorded)}
        if wrong:
            listing = ", ".join(f"{layer}: {s}" for layer, s in wrong.items())
            crs_name = CRS.from_wkt(meta["crs_wkt"]).name if meta.get("crs_wkt") else "no CRS"
            raise location.error(
                f"SRID mismatch: {META_TABLE} records SRID {recorded} ({crs_name}) but tables have other SRIDs "
                f"({listing}); write the network again or transform the tables (ST_Transform)"
            )
        return int(recorded)
    distinct = {s for s in srids.values() if s}
    if len(distinct) > 1:
        listing = ", ".join(f"{layer}: {s}" for layer, s in srids.items())
        raise location.error(f"SRID mismatch: tables have different SRIDs ({listing}); transform them to one SRID")
    return distinct.pop() if distinct else 0


def _data_srid(conn: sa.Connection, location: DatabaseLocation, layer: str, plan: _ReadPlan) -> int:
    # A geometry column without an SRID in its type may hold any SRIDs: look at the data.
    found = (
        conn.execute(sa.text(f"SELECT DISTINCT ST_SRID({_q(plan.geometry)}) FROM {_q(location.schema, layer)} LIMIT 3"))
        .scalars()
        .all()
    )
    found = sorted({int(s) for s in found if s is not None})
    if len(found) > 1:
        raise location.error(f"SRID mismatch: table {layer!r} mixes geometries with SRIDs {found}")
    return found[0] if found else 0


def _q(*names: str) -> str:
    """A quoted, schema-qualified SQL identifier."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


# -- writing ---------------------------------------------------------------------------------------------------------


def _encode_dtypes(location: DatabaseLocation, frame: gpd.GeoDataFrame, layer: str) -> dict[str, str]:
    try:
        return encode_dtypes(frame, layer)
    except ValueError as exc:
        raise location.error(str(exc)) from None


@dataclass
class _LayerRows:
    """One layer ready to load: its SQL columns, its attribute rows (Arrow) and its geometries."""

    name: str
    geometry_type: str
    columns: list[sa.Column]
    attributes: pa.Table
    geometry: np.ndarray

    @classmethod
    def of(cls, location: DatabaseLocation, layer: str, frame: gpd.GeoDataFrame, dtypes: dict[str, str]) -> _LayerRows:
        spec = LAYERS[layer]
        duplicated = frame["id"].duplicated(keep=False)
        if duplicated.any():
            ids = sorted(set(frame["id"][duplicated].astype(str)))
            raise location.error(
                f"layer {layer!r} has duplicate ids {ids[:5]}: a PostGIS table keys each feature by its id; "
                "make them unique first (gasops info lists them)"
            )
        attributes = text_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
        columns = []
        for name in map(str, attributes.columns):
            if name == GEOMETRY_COLUMN:
                raise location.error(f"layer {layer!r}: column {name!r} is the geometry column's name; rename it")
            if len(name.encode()) > _MAX_IDENTIFIER_BYTES:
                raise location.error(
                    f"layer {layer!r}: column name {name!r} is longer than PostgreSQL's "
                    f"{_MAX_IDENTIFIER_BYTES} bytes; shorten it"
                )
            columns.append(sa.Column(name, _sql_type(spec, name, dtypes), nullable=name != "id"))
        rows = pa.Table.from_pandas(attributes, preserve_index=False)  # NaN becomes NULL, as other GIS tools expect
        geometry = np.asarray(frame.geometry.array, dtype=object)
        return cls(layer, spec.geometry.upper(), columns, rows, geometry)


def _sql_type(spec: LayerSpec, name: str, dtypes: dict[str, str]) -> sa.types.TypeEngine:
    if name == "id":
        return sa.Text()
    code = dtypes.get(name)
    if code is None:  # a schema column
        return {float: sa.Double(), int: sa.BigInteger(), bool: sa.Boolean()}.get(spec.column(name).kind, sa.Text())
    if code in {"bool", "boolean"}:
        return sa.Boolean()
    if _INT_CODE.match(code):
        return sa.BigInteger()
    if "float" in code.lower():
        return sa.Double()
    if code.startswith("datetime64"):
        return sa.TIMESTAMP(timezone="," in code)
    return sa.Text()  # str, category:[…]


@dataclass(frozen=True)
class _Staging:
    """Where a write loads before the swap: tables ``<prefix><layer>`` in the target schema."""

    schema: str
    prefix: str

    def table(self, name: str) -> str:
        return _q(self.schema, self.prefix + name)


def _create_and_load(conn: sa.Connection, stage: _Staging, layers: list[_LayerRows], srid: int) -> None:
    metadata = sa.MetaData(schema=stage.schema)
    for layer in layers:
        geometry = sa.Column(GEOMETRY_COLUMN, Geometry(layer.geometry_type, srid=srid, spatial_index=False))
        sa.Table(stage.prefix + layer.name, metadata, *layer.columns, geometry)
    metadata.create_all(conn)
    raw = conn.connection.driver_connection
    for layer in layers:
        table = stage.table(layer.name)
        _copy_in(raw, table, layer, srid)
        # Key and spatial index after the load: one sort each instead of an index insertion per row. No ANALYZE:
        # autovacuum analyses fresh tables within a minute, and it would add a fifth to the write.
        key, index = _q(stage.prefix + layer.name + "_pkey"), _q(stage.prefix + layer.name + "_geom_idx")
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {key} PRIMARY KEY (id)"))
        conn.execute(sa.text(f"CREATE INDEX {index} ON {table} USING gist ({GEOMETRY_COLUMN})"))


def _copy_in(raw: psycopg.Connection, table: str, layer: _LayerRows, srid: int) -> None:
    rows = layer.attributes.append_column(GEOMETRY_COLUMN, _hex_wkb(layer.geometry, srid))
    names = ", ".join(_q(name) for name in rows.column_names)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")  # text always quoted: "" is not NULL
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        for start in range(0, rows.num_rows, _COPY_BATCH_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(rows.slice(start, _COPY_BATCH_ROWS), sink, options)
            copy.write(memoryview(sink.getvalue()))


def _hex_wkb(geometry: np.ndarray, srid: int) -> pa.Array:
    """Geometries as PostGIS reads them in text: hex WKB, prefixed ``SRID=n;`` when there is an SRID; None is NULL.

    GEOS writes binary WKB three times faster than hex, and one ``hexlify`` of the whole buffer costs next to
    nothing: so binary WKB into one Arrow array, then its data buffer hexlified at once.
    """
    wkb = pa.array(shapely.to_wkb(geometry), type=pa.large_binary())
    validity, offsets, data = wkb.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64, count=len(wkb) + 1)
    hexed = binascii.hexlify(memoryview(data)[offsets[0] : offsets[-1]]) if data is not None else b""
    text = pa.Array.from_buffers(
        pa.large_string(), len(wkb), [validity, pa.py_buffer((offsets - offsets[0]) * 2), pa.py_buffer(hexed)]
    )
    if not srid:
        return text
    return pc.binary_join_element_wise(
        pa.scalar(f"SRID={srid};", pa.large_string()), text, pa.scalar("", pa.large_string())
    )


def _from_hex_wkb(column: pa.ChunkedArray) -> np.ndarray:
    """The inverse of :func:`_hex_wkb` (without the prefix): shapely geometries, NULL as None."""
    parts = []
    for chunk in column.chunks:
        chunk = pa.concat_arrays([chunk.cast(pa.large_string())])  # offset 0, 64-bit offsets
        validity, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, dtype=np.int64, count=len(chunk) + 1)
        raw = binascii.unhexlify(memoryview(data)[offsets[0] : offsets[-1]]) if data is not None else b""
        binary = pa.Array.from_buffers(
            pa.large_binary(), len(chunk), [validity, pa.py_buffer((offsets - offsets[0]) // 2), pa.py_buffer(raw)]
        )
        parts.append(shapely.from_wkb(binary.to_numpy(zero_copy_only=False)))
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _write_meta(conn: sa.Connection, stage: _Staging, meta: dict[str, str]) -> None:
    table = sa.Table(
        stage.prefix + META_TABLE,
        sa.MetaData(schema=stage.schema),
        sa.Column("key", sa.Text),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name=f"{stage.prefix}{META_TABLE}_pkey"),
    )
    table.create(conn)
    conn.execute(table.insert(), [{"key": k, "value": v} for k, v in meta.items()])


def _swap_in(conn: sa.Connection, stage: _Staging, existing: list[str]) -> None:
    """Drop the previous tables and give the staging tables, their keys and indexes the final names."""
    if existing:
        old = ", ".join(_q(stage.schema, t) for t in existing)
        conn.execute(sa.text(f"LOCK TABLE {old} IN ACCESS EXCLUSIVE MODE"))
        conn.execute(sa.text(f"DROP TABLE {old}"))
    for name in _TABLES:
        conn.execute(sa.text(f"ALTER TABLE {stage.table(name)} RENAME TO {_q(name)}"))
        final = _q(stage.schema, name)
        conn.execute(
            sa.text(
                f"ALTER TABLE {final} RENAME CONSTRAINT {_q(stage.prefix + name + '_pkey')} TO {_q(name + '_pkey')}"
            )
        )
        if name != META_TABLE:
            index = _q(stage.schema, stage.prefix + name + "_geom_idx")
            conn.execute(sa.text(f"ALTER INDEX {index} RENAME TO {_q(name + '_geom_idx')}"))


# -- reading ---------------------------------------------------------------------------------------------------------


def _read_meta(conn: sa.Connection, location: DatabaseLocation) -> dict[str, Any]:
    columns = {c["name"] for c in sa.inspect(conn).get_columns(META_TABLE, schema=location.schema)}
    if not {"key", "value"} <= columns:
        raise location.error(f"table {META_TABLE!r} lacks its 'key'/'value' columns")
    rows = conn.execute(sa.text(f"SELECT key, value FROM {_q(location.schema, META_TABLE)}"))
    meta: dict[str, Any] = {str(k): "" if v is None else str(v) for k, v in rows}
    try:
        meta["dtypes"] = json.loads(meta.get("dtypes") or "{}")
    except json.JSONDecodeError:
        raise location.error(f"table {META_TABLE!r}: 'dtypes' is not JSON") from None
    return meta


_TEXT_KINDS = (sa.String,)
_NUMBER_KINDS = (sa.Integer, sa.Numeric)


@dataclass
class _ReadPlan:
    """How to read one table: the SELECT list, the Arrow type of each column, and its geometry column and SRID."""

    schema: str
    layer: str
    names: list[str]
    selects: list[str]
    types: dict[str, pa.DataType]
    utc: list[str]
    geometry: str
    srid: int

    @classmethod
    def of(cls, location: DatabaseLocation, layer: str, columns: list[dict[str, Any]]) -> _ReadPlan:
        spec = LAYERS[layer]
        where = f"table {location.schema}.{layer}"
        by_name = {c["name"]: c for c in columns}
        if "id" not in by_name:
            raise location.error(f"{where} has no 'id' column; GasOps tables name each feature by a text id")
        geometries = [c for c in columns if isinstance(c["type"], Geometry)]
        if not geometries:
            raise location.error(f"{where} has no geometry column")
        geom = by_name.get(GEOMETRY_COLUMN) if GEOMETRY_COLUMN in by_name else geometries[0]
        gtype = (getattr(geom["type"], "geometry_type", None) or "GEOMETRY").upper()
        expected = spec.geometry.upper()
        if gtype not in {expected, f"MULTI{expected}", "GEOMETRY"}:
            raise location.error(f"{where} holds {gtype} geometries; GasOps {layer} are {spec.geometry}s")
        missing = [c.name for c in spec.columns if c.required and c.name not in by_name]
        if missing:
            raise location.error(f"{where} lacks required column(s) {', '.join(missing)} (it has {', '.join(by_name)})")
        for col in spec.columns:
            found = by_name.get(col.name)
            if found is not None and not _fits(col.kind, found["type"]):
                raise location.error(
                    f"{where}: column {col.name!r} is {found['type']}, GasOps expects {_kind_name(col.kind)}"
                )
        plan = cls(location.schema, layer, [], [], {}, [], geom["name"], _srid_of(geom["type"]))
        for column in columns:
            if column["name"] == REVISION_COLUMN:
                continue  # the row version belongs to the database, not to the network
            if isinstance(column["type"], Geometry):
                continue  # other geometry columns (a label point …) are not part of the network
            plan._add(column["name"], column["type"])
        plan.names.append("geometry")
        plan.selects.append(f"encode(ST_AsBinary({_q(plan.geometry)}), 'hex')")
        plan.types["geometry"] = pa.string()
        return plan

    def _add(self, name: str, sql_type: sa.types.TypeEngine) -> None:
        quoted = _q(name)
        if name == "id" or isinstance(sql_type, _TEXT_KINDS):
            select, arrow = (quoted if isinstance(sql_type, _TEXT_KINDS) else f"{quoted}::text"), pa.string()
        elif isinstance(sql_type, sa.Boolean):
            select, arrow = quoted, pa.bool_()
        elif isinstance(sql_type, sa.Integer):
            select, arrow = quoted, pa.int64()
        elif isinstance(sql_type, sa.Numeric):
            select, arrow = f"{quoted}::double precision", pa.float64()
        elif isinstance(sql_type, sa.DateTime):
            if getattr(sql_type, "timezone", False):
                select = f"({quoted} AT TIME ZONE 'UTC')"
                self.utc.append(name)
            else:
                select = quoted
            arrow = pa.timestamp("us")
        elif isinstance(sql_type, sa.Date):
            select, arrow = f"{quoted}::timestamp", pa.timestamp("us")
        else:  # json, uuid, arrays …: kept as their text
            select, arrow = f"{quoted}::text", pa.string()
        self.names.append(name)
        self.selects.append(select)
        self.types[name] = arrow

    def read(self, raw: psycopg.Connection) -> gpd.GeoDataFrame:
        """COPY the table out and parse it: Arrow's CSV reader for the attributes, shapely for the WKB."""
        buffer = io.BytesIO()
        sql = f"COPY (SELECT {', '.join(self.selects)} FROM {_q(self.schema, self.layer)}) TO STDOUT WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell():
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(buffer.getbuffer())),
                read_options=pacsv.ReadOptions(column_names=self.names, block_size=16 << 20),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=self.types,
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,  # "" is an empty text, an unquoted empty field NULL
                    true_values=["t"],
                    false_values=["f"],
                ),
            )
        else:
            table = pa.table({n: pa.array([], type=t) for n, t in self.types.items()})
        del buffer
        geometry = _from_hex_wkb(table.column("geometry"))
        frame = table.drop_columns(["geometry"]).to_pandas()
        del table
        for name in self.utc:
            frame[name] = frame[name].dt.tz_localize("UTC")
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry))


def _srid_of(sql_type: Any) -> int:
    srid = getattr(sql_type, "srid", 0)
    return int(srid) if srid and int(srid) > 0 else 0


def _fits(kind: type, sql_type: sa.types.TypeEngine) -> bool:
    if kind in (float, int):
        return isinstance(sql_type, _NUMBER_KINDS)
    if kind is bool:
        return isinstance(sql_type, sa.Boolean)
    return isinstance(sql_type, _TEXT_KINDS)  # text and code lists


def _kind_name(kind: type) -> str:
    if kind is float:
        return "a number (double precision)"
    if kind is int:
        return "an integer (bigint)"
    if kind is bool:
        return "a boolean"
    return "text"


# -- per-feature commit ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitResult:
    """What a per-feature commit did: rows inserted, updated and deleted, and the new row versions by feature id."""

    inserted: int
    updated: int
    deleted: int
    revisions: dict[str, int]


def commit_changes(url: str, changes: list[Any]) -> CommitResult:
    """Commit feature changes (:class:`console.network.FeatureChange`) to the network in a PostGIS schema, in place.

    Only the rows the change set touches are locked, checked and written, in one transaction, so several planners
    commit to one network without rewriting it (a whole-network write is ``write_postgis``). Concurrency is
    optimistic, feature by feature: each changed or deleted row must still hold the change set's *before* values
    (the common ancestor) for the columns it changes, and an added id must be free. Every conflict — update-update,
    update-delete, insert-insert — is collected with its three versions, and a
    :class:`console.network.ChangeConflict` is raised with them in ``details`` (``feature_id``, ``layer``, ``kind``,
    ``ancestor``, ``branch``, ``master``); nothing is written then. Each written row's ``gasops_rev`` goes up by one.
    """
    from console.network import ChangeConflict

    location = parse_location(url)
    with _boundary(location, "cannot commit"):
        by_layer: dict[str, list[Any]] = {}
        for c in changes:
            by_layer.setdefault(c.layer, []).append(c)
        with _connect(location) as conn, conn.begin():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"gasops:{location.schema}"})
            _check_database(conn, location, writing=True)
            present = _tables_in(conn, location.schema)
            meta = _read_meta(conn, location) if META_TABLE in present else {}
            srid = int(meta.get("srid") or 0)
            missing = [layer for layer in by_layer if layer not in present]
            if missing:
                raise location.error(f"no table for layer(s) {', '.join(missing)}; write the whole network first")
            conflicts: list[dict[str, Any]] = []
            current: dict[str, dict[str, dict[str, Any]]] = {}
            for layer in LAYERS:  # the one lock order
                if layer not in by_layer:
                    continue
                table = _q(location.schema, layer)
                conn.execute(
                    sa.text(
                        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {_q(REVISION_COLUMN)} bigint NOT NULL DEFAULT 0"
                    )
                )
                columns = [c["name"] for c in sa.inspect(conn).get_columns(layer, schema=location.schema)]
                attrs = [c for c in columns if c not in (GEOMETRY_COLUMN, REVISION_COLUMN)]
                select = ", ".join(
                    [*(_q(c) for c in attrs), f"encode(ST_AsBinary({_q(GEOMETRY_COLUMN)}), 'hex')", _q(REVISION_COLUMN)]
                )
                ids = [c.feature_id for c in by_layer[layer]]
                rows = conn.execute(
                    sa.text(f"SELECT {select} FROM {table} WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"), {"ids": ids}
                ).all()
                found = {}
                for row in rows:
                    values = dict(zip([*attrs, "geometry", REVISION_COLUMN], row, strict=True))
                    found[str(values["id"])] = values
                current[layer] = found
                for c in by_layer[layer]:
                    master = found.get(c.feature_id)
                    kind = _conflict_kind(c, master)
                    if kind:
                        conflicts.append({"feature_id": c.feature_id, "layer": layer, "kind": kind, "ancestor": c.before,
                                          "branch": c.after, "master": _shown(master)})  # fmt: skip
                unknown = sorted({k for c in by_layer[layer] for k in c.after} - set(attrs) - {"geometry"})
                if unknown:
                    raise location.error(f"table {location.schema}.{layer} has no column(s) {', '.join(unknown)}")
            if conflicts:
                first = conflicts[0]
                more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
                error = ChangeConflict(
                    f"{first['layer'][:-1].replace('_', ' ')} {first['feature_id']}: {first['kind']} conflict — "
                    f"the master was changed since the change set's base{more}; nothing was committed",
                    first["feature_id"], first["ancestor"] or None, first["master"], len(conflicts),
                )  # fmt: skip
                error.details = conflicts
                raise error
            inserted = updated = deleted = 0
            revisions: dict[str, int] = {}
            geom_sql = (
                f"ST_GeomFromWKB(decode(:geometry, 'hex'), {srid})"
                if srid
                else "ST_GeomFromWKB(decode(:geometry, 'hex'))"
            )
            for layer in LAYERS:
                if layer not in by_layer:
                    continue
                table = _q(location.schema, layer)
                todo = by_layer[layer]
                gone = [c.feature_id for c in todo if c.op == "delete"]
                if gone:
                    deleted += conn.execute(
                        sa.text(f"DELETE FROM {table} WHERE id = ANY(:ids)"), {"ids": gone}
                    ).rowcount
                groups: dict[tuple[str, ...], list[Any]] = {}
                for c in todo:
                    if c.op == "change":
                        groups.setdefault(tuple(sorted(c.after)), []).append(c)
                for cols, group in groups.items():
                    sets = [f"{_q(k)} = {geom_sql if k == 'geometry' else ':' + _param(k)}" for k in cols]
                    sets = [
                        s.replace(_q("geometry"), _q(GEOMETRY_COLUMN), 1) if s.startswith(_q("geometry")) else s
                        for s in sets
                    ]
                    sql = (f"UPDATE {table} SET {', '.join(sets)}, {_q(REVISION_COLUMN)} = {_q(REVISION_COLUMN)} + 1 "
                           f"WHERE id = :fid")  # fmt: skip
                    conn.execute(sa.text(sql), [{"fid": c.feature_id, **_params(c.after)} for c in group])
                    updated += len(group)
                adds = [c for c in todo if c.op == "add"]
                add_groups: dict[tuple[str, ...], list[Any]] = {}
                for c in adds:
                    add_groups.setdefault(tuple(sorted(c.after)), []).append(c)
                for cols, group in add_groups.items():
                    names = [GEOMETRY_COLUMN if k == "geometry" else k for k in cols]
                    values = [geom_sql if k == "geometry" else ":" + _param(k) for k in cols]
                    sql = f"INSERT INTO {table} ({', '.join(map(_q, names))}) VALUES ({', '.join(values)})"
                    conn.execute(sa.text(sql), [_params(c.after) for c in group])
                    inserted += len(group)
                touched = [c.feature_id for c in todo if c.op != "delete"]
                if touched:
                    for fid, rev in conn.execute(
                        sa.text(f"SELECT id, {_q(REVISION_COLUMN)} FROM {table} WHERE id = ANY(:ids)"), {"ids": touched}
                    ):
                        revisions[str(fid)] = int(rev)
    return CommitResult(inserted, updated, deleted, revisions)


def _param(column: str) -> str:
    """A bind-parameter name for any column name (utility columns may hold spaces or dots)."""
    return "c_" + binascii.hexlify(column.encode()).decode()


def _params(values: dict[str, Any]) -> dict[str, Any]:
    return {("geometry" if k == "geometry" else _param(k)): v for k, v in values.items()}


def _same_value(a: Any, b: Any, column: str) -> bool:
    if column == "geometry":
        if a is None or b is None:
            return a is b
        return shapely.from_wkb(a).equals_exact(shapely.from_wkb(b), 0.0)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return a == b


def _conflict_kind(change: Any, master: dict[str, Any] | None) -> str:
    if change.op == "add":
        return "insert-insert" if master is not None else ""
    if master is None:
        return "update-delete" if change.op == "change" else "delete-delete"
    for column, base in change.before.items():
        if column in master and not _same_value(base, master[column], column):
            return "update-update" if change.op == "change" else "delete-update"
    return ""


def _shown(master: dict[str, Any] | None) -> dict[str, Any] | None:
    if master is None:
        return None
    out = {}
    for k, v in master.items():
        if isinstance(v, (np.generic,)):
            v = v.item()
        out[k] = v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
    return out
