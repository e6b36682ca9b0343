"""Waiting for something that happens on another thread, with a clear failure."""

from __future__ import annotations

import time


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
