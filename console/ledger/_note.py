"""C2SP signed notes, tlog checkpoints and tlog cosignatures (Ed25519).

- signed-note: text ending in a newline, a blank line, then signature lines ``— <name> base64(keyID ‖ sig)``;
  Ed25519 key ID = ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey)[:4]``; verifier keys ``name+hex(keyID)+base64(0x01 ‖ pubkey)``.
  Signatures from unknown keys are ignored; a known key whose signature fails rejects the whole note.
- tlog-checkpoint: origin line, decimal tree size, base64 root hash, optional non-empty extension lines.
- tlog-cosignature v1: key ID with type byte 0x04; the signature is ``u64 timestamp (big-endian) ‖ Ed25519 sig`` over
  ``"cosignature/v1\\n" + "time <ts>\\n" + checkpoint note text``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from console.ledger._canonical import b64, unb64
from console.ledger._errors import NoteError, SignatureError
from console.ledger._keys import SigningKey, verify_ed25519
from console.ledger._merkle import HASH_SIZE

__all__ = [
    "SIG_ED25519",
    "SIG_COSIGNATURE_V1",
    "key_id",
    "NoteVerifier",
    "NoteSignature",
    "Note",
    "parse_note",
    "sign_note",
    "open_note",
    "cosign_note",
    "cosignature_message",
    "Checkpoint",
    "MAX_NOTE_BYTES",
]

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 64
_DASH = "\u2014"
_NAME_BAD = re.compile(r"[\s+]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """Signed-note key ID: first 4 bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or _NAME_BAD.search(name):
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted (name, Ed25519 public key, signature type) tuple: type 0x01 log keys, 0x04 witness cosigners."""

    name: str
    public_key: bytes
    sig_type: int = SIG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError(f"verifier {self.name}: Ed25519 public key must be 32 bytes")
        if self.sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
            raise NoteError(f"verifier {self.name}: unsupported signature type 0x{self.sig_type:02x}")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.sig_type]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hex(keyID)+base64(type ‖ key)``; splits on the first two '+' only (base64 may hold '+')."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError(f"verifier key {vkey!r}: want name+keyid+base64key")
        name, hexid, key64 = parts
        try:
            raw = unb64(key64, "verifier key")
            kid = bytes.fromhex(hexid)
        except ValueError as exc:
            raise NoteError(f"verifier key {vkey!r}: {exc}") from exc
        if len(raw) != 33:
            raise NoteError(f"verifier key {vkey!r}: want a type byte and a 32-byte Ed25519 key")
        verifier = cls(name, raw[1:], raw[0])
        if verifier.key_id != kid:
            raise NoteError(
                f"verifier key {vkey!r}: key ID {hexid} does not match the key (want {verifier.key_id.hex()})"
            )
        return verifier

    @classmethod
    def for_key(cls, name: str, key: SigningKey, sig_type: int = SIG_ED25519) -> NoteVerifier:
        return cls(name, key.public_key, sig_type)

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Verify one signature over note ``text``; returns 0 (type 0x01) or the cosignature timestamp, else None."""
        if self.sig_type == SIG_ED25519:
            return 0 if len(signature) == 64 and verify_ed25519(self.public_key, signature, text) else None
        if len(signature) != 72:
            return None
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp >= 2**63:
            return None
        ok = verify_ed25519(self.public_key, signature[8:], cosignature_message(text, timestamp))
        return timestamp if ok else None


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return f"{_DASH} {self.name} {b64(self.key_id + self.signature)}"

    @property
    def timestamp(self) -> int | None:
        """Cosignature timestamp (first 8 bytes) when this is a 72-byte timestamped signature."""
        return int.from_bytes(self.signature[:8], "big") if len(self.signature) == 72 else None


@dataclass(frozen=True)
class Note:
    """A note text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...] = field(default=())

    def serialize(self) -> str:
        return self.text + "\n" + "".join(s.line + "\n" for s in self.signatures)

    def with_signatures(self, *extra: NoteSignature) -> Note:
        seen = {(s.name, s.key_id) for s in self.signatures}
        new = tuple(s for s in extra if (s.name, s.key_id) not in seen)
        return Note(self.text, self.signatures + new)

    def without(self, name: str) -> Note:
        return Note(self.text, tuple(s for s in self.signatures if s.name != name))


def parse_note(note: str | bytes, max_bytes: int = MAX_NOTE_BYTES) -> Note:
    """Parse a signed note strictly (UTF-8, no control characters but newline, well-formed signature lines)."""
    raw = note.encode("utf-8") if isinstance(note, str) else bytes(note)
    if len(raw) > max_bytes:
        raise NoteError(f"note is {len(raw)} bytes, more than the {max_bytes} allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    if _CONTROL.search(text):
        raise NoteError("note contains a control character other than newline")
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise NoteError("note has no blank line before its signatures or does not end in a newline")
    body, sig_block = text[: split + 1], text[split + 2 :]
    lines = sig_block[:-1].split("\n") if sig_block else []
    if not lines:
        raise NoteError("note has no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signatures, more than the {MAX_SIGNATURES} allowed")
    signatures = []
    for i, line in enumerate(lines):
        if not line.startswith(_DASH + " "):
            raise NoteError(f"signature line {i + 1} does not start with an em dash and a space")
        parts = line[2:].split(" ")
        if len(parts) != 2:
            raise NoteError(f"signature line {i + 1}: want '— <name> <base64>'")
        name, sig64 = parts
        _check_name(name)
        try:
            sig = unb64(sig64, f"signature line {i + 1}")
        except ValueError as exc:
            raise NoteError(str(exc)) from exc
        if len(sig) < 5:
            raise NoteError(f"signature line {i + 1} is too short")
        signatures.append(NoteSignature(name, sig[:4], sig[4:]))
    return Note(body, tuple(signatures))


def sign_note(text: str, key: SigningKey, name: str) -> NoteSignature:
    """Ed25519 (type 0x01) note signature of ``text`` by ``key`` under key name ``name``."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    return NoteSignature(name, key_id(name, SIG_ED25519, key.public_key), key.sign(text.encode("utf-8")))


def cosignature_message(text: bytes | str, timestamp: int) -> bytes:
    body = text.encode("utf-8") if isinstance(text, str) else text
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + body


def cosign_note(text: str, key: SigningKey, name: str, timestamp: int) -> NoteSignature:
    """tlog-cosignature/v1 signature (type 0x04) of checkpoint ``text`` at POSIX ``timestamp``."""
    if not 0 <= timestamp < 2**63:
        raise NoteError(f"cosignature timestamp {timestamp} out of range")
    sig = key.sign(cosignature_message(text, timestamp))
    return NoteSignature(name, key_id(name, SIG_COSIGNATURE_V1, key.public_key), timestamp.to_bytes(8, "big") + sig)


@dataclass(frozen=True)
class OpenedNote:
    note: Note
    verified: tuple[tuple[NoteVerifier, int], ...]  # (verifier, timestamp or 0)

    def verified_names(self, sig_type: int | None = None) -> set[str]:
        return {v.name for v, _ in self.verified if sig_type is None or v.sig_type == sig_type}


def open_note(note: str | bytes | Note, verifiers: list[NoteVerifier] | tuple[NoteVerifier, ...]) -> OpenedNote:
    """Verify a note against trusted keys: unknown signatures are ignored, a failing known one rejects the note,
    and at least one known signature must verify."""
    parsed = note if isinstance(note, Note) else parse_note(note)
    by_id = {(v.name, v.key_id): v for v in verifiers}
    text = parsed.text.encode("utf-8")
    verified = []
    for sig in parsed.signatures:
        v = by_id.get((sig.name, sig.key_id))
        if v is None:
            continue
        ts = v.verify(text, sig.signature)
        if ts is None:
            raise SignatureError(f"signature by {sig.name} (key {sig.key_id.hex()}) does not verify")
        verified.append((v, ts))
    if not verified:
        raise SignatureError(
            "no signature from a trusted key: " + (", ".join(sorted({s.name for s in parsed.signatures})) or "none")
        )
    return OpenedNote(parsed, tuple(verified))


_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size < 2**63:
            raise NoteError(f"checkpoint size {self.size} out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash has {len(self.root_hash)} bytes, want {HASH_SIZE}")
        for ext in self.extensions:
            if not ext or "\n" in ext:
                raise NoteError("checkpoint extension lines must be non-empty single lines")

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), b64(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise NoteError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint body needs origin, size and root hash lines")
        origin, size, root, *ext = lines
        if not _SIZE.fullmatch(size):
            raise NoteError(f"checkpoint size line {size!r} is not a decimal without leading zeros")
        try:
            root_hash = unb64(root, "checkpoint root hash")
        except ValueError as exc:
            raise NoteError(str(exc)) from exc
        return cls(origin, int(size), root_hash, tuple(ext))
