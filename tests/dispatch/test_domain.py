"""console.dispatch against hand-worked answers: grading, routing, clocks, restoration order, notices, overlap."""

from __future__ import annotations

import numpy as np
import pytest

from console.dispatch import (
    GradingTable,
    Incident,
    IncidentError,
    Step,
    StreetGraph,
    confirm_by_pressure,
    nearby_incidents,
    overlapping,
    service_clocks,
    sms_batch_csv,
)


@pytest.mark.parametrize(
    ("households", "symptoms", "duration", "grade"),
    [(0, [], None, "routine"), (1999, [], None, "routine"), (2000, [], None, "IV"), (4999, [], None, "IV"),
     (5000, [], None, "III"), (10000, [], None, "II"), (29999, [], None, "II"), (30000, [], None, "I"),
     (30000, [], 23.9, "II"), (30000, [], 24, "I"), (100, ["gas_migration"], None, "III"),
     (100, ["overpressure"], None, "II"), (100, ["special_users"], None, "IV"), (12000, ["special_users"], None, "II")],
)  # fmt: skip
def test_grading_default_table(households, symptoms, duration, grade):
    assert GradingTable.default().grade(households, symptoms, duration).grade == grade


def test_grading_table_is_configurable_and_checked():
    doc = GradingTable.default().to_dict()
    doc["levels"][3]["min_households"] = 1000  # this utility grades IV from 1,000 households
    assert GradingTable.from_dict(doc).grade(1500).grade == "IV"
    assert GradingTable.default().level("I").clocks_min["arrival"] == 30
    for broken, msg in [({"levels": []}, "0 households"), ({}, "not a grading table"),
                        ({"levels": [{"grade": "V", "min_households": 0}]}, "not one of"),
                        ({**doc, "symptoms": {"meteor": "I"}}, "unknown symptom")]:  # fmt: skip
        with pytest.raises(IncidentError, match=msg):
            GradingTable.from_dict(broken)
    with pytest.raises(IncidentError, match="unknown symptom"):
        GradingTable.default().grade(10, ["smoke"])


def test_route_follows_streets_not_straight_line():
    # a 3 x 3 grid of 100 m blocks with the middle street missing: from (0,100) to (200,100) the route goes round
    xy = np.array([[x, y] for y in (0, 100, 200) for x in (0, 100, 200)], dtype=float)
    edges = [
        (0, 1),
        (1, 2),
        (3, 4),
        (6, 7),
        (7, 8),
        (0, 3),
        (3, 6),
        (2, 5),
        (5, 8),
    ]  # (4,5) and the verticals 1-4-7 gone
    a, b = np.array(edges).T
    g = StreetGraph(xy, a, b, np.full(len(a), 100.0), speed_kmh=36.0, setoff_s=60.0)
    r = g.route((0, 100), (200, 100))
    assert r.straight_m == 200.0 and r.length_m == 400.0
    assert r.nodes in {(3, 0, 1, 2, 5), (3, 6, 7, 8, 5)}  # round the block, north or south (a tie)
    assert r.eta_s == 60.0 + 400.0 / 10.0
    assert r.position_at(60.0 + 20.0) in {(100.0, 0.0), (100.0, 200.0)}  # halfway through the drive: 200 m along
    assert r.position_at(0.0) == (0.0, 100.0) and r.position_at(1e9) == (200.0, 100.0)
    with pytest.raises(IncidentError, match="no street route"):
        StreetGraph(xy[:2], np.array([0]), np.array([0]), np.array([1.0])).route((0, 0), (100, 0))


def _opened(t="2026-01-01T08:00:00Z"):
    inc = Incident("I-1")
    inc.apply(Step("incident.opened", {"incident_id": "I-1", "source": "call", "kind": "leak"}, t))
    return inc


def test_clocks_met_missed_breached():
    inc = _opened()
    inc.apply(Step("incident.planned", {"valves": ["V-1"], "customers": 1, "households": 1, "plan_sha256": "0" * 64},
                   "2026-01-01T08:05:00Z"))  # fmt: skip
    inc.apply(Step("incident.dispatched", {"crew": "C", "steps": ["V-1"]}, "2026-01-01T08:06:00Z"))
    inc.apply(Step("incident.crew", {"crew": "C", "status": "on_site"}, "2026-01-01T08:41:00Z"))
    inc.apply(Step("incident.valve", {"feature_id": "V-1", "action": "closed"}, "2026-01-01T08:50:00Z"))
    assert inc.state == "isolated"
    clocks = {c.name: (c.status, round(c.elapsed_min)) for c in
              service_clocks(inc, {"arrival": 30, "isolation": 60, "notice": 60}, "2026-01-01T09:30:00Z")}  # fmt: skip
    assert clocks == {"arrival": ("missed", 41), "isolation": ("met", 50), "notice": ("breached", 90)}


def test_restoration_two_passes_and_revisit_queue():
    inc = _opened()
    inc.apply(Step("incident.planned", {"valves": ["V-1"], "customers": 3, "households": 3, "plan_sha256": "0" * 64},
                   "2026-01-01T08:05:00Z"))  # fmt: skip
    inc.affected = ("C-1", "C-2", "C-3")
    inc.apply(Step("incident.valve", {"feature_id": "V-1", "action": "closed"}, "t"))
    with pytest.raises(IncidentError, match="not yet shut off"):
        inc.check("incident.valve", {"feature_id": "V-1", "action": "opened"})
    inc.apply(Step("incident.meter", {"step": "shut_off", "meters": ["C-1", "C-2", "C-3"]}, "t"))
    with pytest.raises(IncidentError, match="before the valves reopened"):
        inc.check("incident.meter", {"step": "relit", "meters": ["C-1"]})
    inc.apply(Step("incident.valve", {"feature_id": "V-1", "action": "opened"}, "t"))
    with pytest.raises(IncidentError, match="purge"):
        inc.check("incident.meter", {"step": "relit", "meters": ["C-1"]})
    inc.apply(Step("incident.purged", {}, "t"))
    inc.apply(Step("incident.meter", {"step": "relit", "meters": ["C-1"]}, "t"))
    inc.apply(Step("incident.meter", {"step": "not_home", "meters": ["C-2", "C-3"]}, "t"))
    assert inc.revisit == ["C-2", "C-3"]
    with pytest.raises(IncidentError, match="neither relit nor handed over"):
        inc.check("incident.closed", {})
    inc.apply(Step("incident.meter", {"step": "relit", "meters": ["C-2"]}, "t"))
    inc.apply(Step("incident.meter", {"step": "handed_over", "meters": ["C-3"]}, "t"))
    assert inc.revisit == [] and inc.restoration_counts()["pending"] == 0
    inc.check("incident.closed", {})


def test_confirmation_overlap_nearby_and_sms():
    assert confirm_by_pressure(2000, 1000, 10, 600) == "confirmed"  # exactly half: as predicted
    assert confirm_by_pressure(2000, 1001, 599, 600) == "pending"
    assert confirm_by_pressure(2000, 1001, 600, 600) == "warning"
    assert overlapping({"a": {"1", "2", "3"}, "b": {"3", "4"}, "c": {"2", "3"}}) == [("a", "b", 1), ("a", "c", 2),
                                                                                   ("b", "c", 1)]  # fmt: skip
    assert nearby_incidents([("x", 0, 0, 0), ("y", 250, 0, 0), ("z", 10, 0, -8000)], 200, 0, 100) == ["y", "x"]
    sms = sms_batch_csv([{"feature_id": "C-2", "meter_id": "M2", "category": "residential"},
                         {"feature_id": "C-1", "meter_id": "M1", "category": "special"}], "停气").splitlines()  # fmt: skip
    assert sms == ["meter_id,customer_id,priority,message", "M1,C-1,1,停气", "M2,C-2,2,停气"]
