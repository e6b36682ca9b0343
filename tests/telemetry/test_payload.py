"""The v1 topic scheme and payload: every malformed, mismatched or badly signed message maps to its drop reason,
and a fuzzed payload never raises."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import console.telemetry
from console.telemetry import (
    DeviceKeys,
    DeviceSigner,
    DropReason,
    ReadingDecoder,
    SensorTable,
    encode_reading,
    parse_time,
    signing_input,
    topic_filter,
    topic_for,
)
from console.telemetry._payload import PAYLOAD_FIELDS, REQUIRED_FIELDS

SENSORS = SensorTable.from_arrays(["S-1", "S-2"], ["pressure", "methane"])
T = parse_time("2026-11-22T06:00:00.250Z")
DEVICE = DeviceSigner.from_seed(b"\x07" * 32)
STRANGER = DeviceSigner.from_seed(b"\x08" * 32)


def decoder(**kwargs) -> ReadingDecoder:
    keys = DeviceKeys()
    keys.register(DEVICE.device_id, ["S-1"])
    return ReadingDecoder(SENSORS, "zs", registry=keys, **kwargs)


def payload(**fields) -> bytes:
    base = {"v": 1, "sensor": "S-1", "ts": "2026-11-22T06:00:00.250Z", "value": 2.5}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


TOPIC = "gasops/v1/zs/S-1/reading"


def test_topics():
    assert topic_for("zs", "S-1") == TOPIC
    assert topic_filter("zs") == "gasops/v1/zs/+/reading"
    with pytest.raises(ValueError):
        topic_for("zs", "a/b")
    with pytest.raises(ValueError):
        topic_filter("z s")


def test_a_good_reading_and_its_encoding():
    assert decoder().decode(TOPIC, payload()) == (0, T, 2.5)
    assert decoder().decode("gasops/v1/zs/S-2/reading", encode_reading("S-2", T, 30, unit="%LEL", seq=7)) == (
        1,
        T,
        30.0,
    )
    assert decoder().decode(TOPIC, payload(ts="2026-11-22T14:00:00.250+08:00")) == (0, T, 2.5)


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("gasops/v1/other/S-1/reading", payload(), DropReason.BAD_TOPIC),
        ("gasops/v1/zs/S-1/status", payload(), DropReason.BAD_TOPIC),
        ("gasops/v1/zs/a/b/reading", payload(), DropReason.BAD_TOPIC),
        (TOPIC, b"\xff\xfe", DropReason.MALFORMED),
        (TOPIC, b"not json", DropReason.MALFORMED),
        (TOPIC, b"[1, 2]", DropReason.MALFORMED),
        (TOPIC, b'{"v":1,"sensor":"S-1","ts":"2026-11-22T06:00:00Z","value":NaN}', DropReason.MALFORMED),
        (TOPIC, b'{"v":1,"v":1,"sensor":"S-1","ts":"2026-11-22T06:00:00Z","value":1}', DropReason.MALFORMED),
        (TOPIC, payload(v=2), DropReason.MALFORMED),
        (TOPIC, payload(v=True), DropReason.MALFORMED),
        (TOPIC, payload(value="2.5"), DropReason.MALFORMED),
        (TOPIC, payload(value=True), DropReason.MALFORMED),
        (TOPIC, payload(value=...), DropReason.MALFORMED),
        (TOPIC, payload(ts="2026-11-22T06:00:00"), DropReason.MALFORMED),  # no zone
        (TOPIC, payload(ts="yesterday"), DropReason.MALFORMED),
        (TOPIC, payload(ts=1700000000), DropReason.MALFORMED),
        (TOPIC, payload(seq=-1), DropReason.MALFORMED),
        (TOPIC, payload(extra=1), DropReason.MALFORMED),
        (TOPIC, payload(sig="abc"), DropReason.MALFORMED),  # a signature needs a device
        (TOPIC, b" " * 5000, DropReason.MALFORMED),
        (TOPIC, payload(sensor="S-2"), DropReason.TOPIC_MISMATCH),
        ("gasops/v1/zs/S-9/reading", payload(sensor="S-9"), DropReason.UNKNOWN_SENSOR),
        (TOPIC, payload(unit="MPa"), DropReason.UNIT_MISMATCH),
    ],
)
def test_bad_messages_get_their_reason(topic, body, reason):
    assert decoder().decode(topic, body) == reason


def test_huge_numbers_pass_decoding_and_are_judged_by_the_validator():
    # 1e400 parses as inf: the validator drops it as not finite; an int past float range is malformed
    assert decoder().decode(TOPIC, payload(value=...)[:-1] + b',"value":1e400}')[2] == float("inf")
    assert decoder().decode(TOPIC, payload(value=...)[:-1] + b',"value":' + b"9" * 400 + b"}") == DropReason.MALFORMED


def test_signed_readings():
    d = decoder(require_signed=True)
    good = encode_reading("S-1", T, 2.5, unit="kPa", seq=1, signer=DEVICE)
    assert d.decode(TOPIC, good) == (0, T, 2.5)
    obj = json.loads(good)
    tampered = dict(obj, value=2.6)
    assert d.decode(TOPIC, json.dumps(tampered).encode()) == DropReason.BAD_SIGNATURE
    sig = base64.urlsafe_b64decode(obj["sig"] + "==")
    flipped = dict(obj, sig=base64.urlsafe_b64encode(bytes([sig[0] ^ 1]) + sig[1:]).rstrip(b"=").decode())
    assert d.decode(TOPIC, json.dumps(flipped).encode()) == DropReason.BAD_SIGNATURE
    # the schema's pattern: 86 base64url characters, else the payload is malformed before any key is looked at
    assert d.decode(TOPIC, json.dumps(dict(obj, sig="!!")).encode()) == DropReason.MALFORMED
    assert d.decode(TOPIC, json.dumps(dict(obj, sig=obj["sig"][:-4])).encode()) == DropReason.MALFORMED
    assert d.decode(TOPIC, json.dumps(dict(obj, device="did:key:zQ3s")).encode()) == DropReason.MALFORMED
    assert d.decode(TOPIC, encode_reading("S-1", T, 2.5, signer=STRANGER)) == DropReason.UNKNOWN_DEVICE
    # registered, but not for S-2
    assert d.decode("gasops/v1/zs/S-2/reading", encode_reading("S-2", T, 3, signer=DEVICE)) == DropReason.UNKNOWN_DEVICE
    assert d.decode(TOPIC, payload()) == DropReason.UNSIGNED
    # key order and spacing do not matter: the signature covers the canonical form
    reordered = json.dumps(dict(reversed(list(obj.items()))), indent=2).encode()
    assert decoder(require_signed=True).decode(TOPIC, reordered) == (0, T, 2.5)
    assert d.decode(TOPIC, reordered) == DropReason.REPLAYED  # the same message (seq 1) again: a replay
    assert signing_input(obj).startswith(b"gasops-reading-v1\n{")


def test_future_timestamps_against_the_receivers_clock():
    d = decoder(max_future_s=300.0, clock=lambda: T - 301.0)
    assert d.decode(TOPIC, payload()) == DropReason.FUTURE
    assert decoder(max_future_s=300.0, clock=lambda: T - 299.0).decode(TOPIC, payload()) == (0, T, 2.5)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from([*PAYLOAD_FIELDS, "x"]), json_values, max_size=8).map(
            lambda v: json.dumps(v).encode()
        ),
    ),
    st.sampled_from([TOPIC, "gasops/v1/zs/S-2/reading", "gasops/v1/zs//reading", "x", ""]),
)
def test_fuzzed_payloads_never_raise(body, topic):
    result = decoder().decode(topic, body)
    assert isinstance(result, DropReason) or (isinstance(result, tuple) and len(result) == 3)


def test_the_json_schema_file_describes_the_decoder():
    path = Path(console.telemetry.__file__).parent / "resources" / "reading-v1.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert tuple(schema["required"]) == REQUIRED_FIELDS
    assert set(schema["properties"]) == set(PAYLOAD_FIELDS)
    assert schema["additionalProperties"] is False
    assert schema["dependentRequired"] == {"sig": ["device"]}


@pytest.mark.parametrize("member", ["unit", "seq", "device", "sig", "value", "ts", "sensor", "v"])
def test_null_is_never_a_member_value(member):
    """The schema has no nullable member: ``null`` is malformed, not "absent"."""
    assert decoder().decode(TOPIC, payload(**{member: None})) == DropReason.MALFORMED


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["unit", "seq", "device"]),
        st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5) | st.lists(st.integers(), max_size=2),
        min_size=1,
    )
)
def test_optional_members_are_exactly_typed(extra):
    """An optional member passes only with its schema type (and pattern); everything else is malformed."""

    def fits(key, value):
        if key == "unit":
            return isinstance(value, str)
        if key == "seq":
            return type(value) is int and value >= 0
        return False  # no generated text is a did:key

    result = decoder().decode(TOPIC, payload(**extra))
    ok = all(fits(k, v) for k, v in extra.items())
    if ok:
        assert result == (0, T, 2.5) or result == DropReason.UNIT_MISMATCH
    else:
        assert result == DropReason.MALFORMED


BATCH_TOPIC = "gasops/v1/zs/rtu-1/batch"


def test_a_batch_decodes_to_arrays_and_unknown_sensors_cost_their_reading_only():
    from console.telemetry import BatchDecoder, batch_topic, batch_topic_filter, encode_batch

    assert batch_topic("zs", "rtu-1") == BATCH_TOPIC and batch_topic_filter("zs") == "gasops/v1/zs/+/batch"
    rows, t, v = BatchDecoder(SENSORS, "zs").decode(
        BATCH_TOPIC, encode_batch(["S-2", "X", "S-1"], [T, T, T + 1.5], [1, 2, 3])
    )
    assert rows.tolist() == [1, -1, 0] and t.tolist() == [T, T, T + 1.5] and v.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "change",
    [
        {"value": [1.0, None]},
        {"value": [1.0, True]},
        {"dt_ms": [0, 1.5]},
        {"dt_ms": [0]},
        {"sensor": ["S-1", 2]},
        {"seq": None},
        {"seq": -1},
        {"device": None},
        {"extra": 1},
        {"t0": "2026-01-01T00:00:00"},
        {"dt_ms": [0, 86_400_001]},
        {"v": 2},
    ],
)
def test_a_batch_off_its_schema_is_malformed(change):
    from console.telemetry import BatchDecoder

    body = {"v": 1, "t0": "2026-11-22T06:00:00Z", "sensor": ["S-1", "S-2"], "dt_ms": [0, 1000], "value": [1.0, 2.0]}
    body.update(change)
    assert BatchDecoder(SENSORS, "zs").decode(BATCH_TOPIC, json.dumps(body).encode()) == DropReason.MALFORMED


def test_signed_batches():
    from console.telemetry import BatchDecoder, encode_batch

    keys = DeviceKeys()
    keys.register(DEVICE.device_id, ["S-1", "S-2"])
    d = BatchDecoder(SENSORS, "zs", registry=keys, require_signed=True)
    good = encode_batch(["S-1", "S-2"], [T, T], [1.0, 2.0], seq=3, signer=DEVICE)
    assert d.decode(BATCH_TOPIC, good)[0].tolist() == [0, 1]
    tampered = dict(json.loads(good), value=[1.0, 2.5])
    assert d.decode(BATCH_TOPIC, json.dumps(tampered).encode()) == DropReason.BAD_SIGNATURE
    assert d.decode(BATCH_TOPIC, encode_batch(["S-1"], [T], [1.0])) == DropReason.UNSIGNED
    assert d.decode(BATCH_TOPIC, encode_batch(["S-1"], [T], [1.0], signer=STRANGER)) == DropReason.UNKNOWN_DEVICE
    assert d.decode("gasops/v1/zs/a/b/batch", good) == DropReason.BAD_TOPIC


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.recursive(st.none() | st.integers() | st.text(max_size=5), lambda x: st.lists(x, max_size=3) | st.dictionaries(st.sampled_from(["v", "t0", "sensor", "dt_ms", "value", "seq"]), x, max_size=5), max_leaves=12).map(lambda o: json.dumps(o).encode()))  # fmt: skip
def test_fuzzed_batches_never_raise(body):
    from console.telemetry import BatchDecoder

    result = BatchDecoder(SENSORS, "zs").decode(BATCH_TOPIC, body)
    assert isinstance(result, DropReason) or len(result) == 3
