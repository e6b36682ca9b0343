"""After an approval the committed master is the reviewed branch: its topology, component findings, feature index,
hydraulic model arrays and steady state are carried over (no whole-network topology build), and the console builds
the committed master's valve segments in a job (:meth:`EditingService.settle`); the next review's effect equals a
cold review's. The reviewer's console takes the master from the open network when the file is unchanged."""

from __future__ import annotations

import shutil

import pytest

import console.isolation._segments as segments_module
import console.network._topology as topology_module
from console.app.editing import EditingService
from console.io import read_network, write_network
from console.network import GasNetwork, InsertDevice, SetAttribute, diff_networks, generate_demo


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("carry") / "network.gpkg"
    write_network(generate_demo(n_pipes=1500, seed=11), path)
    return path


@pytest.fixture
def path(tmp_path, demo_file):
    target = tmp_path / "network.gpkg"
    shutil.copyfile(demo_file, target)
    return target


@pytest.fixture
def builds(monkeypatch):
    """Counts of whole-network topology builds, derived topologies and whole valve segmentations."""
    calls = {"topology": 0, "derived": 0, "segments": 0}

    def counting(module, name, key):
        original = getattr(module, name)

        def counted(*a, **k):
            calls[key] += 1
            return original(*a, **k)

        monkeypatch.setattr(module, name, counted)

    counting(topology_module, "build_topology", "topology")
    counting(topology_module, "derive_topology", "derived")
    counting(segments_module, "build_valve_segments", "segments")
    return calls


def _valves(network, rows):
    for r in rows:
        p = network["pipes"]
        InsertDevice(network, str(p["id"].iat[r]), p.geometry.iat[r].interpolate(0.5, normalized=True), "valves").redo()


def _submit(service, master, edit):
    edited = master.snapshot()
    edit(edited)
    return service.submit("test", diff_networks(master, edited), network_name=master.name)


def _cold(network: GasNetwork) -> GasNetwork:
    """The same content with nothing derived (as if read from its file)."""
    return GasNetwork({n: f.copy() for n, f in network.layers.items()}, network.crs, network.name)


def _comparable(effect) -> dict:
    out = effect.to_dict()
    out.pop("overlapping_changesets")
    return out


@pytest.mark.parametrize("hydraulics", [False, True])
def test_the_review_after_an_approval_rebuilds_nothing_and_equals_a_cold_review(tmp_path, path, builds, hydraulics):
    service = EditingService(tmp_path / "changes")
    master = service.master_at(path)
    cs1 = _submit(service, master, lambda n: _valves(n, [20, 700, 1100]))
    service.review(cs1.change_id, master, hydraulics=hydraulics)
    approved = master.snapshot()
    service.approve(cs1.change_id, approved)
    assert service.carried["topology"] == 1 and service.carried["review.components"] == 1
    if hydraulics:
        assert service.carried["hydraulics.arrays"] == 1 and service.master_states_reused["approval"] == 1
    service.settle(None, approved)  # the console's job after the approval: the committed master's valve segments
    assert service.carried["segments built after approval"] == 1

    cs2 = _submit(service, approved, lambda n: _valves(n, [40, 900]))
    counts = dict(builds)
    solves = service.master_solves
    after = service.review(cs2.change_id, approved, hydraulics=hydraulics)
    assert builds["topology"] == counts["topology"]  # no whole-network topology build
    assert builds["segments"] == counts["segments"]  # no whole-network segmentation
    assert builds["derived"] == counts["derived"] + 1  # only the branch's, derived from the master's
    assert service.master_solves == solves

    cold_master = _cold(approved)
    fresh = EditingService(tmp_path / "changes")  # same change sets, nothing in memory
    reference = fresh.review(cs2.change_id, cold_master, hydraulics=hydraulics)
    a, b = _comparable(after), _comparable(reference)
    if hydraulics:  # the carried state is the branch's solved in part: equal within the solver's tolerance
        pa, pb = a.pop("pressures"), b.pop("pressures")
        assert [(p["system"], p["pressure_class"]) for p in pa] == [(p["system"], p["pressure_class"]) for p in pb]
        for x, y in zip(pa, pb, strict=True):
            for k in ("min_before_kpa", "min_after_kpa"):
                assert (x[k] is None) == (y[k] is None)
                if x[k] is not None:
                    assert abs(x[k] - y[k]) <= 1e-3
    assert a == b
    assert after.segments_split >= 1 and after.segments_before == reference.segments_before


def test_no_carry_over_when_the_approved_master_is_not_the_reviewed_branch(tmp_path, path):
    service = EditingService(tmp_path / "changes")
    master = service.master_at(path)
    cs1 = _submit(service, master, lambda n: _valves(n, [20]))
    cs2 = _submit(service, master, lambda n: _valves(n, [300]))
    service.review(cs1.change_id, master, hydraulics=False)
    approved = master.snapshot()
    service.approve(cs2.change_id, approved)  # another change set than the one reviewed
    assert sum(service.carried.values()) == 0


def test_the_master_is_taken_from_the_open_network_while_its_file_is_unchanged(tmp_path, path):
    network = read_network(path)
    topology = network.topology
    service = EditingService(tmp_path / "changes")
    service.start(network, source=path)
    master = service.master_at(path)
    assert service.masters_opened == 0 and service.masters_from_window == 1
    assert master is not network and master.topology is topology  # what was derived on it is shared
    assert diff_networks(master, read_network(path)) == []

    # the open network edited: the master is still the file's content (the network as opened), not the edit
    SetAttribute(network, "pipes", [str(network["pipes"]["id"].iat[0])], "material", "steel").redo()
    service._master = None
    master = service.master_at(path)
    assert service.masters_opened == 0 and diff_networks(master, read_network(path)) == []
    assert master.topology is not network.topology

    # the file changed (another console committed to it): read again
    edited = read_network(path)
    SetAttribute(edited, "pipes", [str(edited["pipes"]["id"].iat[1])], "depth_m", 2.5).redo()
    write_network(edited, path)
    master = service.master_at(path)
    assert service.masters_opened == 1
    assert diff_networks(master, edited) == []
