"""Steady-state gas flow and pressure contours (水力计算与压力等值线), Qt-free::

    from console.hydraulics import SimulationRequest, simulate, what_if, pressure_contours
    result = simulate(network)                                   # natural gas, Colebrook–White, as found
    result.node_pressure_pa, result.pipe_flow_nm3h, result.violations
    base, scenario, diff = what_if(network, ["V-12", "V-40"])    # close valves, compare with the base case
    contours = pressure_contours(network, result)                # isobars and bands per pressure system

The same functions back the CLI (``gasops simulate``), the GUI's simulation dock and the tests. Laws and their
formulas: :mod:`console.hydraulics._laws`; the solver: :mod:`console.hydraulics._solver`.
"""

from console.hydraulics._assimilate import with_live_pressures
from console.hydraulics._branch import BranchSteadyState, simulate_branch
from console.hydraulics._contours import ContourSet, PressureContours, nice_levels, pressure_contours
from console.hydraulics._diff import ResultDiff, diff_results
from console.hydraulics._errors import HydraulicModelError, HydraulicsError, InfeasibleError, NotConvergedError
from console.hydraulics._gas import (
    AIR_DENSITY_NORMAL_KG_M3,
    P_NORMAL_PA,
    T_NORMAL_K,
    T_STANDARD_K,
    GasProperties,
)
from console.hydraulics._laws import FlowLaw, PipeLaw, colebrook_white, friction_factor, pipe_outlet_pressure
from console.hydraulics._scenario import DemandScenario, DemandScenarioError, read_demand_scenario
from console.hydraulics._simulate import PROGRESS_MESSAGES, simulate, what_if
from console.hydraulics._subsystem import LocalWhatIf, what_if_local
from console.hydraulics._types import (
    DEFAULT_MAX_VELOCITY_MS,
    DEFAULT_MIN_PRESSURE_MPA,
    DEFAULT_SIMULTANEITY,
    ConvergenceInfo,
    DemandOptions,
    RegulatorState,
    ServiceLimits,
    SimulationRequest,
    SimulationResult,
    SolverOptions,
    SystemSummary,
    UnsuppliedPart,
    Violation,
    format_pressure,
    pa_to_kpa,
    pa_to_mpa,
)

__all__ = [
    "PROGRESS_MESSAGES",
    "AIR_DENSITY_NORMAL_KG_M3",
    "BranchSteadyState",
    "DEFAULT_MAX_VELOCITY_MS",
    "DEFAULT_MIN_PRESSURE_MPA",
    "DEFAULT_SIMULTANEITY",
    "P_NORMAL_PA",
    "T_NORMAL_K",
    "T_STANDARD_K",
    "ContourSet",
    "ConvergenceInfo",
    "DemandOptions",
    "DemandScenario",
    "DemandScenarioError",
    "FlowLaw",
    "GasProperties",
    "HydraulicModelError",
    "HydraulicsError",
    "InfeasibleError",
    "LocalWhatIf",
    "NotConvergedError",
    "PipeLaw",
    "PressureContours",
    "RegulatorState",
    "ResultDiff",
    "ServiceLimits",
    "SimulationRequest",
    "SimulationResult",
    "SolverOptions",
    "SystemSummary",
    "UnsuppliedPart",
    "Violation",
    "colebrook_white",
    "diff_results",
    "format_pressure",
    "friction_factor",
    "nice_levels",
    "pa_to_kpa",
    "pa_to_mpa",
    "pipe_outlet_pressure",
    "pressure_contours",
    "read_demand_scenario",
    "simulate",
    "simulate_branch",
    "with_live_pressures",
    "what_if",
    "what_if_local",
]
