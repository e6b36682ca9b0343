"""Single pipes against the closed forms of each law (relative error of the pressure drop <= 1e-6).

Every reference below is written independently of console.hydraulics: in the units and form its source states it
(Renouard in mbar/bar, m/km, m³(n)/h, mm; Weymouth and Panhandle A checked against the published SI examples of
Menon as reproduced by the ``fluids`` library; Colebrook–White solved by bracketing, not Newton), and the network
solver (tree march for one pipe, Newton for two parallel pipes) must reproduce them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from console.hydraulics import (
    FlowLaw,
    GasProperties,
    PipeLaw,
    SimulationRequest,
    SolverOptions,
    colebrook_white,
    friction_factor,
    pipe_outlet_pressure,
    simulate,
)
from tests.hydraulics._networks import ALL_ONE, P_ATM, single_pipe

FLAT = GasProperties(z_slope_per_mpa=0.0)  # constant Z = 1 for the closed forms


def cw_reference(re: float, rel_roughness: float) -> float:
    """1/√λ = −2 lg(k/(3.7 D) + 2.51/(Re √λ)) solved by bracketing."""
    f = lambda lam: 1 / math.sqrt(lam) + 2 * math.log10(rel_roughness / 3.7 + 2.51 / (re * math.sqrt(lam)))  # noqa: E731
    return brentq(f, 1e-5, 1e3, xtol=1e-18, rtol=4 * np.finfo(float).eps, maxiter=500)


def outlet_abs(net, request: SimulationRequest) -> tuple[float, float]:
    r = simulate(net, request)
    i = {k: n for n, k in enumerate(r.node_ids)}
    return float(r.node_pressure_abs_pa[i["G"]]), float(r.node_pressure_abs_pa[i["C"]])


def rel_drop_error(p1: float, p2_ours: float, p2_ref: float) -> float:
    return abs((p1 - p2_ours) - (p1 - p2_ref)) / (p1 - p2_ref)


# -- friction factor --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("re", [4000.0, 1e4, 1e5, 1e6, 1e8])
@pytest.mark.parametrize("r", [0.0, 1e-5, 1e-3, 0.05])
def test_colebrook_white_matches_bracketed_solution(re, r):
    lam, _ = colebrook_white(np.array([re]), np.array([r]))
    assert lam[0] == pytest.approx(cw_reference(re, r), rel=1e-12)


def test_colebrook_white_converges_at_very_low_reynolds_numbers():
    lam, _ = colebrook_white(np.array([1.0, 10.0, 100.0]), np.array([0.0, 1e-3, 0.05]))
    for got, re, r in zip(lam, (1.0, 10.0, 100.0), (0.0, 1e-3, 0.05), strict=True):
        assert got == pytest.approx(cw_reference(re, r), rel=1e-12)


def test_friction_factor_is_laminar_below_2000_and_continuous_through_the_transition():
    re = np.array([500.0, 1999.999, 2000.001, 3999.999, 4000.001])
    lam, dlam = friction_factor(re, np.full(5, 1e-4))
    assert lam[0] == pytest.approx(64 / 500, rel=1e-15)
    assert lam[1] == pytest.approx(lam[2], rel=1e-5) and lam[3] == pytest.approx(lam[4], rel=1e-5)
    assert lam[4] == pytest.approx(cw_reference(4000.001, 1e-4), rel=1e-9)
    # C¹: the derivative is continuous as well, and matches finite differences inside the cubic.
    assert dlam[1] == pytest.approx(dlam[2], rel=1e-4) and dlam[3] == pytest.approx(dlam[4], rel=1e-4)
    h = 1e-3
    up, _ = friction_factor(np.array([3000.0 + h]), np.array([1e-4]))
    dn, _ = friction_factor(np.array([3000.0 - h]), np.array([1e-4]))
    mid, d_mid = friction_factor(np.array([3000.0]), np.array([1e-4]))
    assert d_mid[0] == pytest.approx((up[0] - dn[0]) / (2 * h), rel=1e-6)


# -- Darcy–Weisbach / Colebrook–White ------------------------------------------------------------------------------------
def darcy_p2(
    p1: float, q_nm3h: float, length: float, d_mm: float, k_mm: float, gas: GasProperties, nikuradse=False
) -> float:
    """p1² − p2² = λ (L/D) ṁ² Z R T / A², ṁ = ρ_n Q, R = p_n/(ρ_n T_n) (isothermal flow, constant Z)."""
    rho_n = gas.relative_density * 1.2930
    m = rho_n * q_nm3h / 3600.0
    d = d_mm / 1000.0
    area = math.pi * d * d / 4
    re = m * d / (area * gas.viscosity_pa_s)
    if nikuradse:
        lam = 64 / re + 1 / (2 * math.log10(d_mm / k_mm) + 1.14) ** 2
    else:
        lam = 64 / re if re <= 2000 else cw_reference(re, k_mm / d_mm)
    r_spec = P_ATM / (rho_n * 273.15)
    return math.sqrt(p1 * p1 - lam * length / d * m * m * gas.z_factor * r_spec * gas.temperature_k / area**2)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize(
    ("supply_mpa", "q", "length", "d_mm", "k_mm"),
    [
        (0.4, 800.0, 2000.0, 150.0, 0.05),  # MP-A main, turbulent
        (0.2, 120.0, 500.0, 90.0, 0.007),  # PE, smooth
        (1.6, 20000.0, 10000.0, 400.0, 0.1),  # sub-high pressure
        (0.1, 0.5, 50.0, 50.0, 0.05),  # laminar (Re < 2000)
    ],
)
def test_colebrook_single_pipe_matches_closed_form(supply_mpa, q, length, d_mm, k_mm, parallel):
    net = single_pipe(supply_mpa, q, length, d_mm, k_mm, parallel=parallel)
    p1, p2 = outlet_abs(net, SimulationRequest(gas=FLAT, demand=ALL_ONE))
    ref = darcy_p2(p1, q / 2 if parallel else q, length, d_mm, k_mm, FLAT)
    assert p1 == supply_mpa * 1e6 + P_ATM
    assert rel_drop_error(p1, p2, ref) <= 1e-6


def test_colebrook_everywhere_matches_closed_form_in_the_laminar_range():
    net = single_pipe(0.1, 0.5, 50.0, 50.0, 0.05)
    p1, p2 = outlet_abs(net, SimulationRequest(gas=FLAT, demand=ALL_ONE, laminar_flow=False))
    rho_n = FLAT.relative_density * 1.2930
    m, d = rho_n * 0.5 / 3600, 0.05
    area = math.pi * d * d / 4
    lam = cw_reference(m * d / (area * FLAT.viscosity_pa_s), 1e-3)
    ref = math.sqrt(p1**2 - lam * 50.0 / d * m * m * P_ATM / (rho_n * 273.15) * FLAT.temperature_k / area**2)
    assert rel_drop_error(p1, p2, ref) <= 1e-6


def test_nikuradse_single_pipe_matches_closed_form():
    net = single_pipe(0.4, 900.0, 1500.0, 150.0, 0.1)
    p1, p2 = outlet_abs(net, SimulationRequest(gas=FLAT, demand=ALL_ONE, law="nikuradse"))
    assert rel_drop_error(p1, p2, darcy_p2(p1, 900.0, 1500.0, 150.0, 0.1, FLAT, nikuradse=True)) <= 1e-6


def test_pressure_dependent_z_is_evaluated_at_the_mean_pressure():
    gas = GasProperties()  # Z = 1 − 0.022 p̄ (MPa)
    net = single_pipe(1.6, 20000.0, 10000.0, 400.0, 0.1)
    p1, p2 = outlet_abs(net, SimulationRequest(gas=gas, demand=ALL_ONE))
    ref = p1
    for _ in range(100):  # fixed point on p̄ = 2/3 (p1³ − p2³)/(p1² − p2²)
        pm = 2 / 3 * (p1**3 - ref**3) / (p1**2 - ref**2) if ref != p1 else p1
        z = 1 - 0.022 * pm / 1e6
        ref = darcy_p2(p1, 20000.0, 10000.0, 400.0, 0.1, GasProperties(z_factor=z, z_slope_per_mpa=0.0))
    assert rel_drop_error(p1, p2, ref) <= 1e-6


def test_gb50028_constants_follow_from_the_darcy_form():
    """GB 50028-2006 eqs. 6.2.6 and 6.2.5-1 are this law in practical units; their constants are rounded."""
    # (P1² − P2²)/L [kPa²/km] = C λ Q²/d⁵ ρ T/T0 Z with Q in m³/h and d in mm: C = 16 p0 / (π² 3600²) · 1e12.
    assert 16 * P_ATM / (math.pi**2 * 3600**2) * 1e12 == pytest.approx(1.27e10, rel=3e-3)
    # ΔP/l [Pa/m] = C λ Q²/d⁵ ρ T/T0 (low pressure, ρ at base conditions): C = 8/(π² 3600²) · 1e15.
    assert 8 / (math.pi**2 * 3600**2) * 1e15 == pytest.approx(6.26e7, rel=3e-3)
    law = PipeLaw.build(FlowLaw.COLEBROOK, FLAT, np.array([1000.0]), np.array([0.1]), np.array([5e-5]))
    phi, _ = law.phi(np.array([500 / 3600]))  # 500 Nm³/h, 1 km, DN100
    lam, _ = colebrook_white(law.re_per_flow * 500 / 3600, np.array([5e-4]))
    gb = (
        16
        * P_ATM
        / (math.pi**2 * 3600**2)
        * 1e12
        * lam[0]
        * 500**2
        / 100**5
        * FLAT.density_base_kg_m3
        * FLAT.temperature_k
        / 273.15
    )
    assert phi[0] / 1e6 == pytest.approx(gb, rel=1e-12)  # Pa² -> kPa²


# -- Renouard ---------------------------------------------------------------------------------------------------------------
# Solved to 1e-8 Pa per pipe: the checks below (1e-6 of the drop, 18 Pa in LP) are tighter than the default 1e-4 Pa.
TIGHT = SolverOptions(pressure_tolerance_pa=1e-8)


@pytest.mark.parametrize("parallel", [False, True])
def test_renouard_low_pressure_linear_form(parallel):
    q, length, d_mm = 12.0, 80.0, 50.0
    net = single_pipe(0.003, q, length, d_mm, pressure_class="LP", parallel=parallel)
    p1, p2 = outlet_abs(net, SimulationRequest(law="renouard", demand=ALL_ONE, solver=TIGHT))
    qq = q / 2 if parallel else q
    drop_mbar = 23200 * 0.58 * length * qq**1.82 * d_mm**-4.82  # P in mbar, L in m, Q in m³(n)/h, D in mm
    assert rel_drop_error(p1, p2, p1 - 100 * drop_mbar) <= 1e-6


@pytest.mark.parametrize("parallel", [False, True])
def test_renouard_medium_pressure_quadratic_form(parallel):
    q, length, d_mm = 600.0, 1200.0, 110.0
    net = single_pipe(0.3, q, length, d_mm, pressure_class="MP-A", parallel=parallel)
    p1, p2 = outlet_abs(net, SimulationRequest(law="renouard", demand=ALL_ONE, solver=TIGHT))
    qq = q / 2 if parallel else q
    sq_bar = 48600 * 0.58 * (length / 1000) * qq**1.82 * d_mm**-4.82  # P in bar absolute, L in km
    ref = 1e5 * math.sqrt((p1 / 1e5) ** 2 - sq_bar)
    assert rel_drop_error(p1, p2, ref) <= 1e-6


def test_renouard_flows_are_taken_at_normal_conditions_whatever_the_base():
    """Renouard's Q is m³(n)/h (0 °C): a demand stated at 20 °C must be converted, giving the same drop."""
    q_normal = 600.0
    base20 = GasProperties(base_temperature_k=293.15)
    q_std = q_normal * 293.15 / 273.15
    p1a, p2a = outlet_abs(single_pipe(0.3, q_normal, 1200.0, 110.0), SimulationRequest(law="renouard", demand=ALL_ONE))
    p1b, p2b = outlet_abs(
        single_pipe(0.3, q_std, 1200.0, 110.0), SimulationRequest(law="renouard", demand=ALL_ONE, gas=base20)
    )
    assert p2b == pytest.approx(p2a, rel=1e-12)


# -- Weymouth, Panhandle A ---------------------------------------------------------------------------------------------------
MENON = GasProperties(relative_density=0.693, temperature_k=277.15, base_temperature_k=288.7, z_slope_per_mpa=0.0)


@pytest.mark.parametrize(("law", "q_published"), [("weymouth", 32.07729055913029), ("panhandle-a", 42.56082051195928)])
def test_weymouth_and_panhandle_reproduce_the_published_example(law, q_published):
    """D = 0.340 m, P1 = 90 bar, P2 = 20 bar (absolute), L = 160 km, SG 0.693, T 277.15 K, base 288.7 K and
    101.325 kPa, E = 0.92: Q = 32.077 m³/s (Weymouth) and 42.561 m³/s (Panhandle A), per Menon (2005) in base SI
    as computed by fluids.compressible.Weymouth/Panhandle_A."""
    pl = PipeLaw.build(FlowLaw(law), MENON, np.array([160e3]), np.array([0.340]), efficiency=0.92)
    phi, _ = pl.phi(np.array([q_published]))
    assert phi[0] == pytest.approx(90e5**2 - 20e5**2, rel=1e-9)
    # And the network solver delivers that flow from 90 bar to 20 bar.
    net = single_pipe((90e5 - P_ATM) / 1e6, q_published * 3600, 160e3, 340.0, pressure_class="HP-A")
    p1, p2 = outlet_abs(net, SimulationRequest(law=law, gas=MENON, demand=ALL_ONE))
    assert p1 == pytest.approx(90e5, rel=1e-15)
    assert rel_drop_error(p1, p2, 20e5) <= 1e-6


@pytest.mark.parametrize("law", ["weymouth", "panhandle-a"])
def test_weymouth_and_panhandle_parallel_pipes_split_the_flow(law):
    q = 2 * 32.07729055913029 * 3600 if law == "weymouth" else 2 * 42.56082051195928 * 3600
    net = single_pipe((90e5 - P_ATM) / 1e6, q, 160e3, 340.0, pressure_class="HP-A", parallel=True)
    p1, p2 = outlet_abs(net, SimulationRequest(law=law, gas=MENON, demand=ALL_ONE))
    assert rel_drop_error(p1, p2, 20e5) <= 1e-6


# -- elevation -------------------------------------------------------------------------------------------------------------
def test_gas_column_at_rest_matches_the_isothermal_barometric_law():
    """No flow, 80 m rise: p2 = p1 exp(−g Δz ρ_b T_b / (p_b T Z)) (exact isothermal column)."""
    net = single_pipe(0.4, 0.0, 1000.0, 150.0, z_from=0.0, z_to=80.0)
    p1, p2 = outlet_abs(net, SimulationRequest(gas=FLAT, demand=ALL_ONE))
    kappa = FLAT.density_base_kg_m3 * 273.15 * 9.80665 / (P_ATM * FLAT.temperature_k)
    ref = p1 * math.exp(-kappa * 80.0)
    assert rel_drop_error(p1, p2, ref) <= 1e-6


def test_low_pressure_gains_gauge_pressure_uphill():
    """GB 50028 附加压头: at rest, gauge pressure rises by (ρ_air − ρ_gas) g Δz going up (gas lighter than air)."""
    net = single_pipe(0.002, 0.0, 300.0, 100.0, pressure_class="LP", z_from=0.0, z_to=40.0)
    r = simulate(net, SimulationRequest(gas=FLAT, demand=ALL_ONE))
    gauge = dict(zip(r.node_ids, r.node_pressure_pa, strict=True))
    rho_air = 1.2930 * 273.15 / FLAT.temperature_k * 1.0
    rho_gas = FLAT.density_base_kg_m3 * 273.15 / FLAT.temperature_k * (P_ATM + 2000) / P_ATM
    expected = (rho_air - rho_gas) * 9.80665 * 40.0
    assert gauge["C"] - gauge["G"] == pytest.approx(expected, rel=0.02)  # densities vary ~0.5 % over 40 m


def test_pipe_outlet_pressure_helper_agrees_with_the_solver():
    p2 = pipe_outlet_pressure("colebrook", FLAT, 0.4e6 + P_ATM, 800.0, 2000.0, 150.0, 0.05)
    assert p2 == pytest.approx(darcy_p2(0.4e6 + P_ATM, 800.0, 2000.0, 150.0, 0.05, FLAT), rel=1e-9)
    with pytest.raises(ValueError, match="negative absolute"):
        pipe_outlet_pressure("colebrook", FLAT, 0.1e6 + P_ATM, 50_000.0, 5000.0, 50.0)
