"""Emergency dispatch (应急抢险调度), Qt-free: the incident as a state machine replayed from signed ledger steps,
graded response, service clocks, crews and street routes, plan effects, customer notices, restoration and the
after-action report::

    from console.dispatch import GradingTable, Incident, Step, street_graph
    grade = GradingTable.default().grade(12_000, symptoms=["gas_migration"])   # grade II, who to notify, clocks
    route = street_graph(network).route(depot_xy, valve_xy)                     # along the streets, with an ETA

The :class:`console.app.incidents.IncidentService` drives these for the GUI, the CLI and the tests.
"""

from console.dispatch._clocks import ServiceClock, clock_events, service_clocks
from console.dispatch._crews import CREW_KINDS, STEP_CREW_KIND, Crew, CrewRoster
from console.dispatch._errors import IncidentError
from console.dispatch._grading import CLOCKS, GRADES, SYMPTOMS, Grade, GradeLevel, GradingTable
from console.dispatch._incident import (
    CREW_STATUSES,
    INCIDENT_KINDS,
    INCIDENT_SOURCES,
    METER_STEPS,
    STATES,
    Incident,
    Step,
    parse_time,
)
from console.dispatch._language import REPORT_LANGUAGES, check_language, grade_label, phrase, step_name, term
from console.dispatch._notices import TEMPLATES, call_list_csv, notice_text, sms_batch_csv
from console.dispatch._plan import (
    EFFECT_TEMPLATES,
    PressureEffect,
    confirm_by_pressure,
    infeasible_effect,
    nearby_incidents,
    overlapping,
    place_index,
    pressure_effect,
    search_places,
)
from console.dispatch._plan import (
    NOT_SOLVED as EFFECT_NOT_SOLVED,
)
from console.dispatch._plan import (
    WHOLE_NETWORK as EFFECT_WHOLE_NETWORK,
)
from console.dispatch._positions import (
    CrewPosition,
    CrewPositionFeed,
    PositionDecoder,
    encode_position,
    position_topic,
    position_topic_filter,
)
from console.dispatch._report import DECISIONS, TimelineRow, describe_step, report_html, timeline
from console.dispatch._routing import Route, StreetGraph, street_graph
from console.dispatch._training import TrainingSimulator, ValveOperation, continue_as_training, cut_off_nodes

__all__ = [
    "CLOCKS",
    "CREW_KINDS",
    "CREW_STATUSES",
    "DECISIONS",
    "GRADES",
    "INCIDENT_KINDS",
    "INCIDENT_SOURCES",
    "METER_STEPS",
    "STATES",
    "STEP_CREW_KIND",
    "SYMPTOMS",
    "TEMPLATES",
    "Crew",
    "CrewPosition",
    "CrewPositionFeed",
    "CrewRoster",
    "Grade",
    "GradeLevel",
    "GradingTable",
    "Incident",
    "IncidentError",
    "PositionDecoder",
    "REPORT_LANGUAGES",
    "EFFECT_NOT_SOLVED",
    "EFFECT_TEMPLATES",
    "EFFECT_WHOLE_NETWORK",
    "PressureEffect",
    "Route",
    "ServiceClock",
    "StreetGraph",
    "Step",
    "TimelineRow",
    "TrainingSimulator",
    "ValveOperation",
    "call_list_csv",
    "check_language",
    "clock_events",
    "confirm_by_pressure",
    "continue_as_training",
    "cut_off_nodes",
    "describe_step",
    "encode_position",
    "grade_label",
    "infeasible_effect",
    "nearby_incidents",
    "notice_text",
    "overlapping",
    "parse_time",
    "phrase",
    "place_index",
    "position_topic",
    "position_topic_filter",
    "pressure_effect",
    "report_html",
    "search_places",
    "service_clocks",
    "sms_batch_csv",
    "step_name",
    "street_graph",
    "term",
    "timeline",
]
