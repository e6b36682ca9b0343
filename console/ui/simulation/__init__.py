"""Hydraulic simulation in the console (水力计算): the Simulate action, pipes coloured by pressure, velocity, flow or
what-if difference, a violations list, tooltips and the pressure contour overlay.

Installed as a built-in UI extension (``console.app.builtin``): ``install(window)`` adds the docks and the action to
the main window and returns the :class:`SimulationController`. The computations are those of
:mod:`console.hydraulics`, run in background jobs.
"""

from __future__ import annotations

from console.ui.simulation._controller import SimulationController, SimulationRun

__all__ = ["SimulationController", "SimulationRun", "install"]


def install(window) -> SimulationController:
    """Add the simulation feature to a :class:`console.ui.main_window.MainWindow`."""
    return SimulationController(window)
