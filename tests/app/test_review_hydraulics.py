"""The review's hydraulic effect, solved only in the pressure systems a change set reaches (warm-started from the
master's steady state, the other systems taken from it), equals the one from a full solve of the branch — on random
change sets of a small network with a regulator and of the demo district (several regulators and LP districts).

Tolerances: minimum pressures per system agree within 2 Pa (the review shows kPa to 3 decimals; both solves stop at
the solver's tolerance, and a held regulator inlet differs from the full solve's by the flow tolerance); violations
agree as sets of (kind, feature), leaving out those whose value lies within that tolerance of the limit."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import console.hydraulics
from console.app.review import ReviewEffect, _hydraulics
from console.network import DeleteFeatures, EditRefused, InsertDevice, SetAttribute, diff_networks, generate_demo
from tests.app.test_review_local import _more_edit, _network
from tests.network.test_edits_property import _random_edit

TOL_KPA = 0.002


def _both(master, branch):
    changes = diff_networks(master, branch)
    partial, full = ReviewEffect(), ReviewEffect()
    _hydraulics(master, branch, partial, changes)
    _hydraulics(master, branch, full, changes, partial=False)
    return partial, full


def _assert_equal(partial, full):
    assert bool(partial.hydraulics_note) == bool(full.hydraulics_note), (partial.hydraulics_note, full.hydraulics_note)
    if full.hydraulics_note:
        return
    assert [(p.system, p.pressure_class) for p in partial.pressures] == [
        (p.system, p.pressure_class) for p in full.pressures
    ]
    for p, f in zip(partial.pressures, full.pressures, strict=True):
        assert p.min_before_kpa == f.min_before_kpa
        assert (p.min_after_kpa is None) == (f.min_after_kpa is None), (p, f)
        if f.min_after_kpa is not None:
            assert abs(p.min_after_kpa - f.min_after_kpa) <= TOL_KPA, (p, f)

    def clear(effect):
        return {(v["kind"], v["feature_id"]) for v in effect.new_violations
                if abs(v.get("value", 0.0) - v.get("limit", 0.0)) > max(2.0, 1e-4 * abs(v.get("limit", 0.0)))}  # fmt: skip

    assert clear(partial) == clear(full)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_partial_branch_solve_equals_the_full_one_on_random_edits(data):
    master = _network()
    branch = master.snapshot()
    for _ in range(data.draw(st.integers(1, 5))):
        try:
            (_more_edit if data.draw(st.booleans()) else _random_edit)(branch, data.draw).redo()
        except EditRefused:
            continue
    if data.draw(st.booleans()):  # a demand change on the LP side (its regulator passes more)
        SetAttribute(branch, "customers", ["C8"], "peak_demand_nm3h", data.draw(st.floats(0.0, 40.0))).redo()
    _assert_equal(*_both(master, branch))


_DEMO = {}


def _demo():
    if "net" not in _DEMO:
        _DEMO["net"] = generate_demo(n_pipes=3000, seed=7)
    return _DEMO["net"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["valve", "delete", "demand", "dn", "status"]), st.integers(0, 10**6)),
                min_size=1, max_size=6))  # fmt: skip
def test_the_partial_branch_solve_equals_the_full_one_on_the_demo_district(steps):
    master = _demo()
    branch = master.snapshot()
    for op, k in steps:
        pipes = branch["pipes"]
        r = k % len(pipes)
        pid = str(pipes["id"].iat[r])
        try:
            if op == "valve":
                InsertDevice(branch, pid, pipes.geometry.iat[r].interpolate(0.5, normalized=True), "valves").redo()
            elif op == "delete":
                DeleteFeatures(branch, [pid]).redo()
            elif op == "dn":
                SetAttribute(
                    branch, "pipes", [pid], "inner_diameter_mm", float(pipes["inner_diameter_mm"].iat[r]) * 0.5
                ).redo()
            elif op == "status":
                SetAttribute(branch, "pipes", [pid], "status", "abandoned").redo()
            else:
                customers = branch["customers"]
                cid = str(customers["id"].iat[k % len(customers)])
                SetAttribute(branch, "customers", [cid], "peak_demand_nm3h", float(k % 500)).redo()
        except EditRefused:
            continue
    _assert_equal(*_both(master, branch))


def test_a_change_inside_one_district_re_solves_few_systems():
    master = _demo()
    base = console.hydraulics.simulate(master)
    branch = master.snapshot()
    pipes = branch["pipes"]
    lp = np.flatnonzero((pipes["pressure_class"] == "LP").to_numpy())
    r = int(lp[len(lp) // 2])
    InsertDevice(branch, str(pipes["id"].iat[r]), pipes.geometry.iat[r].interpolate(0.5, normalized=True),
                 "valves").redo()  # fmt: skip
    from console.app.review import _seed_ids

    got = console.hydraulics.simulate_branch(master, base, branch, _seed_ids(diff_networks(master, branch)))
    assert not got.full and got.resolved_systems < got.n_systems
