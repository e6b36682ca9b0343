"""The live-view controller: feeds, the sensor colours on the map, the alarm list, trends, indicators.

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

import logging
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QMenu, QToolTip

from console.app.live import LiveSession, MqttSettings, startup_feed
from console.errors import GasOpsError
from console.network import GasNetwork
from console.telemetry import AlarmState, SensorStatus, iso_utc
from console.ui.actions import ActionSpec
from console.ui.docks import features_at
from console.ui.i18n import translate
from console.ui.telemetry._alarm_dock import AlarmDock
from console.ui.telemetry._live_values import IdentifyLiveValues
from console.ui.telemetry._overlay import STATE_LABELS, SensorStateOverlay
from console.ui.telemetry._trend_dock import TrendDock
from console.ui.telemetry._widgets import AlarmBadge, FeedIndicator, MqttDialog, ReplayDialog

__all__ = ["TelemetryController"]

log = logging.getLogger(__name__)
REFRESH_MS = 250
LIST_MIN_INTERVAL_S = 0.5
HORN_INTERVAL_S = 2.0  # the horn repeats while a new urgent alarm waits
BLINK_MS = 500
STATUS_MS = 1000
TREND_MS = 1000
HOVER_MS = 300
SIM_SEED = 2026
OPEN_CHANNEL = "live.open"
TRENDS_CHANNEL = "live.trends"


class TelemetryController(QObject):
    """Wires the live session of the shown network to the map, the docks and the indicators of one main window.

    The workflow itself (feeds, alarm actions under the operator's name, trends, live pressures for other features,
    which feed starts by itself) is the :class:`LiveSession`'s; this controller forwards input to it and draws it.

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
        self.prefs = window.prefs
        self.jobs = window.jobs
        self._session: LiveSession | None = None
        self._network: GasNetwork | None = None
        self._session_version = -1
        self._opening: GasNetwork | None = None  # the network a session is being opened for
        self._seen_version = -1
        self._list_t = 0.0
        self._last_accepted: tuple[float, int] | None = None
        self._rate = 0.0
        self.dialog = None
        self.overlay = SensorStateOverlay(self.canvas)

        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.alarm_dock = window.add_dock(AlarmDock(window), bottom)
        self.trend_dock = window.add_dock(TrendDock(window), bottom)
        window.splitDockWidget(self.alarm_dock, self.trend_dock, Qt.Orientation.Horizontal)
        window.resizeDocks([self.alarm_dock], [230], Qt.Orientation.Vertical)
        QTimer.singleShot(0, self._fit_docks)  # once the window has its size
        self._declare_actions()
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
        self._horn_t = -HORN_INTERVAL_S
        self.horn_count = 0  # beeps sounded (read by tests)
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
        self.live_values = IdentifyLiveValues(self)  # the identify panel's live readings

    @property
    def session(self) -> LiveSession | None:
        """The live session of the shown network (None until one is open): what other features read live data from
        (``session.live_pressures(version)``, ``session.live_version``)."""
        return self._session

    # -- building ----------------------------------------------------------------------------------------------------
    def _fit_docks(self) -> None:
        """On a first start, the alarm list as wide as its filter and button rows (the trends take the rest, down to
        their own rows); a layout the user saved is left as it was."""
        if self.window.saved_state() is None:
            self.window.fit_dock(self.alarm_dock, share=0.6, beside=self.trend_dock)

    def _declare_actions(self) -> None:
        w = self.window
        has_sensors = lambda: w.network is not None and len(w.network["sensors"]) > 0  # noqa: E731
        has_session = lambda: self._session is not None  # noqa: E731
        simulated = lambda: self._session is not None and self._session.simulated  # noqa: E731
        specs = (
            ActionSpec("live.simulator", QT_TRANSLATE_NOOP("Actions", "Start &simulator (training)"), self.start_simulator,
                       tip=QT_TRANSLATE_NOOP("Actions", "Made-up readings for every sensor: demo, training and drills — not field data"),
                       menu="Live", section="feeds", enabled=has_sensors, permission="feed.control"),
            ActionSpec("live.mqtt", QT_TRANSLATE_NOOP("Actions", "Connect to &MQTT broker…"), self.request_mqtt,
                       tip=QT_TRANSLATE_NOOP("Actions", "Live readings from SCADA/IoT via MQTT"), menu="Live", section="feeds", enabled=has_sensors,
                       permission="feed.control"),
            ActionSpec("live.replay", QT_TRANSLATE_NOOP("Actions", "&Replay a recording…"), self.request_replay,
                       tip=QT_TRANSLATE_NOOP("Actions", "Replay a .csv/.parquet recording at 1–100x"), menu="Live", section="feeds",
                       enabled=has_session, permission="feed.control"),
            ActionSpec("live.stop", QT_TRANSLATE_NOOP("Actions", "S&top the feed"), self.stop_feed,
                       tip=QT_TRANSLATE_NOOP("Actions", "Stop receiving readings (alarm states are kept)"), menu="Live", section="feeds",
                       enabled=lambda: self._session is not None and self._session.feed is not None,
                       permission="feed.control"),
            ActionSpec("live.leak", QT_TRANSLATE_NOOP("Actions", "Simulate a &leak at the selection"), self.leak_at_selection,
                       tip=QT_TRANSLATE_NOOP("Actions", "Training: gas escapes at the selected pipe or node from now on (simulator only)"),
                       menu="Live", section="training", enabled=simulated, permission="feed.control"),
            ActionSpec("live.regulator_failure", QT_TRANSLATE_NOOP("Actions", "Simulate a regulator &failure at the selection"),
                       self.failure_at_selection,
                       tip=QT_TRANSLATE_NOOP("Actions", "Training: the selected regulator stops regulating (simulator only)"), menu="Live",
                       section="training", enabled=simulated, permission="feed.control"),
            ActionSpec("live.acknowledge_all", QT_TRANSLATE_NOOP("Actions", "&Acknowledge all alarms"), self.acknowledge_all,
                       "Ctrl+Shift+A", QT_TRANSLATE_NOOP("Actions", "Acknowledge every alarm"), menu="Live", section="alarms", enabled=has_session,
                       permission="alarm.acknowledge"),
            ActionSpec("live.silence", QT_TRANSLATE_NOOP("Actions", "&Silence the horn"), self.silence, "F8",
                       QT_TRANSLATE_NOOP("Actions", "Mute the horn of new urgent alarms without acknowledging them"), menu="Live",
                       section="alarms", enabled=lambda: self._session is not None and self._session.audible),
            ActionSpec("live.alarms", QT_TRANSLATE_NOOP("Actions", "Alarm &list"), self.show_alarms, "F9",
                       QT_TRANSLATE_NOOP("Actions", "Show the alarm list"), menu="Live",
                       section="alarms"),
            ActionSpec("live.trends", QT_TRANSLATE_NOOP("Actions", "&Trends"), self.show_trends, "F10",
                       QT_TRANSLATE_NOOP("Actions", "Show the trend plots"), menu="Live",
                       section="alarms"),
        )  # fmt: skip
        declared = [w.actions.declare(spec) for spec in specs]
        (self.act_simulate, self.act_mqtt, self.act_replay, self.act_stop, self.act_leak, self.act_reg_fail,
         self.act_ack_all, self.act_silence, self.act_alarms, self.act_trends) = declared  # fmt: skip
        self.menu: QMenu = w.menu_for("Live")

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
        if self._session is not None and self._network is network:
            if self._session_version != network.version:  # an edit: follow it, keep alarm states
                self._session.set_network(network.snapshot())
                self._session_version = network.version
                self._bind_overlay()
            return
        if self.jobs.busy(OPEN_CHANNEL) and self._opening is network:
            return  # told twice about the same network (features installed after it was shown): already opening
        self.close_session()
        if not len(network["sensors"]):
            self.indicator.show_status(None, None, 0.0, 0)
            self.indicator.setToolTip(translate("LiveView", "{network} has no sensors").format(network=network.name))
            self.alarm_dock.set_empty_text(translate("LiveView", "No sensors in this network"))
            return
        start = startup_feed(network, self.window.network_path, self.prefs)
        if start is not None:
            self.open(start=None if start == "history" else start)
        self._update_actions()

    def open(self, start: str | None = None, *, baseline_demand: float = 1.0, mqtt: MqttSettings | None = None):
        """Open the live session of the shown network in the background, then start ``start`` (a feed kind; for
        ``"mqtt"``, the broker ``mqtt`` or the one last connected to)."""
        network = self.window.network
        if network is None:
            self._fail(translate("LiveView", "Open a network first (File › Open)"))
            return None
        self.jobs.cancel(OPEN_CHANNEL)  # (not superseded: a cancelled open closes the session it made, see below)
        demand = baseline_demand if start == "simulator" else None
        submitted: list = []
        handle = self.jobs.submit(
            OPEN_CHANNEL,
            LiveSession.open,
            network.snapshot(),
            self.window.network_path,
            baseline_demand=demand,
            authority=getattr(self.window, "operators", None),
            on_done=lambda session: self._on_session_opened(network, session, start, mqtt),
            on_error=lambda exc: self._fail(_error_line(exc)),
            on_cancel=lambda: _close_unclaimed(submitted),
        )
        submitted.append(handle)
        self._opening = network
        self.window.statusBar().showMessage(
            translate("LiveView", "Opening the live view of {network}…").format(network=network.name)
        )
        return handle

    def _on_session_opened(
        self, network: GasNetwork, session: LiveSession, start: str | None, mqtt: MqttSettings | None
    ) -> None:
        self._opening = None
        if network is not self.window.network:
            session.close()  # another network is shown meanwhile
            return
        self.close_session()
        self._session = session
        self._network = network  # the live network (the session works on a snapshot of it)
        self._session_version = session.network.version
        if self._session_version != network.version:  # edited while the session opened: follow the edit
            session.set_network(network.snapshot())
            self._session_version = network.version
        session.feed_changed.connect(self._on_feed_change)  # emitted by our own calls, on this thread
        self._show_empty_text()
        self._bind_overlay()
        if session.history_error:
            self._fail(translate("LiveView", "No trends: {error}").format(error=session.history_error))
        for timer in (self._refresh, self._blink, self._status, self._trend_timer):
            timer.start()
        if start == "simulator":
            self.start_simulator()
        elif start == "mqtt":
            self.connect_mqtt(mqtt or MqttSettings.load(self.prefs))
        self.refresh(force=True)
        self._update_status()
        self._update_actions()
        self.sessionOpened.emit(session)

    def _bind_overlay(self) -> None:
        s = self._session
        self.overlay.set_sensors(s.sensors.xy if s is not None else np.empty((0, 2)))
        self.overlay.set_theme(self.window.theme.name)
        self.alarm_dock.model.set_sensor_info(*(
            (s.sensors.name, s.sensors.unit) if s is not None else (np.empty(0, object), np.empty(0, object))))  # fmt: skip
        self._seen_version = -1
        self._on_view_change()

    def close_session(self) -> None:
        self.jobs.cancel(OPEN_CHANNEL)
        self.jobs.cancel(TRENDS_CHANNEL)
        self._opening = None
        for timer in (self._refresh, self._blink, self._status, self._trend_timer):
            timer.stop()
        session, self._session, self._network = self._session, None, None
        if session is not None:
            session.feed_changed.disconnect(self._on_feed_change)
            session.close()
        self.overlay.clear()
        self.alarm_dock.set_records([])
        self._show_empty_text()
        self.badge.set_counts(0, 0, 4)
        self.indicator.show_status(None, None, 0.0, 0)
        self._update_actions()

    def shutdown(self) -> None:
        """The window closes: stop the feed and the worker, flush the history."""
        self._hover.stop()
        self.close_session()

    # -- feeds -------------------------------------------------------------------------------------------------------
    def start_simulator(self) -> None:
        session = self._session
        if session is None:
            self.open(start="simulator")
            return
        try:
            session.start_simulator(seed=SIM_SEED, speed=1.0)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage(
            translate("LiveView", "Simulator started: made-up readings for training and demos"), 6000
        )

    def request_mqtt(self) -> None:
        dlg = MqttDialog(MqttSettings.load(self.prefs), self.window)
        dlg.accepted.connect(lambda: self.connect_mqtt(dlg.settings()))
        self._show(dlg)

    def connect_mqtt(self, settings: MqttSettings) -> None:
        session = self._session
        if session is None:
            self.open(start="mqtt", mqtt=settings)
            return
        try:
            session.connect_mqtt(settings)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        settings.save(self.prefs)
        self.prefs.set("telemetry/mqtt/autoconnect", True)
        self.window.statusBar().showMessage(
            translate("LiveView", "Connecting to {address}…").format(address=f"{settings.host}:{settings.port}"), 6000
        )

    def request_replay(self) -> None:
        dlg = ReplayDialog(self.prefs.get("telemetry/replay_dir"), self.window)
        dlg.accepted.connect(lambda: self.replay(dlg.path.text().strip(), dlg.speed.value()))
        self._show(dlg)

    def replay(self, path: str, speed: float) -> None:
        if not path:
            self._fail(translate("LiveView", "Choose a recording to replay"))
            return
        session = self._session
        if session is None:
            self._fail(translate("LiveView", "Open a network with sensors first"))
            return
        try:
            session.replay(path, speed)
        except (GasOpsError, OSError, ValueError) as exc:
            self._fail(_error_line(exc))
            return
        self.prefs.set("telemetry/replay_dir", str(Path(path).parent))

    def stop_feed(self) -> None:
        if self._session is not None:
            self._session.stop_feed()
        self.prefs.set("telemetry/mqtt/autoconnect", False)

    def _on_feed_change(self, _feed) -> None:
        self._show_empty_text()
        self._last_accepted = None
        self._rate = 0.0
        self._update_status()
        self._update_actions()

    def _show_empty_text(self) -> None:
        s = self._session
        if s is None:
            self.alarm_dock.set_empty_text(translate("LiveView", "No live view — no readings"))
        elif s.feed is None:
            self.alarm_dock.set_empty_text(translate("LiveView", "No alarms · no feed connected"))
        else:
            self.alarm_dock.set_empty_text(None)

    def _update_actions(self) -> None:
        self.window.actions.refresh()

    # -- training events ---------------------------------------------------------------------------------------------
    def leak_at(self, feature_id: str, fraction: float = 0.5) -> None:
        if self._session is None:
            return
        try:
            self._session.inject_leak(feature_id, fraction=fraction)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage(
            translate("LiveView", "Training: a leak at {feature} from now on (simulated)").format(feature=feature_id),
            8000,
        )

    def failure_at(self, regulator_id: str) -> None:
        if self._session is None:
            return
        try:
            self._session.inject_regulator_failure(regulator_id)
        except GasOpsError as exc:
            self._fail(_error_line(exc))
            return
        self.window.statusBar().showMessage(
            translate("LiveView", "Training: regulator {regulator} stops regulating (simulated)").format(
                regulator=regulator_id
            ),
            8000,
        )

    def leak_at_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None:
            self._fail(translate("LiveView", "Select a pipe or node first (Identify, I)"))
            return
        self.leak_at(hit.feature_id)

    def failure_at_selection(self) -> None:
        hit = self.canvas.selected
        if hit is None or hit.layer != "regulators":
            self._fail(translate("LiveView", "Select a regulator first (Identify, I)"))
            return
        self.failure_at(hit.feature_id)

    def _add_context_actions(self, menu: QMenu, hit, x: float, y: float) -> None:
        s = self._session
        if hit is None or s is None:
            return
        sensors = self._sensors_of(hit)
        if sensors:
            names = ", ".join(sensors[:3]) + ("…" if len(sensors) > 3 else "")
            act = menu.addAction(translate("LiveView", "Trend of {sensors}").format(sensors=names))
            act.triggered.connect(lambda *_: self.trend_sensors(sensors))
        if s.simulated and hit.layer != "sensors":
            if hit.layer == "regulators":
                act = menu.addAction(
                    translate("LiveView", "Training: regulator {regulator} fails (drill)").format(
                        regulator=hit.feature_id
                    )
                )
                act.triggered.connect(lambda *_, f=hit.feature_id: self.failure_at(f))
            elif hit.layer not in ("customers",):
                act = menu.addAction(
                    translate("LiveView", "Training: simulate a leak at {feature} (drill)").format(
                        feature=hit.feature_id
                    )
                )
                act.triggered.connect(lambda *_, f=hit.feature_id: self.leak_at(f))

    # -- refresh -----------------------------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Map colours and (at most every half second) the alarm list, when the service's state moved."""
        s = self._session
        if s is None:
            return
        version = s.live_version
        if version == self._seen_version and not force:
            return
        snap = s.service.snapshot()
        if len(snap.status) != len(s.sensors.xy):
            self._bind_overlay()
        self.overlay.update(snap.status, snap.unacknowledged)
        self.alarm_dock.model.set_live_values(snap.last_value)  # alarm rows show the latest reading
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
        self._sound_horn()

    def _sound_horn(self) -> None:
        """ISA-18.2 audible annunciation: beep while a new urgent alarm is neither acknowledged nor silenced (at most
        every HORN_INTERVAL_S), and keep the Silence action's state in step."""
        audible = self._session is not None and self._session.audible
        self.act_silence.setEnabled(audible)
        now = time.monotonic()
        if audible and now - self._horn_t >= HORN_INTERVAL_S:
            self._horn_t = now
            self.horn_count += 1
            QApplication.beep()

    def silence(self) -> int:
        """Mute the horn (any operator on the desk may; the alarms stay unacknowledged)."""
        if self._session is None:
            return 0
        muted = self._session.silence()
        self.act_silence.setEnabled(False)
        if muted:
            self.window.statusBar().showMessage(
                translate("LiveView", "Horn silenced ({count} alarm(s) still to acknowledge)").format(count=muted), 8000
            )
        return muted

    def _update_status(self) -> None:
        s = self._session
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
            error = translate("LiveView", "last ingest error: {error}").format(error=s.service.last_error)
            self.indicator.setToolTip(self.indicator.toolTip() + "\n" + error)

    def _on_view_change(self) -> None:
        self.overlay.set_view(self.canvas.metres_per_pixel(), self.canvas.layer_visible("sensors"))

    # -- operator actions --------------------------------------------------------------------------------------------
    def _act(self, action: str, *args) -> int:
        """Run one of the session's alarm actions (recorded under its operator); a refused one is shown, not raised."""
        if self._session is None:
            return 0
        try:
            done = getattr(self._session, action)(*args)
        except GasOpsError as exc:  # refused by the alarm service, or by the operator's roles
            self._fail(_error_line(exc))
            done = 0
        self.refresh(force=True)
        return done

    def acknowledge(self, keys: list[tuple[str, str]]) -> int:
        return self._act("acknowledge", keys)

    def acknowledge_all(self) -> None:
        self._act("acknowledge_all")

    def shelve(self, keys: list[tuple[str, str]], duration_s: float, reason: str) -> int:
        return self._act("shelve", keys, duration_s, reason)

    def unshelve(self, keys: list[tuple[str, str]]) -> int:
        return self._act("unshelve", keys)

    def comment(self, keys: list[tuple[str, str]], text: str) -> int:
        return self._act("comment", keys, text)

    def show_alarms(self) -> None:
        self.alarm_dock.show()
        self.alarm_dock.raise_()
        self.alarm_dock.table.setFocus()

    def show_trends(self) -> None:
        self.trend_dock.show()
        self.trend_dock.raise_()

    # -- trends ------------------------------------------------------------------------------------------------------
    def _sensors_of(self, hit) -> list[str]:
        s = self._session
        if s is None or hit is None:
            return []
        if hit.layer == "sensors":
            return [hit.feature_id]
        return [str(x) for x in s.sensors.ids[s.sensors.feature_id == hit.feature_id]]

    def trend_sensors(self, sensor_ids: list[str]) -> None:
        s = self._session
        if s is None or not sensor_ids:
            return
        labels = {sid: s.label(sid) for sid in sensor_ids if s.sensors.row(sid) >= 0}
        self.trend_dock.set_sensors(list(labels), labels)
        self.show_trends()
        self.refresh_trends(force=True)

    def _on_feature_identified(self, hit) -> None:
        sensors = self._sensors_of(hit)
        if sensors:
            self.trend_sensors(sensors)

    def refresh_trends(self, force: bool = False) -> None:
        s = self._session
        ids = self.trend_dock.sensors()
        if s is None or s.service.store is None:
            return
        if not ids:
            self.trend_dock.show_series([])
            return
        if not self.trend_dock.isVisible() and not force:
            return
        if self.jobs.busy(TRENDS_CHANNEL) and not force:
            return  # the last query is still running: skip a beat rather than queue up (force supersedes it)
        self.jobs.submit(
            TRENDS_CHANNEL,
            s.trends,
            ids,
            self.trend_dock.window_s(),
            on_done=lambda out, s=s: self._on_trends(s, out),
            on_error=lambda exc: self._fail(_error_line(exc)),
        )

    def _on_trends(self, session: LiveSession, out) -> None:
        if session is not self._session:
            return
        series, now = out
        wanted = self.trend_dock.sensors()
        series = [x for x in series if x.sensor_id in wanted]
        self.trend_dock.show_series(series, now)
        self.trendsShown.emit()

    # -- hover -------------------------------------------------------------------------------------------------------
    def _on_cursor_move(self, x: float, y: float) -> None:
        if self._session is not None:
            self._hover_xy = (x, y)
            self._hover.start()

    def _show_hover(self) -> None:
        text = self.hover_text(*self._hover_xy) if self._hover_xy and self._session else None
        if text:
            QToolTip.showText(QCursor.pos(), text, self.canvas.viewport())

    def hover_rows(self, x: float, y: float) -> list[int]:
        """Sensor rows hover shows at (x, y): those of the features identify finds there (its pick first, then the
        co-located ones), else the drawn sensor marker nearest — so hover and identify never disagree."""
        s = self._session
        if s is None:
            return []
        rows: list[int] = []
        for hit in features_at(self.canvas, x, y):
            rows += [s.sensors.row(sid) for sid in self._sensors_of(hit)]
        rows = [r for r in dict.fromkeys(rows) if r >= 0]
        if not rows and (row := self.overlay.nearest(x, y)) >= 0:
            rows = [row]
        return rows

    def hover_text(self, x: float, y: float) -> str | None:
        """What the sensors under (x, y) say: id, name, last reading, state, age (identify's sensor first)."""
        s = self._session
        rows = self.hover_rows(x, y) if s is not None else []
        if not rows:
            return None
        snap = s.service.snapshot()
        sensors = s.sensors
        lines = []
        for row in rows[:6]:
            value, t = snap.last_value[row], snap.last_t[row]
            status = SensorStatus(int(snap.status[row]))
            reading = (
                f"{value:,.4g} {sensors.unit[row]}" if np.isfinite(value) else translate("LiveView", "no reading yet")
            )
            age = ""
            if np.isfinite(t):
                age = " · " + translate("LiveView", "{seconds} s ago ({time})").format(
                    seconds=f"{max(s.service.clock() - t, 0):,.0f}", time=iso_utc(t)
                )
            unack = " · " + translate("LiveView", "UNACKNOWLEDGED") if snap.unacknowledged[row] else ""
            state = translate("SensorState", STATE_LABELS[status])
            lines.append(f"<b>{s.label(str(sensors.ids[row]))}</b><br>{reading}{age}<br>{state}{unack}")
        return "<br><br>".join(lines)

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


def _close_unclaimed(submitted: list) -> None:
    """A cancelled open that still made its session: close it (its ingest worker and history database)."""
    future = submitted[0].future if submitted else None
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        future.result().close()


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, GasOpsError):
        return str(exc)
    log.error("unexpected error in the live view", exc_info=exc)
    return translate("LiveView", "Unexpected error ({kind}): {error}").format(kind=type(exc).__name__, error=exc)
