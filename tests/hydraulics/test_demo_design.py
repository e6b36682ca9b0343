"""The demo district is designed for its design peak hour: simulated at demand_factor 1.0 with the default law it
meets every service limit (GB 50028: customers above the minimum pressure of their class, regulators within rating).

The generator sizes pipes with its own copy of the design basis (console.network cannot import console.hydraulics),
so the copy is checked against the simulator's defaults and its friction against the simulator's law.
"""

from __future__ import annotations

import numpy as np
import pytest

from console.hydraulics import (
    DEFAULT_MAX_VELOCITY_MS,
    DEFAULT_MIN_PRESSURE_MPA,
    DEFAULT_SIMULTANEITY,
    DemandOptions,
    GasProperties,
    SimulationRequest,
    friction_factor,
    simulate,
)
from console.network import _demo_sizing as sizing
from console.network import generate_demo

DESIGN_PEAK = SimulationRequest(demand=DemandOptions(demand_factor=1.0))


@pytest.fixture(scope="module")
def district():
    net = generate_demo()  # the district the GUI opens
    return net, simulate(net, DESIGN_PEAK)


def _assert_meets_design_peak(net, result) -> None:
    assert result.convergence.converged
    errors = [v for v in result.violations if v.severity == "error"]
    assert errors == [], [v.message for v in errors[:10]]
    # Parts without supply are only the far ends of planned or abandoned pipes: no customer, no demand, no pipe
    # in service.
    for part in result.unsupplied:
        assert part.customer_ids == () and part.demand_nm3h == 0.0 and part.pipe_ids == ()
    customers = result.node_values("customers", "supplied")
    assert customers.all()
    assert (result.regulator_state == "active").all()
    assert np.nanmax(result.regulator_loading) <= 1.0
    warnings = [v for v in result.violations if v.kind == "high_velocity"]
    assert len(warnings) <= 1e-3 * len(net["pipes"])


def test_default_district_meets_service_pressure_at_design_peak(district):
    net, result = district
    _assert_meets_design_peak(net, result)


def test_default_district_keeps_the_design_margins(district):
    """The sizing keeps every tree path within its budget, so each class stays above its design minimum, which
    sits above the service minimum."""
    net, result = district
    by_class = {}
    for system in result.systems:
        if system.supplied and system.n_pipes:
            by_class.setdefault(system.pressure_class, []).append(system)
    assert set(by_class) == {"LP", "MP-A"}
    lp_min = min(s.min_pressure_pa for s in by_class["LP"])
    mp_min = min(s.min_pressure_pa for s in by_class["MP-A"])
    assert lp_min >= sizing.DESIGN_MIN_PRESSURE_PA["LP"] > DEFAULT_MIN_PRESSURE_MPA["LP"] * 1e6
    assert mp_min >= sizing.DESIGN_MIN_PRESSURE_PA["MP-A"] > DEFAULT_MIN_PRESSURE_MPA["MP-A"] * 1e6
    # One regulator per LP system; each delivers into its own.
    assert all(len(s.fed_by) == 1 for s in by_class["LP"]) and len(by_class["LP"]) == len(net["regulators"])


def test_regulators_are_rated_for_their_design_flow(district):
    net, result = district
    flow = np.abs(result.link_values("regulators", "flow_nm3h"))
    capacity = net["regulators"]["capacity_nm3h"].to_numpy()
    assert (capacity >= flow).all()
    gate_supply = result.node_supply_nm3h.sum()
    assert net["gate_stations"]["capacity_nm3h"].iloc[0] >= gate_supply


def test_factories_take_gas_from_the_mp_mains_through_their_own_box(district):
    """Large industrial users (工业用户) sit on a dedicated MP service line and regulator box, a few metres of LP
    from their meter: never on a district LP area."""
    net, result = district
    topo = net.topology
    customers = net["customers"]
    factories = topo.node_index(customers.loc[customers["category"] == "industrial", "id"].to_numpy(dtype=object))
    regs = topo.layer_links("regulators")
    factory_box = net["regulators"]["name"].str.endswith("专用调压箱").to_numpy()
    outlets = topo.link_to[regs[factory_box]]
    pipes = net["pipes"]
    rows = topo.layer_links("pipes")
    into = {int(b): int(a) for a, b in zip(topo.link_from[rows], topo.link_to[rows], strict=True)}
    length = dict(zip(topo.link_to[rows].tolist(), pipes["length_m"].to_numpy(), strict=True))
    assert len(factories) == factory_box.sum() >= 1
    assert sorted(into[int(f)] for f in factories) == sorted(outlets.tolist())
    assert all(length[int(f)] <= 15.0 for f in factories)
    # Each factory's box is alone in its LP system, so the whole flow through it is the factory's.
    i = {n: k for k, n in enumerate(result.node_ids)}
    demand = result.node_demand_nm3h[[i[c] for c in topo.node_ids[factories]]]
    flow = np.abs(result.link_values("regulators", "flow_nm3h")[factory_box])
    assert np.sort(flow) == pytest.approx(np.sort(demand), rel=1e-9)


@pytest.mark.parametrize(("n_pipes", "seed"), [(1000, 7), (3000, 5), (6000, 1), (12_000, 3)])
def test_other_districts_meet_service_pressure_at_design_peak(n_pipes, seed):
    net = generate_demo(n_pipes, seed=seed)
    _assert_meets_design_peak(net, simulate(net, DESIGN_PEAK))


def test_design_basis_is_the_simulators_default():
    assert sizing.DESIGN_SIMULTANEITY == DEFAULT_SIMULTANEITY
    gas = GasProperties()
    assert sizing._RHO_BASE == pytest.approx(gas.density_base_kg_m3, rel=1e-3)
    assert sizing._VISCOSITY == gas.viscosity_pa_s and sizing._T_GAS == gas.temperature_k
    assert sizing._T_BASE == gas.base_temperature_k and sizing._P_BASE == gas.base_pressure_pa
    for pressure_class, design_pa in sizing.DESIGN_MIN_PRESSURE_PA.items():
        assert design_pa > DEFAULT_MIN_PRESSURE_MPA[pressure_class] * 1e6
    assert sizing.DESIGN_VELOCITY_MS < min(DEFAULT_MAX_VELOCITY_MS.values())


@pytest.mark.parametrize("roughness_mm", [0.007, 0.05, 0.25])
def test_design_friction_is_the_simulators_law_with_a_margin(roughness_mm):
    """Δ(p²) per metre of the sizing against Darcy–Weisbach with the simulator's friction factor (every regime):
    never below it (the design is safe) and, outside the laminar–turbulent transition, at most the stated margin
    above it, plus Swamee–Jain's ~2 %."""
    gas = GasProperties(z_slope_per_mpa=0.0)
    d = np.array([0.02, 0.05, 0.1, 0.2, 0.4, 0.6])
    q = np.geomspace(0.01, 50_000, 60) / 3600.0
    dd, qq = np.meshgrid(d, q)
    dd, qq = dd.ravel(), qq.ravel()
    k = np.full(dd.shape, roughness_mm / 1000)
    re = 4 * gas.density_base_kg_m3 * qq / (np.pi * dd * gas.viscosity_pa_s)
    lam, _ = friction_factor(re, k / dd)
    coef = 16 * gas.density_base_kg_m3 * gas.base_pressure_pa * gas.temperature_k / (np.pi**2 * gas.base_temperature_k)
    reference = lam * coef * qq**2 / dd**5
    ratio = sizing._loss_pi_per_m(qq, dd, k) / reference
    assert ratio.min() >= 1.0
    transition = (re > 2000) & (re < 4000)  # the design takes it at its Re 4000 end, the simulator's cubic dips
    assert transition.any() and ratio[transition].max() <= 2.5
    assert ratio[~transition].max() <= sizing.LOSS_MARGIN * 1.03
    assert np.median(ratio) == pytest.approx(sizing.LOSS_MARGIN, rel=0.03)


@pytest.fixture(scope="module")
def city():
    """From CITY_SCALE_PIPES up the demo is a city: gate stations on an SHP-A ring feed district stations (the same
    rule the million-pipe demo follows, checked here at the smallest size it applies to)."""
    from console.network._demo import CITY_SCALE_PIPES

    net = generate_demo(CITY_SCALE_PIPES, seed=11)
    return net, simulate(net, DESIGN_PEAK)


def test_city_scale_demo_meets_service_pressure_at_design_peak(city):
    net, result = city
    _assert_meets_design_peak(net, result)
    assert net.topology.n_components == 1
    by_class: dict[str, list] = {}
    for system in result.systems:
        if system.supplied and system.n_pipes:
            by_class.setdefault(system.pressure_class, []).append(system)
    assert set(by_class) == {"LP", "MP-A", "SHP-A"}
    for pressure_class, systems in by_class.items():
        assert min(s.min_pressure_pa for s in systems) >= sizing.DESIGN_MIN_PRESSURE_PA[pressure_class]


def test_city_scale_demo_has_gate_stations_on_a_ring_and_district_stations(city):
    net, result = city
    gates = net["gate_stations"]
    assert len(gates) >= 2 and gates["name"].is_unique
    regs = net["regulators"]
    district = (regs["inlet_class"].astype(str) == "SHP-A").to_numpy()
    assert district.sum() >= 2
    assert (regs.loc[district, "outlet_class"].astype(str) == "MP-A").all()
    assert regs.loc[district, "name"].str.endswith("高中压调压站").all()
    # Every gate station delivers, each within its own rating; the SHP-A mains form one system with a loop.
    i = {n: k for k, n in enumerate(result.node_ids)}
    delivered = result.node_supply_nm3h[[i[g] for g in gates["id"]]]
    assert (delivered > 0).all() and (delivered <= gates["capacity_nm3h"].to_numpy()).all()
    shp = [s for s in result.systems if s.pressure_class == "SHP-A"]
    assert len(shp) == 1
    topo = net.topology
    inside = np.zeros(topo.n_nodes, bool)
    inside[topo.node_index(result.node_ids[result.node_system == shp[0].system_id])] = True
    links = np.concatenate([topo.layer_links("pipes"), topo.layer_links("valves")])
    n_links = int((inside[topo.link_from[links]] & inside[topo.link_to[links]]).sum())
    assert n_links - int(inside.sum()) + 1 >= 1  # independent loops of one connected system: a ring
