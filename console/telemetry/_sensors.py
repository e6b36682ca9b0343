"""The sensors of a network as arrays aligned with its ``sensors`` layer rows, plus what alarms and the simulator need
to know about where each one sits: its topology node, its pressure class and the set pressure of its pressure zone.

A *pressure zone* is a connected part of the network once regulators are cut out: everything downstream of one
regulator outlet, or fed by one gate station. Its *source pressure* is the regulator's set outlet pressure or the gate
station's supply pressure; alarm limits of pressure sensors and the simulator's pressures are relative to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from console.network import LINK_LAYERS, SENSOR_UNITS, GasNetwork, PressureClass, SensorKind

__all__ = ["SensorTable", "KINDS"]

KINDS: tuple[SensorKind, ...] = tuple(SensorKind)
_REGULATORS = LINK_LAYERS.index("regulators")


@dataclass(frozen=True, eq=False)
class SensorTable:
    """Sensor attributes as arrays, row ``i`` being row ``i`` of ``network["sensors"]``.

    ``kind`` holds codes into :data:`KINDS`; ``node`` the topology node a sensor measures at (-1 if none);
    ``pressure_class`` the rank of the GB 50028 class there (-1 unknown); ``zone`` its pressure zone (-1 none) and
    ``zone_source_kpa`` that zone's source pressure (NaN unknown); ``is_zone_source`` marks sensors at a regulator
    outlet or a gate station.
    """

    ids: np.ndarray  # object
    kind: np.ndarray  # int8 codes into KINDS
    unit: np.ndarray  # object
    feature_id: np.ndarray  # object
    name: np.ndarray  # object
    xy: np.ndarray  # float64 (n, 2)
    node: np.ndarray  # int32
    pressure_class: np.ndarray  # int8 rank, -1 unknown
    zone: np.ndarray  # int32
    zone_source_kpa: np.ndarray  # float64
    is_zone_source: np.ndarray  # bool
    normally_closed: np.ndarray  # bool: valve-position sensors on normally closed valves
    _index: pd.Index

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids: object) -> np.ndarray:
        """Rows of sensor ids (vectorised); -1 for ids that are not sensors of the network."""
        return self._index.get_indexer(np.atleast_1d(np.asarray(ids, dtype=object))).astype(np.int32)

    def row(self, sensor_id: str) -> int:
        """Row of one sensor id, or -1."""
        return int(self.rows_of([sensor_id])[0])

    def kind_of(self, row: int) -> SensorKind:
        return KINDS[int(self.kind[row])]

    def mask(self, kind: SensorKind | str) -> np.ndarray:
        return self.kind == KINDS.index(SensorKind(kind))

    @classmethod
    def from_network(cls, network: GasNetwork) -> SensorTable:
        """The sensor table of ``network`` (cached per network version)."""
        return network.cached("telemetry.sensors", lambda: _build(network))

    @classmethod
    def from_arrays(cls, ids, kinds, units=None, feature_ids=None) -> SensorTable:
        """A table without a network (tests, replays of foreign recordings): no topology, zones or classes."""
        ids = np.asarray(ids, dtype=object)
        n = len(ids)
        kind = np.array([KINDS.index(SensorKind(k)) for k in kinds], dtype=np.int8)
        if units is None:
            units = [SENSOR_UNITS[KINDS[k]] for k in kind]
        return cls(
            ids=ids,
            kind=kind,
            unit=np.asarray(units, dtype=object),
            feature_id=np.asarray(feature_ids if feature_ids is not None else [""] * n, dtype=object),
            name=np.full(n, "", dtype=object),
            xy=np.full((n, 2), np.nan),
            node=np.full(n, -1, np.int32),
            pressure_class=np.full(n, -1, np.int8),
            zone=np.full(n, -1, np.int32),
            zone_source_kpa=np.full(n, np.nan),
            is_zone_source=np.zeros(n, bool),
            normally_closed=np.zeros(n, bool),
            _index=pd.Index(ids),
        )


def _build(network: GasNetwork) -> SensorTable:
    frame = network["sensors"]
    n = len(frame)
    ids = frame["id"].to_numpy(dtype=object)
    kind_text = frame["kind"].astype(str).to_numpy()
    kind = pd.Categorical(kind_text, categories=[k.value for k in KINDS]).codes.astype(np.int8)
    unit = frame["unit"].astype(str).to_numpy(dtype=object)
    default_unit = np.array([SENSOR_UNITS[KINDS[k]] for k in kind], dtype=object) if n else np.empty(0, object)
    unit = np.where(unit == "", default_unit, unit)
    feature_id = frame["feature_id"].astype(str).to_numpy(dtype=object)
    xy = np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()]) if n else np.empty((0, 2))

    topo = network.topology
    node = topo.node_index(feature_id) if n else np.empty(0, np.int32)
    link = topo.link_index(feature_id) if n else np.empty(0, np.int32)
    on_link = (node < 0) & (link >= 0)
    # A sensor on a regulator measures its outlet; on a valve or pipe, its from side.
    link_layer = np.where(on_link, topo.link_layer[np.maximum(link, 0)], -1) if n else np.empty(0, np.int8)
    link_node = np.where(
        link_layer == _REGULATORS, topo.link_to[np.maximum(link, 0)], topo.link_from[np.maximum(link, 0)]
    )
    node = np.where(on_link, link_node, node).astype(np.int32)

    node_class, zone_of_node, zone_source, source_nodes = _zones(network, topo)
    has_node = node >= 0
    pressure_class = np.where(has_node, node_class[np.maximum(node, 0)], -1).astype(np.int8)
    # A sensor on a regulator itself is in the outlet class even if its outlet node has no pipes yet.
    regs = network["regulators"]
    if len(regs) and on_link.any():
        reg_rank = np.array([PressureClass(c).rank for c in regs["outlet_class"].astype(str)], dtype=np.int8)
        on_reg = on_link & (link_layer == _REGULATORS)
        pressure_class[on_reg] = reg_rank[topo.link_row[link[on_reg]]]
    zone = np.where(has_node, zone_of_node[np.maximum(node, 0)], -1).astype(np.int32)
    zone_source_kpa = np.where(zone >= 0, zone_source[np.maximum(zone, 0)], np.nan)
    is_zone_source = has_node & np.isin(node, source_nodes)

    valves = network["valves"]
    normally_closed = np.zeros(n, bool)
    if len(valves) and n:
        closed_ids = valves["id"].to_numpy(dtype=object)[valves["normal_position"].astype(str).to_numpy() == "closed"]
        normally_closed = pd.Index(closed_ids).get_indexer(feature_id) >= 0
    return SensorTable(
        ids=ids,
        kind=kind,
        unit=unit,
        feature_id=feature_id,
        name=frame["name"].astype(str).to_numpy(dtype=object),
        xy=xy,
        node=node,
        pressure_class=pressure_class,
        zone=zone,
        zone_source_kpa=zone_source_kpa,
        is_zone_source=is_zone_source,
        normally_closed=normally_closed,
        _index=pd.Index(ids),
    )


def _zones(network: GasNetwork, topo) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per node: the highest pressure-class rank of its pipes, its zone; per zone: the source pressure (kPa).

    Zones are components of the graph without regulators and without normally closed valves. A zone fed by several
    regulators takes the highest set pressure (the one that governs).
    """
    nn = topo.n_nodes
    node_class = np.full(nn, -1, np.int8)
    pipes = network["pipes"]
    pipe_links = topo.layer_links("pipes")
    if len(pipes):
        rank = np.array([PressureClass(c).rank for c in pipes["pressure_class"].cat.categories], dtype=np.int8)
        codes = pipes["pressure_class"].cat.codes.to_numpy()
        pipe_rank = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1).astype(np.int8)
        for ends in (topo.link_from[pipe_links], topo.link_to[pipe_links]):
            ok = ends >= 0
            np.maximum.at(node_class, ends[ok], pipe_rank[topo.link_row[pipe_links[ok]]])

    keep = (topo.link_from >= 0) & (topo.link_to >= 0) & (topo.link_layer != _REGULATORS)
    valves = network["valves"]
    if len(valves):
        closed = valves["normal_position"].astype(str).to_numpy() == "closed"
        valve_links = topo.layer_links("valves")
        keep[valve_links[closed[topo.link_row[valve_links]]]] = False
    graph = coo_matrix(
        (np.ones(int(keep.sum()), np.int8), (topo.link_from[keep], topo.link_to[keep])), shape=(nn, nn)
    ).tocsr()
    n_zones, zone_of_node = connected_components(graph, directed=False)
    zone_source = np.full(n_zones, np.nan)

    source_nodes = []
    gates = network["gate_stations"]
    if len(gates):
        gnodes = topo.layer_nodes("gate_stations")
        supply = gates["supply_pressure_mpa"].to_numpy(dtype=float)[topo.node_row[gnodes]] * 1000.0
        np.fmax.at(zone_source, zone_of_node[gnodes], supply)
        source_nodes.append(gnodes)
    regs = network["regulators"]
    if len(regs):
        rlinks = topo.layer_links("regulators")
        out = topo.link_to[rlinks]
        ok = out >= 0
        setp = regs["set_outlet_pressure_mpa"].to_numpy(dtype=float)[topo.link_row[rlinks]] * 1000.0
        np.fmax.at(zone_source, zone_of_node[out[ok]], setp[ok])
        source_nodes.append(out[ok])
    sources = np.concatenate(source_nodes) if source_nodes else np.empty(0, np.int32)
    return node_class, zone_of_node.astype(np.int32), zone_source, sources
