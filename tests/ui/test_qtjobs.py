"""QtJobs: the services' jobs run in workers and their outcomes and progress arrive on the Qt main thread."""

from __future__ import annotations

import threading

import pytest

from console.app.jobs import JobRunner
from console.ui.workers import QtJobs


@pytest.fixture
def jobs(qapp):
    jobs = QtJobs(JobRunner(max_workers=2))
    yield jobs
    jobs.shutdown(wait=True)


def work(gate, value, *, feedback):
    gate.wait(10)
    feedback.progress(0.5, f"{value} half way")
    return value, threading.current_thread().name


def test_outcomes_and_progress_arrive_on_the_main_thread(qtbot, jobs):
    gate = threading.Event()
    gate.set()
    delivered = []
    handle = jobs.submit(
        "simulation.run",
        work,
        gate,
        "run",
        on_done=lambda result: delivered.append(("done", result, threading.current_thread())),
        on_progress=lambda f, m: delivered.append(("progress", m, threading.current_thread())),
    )
    qtbot.waitUntil(lambda: handle.done and any(d[0] == "done" for d in delivered), timeout=10_000)
    qtbot.wait(50)  # the queued progress call, if it was posted after the outcome
    assert {d[2] for d in delivered} == {threading.main_thread()}
    (result,) = [d[1] for d in delivered if d[0] == "done"]
    assert result[0] == "run" and result[1].startswith("gasops-job")  # computed in a worker
    assert ("progress", "run half way", threading.main_thread()) in delivered


def test_errors_arrive_on_the_main_thread_and_only_the_newest_job_is_delivered(qtbot, jobs):
    gate = threading.Event()
    delivered = []

    def fail(*, feedback):
        raise RuntimeError("solver diverged")

    old = jobs.submit("simulation.run", work, gate, "old", on_done=lambda r: delivered.append(r[0]))
    new = jobs.submit("simulation.run", work, gate, "new", on_done=lambda r: delivered.append(r[0]))
    failed = jobs.submit(
        "simulation.contours", fail, on_error=lambda exc: delivered.append((str(exc), threading.current_thread()))
    )
    gate.set()
    qtbot.waitUntil(lambda: old.done and new.done and failed.done, timeout=10_000)
    assert sorted(map(str, delivered)) == sorted(["new", str(("solver diverged", threading.main_thread()))])
