"""The basemap (issue 19): named streets and blocks under the network, names that never overlap, raster tiles from
an MBTiles file (offline) or a cached XYZ service, fetched off the UI thread so the map never waits."""

from __future__ import annotations

import math
import sqlite3
import threading

import numpy as np
import pytest
import shapely
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
from console.ui.theme import DARK, LIGHT
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


# -- CGCS2000 lon/lat tiles (Tianditu "c") -----------------------------------------------------------------------------
def test_the_cgcs2000_tile_matrix_is_tianditus_c_set():
    from console.ui.map.basemap import CGCS2000_GEOGRAPHIC as C

    # level 1: two tiles of 180° side by side from (-180°, 90°), 0.703125° a pixel; each level doubles both ways
    assert C.size(1) == (2, 1) and C.size(2) == (4, 2) and C.size(18) == (1 << 18, 1 << 17)
    assert C.bounds(1, 0, 0) == (-180.0, -90.0, 0.0, 90.0) and C.bounds(1, 1, 0) == (0.0, -90.0, 180.0, 90.0)
    assert C.span(1) / 256 == 0.703125
    # Nanjing's Xinjiekou (118.78°E, 32.04°N) at level 10: column floor(298.78 / 0.3515625) = 849,
    # row floor(57.96 / 0.3515625) = 164
    source = TileSource()
    source.grid, source.min_zoom = C, 1
    z, tiles = tiles_for_view((118.779, 32.039, 118.781, 32.041), 0.3515625 / 256, source)
    assert (z, tiles) == (10, [(10, 849, 164)])
    assert tiles_for_view((100.0, 20.0, 130.0, 45.0), 10.0, source)[0] == 1  # never below level 1


def test_tile_specs_name_their_grid(tmp_path):
    from console.ui.map.basemap import CGCS2000_GEOGRAPHIC, WEB_MERCATOR, FolderSource

    tdt = ("http://t0.tianditu.gov.cn/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
           "&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY")  # fmt: skip
    assert open_tile_source(tdt).grid is CGCS2000_GEOGRAPHIC and open_tile_source(tdt).min_zoom == 1
    assert open_tile_source(tdt.replace("vec_c", "vec_w").replace("SET=c", "SET=w")).grid is WEB_MERCATOR
    assert open_tile_source("https://tiles.example/{z}/{x}/{y}.png").grid is WEB_MERCATOR
    folder = open_tile_source(f"{tmp_path}/{{z}}/{{x}}/{{y}}.png#EPSG:4490")
    assert isinstance(folder, FolderSource) and folder.grid is CGCS2000_GEOGRAPHIC
    assert folder.fetch(3, 1, 1) is None  # no tile there
    with pytest.raises(BasemapError, match="unknown tile grid"):
        open_tile_source(f"{tmp_path}/{{z}}/{{x}}/{{y}}.png#EPSG:2000")
    with pytest.raises(BasemapError, match="no such tile folder"):
        open_tile_source(f"{tmp_path}/missing/{{z}}/{{x}}/{{y}}.png")
    path = _mbtiles(tmp_path / "c.mbtiles", [])
    con = sqlite3.connect(path)
    con.execute("INSERT INTO metadata VALUES ('crs', 'EPSG:4490')")
    con.execute("INSERT INTO tiles VALUES (2, 3, 1, ?)", (_png(RED),))  # TMS row 1 of level 2's two rows: the top
    con.commit()
    con.close()
    mb = open_tile_source(str(path))
    assert mb.grid is CGCS2000_GEOGRAPHIC and mb.min_zoom == 1
    assert mb.fetch(2, 3, 0) == _png(RED) and mb.fetch(2, 3, 1) is None


def _marked_tile(grid, key, marks, size=256, radius=0):
    """A grey tile with a coloured square of (2 radius + 1) px centred on each (lon, lat, colour) that falls in it."""
    left, bottom, right, top = grid.bounds(*key)
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(QColor("#808080"))
    for lon, lat, colour in marks:
        u = int(math.floor((lon - left) / (right - left) * size))
        v = int(math.floor((top - lat) / (top - bottom) * size))
        for du in range(-radius, radius + 1):
            for dv in range(-radius, radius + 1):
                if 0 <= u + du < size and 0 <= v + dv < size:
                    img.setPixelColor(u + du, v + dv, QColor(colour))
    return img


def test_a_known_point_lands_on_its_pixel_of_a_cgcs2000_tile(network):
    """A synthetic Tianditu-c tile with one red and one blue pixel, warped into the demo's CGCS2000 Gauss-Krüger
    zone 41: each pixel's centre, projected independently, falls on that colour in the warped image."""
    from pyproj import CRS, Transformer

    from console.ui.map.basemap import CGCS2000_GEOGRAPHIC as C
    from console.ui.map.basemap import warp_tile

    to_lonlat = Transformer.from_crs(network.crs, CRS.from_epsg(4490), always_xy=True)
    to_map = Transformer.from_crs(CRS.from_epsg(4490), network.crs, always_xy=True)
    x0, y0, x1, y1 = network.bounds
    lon, lat = to_lonlat.transform((x0 + x1) / 2, (y0 + y1) / 2)
    z = 16
    span = C.span(z)
    key = (z, int((lon - C.left) // span), int((C.top - lat) // span))
    left, bottom, right, top = C.bounds(*key)
    px = span / 256
    pixels = {(40, 200): "#ff0000", (220, 30): "#0000ff"}  # (u, v) in the tile: red low left, blue high right
    marks = [(left + (u + 0.5) * px, top - (v + 0.5) * px, c) for (u, v), c in pixels.items()]
    tile = _marked_tile(C, key, marks)
    warped, (mx0, my0, mx1, my1) = warp_tile(tile, C.bounds(*key), to_map, to_lonlat)
    assert warped.width() > 200 and warped.height() > 200
    for mlon, mlat, colour in marks:
        px_, py_ = to_map.transform(mlon, mlat)
        col = int((px_ - mx0) / (mx1 - mx0) * warped.width())
        row = int((my1 - py_) / (my1 - my0) * warped.height())
        assert warped.pixelColor(col, row).name() == colour
        assert warped.pixelColor(col + 3, row).name() == "#808080"  # and only there
    # the tile's corners are transparent where the lon/lat quad does not reach its map bounding box … or inside it
    inside = warped.pixelColor(warped.width() // 2, warped.height() // 2)
    assert inside.alpha() == 255 and inside.name() == "#808080"


def test_a_cgcs2000_tile_folder_is_drawn_in_place_on_the_map(qtbot, canvas, tmp_path):
    """End to end: a tile folder in Tianditu's c grid (#EPSG:4490) under the Gauss-Krüger map; the red mark at a known
    lon/lat shows on the screen pixel where the map puts that point."""
    from pyproj import CRS, Transformer

    from console.ui.map.basemap import CGCS2000_GEOGRAPHIC as C

    for layer in ("pipes", "links", *canvas.points):
        canvas.set_layer_visible(layer, False)
    x0, y0, x1, y1 = canvas.map_range()
    cx, cy = (x0 + x1) / 2 + 37.0, (y0 + y1) / 2 - 23.0
    canvas.set_map_range(cx - 450, cy - 350, cx + 450, cy + 350)
    wait_settled(qtbot, canvas)
    lon, lat = Transformer.from_crs(canvas.network.crs, CRS.from_epsg(4490), always_xy=True).transform(cx, cy)
    folder = tmp_path / "tdt_c"
    folder.mkdir()
    layer = TileLayer(canvas, open_tile_source(f"{folder.as_posix()}/{{z}}/{{x}}/{{y}}.png#EPSG:4490"))
    assert layer.set_crs(canvas.network.crs)
    wanted = layer.refresh()
    assert wanted and all(k[0] == wanted[0][0] for k in wanted)
    for key in wanted:
        img = _marked_tile(C, key, [(lon, lat, "#ff0000")], radius=3)
        (folder / str(key[0]) / str(key[1])).mkdir(parents=True, exist_ok=True)
        img.save(str(folder / str(key[0]) / str(key[1]) / f"{key[2]}.png"))
    layer.set_crs(canvas.network.crs)  # forget the tiles missed before the folder was filled
    layer.refresh()
    qtbot.waitUntil(lambda: layer.pending == 0 and len(layer.item.tiles) == len(wanted), timeout=SETTLE_TIMEOUT_MS)
    assert not layer.errors
    shot = image_array(canvas.viewport().grab().toImage())
    p = canvas.map_to_widget(cx, cy)
    r, g, b = (int(v) for v in shot[int(p.y()), int(p.x())])
    assert r > 200 and g < 60 and b < 60
    r, g, b = (int(v) for v in shot[int(p.y()) + 12, int(p.x()) + 12])
    assert abs(r - 128) < 20 and abs(g - 128) < 20 and abs(b - 128) < 20  # grey tile around the mark
    layer.close()


def test_the_basemap_follows_a_theme_switch(qtbot, window):
    """Blocks and buildings take the light theme's colours at once (not the dark ones on a light map)."""
    ctrl = window.extensions["basemap"]
    qtbot.waitUntil(lambda: ctrl.item.data is not None, timeout=SETTLE_TIMEOUT_MS)
    ring = max(ctrl.item.data.blocks, key=lambda r: shapely.Polygon(r).area)
    inner = shapely.Polygon(ring).representative_point()
    canvas = window.canvas
    for layer in ("pipes", "links", *canvas.points):
        canvas.set_layer_visible(layer, False)
    canvas.set_map_range(inner.x - 60, inner.y - 40, inner.x + 60, inner.y + 40)
    wait_settled(qtbot, canvas)

    def brightness() -> float:
        p = canvas.map_to_widget(inner.x, inner.y)
        return float(image_array(canvas.viewport().grab().toImage())[int(p.y()), int(p.x())].mean())

    was = window.theme.name
    dark = brightness() if was == "dark" else None
    window.apply_theme(LIGHT)
    qtbot.wait(50)
    assert ctrl.item.current_theme() == "light" and brightness() > 180  # a light block or building
    window.apply_theme(DARK)
    qtbot.wait(50)
    assert brightness() < 80 and (dark is None or abs(brightness() - dark) < 1)
