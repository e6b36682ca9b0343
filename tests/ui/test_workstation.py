"""The control-room workstation (issue 19): each defect a dispatcher met, pinned.

Search is case-insensitive across ids, names, meter ids, addresses and streets; right-click "Report hazard here" on a
valve names the valve, not the sensor on it; hover and identify agree; the identify panel shows live values; alarm
rows follow the latest reading; empty states say what is true.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from console.network import generate_demo
from console.ui.search import FeatureIdIndex
from tests.telemetry.nets import district as sensor_district
from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled
from tests.ui.test_telemetry_ui import methane

WAIT_MS = 30_000


@pytest.fixture(scope="module")
def demo_index():
    net = generate_demo(800, seed=5)
    return net, FeatureIdIndex.of(net)


# -- search ---------------------------------------------------------------------------------------------------------
def test_search_is_case_insensitive_for_ids(window):
    assert window.search.resolve("rg2") == "RG2" and window.search.resolve("v3") == "V3"
    assert window.search.resolve("ec-") == "EC-B"  # the only id with that prefix, typed in lower case
    window.search.setText("v3")
    window.search.returnPressed.emit()
    assert window.canvas.selected.feature_id == "V3" and window.attributes_dock.feature_id == "V3"


def test_search_suggests_as_you_type(qtbot, window):
    window.search.setFocus()
    qtbot.keyClicks(window.search, "rg")
    labels = window.search.suggestions()
    assert labels[:4] == ["RG1 · regulator", "RG2 · regulator", "RG3 · regulator", "RG4 · regulator"]
    window.search.clear()
    qtbot.keyClicks(window.search, "box 3")  # the regulator's name, lower case
    assert window.search.suggestions() == ["Box 3 · regulator RG3"]
    assert window.search.resolve("BOX 3") == "RG3"


def test_search_finds_names_meter_ids_addresses_and_streets(demo_index):
    net, idx = demo_index
    customers = net["customers"]
    named = customers[customers["name"] != ""].iloc[0]
    assert idx.resolve(named["name"]) in set(customers["id"][customers["name"] == named["name"]])
    metered = customers[customers["meter_id"] != ""].iloc[3]
    assert idx.resolve(metered["meter_id"]) == metered["id"]
    from console.network import derive_addresses

    a = derive_addresses(net)
    row = 7
    s, n = int(a.customer_street[row]), int(a.customer_number[row])
    found = idx.text.exact(f"{a.name[s]}{n}号")
    assert customers["id"].iat[row] in {m.target for m in found}
    found = idx.text.exact(f"{a.name_en[s].upper()} {n}")  # pinyin, any case
    assert customers["id"].iat[row] in {m.target for m in found}
    street = idx.resolve_match(a.name_en[0].lower())
    assert street.target == "street:0" and street.bounds == pytest.approx(a.street_bounds(0))
    assert idx.resolve_match(a.name[0]).target == "street:0"
    pipe = str(net["pipes"]["id"].iat[10])
    assert idx.resolve(pipe.lower()) == pipe


def test_a_street_chosen_in_search_is_shown_on_the_map(window):
    idx = window.search.index
    match = idx.resolve_match(idx.text._matches[0].text)
    assert match is not None
    with_street = [m for m in idx.text._matches if m.target.startswith("street:")]
    assert with_street, "the synthetic district's mains make streets"
    box = with_street[0].bounds
    window.search.request(with_street[0])
    view = window.canvas.map_range()
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    assert view[0] < cx < view[2] and view[1] < cy < view[3]
    assert view[2] - view[0] < 3 * max(box[2] - box[0], box[3] - box[1], 100)


# -- the live view ---------------------------------------------------------------------------------------------------
@pytest.fixture
def live(qtbot):
    from console.ui.main_window import MainWindow

    net = sensor_district()
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(net)
    wait_settled(qtbot, w.canvas)
    ctrl = w.extensions["telemetry"]
    with qtbot.waitSignal(ctrl.sessionOpened, timeout=WAIT_MS):
        ctrl.open(start=None)
    yield w, ctrl, net
    w.close()


def _at(net, feature_id):
    layer, row = net.locate(feature_id)
    g = net[layer].geometry.array[row]
    return g.centroid.x, g.centroid.y


def test_report_hazard_on_a_valve_names_the_valve_not_its_sensor(live):
    w, _ctrl, net = live
    x, y = _at(net, "VA")
    hit = w.canvas.pick(x, y)
    assert hit.feature_id == "MA"  # the methane sensor in VA's well is drawn on top of the valve
    w.canvas.contextRequested.emit(hit, x, y, QPoint(10, 10))
    menu = QApplication.activePopupWidget()
    texts = [a.text() for a in menu.actions()]
    menu.close()
    assert "Isolate here — VA" in texts
    assert "Report hazard here — VA" in texts


def test_hover_and_identify_agree_and_co_located_features_are_listed(live):
    w, ctrl, net = live
    x, y = _at(net, "VA")
    w.canvas.identify_at(x, y)
    assert w.attributes_dock.feature_id == "MA"
    assert ctrl.hover_rows(x, y)[0] == ctrl.session.sensors.row("MA")
    here = w.attributes_dock.also_here_ids()
    assert here[0] == "MA" and "VA" in here
    # choosing the valve in "Also here" identifies it; hover there still shows the valve's sensor first
    w.attributes_dock.also_here.setCurrentIndex(here.index("VA"))
    w.attributes_dock.also_here.activated.emit(here.index("VA"))
    assert w.attributes_dock.feature_id == "VA" and w.canvas.selected.feature_id == "VA"


def test_the_identify_panel_shows_live_values_and_follows_them(live, qtbot):
    w, ctrl, net = live
    w.zoom_to_feature("VA")  # the valve: its sensor MA's value shows
    live_rows = w.attributes_dock.live_values()
    assert len(live_rows) == 1 and "no reading yet" in next(iter(live_rows.values()))
    methane(ctrl, 12.5)
    text = next(iter(w.attributes_dock.live_values().values()))
    assert text.startswith("12.5 %LEL") and "ago" in text
    methane(ctrl, 33.0)
    text = next(iter(w.attributes_dock.live_values().values()))
    assert text.startswith("33 %LEL") and "HI alarm" in text and "Normal" not in text
    w.zoom_to_feature("PA1")  # a pipe without sensors: no live rows
    assert w.attributes_dock.live_values() == {}


def test_alarm_rows_show_the_latest_value_not_the_onset(live):
    w, ctrl, _ = live
    dock = ctrl.alarm_dock
    methane(ctrl, 30.0)  # HI at 30 %LEL
    col = 6
    assert dock.model.headerData(col, Qt.Orientation.Horizontal) == "Value"
    assert dock.model.index(0, col).data().startswith("30")
    methane(ctrl, 41.0)  # still HI, higher
    assert dock.model.index(0, col).data().startswith("41")
    assert "at onset 30" in dock.model.index(0, col).data(Qt.ItemDataRole.ToolTipRole)


def test_empty_alarm_list_says_what_is_true(qtbot, window, live):
    w, ctrl, _ = live
    assert "no feed" in ctrl.alarm_dock.summary.text()  # open, nothing coming in: not "all normal"
    net = window.network
    no_sensors = type(net)({k: (v.iloc[:0] if k == "sensors" else v) for k, v in net.layers.items()}, net.crs)
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.set_network(no_sensors)
    text = window.extensions["telemetry"].alarm_dock.summary.text()
    assert text.startswith("No sensors in this network") and "all normal" not in text


def test_the_identify_panel_says_the_alarm_list_s_state_and_shows_the_whole_text(live, qtbot):
    """A sensor whose HI alarm is in the alarm list is never "Normal" in the identify panel (the same records), and
    the live row shows every part of its text on lines of its own (nothing cut off), the whole text in its tooltip."""
    w, ctrl, _net = live
    w.resizeDocks([w.attributes_dock], [240], Qt.Orientation.Horizontal)  # a narrow dock, as in the control room
    w.zoom_to_feature("MA")
    methane(ctrl, 25.6)
    listed = {(r.sensor_id, str(r.condition)) for r in ctrl.session.service.alarm_list()}
    assert ("MA", "HI") in listed
    (text,) = w.attributes_dock.live_values().values()
    assert "HI alarm (unacknowledged)" in text and "Normal" not in text
    table = w.attributes_dock.table
    parts = text.split(" · ")  # value, state, age: a row each, the whole text in every row's tooltip
    shown = [table.topLevelItem(k) for k in range(len(parts))]
    assert [i.text(1) for i in shown] == parts and all(i.toolTip(1) == text for i in shown)
    metrics = table.fontMetrics()
    for i in shown:  # the value column has room for each part (no "Normal…" cut off)
        assert table.visualItemRect(i).height() >= metrics.height()
        assert metrics.horizontalAdvance(i.text(1)) <= 1.15 * table.columnWidth(1), (i.text(1), table.columnWidth(1))
    ctrl.session.acknowledge([("MA", "HI")])
    ctrl.refresh(force=True)
    (text,) = w.attributes_dock.live_values().values()
    assert "HI alarm (acknowledged)" in text


# -- the status bar --------------------------------------------------------------------------------------------------
def test_switching_role_puts_no_squeezed_layout_message_in_the_status_bar(qtbot, window):
    from console.ui.layouts import ROLES

    layouts = window.layouts
    other = next(r for r in ROLES if r is not layouts.role)
    layouts.switch(other.key)
    assert "Layout" not in window.statusBar().currentMessage()  # the toolbar's role box names it


def test_status_bar_labels_fit_at_1280(qtbot, window, network):
    window.resize(1280, 720)
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.set_network(network)
    qtbot.wait(100)
    QApplication.processEvents()
    bar = window.statusBar()
    for label in (window.crs_label, window.counts_label):
        assert label.isVisible()
        right = label.mapTo(bar, label.rect().topRight()).x()
        assert right <= bar.width(), (label.text(), right, bar.width())
        assert label.text() in label.toolTip().replace(", ", " · ")  # whatever is elided, the tooltip has it all
    crs = network.crs
    if crs is not None and crs.to_epsg():
        assert window.crs_label.shown_text().startswith(f"EPSG:{crs.to_epsg()}")  # the code stays readable
        assert crs.name in window.crs_label.toolTip()
