"""Shared types of the telemetry package: code lists, reading batches, feed counters, alarm events and errors.

Times are UTC seconds since the Unix epoch (float64) everywhere; :func:`iso_utc` formats them for people and JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

import numpy as np

from console.errors import GasOpsError

__all__ = [
    "AlarmActionError",
    "AlarmEvent",
    "AlarmEventKind",
    "AlarmRecord",
    "AlarmState",
    "Condition",
    "CONDITIONS",
    "DropReason",
    "FeedCounters",
    "FeedError",
    "FeedState",
    "FeedStatus",
    "HistoryError",
    "Priority",
    "ReadingBatch",
    "SensorStatus",
    "TelemetryError",
    "iso_utc",
    "parse_time",
]


class TelemetryError(GasOpsError):
    """Base class of the telemetry package's user-facing errors."""


class FeedError(TelemetryError):
    """A feed cannot be set up: names the feed (file, broker) and what is wrong."""


class HistoryError(TelemetryError):
    """The history database cannot be opened or queried: names the file or sensor and the problem."""


class AlarmActionError(TelemetryError):
    """An operator action (acknowledge, shelve …) that cannot be carried out: names the alarm and why."""


class Condition(StrEnum):
    """The alarm conditions evaluated for every sensor (ISA-18.2 alarm types)."""

    HIHI = "HIHI"  # high-high (高高限)
    HI = "HI"  # high (高限); methane 25 % LEL warning
    LO = "LO"  # low (低限)
    LOLO = "LOLO"  # low-low (低低限)
    ROC = "ROC"  # rate of change (变化率)
    STALE = "STALE"  # communication loss: no reading within the stale timeout (通讯中断)

    @property
    def code(self) -> int:
        """Column of this condition in the engine's (sensors × conditions) arrays."""
        return CONDITIONS.index(self)


CONDITIONS: tuple[Condition, ...] = tuple(Condition)


class AlarmState(StrEnum):
    """ISA-18.2 alarm states (the letters of its state diagram in brackets)."""

    NORMAL = "normal"  # A: inactive and acknowledged
    UNACK_ACTIVE = "unack_active"  # B: active, not yet acknowledged
    ACK_ACTIVE = "ack_active"  # C: active and acknowledged
    UNACK_RTN = "unack_rtn"  # D: returned to normal before anyone acknowledged it
    SHELVED = "shelved"  # E: temporarily hidden by an operator, with an expiry
    SUPPRESSED = "suppressed"  # F: suppressed by design (an outage in progress, an alarm flood): evaluated, not shown
    OUT_OF_SERVICE = "out_of_service"  # G: the sensor is removed from service (maintenance): evaluated, not shown


class AlarmEventKind(StrEnum):
    ACTIVATED = "activated"  # the condition became active (after the on-delay)
    CLEARED = "cleared"  # the condition returned to normal (after deadband and off-delay)
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"  # by an operator or because the shelving expired
    SUPPRESSED = "suppressed"  # state-based or flood suppression began (logged for alarms not in the normal state)
    UNSUPPRESSED = "unsuppressed"  # suppression ended: a still-active alarm is annunciated afresh
    OUT_OF_SERVICE = "out_of_service"  # an operator removed the sensor from service
    RETURNED_TO_SERVICE = "returned_to_service"  # back in service: a still-active alarm is annunciated afresh
    COMMENTED = "commented"


class Priority(IntEnum):
    """Alarm priorities; 1 is the most urgent (EEMUA 191 recommends few urgent alarms)."""

    CRITICAL = 1  # 紧急: methane 50 % LEL
    HIGH = 2  # 高: high-high / low-low pressure, methane 25 % LEL
    MEDIUM = 3  # 中: high / low, rate of change
    LOW = 4  # 低: communication loss


class SensorStatus(IntEnum):
    """What a map symbol shows for a sensor (codes of :attr:`TelemetryService.sensor_status`).

    Precedence: an unshelved HIHI/LOLO makes ``ALARM``; else communication loss ``STALE``; else an unshelved HI/LO/ROC
    ``WARNING``; a sensor that never reported is ``NO_DATA``.
    """

    NORMAL = 0
    WARNING = 1
    ALARM = 2
    STALE = 3
    NO_DATA = 4


class FeedState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    RUNNING = "running"  # connected (MQTT) or producing readings (simulator, replay)
    RECONNECTING = "reconnecting"
    FINISHED = "finished"  # a replay reached the end of its file
    FAILED = "failed"


class DropReason(StrEnum):
    """Why a message or reading was dropped. Every drop is counted under one reason; nothing is dropped silently."""

    MALFORMED = "malformed"  # not UTF-8 JSON, not an object, missing/extra/mistyped fields, bad timestamp, too large
    BAD_TOPIC = "bad_topic"  # topic outside the scheme gasops/v1/<utility>/<sensor_id>/reading
    TOPIC_MISMATCH = "topic_mismatch"  # payload names another sensor than its topic
    UNKNOWN_SENSOR = "unknown_sensor"  # not a sensor of the network
    UNIT_MISMATCH = "unit_mismatch"  # payload unit differs from the sensor's unit
    NOT_FINITE = "not_finite"  # value or time NaN/inf
    OUT_OF_RANGE = "out_of_range"  # outside the instrument range of the sensor's kind
    DUPLICATE = "duplicate"  # same timestamp as the latest accepted reading of the sensor
    OUT_OF_ORDER = "out_of_order"  # older than the latest accepted reading of the sensor
    FUTURE = "future_timestamp"  # later than the receiver's clock plus the allowed skew
    TOO_OLD = "too_old"  # earlier than the receiver's clock minus the history horizon (a device clock at 1970)
    UNSIGNED = "unsigned"  # signatures are required and the message has none
    UNKNOWN_DEVICE = "unknown_device"  # the signing device is not registered, or not for this sensor
    BAD_SIGNATURE = "bad_signature"  # the Ed25519 signature does not verify against the registered key
    BAD_QUALITY = "bad_quality"  # the device flags the value as bad (Sparkplug/OPC quality below "uncertain")
    NO_BIRTH = "no_birth"  # Sparkplug data from a node or device with no birth certificate since its death
    REPLAYED = "replayed"  # the device's sequence number says the message was handled already (replay, redelivery)


def iso_utc(t: float) -> str:
    """RFC 3339 UTC text of an epoch time with milliseconds: ``iso_utc(0.0) == '1970-01-01T00:00:00.000Z'``."""
    if not np.isfinite(t):
        return ""
    return datetime.fromtimestamp(float(t), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | float | int) -> float:
    """Epoch seconds from RFC 3339 text (a zone is required) or from a number of epoch seconds.

    >>> parse_time("1970-01-01T00:01:00Z")
    60.0
    >>> parse_time("2026-01-01T08:00:00+08:00") == parse_time("2026-01-01T00:00:00Z")
    True
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    dt = datetime.fromisoformat(str(text).strip())
    if dt.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone (write e.g. 2026-01-01T08:00:00+08:00 or …Z)")
    return dt.timestamp()


@dataclass(frozen=True, eq=False)
class ReadingBatch:
    """Readings as parallel arrays: ``rows`` index the network's sensors layer, ``t`` epoch s, ``value`` in the unit.

    ``counters`` is the feed the batch came from (drops found while ingesting are counted there); ``clock_t`` the
    feed's clock (data time) when it handed the batch over, NaN if it does not say. ``acks`` are called, in order,
    once the batch's readings are committed to the history (an MQTT feed acknowledges its QoS-1 messages there: a
    message is never acknowledged to the broker before its readings are durable). ``received_t`` is the wall time a
    live feed received the readings (NaN for simulations and replays, whose times are data times): the validator's
    clock-skew bounds are judged against it.
    """

    rows: np.ndarray  # int32
    t: np.ndarray  # float64
    value: np.ndarray  # float64
    counters: FeedCounters | None = None
    clock_t: float = float("nan")  # the feed's clock when the batch was cut: stale detection runs up to it
    acks: tuple[Callable[[], None], ...] = ()
    received_t: float = float("nan")  # wall time a live feed (MQTT) received it: clock-skew bounds apply against it
    lost_rows: np.ndarray | None = None  # sensors whose communication is lost once these readings are in (a death)
    lost_t: float = float("nan")  # when it was lost

    def __post_init__(self) -> None:
        rows = np.asarray(self.rows, dtype=np.int32).reshape(-1)
        t = np.asarray(self.t, dtype=np.float64).reshape(-1)
        value = np.asarray(self.value, dtype=np.float64).reshape(-1)
        if not (len(rows) == len(t) == len(value)):
            raise ValueError(f"reading batch arrays differ in length: rows {len(rows)}, t {len(t)}, value {len(value)}")
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "value", value)
        lost = np.empty(0, np.int32) if self.lost_rows is None else np.asarray(self.lost_rows, np.int32).reshape(-1)
        object.__setattr__(self, "lost_rows", lost)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index: np.ndarray) -> ReadingBatch:
        """The readings at ``index`` (without the acknowledgements: they belong to the whole batch)."""
        return ReadingBatch(
            self.rows[index], self.t[index], self.value[index], self.counters, self.clock_t, (), self.received_t
        )

    @staticmethod
    def concat(batches: Iterable[ReadingBatch]) -> ReadingBatch:
        """One batch of several (of the same feed); its clock is the latest of theirs. Communication-loss marks
        apply after all the readings: only the last batch may carry them (the service cuts runs there)."""
        batches = list(batches)
        if not batches:
            return ReadingBatch(np.empty(0, np.int32), np.empty(0), np.empty(0))
        if len(batches) == 1:
            return batches[0]
        clocks = [b.clock_t for b in batches if np.isfinite(b.clock_t)]
        received = [b.received_t for b in batches if np.isfinite(b.received_t)]
        return ReadingBatch(
            np.concatenate([b.rows for b in batches]),
            np.concatenate([b.t for b in batches]),
            np.concatenate([b.value for b in batches]),
            batches[0].counters,
            max(clocks) if clocks else float("nan"),
            tuple(a for b in batches for a in b.acks),
            max(received) if received else float("nan"),
            np.concatenate([b.lost_rows for b in batches]),
            max((b.lost_t for b in batches if len(b.lost_rows)), default=float("nan")),
        )


@dataclass(frozen=True)
class FeedStatus:
    """A feed's state and counters at one moment (what a status indicator shows)."""

    feed: str
    state: FeedState
    received: int
    accepted: int
    dropped: Mapping[str, int]
    reconnects: int = 0
    detail: str = ""
    backfilled: int = 0  # of the accepted: late readings that went to the history only (no live alarms)

    @property
    def dropped_total(self) -> int:
        return int(sum(self.dropped.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "state": self.state.value,
            "received": self.received,
            "accepted": self.accepted,
            "dropped": dict(self.dropped),
            "dropped_total": self.dropped_total,
            "reconnects": self.reconnects,
            "backfilled": self.backfilled,
            "detail": self.detail,
        }


class FeedCounters:
    """Thread-safe counters of one feed: messages received, readings accepted, drops by :class:`DropReason`.

    ``received`` counts what reached the console (MQTT messages, rows of a file, simulated readings);
    ``accepted + sum(dropped) == received`` once everything handed over has been ingested; ``backfilled`` counts the
    accepted readings that arrived late and went to the history without live alarm evaluation.
    """

    def __init__(self, feed: str) -> None:
        self.feed = feed
        self._lock = threading.Lock()
        self.received = 0
        self.accepted = 0
        self.reconnects = 0
        self.backfilled = 0
        self._dropped: dict[DropReason, int] = {}

    def add_received(self, n: int = 1) -> None:
        with self._lock:
            self.received += int(n)

    def add_accepted(self, n: int) -> None:
        with self._lock:
            self.accepted += int(n)

    def add_backfilled(self, n: int) -> None:
        with self._lock:
            self.backfilled += int(n)

    def add_dropped(self, reason: DropReason, n: int = 1) -> None:
        if n:
            with self._lock:
                self._dropped[reason] = self._dropped.get(reason, 0) + int(n)

    def add_reconnect(self) -> None:
        with self._lock:
            self.reconnects += 1

    @property
    def dropped(self) -> dict[str, int]:
        with self._lock:
            return {r.value: n for r, n in sorted(self._dropped.items())}

    def status(self, state: FeedState, detail: str = "") -> FeedStatus:
        with self._lock:
            dropped = {r.value: n for r, n in sorted(self._dropped.items())}
            return FeedStatus(
                self.feed, state, self.received, self.accepted, dropped, self.reconnects, detail, self.backfilled
            )


@dataclass(frozen=True)
class AlarmEvent:
    """One state change of one alarm (sensor × condition), or an operator's comment; stored in the history.

    ``row`` is the sensor's row in the network's sensors layer (-1 when read back from a database whose network is
    not loaded); ``feature_id`` the feature the sensor sits on, for click → zoom.
    """

    t: float
    sensor_id: str
    condition: Condition
    kind: AlarmEventKind
    state: AlarmState  # the state after this event
    priority: Priority
    value: float = float("nan")  # the reading that caused it (NaN for operator actions and stale alarms)
    limit: float = float("nan")  # the limit that was crossed
    row: int = -1
    feature_id: str = ""
    user: str = ""
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "time": iso_utc(self.t),
            "sensor_id": self.sensor_id,
            "feature_id": self.feature_id,
            "condition": self.condition.value,
            "kind": self.kind.value,
            "state": self.state.value,
            "priority": int(self.priority),
            "value": None if not np.isfinite(self.value) else self.value,
            "limit": None if not np.isfinite(self.limit) else self.limit,
            "user": self.user,
            "comment": self.comment,
        }

    def format_line(self, unit: str = "") -> str:
        """One line for a terminal: time, priority, sensor, condition, what happened and the value."""
        value = f"  {self.value:.4g} {unit}".rstrip() if np.isfinite(self.value) else ""
        limit = f" (limit {self.limit:.4g})" if np.isfinite(self.limit) else ""
        who = f"  by {self.user}" if self.user else ""
        note = f"  « {self.comment} »" if self.comment else ""
        return (
            f"{iso_utc(self.t)}  P{int(self.priority)}  {self.sensor_id:<12} {self.condition.value:<5} "
            f"{self.kind.value:<12} → {self.state.value:<12}{value}{limit}{who}{note}"
        )


@dataclass(frozen=True)
class AlarmRecord:
    """One alarm in the alarm list (every alarm not in the normal state): what an alarm-list dock shows."""

    sensor_id: str
    condition: Condition
    state: AlarmState
    priority: Priority
    active: bool
    since: float  # when it last became active (NaN if it never did in this history)
    value: float  # the reading at activation
    limit: float
    row: int = -1
    feature_id: str = ""
    kind: str = ""  # the sensor kind (pressure, methane …)
    shelved_until: float = float("nan")
    last_change: float = float("nan")
    comment: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "sensor_id": self.sensor_id,
            "feature_id": self.feature_id,
            "kind": self.kind,
            "condition": self.condition.value,
            "state": self.state.value,
            "priority": int(self.priority),
            "active": self.active,
            "since": num(self.since),
            "since_time": iso_utc(self.since),
            "value": num(self.value),
            "limit": num(self.limit),
            "shelved_until": num(self.shelved_until),
            "last_change": num(self.last_change),
            "comment": self.comment,
        }
