"""The public surface of console.hydraulics is deliberate: this pins it."""

from __future__ import annotations

import console.hydraulics as hydraulics


def test_public_api_is_pinned():
    assert sorted(hydraulics.__all__) == sorted(
        [
            "AIR_DENSITY_NORMAL_KG_M3", "DEFAULT_MAX_VELOCITY_MS", "DEFAULT_MIN_PRESSURE_MPA", "DEFAULT_SIMULTANEITY",
            "PROGRESS_MESSAGES", "P_NORMAL_PA", "T_NORMAL_K", "T_STANDARD_K", "BranchSteadyState", "ContourSet", "ConvergenceInfo", "DemandOptions", "DemandScenario",
            "DemandScenarioError", "FlowLaw",
            "GasProperties", "HydraulicModelError", "HydraulicsError", "InfeasibleError", "LocalWhatIf", "NotConvergedError", "PipeLaw",
            "PressureContours", "RegulatorState", "ResultDiff", "ServiceLimits", "SimulationRequest", "SimulationResult",
            "SolverOptions", "SystemSummary", "UnsuppliedPart", "Violation", "colebrook_white", "diff_results",
            "format_pressure", "friction_factor", "nice_levels", "pa_to_kpa", "pa_to_mpa", "pipe_outlet_pressure",
            "pressure_contours", "read_demand_scenario", "simulate", "simulate_branch", "what_if", "what_if_local", "with_live_pressures",
        ]
    )  # fmt: skip
    for name in hydraulics.__all__:
        assert getattr(hydraulics, name) is not None


def test_hydraulics_imports_no_qt_and_no_application_layer():
    import subprocess
    import sys

    code = (
        "import sys, console.hydraulics;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'OpenGL') or m.startswith(('console.app', 'console.ui'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_request_round_trips_through_json():
    import json

    from console.hydraulics import DemandOptions, GasProperties, SimulationRequest

    req = SimulationRequest(closed=("V1",), law="weymouth", gas=GasProperties(base_temperature_k=293.15),
                            demand=DemandOptions(demand_factor=1.5), label="cold day")  # fmt: skip
    again = SimulationRequest.from_dict(json.loads(json.dumps(req.to_dict())))
    assert again == req
