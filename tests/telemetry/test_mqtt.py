"""MQTT end to end with a real Mosquitto on loopback: readings arrive in order; a broker restart and a console
restart lose no QoS-1 message (persistent session); a fuzzed stream of malformed payloads never stops the feed and
every bad message is counted under its reason."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.telemetry import DeviceKeys, DeviceSigner, FeedState, MqttFeed, TelemetryService, encode_reading, topic_for
from tests.waiting import wait_for

T0 = time.time() - 230.0  # recent readings: inside the live window (300 s) and the clock-skew bounds


@pytest.fixture(autouse=True)
def recent_t0():
    """Stamps relative to when each test starts, not to when the module was collected (a full run takes minutes)."""
    global T0
    T0 = time.time() - 230.0


class Publisher:
    """A device-side client that publishes with QoS 1 and, like a real device, resends until the broker acknowledges."""

    def __init__(self, broker, client_id="test-publisher"):
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.connect_async(broker.host, broker.port, 30)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        for _ in range(50):
            wait_for(self.client.is_connected, what="publisher connection")
            info = self.client.publish(topic, payload, qos=1)
            try:
                info.wait_for_publish(timeout=2.0)
                if info.is_published():
                    return
            except (RuntimeError, ValueError):  # the connection dropped under it: send again
                time.sleep(0.05)
        raise AssertionError(f"could not publish on {topic}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


class Console:
    """A telemetry service with an MQTT feed and its worker, collecting what arrives."""

    def __init__(self, net, broker, client_id="console-under-test", **kwargs):
        self.service = TelemetryService(net)
        self.arrived = []
        self.lock = threading.Lock()
        self.service.readings_arrived.connect(self._on_readings)
        self.feed = MqttFeed(
            self.service.sensors, host=broker.host, port=broker.port, utility="zs", client_id=client_id,
            reconnect_min_s=0.1, reconnect_max_s=1.0, **kwargs,
        )  # fmt: skip
        self.service.start()
        self.service.start_feed(self.feed)
        wait_for(lambda: self.feed.state == FeedState.RUNNING, what="feed connection")

    def _on_readings(self, batch):
        with self.lock:
            self.arrived += [(self.service.sensors.ids[r], t) for r, t in zip(batch.rows, batch.t, strict=True)]

    def times(self, sensor):
        with self.lock:
            return [t for s, t in self.arrived if s == sensor]

    def settled(self, n_received):
        # counters move when a batch is ingested, ``readings_arrived`` fires just after: wait for both
        st_ = self.feed.status()
        with self.lock:
            emitted = len(self.arrived)
        return (
            st_.received >= n_received
            and st_.accepted + st_.dropped_total == st_.received == emitted + st_.dropped_total
        )

    def stop(self):
        self.service.stop()


def stamp(i: int) -> float:
    return round(T0 + i * 0.5, 3)


def test_readings_arrive_in_order(net, mosquitto):
    console = Console(net, mosquitto)
    pub = Publisher(mosquitto)
    try:
        for i in range(150):
            for sensor in ("SA1", "SA2"):
                pub.send(topic_for("zs", sensor), encode_reading(sensor, stamp(i), 2.4, unit="kPa", seq=i))
        wait_for(lambda: console.settled(300), what="300 readings")
        assert console.times("SA1") == console.times("SA2") == [stamp(i) for i in range(150)]
        assert console.feed.status().dropped == {}
        snap = console.service.snapshot()
        assert snap.last_t[console.service.sensors.row("SA1")] == stamp(149)
    finally:
        pub.close()
        console.stop()


def test_broker_and_console_restarts_lose_no_qos1_message(net, mosquitto):
    topic = topic_for("zs", "SA1")
    sent = iter(range(10_000))
    pub = Publisher(mosquitto)
    console = Console(net, mosquitto)
    states = []
    console.feed.state_changed.connect(lambda s: states.append(s.state))
    try:
        for _ in range(100):
            pub.send(topic, encode_reading("SA1", stamp(next(sent)), 2.4))
        # the broker restarts in the middle of a stream the publisher keeps sending
        publishing = threading.Thread(
            target=lambda: [pub.send(topic, encode_reading("SA1", stamp(next(sent)), 2.4)) for _ in range(100)]
        )
        publishing.start()
        time.sleep(0.05)
        mosquitto.restart()
        publishing.join(60)
        wait_for(lambda: console.settled(200), what="readings after the broker restart")
        wait_for(lambda: console.feed.state == FeedState.RUNNING, what="the feed running again")
        assert FeedState.RECONNECTING in states
        assert console.feed.status().reconnects >= 1
        # the console goes away; readings sent meanwhile wait in its session at the broker, across another restart
        console.feed.stop()
        for _ in range(100):
            pub.send(topic, encode_reading("SA1", stamp(next(sent)), 2.4))
        mosquitto.restart()
        later = MqttFeed(
            console.service.sensors, host=mosquitto.host, port=mosquitto.port, utility="zs",
            client_id="console-under-test", reconnect_min_s=0.1, reconnect_max_s=1.0,
        )  # fmt: skip
        console.service.start_feed(later)
        for _ in range(100):
            pub.send(topic, encode_reading("SA1", stamp(next(sent)), 2.4))
        wait_for(lambda: len(set(console.times("SA1"))) >= 400, what="all 400 readings")
        assert console.times("SA1") == [stamp(i) for i in range(400)]  # none lost, in order, no duplicates passed
    finally:
        pub.close()
        console.stop()


def test_mqtt5_persistent_session(net, mosquitto):
    console = Console(net, mosquitto, client_id="console-v5", protocol="5")
    pub = Publisher(mosquitto)
    try:
        console.feed.stop()
        for i in range(20):
            pub.send(topic_for("zs", "SA2"), encode_reading("SA2", stamp(i), 2.4))
        again = MqttFeed(
            console.service.sensors,
            host=mosquitto.host,
            port=mosquitto.port,
            utility="zs",
            client_id="console-v5",
            protocol="5",
        )
        console.service.start_feed(again)
        wait_for(lambda: len(console.times("SA2")) >= 20, what="queued MQTT 5 readings")
        assert console.times("SA2") == [stamp(i) for i in range(20)]
    finally:
        pub.close()
        console.stop()


DEVICE = DeviceSigner.from_seed(b"\x11" * 32)
KINDS = [
    "good",
    "signed",
    "binary",
    "json",
    "missing",
    "wrong_type",
    "mismatch",
    "unknown",
    "unit",
    "range",
    "duplicate",
    "forged",
]


@pytest.fixture
def fuzz_console(net, mosquitto):
    keys = DeviceKeys()
    keys.register(DEVICE.device_id, ["SA1"])
    console = Console(net, mosquitto, client_id="console-fuzz", registry=keys)
    pub = Publisher(mosquitto, client_id="fuzz-publisher")
    yield console, pub
    pub.close()
    console.stop()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_stream_never_stops_the_feed_and_every_bad_message_is_counted(fuzz_console, data):
    console, pub = fuzz_console
    before = console.feed.status()
    base = console.service.snapshot().last_t[console.service.sensors.row("SA1")]
    i = int(base * 2) + 1 if base == base else int(T0 * 2)  # continue after the previous example's readings
    expected, good = Counter(), 0
    last_good = None
    stream = data.draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=25))
    topic = topic_for("zs", "SA1")
    for kind in stream:
        i += 1
        t = i / 2
        msg, reason = None, None
        if kind == "good" or (kind == "duplicate" and last_good is None):
            msg = encode_reading("SA1", t, data.draw(st.floats(0, 100)))
        elif kind == "signed":
            msg = encode_reading("SA1", t, 2.5, unit="kPa", seq=i, signer=DEVICE)
        elif kind == "binary":
            msg, reason = (
                data.draw(st.binary(max_size=200).filter(lambda b: not b.strip().startswith(b"{"))),
                "malformed",
            )
        elif kind == "json":
            value = data.draw(
                st.recursive(st.integers() | st.text(max_size=10), lambda x: st.lists(x, max_size=3), max_leaves=5)
            )
            msg, reason = json.dumps(value).encode(), "malformed"
        elif kind == "missing":
            drop = data.draw(st.sampled_from(["v", "sensor", "ts", "value"]))
            body = {"v": 1, "sensor": "SA1", "ts": "2026-01-01T00:00:00Z", "value": 1.0}
            del body[drop]
            msg, reason = json.dumps(body).encode(), "malformed"
        elif kind == "wrong_type":
            bad = data.draw(st.sampled_from(["1.0", True, None, [1], {"x": 1}]))
            msg, reason = (
                json.dumps({"v": 1, "sensor": "SA1", "ts": "2026-01-01T00:00:00Z", "value": bad}).encode(),
                "malformed",
            )
        elif kind == "mismatch":
            msg, reason = encode_reading("SA2", t, 2.0), "topic_mismatch"
        elif kind == "unknown":
            pub.send(topic_for("zs", "NOPE"), encode_reading("NOPE", t, 2.0))
            expected["unknown_sensor"] += 1
            continue
        elif kind == "unit":
            msg, reason = encode_reading("SA1", t, 2.0, unit="bar"), "unit_mismatch"
        elif kind == "range":
            msg, reason = encode_reading("SA1", t, 1e7), "out_of_range"
        elif kind == "duplicate":  # a signed reading carries the device's seq: its copy is a replay
            msg, reason = last_good, "replayed" if b'"seq"' in last_good else "duplicate"
        elif kind == "forged":
            body = json.loads(encode_reading("SA1", t, 2.5, signer=DEVICE))
            body["value"] = 9.9
            msg, reason = json.dumps(body).encode(), "bad_signature"
        pub.send(topic, msg)
        if reason is None:
            good += 1
            last_good = msg
        else:
            expected[reason] += 1
    n = len(stream)
    wait_for(lambda: console.settled(before.received + n), what=f"{n} fuzzed messages")
    after = console.feed.status()
    assert console.feed.state == FeedState.RUNNING
    assert after.received - before.received == n
    assert after.accepted - before.accepted == good
    assert {
        k: after.dropped.get(k, 0) - before.dropped.get(k, 0)
        for k in after.dropped
        if after.dropped.get(k, 0) - before.dropped.get(k, 0)
    } == dict(expected)
