"""Pulling peers' logs, collecting cosignatures and guarding against rollback (the client side of ``_server``).

A pull verifies before it keeps anything: the checkpoint's signature (pinned organisation keys and the rotations
the log itself recorded), a consistency proof from what we hold, then each chunk of entries (signature, index,
previous-leaf chain, semantics) and a consistency proof from the chunk's end to the signed size. Only a chunk that
passes all of this is committed, so a pull interrupted half-way resumes where it stopped, and repeating it is a
no-op. Responses are size-capped and time-limited; a peer that misbehaves is recorded as a fault and nothing it sent
is kept. Two checkpoints that cannot both be true are kept verbatim as an equivocation and raise the alarm.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import aiohttp

from console.ledger._audit import check_entries, trusted_entry
from console.ledger._auth import canonical_target, sign_request
from console.ledger._c2sp_witness import request_cosignature, witness_floor
from console.ledger._canonical import b64, unb64, utc_now_iso
from console.ledger._entries import decode_entry
from console.ledger._errors import EntryRejected, LedgerError, NoteError, PeerError, ProofError, SignatureError
from console.ledger._limits import load_json
from console.ledger._node import floor_met
from console.ledger._note import Checkpoint, NoteVerifier, open_note, parse_note
from console.ledger._types import CosignOutcome, SyncResult, WitnessStatus
from console.ledger._verify import verify_consistency

_PIPELINE_DEPTH = 3  # chunks fetched and handed to the workers before the oldest is replayed
MAX_PROOF_HASHES = 64  # a tree of 2**63 leaves needs at most 63 (inclusion) or 64 (consistency) hashes

__all__ = [
    "parse_proof_body",
    "sync_peer",
    "sync_all",
    "collect_cosignatures",
    "check_witnesses",
    "ask_outside_witnesses",
    "recover_from_peer",
    "pin_equivocation",
    "SyncLimits",
]


@dataclass(frozen=True)
class SyncLimits:
    timeout_s: float = 10.0  # whole request, connect to last byte
    max_response_bytes: int = 8 * 1024 * 1024
    chunk_entries: int = 1000
    workers: int = 2  # processes checking author signatures in a large pull (1: in this thread)
    parallel_from: int = 5000  # entries to pull from which the worker processes pay for their start-up


def _signature_pool(limits: SyncLimits, count: int) -> ProcessPoolExecutor | None:
    if limits.workers <= 1 or count < limits.parallel_from:
        return None
    return ProcessPoolExecutor(max_workers=limits.workers)


def _submit_checks(pool, datas: list[bytes], parts: int) -> list[tuple[int, Future]]:
    if pool is None:
        return []
    step = max(1, -(-len(datas) // max(parts, 1)))
    return [(base, pool.submit(check_entries, datas[base : base + step])) for base in range(0, len(datas), step)]


class _Client:
    def __init__(self, node, peer: dict, limits: SyncLimits, session: aiohttp.ClientSession) -> None:
        self.node, self.peer, self.limits, self.session = node, peer, limits, session
        self.name = peer["name"]

    async def request(
        self, method: str, path: str, params: dict | None = None, body: bytes = b"", ok: tuple[int, ...] = (200,)
    ) -> tuple[int, bytes]:
        path_qs = canonical_target(path, params or {})
        headers = sign_request(self.node._require_org(), self.node.origin, method, path_qs, body)
        try:
            async with self.session.request(
                method, self.peer["url"] + path_qs, data=body or None, headers=headers
            ) as resp:
                length = resp.content_length
                if length is not None and length > self.limits.max_response_bytes:
                    raise PeerError(
                        self.name,
                        f"response of {length} bytes to {path} exceeds the {self.limits.max_response_bytes}-byte limit",
                    )
                buf = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    buf += chunk
                    if len(buf) > self.limits.max_response_bytes:
                        raise PeerError(
                            self.name, f"response to {path} exceeds the {self.limits.max_response_bytes}-byte limit"
                        )
                if resp.status not in ok:
                    raise PeerError(
                        self.name,
                        f"{method} {path} answered HTTP {resp.status}: {bytes(buf[:200]).decode('utf-8', 'replace').strip()}",
                    )
                return resp.status, bytes(buf)
        except TimeoutError as exc:
            raise PeerError(self.name, f"{method} {path} timed out after {self.limits.timeout_s} s") from exc
        except aiohttp.ClientError as exc:
            raise PeerError(self.name, f"unreachable ({type(exc).__name__}: {exc})") from exc

    async def checkpoint(self, origin: str) -> str:
        _, body = await self.request("GET", "/v1/checkpoint", {"origin": origin})
        return body.decode("utf-8", "replace")

    async def proof(self, kind: str, origin: str, **sizes: int) -> list[bytes]:
        _, body = await self.request("GET", f"/v1/{kind}", {"origin": origin, **sizes})
        return parse_proof_body(body, self.name, kind)

    async def entries(self, origin: str, start: int, end: int) -> list[bytes]:
        _, body = await self.request("GET", "/v1/entries", {"origin": origin, "start": start, "end": end})
        lines = body.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if len(lines) != end - start:
            raise PeerError(self.name, f"asked for entries {start}..{end - 1} of {origin}, got {len(lines)}")
        return lines


def parse_proof_body(body: bytes, peer: str, kind: str = "inclusion") -> list[bytes]:
    """The hashes of a ``{"proof": [base64, …]}`` response; anything else is a :class:`PeerError` naming the peer."""
    try:
        doc = load_json(body, f"{kind} proof", max_bytes=64 * 1024, max_depth=2)
        hashes = doc["proof"] if isinstance(doc, dict) else None
        if (
            not isinstance(hashes, list)
            or len(hashes) > MAX_PROOF_HASHES
            or not all(isinstance(h, str) for h in hashes)
        ):
            raise ValueError(f'want {{"proof": [at most {MAX_PROOF_HASHES} base64 hashes]}}')
        return [unb64(h, "proof hash") for h in hashes]
    except (ValueError, KeyError) as exc:
        raise PeerError(peer, f"malformed {kind} proof: {exc}") from None


def _session(limits: SyncLimits) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=limits.timeout_s)
    return aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=4))


def _fail(node, peer: str, problem: str, origin: str, old: int, t0: float, status: str = "rejected") -> SyncResult:
    node.store.add_fault(peer, utc_now_iso(), problem)
    node.store.update_peer(peer, status=status, error=problem)
    return SyncResult(peer, origin, old, old, 0, False, status, problem, time.perf_counter() - t0)


async def _pull(client: _Client, origin: str, *, cosign: bool = True) -> SyncResult:
    node, peer = client.node, client.name
    log = node._log(origin)
    t0 = time.perf_counter()
    local = log.tree.size
    note = await client.checkpoint(origin)
    try:
        parsed = parse_note(note)
        cp = Checkpoint.parse(parsed.text)
    except NoteError as exc:
        raise PeerError(peer, f"malformed checkpoint: {exc}") from exc
    if cp.origin != origin:
        raise PeerError(peer, f"asked for {origin}, got a checkpoint of {cp.origin}")
    log_sigs = [s for s in parsed.signatures if s.name == origin]
    try:
        open_note(parsed.__class__(parsed.text, tuple(log_sigs)), node.log_verifiers(origin))
        signer_known = True
    except SignatureError as exc:
        known_ids = {v.key_id for v in node.log_verifiers(origin)}
        if cp.size > local and log_sigs and all(s.key_id not in known_ids for s in log_sigs):
            signer_known = False  # maybe a key rotation inside the new entries: verified after replaying them
        else:
            raise PeerError(peer, f"checkpoint of {origin} size {cp.size}: {exc}") from exc

    if cp.size <= local:
        ours = log.tree.root(cp.size)
        if cp.root_hash == ours:
            if cp.size < local:
                raise PeerError(
                    peer, f"replayed an old checkpoint of {origin} (size {cp.size}; this node already holds {local})"
                )
            node.store_checkpoint(origin, note, peer)
            return SyncResult(peer, origin, local, local, 0, False, "up-to-date", None, time.perf_counter() - t0)
        mine = node.store.checkpoint_at(log.id, cp.size)
        evidence = {"note_a": mine[0]["note"] if mine else node.checkpoint_note(origin), "note_b": note}
        if not mine and cp.size > 0:
            evidence["proof_a"] = [b64(p) for p in log.tree.consistency_proof(cp.size, local)]
            evidence["root_a_at_size_b"] = b64(ours)
        node.record_equivocation(origin, "same-size", peer, evidence)
        return _fail(
            node,
            peer,
            f"equivocation: {origin} signed two different roots for size {cp.size}",
            origin,
            local,
            t0,
            "equivocation",
        )

    if signer_known and local > 0:
        proof = await client.proof("consistency", origin, old=local, new=cp.size)
        try:
            verify_consistency(local, cp.size, proof, log.tree.root(), cp.root_hash)
        except ProofError as exc:
            first = (await client.entries(origin, local, local + 1))[0]
            if _authentic_fork(node, origin, first):
                ours_note = node.checkpoint_note(origin)
                evidence = {
                    "note_a": ours_note,
                    "note_b": note,
                    "proof": [b64(p) for p in proof],
                    "entry_b": first.decode(),
                }
                evidence.update(await _pin_prefix(client, origin, local, cp, proof, first, log.tree.root()))
                node.record_equivocation(origin, "inconsistent", peer, evidence)
                return _fail(
                    node,
                    peer,
                    f"equivocation: {origin} size {cp.size} does not extend size {local}",
                    origin,
                    local,
                    t0,
                    "equivocation",
                )
            raise PeerError(peer, f"bad consistency proof {local}->{cp.size} for {origin}: {exc}") from exc

    held: list = []  # (entry, leaf) kept in memory until the checkpoint's key is known (rotation case)
    # Large pulls are a pipeline: while this thread replays chunk i against the log's state (index, chain, authority)
    # and stores it, worker processes decode chunk i+1 strictly and check its schema and author signatures, and chunk
    # i+2 is on its way. A chunk is replayed only after its checks all passed, so its bytes are parsed once more
    # without re-checking (same bytes, same outcome), and nothing is kept before its checks are known good.
    pool = _signature_pool(client.limits, cp.size - local)
    chunk, workers = client.limits.chunk_entries, client.limits.workers

    def fetch(start: int) -> asyncio.Future | None:
        if start >= cp.size:
            return None
        return asyncio.ensure_future(client.entries(origin, start, min(start + chunk, cp.size)))

    async def replay(start: int, end: int, datas: list[bytes], checks: list[tuple[int, Future]]) -> None:
        bad: list[tuple[int, str]] = []
        for base, future in checks:
            bad += [(base + offset, why) for offset, why in await asyncio.wrap_future(future)]
        if bad:
            raise PeerError(peer, f"entry {start + bad[0][0]} of {origin} rejected: {bad[0][1]}")
        verified = []
        with node.lock:
            if log.tree.size != start:
                raise PeerError(peer, "the log changed during the pull; retry")
            state, tree = log.state, log.tree
            for i, data in enumerate(datas):
                try:
                    if pool is None:
                        entry = decode_entry(data)
                        state.check(entry)
                    else:
                        entry = trusted_entry(data)
                        state.check(entry, verify_signature=False, check_schema=False)
                except (ValueError, EntryRejected, KeyError, TypeError, AttributeError) as exc:
                    raise PeerError(peer, f"entry {start + i} of {origin} rejected: {exc}") from exc
                leaf = entry.leaf_hash
                state.apply(entry, leaf)
                tree.append(leaf)
                verified.append((entry, leaf))
        if signer_known:
            if end < cp.size:
                proof = await client.proof("consistency", origin, old=end, new=cp.size)
                try:
                    verify_consistency(end, cp.size, proof, log.tree.root(), cp.root_hash)
                except ProofError as exc:
                    raise PeerError(
                        peer,
                        f"entries {start}..{end - 1} of {origin} are not a prefix of the signed size {cp.size}: {exc}",
                    ) from exc
            elif log.tree.root() != cp.root_hash:
                raise PeerError(peer, f"entries of {origin} do not produce the signed root of size {cp.size}")
            with node.lock:
                state_rows = log.state.rows()
                log.state.dirty.clear()
            # One chunk is written (SQLite, in a thread) while the next is checked and replayed; writes stay in order.
            await written()
            writing.append(asyncio.ensure_future(asyncio.to_thread(node.store_pulled, log.id, verified, state_rows)))
        else:
            held.extend(verified)

    writing: list[asyncio.Future] = []

    async def written() -> None:
        while writing:
            await writing.pop()

    fetched_to = local
    log.pulling += 1
    prefetch = fetch(fetched_to)
    pending: deque = deque()  # fetched chunks whose checks run in the workers, oldest first
    try:
        while prefetch is not None or pending:
            if prefetch is not None:
                datas = await prefetch
                start, fetched_to = fetched_to, fetched_to + len(datas)
                prefetch = fetch(fetched_to)
                pending.append((start, fetched_to, datas, _submit_checks(pool, datas, workers)))
                if pool is not None and len(pending) < _PIPELINE_DEPTH and prefetch is not None:
                    continue  # keep the workers chunks ahead of the replay
            await replay(*pending.popleft())
        await written()
        if not signer_known:
            if log.tree.root() != cp.root_hash:
                raise PeerError(peer, f"entries of {origin} do not produce the signed root of size {cp.size}")
            try:
                open_note(parsed.__class__(parsed.text, tuple(log_sigs)), node.log_verifiers(origin))
            except SignatureError as exc:
                raise PeerError(peer, f"checkpoint of {origin} size {cp.size}: {exc}") from exc
            with node.lock:
                node.ingest(origin, held, peer)
    except BaseException:
        await asyncio.gather(*writing, return_exceptions=True)  # the store is final before the log is re-read
        with node.lock:
            log.pulling -= 1
            node._reload(log, node.store.entry_count(log.id))
        raise
    else:
        log.pulling -= 1
    finally:
        if prefetch is not None:
            prefetch.cancel()
            await asyncio.gather(prefetch, return_exceptions=True)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    node.store_checkpoint(origin, note, peer)
    cosigned = False
    if cosign and origin != node.origin and node.witness_key is not None:
        node.witness_add_checkpoint(
            _witness_size(node, origin),
            log.tree.consistency_proof(_witness_size(node, origin), cp.size)
            if 0 < _witness_size(node, origin) < cp.size
            else [],
            note,
            peer,
        )
        cosigned = True
    return SyncResult(peer, origin, local, cp.size, cp.size - local, cosigned, "synced", None, time.perf_counter() - t0)


async def _pin_prefix(client: _Client, origin: str, k: int, cp: Checkpoint, proof: list[bytes], first: bytes, ours):
    """What makes a fork at size ``k`` provable to a third party: the root R of the peer's first ``k`` leaves, which
    its consistency proof k -> n verifies from (R != our root). A proof from a size that is not a power of two carries
    R; from a power of two it does not (the verifier supplies the old root), so R is taken from the inclusion proof of
    the peer's first forked entry (index k), whose path holds the hash of the perfect subtree [0, k). Returns the
    evidence fields ``prefix_root_b`` (+ ``inclusion_b``), or nothing when the peer's own proofs do not agree."""
    from console.ledger._equivocation import _prefix_root_from_proof
    from console.ledger._verify import verify_inclusion

    candidates = [r for r in [_prefix_root_from_proof(k, cp.size, proof)] if r is not None]
    extra: dict = {}
    if not candidates:
        try:
            path = await client.proof("inclusion", origin, index=k, size=cp.size)
            verify_inclusion(k, cp.size, decode_entry(first).leaf_hash, path, cp.root_hash)
        except (PeerError, ProofError, ValueError):
            return {}
        candidates, extra = path, {"inclusion_b": [b64(p) for p in path]}
    for root in candidates:
        if root == ours:
            continue
        try:
            verify_consistency(k, cp.size, proof, root, cp.root_hash)
        except ProofError:
            continue
        return {"prefix_root_b": b64(root), **extra}
    return {}


def pin_equivocation(node, record_id: int, limits: SyncLimits | None = None) -> bool:
    """Complete an ``inconsistent`` equivocation record with what pins the larger tree's prefix (its root at the
    smaller size), fetched from the peers that serve the log; True when the record is (now) exportable. Never
    raises: a peer that no longer serves that tree leaves the record as it was."""
    from console.ledger._equivocation import _prefix_root_from_proof

    limits = limits or SyncLimits(timeout_s=5.0)
    try:
        record = next(e for e in node.equivocations() if e.id == record_id)
        ev = record.evidence
        small, large = (Checkpoint.parse(parse_note(ev[k]).text) for k in ("note_a", "note_b"))
        proof = [unb64(h, "proof hash") for h in ev.get("proof", [])]
    except (StopIteration, LedgerError, ValueError, KeyError, TypeError):
        return False
    if record.kind != "inconsistent" or "prefix_root_b" in ev or not small.size < large.size:
        return "prefix_root_b" in ev
    if _prefix_root_from_proof(small.size, large.size, proof) not in (None, small.root_hash):
        return True  # the proof carries the prefix root already
    rows = [p for p in node.store.list_peers() if p["origin"] == record.origin]

    async def one(client: _Client) -> dict:
        try:
            first = (await client.entries(record.origin, small.size, small.size + 1))[0]
            return await _pin_prefix(client, record.origin, small.size, large, proof, first, small.root_hash) | {
                "entry_b": first.decode("utf-8", "replace")
            }
        except PeerError:
            return {}

    for row in rows:
        try:
            extra = asyncio.run(_run(node, [row["name"]], limits, one))[0]
        except (LedgerError, OSError):
            continue
        if "prefix_root_b" in extra:
            node.store.update_equivocation(record_id, {**ev, **extra})
            return True
    return False


def _witness_size(node, origin: str) -> int:
    seen = node.store.witnessed_of(origin)
    return seen["size"] if seen else 0


def _authentic_fork(node, origin: str, data: bytes) -> bool:
    """True when the first new entry is genuinely signed by the log's authority but does not chain onto ours."""
    try:
        entry = decode_entry(data)
    except ValueError:
        return False
    state = node.state(origin)
    author = entry.payload["author"]
    authorised = author in {did for did, _ in state.org_keys} or (
        author in state.operators and state.operators[author][1] is None
    )
    want_prev = state.last_leaf.hex() if state.last_leaf else None
    return authorised and entry.signature_ok() and entry.payload["prev"] != want_prev


async def _run(node, peer_names: list[str], limits: SyncLimits, fn) -> list:
    async with _session(limits) as session:
        out = []
        for name in peer_names:
            out.append(await fn(_Client(node, node.peer_row(name), limits, session)))
        return out


def sync_peer(node, peer: str, limits: SyncLimits | None = None, *, witness: bool = True) -> SyncResult:
    """Pull the log of ``peer`` (and cosign it unless ``witness`` is False). Misbehaviour is recorded and
    returned, not raised."""
    limits = limits or SyncLimits()
    row = node.peer_row(peer)
    t0 = time.perf_counter()

    async def one(client: _Client) -> SyncResult:
        try:
            result = await _pull(client, row["origin"], cosign=witness)
        except PeerError as exc:
            unreachable = exc.problem.startswith("unreachable") or "timed out" in exc.problem
            return _fail(
                node,
                peer,
                exc.problem,
                row["origin"],
                node.size(row["origin"]),
                t0,
                "unreachable" if unreachable else "rejected",
            )
        if result.status in ("synced", "up-to-date"):
            node.store.update_peer(
                peer, last_sync_at=utc_now_iso(), last_size=result.new_size, status=result.status, error=None
            )
        return result

    result = asyncio.run(_run(node, [peer], limits, one))[0]
    node.sync_finished.emit(result)
    return result


def sync_all(node, limits: SyncLimits | None = None) -> list[SyncResult]:
    return [sync_peer(node, p["name"], limits) for p in node.store.list_peers()]


def recover_from_peer(node, peer: str | None, limits: SyncLimits | None = None) -> SyncResult:
    """Restore this node's own log from a peer that holds its entries (after restoring an old backup).

    ``peer`` None (or ``"any"``) tries every peer in turn: a witness that only cosigned holds the checkpoint but not
    the entries, so the first peer whose copy reaches the witnesses' latest cosigned checkpoint is used. Raises
    :class:`PeerError` naming every peer's problem when none can restore the log."""
    limits = limits or SyncLimits()
    names = [peer] if peer not in (None, "any") else [p["name"] for p in node.store.list_peers()]
    problems = []

    async def one(client: _Client) -> SyncResult | None:
        try:
            return await _pull(client, node.origin, cosign=False)
        except PeerError as exc:
            problems.append(f"{client.name}: {exc.problem}")
            return None

    result = None
    for name in names:
        result = asyncio.run(_run(node, [name], limits, one))[0]
        floor = node.witness_floor
        if result is not None and (
            floor is None or floor_met({**floor, "inconsistent": False}, node.size(), lambda n: node.root(size=n))
        ):
            node.witness_floor = None
            return result
        if result is not None:
            problems.append(
                f"{name}: holds {node.size()} entries, less than the {floor['size']} its witnesses cosigned"
            )
    if len(names) == 1 and problems and result is None:
        raise PeerError(names[0], problems[0].split(": ", 1)[1])
    raise PeerError(
        ", ".join(names) or "none",
        f"no peer could restore {node.origin}: " + ("; ".join(problems) or "this node has no peers"),
    )


def collect_cosignatures(node, limits: SyncLimits | None = None) -> WitnessStatus:
    """Ask every peer to cosign this node's latest checkpoint (tlog-witness add-checkpoint), keep valid cosignatures."""
    limits = limits or SyncLimits()
    note = node.checkpoint_note()
    cp = Checkpoint.parse(parse_note(note).text)
    base = parse_note(note).without("").text

    async def one(client: _Client) -> str | None:
        witness = NoteVerifier.from_vkey(client.peer["witness_vkey"])
        old = _last_cosigned_size(node, witness.name)
        for _attempt in range(2):
            proof = node.consistency_proof(old, cp.size) if 0 < old < cp.size else []
            body = (f"old {old}\n" + "".join(b64(p) + "\n" for p in proof) + "\n" + note).encode("utf-8")
            try:
                status, reply = await client.request("POST", "/v1/add-checkpoint", body=body, ok=(200, 409))
            except PeerError as exc:
                node.store.update_peer(client.name, status="witness-failed", error=exc.problem)
                return None
            if status == 409:
                try:
                    old = int(reply.decode().strip())
                except ValueError:
                    return None
                if old > cp.size:
                    node.store.add_fault(client.name, utc_now_iso(), f"witness claims size {old} > our size {cp.size}")
                    return None
                continue
            try:
                sigs = parse_note(base + "\n" + reply.decode("utf-8")).signatures
                kept = node.add_cosignatures(node.origin, base, list(sigs))
            except (NoteError, SignatureError, UnicodeDecodeError) as exc:
                node.store.add_fault(client.name, utc_now_iso(), f"bad cosignature: {exc}")
                return None
            return kept[0] if kept else None
        return None

    asyncio.run(_run(node, [p["name"] for p in node.store.list_peers()], limits, one))
    ask_outside_witnesses(node, limits, note)
    return node.witness_status()


def ask_outside_witnesses(node, limits: SyncLimits | None = None, note: str | None = None) -> list[CosignOutcome]:
    """Ask every outside witness (C2SP tlog-witness, ``gasops ledger witnesses add``) to cosign this node's latest
    checkpoint, concurrently; valid cosignatures are kept. Returns one outcome per witness."""
    limits = limits or SyncLimits()
    rows = node.store.list_witnesses()
    if not rows:
        return []
    note = note or node.checkpoint_note()

    async def run() -> list[CosignOutcome]:
        async with _session(limits) as session:
            return list(await asyncio.gather(*(request_cosignature(node, r, session, limits, note) for r in rows)))

    return asyncio.run(run())


def _last_cosigned_size(node, witness: str) -> int:
    log = node._log()
    with node.store.connect() as c:
        from sqlalchemy import func, select

        from console.ledger._store import cosignatures

        size = c.execute(
            select(func.max(cosignatures.c.size)).where(
                cosignatures.c.log_id == log.id, cosignatures.c.witness == witness
            )
        ).scalar()
    return int(size or 0)


def check_witnesses(node, limits: SyncLimits | None = None) -> dict | None:
    """Ask each witness for the largest checkpoint of this log it cosigned; remember the largest (rollback guard).

    Unreachable witnesses are skipped (offline operation goes on); a witness that holds a checkpoint this node
    cannot extend makes the next signature fail with :class:`CheckpointConflictError` until ``recover_from_peer``.
    """
    limits = limits or SyncLimits(timeout_s=3.0)
    own = node.log_verifiers(node.origin)

    async def one(client: _Client) -> dict | None:
        try:
            status, body = await client.request("GET", "/v1/witnessed", {"origin": node.origin}, ok=(200, 404))
        except PeerError:
            return None
        if status == 404:
            return None
        witness = NoteVerifier.from_vkey(client.peer["witness_vkey"])
        try:
            opened = open_note(body.decode("utf-8"), [*own, witness])
            cp = Checkpoint.parse(opened.note.text)
        except (LedgerError, UnicodeDecodeError):
            return None
        if node.origin not in opened.verified_names() or witness.name not in opened.verified_names():
            return None
        return {"size": cp.size, "root": cp.root_hash, "witness": client.name, "note": opened.note.serialize()}

    floors = [f for f in asyncio.run(_run(node, [p["name"] for p in node.store.list_peers()], limits, one)) if f]
    # An outside C2SP witness has no read API: asking it to cosign our latest checkpoint tells what it holds (a 409
    # with a larger size, or a 422 when our tree does not extend its own), and is a cosignature when all is well.
    floors += [f for f in map(witness_floor, ask_outside_witnesses(node, limits)) if f]
    bad = [f for f in floors if not floor_met(f, node.size(), lambda n: node.root(size=n))]
    node.witness_floor = max(bad, key=lambda f: f["size"]) if bad else None
    return node.witness_floor
