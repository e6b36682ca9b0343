"""Buildings of a district (建筑), derived on demand from its customers: a footprint and a height per customer.

The demo district (:mod:`console.network._demo`) lays a service line from a tee on the street to each customer's meter,
and to a riser (立管) on the face of each apartment block. A building stands behind each meter, facing the street it is
served from: its front wall is at the riser (apartment blocks) or at the meter (houses, shops, special users), its
depth runs away from the street along the service line. Apartment blocks take their height from the riser's floors;
other kinds have typical sizes. The same rule gives believable buildings for any network whose customers are fed by
a service line, so buildings are not a stored layer: nothing to keep in step when pipes are edited.

Storey height 3.0 m (GB 50096 residential storey heights are 2.8-3.0 m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from console.network._schema import NODE_LAYERS

__all__ = ["STOREY_M", "Buildings", "derive_buildings"]

STOREY_M = 3.0

# category → (depth m, width m, floors low, floors high); apartment blocks (fed by a riser) use the riser's floors.
_SIZES = {
    "residential": (9.0, 10.0, 1, 3),
    "commercial": (12.0, 14.0, 1, 3),
    "industrial": (30.0, 40.0, 1, 2),
    "special": (18.0, 30.0, 3, 5),
}
_BLOCK = (12.0, 26.0)


@dataclass(frozen=True, eq=False)
class Buildings:
    """One building per customer row that could be placed: ``corners`` (n, 4, 2) in CRS metres, counter-clockwise."""

    customer_id: np.ndarray
    corners: np.ndarray
    base_z: np.ndarray
    floors: np.ndarray
    height_m: np.ndarray

    def __len__(self) -> int:
        return len(self.customer_id)


def derive_buildings(network) -> Buildings:
    """The buildings of ``network``'s customers (see the module docstring).

    Customers without a service line, or whose line has no length, get no building.
    """
    customers = network["customers"]
    risers = network["risers"]
    if not len(customers):
        z = np.zeros(0)
        return Buildings(np.zeros(0, dtype=object), np.zeros((0, 4, 2)), z, np.zeros(0, dtype=int), z)
    cxy = shapely.get_coordinates(np.asarray(customers.geometry.array, dtype=object))
    # the pipe feeding each customer and the node at its other end, as node indices of the network's topology (int32
    # arrays built once per version: matching a million string ids took seconds)
    topo = network.topology
    node_layer, node_row, node_xy = topo.node_layer, topo.node_row, topo.node_xy
    is_customer = np.zeros(topo.n_nodes + 1, dtype=bool)  # the extra last entry answers index -1
    is_customer[topo.layer_nodes("customers")] = True
    links = topo.layer_links("pipes")
    f = topo.link_from[links].astype(np.int64)
    t = topo.link_to[links].astype(np.int64)
    to_c = is_customer[t]
    from_c = is_customer[f] & ~to_c
    cust_end = np.concatenate([t[to_c], f[from_c]])
    other = np.concatenate([f[to_c], t[from_c]])
    row = node_row[cust_end].astype(np.int64)
    first = np.sort(np.unique(row, return_index=True)[1])  # one service line per customer: the first
    row, other = row[first], other[first]
    ok = other >= 0
    row, other = row[ok], other[ok]
    u = cxy[row] - node_xy[other]
    length = np.hypot(u[:, 0], u[:, 1])
    ok = length > 1e-6
    row, other, u, length = row[ok], other[ok], u[ok], length[ok]
    u = u / length[:, None]
    v = np.column_stack([-u[:, 1], u[:, 0]])
    block = node_layer[other] == NODE_LAYERS.index("risers")
    riser_row = np.where(block, node_row[other], -1)
    category = customers["category"].astype(str).to_numpy()[row]
    kinds = list(_SIZES)
    code = pd.Categorical(category, categories=kinds).codes
    sizes = np.array([_SIZES[k] for k in kinds], dtype=float)[np.where(code >= 0, code, kinds.index("residential"))]
    # deterministic variety from the customer row (no random state: the same network gives the same town)
    h = (row * 2654435761 % 2**32) / 2**32
    floors = np.floor(sizes[:, 2] + h * (sizes[:, 3] - sizes[:, 2] + 1)).astype(int)
    depth, width = sizes[:, 0], sizes[:, 1] * (0.85 + 0.3 * h)
    if block.any():
        floors[block] = np.clip(risers["floors"].to_numpy()[riser_row[block]], 1, 60)
        depth[block], width[block] = _BLOCK[0], _BLOCK[1] * (0.85 + 0.3 * h[block])
    front = np.where(block[:, None], node_xy[other], cxy[row]) + 0.5 * u
    back = front + depth[:, None] * u
    half = 0.5 * width[:, None] * v
    corners = np.stack([front - half, front + half, back + half, back - half], axis=1)
    height = floors * STOREY_M
    height = np.where(category == "industrial", 8.0 * floors, height)
    base = customers["elevation_m"].to_numpy(dtype=float)[row]
    cid = customers["id"].take(row).to_numpy(dtype=object) if len(row) else np.zeros(0, dtype=object)
    return Buildings(cid, corners, np.where(np.isfinite(base), base, 0.0), floors, height)
