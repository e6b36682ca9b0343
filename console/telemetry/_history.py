"""Reading history and alarm events in the workspace's ``console.db`` (SQLite through SQLAlchemy 2, WAL mode).

Tables (prefixed ``telemetry_`` because other features share the file):

* ``telemetry_sensors`` — a small integer key per sensor id;
* ``telemetry_blocks`` — readings in blocks: one row per sensor and flush holding the times and values as float64
  arrays (``t``/``v`` BLOBs) with ``t_first``/``t_last``; the primary key (sensor_key, t_first) clusters each
  sensor's history, so 24 h of one sensor is a few thousand rows read in order. Row-per-reading tables managed only
  30–50 k inserts/s on the target machine; blocks take more than 100 k readings/s.
* ``telemetry_agg_1m`` / ``telemetry_agg_15m`` — count, sum, min and max per sensor and 1-minute / 15-minute bucket,
  upserted at every flush (mean = sum / count) for long windows;
* ``telemetry_alarm_events`` — every alarm state change and comment.

* ``telemetry_journal`` — the write-ahead journal of buffered readings (one row per :meth:`HistoryStore.commit`:
  the keys, times and values of the readings buffered since, as arrays).

Readings are buffered in memory and written as blocks every ``flush_interval_s`` (or ``flush_readings`` readings, or on
:meth:`HistoryStore.flush`/``close``); queries merge the buffer, so callers never see the difference. Blocks of one
flush hold about one reading per sensor at 1 Hz, so flushing often would write a row per reading; durability comes
from the journal instead: :meth:`HistoryStore.commit` appends what was buffered since the last commit as one row, in
one transaction, and a flush deletes the journal in the transaction that writes the blocks. Opening the store takes
the journal back into the buffer, so a console killed with ``kill -9`` loses nothing that was committed (the MQTT feed
acknowledges a message only then). Alarm events are written at once. Every write is one SQLite transaction.

Late readings (backfill) make blocks whose times overlap older blocks of the same sensor; queries sort by time.

**A shared historian.** Given a ``postgresql://user@host/db?schema=NAME`` URL instead of a file, the same tables live
in PostgreSQL (psycopg 3; passwords from the URL, ``PGPASSWORD`` or ``~/.pgpass``), so the consoles of one control
room share one history. There ``telemetry_blocks`` is partitioned by time (``PARTITION BY RANGE (t_first)``, one
partition per calendar month, created as readings for it arrive); each console journals under its own ``owner`` and
takes back only its own journal after a crash; and since every console of the room ingests the same feed, a flush
takes a transaction-scoped advisory lock and writes only the readings no console stored yet (aggregates count each
reading once), and an alarm event already stored by another console is not stored again.
"""

from __future__ import annotations

import getpass
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from console.telemetry._sensors import KINDS, SensorTable
from console.telemetry._types import (
    AlarmEvent,
    AlarmEventKind,
    AlarmRecord,
    AlarmState,
    Condition,
    HistoryError,
    Priority,
    ReadingBatch,
)

__all__ = ["History", "HistoryStore", "RESOLUTIONS"]

SCHEMA_VERSION = "1"
RESOLUTIONS = {"raw": 0.0, "1m": 60.0, "15m": 900.0}
# "auto" picks raw readings up to this window, then 1-minute buckets, then 15-minute buckets.
AUTO_RAW_MAX_S = 2 * 86400.0
AUTO_1M_MAX_S = 31 * 86400.0

metadata = MetaData()
sensors_table = Table(
    "telemetry_sensors",
    metadata,
    Column("key", Integer, primary_key=True),
    Column("sensor_id", String, nullable=False, unique=True),
    Column("kind", String, nullable=False, default=""),
    Column("unit", String, nullable=False, default=""),
)
blocks_table = Table(
    "telemetry_blocks",
    metadata,
    Column("sensor_key", Integer, primary_key=True),
    Column("t_first", Float, primary_key=True),
    Column("t_last", Float, nullable=False),
    Column("n", Integer, nullable=False),
    Column("t", LargeBinary, nullable=False),
    Column("v", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)


def _agg_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("sensor_key", Integer, primary_key=True),
        Column("bucket_t", Float, primary_key=True),
        Column("n", Integer, nullable=False),
        Column("sum", Float, nullable=False),
        Column("min", Float, nullable=False),
        Column("max", Float, nullable=False),
        sqlite_with_rowid=False,
    )


agg_tables = {"1m": _agg_table("telemetry_agg_1m"), "15m": _agg_table("telemetry_agg_15m")}
events_table = Table(
    "telemetry_alarm_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("t", Float, nullable=False),
    Column("sensor_id", String, nullable=False),
    Column("feature_id", String, nullable=False, default=""),
    Column("condition", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("state", String, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("value", Float),
    Column("limit_value", Float),
    Column("user", String, nullable=False, default=""),
    Column("comment", String, nullable=False, default=""),
    Index("ix_telemetry_alarm_events_t", "t"),
    Index("ix_telemetry_alarm_events_alarm", "sensor_id", "condition", "id"),
)
journal_table = Table(
    "telemetry_journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("n", Integer, nullable=False),
    Column("k", LargeBinary, nullable=False),
    Column("t", LargeBinary, nullable=False),
    Column("v", LargeBinary, nullable=False),
)
meta_table = Table(
    "telemetry_meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across application crashes
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@dataclass(frozen=True, eq=False)
class History:
    """A sensor's readings over a window: raw readings, or buckets (``t`` = bucket start, ``value`` = mean)."""

    sensor_id: str
    resolution: str
    t: np.ndarray
    value: np.ndarray
    min: np.ndarray
    max: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


class HistoryStore:
    """The telemetry tables of one ``console.db``, or of a shared PostgreSQL historian.

    Parameters
    ----------
    path
        The database file (created if missing), or a ``postgresql://`` URL (``?schema=NAME``, default ``public``).
    flush_interval_s, flush_readings
        Flush the reading buffer when it is this old (wall-clock seconds) or holds this many readings.
    owner
        PostgreSQL only: whose journal this console writes and recovers (default ``<host>/<user>``; consoles that
        share a host and user and run at the same time need their own).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        flush_interval_s: float = 30.0,
        flush_readings: int = 500_000,
        owner: str | None = None,
    ) -> None:
        from console.io import is_database_url, redact_url

        self.shared = is_database_url(str(path))
        self.path = redact_url(str(path)) if self.shared else Path(path)
        self.owner = owner or f"{socket.gethostname()}/{_user()}"
        self.flush_interval_s = float(flush_interval_s)
        self.flush_readings = int(flush_readings)
        self._lock = threading.RLock()
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_n = 0
        self._pending_cat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._pending_since = time.monotonic()
        self._journaled = 0  # parts of _pending already in the journal
        self._key_of_row = np.empty(0, np.int64)
        self._key_of_id: dict[str, int] = {}
        self._sql = _SQL_PG if self.shared else _SQL_SQLITE
        self._partitions: set[int] = set()
        try:
            if self.shared:
                self._engine = _pg_engine(str(path), self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._engine = create_engine(f"sqlite:///{self.path}")
                event.listen(self._engine, "connect", _pragmas)
            with self._engine.begin() as conn:
                if self.shared:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_DDL})
                    for ddl in _PG_DDL:
                        conn.exec_driver_sql(ddl)
                metadata.create_all(conn)
                version = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema_version")).scalar()
                if version is None:
                    conn.execute(meta_table.insert().values(key="schema_version", value=SCHEMA_VERSION))
                elif version != SCHEMA_VERSION:
                    raise HistoryError(
                        f"{self.path}: telemetry tables are schema version {version}; this console reads {SCHEMA_VERSION}"
                    )
                self._load_keys(conn)
                self._recover(conn)
        except SQLAlchemyError as exc:
            raise HistoryError(f"{self.path}: cannot open the history database ({_scrub(exc, path)})") from None
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot open the history database ({exc})") from None

    def _recover(self, conn) -> None:
        """Take the journal (readings committed but not yet written as blocks) back into the buffer."""
        for n, k, t, v in conn.exec_driver_sql(self._sql["journal_rows"], self._owner_args()).all():
            parts = (np.frombuffer(k, np.int64), np.frombuffer(t, np.float64), np.frombuffer(v, np.float64))
            if not all(len(p) == n for p in parts):
                raise HistoryError(f"{self.path}: the reading journal is damaged (a row of {n} readings is not)")
            self._pending.append(parts)
            self._pending_n += n
        self._journaled = len(self._pending)

    def _load_keys(self, conn) -> None:
        rows = conn.execute(select(sensors_table.c.sensor_id, sensors_table.c.key)).all()
        self._key_of_id = {sid: key for sid, key in rows}

    # -- sensors ---------------------------------------------------------------------------------------------------
    def bind_sensors(self, sensors: SensorTable) -> None:
        """Register the network's sensors (new ids get keys) and map sensor rows to keys for :meth:`append`."""
        with self._lock:
            new = [sid for sid in sensors.ids.tolist() if sid not in self._key_of_id]
            if new:
                rows = sensors.rows_of(new)
                values = [
                    {"sensor_id": sid, "kind": KINDS[int(sensors.kind[r])].value, "unit": str(sensors.unit[r])}
                    for sid, r in zip(new, rows.tolist(), strict=True)
                ]
                insert = pg_insert if self.shared else sqlite_insert
                with self._engine.begin() as conn:
                    conn.execute(insert(sensors_table).on_conflict_do_nothing(), values)
                    self._load_keys(conn)
            self._key_of_row = np.array([self._key_of_id[s] for s in sensors.ids.tolist()], dtype=np.int64)

    def sensor_ids(self) -> list[str]:
        return sorted(self._key_of_id)

    def newest_times(self) -> dict[str, float]:
        """Time of the newest stored reading per sensor id (flushed and buffered)."""
        with self._lock, self._engine.connect() as conn:
            rows = conn.execute(
                select(blocks_table.c.sensor_key, func.max(blocks_table.c.t_last)).group_by(blocks_table.c.sensor_key)
            ).all()
            newest = {k: t for k, t in rows}
            keys, t, _ = self._pending_arrays()
        if len(keys):
            uk = np.unique(keys)
            mx = np.full(len(uk), -np.inf)
            np.maximum.at(mx, np.searchsorted(uk, keys), t)
            for k, m in zip(uk.tolist(), mx.tolist(), strict=True):
                newest[k] = max(newest.get(k, -np.inf), m)
        id_of_key = {k: s for s, k in self._key_of_id.items()}
        return {id_of_key[k]: float(t) for k, t in newest.items() if k in id_of_key}

    # -- writing ---------------------------------------------------------------------------------------------------
    def append(self, batch: ReadingBatch) -> None:
        """Buffer accepted readings (rows of the bound sensor table); flushes when the buffer is full or old."""
        if not len(batch):
            return
        with self._lock:
            if len(self._key_of_row) == 0:
                raise HistoryError(f"{self.path}: bind_sensors() before appending readings")
            self._pending.append((self._key_of_row[batch.rows], batch.t.copy(), batch.value.copy()))
            self._pending_n += len(batch)
            self._pending_cat = None
            if self._pending_n >= self.flush_readings:
                self.flush()

    def maybe_flush(self) -> bool:
        """Flush if the buffer is older than ``flush_interval_s``; returns whether it flushed."""
        with self._lock:
            if self._pending_n and time.monotonic() - self._pending_since >= self.flush_interval_s:
                self.flush()
                return True
        return False

    def flush(self) -> int:
        """Write the buffered readings as blocks and aggregates in one transaction; returns how many."""
        with self._lock:
            keys, t, v = self._pending_arrays()
            n = len(keys)
            self._pending_since = time.monotonic()
            if not n:
                return 0
            order = np.lexsort((t, keys))
            k, tt, vv = keys[order], t[order], v[order]
            try:
                with self._engine.begin() as conn:
                    if self.shared:  # one writer at a time; what another console stored already is left out
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_FLUSH})
                        k, tt, vv = self._not_stored(conn, k, tt, vv)
                    if len(k):
                        blocks = _blocks(k, tt, vv)
                        if self.shared:
                            self._ensure_partitions(conn, [b[1] for b in blocks])
                        conn.exec_driver_sql(self._sql["insert_blocks"], blocks)
                        for name in agg_tables:
                            conn.exec_driver_sql(
                                self._sql[f"upsert_{name}"], _aggregate_tuples(k, tt, vv, RESOLUTIONS[name])
                            )
                    conn.exec_driver_sql(self._sql["journal_clear"], self._owner_args())
            except SQLAlchemyError as exc:
                raise HistoryError(f"{self.path}: cannot write readings ({_scrub(exc)})") from None
            self._pending.clear()
            self._pending_n = 0
            self._pending_cat = None
            self._journaled = 0
            return n

    def commit(self) -> int:
        """Make the readings buffered since the last commit durable (one journal row, one transaction); returns
        how many. After it returns, a crash of the console loses none of them."""
        with self._lock:
            parts = self._pending[self._journaled :]
            if not parts:
                return 0
            k, t, v = (np.concatenate(c) for c in zip(*parts, strict=True))
            try:
                with self._engine.begin() as conn:
                    conn.exec_driver_sql(
                        self._sql["journal_add"],
                        (*self._owner_args(), len(k), k.astype(np.int64).tobytes(), t.tobytes(), v.tobytes()),
                    )
            except SQLAlchemyError as exc:
                raise HistoryError(f"{self.path}: cannot write readings ({_scrub(exc)})") from None
            self._journaled = len(self._pending)
            return len(k)

    def contains(self, batch: ReadingBatch) -> np.ndarray:
        """Whether each reading (row, time) of ``batch`` is already stored or buffered (bool per reading).

        Meant for the few late readings of a batch: one query per sensor among them."""
        out = np.zeros(len(batch), bool)
        if not len(batch):
            return out
        with self._lock:
            keys = self._key_of_row[batch.rows]
            pk, pt, _ = self._pending_arrays()
            if len(pk):
                out |= pd.MultiIndex.from_arrays([keys, batch.t]).isin(pd.MultiIndex.from_arrays([pk, pt]))
            b = blocks_table.c
            with self._engine.connect() as conn:
                for key in np.unique(keys).tolist():
                    mine = keys == key
                    tm = batch.t[mine]
                    rows = conn.execute(
                        select(b.t).where(b.sensor_key == key, b.t_first <= tm.max(), b.t_last >= tm.min())
                    ).all()
                    if rows:
                        stored = np.frombuffer(b"".join(r[0] for r in rows), np.float64)
                        out[mine] |= np.isin(tm, stored)
        return out

    def append_events(self, events: Iterable[AlarmEvent]) -> None:
        """Store alarm events at once (one transaction)."""
        rows = [
            {
                "t": e.t,
                "sensor_id": e.sensor_id,
                "feature_id": e.feature_id,
                "condition": e.condition.value,
                "kind": e.kind.value,
                "state": e.state.value,
                "priority": int(e.priority),
                "value": e.value if np.isfinite(e.value) else None,
                "limit_value": e.limit if np.isfinite(e.limit) else None,
                "user": e.user,
                "comment": e.comment,
            }
            for e in events
        ]
        if not rows:
            return
        with self._lock:
            try:
                with self._engine.begin() as conn:
                    if self.shared:  # the same evaluation by another console of the room is stored once
                        conn.execute(pg_insert(events_table).on_conflict_do_nothing(), rows)
                    else:
                        conn.execute(events_table.insert(), rows)
            except SQLAlchemyError as exc:
                raise HistoryError(f"{self.path}: cannot write alarm events ({_scrub(exc)})") from None

    def close(self) -> None:
        """Flush and release the database."""
        with self._lock:
            self.flush()
            self._engine.dispose()

    # -- the shared (PostgreSQL) historian -----------------------------------------------------------------------
    def _owner_args(self) -> tuple:
        return (self.owner,) if self.shared else ()

    def _not_stored(self, conn, k: np.ndarray, tt: np.ndarray, vv: np.ndarray):
        """The readings (sorted by key, time) that no console has stored yet."""
        rows = conn.exec_driver_sql(
            "SELECT sensor_key, t FROM telemetry_blocks WHERE sensor_key = ANY(%s) AND t_last >= %s AND t_first <= %s",
            (np.unique(k).tolist(), float(tt.min()), float(tt.max())),
        ).all()
        if not rows:
            return k, tt, vv
        sk = np.concatenate([np.full(len(r[1]) // 8, r[0], np.int64) for r in rows])
        st = np.frombuffer(b"".join(bytes(r[1]) for r in rows), np.float64)
        fresh = ~pd.MultiIndex.from_arrays([k, tt]).isin(pd.MultiIndex.from_arrays([sk, st]))
        return k[fresh], tt[fresh], vv[fresh]

    def _ensure_partitions(self, conn, t_first: list[float]) -> None:
        """One partition of ``telemetry_blocks`` per calendar month (UTC) of the blocks about to be written."""
        for month in sorted({_month_start(t) for t in t_first} - self._partitions):
            start = datetime.fromtimestamp(month, UTC)
            end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC).timestamp()
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS telemetry_blocks_{start:%Y%m} PARTITION OF telemetry_blocks "
                f"FOR VALUES FROM ({month!r}) TO ({end!r})"
            )
            self._partitions.add(month)

    def partitions(self) -> list[str]:
        """PostgreSQL: the partitions of ``telemetry_blocks`` (empty for SQLite)."""
        if not self.shared:
            return []
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_blocks' "
                "AND p.relnamespace = to_regnamespace(current_schema())::oid ORDER BY 1"
            ).all()
        return [r[0] for r in rows]

    def _pending_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._pending_cat is None:
            if self._pending:
                self._pending_cat = tuple(np.concatenate(parts) for parts in zip(*self._pending, strict=True))
            else:
                self._pending_cat = (np.empty(0, np.int64), np.empty(0), np.empty(0))
        return self._pending_cat

    # -- reading ---------------------------------------------------------------------------------------------------
    def readings(self, sensor_id: str, start_t: float, end_t: float, resolution: str = "auto") -> History:
        """Readings of one sensor with ``start_t <= t < end_t``: ``raw``, ``1m`` or ``15m`` buckets, or ``auto``
        (raw up to 2 days, 1-minute buckets up to 31 days, else 15-minute buckets)."""
        if resolution == "auto":
            span = end_t - start_t
            resolution = "raw" if span <= AUTO_RAW_MAX_S else "1m" if span <= AUTO_1M_MAX_S else "15m"
        if resolution not in RESOLUTIONS:
            raise HistoryError(f"resolution {resolution!r}: use auto, {', '.join(RESOLUTIONS)}")
        key = self._key_of_id.get(sensor_id)
        if key is None:
            raise HistoryError(f"{self.path}: no history for sensor {sensor_id!r}")
        # Under the lock: a flush between reading the buffer and the tables would count its readings twice.
        with self._lock, self._engine.connect() as conn:
            pk, pt, pv = self._pending_arrays()
            mine = (pk == key) & (pt >= start_t) & (pt < end_t)
            bt, bv = pt[mine], pv[mine]
            if resolution == "raw":
                return self._raw(conn, sensor_id, key, start_t, end_t, bt, bv)
            return self._buckets(conn, sensor_id, key, start_t, end_t, resolution, bt, bv)

    def _raw(self, conn, sensor_id, key, start_t, end_t, bt, bv) -> History:
        b = blocks_table.c
        rows = conn.execute(
            select(b.t, b.v).where(b.sensor_key == key, b.t_first < end_t, b.t_last >= start_t).order_by(b.t_first)
        ).all()
        t = np.concatenate([np.frombuffer(b"".join(r[0] for r in rows), np.float64), bt])
        v = np.concatenate([np.frombuffer(b"".join(r[1] for r in rows), np.float64), bv])
        keep = (t >= start_t) & (t < end_t)
        t, v = t[keep], v[keep]
        if len(t) > 1 and (np.diff(t) < 0).any():  # backfilled blocks overlap older ones
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        return History(sensor_id, "raw", t, v, v, v, np.ones(len(t), np.int64))

    def _buckets(self, conn, sensor_id, key, start_t, end_t, resolution, bt, bv) -> History:
        width = RESOLUTIONS[resolution]
        a = agg_tables[resolution].c
        first_bucket = np.floor(start_t / width) * width
        rows = conn.execute(
            select(a.bucket_t, a.n, a.sum, a.min, a.max)
            .where(a.sensor_key == key, a.bucket_t >= first_bucket, a.bucket_t < end_t)
            .order_by(a.bucket_t)
        ).all()
        db = np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 5)  # Row objects confuse numpy (slow)
        mem = _aggregate_arrays(np.zeros(len(bt), np.int64), bt, bv, width)
        both = np.vstack([db, np.column_stack([mem[1], mem[2], mem[3], mem[4], mem[5]])])
        if len(both) and len(mem[1]):  # a bucket may be partly flushed and partly buffered: combine
            order = np.argsort(both[:, 0], kind="stable")
            both = both[order]
            starts = np.flatnonzero(np.r_[True, both[1:, 0] != both[:-1, 0]])
            both = np.column_stack(
                [
                    both[starts, 0],
                    np.add.reduceat(both[:, 1], starts),
                    np.add.reduceat(both[:, 2], starts),
                    np.minimum.reduceat(both[:, 3], starts),
                    np.maximum.reduceat(both[:, 4], starts),
                ]
            )
        count = both[:, 1].astype(np.int64)
        return History(
            sensor_id, resolution, both[:, 0], both[:, 2] / np.maximum(count, 1), both[:, 3], both[:, 4], count
        )

    def events(
        self,
        start_t: float | None = None,
        end_t: float | None = None,
        *,
        sensor_id: str | None = None,
        kinds: Iterable[AlarmEventKind | str] | None = None,
        limit: int | None = None,
    ) -> list[AlarmEvent]:
        """Stored alarm events in time order (the newest ``limit`` if given)."""
        e = events_table.c
        query = select(events_table)
        if start_t is not None:
            query = query.where(e.t >= start_t)
        if end_t is not None:
            query = query.where(e.t < end_t)
        if sensor_id is not None:
            query = query.where(e.sensor_id == sensor_id)
        if kinds is not None:
            query = query.where(e.kind.in_([AlarmEventKind(k).value for k in kinds]))
        if limit is not None:
            query = query.order_by(e.t.desc(), e.id.desc()).limit(int(limit))
        else:
            query = query.order_by(e.t, e.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out = [_event_from_row(r) for r in rows]
        return out[::-1] if limit is not None else out

    def alarm_states(self) -> list[AlarmRecord]:
        """The current state of every alarm not in the normal state, from the stored events (newest per alarm)."""
        e = events_table.c
        alarm = (e.sensor_id, e.condition)
        stateful = e.kind != AlarmEventKind.COMMENTED.value
        last_any = select(func.max(e.id)).where(stateful).group_by(*alarm)
        last_act = select(func.max(e.id)).where(e.kind.in_(["activated", "cleared"])).group_by(*alarm)
        last_rise = select(func.max(e.id)).where(e.kind == "activated").group_by(*alarm)
        last_note = select(func.max(e.id)).where(e.comment != "").group_by(*alarm)
        with self._engine.connect() as conn:
            latest = conn.execute(select(events_table).where(e.id.in_(last_any))).mappings().all()
            by_alarm = {}
            for name, ids in (("act", last_act), ("rise", last_rise), ("note", last_note)):
                rows = conn.execute(select(events_table).where(e.id.in_(ids))).mappings().all()
                by_alarm[name] = {(r["sensor_id"], r["condition"]): r for r in rows}
            kinds = dict(conn.execute(select(sensors_table.c.sensor_id, sensors_table.c.kind)).all())
        out = []
        for r in latest:
            state = AlarmState(r["state"])
            if state == AlarmState.NORMAL:
                continue
            key = (r["sensor_id"], r["condition"])
            act, rise, note = (by_alarm[name].get(key) for name in ("act", "rise", "note"))
            active = state in (AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE) or (
                state in (AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE)
                and act is not None
                and act["kind"] == "activated"
            )
            out.append(
                AlarmRecord(
                    sensor_id=r["sensor_id"],
                    condition=Condition(r["condition"]),
                    state=state,
                    priority=Priority(r["priority"]),
                    active=active,
                    since=rise["t"] if rise is not None else np.nan,
                    value=_num(rise["value"]) if rise is not None else np.nan,
                    limit=_num(rise["limit_value"]) if rise is not None else np.nan,
                    feature_id=r["feature_id"],
                    kind=kinds.get(r["sensor_id"], ""),
                    shelved_until=_num(r["limit_value"]) if state == AlarmState.SHELVED else np.nan,
                    last_change=r["t"],
                    comment=note["comment"] if note is not None else "",
                )
            )
        out.sort(key=lambda a: (int(a.priority), -(a.since if np.isfinite(a.since) else -np.inf)))
        return out

    def counts(self) -> dict[str, int]:
        """Rows per telemetry table and buffered readings (for status and tests)."""
        with self._engine.connect() as conn:
            out = {
                name: int(conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar())
                for name in (
                    "telemetry_sensors",
                    "telemetry_blocks",
                    "telemetry_agg_1m",
                    "telemetry_agg_15m",
                    "telemetry_alarm_events",
                )
            }
            out["readings"] = int(conn.execute(select(func.coalesce(func.sum(blocks_table.c.n), 0))).scalar())
            out["journaled"] = int(conn.execute(select(func.coalesce(func.sum(journal_table.c.n), 0))).scalar())
        out["buffered"] = self._pending_n
        return out


def _aggregate_arrays(k: np.ndarray, t: np.ndarray, v: np.ndarray, width: float):
    """(key, bucket, n, sum, min, max) per sensor and bucket of readings sorted by (key, t)."""
    bucket = np.floor(t / width) * width
    n = len(k)
    if not n:
        empty = np.empty(0)
        return np.empty(0, np.int64), empty, empty, empty, empty, empty
    starts = np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (bucket[1:] != bucket[:-1])])
    counts = np.diff(np.r_[starts, n])
    return (
        k[starts],
        bucket[starts],
        counts.astype(np.float64),
        np.add.reduceat(v, starts),
        np.minimum.reduceat(v, starts),
        np.maximum.reduceat(v, starts),
    )


def _aggregate_tuples(k, t, v, width) -> list[tuple]:
    keys, bucket, n, s, lo, hi = _aggregate_arrays(k, t, v, width)
    return list(
        zip(
            keys.tolist(),
            bucket.tolist(),
            n.astype(np.int64).tolist(),
            s.tolist(),
            lo.tolist(),
            hi.tolist(),
            strict=True,
        )
    )


def _blocks(k: np.ndarray, tt: np.ndarray, vv: np.ndarray) -> list[tuple]:
    """One block row per sensor of readings sorted by (key, time): plain tuples for the DBAPI's executemany
    (SQLAlchemy's per-row dict processing cost more than the writes, and the ingest worker holds the GIL meanwhile)."""
    n = len(k)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    ends = np.r_[starts[1:], n]
    s_list, e_list = starts.tolist(), ends.tolist()
    return list(
        zip(
            k[starts].tolist(),
            tt[starts].tolist(),
            tt[ends - 1].tolist(),
            (ends - starts).tolist(),
            [tt[a:b].tobytes() for a, b in zip(s_list, e_list, strict=True)],
            [vv[a:b].tobytes() for a, b in zip(s_list, e_list, strict=True)],
            strict=True,
        )
    )


def _month_start(t: float) -> float:
    d = datetime.fromtimestamp(float(t), UTC)
    return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"


def _scrub(exc: SQLAlchemyError, url: object = None) -> str:
    """The driver's message, without a password the URL may carry."""
    message = str(getattr(exc, "orig", None) or exc)
    if isinstance(url, str) and "://" in url:
        from console.io._dburl import parse_location

        try:
            message = parse_location(url).scrub(message)
        except Exception:  # an unparsable URL: show the message as it is (the driver never saw a password then)
            pass
    return message


def _pg_engine(url: str, shown: str):
    """An engine on a PostgreSQL historian: libpq gets the URI as it is (PGPASSWORD, ~/.pgpass, sslmode …); the
    ``?schema=`` is created if missing and is the connection's search path."""
    import psycopg

    from console.io._dburl import parse_location

    location = parse_location(url)
    schema = location.schema.replace('"', '""')

    def connect():
        conn = psycopg.connect(location.conninfo, autocommit=False)
        with conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cur.execute(f'SET search_path TO "{schema}"')
        conn.commit()
        return conn

    try:
        return create_engine("postgresql+psycopg://", creator=connect, pool_size=2, max_overflow=4)
    except Exception as exc:  # the driver's errors may echo the URI
        raise HistoryError(f"{shown}: {location.scrub(str(exc))}") from None


_LOCK_DDL = 0x6761736F70730001  # pg_advisory_xact_lock keys: creating the tables, and flushing readings
_LOCK_FLUSH = 0x6761736F70730002
_PG_DDL = (
    "CREATE TABLE IF NOT EXISTS telemetry_blocks (sensor_key INTEGER NOT NULL, t_first DOUBLE PRECISION NOT NULL, "
    "t_last DOUBLE PRECISION NOT NULL, n INTEGER NOT NULL, t BYTEA NOT NULL, v BYTEA NOT NULL, "
    "PRIMARY KEY (sensor_key, t_first)) PARTITION BY RANGE (t_first)",
    "CREATE TABLE IF NOT EXISTS telemetry_journal (id BIGSERIAL PRIMARY KEY, owner TEXT NOT NULL, n INTEGER NOT NULL, "
    "k BYTEA NOT NULL, t BYTEA NOT NULL, v BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS telemetry_alarm_events (id SERIAL PRIMARY KEY, t DOUBLE PRECISION NOT NULL, "
    "sensor_id VARCHAR NOT NULL, feature_id VARCHAR NOT NULL, condition VARCHAR NOT NULL, kind VARCHAR NOT NULL, "
    'state VARCHAR NOT NULL, priority INTEGER NOT NULL, value DOUBLE PRECISION, limit_value DOUBLE PRECISION, "user" '
    "VARCHAR NOT NULL, comment VARCHAR NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_telemetry_alarm_events_once ON telemetry_alarm_events "
    '(t, sensor_id, condition, kind, "user")',
    "CREATE INDEX IF NOT EXISTS ix_telemetry_alarm_events_t ON telemetry_alarm_events (t)",
    "CREATE INDEX IF NOT EXISTS ix_telemetry_alarm_events_alarm ON telemetry_alarm_events (sensor_id, condition, id)",
)


def _upsert(table: str, *, pg: bool) -> str:
    if pg:
        return (
            f"INSERT INTO {table} (sensor_key, bucket_t, n, sum, min, max) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (sensor_key, bucket_t) DO UPDATE SET n = {table}.n + excluded.n, "
            f"sum = {table}.sum + excluded.sum, min = LEAST({table}.min, excluded.min), "
            f"max = GREATEST({table}.max, excluded.max)"
        )
    return (
        f"INSERT INTO {table} (sensor_key, bucket_t, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (sensor_key, bucket_t) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum, "
        "min = min(min, excluded.min), max = max(max, excluded.max)"
    )


_SQL_SQLITE = {
    "insert_blocks": "INSERT INTO telemetry_blocks (sensor_key, t_first, t_last, n, t, v) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING",
    "journal_add": "INSERT INTO telemetry_journal (n, k, t, v) VALUES (?, ?, ?, ?)",
    "journal_rows": "SELECT n, k, t, v FROM telemetry_journal ORDER BY id",
    "journal_clear": "DELETE FROM telemetry_journal",
    **{f"upsert_{name}": _upsert(table.name, pg=False) for name, table in agg_tables.items()},
}
_SQL_PG = {
    "insert_blocks": "INSERT INTO telemetry_blocks (sensor_key, t_first, t_last, n, t, v) "
    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    "journal_add": "INSERT INTO telemetry_journal (owner, n, k, t, v) VALUES (%s, %s, %s, %s, %s)",
    "journal_rows": "SELECT n, k, t, v FROM telemetry_journal WHERE owner = %s ORDER BY id",
    "journal_clear": "DELETE FROM telemetry_journal WHERE owner = %s",
    **{f"upsert_{name}": _upsert(table.name, pg=True) for name, table in agg_tables.items()},
}


def _num(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _event_from_row(r) -> AlarmEvent:
    return AlarmEvent(
        t=r["t"],
        sensor_id=r["sensor_id"],
        condition=Condition(r["condition"]),
        kind=AlarmEventKind(r["kind"]),
        state=AlarmState(r["state"]),
        priority=Priority(r["priority"]),
        value=np.nan if r["value"] is None else r["value"],
        limit=np.nan if r["limit_value"] is None else r["limit_value"],
        feature_id=r["feature_id"],
        user=r["user"],
        comment=r["comment"],
    )
