"""Proof of one reading (单条读数证明): reading → batch values root → device signature → ledger entry → signed,
witnessed checkpoint, in one small JSON file that anyone verifies offline with the log's pinned key.

The file (``gasops-reading-proof/v1``) holds the reading, its RFC 6962 inclusion proof in the batch's values tree,
the ``metering.batch`` entry bytes and their inclusion proof in the log, the device's ``device.register`` (and
``device.rotate``) entries with theirs, the checkpoint note with its cosignatures, and the keys. Verification steps
(each a check in the report; the first failure names its code):

1. ``values-proof``: the reading's leaf hash and its proof give the batch's signed ``values_root``.
2. ``device-signature``: the device key signed the batch statement; ``device-registered``: that key is the device's
   registered key or one it rotated to, by entries included in the same log.
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


def build_reading_proof(node, device: str, counter: int, *, meter_id: str = "", origin: str | None = None) -> dict:
    """The proof document of the reading with ``counter`` from ``device`` in log ``origin`` (default: own log).

    Raises :class:`ReadingNotAnchored` when no anchored batch holds that counter.
    """
    origin = origin or node.origin
    rows = node.search(device=device, origin=origin)
    batch_entry = None
    device_rows = []
    for row in rows:
        if row["type"] in ("device.register", "device.rotate"):
            device_rows.append(row["idx"])
        elif row["type"] == "metering.batch" and batch_entry is None:
            entry = node.entry(row["idx"], origin)
            if entry.body["counter_first"] <= counter <= entry.body["counter_last"]:
                batch_entry = entry
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
    keys = []
    for e in device_entries:
        if e.body.get("device") != body["device"] or e.payload["log"] != doc["origin"]:
            continue
        keys.append(e.body["device"] if e.type == "device.register" else e.body.get("new_key"))
    report.add("device-registered", bool(keys) and body["signer"] in keys,
               f"device {body['device']} registered ({len(keys)} key(s) in its history)" if keys
               else f"no device.register entry for {body['device']} in the proof")  # fmt: skip
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
