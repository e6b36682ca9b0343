"""Proof of one reading, end to end through the ledger, checked by an independent RFC 6962 / RFC 9162 verifier and
against deliberately broken proofs (transparency-dev/merkle's vectors: wrong leaf, a bit flipped, trailing garbage)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ledger import SigningKey, canonical_json
from console.metering import (
    Meter,
    MeterDevice,
    ProofFileError,
    ReadingNotAnchored,
    read_proof_file,
    verify_reading_proof,
)
from tests.ledger.rfc6962_reference import mth, path


def rfc9162_verify(index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step as written."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def anchored_meter(svc, readings=12):
    device = MeterDevice.create("GS-7")
    svc.register_meter(Meter("GS-7", "gate", device.did, area="DMA-1", station="GS-7"))
    device.read("2026-03-01T05:00:00Z", 5000.0)  # the opening total closes the 04–05 hour
    svc.submit([device.close_period()])
    for i in range(readings):
        device.read(f"2026-03-01T05:{5 * (i + 1):02d}:00Z" if i < 11 else "2026-03-01T06:00:00Z", 5000 + 12.5 * (i + 1))
    svc.submit([device.close_period()])
    report = svc.anchor()
    assert [p.status for p in report.periods] == ["partial", "complete"] and report.batch_entries == 2
    return device


@pytest.fixture
def proved(make_service, tmp_path):
    svc = make_service()
    device = anchored_meter(svc)
    out = svc.prove("GS-7", 5, tmp_path / "reading.json")
    return svc, device, json.loads(out.read_text()), out


def test_a_reading_proof_verifies_offline_with_the_pinned_key(proved):
    svc, device, doc, out = proved
    assert doc["reading"] == {"counter": 5, "time": "2026-03-01T05:25:00Z", "value": 5062.5, "unit": "Nm3"}
    report = svc.verify_proof(out, log_keys=[svc.node.org_vkey])
    assert report.ok, report.to_json()
    assert report.pinned and report.device == device.did
    assert [c.name for c in report.checks] == [
        "values-proof", "device-signature", "device-registered", "device-of-meter", "device-not-revoked",
        "entry-signature", "checkpoint-signature",
        "entry-included", f"device-entry-included[{doc['device_entries'][0]['index']}]", "witnessed",
    ]  # fmt: skip
    assert out.stat().st_size < 8000  # a small file


def test_the_proofs_agree_with_the_rfc_reference(proved):
    svc, device, doc, _ = proved
    batch = json.loads(doc["batch"]["entry"])["payload"]["body"]
    readings = [{"counter": c, "time": f"2026-03-01T05:{5 * (c):02d}:00Z" if c < 12 else "2026-03-01T06:00:00Z",
                 "value": 5000 + 12.5 * c, "unit": "Nm3"} for c in range(1, 13)]  # fmt: skip
    leaves = [canonical_json(r) for r in readings]
    assert mth(leaves).hex() == batch["values_root"]
    i = doc["values_index"]
    proof = [base64.b64decode(h) for h in doc["values_proof"]]
    assert proof == path(i, leaves)
    leaf = hashlib.sha256(b"\x00" + leaves[i]).digest()
    assert rfc9162_verify(i, len(leaves), leaf, proof, bytes.fromhex(batch["values_root"]))
    # the batch entry in the log, against the checkpoint's root
    node = svc.node
    entries = [node.entry(k).data for k in range(node.size())]
    k = doc["batch"]["index"]
    root = base64.b64decode(doc["checkpoint"].split("\n")[2])
    assert mth(entries) == root
    assert [base64.b64decode(h) for h in doc["batch"]["inclusion_proof"]] == path(k, entries)
    assert rfc9162_verify(k, len(entries), hashlib.sha256(b"\x00" + entries[k]).digest(),
                          path(k, entries), root)  # fmt: skip


def broken(doc, how):
    d = copy.deepcopy(doc)
    if how == "wrong-reading":
        d["reading"]["value"] += 0.001
    elif how == "wrong-index":
        d["values_index"] += 1
    elif how == "modified-values-proof[0]-bit-@3":
        h = bytearray(base64.b64decode(d["values_proof"][0]))
        h[3] ^= 1
        d["values_proof"][0] = base64.b64encode(bytes(h)).decode()
    elif how == "truncated-values-proof":
        d["values_proof"] = d["values_proof"][:-1]
    elif how == "modified-entry-proof[0]":
        h = bytearray(base64.b64decode(d["batch"]["inclusion_proof"][0]))
        h[0] ^= 0x80
        d["batch"]["inclusion_proof"][0] = base64.b64encode(bytes(h)).decode()
    elif how == "changed-batch-entry":
        d["batch"]["entry"] = d["batch"]["entry"].replace(
            '"end":"2026-03-01T06:00:00Z"', '"end":"2026-03-01T06:00:01Z"'
        )
    elif how == "no-device-entry":
        d["device_entries"] = []
    elif how == "changed-checkpoint":
        lines = d["checkpoint"].split("\n")
        lines[1] = str(int(lines[1]) + 1)
        d["checkpoint"] = "\n".join(lines)
    return d


@pytest.mark.parametrize(
    ("how", "failure"),
    [
        ("wrong-reading", "values-proof"),
        ("wrong-index", "values-proof"),
        ("modified-values-proof[0]-bit-@3", "values-proof"),
        ("truncated-values-proof", "values-proof"),
        ("modified-entry-proof[0]", "entry-included"),
        ("changed-batch-entry", "device-signature"),
        ("no-device-entry", "device-registered"),
        ("changed-checkpoint", "checkpoint-signature"),
    ],
)
def test_broken_proofs_fail_with_their_own_reason(proved, how, failure):
    svc, _, doc, _ = proved
    report = verify_reading_proof(broken(doc, how), log_keys=[svc.node.org_vkey])
    assert not report.ok
    assert report.failure == failure, report.to_json()


def test_a_proof_checked_against_another_log_key_fails(proved):
    _, _, doc, _ = proved
    from console.ledger import NoteVerifier

    stranger = NoteVerifier.for_key(doc["origin"], SigningKey.generate("x", "organisation")).vkey
    report = verify_reading_proof(doc, log_keys=[stranger])
    assert not report.ok and report.failure == "checkpoint-signature"
    unpinned = verify_reading_proof(doc)
    assert unpinned.ok and not unpinned.pinned  # the file's own key: reported as not pinned


def test_bad_proof_files_are_reported_by_name(proved, tmp_path):
    _, _, doc, out = proved
    garbage = tmp_path / "garbage.json"
    garbage.write_text(out.read_text() + "trailing garbage")
    with pytest.raises(ProofFileError, match="garbage.json: is not JSON"):
        read_proof_file(garbage)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**doc, "format": "x"}))
    with pytest.raises(ProofFileError, match="format is 'x'"):
        read_proof_file(wrong)
    with pytest.raises(ProofFileError, match="cannot be read"):
        read_proof_file(tmp_path / "absent.json")


def test_a_reading_never_anchored_has_no_proof(proved, tmp_path):
    svc, *_ = proved
    with pytest.raises(ReadingNotAnchored, match="reading 99"):
        svc.prove("GS-7", 99, tmp_path / "x.json")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_of_a_hash_fails(proved, data):
    svc, _, doc, _ = proved
    where = data.draw(st.sampled_from(["values_proof", "batch"]))
    hashes = doc["values_proof"] if where == "values_proof" else doc["batch"]["inclusion_proof"]
    i = data.draw(st.integers(0, len(hashes) - 1))
    bit = data.draw(st.integers(0, 255))
    d = copy.deepcopy(doc)
    target = d["values_proof"] if where == "values_proof" else d["batch"]["inclusion_proof"]
    h = bytearray(base64.b64decode(target[i]))
    h[bit // 8] ^= 1 << (bit % 8)
    target[i] = base64.b64encode(bytes(h)).decode()
    assert not verify_reading_proof(d, log_keys=[svc.node.org_vkey]).ok


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_verifier_is_total_on_any_json(proved, data):
    """Any field replaced by any JSON value: a report (never ok unless unchanged in meaning), never an exception."""
    svc, _, doc, _ = proved
    d = copy.deepcopy(doc)
    section = data.draw(st.sampled_from(["top", "reading", "batch"]))
    target = d if section == "top" else d[section]
    key = data.draw(st.sampled_from(sorted(target)))
    target[key] = data.draw(json_values)
    report = verify_reading_proof(d, log_keys=[svc.node.org_vkey])
    assert isinstance(report.ok, bool)
    if report.ok:
        assert d["reading"] == doc["reading"] and d["batch"]["entry"] == doc["batch"]["entry"]
