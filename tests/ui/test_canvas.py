"""The map canvas: navigation, identify by click, selection, and what the rendered map actually shows."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPointF

from console.errors import UnknownFeatureError
from tests.ui.conftest import click, drag, image_array, rgb, wait_settled, wheel


def _midpoint(network, feature_id: str) -> tuple[float, float]:
    layer, row = network.locate(feature_id)
    p = shapely.line_interpolate_point(network[layer].geometry.array[row], 0.5, normalized=True)
    return p.x, p.y


def _size(box) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


def test_shows_the_whole_network_with_aspect_one_and_y_up(canvas, network):
    xmin, ymin, xmax, ymax = network.bounds
    view = canvas.map_range()
    assert view[0] <= xmin and view[1] <= ymin and view[2] >= xmax and view[3] >= ymax
    # 1:1 aspect: a metre is as many pixels across as up.
    w, h = _size(view)
    assert w / canvas.viewport().width() == pytest.approx(h / canvas.viewport().height(), rel=0.02)
    # y up: the northern point is drawn higher on screen.
    north = canvas.map_to_widget(xmin, ymax)
    south = canvas.map_to_widget(xmin, ymin)
    assert north.y() < south.y()


def test_drag_pans_by_the_dragged_distance(qtbot, canvas):
    before = canvas.map_range()
    mpp = canvas.metres_per_pixel()
    drag(qtbot, canvas.viewport(), QPointF(400, 300), QPointF(300, 250))  # 100 px left, 50 px up
    after = canvas.map_range()
    # Dragging the map left/up moves the view right/down: x grows, y (up) grows too (screen y is down).
    assert after[0] - before[0] == pytest.approx(100 * mpp, rel=0.05)
    assert after[1] - before[1] == pytest.approx(-50 * mpp, rel=0.05)
    assert _size(after) == pytest.approx(_size(before), rel=1e-6)


def test_wheel_zooms_in_about_the_cursor(qtbot, canvas):
    before = canvas.map_range()
    cursor = QPointF(250, 400)
    anchor = canvas.widget_to_map(cursor)
    wheel(canvas.viewport(), cursor, 3)
    after = canvas.map_range()
    assert _size(after)[0] < 0.9 * _size(before)[0]
    # The map point under the cursor stays under the cursor.
    assert canvas.widget_to_map(cursor) == pytest.approx(anchor, abs=2 * canvas.metres_per_pixel())
    wheel(canvas.viewport(), cursor, -3)
    assert _size(canvas.map_range())[0] == pytest.approx(_size(before)[0], rel=0.01)


def test_zoom_api_and_zoom_to_extent(canvas, network):
    full = canvas.map_range()
    canvas.zoom_by(4.0)
    zoomed = canvas.map_range()
    assert _size(zoomed)[0] == pytest.approx(_size(full)[0] / 4, rel=1e-6)
    assert (zoomed[0] + zoomed[2]) / 2 == pytest.approx((full[0] + full[2]) / 2)
    canvas.zoom_to_extent()
    assert canvas.map_range() == pytest.approx(full)


def test_zoom_box_tool_zooms_to_the_dragged_rectangle(qtbot, canvas):
    canvas.set_tool("zoom_box")
    before = canvas.map_range()
    a, b = QPointF(300, 200), QPointF(500, 350)
    (ax, ay), (bx, by) = canvas.widget_to_map(a), canvas.widget_to_map(b)
    drag(qtbot, canvas.viewport(), a, b)
    view = canvas.map_range()
    tol = 2 * canvas.metres_per_pixel()
    # The new view holds the whole box (the 1:1 aspect widens one side) and is no wider than needed.
    assert view[0] <= min(ax, bx) + tol and view[2] >= max(ax, bx) - tol
    assert view[1] <= min(ay, by) + tol and view[3] >= max(ay, by) - tol
    box_w, box_h = abs(bx - ax), abs(by - ay)
    assert _size(view)[0] < _size(before)[0] / 3
    assert min(_size(view)[0] / box_w, _size(view)[1] / box_h) == pytest.approx(1.0, abs=0.05)


def test_click_identifies_the_pipe_under_the_cursor(qtbot, canvas, network):
    canvas.set_map_range(41_405_000 - 250, 3_320_000 - 250, 41_405_000 + 450, 3_320_000 + 450)
    wait_settled(qtbot, canvas)
    canvas.set_tool("identify")
    x, y = _midpoint(network, "PH3_4")
    with qtbot.waitSignal(canvas.featureIdentified, timeout=2000) as blocker:
        click(qtbot, canvas.viewport(), canvas.map_to_widget(x, y))
    hit = blocker.args[0]
    assert hit is not None and (hit.layer, hit.feature_id) == ("pipes", "PH3_4")
    assert canvas.selected == hit and not canvas.selection.is_empty()


def test_click_on_empty_map_identifies_nothing(qtbot, canvas):
    canvas.set_tool("identify")
    with qtbot.waitSignal(canvas.featureIdentified, timeout=2000) as blocker:
        click(qtbot, canvas.viewport(), QPointF(5, 5))
    assert blocker.args[0] is None
    assert canvas.selected is None


def test_identify_prefers_a_valve_on_its_pipe_and_respects_tolerance(canvas, network):
    canvas.set_map_range(41_405_000 - 300, 3_320_000 - 300, 41_405_000 + 300, 3_320_000 + 300)
    valve = network["valves"].geometry.array[0]
    hit = canvas.identify_at(valve.x, valve.y)
    assert (hit.layer, hit.feature_id) == ("valves", network["valves"]["id"].iat[0])
    # Far from everything (10 screen pixels west of the trunk's start): nothing.
    gate = network["gate_stations"].geometry.array[0]
    assert canvas.pick(gate.x - 40 * canvas.metres_per_pixel(), gate.y) is None


def test_zoom_to_feature_centres_and_selects(canvas, network):
    hit = canvas.zoom_to_feature("RG3")
    g = network["regulators"].geometry.array[2]
    view = canvas.map_range()
    assert (view[0] + view[2]) / 2 == pytest.approx(g.x, abs=1) and (view[1] + view[3]) / 2 == pytest.approx(g.y, abs=1)
    assert hit.layer == "regulators" and canvas.selected.feature_id == "RG3"
    with pytest.raises(UnknownFeatureError):
        canvas.zoom_to_feature("no-such-id")


def test_cursor_position_is_reported_in_map_coordinates(qtbot, canvas):
    pos = QPointF(321, 234)
    expected = canvas.widget_to_map(pos)
    with qtbot.waitSignal(canvas.cursorMoved, timeout=2000) as blocker:
        qtbot.mouseMove(canvas.viewport(), pos.toPoint())
    assert blocker.args == pytest.approx(list(expected), abs=1e-6)


def test_rendered_map_is_not_blank(qtbot, canvas, tmp_path):
    path = tmp_path / "map.png"
    assert canvas.grab().save(str(path))
    from PySide6.QtGui import QImage

    pixels = image_array(QImage(str(path)))
    background = rgb(canvas.theme.map_background)
    drawn = np.abs(pixels.astype(float) - background).sum(axis=2) > 30
    assert drawn.mean() > 0.02  # thousands of pipe, valve and customer pixels
    assert drawn.mean() < 0.6


# The pipe ids the synthetic district has for every pressure-class legend entry (see tests/ui/synthetic.py).
PIPES_BY_CLASS = {
    "HP-A": "PT1", "HP-B": "PT3", "SHP-A": "PT5", "SHP-B": "PT7", "MP-A": "PA1", "MP-B": "PB2", "LP": "PH3_4",
}  # fmt: skip


def _legend_colours(canvas) -> dict[str, str]:
    c = canvas.classification
    theme = canvas.theme.name
    return {cls.key: cls.color(theme) for cls in c.classes}


def _best_pixel(pixels: np.ndarray, x: float, y: float, background: np.ndarray) -> np.ndarray:
    """The pixel around (x, y) that differs most from the background: the line's core, not its antialiased edge."""
    xi, yi = int(round(x)), int(round(y))
    patch = pixels[yi - 2 : yi + 3, xi - 2 : xi + 3].reshape(-1, 3).astype(float)
    return patch[np.argmax(np.abs(patch - background).sum(axis=1))]


@pytest.mark.parametrize("theme_name", ["dark", "light"])
def test_pipe_colours_on_the_map_match_the_legend(qtbot, canvas, network, theme_name):
    from console.ui.theme import THEMES

    canvas.set_theme(THEMES[theme_name])
    legend = _legend_colours(canvas)
    background = rgb(canvas.theme.map_background)
    palette = {key: rgb(colour) for key, colour in legend.items()}
    for key, pipe_id in PIPES_BY_CLASS.items():
        layer, row = network.locate(pipe_id)
        assert network[layer]["pressure_class"].iat[row] == key
        geom = network[layer].geometry.array[row]
        xmin, ymin, xmax, ymax = shapely.bounds(geom)
        pad = max(xmax - xmin, ymax - ymin) * 0.4
        canvas.set_map_range(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        wait_settled(qtbot, canvas)
        assert canvas.lod_mode == "vector"
        pixels = image_array(canvas.grab().toImage())
        for t in (0.3, 0.45, 0.7):
            p = shapely.line_interpolate_point(geom, t, normalized=True)
            w = canvas.map_to_widget(p.x, p.y)
            seen = _best_pixel(pixels, w.x(), w.y(), background)
            nearest = min(palette, key=lambda k: np.abs(palette[k] - seen).sum())
            assert palette[nearest] == pytest.approx(palette[key]), (pipe_id, key, t, seen)
            # Antialiasing blends a thin line with the background: the pixel must be that blend, mostly line.
            direction = palette[key] - background
            share = float(np.dot(seen - background, direction) / np.dot(direction, direction))
            residual = np.abs(background + share * direction - seen).max()
            assert share > 0.6 and residual < 25, (pipe_id, key, t, seen, legend[key], share, residual)


def test_theme_switch_changes_the_map_background(canvas):
    from console.ui.theme import DARK, LIGHT

    def corner() -> np.ndarray:
        return image_array(canvas.grab().toImage())[3, 3].astype(float)

    canvas.set_theme(DARK)
    assert corner() == pytest.approx(rgb(DARK.map_background), abs=2)
    canvas.set_theme(LIGHT)
    assert corner() == pytest.approx(rgb(LIGHT.map_background), abs=2)


def test_style_switch_changes_classes_and_colours(qtbot, canvas):
    with qtbot.waitSignal(canvas.styleChanged, timeout=2000) as blocker:
        canvas.set_pipe_style("diameter")
    c = blocker.args[0]
    assert c.style == "diameter" and canvas.classification is c
    assert {cls.key for cls in c.classes} >= {"dn-40", "dn75-110", "dn110-200"}
    assert [item.count() > 0 for item in canvas.pipes.class_items()].count(True) >= 4


def test_point_layers_follow_the_zoom(qtbot, canvas):
    customers = canvas.points["customers"]
    canvas.zoom_to_extent()
    wait_settled(qtbot, canvas)
    mpp_full = canvas.metres_per_pixel()
    regular = customers.style.variants[1]
    assert mpp_full > regular.max_m_per_px
    assert not customers.items()[1].isVisible()
    canvas.set_map_range(41_405_000, 3_320_000, 41_405_000 + 300, 3_320_000 + 200)
    wait_settled(qtbot, canvas)
    assert customers.items()[1].isVisible() and customers.items()[1].count() > 0
    canvas.set_layer_visible("customers", False)
    assert not any(item.isVisible() for item in customers.items())
