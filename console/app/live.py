"""The live session of an open network (实时监测): its history database, its feed, the alarm service and the
training events a dispatcher can script on the simulator.

Qt-free: the GUI's telemetry controller drives a :class:`LiveSession`, tests call it directly. One session per open
network; the feed (simulator, MQTT broker or a recorded file) can be swapped while the alarm states and the history
stay. Readings and alarm events go to the workspace's ``console.db`` (see :func:`history_path`).

The simulator produces readings that look real. A session therefore always says which kind of feed it runs
(:attr:`LiveSession.kind`), so a view can mark simulated data as such and no one takes a drill for an incident.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from psygnal import Signal

from console.app.workspace import Workspace, data_dir
from console.network import GasNetwork, SensorKind
from console.telemetry import (
    DB_FILE,
    AlarmLimits,
    DeviceKeyRegistry,
    Feed,
    HistoryError,
    HistoryStore,
    Leak,
    MqttFeed,
    RegulatorFailure,
    ReplayFeed,
    SensorTable,
    SimulatorConfig,
    SimulatorFeed,
    TelemetryError,
    TelemetryService,
)

__all__ = ["FEED_KINDS", "LiveSession", "MqttSettings", "history_path", "hydraulic_baseline"]

log = logging.getLogger(__name__)

FEED_KINDS = ("simulator", "mqtt", "replay")


def history_path(network_path: str | Path | None, network_name: str = "") -> Path:
    """Where a network's readings and alarm events are kept.

    A workspace's ``network.gpkg`` keeps them beside it in ``console.db``; any other network file (the demo
    district, a GasLib import …) gets a folder of its own under the data directory, named after the file.

    >>> history_path("/srv/zhoushan/network.gpkg").as_posix()
    '/srv/zhoushan/console.db'
    """
    if network_path is not None:
        path = Path(network_path)
        if path.name == Workspace.NETWORK_FILE:
            return path.parent / DB_FILE
        key = path.stem
    else:
        key = network_name or "network"
    key = re.sub(r"[^\w.-]+", "_", key).strip("._") or "network"
    return data_dir() / "workspaces" / key / DB_FILE


def hydraulic_baseline(network: GasNetwork, demand_factor: float = 1.0, feedback=None) -> dict[str, float]:
    """Gauge pressure (kPa) at every pressure sensor from a steady-state solve, for :class:`SimulatorConfig`'s
    ``baseline`` (the simulator then shows the solver's pressure drops at the daily peak instead of its heuristic).

    Sensors on unsupplied nodes are left out. An infeasible or failing solve gives an empty baseline (the simulator
    falls back to its heuristic) and is logged: live readings must not wait for a what-if that cannot be solved.
    """
    from console.errors import GasOpsError
    from console.hydraulics import DemandOptions, SimulationRequest, simulate

    sensors = SensorTable.from_network(network)
    pressure = sensors.mask(SensorKind.PRESSURE) & (sensors.node >= 0)
    if not pressure.any():
        return {}
    try:
        result = simulate(
            network, SimulationRequest(demand=DemandOptions(demand_factor=demand_factor)), feedback=feedback
        )
    except GasOpsError as exc:
        log.warning("no hydraulic baseline for the simulator of %s: %s", network.name, exc)
        return {}
    rows = np.flatnonzero(pressure)
    nodes = sensors.node[rows]
    ok = result.node_supplied[nodes]
    kpa = result.node_pressure_pa[nodes] / 1000.0
    return {str(sensors.ids[r]): float(v) for r, v, good in zip(rows, kpa, ok, strict=True) if good}


@dataclass(frozen=True)
class MqttSettings:
    """How to reach the broker (the password is never shown by ``repr`` nor stored by the GUI)."""

    host: str = "127.0.0.1"
    port: int = 1883
    utility: str = "demo"
    client_id: str | None = None
    protocol: str = "3.1.1"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca: str | None = None
    require_signed: bool = False

    @property
    def label(self) -> str:
        return f"mqtt {self.host}:{self.port}"


class LiveSession:
    """Live telemetry of one network.

    Parameters
    ----------
    network
        The network whose sensors the readings refer to.
    network_path
        Its file, which decides where the history is kept (:func:`history_path`).
    db_path
        Keep the history here instead; ``False`` keeps none (trends then have nothing to show).
    limits
        Alarm limits (default: :meth:`AlarmLimits.defaults`).

    Signals
    -------
    feed_changed(feed)
        A feed was started or stopped (``None``); read :attr:`kind` and ``feed.status()``.
    """

    feed_changed = Signal(object)

    def __init__(
        self,
        network: GasNetwork,
        network_path: str | Path | None = None,
        *,
        db_path: str | Path | bool | None = None,
        limits: AlarmLimits | None = None,
    ) -> None:
        self.network = network
        self.network_path = Path(network_path) if network_path else None
        self.history_error = ""
        store = None
        if db_path is not False:
            path = Path(db_path) if isinstance(db_path, (str, Path)) else history_path(self.network_path, network.name)
            try:
                store = HistoryStore(path)
            except HistoryError as exc:  # alarms still work; the view says why there are no trends
                self.history_error = str(exc)
                log.error("%s", exc)
        self.service = TelemetryService(network, limits=limits, store=store)
        self.service.start()
        self.feed: Feed | None = None
        self.kind: str | None = None
        self._sim_args: dict | None = None

    # -- feeds -------------------------------------------------------------------------------------------------------
    @property
    def sensors(self) -> SensorTable:
        return self.service.sensors

    @property
    def simulated(self) -> bool:
        """Whether the readings are made up by the simulator (a drill, training, the demo)."""
        return self.kind == "simulator"

    def _start(self, feed: Feed, kind: str) -> Feed:
        self.stop_feed(emit=False)
        self.feed, self.kind = feed, kind
        self.service.start_feed(feed)
        self.feed_changed.emit(feed)
        return feed

    def start_simulator(
        self,
        *,
        seed: int = 0,
        speed: float = 1.0,
        start_t: float | None = None,
        events: tuple[Leak | RegulatorFailure, ...] = (),
        baseline: dict[str, float] | None = None,
        faults: bool = True,
    ) -> SimulatorFeed:
        """Start the simulator at ``start_t`` (default: now, to the second, after anything already stored)."""
        if not len(self.sensors):
            raise TelemetryError(f"{self.network.name}: the network has no sensors to simulate")
        if start_t is None:
            start_t = float(np.floor(time.time()))
            newest = self.service.validator.newest_t
            if len(newest) and np.isfinite(newest).any():
                start_t = max(start_t, float(np.floor(np.nanmax(np.where(np.isfinite(newest), newest, np.nan)))) + 1)
        config = SimulatorConfig(
            seed=seed,
            start_t=start_t,
            baseline=dict(baseline or {}),
            **({} if faults else {"dropout_rate": 0.0, "outage_rate_per_h": 0.0}),
        )
        feed = SimulatorFeed(self.network, config, events, speed=speed)
        self._sim_args = {"seed": seed, "speed": speed, "baseline": baseline, "faults": faults}
        return self._start(feed, "simulator")

    def connect_mqtt(self, settings: MqttSettings, registry: DeviceKeyRegistry | None = None) -> MqttFeed:
        """Subscribe to ``gasops/v1/<utility>/+/reading`` on a broker (connects in the background, with back-off)."""
        kwargs = {"registry": registry} if registry is not None else {}
        feed = MqttFeed(
            self.sensors,
            host=settings.host,
            port=int(settings.port),
            utility=settings.utility,
            client_id=settings.client_id or None,
            protocol=settings.protocol,
            require_signed=settings.require_signed,
            username=settings.username or None,
            password=settings.password or None,
            tls_ca=settings.tls_ca or None,
            **kwargs,
        )
        return self._start(feed, "mqtt")

    def replay(self, path: str | Path, speed: float = 10.0) -> ReplayFeed:
        """Replay a recorded ``.csv``/``.parquet`` file at ``speed`` (1–100x)."""
        return self._start(ReplayFeed(path, self.sensors, speed=speed), "replay")

    def stop_feed(self, *, emit: bool = True) -> None:
        feed, self.feed, self.kind = self.feed, None, None
        if feed is not None:
            feed.stop()
            self.service.detach(feed)
            if emit:
                self.feed_changed.emit(None)

    # -- training events ---------------------------------------------------------------------------------------------
    def _simulator(self) -> SimulatorFeed:
        if not isinstance(self.feed, SimulatorFeed):
            raise TelemetryError("scripted events need the simulator feed (Live › Start simulator)")
        return self.feed

    def inject_leak(self, feature_id: str, *, fraction: float = 0.5, severity: float = 0.6) -> Leak:
        """A leak on a pipe (at ``fraction`` along it) or at a node, from now on (simulator only)."""
        feed = self._simulator()
        leak = Leak(feature_id, at_s=feed.elapsed_s(), severity=severity, fraction=fraction)
        feed.add_event(self.network, leak)
        return leak

    def inject_regulator_failure(self, regulator_id: str, *, factor: float = 2.0) -> RegulatorFailure:
        """A regulator that stops regulating from now on (simulator only)."""
        feed = self._simulator()
        failure = RegulatorFailure(regulator_id, at_s=feed.elapsed_s(), factor=factor)
        feed.add_event(self.network, failure)
        return failure

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    def set_network(self, network: GasNetwork) -> None:
        """Follow an edited version of the network: alarm states carry over by sensor id; a simulator restarts on
        the new network where the old one stopped, an MQTT feed carries on against the new sensors, a replay stops
        (its file was matched to the old sensors: start it again)."""
        feed, kind = self.feed, self.kind
        if feed is not None:
            feed.stop()
        self.network = network
        self.service.set_network(network)
        if kind == "simulator" and self._sim_args is not None:
            self.service.detach(feed)
            self.feed = None
            self.start_simulator(**self._sim_args, start_t=float(np.floor(feed.clock())) + 1)
        elif kind == "mqtt":
            feed.start(self.service.submit)
        elif feed is not None:
            self.stop_feed()

    def close(self) -> None:
        """Stop the feed and the ingest worker, flush and close the history."""
        self.stop_feed(emit=False)
        self.service.close()
