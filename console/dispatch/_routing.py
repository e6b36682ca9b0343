"""Routes and ETAs for crews along the streets (路径与到达时间), not straight lines.

The network carries no street layer, but its mains are laid along the streets (the demo district lays them on its
street graph; a utility's GIS does the same), so the street graph is derived from the network's links: every pipe,
valve and regulator is an edge between its end nodes, weighted by its length. A crew's position and a destination
snap to the nearest network node; the route is the shortest path (Dijkstra, scipy.sparse.csgraph) and the ETA is its
length at the crews' driving speed plus a fixed set-off time.

>>> import numpy as np
>>> g = StreetGraph(np.array([[0, 0], [100, 0], [100, 100], [0, 100.]]), np.array([0, 1, 2]), np.array([1, 2, 3]),
...                 np.array([100, 100, 100.]))
>>> r = g.route((0, 95), (0, 5))  # the straight line is 90 m; the street goes round the block: 300 m
>>> r.length_m, r.nodes
(300.0, (3, 2, 1, 0))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from console.dispatch._errors import NO_ROUTE, IncidentError

__all__ = ["Route", "StreetGraph", "street_graph"]

DEFAULT_SPEED_KMH = 30.0  # urban driving with lights, 城区抢险车
DEFAULT_SETOFF_S = 120.0  # from the call to the vehicle moving


@dataclass(frozen=True)
class Route:
    """A route along the street graph: node indices, the polyline (x, y), its length and the ETA."""

    nodes: tuple[int, ...]
    xy: np.ndarray
    length_m: float
    eta_s: float
    straight_m: float
    setoff_s: float = 0.0

    def to_dict(self) -> dict:
        return {"length_m": round(self.length_m, 1), "eta_s": round(self.eta_s, 1),
                "straight_m": round(self.straight_m, 1), "xy": self.xy.round(2).tolist()}  # fmt: skip

    def position_at(self, t_s: float) -> tuple[float, float]:
        """Where a crew following this route is ``t_s`` seconds after setting off (the training simulator)."""
        if len(self.xy) == 1 or self.eta_s <= 0:
            return float(self.xy[-1, 0]), float(self.xy[-1, 1])
        seg = np.hypot(*np.diff(self.xy, axis=0).T)
        cum = np.concatenate(([0.0], np.cumsum(seg)))
        drive_s = self.eta_s - self.setoff_s
        frac = min(max((t_s - self.setoff_s) / drive_s, 0.0), 1.0) if drive_s > 0 else 1.0
        d = frac * cum[-1]
        return float(np.interp(d, cum, self.xy[:, 0])), float(np.interp(d, cum, self.xy[:, 1]))


class StreetGraph:
    """An undirected weighted graph over points ``xy`` with edges ``a``–``b`` of ``length_m``."""

    def __init__(self, xy: np.ndarray, a: np.ndarray, b: np.ndarray, length_m: np.ndarray,
                 speed_kmh: float = DEFAULT_SPEED_KMH, setoff_s: float = DEFAULT_SETOFF_S) -> None:  # fmt: skip
        self.xy = np.asarray(xy, dtype=float)
        n = len(self.xy)
        ok = (a >= 0) & (b >= 0) & np.isfinite(length_m)
        a, b, w = a[ok], b[ok], np.maximum(length_m[ok], 0.01)
        self.matrix = coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                 shape=(n, n)).tocsr()  # fmt: skip
        self.tree = cKDTree(self.xy)
        self.speed_ms = speed_kmh / 3.6
        self.setoff_s = setoff_s

    def snap(self, x: float, y: float) -> int:
        return int(self.tree.query([x, y])[1])

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route:
        """The shortest route from ``start`` to ``end`` (map coordinates); IncidentError when none exists."""
        s, e = self.snap(*start), self.snap(*end)
        dist, pred = dijkstra(self.matrix, directed=False, indices=s, return_predecessors=True)
        if not np.isfinite(dist[e]):
            raise IncidentError(
                NO_ROUTE.format(x0=f"{start[0]:.0f}", y0=f"{start[1]:.0f}", x1=f"{end[0]:.0f}", y1=f"{end[1]:.0f}")
            )
        path = [e]
        while path[-1] != s:
            path.append(int(pred[path[-1]]))
        path.reverse()
        length = float(dist[e])
        straight = float(np.hypot(end[0] - start[0], end[1] - start[1]))
        return Route(
            tuple(path), self.xy[path], length, self.setoff_s + length / self.speed_ms, straight, self.setoff_s
        )


def street_graph(network, speed_kmh: float = DEFAULT_SPEED_KMH) -> StreetGraph:
    """The street graph of a network (cached per network version)."""

    def build() -> StreetGraph:
        topo = network.topology
        a, b = topo.link_from.astype(np.int64), topo.link_to.astype(np.int64)
        ok = (a >= 0) & (b >= 0)
        length = np.full(len(a), np.nan)
        length[ok] = np.hypot(*(topo.node_xy[a[ok]] - topo.node_xy[b[ok]]).T)
        pipes = network["pipes"]
        if len(pipes):
            from console.network import LINK_LAYERS

            is_pipe = topo.link_layer == LINK_LAYERS.index("pipes")
            given = pipes["length_m"].to_numpy(dtype=float)[topo.link_row[is_pipe]]
            length[is_pipe] = np.where(np.isfinite(given) & (given > 0), given, length[is_pipe])
        return StreetGraph(topo.node_xy, a, b, length, speed_kmh)

    return network.cached(f"dispatch.streets.{speed_kmh}", build)
