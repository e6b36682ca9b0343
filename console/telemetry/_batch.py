"""The reading-batch payload, version 1 (``resources/reading-batch-v1.schema.json``): many readings in one message.

A SCADA gateway or RTU concentrator publishes its sensors' readings together, QoS 1, not retained, on::

    gasops/v1/<utility>/<source>/batch

``source`` names the gateway (letters, digits, ``_``, ``-``, ``.``); the console subscribes to
``gasops/v1/<utility>/+/batch``. Payload: one UTF-8 JSON object of at most 8 MiB and 100,000 readings, columns of
equal length::

    {"v": 1, "t0": "2026-11-22T14:03:55.000Z",
     "sensor": ["S-00004", "S-00007", "S-00004"], "dt_ms": [0, 0, 1000], "value": [2.31, 0.0, 2.30],
     "seq": 77, "device": "did:key:z6Mk…", "sig": "<base64url, 86 characters>"}

* required: ``v`` (the integer 1), ``t0`` (RFC 3339 with a zone), ``sensor`` (sensor ids of the network),
  ``dt_ms`` (integers: each reading's time is ``t0`` plus this many milliseconds, -86,400,000 … 86,400,000),
  ``value`` (JSON numbers in each sensor's unit);
* optional: ``seq`` (the gateway's message counter, an integer >= 0), ``device`` (the signing gateway's
  ``did:key``), ``sig``;
* no other members, no duplicate members, no ``null`` anywhere, no NaN/Infinity.

Sequence: ``seq`` counts the gateway's messages (the signing ``device``, else the topic's source); a number already
handled is dropped whole as ``replayed`` (see :mod:`console.telemetry._sequence`).

Signature: ``sig`` is the unpadded base64url Ed25519 signature of ``b"gasops-reading-batch-v1\\n"`` followed by the
RFC 8785 (JCS) canonical JSON of the payload without ``sig``; the device must be registered and allowed to report
every sensor of the batch.

Decoding is vectorised: one ``json.loads`` per message (C), type checks over whole columns, one hash lookup of all
sensor ids (:meth:`SensorTable.rows_of`); a malformed or badly signed message is dropped whole, an unknown sensor
costs its reading only (row -1, counted by the validator). Decoding never raises.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import numpy as np
import rfc8785

from console.telemetry._devices import DeviceKeyRegistry, DeviceKeys, DeviceSigner, verify_ed25519
from console.telemetry._payload import _check_utility, _Malformed, _no_duplicates, _reject_constant
from console.telemetry._sensors import SensorTable
from console.telemetry._sequence import SequenceGuard
from console.telemetry._types import DropReason, iso_utc, parse_time

__all__ = [
    "BATCH_FIELDS",
    "BATCH_SIGNING_CONTEXT",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_READINGS",
    "BatchDecoder",
    "batch_signing_input",
    "batch_topic",
    "batch_topic_filter",
    "encode_batch",
]

MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_BATCH_READINGS = 100_000
MAX_DT_MS = 86_400_000
BATCH_REQUIRED = ("v", "t0", "sensor", "dt_ms", "value")
BATCH_FIELDS = (*BATCH_REQUIRED, "seq", "device", "sig")
BATCH_SIGNING_CONTEXT = b"gasops-reading-batch-v1\n"
_SOURCE = re.compile(r"[A-Za-z0-9_.-]{1,128}\Z")
_DEVICE = re.compile(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+\Z")
_SIG = re.compile(r"[A-Za-z0-9_-]{86}\Z")
_NUMBER_TYPES = frozenset({int, float})


def batch_topic(utility: str, source: str) -> str:
    """The topic a gateway publishes its batches on."""
    if not _SOURCE.match(source or ""):
        raise ValueError(f"batch source {source!r}: use 1–128 letters, digits, '_', '-' or '.'")
    return f"gasops/v1/{_check_utility(utility)}/{source}/batch"


def batch_topic_filter(utility: str) -> str:
    """The subscription that receives every batch of a utility."""
    return f"gasops/v1/{_check_utility(utility)}/+/batch"


def batch_signing_input(payload: dict[str, Any]) -> bytes:
    """The bytes a gateway signs: the context line and the JCS form of the payload without ``sig``."""
    return BATCH_SIGNING_CONTEXT + rfc8785.dumps({k: v for k, v in payload.items() if k != "sig"})


def encode_batch(sensor_ids, t, values, *, seq: int | None = None, signer: DeviceSigner | None = None) -> bytes:
    """A v1 batch payload (what a gateway publishes) of readings at epoch times ``t`` (rounded to milliseconds).

    >>> json.loads(encode_batch(["S-1", "S-2"], [60.0, 61.5], [2.5, 3]))["dt_ms"]
    [0, 1500]
    """
    t = np.asarray(t, dtype=np.float64)
    t_ms = np.round(t * 1000.0).astype(np.int64)
    t0_ms = int(t_ms.min()) if len(t_ms) else 0
    payload: dict[str, Any] = {
        "v": 1,
        "t0": iso_utc(t0_ms / 1000.0),
        "sensor": [str(s) for s in sensor_ids],
        "dt_ms": (t_ms - t0_ms).tolist(),
        "value": [float(v) for v in values],
    }
    if seq is not None:
        payload["seq"] = int(seq)
    if signer is not None:
        payload["device"] = signer.device_id
        sig = signer.sign(batch_signing_input(payload))
        payload["sig"] = base64.urlsafe_b64encode(sig).rstrip(b"=").decode("ascii")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class BatchDecoder:
    """Turns (topic, payload) of a batch into ``(rows, t, value)`` arrays or a :class:`DropReason`; never raises.

    Parameters are those of :class:`ReadingDecoder` (without the clock: skew is judged by the validator).
    """

    def __init__(
        self,
        sensors: SensorTable,
        utility: str,
        *,
        registry: DeviceKeyRegistry | None = None,
        require_signed: bool = False,
    ) -> None:
        self.sensors = sensors
        self.utility = _check_utility(utility)
        self.registry = registry
        self.require_signed = require_signed
        self._prefix = f"gasops/v1/{utility}/"
        self.sequences = SequenceGuard()  # replay protection by the gateway's ``seq``

    def decode(self, topic: str, payload: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | DropReason:
        try:
            return self._decode(topic, payload)
        except Exception:  # a decoder bug must cost one message, not the feed
            return DropReason.MALFORMED

    def _decode(self, topic: str, payload: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | DropReason:
        if not isinstance(topic, str) or not topic.startswith(self._prefix) or not topic.endswith("/batch"):
            return DropReason.BAD_TOPIC
        if not _SOURCE.match(topic[len(self._prefix) : -len("/batch")]):
            return DropReason.BAD_TOPIC
        if len(payload) > MAX_BATCH_BYTES:
            return DropReason.MALFORMED
        try:
            obj = json.loads(
                bytes(payload).decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_no_duplicates
            )
        except (_Malformed, ValueError, RecursionError):
            return DropReason.MALFORMED
        if not isinstance(obj, dict) or set(obj) - set(BATCH_FIELDS) or any(k not in obj for k in BATCH_REQUIRED):
            return DropReason.MALFORMED
        v, t0, sensors, dt, values = (obj[k] for k in BATCH_REQUIRED)
        if type(v) is not int or v != 1 or not isinstance(t0, str) or len(t0) > 40:
            return DropReason.MALFORMED
        if not (isinstance(sensors, list) and isinstance(dt, list) and isinstance(values, list)):
            return DropReason.MALFORMED
        n = len(sensors)
        if not (len(dt) == len(values) == n) or n > MAX_BATCH_READINGS:
            return DropReason.MALFORMED
        # whole columns at once: bool is its own type, so ``true`` is not a number here, and ``null`` is NoneType
        if n and (
            set(map(type, sensors)) != {str}
            or set(map(type, dt)) != {int}
            or not set(map(type, values)) <= _NUMBER_TYPES
        ):
            return DropReason.MALFORMED
        if "seq" in obj and not (type(obj["seq"]) is int and obj["seq"] >= 0):
            return DropReason.MALFORMED
        device, sig = obj.get("device", None), obj.get("sig", None)
        if ("device" in obj and not (isinstance(device, str) and _DEVICE.match(device))) or (
            "sig" in obj and not (isinstance(sig, str) and _SIG.match(sig))
        ):
            return DropReason.MALFORMED
        if "sig" in obj and "device" not in obj:
            return DropReason.MALFORMED
        try:
            base = parse_time(t0)
            dt_ms = np.array(dt, dtype=np.int64)
            value = np.array(values, dtype=np.float64)
        except (ValueError, OverflowError, TypeError):
            return DropReason.MALFORMED
        if n and (np.abs(dt_ms).max() > MAX_DT_MS or not np.isfinite(value).all()):
            return DropReason.MALFORMED
        if sig is None:
            if self.require_signed:
                return DropReason.UNSIGNED
        else:
            reason = self._check_signature(obj, sensors, device, sig)
            if reason is not None:
                return reason
        rows = self.sensors.rows_of(sensors) if n else np.empty(0, np.int32)
        t = (np.round(base * 1000.0) + dt_ms) / 1000.0
        if "seq" in obj and n:
            source = device if device is not None else topic[len(self._prefix) : -len("/batch")]
            if not self.sequences.admit(source, obj["seq"], float(t.max())):
                return DropReason.REPLAYED
        return rows, t, value

    def _check_signature(self, obj: dict[str, Any], sensors: list[str], device: str, sig: str) -> DropReason | None:
        registry = self.registry
        if registry is None or registry.public_key(device) is None:
            return DropReason.UNKNOWN_DEVICE
        if not all(registry.may_report(device, s) for s in set(sensors)):
            return DropReason.UNKNOWN_DEVICE
        try:
            raw = base64.b64decode(sig + "=" * (-len(sig) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            return DropReason.BAD_SIGNATURE
        message = batch_signing_input(obj)
        verifier = registry.verifier(device) if isinstance(registry, DeviceKeys) else None
        if verifier is not None:
            try:
                verifier.verify(raw, message)
            except Exception:
                return DropReason.BAD_SIGNATURE
            return None
        return None if verify_ed25519(registry.public_key(device), raw, message) else DropReason.BAD_SIGNATURE
