"""The training simulator's device keys persist across sessions, encrypted at rest: a later session continues with
the same did:key identities, counters and totals (earlier readings still prove); a missing or changed key file is a
clear error, or, when asked, a meter swap recorded in the ledger — never a silent change of identity."""

from __future__ import annotations

import json
import logging

import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService
from console.hydraulics import simulate
from console.metering import TRAINING_KEY_FILE, TRAINING_STATE_FILE, MeteringError, verify_reading_proof
from tests.ui.synthetic import district

PASSPHRASE = "correct horse battery staple"
DAY0 = "2026-03-01T00:00:00Z"


@pytest.fixture(scope="module")
def solved():
    net = district(6)
    return net, simulate(net)


def _session(folder, solved, *, create=False) -> MeteringService:
    ledger = LedgerService(folder)
    if create:
        ledger.create("town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    else:
        ledger.open(PASSPHRASE)
    svc = MeteringService(ledger)
    svc.network, svc.result = solved
    return svc


def test_a_later_session_keeps_the_meters_identities(tmp_path, solved, caplog):
    folder = tmp_path / "ledger"
    caplog.set_level(logging.DEBUG)
    first = _session(folder, solved, create=True)
    first.train_network(days=1, start=DAY0, max_customers=5)
    devices = {m.meter_id: m.device for m in first.meters()}
    gate = next(m for m in first.meters() if m.kind == "gate")
    first.ledger.close()
    # at rest: one encrypted key file (scrypt + AES-256-GCM like the operators'), no seed anywhere else
    key_doc = json.loads((folder / TRAINING_KEY_FILE).read_text())
    assert key_doc["kdf"]["alg"] == "scrypt" and key_doc["cipher"]["alg"] == "AES-256-GCM"
    assert (folder / TRAINING_KEY_FILE).stat().st_mode & 0o077 == 0
    state = (folder / TRAINING_STATE_FILE).read_text()
    assert "seed" not in state and "private" not in state
    second = _session(folder, solved)
    report = second.train_network(days=1)
    assert not report.rejected and report.batch_entries > 0
    assert {m.meter_id: m.device for m in second.meters()} == devices  # same did:key for every meter
    periods = second.period_bodies(gate.meter_id)
    assert periods[-1]["end"] == "2026-03-03T00:00:00Z" and all(p["status"] == "complete" for p in periods[1:])
    assert not any(p.get("events") for p in periods[1:])  # totals and counters continued: no reset, no gap
    # readings of the first session and of the second both prove with the pinned log key
    for counter in (5, 12 * 24 + 5):
        out = second.prove(gate.meter_id, counter, tmp_path / f"r{counter}.json")
        doc = json.loads(out.read_text())
        check = verify_reading_proof(doc, log_keys=[second.node.org_vkey])
        assert all(c.ok for c in check.checks if c.name != "witnessed"), check.to_json()
    second.ledger.close()
    assert PASSPHRASE not in caplog.text and "seed" not in caplog.text.lower()


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_a_missing_or_changed_key_file_is_an_error_then_a_recorded_swap(tmp_path, solved, damage):
    folder = tmp_path / "ledger"
    first = _session(folder, solved, create=True)
    first.train_network(days=1, start=DAY0, max_customers=3)
    before = {m.meter_id: m.device for m in first.meters()}
    first.ledger.close()
    path = folder / TRAINING_KEY_FILE
    if damage == "missing":
        path.unlink()
    else:
        doc = json.loads(path.read_text())
        doc["ciphertext"] = doc["ciphertext"][:-8] + (
            "AAAAAAA=" if not doc["ciphertext"].endswith("AAAAAAA=") else "BBBBBBB="
        )
        path.write_text(json.dumps(doc))
    svc = _session(folder, solved)
    with pytest.raises(MeteringError, match="missing" if damage == "missing" else "does not decrypt"):
        svc.train_network(days=1)
    assert {m.meter_id: m.device for m in svc.meters()} == before  # nothing changed silently
    report = svc.train_network(days=1, swap=True)
    assert not report.rejected
    after = {m.meter_id: m.device for m in svc.meters()}
    assert set(after) == set(before) and all(after[m] != before[m] for m in before)
    node = svc.node
    types = [node.entry(i).type for i in range(node.size())]
    revoked = [node.entry(i).body for i in range(node.size()) if node.entry(i).type == "device.revoke"]
    assert len(revoked) == len(before) and all("meter swap" in r["reason"] for r in revoked)
    assert {r["device"] for r in revoked} == set(before.values())
    assert types.count("device.register") == 2 * len(before)
    # the old devices' readings are still in the ledger and the state records the revocation
    assert all(node.state().devices[d].revoked_index is not None for d in before.values())
    if damage == "changed":
        assert any(p.name.startswith("metering-training.key.json.replaced-") for p in (folder / "keys").iterdir())
    svc.ledger.close()
