"""The shut-off workflow (关阀分析) of the network on screen, Qt-free: the GUI, the command line and the tests drive it.

:class:`IsolationService` owns what an incident's isolation needs between clicks:

* the valve segments of each network version, built in a job (``jobs.submit("isolation.segments", ...)``) on a
  snapshot and handed to the live network's cache (:func:`console.isolation.adopt_segments`), ahead of the first
  click when a network is shown (:meth:`~IsolationService.set_network`) and again after an edit;
* the request waiting for them (a newer one supersedes it: one click, one answer);
* the result shown, redone when a valve would not turn (:meth:`~IsolationService.valve_failed`), when the closing
  order changes, or when the network is edited (or cleared, with a note, when it no longer applies);
* the CSV exports for crews and notices, into the folder last used (setting ``isolation/export_dir``).

A break query on warm segments takes milliseconds, so it runs on the caller's thread; only the segments are a job.
With the default inline ``Jobs()`` every call has answered when it returns::

    service = IsolationService()
    service.result_changed.connect(show)
    service.set_network(network)  # builds the segments ahead
    service.run(Break("P-1024", 0.3))  # show(result): valves to close, customers without gas
    service.valve_failed("V-123")  # "V-123 would not turn": show(the plan redone without it)
    service.export_plan("plan.csv")
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from psygnal import Signal

from console.app.jobs import Feedback, Jobs
from console.app.settings import Settings
from console.errors import GasOpsError
from console.isolation import (
    ORDER_RULES,
    Break,
    IsolationRequest,
    IsolationResult,
    ValveSegments,
    adopt_segments,
    isolate,
    reanalyse,
    segments_ready,
    valve_segments,
    write_customers_csv,
    write_plan_csv,
)
from console.network import GasNetwork
from console.texts import QT_TRANSLATE_NOOP

__all__ = ["CHANNEL", "EXPORT_DIR", "EXPORTS", "MESSAGE_TEMPLATES", "ORDER", "IsolationService", "build_segments"]

log = logging.getLogger(__name__)

CHANNEL = "isolation.segments"  # the job channel of the segments builds
EXPORT_DIR = "isolation/export_dir"  # settings (declared in console.app.settings)
ORDER = "isolation/order"
# What can be exported: kind → (writer, file-name stem).
EXPORTS: dict[str, tuple[Callable[..., Path], str]] = {
    "plan": (write_plan_csv, "valves_to_close"),
    "customers": (write_customers_csv, "customers_without_gas"),
}


def build_segments(network: GasNetwork, feedback: Feedback | None = None):
    """Job: the valve segments (and the topology they index) of a snapshot, for :func:`adopt_segments`."""
    if feedback is not None:
        feedback.progress(0.05, "Building valve segments 阀门分段…")
    segments: ValveSegments = valve_segments(network)
    if feedback is not None:
        feedback.progress(1.0, "Valve segments ready")
    return segments, network.topology


@dataclass(frozen=True)
class _Ask:
    """One analysis asked for: a request, or a previous result with valves that failed."""

    request: IsolationRequest | None
    previous: IsolationResult | None = None
    failed: tuple[str, ...] = ()
    note: str = ""
    after_edit: bool = False


# Notes and errors a window shows, in English; the UI translates them (context "IsolationService").
_CLEARED = QT_TRANSLATE_NOOP("IsolationService", "Isolation cleared: {network} is now shown")
_REDONE = QT_TRANSLATE_NOOP("IsolationService", "The network was edited (version {version}): isolation redone")
_FAILED = QT_TRANSLATE_NOOP("IsolationService", "{valve} reported failed: plan redone")
_NO_NETWORK = QT_TRANSLATE_NOOP("IsolationService", "No network is open: open one to isolate a break")
_BUILDING = QT_TRANSLATE_NOOP(
    "IsolationService", "Building the valve segments of {network} (first analysis after loading or an edit)…"
)
_NO_LONGER = QT_TRANSLATE_NOOP(
    "IsolationService", "The network was edited and the isolation no longer applies: {error}"
)
#: Every template above, for the UI to show them translated (``console.ui.i18n_messages``).
MESSAGE_TEMPLATES = (_CLEARED, _REDONE, _FAILED, _NO_NETWORK, _BUILDING, _NO_LONGER)


def _error_text(exc: BaseException, doing: str) -> str:
    """A one-line message for a user: a GasOpsError says it all; anything else is a bug, logged with its traceback."""
    if isinstance(exc, GasOpsError):
        return str(exc)
    log.error("unexpected error while %s", doing, exc_info=exc)
    return f"Unexpected error while {doing} ({type(exc).__name__}): {exc}"


class IsolationService:
    """The isolation workflow of one window (or one command): segments, pending request, result, re-runs, exports.

    Parameters
    ----------
    jobs
        Where the segments are built (``Jobs()``, the default, builds them inline: every call has answered when it
        returns; the GUI passes its ``window.jobs``).
    settings
        Where the closing-order rule and the export folder are kept (memory by default).
    edit_debounce
        Called on each edit of the network instead of re-running at once; whoever passes it calls
        :meth:`network_edited` once the edits settle (the GUI debounces a burst of edits with a timer).

    Signals
    -------
    result_changed(object)
        The result now current, ``None`` after :meth:`clear`.
    error(str)
        A one-line error for the user (unknown feature, pipe out of service, file not writable …).
    note(str)
        What happened and why, for the user: segments being built, a plan redone after an edit or a failed valve,
        an isolation cleared. Comes after the ``result_changed`` it explains.
    busy_changed(bool)
        An analysis is (no longer) waiting for its valve segments.
    """

    result_changed = Signal(object)
    error = Signal(str)
    note = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self,
        jobs: Jobs | None = None,
        settings: Settings | None = None,
        *,
        edit_debounce: Callable[[], object] | None = None,
    ) -> None:
        self.jobs = jobs if jobs is not None else Jobs()
        self.settings = settings if settings is not None else Settings()
        self.edit_debounce = edit_debounce
        self._network: GasNetwork | None = None
        self._result: IsolationResult | None = None
        self._pending: _Ask | None = None
        order = self.settings.get(ORDER)
        self._order = order if order in ORDER_RULES else "upstream_first"

    # -- state -------------------------------------------------------------------------------------------------------
    @property
    def network(self) -> GasNetwork | None:
        return self._network

    @property
    def result(self) -> IsolationResult | None:
        """The isolation now shown (``None`` when cleared)."""
        return self._result

    @property
    def busy(self) -> bool:
        """An analysis is waiting for its valve segments."""
        return self._pending is not None

    @property
    def building(self) -> bool:
        """Valve segments are being built (for a waiting analysis or ahead of one)."""
        return self.jobs.busy(CHANNEL)

    @property
    def order(self) -> str:
        """The closing-order rule of new analyses (a key of :data:`console.isolation.ORDER_RULES`)."""
        return self._order

    @property
    def current_request(self) -> IsolationRequest | None:
        """The request being answered: the one waiting for segments, else the one shown."""
        if self._pending is not None and self._pending.request is not None:
            return self._pending.request
        return self._result.request if self._result is not None else None

    # -- the network ---------------------------------------------------------------------------------------------------
    def set_network(self, network: GasNetwork | None, *, prebuild: bool = True) -> None:
        """Follow ``network`` (the one on screen): another network clears the isolation, with a note.

        With ``prebuild`` its valve segments are built ahead, so the first click answers at once.
        """
        if network is not self._network:
            self._unwatch()
            self.jobs.cancel(CHANNEL)  # the previous network's segments are no longer wanted
            self._network = network
            if network is not None:
                network.changed.connect(self._on_network_change)
            if self._result is not None or self._pending is not None:
                name = network.name if network is not None else "no network"
                self.clear(note=_CLEARED.format(network=name))
        if prebuild and network is not None and len(network["pipes"]) and not segments_ready(network):
            self._ensure_segments(network)

    def network_edited(self) -> None:
        """The network was edited: redo the isolation on the new version (clear it, with a note, if it no longer
        applies); with nothing shown, build the new version's segments ahead."""
        network = self._network
        if network is None:
            return
        ask = self._pending
        if ask is None and self._result is not None:
            note = _REDONE.format(version=network.version)
            ask = _Ask(self._result.request, note=note, after_edit=True)
        if ask is not None:
            self._submit(ask)
        elif len(network["pipes"]) and not segments_ready(network):
            self._ensure_segments(network)

    def close(self) -> None:
        """Stop following the network and drop the job and the waiting request (the window is closing)."""
        self._unwatch()
        self._network = None
        self.jobs.cancel(CHANNEL)
        self._set_pending(None)

    def _on_network_change(self, _version: int) -> None:
        if self.edit_debounce is not None:
            self.edit_debounce()
        else:
            self.network_edited()

    def _unwatch(self) -> None:
        if self._network is not None:
            self._network.changed.disconnect(self._on_network_change)

    # -- the workflow's verbs ------------------------------------------------------------------------------------------
    def run(self, request: IsolationRequest | Break) -> None:
        """Analyse ``request`` (a lone :class:`Break` starts a new incident with the current closing order) on the
        followed network: at once on warm segments, else once they are built (a newer request supersedes it)."""
        if isinstance(request, Break):
            request = IsolationRequest((request,), order=self._order)
        self._submit(_Ask(request))

    def add_break(self, brk: Break) -> None:
        """One more break of the current incident (simultaneous leaks); a first break starts one."""
        current = self.current_request
        self.run(replace(current, breaks=(*current.breaks, brk)) if current is not None else brk)

    def valve_failed(self, feature_id: str) -> None:
        """The valve (or regulator) ``feature_id`` of the current plan would not turn: plan again without it."""
        if self._result is None:
            return
        note = _FAILED.format(valve=feature_id)
        self._submit(_Ask(None, self._result, (feature_id,), note=note))

    def set_order(self, order: str) -> None:
        """Closing-order rule for new analyses (kept in the settings); the current one is redone with it."""
        if order not in ORDER_RULES:
            self.error.emit(f"unknown closing order {order!r}: one of {', '.join(sorted(ORDER_RULES))}")
            return
        if order == self._order:
            return
        self._order = order
        self.settings.set(ORDER, order)
        if self._result is not None:
            self._submit(_Ask(replace(self._result.request, order=order)))

    def clear(self, note: str = "") -> None:
        """Forget the isolation and any waiting request (``note`` says why, when it was not the user)."""
        self._result = None
        self._set_pending(None)
        self.result_changed.emit(None)
        if note:
            self.note.emit(note)

    # -- running -------------------------------------------------------------------------------------------------------
    def _set_pending(self, ask: _Ask | None) -> None:
        was = self._pending is not None
        self._pending = ask
        if was != (ask is not None):
            self.busy_changed.emit(ask is not None)

    def _submit(self, ask: _Ask) -> None:
        network = self._network
        if network is None:
            self.error.emit(_NO_NETWORK)
            return
        if segments_ready(network):
            self._set_pending(None)  # superseded: this one answers now
            self._answer(network, ask)
            return
        self._set_pending(ask)
        self.note.emit(_BUILDING.format(network=network.name))
        self._ensure_segments(network)

    def _ensure_segments(self, network: GasNetwork) -> None:
        """Build the segments of ``network``'s current version in a job, unless that job is already running."""
        key = (weakref.ref(network), network.version)
        running = self.jobs.current(CHANNEL)
        if running is not None and running.key == key:
            return
        try:
            self.jobs.submit(
                CHANNEL,
                build_segments,
                network.snapshot(),  # the job never sees later edits
                key=key,
                on_done=partial(self._on_segments_built, network),
                on_error=self._on_segments_error,
            )
        except RuntimeError:  # the job runner has shut down (the window is closing)
            self._set_pending(None)

    def _on_segments_built(self, network: GasNetwork, out) -> None:
        segments, topology = out
        if network is not self._network:
            return
        if not adopt_segments(network, segments, topology):  # edited meanwhile: build again if someone waits
            if self._pending is not None:
                self._ensure_segments(network)
            return
        ask = self._pending
        if ask is not None:
            self._set_pending(None)
            self._answer(network, ask)

    def _on_segments_error(self, exc: BaseException) -> None:
        if self._pending is not None:
            self._set_pending(None)
            self.error.emit(_error_text(exc, "building the valve segments"))

    def _answer(self, network: GasNetwork, ask: _Ask) -> None:
        try:
            if ask.previous is not None:
                result = reanalyse(network, ask.previous, ask.failed)
            else:
                result = isolate(network, ask.request)
        except Exception as exc:  # a bad click must never become a traceback
            text = _error_text(exc, "isolating")
            if ask.after_edit:
                self.clear(note=_NO_LONGER.format(error=text))
            else:
                self.error.emit(text)
            return
        self._result = result
        self.result_changed.emit(result)
        if ask.note:
            self.note.emit(ask.note)

    # -- exports -------------------------------------------------------------------------------------------------------
    def default_export_path(self, kind: str) -> Path | None:
        """Where an export of ``kind`` ("plan" or "customers") goes unless told: the folder last saved to (else the
        home folder), a name with the breaks and the time. ``None`` with nothing to export."""
        if self._result is None:
            return None
        folder = self.settings.get(EXPORT_DIR) or str(Path.home())
        slug = "_".join(b.feature_id for b in self._result.request.breaks)[:60]
        return Path(folder) / f"{EXPORTS[kind][1]}_{slug}_{datetime.now():%Y%m%d-%H%M}.csv"

    def export(self, kind: str, path: str | Path | None = None) -> Path | None:
        """Write the current result's ``kind`` list as CSV, atomically (see :mod:`console.isolation`'s writers), to
        ``path`` or :meth:`default_export_path`; remembers the folder. Returns the path written, ``None`` when there
        is nothing to export or it failed (then :attr:`error` says why)."""
        result = self._result
        if result is None:
            return None
        write = EXPORTS[kind][0]
        target = Path(path) if path is not None else self.default_export_path(kind)
        crs = self._network.crs if self._network is not None else None
        try:
            written = Path(write(result, target, crs=crs))
        except GasOpsError as exc:
            self.error.emit(str(exc))
            return None
        self.settings.set(EXPORT_DIR, str(written.resolve().parent))
        return written

    def export_plan(self, path: str | Path | None = None) -> Path | None:
        """The closing plan for crews (valves to close in order, then the skipped ones): :meth:`export` "plan"."""
        return self.export("plan", path)

    def export_customers(self, path: str | Path | None = None) -> Path | None:
        """The customers without gas, for notices (special users first): :meth:`export` "customers"."""
        return self.export("customers", path)
