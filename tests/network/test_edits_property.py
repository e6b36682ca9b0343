"""Property tests: any random sequence of edits, undone, gives back the exact network; redone, the same edited network;
and the change set between the two, applied to the first, gives the second (demo district and a real GasLib net)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.network import (
    AddPipe,
    ApplyChangeSet,
    ChangeConflict,
    ChangeSetError,
    DeleteFeatures,
    EditRefused,
    InsertDevice,
    MoveFeature,
    ReshapePipe,
    SetAttribute,
    UndoStack,
    changes_from_json,
    changes_to_json,
    diff_networks,
    generate_demo,
)
from tests.builders import make_network
from tests.network.edit_helpers import assert_same_network

GASLIB = Path(__file__).resolve().parents[3] / "shared" / "data" / "gaslib" / "GasLib-24.net"


def _grid():
    """A small meshed network: gate station, 3x3 junctions, pipes along rows and columns, a valve and an end cap."""
    nodes = [("G", "gate_stations", -100, 0)] + [
        (f"J{i}{j}", "junctions", 100 * i, 100 * j) for i in range(3) for j in range(3)
    ]
    nodes += [("E", "end_caps", 300, 200), ("V1a", "junctions", 200, 50), ("V1b", "junctions", 200, 50.5)]
    links = [("P0", "pipes", "G", "J00")]
    k = 1
    for i in range(3):
        for j in range(3):
            if i < 2:
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i + 1}{j}"))
                k += 1
            if j < 2 and not (i == 2 and j == 0):
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i}{j + 1}"))
                k += 1
    links += [("PV1", "pipes", "J20", "V1a"), ("V1", "valves", "V1a", "V1b"), ("PV2", "pipes", "V1b", "J21"),
              (f"P{k}", "pipes", "J22", "E")]  # fmt: skip
    return make_network(nodes, links, sensors=[("S1", "pressure", "J11", 100, 100)])


def _random_edit(net, draw):
    pipes = net["pipes"]["id"].tolist()
    nodes = [i for layer in ("junctions", "end_caps") for i in net[layer]["id"].tolist()]
    kind = draw(st.sampled_from(["add", "insert", "move", "reshape", "delete", "attr"]))
    x0, y0, x1, y1 = net.bounds
    if kind == "add":

        def point():
            if draw(st.booleans()) and nodes:
                return tuple(np.asarray(net.feature(draw(st.sampled_from(nodes)))["geometry"].coords[0]))
            if draw(st.booleans()):
                g = net.feature(draw(st.sampled_from(pipes)))["geometry"]
                p = g.interpolate(draw(st.floats(0.2, 0.8)), normalized=True)
                return (p.x, p.y)
            return (draw(st.floats(x0 - 50, x1 + 50)), draw(st.floats(y0 - 50, y1 + 50)))

        return AddPipe(net, [point(), point()], {"dn": draw(st.sampled_from([63, 110, 160]))}, tolerance=0.01)
    if kind == "insert":
        pid = draw(st.sampled_from(pipes))
        g = net.feature(pid)["geometry"]
        at = g.interpolate(draw(st.floats(0.2, 0.8)), normalized=True)
        return InsertDevice(net, pid, at, draw(st.sampled_from(["valves", "regulators", "end_caps", "sensors"])))
    if kind == "move":
        fid = draw(st.sampled_from(nodes + net["valves"]["id"].tolist()))
        g = net.feature(fid)["geometry"]
        return MoveFeature(net, fid, g.x + draw(st.floats(-30, 30)), g.y + draw(st.floats(-30, 30)))
    if kind == "reshape":
        pid = draw(st.sampled_from(pipes))
        c = np.asarray(net.feature(pid)["geometry"].coords)
        mid = (c[0] + c[-1]) / 2 + np.array([draw(st.floats(-20, 20)), draw(st.floats(-20, 20))])
        return ReshapePipe(net, pid, [c[0], mid, c[-1]])
    if kind == "delete":
        return DeleteFeatures(net, [draw(st.sampled_from(pipes + nodes + net["valves"]["id"].tolist()))])
    chosen = draw(st.lists(st.sampled_from(pipes), min_size=1, max_size=3, unique=True))
    column, value = draw(
        st.sampled_from([("dn", 200), ("material", "steel"), ("pressure_class", "LP"), ("depth_m", 1.2)])
    )
    return SetAttribute(net, "pipes", chosen, column, value)


def _lookups_agree(net):
    """The network's id lookups (kept across edits, patched by each) give every feature's true row."""
    for layer, frame in net.layers.items():
        ids = frame["id"].to_numpy(dtype=object)
        assert net.rows_of(layer, ids).tolist() == list(range(len(ids))), layer
        assert (net.rows_of(layer, ["no such id"]) == -1).all()
        for k in range(min(len(ids), 2)):
            assert net.locate(ids[-1 - k]) == (layer, len(ids) - 1 - k)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_undo_to_the_exact_network_and_the_change_set_replays_them(data):
    net = _grid()
    if data.draw(st.booleans()):  # the lookups as slices of the topology's id indexes (what a review prepares)
        net.topology  # noqa: B018
        net.index_rows()
        assert type(net._lookups["pipes"].index).__name__ == "_TopologyIds"
    original = net.snapshot()
    stack = UndoStack()
    for _ in range(data.draw(st.integers(1, 8))):
        version = net.version
        try:
            edit = _random_edit(net, data.draw)
        except EditRefused:
            assert net.version == version  # a refused edit changes nothing
            continue
        stack.push(edit)
        if data.draw(st.booleans()):
            _lookups_agree(net)
    edited = net.snapshot()
    while stack.can_undo:
        stack.undo()
        if data.draw(st.booleans()):
            _lookups_agree(net)
    assert_same_network(net, original)
    _lookups_agree(original)
    while stack.can_redo:
        stack.redo()
    assert_same_network(net, edited)
    _lookups_agree(net)
    # The change set between the two, through its JSON form, applied to the original gives the edited network.
    changes = changes_from_json(json.loads(json.dumps(changes_to_json(diff_networks(original, edited)))))
    replay = original.snapshot()
    apply = ApplyChangeSet(replay, changes)
    apply.redo()
    assert_same_network(replay, edited, ordered=False)
    apply.undo()
    assert_same_network(replay, original)


def _edit_sample(net, seed=7):
    rng = np.random.default_rng(seed)
    pipes = net["pipes"]["id"].to_numpy(dtype=object)
    for pid in rng.choice(pipes, 3, replace=False):
        g = net.feature(pid)["geometry"]
        InsertDevice(net, str(pid), g.interpolate(0.5, normalized=True), "valves").redo()
    SetAttribute(net, "pipes", list(rng.choice(pipes, 5, replace=False)), "material", "steel").redo()
    node = str(net["junctions"]["id"].iat[int(rng.integers(len(net["junctions"])))])
    g = net.feature(node)["geometry"]
    MoveFeature(net, node, g.x + 3.25, g.y - 1.5).redo()
    end = net["pipes"].geometry.iat[0].interpolate(0.5, normalized=True)
    AddPipe(net, [(end.x + 40, end.y + 40), (end.x, end.y)], tolerance=0.01).redo()


@pytest.mark.parametrize("source", ["demo", "gaslib"])
def test_diff_applied_to_base_gives_edited_on_real_networks(source):
    if source == "demo":
        base = generate_demo(n_pipes=3000, seed=5)
    else:
        from console.io import read_network

        base = read_network(GASLIB)
    edited = base.snapshot()
    _edit_sample(edited)
    changes = diff_networks(base, edited)
    assert {c.op for c in changes} == {"add", "change"}
    target = base.snapshot()
    ApplyChangeSet(target, changes_from_json(json.loads(json.dumps(changes_to_json(changes))))).redo()
    assert_same_network(target, edited, ordered=False)
    assert diff_networks(target, edited) == []


def test_change_set_against_another_base_is_refused_and_nothing_written():
    base = _grid()
    edited = base.snapshot()
    SetAttribute(edited, "pipes", ["P1"], "dn", 200).redo()
    changes = diff_networks(base, edited)
    other = base.snapshot()
    SetAttribute(other, "pipes", ["P1"], "dn", 160).redo()
    version = other.version
    with pytest.raises(ChangeConflict, match=r"pipe P1: dn is 160 here, the change set expected 110") as info:
        ApplyChangeSet(other, changes)
    assert info.value.feature_id == "P1" and info.value.current == {"dn": 160}
    assert other.version == version
    gone = base.snapshot()
    DeleteFeatures(gone, ["P1"]).redo()
    with pytest.raises(ChangeConflict, match="pipe P1 is no longer in the network"):
        ApplyChangeSet(gone, changes)


def test_change_set_that_breaks_topology_is_refused():
    base = _grid()
    bad = changes_from_json([{"op": "change", "layer": "pipes", "id": "P1", "before": {"to_node": "J10"},
                              "after": {"to_node": "NOPE"}}])  # fmt: skip
    with pytest.raises(ChangeSetError, match="P1: to_node NOPE is not a node"):
        ApplyChangeSet(base, bad)
    with pytest.raises(ChangeSetError, match="J10 .*|P1 still ends at a node"):
        ApplyChangeSet(base, changes_from_json([{"op": "delete", "layer": "junctions", "id": "J10",
                                                 "before": {"id": "J10"}}]))  # fmt: skip


@pytest.mark.parametrize(
    "item, message",
    [
        ({"op": "zap", "layer": "pipes", "id": "P1"}, "op 'zap'"),
        ({"op": "add", "layer": "roads", "id": "P1"}, "unknown layer 'roads'"),
        ({"op": "add", "layer": "pipes", "id": ""}, "no feature id"),
        ({"op": "add", "layer": "pipes", "id": "P9", "after": {"geometry": "zz"}}, "P9.*not valid hex WKB"),
        ({"op": "add", "layer": "pipes", "id": "P9", "after": {"dn": [1]}}, "column 'dn' holds a list"),
        ("nonsense", "is not an object"),
    ],
)
def test_malformed_change_sets_are_clear_errors(item, message):
    with pytest.raises(ChangeSetError, match=message):
        changes_from_json([item], "cs.json")


def test_geometry_round_trip_is_exact():
    line = shapely.LineString([(41_405_000.123456789, 3_320_000.987654321), (41_405_100.1, 3_320_000.3)])
    base = _grid()
    edited = base.snapshot()
    SetAttribute(edited, "pipes", ["P1"], "geometry", [line]).redo()
    target = base.snapshot()
    ApplyChangeSet(
        target, changes_from_json(json.loads(json.dumps(changes_to_json(diff_networks(base, edited)))))
    ).redo()
    assert target.feature("P1")["geometry"].wkb == line.wkb
