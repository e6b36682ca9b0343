"""A meter swap (换表) in the middle of a period: the old device is revoked and a new one registered under the same
meter id, each numbering its readings from 0. Every anchored reading stays provable: a reading is addressed by meter
id + device + counter (an ambiguous meter id + counter is a clear error naming the devices), and the offline
verifier checks the old device's batch against the key registered for it at the time, while a batch a revoked
device signed after its revocation fails as such."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from console.cli import main
from console.ledger import MerkleTree, canonical_json, decode_entry, reading_leaf, sign_metering_batch
from console.ledger._state import (
    LogState,  # to let a revoked device's batch into a log (a log that failed to refuse it)
)
from console.metering import (
    UNIT,
    AmbiguousReading,
    Meter,
    MeterDevice,
    MeteringError,
    ReadingNotAnchored,
    build_reading_proof,
    verify_reading_proof,
)
from tests.metering.test_proof import rfc9162_verify

T = "2026-03-01T05:{:02d}:00Z"


def swapped_meter(svc):
    """GS-7's old device reads 05:05–05:30 and is swapped at 05:30 for a new device (its register starts at 0),
    which reads 05:35–06:00: one hourly period signed by two devices, both anchored."""
    old = MeterDevice.create("GS-7")
    svc.register_meter(Meter("GS-7", "gate", old.did, area="DMA-1", station="GS-7"))
    old.read("2026-03-01T05:00:00Z", 5000.0)  # counter 0: the opening total
    svc.submit([old.close_period()])
    for i in range(1, 7):  # counters 1..6
        old.read(T.format(5 * i), 5000 + 12.5 * i)
    svc.submit([old.close_period()])  # the old device's last readings are handed over before the swap
    assert [p.status for p in svc.anchor().periods] == ["partial", "partial"]
    new = MeterDevice.create("GS-7")
    svc.swap_meter("GS-7", new.did, "register failed its verification")
    for i in range(7, 13):  # counters 0..5 of the new device
        new.read(T.format(5 * i) if i < 12 else "2026-03-01T06:00:00Z", 12.5 * (i - 6))
    svc.submit([new.close_period()])
    report = svc.anchor()
    assert not report.rejected and report.batch_entries == 1
    return old, new


@pytest.fixture
def swapped(make_service):
    svc = make_service()
    old, new = swapped_meter(svc)
    return svc, old, new


def _verify(svc, out):
    return verify_reading_proof(json.loads(out.read_text()), log_keys=[svc.node.org_vkey])


def test_the_ledger_records_the_swap_and_the_meter_keeps_both_devices(swapped):
    svc, old, new = swapped
    assert svc.meter("GS-7").device == new.did
    devices = svc.devices_of("GS-7")
    assert [d["device"] for d in devices] == [old.did, new.did]
    assert devices[0]["revoked"] is not None and devices[1]["revoked"] is None
    revoke = svc.node.entry(devices[0]["revoked"])
    assert revoke.type == "device.revoke" and "meter swap of GS-7" in revoke.body["reason"]
    # the period's entries of both devices stay the meter's; the new register starting at 0 is a recorded reset
    periods = svc.period_bodies("GS-7")
    assert [(p["device"], p["end"]) for p in periods] == [
        (old.did, "2026-03-01T05:00:00Z"), (old.did, "2026-03-01T06:00:00Z"), (new.did, "2026-03-01T06:00:00Z")
    ]  # fmt: skip
    # each device's part of the hour is its own partial period entry (6 of 12 readings): never completed silently
    assert [p["status"] for p in periods[1:]] == ["partial", "partial"]
    assert [e["kind"] for e in periods[-1]["events"]] == ["reset", "missing"]
    assert periods[-1]["quantity_nm3"] == pytest.approx(62.5)  # 12.5 → 75.0; the swap interval is left out


def test_readings_before_and_after_the_swap_both_prove(swapped, tmp_path):
    svc, old, new = swapped
    for device, counter, value in [(old, 6, 5075.0), (old, 0, 5000.0), (new, 0, 12.5), (new, 5, 75.0)]:
        out = svc.prove("GS-7", counter, tmp_path / f"{counter}.json", device=device.did)
        doc = json.loads(out.read_text())
        assert doc["reading"]["counter"] == counter and doc["reading"]["value"] == value
        report = _verify(svc, out)
        assert report.ok, report.to_json()
        assert report.device == device.did and report.meter_id == "GS-7"
        checks = {c.name: c for c in report.checks}
        assert checks["device-of-meter"].ok and checks["device-registered"].ok
        if device is old:  # checked against the old device's registration; its later revocation noted, not held
            assert "revoked later" in checks["device-not-revoked"].detail and report.revoked_at is not None
        else:
            assert report.revoked_at is None
        # the reading's path to the batch's signed values root, by the independent RFC 9162 procedure
        body = decode_entry(doc["batch"]["entry"].encode("utf-8")).body
        proof = [base64.b64decode(h) for h in doc["values_proof"]]
        assert rfc9162_verify(doc["values_index"], doc["values_size"], reading_leaf(doc["reading"]), proof,
                              bytes.fromhex(body["values_root"]))  # fmt: skip
    # a counter only one device anchored needs no device
    out = svc.prove("GS-7", 6, tmp_path / "six.json")
    assert _verify(svc, out).device == old.did


def test_a_tampered_old_reading_fails(swapped, tmp_path):
    svc, old, _ = swapped
    doc = json.loads(svc.prove("GS-7", 4, tmp_path / "r.json", device=old.did).read_text())
    for change in ("value", "time", "counter"):
        bad = copy.deepcopy(doc)
        bad["reading"][change] = bad["reading"][change] + 1 if change != "time" else T.format(21)
        report = verify_reading_proof(bad, log_keys=[svc.node.org_vkey])
        assert not report.ok and report.failure == "values-proof", change
    # nor can the old reading pass as another meter's
    bad = copy.deepcopy(doc)
    bad["meter_id"] = "GS-8"
    report = verify_reading_proof(bad, log_keys=[svc.node.org_vkey])
    assert report.failure == "device-of-meter" and "registered for meter GS-7, not GS-8" in report.checks[3].detail


def test_an_ambiguous_meter_and_counter_is_a_clear_error(swapped, tmp_path):
    svc, old, new = swapped
    with pytest.raises(AmbiguousReading) as info:
        svc.prove("GS-7", 3, tmp_path / "x.json")
    message = str(info.value)
    assert "meter GS-7: reading 3 is ambiguous" in message and "--device" in message
    assert old.did in message and new.did in message and "revoked at entry" in message and "in service" in message
    assert [c["device"] for c in info.value.candidates] == [old.did, new.did]
    assert not (tmp_path / "x.json").exists()
    with pytest.raises(MeteringError, match=f"never signed for it; its devices: {old.did}, {new.did}"):
        svc.prove("GS-7", 3, tmp_path / "x.json", device=MeterDevice.create("X").did)
    with pytest.raises(ReadingNotAnchored, match=f"reading 6 \\(device {new.did}\\) was never anchored"):
        svc.prove("GS-7", 6, tmp_path / "x.json", device=new.did)
    with pytest.raises(ReadingNotAnchored, match="reading 40 \\(devices "):
        svc.prove("GS-7", 40, tmp_path / "x.json")


def test_a_batch_signed_after_the_revocation_is_reported(swapped, tmp_path, monkeypatch):
    """A log that let a revoked device's batch in (this ledger refuses it: the check is bypassed here) cannot make
    it verify: the proof holds the revocation before the batch."""
    svc, old, _ = swapped
    node = svc.node
    for minute in (35, 40):
        old.read(T.format(minute), 5100.0 + minute)  # the old device, still running after the swap: counters 7, 8
    readings = list(old.pending)
    body = sign_metering_batch(old.key, old.did, readings, UNIT)
    with pytest.raises(Exception, match="revoked"):
        node.append("metering.batch", body)
    root = MerkleTree([reading_leaf(r) for r in readings]).root().hex()
    assert root == body["values_root"]
    data = canonical_json({"format": "gasops-metering-readings/v1", "batches": {root: readings}})
    body["values_file"] = node.put_evidence(data, "application/json")["sha256"]
    monkeypatch.setattr(LogState, "_device", lambda self, device: self.devices[device])
    node.append("metering.batch", body)
    monkeypatch.undo()
    out = svc.prove("GS-7", 8, tmp_path / "late.json", device=old.did)
    report = _verify(svc, out)
    assert not report.ok and report.failure == "device-not-revoked"
    detail = next(c.detail for c in report.checks if c.name == "device-not-revoked")
    assert detail.startswith("signed by a revoked device") and f"revoked at entry {report.revoked_at}" in detail
    assert all(c.ok for c in report.checks if c.name not in ("device-not-revoked", "witnessed"))
    # the same through the offline function, straight from the ledger
    doc = build_reading_proof(node, old.did, 7, meter_id="GS-7")
    assert verify_reading_proof(doc, log_keys=[node.org_vkey]).failure == "device-not-revoked"


def test_a_proof_without_the_device_history_fails(swapped, tmp_path):
    svc, old, _ = swapped
    doc = json.loads(svc.prove("GS-7", 2, tmp_path / "r.json", device=old.did).read_text())
    bad = dict(doc, device_entries=[])
    report = verify_reading_proof(bad, log_keys=[svc.node.org_vkey])
    assert report.failure == "device-registered" and "no device.register entry" in report.checks[2].detail


def test_the_cli_names_the_devices_and_proves_with_device(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", "pw-meter")
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "L"
    assert main(["ledger", "init", "--ledger", str(folder), "--origin", "town.gas.example/ledger"]) == 0
    from console.app.ledger import LedgerService
    from console.app.metering import MeteringService

    ledger = LedgerService(folder)
    ledger.open("pw-meter")
    try:
        svc = MeteringService(ledger)
        old, new = swapped_meter(svc)
        vkey = svc.node.org_vkey
    finally:
        ledger.close()
    capsys.readouterr()
    L = ["--ledger", str(folder)]
    out = tmp_path / "p.json"
    assert main(["meter", "prove", *L, "GS-7", "3", str(out)]) == 1
    err = capsys.readouterr().err
    assert "reading 3 is ambiguous" in err and old.did in err and new.did in err and "Traceback" not in err
    assert not out.exists()
    assert main(["meter", "prove", *L, "GS-7", "3", str(out), "--device", old.did]) == 0
    assert f"(device {old.did})" in capsys.readouterr().out
    assert main(["meter", "verify-proof", str(out), "--log-key", vkey, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["device"] == old.did and report["device_revoked_at"] is not None


def test_the_training_meters_old_readings_prove_after_a_swap(tmp_path):
    """The gap this closes: ``gasops meter simulate --on-network --swap`` gives the training meters new devices;
    their earlier readings (signed by the revoked devices) still prove."""
    from console.hydraulics import simulate
    from tests.metering.test_training_keys import DAY0, _session
    from tests.ui.synthetic import district

    net = district(6)
    solved = (net, simulate(net))
    folder = tmp_path / "ledger"
    first = _session(folder, solved, create=True)
    first.train_network(days=1, start=DAY0, max_customers=3)
    gate = next(m for m in first.meters() if m.kind == "gate")
    first.ledger.close()
    (folder / "keys" / "metering-training.key.json").unlink()
    svc = _session(folder, solved)
    assert not svc.train_network(days=1, swap=True).rejected
    new = svc.meter(gate.meter_id).device
    assert new != gate.device and [d["device"] for d in svc.devices_of(gate.meter_id)] == [gate.device, new]
    with pytest.raises(AmbiguousReading, match="reading 5 is ambiguous"):
        svc.prove(gate.meter_id, 5, tmp_path / "x.json")
    for device in (gate.device, new):
        report = _verify(svc, svc.prove(gate.meter_id, 5, tmp_path / "r.json", device=device))
        assert report.ok and report.device == device, report.to_json()
    svc.ledger.close()
