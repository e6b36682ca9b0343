"""Layout defects seen at 1440×900: the ledger's verification line keeps "0.02 s" together however narrow the dock,
and the manual's chapter list needs no horizontal scroll bar (titles fit, or are elided with the whole title as
tooltip). The 3D view's legend and labels are checked under Xvfb (tests/ui/test_view3d.py)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from console.ui.help import show_manual

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def ledger(window, tmp_path):
    ctl = window.extensions["ledger"]
    ctl.set_folder(tmp_path / "ledger")
    assert ctl.create_ledger("ledger.test-gas.example/city", PASSPHRASE, scrypt_n=2**10), ctl.last_error
    yield ctl
    ctl.close_ledger()


def _lines(html: str, font, width: int) -> list[str]:
    """The badge's rich text laid out as QLabel's word wrap does, one string per line."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    doc.setTextWidth(width)
    doc.size()  # lays the text out
    lines, block = [], doc.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(
                block.text()[line.textStart() : line.textStart() + line.textLength()].replace("\xa0", " ").strip()
            )
        block = block.next()
    return lines


def test_verification_time_never_wraps_between_number_and_unit(qtbot, ledger):
    with qtbot.waitSignal(ledger.verified, timeout=20_000):
        ledger.verify_now()
    dock = ledger.ledger_dock
    html = dock.badge_text()
    seconds = re.search(r"in (\d+\.\d\d)", html).group(1)
    for width in range(120, 600, 7):
        lines = _lines(html, dock.badge.font(), width)
        holding = [ln for ln in lines if seconds in ln]
        assert holding and all(ln.endswith(f"{seconds} s") for ln in holding), (width, lines)
        assert "s" not in lines, (width, lines)


def test_manual_chapter_list_has_no_horizontal_scroll_bar(qtbot, window):
    manual = show_manual(window)
    qtbot.waitExposed(manual)
    chapters = manual.chapters
    assert chapters.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert not chapters.horizontalScrollBar().isVisible()
    for i in range(chapters.count()):
        item = chapters.item(i)
        assert item.toolTip() == item.text()  # an elided title is whole in its tooltip
    # as wide as the titles need (up to a cap): at the dialog's size no title is elided
    needed = chapters.sizeHintForColumn(0)
    if needed + 2 * chapters.spacing() <= 320 - 40:
        assert chapters.viewport().width() >= needed
