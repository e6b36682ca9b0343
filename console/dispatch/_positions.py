"""Crew positions over MQTT (抢修队伍定位), the same broker path as the sensors' readings.

A crew's vehicle tracker publishes (QoS 1, not retained) on::

    gasops/v1/<utility>/<crew_id>/position

one UTF-8 JSON object of at most 4096 bytes::

    {"v": 1, "crew": "VT-1", "ts": "2026-03-01T08:12:03.500Z", "x": 404180.2, "y": 3320511.9,
     "seq": 17, "device": "did:key:z6Mk…", "sig": "<base64url, 86 characters>"}

* required: ``v`` (the integer 1), ``crew`` (the same id as in the topic), ``ts`` (RFC 3339 with a zone), and the
  position: ``x`` and ``y`` in the network's coordinate system, or ``lat`` and ``lon`` (WGS 84 degrees);
* optional: ``seq`` (the tracker's counter, an integer >= 0; a number already seen is dropped as replayed),
  ``device`` (the signing tracker's ``did:key``) and ``sig``;
* no other members, no duplicate members, no NaN/Infinity.

Signed like a reading (:mod:`console.telemetry`): ``sig`` is the unpadded base64url Ed25519 signature of
``b"gasops-crew-position-v1\\n"`` followed by the RFC 8785 (JCS) canonical JSON of the payload without ``sig``; the
``device`` must be registered in the device key registry and allowed to report the crew id (the registry's sensor
list names crews too). With ``require_signed`` an unsigned position is dropped.

Decoding never raises: every message becomes a :class:`CrewPosition` or a drop reason (a short string, counted).
:class:`CrewPositionFeed` is an :class:`console.telemetry.MqttFeed` (the same connection handling: QoS 1, persistent
session, back-off, TLS and credentials) subscribed to the position topics, handing each position to a callback —
:meth:`console.app.incidents.IncidentService.crew_position` moves the crew on the board and its routes.

>>> p = PositionDecoder({"VT-1"}, "demo").decode("gasops/v1/demo/VT-1/position",
...     b'{"v":1,"crew":"VT-1","ts":"2026-03-01T08:00:00Z","x":10.5,"y":20}')
>>> (p.crew_id, p.x, p.y, p.t)
('VT-1', 10.5, 20.0, 1772352000.0)
>>> PositionDecoder({"VT-1"}, "demo").decode("gasops/v1/demo/VT-9/position", b'{"v":1}')
'malformed'
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from console.telemetry import DeviceKeyRegistry, DeviceSigner, MqttFeed, iso_utc, parse_time

__all__ = [
    "POSITION_CONTEXT",
    "CrewPosition",
    "CrewPositionFeed",
    "PositionDecoder",
    "encode_position",
    "position_topic",
    "position_topic_filter",
]

POSITION_CONTEXT = b"gasops-crew-position-v1\n"
MAX_BYTES = 4096
_FIELDS = {"v", "crew", "ts", "x", "y", "lat", "lon", "seq", "device", "sig"}
_UTILITY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DEVICE = re.compile(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+\Z")
_SIG = re.compile(r"[A-Za-z0-9_-]{86}\Z")

# Drop reasons (counted by the feed, never raised)
MALFORMED, UNKNOWN_CREW, UNSIGNED, UNKNOWN_DEVICE, BAD_SIGNATURE, REPLAYED, STALE = (
    "malformed", "unknown_crew", "unsigned", "unknown_device", "bad_signature", "replayed", "stale",
)  # fmt: skip


@dataclass(frozen=True)
class CrewPosition:
    """One decoded position: the crew, epoch seconds, and either x/y (network CRS) or lat/lon (WGS 84)."""

    crew_id: str
    t: float
    x: float | None = None
    y: float | None = None
    lat: float | None = None
    lon: float | None = None
    device: str = ""

    def message(self) -> dict:
        """What :meth:`IncidentService.crew_position` takes."""
        out: dict[str, Any] = {"crew_id": self.crew_id, "time": iso_utc(self.t)}
        if self.x is not None:
            out |= {"x": self.x, "y": self.y}
        else:
            out |= {"lat": self.lat, "lon": self.lon}
        return out


def _check_utility(utility: str) -> str:
    if not _UTILITY.match(utility or ""):
        raise ValueError(f"utility {utility!r}: use 1–64 letters, digits, '_' or '-'")
    return utility


def position_topic(utility: str, crew_id: str) -> str:
    if not crew_id or any(ch in crew_id for ch in "/+#"):
        raise ValueError(f"crew id {crew_id!r} cannot be a topic level (no '/', '+', '#')")
    return f"gasops/v1/{_check_utility(utility)}/{crew_id}/position"


def position_topic_filter(utility: str) -> str:
    return f"gasops/v1/{_check_utility(utility)}/+/position"


def _signing_input(payload: dict) -> bytes:
    return POSITION_CONTEXT + rfc8785.dumps({k: v for k, v in payload.items() if k != "sig"})


def encode_position(crew_id: str, t: float, *, x: float | None = None, y: float | None = None,
                    lat: float | None = None, lon: float | None = None, seq: int | None = None,
                    signer: DeviceSigner | None = None) -> bytes:  # fmt: skip
    """A v1 position payload (what a tracker publishes); signed if ``signer`` is given."""
    payload: dict[str, Any] = {"v": 1, "crew": crew_id, "ts": iso_utc(t)}
    if x is not None and y is not None:
        payload |= {"x": float(x), "y": float(y)}
    elif lat is not None and lon is not None:
        payload |= {"lat": float(lat), "lon": float(lon)}
    else:
        raise ValueError("a position needs x and y, or lat and lon")
    if seq is not None:
        payload["seq"] = int(seq)
    if signer is not None:
        payload["device"] = signer.device_id
        payload["sig"] = base64.urlsafe_b64encode(signer.sign(_signing_input(payload))).rstrip(b"=").decode("ascii")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate member {k!r}")
        out[k] = v
    return out


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


class PositionDecoder:
    """Decode position messages for the crews ``crews`` (ids, or a callable answering whether an id is a crew)."""

    def __init__(self, crews: Iterable[str] | Callable[[str], bool], utility: str, *,
                 registry: DeviceKeyRegistry | None = None, require_signed: bool = False) -> None:  # fmt: skip
        self.utility = _check_utility(utility)
        if callable(crews):
            self._is_crew = crews
        else:
            known = set(crews)
            self._is_crew = known.__contains__
        self.registry, self.require_signed = registry, require_signed
        self._prefix, self._suffix = f"gasops/v1/{utility}/", "/position"
        self._seq: dict[str, int] = {}
        self._newest: dict[str, float] = {}

    def decode(self, topic: str, payload: bytes) -> CrewPosition | str:
        try:
            return self._decode(topic, payload)
        except Exception:  # total: whatever arrives is a drop, never a traceback in the network thread
            return MALFORMED

    def _decode(self, topic: str, payload: bytes) -> CrewPosition | str:
        if not (topic.startswith(self._prefix) and topic.endswith(self._suffix)) or len(payload) > MAX_BYTES:
            return MALFORMED
        crew = topic[len(self._prefix) : -len(self._suffix)]
        try:
            obj = json.loads(payload.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except (UnicodeDecodeError, ValueError):
            return MALFORMED
        if not isinstance(obj, dict) or set(obj) - _FIELDS or obj.get("v") != 1 or type(obj.get("v")) is not int:
            return MALFORMED
        if obj.get("crew") != crew or not isinstance(obj.get("ts"), str):
            return MALFORMED
        try:
            t = parse_time(obj["ts"])
        except Exception:
            return MALFORMED
        has_xy, has_ll = "x" in obj or "y" in obj, "lat" in obj or "lon" in obj
        if has_xy == has_ll:
            return MALFORMED
        if has_xy:
            x, y = _number(obj.get("x")), _number(obj.get("y"))
            if x is None or y is None:
                return MALFORMED
            lat = lon = None
        else:
            lat, lon = _number(obj.get("lat")), _number(obj.get("lon"))
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return MALFORMED
            x = y = None
        seq = obj.get("seq")
        if seq is not None and (type(seq) is not int or seq < 0):
            return MALFORMED
        device, sig = obj.get("device"), obj.get("sig")
        if (device is None) != (sig is None):
            return MALFORMED if device is None else UNSIGNED
        if device is not None and (not isinstance(device, str) or not _DEVICE.match(device)
                                   or not isinstance(sig, str) or not _SIG.match(sig)):  # fmt: skip
            return MALFORMED
        if not self._is_crew(crew):
            return UNKNOWN_CREW
        if sig is None:
            if self.require_signed:
                return UNSIGNED
        else:
            reason = self._check_signature(obj, crew, device, sig)
            if reason is not None:
                return reason
        who = device or crew
        if seq is not None:
            if seq <= self._seq.get(who, -1) and t <= self._newest.get(who, -math.inf):
                return REPLAYED
            self._seq[who] = seq
        if t <= self._newest.get(crew, -math.inf):
            return STALE  # not newer than the crew's newest position
        self._newest[crew] = t
        if who != crew:
            self._newest[who] = max(t, self._newest.get(who, -math.inf))
        return CrewPosition(crew, t, x, y, lat, lon, device or "")

    def _check_signature(self, obj: dict, crew: str, device: str, sig: str) -> str | None:
        registry = self.registry
        if registry is None or not registry.may_report(device, crew):
            return UNKNOWN_DEVICE
        key = registry.public_key(device)
        if key is None:
            return UNKNOWN_DEVICE
        try:
            raw = base64.b64decode(sig + "=" * (-len(sig) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            return BAD_SIGNATURE
        if len(raw) != 64:
            return BAD_SIGNATURE
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(raw, _signing_input(obj))
        except (InvalidSignature, ValueError):
            return BAD_SIGNATURE
        return None


class CrewPositionFeed(MqttFeed):
    """Crew positions from the MQTT broker the sensors publish to (see the module doc).

    ``on_position(CrewPosition)`` is called in the MQTT network thread for every accepted position (keep it short:
    hand it to the GUI thread); ``dropped`` counts what was dropped, by reason. The other parameters are
    :class:`console.telemetry.MqttFeed`'s (host, port, utility, registry, require_signed, credentials, TLS …); the
    client id defaults to ``gasops-console-<utility>-crews`` (its own broker session beside the readings')."""

    def __init__(self, crews: Iterable[str] | Callable[[str], bool], on_position: Callable[[CrewPosition], Any], *,
                 utility: str = "demo", registry: DeviceKeyRegistry | None = None, require_signed: bool = False,
                 client_id: str | None = None, **mqtt: Any) -> None:  # fmt: skip
        super().__init__(_no_sensors(), utility=utility,
                         registry=registry, require_signed=require_signed,
                         client_id=client_id or f"gasops-console-{utility}-crews", **mqtt)  # fmt: skip
        self.positions = PositionDecoder(crews, utility, registry=registry, require_signed=require_signed)
        self.topics = (position_topic_filter(utility),)
        self.on_position = on_position
        self.dropped: dict[str, int] = {}
        self.accepted = 0

    def decode_message(self, topic: str, payload: bytes):
        self.counters.add_received(1)
        result = self.positions.decode(topic, payload)
        if isinstance(result, str):
            self.dropped[result] = self.dropped.get(result, 0) + 1
            return None
        self.accepted += 1
        try:
            self.on_position(result)
        except Exception:  # a failing consumer must not stop the network thread
            self.dropped["consumer_error"] = self.dropped.get("consumer_error", 0) + 1
        return None  # nothing for the readings' pipeline


def _no_sensors():
    """An empty sensor table (the position feed hands no readings over)."""
    from console.network import GasNetwork
    from console.telemetry import SensorTable

    return SensorTable.from_network(GasNetwork({}, name="crews"))
