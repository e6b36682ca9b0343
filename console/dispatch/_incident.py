"""The incident (应急事件) as a state machine replayed from its ledger entries.

An incident is never stored as a row that could be edited: it is the fold of its signed ``incident.*`` entries
(:meth:`Incident.apply`), so what the board shows and what the report prints is what the ledger holds. Before a step
is appended, :meth:`Incident.check` says whether it may follow (and why not): a valve closed that is not in the plan,
a meter relit before the valves reopened, a crew assigned twice, anything on a closed incident. A refused step raises
:class:`IncidentError` and nothing is recorded.

States::

    open ──plan──▶ planned ──valve closed──▶ isolating ──all required closed──▶ isolated
                                                                                   │ valve reopened
                                                    closed ◀──every meter relit── restoring (purge, relight)

>>> inc = Incident("INC-1")
>>> inc.apply(Step("incident.opened", {"incident_id": "INC-1", "source": "call", "kind": "leak"}, "2026-01-01T08:00:00Z"))
>>> inc.state
'open'
>>> try:
...     inc.check("incident.valve", {"feature_id": "V-1", "action": "closed"})
... except IncidentError as exc:
...     print(exc)
INC-1: V-1 is not in the plan (no plan yet)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from console.dispatch._errors import (  # the refusals' templates
    ALL_OF_THEM,
    ALREADY_CLOSED,
    ALREADY_REOPENED,
    CREW_ASSIGNED_ELSEWHERE,
    CREW_ASSIGNED_HERE,
    CREW_GOES_BACK,
    CREW_NOT_DISPATCHED,
    CREW_STATUS_ONE_OF,
    IS_CLOSED,
    METER_STEP_ONE_OF,
    METERS_ALREADY,
    METERS_BEFORE_REOPEN,
    METERS_HAD_STEP,
    METERS_NEVER_SHUT,
    METERS_NOT_AFFECTED,
    METERS_NOT_SHUT,
    METERS_PENDING,
    NAME_A_METER,
    NEVER_CLOSED,
    NEVER_OPENED,
    NO_MORE_CLOSING,
    NONE,
    NOT_IN_PLAN_NO_PLAN,
    NOT_IN_PLAN_VALVES,
    NOT_PURGED,
    NOT_REPORTED_CLOSED,
    NOTICE_KIND_ONE_OF,
    NOTICE_PREMATURE,
    PLAN_FIRST_DISPATCH,
    PLAN_FIRST_NOTICE,
    PLAN_FIXED,
    PURGE_AFTER_REOPEN,
    PURGE_BEFORE_RELIGHT,
    REOPEN_WHEN_ISOLATED,
    SHUT_OFF_DURING_OUTAGE,
    STEPS_NOT_IN_PLAN,
    STILL_CLOSED,
    STILL_CLOSED_PURGE,
    VALVE_ACTION_ONE_OF,
    IncidentError,
)

__all__ = [
    "CREW_STATUSES",
    "INCIDENT_KINDS",
    "INCIDENT_SOURCES",
    "METER_STEPS",
    "STATES",
    "Incident",
    "Step",
    "parse_time",
]

STATES = ("open", "planned", "isolating", "isolated", "restoring", "closed")
INCIDENT_KINDS = ("leak", "rupture", "fire", "odour", "pressure", "planned")
INCIDENT_SOURCES = ("call", "alarm", "hazard", "map", "pipe", "planned")
CREW_STATUSES = ("acknowledged", "en_route", "on_site", "done")  # after "dispatched"
VALVE_ACTIONS = ("closed", "failed", "opened")
METER_STEPS = ("shut_off", "relit", "not_home", "handed_over")
NOTICE_KINDS = ("outage", "restoration", "planned")


def parse_time(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Step:
    """One ledger entry of an incident: its type, body, time (RFC 3339), author (did:key), leaf hash and index."""

    type: str
    body: dict
    time: str
    author: str = ""
    leaf: str = ""
    index: int = -1

    @property
    def when(self) -> _dt.datetime:
        return parse_time(self.time)


@dataclass
class Incident:
    """An incident's state, folded from its steps (see the module docstring)."""

    incident_id: str
    state: str = "new"
    kind: str = ""
    source: str = ""
    opened: Step | None = None
    location: dict | None = None
    feature_id: str = ""
    fraction: float | None = None
    symptoms: list[str] = field(default_factory=list)
    reports: int = 0
    grade: str = ""
    households: int = 0
    plan: Step | None = None  # the latest incident.planned
    plans: int = 0
    failed_valves: list[str] = field(default_factory=list)
    closed_valves: dict[str, str] = field(default_factory=dict)  # valve -> time closed
    reopened_valves: dict[str, str] = field(default_factory=dict)
    confirmed: dict[str, str] = field(default_factory=dict)  # valve -> confirmed | warning
    crews: dict[str, dict] = field(default_factory=dict)  # crew -> {status, steps, eta_s, route_m, times{status: t}}
    notices: list[Step] = field(default_factory=list)
    purged: str = ""
    meters: dict[str, str] = field(default_factory=dict)  # customer id -> last meter step
    revisit: list[str] = field(default_factory=list)  # not at home at relight: visit again
    affected: tuple[str, ...] = ()  # customer ids of the current plan (the service sets them from the plan file)
    closed_at: str = ""
    last_leaf: str = ""
    steps: list[Step] = field(default_factory=list)

    # -- derived ------------------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.state not in ("new", "closed")

    @property
    def valves(self) -> list[str]:
        return list(self.plan.body.get("valves", ())) if self.plan else []

    @property
    def optional_valves(self) -> list[str]:
        return list(self.plan.body.get("optional_valves", ())) if self.plan else []

    @property
    def required_open(self) -> list[str]:
        """Required valves of the plan not yet closed."""
        return [v for v in self.valves if v not in self.closed_valves]

    @property
    def still_closed(self) -> list[str]:
        return [v for v in self.closed_valves if v not in self.reopened_valves]

    def first_time(self, predicate) -> str:
        return next((s.time for s in self.steps if predicate(s)), "")

    # -- folding ------------------------------------------------------------------------------------------------------
    def apply(self, step: Step) -> None:
        """Fold one step (already accepted by the ledger) into the state."""
        b, t = step.body, step.type
        self.steps.append(step)
        self.last_leaf = step.leaf or self.last_leaf
        if t == "incident.opened":
            self.state, self.opened = "open", step
            self.kind, self.source = b["kind"], b["source"]
            self.location, self.feature_id, self.fraction = (
                b.get("location"),
                b.get("feature_id", ""),
                b.get("fraction"),
            )
            self.symptoms = list(b.get("symptoms", ()))
            self.reports = 1
        elif t == "incident.report":
            self.reports += 1
            self.symptoms = list(dict.fromkeys([*self.symptoms, *b.get("symptoms", ())]))
        elif t == "incident.graded":
            self.grade, self.households = b["grade"], b["households"]
            self.symptoms = list(dict.fromkeys([*self.symptoms, *b.get("symptoms", ())]))
        elif t == "incident.planned":
            self.plan, self.plans = step, self.plans + 1
            self.failed_valves = list(b.get("failed", ()))
            if self.state == "open":
                self.state = "planned"
            self._isolated_check()
        elif t == "incident.dispatched":
            self.crews[b["crew"]] = {"status": "dispatched", "steps": list(b["steps"]), "eta_s": b.get("eta_s"),
                                     "route_m": b.get("route_m"), "kind": b.get("crew_kind", ""),
                                     "times": {"dispatched": step.time}}  # fmt: skip
        elif t == "incident.crew":
            crew = self.crews[b["crew"]]
            crew["status"] = b["status"]
            crew["times"][b["status"]] = step.time
        elif t == "incident.valve":
            fid = b["feature_id"]
            if b["action"] == "closed":
                self.closed_valves[fid] = step.time
                if self.state in ("open", "planned"):
                    self.state = "isolating"
                self._isolated_check()
            elif b["action"] == "failed":
                self.failed_valves.append(fid)
            else:
                self.reopened_valves[fid] = step.time
                self.state = "restoring"
        elif t == "incident.confirmed":
            self.confirmed[b["feature_id"]] = b["result"]
        elif t == "incident.notice":
            self.notices.append(step)
        elif t == "incident.purged":
            self.purged = step.time
        elif t == "incident.meter":
            for m in b["meters"]:
                self.meters[m] = b["step"]
                if b["step"] == "not_home" and m not in self.revisit:
                    self.revisit.append(m)
                elif b["step"] in ("relit", "handed_over") and m in self.revisit:
                    self.revisit.remove(m)
        elif t == "incident.closed":
            self.state, self.closed_at = "closed", step.time

    def _isolated_check(self) -> None:
        if self.state == "isolating" and self.plan is not None and not self.required_open:
            self.state = "isolated"

    # -- checking a step before it is recorded -------------------------------------------------------------------------
    def _refuse(self, template: str, code: str = "out-of-order", **values: Any) -> None:
        """Raise the refusal ``template`` (one of ``_errors``' marked templates) filled with this incident and
        ``values``."""
        raise IncidentError(template.format(incident=self.incident_id, **values), incident_id=self.incident_id,
                            code=code)  # fmt: skip

    def check(self, entry_type: str, body: dict, *, busy_crews: dict[str, str] | None = None) -> None:
        """Raise :class:`IncidentError` unless the step ``entry_type`` with ``body`` may follow now.

        ``busy_crews`` maps crews assigned to other open incidents to those incidents."""
        if self.state == "new":
            self._refuse(NEVER_OPENED, "unknown-incident")
        if self.state == "closed":
            self._refuse(IS_CLOSED, "closed", at=self.closed_at)
        name = entry_type.split(".", 1)[1]
        getattr(self, f"_check_{name}", lambda _b, **_k: None)(body, busy_crews=busy_crews or {})

    def _check_planned(self, body: dict, **_: Any) -> None:
        if self.state in ("restoring",):
            self._refuse(PLAN_FIXED)

    def _check_dispatched(self, body: dict, busy_crews: dict[str, str]) -> None:
        crew = body["crew"]
        if self.plan is None:
            self._refuse(PLAN_FIRST_DISPATCH)
        if crew in self.crews and self.crews[crew]["status"] != "done":
            self._refuse(CREW_ASSIGNED_HERE, "crew-busy", crew=crew)
        if crew in busy_crews:
            self._refuse(CREW_ASSIGNED_ELSEWHERE, "crew-busy", crew=crew, other=busy_crews[crew])
        plan_ids = set(self.valves) | set(self.optional_valves) | set(self._plan_extra())
        unknown = [s for s in body["steps"] if s not in plan_ids and s != "site"]
        if unknown:
            self._refuse(STEPS_NOT_IN_PLAN, "not-in-plan", steps=", ".join(unknown))

    def _plan_extra(self) -> list[str]:
        return list(self.plan.body.get("regulators", ())) if self.plan else []

    def _check_crew(self, body: dict, **_: Any) -> None:
        crew = self.crews.get(body["crew"])
        if crew is None:
            self._refuse(CREW_NOT_DISPATCHED, "unknown-crew", crew=body["crew"])
        if body["status"] not in CREW_STATUSES:
            self._refuse(CREW_STATUS_ONE_OF, "bad-input", allowed=CREW_STATUSES)
        order = ("dispatched", *CREW_STATUSES)
        if order.index(body["status"]) <= order.index(crew["status"]):
            self._refuse(CREW_GOES_BACK, crew=body["crew"], status=crew["status"],
                         new=body["status"])  # fmt: skip

    def _check_valve(self, body: dict, **_: Any) -> None:
        fid, action = body["feature_id"], body["action"]
        if action not in VALVE_ACTIONS:
            self._refuse(VALVE_ACTION_ONE_OF, "bad-input", allowed=VALVE_ACTIONS)
        if action in ("closed", "failed"):
            if self.plan is None:
                self._refuse(NOT_IN_PLAN_NO_PLAN, "not-in-plan", feature=fid)
            if fid not in self.valves and fid not in self.optional_valves:
                self._refuse(NOT_IN_PLAN_VALVES, "not-in-plan", feature=fid, valves=", ".join(self.valves) or NONE)
            if fid in self.closed_valves:
                self._refuse(ALREADY_CLOSED, feature=fid, at=self.closed_valves[fid])
            if self.reopened_valves:
                self._refuse(NO_MORE_CLOSING)
        else:
            if fid not in self.closed_valves:
                self._refuse(NEVER_CLOSED, "not-in-plan", feature=fid)
            if fid in self.reopened_valves:
                self._refuse(ALREADY_REOPENED, feature=fid, at=self.reopened_valves[fid])
            if self.state not in ("isolated", "restoring"):
                self._refuse(REOPEN_WHEN_ISOLATED,
                             state=self.state, valves=", ".join(self.required_open))  # fmt: skip
            unshut = [m for m in self.affected if m not in self.meters]
            if unshut and not self.reopened_valves:
                self._refuse(METERS_NOT_SHUT,
                             n=len(unshut), meters=", ".join(unshut[:3]))  # fmt: skip

    def _check_confirmed(self, body: dict, **_: Any) -> None:
        if body["feature_id"] not in self.closed_valves:
            self._refuse(NOT_REPORTED_CLOSED, "not-in-plan", feature=body["feature_id"])

    def _check_notice(self, body: dict, **_: Any) -> None:
        if body["kind"] not in NOTICE_KINDS:
            self._refuse(NOTICE_KIND_ONE_OF, "bad-input", allowed=NOTICE_KINDS)
        if self.plan is None:
            self._refuse(PLAN_FIRST_NOTICE)
        if body["kind"] == "restoration" and not self.reopened_valves:
            self._refuse(NOTICE_PREMATURE)

    def _check_purged(self, body: dict, **_: Any) -> None:
        if self.state != "restoring":
            self._refuse(PURGE_AFTER_REOPEN, state=self.state)
        if self.still_closed:
            self._refuse(STILL_CLOSED_PURGE, valves=", ".join(self.still_closed))

    def _check_meter(self, body: dict, **_: Any) -> None:
        step, meters = body["step"], body["meters"]
        if step not in METER_STEPS:
            self._refuse(METER_STEP_ONE_OF, "bad-input", allowed=METER_STEPS)
        if not meters:
            self._refuse(NAME_A_METER, "bad-input")
        unknown = [m for m in meters if m not in self.affected]
        if unknown:
            self._refuse(METERS_NOT_AFFECTED, "not-in-plan",
                         meters=", ".join(unknown[:5]))  # fmt: skip
        if step == "shut_off":
            if self.state not in ("planned", "isolating", "isolated"):
                self._refuse(SHUT_OFF_DURING_OUTAGE, state=self.state)
            done = [m for m in meters if m in self.meters]
            if done:
                self._refuse(METERS_HAD_STEP, meters=", ".join(done[:5]), step=self.meters[done[0]])
            return
        if step == "handed_over":
            return
        if not self.reopened_valves or self.still_closed:
            self._refuse(METERS_BEFORE_REOPEN, step=step.replace("_", " "),
                         valves=", ".join(self.still_closed) or ALL_OF_THEM)  # fmt: skip
        if not self.purged:
            self._refuse(PURGE_BEFORE_RELIGHT)
        not_off = [m for m in meters if m not in self.meters]
        if not_off:
            self._refuse(METERS_NEVER_SHUT, meters=", ".join(not_off[:5]))
        relit = [m for m in meters if self.meters.get(m) in ("relit", "handed_over")]
        if relit:
            self._refuse(METERS_ALREADY, meters=", ".join(relit[:5]), step=self.meters[relit[0]])

    def _check_closed(self, body: dict, **_: Any) -> None:
        if self.still_closed:
            self._refuse(STILL_CLOSED, valves=", ".join(self.still_closed))
        if self.closed_valves:
            if not self.purged:
                self._refuse(NOT_PURGED)
            pending = [m for m in self.affected if self.meters.get(m) not in ("relit", "handed_over")]
            if pending:
                self._refuse(METERS_PENDING, n=len(pending), meters=", ".join(pending[:3]))

    # -- summary --------------------------------------------------------------------------------------------------------
    def restoration_counts(self) -> dict[str, int]:
        out = dict.fromkeys(("affected", "shut_off", "relit", "not_home", "handed_over", "pending"), 0)
        out["affected"] = len(self.affected)
        for m in self.affected:
            step = self.meters.get(m)
            if step:
                out[step] += 1
        out["pending"] = out["affected"] - out["relit"] - out["handed_over"]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "state": self.state,
            "kind": self.kind,
            "source": self.source,
            "opened_at": self.opened.time if self.opened else "",
            "closed_at": self.closed_at,
            "feature_id": self.feature_id,
            "fraction": self.fraction,
            "location": self.location,
            "symptoms": list(self.symptoms),
            "reports": self.reports,
            "grade": self.grade,
            "households": self.households,
            "valves": self.valves,
            "optional_valves": self.optional_valves,
            "failed_valves": list(self.failed_valves),
            "closed_valves": dict(self.closed_valves),
            "reopened_valves": dict(self.reopened_valves),
            "confirmed": dict(self.confirmed),
            "crews": {k: {**v, "times": dict(v["times"])} for k, v in self.crews.items()},
            "notices": [
                {
                    "kind": n.body["kind"],
                    "language": n.body["language"],
                    "customers": n.body["customers"],
                    "time": n.time,
                }
                for n in self.notices
            ],  # fmt: skip
            "purged": self.purged,
            "restoration": self.restoration_counts(),
            "revisit": list(self.revisit),
            "steps": len(self.steps),
        }
