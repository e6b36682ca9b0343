import json

import shapely

from console.network import CHECKS, validate
from tests.builders import chain, make_network


def test_clean_chain_has_no_findings():
    report = validate(chain(4))
    assert report.ok
    assert report.findings == ()
    assert set(report.summary()) == set(CHECKS)
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True


def test_dangling_end_and_isolated_node():
    net = make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("J1", "junctions", 100, 0),
            ("J2", "junctions", 200, 0),
            ("J3", "junctions", 500, 500),
        ],
        [("P1", "pipes", "G", "J1"), ("P2", "pipes", "J1", "J2")],
    )
    report = validate(net)
    assert report.ids("dangling_end") == {"J2"}
    assert report.ids("isolated_node") == {"J3"}
    assert report.ids("disconnected_component") == set()  # a lone node is reported once, as isolated


def test_disconnected_component_names_its_features_and_supply():
    net = make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("E1", "end_caps", 100, 0),
            ("A", "junctions", 0, 500),
            ("B", "end_caps", 100, 500),
            ("C", "end_caps", 0, 600),
        ],
        [("P1", "pipes", "G", "E1"), ("P2", "pipes", "A", "B"), ("P3", "pipes", "A", "C")],
    )
    report = validate(net)
    (finding,) = report.by_check("disconnected_component")
    # The larger part (A, B, C) is the main network; the gate station's own part is reported.
    assert set(finding.feature_ids) == {"G", "E1", "P1"}
    assert "with its own gate station" in finding.message


def test_duplicate_ids_across_layers():
    net = make_network(
        [("G", "gate_stations", 0, 0), ("X", "junctions", 100, 0), ("E", "end_caps", 200, 0)],
        [("X", "pipes", "G", "X"), ("P2", "pipes", "X", "E")],
    )
    assert validate(net).ids("duplicate_id") == {"X"}


def test_class_change_without_regulator_at_node_and_through_valve():
    net = make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("J1", "junctions", 100, 0),
            ("E1", "end_caps", 200, 0),
            ("J2", "junctions", 100, 2),
            ("E2", "end_caps", 100, 100),
        ],
        [
            ("P1", "pipes", "G", "J1"),
            ("P2", "pipes", "J1", "E1", {"pressure_class": "LP"}),
            ("V1", "valves", "J1", "J2"),
            ("P3", "pipes", "J2", "E2", {"pressure_class": "MP-B"}),
        ],
    )
    report = validate(net)
    assert report.ids("class_change_without_regulator") == {"J1"}
    # J1 is mixed, so the valve check cannot blame V1 for it; make J1 single-class and the valve is found.
    net2 = make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("J1", "junctions", 100, 0),
            ("J2", "junctions", 100, 2),
            ("E2", "end_caps", 100, 100),
        ],
        [
            ("P1", "pipes", "G", "J1"),
            ("V1", "valves", "J1", "J2"),
            ("P3", "pipes", "J2", "E2", {"pressure_class": "LP"}),
        ],
    )
    assert validate(net2).ids("class_change_without_regulator") == {"V1"}


def test_regulator_between_classes_is_fine_and_mismatch_is_flagged():
    nodes = [
        ("G", "gate_stations", 0, 0),
        ("J1", "junctions", 100, 0),
        ("J2", "junctions", 102, 0),
        ("E", "end_caps", 200, 0),
    ]
    links = [
        ("P1", "pipes", "G", "J1"),
        ("R1", "regulators", "J1", "J2"),
        ("P2", "pipes", "J2", "E", {"pressure_class": "LP"}),
    ]
    assert validate(make_network(nodes, links)).ok
    links[1] = ("R1", "regulators", "J1", "J2", {"inlet_class": "SHP-B"})
    report = validate(make_network(nodes, links))
    assert report.ids("regulator_class_mismatch") == {"R1"}
    assert report.ids("class_change_without_regulator") == set()


def test_zero_length_and_unsnapped_and_length_mismatch():
    o = (41_405_000.0, 3_320_000.0)
    net = make_network(
        [
            ("G", "gate_stations", 0, 0),
            ("J1", "junctions", 100, 0),
            ("J2", "junctions", 100, 0),
            ("E", "end_caps", 200, 0),
        ],
        [
            ("P1", "pipes", "G", "J1", {"length_m": 250.0}),
            ("P2", "pipes", "J1", "J2"),
            ("P3", "pipes", "J2", "E", {"geometry": shapely.LineString([(o[0] + 100, o[1]), (o[0] + 199.5, o[1])])}),
        ],
    )
    report = validate(net)
    assert report.ids("zero_length") == {"P2"}
    assert report.ids("unsnapped_endpoint") == {"P3"}
    assert report.ids("length_mismatch") == {"P1"}
    assert validate(net, snap_tolerance=1.0).ids("unsnapped_endpoint") == set()


def test_unknown_node_and_sensor_feature():
    net = make_network(
        [("G", "gate_stations", 0, 0), ("E", "end_caps", 100, 0)],
        [("P1", "pipes", "G", "E"), ("P2", "pipes", "E", "NOPE")],
        sensors=[("S1", "pressure", "G", 1, 1), ("S2", "pressure", "GHOST", 2, 2)],
    )
    report = validate(net)
    assert report.ids("unknown_node") == {"P2"}
    assert report.ids("unknown_sensor_feature") == {"S2"}
    assert not report.ok


def test_features_outside_the_crs_area_of_use():
    # Zone 41 covers 121.5–124.5°E; a point 400 km west of the origin is far outside it.
    net = make_network(
        [("G", "gate_stations", 0, 0), ("E", "end_caps", 100, 0), ("F", "end_caps", -400_000, 0)],
        [("P1", "pipes", "G", "E"), ("P2", "pipes", "G", "F")],
    )
    assert validate(net).ids("outside_area_of_use") == {"F", "P2"}


def test_format_text_names_checks_and_ids():
    net = make_network([("G", "gate_stations", 0, 0), ("J1", "junctions", 100, 0)], [("P1", "pipes", "G", "J1")])
    text = validate(net).format_text()
    assert "dangling_end" in text and "J1" in text
