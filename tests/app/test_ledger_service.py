"""The ledger service with no QApplication: create a ledger, report a hazard and take it through its lifecycle
(上报 → 派单 → 整改 → 复核 → 销号), read the register, verify, unlock (and fail to), follow peers and sync with one."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from pyproj import CRS

from console.app.hazards import next_step, report_body
from console.app.jobs import Jobs
from console.app.ledger import (
    PASSPHRASE_ENV,
    HazardStepRefused,
    LedgerLocked,
    LedgerService,
    SyncReport,
    WrongPassphrase,
)
from console.app.workspace import Workspace
from console.ledger import HAZARD_STEPS, LedgerError, LedgerNode, LedgerServer, leaf_hash

PASSPHRASE = "correct horse battery staple"
ORIGIN = "ledger.test-gas.example/city"
X, Y = 500_550.0, 3_400_450.0
STEP_FIELDS = {
    "assigned": {"assignee": "crew-3", "due": "2026-12-01"},
    "rectified": {"description": "replaced the corroded coupling"},
    "verified": {"result": "pass", "note": "site visit"},
    "closed": {"note": "closed"},
}


class Events:
    """Every signal of a service, in the order they came."""

    def __init__(self, service: LedgerService) -> None:
        self.seen: list[tuple] = []
        for name in ("opened", "closed", "hazards_changed", "hazard_signed", "verified", "verify_failed", "synced",
                     "failed", "busy_changed"):  # fmt: skip
            getattr(service, name).connect(lambda *args, _n=name: self.seen.append((_n, *args)))

    def names(self) -> list[str]:
        return [e[0] for e in self.seen]

    def of(self, name: str) -> list[tuple]:
        return [e[1:] for e in self.seen if e[0] == name]


@pytest.fixture
def service(tmp_path):
    svc = LedgerService(tmp_path / "ledger", jobs=Jobs())
    svc.set_network(None, "test", CRS.from_epsg(4529))
    svc.create(ORIGIN, PASSPHRASE, scrypt_n=2**10)  # fast key derivation
    yield svc
    svc.close()


def _report(svc: LedgerService, **kw):
    args = {"category": "leak", "severity": "major", "description": "gas smell at the riser", **kw}
    return svc.report_hazard(X, Y, **args)


def test_a_new_ledger_is_open_with_an_empty_register(tmp_path):
    svc = LedgerService(tmp_path / "ledger")
    events = Events(svc)
    assert svc.state == "none" and svc.node is None
    with pytest.raises(LedgerLocked, match="no ledger yet"):
        svc.report_hazard(X, Y, category="leak", severity="major", description="x")
    svc.create(ORIGIN, PASSPHRASE, scrypt_n=2**10)
    assert svc.state == "open" and svc.node.origin == ORIGIN
    assert events.names() == ["hazards_changed", "opened"]
    assert svc.hazards() == [] and svc.status.size == 1  # the genesis entry
    svc.close()
    assert svc.state == "locked" and events.names()[-1] == "closed"


def test_report_a_hazard_signs_the_body_the_service_builds(service, tmp_path):
    photo = tmp_path / "riser.jpg"
    photo.write_bytes(b"\xff\xd8\xff jpeg bytes of a photo")
    events = Events(service)
    result = _report(service, asset_id="PH5_4", actor="inspector-07", files=[photo])

    (row,) = service.hazards()
    assert events.of("hazard_signed") == [(row.hazard_id, "reported", result)]
    assert events.names() == ["hazards_changed", "hazard_signed"]  # the register is current when it is announced
    assert (row.status, row.severity, row.category, row.asset_id) == ("reported", "major", "leak", "PH5_4")
    assert (row.x, row.y, row.crs) == (X, Y, "EPSG:4529")
    assert row.hazard_id.startswith("HZ-") and result.index == 1

    entry = service.node.hazard_history(row.hazard_id)[0]
    (ref,) = entry.body["attachments"]
    assert service.node.get_evidence(ref["sha256"]) == photo.read_bytes() and ref["media_type"] == "image/jpeg"
    assert "inspector-07" not in entry.data.decode("utf-8")  # the reporter only as a keyed digest
    assert entry.body == report_body(
        row.hazard_id, X, Y, "EPSG:4529", category="leak", severity="major", description="gas smell at the riser",
        asset_id="PH5_4", reporter_digest=service.node.personal_digest("inspector-07"), attachments=[ref],
    )  # fmt: skip


def test_a_hazard_advances_through_its_lifecycle_and_the_register_follows(service):
    _report(service)
    (row,) = service.hazards()
    hazard_id = row.hazard_id
    assert service.next_step(hazard_id) == "assigned"
    for step in HAZARD_STEPS[1:]:
        service.advance_hazard(hazard_id, step, STEP_FIELDS[step])
        assert service.hazard(hazard_id).status == step
        assert [s.state for s in service.hazard(hazard_id).steps] == list(HAZARD_STEPS[: HAZARD_STEPS.index(step) + 1])
    assert service.next_step(hazard_id) is None

    history = service.node.hazard_history(hazard_id)
    assert [e.index for e in history] == [1, 2, 3, 4, 5]
    for before, after in zip(history, history[1:], strict=False):
        assert after.body["prev"] == leaf_hash(before.data).hex()  # each step chained to the one before by hash
    assert history[1].body == {"hazard_id": hazard_id, "prev": history[0].leaf_hash.hex(), "assignee": "crew-3",
                               "due": "2026-12-01"}  # fmt: skip
    with pytest.raises(HazardStepRefused, match="is closed"):
        service.advance_hazard(hazard_id)


def test_advance_without_a_step_takes_the_next_one(service):
    _report(service)
    hazard_id = service.hazards()[0].hazard_id
    service.advance_hazard(hazard_id, fields={"assignee": "crew-9"})
    assert service.hazard(hazard_id).status == "assigned"
    assert next_step(service.hazard(hazard_id).status) == "rectified"


def test_a_step_out_of_order_or_incomplete_is_refused_and_nothing_is_appended(service):
    _report(service)
    hazard_id = service.hazards()[0].hazard_id
    size = service.node.size()
    with pytest.raises(HazardStepRefused) as refused:
        service.advance_hazard(hazard_id, "rectified", STEP_FIELDS["rectified"])
    assert str(refused.value) == f"Not allowed: hazard {hazard_id} is reported; rectified must follow assigned"
    with pytest.raises(HazardStepRefused, match="say who is assigned"):
        service.advance_hazard(hazard_id, "assigned", {"assignee": "  "})
    with pytest.raises(HazardStepRefused, match="not in this node's own log"):
        service.advance_hazard("HZ-nope", "assigned", STEP_FIELDS["assigned"])
    assert service.node.size() == size


def test_entries_verify_and_a_changed_entry_is_named(service):
    _report(service)
    hazard_id = service.hazards()[0].hazard_id
    for step in HAZARD_STEPS[1:]:
        service.advance_hazard(hazard_id, step, STEP_FIELDS[step])
    events = Events(service)
    handle = service.verify()
    assert handle.done
    (report,) = events.of("verified")[0]
    assert report.ok and service.last_report is report
    assert events.of("busy_changed")[0][0].startswith("Verifying") and events.of("busy_changed")[-1] == (None,)
    assert service.hazard(hazard_id).badge == "signed"  # proven by inclusion; no witness yet

    folder = service.folder
    service.close()
    db = sqlite3.connect(folder / "ledger.db")
    db.execute("UPDATE entries SET data = replace(data, 'corroded', 'repaired') WHERE idx = 3")
    db.commit()
    db.close()
    service.open(PASSPHRASE)
    service.verify()
    (log,) = [entry for entry in service.last_report.logs if entry.origin == ORIGIN]
    assert not service.last_report.ok and (log.first_bad_index, log.kind) == (3, "changed")
    row = service.hazard(hazard_id)
    assert row.badge == "failed" and row.bad_index == 3


def test_a_wrong_passphrase_gives_a_clear_error_and_is_never_logged(service, caplog, monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    service.close()
    with caplog.at_level(logging.DEBUG), pytest.raises(WrongPassphrase) as wrong:
        service.open("not the passphrase")
    assert str(wrong.value) == "Wrong passphrase: the ledger's keys did not decrypt. Nothing was changed; try again."
    assert service.node is None and service.state == "locked"
    assert "not the passphrase" not in caplog.text
    with pytest.raises(LedgerLocked, match=PASSPHRASE_ENV):
        service.open()  # no passphrase given and none in the environment
    service.open(unlock=False)  # read-only: verify and export need no keys
    with pytest.raises(LedgerError, match="locked"):
        _report(service)
    service.open(PASSPHRASE)
    assert service.node.org_key is not None


def test_passphrase_from_the_environment(service, monkeypatch):
    service.close()
    assert not service.open_unattended()
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    assert service.open_unattended() and service.state == "open"


def test_the_folder_is_the_workspace_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path / "data"))
    gpkg = tmp_path / "zhoushan" / "network.gpkg"
    svc = LedgerService(network_path=gpkg)
    assert svc.folder == Workspace.for_network(gpkg).ledger_dir == tmp_path / "zhoushan" / "ledger"
    svc.set_network(tmp_path / "imports" / "gaslib-11.net")
    assert svc.folder == tmp_path / "data" / "ledger"  # an implicit workspace: the organisation's ledger
    svc.create(ORIGIN, PASSPHRASE, scrypt_n=2**10)
    svc.set_network(tmp_path / "imports" / "other.gpkg")  # the same organisation ledger: stays open
    assert svc.state == "open"
    svc.set_network(gpkg)  # another workspace's ledger: the open one is closed
    assert svc.node is None and svc.state == "none"


def test_peers_are_added_and_removed(service, tmp_path):
    peer = LedgerNode.init(tmp_path / "peer", "ledger.gov.example/west", "pw", scrypt_n=2**10)
    try:
        ident = {"origin": peer.origin, "vkey": peer.org_vkey, "witness_vkey": peer.witness_vkey}
        service.add_peer("gov", "http://127.0.0.1:9/", ident["origin"], ident["vkey"], ident["witness_vkey"])
        assert [(p.name, p.url, p.origin) for p in service.peers()] == [("gov", "http://127.0.0.1:9", peer.origin)]
        assert [p.name for p in service.status.peers] == ["gov"]
        assert service.identity()["origin"] == ORIGIN and service.identity()["vkey"] == service.node.org_vkey
        with pytest.raises(LedgerError, match="does not match its log origin"):
            service.add_peer("bad", "http://x", "someone.else/log", ident["vkey"], ident["witness_vkey"])
        service.remove_peer("gov")
        assert service.peers() == [] and service.status.peers == []
        with pytest.raises(LedgerError, match="unknown peer 'gov'"):
            service.remove_peer("gov")
    finally:
        peer.close()


def test_sync_follows_a_peer_and_its_hazards_join_the_register(service, tmp_path):
    peer = LedgerNode.init(tmp_path / "peer", "ledger.gov.example/west", "pw", scrypt_n=2**10)
    server = LedgerServer(peer, "127.0.0.1", 0)
    server.start()
    try:
        node = service.node
        peer.add_peer("utility", "http://127.0.0.1:9", node.origin, node.org_vkey, node.witness_vkey)
        service.add_peer("gov", server.url, peer.origin, peer.org_vkey, peer.witness_vkey)
        peer.append(
            "hazard.reported",
            report_body("HZ-GOV-1", X, Y, "EPSG:4529", category="occupation", severity="minor", description="shed"),
        )
        events = Events(service)
        service.sync()
        (report,) = events.of("synced")[0]
        assert isinstance(report, SyncReport) and report.ok
        assert [(r.origin, r.status) for r in report.results] == [(peer.origin, "synced")]
        assert [(h.hazard_id, h.origin) for h in service.hazards()] == [("HZ-GOV-1", peer.origin)]
    finally:
        server.stop()
        peer.close()


def test_a_failing_job_is_reported_through_failed(service, monkeypatch):
    def broken(*_args, **_kw):
        raise LedgerError("the store is gone")

    monkeypatch.setattr(service.node, "verify", broken)
    events = Events(service)
    service.verify()
    assert events.of("verify_failed") == [("the store is gone",)]
    assert events.of("failed") == [("Ledger verify failed: the store is gone",)]
    assert events.of("busy_changed")[-1] == (None,)
