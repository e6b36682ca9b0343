"""Reading validation: every dropped reading is counted under its reason; accepted readings increase per sensor."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from console.telemetry import DropReason, HistoryStore, ReadingBatch, ReadingValidator, TelemetryService
from tests.telemetry.nets import district

NAN = float("nan")


def batch(rows, t, v) -> ReadingBatch:
    return ReadingBatch(np.array(rows), np.array(t, float), np.array(v, float))


def test_drop_reasons():
    val = ReadingValidator(np.array([0.0, NAN]), np.array([10.0, NAN]))
    ok, drops = val.validate(
        batch(
            [0, 0, 0, 0, 1, 5, -1, 0, 1, 1, 0],
            [1, 2, 2, 1.5, 1, 1, 1, NAN, 2, 3, 3],
            [1, 2, 3, 4, 1e9, 1, 1, 1, NAN, -1e9, 11],
        )
    )
    assert ok.rows.tolist() == [0, 0, 1, 1] and ok.t.tolist() == [1, 2, 1, 3]
    assert drops == {
        DropReason.DUPLICATE: 1,  # sensor 0 at t=2 again
        DropReason.OUT_OF_ORDER: 1,  # sensor 0 at 1.5 after 2
        DropReason.UNKNOWN_SENSOR: 2,  # rows 5 and -1
        DropReason.NOT_FINITE: 2,
        DropReason.OUT_OF_RANGE: 1,  # 11 > 10; sensor 1 has no range
    }
    # the next batch is judged against what was accepted
    ok, drops = val.validate(batch([0, 1, 0], [2, 3, 2.5], [1, 1, 1]))
    assert ok.t.tolist() == [2.5] and drops == {DropReason.DUPLICATE: 2}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=60), st.integers(1, 5))
def test_matches_a_sequential_reference(readings, n_batches):
    """Without a history: newer than the newest is live, equal a duplicate, older out of order."""
    val = ReadingValidator(np.full(4, NAN), np.full(4, NAN))
    newest = {}
    expected = []
    for row, t in readings:
        prev = newest.get(row, -np.inf)
        expected.append("ok" if t > prev else "dup" if t == prev else "old")
        newest[row] = max(prev, t)
    got = []
    rows = np.array([r for r, _ in readings], dtype=np.int32)
    ts = np.array([t for _, t in readings], dtype=float)
    for part in np.array_split(np.arange(len(rows)), n_batches):
        verdict = val.judge(batch(rows[part], ts[part], np.zeros(len(part))))
        got.append((len(verdict.live), verdict.drops.get(DropReason.DUPLICATE, 0), len(verdict.late)))
    seen_in_batch_dups = sum(g[1] for g in got) - expected.count("dup")
    assert sum(g[0] for g in got) == expected.count("ok")
    # a late reading repeating one of its own batch is a duplicate, not late
    assert sum(g[2] for g in got) + seen_in_batch_dups == expected.count("old")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), max_size=60), st.integers(1, 5))
def test_service_backfills_every_reading_once(readings, n_batches):
    """With a history: every distinct (sensor, time) is stored exactly once, whatever the order and batching; only
    readings newer than their sensor's newest are live."""
    net = district()
    with tempfile.TemporaryDirectory() as folder:
        service = TelemetryService(net, store=HistoryStore(Path(folder) / "console.db"))
        rows = np.array([r for r, _ in readings], dtype=np.int32)
        ts = np.array([t for _, t in readings], dtype=float)
        newest, seen, live, late, dup = {}, set(), 0, 0, 0
        for row, t in readings:
            if (row, t) in seen:
                dup += 1
            elif t > newest.get(row, -np.inf):
                live += 1
            else:
                late += 1
            seen.add((row, t))
            newest[row] = max(newest.get(row, -np.inf), t)
        results = [
            service.ingest(ReadingBatch(rows[part], ts[part], np.full(len(part), 1.0)))
            for part in np.array_split(np.arange(len(rows)), n_batches)
        ]
        assert sum(r.accepted for r in results) == live + late
        assert sum(r.backfilled for r in results) == late
        assert sum(r.dropped.get("duplicate", 0) for r in results) == dup
        for row in range(4):
            stored = service.history(service.sensors.ids[row], -1, 100, "raw").t.tolist()
            assert stored == sorted({t for r, t in seen if r == row})
        service.close()


def test_clock_skew_bounds_both_ways_and_the_live_window():
    val = ReadingValidator(np.full(1, NAN), np.full(1, NAN), max_future_s=60, max_past_s=86400, live_window_s=300)
    now = 1_800_000_000.0
    b = ReadingBatch(
        np.zeros(6, np.int32),
        np.array([now - 10, now + 61, now + 59, 0.0, now - 86401, now - 301]),
        np.zeros(6),
        received_t=now,
    )
    verdict = val.judge(b)
    assert verdict.live.t.tolist() == [now - 10, now + 59]
    assert verdict.late.t.tolist() == [now - 301]  # behind the live window: history only, even if newest
    assert verdict.drops == {DropReason.FUTURE: 1, DropReason.TOO_OLD: 2}
    # simulations and replays carry data time: no skew check without a receipt time
    assert len(val.judge(ReadingBatch([0], [now + 3600.0], [0.0])).live) == 1
