"""The review's valve-segment effect, computed on the region a change set reaches, equals the one computed from both
networks' whole segmentations (``_segments_full``) — on random edit sessions of a small meshed network with
customers, valves, a regulator and pipes out of service, and on the demo district."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.app.review import ReviewEffect, _segments, _segments_full
from console.network import DeleteFeatures, EditRefused, InsertDevice, SetAttribute, diff_networks, generate_demo
from tests.builders import make_network
from tests.network.test_edits_property import _random_edit

FIELDS = (
    "segments_before",
    "segments_after",
    "segments_split",
    "segments_merged",
    "valves_made_useless",
    "customers_isolation_changed",
)


def _network():
    """Gate station, a 4x3 mesh of junctions, valves on two mains, a regulator to an LP spur, customers on service
    pipes, one pipe (main to the LP spur) abandoned."""
    nodes = [("G", "gate_stations", -100, 0)]
    nodes += [(f"J{i}{j}", "junctions", 100 * i, 100 * j) for i in range(4) for j in range(3)]
    nodes += [("VA", "junctions", 150, 0), ("VB", "junctions", 150.5, 0), ("WA", "junctions", 250, 200)]
    nodes += [("WB", "junctions", 250.5, 200), ("RA", "junctions", 300, 300), ("RB", "junctions", 300.5, 300)]
    nodes += [("L1", "junctions", 400, 300), ("E", "end_caps", 500, 300)]
    nodes += [(f"C{k}", "customers", 100 * (k % 4) + 30, 100 * (k % 3) + 30) for k in range(8)]
    nodes += [("C8", "customers", 430, 330), ("C9", "customers", 470, 330)]
    links = [("P0", "pipes", "G", "J00")]
    k = 1
    for i in range(4):
        for j in range(3):
            if i < 3 and not (i == 1 and j == 0) and not (i == 2 and j == 2):
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i + 1}{j}"))
                k += 1
            if j < 2:
                links.append((f"P{k}", "pipes", f"J{i}{j}", f"J{i}{j + 1}"))
                k += 1
    links += [
        ("PA1", "pipes", "J10", "VA"), ("V1", "valves", "VA", "VB"), ("PA2", "pipes", "VB", "J20"),
        ("PB1", "pipes", "J22", "WA"), ("V2", "valves", "WA", "WB"), ("PB2", "pipes", "WB", "J32"),
        ("PR", "pipes", "J32", "RA"), ("R1", "regulators", "RA", "RB"),
        ("PL1", "pipes", "RB", "L1", {"pressure_class": "LP"}), ("PL2", "pipes", "L1", "E", {"pressure_class": "LP"}),
        ("PX", "pipes", "J01", "L1", {"status": "abandoned"}),
    ]  # fmt: skip
    links += [(f"SP{k}", "pipes", f"J{k % 4}{k % 3}", f"C{k}") for k in range(8)]
    links += [("SP8", "pipes", "L1", "C8", {"pressure_class": "LP"}), ("SP9", "pipes", "L1", "C9")]
    return make_network(nodes, links)


def _both(master, branch):
    changes = diff_networks(master, branch)
    local, full = ReviewEffect(), ReviewEffect()
    _segments(master, branch, local, changes)
    _segments_full(master, branch, full)
    return {f: getattr(local, f) for f in FIELDS}, {f: getattr(full, f) for f in FIELDS}


def _more_edit(net, draw):
    """Edits the generic strategy has not: status and valve changes, deleting a valve or a customer, a device on a
    service pipe."""
    kind = draw(st.sampled_from(["status", "valve", "service", "customer"]))
    pipes = net["pipes"]["id"].tolist()
    if kind == "status":
        chosen = draw(st.lists(st.sampled_from(pipes), min_size=1, max_size=3, unique=True))
        return SetAttribute(net, "pipes", chosen, "status", draw(st.sampled_from(["in_service", "abandoned"])))
    if kind == "valve" and len(net["valves"]):
        return DeleteFeatures(net, [draw(st.sampled_from(net["valves"]["id"].tolist()))])
    if kind == "customer" and len(net["customers"]):
        return DeleteFeatures(net, [draw(st.sampled_from(net["customers"]["id"].tolist()))])
    service = [p for p in pipes if p.startswith("SP")] or pipes
    pid = draw(st.sampled_from(service))
    at = net.feature(pid)["geometry"].interpolate(draw(st.floats(0.2, 0.8)), normalized=True)
    return InsertDevice(net, pid, at, draw(st.sampled_from(["valves", "regulators", "end_caps"])))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_region_effect_equals_the_whole_network_one_on_random_edits(data):
    master = _network()
    if data.draw(st.booleans()):  # a master whose derived structures are already cached (as in the console)
        _segments_full(master, master.snapshot(), ReviewEffect())
    branch = master.snapshot()
    for _ in range(data.draw(st.integers(1, 6))):
        try:
            edit = (_more_edit if data.draw(st.booleans()) else _random_edit)(branch, data.draw)
            edit.redo()
        except EditRefused:
            continue
    local, full = _both(master, branch)
    assert local == full


def test_no_change_no_effect():
    master = _network()
    local, full = _both(master, master.snapshot())
    assert local == full
    assert local["segments_split"] == local["segments_merged"] == 0 and local["customers_isolation_changed"] == []


def test_the_region_effect_on_the_demo_district():
    master = generate_demo(n_pipes=3000, seed=7)
    branch = master.snapshot()
    rng = np.random.default_rng(3)
    pipes = master["pipes"]
    for r in rng.choice(len(pipes), 12, replace=False):
        g = pipes.geometry.iat[r]
        InsertDevice(branch, str(pipes["id"].iat[r]), g.interpolate(0.5, normalized=True), "valves").redo()
    valves = branch["valves"]["id"].tolist()
    DeleteFeatures(branch, valves[:3]).redo()
    SetAttribute(branch, "pipes", branch["pipes"]["id"].tolist()[100:110], "status", "abandoned").redo()
    local, full = _both(master, branch)
    assert local == full
    assert local["segments_split"] > 0 and local["segments_after"] != local["segments_before"]


def test_a_pipe_put_back_in_service_merges_segments_the_change_does_not_name():
    # the change names PX and its status only: the two segments it joins are found by growing the region
    master = _network()
    branch = master.snapshot()
    SetAttribute(branch, "pipes", ["PX"], "status", "in_service").redo()
    local, full = _both(master, branch)
    assert local == full
    assert local["segments_merged"] == 1 and local["segments_after"] == local["segments_before"] - 1
    assert "C8" in local["customers_isolation_changed"] and "C0" in local["customers_isolation_changed"]


def test_customers_added_and_deleted():
    master = _network()
    branch = master.snapshot()
    ox, oy = 41_405_000.0, 3_320_000.0
    customer = make_network([("CN", "customers", 460, 260)], crs=4529)["customers"]
    branch.add_features("customers", customer)
    line = shapely.LineString([(ox + 400, oy + 300), (ox + 460, oy + 260)])
    service = make_network(
        [("L1", "junctions", 400, 300), ("CN", "customers", 460, 260)], [("SPN", "pipes", "L1", "CN")]
    )["pipes"]
    assert service.geometry.iat[0].equals(line)
    branch.add_features("pipes", service)
    DeleteFeatures(branch, ["SP3"]).redo()  # the service pipe; C3 stays as an isolated node
    DeleteFeatures(branch, ["C3"]).redo()
    local, full = _both(master, branch)
    assert local == full
    assert "CN" in local["customers_isolation_changed"] and "C8" in local["customers_isolation_changed"]
    assert "C3" not in local["customers_isolation_changed"]


def test_the_pressure_systems_a_change_set_reaches_are_marked():
    """A change set in one low-pressure system: that system is re-solved on the branch (``reached``), the others are
    the master's; the UI lists the reached and the changed systems and counts the rest."""
    from console.app.review import review_effect
    from console.hydraulics import simulate
    from console.ui.editing._review import effect_text

    master = generate_demo(n_pipes=3000, seed=7)
    base = simulate(master)
    pipes = master["pipes"]
    lp = np.flatnonzero(pipes["pressure_class"].astype(str).to_numpy() == "LP")
    row = int(lp[len(lp) // 2])
    pid = str(pipes["id"].iat[row])
    branch = master.snapshot()
    SetAttribute(branch, "pipes", [pid], "dn", int(pipes["dn"].iat[row]) + 50).redo()
    effect = review_effect(master, branch)
    system = int(base.node_system[master.topology.node_index([str(pipes["from_node"].iat[row])])[0]])
    name = next(s for s in base.systems if s.system_id == system)
    reached = [p for p in effect.pressures if p.reached]
    assert 1 <= len(reached) < len(effect.pressures)
    assert any(p.system in ", ".join(name.fed_by) or name.fed_by[0] in p.system for p in reached)
    text = effect_text(effect)
    listed = [line for line in text.splitlines() if line.startswith("  ") and "kPa" in line]
    changed = [p for p in effect.pressures if f"{p.min_before_kpa:.2f}" != f"{p.min_after_kpa:.2f}"]
    assert len(listed) == len({p.system for p in reached} | {p.system for p in changed})
    assert f"{len(changed)} changed, {len(effect.pressures) - len(changed)} unchanged" in text
