"""The 3D scene of a network, prepared without OpenGL: pipes at depth, ground, symbols, risers and buildings.

Coordinates are metres relative to ``origin`` (the centre of the network's extent): Gauss-Krüger eastings of
41,000,000 m would lose every centimetre in the float32 vertex buffers a GPU (or llvmpipe) draws from. Heights are
metres above the datum of the node elevations, unexaggerated (the view scales z).

1. Pipes: each LineString is cut into segments; the ground along a pipe is its end nodes' elevations interpolated by
   distance; the centre line lies ``cover + outer diameter / 2`` below it (:mod:`~console.scene._depth`).
2. Devices (valves, regulators) sit on their pipe: at their inlet node's elevation less the smallest burial of the
   pipes meeting there. Gate stations stand on the ground.
3. Risers (立管) rise from the service line's depth to the top floor of the building they feed (floors x 3.0 m).
4. The ground is a regular grid of the node elevations (mean per cell, empty cells from the nearest filled one);
   cells far from every node (the sea around the demo island) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.spatial import cKDTree

from console.network._demo_buildings import STOREY_M, Buildings, derive_buildings
from console.scene._depth import main_pipes, outer_diameter_m, pipe_depths

__all__ = ["Ground", "NetworkScene", "build_scene", "build_ground"]

METER_HEIGHT_M = 1.2  # meters hang about this high on the wall


@dataclass(frozen=True, eq=False)
class Ground:
    """A height grid: vertex (i, j) at ``(x0 + j*cell, y0 + i*cell)`` (CRS metres) has height ``z[i, j]``;
    ``valid[i, j]`` is False where no node is near (the grid is not drawn there)."""

    x0: float
    y0: float
    cell: float
    z: np.ndarray
    valid: np.ndarray

    def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear height at CRS points (clamped to the grid).

        >>> g = Ground(0.0, 0.0, 10.0, np.array([[0.0, 10.0], [0.0, 10.0]]), np.ones((2, 2), bool))
        >>> g.height_at(np.array([5.0, 20.0]), np.array([3.0, 0.0])).tolist()
        [5.0, 10.0]
        """
        ny, nx = self.z.shape
        fx = np.clip((np.asarray(x, dtype=float) - self.x0) / self.cell, 0, nx - 1)
        fy = np.clip((np.asarray(y, dtype=float) - self.y0) / self.cell, 0, ny - 1)
        j = np.minimum(np.floor(fx).astype(int), max(nx - 2, 0))
        i = np.minimum(np.floor(fy).astype(int), max(ny - 2, 0))
        tx, ty = fx - j, fy - i
        j1, i1 = np.minimum(j + 1, nx - 1), np.minimum(i + 1, ny - 1)
        z = self.z
        return (z[i, j] * (1 - tx) + z[i, j1] * tx) * (1 - ty) + (z[i1, j] * (1 - tx) + z[i1, j1] * tx) * ty

    def coarse(self, step: int) -> Ground:
        """Every ``step``-th vertex each way (the ground drawn while the camera moves)."""
        return Ground(self.x0, self.y0, self.cell * step, self.z[::step, ::step], self.valid[::step, ::step])

    def mesh(self, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """(vertices (ny*nx, 3) float32 relative to ``origin``, faces (m, 3) int32 of the valid cells)."""
        ny, nx = self.z.shape
        xs = self.x0 + np.arange(nx) * self.cell - origin[0]
        ys = self.y0 + np.arange(ny) * self.cell - origin[1]
        gx, gy = np.meshgrid(xs, ys)
        verts = np.column_stack([gx.ravel(), gy.ravel(), self.z.ravel()]).astype(np.float32)
        idx = np.arange(ny * nx).reshape(ny, nx)
        a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]
        ok = (self.valid[:-1, :-1] & self.valid[:-1, 1:] & self.valid[1:, 1:] & self.valid[1:, :-1]).ravel()
        quads = np.column_stack([a.ravel(), b.ravel(), c.ravel(), d.ravel()])[ok]
        faces = np.vstack([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]).astype(np.int32)
        return verts, faces


def build_ground(xy: np.ndarray, z: np.ndarray, max_cells: int = 250, reach_cells: float = 5.0) -> Ground:
    """A height grid over the points ``xy`` (n, 2) with heights ``z``: at most ``max_cells`` cells a side.

    >>> g = build_ground(np.array([[0.0, 0.0], [100.0, 100.0]]), np.array([1.0, 3.0]), max_cells=2, reach_cells=9)
    >>> g.z.shape, float(g.z[0, 0]), float(g.z[-1, -1])
    ((3, 3), 1.0, 3.0)
    """
    xy = np.asarray(xy, dtype=float)
    z = np.asarray(z, dtype=float)
    ok = np.isfinite(xy).all(axis=1) & np.isfinite(z)
    xy, z = xy[ok], z[ok]
    if not len(xy):
        return Ground(0.0, 0.0, 1.0, np.zeros((2, 2)), np.zeros((2, 2), dtype=bool))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    cell = max(float((hi - lo).max()) / max_cells, 1.0)
    nx, ny = int(np.ceil((hi[0] - lo[0]) / cell)) + 1, int(np.ceil((hi[1] - lo[1]) / cell)) + 1
    nx, ny = max(nx, 2), max(ny, 2)
    j = np.clip(np.rint((xy[:, 0] - lo[0]) / cell).astype(int), 0, nx - 1)
    i = np.clip(np.rint((xy[:, 1] - lo[1]) / cell).astype(int), 0, ny - 1)
    flat = i * nx + j
    total = np.bincount(flat, weights=z, minlength=nx * ny)
    count = np.bincount(flat, minlength=nx * ny)
    filled = count > 0
    grid = np.zeros(nx * ny)
    grid[filled] = total[filled] / count[filled]
    cells = np.column_stack([np.arange(nx * ny) % nx, np.arange(nx * ny) // nx]).astype(float)
    dist, near = cKDTree(cells[filled]).query(cells)
    grid = grid[filled][near]
    return Ground(float(lo[0]), float(lo[1]), cell, grid.reshape(ny, nx), (dist <= reach_cells).reshape(ny, nx))


@dataclass(frozen=True, eq=False)
class NetworkScene:
    """Everything the 3D view draws, as arrays (see the module docstring). Pipe arrays follow the pipes table rows."""

    origin: tuple[float, float]
    pipe_ids: np.ndarray
    cover_m: np.ndarray
    cover_filled: np.ndarray
    outer_diameter_m: np.ndarray
    is_main: np.ndarray
    ground_from: np.ndarray  # ground elevation at each pipe's from/to end
    ground_to: np.ndarray
    segments: np.ndarray  # (2m, 3) float32: vertex pairs, one pair per segment
    segment_pipe: np.ndarray  # (m,) int32 pipe row of each segment
    pipe_mid: np.ndarray  # (n, 2) plan midpoint per pipe (relative to origin)
    length_m: np.ndarray
    symbols: dict[str, tuple[np.ndarray, np.ndarray]]  # layer → (ids, (k, 3) float32 positions)
    risers: np.ndarray  # (2k, 3) float32 vertex pairs
    riser_ids: np.ndarray
    buildings: Buildings
    ground: Ground
    z_range: tuple[float, float] = field(default=(0.0, 0.0))

    def local(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CRS metres → scene coordinates."""
        return np.asarray(x) - self.origin[0], np.asarray(y) - self.origin[1]

    def pipe_segments(self, rows: np.ndarray) -> np.ndarray:
        """Vertex pairs (float32) of the segments of pipe ``rows``."""
        keep = np.zeros(len(self.pipe_ids), dtype=bool)
        keep[np.asarray(rows, dtype=np.int64)] = True
        seg = keep[self.segment_pipe]
        return self.segments.reshape(-1, 2, 3)[seg].reshape(-1, 3)

    def pipe_chords(self, rows: np.ndarray) -> np.ndarray:
        """Vertex pairs (float32) from the first to the last vertex of each pipe of ``rows`` (drawn while moving)."""
        rows = np.asarray(rows, dtype=np.int64)
        first = np.searchsorted(self.segment_pipe, rows, side="left")
        last = np.searchsorted(self.segment_pipe, rows, side="right") - 1
        seg = self.segments.reshape(-1, 2, 3)
        ok = last >= first
        out = np.empty((len(rows), 2, 3), dtype=np.float32)
        out[ok, 0] = seg[first[ok], 0]
        out[ok, 1] = seg[last[ok], 1]
        out[~ok] = np.nan
        return out.reshape(-1, 3)

    def segment_mask(self, rows: np.ndarray) -> np.ndarray:
        keep = np.zeros(len(self.pipe_ids), dtype=bool)
        keep[np.asarray(rows, dtype=np.int64)] = True
        return keep[self.segment_pipe]

    def building_centres(self) -> np.ndarray:
        """(n, 2) plan centre of each building, relative to ``origin``."""
        return self.buildings.corners.mean(axis=1) - np.asarray(self.origin)

    def building_mesh(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(vertices, faces) of the buildings (``rows`` of them, default all) as prisms (walls and roofs), relative
        to ``origin``."""
        b = self.buildings
        rows = np.arange(len(b)) if rows is None else np.asarray(rows, dtype=np.int64)
        n = len(rows)
        if not n:
            return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32)
        c = b.corners[rows] - np.asarray(self.origin)
        base, height = b.base_z[rows], b.height_m[rows]
        bottom = np.concatenate([c, base[:, None, None].repeat(4, 1)], axis=2)
        top = np.concatenate([c, (base + height)[:, None, None].repeat(4, 1)], axis=2)
        verts = np.concatenate([bottom, top], axis=1).reshape(-1, 3).astype(np.float32)  # 8 per building
        walls = [[0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
        roof = [[4, 5, 6], [4, 6, 7]]
        local = np.array(walls + roof, dtype=np.int32)
        faces = (local[None, :, :] + 8 * np.arange(n, dtype=np.int32)[:, None, None]).reshape(-1, 3)
        return verts, faces


def _nodes(network, topo) -> tuple[np.ndarray, np.ndarray, dict[str, slice]]:
    """Plan position and ground elevation of every node in the topology's order, and each node layer's span."""
    z, spans, at = [], {}, 0
    for name, frame in network.node_layers():
        z.append(frame["elevation_m"].to_numpy(dtype=float))
        spans[name] = slice(at, at + len(frame))
        at += len(frame)
    elev = np.concatenate(z) if z else np.zeros(0)
    return topo.node_xy, np.where(np.isfinite(elev), elev, 0.0), spans


def build_scene(network) -> NetworkScene:
    """The 3D scene of ``network`` (see the module docstring). Vectorised; a 1M-pipe network takes seconds.

    Pipe ends are node indices of ``network.topology`` (int32 arrays, built once per network version and shared with
    every analysis): matching a million string ids here took most of the time.
    """
    topo = network.topology
    node_xy, node_z, spans = _nodes(network, topo)
    n_nodes = len(node_z)
    pipes = network["pipes"]
    n = len(pipes)
    links = topo.layer_links("pipes")
    fi = topo.link_from[links].astype(np.int64)
    ti = topo.link_to[links].astype(np.int64)
    service_node = np.zeros(n_nodes + 1, dtype=bool)  # the extra last entry answers index -1
    for name in ("customers", "risers"):
        service_node[spans.get(name, slice(0, 0))] = True
    service = service_node[fi] | service_node[ti]
    is_main = main_pipes(pipes, service) if n else np.zeros(0, dtype=bool)
    cover, filled = pipe_depths(pipes, ~service) if n else (np.zeros(0), np.zeros(0, dtype=bool))
    dia = outer_diameter_m(pipes) if n else np.zeros(0)
    geoms = np.asarray(pipes.geometry.array, dtype=object)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    if len(node_xy):
        bounds = np.vstack([node_xy.min(axis=0), node_xy.max(axis=0)])
    elif len(coords):
        bounds = np.vstack([coords.min(axis=0), coords.max(axis=0)])
    else:
        bounds = np.zeros((2, 2))
    origin = (float(np.round(bounds[:, 0].mean())), float(np.round(bounds[:, 1].mean())))
    # ground elevation at pipe ends; a pipe end that is not a node takes the ground there (rare: imports)
    ground = build_ground(node_xy, node_z)
    gf = np.where(fi >= 0, node_z[np.maximum(fi, 0)] if n_nodes else np.nan, np.nan) if n else np.zeros(0)
    gt = np.where(ti >= 0, node_z[np.maximum(ti, 0)] if n_nodes else np.nan, np.nan) if n else np.zeros(0)
    if n and (np.isnan(gf).any() or np.isnan(gt).any()):
        first = np.unique(which, return_index=True)[1]
        last = np.r_[first[1:] - 1, len(which) - 1]
        gf = np.where(np.isnan(gf), ground.height_at(coords[first, 0], coords[first, 1]), gf)
        gt = np.where(np.isnan(gt), ground.height_at(coords[last, 0], coords[last, 1]), gt)
    # 1. segments with the ground interpolated by distance along each pipe
    step = np.hypot(*np.diff(coords, axis=0).T) if len(coords) > 1 else np.zeros(0)
    same = which[1:] == which[:-1] if len(which) > 1 else np.zeros(0, dtype=bool)
    run = np.concatenate([[0.0], np.cumsum(np.where(same, step, 0.0))])
    start = np.unique(which, return_index=True)[1]
    starts_of = np.zeros(n, dtype=np.int64)
    starts_of[which[start]] = start
    along = run - run[starts_of[which]]
    total = np.zeros(n)
    np.maximum.at(total, which, along)
    frac = np.where(total[which] > 0, along / np.where(total[which] > 0, total[which], 1.0), 0.0)
    zc = gf[which] + frac * (gt[which] - gf[which]) - cover[which] - dia[which] / 2
    local = coords - np.asarray(origin)
    vertices = np.column_stack([local, zc])
    seg_start = np.flatnonzero(same)
    segments = np.empty((2 * len(seg_start), 3), dtype=np.float32)
    segments[0::2] = vertices[seg_start]
    segments[1::2] = vertices[seg_start + 1]
    segment_pipe = which[seg_start].astype(np.int32)
    mid = _midpoints(local, which, run, starts_of, total, n)
    # 2. the burial of each node: the shallowest centre line of the pipes meeting there
    node_burial = np.full(n_nodes, np.inf)
    if n:
        np.minimum.at(node_burial, fi[fi >= 0], (cover + dia / 2)[fi >= 0])
        np.minimum.at(node_burial, ti[ti >= 0], (cover + dia / 2)[ti >= 0])
    node_burial[~np.isfinite(node_burial)] = 0.0
    symbols = {}
    for layer in ("valves", "regulators"):
        frame = network[layer]
        xy = shapely.get_coordinates(np.asarray(frame.geometry.array, dtype=object)) if len(frame) else np.zeros((0, 2))
        k = topo.link_from[topo.layer_links(layer)].astype(np.int64) if len(frame) else np.zeros(0, int)
        z = np.where(k >= 0, node_z[np.maximum(k, 0)] - node_burial[np.maximum(k, 0)], 0.0) if len(frame) else k
        symbols[layer] = (frame["id"].to_numpy(dtype=object), _xyz(xy - origin, z))
    for layer, lift in (("gate_stations", 2.0), ("customers", METER_HEIGHT_M)):
        s = spans.get(layer, slice(0, 0))
        symbols[layer] = (network[layer]["id"].to_numpy(dtype=object), _xyz(node_xy[s] - origin, node_z[s] + lift))
    # 3. risers from the service line's depth to the top floor
    rs = spans.get("risers", slice(0, 0))
    floors = network["risers"]["floors"].to_numpy(dtype=float) if rs.stop > rs.start else np.zeros(0)
    base = node_z[rs] - node_burial[rs]
    top = node_z[rs] + np.maximum(floors - 1, 0) * STOREY_M + METER_HEIGHT_M
    risers = np.empty((2 * len(base), 3), dtype=np.float32)
    risers[0::2] = _xyz(node_xy[rs] - origin, base)
    risers[1::2] = _xyz(node_xy[rs] - origin, top)
    buildings = derive_buildings(network)
    z_all = segments[:, 2] if len(segments) else np.zeros(1)
    return NetworkScene(
        origin=origin,
        pipe_ids=pipes["id"].to_numpy(dtype=object),
        cover_m=cover,
        cover_filled=filled,
        outer_diameter_m=dia,
        is_main=is_main,
        ground_from=gf,
        ground_to=gt,
        segments=segments,
        segment_pipe=segment_pipe,
        pipe_mid=mid,
        length_m=total,
        symbols=symbols,
        risers=risers,
        riser_ids=network["risers"]["id"].to_numpy(dtype=object),
        buildings=buildings,
        ground=ground,
        z_range=(float(np.min(z_all)), float(max(np.max(z_all), float(ground.z.max())))),
    )


def _midpoints(local, which, run, starts_of, total, n) -> np.ndarray:
    """(n, 2) the point halfway along each line, from the flat vertex array (``run``: distance from the first vertex
    of all, non-decreasing; a vertex's line is ``which``)."""
    mid = np.zeros((n, 2))
    if not n or not len(local):
        return mid
    rows = np.unique(which)
    target = run[starts_of[rows]] + 0.5 * total[rows]
    last = np.r_[np.flatnonzero(which[1:] != which[:-1]), len(which) - 1]  # last vertex of each line, in row order
    k = np.clip(np.searchsorted(run, target, side="left"), starts_of[rows] + 1, last)
    k = np.maximum(k, starts_of[rows])
    prev = np.maximum(k - 1, starts_of[rows])
    span = run[k] - run[prev]
    t = np.where(span > 0, (target - run[prev]) / np.where(span > 0, span, 1.0), 0.0)
    mid[rows] = local[prev] + t[:, None] * (local[k] - local[prev])
    return mid


def _xyz(xy: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.column_stack([np.asarray(xy, dtype=float).reshape(-1, 2), np.asarray(z, dtype=float)]).astype(np.float32)
