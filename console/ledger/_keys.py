"""Ed25519 identities: signing keys, ``did:key`` ids and passphrase-encrypted key files.

Key files (``*.key.json``) hold the private key encrypted at rest: scrypt (RFC 7914, N=2**15, r=8, p=1 by default,
16-byte random salt) derives a 256-bit key that encrypts the 32-byte Ed25519 seed with AES-256-GCM (12-byte random
nonce). The public part (name, role, public key, KDF parameters) is the GCM associated data, so a file whose header was
edited no longer decrypts. Writes are atomic (:mod:`console.atomic`) and the file mode is 0600. The
passphrase and the seed are never logged or written anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import base58
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from console.atomic import atomic_write_bytes
from console.ledger._canonical import b64, canonical_json, unb64
from console.ledger._errors import KeyFileError, LedgerError

__all__ = [
    "SigningKey",
    "did_key_from_public",
    "public_from_did_key",
    "verify_ed25519",
    "save_key_file",
    "load_key_file",
    "read_key_file_public",
    "save_secret_file",
    "load_secret_file",
]

_MULTICODEC_ED25519 = b"\xed\x01"  # multicodec ed25519-pub (0xed) as an unsigned varint
_KEY_FILE_FORMAT = "gasops-ledger-key/v1"


@lru_cache(maxsize=4096)
def did_key_from_public(public_key: bytes) -> str:
    """``did:key`` of an Ed25519 public key: multibase base58btc ('z') of 0xed 0x01 ‖ key."""
    if len(public_key) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, got {len(public_key)}")
    return "did:key:z" + base58.b58encode(_MULTICODEC_ED25519 + public_key).decode("ascii")


@lru_cache(maxsize=65536)
def public_from_did_key(did: str) -> bytes:
    """The 32-byte Ed25519 public key inside a ``did:key`` (raises ValueError naming what is wrong)."""
    if not isinstance(did, str) or not did.startswith("did:key:z"):
        raise ValueError(f"{did!r} is not a base58btc did:key")
    try:
        raw = base58.b58decode(did[len("did:key:z") :])
    except ValueError as exc:
        raise ValueError(f"{did!r}: bad base58") from exc
    if raw[:2] != _MULTICODEC_ED25519 or len(raw) != 34:
        raise ValueError(f"{did!r} is not an Ed25519 did:key (multicodec 0xed01, 32-byte key)")
    return raw[2:]


@lru_cache(maxsize=65536)
def _public_key_object(public_key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key)


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    try:
        _public_key_object(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, eq=False)
class SigningKey:
    """An unlocked Ed25519 private key with a name (``role``: organisation, operator, witness or device)."""

    name: str
    private: Ed25519PrivateKey
    role: str = "operator"

    @classmethod
    def generate(cls, name: str, role: str = "operator") -> SigningKey:
        return cls(name, Ed25519PrivateKey.generate(), role)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, role: str = "operator") -> SigningKey:
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed), role)

    @property
    def public_key(self) -> bytes:
        return _public_bytes(self)

    @property
    def did(self) -> str:
        return did_key_from_public(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(name={self.name!r}, role={self.role!r}, did={self.did!r})"


@lru_cache(maxsize=1024)
def _public_bytes(key: SigningKey) -> bytes:
    return key.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _seed(key: SigningKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _kdf(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def save_key_file(path: str | Path, key: SigningKey, passphrase: str, *, scrypt_n: int = 2**15) -> Path:
    """Write ``key`` encrypted under ``passphrase`` (scrypt + AES-256-GCM) atomically to ``path``."""
    if not passphrase:
        raise LedgerError(f"{path}: refusing to write a key file with an empty passphrase")
    path = Path(path)
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {
        "format": _KEY_FILE_FORMAT,
        "name": key.name,
        "role": key.role,
        "public_key": b64(key.public_key),
        "did": key.did,
        "kdf": {"alg": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": b64(salt)},
        "cipher": {"alg": "AES-256-GCM", "nonce": b64(nonce)},
    }
    ciphertext = AESGCM(_kdf(passphrase, salt, scrypt_n, 8, 1)).encrypt(nonce, _seed(key), canonical_json(header))
    text = json.dumps({**header, "ciphertext": b64(ciphertext)}, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"), mode=0o600)  # created 0600: never readable by others
    return path


def read_key_file_public(path: str | Path) -> dict:
    """The unencrypted header of a key file (name, role, public key, did)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(path, f"cannot read key file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != _KEY_FILE_FORMAT:
        raise KeyFileError(path, f"not a {_KEY_FILE_FORMAT} key file")
    return doc


def load_key_file(path: str | Path, passphrase: str) -> SigningKey:
    """Decrypt a key file; a wrong passphrase or an edited file raises :class:`KeyFileError`."""
    doc = read_key_file_public(path)
    try:
        header = {k: doc[k] for k in ("format", "name", "role", "public_key", "did", "kdf", "cipher")}
        kdf = header["kdf"]
        if kdf.get("alg") != "scrypt" or header["cipher"].get("alg") != "AES-256-GCM":
            raise KeyFileError(path, "unsupported KDF or cipher")
        key = _kdf(passphrase, unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        seed = AESGCM(key).decrypt(unb64(header["cipher"]["nonce"]), unb64(doc["ciphertext"]), canonical_json(header))
    except InvalidTag as exc:
        raise KeyFileError(path, "wrong passphrase or damaged key file") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(path, f"malformed key file: {exc}") from exc
    signing = SigningKey.from_seed(header["name"], seed, header["role"])
    if signing.public_key != unb64(header["public_key"]):
        raise KeyFileError(path, "decrypted key does not match the public key in the file")
    return signing


_SECRET_FILE_FORMAT = "gasops-ledger-secret/v1"


def save_secret_file(path: str | Path, secret: bytes, passphrase: str, *, purpose: str, scrypt_n: int = 2**15) -> Path:
    """Write a symmetric ``secret`` (e.g. the personal-data digest key) encrypted like a key file (scrypt +
    AES-256-GCM, header as associated data), atomically and mode 0600."""
    if not passphrase:
        raise LedgerError(f"{path}: refusing to write a secret file with an empty passphrase")
    path = Path(path)
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {
        "format": _SECRET_FILE_FORMAT,
        "purpose": purpose,
        "kdf": {"alg": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": b64(salt)},
        "cipher": {"alg": "AES-256-GCM", "nonce": b64(nonce)},
    }
    ciphertext = AESGCM(_kdf(passphrase, salt, scrypt_n, 8, 1)).encrypt(nonce, secret, canonical_json(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps({**header, "ciphertext": b64(ciphertext)}, indent=2).encode(), mode=0o600)
    return path


def load_secret_file(path: str | Path, passphrase: str) -> bytes:
    """Decrypt a secret file; a wrong passphrase or an edited file raises :class:`KeyFileError`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(path, f"cannot read secret file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != _SECRET_FILE_FORMAT:
        raise KeyFileError(path, f"not a {_SECRET_FILE_FORMAT} file")
    try:
        header = {k: doc[k] for k in ("format", "purpose", "kdf", "cipher")}
        kdf = header["kdf"]
        if kdf.get("alg") != "scrypt" or header["cipher"].get("alg") != "AES-256-GCM":
            raise KeyFileError(path, "unsupported KDF or cipher")
        key = _kdf(passphrase, unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        return AESGCM(key).decrypt(unb64(header["cipher"]["nonce"]), unb64(doc["ciphertext"]), canonical_json(header))
    except InvalidTag as exc:
        raise KeyFileError(path, "wrong passphrase or damaged secret file") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KeyFileError(path, f"malformed secret file: {exc}") from exc


def key_fingerprint(public_key: bytes) -> str:
    """Short hex fingerprint for display (first 8 bytes of SHA-256 of the public key)."""
    return hashlib.sha256(public_key).hexdigest()[:16]
