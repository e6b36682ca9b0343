"""Level of detail on a district too big to draw as vectors at full extent (about 65,000 pipes)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from console.ui.map.layers import VECTOR_MAX_SEGMENTS
from tests.ui.conftest import image_array, rgb, wait_settled
from tests.ui.synthetic import district


@pytest.fixture(scope="module")
def big_network():
    return district(160, spacing=60.0, name="Big synthetic district")


@pytest.fixture
def big_canvas(qtbot, big_network):
    from console.ui.map.canvas import MapCanvas

    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(900, 700)
    c.show()
    qtbot.waitExposed(c)
    with qtbot.waitSignal(c.networkPainted, timeout=30_000):
        c.set_network(big_network)
    wait_settled(qtbot, c)
    yield c
    c.shutdown()


def _drawn_share(canvas) -> float:
    pixels = image_array(canvas.grab().toImage()).astype(float)
    return float((np.abs(pixels - rgb(canvas.theme.map_background)).sum(axis=2) > 30).mean())


def test_full_extent_draws_the_raster_overview(big_canvas, big_network):
    c = big_canvas
    assert len(c.map_data.pipes) > 4 * VECTOR_MAX_SEGMENTS
    assert c.lod_mode == "raster"
    overview, detail = c.pipes.raster_items()
    shown = [item for item in (overview, detail) if item.isVisible()]
    assert shown and all(not item.image.isNull() for item in shown)
    assert not any(item.isVisible() for item in c.pipes.class_items())
    assert c.pipes.vector_segment_count() == 0
    assert _drawn_share(c) > 0.2  # a dense grid: most of the map is pipe


def test_raster_shows_the_legend_colour_of_the_mains(big_canvas, big_network):
    c = big_canvas
    ring = big_network["pipes"][big_network["pipes"]["id"] == "PA40"].geometry.array[0]  # on the southern MP-A side
    legend = rgb(c.classification.classes[c.classification.index("MP-A")].color(c.theme.name))
    pixels = image_array(c.grab().toImage()).astype(float)
    p = shapely.line_interpolate_point(ring, 0.5, normalized=True)
    w = c.map_to_widget(p.x, p.y)
    patch = pixels[int(w.y()) - 2 : int(w.y()) + 3, int(w.x()) - 2 : int(w.x()) + 3].reshape(-1, 3)
    assert np.abs(patch - legend).sum(axis=1).min() < 60


def test_zooming_in_switches_to_vectors_and_back(qtbot, big_canvas, big_network):
    c = big_canvas
    x0, y0 = 41_405_000 + 3000, 3_320_000 + 3000
    c.set_map_range(x0, y0, x0 + 500, y0 + 400)
    wait_settled(qtbot, c)
    assert c.lod_mode == "vector"
    assert 0 < c.pipes.vector_segment_count() <= VECTOR_MAX_SEGMENTS
    assert not any(item.isVisible() for item in c.pipes.raster_items())
    assert _drawn_share(c) > 0.01
    # Identify in the vector view still goes through the spatial index.
    hit = c.identify_at(x0 + 120, y0 + 200)  # on the north-south LP pipe at x = 3120 m
    assert hit is not None and hit.layer == "pipes"
    c.zoom_to_extent()
    wait_settled(qtbot, c)
    assert c.lod_mode == "raster"


def test_mid_zoom_renders_a_raster_of_the_view(qtbot, big_canvas):
    c = big_canvas
    xmin, ymin, xmax, ymax = c.map_range()
    w = (xmax - xmin) / 3
    c.set_map_range(xmin + w, ymin + w, xmin + 2 * w, ymin + 2 * w)
    wait_settled(qtbot, c)
    assert c.lod_mode == "raster"
    overview, detail = c.pipes.raster_items()
    assert detail.isVisible() and not overview.isVisible()
    view = c.map_range()
    ox, oy = c.origin
    r = detail.rect()
    assert r.left() + ox <= view[0] and r.right() + ox >= view[2]  # the view raster covers the view
    assert detail.image.width() >= c.viewport().width()
    assert _drawn_share(c) > 0.2


def test_theme_change_rerenders_the_raster(qtbot, big_canvas):
    from console.ui.theme import LIGHT

    c = big_canvas
    before = c.pipes.raster_items()[0].image
    c.set_theme(LIGHT)
    wait_settled(qtbot, c)
    after = [item.image for item in c.pipes.raster_items() if item.isVisible()]
    assert after and all(img is not before and not img.isNull() for img in after)
    corner = image_array(c.grab().toImage())[3, 3].astype(float)
    assert corner == pytest.approx(rgb(LIGHT.map_background), abs=2)
