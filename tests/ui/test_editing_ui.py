"""Editing in the window: draw a pipe with snapping, insert a valve, move a node, undo all, redo all, save, reopen —
identical; the form refuses bad values; the table edits several rows; submit and approve in the review view."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication

from console.io import read_network, write_network
from console.network import SetAttribute
from console.ui.editing import LayerTableModel
from tests.builders import ORIGIN, make_network
from tests.network.edit_helpers import assert_same_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS, drag, send_mouse, wait_settled

OX, OY = ORIGIN
SHOTS = Path(os.environ.get("GASOPS_SHOTS", "")) if os.environ.get("GASOPS_SHOTS") else None


def _net():
    nodes = [("G", "gate_stations", -100, 0)] + [
        (f"J{i}{j}", "junctions", 150 * i, 150 * j) for i in range(3) for j in range(3)
    ]
    links = [("P0", "pipes", "G", "J00")]
    k = 1
    for i in range(3):
        for j in range(3):
            if i < 2:
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i + 1}{j}"))
                k += 1
            if j < 2:
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i}{j + 1}"))
                k += 1
    return make_network(nodes, links, name="editing test")


@pytest.fixture
def edit_window(qtbot, tmp_path, monkeypatch):
    from console.ui.main_window import MainWindow

    asked = []
    monkeypatch.setattr(MainWindow, "confirm_discard", lambda self: asked.append(1) or True)  # never a modal prompt

    path = tmp_path / "ws" / "network.gpkg"
    path.parent.mkdir()
    write_network(_net(), path)
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.open_path(path)
    w.canvas.set_map_range(OX - 60, OY - 60, OX + 360, OY + 360)
    wait_settled(qtbot, w.canvas)
    yield w, path
    w.setWindowModified(False)
    w.close()


def _shot(widget, name):
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def _pos(w, x, y) -> QPointF:
    return w.canvas.map_to_widget(x, y)


def test_draw_insert_move_undo_redo_save_reopen(qtbot, edit_window):
    w, path = edit_window
    ed = w.extensions["editing"]
    original = w.network.snapshot()
    viewport = w.canvas.viewport()
    # draw: hover shows the snap marker on the pipe P1 (J00 → J10), click there, click in the open, finish
    ed.tool_actions["add_pipe"].trigger()
    assert ed.tool.mode == "add_pipe"
    hover = _pos(w, OX + 75, OY + 3)
    send_mouse(viewport, QEvent.Type.MouseMove, hover, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    assert ed.tool.target.kind == "pipe" and ed.tool.target.feature_id == "P1"
    assert len(ed.tool.marker.data) == 1
    ed.tool.click(OX + 75, OY + 3)
    ed.tool.click(OX + 75, OY - 50)
    send_mouse(
        viewport, QEvent.Type.MouseMove, _pos(w, OX + 153, OY + 4), Qt.MouseButton.NoButton, Qt.MouseButton.NoButton
    )
    assert (ed.tool.target.kind, ed.tool.target.feature_id) == ("node", "J10")  # the marker shows the node it snaps to
    _shot(w, "editing_draw_snap")
    ed.tool.finish()
    assert ed.stack.count() == 1 and w.isWindowModified()
    new_pipe = w.network["pipes"]["id"].iat[-1]
    assert w.network.feature(new_pipe)["geometry"].coords[0] == (OX + 75, OY)  # snapped onto P1, which was split
    # insert a valve on P3 (J00 → J01)
    ed.tool_actions["valves"].trigger()
    ed.tool.click(OX + 2, OY + 70)
    assert ed.stack.count() == 2 and len(w.network["valves"]) == 1
    # move J11 by dragging it with the mouse: one undo step, pipe ends follow
    ed.tool_actions["move"].trigger()
    wait_settled(qtbot, w.canvas)
    drag(qtbot, viewport, _pos(w, OX + 150, OY + 150), _pos(w, OX + 180, OY + 170))
    assert ed.stack.count() == 3
    x, y = w.network.feature("J11")["geometry"].coords[0]
    assert abs(x - (OX + 180)) < 2 and abs(y - (OY + 170)) < 2
    pipes = w.network["pipes"]
    starts = pipes[pipes["from_node"] == "J11"].geometry
    ends = pipes[pipes["to_node"] == "J11"].geometry
    assert len(starts) + len(ends) == 4
    assert all(g.coords[0] == (x, y) for g in starts) and all(g.coords[-1] == (x, y) for g in ends)
    edited = w.network.snapshot()
    while ed.stack.canUndo():
        ed.stack.undo()
    assert_same_network(w.network, original)
    assert not w.isWindowModified()
    while ed.stack.canRedo():
        ed.stack.redo()
    assert_same_network(w.network, edited)
    assert "*" in w.windowTitle() or w.isWindowModified()
    assert w.save()
    assert not w.isWindowModified()
    assert_same_network(read_network(path), edited, ordered=False)
    ed.set_mode(None)


def test_form_refuses_bad_values_and_table_edits_rows(qtbot, edit_window):
    w, _path = edit_window
    ed = w.extensions["editing"]
    form = ed.edit_selected("P1")
    form.set_value("length_m", "abc")
    form.accept()
    assert form.isVisible() and "length_m: 'abc' is not a number" in form.error_label.text()
    form.set_value("length_m", "150")
    form.set_value("inner_diameter_mm", "0")
    form.accept()
    assert "must be positive" in form.error_label.text()
    form.set_value("inner_diameter_mm", "90")
    form.set_value("pressure_class", "LP")
    form.accept()
    assert "a class change needs a regulator" in form.error_label.text()
    form.set_value("pressure_class", "MP-A")
    form.set_value("material", "steel")
    form.set_value("dn", "160")
    form.set_value("inner_diameter_mm", "147.6")
    _shot(form, "editing_form")
    form.accept()
    assert not form.isVisible()
    p1 = w.network.feature("P1")
    assert (p1["material"], p1["dn"], p1["inner_diameter_mm"]) == ("steel", 160, 147.6)
    assert ed.stack.count() == 1  # the form's changes are one undo step
    table = ed.show_table("pipes")
    model = table.model
    col = model.columns.index("install_year")
    assert model.setData(model.index(0, col), "2021")
    assert not model.setData(model.index(0, col), "twenty")  # refused, never coerced
    assert "not a number" in ed.last_refusal
    table.view.selectRow(1)
    table.view.selectionModel().select(
        table.model.index(2, 0),
        table.view.selectionModel().SelectionFlag.Select | table.view.selectionModel().SelectionFlag.Rows,
    )
    ids = table.selected_ids()
    assert ids == [model.feature_id(1), model.feature_id(2)]
    before = w.network["pipes"].set_index("id").loc[ids, "material"].tolist()
    model.edit("pipes", ids, "material", "PE80")
    assert set(w.network["pipes"].set_index("id").loc[ids, "material"]) == {"PE80"}
    _shot(w, "editing_table")
    ed.stack.undo()
    assert w.network["pipes"].set_index("id").loc[ids, "material"].tolist() == before


def test_table_costs_nothing_until_shown_then_reads_lazily(qtbot, edit_window, monkeypatch):
    w, _path = edit_window
    ed = w.extensions["editing"]
    table, model = ed.table, ed.table.model
    assert not table.isVisible()
    # the shown network reached the hidden dock only as a reference: the model holds nothing, read nothing
    assert model.network is None and model.rowCount() == 0 and model._arrays == {}
    ed.push(SetAttribute(w.network, "pipes", ["P1"], "material", "steel"))  # an edit while hidden: marked stale only
    assert model.network is None and table._stale
    reads = []
    monkeypatch.setattr(LayerTableModel, "column_array", _counting(LayerTableModel.column_array, reads))
    ed.show_table("pipes")
    QApplication.processEvents()
    pipes = w.network["pipes"]
    assert model.rowCount() == len(pipes) and model.columnCount() == len(model.columns)
    assert set(reads) <= set(model.columns)  # whole columns, never rows: at most one read per painted column
    assert model.data(model.index(1, 0)) == pipes["id"].iat[1]
    assert model.data(model.index(1, model.columns.index("material"))) == str(pipes["material"].iat[1])
    # sort: one argsort of the column, rows follow (a stable sort, like pandas' mergesort)
    dn = model.columns.index("dn")
    model.sort(dn, Qt.SortOrder.DescendingOrder)
    expected = pipes["dn"].to_numpy()
    shown = [int(model.data(model.index(r, dn))) for r in range(model.rowCount())]
    assert shown == sorted(expected.tolist(), reverse=True)
    order = pipes.iloc[np.argsort(pipes["dn"].to_numpy(), kind="stable")[::-1]]["id"].tolist()
    assert [model.feature_id(r) for r in range(model.rowCount())] == order
    # filter: the rows any of whose cells contain the text (case-insensitive), still sorted
    model.set_filter("steel")
    hits = pipes[pipes.astype(str).apply(lambda c: c.str.contains("steel", case=False)).any(axis=1)]
    assert model.rowCount() == len(hits) >= 1
    assert {model.feature_id(r) for r in range(model.rowCount())} == set(hits["id"])
    # the selection names the features shown in those rows, whatever the sort
    table.view.selectRow(0)
    assert table.selected_ids() == [model.feature_id(0)]
    model.set_filter("")
    # an edit while shown re-reads the columns
    before = model.rowCount()
    ed.stack.undo()
    QApplication.processEvents()
    assert model.rowCount() == before
    row = [model.feature_id(r) for r in range(model.rowCount())].index("P1")
    assert model.data(model.index(row, model.columns.index("material"))) == w.network.feature("P1")["material"]


def _counting(fn, log):
    def wrapper(self, column):
        if column not in self._arrays:
            log.append(column)
        return fn(self, column)

    return wrapper


def test_submit_review_approve(qtbot, edit_window):
    w, path = edit_window
    ed = w.extensions["editing"]
    ed.tool_actions["valves"].trigger()
    ed.tool.click(OX + 150, OY + 75)  # on the pipe J10 → J11, inside a loop of the mesh
    ed.set_mode(None)
    cs = ed.submit("valve on the east main")
    assert cs is not None and cs.counts()["add"] == 4
    dock = ed.review
    assert dock.isVisible() and dock.list.count() == 1
    dock.list.setCurrentRow(0)
    assert dock.table.rowCount() >= 4
    ed.review_effect(cs.change_id)  # a job: the effect arrives when it is done
    qtbot.waitUntil(lambda: ed.last_effect is not None, timeout=SETTLE_TIMEOUT_MS)  # the whole effect, not the partial
    # a valve inside a loop isolates nothing: the review says so before it is built
    assert "valve segments: 1 → 1 (0 split, 0 merged); valves made useless: V1" in dock.effect.toPlainText()
    qtbot.wait(100)  # the dock layout settles
    assert dock.width() >= 600 and dock.height() >= w.height() // 2  # room to read the diff and the effect
    _shot(w, "editing_review")
    ed.approve(cs.change_id)
    assert ed.service.get(cs.change_id).status == "approved"
    master = read_network(path)
    assert len(master["valves"]) == 1
    QApplication.processEvents()


def test_validation_dock_follows_edits_undo_and_redo(qtbot, edit_window):
    w, _path = edit_window
    ed = w.extensions["editing"]
    dock = ed.validation_dock
    assert ed.validation.version is None and not dock.isVisible()  # nothing checked while the dock is hidden
    ed.show_validation()
    qtbot.waitUntil(lambda: ed.validation.version is not None, timeout=SETTLE_TIMEOUT_MS)
    assert dock.feature_rows() == [] and "No problems" in dock.summary.text()
    # a class change without a regulator: both ends of the pipe are findings, found around the edit alone
    ed.push(SetAttribute(w.network, "pipes", ["P1"], "pressure_class", "LP"))
    rows = dict((fid, text) for text, fid in dock.feature_rows())
    ends = {w.network.feature("P1")["from_node"], w.network.feature("P1")["to_node"]}
    assert ends <= set(rows) and all(rows[e].startswith("class change without regulator") for e in ends)
    assert "error" in dock.summary.text()
    # a pipe drawn to nowhere ends at a bare junction
    ed.tool_actions["add_pipe"].trigger()
    ed.tool.click(OX + 150, OY + 150)
    ed.tool.click(OX + 250, OY + 260)
    ed.tool.finish()
    ed.set_mode(None)
    dangling = {fid for text, fid in dock.feature_rows() if text.startswith("dangling end")}
    assert len(dangling) == 1
    # the report kept incrementally is the report of the whole network
    from console.app.editing import LiveValidation

    assert set(ed.validation.findings) == set(LiveValidation.compute(w.network))
    qtbot.wait(100)
    _shot(w, "editing_validation")
    # click a row: the map zooms to that feature
    zoomed = []
    dock.featureSelected.connect(zoomed.append)
    item = dock.tree.topLevelItem(0).child(0).child(0)
    dock.tree.itemClicked.emit(item, 0)
    assert zoomed == [item.data(0, Qt.ItemDataRole.UserRole)]
    ed.stack.undo()
    assert not {fid for text, fid in dock.feature_rows() if text.startswith("dangling end")}
    ed.stack.undo()
    assert dock.feature_rows() == [] and set(ed.validation.findings) == set()
    ed.stack.redo()
    assert ends <= {fid for _t, fid in dock.feature_rows()}


def test_conflict_dialog_shows_three_versions_and_resolves_per_feature(qtbot, edit_window):
    w, path = edit_window
    ed = w.extensions["editing"]
    ed.push(SetAttribute(w.network, "pipes", ["P1"], "material", "steel"))
    ed.push(SetAttribute(w.network, "pipes", ["P2"], "depth_m", 1.7))
    cs = ed.submit("reline P1, deepen P2")
    # another planner's change set reached the master first
    other = read_network(path)
    SetAttribute(other, "pipes", ["P1"], "material", "cast_iron").redo()
    SetAttribute(other, "pipes", ["P2"], "depth_m", 0.9).redo()
    write_network(other, path)
    ed.approve(cs.change_id)
    dialog = ed.conflict_dialog
    assert dialog.isVisible() and ed.service.get(cs.change_id).status == "submitted"
    rows = {r[0]: r for r in dialog.rows() if r[0]}
    assert rows["P1"][1:] == ["update-update", "material", "PE100", "steel", "cast_iron"]
    assert rows["P2"][2:] == ["depth_m", "—", "1.7", "0.9"]  # the ancestor had no depth recorded
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOTS / "editing_conflict.png"))
    dialog.set_resolution("P1", "branch")
    dialog.set_resolution("P2", "master")
    dialog.accept()
    assert ed.service.get(cs.change_id).status == "approved"
    master = read_network(path)
    assert master.feature("P1")["material"] == "steel" and master.feature("P2")["depth_m"] == 0.9


def test_box_selection_deletes_with_dependants_or_refuses(qtbot, edit_window):
    w, _path = edit_window
    ed = w.extensions["editing"]
    before = w.network.snapshot()
    ed.tool_actions["select"].trigger()
    assert ed.tool.mode == "select"
    # drag a box around the north-east cell of the mesh: its four pipes lie wholly inside
    drag(qtbot, w.canvas.viewport(), _pos(w, OX + 130, OY + 130), _pos(w, OX + 320, OY + 320))
    chosen = set(ed.tool.selection)
    pipes = w.network["pipes"]
    box = shapely.box(OX + 130, OY + 130, OX + 320, OY + 320)
    inside = {str(i) for i, g in zip(pipes["id"], pipes.geometry, strict=True) if box.covers(g)}
    assert chosen == inside and len(chosen) == 4
    _shot(w, "editing_box_select")
    # a click on another pipe adds it; a second click drops it again
    ed.tool.click(OX + 225, OY)
    assert len(ed.tool.selection) == 5
    ed.tool.click(OX + 225, OY)
    assert set(ed.tool.selection) == chosen
    ed.delete_selected()
    assert not chosen & set(w.network["pipes"]["id"]) and ed.tool.selection == []
    assert "J22" not in set(w.network["junctions"]["id"])  # the corner left with nothing attached went with them
    assert ed.stack.count() == 1
    ed.stack.undo()
    assert_same_network(w.network, before)
    # the gate station cannot go while pipes still start there: a clear refusal, nothing deleted
    ed.tool.set_selection(["G"])
    version = w.network.version
    from PySide6.QtWidgets import QMessageBox

    shown = []
    original = QMessageBox.information
    QMessageBox.information = lambda *a, **k: shown.append(a[2])
    try:
        ed.delete_selected()
    finally:
        QMessageBox.information = original
    assert w.network.version == version and shown and "G" in shown[0]
    ed.set_mode(None)


def test_the_review_shows_validation_and_segments_while_the_hydraulics_are_solved(qtbot, edit_window, monkeypatch):
    """The first review of a master never solved waits for its steady state; validation and valve segments are shown
    meanwhile, with the hydraulics' progress, and the pressures follow when the steady states are solved."""
    import threading

    w, _path = edit_window
    ed = w.extensions["editing"]
    ed.tool_actions["valves"].trigger()
    ed.tool.click(OX + 150, OY + 75)
    ed.set_mode(None)
    cs = ed.submit("valve on the east main")
    qtbot.waitUntil(lambda: not w.jobs.busy("editing.prefetch"), timeout=SETTLE_TIMEOUT_MS)
    release, real = threading.Event(), ed.service.steady_state

    def slow(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(ed.service, "steady_state", slow)
    ed.review_effect(cs.change_id)
    dock = ed.review
    qtbot.waitUntil(lambda: "hydraulics:" in dock.effect.toPlainText(), timeout=SETTLE_TIMEOUT_MS)
    text = dock.effect.toPlainText()
    assert "valve segments: 1 → 1" in text and "minimum pressure" not in text
    release.set()
    qtbot.waitUntil(lambda: "minimum pressure per pressure system" in dock.effect.toPlainText(),
                    timeout=SETTLE_TIMEOUT_MS)  # fmt: skip
    assert "hydraulics:" not in dock.effect.toPlainText()
