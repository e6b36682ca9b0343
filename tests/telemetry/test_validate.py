"""Reading validation: every dropped reading is counted under its reason; accepted readings increase per sensor."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from console.telemetry import DropReason, ReadingBatch, ReadingValidator

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
        ok, drops = val.validate(batch(rows[part], ts[part], np.zeros(len(part))))
        got.append((len(ok), drops.get(DropReason.DUPLICATE, 0), drops.get(DropReason.OUT_OF_ORDER, 0)))
    assert sum(g[0] for g in got) == expected.count("ok")
    assert sum(g[1] for g in got) == expected.count("dup")
    assert sum(g[2] for g in got) == expected.count("old")
