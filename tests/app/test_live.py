"""The live session: where history goes, feeds swapped under one alarm service, training events, the hydraulic
baseline, and a corrupt history database that leaves the alarms working."""

from __future__ import annotations

import time

import numpy as np
import pytest

from console.app.live import LiveSession, MqttSettings, hydraulic_baseline
from console.app.workspace import data_dir
from console.hydraulics import SimulationRequest, simulate
from console.telemetry import AlarmEventKind, FeedState, SensorTable, TelemetryError, write_recording
from tests.telemetry.nets import district
from tests.waiting import wait_for


@pytest.fixture
def net():
    return district()


def test_history_beside_a_workspace_network_else_in_the_data_folder(net, tmp_path):
    def db(path, name="district"):
        network = net.snapshot()
        network.name = name
        session = LiveSession(network, path, db_path=False)
        session.close()
        return session.workspace.db_path

    assert db(tmp_path / "zhoushan" / "network.gpkg") == tmp_path / "zhoushan" / "console.db"
    assert db(tmp_path / "GasLib-40.net") == data_dir() / "workspaces" / "GasLib-40" / "console.db"
    assert db(None, "海岛 district / west") == data_dir() / "workspaces" / "海岛_district_west" / "console.db"
    session = LiveSession(net, tmp_path / "zhoushan" / "network.gpkg")
    session.close()
    assert session.db_path == tmp_path / "zhoushan" / "console.db" and session.db_path.exists()


def test_simulator_starts_now_and_stores_readings(net, tmp_path):
    session = LiveSession(net, tmp_path / "network.gpkg")
    try:
        before = time.time()
        feed = session.start_simulator(seed=1, speed=20.0)
        assert session.kind == "simulator" and session.simulated
        assert before - 1 <= feed.start_t <= time.time()
        wait_for(lambda: session.service.snapshot().last_t.max() > feed.start_t + 5, what="simulated readings")
    finally:
        session.close()
    from console.telemetry import HistoryStore

    store = HistoryStore(tmp_path / "console.db")
    try:
        h = store.readings("SA1", feed.start_t, feed.start_t + 3600, "raw")
        assert len(h) >= 5 and np.all(np.diff(h.t) > 0)
    finally:
        store.close()


def test_a_leak_injected_now_raises_the_expected_alarms(net):
    """The training leak of tests/telemetry/test_simulator.py, injected into a running session instead of scripted."""
    session = LiveSession(net, db_path=False)
    raised = []
    session.service.alarm_changed.connect(lambda e: e.kind == AlarmEventKind.ACTIVATED and raised.append(e))
    try:
        session.start_simulator(seed=3, speed=100.0, faults=False)
        wait_for(lambda: session.feed.elapsed_s() > 30, what="a quiet start")
        assert raised == []
        leak = session.inject_leak("PA2", fraction=0.1, severity=0.8)
        assert 25 < leak.at_s < 120
        wait_for(lambda: {("MA", "HIHI"), ("SA1", "LOLO")} <= {(e.sensor_id, e.condition.value) for e in raised},
                 timeout=60, what="the leak's alarms")  # fmt: skip
        # zone B (behind its own regulator), the MP main and the far valve well stay quiet
        assert not {e.sensor_id for e in raised} & {"SB0", "SB2", "SG", "FG", "MB"}
    finally:
        session.close()


def test_events_need_the_simulator_and_a_known_feature(net):
    session = LiveSession(net, db_path=False)
    try:
        with pytest.raises(TelemetryError, match="simulator"):
            session.inject_leak("PA2")
        session.start_simulator(speed=1.0)
        with pytest.raises(Exception, match="P-404"):
            session.inject_leak("P-404")
        with pytest.raises(Exception, match="PA1"):
            session.inject_regulator_failure("PA1")  # a pipe, not a regulator
        assert session.feed.events == ()
    finally:
        session.close()


def test_swapping_feeds_keeps_alarms_and_the_clock_follows_the_new_feed(net, tmp_path):
    recording = tmp_path / "rec.csv"
    t0 = time.time() + 5  # after the simulator's readings: older ones would be dropped as out of order
    ids = np.array(["SA1"] * 20, dtype=object)
    write_recording(recording, ids, t0 + np.arange(20.0), np.full(20, 0.4))  # 0.4 kPa: far below LOLO
    session = LiveSession(net, db_path=False)
    states = []
    session.feed_changed.connect(states.append)
    try:
        session.start_simulator(speed=1.0)
        sim = session.feed
        replay = session.replay(recording, speed=100.0)
        assert sim.state == FeedState.STOPPED and session.service.feeds == [replay]
        assert states == [sim, replay] and session.kind == "replay" and not session.simulated
        wait_for(lambda: replay.state == FeedState.FINISHED, what="the replay")
        session.service.process_pending()
        alarms = {(a.sensor_id, a.condition.value) for a in session.service.alarm_list()}
        assert ("SA1", "LOLO") in alarms
        session.stop_feed()
        assert states[-1] is None and session.service.feeds == []
    finally:
        session.close()


def test_mqtt_settings_never_show_the_password():
    s = MqttSettings(host="broker.zs.example", password="s3cret")
    assert "s3cret" not in repr(s) and s.label == "mqtt broker.zs.example:1883"


def test_hydraulic_baseline_is_the_solver_pressure_at_each_pressure_sensor(net):
    baseline = hydraulic_baseline(net)
    result = simulate(net, SimulationRequest())
    sensors = SensorTable.from_network(net)
    assert set(baseline) == {"SG", "SA0", "SA1", "SA2", "SB0", "SB2"}
    for sid, kpa in baseline.items():
        node = sensors.node[sensors.row(sid)]
        assert kpa == pytest.approx(result.node_pressure_pa[node] / 1000.0)
    # no customers, no flow: the LP sensors read their regulators' set point, the gate station its supply
    assert [baseline[s] for s in ("SA0", "SA1", "SA2", "SB0", "SB2")] == pytest.approx([2.5] * 5)
    assert baseline["SG"] == pytest.approx(400.0)


def test_a_corrupt_history_database_is_named_and_alarms_still_work(net, tmp_path):
    bad = tmp_path / "console.db"
    bad.write_bytes(b"this is not a SQLite database" * 100)
    session = LiveSession(net, db_path=bad)
    try:
        assert str(bad) in session.history_error and session.service.store is None
        session.start_simulator(speed=1.0)
        assert session.feed.state == FeedState.RUNNING
    finally:
        session.close()
    assert bad.read_bytes() == b"this is not a SQLite database" * 100  # nothing overwritten
