"""Model pressures corrected by live readings: through every reading, relaxing to the model away from them, and
never across pressure systems."""

from __future__ import annotations

import numpy as np
import pytest

from console.hydraulics import pressure_contours, simulate, with_live_pressures
from tests.hydraulics._networks import regulated


@pytest.fixture(scope="module")
def solved():
    net = regulated()
    return net, simulate(net)


def idx(net, ids):
    return net.topology.node_index(list(ids))


def test_the_corrected_field_passes_through_the_reading_and_relaxes_by_distance(solved):
    net, base = solved
    c, ro, g, j1, ri = idx(net, ["C", "RO", "G", "J1", "RI"])
    measured = base.node_pressure_pa[c] + 200.0  # the customer end reads 200 Pa more than the model
    out, used = with_live_pressures(net, base, [c], [measured], reach_m=100.0)
    assert used == 1
    w0 = 1 / 100.0**2
    assert out.node_pressure_pa[c] == pytest.approx(base.node_pressure_pa[c] + 200.0 / (1 + w0))
    w = 1 / 198.0**2  # RO is 198 m from C
    assert out.node_pressure_pa[ro] - base.node_pressure_pa[ro] == pytest.approx(200.0 * w / (w + w0))
    # the MP side (another pressure system) keeps the model's pressures
    for n in (g, j1, ri):
        assert out.node_pressure_pa[n] == base.node_pressure_pa[n]
    np.testing.assert_allclose(
        out.node_pressure_abs_pa - out.node_pressure_pa, base.node_pressure_abs_pa - base.node_pressure_pa
    )
    np.testing.assert_array_equal(out.link_flow_nm3h, base.link_flow_nm3h)  # only the node pressures move


def test_unusable_readings_are_ignored_and_duplicates_averaged(solved):
    net, base = solved
    c, j1 = idx(net, ["C", "J1"])
    out, used = with_live_pressures(net, base, [-1, c, j1], [1e5, np.nan, base.node_pressure_pa[j1]])
    assert used == 1 and np.allclose(out.node_pressure_pa, base.node_pressure_pa)  # J1 read exactly the model
    out, used = with_live_pressures(net, base, [c, c], [base.node_pressure_pa[c] + 100, base.node_pressure_pa[c] + 300])
    assert used == 2 and out.node_pressure_pa[c] == pytest.approx(base.node_pressure_pa[c] + 200, rel=1e-5)
    same, used = with_live_pressures(net, base, [], [])
    assert same is base and used == 0
    with pytest.raises(ValueError, match="2 sensor nodes for 1 readings"):
        with_live_pressures(net, base, [c, j1], [1.0])


def test_contours_of_the_corrected_field(solved):
    net, base = solved
    c = idx(net, ["C"])[0]
    out, _ = with_live_pressures(net, base, [c], [base.node_pressure_pa[c] - 500.0])
    contours = pressure_contours(net, out, n_levels=4)
    assert contours.sets and contours.seconds >= 0
