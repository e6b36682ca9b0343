"""Local (incremental) validation against the full report: over every feature, ``validate_features`` gives
``validate``'s findings split per feature; after any random edit, the report before with the edit's neighbourhood
re-checked is the report of the edited network (checks but the global component check)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.network import EditRefused, SetAttribute, validate
from console.network._validation import GLOBAL_CHECKS, neighbourhood, per_feature, validate_features
from tests.builders import chain, make_network
from tests.network.test_edits_property import _grid, _random_edit


def _all_ids(net):
    return [i for f in net.layers.values() for i in f["id"].astype(str).tolist()]


def _full(net):
    return {k for k in per_feature(validate(net).findings) if k[0] not in GLOBAL_CHECKS}


def _local(net, ids):
    return {(f.check, f.feature_ids[0]) for f in validate_features(net, ids)}


def _breakage(net, draw):
    """An edit that makes a finding: a class change, a bad length, an unknown node, an impossible diameter …"""
    pipes = net["pipes"]["id"].tolist()
    pid = draw(st.sampled_from(pipes))
    column, value = draw(
        st.sampled_from(
            [
                ("pressure_class", "LP"),
                ("length_m", 0.0),
                ("length_m", 5000.0),
                ("inner_diameter_mm", -3.0),
                ("inner_diameter_mm", float("inf")),
                ("to_node", "NOPE"),
                ("from_node", "J11"),
            ]
        )
    )
    return SetAttribute(net, "pipes", [pid], column, value)


def test_every_check_is_found_per_feature_on_a_broken_network():
    net = make_network(
        [("G", "gate_stations", 0, 0), ("J1", "junctions", 100, 0), ("J2", "junctions", 200, 0),
         ("J3", "junctions", 500, 500), ("E", "end_caps", 300, 0)],
        [("P1", "pipes", "G", "J1"), ("P2", "pipes", "J1", "J2"), ("P3", "pipes", "J2", "E")],
        sensors=[("S1", "pressure", "J9", 0, 0)],
    )  # fmt: skip
    SetAttribute(net, "pipes", ["P2"], "pressure_class", "LP").redo()
    SetAttribute(net, "pipes", ["P3"], "inner_diameter_mm", 0.0).redo()
    SetAttribute(net, "pipes", ["P1"], "length_m", 300.0).redo()
    SetAttribute(net, "pipes", ["P1"], "geometry", [shapely.LineString([(0, 0), (90, 5)])]).redo()
    found = _local(net, _all_ids(net))
    assert found == _full(net)
    assert {
        ("class_change_without_regulator", "J1"),
        ("isolated_node", "J3"),
        ("impossible_value", "P3"),
        ("length_mismatch", "P1"),
        ("unknown_sensor_feature", "S1"),
    } <= found
    assert any(c == "unsnapped_endpoint" for c, _ in found)


def test_impossible_values_are_findings_not_coerced():
    net = chain(3)
    SetAttribute(net, "pipes", ["P1"], "inner_diameter_mm", -5.0).redo()
    SetAttribute(net, "pipes", ["P2"], "dn", 0).redo()
    report = validate(net)
    assert report.ids("impossible_value") == {"P1", "P2"} and not report.ok
    assert net.feature("P1")["inner_diameter_mm"] == -5.0  # kept as entered, reported


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_recheck_equals_the_full_report(data):
    net = _grid()
    report = _full(net)
    assert _local(net, _all_ids(net)) == report
    for _ in range(data.draw(st.integers(1, 6))):
        try:
            edit = _breakage(net, data.draw) if data.draw(st.booleans()) else _random_edit(net, data.draw)
        except EditRefused:
            continue
        seeds = {str(i) for d in _ids_of(edit.describe()) for i in d}
        before = neighbourhood(net, seeds)
        try:
            edit.redo()
        except Exception:
            continue
        seeds |= {i for ids in getattr(edit, "created", {}).values() for i in ids}
        scope = before | neighbourhood(net, seeds)
        report = {k for k in report if k[1] not in scope} | _local(net, scope)
        assert report == _full(net)


def _ids_of(described):
    """Every list of feature ids in an edit's description (its steps' too)."""
    if isinstance(described, dict):
        for key, value in described.items():
            if key in ("ids", "feature_ids") and isinstance(value, list):
                yield value
            elif key == "features" and isinstance(value, dict):
                yield list(value)
            elif key in ("node_id", "feature_id", "pipe_id") and isinstance(value, str):
                yield [value]
            else:
                yield from _ids_of(value)
    elif isinstance(described, list):
        for item in described:
            yield from _ids_of(item)


def test_numpy_ids_accepted():
    net = chain(3)
    assert _local(net, np.asarray(["P1", "J1"], dtype=object)) == set()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_links_at_nodes_through_the_topology_equal_the_column_scan(data):
    """``_link_rows`` answers from the topology's adjacency (plus its links with an unknown end) when the topology is
    built, else by scanning the link layers' end columns: the same rows either way, after any edits."""
    from console.network._validation import _link_rows

    net = _grid()
    for _ in range(data.draw(st.integers(0, 6))):
        try:
            (_breakage(net, data.draw) if data.draw(st.booleans()) else _random_edit(net, data.draw)).redo()
        except Exception:
            continue
    ends = {str(v) for layer in ("pipes", "valves", "regulators") for c in ("from_node", "to_node")
            for v in net[layer][c].tolist() if v}  # fmt: skip
    pool = sorted(ends | {i for f in net.layers.values() for i in f["id"].astype(str).tolist()} | {"NOPE", "X"})
    ids = np.asarray(sorted(set(data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12)))), dtype=object)
    scanned = net.snapshot()
    scanned._cache.clear()
    expected = _link_rows(scanned, ids)
    net.topology  # noqa: B018 - built: the adjacency answers
    got = _link_rows(net, ids)
    assert {k: v.tolist() for k, v in got.items()} == {k: v.tolist() for k, v in expected.items()}
