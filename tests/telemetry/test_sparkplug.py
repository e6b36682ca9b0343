"""The Sparkplug B plugin (plugins/sparkplug): births, data by alias, sequence numbers (replays dropped, gaps answered
with a rebirth request), per-value quality, deaths as communication loss at once — on the host state machine with
known answers, fuzzed, and end to end through a real Mosquitto with an edge node in its own process whose NDEATH is
its MQTT Last Will (published by the broker when the node is killed)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from gasops_sparkplug import DataType, Payload, SparkplugHost
from hypothesis import given, settings
from hypothesis import strategies as st

from console.app.live import LiveSession
from console.app.plugins import PluginRegistry, load_plugins
from console.telemetry import AlarmEventKind, Condition, FeedCounters, FeedState, SensorTable
from tests.telemetry.nets import district
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
D = DataType


def payload(seq=None, ts_ms=None, metrics=(), bd_seq=None) -> bytes:
    """metrics: (name or None, alias or None, datatype, value, {property: value})."""
    p = Payload()
    if ts_ms is not None:
        p.timestamp = int(ts_ms)
    if seq is not None:
        p.seq = seq
    if bd_seq is not None:
        p.metrics.add(name="bdSeq", datatype=int(D.INT64), long_value=bd_seq)
    for name, alias, datatype, value, *props in metrics:
        m = p.metrics.add(datatype=int(datatype))
        if name is not None:
            m.name = name
        if alias is not None:
            m.alias = alias
        if value is None:
            m.is_null = True
        elif datatype == D.DOUBLE:
            m.double_value = value
        elif datatype == D.FLOAT:
            m.float_value = value
        elif datatype == D.BOOLEAN:
            m.boolean_value = bool(value)
        elif datatype in (D.INT64, D.UINT64):
            m.long_value = value & ((1 << 64) - 1)
        else:
            m.int_value = value & ((1 << 32) - 1)
        for key, pv in (props[0] if props else {}).items():
            m.properties.keys.append(key)
            if isinstance(pv, str):
                m.properties.values.add(type=int(D.STRING), string_value=pv)
            else:
                m.properties.values.add(type=int(D.INT32), int_value=pv)
    return p.SerializeToString()


@pytest.fixture
def sensors():
    return SensorTable.from_network(district())


def _host(sensors):
    asked = []
    return SparkplugHost(sensors, "ZS", request_rebirth=lambda g, n: asked.append((g, n))), asked


NOW_MS = 1_800_000_000_000
SENSORS = SensorTable.from_network(district())


def test_birth_data_sequence_quality_and_death(sensors):
    host, asked = _host(sensors)
    c = FeedCounters("t")
    row = sensors.row
    # data before any birth: dropped, a rebirth asked for
    assert host.decode("spBv1.0/ZS/NDATA/E1", payload(1, NOW_MS, [("SG", None, D.DOUBLE, 400.0)]), c) is None
    assert c.dropped == {"no_birth": 1} and asked == [("ZS", "E1")]
    birth = payload(0, NOW_MS, [("SG", 1, D.DOUBLE, 400.0), ("Flow/FG", 2, D.FLOAT, 120.5),
                                ("Node Control/Rebirth", 3, D.BOOLEAN, False), ("Nowhere/X9", 4, D.DOUBLE, 1.0)],
                    bd_seq=7)  # fmt: skip
    rows, t, v = host.decode("spBv1.0/ZS/NBIRTH/E1", birth, c)
    assert rows.tolist() == [row("SG"), row("FG")] and v.tolist() == [400.0, 120.5] and t.tolist() == [1.8e9] * 2
    assert c.dropped == {"no_birth": 1, "unknown_sensor": 1}
    dbirth = payload(1, NOW_MS, [("Sensors/SA1", 10, D.DOUBLE, 2.4, {"engUnit": "kPa"}),
                                 ("Sensors/MA", 11, D.INT16, -3)])  # fmt: skip
    rows, t, v = host.decode("spBv1.0/ZS/DBIRTH/E1/WellA", dbirth, c)
    assert rows.tolist() == [row("SA1"), row("MA")] and v.tolist() == [2.4, -3.0]  # INT16 two's complement
    # data by alias with per-metric timestamps and quality
    ddata = payload(2, NOW_MS + 1000, [(None, 10, D.DOUBLE, 2.3), (None, 10, D.DOUBLE, 2.2, {"Quality": 0}),
                                       (None, 11, D.INT16, 5, {"Quality": 192}), (None, 99, D.DOUBLE, 1.0),
                                       (None, 10, D.DOUBLE, None)])  # fmt: skip
    rows, t, v = host.decode("spBv1.0/ZS/DDATA/E1/WellA", ddata, c)
    assert rows.tolist() == [row("SA1"), row("MA")] and v.tolist() == [2.3, 5.0] and t.tolist() == [1.8e9 + 1] * 2
    assert c.dropped == {"no_birth": 1, "unknown_sensor": 2, "bad_quality": 2}
    unit = payload(3, NOW_MS, [("Sensors/SA1", None, D.DOUBLE, 2.0, {"engUnit": "bar"})])
    assert host.decode("spBv1.0/ZS/DDATA/E1/WellA", unit, c) is None and c.dropped["unit_mismatch"] == 1
    # the same sequence number again, or an older one: a replay
    replay = payload(3, NOW_MS + 2000, [(None, 10, D.DOUBLE, 9.0)])
    assert host.decode("spBv1.0/ZS/DDATA/E1/WellA", replay, c) is None
    assert host.decode("spBv1.0/ZS/DDATA/E1/WellA", payload(250, NOW_MS, [(None, 10, D.DOUBLE, 9.0)]), c) is None
    assert c.dropped["replayed"] == 2
    # a jump forward: accepted, counted, a rebirth asked for (rate-limited per node)
    rows, _, _ = host.decode("spBv1.0/ZS/NDATA/E1", payload(9, NOW_MS + 3000, [(None, 1, D.DOUBLE, 401.0)]), c,
                             now=1e9)  # fmt: skip
    assert rows.tolist() == [row("SG")] and host.sequence_gaps == 1 and asked[-1] == ("ZS", "E1")
    received_readings = 1 + 3 + 2 + 5 + 1 + 1 + 1 + 1  # every sensor value that reached the host (X9 too)
    assert c.received == received_readings
    # deaths: a device's sensors, then the node's and what is left; an older session's will is ignored
    lost = host.decode("spBv1.0/ZS/DDEATH/E1/WellA", payload(10, NOW_MS), c)
    assert sorted(lost.rows.tolist()) == sorted([row("SA1"), row("MA")])
    assert host.decode("spBv1.0/ZS/NDEATH/E1", payload(None, 0, bd_seq=6), c) is None
    lost = host.decode("spBv1.0/ZS/NDEATH/E1", payload(None, 0, bd_seq=7), c)
    assert sorted(lost.rows.tolist()) == sorted([row("SG"), row("FG"), row("SA1"), row("MA")])
    assert host.decode("spBv1.0/ZS/NDATA/E1", payload(11, NOW_MS, [(None, 1, D.DOUBLE, 1.0)]), c) is None
    assert c.dropped["no_birth"] == 2  # dead until born again


@settings(max_examples=200, deadline=None)
@given(topic=st.sampled_from(["spBv1.0/ZS/NDATA/E1", "spBv1.0/ZS/DDATA/E1/D", "spBv1.0/ZS/NBIRTH/E1",
                              "spBv1.0/ZS/NDEATH/E1", "spBv1.0/ZS/XDATA/E1", "spBv1.0/ZS", "a/b/c/d/e/f"]),
       data=st.binary(max_size=200))  # fmt: skip
def test_any_bytes_on_any_topic_never_raise(topic, data):
    host, _ = _host(SENSORS)
    c = FeedCounters("fuzz")
    host.decode("spBv1.0/ZS/NBIRTH/E1", payload(0, NOW_MS, [("SG", 1, D.DOUBLE, 1.0)]), c)
    host.decode(topic, data, c)
    assert c.received >= sum(c.dropped.values())


@pytest.fixture
def registry():
    reg = PluginRegistry()
    (loaded,) = load_plugins(reg, names=["sparkplug"])
    assert loaded.ok, loaded.error
    return reg


def test_the_plugin_registers_a_feed_adapter(registry, sensors):
    adapter = registry.feed_adapter("sparkplug")
    assert "Sparkplug" in adapter.description and {"host", "port", "group"} <= set(adapter.options)
    with pytest.raises(Exception, match="no option bogus"):
        adapter.create(sensors, bogus=1)
    with pytest.raises(Exception, match="installed: sparkplug"):
        registry.feed_adapter("opcua")


class Edge:
    def __init__(self, broker, node="E1", bd_seq=0):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.telemetry.sparkplug_edge", broker.host, str(broker.port), "ZS", node,
             str(bd_seq)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.node = node
        assert self.proc.stdout.readline().strip() == "connected"

    def send(self, kind, data, device=None):
        topic = f"spBv1.0/ZS/{kind}/{self.node}" + (f"/{device}" if device else "")
        self.proc.stdin.write(json.dumps({"topic": topic, "hex": data.hex()}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        while line == "rebirth":
            self.rebirths += 1
            line = self.proc.stdout.readline().strip()
        assert line == "ok", line

    rebirths = 0

    def kill(self):
        self.proc.kill()  # SIGKILL: no DISCONNECT, the broker publishes the Last Will (NDEATH)
        self.proc.wait(10)


def test_birth_data_and_deaths_through_a_real_broker(mosquitto, registry):
    session = LiveSession(district(), db_path=False)
    events = []
    session.service.alarm_changed.connect(events.append)
    sensors = session.sensors
    edge = None
    try:
        feed = session.connect_adapter("sparkplug", registry=registry, host=mosquitto.host, port=mosquitto.port,
                                       group="ZS", client_id="console-spb")  # fmt: skip
        assert session.kind == "sparkplug"
        wait_for(lambda: feed.state == FeedState.RUNNING, what="the Sparkplug feed subscribed")
        edge = Edge(mosquitto)
        now_ms = int(time.time() * 1000)
        edge.send("NDATA", payload(5, now_ms, [("SG", None, D.DOUBLE, 400.0)]))  # before any birth
        wait_for(lambda: feed.status().dropped.get("no_birth") == 1, what="data without birth dropped")
        line = edge.proc.stdout.readline().strip()  # the host asked the node for its births
        assert line == "rebirth"
        edge.send("NBIRTH", payload(0, now_ms, [("SG", 1, D.DOUBLE, 400.0), ("FG", 2, D.DOUBLE, 100.0)], bd_seq=0))
        edge.send("DBIRTH", payload(1, now_ms, [("Sensors/SA1", 10, D.DOUBLE, 2.5), ("Sensors/MA", 11, D.FLOAT, 0.0)]),
                  device="WellA")  # fmt: skip
        for k in range(10):
            edge.send("DDATA", payload(2 + k, now_ms + 1000 * (k + 1), [(None, 10, D.DOUBLE, 2.5 - 0.01 * k)]),
                      device="WellA")  # fmt: skip
        edge.send("DDATA", payload(11, now_ms + 11_000, [(None, 10, D.DOUBLE, 9.9)]), device="WellA")  # replay
        edge.send("DDATA", payload(12, now_ms + 12_000, [(None, 10, D.DOUBLE, 1.0, {"Quality": 0})]), device="WellA")
        wait_for(lambda: feed.status().accepted == 4 + 10, what="births and data ingested")
        assert feed.status().dropped == {"no_birth": 1, "replayed": 1, "bad_quality": 1}
        snap = session.service.snapshot()
        assert snap.last_value[sensors.row("SA1")] == pytest.approx(2.41)
        assert snap.last_value[sensors.row("SG")] == 400.0
        assert not [e for e in events if e.condition == Condition.STALE]

        edge.send("DDEATH", payload(13, now_ms + 13_000), device="WellA")
        wait_for(lambda: {e.sensor_id for e in events if e.condition == Condition.STALE} == {"SA1", "MA"},
                 what="the device's death marking its sensors lost")  # fmt: skip
        stale_limit = session.service.limits.stale_after_s[sensors.row("SA1")]
        assert stale_limit > 60  # lost at once, not after the stale timeout
        edge.kill()
        edge = None
        wait_for(lambda: {e.sensor_id for e in events if e.condition == Condition.STALE} == {"SA1", "MA", "SG", "FG"},
                 what="the broker's Last Will (NDEATH) marking the node's sensors lost")  # fmt: skip
        lost = [e for e in events if e.condition == Condition.STALE]
        assert all(e.kind == AlarmEventKind.ACTIVATED and e.comment == "communication lost" for e in lost)
        assert all(abs(e.t - time.time()) < 30 for e in lost)
        status = session.service.snapshot().status
        assert np.all(status[[sensors.row(s) for s in ("SA1", "MA", "SG", "FG")]] == 3)  # SensorStatus.STALE
    finally:
        if edge is not None:
            edge.kill()
        session.close()
