"""Layer adapters: how each network layer becomes a handful of pyqtgraph items, with level of detail.

Pipes (:class:`PipeLayer`)
    One :class:`SegmentsItem` per style class (never one item per pipe). Segment arrays come from
    ``shapely.get_coordinates(..., return_index=True)`` once per network version (:func:`prepare_map_data`, run in a
    worker). Level of detail:

    * **vector** — when about ``VECTOR_MAX_SEGMENTS`` or fewer segments fall in the view (a summed-area-table
      estimate, O(1)), the grid index returns the segments in the view plus a margin and the class items get just
      those. Small pans inside the margin cost nothing; line widths follow the zoom.
    * **raster** — above that, the pipes are drawn into a ``QImage`` in a worker (``render_segments``) and shown as
      one :class:`RasterItem`. An *overview* raster of the whole network (rendered once per version, style and
      theme) is shown at once; a raster of the current view replaces it when the view is zoomed in past the
      overview's resolution. Until a new raster arrives the previous one is stretched, so interaction never waits.

Points (:class:`PointLayer`)
    One :class:`MarkerItem` per marker variant of a layer (open/closed valves, special/other customers …): a
    ScatterPlotItem with a single style, without per-point Python work on ``setData``. Variants
    have a zoom threshold (customers and junctions vanish when zoomed out); layers with many points only hand the
    points in view to the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal

from console.app.jobs import Feedback, JobRunner
from console.network import GasNetwork
from console.ui.i18n import translate
from console.ui.map._buffers import (
    PointBuffers,
    SegmentBuffers,
    build_point_buffers,
    build_segment_buffers,
    local_origin,
)
from console.ui.map._items import MarkerItem, RasterItem, SegmentsItem, make_pen
from console.ui.map._render import RasterRequest, RenderedRaster, group_by_class, preview_overview, render_segments
from console.ui.map._symbols import POINT_STYLES, PointLayerStyle, marker_pixmap
from console.ui.map.links import link_segments
from console.ui.map.styles import PipeClassification, classify_pipes, zoom_width_factor
from console.ui.workers import JobWorker, start_job

__all__ = ["MapData", "PipeLayer", "PointLayer", "ViewState", "prepare_map_data", "VECTOR_MAX_SEGMENTS"]

# Above this many segments in view, the raster path keeps repaints cheap: antialiased drawLines costs about
# 2-3 ms per 1,000 segments in Qt's raster engine, and a repaint should stay well under 50 ms.
VECTOR_MAX_SEGMENTS = 15_000
STATIC_POINTS_MAX = 50_000  # point layers up to this size hand all points to their items once
DYNAMIC_POINTS_MAX = 30_000  # never hand more points than this to one item
OVERVIEW_MAX_PX = 2048
_MARGIN = 0.5  # vector/point queries cover the view plus half its size on each side
_RASTER_MARGIN = 0.25  # a view raster covers a quarter more on each side, so small pans show no empty edge


@dataclass(frozen=True)
class ViewState:
    """The visible box in local coordinates and the viewport size in logical pixels."""

    box: tuple[float, float, float, float]
    width_px: int
    height_px: int
    device_pixel_ratio: float = 1.0

    @property
    def metres_per_pixel(self) -> float:
        return (self.box[2] - self.box[0]) / max(self.width_px, 1)

    def expanded(self, margin: float) -> tuple[float, float, float, float]:
        xmin, ymin, xmax, ymax = self.box
        dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
        return (xmin - dx, ymin - dy, xmax + dx, ymax + dy)


def _contains(outer: tuple[float, ...] | None, inner: tuple[float, ...]) -> bool:
    return (
        outer is not None
        and outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


def _rect(box: tuple[float, float, float, float]) -> QRectF:
    return QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])


@dataclass(frozen=True, eq=False)
class MapData:
    """Everything the map draws from, for one network version: built off the UI thread."""

    network: GasNetwork
    version: int
    origin: tuple[float, float]
    pipes: SegmentBuffers
    points: dict[str, PointBuffers]
    point_rows: dict[str, list[np.ndarray]]  # rows of each marker variant, per point layer
    classification: PipeClassification
    bounds: tuple[float, float, float, float]  # map coordinates
    extras: dict = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The bounds in local coordinates."""
        ox, oy = self.origin
        b = self.bounds
        return (b[0] - ox, b[1] - oy, b[2] - ox, b[3] - oy)


def prepare_map_data(network: GasNetwork, style: str = "pressure_class", feedback: Feedback | None = None) -> MapData:
    """Build (or fetch from the network's per-version cache) the render buffers, classification and spatial index.

    Runs in a worker: at a million pipes this is seconds of numpy, which must not freeze the window.
    """
    origin = local_origin(network.bounds)
    if feedback:
        feedback.progress(0.85, translate("MapCanvas", "Preparing the map…"))
    pipes = network.cached(
        "ui.pipe_segments",
        lambda: build_segment_buffers(np.asarray(network["pipes"].geometry.array, dtype=object), origin),
    )
    points = {
        layer: network.cached(
            f"ui.points.{layer}",
            lambda layer=layer: build_point_buffers(np.asarray(network[layer].geometry.array, dtype=object), origin),
        )
        for layer in POINT_STYLES
    }
    point_rows = {
        layer: network.cached(
            f"ui.variants.{layer}", lambda layer=layer: POINT_STYLES[layer].rows_by_variant(network[layer])
        )
        for layer in POINT_STYLES
    }
    classification = network.cached(f"ui.pipe_style.{style}", lambda: classify_pipes(network["pipes"], style))
    link_segments(network, origin)  # other links and device spans, cached for the canvas
    # Warm the spatial index: identify must answer within milliseconds on the first click.
    spatial = network.spatial
    for layer, frame in network.layers.items():
        if len(frame):
            spatial.build(layer)
    if feedback:
        feedback.progress(0.97, translate("MapCanvas", "Preparing the map…"))
    b = tuple(float(v) for v in network.bounds)
    bounds = b if np.isfinite(b[0]) else (origin[0], origin[1], origin[0] + 1.0, origin[1] + 1.0)
    data = MapData(network, network.version, origin, pipes, points, point_rows, classification, bounds)
    # A city's first paint shows its pipes: a coarse preview now, the real overview when its render finishes.
    preview = network.cached(
        f"ui.overview_preview.{style}", lambda: preview_overview(pipes, classification, "dark", data.extent)
    )
    if preview is not None:
        data.extras["overview_preview"] = preview
    return data


class PipeLayer(QObject):
    """Pipes on the map: vector items per style class, or a raster when too many segments are in view."""

    changed = Signal()  # new content to show (vectors set, or a raster arrived)

    def __init__(self, view: pg.ViewBox, runner: JobRunner) -> None:
        super().__init__()
        self._view = view
        self._runner = runner
        self._data: MapData | None = None
        self._classification: PipeClassification | None = None
        self._theme = "dark"
        self._items: list[SegmentsItem] = []
        self._covered: tuple[float, float, float, float] | None = None
        self._width_factor = 1.0
        self.mode: str | None = None  # "vector" | "raster" | None (nothing to draw)
        self.visible = True
        self._overview = RasterItem()
        self._detail = RasterItem()
        for z, item in ((-20, self._overview), (-19, self._detail)):
            item.setZValue(z)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            view.addItem(item, ignoreBounds=True)
        self._overview_raster: RenderedRaster | None = None
        self._detail_raster: RenderedRaster | None = None
        self._jobs: dict[str, JobWorker] = {}
        self._last_view: ViewState | None = None

    # -- data, style, theme --------------------------------------------------------------------------------------
    def set_data(self, data: MapData) -> None:
        self._data = data
        self._set_classification(data.classification)
        preview = data.extras.get("overview_preview")
        if preview is not None and self._overview_raster is None:
            image, box = preview  # stretched until the real overview replaces it (then dropped with it)
            self._overview.set_image(image, _rect(box))

    def set_classification(self, classification: PipeClassification) -> None:
        self._set_classification(classification)

    @property
    def classification(self) -> PipeClassification | None:
        return self._classification

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self._restyle()

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        self._apply_visibility()

    def _set_classification(self, classification: PipeClassification) -> None:
        for item in self._items:
            self._view.removeItem(item)
        self._items = []
        self._classification = classification
        for k in range(len(classification.classes)):
            item = SegmentsItem()
            item.setZValue(-10 + (len(classification.classes) - k) * 0.01)  # legend order first = on top
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._view.addItem(item, ignoreBounds=True)
            self._items.append(item)
        self._restyle()

    def _restyle(self) -> None:
        """Pens follow theme and zoom; rasters show one theme/style, so they are redrawn."""
        if self._classification is None:
            return
        for item, cls in zip(self._items, self._classification.classes, strict=True):
            item.set_pen(make_pen(cls.color(self._theme), cls.width_px * self._width_factor, cls.dash))
        self._covered = None
        self._drop_rasters()
        if self._last_view is not None:
            self.update_view(self._last_view)

    def cancel_jobs(self) -> None:
        """Stop any raster still rendering (their results are dropped)."""
        for job in self._jobs.values():
            job.cancel()
        self._jobs.clear()

    def _drop_rasters(self) -> None:
        self.cancel_jobs()
        self._overview_raster = self._detail_raster = None
        self._overview.set_image(None)
        self._detail.set_image(None)

    def _key(self) -> tuple:
        assert self._data is not None and self._classification is not None
        return (id(self._data), self._data.version, id(self._classification), self._theme)

    # -- level of detail -----------------------------------------------------------------------------------------
    def update_view(self, view: ViewState) -> None:
        """Choose vector or raster for this view and bring the items up to date (cheap when nothing changed)."""
        self._last_view = view
        if self._data is None or self._classification is None or not len(self._data.pipes):
            self.mode = None
            return
        factor = zoom_width_factor(view.metres_per_pixel)
        if abs(factor - self._width_factor) > 0.02:
            self._width_factor = factor
            for item, cls in zip(self._items, self._classification.classes, strict=True):
                item.set_pen(make_pen(cls.color(self._theme), cls.width_px * factor, cls.dash))
        grid = self._data.pipes.grid
        covered = view.expanded(_MARGIN)
        if grid.count(covered) <= VECTOR_MAX_SEGMENTS:
            self._show_vectors(covered)
        elif grid.count(view.box) <= VECTOR_MAX_SEGMENTS:
            self._show_vectors(view.box)
        else:
            self._show_raster(view)
        self._apply_visibility()

    def _show_vectors(self, box: tuple[float, float, float, float]) -> None:
        view_box = self._last_view.box if self._last_view else box
        if self.mode == "vector" and _contains(self._covered, view_box):
            return
        data, cls = self._data, self._classification
        groups = group_by_class(data.pipes, cls.codes, data.pipes.grid.query(box), len(cls.classes))
        for item, lines in zip(self._items, groups, strict=True):
            item.set_lines(lines)
        self._covered = box
        self.mode = "vector"
        self.changed.emit()

    def _clear_vectors(self) -> None:
        if self._covered is not None:
            for item in self._items:
                item.set_lines(np.empty((0, 4), np.float32))
        self._covered = None

    def _show_raster(self, view: ViewState) -> None:
        if self.mode != "raster":
            self._clear_vectors()
            self.mode = "raster"
        key = self._key()
        ov = self._overview_raster
        if ov is None or ov.request.key != key:
            request = self._overview_request(view, key)
            if "overview" not in self._jobs:
                self._request("overview", request)
            ov_mpp = (request.box[2] - request.box[0]) / request.width
        else:
            ov_mpp = ov.metres_per_pixel
        mpp = view.metres_per_pixel
        detail_needed = ov_mpp > mpp * 1.25 or ov_mpp < mpp / 1.6
        if detail_needed:
            d = self._detail_raster
            fresh = (
                d is not None
                and d.request.key == key
                and _contains(d.request.box, view.box)
                and mpp / 1.6 <= d.metres_per_pixel <= mpp * 1.25
            )
            if not fresh:
                m = 1 + 2 * _RASTER_MARGIN
                request = RasterRequest(key, view.expanded(_RASTER_MARGIN), round(view.width_px * m),
                                        round(view.height_px * m), zoom_width_factor(mpp), view.device_pixel_ratio)  # fmt: skip
                self._request("detail", request)
        elif self._detail_raster is not None:
            self._detail_raster = None
            self._detail.set_image(None)

    def _overview_request(self, view: ViewState, key: tuple) -> RasterRequest:
        xmin, ymin, xmax, ymax = self._data.extent
        w, h = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
        # As many pixels as the viewport has at full extent (so it is drawn 1:1 there), capped.
        scale = min(view.width_px / w, view.height_px / h)
        scale = min(scale, OVERVIEW_MAX_PX / max(w, h))
        pad = 2.0 / scale  # keep line ends at the edge inside the image
        box = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        width, height = max(int(np.ceil((w + 2 * pad) * scale)), 1), max(int(np.ceil((h + 2 * pad) * scale)), 1)
        return RasterRequest(key, box, width, height, zoom_width_factor(1.0 / scale), view.device_pixel_ratio)

    def _request(self, slot: str, request: RasterRequest) -> None:
        old = self._jobs.pop(slot, None)
        if old is not None:
            old.cancel()
        worker = start_job(self._runner, render_segments, self._data.pipes, self._classification, self._theme, request)
        worker.finished.connect(lambda raster, slot=slot: self._on_raster_ready(slot, raster))
        worker.cancelled.connect(lambda slot=slot, w=worker: self._jobs.get(slot) is w and self._jobs.pop(slot))
        worker.errored.connect(lambda exc, slot=slot, w=worker: self._jobs.get(slot) is w and self._jobs.pop(slot))
        self._jobs[slot] = worker

    def _on_raster_ready(self, slot: str, raster: RenderedRaster) -> None:
        job = self._jobs.get(slot)
        if job is not None and job.future is not None and job.future.done():
            self._jobs.pop(slot)
        if self._data is None or raster.request.key != self._key():
            return  # a stale render: data, style or theme changed meanwhile
        if slot == "overview":
            self._overview_raster = raster
            self._overview.set_image(raster.image, _rect(raster.request.box))
        else:
            self._detail_raster = raster
            self._detail.set_image(raster.image, _rect(raster.request.box))
        self._apply_visibility()
        self.changed.emit()

    def _apply_visibility(self) -> None:
        raster = self.visible and self.mode == "raster"
        view = self._last_view
        detail_covers = (
            self._detail_raster is not None
            and view is not None
            and _contains(self._detail_raster.request.box, view.box)
        )
        self._detail.setVisible(raster and self._detail_raster is not None)
        self._overview.setVisible(raster and not detail_covers)
        for item in self._items:
            item.setVisible(self.visible and self.mode == "vector")

    # -- state for the canvas, tests and benchmarks --------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a raster for the current state is still being rendered."""
        return bool(self._jobs)

    @property
    def has_content(self) -> bool:
        if self.mode == "vector":
            return True
        return self.mode == "raster" and (self._overview_raster is not None or self._detail_raster is not None)

    def vector_segment_count(self) -> int:
        return sum(item.count() for item in self._items) if self.mode == "vector" else 0

    def class_items(self) -> list[SegmentsItem]:
        return list(self._items)

    def raster_items(self) -> tuple[RasterItem, RasterItem]:
        return self._overview, self._detail


class PointLayer:
    """One point layer on the map: a :class:`MarkerItem` per marker variant, with zoom thresholds."""

    def __init__(self, view: pg.ViewBox, style: PointLayerStyle) -> None:
        self.style = style
        self.layer = style.layer
        self.visible = True
        self._view = view
        self._theme = "dark"
        self._dpr = 1.0
        self._items: list[MarkerItem] = []
        self._rows: list[np.ndarray] = []
        self._member: list[np.ndarray] = []  # bool mask per variant over the layer's rows
        self._buffers: PointBuffers | None = None
        self._covered: list[tuple | None] = []
        self._shown: list[bool] = []
        for v in style.variants:
            item = MarkerItem()
            item.set_offset(*v.offset_px)
            item.setZValue(style.z + (0.5 if v is style.variants[0] else 0.0))
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            item.setVisible(False)
            view.addItem(item, ignoreBounds=True)
            self._items.append(item)
        self.set_theme(self._theme)

    @property
    def dynamic(self) -> bool:
        return self._buffers is not None and len(self._buffers) > STATIC_POINTS_MAX

    def set_data(self, buffers: PointBuffers, rows_by_variant: list[np.ndarray]) -> None:
        self._buffers = buffers
        self._rows = rows_by_variant
        self._member = []
        for rows in self._rows:
            mask = np.zeros(len(buffers), bool)
            mask[rows] = True
            self._member.append(mask)
        self._covered = [None] * len(self._items)
        self._shown = [False] * len(self._items)
        for k, item in enumerate(self._items):
            item.set_points(np.empty((0, 2)) if self.dynamic else self._buffers.xy[self._rows[k]])
            item.setVisible(False)

    def set_theme(self, theme: str, device_pixel_ratio: float | None = None) -> None:
        self._theme = theme
        if device_pixel_ratio is not None:
            self._dpr = device_pixel_ratio
        for item, v in zip(self._items, self.style.variants, strict=True):
            item.set_pixmap(marker_pixmap(v, theme, self._dpr))

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for k, item in enumerate(self._items):
            item.setVisible(bool(visible and self._shown[k]) if self._shown else False)

    def drawn(self, metres_per_pixel: float) -> bool:
        """Whether any variant of this layer is drawn at this zoom (identify only picks what is on screen)."""
        return self.visible and any(metres_per_pixel <= v.max_m_per_px for v in self.style.variants)

    def update_view(self, view: ViewState) -> None:
        if self._buffers is None:
            return
        mpp = view.metres_per_pixel
        covered = view.expanded(_MARGIN)
        for k, (item, v) in enumerate(zip(self._items, self.style.variants, strict=True)):
            shown = bool(mpp <= v.max_m_per_px and len(self._rows[k]) > 0)
            if shown and self.dynamic and not _contains(self._covered[k], view.box):
                ids = self._buffers.grid.query(covered)
                ids = ids[self._member[k][ids]]
                if len(ids) > DYNAMIC_POINTS_MAX:
                    ids = self._buffers.grid.query(view.box)
                    ids = ids[self._member[k][ids]]
                if len(ids) > DYNAMIC_POINTS_MAX:
                    shown = False  # too dense to read anyway: the zoom threshold of this variant is too coarse
                    self._covered[k] = None
                else:
                    item.set_points(self._buffers.xy[ids])
                    self._covered[k] = covered
            self._shown[k] = shown
            item.setVisible(self.visible and shown)

    def items(self) -> list[MarkerItem]:
        return list(self._items)

    def shown_count(self) -> int:
        return sum(item.count() for item, s in zip(self._items, self._shown, strict=True) if s and item.isVisible())
