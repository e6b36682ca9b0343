"""Errors of the evidence ledger (区块链存证), one class per kind of failure so callers and tests can tell them apart.

Proof failures follow transparency-dev/merkle: a distinct error for a hash of the wrong length, an index beyond the
tree, a proof of the wrong length, a root that does not match, and the consistency special cases.
"""

from __future__ import annotations

from console.errors import GasOpsError

__all__ = [
    "LedgerError",
    "ProofError",
    "HashLengthError",
    "IndexBeyondSizeError",
    "ProofSizeError",
    "RootMismatchError",
    "SizeOrderError",
    "EmptyTreeConsistencyError",
    "NonEmptyProofError",
    "EmptyProofError",
    "NoteError",
    "SignatureError",
    "KeyFileError",
    "EntryRejected",
    "TamperedLogError",
    "CheckpointConflictError",
    "PeerError",
    "AuthError",
    "BundleError",
]


class LedgerError(GasOpsError):
    """Base class of every ledger error."""


# --- Merkle proofs -------------------------------------------------------------------------------------------------


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof does not verify."""


class HashLengthError(ProofError):
    """A leaf hash, root or proof node that is not 32 bytes long."""


class IndexBeyondSizeError(ProofError):
    """An inclusion proof for a leaf index >= tree size."""


class ProofSizeError(ProofError):
    """A proof with more or fewer hashes than the sizes imply (truncated, padded, garbage before or after)."""


class RootMismatchError(ProofError):
    """The root recomputed from the proof differs from the expected root."""


class SizeOrderError(ProofError):
    """A consistency proof from a larger tree to a smaller one."""


class EmptyTreeConsistencyError(ProofError):
    """A consistency proof from the empty tree: it proves nothing, so strict verification rejects it."""


class NonEmptyProofError(ProofError):
    """A consistency proof between equal sizes must be empty."""


class EmptyProofError(ProofError):
    """An empty consistency proof between different non-zero sizes."""


# --- Notes, checkpoints, keys -------------------------------------------------------------------------------------


class NoteError(LedgerError):
    """A signed note or checkpoint that is malformed (names the line and what is wrong)."""


class SignatureError(LedgerError):
    """A signature from a known key that does not verify, or no trusted signature at all."""


class KeyFileError(LedgerError):
    """An encrypted key file that cannot be read: wrong passphrase, damaged file, unknown format."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


# --- Entries and the log ------------------------------------------------------------------------------------------


class EntryRejected(LedgerError):
    """An entry refused before it reached the log; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"entry rejected ({reason}): {detail}")


class TamperedLogError(LedgerError):
    """The stored log does not match its signatures and checkpoints; names the first bad index."""

    def __init__(self, origin: str, index: int, kind: str, detail: str) -> None:
        self.origin = origin
        self.index = index
        self.kind = kind
        self.detail = detail
        super().__init__(f"log {origin!r}: first bad index {index} ({kind}): {detail}")


class CheckpointConflictError(LedgerError):
    """Signing would contradict a checkpoint signed or cosigned before (e.g. after restoring an old backup)."""


# --- Peers ----------------------------------------------------------------------------------------------------


class PeerError(LedgerError):
    """A peer that misbehaved or could not be reached; names the peer and what it did. Nothing it sent is kept."""

    def __init__(self, peer: str, problem: str) -> None:
        self.peer = peer
        self.problem = problem
        super().__init__(f"peer {peer}: {problem}")


class AuthError(LedgerError):
    """A request whose signature, timestamp or nonce does not authenticate a pinned peer."""


class BundleError(LedgerError):
    """An evidence bundle that cannot be read at all (verification failures are reported, not raised)."""
