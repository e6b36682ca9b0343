"""Operators, roles and per-person signatures, driven without a QApplication."""

from __future__ import annotations

import pytest

from console.app.operators import (
    PERMISSIONS,
    ROLES,
    OperatorError,
    OperatorService,
    PermissionDenied,
    RolePolicy,
)
from console.ledger import LedgerNode

ORG = "correct horse battery staple"
PW = {"A-1": "admin passphrase", "D-7": "dispatch passphrase", "R-2": "review passphrase", "P-3": "planner pass"}


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def node(tmp_path):
    n = LedgerNode.init(tmp_path / "ledger", "ops.gas.example/ledger", ORG, scrypt_n=2**10)
    yield n
    n.close()


@pytest.fixture
def ops(node):
    clock = Clock()
    service = OperatorService(node, idle_lock_s=600, workstation="ws-1", clock=clock)
    service.clock = clock
    assert service.open_mode
    service.enrol("A-1", "王工 (admin)", ["administrator"], PW["A-1"])  # first operator: signed by the org key
    service.login("A-1", PW["A-1"])
    service.enrol("D-7", "李调度", ["dispatcher"], PW["D-7"])
    service.enrol("R-2", "张审核", ["reviewer"], PW["R-2"])
    service.enrol("P-3", "陈规划", ["planner"], PW["P-3"])
    service.logout()
    return service


def _types(node):
    return [node.entry(i).type for i in range(node.size())]


def test_every_role_permission_pair_allowed_and_denied(ops):
    """Role checks for every guarded action: allowed exactly where the policy says, denied with a message elsewhere."""
    for op_id in ("A-1", "D-7", "R-2", "P-3"):
        ops.login(op_id, PW[op_id])
        roles = ops.current.roles
        for permission in PERMISSIONS:
            allowed = any(permission in ROLES[r] for r in roles)
            assert ops.can(permission) is allowed, (op_id, permission)
            if allowed:
                ops.require(permission)
            else:
                with pytest.raises(PermissionDenied, match="may not"):
                    ops.require(permission)
        ops.logout()


def test_denied_actions_are_audited_and_nothing_else_is_recorded(ops, node):
    ops.login("P-3", PW["P-3"])
    before = node.size()
    with pytest.raises(PermissionDenied, match=r"陈规划 \(planner\) may not acknowledge alarms; this needs the role"):
        ops.require("alarm.acknowledge")
    assert node.size() == before + 1
    entry = node.entry(before)
    assert entry.type == "audit.denied" and entry.author == ops.current.did
    assert entry.body["permission"] == "alarm.acknowledge"


def test_a_reviewer_never_approves_their_own_change_set(ops):
    ops.login("R-2", PW["R-2"])
    assert ops.can("changes.approve", owner="P-3")
    with pytest.raises(PermissionDenied, match="cannot approve their own change set"):
        ops.require("changes.approve", owner="R-2")


def test_only_an_administrator_manages_operators(ops):
    ops.login("D-7", PW["D-7"])
    with pytest.raises(PermissionDenied, match="may not"):
        ops.enrol("D-8", "新人", ["dispatcher"], "new passphrase")
    with pytest.raises(PermissionDenied):
        ops.revoke("P-3")
    assert [o.operator_id for o in ops.operators()] == ["A-1", "D-7", "P-3", "R-2"]


def test_operator_steps_are_signed_by_their_person(ops, node):
    op = ops.login("D-7", PW["D-7"])
    result = node.append("alarm.action", {"sensor": "S-00047", "alarm": "HIHI", "action": "acknowledge"})
    entry = node.entry(result.index)
    assert entry.author == op.did != node.org_key.did
    assert entry.signature_ok()
    assert node.verify().ok


def test_revoked_operator_signatures_later_are_rejected_earlier_still_verify(ops, node, tmp_path):
    from console.ledger import EntryRejected, encode_entry

    d7 = ops.login("D-7", PW["D-7"])
    early = node.append("alarm.action", {"sensor": "S-1", "alarm": "HI", "action": "acknowledge"}).index
    d7_key = ops.signing_key
    ops.login("A-1", PW["A-1"])
    ops.revoke("D-7", "left the company")
    assert ops.operator("D-7").revoked
    with pytest.raises(OperatorError, match="revoked"):
        ops.login("D-7", PW["D-7"])
    # A forged later entry signed with the revoked key is refused by the log's own rules …
    state = node.state()
    forged = encode_entry(d7_key, origin=node.origin, index=state.size, prev=state.last_leaf,
                          entry_type="alarm.action", body={"sensor": "S-1", "alarm": "HI", "action": "acknowledge"},
                          time="2026-12-07T03:00:00Z")  # fmt: skip
    with pytest.raises(EntryRejected, match="not the organisation key or an enrolled operator"):
        state.check(forged)
    # … while the earlier one still verifies, with the whole log.
    assert node.entry(early).author == d7.did and node.entry(early).signature_ok()
    assert node.verify().ok


def test_wrong_passphrase_and_unknown_operator_give_clear_errors(ops):
    with pytest.raises(OperatorError, match="wrong passphrase for operator D-7"):
        ops.login("D-7", "not it")
    with pytest.raises(OperatorError, match=r"'X-9' is not enrolled.*known: A-1, D-7, P-3, R-2"):
        ops.login("X-9", "whatever")
    assert ops.current is None


def test_shift_change_and_audit_log(ops, node):
    ops.login("D-7", PW["D-7"])
    ops.switch("A-1", PW["A-1"])  # the next shift takes over without closing the console
    assert ops.current.operator_id == "A-1"
    sessions = [node.entry(i) for i in range(node.size()) if node.entry(i).type == "audit.session"]
    events = [(e.body["event"], e.author) for e in sessions[-3:]]
    d7, a1 = ops.operator("D-7").did, ops.operator("A-1").did
    assert events == [("login", d7), ("logout", d7), ("login", a1)]
    assert all(e.body["workstation"] == "ws-1" for e in sessions)


def test_idle_lock_blocks_actions_until_unlocked(ops):
    ops.login("D-7", PW["D-7"])
    locks = []
    ops.locked_changed.connect(locks.append)
    ops.clock.t += 599
    assert not ops.idle_check()
    ops.touch()
    ops.clock.t += 599
    assert not ops.idle_check()
    ops.clock.t += 2
    assert ops.idle_check() and ops.locked and locks == [True]
    with pytest.raises(PermissionDenied, match="locked"):
        ops.require("alarm.acknowledge")
    with pytest.raises(OperatorError, match="wrong passphrase"):
        ops.unlock("nope")
    ops.unlock(PW["D-7"])
    assert not ops.locked and ops.can("alarm.acknowledge")


def test_role_changes_are_permission_changes_on_the_record(ops, node):
    ops.login("A-1", PW["A-1"])
    ops.set_roles("P-3", ["planner", "reviewer"], "covers review this month")
    assert ops.operator("P-3").roles == ("planner", "reviewer")
    entry = node.entry(node.size() - 1)
    assert entry.type == "key.operator.roles" and entry.author == ops.current.did
    with pytest.raises(OperatorError, match="last administrator"):
        ops.set_roles("A-1", ["dispatcher"])
    with pytest.raises(OperatorError, match="unknown role"):
        ops.set_roles("P-3", ["wizard"])


def test_roles_survive_a_restart_from_the_ledger_state(ops, node, tmp_path):
    folder = node.folder
    node.close()
    again = LedgerNode.open(folder, ORG)
    try:
        service = OperatorService(again)
        assert {o.operator_id: o.roles for o in service.operators()} == {
            "A-1": ("administrator",), "D-7": ("dispatcher",), "P-3": ("planner",), "R-2": ("reviewer",),
        }  # fmt: skip
        assert not service.open_mode
    finally:
        again.close()


def test_a_directory_edited_by_hand_does_not_make_an_operator(ops, node):
    import json

    path = node.folder / "operators.json"
    doc = json.loads(path.read_text())
    doc["X-1"] = {"name": "intruder", "did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "key": "x"}
    path.write_text(json.dumps(doc))
    assert "X-1" not in [o.operator_id for o in ops.operators()]


def test_open_mode_before_any_operator(node):
    service = OperatorService(node)
    assert service.open_mode and service.can("ledger.peers") and service.current is None
    service.require("operators.manage")


def test_cli_acts_as_a_named_operator_from_the_environment(ops, node, monkeypatch):
    monkeypatch.setenv("GASOPS_OPERATOR", "D-7")
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", PW["D-7"])
    service = OperatorService.from_environment(node, prompt=False)
    assert service.current.operator_id == "D-7" and node.author.did == service.current.did
    monkeypatch.delenv("GASOPS_OPERATOR")
    with pytest.raises(OperatorError, match="set GASOPS_OPERATOR"):
        OperatorService.from_environment(node, prompt=False)


def test_policy_file_is_validated(tmp_path):
    with pytest.raises(OperatorError, match="unknown permission"):
        RolePolicy({"dispatcher": ["alarm.acknowledge", "launch.missiles"]})
    path = tmp_path / "roles.json"
    path.write_text("[1, 2]")
    with pytest.raises(OperatorError, match="maps role names"):
        RolePolicy.from_file(path)
    path.write_text('{"duty": ["alarm.acknowledge"]}')
    assert RolePolicy.from_file(path).allows(("duty",), "alarm.acknowledge")
