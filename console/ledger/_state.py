"""The state a log's entries build up, replayed in order: keys, devices, hazards, metering counters.

Each entry is checked against the state before it (``check``) and then applied (``apply``). The same rules run when
the authoring node appends, when a follower syncs a peer's log, and when ``gasops ledger verify`` replays a log from
scratch, so an entry that is refused at append time is also refused if a peer's log contains it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from console.ledger._canonical import unb64
from console.ledger._entries import HAZARD_PREVIOUS, Entry, check_body, metering_statement
from console.ledger._errors import EntryRejected
from console.ledger._keys import public_from_did_key, verify_ed25519

__all__ = ["LogState", "DeviceRecord", "HazardRecord"]


@dataclass
class DeviceRecord:
    device: str
    key: str  # did:key that signs the device's readings now
    kind: str
    registered_index: int
    revoked_index: int | None = None
    last_counter: int = -1
    # Keys that signed for the device before a rotation: batches they signed stay verifiable.
    old_keys: list[str] = field(default_factory=list)

    def to_row(self) -> dict:
        return {
            "device": self.device,
            "key": self.key,
            "kind": self.kind,
            "registered_index": self.registered_index,
            "revoked_index": self.revoked_index,
            "last_counter": self.last_counter,
            "old_keys": self.old_keys,
        }


@dataclass
class HazardRecord:
    hazard_id: str
    status: str  # reported, assigned, rectified, verified, closed
    last_leaf: str  # hex leaf hash of the latest step
    first_index: int
    last_index: int

    def to_row(self) -> dict:
        return {k: getattr(self, k) for k in ("hazard_id", "status", "last_leaf", "first_index", "last_index")}


class LogState:
    """Keys, devices, hazards and incidents of one log after its first ``size`` entries."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.size = 0
        self.last_leaf: bytes | None = None
        self.org_keys: list[tuple[str, int]] = []  # (did, first tree size it signs)
        self.operators: dict[str, tuple[int, int | None]] = {}  # did -> (enrolled index, revoked index)
        self.operator_roles: dict[str, tuple[str, ...]] = {}  # did -> roles (from enrolment and role changes)
        self.devices: dict[str, DeviceRecord] = {}
        self.hazards: dict[str, HazardRecord] = {}
        self.incidents: dict[str, str] = {}  # incident id -> hex leaf of the latest action
        self.closed_incidents: set[str] = set()  # incidents with an incident.closed entry
        self.dirty: set[tuple[str, str]] = set()

    # -- keys ------------------------------------------------------------------------------------------------------

    @property
    def org_key(self) -> str | None:
        return self.org_keys[-1][0] if self.org_keys else None

    def org_key_for_size(self, size: int) -> str | None:
        """The organisation key that may sign a checkpoint of ``size`` (rotations take effect at the next size)."""
        current = None
        for did, first in self.org_keys:
            if first <= max(size, 1):
                current = did
        return current

    def active_operator(self, did: str) -> bool:
        """Enrolled and not revoked (as of the entries checked so far)."""
        enrolled = self.operators.get(did)
        return enrolled is not None and enrolled[1] is None

    def _authorised(self, author: str, entry_type: str) -> bool:
        if author == self.org_key:
            return True
        if entry_type.startswith("key.operator."):  # an administrator enrols, re-roles and revokes operators
            return self.active_operator(author) and "administrator" in self.operator_roles.get(author, ())
        if entry_type.startswith(("key.", "log.", "audit.policy")):
            return False
        return self.active_operator(author)

    # -- checking --------------------------------------------------------------------------------------------------

    def check(self, entry: Entry, *, verify_signature: bool = True, check_schema: bool = True) -> None:
        """Raise :class:`EntryRejected` (with a reason code) unless ``entry`` may follow the current state.

        ``check_schema=False`` skips the body schema check for an entry that :func:`encode_entry` built (and checked)
        a moment ago; every entry read from elsewhere gets the full check."""
        p = entry.payload
        if p["log"] != self.origin:
            raise EntryRejected("wrong-log", f"entry is for log {p['log']!r}, not {self.origin!r}")
        if p["index"] != self.size:
            raise EntryRejected("wrong-index", f"entry says index {p['index']} but the log has {self.size} entries")
        want_prev = self.last_leaf.hex() if self.last_leaf is not None else None
        if p["prev"] != want_prev:
            raise EntryRejected("broken-chain", f"entry {self.size} does not name the previous leaf hash")
        entry_type, body = p["type"], p["body"]
        if check_schema:
            check_body(entry_type, body)
        if verify_signature and not entry.signature_ok():
            raise EntryRejected("bad-signature", f"entry {self.size}: author signature does not verify")
        if entry_type == "log.genesis":
            if self.size != 0 or p["author"] != body["org_key"] or body["origin"] != self.origin:
                raise EntryRejected(
                    "bad-genesis", "log.genesis must be entry 0, name this log and be signed by its org key"
                )
            return
        if self.size == 0:
            raise EntryRejected("bad-genesis", "the first entry of a log must be log.genesis")
        if not self._authorised(p["author"], entry_type):
            raise EntryRejected(
                "unauthorised", f"author {p['author']} is not the organisation key or an enrolled operator"
            )
        if entry_type.startswith("incident.") and entry_type != "incident.action":
            self._check_incident_step(entry_type, body)
            return
        getattr(self, "_check_" + entry_type.replace(".", "_"), _no_check)(body)

    def _did(self, did: str, what: str) -> None:
        try:
            public_from_did_key(did)
        except ValueError as exc:
            raise EntryRejected("bad-did", f"{what}: {exc}") from exc

    def _check_key_org_rotate(self, body: dict) -> None:
        self._did(body["new_key"], "new organisation key")

    def _check_key_operator_enrol(self, body: dict) -> None:
        self._did(body["operator"], "operator")

    def _check_key_operator_revoke(self, body: dict) -> None:
        if body["operator"] not in self.operators:
            raise EntryRejected("unknown-operator", f"operator {body['operator']} was never enrolled")

    def _check_key_operator_roles(self, body: dict) -> None:
        if not self.active_operator(body["operator"]):
            raise EntryRejected("unknown-operator", f"operator {body['operator']} is not an active operator")

    def _check_device_register(self, body: dict) -> None:
        self._did(body["device"], "device id")
        if body["device"] in self.devices:
            raise EntryRejected("duplicate-device", f"device {body['device']} is already registered")

    def _device(self, device: str) -> DeviceRecord:
        record = self.devices.get(device)
        if record is None:
            raise EntryRejected("unknown-device", f"device {device} is not registered")
        if record.revoked_index is not None:
            raise EntryRejected("revoked-device", f"device {device} was revoked at entry {record.revoked_index}")
        return record

    def _check_device_rotate(self, body: dict) -> None:
        self._device(body["device"])
        self._did(body["new_key"], "new device key")

    def _check_device_revoke(self, body: dict) -> None:
        self._device(body["device"])

    def _check_metering_batch(self, body: dict) -> None:
        record = self._device(body["device"])
        if body["signer"] != record.key:
            raise EntryRejected(
                "wrong-device-key",
                f"batch signed by {body['signer']}, but device {body['device']} signs with {record.key}",
            )
        try:
            signature = unb64(body["device_signature"], "device signature")
        except ValueError as exc:
            raise EntryRejected("bad-device-signature", str(exc)) from exc
        if not verify_ed25519(public_from_did_key(body["signer"]), signature, metering_statement(body)):
            raise EntryRejected(
                "bad-device-signature",
                f"device {body['device']}: signature over counters {body['counter_first']}–{body['counter_last']} does not verify",
            )
        first, last = body["counter_first"], body["counter_last"]
        if first > last or body["count"] != last - first + 1:
            raise EntryRejected(
                "bad-counter-range", f"counter range {first}–{last} does not hold {body['count']} readings"
            )
        if first <= record.last_counter:
            raise EntryRejected(
                "duplicate-counter",
                f"device {body['device']}: counter {first} repeats (last recorded counter {record.last_counter})",
            )
        if body["start"] > body["end"]:
            raise EntryRejected("bad-time-range", f"batch starts {body['start']} after it ends {body['end']}")

    def _check_hazard_reported(self, body: dict) -> None:
        if body["hazard_id"] in self.hazards:
            raise EntryRejected("duplicate-hazard", f"hazard {body['hazard_id']} was already reported")
        loc = body["location"]
        if not (math.isfinite(loc["x"]) and math.isfinite(loc["y"])):
            raise EntryRejected("bad-field", "hazard location must be finite")

    def _check_hazard_step(self, entry_type: str, body: dict) -> None:
        record = self.hazards.get(body["hazard_id"])
        if record is None:
            raise EntryRejected("unknown-hazard", f"hazard {body['hazard_id']} was never reported")
        if "hazard." + record.status != HAZARD_PREVIOUS[entry_type]:
            raise EntryRejected(
                "invalid-transition",
                f"hazard {body['hazard_id']} is {record.status}; {entry_type.split('.')[1]} must follow {HAZARD_PREVIOUS[entry_type].split('.')[1]}",
            )
        if body["prev"] != record.last_leaf:
            raise EntryRejected(
                "stale-prev",
                f"hazard {body['hazard_id']}: prev must be the leaf hash of its latest step {record.last_leaf}",
            )

    def _check_hazard_assigned(self, body: dict) -> None:
        self._check_hazard_step("hazard.assigned", body)

    def _check_hazard_rectified(self, body: dict) -> None:
        self._check_hazard_step("hazard.rectified", body)

    def _check_hazard_verified(self, body: dict) -> None:
        self._check_hazard_step("hazard.verified", body)

    def _check_hazard_closed(self, body: dict) -> None:
        self._check_hazard_step("hazard.closed", body)

    def _check_incident_action(self, body: dict) -> None:
        last = self.incidents.get(body["incident_id"])
        if "prev" in body and body["prev"] != last:
            raise EntryRejected(
                "stale-prev", f"incident {body['incident_id']}: prev must be the latest action's leaf hash"
            )

    def _check_incident_step(self, entry_type: str, body: dict) -> None:
        """The typed incident steps (console.dispatch): opened once, then each step chained to the latest, none
        after closure."""
        iid = body["incident_id"]
        if entry_type == "incident.opened":
            if iid in self.incidents:
                raise EntryRejected("duplicate-incident", f"incident {iid} was already opened")
            return
        if iid not in self.incidents:
            raise EntryRejected("unknown-incident", f"incident {iid} was never opened")
        if iid in self.closed_incidents:
            raise EntryRejected("incident-closed", f"incident {iid} is closed: no step may follow")
        if body["prev"] != self.incidents[iid]:
            raise EntryRejected("stale-prev", f"incident {iid}: prev must be the latest step's leaf hash")

    # -- applying --------------------------------------------------------------------------------------------------

    def apply(self, entry: Entry, leaf: bytes) -> None:
        """Record an entry already checked (or verified) at index ``self.size``."""
        p = entry.payload
        entry_type, body, index = p["type"], p["body"], p["index"]
        if entry_type == "log.genesis":
            self.org_keys.append((body["org_key"], 0))
            self.dirty.add(("key", body["org_key"]))
        elif entry_type == "key.org.rotate":
            self.org_keys.append((body["new_key"], index + 1))
            self.dirty.add(("key", body["new_key"]))
        elif entry_type == "key.operator.enrol":
            self.operators[body["operator"]] = (index, None)
            self.operator_roles[body["operator"]] = tuple(body["role"].split(","))
            self.dirty.add(("operator", body["operator"]))
        elif entry_type == "key.operator.roles":
            self.operator_roles[body["operator"]] = tuple(body["role"].split(","))
            self.dirty.add(("operator", body["operator"]))
        elif entry_type == "key.operator.revoke":
            self.operators[body["operator"]] = (self.operators[body["operator"]][0], index)
            self.dirty.add(("operator", body["operator"]))
        elif entry_type == "device.register":
            self.devices[body["device"]] = DeviceRecord(body["device"], body["device"], body["kind"], index)
            self.dirty.add(("device", body["device"]))
        elif entry_type == "device.rotate":
            record = self.devices[body["device"]]
            record.old_keys.append(record.key)
            record.key = body["new_key"]
            self.dirty.add(("device", body["device"]))
        elif entry_type == "device.revoke":
            self.devices[body["device"]].revoked_index = index
            self.dirty.add(("device", body["device"]))
        elif entry_type == "metering.batch":
            self.devices[body["device"]].last_counter = body["counter_last"]
            self.dirty.add(("device", body["device"]))
        elif entry_type.startswith("hazard."):
            status = entry_type.split(".", 1)[1]
            hid = body["hazard_id"]
            if status == "reported":
                self.hazards[hid] = HazardRecord(hid, status, leaf.hex(), index, index)
            else:
                record = self.hazards[hid]
                record.status, record.last_leaf, record.last_index = status, leaf.hex(), index
            self.dirty.add(("hazard", hid))
        elif entry_type.startswith("incident."):
            self.incidents[body["incident_id"]] = leaf.hex()
            if entry_type == "incident.closed":
                self.closed_incidents.add(body["incident_id"])
            self.dirty.add(("incident", body["incident_id"]))
        self.size += 1
        self.last_leaf = leaf

    # -- persistence (rows in the store's state table) ----------------------------------------------------------------

    def rows(self, keys: set[tuple[str, str]] | None = None) -> list[dict]:
        """State rows ``{kind, key, value}`` for ``keys`` (default: the dirty ones)."""
        out = []
        for kind, key in sorted(self.dirty if keys is None else keys):
            if kind == "key":
                value = {"first_size": next(first for did, first in self.org_keys if did == key)}
            elif kind == "operator":
                value = {
                    "enrolled": self.operators[key][0],
                    "revoked": self.operators[key][1],
                    "roles": list(self.operator_roles.get(key, ())),
                }
            elif kind == "device":
                value = self.devices[key].to_row()
            elif kind == "hazard":
                value = self.hazards[key].to_row()
            else:
                value = {"last_leaf": self.incidents[key], **({"closed": True} if key in self.closed_incidents else {})}
            out.append({"kind": kind, "key": key, "value": value})
        return out

    @classmethod
    def from_rows(cls, origin: str, size: int, last_leaf: bytes | None, rows: list[tuple[str, str, dict]]) -> LogState:
        state = cls(origin)
        state.size, state.last_leaf = size, last_leaf
        keys = []
        for kind, key, value in rows:
            if kind == "key":
                keys.append((key, value["first_size"]))
            elif kind == "operator":
                state.operators[key] = (value["enrolled"], value["revoked"])
                state.operator_roles[key] = tuple(value.get("roles", ()))
            elif kind == "device":
                state.devices[key] = DeviceRecord(**value)
            elif kind == "hazard":
                state.hazards[key] = HazardRecord(**value)
            elif kind == "incident":
                state.incidents[key] = value["last_leaf"]
                if value.get("closed"):
                    state.closed_incidents.add(key)
        state.org_keys = sorted(keys, key=lambda kv: kv[1])
        return state


def _no_check(body: dict) -> None:
    return None
