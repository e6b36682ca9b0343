"""Nothing acknowledged is lost: a console killed with SIGKILL mid-stream, restarted on the same history and broker
session, ends with every published reading stored exactly once; batches through a real broker; late readings, clock
skew and draining a backlog (no alarms dated in the past, no stale chatter)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np

from console.telemetry import (
    AlarmEventKind,
    Condition,
    FeedState,
    HistoryStore,
    MqttFeed,
    ReadingBatch,
    TelemetryService,
    batch_topic,
    encode_batch,
    encode_reading,
    topic_for,
)
from tests.telemetry.test_mqtt import Publisher
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = textwrap.dedent(
    """
    import sys, time
    from console.telemetry import HistoryStore, MqttFeed, TelemetryService
    from tests.telemetry.nets import district

    port, db = int(sys.argv[1]), sys.argv[2]
    service = TelemetryService(district(), store=HistoryStore(db, flush_interval_s=3600))
    feed = MqttFeed(service.sensors, port=port, utility="zs", client_id="console-kill", ack_window=100,
                    reconnect_min_s=0.1, reconnect_max_s=1.0)
    service.start()
    service.start_feed(feed)
    print("started", flush=True)
    while True:
        time.sleep(1)
    """
)


def stored_times(db: Path, sensor: str) -> list[float]:
    """What a console opening the file now would find (journal included), without writing to it."""
    store = HistoryStore(db)  # takes the journal back, as a restarted console does
    try:
        return store.readings(sensor, 0, 4e9, "raw").t.tolist()
    finally:
        store._engine.dispose()  # not close(): that would flush under the running console


def test_kill_9_loses_nothing_acknowledged(net, mosquitto, tmp_path):
    db = tmp_path / "console.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, str(mosquitto.port), str(db)], cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout.readline().strip() == b"started"
    t0 = time.time() - 200.0
    stamps = [round(t0 + i * 0.05, 3) for i in range(3000)]
    pub = Publisher(mosquitto, client_id="kill-publisher")
    try:
        time.sleep(0.5)  # the console subscribes (its session is then kept)
        sending = threading.Thread(
            target=lambda: [pub.send(topic_for("zs", "SA1"), encode_reading("SA1", t, 2.4)) for t in stamps]
        )
        sending.start()
        wait_for(lambda: db.exists() and len(stored_times(db, "SA1")) >= 300, what="readings stored before the kill")
        proc.send_signal(signal.SIGKILL)  # no flush, no disconnect: what was acknowledged must already be durable
        proc.wait(10)
        before_restart = stored_times(db, "SA1")
        assert 300 <= len(before_restart) < len(stamps)
        sending.join(120)
        # the console comes back on the same history and broker session: the broker redelivers the rest
        service = TelemetryService(net, store=HistoryStore(db))
        feed = MqttFeed(service.sensors, port=mosquitto.port, utility="zs", client_id="console-kill", ack_window=100)
        service.start()
        service.start_feed(feed)
        try:
            wait_for(
                lambda: len(service.history("SA1", 0, 4e9, "raw")) >= len(stamps),
                timeout=60,
                what=f"all readings ({len(service.history('SA1', 0, 4e9, 'raw'))}, {feed.status()})",
            )
            time.sleep(0.3)
            got = service.history("SA1", 0, 4e9, "raw").t.tolist()
        finally:
            service.close()
        assert got == stamps  # every reading, once, in order
    finally:
        pub.close()
        if proc.poll() is None:
            proc.kill()


def test_batches_through_the_broker_with_a_restart_in_the_middle(net, mosquitto, tmp_path):
    service = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    feed = MqttFeed(service.sensors, port=mosquitto.port, utility="zs", client_id="console-batch", ack_window=100,
                    reconnect_min_s=0.1, reconnect_max_s=1.0)  # fmt: skip
    service.start()
    service.start_feed(feed)
    wait_for(lambda: feed.state == FeedState.RUNNING, what="feed connection")
    ids = service.sensors.ids.tolist()
    t0 = float(np.floor(time.time())) - 250.0
    pub = Publisher(mosquitto, client_id="gateway")
    try:
        for k in range(40):
            if k == 20:
                mosquitto.restart()  # the gateway keeps publishing through it
            t = t0 + k
            pub.send(batch_topic("zs", "rtu-1"), encode_batch(ids, [t] * len(ids), [1.0] * len(ids), seq=k))
        wait_for(lambda: feed.status().accepted >= 40 * len(ids), timeout=60, what="every batched reading")
        for sid in ids:
            assert service.history(sid, 0, 4e9, "raw").t.tolist() == [t0 + k for k in range(40)]
        # redeliveries around the restart, stored once (recognised by the gateway's seq, or by their times)
        assert set(feed.status().dropped) <= {"duplicate", "replayed"}
    finally:
        pub.close()
        service.close()


def test_a_far_past_reading_a_future_one_and_a_drained_backlog_raise_nothing_dated_wrong(net, tmp_path):
    service = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    events = []
    service.alarm_changed.connect(events.append)
    now = 1_800_000_000.0
    ids = service.sensors.ids.tolist()
    rows = np.arange(len(ids))
    # a device clock at 1970 and one five minutes ahead: dropped under their reasons, no alarm, nothing blocked
    r = service.ingest(ReadingBatch([0, 1], [0.0, now + 300.0], [1.0, 1.0], clock_t=now, received_t=now))
    assert r.dropped == {"too_old": 1, "future_timestamp": 1} and events == []
    # an hour of backlog delivered now (broker queue after an outage): history only, no alarms dated then
    late_t = now - 3600.0 + np.arange(60.0)
    r = service.ingest(
        ReadingBatch(
            np.repeat(rows, 60), np.tile(late_t, len(ids)), np.full(60 * len(ids), 99.0), clock_t=now, received_t=now
        )  # fmt: skip
    )
    assert r.backfilled == 60 * len(ids) and not [e for e in r.events if e.kind == AlarmEventKind.ACTIVATED
                                                  and e.t < now - 300]  # fmt: skip
    assert len(service.history(ids[0], now - 4000, now, "raw")) == 60
    # live readings, then a 10-minute backlog of live-window readings drained in 1-s slices while the wall clock
    # has moved on: STALE would chatter if silence were judged at wall time
    events.clear()
    start = now + 1.0
    for k in range(5):
        t = start + k
        service.ingest(ReadingBatch(rows, np.full(len(ids), t), np.full(len(ids), 1.0), clock_t=t, received_t=t))
    wall = start + 250.0
    for k in range(5, 245):
        t = start + k
        service.ingest(ReadingBatch(rows, np.full(len(ids), t), np.full(len(ids), 1.0), clock_t=wall, received_t=wall))
    assert [e for e in events if e.condition == Condition.STALE] == []
    # everything silent: stale is raised once the timeouts pass in wall time
    stale = service.tick(wall + 400.0)
    assert {e.sensor_id for e in stale if e.condition == Condition.STALE} == set(ids)
    service.close()
