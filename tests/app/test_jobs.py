import threading

import pytest

from console.app.jobs import Cancelled, Feedback, JobRunner


def _work(n, *, feedback):
    total = 0
    for i in range(n):
        feedback.progress(i / n, f"step {i}")
        total += i
    return total, threading.current_thread().name


def test_job_runs_in_a_worker_thread_and_reports_progress():
    runner = JobRunner()
    seen = []
    fb = Feedback()
    fb.progressed.connect(lambda f, m: seen.append((f, m)))
    future, feedback = runner.submit(_work, 5, feedback=fb)
    total, thread = future.result(timeout=10)
    runner.shutdown()
    assert total == 10
    assert thread.startswith("gasops-job")
    assert seen[0] == (0.0, "step 0") and seen[-1] == (0.8, "step 4")
    assert feedback is fb


def test_cancelled_job_stops_at_its_next_progress_report():
    started, release = threading.Event(), threading.Event()

    def slow(*, feedback):
        started.set()
        release.wait(5)
        feedback.progress(0.5, "half way")
        return "finished anyway"

    runner = JobRunner()
    future, feedback = runner.submit(slow)
    started.wait(5)
    feedback.cancel()
    release.set()
    with pytest.raises(Cancelled):
        future.result(timeout=10)
    runner.shutdown()
    assert feedback.cancelled


def test_progress_is_clamped():
    fb = Feedback()
    fb.progress(1.7)
    assert fb.fraction == 1.0
    fb.progress(-2)
    assert fb.fraction == 0.0
