"""The shared historian: the history tables in PostgreSQL (the suite's server, tests/postgres_server.py), giving the
same answers as SQLite, partitioned by month, with each console's journal recovered by that console only, and two
consoles ingesting the same feed storing every reading and alarm event once."""

from __future__ import annotations

import numpy as np
import pytest

from console.app.live import HISTORIAN_FILE, LiveSession
from console.app.workspace import Workspace
from console.telemetry import HistoryError, HistoryStore, ReadingBatch, SensorTable
from tests.telemetry.nets import district

JAN_31 = 1_769_817_600.0  # 2026-01-31T00:00:00Z: a day's readings run into February


@pytest.fixture
def sensors():
    return SensorTable.from_network(district())


def _batch(rows, t, v):
    return ReadingBatch(np.asarray(rows), np.asarray(t, float), np.asarray(v, float))


def _readings(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 9, n)
    t = JAN_31 + np.sort(rng.uniform(0, 2 * 86400, n)).round(3)
    return rows, t, rng.normal(2.5, 0.1, n)


def test_same_answers_as_sqlite_and_partitioned_by_month(url, sensors, tmp_path):
    rows, t, v = _readings()
    stores = {"sqlite": HistoryStore(tmp_path / "console.db"), "pg": HistoryStore(url, owner="desk-1")}
    try:
        for store in stores.values():
            store.bind_sensors(sensors)
            for part in np.array_split(np.arange(len(rows)), 7):
                store.append(_batch(rows[part], t[part], v[part]))
                store.commit()
                if part[0] % 2:
                    store.flush()
        for sid in ("SA1", "MA"):
            for res in ("raw", "1m", "15m"):
                a, b = (s.readings(sid, JAN_31, JAN_31 + 2 * 86400, res) for s in stores.values())
                np.testing.assert_array_equal(a.t, b.t)
                np.testing.assert_allclose(a.value, b.value, rtol=1e-12)
                np.testing.assert_array_equal(a.count, b.count)
        stores["pg"].flush()  # the last part (all on 1 February) is written as blocks now
        assert stores["pg"].partitions() == ["telemetry_blocks_202601", "telemetry_blocks_202602"]
        assert stores["pg"].newest_times() == stores["sqlite"].newest_times()
        assert stores["sqlite"].partitions() == []
    finally:
        for store in stores.values():
            store.close()


def test_two_consoles_store_each_reading_and_event_once(url, sensors):
    """Both consoles of a control room ingest the same feed; their flushes interleave."""
    rows, t, v = _readings(2000, seed=2)
    a, b = HistoryStore(url, owner="desk-a"), HistoryStore(url, owner="desk-b")
    try:
        for store in (a, b):
            store.bind_sensors(sensors)
        halves = np.array_split(np.arange(len(rows)), 4)
        for i, part in enumerate(halves):
            for store in (a, b) if i % 2 else (b, a):
                store.append(_batch(rows[part], t[part], v[part]))
                if i in (1, 2):
                    store.flush()
        a.flush()
        b.flush()
        for sid in sensors.ids.tolist():
            r = sensors.row(sid)
            expected = np.sort(t[rows == r])
            got = a.readings(sid, JAN_31, JAN_31 + 3 * 86400, "raw")
            np.testing.assert_array_equal(got.t, expected)
            assert a.readings(sid, JAN_31, JAN_31 + 3 * 86400, "15m").count.sum() == len(expected)
        from console.telemetry import AlarmEvent, AlarmEventKind, AlarmState, Condition, Priority

        event = AlarmEvent(JAN_31 + 5, "SA1", Condition.LO, AlarmEventKind.ACTIVATED, AlarmState.UNACK_ACTIVE,
                           Priority.MEDIUM, value=1.0, limit=2.0, feature_id="A1")  # fmt: skip
        a.append_events([event])
        b.append_events([event])
        assert len(b.events()) == 1 and a.alarm_states()[0].sensor_id == "SA1"
    finally:
        a.close()
        b.close()


def test_each_console_recovers_its_own_journal_after_a_crash(url, sensors):
    a = HistoryStore(url, owner="desk-a")
    a.bind_sensors(sensors)
    a.append(_batch([3, 3], [JAN_31, JAN_31 + 1], [2.4, 2.5]))
    assert a.commit() == 2
    a._engine.dispose()  # killed: no flush, no close
    b = HistoryStore(url, owner="desk-b")
    try:
        assert b.counts()["buffered"] == 0  # another console's journal is not its to take
    finally:
        b.close()
    again = HistoryStore(url, owner="desk-a")
    try:
        assert again.counts()["buffered"] == 2
        again.bind_sensors(sensors)
        assert again.readings("SA1", JAN_31, JAN_31 + 10, "raw").value.tolist() == [2.4, 2.5]
    finally:
        again.close()


def test_a_workspace_names_its_historian(url, tmp_path):
    workspace = Workspace(tmp_path)
    (tmp_path / HISTORIAN_FILE).write_text(f"# the control room's historian\n{url}\n", encoding="utf-8")
    session = LiveSession(district(), workspace=workspace)
    try:
        assert session.history_error == "" and str(session.db_path).startswith("postgresql://")
        assert ":" + url.split(":")[2].split("@")[0] + "@" not in str(session.db_path)  # no password shown
        feed = session.run_simulator(600, seed=3, start_t="2026-01-05T00:00:00+08:00", faults=False)
        assert feed.status().accepted > 0
    finally:
        session.close()
    store = HistoryStore(url)
    try:
        assert len(store.readings("SA1", feed.start_t, feed.start_t + 600, "raw")) == 600
    finally:
        store.close()
    (tmp_path / HISTORIAN_FILE).write_text("console.db\n", encoding="utf-8")
    session = LiveSession(district(), workspace=workspace)
    try:
        assert HISTORIAN_FILE in session.history_error and session.service.store is None
    finally:
        session.close()


def test_an_unreachable_historian_is_named_without_its_password():
    with pytest.raises(HistoryError) as err:
        HistoryStore("postgresql://gasops:s3cretpw@127.0.0.1:9/nowhere?connect_timeout=2")
    assert "s3cretpw" not in str(err.value) and "postgresql://gasops@127.0.0.1:9/nowhere" in str(err.value)
