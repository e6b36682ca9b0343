"""Undo and redo of a values edit put back the layer as it was (the very frame, no column copied), and fall back to
writing the values when another edit replaced the layer in between — exact either way."""

from __future__ import annotations

import numpy as np

from console.network import SetAttribute, UndoStack
from tests.builders import chain
from tests.network.edit_helpers import assert_same_network


def test_undo_and_redo_reinstall_the_frames_without_copying():
    net = chain(3)
    original, start = net["pipes"], net.snapshot()
    edit = SetAttribute(net, "pipes", ["P2"], "geometry", [net["pipes"].geometry.iat[2]])
    edit.redo()
    after = net["pipes"]
    edit.undo()
    assert net["pipes"] is original
    edit.redo()
    assert net["pipes"] is after
    edit.undo()
    assert_same_network(net, start)
    assert net.edits_since(start.version) is not None  # each logged as a values edit (derived structures update)


def test_an_edit_in_between_falls_back_to_writing_the_values():
    net = chain(3)
    start = net.snapshot()
    edit = SetAttribute(net, "pipes", ["P1", "P3"], "dn", 160)
    edit.redo()
    edited = net.snapshot()
    net.set_values("pipes", np.array([1]), "material", "steel")  # not through the edit: the frame is replaced
    edit.undo()
    assert net["pipes"]["dn"].tolist() == start["pipes"]["dn"].tolist()
    assert net["pipes"]["material"].iat[1] == "steel"
    edit.redo()
    assert net["pipes"]["dn"].tolist() == edited["pipes"]["dn"].tolist()


def test_merged_edits_undo_to_the_first_ones_before_and_redo_to_the_last_value():
    net = chain(2)
    start = net.snapshot()
    stack = UndoStack()
    stack.push(SetAttribute(net, "pipes", ["P1"], "dn", 160))
    stack.push(SetAttribute(net, "pipes", ["P1"], "dn", 200))
    assert len(stack) == 1
    stack.undo()
    assert_same_network(net, start)
    stack.redo()
    assert int(net["pipes"]["dn"].iat[0]) == 200
    stack.undo()
    stack.redo()
    assert int(net["pipes"]["dn"].iat[0]) == 200
