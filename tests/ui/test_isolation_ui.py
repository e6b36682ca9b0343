"""The shut-off analysis in the main window: tool, context menu, dock, overlay, "this valve failed", exports, edits.

Every answer shown is checked against ``console.isolation`` called directly on the same request (the core has its own
hand-worked tests); the hand network below also has its answer worked out on paper.

Hand network (x right, 100 m grid; MP-A; G is the gate station)::

    G ─P1─ A ─V1─ B ─P2─ C ─P3─ D ─V2✗─ E ─P4─ F1 ─V4─ F
    │             │      │                             │
    P5           Pc3     V3                            P7
    │             C3     M ─P8─ N ─Pc1─ C1 (hospital)  │
    K ──────────────V5────────────── L ────────────────┘
                                 N ─Pc2─ C2

A break on P3: V2 is not operable, so the shut-off region is {B, C, D, E, F1} and the valves to close are V1 and V4
(both far sides fed from G round the loop); M–N loses its only feed, so V3 is optional and P8, Pc1, Pc2 are cut off.
"""

from __future__ import annotations

import csv
import doctest

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from console.isolation import IsolationRequest, customer_rows, isolate, plan_rows, reanalyse
from console.ui.isolation import OVERLAY_COLORS, SHORTCUT, IsolationController
from console.ui.theme import DARK, LIGHT
from tests.builders import make_network
from tests.isolation.nets import hand_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS, click, image_array, rgb, send_mouse, wait_settled

WAIT_MS = SETTLE_TIMEOUT_MS


def controller(window) -> IsolationController:
    return window.extensions["isolation"]


@pytest.fixture
def hand(qtbot, window):
    """The main window showing the hand network (its own copy: some tests edit it), whole network in view."""
    net = hand_network()
    with qtbot.waitSignal(window.networkShown, timeout=WAIT_MS):
        window.set_network(net)
    window.canvas.zoom_to_extent()
    wait_settled(qtbot, window.canvas)
    return window, net


def point_on(net, pipe_id: str, fraction: float) -> tuple[float, float]:
    geom = net["pipes"].geometry.array[net.locate(pipe_id)[1]]
    p = geom.interpolate(fraction, normalized=True)
    return p.x, p.y


def tool_click(qtbot, window, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    canvas = window.canvas
    pos = canvas.map_to_widget(x, y)
    if modifiers == Qt.KeyboardModifier.NoModifier:
        click(qtbot, canvas.viewport(), pos)
        return
    left = Qt.MouseButton.LeftButton
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, left),
        (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
    ):
        gp = QPointF(canvas.viewport().mapToGlobal(pos.toPoint()))
        QApplication.sendEvent(canvas.viewport(), QMouseEvent(kind, pos, gp, left, buttons, modifiers))
    qtbot.wait(10)


def right_click(window, x: float, y: float) -> None:
    viewport = window.canvas.viewport()
    pos = window.canvas.map_to_widget(x, y)
    right = Qt.MouseButton.RightButton
    send_mouse(viewport, QEvent.Type.MouseButtonPress, pos, right, right)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, pos, right, Qt.MouseButton.NoButton)


def isolate_by_tool(qtbot, window, x: float, y: float):
    ctrl = controller(window)
    ctrl.act_isolate.trigger()
    assert ctrl.tool_active
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        tool_click(qtbot, window, x, y)
    return ctrl.result


def step_summary(result) -> list[tuple[str, str, bool]]:
    return [(s.feature_id, s.action, s.required) for s in result.plan]


# -- installation ------------------------------------------------------------------------------------------------------
def test_the_feature_is_installed_with_a_shortcut_nobody_else_uses(window):
    ctrl = controller(window)
    assert isinstance(ctrl, IsolationController)
    assert ctrl.act_isolate in window.analysis_menu.actions()
    assert ctrl.act_isolate in window.toolbar.actions()
    assert ctrl.act_isolate.shortcut().toString() == SHORTCUT
    assert (
        window.actions["isolation.isolate"] is ctrl.act_isolate and window.actions["isolation.clear"] is ctrl.act_clear
    )
    assert SHORTCUT in [row.keys for row in window.actions.shortcuts()]  # Help lists it
    others = [
        a.text()
        for a in window.findChildren(type(ctrl.act_isolate))
        if a is not ctrl.act_isolate and any(s.toString() == SHORTCUT for s in a.shortcuts())
    ]
    assert others == []
    assert window.findChild(type(ctrl.dock), "isolationDock") is ctrl.dock


# -- the tool on the fixture district --------------------------------------------------------------------------------
def test_the_tool_isolates_the_clicked_pipe_of_the_district(qtbot, window, network):
    # The LP grid is fed only through the four regulator boxes RG1..RG4: a break inside it shuts all four.
    x, y = point_on(network, "PH5_7", 0.5)
    window.canvas.set_map_range(x - 150, y - 150, x + 150, y + 150)
    wait_settled(qtbot, window.canvas)
    ctrl = controller(window)
    result = isolate_by_tool(qtbot, window, x, y)

    (brk,) = result.request.breaks
    assert brk.feature_id == "PH5_7"
    assert brk.fraction == pytest.approx(0.5, abs=0.05)
    expected = isolate(network, result.request)
    assert step_summary(result) == step_summary(expected)
    assert {s.feature_id for s in expected.plan} == {"RG1", "RG2", "RG3", "RG4"}
    assert all(s.action == "shut_regulator" and s.required for s in expected.plan)
    assert ctrl.dock.plan_ids() == [s.feature_id for s in expected.plan]
    assert ctrl.overlay.steps.count() == 4
    assert ctrl.overlay.steps.labels() == ["1", "2", "3", "4"]
    assert ctrl.overlay.breaks.count() == 1
    assert ctrl.overlay.isolated_core.count() > 0
    assert not ctrl.tool_active  # one click, one analysis
    assert window.canvas.tool == "pan"


def test_a_click_on_an_abandoned_pipe_is_a_message_not_a_traceback(qtbot, window, network):
    pipes = network["pipes"]
    row = int(np.flatnonzero(pipes["status"].astype(str).to_numpy() == "abandoned")[0])
    pid = pipes["id"].iat[row]
    x, y = point_on(network, pid, 0.5)
    window.canvas.set_map_range(x - 60, y - 60, x + 60, y + 60)
    wait_settled(qtbot, window.canvas)
    ctrl = controller(window)
    ctrl.act_isolate.trigger()
    with qtbot.waitSignal(ctrl.errorShown, timeout=WAIT_MS) as blocker:
        tool_click(qtbot, window, x, y)
    assert pid in blocker.args[0] and "abandoned" in blocker.args[0]
    assert "Traceback" not in blocker.args[0]
    assert pid in window.statusBar().currentMessage()
    assert ctrl.dock.message.text() == blocker.args[0]
    assert ctrl.result is None
    assert ctrl.tool_active  # still armed: click again somewhere else


# -- the hand network ----------------------------------------------------------------------------------------------
def test_the_context_menu_isolates_and_the_dock_lists_the_plan_in_order(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    x, y = point_on(net, "P3", 0.3)
    right_click(window, x, y)
    menu = window.context_menu
    assert menu is not None
    (act,) = [a for a in menu.actions() if a.text().startswith("Isolate here —")]
    assert "P3" in act.text()
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        act.trigger()
    menu.close()
    result = ctrl.result
    (brk,) = result.request.breaks
    assert brk.feature_id == "P3" and brk.fraction == pytest.approx(0.3, abs=0.02)

    expected = isolate(net, result.request)
    assert step_summary(result) == step_summary(expected)
    # The hand-worked answer (module docstring).
    assert step_summary(expected) == [("V1", "close_valve", True), ("V4", "close_valve", True),
                                      ("V3", "close_valve", False)]  # fmt: skip
    assert [s.feature_id for s in expected.skipped] == ["V2"]
    assert ctrl.dock.plan_ids() == ["V1", "V4", "V3"]
    assert [r.data(0, Qt.ItemDataRole.UserRole) for r in ctrl.dock.rows("skipped")] == ["V2"]
    plan_rows_text = [[r.text(c) for c in range(4)] for r in ctrl.dock.rows("step")]
    assert plan_rows_text == [["1", "V1", "Close", "required"], ["2", "V4", "Close", "required"],
                              ["3", "V3", "Close", "optional"]]  # fmt: skip
    assert ctrl.dock.rows("step")[0].text(5) == "remote"  # V1 is remote-controlled
    assert [r.data(0, Qt.ItemDataRole.UserRole) for r in ctrl.dock.rows("customer")] == ["C1"]  # special users
    assert [r.data(0, Qt.ItemDataRole.UserRole) for r in ctrl.dock.rows("sensor")] == ["S1"]
    assert ctrl.dock.headline.text() == "Close 2 valves · 1 optional · 1 would not turn"
    assert "3 customers" in ctrl.dock.impact_label.text() and "1 special user" in ctrl.dock.impact_label.text()

    ov = ctrl.overlay
    assert ov.steps.labels() == ["1", "2", "3"]
    assert ov.steps.required().tolist() == [True, True, False]
    assert ov.skipped.count() == 1 and ov.breaks.count() == 1
    v2 = net["valves"].geometry.array[net.locate("V2")[1]]
    assert "not operable" in ov.tooltip_at(window.canvas.map_to_widget(v2.x, v2.y))
    # Segments per pipe: P2, P3, Pc3, P4 isolated (one segment each here), P8, Pc1, Pc2 cut off.
    assert ov.isolated_core.count() == len(expected.isolated_pipe_ids) == 4
    assert ov.cut_core.count() == len(expected.cut_off_pipe_ids) == 3


def test_shift_click_adds_a_break_to_the_same_incident(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    ctrl.act_isolate.trigger()
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        tool_click(qtbot, window, *point_on(net, "P8", 0.5), modifiers=Qt.KeyboardModifier.ShiftModifier)
    result = ctrl.result
    assert [b.feature_id for b in result.request.breaks] == ["P3", "P8"]
    assert step_summary(result) == step_summary(isolate(net, result.request))
    assert ctrl.overlay.breaks.count() == 2
    assert ctrl.tool_active  # Shift keeps the tool for more breaks
    assert "P3 at 30% + P8 at 50%" in ctrl.dock.title.text()


def test_a_row_click_zooms_to_and_selects_that_valve(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    window.canvas.zoom_to_extent()
    (row,) = [r for r in ctrl.dock.rows("step") if r.data(0, Qt.ItemDataRole.UserRole) == "V4"]
    tree = ctrl.dock.plan_tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(row).center())
    assert window.canvas.selected is not None and window.canvas.selected.feature_id == "V4"
    v4 = net["valves"].geometry.array[net.locate("V4")[1]]
    xmin, ymin, xmax, ymax = window.canvas.map_range()
    assert xmin < v4.x < xmax and ymin < v4.y < ymax
    assert xmax - xmin < 400  # zoomed in from the whole network (about 700 m across)
    assert "V4" in ctrl.dock.detail.text()
    assert ctrl.dock.failed_button.isEnabled()


def test_this_valve_failed_plans_again_like_reanalyse(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    first = isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    (row,) = [r for r in ctrl.dock.rows("step") if r.data(0, Qt.ItemDataRole.UserRole) == "V4"]
    ctrl.dock.plan_tree.setCurrentItem(row)
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        ctrl.dock.failed_button.click()
    expected = reanalyse(net, first, ["V4"])
    assert step_summary(ctrl.result) == step_summary(expected)
    # By hand: gas now passes V4 too, so the next ring holds: V5 joins V1, V3 stays optional.
    assert step_summary(expected) == [("V1", "close_valve", True), ("V5", "close_valve", True),
                                      ("V3", "close_valve", False)]  # fmt: skip
    assert ctrl.dock.plan_ids() == ["V1", "V5", "V3"]
    assert [s.feature_id for s in ctrl.result.skipped] == ["V2", "V4"]
    assert ctrl.overlay.skipped.count() == 2
    assert ctrl.overlay.steps.labels() == ["1", "2", "3"]
    assert "V4" in ctrl.dock.message.text()


def test_exports_write_the_plan_and_customer_rows(qtbot, hand, tmp_path, monkeypatch):
    window, net = hand
    ctrl = controller(window)
    result = isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    targets = iter([tmp_path / "valves", tmp_path / "customers.csv"])  # the dialog adds .csv when it is missing
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(next(targets)), "CSV (*.csv)"))
    ctrl.dock.export_plan_button.click()
    ctrl.dock.export_customers_button.click()

    def read(path):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    def as_text(rows):
        return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]

    assert read(tmp_path / "valves.csv") == as_text(plan_rows(result, net.crs))
    assert [r["feature_id"] for r in read(tmp_path / "valves.csv")] == ["V1", "V4", "V3", "V2"]
    assert read(tmp_path / "customers.csv") == as_text(customer_rows(result, net.crs))
    assert [r["feature_id"] for r in read(tmp_path / "customers.csv")] == ["C1", "C2", "C3"]
    assert window.prefs.get("isolation/export_dir") == str(tmp_path.resolve())


def test_clear_removes_the_overlay_and_empties_the_dock(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    assert ctrl.overlay.items()
    assert window.actions["isolation.clear"].isEnabled()
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS) as blocker:
        ctrl.dock.clear_button.click()
    assert blocker.args == [None]
    assert ctrl.overlay.items() == []
    assert all(item.scene() is None for item in (ctrl.overlay.steps, ctrl.overlay.isolated_core, ctrl.overlay.veil))
    assert ctrl.dock.plan_tree.topLevelItemCount() == 0 and ctrl.dock.impact_tree.topLevelItemCount() == 0
    assert ctrl.dock.headline.text() == "" and ctrl.result is None
    assert not ctrl.dock.clear_button.isEnabled()
    assert not window.actions["isolation.clear"].isEnabled()


@pytest.mark.parametrize("theme", [DARK, LIGHT], ids=["dark", "light"])
def test_pixels_the_outage_is_drawn_in_its_colours(qtbot, hand, theme):
    window, net = hand
    window.apply_theme(theme, save=False)
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    window.canvas.zoom_to_extent()
    wait_settled(qtbot, window.canvas)
    image = image_array(window.canvas.grab().toImage())
    colors = OVERLAY_COLORS[theme.name]
    dpr = window.canvas.devicePixelRatioF()

    def pixel(x, y):
        p = window.canvas.map_to_widget(x, y)
        return image[int(round(p.y() * dpr)), int(round(p.x() * dpr))].astype(float)

    isolated, cut_off = rgb(colors.isolated), rgb(colors.cut_off)
    for pid in ("P2", "P4"):  # isolated pipes (the break itself sits on P3)
        assert np.abs(pixel(*point_on(net, pid, 0.5)) - isolated).max() < 40, pid
    assert np.abs(pixel(*point_on(net, "P8", 0.5)) - cut_off).max() < 40
    outside = pixel(*point_on(net, "P5", 0.5))  # still supplied: not drawn as outage
    assert np.abs(outside - isolated).max() > 80 and np.abs(outside - cut_off).max() > 80
    assert ctrl.overlay.isolated_core.pen().color().name() == colors.isolated


def test_switching_theme_recolours_the_overlay(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    window.apply_theme(LIGHT, save=False)
    assert ctrl.overlay.isolated_core.pen().color().name() == OVERLAY_COLORS["light"].isolated
    window.apply_theme(DARK, save=False)
    assert ctrl.overlay.isolated_core.pen().color().name() == OVERLAY_COLORS["dark"].isolated


def test_an_edit_redoes_the_isolation_and_another_network_clears_it(qtbot, hand, network):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        net.set_values("valves", np.array([net.locate("V4")[1]]), "accessible", False)
    result = ctrl.result
    assert result.version == net.version
    assert step_summary(result) == step_summary(isolate(net, result.request))
    assert [s.feature_id for s in result.skipped] == ["V2", "V4"]
    assert "edited" in ctrl.dock.message.text()

    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS) as blocker:
        window.set_network(network)
    assert blocker.args == [None]
    assert ctrl.overlay.items() == []
    assert network.name in ctrl.dock.message.text()


def test_an_edit_that_removes_the_break_clears_with_a_note(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS) as blocker:
        net.remove_features("pipes", ["P3"])
    assert blocker.args == [None]
    assert "no longer applies" in ctrl.dock.message.text() and "P3" in ctrl.dock.message.text()


def test_the_closing_order_rule_can_be_switched(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    combo = ctrl.dock.order_combo
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        combo.setCurrentIndex(combo.findData("nearest_first"))
    result = ctrl.result
    assert result.order_rule == "nearest_first"
    expected = isolate(net, IsolationRequest.at_pipe("P3", result.request.breaks[0].fraction, order="nearest_first"))
    assert ctrl.dock.plan_ids() == [s.feature_id for s in expected.plan]


def test_the_dim_veil_can_be_turned_off(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    isolate_by_tool(qtbot, window, *point_on(net, "P3", 0.3))
    assert ctrl.overlay.veil.scene() is not None
    ctrl.dock.dim_check.setChecked(False)
    assert ctrl.overlay.veil.scene() is None
    assert ctrl.overlay.steps.scene() is not None


def test_docstring_examples():
    from console.ui.isolation import _items, _text

    for module in (_text, _items):
        failures, tried = doctest.testmod(module)
        assert tried and not failures, module.__name__


def test_a_cold_cache_builds_the_segments_in_the_background_and_hands_them_over(qtbot, hand):
    window, net = hand
    ctrl = controller(window)
    net.set_values("pipes", np.array([net.locate("P5")[1]]), "dn", 160)  # a new version: its segments are not built
    request = IsolationRequest.at_pipe("P3", 0.3)
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        ctrl.run(request)
        assert ctrl.busy  # waiting for the job, the window stays responsive
        assert "valve segments" in ctrl.dock.message.text()
    assert not ctrl.busy
    assert ctrl.result.version == net.version
    assert step_summary(ctrl.result) == step_summary(isolate(net, request))
    # The job's segments went into the live network's cache: the next query does not rebuild them.
    segments = net.cached("isolation.segments", lambda: pytest.fail("segments were built again"))
    assert segments.version == net.version


def test_escape_disarms_the_tool(qtbot, hand):
    window, _ = hand
    ctrl = controller(window)
    window.set_tool("identify")
    ctrl.act_isolate.trigger()
    assert ctrl.tool_active and window.canvas.tool == "pan"
    window.act_clear.trigger()  # Esc
    assert not ctrl.tool_active and not ctrl.act_isolate.isChecked()
    assert window.canvas.tool == "identify"  # the tool in use before


def test_warnings_are_shown_above_the_lists(qtbot, window):
    # No gate station at all: nothing is supplied, the core warns, and the dock says so where it is read first.
    net = make_network(
        [("A", "junctions", 0, 0), ("B", "junctions", 100, 0), ("C", "junctions", 200, 0)],
        [("P1", "pipes", "A", "B"), ("V1", "valves", "B", "C")],
        name="Unfed",
    )
    with qtbot.waitSignal(window.networkShown, timeout=WAIT_MS):
        window.set_network(net)
    ctrl = controller(window)
    with qtbot.waitSignal(ctrl.resultChanged, timeout=WAIT_MS):
        ctrl.run(IsolationRequest.at_pipe("P1", 0.5))
    expected = isolate(net, IsolationRequest.at_pipe("P1", 0.5))
    assert expected.warnings and ctrl.result.warnings == expected.warnings
    assert "⚠ no supply source" in ctrl.dock.impact_label.text()
    assert all(w in ctrl.dock.notes.toPlainText() for w in expected.warnings)
    assert ctrl.dock.plan_ids() == [s.feature_id for s in expected.plan]
