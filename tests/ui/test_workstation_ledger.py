"""The ledger dock at the workstation (issue 19): a peer is added in the GUI (no CLI, no restart), "Sync now" always
says what it did, and log names are shown whole."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from console.ledger import LedgerNode
from tests.ui.test_ledger_ui import ORIGIN_NAME, ledger  # noqa: F401  (fixture)

WAIT_MS = 30_000


def test_add_peer_dialog_follows_the_peer_at_once(qtbot, window, ledger, tmp_path):  # noqa: F811
    peer = LedgerNode.init(tmp_path / "peer", "ledger.gov.example/west", "pw", scrypt_n=2**10)
    try:
        dlg = ledger.request_add_peer()
        identity = {"origin": peer.origin, "vkey": peer.org_vkey, "witness_vkey": peer.witness_vkey}
        dlg.paste.setPlainText(json.dumps(identity))  # what `gasops ledger peers self` prints there
        assert dlg.origin.text() == peer.origin and dlg.vkey.text() == peer.org_vkey
        dlg.accept()
        assert dlg.isVisible() and "Fill in: Name, URL" in dlg.error_label.text()
        dlg.name.setText("gov west")
        dlg.url.setText("http://127.0.0.1:9")
        dlg.accept()
        assert "one word" in dlg.error_label.text()
        dlg.name.setText("gov")
        dlg.accept()
        assert not dlg.isVisible(), dlg.error_label.text()
        assert [p.name for p in ledger.node.peers()] == ["gov"]
        assert "Peer gov added" in ledger.ledger_dock.sync_text
        rows = [
            ledger.ledger_dock.peers.topLevelItem(i).text(0)
            for i in range(ledger.ledger_dock.peers.topLevelItemCount())
        ]
        assert rows == ["gov"]
    finally:
        peer.close()


def test_pasting_junk_says_so(window, ledger):  # noqa: F811
    dlg = ledger.request_add_peer()
    dlg.paste.setPlainText("not json at all")
    assert "not JSON" in dlg.error_label.text()
    dlg.reject()


def test_sync_now_without_peers_says_so(window, ledger):  # noqa: F811
    ledger.ledger_dock.sync_button.click()
    assert ledger.ledger_dock.sync_label.isVisibleTo(ledger.ledger_dock)
    assert ledger.ledger_dock.sync_text == "No peers to sync with — Add peer… first."
    assert "no peers" in window.statusBar().currentMessage()


def test_sync_now_reports_each_peer(qtbot, window, ledger, tmp_path):  # noqa: F811
    peer = LedgerNode.init(tmp_path / "peer", "ledger.gov.example/west", "pw", scrypt_n=2**10)
    try:
        ledger.service.add_peer("gov", "http://127.0.0.1:9", peer.origin, peer.org_vkey, peer.witness_vkey)
    finally:
        peer.close()
    with qtbot.waitSignal(ledger.service.synced, timeout=WAIT_MS):
        ledger.ledger_dock.sync_button.click()
        assert ledger.ledger_dock.sync_text == "Syncing with peers…"
    text = ledger.ledger_dock.sync_text
    assert text.startswith("Synced ") and "gov: unreachable" in text  # nobody listens on port 9
    assert "gov: unreachable" in window.statusBar().currentMessage()


def test_log_names_are_not_elided(window, ledger):  # noqa: F811
    dock = ledger.ledger_dock
    dock.show()
    dock.resize(260, 500)
    tree = dock.logs
    assert tree.textElideMode() == Qt.TextElideMode.ElideNone
    item = tree.topLevelItem(0)
    assert item.text(0) == ORIGIN_NAME
    assert tree.columnWidth(0) >= tree.fontMetrics().horizontalAdvance(ORIGIN_NAME)
