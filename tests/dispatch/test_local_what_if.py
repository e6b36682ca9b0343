"""The pressure effect solved only in the pressure systems an outage touches (console.hydraulics.what_if_local)
gives the full what-if's answer: checked against :func:`console.hydraulics.what_if` on the demo district and on a
hand-made network where both kinds of coupling between pressure systems come into play."""

from __future__ import annotations

import numpy as np
import pytest

from console.hydraulics import SimulationRequest, simulate, what_if, what_if_local
from console.isolation import IsolationRequest, isolate
from tests.builders import make_network
from tests.dispatch.drill import demo_network
from tests.hydraulics._networks import ALL_ONE


def _same_answer(full, local) -> None:
    assert sorted(local.low_pressure_customer_ids) == sorted(full.low_pressure_customer_ids)
    assert sorted(local.newly_unsupplied_customer_ids) == sorted(full.newly_unsupplied_customer_ids)
    assert sorted(local.regulator_changes) == sorted(full.regulator_changes)
    assert local.max_drop_pa == pytest.approx(full.max_drop_pa, abs=0.01)
    assert local.lost_demand_nm3h == pytest.approx(full.lost_demand_nm3h, abs=1e-6)


def _same_pressures(full_scenario, local) -> None:
    """The re-solved nodes have the full solution's pressures (to the solver's tolerance); the feeding regulators'
    inlets, held at their base pressure, do not fall in the full solution either."""
    k, held = local.node_index, local.held
    assert np.array_equal(local.scenario.node_ids, full_scenario.node_ids[k])
    assert np.array_equal(local.scenario.node_supplied, full_scenario.node_supplied[k])
    got, want = local.scenario.node_pressure_pa, full_scenario.node_pressure_pa[k]
    assert np.allclose(got[~held], want[~held], atol=0.05)
    assert (want[held] >= got[held] - 0.05).all()


@pytest.fixture(scope="module")
def demo():
    net = demo_network()
    return net, simulate(net)


def test_demo_outages_match_the_full_what_if(demo):
    """Every plan at 40 pipes spread over the district (low- and medium-pressure) has the full what-if's answer."""
    net, base = demo
    pipes = net["pipes"]
    ids = pipes["id"].astype(str).to_numpy()[(pipes["status"] == "in_service").to_numpy()]
    mp = set(pipes["id"][(pipes["pressure_class"].astype(str) != "LP").to_numpy()].astype(str))
    rng = np.random.default_rng(13)
    picks = [*rng.choice(ids, 30, replace=False), *rng.choice(sorted(mp & set(ids)), 10, replace=False)]
    solved_parts = []
    for pid in picks:
        plan = isolate(net, IsolationRequest.at_pipe(str(pid), float(rng.random())))
        closed = [s.feature_id for s in plan.plan if s.required]
        _, scenario, diff = what_if(net, closed, base.request, base=base)
        local = what_if_local(net, closed, base)
        assert not local.full, local.reason
        _same_answer(diff, local.diff)
        _same_pressures(scenario, local)
        solved_parts.append(len(local.node_index) / len(base.node_ids))
    assert max(solved_parts) < 0.5 and np.median(solved_parts) < 0.2  # a part of the district, not all of it


def two_feeds():
    """A medium-pressure loop G–P1–A–V2–K–P5–G and a branch G–P6–B; regulators R1 (A→X) and R2 (B→Y) feed one
    low-pressure line X–P3–CJ–V1–J2–P4–Y from both ends; R3 (A→Z, set 0.37 MPa) feeds a customer CZ."""
    lp = {"pressure_class": "LP", "inner_diameter_mm": 50.0}
    mp = {"pressure_class": "MP-A", "inner_diameter_mm": 150.0}
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.4}), ("A", "junctions", 2000, 0),
             ("K", "junctions", 2000, 10), ("B", "junctions", 0, 1000), ("X", "junctions", 2002, 0),
             ("Y", "junctions", 0, 1002), ("CJ", "customers", 1000, 500, {"peak_demand_nm3h": 30.0}),
             ("J2", "junctions", 1001, 501), ("CY", "customers", 10, 1010, {"peak_demand_nm3h": 5.0}),
             ("Z", "junctions", 2000, -2), ("CZ", "customers", 2100, -2, {"peak_demand_nm3h": 3000.0})]  # fmt: skip
    links = [("P1", "pipes", "G", "A", mp), ("P5", "pipes", "G", "K", mp), ("V2", "valves", "K", "A"),
             ("P6", "pipes", "G", "B", mp),
             ("R1", "regulators", "A", "X", {"set_outlet_pressure_mpa": 0.003, "capacity_nm3h": 500.0}),
             ("R2", "regulators", "B", "Y", {"set_outlet_pressure_mpa": 0.003, "capacity_nm3h": 500.0}),
             ("R3", "regulators", "A", "Z", {"set_outlet_pressure_mpa": 0.37, "capacity_nm3h": 5000.0}),
             ("P3", "pipes", "X", "CJ", {**lp, "length_m": 800.0}), ("V1", "valves", "CJ", "J2"),
             ("P4", "pipes", "J2", "Y", {**lp, "length_m": 800.0}), ("P7", "pipes", "Y", "CY", lp),
             ("P8", "pipes", "Z", "CZ", {"pressure_class": "MP-B", "inner_diameter_mm": 150.0})]  # fmt: skip
    return make_network(nodes, links)


def test_more_drawn_from_a_feeding_system_solves_it_too():
    """Closing V1 leaves CJ fed from X alone: R1 passes more, so the medium-pressure system feeding it is solved as
    well (a second pass), and CJ falls below service pressure exactly as in the full what-if."""
    net = two_feeds()
    base = simulate(net, SimulationRequest(demand=ALL_ONE))
    _, scenario, full = what_if(net, ["V1"], base.request, base=base)
    local = what_if_local(net, ["V1"], base, max_fraction=1.0)
    assert full.low_pressure_customer_ids == ("CJ",)
    assert local.passes == 2 and not local.full
    assert {base.node_system[net.topology.node_index(["A"])[0]]} < set(local.systems)
    _same_answer(full, local.diff)
    _same_pressures(scenario, local)


def test_a_fed_regulator_leaving_its_state_brings_its_system_in():
    """Closing V2 lowers A below R3's set point: R3 passes through, so Z's system is solved with A's (it follows A's
    pressure now) and the regulator change is reported as in the full what-if."""
    net = two_feeds()
    base = simulate(net, SimulationRequest(demand=ALL_ONE))
    _, scenario, full = what_if(net, ["V2"], base.request, base=base)
    local = what_if_local(net, ["V2"], base, max_fraction=1.0)
    assert full.regulator_changes == [("R3", "active", "pass_through")]
    assert local.passes == 2
    _same_answer(full, local.diff)
    _same_pressures(scenario, local)
    # The low-pressure line is not re-solved: R1 holds its set point whatever A does.
    x = net.topology.node_index(["X"])[0]
    assert x not in set(local.node_index.tolist())


def test_a_large_outage_is_solved_in_full_and_says_so():
    net = two_feeds()
    base = simulate(net, SimulationRequest(demand=ALL_ONE))
    local = what_if_local(net, ["V2"], base)  # the medium-pressure system is most of this small network
    assert local.full and "50%" in local.reason
    _same_answer(what_if(net, ["V2"], base.request, base=base)[2], local.diff)


def test_a_base_of_another_network_version_is_refused(demo):
    net, base = demo
    other = two_feeds()
    with pytest.raises(ValueError, match="base case"):
        what_if_local(other, ["V1"], base)


def test_nothing_closed_changes_nothing_and_unknown_ids_are_named(demo):
    from console.errors import UnknownFeatureError

    net, base = demo
    local = what_if_local(net, [], base)
    assert not local.full and len(local.node_index) == 0 and local.diff.max_drop_pa == 0.0
    with pytest.raises(UnknownFeatureError, match="NOPE"):
        what_if_local(net, ["NOPE"], base)
