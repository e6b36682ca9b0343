"""ISA-18.2 alarm management beyond acknowledge/shelve: state-based suppression, out of service, flood suppression,
the audible horn and shelving expiry — exact event sequences on the engine and the service."""

from __future__ import annotations

import numpy as np
import pytest

from console.telemetry import (
    AlarmActionError,
    AlarmEventKind,
    AlarmLimits,
    AlarmState,
    Condition,
    Priority,
    ReadingBatch,
    SensorStatus,
    SensorTable,
    TelemetryService,
)
from tests.telemetry.nets import district
from tests.telemetry.test_alarms import QUIET, engine, feed, seq


def test_suppressed_alarms_are_evaluated_but_not_annunciated():
    e = engine(2, hi=10.0, hihi=20.0)
    assert e.suppress("INC-1", ["S0"], "valve V7 closed for the outage", t=0.0) == []  # nothing abnormal to log
    assert feed(e, [1, 2], [25, 25], sensor=0) == []  # evaluated silently
    assert seq(feed(e, [1], [25], sensor=1)) == [
        (1.0, "S1", "HIHI", "activated", "unack_active"),
        (1.0, "S1", "HI", "activated", "unack_active"),
    ]
    assert e.state("S0", "HIHI") == AlarmState.SUPPRESSED and e.active[0, 0]
    assert e.sensor_status()[0] == SensorStatus.NORMAL and not e.unacknowledged()[0]
    assert {a.sensor_id for a in e.alarm_list()} == {"S1"}  # the alarm list annunciates S1 only
    hidden = {(a.sensor_id, a.condition.value, a.state) for a in e.hidden_alarms()}
    assert hidden == {("S0", "HIHI", AlarmState.SUPPRESSED), ("S0", "HI", AlarmState.SUPPRESSED)}  # for review
    assert e.acknowledge("S0", t=3.0) == []  # suppressed alarms are not acknowledged
    assert not e.audible_alarms() or all(s == "S1" for s, _ in e.audible_alarms())
    # the outage ends while the pressure is still high: annunciated afresh, unacknowledged
    assert seq(e.unsuppress("INC-1", t=10.0)) == [
        (10.0, "S0", "HIHI", "unsuppressed", "unack_active"),
        (10.0, "S0", "HI", "unsuppressed", "unack_active"),
    ]
    assert e.suppressions() == {}
    assert e.unsuppress("INC-1", t=11.0) == []


def test_suppressing_an_active_alarm_logs_it_and_clearing_meanwhile_leaves_it_normal():
    e = engine(1, lo=5.0)
    feed(e, [0], [1.0])
    assert seq(e.suppress("INC-2", ["S0"], "isolation", t=1.0)) == [(1.0, "S0", "LO", "suppressed", "suppressed")]
    assert feed(e, [2], [9.0]) == []  # clears silently
    # it cleared during the outage, still unacknowledged from before: it comes back returned-to-normal
    assert seq(e.unsuppress("INC-2", t=3.0)) == [(3.0, "S0", "LO", "unsuppressed", "unack_rtn")]
    assert e.acknowledge("S0", t=4.0)
    assert e.state("S0", "LO") == AlarmState.NORMAL


def test_overlapping_suppressions_and_conditions():
    e = engine(2, lo=5.0, stale_after_s=10.0)
    e.suppress("A", ["S0", "S1"], "outage A", t=0.0, conditions=["LO", "LOLO"])
    e.suppress("B", ["S0"], "outage B", t=0.0)
    feed(e, [1], [1.0], sensor=0)
    feed(e, [1], [1.0], sensor=1)
    assert seq(e.unsuppress("A", t=2.0)) == [(2.0, "S1", "LO", "unsuppressed", "unack_active")]  # S0: B still holds
    assert e.state("S0", "LO") == AlarmState.SUPPRESSED  # still under B
    assert e.state("S1", "LO") == AlarmState.UNACK_ACTIVE
    assert e.state("S1", "STALE") == AlarmState.NORMAL  # A covered LO/LOLO only
    with pytest.raises(AlarmActionError, match="reason"):
        e.suppress("C", ["S0"], " ", t=0.0)
    with pytest.raises(AlarmActionError, match="condition"):
        e.suppress("C", ["S0"], "x", t=0.0, conditions=["BOGUS"])


def test_a_flood_suppresses_less_urgent_alarms_and_ends_below_five_in_ten_minutes():
    """Eleven HI alarms (medium) in a minute is a flood: they go SUPPRESSED; HIHI (high) still annunciates; when
    fewer than five activations fall in the last ten minutes the flood ends and the still-active ones come back."""
    net = district()
    sensors = SensorTable.from_network(net)
    ids = sensors.ids.tolist()
    spec = {sid: {**QUIET, "hi": 10.0, "hihi": 20.0} for sid in ids}
    limits = AlarmLimits.defaults(sensors).with_overrides({"sensors": spec}, sensors)
    service = TelemetryService(net, limits=limits, flood_suppress=Priority.MEDIUM)
    assert limits.priority[0, Condition.HI.code] == Priority.MEDIUM
    assert limits.priority[0, Condition.HIHI.code] <= Priority.HIGH
    rows = np.arange(len(ids))
    t = 1_800_000_000.0
    heard = []
    service.alarm_changed.connect(heard.append)

    def send(values):
        nonlocal t
        t += 1.0
        service.ingest(ReadingBatch(rows, np.full(len(ids), t), np.asarray(values, float), clock_t=t))

    normal = np.full(len(ids), 5.0)
    for k in range(11):  # HI on one sensor after another, then back
        high = normal.copy()
        high[k % len(ids)] = 15.0
        send(high)
        send(normal)
        assert service.flooding == (k == 10)
    assert sum(e.kind == AlarmEventKind.ACTIVATED for e in heard) == 11  # more than ten: a flood
    assert service.engine.flood_priority == Priority.MEDIUM
    heard.clear()
    high = normal.copy()
    high[1], high[2] = 15.0, 25.0  # during the flood a new HI is hidden, a HIHI is not
    send(high)
    shown = {(e.sensor_id, e.condition.value, e.kind.value) for e in heard}
    assert shown == {(ids[2], "HIHI", "activated")}
    assert service.engine.state(ids[1], "HI") == AlarmState.SUPPRESSED
    # ten quiet minutes later the flood is over: the still-active HI alarms are annunciated again
    heard.clear()
    t += 700.0
    send(high)
    assert not service.flooding and service.engine.flood_priority is None
    back = {(e.sensor_id, e.condition.value, e.kind.value, e.state.value) for e in heard}
    still = {(ids[1], "HI", "unsuppressed", "unack_active"), (ids[2], "HI", "unsuppressed", "unack_active")}
    # the flood's earlier alarms cleared unacknowledged: they come back as such, for the operator to acknowledge
    medium = [sid for i, sid in enumerate(ids) if limits.priority[i, Condition.HI.code] >= Priority.MEDIUM]
    assert back == still | {(sid, "HI", "unsuppressed", "unack_rtn") for sid in medium if sid not in ids[1:3]}


def test_shelving_expires_at_its_time_and_an_active_alarm_comes_back_unacknowledged():
    e = engine(1, hi=10.0)
    feed(e, [0], [11.0])
    e.acknowledge("S0", t=0.5)
    e.shelve("S0", "HI", t=1.0, duration_s=60.0, comment="crew on site")
    assert seq(feed(e, [30, 90], [12.0, 12.0])) == [(61.0, "S0", "HI", "unshelved", "unack_active")]
    assert seq(e.tick(200.0)) == []
    # shelving expiring under a suppression stays hidden
    e.shelve("S0", "HI", t=200.0, duration_s=10.0)
    e.suppress("INC", ["S0"], "outage", t=201.0)
    assert seq(e.tick(220.0)) == [(210.0, "S0", "HI", "unshelved", "suppressed")]
    assert not e.unacknowledged()[0] and e.audible is False
