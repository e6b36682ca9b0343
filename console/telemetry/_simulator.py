"""The embedded sensor simulator (传感器仿真): realistic, deterministic readings for every sensor of a network.

Every reading at step ``k`` (time ``start_t + k * interval_s``) is a pure function of the seed and ``k``: noise comes
from a generator seeded with (seed, k // 64), outages from (seed, hour), so the same seed gives the same readings
however the steps are cut into batches and whether the feed runs paced or as fast as it can.

What a sensor reads:

* **pressure**: its pressure zone's source pressure (regulator set point or gate-station supply, see
  :mod:`console.telemetry._sensors`) less a droop that grows with the daily demand curve and with the sensor's
  distance along the pipes from the zone's source (up to 12 % at the far end of a low-pressure zone at peak,
  6 % elsewhere); or, when ``baseline`` gives a value for the sensor (the hydraulic solver's pressure at peak demand),
  the source pressure less that drop scaled by demand;
* **flow** at a gate station: the customers' peak demand (or half the station's capacity) times the demand curve;
* **temperature**: 12 °C ± 5 °C over the day; **methane**: a fraction of a % LEL; **valve position**: 100 % open or
  0 % according to the valve's normal position;
* plus noise (0.4 % of the level), a slow per-sensor drift (±1 % over hours), dropped readings (0.1 %) and outages
  (a sensor silent for 3–20 minutes, 1 % of sensor-hours) that raise STALE alarms.

Scripted events:

* :class:`Leak` — pressure sags around the leak (severity × e^(−d/reach) of the zone pressure, d along the pipes,
  within the leak's pressure zone, ramping in over ``ramp_s``) and methane rises in valve wells nearby
  (peak × e^(−r/reach) with r the straight distance, approaching it with time constant ``methane_tau_s``);
* :class:`RegulatorFailure` — the regulator's outlet pressure, and its whole zone, creeps up towards ``factor`` × set
  pressure with time constant ``tau_s``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from console.errors import UnknownFeatureError
from console.network import LINK_LAYERS, GasNetwork, SensorKind
from console.telemetry._feed import Feed, PacedThread, Sink
from console.telemetry._limits import CLASS_LIMITS_KPA
from console.telemetry._sensors import KINDS, SensorTable
from console.telemetry._types import FeedError, FeedState, ReadingBatch, parse_time

__all__ = ["DEMAND_CURVE", "Leak", "RegulatorFailure", "SimulatorConfig", "SimulatorFeed", "demand_factor"]

# Hourly demand of a Chinese city's residential/commercial gas (fraction of the daily peak, local time): breakfast,
# lunch (the day's peak) and dinner peaks, low at night.
DEMAND_CURVE = np.array(
    [
        0.25,
        0.2,
        0.18,
        0.18,
        0.2,
        0.3,
        0.55,
        0.8,
        0.7,
        0.55,
        0.7,
        1.0,
        0.9,
        0.6,
        0.5,
        0.5,
        0.65,
        0.9,
        0.95,
        0.75,
        0.6,
        0.5,
        0.4,
        0.3,
    ]
)
_BLOCK = 64  # steps per noise block
_P, _Q, _CH4, _T, _POS = (
    KINDS.index(k)
    for k in (
        SensorKind.PRESSURE,
        SensorKind.FLOW,
        SensorKind.METHANE,
        SensorKind.TEMPERATURE,
        SensorKind.VALVE_POSITION,
    )
)
_REGULATORS = LINK_LAYERS.index("regulators")


def demand_factor(t: np.ndarray, utc_offset_h: float = 8.0) -> np.ndarray:
    """The demand curve (0–1, 1 at the daily peak) at epoch times ``t``, interpolated between hours."""
    hour = (np.asarray(t, dtype=float) / 3600.0 + utc_offset_h) % 24.0
    return np.interp(hour, np.arange(25), np.r_[DEMAND_CURVE, DEMAND_CURVE[0]])


@dataclass(frozen=True)
class Leak:
    """Gas escaping from a pipe (at ``fraction`` along it) or at a node, from ``at_s`` after the start."""

    feature_id: str
    at_s: float
    severity: float = 0.5
    fraction: float = 0.5
    reach_m: float = 500.0
    ramp_s: float = 60.0
    methane_peak_lel: float = 80.0
    methane_reach_m: float = 60.0
    methane_tau_s: float = 120.0


@dataclass(frozen=True)
class RegulatorFailure:
    """A regulator that stops regulating at ``at_s``: its outlet creeps towards ``factor`` × set pressure."""

    regulator_id: str
    at_s: float
    factor: float = 2.0
    tau_s: float = 90.0


@dataclass(frozen=True)
class SimulatorConfig:
    """Simulator settings; ``start_t`` is epoch s (or RFC 3339 text)."""

    seed: int = 0
    start_t: float | str = "2026-01-05T00:00:00+08:00"
    interval_s: float = 1.0
    noise: float = 0.004
    drift: float = 0.01
    dropout_rate: float = 0.001
    outage_rate_per_h: float = 0.01
    outage_min_s: float = 180.0
    outage_max_s: float = 1200.0
    utc_offset_h: float = 8.0
    baseline: Mapping[str, float] = field(default_factory=dict)


class SimulatorFeed(Feed):
    """Readings for every sensor of ``network`` (see the module docstring).

    Parameters
    ----------
    network
        The network whose sensors to simulate.
    config
        Seed, start, interval, noise and fault rates.
    events
        Scripted :class:`Leak` and :class:`RegulatorFailure` events.
    speed
        Data seconds per wall second when started paced (1–100 for a live demo); ``start`` with speed 0 runs
        flat out.
    """

    def __init__(
        self,
        network: GasNetwork,
        config: SimulatorConfig | None = None,
        events: Sequence[Leak | RegulatorFailure] = (),
        *,
        speed: float = 1.0,
        name: str = "simulator",
    ) -> None:
        super().__init__(name)
        self.config = config or SimulatorConfig()
        if self.config.interval_s <= 0:
            raise FeedError(f"simulator: interval {self.config.interval_s} s must be positive")
        self.start_t = parse_time(self.config.start_t)
        self.sensors = SensorTable.from_network(network)
        self.events = tuple(events)
        self.speed = float(speed)
        self._next_step = 0
        self._thread: PacedThread | None = None
        self._wall0 = 0.0
        self._prepare(network)

    # -- model ------------------------------------------------------------------------------------------------------
    def _prepare(self, network: GasNetwork) -> None:
        s, cfg = self.sensors, self.config
        n = len(s)
        rng = np.random.default_rng([cfg.seed, 7])
        level = np.zeros(n)
        # Pressure: zone source pressure, or the middle of the class band, or 100 kPa.
        class_mid = np.array([(lo + hi) / 2 for (_, lo, hi, _) in CLASS_LIMITS_KPA.values()])
        p = s.kind == _P
        source = np.where(
            np.isfinite(s.zone_source_kpa),
            s.zone_source_kpa,
            np.where(s.pressure_class >= 0, class_mid[np.maximum(s.pressure_class, 0)], 100.0),
        )
        self._graph, self._node_dist = self._distances(network)
        far = np.zeros(n)
        droop = np.zeros(n)
        if p.any():
            d = np.where(s.node >= 0, self._node_dist[np.maximum(s.node, 0)], 0.0)
            d = np.where(np.isfinite(d), d, 0.0)
            zmax = np.zeros(int(s.zone.max()) + 2)
            np.maximum.at(zmax, s.zone[p] + 1, d[p])
            far = np.where(p, d / np.maximum(zmax[s.zone + 1], 1.0), 0.0)
            is_lp = p & (s.pressure_class == 0)
            droop = np.where(is_lp, 0.12, 0.06) * far + 0.01  # + 0.01: regulators droop a little under load
            for sid, value in cfg.baseline.items():
                row = s.row(sid)
                if row >= 0 and p[row] and source[row] > 0:
                    # a solve of an undersized network can fall below atmospheric; a gauge still reads >= 5 % of set
                    droop[row] = min(max(0.0, 1.0 - float(value) / source[row]), 0.95)
        level[p] = source[p]
        self._droop = droop
        self._source = source

        flow_base = self._flow_base(network)
        level[s.kind == _Q] = flow_base
        level[s.kind == _T] = 12.0
        level[s.kind == _CH4] = 0.3
        level[s.kind == _POS] = np.where(s.normally_closed[s.kind == _POS], 0.0, 100.0)
        self._level = level
        sigma = np.select(
            [p, s.kind == _Q, s.kind == _T, s.kind == _CH4, s.kind == _POS],
            [cfg.noise * level, 0.02 * level, np.full(n, 0.1), np.full(n, 0.2), np.full(n, 0.1)],
            0.0,
        )
        self._sigma = sigma
        drift_scale = np.select([p | (s.kind == _Q), s.kind == _CH4, s.kind == _T], [cfg.drift * level, 0.3, 0.3], 0.0)
        self._drift_amp = drift_scale * rng.uniform(-1, 1, n)
        self._drift_period = rng.uniform(6 * 3600, 48 * 3600, n)
        self._drift_phase = rng.uniform(0, 2 * np.pi, n)

        self._leaks = [self._prepare_leak(network, e) for e in self.events if isinstance(e, Leak)]
        self._failures = [self._prepare_failure(network, e) for e in self.events if isinstance(e, RegulatorFailure)]

    def add_event(self, network: GasNetwork, event: Leak | RegulatorFailure) -> None:
        """Script one more event, also while the feed runs (training: "a leak here, now").

        ``event.at_s`` counts from the simulation start like the others (:meth:`elapsed_s` is now). ``network`` must
        be the network the feed was built for. Readings already handed over are not changed.
        """
        if isinstance(event, Leak):
            prepared = self._prepare_leak(network, event)
            self._leaks = [*self._leaks, prepared]  # a new list: the feed thread iterates the old one safely
        elif isinstance(event, RegulatorFailure):
            prepared = self._prepare_failure(network, event)
            self._failures = [*self._failures, prepared]
        else:
            raise TypeError(f"simulator events are Leak or RegulatorFailure, not {type(event).__name__}")
        self.events = (*self.events, event)

    def elapsed_s(self) -> float:
        """Data seconds since the simulation start (what ``at_s`` of an event counts)."""
        return self.clock() - self.start_t

    def _distances(self, network: GasNetwork):
        """A pipe-length graph without regulators (pressure zones) and distances from the zone sources."""
        topo = network.topology
        nn = topo.n_nodes
        length = np.ones(topo.n_links)
        pipes = topo.layer_links("pipes")
        if len(pipes):
            length[pipes] = np.maximum(network["pipes"]["length_m"].to_numpy(dtype=float)[topo.link_row[pipes]], 0.1)
        keep = (topo.link_from >= 0) & (topo.link_to >= 0) & (topo.link_layer != _REGULATORS)
        valves = topo.layer_links("valves")
        if len(valves):
            closed = network["valves"]["normal_position"].astype(str).to_numpy() == "closed"
            keep[valves[closed[topo.link_row[valves]]]] = False
        a, b, w = topo.link_from[keep], topo.link_to[keep], np.nan_to_num(length[keep], nan=1.0)
        graph = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(nn, nn)).tocsr()
        sources = []
        if len(network["gate_stations"]):
            sources.append(topo.layer_nodes("gate_stations"))
        regs = topo.layer_links("regulators")
        if len(regs):
            sources.append(topo.link_to[regs][topo.link_to[regs] >= 0])
        if sources and nn:
            src = np.unique(np.concatenate(sources))
            dist = dijkstra(graph, directed=False, indices=src, min_only=True)
        else:
            dist = np.full(nn, np.inf)
        return graph, dist

    def _flow_base(self, network: GasNetwork) -> float:
        demand = float(network["customers"]["peak_demand_nm3h"].sum()) if len(network["customers"]) else 0.0
        if demand > 0:
            return demand
        cap = network["gate_stations"]["capacity_nm3h"].to_numpy(dtype=float) if len(network["gate_stations"]) else []
        cap = [c for c in cap if np.isfinite(c) and c > 0]
        return 0.5 * float(sum(cap)) if cap else 1000.0

    def _prepare_leak(self, network: GasNetwork, leak: Leak) -> dict:
        topo = network.topology
        s = self.sensors
        node = topo.node_index([leak.feature_id])[0]
        if node >= 0:
            ends, offsets = [node], [0.0]
            where = topo.node_xy[node]
        else:
            link = topo.link_index([leak.feature_id])[0]
            if link < 0:
                raise UnknownFeatureError(leak.feature_id, "the network (leak location)")
            a, b = int(topo.link_from[link]), int(topo.link_to[link])
            f = float(np.clip(leak.fraction, 0.0, 1.0))
            length = 1.0
            geom = None
            if topo.link_layer[link] == LINK_LAYERS.index("pipes"):
                row = topo.link_row[link]
                length = float(network["pipes"]["length_m"].iloc[row])
                geom = network["pipes"].geometry.iloc[row]
            ends, offsets = [a, b], [f * length, (1 - f) * length]
            where = (
                np.array(shapely.get_coordinates(geom.interpolate(f, normalized=True))[0])
                if geom is not None
                else (topo.node_xy[a] + topo.node_xy[b]) / 2
            )
        ok = [i for i, e in enumerate(ends) if e >= 0]
        dist = np.full(topo.n_nodes, np.inf)
        if ok:
            d = dijkstra(self._graph, directed=False, indices=[ends[i] for i in ok])
            dist = np.min(np.atleast_2d(d) + np.array([offsets[i] for i in ok])[:, None], axis=0)
        p = s.kind == _P
        d_sensor = np.where(s.node >= 0, dist[np.maximum(s.node, 0)], np.inf)
        sag = np.where(p & np.isfinite(d_sensor), leak.severity * np.exp(-d_sensor / leak.reach_m), 0.0)
        r = np.hypot(s.xy[:, 0] - where[0], s.xy[:, 1] - where[1])
        ch4 = np.where(
            s.kind == _CH4, leak.methane_peak_lel * np.exp(-np.nan_to_num(r, nan=np.inf) / leak.methane_reach_m), 0.0
        )
        flow = np.where(s.kind == _Q, 0.2 * leak.severity * self._level, 0.0)
        return {"event": leak, "sag": sag * self._source, "ch4": ch4, "flow": flow}

    def _prepare_failure(self, network: GasNetwork, failure: RegulatorFailure) -> dict:
        topo = network.topology
        link = topo.link_index([failure.regulator_id])[0]
        if link < 0 or topo.link_layer[link] != _REGULATORS:
            raise UnknownFeatureError(failure.regulator_id, "the network's regulators (regulator failure)")
        setp = float(network["regulators"]["set_outlet_pressure_mpa"].iloc[topo.link_row[link]]) * 1000.0
        out = int(topo.link_to[link])
        s = self.sensors
        zone_nodes = np.isfinite(dijkstra(self._graph, directed=False, indices=[out])[0]) if out >= 0 else None
        in_zone = (s.kind == _P) & (s.node >= 0)
        if zone_nodes is not None:
            in_zone &= zone_nodes[np.maximum(s.node, 0)]
        rise = np.where(in_zone, (failure.factor - 1.0) * setp, 0.0)
        return {"event": failure, "rise": rise}

    def values(self, steps: np.ndarray) -> np.ndarray:
        """Noise-free readings (steps × sensors) at the given steps, scripted events included."""
        t = self.start_t + steps * self.config.interval_s
        s = self.sensors
        demand = demand_factor(t, self.config.utc_offset_h)[:, None]
        v = np.broadcast_to(self._level, (len(t), len(s))).copy()
        p = s.kind == _P
        v[:, p] *= 1.0 - self._droop[p] * demand
        q = s.kind == _Q
        v[:, q] *= np.maximum(demand, 0.15)
        temp = s.kind == _T
        v[:, temp] += 5.0 * np.sin(2 * np.pi * ((t[:, None] / 3600.0 + self.config.utc_offset_h - 9.0) / 24.0))
        v += self._drift_amp * np.sin(2 * np.pi * t[:, None] / self._drift_period + self._drift_phase)
        elapsed = (steps * self.config.interval_s)[:, None]
        for leak in self._leaks:
            e: Leak = leak["event"]
            dt = np.maximum(elapsed - e.at_s, 0.0)
            ramp = 1.0 - np.exp(-dt / max(e.ramp_s, 1e-9))
            v -= leak["sag"] * ramp
            v += leak["ch4"] * (1.0 - np.exp(-dt / max(e.methane_tau_s, 1e-9)))
            v += leak["flow"] * ramp
        for failure in self._failures:
            e2: RegulatorFailure = failure["event"]
            dt = np.maximum(elapsed - e2.at_s, 0.0)
            v += failure["rise"] * (1.0 - np.exp(-dt / max(e2.tau_s, 1e-9)))
        return v

    def readings(self, k0: int, k1: int) -> ReadingBatch:
        """The readings of steps ``k0 <= k < k1`` (time-major; dropped and outage readings left out)."""
        k0, k1 = int(k0), int(k1)
        n = len(self.sensors)
        if k1 <= k0 or n == 0:
            return ReadingBatch(np.empty(0, np.int32), np.empty(0), np.empty(0), self.counters)
        steps = np.arange(k0, k1)
        v = self.values(steps)
        noise = np.empty_like(v)
        keep = np.empty(v.shape, bool)
        cfg = self.config
        for b in range(k0 // _BLOCK, (k1 - 1) // _BLOCK + 1):
            lo, hi = max(k0, b * _BLOCK), min(k1, (b + 1) * _BLOCK)
            rng = np.random.default_rng([cfg.seed, b])
            z = rng.standard_normal((_BLOCK, n))
            u = rng.random((_BLOCK, n))
            noise[lo - k0 : hi - k0] = z[lo - b * _BLOCK : hi - b * _BLOCK]
            keep[lo - k0 : hi - k0] = u[lo - b * _BLOCK : hi - b * _BLOCK] >= cfg.dropout_rate
        v += noise * self._sigma
        s = self.sensors
        ch4 = s.kind == _CH4
        v[:, ch4] = np.abs(v[:, ch4])  # a detector reads no negative gas
        pos = s.kind == _POS
        v[:, pos] = np.clip(v[:, pos], 0.0, 100.0)
        t = self.start_t + steps * cfg.interval_s
        keep &= ~self._outages(t)
        ii, rows = np.nonzero(keep)
        return ReadingBatch(rows.astype(np.int32), t[ii], v[ii, rows], self.counters, float(t[-1]))

    def _outages(self, t: np.ndarray) -> np.ndarray:
        """(steps × sensors) bool: the sensor is in a communication outage (one may start in each sensor-hour)."""
        cfg = self.config
        n = len(self.sensors)
        out = np.zeros((len(t), n), bool)
        if cfg.outage_rate_per_h <= 0:
            return out
        hours = np.floor(t / 3600.0).astype(np.int64)
        for h in np.unique(np.r_[hours, hours - 1]).tolist():  # an outage begun last hour may still go on
            rng = np.random.default_rng([cfg.seed, 1_000_003, h])
            hit = rng.random(n) < cfg.outage_rate_per_h
            if not hit.any():
                continue
            start = h * 3600.0 + rng.uniform(0, 3600.0, n)
            end = start + rng.uniform(cfg.outage_min_s, cfg.outage_max_s, n)
            sel = (hours == h) | (hours == h + 1)
            tt = t[sel][:, None]
            out[sel] |= hit & (tt >= start) & (tt < end)
        return out

    # -- running ----------------------------------------------------------------------------------------------------
    def step_of(self, t: float) -> int:
        """The first step at or after epoch time ``t``."""
        return int(np.ceil((t - self.start_t) / self.config.interval_s - 1e-9))

    def clock(self) -> float:
        if self._thread is not None and self.speed > 0:
            return self.start_t + (time.monotonic() - self._wall0) * self.speed
        return self.start_t + self._next_step * self.config.interval_s

    def run(self, sink: Sink, duration_s: float, *, chunk_s: float = 60.0) -> None:
        """Hand ``duration_s`` of readings to ``sink`` synchronously, as fast as possible, in ``chunk_s`` pieces."""
        end = self._next_step + int(round(duration_s / self.config.interval_s))
        per = max(1, int(round(chunk_s / self.config.interval_s)))
        self._set_state(FeedState.RUNNING)
        try:
            while self._next_step < end:
                k1 = min(end, self._next_step + per)
                batch = self.readings(self._next_step, k1)
                self._next_step = k1
                self.counters.add_received(len(batch))
                sink(batch)
        except Exception as exc:
            self._set_state(FeedState.FAILED, str(exc))
            raise
        self._set_state(FeedState.STOPPED)

    def start(self, sink: Sink) -> None:
        """Produce readings in a thread, ``speed`` data seconds per wall second (speed 0: flat out)."""
        if self._thread is not None and self._thread.alive:
            return
        self._wall0 = time.monotonic() - (self._next_step * self.config.interval_s) / max(self.speed, 1e-9)
        self._set_state(FeedState.RUNNING)

        def step() -> bool:
            try:
                if self.speed > 0:
                    due = self.step_of(self.clock()) + 1
                    due = min(due, self._next_step + 3600)  # catch up after a stall without one huge batch
                else:
                    due = self._next_step + max(1, int(60 / self.config.interval_s))
                if due > self._next_step:
                    batch = self.readings(self._next_step, due)
                    self._next_step = due
                    self.counters.add_received(len(batch))
                    sink(batch)
            except Exception as exc:
                self._set_state(FeedState.FAILED, f"{type(exc).__name__}: {exc}")
                return False
            return True

        self._thread = PacedThread(f"gasops-feed-{self.name}", step, 0.1 if self.speed > 0 else 0.0)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self.state != FeedState.FAILED:
            self._set_state(FeedState.STOPPED)
