"""ISA-18.2 alarm management through :class:`LiveSession`: state-based suppression of an outage's sensors (the
public API incident dispatch uses), out of service behind the shelve permission, and the audible horn."""

from __future__ import annotations

import pytest

from console.app.live import LiveSession
from console.app.workspace import Workspace
from console.telemetry import AlarmEventKind, AlarmState, HistoryStore, Leak
from tests.telemetry.nets import district

LEAK = Leak("PA2", 600.0, severity=0.9)  # SA1 drops to LO and LOLO (tests/app/test_live_workflow.py)
START = "2026-01-05T00:00:00+08:00"


def _states(session):
    """What the alarm list shows and what suppression hides, by alarm (the two never overlap)."""
    shown = {(a.sensor_id, a.condition.value): a.state for a in session.service.alarm_list()}
    hidden = {(a.sensor_id, a.condition.value): a.state for a in session.hidden_alarms()}
    assert not set(shown) & set(hidden)
    return shown | hidden


def test_an_outage_suppresses_its_sensors_alarms_until_restoration(tmp_path):
    workspace = Workspace(tmp_path)
    session = LiveSession(district(), workspace=workspace, operator="wang.li")
    heard = []
    session.service.alarm_changed.connect(heard.append)
    try:
        assert session.suppress("INC-7", ["SA1", "SA2", "MA"], "INC-7: valve VA closed (outage)") == 0
        assert set(session.suppressions()) == {"INC-7"}
        session.run_simulator(1800, seed=3, start_t=START, events=[LEAK], faults=False)
        raised = {(e.sensor_id, e.condition.value) for e in heard if e.kind == AlarmEventKind.ACTIVATED}
        assert not raised & {("SA1", "LO"), ("SA1", "LOLO")}  # expected in the outage: not annunciated
        states = _states(session)
        assert states[("SA1", "LOLO")] == AlarmState.SUPPRESSED and states[("SA1", "LO")] == AlarmState.SUPPRESSED
        assert not session.audible and session.acknowledge([("SA1", "LOLO")]) == 0

        # restoration begins with the pressure still low: the alarms come back unacknowledged and sound the horn
        heard.clear()
        assert session.unsuppress("INC-7") >= 2
        back = {(e.sensor_id, e.condition.value): e for e in heard}
        assert back[("SA1", "LOLO")].kind == AlarmEventKind.UNSUPPRESSED
        assert back[("SA1", "LOLO")].state == AlarmState.UNACK_ACTIVE
        assert _states(session)[("SA1", "LOLO")] == AlarmState.UNACK_ACTIVE
        assert session.audible  # LOLO is high priority
        assert session.acknowledge([("SA1", "LOLO")]) == 1
        assert ("SA1", "LOLO") not in {(s, c.value) for s, c in session.service.audible_alarms()}
        assert session.unsuppress("INC-7") == 0 and session.suppressions() == {}
    finally:
        session.close()
    store = HistoryStore(workspace.db_path)
    try:
        kinds = [(e.kind.value, e.user) for e in store.events(sensor_id="SA1") if e.condition.value == "LOLO"]
        assert ("unsuppressed", "wang.li") in kinds and ("activated", "") not in kinds
    finally:
        store.close()


class _Desk:
    """An operator service stand-in: one operator whose roles allow only ``allowed``."""

    name = "li.na"

    def __init__(self, allowed):
        self.allowed, self.recorded = set(allowed), []

    def require(self, permission, action):
        if permission not in self.allowed:
            raise PermissionError(f"li.na may not {action}")

    def record(self, entry_type, body):
        self.recorded.append((entry_type, body))


def test_out_of_service_needs_the_shelve_permission_and_a_reason():
    session = LiveSession(district(), db_path=False, authority=_Desk({"alarm.acknowledge"}))
    try:
        with pytest.raises(PermissionError, match="out of service"):
            session.remove_from_service(["SA1"], "transmitter swap WO-88")
        session.authority.allowed.add("alarm.shelve")
        with pytest.raises(Exception, match="reason"):
            session.remove_from_service(["SA1"], "")
        session.remove_from_service(["SA1"], "transmitter swap WO-88")
        assert session.out_of_service() == {"SA1": "transmitter swap WO-88"}
        session.run_simulator(1800, seed=3, start_t=START, events=[LEAK], faults=False)
        assert _states(session)[("SA1", "LOLO")] == AlarmState.OUT_OF_SERVICE
        sounding = {s for s, _ in session.service.audible_alarms()}
        assert "SA1" not in sounding
        session.acknowledge_all()  # the leak's other alarms (MA, SA2)
        assert not session.audible
        assert session.return_to_service(["SA1"]) >= 1 and session.out_of_service() == {}
        assert _states(session)[("SA1", "LOLO")] == AlarmState.UNACK_ACTIVE and session.audible
        assert session.silence() >= 1 and not session.audible  # silenced, still unacknowledged
        assert _states(session)[("SA1", "LOLO")] == AlarmState.UNACK_ACTIVE
    finally:
        session.close()
