"""The live-view controller (实时监测): feeds, the sensor colours on the map, the alarm list, trends, indicators.

Threads: readings are ingested and alarms evaluated in the telemetry service's worker (console.telemetry); this
controller never touches its arrays directly. A 4 Hz timer on the main thread reads the service's ``version`` and,
when it moved, a copy of the per-sensor state (:meth:`TelemetryService.snapshot`, microseconds) for the map and the
alarm list — so however fast readings arrive, the UI repaints at a fixed, low cost, and no alarm is missed because
the list shows states, not events. Opening a session (history database, alarm states restored, the hydraulic
baseline of the simulator) and trend queries run as background jobs.

The simulator is the embedded default on the bundled demo district only; on any other network the console starts no
made-up data by itself. Simulated data is labelled SIMULATOR in the status bar.
"""

from __future__ import annotations

import getpass
import logging
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QMenu, QToolTip

from console.app.live import LiveSession, MqttSettings, history_path, hydraulic_baseline
from console.app.workspace import data_dir
from console.errors import GasOpsError
from console.network import GasNetwork, SensorKind
from console.telemetry import AlarmState, Condition, SensorStatus, TelemetryError, iso_utc
from console.ui.telemetry._alarm_dock import AlarmDock
from console.ui.telemetry._overlay import STATE_LABELS, SensorStateOverlay
from console.ui.telemetry._trend_dock import TrendDock, TrendSeries
from console.ui.telemetry._widgets import AlarmBadge, FeedIndicator, MqttDialog, ReplayDialog
from console.ui.workers import JobWorker, start_job

__all__ = ["TelemetryController", "is_demo_path", "open_session"]

log = logging.getLogger(__name__)
REFRESH_MS = 250
LIST_MIN_INTERVAL_S = 0.5
BLINK_MS = 500
STATUS_MS = 1000
TREND_MS = 1000
HOVER_MS = 300
SIM_SEED = 2026
_PA_PER_UNIT = {"Pa": 1.0, "kPa": 1e3, "MPa": 1e6, "bar": 1e5, "mbar": 1e2}


def is_demo_path(path: Path | None) -> bool:
    """Whether ``path`` is the bundled demo district (generated into the data folder's ``demo/``)."""
    if path is None:
        return False
    try:
        return Path(path).resolve().parent == (data_dir() / "demo").resolve()
    except OSError:
        return False


def open_session(network: GasNetwork, path: Path | None, baseline_demand: float | None, feedback=None):
    """Worker: open the live session (history, restored alarm states) and, for the simulator, its baseline."""
    session = LiveSession(network, path)
    baseline = None
    if baseline_demand is not None:
        if feedback is not None:
            feedback.progress(0.3, "Solving the network for the simulator's baseline…")
        baseline = hydraulic_baseline(network, baseline_demand)
    return session, baseline


def fetch_trends(session: LiveSession, sensor_ids: list[str], window_s: float, feedback=None) -> tuple[list, float]:
    """Worker: each sensor's history over the window ending at the service clock, and that clock."""
    service = session.service
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
                label=_label(sensors, row),
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


def _label(sensors, row: int) -> str:
    name = str(sensors.name[row] or "")
    return f"{sensors.ids[row]} {name}".strip()


class TelemetryController(QObject):
    """Wires the live session of the shown network to the map, the docks and the indicators of one main window.

    Signals: ``sessionOpened(object)`` (a :class:`LiveSession`), ``refreshed()`` (map and alarm list updated),
    ``trendsShown()``, ``failed(str)``.
    """

    sessionOpened = Signal(object)
    refreshed = Signal()
    trendsShown = Signal()
    failed = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.settings = window.settings
        self.session: LiveSession | None = None
        self._network: GasNetwork | None = None
        self._session_version = -1
        self._open_job: JobWorker | None = None
        self._trend_job: JobWorker | None = None
        self._seen_version = -1
        self._list_t = 0.0
        self._last_accepted: tuple[float, int] | None = None
        self._rate = 0.0
        self._user = _user()
        self.dialog = None
        self.overlay = SensorStateOverlay(self.canvas)

        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.alarm_dock = window.add_dock(AlarmDock(window), bottom)
        self.trend_dock = window.add_dock(TrendDock(window), bottom)
        window.splitDockWidget(self.alarm_dock, self.trend_dock, Qt.Orientation.Horizontal)
        window.resizeDocks([self.alarm_dock], [230], Qt.Orientation.Vertical)
        QTimer.singleShot(0, self._fit_docks)  # once the window has its size
        self._build_actions()
        self.indicator = FeedIndicator(window)
        self.indicator.setMenu(self.menu)
        window.statusBar().insertPermanentWidget(0, self.indicator)
        self.badge = AlarmBadge(window)
        self.badge.clicked.connect(self.show_alarms)
        window.toolbar.insertWidget(window.act_theme, self.badge)
        window.toolbar.insertSeparator(window.act_theme)

        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)
        self._blink = QTimer(self)
        self._blink.setInterval(BLINK_MS)
        self._blink.timeout.connect(self._on_blink)
        self._status = QTimer(self)
        self._status.setInterval(STATUS_MS)
        self._status.timeout.connect(self._update_status)
        self._trend_timer = QTimer(self)
        self._trend_timer.setInterval(TREND_MS)
        self._trend_timer.timeout.connect(self.refresh_trends)
        self._hover = QTimer(self)
        self._hover.setSingleShot(True)
        self._hover.setInterval(HOVER_MS)
        self._hover.timeout.connect(self._show_hover)
        self._hover_xy: tuple[float, float] | None = None
        self._connect()

    # -- building ----------------------------------------------------------------------------------------------------
    def _fit_docks(self) -> None:
        """On a first start, the alarm list as wide as its filter and button rows (the trends take the rest, down to
        their own rows); a layout the user saved is left as it was."""
        if self.window.saved_state() is None:
            self.window.fit_dock(self.alarm_dock, share=0.6, beside=self.trend_dock)

    def _build_actions(self) -> None:
        w = self.window

        def act(text, slot, tip="", shortcut=None):
            a = QAction(text, w)
            a.setToolTip(tip or text)
            a.setStatusTip(tip or text)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                w.addAction(a)
            a.triggered.connect(slot)
            return a

        self.act_simulate = act("Start &simulator (training) 仿真", lambda: self.start_simulator(),
                                "Made-up readings for every sensor: demo, training and drills — not field data")  # fmt: skip
        self.act_mqtt = act("Connect to &MQTT broker…", self.request_mqtt, "Live readings from SCADA/IoT via MQTT")
        self.act_replay = act("&Replay a recording…", self.request_replay, "Replay a .csv/.parquet recording at 1–100x")
        self.act_stop = act("S&top the feed", self.stop_feed, "Stop receiving readings (alarm states are kept)")
        self.act_leak = act("Simulate a &leak at the selection", self.leak_at_selection,
                            "Training: gas escapes at the selected pipe or node from now on (simulator only)")  # fmt: skip
        self.act_reg_fail = act("Simulate a regulator &failure at the selection", self.failure_at_selection,
                                "Training: the selected regulator stops regulating (simulator only)")  # fmt: skip
        self.act_ack_all = act(
            "&Acknowledge all alarms", self.acknowledge_all, "Acknowledge every alarm", "Ctrl+Shift+A"
        )
        self.act_alarms = act("Alarm &list", self.show_alarms, "Show the alarm list", "F9")
        self.act_trends = act("&Trends", self.show_trends, "Show the trend plots", "F10")
        menu = QMenu("&Live 监测", w)
        for a in (self.act_simulate, self.act_mqtt, self.act_replay, self.act_stop, None, self.act_leak,
                  self.act_reg_fail, None, self.act_ack_all, self.act_alarms, self.act_trends):  # fmt: skip
            menu.addSeparator() if a is None else menu.addAction(a)
        bar = w.menuBar()
        help_menu = [m for m in bar.actions() if m.text().replace("&", "") == "Help"]
        bar.insertMenu(help_menu[0], menu) if help_menu else bar.addMenu(menu)
        self.menu = menu
        self._update_actions()

    def _connect(self) -> None:
        w, d, t = self.window, self.alarm_dock, self.trend_dock
        w.networkShown.connect(self._on_network_shown)
        w.closing.connect(self.shutdown)
        w.add_context_provider(self._add_context_actions)
        w.layers_dock.layerVisibilityChanged.connect(lambda *_: self._on_view_change())
        self.canvas.viewChanged.connect(lambda *_: self._on_view_change())
        self.canvas.featureIdentified.connect(self._on_feature_identified)
        self.canvas.cursorMoved.connect(self._on_cursor_move)
        d.acknowledgeRequested.connect(self.acknowledge)
        d.shelveRequested.connect(self.shelve)
        d.unshelveRequested.connect(self.unshelve)
        d.commentRequested.connect(self.comment)
        d.featureActivated.connect(self.window.zoom_to_feature)
        d.trendRequested.connect(self.trend_sensors)
        d.themeMaybeChanged.connect(self._on_theme_change)
        t.windowChanged.connect(lambda _s: self.refresh_trends(force=True))
        t.sensorsChanged.connect(lambda _ids: self.refresh_trends(force=True))
        t.visibilityChanged.connect(lambda visible: visible and self.refresh_trends(force=True))

    # -- sessions ----------------------------------------------------------------------------------------------------
    def _on_network_shown(self) -> None:
        network = self.window.network
        if network is None:
            return
        if self.session is not None and self._network is network:
            if self._session_version != network.version:  # an edit: follow it, keep alarm states
                self.session.set_network(network.snapshot())
                self._session_version = network.version
                self._bind_overlay()
            return
        self.close_session()
        if not len(network["sensors"]):
            self.indicator.show_status(None, None, 0.0, 0)
            self.indicator.setToolTip(f"{network.name} has no sensors")
            return
        path = self.window.network_path
        demo = is_demo_path(path)
        autostart = _bool(self.settings.value("telemetry/autostart_demo", True))
        if demo and autostart:
            self.open(start="simulator")
        elif _bool(self.settings.value("telemetry/mqtt/autoconnect", False)):
            self.open(start="mqtt")
        elif history_path(path, network.name).exists():
            self.open(start=None)  # the alarms left unacknowledged last time, and the trends, come back
        self._update_actions()

    def open(self, start: str | None = None, *, baseline_demand: float = 1.0) -> JobWorker | None:
        """Open the live session of the shown network in the background, then start ``start`` (a feed kind)."""
        network = self.window.network
        if network is None:
            self._fail("Open a network first (File › Open)")
            return None
        if self._open_job is not None:
            self._open_job.cancel()
        demand = baseline_demand if start == "simulator" else None
        job = start_job(self.window.runner, open_session, network.snapshot(), self.window.network_path, demand)
        job.finished.connect(lambda out, job=job, n=network: self._on_session_opened(job, n, out, start))
        job.errored.connect(lambda exc, job=job: job is self._open_job and self._fail(_error_line(exc)))
        self._open_job = job
        self.window.statusBar().showMessage(f"Opening the live view of {network.name}…")
        return job

    def _on_session_opened(self, job: JobWorker, network: GasNetwork, out, start: str | None) -> None:
        session, baseline = out
        if job is not self._open_job or network is not self.window.network:
            session.close()  # superseded by another network or another open
            return
        self._open_job = None
        self.close_session()
        self.session = session
        self._network = network  # the live network (the session works on a snapshot of it)
        self._session_version = network.version
        self._baseline = baseline
        session.feed_changed.connect(self._on_feed_change)  # emitted by our own calls, on this thread
        self._bind_overlay()
        if session.history_error:
            self._fail(f"No trends: {session.history_error}")
        for timer in (self._refresh, self._blink, self._status, self._trend_timer):
            timer.start()
        if start == "simulator":
            self.start_simulator()
        elif start == "mqtt":
            self.connect_mqtt(self.saved_mqtt_settings())
        self.refresh(force=True)
        self._update_status()
        self._update_actions()
        self.sessionOpened.emit(session)

    def _bind_overlay(self) -> None:
        s = self.session
        self.overlay.set_sensors(s.sensors.xy if s is not None else np.empty((0, 2)))
        self.overlay.set_theme(self.window.theme.name)
        self.alarm_dock.model.set_sensor_info(*(
            (s.sensors.name, s.sensors.unit) if s is not None else (np.empty(0, object), np.empty(0, object))))  # fmt: skip
        self._seen_version = -1
        self._on_view_change()

    def close_session(self) -> None:
        if self._open_job is not None:
            self._open_job.cancel()
            self._open_job = None
        for timer in (self._refresh, self._blink, self._status, self._trend_timer):
            timer.stop()
        session, self.session, self._network = self.session, None, None
        if session is not None:
            session.feed_changed.disconnect(self._on_feed_change)
            session.close()
        self.overlay.clear()
        self.alarm_dock.set_records([])
        self.badge.set_counts(0, 0, 4)
        self.indicator.show_status(None, None, 0.0, 0)
        self._update_actions()

    def shutdown(self) -> None:
        """The window closes: stop the feed and the worker, flush the history."""
        self._hover.stop()
        self.close_session()

    # -- feeds -------------------------------------------------------------------------------------------------------
    def _require_session(self, then: str) -> LiveSession | None:
        if self.session is None:
            self.open(start=then)
            return None
        return self.session

    def start_simulator(self) -> None:
        session = self._require_session("simulator")
        if session is None:
            return
        try:
            session.start_simulator(seed=SIM_SEED, speed=1.0, baseline=getattr(self, "_baseline", None))
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage("Simulator started: made-up readings for training and demos", 6000)

    def saved_mqtt_settings(self) -> MqttSettings:
        s = self.settings
        return MqttSettings(
            host=str(s.value("telemetry/mqtt/host", "127.0.0.1")),
            port=int(s.value("telemetry/mqtt/port", 1883)),
            utility=str(s.value("telemetry/mqtt/utility", "demo")),
            client_id=str(s.value("telemetry/mqtt/client_id", "")) or None,
            protocol=str(s.value("telemetry/mqtt/protocol", "3.1.1")),
            username=str(s.value("telemetry/mqtt/username", "")) or None,
            tls_ca=str(s.value("telemetry/mqtt/tls_ca", "")) or None,
            require_signed=_bool(s.value("telemetry/mqtt/require_signed", False)),
        )

    def _save_mqtt_settings(self, m: MqttSettings) -> None:
        s = self.settings
        for key, value in (
            ("host", m.host),
            ("port", m.port),
            ("utility", m.utility),
            ("client_id", m.client_id or ""),
            ("protocol", m.protocol),
            ("username", m.username or ""),
            ("tls_ca", m.tls_ca or ""),
            ("require_signed", m.require_signed),
        ):  # fmt: skip  (never the password)
            s.setValue(f"telemetry/mqtt/{key}", value)

    def request_mqtt(self) -> None:
        dlg = MqttDialog(self.saved_mqtt_settings(), self.window)
        dlg.accepted.connect(lambda: self.connect_mqtt(dlg.settings()))
        self._show(dlg)

    def connect_mqtt(self, settings: MqttSettings) -> None:
        self._pending_mqtt = settings
        session = self._require_session("mqtt")
        if session is None:
            return
        try:
            session.connect_mqtt(settings)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self._save_mqtt_settings(settings)
        self.settings.setValue("telemetry/mqtt/autoconnect", True)
        self.window.statusBar().showMessage(f"Connecting to {settings.host}:{settings.port}…", 6000)

    def request_replay(self) -> None:
        dlg = ReplayDialog(str(self.settings.value("telemetry/replay_dir", "")), self.window)
        dlg.accepted.connect(lambda: self.replay(dlg.path.text().strip(), dlg.speed.value()))
        self._show(dlg)

    def replay(self, path: str, speed: float) -> None:
        if not path:
            self._fail("Choose a recording to replay")
            return
        session = self.session
        if session is None:
            self._fail("Open a network with sensors first")
            return
        try:
            session.replay(path, speed)
        except (GasOpsError, OSError, ValueError) as exc:
            self._fail(_error_line(exc))
            return
        self.settings.setValue("telemetry/replay_dir", str(Path(path).parent))

    def stop_feed(self) -> None:
        if self.session is not None:
            self.session.stop_feed()
        self.settings.setValue("telemetry/mqtt/autoconnect", False)

    def _on_feed_change(self, _feed) -> None:
        self._last_accepted = None
        self._rate = 0.0
        self._update_status()
        self._update_actions()

    def _update_actions(self) -> None:
        s = self.session
        has_sensors = self.window.network is not None and len(self.window.network["sensors"]) > 0
        for a in (self.act_simulate, self.act_mqtt):
            a.setEnabled(has_sensors)
        self.act_replay.setEnabled(s is not None)
        self.act_stop.setEnabled(s is not None and s.feed is not None)
        self.act_leak.setEnabled(s is not None and s.simulated)
        self.act_reg_fail.setEnabled(s is not None and s.simulated)
        self.act_ack_all.setEnabled(s is not None)

    # -- training events ---------------------------------------------------------------------------------------------
    def leak_at(self, feature_id: str, fraction: float = 0.5) -> None:
        if self.session is None:
            return
        try:
            self.session.inject_leak(feature_id, fraction=fraction)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage(f"Training: a leak at {feature_id} from now on (simulated)", 8000)

    def failure_at(self, regulator_id: str) -> None:
        if self.session is None:
            return
        try:
            self.session.inject_regulator_failure(regulator_id)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage(f"Training: regulator {regulator_id} stops regulating (simulated)", 8000)

    def leak_at_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None:
            self._fail("Select a pipe or node first (Identify, I)")
            return
        self.leak_at(hit.feature_id)

    def failure_at_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None or hit.layer != "regulators":
            self._fail("Select a regulator first (Identify, I)")
            return
        self.failure_at(hit.feature_id)

    def _add_context_actions(self, menu: QMenu, hit, x: float, y: float) -> None:
        s = self.session
        if hit is None or s is None:
            return
        sensors = self._sensors_of(hit)
        if sensors:
            act = menu.addAction(f"Trend of {', '.join(sensors[:3])}" + ("…" if len(sensors) > 3 else ""))
            act.triggered.connect(lambda *_: self.trend_sensors(sensors))
        if s.simulated and hit.layer != "sensors":
            if hit.layer == "regulators":
                act = menu.addAction(f"Training: regulator {hit.feature_id} fails (仿真演练)")
                act.triggered.connect(lambda *_, f=hit.feature_id: self.failure_at(f))
            elif hit.layer not in ("customers",):
                act = menu.addAction(f"Training: simulate a leak at {hit.feature_id} (仿真演练)")
                act.triggered.connect(lambda *_, f=hit.feature_id: self.leak_at(f))

    # -- refresh -----------------------------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Map colours and (at most every half second) the alarm list, when the service's state moved."""
        s = self.session
        if s is None:
            return
        version = s.service.version
        if version == self._seen_version and not force:
            return
        snap = s.service.snapshot()
        if len(snap.status) != len(s.sensors.xy):
            self._bind_overlay()
        self.overlay.update(snap.status, snap.unacknowledged)
        now = time.monotonic()
        if force or now - self._list_t >= LIST_MIN_INTERVAL_S:
            self._list_t = now
            records = s.service.alarm_list()
            self.alarm_dock.set_records(
                records, flooding=s.service.flooding, rate_10min=s.service.alarms_in_last_10_min
            )
            unack = [r for r in records if r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN)]
            active = [r for r in records if r.active and r.state != AlarmState.SHELVED]
            worst = min((int(r.priority) for r in unack or active), default=4)
            self.badge.set_counts(len(unack), len(active), worst)
            self._seen_version = version
        self.refreshed.emit()

    def _on_blink(self) -> None:
        self.overlay.blink()
        self.badge.flash()

    def _update_status(self) -> None:
        s = self.session
        if s is None or s.feed is None:
            self.indicator.show_status(None, None, 0.0, len(s.sensors) if s else 0)
            return
        status = s.feed.status()
        now = time.monotonic()
        if self._last_accepted is not None:
            t0, n0 = self._last_accepted
            if now > t0:
                self._rate = max(status.accepted - n0, 0) / (now - t0)
        self._last_accepted = (now, status.accepted)
        self.indicator.show_status(s.kind, status, self._rate, len(s.sensors))
        if s.service.last_error:
            self.indicator.setToolTip(self.indicator.toolTip() + f"\nlast ingest error: {s.service.last_error}")

    def _on_view_change(self) -> None:
        self.overlay.set_view(self.canvas.metres_per_pixel(), self.canvas.layer_visible("sensors"))

    # -- operator actions --------------------------------------------------------------------------------------------
    def _each(self, keys: list[tuple[str, str]], fn, **kwargs) -> int:
        if self.session is None:
            return 0
        done = 0
        for sensor_id, condition in keys:
            try:
                done += len(fn(sensor_id, Condition(condition), user=self._user, **kwargs))
            except TelemetryError as exc:
                self._fail(_error_line(exc))
                break
        self.refresh(force=True)
        return done

    def acknowledge(self, keys: list[tuple[str, str]]) -> int:
        return self._each(keys, self.session.service.acknowledge) if self.session else 0

    def acknowledge_all(self) -> None:
        if self.session is not None:
            self.session.service.acknowledge_all(user=self._user)
            self.refresh(force=True)

    def shelve(self, keys: list[tuple[str, str]], duration_s: float, reason: str) -> int:
        if self.session is None:
            return 0
        return self._each(keys, self.session.service.shelve, duration_s=duration_s, comment=reason)

    def unshelve(self, keys: list[tuple[str, str]]) -> int:
        return self._each(keys, self.session.service.unshelve) if self.session else 0

    def comment(self, keys: list[tuple[str, str]], text: str) -> int:
        if self.session is None:
            return 0
        service = self.session.service
        return self._each(keys, lambda sid, c, user: service.comment(sid, c, text, user=user))

    def show_alarms(self) -> None:
        self.alarm_dock.show()
        self.alarm_dock.raise_()
        self.alarm_dock.table.setFocus()

    def show_trends(self) -> None:
        self.trend_dock.show()
        self.trend_dock.raise_()

    # -- trends ------------------------------------------------------------------------------------------------------
    def _sensors_of(self, hit) -> list[str]:
        s = self.session
        if s is None or hit is None:
            return []
        if hit.layer == "sensors":
            return [hit.feature_id]
        return [str(x) for x in s.sensors.ids[s.sensors.feature_id == hit.feature_id]]

    def trend_sensors(self, sensor_ids: list[str]) -> None:
        s = self.session
        if s is None or not sensor_ids:
            return
        labels = {sid: _label(s.sensors, s.sensors.row(sid)) for sid in sensor_ids if s.sensors.row(sid) >= 0}
        self.trend_dock.set_sensors(list(labels), labels)
        self.show_trends()
        self.refresh_trends(force=True)

    def _on_feature_identified(self, hit) -> None:
        sensors = self._sensors_of(hit)
        if sensors:
            self.trend_sensors(sensors)

    def refresh_trends(self, force: bool = False) -> None:
        s = self.session
        ids = self.trend_dock.sensors()
        if s is None or s.service.store is None:
            return
        if not ids:
            self.trend_dock.show_series([])
            return
        if not self.trend_dock.isVisible() and not force:
            return
        if self._trend_job is not None:
            if not force:
                return  # the last query is still running: skip a beat rather than queue up
            self._trend_job.cancel()
        job = start_job(self.window.runner, fetch_trends, s, ids, self.trend_dock.window_s())
        job.finished.connect(lambda out, job=job, s=s: self._on_trends(job, s, out))
        job.errored.connect(lambda exc, job=job: self._on_trend_error(job, exc))
        self._trend_job = job

    def _on_trends(self, job: JobWorker, session: LiveSession, out) -> None:
        if job is not self._trend_job:
            return
        self._trend_job = None
        if session is not self.session:
            return
        series, now = out
        wanted = self.trend_dock.sensors()
        series = [x for x in series if x.sensor_id in wanted]
        self.trend_dock.show_series(series, now)
        self.trendsShown.emit()

    def _on_trend_error(self, job: JobWorker, exc: BaseException) -> None:
        if job is self._trend_job:
            self._trend_job = None
            self._fail(_error_line(exc))

    # -- hover -------------------------------------------------------------------------------------------------------
    def _on_cursor_move(self, x: float, y: float) -> None:
        if self.session is not None:
            self._hover_xy = (x, y)
            self._hover.start()

    def _show_hover(self) -> None:
        text = self.hover_text(*self._hover_xy) if self._hover_xy and self.session else None
        if text:
            QToolTip.showText(QCursor.pos(), text, self.canvas.viewport())

    def hover_text(self, x: float, y: float) -> str | None:
        """What a sensor marker under (x, y) says: id, name, last reading, state, age."""
        s = self.session
        row = self.overlay.nearest(x, y)
        if s is None or row < 0:
            return None
        snap = s.service.snapshot()
        sensors = s.sensors
        value, t = snap.last_value[row], snap.last_t[row]
        status = SensorStatus(int(snap.status[row]))
        reading = f"{value:,.4g} {sensors.unit[row]}" if np.isfinite(value) else "no reading yet"
        age = f" · {max(s.service.clock() - t, 0):,.0f} s ago ({iso_utc(t)})" if np.isfinite(t) else ""
        unack = " · UNACKNOWLEDGED" if snap.unacknowledged[row] else ""
        return f"<b>{_label(sensors, row)}</b><br>{reading}{age}<br>{STATE_LABELS[status]}{unack}"

    # -- for other features -----------------------------------------------------------------------------------------
    def live_pressures(self, network_version: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """(topology node index, gauge Pa) of every pressure sensor's latest reading that is not stale, for the
        network version the session follows (None without a session, or when ``network_version`` differs)."""
        s = self.session
        if s is None or (network_version is not None and network_version != self._session_version):
            return None
        snap = s.service.snapshot()
        sensors = s.sensors
        factor = np.array([_PA_PER_UNIT.get(str(u), np.nan) for u in sensors.unit])
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
        """Grows whenever the live state changes (-1 without a session)."""
        return self.session.service.version if self.session is not None else -1

    # -- misc --------------------------------------------------------------------------------------------------------
    def _show(self, dlg) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        dlg.open()

    def _fail(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)
        self.failed.emit(text)

    def _on_theme_change(self) -> None:
        theme = self.window.theme.name
        self.overlay.set_theme(theme)
        self.alarm_dock.model.set_theme(theme)
        self.trend_dock.set_theme(theme)


def _bool(value) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, GasOpsError):
        return str(exc)
    log.error("unexpected error in the live view", exc_info=exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}"
