"""Search by feature id (Ctrl+F): exact or prefix match with completion, at a million features.

:class:`FeatureIdIndex` keeps every id in one sorted fixed-width unicode array (built in a worker), so a prefix
lookup is two binary searches, not a scan; the completer is fed only the first few matches.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from console.network import GasNetwork

__all__ = ["FeatureIdIndex", "SearchBox"]


class FeatureIdIndex:
    """Sorted ids of every feature of a network.

    >>> idx = FeatureIdIndex(np.array(["P10", "V1", "P1", "P2"]))
    >>> idx.prefix("P"), idx.prefix("P1"), "V1" in idx, "V" in idx
    (['P1', 'P10', 'P2'], ['P1', 'P10'], True, False)
    """

    def __init__(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids)
        if not len(ids):
            self._ids = np.empty(0, dtype="U1")
            return
        # Converted in chunks: one 2-million-string conversion would hold the GIL (and freeze the UI) for a second.
        chunks = [c.astype(str) for c in np.array_split(ids, max(1, len(ids) // 50_000))]
        width = max(c.dtype.itemsize for c in chunks) // 4
        unicode_ids = np.concatenate([c.astype(f"U{width}") for c in chunks])
        # Stable sort is a merge sort: fast on the long already-sorted runs that generated ids come in.
        self._ids = np.sort(unicode_ids, kind="stable")

    @classmethod
    def of(cls, network: GasNetwork) -> FeatureIdIndex:
        frames = [f["id"].to_numpy(dtype=object) for f in network.layers.values() if len(f)]
        return cls(np.concatenate(frames) if frames else np.empty(0, dtype=object))

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, feature_id: str) -> bool:
        i = np.searchsorted(self._ids, feature_id)
        return bool(i < len(self._ids) and self._ids[i] == feature_id)

    def prefix(self, text: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` ids starting with ``text``, in sorted order."""
        if not text or not len(self._ids):
            return []
        lo = int(np.searchsorted(self._ids, text, side="left"))
        hi = int(np.searchsorted(self._ids, text + "\U0010ffff", side="left"))
        return [str(s) for s in self._ids[lo : min(hi, lo + limit)]]


class SearchBox(QLineEdit):
    """A line edit with id completion; ``featureRequested(id)`` on Enter or when a completion is chosen."""

    featureRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Find feature id…  (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self.setToolTip("Type a feature id (pipe, valve, regulator, customer …) and press Enter to zoom to it")
        self.setMinimumWidth(220)
        self._index: FeatureIdIndex | None = None
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.setMaxVisibleItems(12)
        self.setCompleter(self._completer)
        self._completer.activated.connect(self._on_completion_activated)
        self.textEdited.connect(self._on_text_edit)
        self.returnPressed.connect(self._on_return)

    def set_index(self, index: FeatureIdIndex | None) -> None:
        self._index = index
        self._model.setStringList([])

    def resolve(self, text: str) -> str | None:
        """The id ``text`` names: itself when it exists, else the only id it is a prefix of."""
        text = text.strip()
        if self._index is None or not text:
            return None
        if text in self._index:
            return text
        matches = self._index.prefix(text, limit=2)
        return matches[0] if len(matches) == 1 else None

    def _on_text_edit(self, text: str) -> None:
        if self._index is not None:
            self._model.setStringList(self._index.prefix(text.strip()))

    def _on_completion_activated(self, text: str) -> None:
        self.featureRequested.emit(text)

    def _on_return(self) -> None:
        self._completer.popup().hide()
        # Zooming to a feature is idempotent, so a completion chosen with Enter may safely arrive twice.
        self.featureRequested.emit(self.text().strip())
