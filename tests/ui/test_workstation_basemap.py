"""The basemap (issue 19): named streets and blocks under the network, names that never overlap, raster tiles from
an MBTiles file (offline) or a cached XYZ service, fetched off the UI thread so the map never waits."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from console.network import derive_addresses
from console.ui.map.basemap import (
    BASEMAP_Z,
    BasemapError,
    MBTilesSource,
    TileLayer,
    TileSource,
    XYZSource,
    open_tile_source,
    tile_bounds_3857,
    tiles_for_view,
)
from tests.ui.conftest import SETTLE_TIMEOUT_MS, image_array, wait_settled

RED = "#d02030"


def _png(colour: str) -> bytes:
    img = QImage(256, 256, QImage.Format.Format_RGB32)
    img.fill(QColor(colour))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(data.data())


def _mbtiles(path, tiles, colour=RED):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("minzoom", "0"), ("maxzoom", "19")])
    png = _png(colour)
    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, (1 << z) - 1 - y, png) for z, x, y in tiles])
    con.commit()
    con.close()
    return path


def _view_tiles(canvas, source) -> list:
    from pyproj import CRS, Transformer

    x0, y0, x1, y1 = canvas.map_range()
    t = Transformer.from_crs(canvas.network.crs, CRS.from_epsg(3857), always_xy=True)
    xs, ys = t.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    box = (min(xs), min(ys), max(xs), max(ys))
    return tiles_for_view(box, (box[2] - box[0]) / canvas.viewport().width(), source)[1]


# -- vector ------------------------------------------------------------------------------------------------------------
def test_streets_and_names_are_drawn_under_the_network(qtbot, window):
    ctrl = window.extensions["basemap"]
    qtbot.waitUntil(lambda: ctrl.item.data is not None, timeout=SETTLE_TIMEOUT_MS)
    a = derive_addresses(window.network)
    data = ctrl.item.data
    assert data.names == [f"{zh} {en}" for zh, en in zip(a.name, a.name_en, strict=True)]
    assert ctrl.item.zValue() == BASEMAP_Z < min(i.zValue() for i in window.canvas.pipes.class_items())
    assert len(data.blocks) > 0  # the district's grid encloses blocks
    # street scale: the names show, along their streets, none over another
    k = int(np.argmax(data.lengths))
    x, y = data.anchors[k]
    window.canvas.set_map_range(x - 300, y - 200, x + 300, y + 200)
    wait_settled(qtbot, window.canvas)
    window.canvas.viewport().grab()
    drawn = ctrl.item.labels_drawn
    assert data.names[k] in [n for n, _ in drawn]
    for i, (_, a_box) in enumerate(drawn):
        for _, b_box in drawn[i + 1 :]:
            assert not a_box.intersects(b_box)


def test_the_basemap_can_be_turned_off(window, qtbot):
    ctrl = window.extensions["basemap"]
    ctrl.act_show.setChecked(False)
    assert not ctrl.item.isVisible() and window.prefs.get("basemap/visible") is False
    ctrl.act_show.setChecked(True)
    assert ctrl.item.isVisible()


# -- raster ------------------------------------------------------------------------------------------------------------
def test_mbtiles_tiles_are_drawn_under_the_network(qtbot, canvas, tmp_path):
    tiles = _view_tiles(canvas, TileSource())
    path = _mbtiles(tmp_path / "city.mbtiles", tiles)
    source = open_tile_source(str(path))
    assert isinstance(source, MBTilesSource) and source.fetch(*tiles[0]) == _png(RED)
    assert source.fetch(0, 0, 0) is None  # no tile there: nothing, not an error
    layer = TileLayer(canvas, source)
    assert layer.set_crs(canvas.network.crs)
    wanted = layer.refresh()
    assert sorted(wanted) == sorted(tiles)
    qtbot.waitUntil(lambda: layer.pending == 0 and len(layer.item.tiles) == len(tiles), timeout=SETTLE_TIMEOUT_MS)
    # the tile sits where Web Mercator puts it: its centre, back in the network's CRS, is inside the tile's quad
    key = tiles[0]
    left, bottom, right, top = tile_bounds_3857(*key)
    from pyproj import CRS, Transformer

    cx, cy = Transformer.from_crs(CRS.from_epsg(3857), canvas.network.crs, always_xy=True).transform(
        (left + right) / 2, (bottom + top) / 2
    )
    ox, oy = canvas.origin
    quad = layer.item.tiles[key][1]
    assert quad.boundingRect().contains(cx - ox, cy - oy)
    pixels = image_array(canvas.viewport().grab().toImage()).reshape(-1, 3).astype(int)
    red = np.abs(pixels - np.array([0xD0, 0x20, 0x30])).sum(axis=1) < 30
    assert red.mean() > 0.3  # the background is the tiles now
    layer.close()


def test_a_slow_tile_never_blocks_the_map(qtbot, canvas):
    gate = threading.Event()

    class Slow(TileSource):
        name = "slow"

        def fetch(self, z, x, y):
            gate.wait(30)
            return _png("#2040d0")

    layer = TileLayer(canvas, Slow())
    layer.set_crs(canvas.network.crs)
    wanted = layer.refresh()  # returns at once: the fetches wait on their threads
    assert wanted and layer.pending == len(wanted) and not layer.item.tiles
    canvas.zoom_by(2.0)  # the map goes on meanwhile
    wait_settled(qtbot, canvas)
    gate.set()
    qtbot.waitUntil(lambda: layer.pending == 0 and len(layer.item.tiles) > 0, timeout=SETTLE_TIMEOUT_MS)
    layer.close()


def test_xyz_tiles_come_from_the_disk_cache(tmp_path):
    source = XYZSource("http://127.0.0.1:9/{z}/{x}/{y}.png", tmp_path)  # nothing listens on port 9
    cached = source._cache_path(3, 4, 5)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"tile bytes")
    assert source.fetch(3, 4, 5) == b"tile bytes"
    with pytest.raises(OSError):
        source.fetch(3, 4, 6)


@pytest.mark.parametrize(
    "spec, words",
    [
        ("roads.txt", "give an .mbtiles file"),
        ("http://tiles.example/{z}/{x}.png", "{y}"),
        ("ftp://tiles.example/{z}/{x}/{y}.png", "give an .mbtiles file"),
    ],
)
def test_a_bad_tile_source_is_a_clear_error(spec, words):
    with pytest.raises(BasemapError, match=None) as err:
        open_tile_source(spec)
    assert words in str(err.value) and spec in str(err.value)


def test_a_file_that_is_not_mbtiles_is_named(tmp_path):
    bad = tmp_path / "junk.mbtiles"
    bad.write_bytes(b"this is not sqlite" * 20)
    with pytest.raises(BasemapError) as err:
        open_tile_source(str(bad))
    assert str(bad) in str(err.value) and "not an MBTiles file" in str(err.value)
