"""A sorted index of feature ids: exact and prefix lookups over millions of ids without a Python object per id.

The ids are kept as one sorted array of fixed-width UTF-8 bytes (numpy ``S``) and, for each, its position in the
input. UTF-8 byte order is code-point order, so sorting the bytes sorts the text, and a lookup is a binary search
(``np.searchsorted``) vectorised over any number of queries. Two million 9-character ids take about 27 MB this way;
a pandas index over the same ids (a Python string each plus a hash table) takes about ten times that, and building
it holds the GIL for over a second.

>>> index = IdIndex(["P10", "V1", "P1", "P2", "P1"])
>>> index.positions(["P1", "V1", "nope", "P10"]).tolist()  # a repeated id finds its first occurrence
[2, 1, -1, 0]
>>> index.prefix("P"), index.prefix("P1"), "V1" in index, "V" in index
(['P1', 'P1', 'P10', 'P2'], ['P1', 'P1', 'P10'], True, False)
>>> IdIndex([]).positions(["P1"]).tolist(), len(IdIndex([]))
([-1], 0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["IdIndex", "id_text"]

_ROWS_PER_COPY = 262_144  # rows packed at a time: bounds the temporary mask to a few MB


def id_text(ids: object) -> pa.ChunkedArray:
    """Ids as one Arrow ``large_string`` column, zero-copy for the Arrow-backed id columns of a network's layers.

    Missing values (None, NaN) become nulls; other non-text values are converted with ``str``.
    """
    if isinstance(ids, pa.ChunkedArray | pa.Array):
        values = ids
    else:
        if isinstance(ids, str):
            ids = [ids]
        if isinstance(ids, pd.Series | pd.Index):
            ids = ids.array
        if isinstance(ids, pd.api.extensions.ExtensionArray) and hasattr(ids, "__arrow_array__"):
            values = pa.array(ids)
        else:
            objects = np.asarray(ids, dtype=object).ravel()
            try:
                values = pa.array(objects, type=pa.large_string(), from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                values = pa.array(
                    [None if v is None or v is pd.NA or v != v else str(v) for v in objects],
                    type=pa.large_string(),
                )
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    return values


def _width(values: pa.ChunkedArray) -> int:
    """The longest value in UTF-8 bytes (at least 1)."""
    longest = pc.max(pc.binary_length(values)).as_py() if len(values) else None
    return max(int(longest or 0), 1)


def _packed(values: pa.ChunkedArray, width: int | None = None) -> np.ndarray:
    """Fixed-width UTF-8 bytes (``S<width>``, by default the longest value) of every value, nulls as ``b""``."""
    width = width or _width(values)
    out = np.zeros((len(values), width), np.uint8)
    _pack_into(out, 0, values)
    return out.view(f"S{width}").ravel()


def _pack_into(out: np.ndarray, row: int, values: pa.ChunkedArray) -> None:
    """Write ``values`` as UTF-8 bytes into the zeroed rows ``out[row:row + len(values)]`` (uint8, one per value)."""
    width = out.shape[1]
    for chunk in values.chunks:
        offsets = _offsets(chunk)
        lengths = np.diff(offsets)
        data = chunk.buffers()[2]
        data = np.frombuffer(data, np.uint8) if data is not None else np.empty(0, np.uint8)
        for lo in range(0, len(chunk), _ROWS_PER_COPY):
            hi = min(lo + _ROWS_PER_COPY, len(chunk))
            mask = np.arange(width) < lengths[lo:hi, None]
            # Boolean assignment fills row by row, which is exactly the order of the bytes in the Arrow buffer.
            out[row + lo : row + hi][mask] = data[offsets[lo] : offsets[hi]]
        row += len(chunk)


def _offsets(chunk: pa.Array) -> np.ndarray:
    return np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]


class IdIndex:
    """Sorted ids with their input positions; see the module docstring.

    Ids are compared as UTF-8 bytes, so a trailing NUL character is not significant (no GIS id has one).
    """

    __slots__ = ("_order", "_sorted")

    def __init__(self, ids: object) -> None:
        values = id_text(ids)
        # Stable: among equal ids the first comes first. Nulls pack as b"", the smallest key, so they go first.
        order = pc.array_sort_indices(values, null_placement="at_start").to_numpy()
        width = _width(values)
        packed = np.zeros((len(order), width), np.uint8)
        # A slice at a time: a sorted copy of all the strings at once would be one more copy of every id.
        for lo in range(0, len(order), _ROWS_PER_COPY):
            _pack_into(packed, lo, id_text(values.take(order[lo : lo + _ROWS_PER_COPY])))
        self._sorted = packed.view(f"S{width}").ravel()
        self._order = order.astype(np.int32)

    def __len__(self) -> int:
        return len(self._order)

    @property
    def nbytes(self) -> int:
        return self._sorted.nbytes + self._order.nbytes

    def positions(self, ids: object) -> np.ndarray:
        """Input position (int32) of each of ``ids``, ``-1`` for unknown ids; the first occurrence of a repeated id."""
        text = id_text(ids)
        out = np.full(len(text), -1, np.int32)
        if not len(self._order) or not len(text):
            return out
        # Packed to the index's own width: a query of another width would make numpy convert the whole sorted array
        # to a common width on every call. An id longer than the width is none of the index's.
        width = self._sorted.dtype.itemsize
        fits = pc.fill_null(pc.less_equal(pc.binary_length(text), width), True).to_numpy(zero_copy_only=False)
        asked = np.flatnonzero(fits)
        if len(asked) < len(text):
            text = text.filter(pa.array(fits))
        query = _packed(text, width)
        pos = np.searchsorted(self._sorted, query)
        hit = pos < len(self._sorted)
        hit[hit] = self._sorted[pos[hit]] == query[hit]
        if text.null_count:
            hit &= pc.is_valid(text).to_numpy(zero_copy_only=False)
        out[asked[hit]] = self._order[pos[hit]]
        return out

    get_indexer = positions  # the name pandas gives it, for code written against a pandas Index

    def is_unique(self) -> bool:
        """Whether no id occurs twice (a null counts as the empty id)."""
        s = self._sorted
        return bool(len(s) < 2 or not (s[1:] == s[:-1]).any())

    def derived(self, remap: np.ndarray, new_ids: object, new_positions: np.ndarray) -> IdIndex | None:
        """The index of an edited id list, from this one: ``remap`` gives each old position's new position (-1: the
        id is gone; kept positions must stay in order), ``new_ids`` are added at ``new_positions``.

        Costs a pass over the sorted bytes plus the new ids, not a sort of every id. None (build it anew) when a new
        id is longer than the packed width or equals another id (the order among equal ids would need a re-sort)."""
        text = id_text(new_ids)
        width = self._sorted.dtype.itemsize
        if len(text) and (text.null_count or _width(text) > width):
            return None
        remapped = remap[self._order]
        kept = remapped >= 0
        sorted_kept, order_kept = self._sorted[kept], remapped[kept].astype(np.int32)
        packed = _packed(text, width) if len(text) else np.empty(0, dtype=self._sorted.dtype)
        by = np.argsort(packed, kind="stable")
        packed, positions = packed[by], np.asarray(new_positions, dtype=np.int32)[by]
        if len(packed) > 1 and (packed[1:] == packed[:-1]).any():
            return None
        at = np.searchsorted(sorted_kept, packed)
        near = np.minimum(at, max(len(sorted_kept) - 1, 0))
        if len(sorted_kept) and len(packed) and (sorted_kept[near] == packed).any():
            return None
        out = object.__new__(IdIndex)
        out._sorted = np.insert(sorted_kept, at, packed)
        out._order = np.insert(order_kept, at, positions)
        return out

    def __contains__(self, feature_id: object) -> bool:
        return bool(isinstance(feature_id, str) and self.positions([feature_id])[0] >= 0)

    def prefix(self, text: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` ids starting with ``text``, in sorted order."""
        if not text or not len(self._sorted):
            return []
        key = text.encode("utf-8")
        lo = int(np.searchsorted(self._sorted, key, side="left"))
        hi = int(np.searchsorted(self._sorted, key + b"\xff", side="left"))  # 0xFF never occurs in UTF-8
        return [s.decode("utf-8") for s in self._sorted[lo : min(hi, lo + limit)]]
