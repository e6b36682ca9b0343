"""The demo district generator: deterministic, the size asked for, one network, and a believable gas system.

Invariants are checked on the default 30,000-pipe district (generated once per module, about a second); properties
that do not need the full size use small districts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from console.network import (
    LAYERS,
    SENSOR_UNITS,
    CustomerCategory,
    cgcs2000_gk3_crs,
    generate_demo,
    outside_area_of_use,
    to_lonlat,
    validate,
)
from console.network._crs import CGCS2000_GEOGRAPHIC
from console.network._demo import CENTRE_LONLAT
from console.network._demo_sizing import DESIGN_SIMULTANEITY, _polyline_length, _SupplyTree
from console.network._demo_streets import hop_depth, make_island, make_streets, mark_paths, subtree_sum


@pytest.fixture(scope="module")
def district():
    return generate_demo()


@pytest.fixture(scope="module")
def small():
    return generate_demo(3000, seed=11)


def _pipe_class_per_node(net) -> tuple[np.ndarray, np.ndarray]:
    """(number of distinct pipe classes at each node, the class code where there is exactly one, else -1)."""
    topo = net.topology
    rows = topo.layer_links("pipes")
    codes = net["pipes"]["pressure_class"].cat.codes.to_numpy().astype(np.int64)
    node = np.concatenate([topo.link_from[rows], topo.link_to[rows]])
    pairs = np.unique(np.column_stack([node, np.concatenate([codes, codes])]), axis=0)
    n_classes = np.bincount(pairs[:, 0], minlength=topo.n_nodes)
    node_class = np.full(topo.n_nodes, -1, np.int64)
    single = pairs[n_classes[pairs[:, 0]] == 1]
    node_class[single[:, 0]] = single[:, 1]
    return n_classes, node_class


def _code(net, value: str) -> int:
    return list(net["pipes"]["pressure_class"].cat.categories).index(value)


def _systems(net) -> np.ndarray:
    """Component of every node in the graph of pipes and valves (regulators left out): the pressure systems."""
    topo = net.topology
    rows = np.concatenate([topo.layer_links("pipes"), topo.layer_links("valves")])
    graph = coo_matrix((np.ones(len(rows)), (topo.link_from[rows], topo.link_to[rows])), shape=(topo.n_nodes,) * 2)
    return connected_components(graph, directed=False)[1]


# -- determinism and size ------------------------------------------------------------------------------------------


def test_same_arguments_give_the_same_network():
    a, b = generate_demo(2000, seed=5), generate_demo(2000, seed=5)
    for layer in LAYERS:
        fa, fb = a[layer], b[layer]
        pd.testing.assert_frame_equal(fa.drop(columns="geometry"), fb.drop(columns="geometry"), check_exact=True)
        assert np.array_equal(shapely.to_wkb(fa.geometry.array), shapely.to_wkb(fb.geometry.array)), layer


def test_different_seeds_give_different_networks():
    a, b = generate_demo(2000, seed=5), generate_demo(2000, seed=6)
    xa = shapely.get_coordinates(a["junctions"].geometry.array)
    xb = shapely.get_coordinates(b["junctions"].geometry.array)
    assert len(xa) != len(xb) or not np.allclose(xa, xb)
    assert set(a["customers"]["meter_id"]) != set(b["customers"]["meter_id"]) or len(a["customers"]) != len(
        b["customers"]
    )


@pytest.mark.parametrize("n_pipes", [600, 1500, 6000])
def test_pipe_count_is_close_to_the_target(n_pipes):
    net = generate_demo(n_pipes, seed=3)
    assert abs(len(net["pipes"]) - n_pipes) <= 0.02 * n_pipes
    assert net.topology.n_components == 1


def test_default_district_size(district):
    counts = district.counts()
    assert abs(counts["pipes"] - 30_000) <= 300
    assert counts["gate_stations"] == 1
    assert 50 <= counts["regulators"] <= 300
    assert counts["links"] == 0


def test_too_few_pipes_is_refused(capsys, tmp_path):
    from console.cli import main
    from console.errors import GasOpsError

    with pytest.raises(GasOpsError, match="needs at least 500 pipes"):
        generate_demo(100)
    # gasops demo --pipes 200: one line, exit 1, no traceback
    assert main(["demo", str(tmp_path / "small.gpkg"), "--pipes", "200"]) == 1
    err = capsys.readouterr().err
    assert "needs at least 500 pipes" in err and "(asked for 200)" in err and "Traceback" not in err


def test_progress_is_reported_from_start_to_finish():
    calls = []
    generate_demo(1000, seed=1, progress=lambda fraction, message: calls.append((fraction, message)))
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(calls) >= 4
    assert all(isinstance(m, str) and m for _, m in calls)


# -- one clean network ---------------------------------------------------------------------------------------------


def test_one_connected_network_that_validates_clean(district):
    assert district.topology.n_components == 1
    report = validate(district)
    assert report.ok, report.format_text()
    assert report.findings == ()


def test_ids_are_unique_across_layers_and_prefixed_by_layer(district):
    ids = pd.Series(np.concatenate([f["id"].to_numpy(dtype=object) for f in district.layers.values()]))
    assert ids.is_unique
    prefixes = {
        "junctions": "J-",
        "gate_stations": "GS-",
        "customers": "C-",
        "risers": "R-",
        "end_caps": "EC-",
        "pipes": "P-",
        "valves": "V-",
        "sensors": "S-",
    }
    for layer, prefix in prefixes.items():
        assert district[layer]["id"].str.startswith(prefix).all(), layer
    kinds = district["regulators"].set_index("id")["kind"].astype(str)
    assert kinds.index.str.startswith("RS-").tolist() == (kinds == "station").tolist()
    assert kinds.index.str.startswith("RX-").tolist() == (kinds == "box").tolist()


def test_pipe_ends_are_snapped_to_their_nodes(district):
    topo = district.topology
    pipes = district["pipes"]
    geoms = pipes.geometry.array
    rows = topo.layer_links("pipes")
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    assert np.array_equal(start, topo.node_xy[topo.link_from[rows]])
    assert np.array_equal(end, topo.node_xy[topo.link_to[rows]])
    np.testing.assert_allclose(pipes["length_m"], shapely.length(geoms), atol=1e-3)
    assert (pipes["length_m"] > 0.5).all()


def test_devices_sit_between_their_nodes(district):
    topo = district.topology
    for layer, most in (("valves", 1.5), ("regulators", 4.0)):
        rows = topo.layer_links(layer)
        at = shapely.get_coordinates(district[layer].geometry.array)
        a, b = topo.node_xy[topo.link_from[rows]], topo.node_xy[topo.link_to[rows]]
        np.testing.assert_allclose(at, 0.5 * (a + b), atol=1e-6)
        gap = np.hypot(*(a - b).T)
        assert (gap > 0.1).all() and (gap <= most + 1e-6).all(), layer


def test_everything_is_in_zhoushan_inside_the_crs_area_of_use(district):
    assert district.crs.to_epsg() == 4529  # CGCS2000 / 3-degree Gauss-Kruger zone 41
    for layer, frame in district.layers.items():
        if frame.empty:
            continue
        xy = shapely.get_coordinates(frame.geometry.array)
        assert not outside_area_of_use(district.crs, xy[:, 0], xy[:, 1]).any(), layer
    x0, y0, x1, y1 = district.bounds
    assert 41_300_000 < x0 < x1 < 41_500_000  # zone-prefixed eastings
    lon, lat = to_lonlat(district.crs, np.array([x0, x1]), np.array([y0, y1]))
    assert 122.0 < lon[0] < lon[1] < 122.45
    assert 29.88 < lat[0] < lat[1] < 30.12


def test_the_largest_benchmark_island_stays_inside_zone_41():
    crs = cgcs2000_gk3_crs(CENTRE_LONLAT[0])
    centre = Transformer.from_crs(CGCS2000_GEOGRAPHIC, crs, always_xy=True).transform(*CENTRE_LONLAT)
    for n_pipes in (1_000_000, 2_000_000):
        island = make_island(np.random.default_rng([2026, 1]), np.sqrt(n_pipes / 30_000), centre)
        coast = island.coast.outline()
        assert not outside_area_of_use(crs, coast[:, 0], coast[:, 1]).any(), n_pipes


# -- pressure systems ----------------------------------------------------------------------------------------------


def test_pressure_classes_never_meet_at_a_node(district):
    n_classes, node_class = _pipe_class_per_node(district)
    assert n_classes.max() == 1
    # Valves pass gas without reducing pressure: both sides are on one class.
    topo = district.topology
    rows = topo.layer_links("valves")
    a, b = node_class[topo.link_from[rows]], node_class[topo.link_to[rows]]
    both = (a >= 0) & (b >= 0)
    assert both.mean() > 0.95
    assert np.array_equal(a[both], b[both])
    assert set(district["pipes"]["pressure_class"].astype(str)) == {"MP-A", "LP"}


def test_every_regulator_takes_mp_a_and_delivers_low_pressure(district):
    _, node_class = _pipe_class_per_node(district)
    topo = district.topology
    regs = district["regulators"]
    rows = topo.layer_links("regulators")
    assert (node_class[topo.link_from[rows]] == _code(district, "MP-A")).all()
    assert (node_class[topo.link_to[rows]] == _code(district, "LP")).all()
    assert (regs["inlet_class"] == "MP-A").all() and (regs["outlet_class"] == "LP").all()
    p = regs["set_outlet_pressure_mpa"]
    assert ((p >= 0.002) & (p <= 0.005) & (p < 0.01)).all()  # LP distribution at 2–3 kPa, factories up to 5 kPa
    assert (regs["kind"] == "station").sum() >= 1 and (regs["kind"] == "box").sum() > (regs["kind"] == "station").sum()
    assert (regs["capacity_nm3h"] > 0).all()


def test_each_low_pressure_area_hangs_on_exactly_one_regulator(district):
    topo = district.topology
    system = _systems(district)
    rows = topo.layer_links("regulators")
    outlet_system = system[topo.link_to[rows]]
    inlet_system = system[topo.link_from[rows]]
    # Every LP pipe reaches a regulator outlet without passing a regulator, and no two regulators share an area.
    pipes = district["pipes"]
    lp = topo.layer_links("pipes")[(pipes["pressure_class"] == "LP").to_numpy()]
    assert np.isin(system[topo.link_from[lp]], outlet_system).all()
    assert len(np.unique(outlet_system)) == len(rows)
    # The whole MP-A system is one piece fed by the gate station, and it holds every regulator inlet.
    gate = topo.layer_nodes("gate_stations")
    assert (inlet_system == system[gate[0]]).all()
    assert not np.isin(outlet_system, inlet_system).any()


def test_mp_mains_run_beside_not_on_top_of_the_lp_mains(district):
    pipes = district["pipes"]
    geoms = np.asarray(pipes.geometry.array)
    inlets = set(district["regulators"]["from_node"])
    lp_main = geoms[((pipes["pressure_class"] == "LP") & (pipes["dn"] >= 63)).to_numpy()]
    mp = pipes["pressure_class"] == "MP-A"
    mp_main = geoms[(mp & ~pipes["to_node"].isin(inlets) & ~pipes["from_node"].isin(inlets)).to_numpy()]
    tree = shapely.STRtree(lp_main)
    assert len(tree.query(geoms[mp.to_numpy()], predicate="overlaps")[0]) == 0
    mids = shapely.line_interpolate_point(mp_main, 0.5, normalized=True)
    assert shapely.distance(mids, lp_main[tree.nearest(mids)]).min() > 2.0
    # LP mains follow a planar street graph: they meet only at nodes.
    assert len(tree.query(lp_main, predicate="crosses")[0]) == 0


# -- valves --------------------------------------------------------------------------------------------------------


def test_valve_share_and_states_are_plausible(district):
    valves = district["valves"]
    n_pipes = len(district["pipes"])
    assert 0.02 <= len(valves) / n_pipes <= 0.10  # valves per pipe, services included
    closed = valves["normal_position"] == "closed"
    assert 1 <= closed.sum() <= 0.05 * len(valves)  # MP ring tie valves
    assert 0.005 <= (~valves["operable"]).mean() <= 0.08
    assert 0.005 <= (~valves["accessible"]).mean() <= 0.08
    assert valves["remote_controlled"].sum() >= 2
    assert not (valves["remote_controlled"] & ~valves["operable"]).any()
    # Valve type follows the pipe: ball valves on PE, gate or plug valves on steel and iron.
    assert set(valves["valve_type"].astype(str)) <= {"ball", "gate", "plug"}
    assert (valves["dn"] >= 25).all() and (valves["dn"] <= 600).all()  # up to the gate station's trunk main


def test_valves_on_every_branch_leaving_an_mp_junction(district):
    topo = district.topology
    _, node_class = _pipe_class_per_node(district)
    valve_links = topo.layer_links("valves")
    is_valve = np.zeros(topo.n_links, bool)
    is_valve[valve_links] = True
    mp_nodes = np.flatnonzero(node_class == _code(district, "MP-A"))
    degree = topo.degree[mp_nodes]
    n_valves = np.add.reduceat(is_valve[topo.adj_link].astype(int), topo.indptr[:-1])[mp_nodes]
    junction = degree >= 3
    assert junction.sum() >= 20
    assert (n_valves[junction] >= degree[junction] - 1).all()


def test_every_regulator_inlet_and_area_entry_has_a_valve(district):
    topo = district.topology
    valve_nodes = np.zeros(topo.n_nodes, bool)
    rows = topo.layer_links("valves")
    valve_nodes[topo.link_from[rows]] = valve_nodes[topo.link_to[rows]] = True
    pipe_rows = topo.layer_links("pipes")
    other_end = {}
    for a, b in (
        (topo.link_from[pipe_rows], topo.link_to[pipe_rows]),
        (topo.link_to[pipe_rows], topo.link_from[pipe_rows]),
    ):
        other_end.update(zip(a.tolist(), b.tolist(), strict=True))
    reg = topo.layer_links("regulators")
    inlet_far = np.array([other_end[i] for i in topo.link_from[reg].tolist()])  # ~100 regulators
    outlet_far = np.array([other_end[i] for i in topo.link_to[reg].tolist()])
    assert valve_nodes[inlet_far].all()
    # A district regulator's LP pipe enters its area through a valve; a factory's own box feeds the factory's meter.
    factory = district["regulators"]["name"].str.endswith("专用调压箱").to_numpy()
    assert factory.sum() >= 1 and valve_nodes[outlet_far[~factory]].all()
    assert (topo.node_layer[outlet_far[factory]] == topo.node_layer[topo.layer_nodes("customers")[0]]).all()


# -- customers, risers, sensors ------------------------------------------------------------------------------------


def test_customers_by_category_with_plausible_peaks(district):
    c = district["customers"]
    cat = c["category"].astype(str)
    counts = cat.value_counts()
    assert set(counts.index) == {m.value for m in CustomerCategory}
    assert counts["residential"] > counts["commercial"] > counts["special"]
    assert 1 <= counts["industrial"] <= 20
    peak = c["peak_demand_nm3h"]
    houses = (cat == "residential") & (c["households"] == 1)
    assert peak[houses].between(0.7, 1.5).all()
    blocks = (cat == "residential") & (c["households"] > 1)
    assert c["households"][blocks].between(2, 200).all()
    assert (c.loc[cat != "residential", "households"] == 0).all() and (
        c.loc[cat == "residential", "households"] > 0
    ).all()
    per_household = peak[blocks] / c["households"][blocks]
    assert per_household.between(0.1, 1.5).all() and per_household.median() < 0.6  # simultaneity in big blocks
    assert peak[cat == "commercial"].between(0.5, 30).all()
    assert peak[cat == "industrial"].between(100, 2000).all()
    assert c["meter_id"].is_unique and (c["meter_id"].str.len() > 8).all()


def test_special_users_exist_with_unique_names(district):
    c = district["customers"]
    special = c[c["category"] == "special"]
    assert set(special["special_kind"]) == {"hospital", "school", "care_home", "kindergarten"}
    assert special["name"].is_unique and (special["name"].str.len() >= 4).all()
    assert special["name"].str.endswith(("医院", "学", "学校", "院", "公寓", "幼儿园")).all()
    kinds = special["special_kind"].value_counts()
    assert 1 <= kinds["hospital"] <= 5 and kinds["school"] >= 2
    hospital_peak = special.loc[special["special_kind"] == "hospital", "peak_demand_nm3h"]
    assert hospital_peak.between(50, 200).all()
    assert (c.loc[c["category"] != "special", "special_kind"] == "").all()


def test_blocks_are_fed_through_risers(district):
    topo = district.topology
    risers = topo.layer_nodes("risers")
    assert len(risers) > 0 and district["risers"]["floors"].between(5, 33).all()
    # Each riser has its service (or entry valve) on one side and one block's meters on the other.
    assert (topo.degree[risers] == 2).all()
    customer_rows = set(topo.layer_nodes("customers").tolist())
    neighbours = topo.adj_node[np.concatenate([np.arange(topo.indptr[r], topo.indptr[r + 1]) for r in risers[:200]])]
    assert sum(int(n) in customer_rows for n in neighbours) == 200


def test_end_caps_close_dead_ends(district):
    topo = district.topology
    caps = topo.layer_nodes("end_caps")
    assert len(caps) > 0 and (topo.degree[caps] == 1).all()
    junctions = topo.layer_nodes("junctions")
    assert (topo.degree[junctions] >= 2).all()


def test_sensors_sit_on_known_features_with_units(district):
    s = district["sensors"]
    units = {k.value: u for k, u in SENSOR_UNITS.items()}
    assert (s["unit"] == s["kind"].astype(str).map(units)).all()
    index = district._feature_index()[0]
    assert (index.get_indexer(s["feature_id"].to_numpy(dtype=object)) >= 0).all()
    gate = district["gate_stations"]["id"].iloc[0]
    assert set(s.loc[s["feature_id"] == gate, "kind"].astype(str)) == {"pressure", "flow", "temperature"}
    outlets = set(district["regulators"]["to_node"])
    assert outlets <= set(s.loc[s["kind"] == "pressure", "feature_id"])
    remote = set(district["valves"].loc[district["valves"]["remote_controlled"], "id"])
    assert set(s.loc[s["kind"] == "valve_position", "feature_id"]) == remote
    assert (s["kind"] == "methane").sum() >= 3
    assert s["name"].str.len().gt(0).all()


def test_gate_station_supplies_mp_a(district):
    gs = district["gate_stations"].iloc[0]
    assert gs["supply_pressure_mpa"] == pytest.approx(0.4)
    c = district["customers"]
    design = (c["peak_demand_nm3h"] * c["category"].astype(str).map(DESIGN_SIMULTANEITY)).sum()
    assert gs["capacity_nm3h"] >= design  # the design peak hour of every customer at once
    assert gs["name"].endswith("门站")


# -- pipe attributes -----------------------------------------------------------------------------------------------


def test_pipe_attributes_follow_material_and_hierarchy(district):
    p = district["pipes"]
    material = p["material"].astype(str)
    pe = material.isin(["PE80", "PE100"])
    np.testing.assert_allclose(p.loc[pe, "inner_diameter_mm"], p.loc[pe, "dn"] * (1 - 2 / 11), atol=0.06)
    # Steel and iron DN is a nominal bore (DN250 steel: 273.0 x 6.3 mm, bore 260.4); PE dn is the outside diameter.
    assert (p["inner_diameter_mm"] < p["dn"] + 15).all() and (p["inner_diameter_mm"] > 0.75 * p["dn"]).all()
    roughness = {"PE80": 0.007, "PE100": 0.007, "steel": 0.05, "ductile_iron": 0.1, "cast_iron": 0.25}
    np.testing.assert_allclose(p["roughness_mm"], material.map(roughness))
    mp = p["pressure_class"] == "MP-A"
    assert p.loc[mp, "dn"].max() >= 250 and p.loc[mp, "dn"].between(50, 600).all()
    assert not p.loc[mp, "material"].isin(["cast_iron", "ductile_iron"]).any()
    iron = material.isin(["cast_iron", "ductile_iron"])
    assert p.loc[iron, "install_year"].between(1985, 2000).all() and iron.sum() > 0
    assert p.loc[material == "PE100", "install_year"].min() >= 2001
    assert p["install_year"].between(1985, 2027).all()
    buried = p["depth_m"] > 0
    assert p.loc[buried, "depth_m"].between(0.6, 1.5).all() and buried.mean() > 0.8
    status = p["status"].astype(str)
    assert (status == "in_service").mean() > 0.98
    assert (p.loc[status == "planned", "install_year"] >= 2026).all() and (status == "planned").any()
    assert (material[status == "abandoned"] == "cast_iron").all()
    services = (p["pressure_class"] == "LP") & (p["dn"] <= 50)
    assert p.loc[services, "dn"].between(25, 50).all() and services.mean() > 0.3


def test_nodes_stand_on_island_terrain(district):
    z = np.concatenate([f["elevation_m"].to_numpy() for name, f in district.node_layers() if len(f)])
    assert z.min() >= 0 and z.max() <= 120 and z.std() > 1


# -- the street graph ----------------------------------------------------------------------------------------------


def test_streets_are_irregular_not_a_lattice():
    island = make_island(np.random.default_rng(1), 1.0, (41_421_000.0, 3_320_000.0))
    streets = make_streets(np.random.default_rng(2), island, 3000)
    degree = np.bincount(np.concatenate([streets.u, streets.v]), minlength=streets.n)
    share = np.bincount(degree, minlength=6) / streets.n
    assert share[0] == 0 and share[1] > 0.02  # connected, with dead ends
    assert share[3] > 0.3 and share[4] < 0.5 and 2.4 < degree.mean() < 3.3
    d = streets.xy[streets.v] - streets.xy[streets.u]
    angle = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 90
    hist = np.histogram(angle, bins=18, range=(0, 90))[0] / len(angle)
    assert (hist + np.roll(hist, 1)).max() < 0.4  # no 10-degree window holds most streets
    assert 0.3 < len(streets.u) / streets.n < 2.0 and streets.length.min() > 10


def test_district_street_mains_are_not_axis_aligned(district):
    p = district["pipes"]
    mains = p[(p["pressure_class"] == "LP") & (p["dn"] >= 63)]
    a = shapely.get_coordinates(shapely.get_point(mains.geometry.array, 0))
    b = shapely.get_coordinates(shapely.get_point(mains.geometry.array, -1))
    angle = np.degrees(np.arctan2(*(b - a).T[::-1])) % 90
    near_axes = (angle < 5) | (angle > 85)
    assert near_axes.mean() < 0.4


# -- tree helpers --------------------------------------------------------------------------------------------------


def test_tree_helpers_on_a_hand_worked_forest():
    #   0 <- 1 <- 2 <- 3      5 <- 6
    #        ^              (4 alone)
    #        7
    parent = np.array([-1, 0, 1, 2, -1, -1, 5, 1])
    depth = hop_depth(parent)
    assert depth.tolist() == [0, 1, 2, 3, 0, 0, 1, 2]
    assert subtree_sum(parent, depth, np.ones(8)).tolist() == [5, 4, 2, 1, 1, 2, 1, 1]
    assert np.flatnonzero(mark_paths(parent, np.array([3]))).tolist() == [0, 1, 2, 3]
    assert np.flatnonzero(mark_paths(parent, np.array([7, 6]))).tolist() == [0, 1, 5, 6, 7]


def test_supply_tree_on_a_hand_worked_network():
    #   source 0 -10- 1 -10- 2 -5- 3        source 5 -1- 6        (4 reached by nobody)
    #                 |                                 the loop 1-3 (30 m) is longer than 1-2-3
    #                 +------30------+
    frm = np.array([0, 1, 2, 1, 5])
    to = np.array([1, 2, 3, 3, 6])
    length = np.array([10.0, 10.0, 5.0, 30.0, 1.0])
    tree = _SupplyTree.build(7, frm, to, length, np.array([0, 5]))
    assert tree.parent.tolist() == [-1, 0, 1, 2, -1, -1, 5]
    assert tree.source.tolist() == [0, 0, 0, 0, -1, 1, 1]
    assert sorted(tree.tree_pipe.tolist()) == [0, 1, 2, 4]  # the loop closer 1-3 is left out
    demand = np.array([0.0, 1.0, 2.0, 3.0, 9.0, 0.0, 4.0])
    assert tree.subtree_sum(demand).tolist() == [6.0, 6.0, 5.0, 3.0, 9.0, 4.0, 4.0]
    assert tree.subtree_min(np.array([7.0, 5.0, 6.0, 2.0, 0.0, 9.0, 8.0])).tolist() == [2, 2, 2, 2, 0, 8, 8]
    assert tree.path_sum(tree.parent_length).tolist() == [0.0, 10.0, 20.0, 25.0, 0.0, 0.0, 1.0]


def test_polyline_length():
    coords = np.array([[0, 0], [3, 4], [3, 5], [10, 10], [10, 12]], float)
    assert _polyline_length(coords, np.array([3, 2])).tolist() == [6.0, 2.0]
