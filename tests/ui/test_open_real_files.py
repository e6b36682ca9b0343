"""Real files opened in a running console: GasLib-134 (a schematic with short pipes, a compressor and a control
valve) and GasLib-4197 draw every link, show their CRS and coordinates right; a file that fails to open leaves the
network on screen exactly as it was and says why in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled

GASLIB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gaslib"


def _open(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.open_path(path)
    wait_settled(qtbot, window.canvas)


def _shown(window) -> tuple:
    return (
        window.windowTitle(),
        window.crs_label.text(),
        window.counts_label.text(),
        window.network,
        window.network_source,
    )


def test_gaslib_134_opens_with_every_link_drawn_and_no_lonlat(qtbot, window):
    _open(qtbot, window, GASLIB / "GasLib-134-v2.net")
    assert "GasLib-134-v2.net" in window.windowTitle()
    assert window.crs_label.text().startswith("GasLib schematic plane")
    assert window.counts_label.text().startswith("86 pipes")
    assert window.statusBar().currentMessage().startswith("Opened")
    # 45 short pipes, one compressor station and the control valve's span: nothing left as a gap.
    assert window.canvas.links.counts() == {"short_pipe": 45, "compressor": 1, "connector": 1}
    window._on_cursor_move(*window.network.bounds[:2])
    assert window.lonlat_label.text() == "—°E  —°N"  # a schematic has no place on the Earth: never "inf°E"


def test_gaslib_4197_opens_projected_with_its_other_links(qtbot, window):
    _open(qtbot, window, GASLIB / "GasLib-4197.network.json")
    assert window.crs_label.text() == "EPSG:32632 · WGS 84 / UTM zone 32N"
    assert window.canvas.links.counts() == {"compressor": 12, "resistor": 27, "short_pipe": 344}
    x0, y0, x1, y1 = window.network.bounds
    window._on_cursor_move((x0 + x1) / 2, (y0 + y1) / 2)
    lon, lat = (float(v.rstrip("°EN")) for v in window.lonlat_label.text().split())
    assert 5 < lon < 16 and 46 < lat < 56  # Germany


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.net", "<network xmlns='http://gaslib.zib.de/Gas'><nodes>"),
        ("garbage.inp", "[JUNCTIONS]\nJ1 abc\n"),
    ],
)
def test_a_failed_open_keeps_the_network_on_screen(qtbot, window, tmp_path, name, content):
    _open(qtbot, window, GASLIB / "GasLib-134-v2.net")
    before = _shown(window)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with qtbot.waitSignal(window.loadFailed, timeout=SETTLE_TIMEOUT_MS) as blocker:
        window.open_path(path)
    message = blocker.args[0]
    assert name in message and "\n" not in message and "Traceback" not in message
    assert _shown(window) == before
    assert window.statusBar().currentMessage() == message
    window._on_cursor_move(*window.network.bounds[:2])
    assert "inf" not in window.lonlat_label.text()


def test_a_city_map_shows_its_pipes_in_the_first_paint(qtbot):
    """The overview raster of a big network renders for seconds; until it arrives the map stretches a coarse numpy
    preview made in the load worker, so the first map is never points without pipes."""
    import numpy as np

    from console.network import generate_demo
    from console.ui.map.canvas import MapCanvas
    from console.ui.map.layers import prepare_map_data

    data = prepare_map_data(generate_demo(30_000, seed=3))
    image, box = data.extras["overview_preview"]
    assert box[0] <= data.extent[0] and box[2] >= data.extent[2] - 1e-6
    alpha = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()) >> 24
    assert (alpha > 0).mean() > 0.01  # pipes, not an empty image
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_map_data(data)
    overview = canvas.pipes._overview
    assert canvas.lod_mode == "raster" and overview.image is image and overview.isVisible()
    qtbot.waitUntil(canvas.is_settled, timeout=SETTLE_TIMEOUT_MS)
    assert overview.image is not image  # the real overview replaced the preview
    canvas.shutdown()
