"""C2SP tlog-tiles (read-only): the log as static tiles of Merkle tree hashes and bundles of entries.

    <prefix>/checkpoint                 the latest signed checkpoint (text/plain; charset=utf-8)
    <prefix>/tile/<L>/<N>[.p/<W>]       level L tile N: 256 (or W) hashes, each the MTH of 256**L leaves
    <prefix>/tile/entries/<N>[.p/<W>]   entries N*256 … as big-endian uint16 length-prefixed bundles

``N`` is written in 3-digit path elements, all but the last prefixed with ``x`` (1234067 → ``x001/x234/067``). A
tile at level L holds the hashes of perfect subtrees of height 8·L, which :class:`MerkleTree` stores already, so a
tile is a slice of memory. Any tool built for the specification can then read (and verify) a GasOps log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from console.ledger._merkle import MerkleTree

__all__ = ["TILE_WIDTH", "TilePath", "parse_tile_path", "tile_path", "tile_hashes", "entry_bundle", "tiles_for_size"]

TILE_WIDTH = 256
TILE_HEIGHT = 8
_ELEMENT = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")
_WIDTH = re.compile(r"[1-9]\d{0,2}")
_LEVEL = re.compile(r"0|[1-9]\d?")


class TilePath(tuple):
    """(level, index, width): level -1 for an entry bundle; width 256 for a full tile."""

    __slots__ = ()

    def __new__(cls, level: int, index: int, width: int) -> TilePath:
        return super().__new__(cls, (level, index, width))

    level = property(lambda self: self[0])
    index = property(lambda self: self[1])
    width = property(lambda self: self[2])


def _encode_index(n: int) -> str:
    digits = f"{n:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` (level -1: ``tile/entries/…``).

    >>> tile_path(0, 1234067)
    'tile/0/x001/x234/067'
    >>> tile_path(-1, 5, 17)
    'tile/entries/005.p/17'
    """
    head = "entries" if level < 0 else str(level)
    return f"tile/{head}/{_encode_index(index)}" + (f".p/{width}" if width < TILE_WIDTH else "")


def parse_tile_path(path: str) -> TilePath:
    """Parse ``<L or entries>/<N>[.p/<W>]`` (the part after ``tile/``); raises ValueError for anything else."""
    parts = path.split("/")
    if len(parts) < 2 or len(parts) > 12:
        raise ValueError(f"not a tile path: {path[:80]!r}")
    head, rest = parts[0], parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise ValueError(f"partial tile width {rest[-1][:8]!r} must be 1..255")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or not _LAST.fullmatch(rest[-1]) or not all(_ELEMENT.fullmatch(e) for e in rest[:-1]):
        raise ValueError(f"tile index {'/'.join(rest)[:80]!r} must be 3-digit elements, all but the last x-prefixed")
    index = int("".join(e.lstrip("x") for e in rest))
    if head == "entries":
        level = -1
    elif _LEVEL.fullmatch(head) and int(head) <= 63:
        level = int(head)
    else:
        raise ValueError(f"tile level {head[:8]!r} must be 0..63 or 'entries'")
    if index >= 2**63:
        raise ValueError("tile index out of range")
    return TilePath(level, index, width)


def tiles_for_size(size: int) -> list[TilePath]:
    """Every tile (full and partial, levels ≥ 0) of a tree of ``size`` leaves, lowest level first."""
    out = []
    level = 0
    while size >= TILE_WIDTH**level and size > 0:
        span = TILE_WIDTH**level
        full, partial = divmod(size // span, TILE_WIDTH)
        out += [TilePath(level, n, TILE_WIDTH) for n in range(full)]
        if partial:
            out.append(TilePath(level, full, partial))
        level += 1
        if size < TILE_WIDTH**level:
            break
    return out


def tile_hashes(tree: MerkleTree, level: int, index: int, width: int) -> bytes | None:
    """The bytes of tile (level, index, width) of ``tree``, or None when the tree is too small for it."""
    span = TILE_WIDTH**level
    first = index * TILE_WIDTH
    if (first + width) * span > tree.size:
        return None
    height = TILE_HEIGHT * level
    return b"".join(tree._perfect(height, first + i) for i in range(width))


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries as big-endian uint16 length-prefixed records; ValueError for an entry over 65,535 bytes."""
    out = bytearray()
    for e in entries:
        if len(e) > 0xFFFF:
            raise ValueError(f"an entry of {len(e)} bytes does not fit a tlog-tiles entry bundle")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def read_entry_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle (for clients and tests); ValueError when it is truncated."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("entry bundle ends inside a length prefix")
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise ValueError("entry bundle ends inside an entry")
        out.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out
