"""Model pressures corrected by live readings (实时校正): the pressure field the contours show while SCADA is live.

A steady-state solve knows the network but not this minute's demand; pressure sensors know the truth at a few
points. :func:`with_live_pressures` keeps the model's shape and moves it onto the measurements: the residual
(measured − modelled) at each sensor is spread over the nodes of the sensor's *own* pressure system (LP and MP never
mix, nor two LP systems behind different regulators) by inverse-distance weighting with a relaxation term::

    correction(x) = Σ wᵢ rᵢ / (Σ wᵢ + w₀),   wᵢ = 1 / max(dᵢ, 1 m)²,   w₀ = 1 / reach²

so the corrected field passes (to within a metre's weight) through every reading, follows the residuals between
sensors, and relaxes back to the model farther than ``reach_m`` from any of them. Only the k nearest sensors of a
system count. Nodes of systems without a reading keep the model's pressure.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial import cKDTree

from console.hydraulics._types import SimulationResult
from console.network import GasNetwork

__all__ = ["with_live_pressures"]


def with_live_pressures(
    network: GasNetwork,
    result: SimulationResult,
    node_index: np.ndarray,
    measured_pa: np.ndarray,
    *,
    reach_m: float = 1000.0,
    k: int = 8,
) -> tuple[SimulationResult, int]:
    """``result`` with its node pressures corrected by gauge readings ``measured_pa`` at topology nodes
    ``node_index``; returns the corrected result and how many readings were used.

    Readings that are not finite, at unsupplied nodes or at no node (-1) are ignored. Only the node pressure arrays
    change (gauge and absolute, by the same amount); flows and link pressures stay the model's.
    """
    topo = network.topology
    if len(topo.node_ids) != len(result.node_ids):
        raise ValueError("the result is of another network version; simulate again")
    node_index = np.asarray(node_index, dtype=np.int64).reshape(-1)
    measured_pa = np.asarray(measured_pa, dtype=float).reshape(-1)
    if len(node_index) != len(measured_pa):
        raise ValueError(f"{len(node_index)} sensor nodes for {len(measured_pa)} readings")
    ok = (node_index >= 0) & (node_index < len(result.node_ids)) & np.isfinite(measured_pa)
    ok[ok] &= result.node_supplied[node_index[ok]]
    nodes, values = node_index[ok], measured_pa[ok]
    if not len(nodes):
        return result, 0
    # several readings at one node (two transmitters on one regulator outlet): their mean
    nodes, inverse = np.unique(nodes, return_inverse=True)
    values = np.bincount(inverse, weights=values) / np.bincount(inverse)
    residual = values - result.node_pressure_pa[nodes]
    xy = topo.node_xy
    system = result.node_system
    correction = np.zeros(len(result.node_ids))
    w0 = 1.0 / float(reach_m) ** 2
    for sid in np.unique(system[nodes]).tolist():  # a loop over pressure systems with readings, not over nodes
        mine = system[nodes] == sid
        targets = np.flatnonzero((system == sid) & result.node_supplied)
        kk = int(min(k, mine.sum()))
        d, j = cKDTree(xy[nodes[mine]]).query(xy[targets], k=kk)
        d, j = d.reshape(len(targets), kk), j.reshape(len(targets), kk)
        w = 1.0 / np.maximum(d, 1.0) ** 2
        correction[targets] = (w * residual[mine][j]).sum(axis=1) / (w.sum(axis=1) + w0)
    corrected = replace(
        result,
        node_pressure_pa=result.node_pressure_pa + correction,
        node_pressure_abs_pa=result.node_pressure_abs_pa + correction,
    )
    return corrected, int(ok.sum())
