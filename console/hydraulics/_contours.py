"""Pressure contours (压力等值线): isobars and filled bands per pressure system, computed with contourpy.

Each pressure system (pipes joined without a regulator: an MP network, each LP area behind its regulators) gets its
own grid, so LP and MP pressures never mix and neighbouring LP areas never bleed into each other. On that grid:

1. pressures are sampled along every pipe of the system (linear between its end nodes, one sample per cell) and
   averaged per cell;
2. the cells between pipes are filled by linear interpolation along grid rows and columns between the nearest
   pipe cells on either side (weighted by the inverse gap, so a linear pressure field is reproduced exactly), the
   rest from the nearest pipe cell; cells farther than ``buffer_m`` from any pipe are masked — the service area is
   the buffer around the pipes;
3. a Gaussian of one cell smooths the field, and contourpy traces isobars (lines) and bands (filled polygons).

Systems of one class are laid out side by side on one *atlas* grid, each in its own tile with a masked margin
wider than the smoothing kernel, so that the distance transform, the smoothing and contourpy run once per class
rather than once per system (a city has hundreds of LP areas); contour coordinates are translated back to each
system's place afterwards. This raster approach costs O(cells + samples) instead of a Delaunay triangulation of
every node (over a second at 100k nodes with qhull). Levels are shared by all systems of a class (one legend).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import contourpy
import numpy as np
from scipy import ndimage

from console.hydraulics._types import SimulationResult, _jsonable
from console.network import LINK_LAYERS, GasNetwork

__all__ = ["ContourSet", "PressureContours", "nice_levels", "pressure_contours"]

_PIPES = LINK_LAYERS.index("pipes")


def nice_levels(lo: float, hi: float, target: int = 10) -> np.ndarray:
    """Round contour levels (1-2-5 steps) covering [lo, hi] with about ``target`` intervals.

    >>> nice_levels(1520.0, 2980.0).tolist()
    [1400.0, 1600.0, 1800.0, 2000.0, 2200.0, 2400.0, 2600.0, 2800.0, 3000.0]
    >>> nice_levels(5.0, 5.0).tolist()  # a flat field still gets a band around its value
    [4.0, 6.0]
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.zeros(0)
    if hi - lo <= 1e-9 * max(abs(hi), 1.0):
        step = 10.0 ** np.floor(np.log10(max(abs(hi), 1e-9))) or 1.0
        return np.array([lo - step, hi + step])
    raw = (hi - lo) / target
    mag = 10.0 ** np.floor(np.log10(raw))
    step = mag * min((m for m in (1.0, 2.0, 5.0, 10.0) if m * mag >= raw), default=10.0)
    start, stop = np.floor(lo / step) * step, np.ceil(hi / step) * step
    return np.round(np.arange(start, stop + 0.5 * step, step), 10)


@dataclass(eq=False)
class ContourSet:
    """Contours of every system of one pressure class, ready to draw (one pyqtgraph item per level).

    ``isobars[i]`` is an (n, 2) array of x, y for level ``levels_pa[i]``, lines separated by NaN rows (pyqtgraph
    ``connect="finite"``), and ``isobar_systems[i]`` the pressure system of each row. ``bands[i]`` covers
    ``levels_pa[i] .. levels_pa[i+1]`` as ``(points, ring_offsets)``: ring ``k`` is
    ``points[offsets[k]:offsets[k+1]]``, closed, outer boundaries and holes together (fill with the odd-even rule);
    ``band_systems[i]`` gives the system of each ring. Systems never share a line or a ring.
    """

    pressure_class: str
    levels_pa: np.ndarray
    system_ids: tuple[int, ...]
    isobars: list[np.ndarray]
    isobar_systems: list[np.ndarray]
    bands: list[tuple[np.ndarray, np.ndarray]]
    band_systems: list[np.ndarray]

    def for_system(self, system_id: int) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
        """(isobars per level, bands per level) of one system only."""
        lines = [iso[sys == system_id] for iso, sys in zip(self.isobars, self.isobar_systems, strict=True)]
        bands = []
        for (pts, offs), ring_sys in zip(self.bands, self.band_systems, strict=True):
            keep = ring_sys == system_id
            lengths = np.diff(offs)
            point_keep = np.repeat(keep, lengths)
            bands.append((pts[point_keep], np.concatenate(([0], np.cumsum(lengths[keep]))).astype(np.int64)))
        return lines, bands

    def to_dict(self) -> dict[str, Any]:
        return {
            "pressure_class": self.pressure_class,
            "levels_pa": _jsonable(self.levels_pa),
            "system_ids": list(self.system_ids),
            "isobars": [_jsonable(a) for a in self.isobars],
            "isobar_systems": [a.tolist() for a in self.isobar_systems],
            "bands": [{"points": _jsonable(p), "ring_offsets": o.tolist()} for p, o in self.bands],
            "band_systems": [a.tolist() for a in self.band_systems],
        }


@dataclass(eq=False)
class PressureContours:
    sets: list[ContourSet]  # one per pressure class
    cell_m: float
    buffer_m: float
    seconds: float
    skipped_systems: list[int] = field(default_factory=list)  # supplied systems without a pipe to contour

    @property
    def levels_by_class(self) -> dict[str, np.ndarray]:
        return {c.pressure_class: c.levels_pa for c in self.sets}

    def for_class(self, pressure_class: str) -> ContourSet | None:
        return next((c for c in self.sets if c.pressure_class == pressure_class), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sets": [c.to_dict() for c in self.sets],
            "cell_m": self.cell_m,
            "buffer_m": self.buffer_m,
            "seconds": self.seconds,
            "skipped_systems": list(self.skipped_systems),
        }


def pressure_contours(
    network: GasNetwork,
    result: SimulationResult,
    *,
    levels: dict[str, Any] | None = None,
    n_levels: int = 10,
    cell_m: float | None = None,
    buffer_m: float = 60.0,
    max_cells: int = 300_000,
    bounds: tuple[float, float, float, float] | None = None,
) -> PressureContours:
    """Isobars and bands of the gauge pressures of ``result``, per pressure system.

    Parameters
    ----------
    levels
        Pressure class → levels (gauge Pa); classes not given get :func:`nice_levels` over their supplied range.
    n_levels
        About how many intervals the automatic levels have.
    cell_m
        Grid cell size; default: as fine as ``max_cells`` cells over all systems allow, but not below 2 m (about
        50 m over a whole 100k-node city: an overview; pass the visible ``bounds`` for detail when zoomed in).
    buffer_m
        The service area: cells within this distance of a pipe of the system.
    bounds
        Only contour inside (xmin, ymin, xmax, ymax), e.g. the visible map extent, for a finer grid when zoomed in.
    """
    t0 = time.perf_counter()
    topo = network.topology
    if len(topo.node_ids) != len(result.node_ids) or not np.array_equal(topo.node_ids, result.node_ids):
        raise ValueError("the result is of another network version; simulate again")
    xy = topo.node_xy
    pipes = np.flatnonzero((result.link_layer == _PIPES) & result.link_active)
    a, b = topo.link_from[pipes].astype(np.int64), topo.link_to[pipes].astype(np.int64)
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        inside = (np.maximum(xy[a, 0], xy[b, 0]) >= x0 - buffer_m) & (np.minimum(xy[a, 0], xy[b, 0]) <= x1 + buffer_m)
        inside &= (np.maximum(xy[a, 1], xy[b, 1]) >= y0 - buffer_m) & (np.minimum(xy[a, 1], xy[b, 1]) <= y1 + buffer_m)
        a, b = a[inside], b[inside]
    system = result.node_system[a].astype(np.int64)
    info = {s.system_id: s for s in result.systems if s.supplied and s.pressure_class}
    keep = np.isin(system, list(info))
    a, b, system = a[keep], b[keep], system[keep]
    sids = np.unique(system)
    # Box of each system's pipes (plus the buffer), clipped to the requested bounds.
    n_sys = int(sids.max()) + 1 if len(sids) else 0
    lo = np.full((n_sys, 2), np.inf)
    hi = np.full((n_sys, 2), -np.inf)
    if len(system):
        order = np.argsort(system, kind="stable")
        starts = np.flatnonzero(np.r_[True, system[order][1:] != system[order][:-1]])
        ends_xy = np.minimum(xy[a[order]], xy[b[order]]), np.maximum(xy[a[order]], xy[b[order]])
        lo[system[order][starts]] = np.minimum.reduceat(ends_xy[0], starts, axis=0)
        hi[system[order][starts]] = np.maximum.reduceat(ends_xy[1], starts, axis=0)
    lo, hi = lo - buffer_m, hi + buffer_m
    if bounds is not None:
        lo, hi = np.maximum(lo, np.asarray(bounds[:2])), np.minimum(hi, np.asarray(bounds[2:]))
    if cell_m is None:
        area = float(np.prod(np.maximum(hi[sids] - lo[sids], 0.0), axis=1).sum()) if len(sids) else 0.0
        cell_m = max(2.0, float(np.sqrt(area / max_cells))) if area > 0 else 10.0
    sets: list[ContourSet] = []
    for cls, lv in _levels(result, levels or {}, n_levels).items():
        members = np.array([k for k in sids.tolist() if info[k].pressure_class == cls], dtype=np.int64)
        if len(members) and len(lv):
            sets.append(
                _class_contours(xy, a, b, system, result.node_pressure_pa, members, lo, hi, cell_m, buffer_m, lv, cls)
            )
    done = {k for c in sets for k in c.system_ids}
    return PressureContours(sets, cell_m, buffer_m, time.perf_counter() - t0, sorted(set(info) - done))


def _levels(result: SimulationResult, given: dict[str, Any], n_levels: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for cls in sorted({s.pressure_class for s in result.systems if s.supplied and s.pressure_class}):
        if cls in given:
            out[cls] = np.sort(np.asarray(given[cls], dtype=float))
            continue
        sys_ids = [s.system_id for s in result.systems if s.pressure_class == cls and s.supplied]
        mask = result.node_supplied & np.isin(result.node_system, sys_ids)
        vals = result.node_pressure_pa[mask]
        out[cls] = nice_levels(float(vals.min()), float(vals.max()), n_levels) if len(vals) else np.zeros(0)
    return out


MARGIN_CELLS = 5  # masked rim of each atlas tile: wider than the smoothing kernel (3 cells)


def _pack(widths: np.ndarray, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Shelf packing of tiles (cells): (x offsets, y offsets, atlas width, atlas height)."""
    order = np.argsort(-heights, kind="stable")
    width = int(max(widths.max(), np.sqrt(float((widths * heights).sum())) * 1.1))
    ox, oy = np.zeros(len(widths), np.int64), np.zeros(len(widths), np.int64)
    x = y = shelf = 0
    for i in order.tolist():  # a loop over systems (hundreds), not over features
        if x + widths[i] > width:
            x, y, shelf = 0, y + shelf, 0
        ox[i], oy[i] = x, y
        x += int(widths[i])
        shelf = max(shelf, int(heights[i]))
    return ox, oy, width, y + shelf


def _class_contours(xy, a, b, system, p, members, lo, hi, cell, buffer_m, levels, cls) -> ContourSet:
    """Contours of all systems ``members`` of one class on one atlas."""
    margin = MARGIN_CELLS
    size = np.ceil((hi[members] - lo[members]) / cell).astype(np.int64) + 1 + 2 * margin
    ox, oy, width, height = _pack(size[:, 0], size[:, 1])
    tile = np.full(int(members.max()) + 1, -1, dtype=np.int64)
    tile[members] = np.arange(len(members))
    use = (system <= members.max()) & (tile[np.minimum(system, members.max())] >= 0)
    a, b, t_pipe = a[use], b[use], tile[system[use]]
    # Samples along each pipe, about two per cell, pressure linear between its ends; atlas coordinates in cells.
    length = np.hypot(xy[b, 0] - xy[a, 0], xy[b, 1] - xy[a, 1])
    n = np.maximum(2, np.ceil(2.0 * length / cell).astype(np.int64) + 1)
    seg = np.repeat(np.arange(len(a)), n)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
    ts = t_pipe[seg]
    origin = lo[members] - margin * cell  # world position of each tile's cell (0, 0) corner
    ax = (xy[a[seg], 0] + t * (xy[b[seg], 0] - xy[a[seg], 0]) - origin[ts, 0]) / cell + ox[ts]
    ay = (xy[a[seg], 1] + t * (xy[b[seg], 1] - xy[a[seg], 1]) - origin[ts, 1]) / cell + oy[ts]
    sv = p[a[seg]] + t * (p[b[seg]] - p[a[seg]])
    ix, iy = np.floor(ax).astype(np.int64), np.floor(ay).astype(np.int64)
    inside = (ix >= ox[ts] + margin) & (ix < ox[ts] + size[ts, 0] - margin)
    inside &= (iy >= oy[ts] + margin) & (iy < oy[ts] + size[ts, 1] - margin)
    flat = iy[inside] * width + ix[inside]
    count = np.bincount(flat, minlength=width * height).reshape(height, width)
    total = np.bincount(flat, weights=sv[inside], minlength=width * height).reshape(height, width)
    has = count > 0
    dist, (ri, ci) = ndimage.distance_transform_edt(~has, return_indices=True)
    field = _scanline_fill(total / np.maximum(count, 1), has, max_gap=int(2 * buffer_m / cell) + 2, nearest=(ri, ci))
    field = ndimage.gaussian_filter(field, sigma=1.0, mode="nearest", truncate=3.0)
    field[dist * cell > buffer_m] = np.nan
    tile_map = np.full((height, width), -1, dtype=np.int64)
    for k in range(len(members)):  # per system: mark its tile's interior (hundreds of slices)
        tile_map[oy[k] + margin : oy[k] + size[k, 1] - margin, ox[k] + margin : ox[k] + size[k, 0] - margin] = k
    field[tile_map < 0] = np.nan
    gen = contourpy.contour_generator(
        np.arange(width) + 0.5,
        np.arange(height) + 0.5,
        field,
        line_type=contourpy.LineType.ChunkCombinedNan,
        fill_type=contourpy.FillType.ChunkCombinedOffset,
    )

    def tile_of(points: np.ndarray) -> np.ndarray:
        c = np.clip(np.floor(points).astype(np.int64), 0, [width - 1, height - 1])
        return tile_map[c[:, 1], c[:, 0]]

    lines, line_sys = [], []
    for chunks in gen.multi_lines(levels):
        arr = chunks[0][0]
        if arr is None:
            lines.append(np.zeros((0, 2)))
            line_sys.append(np.zeros(0, np.int64))
            continue
        gap = np.isnan(arr[:, 0])
        piece = np.cumsum(gap) - gap  # a separator row belongs to the line it ends
        first = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]])
        k = tile_of(arr[first])[piece]
        lines.append(np.where(gap[:, None], np.nan, (arr - np.column_stack([ox[k], oy[k]])) * cell + origin[k]))
        line_sys.append(members[k])
    bands, band_sys = [], []
    for pts, offs in gen.multi_filled(levels) if len(levels) > 1 else []:
        if pts[0] is None:
            bands.append((np.zeros((0, 2)), np.zeros(1, np.int64)))
            band_sys.append(np.zeros(0, np.int64))
            continue
        o = offs[0].astype(np.int64)
        ring_tile = tile_of(pts[0][o[:-1]])
        k = np.repeat(ring_tile, np.diff(o))
        bands.append(((pts[0] - np.column_stack([ox[k], oy[k]])) * cell + origin[k], o))
        band_sys.append(members[ring_tile])
    return ContourSet(cls, np.asarray(levels, float), tuple(members.tolist()), lines, line_sys, bands, band_sys)


def _scanline_fill(
    value: np.ndarray, has: np.ndarray, max_gap: int, nearest: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Fill the cells between sampled (pipe) cells by linear interpolation along rows and along columns, weighted
    by the inverse gap length; cells with no sample on both sides within ``max_gap`` cells take the nearest
    sample's value. A linear pressure field is reproduced exactly wherever it is bracketed."""
    height, width = value.shape
    flat = value.ravel()
    acc = np.zeros(value.shape)
    weight = np.zeros(value.shape)
    for axis in (0, 1):
        n = value.shape[axis]
        pos = np.arange(n, dtype=np.int32).reshape((n, 1) if axis == 0 else (1, n))
        prev = np.maximum.accumulate(np.where(has, pos, np.int32(-1)), axis=axis)
        rev = (slice(None, None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, None, -1))
        nxt = np.minimum.accumulate(np.where(has, pos, np.int32(n))[rev], axis=axis)[rev]
        gap = nxt - prev
        ok = (prev >= 0) & (nxt < n) & (gap <= max_gap)
        if axis == 0:
            across = np.arange(width, dtype=np.int64)[None, :]
            i0, i1 = prev.astype(np.int64) * width + across, nxt.astype(np.int64) * width + across
        else:
            across = (np.arange(height, dtype=np.int64) * width)[:, None]
            i0, i1 = across + prev, across + nxt
        v0 = flat[np.where(ok, i0, 0)]
        v1 = flat[np.where(ok, i1, 0)]
        w = np.where(ok, 1.0 / np.maximum(gap, 1), 0.0)
        acc += w * (v0 + (pos - prev) / np.maximum(gap, 1) * (v1 - v0))
        weight += w
    return np.where(weight > 0, acc / np.where(weight > 0, weight, 1.0), value[nearest])
