"""A compact legend: a title, a note on how the bins were chosen, and one swatch row per class (with counts)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from console.ui.map._items import make_pen

__all__ = ["LegendView"]

COLOR_ROLE = Qt.ItemDataRole.UserRole


def _swatch(color: str, kind: str, width_px: float = 2.0, dash: str = "solid") -> QIcon:
    pix = QPixmap(30, 16)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    if kind == "band":
        fill = QColor(color)
        fill.setAlpha(110)
        p.setPen(make_pen(color, 1.2))
        p.setBrush(fill)
        p.drawRect(QRectF(3, 3, 24, 10))
    else:
        p.setPen(make_pen(color, max(width_px, 1.0), dash))
        p.drawLine(QPointF(3, 8), QPointF(27, 8))
    p.end()
    return QIcon(pix)


class LegendView(QWidget):
    """Rows of (swatch, label, count). ``entries()`` returns what is shown, for tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("panelSubtitle")
        self.note.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(QPixmap(30, 16).size())
        self.tree.setUniformRowHeights(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, self.tree.header().ResizeMode.ResizeToContents)
        for w in (self.title, self.note, self.tree):
            layout.addWidget(w)
        self.clear()

    def clear(self) -> None:
        self.title.setText("")
        self.note.setText("")
        self.tree.clear()
        self.setVisible(False)

    def set_entries(self, title: str, note: str, rows: list[tuple[str, str, str, str]], *, kind: str = "line") -> None:
        """``rows``: (colour, label, count text, dash); ``kind``: ``line`` (pipes, isobars) or ``band``."""
        self.title.setText(title)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.tree.clear()
        for color, label, count, dash in rows:
            item = QTreeWidgetItem([label, count])
            item.setIcon(0, _swatch(color, kind, 2.4, dash))
            item.setData(0, COLOR_ROLE, color)
            item.setToolTip(0, label)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
        rows_h = self.tree.sizeHintForRow(0) if rows else 18
        self.tree.setFixedHeight(min(len(rows), 14) * max(rows_h, 18) + 6)
        self.setVisible(True)

    def entries(self) -> list[dict]:
        return [
            {"label": self.tree.topLevelItem(k).text(0), "color": self.tree.topLevelItem(k).data(0, COLOR_ROLE),
             "count": self.tree.topLevelItem(k).text(1)}
            for k in range(self.tree.topLevelItemCount())
        ]  # fmt: skip
