"""Device identities and signatures: Ed25519 keys named as ``did:key`` DIDs, and the registry of trusted devices.

A device id is ``did:key:z`` + base58btc(0xed 0x01 + the 32-byte Ed25519 public key): the multicodec prefix 0xed01
(varint of 0xed) marks an Ed25519 public key, and ``z`` is the multibase prefix of base58btc, so every such id starts
``did:key:z6Mk``. The id carries the key, but a reading is trusted only if its device is *registered*
(:class:`DeviceKeyRegistry`): a did:key proves who signed, registration says we believe that device.

The registry is an interface so that the ledger's device registry can back it later; :class:`DeviceKeys` is the
in-memory one used by default and in tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "DeviceKeyRegistry",
    "DeviceKeys",
    "DeviceSigner",
    "b58decode",
    "b58encode",
    "did_key_from_public_key",
    "public_key_from_did_key",
    "verify_ed25519",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub as an unsigned varint
_DID_PREFIX = "did:key:z"


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet, as multibase base58btc): leading zero bytes become '1'.

    >>> b58encode(b"hello world")
    'StV1DL6CwTryKyV'
    >>> b58encode(b"\\x00\\x00\\x01")
    '112'
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ValueError for characters outside the alphabet."""
    n = 0
    for ch in text:
        try:
            n = n * 58 + _INDEX[ch]
        except KeyError:
            raise ValueError(f"{ch!r} is not a base58btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def did_key_from_public_key(public_key: bytes | Ed25519PublicKey) -> str:
    """The ``did:key`` of a raw 32-byte Ed25519 public key (or key object)."""
    if isinstance(public_key, Ed25519PublicKey):
        public_key = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
    return _DID_PREFIX + b58encode(_ED25519_PUB + bytes(public_key))


def public_key_from_did_key(did: str) -> bytes:
    """The raw Ed25519 public key inside a ``did:key``; ValueError if it is not an Ed25519 did:key."""
    if not isinstance(did, str) or not did.startswith(_DID_PREFIX):
        raise ValueError(f"{did!r} is not a did:key with a base58btc ('z') multibase value")
    raw = b58decode(did[len(_DID_PREFIX) :])
    if raw[:2] != _ED25519_PUB or len(raw) != 34:
        raise ValueError(f"{did!r} is not an Ed25519 did:key (multicodec 0xed01 and 32 key bytes)")
    return raw[2:]


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@runtime_checkable
class DeviceKeyRegistry(Protocol):
    """Where the console looks up which devices it trusts (the ledger's device registry can implement this)."""

    def public_key(self, device_id: str) -> bytes | None:
        """The registered raw Ed25519 public key of ``device_id``, or None if the device is not registered."""
        ...

    def may_report(self, device_id: str, sensor_id: str) -> bool:
        """Whether the registered device is allowed to sign readings of ``sensor_id``."""
        ...


class DeviceKeys:
    """An in-memory :class:`DeviceKeyRegistry` (thread-safe; verifying key objects are cached)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._sensors: dict[str, frozenset[str] | None] = {}
        self._verifiers: dict[str, Ed25519PublicKey] = {}

    def register(self, device_id: str, sensors: Iterable[str] | None = None) -> None:
        """Trust ``device_id`` (a did:key) for ``sensors`` (None: for any sensor)."""
        key = public_key_from_did_key(device_id)
        with self._lock:
            self._keys[device_id] = key
            self._sensors[device_id] = None if sensors is None else frozenset(sensors)
            self._verifiers[device_id] = Ed25519PublicKey.from_public_bytes(key)

    def revoke(self, device_id: str) -> None:
        with self._lock:
            self._keys.pop(device_id, None)
            self._sensors.pop(device_id, None)
            self._verifiers.pop(device_id, None)

    def public_key(self, device_id: str) -> bytes | None:
        return self._keys.get(device_id)

    def may_report(self, device_id: str, sensor_id: str) -> bool:
        allowed = self._sensors.get(device_id)
        return device_id in self._keys and (allowed is None or sensor_id in allowed)

    def verifier(self, device_id: str) -> Ed25519PublicKey | None:
        return self._verifiers.get(device_id)

    def __len__(self) -> int:
        return len(self._keys)


class DeviceSigner:
    """A device's signing key (what a field device or a test publisher holds)."""

    def __init__(self, private_key: Ed25519PrivateKey | None = None) -> None:
        self.private_key = private_key or Ed25519PrivateKey.generate()
        self.device_id = did_key_from_public_key(self.private_key.public_key())

    @classmethod
    def from_seed(cls, seed: bytes) -> DeviceSigner:
        """Deterministic key from a 32-byte seed (RFC 8032 private key)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)
