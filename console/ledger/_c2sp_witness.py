"""Client side of C2SP tlog-witness: asking an outside witness to cosign this node's checkpoint.

A C2SP witness (c2sp.org/tlog-witness) is an HTTP service known by a name, a cosigning public key and a submission
prefix. It follows our log only through the checkpoints we submit: it keeps the latest one it cosigned and accepts a
new one only with a consistency proof from that size.

    POST <prefix>/add-checkpoint
        old <size>\\n  <base64 proof hash>\\n …  \\n  <checkpoint note>
    200  one or more cosignature lines "— <name> <base64>\\n" (tlog-cosignature/v1, type 0x04)
    409  text/x.tlog.size "<size>\\n": the old size is not the one it holds (or same size, different root)
    404  it does not know our origin · 403 none of our signatures verifies under the key it trusts
    400  malformed · 422 the consistency proof does not verify (it holds a tree ours does not extend)

A 409 is answered once more with a proof from the size the witness reported. A witness holding a larger size than
this node has signed (a node restored from an old backup) or a tree ours does not extend is reported as ``rollback``
or ``conflict``: :func:`witness_floor` turns that into the guard that stops the node from signing until it recovers.
Responses are size-capped and time-limited; cosignatures from keys other than the configured one are ignored, as
the specification says, and a line that claims the configured key but does not verify rejects the answer.
"""

from __future__ import annotations

import re

import aiohttp

from console.ledger._canonical import b64, utc_now_iso
from console.ledger._errors import LedgerError, NoteError, SignatureError
from console.ledger._note import SIG_COSIGNATURE_V1, Checkpoint, NoteSignature, NoteVerifier, parse_note
from console.ledger._types import CosignOutcome

__all__ = [
    "add_checkpoint_body",
    "parse_size_response",
    "parse_cosignature_response",
    "request_cosignature",
    "MAX_RESPONSE_BYTES",
]

MAX_RESPONSE_BYTES = 16 * 1024  # a few signature lines (the spec's example is 3 lines of ~120 bytes)
MAX_PROOF_LINES = 63
_SIZE = re.compile(r"(0|[1-9][0-9]{0,18})\n")
_DASH = "\u2014"


def add_checkpoint_body(old: int, proof: list[bytes], note: str) -> bytes:
    """The request body: ``old <size>``, one base64 hash per line, a blank line, the signed checkpoint."""
    if not 0 <= old < 2**63:
        raise ValueError(f"old size {old} out of range")
    if len(proof) > MAX_PROOF_LINES:
        raise ValueError(f"{len(proof)} proof hashes, more than the {MAX_PROOF_LINES} tlog-witness allows")
    if old == 0 and proof:
        raise ValueError("the consistency proof must be empty when the old size is 0")
    if not note.endswith("\n"):
        raise ValueError("the checkpoint note must end with a newline")
    return (f"old {old}\n" + "".join(b64(h) + "\n" for h in proof) + "\n" + note).encode("utf-8")


def parse_size_response(body: bytes, content_type: str | None = None) -> int:
    """The size in a 409 answer (``text/x.tlog.size``: decimal, no leading zeroes, a newline); ValueError otherwise."""
    if content_type is not None and content_type.split(";")[0].strip().lower() != "text/x.tlog.size":
        raise ValueError(f"409 answer of type {content_type[:60]!r}, not text/x.tlog.size")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("409 answer is not an ASCII size") from None
    if not _SIZE.fullmatch(text):
        raise ValueError(f"409 answer {text[:40]!r} is not a decimal size followed by a newline")
    return int(text)


def parse_cosignature_response(body: bytes, checkpoint_text: str, witness: NoteVerifier) -> list[NoteSignature]:
    """The cosignatures by ``witness`` in a 200 answer, each verified over ``checkpoint_text``.

    Lines by other keys are ignored (the spec: "the client MUST ignore any cosignatures from unknown keys"); a line
    by the witness's key that does not verify, a malformed answer, or an answer with no cosignature by that key
    raises :class:`SignatureError` or :class:`NoteError` naming the witness."""
    if witness.sig_type != SIG_COSIGNATURE_V1:
        raise NoteError(f"witness {witness.name}: its key must be a cosignature/v1 key (type 0x04)")
    if len(body) > MAX_RESPONSE_BYTES:
        raise NoteError(f"witness {witness.name}: answer of {len(body)} bytes, more than {MAX_RESPONSE_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError(f"witness {witness.name}: answer is not UTF-8") from None
    if not text or not text.endswith("\n") or not all(line.startswith(_DASH + " ") for line in text[:-1].split("\n")):
        raise NoteError(f"witness {witness.name}: answer is not note signature lines ('— <name> <base64>' each)")
    try:
        signatures = parse_note(checkpoint_text + "\n" + text).signatures
    except NoteError as exc:
        raise NoteError(f"witness {witness.name}: {exc}") from None
    message = checkpoint_text.encode("utf-8")
    kept = []
    for sig in signatures:
        if (sig.name, sig.key_id) != (witness.name, witness.key_id):
            continue
        if witness.verify(message, sig.signature) is None:
            raise SignatureError(f"witness {witness.name}: its cosignature does not verify over our checkpoint")
        kept.append(sig)
    if not kept:
        names = ", ".join(sorted({s.name for s in signatures}))
        raise SignatureError(f"witness {witness.name}: no cosignature by its key in the answer (signers: {names})")
    return kept


async def _post(session: aiohttp.ClientSession, url: str, body: bytes, limits) -> tuple[int, bytes, str | None]:
    async with session.post(url, data=body, headers={"Content-Type": "text/plain; charset=utf-8"}) as resp:
        if resp.content_length is not None and resp.content_length > MAX_RESPONSE_BYTES:
            raise LedgerError(f"answer of {resp.content_length} bytes, more than {MAX_RESPONSE_BYTES}")
        buf = bytearray()
        async for chunk in resp.content.iter_chunked(4096):
            buf += chunk
            if len(buf) > MAX_RESPONSE_BYTES:
                raise LedgerError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
        return resp.status, bytes(buf), resp.headers.get("Content-Type")


def _snippet(body: bytes) -> str:
    return body[:160].decode("utf-8", "replace").strip().replace("\n", " ")


async def request_cosignature(node, row: dict, session: aiohttp.ClientSession, limits, note: str) -> CosignOutcome:
    """Ask one outside witness (a ``c2sp_witnesses`` row) to cosign ``note``, a checkpoint of this node's log.

    Keeps a valid cosignature in the store, remembers the size the witness holds, and returns what happened; never
    raises for the witness's behaviour."""
    name = row["name"]
    witness = NoteVerifier.from_vkey(row["vkey"])
    parsed = parse_note(note)
    cp = Checkpoint.parse(parsed.text)
    base = parsed.text
    url = row["url"].rstrip("/") + "/add-checkpoint"
    old = row["size"] if row.get("size") is not None else _last_cosigned_size(node, witness.name)
    outcome: CosignOutcome | None = None
    for _attempt in range(3):
        if old > cp.size:
            outcome = CosignOutcome(
                name,
                "rollback",
                cp.size,
                old,
                f"the witness has cosigned size {old} of {cp.origin}, more than this checkpoint's {cp.size} "
                "(restored from an old backup?): run `gasops ledger sync --recover`",
            )
            break
        try:
            proof = node.consistency_proof(old, cp.size) if 0 < old < cp.size else []
        except LedgerError as exc:
            outcome = CosignOutcome(name, "failed", cp.size, old, f"no consistency proof from size {old}: {exc}")
            break
        try:
            status, body, ctype = await _post(session, url, add_checkpoint_body(old, proof, note), limits)
        except TimeoutError:
            outcome = CosignOutcome(name, "unreachable", cp.size, None, f"timed out after {limits.timeout_s} s")
            break
        except aiohttp.ClientError as exc:
            outcome = CosignOutcome(name, "unreachable", cp.size, None, f"unreachable ({type(exc).__name__}: {exc})")
            break
        except LedgerError as exc:
            outcome = CosignOutcome(name, "failed", cp.size, None, str(exc))
            break
        if status == 200:
            try:
                sigs = parse_cosignature_response(body, base, witness)
                node.add_cosignatures(cp.origin, base, sigs)
            except (NoteError, SignatureError) as exc:
                outcome = CosignOutcome(name, "failed", cp.size, None, f"bad answer: {exc}")
                break
            outcome = CosignOutcome(name, "cosigned", cp.size, cp.size)
            break
        if status == 409:
            try:
                held = parse_size_response(body, ctype)
            except ValueError as exc:
                outcome = CosignOutcome(name, "failed", cp.size, None, f"malformed 409 answer: {exc}")
                break
            if held == old == cp.size:  # same size, different root: the witness holds another tree of this size
                outcome = CosignOutcome(
                    name,
                    "conflict",
                    cp.size,
                    held,
                    f"the witness holds a different checkpoint of {cp.origin} at size {held}",
                )
                break
            if held == old:
                outcome = CosignOutcome(
                    name, "failed", cp.size, None, f"the witness answered 409 with the old size {old} it was sent"
                )
                break
            old = held
            continue
        problem = {
            404: f"the witness does not follow {cp.origin} (give its operator this log's key {node.org_vkey})",
            403: f"the witness does not accept this log's signature on {cp.origin} (does it hold key {node.org_vkey}?)",
            422: f"the witness rejected the consistency proof {old} -> {cp.size}: it holds a tree of size {old} "
            "that this checkpoint does not extend",
            400: "the witness refused the request as malformed",
        }.get(status, f"HTTP {status}")
        outcome = CosignOutcome(
            name,
            "conflict" if status == 422 else "refused",
            cp.size,
            old if status == 422 else None,
            f"{problem}: {_snippet(body)}" if body else problem,
        )
        break
    if outcome is None:
        outcome = CosignOutcome(name, "failed", cp.size, old, "the witness kept answering 409 with changing sizes")
    values = {"status": outcome.status, "error": outcome.problem, "last_at": utc_now_iso()}
    if outcome.witness_size is not None:
        values["size"] = outcome.witness_size
    node.store.update_witness(name, **values)
    if outcome.status in ("conflict", "rollback", "failed"):
        node.store.add_fault(name, utc_now_iso(), f"C2SP witness: {outcome.problem}")
    return outcome


def witness_floor(outcome: CosignOutcome) -> dict | None:
    """The rollback guard a witness's answer implies (see :meth:`LedgerNode._sign_checkpoint`), or None."""
    if outcome.status not in ("rollback", "conflict") or outcome.witness_size is None:
        return None
    return {
        "size": outcome.witness_size,
        "root": None,  # a C2SP witness tells its size, not its root
        "witness": outcome.witness,
        "note": None,
        "inconsistent": outcome.status == "conflict",
    }


def _last_cosigned_size(node, witness: str) -> int:
    from console.ledger._sync import _last_cosigned_size as last

    return last(node, witness)
