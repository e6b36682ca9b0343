"""Portable equivocation proofs (分叉证据): two checkpoints signed by one log key that cannot both be true.

A log that shows different histories to different parties is caught when two of its checkpoints contradict each
other. The node that noticed keeps both notes (``LedgerNode.equivocations``); this module turns such a record into a
small JSON file that anyone holding the log's public key can check offline, without trusting the node that found it:

- ``same-size``: two signed checkpoints of the same size with different roots.
- ``prefix``: a checkpoint of size *k* and a larger one of size *n*, with a consistency proof that verifies against
  the larger root from a prefix root *R* ≠ the smaller checkpoint's root. Under SHA-256's collision resistance the
  proof pins *R* as the root of the larger tree's first *k* leaves, so the larger tree does not extend the smaller.

Format ``gasops-equivocation-proof/v1``::

    {"format": …, "origin": O, "kind": "same-size" | "prefix", "detected_at": …, "log_keys": [vkey…],
     "checkpoint_a": note, "checkpoint_b": note, "consistency_proof": [base64…], "prefix_root": base64}

(``checkpoint_a`` is the smaller one for ``prefix``; the last two fields only for ``prefix``.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from console.atomic import atomic_write_text
from console.ledger._canonical import b64, unb64
from console.ledger._errors import LedgerError, ProofError
from console.ledger._limits import load_json
from console.ledger._merkle import HASH_SIZE
from console.ledger._note import SIG_ED25519, Checkpoint, NoteVerifier, open_note
from console.ledger._verify import _chain_border_right, _chain_inner_right, _decompose, verify_consistency

__all__ = ["PROOF_FORMAT", "EquivocationReport", "equivocation_proof", "export_equivocation", "verify_equivocation"]

PROOF_FORMAT = "gasops-equivocation-proof/v1"


def _prefix_root_from_proof(size1: int, size2: int, proof: list[bytes]) -> bytes | None:
    """The root of the first ``size1`` leaves that a consistency proof implies (None when the proof does not carry
    it: ``size1`` a power of two, or a proof of the wrong shape)."""
    if not 0 < size1 < size2 or size1 & (size1 - 1) == 0 or not proof or any(len(h) != HASH_SIZE for h in proof):
        return None
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    seed, rest = proof[0], proof[1:]
    if len(rest) != inner + border:
        return None
    return _chain_border_right(_chain_inner_right(seed, rest[:inner], (size1 - 1) >> shift), rest[inner:])


def equivocation_proof(node, record_id: int) -> dict:
    """The portable proof of equivocation ``record_id`` of ``node``; raises :class:`LedgerError` when the record
    does not hold enough to convince a third party (e.g. the peer sent a malformed proof rather than a forked one)."""
    record = next((e for e in node.equivocations() if e.id == record_id), None)
    if record is None:
        known = ", ".join(str(e.id) for e in node.equivocations()) or "none"
        raise LedgerError(f"no equivocation {record_id} (recorded: {known})")
    ev, origin = record.evidence, record.origin
    keys = node.log_verifiers(origin)
    try:
        notes = [open_note(ev["note_a"], keys), open_note(ev["note_b"], keys)]
    except (KeyError, LedgerError) as exc:
        raise LedgerError(
            f"equivocation {record_id}: its checkpoints do not both verify under {origin}'s keys"
        ) from exc
    cps = [Checkpoint.parse(n.note.text) for n in notes]
    signers = {v.vkey for n in notes for v, _ in n.verified if v.sig_type == SIG_ED25519 and v.name == origin}
    doc = {
        "format": PROOF_FORMAT,
        "origin": origin,
        "detected_at": record.detected_at,
        "log_keys": sorted(signers),
    }
    if cps[0].size == cps[1].size:
        if cps[0].root_hash == cps[1].root_hash:
            raise LedgerError(f"equivocation {record_id}: the two checkpoints agree")
        return doc | {"kind": "same-size", "checkpoint_a": ev["note_a"], "checkpoint_b": ev["note_b"]}
    small, large = (0, 1) if cps[0].size < cps[1].size else (1, 0)
    note_small, note_large = (ev["note_a"], ev["note_b"])[small], (ev["note_a"], ev["note_b"])[large]
    k, n = cps[small].size, cps[large].size
    proof = prefix = None
    if "proof_a" in ev and "root_a_at_size_b" in ev and small == 1:  # our tree (a) is the larger: we hold it
        proof, prefix = [unb64(p) for p in ev["proof_a"]], unb64(ev["root_a_at_size_b"])
    elif "proof" in ev and small == 0:  # the proof the log or peer sent for its larger tree
        proof = [unb64(p) for p in ev["proof"]]
        prefix = _prefix_root_from_proof(k, n, proof)
        if prefix is None and "prefix_root_b" in ev:  # kept at detection time (k a power of two)
            prefix = unb64(ev["prefix_root_b"])
    if proof is None and log_holds(node, origin, max(k, n)) and small == 1:
        tree = node._log(origin).tree
        proof, prefix = tree.consistency_proof(k, n), tree.root(k)
    if prefix is None or prefix == cps[small].root_hash:
        raise LedgerError(
            f"equivocation {record_id}: the record holds no consistency proof that pins the larger tree's prefix, "
            "so it cannot be shown to a third party (the two signed notes are still kept in the ledger)"
        )
    try:
        verify_consistency(k, n, proof, prefix, cps[large].root_hash)
    except ProofError as exc:
        raise LedgerError(f"equivocation {record_id}: the kept proof does not verify against the larger root") from exc
    return doc | {
        "kind": "prefix",
        "checkpoint_a": note_small,
        "checkpoint_b": note_large,
        "consistency_proof": [b64(p) for p in proof],
        "prefix_root": b64(prefix),
    }


def log_holds(node, origin: str, size: int) -> bool:
    try:
        return node.size(origin) >= size
    except LedgerError:
        return False


def export_equivocation(node, record_id: int, out: str | Path) -> Path:
    """Write the portable proof of equivocation ``record_id`` to ``out`` (JSON)."""
    out = Path(out)
    atomic_write_text(out, json.dumps(equivocation_proof(node, record_id), indent=1, ensure_ascii=False) + "\n")
    return out


@dataclass
class EquivocationReport:
    path: str
    origin: str = ""
    kind: str = ""
    proven: bool = False  # the two checkpoints cannot both be true
    trusted: bool = False  # ... and they are signed by a key the verifier trusts (not only the file's own)
    detail: str = ""
    keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.proven and self.trusted

    @property
    def verdict(self) -> str:
        if not self.proven:
            return "NOT A PROOF"
        return "EQUIVOCATION PROVEN" if self.trusted else "PROVEN UNDER THE FILE'S OWN KEYS, NOT TRUSTED"

    def to_dict(self) -> dict:
        return {**self.__dict__, "ok": self.ok, "verdict": self.verdict}


def verify_equivocation(path: str | Path, trusted_log_keys: list[str] | None = None) -> EquivocationReport:
    """Check a proof file offline. Without ``trusted_log_keys`` the file's own keys are used and the report says so
    (``ok`` False). A file that cannot be read at all raises :class:`LedgerError` naming it."""
    path = Path(path)
    report = EquivocationReport(str(path))
    try:
        doc = load_json(path.read_bytes(), f"{path}", max_bytes=1 << 20, max_depth=3)
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise LedgerError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("format") != PROOF_FORMAT:
        raise LedgerError(f"{path}: not a {PROOF_FORMAT} file")
    fields = ("origin", "kind", "checkpoint_a", "checkpoint_b")
    if not all(isinstance(doc.get(k), str) for k in fields) or not isinstance(doc.get("log_keys", []), list):
        raise LedgerError(f"{path}: want text fields {', '.join(fields)} and a list log_keys")
    report.origin, report.kind = doc["origin"], doc["kind"]
    try:
        if trusted_log_keys:
            keys = [NoteVerifier.from_vkey(k) for k in trusted_log_keys]
            report.trusted = True
        else:
            keys = [NoteVerifier.from_vkey(k) for k in doc.get("log_keys", []) if isinstance(k, str)]
        keys = [k for k in keys if k.sig_type == SIG_ED25519 and k.name == report.origin]
        report.keys = [k.vkey for k in keys]
        a = open_note(doc["checkpoint_a"], keys)
        b = open_note(doc["checkpoint_b"], keys)
        if report.origin not in a.verified_names() or report.origin not in b.verified_names():
            raise LedgerError(f"a checkpoint is not signed by a key of {report.origin}")
        cp_a, cp_b = Checkpoint.parse(a.note.text), Checkpoint.parse(b.note.text)
        if cp_a.origin != report.origin or cp_b.origin != report.origin:
            raise LedgerError("a checkpoint is of another log")
        if report.kind == "same-size":
            report.proven = cp_a.size == cp_b.size and cp_a.root_hash != cp_b.root_hash
            report.detail = (
                f"two signed roots for size {cp_a.size}: {cp_a.root_hash.hex()[:16]}… and {cp_b.root_hash.hex()[:16]}…"
                if report.proven
                else "the checkpoints do not differ at the same size"
            )
        elif report.kind == "prefix":
            proof = doc.get("consistency_proof")
            if not isinstance(proof, list) or len(proof) > 64 or not all(isinstance(p, str) for p in proof):
                raise LedgerError("consistency_proof must be a list of at most 64 base64 hashes")
            prefix = unb64(str(doc.get("prefix_root", "")), "prefix_root")
            if cp_a.size >= cp_b.size:
                raise LedgerError("checkpoint_a must be the smaller checkpoint")
            verify_consistency(cp_a.size, cp_b.size, [unb64(p, "proof hash") for p in proof], prefix, cp_b.root_hash)
            report.proven = prefix != cp_a.root_hash
            report.detail = (
                f"size {cp_b.size} does not extend size {cp_a.size}: its first {cp_a.size} leaves have root "
                f"{prefix.hex()[:16]}…, the smaller checkpoint signs {cp_a.root_hash.hex()[:16]}…"
                if report.proven
                else "the prefix root equals the smaller checkpoint's root: the two are consistent"
            )
        else:
            raise LedgerError(f"unknown kind {report.kind[:40]!r}")
    except (LedgerError, ValueError) as exc:
        report.proven = False
        report.detail = str(exc)
    if not report.proven:
        report.trusted = False
    return report
