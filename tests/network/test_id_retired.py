"""A deleted feature's id is never handed out again in the same session (ids share one namespace across layers):
otherwise a change set deletes one feature and adds another under its id, which the master (still holding the
deleted feature until the change set's own delete) reports as an insert-insert conflict."""

from __future__ import annotations

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from console.network import AddPipe, ApplyChangeSet, DeleteFeatures, InsertDevice, diff_networks, find_conflicts
from tests.builders import ORIGIN, chain, make_network


def _network():
    nodes = [("G", "gate_stations", 0, 0), ("J1", "junctions", 100, 0), ("J2", "junctions", 200, 0),
             ("E", "end_caps", 300, 0)]  # fmt: skip
    links = [("S1", "pipes", "G", "J1"), ("S2", "pipes", "J1", "J2"), ("P9", "pipes", "J2", "E")]
    return make_network(nodes, links)


def test_a_sensor_added_after_deleting_pipe_s1_is_not_given_s1_and_the_change_set_applies():
    net = _network()
    base = net.snapshot()
    DeleteFeatures(net, ["S1"]).redo()
    edit = InsertDevice(net, "S2", shapely.Point(ORIGIN[0] + 150, ORIGIN[1]), "sensors")
    edit.redo()
    assert "S1" not in net["sensors"]["id"].tolist()
    changes = diff_networks(base, net)
    assert len({c.feature_id for c in changes}) == len(changes)  # one change per id: no delete + add of one id
    master = base.snapshot()
    assert find_conflicts(master, changes) == []
    ApplyChangeSet(master, changes).redo()
    assert diff_networks(master, net) == []


def test_an_undone_delete_still_retires_the_id_and_snapshots_keep_their_own_memory():
    net = chain(3)
    snap = net.snapshot()
    edit = DeleteFeatures(net, ["P3"])
    edit.redo()
    edit.undo()
    DeleteFeatures(net, ["P3"]).redo()
    AddPipe(net, [(ORIGIN[0] + 100, ORIGIN[1]), (ORIGIN[0] + 100, ORIGIN[1] + 80)]).redo()
    assert "P3" not in net["pipes"]["id"].tolist()
    # the snapshot taken before the delete never saw it: P3 exists there, its next pipe is P4
    assert snap["pipes"]["id"].tolist() == ["P1", "P2", "P3"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["delete", "sensor", "valve", "pipe"]), st.integers(0, 50)), max_size=8))
def test_new_ids_never_reuse_an_id_of_the_session_base(steps):
    net = chain(6)
    base = net.snapshot()
    base_ids = {i for layer in ("pipes", "junctions", "valves", "sensors", "end_caps", "gate_stations")
                for i in base[layer]["id"].tolist()}  # fmt: skip
    for op, k in steps:
        pipes = net["pipes"]["id"].tolist()
        if not pipes:
            break
        pid = pipes[k % len(pipes)]
        geom = net["pipes"].geometry.iat[k % len(pipes)]
        try:
            if op == "delete":
                DeleteFeatures(net, [pid]).redo()
            elif op == "pipe":
                start = geom.interpolate(0.5, normalized=True)
                AddPipe(net, [(start.x, start.y), (start.x, start.y + 40 + k)]).redo()
            else:
                InsertDevice(net, pid, geom.interpolate(0.5, normalized=True),
                             "sensors" if op == "sensor" else "valves").redo()  # fmt: skip
        except Exception:  # a refused edit (too short a pipe, a dependant): nothing was done
            continue
    changes = diff_networks(base, net)
    added = {c.feature_id for c in changes if c.op == "add"}
    assert not added & base_ids
    assert len({(c.feature_id) for c in changes}) == len(changes)
    master = base.snapshot()
    assert find_conflicts(master, changes) == []
    ApplyChangeSet(master, changes).redo()
    assert diff_networks(master, net) == []
