"""Help: the user manual (F1) in English and Chinese, the keyboard shortcut list built from the declared actions, and About
with versions and the licences of libraries and data.

``install(window)`` declares Help › User manual (F1, the main window's help action opens it too), Keyboard shortcuts
and About, and returns the :class:`HelpController`.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.ui.actions import ActionSpec
from console.ui.help._about import DATA_LICENCES, libraries
from console.ui.help._content import CHAPTERS
from console.ui.help._manual import ManualWindow

__all__ = ["CHAPTERS", "DATA_LICENCES", "HelpController", "ManualWindow", "install", "libraries", "show_manual"]


class HelpController:
    def __init__(self, window) -> None:
        self.window = window
        self.manual: ManualWindow | None = None
        declare = window.actions.declare
        self.act_about = declare(ActionSpec(
            "help.about", QT_TRANSLATE_NOOP("Actions", "&About GasOps Console"), lambda: self.show("about"), (),
            QT_TRANSLATE_NOOP("Actions", "Versions and the licences of the libraries and data"), menu="Help",
            section="about"))  # fmt: skip

    def show(self, chapter: str | None = None) -> ManualWindow:
        if self.manual is None:
            self.manual = ManualWindow(self.window)
        if chapter:
            self.manual.show_chapter(chapter)
        self.manual.show()
        self.manual.raise_()
        self.manual.activateWindow()
        return self.manual


def install(window) -> HelpController:
    ctl = HelpController(window)
    window.help = ctl
    return ctl


def show_manual(window, chapter: str | None = None) -> ManualWindow:
    """The manual of ``window`` (F1), open at ``chapter``."""
    ctl = getattr(window, "help", None) or install(window)
    return ctl.show(chapter)
