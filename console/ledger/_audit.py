"""Full verification of a node's logs (``gasops ledger verify``): recompute everything from the stored bytes.

Every entry is decoded, its author signature checked, its signed index and previous-leaf hash compared with its
position, its semantics replayed (keys, devices, hazard lifecycle); the Merkle tree is rebuilt and every stored
checkpoint's root and signature checked. Nothing stored is trusted (the ``leaf`` column is compared, not used).

When something is wrong the report names the first bad index and the kind of tampering, judged from the entries
after it: a signed index that reappears later means *reordered*, a later signed index means *deleted*, an earlier
one or a forged entry followed by the original means *inserted*, otherwise *changed*.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from console.ledger._entries import ENTRY_DOMAIN, decode_entry
from console.ledger._errors import EntryRejected, LedgerError
from console.ledger._keys import public_from_did_key, verify_ed25519
from console.ledger._merkle import MerkleTree
from console.ledger._note import Checkpoint, NoteVerifier, open_note
from console.ledger._state import LogState
from console.ledger._types import LogVerification, VerifyReport

__all__ = ["verify_node", "verify_signatures"]

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


def verify_node(node, *, workers: int = 1) -> VerifyReport:
    t0 = time.perf_counter()
    pool: Executor | None = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        results = [_verify_log(node, log, pool, workers) for log in list(node._logs.values())]
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return VerifyReport(all(r.ok for r in results), results, time.perf_counter() - t0)


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


def _verify_log(node, log, pool: Executor | None, workers: int = 1) -> LogVerification:
    store = node.store
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
            problem = _checkpoint_problem(cp, tree, state, log)
            if problem:
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
            try:
                state.check(entry, verify_signature=False)
            except EntryRejected as exc:
                failure = (position, "?", exc.detail)
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


def _checkpoint_problem(cp: dict, tree: MerkleTree, state: LogState, log) -> str | None:
    try:
        verifiers = [NoteVerifier(log.origin, public_from_did_key(did)) for did, _ in state.org_keys]
        if log.pinned is not None and log.pinned not in verifiers:
            verifiers.append(log.pinned)
        opened = open_note(cp["note"], verifiers)
        parsed = Checkpoint.parse(opened.note.text)
    except LedgerError as exc:
        return f"signature: {exc}"
    allowed = state.org_key_for_size(cp["size"])
    signer = {v.name for v, _ in opened.verified}
    if allowed is not None and log.origin in signer:
        keys = {bytes(v.public_key) for v, _ in opened.verified}
        if public_from_did_key(allowed) not in keys and cp["size"] > 0:
            return f"signed by a key that was not the organisation key at size {cp['size']}"
    if parsed.size != cp["size"] or parsed.root_hash != cp["root"]:
        return "the stored size/root columns differ from the signed note"
    if tree.root() != parsed.root_hash:
        return f"root {parsed.root_hash.hex()[:16]}… signed, {tree.root().hex()[:16]}… recomputed"
    return None
