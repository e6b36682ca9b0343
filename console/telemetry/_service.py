"""The telemetry service: feeds → validation → alarm engine → history, with signals for views.

One :class:`TelemetryService` per open network. Feeds hand batches to :meth:`TelemetryService.submit` from their own
threads (a bounded queue: a feed that outruns ingestion waits, which for MQTT holds back PUBACKs and lets the broker
queue). The ingest worker (:meth:`start`) drains the queue, coalescing waiting batches into one vectorised
evaluation, and emits:

* ``readings_arrived(batch)`` — the accepted :class:`ReadingBatch` (rows of the sensors layer);
* ``alarm_changed(event)`` — each :class:`AlarmEvent`, in time order;
* ``feed_state_changed(status)`` — a feed's :class:`FeedStatus` when its state changes.

Signals are emitted from the worker thread (feed states from the feed's thread) and never while the service's lock
is held; a Qt view must hand them to its own thread (a queued connection, or psygnal's ``connect(thread=…)``) and
read state through :meth:`snapshot`, which copies the per-sensor arrays under the lock in microseconds. Tests and
the command line call :meth:`ingest` and :meth:`tick` directly, without threads.

Operator actions (acknowledge, shelve, unshelve, comment) are stamped with the service clock: the first attached
feed's clock (data time for simulations and replays, wall time for MQTT) or the wall clock.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from console.network import GasNetwork
from console.telemetry._alarms import AlarmEngine
from console.telemetry._feed import Feed
from console.telemetry._flood import FloodSummary, flood_summary
from console.telemetry._history import History, HistoryStore
from console.telemetry._limits import AlarmLimits
from console.telemetry._sensors import SensorTable
from console.telemetry._types import (
    AlarmActionError,
    AlarmEvent,
    AlarmEventKind,
    AlarmRecord,
    Condition,
    DropReason,
    FeedStatus,
    HistoryError,
    Priority,
    ReadingBatch,
)
from console.telemetry._validate import ReadingValidator

__all__ = ["FLOOD_BEGIN", "FLOOD_END", "IngestResult", "SensorSnapshot", "TelemetryService"]

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 1000  # operator comments and shelving reasons (stored with every alarm event)
MAX_USER_CHARS = 120
FLOOD_WINDOW_S = 600.0
FLOOD_BEGIN = 10  # ISA-18.2 / EEMUA 191: more than 10 alarms in 10 minutes is a flood …
FLOOD_END = 5  # … which ends when the rate falls below 5 per 10 minutes


@dataclass(frozen=True, eq=False)
class SensorSnapshot:
    """Per-sensor state, aligned with the rows of the network's sensors layer (copies: safe to keep).

    ``status`` holds :class:`SensorStatus` codes (colour the map by it), ``unacknowledged`` marks sensors with an
    unacknowledged alarm, ``alarm_states`` the (sensors × conditions) :class:`AlarmState` codes; ``version`` grows with
    every change, so a view can skip repainting when it has not moved.
    """

    version: int
    status: np.ndarray
    unacknowledged: np.ndarray
    last_t: np.ndarray
    last_value: np.ndarray
    alarm_states: np.ndarray


@dataclass(frozen=True)
class IngestResult:
    """What one :meth:`TelemetryService.ingest` did: readings accepted (live and backfilled), drops by reason,
    alarm events; ``backfilled`` of the accepted went to the history only."""

    accepted: int
    dropped: Mapping[str, int]
    events: tuple[AlarmEvent, ...]
    backfilled: int = 0


class TelemetryService:
    """Live sensor state, alarms and history of one network.

    Parameters
    ----------
    network
        The network whose ``sensors`` layer the readings refer to.
    limits
        Alarm limits (default: :meth:`AlarmLimits.defaults`).
    store
        Where readings and alarm events are kept (None: nothing is stored and history queries fail).
    restore
        Take over the alarm states of the store's earlier sessions.
    queue_batches
        Capacity of the ingest queue, in batches.
    flood_suppress
        During an alarm flood (more than :data:`FLOOD_BEGIN` activations in ten minutes, until fewer than
        :data:`FLOOD_END`), alarms of this priority and less urgent are suppressed (ISA-18.2 flood suppression);
        None (the default here; :class:`~console.app.live.LiveSession` turns it on) only reports the flood.
    """

    readings_arrived = Signal(object)
    alarm_changed = Signal(object)
    feed_state_changed = Signal(object)

    def __init__(
        self,
        network: GasNetwork,
        *,
        limits: AlarmLimits | None = None,
        store: HistoryStore | None = None,
        restore: bool = True,
        queue_batches: int = 1024,
        max_coalesce: int = 500_000,
        flood_suppress: Priority | int | None = None,
    ) -> None:
        self.network_name = network.name
        self.sensors = SensorTable.from_network(network)
        self.limits = limits if limits is not None else AlarmLimits.defaults(self.sensors)
        self.engine = AlarmEngine(self.sensors, self.limits)
        self.validator = ReadingValidator(self.limits.range_min, self.limits.range_max)
        self.store = store
        self._lock = threading.RLock()
        self._queue: queue.Queue[ReadingBatch] = queue.Queue(maxsize=queue_batches)
        self._max_coalesce = max_coalesce
        self._feeds: list[Feed] = []
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._activations: deque[float] = deque()
        self.flood_suppress = None if flood_suppress is None else Priority(flood_suppress)
        self._flooding = False
        self._version = 0
        self._watermark = -np.inf  # newest live reading time (data time reached)
        self._heard_at = -np.inf  # the feed clock when live readings last came
        self.last_error = ""
        if store is not None:
            store.bind_sensors(self.sensors)
            newest = store.newest_times()
            if newest:
                rows = self.sensors.rows_of(list(newest))
                known = rows >= 0
                self.validator.newest_t[rows[known]] = np.array(list(newest.values()))[known]
            if restore:
                self.engine.restore(store.alarm_states())

    # -- feeds ------------------------------------------------------------------------------------------------------
    @property
    def feeds(self) -> list[Feed]:
        return list(self._feeds)

    def attach(self, feed: Feed) -> None:
        """Follow a feed's state (re-emitted as ``feed_state_changed``); its clock becomes the service clock if first."""
        if feed not in self._feeds:
            feed.state_changed.connect(self._on_feed_state_change)
            self._feeds.append(feed)

    def detach(self, feed: Feed) -> None:
        """Stop following a feed (stop it first); the next attached feed's clock becomes the service clock."""
        if feed in self._feeds:
            feed.state_changed.disconnect(self._on_feed_state_change)
            self._feeds.remove(feed)

    def start_feed(self, feed: Feed) -> None:
        """Attach a feed and start it, handing its batches to :meth:`submit`."""
        self.attach(feed)
        feed.start(self.submit)

    def stop_feeds(self) -> None:
        for feed in self._feeds:
            feed.stop()

    def feed_statuses(self) -> list[FeedStatus]:
        return [f.status() for f in self._feeds]

    def _on_feed_state_change(self, status: FeedStatus) -> None:
        self.feed_state_changed.emit(status)

    def clock(self) -> float:
        """Now, as the first attached feed sees it (data time for simulations and replays)."""
        return self._feeds[0].clock() if self._feeds else time.time()

    # -- ingestion --------------------------------------------------------------------------------------------------
    def submit(self, batch: ReadingBatch) -> None:
        """Queue a batch for the ingest worker (thread-safe; waits while the queue is full)."""
        while True:
            try:
                self._queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                if self._worker is None or not self._worker.is_alive():
                    # nobody drains the queue: process in the caller's thread rather than wait forever
                    self.process_pending()

    def start(self) -> None:
        """Start the ingest worker thread."""
        if self._worker is not None and self._worker.is_alive():
            return
        self._stopping.clear()
        self._worker = threading.Thread(target=self._run, name="gasops-telemetry-ingest", daemon=True)
        self._worker.start()

    def stop(self, *, stop_feeds: bool = True, timeout: float = 30.0) -> None:
        """Stop the feeds (optionally), let the worker ingest what is queued, stop it and flush the history."""
        if stop_feeds:
            self.stop_feeds()
        self._stopping.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None
        self.process_pending()
        if self.store is not None:
            with self._lock:
                self.store.flush()

    def close(self) -> None:
        """Stop everything and close the history database."""
        self.stop()
        if self.store is not None:
            self.store.close()

    def process_pending(self) -> int:
        """Ingest everything queued, in the calling thread; returns how many readings were handled."""
        total = 0
        while True:
            batches = self._drain(block=False)
            if not batches:
                return total
            total += self._ingest_batches(batches)

    def _drain(self, block: bool) -> list[ReadingBatch]:
        try:
            first = self._queue.get(timeout=0.2) if block else self._queue.get_nowait()
        except queue.Empty:
            return []
        batches, n = [first], len(first)
        while n < self._max_coalesce:
            try:
                b = self._queue.get_nowait()
            except queue.Empty:
                break
            batches.append(b)
            n += len(b)
        return batches

    def _ingest_batches(self, batches: list[ReadingBatch]) -> int:
        total = 0
        start = 0
        for i in range(1, len(batches) + 1):  # consecutive batches of one feed are ingested as one …
            if (
                i == len(batches)
                or batches[i].counters is not batches[start].counters
                or len(batches[i - 1].lost_rows)  # … up to a communication loss, which applies after its readings
            ):
                merged = ReadingBatch.concat(batches[start:i])
                total += len(merged)
                self.ingest(merged)
                start = i
        return total

    def _run(self) -> None:
        last_tick = time.monotonic()
        while True:
            batches = self._drain(block=True)
            if not batches and self._stopping.is_set():
                return
            try:
                if batches:
                    self._ingest_batches(batches)
                if time.monotonic() - last_tick >= 1.0:
                    last_tick = time.monotonic()
                    if self._feeds:  # without a feed there is no clock to judge silence by (batches carry theirs)
                        self.tick()
                    if self.store is not None:  # the store has its own lock: views' snapshots never wait for a flush
                        self.store.maybe_flush()
            except Exception as exc:  # keep ingesting: one failure must not silence the console
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("telemetry ingest failed")

    def ingest(self, batch: ReadingBatch) -> IngestResult:
        """Validate, evaluate and store one batch now, in the calling thread; then acknowledge it (``batch.acks``,
        after the history commit) and emit the signals.

        Live readings are evaluated and stored; late readings are backfilled into the history only (dropped as
        ``out_of_order`` when no history is kept, as ``duplicate`` when the history already holds them)."""
        with self._lock:
            verdict = self.validator.judge(batch)
            live, late, drops = verdict.live, verdict.late, dict(verdict.drops)
            if len(late):
                if self.store is None:
                    drops[DropReason.OUT_OF_ORDER] = drops.get(DropReason.OUT_OF_ORDER, 0) + len(late)
                    late = late.take(np.zeros(len(late), bool))
                else:
                    held = self.store.contains(late)
                    if held.any():
                        drops[DropReason.DUPLICATE] = drops.get(DropReason.DUPLICATE, 0) + int(held.sum())
                        late = late.take(~held)
            counters = batch.counters
            if counters is not None:
                counters.add_accepted(len(live) + len(late))
                counters.add_backfilled(len(late))
                for reason, n in drops.items():
                    counters.add_dropped(reason, n)
            events = self.engine.evaluate(live.rows, live.t, live.value)
            if len(live) and np.isfinite(batch.clock_t):
                self._watermark = max(self._watermark, float(live.t.max()))
                self._heard_at = float(batch.clock_t)
            if np.isfinite(batch.clock_t):
                events += self.engine.tick(batch.clock_t, stale_now=self._stale_now(batch.clock_t))
            if len(batch.lost_rows):  # a Sparkplug death: communication loss now, not after the stale timeout
                lost_t = batch.lost_t if np.isfinite(batch.lost_t) else self.clock()
                events += self.engine.mark_lost(batch.lost_rows, lost_t)
            self._note(events)
            if len(live):
                events += self._flood_check(float(live.t.max()))
            if self.store is not None:
                self.store.append(live)
                self.store.append(late)
                self.store.append_events(events)
                if batch.acks:
                    self.store.commit()
            accepted = ReadingBatch.concat([live, late]) if len(late) else live
            if len(accepted) or events:
                self._version += 1
        for ack in batch.acks:  # after the commit: a crash before this line makes the broker redeliver
            try:
                ack()
            except Exception:
                log.exception("acknowledging a batch failed (the broker will deliver it again)")
        self._emit(accepted, events)
        return IngestResult(len(accepted), {r.value: n for r, n in drops.items()}, tuple(events), backfilled=len(late))

    def _stale_now(self, now: float) -> float:
        """When silence is judged: ``now``, or while a backlog drains, the data time reached plus the wall time
        since readings last came (a sensor is silent only if it lags the others, or if everything stopped)."""
        if not np.isfinite(self._watermark):
            return now
        return min(now, self._watermark + max(0.0, now - self._heard_at))

    def tick(self, now: float | None = None) -> list[AlarmEvent]:
        """Advance the alarm clock (stale detection, shelving expiry) to ``now`` (default: the service clock)."""
        with self._lock:
            now = self.clock() if now is None else now
            events = self.engine.tick(now, stale_now=self._stale_now(now))
            self._note(events)
            events += self._flood_check(self._stale_now(now))
            if events:
                if self.store is not None:
                    self.store.append_events(events)
                self._version += 1
        self._emit(None, events)
        return events

    def _note(self, events: list[AlarmEvent]) -> None:
        for e in events:
            if e.kind == AlarmEventKind.ACTIVATED:
                self._activations.append(e.t)
        hidden = self.engine.take_hidden_activations()
        if self.engine.flood_priority is not None:  # alarms the flood hides still make it a flood
            self._activations.extend(hidden)
        if events or hidden:
            self._activations = deque(sorted(self._activations))
        if self._activations:
            horizon = self._activations[-1] - 600.0
            while self._activations and self._activations[0] < horizon:
                self._activations.popleft()

    def _emit(self, accepted: ReadingBatch | None, events: list[AlarmEvent]) -> None:
        if accepted is not None and len(accepted):
            self.readings_arrived.emit(accepted)
        for e in events:
            self.alarm_changed.emit(e)

    # -- state for views --------------------------------------------------------------------------------------------
    def snapshot(self) -> SensorSnapshot:
        """Per-sensor arrays for the map (copies, taken under the lock)."""
        with self._lock:
            return SensorSnapshot(
                version=self._version,
                status=self.engine.sensor_status(),
                unacknowledged=self.engine.unacknowledged(),
                last_t=self.engine.last_t.copy(),
                last_value=self.engine.last_value.copy(),
                alarm_states=self.engine.state_codes(),
            )

    @property
    def version(self) -> int:
        return self._version

    def alarm_list(self) -> list[AlarmRecord]:
        """Every alarm not in the normal state (what the alarm list shows)."""
        with self._lock:
            return self.engine.alarm_list()

    def hidden_alarms(self) -> list[AlarmRecord]:
        """Active alarms that suppression or out-of-service hides from the alarm list."""
        with self._lock:
            return self.engine.hidden_alarms()

    @property
    def alarms_in_last_10_min(self) -> int:
        """Activations in the ten minutes up to the latest one (ISA-18.2 flood when > 10)."""
        with self._lock:
            return len(self._activations)

    @property
    def flooding(self) -> bool:
        """An alarm flood is going on (more than :data:`FLOOD_BEGIN` activations in ten minutes, and not yet fewer
        than :data:`FLOOD_END`)."""
        with self._lock:
            return self._flooding

    def _flood_check(self, now: float) -> list[AlarmEvent]:
        """Begin or end the flood at data time ``now``; with :attr:`flood_suppress`, suppress or restore the less
        urgent alarms. Called under the lock."""
        recent = sum(1 for t in self._activations if t > now - FLOOD_WINDOW_S)
        if not self._flooding and recent > FLOOD_BEGIN:
            self._flooding = True
            log.warning("alarm flood: %d activations in ten minutes", recent)
            if self.flood_suppress is not None:
                return self.engine.set_flood_suppression(
                    int(self.flood_suppress), t=now, reason=f"alarm flood ({recent} alarms in 10 min)"
                )
        elif self._flooding and recent < FLOOD_END:
            self._flooding = False
            return self.engine.set_flood_suppression(None, t=now)
        return []

    # -- operator actions -------------------------------------------------------------------------------------------
    def _act(self, fn, *args, **kwargs) -> list[AlarmEvent]:
        for key, limit in (("comment", MAX_COMMENT_CHARS), ("text", MAX_COMMENT_CHARS), ("user", MAX_USER_CHARS)):
            value = kwargs.get(key) or ""
            if len(value) > limit:
                target = " ".join(str(a) for a in args if a is not None) or "the alarms"
                raise AlarmActionError(f"{key} for {target} is {len(value):,} characters; at most {limit:,} are kept")
        with self._lock:
            kwargs.setdefault("t", self.clock())
            events = fn(*args, **kwargs)
            if events:
                if self.store is not None:
                    self.store.append_events(events)
                self._version += 1
        self._emit(None, events)
        return events

    def acknowledge(
        self,
        sensor_id: str,
        condition: Condition | str | None = None,
        *,
        user: str = "",
        comment: str = "",
        t: float | None = None,
    ) -> list[AlarmEvent]:
        """Acknowledge a sensor's alarms (or one condition)."""
        return self._act(self.engine.acknowledge, sensor_id, condition, user=user, comment=comment, **_t(t))

    def acknowledge_all(self, *, user: str = "", comment: str = "", t: float | None = None) -> list[AlarmEvent]:
        return self._act(self.engine.acknowledge_all, user=user, comment=comment, **_t(t))

    def shelve(
        self,
        sensor_id: str,
        condition: Condition | str | None = None,
        *,
        duration_s: float,
        user: str = "",
        comment: str = "",
        t: float | None = None,
    ) -> list[AlarmEvent]:
        """Shelve a sensor's alarms (or one condition) for ``duration_s``."""
        return self._act(
            self.engine.shelve, sensor_id, condition, duration_s=duration_s, user=user, comment=comment, **_t(t)
        )

    def unshelve(
        self,
        sensor_id: str,
        condition: Condition | str | None = None,
        *,
        user: str = "",
        comment: str = "",
        t: float | None = None,
    ) -> list[AlarmEvent]:
        return self._act(self.engine.unshelve, sensor_id, condition, user=user, comment=comment, **_t(t))

    def comment(
        self, sensor_id: str, condition: Condition | str, text: str, *, user: str = "", t: float | None = None
    ) -> list[AlarmEvent]:
        return self._act(self.engine.comment, sensor_id, condition, user=user, text=text, **_t(t))

    # -- suppression and annunciation (ISA-18.2) ---------------------------------------------------------------------
    def suppress(
        self,
        key: str,
        sensor_ids,
        reason: str,
        *,
        conditions=None,
        user: str = "system",
        t: float | None = None,
    ) -> list[AlarmEvent]:
        """State-based suppression: the alarms of ``sensor_ids`` are evaluated but SUPPRESSED, not annunciated,
        until :meth:`unsuppress` of ``key`` (see :meth:`AlarmEngine.suppress`)."""
        if len(str(reason)) > MAX_COMMENT_CHARS:
            raise AlarmActionError(f"suppression reason is {len(reason):,} characters; at most {MAX_COMMENT_CHARS:,}")
        return self._act(self.engine.suppress, key, list(sensor_ids), reason, conditions=conditions, user=user, **_t(t))

    def unsuppress(self, key: str, *, user: str = "system", t: float | None = None) -> list[AlarmEvent]:
        return self._act(self.engine.unsuppress, key, user=user, **_t(t))

    def suppressions(self) -> dict:
        """Active suppressions: key → (sensor ids, conditions, reason)."""
        with self._lock:
            return self.engine.suppressions()

    def remove_from_service(
        self, sensor_id: str, reason: str, *, user: str = "", t: float | None = None
    ) -> list[AlarmEvent]:
        return self._act(self.engine.remove_from_service, sensor_id, reason, user=user, **_t(t))

    def return_to_service(
        self, sensor_id: str, *, user: str = "", comment: str = "", t: float | None = None
    ) -> list[AlarmEvent]:
        return self._act(self.engine.return_to_service, sensor_id, user=user, comment=comment, **_t(t))

    def out_of_service(self) -> dict[str, str]:
        with self._lock:
            return self.engine.out_of_service()

    @property
    def audible(self) -> bool:
        """Whether the horn should sound: a new high-priority alarm is unacknowledged and not silenced."""
        with self._lock:
            return self.engine.audible

    def audible_alarms(self) -> list[tuple[str, Condition]]:
        with self._lock:
            return self.engine.audible_alarms()

    def silence(self) -> int:
        """Mute the horn without acknowledging; the next new high-priority alarm sounds it again."""
        with self._lock:
            n = self.engine.silence()
            if n:
                self._version += 1
            return n

    def set_network(self, network: GasNetwork, limits: AlarmLimits | None = None) -> None:
        """Follow an edited network: sensors are matched by id, so the states of the sensors that stayed carry over
        and new sensors start with no data. Views must re-read :meth:`snapshot` (its rows follow the new layer).

        Call it with the feeds stopped (:meth:`stop_feeds`) and start them again after: an MQTT feed is re-pointed at
        the new sensors (its broker session keeps what arrives meanwhile); simulator and replay feeds are built for
        one network and must be created anew.
        """
        sensors = SensorTable.from_network(network)
        limits = limits if limits is not None else AlarmLimits.defaults(sensors)
        self.process_pending()  # queued readings refer to the old rows
        with self._lock:
            old_rows = self.sensors.rows_of(sensors.ids)
            old = self.validator
            validator = ReadingValidator(
                limits.range_min, limits.range_max, max_future_s=old.max_future_s, max_past_s=old.max_past_s,
                live_window_s=old.live_window_s,
            )  # fmt: skip
            keep = old_rows >= 0
            validator.newest_t[keep] = self.validator.newest_t[old_rows[keep]]
            self.engine = self.engine.rebound(sensors, limits)
            self.validator = validator
            self.sensors, self.limits, self.network_name = sensors, limits, network.name
            if self.store is not None:
                self.store.bind_sensors(sensors)
            for feed in self._feeds:
                rebind = getattr(feed, "rebind", None)
                if rebind is not None:
                    rebind(sensors)
            self._version += 1

    def set_limits(self, limits: AlarmLimits) -> None:
        """Judge the next readings against new limits (alarm states carry over)."""
        with self._lock:
            self.engine.set_limits(limits)
            self.validator.range_min = np.where(np.isnan(limits.range_min), -np.inf, limits.range_min)
            self.validator.range_max = np.where(np.isnan(limits.range_max), np.inf, limits.range_max)
            self.limits = limits

    # -- history ----------------------------------------------------------------------------------------------------
    def history(self, sensor_id: str, start_t: float, end_t: float, resolution: str = "auto") -> History:
        """A sensor's readings in ``[start_t, end_t)`` (raw or bucketed, see :meth:`HistoryStore.readings`)."""
        if self.store is None:
            raise HistoryError(f"no history is kept for {self.network_name!r}: open the service with a store")
        return self.store.readings(sensor_id, start_t, end_t, resolution)

    def flood_summary(self, start_t: float | None = None, end_t: float | None = None, **kwargs) -> FloodSummary:
        """ISA-18.2 alarm-load metrics over the stored events."""
        if self.store is None:
            raise HistoryError(f"no history is kept for {self.network_name!r}: open the service with a store")
        events = self.store.events(start_t, end_t, kinds=[AlarmEventKind.ACTIVATED])
        return flood_summary(events, start_t=start_t, end_t=end_t, **kwargs)


def _t(t: float | None) -> dict[str, float]:
    return {} if t is None else {"t": float(t)}
