"""Per-peer disclosure of metering evidence (按对等节点授权共享计量数据): a share file.

Ledger sync (``console.ledger`` pull) copies a peer's *whole* log: right between two utilities' nodes, wrong for a
supplier, who should see the batches of its own gate station and nothing of the utility's customers. A share gives a
peer exactly its scope — the meters of the stations (or the meter ids) listed for it — as a verifiable bundle:

* the ``device.register`` / ``device.rotate`` / ``device.revoke`` entries of the meters in scope, their
  ``metering.batch`` and ``metering.period`` entries, each entry's exact bytes with its RFC 6962 inclusion proof in
  the log;
* the signed checkpoint those proofs lead to, with its witnesses' cosignatures;
* the readings of each shared batch (they hash to the batch's signed ``values_root``), so the peer can prove a
  reading of its station itself;
* the meters' descriptions (kind, station, party, uncertainty).

Nothing else of the log travels: an inclusion proof holds only hashes of the other entries. The peer verifies the
file offline with the keys it pinned when it added the sender as a peer (:func:`verify_share`) — checkpoint
signature, witnesses against *its* quorum, each entry's signature and inclusion, each batch's device signature and
registration, each readings list against its root, every entry within the declared scope and the share addressed to
it — and only then imports it. The first failure is named (``ShareReport.failure``): ``format``, ``recipient``,
``checkpoint-signature``, ``witnessed``, ``entry-signature``, ``entry-included``, ``out-of-scope``,
``device-signature``, ``device-registered``, ``readings``.
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
from console.metering._device import Meter
from console.metering._errors import MeteringError
from console.metering._proof import COSIGNATURE_TYPE, MAX_HASHES, readings_of

__all__ = [
    "SHARE_FORMAT",
    "ShareError",
    "ShareReport",
    "build_share",
    "in_scope",
    "read_share_file",
    "verify_share",
    "write_share",
]

SHARE_FORMAT = "gasops-metering-share/v1"
MAX_SHARE_BYTES = 256 * 1024 * 1024
MAX_SHARE_ENTRIES = 2_000_000
SHARED_TYPES = ("device.register", "device.rotate", "device.revoke", "metering.batch", "metering.period")


class ShareError(MeteringError):
    """A share that cannot be read or did not verify: ``check`` is the first failed check (see the module)."""

    def __init__(self, source: str, check: str, detail: str) -> None:
        self.source, self.check, self.detail = source, check, detail
        super().__init__(f"{source}: metering share not accepted ({check}): {detail}")


def in_scope(meter: Meter, scope: dict) -> bool:
    """Whether ``meter`` is within a peer's scope ``{"stations": [...], "meters": [...]}``."""
    return meter.meter_id in scope.get("meters", ()) or bool(
        meter.station and meter.station in scope.get("stations", ())
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_share(node, meters: list[Meter], scope: dict, *, recipient: str, peer: str = "", created: str = "") -> dict:
    """The share document of ``meters`` (already filtered to ``scope``) from this node's own log for ``recipient``
    (the peer's log origin): every entry of those meters up to the latest checkpoint, with proofs to it."""
    origin = node.origin
    note = node.checkpoint_note(origin)
    if note is None:
        raise MeteringError(f"log {origin} has no checkpoint yet: anchor first")
    size = Checkpoint.parse(parse_note(note).text).size
    devices = {m.device for m in meters}
    ids = {m.meter_id for m in meters}
    indices: set[int] = set()
    for device in sorted(devices):
        for row in node.search(device=device, origin=origin):
            if row["type"] in SHARED_TYPES and row["idx"] < size:
                indices.add(row["idx"])
    entries, readings, files = [], {}, {}
    for index in sorted(indices):
        entry = node.entry(index, origin)
        body = entry.body
        if entry.type == "metering.period" and body.get("meter_id") not in ids:
            continue  # a device shared by two meters: only the periods in scope
        entries.append({"index": index, "entry": entry.data.decode("utf-8"),
                        "inclusion_proof": [_b64(h) for h in node.inclusion_proof(index, size, origin)]})  # fmt: skip
        if entry.type == "metering.batch" and body.get("values_file"):
            digest = body["values_file"]
            if digest not in files:
                try:
                    files[digest] = json.loads(node.get_evidence(digest))
                except (OSError, LedgerError, ValueError):
                    files[digest] = None  # the batch still travels; its readings are said to be absent
            if files[digest] is not None:
                try:
                    readings[body["values_root"]] = readings_of(files[digest], body["values_root"])
                except (KeyError, TypeError, ValueError):
                    pass
    return {
        "format": SHARE_FORMAT,
        "origin": origin,
        "recipient": recipient,
        "peer": peer,
        "created": created,
        "scope": {"stations": sorted(scope.get("stations", [])), "meters": sorted(scope.get("meters", []))},
        "meters": [m.to_json() for m in sorted(meters, key=lambda m: m.meter_id)],
        "entries": entries,
        "readings": readings,
        "checkpoint": note,
        "log_keys": [v.vkey for v in node.log_verifiers(origin)],
        "witness_keys": [v.vkey for v in node.witness_verifiers(exclude_origin=origin)],
        "quorum": node.quorum,
    }


def write_share(doc: dict, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def read_share_file(path: str | Path) -> dict:
    """Read a share file (size-capped); :class:`ShareError` names the file and the problem, never a traceback."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SHARE_BYTES:
            raise ShareError(str(path), "format", f"larger than {MAX_SHARE_BYTES} bytes")
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise ShareError(str(path), "format", f"cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ShareError(str(path), "format", f"not JSON: {exc}") from None
    problem = share_shape_problem(doc)
    if problem:
        raise ShareError(str(path), "format", problem)
    return doc


def _included(v: object) -> bool:
    return (
        isinstance(v, dict)
        and type(v.get("index")) is int
        and v["index"] >= 0
        and isinstance(v.get("entry"), str)
        and isinstance(v.get("inclusion_proof"), list)
        and len(v["inclusion_proof"]) <= MAX_HASHES
        and all(isinstance(h, str) and len(h) <= 64 for h in v["inclusion_proof"])
    )


def share_shape_problem(doc: object) -> str | None:
    """What is structurally wrong with a share document (None when every field is present and typed)."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("format") != SHARE_FORMAT:
        return f"format is {doc.get('format')!r}, want {SHARE_FORMAT!r}"
    for key in ("origin", "recipient", "peer", "created", "checkpoint"):
        if not isinstance(doc.get(key), str):
            return f"{key} must be a string"
    if type(doc.get("quorum")) is not int or doc["quorum"] < 0:
        return "quorum must be a non-negative integer"
    scope = doc.get("scope")
    if (
        not isinstance(scope, dict)
        or set(scope) != {"stations", "meters"}
        or not all(isinstance(scope[k], list) and all(isinstance(s, str) for s in scope[k]) for k in scope)
    ):
        return "scope must be {stations: [str], meters: [str]}"
    meters = doc.get("meters")
    if not isinstance(meters, list) or not all(isinstance(m, dict) for m in meters):
        return "meters must be a list of meter descriptions"
    entries = doc.get("entries")
    if not isinstance(entries, list) or len(entries) > MAX_SHARE_ENTRIES or not all(_included(e) for e in entries):
        return "entries must be a list of {index, entry, inclusion_proof}"
    readings = doc.get("readings")
    if not isinstance(readings, dict) or not all(
        isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in readings.values()
    ):
        return "readings must map a values root to a list of readings"
    for key in ("log_keys", "witness_keys"):
        if not isinstance(doc.get(key), list) or not all(isinstance(k, str) for k in doc[key]):
            return f"{key} must be a list of verifier keys"
    return None


@dataclass
class ShareReport:
    """The outcome of :func:`verify_share`: ``ok`` only when every check passed; the decoded entries and meters."""

    origin: str = ""
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    entries: list = field(default_factory=list)  # decoded Entry objects, in log order
    meters: list[Meter] = field(default_factory=list)
    size: int = 0
    witnesses: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    @property
    def failure(self) -> tuple[str, str] | None:
        """The first failed check and its detail."""
        return next(((n, d) for n, ok, d in self.checks if not ok), None)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append((name, ok, detail))
        return ok

    def to_json(self) -> dict:
        return {"ok": self.ok, "origin": self.origin, "size": self.size, "witnesses": self.witnesses,
                "entries": len(self.entries), "meters": [m.meter_id for m in self.meters],
                "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in self.checks]}  # fmt: skip


def verify_share(doc: dict, *, log_keys: list[str], witness_keys: list[str], quorum: int,
                 recipient: str | None = None) -> ShareReport:  # fmt: skip
    """Verify a share document offline against the pinned ``log_keys`` of its origin and the receiver's
    ``witness_keys`` and ``quorum`` (never the keys or quorum in the file); stops at the first failure."""
    report = ShareReport(origin=str(doc.get("origin", "")) if isinstance(doc, dict) else "")
    problem = share_shape_problem(doc)
    if problem:
        report.add("format", False, problem)
        return report
    origin = doc["origin"]
    if recipient is not None and doc["recipient"] != recipient:
        report.add(
            "recipient", False, f"the share is addressed to {doc['recipient']!r}, not to this node ({recipient})"
        )
        return report
    try:
        meters = [Meter.from_json(m) for m in doc["meters"]]
    except (TypeError, ValueError) as exc:
        report.add("format", False, f"a meter description is not valid: {exc}")
        return report
    outside = [m.meter_id for m in meters if not in_scope(m, doc["scope"])]
    if outside:
        report.add("out-of-scope", False, f"meter(s) {', '.join(outside[:5])} are not within the share's scope")
        return report
    report.meters = meters
    # 1. the checkpoint, signed by a pinned key of the origin's log and witnessed to the receiver's quorum
    if not log_keys:
        report.add("checkpoint-signature", False, f"no pinned key of log {origin}: add its node as a peer first")
        return report
    try:
        verifiers = [NoteVerifier.from_vkey(k) for k in log_keys]
        witnesses = [NoteVerifier.from_vkey(k) for k in witness_keys]
        note = parse_note(doc["checkpoint"])
        cp = Checkpoint.parse(note.text)
    except LedgerError as exc:
        report.add("checkpoint-signature", False, f"the checkpoint or a key cannot be read: {exc}")
        return report
    if cp.origin != origin:
        report.add("checkpoint-signature", False, f"the checkpoint is of log {cp.origin!r}, not {origin!r}")
        return report
    try:
        opened = open_note(note, verifiers + witnesses)
    except LedgerError as exc:
        report.add("checkpoint-signature", False, f"not signed by a pinned key of {origin}: {exc}")
        return report
    if not report.add("checkpoint-signature", any(v.sig_type != COSIGNATURE_TYPE for v, _ in opened.verified),
                      f"checkpoint of {origin} size {cp.size} signed by its pinned key"):  # fmt: skip
        return report
    report.size = cp.size
    report.witnesses = len({v.name for v, _ in opened.verified if v.sig_type == COSIGNATURE_TYPE})
    if not report.add("witnessed", report.witnesses >= quorum,
                      f"{report.witnesses} witness cosignature(s), this node's quorum {quorum}"):  # fmt: skip
        return report
    # 2. each entry: its bytes signed, of this log, at its index, in the checkpointed tree, within the scope
    devices = {m.device: m for m in meters}
    ids = {m.meter_id for m in meters}
    registered: dict[str, set[str]] = {}
    for inc in doc["entries"]:
        try:
            entry = decode_entry(inc["entry"].encode("utf-8"))
            if entry.payload["log"] != origin or entry.index != inc["index"]:
                raise ValueError(f"entry {inc['index']} is not entry {inc['index']} of log {origin}")
        except (LedgerError, ValueError, KeyError, TypeError) as exc:
            report.add("format", False, f"entry {inc.get('index')} cannot be decoded: {exc}")
            return report
        if not entry.signature_ok():
            report.add("entry-signature", False, f"entry {entry.index}: its author's signature does not verify")
            return report
        try:
            proof = [base64.b64decode(h, validate=True) for h in inc["inclusion_proof"]]
            verify_inclusion(entry.index, cp.size, entry.leaf_hash, proof, cp.root_hash)
        except (ProofError, LedgerError, ValueError, binascii.Error) as exc:
            report.add("entry-included", False, f"entry {entry.index} is not in the checkpointed log: {exc}")
            return report
        body = entry.body
        device = body.get("device")
        if (
            entry.type not in SHARED_TYPES
            or device not in devices
            or (entry.type == "metering.period" and body.get("meter_id") not in ids)
        ):
            report.add("out-of-scope", False, f"entry {entry.index} ({entry.type} of "
                       f"{body.get('meter_id') or device}) is outside the share's scope")  # fmt: skip
            return report
        if entry.type == "device.register":
            registered.setdefault(device, set()).add(device)
        elif entry.type == "device.rotate":
            registered.setdefault(device, set()).add(str(body.get("new_key")))
        elif entry.type == "metering.batch":
            if not _signature_ok(body):
                report.add("device-signature", False, f"entry {entry.index}: the device's signature does not verify")
                return report
            if body["signer"] not in registered.get(device, ()):
                report.add("device-registered", False,
                           f"entry {entry.index}: signer {body['signer']} is not a registered key of {device}")  # fmt: skip
                return report
        report.entries.append(entry)
    report.add("entry-included", True, f"{len(report.entries)} entries signed and included in size {cp.size}")
    # 3. the readings: each list hashes to a shared batch's signed values root
    roots = {e.body["values_root"]: e.body for e in report.entries if e.type == "metering.batch"}
    for root, readings in doc["readings"].items():
        body = roots.get(root)
        if body is None:
            report.add("out-of-scope", False, f"readings under {root[:16]}… belong to no shared batch")
            return report
        try:
            tree_root = MerkleTree([reading_leaf(r) for r in readings]).root().hex()
        except (LedgerError, ValueError, TypeError, KeyError) as exc:
            report.add("readings", False, f"readings of batch {root[:16]}… cannot be hashed: {exc}")
            return report
        if tree_root != root or len(readings) != body["count"]:
            report.add("readings", False, f"the readings of batch {root[:16]}… do not hash to its signed root")
            return report
    report.add("readings", True, f"{len(doc['readings'])} batch(es) of readings match their signed roots")
    return report
