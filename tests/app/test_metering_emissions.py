"""Emission figures through the service as the Metering dock signs them: a station's period from the live session's
history (worked example of the enclosure model), the GWP and its source in the report, and the operator's authority
guarding every signed figure (a denied one is audited and nothing is appended)."""

from __future__ import annotations

import numpy as np
import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService
from console.app.operators import OperatorService, PermissionDenied
from console.ledger import LedgerNode
from console.metering import StationParameters, gwp_source, vented_emission

PASSPHRASE = "correct horse battery staple"


class _Store:
    """The part of a HistoryStore the service reads."""

    def __init__(self, t, lel):
        self.t, self.lel, self.flushed = t, lel, 0

    def flush(self):
        self.flushed += 1

    def readings(self, sensor_id, t0, t1, resolution):
        m = (self.t >= t0) & (self.t < t1)
        return type("H", (), {"t": self.t[m], "value": self.lel[m]})()


class _Live:
    def __init__(self, store):
        self.service = type("S", (), {"store": store})()


def test_a_station_period_from_the_live_history_is_the_worked_example(tmp_path):
    ledger = LedgerService(tmp_path / "l")
    ledger.create("town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    svc = MeteringService(ledger)
    t0 = 1_772_323_200.0  # 2026-03-01T00:00:00Z
    t = t0 + np.arange(0, 30 * 86_400 + 1, 3600.0)  # a 30-day month of hourly samples
    store = _Store(t, np.full(t.size, 0.24))  # 0.24 % LEL × 5 % vol = 120 ppm
    svc.live = _Live(store)
    fig = svc.station_emission_for_period(StationParameters("GS-1", 1200.0), "GS-1-CH4", "2026-03-01T00:00:00Z",
                                          "2026-03-31T00:00:00Z")  # fmt: skip
    # the model's worked example: 1200 m³/h × 118 ppm × 0.66693 kg/m³ = 0.094437 kg/h; 720 h = 67.99 kg
    assert fig.ch4_t == pytest.approx(0.094437 * 720 / 1000, rel=1e-4)
    assert fig.co2e_t == pytest.approx(fig.ch4_t * 29.8) and store.flushed == 1 and len(fig.inputs[0]) == 64
    svc.record_emission(fig)
    report = svc.emissions_report("2026-03")
    assert report["gwp_sources"] == {"29.8": gwp_source(29.8)} and "AR6" in report["gwp_sources"]["29.8"]
    html = svc.emissions_report_html("2026-03")
    assert "Table 7.15" in html and fig.inputs[0][:16] in html
    svc.live = None
    with pytest.raises(Exception, match="no live session"):
        svc.station_emission_for_period(StationParameters("GS-1", 1200.0), "x", "2026-03-01T00:00:00Z",
                                        "2026-03-02T00:00:00Z")  # fmt: skip
    ledger.close()


def test_signing_a_figure_needs_the_operators_authority(tmp_path):
    folder = tmp_path / "ledger"
    node = LedgerNode.init(folder, "town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    ops = OperatorService(node, workstation="ws-1")
    ops.enrol("A-1", "Admin", ["administrator"], "admin pass 1")
    ops.login("A-1", "admin pass 1")
    ops.enrol("P-2", "Planner", ["planner"], "planner pass 2")
    ops.enrol("D-3", "Dispatcher", ["dispatcher"], "dispatch pass 3")
    node.close()
    ops = OperatorService(workstation="ws-1")
    ledger = LedgerService(folder, authority=ops)
    ledger.open(PASSPHRASE)
    svc = MeteringService(ledger, ops)
    fig = vented_emission("INC-1", 1000.0, start="2026-03-01T10:00:00Z", end="2026-03-01T12:00:00Z")
    ops.login("P-2", "planner pass 2")
    size = svc.node.size()
    with pytest.raises(PermissionDenied, match="sign methane emission figures"):
        svc.record_emission(fig)
    assert svc.emission_records() == [] and svc.node.entry(size).type == "audit.denied"
    ops.login("D-3", "dispatch pass 3")
    svc.record_emission(fig)
    (row,) = svc.emission_records()
    assert row["ch4_t"] == pytest.approx(0.67997, abs=1e-5)
    ledger.close()
