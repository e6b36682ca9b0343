"""``gasops simulate``: the CLI over the same SimulationService the GUI uses."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from console.io import write_network
from tests.hydraulics._networks import regulated


@pytest.fixture()
def network_file(tmp_path):
    path = tmp_path / "net.gpkg"
    write_network(regulated(), path)
    return path


def test_simulate_prints_systems_regulators_and_writes_json(network_file, tmp_path, capsys):
    out = tmp_path / "result.json"
    assert main(["simulate", str(network_file), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pressure systems (2)" in text and "MP-A" in text and "LP" in text
    assert "1 active" in text and "Newton iteration" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # written atomically, no temporary
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["regulator_states"] == {"active": 1}
    assert data["result"]["node_ids"] and len(data["result"]["node_pressure_pa"]) == len(data["result"]["node_ids"])


def test_simulate_closed_valves_and_law(network_file, capsys):
    assert main(["simulate", str(network_file), "--closed", "R1", "--law", "renouard"]) == 0
    text = capsys.readouterr().out
    assert "closed    R1" in text and "law       renouard" in text
    assert "unsupplied 1 part(s), 1 customer(s)" in text and "unsupplied" in text


def test_simulate_reports_user_errors_on_one_line(network_file, capsys):
    assert main(["simulate", str(network_file), "--closed", "NOPE"]) == 1
    assert "unknown feature id 'NOPE'" in capsys.readouterr().err
    assert main(["simulate", str(network_file), "--demand-factor", "5000"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gasops: error: infeasible") and err.count("\n") == 1
    assert main(["simulate", str(network_file), "--demand-factor", "0"]) == 1


def test_simulate_with_a_demand_scenario(network_file, tmp_path, capsys):
    scenario = tmp_path / "evening.csv"
    scenario.write_text("node_id,demand_nm3h\nC,42.5\n", encoding="utf-8")
    assert main(["simulate", str(network_file), "--demand", str(scenario)]) == 0
    assert "demand 42.5 Nm³/h" in capsys.readouterr().out
    scenario.write_text("node_id,demand_nm3h\nNOPE,1\n", encoding="utf-8")
    assert main(["simulate", str(network_file), "--demand", str(scenario)]) != 0
    err = capsys.readouterr().err
    assert "evening.csv: nodes not in network" in err and "NOPE" in err and "Traceback" not in err
