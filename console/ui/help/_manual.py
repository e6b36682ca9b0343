"""The user manual window (F1): chapters on the left, the text on the right in the console's language (English or
Chinese, or both side by side for a bilingual team); the last chapters are the complete keyboard shortcut list, built
from the window's declared actions, and About."""

from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
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

from console.ui.actions import menu_title
from console.ui.help._about import DATA_LICENCES, libraries
from console.ui.help._content import CHAPTERS, Chapter
from console.ui.i18n import LANGUAGES, current_language, translate

__all__ = ["ManualWindow", "about_html", "shortcuts_html"]

# The manual's languages: each named in its own language, and both (English first, then Chinese).
MANUAL_LANGUAGES = (("en", LANGUAGES["en"]), ("zh", LANGUAGES["zh_CN"]),
                    ("both", QT_TRANSLATE_NOOP("HelpManual", "Both languages")))  # fmt: skip


def manual_language() -> str:
    """The manual's language for the console's: ``zh`` or ``en``."""
    return "zh" if current_language() == "zh_CN" else "en"


def shortcuts_html(window) -> str:
    """Every shortcut the window's actions declare (and the mouse gestures), grouped by menu."""
    rows, menu = [], None
    for row in window.actions.shortcuts():
        if row.menu != menu:
            menu = row.menu
            rows.append(f"<tr><td colspan=2><h3>{html.escape(menu_title(menu).replace('&', ''))}</h3></td></tr>")
        rows.append(f"<tr><td style='padding-right:18px'><b>{html.escape(row.keys)}</b></td>"
                    f"<td>{html.escape(row.text)}</td></tr>")  # fmt: skip
    title = html.escape(translate("HelpManual", "Keyboard shortcuts"))
    return f"<h2>{title}</h2><table>" + "".join(rows) + "</table>"


def about_html() -> str:
    libs = "".join(
        f"<tr><td><b>{html.escape(lib.name)}</b></td><td>{html.escape(translate('About', lib.version))}</td>"
        f"<td>{html.escape(translate('About', lib.licence))}</td><td>{html.escape(translate('About', lib.use))}</td></tr>"
        for lib in libraries()
    )
    data = "".join(f"<tr><td><b>{html.escape(translate('About', a))}</b></td>"
                   f"<td>{html.escape(translate('About', b))}</td></tr>" for a, b in DATA_LICENCES)  # fmt: skip
    version = next((lib.version for lib in libraries() if lib.name == "gas-ops-console"), "?")

    heads = [html.escape(text) for text in (translate("About", "About GasOps Console"), translate("About", "Libraries"),
             translate("About", "Library"), translate("About", "Version"), translate("About", "Licence"),
             translate("About", "Used for"), translate("About", "Data"))]  # fmt: skip
    title, libraries_title, library, version_head, licence, used_for, data_title = heads
    intro = translate("About", "GasOps Console {version} — a GIS operations console for city gas utilities.")
    return (
        f"<h2>{title}</h2><p>{html.escape(intro.format(version=version))}</p>"
        f"<h3>{libraries_title}</h3><table cellspacing=4><tr><th align=left>{library}</th>"
        f"<th align=left>{version_head}</th><th align=left>{licence}</th><th align=left>{used_for}</th></tr>"
        f"{libs}</table><h3>{data_title}</h3><table cellspacing=4>{data}</table>"
    )


class ManualWindow(QDialog):
    """The manual: ``show_chapter(key)``; chapter keys are those of :data:`CHAPTERS` plus "shortcuts" and "about"."""

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("manualWindow")
        self.setWindowTitle(translate("HelpManual", "GasOps Console — User manual"))
        self.resize(980, 700)
        self._window = window
        self.language = QComboBox()
        for key, label in MANUAL_LANGUAGES:
            self.language.addItem(translate("HelpManual", label) if key == "both" else label, key)
        self.language.setCurrentIndex(self.language.findData(manual_language()))
        self.language.currentIndexChanged.connect(lambda _: self._show_current())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(translate("HelpManual", "Find in the manual…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        self.chapters = QListWidget()
        self.chapters.setMinimumWidth(200)
        self.chapters.setSpacing(3)
        # no horizontal scroll bar: the list is as wide as its titles (within limits), a longer one is elided and
        # shown whole in its tooltip
        self.chapters.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chapters.setTextElideMode(Qt.TextElideMode.ElideRight)
        lang = manual_language()
        for ch in CHAPTERS:
            self._add(ch.key, ch.title(lang))
        self._add("shortcuts", translate("HelpManual", "Keyboard shortcuts"))
        self._add("about", translate("HelpManual", "About"))
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.chapters.currentRowChanged.connect(lambda _: self._show_current())
        top = QHBoxLayout()
        top.addWidget(QLabel(translate("HelpManual", "Language")))
        top.addWidget(self.language)
        top.addStretch(1)
        top.addWidget(self.filter)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.chapters)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        split.setSizes([self._chapters_width(), 760])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.chapters.setCurrentRow(0)

    def _chapters_width(self) -> int:
        """Wide enough for the longest chapter title and the vertical scroll bar, 200 to 320 px."""
        frame = 2 * self.chapters.frameWidth() + self.chapters.verticalScrollBar().sizeHint().width()
        return max(200, min(320, self.chapters.sizeHintForColumn(0) + 2 * self.chapters.spacing() + frame + 4))

    def _add(self, key: str, label: str) -> None:
        item = QListWidgetItem(label)
        item.setToolTip(label)
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
