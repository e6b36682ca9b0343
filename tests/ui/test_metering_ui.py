"""The Metering dock (计量存证): a training day anchored through the controller shows in the meters table, the
balance plot (the simulated leak as UFG), custody and emission rows; a proof saved from the dock verifies."""

from __future__ import annotations

import os

import pyqtgraph as pg
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
    assert rows["Meter"].startswith("CM-C0_0") and "partial" in rows["Last anchored period"]
    window.canvas.zoom_to_extent()
    qtbot.wait(300)
    if SHOTS:
        window.grab().save(os.path.join(SHOTS, "metering-map.png"))
        _shot(ctl, 2, "balance-jump")


class _Store:
    """The part of the live session's history the station emission reads (hourly 0.24 % LEL = 120 ppm)."""

    def __init__(self):
        import numpy as np

        self.t = 1_772_323_200.0 + np.arange(0, 2 * 86_400 + 1, 3600.0)  # 2026-03-01 … 03-03
        self.lel = np.full(self.t.size, 0.24)

    def flush(self):
        pass

    def readings(self, sensor_id, t0, t1, resolution):
        m = (self.t >= t0) & (self.t < t1)
        return type("H", (), {"t": self.t[m], "value": self.lel[m]})()


def test_emission_figures_computed_shown_and_signed_then_the_monthly_report(window, metering, qtbot, tmp_path):
    """The Emissions tab: a station's day from its detector and an isolation's vented gas, each computed (figure,
    GWP and its source, input digests), signed into the ledger; the month's report with its plot, exported."""
    from PySide6.QtCore import QDateTime, QTimeZone

    from console.isolation import IsolationRequest

    ctl = metering
    svc = ctl.service
    svc.live = type("L", (), {"service": type("S", (), {"store": _Store()})()})()
    dlg = ctl.station_emission_dialog()
    assert dlg.station_box.findText("GS1") >= 0  # the network's gate stations and regulators are offered
    dlg.station_box.setCurrentText("GS1")
    dlg.sensor_box.setCurrentText("GS1-CH4")
    dlg.start_edit.setDateTime(QDateTime.fromSecsSinceEpoch(1_772_323_200, QTimeZone.utc()))
    dlg.end_edit.setDateTime(QDateTime.fromSecsSinceEpoch(1_772_409_600, QTimeZone.utc()))
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing to sign before the figure is computed
    fig = dlg.run_compute()
    # 1200 m³/h × 118 ppm × 0.66693 kg/m³ × 24 h = 2.2665 kg
    assert fig is not None and fig.ch4_t == pytest.approx(0.094437 * 24 / 1000, rel=1e-4), dlg.error_label.text()
    text = dlg.figure_label.text()
    assert "IPCC AR6" in text and fig.inputs[0][:32] in text and fig.inputs[0][32:] in text
    if SHOTS:
        dlg.show()  # as exec() shows it
        qtbot.waitExposed(dlg)
        dlg.adjustSize()
        qtbot.wait(100)
        dlg.grab().save(os.path.join(SHOTS, "metering-station-emission.png"))
    dlg.accept()
    assert dlg.result() == dlg.DialogCode.Accepted and ctl.last_error is None
    assert ctl.dock.emissions.topLevelItemCount() == 1 and ctl.dock.emissions.topLevelItem(0).text(1) == "GS1"
    # an isolation: its vented gas from the current result
    iso = window.extensions["isolation"]
    pipe = str(window.network["pipes"]["id"].iloc[40])
    iso.service.run(IsolationRequest.at_pipe(pipe))
    qtbot.waitUntil(lambda: iso.service.result is not None, timeout=20000)
    dlg = ctl.vented_emission_dialog()
    assert dlg.source_box.currentData() == "isolation" and dlg.subject.text() == f"ISO-{pipe}"
    dlg.start_edit.setDateTime(QDateTime.fromSecsSinceEpoch(1_772_359_200, QTimeZone.utc()))  # 03-01 10:00
    dlg.end_edit.setDateTime(QDateTime.fromSecsSinceEpoch(1_772_366_400, QTimeZone.utc()))
    fig = dlg.run_compute()
    volume = float(iso.service.result.impact.isolated_gas_volume_nm3)
    assert fig.scope == "isolation" and fig.ch4_t == pytest.approx(volume * 0.95 * 0.7158 / 1000, rel=1e-3)
    if SHOTS:
        dlg.show()  # as exec() shows it
        qtbot.waitExposed(dlg)
        dlg.adjustSize()
        qtbot.wait(100)
        dlg.grab().save(os.path.join(SHOTS, "metering-vented-emission.png"))
    dlg.accept()
    assert ctl.dock.emissions.topLevelItemCount() == 2
    _shot(ctl, 3, "emissions")
    # the month's report: both figures, a bar each, exported as HTML
    report = ctl.report_dialog()
    report.month_box.setCurrentText("2026-03")
    assert len(report.report["figures"]) == 2 and "2 signed figure(s)" in report.summary.text()
    assert (
        len([i for i in report.plot.getPlotItem().items if isinstance(i, pg.BarGraphItem)]) == 2
        and "Methane emissions" in report.view.toHtml()
    )
    if SHOTS:
        report.resize(980, 760)
        report.grab().save(os.path.join(SHOTS, "metering-report.png"))
    out = ctl.save_report("2026-03", str(tmp_path / "m.html"))
    assert "Table 7.15" in out.read_text()
    report.month_box.setCurrentText("March")
    assert report.report is None and "YYYY-MM" in report.error_label.text()


def test_a_bad_share_is_refused_in_the_dock(window, metering, tmp_path):
    ctl = metering
    bad = tmp_path / "share.json"
    bad.write_text('{"format": "gasops-metering-share/v1"}')
    assert ctl.import_share(str(bad)) is None
    assert "share.json" in ctl.last_error and "not accepted" in ctl.dock.status_label.text()
    assert ctl.share_with_peer("nobody", ["GS1"], str(tmp_path / "x.json")) is None
    assert "unknown peer" in ctl.last_error


def test_a_peer_share_written_from_the_dock_holds_its_station_only(window, metering, tmp_path):
    import json

    from console.ledger import LedgerNode
    from console.metering import verify_share

    ctl = metering
    ctl.train_day("2026-03-01T00:00:00Z", leak_nm3h=6.0, customers=3)
    supplier = LedgerNode.init(tmp_path / "supplier", "supplier.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    try:
        svc = ctl.service
        svc.ledger.add_peer("supplier", "http://127.0.0.1:9", supplier.origin, supplier.org_vkey,
                            supplier.witness_vkey)  # fmt: skip
        out = ctl.share_with_peer("supplier", ["TR000-GS"], str(tmp_path / "share.json"))
        assert out is not None, ctl.last_error
        assert "Share for supplier saved" in ctl.dock.status_label.text()
        doc = json.loads(out.read_text())
        assert [m["meter_id"] for m in doc["meters"]] == ["TR000-GS"]
        assert "TR000-C00" not in out.read_text()
        # not yet witnessed (no peer has cosigned): verified against the pinned key with quorum 0 only
        report = verify_share(doc, log_keys=[svc.node.org_vkey], witness_keys=[], quorum=0,
                              recipient=supplier.origin)  # fmt: skip
        assert report.ok, report.to_json()
        assert verify_share(doc, log_keys=[svc.node.org_vkey], witness_keys=[], quorum=1).failure[0] == "witnessed"
    finally:
        supplier.close()


def test_a_swapped_meters_reading_is_proved_for_the_device_the_operator_picks(window, metering, tmp_path, monkeypatch):
    """A meter swapped mid-period: both devices anchored a reading 3. Prove in the dock asks which device (newest
    first, each with its state and readings); the proof written is of the device picked, and it verifies."""
    import json

    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from tests.metering.test_swap import swapped_meter

    ctl = metering
    old, new = swapped_meter(ctl.service)
    asked = {}

    def pick(parent, title, label, items, current=0, editable=False):
        asked["items"], asked["label"] = list(items), label
        return next(i for i in items if old.did in i), True  # the old device's reading

    out = tmp_path / "gs7-3.json"
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (3, True)))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    ctl.request_prove("GS-7")
    assert "GS-7 was swapped" in asked["label"]
    assert [new.did in asked["items"][0], old.did in asked["items"][1]] == [True, True]  # the device in service first
    assert "in service" in asked["items"][0] and "replaced at entry" in asked["items"][1]
    doc = json.loads(out.read_text())
    assert doc["reading"]["counter"] == 3 and old.did in json.dumps(doc)
    report = ctl.verify(str(out))
    assert report.ok and report.pinned and report.reading["value"] == 5000 + 12.5 * 3
    # cancelled: nothing written
    out.unlink()
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("", False)))
    ctl.request_prove("GS-7")
    assert not out.exists()
