"""Replay protection and ordering by a device's message counter (``seq`` of reading-v1 and reading-batch-v1).

A device (the signing ``did:key``; else the batch's source or the reading's sensor) numbers its messages with an
increasing ``seq``. :class:`SequenceGuard` keeps, per device, the highest number seen, the numbers seen within a
window below it and the newest reading time, like IPsec's anti-replay window:

* a number above the highest: in order, admitted;
* a number inside the window not seen yet: a message overtaken in transit (a broker redelivering after a restart),
  admitted — its readings go live or to backfill by their times;
* a number seen already, or below the window: a **replay** (or a redelivery of a message already handled), dropped as
  ``replayed`` — unless the message carries readings newer than any of the device's: then the device restarted and
  its counter began again, and the guard follows it (:attr:`SequenceGuard.restarts`).

A replayed signed message cannot forge newer times (the signature covers them), so a replay is never admitted.
The guard lives in memory: after a console restart the history's duplicate check takes over for what was stored.
"""

from __future__ import annotations

__all__ = ["SEQUENCE_WINDOW", "SequenceGuard"]

SEQUENCE_WINDOW = 4096


class SequenceGuard:
    """Per-device anti-replay window over message counters (see the module text). Not thread-safe: one feed thread
    calls it."""

    def __init__(self, window: int = SEQUENCE_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"sequence window {window}: at least 1")
        self.window = int(window)
        self._state: dict[str, tuple[int, set[int], float]] = {}
        self.restarts = 0

    def __len__(self) -> int:
        return len(self._state)

    def admit(self, device: str, seq: int, newest_t: float) -> bool:
        """Whether the message ``seq`` of ``device`` (its newest reading at ``newest_t``) is admitted; remembers it."""
        seq = int(seq)
        state = self._state.get(device)
        if state is None:
            self._state[device] = (seq, {seq}, float(newest_t))
            return True
        high, seen, t_max = state
        fresh = seq > high or (seq > high - self.window and seq not in seen)
        if not fresh:
            if not newest_t > t_max:
                return False
            self.restarts += 1  # the device's counter began again: follow it
            high, seen = seq, set()
        seen.add(seq)
        if seq > high:
            high = seq
            if len(seen) > 2 * self.window:
                seen = {s for s in seen if s > high - self.window}
        self._state[device] = (high, seen, max(t_max, float(newest_t)))
        return True
