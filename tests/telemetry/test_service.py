"""The service: the ingest worker, signals for views, per-sensor arrays, operator actions stored."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from console.telemetry import (
    AlarmActionError,
    AlarmEventKind,
    AlarmState,
    HistoryError,
    HistoryStore,
    ReadingBatch,
    SensorStatus,
    SimulatorConfig,
    SimulatorFeed,
    TelemetryService,
)
from tests.telemetry.test_simulator import LEAK, QUIET


def test_worker_ingests_a_paced_simulation_and_signals(net, tmp_path):
    store = HistoryStore(tmp_path / "console.db", flush_interval_s=0.2)
    service = TelemetryService(net, store=store)
    sim = SimulatorFeed(net, SimulatorConfig(seed=3, **QUIET), [LEAK], speed=1000.0)
    got, events, threads = [], [], set()
    lock = threading.Lock()

    def on_readings(batch):
        with lock:
            got.append(len(batch))
            threads.add(threading.current_thread().name)

    service.readings_arrived.connect(on_readings)
    service.alarm_changed.connect(events.append)
    service.start()
    service.start_feed(sim)
    deadline = time.monotonic() + 30
    while sim.clock() < sim.start_t + 1500 and time.monotonic() < deadline:
        time.sleep(0.05)
    service.stop()
    assert threads == {"gasops-telemetry-ingest"}  # views get signals from the worker, never the feed thread
    assert sum(got) == sim.status().accepted == sim.status().received > 0
    raised = {(e.sensor_id, e.condition.value) for e in events if e.kind == AlarmEventKind.ACTIVATED}
    assert ("MA", "HIHI") in raised
    snap = service.snapshot()
    assert snap.status[service.sensors.row("MA")] == SensorStatus.ALARM
    assert snap.status[service.sensors.row("SB0")] == SensorStatus.NORMAL
    assert snap.unacknowledged[service.sensors.row("MA")]
    assert store.counts()["buffered"] == 0  # stop() flushed
    h = service.history("SA1", sim.start_t, sim.start_t + 100)
    assert len(h) == 100 and h.resolution == "raw"
    service.close()


def test_operator_actions_are_stored_and_signalled(net, tmp_path):
    service = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    seen = []
    service.alarm_changed.connect(seen.append)
    row = service.sensors.row("MA")
    service.ingest(ReadingBatch([row] * 4, [0.0, 5.0, 10.0, 15.0], [30.0] * 4))
    version = service.version
    service.acknowledge("MA", user="op1", comment="crew sent", t=20.0)
    service.shelve("MA", "HI", duration_s=60.0, user="op1", comment="crew on site", t=21.0)
    service.comment("MA", "HI", "gas smell confirmed", user="op2", t=22.0)
    assert service.version > version
    assert [(e.kind.value, e.state.value, e.user) for e in seen[1:]] == [
        ("acknowledged", "ack_active", "op1"),
        ("shelved", "shelved", "op1"),
        ("commented", "shelved", "op2"),
    ]
    assert [e.kind.value for e in service.store.events()] == ["activated", "acknowledged", "shelved", "commented"]
    assert service.tick(100.0)[0].kind == AlarmEventKind.UNSHELVED  # 21 + 60 = 81 < 100
    assert service.alarm_list()[0].state == AlarmState.UNACK_ACTIVE
    service.acknowledge_all(user="op2", t=101.0)
    assert service.alarm_list()[0].state == AlarmState.ACK_ACTIVE
    summary = service.flood_summary()
    assert summary.activations == 1
    service.close()


def test_operator_text_is_bounded_and_a_refused_action_changes_nothing(net):
    service = TelemetryService(net)
    row = service.sensors.row("MA")
    service.ingest(ReadingBatch([row] * 4, [0.0, 5.0, 10.0, 15.0], [30.0] * 4))
    version = service.version
    with pytest.raises(AlarmActionError, match=r"comment for MA HI is 1,001 characters; at most 1,000"):
        service.shelve("MA", "HI", duration_s=60.0, comment="x" * 1001, t=20.0)
    with pytest.raises(AlarmActionError, match="user"):
        service.acknowledge("MA", user="u" * 500, t=20.0)
    assert service.version == version
    assert {a.state for a in service.alarm_list()} == {AlarmState.UNACK_ACTIVE}


def test_counters_add_up_and_without_a_store_history_is_an_error(net):
    service = TelemetryService(net)
    sim = SimulatorFeed(net, SimulatorConfig(seed=1, dropout_rate=0.05))
    sim.run(service.ingest, 120)
    st = sim.status()
    assert st.received == st.accepted + st.dropped_total and st.dropped_total == 0
    with pytest.raises(HistoryError, match="no history is kept"):
        service.history("SA1", 0, 1)


def test_submit_without_worker_then_process_pending(net):
    service = TelemetryService(net, queue_batches=2)
    row = service.sensors.row("SA1")
    for i in range(5):  # more than the queue holds: the caller processes instead of waiting forever
        service.submit(ReadingBatch([row], [float(i)], [2.4]))
    service.process_pending()
    assert service.snapshot().last_t[row] == 4.0
    assert np.isnan(service.snapshot().last_t[service.sensors.row("SA2")])


def test_set_network_keeps_the_state_of_sensors_that_stayed(net):
    import geopandas as gpd
    import shapely

    service = TelemetryService(net)
    row = service.sensors.row("MA")
    service.ingest(ReadingBatch([row] * 3, [0.0, 5.0, 10.0], [60.0] * 3))
    service.acknowledge("MA", "HIHI", t=11.0, user="op")
    sensors = net["sensors"]
    edited = gpd.GeoDataFrame(
        {
            "id": ["NEW", *sensors["id"].iloc[::-1]],
            "kind": ["pressure", *sensors["kind"].astype(str).iloc[::-1]],
            "feature_id": ["A2", *sensors["feature_id"].iloc[::-1]],
        },
        geometry=[shapely.Point(0, 0), *sensors.geometry.iloc[::-1]],
        crs=net.crs,
    )
    net.replace_layer("sensors", edited)
    service.set_network(net)
    new_row = service.sensors.row("MA")
    assert new_row != row
    states = {(a.sensor_id, a.condition.value): a.state for a in service.alarm_list()}
    assert states == {("MA", "HI"): AlarmState.UNACK_ACTIVE, ("MA", "HIHI"): AlarmState.ACK_ACTIVE}
    snap = service.snapshot()
    assert snap.status[new_row] == SensorStatus.ALARM and snap.last_t[new_row] == 10.0
    assert snap.status[service.sensors.row("NEW")] == SensorStatus.NO_DATA
    result = service.ingest(ReadingBatch([new_row, new_row], [10.0, 20.0], [1.0, 1.0]))
    assert result.accepted == 1 and result.dropped == {"duplicate": 1}  # the validator remembers per sensor id
