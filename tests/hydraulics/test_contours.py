"""Pressure contours: isobars where the pressure field has that value, one set per class, systems kept apart."""

from __future__ import annotations

import json

import numpy as np
import pytest

from console.hydraulics import SimulationRequest, nice_levels, pressure_contours, simulate
from tests.builders import make_network
from tests.hydraulics._networks import ALL_ONE

SPACING = 40.0


def grid_network(n: int = 15, lp_block: bool = False):
    """An n × n meshed MP grid fed at a corner; optionally an LP grid over the same area behind a regulator."""
    nodes = [("G", "gate_stations", -SPACING, 0)]
    links = [("PG", "pipes", "G", "J0_0")]
    for i in range(n):
        for j in range(n):
            nodes.append((f"J{i}_{j}", "junctions", i * SPACING, j * SPACING))
            if i:
                links.append((f"PX{i}_{j}", "pipes", f"J{i - 1}_{j}", f"J{i}_{j}"))
            if j:
                links.append((f"PY{i}_{j}", "pipes", f"J{i}_{j - 1}", f"J{i}_{j}"))
    if lp_block:
        lp = {"pressure_class": "LP"}
        m = n // 2
        for i in range(m):
            for j in range(m):
                nodes.append((f"L{i}_{j}", "junctions", i * SPACING + 5, j * SPACING + 7))
                if i:
                    links.append((f"LX{i}_{j}", "pipes", f"L{i - 1}_{j}", f"L{i}_{j}", lp))
                if j:
                    links.append((f"LY{i}_{j}", "pipes", f"L{i}_{j - 1}", f"L{i}_{j}", lp))
        nodes.append(("C", "customers", (m - 1) * SPACING + 10, (m - 1) * SPACING + 10, {"peak_demand_nm3h": 30.0}))
        links += [
            ("RG", "regulators", "J0_0", "L0_0", {"set_outlet_pressure_mpa": 0.003}),
            ("PC", "pipes", f"L{m - 1}_{m - 1}", "C", lp),
        ]
    return make_network(nodes, links)


def test_isobars_of_a_linear_field_lie_where_the_field_has_their_value():
    net = grid_network()
    result = simulate(net, SimulationRequest(demand=ALL_ONE))
    xy = net.topology.node_xy
    x0, y0 = xy[:, 0].min(), xy[:, 1].min()
    gx, gy = 3.0, 2.0  # Pa/m
    field = lambda x, y: 200_000.0 + gx * (x - x0) + gy * (y - y0)  # noqa: E731
    result.node_pressure_pa = field(xy[:, 0], xy[:, 1])
    levels = np.arange(200_200.0, 203_000.0, 200.0)
    cell = 4.0
    contours = pressure_contours(net, result, levels={"MP-A": levels}, cell_m=cell, buffer_m=30.0)
    (cs,) = contours.sets
    assert cs.pressure_class == "MP-A" and np.array_equal(cs.levels_pa, levels)
    checked = 0
    for level, line in zip(levels, cs.isobars, strict=True):
        pts = line[~np.isnan(line[:, 0])]
        interior = (
            (pts[:, 0] > x0 + SPACING)
            & (pts[:, 0] < x0 + 14 * SPACING)
            & (pts[:, 1] > y0 + 10)
            & (pts[:, 1] < y0 + 13 * SPACING)
        )
        err = np.abs(field(pts[interior, 0], pts[interior, 1]) - level)
        checked += len(err)
        # Within one grid cell of the true isobar (samples are averaged per cell).
        assert np.all(err <= np.hypot(gx, gy) * cell), f"level {level}: worst {err.max():.1f} Pa"
    assert checked > 500


def test_each_pressure_system_is_contoured_on_its_own():
    net = grid_network(lp_block=True)
    result = simulate(net, SimulationRequest(demand=ALL_ONE))
    contours = pressure_contours(net, result, cell_m=4.0, buffer_m=20.0)
    classes = {cs.pressure_class: cs for cs in contours.sets}
    assert set(classes) == {"MP-A", "LP"}
    lp, mp = classes["LP"], classes["MP-A"]
    lp_range = result.node_pressure_pa[np.isin(result.node_system, lp.system_ids)]
    assert lp.levels_pa.max() < 10_000 and mp.levels_pa.min() > 100_000  # never a shared level
    assert lp.levels_pa.min() <= lp_range.min() and lp.levels_pa.max() >= lp_range.max()
    # Every LP band ring lies within the buffer around the LP pipes, though MP pipes run through the same area.
    topo = net.topology
    pipes = np.flatnonzero((result.link_layer == 0) & result.link_active)
    is_lp = np.isin(result.node_system[topo.link_from[pipes]], lp.system_ids)
    a, b = topo.node_xy[topo.link_from[pipes[is_lp]]], topo.node_xy[topo.link_to[pipes[is_lp]]]
    pts = np.concatenate([p for p, _ in lp.bands if len(p)])
    d = _distance_to_segments(pts, a, b)
    assert d.max() <= 20.0 + 2 * 4.0
    lines, bands = lp.for_system(lp.system_ids[0])
    assert sum(len(p) for p, _ in bands) == len(pts) and len(lines) == len(lp.levels_pa)


def _distance_to_segments(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((p[:, None, :] - a[None]) * ab[None]).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12)[None], 0, 1)
    nearest = a[None] + t[..., None] * ab[None]
    return np.sqrt(((p[:, None, :] - nearest) ** 2).sum(-1)).min(axis=1)


def test_bands_cover_a_flat_system_and_bounds_clip_the_work():
    net = grid_network(6)
    result = simulate(net, SimulationRequest(demand=ALL_ONE))  # no demand: the whole grid sits at 0.4 MPa
    contours = pressure_contours(net, result, cell_m=5.0, buffer_m=20.0)
    (cs,) = contours.sets
    assert all(len(line) == 0 for line in cs.isobars)
    filled = [k for k, (p, _) in enumerate(cs.bands) if len(p)]
    assert len(filled) == 1 and cs.levels_pa[filled[0]] <= 400_000 <= cs.levels_pa[filled[0] + 1]
    xy = net.topology.node_xy
    box = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].min() + 60, xy[:, 1].min() + 60)
    clipped = pressure_contours(net, result, cell_m=5.0, buffer_m=20.0, bounds=box)
    pts = clipped.sets[0].bands[filled[0]][0]
    assert len(pts) and pts[:, 0].max() <= box[2] + 5 and pts[:, 1].max() <= box[3] + 5


def test_contours_serialise_and_refuse_a_stale_result():
    net = grid_network(5)
    result = simulate(net, SimulationRequest(demand=ALL_ONE))
    data = json.loads(json.dumps(pressure_contours(net, result, cell_m=5.0).to_dict()))
    assert data["sets"][0]["pressure_class"] == "MP-A"
    other = grid_network(4)
    with pytest.raises(ValueError, match="another network"):
        pressure_contours(other, result)


def test_nice_levels_cover_the_range_in_round_steps():
    lv = nice_levels(1234.0, 2871.0, 8)
    assert lv[0] <= 1234.0 and lv[-1] >= 2871.0
    steps = np.diff(lv)
    assert np.allclose(steps, steps[0]) and steps[0] in (100.0, 200.0, 250.0, 500.0)
