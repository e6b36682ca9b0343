"""Full verification of a node's logs (``gasops ledger verify``): recompute everything from the stored bytes.

Every entry is decoded, its author signature checked, its signed index and previous-leaf hash compared with its
position, its semantics replayed (keys, devices, hazard lifecycle); the Merkle tree is rebuilt and every stored
checkpoint's root and signature checked. Nothing stored is trusted (the ``leaf`` column is compared, not used).

When something is wrong the report names the first bad index and the kind of tampering, judged from the entries
after it: a signed index that reappears later means *reordered*, a later signed index means *deleted*, an earlier
one or a forged entry followed by the original means *inserted*, otherwise *changed*. A checkpoint whose
signature is wrong over intact entries is *checkpoint-signature*; altered checkpoint rows are *checkpoint-changed*;
a database that cannot be read is *store-damaged*.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from console.ledger._canonical import unb64
from console.ledger._entries import _PREFIX, _SIG_SUFFIX_LEN, ENTRY_DOMAIN, Entry, check_body, decode_entry
from console.ledger._errors import EntryRejected, LedgerError
from console.ledger._keys import public_from_did_key, verify_ed25519
from console.ledger._merkle import MerkleTree
from console.ledger._note import Checkpoint, NoteVerifier, open_note, parse_note
from console.ledger._state import LogState
from console.ledger._store import LedgerStore, SQLAlchemyError, StoreDamagedError
from console.ledger._types import LogVerification, VerifyReport

__all__ = ["verify_node", "verify_store", "verify_signatures"]

_CHUNK = 20_000


def verify_signatures(datas: list[bytes]) -> list[int]:
    """Offsets in ``datas`` whose author signature does not verify (runs in worker processes)."""
    bad = []
    for i, data in enumerate(datas):
        try:
            entry = decode_entry(data, strict=False)
            ok = verify_ed25519(
                public_from_did_key(entry.payload["author"]), entry.signature, ENTRY_DOMAIN + entry.payload_bytes
            )
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            bad.append(i)
    return bad


_PLAIN_DECODER = json.JSONDecoder()
_PAYLOAD_START = len(_PREFIX)


def check_entries(datas: list[bytes]) -> list[tuple[int, str]]:
    """What a peer's entries can be checked for without the log's state (runs in worker processes during sync):
    strict decoding (canonical JSON, sizes, nesting), the body schema and the author signature. Returns (offset,
    problem) for each entry that fails; the caller replays the others with :func:`trusted_entry`."""
    bad = []
    for i, data in enumerate(datas):
        try:
            entry = decode_entry(data)
            check_body(entry.payload["type"], entry.payload["body"])
            ok = verify_ed25519(
                public_from_did_key(entry.payload["author"]), entry.signature, ENTRY_DOMAIN + entry.payload_bytes
            )
            if not ok:
                bad.append((i, "its author signature does not verify"))
        except EntryRejected as exc:
            bad.append((i, str(exc)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            bad.append((i, str(exc) or type(exc).__name__))
    return bad


def trusted_entry(data: bytes) -> Entry:
    """Parse entry bytes that :func:`check_entries` passed (the same bytes, so the same outcome): no re-checks."""
    payload = _PLAIN_DECODER.decode(data[_PAYLOAD_START:-_SIG_SUFFIX_LEN].decode("utf-8"))
    return Entry(data, payload, unb64(data[-_SIG_SUFFIX_LEN + 8 : -2], "entry signature"))


def verify_node(node, *, workers: int = 1) -> VerifyReport:
    return _verify_logs(node.store, list(node._logs.values()), workers)


@dataclass(frozen=True)
class _StoredLog:
    id: int
    origin: str
    own: bool
    pinned: NoteVerifier | None


def verify_store(folder: str | Path, *, workers: int = 1) -> VerifyReport:
    """Verify the logs of a ledger folder straight from its database, trusting nothing a node would load first.

    Used when the node itself cannot be opened (a damaged store): the report names what is damaged."""
    t0 = time.perf_counter()
    path = Path(folder) / "ledger.db"
    if not path.is_file():
        return VerifyReport(False, [_damaged(str(folder), 0, f"{path} is missing")], time.perf_counter() - t0)
    try:
        store = LedgerStore(path)
    except StoreDamagedError as exc:
        return VerifyReport(False, [_damaged(str(folder), 0, str(exc))], time.perf_counter() - t0)
    try:
        logs = []
        for row in store.list_logs():
            try:
                pinned = NoteVerifier.from_vkey(row["pinned_vkey"]) if row.get("pinned_vkey") else None
            except (LedgerError, TypeError, AttributeError):
                pinned = None
            logs.append(_StoredLog(row["id"], str(row["origin"]), bool(row["own"]), pinned))
        return _verify_logs(store, logs, workers)
    except SQLAlchemyError as exc:
        return VerifyReport(
            False, [_damaged(str(folder), 0, str(StoreDamagedError(path, exc)))], time.perf_counter() - t0
        )
    finally:
        store.close()


def _damaged(origin: str, index: int, detail: str) -> LogVerification:
    return LogVerification(origin, index, False, index, "store-damaged", detail)


def _verify_logs(store, logs: list, workers: int) -> VerifyReport:
    t0 = time.perf_counter()
    pool: Executor | None = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        results = []
        for log in logs:
            try:
                results.append(_verify_log(store, log, pool, workers))
            except SQLAlchemyError as exc:
                results.append(_damaged(log.origin, 0, str(StoreDamagedError(store.path, exc))))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return VerifyReport(all(r.ok for r in results), results, time.perf_counter() - t0)


def _check_entry(state: LogState, entry) -> str | None:
    """Why ``entry`` may not follow ``state`` (None when it may); malformed bodies are reasons, not crashes."""
    try:
        state.check(entry, verify_signature=False)
    except EntryRejected as exc:
        return exc.detail
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"malformed {entry.type} entry ({type(exc).__name__}: {exc})"
    return None


def _chunks(store, log_id: int) -> Iterator[list[tuple[int, bytes, bytes]]]:
    chunk: list[tuple[int, bytes, bytes]] = []
    for row in store.iter_entries(log_id):
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _submitted(
    chunks: Iterator[list[tuple[int, bytes, bytes]]], pool: Executor | None, parts: int
) -> Iterator[tuple[list[tuple[int, bytes, bytes]], list[tuple[int, Future]]]]:
    """Chunks with their signature checks already running in the pool, one chunk ahead.

    Each chunk's signatures are split into ``parts`` slices so every worker process is busy, and the next chunk is
    read and submitted before the current one is handed out: while the caller replays chunk k (after collecting its
    signature results), the workers already check chunk k+1 instead of waiting for the replay or the database read.
    """
    if pool is None:
        for chunk in chunks:
            yield chunk, []
        return
    ahead: list[tuple[list, list[tuple[int, Future]]]] = []
    for chunk in chunks:
        step = -(-len(chunk) // parts)
        futures = [
            (base, pool.submit(verify_signatures, [row[1] for row in chunk[base : base + step]]))
            for base in range(0, len(chunk), step)
        ]
        ahead.append((chunk, futures))
        if len(ahead) > 1:
            yield ahead.pop(0)
    yield from ahead


def _verify_log(store, log, pool: Executor | None, workers: int = 1) -> LogVerification:
    origin = log.origin
    state = LogState(origin)
    tree = MerkleTree()
    checkpoints = store.checkpoints_of(log.id)
    by_size: dict[int, list[dict]] = {}
    for cp in checkpoints:
        by_size.setdefault(cp["size"], []).append(cp)
    checked = 0
    signatures = 0
    position = 0
    failure: tuple[int, str, str] | None = None

    def check_checkpoints(size: int) -> tuple[int, str, str] | None:
        nonlocal checked
        for cp in by_size.get(size, ()):
            checked += 1
            found = _checkpoint_problem(cp, tree, state, log)
            if found is None:
                continue
            kind, problem = found
            if kind != "changed":  # the checkpoint itself is wrong, the entries under it are not
                return size, kind, f"checkpoint of size {size}: {problem}"
            lower = max((s for s in by_size if s < size), default=0)
            return (
                lower,
                "changed",
                f"checkpoint of size {size}: {problem}; the entries from index {lower} on differ from what was signed",
            )
        return None

    failure = check_checkpoints(0)
    chunks = _submitted(_chunks(store, log.id), pool, max(workers, 1))
    for chunk, futures in chunks:
        if failure:
            break
        if pool is None:
            sig_bad = set(verify_signatures([row[1] for row in chunk]))
        else:  # the workers have moved on to the next chunk meanwhile; same answers as the serial path
            sig_bad = {base + offset for base, future in futures for offset in future.result()}
        for offset, (idx, data, stored_leaf) in enumerate(chunk):
            if idx != position:
                failure = (
                    position,
                    "deleted",
                    f"no entry is stored at index {position} (the next stored row is {idx})",
                )
                break
            try:
                entry = decode_entry(data)
            except ValueError as exc:
                failure = (position, "?", f"entry bytes are not a valid entry: {exc}")
                break
            leaf = entry.leaf_hash
            if leaf != stored_leaf:
                failure = (position, "?", "the stored leaf hash does not match the entry bytes")
                break
            rejected = _check_entry(state, entry)
            if rejected:
                failure = (position, "?", rejected)
                break
            if offset in sig_bad:
                failure = (position, "?", "the author signature does not verify")
                break
            state.apply(entry, leaf)
            tree.append(leaf)
            position += 1
            failure = check_checkpoints(position)
            if failure:
                break
        signatures += len(chunk)
    if failure is None:
        latest = max(by_size, default=0)
        if latest > position:
            failure = (
                position,
                "deleted",
                f"the log holds {position} entries but a checkpoint of size {latest} was signed",
            )
        elif log.own and position > latest:
            failure = (latest, "inserted", f"entries {latest}..{position - 1} are not covered by any signed checkpoint")
    if failure is None:
        return LogVerification(origin, position, True, checkpoints_checked=checked, signatures_checked=signatures)
    index, kind, detail = failure
    if kind == "?":
        kind = _classify(store, log.id, index)
    return LogVerification(origin, position, False, index, kind, detail, checked, signatures)


def _classify(store, log_id: int, index: int) -> str:
    """Judge the kind of tampering at ``index`` from the signed indexes at and after it."""
    signed: list[int | None] = []
    for _idx, data, _leaf in store.iter_entries(log_id, start=index):
        try:
            signed.append(decode_entry(data, strict=False).payload["index"])
        except ValueError:
            signed.append(None)
    here = signed[0] if signed else None
    later = set(signed[1:])
    if here is None or here == index:
        # A forged or altered entry: if the original follows, one was inserted before it.
        return "inserted" if len(signed) > 1 and signed[1] == index else "changed"
    if index in later:
        return "reordered" if here > index else "inserted"
    if here > index:
        return "deleted"
    return "inserted"


def _checkpoint_problem(cp: dict, tree: MerkleTree, state: LogState, log) -> tuple[str, str] | None:
    """(kind, detail) of what is wrong with a stored checkpoint, or None.

    Kinds: ``checkpoint-signature`` (the note's signature does not verify or is by a key not valid at that size,
    while the entries under it are intact), ``checkpoint-changed`` (the stored size/root columns or the note's
    text were altered) and ``changed`` (a validly signed root that the stored entries no longer produce)."""
    try:
        parsed = Checkpoint.parse(parse_note(cp["note"]).text)
    except (LedgerError, TypeError, AttributeError) as exc:
        return "checkpoint-changed", f"the stored note is malformed: {exc}"
    if parsed.size != cp["size"] or parsed.root_hash != cp["root"] or parsed.origin != log.origin:
        return "checkpoint-changed", "the stored size/root columns differ from the signed note"
    recomputed = tree.root()
    try:
        verifiers = [NoteVerifier(log.origin, public_from_did_key(did)) for did, _ in state.org_keys]
        if log.pinned is not None and log.pinned not in verifiers:
            verifiers.append(log.pinned)
        opened = open_note(cp["note"], verifiers)
    except LedgerError as exc:
        if recomputed == parsed.root_hash:
            return "checkpoint-signature", f"the entries produce the signed root but the signature is wrong ({exc})"
        return "checkpoint-signature", f"signature: {exc}; the root differs as well"
    allowed = state.org_key_for_size(cp["size"])
    if allowed is not None and cp["size"] > 0:
        keys = {bytes(v.public_key) for v, _ in opened.verified if v.name == log.origin}
        if public_from_did_key(allowed) not in keys:
            return "checkpoint-signature", f"signed by a key that was not the organisation key at size {cp['size']}"
    if recomputed != parsed.root_hash:
        return "changed", f"root {parsed.root_hash.hex()[:16]}… signed, {recomputed.hex()[:16]}… recomputed"
    return None
