"""Help at the workstation (issue 19): F1 opens a bilingual manual covering every screen, with the complete shortcut
list built from the declared actions, and About names versions and licences."""

from __future__ import annotations

import re

from PySide6.QtGui import QKeySequence

from console.ui.help import CHAPTERS, libraries


def _plain(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html_text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def test_f1_opens_the_manual(qtbot, window):
    act = window.actions["help.manual"]
    assert act.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    act.trigger()
    manual = window.help.manual
    assert manual is not None and manual.isVisible()
    assert manual.keys() == [c.key for c in CHAPTERS] + ["shortcuts", "about"]
    manual.close()


def test_every_screen_of_the_window_has_a_chapter(window):
    covered = {name for c in CHAPTERS for name in c.screens}
    docks = set(window.layouts.docks())
    assert docks <= covered, f"docks without a chapter: {sorted(docks - covered)}"


def test_every_chapter_is_in_both_languages(window):
    manual = window.help.show("start")
    for ch in CHAPTERS:
        assert ch.en.strip() and ch.zh.strip()
        assert re.search(r"[\u4e00-\u9fff]", ch.zh) and re.search(r"[A-Za-z]{4}", ch.en)
        manual.show_chapter(ch.key)
        manual.language.setCurrentIndex(manual.language.findData("zh"))
        text = manual.text.toPlainText()
        assert ch.title_zh in text and ch.title_en not in text
        manual.language.setCurrentIndex(manual.language.findData("both"))
        assert ch.title_en in manual.text.toPlainText()
    manual.close()


def test_the_shortcut_chapter_lists_every_declared_shortcut(window):
    manual = window.help.show("shortcuts")
    text = manual.text.toPlainText()
    keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for s in window.actions.specs() for k in s.shortcuts]
    for key in ("Ctrl+I", "F5", "Ctrl+Shift+O", "Ctrl+Alt+1", "Ctrl+Alt+3", "Ctrl+Alt+0"):
        assert key in keys
    for key in filter(None, keys):
        assert key in text, key
    manual.close()


def test_about_names_versions_and_licences(window):
    manual = window.help.show("about")
    text = manual.text.toPlainText()
    for lib in libraries():
        assert lib.name in text and lib.version in text
        assert lib.licence
    pyside = next(lib for lib in libraries() if lib.name == "PySide6")
    assert pyside.version != "not installed" and "LGPL" in pyside.licence
    assert "GasLib" in text and "CC BY 3.0" in text
    manual.close()


def test_finding_in_the_manual_hides_other_chapters(window):
    manual = window.help.show()
    manual.filter.setText("关阀")
    shown = [manual.keys()[i] for i in range(manual.chapters.count()) if not manual.chapters.item(i).isHidden()]
    assert "isolation" in shown and "operators" not in shown
    manual.filter.clear()
    manual.close()
