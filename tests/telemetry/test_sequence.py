"""Replay protection and ordering by the device's message counter: the guard's rules with known answers, against a
set-based reference on random streams, and through the decoders and a real broker (a signed message replayed is
dropped as ``replayed``; one overtaken in transit is still admitted; a device restart is followed)."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from console.telemetry import (
    BatchDecoder,
    DeviceKeys,
    DeviceSigner,
    HistoryStore,
    MqttFeed,
    ReadingDecoder,
    SensorTable,
    TelemetryService,
    batch_topic,
    encode_batch,
    encode_reading,
    topic_for,
)
from console.telemetry._sequence import SequenceGuard
from tests.telemetry.nets import district
from tests.telemetry.test_mqtt import Publisher
from tests.waiting import wait_for


def test_in_order_overtaken_replayed_and_restarted():
    g = SequenceGuard(window=10)
    assert g.admit("d", 5, 100.0) and g.admit("d", 7, 102.0)
    assert g.admit("d", 6, 101.0)  # overtaken in transit: inside the window, not seen yet
    assert not g.admit("d", 6, 101.0) and not g.admit("d", 7, 102.0)  # replays
    assert g.admit("d", 30, 120.0)
    assert not g.admit("d", 8, 103.0)  # below the window: too old to tell, and not newer
    assert g.admit("other", 6, 50.0)  # another device's counter
    assert g.admit("d", 0, 500.0) and g.restarts == 1  # the device rebooted: its counter starts again
    assert g.admit("d", 1, 501.0) and not g.admit("d", 0, 500.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=200))
def test_each_number_is_admitted_once_within_the_window(seqs):
    """Reference: with the reading time the same for every message (no restart can be claimed), a number is admitted
    iff it was not admitted before and lies above (highest admitted − window)."""
    g = SequenceGuard(window=16)
    admitted: set[int] = set()
    for s in seqs:
        high = max(admitted, default=None)
        expected = high is None or (s not in admitted and s > high - 16)
        assert g.admit("dev", s, 1.0) == expected
        if expected:
            admitted.add(s)


def test_decoders_drop_a_replayed_signed_message():
    sensors = SensorTable.from_network(district())
    signer = DeviceSigner.from_seed(b"\x09" * 32)
    keys = DeviceKeys()
    keys.register(signer.device_id, ["SA1", "SA2"])
    single = ReadingDecoder(sensors, "zs", registry=keys, require_signed=True)
    msg = encode_reading("SA1", 1_800_000_000.0, 2.4, seq=41, signer=signer)
    assert single.decode(topic_for("zs", "SA1"), msg)[0] == sensors.row("SA1")
    assert single.decode(topic_for("zs", "SA1"), msg) == "replayed"
    batch = BatchDecoder(sensors, "zs", registry=keys, require_signed=True)
    payload = encode_batch(["SA1", "SA2"], [1_800_000_000.0, 1_800_000_000.0], [2.4, 2.5], seq=7, signer=signer)
    topic = batch_topic("zs", "rtu-1")
    assert len(batch.decode(topic, payload)[0]) == 2
    assert batch.decode(topic, payload) == "replayed"
    # a forged counter is caught by the signature, not the guard
    forged = json.loads(payload)
    forged["seq"] = 8
    assert batch.decode(topic, json.dumps(forged).encode()) == "bad_signature"


def test_a_replay_through_a_real_broker_is_dropped_and_counted(mosquitto, tmp_path):
    net = district()
    service = TelemetryService(net, store=HistoryStore(tmp_path / "console.db"))
    feed = MqttFeed(service.sensors, host=mosquitto.host, port=mosquitto.port, utility="zs", client_id="seq-console")
    service.start()
    service.start_feed(feed)
    pub = Publisher(mosquitto, client_id="seq-gateway")
    try:
        wait_for(lambda: feed.status().state.value == "running", what="feed connection")
        t0 = time.time() - 60
        topic = batch_topic("zs", "rtu-7")
        sent = [encode_batch(["SA1", "SA2"], [t0 + k, t0 + k], [2.4, 2.4], seq=k) for k in range(1, 11)]
        for k in (0, 1, 3, 2, 4, 5, 6, 7, 8, 9):  # message 3 overtakes 2
            pub.send(topic, sent[k])
        pub.send(topic, sent[5])  # a replay of seq 6
        wait_for(lambda: feed.status().received == 21 and feed.status().accepted + feed.status().dropped_total == 21,
                 what="batches ingested")  # fmt: skip
        status = feed.status()
        assert status.accepted == 20 and status.dropped == {"replayed": 1}
        assert status.backfilled == 2  # 3 overtook 2: 2's readings are late for live alarms but stored
        assert len(service.history("SA1", t0, t0 + 20, "raw")) == 10
    finally:
        pub.close()
        service.close()
