"""Whole-network behaviour: conservation at every node, regulators, valves, unsupplied parts, infeasible cases."""

from __future__ import annotations

import numpy as np
import pytest

from console.errors import GasOpsError, UnknownFeatureError
from console.hydraulics import (
    DemandOptions,
    GasProperties,
    HydraulicModelError,
    InfeasibleError,
    RegulatorState,
    SimulationRequest,
    simulate,
)
from console.network import LINK_LAYERS, NODE_LAYERS, generate_demo
from tests.builders import make_network
from tests.hydraulics._networks import ALL_ONE, regulated, single_pipe

ONE = SimulationRequest(demand=ALL_ONE)


def by_id(result, name: str) -> dict:
    ids = result.node_ids if name.startswith("node") else result.link_ids
    return dict(zip(ids.tolist(), getattr(result, name).tolist(), strict=True))


def node_balance(network, result) -> np.ndarray:
    """inflow − outflow − demand + supply per node, recomputed from the link flows (Nm³/h)."""
    topo = network.topology
    n = topo.n_nodes
    q = result.link_flow_nm3h
    inflow = np.bincount(topo.link_to, weights=q, minlength=n) - np.bincount(topo.link_from, weights=q, minlength=n)
    return inflow - result.node_demand_nm3h + result.node_supply_nm3h


@pytest.fixture(scope="module")
def demo():
    return generate_demo(3000, seed=5)


@pytest.mark.parametrize("law", ["colebrook", "renouard", "weymouth", "panhandle-a", "nikuradse"])
def test_conservation_holds_at_every_node_of_a_city_network(demo, law):
    r = simulate(demo, SimulationRequest(law=law, demand=DemandOptions(demand_factor=0.3)))
    balance = node_balance(demo, r)
    assert np.all(np.isfinite(balance))
    # Every supplied node balances; unsupplied nodes carry no flow at all.
    assert np.max(np.abs(balance[r.node_supplied])) < 1e-6
    assert np.all(r.link_flow_nm3h[~r.link_active] == 0)
    assert abs(r.node_supply_nm3h.sum() - r.node_demand_nm3h[r.node_supplied].sum()) < 1e-6
    assert r.convergence.conservation_max_nm3h < 1e-6
    # Nothing is NaN: pressures of unsupplied nodes are 0 gauge and they are named.
    for name in (
        "node_pressure_pa",
        "node_pressure_abs_pa",
        "link_flow_nm3h",
        "link_velocity_ms",
        "link_pressure_from_pa",
    ):
        assert np.all(np.isfinite(getattr(r, name))), name
    assert np.all(r.node_pressure_pa[~r.node_supplied] == 0.0)
    named = {n for part in r.unsupplied for n in part.node_ids}
    assert named == set(r.node_ids[~r.node_supplied].tolist())


def test_two_equal_parallel_pipes_share_the_flow():
    net = single_pipe(0.4, 500.0, 1000.0, 100.0, parallel=True)
    r = simulate(net, ONE)
    flows = by_id(r, "link_flow_nm3h")
    assert flows["P"] == pytest.approx(250.0, rel=1e-9) and flows["P2"] == pytest.approx(250.0, rel=1e-9)


def test_a_loop_splits_flow_by_resistance():
    """G feeds C through a short and a long branch (same pipe, lengths 1:4). Weymouth's drop is ∝ L Q² exactly,
    so the short branch carries exactly twice the flow of the long one; Colebrook's λ falls with Re, a bit more."""
    nodes = [
        ("G", "gate_stations", 0, 0),
        ("J", "junctions", 100, 0),
        ("K", "junctions", 0, 400),
        ("C", "customers", 100, 400, {"peak_demand_nm3h": 300.0}),
    ]
    links = [("A", "pipes", "G", "J", {"length_m": 100.0}), ("B", "pipes", "J", "C", {"length_m": 100.0}),
             ("D", "pipes", "G", "K", {"length_m": 400.0}), ("E", "pipes", "K", "C", {"length_m": 400.0})]  # fmt: skip
    flat = GasProperties(z_slope_per_mpa=0.0)
    net = make_network(nodes, links)
    r = simulate(net, SimulationRequest(demand=ALL_ONE, gas=flat, law="weymouth"))
    q = by_id(r, "link_flow_nm3h")
    assert q["A"] + q["D"] == pytest.approx(300.0, abs=1e-9)
    assert q["A"] == pytest.approx(q["B"], abs=1e-9) and q["D"] == pytest.approx(q["E"], abs=1e-9)
    assert q["A"] == pytest.approx(200.0, rel=1e-7) and q["D"] == pytest.approx(100.0, rel=1e-7)
    q = by_id(simulate(net, SimulationRequest(demand=ALL_ONE, gas=flat)), "link_flow_nm3h")
    assert 2.0 < q["A"] / q["D"] < 2.3
    p = by_id(r, "node_pressure_pa")
    assert p["C"] < p["J"] < p["G"] and p["C"] < p["K"] < p["G"]


def test_closed_valves_and_out_of_service_pipes_carry_nothing():
    nodes = [
        ("G", "gate_stations", 0, 0),
        ("J", "junctions", 100, 0),
        ("K", "junctions", 200, 0),
        ("C", "customers", 300, 0, {"peak_demand_nm3h": 50.0}),
    ]
    links = [("P1", "pipes", "G", "J"), ("V", "valves", "J", "K"), ("P2", "pipes", "K", "C"),
             ("P3", "pipes", "G", "C", {"status": "planned"})]  # fmt: skip
    net = make_network(nodes, links)
    r = simulate(net, ONE)
    q = by_id(r, "link_flow_nm3h")
    assert q["V"] == pytest.approx(50.0) and q["P3"] == 0.0 and not by_id(r, "link_active")["P3"]
    closed = simulate(net, SimulationRequest(demand=ALL_ONE, closed=("V",)))
    assert by_id(closed, "link_flow_nm3h")["V"] == 0.0
    assert set(closed.unsupplied[0].customer_ids) == {"C"}
    assert closed.unsupplied[0].closed_boundary_ids == ("V",)
    assert closed.unsupplied[0].demand_nm3h == pytest.approx(50.0)
    assert [v.feature_id for v in closed.violations if v.kind == "unsupplied"] == ["C"]


def test_a_normally_closed_valve_can_be_opened_by_the_request():
    nodes = [
        ("G", "gate_stations", 0, 0),
        ("J", "junctions", 100, 0),
        ("C", "customers", 200, 0, {"peak_demand_nm3h": 5.0}),
    ]
    links = [("P1", "pipes", "G", "J"), ("V", "valves", "J", "C", {"normal_position": "closed"})]
    net = make_network(nodes, links)
    assert not simulate(net, ONE).node_supplied.all()
    opened = simulate(net, SimulationRequest(demand=ALL_ONE, opened=("V",)))
    assert opened.node_supplied.all() and by_id(opened, "link_flow_nm3h")["V"] == pytest.approx(5.0)


def test_an_island_without_a_source_is_named_and_has_no_nan():
    nodes = [("G", "gate_stations", 0, 0), ("C1", "customers", 100, 0, {"peak_demand_nm3h": 4.0}),
             ("I1", "junctions", 500, 0), ("C2", "customers", 600, 0, {"peak_demand_nm3h": 7.0})]  # fmt: skip
    links = [("P1", "pipes", "G", "C1"), ("P2", "pipes", "I1", "C2")]
    r = simulate(make_network(nodes, links), ONE)
    assert len(r.unsupplied) == 1
    part = r.unsupplied[0]
    assert set(part.node_ids) == {"I1", "C2"} and part.customer_ids == ("C2",) and part.pipe_ids == ("P2",)
    assert part.demand_nm3h == pytest.approx(7.0)
    assert np.all(np.isfinite(r.node_pressure_pa)) and by_id(r, "node_pressure_pa")["C2"] == 0.0
    assert by_id(r, "node_supplied")["C1"] and not by_id(r, "node_supplied")["C2"]


def test_undersized_network_is_reported_infeasible_not_returned():
    net = single_pipe(0.1, 20_000.0, 5000.0, 50.0)  # 20,000 Nm³/h through DN50 over 5 km from 0.1 MPa
    with pytest.raises(InfeasibleError) as info:
        simulate(net, ONE)
    assert info.value.node_ids == ["C"]
    assert "below zero absolute" in str(info.value)
    assert isinstance(info.value, GasOpsError)


def test_infeasible_case_in_a_looped_city_network(demo):
    with pytest.raises(InfeasibleError) as info:
        simulate(demo, SimulationRequest(demand=DemandOptions(demand_factor=40.0)))
    assert info.value.node_ids and info.value.system_ids


# -- regulators ----------------------------------------------------------------------------------------------------------
def states(result) -> dict:
    regs = result.link_ids[result.link_layer == LINK_LAYERS.index("regulators")]
    return dict(zip(regs.tolist(), result.regulator_state.tolist(), strict=True))


def test_active_regulator_holds_its_set_point():
    r = simulate(regulated(), ONE)
    p = by_id(r, "node_pressure_pa")
    assert states(r) == {"R1": RegulatorState.ACTIVE}
    assert p["RO"] == pytest.approx(3000.0, abs=1e-6) and p["C"] < 3000.0
    assert by_id(r, "link_flow_nm3h")["R1"] == pytest.approx(20.0)
    assert r.regulator_loading[0] == pytest.approx(0.2)


def test_regulator_passes_through_when_the_inlet_is_below_its_set_point():
    r = simulate(regulated(gate_mpa=0.002, set_mpa=0.003), ONE)
    p = by_id(r, "node_pressure_pa")
    assert states(r) == {"R1": RegulatorState.PASS_THROUGH}
    assert p["RO"] == pytest.approx(p["RI"], abs=1e-9) and p["RO"] < 2000.0
    assert any(v.kind == "regulator_pass_through" and v.feature_id == "R1" for v in r.violations)


def test_regulator_capacity_exceeded_is_reported():
    r = simulate(regulated(capacity=10.0), ONE)
    assert states(r) == {"R1": RegulatorState.CAPACITY_EXCEEDED}
    (v,) = [v for v in r.violations if v.kind == "regulator_capacity"]
    assert v.feature_id == "R1" and v.value == pytest.approx(20.0) and v.limit == 10.0


def test_regulator_without_downstream_demand_has_no_flow():
    r = simulate(regulated(demand=0.0), ONE)
    assert states(r) == {"R1": RegulatorState.NO_FLOW}
    assert by_id(r, "node_pressure_pa")["C"] == pytest.approx(3000.0, abs=1e-6)


def test_regulator_with_lower_set_point_is_shut_by_back_pressure():
    lp = {"pressure_class": "LP", "inner_diameter_mm": 100.0}
    net = regulated(
        extra_nodes=[("RI2", "junctions", 100, 50), ("RO2", "junctions", 400, 50)],
        extra_links=[("P4", "pipes", "J1", "RI2"), ("R2", "regulators", "RI2", "RO2", {"set_outlet_pressure_mpa": 0.002}),
                     ("P5", "pipes", "RO2", "C", lp)],
    )  # fmt: skip
    r = simulate(net, ONE)
    assert states(r) == {"R1": RegulatorState.ACTIVE, "R2": RegulatorState.CLOSED}
    assert by_id(r, "link_flow_nm3h")["R2"] == 0.0
    assert by_id(r, "node_pressure_pa")["RO2"] > 2000.0
    assert r.convergence.regulator_rounds >= 2


def test_parallel_regulators_one_leads_the_other_stands_by():
    net = regulated(extra_links=[("R2", "regulators", "RI", "RO", {"set_outlet_pressure_mpa": 0.0025})])
    r = simulate(net, ONE)
    assert states(r) == {"R1": RegulatorState.ACTIVE, "R2": RegulatorState.STANDBY}
    assert by_id(r, "link_flow_nm3h")["R1"] == pytest.approx(20.0)


def test_bypassed_regulator_puts_inlet_pressure_on_the_low_pressure_side():
    r = simulate(regulated(extra_links=[("BV", "valves", "RI", "RO")]), ONE)
    assert states(r) == {"R1": RegulatorState.BYPASSED}
    kinds = {(v.kind, v.feature_id) for v in r.violations}
    assert ("regulator_bypassed", "R1") in kinds and ("high_pressure", "C") in kinds


def test_closed_or_unsupplied_regulator_cuts_off_its_area():
    closed = simulate(regulated(), SimulationRequest(demand=ALL_ONE, closed=("R1",)))
    assert states(closed) == {"R1": RegulatorState.CLOSED}
    assert closed.unsupplied[0].customer_ids == ("C",) and "R1" in closed.unsupplied[0].closed_boundary_ids
    cut = simulate(regulated(), SimulationRequest(demand=ALL_ONE, closed=("P2",)))
    assert states(cut) == {"R1": RegulatorState.UNSUPPLIED}


def test_demand_follows_simultaneity_per_category():
    nodes = [("G", "gate_stations", 0, 0), ("R", "customers", 100, 0, {"peak_demand_nm3h": 10.0, "category": "residential"}),
             ("S", "customers", 0, 100, {"peak_demand_nm3h": 10.0, "category": "commercial"})]  # fmt: skip
    links = [("P1", "pipes", "G", "R"), ("P2", "pipes", "G", "S")]
    opts = DemandOptions(simultaneity={"residential": 0.25, "commercial": 0.5}, demand_factor=2.0)
    r = simulate(make_network(nodes, links), SimulationRequest(demand=opts))
    d = by_id(r, "node_demand_nm3h")
    assert d["R"] == pytest.approx(5.0) and d["S"] == pytest.approx(10.0)
    assert by_id(r, "node_supply_nm3h")["G"] == pytest.approx(15.0)


def test_standard_base_conditions_change_units_not_physics():
    """The same gas mass stated in Sm³ at 20 °C instead of Nm³ at 0 °C gives the same pressures."""
    q = 800.0
    a = simulate(single_pipe(0.4, q, 2000.0, 150.0), ONE)
    base20 = GasProperties(base_temperature_k=293.15)
    b = simulate(single_pipe(0.4, q * 293.15 / 273.15, 2000.0, 150.0), SimulationRequest(demand=ALL_ONE, gas=base20))
    assert b.node_pressure_pa == pytest.approx(a.node_pressure_pa, rel=1e-10)
    assert base20.base_label == "Sm³ (20 °C)" and GasProperties().base_label == "Nm³"


def test_low_pressure_and_velocity_violations_name_their_features():
    net = single_pipe(0.003, 90.0, 100.0, 40.0, pressure_class="LP")
    r = simulate(net, ONE)
    kinds = {v.kind: v for v in r.violations}
    p_c = by_id(r, "node_pressure_pa")["C"]
    assert p_c < 1500.0 and kinds[("below_atmospheric" if p_c < 0 else "low_pressure")].feature_id == "C"
    assert kinds["high_velocity"].feature_id == "P" and kinds["high_velocity"].value > 20.0
    assert by_id(r, "link_velocity_ms")["P"] == pytest.approx(kinds["high_velocity"].value)


def test_request_errors_name_the_feature():
    net = regulated()
    with pytest.raises(UnknownFeatureError, match="NOPE"):
        simulate(net, SimulationRequest(closed=("NOPE",)))
    with pytest.raises(GasOpsError, match="'C' is a node"):
        simulate(net, SimulationRequest(closed=("C",)))


def test_model_errors_name_the_pipes():
    net = single_pipe(0.4, 10.0, 100.0, 100.0)
    net.set_values("pipes", np.array([0]), "inner_diameter_mm", 0.0)
    with pytest.raises(HydraulicModelError, match="inner_diameter_mm: P"):
        simulate(net)


def test_layer_views_align_with_network_rows(demo):
    r = simulate(demo, SimulationRequest(demand=DemandOptions(demand_factor=0.3)))
    assert len(r.pipe_flow_nm3h) == len(demo["pipes"]) and np.array_equal(
        r.link_ids[: r.n_pipes], demo["pipes"]["id"].to_numpy(dtype=object)
    )
    assert np.array_equal(r.link_values("valves", "ids"), demo["valves"]["id"].to_numpy(dtype=object))
    assert np.array_equal(r.node_values("customers", "ids"), demo["customers"]["id"].to_numpy(dtype=object))
    assert len(r.regulator_state) == len(demo["regulators"])
    row = 7
    pipe_id = demo["pipes"]["id"].iloc[row]
    assert r.feature_values(pipe_id)["flow_nm3h"] == r.pipe_flow_nm3h[row]
    assert set(NODE_LAYERS) >= {r.feature_values(demo["customers"]["id"].iloc[0])["layer"]}


def test_progress_is_reported_and_cancellation_stops_the_solve():
    from console.app.jobs import Cancelled, Feedback

    seen = []
    feedback = Feedback()
    feedback.progressed.connect(lambda fraction, message: seen.append((fraction, message)))
    simulate(regulated(), ONE, feedback=feedback)
    fractions = [f for f, _ in seen]
    assert fractions[0] < 0.1 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("Newton iteration" in m for _, m in seen)
    feedback = Feedback()
    feedback.cancel()
    with pytest.raises(Cancelled):
        simulate(regulated(), ONE, feedback=feedback)


def test_infeasible_message_counts_the_demand_carried_through_regulators_and_names_bottlenecks():
    """An MP line with no customer of its own feeds a regulator whose LP side takes 3,000 Nm³/h: the MP system is
    where pressure collapses, and the message must say what it carries (3,000 Nm³/h), not its own 0."""
    mp = {"pressure_class": "MP-A", "inner_diameter_mm": 25.0, "length_m": 2000.0}
    lp = {"pressure_class": "LP", "inner_diameter_mm": 600.0, "length_m": 10.0}
    net = make_network(
        [
            ("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.4}),
            ("J", "junctions", 1000, 0),
            ("RI", "junctions", 2000, 0),
            ("RO", "junctions", 2002, 0),
            ("C", "customers", 2010, 0, {"peak_demand_nm3h": 3000.0, "category": "special"}),
        ],
        [
            ("P1", "pipes", "G", "J", mp),
            ("P2", "pipes", "J", "RI", {**mp, "inner_diameter_mm": 200.0}),
            ("R1", "regulators", "RI", "RO", {"set_outlet_pressure_mpa": 0.003, "capacity_nm3h": 5000.0}),
            ("P3", "pipes", "RO", "C", lp),
        ],
    )
    with pytest.raises(InfeasibleError) as info:
        simulate(net, ONE)
    message = str(info.value)
    assert "3,000.0 Nm³/h of demand supplied through" in message and "(MP-A)" in message
    assert "0.0 Nm³/h to their own customers" in message
    assert "largest pressure drops are in pipes P1" in message  # the DN25 line, not the DN200 one


def test_the_solver_runs_blas_on_one_thread_whatever_the_default(monkeypatch):
    """OpenBLAS's default pool (one thread per core) made a 10k-junction solve twice as slow on two cores: the
    solver sets the pool it needs itself, and gives the default back afterwards."""
    from threadpoolctl import threadpool_info

    import console.hydraulics._solver as solver

    seen = []
    real = solver.splu

    def spy(*args, **kwargs):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(solver, "splu", spy)
    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    simulate(single_pipe(0.1, 100.0, 500.0, 50.0, parallel=True), ONE)
    assert seen and set(seen) == {1}
    assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == before
