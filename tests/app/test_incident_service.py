"""The incident lifecycle through IncidentService, headless: a scripted drill on the demo district checks every
state, every ledger entry and the report; bad input is refused with the state unchanged."""

from __future__ import annotations

import pytest

from console.app.operators import PermissionDenied
from console.dispatch import IncidentError
from tests.dispatch.drill import BREAK_PIPE, PW, make_service


@pytest.fixture
def drill(tmp_path):
    service, clock = make_service(tmp_path / "ws")
    yield service, clock
    service.ledger.close()


def _types(service, iid):
    return [s.type.split(".", 1)[1] for s in service.incident(iid).steps]


def _refused(service, iid, fn, *args, **kwargs):
    """The step is refused with an IncidentError and nothing is recorded."""
    before = service.ledger.node.size()
    state = service.incident(iid).to_dict()
    with pytest.raises(IncidentError) as err:
        fn(*args, **kwargs)
    assert service.ledger.node.size() == before
    assert service.incident(iid).to_dict() == state
    return str(err.value)


def test_drill_whole_lifecycle(drill, tmp_path):
    service, clock = drill
    inc = service.open("leak", source="call", pipe=BREAK_PIPE, fraction=0.3, caller="张三", phone="13800000000",
                       description="strong smell at the crossing")  # fmt: skip
    iid = inc.incident_id
    assert inc.state == "planned" and _types(service, iid) == ["opened", "planned", "graded"]
    doc = service.plan_document(inc)
    iso = doc["isolation"]
    assert inc.valves == iso["valves_to_close"] and inc.valves
    assert inc.households == iso["impact"]["households"] and inc.grade == "routine"  # 720 households < 2,000
    assert set(inc.affected) == {c["feature_id"] for c in iso["impact"]["customers"]}
    assert doc["effect"]["solved"]
    # personal data: only digests on the ledger, the names in the workspace
    opened = service.ledger.node.entry(inc.steps[0].index)
    assert "张三" not in opened.data.decode() and "13800000000" not in opened.data.decode()
    assert opened.body["phone_digest"] == service.ledger.node.personal_digest("13800000000")
    assert "13800000000" in (service.incidents_dir / iid / "callers.jsonl").read_text(encoding="utf-8")

    # a second call 20 m away is offered to join, not opened as a duplicate
    x, y = inc.location["x"], inc.location["y"]
    msg = _refused(service, iid, service.open, "leak", source="call", x=x + 20, y=y)
    assert iid in msg and "join" in msg
    service.join(iid, caller="李四", description="hissing noise")
    assert service.incident(iid).reports == 2

    clock.advance(3)
    route = service.dispatch(iid, "VT-1")
    assert route.length_m >= route.straight_m and route.eta_s > 0
    assert service.incident(iid).crews["VT-1"]["steps"] == [*inc.valves, *inc.optional_valves]
    service.dispatch(iid, "RP-1")
    for status in ("acknowledged", "en_route"):
        service.crew_status(iid, "VT-1", status)
    clock.advance(20)
    service.crew_status(iid, "VT-1", "on_site")
    service.reading(iid, "methane", 35.0, "%LEL", BREAK_PIPE)

    sensors = service.outage_sensors(iid)
    base = {s: 2400.0 for s in sensors} or {"S-X": 2400.0}
    clock.advance(5)
    for v in inc.valves:
        service.valve(iid, v, "closed", crew="VT-1", readings=base)
    assert service.incident(iid).state == "isolated"
    assert service.suppressed_sensors() == set(sensors)
    clock.advance(4)
    done = service.check_confirmations({s: 300.0 for s in base})
    assert [d[2] for d in done] == ["confirmed"] * len(inc.valves)
    service.notify(iid, "outage", "zh")
    calls, sms = service.notify(iid, "outage", "en")
    rows = calls.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + len(inc.affected)
    specials = [r for r in rows[1:] if r.split(",")[4] == "special"]
    assert all(r.startswith("1,") for r in rows[1 : 1 + len(specials)])  # special users first
    assert "Gas outage" in sms.read_text(encoding="utf-8")

    service.meters(iid, "shut_off")
    assert service.incident(iid).restoration_counts()["shut_off"] == len(inc.affected)
    clock.advance(90)
    for v in service.reopen_order(iid):
        service.valve(iid, v, "opened", crew="VT-1")
    assert service.incident(iid).state == "restoring"
    service.purge(iid, "purged to 90 % CH4 at the end cap")
    service.notify(iid, "restoration", "zh")
    first, rest = list(inc.affected[:2]), list(inc.affected[2:])
    service.meters(iid, "not_home", first)
    service.meters(iid, "relit", rest)
    assert service.incident(iid).revisit == first
    # the commander closes, not the dispatcher
    with pytest.raises(PermissionDenied):
        service.close(iid)
    service.ledger.authority.login("C-1", PW["C-1"])
    msg = _refused(service, iid, service.close, iid)
    assert "neither relit nor handed over" in msg
    service.meters(iid, "relit", first[:1])
    service.meters(iid, "handed_over", first[1:])
    clock.advance(30)
    final = service.close(iid, "repaired; all meters relit or handed over")
    assert final.state == "closed" and not service.open_incidents()
    clocks = {c.name: c.status for c in service.clocks(iid)}
    assert clocks == {"arrival": "met", "isolation": "met", "notice": "met", "restoration": "met"}

    types = _types(service, iid)
    assert types[:3] == ["opened", "planned", "graded"] and types[-1] == "closed"
    for t in ("report", "dispatched", "crew", "reading", "valve", "confirmed", "notice", "purged", "meter"):
        assert t in types
    authors = {s.author for s in service.incident(iid).steps}
    ops = {o.operator_id: o.did for o in service.ledger.authority.operators()}
    assert authors == {ops["D-1"], ops["C-1"]}  # every step signed by the person who took it

    out = service.report(iid, tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    for needle in (iid, "Service clocks", "<svg", "Activity log", "王指挥 (C-1)", "李调度 (D-1)", inc.valves[0]):
        assert needle in text
    assert text.count("<tr><td>") >= len(types)

    report = service.ledger.verify().future.result()
    assert report.ok, report.to_dict()
    _refused(service, iid, service.reading, iid, "methane", 1.0, "%LEL")  # closed: no more steps


def test_bad_input_refused_state_unchanged(drill):
    service, clock = drill
    iid = service.open("rupture", pipe=BREAK_PIPE).incident_id
    valve = service.incident(iid).valves[0]
    assert "does not exist" in _refused(service, iid, service.valve, "INC-404", valve)
    assert "not in the plan" in _refused(
        service, iid, service.valve, iid, "V-00001" if valve != "V-00001" else "V-00002"
    )
    assert "never closed" in _refused(service, iid, service.valve, iid, valve, "opened")
    assert "not among the customers" in _refused(service, iid, service.meters, iid, "shut_off", ["C-999999"])
    m = service.incident(iid).affected[0]
    assert "before the valves reopened" in _refused(service, iid, service.meters, iid, "relit", [m])
    service.dispatch(iid, "VT-1")
    assert "already assigned" in _refused(service, iid, service.dispatch, iid, "VT-1")
    other = service.open("leak", pipe="P-002000", allow_duplicate=True).incident_id
    assert iid in _refused(service, other, service.dispatch, other, "VT-1")  # busy on the first incident
    assert "not on the roster" in str(pytest.raises(IncidentError, service.dispatch, iid, "XX-9").value)
    with pytest.raises(IncidentError, match="not in the network"):
        service.open("leak", pipe="P-NOPE")
    with pytest.raises(IncidentError, match="kind"):
        service.open("meteor", pipe=BREAK_PIPE)
    assert "must be one of" in _refused(service, iid, service.crew_status, iid, "VT-1", "dispatched")
    service.crew_status(iid, "VT-1", "on_site")
    assert "cannot go back" in _refused(service, iid, service.crew_status, iid, "VT-1", "acknowledged")


def test_valve_fails_on_site_replans_in_place(drill):
    service, _ = drill
    inc = service.open("leak", pipe=BREAK_PIPE, fraction=0.3)
    failed = inc.valves[0]
    after = service.valve_failed(inc.incident_id, failed, note="stem seized")
    assert failed not in after.valves and after.valves and after.plans == 2
    assert failed in after.failed_valves
    assert len(after.affected) >= len(inc.affected)  # the next ring cuts off at least as many
    assert [s.type for s in after.steps][-3:] == ["incident.valve", "incident.planned", "incident.graded"]


def test_overlapping_outages_flagged(drill):
    service, _ = drill
    a = service.open("leak", pipe=BREAK_PIPE, fraction=0.3)
    b = service.open("leak", pipe=BREAK_PIPE, fraction=0.7, source="map", allow_duplicate=True)
    shared = len(set(a.affected) & set(service.incident(b.incident_id).affected))
    assert shared > 0
    assert service.overlaps() == [(a.incident_id, b.incident_id, shared)]
    board = {r["incident_id"]: r for r in service.board()}
    assert board[a.incident_id]["overlaps"] == [b.incident_id]


def test_open_from_a_hazard_of_the_register(drill):
    """A hazard reported on a pipe opens an incident there (at the reported point along it, kind from the category);
    one on a valve opens at the reported point; an unknown hazard is refused with nothing recorded."""
    service, clock = drill
    net = service.network
    layer, row = net.locate(BREAK_PIPE)
    pt = net[layer].geometry.iloc[row].interpolate(0.25, normalized=True)
    led = service.ledger
    led.report_hazard(pt.x, pt.y, category="third_party", severity="critical", description="excavator near the main",
                      asset_id=BREAK_PIPE, hazard_id="HZ-1")  # fmt: skip
    inc = service.open_from_hazard("HZ-1")
    assert (inc.source, inc.kind, inc.feature_id) == ("hazard", "rupture", BREAK_PIPE)
    assert inc.fraction == pytest.approx(0.25, abs=1e-3)
    assert inc.opened.body["hazard_id"] == "HZ-1" and inc.plan is not None and inc.grade
    clock.advance(300)
    valve = net["valves"]
    vx, vy = valve.geometry.iloc[0].x, valve.geometry.iloc[0].y
    led.report_hazard(vx, vy, category="leak", severity="major", description="smell at the valve well",
                      asset_id=str(valve["id"].iloc[0]), hazard_id="HZ-2")  # fmt: skip
    inc2 = service.open_from_hazard("HZ-2")
    assert inc2.kind == "leak" and inc2.location["x"] == pytest.approx(vx, abs=1e-3)
    before = service.ledger.node.size()
    with pytest.raises(IncidentError, match="not in the register"):
        service.open_from_hazard("HZ-404")
    assert service.ledger.node.size() == before


def test_a_base_run_solved_on_a_snapshot_is_adopted_only_for_that_version(drill):
    service, _ = drill
    net = service.network
    result = service.solve_base_run(net.snapshot())
    assert service.adopt_base_run(result) and service.base_run() is result
    from tests.dispatch.drill import demo_network

    other = demo_network()
    other._version = net.version + 1  # an edited network: the old base run does not fit it
    service.set_network(other)
    assert not service.adopt_base_run(result)
