"""Broker scenario: MQTT ingest end to end through a real Mosquitto on loopback, against a plain paho subscriber.

    python -m tests.bench.bench_broker [--sensors 10000] [--batches 50] [--singles 20000]

One Mosquitto (persistence on, in-flight window 100), one publisher, and two subscribers on the same topics in the
same run: the console (:class:`MqttFeed` → :class:`TelemetryService` with validation, vectorised alarm evaluation and
history in ``console.db``, every QoS-1 message acknowledged only after its readings are committed) and a plain paho
subscriber that only counts what arrives (auto-acknowledged). Both subscribe with persistent sessions and go away,
everything is published and queued at the broker, then both connect at once and drain it: each rate runs from that
moment to the last reading the consumer has done with (for the console: accepted and committed to the history).

1. Batched: ``--batches`` reading-batch-v1 messages of one reading per sensor each.
2. Singles: ``--singles`` reading-v1 messages of one reading each.

Values sit mid-way between each sensor's LO and HI limits (steady operation: a scan of a healthy network); the alarm
engine still judges every reading.

Prints tables and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt

from tests.bench._common import peak_rss_mb, table
from tests.bench.bench_telemetry import demo_with_sensors
from tests.telemetry.conftest import Broker


class PlainSubscriber:
    """paho with nothing behind it: the ceiling a Python MQTT consumer reaches on this machine."""

    def __init__(self, port: int, topics: list[str], per_message, client_id: str) -> None:
        self.count = 0
        self.last = 0.0
        self.per_message = per_message
        self.port = port
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.on_message = self._on_message
        self.ready = threading.Event()
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_connect = lambda c, *a: c.subscribe([(t, 1) for t in topics])

    def connect(self) -> None:
        self.client.connect("127.0.0.1", self.port, 60)
        self.client.loop_start()

    def _on_message(self, _c, _u, message) -> None:
        self.count += self.per_message(message)
        self.last = time.perf_counter()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run(port: int, net, store_path: Path, payloads: list[tuple[str, bytes]], n_readings: int, per_message) -> dict:
    """Both consumers subscribe (persistent sessions) and go away; everything is published and queued at the broker;
    then both connect at once and drain it: the rate each consumes at, free of the publisher's pace."""
    from console.telemetry import FeedState, HistoryStore, MqttFeed, TelemetryService, batch_topic_filter, topic_filter

    service = TelemetryService(net, store=HistoryStore(store_path))
    name = store_path.stem

    def console_feed():
        return MqttFeed(service.sensors, port=port, utility="bench", client_id=f"console-{name}", ack_window=100)

    def wait(cond):
        deadline = time.monotonic() + 60
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.01)

    feed = console_feed()
    service.start()
    service.start_feed(feed)
    plain = PlainSubscriber(port, [topic_filter("bench"), batch_topic_filter("bench")], per_message, f"plain-{name}")
    plain.connect()
    wait(lambda: feed.state == FeedState.RUNNING and plain.ready.is_set())
    feed.stop()
    service.detach(feed)
    plain.close()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port, 60)
    pub.loop_start()
    infos = [pub.publish(topic, body, qos=1) for topic, body in payloads]
    for info in infos:
        info.wait_for_publish(300)
    pub.disconnect()
    pub.loop_stop()

    feed = console_feed()
    t_start = time.perf_counter()
    service.start_feed(feed)
    plain.connect()
    console_done = 0.0
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and not (console_done and plain.count >= n_readings):
        st = feed.status()
        if not console_done and st.accepted + st.dropped_total >= n_readings:
            with service._lock:  # the ingest that counted them holds it until its history commit
                console_done = time.perf_counter()
        time.sleep(0.002)
    st = feed.status()
    console_s = console_done - t_start
    plain_s = max(plain.last - t_start, 1e-9)
    counts = service.store.counts()
    out = {
        "readings": n_readings,
        "messages": len(payloads),
        "console_accepted": st.accepted,
        "console_dropped": st.dropped_total,
        "console_per_s": st.accepted / console_s,
        "plain_per_s": plain.count / plain_s,
        "stored": counts["buffered"] + counts["readings"],
    }
    out["ratio"] = out["console_per_s"] / out["plain_per_s"]
    plain.close()
    service.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--singles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from console.telemetry import AlarmLimits, SensorTable, batch_topic, encode_batch, encode_reading, topic_for

    net = demo_with_sensors(args.sensors, args.seed)
    ids = net["sensors"]["id"].tolist()
    lim = AlarmLimits.defaults(SensorTable.from_network(net))
    lo = np.where(np.isfinite(lim.lo), lim.lo, 0.0)
    normal = np.where(np.isfinite(lim.hi), (lo + lim.hi) / 2, lo + 1.0)
    t0 = float(np.floor(time.time())) - 200.0
    batched = [
        (batch_topic("bench", "rtu-1"), encode_batch(ids, np.full(len(ids), t0 + k), normal, seq=k))
        for k in range(args.batches)
    ]
    singles = [
        (
            topic_for("bench", ids[i % len(ids)]),
            encode_reading(ids[i % len(ids)], t0 + 0.001 * i, normal[i % len(ids)], seq=i),
        )
        for i in range(args.singles)
    ]
    with tempfile.TemporaryDirectory(prefix="gasops-bench-") as tmp:
        broker = Broker(Path(tmp))
        broker.start()
        try:
            b = run(broker.port, net, Path(tmp) / "batched.db", batched, args.batches * len(ids),
                    lambda m: len(json.loads(m.payload)["sensor"]))  # fmt: skip
            s = run(broker.port, net, Path(tmp) / "singles.db", singles, args.singles, lambda m: 1)
        finally:
            broker.stop()
    rows = [
        [name, f"{r['messages']:,}", f"{r['readings']:,}", f"{r['console_per_s']:,.0f}", f"{r['plain_per_s']:,.0f}",
         f"{r['ratio']:.2f}", f"{r['stored']:,}"]
        for name, r in (("batched (reading-batch-v1)", b), ("single readings (reading-v1)", s))
    ]  # fmt: skip
    print(
        table(
            f"MQTT end to end through Mosquitto on loopback ({args.sensors:,} sensors; console: decode, validation, "
            "alarms, history commit before PUBACK)",
            ["payload", "messages", "readings", "console readings/s", "plain paho readings/s", "ratio", "stored"],
            rows,
        )
    )
    print(json.dumps({"batched": b, "singles": s, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
