"""A review reads the master once per state of its source: the second review of the same master takes its network,
valve segments and steady state from the service's cache (counted: opens, segmentations, solves); a changed file is
read again; an approval keeps the committed master."""

from __future__ import annotations

import shapely

import console.hydraulics
import console.isolation
from console.app.editing import EditingService
from console.app.jobs import Jobs
from console.io import read_network, write_network
from console.network import InsertDevice, SetAttribute
from tests.builders import ORIGIN, chain


def _counting(monkeypatch):
    calls = {"simulate": 0, "segments": 0, "open": 0}
    simulate, segments = console.hydraulics.simulate, console.isolation._segments.build_valve_segments

    def counted_simulate(*a, **k):
        calls["simulate"] += 1
        return simulate(*a, **k)

    def counted_segments(*a, **k):
        calls["segments"] += 1
        return segments(*a, **k)

    monkeypatch.setattr(console.hydraulics, "simulate", counted_simulate)
    monkeypatch.setattr(console.isolation._segments, "build_valve_segments", counted_segments)

    def opener(path):
        calls["open"] += 1
        return read_network(path)

    return calls, opener


def _setup(tmp_path):
    path = tmp_path / "net.gpkg"
    write_network(chain(6), path)
    service = EditingService(tmp_path / "changes", network=read_network(path))
    net = service.network
    InsertDevice(net, "P3", shapely.Point(ORIGIN[0] + 250, ORIGIN[1]), "valves").redo()
    cs = service.submit("a valve on P3")
    return path, service, cs


def test_a_second_review_of_the_same_master_is_the_cached_path(tmp_path, monkeypatch):
    path, service, cs = _setup(tmp_path)
    calls, opener = _counting(monkeypatch)
    first = service.review_at(cs.change_id, path, opener=opener)
    assert calls["open"] == 1 and calls["simulate"] >= 1 and calls["segments"] >= 1
    after_first = dict(calls)
    second = service.review_at(cs.change_id, path, opener=opener)
    # nothing of the master read or derived again: only the branch's own work (its steady state) remains
    assert calls["open"] == after_first["open"]
    assert calls["segments"] == after_first["segments"]
    assert calls["simulate"] - after_first["simulate"] <= after_first["simulate"] - 1  # the master is not solved again
    assert first.to_dict() == second.to_dict()
    assert service.masters_opened == 1


def test_a_changed_file_is_read_again(tmp_path, monkeypatch):
    path, service, cs = _setup(tmp_path)
    calls, opener = _counting(monkeypatch)
    service.review_at(cs.change_id, path, opener=opener, hydraulics=False)
    other = read_network(path)
    SetAttribute(other, "pipes", ["P1"], "material", "steel").redo()
    write_network(other, path)
    service.review_at(cs.change_id, path, opener=opener, hydraulics=False)
    assert calls["open"] == 2


def test_the_review_runs_as_a_job_with_progress_and_the_approved_master_is_kept(tmp_path, monkeypatch):
    path, service, cs = _setup(tmp_path)
    calls, opener = _counting(monkeypatch)
    got, steps, partial = [], [], []
    Jobs().submit("editing.review", lambda feedback=None: service.review_at(cs.change_id, path, feedback=feedback,
                                                                             opener=opener),
                  on_done=got.append, on_progress=lambda f, m: steps.append(m), on_partial=partial.append)  # fmt: skip
    assert got and got[0].segments_after == got[0].segments_before + 1
    assert steps[0] == "opening the master network"
    assert steps.index("validation and valve segments") < steps.index("the master's steady state") < steps.index(
        "the branch's steady state where the change set reaches")  # fmt: skip
    # validation and valve segments are handed over before the steady states are solved: the same, minus hydraulics
    assert len(partial) == 1 and partial[0].pressures == [] and got[0].pressures
    assert partial[0].segments_after == got[0].segments_after
    assert partial[0].findings_introduced == got[0].findings_introduced
    master = service.master_at(path, opener=opener).snapshot()

    def commit(network, changes):
        write_network(network, path)

    service.approve(cs.change_id, master, commit=commit)
    service.committed(path, master)
    assert service.master_at(path, opener=opener) is master and calls["open"] == 1


def test_a_review_asked_while_the_prefetch_prepares_the_master_waits_for_it(tmp_path, monkeypatch):
    """The console prefetches the master in the background when the review dock opens; a review asked meanwhile runs
    on the other job thread. It waits for the prefetch and finds the master read, solved and prepared: one read and
    one cold solve between them, and the effect of a review on its own."""
    import threading

    path, service, cs = _setup(tmp_path)
    calls, opener = _counting(monkeypatch)
    reading, release = threading.Event(), threading.Event()

    def slow_opener(source):
        reading.set()
        release.wait(10)
        return opener(source)

    monkeypatch.setattr("console.app.workspace.open_network", slow_opener)
    prefetch = threading.Thread(target=service.prefetch, args=(path,))
    prefetch.start()
    assert reading.wait(10)
    got = []
    review = threading.Thread(target=lambda: got.append(service.review_at(cs.change_id, path, opener=opener)))
    review.start()
    review.join(0.3)
    assert review.is_alive() and not got  # waiting for the prefetch, not reading the file a second time
    release.set()
    prefetch.join(30), review.join(30)
    assert got and calls["open"] == 1 and service.masters_opened == 1 and service.master_solves == 1
    alone = EditingService(tmp_path / "changes").review_at(cs.change_id, path)
    assert got[0].to_dict() == alone.to_dict()
