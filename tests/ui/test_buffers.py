"""Render buffers and the grid index: segments from polylines, and box queries checked against brute force."""

from __future__ import annotations

import numpy as np
import shapely

from console.ui.map._buffers import build_point_buffers, build_segment_buffers, local_origin, view_grid


def test_segments_are_consecutive_vertex_pairs_within_each_feature():
    geoms = np.array(
        [shapely.LineString([(10, 10), (11, 10), (11, 12)]), shapely.LineString([(20, 20), (21, 21)]),
         shapely.LineString([(0, 0), (1, 0), (2, 0), (3, 0)])]
    )  # fmt: skip
    b = build_segment_buffers(geoms, (10.0, 0.0))
    assert b.feature.tolist() == [0, 0, 1, 2, 2, 2]
    assert b.lines[:3].tolist() == [[0, 10, 1, 10], [1, 10, 1, 12], [10, 20, 11, 21]]
    assert len(b) == 6


def test_local_origin_is_a_round_point_below_the_bounds():
    assert local_origin((41_405_123.0, 3_319_950.5, 41_410_000.0, 3_325_000.0)) == (41_405_000.0, 3_319_000.0)
    assert local_origin((np.nan,) * 4) == (0.0, 0.0)


def test_grid_query_finds_every_segment_crossing_the_box():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1000, (4000, 2))
    b = a + rng.normal(0, 8, (4000, 2))
    b[:20] = a[:20] + rng.uniform(-600, 600, (20, 2))  # a few long segments, wider than a grid cell
    geoms = shapely.linestrings(np.stack([a, b], axis=1))
    buf = build_segment_buffers(geoms, (0.0, 0.0))
    assert len(buf.grid.oversize) > 0
    for box in [(100, 100, 180, 160), (0, 0, 1000, 1000), (990, 990, 1200, 1200), (-50, 400, 5, 420)]:
        truth = set(np.flatnonzero(shapely.intersects(geoms, shapely.box(*box))).tolist())
        found = buf.feature[buf.grid.query(box)]
        assert truth <= set(found.tolist())
        assert len(set(found.tolist())) < len(geoms) or box == (0, 0, 1000, 1000)
        assert buf.grid.count(box) >= 0
    assert buf.grid.count((-1000, -1000, 2000, 2000)) == len(geoms)  # every segment, by the cell of its centre
    assert len(buf.grid.query((5000, 5000, 6000, 6000))) == 0


def test_points_grid_counts_and_queries():
    xy = np.array([[0, 0], [5, 5], [100, 100], [101, 99]], float)
    p = build_point_buffers(shapely.points(xy), (0.0, 0.0))
    assert sorted(p.grid.query((99, 98, 102, 101)).tolist())[-2:] == [2, 3]
    assert 2 in p.grid.query((99, 98, 102, 101)) and 3 in p.grid.query((99, 98, 102, 101))
    assert p.grid.count((-1, -1, 200, 200)) == 4


def test_empty_grid():
    g = view_grid(np.empty((0, 4), np.float32))
    assert len(g.query((0, 0, 1, 1))) == 0 and g.count((0, 0, 1, 1)) == 0
