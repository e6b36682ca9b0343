"""Role layouts (issue 19): Dispatcher 调度, Planner 规划, Commander 应急 — each gives the map at least 60 % of a
1440×900 window, fits at 1280×720, leaves no stale tab bars behind, switches with one shortcut and keeps the user's
changes per role."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar

from console.ui.layouts import ROLES
from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled


@pytest.fixture
def big(qtbot, network):
    from console.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(network)
    wait_settled(qtbot, w.canvas)
    qtbot.wait(50)
    yield w
    w.close()


def _visible_docks(w) -> set[str]:
    return {n for n, d in w.layouts.docks().items() if d.isVisible()}


def test_layouts_are_installed_with_a_shortcut_each(big):
    acts = big.layouts.actions
    assert [acts[r.key].shortcut().toString() for r in ROLES] == ["Ctrl+Alt+1", "Ctrl+Alt+2", "Ctrl+Alt+3"]
    assert big.layouts.act_next.shortcut().toString() == "Ctrl+Alt+0"
    assert big.findChild(type(big.layouts.combo), "roleLayoutBox") is big.layouts.combo


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720)])
def test_every_role_leaves_the_map_room_and_no_stale_tab_bars(qtbot, big, size):
    big.resize(*size)
    for role in (*ROLES[1:], ROLES[0]):
        big.layouts.actions[role.key].trigger()
        qtbot.wait(20)
        QApplication.processEvents()
        assert big.layouts.role is role and big.layouts.combo.currentText() == role.title
        assert big.layouts.actions[role.key].isChecked()
        hint = big.minimumSizeHint()
        assert hint.width() <= size[0] and hint.height() <= size[1], role.key  # usable at this size
        assert big.size().toTuple() == size
        share = big.layouts.map_share()
        assert share >= (0.6 if size == (1440, 900) else 0.55), (role.key, share)
        shown = _visible_docks(big)
        present = set(big.layouts.docks())
        assert shown == set(role.shown) & present, role.key  # what the role needs, nothing else
        assert big.layouts.leftover_tab_bars() == []  # nothing drawn where docks used to be
        side = big.layouts.docks()[role.top[0]]
        assert big.dockWidgetArea(side) == role.side
        # the grab shows the new arrangement at once: the front dock of the top group is where the layout put it
        img = big.grab().toImage()
        assert img.width() == size[0]
        for bar in big.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if bar.isVisible():
                assert bar.elideMode() == Qt.TextElideMode.ElideNone  # whole tab titles, never "Layer…"


def test_first_start_left_tabs_are_not_truncated(big):
    big.layouts.actions["planner"].trigger()
    bars = [b for b in big.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly) if b.isVisible()]
    assert bars
    for bar in bars:
        assert bar.elideMode() == Qt.TextElideMode.ElideNone and bar.usesScrollButtons()
        for i in range(bar.count()):
            assert bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(bar.tabText(i))


def test_the_users_changes_are_kept_per_role(qtbot, big):
    lay = big.layouts
    lay.actions["dispatcher"].trigger()
    ledger = lay.docks()["ledgerDock"]
    assert not ledger.isVisible()
    ledger.show()  # the dispatcher wants the ledger too
    lay.actions["planner"].trigger()
    assert not ledger.isVisible() and lay.docks()["layersDock"].isVisible()
    lay.act_next.trigger()  # planner -> commander
    assert lay.role.key == "commander"
    lay.actions["dispatcher"].trigger()
    assert ledger.isVisible() and lay.leftover_tab_bars() == []
    lay.reset()  # back to the role's default
    assert not ledger.isVisible()


def test_the_role_and_its_arrangement_survive_a_restart(qtbot, big, network):
    from console.ui.main_window import MainWindow

    big.layouts.actions["commander"].trigger()
    big.close()
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(20)
    assert w.layouts.role.key == "commander" and w.layouts.combo.currentText() == "Commander"
    assert "incidentDock" not in w.layouts.docks() or w.layouts.docks()["incidentDock"].isVisible()
    assert not w.layouts.docks()["layersDock"].isVisible()
    w.close()
