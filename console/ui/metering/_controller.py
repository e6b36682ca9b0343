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
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QFileDialog, QInputDialog, QTreeWidgetItem

from console.app.metering import MeteringService
from console.errors import GasOpsError
from console.metering import MeteringSimulator, StationParameters, format_time
from console.ui.actions import ActionSpec
from console.ui.i18n import translate
from console.ui.metering._dock import MeteringDock, label
from console.ui.metering._emissions import EmissionsReportDialog, station_dialog, utc_text, vented_dialog
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
        declare(ActionSpec("metering.anchor", QT_TRANSLATE_NOOP("Actions", "Anchor meter readings"), self.anchor_now,
                           menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Check the devices' signed batches and anchor them with "
                                                 "their periods"),
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.train", QT_TRANSLATE_NOOP("Actions", "Metering training on this network"),
                           self.request_train, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Simulated meters at the network's gate stations, "
                                                 "regulators and customers (from its last solve): days of readings "
                                                 "with an optional leak, signed by the simulated devices and "
                                                 "anchored"),
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.verify", QT_TRANSLATE_NOOP("Actions", "Verify a reading proof…"),
                           self.request_verify, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Check a reading's proof file offline")))  # fmt: skip
        declare(ActionSpec("metering.station_emission", QT_TRANSLATE_NOOP("Actions", "Station methane emissions…"),
                           self.request_station_emission, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Compute a station's methane emissions over a period "
                                                 "from its detector and sign the figure into the ledger"),
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.vented_emission",
                           QT_TRANSLATE_NOOP("Actions", "Incident or isolation methane emissions…"),
                           self.request_vented_emission, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Compute the methane an incident's plan or the current "
                                                 "isolation vents and sign the figure into the ledger"),
                           enabled=enabled, permission="feed.control"))  # fmt: skip
        declare(ActionSpec("metering.report", QT_TRANSLATE_NOOP("Actions", "Monthly emissions report…"),
                           self.request_report, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "The month's signed methane figures for the regulator: "
                                                 "plot, report and export"),
                           enabled=enabled))  # fmt: skip
        declare(ActionSpec("metering.share", QT_TRANSLATE_NOOP("Actions", "Share metering with a peer…"),
                           self.request_share, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Write a peer's share: the batches of the stations it may "
                                                 "see, with proofs to a signed, witnessed checkpoint"),
                           enabled=enabled, permission="ledger.sync"))  # fmt: skip
        declare(ActionSpec("metering.import_share", QT_TRANSLATE_NOOP("Actions", "Import a peer's metering share…"),
                           self.request_import_share, menu="Ledger", section="metering",
                           tip=QT_TRANSLATE_NOOP("Actions", "Verify a peer's share with the keys pinned for it and "
                                                 "import its meters' batches"),
                           enabled=enabled, permission="ledger.sync"))  # fmt: skip

        d = self.dock
        d.anchorRequested.connect(self.anchor_now)
        d.trainRequested.connect(self.request_train)
        d.hazardRequested.connect(self.raise_jump_hazard)
        d.mapToggled.connect(self._on_map_toggle)
        d.reportRequested.connect(self.request_report)
        d.stationEmissionRequested.connect(self.request_station_emission)
        d.ventedEmissionRequested.connect(self.request_vented_emission)
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
            self.dock.set_status(translate("Metering", "No ledger open: unlock the ledger (Ledger menu) to see its "
                                           "meters."))  # fmt: skip
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
            summary = ", ".join(f"{n} {label(s)}" for s, n in counts.items()) or translate(
                "Metering", "nothing anchored yet"
            )
            self.dock.set_status(translate("Metering", "{count} meter(s) in {origin}; latest periods: {summary}")
                                 .format(count=len(rows), origin=svc.node.origin, summary=summary))  # fmt: skip
            self.dock.show_custody(svc.custody_records())
            areas = svc.areas()
            self.dock.set_areas(areas)
            self.area = self.area if self.area in areas else (areas[0] if areas else None)
            if self.area:
                self.dock.area_box.setCurrentText(self.area)
            self._show_balance()
            self.dock.show_emissions(svc.emission_records(), translate(
                "Metering", "Models: enclosure mass balance E = Q·(C − C_bg)·ρ_CH₄ (stations) and vented volume × "
                "CH₄ fraction × ρ_CH₄ (incidents, isolations); GWP-100 29.8 for fossil CH₄ (IPCC AR6 WGI, Chapter 7, "
                "Table 7.15) unless a figure states another."))  # fmt: skip
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
            notes.append(translate("Metering", "Line pack of {area}: {pack:,.1f} Nm³ (solve of {time}; {count} solve(s) "
                                   "recorded)").format(area=self.area, pack=pack[-1][1], time=pack[-1][0],
                                                       count=len(pack)))  # fmt: skip
        else:
            notes.append(translate("Metering", "Line pack: no solve recorded yet (simulate the network): counted as "
                                   "unchanged"))  # fmt: skip
        if self.jump is not None:
            self.jump_hazard = svc.balance_hazard(self.jump)
            day = self.jump.start[:10]
            if self.jump_hazard:
                notes.append(translate("Metering", "Jump on {day} raised as hazard {hazard}").format(
                    day=day, hazard=self.jump_hazard))  # fmt: skip
            else:
                notes.append(translate("Metering", "Jump on {day}: a hazard candidate — an operator who may report "
                                       "hazards raises it").format(day=day))  # fmt: skip
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
        self.window.statusBar().showMessage(translate("Metering", "Gas balance jump in {area} raised as hazard {hazard}")
                                            .format(area=self.jump.area, hazard=hazard_id), 10000)  # fmt: skip
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
            text = translate("Metering", "Gas balance {area}: UFG {ufg:,.0f} Nm³ {pct} on {day}").format(
                area=self.jump.area, ufg=self.jump.ufg_nm3, pct=pct, day=self.jump.start[:10])  # fmt: skip
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
                text = (
                    translate("Metering", "{end} · {status} · {received}/{expected} readings").format(
                        end=lp["end"], status=label(lp["status"]), received=lp["received"], expected=lp["expected"]
                    )
                    + qty
                )
            else:
                text = translate("Metering", "no period anchored yet")
            head = QTreeWidgetItem(
                [translate("Metering", "Meter"), f"{r['meter_id']} ({label(r['kind'])}, {r['area']})"]
            )
            last = QTreeWidgetItem([translate("Metering", "Last anchored period"), text])
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
        self.window.statusBar().showMessage(translate("Metering", "Metering: {batches} batch(es), {periods} period(s) "
                                                      "anchored, {rejected} rejected").format(
            batches=report.batch_entries, periods=report.period_entries, rejected=len(report.rejected)), 10000)  # fmt: skip

    def request_train(self) -> None:
        """The Train button and menu: on the open network (days of readings, a leak if asked), else a demo area."""
        if getattr(self.window, "network", None) is None:
            self.train_day()
            return
        svc = self.service
        areas = svc.areas() or ([self.area] if self.area else [])
        area, leak = "", 0.0
        if areas:
            title = translate("Metering", "Metering training")
            no_leak = translate("Metering", "(no leak)")
            area, ok = QInputDialog.getItem(self.window, title, translate("Metering", "Area with a leak (or none):"),
                                            [no_leak, *areas], 0, False)  # fmt: skip
            if not ok:
                return
            if area != no_leak:
                leak, ok = QInputDialog.getDouble(self.window, title, translate("Metering", "Leak in {area} (Nm³/h):")
                                                  .format(area=area), 20.0, 0.0, 1e6, 1)  # fmt: skip
                if not ok:
                    return
        self.train_network(days=1 if svc.trainer is not None else 7, leak={area: leak} if leak else None)

    def train_network(self, *, days: int = 7, leak: dict[str, float] | None = None, start: str | None = None) -> None:
        """Training on the open network's meters: solve it first when the simulation has no run of this version."""
        net = getattr(self.window, "network", None)
        if net is None:
            self._fail(translate("Metering", "Open a network first: training puts meters on its customers, gate "
                                 "stations and regulators"))  # fmt: skip
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
                self._fail(translate("Metering", "Metering training needs a solved network: {error}").format(error=exc))
                return
        try:
            report = svc.train_network(days=days, leak_nm3h=leak, start=start)
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        self.window.statusBar().showMessage(translate("Metering", "Metering training: {days} day(s) of {meters} "
                                                      "meters, {batches} batches anchored").format(
            days=days, meters=len(svc.trainer.meters), batches=report.batch_entries), 10000)  # fmt: skip

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
        self.window.statusBar().showMessage(translate("Metering", "Training day anchored: {batches} batches")
                                            .format(batches=report.batch_entries), 10000)  # fmt: skip

    # -- methane emissions -------------------------------------------------------------------------------------------
    def _live(self):
        """The live session now (a feed may have started since the service was made)."""
        telemetry = getattr(self.window, "extensions", {}).get("telemetry")
        session = getattr(telemetry, "session", None)
        if session is not None and self._service is not None:
            self._service.live = session
        return session

    def station_emission_dialog(self):
        """The station form, wired to the service (tests fill it, compute and accept it; the GUI runs it)."""
        svc = self.service
        net = getattr(self.window, "network", None)
        stations = []
        if net is not None:
            for layer in ("gate_stations", "regulators"):
                stations += [str(x) for x in net[layer]["id"]] if len(net[layer]) else []
        live = self._live()
        sensors = []
        if live is not None:
            table = live.sensors
            sensors = [str(i) for i, u in zip(table.ids, table.unit, strict=True) if "LEL" in str(u).upper()]
        dlg = station_dialog(self.window, stations, sensors)

        def compute():
            params = StationParameters(dlg.station_box.currentText().strip(), dlg.ventilation.value(),
                                       background_ppm=dlg.background.value())  # fmt: skip
            if not params.station:
                raise GasOpsError(translate("Metering", "Choose the station"))
            return svc.station_emission_for_period(params, dlg.sensor_box.currentText().strip(),
                                                   utc_text(dlg.start_edit), utc_text(dlg.end_edit), gwp=dlg.gwp)  # fmt: skip

        dlg.compute, dlg.sign = compute, self._sign_emission
        return dlg

    def vented_emission_dialog(self):
        """The vented-gas form over the incidents with a signed plan and the current isolation result."""
        svc = self.service
        extensions = getattr(self.window, "extensions", {})
        sources = []
        isolation = extensions.get("isolation")
        result = getattr(getattr(isolation, "service", None), "result", None)
        if result is not None:
            volume = float(result.impact.isolated_gas_volume_nm3)
            sources.append(("isolation", translate("Metering", "Current isolation ({volume:,.1f} Nm³ shut off)")
                            .format(volume=volume)))  # fmt: skip
        dispatch = extensions.get("dispatch")
        incidents = getattr(dispatch, "service", None) if dispatch is not None else None
        if incidents is not None:
            try:
                for inc in incidents.incidents():
                    if inc.plan is not None and "gas_vented_nm3" in inc.plan.body:
                        sources.append((f"incident:{inc.incident_id}", translate(
                            "Metering", "Incident {id} ({volume:,.1f} Nm³ vented by its plan)").format(
                            id=inc.incident_id, volume=float(inc.plan.body["gas_vented_nm3"]))))  # fmt: skip
            except GasOpsError as exc:
                self._fail(str(exc))
        dlg = vented_dialog(self.window, sources)
        if result is not None:
            breaks = getattr(getattr(result, "request", None), "breaks", ()) or ()
            dlg.subject.setText("ISO-" + "-".join(b.feature_id for b in breaks) if breaks else "ISO-1")

        def compute():
            key = dlg.source_box.currentData()
            if not key:
                raise GasOpsError(translate("Metering", "Nothing vents yet: run an isolation analysis or plan an "
                                            "incident first"))  # fmt: skip
            if key == "isolation":
                return svc.isolation_emission(result, dlg.subject.text().strip() or "ISO-1",
                                              start=utc_text(dlg.start_edit), end=utc_text(dlg.end_edit),
                                              methane_fraction=dlg.fraction.value(), gwp=dlg.gwp)  # fmt: skip
            return svc.incident_emission(incidents, key.split(":", 1)[1], methane_fraction=dlg.fraction.value(),
                                         gwp=dlg.gwp)  # fmt: skip

        dlg.compute, dlg.sign = compute, self._sign_emission
        return dlg

    def _sign_emission(self, figure):
        out = self.service.record_emission(figure)
        self.window.statusBar().showMessage(translate("Metering", "Emission figure of {subject} signed: {ch4:.4f} t "
                                                      "CH₄ = {co2e:.3f} t CO₂e").format(
            subject=figure.subject, ch4=figure.ch4_t, co2e=figure.co2e_t), 10000)  # fmt: skip
        return out

    def request_station_emission(self) -> None:
        try:
            self.station_emission_dialog().exec()
        except GasOpsError as exc:
            self._fail(str(exc))

    def request_vented_emission(self) -> None:
        try:
            self.vented_emission_dialog().exec()
        except GasOpsError as exc:
            self._fail(str(exc))

    def report_dialog(self) -> EmissionsReportDialog:
        """The month's report for the regulator (plot, report, export), on the months that have figures."""
        svc = self.service
        months = sorted({r["start"][:7] for r in svc.emission_records()} | {r["end"][:7] for r in
                        svc.emission_records()}, reverse=True)  # fmt: skip
        now = datetime.now(UTC).strftime("%Y-%m")
        if now not in months:
            months.insert(0, now)

        def load(month: str):
            if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
                raise GasOpsError(translate("Metering", "Give the month as YYYY-MM"))
            return svc.emissions_report(month), svc.emissions_report_html(month)

        return EmissionsReportDialog(months, load, self.request_save_report, self.window)

    def request_report(self) -> None:
        try:
            self.report_dialog().exec()
        except GasOpsError as exc:
            self._fail(str(exc))

    def request_save_report(self, month: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, translate("Metering", "Save emissions report"),
                                              f"methane-{month}.html",
                                              translate("Metering", "HTML report (*.html);;JSON (*.json)"))  # fmt: skip
        if path:
            self.save_report(month, path)

    def save_report(self, month: str, path: str):
        try:
            out = self.service.write_emissions_report(month, path)
        except (GasOpsError, OSError) as exc:
            self._fail(translate("Metering", "Emissions report not saved: {error}").format(error=exc))
            return None
        self.window.statusBar().showMessage(translate("Metering", "Emissions report of {month} saved to {path}")
                                            .format(month=month, path=out), 10000)  # fmt: skip
        return out

    # -- per-peer shares -----------------------------------------------------------------------------------------------
    def share_with_peer(self, peer: str, stations: list[str], path: str):
        """Set ``peer``'s scope to ``stations`` and write its share (the GUI asks for both first)."""
        svc = self.service
        try:
            svc.set_peer_scope(peer, stations=stations, meters=svc.peer_scopes().get(peer, {}).get("meters", []))
            out, summary = svc.share_for_peer(peer, path)
        except GasOpsError as exc:
            self._fail(str(exc))
            return None
        text = translate("Metering", "Share for {peer} saved to {path}: meters {meters}, {batches} batch(es) proved "
                         "to checkpoint {size}").format(peer=peer, path=out, meters=", ".join(summary["meters"]),
                                                        batches=summary["batches"], size=summary["checkpoint_size"])  # fmt: skip
        self.dock.set_status(text)
        self.window.statusBar().showMessage(text, 10000)
        return out

    def request_share(self) -> None:
        svc = self.service
        try:
            peers = [p.name for p in svc.node.peers()]
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        if not peers:
            self._fail(translate("Metering", "No ledger peer is configured: add the peer (Ledger › Peers) first"))
            return
        title = translate("Metering", "Share metering with a peer")
        peer, ok = QInputDialog.getItem(self.window, title, translate("Metering", "Peer:"), peers, 0, False)
        if not ok:
            return
        known = sorted({m.station for m in svc.meters() if m.station})
        current = svc.peer_scopes().get(peer, {}).get("stations", [])
        text, ok = QInputDialog.getText(self.window, title, translate(
            "Metering", "Stations {peer} may see (comma-separated; known: {known}):").format(
            peer=peer, known=", ".join(known) or "—"), text=", ".join(current))  # fmt: skip
        if not ok:
            return
        stations = [x.strip() for x in text.split(",") if x.strip()]
        path, _ = QFileDialog.getSaveFileName(self.window, title, f"metering-share-{peer}.json",
                                              translate("Metering", "Metering share (*.json)"))  # fmt: skip
        if path:
            self.share_with_peer(peer, stations, path)

    def import_share(self, path: str):
        try:
            report = self.service.import_share(path)
        except GasOpsError as exc:
            self._fail(str(exc))
            self.dock.set_status(str(exc))
            return None
        text = translate("Metering", "Share of {origin} verified and imported: meters {meters} ({entries} entries, "
                         "{witnesses} witness cosignature(s))").format(
            origin=report.origin, meters=", ".join(m.meter_id for m in report.meters), entries=len(report.entries),
            witnesses=report.witnesses)  # fmt: skip
        self.dock.set_status(text)
        self.window.statusBar().showMessage(text, 10000)
        return report

    def request_import_share(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, translate("Metering", "Import a peer's metering share"),
                                              "", translate("Metering", "Metering share (*.json)"))  # fmt: skip
        if path:
            self.import_share(path)

    def request_prove(self, meter_id: str = "") -> None:
        meter_id = meter_id or self.dock.selected_meter() or ""
        if not meter_id:
            self._fail(translate("Metering", "Select a meter in the Metering dock first"))
            return
        counter, ok = QInputDialog.getInt(self.window, translate("Metering", "Prove a reading"),
                                          translate("Metering", "Reading counter of {meter}:").format(meter=meter_id),
                                          1, 0)  # fmt: skip
        if not ok:
            return
        device = None
        try:
            candidates = self.service.reading_candidates(meter_id, counter)
        except GasOpsError as exc:
            self._fail(str(exc))
            return
        if len(candidates) > 1:  # a swapped meter: each device numbered its readings from 0
            device = self.ask_device(meter_id, counter, candidates)
            if device is None:
                return
        path, _ = QFileDialog.getSaveFileName(self.window, translate("Metering", "Save reading proof"),
                                              f"{meter_id}-{counter}.json",
                                              translate("Metering", "Reading proof (*.json)"))  # fmt: skip
        if path:
            self.prove(meter_id, counter, path, device=device)

    def device_choices(self, candidates: list[dict]) -> list[str]:
        """One line per device that anchored the reading (newest first), as the device dialog lists them."""
        out = []
        for c in sorted(candidates, key=lambda c: -(c["registered"] or 0)):
            state = (translate("Metering", "in service") if c["revoked"] is None else
                     translate("Metering", "replaced at entry {entry}").format(entry=c["revoked"]))  # fmt: skip
            out.append(translate("Metering", "{device} — {state}; readings {start}–{end} (batch entry {batch})").format(
                device=c["device"], state=state, start=c["start"], end=c["end"], batch=c["batch"]))  # fmt: skip
        return out

    def ask_device(self, meter_id: str, counter: int, candidates: list[dict]) -> str | None:
        """Which of a swapped meter's devices signed the reading to prove (None: cancelled)."""
        ordered = sorted(candidates, key=lambda c: -(c["registered"] or 0))
        items = self.device_choices(candidates)
        item, ok = QInputDialog.getItem(
            self.window, translate("Metering", "Prove a reading"),
            translate("Metering", "Meter {meter} was swapped: more than one of its devices anchored a reading "
                      "{counter}. Which device's reading?").format(meter=meter_id, counter=counter),
            items, 0, False,
        )  # fmt: skip
        return ordered[items.index(item)]["device"] if ok and item in items else None

    def prove(self, meter_id: str, counter: int, path: str, *, device: str | None = None):
        try:
            out = self.service.prove(meter_id, counter, path, device=device)
        except GasOpsError as exc:
            self._fail(str(exc))
            return None
        self.window.statusBar().showMessage(translate("Metering", "Proof of {meter} reading {counter} saved to {path}")
                                            .format(meter=meter_id, counter=counter, path=out), 10000)  # fmt: skip
        return out

    def request_verify(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, translate("Metering", "Verify reading proof"), "",
                                              translate("Metering", "Reading proof (*.json)"))  # fmt: skip
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
            verdict = translate("Metering", "NOT VERIFIED ({failure})").format(failure=report.failure)
        elif report.pinned:
            verdict = translate("Metering", "VERIFIED")
        else:
            verdict = translate("Metering", "self-consistent (log key not pinned)")
        r = report.reading or {}
        text = translate("Metering", "Reading proof {verdict}: meter {meter} reading {counter} = {value} Nm³").format(
            verdict=verdict, meter=report.meter_id, counter=r.get("counter"), value=r.get("value"))  # fmt: skip
        self.dock.set_status(text + "\n" + "\n".join(f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}"
                                                      for c in report.checks))  # fmt: skip
        self.window.statusBar().showMessage(text, 10000)
        return report
