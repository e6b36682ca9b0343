"""The simulation workflow (水力计算), Qt-free: runs, what-if comparisons, pressure contours and the field corrected
with live readings.

:class:`SimulationService` owns the workflow's state for one open network and announces changes with psygnal
signals; the GUI's simulation controller draws what it announces, ``gasops simulate`` and the tests call the same
verbs. Heavy work runs as jobs on the channels ``simulation.run``, ``simulation.what_if`` and
``simulation.contours`` (:class:`console.app.jobs.Jobs`): a newer job on a channel supersedes the older one, whose
outcome is dropped. Prepare → process → apply: the network snapshot, the request and the live readings are taken
when a verb is called, the solve and the contours are computed in the job, the result is applied when it is
delivered.

A run belongs to one network version. An edit during a solve discards the result (simulate again); a different
network forgets everything.

In a script or a test (inline jobs: each verb returns with its outcome delivered)::

    service = SimulationService()
    service.run_changed.connect(show)
    service.simulate(network=network)                    # service.run.result: pressures, flows, violations
    service.compare(["V-12"])                            # service.what_if.diff: what closing V-12 changes
    service.set_contours_visible(True, view=map_box)     # service.contours: isobars and bands of the view
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from psygnal import Signal

from console.app.jobs import Feedback, JobHandle, Jobs
from console.errors import GasOpsError
from console.hydraulics import (
    PROGRESS_MESSAGES,
    PressureContours,
    ResultDiff,
    SimulationRequest,
    SimulationResult,
    pressure_contours,
    simulate,
    what_if,
    with_live_pressures,
)
from console.network import GasNetwork
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "CONTOURS",
    "MESSAGE_TEMPLATES",
    "RUN",
    "WHAT_IF",
    "ContourField",
    "LivePressures",
    "SimulationNotReadyError",
    "SimulationRun",
    "SimulationService",
    "WhatIfRun",
    "contour_bounds",
    "interval_levels",
    "run_contours",
    "run_simulation",
    "run_what_if",
]

log = logging.getLogger(__name__)

RUN = "simulation.run"
WHAT_IF = "simulation.what_if"
CONTOURS = "simulation.contours"
MAX_INTERVAL_LEVELS = 40

Readings = tuple[np.ndarray, np.ndarray]  # (topology node index, gauge Pa)

# What a window shows of a run, in English; the UI translates them (context "SimulationService").
_SIMULATING = QT_TRANSLATE_NOOP("SimulationService", "Simulating {network}…")
_CLOSING = QT_TRANSLATE_NOOP("SimulationService", "What-if: closing {valves}…")
_CHANGED = QT_TRANSLATE_NOOP("SimulationService", "The network changed while simulating — simulate again")
_COLOURING = QT_TRANSLATE_NOOP("SimulationService", "Colouring the pipes…")
_CONTOURING = QT_TRANSLATE_NOOP("SimulationService", "Contouring pressures…")
_CANCELLED = QT_TRANSLATE_NOOP("SimulationService", "Cancelled")
#: Every template above and the solver's progress messages, for the UI to show them translated.
MESSAGE_TEMPLATES = (_SIMULATING, _CLOSING, _CHANGED, _COLOURING, _CONTOURING, _CANCELLED, *PROGRESS_MESSAGES)


class LivePressures(Protocol):
    """Where live pressure readings come from (the live session, :class:`console.app.live.LiveSession`)."""

    def live_pressures(self, network_version: int | None = None) -> Readings | None: ...

    @property
    def live_version(self) -> int: ...


class SimulationNotReadyError(GasOpsError):
    """A verb was asked for before what it needs exists (no network, no base run, no valves named)."""


@dataclass(eq=False)
class SimulationRun:
    """A solved network: the snapshot it was solved on, the result and what the front end derived from it.

    ``styles`` holds what the service's ``style_run`` hook computed in the job (the GUI's pipe classifications);
    it is empty without a hook.
    """

    network: GasNetwork  # the snapshot (contours need the same node order)
    source: GasNetwork  # the live network the run was asked for
    version: int
    result: SimulationResult
    styles: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class WhatIfRun:
    """A what-if (关阀模拟): the run's result as base, the scenario with ``closed`` shut and their difference.

    ``style`` is what the service's ``style_what_if`` hook computed in the job (None without one).
    """

    closed: tuple[str, ...]
    base: SimulationResult
    scenario: SimulationResult
    diff: ResultDiff
    style: Any = None


@dataclass(eq=False)
class ContourField:
    """Pressure contours of a run over ``bounds`` (None: the whole network); ``live_used`` readings corrected the
    field when ``live`` was asked for, at ``at`` (epoch s)."""

    contours: PressureContours
    bounds: tuple[float, float, float, float] | None
    live: bool
    live_used: int
    at: float


# -- the jobs (run in a worker; plain functions of their inputs) -------------------------------------------------------
def run_simulation(
    network: GasNetwork, source: GasNetwork, request: SimulationRequest, style=None, feedback: Feedback | None = None
) -> SimulationRun:
    """Job: solve ``network`` (a snapshot of ``source``) and let ``style(network, result)`` derive the styles."""
    result = simulate(network, request, feedback=feedback)
    styles = {}
    if style is not None:
        if feedback is not None:
            feedback.progress(0.95, _COLOURING)
        styles = style(network, result)
    return SimulationRun(network, source, network.version, result, styles)


def run_what_if(run: SimulationRun, closed: Sequence[str], style=None, feedback: Feedback | None = None) -> WhatIfRun:
    """Job: the scenario with ``closed`` shut, against the run's base case."""
    base, scenario, diff = what_if(run.network, list(closed), run.result.request, base=run.result, feedback=feedback)
    return WhatIfRun(tuple(closed), base, scenario, diff, style(base, scenario) if style is not None else None)


def run_contours(
    network: GasNetwork,
    result: SimulationResult,
    levels,
    n_levels: int,
    bounds=None,
    live: Readings | None = None,
    feedback: Feedback | None = None,
) -> tuple[PressureContours, int]:
    """Job: the contours of ``result``, corrected by ``live`` = (node index, gauge Pa) readings when given;
    returns them and how many readings went in."""
    used = 0
    if live is not None:
        result, used = with_live_pressures(network, result, *live)
    if feedback is not None:
        feedback.progress(0.1, _CONTOURING)
    return pressure_contours(network, result, levels=levels, n_levels=n_levels, bounds=bounds), used


def contour_bounds(view: tuple, full: tuple, current: tuple | None) -> tuple | None:
    """The box to contour for this view: None (the whole network) when the view shows a quarter of it or more,
    else the view with half its size around it (a finer grid). ``current`` is kept while it still fits the view.

    >>> contour_bounds((0, 0, 10, 10), (0, 0, 12, 12), None) is None
    True
    >>> contour_bounds((0, 0, 1, 1), (0, 0, 12, 12), None)
    (-0.5, -0.5, 1.5, 1.5)
    >>> contour_bounds((0.2, 0.2, 1.2, 1.2), (0, 0, 12, 12), (-0.5, -0.5, 1.5, 1.5))
    (-0.5, -0.5, 1.5, 1.5)
    """
    area = lambda b: max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)  # noqa: E731
    if area(view) >= 0.25 * area(full):
        return None
    if current is not None and _covers(current, view) and area(current) <= 6.0 * area(view):
        return current
    dx, dy = (view[2] - view[0]) / 2, (view[3] - view[1]) / 2
    return (view[0] - dx, view[1] - dy, view[2] + dx, view[3] + dy)


def _covers(outer: tuple, inner: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def interval_levels(result: SimulationResult, step_pa: float) -> dict[str, np.ndarray] | None:
    """Isobar levels every ``step_pa`` per pressure class of the supplied systems (None: automatic levels when the
    step is 0). A class whose range would need fewer than 2 or more than 40 levels keeps automatic levels.

    >>> from types import SimpleNamespace as S
    >>> r = S(systems=[S(supplied=True, pressure_class="LP", min_pressure_pa=1900.0, max_pressure_pa=2600.0)])
    >>> interval_levels(r, 250.0)["LP"].tolist()
    [1750.0, 2000.0, 2250.0, 2500.0, 2750.0]
    >>> interval_levels(r, 0.0) is None
    True
    """
    if step_pa <= 0:
        return None
    levels = {}
    supplied = [s for s in result.systems if s.supplied and s.pressure_class]
    for cls in {s.pressure_class for s in supplied}:
        of_class = [s for s in supplied if s.pressure_class == cls]
        lo, hi = min(s.min_pressure_pa for s in of_class), max(s.max_pressure_pa for s in of_class)
        start, stop = np.floor(lo / step_pa) * step_pa, np.ceil(hi / step_pa) * step_pa
        n = int(round((stop - start) / step_pa)) + 1
        if 2 <= n <= MAX_INTERVAL_LEVELS:
            levels[cls] = start + step_pa * np.arange(n)
    return levels


# -- the service ---------------------------------------------------------------------------------------------------
class SimulationService:
    """The simulation workflow of one open network.

    Parameters
    ----------
    jobs
        Where the jobs run (default: inline, synchronously; the GUI passes its ``window.jobs``).
    live
        Live pressure readings for the corrected field: an object with ``live_pressures(network_version)`` and
        ``live_version`` (a :class:`console.app.live.LiveSession`), or a callable ``(network_version) -> readings``
        (then every refresh re-contours). None: no live correction.
    style_run, style_what_if
        Optional hooks the front end runs in the job: ``style_run(network, result) -> dict`` (kept as
        :attr:`SimulationRun.styles`), ``style_what_if(base, scenario)`` (kept as :attr:`WhatIfRun.style`).

    Signals
    -------
    run_changed(SimulationRun | None)
        A new run (a new run forgets the what-if), or None when the result was forgotten (another network).
    what_if_changed(WhatIfRun | None)
        A what-if compared against the run, or None when forgotten.
    contours_changed(ContourField | None)
        New contours, or None when they were hidden or forgotten.
    started(str)
        A run or what-if started; what it does, for a status line.
    busy_changed(bool)
        Whether a run or what-if is under way.
    progressed(float, str)
        Progress of the run or what-if (fraction 0..1, message).
    failed(BaseException)
        A verb or job failed: a :class:`console.errors.GasOpsError` names what to do; anything else is a bug
        (logged).
    cancelled(str)
        A run or what-if ended without a result: "Cancelled", or why the result was discarded.
    """

    run_changed = Signal(object)
    what_if_changed = Signal(object)
    contours_changed = Signal(object)
    started = Signal(str)
    busy_changed = Signal(bool)
    progressed = Signal(float, str)
    failed = Signal(object)
    cancelled = Signal(str)

    def __init__(
        self,
        jobs: Jobs | None = None,
        live: LivePressures | Callable[[int], Readings | None] | None = None,
        *,
        style_run: Callable[[GasNetwork, SimulationResult], dict] | None = None,
        style_what_if: Callable[[SimulationResult, SimulationResult], Any] | None = None,
    ) -> None:
        self.jobs = jobs if jobs is not None else Jobs()
        self.live = live
        self.style_run = style_run
        self.style_what_if = style_what_if
        self.network: GasNetwork | None = None
        self.run: SimulationRun | None = None
        self.what_if: WhatIfRun | None = None
        self.contours: ContourField | None = None
        # What the contours should show: kept so a new run, a zoom or a live update re-contours the same way.
        self.contours_visible = False
        self.interval_pa = 0.0
        self.n_levels = 10
        self.live_correction = False
        self._view: tuple | None = None
        self._contour_box: tuple | None = None
        self._live_seen: int | None = None
        self._busy = False

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether a run or a what-if is under way."""
        return self.jobs.busy(RUN) or self.jobs.busy(WHAT_IF)

    @property
    def contouring(self) -> bool:
        return self.jobs.busy(CONTOURS)

    def set_network(self, network: GasNetwork | None) -> None:
        """Follow ``network`` (the live, editable one). The result is kept for the same network object (an edit
        leaves it until the next run); another network forgets everything."""
        if network is self.network:
            return
        self.network = network
        self.reset()

    def reset(self) -> None:
        """Cancel the jobs and forget the run, the what-if and the contours."""
        for channel in (RUN, WHAT_IF, CONTOURS):
            self.jobs.cancel(channel)
        self.run = self.what_if = self.contours = None
        self._contour_box = None
        self.run_changed.emit(None)

    def cancel(self) -> None:
        """Stop the run or what-if under way (``cancelled("Cancelled")`` follows)."""
        handle = self.jobs.current(RUN) or self.jobs.current(WHAT_IF)
        if handle is not None:
            handle.cancel()

    # -- simulate ----------------------------------------------------------------------------------------------------
    def simulate(self, request: SimulationRequest | None = None, network: GasNetwork | None = None) -> JobHandle | None:
        """Solve the network (``network`` becomes the followed one when given) with ``request`` (default: as
        found, Colebrook–White)."""
        if network is not None:
            self.set_network(network)
        network = self.network
        if network is None:
            self.failed.emit(SimulationNotReadyError("Open a network first (File › Open)"))
            return None
        self.jobs.cancel(WHAT_IF)
        self._begin(_SIMULATING.format(network=network.name))
        return self.jobs.submit(
            RUN,
            run_simulation,
            network.snapshot(),
            network,
            request or SimulationRequest(),
            self.style_run,
            on_done=self._on_run_done,
            on_error=self._on_error,
            on_cancel=self._on_cancel,
            on_progress=self.progressed.emit,
        )

    def _on_run_done(self, run: SimulationRun) -> None:
        self._end()
        if run.source is not self.network or run.version != run.source.version:
            self.cancelled.emit(_CHANGED)
            return
        self.run, self.what_if = run, None
        self.run_changed.emit(run)
        if self.contours_visible:
            self.update_contours()

    # -- what-if -----------------------------------------------------------------------------------------------------
    def compare(self, closed: Sequence[str] | str) -> JobHandle | None:
        """What-if: the run's case with ``closed`` links shut (ids, or one comma- or semicolon-separated text),
        compared with the run."""
        if isinstance(closed, str):
            closed = closed.replace(";", ",").split(",")
        ids = [t.strip() for t in closed if t.strip()]
        if not ids:
            self.failed.emit(
                SimulationNotReadyError("Name the valves to close (comma separated) or add the selected one")
            )
            return None
        if self.run is None or self.run.source is not self.network:
            self.failed.emit(SimulationNotReadyError("Simulate the base case first (F5)"))
            return None
        self.jobs.cancel(RUN)
        self._begin(_CLOSING.format(valves=", ".join(ids[:5])))
        return self.jobs.submit(
            WHAT_IF,
            run_what_if,
            self.run,
            ids,
            self.style_what_if,
            on_done=self._on_what_if_done,
            on_error=self._on_error,
            on_cancel=self._on_cancel,
            on_progress=self.progressed.emit,
        )

    def _on_what_if_done(self, out: WhatIfRun) -> None:
        self._end()
        self.what_if = out
        self.what_if_changed.emit(out)

    # -- job ends ----------------------------------------------------------------------------------------------------
    def _begin(self, text: str) -> None:
        self.started.emit(text)
        if not self._busy:
            self._busy = True
            self.busy_changed.emit(True)

    def _end(self) -> bool:
        """The run or what-if ended; False if another one is still under way (it superseded this one)."""
        if self.busy:
            return False
        if self._busy:
            self._busy = False
            self.busy_changed.emit(False)
        return True

    def _on_error(self, exc: BaseException) -> None:
        if not self._end():
            return
        if not isinstance(exc, GasOpsError):
            log.error("unexpected error in the simulation", exc_info=exc)
        self.failed.emit(exc)

    def _on_cancel(self) -> None:
        # A what-if cancelled by a new run (or the reverse) is not news: only a cancel that left nothing running is.
        if self._end():
            self.cancelled.emit(_CANCELLED)

    # -- contours ----------------------------------------------------------------------------------------------------
    def set_contours_visible(self, visible: bool, view: tuple | None = None) -> JobHandle | None:
        """Show the run's pressure contours (for the map ``view`` box, when given) or hide them."""
        self.contours_visible = visible
        if not visible:
            self.jobs.cancel(CONTOURS)
            self.contours = None
            self.contours_changed.emit(None)
            return None
        return self.update_contours(view)

    def set_contour_options(
        self,
        *,
        interval_pa: float | None = None,
        n_levels: int | None = None,
        live: bool | None = None,
        view: tuple | None = None,
    ) -> JobHandle | None:
        """Change the isobar interval (Pa, 0 = automatic levels), the number of automatic levels or the live
        correction; the shown contours are redrawn."""
        if interval_pa is not None:
            self.interval_pa = float(interval_pa)
        if n_levels is not None:
            self.n_levels = int(n_levels)
        if live is not None:
            self.live_correction = bool(live)
        if self.contours_visible and self.run is not None:
            return self.update_contours(view)
        return None

    def update_contours(self, view: tuple | None = None) -> JobHandle | None:
        """Contour the run now: over ``view`` (the last view when None) on a finer grid when it shows less than a
        quarter of the network, with the live correction when it is on."""
        if view is not None:
            self._view = view
        run = self.run
        if run is None:
            return None
        box = contour_bounds(self._view, run.network.bounds, None) if self._view is not None else None
        live = self.live_readings() if self.live_correction else None
        levels = interval_levels(run.result, self.interval_pa)
        wanted_live = self.live_correction

        def done(out: tuple[PressureContours, int]) -> None:
            contours, used = out
            self._contour_box = box
            self.contours = ContourField(contours, box, wanted_live, used, time.time())
            self.contours_changed.emit(self.contours)

        return self.jobs.submit(
            CONTOURS,
            run_contours,
            run.network,
            run.result,
            levels,
            self.n_levels,
            box,
            live,
            on_done=done,
            on_error=self._on_contour_error,
        )

    def _on_contour_error(self, exc: BaseException) -> None:
        if not isinstance(exc, GasOpsError):
            log.error("unexpected error in the contours", exc_info=exc)
        self.failed.emit(exc)

    def follow_view(self, view: tuple) -> JobHandle | None:
        """The map settled on ``view``: contour it on a finer grid (or the whole network again) when the shown
        contours no longer fit it."""
        self._view = view
        if self.run is None or not self.contours_visible or self.contouring or self.contours is None:
            return None
        if contour_bounds(view, self.run.network.bounds, self._contour_box) != self._contour_box:
            return self.update_contours(view)
        return None

    # -- live readings -----------------------------------------------------------------------------------------------
    def live_readings(self) -> Readings | None:
        """The live pressure readings for the run's network version (None without a run, a provider or readings)."""
        if self.live is None or self.run is None:
            return None
        self._live_seen = self._live_version()
        provider = getattr(self.live, "live_pressures", self.live)
        return provider(self.run.version)

    def _live_version(self) -> int | None:
        return getattr(self.live, "live_version", None)

    def refresh_live(self, view: tuple | None = None) -> JobHandle | None:
        """Re-contour with the newest readings when live correction is on and they changed since the last time
        (a provider without a ``live_version`` always counts as changed)."""
        if view is not None:
            self._view = view
        if self.run is None or not self.contours_visible or not self.live_correction or self.contouring:
            return None
        version = self._live_version()
        if version is not None and version == self._live_seen:
            return None
        return self.update_contours()
