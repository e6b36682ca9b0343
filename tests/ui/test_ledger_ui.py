"""The ledger UI (存证账本): hazard register on the map, lifecycle steps, verification badges, search, unlocking.

Each test drives the controller the main window installed (``window.extensions["ledger"]``) against a ledger in a
temporary folder, and checks the outcome through the docks, the map overlay and the Qt-free ``console.ledger`` API.
"""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtWidgets import QApplication

from console.ledger import HAZARD_STEPS, LedgerNode, leaf_hash
from console.ui.ledger import PASSPHRASE_ENV
from tests.ui.synthetic import ORIGIN

PASSPHRASE = "correct horse battery staple"
ORIGIN_NAME = "ledger.test-gas.example/city"
STEP_FIELDS = {
    "assigned": {"assignee": "crew-3", "due": "2026-12-01"},
    "rectified": {"description": "replaced the corroded coupling"},
    "verified": {"result": "pass", "note": "site visit"},
    "closed": {"note": "closed"},
}


@pytest.fixture
def ledger(window, tmp_path, monkeypatch):
    """The window's ledger controller on a new ledger in ``tmp_path`` (fast key derivation)."""
    ctl = window.extensions["ledger"]
    ctl.set_folder(tmp_path / "ledger")
    assert ctl.create_ledger(ORIGIN_NAME, PASSPHRASE, scrypt_n=2**10), ctl.last_error
    yield ctl
    ctl.close_ledger()


def _report(ctl, dx: float = 550.0, dy: float = 450.0, **kw):
    x, y = ORIGIN[0] + dx, ORIGIN[1] + dy
    args = {"category": "leak", "severity": "major", "description": "gas smell at the riser", **kw}
    return ctl.report_hazard(x, y, **args)


def _advance_to_closed(ctl, hazard_id: str) -> list:
    return [ctl.advance(hazard_id, step, STEP_FIELDS[step]) for step in HAZARD_STEPS[1:]]


def test_extension_installs_docks_and_actions(window):
    ctl = window.extensions["ledger"]
    assert ctl.hazards_dock.objectName() == "ledgerHazardsDock"
    assert ctl.ledger_dock.objectName() == "ledgerDock"
    assert ctl.act_report is window.actions["ledger.report_hazard"]
    ledger_menu = window.menu_for("Ledger").actions()
    assert window.actions["ledger.report_hazard"] in ledger_menu and window.actions["ledger.verify"] in ledger_menu
    assert not window.actions["ledger.lock"].isEnabled()
    assert ctl.node is None  # nothing is opened or unlocked behind the user's back


def test_report_through_the_dialog_appears_in_list_and_on_map(window, ledger, tmp_path):
    photo = tmp_path / "riser.jpg"
    photo.write_bytes(b"\xff\xd8\xff jpeg bytes of a photo")
    x, y = ORIGIN[0] + 550.0, ORIGIN[1] + 450.0
    dlg = ledger.request_report(x, y, asset_id="PH5_4")
    assert dlg.asset_id.text() == "PH5_4"  # pre-filled from the feature under the cursor
    dlg.severity.setCurrentIndex(dlg.severity.findData("critical"))
    dlg.description.setPlainText("corroded coupling, gas smell")
    dlg.actor.setText("inspector-07")
    dlg.attachments.add_files([photo])
    dlg.accept()
    assert not dlg.isVisible() and ledger.last_error is None

    (row,) = ledger.hazards()
    assert (row.status, row.severity, row.asset_id) == ("reported", "critical", "PH5_4")
    assert ledger.hazards_dock.hazard_ids() == [row.hazard_id]
    assert ledger.overlay.marker_count() == 1
    assert list(ledger.overlay.items) == [("reported", "critical")]
    # the marker sits where the hazard was reported (local coordinates are map minus the canvas origin)
    (item,) = ledger.overlay.items.values()
    ox, oy = window.canvas.origin
    assert item.points()[0].tolist() == pytest.approx([x - ox, y - oy])

    entry = ledger.node.hazard_history(row.hazard_id)[0]
    body = entry.body
    assert body["location"] == {"x": x, "y": y, "crs": "EPSG:4529"}
    # the photo is in the content-addressed store, only its digest is on the ledger; the actor only as a digest
    (ref,) = body["attachments"]
    assert ledger.node.get_evidence(ref["sha256"]) == photo.read_bytes()
    assert ref["media_type"] == "image/jpeg"
    assert "inspector-07" not in entry.data.decode("utf-8")
    assert body["reporter_digest"] == ledger.node.personal_digest("inspector-07")


def test_lifecycle_to_closed_chains_five_entries_by_hash(ledger):
    reported = _report(ledger)
    hazard_id = ledger.hazards()[0].hazard_id
    results = _advance_to_closed(ledger, hazard_id)
    assert all(results), ledger.last_error

    history = ledger.node.hazard_history(hazard_id)
    assert [e.type for e in history] == [f"hazard.{s}" for s in HAZARD_STEPS]
    assert [e.index for e in history] == [1, 2, 3, 4, 5]  # entry 0 is the log's genesis
    for before, after in zip(history, history[1:], strict=False):
        assert after.body["prev"] == leaf_hash(before.data).hex()
    assert history[0].leaf_hash.hex() == reported.leaf_hash
    assert ledger.node.state().hazards[hazard_id].status == "closed"

    (row,) = ledger.hazards()
    assert row.status == "closed" and [s.state for s in row.steps] == list(HAZARD_STEPS)
    assert [s.index for s in row.steps] == [1, 2, 3, 4, 5]
    assert ledger.hazards_dock.select_hazard(hazard_id)
    assert ledger.hazards_dock.history.topLevelItemCount() == 5
    assert not ledger.hazards_dock.advance_button.isEnabled()  # nothing follows closed
    assert list(ledger.overlay.items) == [("closed", "major")]


def test_advance_dialog_signs_the_next_step(ledger):
    _report(ledger)
    hazard_id = ledger.hazards()[0].hazard_id
    ledger.hazards_dock.select_hazard(hazard_id)
    assert ledger.hazards_dock.advance_button.text().startswith("Assign")
    dlg = ledger.request_advance(hazard_id)
    dlg.accept()  # no assignee: refused by the dialog itself
    assert dlg.isVisible() and "assigned" in dlg.error_label.text()
    dlg.set_value("assignee", "crew-9")
    dlg.accept()
    assert not dlg.isVisible()
    assert ledger.node.hazard_history(hazard_id)[-1].body["assignee"] == "crew-9"
    assert ledger.hazards()[0].status == "assigned"


def test_invalid_transition_is_refused_with_a_clear_message(ledger):
    _report(ledger)
    hazard_id = ledger.hazards()[0].hazard_id
    size = ledger.node.size()
    assert ledger.advance(hazard_id, "rectified", STEP_FIELDS["rectified"]) is None
    assert ledger.last_error == f"Not allowed: hazard {hazard_id} is reported; rectified must follow assigned"
    assert ledger.node.size() == size  # nothing appended
    assert window_error(ledger) == ledger.last_error


def window_error(ctl) -> str | None:
    return ctl.window.last_error


def test_verify_now_shows_passing_then_failing_badge(qtbot, ledger):
    _report(ledger)
    hazard_id = ledger.hazards()[0].hazard_id
    _advance_to_closed(ledger, hazard_id)
    with qtbot.waitSignal(ledger.verified, timeout=20_000) as blocker:
        ledger.verify_now()
    assert blocker.args[0].ok
    assert ledger.ledger_dock.verification_ok is True
    assert "✓ verified to size 6" in ledger.ledger_dock.badge_text()
    assert ledger.hazards()[0].badge == "signed"  # proven by inclusion, no witness cosigned yet (quorum 1)

    folder = ledger.folder
    ledger.close_ledger()
    db = sqlite3.connect(folder / "ledger.db")
    db.execute("UPDATE entries SET data = replace(data, 'corroded', 'repaired') WHERE idx = 3")
    db.commit()
    db.close()
    assert ledger.open_ledger(PASSPHRASE)
    with qtbot.waitSignal(ledger.verified, timeout=20_000) as blocker:
        ledger.verify_now()
    report = blocker.args[0]
    assert not report.ok
    assert ledger.ledger_dock.verification_ok is False
    assert f"✗ {ORIGIN_NAME}: first bad index 3 (changed)" in ledger.ledger_dock.badge_text()
    # the hazard's own badge re-proves its entries from the stored bytes: entry 3 no longer leads to the root
    row = ledger.hazards()[0]
    assert row.badge == "failed" and row.bad_index == 3 and "entry 3" in row.badge_detail
    assert "FAILED" in ledger.hazards_dock.tree.topLevelItem(0).text(2)
    ledger.hazards_dock.select_hazard(hazard_id)
    history = ledger.hazards_dock.history
    marked = [history.topLevelItem(i).text(3) for i in range(5) if history.topLevelItem(i).text(0).startswith("✗")]
    assert marked == ["3"]


def test_search_by_hazard_id_finds_its_entries(ledger):
    _report(ledger)
    _report(ledger, dx=900.0)
    first, second = sorted(h.hazard_id for h in ledger.hazards())
    ledger.advance(first, "assigned", STEP_FIELDS["assigned"])
    ledger.ledger_dock.search("hazard", first)
    rows = ledger.search("hazard", first)
    assert [(r["idx"], r["type"]) for r in rows] == [(1, "hazard.reported"), (3, "hazard.assigned")]
    results = ledger.ledger_dock.results
    assert [results.topLevelItem(i).text(0) for i in range(results.topLevelItemCount())] == ["1", "3"]
    assert ledger.search("hazard", "HZ-nope") == []
    assert ledger.ledger_dock.results_label.text() == "No entries for “HZ-nope”"


def test_wrong_passphrase_gives_a_clear_error_and_no_crash(ledger):
    folder = ledger.folder
    ledger.close_ledger()
    assert ledger.open_ledger("not the passphrase") is False
    assert ledger.node is None
    assert ledger.last_error.startswith("Wrong passphrase")
    # through the dialog: the error stays in the dialog, which stays open for another try
    dlg = ledger.request_unlock()
    dlg.passphrase.setText("still wrong")
    dlg.accept()
    assert dlg.isVisible() and dlg.error_label.text().startswith("Wrong passphrase")
    assert PASSPHRASE not in dlg.error_label.text()
    dlg.passphrase.setText(PASSPHRASE)
    dlg.accept()
    assert not dlg.isVisible() and ledger.node is not None and ledger.node.folder == folder


def test_passphrase_from_the_environment(ledger, monkeypatch):
    ledger.close_ledger()
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    assert ledger.open_ledger() is True
    assert ledger.ledger_dock.node_label.text() == ORIGIN_NAME


def test_create_dialog_checks_passphrases(window, tmp_path):
    ctl = window.extensions["ledger"]
    ctl.set_folder(tmp_path / "new-ledger")
    assert not ctl.exists()
    dlg = ctl.request_create()
    dlg.origin.setText(ORIGIN_NAME)
    dlg.passphrase.setText("long enough passphrase")
    dlg.again.setText("a different passphrase")
    dlg.accept()
    assert dlg.isVisible() and dlg.error_label.text() == "The two passphrases differ."
    assert not ctl.exists()


def test_hazard_selection_zooms_the_map(window, ledger):
    _report(ledger, dx=1500.0, dy=1200.0)
    hazard_id = ledger.hazards()[0].hazard_id
    window.canvas.zoom_to_extent()
    assert ledger.zoom_to_hazard(hazard_id)
    xmin, ymin, xmax, ymax = window.canvas.map_range()
    x, y = ORIGIN[0] + 1500.0, ORIGIN[1] + 1200.0
    assert xmin < x < xmax and ymin < y < ymax
    assert min(xmax - xmin, ymax - ymin) == pytest.approx(300.0, rel=0.01)
    # selecting it in the list rings it on the map
    window.canvas.zoom_to_extent()
    ledger.hazards_dock.tree.setCurrentItem(None)
    ledger.hazards_dock.select_hazard(hazard_id)
    ox, oy = window.canvas.origin
    assert ledger.overlay.ring.points().tolist() == [pytest.approx([x - ox, y - oy])]
    assert ledger.overlay.ring.scene() is not None


def test_witnessed_checkpoint_gives_witnessed_badges(ledger, tmp_path):
    """A peer's witness cosigns the checkpoint (in process): logs and hazards show "witnessed"."""
    from console.ledger import parse_note

    _report(ledger)
    peer = LedgerNode.init(tmp_path / "peer", "ledger.gov.example/west", "pw", scrypt_n=2**10)
    try:
        node = ledger.node
        node.add_peer("gov", "http://127.0.0.1:9", peer.origin, peer.org_vkey, peer.witness_vkey)
        peer.add_peer("utility", "http://127.0.0.1:9", node.origin, node.org_vkey, node.witness_vkey)
        note = node.checkpoint_note()
        cosig = peer.witness_add_checkpoint(0, [], note)
        node.add_cosignatures(node.origin, parse_note(note).text, [cosig])
        ledger.refresh()
    finally:
        peer.close()
    assert ledger.hazards()[0].badge == "witnessed"
    logs = ledger.ledger_dock.logs
    own = next(
        logs.topLevelItem(i) for i in range(logs.topLevelItemCount()) if logs.topLevelItem(i).text(0) == ORIGIN_NAME
    )
    assert own.text(3) == "✓ witnessed 1/1"
    QApplication.processEvents()


def test_right_click_on_the_map_offers_report_hazard_here(window, ledger):
    from PySide6.QtCore import QPoint

    network = window.network
    layer, row = network.locate("PH5_4")
    c = network[layer].geometry.array[row].centroid
    hit = window.canvas.pick(c.x, c.y)
    window.canvas.contextRequested.emit(hit, c.x, c.y, QPoint(10, 10))
    menu = QApplication.activePopupWidget()
    (action,) = [a for a in menu.actions() if a.text().startswith("Report hazard here")]
    assert action.text() == f"Report hazard here — {hit.feature_id}"
    menu.close()
    action.trigger()
    dlg = ledger.dialog
    assert dlg.asset_id.text() == hit.feature_id and (dlg.x, dlg.y) == (c.x, c.y)
    dlg.description.setPlainText("third-party excavation next to the main")
    dlg.accept()
    assert [h.asset_id for h in ledger.hazards()] == [hit.feature_id]


def test_equivocation_raises_a_red_alarm_in_the_dock(ledger):
    assert not ledger.ledger_dock.alarm.isVisibleTo(ledger.ledger_dock)
    ledger.node.record_equivocation(
        "ledger.gov.example/west", "same-size", "gov", {"note_a": "checkpoint A", "note_b": "checkpoint B"}
    )  # what the node records when a peer shows two roots for one size
    alarm = ledger.ledger_dock.alarm
    assert alarm.isVisibleTo(ledger.ledger_dock)
    assert "EQUIVOCATION" in alarm.text() and "ledger.gov.example/west: same-size" in alarm.text()
