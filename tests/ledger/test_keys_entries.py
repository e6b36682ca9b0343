"""Keys (did:key, encrypted key files), canonical JSON, entries and the state rules they obey."""

from __future__ import annotations

import json
import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from console.ledger import (
    EntryRejected,
    KeyFileError,
    MerkleTree,
    SigningKey,
    canonical_json,
    decode_entry,
    did_key_from_public,
    load_key_file,
    public_from_did_key,
    reading_leaf,
    save_key_file,
    sign_metering_batch,
    verify_inclusion,
)
from console.ledger._entries import metering_statement
from tests.ledger.conftest import PASSPHRASE, reported

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_json_matches_rfc8785(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_canonical_json_edge_floats_and_key_order():
    for f in [
        1.0,
        1e21,
        1e-7,
        123456789012345680000.0,
        0.1,
        -0.0,
        5e-324,
        1.7976931348623157e308,
        1e16,
        9007199254740993.0,
    ]:
        assert canonical_json(f) == rfc8785.dumps(f)
    value = {"\U0001f600": 1, "\ue000": 2, "a": 3}  # UTF-16 order puts the surrogate pair before U+E000
    assert canonical_json(value) == rfc8785.dumps(value)


def test_did_key_round_trip():
    key = SigningKey.generate("d")
    did = did_key_from_public(key.public_key)
    assert did.startswith("did:key:z6Mk")  # the well-known prefix of Ed25519 did:keys (0xed01, base58btc)
    assert public_from_did_key(did) == key.public_key
    with pytest.raises(ValueError):
        public_from_did_key("did:key:zQ3s" + did[12:])


def test_key_file_is_encrypted_and_checks_the_passphrase(tmp_path):
    key = SigningKey.generate("gas.example/log", "organisation")
    path = save_key_file(tmp_path / "org.key.json", key, "s3cret", scrypt_n=2**10)
    text = path.read_text()
    from console.ledger._keys import _seed

    assert _seed(key).hex() not in text and "s3cret" not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_key_file(path, "s3cret").public_key == key.public_key
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_key_file(path, "guess")
    doc = json.loads(text)
    doc["role"] = "witness"  # the header is authenticated data
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError):
        load_key_file(path, "s3cret")
    assert "s3cret" not in repr(key) and _seed(key).hex() not in repr(key)


def test_hazard_lifecycle_steps_reference_each_other(make_node):
    node = make_node()
    r = node.append(*reported("H-1"))
    steps = [
        ("hazard.assigned", {"assignee": "crew-3"}),
        ("hazard.rectified", {"description": "replaced gasket"}),
        ("hazard.verified", {"result": "pass"}),
        ("hazard.closed", {}),
    ]
    prev = r.leaf_hash
    for t, body in steps:
        prev = node.append(t, {"hazard_id": "H-1", "prev": prev, **body}).leaf_hash
    assert node.state().hazards["H-1"].status == "closed"
    history = node.hazard_history("H-1")
    assert [e.type for e in history] == ["hazard.reported", *[t for t, _ in steps]]
    for before, after in zip(history, history[1:], strict=False):
        assert after.body["prev"] == before.leaf_hash.hex()


def test_invalid_hazard_transitions_are_rejected(make_node):
    node = make_node()
    r = node.append(*reported("H-2"))
    with pytest.raises(EntryRejected) as e:
        node.append("hazard.rectified", {"hazard_id": "H-2", "prev": r.leaf_hash, "description": "x"})
    assert e.value.reason == "invalid-transition"
    a = node.append("hazard.assigned", {"hazard_id": "H-2", "prev": r.leaf_hash, "assignee": "crew"})
    with pytest.raises(EntryRejected) as e:
        node.append("hazard.rectified", {"hazard_id": "H-2", "prev": r.leaf_hash, "description": "x"})
    assert e.value.reason == "stale-prev"
    with pytest.raises(EntryRejected) as e:
        node.append(*reported("H-2"))
    assert e.value.reason == "duplicate-hazard"
    with pytest.raises(EntryRejected) as e:
        node.append("hazard.assigned", {"hazard_id": "H-9", "prev": a.leaf_hash, "assignee": "crew"})
    assert e.value.reason == "unknown-hazard"
    with pytest.raises(EntryRejected) as e:
        node.append(*reported("H-3", reporter_name="Zhang San"))
    assert e.value.reason == "unknown-field"  # personal data has no field on the ledger
    size = node.size()
    assert node.verify().ok and node.size() == size


def _readings(first: int, n: int, value0: float = 100.0) -> list[dict]:
    return [{"counter": first + i, "time": f"2026-03-01T00:{i:02d}:00Z", "value": value0 + 0.5 * i} for i in range(n)]


def test_metering_batches_accepted_and_rejected_with_reasons(make_node):
    node = make_node()
    device = SigningKey.generate("meter-1", "device")
    node.append("device.register", {"device": device.did, "kind": "ultrasonic flow meter", "meter_id": "FM-001"})
    readings = _readings(1, 10)
    body = sign_metering_batch(device, device.did, readings, "Nm3")
    node.append("metering.batch", body)
    # Each reading is verifiable: its leaf is in the values tree the device signed.
    tree = MerkleTree([reading_leaf({**r, "unit": "Nm3"}) for r in readings])
    verify_inclusion(
        3, 10, reading_leaf({**readings[3], "unit": "Nm3"}), tree.inclusion_proof(3), bytes.fromhex(body["values_root"])
    )

    dup = sign_metering_batch(device, device.did, _readings(10, 5), "Nm3")
    with pytest.raises(EntryRejected) as e:
        node.append("metering.batch", dup)
    assert e.value.reason == "duplicate-counter"

    bad = sign_metering_batch(device, device.did, _readings(11, 5), "Nm3")
    bad["values_root"] = "0" * 64  # values changed after the device signed
    with pytest.raises(EntryRejected) as e:
        node.append("metering.batch", bad)
    assert e.value.reason == "bad-device-signature"

    other = SigningKey.generate("meter-x", "device")
    with pytest.raises(EntryRejected) as e:
        node.append("metering.batch", sign_metering_batch(other, other.did, _readings(1, 2), "Nm3"))
    assert e.value.reason == "unknown-device"

    node.append("device.revoke", {"device": device.did, "reason": "seal broken"})
    with pytest.raises(EntryRejected) as e:
        node.append("metering.batch", sign_metering_batch(device, device.did, _readings(20, 2), "Nm3"))
    assert e.value.reason == "revoked-device"
    assert node.verify().ok


def test_device_key_rotation(make_node):
    node = make_node()
    dev = SigningKey.generate("m", "device")
    node.append("device.register", {"device": dev.did, "kind": "meter"})
    new = SigningKey.generate("m2", "device")
    node.append("device.rotate", {"device": dev.did, "new_key": new.did})
    with pytest.raises(EntryRejected) as e:
        node.append("metering.batch", sign_metering_batch(dev, dev.did, _readings(1, 2), "Nm3"))
    assert e.value.reason == "wrong-device-key"
    node.append("metering.batch", sign_metering_batch(new, dev.did, _readings(1, 2), "Nm3"))
    assert node.state().devices[dev.did].last_counter == 2


def test_operators_and_org_key_rotation_keep_old_checkpoints_valid(make_node):
    node = make_node()
    node.add_operator("li", "op-pass")
    op = node.use_operator("li", "op-pass")
    r = node.append(*reported("H-5"))
    assert node.entry(r.index).author == op.did
    old_root, old_size = node.root(), node.size()
    node.rotate_org_key(PASSPHRASE)
    node.append(*reported("H-6"))
    report = node.verify()
    assert report.ok and report.logs[0].checkpoints_checked >= 4
    assert node.root(size=old_size) == old_root
    node.revoke_operator(op.did)
    with pytest.raises(EntryRejected) as e:
        node.append(*reported("H-7"))
    assert e.value.reason == "unauthorised"


def test_entries_are_canonical_and_signed_in_place(make_node):
    node = make_node()
    r = node.append(*reported("H-8", x=1e21, y=-0.0))
    entry = node.entry(r.index)
    assert json.loads(entry.data)["payload"] == entry.payload
    assert canonical_json(json.loads(entry.data)) == entry.data
    assert entry.signature_ok() and entry.leaf_hash.hex() == r.leaf_hash
    tampered = entry.data.replace(b"riser", b"valve")
    assert not decode_entry(tampered).signature_ok()
    assert math.isclose(entry.body["location"]["x"], 1e21)


def test_metering_statement_covers_every_batch_field():
    dev = SigningKey.generate("m", "device")
    body = sign_metering_batch(dev, dev.did, _readings(1, 3), "Nm3")
    for field in ("counter_first", "counter_last", "start", "end", "count", "unit", "values_root", "device"):
        changed = dict(body, **{field: body[field] + 1 if isinstance(body[field], int) else body[field] + "x"})
        assert metering_statement(changed) != metering_statement(body)
