"""console.scene without OpenGL: depth fallback, crossings and clearances on hand-built cases, thinning, picking."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from console.network import GasNetwork
from console.scene import (
    MIN_COVER_M,
    MIN_VERTICAL_CLEARANCE_M,
    SegmentPicker,
    band_index,
    build_scene,
    find_crossings,
    main_pipes,
    network_crossings,
    pipe_depths,
    service_lines,
    thin_pipes,
)


# -- GB 50028 values --------------------------------------------------------------------------------------------------
def test_minimum_cover_and_clearance_are_those_of_gb_50028():
    # §6.3.4: 0.9 m under carriageways, 0.6 m under non-motorised lanes/footways, 0.3 m where no vehicle can reach,
    # 0.8 m under paddy fields; table 6.3.3-2: 0.15 m vertical clear distance to another gas, water or drain pipe.
    assert MIN_COVER_M == {"carriageway": 0.9, "non_motor_lane": 0.6, "no_vehicles": 0.3, "paddy_field": 0.8}
    assert MIN_VERTICAL_CLEARANCE_M["gas"] == MIN_VERTICAL_CLEARANCE_M["water"] == MIN_VERTICAL_CLEARANCE_M["drain"]
    assert MIN_VERTICAL_CLEARANCE_M["gas"] == 0.15


def test_depth_fallback_by_role_and_setting():
    pipes = pd.DataFrame(
        {
            "depth_m": [1.3, np.nan, np.nan, -1.0, 0.0, np.nan],
            "setting": ["", "", "", "", "", "paddy_field"],
        }
    )
    depth, filled = pipe_depths(pipes, np.array([True, True, False, False, True, False]))
    assert depth.tolist() == [1.3, 0.9, 0.6, 0.6, 0.0, 0.8]
    assert filled.tolist() == [False, True, True, True, False, True]


def test_service_lines_are_pipes_ending_at_a_meter_or_riser_and_mains_the_backbone():
    pipes = pd.DataFrame(
        {
            "from_node": ["A", "B", "B", "R", "C"],
            "to_node": ["B", "C", "R", "M", "D"],
            "pressure_class": ["MP-B", "LP", "LP", "LP", "LP"],
            "dn": [63, 110, 160, 32, 90],
        }
    )
    assert service_lines(pipes, ["R", "M"]).tolist() == [False, False, True, True, False]
    assert main_pipes(pipes, service_lines(pipes, ["R", "M"])).tolist() == [True, True, False, False, False]


# -- crossings --------------------------------------------------------------------------------------------------------
def _cross(covers, dns, shift=0.0, shared=False):
    geoms = np.array([LineString([(0, 0), (10, 0)]), LineString([(5 + shift, -5), (5 + shift, 5)])])
    to_b = "A" if shared else "D"
    return find_crossings(
        geoms,
        np.array(["P1", "P2"]),
        np.array(["A", "C"]),
        np.array(["B", to_b]),
        np.array(covers, dtype=float),
        np.array(dns, dtype=float) / 1000,
        np.array([10.0, 20.0]),
        np.array([20.0, 20.0]),
    )


def test_clearance_is_bottom_of_upper_to_crown_of_lower():
    c = _cross([1.5, 0.9], [200, 110])  # P2 is the upper pipe
    assert len(c) == 1
    assert (c.id_a[0], c.id_b[0]) == ("P2", "P1")
    assert c.clearance_m[0] == pytest.approx(1.5 - (0.9 + 0.11))
    assert not c.below_minimum[0]
    assert (c.x[0], c.y[0]) == (5.0, 0.0)
    # ground: P1 at its middle (15 m), P2 at its middle (20 m) → 17.5; centre lines below it
    assert c.ground_z[0] == pytest.approx(17.5)
    assert c.z_a[0] == pytest.approx(17.5 - 0.9 - 0.055)
    assert c.z_b[0] == pytest.approx(17.5 - 1.5 - 0.1)


def test_clearance_below_the_minimum_and_clash():
    assert _cross([0.9, 1.10], [110, 110]).below_minimum.tolist() == [True]  # 0.09 m
    assert _cross([0.9, 1.16], [110, 110]).below_minimum.tolist() == [False]  # 0.15 m exactly is enough
    clash = _cross([1.0, 1.0], [110, 160])
    assert clash.clearance_m[0] < 0 and clash.below_minimum[0]


def test_pipes_meeting_at_a_node_or_not_crossing_are_no_crossing():
    assert len(_cross([1, 2], [100, 100], shared=True)) == 0
    assert len(_cross([1, 2], [100, 100], shift=20)) == 0  # apart in plan


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.3, 3.0),
    st.floats(0.3, 3.0),
    st.sampled_from([32, 63, 110, 200, 315]),
    st.sampled_from([32, 63, 110, 200, 315]),
)
def test_clearance_matches_the_centre_line_geometry(c1, c2, d1, d2):
    c = _cross([c1, c2], [d1, d2])
    # independent: the gap between two cylinders' surfaces from their centre heights and radii
    gap = abs(c.z_a[0] - c.z_b[0]) - (d1 + d2) / 2000
    if gap >= 0:
        assert c.clearance_m[0] == pytest.approx(gap, abs=1e-9)
    else:  # the pipes clash: both say so
        assert c.clearance_m[0] < 0 and c.below_minimum[0]
    assert c.cover_a[0] <= c.cover_b[0]


# -- the scene of a small network -------------------------------------------------------------------------------------
def _tiny_network() -> GasNetwork:
    crs = "EPSG:4529"
    nodes = gpd.GeoDataFrame(
        {
            "id": ["J1", "J2", "J3", "J4"],
            "elevation_m": [10.0, 20.0, 15.0, 15.0],
        },
        geometry=[Point(0, 0), Point(100, 0), Point(50, -50), Point(50, 50)],
        crs=crs,
    )
    pipes = gpd.GeoDataFrame(
        {
            "id": ["P1", "P2"],
            "from_node": ["J1", "J3"],
            "to_node": ["J2", "J4"],
            "length_m": [100.0, 100.0],
            "dn": [200, 110],
            "inner_diameter_mm": [190.0, 90.0],
            "pressure_class": ["MP-A", "LP"],
            "depth_m": [np.nan, 0.6],
        },
        geometry=[LineString([(0, 0), (50, 0), (100, 0)]), LineString([(50, -50), (50, 50)])],
        crs=crs,
    )
    return GasNetwork({"junctions": nodes, "pipes": pipes}, crs)


def test_scene_places_pipes_at_depth_below_their_ground_profile():
    net = _tiny_network()
    scene = build_scene(net)
    assert scene.origin == (50.0, 0.0)
    assert scene.cover_m.tolist() == [0.9, 0.6] and scene.cover_filled.tolist() == [True, False]
    seg = scene.segments.reshape(-1, 2, 3)
    p1 = seg[scene.segment_pipe == 0]
    assert len(p1) == 2  # a vertex in the middle: two segments
    # ground 10 → 20 m along P1, centre line 0.9 + 0.1 m below it
    assert p1[0, 0].tolist() == pytest.approx([-50, 0, 10 - 1.0])
    assert p1[0, 1].tolist() == pytest.approx([0, 0, 15 - 1.0])
    assert p1[1, 1].tolist() == pytest.approx([50, 0, 20 - 1.0])
    assert np.allclose(scene.pipe_chords([0]), [[-50, 0, 9.0], [50, 0, 19.0]])
    crossings = network_crossings(net, scene)
    assert len(crossings) == 1 and crossings.id_a[0] == "P2"
    assert crossings.clearance_m[0] == pytest.approx(0.9 - (0.6 + 0.11))


def test_scene_of_the_demo_has_ground_buildings_risers_and_symbols(demo_network):
    scene = build_scene(demo_network)
    n = len(demo_network["pipes"])
    assert len(scene.pipe_ids) == n and set(np.unique(scene.segment_pipe)) == set(range(n))
    # every pipe below its ground (depth 0 only for pipes at ground level), the ground drawn over the land
    seg = scene.segments.reshape(-1, 2, 3)
    ground = np.maximum(scene.ground_from, scene.ground_to)[scene.segment_pipe]
    assert (seg[:, :, 2].max(axis=1) <= ground + 1e-3).all()
    assert scene.ground.valid.any() and np.isfinite(scene.ground.z).all()
    assert len(scene.buildings) > 0.9 * len(demo_network["customers"])
    assert len(scene.risers) == 2 * len(demo_network["risers"])
    assert (scene.risers[1::2, 2] > scene.risers[0::2, 2]).all()  # risers go up
    assert len(scene.symbols["valves"][0]) == len(demo_network["valves"])
    verts, faces = scene.building_mesh()
    assert len(verts) == 8 * len(scene.buildings) and faces.max() < len(verts)


# -- level of detail --------------------------------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(st.integers(1, 400), st.integers(0, 600), st.integers(0, 2**31 - 1))
def test_thinning_keeps_every_main_and_stays_within_budget(n, budget, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    main = rng.random(n) < 0.3
    kept = thin_pipes(xy, rng.uniform(1, 100, n), main, budget)
    assert set(np.flatnonzero(main)) <= set(kept.tolist())
    assert len(kept) <= max(budget, main.sum())
    assert (np.diff(kept) > 0).all()
    if budget >= n:
        assert len(kept) == n


def test_thinning_spreads_the_kept_pipes_over_the_plan():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, (20_000, 2))
    kept = thin_pipes(xy, np.ones(len(xy)), np.zeros(len(xy), dtype=bool), 400)
    assert 200 <= len(kept) <= 400
    # every 250 m quarter of the plan keeps some pipes
    quarters = np.floor(xy[kept] / 250).astype(int)
    assert len({tuple(q) for q in quarters}) == 16


# -- picking ----------------------------------------------------------------------------------------------------------
def _camera(eye, target, fov_deg=60.0, size=(800, 600)):
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    f = target - eye
    f /= np.linalg.norm(f)
    up = np.array([0, 0, 1.0]) if abs(f[2]) < 0.99 else np.array([0, 1.0, 0])
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = s, u, -f
    view[:3, 3] = -view[:3, :3] @ eye
    near, far = 1.0, 1e5
    t = 1 / np.tan(np.radians(fov_deg) / 2)
    proj = np.zeros((4, 4))
    proj[0, 0], proj[1, 1] = t * size[1] / size[0], t
    proj[2, 2], proj[2, 3], proj[3, 2] = (far + near) / (near - far), 2 * far * near / (near - far), -1
    return proj @ view


def _screen(m, p, size=(800, 600)):
    c = m @ np.append(p, 1.0)
    return ((c[0] / c[3] + 1) * 0.5 * size[0], (1 - c[1] / c[3]) * 0.5 * size[1])


@pytest.mark.parametrize("eye", [(0, -300, 200), (10, 5, 500), (0, -400, -40), (-300, 0, 30)])
def test_pick_returns_the_segment_under_the_click_from_above_and_below(eye):
    rng = np.random.default_rng(7)
    a = rng.uniform(-200, 200, (3000, 3)) * [1, 1, 0] + [0, 0, -1.0]
    b = a + rng.uniform(-15, 15, (3000, 3)) * [1, 1, 0.02]
    segments = np.stack([a, b], axis=1).reshape(-1, 3).astype(np.float32)
    picker = SegmentPicker(segments)
    m = _camera(eye, (0, 0, 0))
    for k in (0, 17, 1234, 2999):
        mid = 0.5 * (a[k] + b[k])
        px = _screen(m, mid)
        if not (0 <= px[0] < 800 and 0 <= px[1] < 600):
            continue
        seg, dist = picker.pick(m, (800, 600), px, 4.0)
        brute, brute_d = picker.pick(m, (800, 600), px, 4.0, candidates=np.arange(3000))
        assert (seg, dist) == (brute, brute_d)
        assert dist < 1e-3


def test_pick_finds_the_middle_of_a_long_segment_among_short_ones():
    short = np.array([[[x, 50, -1], [x + 2, 50, -1]] for x in range(0, 400, 4)], dtype=np.float32)
    long = np.array([[[0, 0, -1], [2000, 0, -1]]], dtype=np.float32)
    picker = SegmentPicker(np.concatenate([short, long]).reshape(-1, 3))
    m = _camera((1000, -300, 300), (1000, 0, 0))
    assert picker.pick(m, (800, 600), _screen(m, np.array([1000, 0, -1.0])), 3.0)[0] == len(short)


def test_pick_with_vertical_exaggeration_and_misses():
    segments = np.array([[0, 0, -1], [10, 0, -1]], dtype=np.float32)
    picker = SegmentPicker(segments)
    m = _camera((5, -50, 40), (5, 0, 0))
    px = _screen(m, np.array([5, 0, -10.0]))  # z × 10
    assert picker.pick(m, (800, 600), px, 3.0, z_scale=10.0)[0] == 0
    assert picker.pick(m, (800, 600), (px[0], px[1] + 40), 3.0, z_scale=10.0) == (-1, float("inf"))


def test_band_index_on_ground_points():
    ring = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], dtype=float)
    bands = [(ring, np.array([0, 5])), (ring + 20, np.array([0, 5]))]
    assert band_index(np.array([5.0, 25.0, 15.0]), np.array([5.0, 25.0, 15.0]), bands).tolist() == [0, 1, -1]


# -- the grid join against shapely's predicate (an independent reference) ---------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(0, 2**31 - 1), st.sampled_from([1.0, 50.0, 4e7]))
def test_crossing_points_are_shapelys_crossing_pairs(n, seed, offset):
    """Random polylines (some long, some with shared vertices, some touching at an end): the grid join finds exactly
    the pairs shapely's ``crosses`` finds, at one of their meeting points."""
    import shapely

    from console.scene import crossing_points

    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        k = rng.integers(2, 5)
        scale = rng.choice([5.0, 40.0, 400.0])
        pts = rng.uniform(0, 100, 2) + np.cumsum(rng.normal(0, scale, (k, 2)), axis=0)
        lines.append(np.round(pts, 1))
    for i in range(0, n - 1, 7):  # a tee: the next line starts on the interior of this one
        a, b = lines[i][0], lines[i][1]
        lines[i + 1][0] = a + 0.5 * (b - a)
    geoms = np.array([LineString(p + offset) for p in lines])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="crosses")
    # a tee built in floating point may sit 1e-15 m off the other line, where shapely calls it a crossing: a meeting
    # point within 1 µm of a line's end is a tee for the 3D view (END_TOLERANCE_M), so such pairs are left out
    ends = shapely.boundary(geoms)

    def away_from_ends(a, b) -> bool:
        meet = shapely.get_parts(shapely.intersection(geoms[a], geoms[b]))
        return any(min(ends[a].distance(p), ends[b].distance(p)) > 1e-6 for p in meet)

    expected = {(int(a), int(b)) for a, b in zip(left, right, strict=True) if a < b and away_from_ends(a, b)}
    got_l, got_r, xy, fl, fr = crossing_points(geoms)
    assert set(zip(got_l.tolist(), got_r.tolist(), strict=True)) == expected
    assert (got_l < got_r).all()
    for a, b, p, fa, fb in zip(got_l, got_r, xy, fl, fr, strict=True):
        point = shapely.Point(p)
        assert geoms[a].distance(point) < 1e-6 * max(1.0, offset) and geoms[b].distance(point) < 1e-6 * max(1.0, offset)
        assert 0.0 < fa < 1.0 and 0.0 < fb < 1.0
        assert geoms[a].project(point, normalized=True) == pytest.approx(fa, abs=1e-6)
