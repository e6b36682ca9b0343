"""Drawing segments by style class: grouping for the vector items, and raster rendering off the UI thread.

:func:`render_segments` paints into a ``QImage`` with ``QPainter``, which Qt allows in any thread. PySide does not
release the GIL inside ``QPainter.drawLines``, so the lines are drawn in chunks: between chunks the UI thread gets
the GIL back (the map stays responsive while a city renders) and the job checks for cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QLineF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from console.app.jobs import Feedback
from console.ui.i18n import translate
from console.ui.map._buffers import SegmentBuffers
from console.ui.map._items import make_pen
from console.ui.map.styles import PipeClassification

__all__ = ["RasterRequest", "RenderedRaster", "group_by_class", "ids_by_class", "render_segments"]

_CHUNK = 20_000  # lines per drawLines call: ~10-20 ms holding the GIL


def group_by_class(buffers: SegmentBuffers, codes: np.ndarray, ids: np.ndarray, n_classes: int) -> list[np.ndarray]:
    """Split segment ids by the style class of their feature: a list (one per class) of (k, 4) local lines."""
    return [buffers.lines[k] for k in ids_by_class(buffers, codes, ids, n_classes)]


def ids_by_class(buffers: SegmentBuffers, codes: np.ndarray, ids: np.ndarray, n_classes: int) -> list[np.ndarray]:
    """Split segment ids by the style class of their feature (one id array per class, in ``ids`` order)."""
    if not len(ids):
        return [np.empty(0, np.int32) for _ in range(n_classes)]
    cls = codes[buffers.feature[ids]]
    order = np.argsort(cls, kind="stable")
    bounds = np.searchsorted(cls[order], np.arange(n_classes + 1))
    ids = ids[order]
    return [ids[bounds[k] : bounds[k + 1]] for k in range(n_classes)]


@dataclass(frozen=True)
class RasterRequest:
    """What to render: the ``box`` (local xmin, ymin, xmax, ymax) at ``width`` x ``height`` device pixels."""

    key: tuple  # identifies the data/style/theme the raster shows (stale results are dropped)
    box: tuple[float, float, float, float]
    width: int
    height: int
    width_factor: float
    device_pixel_ratio: float = 1.0


@dataclass(frozen=True)
class RenderedRaster:
    request: RasterRequest
    image: QImage
    segments: int

    @property
    def metres_per_pixel(self) -> float:
        r = self.request
        return (r.box[2] - r.box[0]) / max(r.width, 1)


def render_segments(
    buffers: SegmentBuffers,
    classification: PipeClassification,
    theme: str,
    request: RasterRequest,
    *,
    feedback: Feedback | None = None,
    antialias: bool = True,
) -> RenderedRaster:
    """Render the segments inside ``request.box`` into a transparent image, mains on top.

    Row 0 of the image is the *bottom* of the box (y up), matching how :class:`RasterItem` stretches it.
    """
    dpr = request.device_pixel_ratio
    w, h = max(int(request.width * dpr), 1), max(int(request.height * dpr), 1)
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    xmin, ymin, xmax, ymax = request.box
    sx = w / max(xmax - xmin, 1e-9)
    sy = h / max(ymax - ymin, 1e-9)
    ids = buffers.grid.query(request.box)
    classes = classification.classes
    # Segment ids, not their lines: the lines are copied a chunk at a time below (at full extent a copy of every
    # line of a city would be tens of MB for each raster).
    groups = ids_by_class(buffers, classification.codes, ids, len(classes))
    del ids
    total = sum(len(g) for g in groups)
    done = 0
    array = PrimitiveArray(QLineF, 4)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
        painter.setTransform(QTransform(sx, 0.0, 0.0, sy, -xmin * sx, -ymin * sy))
        for k in reversed(range(len(classes))):  # legend order is most important first: draw it last
            segment_ids = groups[k]
            if not len(segment_ids):
                continue
            style = classes[k]
            painter.setPen(make_pen(style.color(theme), style.width_px * request.width_factor * dpr, style.dash))
            for start in range(0, len(segment_ids), _CHUNK):
                chunk = segment_ids[start : start + _CHUNK]
                array.resize(len(chunk))
                array.ndarray()[:] = buffers.lines[chunk]
                painter.drawLines(*array.drawargs())
                done += len(chunk)
                if feedback is not None:
                    feedback.progress(done / max(total, 1), translate("MapCanvas", "Drawing the network…"))
    finally:
        painter.end()
    image.setDevicePixelRatio(dpr)  # only now: painting used device pixels throughout
    return RenderedRaster(request, image, total)


PREVIEW_MIN_SEGMENTS = 15_000  # below this the map starts in vector mode (VECTOR_MAX_SEGMENTS): no raster needed
PREVIEW_MAX_PX = 1024


def preview_overview(buffers: SegmentBuffers, classification: PipeClassification, theme: str,
                     extent: tuple[float, float, float, float]) -> tuple[QImage, tuple[float, ...]] | None:  # fmt: skip
    """A coarse raster of every pipe at full extent, splatted with numpy in a fraction of a second.

    The map's first paint of a city must show its pipes: the antialiased overview (:func:`render_segments`) takes
    seconds at a million pipes, so the load worker makes this preview first and the map stretches it until the real
    one arrives. Each segment is sampled at its ends and at about every pixel along it; each pixel takes the colour
    of the most important class (legend order) that reaches it. Returns ``(image, box)`` or None for small networks.
    """
    n = len(buffers.lines)
    if n < PREVIEW_MIN_SEGMENTS:
        return None
    xmin, ymin, xmax, ymax = extent
    span = max(xmax - xmin, ymax - ymin, 1e-9)
    scale = PREVIEW_MAX_PX / span
    w = max(int(np.ceil((xmax - xmin) * scale)) + 1, 1)
    h = max(int(np.ceil((ymax - ymin) * scale)) + 1, 1)
    best = np.full(w * h, np.iinfo(np.int16).max, np.int32)
    codes = classification.codes.astype(np.int32)
    for lo in range(0, n, 200_000):  # chunks: the samples of a whole city at once would be hundreds of MB
        lines = buffers.lines[lo : lo + 200_000].astype(np.float64)
        code = codes[buffers.feature[lo : lo + 200_000]]  # classes are per pipe, segments per vertex pair
        px = (lines[:, [0, 2]] - xmin) * scale
        py = (lines[:, [1, 3]] - ymin) * scale
        steps = np.clip(np.ceil(np.hypot(px[:, 1] - px[:, 0], py[:, 1] - py[:, 0])), 1, 64).astype(np.int64)
        seg = np.repeat(np.arange(len(lines)), steps + 1)
        first = np.concatenate([[0], np.cumsum(steps + 1)[:-1]])
        t = (np.arange(len(seg)) - np.repeat(first, steps + 1)) / np.repeat(steps, steps + 1)
        x = np.clip((px[seg, 0] + t * (px[seg, 1] - px[seg, 0])).astype(np.int64), 0, w - 1)
        y = np.clip((py[seg, 0] + t * (py[seg, 1] - py[seg, 0])).astype(np.int64), 0, h - 1)
        np.minimum.at(best, y * w + x, code[seg])
    colors = np.array([QColor(c.color(theme)).rgba() for c in classification.classes] + [0], dtype=np.uint32)
    best = np.where(best >= len(classification.classes), len(classification.classes), best)
    pixels = colors[best].reshape(h, w)
    image = QImage(pixels.tobytes(), w, h, 4 * w, QImage.Format.Format_ARGB32).copy()  # own the bytes
    return image, (xmin, ymin, xmin + w / scale, ymin + h / scale)
