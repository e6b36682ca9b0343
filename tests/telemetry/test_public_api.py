"""The package's public surface is deliberate (httpx style): ``__all__`` is pinned and every name resolves."""

import console.telemetry as telemetry

EXPECTED = {
    "CLASS_LIMITS_KPA", "CONDITIONS", "MAX_SHELVE_S", "SETPOINT_FACTORS", "AlarmActionError", "AlarmEngine",
    "AlarmEvent", "AlarmEventKind", "BatchDecoder", "CommunicationLost", "Verdict", "batch_topic", "batch_topic_filter", "encode_batch", "AlarmLimits", "AlarmRecord", "AlarmState", "Condition", "DeviceKeyRegistry",
    "DeviceKeys", "DeviceSigner", "DropReason", "Feed", "FeedCounters", "FeedError", "FeedState", "FeedStatus",
    "FloodPeriod", "FloodSummary", "History", "HistoryError", "HistoryStore", "IngestResult", "Leak", "MqttFeed",
    "Priority", "ReadingBatch", "ReadingDecoder", "ReadingValidator", "RegulatorFailure", "ReplayFeed",
    "SensorSnapshot", "SensorStatus", "SensorTable", "SimulatorConfig", "SimulatorFeed", "TelemetryError",
    "TelemetryService", "b58decode", "b58encode", "demand_factor", "did_key_from_public_key", "encode_reading",
    "flood_summary", "iso_utc", "parse_time", "public_key_from_did_key", "read_recording", "signing_input",
    "topic_filter", "topic_for", "write_recording",
}  # fmt: skip


def test_all_is_pinned():
    assert set(telemetry.__all__) == EXPECTED
    for name in telemetry.__all__:
        assert getattr(telemetry, name) is not None


def test_errors_are_gasops_errors():
    from console.errors import GasOpsError

    for err in (telemetry.TelemetryError, telemetry.FeedError, telemetry.HistoryError, telemetry.AlarmActionError):
        assert issubclass(err, GasOpsError)
