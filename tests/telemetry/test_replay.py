"""Replay: a recording of a simulation replays to the same alarms; bad rows are counted; paced replay finishes."""

from __future__ import annotations

import time

import numpy as np
import pytest

from console.telemetry import (
    FeedError,
    FeedState,
    ReplayFeed,
    SimulatorConfig,
    SimulatorFeed,
    TelemetryService,
    read_recording,
    write_recording,
)
from tests.telemetry.test_simulator import LEAK


def events_of(service_events):
    return [(e.t, e.sensor_id, e.condition.value, e.kind.value, e.state.value) for e in service_events]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_recorded_simulation_replays_to_the_same_alarms(net, tmp_path, suffix):
    live, live_events = TelemetryService(net), []
    live.alarm_changed.connect(live_events.append)
    sim = SimulatorFeed(net, SimulatorConfig(seed=2), [LEAK])
    kept = []
    live.readings_arrived.connect(kept.append)
    sim.run(live.ingest, 1800)
    rows = np.concatenate([b.rows for b in kept])
    path = write_recording(
        tmp_path / f"rec{suffix}",
        live.sensors.ids[rows],
        np.concatenate([b.t for b in kept]),
        np.concatenate([b.value for b in kept]),
    )

    replayed, replay_events = TelemetryService(net), []
    replayed.alarm_changed.connect(replay_events.append)
    feed = ReplayFeed(path, replayed.sensors, speed=None)
    feed.run(replayed.ingest, chunk=997)
    assert events_of(replay_events) == events_of(live_events) != []
    assert feed.status().accepted == len(rows) and feed.state == FeedState.FINISHED


def test_bad_rows_are_counted(net, tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text(
        "sensor_id,ts,value\n"
        "SA1,2026-01-05T00:00:00+08:00,2.4\n"
        "SA1,2026-01-05T00:00:01+08:00,abc\n"  # malformed value
        "SA1,not a time,2.4\n"  # malformed time
        "XX,2026-01-05T00:00:02+08:00,2.4\n"  # unknown sensor
        "SA1,2026-01-05T00:00:01+08:00,2.4\n"  # out of order? no: 00:00:01 after 00:00:00 is newer
        "SA1,2026-01-05T00:00:01+08:00,2.4\n"  # duplicate
        "SA1,2026-01-05T00:00:00.5+08:00,2.4\n"  # out of order
        "SA1,2026-01-05T00:00:03+08:00,1e6\n"  # out of range
    )
    service = TelemetryService(net)
    feed = ReplayFeed(path, service.sensors, speed=None)
    feed.run(service.ingest)
    status = feed.status()
    assert status.received == 8 and status.accepted == 2
    assert status.dropped == {"duplicate": 1, "malformed": 2, "out_of_order": 1, "out_of_range": 1, "unknown_sensor": 1}


def test_speed_limits_and_unreadable_files(net, tmp_path):
    good = write_recording(tmp_path / "r.parquet", ["SA1"], [0.0], [1.0])
    sensors = TelemetryService(net).sensors
    for speed in (0.5, 101):
        with pytest.raises(FeedError, match="outside 1x–100x"):
            ReplayFeed(good, sensors, speed=speed)
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FeedError, match="x.csv: a recording needs columns"):
        ReplayFeed(tmp_path / "x.csv", sensors)
    with pytest.raises(FeedError, match="recordings are .csv or .parquet"):
        read_recording(tmp_path / "x.json")
    with pytest.raises(FeedError, match="cannot read"):
        read_recording(tmp_path / "missing.parquet")


def test_paced_replay_through_the_worker(net, tmp_path):
    t0 = 1.8e9
    path = write_recording(tmp_path / "r.parquet", ["SA1"] * 50, t0 + np.arange(50) * 1.0, np.full(50, 2.4))
    service = TelemetryService(net)
    feed = ReplayFeed(path, service.sensors, speed=100.0)
    states = []
    service.feed_state_changed.connect(lambda s: states.append(s.state))
    service.start()
    service.start_feed(feed)
    deadline = time.monotonic() + 20
    while feed.state != FeedState.FINISHED and time.monotonic() < deadline:
        time.sleep(0.02)
    service.stop()
    assert feed.state == FeedState.FINISHED
    assert feed.status().accepted == 50
    assert states[0] == FeedState.RUNNING and FeedState.FINISHED in states
    assert service.snapshot().last_t[service.sensors.row("SA1")] == t0 + 49
