"""The one grid index: its candidates always include every item whose box meets the query box."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from console.network import GridIndex

items = st.lists(
    st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(0, 80), st.floats(0, 80)), min_size=0, max_size=80
)


@settings(max_examples=80, deadline=None)
@given(items, st.tuples(st.floats(-50, 550), st.floats(-50, 550), st.floats(0, 100), st.floats(0, 100)))
def test_candidates_cover_every_box_that_meets_the_query(boxes, query):
    b = np.array([(x, y, x + w, y + h) for x, y, w, h in boxes], float).reshape(-1, 4)
    x, y, w, h = query
    box = (x, y, x + w, y + h)
    truth = np.flatnonzero((b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1]))
    for dtype, origin in ((np.float64, 41_405_000.0), (np.float32, 0.0)):
        grid = GridIndex.build((b + origin).astype(dtype), items_per_cell=2, counts=True)
        shifted = tuple(v + origin for v in box)
        assert set(truth.tolist()) <= set(grid.query(shifted).tolist())
        assert grid.count((-1e9, -1e9, 1e9, 1e9)) == len(b)


def test_empty_items_are_left_out_and_points_have_no_reach():
    xy = np.array([[0.0, 0.0], [np.nan, np.nan], [5.0, 5.0], [10.0, 10.0]])
    grid = GridIndex.build(np.hstack([xy, xy]), items_per_cell=1)
    assert sorted(grid.query((-1.0, -1.0, 11.0, 11.0)).tolist()) == [0, 2, 3]
    assert grid.reach < 1e-9 and len(grid.oversize) == 0
    assert len(GridIndex.build(np.empty((0, 4))).query((0.0, 0.0, 1.0, 1.0))) == 0
