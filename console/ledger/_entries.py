"""Ledger entries: typed payloads in canonical JSON (RFC 8785), each signed by its author.

An entry's bytes (the Merkle leaf input) are the canonical JSON ``{"payload": P, "sig": S}`` where ``P`` is the
payload object and ``S`` the base64 Ed25519 signature by ``P.author`` (a ``did:key``) over
``b"gasops-ledger-entry/v1\\n" + canonical_json(P)``. Because canonical JSON sorts keys, the payload's bytes are a
fixed slice of the entry and a verifier checks the signature without re-encoding; any JSON tool can still parse the
entry and re-canonicalise ``P`` to check the same bytes.

The payload carries the log's origin, the entry's index and the hash of the previous leaf, so each entry is signed in
place: a row changed, deleted, reordered or inserted in the database breaks a signature or the chain at that index.

Entry types (``type``) and their bodies are listed in ``BODY_SCHEMAS``. Personal data never goes on the ledger:
bodies only take the fields listed, files are referenced by SHA-256 digest (the files live in the content-addressed
store), and people are referenced by key (``did:key``) or by a keyed digest (:func:`personal_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from console.ledger._canonical import b64, canonical_json, unb64
from console.ledger._errors import EntryRejected
from console.ledger._keys import SigningKey, public_from_did_key, verify_ed25519
from console.ledger._limits import load_json
from console.ledger._merkle import MerkleTree, leaf_hash

__all__ = [
    "ENTRY_DOMAIN",
    "BODY_SCHEMAS",
    "HAZARD_STEPS",
    "Entry",
    "encode_entry",
    "decode_entry",
    "check_body",
    "personal_digest",
    "attachment",
    "readings_root",
    "reading_leaf",
    "metering_statement",
    "sign_metering_batch",
    "changeset_digest",
]

ENTRY_DOMAIN = b"gasops-ledger-entry/v1\n"
METERING_DOMAIN = b"gasops-metering-batch/v1\n"
_PREFIX = b'{"payload":'
_SIG_SUFFIX_LEN = len(b',"sig":"') + 88 + len(b'"}')
HEX64 = re.compile(r"[0-9a-f]{64}")

# The hazard lifecycle (安全隐患: 上报 → 派单 → 整改 → 复核 → 销号); each step names the step it follows.
HAZARD_STEPS = ("reported", "assigned", "rectified", "verified", "closed")
HAZARD_PREVIOUS = {f"hazard.{b}": f"hazard.{a}" for a, b in zip(HAZARD_STEPS, HAZARD_STEPS[1:], strict=False)}
SEVERITIES = ("minor", "major", "critical")
SESSION_EVENTS = ("login", "logout", "lock", "unlock")
ALARM_ACTIONS = ("acknowledge", "shelve", "unshelve", "comment")
ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")

_str, _int, _num, _list, _dict = str, int, (int, float), list, dict
_ATTACH = ("attachments", _list, False)

# type -> tuple of (field, type, required)
BODY_SCHEMAS: dict[str, tuple[tuple[str, Any, bool], ...]] = {
    "log.genesis": (("origin", _str, True), ("org_key", _str, True), ("description", _str, False)),
    "key.org.rotate": (("new_key", _str, True), ("reason", _str, False)),
    "key.operator.enrol": (("operator", _str, True), ("role", _str, True), ("label_digest", _str, False)),
    "key.operator.revoke": (("operator", _str, True), ("reason", _str, False)),
    # roles are a comma-separated list (dispatcher,commander); a change of roles is a permission change on the record
    "key.operator.roles": (("operator", _str, True), ("role", _str, True), ("reason", _str, False)),
    # the audit log: who logged in, out, locked or switched, and which actions were refused to whom
    "audit.session": (("event", _str, True), ("operator", _str, True), ("workstation", _str, False)),
    "audit.denied": (("operator", _str, True), ("permission", _str, True), ("action", _str, False)),
    "audit.policy": (("digest", _str, True), ("summary", _str, False)),
    # an operator's step on an alarm (acknowledge, shelve, unshelve, comment), signed by that operator
    "alarm.action": (
        ("sensor", _str, True),
        ("alarm", _str, True),
        ("action", _str, True),
        ("reason", _str, False),
        ("until", _str, False),
        ("raised_at", _str, False),
    ),
    "device.register": (
        ("device", _str, True),
        ("kind", _str, True),
        ("meter_id", _str, False),
        ("site_digest", _str, False),
    ),
    "device.rotate": (("device", _str, True), ("new_key", _str, True), ("reason", _str, False)),
    "device.revoke": (("device", _str, True), ("reason", _str, True)),
    "metering.batch": (
        ("device", _str, True),
        ("signer", _str, True),
        ("counter_first", _int, True),
        ("counter_last", _int, True),
        ("start", _str, True),
        ("end", _str, True),
        ("count", _int, True),
        ("unit", _str, True),
        ("values_root", _str, True),
        ("values_file", _str, False),
        ("device_signature", _str, True),
    ),
    # what a meter's period holds (console.metering): complete, partial, missing or rejected, never silently completed
    "metering.period": (
        ("meter_id", _str, True),
        ("device", _str, True),
        ("start", _str, True),
        ("end", _str, True),
        ("expected", _int, True),
        ("received", _int, True),
        ("status", _str, True),
        ("signed_by", _str, False),
        ("batch_leaf", _str, False),
        ("first_total", _num, False),
        ("last_total", _num, False),
        ("quantity_nm3", _num, False),
        ("events", _list, False),
        ("problems", _list, False),
    ),
    # a custody-transfer day compared between two parties (交接计量比对), with both signed figures as evidence
    "metering.custody": (
        ("station", _str, True),
        ("day", _str, True),
        ("status", _str, True),
        ("utility", _dict, True),
        ("supplier", _dict, True),
        ("difference_nm3", _num, False),
        ("tolerance_nm3", _num, False),
        ("en", _num, False),
    ),
    "metering.balance": (
        ("area", _str, True),
        ("start", _str, True),
        ("end", _str, True),
        ("inflow_nm3", _num, True),
        ("consumption_nm3", _num, True),
        ("linepack_change_nm3", _num, True),
        ("ufg_nm3", _num, True),
        ("ufg_pct", _num, False),
        ("jump", _str, False),
    ),
    # a methane emission figure (甲烷排放) with its model, parameters and the digests of its inputs
    "emission.estimate": (
        ("scope", _str, True),
        ("subject", _str, True),
        ("start", _str, True),
        ("end", _str, True),
        ("ch4_t", _num, True),
        ("co2e_t", _num, True),
        ("gwp", _num, True),
        ("model", _str, True),
        ("parameters", _dict, True),
        ("inputs", _list, False),
    ),
    "hazard.reported": (
        ("hazard_id", _str, True),
        ("location", _dict, True),
        ("asset_id", _str, False),
        ("category", _str, True),
        ("severity", _str, True),
        ("description", _str, True),
        _ATTACH,
        ("reporter_digest", _str, False),
        ("observed_at", _str, False),
    ),
    "hazard.assigned": (
        ("hazard_id", _str, True),
        ("prev", _str, True),
        ("assignee", _str, True),
        ("due", _str, False),
        ("note", _str, False),
    ),
    "hazard.rectified": (("hazard_id", _str, True), ("prev", _str, True), ("description", _str, True), _ATTACH),
    "hazard.verified": (
        ("hazard_id", _str, True),
        ("prev", _str, True),
        ("result", _str, True),
        ("note", _str, False),
        _ATTACH,
    ),
    "hazard.closed": (("hazard_id", _str, True), ("prev", _str, True), ("note", _str, False)),
    "incident.action": (
        ("incident_id", _str, True),
        ("action", _str, True),
        ("detail", _str, False),
        ("prev", _str, False),
        ("feature_ids", _list, False),
        _ATTACH,
    ),
    # an incident (应急抢险), step by step: each step names the incident's previous step (prev), so its history is a
    # chain; callers, phone numbers and crew members appear only as keyed digests (console.dispatch builds bodies)
    "incident.opened": (
        ("incident_id", _str, True),
        ("source", _str, True),
        ("kind", _str, True),
        ("location", _dict, False),
        ("feature_id", _str, False),
        ("fraction", _num, False),
        ("description", _str, False),
        ("caller_digest", _str, False),
        ("phone_digest", _str, False),
        ("alarm", _str, False),
        ("hazard_id", _str, False),
        ("symptoms", _list, False),
    ),
    "incident.report": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("source", _str, True),
        ("description", _str, False),
        ("caller_digest", _str, False),
        ("phone_digest", _str, False),
        ("symptoms", _list, False),
    ),
    "incident.graded": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("grade", _str, True),
        ("households", _int, True),
        ("symptoms", _list, False),
        ("reasons", _list, False),
        ("table_digest", _str, False),
    ),
    "incident.planned": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("valves", _list, True),
        ("optional_valves", _list, False),
        ("failed", _list, False),
        ("customers", _int, True),
        ("households", _int, True),
        ("special_users", _int, False),
        ("gas_vented_nm3", _num, False),
        ("low_pressure_customers", _int, False),
        ("plan_sha256", _str, True),
        ("reason", _str, False),
        _ATTACH,
    ),
    "incident.dispatched": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("crew", _str, True),
        ("crew_kind", _str, False),
        ("steps", _list, True),
        ("route_m", _num, False),
        ("eta_s", _num, False),
    ),
    "incident.crew": (("incident_id", _str, True), ("prev", _str, True), ("crew", _str, True), ("status", _str, True)),
    "incident.valve": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("feature_id", _str, True),
        ("action", _str, True),
        ("crew", _str, False),
        ("note", _str, False),
    ),
    "incident.confirmed": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("feature_id", _str, True),
        ("result", _str, True),
        ("sensor", _str, False),
        ("value_pa", _num, False),
        ("expected_pa", _num, False),
    ),
    "incident.reading": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("quantity", _str, True),
        ("value", _num, True),
        ("unit", _str, True),
        ("feature_id", _str, False),
        ("location", _dict, False),
    ),
    "incident.notice": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("kind", _str, True),
        ("language", _str, True),
        ("customers", _int, True),
        ("special_users", _int, False),
        ("lead_time_h", _num, False),
        _ATTACH,
    ),
    "incident.purged": (("incident_id", _str, True), ("prev", _str, True), ("note", _str, False)),
    "incident.meter": (
        ("incident_id", _str, True),
        ("prev", _str, True),
        ("step", _str, True),
        ("meters", _list, True),
        ("crew", _str, False),
    ),
    "incident.closed": (("incident_id", _str, True), ("prev", _str, True), ("summary", _str, False)),
    "gis.changeset": (
        ("change_id", _str, True),
        ("network", _str, True),
        ("base_version", _int, False),
        ("edits", _int, True),
        ("digest", _str, True),
        ("summary", _str, False),
        # review before commit: submitted by its author (who signs the digest), approved or rejected by a reviewer
        ("decision", _str, False),
        ("author", _str, False),
        ("author_signature", _str, False),
        ("comment", _str, False),
    ),
}


def check_body(entry_type: str, body: Any) -> None:
    """Raise :class:`EntryRejected` unless ``body`` fits the schema of ``entry_type`` (no unknown fields)."""
    schema = BODY_SCHEMAS.get(entry_type)
    if schema is None:
        raise EntryRejected("unknown-type", f"entry type {entry_type!r} is not one of {sorted(BODY_SCHEMAS)}")
    if not isinstance(body, dict):
        raise EntryRejected("bad-body", f"{entry_type}: body must be an object")
    names = {name for name, _, _ in schema}
    extra = sorted(set(body) - names)
    if extra:
        raise EntryRejected(
            "unknown-field", f"{entry_type}: fields {extra} are not allowed (personal data goes off-ledger)"
        )
    for name, kind, required in schema:
        if name not in body:
            if required:
                raise EntryRejected("missing-field", f"{entry_type}: field {name!r} is required")
            continue
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise EntryRejected("bad-field", f"{entry_type}: field {name!r} has the wrong type")
    if "prev" in body and not HEX64.fullmatch(body["prev"]):
        raise EntryRejected("bad-field", f"{entry_type}: prev must be a lowercase hex SHA-256 leaf hash")
    if entry_type == "audit.session" and body["event"] not in SESSION_EVENTS:
        raise EntryRejected("bad-field", f"audit.session: event must be one of {SESSION_EVENTS}")
    if entry_type == "alarm.action" and body["action"] not in ALARM_ACTIONS:
        raise EntryRejected("bad-field", f"alarm.action: action must be one of {ALARM_ACTIONS}")
    if entry_type in ("key.operator.enrol", "key.operator.roles"):
        roles = body["role"].split(",")
        if not all(ROLE_NAME.fullmatch(r) for r in roles):
            raise EntryRejected("bad-field", f"{entry_type}: role must be comma-separated lowercase role names")
    if entry_type == "hazard.reported":
        loc = body["location"]
        if set(loc) != {"x", "y", "crs"} or not all(
            isinstance(loc[k], _num) and not isinstance(loc[k], bool) for k in ("x", "y")
        ):
            raise EntryRejected("bad-field", "hazard.reported: location must be {x, y, crs} with numeric x and y")
        if body["severity"] not in SEVERITIES:
            raise EntryRejected("bad-field", f"hazard.reported: severity must be one of {SEVERITIES}")
    for item in body.get("attachments", ()):
        if (
            not isinstance(item, dict)
            or not HEX64.fullmatch(str(item.get("sha256", "")))
            or set(item) - {"sha256", "media_type", "size"}
        ):
            raise EntryRejected(
                "bad-field", f"{entry_type}: attachments are {{sha256, media_type, size}} digests of stored files"
            )


@dataclass(frozen=True)
class Entry:
    """A decoded entry: its bytes, the payload object and the slice the author signed."""

    data: bytes
    payload: dict
    signature: bytes

    @property
    def payload_bytes(self) -> bytes:
        return self.data[len(_PREFIX) : -_SIG_SUFFIX_LEN]

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.data)

    @property
    def index(self) -> int:
        return self.payload["index"]

    @property
    def type(self) -> str:
        return self.payload["type"]

    @property
    def body(self) -> dict:
        return self.payload["body"]

    @property
    def author(self) -> str:
        return self.payload["author"]

    def signature_ok(self) -> bool:
        try:
            public = public_from_did_key(self.payload["author"])
        except (ValueError, KeyError, TypeError):
            return False
        return verify_ed25519(public, self.signature, ENTRY_DOMAIN + self.payload_bytes)

    def to_json(self) -> dict:
        return {"payload": self.payload, "sig": b64(self.signature), "leaf_hash": self.leaf_hash.hex()}


def encode_entry(
    author: SigningKey, *, origin: str, index: int, prev: bytes | None, entry_type: str, body: dict, time: str
) -> Entry:
    """Build and sign an entry (the body is checked against its schema first)."""
    check_body(entry_type, body)
    payload = {
        "v": 1,
        "log": origin,
        "index": index,
        "prev": prev.hex() if prev is not None else None,
        "type": entry_type,
        "time": time,
        "author": author.did,
        "body": body,
    }
    payload_bytes = canonical_json(payload)
    sig = author.sign(ENTRY_DOMAIN + payload_bytes)
    data = _PREFIX + payload_bytes + b',"sig":"' + b64(sig).encode("ascii") + b'"}'
    return Entry(data, payload, sig)


_PAYLOAD_KEYS = {"v", "log", "index", "prev", "type", "time", "author", "body"}


MAX_ENTRY_BYTES = 1 << 20


def decode_entry(data: bytes, *, strict: bool = True) -> Entry:
    """Parse entry bytes; ``strict`` also checks that the payload is canonical JSON. Raises ValueError for any input
    (wrong types, oversized or deeply nested JSON included), never anything else."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # a tampered row may hold TEXT
    elif isinstance(data, bytes | bytearray | memoryview):
        data = bytes(data)
    else:
        raise ValueError(f"not a ledger entry: stored as {type(data).__name__}, not bytes")
    if len(data) > MAX_ENTRY_BYTES:
        raise ValueError(f"entry of {len(data)} bytes is larger than the {MAX_ENTRY_BYTES} allowed")
    if not data.startswith(_PREFIX) or data[-_SIG_SUFFIX_LEN:][:8] != b',"sig":"' or not data.endswith(b'"}'):
        raise ValueError('not a ledger entry: want canonical {"payload": …, "sig": …}')
    payload_bytes = data[len(_PREFIX) : -_SIG_SUFFIX_LEN]
    payload = load_json(payload_bytes, "entry payload", max_bytes=MAX_ENTRY_BYTES)
    sig = unb64(data[-_SIG_SUFFIX_LEN + 8 : -2], "entry signature")
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_KEYS or len(sig) != 64:
        raise ValueError("entry payload does not have the v1 fields")
    if (
        payload["v"] != 1
        or type(payload["v"]) is not int
        or type(payload["index"]) is not int
        or not 0 <= payload["index"] < 2**63
        or not isinstance(payload["body"], dict)
        or not all(type(payload[k]) is str for k in ("log", "type", "time", "author"))
        or not (payload["prev"] is None or type(payload["prev"]) is str)
    ):
        raise ValueError("entry payload has a bad version, index, body or a field that is not text")
    if strict and not _is_canonical(payload, payload_bytes):
        raise ValueError("entry payload is not canonical JSON (RFC 8785)")
    return Entry(data, payload, sig)


_PLAIN_DUMPS = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _is_canonical(payload: dict, payload_bytes: bytes) -> bool:
    """``canonical_json(payload) == payload_bytes``, through the C encoder when that is provably the same.

    For ASCII text the json module's sorted, compact output differs from RFC 8785 only in numbers: integral
    floats, floats Python writes with an exponent, and integers beyond 2**53. Without those, equal bytes from the
    C encoder mean canonical bytes; otherwise (or for non-ASCII text) the full canonicaliser decides.
    """
    try:
        if payload_bytes.isascii() and _plain_numbers(payload) and _PLAIN_DUMPS(payload).encode() == payload_bytes:
            return True
        return canonical_json(payload) == payload_bytes
    except ValueError:
        return False


def _plain_numbers(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is dict:
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
        elif t is float:
            if v.is_integer() or "e" in repr(v):
                return False
        elif t is int and not -(2**53) < v < 2**53:
            return False
    return True


def personal_digest(value: str, secret: bytes) -> str:
    """Keyed digest (HMAC-SHA-256, hex) of personal data such as a reporter's phone number.

    The secret stays off-ledger, so a digest cannot be reversed by guessing the few million possible phone numbers,
    yet the holder of the record can show that a given value matches.
    """
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def attachment(data: bytes, media_type: str = "application/octet-stream") -> dict:
    """The ledger reference of an evidence file: its SHA-256, media type and size."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "media_type": media_type, "size": len(data)}


# --- metering evidence (计量数据存证) --------------------------------------------------------------------------------


def reading_leaf(reading: dict) -> bytes:
    """Leaf hash of one reading ``{counter, time, value, unit}`` in its batch's values tree."""
    return leaf_hash(canonical_json(reading))


def readings_root(readings: list[dict]) -> bytes:
    """Merkle root over the readings in counter order: any single reading is provable by an inclusion proof."""
    return MerkleTree([reading_leaf(r) for r in readings]).root()


def metering_statement(body: dict) -> bytes:
    """The bytes a metering device signs for a batch (the batch fields without the signature)."""
    fields = ("device", "signer", "counter_first", "counter_last", "start", "end", "count", "unit", "values_root")
    return METERING_DOMAIN + canonical_json({k: body[k] for k in fields})


def sign_metering_batch(device_key: SigningKey, device_id: str, readings: list[dict], unit: str) -> dict:
    """Body of a ``metering.batch`` entry: a device signs the counter range, times and the readings' Merkle root.

    ``readings`` are ``{"counter": int, "time": RFC 3339, "value": number}`` in increasing counter order.
    """
    if not readings:
        raise EntryRejected("empty-batch", "a metering batch needs at least one reading")
    normal = [
        {"counter": int(r["counter"]), "time": str(r["time"]), "value": r["value"], "unit": unit} for r in readings
    ]
    body = {
        "device": device_id,
        "signer": device_key.did,
        "counter_first": normal[0]["counter"],
        "counter_last": normal[-1]["counter"],
        "start": normal[0]["time"],
        "end": normal[-1]["time"],
        "count": len(normal),
        "unit": unit,
        "values_root": readings_root(normal).hex(),
    }
    body["device_signature"] = b64(device_key.sign(metering_statement(body)))
    return body


def changeset_digest(commands: list[Any]) -> tuple[str, int]:
    """SHA-256 (hex) of a GIS change set: the canonical JSON of each edit command's ``describe()``, and the count."""
    described = [c.describe() if hasattr(c, "describe") else c for c in commands]
    return hashlib.sha256(canonical_json(described)).hexdigest(), len(described)
