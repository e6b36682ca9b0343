"""Device keys of the training simulator's meters, kept across sessions (培训仿真表具密钥), encrypted at rest.

A real meter keeps its key in its secure element; the simulated ones need the workspace to keep theirs, or every
session would give each meter a new ``did:key`` and the ledger's record of its device would no longer match. The
simulator's devices are keyed from one **training key**: an Ed25519 key stored exactly like an operator's or the
organisation's (``save_key_file``: scrypt + AES-256-GCM, mode 0600, written atomically) in the ledger's ``keys/``
folder. Each device's key is derived from it: ``seed = HMAC-SHA-256(training seed, "gasops-meter-device/v1/" +
meter id + "/" + generation)``, so nothing but that one encrypted file holds key material, and a meter swap
(generation + 1) gives the meter a new, unrelated identity.

The passphrase of the training key is derived from the unlocked ledger (its keyed personal-data digest of a fixed
label: only a node unlocked with the ledger's passphrase can compute it), so no one types it and it never leaves
memory. Key objects never print their secret (``SigningKey.__repr__``).

The simulator's state without keys (time, totals, counters, each meter's generation) is plain JSON beside it.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from console.ledger import KeyFileError, SigningKey, load_key_file, save_key_file
from console.metering._errors import MeteringError

__all__ = ["TRAINING_KEY_FILE", "TRAINING_STATE_FILE", "TrainingKeys"]

TRAINING_KEY_FILE = "keys/metering-training.key.json"
TRAINING_STATE_FILE = "metering-training.json"
PASSPHRASE_LABEL = "gasops/metering-training-key/v1"


def _seed(key: SigningKey) -> bytes:
    return key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


class TrainingKeys:
    """The training key of one ledger folder and the device keys derived from it."""

    def __init__(self, key: SigningKey, path: Path) -> None:
        self._key = key
        self.path = path
        self.generations: dict[str, int] = {}  # meter id -> generation (bumped by a swap)

    def __repr__(self) -> str:  # never show key material
        return f"TrainingKeys({self.path})"

    @staticmethod
    def passphrase(node) -> str:
        return node.personal_digest(PASSPHRASE_LABEL)

    @classmethod
    def create(cls, node) -> TrainingKeys:
        """A new training key, saved encrypted in the node's ``keys/`` folder (refuses to replace one)."""
        path = Path(node.folder) / TRAINING_KEY_FILE
        if path.exists():
            raise MeteringError(f"{path}: a training key exists already; it is not replaced")
        key = SigningKey.generate("metering-training", role="device")
        save_key_file(path, key, cls.passphrase(node), scrypt_n=int(node.config.get("scrypt_n", 2**15)))
        return cls(key, path)

    @classmethod
    def load(cls, node) -> TrainingKeys:
        """The node's training key; :class:`MeteringError` says what is wrong with a missing or changed file."""
        path = Path(node.folder) / TRAINING_KEY_FILE
        if not path.exists():
            raise MeteringError(f"{path}: the training meters' key file is missing, so their device identities "
                                "cannot be restored; swap the meters (new device keys, recorded in the ledger) "
                                "or restore the file from a backup")  # fmt: skip
        try:
            key = load_key_file(path, cls.passphrase(node))
        except KeyFileError:
            raise MeteringError(f"{path}: the training meters' key file does not decrypt with this ledger (changed, "
                                "damaged or from another ledger); swap the meters (new device keys, recorded in the "
                                "ledger) or restore the file from a backup") from None  # fmt: skip
        return cls(key, path)

    def device_key(self, meter_id: str) -> SigningKey:
        gen = self.generations.get(meter_id, 0)
        msg = f"gasops-meter-device/v1/{meter_id}/{gen}".encode()
        seed = hmac.new(_seed(self._key), msg, hashlib.sha256).digest()
        return SigningKey.from_seed(f"meter-{meter_id}", seed, role="device")
