"""The Metering dock (计量存证): a training day anchored through the controller shows in the meters table, the
balance plot (the simulated leak as UFG), custody and emission rows; a proof saved from the dock verifies."""

from __future__ import annotations

import os

import pytest

from console.metering import PartyFigure, reconcile_custody, vented_emission

PASSPHRASE = "correct horse battery staple"
SHOTS = os.environ.get("GASOPS_METERING_SHOTS")  # a folder: save a picture of each tab there (to look at)


@pytest.fixture
def metering(window, tmp_path):
    ledger = window.extensions["ledger"]
    ledger.set_folder(tmp_path / "ledger")
    assert ledger.create_ledger("town.gas.example/ledger", PASSPHRASE, scrypt_n=2**10), ledger.last_error
    ctl = window.extensions["metering"]
    yield ctl
    ledger.close_ledger()


def _shot(ctl, tab: int, name: str) -> None:
    if SHOTS:
        ctl.dock.tabs.setCurrentIndex(tab)
        ctl.dock.resize(900, 620)
        ctl.dock.grab().save(os.path.join(SHOTS, f"metering-{name}.png"))


def test_a_training_day_fills_the_dock(window, metering, tmp_path):
    ctl = metering
    ctl.train_day("2026-03-01T00:00:00Z", leak_nm3h=6.0, customers=6)
    assert ctl.last_error is None
    d = ctl.dock
    assert d.meters.topLevelItemCount() == 7
    gate = next(d.meters.topLevelItem(i) for i in range(7) if d.meters.topLevelItem(i).text(1) == "gate")
    assert gate.text(5) == "complete" and gate.text(6) == "12/12"
    assert "7 meter(s)" in d.status_label.text()
    # customers 15, 25, 35, 45, 15, 25 = 160 Nm³/h; leak 6: in 24·166 = 3984, out 3840, UFG 144 Nm³ = 3.61 %
    assert d.balance.topLevelItemCount() == 1
    row = d.balance.topLevelItem(0)
    assert (row.text(0), row.text(1), row.text(2), row.text(4), row.text(5)) == (
        "2026-03-01", "3,984.0", "3,840.0", "144.0", "3.61")  # fmt: skip
    # custody and emissions as the service signs them
    svc = ctl.service
    svc.record_custody(reconcile_custody("TR000-GS", "2026-03-01", PartyFigure("utility", 3984.0, 1.0),
                                         PartyFigure("supplier", 4090.0, 1.0)))  # fmt: skip
    svc.record_emission(vented_emission("INC-1", 1000.0, start="2026-03-01T10:00:00Z", end="2026-03-01T11:00:00Z"))
    assert d.custody.topLevelItem(0).text(7) == "disputed"
    assert d.emissions.topLevelItem(0).text(4) == "0.6800"
    for i, name in enumerate(["meters", "custody", "balance", "emissions"]):
        _shot(ctl, i, name)
    # prove a reading of the gate meter and verify it against the open ledger's key
    gate = next(d.meters.topLevelItem(i) for i in range(7) if d.meters.topLevelItem(i).text(1) == "gate")
    d.meters.setCurrentItem(gate)  # the tables were rebuilt by each signed entry
    out = ctl.prove(d.selected_meter(), 20, str(tmp_path / "r.json"))
    report = ctl.verify(str(out))
    assert report.ok and report.pinned
    assert d.status_label.text().startswith("Reading proof VERIFIED")
    _shot(ctl, 0, "verified")


def test_without_a_ledger_the_dock_says_what_to_do(window):
    ctl = window.extensions["metering"]
    ctl.service.ledger.close()
    assert "unlock the ledger" in ctl.dock.status_label.text()
    assert ctl.dock.meters.topLevelItemCount() == 0


def test_network_meters_on_the_map_a_jump_drawn_and_raised(window, metering, qtbot):
    """Training on the open network: its meters drawn by anchoring state, identify shows a meter's latest period, a
    leak's jump of unaccounted-for gas raised as a hazard (open mode: the console may) and its area drawn."""
    ctl = metering
    ctl.train_network(days=7, start="2026-03-01T00:00:00Z")
    assert ctl.last_error is None, ctl.last_error
    svc = ctl.service
    n_located = len(window.network["customers"]) + len(window.network["gate_stations"]) + 4
    assert ctl.overlay.counts() == {"complete": n_located}
    # day 8: a leak in the LP grid, one customer offline for two hours, then three hours of the stations missing
    svc.trainer.meters["CM-C0_0"].offline = [(7 * 86_400, 7 * 86_400 + 7_200)]
    ctl.train_network(days=1, leak={"PS0 LP": 60.0})
    svc.anchor(until="2026-03-09T03:00:00Z")
    counts = ctl.overlay.counts()
    assert counts["missing"] == 5 and counts["partial"] == 1 and counts["complete"] == n_located - 6
    # the jump: shown, raised once as a hazard candidate, its area drawn on the map
    assert ctl.area == "PS0 LP" and ctl.jump is not None and ctl.jump.start.startswith("2026-03-08")
    qtbot.waitUntil(lambda: ctl.jump_hazard is not None, timeout=5000)
    hazards = window.extensions["ledger"].service.hazards() or svc.ledger.hazards()
    assert [h.category for h in hazards] == ["leak"] and ctl.jump_hazard == hazards[0].hazard_id
    assert ctl.overlay.area_shown and "PS0 LP" in ctl.overlay.label.textItem.toPlainText()
    assert not ctl.dock.hazard_button.isEnabled()
    # identify a metered customer: its meter and latest anchored period join the identify panel
    window.zoom_to_feature("C0_0")
    rows = ctl.identify_rows()
    assert rows["Meter 计量"].startswith("CM-C0_0") and "partial" in rows["Last anchored period"]
    window.canvas.zoom_to_extent()
    qtbot.wait(300)
    if SHOTS:
        window.grab().save(os.path.join(SHOTS, "metering-map.png"))
        _shot(ctl, 2, "balance-jump")
