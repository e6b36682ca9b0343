"""The live session of an open network (实时监测): its history database, its feed, the alarm service, the operator's
alarm actions and the training events a dispatcher can script on the simulator.

Qt-free: the GUI's telemetry controller drives a :class:`LiveSession`, ``gasops feed`` runs through one, tests call it
directly. One session per open network; the feed (simulator, MQTT broker or a recorded file) can be swapped while the
alarm states and the history stay. Readings and alarm events go to the workspace's ``console.db``
(:attr:`Workspace.db_path <console.app.workspace.Workspace.db_path>`).

The simulator produces readings that look real. A session therefore always says which kind of feed it runs
(:attr:`LiveSession.kind`), so a view can mark simulated data as such and no one takes a drill for an incident. It
starts by itself only on the bundled demo district (:func:`startup_feed`).
"""

from __future__ import annotations

import getpass
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from console.app.settings import Settings, declare
from console.app.workspace import Workspace, demo_path
from console.io import is_database_url, redact_url
from console.network import GasNetwork, SensorKind
from console.telemetry import (
    AlarmLimits,
    Condition,
    DeviceKeyRegistry,
    Feed,
    HistoryError,
    HistoryStore,
    Leak,
    MqttFeed,
    Priority,
    RegulatorFailure,
    ReplayFeed,
    SensorStatus,
    SensorTable,
    SimulatorConfig,
    SimulatorFeed,
    TelemetryError,
    TelemetryService,
    iso_utc,
)

__all__ = [
    "FEED_KINDS",
    "HISTORIAN_FILE",
    "PA_PER_UNIT",
    "LiveSession",
    "MqttSettings",
    "TrendSeries",
    "historian_location",
    "hydraulic_baseline",
    "is_demo_path",
    "operator_name",
    "startup_feed",
]

log = logging.getLogger(__name__)

FEED_KINDS = ("simulator", "mqtt", "replay")
# Pressure units a sensor may report in, as pascals per unit (live pressures are handed on in gauge Pa).
PA_PER_UNIT = {"Pa": 1.0, "kPa": 1e3, "MPa": 1e6, "bar": 1e5, "mbar": 1e2}

_MQTT_KEYS = (
    ("host", "127.0.0.1", str, "MQTT broker host"),
    ("port", 1883, int, "MQTT broker port"),
    ("utility", "demo", str, "utility code in the topic gasops/v1/<utility>/+/reading"),
    ("client_id", "", str, "MQTT client id (empty: generated)"),
    ("protocol", "3.1.1", str, "MQTT protocol version: 3.1.1 or 5"),
    ("username", "", str, "MQTT user name (the password is never stored)"),
    ("tls_ca", "", str, "CA certificate file for TLS (empty: no TLS)"),
    ("require_signed", False, bool, "drop readings without a device signature"),
)
for _key, _default, _type, _doc in _MQTT_KEYS:
    declare(f"telemetry/mqtt/{_key}", _default, _type, _doc)


def is_demo_path(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` is the bundled demo district (generated into the data folder's ``demo/``)."""
    if path is None:
        return False
    try:
        return Path(path).resolve().parent == demo_path().parent.resolve()
    except (OSError, TypeError, ValueError):
        return False


def startup_feed(network: GasNetwork, network_path: str | os.PathLike | None, settings: Settings) -> str | None:
    """What to open when a network is shown.

    ``"simulator"`` on the bundled demo district (unless ``telemetry/autostart_demo`` is off), ``"mqtt"`` when the
    user left a broker connected (``telemetry/mqtt/autoconnect``), ``"history"`` to open the session with no feed
    when the workspace already has a history (the alarms left unacknowledged last time, and the trends, come back),
    else None. A network without sensors opens nothing. Any other network never starts made-up data by itself.
    """
    if not len(network["sensors"]):
        return None
    if is_demo_path(network_path) and settings.get("telemetry/autostart_demo"):
        return "simulator"
    if settings.get("telemetry/mqtt/autoconnect"):
        return "mqtt"
    workspace = Workspace.for_network(network_path, network.name)
    if workspace.db_path.exists() or (workspace.folder / HISTORIAN_FILE).is_file():
        return "history"
    return None


HISTORIAN_FILE = "historian.url"


def historian_location(workspace: Workspace) -> Path | str:
    """Where a workspace keeps its history: the PostgreSQL URL named in its ``historian.url`` file (one line,
    ``postgresql://user@host:port/database?schema=NAME``; the password is best left to ``PGPASSWORD`` or
    ``~/.pgpass``), so every console of a control room shares one history; else its own ``console.db``."""
    named = workspace.folder / HISTORIAN_FILE
    if not named.is_file():
        return workspace.db_path
    try:
        lines = [ln.strip() for ln in named.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{named}: cannot read the historian URL ({exc})") from None
    urls = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(urls) != 1 or not is_database_url(urls[0]):
        raise HistoryError(f"{named}: write one line postgresql://user@host:port/database?schema=NAME")
    return urls[0]


def operator_name() -> str:
    """Who is logged in: the name alarm actions are recorded under."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


@dataclass(frozen=True)
class TrendSeries:
    """What one curve shows: a sensor's readings (or bucket means with min/max) over the window."""

    sensor_id: str
    label: str
    unit: str
    t: np.ndarray
    value: np.ndarray
    vmin: np.ndarray | None = None
    vmax: np.ndarray | None = None
    limits: dict[str, float] | None = None
    resolution: str = "raw"


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
    """How to reach the broker (the password is never shown by ``repr`` nor stored in the settings)."""

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

    @classmethod
    def load(cls, settings: Settings) -> MqttSettings:
        """The broker last connected to (``telemetry/mqtt/*``), without a password."""
        values = {key: settings.get(f"telemetry/mqtt/{key}") for key, *_ in _MQTT_KEYS}
        for key in ("client_id", "username", "tls_ca"):
            values[key] = values[key] or None
        return cls(**values)

    def save(self, settings: Settings) -> None:
        """Remember the broker for the next start; never the password."""
        for key, *_ in _MQTT_KEYS:
            value = getattr(self, key)
            settings.set(f"telemetry/mqtt/{key}", "" if value is None else value)


class LiveSession:
    """Live telemetry of one network.

    Parameters
    ----------
    network
        The network whose sensors the readings refer to.
    network_path
        Its file (or URL), which decides the workspace, and so where the history is kept
        (:meth:`Workspace.for_network`).
    workspace
        Keep the history in this workspace's ``console.db`` instead.
    db_path
        Keep the history in this file (or this ``postgresql://`` historian) instead of the workspace's
        (:func:`historian_location`); ``False`` keeps none (trends then have nothing to show).
    limits
        Alarm limits (default: :meth:`AlarmLimits.defaults`).
    operator
        The name alarm actions are recorded under (default: the logged-in user, :func:`operator_name`).
    authority
        Who may do what (``console.app.operators.OperatorService``): alarm actions and training events are refused
        unless the logged-in operator's roles allow them, are recorded under that operator's name, and go to the
        ledger as ``alarm.action`` entries signed by them.
    flood_suppress
        During an alarm flood (ISA-18.2: more than 10 alarms in 10 minutes) alarms of this priority and less urgent
        are suppressed, so the operator sees the urgent ones; None only reports the flood (:attr:`flooding`).

    Signals
    -------
    feed_changed(feed)
        A feed was started or stopped (``None``); read :attr:`kind` and ``feed.status()``.
    """

    feed_changed = Signal(object)

    def __init__(
        self,
        network: GasNetwork,
        network_path: str | os.PathLike | None = None,
        *,
        workspace: Workspace | None = None,
        db_path: str | os.PathLike | bool | None = None,
        limits: AlarmLimits | None = None,
        operator: str | None = None,
        authority: Any = None,
        flood_suppress: Priority | int | None = Priority.MEDIUM,
    ) -> None:
        self.network = network
        self.authority = authority
        self.network_path = network_path
        self.workspace = workspace if workspace is not None else Workspace.for_network(network_path, network.name)
        self.operator = operator or operator_name()
        self.history_error = ""
        self.baseline: dict[str, float] | None = None  # the simulator's hydraulic baseline (see :meth:`open`)
        self.db_path: Path | str | None = None  # the SQLite file, or the shared historian's URL (password removed)
        store = None
        if db_path is not False:
            try:
                location = historian_location(self.workspace) if db_path is None else db_path
                if isinstance(location, str) and is_database_url(location):
                    self.db_path = redact_url(location)
                else:
                    self.db_path = location = Path(location)
                store = HistoryStore(location)
            except HistoryError as exc:  # alarms still work; the view says why there are no trends
                self.history_error = str(exc)
                log.error("%s", exc)
        self.service = TelemetryService(network, limits=limits, store=store, flood_suppress=flood_suppress)
        self.service.start()
        self.feed: Feed | None = None
        self.kind: str | None = None
        self._sim_args: dict | None = None

    @classmethod
    def open(
        cls,
        network: GasNetwork,
        network_path: str | os.PathLike | None = None,
        *,
        baseline_demand: float | None = None,
        feedback=None,
        **kwargs,
    ) -> LiveSession:
        """Open a session (history, restored alarm states) and, with ``baseline_demand``, solve the network for the
        simulator's :attr:`baseline` (:func:`hydraulic_baseline`): the slow part of starting the live view, meant to
        run as a job."""
        session = cls(network, network_path, **kwargs)
        try:
            if baseline_demand is not None:
                if feedback is not None:
                    feedback.progress(0.3, "Solving the network for the simulator's baseline…")
                session.baseline = hydraulic_baseline(network, baseline_demand, feedback=feedback)
        except BaseException:  # cancelled meanwhile: nobody will close it
            session.close()
            raise
        return session

    # -- feeds -------------------------------------------------------------------------------------------------------
    @property
    def sensors(self) -> SensorTable:
        return self.service.sensors

    @property
    def simulated(self) -> bool:
        """Whether the readings are made up by the simulator (a drill, training, the demo)."""
        return self.kind == "simulator"

    def _start(self, feed: Feed, kind: str, *, paced: bool = True) -> Feed:
        self.stop_feed(emit=False)
        self.feed, self.kind = feed, kind
        if paced:
            self.service.start()  # again, after a flat-out run stopped it
            self.service.start_feed(feed)
        else:
            self.service.attach(feed)
        self.feed_changed.emit(feed)
        return feed

    def _simulator_feed(
        self,
        *,
        seed: int,
        speed: float,
        start_t: float | str | None,
        interval_s: float,
        events: Iterable[Leak | RegulatorFailure],
        baseline: dict[str, float] | None,
        faults: bool,
    ) -> SimulatorFeed:
        if not len(self.sensors):
            raise TelemetryError(f"{self.network.name}: the network has no sensors to simulate")
        if start_t is None:
            start_t = float(np.floor(time.time()))
            newest = self.service.validator.newest_t
            if len(newest) and np.isfinite(newest).any():
                start_t = max(start_t, float(np.floor(np.nanmax(np.where(np.isfinite(newest), newest, np.nan)))) + 1)
        baseline = self.baseline if baseline is None else baseline
        config = SimulatorConfig(
            seed=seed,
            start_t=start_t,
            interval_s=interval_s,
            baseline=dict(baseline or {}),
            **({} if faults else {"dropout_rate": 0.0, "outage_rate_per_h": 0.0}),
        )
        self._sim_args = {
            "seed": seed,
            "speed": speed,
            "interval_s": interval_s,
            "baseline": baseline,
            "faults": faults,
        }
        return SimulatorFeed(self.network, config, tuple(events), speed=speed)

    def start_simulator(
        self,
        *,
        seed: int = 0,
        speed: float = 1.0,
        start_t: float | str | None = None,
        interval_s: float = 1.0,
        events: Iterable[Leak | RegulatorFailure] = (),
        baseline: dict[str, float] | None = None,
        faults: bool = True,
    ) -> SimulatorFeed:
        """Start the simulator in the background at ``start_t`` (default: now, to the second, after anything already
        stored), ``speed`` data seconds per wall second; ``baseline`` defaults to the session's :attr:`baseline`."""
        feed = self._simulator_feed(
            seed=seed, speed=speed, start_t=start_t, interval_s=interval_s, events=events, baseline=baseline,
            faults=faults,
        )  # fmt: skip
        return self._start(feed, "simulator")

    def run_simulator(
        self,
        duration_s: float,
        *,
        seed: int = 0,
        start_t: float | str | None = None,
        interval_s: float = 1.0,
        events: Iterable[Leak | RegulatorFailure] = (),
        baseline: dict[str, float] | None = None,
        faults: bool = True,
    ) -> SimulatorFeed:
        """Simulate ``duration_s`` of readings flat out, in the calling thread, then advance the alarm clock to the
        end (stale data, off-delays): the same readings and alarms on every run with the same arguments.

        The ingest worker is stopped for the run: its once-a-second tick would judge silence at a wall-clock moment
        of the data time, and the alarms would differ from run to run."""
        feed = self._simulator_feed(
            seed=seed, speed=0.0, start_t=start_t, interval_s=interval_s, events=events, baseline=baseline,
            faults=faults,
        )  # fmt: skip
        self.service.stop(stop_feeds=False)
        self._start(feed, "simulator", paced=False)
        feed.run(self.service.ingest, duration_s)
        self.service.tick(feed.start_t + duration_s)
        return feed

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

    def connect_adapter(self, name: str, *, registry=None, **options) -> Feed:
        """Start a live feed of a plugin's adapter (``"sparkplug"``: Sparkplug B edge nodes over MQTT), with its
        options (see the adapter's ``options``); :attr:`kind` is then the adapter's name. ``registry`` defaults to
        the installed plugins (:func:`console.app.plugins.default_registry`)."""
        self._guard("feed.control", "start live feeds")
        if registry is None:
            from console.app.plugins import default_registry

            registry = default_registry()
        feed = registry.feed_adapter(name).create(self.sensors, **options)
        return self._start(feed, name)

    def replay(self, path: str | os.PathLike, speed: float = 10.0) -> ReplayFeed:
        """Replay a recorded ``.csv``/``.parquet`` file in the background at ``speed`` (1–100x)."""
        return self._start(ReplayFeed(path, self.sensors, speed=speed), "replay")

    def run_replay(self, path: str | os.PathLike) -> ReplayFeed:
        """Replay a whole recording flat out, in the calling thread (see :meth:`run_simulator`)."""
        feed = ReplayFeed(path, self.sensors, speed=None)
        self.service.stop(stop_feeds=False)
        self._start(feed, "replay", paced=False)
        feed.run(self.service.ingest)
        self.service.tick(feed.t_end)
        return feed

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
        self._guard("feed.control", "script training events")
        feed = self._simulator()
        leak = Leak(feature_id, at_s=feed.elapsed_s(), severity=severity, fraction=fraction)
        feed.add_event(self.network, leak)
        return leak

    def inject_regulator_failure(self, regulator_id: str, *, factor: float = 2.0) -> RegulatorFailure:
        """A regulator that stops regulating from now on (simulator only)."""
        self._guard("feed.control", "script training events")
        feed = self._simulator()
        failure = RegulatorFailure(regulator_id, at_s=feed.elapsed_s(), factor=factor)
        feed.add_event(self.network, failure)
        return failure

    # -- operator actions (recorded under :attr:`operator`) ----------------------------------------------------------
    @property
    def actor(self) -> str:
        """The name alarm actions are recorded under now: the logged-in operator's, else :attr:`operator`."""
        name = getattr(self.authority, "name", None)
        return name or self.operator

    def _guard(self, permission: str, action: str) -> None:
        if self.authority is not None:
            self.authority.require(permission, action)

    def _record(
        self, action: str, sensor_id: str, condition: str, reason: str = "", until: float | None = None
    ) -> None:
        """An operator's alarm step on the record (signed by them), when a ledger is open."""
        if self.authority is None:
            return
        body = {"sensor": sensor_id, "alarm": str(condition), "action": action}
        if reason:
            body["reason"] = reason[:500]
        if until is not None and np.isfinite(until):
            body["until"] = iso_utc(until)
        self.authority.record("alarm.action", body)

    def _each(self, keys: Iterable[tuple[str, str]], act, action: str, **record) -> int:
        """Apply ``act(sensor_id, condition)`` to each (sensor id, condition) key in turn; the number of alarm events.
        The first key the alarm service refuses stops the loop (the earlier ones stay done) and raises its error."""
        total = 0
        for sensor_id, condition in keys:
            events = act(sensor_id, Condition(condition))
            total += len(events)
            if events:
                self._record(action, sensor_id, Condition(condition).value, **record)
        return total

    def acknowledge(self, keys: Iterable[tuple[str, str]]) -> int:
        """Acknowledge alarms, given as (sensor id, condition) keys."""
        self._guard("alarm.acknowledge", "acknowledge alarms")
        return self._each(keys, lambda sid, c: self.service.acknowledge(sid, c, user=self.actor), "acknowledge")

    def acknowledge_all(self) -> int:
        self._guard("alarm.acknowledge", "acknowledge alarms")
        events = self.service.acknowledge_all(user=self.actor)
        for event in events:
            self._record("acknowledge", event.sensor_id, event.condition.value)
        return len(events)

    def shelve(self, keys: Iterable[tuple[str, str]], duration_s: float, reason: str) -> int:
        """Shelve alarms for ``duration_s`` with the ``reason`` ISA-18.2 asks for."""
        self._guard("alarm.shelve", "shelve alarms")
        until = self.service.clock() + float(duration_s)
        return self._each(
            keys,
            lambda sid, c: self.service.shelve(sid, c, duration_s=duration_s, user=self.actor, comment=reason),
            "shelve",
            reason=reason,
            until=until,
        )

    def unshelve(self, keys: Iterable[tuple[str, str]]) -> int:
        self._guard("alarm.shelve", "unshelve alarms")
        return self._each(keys, lambda sid, c: self.service.unshelve(sid, c, user=self.actor), "unshelve")

    def comment(self, keys: Iterable[tuple[str, str]], text: str) -> int:
        self._guard("alarm.comment", "comment on alarms")
        return self._each(keys, lambda sid, c: self.service.comment(sid, c, text, user=self.actor), "comment",
                          reason=text)  # fmt: skip

    # -- suppression and annunciation (ISA-18.2) ----------------------------------------------------------------------
    def suppress(self, key: str, sensor_ids: Iterable[str], reason: str, *, conditions=None) -> int:
        """State-based suppression ("suppressed by design"): while ``key`` (an incident's outage, say) lasts, the
        alarms of ``sensor_ids`` are evaluated but shown as SUPPRESSED and not annunciated; suppressing under the
        same key again replaces its sensors. ``conditions`` limits it to some alarm conditions (default all).
        Meant for workflows (incident dispatch) that already guard and record their own steps; returns the number of
        alarm events (alarms not in the normal state that it hid)."""
        return len(self.service.suppress(key, sensor_ids, reason, conditions=conditions, user=self.actor))

    def unsuppress(self, key: str) -> int:
        """End the suppression ``key`` (nothing happens if there is none): alarms still active come back
        unacknowledged, so the operator sees what the outage left behind."""
        return len(self.service.unsuppress(key, user=self.actor))

    def suppressions(self) -> dict:
        """Active suppressions: key → (sensor ids, conditions, reason)."""
        return self.service.suppressions()

    def remove_from_service(self, sensor_ids: Iterable[str], reason: str) -> int:
        """Take sensors out of service (maintenance): their alarms are evaluated but not annunciated. Needs the
        ``alarm.shelve`` permission and a reason; recorded under the operator's name."""
        self._guard("alarm.shelve", "take sensors out of service")
        total = 0
        for sid in sensor_ids:
            total += len(self.service.remove_from_service(sid, reason, user=self.actor))
        return total

    def return_to_service(self, sensor_ids: Iterable[str]) -> int:
        self._guard("alarm.shelve", "return sensors to service")
        return sum(len(self.service.return_to_service(sid, user=self.actor)) for sid in sensor_ids)

    def out_of_service(self) -> dict[str, str]:
        """Sensors out of service: id → reason."""
        return self.service.out_of_service()

    def hidden_alarms(self) -> list:
        """Active alarms hidden by suppression or out of service (state SUPPRESSED / OUT_OF_SERVICE): what the
        alarm list leaves out, for review."""
        return self.service.hidden_alarms()

    @property
    def audible(self) -> bool:
        """Whether the horn sounds: a new high-priority alarm nobody acknowledged or silenced yet."""
        return self.service.audible

    def silence(self) -> int:
        """Mute the horn without acknowledging (any operator on the desk may); returns how many alarms sounded."""
        return self.service.silence()

    @property
    def flooding(self) -> bool:
        """An alarm flood is going on (less urgent alarms are suppressed meanwhile)."""
        return self.service.flooding

    # -- what views and other features read --------------------------------------------------------------------------
    def label(self, sensor_id: str) -> str:
        """``"<id> <name>"`` of a sensor (its id alone when it has no name or is not known)."""
        row = self.sensors.row(sensor_id)
        name = str(self.sensors.name[row] or "") if row >= 0 else ""
        return f"{sensor_id} {name}".strip()

    def trends(self, sensor_ids: Iterable[str], window_s: float, feedback=None) -> tuple[list[TrendSeries], float]:
        """Each known sensor's history over the window ending at the service clock, and that clock (a job: it reads
        the history database)."""
        service = self.service
        now = service.clock()
        out = []
        sensors, limits = service.sensors, service.limits
        for sid in sensor_ids:
            row = sensors.row(sid)
            if row < 0:
                continue
            h = service.history(sid, now - window_s, now + 1.0)
            buckets = h.resolution != "raw"
            lim = {k: float(getattr(limits, k)[row]) for k in ("hihi", "hi", "lo", "lolo")}
            out.append(
                TrendSeries(
                    sensor_id=sid,
                    label=self.label(sid),
                    unit=str(sensors.unit[row]),
                    t=h.t,
                    value=h.value,
                    vmin=h.min if buckets else None,
                    vmax=h.max if buckets else None,
                    limits={k: v for k, v in lim.items() if np.isfinite(v)},
                    resolution=h.resolution,
                )
            )
        return out, now

    def live_pressures(self, network_version: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """(topology node index, gauge Pa) of every pressure sensor's latest reading that is not stale, for the
        network version the session follows (None when ``network_version`` is another one: readings of one version
        never mix into a model of another). Readings in a unit not in :data:`PA_PER_UNIT` are left out."""
        if network_version is not None and network_version != self.network.version:
            return None
        snap = self.service.snapshot()
        sensors = self.sensors
        factor = np.array([PA_PER_UNIT.get(str(u), np.nan) for u in sensors.unit])
        fresh = (
            sensors.mask(SensorKind.PRESSURE)
            & (sensors.node >= 0)
            & np.isfinite(snap.last_value)
            & np.isfinite(factor)
            & ~np.isin(snap.status, [int(SensorStatus.STALE), int(SensorStatus.NO_DATA)])
        )
        return sensors.node[fresh].astype(np.int64), snap.last_value[fresh] * factor[fresh]

    @property
    def live_version(self) -> int:
        """Grows whenever the live state changes (readings accepted, alarms changed)."""
        return self.service.version

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
        elif kind == "mqtt" or (kind not in FEED_KINDS and hasattr(feed, "rebind")):  # live feeds carry on
            feed.start(self.service.submit)
        elif feed is not None:
            self.stop_feed()

    def close(self) -> None:
        """Stop the feed and the ingest worker, flush and close the history."""
        self.stop_feed(emit=False)
        self.service.close()
