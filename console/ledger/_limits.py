"""Limits for untrusted bytes: one JSON reader that checks size and nesting before anything else looks at a value.

Every parser of bytes from a peer, a bundle or a damaged store goes through :func:`load_json`, so deeply nested or
oversized input is a clear ``ValueError`` naming what was read, never a ``RecursionError`` or a stalled process.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "load_json", "too_deep"]

MAX_DEPTH = 32  # an entry body nests three levels; 32 leaves room and stays far below Python's recursion limit


def too_deep(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests lists/objects more than ``max_depth`` levels (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) is dict:
            children = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((c, depth + 1) for c in children if type(c) is dict or type(c) is list)
    return False


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    parse_constant=_constant
)  # one decoder: building one per call costs more than small entries


def load_json(data: bytes | str, what: str, *, max_bytes: int = 1 << 20, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from untrusted ``data``; raise ``ValueError`` naming ``what`` for anything malformed or too big."""
    if not isinstance(data, bytes | bytearray | memoryview | str):
        raise ValueError(f"{what}: want JSON text, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise ValueError(f"{what}: {len(data)} bytes, more than the {max_bytes} allowed")
    try:
        value = _DECODER.decode(data if isinstance(data, str) else bytes(data).decode("utf-8"))
    except RecursionError:
        raise ValueError(f"{what}: JSON nested more than {max_depth} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what}: not JSON ({exc})") from None
    # Counting brackets is cheap and bounds the depth: only inputs with many of them are walked.
    raw = data if isinstance(data, str) else bytes(data)
    opens = raw.count("[" if isinstance(raw, str) else b"[") + raw.count("{" if isinstance(raw, str) else b"{")
    if opens > max_depth and too_deep(value, max_depth):
        raise ValueError(f"{what}: JSON nested more than {max_depth} levels")
    return value
