"""What-if: close valves (e.g. those of a shut-off plan) and compare with the base case."""

from __future__ import annotations

import json

import numpy as np
import pytest

from console.hydraulics import SimulationRequest, diff_results, simulate, what_if
from console.isolation import IsolationRequest, isolate
from console.network import generate_demo
from tests.builders import make_network
from tests.hydraulics._networks import ALL_ONE

LOOP_NODES = [("G", "gate_stations", 0, 0), ("J", "junctions", 500, 0), ("K", "junctions", 0, 500),
              ("C", "customers", 500, 500, {"peak_demand_nm3h": 400.0}), ("K2", "junctions", 0, 501)]  # fmt: skip
LOOP_LINKS = [("A", "pipes", "G", "J"), ("B", "pipes", "J", "C"), ("D", "pipes", "G", "K"),
              ("V", "valves", "K", "K2"), ("E", "pipes", "K2", "C")]  # fmt: skip


def test_closing_one_side_of_a_loop_lowers_the_pressure_behind_it():
    net = make_network(LOOP_NODES, LOOP_LINKS)
    base, scenario, diff = what_if(net, ["V"], SimulationRequest(demand=ALL_ONE))
    assert scenario.request.closed == ("V",) and base.request.closed == ()
    i = {n: k for k, n in enumerate(base.node_ids)}
    assert diff.node_dp_pa[i["C"]] < 0
    # K2, upstream of C before, now hangs behind C as a dead end: it falls the most, to C's pressure.
    assert diff.max_drop_node_id == "K2" and diff.max_drop_pa == pytest.approx(-diff.node_dp_pa[i["K2"]])
    assert scenario.node_pressure_pa[i["K2"]] == pytest.approx(scenario.node_pressure_pa[i["C"]], abs=1e-6)
    flows = dict(zip(scenario.link_ids, scenario.link_flow_nm3h, strict=True))
    assert flows["A"] == pytest.approx(400.0) and flows["V"] == 0.0
    j = {n: k for k, n in enumerate(base.link_ids)}
    assert diff.link_dflow_nm3h[j["A"]] == pytest.approx(
        400.0 - dict(zip(base.link_ids, base.link_flow_nm3h, strict=True))["A"]
    )
    assert diff.newly_unsupplied_node_ids == ()
    # K2 is now a dead end: still supplied, through E from C.
    assert scenario.node_supplied.all()


def test_scenario_starts_from_the_base_case():
    net = generate_demo(3000, seed=5)
    base = simulate(net)
    valves = net["valves"]["id"].to_numpy()[:3].tolist()
    _, scenario, _ = what_if(net, valves, base=base)
    cold = simulate(net, SimulationRequest(closed=tuple(valves)))
    # The gas-column factors take Z at the start pressures, so a warm start may differ by ~1e-8 relative (a few mPa
    # on MP-A; with a constant Z the two agree to 1e-9 Pa).
    assert scenario.node_pressure_pa == pytest.approx(cold.node_pressure_pa, rel=1e-7, abs=1e-3)
    assert scenario.convergence.iterations <= cold.convergence.iterations


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_customers_cut_off_by_a_shutoff_plan_match_the_isolation_analysis(seed):
    """Close the valves of the shut-off analysis (关阀分析): the customers that lose supply in the simulation are
    exactly those the isolation analysis names."""
    net = generate_demo(3000, seed=5)
    rng = np.random.default_rng(seed)
    base = simulate(net)
    for pipe in rng.choice(net["pipes"]["id"].to_numpy(), 3, replace=False).tolist():
        plan = isolate(net, IsolationRequest.at_pipe(pipe, 0.5))
        # Valves, and regulators shut where a seized or buried valve leaves gas a way through one.
        shut = [s.feature_id for s in plan.required_steps if s.action in ("close_valve", "shut_regulator")]
        assert len(shut) == len(plan.required_steps)  # no break at the gate station among these
        _, scenario, diff = what_if(net, shut, base=base)
        assert set(diff.newly_unsupplied_customer_ids) == {c.feature_id for c in plan.impact.customers}
        lost = [v for v in diff.new_violations if v.kind == "unsupplied"]
        assert {v.feature_id for v in lost} <= set(diff.newly_unsupplied_customer_ids)
        assert diff.lost_demand_nm3h == pytest.approx(
            scenario.node_demand_nm3h[base.node_supplied & ~scenario.node_supplied].sum()
        )


def test_diff_is_json_serialisable_and_refuses_other_networks():
    net = make_network(LOOP_NODES, LOOP_LINKS)
    base, scenario, diff = what_if(net, ["V"], SimulationRequest(demand=ALL_ONE))
    data = json.loads(json.dumps(diff.to_dict()))
    assert data["max_drop_node_id"] == "K2" and len(data["node_dp_pa"]) == len(base.node_ids)
    other = simulate(make_network(LOOP_NODES[:4], LOOP_LINKS[:3]), SimulationRequest(demand=ALL_ONE))
    with pytest.raises(ValueError, match="different networks"):
        diff_results(base, other)
