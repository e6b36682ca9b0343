"""Proof of one reading (单条读数证明): reading → batch values root → device signature → ledger entry → signed,
witnessed checkpoint, in one small JSON file that anyone verifies offline with the log's pinned key.

The file (``gasops-reading-proof/v1``) holds the reading, its RFC 6962 inclusion proof in the batch's values tree,
the ``metering.batch`` entry bytes and their inclusion proof in the log, the device's ``device.register`` (and
``device.rotate``, ``device.revoke``) entries with theirs, the checkpoint note with its cosignatures, and the keys. Verification steps
(each a check in the report; the first failure names its code):

1. ``values-proof``: the reading's leaf hash and its proof give the batch's signed ``values_root``.
2. ``device-signature``: the device key signed the batch statement; ``device-registered``: that key is the device's
   key in force when the batch entry was appended (its registration and the rotations before it, by entries included
   in the same log) — after a meter swap the old device's readings verify against the old device's registration;
   ``device-of-meter``: that registration names the proof's meter; ``device-not-revoked``: the device was not revoked
   before the batch entry (a batch signed after the device's revocation fails here; a later revocation is noted).
3. ``entry-signature``: the batch entry is signed by its author; ``checkpoint-signature``: the checkpoint verifies with a pinned log key (or, if none is pinned, with the key in the
   file — reported as such); ``entry-included``: the entries are in that checkpoint's tree; ``witnessed``: how many pinned witnesses cosigned it against the quorum.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path

from console.atomic import atomic_write_text
from console.ledger import (
    Checkpoint,
    LedgerError,
    MerkleTree,
    NoteVerifier,
    ProofError,
    decode_entry,
    open_note,
    parse_note,
    reading_leaf,
    verify_inclusion,
)
from console.metering._anchor import _signature_ok
from console.metering._errors import MeteringError, ProofFileError, ReadingNotAnchored

__all__ = [
    "PROOF_FORMAT",
    "ProofCheck",
    "ProofReport",
    "build_reading_proof",
    "find_reading_batch",
    "read_proof_file",
    "verify_reading_proof",
    "write_proof",
]

PROOF_FORMAT = "gasops-reading-proof/v1"
# a readings file: the readings of many batches, each under its batch's values root (hex)
READINGS_FORMAT = "gasops-metering-readings/v1"
COSIGNATURE_TYPE = 0x04  # C2SP tlog-cosignature/v1 key type
MAX_PROOF_BYTES = 4 * 1024 * 1024
MAX_HASHES = 64


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def readings_of(document: object, values_root: str) -> list[dict]:
    """The readings of the batch with ``values_root`` in a readings file (or a plain list of one batch's readings)."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and document.get("format") == READINGS_FORMAT:
        return document["batches"][values_root]
    raise ValueError("not a readings file")


def find_reading_batch(node, device: str, counter: int, origin: str | None = None):
    """The ``metering.batch`` entry of ``device`` in log ``origin`` whose counters hold ``counter`` (None if none)."""
    origin = origin or node.origin
    for row in node.search(device=device, origin=origin):
        if row["type"] == "metering.batch":
            entry = node.entry(row["idx"], origin)
            if entry.body["device"] == device and entry.body["counter_first"] <= counter <= entry.body["counter_last"]:
                return entry
    return None


def build_reading_proof(node, device: str, counter: int, *, meter_id: str = "", origin: str | None = None) -> dict:
    """The proof document of the reading with ``counter`` from ``device`` in log ``origin`` (default: own log).

    A reading is addressed by its device and counter (a meter's counters start again on a new device after a swap).
    The proof carries every ``device.register``/``device.rotate``/``device.revoke`` entry of the device, so the
    verifier checks the key in force when the batch was anchored and whether the device was revoked before it.
    Raises :class:`ReadingNotAnchored` when no anchored batch holds that counter.
    """
    origin = origin or node.origin
    device_rows = [row["idx"] for row in node.search(device=device, origin=origin)
                   if row["type"] in ("device.register", "device.rotate", "device.revoke")]  # fmt: skip
    batch_entry = find_reading_batch(node, device, counter, origin)
    if batch_entry is None:
        raise ReadingNotAnchored(meter_id or device, f"reading {counter} of device {device}")
    body = batch_entry.body
    if "values_file" not in body:
        raise ReadingNotAnchored(meter_id or device, f"the readings file of batch {batch_entry.index}")
    try:
        readings = readings_of(json.loads(node.get_evidence(body["values_file"])), body["values_root"])
    except (OSError, LedgerError, ValueError, KeyError, TypeError):
        raise MeteringError(
            f"meter {meter_id or device}: the readings of batch {batch_entry.index} in log {origin} are not held "
            "here (a peer's readings files stay with the peer): ask its owner for the proof"
        ) from None
    position = counter - body["counter_first"]
    tree = MerkleTree([reading_leaf(r) for r in readings])
    note = node.checkpoint_note(origin)
    size = Checkpoint.parse(parse_note(note).text).size

    def included(index: int) -> dict:
        return {
            "index": index,
            "entry": node.entry(index, origin).data.decode("utf-8"),
            "inclusion_proof": [_b64(h) for h in node.inclusion_proof(index, size, origin)],
        }

    return {
        "format": PROOF_FORMAT,
        "origin": origin,
        "meter_id": meter_id,
        "reading": readings[position],
        "values_index": position,
        "values_size": len(readings),
        "values_proof": [_b64(h) for h in tree.inclusion_proof(position)],
        "batch": included(batch_entry.index),
        "device_entries": [included(i) for i in sorted(device_rows)],
        "checkpoint": note,
        "log_keys": [v.vkey for v in node.log_verifiers(origin)],
        "witness_keys": [v.vkey for v in node.witness_verifiers(exclude_origin=origin)],
        "quorum": node.quorum,
    }


@dataclass(frozen=True)
class ProofCheck:
    name: str
    ok: bool
    detail: str


@dataclass
class ProofReport:
    """The outcome of :func:`verify_reading_proof`: ``ok`` only when every check passed."""

    checks: list[ProofCheck] = field(default_factory=list)
    reading: dict | None = None
    meter_id: str = ""
    device: str = ""
    origin: str = ""
    witnesses: int = 0
    pinned: bool = False
    revoked_at: int | None = None  # the log index of the device's revocation, when the proof holds one

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failure(self) -> str | None:
        """The name of the first failed check (the distinct kind of failure), or None."""
        return next((c.name for c in self.checks if not c.ok), None)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(ProofCheck(name, ok, detail))
        return ok

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "failure": self.failure,
            "meter_id": self.meter_id,
            "device": self.device,
            "origin": self.origin,
            "reading": self.reading,
            "witnesses": self.witnesses,
            "device_revoked_at": self.revoked_at,
            "pinned_keys": self.pinned,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def write_proof(doc: dict, path: str | Path) -> Path:
    """Write a proof document (indented JSON) atomically."""
    path = Path(path)
    atomic_write_text(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return path


def read_proof_file(path: str | Path) -> dict:
    """Read a proof file; :class:`ProofFileError` names the file and what is wrong (never a traceback)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PROOF_BYTES:
            raise ProofFileError(path, f"larger than {MAX_PROOF_BYTES} bytes: not a reading proof")
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise ProofFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProofFileError(path, f"is not JSON: {exc}") from None
    problem = proof_shape_problem(doc)
    if problem:
        raise ProofFileError(path, problem)
    return doc


def _hashes(v: object) -> bool:
    return isinstance(v, list) and len(v) <= MAX_HASHES and all(isinstance(h, str) and len(h) <= 64 for h in v)


def _included(v: object) -> bool:
    return (
        isinstance(v, dict)
        and type(v.get("index")) is int
        and isinstance(v.get("entry"), str)
        and _hashes(v.get("inclusion_proof"))
    )


def proof_shape_problem(doc: object) -> str | None:
    """What is structurally wrong with a proof document (None when its fields are all present and typed)."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("format") != PROOF_FORMAT:
        return f"format is {doc.get('format')!r}, want {PROOF_FORMAT!r}"
    reading = doc.get("reading")
    if not isinstance(reading, dict) or set(reading) != {"counter", "time", "value", "unit"}:
        return "reading must be {counter, time, value, unit}"
    for key in ("values_index", "values_size", "quorum"):
        if type(doc.get(key)) is not int or doc[key] < 0:
            return f"{key} must be a non-negative integer"
    for key in ("origin", "checkpoint", "meter_id"):
        if not isinstance(doc.get(key), str):
            return f"{key} must be a string"
    if not _hashes(doc.get("values_proof")):
        return "values_proof must be a list of base64 hashes"
    if not _included(doc.get("batch")):
        return "batch must be {index, entry, inclusion_proof}"
    entries = doc.get("device_entries")
    if not isinstance(entries, list) or len(entries) > 1000 or not all(_included(e) for e in entries):
        return "device_entries must be a list of {index, entry, inclusion_proof}"
    for key in ("log_keys", "witness_keys"):
        if not isinstance(doc.get(key), list) or not all(isinstance(k, str) for k in doc[key]):
            return f"{key} must be a list of verifier keys"
    return None


def _unb64_list(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v, validate=True) for v in values]


def _check_device_history(report: ProofReport, doc: dict, batch, device_entries: list) -> None:
    """``device-registered``: the batch's signer is the device key in force when the batch entry was appended (its
    registration, then each rotation before the batch, in log order); ``device-of-meter``: the registration names
    the proof's meter; ``device-not-revoked``: no revocation of the device precedes the batch in the log (a batch
    signed by a revoked device after its revocation is reported as such; one revoked later stays valid)."""
    body = batch.body
    history = sorted((e for e in device_entries
                      if e.body.get("device") == body["device"] and e.payload["log"] == doc["origin"]),
                     key=lambda e: e.index)  # fmt: skip
    registers = [e for e in history if e.type == "device.register"]
    key, keys, revoked = None, [], None
    for e in history:
        if e.index >= batch.index:
            break
        if e.type == "device.register" and key is None:
            key = body["device"]
        elif e.type == "device.rotate" and key is not None:
            key = e.body.get("new_key")
        elif e.type == "device.revoke" and revoked is None:
            revoked = e
        if key is not None and key not in keys:
            keys.append(key)
    if key is None:
        report.add("device-registered", False, f"no device.register entry for {body['device']} before batch entry "
                   f"{batch.index} in the proof")  # fmt: skip
    elif body["signer"] == key:
        report.add("device-registered", True, f"device {body['device']} registered at entry {registers[0].index}; "
                   f"the batch is signed by its key in force at entry {batch.index} ({len(keys)} key(s) by then)")  # fmt: skip
    else:
        earlier = " (an earlier key of the device, rotated away before the batch)" if body["signer"] in keys else ""
        report.add("device-registered", False, f"batch signed by {body['signer']}{earlier}, but the key of device "
                   f"{body['device']} at entry {batch.index} was {key}")  # fmt: skip
    named = registers[0].body.get("meter_id") if registers else None
    if doc["meter_id"] and named is not None:
        report.add("device-of-meter", named == doc["meter_id"],
                   f"device {body['device']} was registered for meter {named}"
                   + ("" if named == doc["meter_id"] else f", not {doc['meter_id']}"))  # fmt: skip
    later = next((e for e in history if e.type == "device.revoke" and e.index > batch.index), None)
    if revoked is not None:
        report.revoked_at = revoked.index
        report.add("device-not-revoked", False,
                   f"signed by a revoked device: batch entry {batch.index} comes after device {body['device']} was "
                   f"revoked at entry {revoked.index} ({revoked.body.get('reason', '')})")  # fmt: skip
    elif later is not None:
        report.revoked_at = later.index
        report.add("device-not-revoked", True,
                   f"device {body['device']} was in service when batch entry {batch.index} was anchored; it was "
                   f"revoked later, at entry {later.index} ({later.body.get('reason', '')})")  # fmt: skip
    else:
        report.add("device-not-revoked", True, f"no revocation of device {body['device']} in the proof")


def verify_reading_proof(
    doc: dict, *, log_keys: list[str] | None = None, witness_keys: list[str] | None = None
) -> ProofReport:
    """Verify a proof document offline. ``log_keys``/``witness_keys`` are the pinned vkeys (recommended); without
    them the keys in the file are used and the report says so (``pinned`` False)."""
    report = ProofReport(origin=str(doc.get("origin", "")) if isinstance(doc, dict) else "")
    problem = proof_shape_problem(doc)
    if problem:
        report.add("format", False, problem)
        return report
    report.meter_id, report.reading = doc["meter_id"], doc["reading"]
    try:
        batch = decode_entry(doc["batch"]["entry"].encode("utf-8"))
        body = batch.body
        values_root = bytes.fromhex(body["values_root"])
        device_entries = [decode_entry(e["entry"].encode("utf-8")) for e in doc["device_entries"]]
        values_proof = _unb64_list(doc["values_proof"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        report.add("format", False, f"the batch or a device entry cannot be decoded: {exc}")
        return report
    if batch.type != "metering.batch" or batch.payload["log"] != doc["origin"]:
        report.add("format", False, "the batch entry is not a metering.batch of this log")
        return report
    report.device = body["device"]
    # 1. reading -> values root
    reading = doc["reading"]
    index = doc["values_index"]
    try:
        leaf = reading_leaf(reading)
        verify_inclusion(index, doc["values_size"], leaf, values_proof, values_root)
        ok = doc["values_size"] == body["count"] and reading["counter"] == body["counter_first"] + index
        why = "" if ok else ": but its counter or the batch size disagrees"
        report.add("values-proof", ok, f"the reading is leaf {index} of the batch's {body['count']} readings{why}")
    except (ProofError, LedgerError, TypeError, ValueError) as exc:
        report.add("values-proof", False, f"the reading is not in the batch's values tree: {exc}")
    # 2. device signature and registration
    report.add("device-signature", _signature_ok(body),
               f"batch of counters {body['counter_first']}–{body['counter_last']} signed by {body['signer']}")  # fmt: skip
    _check_device_history(report, doc, batch, device_entries)
    # 3. the batch entry, signed and included
    report.add("entry-signature", batch.signature_ok(), f"entry {batch.index} signed by {batch.author}")
    try:
        log_verifiers = [NoteVerifier.from_vkey(k) for k in (log_keys or doc["log_keys"])]
        witness_verifiers = [NoteVerifier.from_vkey(k) for k in (witness_keys or doc["witness_keys"])]
        note = parse_note(doc["checkpoint"])
        cp = Checkpoint.parse(note.text)
    except LedgerError as exc:
        report.add("checkpoint-signature", False, f"the checkpoint or a key cannot be read: {exc}")
        return report
    # 3b. the checkpoint: signed by the log's key (before its root is trusted)
    report.pinned = bool(log_keys)
    if cp.origin != doc["origin"]:
        report.add("checkpoint-signature", False, f"the checkpoint is of log {cp.origin!r}, not {doc['origin']!r}")
        return report
    try:
        opened = open_note(note, log_verifiers + witness_verifiers)
        signed = any(v.sig_type != COSIGNATURE_TYPE for v, _ in opened.verified)
        report.witnesses = len({v.name for v, _ in opened.verified if v.sig_type == COSIGNATURE_TYPE})
        report.add("checkpoint-signature", signed, f"checkpoint of {cp.origin} size {cp.size} signed by "
                   + ("the pinned log key" if report.pinned else "the key in the file (not pinned)"))  # fmt: skip
    except LedgerError as exc:
        report.add("checkpoint-signature", False, str(exc))
        return report
    if not report.checks[-1].ok:
        return report
    for name, inc, entry in [("entry-included", doc["batch"], batch)] + [
        (f"device-entry-included[{e.index}]", d, e) for d, e in zip(doc["device_entries"], device_entries, strict=True)
    ]:
        try:
            if inc["index"] != entry.index:
                raise ValueError(f"index {inc['index']} is not the entry's own index {entry.index}")
            verify_inclusion(entry.index, cp.size, entry.leaf_hash, _unb64_list(inc["inclusion_proof"]), cp.root_hash)
            report.add(name, True, f"entry {entry.index} is in the log of size {cp.size}")
        except (ProofError, LedgerError, ValueError, binascii.Error) as exc:
            report.add(name, False, f"entry {entry.index} is not in the checkpointed log: {exc}")
    quorum = doc["quorum"] if witness_verifiers else 0
    report.add("witnessed", report.witnesses >= quorum,
               f"{report.witnesses} witness cosignature(s), quorum {quorum}")  # fmt: skip
    return report
