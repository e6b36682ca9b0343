"""Errors of the incident domain: one type, with the incident and the reason a step was refused."""

from __future__ import annotations

from console.errors import GasOpsError
from console.texts import QT_TRANSLATE_NOOP

__all__ = ["MESSAGE_TEMPLATES", "IncidentError"]

# Refusals: English templates (context "IncidentErrors") filled with .format(); the UI shows them translated
# through ``console.ui.i18n_messages`` (IncidentError.MESSAGE_TEMPLATES). CLI, logs and reports keep the English.
NEVER_OPENED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: was never opened")
IS_CLOSED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: is closed ({at}); a closed incident cannot be changed")
PLAN_FIXED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: restoration has begun: the plan can no longer change")
PLAN_FIRST_DISPATCH = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: make the plan before dispatching crews")
CREW_ASSIGNED_HERE = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: crew {crew} is already assigned to this incident")
CREW_ASSIGNED_ELSEWHERE = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: crew {crew} is assigned to incident {other}")
STEPS_NOT_IN_PLAN = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: step(s) {steps} are not in the plan")
CREW_NOT_DISPATCHED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: crew {crew} was not dispatched to this incident")
CREW_STATUS_ONE_OF = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: crew status must be one of {allowed}")
CREW_GOES_BACK = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: crew {crew} is {status}: it cannot go back to {new}")
VALVE_ACTION_ONE_OF = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: valve action must be one of {allowed}")
NOT_IN_PLAN_NO_PLAN = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {feature} is not in the plan (no plan yet)")
NOT_IN_PLAN_VALVES = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: {feature} is not in the plan (valves to close: {valves})"
)
ALREADY_CLOSED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {feature} was already reported closed at {at}")
NO_MORE_CLOSING = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: restoration has begun: no more valves are closed")
NEVER_CLOSED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {feature} was never closed in this incident")
ALREADY_REOPENED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {feature} was already reopened at {at}")
REOPEN_WHEN_ISOLATED = QT_TRANSLATE_NOOP(
    "IncidentErrors",
    "{incident}: the incident is {state}: reopen valves only once it is isolated (still to close: {valves})",
)
METERS_NOT_SHUT = QT_TRANSLATE_NOOP(
    "IncidentErrors",
    "{incident}: {n} meter(s) of the outage are not yet shut off (first pass), e.g. {meters}; shut them off or hand them over before gas returns",
)
NOT_REPORTED_CLOSED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: {feature} was not reported closed")
NOTICE_KIND_ONE_OF = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: notice kind must be one of {allowed}")
PLAN_FIRST_NOTICE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: make the plan first: notices go to the customers it cuts off"
)
NOTICE_PREMATURE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: no valve has been reopened: a restoration notice would be premature"
)
PURGE_AFTER_REOPEN = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: the incident is {state}: purge after the valves are reopened"
)
STILL_CLOSED_PURGE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: valve(s) {valves} are still closed: reopen them before purging"
)
METER_STEP_ONE_OF = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: meter step must be one of {allowed}")
NAME_A_METER = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: name at least one meter")
METERS_NOT_AFFECTED = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: meter(s) {meters} are not among the customers of this outage"
)
SHUT_OFF_DURING_OUTAGE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: the incident is {state}: meters are shut off while the outage lasts"
)
METERS_HAD_STEP = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: meter(s) {meters} already had step {step}")
METERS_BEFORE_REOPEN = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: cannot {step} meters before the valves reopened (still closed: {valves})"
)
PURGE_BEFORE_RELIGHT = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: purge the isolated section before relighting meters"
)
METERS_NEVER_SHUT = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: meter(s) {meters} were never shut off (first pass)"
)
METERS_ALREADY = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: meter(s) {meters} are already {step}")
STILL_CLOSED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: valve(s) {valves} are still closed")
NOT_PURGED = QT_TRANSLATE_NOOP("IncidentErrors", "{incident}: the isolated section has not been purged")
METERS_PENDING = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{incident}: {n} meter(s) are neither relit nor handed over, e.g. {meters}"
)
CREW_NOT_ON_ROSTER = QT_TRANSLATE_NOOP("IncidentErrors", "crew {crew} is not on the roster (crews: {crews})")
CREW_KIND_ONE_OF = QT_TRANSLATE_NOOP("IncidentErrors", "crew {crew}: kind {kind} is not one of {allowed}")
POSITION_FINITE = QT_TRANSLATE_NOOP("IncidentErrors", "crew {crew}: position must be finite")
HOUSEHOLDS_NEGATIVE = QT_TRANSLATE_NOOP("IncidentErrors", "households cut off must be ≥ 0, got {households}")
UNKNOWN_SYMPTOMS = QT_TRANSLATE_NOOP("IncidentErrors", "unknown symptom(s) {unknown}; known: {known}")
NO_ROUTE = QT_TRANSLATE_NOOP("IncidentErrors", "no street route from ({x0}, {y0}) to ({x1}, {y1})")
# Files and messages from outside: the crew roster, the grading table, a crew's position message; report languages
# and notice kinds.
ROSTER_NO_ID = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: a crew without crew_id")
ROSTER_BAD_KIND = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: crew {crew}: kind {kind!r} is not one of {allowed}")
ROSTER_TWICE = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: crew {crew} is listed twice")
NOT_A_ROSTER = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: not a crew roster ({error})")
ROSTER_UNREADABLE = QT_TRANSLATE_NOOP("IncidentErrors", "{path}: crew roster not readable ({error})")
POSITION_FIELDS = QT_TRANSLATE_NOOP("IncidentErrors", "crew position message {message!r}: want {fields}")
GRADING_TABLE = QT_TRANSLATE_NOOP("IncidentErrors", "grading table")
TABLE_LEAST_ZERO = QT_TRANSLATE_NOOP(
    "IncidentErrors", "grading table: the least severe level must start at 0 households"
)
TABLE_ORDER = QT_TRANSLATE_NOOP(
    "IncidentErrors", "grading table: grade {grade} starts below grade {lower} ({households})"
)
TABLE_UNKNOWN_SYMPTOMS = QT_TRANSLATE_NOOP(
    "IncidentErrors", "grading table: unknown symptom(s) {unknown}; known: {known}"
)
TABLE_SYMPTOM_GRADE = QT_TRANSLATE_NOOP(
    "IncidentErrors", "grading table: symptom {symptom} names grade {grade!r}, not one of {allowed}"
)
TABLE_BAD_GRADE = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: grade {grade!r} is not one of {allowed}")
TABLE_CLOCKS = QT_TRANSLATE_NOOP(
    "IncidentErrors", "{source}: grade {grade}: clocks are {clocks} in minutes > 0 (got {got})"
)
NOT_A_TABLE = QT_TRANSLATE_NOOP("IncidentErrors", "{source}: not a grading table ({error})")
TABLE_UNREADABLE = QT_TRANSLATE_NOOP("IncidentErrors", "{path}: grading table not readable ({error})")
LANGUAGE_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "report language {lang!r}: choose {allowed}")
NOTICE_KIND_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "notice kind {kind!r}: choose {allowed}")
NOTICE_LANGUAGE_CHOOSE = QT_TRANSLATE_NOOP("IncidentErrors", "notice language {language!r}: choose zh or en")
_OUTSIDE = (
    ROSTER_NO_ID, ROSTER_BAD_KIND, ROSTER_TWICE, NOT_A_ROSTER, ROSTER_UNREADABLE, POSITION_FIELDS, GRADING_TABLE,
    TABLE_LEAST_ZERO, TABLE_ORDER, TABLE_UNKNOWN_SYMPTOMS, TABLE_SYMPTOM_GRADE, TABLE_BAD_GRADE, TABLE_CLOCKS,
    NOT_A_TABLE, TABLE_UNREADABLE, LANGUAGE_CHOOSE, NOTICE_KIND_CHOOSE, NOTICE_LANGUAGE_CHOOSE,
)  # fmt: skip
#: Words the refusals fill in (states, statuses, steps; "none"), translated as nested values.
NONE = QT_TRANSLATE_NOOP("IncidentErrors", "none")
ALL_OF_THEM = QT_TRANSLATE_NOOP("IncidentErrors", "all of them")
_WORDS = (
    QT_TRANSLATE_NOOP("IncidentErrors", "new"), QT_TRANSLATE_NOOP("IncidentErrors", "open"),
    QT_TRANSLATE_NOOP("IncidentErrors", "planned"), QT_TRANSLATE_NOOP("IncidentErrors", "isolating"),
    QT_TRANSLATE_NOOP("IncidentErrors", "isolated"), QT_TRANSLATE_NOOP("IncidentErrors", "restoring"),
    QT_TRANSLATE_NOOP("IncidentErrors", "dispatched"), QT_TRANSLATE_NOOP("IncidentErrors", "acknowledged"),
    QT_TRANSLATE_NOOP("IncidentErrors", "en_route"), QT_TRANSLATE_NOOP("IncidentErrors", "on_site"),
    QT_TRANSLATE_NOOP("IncidentErrors", "done"), QT_TRANSLATE_NOOP("IncidentErrors", "shut_off"),
    QT_TRANSLATE_NOOP("IncidentErrors", "relit"), QT_TRANSLATE_NOOP("IncidentErrors", "not_home"),
    QT_TRANSLATE_NOOP("IncidentErrors", "handed_over"), QT_TRANSLATE_NOOP("IncidentErrors", "shut off"),
    QT_TRANSLATE_NOOP("IncidentErrors", "not home"), QT_TRANSLATE_NOOP("IncidentErrors", "handed over"),
)  # fmt: skip
MESSAGE_TEMPLATES = (
    NONE,
    ALL_OF_THEM,
    *_WORDS,
    NEVER_OPENED,
    IS_CLOSED,
    PLAN_FIXED,
    PLAN_FIRST_DISPATCH,
    CREW_ASSIGNED_HERE,
    CREW_ASSIGNED_ELSEWHERE,
    STEPS_NOT_IN_PLAN,
    CREW_NOT_DISPATCHED,
    CREW_STATUS_ONE_OF,
    CREW_GOES_BACK,
    VALVE_ACTION_ONE_OF,
    NOT_IN_PLAN_NO_PLAN,
    NOT_IN_PLAN_VALVES,
    ALREADY_CLOSED,
    NO_MORE_CLOSING,
    NEVER_CLOSED,
    ALREADY_REOPENED,
    REOPEN_WHEN_ISOLATED,
    METERS_NOT_SHUT,
    NOT_REPORTED_CLOSED,
    NOTICE_KIND_ONE_OF,
    PLAN_FIRST_NOTICE,
    NOTICE_PREMATURE,
    PURGE_AFTER_REOPEN,
    STILL_CLOSED_PURGE,
    METER_STEP_ONE_OF,
    NAME_A_METER,
    METERS_NOT_AFFECTED,
    SHUT_OFF_DURING_OUTAGE,
    METERS_HAD_STEP,
    METERS_BEFORE_REOPEN,
    PURGE_BEFORE_RELIGHT,
    METERS_NEVER_SHUT,
    METERS_ALREADY,
    STILL_CLOSED,
    NOT_PURGED,
    METERS_PENDING,
    CREW_NOT_ON_ROSTER,
    CREW_KIND_ONE_OF,
    POSITION_FINITE,
    HOUSEHOLDS_NEGATIVE,
    UNKNOWN_SYMPTOMS,
    NO_ROUTE,
    *_OUTSIDE,
)


class IncidentError(GasOpsError, ValueError):
    """A step that cannot be taken as asked (unknown id, out of order, on a closed incident …); nothing was recorded.

    ``incident_id`` names the incident (empty when none applies), ``code`` the kind of refusal
    (``unknown-incident``, ``out-of-order``, ``closed``, ``not-in-plan``, ``crew-busy``, ``bad-input`` …).
    """

    MESSAGE_TEMPLATES = MESSAGE_TEMPLATES

    def __init__(self, message: str, *, incident_id: str = "", code: str = "bad-input") -> None:
        self.incident_id = incident_id
        self.code = code
        super().__init__(message)
