"""Execution confirmed by telemetry with the real sensor simulator (item 5): an incident opened on the demo district
at a training leak, its plan's valve closed by a crew; the training simulator sees the closure, the outage's
pressure falls, the step is confirmed from the live session's readings and the outage's alarms are suppressed as
expected (ISA-18.2). A closure the network does not feel is warned about after the timeout instead."""

from __future__ import annotations

import numpy as np
import pytest

from console.app.live import LiveSession
from console.dispatch import TrainingSimulator, ValveOperation, continue_as_training, cut_off_nodes
from console.telemetry import AlarmState, Leak, SimulatorConfig, SimulatorFeed, parse_time
from tests.dispatch.drill import make_service

PIPE = "P-000007"  # its plan closes V-00033; pressure sensors S-00009, S-00018 and S-00021 are in the outage
START = "2026-03-01T08:00:00Z"  # the drill clock's start


def _run(live: LiveSession, feed: SimulatorFeed, seconds: float) -> None:
    """Hand ``seconds`` of the feed's readings to the live session flat out (as LiveSession.run_simulator does)."""
    live.service.stop(stop_feeds=False)
    live.service.attach(feed)
    feed.run(live.service.ingest, seconds)
    live.service.tick(feed.clock())


@pytest.fixture
def drill(tmp_path):
    service, clock = make_service(tmp_path, what_if=False)
    live = LiveSession(service.network, db_path=False, operator="li.diaodu")
    config = SimulatorConfig(seed=5, start_t=START, dropout_rate=0.0, outage_rate_per_h=0.0)
    yield service, clock, live, config
    live.close()


def _pressure(live: LiveSession, sensor: str) -> float:
    snap = live.service.snapshot()
    return float(snap.last_value[live.sensors.row(sensor)])


def test_a_closed_valve_is_confirmed_by_the_falling_pressure_and_its_alarms_suppressed(drill):
    service, clock, live, config = drill
    feed = TrainingSimulator(service.network, config, [Leak(PIPE, at_s=60.0, severity=0.3, fraction=0.4)], speed=0)
    service.link_live(live, simulator=feed)
    _run(live, feed, 300)  # the leak: the pressure near it sags (a low-pressure alarm is what brings the call)
    inc = service.open("leak", pipe=PIPE, fraction=0.4, source="call")
    sensors = service.outage_sensors(inc.incident_id)
    assert {"S-00009", "S-00018", "S-00021"} <= set(sensors)
    assert inc.plan.body["valves"] == ["V-00033"]
    before = {s: _pressure(live, s) for s in ("S-00009", "S-00018", "S-00021")}

    service.dispatch(inc.incident_id, "VT-1")
    clock.advance(1)
    service.valve(inc.incident_id, "V-00033", "closed", crew="VT-1")  # baseline: the live readings now
    assert feed.closed_valves == ("V-00033",)
    assert service.check_live() == []  # nothing has fallen yet: pending, nothing recorded
    assert "incident:" + inc.incident_id in live.suppressions()  # isolating: the outage's alarms are expected

    _run(live, feed, 240)  # the section empties (time constant 45 s)
    clock.advance(4)
    after = {s: _pressure(live, s) for s in before}
    assert all(after[s] < 0.2 * before[s] for s in before), (before, after)
    done = service.check_live()
    assert done == [(inc.incident_id, "V-00033", "confirmed")]
    step = [s for s in service.incident(inc.incident_id).steps if s.type == "incident.confirmed"][-1]
    assert step.body["result"] == "confirmed" and step.body["sensor"] in before
    # The low-pressure alarms the closure raises inside the outage are suppressed, not annunciated.
    shown = {(a.sensor_id, a.condition.value) for a in live.service.alarm_list()}
    hidden = {(a.sensor_id, a.condition.value): a.state for a in live.hidden_alarms()}
    assert any(s in before and c in ("LO", "LOLO") for s, c in hidden), hidden
    assert all(state == AlarmState.SUPPRESSED for state in hidden.values())
    assert not {k for k in shown if k[0] in before and k[1] in ("LO", "LOLO")}

    # Restoration begins: meters shut off, the valve reopens, the simulator refills the section, the suppression is
    # lifted.
    service.meters(inc.incident_id, "shut_off")
    service.valve(inc.incident_id, "V-00033", "opened", crew="VT-1")
    assert feed.closed_valves == ()
    service.check_live()
    assert "incident:" + inc.incident_id not in live.suppressions()
    _run(live, feed, 300)
    assert all(_pressure(live, s) > 0.9 * before[s] for s in before)


def test_a_closure_the_pressure_does_not_confirm_is_warned_about_after_the_timeout(drill):
    """The crew reports V-00033 closed, but the simulator (a plain one, which does not see valves) keeps the
    pressure up: pending until the timeout, then a warning is recorded."""
    service, clock, live, config = drill
    feed = SimulatorFeed(service.network, config, speed=0)
    service.link_live(live)  # the session's feed is not a training simulator: it is not told of valves
    _run(live, feed, 120)
    inc = service.open("leak", pipe=PIPE, fraction=0.4)
    service.valve(inc.incident_id, "V-00033", "closed", crew="VT-1")
    _run(live, feed, 300)
    clock.advance(5)
    assert service.check_live(timeout_s=600) == []
    clock.advance(6)  # 11 minutes after the report
    assert service.check_live(timeout_s=600) == [(inc.incident_id, "V-00033", "warning")]


def test_cut_off_follows_closed_valves_and_regulators_one_way(drill):
    service, _, _, _ = drill
    net = service.network
    topo = net.topology
    base = cut_off_nodes(net, [])
    cut = cut_off_nodes(net, ["V-00033"])
    newly = np.flatnonzero(cut & ~base)
    assert len(newly)
    # The customers newly cut off are the plan's customers (the isolation analysis agrees with the simulator).
    inc = service.open("leak", pipe=PIPE, fraction=0.4)
    plan_customers = set(inc.affected)
    assert plan_customers
    layer = topo.node_layer[newly]
    from console.network import NODE_LAYERS

    newly_customers = set(topo.node_ids[newly[layer == NODE_LAYERS.index("customers")]].tolist())
    assert newly_customers == plan_customers


def test_a_running_simulator_carries_on_as_a_training_simulator(drill):
    service, _, _, config = drill
    leak = Leak(PIPE, at_s=60.0, severity=0.3)
    plain = SimulatorFeed(service.network, config, [leak], speed=0)
    plain.run(lambda batch: None, 600)
    training = continue_as_training(plain, service.network)
    assert isinstance(training, TrainingSimulator)
    assert training.start_t == pytest.approx(parse_time(START) + 601)
    (moved,) = training.events
    assert moved.at_s == pytest.approx(60.0 - 601)  # the same moment in data time
    # The same noise-free readings at the same data time (the leak included), before any valve operation.
    t = parse_time(START) + 900
    k_old, k_new = plain.step_of(t), training.step_of(t)
    assert np.allclose(plain.values(np.array([k_old])), training.values(np.array([k_new])))
    with pytest.raises(ValueError):
        training.add_event(service.network, ValveOperation(("V-00033",), 0.0, action="turned"))


def test_a_position_sensor_reads_its_valve_turning_shut(drill):
    service, _, live, config = drill
    feed = TrainingSimulator(service.network, config, speed=0)
    feed.add_event(service.network, ValveOperation(("V-00038",), at_s=60.0))
    row = feed.sensors.row("S-00034")  # the position sensor on V-00038 (normally open)
    before, after = feed.values(np.array([30, 600]))[:, row]
    assert before == pytest.approx(100.0, abs=3.0) and after == pytest.approx(0.0, abs=0.5)
