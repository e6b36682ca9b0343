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

__all__ = ["Cancelled", "Feedback", "JobRunner"]

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a job when its feedback was cancelled."""


class Feedback:
    """Progress and cancellation for one job; safe to call from the worker thread.

    ``progressed`` is emitted with (fraction 0..1, message) from the worker thread; the UI bridge re-emits it on the
    main thread.
    """

    progressed = Signal(float, str)

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
