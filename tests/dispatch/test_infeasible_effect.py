"""A plan whose closure leaves a pressure system unable to carry its demand is reported as such (a warning with the
figures), not as "not computed": checked on a hand-made network whose answer is known without the solver."""

from __future__ import annotations

import pytest

from console.dispatch import PressureEffect, infeasible_effect
from console.hydraulics import InfeasibleError, simulate, what_if_local
from tests.builders import make_network


def _two_routes():
    """Gate G (0.4 MPa) feeds customer C along a DN150 main G–P1–A–V1–B–P2–C and, around it, a 30 mm line G–P3–C
    of 2 km. C draws 600 Nm³/h in the base case (its peak as the simulator's demand model takes it). With V1
    closed it all must go through P3. Renouard for medium pressure, p1² − p2² = 48,600 · 0.6 · L[km] · Q^1.82 ·
    D[mm]^−4.82 (bar abs²), asks 48,600·0.6·2·600^1.82·30^−4.82 ≈ 500 bar² of a 5.0 bar abs supply (25 bar²): the
    closure cannot hold the supply. Without V1 closed the main carries it easily (DN150 over 1 km: ≈ 0.02 bar²)."""
    mp = {"pressure_class": "MP-A", "inner_diameter_mm": 150.0, "length_m": 500.0}
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.4}), ("A", "junctions", 500, 0),
             ("B", "junctions", 502, 0), ("C", "customers", 1000, 0, {"peak_demand_nm3h": 2000.0})]  # fmt: skip
    links = [("P1", "pipes", "G", "A", mp), ("V1", "valves", "A", "B"), ("P2", "pipes", "B", "C", mp),
             ("P3", "pipes", "G", "C", {"pressure_class": "MP-A", "inner_diameter_mm": 30.0, "length_m": 2000.0})]  # fmt: skip
    return make_network(nodes, links)


def test_a_closure_the_network_cannot_carry_is_a_finding_with_its_figures():
    net = _two_routes()
    base = simulate(net)  # the base case is feasible
    with pytest.raises(InfeasibleError) as info:
        what_if_local(net, ["V1"], base)
    effect = infeasible_effect(info.value)
    assert effect.infeasible and not effect.solved
    demand_c = float(base.node_demand_nm3h[list(base.node_ids).index("C")])
    assert demand_c == pytest.approx(600.0)
    assert effect.demand_nm3h == pytest.approx(demand_c)  # C's whole demand: the only customer on the system
    assert len(effect.systems) == 1 and effect.systems[0].endswith("MP-A")
    assert effect.bottlenecks and effect.bottlenecks[0][0] == "P3"  # the 30 mm line takes the flow
    assert effect.bottlenecks[0][1] == pytest.approx(demand_c, rel=0.05)
    assert "C" in effect.collapsed_nodes
    again = PressureEffect.from_dict(effect.to_dict())  # signed into the plan file and read back
    assert again == effect


def test_an_old_plan_file_without_the_infeasible_fields_still_reads():
    old = {"low_customers": [], "unsupplied_outside": [], "regulators": [], "max_drop_pa": 0.0, "solved": False,
           "note": "hydraulic what-if not solved: x"}  # fmt: skip
    effect = PressureEffect.from_dict(old)
    assert not effect.infeasible and effect.note.endswith("x")
