"""A topology derived from an earlier version's and the edits since (``derive_topology``) equals, array for array, the
one built from scratch — after random edit sessions, their undos and redos, and a change set applied to a snapshot."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.network import ApplyChangeSet, EditRefused, SetAttribute, UndoStack, diff_networks, generate_demo
from console.network._topology import build_topology, derive_topology
from tests.app.test_review_local import _more_edit, _network
from tests.network.test_edits_property import _random_edit

ARRAYS = ("node_layer", "node_row", "node_xy", "link_layer", "link_row", "link_from", "link_to", "indptr",
          "adj_node", "adj_link", "component")  # fmt: skip


def assert_same_topology(derived, full) -> None:
    for name in ARRAYS:
        a, b = getattr(derived, name), getattr(full, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b), name
    assert derived.n_components == full.n_components
    assert derived.node_id_text.equals(full.node_id_text) and derived.link_id_text.equals(full.link_id_text)
    ids = np.concatenate([full.node_ids, np.array(["no such node", ""], dtype=object)])
    assert derived.node_index(ids).tolist() == full.node_index(ids).tolist()
    assert derived.link_index(full.link_ids).tolist() == full.link_index(full.link_ids).tolist()


def _check(net) -> None:
    """The network's own topology (derived when its cache holds an earlier one) against a fresh build. Its link id
    index is built, so that the next derivation patches it (the node index is always patched)."""
    assert_same_topology(net.topology, build_topology(net))
    assert "link_index" in net.topology._lazy


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_derived_topology_equals_the_full_build_through_edits_undo_and_redo(data):
    net = _network()
    net.topology  # noqa: B018 - the version the first derivation starts from
    stack = UndoStack()
    for _ in range(data.draw(st.integers(1, 8))):
        try:
            edit = (_more_edit if data.draw(st.booleans()) else _random_edit)(net, data.draw)
        except EditRefused:
            continue
        try:
            stack.push(edit)
        except EditRefused:
            continue
        if data.draw(st.booleans()):
            _check(net)  # sometimes several edits pass between two derivations
    _check(net)
    while stack.can_undo:
        stack.undo()
        if data.draw(st.booleans()):
            _check(net)
    _check(net)
    while stack.can_redo:
        stack.redo()
    _check(net)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_change_set_applied_to_a_snapshot_derives_from_the_masters_topology(data):
    master = _network()
    edited = master.snapshot()
    for _ in range(data.draw(st.integers(1, 5))):
        try:
            (_more_edit if data.draw(st.booleans()) else _random_edit)(edited, data.draw).redo()
        except EditRefused:
            continue
    master.topology  # noqa: B018 - cached on the master, copied into its snapshot
    branch = master.snapshot()
    ApplyChangeSet(branch, diff_networks(master, edited)).redo()
    _check(branch)
    # the branch's nodes and links in the master's numbering: by the derivation's integer maps, as by their ids
    if branch.version > master.version:
        assert branch.topology._lazy.get("derived_from") is not None
    fresh = build_topology(branch)
    for what in ("nodes", "links"):
        by_map = branch.topology.positions_in(master.topology, what)
        by_id = fresh.positions_in(master.topology, what)
        assert by_map.tolist() == by_id.tolist(), what


def test_values_edits_that_do_not_move_ends_or_nodes_and_a_moved_end():
    net = generate_demo(n_pipes=2000, seed=5)
    first = net.topology
    ids = net["pipes"]["id"].tolist()
    SetAttribute(net, "pipes", ids[:50], "dn", 160).redo()
    _check(net)
    SetAttribute(net, "pipes", ids[10:12], "to_node", net["junctions"]["id"].iat[0]).redo()
    edits = net.edits_since(0)
    assert edits is not None and len(edits) == 2
    derived = derive_topology(first, net, edits)
    assert derived is not None
    assert_same_topology(derived, build_topology(net))
    _check(net)


def test_too_many_replaced_rows_or_unlogged_edits_build_in_full(monkeypatch):
    import console.network._topology as topology

    net = _network()
    first = net.topology
    net.replace_layer("junctions", net["junctions"])  # not a row-level edit: every row of the layer counts as replaced
    edits = net.edits_since(0)
    assert edits is not None and edits[0].keep == 0
    assert_same_topology(derive_topology(first, net, edits), build_topology(net))
    monkeypatch.setattr(topology, "DERIVE_MAX_ROWS", len(net["junctions"]) - 1)
    assert derive_topology(first, net, edits) is None
    _check(net)
    assert net.edits_since(net.version + 1) is None
