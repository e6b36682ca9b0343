"""Requests: clear errors for bad input, the JSON round trip of requests and results, the public surface."""

import json
import math

import pytest

import console.isolation as iso
from console.errors import GasOpsError, UnknownFeatureError
from console.isolation import (
    Break,
    IsolationRequest,
    IsolationRequestError,
    IsolationResult,
    failure_scenarios,
    isolate,
)
from tests.isolation.nets import path_network


@pytest.fixture
def net():
    # {G P1 A} =V1= {B P2 Q P5 C1} >R1> LP {D P3 E P6 C2} ; P4 abandoned off E; sensor S1 on P3
    return path_network(
        ["G", "P1", "A", "V1", "B", "P2", "Q", "R1", "D", "P3", "E", "P4", "F"],
        ["Q", "P5", "C1"],
        ["E", "P6", "C2"],
        attrs={
            "P4": {"status": "abandoned"},
            "C2": {"category": "special", "name": "School", "households": 0},
            "V1": {"operable": False},
        },
        sensors=[("S1", "pressure", "P3", 450, 0)],
    )


def test_public_surface_is_pinned():
    assert sorted(iso.__all__) == sorted(
        [
            "NOTE_TEMPLATES",
            "ORDER_RULES",
            "REFERENCE_PRESSURE_MPA",
            "TYPICAL_OPERATING_PRESSURE_MPA",
            "AffectedCustomer",
            "Break",
            "ClosingStep",
            "Impact",
            "IsolationRequest",
            "IsolationRequestError",
            "IsolationResult",
            "SegmentLabels",
            "SkippedDevice",
            "ValveSegments",
            "adopt_segments",
            "build_valve_segments",
            "customer_rows",
            "failure_scenarios",
            "isolate",
            "label_segments",
            "normal_volume_factors",
            "plan_rows",
            "reanalyse",
            "segments_from_valve_pairs",
            "segments_ready",
            "valve_segments",
            "write_customers_csv",
            "write_plan_csv",
        ]
    )
    assert issubclass(IsolationRequestError, GasOpsError)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, math.nan, "half"])
def test_bad_fractions_are_refused(fraction):
    with pytest.raises(IsolationRequestError, match="P1"):
        Break("P1", fraction)


def test_request_validation():
    with pytest.raises(IsolationRequestError, match="at least one break"):
        IsolationRequest(())
    with pytest.raises(IsolationRequestError, match="closing order"):
        IsolationRequest.at_pipe("P1", order="random")
    with pytest.raises(IsolationRequestError, match="pressure classes"):
        IsolationRequest.at_pipe("P1", operating_pressure_mpa={"XP": 1.0})
    with pytest.raises(IsolationRequestError, match="gauge pressure"):
        IsolationRequest.at_pipe("P1", operating_pressure_mpa={"LP": -1.0})
    assert IsolationRequest.at_pipe("P1", inoperable="V1, V2").inoperable == ("V1", "V2")


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (IsolationRequest.at_pipe("NOPE"), UnknownFeatureError, "unknown feature id 'NOPE'.*break position"),
        (IsolationRequest.at_node("NOPE"), UnknownFeatureError, "NOPE"),
        (IsolationRequest.at_pipe("P2", inoperable=("V9",)), UnknownFeatureError, "'V9'.*inoperable"),
        (
            IsolationRequest.at_pipe("P2", inoperable=("P1",)),
            IsolationRequestError,
            "'P1' is a feature of layer 'pipes'",
        ),
        (IsolationRequest.at_pipe("P2", sources=("X",)), UnknownFeatureError, "'X'.*sources"),
        (IsolationRequest.at_pipe("P2", sources=("V1",)), IsolationRequestError, "'V1' is a valve"),
        (IsolationRequest.at_pipe("P4"), IsolationRequestError, "pipe 'P4' is abandoned"),
        (IsolationRequest((Break("Q", 0.5),)), IsolationRequestError, "a position applies to pipes only"),
        (IsolationRequest((Break("V1", 0.5),)), IsolationRequestError, "a position applies to pipes only"),
        (IsolationRequest.at_node("S1"), IsolationRequestError, "sensors feature is not part of the pipe network"),
    ],
)
def test_unknown_and_wrong_ids_get_clear_errors(net, request_, error, message):
    with pytest.raises(error, match=message):
        isolate(net, request_)


def test_result_json_round_trip(net):
    r = isolate(net, IsolationRequest((Break("P3", 0.25), Break("E")), inoperable=("R1",), order="nearest_first"))
    # a rich result: a failed regulator and an inoperable valve passed through, a station to stop, customers, a sensor
    assert r.skipped_valves == ("R1", "V1")
    assert r.plan[0].action == "stop_source"
    assert r.impact.customers_lost == 2 and r.impact.sensor_ids == ("S1",)
    text = r.to_json()
    data = json.loads(text)
    assert data["valves_to_close"] == list(r.valves_to_close)
    assert data["impact"]["special_users"] == ["C2"]
    assert IsolationResult.from_json(text) == r
    assert IsolationResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    assert IsolationRequest.from_dict(r.request.to_dict()) == r.request


def test_failure_scenarios_in_one_call():
    net = path_network(["G", "P0", "A", "V0", "B", "P1", "Q", "V1", "D", "P2", "E", "V2", "F", "P3", "G2"])
    scenarios = failure_scenarios(net, IsolationRequest.at_pipe("P2"))
    assert sorted(scenarios) == ["V1", "V2"]
    # V1 fails: V0 (250 m away through P1 and the failed valve) and V2 (50 m) are both a station segment away
    assert scenarios["V1"].valves_to_close == ("V2", "V0")
    # V2 fails: the second station's segment joins the shut-off region
    assert [(s.action, s.feature_id) for s in scenarios["V2"].required_steps] == [
        ("stop_source", "G2"),
        ("close_valve", "V1"),
    ]
