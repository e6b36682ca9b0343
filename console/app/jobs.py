"""Background jobs (Qt-free): run an analysis in a worker thread with progress and cancellation.

Domain code stays synchronous and reports through a :class:`Feedback`; this module is the only place (with the UI's
worker bridge) that owns threads. A job receives a snapshot taken on the main thread and returns a result that the
caller applies on the main thread (QGIS-processing style prepare → process → apply).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from psygnal import Signal

__all__ = ["Cancelled", "Feedback", "JobHandle", "JobRunner", "Jobs"]

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a job when its feedback was cancelled."""


class Feedback:
    """Progress and cancellation for one job; safe to call from the worker thread.

    ``progressed`` is emitted with (fraction 0..1, message) from the worker thread; the UI bridge re-emits it on the
    main thread.
    """

    progressed = Signal(float, str)
    shared = Signal(object)

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.fraction = 0.0
        self.message = ""

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress; raises :class:`Cancelled` if the job was cancelled meanwhile."""
        self.check()
        self.fraction = float(min(max(fraction, 0.0), 1.0))
        self.message = message
        self.progressed.emit(self.fraction, message)

    def share(self, value: Any) -> None:
        """Hand the owner a partial result it may show before the job is done (the job goes on); raises
        :class:`Cancelled` if the job was cancelled meanwhile."""
        self.check()
        self.shared.emit(value)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()


class JobRunner:
    """A small thread pool for analyses. ``submit(fn, *args)`` passes a fresh Feedback as ``feedback=``."""

    def __init__(self, max_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="gasops-job")

    def submit(
        self, fn: Callable[..., T], *args: Any, feedback: Feedback | None = None, **kwargs: Any
    ) -> tuple[Future[T], Feedback]:
        feedback = feedback or Feedback()
        return self._pool.submit(fn, *args, feedback=feedback, **kwargs), feedback

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)


class JobHandle:
    """One job submitted through :class:`Jobs`: its channel, its feedback and whether it is still the current one."""

    def __init__(self, jobs: Jobs, channel: str | None, key: Any, feedback: Feedback) -> None:
        self._jobs = jobs
        self.channel = channel
        self.key = key
        self.feedback = feedback
        self.future: Future | None = None
        self.done = False
        self.superseded = False

    @property
    def current(self) -> bool:
        """Whether this job's outcome will still be delivered (no newer job took its channel, not cancelled)."""
        return not self.feedback.cancelled and (self.channel is None or self._jobs._current.get(self.channel) is self)

    def cancel(self) -> None:
        """Stop the job at its next progress report; its outcome is dropped."""
        self.feedback.cancel()
        if self.channel is not None and self._jobs._current.get(self.channel) is self:
            del self._jobs._current[self.channel]


class Jobs:
    """Runs jobs for the application services and knows, per *channel*, which job is the current one.

    This is the one job-currency mechanism of the console: a service submits its work on a channel
    (``"isolation.segments"``, ``"simulation.run"`` …); a newer job on the same channel cancels the older one, whose
    result is then dropped instead of delivered, so no service checks "is this still my job?" by hand. A job
    submitted with the ``key`` of the running job on its channel is not started twice (the running one is returned).

    Outcomes (``on_done(result)``, ``on_error(exc)``, ``on_cancel()``) and progress (``on_progress(fraction, text)``)
    are delivered through ``post``: the GUI passes a function that queues the call onto the Qt main thread
    (``console.ui.workers.QtJobs``). Without a ``runner`` a job runs inline, synchronously, in :meth:`submit`: what
    tests and the command line use, so they drive the same services with no threads and no event loop.

    >>> jobs = Jobs()
    >>> got = []
    >>> handle = jobs.submit("demo", lambda x, feedback: x * 2, 21, on_done=got.append)
    >>> got, handle.done
    ([42], True)
    """

    def __init__(self, runner: JobRunner | None = None, post: Callable[[Callable[[], None]], None] | None = None):
        self.runner = runner
        self._post = post or (lambda call: call())
        self._current: dict[str, JobHandle] = {}

    @property
    def threaded(self) -> bool:
        return self.runner is not None

    def current(self, channel: str) -> JobHandle | None:
        """The job now running on ``channel`` (None when idle)."""
        return self._current.get(channel)

    def busy(self, channel: str) -> bool:
        return channel in self._current

    def cancel(self, channel: str) -> None:
        handle = self._current.pop(channel, None)
        if handle is not None:
            handle.feedback.cancel()

    def submit(
        self,
        channel: str | None,
        fn: Callable[..., T],
        *args: Any,
        key: Any = None,
        on_done: Callable[[T], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
        on_cancel: Callable[[], Any] | None = None,
        on_progress: Callable[[float, str], Any] | None = None,
        on_partial: Callable[[Any], Any] | None = None,
        **kwargs: Any,
    ) -> JobHandle:
        """Run ``fn(*args, feedback=..., **kwargs)``; the newest job on ``channel`` is the only one delivered.
        ``on_partial(value)`` gets what the job shares before it is done (:meth:`Feedback.share`)."""
        if channel is not None:
            running = self._current.get(channel)
            if running is not None:
                if key is not None and running.key == key and not running.done:
                    return running
                running.superseded = True
                running.feedback.cancel()
        feedback = Feedback()
        handle = JobHandle(self, channel, key, feedback)
        if channel is not None:
            self._current[channel] = handle
        if on_progress is not None:
            feedback.progressed.connect(lambda f, m: self._post(lambda: handle.current and on_progress(f, m)))
        if on_partial is not None:
            feedback.shared.connect(lambda v: self._post(lambda: handle.current and not handle.done and on_partial(v)))

        def deliver(outcome: Future) -> None:  # on the owner's thread (through post)
            handle.done = True
            current = handle.current
            if handle.channel is not None and self._current.get(handle.channel) is handle:
                del self._current[handle.channel]
            if handle.superseded:
                return  # a newer job took the channel: this outcome is stale
            if not current or outcome.cancelled() or isinstance(outcome.exception(), Cancelled):
                if on_cancel is not None:
                    on_cancel()
                return
            exc = outcome.exception()
            if exc is not None:
                if on_error is None:
                    raise exc
                on_error(exc)
            elif on_done is not None:
                on_done(outcome.result())

        if self.runner is None:
            future: Future = Future()
            try:
                future.set_result(fn(*args, feedback=feedback, **kwargs))
            except BaseException as exc:  # delivered to on_error like a threaded job's
                future.set_exception(exc)
            handle.future = future
            deliver(future)
            return handle
        try:
            future, _ = self.runner.submit(fn, *args, feedback=feedback, **kwargs)
        except RuntimeError:  # the runner was shut down (the window is closing): the job is not run
            feedback.cancel()
            cancelled: Future = Future()
            cancelled.cancel()
            handle.future = cancelled
            deliver(cancelled)
            return handle
        handle.future = future
        future.add_done_callback(lambda f: self._post(lambda: deliver(f)))
        return handle

    def shutdown(self, wait: bool = False) -> None:
        for channel in list(self._current):
            self.cancel(channel)
        if self.runner is not None:
            self.runner.shutdown(wait=wait)
