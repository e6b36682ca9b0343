"""The simulation workflow (水力计算) without a QApplication: runs, what-if, contours, live correction, job currency."""

from __future__ import annotations

import queue

import numpy as np
import pytest

from console.app.jobs import JobRunner, Jobs
from console.app.simulation import (
    ContourField,
    SimulationNotReadyError,
    SimulationRun,
    SimulationService,
    contour_bounds,
    run_contours,
)
from console.hydraulics import (
    DemandOptions,
    InfeasibleError,
    SimulationRequest,
    pressure_contours,
    simulate,
    what_if,
    with_live_pressures,
)
from console.network import generate_demo
from tests.builders import make_network

ALL_ONE = DemandOptions(simultaneity={c: 1.0 for c in ("residential", "commercial", "industrial", "special")})
# A loop G→J→C and G→K→V→K2→C: closing valve V leaves C fed through one side only.
LOOP_NODES = [("G", "gate_stations", 0, 0), ("J", "junctions", 500, 0), ("K", "junctions", 0, 500),
              ("C", "customers", 500, 500, {"peak_demand_nm3h": 400.0}), ("K2", "junctions", 0, 501)]  # fmt: skip
LOOP_LINKS = [("A", "pipes", "G", "J"), ("B", "pipes", "J", "C"), ("D", "pipes", "G", "K"),
              ("V", "valves", "K", "K2"), ("E", "pipes", "K2", "C")]  # fmt: skip


@pytest.fixture(scope="module")
def demo():
    return generate_demo(3000, seed=5)


class Recorder:
    """Every signal of a service, in order, as (name, argument)."""

    NAMES = ("run_changed", "what_if_changed", "contours_changed", "started", "busy_changed", "failed", "cancelled")

    def __init__(self, service: SimulationService) -> None:
        self.events: list[tuple[str, object]] = []
        for name in self.NAMES:
            getattr(service, name).connect(lambda arg, name=name: self.events.append((name, arg)))

    def of(self, name: str) -> list:
        return [arg for n, arg in self.events if n == name]


class Deferred:
    """Threaded jobs whose outcomes wait in a queue until :meth:`deliver` (the main thread's event loop, by hand)."""

    def __init__(self) -> None:
        self.posted: queue.Queue = queue.Queue()
        self.jobs = Jobs(JobRunner(max_workers=2), post=self.posted.put)

    def deliver(self, *handles) -> None:
        for h in handles:
            h.future.exception(timeout=60)  # finished (or cancelled) in its worker
        while not self.posted.empty():
            self.posted.get()()


# -- simulate ---------------------------------------------------------------------------------------------------------
def test_simulate_the_demo_gives_the_direct_solve_and_announces_it(demo):
    service = SimulationService()
    rec = Recorder(service)
    handle = service.simulate(network=demo)
    assert handle.done and not service.busy
    direct = simulate(demo, SimulationRequest())
    run = service.run
    assert isinstance(run, SimulationRun) and run.source is demo and run.version == demo.version
    np.testing.assert_allclose(run.result.node_pressure_pa, direct.node_pressure_pa, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(run.result.pipe_flow_nm3h, direct.pipe_flow_nm3h, rtol=1e-9, atol=1e-9)
    assert run.styles == {}  # no style hook: nothing derived
    # set_network(demo) forgets (None), then the run starts, ends and is shown.
    assert [n for n, _ in rec.events] == ["run_changed", "started", "busy_changed", "busy_changed", "run_changed"]
    assert rec.of("started") == [f"Simulating {demo.name}…"] and rec.of("busy_changed") == [True, False]
    assert rec.of("run_changed")[-1] is run


def test_the_request_and_the_style_hook_go_into_the_job(demo):
    seen = []
    service = SimulationService(style_run=lambda net, result: seen.append(net) or {"pressure": len(result.node_ids)})
    service.simulate(SimulationRequest(law="renouard", demand=DemandOptions(demand_factor=0.5)), network=demo)
    result = service.run.result
    assert result.request.law.value == "renouard" and result.request.demand.demand_factor == 0.5
    assert seen == [service.run.network] and service.run.network is not demo  # a snapshot, not the live network
    assert service.run.styles == {"pressure": len(result.node_ids)}


def test_an_infeasible_network_fails_with_the_nodes_named():
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.1}),
             ("C", "customers", 5000, 0, {"peak_demand_nm3h": 20_000.0})]  # fmt: skip
    net = make_network(nodes, [("P", "pipes", "G", "C", {"dn": 50, "inner_diameter_mm": 50.0})])
    service = SimulationService()
    rec = Recorder(service)
    service.simulate(network=net)
    (exc,) = rec.of("failed")
    assert isinstance(exc, InfeasibleError) and list(exc.node_ids) == ["C"]
    assert service.run is None and rec.of("busy_changed") == [True, False]


def test_verbs_without_what_they_need_fail_with_what_to_do(demo):
    service = SimulationService()
    rec = Recorder(service)
    assert service.simulate() is None
    assert service.compare("V-00001") is None
    service.set_network(demo)
    assert service.compare(" , ;") is None
    messages = [str(e) for e in rec.of("failed")]
    assert all(isinstance(e, SimulationNotReadyError) for e in rec.of("failed"))
    assert messages == ["Open a network first (File › Open)", "Simulate the base case first (F5)",
                        "Name the valves to close (comma separated) or add the selected one"]  # fmt: skip


def test_another_network_forgets_the_run_and_the_same_one_keeps_it(demo):
    service = SimulationService()
    service.simulate(network=demo)
    run = service.run
    service.set_network(demo)
    assert service.run is run
    rec = Recorder(service)
    service.set_network(make_network(LOOP_NODES, LOOP_LINKS))
    assert service.run is None and rec.of("run_changed") == [None]


# -- what-if ----------------------------------------------------------------------------------------------------------
def test_closing_a_valve_drops_the_pressure_behind_it_as_a_direct_what_if_says():
    net = make_network(LOOP_NODES, LOOP_LINKS)
    request = SimulationRequest(demand=ALL_ONE)
    service = SimulationService(style_what_if=lambda base, scenario: "diff style")
    service.simulate(request, network=net)
    rec = Recorder(service)
    service.compare("V")
    out = service.what_if
    assert rec.of("what_if_changed") == [out] and out.closed == ("V",) and out.style == "diff style"
    assert out.base is service.run.result and out.scenario.request.closed == ("V",)
    i = {n: k for k, n in enumerate(out.base.node_ids)}
    assert out.diff.node_dp_pa[i["C"]] < 0 and out.diff.max_drop_node_id == "K2"
    base, scenario, diff = what_if(net, ["V"], request)
    np.testing.assert_allclose(out.scenario.node_pressure_pa, scenario.node_pressure_pa, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(out.diff.node_dp_pa, diff.node_dp_pa, rtol=1e-9, atol=1e-6)
    # A new run forgets the what-if.
    service.simulate(request)
    assert service.what_if is None


def test_what_if_on_the_demo_matches_a_direct_call(demo):
    service = SimulationService()
    service.simulate(network=demo)
    valves = demo["valves"]["id"].tolist()[:2]
    service.compare(", ".join(valves))
    _, scenario, diff = what_if(demo, valves, base=service.run.result)
    np.testing.assert_allclose(service.what_if.scenario.node_pressure_pa, scenario.node_pressure_pa, atol=1e-6)
    assert service.what_if.diff.max_drop_pa == pytest.approx(diff.max_drop_pa, abs=1e-6)


def test_an_unknown_valve_fails_on_one_line(demo):
    service = SimulationService()
    service.simulate(network=demo)
    rec = Recorder(service)
    service.compare(["NO-SUCH-VALVE"])
    (exc,) = rec.of("failed")
    assert "NO-SUCH-VALVE" in str(exc) and "\n" not in str(exc) and service.what_if is None


# -- contours ---------------------------------------------------------------------------------------------------------
def test_contours_of_a_box_are_those_of_the_box(demo):
    service = SimulationService()
    service.simulate(network=demo)
    x0, y0, x1, y1 = demo.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    view = (cx - 400, cy - 400, cx + 400, cy + 400)
    rec = Recorder(service)
    service.set_contours_visible(True, view=view)
    (field,) = rec.of("contours_changed")
    assert isinstance(field, ContourField) and field is service.contours
    assert field.bounds == contour_bounds(view, demo.bounds, None) == (cx - 800, cy - 800, cx + 800, cy + 800)
    assert not field.live and field.live_used == 0
    direct = pressure_contours(service.run.network, service.run.result, n_levels=10, bounds=field.bounds)
    assert field.contours.levels_by_class.keys() == direct.levels_by_class.keys()
    for cls, levels in direct.levels_by_class.items():
        np.testing.assert_allclose(field.contours.levels_by_class[cls], levels)
    # The same box still fits a view inside it: no new job; a view of the whole network contours everything.
    assert service.follow_view((cx - 350, cy - 350, cx + 350, cy + 350)) is None
    service.follow_view(demo.bounds)
    assert service.contours.bounds is None
    service.set_contours_visible(False)
    assert service.contours is None and rec.of("contours_changed")[-1] is None


def test_an_interval_gives_levels_on_its_multiples_and_a_new_run_recontours(demo):
    service = SimulationService()
    service.set_contours_visible(True)  # before any run: drawn once one arrives
    assert service.contours is None
    service.set_contour_options(interval_pa=500.0)
    service.simulate(network=demo)
    lp = service.contours.contours.for_class("LP")
    assert lp is not None and np.allclose(np.mod(lp.levels_pa, 500.0), 0.0)


# -- live correction ----------------------------------------------------------------------------------------------
class Readings:
    """A stand-in for the live session: readings of one network version and a version that grows."""

    def __init__(self, version: int, nodes, pa) -> None:
        self.network_version = version
        self.nodes, self.pa = np.asarray(nodes, dtype=np.int64), np.asarray(pa, dtype=float)
        self.live_version = 0
        self.asked: list = []

    def live_pressures(self, network_version=None):
        self.asked.append(network_version)
        if network_version is not None and network_version != self.network_version:
            return None
        return self.nodes, self.pa


def _lp_low_node(run) -> tuple[int, float]:
    """The supplied LP node with the lowest pressure."""
    result = run.result
    lp = [s for s in result.systems if s.supplied and s.pressure_class == "LP"]
    nid = min(lp, key=lambda s: s.min_pressure_pa).min_node_id
    k = list(result.node_ids).index(nid)
    return k, float(result.node_pressure_pa[k])


def test_live_readings_pull_the_field_towards_them(demo):
    service = SimulationService()
    service.simulate(network=demo)
    node, model_pa = _lp_low_node(service.run)
    measured = model_pa - 400.0
    live = Readings(demo.version, [node], [measured])
    service.live = live
    service.set_contours_visible(True)
    model_min = service.contours.contours.for_class("LP").levels_pa.min()
    service.set_contour_options(live=True)
    field = service.contours
    assert field.live and field.live_used == 1 and live.asked == [demo.version]
    assert field.contours.for_class("LP").levels_pa.min() < model_min  # the field dips towards the reading
    corrected, used = with_live_pressures(service.run.network, service.run.result, [node], [measured])
    assert used == 1 and abs(corrected.node_pressure_pa[node] - measured) < abs(model_pa - measured)
    direct, _ = run_contours(service.run.network, service.run.result, None, 10, None, ([node], [measured]))
    np.testing.assert_allclose(field.contours.for_class("LP").levels_pa, direct.for_class("LP").levels_pa)
    # Unchanged readings: no new job; newer ones: contoured again.
    assert service.refresh_live() is None
    live.live_version += 1
    assert service.refresh_live() is not None and len(live.asked) == 2


def test_a_callable_provider_and_readings_of_another_version(demo):
    service = SimulationService()
    service.simulate(network=demo)
    asked = []
    service.live = lambda version: asked.append(version)  # returns None: no readings for this version
    service.set_contour_options(live=True)
    service.set_contours_visible(True)
    assert service.contours.live and service.contours.live_used == 0 and asked == [demo.version]
    assert service.refresh_live() is not None and asked == [demo.version] * 2  # no version: always refreshed


# -- job currency -------------------------------------------------------------------------------------------------
def test_a_newer_run_supersedes_an_older_one(demo):
    deferred = Deferred()
    service = SimulationService(deferred.jobs)
    service.set_network(demo)
    rec = Recorder(service)
    try:
        first = service.simulate(SimulationRequest(demand=DemandOptions(demand_factor=1.0)))
        second = service.simulate(SimulationRequest(demand=DemandOptions(demand_factor=0.5)))
        assert first.superseded and service.busy
        deferred.deliver(first, second)
    finally:
        deferred.jobs.shutdown(wait=True)
    (run,) = [r for r in rec.of("run_changed") if r is not None]
    assert run is service.run and run.result.request.demand.demand_factor == 0.5
    assert rec.of("busy_changed") == [True, False] and rec.of("cancelled") == [] and not service.busy


def test_a_new_run_drops_the_what_if_under_way_without_a_cancelled_message(demo):
    deferred = Deferred()
    service = SimulationService(deferred.jobs)
    try:
        deferred.deliver(service.simulate(network=demo))
        base = service.run
        rec = Recorder(service)
        valve = demo["valves"]["id"].iloc[0]
        compare = service.compare([valve])
        run = service.simulate()
        deferred.deliver(compare, run)
    finally:
        deferred.jobs.shutdown(wait=True)
    assert rec.of("what_if_changed") == [] and service.what_if is None
    assert rec.of("cancelled") == [] and service.run is not base and rec.of("busy_changed")[-1] is False


def test_cancel_says_so_and_an_edit_during_the_solve_discards_the_result(demo):
    net = generate_demo(3000, seed=5)
    deferred = Deferred()
    service = SimulationService(deferred.jobs)
    rec = Recorder(service)
    try:
        handle = service.simulate(network=net)
        service.cancel()
        deferred.deliver(handle)
        assert rec.of("cancelled") == ["Cancelled"] and service.run is None and not service.busy
        handle = service.simulate()
        net.replace_layer("pipes", net["pipes"])  # an edit: the version moves on
        deferred.deliver(handle)
    finally:
        deferred.jobs.shutdown(wait=True)
    assert rec.of("cancelled")[-1] == "The network changed while simulating — simulate again"
    assert service.run is None and rec.of("busy_changed") == [True, False, True, False]
