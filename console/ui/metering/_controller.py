"""Wires a :class:`console.app.metering.MeteringService` (over the ledger feature's service, the operators and the
live session) to the Metering dock and the Ledger menu. Work that touches the ledger is short (one append per run);
the training simulator anchors a day of a small district in well under a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog

from console.app.metering import MeteringService
from console.errors import GasOpsError
from console.metering import MeteringSimulator, format_time
from console.ui.actions import ActionSpec
from console.ui.metering._dock import MeteringDock

__all__ = ["MeteringController"]


class MeteringController(QObject):
    """Signals: ``refreshed()`` after the dock shows the service's state, ``failed(str)``."""

    refreshed = Signal()
    failed = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._service: MeteringService | None = None
        self.last_error: str | None = None
        self.area: str | None = None
        self.dock = MeteringDock(window)
        window.add_dock(self.dock)
        # the ledger feature is installed in the same pass: bind to its service once every feature is in place
        QTimer.singleShot(0, self._bind)

        declare = window.actions.declare
        enabled = lambda: self._ledger_open()  # noqa: E731
        declare(ActionSpec("metering.anchor", "Anchor meter readings (计量上链)", self.anchor_now, menu="Ledger",
                           section="metering", tip="Check the devices' signed batches and anchor them with their periods",
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.train", "Metering training day (计量仿真)", self.train_day, menu="Ledger",
                           section="metering", tip="Simulated meters of one area with a leak: a day of readings, "
                           "signed by the simulated devices and anchored", enabled=enabled,
                           permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.verify", "Verify a reading proof…", self.request_verify, menu="Ledger",
                           section="metering", tip="Check a reading's proof file offline"))  # fmt: skip

        d = self.dock
        d.anchorRequested.connect(self.anchor_now)
        d.trainRequested.connect(self.train_day)
        d.proveRequested.connect(self.request_prove)
        d.verifyRequested.connect(self.request_verify)
        d.areaChanged.connect(self._on_area_change)

    def _ledger_open(self) -> bool:
        return self._service is not None and self._service.ledger.node is not None

    def _bind(self) -> MeteringService | None:
        if self._service is None:
            extensions = getattr(self.window, "extensions", None)
            ledger = extensions.get("ledger") if isinstance(extensions, dict) else None
            if ledger is None:
                return None
            telemetry = extensions.get("telemetry")
            self._service = MeteringService(ledger.service, getattr(self.window, "operators", None),
                                            live=getattr(telemetry, "session", None))  # fmt: skip
            self.window.tabifyDockWidget(ledger.ledger_dock, self.dock)
            ledger.service.opened.connect(self.refresh)
            ledger.service.closed.connect(self.refresh)
            self._service.changed.connect(self.refresh)
            self.refresh()
        return self._service

    @property
    def service(self) -> MeteringService:
        """The metering service over the ledger feature's service (GasOpsError when the ledger feature is absent)."""
        svc = self._bind()
        if svc is None:
            raise GasOpsError("the metering feature needs the ledger feature, which is not installed")
        return svc

    # -- showing -------------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        svc = self._bind()
        if svc is None or svc.ledger.node is None:
            self.dock.set_status("No ledger open: unlock the ledger (Ledger menu) to see its meters.")
            for show in (self.dock.show_meters, self.dock.show_custody, self.dock.show_balance):
                show([])
            self.dock.show_emissions([])
            self.refreshed.emit()
            return
        try:
            rows = []
            for m in svc.meters():
                last = svc.period_bodies(m.meter_id, origin=svc.origin_of(m.meter_id))[-1:]
                rows.append({**m.to_json(), "last_period": last[0] if last else None})
            self.dock.show_meters(rows)
            states = [r["last_period"]["status"] for r in rows if r["last_period"]]
            counts = {s: states.count(s) for s in dict.fromkeys(states)}
            summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing anchored yet"
            self.dock.set_status(f"{len(rows)} meter(s) in {svc.node.origin}; latest periods: {summary}")
            self.dock.show_custody(svc.custody_records())
            areas = sorted({m.area for m in svc.meters() if m.area})
            self.dock.set_areas(areas)
            self.area = self.area if self.area in areas else (areas[0] if areas else None)
            self._show_balance()
            self.dock.show_emissions(svc.emission_records(), "Models: enclosure mass balance E = Q·(C − C_bg)·ρ_CH₄ "
                                     "(stations) and vented volume × CH₄ fraction × ρ_CH₄ (incidents); GWP-100 29.8, "
                                     "IPCC AR6 fossil CH₄.")  # fmt: skip
        except GasOpsError as exc:
            self._fail(str(exc))
        self.refreshed.emit()

    def _show_balance(self) -> None:
        if not self.area:
            self.dock.show_balance([])
            return
        days = sorted({(datetime.fromisoformat(b["end"].replace("Z", "+00:00")) - timedelta(microseconds=1))
                       .date().isoformat() for m in self.service.meters() if m.area == self.area
                       for b in self.service.period_bodies(m.meter_id) if b.get("quantity_nm3") is not None})  # fmt: skip
        rows = self.service.balance(self.area, days) if days else []
        # a day holding only the meters' opening totals (commissioning) has no flow to balance
        self.dock.show_balance([r.to_json() for r in rows if r.inflow_nm3 or r.consumption_nm3])

    def _on_area_change(self, area: str) -> None:
        self.area = area or None
        self._show_balance()

    def _fail(self, text: str) -> str:
        self.last_error = text
        self.failed.emit(text)
        self.window.statusBar().showMessage(text, 10000)
        return text

    # -- actions -------------------------------------------------------------------------------------------------------
    def anchor_now(self) -> None:
        try:
            report = self.service.anchor(until=format_time(datetime.now(UTC)))
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        self.window.statusBar().showMessage(f"Metering: {report.batch_entries} batch(es), {report.period_entries} "
                                            f"period(s) anchored, {len(report.rejected)} rejected", 10000)  # fmt: skip

    def train_day(self, start: str | None = None, *, leak_nm3h: float = 6.0, customers: int = 6) -> None:
        """Training: an area with a gate meter and customer meters (and a leak) over one day, anchored."""
        svc = self.service
        try:
            day = start or (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
            sim = MeteringSimulator(day, profile_amplitude=0.3)
            prefix = f"TR{len(svc.meters()):03d}"
            area = f"DMA-{prefix}"
            gate = sim.add_inflow(f"{prefix}-GS", area, station=f"{prefix}-GS")
            svc.register_meter(gate.meter)
            for i in range(customers):
                svc.register_meter(sim.add_customer(f"{prefix}-C{i:02d}", area, 15.0 + 10.0 * (i % 4)).meter)
            sim.set_leak(area, leak_nm3h)
            svc.submit(sim.advance(86_400))
            report = svc.anchor()
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        self.window.statusBar().showMessage(f"Training day anchored: {report.batch_entries} batches", 10000)

    def request_prove(self, meter_id: str = "") -> None:
        meter_id = meter_id or self.dock.selected_meter() or ""
        if not meter_id:
            self._fail("Select a meter in the Metering dock first")
            return
        counter, ok = QInputDialog.getInt(self.window, "Prove a reading", f"Reading counter of {meter_id}:", 1, 0)
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Save reading proof", f"{meter_id}-{counter}.json",
                                              "Reading proof (*.json)")  # fmt: skip
        if path:
            self.prove(meter_id, counter, path)

    def prove(self, meter_id: str, counter: int, path: str):
        try:
            out = self.service.prove(meter_id, counter, path)
        except GasOpsError as exc:
            self._fail(str(exc))
            return None
        self.window.statusBar().showMessage(f"Proof of {meter_id} reading {counter} saved to {out}", 10000)
        return out

    def request_verify(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Verify reading proof", "", "Reading proof (*.json)")
        if path:
            self.verify(path)

    def verify(self, path: str):
        """Verify a proof file against the pinned key of its log when this ledger holds that log (else the file's)."""
        node = self.service.ledger.node
        try:
            report = self.service.verify_proof(path)
            if node is not None and report.origin in {log.origin for log in node.logs()}:
                keys = [v.vkey for v in node.log_verifiers(report.origin)]
                report = self.service.verify_proof(path, log_keys=keys)
        except GasOpsError as exc:
            self._fail(str(exc))
            return None
        if not report.ok:
            verdict = f"NOT VERIFIED ({report.failure})"
        else:
            verdict = "VERIFIED" if report.pinned else "self-consistent (log key not pinned)"
        r = report.reading or {}
        text = f"Reading proof {verdict}: meter {report.meter_id} reading {r.get('counter')} = {r.get('value')} Nm³"
        self.dock.set_status(text + "\n" + "\n".join(f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}"
                                                      for c in report.checks))  # fmt: skip
        self.window.statusBar().showMessage(text, 10000)
        return report
