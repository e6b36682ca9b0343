"""Emergency dispatch in the main window: the incident board, the incident dock, the map overlay, the
call intake form, "Open incident here" on the map's context menu and alarms offered as incidents.

The workflow is :class:`console.app.incidents.IncidentService` over the ledger the ledger feature opened; every step
a button asks for is a signed ledger entry, and the docks are refilled from the ledger afterwards. A refused step
(out of order, unknown id, not allowed for the operator) is shown as a red line in the incident dock and nothing is
recorded. With a live view, the controller feeds the outage sensors' pressures to the service (a closed valve is
confirmed when the pressure downstream falls) and offers methane HIHI / pressure LOLO / burst-like drops for opening.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFileDialog

from console.app.incidents import IncidentService, utc_now
from console.app.operators import PermissionDenied
from console.dispatch import (
    CREW_KINDS,
    IncidentError,
    grade_label,
    notice_text,
    parse_time,
    search_places,
    street_graph,
)
from console.errors import GasOpsError
from console.ui.actions import ActionSpec
from console.ui.dispatch._board import GRADE_COLORS, IncidentBoardDock, word
from console.ui.dispatch._dock import IncidentDock
from console.ui.dispatch._intake import CallIntakeDialog
from console.ui.dispatch._overlay import IncidentOverlay
from console.ui.dispatch._pdf import html_to_pdf
from console.ui.i18n import current_language, translate
from console.ui.i18n_messages import register, translate_message
from console.ui.isolation._tool import MapClickFilter, break_at, pick_break

__all__ = ["DispatchController", "NEW_CALL_SHORTCUT", "OFFERED_ALARMS"]

log = logging.getLogger(__name__)
register("IncidentErrors", IncidentError.MESSAGE_TEMPLATES)  # refusals shown in the UI's language
register("IncidentErrors", IncidentService.MESSAGE_TEMPLATES)  # and the service's own

NEW_CALL_SHORTCUT = "Ctrl+Shift+E"
TICK_MS = 5000  # live clocks, crew positions, confirmations by telemetry, alarm offers
# Alarms that look like an incident: (sensor kind, condition) → incident kind
OFFERED_ALARMS = {("methane", "HIHI"): "leak", ("pressure", "LOLO"): "pressure", ("pressure", "ROC"): "rupture"}
_DOCK_WIDTH_PX = 520
_CUSTOMER_ROWS = 2000  # the dock lists this many customers (special users first); the call list has them all


class DispatchController(QObject):
    """The dispatch feature of one main window (``window.extensions["dispatch"]``).

    Signals
    -------
    incidentShown(str)
        The incident dock shows (or was refilled with) this incident.
    errorShown(str)
        A refused step or a failure, as shown in the status bar and the dock.
    """

    incidentShown = Signal(str)
    errorShown = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.current: str | None = None
        self.dialog: CallIntakeDialog | None = None
        self._service: IncidentService | None = None
        self._service_node = None
        self._routes: dict[tuple[str, str], object] = {}
        self._offered: set[tuple[str, str]] = set()  # alarms already offered (or opened) this session
        self._picking = False
        self._theme = window.theme.name

        self.board = IncidentBoardDock(window)
        self.dock = IncidentDock(window)
        window.add_dock(self.board, Qt.DockWidgetArea.RightDockWidgetArea)
        window.add_dock(self.dock, Qt.DockWidgetArea.RightDockWidgetArea)
        window.splitDockWidget(self.board, self.dock, Qt.Orientation.Vertical)
        self.board.hide()
        self.dock.hide()
        self.dock.clear()
        self.overlay = IncidentOverlay(self.canvas)
        self._filter = MapClickFilter(self.canvas, self._on_map_click, self.overlay.tooltip_at)

        declare = window.actions.declare
        self.act_new_call = declare(ActionSpec(
            "dispatch.new_call", QT_TRANSLATE_NOOP("Actions", "New call…"), lambda: self.request_call(), NEW_CALL_SHORTCUT,
            QT_TRANSLATE_NOOP("Actions", "Take a phone call about gas: caller, what they smell or see, where"),
            menu="Analysis",
            section="dispatch", permission="incident.open"))  # fmt: skip
        self.act_board = declare(ActionSpec(
            "dispatch.board", QT_TRANSLATE_NOOP("Actions", "Incident board"), self.show_board,
            tip=QT_TRANSLATE_NOOP("Actions", "Open incidents, grades and clocks"),
            menu="Analysis", section="dispatch"))  # fmt: skip
        self.act_report = declare(ActionSpec(
            "dispatch.report", QT_TRANSLATE_NOOP("Actions", "Incident report…"), lambda: self.save_report(),
            tip=QT_TRANSLATE_NOOP("Actions", "The after-action report of the incident shown (HTML and PDF), from the "
                                  "ledger"), menu="Analysis",
            section="dispatch", enabled=lambda: self.current is not None))  # fmt: skip

        window.add_context_provider(self._add_context_actions)
        window.networkShown.connect(self._on_network_shown)
        self.board.incidentActivated.connect(self.show_incident)
        self.board.newCallRequested.connect(lambda: self.request_call())
        self.board.alarmOpenRequested.connect(self.open_from_alarm)
        self.dock.stepRequested.connect(self.step)
        self.dock.featureActivated.connect(window.zoom_to_feature)
        self.dock.reportRequested.connect(lambda: self.save_report())
        self.dock.zoomRequested.connect(self.zoom_to_incident)
        ledger = self._ledger_controller()
        if ledger is not None:
            ledger.service.opened.connect(self._on_ledger_change)
            ledger.service.closed.connect(self._on_ledger_change)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self._hazards_hooked = False
        self._crew_feed = None  # CrewPositionFeed beside the live MQTT feed (same broker)
        self._crew_feed_key: tuple | None = None
        self._positions: list = []  # CrewPosition from the MQTT thread, applied in tick()
        self._positions_lock = threading.Lock()
        window.closing.connect(self._stop_crew_feed)
        self._on_ledger_change()
        QTimer.singleShot(0, self._hook_hazards)  # the ledger feature's docks, once every feature is installed

    def _hook_hazards(self) -> None:
        """Offer "Open incident" on the hazard register's rows (the ledger feature's hazards dock)."""
        ledger = self._ledger_controller()
        hazards = getattr(ledger, "hazards_dock", None)
        if self._hazards_hooked or hazards is None or not hasattr(hazards, "incidentRequested"):
            return
        hazards.incidentRequested.connect(self.open_from_hazard)
        hazards.set_incidents_enabled(True)
        self._hazards_hooked = True

    # -- the service over the ledger ---------------------------------------------------------------------------------
    def _ledger_controller(self):
        return self.window.extensions.get("ledger") if isinstance(self.window.extensions, dict) else None

    @property
    def service(self) -> IncidentService | None:
        """The incident service of the open ledger (None while no ledger is open and unlocked)."""
        ledger = self._ledger_controller()
        node = ledger.service.node if ledger is not None else None
        if node is None:
            self._service = self._service_node = None
            return None
        if self._service is None or self._service_node is not node:
            self._service = IncidentService(ledger.service, network=self.window.network)
            self._service_node = node
            self._service.changed.connect(self._on_changed)
            pending = getattr(self, "_pending_base_run", None)
            if pending is not None:
                self._service.adopt_base_run(pending)
        if self._service.network is not self.window.network:
            self._service.set_network(self.window.network)
        return self._service

    def _require_service(self) -> IncidentService | None:
        """The service; else ask to unlock (or create) the ledger, where every step is signed."""
        service = self.service
        if service is not None:
            return service
        ledger = self._ledger_controller()
        if ledger is None:
            self._fail(translate("DispatchController", "Incidents need the ledger feature (every step is a signed "
                                 "entry)"))  # fmt: skip
            return None
        if ledger.exists():
            ledger.open_ledger()
        else:
            ledger.request_create()
        service = self.service
        if service is None:
            self._fail(translate("DispatchController", "Unlock the ledger first: every incident step is a signed "
                                 "ledger entry (Ledger menu)"))  # fmt: skip
        return service

    def _on_ledger_change(self, *_args) -> None:
        self._hook_hazards()
        self._routes.clear()
        if self.service is None:
            self.current = None
            self.dock.clear()
            self.board.set_rows([])
            self.overlay.clear()
        else:
            self.refresh()

    def _on_network_shown(self) -> None:
        self._routes.clear()
        if self._service is not None:
            self._service.set_network(self.window.network)
        self.refresh()
        self._warm_base_run()

    def _warm_base_run(self) -> None:
        """Solve the network's base hydraulic run in the background (the warm start of every plan's pressure
        effect), so the first incident on a large network does not wait for it."""
        network = self.window.network
        jobs = getattr(self.window, "jobs", None)
        if network is None or jobs is None or not len(network["pipes"]):
            return

        def adopt(result) -> None:
            service = self.service
            if service is not None and service.network is network:
                service.adopt_base_run(result)
            else:
                self._pending_base_run = result

        def failed(exc) -> None:
            log.info("dispatch base run not solved in the background: %s", exc)

        self._pending_base_run = None
        jobs.submit("dispatch.base_run", IncidentService.solve_base_run, network.snapshot(), on_done=adopt,
                    on_error=failed)  # fmt: skip

    # -- opening ---------------------------------------------------------------------------------------------------------
    def open_here(self, hit, x: float, y: float, kind: str = "leak", source: str = "map"):
        """Open an incident at the feature ``hit`` clicked at (x, y): plan, grade and customers on screen at once."""
        network = self.window.network
        if network is None:
            return None
        if hit is None or hit.layer in ("sensors", "customers"):
            hit = pick_break(self.canvas, x, y) or hit
        if hit is None:
            self._fail(translate("DispatchController", "Nothing here to open an incident on: right-click a pipe, "
                                 "valve or node"))  # fmt: skip
            return None
        where: dict = {}
        if hit.layer == "pipes":
            where = {"pipe": hit.feature_id, "fraction": break_at(network, hit, x, y).fraction}
        else:
            where = {"node": hit.feature_id}
        return self._open(kind=kind, source=source, **where)

    def _open(self, **kwargs):
        service = self._require_service()
        if service is None:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            inc = service.open(**kwargs)
        except (IncidentError, PermissionDenied) as exc:
            self._fail(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.show_incident(inc.incident_id, zoom=True)
        self.dock.show_tab("plan")
        self.window.statusBar().showMessage(translate(
            "DispatchController", "Incident {incident} opened: grade {grade}, {valves} valves to close, "
            "{customers:,} customers without gas").format(incident=inc.incident_id,
                                                          grade=grade_label(inc.grade, current_language()),
                                                          valves=len(inc.valves), customers=len(inc.affected)),
            15000)  # fmt: skip
        return inc

    def open_from_hazard(self, hazard_id: str):
        """Open an incident at a hazard of the register (its pipe or node, else where it was reported)."""
        service = self._require_service()
        if service is None:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            inc = service.open_from_hazard(hazard_id)
        except (IncidentError, PermissionDenied) as exc:
            self._fail(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.show_incident(inc.incident_id, zoom=True)
        self.dock.show_tab("plan")
        self.window.statusBar().showMessage(translate(
            "DispatchController", "Incident {incident} opened at hazard {hazard}: grade {grade}, {valves} valves to "
            "close, {customers:,} customers without gas").format(incident=inc.incident_id, hazard=hazard_id,
                                                                 grade=grade_label(inc.grade, current_language()),
                                                                 valves=len(inc.valves),
                                                                 customers=len(inc.affected)), 15000)  # fmt: skip
        return inc

    def open_from_alarm(self, sensor_id: str, condition: str):
        service = self._require_service()
        if service is None:
            return None
        self._offered.add((sensor_id, condition))
        kind = next((k for (_, c), k in OFFERED_ALARMS.items() if c == condition), "leak")
        try:
            inc = service.open_from_alarm(sensor_id, condition, kind=kind)
        except IncidentError as exc:
            if getattr(exc, "code", "") == "duplicate" and getattr(exc, "incident_id", ""):
                service.join(exc.incident_id, source="alarm", description=f"alarm {sensor_id} {condition}")
                self.show_incident(exc.incident_id)
                self.window.statusBar().showMessage(translate(
                    "DispatchController", "Alarm {sensor} {condition} joined {incident}").format(
                    sensor=sensor_id, condition=condition, incident=exc.incident_id), 10000)  # fmt: skip
                return service.incident(exc.incident_id)
            self._fail(str(exc))
            return None
        except PermissionDenied as exc:
            self._fail(str(exc))
            return None
        self.show_incident(inc.incident_id, zoom=True)
        return inc

    # -- the call intake form --------------------------------------------------------------------------------------------
    def search_locations(self, text: str) -> list[tuple[str, dict]]:
        """Where a caller may say they are: a feature id, a street, a place or customer name."""
        network = self.window.network
        if network is None:
            return []
        out: list[tuple[str, dict]] = []
        fid = text.strip()
        try:
            layer, _row = network.locate(fid)
        except (KeyError, GasOpsError):
            layer = None
        if layer == "pipes":
            out.append((f"{fid} ({_layer_word('pipes')})", {"pipe": fid}))
        elif layer is not None and layer != "sensors":
            out.append((f"{fid} ({_layer_word(layer)})", {"node": fid}))
        for name, pid, layer, x, y in search_places(network, text, limit=25):
            out.append((f"{name} — {pid} ({_layer_word(layer)})", {"x": x, "y": y}))
        return out

    def request_call(self, where: dict | None = None, label: str = "") -> CallIntakeDialog | None:
        """Show the call intake form (pre-filled with ``where``); the incident opens when it is accepted."""
        if self.window.network is None:
            self._fail(translate("DispatchController", "Open a network first: incidents are planned on the network"))
            return None
        if self._require_service() is None:
            return None
        dlg = CallIntakeDialog(self.search_locations, self.window, where=where, label=label)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.on_submit = lambda: self._submit_call(dlg)
        dlg.pickRequested.connect(lambda: self._start_pick(dlg))
        dlg.destroyed.connect(lambda *_: setattr(self, "dialog", None) if self.dialog is dlg else None)
        self.dialog = dlg
        dlg.show()
        return dlg

    def _submit_call(self, dlg: CallIntakeDialog) -> str | None:
        service = self.service
        if service is None:
            return translate("DispatchController", "The ledger is locked: unlock it to record the call")
        v = dlg.values()
        try:
            if dlg.duplicate_of is not None:
                service.join(dlg.duplicate_of, caller=v["caller"], phone=v["phone"], description=v["description"],
                             symptoms=v["symptoms"])  # fmt: skip
                self.show_incident(dlg.duplicate_of)
                self.dock.show_tab("timeline")
                return None
            inc = service.open(source="call", allow_duplicate=dlg.open_anyway, **v)
        except IncidentError as exc:
            if getattr(exc, "code", "") == "duplicate" and getattr(exc, "incident_id", ""):
                dlg.offer_join(exc.incident_id, translate(
                    "DispatchController", "Near open incident {incident} (within 300 m and 2 h): join it, or open a "
                    "new incident anyway").format(incident=exc.incident_id))  # fmt: skip
                return translate("DispatchController", "Near open incident {incident}: join it, or Open anyway").format(
                    incident=exc.incident_id)  # fmt: skip
            return translate_message(str(exc))
        except PermissionDenied as exc:
            return translate_message(str(exc))
        finally:
            dlg.open_anyway = False
        self.show_incident(inc.incident_id, zoom=True)
        self.dock.show_tab("plan")
        return None

    def _start_pick(self, dlg: CallIntakeDialog) -> None:
        self._picking = True
        dlg.hide()
        self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.window.statusBar().showMessage(
            translate("DispatchController", "Click where the caller is (Esc: back to the form)")
        )

    def _on_map_click(self, pos, _modifiers) -> None:
        if not self._picking:
            return
        self._picking = False
        self.canvas.set_tool(self.canvas.tool)
        x, y = self.canvas.widget_to_map(pos)
        self.pick_point(x, y)

    def pick_point(self, x: float, y: float) -> None:
        """The dispatcher clicked the caller's location (the form comes back with it)."""
        dlg = self.dialog
        if dlg is None:
            return
        hit = pick_break(self.canvas, x, y)
        if hit is not None and hit.layer == "pipes" and self.window.network is not None:
            frac = break_at(self.window.network, hit, x, y).fraction
            dlg.set_where({"pipe": hit.feature_id, "fraction": frac}, translate(
                "DispatchController", "{pipe} at {fraction:.0%} (map click)").format(pipe=hit.feature_id, fraction=frac))  # fmt: skip
        else:
            dlg.set_point(x, y)
        dlg.show()
        dlg.raise_()

    # -- steps -------------------------------------------------------------------------------------------------------------
    def step(self, verb: str, args: dict) -> bool:
        """Record one step the dock asked for; a refusal is shown and nothing is recorded."""
        service = self._require_service()
        if service is None:
            return False
        args = dict(args)
        iid = args.pop("incident_id")
        try:
            if verb == "valve":
                valve, action = args["valve_id"], args["action"]
                if action == "failed":
                    service.valve_failed(iid, valve, note="would not turn (reported to the dispatcher)")
                else:
                    self._link_live(service)
                    self._training_simulator(service)
                    service.valve(iid, valve, action)
            elif verb == "dispatch":
                route = service.dispatch(iid, args["crew_id"])
                if route is not None:
                    self._routes[(iid, args["crew_id"])] = route
            elif verb == "crew_status":
                service.crew_status(iid, args["crew_id"], args["status"])
            elif verb == "notify":
                calls, sms = service.notify(iid, args["kind"], args["language"], expected=args.get("expected", ""))
                self.refresh()
                self.dock.show_message(translate(
                    "DispatchController", "Call list {calls} and SMS batch {sms} written to {folder}").format(
                    calls=calls.name, sms=sms.name, folder=calls.parent), "ok")  # fmt: skip
                return True
            elif verb == "meters":
                service.meters(iid, args["step"], args.get("meters"))
            elif verb == "purge":
                service.purge(iid)
            elif verb == "close":
                service.close(iid)
            else:
                raise IncidentError(f"unknown step {verb!r}")
        except (IncidentError, PermissionDenied) as exc:
            self._fail(str(exc))
            return False
        self.dock.show_message("")
        self._apply_suppression(service)
        self.refresh()
        return True

    # -- showing ---------------------------------------------------------------------------------------------------------
    def show_board(self) -> None:
        self.board.show()
        self.board.raise_()
        self.refresh()

    def show_incident(self, incident_id: str, zoom: bool = False) -> None:
        self.current = incident_id
        self.board.show()
        self.dock.show()
        self.dock.raise_()
        self.window.fit_dock(self.dock, minimum=_DOCK_WIDTH_PX)
        self.refresh()
        if zoom:
            self.zoom_to_incident()
        self.window.actions.refresh()

    def _on_changed(self, incident_id: str) -> None:
        """A step was recorded (by this window, the CLI in a drill, a telemetry confirmation): refresh once the
        service is done (a verb can record several steps; a failure here must never reach the service)."""
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Board, dock and map from the ledger."""
        service = self.service
        if service is None:
            return
        try:
            rows = service.board()
            self.board.set_rows(rows, self.current)
            if self.current is not None:
                self.dock.show_view(self.view(self.current))
                self.incidentShown.emit(self.current)
            self._draw(rows)
        except GasOpsError as exc:
            log.error("dispatch refresh failed: %s", exc)
            self._fail(str(exc))

    def tick(self) -> None:
        """Every few seconds: clocks count on, crews move, closures are checked against the pressures, alarms are
        offered."""
        service = self.service
        if service is None:
            return
        self._check_confirmations(service)
        self._apply_suppression(service)
        self._offer_alarms(service)
        self._sync_crew_feed(service)
        self._apply_positions(service)
        if service.open_incidents() and (self.board.isVisible() or self.dock.isVisible()):
            self.refresh()

    def view(self, incident_id: str) -> dict:
        """What the incident dock shows of ``incident_id`` (one dict; see IncidentDock.show_view)."""
        service = self.service
        inc = service.incident(incident_id)
        level = service.table.level(inc.grade or "routine")
        view = {"incident_id": inc.incident_id, "kind": inc.kind, "state": inc.state, "grade": inc.grade,
                "grade_label": grade_label(inc.grade, current_language()), "opened_at": inc.opened.time,
                "source": inc.source, "where": inc.feature_id or translate("DispatchController", "a map point"),
                "reports": inc.reports, "notify": list(level.notify),
                "clocks": [c.to_dict() for c in service.clocks(incident_id, inc.closed_at or None)],
                "timeline": service.timeline(incident_id, current_language()), "purged": inc.purged,
                "revisit": list(inc.revisit),
                "restoration": inc.restoration_counts(), "crews": inc.crews,
                "notices": [{"time": n.time, "kind": n.body["kind"], "language": n.body["language"],
                             "customers": n.body["customers"], "special": n.body.get("special_users", 0)}
                            for n in inc.notices]}  # fmt: skip
        if inc.plan is not None:
            doc = service.plan_document(inc)
            iso = doc["isolation"]
            imp = iso["impact"]
            crew_of = {s: cid for cid, c in inc.crews.items() for s in c["steps"]}
            steps = []
            for s in iso["plan"]:
                fid = s["feature_id"]
                status = ("reopened" if fid in inc.reopened_valves else inc.confirmed.get(fid, "closed")
                          if fid in inc.closed_valves else "to close" if s["required"] else "optional")  # fmt: skip
                dist = s.get("distance_m")
                steps.append({"order": s["order"], "feature_id": fid, "action": s["action"], "required": s["required"],
                              "status": status, "crew": crew_of.get(fid, ""),
                              "distance": f"{dist:.0f} m" if dist is not None else ""})  # fmt: skip
            for fid in inc.failed_valves:
                steps.append({"order": "✕", "feature_id": fid, "action": "close_valve", "required": False,
                              "status": "failed", "crew": crew_of.get(fid, ""), "distance": ""})  # fmt: skip
            overlaps = [translate("DispatchController", "{incident} ({n} customers)").format(
                incident=b if a == incident_id else a, n=n) for a, b, n in service.overlaps()
                if incident_id in (a, b)]  # fmt: skip
            view["plan"] = {"valves": inc.valves, "optional": inc.optional_valves, "failed": inc.failed_valves,
                            "customers": imp["customers_lost"], "households": imp["households"],
                            "special": len(imp["special_users"]), "by_category": imp["customers_by_category"],
                            "vented_nm3": imp["isolated_gas_volume_nm3"], "effect": doc.get("effect"),
                            "steps": steps, "customer_rows": imp["customers"][:_CUSTOMER_ROWS],
                            "overlaps": ", ".join(overlaps), "plan_index": inc.plan.index}  # fmt: skip
            meters = service.meter_ids([c["feature_id"] for c in imp["customers"][:_CUSTOMER_ROWS]])
            view["meters"] = [(c["feature_id"], meters.get(c["feature_id"], ""), c["category"],
                               inc.meters.get(c["feature_id"])) for c in imp["customers"][:_CUSTOMER_ROWS]]  # fmt: skip
            view["reopen_order"] = service.reopen_order(incident_id)
        area = service.area_name(inc)
        start = inc.opened.time[11:16]
        view["notice_preview"] = lambda kind, lang, expected: _preview(kind, lang, incident_id, start, expected, area)
        view["roster"], view["crew_note"] = self._roster_rows(service, inc)
        return view

    def _roster_rows(self, service: IncidentService, inc) -> tuple[list[list[str]], str]:
        rows = []
        busy = {c: i.incident_id for i in service.open_incidents() if i.incident_id != inc.incident_id
                for c, v in i.crews.items() if v["status"] != "done"}  # fmt: skip
        for cid, crew in service.roster.crews.items():
            assigned = inc.crews.get(cid)
            if assigned is not None:
                key = assigned["status"]
                status = word(key)
                steps = ", ".join(assigned["steps"])
                route = f"{assigned['route_m'] / 1000:.1f} km" if assigned.get("route_m") is not None else ""
                eta = f"{assigned['eta_s'] / 60:.0f} min" if assigned.get("eta_s") is not None else ""
            else:
                key = "available"
                status = (translate("DispatchController", "on {incident}").format(incident=busy[cid]) if cid in busy
                          else translate("DispatchController", "available"))  # fmt: skip
                steps = route = eta = ""
            x, y = self._crew_position(service, inc, cid, crew)
            pos = (translate("DispatchController", "position unknown") if not math.isfinite(x)
                   else translate("DispatchController", "at the depot") if assigned is None else "")  # fmt: skip
            if assigned is not None and math.isfinite(x) and assigned["steps"]:
                first = assigned["steps"][0]
                target = service.plan_targets(inc).get(first)
                if target is not None:
                    d = math.hypot(target[1] - x, target[2] - y)
                    pos = (translate("DispatchController", "at {feature}").format(feature=first) if d < 25 else
                           translate("DispatchController", "{distance:,.0f} m from {feature} (straight line)").format(
                               distance=d, feature=first))  # fmt: skip
            rows.append([cid, word(CREW_KINDS[crew.kind]), crew.vehicle, status, steps, route, eta, pos, key])
        note = translate("DispatchController", "Routes follow the streets (the mains); ETA at the roster's speed. "
                         "Positions: the crew feed, else the training simulator along the route.")  # fmt: skip
        return rows, note

    # -- the map ---------------------------------------------------------------------------------------------------------
    def _draw(self, rows: list[dict]) -> None:
        service = self.service
        network = self.window.network
        if service is None or network is None:
            self.overlay.clear()
            return
        incidents = []
        for r in rows:
            inc = service.incident(r["incident_id"])
            if inc.location:
                incidents.append((inc.incident_id, GRADE_COLORS.get(inc.grade or "routine", "#64748b"),
                                  inc.location["x"], inc.location["y"]))  # fmt: skip
        result, crews, routes = None, [], []
        if self.current is not None:
            inc = service.incident(self.current)
            if inc.plan is not None:
                result = service.plan_result(inc)
            if inc.is_open:
                for cid, c in inc.crews.items():
                    try:
                        crew = service.roster.crew(cid)
                    except IncidentError:
                        continue
                    x, y = self._crew_position(service, inc, cid, crew)
                    crews.append((cid, crew.kind, x, y))
                    route = self._route(service, inc, cid)
                    if route is not None and c["status"] not in ("on_site", "done"):
                        routes.append(route.xy)
            if not inc.is_open and inc.location:
                incidents.append((inc.incident_id, "#64748b", inc.location["x"], inc.location["y"]))
        self.overlay.draw(network, incidents, result, crews, routes)

    def _route(self, service: IncidentService, inc, crew_id: str):
        key = (inc.incident_id, crew_id)
        if key not in self._routes:
            try:
                crew = service.roster.crew(crew_id)
                steps = inc.crews[crew_id]["steps"]
                targets = service.plan_targets(inc)
                if not steps or steps[0] not in targets or not math.isfinite(crew.x):
                    return None
                _, tx, ty = targets[steps[0]]
                self._routes[key] = street_graph(self.window.network).route((crew.x, crew.y), (tx, ty))
            except (IncidentError, GasOpsError, KeyError):
                return None
        return self._routes[key]

    def _crew_position(self, service: IncidentService, inc, crew_id: str, crew) -> tuple[float, float]:
        """The crew feed's position; for a crew dispatched to ``inc`` without a newer report, where the training
        simulator puts it along its route."""
        assigned = inc.crews.get(crew_id)
        if assigned is None or not inc.is_open:
            return crew.x, crew.y
        dispatched = assigned["times"]["dispatched"]
        if crew.position_at and crew.position_at > dispatched:
            return crew.x, crew.y
        route = self._route(service, inc, crew_id)
        if route is None:
            return crew.x, crew.y
        if assigned["status"] in ("on_site", "done"):
            return float(route.xy[-1, 0]), float(route.xy[-1, 1])
        now = service.clock() if service.clock is not None else utc_now()
        elapsed = (parse_time(now) - parse_time(dispatched)).total_seconds()
        return route.position_at(elapsed)

    def zoom_to_incident(self) -> None:
        bounds = self.overlay.bounds
        if bounds is None and self.current is not None and self.service is not None:
            loc = self.service.incident(self.current).location
            if loc:
                bounds = (loc["x"] - 150, loc["y"] - 150, loc["x"] + 150, loc["y"] + 150)
        if bounds is None:
            return
        x0, y0, x1, y1 = bounds
        size = max(x1 - x0, y1 - y0, 150.0)
        pad = 0.08 * size
        self.canvas.set_map_range(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        pad = 0.08 * size + 60 * self.canvas.metres_per_pixel()
        self.canvas.set_map_range(x0 - pad, y0 - pad, x1 + pad, y1 + pad)

    def _add_context_actions(self, menu, hit, x: float, y: float) -> None:
        if self.window.network is None:
            return
        target = hit if hit is not None and hit.layer not in ("sensors", "customers") else pick_break(self.canvas, x, y)
        if target is not None:
            act = menu.addAction(translate("DispatchController", "Open incident here — {feature}").format(
                feature=target.feature_id))  # fmt: skip
            act.setToolTip(translate("DispatchController", "Open an incident at this feature: isolation plan, "
                                     "customers and grade at once"))  # fmt: skip
            act.triggered.connect(lambda *_, h=target: self.open_here(h, x, y))
        act = menu.addAction(translate("DispatchController", "New call here…"))
        act.triggered.connect(lambda *_: self._call_here(target, x, y))

    def _call_here(self, hit, x: float, y: float) -> None:
        if hit is not None and hit.layer == "pipes" and self.window.network is not None:
            frac = break_at(self.window.network, hit, x, y).fraction
            self.request_call({"pipe": hit.feature_id, "fraction": frac}, translate(
                "DispatchController", "{pipe} at {fraction:.0%}").format(pipe=hit.feature_id, fraction=frac))  # fmt: skip
        elif hit is not None:
            self.request_call({"node": hit.feature_id}, hit.feature_id)
        else:
            self.request_call({"x": x, "y": y}, translate("DispatchController", "map point {x:.1f}, {y:.1f}").format(
                x=x, y=y))  # fmt: skip

    # -- live telemetry ------------------------------------------------------------------------------------------------
    def _session(self):
        tel = self.window.extensions.get("telemetry") if isinstance(self.window.extensions, dict) else None
        return getattr(tel, "session", None)

    def _link_live(self, service: IncidentService) -> None:
        """Keep the service linked to the live session (its readings confirm closures, its alarms are suppressed)."""
        session = self._session()
        if service.live is not session:
            service.link_live(session)

    def _training_simulator(self, service: IncidentService) -> None:
        """In training, a running simulator carries on as the training simulator, which sees the valves the crews
        close (the plain simulator does not, and no closure would ever be confirmed)."""
        from console.app.plugins import PluginRegistry
        from console.dispatch import TrainingSimulator, continue_as_training
        from console.telemetry import SimulatorFeed

        session = self._session()
        feed = getattr(session, "feed", None)
        if session is None or isinstance(feed, TrainingSimulator) or not isinstance(feed, SimulatorFeed):
            return
        if feed.speed <= 0 or session.network is not service.network:
            return
        training = continue_as_training(feed, session.network)
        registry = PluginRegistry()
        registry.add_feed_adapter("simulator", lambda _sensors, **_: training, "training simulator (valves operated)")
        try:
            session.connect_adapter("simulator", registry=registry)
        except GasOpsError as exc:
            log.warning("the training simulator was not started: %s", exc)
            self.window.statusBar().showMessage(translate(
                "DispatchController", "The simulator will not see the valves closed: {error}").format(error=exc), 15000)  # fmt: skip

    def _check_confirmations(self, service: IncidentService) -> None:
        self._link_live(service)
        if service.live is None:
            return
        try:
            for iid, valve, result in service.check_live():
                text = (translate("DispatchController", "{incident}: {valve} closure confirmed by telemetry")
                        if result == "confirmed" else
                        translate("DispatchController", "{incident}: {valve} reported closed but the pressure "
                                  "downstream has not fallen")).format(incident=iid, valve=valve)  # fmt: skip
                self.window.statusBar().showMessage(text, 15000)
                if result != "confirmed":
                    self.dock.show_message(text, "error")
        except (IncidentError, PermissionDenied) as exc:
            log.warning("confirmation by telemetry not recorded: %s", exc)
        except GasOpsError as exc:
            log.warning("alarm suppression for incidents not applied: %s", exc)

    def _sync_crew_feed(self, service: IncidentService) -> None:
        """While the live view reads an MQTT broker, crew positions come from the same broker (``…/<crew>/position``,
        signed like readings when the feed requires it)."""
        from console.dispatch import CrewPositionFeed
        from console.telemetry import MqttFeed

        session = self._session()
        feed = getattr(session, "feed", None)
        if getattr(session, "kind", None) != "mqtt" or not isinstance(feed, MqttFeed):
            self._stop_crew_feed()
            return
        key = (feed.host, feed.port, feed.utility)
        if self._crew_feed is not None and self._crew_feed_key == key:
            return
        self._stop_crew_feed()
        username, password = getattr(feed, "_auth", (None, None))  # the session keeps the password only there
        try:
            crew_feed = CrewPositionFeed(
                lambda cid: cid in service.roster.crews, self._queue_position, host=feed.host, port=feed.port,
                utility=feed.utility, registry=feed.decoder.registry, require_signed=feed.decoder.require_signed,
                protocol=feed.protocol, username=username, password=password, tls_ca=getattr(feed, "_tls_ca", None),
            )  # fmt: skip
            crew_feed.start(lambda _batch: None)
        except GasOpsError as exc:
            log.warning("crew position feed not started: %s", exc)
            return
        self._crew_feed, self._crew_feed_key = crew_feed, key

    def _stop_crew_feed(self, *_args) -> None:
        feed, self._crew_feed, self._crew_feed_key = self._crew_feed, None, None
        if feed is not None:
            feed.stop()

    def _queue_position(self, position) -> None:  # the MQTT network thread
        with self._positions_lock:
            self._positions.append(position)

    def _apply_positions(self, service: IncidentService) -> None:
        with self._positions_lock:
            positions, self._positions = self._positions, []
        moved = 0
        for p in positions:
            try:
                service.crew_position(p)
                moved += 1
            except (IncidentError, GasOpsError) as exc:
                log.warning("crew position not applied: %s", exc)
        if moved and self.current is not None:
            self.refresh()

    def _apply_suppression(self, service: IncidentService) -> None:
        """ISA-18.2 state-based suppression through the service (key ``incident:<id>``) until restoration begins."""
        self._link_live(service)
        try:
            service.apply_suppression()
        except GasOpsError as exc:
            log.warning("alarm suppression for incidents not applied: %s", exc)

    def _offer_alarms(self, service: IncidentService) -> None:
        session = self._session()
        if session is None or self.board.offered is not None:
            return
        try:
            records = session.service.alarm_list()
        except Exception as exc:  # a closing session must not stop the clocks
            log.debug("alarm list unavailable: %s", exc)
            return
        for r in records:
            key = (r.sensor_id, str(r.condition))
            if not r.active or key in self._offered or (str(r.kind), str(r.condition)) not in OFFERED_ALARMS:
                continue
            self._offered.add(key)
            label = {"HIHI": translate("DispatchController", "methane high-high"),
                     "LOLO": translate("DispatchController", "pressure low-low"),
                     "ROC": translate("DispatchController", "burst-like pressure drop")}  # fmt: skip
            what = label.get(str(r.condition), str(r.condition))
            text = (translate("DispatchController", "⚠ Alarm {sensor} {what} at {feature} — open an incident?")
                    if r.feature_id else translate("DispatchController", "⚠ Alarm {sensor} {what} — open an incident?")
                    ).format(sensor=r.sensor_id, what=what, feature=r.feature_id)  # fmt: skip
            self.board.show_offer((r.sensor_id, str(r.condition), text))
            self.board.show()
            return

    # -- report --------------------------------------------------------------------------------------------------------
    def save_report(self, path: str | Path | None = None, *, pdf: bool = True) -> Path | None:
        """Write the after-action report of the incident shown as HTML (and PDF beside it)."""
        service = self._require_service()
        if service is None or self.current is None:
            return None
        if path is None:
            suggested = service.incidents_dir / self.current / f"{self.current}-report.html"
            chosen, _ = QFileDialog.getSaveFileName(self.window, translate("DispatchController", "Save the after-action "
                                                    "report"), str(suggested), "HTML (*.html)")  # fmt: skip
            if not chosen:
                return None
            path = chosen
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            out = service.report(self.current, path, lang=current_language())
            if pdf:
                html_to_pdf(out.read_text(encoding="utf-8"), out.with_suffix(".pdf"))
        except (IncidentError, GasOpsError, OSError) as exc:
            self._fail(translate("DispatchController", "Report not written: {error}").format(error=exc))
            return None
        self.window.statusBar().showMessage(translate("DispatchController", "Report written: {html} and {pdf}").format(
            html=out, pdf=out.with_suffix(".pdf").name), 10000)  # fmt: skip
        return out

    def _fail(self, text: str) -> None:
        text = translate_message(text)  # an incident refusal in the UI's language
        self.window.statusBar().showMessage(text, 12000)
        self.dock.show_message(text, "error")
        self.errorShown.emit(text)


def _layer_word(layer: str) -> str:
    """A layer's feature in the UI's language (``pipes``: pipe)."""
    return translate("DispatchController", _LAYER_WORDS[layer]) if layer in _LAYER_WORDS else layer[:-1].replace(
        "_", " ")  # fmt: skip


_LAYER_WORDS = {"pipes": QT_TRANSLATE_NOOP("DispatchController", "pipe"),
                "valves": QT_TRANSLATE_NOOP("DispatchController", "valve"),
                "regulators": QT_TRANSLATE_NOOP("DispatchController", "regulator"),
                "customers": QT_TRANSLATE_NOOP("DispatchController", "customer"),
                "junctions": QT_TRANSLATE_NOOP("DispatchController", "junction"),
                "gate_stations": QT_TRANSLATE_NOOP("DispatchController", "gate station"),
                "end_caps": QT_TRANSLATE_NOOP("DispatchController", "end cap"),
                "risers": QT_TRANSLATE_NOOP("DispatchController", "riser"),
                "streets": QT_TRANSLATE_NOOP("DispatchController", "street")}  # fmt: skip


def _preview(kind: str, language: str, incident_id: str, start: str, expected: str, area: str) -> str:
    try:
        return notice_text(kind, language, incident_id=incident_id, start=start, expected=expected.strip(), area=area)
    except IncidentError as exc:
        return translate_message(str(exc))
