"""SQLite storage of a ledger node through SQLAlchemy Core (WAL, ``synchronous=FULL``).

An append commits its entries, the new state rows and the checkpoint that covers them in one transaction; the call
returns only after SQLite has synced the commit to disk, so an acknowledged entry survives ``kill -9`` and a crash
leaves either the whole batch or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from console.ledger._errors import LedgerError

__all__ = ["LedgerStore", "SCHEMA_VERSION", "StoreDamagedError", "SQLAlchemyError"]


class StoreDamagedError(LedgerError):
    """The ledger database cannot be read (truncated, overwritten, not SQLite, tables altered)."""

    def __init__(self, path: Path, cause: BaseException) -> None:
        self.path = str(path)
        reason = str(getattr(cause, "orig", None) or cause).splitlines()[0][:200]
        super().__init__(f"{path}: the ledger database is damaged ({reason}); restore it from a backup or a peer")


SCHEMA_VERSION = 1
metadata = MetaData()

meta = Table("meta", metadata, Column("key", String, primary_key=True), Column("value", Text, nullable=False))
logs = Table(
    "logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin", String, nullable=False, unique=True),
    Column("own", Boolean, nullable=False, default=False),
    Column("pinned_vkey", Text),  # the log's genesis organisation key (note verifier key), pinned out of band
    Column("peer", String),  # peer name it is followed from
)
entries = Table(
    "entries",
    metadata,
    Column("log_id", Integer, primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("type", String, nullable=False),
    Column("time", String, nullable=False),
    Column("author", String, nullable=False),
    Column("hazard_id", String, index=True),
    Column("device", String, index=True),
    Column("incident_id", String, index=True),
    sqlite_with_rowid=False,
)
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("log_id", Integer, nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_here", Boolean, nullable=False, default=False),
    Column("received_at", String, nullable=False),
    Column("source", String),
    UniqueConstraint("log_id", "size", "root"),
)
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("log_id", Integer, primary_key=True),
    Column("size", Integer, primary_key=True),
    Column("witness", String, primary_key=True),
    Column("root", LargeBinary, nullable=False),
    Column("line", Text, nullable=False),
    Column("timestamp", Integer, nullable=False),
)
witnessed = Table(  # this node as a witness: the latest checkpoint it verified and cosigned per log
    "witnessed",
    metadata,
    Column("origin", String, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("at", String, nullable=False),
)
state = Table(
    "state",
    metadata,
    Column("log_id", Integer, primary_key=True),
    Column("kind", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)
equivocations = Table(
    "equivocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("detected_at", String, nullable=False),
    Column("peer", String),
    Column("evidence", Text, nullable=False),  # JSON: both signed notes verbatim (+ the failing proof)
)
peers = Table(
    "peers",
    metadata,
    Column("name", String, primary_key=True),
    Column("url", String, nullable=False),
    Column("origin", String, nullable=False),
    Column("vkey", Text, nullable=False),  # the peer's organisation key (signs its checkpoints and requests)
    Column("witness_vkey", Text, nullable=False),  # its cosigning key (type 0x04)
    Column("last_sync_at", String),
    Column("last_size", Integer),
    Column("status", String),
    Column("error", Text),
)
c2sp_witnesses = Table(  # outside witnesses of our own log, spoken to over C2SP tlog-witness (no log of theirs)
    "c2sp_witnesses",
    metadata,
    Column("name", String, primary_key=True),
    Column("url", String, nullable=False),  # the witness's submission prefix (POST <url>/add-checkpoint)
    Column("vkey", Text, nullable=False),  # its cosigning key (type 0x04), obtained out of band
    Column("size", Integer),  # the size of our log it last cosigned (or told us in a 409)
    Column("last_at", String),
    Column("status", String),
    Column("error", Text),
)
faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("peer", String, nullable=False),
    Column("at", String, nullable=False),
    Column("problem", Text, nullable=False),
)


# Entry columns after log_id, in the order of the prepared insert below.
ENTRY_ROW_COLUMNS = ("idx", "data", "leaf", "type", "time", "author", "hazard_id", "device", "incident_id")
_INSERT_ENTRIES = f"INSERT INTO entries (log_id, {', '.join(ENTRY_ROW_COLUMNS)}) VALUES ({', '.join('?' * (1 + len(ENTRY_ROW_COLUMNS)))})"
_UPSERT_STATE = (
    "INSERT INTO state (log_id, kind, key, value) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (log_id, kind, key) DO UPDATE SET value = excluded.value"
)
_STATE_JSON = json.JSONEncoder(sort_keys=True)


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # fsync the WAL on every commit: durable before acknowledged
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class LedgerStore:
    """Thin typed access to the ledger database (one per node folder)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.engine: Engine = create_engine(f"sqlite:///{self.path}", connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _pragmas)
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as c:
                c.execute(
                    sqlite_insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict_do_nothing()
                )
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreDamagedError(self.path, exc) from None

    def close(self) -> None:
        self.engine.dispose()

    def begin(self):
        return self.engine.begin()

    def connect(self):
        return self.engine.connect()

    # -- meta and logs --------------------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.connect() as c:
            v = c.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if v is None else v

    def set_meta(self, key: str, value: str, conn: Connection | None = None) -> None:
        stmt = (
            sqlite_insert(meta)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )
        if conn is not None:
            conn.execute(stmt)
            return
        with self.begin() as c:
            c.execute(stmt)

    def log_id(
        self,
        origin: str,
        *,
        create: bool = False,
        own: bool = False,
        pinned_vkey: str | None = None,
        peer: str | None = None,
    ) -> int | None:
        with self.begin() as c:
            row = c.execute(select(logs.c.id).where(logs.c.origin == origin)).scalar()
            if row is None and create:
                row = c.execute(
                    insert(logs).values(origin=origin, own=own, pinned_vkey=pinned_vkey, peer=peer)
                ).inserted_primary_key[0]
        return row

    def list_logs(self) -> list[dict]:
        with self.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(logs).order_by(logs.c.id))]

    # -- entries ---------------------------------------------------------------------------------------------------

    def entry_count(self, log_id: int) -> int:
        with self.connect() as c:
            return c.execute(select(func.count()).select_from(entries).where(entries.c.log_id == log_id)).scalar() or 0

    def next_index(self, log_id: int) -> int:
        """One past the largest stored index (the log's size when it has no gaps); an index lookup, not a count."""
        with self.connect() as c:
            top = c.execute(select(func.max(entries.c.idx)).where(entries.c.log_id == log_id)).scalar()
        return 0 if top is None else int(top) + 1

    def leaves(self, log_id: int, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        q = select(entries.c.leaf).where(entries.c.log_id == log_id, entries.c.idx >= start)
        if end is not None:
            q = q.where(entries.c.idx < end)
        with self.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=50_000).execute(q.order_by(entries.c.idx))
            for (leaf,) in result:
                yield leaf

    def iter_entries(self, log_id: int, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes, bytes]]:
        """(stored index, data, stored leaf) in index order; used by verification, so nothing is trusted here."""
        q = select(entries.c.idx, entries.c.data, entries.c.leaf).where(
            entries.c.log_id == log_id, entries.c.idx >= start
        )
        if end is not None:
            q = q.where(entries.c.idx < end)
        with self.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=20_000).execute(q.order_by(entries.c.idx))
            for row in result:
                yield row[0], row[1], row[2]

    def entry_data(self, log_id: int, start: int, end: int) -> list[bytes]:
        with self.connect() as c:
            rows = c.execute(
                select(entries.c.data)
                .where(entries.c.log_id == log_id, entries.c.idx >= start, entries.c.idx < end)
                .order_by(entries.c.idx)
            )
            return [r[0] for r in rows]

    @staticmethod
    def insert_entries(conn: Connection, log_id: int, rows: list[dict]) -> None:
        """Insert entry rows (dicts keyed like :data:`ENTRY_ROW_COLUMNS`) in the caller's transaction."""
        if rows:
            # One prepared statement through the driver's executemany: SQLAlchemy's per-row parameter processing
            # cost more than SQLite's own insert work for a batch of a thousand entries.
            conn.exec_driver_sql(_INSERT_ENTRIES, [(log_id, *(r[c] for c in ENTRY_ROW_COLUMNS)) for r in rows])

    def search(self, log_id: int | None, **where: str) -> list[dict]:
        q = select(
            logs.c.origin,
            entries.c.idx,
            entries.c.type,
            entries.c.time,
            entries.c.author,
            entries.c.hazard_id,
            entries.c.device,
            entries.c.incident_id,
            entries.c.leaf,
        ).join(logs, logs.c.id == entries.c.log_id)
        if log_id is not None:
            q = q.where(entries.c.log_id == log_id)
        for column, value in where.items():
            if value is not None:
                q = q.where(entries.c[column] == value)
        with self.connect() as c:
            return [dict(r._mapping) for r in c.execute(q.order_by(entries.c.log_id, entries.c.idx).limit(10_000))]

    # -- state -----------------------------------------------------------------------------------------------------

    @staticmethod
    def upsert_state(conn: Connection, log_id: int, rows: list[dict]) -> None:
        if not rows:
            return
        dumps = _STATE_JSON.encode
        conn.exec_driver_sql(_UPSERT_STATE, [(log_id, r["kind"], r["key"], dumps(r["value"])) for r in rows])

    def state_rows(self, log_id: int) -> list[tuple[str, str, dict]]:
        with self.connect() as c:
            return [
                (k, key, json.loads(v))
                for k, key, v in c.execute(
                    select(state.c.kind, state.c.key, state.c.value).where(state.c.log_id == log_id)
                )
            ]

    # -- checkpoints and cosignatures ------------------------------------------------------------------------------

    @staticmethod
    def add_checkpoint(
        conn: Connection,
        log_id: int,
        size: int,
        root: bytes,
        note: str,
        *,
        signed_here: bool,
        at: str,
        source: str | None,
    ) -> None:
        conn.execute(
            sqlite_insert(checkpoints)
            .values(
                log_id=log_id, size=size, root=root, note=note, signed_here=signed_here, received_at=at, source=source
            )
            .on_conflict_do_update(index_elements=["log_id", "size", "root"], set_={"note": note})
        )

    def latest_checkpoint(
        self, log_id: int, *, signed_here: bool | None = None, max_size: int | None = None
    ) -> dict | None:
        q = select(checkpoints).where(checkpoints.c.log_id == log_id)
        if max_size is not None:
            q = q.where(checkpoints.c.size <= max_size)
        if signed_here is not None:
            q = q.where(checkpoints.c.signed_here == signed_here)
        with self.connect() as c:
            row = c.execute(q.order_by(checkpoints.c.size.desc(), checkpoints.c.id.desc()).limit(1)).first()
        return dict(row._mapping) if row else None

    def checkpoints_of(self, log_id: int) -> list[dict]:
        with self.connect() as c:
            return [
                dict(r._mapping)
                for r in c.execute(
                    select(checkpoints)
                    .where(checkpoints.c.log_id == log_id)
                    .order_by(checkpoints.c.size, checkpoints.c.id)
                )
            ]

    def checkpoint_at(self, log_id: int, size: int) -> list[dict]:
        with self.connect() as c:
            return [
                dict(r._mapping)
                for r in c.execute(
                    select(checkpoints).where(checkpoints.c.log_id == log_id, checkpoints.c.size == size)
                )
            ]

    @staticmethod
    def add_cosignature(
        conn: Connection, log_id: int, size: int, root: bytes, witness: str, line: str, timestamp: int
    ) -> None:
        conn.execute(
            sqlite_insert(cosignatures)
            .values(log_id=log_id, size=size, root=root, witness=witness, line=line, timestamp=timestamp)
            .on_conflict_do_nothing()
        )

    def cosignatures_for(self, log_id: int, size: int, root: bytes) -> list[dict]:
        with self.connect() as c:
            return [
                dict(r._mapping)
                for r in c.execute(
                    select(cosignatures).where(
                        cosignatures.c.log_id == log_id, cosignatures.c.size == size, cosignatures.c.root == root
                    )
                )
            ]

    # -- witness view ----------------------------------------------------------------------------------------------

    def witnessed_of(self, origin: str) -> dict | None:
        with self.connect() as c:
            row = c.execute(select(witnessed).where(witnessed.c.origin == origin)).first()
        return dict(row._mapping) if row else None

    @staticmethod
    def set_witnessed(conn: Connection, origin: str, size: int, root: bytes, note: str, at: str) -> None:
        values = {"size": size, "root": root, "note": note, "at": at}
        conn.execute(
            sqlite_insert(witnessed)
            .values(origin=origin, **values)
            .on_conflict_do_update(index_elements=["origin"], set_=values)
        )

    # -- equivocations, peers, faults ------------------------------------------------------------------------------

    def add_equivocation(self, origin: str, kind: str, at: str, peer: str | None, evidence: dict) -> int:
        with self.begin() as c:
            return c.execute(
                insert(equivocations).values(
                    origin=origin, kind=kind, detected_at=at, peer=peer, evidence=json.dumps(evidence, sort_keys=True)
                )
            ).inserted_primary_key[0]

    def update_equivocation(self, record_id: int, evidence: dict) -> None:
        with self.begin() as c:
            c.execute(
                update(equivocations)
                .where(equivocations.c.id == record_id)
                .values(evidence=json.dumps(evidence, sort_keys=True))
            )

    def list_equivocations(self) -> list[dict]:
        with self.connect() as c:
            return [
                dict(r._mapping) | {"evidence": json.loads(r.evidence)}
                for r in c.execute(select(equivocations).order_by(equivocations.c.id))
            ]

    def upsert_peer(self, **values: Any) -> None:
        with self.begin() as c:
            c.execute(
                sqlite_insert(peers)
                .values(**values)
                .on_conflict_do_update(index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"})
            )

    def update_peer(self, name: str, **values: Any) -> None:
        with self.begin() as c:
            c.execute(update(peers).where(peers.c.name == name).values(**values))

    def delete_peer(self, name: str) -> bool:
        with self.begin() as c:
            return c.execute(delete(peers).where(peers.c.name == name)).rowcount > 0

    def list_peers(self) -> list[dict]:
        with self.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(peers).order_by(peers.c.name))]

    def upsert_witness(self, **values: Any) -> None:
        with self.begin() as c:
            c.execute(
                sqlite_insert(c2sp_witnesses)
                .values(**values)
                .on_conflict_do_update(index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"})
            )

    def update_witness(self, name: str, **values: Any) -> None:
        with self.begin() as c:
            c.execute(update(c2sp_witnesses).where(c2sp_witnesses.c.name == name).values(**values))

    def delete_witness(self, name: str) -> bool:
        with self.begin() as c:
            return c.execute(delete(c2sp_witnesses).where(c2sp_witnesses.c.name == name)).rowcount > 0

    def list_witnesses(self) -> list[dict]:
        with self.connect() as c:
            return [dict(r._mapping) for r in c.execute(select(c2sp_witnesses).order_by(c2sp_witnesses.c.name))]

    def add_fault(self, peer: str, at: str, problem: str) -> None:
        with self.begin() as c:
            c.execute(insert(faults).values(peer=peer, at=at, problem=problem))

    def list_faults(self, peer: str | None = None) -> list[dict]:
        q = select(faults).order_by(faults.c.id)
        if peer is not None:
            q = q.where(faults.c.peer == peer)
        with self.connect() as c:
            return [dict(r._mapping) for r in c.execute(q)]
