"""Training with valves operated on site (演练): the sensor simulator, seeing the valves an incident's crews close.

:class:`TrainingSimulator` is the telemetry simulator (:class:`console.telemetry.SimulatorFeed`: the same readings,
leaks and regulator failures) with one more kind of scripted event, :class:`ValveOperation`: valves closed (or
opened again) from ``at_s``. A pressure sensor whose node is cut off from every source by the valves closed so far
(gate stations feed along pipes, open valves and links both ways, and through regulators from inlet to outlet only)
loses its pressure as the section empties: its reading decays towards ``residual`` of what it would read, with
time constant ``tau_s``; a position sensor on a closed valve reads it turning shut (towards 0 % open); opening the
valves again brings them back the same way. So a closure reported by a crew is
confirmed by the falling pressure downstream (:func:`~console.dispatch.confirm_by_pressure`) as it would be on a
real network, and a valve reported closed that does not cut anything off is not.

>>> ValveOperation(("V-1",), at_s=30.0).action
'closed'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from console.errors import UnknownFeatureError
from console.network import LINK_LAYERS, GasNetwork, SensorKind
from console.telemetry import Leak, RegulatorFailure, SimulatorConfig, SimulatorFeed

__all__ = ["TrainingSimulator", "ValveOperation", "continue_as_training", "cut_off_nodes"]

_VALVES, _REGULATORS = LINK_LAYERS.index("valves"), LINK_LAYERS.index("regulators")


@dataclass(frozen=True)
class ValveOperation:
    """Valves closed (``action="closed"``) or opened again from ``at_s`` after the simulation start."""

    valve_ids: tuple[str, ...]
    at_s: float
    action: str = "closed"
    tau_s: float = 45.0  # the section empties (or refills) with this time constant
    residual: float = 0.03  # what a gauge in an emptied section still reads, of its normal reading


def cut_off_nodes(network: GasNetwork, closed_valves: Sequence[str]) -> np.ndarray:
    """Per node of ``network.topology``: True where no gas reaches it with ``closed_valves`` (and every normally
    closed valve) shut."""
    topo = network.topology
    nn = topo.n_nodes
    keep = (topo.link_from >= 0) & (topo.link_to >= 0)
    valves = topo.layer_links("valves")
    if len(valves):
        shut = network["valves"]["normal_position"].astype(str).to_numpy() == "closed"
        keep[valves[shut[topo.link_row[valves]]]] = False
    idx = topo.link_index(list(closed_valves)) if len(closed_valves) else np.zeros(0, np.int64)
    keep[idx[idx >= 0]] = False
    pipes = topo.layer_links("pipes")
    if len(pipes):
        status = network["pipes"]["status"].astype(str).to_numpy()[topo.link_row[pipes]]
        keep[pipes[status != "in_service"]] = False
    reg = topo.link_layer == _REGULATORS
    both = keep & ~reg
    one = keep & reg
    a, b = topo.link_from, topo.link_to
    src = np.concatenate([a[both], b[both], a[one]])
    dst = np.concatenate([b[both], a[both], b[one]])
    gates = topo.layer_nodes("gate_stations")
    src = np.concatenate([src, np.full(len(gates), nn)])
    dst = np.concatenate([dst, gates])
    graph = coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(nn + 1, nn + 1)).tocsr()
    fed = np.zeros(nn + 1, dtype=bool)
    fed[breadth_first_order(graph, nn, directed=True, return_predecessors=False)] = True
    return ~fed[:nn]


class TrainingSimulator(SimulatorFeed):
    """The sensor simulator with :class:`ValveOperation` events (see the module doc); everything else as
    :class:`console.telemetry.SimulatorFeed`, whose constructor it takes."""

    def __init__(self, network: GasNetwork, config: SimulatorConfig | None = None,
                 events: Sequence[Leak | RegulatorFailure | ValveOperation] = (), *, speed: float = 1.0,
                 name: str = "simulator") -> None:  # fmt: skip
        base = tuple(e for e in events if not isinstance(e, ValveOperation))
        super().__init__(network, config, base, speed=speed, name=name)
        self._network = network
        self._operations: list[tuple[ValveOperation, np.ndarray]] = []  # (event, per-sensor "cut off after it")
        self._closed: list[str] = []
        for e in events:
            if isinstance(e, ValveOperation):
                self.add_event(network, e)

    @property
    def closed_valves(self) -> tuple[str, ...]:
        """The valves closed by the operations so far (in the order closed)."""
        return tuple(self._closed)

    def add_event(self, network: GasNetwork, event) -> None:
        if not isinstance(event, ValveOperation):
            return super().add_event(network, event)
        if event.action not in ("closed", "opened"):
            raise ValueError(f"valve operation {event.action!r}: closed or opened")
        topo = network.topology
        idx = topo.link_index(list(event.valve_ids))
        bad = [v for v, k in zip(event.valve_ids, idx, strict=True) if k < 0 or topo.link_layer[k] != _VALVES]
        if bad:
            raise UnknownFeatureError(bad[0], "the network's valves (valve operation)")
        closed = list(self._closed)
        for v in event.valve_ids:
            if event.action == "closed" and v not in closed:
                closed.append(v)
            elif event.action == "opened" and v in closed:
                closed.remove(v)
        cut = cut_off_nodes(network, closed)
        s = self.sensors
        pressure = s.kind == list(SensorKind).index(SensorKind.PRESSURE)
        sensor_cut = pressure & (s.node >= 0) & cut[np.maximum(s.node, 0)]
        # A position sensor on a valve closed (and normally open) reads it turning shut.
        position = s.kind == list(SensorKind).index(SensorKind.VALVE_POSITION)
        sensor_cut |= position & ~s.normally_closed & np.isin(s.feature_id.astype(str), closed)
        self._closed = closed
        self._operations = [*self._operations, (event, sensor_cut)]  # a new list: the feed thread reads the old one
        self.events = (*self.events, event)

    def values(self, steps: np.ndarray) -> np.ndarray:
        v = super().values(steps)
        if not self._operations:
            return v
        elapsed = (steps * self.config.interval_s)[:, None]
        # The emptied fraction of each sensor's section, following the operations in time: each one moves it
        # towards its own target (1 for a sensor it cuts off, 0 for one it reconnects) from where it stood.
        emptied = np.zeros((len(steps), len(self.sensors)))
        for event, cut in self._operations:
            dt = np.maximum(elapsed - event.at_s, 0.0)
            move = 1.0 - np.exp(-dt / max(event.tau_s, 1e-9))
            target = cut.astype(float)
            emptied = emptied + (target - emptied) * move * (elapsed >= event.at_s)
        position = self.sensors.kind == list(SensorKind).index(SensorKind.VALVE_POSITION)
        residual = np.where(position, 0.0, self._operations[-1][0].residual)
        return v * (1.0 - (1.0 - residual) * emptied)


def continue_as_training(feed: SimulatorFeed, network: GasNetwork) -> TrainingSimulator:
    """A :class:`TrainingSimulator` that carries on where ``feed`` stands (its next reading's time, its seed, speed
    and scripted events, shifted to the new start), for a training session that begins to operate valves."""
    if isinstance(feed, TrainingSimulator):
        return feed
    start = float(np.floor(feed.clock())) + feed.config.interval_s
    shift = start - feed.start_t
    events = [replace(e, at_s=e.at_s - shift) for e in feed.events]
    config = replace(feed.config, start_t=start)
    return TrainingSimulator(network, config, events, speed=feed.speed, name=feed.name)
