"""The 3D view widget (三维视图): pipes at depth, ground, buildings, symbols and risers in one pyqtgraph.opengl scene.

One GL item per style, never per feature: all pipes are one line item coloured per vertex (a colour mode only swaps
the colour array), the level-of-detail set is a second line item shown while the camera moves, each symbol layer
is one scatter item, the buildings one mesh and the ground one mesh. Lines are drawn with opaque blending: pyqtgraph's
default additive blending washes a dense network to white.

The geometry comes prepared from :mod:`console.scene` (Qt-free); picking is on the CPU there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pyqtgraph.opengl as gl
from PySide6.QtCore import QT_TRANSLATE_NOOP, QPoint, QPointF, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMatrix4x4, QPainter, QPen, QVector3D
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.scene import NetworkScene, SegmentPicker, thin_pipes
from console.ui.i18n import translate
from console.ui.view3d._symbols import SymbolItem, symbol_pixmap

__all__ = ["BACKGROUND", "GLView", "LegendEntry", "PreparedView", "View3D", "prepare_view"]

BACKGROUND = "#0d1117"
GROUND_RGB = (0.42, 0.47, 0.40)
BUILDING_RGBA = (0.62, 0.64, 0.70, 1.0)
SELECTION_RGBA = (1.0, 1.0, 0.2, 1.0)
LOD_BUDGET_SEGMENTS = 25_000  # segments drawn while the camera moves: ~20 ms of a frame on llvmpipe, 2 cores
FULL_DETAIL_AFTER_MS = 300
DETAIL_MAX_DISTANCE_M = 3000.0  # buildings, meters and risers are drawn from closer than this (specks beyond)
MAX_BUILDINGS = 15_000  # the nearest ones around the camera's target, rebuilt when the camera rests
GROUND_LOD_STEP = 4
DETAIL_KEYS = ("buildings", "symbols:customers", "risers", "symbols:valves")  # hidden while moving
SYMBOL_COLOURS = {
    "valves": (0.15, 0.85, 0.35, 1.0),
    "regulators": (0.2, 0.75, 1.0, 1.0),
    "gate_stations": (1.0, 0.25, 0.25, 1.0),
    "customers": (0.85, 0.85, 0.85, 1.0),
}
SYMBOL_SIZES = {"valves": 16.0, "regulators": 16.0, "gate_stations": 24.0, "customers": 3.0}
# valve ⋈ (as on every utility map), regulator ■, gate station ▲, meter ● (console.ui.view3d._symbols)
SYMBOL_SHAPES = {"valves": "bowtie", "regulators": "square", "gate_stations": "triangle", "customers": "circle"}
SYMBOL_LABELS = {
    "valves": QT_TRANSLATE_NOOP("View3D", "Valve"),
    "regulators": QT_TRANSLATE_NOOP("View3D", "Regulator"),
    "gate_stations": QT_TRANSLATE_NOOP("View3D", "Gate station"),
    "customers": QT_TRANSLATE_NOOP("View3D", "Meter"),
}
RISER_RGBA = (1.0, 0.85, 0.3, 1.0)
# the translucent ground is drawn after everything else: drawn first, it would fill the depth buffer and hide the pipes
# beneath it instead of letting them show through (x-ray)
GROUND_DEPTH_ORDER = 10


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str  # #rrggbb
    shape: str = ""  # a symbol shape (console.ui.view3d._symbols.SHAPES), "line" for a pipe style, "" a swatch


@dataclass(frozen=True, eq=False)
class PreparedView:
    """What the view needs besides the scene, built without GL (in a job): the CPU picker and the level of detail."""

    scene: NetworkScene
    picker: SegmentPicker
    lod_rows: np.ndarray | None  # pipes drawn while the camera moves (None: all, the scene is small)
    lod_chords: np.ndarray | None  # their vertex pairs, one chord per pipe


def prepare_view(scene: NetworkScene) -> PreparedView:
    """The picker's KD-tree and the level-of-detail set of ``scene`` (Qt-free: run it off the UI thread)."""
    picker = SegmentPicker(scene.segments)
    if len(scene.segment_pipe) > LOD_BUDGET_SEGMENTS:
        # while moving each kept pipe is one straight chord (end to end): one segment per pipe
        rows = thin_pipes(scene.pipe_mid, scene.length_m, scene.is_main, LOD_BUDGET_SEGMENTS)
        return PreparedView(scene, picker, rows, scene.pipe_chords(rows))
    return PreparedView(scene, picker, None, None)


def _nobreak(text: str) -> str:
    """``text`` as rich text that wraps nowhere (its spaces non-breaking)."""
    return escape(text).replace(" ", "&nbsp;")


def _rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    c = QColor(hex_colour)
    return (c.redF(), c.greenF(), c.blueF(), alpha)


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new row when the width runs out (a legend that never widens its window)."""

    def __init__(self, parent=None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items = []
        self._spacing = spacing

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, row_height = area.x(), y + row_height + 2, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()


def qmatrix_to_numpy(m: QMatrix4x4) -> np.ndarray:
    """Row-major numpy copy of a QMatrix4x4 (Qt stores it column-major)."""
    return np.array(m.data(), dtype=np.float64).reshape(4, 4).T


class GLView(gl.GLViewWidget):
    """The GL widget: tells when the camera moves (for level of detail) and where a click landed (for picking)."""

    cameraMoved = Signal()
    clicked = Signal(float, float, object)  # x, y (widget px), button

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._press: QPointF | None = None
        self.setBackgroundColor(BACKGROUND)

    def orbit(self, azim, elev):
        super().orbit(azim, elev)
        self.cameraMoved.emit()

    def pan(self, dx, dy, dz, relative="global"):
        super().pan(dx, dy, dz, relative)
        self.cameraMoved.emit()

    def wheelEvent(self, ev):
        super().wheelEvent(ev)
        self.cameraMoved.emit()

    def mousePressEvent(self, ev):
        super().mousePressEvent(ev)
        self._press = ev.position()

    def mouseReleaseEvent(self, ev):
        super().mouseReleaseEvent(ev)
        if self._press is not None and (ev.position() - self._press).manhattanLength() <= 3:
            self.clicked.emit(ev.position().x(), ev.position().y(), ev.button())
        self._press = None

    def mvp(self) -> np.ndarray:
        """Model-view-projection matrix of the scene's coordinates (before the view's z exaggeration)."""
        w, h = max(self.width(), 1), max(self.height(), 1)
        return qmatrix_to_numpy(self.projectionMatrix((0, 0, w, h), (0, 0, w, h))) @ qmatrix_to_numpy(self.viewMatrix())


class View3D(QWidget):
    """A network's scene with its controls: colour mode, vertical exaggeration, ground opacity, layers, camera.

    Signals
    -------
    featurePicked(layer, feature_id)
        A click hit a pipe or a symbol (``layer`` is the network layer).
    featureMenu(layer, feature_id, global_pos)
        A right click hit a feature.
    colourModeChanged(mode)
        The user chose another colour mode (the controller computes the colours).
    """

    featurePicked = Signal(str, str)
    featureMenu = Signal(str, str, object)
    colourModeChanged = Signal(str)
    contoursToggled = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.scene: NetworkScene | None = None
        self.gl = GLView(self)
        self._z_scale = 1.0
        self._ground_alpha = 0.55
        self._pipe_colors: np.ndarray | None = None  # (n pipes, 4)
        self._ground_colors: np.ndarray | None = None  # (vertices, 3) band colours, None: plain ground
        self._picker: SegmentPicker | None = None
        self._lod_rows: np.ndarray | None = None
        self._selected: str | None = None
        self._symbol_xyz: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.items: dict[str, gl.GLGraphicsItem.GLGraphicsItem] = {}
        self.overlays: dict[str, object] = {}
        self._moving = False
        self.buildings_drawn = 0
        self._building_centres = np.zeros((0, 2))
        self._buildings_at: tuple[float, float, float] | None = None
        self._lod_timer = QTimer(self, singleShot=True, interval=FULL_DETAIL_AFTER_MS, timeout=self._full_detail)
        self._fly = QTimer(self, interval=30, timeout=self._fly_step)
        self._fly_path: list[tuple] = []
        self.legend_entries: list[LegendEntry] = []
        self._build_controls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.controls)
        layout.addWidget(self.gl, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.symbol_legend)
        self.gl.cameraMoved.connect(self._on_camera_change)
        self.gl.clicked.connect(self._on_click)

    # -- controls --------------------------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.controls = bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 2, 4, 2)
        self.colour_mode = QComboBox(bar)
        # as wide as its longest mode, also when the simulation's modes arrive after the view was shown
        self.colour_mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.colour_mode.setToolTip(translate("View3D", "Colour the pipes by …"))
        self.colour_mode.currentIndexChanged.connect(
            lambda _i: self.colourModeChanged.emit(self.colour_mode.currentData())
        )
        self.exaggeration = QSlider(Qt.Orientation.Horizontal, bar)
        self.exaggeration.setRange(1, 50)
        self.exaggeration.setValue(1)
        self.exaggeration.setFixedWidth(120)
        self.exaggeration.setToolTip(translate("View3D", "Vertical exaggeration"))
        self.exaggeration.valueChanged.connect(lambda v: self.set_z_scale(float(v)))
        self.exaggeration_label = QLabel("×1", bar)
        self.ground_opacity = QSlider(Qt.Orientation.Horizontal, bar)
        self.ground_opacity.setRange(0, 100)
        self.ground_opacity.setValue(int(self._ground_alpha * 100))
        self.ground_opacity.setFixedWidth(120)
        self.ground_opacity.setToolTip(
            translate("View3D", "Ground opacity: lower it to see the pipes through the ground (x-ray)")
        )
        self.ground_opacity.valueChanged.connect(lambda v: self.set_ground_opacity(v / 100.0))
        self.show_buildings = QCheckBox(translate("View3D", "Buildings"), bar)
        self.show_buildings.setChecked(True)
        self.show_buildings.toggled.connect(lambda on: self._set_visible("buildings", on))
        self.show_contours = QCheckBox(translate("View3D", "Contours"), bar)
        self.show_contours.setToolTip(
            translate("View3D", "Pressure contours of the last simulation as bands on the ground")
        )
        self.show_contours.toggled.connect(self.contoursToggled.emit)
        above = QToolButton(bar, text=translate("View3D", "Above"))
        above.setToolTip(translate("View3D", "Look down on the district from above"))
        above.clicked.connect(lambda: self.look_from(above=True))
        below = QToolButton(bar, text=translate("View3D", "Below"))
        below.setToolTip(translate("View3D", "Look up at the pipes from below ground"))
        below.clicked.connect(lambda: self.look_from(above=False))
        for w in (
            QLabel(translate("View3D", "Colour"), bar),
            self.colour_mode,
            QLabel(translate("View3D", "Exaggeration"), bar),
            self.exaggeration,
            self.exaggeration_label,
            QLabel(translate("View3D", "Ground"), bar),
            self.ground_opacity,
            self.show_buildings,
            self.show_contours,
            above,
            below,
        ):
            row.addWidget(w)
        row.addStretch(1)
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setContentsMargins(4, 0, 4, 0)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.symbol_legend = QWidget(self)
        self._symbol_legend_row = FlowLayout(self.symbol_legend)
        self._symbol_legend_row.setContentsMargins(4, 0, 4, 2)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.symbol_legend.setSizePolicy(policy)
        self.symbol_legend_entries: list[LegendEntry] = []
        self._overlay_legends: dict[str, list[LegendEntry]] = {}

    def _rebuild_symbol_legend(self) -> None:
        """The symbols drawn (and the overlays' styles, e.g. the open incident) as icons with labels."""
        row = self._symbol_legend_row
        while row.count():
            item = row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        entries = [
            LegendEntry(
                translate("View3D", SYMBOL_LABELS[layer]),
                QColor.fromRgbF(*SYMBOL_COLOURS[layer]).name(),
                SYMBOL_SHAPES[layer],
            )
            for layer in SYMBOL_SHAPES
            if layer in self._symbol_xyz
        ]
        if "risers" in self.items:
            entries.append(LegendEntry(translate("View3D", "Riser"), QColor.fromRgbF(*RISER_RGBA).name(), "line"))
        for extra in self._overlay_legends.values():
            entries += extra
        self.symbol_legend_entries = entries
        for e in entries:
            entry = QWidget(self.symbol_legend)  # icon and label stay together on one row
            pair = QHBoxLayout(entry)
            pair.setContentsMargins(0, 0, 0, 0)
            pair.setSpacing(4)
            icon = QLabel(entry)
            if e.shape == "line":
                pix = symbol_pixmap("square", _rgba(e.color), 16)
                pix.fill(Qt.GlobalColor.transparent)
                painter = QPainter(pix)
                painter.setPen(QPen(QColor(e.color), 4))
                painter.drawLine(1, 8, 15, 8)
                painter.end()
            else:
                pix = symbol_pixmap(e.shape or "square", _rgba(e.color), 16)
            icon.setPixmap(pix)
            pair.addWidget(icon)
            pair.addWidget(QLabel(e.label, entry))
            row.addWidget(entry)
        self.symbol_legend.updateGeometry()

    def set_overlay_legend(self, key: str, entries: list[LegendEntry]) -> None:
        """Legend entries explaining overlay ``key`` (none: removed)."""
        if entries:
            self._overlay_legends[key] = list(entries)
        else:
            self._overlay_legends.pop(key, None)
        self._rebuild_symbol_legend()

    def set_colour_modes(self, modes: list[tuple[str, str]], current: str) -> None:
        """(mode key, label) pairs for the colour box."""
        self.colour_mode.blockSignals(True)
        self.colour_mode.clear()
        for key, label in modes:
            self.colour_mode.addItem(translate("View3D", label), key)
        index = self.colour_mode.findData(current)
        self.colour_mode.setCurrentIndex(max(index, 0))
        self.colour_mode.blockSignals(False)

    # -- the scene -------------------------------------------------------------------------------------------------
    def set_scene(self, scene: NetworkScene, prepared: PreparedView | None = None) -> None:
        """Replace the drawn network with ``scene`` and look at all of it from above. ``prepared`` (from
        :func:`prepare_view`, in a job off the UI thread) saves building the picker and the level of detail here."""
        for item in list(self.items.values()) + [i for v in self.overlays.values() for i in v]:
            self.gl.removeItem(item)
        self.items, self.overlays = {}, {}
        self._overlay_legends = {}
        self.scene = scene
        if prepared is None or prepared.scene is not scene:
            prepared = prepare_view(scene)
        self._picker = prepared.picker
        self._lod_rows = prepared.lod_rows
        if self._pipe_colors is None or len(self._pipe_colors) != len(scene.pipe_ids):
            self._pipe_colors = np.tile(np.array([[0.9, 0.6, 0.2, 1.0]], dtype=np.float32), (len(scene.pipe_ids), 1))
        self._ground_colors = None
        verts, faces = scene.ground.mesh(scene.origin)
        ground = gl.GLMeshItem(
            vertexes=verts, faces=faces, smooth=False, drawEdges=False, glOptions="translucent", computeNormals=False
        )
        ground.setDepthValue(GROUND_DEPTH_ORDER)
        self._add("ground", ground)
        self._paint_ground()
        cverts, cfaces = scene.ground.coarse(GROUND_LOD_STEP).mesh(scene.origin)
        ground_lod = gl.GLMeshItem(
            vertexes=cverts, faces=cfaces, smooth=False, drawEdges=False, glOptions="translucent", computeNormals=False
        )
        ground_lod.setVisible(False)
        ground_lod.setDepthValue(GROUND_DEPTH_ORDER)
        self._add("ground_lod", ground_lod)
        self._paint_ground()
        self._building_centres = scene.building_centres()
        self._buildings_at = None
        if len(self._building_centres):
            buildings = gl.GLMeshItem(
                vertexes=np.zeros((3, 3), np.float32),
                faces=np.zeros((1, 3), np.int32),
                color=BUILDING_RGBA,
                shader="shaded",
                smooth=False,
                glOptions="opaque",
            )
            self._add("buildings", buildings)
        pipes = gl.GLLinePlotItem(pos=scene.segments, mode="lines", width=2.0, antialias=False, glOptions="opaque")
        self._add("pipes", pipes)
        if self._lod_rows is not None:
            lod = gl.GLLinePlotItem(
                pos=prepared.lod_chords,
                mode="lines",
                width=1.0,
                antialias=False,
                glOptions="opaque",
            )
            lod.setVisible(False)
            self._add("pipes_lod", lod)
        if len(scene.risers):
            self._add(
                "risers",
                gl.GLLinePlotItem(pos=scene.risers, mode="lines", width=2.0, color=RISER_RGBA, glOptions="opaque"),
            )
        self._symbol_xyz = {}
        for layer, (ids, xyz) in scene.symbols.items():
            if not len(ids):
                continue
            self._symbol_xyz[layer] = (ids, xyz)
            item = SymbolItem(
                SYMBOL_SHAPES[layer],
                on_top=layer in ("regulators", "gate_stations"),
                pos=xyz,
                color=SYMBOL_COLOURS[layer],
                size=SYMBOL_SIZES[layer],
                pxMode=True,
            )
            self._add(f"symbols:{layer}", item)
        self._apply_pipe_colors()
        self._rebuild_symbol_legend()
        self.set_z_scale(self._z_scale)
        self.look_from(above=True)
        self._full_detail()

    def _add(self, key: str, item) -> None:
        self.items[key] = item
        self.gl.addItem(item)

    def _set_visible(self, key: str, on: bool) -> None:
        if key in self.items:
            self.items[key].setVisible(on and (key != "buildings" or self._details_wanted()))
        if key == "buildings" and on and "buildings" in self.items:
            self._update_buildings()

    # -- colours ---------------------------------------------------------------------------------------------------
    def set_pipe_colors(self, rgba: np.ndarray, legend: list[LegendEntry], title: str = "") -> None:
        """Colour per pipe row ((n, 4) floats 0..1) and the legend that explains them."""
        self._pipe_colors = np.asarray(rgba, dtype=np.float32)
        self.legend_entries = list(legend)
        # an entry never breaks inside (non-breaking spaces); the legend wraps between entries
        swatches = " &nbsp; ".join(
            f'<span style="color:{e.color}">■</span>&nbsp;{_nobreak(e.label)}' for e in self.legend_entries
        )
        self.legend.setText(f"<b>{_nobreak(title)}</b> &nbsp; {swatches}" if title else swatches)
        self._apply_pipe_colors()

    def _apply_pipe_colors(self) -> None:
        if self.scene is None or "pipes" not in self.items or self._pipe_colors is None:
            return
        per_vertex = np.repeat(self._pipe_colors[self.scene.segment_pipe], 2, axis=0)
        self.items["pipes"].setData(color=per_vertex)
        if "pipes_lod" in self.items:
            self.items["pipes_lod"].setData(color=np.repeat(self._pipe_colors[self._lod_rows], 2, axis=0))

    def set_ground_bands(self, vertex_rgb: np.ndarray | None) -> None:
        """Colour the ground's vertices (contour bands), or None for the plain ground."""
        self._ground_colors = None if vertex_rgb is None else np.asarray(vertex_rgb, dtype=np.float32)
        self._paint_ground()

    def ground_vertices_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """CRS coordinates of the ground's vertices (for draping contour bands)."""
        g = self.scene.ground
        ny, nx = g.z.shape
        gx, gy = np.meshgrid(g.x0 + np.arange(nx) * g.cell, g.y0 + np.arange(ny) * g.cell)
        return gx.ravel(), gy.ravel()

    def _paint_ground(self) -> None:
        item = self.items.get("ground")
        if item is None:
            return
        shape = self.scene.ground.z.shape
        n = self.scene.ground.z.size
        rgb = (
            self._ground_colors
            if self._ground_colors is not None
            else np.tile(np.array([GROUND_RGB], np.float32), (n, 1))
        )
        colors = np.column_stack([rgb, np.full(n, self._ground_alpha, dtype=np.float32)])
        item.opts["meshdata"].setVertexColors(colors)
        item.meshDataChanged()
        item.setVisible(self._ground_alpha > 0.0 and self.at_full_detail)
        coarse = self.items.get("ground_lod")
        if coarse is not None:
            step = GROUND_LOD_STEP
            coarse.opts["meshdata"].setVertexColors(colors.reshape(*shape, 4)[::step, ::step].reshape(-1, 4))
            coarse.meshDataChanged()
            coarse.setVisible(self._ground_alpha > 0.0 and not self.at_full_detail)

    def set_ground_opacity(self, alpha: float) -> None:
        self._ground_alpha = float(np.clip(alpha, 0.0, 1.0))
        if self.ground_opacity.value() != round(self._ground_alpha * 100):
            self.ground_opacity.setValue(round(self._ground_alpha * 100))
        self._paint_ground()

    # -- vertical exaggeration ---------------------------------------------------------------------------------------
    @property
    def z_scale(self) -> float:
        return self._z_scale

    def set_z_scale(self, k: float) -> None:
        """Multiply every height by ``k`` (1 = true scale), keeping the camera on the same spot."""
        old = self._z_scale
        self._z_scale = max(float(k), 0.01)
        self.exaggeration_label.setText(f"×{self._z_scale:g}")
        if self.exaggeration.value() != round(self._z_scale):
            self.exaggeration.blockSignals(True)
            self.exaggeration.setValue(round(self._z_scale))
            self.exaggeration.blockSignals(False)
        for item in [*self.items.values(), *(i for v in self.overlays.values() for i in v)]:
            self._scale_item(item)
        c = self.gl.opts["center"]
        self.gl.opts["center"] = QVector3D(c.x(), c.y(), c.z() * self._z_scale / old)
        self.gl.update()

    def _scale_item(self, item) -> None:
        item.resetTransform()
        item.scale(1.0, 1.0, self._z_scale)

    # -- camera ------------------------------------------------------------------------------------------------------
    def look_from(self, above: bool = True) -> None:
        """The whole district from above (elevation 35°) or from below ground (−20°: the pipes against the ground)."""
        if self.scene is None:
            return
        self.set_overlay("crossing", [])
        g = self.scene.ground
        ny, nx = g.z.shape
        extent = max(nx, ny) * g.cell
        z = float(np.median(g.z[g.valid])) if g.valid.any() else 0.0
        self.fly_to((0.0, 0.0, z - (0 if above else 2.0)), extent * 0.9, 35.0 if above else -20.0, -60.0, animate=False)

    def fly_to(
        self, xyz, distance: float, elevation: float, azimuth: float | None = None, animate: bool = True
    ) -> None:
        """Move the camera to look at scene point ``xyz`` (unexaggerated) from ``distance`` m."""
        target = (float(xyz[0]), float(xyz[1]), float(xyz[2]) * self._z_scale)
        az = float(self.gl.opts["azimuth"] if azimuth is None else azimuth)
        end = (target, float(distance), float(elevation), az)
        if not animate:
            self._fly.stop()
            self._set_camera(*end)
            return
        c = self.gl.opts["center"]
        start = (
            (c.x(), c.y(), c.z()),
            float(self.gl.opts["distance"]),
            float(self.gl.opts["elevation"]),
            float(self.gl.opts["azimuth"]),
        )
        steps = 15
        self._fly_path = []
        for i in range(1, steps + 1):
            t = 0.5 - 0.5 * np.cos(np.pi * i / steps)
            pos = tuple(a + (b - a) * t for a, b in zip(start[0], end[0], strict=True))
            dist = float(np.exp(np.log(start[1]) + (np.log(end[1]) - np.log(start[1])) * t))
            self._fly_path.append((pos, dist, start[2] + (end[2] - start[2]) * t, start[3] + (end[3] - start[3]) * t))
        self._fly.start()

    def _fly_step(self) -> None:
        if not self._fly_path:
            self._fly.stop()
            return
        self._set_camera(*self._fly_path.pop(0))

    @property
    def flying(self) -> bool:
        return self._fly.isActive()

    def _set_camera(self, pos, distance, elevation, azimuth) -> None:
        self.gl.setCameraPosition(pos=QVector3D(*pos), distance=distance, elevation=elevation, azimuth=azimuth)
        self.gl.cameraMoved.emit()

    def camera_target(self) -> tuple[float, float, float]:
        """Where the camera looks, in scene coordinates (unexaggerated)."""
        c = self.gl.opts["center"]
        return (c.x(), c.y(), c.z() / self._z_scale)

    # -- level of detail -----------------------------------------------------------------------------------------
    def _on_camera_change(self) -> None:
        """While the camera moves: the level-of-detail pipes, the coarse ground, no buildings, meters or risers."""
        if self.scene is None:
            return
        self._moving = True
        if "pipes_lod" in self.items:
            self.items["pipes"].setVisible(False)
            self.items["pipes_lod"].setVisible(True)
        for key in DETAIL_KEYS:
            if key in self.items:
                self.items[key].setVisible(False)
        if self._ground_alpha > 0.0 and "ground_lod" in self.items:
            self.items["ground"].setVisible(False)
            self.items["ground_lod"].setVisible(True)
        self._lod_timer.start()

    def _details_wanted(self) -> bool:
        return float(self.gl.opts["distance"]) <= DETAIL_MAX_DISTANCE_M

    def _full_detail(self) -> None:
        """The camera rests: everything, with the buildings near where it looks."""
        self._moving = False
        if self.scene is None:
            return
        if "pipes_lod" in self.items:
            self.items["pipes"].setVisible(True)
            self.items["pipes_lod"].setVisible(False)
        if "ground_lod" in self.items:
            self.items["ground_lod"].setVisible(False)
            self.items["ground"].setVisible(self._ground_alpha > 0.0)
        near = self._details_wanted()
        for key in DETAIL_KEYS:
            if key in self.items:
                shown = near or key == "symbols:valves"  # valves at any distance, the rest from close by
                self.items[key].setVisible(shown and (key != "buildings" or self.show_buildings.isChecked()))
        if near and "buildings" in self.items:
            self._update_buildings()
        self.gl.update()

    def _update_buildings(self) -> None:
        """The buildings around the camera's target (at most MAX_BUILDINGS, the nearest), unless already drawn."""
        c = self.gl.opts["center"]
        radius = max(2.5 * float(self.gl.opts["distance"]), 300.0)
        at = (c.x(), c.y(), radius)
        if self._buildings_at is not None:
            x, y, r = self._buildings_at
            if np.hypot(at[0] - x, at[1] - y) < 0.25 * r and 0.7 * r <= radius <= r:
                return
        d = np.hypot(self._building_centres[:, 0] - at[0], self._building_centres[:, 1] - at[1])
        rows = np.flatnonzero(d <= radius)
        if len(rows) > MAX_BUILDINGS:
            rows = rows[np.argpartition(d[rows], MAX_BUILDINGS)[:MAX_BUILDINGS]]
        verts, faces = self.scene.building_mesh(rows)
        if not len(faces):
            verts, faces = np.zeros((3, 3), np.float32), np.zeros((1, 3), np.int32)
        self.items["buildings"].setMeshData(vertexes=verts, faces=faces, color=BUILDING_RGBA)
        self._buildings_at = at
        self.buildings_drawn = len(rows)

    @property
    def at_full_detail(self) -> bool:
        return not self._moving

    # -- picking -----------------------------------------------------------------------------------------------------
    def pick(self, x: float, y: float, tolerance_px: float = 6.0) -> tuple[str, str] | None:
        """(layer, feature id) under widget pixel (x, y): symbols first (within 8 px), then pipes."""
        if self.scene is None or self._picker is None:
            return None
        size = (max(self.gl.width(), 1), max(self.gl.height(), 1))
        mvp = self.gl.mvp() @ np.diag([1.0, 1.0, self._z_scale, 1.0])
        best: tuple[float, str, str] | None = None
        for layer in ("gate_stations", "regulators", "valves"):
            if layer not in self._symbol_xyz:
                continue
            ids, xyz = self._symbol_xyz[layer]
            # column by column, not (n, 4) @ (4, 4): a BLAS call waits for its threads on a busy 2-core machine
            # (tens of ms at a million pipes' valves), twelve multiply-adds do not
            sx, sy, sz = xyz[:, 0], xyz[:, 1], xyz[:, 2]
            w = sx * mvp[3, 0] + sy * mvp[3, 1] + sz * mvp[3, 2] + mvp[3, 3]
            ok = w > 0
            safe = np.where(ok, w, 1.0)
            px = ((sx * mvp[0, 0] + sy * mvp[0, 1] + sz * mvp[0, 2] + mvp[0, 3]) / safe + 1) * 0.5 * size[0]
            py = (1 - (sx * mvp[1, 0] + sy * mvp[1, 1] + sz * mvp[1, 2] + mvp[1, 3]) / safe) * 0.5 * size[1]
            d = np.where(ok, np.hypot(px - x, py - y), np.inf)
            k = int(np.argmin(d))
            if d[k] <= 8.0 and (best is None or d[k] < best[0]):
                best = (float(d[k]), layer, str(ids[k]))
        if best is not None:
            return best[1], best[2]
        seg, _dist = self._picker.pick(self.gl.mvp(), size, (x, y), tolerance_px, self._z_scale)
        if seg < 0:
            return None
        return "pipes", str(self.scene.pipe_ids[self.scene.segment_pipe[seg]])

    def screen_position(self, xyz) -> tuple[float, float]:
        """Widget pixel of scene point ``xyz`` (unexaggerated)."""
        mvp = self.gl.mvp()
        clip = mvp @ np.array([xyz[0], xyz[1], xyz[2] * self._z_scale, 1.0])
        return ((clip[0] / clip[3] + 1) * 0.5 * self.gl.width(), (1 - clip[1] / clip[3]) * 0.5 * self.gl.height())

    def _on_click(self, x: float, y: float, button) -> None:
        hit = self.pick(x, y)
        if button == Qt.MouseButton.RightButton:
            if hit is not None:
                self.featureMenu.emit(hit[0], hit[1], self.gl.mapToGlobal(QPointF(x, y).toPoint()))
            return
        if hit is not None:
            self.select(hit[1])
            self.featurePicked.emit(*hit)

    # -- selection and overlays ----------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        return self._selected

    def select(self, feature_id: str | None) -> None:
        """Highlight a pipe or symbol by id (None clears)."""
        self._selected = feature_id
        items = []
        if feature_id is not None and self.scene is not None:
            rows = np.flatnonzero(self.scene.pipe_ids == feature_id)
            if len(rows):
                items.append(
                    gl.GLLinePlotItem(
                        pos=self.scene.pipe_segments(rows),
                        mode="lines",
                        width=5.0,
                        color=SELECTION_RGBA,
                        glOptions="opaque",
                    )
                )
            for ids, xyz in self._symbol_xyz.values():
                k = np.flatnonzero(ids == feature_id)
                if len(k):
                    s = gl.GLScatterPlotItem(pos=xyz[k], color=SELECTION_RGBA, size=16.0, pxMode=True)
                    s.setGLOptions("opaque")
                    items.append(s)
        self.set_overlay("selection", items)

    def set_overlay(self, key: str, items: list) -> None:
        """Replace the overlay ``key`` (selection, crossing, isolation …) with ``items``."""
        for item in self.overlays.pop(key, []):
            self.gl.removeItem(item)
        for item in items:
            self._scale_item(item)
            self.gl.addItem(item)
        if items:
            self.overlays[key] = list(items)
        self.gl.update()

    def grab_image(self):
        """The GL framebuffer as a QImage (what the user sees of the scene)."""
        return self.gl.grabFramebuffer()
