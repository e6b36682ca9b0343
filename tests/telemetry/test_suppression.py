"""ISA-18.2 alarm management beyond acknowledge/shelve: state-based suppression, out of service, flood suppression,
the audible horn and shelving expiry — exact event sequences on the engine and the service."""

from __future__ import annotations

import numpy as np
import pytest

from console.telemetry import AlarmActionError, AlarmState, SensorStatus, TelemetryService
from tests.telemetry.nets import district
from tests.telemetry.test_alarms import engine, feed, seq


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
    listed = {(a.sensor_id, a.condition.value, a.state) for a in e.alarm_list()}
    assert ("S0", "HIHI", AlarmState.SUPPRESSED) in listed  # an operator can still see what the outage hides
    assert ("S0", "LO", AlarmState.SUPPRESSED) not in listed  # inactive suppressed alarms are not listed
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
    # it cleared during the outage: the log closes it as normal (nothing to annunciate)
    assert seq(e.unsuppress("INC-2", t=3.0)) == [(3.0, "S0", "LO", "unsuppressed", "normal")]
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
