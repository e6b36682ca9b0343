"""EPANET import, checked against wntr's own reading of the same files (wntr converts to SI units)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
import wntr
from pyproj import CRS

from console.io import read_network
from console.io._epanet import epanet_crs


@pytest.fixture(scope="module", params=["Net3.inp", "Net6.inp", "ky4.inp"])
def pair(request, wntr_networks):
    path = wntr_networks / request.param
    return read_network(path), wntr.network.WaterNetworkModel(str(path))


def test_counts_match_wntr(pair):
    net, wn = pair
    counts = net.counts()
    assert counts["junctions"] == wn.num_junctions
    assert counts["gate_stations"] == wn.num_reservoirs + wn.num_tanks
    assert counts["pipes"] == wn.num_pipes
    assert counts["valves"] == wn.num_valves
    assert counts["links"] == wn.num_pumps and (net["links"]["kind"] == "pump").all()
    kinds = net["gate_stations"]["epanet_kind"].value_counts()
    assert kinds.get("reservoir", 0) == wn.num_reservoirs and kinds.get("tank", 0) == wn.num_tanks


def test_coordinates_and_values_match_wntr(pair):
    net, wn = pair
    assert net.crs == epanet_crs()
    for layer in ("junctions", "gate_stations"):
        frame = net[layer]
        mine = shapely.get_coordinates(np.asarray(frame.geometry.array, dtype=object))
        theirs = np.array([wn.get_node(i).coordinates for i in frame["id"]])
        np.testing.assert_array_equal(mine, theirs)  # BACKDROP UNITS None: drawing units taken as they are
    junctions = net["junctions"]
    np.testing.assert_allclose(junctions["elevation_m"], [wn.get_node(i).elevation for i in junctions["id"]])
    pipes = net["pipes"]
    links = [wn.get_link(i) for i in pipes["epanet_id"]]
    np.testing.assert_allclose(pipes["length_m"], [p.length for p in links], rtol=1e-12)
    np.testing.assert_allclose(pipes["inner_diameter_mm"], [p.diameter * 1000 for p in links], rtol=1e-12)
    np.testing.assert_allclose(pipes["roughness_hw_c"], [p.roughness for p in links])
    assert (pipes["from_node"].tolist(), pipes["to_node"].tolist()) == (
        [p.start_node_name for p in links],
        [p.end_node_name for p in links],
    )
    assert (pipes["roughness_mm"] == 0.05).all() and (pipes["pressure_class"] == "MP-B").all()


def test_pipes_run_through_vertices(pair):
    net, wn = pair
    pipes = net["pipes"]
    for epanet_id, geometry in zip(pipes["epanet_id"], pipes.geometry, strict=True):
        link = wn.get_link(epanet_id)
        expected = [link.start_node.coordinates, *link.vertices, link.end_node.coordinates]
        np.testing.assert_array_equal(shapely.get_coordinates(geometry), np.asarray(expected, dtype=float))


def test_topology_connected_like_wntr(pair):
    net, wn = pair
    topo = net.topology
    assert (topo.link_from >= 0).all() and (topo.link_to >= 0).all()
    assert topo.n_components == nx.number_connected_components(wn.to_graph().to_undirected()) == 1


def test_net3_ids_and_status(wntr_networks):
    """Net3 has junction 10 and pump 10: the pump becomes pump:10; [STATUS] closes it."""
    net = read_network(wntr_networks / "Net3.inp")
    pump = net.feature("pump:10")
    assert (pump["epanet_id"], pump["from_node"], pump["to_node"]) == ("10", "Lake", "10")
    assert pump["epanet_status"] == "CLOSED"
    assert net.feature("10")["layer"] == "junctions"
    assert net.feature("335")["epanet_status"] == "OPEN"
    ids = np.concatenate([f["id"].to_numpy(dtype=object) for f in net.layers.values()])
    assert len(set(ids)) == len(ids)
    pipe = net.feature("pipe:101")  # junction 101 exists too; 14200 ft of 18 in pipe, C = 110
    assert pipe["epanet_id"] == "101" and pipe["roughness_hw_c"] == 110
    assert pipe["length_m"] == pytest.approx(14200 * 0.3048)
    assert pipe["inner_diameter_mm"] == pytest.approx(18 * 25.4) and pipe["dn"] == 457
    assert net.name == "EPANET Example Network 3"
    assert net["gate_stations"].set_index("id").loc["1", "head_m"] == pytest.approx((131.9 + 13.1) * 0.3048)


SI_INP = """\
[TITLE]
SI test ; with a comment
[OPTIONS]
 UNITS\tLPS
 Headloss D-W
[JUNCTIONS]
;ID  Elev  Demand
 A\t10.5\t1
 B    12   0   ; trailing comment

 C 14
[RESERVOIRS]
 R 30
[PIPES]
 P1 R A 100 150 0.1 0 Open
 P2 A B 200.5 100 0.05 0 CV
 "P 3" B C 50 100 0.05
[VALVES]
 V1 C D 80 PRV 25
[JUNCTIONS]
 D 9
[STATUS]
 V1 Closed
[COORDINATES]
 A 0 0
 B 100 0
 C 100 100
 D 100 200
 R -100 0
[VERTICES]
 P2 50 10
 P2 70 -10
[BACKDROP]
 UNITS FEET
[END]
[PIPES]
 ignored after END
"""


def test_si_units_feet_backdrop_and_tolerant_syntax(tmp_path):
    path = tmp_path / "si.inp"
    path.write_text(SI_INP, encoding="utf-8")
    net = read_network(path, pressure_class="LP")
    assert net.name == "SI test"
    assert net.counts()["junctions"] == 4 and net.counts()["pipes"] == 3 and net.counts()["valves"] == 1
    ft = 0.3048
    b = net["junctions"].set_index("id").geometry["B"]
    assert (b.x, b.y) == pytest.approx((100 * ft, 0.0))  # [BACKDROP] UNITS FEET → metres
    p2 = net.feature("P2")
    assert (p2["length_m"], p2["inner_diameter_mm"], p2["roughness_mm"]) == (200.5, 100.0, 0.05)  # SI, D-W in mm
    assert p2["epanet_status"] == "CV" and p2["pressure_class"] == "LP"
    coords = shapely.get_coordinates(net["pipes"].set_index("id").geometry["P2"])
    np.testing.assert_allclose(coords, np.array([[0, 0], [50, 10], [70, -10], [100, 0]]) * ft)
    assert net.feature("P 3")["to_node"] == "C"
    valve = net.feature("V1")
    assert (valve["normal_position"], valve["epanet_type"], valve["dn"]) == ("closed", "PRV", 80)
    v = net["valves"].geometry.iloc[0]
    assert (v.x, v.y) == pytest.approx((100 * ft, 150 * ft))
    source = net.feature("R")
    assert source["supply_pressure_mpa"] == 0.01  # the upper bound of LP
    assert source["head_m"] == 30.0 and source["elevation_m"] == 30.0
    assert net.topology.n_components == 1


def test_epanet_crs_option(wntr_networks):
    net = read_network(wntr_networks / "Net3.inp", crs="EPSG:4529", supply_pressure_mpa=0.35)
    assert net.crs == CRS.from_epsg(4529)
    assert (net["gate_stations"]["supply_pressure_mpa"] == 0.35).all()


@pytest.mark.parametrize(
    ("links", "counts"),
    [
        ("", {"pipes": 0, "valves": 0, "links": 0}),
        ("[PUMPS]\n PU R J1 HEAD 1\n", {"pipes": 0, "valves": 0, "links": 1}),
        ("[VALVES]\n V R J1 100 TCV 5\n", {"pipes": 0, "valves": 1, "links": 0}),
    ],
)
def test_networks_without_some_link_kinds(tmp_path, links, counts):
    path = tmp_path / "small.inp"
    path.write_text(f"[RESERVOIRS]\n R 10\n[JUNCTIONS]\n J1 10\n{links}[COORDINATES]\n J1 0 0\n R 5 5\n")
    net = read_network(path)
    assert {k: net.counts()[k] for k in counts} == counts
    assert net.topology.n_components == (2 if not links else 1)


EPANET22 = """\
[TITLE]
EPANET 2.2 features
[JUNCTIONS]
 J1 10 5
 J2 10 5
 J3 10 5
[RESERVOIRS]
 R 30
[PIPES]
 P1 J1 J2 100 150 100 0 Closed
 P2 J1 J3 100 150 100
 P3 J2 J3 100 150 100
[PUMPS]
 PU R J1 HEAD C1
 PU2 R J1 POWER 5
[VALVES]
 V1 J2 J3 100 GPV C1 0
[DEMANDS]
 J1 5 PAT1
[PATTERNS]
 PAT1 1 1.2 0.8
[CURVES]
 C1 100 50
[CONTROLS]
 LINK PU CLOSED IF NODE J1 ABOVE 20
[RULES]
RULE 1
IF TANK T1 LEVEL ABOVE 19
THEN PUMP PU STATUS IS CLOSED
[ENERGY]
 Global Efficiency 75
[EMITTERS]
 J3 0.1
[QUALITY]
 J1 0.5
[SOURCES]
 J1 CONCEN 1
[REACTIONS]
 Order Bulk 1
[MIXING]
[TIMES]
 Duration 24:00
[REPORT]
 Status Yes
[TAGS]
 NODE J1 North
[LABELS]
 50 50 "Pump station"
[STATUS]
 PU Closed
 P3 CLOSED
[COORDINATES]
 J1 0 0
 J2 100 0
 J3 0 100
 R -100 0
[VERTICES]
 PU -50 20
 V1 60 60
 P2 -10 50
[END]
"""


def test_epanet_22_vertices_on_every_link_kind_and_statuses_on_every_link(tmp_path):
    path = tmp_path / "net22.inp"
    path.write_text(EPANET22, encoding="utf-8")
    net = read_network(path)
    assert net.counts()["pipes"] == 3 and net.counts()["links"] == 2 and net.counts()["valves"] == 1
    # Pumps run through their vertices; a valve is a point, its vertices accepted.
    pump = net["links"].set_index("id").geometry["PU"]
    np.testing.assert_allclose(shapely.get_coordinates(pump), [[-100, 0], [-50, 20], [0, 0]])
    # CLOSED in [PIPES] and in [STATUS]: shut, in place; a CLOSED pump too; the others as EPANET starts them.
    status = net["pipes"].set_index("id")["status"].astype(str).to_dict()
    assert status == {"P1": "closed", "P2": "in_service", "P3": "closed"}
    position = net["links"].set_index("id")["normal_position"].astype(str).to_dict()
    assert position == {"PU": "closed", "PU2": "open"}


def test_a_closed_epanet_pipe_carries_no_gas(tmp_path):
    from console.hydraulics import simulate

    path = tmp_path / "net22.inp"
    path.write_text(EPANET22, encoding="utf-8")
    net = read_network(path)
    result = simulate(net)
    flows = dict(zip(result.link_ids[: result.n_pipes], result.pipe_flow_nm3h, strict=True))
    assert flows["P1"] == 0.0 and flows["P3"] == 0.0


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (" J2 100 0\n", " J2 1e300 0\n", "[COORDINATES]: coordinates beyond ±1e+08 drawing units for J2"),
        (" J2 100 0\n", " J2 inf 0\n", "J2: X 'inf' is not a finite number"),
        (" PU -50 20\n", " PU -50 1e200\n", "[VERTICES]: coordinates beyond ±1e+08 drawing units for PU"),
        (" P2 J1 J3 100 150 100\n", " P2 J1 J3 100 -150 100\n", "pipe P2: diameter '-150' must be positive"),
        (" P2 J1 J3 100 150 100\n", " P2 J1 J3 0 150 100\n", "pipe P2: length '0' must be positive"),
        (" P2 J1 J3 100 150 100\n", " P2 J1 J3 1e999 150 100\n", "P2: length '1e999' is not a finite number"),
        (" V1 60 60\n", " NOPE 60 60\n", "[VERTICES] line"),
    ],
)
def test_impossible_epanet_values_are_errors_naming_the_feature(tmp_path, old, new, problem):
    from console.errors import NetworkFileError

    path = tmp_path / "bad.inp"
    assert old in EPANET22
    path.write_text(EPANET22.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(NetworkFileError) as info:
        read_network(path)
    assert problem in str(info.value) and "bad.inp" in str(info.value)


@pytest.mark.parametrize("name", ["Net1.inp", "Net2.inp", "Net3.inp", "Net6.inp", "ky4.inp", "ky10.inp"])
def test_every_wntr_network_opens_with_every_link(wntr_networks, name):
    model = wntr.network.WaterNetworkModel(str(wntr_networks / name))
    net = read_network(wntr_networks / name)
    assert net.counts()["pipes"] == model.num_pipes and net.counts()["links"] == model.num_pumps
    assert net.counts()["valves"] == model.num_valves
    closed = {n for n, p in model.pipes() if str(p.initial_status).upper() == "CLOSED"}
    assert set(net["pipes"].loc[net["pipes"]["status"] == "closed", "epanet_id"]) == closed
