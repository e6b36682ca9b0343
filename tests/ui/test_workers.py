"""The worker bridge delivers a job's progress, result, error and cancellation as Qt signals on the main thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from console.app.jobs import JobRunner
from console.errors import NetworkFileError
from console.ui.workers import start_job


@pytest.fixture
def runner():
    r = JobRunner(max_workers=1)
    yield r
    r.shutdown()


def test_result_and_progress_arrive_on_the_main_thread(qtbot, runner):
    seen = []

    def job(x, feedback):
        feedback.progress(0.5, "half way")
        return (x * 2, threading.current_thread().name)

    worker = start_job(runner, job, 21)
    worker.progressed.connect(lambda f, m: seen.append((f, m, QThread.currentThread() is qtbot_main)))
    qtbot_main = QThread.currentThread()
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        pass
    value, thread_name = blocker.args[0]
    assert value == 42 and thread_name.startswith("gasops-job")
    assert seen == [(0.5, "half way", True)]


def test_errors_are_delivered_as_exceptions(qtbot, runner):
    def job(feedback):
        raise NetworkFileError("net.gpkg", "not a GeoPackage")

    worker = start_job(runner, job)
    with qtbot.waitSignal(worker.errored, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], NetworkFileError)
    assert str(blocker.args[0]) == "net.gpkg: not a GeoPackage"


def test_cancel_stops_at_the_next_progress_report(qtbot, runner):
    started, release = threading.Event(), threading.Event()

    def job(feedback):
        started.set()
        release.wait(5)
        feedback.progress(0.9)
        return "finished anyway"

    worker = start_job(runner, job)
    finished = []
    worker.finished.connect(finished.append)
    assert started.wait(5)
    worker.cancel()
    release.set()
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        pass
    assert finished == []
