"""The live workflow through :class:`LiveSession` with no QApplication (napari's ViewerModel tests): a simulator feed
on a small district, readings arriving, a training leak raising alarms that an operator acknowledges, the live
pressures other features read, what starts by itself when a network is shown, and the MQTT settings kept between
sessions."""

from __future__ import annotations

import time

import numpy as np
import pytest

from console.app.live import PA_PER_UNIT, LiveSession, MqttSettings, is_demo_path, startup_feed
from console.app.settings import MemoryBackend, Settings
from console.app.workspace import Workspace, demo_path
from console.telemetry import AlarmEventKind, AlarmState, FeedState, HistoryStore, Leak, ReadingBatch
from tests.telemetry.nets import district
from tests.waiting import wait_for

LEAK = Leak("PA2", 600.0, severity=0.9)  # `gasops feed simulate … --leak PA2@600:0.9`: SA1 drops to LO and LOLO


@pytest.fixture
def net():
    return district()


def test_a_training_leak_raises_alarms_that_an_operator_acknowledges(net, tmp_path):
    workspace = Workspace(tmp_path)
    session = LiveSession(net, workspace=workspace, operator="wang.li")
    raised = []
    session.service.alarm_changed.connect(lambda e: e.kind == AlarmEventKind.ACTIVATED and raised.append(e))
    try:
        feed = session.run_simulator(1800, seed=3, start_t="2026-01-05T00:00:00+08:00", events=[LEAK], faults=False)
        assert session.simulated and feed.status().accepted == feed.status().received > 0
        assert {(e.sensor_id, e.condition.value) for e in raised} >= {("SA1", "LO"), ("SA1", "LOLO")}
        assert all(e.t >= feed.start_t + LEAK.at_s for e in raised)  # nothing before the leak
        unack = {(a.sensor_id, a.condition.value) for a in session.service.alarm_list()}
        assert ("SA1", "LOLO") in unack

        assert session.acknowledge([("SA1", "LOLO")]) == 1
        states = {(a.sensor_id, a.condition.value): a.state for a in session.service.alarm_list()}
        assert states[("SA1", "LOLO")] == AlarmState.ACK_ACTIVE and states[("SA1", "LO")] == AlarmState.UNACK_ACTIVE
        assert session.acknowledge_all() >= 1
        assert {a.state for a in session.service.alarm_list()} == {AlarmState.ACK_ACTIVE}
        assert session.shelve([("SA1", "LO")], 3600.0, "leak crew on site, WO-1207") == 1
        assert session.comment([("SA1", "LOLO")], "valve VA to be closed") == 1
    finally:
        session.close()
    store = HistoryStore(workspace.db_path)  # every action is on record under the operator's name
    try:
        acts = [(e.kind.value, e.sensor_id, e.condition.value, e.user) for e in store.events(kinds=["acknowledged"])]
        assert ("acknowledged", "SA1", "LOLO", "wang.li") in acts and all(user == "wang.li" for *_, user in acts)
        (shelved,) = store.events(kinds=["shelved"])
        assert shelved.user == "wang.li" and shelved.comment == "leak crew on site, WO-1207"
    finally:
        store.close()


def test_a_refused_action_names_the_alarm_and_keeps_the_earlier_ones(net):
    session = LiveSession(net, db_path=False)
    try:
        session.run_simulator(1800, seed=3, events=[LEAK], faults=False, start_t="2026-01-05T00:00:00+08:00")
        with pytest.raises(Exception, match="SA1"):
            session.shelve([("SA1", "LO")], 3600.0, "x" * 10_000)  # more than a comment may hold
        assert session.unshelve([("SA1", "LO")]) == 0  # nothing was shelved
    finally:
        session.close()


def test_the_simulator_feeds_readings_in_the_background_and_they_reach_the_live_pressures(net):
    session = LiveSession(net, db_path=False)
    try:
        feed = session.start_simulator(seed=1, speed=50.0, faults=False)
        assert feed.state == FeedState.RUNNING and session.kind == "simulator"
        wait_for(lambda: np.isfinite(session.service.snapshot().last_value).all(), what="a reading from every sensor")
        version = session.live_version
        wait_for(lambda: session.live_version > version, what="the live state to move on")
        session.stop_feed()
        nodes, pa = session.live_pressures(net.version)
        snap, sensors = session.service.snapshot(), session.sensors
        topology = net.topology
        for sid, node_id in (("SG", "G"), ("SA0", "A0"), ("SA1", "A1"), ("SA2", "A2"), ("SB2", "B2")):
            row = sensors.row(sid)
            (at,) = np.flatnonzero(nodes == topology.node_index([node_id])[0])
            assert pa[at] == pytest.approx(snap.last_value[row] * PA_PER_UNIT[str(sensors.unit[row])])
        assert set(sensors.unit[sensors.row(s)] for s in ("SA1", "SG")) <= set(PA_PER_UNIT)
        assert 2000 < pa[np.flatnonzero(nodes == topology.node_index(["A1"])[0])[0]] < 3000  # LP: ~2.5 kPa gauge
        assert session.live_pressures(net.version + 1) is None  # another version of the network: no readings
    finally:
        session.close()


def test_live_pressures_convert_each_sensors_unit_and_leave_unknown_units_out(net):
    net.set_values("sensors", np.flatnonzero(net["sensors"]["id"] == "SA1"), "unit", "bar")
    net.set_values("sensors", np.flatnonzero(net["sensors"]["id"] == "SA2"), "unit", "psi")
    session = LiveSession(net, db_path=False)
    try:
        s = session.sensors
        now = time.time()
        rows = [s.row("SA1"), s.row("SA2"), s.row("SA0")]
        session.service.ingest(ReadingBatch(rows, [now - 2] * 3, [0.021, 0.3, 2.4]))
        nodes, pa = session.live_pressures()
        by_node = dict(zip(nodes.tolist(), pa.tolist(), strict=True))
        index = net.topology.node_index
        assert by_node == {index(["A1"])[0]: pytest.approx(2100.0), index(["A0"])[0]: pytest.approx(2400.0)}
    finally:
        session.close()


def test_what_starts_by_itself_when_a_network_is_shown(net, tmp_path):
    prefs = Settings(MemoryBackend())
    demo = demo_path()
    assert is_demo_path(demo) and not is_demo_path(tmp_path / "network.gpkg") and not is_demo_path(None)
    assert startup_feed(net, demo, prefs) == "simulator"  # the demo district: the training simulator
    assert startup_feed(net, tmp_path / "network.gpkg", prefs) is None  # field data only: nothing made up
    LiveSession(net, tmp_path / "network.gpkg").close()  # a history now exists in that workspace
    assert startup_feed(net, tmp_path / "network.gpkg", prefs) == "history"  # unacknowledged alarms come back
    prefs.set("telemetry/mqtt/autoconnect", True)
    assert startup_feed(net, tmp_path / "network.gpkg", prefs) == "mqtt"
    prefs.set("telemetry/autostart_demo", False)
    assert startup_feed(net, demo, prefs) == "mqtt"
    no_sensors = net.snapshot()
    no_sensors.replace_layer("sensors", no_sensors["sensors"].iloc[:0])
    assert startup_feed(no_sensors, demo, prefs) is None


def test_mqtt_settings_are_kept_without_the_password():
    prefs = Settings(MemoryBackend())
    assert MqttSettings.load(prefs) == MqttSettings()
    chosen = MqttSettings(host="scada.zs.example", port=8883, utility="zhoushan", username="ops", password="s3cret",
                          tls_ca="/etc/ca.pem", require_signed=True)  # fmt: skip
    chosen.save(prefs)
    assert "s3cret" not in repr(prefs.backend.values)
    again = MqttSettings.load(prefs)
    assert again.password is None and again == MqttSettings(**{**chosen.__dict__, "password": None})
