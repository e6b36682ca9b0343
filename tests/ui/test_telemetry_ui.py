"""The live view in the main window: alarms appear in the dock and acknowledging works; the map shows alarm colours;
shelving asks for a reason; trends of an identified sensor; feed indicator and training events on the simulator."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from console.telemetry import AlarmState, FeedState, ReadingBatch, SensorStatus
from console.ui.telemetry import TelemetryController
from console.ui.telemetry._overlay import OFFSET_PX, STATE_COLORS
from tests.telemetry.nets import district
from tests.ui.conftest import SETTLE_TIMEOUT_MS, image_array, rgb, wait_settled

WAIT_MS = 30_000


@pytest.fixture
def live(qtbot):
    """The main window on the hand-built district of tests/telemetry/nets.py, with its live session open, no feed."""
    from console.ui.main_window import MainWindow

    net = district()
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(net)
    wait_settled(qtbot, w.canvas)
    ctrl: TelemetryController = w.extensions["telemetry"]
    assert ctrl.session is None  # an in-memory network is not the demo: nothing starts by itself
    with qtbot.waitSignal(ctrl.sessionOpened, timeout=WAIT_MS):
        ctrl.open(start=None)
    yield w, ctrl, net
    w.close()


def methane(ctrl, value: float, sensor: str = "MA", n: int = 4) -> None:
    """``n`` readings of ``value`` %LEL 2 s apart (the on-delay is 3 s), after the sensor's latest one."""
    service = ctrl.session.service
    row = service.sensors.row(sensor)
    newest = service.validator.newest_t[row]
    start = time.time() - 60.0 if not np.isfinite(newest) else newest + 2.0
    t = start + 2.0 * np.arange(n)
    service.ingest(ReadingBatch([row] * n, t, [value] * n))
    ctrl.refresh(force=True)


def rows(dock) -> list[tuple[str, str, str]]:
    return [(r.sensor_id, r.condition.value, r.state.value) for r in dock.shown_records()]


def test_alarms_appear_in_the_dock_and_acknowledge_works(live, qtbot):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    assert dock.summary.text().startswith("No alarms")
    methane(ctrl, 62.0)  # over 50 % LEL: HIHI and HI
    assert rows(dock) == [("MA", "HIHI", "unack_active"), ("MA", "HI", "unack_active")]  # P1 before P2
    assert dock.summary.text() == "2 unacknowledged · 2 active · 0 shelved"
    assert ctrl.badge.text() == "▲ 2 UNACK · 2 active"
    assert not dock.ack_button.isEnabled()  # nothing selected yet

    dock.table.selectRow(0)
    assert dock.ack_button.isEnabled()
    dock.ack_button.click()
    assert rows(dock) == [("MA", "HI", "unack_active"), ("MA", "HIHI", "ack_active")]  # unacknowledged first
    assert ctrl.badge.text() == "▲ 1 UNACK · 2 active"
    stored = ctrl.session.service.store.events(kinds=["acknowledged"])
    assert [(e.sensor_id, e.condition.value, e.user) for e in stored] == [("MA", "HIHI", ctrl.session.operator)]

    dock.ack_all_button.click()
    assert {s for _, _, s in rows(dock)} == {"ack_active"} and ctrl.badge.text() == "▲ 2 active"
    methane(ctrl, 1.0, n=8)  # gas gone: both clear (after the 10 s off-delay) and, acknowledged, leave the list
    assert rows(dock) == [] and ctrl.badge.text() == "✓ No alarms"


def test_the_selection_survives_new_alarms(live):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    methane(ctrl, 30.0)  # HI only
    dock.table.selectRow(0)
    assert dock.selected_keys() == [("MA", "HI")]
    methane(ctrl, 30.0, sensor="MB")  # another alarm arrives and the list is rebuilt
    assert len(rows(dock)) == 2 and dock.selected_keys() == [("MA", "HI")]


def test_filters_by_text_priority_and_state(live):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    methane(ctrl, 62.0)
    methane(ctrl, 30.0, sensor="MB")
    assert len(rows(dock)) == 3
    dock.filter_edit.setText("mb")
    assert rows(dock) == [("MB", "HI", "unack_active")]
    dock.filter_edit.clear()
    assert [int(r.priority) for r in dock.shown_records()] == [1, 2, 2]  # methane: 50 % LEL P1, 25 % LEL P2
    dock.priority_combo.setCurrentIndex(dock.priority_combo.findText("P1 only"))
    assert rows(dock) == [("MA", "HIHI", "unack_active")]
    dock.priority_combo.setCurrentIndex(0)
    dock.state_combo.setCurrentIndex(dock.state_combo.findData("shelved"))
    assert rows(dock) == []


def test_shelving_needs_a_reason_and_hides_the_alarm_from_the_map(live, qtbot):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    methane(ctrl, 30.0)
    row = ctrl.session.sensors.row("MA")
    assert ctrl.overlay.counts()[SensorStatus.WARNING] == 1
    dock.table.selectRow(0)
    dock.shelve_button.click()
    dlg = dock.dialog
    ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # ISA-18.2: no shelving without a reason
    dlg.reason_edit.setText("detector being recalibrated, WO-1205")
    dlg.duration.setCurrentIndex(dlg.duration.findText("1 h"))
    ok.click()
    (record,) = dock.shown_records()
    assert record.state == AlarmState.SHELVED and record.comment == "detector being recalibrated, WO-1205"
    assert record.shelved_until == pytest.approx(time.time() + 3600, abs=5)
    assert ctrl.session.service.snapshot().status[row] == SensorStatus.NORMAL  # shelved: not annunciated
    assert ctrl.overlay.counts()[SensorStatus.WARNING] == 0
    dock.table.selectRow(0)
    dock.unshelve_button.click()
    assert dock.shown_records()[0].state == AlarmState.UNACK_ACTIVE


def test_the_map_shows_alarm_colours_where_the_sensor_is(live, qtbot):
    w, ctrl, net = live
    canvas = w.canvas
    methane(ctrl, 62.0)  # MA: alarm (red)
    methane(ctrl, 30.0, sensor="MB")  # MB: warning (amber)
    counts = ctrl.overlay.counts()
    assert counts[SensorStatus.ALARM] == 1 and counts[SensorStatus.WARNING] == 1
    assert counts[SensorStatus.NO_DATA] == len(net["sensors"]) - 2
    assert ctrl.overlay.ring_count == 2  # both unacknowledged
    canvas.zoom_to_extent()  # whole district: alarms are drawn at every zoom
    wait_settled(qtbot, canvas)
    image = image_array(canvas.grab().toImage())
    dpr = canvas.devicePixelRatioF()
    for sensor, status in (("MA", SensorStatus.ALARM), ("MB", SensorStatus.WARNING)):
        row = ctrl.session.sensors.row(sensor)
        x, y = ctrl.session.sensors.xy[row]
        p = canvas.map_to_widget(x, y)
        cx, cy = int((p.x() + OFFSET_PX[0]) * dpr), int((p.y() + OFFSET_PX[1]) * dpr)
        patch = image[cy - 3 : cy + 4, cx - 3 : cx + 4].reshape(-1, 3).astype(float)
        want = rgb(STATE_COLORS[w.theme.name][status])
        assert np.min(np.abs(patch - want).sum(axis=1)) < 40, f"{sensor} is not drawn in its {status.name} colour"


def test_identifying_a_device_trends_its_sensors(live, qtbot):
    w, ctrl, net = live
    methane(ctrl, 30.0, n=10)
    with qtbot.waitSignal(ctrl.trendsShown, timeout=WAIT_MS):
        w.zoom_to_feature("VA")  # the valve whose well holds methane detector MA
    assert ctrl.trend_dock.sensors() == ["MA"] and ctrl.trend_dock.isVisible()
    (series,) = ctrl.trend_dock.series
    assert series.sensor_id == "MA" and series.unit == "%LEL" and len(series.t) == 10
    assert np.all(series.value == 30.0) and series.limits == {"hi": 25.0, "hihi": 50.0}
    assert list(ctrl.trend_dock.plots()) == ["%LEL"]
    with qtbot.waitSignal(ctrl.trendsShown, timeout=WAIT_MS):
        ctrl.trend_sensors(["MA", "SA1"])  # two units: two stacked plots
    assert list(ctrl.trend_dock.plots()) == ["%LEL", "kPa"]


def test_simulator_indicator_training_leak_and_stop(live, qtbot):
    w, ctrl, net = live
    ctrl.start_simulator()
    session = ctrl.session
    assert session.simulated and session.feed.state == FeedState.RUNNING
    qtbot.waitUntil(lambda: session.feed.status().accepted > 0, timeout=WAIT_MS)
    ctrl._update_status()
    assert ctrl.indicator.text().startswith("● SIMULATOR · running")
    assert "not field data" in ctrl.indicator.toolTip()
    assert ctrl.act_leak.isEnabled() and ctrl.act_stop.isEnabled()

    layer, r = net.locate("PA2")
    c = net[layer].geometry.array[r].interpolate(0.5, normalized=True)
    w.canvas.contextRequested.emit(w.canvas.pick(c.x, c.y), c.x, c.y, QPoint(10, 10))
    menu = w.context_menu
    (act,) = [a for a in menu.actions() if a.text().startswith("Training: simulate a leak")]
    menu.close()
    act.trigger()
    assert [e.feature_id for e in session.feed.events] == ["PA2"]

    ctrl.stop_feed()
    assert session.feed is None and ctrl.indicator.text() == "○ No live feed"
    assert not ctrl.act_leak.isEnabled()


def test_closing_the_window_stops_the_feed_and_the_worker(qtbot, live):
    w, ctrl, _ = live
    ctrl.start_simulator()
    session = ctrl.session
    worker = session.service._worker
    assert worker.is_alive()
    w.close()
    QApplication.processEvents()
    assert ctrl.session is None and not worker.is_alive() and session.feed is None


def test_the_demo_district_is_recognised_by_its_folder(tmp_path):
    from console.app.live import is_demo_path
    from console.app.workspace import demo_path

    assert is_demo_path(demo_path())
    assert not is_demo_path(tmp_path / "network.gpkg") and not is_demo_path(None)


def test_alarm_list_rows_are_selected_by_key(live):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    methane(ctrl, 62.0)
    dock.select_keys([("MA", "HI")])
    assert dock.selected_keys() == [("MA", "HI")]
    dock.table.selectionModel().select(
        dock.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    assert sorted(dock.selected_keys()) == [("MA", "HI"), ("MA", "HIHI")]


def test_live_pressure_readings_drive_the_contours(live, qtbot):
    w, ctrl, net = live
    sim = w.extensions["simulation"]
    with qtbot.waitSignal(sim.simulated, timeout=WAIT_MS):
        sim.simulate()
    service = ctrl.session.service
    row = service.sensors.row("SA1")
    now = time.time()
    service.ingest(ReadingBatch([row] * 3, [now - 3, now - 2, now - 1], [2.1] * 3))  # the model says 2.5 kPa
    nodes, pa = ctrl.session.live_pressures(sim.run.version)
    assert nodes.tolist() == [net.topology.node_index(["A1"])[0]] and pa.tolist() == [2100.0]
    assert ctrl.session.live_pressures(sim.run.version + 1) is None  # readings of another network version never mix in
    with qtbot.waitSignal(sim.contoursShown, timeout=WAIT_MS):
        sim.dock.contours_check.setChecked(True)
    assert sim._live_used == 0
    with qtbot.waitSignal(sim.contoursShown, timeout=WAIT_MS):
        sim.dock.live_check.setChecked(True)
    assert sim._live_used == 1
    assert "Corrected by 1 live pressure readings" in sim.dock.contour_legend.note.text()
    (lp,) = [c for c in sim.overlay.contours.sets if c.pressure_class == "LP"]
    assert lp.levels_pa.min() < 2500.0 - 100.0  # the field now dips towards the 2.1 kPa reading


def test_a_long_sensor_name_never_pushes_the_trend_controls_out_of_a_narrow_dock(qtbot):
    from console.ui.telemetry._trend_dock import TrendDock

    dock = TrendDock()
    qtbot.addWidget(dock)
    name = "S-00151 V-00161 阀井可燃气体 · 舟山新城临城街道海天大道与千岛路交叉口东北侧阀井"
    dock.set_sensors(["S-00151", "S-00152"], {"S-00151": name, "S-00152": name})
    dock.show_series([])
    dock.resize(360, 260)
    dock.show()
    qtbot.waitExposed(dock)
    scroll = dock.widget()
    qtbot.waitUntil(lambda: scroll.widget().width() > 0)
    assert dock.title.text().startswith("S-00151 V-00161") and dock.title.toolTip() == dock.title.text()
    # drawn elided with "…" inside the dock, the full text in the tooltip; the list's names elided the same way
    assert dock.title.shown_text().endswith("…") and dock.title.shown_text() != dock.title.text()
    assert dock.title.mapTo(scroll.widget(), dock.title.rect().topRight()).x() <= scroll.widget().width()
    item = dock.list.item(0)
    assert item.toolTip() == name
    assert dock.list.visualItemRect(item).width() <= dock.list.viewport().width()
    assert scroll.horizontalScrollBar().maximum() == 0
    body = scroll.widget()
    for w in (dock.window_combo, dock.remove_button, dock.clear_button):
        right = w.mapTo(body, w.rect().topRight()).x()
        assert w.isVisible() and right <= body.width(), w


def test_the_alarm_list_opens_wide_enough_for_its_filters_and_buttons(live, qtbot):
    w, ctrl, _ = live
    dock, trends = ctrl.alarm_dock, ctrl.trend_dock
    scroll = dock.widget()
    qtbot.waitUntil(lambda: dock.width() >= scroll.widget().sizeHint().width(), timeout=WAIT_MS)
    assert scroll.horizontalScrollBar().maximum() == 0
    trends.raise_()  # a tab of the role layout's column (issue 19): brought to the front, it fits the column too
    qtbot.waitUntil(lambda: trends.widget().horizontalScrollBar().maximum() == 0, timeout=WAIT_MS)
    assert dock.zoom_button.mapTo(scroll.widget(), dock.zoom_button.rect().topRight()).x() <= scroll.widget().width()


def test_on_the_first_launch_the_demo_district_starts_its_simulator(qtbot):
    """run_gui's order (issue 12 item 6): the window is built without its features, the demo district is shown, and
    only then are the features installed — the live view must still take up the shown network and start the
    simulator, as it does for every later one."""
    from console.app.workspace import demo_path
    from console.io import write_network
    from console.ui.main_window import MainWindow

    path = demo_path().parent / "demo-district-tiny.gpkg"  # the demo folder is what makes a network "the demo"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_network(district(), path)
    w = MainWindow(defer_features=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.open_path(path)
    assert w.extensions == {}
    w.install_features()
    ctrl: TelemetryController = w.extensions["telemetry"]
    qtbot.waitUntil(lambda: ctrl.session is not None and ctrl.session.feed is not None, timeout=WAIT_MS)
    session = ctrl.session
    assert session.simulated and session.feed.state == FeedState.RUNNING
    assert session.workspace.db_path == session.db_path and session.db_path.parent.name == "demo-district-tiny"
    qtbot.waitUntil(lambda: session.feed.status().accepted > 0, timeout=WAIT_MS)
    w.close()


def test_a_new_urgent_alarm_sounds_the_horn_until_silenced(live, qtbot):
    """ISA-18.2 audible annunciation in the window: beeps while a new HIHI methane alarm waits, F8 silences it, the
    alarm stays unacknowledged."""
    w, ctrl, _ = live
    assert not w.actions["live.silence"].isEnabled()
    methane(ctrl, 60.0)  # above HIHI (50 % LEL): an urgent alarm
    assert ctrl.session.audible
    ctrl._on_blink()
    assert ctrl.horn_count == 1 and w.actions["live.silence"].isEnabled()
    w.actions["live.silence"].trigger()
    assert not ctrl.session.audible and ctrl.horn_count == 1
    ctrl._horn_t = -1e9
    ctrl._on_blink()
    assert ctrl.horn_count == 1  # silenced: no more beeps
    assert any(r.state.value == "unack_active" for r in ctrl.alarm_dock.shown_records())
