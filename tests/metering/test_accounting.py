"""Custody comparison, gas balance and methane emissions against hand-worked answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.metering import (
    GWP100_CH4_AR6_FOSSIL,
    MeteringSimulator,
    PartyFigure,
    StationParameters,
    ch4_density_kg_m3,
    enclosure_emission_kg_h,
    examine_batch,
    flag_jumps,
    gas_balance,
    line_pack_nm3,
    period_of,
    reconcile_custody,
    station_emission,
    vented_emission,
)


def test_custody_en_number_by_hand():
    # U1 = 1 % of 100 000 = 1000, U2 = 1 % of 102 000 = 1020: tolerance √(1000² + 1020²) = 1428.43; diff −2000
    r = reconcile_custody("GS-1", "2026-03-01", PartyFigure("utility", 100_000.0, 1.0),
                          PartyFigure("supplier", 102_000.0, 1.0))  # fmt: skip
    assert r.tolerance_nm3 == pytest.approx(1428.4257, abs=1e-3)
    assert r.difference_nm3 == -2000.0 and r.en == pytest.approx(-1.40014, abs=1e-5)
    assert r.status == "disputed" and r.flagged
    assert r.difference_pct == pytest.approx(-2000 / 101_000 * 100)
    ok = reconcile_custody("GS-1", "d", PartyFigure("utility", 100_000.0, 1.0), PartyFigure("supplier", 101_400.0, 1.0))
    assert ok.status == "agreed" and not ok.flagged
    partial = reconcile_custody("GS-1", "d", PartyFigure("utility", 100_000.0, 1.0, complete=False),
                                PartyFigure("supplier", 100_000.0, 1.0))  # fmt: skip
    assert partial.status == "incomplete" and "utility: the day is not complete" in partial.notes
    none = reconcile_custody("GS-1", "d", PartyFigure("utility", None, 1.0), PartyFigure("supplier", 1.0, 1.0))
    assert none.status == "incomplete" and none.en is None


@given(q=st.floats(1, 1e7), u=st.floats(0.1, 5), rel=st.floats(-0.2, 0.2))
def test_custody_agrees_exactly_within_the_combined_uncertainty(q, u, rel):
    q2 = q * (1 + rel)
    r = reconcile_custody("S", "d", PartyFigure("utility", q, u), PartyFigure("supplier", q2, u))
    tolerance = math.hypot(u / 100 * q, u / 100 * q2)
    assert (r.status == "agreed") == (abs(q - q2) <= tolerance * (1 + 1e-12))


def test_balance_by_hand_and_line_pack():
    row = gas_balance("DMA-1", "s", "e", 24_000.0, 23_100.0, 5_000.0, 5_300.0)
    assert (row.ufg_nm3, row.linepack_change_nm3, row.ufg_pct) == (600.0, 300.0, 2.5)
    # 1 km of DN200 at 5 bar absolute throughout, 15 °C: V = π·0.1²·1000 = 31.416 m³ → 31.416·(501325/101325)·(273.15/288.15)
    lp = line_pack_nm3(np.array([0.2]), np.array([1000.0]), np.array([501_325.0]), np.array([501_325.0]))
    assert lp == pytest.approx(math.pi * 0.01 * 1000 * 501_325 / 101_325 * 273.15 / 288.15)
    # mean pressure of a flowing pipe: 6 and 4 bar abs → ⅔(10 − 24/10) = 5.0667 bar
    lp2 = line_pack_nm3(np.array([0.2]), np.array([1000.0]), np.array([600_000.0]), np.array([400_000.0]), 273.15)
    assert lp2 == pytest.approx(math.pi * 0.01 * 1000 * (2 / 3 * (1e6 - 2.4e11 / 1e6)) / 101_325)
    assert gas_balance("A", "s", "e", 0.0, 0.0).ufg_pct is None


def test_jumps_against_the_usual_range():
    assert flag_jumps([2.0, 2.1, 1.9, 2.0, 2.2, 1.8, 2.0, 2.3, 6.5, 2.1]) == [False] * 8 + [True, False]
    assert flag_jumps([2.0, 9.0, 2.0]) == [False, False, False]  # too little history to judge
    assert flag_jumps([None, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]) == [False] * 8


def test_simulated_leak_shows_as_missing_volume():
    # three customers of 100, 80, 20 Nm³/h and a 12 Nm³/h leak behind one gate meter, with a daily profile:
    # over one whole day inflow = 24·212 = 5088, consumption = 24·200 = 4800, UFG = 288 Nm³ = 5.660 %
    sim = MeteringSimulator("2026-03-01T00:00:00Z", profile_amplitude=0.3)
    sim.add_inflow("GS-1", "DMA-1")
    for i, q in enumerate([100.0, 80.0, 20.0]):
        sim.add_customer(f"C-{i}", "DMA-1", q)
    sim.set_leak("DMA-1", 12.0)
    batches = sim.advance(86_400)
    last = {}
    inflow = consumption = 0.0
    for b in batches:
        meter = sim.meters[b.meter_id].meter
        start, end = period_of(meter, b.readings[-1]["time"])
        report = examine_batch(meter, b, _view(meter, last.get(b.meter_id)), start, end)
        assert report.anchorable
        last[b.meter_id] = (b.body["counter_last"], report.last_total)
        if end > "2026-03-01T00:00:00Z":
            if meter.kind == "customer":
                consumption += report.quantity_nm3
            else:
                inflow += report.quantity_nm3
    assert inflow == pytest.approx(5088.0, abs=0.05) and consumption == pytest.approx(4800.0, abs=0.05)
    row = gas_balance("DMA-1", "s", "e", inflow, consumption)
    assert row.ufg_nm3 == pytest.approx(288.0, abs=0.1) and row.ufg_pct == pytest.approx(288 / 5088 * 100, abs=0.01)


def _view(meter, last):
    from console.metering import DeviceView

    counter, total = last if last else (-1, None)
    return DeviceView(meter.device, meter.device, False, counter, total)


def test_methane_worked_example():
    # the module docstring's example: 1200 m³/h, 120 ppm against 2 ppm, 20 °C, 101.325 kPa
    rho = 101_325 * 0.016043 / (8.314462618 * 293.15)
    assert ch4_density_kg_m3(293.15) == pytest.approx(rho) == pytest.approx(0.66693, abs=1e-5)
    assert enclosure_emission_kg_h(120.0, 1200.0) == pytest.approx(1200 * 118e-6 * rho)
    params = StationParameters("GS-1", 1200.0)
    t = np.arange(0, 30 * 86_400 + 1, 600.0)  # a 30-day month of 10-minute samples at a steady 120 ppm
    fig = station_emission(params, t, np.full(t.size, 120.0), start="2026-03-01", end="2026-03-31")
    assert fig.ch4_t == pytest.approx(0.0679945, rel=1e-5)
    assert fig.co2e_t == pytest.approx(0.0679945 * 29.8, rel=1e-5) and fig.gwp == GWP100_CH4_AR6_FOSSIL == 29.8
    # a linear ramp 2 → 122 ppm over one hour: the trapezoid gives the mean excess 60 ppm exactly
    ramp = station_emission(params, [0.0, 3600.0], [2.0, 122.0], start="", end="")
    assert ramp.ch4_t * 1000 == pytest.approx(1200 * 60e-6 * rho)
    assert enclosure_emission_kg_h(1.0, 1200.0) == 0.0  # below background is no emission
    with pytest.raises(ValueError, match="must increase"):
        station_emission(params, [0.0, 0.0], [5.0, 5.0], start="", end="")


def test_vented_gas_by_hand():
    # 1000 Nm³ of 95 % methane at 0 °C: 950 m³ × 0.71576 kg/m³ = 679.97 kg
    fig = vented_emission("INC-7", 1000.0, start="s", end="e", inputs=["ab" * 32])
    assert fig.ch4_t == pytest.approx(0.67997, abs=1e-5)
    assert fig.co2e_t == pytest.approx(0.67997 * 29.8, abs=1e-3)
    assert fig.model == "vented-volume/v1" and fig.inputs == ["ab" * 32]
    assert vented_emission("X", 1000.0, start="", end="", gwp=28.0).co2e_t == pytest.approx(0.67997 * 28, abs=1e-3)
    with pytest.raises(ValueError, match="methane fraction"):
        vented_emission("X", 1.0, start="", end="", methane_fraction=1.5)
