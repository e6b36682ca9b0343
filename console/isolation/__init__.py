"""Valve-shutoff analysis (关阀分析), Qt-free: valve segments, which valves to close and in what order, who loses gas::

    from console.isolation import IsolationRequest, isolate, reanalyse
    result = isolate(network, IsolationRequest.at_pipe("P-1024", 0.3))
    result.valves_to_close, result.optional_valves, result.impact.special_users
    again = reanalyse(network, result, ["V-123"])  # "V-123 would not turn"

The same functions back the CLI (``gasops isolate``), the GUI's isolation dock and the tests.
"""

from console.isolation._analysis import NOTE_TEMPLATES, failure_scenarios, isolate, reanalyse
from console.isolation._export import customer_rows, plan_rows, write_customers_csv, write_plan_csv
from console.isolation._kernel import SegmentLabels, label_segments, segments_from_valve_pairs
from console.isolation._segments import (
    ValveSegments,
    adopt_segments,
    build_valve_segments,
    segments_ready,
    valve_segments,
)
from console.isolation._types import (
    ORDER_RULES,
    AffectedCustomer,
    Break,
    ClosingStep,
    Impact,
    IsolationRequest,
    IsolationRequestError,
    IsolationResult,
    SkippedDevice,
)
from console.isolation._volume import REFERENCE_PRESSURE_MPA, TYPICAL_OPERATING_PRESSURE_MPA, normal_volume_factors

__all__ = [
    "NOTE_TEMPLATES",
    "ORDER_RULES",
    "REFERENCE_PRESSURE_MPA",
    "TYPICAL_OPERATING_PRESSURE_MPA",
    "AffectedCustomer",
    "Break",
    "ClosingStep",
    "Impact",
    "IsolationRequest",
    "IsolationRequestError",
    "IsolationResult",
    "SegmentLabels",
    "SkippedDevice",
    "ValveSegments",
    "adopt_segments",
    "build_valve_segments",
    "customer_rows",
    "failure_scenarios",
    "isolate",
    "label_segments",
    "normal_volume_factors",
    "plan_rows",
    "reanalyse",
    "segments_from_valve_pairs",
    "segments_ready",
    "valve_segments",
    "write_customers_csv",
    "write_plan_csv",
]
