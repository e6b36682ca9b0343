"""A one-line label that elides its text with "…" when it does not fit, the full text then in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = ["ElidedLabel"]


class ElidedLabel(QLabel):
    """Plain text on one line, elided at the right with "…" at the width it is given; while elided, the tooltip
    shows the full text (or ``details`` when set: a longer explanation, rich text allowed)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, min_chars: int = 8) -> None:
        super().__init__(text, parent)
        self._details = ""
        self._min_chars = min_chars
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._update_tip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tip()

    def set_details(self, details: str) -> None:
        """A tooltip shown whether or not the text is elided (e.g. the figures behind a one-line summary)."""
        self._details = details
        self._update_tip()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("x" * self._min_chars), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        m = self.contentsMargins()
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 4, hint.height())

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def shown_text(self) -> str:
        """What is drawn at the current width (tests read it)."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        align = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), int(align), self.shown_text())

    def _update_tip(self) -> None:
        if self._details:
            self.setToolTip(self._details)
        else:
            self.setToolTip(self.text() if self.text() and self.is_elided() else "")
