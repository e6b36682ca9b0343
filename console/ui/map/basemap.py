"""The basemap (底图) under the network: streets with their names, blocks and building footprints as vector layers,
and raster tiles from an MBTiles file (control rooms without internet) or an XYZ/WMTS tile service.

* **Vector**: the streets and names come from :func:`console.network.derive_addresses` (the same names search and
  dispatch use); blocks are the faces the streets enclose, pulled back from the kerb; buildings come from
  ``console.network.derive_buildings`` when the network package offers it. Everything is prepared in a background job
  (:func:`prepare_basemap`) and drawn by one item whose street names are placed in screen space, along their street,
  never over another name.
* **Raster**: :class:`TileLayer` asks a :class:`TileSource` for the tiles covering the view on a thread pool, in the
  source's :class:`TileGrid` — Web Mercator (XYZ, Tianditu ``w``) or CGCS2000 longitude/latitude (EPSG:4490,
  Tianditu ``c``: 2 × 1 tiles at level 1) — decodes them there, warps each into the network's CRS (e.g. CGCS2000
  Gauss-Krüger, :func:`warp_tile`), caches them (memory LRU; an XYZ source also keeps a disk cache) and draws the
  finished images. The map never waits for a tile: a missing tile is simply drawn once it arrives.

``install(window)`` adds View › Basemap (streets, blocks, buildings) and View › Raster basemap… and returns the
:class:`BasemapController`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import sqlite3
import threading
import urllib.request
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import shapely
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from console.app.settings import declare
from console.errors import GasOpsError
from console.ui.actions import ActionSpec
from console.ui.i18n import translate

__all__ = [
    "BasemapController",
    "BasemapData",
    "CGCS2000_GEOGRAPHIC",
    "WEB_MERCATOR",
    "BasemapItem",
    "FolderSource",
    "MBTilesSource",
    "TileGrid",
    "TileLayer",
    "TileSource",
    "XYZSource",
    "install",
    "open_tile_source",
    "prepare_basemap",
    "tiles_for_view",
    "warp_tile",
]

log = logging.getLogger(__name__)

BASEMAP_Z = -60.0  # under the contour bands (-30) and the pipes (-20 … -9)
NAMES_Z = -7.0  # street names over the pipes (as a reference-label layer), under links (-5) and point symbols
TILES_Z = -80.0
STREET_WIDTH_M = 9.0  # drawn width of a street (and how far blocks keep from its centre line)
MAX_BLOCK_STREET_PARTS = 30_000  # above this, blocks are left out (polygonizing a metropolis is not worth the wait)
WEB_MERCATOR_M = 20037508.342789244
MAX_TILES = 96
LABEL_GAP_PX = 28.0  # clear space around a street name: names spaced out read as a map, packed ones as noise

declare("basemap/visible", True, bool, "draw the streets, their names, blocks and buildings under the network")
declare(
    "basemap/tiles",
    "",
    str,
    "raster basemap: an .mbtiles file, a tile folder or an XYZ/WMTS URL with {z} {x} {y}"
    " (#EPSG:4490 or TILEMATRIXSET=c: Tianditu's CGCS2000 lon/lat grid)",
)


class BasemapError(GasOpsError):
    """A tile source that cannot be used (named, with the reason)."""


# -- vector data (prepared in a worker) -----------------------------------------------------------------------------
@dataclass(eq=False)
class BasemapData:
    """Everything the vector basemap draws, in CRS metres: NaN-separated street lines, one label anchor per street,
    block rings and building footprints."""

    streets: np.ndarray  # (n, 2), NaN rows between streets
    names: list[str]  # "桃湾路 Taowan Lu"
    anchors: np.ndarray  # (s, 2) label point of each street
    angles: np.ndarray  # (s,) degrees of the street at its anchor
    lengths: np.ndarray  # (s,) metres
    blocks: list[np.ndarray] = field(default_factory=list)  # exterior rings
    buildings: np.ndarray = field(default_factory=lambda: np.empty((0, 4, 2)))

    @property
    def empty(self) -> bool:
        return not len(self.names) and not len(self.buildings)


def _lines_array(parts) -> np.ndarray:
    if not len(parts):
        return np.empty((0, 2))
    coords, index = shapely.get_coordinates(parts, return_index=True)
    breaks = np.flatnonzero(np.diff(index)) + 1
    return np.insert(coords, breaks, np.nan, axis=0)


def prepare_basemap(network, feedback=None) -> BasemapData:
    """The vector basemap of ``network`` (a worker's job: streets from the mains, blocks, buildings)."""
    from console import network as network_pkg

    a = network.cached("ui.addresses", lambda: network_pkg.derive_addresses(network))
    lines = np.asarray(a.line, dtype=object)
    parts = shapely.get_parts(lines) if len(lines) else np.empty(0, dtype=object)
    streets = _lines_array(parts)
    anchors = np.empty((len(lines), 2))
    angles = np.zeros(len(lines))
    for k, line in enumerate(lines):
        longest = max(shapely.get_parts(line), key=lambda g: g.length)
        p = longest.interpolate(0.5, normalized=True)
        q0 = longest.interpolate(max(longest.length * 0.5 - 15.0, 0.0))
        q1 = longest.interpolate(min(longest.length * 0.5 + 15.0, longest.length))
        anchors[k] = (p.x, p.y)
        angles[k] = math.degrees(math.atan2(q1.y - q0.y, q1.x - q0.x))
    names = [f"{zh} {en}" for zh, en in zip(a.name, a.name_en, strict=True)]
    blocks: list[np.ndarray] = []
    if 0 < len(parts) <= MAX_BLOCK_STREET_PARTS:
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.node(shapely.union_all(parts)))))
        faces = faces[(shapely.area(faces) > 400.0) & (shapely.area(faces) < 400_000.0)]
        inner = shapely.buffer(faces, -STREET_WIDTH_M * 0.8, join_style="mitre")
        for poly in shapely.get_parts(inner[~shapely.is_empty(inner)]):
            blocks.append(shapely.get_coordinates(poly.exterior))
    buildings = np.empty((0, 4, 2))
    try:
        buildings = np.asarray(network_pkg.derive_buildings(network).corners, dtype=float).reshape(-1, 4, 2)
    except Exception:  # a network whose customers cannot be given buildings: streets and blocks still show
        log.exception("buildings for the basemap")
    return BasemapData(streets, names, anchors, angles, np.asarray(a.length_m, dtype=float), blocks, buildings)


# -- vector drawing ----------------------------------------------------------------------------------------------------
_COLOURS = {
    # street casing, street fill, block fill, building fill, building edge, label text, label halo
    "dark": ("#2a323c", "#1d242c", "#141a20", "#262e37", "#323c47", "#9aa7b4", "#0b0f14"),
    "light": ("#d5d9de", "#ffffff", "#eef0ea", "#dcd6cc", "#c6bfb3", "#4d5761", "#ffffff"),
}


class BasemapItem(pg.GraphicsObject):
    """Blocks, streets, buildings and street names of one :class:`BasemapData` (origin-shifted coordinates)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.data: BasemapData | None = None
        self._streets = QPainterPath()
        self._blocks = QPainterPath()
        self._buildings = QPainterPath()
        self._anchors = np.empty((0, 2))
        self._rect = QRectF()
        self.theme = "dark"
        self.theme_of = (
            None  # a callable naming the theme at paint time (the canvas's), so a theme switch shows at once
        )
        self.labels_drawn: list[tuple[str, QRectF]] = []  # the names placed at the last paint (screen rects)
        self.names = _StreetNames(self)  # added to the canvas by the controller, above the pipes

    def set_data(self, data: BasemapData | None, origin: tuple[float, float]) -> None:
        self.prepareGeometryChange()
        self.data = data
        ox, oy = origin
        if data is None or data.empty:
            self._streets = self._blocks = self._buildings = QPainterPath()
            self._anchors = np.empty((0, 2))
            self._rect = QRectF()
            self.update()
            return
        s = data.streets - (ox, oy)
        self._streets = pg.arrayToQPath(s[:, 0], s[:, 1], connect="finite") if len(s) else QPainterPath()
        self._blocks = QPainterPath()
        for ring in data.blocks:
            self._blocks.addPolygon(QPolygonF([QPointF(x - ox, y - oy) for x, y in ring]))
        self._buildings = QPainterPath()
        for quad in data.buildings:
            self._buildings.addPolygon(QPolygonF([QPointF(x - ox, y - oy) for x, y in (*quad, quad[0])]))
        self._anchors = data.anchors - (ox, oy)
        rect = self._streets.boundingRect().united(self._buildings.boundingRect()).united(self._blocks.boundingRect())
        self._rect = rect.adjusted(-50, -50, 50, 50)
        self.update()
        self.names.changed()

    def set_theme(self, theme: str) -> None:
        self.theme = theme if theme in _COLOURS else "dark"
        self.update()
        self.names.update()

    def current_theme(self) -> str:
        theme = self.theme_of() if self.theme_of is not None else self.theme
        return theme if theme in _COLOURS else "dark"

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.data is None:
            return
        casing, fill, block, bfill, bedge, text, halo = _COLOURS[self.current_theme()]
        t = painter.transform()
        px_per_m = math.hypot(t.m11(), t.m12()) or 1e-9
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, px_per_m > 0.05)
        painter.setPen(Qt.PenStyle.NoPen)
        if px_per_m > 0.02:
            painter.setBrush(QBrush(QColor(block)))
            painter.drawPath(self._blocks)
        width_px = max(min(STREET_WIDTH_M * px_per_m, 22.0), 1.2)
        for colour, w in ((casing, width_px + 2.0), (fill, width_px)):
            pen = QPen(QColor(colour))
            pen.setCosmetic(True)
            pen.setWidthF(w)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._streets)
        if px_per_m > 0.12:  # buildings from about 1:8,000 on
            edge = QPen(QColor(bedge))
            edge.setCosmetic(True)
            edge.setWidthF(1.0)
            painter.setPen(edge)
            painter.setBrush(QBrush(QColor(bfill)))
            painter.drawPath(self._buildings)

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        self.names.setVisible(visible)

    def _paint_names(self, painter: QPainter, t: QTransform, px_per_m: float, widget, text: str, halo: str) -> None:
        """Street names along their street at the anchor, longest streets first, none over another; a name is left
        out where its street is shorter on screen than the name."""
        self.labels_drawn = []
        data = self.data
        if not len(data.names):
            return
        area = QRectF(widget.rect()) if widget is not None else QRectF(painter.viewport())
        font = QFont()
        font.setPixelSize(12)
        fm = QFontMetricsF(font)
        x = t.m11() * self._anchors[:, 0] + t.m21() * self._anchors[:, 1] + t.dx()
        y = t.m12() * self._anchors[:, 0] + t.m22() * self._anchors[:, 1] + t.dy()
        on_screen = (x > area.left()) & (x < area.right()) & (y > area.top()) & (y < area.bottom())
        order = [k for k in np.argsort(-data.lengths) if on_screen[k]][:400]
        flip = t.m22() < 0  # y up in the map, down on screen
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        placed: list[QRectF] = []
        for k in order:
            name = data.names[k]
            w = fm.horizontalAdvance(name)
            if data.lengths[k] * px_per_m < 2.0 * w + 40:  # a name needs room along its street, or it is clutter
                continue
            angle = -data.angles[k] if flip else data.angles[k]
            angle = (angle + 90.0) % 180.0 - 90.0  # never upside down
            rad = math.radians(angle)
            hw, hh = w / 2 + 3, fm.height() / 2 + 2
            bw = abs(hw * math.cos(rad)) + abs(hh * math.sin(rad))
            bh = abs(hw * math.sin(rad)) + abs(hh * math.cos(rad))
            box = QRectF(x[k] - bw, y[k] - bh, 2 * bw, 2 * bh)
            if any(box.intersects(p) for p in placed):
                continue
            placed.append(box.adjusted(-LABEL_GAP_PX, -LABEL_GAP_PX, LABEL_GAP_PX, LABEL_GAP_PX))
            self.labels_drawn.append((name, box))
            path = QPainterPath()
            path.addText(QPointF(-w / 2, fm.ascent() / 2 - 1), font, name)
            painter.save()
            painter.translate(float(x[k]), float(y[k]))
            painter.rotate(angle)
            pen = QPen(QColor(halo))
            pen.setWidthF(3.0)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.strokePath(path, pen)
            painter.fillPath(path, QColor(text))
            painter.restore()
        painter.setTransform(t)


class _StreetNames(pg.GraphicsObject):
    """The street names of a :class:`BasemapItem`, drawn above the pipes with a halo so a main along its street
    never hides the street's name (like a tile service's separate label layer)."""

    def __init__(self, basemap: BasemapItem) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.basemap = basemap

    def changed(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        return self.basemap.boundingRect()

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        b = self.basemap
        if b.data is None:
            return
        *_, text, halo = _COLOURS[b.current_theme()]
        t = painter.transform()
        b._paint_names(painter, t, math.hypot(t.m11(), t.m12()) or 1e-9, widget, text, halo)


# -- raster tiles -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TileGrid:
    """A tile matrix set: the CRS its tiles are cut in, the top-left corner, the span of one tile at level 0 (in CRS
    units) and how many tiles a level has across and down (``cols0 << z`` by ``rows0 << z``)."""

    name: str
    epsg: int
    left: float
    top: float
    span0: float
    cols0: float
    rows0: float
    min_level: int = 0

    def span(self, z: int) -> float:
        return self.span0 / (1 << z)

    def size(self, z: int) -> tuple[int, int]:
        return max(int(self.cols0 * (1 << z)), 1), max(int(self.rows0 * (1 << z)), 1)

    def bounds(self, z: int, x: int, y: int) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) of tile ``(z, x, y)`` in the grid's CRS (rows counted from the top)."""
        s = self.span(z)
        left, top = self.left + x * s, self.top - y * s
        return left, top - s, left + s, top


#: Web Mercator (EPSG:3857), the XYZ / Google / OSM / Tianditu ``w`` grid: one tile at level 0.
WEB_MERCATOR = TileGrid("Web Mercator", 3857, -WEB_MERCATOR_M, WEB_MERCATOR_M, 2 * WEB_MERCATOR_M, 1, 1, 0)
#: CGCS2000 geographic (EPSG:4490), Tianditu's ``c`` tile matrix set: longitude/latitude degrees from (-180°, 90°),
#: 2 × 1 tiles of 180° at level 1 (0.703125° a pixel), levels 1-18.
CGCS2000_GEOGRAPHIC = TileGrid("CGCS2000 lon/lat (Tianditu c)", 4490, -180.0, 90.0, 360.0, 1, 0.5, 1)


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    return WEB_MERCATOR.bounds(z, x, y)


class TileSource:
    """Tiles of a :class:`TileGrid` (Web Mercator unless said otherwise): ``fetch(z, x, y)`` returns the tile's image
    bytes or None (no tile there). Called on worker threads; must be thread-safe."""

    name = "tiles"
    min_zoom, max_zoom = 0, 19
    attribution = ""
    grid: TileGrid = WEB_MERCATOR

    def fetch(self, z: int, x: int, y: int) -> bytes | None:  # pragma: no cover - interface
        raise NotImplementedError


_GRID_WORDS = {"4490": CGCS2000_GEOGRAPHIC, "epsg:4490": CGCS2000_GEOGRAPHIC, "c": CGCS2000_GEOGRAPHIC,
               "cgcs2000": CGCS2000_GEOGRAPHIC, "3857": WEB_MERCATOR, "epsg:3857": WEB_MERCATOR,
               "w": WEB_MERCATOR}  # fmt: skip


def _grid_of_template(template: str) -> tuple[str, TileGrid]:
    """The template without its ``#grid`` fragment, and its grid: the fragment (``#EPSG:4490``, ``#c``), a WMTS
    ``TILEMATRIXSET=c`` or a Tianditu ``…_c/`` service path say CGCS2000 lon/lat; anything else is Web Mercator."""
    base, _, fragment = template.partition("#")
    if fragment:
        grid = _GRID_WORDS.get(fragment.strip().lower())
        if grid is None:
            raise BasemapError(f"{template!r}: unknown tile grid #{fragment} (use #EPSG:3857 or #EPSG:4490)")
        return base, grid
    query = base.lower()
    if re.search(r"[?&]tilematrixset=c(&|$)", query) or re.search(r"/[a-z]{3}_c/", query):
        return base, CGCS2000_GEOGRAPHIC
    return base, WEB_MERCATOR


class MBTilesSource(TileSource):
    """Tiles from an MBTiles file (SQLite, TMS rows), for control rooms without internet. Opened read-only, one
    connection per thread. Web Mercator, unless its metadata says ``crs`` (or ``srs``) ``EPSG:4490``: then the
    tiles are Tianditu's CGCS2000 lon/lat grid."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._local = threading.local()
        try:
            con = self._con()
            meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
            con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise BasemapError(f"{self.path}: not an MBTiles file ({exc})") from exc
        crs = str(meta.get("crs") or meta.get("srs") or "EPSG:3857").strip().lower()
        self.grid = _GRID_WORDS.get(crs) or _GRID_WORDS.get(crs.rsplit(":", 1)[-1])
        if self.grid is None:
            raise BasemapError(f"{self.path}: tiles in {crs!r} are not drawn (EPSG:3857 or EPSG:4490)")
        try:
            self.min_zoom = int(meta.get("minzoom", self.grid.min_level) or self.grid.min_level)
            self.max_zoom = int(meta.get("maxzoom", 19) or 19)
        except ValueError as exc:
            raise BasemapError(f"{self.path}: bad minzoom/maxzoom in the metadata ({exc})") from exc
        self.min_zoom = max(self.min_zoom, self.grid.min_level)
        self.attribution = str(meta.get("attribution", "") or "")
        self.format = str(meta.get("format", "png") or "png")
        if self.format == "pbf":
            raise BasemapError(f"{self.path}: vector tiles (pbf) are not drawn; use a raster MBTiles (png/jpg/webp)")

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            if not self.path.is_file():
                raise BasemapError(f"{self.path}: no such MBTiles file")
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        row = self.grid.size(z)[1] - 1 - y  # MBTiles rows count from the south (TMS)
        hit = (
            self._con()
            .execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?", (z, x, row))
            .fetchone()
        )
        return bytes(hit[0]) if hit else None


class XYZSource(TileSource):
    """Tiles from a URL template: XYZ (``…/{z}/{x}/{y}.png``) or WMTS KVP (``…TILEMATRIX={z}&TILEROW={y}&TILECOL={x}``,
    e.g. Tianditu's ``w`` (Web-Mercator) or ``c`` (CGCS2000 lon/lat) layers with their ``tk`` key). Fetched tiles are
    kept in ``cache_dir``."""

    def __init__(self, template: str, cache_dir: str | Path | None = None, *, max_zoom: int = 19) -> None:
        if not template.startswith(("http://", "https://")) or not all(f"{{{k}}}" in template for k in "zxy"):
            raise BasemapError(f"{template!r}: a tile URL needs http(s):// and the {{z}}, {{x}} and {{y}} placeholders")
        self.template, self.grid = _grid_of_template(template)
        self.name = template.split("/")[2]
        self.min_zoom = self.grid.min_level
        self.max_zoom = max_zoom
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def _cache_path(self, z: int, x: int, y: int) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha1(self.template.encode()).hexdigest()[:12]
        return self.cache_dir / key / str(z) / str(x) / f"{y}.tile"

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        cached = self._cache_path(z, x, y)
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        url = self.template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        request = urllib.request.Request(url, headers={"User-Agent": "GasOps-Console/0.1"})
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
        if cached is not None and data:
            from console.atomic import atomic_write_bytes

            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(cached, data)
        return data


class FolderSource(TileSource):
    """Tiles from a folder, ``…/{z}/{x}/{y}.png`` (a tile cache copied to a control room without internet); a
    ``#EPSG:4490`` fragment says the tiles are Tianditu's CGCS2000 lon/lat grid."""

    def __init__(self, template: str) -> None:
        template = template.removeprefix("file://")
        if not all(f"{{{k}}}" in template for k in "zxy"):
            raise BasemapError(f"{template!r}: a tile folder needs the {{z}}, {{x}} and {{y}} placeholders")
        self.template, self.grid = _grid_of_template(template)
        root = Path(self.template.split("{", 1)[0])
        if not root.is_dir():
            raise BasemapError(f"{template!r}: no such tile folder ({root})")
        self.name = root.name or str(root)
        self.min_zoom = self.grid.min_level

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        path = Path(self.template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)))
        return path.read_bytes() if path.is_file() else None


def open_tile_source(spec: str, cache_dir: str | Path | None = None) -> TileSource:
    """An MBTiles file, a tile folder template or a tile URL template as a :class:`TileSource` (a clear error
    otherwise)."""
    spec = spec.strip()
    if spec.startswith(("http://", "https://")):
        return XYZSource(spec, cache_dir)
    if spec.lower().endswith(".mbtiles"):
        return MBTilesSource(spec)
    if spec.startswith("file://") or ("{z}" in spec and "://" not in spec):
        return FolderSource(spec)
    raise BasemapError(f"{spec!r}: give an .mbtiles file, a tile folder …/{{z}}/{{x}}/{{y}}.png or an http(s) tile URL")


def tiles_for_view(bounds: tuple[float, float, float, float], units_per_px: float, source: TileSource):
    """The level whose tiles are closest to one screen pixel and the (z, x, y) tiles covering ``bounds`` (in the
    source grid's CRS; at most ``MAX_TILES``: a coarser level when the view would need more).

    >>> z, tiles = tiles_for_view((0.0, 0.0, 1000.0, 1000.0), 1.2, TileSource())
    >>> z, tiles[:2]
    (17, [(17, 65536, 65532), (17, 65536, 65533)])
    """
    grid = source.grid
    x0, y0, x1, y1 = bounds
    lo = max(source.min_zoom, grid.min_level)
    z = int(round(math.log2(max(grid.span0 / (256.0 * max(units_per_px, 1e-12)), 1.0))))
    z = min(max(z, lo), source.max_zoom)
    while True:
        cols, rows = grid.size(z)
        size = grid.span(z)
        cx0 = max(int(math.floor((x0 - grid.left) / size)), 0)
        cx1 = min(int(math.floor((x1 - grid.left) / size)), cols - 1)
        cy0 = max(int(math.floor((grid.top - y1) / size)), 0)
        cy1 = min(int(math.floor((grid.top - y0) / size)), rows - 1)
        count = max(cx1 - cx0 + 1, 0) * max(cy1 - cy0 + 1, 0)
        if count <= MAX_TILES or z <= lo:
            return z, [(z, x, y) for x in range(cx0, cx1 + 1) for y in range(cy0, cy1 + 1)][:MAX_TILES]
        z -= 1


WARP_STEPS = 16  # the warp is exact at a 17 × 17 lattice of each tile and bilinear between (sub-pixel at 256 px)


def warp_tile(image: QImage, grid_bounds, to_map, to_grid) -> tuple[QImage, tuple[float, float, float, float]]:
    """``image`` (a tile covering ``grid_bounds`` = (left, bottom, right, top) in its grid's CRS) resampled into the
    map's CRS: returns an ARGB image, north-up in map coordinates, and its (x0, y0, x1, y1) map extent; pixels outside
    the tile are transparent. ``to_map``/``to_grid`` are always_xy pyproj transformers (grid → map, map → grid). Each
    output pixel takes the tile pixel its centre falls in, with the point transformation exact on a lattice and
    interpolated between, so meridian convergence and the Gauss-Krüger scale are honoured tile by tile."""
    left, bottom, right, top = grid_bounds
    t = np.linspace(0.0, 1.0, WARP_STEPS + 1)
    ex = np.concatenate([left + (right - left) * t, np.full_like(t, right), left + (right - left) * t,
                         np.full_like(t, left)])  # fmt: skip
    ey = np.concatenate([np.full_like(t, top), bottom + (top - bottom) * t, np.full_like(t, bottom),
                         bottom + (top - bottom) * t])  # fmt: skip
    mx, my = to_map.transform(ex, ey)
    mx, my = np.asarray(mx), np.asarray(my)
    if not (np.isfinite(mx).all() and np.isfinite(my).all()):
        raise BasemapError("tile outside the map's CRS")
    x0, x1, y0, y1 = float(mx.min()), float(mx.max()), float(my.min()), float(my.max())
    src = image.convertToFormat(QImage.Format.Format_ARGB32)
    sw, sh = src.width(), src.height()
    # the output keeps the tile's pixel size: its edge length in map units over its pixels
    edge = math.hypot(mx[WARP_STEPS] - mx[0], my[WARP_STEPS] - my[0]) / max(sw, 1)
    ow = int(min(max(math.ceil((x1 - x0) / max(edge, 1e-9)), 1), 2 * sw))
    oh = int(min(max(math.ceil((y1 - y0) / max(edge, 1e-9)), 1), 2 * sh))
    # lattice of output pixel positions → grid CRS → source pixel (u, v)
    lx = x0 + (x1 - x0) * np.linspace(0.0, 1.0, WARP_STEPS + 1)
    ly = y1 - (y1 - y0) * np.linspace(0.0, 1.0, WARP_STEPS + 1)
    gx, gy = np.meshgrid(lx, ly)
    qx, qy = to_grid.transform(gx.ravel(), gy.ravel())
    u = ((np.asarray(qx) - left) / (right - left) * sw).reshape(gx.shape)
    v = ((top - np.asarray(qy)) / (top - bottom) * sh).reshape(gx.shape)
    # bilinear between lattice nodes, at output pixel centres
    fc = (np.arange(ow) + 0.5) / ow * WARP_STEPS
    fr = (np.arange(oh) + 0.5) / oh * WARP_STEPS
    c0 = np.minimum(fc.astype(int), WARP_STEPS - 1)
    r0 = np.minimum(fr.astype(int), WARP_STEPS - 1)
    a = (fc - c0)[None, :]
    b = (fr - r0)[:, None]

    def lerp(f):
        f00, f01 = f[r0][:, c0], f[r0][:, c0 + 1]
        f10, f11 = f[r0 + 1][:, c0], f[r0 + 1][:, c0 + 1]
        return (f00 * (1 - a) + f01 * a) * (1 - b) + (f10 * (1 - a) + f11 * a) * b

    uu, vv = np.floor(lerp(u)).astype(np.int64), np.floor(lerp(v)).astype(np.int64)
    inside = (uu >= 0) & (uu < sw) & (vv >= 0) & (vv < sh)
    stride = src.bytesPerLine() // 4
    pixels = np.frombuffer(src.constBits(), dtype=np.uint32, count=stride * sh).reshape(sh, stride)[:, :sw]
    out = np.zeros((oh, ow), dtype=np.uint32)
    out[inside] = pixels[vv[inside], uu[inside]]
    warped = QImage(out.tobytes(), ow, oh, 4 * ow, QImage.Format.Format_ARGB32).copy()
    return warped, (x0, y0, x1, y1)


class _TileItem(pg.GraphicsObject):
    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.tiles: OrderedDict = OrderedDict()  # key -> (QImage, QPolygonF local quad)
        self.wanted: set = set()
        self._rect = QRectF()

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def clear(self) -> None:
        self.prepareGeometryChange()
        self.tiles.clear()
        self._rect = QRectF()
        self.update()

    def add(self, key, image: QImage, quad: QPolygonF) -> None:
        self.prepareGeometryChange()
        self.tiles[key] = (image, quad)
        self.tiles.move_to_end(key)
        while len(self.tiles) > 4 * MAX_TILES:  # the memory cache: the least recently arrived go first
            self.tiles.popitem(last=False)
        self._rect = self._rect.united(quad.boundingRect())
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        src_z = {k[0] for k in self.wanted}
        for key, (image, quad) in self.tiles.items():
            if src_z and key[0] not in src_z and self.wanted:
                continue  # another zoom level's tile: drawn only while nothing of the current level is here
            w, h = image.width(), image.height()
            transform = QTransform()
            if not QTransform.quadToQuad(QPolygonF([QPointF(0, 0), QPointF(w, 0), QPointF(w, h), QPointF(0, h)]),
                                         quad, transform):  # fmt: skip
                continue
            painter.save()
            painter.setTransform(transform, True)
            painter.drawImage(0, 0, image)
            painter.restore()


class TileLayer(QObject):
    """Raster tiles of a :class:`TileSource` under the network of a :class:`MapCanvas`: fetched, decoded and warped
    from the source's grid (Web Mercator or CGCS2000 lon/lat) into the network's CRS on a thread pool; the UI thread
    only draws finished, north-up images."""

    tileArrived = Signal(object, object, object, object)  # generation, key, QImage, map extent (queued to the UI)

    def __init__(self, canvas, source: TileSource, workers: int = 4) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.source = source
        self.item = _TileItem()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tiles")
        self._pending: set = set()
        self._failed: set = set()
        self._crs = None
        self._to_grid = None
        self._generation = 0
        self._local = threading.local()
        self.errors: list[str] = []
        self.tileArrived.connect(self._on_tile, Qt.ConnectionType.QueuedConnection)
        canvas.add_overlay(self.item, TILES_Z)

    def set_crs(self, crs) -> bool:
        """Warp tiles into ``crs`` from now on (False for a schematic without a place: no tiles then)."""
        from pyproj import CRS, Transformer

        self._generation += 1
        self._pending.clear()
        self._failed.clear()
        self.item.clear()
        if crs is None or getattr(crs, "is_engineering", False):
            self._crs = self._to_grid = None
            return False
        self._crs = crs
        self._to_grid = Transformer.from_crs(crs, CRS.from_epsg(self.source.grid.epsg), always_xy=True)
        return True

    def refresh(self) -> list:
        """Ask for the tiles the view needs (returns them); those cached are drawn at once, the others on arrival."""
        if self._to_grid is None:
            return []
        x0, y0, x1, y1 = self.canvas.map_range()
        t = np.linspace(0.0, 1.0, 5)
        bx = np.concatenate([x0 + (x1 - x0) * t, np.full(5, x1), x0 + (x1 - x0) * t, np.full(5, x0)])
        by = np.concatenate([np.full(5, y0), y0 + (y1 - y0) * t, np.full(5, y1), y0 + (y1 - y0) * t])
        xs, ys = (np.asarray(v) for v in self._to_grid.transform(bx, by))
        if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
            return []
        box = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
        upp = (box[2] - box[0]) / max(self.canvas.viewport().width(), 1)
        _z, tiles = tiles_for_view(box, upp, self.source)
        self.item.wanted = set(tiles)
        for key in tiles:
            if key in self.item.tiles or key in self._pending or key in self._failed:
                continue
            self._pending.add(key)
            self._pool.submit(self._fetch, self._generation, self._crs, key)
        self.item.update()
        return tiles

    def _transformers(self, crs):
        """This worker thread's transformers (grid → map, map → grid) for ``crs``."""
        from pyproj import CRS, Transformer

        cached = getattr(self._local, "pair", None)
        if cached is None or cached[0] is not crs:
            grid_crs = CRS.from_epsg(self.source.grid.epsg)
            cached = (crs, Transformer.from_crs(grid_crs, crs, always_xy=True),
                      Transformer.from_crs(crs, grid_crs, always_xy=True))  # fmt: skip
            self._local.pair = cached
        return cached[1], cached[2]

    def _fetch(self, generation: int, crs, key) -> None:
        image, extent = QImage(), None
        try:
            data = self.source.fetch(*key)
            tile = QImage.fromData(data) if data else QImage()
            if not tile.isNull():
                image, extent = warp_tile(tile, self.source.grid.bounds(*key), *self._transformers(crs))
        except Exception as exc:  # offline, 404, a damaged file: the map goes on without this tile
            image = QImage()
            self.errors.append(f"{self.source.name} tile {key}: {exc}")
        self.tileArrived.emit(generation, key, image, extent)

    def _on_tile(self, generation: int, key, image: QImage, extent) -> None:
        if generation != self._generation:
            return  # warped for a network no longer shown
        self._pending.discard(key)
        if image.isNull() or extent is None:
            self._failed.add(key)
            return
        x0, y0, x1, y1 = extent
        ox, oy = self.canvas.origin
        quad = QPolygonF([QPointF(x0 - ox, y1 - oy), QPointF(x1 - ox, y1 - oy), QPointF(x1 - ox, y0 - oy),
                          QPointF(x0 - ox, y0 - oy)])  # fmt: skip
        self.item.add(key, image, quad)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.canvas.remove_overlay(self.item)


# -- the feature -------------------------------------------------------------------------------------------------------
class BasemapController(QObject):
    """The basemap of one main window: the vector layer follows the shown network, the raster layer the view."""

    prepared = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.item = BasemapItem()
        self.item.set_theme(window.theme.name)
        self.item.theme_of = lambda: self.canvas.theme.name
        self.canvas.add_overlay(self.item, BASEMAP_Z)
        self.canvas.add_overlay(self.item.names, NAMES_Z)
        self.tiles: TileLayer | None = None
        declare_action = window.actions.declare
        self.act_show = declare_action(ActionSpec(
            "view.basemap", QT_TRANSLATE_NOOP("Actions", "&Basemap: streets, blocks, buildings"), self._on_toggle, (),
            QT_TRANSLATE_NOOP("Actions", "Streets with their names, blocks and building footprints under the network"),
            menu="View",
            section="basemap", checkable=True))  # fmt: skip
        self.act_tiles = declare_action(ActionSpec(
            "view.basemap_tiles", QT_TRANSLATE_NOOP("Actions", "Raster basemap…"), self.choose_tiles, (),
            QT_TRANSLATE_NOOP("Actions", "Raster tiles under the network: an MBTiles file (offline) or an XYZ/WMTS tile URL"),
            menu="View",
            section="basemap"))  # fmt: skip
        self.act_show.setChecked(bool(window.prefs.get("basemap/visible")))
        window.networkShown.connect(self._on_network_shown)
        self.canvas.viewChanged.connect(lambda *_: self.tiles is not None and self.tiles.refresh())
        window.closing.connect(self._close)
        spec = str(window.prefs.get("basemap/tiles") or "")
        if spec:
            try:
                self.set_tiles(spec)
            except GasOpsError as exc:
                window.statusBar().showMessage(
                    translate("Basemap", "Raster basemap off: {error}").format(error=exc), 8000
                )
        if window.network is not None:
            self._on_network_shown()

    def _on_toggle(self, on: bool) -> None:
        self.window.prefs.set("basemap/visible", bool(on))
        self.item.setVisible(bool(on))

    def _on_network_shown(self) -> None:
        network = self.window.network
        if network is None:
            return
        self.item.set_theme(self.window.theme.name)
        try:
            self.window.jobs.submit("basemap.prepare", prepare_basemap, network,
                                    on_done=lambda data, n=network: self._on_prepared(n, data),
                                    on_error=lambda exc: log.warning("basemap: %s", exc))  # fmt: skip
        except RuntimeError:  # the window is closing: its job runner is shut down, nothing left to draw
            return
        if self.tiles is not None:
            self.tiles.set_crs(network.crs)
            self.tiles.refresh()

    def _on_prepared(self, network, data: BasemapData) -> None:
        if network is not self.window.network:
            return
        self.item.set_data(data, self.canvas.origin)
        self.item.setVisible(self.act_show.isChecked())
        self.prepared.emit()

    def set_tiles(self, spec: str) -> TileLayer | None:
        """Draw raster tiles from ``spec`` (an .mbtiles path or a tile URL; "" turns them off)."""
        if self.tiles is not None:
            self.tiles.close()
            self.tiles = None
        if spec.strip():
            from console.app.workspace import data_dir

            source = open_tile_source(spec, Path(data_dir()) / "tile-cache")
            self.tiles = TileLayer(self.canvas, source)
            if self.window.network is not None:
                self.tiles.set_crs(self.window.network.crs)
                self.tiles.refresh()
        self.window.prefs.set("basemap/tiles", spec.strip())
        return self.tiles

    def choose_tiles(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        current = str(self.window.prefs.get("basemap/tiles") or "")
        text, ok = QInputDialog.getText(
            self.window, translate("Basemap", "Raster basemap"),
            translate("Basemap", "An MBTiles file or tile folder …/{z}/{x}/{y}.png (offline), or a tile URL with "
                      "{z}/{x}/{y}\n(Tianditu: the w layers are Web Mercator, the c layers — TILEMATRIXSET=c — "
                      "CGCS2000 lon/lat;\nadd #EPSG:4490 to a folder or URL in that grid). Empty turns raster tiles "
                      "off:"), text=current)  # fmt: skip
        if not ok:
            return
        try:
            self.set_tiles(text)
        except GasOpsError as exc:
            self.window.show_error(translate("Basemap", "Raster basemap"), str(exc))

    def _close(self) -> None:
        if self.tiles is not None:
            self.tiles.close()


def install(window) -> BasemapController:
    return BasemapController(window)
