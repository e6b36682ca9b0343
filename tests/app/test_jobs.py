import queue
import threading
import time

import pytest

from console.app.jobs import Cancelled, Feedback, JobRunner, Jobs


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


# -- Jobs: the one job-currency mechanism (per channel: newest job only, same key not run twice, errors delivered) --


class OwnerThread:
    """Stands in for the GUI's main thread: ``post`` queues a delivery, ``run_pending`` runs them here, in order."""

    def __init__(self):
        self.pending = queue.Queue()

    def post(self, call):
        self.pending.put(call)

    def run_until(self, condition, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no delivery in time"
            try:
                self.pending.get(timeout=remaining)()
            except queue.Empty:
                pass

    def run_pending(self):
        while not self.pending.empty():
            self.pending.get()()


def blocking(gate, value, *, feedback):
    gate.wait(10)
    feedback.progress(0.5, value)
    return value


@pytest.fixture
def threaded_jobs():
    owner = OwnerThread()
    jobs = Jobs(JobRunner(max_workers=2), post=owner.post)
    yield jobs, owner
    jobs.shutdown(wait=True)


def test_only_the_newest_job_of_a_channel_is_delivered(threaded_jobs):
    jobs, owner = threaded_jobs
    gate = threading.Event()
    done, cancelled, errors = [], [], []
    old = jobs.submit(
        "isolation.plan", blocking, gate, "old", on_done=done.append, on_cancel=lambda: cancelled.append(1)
    )
    new = jobs.submit("isolation.plan", blocking, gate, "new", on_done=done.append, on_error=errors.append)
    other = jobs.submit("simulation.run", blocking, gate, "other channel", on_done=done.append)
    assert old.superseded and not old.current and new.current and jobs.current("isolation.plan") is new
    gate.set()
    owner.run_until(lambda: new.done and other.done and old.done)
    owner.run_pending()
    # The superseded job stopped at its progress report (Cancelled) or finished: either way it delivers nothing.
    assert sorted(done) == ["new", "other channel"]
    assert cancelled == [] and errors == []
    assert not jobs.busy("isolation.plan") and not jobs.busy("simulation.run")


def test_a_job_with_the_running_jobs_key_is_not_started_twice(threaded_jobs):
    jobs, owner = threaded_jobs
    gate = threading.Event()
    calls, done = [], []

    def segments(network_version, *, feedback):
        calls.append(network_version)
        gate.wait(10)
        return f"segments of v{network_version}"

    first = jobs.submit("isolation.segments", segments, 7, key=7, on_done=done.append)
    again = jobs.submit("isolation.segments", segments, 7, key=7, on_done=done.append)
    assert again is first
    newer = jobs.submit("isolation.segments", segments, 8, key=8, on_done=done.append)
    assert newer is not first and first.superseded
    gate.set()
    owner.run_until(lambda: first.done and newer.done)
    assert done == ["segments of v8"]
    assert calls.count(7) == 1


def test_errors_and_cancellation_are_delivered(threaded_jobs):
    jobs, owner = threaded_jobs

    def fail(*, feedback):
        raise ValueError("valve V-9 not in the network")

    errors, cancelled = [], []
    handle = jobs.submit("isolation.plan", fail, on_error=errors.append)
    owner.run_until(lambda: handle.done)
    assert [str(e) for e in errors] == ["valve V-9 not in the network"]

    gate = threading.Event()
    handle = jobs.submit(
        "isolation.plan", blocking, gate, "x", on_done=errors.append, on_cancel=lambda: cancelled.append(1)
    )
    handle.cancel()
    gate.set()
    owner.run_until(lambda: handle.done)
    assert cancelled == [1] and len(errors) == 1


def test_progress_of_the_current_job_is_delivered_through_post(threaded_jobs):
    jobs, owner = threaded_jobs
    gate = threading.Event()
    gate.set()
    seen = []
    handle = jobs.submit("simulation.run", blocking, gate, "half way", on_progress=lambda f, m: seen.append((f, m)))
    owner.run_until(lambda: handle.done)
    owner.run_pending()
    assert seen == [(0.5, "half way")]


def test_inline_jobs_deliver_synchronously():
    jobs = Jobs()
    done, errors = [], []
    jobs.submit("a", lambda x, *, feedback: x + 1, 1, on_done=done.append)
    jobs.submit("a", lambda *, feedback: 1 / 0, on_error=errors.append)
    assert done == [2] and isinstance(errors[0], ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):  # no on_error: the caller (a test, the CLI) sees the exception
        jobs.submit("a", lambda *, feedback: 1 / 0)
    assert not jobs.busy("a")


def test_a_job_submitted_after_the_runner_shut_down_is_cancelled_not_raised():
    """A window closing shuts its runner down; a signal handled after that (a network shown late) may still submit a
    job: it is not run, and its owner hears it was cancelled instead of an exception in the event loop."""
    runner = JobRunner(max_workers=1)
    jobs = Jobs(runner)
    runner.shutdown(wait=True)
    ran, cancelled, done = [], [], []
    handle = jobs.submit(
        "late", lambda feedback: ran.append(1), on_done=done.append, on_cancel=lambda: cancelled.append(1)
    )
    assert handle.done and not jobs.busy("late") and cancelled == [1] and not ran and not done
