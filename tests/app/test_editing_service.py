"""EditingService without a QApplication: session, submit signed by the author, review effect, approval co-signed
by another reviewer, rejection, conflicts, tampering, as-built history."""

from __future__ import annotations

import base64
import json

import pytest
import shapely
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from console.app.editing import ChangeSetStoreError, EditingService
from console.app.operators import OperatorService, PermissionDenied
from console.ledger import LedgerNode, public_from_did_key
from console.network import AddPipe, ChangeConflict, InsertDevice, SetAttribute
from tests.builders import ORIGIN, chain
from tests.network.edit_helpers import assert_same_network

ORG = "correct horse battery staple"
PW = {"A-1": "admin passphrase", "R-2": "review passphrase", "P-3": "planner pass", "X-4": "both roles pass"}
OX, OY = ORIGIN


@pytest.fixture
def node(tmp_path):
    n = LedgerNode.init(tmp_path / "ledger", "ops.gas.example/ledger", ORG, scrypt_n=2**10)
    yield n
    n.close()


@pytest.fixture
def ops(node):
    service = OperatorService(node, workstation="ws-1")
    service.enrol("A-1", "王工", ["administrator"], PW["A-1"])
    service.login("A-1", PW["A-1"])
    service.enrol("R-2", "张审核", ["reviewer"], PW["R-2"])
    service.enrol("P-3", "陈规划", ["planner"], PW["P-3"])
    service.enrol("X-4", "刘兼职", ["planner", "reviewer"], PW["X-4"])
    service.logout()
    return service


def _entries(node, entry_type):
    return [node.entry(i) for i in range(node.size()) if node.entry(i).type == entry_type]


def _plan(service, net):
    service.push(InsertDevice(net, "P1", shapely.Point(OX + 50, OY), "valves"))
    service.push(SetAttribute(net, "pipes", ["P2"], "material", "steel"))
    return service.submit("valve on P1, P2 relined")


def test_planner_submits_reviewer_approves_cosigned_in_the_ledger(tmp_path, ops, node):
    master = chain(3)
    working = master.snapshot()
    ops.login("P-3", PW["P-3"])
    service = EditingService(tmp_path / "changes", operators=ops, network=working)
    cs = _plan(service, working)
    assert cs.counts() == {"add": 4, "change": 2, "delete": 0}  # valve, 2 junctions, new pipe; P1 and P2 changed
    assert not service.stack.can_undo and service.pending_changes() == []  # the session starts over
    submitted = _entries(node, "gis.changeset")[-1]
    assert submitted.body["decision"] == "submitted" and submitted.author == ops.current.did
    assert submitted.body["digest"] == cs.digest and submitted.body["edits"] == 6
    # the author's signature over the digest verifies with the author's key
    Ed25519PublicKey.from_public_bytes(public_from_did_key(cs.author_did)).verify(
        base64.b64decode(cs.author_signature), bytes.fromhex(cs.digest)
    )
    with pytest.raises(PermissionDenied):
        service.approve(cs.change_id, master)
    ops.logout()

    ops.login("R-2", PW["R-2"])
    effect = service.review(cs.change_id, master)
    assert effect.segments_split == 1 and effect.findings_introduced == []
    assert {p.pressure_class for p in effect.pressures} == {"MP-A"}
    before = master.snapshot()
    assert_same_network(master, before)
    approved = service.approve(cs.change_id, master, comment="ok")
    assert approved.status == "approved" and approved.reviewer == "R-2"
    assert_same_network(master, working, ordered=False)
    entry = _entries(node, "gis.changeset")[-1]
    assert entry.author == ops.current.did  # the reviewer signs the approval …
    assert entry.body["author"] == cs.author_did and entry.body["author_signature"] == cs.author_signature  # … of hers
    assert entry.body["decision"] == "approved" and entry.body["digest"] == cs.digest
    assert [h["change_id"] for h in service.history("P1")] == [cs.change_id]
    assert service.history("P1")[0]["op"] == "change"
    with pytest.raises(ChangeSetStoreError, match="already approved by R-2"):
        service.approve(cs.change_id, master)


def test_a_reviewer_never_approves_their_own_change_set(tmp_path, ops):
    working = chain(2)
    ops.login("X-4", PW["X-4"])
    service = EditingService(tmp_path / "changes", operators=ops, network=working)
    cs = _plan(service, working)
    with pytest.raises(PermissionDenied, match="cannot approve their own change set"):
        service.approve(cs.change_id, chain(2))
    with pytest.raises(PermissionDenied, match="cannot approve their own"):
        service.reject(cs.change_id, "no")


def test_reviewer_cannot_edit_and_planner_cannot_reject(tmp_path, ops):
    working = chain(2)
    ops.login("R-2", PW["R-2"])
    service = EditingService(tmp_path / "changes", operators=ops, network=working)
    with pytest.raises(PermissionDenied, match="may not edit the network"):
        service.push(SetAttribute(working, "pipes", ["P1"], "dn", 160))
    assert working["pipes"]["dn"].tolist() == [110, 110]


def test_reject_needs_a_comment_and_is_recorded(tmp_path, ops, node):
    working = chain(2)
    ops.login("P-3", PW["P-3"])
    service = EditingService(tmp_path / "changes", operators=ops, network=working)
    cs = _plan(service, working)
    ops.logout()
    ops.login("R-2", PW["R-2"])
    with pytest.raises(ChangeSetStoreError, match="needs a comment"):
        service.reject(cs.change_id, " ")
    rejected = service.reject(cs.change_id, "valve needs a pit; move it 5 m east")
    assert rejected.status == "rejected" and service.get(cs.change_id).comment.startswith("valve needs a pit")
    entry = _entries(node, "gis.changeset")[-1]
    assert entry.body["decision"] == "rejected" and entry.body["comment"].startswith("valve needs")


def test_concurrent_master_edit_is_a_conflict_and_nothing_is_written(tmp_path):
    master = chain(3)
    working = master.snapshot()
    service = EditingService(tmp_path / "changes", network=working)  # single-user install: no operators
    cs = _plan(service, working)
    SetAttribute(master, "pipes", ["P2"], "material", "cast_iron").redo()  # someone committed first
    before = master.snapshot()
    with pytest.raises(ChangeConflict, match="pipe P2: material is 'cast_iron' here, the change set expected 'PE100'"):
        service.approve(cs.change_id, master)
    assert_same_network(master, before)
    assert service.get(cs.change_id).status == "submitted"


def test_failed_commit_rolls_the_master_back(tmp_path):
    master = chain(2)
    working = master.snapshot()
    service = EditingService(tmp_path / "changes", network=working)
    cs = _plan(service, working)
    before = master.snapshot()

    def commit(network, changes):
        raise ChangeSetStoreError("database went away")

    with pytest.raises(ChangeSetStoreError, match="database went away"):
        service.approve(cs.change_id, master, commit=commit)
    assert_same_network(master, before)
    assert service.get(cs.change_id).status == "submitted"


def test_tampered_or_malformed_change_sets_are_refused(tmp_path):
    working = chain(2)
    service = EditingService(tmp_path / "changes", network=working)
    service.push(AddPipe(working, [(OX + 50, OY + 0.001), (OX + 50, OY + 80)], tolerance=0.01))
    cs = service.submit("branch line")
    path = service.path_of(cs.change_id)
    doc = json.loads(path.read_text())
    doc["changes"][0]["after"]["dn"] = 400
    path.write_text(json.dumps(doc))
    with pytest.raises(ChangeSetStoreError, match="digest does not match"):
        service.approve(cs.change_id, chain(2))
    path.write_text("{not json")
    with pytest.raises(ChangeSetStoreError, match=rf"{path.name}: not a readable change set"):
        service.get(cs.change_id)
    path.write_text(json.dumps({"change_id": "CS-x", "status": "merged"}))
    with pytest.raises(ChangeSetStoreError, match="status 'merged' is not one of"):
        service.get(cs.change_id)
    with pytest.raises(ChangeSetStoreError, match="is not a change set id"):
        service.get("../etc/passwd")
    with pytest.raises(ChangeSetStoreError, match="nothing to submit"):
        service.submit("empty")


def test_session_undo_redo_and_modified(tmp_path):
    net = chain(2)
    service = EditingService(tmp_path / "changes", network=net)
    original = net.snapshot()
    seen = []
    service.session_changed.connect(seen.append)
    service.push(SetAttribute(net, "pipes", ["P1"], "dn", 160))
    service.push(SetAttribute(net, "pipes", ["P1"], "dn", 200))  # merged with the previous
    assert service.modified and len(service.stack) == 1
    service.undo()
    assert not service.modified
    assert_same_network(net, original)
    service.redo()
    service.saved()
    assert not service.modified and service.pending_changes() == []
    assert seen == [1, 1, 0, 1, 1]


def test_two_change_sets_on_one_valve_segment_boundary_are_flagged(tmp_path):
    """A valve inserted by one planner and a pipe edit in the same segment by another touch different rows: flagged.
    A change set in another segment is not."""
    master = chain(4)
    InsertDevice(master, "P2", shapely.Point(OX + 150, OY), "valves").redo()  # segments: G..P2a | P2b..E
    store = tmp_path / "changes"
    a = master.snapshot()
    sa = EditingService(store, network=a)
    sa.push(InsertDevice(a, "P1", shapely.Point(OX + 50, OY), "valves"))
    cs_a = sa.submit("valve on P1")
    b = master.snapshot()
    sb = EditingService(store, network=b)
    sb.push(SetAttribute(b, "pipes", ["P2"], "material", "steel"))  # P2's first half: same segment as P1
    cs_b = sb.submit("P2 relined")
    c = master.snapshot()
    sc = EditingService(store, network=c)
    sc.push(SetAttribute(c, "pipes", ["P4"], "material", "steel"))  # beyond the valve on P2
    cs_c = sc.submit("P4 relined")
    assert {cs_a.change_id, cs_b.change_id, cs_c.change_id} == {c.change_id for c in sa.list()}
    assert sa.review(cs_a.change_id, master, hydraulics=False).overlapping_changesets == [cs_b.change_id]
    assert sa.review(cs_b.change_id, master, hydraulics=False).overlapping_changesets == [cs_a.change_id]
    assert sa.review(cs_c.change_id, master, hydraulics=False).overlapping_changesets == []


def test_conflicts_show_three_versions_and_are_resolved_per_feature(tmp_path):
    master = chain(4)
    working = master.snapshot()
    service = EditingService(tmp_path / "changes", network=working)
    service.push(SetAttribute(working, "pipes", ["P1"], "material", "steel"))
    service.push(SetAttribute(working, "pipes", ["P2"], "dn", 160))
    service.push(SetAttribute(working, "pipes", ["P3"], "depth_m", 1.5))
    cs = service.submit("reline P1, upsize P2, deepen P3")
    # meanwhile on the master: P1 relined otherwise, P2 deleted with its end, P3 untouched
    SetAttribute(master, "pipes", ["P1"], "material", "cast_iron").redo()
    master.remove_features("pipes", ["P2"])
    conflicts = {c["feature_id"]: c for c in service.conflicts(cs.change_id, master)}
    assert set(conflicts) == {"P1", "P2"}
    p1 = conflicts["P1"]
    assert p1["kind"] == "update-update" and p1["columns"] == ["material"]
    assert (p1["ancestor"]["material"], p1["branch"]["material"], p1["master"]["material"]) == (
        "PE100", "steel", "cast_iron",
    )  # fmt: skip
    assert conflicts["P2"]["kind"] == "update-delete" and conflicts["P2"]["master"] is None
    # every conflict needs a resolution; a deleted feature cannot take the branch's version; nothing written
    before = master.snapshot()
    with pytest.raises(ChangeSetStoreError, match="1 conflicts are not resolved: P2"):
        service.approve(cs.change_id, master, resolutions={"P1": "branch"})
    with pytest.raises(ChangeSetStoreError, match="P2: the change set's version cannot be taken over an update-delete"):
        service.approve(cs.change_id, master, resolutions={"P1": "branch", "P2": "branch"})
    assert_same_network(master, before)
    assert service.get(cs.change_id).status == "submitted"
    approved = service.approve(cs.change_id, master, resolutions={"P1": "branch", "P2": "master"})
    assert approved.status == "approved" and "conflicts resolved: P1 branch, P2 master" in approved.comment
    assert master.feature("P1")["material"] == "steel"  # the branch's, over the master's
    assert "P2" not in set(master["pipes"]["id"])  # the master's deletion kept
    assert master.feature("P3")["depth_m"] == 1.5  # the rest of the change set applied


def test_keeping_the_masters_version_drops_only_that_feature(tmp_path):
    master = chain(3)
    working = master.snapshot()
    service = EditingService(tmp_path / "changes", network=working)
    service.push(SetAttribute(working, "pipes", ["P1"], "material", "steel"))
    service.push(SetAttribute(working, "pipes", ["P2"], "material", "steel"))
    cs = service.submit("reline")
    SetAttribute(master, "pipes", ["P1"], "material", "cast_iron").redo()
    service.approve(cs.change_id, master, resolutions={"P1": "master"})
    assert (master.feature("P1")["material"], master.feature("P2")["material"]) == ("cast_iron", "steel")
