"""Streets and addresses derived from the mains: names unique and stable, every customer on its nearest street,
house numbers odd on the left and even on the right, growing along the street."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from console.network import derive_addresses, generate_demo
from console.network._addresses import NUMBER_STEP_M, street_name
from tests.ui.synthetic import ORIGIN, district


@pytest.fixture(scope="module")
def demo():
    net = generate_demo(800, seed=5)
    return net, derive_addresses(net)


def test_every_customer_has_an_address_on_the_nearest_street(demo):
    net, a = demo
    assert len(a) > 10 and len(set(a.name)) == len(a) and len(set(a.name_en)) == len(a)
    assert (a.customer_street >= 0).all() and (a.customer_number > 0).all()
    xy = shapely.get_coordinates(np.asarray(net["customers"].geometry.array))
    # independent check: the distance to the chosen street equals the distance to the nearest street of all
    chosen = shapely.distance(a.line[a.customer_street], shapely.points(xy))
    nearest = np.array([shapely.distance(a.line, shapely.Point(p)).min() for p in xy[:200]])
    np.testing.assert_allclose(chosen[:200], nearest, atol=1e-6)
    assert a.customer_address(0).endswith(")") and "号" in a.customer_address(0)


def test_streets_cover_every_main_once_and_names_are_stable(demo):
    net, a = demo
    mains = a.pipe_street >= 0
    assert mains.sum() > 0
    total = np.bincount(a.pipe_street[mains], weights=net["pipes"].geometry.length.to_numpy()[mains])
    np.testing.assert_allclose(total, a.length_m)
    assert (np.diff(a.length_m) <= 1e-9).all()  # longest first
    again = derive_addresses(net)
    assert list(again.name) == list(a.name) and (again.customer_number == a.customer_number).all()


def test_a_straight_grid_street_is_one_street_numbered_along_it():
    # The synthetic LP grid: row j of east-west pipes "PH<i>_<j>" is one straight street.
    net = district(12)
    a = derive_addresses(net)
    pipes = net["pipes"]
    row = pipes["id"].str.fullmatch(r"PH\d+_3").to_numpy()
    assert len(set(a.pipe_street[row])) == 1
    # customers on the two sides of a street get odd and even numbers, growing along it
    line = a.line[a.pipe_street[row][0]]
    left = shapely.Point(ORIGIN[0] + 100, ORIGIN[1] + 300 + 5)
    right = shapely.Point(ORIGIN[0] + 100, ORIGIN[1] + 300 - 5)
    from console.network._addresses import _house_numbers

    n = _house_numbers(np.array([line, line]), shapely.get_coordinates([left, right]))
    assert n[0] % 2 != n[1] % 2 and abs(int(n[0]) - int(n[1])) == 1
    far = _house_numbers(np.array([line]), np.array([[ORIGIN[0] + 100 + 10 * NUMBER_STEP_M, ORIGIN[1] + 305]]))
    assert abs(int(far[0]) - int(n[0])) == 20


def test_names_run_out_into_numbered_streets_and_suffix_follows_length():
    assert street_name(0, 900)[0].endswith("路") and street_name(0, 300)[0].endswith("街")
    assert street_name(0, 10)[0].endswith("巷")
    names = {street_name(k, 10)[0] for k in range(2000)}
    assert len(names) == 2000


def test_a_network_without_mains_has_no_streets_and_no_addresses():
    net = district(4)
    a = derive_addresses(type(net)({k: v.iloc[:0] if k == "pipes" else v for k, v in net.layers.items()}, net.crs))
    assert len(a) == 0 and (a.customer_street == -1).all() and a.nearest_street(0, 0) == -1
    assert a.customer_address(0) == ""
