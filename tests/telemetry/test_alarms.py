"""The alarm state machine: each ISA-18.2 transition, deadband, on/off delays, rate of change, shelving expiry and
stale detection, with exact expected event sequences; and the vectorised engine against a reading-by-reading
reference on random streams cut into random batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.telemetry import AlarmActionError, AlarmEngine, AlarmLimits, AlarmState, SensorStatus, SensorTable
from tests.telemetry.reference_engine import ReferenceAlarms

NAN = float("nan")
QUIET = {"hihi": NAN, "hi": NAN, "lo": NAN, "lolo": NAN, "deadband": 0.0, "roc_per_min": NAN, "on_delay_s": 0.0,
         "off_delay_s": 0.0, "stale_after_s": 1e9, "range_min": NAN, "range_max": NAN}  # fmt: skip


def engine(n: int = 1, kind: str = "pressure", **fields) -> AlarmEngine:
    sensors = SensorTable.from_arrays([f"S{i}" for i in range(n)], [kind] * n)
    spec = {f"S{i}": {**QUIET, **fields} for i in range(n)}
    return AlarmEngine(sensors, AlarmLimits.defaults(sensors).with_overrides({"sensors": spec}, sensors))


def seq(events) -> list[tuple]:
    return [(e.t, e.sensor_id, e.condition.value, e.kind.value, e.state.value) for e in events]


def feed(eng: AlarmEngine, t, v, sensor: int = 0):
    return eng.evaluate(np.full(len(t), sensor), np.asarray(t, float), np.asarray(v, float))


def test_normal_unack_rtn_normal():
    """A → B (activates) → D (clears unacknowledged) → A (acknowledged)."""
    e = engine(hi=10.0)
    assert seq(feed(e, [0, 1, 2, 3], [5, 10, 12, 9])) == [
        (1.0, "S0", "HI", "activated", "unack_active"),
        (3.0, "S0", "HI", "cleared", "unack_rtn"),
    ]
    assert e.state("S0", "HI") == AlarmState.UNACK_RTN
    assert seq(e.acknowledge("S0", t=4.0, user="op")) == [(4.0, "S0", "HI", "acknowledged", "normal")]
    assert e.state("S0", "HI") == AlarmState.NORMAL
    assert e.acknowledge("S0", t=5.0) == []  # nothing left to acknowledge


def test_ack_active_then_clear_goes_normal():
    """A → B → C (acknowledged while active) → A (clears)."""
    e = engine(hi=10.0)
    assert seq(feed(e, [0, 1], [5, 11])) == [(1.0, "S0", "HI", "activated", "unack_active")]
    ack = e.acknowledge("S0", "HI", t=1.5, user="op", comment="crew informed")
    assert seq(ack) == [(1.5, "S0", "HI", "acknowledged", "ack_active")]
    assert ack[0].user == "op" and ack[0].comment == "crew informed"
    assert seq(feed(e, [2, 3], [11, 4])) == [(3.0, "S0", "HI", "cleared", "normal")]


def test_realarm_from_unack_rtn():
    """D → B: a returned, unacknowledged alarm activating again is unacknowledged active."""
    e = engine(hi=10.0)
    assert seq(feed(e, [0, 1, 2, 3], [11, 5, 12, 13])) == [
        (0.0, "S0", "HI", "activated", "unack_active"),
        (1.0, "S0", "HI", "cleared", "unack_rtn"),
        (2.0, "S0", "HI", "activated", "unack_active"),
    ]
    assert e.state("S0", "HI") == AlarmState.UNACK_ACTIVE


def test_low_and_low_low_and_priorities():
    e = engine(lo=5.0, lolo=2.0)
    events = feed(e, [0, 1, 2, 3], [6, 4, 1, 6])
    assert seq(events) == [
        (1.0, "S0", "LO", "activated", "unack_active"),
        (2.0, "S0", "LOLO", "activated", "unack_active"),
        (3.0, "S0", "LO", "cleared", "unack_rtn"),
        (3.0, "S0", "LOLO", "cleared", "unack_rtn"),
    ]
    assert [int(x.priority) for x in events[:2]] == [3, 2]
    assert events[0].limit == 5.0 and events[1].value == 1.0


def test_deadband_holds_the_alarm_until_the_value_leaves_the_band():
    e = engine(hi=10.0, deadband=1.0)
    assert seq(feed(e, [0, 1, 2, 3, 4, 5], [10.0, 9.5, 9.01, 10.2, 9.0, 8.99])) == [
        (0.0, "S0", "HI", "activated", "unack_active"),
        (5.0, "S0", "HI", "cleared", "unack_rtn"),  # 9.0 is not below 10 - 1; 8.99 is
    ]


def test_on_delay_ignores_short_excursions():
    e = engine(hi=10.0, on_delay_s=10.0)
    # true 0..5 (5 s, too short), false at 6, true from 7: activates at 17, 10 s after the run began
    t = np.arange(0, 20)
    v = np.where((t <= 5) | (t >= 7), 11.0, 9.0)
    assert seq(feed(e, t, v)) == [(17.0, "S0", "HI", "activated", "unack_active")]


def test_off_delay_and_chattering():
    e = engine(hi=10.0, on_delay_s=0.0, off_delay_s=5.0)
    # chatters around the limit every second, then stays low from 10
    t = np.arange(0, 20)
    v = np.where(t < 10, np.where(t % 2 == 0, 11.0, 9.0), 9.0)
    assert seq(feed(e, t, v)) == [
        (0.0, "S0", "HI", "activated", "unack_active"),
        (14.0, "S0", "HI", "cleared", "unack_rtn"),  # low since 9 (the last high was 8): 5 s later
    ]


def test_delays_carry_across_batches():
    e = engine(hi=10.0, on_delay_s=10.0)
    assert feed(e, [0, 4], [11, 11]) == []
    assert feed(e, [8], [11]) == []
    assert seq(feed(e, [10], [12])) == [(10.0, "S0", "HI", "activated", "unack_active")]


def test_rate_of_change_ignores_sample_to_sample_noise():
    e = engine(roc_per_min=6.0)
    # 1 Hz readings jumping ±1 every second (120/min from one sample to the next) but going nowhere
    t = np.arange(0, 300.0)
    assert feed(e, t, 100 + np.where(t % 2 == 0, 1.0, -1.0)) == []


def test_rate_of_change_sequence_exact():
    e = engine(roc_per_min=6.0)
    t = np.arange(0, 361.0)
    v = np.where(t >= 120, 0.2 * np.minimum(t - 120, 120), 0.0)  # ramps 120..240 at 12/min, then flat
    # window firsts: 0,60,120,180,240,300,360 → rates 0, 0, 12, 12, 0 → active at 180 (120→180) and 240 (180→240),
    # cleared at 300 (240→300 is flat)
    assert seq(feed(e, t, v)) == [
        (180.0, "S0", "ROC", "activated", "unack_active"),
        (300.0, "S0", "ROC", "cleared", "unack_rtn"),
    ]


def test_shelving_hides_changes_and_expiry_reannunciates():
    e = engine(hi=10.0)
    feed(e, [0], [11])
    assert seq(e.shelve("S0", "HI", t=1.0, duration_s=10.0, user="op", comment="sensor being serviced")) == [
        (1.0, "S0", "HI", "shelved", "shelved")
    ]
    assert e.sensor_status()[0] == SensorStatus.NORMAL  # a shelved alarm does not colour the map
    # clears and re-activates while shelved: silent; the shelving expires at 11 inside this batch
    events = feed(e, [2, 3, 12, 13], [5, 12, 12, 4])
    assert seq(events) == [
        (11.0, "S0", "HI", "unshelved", "unack_active"),
        (13.0, "S0", "HI", "cleared", "unack_rtn"),
    ]
    assert events[0].user == "system"


def test_shelving_expires_on_tick_and_inactive_alarms_return_to_normal():
    e = engine(hi=10.0)
    feed(e, [0], [11])
    e.acknowledge("S0", t=0.5)
    e.shelve("S0", "HI", t=1.0, duration_s=60.0)
    feed(e, [2], [5])  # clears while shelved
    assert e.state("S0", "HI") == AlarmState.SHELVED
    assert e.tick(30.0) == []
    assert seq(e.tick(100.0)) == [(61.0, "S0", "HI", "unshelved", "normal")]
    assert e.state("S0", "HI") == AlarmState.NORMAL


def test_manual_unshelve_and_limits_on_shelving():
    e = engine(hi=10.0)
    feed(e, [0], [11])
    e.shelve("S0", t=1.0, duration_s=100.0)  # all conditions of the sensor
    assert e.state("S0", "LO") == AlarmState.SHELVED
    assert seq(e.unshelve("S0", "HI", t=2.0, user="op")) == [(2.0, "S0", "HI", "unshelved", "unack_active")]
    with pytest.raises(AlarmActionError, match="between 1 s and"):
        e.shelve("S0", "HI", t=3.0, duration_s=e.max_shelve_s + 1)
    with pytest.raises(AlarmActionError, match="no sensor 'S9'"):
        e.acknowledge("S9", t=3.0)
    with pytest.raises(AlarmActionError, match="unknown alarm condition"):
        e.acknowledge("S0", "HIGH", t=3.0)


def test_comment_is_an_event_without_a_state_change():
    e = engine(hi=10.0)
    feed(e, [0], [11])
    events = e.comment("S0", "HI", t=1.0, user="op", text="crew on the way")
    assert seq(events) == [(1.0, "S0", "HI", "commented", "unack_active")]
    assert e.alarm_list()[0].comment == "crew on the way"


def test_stale_by_tick_then_cleared_by_a_reading():
    e = engine(n=2, stale_after_s=60.0)
    feed(e, [0, 10], [1, 1], sensor=0)
    assert e.tick(60.0) == []  # S1 never reported: silent since the engine's first time, 0; 60 is not > 60
    assert seq(e.tick(65.0)) == [(60.0, "S1", "STALE", "activated", "unack_active")]
    assert seq(e.tick(80.0)) == [(70.0, "S0", "STALE", "activated", "unack_active")]
    assert e.sensor_status().tolist() == [SensorStatus.STALE, SensorStatus.STALE]
    assert seq(feed(e, [90], [1], sensor=0)) == [(90.0, "S0", "STALE", "cleared", "unack_rtn")]
    assert e.sensor_status().tolist() == [SensorStatus.NORMAL, SensorStatus.STALE]


def test_stale_gap_inside_a_batch_gives_the_same_events_as_ticks():
    with_ticks, without = engine(stale_after_s=60.0), engine(stale_after_s=60.0)
    feed(with_ticks, [0], [1])
    ticked = with_ticks.tick(100.0) + feed(with_ticks, [150], [1])
    untouched = feed(without, [0, 150], [1, 1])
    assert (
        seq(ticked)
        == seq(untouched)
        == [
            (60.0, "S0", "STALE", "activated", "unack_active"),
            (150.0, "S0", "STALE", "cleared", "unack_rtn"),
        ]
    )


def test_sensor_status_precedence():
    e = engine(n=3, hi=10.0, hihi=20.0, stale_after_s=100.0)
    e.evaluate([0, 1, 2], [0.0, 0.0, 0.0], [25.0, 15.0, 1.0])
    assert e.sensor_status().tolist() == [SensorStatus.ALARM, SensorStatus.WARNING, SensorStatus.NORMAL]
    assert e.unacknowledged().tolist() == [True, True, False]
    assert [(a.sensor_id, a.condition.value) for a in e.alarm_list()] == [("S0", "HIHI"), ("S0", "HI"), ("S1", "HI")]


def test_methane_defaults_follow_gb_t_50493():
    sensors = SensorTable.from_arrays(["M"], ["methane"])
    e = AlarmEngine(sensors, AlarmLimits.defaults(sensors))
    events = e.evaluate([0] * 7, [0, 1, 4, 5, 9, 30, 40], [0.5, 25.0, 25.0, 50.0, 50.0, 1.0, 1.0])
    assert seq(events) == [
        (4.0, "M", "HI", "activated", "unack_active"),  # 25 % LEL held for the 3 s on-delay: warning
        (9.0, "M", "HIHI", "activated", "unack_active"),  # 50 % LEL: alarm
        (40.0, "M", "HIHI", "cleared", "unack_rtn"),  # gone for the 10 s off-delay
        (40.0, "M", "HI", "cleared", "unack_rtn"),
    ]
    assert [int(x.priority) for x in events[:2]] == [2, 1]


@st.composite
def streams(draw):
    n = draw(st.integers(1, 3))
    steps = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.one_of(st.integers(1, 40), st.integers(100, 200)), st.floats(0, 30)),
            min_size=1,
            max_size=120,
        )
    )
    acks = draw(st.lists(st.integers(0, 120), max_size=10))
    cuts = draw(st.lists(st.integers(0, 120), max_size=6))
    return n, steps, sorted(set(acks)), sorted(set(cuts))


@settings(max_examples=150, deadline=None)
@given(streams(), st.floats(0, 20), st.floats(0, 20), st.floats(0, 3))
def test_engine_matches_the_reference_however_the_stream_is_batched(stream, on, off, db):
    n, steps, acks, cuts = stream
    limits = {**QUIET, "hihi": 25.0, "hi": 20.0, "lo": 8.0, "lolo": 4.0, "deadband": db, "roc_per_min": 10.0,
              "on_delay_s": on, "off_delay_s": off, "stale_after_s": 120.0}  # fmt: skip
    e = engine(n, **limits)
    # readings: sensor, gap since that sensor's last reading, value
    clock = np.zeros(n)
    rows, ts, vs = [], [], []
    for sensor, gap, value in steps:
        clock[sensor] += gap
        rows.append(sensor), ts.append(float(clock[sensor])), vs.append(value)
    order = np.argsort(ts, kind="stable")  # arrive in time order across sensors
    rows, ts, vs = np.array(rows)[order], np.array(ts)[order], np.array(vs)[order]
    epoch = float(ts[0])
    refs = [ReferenceAlarms(limits, epoch=epoch) for _ in range(n)]
    expected, got = [], []
    bounds = sorted({0, len(ts), *[c for c in cuts if c < len(ts)], *[a for a in acks if a < len(ts)]})
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        got += seq(e.evaluate(rows[a:b], ts[a:b], vs[a:b]))
        for i in range(a, b):
            expected += [(t, f"S{rows[i]}", c, k, s) for t, c, k, s in refs[rows[i]].reading(ts[i], vs[i])]
        if b in acks:
            t_ack = float(ts[b - 1])
            for i in range(n):
                got += seq(e.acknowledge(f"S{i}", t=t_ack))
                expected += [(t, f"S{i}", c, k, s) for t, c, k, s in refs[i].acknowledge(t_ack)]
    key = lambda x: (x[0], x[1], ReferenceAlarms.CONDS.index(x[2]), x[3])  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
