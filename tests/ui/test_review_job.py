"""The review's engineering effect is computed in a job: the request returns at once with a "computing" note, the
window keeps handling events, the effect arrives when the job is done; a second review of the same master reuses the
service's cached master (not read from its file again)."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from tests.ui.conftest import SETTLE_TIMEOUT_MS
from tests.ui.test_editing_ui import OX, OY, edit_window  # noqa: F401 - the fixture


def test_review_effect_arrives_through_a_job_and_the_window_stays_live(qtbot, edit_window):  # noqa: F811
    w, _path = edit_window
    ed = w.extensions["editing"]
    ed.tool_actions["valves"].trigger()
    ed.tool.click(OX + 150, OY + 75)
    ed.set_mode(None)
    cs = ed.submit("valve on the east main")
    dock = ed.review
    service = ed.service
    gate = __import__("threading").Event()
    review_at = service.review_at

    def slow_review(*a, **k):  # the job waits until the test has seen the window answer events
        assert gate.wait(30)
        return review_at(*a, **k)

    service.review_at = slow_review
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    t0 = time.perf_counter()
    ed.review_effect(cs.change_id)
    assert time.perf_counter() - t0 < 1.0  # returned at once: the work is in the job
    assert "Computing the effect of" in dock.effect.toPlainText()
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=SETTLE_TIMEOUT_MS)  # the event loop runs meanwhile
    assert "valve segments:" not in dock.effect.toPlainText()
    gate.set()
    # validation and valve segments come first (a partial result), the effect with the pressures when it is done
    qtbot.waitUntil(lambda: ed.last_effect is not None, timeout=SETTLE_TIMEOUT_MS)
    timer.stop()
    assert "valves made useless: V1" in dock.effect.toPlainText()
    first = ed.last_effect
    opened = service.masters_opened
    # the window's network was opened from the unchanged file: the master is taken from it, not read again
    assert opened == 0 and service.masters_from_window == 1
    dock.effect.clear()
    ed.last_effect = None
    ed.review_effect(cs.change_id)
    qtbot.waitUntil(lambda: ed.last_effect is not None, timeout=SETTLE_TIMEOUT_MS)
    assert service.masters_opened == opened  # the cached master
    assert ed.last_effect.to_dict() == first.to_dict()
