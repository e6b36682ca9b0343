"""The simulator: deterministic under a seed however it is stepped; scripted leaks and regulator failures raise the
expected alarms at the expected sensors and nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from console.errors import UnknownFeatureError
from console.telemetry import (
    AlarmEventKind,
    Leak,
    ReadingBatch,
    RegulatorFailure,
    SimulatorConfig,
    SimulatorFeed,
    TelemetryService,
    demand_factor,
    parse_time,
)

QUIET = {"dropout_rate": 0.0, "outage_rate_per_h": 0.0}
LEAK = Leak("PA2", at_s=600, severity=0.8, fraction=0.1, reach_m=200, ramp_s=600)


def collect(feed: SimulatorFeed, duration_s: float, chunk_s: float) -> ReadingBatch:
    batches = []
    feed.run(batches.append, duration_s, chunk_s=chunk_s)
    return ReadingBatch.concat(batches)


def test_same_seed_same_readings_however_stepped(net):
    a = collect(SimulatorFeed(net, SimulatorConfig(seed=5)), 3 * 3600, chunk_s=3600)
    b = collect(SimulatorFeed(net, SimulatorConfig(seed=5)), 3 * 3600, chunk_s=7)
    c = collect(SimulatorFeed(net, SimulatorConfig(seed=6)), 3 * 3600, chunk_s=3600)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.value, b.value)
    assert len(c) != len(a) or not np.array_equal(c.value, a.value)


def test_readings_are_plausible_and_faults_happen(net):
    feed = SimulatorFeed(net, SimulatorConfig(seed=1, dropout_rate=0.01, outage_rate_per_h=0.5))
    b = collect(feed, 2 * 3600, chunk_s=600)
    n_sensors, n_steps = len(feed.sensors), 2 * 3600
    assert 0.5 * n_sensors * n_steps < len(b) < 0.99 * n_sensors * n_steps  # some dropped, some outages
    assert feed.status().received == len(b)
    by_id = {sid: b.value[b.rows == i] for i, sid in enumerate(feed.sensors.ids)}
    assert np.all(np.abs(by_id["SG"] - 400) < 10)  # gate station supply 0.4 MPa in kPa
    assert np.all((by_id["SA2"] > 2.0) & (by_id["SA2"] < 2.6))  # LP zone set at 2.5 kPa, far end droops
    assert np.all((by_id["MA"] >= 0) & (by_id["MA"] < 3))  # no gas in the well
    for sid in feed.sensors.ids:  # time increases per sensor
        assert np.all(np.diff(b.t[b.rows == list(feed.sensors.ids).index(sid)]) > 0)


def test_demand_curve_peaks_at_lunch_local_time():
    noon = parse_time("2026-01-05T11:00:00+08:00")
    night = parse_time("2026-01-05T03:00:00+08:00")
    assert demand_factor(np.array([noon]))[0] == 1.0
    assert demand_factor(np.array([night]))[0] == pytest.approx(0.18)


def alarms_after(net, events, duration_s=1800):
    service = TelemetryService(net)
    feed = SimulatorFeed(net, SimulatorConfig(seed=3, **QUIET), events)
    service.attach(feed)
    seen = []
    service.alarm_changed.connect(seen.append)
    feed.run(service.ingest, duration_s)
    return feed, [e for e in seen if e.kind == AlarmEventKind.ACTIVATED]


def test_leak_raises_the_expected_alarms_at_the_expected_sensors(net):
    feed, raised = alarms_after(net, [LEAK])
    assert {(e.sensor_id, e.condition.value) for e in raised} == {
        ("SA1", "LO"),  # 21 m from the leak along the pipes: sags far below the zone's 2.5 kPa
        ("SA1", "LOLO"),
        ("SA2", "LO"),  # 180 m: sags below LO but not LOLO
        ("MA", "HI"),  # valve well 20 m away: methane over 25 % LEL …
        ("MA", "HIHI"),  # … and over 50 % LEL
    }  # SA0 (421 m), zone B, the MP zone and the far well MB stay quiet
    leak_t = feed.start_t + LEAK.at_s
    assert all(e.t > leak_t for e in raised)
    first = {(e.sensor_id, e.condition.value): e.t for e in raised}
    assert first[("MA", "HI")] < first[("MA", "HIHI")] and first[("SA1", "LO")] < first[("SA1", "LOLO")]


def test_regulator_failure_raises_pressure_in_its_zone_only(net):
    _, raised = alarms_after(net, [RegulatorFailure("RB", at_s=300)], duration_s=900)
    assert {(e.sensor_id, e.condition.value) for e in raised} == {
        (s, c) for s in ("SB0", "SB2") for c in ("HI", "HIHI", "ROC")
    }


def test_no_events_no_alarms(net):
    _, raised = alarms_after(net, [], duration_s=1800)
    assert raised == []


def test_unknown_event_locations(net):
    with pytest.raises(UnknownFeatureError, match="P-404"):
        SimulatorFeed(net, events=[Leak("P-404", at_s=0)])
    with pytest.raises(UnknownFeatureError, match="PA1"):
        SimulatorFeed(net, events=[RegulatorFailure("PA1", at_s=0)])


def test_hydraulic_baseline_sets_the_pressure_at_peak(net):
    noon = "2026-01-05T11:00:00+08:00"  # demand factor 1
    feed = SimulatorFeed(
        net, SimulatorConfig(seed=0, start_t=noon, noise=0.0, drift=0.0, baseline={"SA2": 2.1}, **QUIET)
    )
    assert feed.values(np.array([0]))[0, feed.sensors.row("SA2")] == pytest.approx(2.1)


def test_an_event_added_while_running_gives_the_same_readings_as_one_scripted_from_the_start(net):
    scripted = SimulatorFeed(net, SimulatorConfig(seed=3, **QUIET), [LEAK])
    added = SimulatorFeed(net, SimulatorConfig(seed=3, **QUIET))
    before = collect(added, 300, chunk_s=60)  # 5 minutes of normal readings, then the trainer adds the leak
    assert added.elapsed_s() == pytest.approx(300)
    added.add_event(net, LEAK)
    after = collect(added, 1500, chunk_s=60)
    want = collect(scripted, 1800, chunk_s=60)
    got = ReadingBatch.concat([before, after])
    np.testing.assert_array_equal(got.rows, want.rows)
    np.testing.assert_allclose(got.value, want.value)
    assert added.events == (LEAK,)
    with pytest.raises(UnknownFeatureError, match="P-404"):
        added.add_event(net, Leak("P-404", at_s=0))
    assert added.events == (LEAK,)  # a rejected event changes nothing


def test_a_baseline_below_atmospheric_still_reads_a_positive_gauge_pressure(net):
    noon = "2026-01-05T11:00:00+08:00"  # demand factor 1: the baseline's full drop
    feed = SimulatorFeed(
        net, SimulatorConfig(seed=0, start_t=noon, noise=0.0, drift=0.0, baseline={"SA2": -20.0}, **QUIET)
    )
    assert feed.values(np.array([0]))[0, feed.sensors.row("SA2")] == pytest.approx(0.05 * 2.5)
