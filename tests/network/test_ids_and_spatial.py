"""The compact indices behind lookups and picking agree with the obvious implementations they replace.

``IdIndex`` against a pandas Index (first occurrence wins), ``PointGrid`` against a shapely STRtree, and the
structural promises that keep a million-pipe network small: one shared id index, topology ids left in Arrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from console.isolation import valve_segments
from console.network import IdIndex
from console.network._spatial import LineGrid, PointGrid
from tests.builders import chain

ids = st.lists(st.text(alphabet="PJV-0129管线é", min_size=0, max_size=6), min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(ids, ids)
def test_id_positions_match_a_pandas_index_first_occurrence(values, queries):
    index = IdIndex(np.array(values, dtype=object))
    reference = pd.Index(values)
    expected = [values.index(q) if q in values else -1 for q in queries]
    assert index.positions(np.array(queries, dtype=object)).tolist() == expected
    assert [q in index for q in queries] == [q in reference for q in queries]


@settings(max_examples=60, deadline=None)
@given(ids, st.text(alphabet="PJV-0129管线é", min_size=1, max_size=3))
def test_id_prefix_lists_the_sorted_matches(values, prefix):
    expected = sorted(v for v in values if v.startswith(prefix))  # code-point order = UTF-8 byte order
    assert IdIndex(values).prefix(prefix, limit=1000) == expected


def test_id_index_accepts_arrow_backed_columns_and_odd_queries():
    column = pd.Series(["P-2", "P-1", "J-1"], dtype="str")
    index = IdIndex(column)
    assert index.positions(pd.Series(["J-1", "nope"], dtype="str")).tolist() == [2, -1]
    assert index.positions([None, float("nan"), "P-1"]).tolist() == [-1, -1, 1]
    assert index.positions("P-2").tolist() == [0]
    assert index.positions(["P-1-longer-than-any-id"]).tolist() == [-1]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60),
    st.tuples(st.floats(-5, 35), st.floats(-5, 35), st.floats(0, 12)),
)
def test_point_grid_matches_an_strtree(points, query):
    xy = np.array(points, dtype=float) * 0.5  # duplicates and collinear points on purpose
    geoms = shapely.points(xy)
    tree = shapely.STRtree(geoms)
    grid = PointGrid(xy)
    x, y, d = query
    rows, dist = grid.within(x, y, d)
    expected = tree.query(shapely.Point(x, y), predicate="dwithin", distance=d)
    assert sorted(rows.tolist()) == sorted(expected.tolist())
    assert np.allclose(dist, shapely.distance(geoms[rows], shapely.Point(x, y)))
    box = (x - d, y - d / 2, x + d / 2, y + d)
    assert grid.in_box(box).tolist() == np.sort(tree.query(shapely.box(*box))).tolist()


def test_locate_uses_the_id_index():
    net = chain(3)
    assert net.locate("P2") == ("pipes", 1) and net.locate("E") == ("end_caps", 0)
    assert net.id_index.positions(["J1", "nope"]).tolist() == [0, -1]


def test_topology_and_valve_segments_leave_ids_in_arrow():
    net = chain(3)
    valve_segments(net)
    topo = net.topology
    # A Python string per node and link costs ~150 MB at a million pipes: only built when someone asks for them.
    assert "node_ids" not in topo._lazy and "link_ids" not in topo._lazy
    assert topo.node_ids_at([3, 0]).tolist() == ["E", "J1"]
    assert topo.link_ids.tolist() == ["P1", "P2", "P3"]


segments = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(-6, 6), st.integers(-6, 6)), min_size=1, max_size=50
)


@settings(max_examples=60, deadline=None)
@given(
    segments,
    st.lists(st.integers(0, 49), max_size=3),
    st.tuples(st.floats(-10, 50), st.floats(-10, 50), st.floats(0, 15)),
)
def test_line_grid_matches_an_strtree(parts, long_ones, query):
    # Short segments, a few long diagonals across everything (they go to the grid's own STRtree), and gaps.
    lines = [shapely.LineString([(x, y), (x + dx + 0.5, y + dy)]) for x, y, dx, dy in parts]
    lines += [shapely.LineString([(-20, -20 + k), (60, 60 - k)]) for k in long_ones]
    geoms = np.array([*lines, None, shapely.LineString()], dtype=object)
    tree = shapely.STRtree(geoms)
    grid = LineGrid(geoms)
    x, y, d = query
    rows, dist = grid.within(x, y, d)
    expected = tree.query(shapely.Point(x, y), predicate="dwithin", distance=d)
    assert sorted(rows.tolist()) == sorted(expected.tolist())
    assert np.allclose(dist, shapely.distance(geoms[rows], shapely.Point(x, y)))
    box = (x - d, y - d / 3, x + d / 2, y + d)
    assert grid.in_box(box).tolist() == np.sort(tree.query(shapely.box(*box))).tolist()


def test_line_grid_keeps_few_lines_out_of_its_grid_and_is_small():
    rng = np.random.default_rng(3)
    start = rng.uniform(0, 5000, (20_000, 2))
    short = shapely.linestrings(np.stack([start, start + rng.uniform(-60, 60, start.shape)], axis=1))
    long = shapely.linestrings([[(0, 0), (5000, 5000)], [(0, 5000), (5000, 0)]])
    grid = LineGrid(np.concatenate([short, long]))
    assert set(grid.index.oversize.tolist()) >= {20_000, 20_001} and len(grid.index.oversize) <= 0.06 * 20_002
    assert grid.nbytes <= 8 * 20_002
