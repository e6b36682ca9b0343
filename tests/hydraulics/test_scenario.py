"""Demand scenarios: CSV and GasLib nominations read totally, applied as node demands, and GasLib-134 simulated with
the real nomination of 2011-11-01 (its exits' flowMax is a bound, never the demand)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.hydraulics import (
    DemandOptions,
    DemandScenarioError,
    HydraulicModelError,
    SimulationRequest,
    read_demand_scenario,
    simulate,
)
from tests.hydraulics._networks import ALL_ONE, single_pipe

GASLIB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gaslib"
NOMINATION = GASLIB / "GasLib-134-v2.nomination-2011-11-01.json"


def test_a_csv_scenario_gives_the_same_answer_as_the_same_peak_demand(tmp_path):
    """100 Nm³/h at C as a scenario equals a customer of peak 100 at simultaneity 1; × demand_factor applies."""
    net = single_pipe(0.1, 100.0, 500.0, 50.0)
    path = tmp_path / "s.csv"
    path.write_text("# evening peak\nnode_id;demand_nm3h\nC;100\n", encoding="utf-8")
    scenario = read_demand_scenario(path, net)
    assert scenario.node_demand_nm3h == {"C": 100.0} and scenario.total_nm3h == 100.0
    by_peak = simulate(net, SimulationRequest(demand=ALL_ONE))
    by_scenario = simulate(net, SimulationRequest(demand=DemandOptions(node_demand_nm3h=scenario.node_demand_nm3h)))
    assert np.allclose(by_scenario.node_pressure_pa, by_peak.node_pressure_pa, rtol=1e-9)
    half = simulate(net, SimulationRequest(demand=DemandOptions(node_demand_nm3h={"C": 100.0}, demand_factor=0.5)))
    assert half.node_supply_nm3h.sum() == pytest.approx(50.0)
    # A node the scenario does not list draws nothing, whatever its customers' peak.
    none = simulate(net, SimulationRequest(demand=DemandOptions(node_demand_nm3h={"G": 0.0})))
    assert none.node_supply_nm3h.sum() == 0.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("node_id,demand_nm3h\nC,lots\n", "line 2, node 'C': demand 'lots' is not a number"),
        ("node_id,demand_nm3h\nC,-5\n", "must be a finite number >= 0"),
        ("node_id,demand_nm3h\nC,inf\n", "must be a finite number >= 0"),
        ("node_id,demand_nm3h\nC,1\nC,2\n", "line 3: node 'C' listed twice (first at line 2)"),
        ("name,flow\nC,1\n", "the header needs a node id column"),
        ("node_id,demand_nm3h\nC\n", "line 2: expected 2 fields, found 1"),
        ("", "no header and no demands"),
        ('{"exits": [1, 2]}', "not a GasLib nomination"),
        ('{"exits": {"C": "x"}}', "exit 'C': demand 'x' is not a number"),
        ("{broken", "invalid JSON at line 1"),
    ],
)
def test_bad_scenarios_are_errors_naming_the_file_and_line(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DemandScenarioError) as info:
        read_demand_scenario(path)
    assert str(info.value).startswith("bad.csv: ") and problem in str(info.value)


def test_scenario_nodes_must_exist_in_the_network(tmp_path):
    net = single_pipe(0.1, 100.0, 500.0, 50.0)
    path = tmp_path / "s.csv"
    path.write_text("id,demand\nC,1\nX-9,2\n", encoding="utf-8")
    with pytest.raises(DemandScenarioError, match="nodes not in network .*: X-9"):
        read_demand_scenario(path, net)
    with pytest.raises(HydraulicModelError, match="X-9"):
        simulate(net, SimulationRequest(demand=DemandOptions(node_demand_nm3h={"X-9": 1.0})))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_give_a_scenario_or_a_scenario_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        read_demand_scenario(path)
    except DemandScenarioError:
        pass


@pytest.fixture(scope="module")
def gaslib_134():
    from console.io import read_network

    return read_network(GASLIB / "GasLib-134-v2.net")


def test_gaslib_exits_draw_nothing_without_a_scenario(gaslib_134):
    customers = gaslib_134["customers"]
    assert (customers["peak_demand_nm3h"] == 0).all() and (customers["flow_max_nm3h"] > 0).all()


def test_gaslib_134_simulates_with_its_real_nomination(gaslib_134):
    raw = json.loads(NOMINATION.read_text())
    scenario = read_demand_scenario(NOMINATION, gaslib_134)
    # kg/s → Nm³/h with the file's own normDensity (0.7433 kg/m³ at 0 °C, 1.01325 bar).
    total_kg_s = sum(raw["exits"].values())
    assert total_kg_s == pytest.approx(103.29, abs=0.01)
    assert scenario.total_nm3h == pytest.approx(total_kg_s * 3600 / 0.7433, rel=1e-12)
    assert sum(scenario.entries_nm3h.values()) == pytest.approx(scenario.total_nm3h, rel=1e-9)  # balanced
    result = simulate(gaslib_134, SimulationRequest(demand=DemandOptions(node_demand_nm3h=scenario.node_demand_nm3h)))
    assert result.convergence.converged
    # Conservation: the three entries together supply exactly what the exits take.
    assert result.node_supply_nm3h.sum() == pytest.approx(scenario.total_nm3h, rel=1e-9)
    i = {n: k for k, n in enumerate(result.node_ids)}
    drawn = np.array([result.node_demand_nm3h[i[n]] for n in scenario.node_demand_nm3h])
    assert np.allclose(drawn, list(scenario.node_demand_nm3h.values()))
    assert np.isfinite(result.node_pressure_pa[result.node_supplied]).all()
    assert (result.node_pressure_pa[result.node_supplied] > 3e6).all()  # a transmission grid stays above 30 bar
