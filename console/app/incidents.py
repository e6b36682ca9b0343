"""Emergency dispatch (应急抢险调度), Qt-free: :class:`IncidentService` runs incidents from the first call to the
after-action report, for the GUI, the command line (``gasops incident``) and the tests.

Every step is a typed ``incident.*`` entry signed in the ledger by the logged-in operator (the organisation in open
mode); the incidents themselves are replayed from those entries (:class:`console.dispatch.Incident`), so the board,
the timeline and the report show what the ledger proves. Each verb first checks the step against the incident's
state (:meth:`Incident.check`) and the operator's role (``incident.open`` for every step, ``incident.close`` — a
commander — to close); a refused step raises :class:`~console.dispatch.IncidentError` or
:class:`~console.app.operators.PermissionDenied` and records nothing.

The service orchestrates the analyses: the isolation plan (:func:`console.isolation.isolate` on cached valve
segments, :func:`~console.isolation.reanalyse` when a valve would not turn), its pressure effect (a hydraulic what-if
with the plan's valves closed), grading, routes along the streets, notices and restoration. Personal data (a
caller's name and phone, crew members) stays off the ledger: digests go on it, the rest in the workspace
(``incidents/`` and ``crews.json``)::

    service = IncidentService(ledger_service, network=network, workspace=Workspace(folder))
    inc = service.open("leak", pipe="P-000100", fraction=0.3)       # opened, planned, graded: three entries
    service.dispatch(inc.incident_id, "VT-1")                        # route and ETA along the streets
    service.valve(inc.incident_id, "V-00027", "closed", crew="VT-1")
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from console.app.workspace import Workspace
from console.dispatch import (
    EFFECT_NOT_SOLVED,
    EFFECT_WHOLE_NETWORK,
    INCIDENT_KINDS,
    INCIDENT_SOURCES,
    STEP_CREW_KIND,
    SYMPTOMS,
    CrewRoster,
    GradingTable,
    Incident,
    IncidentError,
    PressureEffect,
    Step,
    call_list_csv,
    check_language,
    confirm_by_pressure,
    infeasible_effect,
    nearby_incidents,
    notice_text,
    overlapping,
    phrase,
    pressure_effect,
    report_html,
    search_places,
    service_clocks,
    sms_batch_csv,
    street_graph,
    timeline,
)
from console.errors import GasOpsError
from console.isolation import IsolationRequest, IsolationResult, isolate, reanalyse
from console.network import GasNetwork
from console.texts import QT_TRANSLATE_NOOP

__all__ = ["IncidentService", "utc_now"]

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 600.0  # a closed valve not confirmed by the pressure downstream within this is flagged


def _wgs84_to(crs: Any, lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 degrees to the network's coordinates (cached transformer per CRS)."""
    from pyproj import Transformer

    key = str(crs)
    t = _TRANSFORMERS.get(key)
    if t is None:
        t = _TRANSFORMERS[key] = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = t.transform(lon, lat)
    return float(x), float(y)


_TRANSFORMERS: dict[str, Any] = {}


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The service's refusals: English templates (context "IncidentErrors", the family of ``IncidentError``'s own) filled
# with .format(); the UI registers IncidentService.MESSAGE_TEMPLATES and shows them translated. CLI and logs keep them.
PLAN_FIRST_DISPATCH = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: make the plan before dispatching crews")
PLAN_FIRST_NOTICE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: make the plan first: notices go to the customers it cuts off"
)
NO_NETWORK = QT_TRANSLATE_NOOP("IncidentErrors", "no network is open: incidents are planned on the network")
NONE_YET = QT_TRANSLATE_NOOP("IncidentErrors", "none yet")
NO_SUCH_INCIDENT = QT_TRANSLATE_NOOP("IncidentErrors", "incident {incident!r} does not exist (incidents: {known})")
NO_PLAN_YET = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: no plan yet")
NOT_RECORDED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {entry_type} not recorded: {detail}")
NO_PLACE = QT_TRANSLATE_NOOP("IncidentErrors", "no place named like {place!r} in {network}")
NOT_IN_NETWORK = QT_TRANSLATE_NOOP("IncidentErrors", "feature {feature!r} is not in the network {network}")
NOT_A_PIPE = QT_TRANSLATE_NOOP("IncidentErrors", "{feature} is a {kind}, not a pipe: use --node for a point feature")
POSITION_RANGE = QT_TRANSLATE_NOOP("IncidentErrors", "position along {feature} must be between 0 and 1, got {fraction}")
GIVE_WHERE = QT_TRANSLATE_NOOP("IncidentErrors", "give where: a pipe, a node, a map point (x, y) or a place name")
NO_PIPES = QT_TRANSLATE_NOOP("IncidentErrors", "{network} has no pipes")
KIND_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "incident kind {kind!r}: choose {allowed}")
SOURCE_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "incident source {source!r}: choose {allowed}")
SYMPTOMS_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "unknown symptom(s) {bad}: choose from {allowed}")
SYMPTOMS_IN_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "unknown symptom(s) in {symptoms}: choose from {allowed}")
DUPLICATE = QT_TRANSLATE_NOOP(
    "IncidentErrors",
    "a call near open incident {incident} ({n} within 300 m / 2 h): join it instead of opening a duplicate (or open "
    "anyway)",
)
HAZARD_UNKNOWN = QT_TRANSLATE_NOOP("IncidentErrors", "hazard {hazard!r} is not in the register")
HAZARD_NO_PLACE = QT_TRANSLATE_NOOP("IncidentErrors", "hazard {hazard} names no asset of the network and no location")
SENSOR_UNKNOWN = QT_TRANSLATE_NOOP("IncidentErrors", "sensor {sensor!r} is not in the network")
NO_PLAN = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: no plan: {reason}")
NAME_STEPS = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: name the plan steps for crew {crew}")
STEPS_NOT_IN_PLAN_OF = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: step(s) {steps} are not in the plan (plan: {plan})"
)
POSITION_MESSAGE = QT_TRANSLATE_NOOP("IncidentErrors", "crew position message {message!r}: want lat and lon in degrees")
READING_FINITE = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: reading must be a finite number")
NO_METER_WAITING = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: no meter of the outage is waiting to be {step}")
MESSAGE_TEMPLATES = (
    NONE_YET, PLAN_FIRST_DISPATCH, PLAN_FIRST_NOTICE, NO_NETWORK, NO_SUCH_INCIDENT, NO_PLAN_YET, NOT_RECORDED,
    NO_PLACE, NOT_IN_NETWORK, NOT_A_PIPE, POSITION_RANGE, GIVE_WHERE, NO_PIPES, KIND_CHOOSE, SOURCE_CHOOSE,
    SYMPTOMS_CHOOSE, SYMPTOMS_IN_CHOOSE, DUPLICATE, HAZARD_UNKNOWN, HAZARD_NO_PLACE, SENSOR_UNKNOWN, NO_PLAN,
    NAME_STEPS, STEPS_NOT_IN_PLAN_OF, POSITION_MESSAGE, READING_FINITE, NO_METER_WAITING,
)  # fmt: skip


class IncidentService:
    """The incidents of one ledger, on one network.

    Parameters
    ----------
    ledger
        The :class:`~console.app.ledger.LedgerService` (open and unlocked to record steps); its ``authority`` (an
        :class:`~console.app.operators.OperatorService`) signs and guards every step.
    network
        The network incidents are opened on (:meth:`set_network`).
    workspace
        Where crews, grading table, notices and personal data live (default: the ledger folder's parent).
    clock
        RFC 3339 time of a step (default: now); a drill passes a scripted clock.
    what_if
        Compute the pressure effect of each plan (a hydraulic what-if); off for very large networks in the GUI.

    Signals
    -------
    changed(str)
        An incident (its id) has a new step.
    error(str)
        A one-line message for a refused GUI action (verbs raise instead).
    """

    MESSAGE_TEMPLATES = MESSAGE_TEMPLATES  # the refusals' templates, for the UI's translation

    changed = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        ledger: Any,
        *,
        network: GasNetwork | None = None,
        workspace: Workspace | None = None,
        table: GradingTable | None = None,
        roster: CrewRoster | None = None,
        clock: Callable[[], str] | None = None,
        what_if: bool = True,
    ) -> None:
        self.ledger = ledger
        self.workspace = workspace or Workspace(Path(ledger.folder).parent)
        self.table = table or self._load_table()
        self._roster = roster
        self.clock = clock
        self.what_if = what_if
        self.network: GasNetwork | None = None
        self._base_run: tuple[int, Any] | None = None  # (network version, base SimulationResult)
        self._cache: tuple[int, dict[str, Incident]] | None = None  # (ledger size, incidents)
        self._plans: dict[str, dict] = {}  # plan sha256 -> plan document
        self._watch: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}  # (incident, valve) -> (t, baseline)
        self.live: Any = None  # a LiveSession (console.app.live) whose readings confirm closures (link_live)
        self.simulator: Any = None  # the training simulator that sees the valves operated (link_live)
        self._suppressed: dict[str, frozenset[str]] = {}  # suppression key -> sensors, as applied to the live session
        if network is not None:
            self.set_network(network)

    # -- set-up -----------------------------------------------------------------------------------------------------------
    @property
    def incidents_dir(self) -> Path:
        return self.workspace.folder / "incidents"

    def _load_table(self) -> GradingTable:
        path = self.workspace.folder / "grading.json"
        return GradingTable.from_json(path) if path.is_file() else GradingTable.default()

    @property
    def roster(self) -> CrewRoster:
        if self._roster is None:
            path = self.workspace.folder / "crews.json"
            self._roster = CrewRoster.load(path)
            if not self._roster.crews and self.network is not None:
                self._roster = self._training_roster()
        return self._roster

    def _training_roster(self) -> CrewRoster:
        gs = self.network["gate_stations"]
        pt = gs.geometry.iloc[0] if len(gs) else None
        x0, y0, x1, y1 = self.network.bounds
        x, y = (pt.x, pt.y) if pt is not None else ((x0 + x1) / 2, (y0 + y1) / 2)
        return CrewRoster.training(x, y)

    def save_roster(self) -> Path:
        path = self.workspace.ensure().folder / "crews.json"
        self.roster.save(path)
        return path

    def set_network(self, network: GasNetwork | None) -> None:
        self.network = network
        self._base_run = None

    def _crs(self) -> str:
        from console.app.hazards import crs_label

        return getattr(self.ledger, "crs", "") or (crs_label(self.network.crs) if self.network is not None else "")

    def _network(self) -> GasNetwork:
        if self.network is None:
            raise IncidentError(NO_NETWORK)
        return self.network

    def _node(self):
        return self.ledger.require_node()

    def _guard(self, permission: str, action: str) -> None:
        authority = getattr(self.ledger, "authority", None)
        if authority is not None:
            authority.require(permission, action)

    def _now(self) -> str:
        return self.clock() if self.clock is not None else utc_now()

    # -- reading incidents from the ledger ----------------------------------------------------------------------------
    def incidents(self) -> list[Incident]:
        """Every incident of the ledger's own log, oldest first."""
        return list(self._all().values())

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents() if i.is_open]

    def incident(self, incident_id: str) -> Incident:
        try:
            return self._all()[incident_id]
        except KeyError:
            known = ", ".join(self._all()) or NONE_YET
            raise IncidentError(NO_SUCH_INCIDENT.format(incident=incident_id, known=known),
                                incident_id=incident_id, code="unknown-incident") from None  # fmt: skip

    def _all(self) -> dict[str, Incident]:
        node = self._node()
        size = node.size()
        if self._cache is not None and self._cache[0] == size:
            return self._cache[1]
        out: dict[str, Incident] = {}
        for iid in node.state().incidents:
            inc = Incident(iid)
            for row in node.search(incident_id=iid, origin=node.origin):
                if not row["type"].startswith("incident.") or row["type"] == "incident.action":
                    continue
                entry = node.entry(row["idx"])
                inc.apply(Step(entry.type, entry.body, entry.payload["time"], entry.author, row["leaf"], row["idx"]))
            if inc.state == "new":
                continue
            if inc.plan is not None:
                inc.affected = tuple(
                    c["feature_id"] for c in self.plan_document(inc)["isolation"]["impact"]["customers"]
                )
            out[iid] = inc
        out = dict(sorted(out.items(), key=lambda kv: kv[1].opened.index))
        self._cache = (size, out)
        return out

    def plan_document(self, incident: Incident) -> dict:
        """The plan file the incident's latest ``incident.planned`` step signed (isolation result, pressure effect)."""
        if incident.plan is None:
            raise IncidentError(NO_PLAN_YET.format(incident=incident.incident_id), incident_id=incident.incident_id)
        sha = incident.plan.body["plan_sha256"]
        if sha not in self._plans:
            self._plans[sha] = json.loads(self._node().get_evidence(sha))
        return self._plans[sha]

    def plan_result(self, incident: Incident) -> IsolationResult:
        return IsolationResult.from_dict(self.plan_document(incident)["isolation"])

    # -- recording ---------------------------------------------------------------------------------------------------------
    def _append(self, incident: Incident | None, entry_type: str, body: dict) -> Any:
        node = self._node()
        if incident is not None:
            busy = {c: i.incident_id for i in self.open_incidents() if i.incident_id != incident.incident_id
                    for c, v in i.crews.items() if v["status"] != "done"}  # fmt: skip
            incident.check(entry_type, body, busy_crews=busy)
            body = {"incident_id": incident.incident_id, "prev": incident.last_leaf, **body}
        try:
            result = node.append(entry_type, body, time=self._now())
        except GasOpsError as exc:
            iid = body.get("incident_id", "")
            raise IncidentError(NOT_RECORDED.format(incident=iid, entry_type=entry_type,
                                                    detail=getattr(exc, "detail", exc)),
                                incident_id=iid, code="rejected") from exc  # fmt: skip
        self.changed.emit(body["incident_id"])
        return result

    def _new_id(self) -> str:
        day = self._now()[:10].replace("-", "")
        n = sum(1 for i in self._node().state().incidents if i.startswith(f"INC-{day}-")) + 1
        return f"INC-{day}-{n:03d}"

    # -- 1. intake 接报 -------------------------------------------------------------------------------------------------
    def locate(self, *, pipe: str = "", node: str = "", x: float | None = None, y: float | None = None,
               place: str = "", fraction: float | None = None) -> tuple[str, float | None, float, float]:  # fmt: skip
        """Where an incident is: (feature id, fraction along a pipe, x, y) from a pipe or node id, a map point (the
        nearest pipe) or a place name (the nearest pipe to it)."""
        network = self._network()
        if place:
            hits = search_places(network, place, limit=5)
            if not hits:
                raise IncidentError(NO_PLACE.format(place=place, network=network.name))
            x, y = hits[0][3], hits[0][4]
        fid = pipe or node
        if fid:
            try:
                layer, row = network.locate(fid)
            except (KeyError, GasOpsError):
                raise IncidentError(
                    NOT_IN_NETWORK.format(feature=fid, network=network.name), code="unknown-feature"
                ) from None
            geom = network[layer].geometry.iloc[row]
            if pipe:
                if layer != "pipes":
                    raise IncidentError(NOT_A_PIPE.format(feature=fid, kind=layer[:-1]))
                frac = 0.5 if fraction is None else float(fraction)
                if not 0.0 <= frac <= 1.0:
                    raise IncidentError(POSITION_RANGE.format(feature=fid, fraction=frac))
                pt = geom.interpolate(frac, normalized=True)
                return fid, frac, float(pt.x), float(pt.y)
            c = geom.centroid
            return fid, None, float(c.x), float(c.y)
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            raise IncidentError(GIVE_WHERE)
        pipes = network["pipes"]
        if not len(pipes):
            raise IncidentError(NO_PIPES.format(network=network.name))
        import shapely

        geoms = pipes.geometry.to_numpy()
        hit = network.spatial.nearest(x, y, 200.0, ("pipes",))
        if hit is not None:
            k = hit.row
        else:  # farther than 200 m from any pipe: the nearest one anyway (a call from a doorstep off the network)
            k = int(np.argmin(shapely.distance(geoms, shapely.Point(x, y))))
        geom = geoms[k]
        frac = float(geom.project(shapely.Point(x, y), normalized=True))
        return str(pipes["id"].iloc[k]), frac, float(x), float(y)

    def nearby(self, x: float, y: float, radius_m: float = 300.0, window_s: float = 7200.0) -> list[str]:
        """Open incidents near (x, y) opened within ``window_s`` of now: a call there may join one of them."""
        now = _dt.datetime.fromisoformat(self._now().replace("Z", "+00:00")).timestamp()
        rows = [(i.incident_id, i.location["x"], i.location["y"], i.opened.when.timestamp())
                for i in self.open_incidents() if i.location]  # fmt: skip
        return nearby_incidents(rows, x, y, now, radius_m, window_s)

    def open(
        self,
        kind: str = "leak",
        *,
        source: str = "pipe",
        pipe: str = "",
        node: str = "",
        x: float | None = None,
        y: float | None = None,
        place: str = "",
        fraction: float | None = None,
        caller: str = "",
        phone: str = "",
        description: str = "",
        symptoms: Iterable[str] = (),
        alarm: str = "",
        hazard_id: str = "",
        allow_duplicate: bool = False,
        plan: bool = True,
    ) -> Incident:
        """Open an incident (接报) and, unless ``plan=False``, make its plan and grade it at once.

        A call within 300 m and 2 h of an open incident is refused with the incident to join (:meth:`join`) unless
        ``allow_duplicate``."""
        self._guard("incident.open", "open an incident")
        if kind not in INCIDENT_KINDS:
            raise IncidentError(KIND_CHOOSE.format(kind=kind, allowed=", ".join(INCIDENT_KINDS)))
        if source not in INCIDENT_SOURCES:
            raise IncidentError(SOURCE_CHOOSE.format(source=source, allowed=", ".join(INCIDENT_SOURCES)))
        symptoms = list(dict.fromkeys(symptoms))
        bad = [s for s in symptoms if s not in SYMPTOMS]
        if bad:
            raise IncidentError(SYMPTOMS_CHOOSE.format(bad=bad, allowed=", ".join(SYMPTOMS)))
        if kind == "fire" and "fire_explosion" not in symptoms:
            symptoms.append("fire_explosion")
        fid, frac, px, py = self.locate(pipe=pipe, node=node, x=x, y=y, place=place, fraction=fraction)
        if source in ("call", "alarm") and not allow_duplicate:
            near = self.nearby(px, py)
            if near:
                raise IncidentError(DUPLICATE.format(incident=near[0], n=len(near)), incident_id=near[0],
                                    code="duplicate")  # fmt: skip
        node_ = self._node()
        iid = self._new_id()
        body: dict[str, Any] = {"incident_id": iid, "source": source, "kind": kind,
                                "location": {"x": round(px, 3), "y": round(py, 3), "crs": self._crs()},
                                "feature_id": fid}  # fmt: skip
        if frac is not None:
            body["fraction"] = round(frac, 4)
        for key, value in (("description", description), ("alarm", alarm), ("hazard_id", hazard_id)):
            if value:
                body[key] = value[:500]
        if caller:
            body["caller_digest"] = node_.personal_digest(caller)
        if phone:
            body["phone_digest"] = node_.personal_digest(phone)
        if symptoms:
            body["symptoms"] = symptoms
        self._append(None, "incident.opened", body)
        self._keep_private(iid, caller, phone)
        if plan:
            self.plan(iid)
            self.grade(iid)
        return self.incident(iid)

    def _keep_private(self, iid: str, caller: str, phone: str) -> None:
        if not (caller or phone):
            return
        from console.atomic import atomic_write_text

        path = self.incidents_dir / iid / "callers.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        line = json.dumps({"time": self._now(), "caller": caller, "phone": phone}, ensure_ascii=False)
        atomic_write_text(path, old + line + "\n", mode=0o600)

    def join(self, incident_id: str, *, source: str = "call", caller: str = "", phone: str = "",
             description: str = "", symptoms: Iterable[str] = ()) -> Incident:  # fmt: skip
        """Record a further call about an open incident (instead of a duplicate incident)."""
        self._guard("incident.open", "log incident steps")
        inc = self.incident(incident_id)
        node = self._node()
        body: dict[str, Any] = {"source": source}
        if description:
            body["description"] = description[:500]
        if caller:
            body["caller_digest"] = node.personal_digest(caller)
        if phone:
            body["phone_digest"] = node.personal_digest(phone)
        symptoms = list(symptoms)
        if [s for s in symptoms if s not in SYMPTOMS]:
            raise IncidentError(SYMPTOMS_IN_CHOOSE.format(symptoms=symptoms, allowed=", ".join(SYMPTOMS)))
        if symptoms:
            body["symptoms"] = symptoms
        self._append(inc, "incident.report", body)
        self._keep_private(incident_id, caller, phone)
        return self.incident(incident_id)

    def open_from_hazard(self, hazard_id: str, kind: str = "", **kwargs: Any) -> Incident:
        """Open an incident at a hazard of the register: at its pipe or node, else where it was reported (a valve or
        regulator hazard, or none named); the kind follows its category unless given (third-party damage: a
        rupture; anything else: a leak)."""
        row = self.ledger.hazard(hazard_id) if hasattr(self.ledger, "hazard") else None
        record = self._node().state().hazards.get(hazard_id)
        if row is None and record is None:
            raise IncidentError(HAZARD_UNKNOWN.format(hazard=hazard_id))
        entry = self._node().entry(record.first_index) if record is not None else None
        body = entry.body if entry is not None else {}
        asset = str(body.get("asset_id", "") or "")
        loc = body.get("location", {}) or {}
        layer = ""
        if asset and self.network is not None:
            try:
                layer = self.network.locate(asset)[0]
            except (KeyError, GasOpsError):
                layer = ""
        if layer == "pipes":
            where: dict[str, Any] = {"pipe": asset}
            if loc.get("x") is not None and loc.get("y") is not None:  # where along it the hazard was reported
                import shapely

                geom = self.network["pipes"].geometry.iloc[self.network.locate(asset)[1]]
                point = shapely.Point(float(loc["x"]), float(loc["y"]))
                where["fraction"] = round(float(geom.project(point, normalized=True)), 4)
        elif layer and layer not in ("valves", "regulators", "links", "sensors"):
            where = {"node": asset}
        elif loc.get("x") is not None and loc.get("y") is not None:
            where = {"x": float(loc["x"]), "y": float(loc["y"])}
        else:
            raise IncidentError(HAZARD_NO_PLACE.format(hazard=hazard_id))
        kind = kind or ("rupture" if body.get("category") == "third_party" else "leak")
        return self.open(kind, source="hazard", hazard_id=hazard_id, description=body.get("description", ""),
                         **where, **kwargs)  # fmt: skip

    def open_from_alarm(self, sensor_id: str, alarm: str, kind: str = "leak", **kwargs: Any) -> Incident:
        """Open an incident at an alarm's sensor (methane HIHI, pressure LOLO, a burst-like drop)."""
        network = self._network()
        try:
            layer, row = network.locate(sensor_id)
        except (KeyError, GasOpsError):
            raise IncidentError(SENSOR_UNKNOWN.format(sensor=sensor_id)) from None
        pt = network[layer].geometry.iloc[row]
        kind = "pressure" if kind == "leak" and "LO" in alarm.upper() else kind
        return self.open(kind, source="alarm", alarm=f"{sensor_id}:{alarm}", x=float(pt.x), y=float(pt.y), **kwargs)

    # -- 2. plan 关阀调压方案 and 3. grade 分级 ---------------------------------------------------------------------------
    def plan(self, incident_id: str, *, failed: Iterable[str] = (), reason: str = "") -> Incident:
        """Make (or remake, with valves that ``failed``) the isolation plan and its pressure effect; one entry."""
        self._guard("incident.open", "plan an incident")
        inc = self.incident(incident_id)
        network = self._network()
        failed = [*inc.failed_valves, *[f for f in failed if f not in inc.failed_valves]]
        inc.check("incident.planned", {})
        try:
            if inc.plan is not None:
                result = reanalyse(network, self.plan_result(inc), failed)
            elif inc.fraction is not None:
                result = isolate(
                    network, IsolationRequest.at_pipe(inc.feature_id, inc.fraction, inoperable=tuple(failed))
                )
            else:
                result = isolate(network, IsolationRequest.at_node(inc.feature_id, inoperable=tuple(failed)))
        except GasOpsError as exc:
            raise IncidentError(NO_PLAN.format(incident=incident_id, reason=exc), incident_id=incident_id) from exc
        effect = self.pressure_effect(result) if self.what_if else None
        doc = {"isolation": result.to_dict(), "effect": effect.to_dict() if effect else None}
        data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
        att = self._node().put_evidence(data, "application/json")
        imp = result.impact
        body = {"valves": list(result.valves_to_close), "optional_valves": list(result.optional_valves),
                "failed": failed, "customers": imp.customers_lost, "households": int(imp.households),
                "special_users": len(imp.special_users), "gas_vented_nm3": round(float(imp.isolated_gas_volume_nm3), 3),
                "low_pressure_customers": len(effect.low_customers) if effect else 0, "plan_sha256": att["sha256"],
                "attachments": [att]}  # fmt: skip
        if reason:
            body["reason"] = reason[:300]
        self._plans[att["sha256"]] = doc
        self._append(inc, "incident.planned", body)
        return self.incident(incident_id)

    def pressure_effect(self, result: IsolationResult) -> PressureEffect:
        """The plan's valves closed in a hydraulic what-if: customers outside the outage below service pressure.

        Solved only in the pressure systems the outage touches (:func:`console.hydraulics.what_if_local`: the
        full what-if's answer), warm-started from the base run cached for this network version."""
        from console.hydraulics import HydraulicsError, InfeasibleError, what_if_local

        network = self._network()
        closed = [s.feature_id for s in result.plan if s.required]
        try:
            base = self.base_run()
            local = what_if_local(network, closed, base)
        except InfeasibleError as exc:
            # A finding, not a failure: with these valves closed a pressure system cannot carry its demand.
            return infeasible_effect(exc)
        except (HydraulicsError, ValueError) as exc:
            return PressureEffect((), (), (), 0.0, solved=False, note=EFFECT_NOT_SOLVED.format(why=exc))
        diff = local.diff
        reg_xy = network.cached("dispatch.regulator_xy", lambda: self._regulator_xy(network))
        low = sorted(set(diff.low_pressure_customer_ids) | set(diff.newly_unsupplied_customer_ids))
        cust_xy = {}
        if low:
            topo = network.topology
            k = topo.node_index(low)
            cust_xy = {c: (float(topo.node_xy[j][0]), float(topo.node_xy[j][1]))
                       for c, j in zip(low, k, strict=True) if j >= 0}  # fmt: skip
        outage = [c.feature_id for c in result.impact.customers]
        effect = pressure_effect(diff, outage, reg_xy, cust_xy)
        if local.full and local.reason:
            effect = dataclasses.replace(effect, note=EFFECT_WHOLE_NETWORK.format(reason=local.reason))
        return effect

    def base_run(self):
        """The base hydraulic run of the open network (cached per network version): the what-ifs' warm start."""
        from console.hydraulics import simulate

        network = self._network()
        if self._base_run is None or self._base_run[0] != network.version:
            self._base_run = (network.version, simulate(network))
        return self._base_run[1]

    @staticmethod
    def solve_base_run(snapshot: GasNetwork, feedback: Any = None) -> Any:
        """The base hydraulic run of a network snapshot, off the GUI thread (adopt it with :meth:`adopt_base_run`):
        a very large network's first incident then does not wait for it."""
        from console.hydraulics import simulate

        return simulate(snapshot, feedback=feedback)

    def adopt_base_run(self, result: Any) -> bool:
        """Keep a base run solved on a snapshot, if the network has not changed since; False otherwise."""
        network = self.network
        if network is None or result.network_version != network.version or result.network_name != network.name:
            return False
        self._base_run = (network.version, result)
        return True

    @staticmethod
    def _regulator_xy(network: GasNetwork) -> dict[str, tuple[float, float]]:
        import shapely

        regs = network["regulators"]
        if not len(regs):
            return {}
        c = shapely.centroid(regs.geometry.to_numpy())
        return dict(zip(regs["id"].astype(str), zip(shapely.get_x(c).tolist(), shapely.get_y(c).tolist(),
                                                    strict=True), strict=True))  # fmt: skip

    def grade(self, incident_id: str, *, symptoms: Iterable[str] = (), duration_h: float | None = None) -> Incident:
        """Grade the incident from the households its plan cuts off (and those falling below service pressure) and
        its symptoms; special users affected count as a symptom."""
        self._guard("incident.open", "grade an incident")
        inc = self.incident(incident_id)
        households = 0
        found = list(dict.fromkeys([*inc.symptoms, *symptoms]))
        if inc.plan is not None:
            households = int(inc.plan.body["households"])
            doc = self.plan_document(inc)
            if doc.get("effect") and doc["effect"]["low_customers"] and self.network is not None:
                cus = self.network["customers"]
                households += int(cus[cus["id"].isin(doc["effect"]["low_customers"])]["households"].sum())
            if inc.plan.body.get("special_users") and "special_users" not in found:
                found.append("special_users")
        g = self.table.grade(households, found, duration_h)
        body = {"grade": g.grade, "households": households, "symptoms": found, "reasons": list(g.reasons),
                "table_digest": self.table.digest()}  # fmt: skip
        self._append(inc, "incident.graded", body)
        return self.incident(incident_id)

    def valve_failed(self, incident_id: str, valve_id: str, *, crew: str = "", note: str = "") -> Incident:
        """“V-123 would not turn”: record it and re-plan in place (the next ring of valves)."""
        self._guard("incident.open", "log incident steps")
        inc = self.incident(incident_id)
        body = {"feature_id": valve_id, "action": "failed", **({"crew": crew} if crew else {}),
                **({"note": note} if note else {})}  # fmt: skip
        self._append(inc, "incident.valve", body)
        self.plan(incident_id, reason=f"{valve_id} would not turn")
        return self.grade(incident_id)

    def overlaps(self) -> list[tuple[str, str, int]]:
        """Open incidents whose outages share customers (each pair, with how many customers)."""
        return overlapping({i.incident_id: set(i.affected) for i in self.open_incidents() if i.plan is not None})

    def clocks(self, incident_id: str, now: str | None = None):
        inc = self.incident(incident_id)
        limits = self.table.level(inc.grade or "routine").clocks_min
        return service_clocks(inc, limits, now or self._now())

    # -- 4. crews and dispatch 调度 --------------------------------------------------------------------------------------
    def plan_targets(self, incident: Incident) -> dict[str, tuple[str, float, float]]:
        """Each plan step's feature: (action, x, y); ``site`` is the break."""
        doc = self.plan_document(incident)["isolation"]
        out = {s["feature_id"]: (s["action"], s["x"], s["y"]) for s in doc["plan"]}
        if doc["break_points"]:
            out["site"] = ("site", doc["break_points"][0][1], doc["break_points"][0][2])
        return out

    def dispatch(self, incident_id: str, crew_id: str, steps: Iterable[str] | None = None):
        """Assign plan steps to a crew (default: the steps of its kind not yet assigned), with the route and ETA along
        the streets from its position to the first step. Returns the route."""
        self._guard("incident.open", "dispatch crews")
        inc = self.incident(incident_id)
        crew = self.roster.crew(crew_id)
        if inc.plan is None:
            raise IncidentError(PLAN_FIRST_DISPATCH.format(incident=incident_id), incident_id=incident_id)
        targets = self.plan_targets(inc)
        if steps is None:
            taken = {s for c in inc.crews.values() for s in c["steps"]}
            steps = [f for f, (action, _, _) in targets.items()
                     if STEP_CREW_KIND.get(action) == crew.kind and f not in taken]  # fmt: skip
            if not steps:
                steps = ["site"]
        steps = list(steps)
        if not steps:
            raise IncidentError(NAME_STEPS.format(incident=incident_id, crew=crew_id))
        unknown = [s for s in steps if s not in targets]
        if unknown:
            raise IncidentError(STEPS_NOT_IN_PLAN_OF.format(incident=incident_id, steps=", ".join(unknown),
                                                            plan=", ".join(targets)),
                                incident_id=incident_id, code="not-in-plan")  # fmt: skip
        route = None
        start = (crew.x, crew.y)
        if math.isfinite(crew.x) and math.isfinite(crew.y):
            _, tx, ty = targets[steps[0]]
            route = street_graph(self._network()).route(start, (tx, ty))
        body = {"crew": crew_id, "crew_kind": crew.kind, "steps": steps}
        if route is not None:
            body |= {"route_m": round(route.length_m, 1), "eta_s": round(route.eta_s, 1)}
        self._append(inc, "incident.dispatched", body)
        return route

    def crew_status(self, incident_id: str, crew_id: str, status: str) -> Incident:
        """A crew's acknowledgement and progress: acknowledged, en_route, on_site, done."""
        self._guard("incident.open", "log incident steps")
        self._append(self.incident(incident_id), "incident.crew", {"crew": crew_id, "status": status})
        return self.incident(incident_id)

    def crew_position(self, message: Any) -> Any:
        """A crew position (the crew feed): a :class:`~console.dispatch.CrewPosition` or a message
        ``{"crew_id", "x", "y"[, "time"]}`` / ``{"crew_id", "lat", "lon"[, "time"]}`` (WGS 84, turned into the
        network's coordinates). Positions stay off the ledger (personal data); returns the crew moved."""
        if hasattr(message, "message"):
            message = message.message()
        message = dict(message)
        if "x" not in message and "lat" in message:
            network = self._network()
            try:
                lat, lon = float(message["lat"]), float(message["lon"])
            except (KeyError, TypeError, ValueError):
                raise IncidentError(POSITION_MESSAGE.format(message=message)) from None
            x, y = _wgs84_to(network.crs, lon, lat)
            message |= {"x": x, "y": y}
        return self.roster.update_position(message, self._now())

    # -- 5. execution 执行与确认 -------------------------------------------------------------------------------------------
    def valve(self, incident_id: str, valve_id: str, action: str = "closed", *, crew: str = "", note: str = "",
              readings: Mapping[str, float] | None = None) -> Incident:  # fmt: skip
        """A crew reports a valve closed or reopened (``failed``: see :meth:`valve_failed`). ``readings`` (sensor id →
        gauge Pa) are the outage's pressures at that moment: the baseline for confirmation by telemetry."""
        if action == "failed":
            return self.valve_failed(incident_id, valve_id, crew=crew, note=note)
        self._guard("incident.open", "log incident steps")
        inc = self.incident(incident_id)
        body = {"feature_id": valve_id, "action": action, **({"crew": crew} if crew else {}),
                **({"note": note} if note else {})}  # fmt: skip
        if action == "closed" and readings is None and self.live is not None:
            readings = self.live_readings(self.outage_sensors(incident_id))
        self._append(inc, "incident.valve", body)
        if action == "closed" and readings:
            self._watch[(incident_id, valve_id)] = (self._epoch(), dict(readings))
        self._operate_simulator(valve_id, action)
        return self.incident(incident_id)

    # -- live telemetry: readings that confirm closures, the simulator that sees them, suppression ------------------
    def link_live(self, session: Any, *, simulator: Any = None) -> None:
        """Follow a live session (:class:`console.app.live.LiveSession`): a closure reported without readings takes
        the outage sensors' pressures from it as its baseline, :meth:`check_live` confirms closures from its newest
        readings and suppresses the alarms inside outages being isolated. In training, ``simulator`` (default: the
        session's feed, when it is a :class:`~console.dispatch.TrainingSimulator`) is told of every valve closed or
        opened again, so its readings fall in the section cut off. ``None`` unlinks."""
        self.live = session
        self.simulator = simulator
        self._suppressed = {}

    def _training_feed(self) -> Any:
        from console.dispatch import TrainingSimulator

        if self.simulator is not None:
            return self.simulator
        feed = getattr(self.live, "feed", None)
        return feed if isinstance(feed, TrainingSimulator) else None

    def _operate_simulator(self, valve_id: str, action: str) -> None:
        from console.dispatch import ValveOperation

        feed = self._training_feed()
        if feed is None or action not in ("closed", "opened") or self.network is None:
            return
        try:
            feed.add_event(self.network, ValveOperation((valve_id,), at_s=feed.elapsed_s(), action=action))
        except GasOpsError as exc:  # a valve the simulator's network lacks: training carries on without it
            log.warning("training simulator did not take %s %s: %s", valve_id, action, exc)

    def live_readings(self, sensor_ids: Iterable[str]) -> dict[str, float]:
        """The newest gauge pressure (Pa) of each of ``sensor_ids`` that the live session has a reading of."""
        from console.app.live import PA_PER_UNIT

        session = self.live
        sensor_ids = list(sensor_ids)
        if session is None or not sensor_ids:
            return {}
        snap = session.service.snapshot()
        sensors = session.sensors
        out = {}
        for sid in sensor_ids:
            row = sensors.row(sid)
            if row < 0 or row >= len(snap.last_value):
                continue
            factor = PA_PER_UNIT.get(str(sensors.unit[row]))
            value = float(snap.last_value[row])
            if factor is not None and math.isfinite(value):
                out[sid] = value * factor
        return out

    def check_live(self, timeout_s: float = CONFIRM_TIMEOUT_S) -> list[tuple]:
        """With a linked live session: confirm (or warn about) the watched closures from its newest readings
        (:meth:`check_confirmations`) and bring its state-based suppression up to date (:meth:`apply_suppression`).
        Returns the recorded confirmations."""
        if self.live is None:
            return []
        watched = {s for i in self.open_incidents() if i.state in ("isolating", "isolated")
                   for s in self.outage_sensors(i.incident_id)}  # fmt: skip
        readings = self.live_readings(sorted(watched))
        done = self.check_confirmations(readings, timeout_s) if readings else []
        self.apply_suppression()
        return done

    def apply_suppression(self) -> dict[str, frozenset[str]]:
        """ISA-18.2 state-based suppression on the linked live session: the alarms of the sensors inside an outage
        being isolated are expected (key ``incident:<id>``) until restoration begins; then the suppression is lifted
        and what is still in alarm comes back unacknowledged. Returns the suppressions applied."""
        session = self.live
        if session is None or not hasattr(session, "suppress"):
            return {}
        want = {f"incident:{i.incident_id}": frozenset(self.outage_sensors(i.incident_id))
                for i in self.open_incidents() if i.state in ("isolating", "isolated")}  # fmt: skip
        want = {k: v for k, v in want.items() if v}
        for key in [k for k in self._suppressed if k not in want]:
            session.unsuppress(key)
            del self._suppressed[key]
        for key, sensors in want.items():
            if self._suppressed.get(key) != sensors:
                iid = key.split(":", 1)[1]
                session.suppress(key, sorted(sensors), f"inside the shut-off region of incident {iid} (expected)")
                self._suppressed[key] = sensors
        return dict(self._suppressed)

    def outage_sensors(self, incident_id: str) -> list[str]:
        """Sensors inside the outage: the ones that confirm the closure, and whose alarms are expected (suppressed)."""
        inc = self.incident(incident_id)
        return list(self.plan_document(inc)["isolation"]["impact"]["sensor_ids"]) if inc.plan else []

    def suppressed_sensors(self) -> set[str]:
        """Sensors of the outages of open incidents that are isolating or isolated: their alarms are expected
        (ISA-18.2 state-based suppression) until restoration begins."""
        return {s for i in self.open_incidents() if i.state in ("isolating", "isolated")
                for s in self.outage_sensors(i.incident_id)}  # fmt: skip

    def _epoch(self) -> float:
        return _dt.datetime.fromisoformat(self._now().replace("Z", "+00:00")).timestamp()

    def check_confirmations(self, readings: Mapping[str, float], timeout_s: float = CONFIRM_TIMEOUT_S) -> list[tuple]:
        """Compare the pressures now (sensor id → gauge Pa) with each watched closure's baseline: record
        ``confirmed`` when the outage's pressure fell as the plan predicts, ``warning`` when it has not within
        ``timeout_s``. Returns (incident, valve, result) for each recorded step."""
        done = []
        now = self._epoch()
        for (iid, valve), (t0, base) in list(self._watch.items()):
            inc = self.incident(iid)
            if not inc.is_open:
                self._watch.pop((iid, valve))
                continue
            common = [s for s in base if s in readings and base[s] > 0]
            if not common:
                continue
            sensor = max(common, key=lambda s: base[s] - readings[s])
            result = confirm_by_pressure(base[sensor], readings[sensor], now - t0, timeout_s)
            if result == "pending":
                continue
            body = {"feature_id": valve, "result": result, "sensor": sensor, "value_pa": float(readings[sensor]),
                    "expected_pa": float(base[sensor]) * 0.5}  # fmt: skip
            self._append(inc, "incident.confirmed", body)
            self._watch.pop((iid, valve))
            done.append((iid, valve, result))
        return done

    def reading(self, incident_id: str, quantity: str, value: float, unit: str, feature_id: str = "") -> Incident:
        """A concentration or pressure reading taken on site (methane %LEL, CO ppm, pressure kPa …)."""
        self._guard("incident.open", "log incident steps")
        if not math.isfinite(value):
            raise IncidentError(READING_FINITE.format(incident=incident_id))
        body = {
            "quantity": quantity,
            "value": float(value),
            "unit": unit,
            **({"feature_id": feature_id} if feature_id else {}),
        }
        self._append(self.incident(incident_id), "incident.reading", body)
        return self.incident(incident_id)

    # -- 6. notices 通知 ------------------------------------------------------------------------------------------------------
    def notify(self, incident_id: str, kind: str = "outage", language: str = "zh", *,
               lead_time_h: float | None = None, expected: str = "") -> tuple[Path, Path]:  # fmt: skip
        """Write the call list and the SMS batch for the outage's customers (special users first) into the
        incident's folder, and record the notice with their digests. Returns both paths."""
        self._guard("incident.open", "send notices")
        inc = self.incident(incident_id)
        if inc.plan is None:
            raise IncidentError(PLAN_FIRST_NOTICE.format(incident=incident_id), incident_id=incident_id)
        inc.check("incident.notice", {"kind": kind})
        doc = self.plan_document(inc)["isolation"]
        customers = [dict(c) for c in doc["impact"]["customers"]]
        meters = self.meter_ids([c["feature_id"] for c in customers])
        for c in customers:
            c["meter_id"] = meters.get(c["feature_id"], "")
        start = inc.opened.time[11:16] if inc.opened else ""
        area = self.area_name(inc)
        text = notice_text(kind, language, incident_id=incident_id, start=start, expected=expected, area=area)
        from console.atomic import atomic_write_text
        from console.ledger import attachment

        folder = self.incidents_dir / incident_id
        folder.mkdir(parents=True, exist_ok=True)
        n = len(inc.notices) + 1
        calls = folder / f"notice-{n}-{kind}-{language}-call-list.csv"
        sms = folder / f"notice-{n}-{kind}-{language}-sms.csv"
        calls_text, sms_text = call_list_csv(customers), sms_batch_csv(customers, text)
        atomic_write_text(calls, calls_text, mode=0o600)
        atomic_write_text(sms, sms_text, mode=0o600)
        body = {"kind": kind, "language": language, "customers": len(customers),
                "special_users": sum(1 for c in customers if c["category"] == "special"),
                "attachments": [attachment(calls_text.encode(), "text/csv"), attachment(sms_text.encode(), "text/csv")]}  # fmt: skip
        if lead_time_h is not None:
            body["lead_time_h"] = float(lead_time_h)
        self._append(inc, "incident.notice", body)
        return calls, sms

    def meter_ids(self, ids: list[str]) -> dict[str, str]:
        if self.network is None or not ids:
            return {}
        cus = self.network["customers"]
        sel = cus[cus["id"].isin(ids)]
        return dict(zip(sel["id"].astype(str), sel["meter_id"].astype(str), strict=True))

    def area_name(self, inc: Incident) -> str:
        """The outage's area by the nearest named regulator or gate station (the network has no street names)."""
        if self.network is None or not inc.location:
            return ""
        best, name = math.inf, ""
        for layer in ("regulators", "gate_stations"):
            frame = self.network[layer]
            for nm, g in zip(frame["name"].astype(str), frame.geometry, strict=True):
                if nm:
                    c = g.centroid
                    d = math.hypot(c.x - inc.location["x"], c.y - inc.location["y"])
                    if d < best:
                        best, name = d, nm
        return name.replace("调压箱", "").replace("调压站", "").replace("门站", "") + "片区" if name else ""

    # -- 7. restoration 恢复供气 -----------------------------------------------------------------------------------------
    def meters(self, incident_id: str, step: str, meters: Iterable[str] | None = None, *, crew: str = "") -> Incident:
        """Per-meter tracking: ``shut_off`` (first pass), ``relit``, ``not_home`` (revisit queue), ``handed_over``.
        ``meters=None`` means every customer of the outage still waiting for that step."""
        self._guard("incident.open", "log incident steps")
        inc = self.incident(incident_id)
        if meters is None:
            want = {"shut_off": (None,), "relit": ("shut_off", "not_home")}.get(step, ())
            meters = [m for m in inc.affected if inc.meters.get(m) in want]
        meters = list(dict.fromkeys(meters))
        if not meters and inc.affected:  # "every meter waiting", and none is: say why (out of order, or all done)
            inc.check("incident.meter", {"step": step, "meters": [inc.affected[0]]}) if step != "shut_off" else None
            raise IncidentError(NO_METER_WAITING.format(incident=incident_id, step=step.replace("_", " ")),
                                incident_id=incident_id)  # fmt: skip
        for k in range(0, max(len(meters), 1), 500):  # long outages: batches of 500 meters per entry
            inc = self.incident(incident_id)
            self._append(
                inc, "incident.meter", {"step": step, "meters": meters[k : k + 500], **({"crew": crew} if crew else {})}
            )
        return self.incident(incident_id)

    def purge(self, incident_id: str, note: str = "") -> Incident:
        """The isolated section was purged (置换) after the valves reopened."""
        self._guard("incident.open", "log incident steps")
        self._append(self.incident(incident_id), "incident.purged", {"note": note[:300]} if note else {})
        return self.incident(incident_id)

    def reopen_order(self, incident_id: str) -> list[str]:
        """The reopening order: the reverse of the closing order (the last valve closed opens first … the upstream
        feeds last, so the section is refilled from one side and purged towards its ends)."""
        inc = self.incident(incident_id)
        closed = sorted(inc.closed_valves, key=lambda v: inc.closed_valves[v])
        return [v for v in reversed(closed) if v not in inc.reopened_valves]

    def close(self, incident_id: str, summary: str = "") -> Incident:
        """Close the incident (a commander, 应急指挥): every valve reopened, purged, every meter relit or handed over."""
        self._guard("incident.close", f"close incident {incident_id}")
        self._append(self.incident(incident_id), "incident.closed", {"summary": summary[:500]} if summary else {})
        return self.incident(incident_id)

    # -- 8. timeline and report ---------------------------------------------------------------------------------------------
    def _who(self, lang: str = "en") -> Callable[[str], str]:
        names = {}
        authority = getattr(self.ledger, "authority", None)
        if authority is not None:
            try:
                names = {o.did: f"{o.name} ({o.operator_id})" for o in authority.operators()}
            except GasOpsError:
                names = {}
        org = {did for did, _ in self._node().state().org_keys}
        organisation = phrase("organisation", lang)
        return lambda did: names.get(did) or (organisation if did in org else did[:24] + "…")

    def timeline(self, incident_id: str, lang: str = "en"):
        """The activity log of an incident, its activities in ``lang`` (en or zh_CN)."""
        return timeline(self.incident(incident_id), self._who(lang), lang)

    def report(self, incident_id: str, out: str | Path, *, verified: str = "", lang: str = "en") -> Path:
        """Write the after-action report (HTML) of an incident from its ledger steps, in ``lang`` (en or zh_CN:
        the headings and words change, the figures, ids and hashes do not)."""
        from console.atomic import atomic_write_text

        check_language(lang)
        inc = self.incident(incident_id)
        doc = self.plan_document(inc) if inc.plan is not None else {}
        iso = doc.get("isolation") or {}
        lines, points = self._report_map(inc, iso)
        crews = {}
        for cid in inc.crews:
            try:
                crews[cid] = self.roster.crew(cid).describe(lang)
            except IncidentError:
                crews[cid] = cid
        text = report_html(inc, self.timeline(incident_id, lang), self.clocks(incident_id, inc.closed_at or None),
                           plan=iso, effect=doc.get("effect"), crews=crews, map_lines=lines, map_points=points,
                           verified=verified, origin=self._node().origin, lang=lang)  # fmt: skip
        out = Path(out)
        atomic_write_text(out, text)
        return out

    def _report_map(self, inc: Incident, iso: Mapping) -> tuple[dict, dict]:
        if self.network is None or not iso:
            return {}, {}
        import shapely

        pipes = self.network["pipes"]
        ids = pipes["id"].astype(str).to_numpy()
        geoms = pipes.geometry.to_numpy()
        roles = {"isolated": set(iso["isolated_pipe_ids"]), "cut_off": set(iso["cut_off_pipe_ids"])}
        sel = {r: np.flatnonzero(np.isin(ids, list(s))) for r, s in roles.items()}
        pts = [np.array([[b[1], b[2]]]) for b in iso["break_points"]]
        pick = np.concatenate([sel["isolated"], sel["cut_off"]])
        boxes = (
            shapely.bounds(geoms[pick]) if len(pick) else np.array([[p[0, 0], p[0, 1], p[0, 0], p[0, 1]] for p in pts])
        )
        x0, y0 = boxes[:, 0].min() - 150, boxes[:, 1].min() - 150
        x1, y1 = boxes[:, 2].max() + 150, boxes[:, 3].max() + 150
        near = self.network.spatial.query_box("pipes", (x0, y0, x1, y1))[:4000]
        lines = {"context": [shapely.get_coordinates(g) for g in geoms[near]],
                 "isolated": [shapely.get_coordinates(g) for g in geoms[sel["isolated"]]],
                 "cut_off": [shapely.get_coordinates(g) for g in geoms[sel["cut_off"]]]}  # fmt: skip
        points: dict[str, list] = {"valve": [], "closed": [], "failed": [], "break": [], "crew": []}
        for s in iso["plan"]:
            role = "closed" if s["feature_id"] in inc.closed_valves else "valve"
            points[role].append((s["feature_id"], s["x"], s["y"]))
        for s in iso.get("skipped", []):
            points["failed"].append((s["feature_id"], s["x"], s["y"]))
        points["break"] = [(f"{b[0]}", b[1], b[2]) for b in iso["break_points"]]
        return lines, points

    def board(self, now: str | None = None) -> list[dict]:
        """The incident board: one row per open incident with grade, state, clocks and flags."""
        rows = []
        overlaps = self.overlaps()
        for inc in self.open_incidents():
            clocks = self.clocks(inc.incident_id, now)
            rows.append({"incident_id": inc.incident_id, "kind": inc.kind, "grade": inc.grade, "state": inc.state,
                         "opened_at": inc.opened.time, "households": inc.households,
                         "customers": len(inc.affected), "crews": len(inc.crews),
                         "clocks": [c.to_dict() for c in clocks], "breached": [c.name for c in clocks if c.flagged],
                         "overlaps": [b if a == inc.incident_id else a for a, b, _ in overlaps
                                      if inc.incident_id in (a, b)]})  # fmt: skip
        return rows
