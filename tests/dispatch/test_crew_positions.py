"""Crew positions over MQTT (item 4): the payload (known answers, signatures, replays), a total decoder
(hypothesis), and the feed end to end through the suite's Mosquitto broker into the incident service's roster,
where a dispatched crew's route starts from where its tracker last reported it."""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.dispatch import CrewPosition, CrewPositionFeed, PositionDecoder, encode_position, position_topic
from console.telemetry import DeviceKeys, DeviceSigner, FeedState
from tests.dispatch.drill import make_service
from tests.telemetry.conftest import Broker
from tests.telemetry.test_mqtt import Publisher
from tests.waiting import wait_for

T0 = 1_772_352_000.0  # 2026-03-01T08:00:00Z
CREWS = {"VT-1", "VT-2", "RT-1", "RP-1"}


def _keys(*signers, crews=None):
    keys = DeviceKeys()
    for s in signers:
        keys.register(s.device_id, crews)
    return keys


def test_known_answers_and_every_drop_reason():
    tracker, stranger = DeviceSigner.from_seed(b"t" * 32), DeviceSigner.from_seed(b"s" * 32)
    dec = PositionDecoder(CREWS, "zs", registry=_keys(tracker, crews=["VT-1"]), require_signed=True)
    topic = position_topic("zs", "VT-1")
    ok = dec.decode(topic, encode_position("VT-1", T0, x=100.0, y=200.5, seq=1, signer=tracker))
    assert ok == CrewPosition("VT-1", T0, 100.0, 200.5, device=tracker.device_id)
    assert ok.message() == {"crew_id": "VT-1", "time": "2026-03-01T08:00:00.000Z", "x": 100.0, "y": 200.5}
    # the same message again (a replay), an older one, an unsigned one, a tampered one, a stranger's, another crew
    assert dec.decode(topic, encode_position("VT-1", T0, x=100.0, y=200.5, seq=1, signer=tracker)) == "replayed"
    assert dec.decode(topic, encode_position("VT-1", T0 - 5, x=1.0, y=2.0, seq=2, signer=tracker)) == "stale"
    assert dec.decode(topic, encode_position("VT-1", T0 + 5, x=1.0, y=2.0)) == "unsigned"
    signed = json.loads(encode_position("VT-1", T0 + 6, x=1.0, y=2.0, seq=3, signer=tracker))
    signed["x"] = 9.0
    assert dec.decode(topic, json.dumps(signed).encode()) == "bad_signature"
    assert dec.decode(topic, encode_position("VT-1", T0 + 7, x=1.0, y=2.0, signer=stranger)) == "unknown_device"
    t2 = position_topic("zs", "RT-1")  # the tracker may report VT-1 only
    assert dec.decode(t2, encode_position("RT-1", T0 + 8, x=1.0, y=2.0, signer=tracker)) == "unknown_device"
    t3 = position_topic("zs", "XX-9")
    assert dec.decode(t3, encode_position("XX-9", T0, x=1.0, y=2.0, signer=tracker)) == "unknown_crew"
    # malformed: crew differs from the topic, both x/y and lat/lon, out-of-range latitude, NaN, extra member
    for payload in (b'{"v":1,"crew":"VT-2","ts":"2026-03-01T08:00:00Z","x":1,"y":2}',
                    b'{"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","x":1,"y":2,"lat":1,"lon":2}',
                    b'{"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","lat":91,"lon":2}',
                    b'{"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","x":NaN,"y":2}',
                    b'{"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","x":1,"y":2,"speed":3}',
                    b'{"v":1,"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","x":1,"y":2}', b"\xff"):  # fmt: skip
        assert dec.decode(topic, payload) == "malformed", payload
    unsigned_ok = PositionDecoder(CREWS, "zs").decode(t2, encode_position("RT-1", T0, lat=29.98, lon=122.2))
    assert (unsigned_ok.lat, unsigned_ok.lon, unsigned_ok.x) == (29.98, 122.2, None)


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(["gasops/v1/zs/VT-1/position", "gasops/v1/zs//position", "x"]),
       payload=st.one_of(st.binary(max_size=300),
                         st.dictionaries(st.sampled_from(["v", "crew", "ts", "x", "y", "lat", "lon", "seq", "device",
                                                          "sig", "z"]),
                                         st.one_of(st.integers(), st.floats(), st.text(max_size=20), st.none(),
                                                   st.booleans()), max_size=10).map(
                             lambda d: json.dumps(d).encode())))  # fmt: skip
def test_the_decoder_is_total(topic, payload):
    got = PositionDecoder(CREWS, "zs", registry=DeviceKeys()).decode(topic, payload)
    assert isinstance(got, CrewPosition | str)


def test_crew_positions_through_mosquitto_move_the_crews(tmp_path):
    """Trackers publish signed positions to the broker the sensors use; the console's position feed hands them to
    the incident service: VT-1 by x/y, RT-1 by lat/lon (turned into the network's coordinates); an unsigned and a
    stranger's position are dropped and counted; VT-1's route then starts where it was reported."""
    service, clock = make_service(tmp_path / "ws", what_if=False)
    net = service.network
    (tmp_path / "broker").mkdir()
    broker = Broker(tmp_path / "broker")
    broker.start()
    vt, rt, stranger = (DeviceSigner.from_seed(bytes([k]) * 32) for k in (1, 2, 3))
    keys = _keys(vt, crews=["VT-1"])
    keys.register(rt.device_id, ["RT-1"])
    arrived: list[CrewPosition] = []
    lock = threading.Lock()

    def on_position(p):
        with lock:
            arrived.append(p)

    feed = CrewPositionFeed(set(service.roster.crews), on_position, host=broker.host, port=broker.port,
                            utility="zs", registry=keys, require_signed=True, reconnect_min_s=0.1,
                            reconnect_max_s=1.0)  # fmt: skip
    publisher = None
    try:
        feed.start(lambda _batch: None)
        wait_for(lambda: feed.state == FeedState.RUNNING, what="position feed connection")
        publisher = Publisher(broker, client_id="crew-trackers")
        inc = service.open("leak", pipe="P-000007", fraction=0.4)
        layer, row = net.locate("V-00033")
        vx, vy = net[layer].geometry.iloc[row].x, net[layer].geometry.iloc[row].y
        now = time.time()
        publisher.send(position_topic("zs", "VT-1"), encode_position("VT-1", now, x=vx + 40, y=vy + 30, seq=1,
                                                                     signer=vt))  # fmt: skip
        lon, lat = _to_wgs84(net.crs, vx - 200, vy + 100)
        publisher.send(position_topic("zs", "RT-1"), encode_position("RT-1", now, lat=lat, lon=lon, seq=1,
                                                                     signer=rt))  # fmt: skip
        publisher.send(position_topic("zs", "VT-2"), encode_position("VT-2", now, x=0.0, y=0.0))  # unsigned
        publisher.send(position_topic("zs", "VT-2"), encode_position("VT-2", now, x=0.0, y=0.0, signer=stranger))
        wait_for(lambda: len(arrived) == 2 and sum(feed.dropped.values()) == 2, what="positions")
        assert feed.dropped == {"unsigned": 1, "unknown_device": 1}
        with lock:
            got = {p.crew_id: p for p in arrived}
        for p in got.values():
            service.crew_position(p)
        vt1, rt1 = service.roster.crew("VT-1"), service.roster.crew("RT-1")
        assert (vt1.x, vt1.y) == pytest.approx((vx + 40, vy + 30))
        assert (rt1.x, rt1.y) == pytest.approx((vx - 200, vy + 100), abs=0.01)
        depot = service.roster.crew("VT-2")
        assert (depot.x, depot.y) != (0.0, 0.0)  # the dropped positions moved nobody
        route = service.dispatch(inc.incident_id, "VT-1")
        assert route is not None and route.straight_m == pytest.approx(50.0, abs=0.01)  # from where it was reported
    finally:
        if publisher is not None:
            publisher.close()
        feed.stop()
        broker.stop()
        service.ledger.close()


def _to_wgs84(crs, x, y):
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
