"""The MQTT topic scheme and reading payload, version 1 (also in ``resources/reading-v1.schema.json``).

Topic (QoS 1, not retained)::

    gasops/v1/<utility>/<sensor_id>/reading

``utility`` names the gas company's feed (letters, digits, ``_`` and ``-``); ``sensor_id`` is the id of a sensor of the
network (it must not contain ``/``, ``+`` or ``#``). The console subscribes to ``gasops/v1/<utility>/+/reading``.

Payload: one UTF-8 JSON object of at most 4096 bytes::

    {"v": 1, "sensor": "S-00004", "ts": "2026-11-22T14:03:55.123Z", "value": 2.31,
     "unit": "kPa", "seq": 1234, "device": "did:key:z6Mk…", "sig": "<base64url, 86 characters>"}

* required: ``v`` (the integer 1), ``sensor`` (the same id as in the topic), ``ts`` (RFC 3339 with a zone),
  ``value`` (a JSON number in the sensor's unit: kPa gauge, Nm3/h, %LEL, degC, %open);
* optional: ``unit`` (if given it must equal the sensor's unit), ``seq`` (the device's counter, an integer >= 0),
  ``device`` (the signing device's ``did:key``), ``sig``;
* no other members, no duplicate members, no NaN/Infinity.

Sequence: ``seq`` counts the device's messages (the signing ``device``, else the sensor); a number already handled is
dropped as ``replayed`` (:class:`~console.telemetry._sequence.SequenceGuard`: a window of recent numbers, a device
restart recognised by newer readings).

Signature: ``sig`` is the unpadded base64url Ed25519 signature of ``b"gasops-reading-v1\\n"`` followed by the RFC 8785
(JCS) canonical JSON of the payload without ``sig``; ``device`` must then be present, registered and allowed to
report the sensor. Signed readings cannot be replayed later: the validator drops readings not newer than the
sensor's newest one.

Decoding never raises: every message becomes a reading or a :class:`DropReason`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from typing import Any

import rfc8785

from console.telemetry._devices import DeviceKeyRegistry, DeviceKeys, DeviceSigner, verify_ed25519
from console.telemetry._sensors import SensorTable
from console.telemetry._sequence import SequenceGuard
from console.telemetry._types import DropReason, iso_utc, parse_time

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "PAYLOAD_FIELDS",
    "REQUIRED_FIELDS",
    "SIGNING_CONTEXT",
    "ReadingDecoder",
    "encode_reading",
    "signing_input",
    "topic_filter",
    "topic_for",
]

MAX_PAYLOAD_BYTES = 4096
REQUIRED_FIELDS = ("v", "sensor", "ts", "value")
PAYLOAD_FIELDS = (*REQUIRED_FIELDS, "unit", "seq", "device", "sig")
SIGNING_CONTEXT = b"gasops-reading-v1\n"
_UTILITY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DEVICE = re.compile(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+\Z")
_SIG = re.compile(r"[A-Za-z0-9_-]{86}\Z")
_ABSENT = object()


def _check_utility(utility: str) -> str:
    if not _UTILITY.match(utility or ""):
        raise ValueError(f"utility {utility!r}: use 1–64 letters, digits, '_' or '-'")
    return utility


def topic_for(utility: str, sensor_id: str) -> str:
    """The topic a sensor's readings are published on."""
    if any(ch in sensor_id for ch in "/+#") or not sensor_id:
        raise ValueError(f"sensor id {sensor_id!r} cannot be a topic level (no '/', '+', '#')")
    return f"gasops/v1/{_check_utility(utility)}/{sensor_id}/reading"


def topic_filter(utility: str) -> str:
    """The subscription that receives every reading of a utility."""
    return f"gasops/v1/{_check_utility(utility)}/+/reading"


def signing_input(payload: dict[str, Any]) -> bytes:
    """The bytes a device signs: the context line and the JCS form of the payload without ``sig``."""
    body = {k: v for k, v in payload.items() if k != "sig"}
    return SIGNING_CONTEXT + rfc8785.dumps(body)


def encode_reading(
    sensor_id: str,
    t: float,
    value: float,
    *,
    unit: str | None = None,
    seq: int | None = None,
    signer: DeviceSigner | None = None,
) -> bytes:
    """A v1 payload (what a device publishes); signed if ``signer`` is given. ``t`` is rounded to milliseconds."""
    payload: dict[str, Any] = {"v": 1, "sensor": sensor_id, "ts": iso_utc(t), "value": value}
    if unit is not None:
        payload["unit"] = unit
    if seq is not None:
        payload["seq"] = int(seq)
    if signer is not None:
        payload["device"] = signer.device_id
        sig = signer.sign(signing_input(payload))
        payload["sig"] = base64.urlsafe_b64encode(sig).rstrip(b"=").decode("ascii")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Malformed(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _Malformed(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Malformed("duplicate member")
    return out


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class ReadingDecoder:
    """Turns (topic, payload) into ``(row, t, value)`` or a :class:`DropReason`; never raises.

    Parameters
    ----------
    sensors
        The network's sensors (ids → rows, units).
    utility
        The topic's utility level to accept.
    registry
        Trusted devices; None trusts none (signed readings are then dropped as ``unknown_device``).
    require_signed
        Drop unsigned readings (``unsigned``).
    max_future_s
        Drop readings stamped more than this ahead of ``clock()`` (None: no check).
    """

    def __init__(
        self,
        sensors: SensorTable,
        utility: str,
        *,
        registry: DeviceKeyRegistry | None = None,
        require_signed: bool = False,
        max_future_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sensors = sensors
        self.utility = _check_utility(utility)
        self.registry = registry
        self.require_signed = require_signed
        self.max_future_s = max_future_s
        self.clock = clock
        self._prefix = f"gasops/v1/{utility}/"
        self._rows_for: tuple[SensorTable, dict[str, int]] | None = None
        self.sequences = SequenceGuard()  # replay protection by the device's ``seq``

    def _row_of(self) -> dict[str, int]:
        """Sensor id → row, rebuilt when :attr:`sensors` is replaced (a dict: one message costs a hash lookup)."""
        cached = self._rows_for
        if cached is None or cached[0] is not self.sensors:
            cached = (self.sensors, {sid: i for i, sid in enumerate(self.sensors.ids.tolist())})
            self._rows_for = cached
        return cached[1]

    def decode(self, topic: str, payload: bytes) -> tuple[int, float, float] | DropReason:
        try:
            return self._decode(topic, payload)
        except Exception:  # a decoder bug must cost one message, not the feed
            return DropReason.MALFORMED

    def _decode(self, topic: str, payload: bytes) -> tuple[int, float, float] | DropReason:
        if not isinstance(topic, str) or not topic.startswith(self._prefix) or not topic.endswith("/reading"):
            return DropReason.BAD_TOPIC
        topic_sensor = topic[len(self._prefix) : -len("/reading")]
        if not topic_sensor or "/" in topic_sensor:
            return DropReason.BAD_TOPIC
        if len(payload) > MAX_PAYLOAD_BYTES:
            return DropReason.MALFORMED
        try:
            obj = json.loads(
                bytes(payload).decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_no_duplicates
            )
        except (_Malformed, ValueError, RecursionError):
            return DropReason.MALFORMED
        if not isinstance(obj, dict) or set(obj) - set(PAYLOAD_FIELDS) or any(k not in obj for k in REQUIRED_FIELDS):
            return DropReason.MALFORMED
        sensor, ts, value = obj["sensor"], obj["ts"], obj["value"]
        if obj["v"] != 1 or not _is_int(obj["v"]) or not isinstance(sensor, str) or not isinstance(ts, str):
            return DropReason.MALFORMED
        if isinstance(value, bool) or not isinstance(value, (int, float)) or len(ts) > 40:
            return DropReason.MALFORMED
        # Optional members are absent or of their type: ``null`` is neither (the schema has no nullable member).
        unit, seq, device, sig = (obj.get(k, _ABSENT) for k in ("unit", "seq", "device", "sig"))
        if (unit is not _ABSENT and not isinstance(unit, str)) or (
            seq is not _ABSENT and not (_is_int(seq) and seq >= 0)
        ):
            return DropReason.MALFORMED
        if (device is not _ABSENT and not (isinstance(device, str) and _DEVICE.match(device))) or (
            sig is not _ABSENT and not (isinstance(sig, str) and _SIG.match(sig))
        ):
            return DropReason.MALFORMED
        if sig is not _ABSENT and device is _ABSENT:
            return DropReason.MALFORMED
        if not sensor or "/" in sensor or "+" in sensor or "#" in sensor:
            return DropReason.MALFORMED
        unit = None if unit is _ABSENT else unit
        sig = None if sig is _ABSENT else sig
        try:
            t = parse_time(ts)
            v = float(value)
        except (ValueError, OverflowError):
            return DropReason.MALFORMED
        if sensor != topic_sensor:
            return DropReason.TOPIC_MISMATCH
        row = self._row_of().get(sensor, -1)
        if row < 0:
            return DropReason.UNKNOWN_SENSOR
        if unit is not None and unit != self.sensors.unit[row]:
            return DropReason.UNIT_MISMATCH
        if sig is None:
            if self.require_signed:
                return DropReason.UNSIGNED
        else:
            reason = self._check_signature(obj, sensor, device, sig)
            if reason is not None:
                return reason
        if self.max_future_s is not None and t > self.clock() + self.max_future_s:
            return DropReason.FUTURE
        if seq is not _ABSENT and not self.sequences.admit(device if device is not _ABSENT else sensor, seq, t):
            return DropReason.REPLAYED
        return row, t, v

    def _check_signature(self, obj: dict[str, Any], sensor: str, device: str, sig: str) -> DropReason | None:
        registry = self.registry
        if registry is None or not registry.may_report(device, sensor):
            return DropReason.UNKNOWN_DEVICE
        key = registry.public_key(device)
        if key is None:
            return DropReason.UNKNOWN_DEVICE
        try:
            raw = base64.b64decode(sig + "=" * (-len(sig) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            return DropReason.BAD_SIGNATURE
        if len(raw) != 64:
            return DropReason.BAD_SIGNATURE
        message = signing_input(obj)
        verifier = registry.verifier(device) if isinstance(registry, DeviceKeys) else None
        if verifier is not None:
            try:
                verifier.verify(raw, message)
            except Exception:
                return DropReason.BAD_SIGNATURE
            return None
        return None if verify_ed25519(key, raw, message) else DropReason.BAD_SIGNATURE
