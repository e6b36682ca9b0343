"""RFC 6962 / RFC 9162 Merkle tree hashing and an append-only tree that answers proofs in O(log n).

Leaf hash ``SHA-256(0x00 || entry)``, interior node ``SHA-256(0x01 || left || right)``, empty tree ``SHA-256("")``.

The tree keeps, per level ``k``, the hashes of every complete aligned subtree of ``2**k`` leaves (one ``bytearray`` per
level, 32 bytes a hash: about 64 MB for a million leaves). Every range the RFC's recursion visits,
``D[lo:hi]``, starts at a multiple of the largest power of two below its size, so it splits into at most ``log2 n``
stored perfect subtrees; a proof therefore costs O(log n) lookups plus at most one O(log n) fold for the ragged right
edge. The straight-from-the-RFC recursive definitions live in the tests and check this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = ["HASH_SIZE", "EMPTY_ROOT", "leaf_hash", "node_hash", "MerkleTree"]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || entry)."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """Append-only Merkle tree over leaf hashes with stored perfect-subtree hashes.

    >>> t = MerkleTree([leaf_hash(b"a"), leaf_hash(b"b")])
    >>> t.root() == node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
    True
    >>> t.inclusion_proof(0, 2) == [leaf_hash(b"b")]
    True
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.size = 0
        self.extend(leaf_hashes)

    # -- building ---------------------------------------------------------------------------------------------------

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash (32 bytes)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
        levels = self._levels
        levels[0] += leaf
        self.size += 1
        n = self.size
        k = 0
        h = leaf
        while n & 1 == 0:  # a perfect subtree of 2**(k+1) leaves just closed
            level = levels[k]
            h = _sha256(b"\x01" + level[-2 * HASH_SIZE : -HASH_SIZE] + h).digest()
            k += 1
            n >>= 1
            if len(levels) == k:
                levels.append(bytearray())
            levels[k] += h

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self.append(h)

    def truncate(self, size: int) -> None:
        """Drop every leaf from ``size`` on (used to roll back leaves that failed verification)."""
        if not 0 <= size <= self.size:
            raise ValueError(f"cannot truncate a tree of {self.size} leaves to {size}")
        for k, level in enumerate(self._levels):
            del level[(size >> k) * HASH_SIZE :]
        self.size = size

    # -- reading ----------------------------------------------------------------------------------------------------

    def leaf(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise IndexError(f"leaf index {index} outside a tree of {self.size}")
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def leaves(self, start: int = 0, end: int | None = None) -> list[bytes]:
        end = self.size if end is None else end
        raw = self._levels[0]
        return [bytes(raw[i * HASH_SIZE : (i + 1) * HASH_SIZE]) for i in range(start, end)]

    def _perfect(self, level: int, index: int) -> bytes:
        return bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def range_hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range the RFC recursion can visit (``lo`` aligned to the range's largest split)."""
        n = hi - lo
        if n <= 0:
            raise ValueError(f"empty range {lo}:{hi}")
        if n & (n - 1) == 0 and lo % n == 0:
            return self._perfect(n.bit_length() - 1, lo // n)
        parts = []
        pos = lo
        for k in range(n.bit_length() - 1, -1, -1):
            if n >> k & 1:
                parts.append(self._perfect(k, pos >> k))
                pos += 1 << k
        h = parts[-1]
        for p in reversed(parts[:-1]):
            h = node_hash(p, h)
        return h

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"no root for size {size}: the tree has {self.size} leaves")
        return EMPTY_ROOT if size == 0 else self.range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path (RFC 6962 §2.1.1 PATH) for leaf ``index`` in the tree of ``size`` leaves, leaf side first."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no inclusion proof for index {index} in size {size} (tree has {self.size})")
        path: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self.range_hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.range_hash(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Consistency proof (RFC 6962 §2.1.2 PROOF/SUBPROOF) from ``size1`` to ``size2`` (0 < size1 <= size2)."""
        size2 = self.size if size2 is None else size2
        if not 0 < size1 <= size2 <= self.size:
            raise ValueError(f"no consistency proof from {size1} to {size2} (tree has {self.size})")
        proof: list[bytes] = []
        lo, hi, complete = 0, size2, True
        while True:
            if size1 == hi:
                if not complete:
                    proof.append(self.range_hash(lo, hi))
                break
            k = _split(hi - lo)
            if size1 <= lo + k:
                proof.append(self.range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self.range_hash(lo, lo + k))
                lo += k
                complete = False
        proof.reverse()
        return proof


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root of a list of leaf hashes (convenience for small trees, e.g. the readings of one metering batch)."""
    return MerkleTree(leaf_hashes).root()
