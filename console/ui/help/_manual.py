"""The user manual window (F1): chapters on the left, the text in English, Chinese or both on the right; the last
chapters are the complete keyboard shortcut list, built from the window's declared actions, and About."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.ui.help._about import DATA_LICENCES, libraries
from console.ui.help._content import CHAPTERS, Chapter

__all__ = ["ManualWindow", "about_html", "shortcuts_html"]

LANGUAGES = (("both", "English + 中文"), ("en", "English"), ("zh", "中文"))


def shortcuts_html(window) -> str:
    """Every shortcut the window's actions declare (and the mouse gestures), grouped by menu."""
    rows, menu = [], None
    for row in window.actions.shortcuts():
        if row.menu != menu:
            menu = row.menu
            rows.append(f"<tr><td colspan=2><h3>{html.escape(menu)}</h3></td></tr>")
        rows.append(f"<tr><td style='padding-right:18px'><b>{html.escape(row.keys)}</b></td>"
                    f"<td>{html.escape(row.text)}</td></tr>")  # fmt: skip
    return "<h2>Keyboard shortcuts 快捷键</h2><table>" + "".join(rows) + "</table>"


def about_html() -> str:
    libs = "".join(
        f"<tr><td><b>{html.escape(lib.name)}</b></td><td>{html.escape(lib.version)}</td>"
        f"<td>{html.escape(lib.licence)}</td><td>{html.escape(lib.use)}</td></tr>"
        for lib in libraries()
    )
    data = "".join(f"<tr><td><b>{html.escape(a)}</b></td><td>{html.escape(b)}</td></tr>" for a, b in DATA_LICENCES)
    version = next((lib.version for lib in libraries() if lib.name == "gas-ops-console"), "?")
    return (
        f"<h2>About GasOps Console 关于</h2><p>GasOps Console {html.escape(version)} — a GIS operations console for "
        "city gas utilities 城市燃气管网运行控制台.</p>"
        "<h3>Libraries 软件库</h3><table cellspacing=4><tr><th align=left>Library</th><th align=left>Version</th>"
        f"<th align=left>Licence</th><th align=left>Used for</th></tr>{libs}</table>"
        f"<h3>Data 数据</h3><table cellspacing=4>{data}</table>"
    )


class ManualWindow(QDialog):
    """The manual: ``show_chapter(key)``; chapter keys are those of :data:`CHAPTERS` plus "shortcuts" and "about"."""

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("manualWindow")
        self.setWindowTitle("GasOps Console — User manual 用户手册")
        self.resize(980, 700)
        self._window = window
        self.language = QComboBox()
        for key, label in LANGUAGES:
            self.language.addItem(label, key)
        self.language.currentIndexChanged.connect(lambda _: self._show_current())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find in the manual 查找…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        self.chapters = QListWidget()
        self.chapters.setMinimumWidth(200)
        self.chapters.setSpacing(3)
        for ch in CHAPTERS:
            self._add(ch.key, f"{ch.title_en}\n{ch.title_zh}")
        self._add("shortcuts", "Keyboard shortcuts\n快捷键")
        self._add("about", "About\n关于")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.chapters.currentRowChanged.connect(lambda _: self._show_current())
        top = QHBoxLayout()
        top.addWidget(QLabel("Language 语言"))
        top.addWidget(self.language)
        top.addStretch(1)
        top.addWidget(self.filter)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.chapters)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 760])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.chapters.setCurrentRow(0)

    def _add(self, key: str, label: str) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.chapters.addItem(item)

    def keys(self) -> list[str]:
        return [self.chapters.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chapters.count())]

    def show_chapter(self, key: str) -> None:
        self.chapters.setCurrentRow(self.keys().index(key))

    def current_key(self) -> str:
        item = self.chapters.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def chapter_html(self, key: str) -> str:
        if key == "shortcuts":
            return shortcuts_html(self._window)
        if key == "about":
            return about_html()
        ch: Chapter = next(c for c in CHAPTERS if c.key == key)
        lang = self.language.currentData()
        parts = []
        if lang in ("both", "en"):
            parts.append(f"<h2>{html.escape(ch.title_en)}</h2>{ch.en}")
        if lang in ("both", "zh"):
            parts.append(f"<h2>{html.escape(ch.title_zh)}</h2>{ch.zh}")
        return "<hr>".join(parts)

    def _show_current(self) -> None:
        self.text.setHtml(self.chapter_html(self.current_key()))

    def _on_filter(self, text: str) -> None:
        """Hide chapters that do not mention ``text`` (either language, case-insensitive)."""
        needle = text.strip().lower()
        for i in range(self.chapters.count()):
            key = self.keys()[i]
            body = self.chapter_html(key) if key in ("shortcuts", "about") else next(
                f"{c.title_en} {c.title_zh} {c.en} {c.zh}" for c in CHAPTERS if c.key == key)  # fmt: skip
            self.chapters.item(i).setHidden(bool(needle) and needle not in body.lower())
