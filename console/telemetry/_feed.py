"""The one interface every feed implements: start handing batches to a sink, stop, state, counters, clock."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from psygnal import Signal

from console.telemetry._types import FeedCounters, FeedState, FeedStatus, ReadingBatch

__all__ = ["Feed", "Sink"]

Sink = Callable[[ReadingBatch], None]


class Feed(ABC):
    """A source of readings (simulator, MQTT broker, recorded file).

    ``start(sink)`` begins handing :class:`ReadingBatch` objects to ``sink`` from the feed's own thread (``sink``
    must be thread-safe: :meth:`TelemetryService.submit` is); ``stop()`` ends it and waits for the thread.
    ``state_changed`` is emitted with a :class:`FeedStatus` from whichever thread changed the state.
    """

    state_changed = Signal(object)

    def __init__(self, name: str) -> None:
        self.name = name
        self.counters = FeedCounters(name)
        self._state = FeedState.STOPPED
        self._detail = ""
        self._state_lock = threading.Lock()

    @property
    def state(self) -> FeedState:
        return self._state

    def status(self) -> FeedStatus:
        """State and counters now."""
        return self.counters.status(self._state, self._detail)

    def _set_state(self, state: FeedState, detail: str = "") -> None:
        with self._state_lock:
            if state == self._state and detail == self._detail:
                return
            self._state, self._detail = state, detail
        self.state_changed.emit(self.status())

    def clock(self) -> float:
        """The feed's notion of now (epoch s): wall time for live feeds, data time for simulations and replays."""
        return time.time()

    @abstractmethod
    def start(self, sink: Sink) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class PacedThread:
    """Calls ``step()`` every ``period_s`` of wall time in a daemon thread until stopped or ``step`` returns False."""

    def __init__(self, name: str, step: Callable[[], bool], period_s: float) -> None:
        self._step = step
        self._period = period_s
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._step():
                    return
                self._stop.wait(self._period)
        except BaseException as exc:  # reported through the feed's state; a thread must not die silently
            self.error = exc

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
