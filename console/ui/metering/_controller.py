"""Wires a :class:`console.app.metering.MeteringService` (over the ledger feature's service, the operators, the
live session and the simulation feature's solves) to the Metering dock, the map and the Ledger menu. Work that touches
the ledger is short (one append per run); the training simulator anchors a day of a small district in well under a
second.

On the map: every registered meter at its feature (customer, gate station, regulator), coloured by the anchoring
state of its latest period; the area of a jump of unaccounted-for gas, drawn red. A jump is raised as a hazard
candidate (``hazard.reported``) when the operator at the console may report hazards, once per area and day.
Identify on a metered feature adds the meter and its latest anchored period to the identify panel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QFileDialog, QInputDialog, QTreeWidgetItem

from console.app.metering import MeteringService
from console.errors import GasOpsError
from console.metering import MeteringSimulator, format_time
from console.ui.actions import ActionSpec
from console.ui.metering._dock import MeteringDock
from console.ui.metering._overlay import STATE_COLOURS, MeterOverlay

METER_LAYERS = ("customers", "gate_stations", "regulators")

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
        self.jump = None  # the latest jump of the area shown (a BalanceRow) and its hazard, if raised
        self.jump_hazard: str | None = None
        self._positions: tuple[int, int, dict] | None = None  # (id(network), version, feature id -> (x, y))
        self._identify_items: list[QTreeWidgetItem] = []
        self._meter_rows: list[dict] = []
        self.dock = MeteringDock(window)
        window.add_dock(self.dock)
        self.overlay = MeterOverlay(window.canvas) if hasattr(window, "canvas") else None
        # the ledger feature is installed in the same pass: bind to its service once every feature is in place
        QTimer.singleShot(0, self._bind)

        declare = window.actions.declare
        enabled = lambda: self._ledger_open()  # noqa: E731
        declare(ActionSpec("metering.anchor", "Anchor meter readings (计量上链)", self.anchor_now, menu="Ledger",
                           section="metering", tip="Check the devices' signed batches and anchor them with their periods",
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.train", "Metering training on this network (计量仿真)", self.request_train,
                           menu="Ledger", section="metering", tip="Simulated meters at the network's gate stations, "
                           "regulators and customers (from its last solve): days of readings with an optional leak, "
                           "signed by the simulated devices and anchored", enabled=enabled,
                           permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.verify", "Verify a reading proof…", self.request_verify, menu="Ledger",
                           section="metering", tip="Check a reading's proof file offline"))  # fmt: skip

        d = self.dock
        d.anchorRequested.connect(self.anchor_now)
        d.trainRequested.connect(self.request_train)
        d.hazardRequested.connect(self.raise_jump_hazard)
        d.mapToggled.connect(self._on_map_toggle)
        d.reportRequested.connect(self.request_report)
        if hasattr(window, "canvas"):
            window.canvas.featureIdentified.connect(self._on_identified)
        if hasattr(window, "networkShown"):
            window.networkShown.connect(self._on_network_shown)
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
            simulation = extensions.get("simulation")
            if simulation is not None and hasattr(simulation, "service"):
                simulation.service.run_changed.connect(self._on_run)
                if simulation.service.run is not None:
                    self._on_run(simulation.service.run)
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
            self._meter_rows = []
            self.jump = None
            self._draw_map()
            self.refreshed.emit()
            return
        try:
            rows = svc.meter_overview()
            self._meter_rows = rows
            self.dock.show_meters(rows)
            states = [r["last_period"]["status"] for r in rows if r["last_period"]]
            counts = {s: states.count(s) for s in dict.fromkeys(states)}
            summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing anchored yet"
            self.dock.set_status(f"{len(rows)} meter(s) in {svc.node.origin}; latest periods: {summary}")
            self.dock.show_custody(svc.custody_records())
            areas = svc.areas()
            self.dock.set_areas(areas)
            self.area = self.area if self.area in areas else (areas[0] if areas else None)
            if self.area:
                self.dock.area_box.setCurrentText(self.area)
            self._show_balance()
            self.dock.show_emissions(svc.emission_records(), "Models: enclosure mass balance E = Q·(C − C_bg)·ρ_CH₄ "
                                     "(stations) and vented volume × CH₄ fraction × ρ_CH₄ (incidents); GWP-100 29.8, "
                                     "IPCC AR6 fossil CH₄.")  # fmt: skip
        except GasOpsError as exc:
            self._fail(str(exc))
        self._draw_map()
        self.refreshed.emit()

    def _show_balance(self) -> None:
        svc = self.service
        self.jump, self.jump_hazard = None, None
        if not self.area:
            self.dock.show_balance([])
            self.dock.set_balance_note("", hazard_enabled=False)
            return
        ids = {m.meter_id for m in svc.meters() if m.area == self.area}
        days = sorted({(datetime.fromisoformat(b["end"].replace("Z", "+00:00")) - timedelta(microseconds=1))
                       .date().isoformat() for m in ids
                       for b in svc.period_bodies(m) if b.get("quantity_nm3") is not None})  # fmt: skip
        rows = svc.balance(self.area, days) if days else []
        # a day holding only the meters' opening totals (commissioning) has no flow to balance
        rows = [r for r in rows if r.inflow_nm3 or r.consumption_nm3]
        self.dock.show_balance([r.to_json() for r in rows])
        jumps = [r for r in rows if r.jump]
        self.jump = jumps[-1] if jumps else None
        notes = []
        snaps = svc.linepack_snapshots()
        pack = [(s["time"], s["areas"][self.area]) for s in snaps if self.area in s["areas"]]
        if pack:
            notes.append(f"Line pack of {self.area}: {pack[-1][1]:,.1f} Nm³ (solve of {pack[-1][0]}; "
                         f"{len(pack)} solve(s) recorded)")  # fmt: skip
        else:
            notes.append("Line pack: no solve recorded yet (simulate the network): counted as unchanged")
        if self.jump is not None:
            self.jump_hazard = svc.balance_hazard(self.jump)
            day = self.jump.start[:10]
            if self.jump_hazard:
                notes.append(f"Jump on {day} raised as hazard {self.jump_hazard}")
            else:
                notes.append(f"Jump on {day}: a hazard candidate — an operator who may report hazards raises it")
                QTimer.singleShot(0, self._auto_raise)
        self.dock.set_balance_note("\n".join(notes), hazard_enabled=self.jump is not None and not self.jump_hazard)

    def _auto_raise(self) -> None:
        """Raise the shown jump as a hazard when the operator at the console may (never twice: the service checks)."""
        ops = getattr(self.window, "operators", None)
        if self.jump is None or self.jump_hazard or (ops is not None and not ops.can("hazard.report")):
            return
        self.raise_jump_hazard()

    def raise_jump_hazard(self) -> str | None:
        if self.jump is None:
            return None
        try:
            hazard_id = self.service.raise_balance_hazard(self.jump)
        except GasOpsError as exc:
            self._fail(str(exc))
            return None
        self.window.statusBar().showMessage(f"Gas balance jump in {self.jump.area} raised as hazard {hazard_id}", 10000)
        return hazard_id

    # -- the map ---------------------------------------------------------------------------------------------------------
    def _on_run(self, run) -> None:
        """A new solve: its line pack per area is recorded (when a ledger is open) and the map's areas follow it."""
        svc = self._service
        if run is None or svc is None:
            return
        try:
            if svc.ledger.node is not None:
                svc.set_hydraulic_state(run.network, run.result)
            else:
                svc.network, svc.result = run.network, run.result
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        if svc.ledger.node is not None:
            self.refresh()

    def _on_network_shown(self) -> None:
        self._positions = None
        svc = self._service
        if svc is not None and svc.network is not None and self.window.network is not None:
            if getattr(svc.network, "name", None) != getattr(self.window.network, "name", None):
                svc.network = svc.result = None  # another network: its solve is not this one's
        self._draw_map()

    def _on_map_toggle(self, on: bool) -> None:
        if self.overlay is not None:
            self.overlay.set_visible(on)

    def positions(self) -> dict[str, tuple[float, float]]:
        """Map point of each customer, gate station and regulator of the open network (cached per version)."""
        net = getattr(self.window, "network", None)
        if net is None:
            return {}
        key = (id(net), int(getattr(net, "version", 0)))
        if self._positions is None or self._positions[:2] != key:
            out: dict[str, tuple[float, float]] = {}
            for layer in METER_LAYERS:
                frame = net[layer]
                if len(frame):
                    g = frame.geometry
                    xs, ys = g.x.to_numpy(float), g.y.to_numpy(float)
                    out.update(zip(frame["id"].astype(str), zip(xs.tolist(), ys.tolist(), strict=True), strict=True))
            self._positions = (*key, out)
        return self._positions[2]

    def _draw_map(self) -> None:
        if self.overlay is None:
            return
        pos = self.positions()
        placed = [(pos[r["feature_id"]], r) for r in self._meter_rows if r.get("feature_id") in pos]
        xy = np.array([p for p, _ in placed], float).reshape(-1, 2)
        states = [(r["last_period"] or {}).get("status", "none") for _, r in placed]
        self.overlay.show_meters(xy, states, [r["kind"] for _, r in placed])
        svc = self._service
        if self.jump is not None and svc is not None and self.window.network is not None:
            pct = f"{self.jump.ufg_pct:.1f} %" if self.jump.ufg_pct is not None else ""
            text = f"输差 {self.jump.area}: UFG {self.jump.ufg_nm3:,.0f} Nm³ {pct} on {self.jump.start[:10]}"
            self.overlay.show_area(svc.area_points(self.jump.area), text, svc.area_centre(self.jump.area))
        else:
            self.overlay.show_area(None)

    # -- identify ------------------------------------------------------------------------------------------------------
    def _on_identified(self, hit) -> None:
        """A metered feature identified: its meter and latest anchored period join the identify panel."""
        panel = getattr(self.window, "attributes_dock", None)
        if panel is None:
            return
        for item in self._identify_items:
            i = panel.table.indexOfTopLevelItem(item)
            if i >= 0:
                panel.table.takeTopLevelItem(i)
        self._identify_items = []
        if hit is None:
            return
        rows = [r for r in self._meter_rows if r.get("feature_id") == hit.feature_id]
        if not rows:
            return
        bold = QFont(panel.table.font())
        bold.setBold(True)
        for r in rows:
            lp = r["last_period"]
            if lp:
                qty = f" · {lp['quantity_nm3']:,.1f} Nm³" if lp.get("quantity_nm3") is not None else ""
                text = f"{lp['end']} · {lp['status']} · {lp['received']}/{lp['expected']} readings{qty}"
            else:
                text = "no period anchored yet"
            head = QTreeWidgetItem(["Meter 计量", f"{r['meter_id']} ({r['kind']}, {r['area']})"])
            last = QTreeWidgetItem(["Last anchored period", text])
            last.setFont(1, bold)
            last.setForeground(1, QBrush(QColor(STATE_COLOURS.get(lp["status"] if lp else "none", "#8a8a8a"))))
            for item in (head, last):
                item.setToolTip(1, item.text(1))
                panel.table.addTopLevelItem(item)
                self._identify_items.append(item)

    def identify_rows(self) -> dict[str, str]:
        """What the identify panel shows of the metering (tests read it)."""
        return {i.text(0): i.text(1) for i in self._identify_items}

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

    def request_train(self) -> None:
        """The Train button and menu: on the open network (days of readings, a leak if asked), else a demo area."""
        if getattr(self.window, "network", None) is None:
            self.train_day()
            return
        svc = self.service
        areas = svc.areas() or ([self.area] if self.area else [])
        area, leak = "", 0.0
        if areas:
            area, ok = QInputDialog.getItem(self.window, "Metering training", "Area with a leak (or none):",
                                            ["(no leak)", *areas], 0, False)  # fmt: skip
            if not ok:
                return
            if area != "(no leak)":
                leak, ok = QInputDialog.getDouble(self.window, "Metering training", f"Leak in {area} (Nm³/h):",
                                                  20.0, 0.0, 1e6, 1)  # fmt: skip
                if not ok:
                    return
        self.train_network(days=1 if svc.trainer is not None else 7, leak={area: leak} if leak else None)

    def train_network(self, *, days: int = 7, leak: dict[str, float] | None = None, start: str | None = None) -> None:
        """Training on the open network's meters: solve it first when the simulation has no run of this version."""
        net = getattr(self.window, "network", None)
        if net is None:
            self._fail("Open a network first: training puts meters on its customers, gate stations and regulators")
            return
        svc = self.service
        if svc.result is None or int(getattr(svc.result, "network_version", -1)) != int(net.version):
            try:
                from console.hydraulics import simulate

                run = net.snapshot() if hasattr(net, "snapshot") else net
                result = simulate(run)
                if svc.ledger.node is not None:
                    svc.set_hydraulic_state(run, result)
                else:
                    svc.network, svc.result = run, result
            except GasOpsError as exc:
                self._fail(f"Metering training needs a solved network: {exc}")
                return
        try:
            report = svc.train_network(days=days, leak_nm3h=leak, start=start)
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        self.window.statusBar().showMessage(f"Metering training: {days} day(s) of {len(svc.trainer.meters)} meters, "
                                            f"{report.batch_entries} batches anchored", 10000)  # fmt: skip

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

    def request_report(self) -> None:
        month, ok = QInputDialog.getText(self.window, "Emissions report", "Month (YYYY-MM):",
                                         text=datetime.now(UTC).strftime("%Y-%m"))  # fmt: skip
        if not ok or not month.strip():
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Save emissions report", f"methane-{month.strip()}.html",
                                              "HTML report (*.html);;JSON (*.json)")  # fmt: skip
        if path:
            self.save_report(month.strip(), path)

    def save_report(self, month: str, path: str):
        try:
            out = self.service.write_emissions_report(month, path)
        except (GasOpsError, OSError) as exc:
            self._fail(f"Emissions report not saved: {exc}")
            return None
        self.window.statusBar().showMessage(f"Emissions report of {month} saved to {out}", 10000)
        return out

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
