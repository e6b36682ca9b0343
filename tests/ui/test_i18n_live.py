"""The live view and the ledger in another language: every fixed text of their docks, dialogs and actions goes
through the translation system, and what is signed stays the ledger's own (English) keys.

A pseudo-translator (every text of these contexts comes back as ``⟦text⟧``) stands in for the Chinese catalog, so
the test does not depend on the catalog's state: a text shown without passing through ``translate`` stays bare.
The catalog's own completeness is tests/ui/test_i18n.py's.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt, QTranslator
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTreeWidget

from console.telemetry import FeedState, FeedStatus
from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled

CONTEXTS = {"AlarmDock", "TrendDock", "HazardsDock", "LedgerDock", "LedgerDialogs", "LedgerController", "LiveFeed",
            "LiveView", "SensorState", "Hazards", "LedgerService", "Actions"}  # fmt: skip
QT_OWN = {"OK", "&OK", "Cancel", "&Cancel"}  # standard dialog buttons: Qt's own catalog translates them
WRAPPED = re.compile(r"⟦.*⟧", re.S)


class PseudoTranslator(QTranslator):
    """``⟦source⟧`` for the contexts of this area, nothing (the source) for the others."""

    def translate(self, context, source, disambiguation=None, n=-1):
        return f"⟦{source}⟧" if context in CONTEXTS and source else ""

    def isEmpty(self) -> bool:
        return False


@pytest.fixture
def pseudo(qapp):
    translator = PseudoTranslator(qapp)
    qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)


@pytest.fixture
def translated_window(pseudo, qtbot, network, tmp_path, monkeypatch):
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path))
    from console.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(network)
    w.install_features()
    wait_settled(qtbot, w.canvas)
    yield w
    w.close()


def _bare(texts: list[str]) -> list[str]:
    return [t for t in texts if t and not WRAPPED.search(t)]


def _fixed_texts(widget) -> list[str]:
    """Dock title, buttons, combo box items, tree headers and labels that are not data."""
    texts = [widget.windowTitle()]
    texts += [b.text() for b in widget.findChildren(QPushButton) if b.text() not in QT_OWN]
    for combo in widget.findChildren(QComboBox):
        texts += [combo.itemText(i) for i in range(combo.count()) if not combo.itemText(i).startswith("P1–")]
    for tree in widget.findChildren(QTreeWidget):
        header = tree.headerItem()
        texts += [header.text(i) for i in range(header.columnCount()) if header.text(i) != "#"]
    texts += [label.text() for label in widget.findChildren(QLabel) if label.objectName() == "panelTitle"]
    return texts


def test_live_docks_show_translated_texts(translated_window):
    ctrl = translated_window.extensions["telemetry"]
    dock = ctrl.alarm_dock
    assert not _bare(_fixed_texts(dock))
    headers = [dock.model.headerData(i, Qt.Orientation.Horizontal) for i in range(dock.model.columnCount())]
    assert headers[0] == "⟦P⟧" and not _bare(headers)
    assert WRAPPED.fullmatch(dock.filter_edit.placeholderText())
    assert not _bare(_fixed_texts(ctrl.trend_dock))
    assert ctrl.trend_dock.title.text() == "⟦No sensor selected⟧"
    assert WRAPPED.search(ctrl.badge.text()) and WRAPPED.search(ctrl.badge.toolTip())
    live_actions = [s for s in translated_window.actions.specs() if s.id.startswith(("live.", "ledger."))]
    assert len(live_actions) >= 15
    assert not _bare([s.text for s in live_actions] + [s.tip for s in live_actions])


def test_feed_indicator_translates_kind_state_and_counts(pseudo):
    from console.ui.telemetry._widgets import feed_text

    status = FeedStatus("simulator", FeedState.RUNNING, 120, 118, {"malformed": 2})
    text, _colour, tip = feed_text("simulator", status, 40.0, 12)
    assert text.startswith("● ⟦SIMULATOR⟧ · ⟦running⟧ · ⟦40 readings/s⟧") and "⟦2 dropped⟧" in text
    assert "⟦malformed⟧ 2" in tip and "⟦12 sensors · received 120 · accepted 118⟧" in tip
    assert feed_text(None, None, 0.0, 0)[0] == "⟦○ No live feed⟧"


def test_ledger_docks_and_dialogs_translate_labels_but_keep_keys(translated_window):
    ledger = translated_window.extensions["ledger"]
    assert not _bare(_fixed_texts(ledger.hazards_dock))
    assert not _bare(_fixed_texts(ledger.ledger_dock))
    legend = ledger.hazards_dock.legend.text()
    assert "⟦Major⟧" in legend and "⟦Rectified⟧" in legend  # severities and states by their translated names

    from console.ui.ledger._dialogs import AdvanceDialog, ReportHazardDialog

    dlg = ReportHazardDialog(0.0, 0.0, "EPSG:4529", "PA2", translated_window)
    try:
        assert not _bare(_fixed_texts(dlg))
        assert [dlg.category.itemText(i) for i in range(2)] == ["⟦Leak⟧", "⟦Corrosion⟧"]
        dlg.category.setCurrentIndex(1)
        dlg.description.setPlainText("pitting at the riser")
        values = dlg.values()
        # what goes on the ledger (and is signed) is the key, never the label shown
        assert (values["category"], values["severity"]) == ("corrosion", "major")
    finally:
        dlg.deleteLater()
    adv = AdvanceDialog("HZ-20260101-001", "assigned", translated_window)
    try:
        assert adv.windowTitle() == "HZ-20260101-001: ⟦Assigned⟧"
        assert not _bare(_fixed_texts(adv)[1:])
    finally:
        adv.deleteLater()


def test_alarm_texts_of_the_identify_panel_are_translated(pseudo):
    from types import SimpleNamespace

    from console.ui.telemetry._live_values import age_text, alarm_text

    record = SimpleNamespace(condition="HI", active=True, state="unack_active")
    assert alarm_text([record]) == "⟦{condition} alarm ({state})⟧".format(condition="HI", state="⟦unacknowledged⟧")
    assert age_text(185) == "⟦3 min⟧"
