"""GasNetwork's incremental edits: set_values checks and copies only the rows set (text columns patched by arrow
slices), and the per-layer id lookups survive edits that leave rows in place — each against a rebuilt reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from console.errors import SchemaError
from tests.builders import chain


def test_set_values_on_text_matches_a_plain_assignment_and_shares_the_rest():
    net = chain(6)
    before = net["pipes"]
    net.set_values("pipes", np.array([3, 1, 3]), "to_node", ["A", "B", "C"])  # a row twice: the last value wins
    expected = before["to_node"].to_numpy(dtype=object).copy()
    expected[[3, 1]] = ["C", "B"]
    assert net["pipes"]["to_node"].tolist() == expected.tolist()
    assert net["pipes"]["to_node"].dtype == before["to_node"].dtype
    assert before["to_node"].tolist() != expected.tolist()  # the frame before the edit is untouched (undo keeps it)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), st.text(min_size=1, max_size=4)), min_size=1, max_size=80))
def test_many_text_patches_agree_with_a_python_list(edits):
    net = chain(30)
    reference = net["pipes"]["from_node"].tolist()
    for row, value in edits:
        net.set_values("pipes", np.array([row]), "from_node", value)
        reference[row] = value
    assert net["pipes"]["from_node"].tolist() == reference


def test_set_values_refuses_a_bad_geometry_naming_the_feature_and_changes_nothing():
    net = chain(4)
    version = net.version
    with pytest.raises(SchemaError, match=r"\['P2'\].*LineString"):
        net.set_values("pipes", np.array([1]), "geometry", [shapely.Point(0, 0)])
    assert net.version == version
    line = shapely.LineString([(0, 0), (5, 5)])
    net.set_values("pipes", np.array([1]), "geometry", [line])
    assert net["pipes"].geometry.iat[1].equals(line) and net["pipes"].crs == net.crs


def test_id_lookup_survives_value_edits_and_follows_appends_and_deletions():
    net = chain(8)
    assert net.rows_of("pipes", ["P3", "nope"]).tolist() == [2, -1]
    lookup = net._lookups["pipes"]
    net.set_values("pipes", np.array([0]), "dn", 200)
    assert net._lookups["pipes"] is lookup and lookup.valid == len(net["pipes"])  # nothing rebuilt
    extra = net["pipes"].iloc[[0]].copy()
    extra["id"] = "P99"
    net.add_features("pipes", extra)
    assert net.rows_of("pipes", ["P99", "P1"]).tolist() == [len(net["pipes"]) - 1, 0]
    net.remove_features("pipes", ["P2"])
    ids = net["pipes"]["id"].tolist()
    assert net.rows_of("pipes", ids).tolist() == list(range(len(ids)))
    assert net.rows_of("pipes", ["P2"]).tolist() == [-1]
    assert net.locate("P99") == ("pipes", ids.index("P99"))


def test_duplicate_ids_resolve_to_the_first_row():
    net = chain(3)
    frame = net["pipes"].copy()
    frame["id"] = pd.array(["P1", "P1", "P3"], dtype=frame["id"].dtype)
    net.install_layer("pipes", frame)
    assert net.rows_of("pipes", ["P1", "P3"]).tolist() == [0, 2]


def test_next_id_scans_a_layer_once_and_never_hands_out_an_id_again():
    from console.network import InsertDevice, next_id
    from console.network._edits import _top_numbered

    assert _top_numbered(pd.Series(["P1", "P0009", "X", "J12", "P10"], dtype="str")) == ("J", 2, 12)
    assert _top_numbered(pd.Series(["A", "B"], dtype="str")) is None
    net = chain(4)
    assert next_id(net, "pipes") == "P5" and net._id_tops["pipes"][0] == 4
    edit = InsertDevice(net, "P2", net["pipes"].geometry.iat[1].interpolate(0.5, normalized=True), "valves")
    edit.redo()
    assert edit.created["pipes"] == ["P5"] and next_id(net, "pipes") == "P6"
    edit.undo()
    assert next_id(net, "pipes") == "P6"  # P5 was used by an edit on the redo side: not reused


def test_lookups_from_the_topology_only_when_every_id_is_unique():
    """``index_rows`` takes the node and link layers' lookups from the topology's id indexes, whose positions run
    through the node (link) layers: an id used by two node layers would be found in one only, so then each layer
    indexes its own ids."""
    from tests.builders import chain, make_network

    net = chain(3)
    net.topology  # noqa: B018
    net.index_rows()
    assert type(net._lookups["pipes"].index).__name__ == "_TopologyIds"
    assert net.rows_of("pipes", ["P2", "J1", "nope"]).tolist() == [1, -1, -1]
    assert net.rows_of("junctions", ["P2", "J1"]).tolist() == [-1, 0]
    # a node id and a link id alike are in different indexes: both found
    alike = make_network(
        [("G", "gate_stations", 0, 0), ("X", "junctions", 100, 0), ("E", "end_caps", 200, 0)],
        [("P1", "pipes", "G", "X"), ("X", "pipes", "X", "E")],
    )  # fmt: skip
    alike.topology  # noqa: B018
    alike.index_rows()
    assert type(alike._lookups["pipes"].index).__name__ == "_TopologyIds"
    assert alike.rows_of("pipes", ["X"]).tolist() == [1] and alike.rows_of("junctions", ["X"]).tolist() == [0]
    # a junction and an end cap with one id: the node index finds one of them, so each layer indexes its own
    twice = make_network(
        [("G", "gate_stations", 0, 0), ("X", "junctions", 100, 0), ("X", "end_caps", 200, 0)],
        [("P1", "pipes", "G", "X")],
    )  # fmt: skip
    twice.topology  # noqa: B018
    twice.index_rows()
    assert type(twice._lookups["end_caps"].index).__name__ != "_TopologyIds"
    assert twice.rows_of("junctions", ["X"]).tolist() == [0] and twice.rows_of("end_caps", ["X"]).tolist() == [0]
