"""The isolation workflow without a QApplication: segments, a break, a valve that fails, edits, supersession, exports.

The answers on the hand network (``tests.isolation.nets.hand_network``) are worked out on paper in its docstring;
every result is also checked against :func:`console.isolation.isolate` called directly on the same request.
"""

from __future__ import annotations

import csv
import os
import queue

import numpy as np
import pytest

from console.app.isolation import EXPORT_DIR, ORDER, IsolationService
from console.app.jobs import JobRunner, Jobs
from console.app.settings import MemoryBackend, Settings
from console.isolation import Break, IsolationRequest, customer_rows, isolate, plan_rows, segments_ready
from tests.builders import chain
from tests.isolation.nets import hand_network

P3 = Break("P3", 0.3)


class Recorder:
    """Everything a service announced, in order."""

    def __init__(self, service: IsolationService) -> None:
        self.events: list[tuple[str, object]] = []
        for name in ("result_changed", "error", "note", "busy_changed"):
            getattr(service, name).connect(lambda value, name=name: self.events.append((name, value)))

    def of(self, kind: str) -> list:
        return [value for name, value in self.events if name == kind]


def steps(result) -> list[tuple[str, str, bool]]:
    return [(s.feature_id, s.action, s.required) for s in result.plan]


@pytest.fixture
def net():
    return hand_network()


@pytest.fixture
def service(net):
    s = IsolationService(settings=Settings(MemoryBackend()))
    s.set_network(net)
    yield s
    s.close()


def test_showing_a_network_builds_its_segments_ahead(net):
    service = IsolationService()
    assert not segments_ready(net)
    service.set_network(net)
    assert segments_ready(net)  # the first click answers at once
    assert service.result is None and not service.busy


def test_a_break_is_isolated_with_the_hand_worked_plan(service, net):
    seen = Recorder(service)
    service.run(P3)
    result = service.result
    assert seen.of("result_changed") == [result]
    assert result.request == IsolationRequest((P3,), order="upstream_first")
    assert steps(result) == [("V1", "close_valve", True), ("V4", "close_valve", True), ("V3", "close_valve", False)]
    assert [k.feature_id for k in result.skipped] == ["V2"]
    assert [c.feature_id for c in result.impact.customers] == ["C1", "C2", "C3"]
    assert steps(result) == steps(isolate(net, result.request))
    assert seen.of("error") == [] and not service.busy


def test_a_valve_that_fails_redoes_the_plan_without_it(service, net):
    service.run(P3)
    seen = Recorder(service)
    service.valve_failed("V4")
    result = service.result
    # Gas now passes V4 too, so the next ring holds: V5 joins V1, V3 stays optional.
    assert steps(result) == [("V1", "close_valve", True), ("V5", "close_valve", True), ("V3", "close_valve", False)]
    assert [k.feature_id for k in result.skipped] == ["V2", "V4"]
    assert [name for name, _ in seen.events] == ["result_changed", "note"]  # the note explains the result
    assert "V4" in seen.of("note")[0]


def test_a_failed_valve_without_an_isolation_does_nothing(service):
    seen = Recorder(service)
    service.valve_failed("V4")
    assert seen.events == [] and service.result is None


def test_added_breaks_make_one_incident(service, net):
    service.run(P3)
    service.add_break(Break("P8", 0.5))
    result = service.result
    assert [b.feature_id for b in result.request.breaks] == ["P3", "P8"]
    assert steps(result) == steps(isolate(net, result.request))


def test_an_edit_reruns_the_isolation_on_the_new_version(service, net):
    service.run(P3)
    seen = Recorder(service)
    net.set_values("valves", np.array([net.locate("V4")[1]]), "accessible", False)
    (result,) = seen.of("result_changed")
    assert result is service.result and result.version == net.version
    assert [k.feature_id for k in result.skipped] == ["V2", "V4"]
    assert steps(result) == steps(isolate(net, result.request))
    assert any("edited" in n for n in seen.of("note"))


def test_an_edit_that_removes_the_break_clears_with_a_note(service, net):
    service.run(P3)
    seen = Recorder(service)
    net.remove_features("pipes", ["P3"])
    assert seen.of("result_changed") == [None] and service.result is None
    (note,) = [n for n in seen.of("note") if "no longer applies" in n]
    assert "P3" in note
    assert seen.of("error") == []


def test_with_a_debounce_edits_wait_for_network_edited(net):
    calls = []
    service = IsolationService(edit_debounce=lambda: calls.append(1))
    service.set_network(net)
    service.run(P3)
    first = service.result
    net.set_values("valves", np.array([net.locate("V4")[1]]), "accessible", False)
    net.set_values("valves", np.array([net.locate("V5")[1]]), "accessible", True)
    assert calls == [1, 1] and service.result is first  # a burst of edits: nothing redone yet
    service.network_edited()
    assert service.result.version == net.version
    service.close()


def test_another_network_clears_the_isolation_with_a_note(service):
    service.run(P3)
    seen = Recorder(service)
    other = chain(3)
    service.set_network(other)
    assert seen.of("result_changed") == [None]
    assert seen.of("note") == [f"Isolation cleared: {other.name} is now shown"]


def test_the_closing_order_redoes_the_plan_and_is_kept(net):
    settings = Settings(MemoryBackend())
    service = IsolationService(settings=settings)
    service.set_network(net)
    service.run(P3)
    service.set_order("nearest_first")
    assert service.result.order_rule == "nearest_first"
    expected = isolate(net, IsolationRequest((P3,), order="nearest_first"))
    assert steps(service.result) == steps(expected)
    assert settings.get(ORDER) == "nearest_first"
    assert IsolationService(settings=settings).order == "nearest_first"  # the next session starts with it


def test_errors_are_one_line_messages(service):
    seen = Recorder(service)
    service.run(Break("NOPE"))
    assert seen.of("error") == ["unknown feature id 'NOPE' in network 'Hand network' (break position)"]
    assert service.result is None and not service.busy
    service.set_order("alphabetical")
    assert "alphabetical" in seen.of("error")[-1]


def test_clear_forgets_the_result(service):
    service.run(P3)
    seen = Recorder(service)
    service.clear()
    assert seen.events == [("result_changed", None)] and service.result is None


# -- segments built in a worker thread ---------------------------------------------------------------------------------
@pytest.fixture
def threaded():
    """A service whose jobs run in a worker thread and deliver through a queue the test drains (its 'main loop')."""
    posted: queue.Queue = queue.Queue()
    runner = JobRunner(max_workers=1)
    service = IsolationService(Jobs(runner, post=posted.put))

    def drain() -> None:
        while service.busy or service.building:
            posted.get(timeout=60)()

    yield service, drain
    service.close()
    runner.shutdown()


def test_a_newer_request_supersedes_one_waiting_for_segments(threaded, net):
    service, drain = threaded
    seen = Recorder(service)
    service.set_network(net, prebuild=False)
    service.run(P3)
    assert service.busy and service.result is None  # the caller is not blocked while segments build
    assert any("valve segments" in n for n in seen.of("note"))
    service.run(Break("P8", 0.5))
    drain()
    (result,) = seen.of("result_changed")  # one click, one answer: only the newest
    assert [b.feature_id for b in result.request.breaks] == ["P8"]
    assert seen.of("busy_changed") == [True, False]
    assert segments_ready(net)  # the job's segments went into the live network's cache


def test_an_edit_while_segments_build_reruns_on_the_new_version(threaded, net):
    service, drain = threaded
    seen = Recorder(service)
    service.set_network(net, prebuild=False)
    service.run(P3)
    net.set_values("valves", np.array([net.locate("V4")[1]]), "accessible", False)  # the snapshot is now stale
    drain()
    (result,) = seen.of("result_changed")
    assert result.version == net.version
    assert [k.feature_id for k in result.skipped] == ["V2", "V4"]
    assert seen.of("error") == []


def test_prebuilt_segments_answer_the_first_click_at_once(threaded, net):
    service, drain = threaded
    service.set_network(net)
    assert service.building
    drain()
    service.run(P3)
    assert not service.busy and service.result is not None  # no job: the segments were warm


# -- exports -----------------------------------------------------------------------------------------------------------
def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def as_text(rows):
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]


def test_exports_write_the_plan_and_the_customers(service, net, tmp_path):
    assert service.export_plan(tmp_path / "plan.csv") is None  # nothing to export yet
    service.run(P3)
    plan = service.export_plan(tmp_path / "plan.csv")
    customers = service.export_customers(tmp_path / "customers.csv")
    assert plan.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names right
    assert read(plan) == as_text(plan_rows(service.result, net.crs))
    assert [r["feature_id"] for r in read(plan)] == ["V1", "V4", "V3", "V2"]
    assert read(customers) == as_text(customer_rows(service.result, net.crs))
    assert service.settings.get(EXPORT_DIR) == str(tmp_path.resolve())
    # Unless told, the next export goes to the folder last used, named after the breaks.
    again = service.export_customers()
    assert again.parent == tmp_path.resolve() and again.name.startswith("customers_without_gas_P3_")


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_exports_are_atomic(service, tmp_path, monkeypatch):
    service.run(P3)
    target = tmp_path / "plan.csv"
    target.write_text("the previous plan\n", encoding="utf-8")
    stale = tmp_path / f".plan.csv.tmp-{_dead_pid()}-0123abcd.csv"  # left by a save killed half way
    stale.write_text("half a plan", encoding="utf-8")
    seen = Recorder(service)

    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", disk_full)
        assert service.export_plan(target) is None
    (error,) = seen.of("error")
    assert str(target) in error and "No space left" in error
    assert target.read_text(encoding="utf-8") == "the previous plan\n"  # untouched
    assert service.export_plan(target) == target
    assert read(target)[0]["feature_id"] == "V1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv"]  # no temporary left, the stale one removed


def test_an_export_into_a_missing_folder_is_an_error(service, tmp_path):
    service.run(P3)
    seen = Recorder(service)
    assert service.export_plan(tmp_path / "nowhere" / "plan.csv") is None
    (error,) = seen.of("error")
    assert "does not exist" in error
