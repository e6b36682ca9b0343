"""Merkle proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2), strict, one error class per failure.

Follows the structure of transparency-dev/merkle's ``proof/verify.go``: an inclusion proof splits into an *inner*
part (levels where the leaf's path and the tree's right border differ) and a *border* part (hashes on the right
border, always hashed on the left); a consistency proof is a suffix of the inclusion proof of leaf ``size1 - 1`` in
tree ``size2``, seeded with the largest perfect subtree that ends at ``size1``.

Strict semantics (see ../shared/data/README.md): leaf hashes and proof nodes must be 32 bytes; index >= size, size1 >
size2, consistency from the empty tree, a non-empty proof between equal sizes, and proofs of the wrong length are all
rejected. Between equal sizes the roots are compared byte for byte, as transparency-dev does.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from console.ledger._errors import (
    EmptyProofError,
    EmptyTreeConsistencyError,
    HashLengthError,
    IndexBeyondSizeError,
    NonEmptyProofError,
    ProofSizeError,
    RootMismatchError,
    SizeOrderError,
)
from console.ledger._merkle import HASH_SIZE, node_hash

__all__ = ["verify_inclusion", "root_from_inclusion_proof", "verify_consistency"]


def _check_hashes(proof: Sequence[bytes], what: str) -> None:
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise HashLengthError(f"{what}[{i}] has {len(h)} bytes, want {HASH_SIZE}")


def _decompose(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _match(computed: bytes, expected: bytes, what: str) -> None:
    if not hmac.compare_digest(computed, expected):
        raise RootMismatchError(f"{what}: computed {computed.hex()} but expected {expected.hex()}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` in a tree of ``size`` leaves."""
    if index < 0 or index >= size:
        raise IndexBeyondSizeError(f"leaf index {index} is beyond tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise HashLengthError(f"leaf hash has {len(leaf)} bytes, want {HASH_SIZE}")
    _check_hashes(proof, "proof")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ProofSizeError(
            f"inclusion proof has {len(proof)} hashes, want {inner + border} for index {index} in size {size}"
        )
    h = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(h, proof[inner:])


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise a :class:`ProofError` subclass unless ``proof`` shows ``leaf`` at ``index`` in the tree with ``root``."""
    if len(root) != HASH_SIZE:
        raise HashLengthError(f"root has {len(root)} bytes, want {HASH_SIZE}")
    _match(root_from_inclusion_proof(index, size, leaf, proof), root, f"inclusion of leaf {index} in size {size}")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise a :class:`ProofError` subclass unless ``proof`` shows tree ``size1`` is a prefix of tree ``size2``."""
    if size1 < 0 or size2 < 0:
        raise SizeOrderError(f"negative tree size ({size1}, {size2})")
    if size2 < size1:
        raise SizeOrderError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise EmptyTreeConsistencyError("a consistency proof from the empty tree proves nothing (size1 is 0)")
    if size1 == size2:
        if proof:
            raise NonEmptyProofError(f"sizes are equal ({size1}) but the proof has {len(proof)} hashes")
        _match(root1, root2, f"equal sizes {size1}")
        return
    if not proof:
        raise EmptyProofError(f"empty consistency proof from {size1} to {size2}")
    for what, r in (("root1", root1), ("root2", root2)):
        if len(r) != HASH_SIZE:
            raise HashLengthError(f"{what} has {len(r)} bytes, want {HASH_SIZE}")
    _check_hashes(proof, "proof")
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1
    inner -= shift
    if size1 == 1 << shift:  # size1 is itself a perfect subtree: its root seeds the chain
        seed, rest = root1, proof
    else:
        seed, rest = proof[0], proof[1:]
    if len(rest) != inner + border:
        want = inner + border + (0 if size1 == 1 << shift else 1)
        raise ProofSizeError(f"consistency proof has {len(proof)} hashes, want {want} from {size1} to {size2}")
    mask = (size1 - 1) >> shift
    h1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _match(h1, root1, f"consistency {size1}->{size2}, old root")
    h2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _match(h2, root2, f"consistency {size1}->{size2}, new root")
