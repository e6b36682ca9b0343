"""Operators in the window: log in, switch at shift change, lock screen with live alarms, administration."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QApplication

from console.app.operators import PermissionDenied
from console.ledger import LedgerNode
from console.telemetry import AlarmRecord, AlarmState, Condition, Priority

ORG = "correct horse battery staple"
SHOTS = os.environ.get("GASOPS_SCREENSHOTS")  # a folder: save the screens for a person to look at


def _alarm(sensor_id, condition, state, priority, since, feature_id) -> AlarmRecord:
    return AlarmRecord(sensor_id=sensor_id, condition=condition, state=state, priority=priority, active=True,
                       since=since, value=60.0, limit=50.0, feature_id=feature_id, kind="methane")  # fmt: skip


def _shot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, name))


@pytest.fixture
def node(tmp_path):
    n = LedgerNode.init(tmp_path / "ledger", "ops.gas.example/ledger", ORG, scrypt_n=2**10)
    yield n
    n.close()


@pytest.fixture
def ops(window, node):
    from console.ui.operators import OperatorsController

    ctl = window.extensions.get("operators") or OperatorsController(window)
    ctl.attach(node)
    svc = ctl.service
    svc.enrol("A-1", "王工", ["administrator"], "admin passphrase")
    svc.login("A-1", "admin passphrase")
    svc.enrol("D-7", "李调度", ["dispatcher"], "dispatch passphrase")
    svc.enrol("P-3", "陈规划", ["planner"], "planner passphrase")
    svc.logout()
    return ctl


def test_login_dialog_logs_in_and_names_the_operator(qtbot, window, ops):
    dlg = ops.request_login()
    assert dlg is not None and dlg.isVisible()
    dlg.operator.setCurrentIndex(dlg.operator.findData("D-7"))
    dlg.passphrase.setText("wrong one")
    dlg.accept()
    assert dlg.isVisible() and "wrong passphrase for operator D-7" in dlg.error_label.text()
    dlg.passphrase.setText("dispatch passphrase")
    _shot(dlg, "operators-login.png")
    dlg.accept()
    assert not dlg.isVisible()
    assert ops.service.current.operator_id == "D-7"
    assert "李调度" in ops.label.text() and "Dispatcher" in ops.label.toolTip()
    assert window.prefs.get("security/last_operator") == "D-7"


def test_switch_operator_at_shift_change(qtbot, window, ops):
    ops.service.login("D-7", "dispatch passphrase")
    dlg = ops.request_login()
    assert "Switch operator" in dlg.windowTitle()
    dlg.operator.setCurrentIndex(dlg.operator.findData("P-3"))
    dlg.passphrase.setText("planner passphrase")
    _shot(dlg, "operators-switch.png")
    dlg.accept()
    assert ops.service.current.operator_id == "P-3"
    with pytest.raises(PermissionDenied, match="may not acknowledge alarms"):
        ops.service.require("alarm.acknowledge")


def test_lock_screen_shows_new_alarms_and_blocks_the_window(qtbot, window, ops, monkeypatch):
    ops.service.login("D-7", "dispatch passphrase")
    # Real alarm records (priority an IntEnum, condition and state str enums), as the live session gives them.
    alarms = [_alarm("S-00047", Condition.HIHI, AlarmState.UNACK_ACTIVE, Priority.CRITICAL, 1.8e9, "V-12")]
    monkeypatch.setattr(ops, "_refresh_lock_alarms", lambda: ops.lock_screen.show_alarms(alarms))
    window.actions["operators.lock"].trigger()
    assert ops.service.locked and ops.lock_screen.isVisible()
    assert ops.lock_screen.geometry() == window.rect()
    assert not window.actions["view.find"].isEnabled()  # no shortcut works behind the lock
    assert "S-00047" in ops.lock_screen.alarms.item(0).text()
    beeps = ops.lock_screen.beeps
    alarms.insert(0, _alarm("S-00114", Condition.LOLO, AlarmState.UNACK_ACTIVE, Priority.HIGH, 1.8e9 + 60, "P-77"))
    ops._refresh_lock_alarms()
    assert ops.lock_screen.alarms.count() == 2 and "S-00114" in ops.lock_screen.alarms.item(0).text()
    assert ops.lock_screen.beeps == beeps + 1  # a new alarm sounds on the lock screen
    _shot(window, "operators-lock.png")
    ops.lock_screen.passphrase.setText("nope nope")
    ops.lock_screen.unlock_button.click()
    assert ops.service.locked and "wrong passphrase" in ops.lock_screen.error.text()
    ops.lock_screen.passphrase.setText("dispatch passphrase")
    ops.lock_screen.unlock_button.click()
    assert not ops.service.locked and not ops.lock_screen.isVisible()
    assert window.actions["view.find"].isEnabled()


def test_idle_time_locks_the_screen(qtbot, window, ops):
    ops.service.login("D-7", "dispatch passphrase")
    ops.service.idle_lock_s = 0.05
    qtbot.wait(80)
    ops._on_idle_tick()
    assert ops.service.locked and ops.lock_screen.isVisible()


def test_operators_table_for_administrators_only(qtbot, window, ops):
    ops.service.login("D-7", "dispatch passphrase")
    dlg = ops.show_operators()
    assert not dlg.add_button.isEnabled() and "Only an administrator" in dlg.note.text()
    dlg.close()
    ops.service.login("A-1", "admin passphrase")
    dlg = ops.show_operators()
    assert dlg.add_button.isEnabled() and dlg.table.rowCount() == 3
    _shot(dlg, "operators-table.png")
    dlg.close()
    QApplication.processEvents()


def test_menus_show_what_the_operator_may_do(qtbot, window, ops):
    """Actions that need a permission are disabled, with the reason in their status tip, for operators without it."""
    gated = [s for s in window.actions.specs() if s.permission]
    assert {s.permission for s in gated} >= {"alarm.acknowledge", "isolation.run", "simulation.run", "hazard.report"}
    ops.service.login("P-3", "planner passphrase")  # a planner: simulate and isolate, but no alarms or feeds
    assert window.actions["simulation.run"].isEnabled()
    ack = window.actions["live.acknowledge_all"]
    assert not ack.isEnabled() and "your roles do not allow this" in ack.statusTip()
    ops.service.login("D-7", "dispatch passphrase")
    spec = window.actions.spec("live.acknowledge_all")
    assert window.actions["live.acknowledge_all"].isEnabled() == bool(spec.enabled())
    assert "your roles do not allow" not in window.actions["live.acknowledge_all"].statusTip()
    assert window.actions["operators.logout"].isEnabled()  # someone is logged in
