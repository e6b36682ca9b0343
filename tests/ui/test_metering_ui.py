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
