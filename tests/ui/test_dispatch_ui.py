"""Emergency dispatch in the main window (console.ui.dispatch): from a right-click on a hit pipe to an open incident
with its plan and customers on screen, every step from the incident dock's buttons signed in the ledger, the board's
clocks, the call intake form (search, pick on the map, join a nearby incident), alarms offered as incidents,
confirmation of a closed valve by the live pressures, and the report in HTML and PDF.

The window shows the drill's demo district (tests/dispatch/drill.py) over a ledger in a temporary folder; outcomes
are checked against the Qt-free IncidentService and the ledger, not against widget internals alone.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

from console.network import Hit
from console.ui.dispatch._board import COL
from tests.dispatch.drill import BREAK_PIPE, Clock, demo_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled

ORIGIN_NAME = "dispatch.test-gas.example/city"
PASSPHRASE = "dispatch test passphrase"


@pytest.fixture(scope="module")
def demo():
    return demo_network()


@pytest.fixture
def dwindow(qtbot, demo):
    from console.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1500, 950)
    w.show()
    qtbot.waitExposed(w)
    w.install_features()
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(demo)
    wait_settled(qtbot, w.canvas)
    yield w
    w.close()


@pytest.fixture
def ctl(dwindow, tmp_path):
    """The dispatch controller over a new ledger (fast key derivation) and a drill clock that moves when told."""
    ledger = dwindow.extensions["ledger"]
    ledger.set_folder(tmp_path / "ws" / "ledger")
    assert ledger.create_ledger(ORIGIN_NAME, PASSPHRASE, scrypt_n=2**10), ledger.last_error
    c = dwindow.extensions["dispatch"]
    clock = Clock()
    c.service.clock = clock
    c.clock = clock
    yield c
    ledger.close_ledger()


def _pipe_point(network, pipe_id: str, fraction: float = 0.3) -> tuple[float, float]:
    layer, row = network.locate(pipe_id)
    pt = network[layer].geometry.iloc[row].interpolate(fraction, normalized=True)
    return float(pt.x), float(pt.y)


def _context_action(window, ctl, hit, x, y, prefix: str):
    menu = QMenu()
    ctl._add_context_actions(menu, hit, x, y)
    acts = [a for a in menu.actions() if a.text().startswith(prefix)]
    assert acts, [a.text() for a in menu.actions()]
    return menu, acts[0]


def _open_at_break_pipe(dwindow, ctl):
    network = dwindow.network
    x, y = _pipe_point(network, BREAK_PIPE)
    _, row = network.locate(BREAK_PIPE)
    _menu, act = _context_action(dwindow, ctl, Hit("pipes", row, BREAK_PIPE, 0.0), x, y, "Open incident here")
    assert BREAK_PIPE in act.text()
    act.trigger()  # right-click → Open incident here: the second and last action
    (inc,) = ctl.service.open_incidents()
    return inc


def test_installed_with_actions_docks_and_a_free_shortcut(dwindow):
    ctl = dwindow.extensions["dispatch"]
    assert ctl.board.objectName() == "incidentBoardDock" and ctl.dock.objectName() == "incidentDock"
    assert dwindow.actions["dispatch.new_call"].shortcut().toString() == "Ctrl+Shift+E"
    shortcuts = [a.shortcut().toString() for a in dwindow.findChildren(type(dwindow.actions["dispatch.new_call"]))
                 if a.shortcut().toString()]  # fmt: skip
    assert shortcuts.count("Ctrl+Shift+E") == 1
    assert ctl.service is None  # no ledger unlocked behind the user's back


def test_pipe_hit_to_plan_and_customers_on_screen_in_two_actions(qtbot, dwindow, ctl):
    inc = _open_at_break_pipe(dwindow, ctl)
    assert inc.source == "map" and inc.feature_id == BREAK_PIPE and inc.state == "planned"
    assert [s.type for s in inc.steps] == ["incident.opened", "incident.planned", "incident.graded"]
    dock, board = ctl.dock, ctl.board
    assert dock.isVisible() and board.isVisible() and dock.tabs.currentIndex() == 0  # the plan tab
    assert dock.incident_id == inc.incident_id
    shown_valves = [dock.valves.item(r, 1).text() for r in range(dock.valves.rowCount())]
    assert shown_valves[: len(inc.valves)] == inc.valves or set(inc.valves) <= set(shown_valves)
    assert dock.customers.rowCount() == min(len(inc.affected), 2000) > 0
    # special users first, as in the plan
    cats = [dock.customers.item(r, 2).text() for r in range(dock.customers.rowCount())]
    specials = [c.startswith("special") for c in cats]
    assert specials == sorted(specials, reverse=True)
    assert board.incident_ids() == [inc.incident_id]
    from console.dispatch import grade_label

    assert board.cell_text(inc.incident_id, "Grade") == grade_label(inc.grade, "en")  # the dock's words, not a code
    assert "/" in board.cell_text(inc.incident_id, "Arrival") and " min" in dock.clocks.text()
    # on the map: the incident marker and the outage of its plan, in view
    assert inc.incident_id in ctl.overlay.incidents and ctl.overlay.outage.shown
    xmin, ymin, xmax, ymax = dwindow.canvas.map_range()
    x, y = inc.location["x"], inc.location["y"]
    assert xmin <= x <= xmax and ymin <= y <= ymax


def test_lifecycle_from_the_dock_buttons_every_step_signed(qtbot, dwindow, ctl, tmp_path):
    inc = _open_at_break_pipe(dwindow, ctl)
    iid, dock, svc = inc.incident_id, ctl.dock, ctl.service
    clock = ctl.clock
    # crews: dispatch the valve team, route along the streets, then its progress
    dock.show_tab("crews")
    rows = {dock.crews.item(r, 0).text(): r for r in range(dock.crews.rowCount())}
    assert {"VT-1", "VT-2", "RT-1", "RP-1"} <= set(rows)
    dock.crews.selectRow(rows["VT-1"])
    dock.dispatch_button.click()
    crew = svc.incident(iid).crews["VT-1"]
    assert crew["status"] == "dispatched" and crew["route_m"] > 0
    assert ctl.overlay.routes.count() > 0 and "VT-1" in ctl.overlay.crews
    dock.crews.selectRow(rows["VT-1"])
    assert not dock.dispatch_button.isEnabled()  # the dock offers no second assignment …
    assert not ctl.step("dispatch", {"incident_id": iid, "crew_id": "VT-1"})  # … and the service refuses one
    assert "already assigned" in dock.message.text() and len(svc.incident(iid).steps) == 4
    for status in ("acknowledged", "en_route", "on_site"):
        clock.advance(5)
        dock.crews.selectRow(rows["VT-1"])
        dock.advance_button.click()
        assert svc.incident(iid).crews["VT-1"]["status"] == status
    # plan: close the valves
    dock.show_tab("plan")
    for v in inc.valves:
        r = [dock.valves.item(i, 1).text() for i in range(dock.valves.rowCount())].index(v)
        dock.valves.selectRow(r)
        dock.closed_button.click()
    assert svc.incident(iid).state == "isolated"
    # notices: zh call list and SMS batch
    dock.show_tab("notices")
    assert "停气通知" in dock.notice_preview.toPlainText()
    dock.send_button.click()
    assert dock.notices.rowCount() == 1 and "written" in dock.message.text()
    # restoration: relighting before the valves reopened is refused
    dock.show_tab("restoration")
    dock.relit_button.click()
    assert "before the valves reopened" in dock.message.text() or "not" in dock.message.text()
    dock.shut_off_button.click()
    assert svc.incident(iid).restoration_counts()["shut_off"] == len(inc.affected)
    clock.advance(60)
    while svc.reopen_order(iid):
        dock.reopen_next_button.click()
    assert svc.incident(iid).state == "restoring"
    dock.purge_button.click()
    dock.meters.selectRow(0)
    dock.not_home_button.click()
    assert len(svc.incident(iid).revisit) == 1
    dock.meters.clearSelection()
    dock.relit_button.click()  # every meter waiting, the not-at-home one too once visited again
    assert svc.incident(iid).restoration_counts()["pending"] == 0
    clock.advance(10)
    dock.close_button.click()
    final = svc.incident(iid)
    assert final.state == "closed" and not dock.close_button.isEnabled()
    assert ctl.board.incident_ids() == []
    dock.show_tab("timeline")
    assert dock.timeline.rowCount() == len(final.steps)
    assert svc.ledger.verify().future.result().ok
    # the report, HTML and PDF
    out = ctl.save_report(tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    assert iid in text and "<svg" in text and "Activity log" in text
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_call_intake_search_pick_and_join_a_nearby_incident(qtbot, dwindow, ctl):
    network = dwindow.network
    dlg = ctl.request_call()
    dlg.location.setText(BREAK_PIPE)
    dlg._on_search(BREAK_PIPE)
    assert dlg.where == {"pipe": BREAK_PIPE}
    dlg.caller.setText("张三")
    dlg.phone.setText("13800000000")
    dlg.description.setPlainText("strong smell by the crossing")
    dlg.accept()
    assert not dlg.isVisible()
    (inc,) = ctl.service.open_incidents()
    assert inc.source == "call" and inc.feature_id == BREAK_PIPE
    # a second call 20 m away: offered to join instead of a duplicate
    dlg = ctl.request_call()
    x, y = inc.location["x"] + 20, inc.location["y"]
    dlg.pickRequested.emit()
    assert ctl._picking and not dlg.isVisible()
    ctl._picking = False
    ctl.pick_point(x, y)
    assert dlg.isVisible() and dlg.where is not None
    dlg.accept()
    assert dlg.isVisible() and dlg.duplicate_of == inc.incident_id and dlg.anyway_button.isVisible()
    dlg.accept()  # OK now joins
    assert not dlg.isVisible()
    assert len(ctl.service.open_incidents()) == 1 and ctl.service.incident(inc.incident_id).reports == 2
    # a place name: the search lists named features
    named = network["regulators"]["name"].astype(str)
    name = next(n for n in named if n)
    hits = ctl.search_locations(name[:3])
    assert hits and all("x" in w or "pipe" in w or "node" in w for _, w in hits)
    # a street name (derived from the mains): the street's middle, then the addresses on it
    from console.network import derive_addresses

    streets = derive_addresses(network)
    mid = streets.line[0].interpolate(0.5, normalized=True)
    label, where = ctl.search_locations(str(streets.name[0]))[0]
    assert label.startswith(streets.label(0)) and where == pytest.approx({"x": mid.x, "y": mid.y})
    assert any(
        lbl.startswith(f"{streets.name[0]}") and "号" in lbl for lbl, _ in ctl.search_locations(str(streets.name[0]))
    )
    # nothing said about where: a clear line, no incident
    dlg = ctl.request_call()
    dlg.accept()
    assert dlg.isVisible() and "Say where" in dlg.error_label.text()
    dlg.reject()


class _FakeSession:
    """A live view: the latest reading of each sensor and its alarm list (what the controller reads)."""

    def __init__(self, network, values: dict[str, float], alarms=()):
        sensors = network["sensors"]
        ids = sensors["id"].astype(str).tolist()
        self.values = values
        self.alarms = list(alarms)
        index = {s: i for i, s in enumerate(ids)}
        units = sensors["unit"].astype(str).tolist() if "unit" in sensors else ["kPa"] * len(ids)
        self.sensors = types.SimpleNamespace(row=lambda sid: index.get(sid, -1), unit=np.array(units, dtype=object))
        self._ids = ids
        self.service = types.SimpleNamespace(snapshot=self._snapshot, alarm_list=lambda: self.alarms)
        self.suppressed: dict[str, list[str]] = {}  # LiveSession.suppress / unsuppress, as the live view keeps them

    def suppress(self, key, sensor_ids, reason, conditions=None):
        self.suppressed[key] = list(sensor_ids)
        return 0

    def unsuppress(self, key):
        self.suppressed.pop(key, None)
        return 0

    def _snapshot(self):
        return types.SimpleNamespace(last_value=np.array([self.values.get(s, np.nan) for s in self._ids]))


def test_closed_valve_confirmed_when_the_live_pressure_falls(qtbot, dwindow, ctl, monkeypatch):
    inc = _open_at_break_pipe(dwindow, ctl)
    svc = ctl.service
    sensors = svc.outage_sensors(inc.incident_id)
    assert sensors, "the drill's break has sensors in its outage"
    kpa = {s: 2.4 for s in sensors}
    session = _FakeSession(dwindow.network, kpa)
    session.sensors.unit[:] = "kPa"
    monkeypatch.setattr(ctl, "_session", lambda: session)
    valve = inc.valves[0]
    ctl.step("valve", {"incident_id": inc.incident_id, "valve_id": valve, "action": "closed"})
    ctl.clock.advance(2)
    ctl.tick()
    assert valve not in svc.incident(inc.incident_id).confirmed  # the pressure has not moved yet: pending
    session.values = {s: 0.3 for s in sensors}
    ctl.tick()
    assert svc.incident(inc.incident_id).confirmed[valve] == "confirmed"
    status = [ctl.dock.valves.item(r, 4).text() for r in range(ctl.dock.valves.rowCount())
              if ctl.dock.valves.item(r, 1).text() == valve]  # fmt: skip
    assert status == ["confirmed"]


def test_methane_high_high_alarm_offered_and_opened(qtbot, dwindow, ctl, monkeypatch):
    network = dwindow.network
    sensors = network["sensors"]
    sid = str(sensors["id"].iloc[0])
    record = types.SimpleNamespace(sensor_id=sid, condition="HIHI", kind="methane", active=True, feature_id="")
    session = _FakeSession(network, {}, [record])
    monkeypatch.setattr(ctl, "_session", lambda: session)
    ctl.tick()
    assert ctl.board.offered == (sid, "HIHI") and ctl.board.offer.isVisibleTo(ctl.board)
    assert sid in ctl.board.offer_label.text()
    ctl.board.offer_button.click()
    (inc,) = ctl.service.open_incidents()
    assert inc.source == "alarm" and inc.opened.body["alarm"] == f"{sid}:HIHI"
    ctl.tick()
    assert ctl.board.offered is None  # offered once


def test_clocks_count_on_and_a_breach_is_flagged(qtbot, dwindow, ctl):
    inc = _open_at_break_pipe(dwindow, ctl)
    limit = ctl.service.table.level(inc.grade or "routine").clocks_min["arrival"]
    ctl.clock.advance(limit + 5)
    ctl.tick()
    cell = ctl.board.cell_text(inc.incident_id, "Arrival")
    assert cell.startswith("⚠") and cell.endswith(f"/{limit:g}")
    assert "breached" in ctl.board.cell_text(inc.incident_id, "Flags")
    assert "breached" in ctl.board.summary.text()


def test_alarms_inside_the_outage_suppressed_while_isolating_and_back_at_restoration(qtbot, dwindow, ctl, monkeypatch):
    inc = _open_at_break_pipe(dwindow, ctl)
    iid, svc = inc.incident_id, ctl.service
    sensors = svc.outage_sensors(iid)
    session = _FakeSession(dwindow.network, {})
    monkeypatch.setattr(ctl, "_session", lambda: session)
    ctl.tick()
    assert session.suppressed == {}  # planned: nothing is shut yet, every alarm is news
    for v in inc.valves:
        assert ctl.step("valve", {"incident_id": iid, "valve_id": v, "action": "closed"})
    assert session.suppressed == {f"incident:{iid}": sorted(sensors)}
    ctl.step("meters", {"incident_id": iid, "step": "shut_off", "meters": None})
    assert ctl.step("valve", {"incident_id": iid, "valve_id": svc.reopen_order(iid)[0], "action": "opened"})
    assert svc.incident(iid).state == "restoring" and session.suppressed == {}


def test_open_an_incident_from_the_hazard_register(qtbot, dwindow, ctl, tmp_path):
    """A hazard row of the register: "Open incident" (button or right-click) opens the incident at its pipe with its
    plan on screen."""
    ledger = dwindow.extensions["ledger"]
    x, y = _pipe_point(dwindow.network, BREAK_PIPE, 0.6)
    ledger.service.report_hazard(x, y, category="leak", severity="major", description="gas smell by the main",
                                 asset_id=BREAK_PIPE, hazard_id="HZ-7")  # fmt: skip
    ledger.refresh()
    hazards = ledger.hazards_dock
    hazards.show()
    hazards.raise_()
    assert not hazards.incident_button.isHidden()
    assert hazards.select_hazard("HZ-7") and hazards.incident_button.isEnabled()
    hazards.setFloating(True)
    hazards.resize(640, 640)
    qtbot.wait(50)
    hazards.grab().save(str(tmp_path / "hazards.png"))
    hazards.incident_button.click()
    (inc,) = ctl.service.open_incidents()
    assert (inc.source, inc.feature_id, inc.opened.body["hazard_id"]) == ("hazard", BREAK_PIPE, "HZ-7")
    assert inc.fraction == pytest.approx(0.6, abs=1e-3)
    assert ctl.current == inc.incident_id and ctl.dock.isVisible()
    # The row's context menu offers it too (a second call there would be a duplicate: not clicked).
    item = hazards.tree.topLevelItem(0)
    rect = hazards.tree.visualItemRect(item)
    shown = []
    orig = QMenu.popup
    QMenu.popup = lambda self, *_a: shown.append([a.text() for a in self.actions()])
    try:
        hazards._context_menu(rect.center())
    finally:
        QMenu.popup = orig
    assert shown and shown[0][0].startswith("Open incident here")


def test_crew_positions_from_the_live_views_mqtt_broker(qtbot, dwindow, ctl, monkeypatch, tmp_path):
    """While the live view reads an MQTT broker (the suite's Mosquitto), the dispatch controller subscribes to the
    crews' positions there; a tracker's report moves the crew; leaving MQTT stops the position feed."""
    from console.dispatch import encode_position, position_topic
    from console.telemetry import MqttFeed
    from tests.telemetry.conftest import Broker
    from tests.telemetry.test_mqtt import Publisher

    (tmp_path / "broker").mkdir()
    broker = Broker(tmp_path / "broker")
    broker.start()
    session = _FakeSession(dwindow.network, {})
    session.kind = "mqtt"
    session.feed = MqttFeed(types.SimpleNamespace(), host=broker.host, port=broker.port, utility="zs")
    monkeypatch.setattr(ctl, "_session", lambda: session)
    publisher = None
    try:
        ctl.tick()
        crew_feed = ctl._crew_feed
        assert crew_feed is not None and crew_feed.topics == ("gasops/v1/zs/+/position",)
        qtbot.waitUntil(lambda: crew_feed.state.value == "running", timeout=10000)
        publisher = Publisher(broker, client_id="tracker-vt1")
        x, y = _pipe_point(dwindow.network, BREAK_PIPE, 0.5)
        import time

        publisher.send(position_topic("zs", "VT-1"), encode_position("VT-1", time.time(), x=x, y=y))
        qtbot.waitUntil(lambda: crew_feed.accepted == 1, timeout=10000)
        ctl.tick()
        crew = ctl.service.roster.crew("VT-1")
        assert (crew.x, crew.y) == pytest.approx((x, y))
        session.kind = "simulator"
        ctl.tick()
        assert ctl._crew_feed is None
    finally:
        if publisher is not None:
            publisher.close()
        ctl._stop_crew_feed()
        broker.stop()


def test_in_training_the_running_simulator_carries_on_seeing_the_valves(qtbot, dwindow, ctl, monkeypatch):
    """With the live view's simulator running, the first valve a crew closes turns it into the training simulator
    (same clock, same scripted leak), which is told of every valve closed from then on."""
    from console.app.live import LiveSession
    from console.dispatch import TrainingSimulator
    from console.telemetry import Leak

    session = LiveSession(dwindow.network, db_path=False)
    monkeypatch.setattr(ctl, "_session", lambda: session)
    try:
        session.start_simulator(seed=2, speed=5.0, events=[Leak(BREAK_PIPE, at_s=0.0)], faults=False)
        before = session.feed
        inc = _open_at_break_pipe(dwindow, ctl)
        valve = inc.valves[0]
        assert ctl.step("valve", {"incident_id": inc.incident_id, "valve_id": valve, "action": "closed"})
        feed = session.feed
        assert isinstance(feed, TrainingSimulator) and feed is not before and session.kind == "simulator"
        assert feed.closed_valves == (valve,) and any(isinstance(e, Leak) for e in feed.events)
        assert feed.start_t >= before.start_t
        qtbot.waitUntil(lambda: feed.elapsed_s() > 1.0, timeout=5000)  # it runs, paced like the one it replaced
    finally:
        session.close()


def test_an_infeasible_pressure_effect_is_a_one_line_warning_with_the_figures(qtbot):
    from console.ui.dispatch._dock import effect_text

    effect = {"solved": False, "infeasible": True, "systems": ["#104 MP-A"], "demand_nm3h": 16197.9,
              "bottlenecks": [["P-000545", 1943.0], ["P-000118", 387.0]], "collapsed_nodes": ["J-1", "J-2"],
              "low_customers": [], "unsupplied_outside": [], "regulators": [], "max_drop_pa": 0.0, "note": "x"}  # fmt: skip
    line, details, level = effect_text(effect)
    assert level == "warning" and line.startswith("WARNING") and "#104 MP-A" in line and "16,197.9 Nm³/h" in line
    assert "not computed" not in line and "\n" not in line
    assert "P-000545 (1,943 Nm³/h)" in details and "J-1" in details


def test_the_board_fits_a_commander_column_without_scrolling(qtbot):
    """At the Commander layout's column width (about 540 px at 1440×900) every column is inside the board, the
    incident id, grade and the four clocks at full width; kind, customers, crews and flags give way."""
    from console.ui.dispatch._board import IncidentBoardDock

    board = IncidentBoardDock()
    qtbot.addWidget(board)
    clocks = [{"name": n, "status": "running", "elapsed_min": 3.0, "limit_min": lim, "done_at": None}
              for n, lim in (("arrival", 60), ("isolation", 240), ("notice", 480), ("restoration", 1440))]  # fmt: skip
    row = {"incident_id": "INC-20261207-001", "grade": "routine", "kind": "leak", "state": "planned",
           "customers": 188, "households": 1773, "clocks": clocks, "crews": 1, "breached": [], "overlaps": []}  # fmt: skip
    board.resize(540, 300)
    board.show()
    qtbot.waitExposed(board)
    board.set_rows([row])
    header, view = board.table.horizontalHeader(), board.table.viewport()
    assert board.table.horizontalScrollBar().maximum() == 0
    for col in ("Incident", "Grade", "Arrival", "Isolation", "Notice", "Restoration"):
        c = COL[col]
        assert header.sectionViewportPosition(c) + header.sectionSize(c) <= view.width(), col
        assert header.sectionSize(c) >= board.table.sizeHintForColumn(c), col  # the figures are not elided
    assert board.cell_text("INC-20261207-001", "Grade") == "routine"
    assert board.cell_text("INC-20261207-001", "Arrival") == "3/60"
    assert board.table.item(0, COL["Customers"]).toolTip().startswith("188")
