"""The flow model's view of a network: plain arrays in topology order, built once per network version.

Nodes and links are indexed as in ``network.topology`` (node layers, then link layers in schema order; pipes are the
first links, so link ``i < n_pipes`` is pipe row ``i``). Nothing here depends on a request (closed valves, law).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from console.hydraulics._errors import HydraulicModelError
from console.network import LINK_LAYERS, NODE_LAYERS, GasNetwork, PressureClass

__all__ = ["CLASS_CODES", "ModelArrays", "components", "model_arrays"]

CLASS_CODES = np.array([c.value for c in PressureClass], dtype=object)  # index = PressureClass.rank
ZERO_LENGTH_M = 1e-3  # pipes shorter than this (without minor loss) join their ends like an open valve


@dataclass(frozen=True, eq=False)
class ModelArrays:
    n_nodes: int
    n_links: int
    node_ids: np.ndarray
    node_layer: np.ndarray  # int8 into NODE_LAYERS
    node_xy: np.ndarray
    node_elevation_m: np.ndarray
    customer_nodes: np.ndarray  # node index per customer row
    customer_peak_nm3h: np.ndarray
    customer_category: np.ndarray  # str per customer row
    gate_nodes: np.ndarray
    gate_supply_mpa: np.ndarray
    gate_capacity_nm3h: np.ndarray
    link_ids: np.ndarray
    link_layer: np.ndarray  # int8 into LINK_LAYERS
    link_from: np.ndarray
    link_to: np.ndarray
    n_pipes: int
    pipe_length_m: np.ndarray
    pipe_diameter_m: np.ndarray
    pipe_roughness_m: np.ndarray
    pipe_loss_coefficient: np.ndarray
    pipe_in_service: np.ndarray  # bool
    pipe_class_rank: np.ndarray  # int8
    pipe_zero_length: np.ndarray  # bool: joins its ends without resistance
    valve_links: np.ndarray
    valve_normally_open: np.ndarray
    reg_links: np.ndarray
    reg_set_mpa: np.ndarray
    reg_capacity_nm3h: np.ndarray
    other_links: np.ndarray  # links layer
    other_kind: np.ndarray  # str
    other_normally_open: np.ndarray  # bool


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes joined by the edges ``a[i]–b[i]``."""
    graph = sp.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(graph, directed=False)[1].astype(np.int64)


def model_arrays(network: GasNetwork) -> ModelArrays:
    """The arrays of ``network`` (cached per version); raises HydraulicModelError on data the model cannot use."""
    return network.cached("hydraulics.arrays", lambda: _build(network))


def _col(frame, name: str, default: float) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    return np.asarray(frame[name].to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _lookup(values: pd.Series, mapping: dict, default) -> np.ndarray:
    """``mapping[value]`` per row (``default`` where absent); a categorical column maps its categories once and
    indexes by code, instead of turning a million rows into strings."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        table = np.array([mapping.get(str(c), default) for c in values.cat.categories] + [default])
        return table[values.cat.codes.to_numpy()]  # code −1 (missing) takes the trailing default
    return np.array([mapping.get(str(v), default) for v in values.tolist()])


def _build(network: GasNetwork) -> ModelArrays:
    topo = network.topology
    bad = np.flatnonzero((topo.link_from < 0) | (topo.link_to < 0))
    if len(bad):
        raise HydraulicModelError(
            "links whose from_node/to_node is not a node of the network", topo.link_ids[bad].tolist()
        )

    elevation = np.concatenate([_col(network[name], "elevation_m", 0.0) for name in NODE_LAYERS])
    elevation = np.where(np.isfinite(elevation), elevation, 0.0)
    node_start = {name: int(np.searchsorted(topo.node_layer, i)) for i, name in enumerate(NODE_LAYERS)}
    link_start = {name: int(np.searchsorted(topo.link_layer, i)) for i, name in enumerate(LINK_LAYERS)}

    customers = network["customers"]
    peak = _col(customers, "peak_demand_nm3h", 0.0)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    gates = network["gate_stations"]
    supply = _col(gates, "supply_pressure_mpa", np.nan)
    bad = ~(np.isfinite(supply) & (supply > 0))
    if bad.any():
        raise HydraulicModelError("gate stations without a positive supply_pressure_mpa", gates["id"][bad].tolist())

    pipes = network["pipes"]
    n_pipes = len(pipes)
    length = _col(pipes, "length_m", np.nan)
    diameter = _col(pipes, "inner_diameter_mm", np.nan) / 1000.0
    roughness = _col(pipes, "roughness_mm", 0.05) / 1000.0
    roughness = np.where(np.isfinite(roughness) & (roughness >= 0), roughness, 0.05e-3)
    zeta = _col(pipes, "loss_coefficient", 0.0)
    zeta = np.where(np.isfinite(zeta), zeta, 0.0)
    in_service = _lookup(pipes["status"], {"in_service": True}, False).astype(bool)
    bad = in_service & ~(np.isfinite(diameter) & (diameter > 0))
    if bad.any():
        raise HydraulicModelError("in-service pipes without a positive inner_diameter_mm", pipes["id"][bad].tolist())
    bad = in_service & ~(np.isfinite(length) & (length >= 0))
    if bad.any():
        raise HydraulicModelError("in-service pipes without a length_m", pipes["id"][bad].tolist())
    rank = {c.value: c.rank for c in PressureClass}
    class_rank = _lookup(pipes["pressure_class"], rank, 0).astype(np.int8)

    valves = network["valves"]
    regs = network["regulators"]
    set_mpa = _col(regs, "set_outlet_pressure_mpa", np.nan)
    bad = ~(np.isfinite(set_mpa) & (set_mpa > 0))
    if bad.any():
        raise HydraulicModelError("regulators without a positive set_outlet_pressure_mpa", regs["id"][bad].tolist())
    others = network["links"]

    return ModelArrays(
        n_nodes=topo.n_nodes,
        n_links=topo.n_links,
        node_ids=topo.node_ids,
        node_layer=topo.node_layer,
        node_xy=topo.node_xy,
        node_elevation_m=elevation,
        customer_nodes=node_start["customers"] + np.arange(len(customers), dtype=np.int64),
        customer_peak_nm3h=peak,
        customer_category=customers["category"].astype(str).to_numpy(dtype=object)
        if len(customers)
        else np.zeros(0, object),
        gate_nodes=node_start["gate_stations"] + np.arange(len(gates), dtype=np.int64),
        gate_supply_mpa=supply,
        gate_capacity_nm3h=_col(gates, "capacity_nm3h", np.nan),
        link_ids=topo.link_ids,
        link_layer=topo.link_layer,
        link_from=topo.link_from.astype(np.int64),
        link_to=topo.link_to.astype(np.int64),
        n_pipes=n_pipes,
        pipe_length_m=np.where(np.isfinite(length), length, 0.0),
        pipe_diameter_m=np.where(np.isfinite(diameter) & (diameter > 0), diameter, 1.0),
        pipe_roughness_m=roughness,
        pipe_loss_coefficient=zeta,
        pipe_in_service=in_service,
        pipe_class_rank=class_rank,
        pipe_zero_length=(np.where(np.isfinite(length), length, 0.0) < ZERO_LENGTH_M) & (zeta == 0),
        valve_links=link_start["valves"] + np.arange(len(valves), dtype=np.int64),
        valve_normally_open=(valves["normal_position"].astype(str) != "closed").to_numpy()
        if len(valves)
        else np.zeros(0, bool),
        reg_links=link_start["regulators"] + np.arange(len(regs), dtype=np.int64),
        reg_set_mpa=set_mpa,
        reg_capacity_nm3h=_col(regs, "capacity_nm3h", np.nan),
        other_links=link_start["links"] + np.arange(len(others), dtype=np.int64),
        other_kind=others["kind"].astype(str).to_numpy(dtype=object) if len(others) else np.zeros(0, object),
        other_normally_open=(
            (others["normal_position"].astype(str) != "closed").to_numpy() if len(others) else np.zeros(0, bool)
        ),
    )
