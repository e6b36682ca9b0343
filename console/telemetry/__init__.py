"""Live sensor feeds, alarms and history (SCADA / IoT 监测与报警), Qt-free.

* feeds behind one interface (:class:`Feed`): :class:`SimulatorFeed` (deterministic, with scripted :class:`Leak` and
  :class:`RegulatorFailure` events), :class:`MqttFeed` (paho-mqtt, QoS 1 acknowledged only once stored, persistent
  session, reconnect with back-off; single readings in :mod:`console.telemetry._payload`, batches of many readings in
  :mod:`console.telemetry._batch`), :class:`ReplayFeed` (CSV/Parquet at 1x–100x);
* validation that drops and counts bad readings by :class:`DropReason`, including Ed25519 device signatures with
  ``did:key`` device ids checked against a :class:`DeviceKeyRegistry`;
* the vectorised ISA-18.2 :class:`AlarmEngine` (HI/LO/HIHI/LOLO, rate of change, stale data, deadband, on/off
  delays, priorities, acknowledge, shelve, comment) with :func:`flood_summary`;
* :class:`HistoryStore`: readings, 1-min/15-min aggregates and alarm events in ``console.db``;
* :class:`TelemetryService` tying them together with psygnal signals for views.
"""

from console.telemetry._alarms import MAX_SHELVE_S, AlarmEngine
from console.telemetry._batch import BatchDecoder, batch_topic, batch_topic_filter, encode_batch
from console.telemetry._devices import (
    DeviceKeyRegistry,
    DeviceKeys,
    DeviceSigner,
    b58decode,
    b58encode,
    did_key_from_public_key,
    public_key_from_did_key,
)
from console.telemetry._feed import Feed
from console.telemetry._flood import FloodPeriod, FloodSummary, flood_summary
from console.telemetry._history import History, HistoryStore
from console.telemetry._limits import CLASS_LIMITS_KPA, SETPOINT_FACTORS, AlarmLimits
from console.telemetry._mqtt import CommunicationLost, MqttFeed
from console.telemetry._payload import ReadingDecoder, encode_reading, signing_input, topic_filter, topic_for
from console.telemetry._replay import ReplayFeed, read_recording, write_recording
from console.telemetry._sensors import SensorTable
from console.telemetry._service import IngestResult, SensorSnapshot, TelemetryService
from console.telemetry._simulator import Leak, RegulatorFailure, SimulatorConfig, SimulatorFeed, demand_factor
from console.telemetry._types import (
    CONDITIONS,
    AlarmActionError,
    AlarmEvent,
    AlarmEventKind,
    AlarmRecord,
    AlarmState,
    Condition,
    DropReason,
    FeedCounters,
    FeedError,
    FeedState,
    FeedStatus,
    HistoryError,
    Priority,
    ReadingBatch,
    SensorStatus,
    TelemetryError,
    iso_utc,
    parse_time,
)
from console.telemetry._validate import ReadingValidator, Verdict

__all__ = [
    "CLASS_LIMITS_KPA",
    "CONDITIONS",
    "MAX_SHELVE_S",
    "SETPOINT_FACTORS",
    "AlarmActionError",
    "AlarmEngine",
    "AlarmEvent",
    "AlarmEventKind",
    "AlarmLimits",
    "AlarmRecord",
    "AlarmState",
    "BatchDecoder",
    "CommunicationLost",
    "Condition",
    "DeviceKeyRegistry",
    "DeviceKeys",
    "DeviceSigner",
    "DropReason",
    "Feed",
    "FeedCounters",
    "FeedError",
    "FeedState",
    "FeedStatus",
    "FloodPeriod",
    "FloodSummary",
    "History",
    "HistoryError",
    "HistoryStore",
    "IngestResult",
    "Leak",
    "MqttFeed",
    "Priority",
    "ReadingBatch",
    "ReadingDecoder",
    "ReadingValidator",
    "RegulatorFailure",
    "ReplayFeed",
    "SensorSnapshot",
    "SensorStatus",
    "SensorTable",
    "SimulatorConfig",
    "SimulatorFeed",
    "TelemetryError",
    "TelemetryService",
    "Verdict",
    "b58decode",
    "b58encode",
    "batch_topic",
    "batch_topic_filter",
    "demand_factor",
    "did_key_from_public_key",
    "encode_batch",
    "encode_reading",
    "flood_summary",
    "iso_utc",
    "parse_time",
    "public_key_from_did_key",
    "read_recording",
    "signing_input",
    "topic_filter",
    "topic_for",
    "write_recording",
]
