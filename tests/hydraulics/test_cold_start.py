"""A first solve starts Newton from the linearised network: the same answer as from the plain start, in fewer
iterations, and an infeasible network is still reported as infeasible."""

from __future__ import annotations

import numpy as np
import pytest

import console.hydraulics._setup as setup
from console.hydraulics import InfeasibleError, SimulationRequest, simulate
from console.hydraulics._solver import solve_gga
from console.network import generate_demo
from tests.builders import make_network


@pytest.fixture(scope="module")
def core_problem():
    """The looped core Newton solves for a 3,000-pipe demo district at its design peak, with its start values."""
    captured = []
    real = setup.solve_gga

    def spy(core, q0, pi0, **kw):
        captured.append((core, q0.copy(), pi0.copy(), {k: v for k, v in kw.items() if k not in ("check", "cold")}))
        return real(core, q0, pi0, **kw)

    setup.solve_gga = spy
    try:
        simulate(generate_demo(3000, seed=5), SimulationRequest())
    finally:
        setup.solve_gga = real
    return captured[0]


def test_the_linear_start_reaches_the_same_solution_in_fewer_iterations(core_problem):
    core, q0, pi0, kw = core_problem
    plain = solve_gga(core, q0, pi0, **kw)
    linear = solve_gga(core, q0, pi0, cold=True, **kw)
    assert plain.converged and linear.converged
    assert linear.iterations < plain.iterations
    np.testing.assert_allclose(np.sqrt(linear.pi_free), np.sqrt(plain.pi_free), rtol=0, atol=1e-3)  # Pa
    np.testing.assert_allclose(linear.q, plain.q, rtol=1e-6, atol=1e-8)  # m³/s: within the solver tolerances


def test_an_infeasible_network_is_still_infeasible():
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.1}),
             ("C", "customers", 5000, 0, {"peak_demand_nm3h": 20_000.0})]  # fmt: skip
    net = make_network(nodes, [("P", "pipes", "G", "C", {"dn": 50, "inner_diameter_mm": 50.0})])
    with pytest.raises(InfeasibleError):
        simulate(net)
