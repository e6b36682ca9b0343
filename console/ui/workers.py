"""The one bridge between background jobs and Qt: a JobRunner future + Feedback become Qt signals.

In the spirit of napari's ``_qt/qthreading.py``: a job runs in :class:`console.app.jobs.JobRunner` (plain Python
threads, Qt-free); :func:`start_job` wraps its future in a :class:`JobWorker` whose ``progressed``, ``finished``,
``errored`` and ``cancelled`` signals are delivered on the thread the worker was created on (the main thread), so
slots may touch widgets. Signals are queued, so connecting right after :func:`start_job` returns never misses a job
that finished at once::

    worker = start_job(runner, open_network, path)
    worker.finished.connect(window.set_network)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from console.app.jobs import Cancelled, Feedback, JobRunner, Jobs

__all__ = ["JobWorker", "QtJobs", "start_job"]

# Workers are kept alive here until they delivered their result: the caller need not hold a reference.
_RUNNING: set[JobWorker] = set()


class JobWorker(QObject):
    """Qt face of one background job.

    Signals
    -------
    progressed(float, str)
        Fraction 0..1 and a message, from the job's :class:`Feedback`.
    finished(object)
        The job's return value.
    errored(object)
        The exception the job raised (never :class:`Cancelled`).
    cancelled()
        The job stopped because :meth:`cancel` was called.
    """

    progressed = Signal(float, str)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    _done = Signal(object)  # emitted from the worker thread, delivered queued on the main thread
    _progress = Signal(float, str)

    def __init__(self, feedback: Feedback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.feedback = feedback
        self.future: Future | None = None
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._progress.connect(self.progressed, Qt.ConnectionType.QueuedConnection)
        feedback.progressed.connect(self._on_progress)

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report or check."""
        self.feedback.cancel()

    @property
    def is_running(self) -> bool:
        return self in _RUNNING

    def _on_progress(self, fraction: float, message: str) -> None:  # worker thread
        self._progress.emit(fraction, message)

    def _on_future_done(self, future: Future) -> None:  # any thread
        self._done.emit(future)

    def _deliver(self, future: Future) -> None:  # main thread
        _RUNNING.discard(self)
        self.feedback.progressed.disconnect(self._on_progress)
        if future.cancelled():
            self.cancelled.emit()
            return
        exc = future.exception()
        if isinstance(exc, Cancelled):
            self.cancelled.emit()
        elif exc is not None:
            self.errored.emit(exc)
        else:
            self.finished.emit(future.result())


def start_job(runner: JobRunner, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> JobWorker:
    """Run ``fn(*args, feedback=..., **kwargs)`` on ``runner`` and return its :class:`JobWorker`."""
    feedback = Feedback()
    worker = JobWorker(feedback)
    _RUNNING.add(worker)
    future, _ = runner.submit(fn, *args, feedback=feedback, **kwargs)
    worker.future = future
    future.add_done_callback(worker._on_future_done)
    return worker


class _MainThreadPoster(QObject):
    """Queues calls onto the thread this object lives on (the main thread)."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, call: Callable[[], Any]) -> None:  # any thread
        self._call.emit(call)

    def _run(self, call: Callable[[], Any]) -> None:  # main thread
        call()


class QtJobs(Jobs):
    """:class:`console.app.jobs.Jobs` whose outcomes and progress arrive on the Qt main thread (queued), so the
    services' callbacks and the views they signal may touch widgets. The job currency per channel is the app's."""

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        self._poster = _MainThreadPoster(parent)
        super().__init__(runner, post=self._poster.post)
