"""Search by feature id (Ctrl+F): exact or prefix match with completion, at a million features.

:class:`FeatureIdIndex` answers from the network's own sorted id index (:attr:`GasNetwork.id_index`, built in a
worker once per version and shared with ``network.locate``), so a prefix lookup is two binary searches, not a scan,
and the search box holds no second copy of two million ids; the completer is fed only the first few matches.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from console.network import GasNetwork, IdIndex

__all__ = ["FeatureIdIndex", "SearchBox"]


class FeatureIdIndex:
    """Sorted ids of every feature of a network.

    >>> idx = FeatureIdIndex(np.array(["P10", "V1", "P1", "P2"]))
    >>> idx.prefix("P"), idx.prefix("P1"), "V1" in idx, "V" in idx
    (['P1', 'P10', 'P2'], ['P1', 'P10'], True, False)
    """

    def __init__(self, ids: np.ndarray | IdIndex) -> None:
        self.index = ids if isinstance(ids, IdIndex) else IdIndex(ids)

    @classmethod
    def of(cls, network: GasNetwork) -> FeatureIdIndex:
        return cls(network.id_index)

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, feature_id: str) -> bool:
        return feature_id in self.index

    def prefix(self, text: str, limit: int = 25) -> list[str]:
        """Up to ``limit`` ids starting with ``text``, in sorted order."""
        return self.index.prefix(text, limit)


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
