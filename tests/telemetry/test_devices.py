"""base58btc, did:key for Ed25519 (published vectors), device registry and signatures."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.telemetry import (
    DeviceKeyRegistry,
    DeviceKeys,
    DeviceSigner,
    b58decode,
    b58encode,
    did_key_from_public_key,
    public_key_from_did_key,
)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", ""),
        (b"\x00", "1"),
        (b"\x00\x00\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),  # leading zeros kept as '1's (Bitcoin base58 vectors)
        (b"\xff" * 4, "7YXq9G"),
    ],
)
def test_base58_vectors(raw, text):
    assert b58encode(raw) == text
    assert b58decode(text) == raw


@given(st.binary(max_size=64))
def test_base58_round_trip(raw):
    assert b58decode(b58encode(raw)) == raw


def test_base58_rejects_characters_outside_the_alphabet():
    for bad in ("0", "O", "I", "l", "z+"):
        with pytest.raises(ValueError, match="not a base58btc character"):
            b58decode(bad)


def test_did_key_published_vectors():
    # W3C CCG did:key test vector (Ed25519VerificationKey2018 with publicKeyBase58)
    did = "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"
    assert public_key_from_did_key(did) == b58decode("8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K")
    assert did_key_from_public_key(public_key_from_did_key(did)) == did
    # a full key pair: 32-byte seed → public key (JWK x) → did:key (transmute did-key-ed25519 example)
    signer = DeviceSigner.from_seed(bytes.fromhex("4f66b355aa7b0980ff901f2295b9c562ac3061be4df86703eb28c612faae6578"))
    assert signer.device_id == "did:key:z6Mkk7yqnGF3YwTrLpqrW6PGsKci7dNqh1CjnvMbzrMerSeL"
    x = base64.urlsafe_b64decode("VDXDwuGKVq91zxU6q7__jLDUq8_C5cuxECgd-1feFTE=")
    assert public_key_from_did_key(signer.device_id) == x


def test_did_key_rejects_other_keys_and_methods():
    with pytest.raises(ValueError, match="not a did:key"):
        public_key_from_did_key("did:web:example.com")
    with pytest.raises(ValueError, match="not an Ed25519 did:key"):
        public_key_from_did_key("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")  # secp256k1 (0xe7)
    with pytest.raises(ValueError, match="32 bytes"):
        did_key_from_public_key(b"\x01" * 31)


def test_registry_scopes_devices_to_sensors():
    a, b = DeviceSigner.from_seed(b"\x01" * 32), DeviceSigner.from_seed(b"\x02" * 32)
    keys = DeviceKeys()
    keys.register(a.device_id, ["S1"])
    keys.register(b.device_id)
    assert isinstance(keys, DeviceKeyRegistry)
    assert keys.may_report(a.device_id, "S1") and not keys.may_report(a.device_id, "S2")
    assert keys.may_report(b.device_id, "anything")
    assert keys.public_key(a.device_id) == public_key_from_did_key(a.device_id)
    keys.revoke(b.device_id)
    assert keys.public_key(b.device_id) is None and not keys.may_report(b.device_id, "S1")
