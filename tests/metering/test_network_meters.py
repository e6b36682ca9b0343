"""Meters of the open network (计量与管网): areas are the solve's pressure systems, line pack per area from the solved
pressures, training meters whose totals carry the solve's demands (and a known leak as missing volume); the service
balances them with line pack from the solves, raises a jump as a hazard candidate with the operator's authority, and
reads the vented volume of an isolation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService
from console.app.operators import OperatorService, PermissionDenied
from console.hydraulics import DemandOptions, SimulationRequest, simulate
from console.metering import MeteringError, line_pack_by_area, node_areas, simulator_from_network
from tests.ui.synthetic import district

PASSPHRASE = "correct horse battery staple"
LP, HP = "PS0 LP", "PS1 HP-A"
DAY0 = "2026-03-01T00:00:00Z"


@pytest.fixture(scope="module")
def solved():
    net = district(8)
    return net, simulate(net)


def test_areas_are_the_pressure_systems(solved):
    net, result = solved
    areas = node_areas(result)
    assert sorted(set(areas.tolist())) == [LP, HP]
    ids = list(result.node_ids)
    assert areas[ids.index("GS1")] == HP and areas[ids.index("J0_0")] == LP


def test_line_pack_per_area_is_the_sum_over_its_pipes(solved):
    net, result = solved
    pipes = net["pipes"]
    index = {n: i for i, n in enumerate(result.node_ids)}
    areas = node_areas(result)
    expected: dict[str, float] = {}
    for _, p in pipes.iterrows():  # independent: one pipe at a time, the textbook mean pressure
        a, b = index[p.from_node], index[p.to_node]
        p1, p2 = result.node_pressure_abs_pa[a], result.node_pressure_abs_pa[b]
        pm = 2 / 3 * (p1 + p2 - p1 * p2 / (p1 + p2))
        v = math.pi * (p.inner_diameter_mm / 1000) ** 2 / 4 * p.length_m
        expected[areas[a]] = expected.get(areas[a], 0.0) + v * pm / 101_325 * 273.15 / 288.15
    got = line_pack_by_area(net, result)
    assert got.keys() == expected.keys()
    for area in got:
        assert got[area] == pytest.approx(expected[area], abs=6e-4)  # kept to the litre
    # the HP trunk is far more compressed than the LP grid: more gas per m³ of pipe
    assert got[HP] > got[LP] > 0


def test_training_meters_carry_the_solved_demand_and_the_leak(solved):
    net, result = solved
    sim = simulator_from_network(DAY0, net, result, leak_nm3h={LP: 10.0})
    kinds = {m: s.meter.kind for m, s in sim.meters.items()}
    assert kinds["GM-GS1"] == "gate" and sim.meters["GM-GS1"].meter.feature_id == "GS1"
    district_meters = [s for s in sim.meters.values() if s.meter.kind == "district"]
    assert len(district_meters) == 4 and all(s.meter.from_area == HP and s.meter.area == LP for s in district_meters)
    assert sum(s.share for s in district_meters) == pytest.approx(1.0)
    customers = [s for s in sim.meters.values() if s.meter.kind == "customer"]
    assert len(customers) == len(net["customers"]) and all(s.meter.feature_id for s in customers)
    demand = float(result.node_demand_nm3h.sum())
    sim.advance(3600)
    total = {k: sum(s.total_nm3 for s in sim.meters.values() if s.meter.kind == k) for k in kinds.values()}
    assert total["customer"] == pytest.approx(demand)
    assert total["district"] == pytest.approx(demand + 10.0)  # the LP leak passes the regulators
    assert total["gate"] == pytest.approx(demand + 10.0)


def test_more_customers_than_meters_are_aggregated(solved):
    net, result = solved
    sim = simulator_from_network(DAY0, net, result, max_customers=3)
    own = [s for s in sim.meters.values() if s.meter.kind == "customer" and s.meter.feature_id]
    rest = sim.meters["CM-PS0-LP-rest"]
    assert len(own) == 3 and rest.meter.feature_id == ""
    assert sum(s.flow_nm3h for s in own) + rest.flow_nm3h == pytest.approx(float(result.node_demand_nm3h.sum()))


def _service(tmp_path, operators=None) -> MeteringService:
    ledger = LedgerService(tmp_path / "ledger", authority=operators)
    ledger.create("town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    return MeteringService(ledger, operators)


def test_balance_of_trained_network_shows_the_leak_in_its_area(tmp_path, solved):
    net, result = solved
    svc = _service(tmp_path)
    svc.network, svc.result = net, result
    report = svc.train_network(days=2, leak_nm3h={LP: 12.0}, start=DAY0)
    assert not report.rejected
    demand = float(result.node_demand_nm3h.sum())
    lp = svc.balance(LP, ["2026-03-01", "2026-03-02"])
    for row in lp:  # 24 h × 12 Nm³/h missing in LP; the steady state keeps the line pack
        assert row.inflow_nm3 == pytest.approx(24 * (demand + 12.0), abs=0.05)
        assert row.consumption_nm3 == pytest.approx(24 * demand, abs=0.05)
        assert row.linepack_change_nm3 == 0.0 and row.ufg_nm3 == pytest.approx(288.0, abs=0.05)
    hp = svc.balance(HP, ["2026-03-01"])[0]
    # HP-A: the gate's inflow all leaves through the four district meters
    assert hp.inflow_nm3 == pytest.approx(hp.consumption_nm3, abs=0.05) and abs(hp.ufg_nm3) < 0.05
    assert svc.linepack_at(LP, "2026-03-02T00:00:00Z") == (line_pack_by_area(net, result)[LP], DAY0)
    # a second session continues with the same meters (their device keys persist: tests/metering/test_training_keys)
    again = MeteringService(svc.ledger)
    again.network, again.result = net, result
    assert not again.train_network(days=1).rejected
    assert [round(r.ufg_nm3) for r in again.balance(LP, ["2026-03-03"])] == [0]  # no leak asked this time
    svc.ledger.close()


def test_line_pack_change_between_two_solves_enters_the_balance(tmp_path, solved):
    net, low = solved
    high = simulate(net, SimulationRequest(demand=DemandOptions(demand_factor=2.5)))
    svc = _service(tmp_path)
    svc.network, svc.result = net, low
    svc.train_network(days=1, start=DAY0)
    start = svc.set_hydraulic_state(net, low, at=DAY0)
    end = svc.set_hydraulic_state(net, high, at="2026-03-02T00:00:00Z")
    assert end[LP] < start[LP]  # more demand: lower pressures, less gas held
    (row,) = svc.balance(LP, ["2026-03-01"])
    assert row.linepack_change_nm3 == pytest.approx(end[LP] - start[LP], abs=1e-3)
    assert row.ufg_nm3 == pytest.approx(row.inflow_nm3 - row.consumption_nm3 - (end[LP] - start[LP]), abs=1e-3)
    assert [s["time"] for s in svc.linepack_snapshots()] == [DAY0, "2026-03-02T00:00:00Z"]
    svc.ledger.close()


def test_a_jump_is_raised_as_a_hazard_with_the_operators_authority(tmp_path, solved):
    net, result = solved
    from console.ledger import LedgerNode

    ledger_dir = tmp_path / "ledger"
    node = LedgerNode.init(ledger_dir, "town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    ops = OperatorService(node, workstation="ws-1")
    ops.enrol("A-1", "管理员", ["administrator"], "admin pass 1")
    ops.login("A-1", "admin pass 1")
    ops.enrol("D-2", "调度员", ["dispatcher"], "dispatch pass 2")
    node.close()
    ops = OperatorService(workstation="ws-1")
    ledger = LedgerService(ledger_dir, authority=ops)
    ledger.open(PASSPHRASE)
    ops.login("A-1", "admin pass 1")
    svc = MeteringService(ledger, ops)
    svc.network, svc.result = net, result
    svc.train_network(days=7, leak_nm3h={LP: 2.0}, start=DAY0)
    svc.train_network(days=1, leak_nm3h={LP: 40.0})
    days = [f"2026-03-0{d}" for d in range(1, 9)]
    rows = svc.balance(LP, days)
    assert [r.jump for r in rows] == [False] * 7 + [True]
    with pytest.raises(PermissionDenied):  # an administrator may run feeds but not report hazards
        svc.raise_balance_hazard(rows[-1])
    ops.login("D-2", "dispatch pass 2")
    hazard_id = svc.raise_balance_hazard(rows[-1])
    assert svc.raise_balance_hazard(rows[-1]) == hazard_id  # once per area and day
    (hz,) = ledger.hazards()
    assert hz.hazard_id == hazard_id and hz.category == "leak" and hz.description.startswith("Gas balance jump")
    assert "PS0 LP 2026-03-08" in hz.description
    pts = svc.area_points(LP)
    xmin, ymin, xmax, ymax = pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()
    assert xmin <= hz.x <= xmax and ymin <= hz.y <= ymax
    entry = next(ledger.node.entry(i) for i in range(ledger.node.size())
                 if ledger.node.entry(i).type == "hazard.reported")  # fmt: skip
    assert entry.author == ops.signing_key.did  # signed by the dispatcher
    with pytest.raises(MeteringError, match="not a jump"):
        svc.raise_balance_hazard(rows[0])
    ledger.close()


def test_vented_volume_of_an_isolation_is_read_from_its_result(tmp_path, solved):
    net, _ = solved
    from console.isolation import IsolationRequest, isolate

    result = isolate(net, IsolationRequest.at_pipe("PH2_2", 0.5))
    volume = result.impact.isolated_gas_volume_nm3
    assert volume > 0
    svc = _service(tmp_path)
    fig = svc.isolation_emission(result, "ISO-PH2_2", start=DAY0, end="2026-03-01T02:00:00Z")
    # vented volume × 0.95 CH₄ × 0.7158 kg/m³
    assert fig.ch4_t * 1000 == pytest.approx(volume * 0.95 * 0.71581, rel=1e-4)
    assert fig.scope == "isolation" and len(fig.inputs[0]) == 64
    assert fig.parameters["volume_nm3"] == pytest.approx(volume)
    svc.ledger.close()


def test_station_emission_from_stored_detector_readings(tmp_path):
    from console.metering import StationParameters

    class Store:  # the part of HistoryStore the service reads
        def readings(self, sensor_id, t0, t1, resolution):
            assert resolution == "raw"
            t = np.arange(t0, t1, 600.0)
            return type("H", (), {"t": t, "value": np.full(t.size, 0.2)})()

    svc = _service(tmp_path)
    fig = svc.station_emission_from_history(StationParameters("RG1", 1200.0), "RG1-CH4", Store(), DAY0,
                                            "2026-03-02T00:00:00Z")  # fmt: skip
    # 0.2 % LEL = 100 ppm; 98 ppm excess over the day's samples (both ends included)
    assert fig.ch4_t * 1000 == pytest.approx(1200 * 98e-6 * 0.6669267 * 24, rel=1e-5)
    assert (fig.start, fig.end) == (DAY0, "2026-03-02T00:00:00Z")
    with pytest.raises(MeteringError, match="not after"):
        svc.station_emission_from_history(StationParameters("RG1", 1200.0), "RG1-CH4", Store(), DAY0, DAY0)
    svc.ledger.close()


def test_vented_methane_of_an_incident_comes_from_its_signed_plan(tmp_path):
    from tests.dispatch.drill import BREAK_PIPE, make_service

    incidents, _clock = make_service(tmp_path / "ws")
    try:
        inc = incidents.open("leak", source="call", pipe=BREAK_PIPE, fraction=0.3, description="smell")
        vented = inc.plan.body["gas_vented_nm3"]
        assert vented == pytest.approx(incidents.plan_result(inc).impact.isolated_gas_volume_nm3, abs=1e-3)
        svc = MeteringService(incidents.ledger)
        fig = svc.incident_emission(incidents, inc.incident_id)
        assert fig.scope == "incident" and fig.subject == inc.incident_id
        assert fig.ch4_t * 1000 == pytest.approx(vented * 0.95 * 0.71581, rel=1e-4)
        assert fig.inputs == [inc.plan.body["plan_sha256"]] and fig.start == inc.opened.time
        with pytest.raises(MeteringError, match="INC-404"):
            svc.incident_emission(incidents, "INC-404")
    finally:
        incidents.ledger.close()
