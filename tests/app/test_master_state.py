"""The master's steady state is something the console keeps: solved once, kept in the workspace's cache keyed by
the master file's bytes and the request, reused by a new session (no master solve, counted), never for another file
or request, a corrupt or foreign cache file ignored; on approval the reviewed branch's steady state is the new
master's (the next review solves no master); the simulator's solution of the network as opened is reused. Every
reused state equals a fresh solve (exactly when read back from disk; within the solver's tolerance when carried
over from a branch solved in part)."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

import console.hydraulics
from console.app.editing import EditingService
from console.app.master_state import SteadyStateStore, file_digest
from console.app.simulation import SimulationService
from console.hydraulics import DemandOptions, SimulationRequest
from console.io import read_network, write_network
from console.network import InsertDevice, SetAttribute, diff_networks, generate_demo

ARRAYS = ("node_pressure_pa", "node_pressure_abs_pa", "node_supplied", "node_system", "node_demand_nm3h",
          "link_flow_nm3h", "link_velocity_ms", "link_pressure_from_pa", "link_active", "regulator_loading")  # fmt: skip


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "network.gpkg"
    write_network(generate_demo(n_pipes=1500, seed=7), path)
    return path


@pytest.fixture
def path(tmp_path, demo_file):
    target = tmp_path / "network.gpkg"
    shutil.copyfile(demo_file, target)
    return target


@pytest.fixture
def solves(monkeypatch):
    calls = {"n": 0}
    simulate = console.hydraulics.simulate

    def counted(*a, **k):
        calls["n"] += 1
        return simulate(*a, **k)

    monkeypatch.setattr(console.hydraulics, "simulate", counted)
    return calls


def _valves(network, rows):
    """Valves inserted mid-pipe at these pipe rows (of the network as it is before each)."""
    for r in rows:
        p = network["pipes"]
        InsertDevice(network, str(p["id"].iat[r]), p.geometry.iat[r].interpolate(0.5, normalized=True), "valves").redo()


def _submit(service, master, edit):
    edited = master.snapshot()
    edit(edited)
    return service.submit("test", diff_networks(master, edited), network_name=master.name)


def _assert_same(a, b, *, exact: bool, tol_pa: float = 0.05):
    assert np.array_equal(a.node_ids, b.node_ids) and np.array_equal(a.link_ids, b.link_ids)
    for name in ARRAYS:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if exact or x.dtype.kind in "bi":
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
        else:
            assert np.array_equal(np.isnan(x), np.isnan(y)), name
            scale = tol_pa if "pressure" in name else 1e-3
            assert np.nanmax(np.abs(x - y)) <= scale, (name, np.nanmax(np.abs(x - y)))
    assert list(a.regulator_state.astype(str)) == list(b.regulator_state.astype(str))
    assert [(s.pressure_class, s.n_nodes, s.supplied) for s in a.systems] == [
        (s.pressure_class, s.n_nodes, s.supplied) for s in b.systems
    ]
    assert {(v.kind, v.feature_id) for v in a.violations} == {(v.kind, v.feature_id) for v in b.violations}


def test_a_new_session_reuses_the_kept_steady_state_and_it_equals_a_fresh_solve(tmp_path, path, solves):
    first = EditingService(tmp_path / "changes")
    cs = _submit(first, read_network(path), lambda n: _valves(n, [10, 400]))
    effect1 = first.review_at(cs.change_id, path)
    assert first.master_solves == 1
    assert len(list((tmp_path / "cache").glob("steady-*.npz"))) == 1

    second = EditingService(tmp_path / "changes")  # a new session: nothing in memory
    before = solves["n"]
    effect2 = second.review_at(cs.change_id, path)
    assert second.master_solves == 0 and second.master_states_reused["disk"] == 1
    assert second.masters_opened == 1
    assert effect2.to_dict() == effect1.to_dict()
    assert solves["n"] == before  # the branch is solved in part (not by simulate); the master not at all
    master = second.master_at(path)
    _assert_same(second.steady_state(master, path), console.hydraulics.simulate(master), exact=True)


def test_a_changed_master_file_or_another_scenario_is_not_reused(tmp_path, path):
    first = EditingService(tmp_path / "changes")
    first.steady_state(first.master_at(path), path)
    assert first.master_solves == 1

    other = EditingService(tmp_path / "changes")
    scenario = SimulationRequest(demand=DemandOptions(demand_factor=1.3))
    got = other.steady_state(other.master_at(path), path, request=scenario)
    assert other.master_solves == 1 and got.request == scenario

    changed = read_network(path)
    SetAttribute(changed, "pipes", [str(changed["pipes"]["id"].iat[3])], "inner_diameter_mm", 41.0).redo()
    write_network(changed, path)
    third = EditingService(tmp_path / "changes")
    third.steady_state(third.master_at(path), path)
    assert third.master_solves == 1 and third.master_states_reused["disk"] == 0
    # and the design-demand state of the first file is still there for that file: four files at most
    assert len(list((tmp_path / "cache").glob("steady-*.npz"))) == 3


def test_a_corrupt_or_foreign_cache_file_is_ignored_with_a_log_line(tmp_path, path, demo_file, caplog):
    first = EditingService(tmp_path / "changes")
    first.steady_state(first.master_at(path), path)
    (kept,) = (tmp_path / "cache").glob("steady-*.npz")
    kept.write_bytes(b"PK\x03\x04 not a zip at all")
    second = EditingService(tmp_path / "changes")
    with caplog.at_level(logging.WARNING, logger="console.app.master_state"):
        state = second.steady_state(second.master_at(path), path)
    assert second.master_solves == 1 and second.store.rejected == 1
    assert "ignored" in caplog.text and kept.name in caplog.text
    assert state.convergence.converged

    # a valid file of another network put under this network's name: its digest and ids give it away
    other = generate_demo(n_pipes=600, seed=3)
    store = SteadyStateStore(tmp_path / "elsewhere")
    foreign = store.save(other, console.hydraulics.simulate(other), file_digest(demo_file))
    shutil.copyfile(foreign, kept)
    third = EditingService(tmp_path / "changes")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="console.app.master_state"):
        third.steady_state(third.master_at(path), path)
    assert third.master_solves == 1 and third.store.rejected == 1 and "ids are not the network's" in caplog.text


def test_after_approval_the_next_review_solves_no_master_and_a_new_session_finds_it(tmp_path, path, solves):
    service = EditingService(tmp_path / "changes")
    master0 = read_network(path)
    cs1 = _submit(service, master0, lambda n: _valves(n, [20, 700]))
    service.review_at(cs1.change_id, path)
    assert service.master_solves == 1
    master = service.master_at(path).snapshot()  # approve onto a copy, as the console does
    service.approve(cs1.change_id, master, commit=lambda net, changes: write_network(net, path))
    service.committed(path, master)
    assert service.master_states_reused["approval"] == 1

    cs2 = _submit(service, master, lambda n: _valves(n, [900]))
    service.review_at(cs2.change_id, path)
    assert service.master_solves == 1  # the committed master's state is the reviewed branch's

    fresh = console.hydraulics.simulate(read_network(path))
    carried = service.steady_state(service.master_at(path), path)
    _assert_same(carried, fresh, exact=False)

    new_session = EditingService(tmp_path / "changes")
    new_session.review_at(cs2.change_id, path)
    assert new_session.master_solves == 0 and new_session.master_states_reused["disk"] == 1


def test_approval_with_resolutions_or_another_change_set_does_not_carry_a_state_over(tmp_path, path):
    service = EditingService(tmp_path / "changes")
    master0 = read_network(path)
    cs1 = _submit(service, master0, lambda n: _valves(n, [20]))
    cs2 = _submit(service, master0, lambda n: _valves(n, [300]))
    service.review_at(cs1.change_id, path)  # cs1 reviewed, cs2 approved: cs1's branch is not the new master
    master = service.master_at(path).snapshot()
    service.approve(cs2.change_id, master, commit=lambda net, changes: write_network(net, path))
    service.committed(path, master)
    assert service.master_states_reused["approval"] == 0
    service.steady_state(service.master_at(path), path)
    assert service.master_solves == 2


def test_the_simulators_solution_of_the_network_as_opened_is_reused(tmp_path, path, solves):
    network = read_network(path)
    service = EditingService(tmp_path / "changes")
    service.start(network, source=path)
    simulation = SimulationService()
    simulation.simulate(network=network)
    service.solution_provider = lambda: simulation.run
    before = solves["n"]
    state = service.steady_state(service.prefetch(path), path)  # cached on the master by the prefetch
    assert service.master_solves == 0 and service.master_states_reused["simulator"] == 1 and solves["n"] == before
    _assert_same(state, simulation.run.result, exact=True)
    # and it is kept for the next session
    assert EditingService(tmp_path / "changes").prefetch(path) is not None

    # an edited network's solution is not the master's
    other = EditingService(tmp_path / "changes2", state_dir=tmp_path / "cache2")
    other.start(network, source=path)
    SetAttribute(network, "pipes", [str(network["pipes"]["id"].iat[5])], "inner_diameter_mm", 40.0).redo()
    simulation.simulate(network=network)
    other.solution_provider = lambda: simulation.run
    other.prefetch(path)
    assert other.master_solves == 1 and other.master_states_reused["simulator"] == 0
