"""ISA-18.2 alarm-load metrics on hand-counted event streams."""

from __future__ import annotations

from console.telemetry import AlarmEvent, AlarmEventKind, AlarmState, Condition, Priority, flood_summary


def act(t, sensor="S1", cond=Condition.HI, kind=AlarmEventKind.ACTIVATED):
    return AlarmEvent(t, sensor, cond, kind, AlarmState.UNACK_ACTIVE, Priority.MEDIUM)


def test_periods_floods_top_and_chattering():
    events = [act(600 + 10 * i, f"S{i % 4}") for i in range(12)]  # 12 activations in [600, 1200): a flood
    events += [act(1300), act(1310), act(1350)]  # S1 HI three times within 60 s: chattering
    events += [act(2500, "S9", Condition.LO)]
    events += [act(1305, kind=AlarmEventKind.CLEARED), act(1306, kind=AlarmEventKind.ACKNOWLEDGED)]  # not counted
    s = flood_summary(events)
    assert (s.activations, s.periods, s.flooded_periods) == (16, 4, 1)  # periods from 600 to 3000
    assert s.peak_activations == 12 and s.peak_start_t == 600.0
    assert [(f.start_t, f.end_t, f.activations) for f in s.floods] == [(600.0, 1200.0, 12)]
    assert s.floods[0].top[0] == ("S0", "HI", 3)
    assert s.top_alarms[0] == ("S1", "HI", 6)  # 3 in the flood and 3 chattering
    assert s.chattering == (("S1", "HI", 3),)
    assert s.percent_time_in_flood == 25.0
    assert s.to_dict()["floods"][0]["activations"] == 12
    assert "flood" in s.format_text()


def test_exactly_ten_is_not_a_flood_and_consecutive_floods_merge():
    ten = [act(float(i)) for i in range(10)]
    assert flood_summary(ten).flooded_periods == 0
    many = [act(float(i * 20), f"S{i}") for i in range(60)]  # 30 per 600 s for 1200 s
    s = flood_summary(many, start_t=0.0, end_t=1800.0)
    assert s.periods == 4 and s.flooded_periods == 2
    assert [(f.start_t, f.end_t, f.activations) for f in s.floods] == [(0.0, 1200.0, 60)]
    assert flood_summary([]).activations == 0
