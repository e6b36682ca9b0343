"""Isolation and what-if on the workstation's map (issue 19): with two breaks the dock's buttons stay whole in a
narrow column, the valve ids beside the numbered markers never overlap, the valves a what-if closes are marked on the
map, and contour bands are smooth curves instead of the grid's cell steps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from console.isolation import Break, IsolationRequest
from console.ui.isolation._items import NumberedMarkersItem, place_names
from console.ui.isolation._style import STEP_RADIUS_PX, overlay_colors
from console.ui.simulation._overlay import smooth_lines, smooth_rings
from tests.ui.conftest import SETTLE_TIMEOUT_MS


def test_two_breaks_keep_every_button_of_the_dock_whole(qtbot, window):
    ctrl = window.extensions["isolation"]
    with qtbot.waitSignal(ctrl.resultChanged, timeout=SETTLE_TIMEOUT_MS):
        ctrl.run(IsolationRequest((Break("PH3_3", 0.5), Break("PH12_12", 0.5))))
    dock = ctrl.dock
    assert "PH3_3" in dock.title.text() and "PH12_12" in dock.title.text()
    dock.show()
    dock.setFloating(True)  # a column of 340 px, whatever the other docks' minimum widths
    dock.resize(340, 720)
    qtbot.waitUntil(lambda: dock.width() <= 345, timeout=SETTLE_TIMEOUT_MS)
    QApplication.processEvents()
    viewport = dock.widget().viewport()
    for b in (dock.failed_button, dock.zoom_button, dock.clear_button, dock.export_plan_button,
              dock.export_customers_button, dock.tool_button):  # fmt: skip
        right = b.mapTo(viewport, QPoint(b.width() - 1, 0)).x()
        assert right < viewport.width(), b.text()  # not cut by the dock's edge
        assert b.width() >= b.sizeHint().width() - 1, b.text()  # not squeezed ("Cle")
    assert not dock.widget().horizontalScrollBar().isVisible()


def test_names_go_where_nothing_else_is():
    # five markers 12 px apart in a row: ids may not all go right; none may overlap a marker or another id
    centres = np.array([[100.0 + 12 * k, 100.0] for k in range(5)])
    sizes = np.array([[60.0, 14.0]] * 5)
    boxes = place_names(centres, sizes, STEP_RADIUS_PX)
    placed = [(x, y, x + w, y + h) for b, (w, h) in zip(boxes, sizes, strict=True) if b is not None for x, y in [b]]
    assert len(placed) >= 3  # right of the last, left of the first, above/below of others
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        for cx, cy in centres:
            r = STEP_RADIUS_PX
            assert a[2] <= cx - r or cx + r <= a[0] or a[3] <= cy - r or cy + r <= a[1]


def test_crowded_plan_markers_draw_their_ids_without_overlap(qtbot, canvas):
    item = NumberedMarkersItem(overlay_colors("dark"))
    mpp = canvas.metres_per_pixel()
    x0, y0, x1, y1 = canvas.map_range()
    cx, cy = canvas.to_local((x0 + x1) / 2, (y0 + y1) / 2)
    xy = np.array([[cx + k * 9 * mpp, cy + (k % 2) * 7 * mpp] for k in range(8)])
    item.set_markers(xy, [str(k + 1) for k in range(8)], np.ones(8, bool), np.zeros(8, bool),
                     [f"V-{1000 + k}" for k in range(8)])  # fmt: skip
    canvas.add_overlay(item, 60)
    canvas.viewport().grab()  # paint
    boxes = [b for b in item.name_boxes() if b is not None]
    assert 1 <= len(boxes) <= 8
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
    canvas.remove_overlay(item)


def test_what_if_closed_valves_are_marked_on_the_map(qtbot, window):
    ctrl = window.extensions["simulation"]
    with qtbot.waitSignal(ctrl.simulated, timeout=60_000):
        ctrl.action.trigger()  # the base case (F5)
    valves = list(window.network["valves"]["id"][:2])
    with qtbot.waitSignal(ctrl.service.what_if_changed, timeout=60_000):
        ctrl.compare(", ".join(valves))
    assert ctrl.closed_marks.shown_ids() == valves
    assert ctrl.closed_marks.marks.scene() is window.canvas.view.scene()
    assert [lab.toPlainText() for lab in ctrl.closed_marks.labels] == [f"{v} closed" for v in valves]
    pts = ctrl.closed_marks.marks.data["x"], ctrl.closed_marks.marks.data["y"]
    layer, row = window.network.locate(valves[0])
    g = window.network[layer].geometry.array[row]
    assert (pts[0][0], pts[1][0]) == pytest.approx(window.canvas.to_local(g.x, g.y))
    ctrl._clear()  # the service forgot its result (another network): the marks go with it
    assert ctrl.closed_marks.shown_ids() == []


def test_contour_bands_are_smoothed_inside_their_rings():
    # a staircase ring (the contour grid's cells) becomes a curve: more points, no right-angle corners left,
    # and every new point inside the old ring's hull
    stair = np.array([[0, 0], [4, 0], [4, 1], [3, 1], [3, 2], [2, 2], [2, 3], [0, 3]], dtype=float)
    pts, offs = smooth_rings(stair, np.array([0, len(stair)]))
    assert offs.tolist() == [0, 4 * len(stair)] and len(pts) == 4 * len(stair)
    assert pts[:, 0].min() >= 0 and pts[:, 0].max() <= 4 and pts[:, 1].min() >= 0 and pts[:, 1].max() <= 3
    assert not any((pts == corner).all(axis=1).any() for corner in stair[1:-1])  # corners cut
    # open isobars keep their end points; NaN breaks stay breaks
    lines = np.array([[0, 0], [1, 0], [1, 1], [np.nan, np.nan], [5, 5], [6, 5]], dtype=float)
    out = smooth_lines(lines)
    finite = out[np.isfinite(out).all(axis=1)]
    assert finite[0].tolist() == [0, 0] and [1, 1] in finite.tolist() and finite[-1].tolist() == [6, 5]
    assert np.isnan(out).any()
