"""MeteringService without a QApplication: two parties meter one gate station, anchor in their own ledgers, the
utility syncs the supplier's log and compares the day; balance, missing periods and emissions are signed."""

from __future__ import annotations

import json

import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService
from console.ledger import LedgerServer
from console.metering import Meter, MeteringError, MeteringSimulator, verify_reading_proof

PASSPHRASE = "correct horse battery staple"
DAY = "2026-03-01"


def service(tmp_path, name):
    ledger = LedgerService(tmp_path / name)
    ledger.create(f"{name}.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    return MeteringService(ledger)


@pytest.fixture
def parties(tmp_path):
    utility, supplier = service(tmp_path, "utility"), service(tmp_path, "supplier")
    # the supplier's meter reads 2.5 % high: beyond the √(1² + 1²) = 1.41 % the two 1 % meters allow together
    sim = MeteringSimulator(f"{DAY}T00:00:00Z")
    ours = sim.add_inflow("GS-1", "DMA-1", station="GS-1", party="utility")
    theirs = sim.add_inflow("GS-1-S", "DMA-1", station="GS-1", party="supplier", bias_pct=2.5)
    for i, q in enumerate([300.0, 150.0, 40.0]):
        c = sim.add_customer(f"C-{i}", "DMA-1", q)
        utility.register_meter(c.meter)
    sim.set_leak("DMA-1", 10.0)
    utility.register_meter(ours.meter)
    supplier.register_meter(theirs.meter)
    batches = sim.advance(86_400)
    utility.submit(b for b in batches if b.meter_id != "GS-1-S")
    supplier.submit(b for b in batches if b.meter_id == "GS-1-S")
    yield utility, supplier, sim, theirs.meter
    utility.ledger.close()
    supplier.ledger.close()


def test_a_day_is_anchored_hour_by_hour_and_day_by_day(parties):
    utility, supplier, *_ = parties
    report = utility.anchor()
    # opening periods (4 meters) + 24 hours of the gate meter + 1 day of each of 3 customers
    assert report.batch_entries == 4 + 24 + 3 and not report.rejected
    gate = utility.period_bodies("GS-1")
    assert len(gate) == 25 and gate[0]["status"] == "partial"  # the opening total alone: 1 of 12 readings
    assert all(p["status"] == "complete" and p["quantity_nm3"] == pytest.approx(500.0) for p in gate[1:])
    assert supplier.anchor().batch_entries == 25


def test_custody_difference_is_flagged_with_both_signed_figures(parties, tmp_path):
    utility, supplier, sim, their_meter = parties
    utility.anchor()
    supplier.anchor()
    server = LedgerServer(supplier.node, "127.0.0.1", 0)
    server.start()
    try:
        s, u = supplier.node, utility.node
        supplier.ledger.add_peer("utility", "http://127.0.0.1:9", u.origin, u.org_vkey, u.witness_vkey)  # pinned
        utility.ledger.add_peer("supplier", server.url, s.origin, s.org_vkey, s.witness_vkey)
        utility.ledger.sync("supplier")
        assert utility.ledger.node.peers()[0].status != "rejected", utility.ledger.node.peers()
    finally:
        server.stop()
    utility.register_peer_meter(their_meter, supplier.node.origin)
    flagged = []
    utility.custody_flagged.connect(flagged.append)
    result = utility.custody("GS-1", DAY)
    # 24 h × 500 Nm³/h = 12 000 Nm³ against 12 300 Nm³; tolerance √(120² + 123²) = 171.84
    assert result.utility.quantity_nm3 == pytest.approx(12_000.0, abs=0.01)
    assert result.supplier.quantity_nm3 == pytest.approx(12_300.0, abs=0.01)
    assert result.tolerance_nm3 == pytest.approx(171.84, abs=0.01)
    assert result.status == "disputed" and result.utility.complete and result.supplier.complete
    assert len(result.utility.evidence) == 24 and result.supplier.evidence[0]["origin"] == supplier.node.origin
    utility.record_custody(result)
    assert flagged == [result]
    record = utility.custody_records()[-1]
    assert record["status"] == "disputed" and record["supplier"]["quantity_nm3"] == pytest.approx(12_300.0, abs=0.01)
    # the supplier proves its own reading; the utility holds its log but not its readings files
    with pytest.raises(MeteringError, match="not held here"):
        utility.prove("GS-1-S", 40, tmp_path / "x.json")
    out = supplier.prove("GS-1-S", 40, tmp_path / "supplier-reading.json")
    unwitnessed = verify_reading_proof(json.loads(out.read_text()), log_keys=[supplier.node.org_vkey])
    assert unwitnessed.failure == "witnessed" and all(c.ok for c in unwitnessed.checks[:-1])
    # the utility witnesses the supplier's checkpoint (its cosignature): now the proof holds in full
    servers = [LedgerServer(utility.node, "127.0.0.1", 0), LedgerServer(supplier.node, "127.0.0.1", 0)]
    for srv in servers:
        srv.start()
    try:
        supplier.node.remove_peer("utility")
        u = utility.node
        supplier.ledger.add_peer("utility", servers[0].url, u.origin, u.org_vkey, u.witness_vkey)
        supplier.ledger.sync("utility", cosign=True)
    finally:
        for srv in servers:
            srv.stop()
    out = supplier.prove("GS-1-S", 40, tmp_path / "supplier-reading.json")
    report = verify_reading_proof(json.loads(out.read_text()), log_keys=[supplier.node.org_vkey])
    assert report.ok and report.witnesses == 1, report.to_json()
    # the supplier, holding the utility's log since that sync, flags the same day from its side
    supplier.register_peer_meter(utility.meter("GS-1"), utility.node.origin)
    theirs = supplier.custody("GS-1", DAY)
    assert theirs.status == "disputed" and theirs.difference_nm3 == pytest.approx(result.difference_nm3, abs=1e-3)
    supplier.record_custody(theirs)
    assert supplier.custody_records()[-1]["utility"]["origin"] == utility.node.origin


def test_balance_shows_the_leak(parties):
    utility, *_ = parties
    utility.anchor()
    jumps = []
    utility.balance_jump.connect(jumps.append)
    (row,) = utility.balance("DMA-1", [DAY], {f"{DAY}T00:00:00Z": 800.0, "2026-03-02T00:00:00Z": 830.0})
    # inflow 24·500 = 12 000, customers 24·490 = 11 760, line pack +30: UFG 210 Nm³ = 1.75 %
    assert row.inflow_nm3 == pytest.approx(12_000.0, abs=0.01) and row.consumption_nm3 == pytest.approx(11_760.0)
    assert row.ufg_nm3 == pytest.approx(210.0, abs=0.01) and row.ufg_pct == pytest.approx(1.75, abs=1e-3)
    assert not row.jump and not jumps
    utility.record_balance(row)
    with pytest.raises(MeteringError, match="no meters"):
        utility.balance("nowhere", [DAY])


def test_periods_with_nothing_received_are_anchored_as_missing(parties):
    utility, *_ = parties
    utility.anchor()
    report = utility.anchor(until="2026-03-01T03:00:00Z" if False else "2026-03-02T03:00:00Z")
    missing = [p for p in report.periods if p.status == "missing"]
    assert sorted({p.meter_id for p in missing}) == ["GS-1"] and len(missing) == 3
    assert all(p.received == 0 and p.expected == 12 for p in missing)
    assert [p["status"] for p in utility.period_bodies("GS-1")][-3:] == ["missing"] * 3


def test_replayed_and_forged_batches_are_refused(parties):
    utility, _, sim, _ = parties
    batches = list(utility.inbox)
    utility.anchor()
    utility.submit(batches[:1])  # the same batch again
    report = utility.anchor()
    assert [p.problems[0]["code"] for p in report.rejected] == ["replay"]
    stranger = Meter("X-9", "gate", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert report.batch_entries == 0
    with pytest.raises(MeteringError, match="not registered"):
        utility.meter(stranger.meter_id)


def test_emissions_are_signed_and_reported(parties):
    utility, *_ = parties
    fig = utility.vented_emission("INC-3", 1000.0, start="2026-03-04T10:00:00Z", end="2026-03-04T12:00:00Z",
                                  plan_digest="cd" * 32)  # fmt: skip
    utility.record_emission(fig)
    report = utility.emissions_report("2026-03")
    assert report["ch4_t"] == pytest.approx(0.67997, abs=1e-5) and report["gwp"] == [29.8]
    assert report["figures"][0]["inputs"] == ["cd" * 32] and report["models"] == ["vented-volume/v1"]


class _Live:
    """The part of LiveSession the service reads: ``trends(ids, window_s) -> (series, now)``."""

    def __init__(self, t, lel):
        self.series = [type("S", (), {"t": t, "value": lel})()]

    def trends(self, sensor_ids, window_s):
        return (self.series if "GS-1-CH4" in sensor_ids else []), 1_772_409_600.0  # 2026-03-02T00:00:00Z


def test_station_emission_from_the_live_methane_detector(tmp_path):
    import numpy as np

    from console.metering import StationParameters

    svc = service(tmp_path, "u")
    t = np.arange(1_772_323_200.0, 1_772_409_600.0 + 1, 600.0)  # a day of 10-minute samples
    svc.live = _Live(t, np.full(t.size, 0.2))  # 0.2 % LEL of a 5 % vol LEL = 0.01 % vol = 100 ppm
    fig = svc.station_emission_from_live(StationParameters("GS-1", 1200.0), "GS-1-CH4", 86_400)
    # 1200 m³/h × 98 ppm excess × 0.66693 kg/m³ × 24 h = 1.88240 kg
    assert fig.ch4_t * 1000 == pytest.approx(1200 * 98e-6 * 0.6669267 * 24, rel=1e-5)
    assert (fig.start, fig.end) == ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z") and len(fig.inputs[0]) == 64
    with pytest.raises(MeteringError, match="not a live sensor"):
        svc.station_emission_from_live(StationParameters("GS-1", 1200.0), "nope", 86_400)
    svc.ledger.close()


def test_meters_from_a_solved_network_carry_its_demand():
    # system A: supply 100 + 60 at two gates, demands 70, 50, 30, 10 (two largest metered, the rest aggregated)
    sim = MeteringSimulator.from_hydraulics(
        "2026-03-01T00:00:00Z", ["g1", "g2", "n1", "n2", "n3", "n4"], [0, 0, 70.0, 50.0, 30.0, 10.0],
        [100.0, 60.0, 0, 0, 0, 0], ["A"] * 6, max_customers=2, leak_nm3h={"A": 5.0})  # fmt: skip
    assert sorted(sim.meters) == ["CM-A-rest", "CM-n1", "CM-n2", "GM-g1", "GM-g2"]
    assert sim.meters["CM-A-rest"].flow_nm3h == 40.0
    sim.advance(3600)
    gates = sim.meters["GM-g1"].total_nm3 + sim.meters["GM-g2"].total_nm3
    customers = sum(sim.meters[m].total_nm3 for m in ("CM-n1", "CM-n2", "CM-A-rest"))
    assert gates == pytest.approx(165.0) and customers == pytest.approx(160.0)  # the 5 Nm³ leak is missing volume
    assert sim.meters["GM-g1"].total_nm3 == pytest.approx(165.0 * 100 / 160)


def test_a_jump_of_unaccounted_for_gas_is_raised(tmp_path):
    svc = service(tmp_path, "u")
    sim = MeteringSimulator("2026-03-01T00:00:00Z")
    svc.register_meter(sim.add_inflow("GS-1", "DMA-1", station="GS-1").meter)
    for i, q in enumerate([120.0, 80.0]):
        svc.register_meter(sim.add_customer(f"C-{i}", "DMA-1", q).meter)
    sim.set_leak("DMA-1", 4.0)  # 4 / 204 = 1.96 % for seven days
    svc.submit(sim.advance(7 * 86_400))
    sim.set_leak("DMA-1", 30.0)  # then a new leak: 30 / 230 = 13.04 %
    svc.submit(sim.advance(86_400))
    svc.anchor()
    jumps = []
    svc.balance_jump.connect(jumps.append)
    days = [f"2026-03-0{d}" for d in range(1, 9)]
    rows = svc.balance("DMA-1", days)
    assert [round(r.ufg_pct, 2) for r in rows] == [1.96] * 7 + [13.04]
    assert [r.jump for r in rows] == [False] * 7 + [True] and jumps == [rows[-1]]
    svc.record_balance(rows[-1])
    svc.ledger.close()
