"""History in console.db: raw readings and aggregates equal what went in (flushed or still buffered), alarm events
and the current alarm list survive a restart, WAL mode, clear errors."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from console.telemetry import (
    AlarmEngine,
    AlarmLimits,
    AlarmState,
    HistoryError,
    HistoryStore,
    ReadingBatch,
    SensorTable,
    TelemetryService,
)

SENSORS = SensorTable.from_arrays(["A", "B", "C"], ["pressure", "flow", "methane"])


def readings(seed=0, n=5000, t0=1.7e9):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 3, n).astype(np.int32)
    t = t0 + np.sort(rng.uniform(0, 4 * 3600, n))
    v = rng.normal(100, 10, n)
    return rows, t, v


def store_with(tmp_path, rows, t, v, flush_at=None):
    store = HistoryStore(tmp_path / "console.db", flush_readings=10**9)
    store.bind_sensors(SENSORS)
    cut = len(rows) if flush_at is None else flush_at
    store.append(ReadingBatch(rows[:cut], t[:cut], v[:cut]))
    store.flush()
    store.append(ReadingBatch(rows[cut:], t[cut:], v[cut:]))  # stays in the buffer
    return store


@pytest.mark.parametrize("flush_at", [None, 0, 2345])
def test_raw_readings_come_back_exactly(tmp_path, flush_at):
    rows, t, v = readings()
    store = store_with(tmp_path, rows, t, v, flush_at)
    start, end = t[100], t[4000]
    h = store.readings("B", start, end, "raw")
    sel = (rows == 1) & (t >= start) & (t < end)
    assert h.resolution == "raw"
    np.testing.assert_array_equal(h.t, t[sel])
    np.testing.assert_array_equal(h.value, v[sel])
    assert store.counts()["readings"] + store.counts()["buffered"] == len(rows)
    store.close()


@pytest.mark.parametrize(("resolution", "width"), [("1m", 60), ("15m", 900)])
def test_aggregates_match_pandas(tmp_path, resolution, width):
    rows, t, v = readings(seed=1)
    store = store_with(tmp_path, rows, t, v, flush_at=2500)  # buckets split between table and buffer
    h = store.readings("A", t[0], t[-1] + 1, resolution)
    frame = pd.DataFrame({"t": t, "v": v})[rows == 0]
    frame = frame[(frame.t >= np.floor(t[0] / width) * width)]
    ref = frame.groupby(np.floor(frame.t / width) * width)["v"].agg(["count", "mean", "min", "max"])
    np.testing.assert_array_equal(h.t, ref.index.to_numpy())
    np.testing.assert_array_equal(h.count, ref["count"].to_numpy())
    np.testing.assert_allclose(h.value, ref["mean"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(h.min, ref["min"].to_numpy())
    np.testing.assert_array_equal(h.max, ref["max"].to_numpy())
    store.close()


def test_auto_resolution_and_unknown_sensor(tmp_path):
    rows, t, v = readings()
    store = store_with(tmp_path, rows, t, v)
    assert store.readings("A", t[0], t[0] + 86400).resolution == "raw"
    assert store.readings("A", t[0], t[0] + 7 * 86400).resolution == "1m"
    assert store.readings("A", t[0], t[0] + 90 * 86400).resolution == "15m"
    with pytest.raises(HistoryError, match="no history for sensor 'Z'"):
        store.readings("Z", 0, 1)
    with pytest.raises(HistoryError, match="resolution '5m'"):
        store.readings("A", 0, 1, "5m")
    store.close()


def test_wal_mode_and_schema(tmp_path):
    store = HistoryStore(tmp_path / "console.db")
    store.close()
    with sqlite3.connect(tmp_path / "console.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"telemetry_blocks", "telemetry_agg_1m", "telemetry_agg_15m", "telemetry_alarm_events"} <= tables


def test_not_a_database(tmp_path):
    bad = tmp_path / "console.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="console.db: cannot open the history database"):
        HistoryStore(bad)


def test_events_and_current_alarms_survive_a_restart(tmp_path):
    spec = {"sensors": {"A": {"hi": 10.0, "on_delay_s": 0, "off_delay_s": 0}, "C": {"on_delay_s": 0, "off_delay_s": 0}}}
    limits = AlarmLimits.defaults(SENSORS).with_overrides(spec, SENSORS)
    store = HistoryStore(tmp_path / "console.db")
    store.bind_sensors(SENSORS)
    engine = AlarmEngine(SENSORS, limits)
    events = engine.evaluate([0, 2, 0, 2], [0.0, 0.0, 1.0, 1.0], [11.0, 60.0, 12.0, 1.0])
    events += engine.acknowledge("A", t=2.0, user="op", comment="checking")
    events += engine.shelve("C", "HIHI", t=3.0, duration_s=600.0, user="op", comment="detector fault")
    store.append_events(events)
    store.close()

    again = HistoryStore(tmp_path / "console.db")
    stored = again.events()
    assert [(e.t, e.sensor_id, e.condition.value, e.kind.value, e.state.value) for e in stored] == [
        (e.t, e.sensor_id, e.condition.value, e.kind.value, e.state.value) for e in events
    ]
    assert (stored[5].kind.value, stored[5].user, stored[5].comment) == ("acknowledged", "op", "checking")
    current = {(a.sensor_id, a.condition.value): a for a in again.alarm_states()}
    assert {k: a.state for k, a in current.items()} == {
        ("A", "HI"): AlarmState.ACK_ACTIVE,
        ("C", "HIHI"): AlarmState.SHELVED,
        ("C", "HI"): AlarmState.UNACK_RTN,
    }
    assert current[("A", "HI")].since == 0.0 and current[("A", "HI")].value == 11.0
    assert current[("A", "HI")].comment == "checking"
    assert current[("C", "HIHI")].shelved_until == 603.0 and not current[("C", "HIHI")].active
    assert [e.t for e in again.events(limit=2)] == [2.0, 3.0]
    assert [e.condition.value for e in again.events(sensor_id="C")] == ["HIHI", "HI", "HIHI", "HI", "HIHI"]
    again.close()


def test_service_restores_states_and_drops_readings_it_already_has(tmp_path, net):
    first = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    row = first.sensors.row("MA")
    first.ingest(ReadingBatch([row] * 5, [0.0, 1.0, 2.0, 3.0, 4.0], [60.0] * 5))
    assert {(a.sensor_id, a.condition.value) for a in first.alarm_list()} == {("MA", "HI"), ("MA", "HIHI")}
    first.acknowledge("MA", "HIHI", user="op", t=5.0)
    first.close()

    second = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    states = {(a.sensor_id, a.condition.value): a.state for a in second.alarm_list()}
    assert states == {("MA", "HI"): AlarmState.UNACK_ACTIVE, ("MA", "HIHI"): AlarmState.ACK_ACTIVE}
    result = second.ingest(ReadingBatch([row] * 3, [3.0, 4.0, 5.0], [60.0, 60.0, 1.0]))
    assert result.accepted == 1 and result.dropped == {"duplicate": 2}  # 3.0 is in the history, 4.0 the newest
    late = second.ingest(ReadingBatch([row] * 2, [2.5, 2.5], [60.0, 60.0]))  # late: backfilled once, no alarm
    assert (late.accepted, late.backfilled, late.dropped, late.events) == (1, 1, {"duplicate": 1}, ())
    np.testing.assert_array_equal(second.history("MA", 0, 10).t, [0.0, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0])
    second.close()
