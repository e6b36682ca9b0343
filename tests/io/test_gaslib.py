"""GasLib XML and JSON import, checked against counts and values read straight from the files (not via the importer)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import CRS

from console.io import read_network
from console.io._gaslib_model import schematic_crs

G = "{http://gaslib.zib.de/Gas}"
XML_FILES = ["GasLib-11.net", "GasLib-24.net", "GasLib-40.net", "GasLib-135.net", "GasLib-134-v2.net"]
NODE_TAGS = ("source", "sink", "innode")
LINK_TAGS = ("pipe", "shortPipe", "valve", "controlValve", "compressorStation", "resistor")


def reference(path: Path) -> tuple[dict[str, int], nx.Graph, ET.Element]:
    """Element counts and the node-link graph of a GasLib file, read with ElementTree."""
    root = ET.parse(path).getroot()
    counts = {tag: sum(1 for _ in root.iter(G + tag)) for tag in (*NODE_TAGS, *LINK_TAGS)}
    graph = nx.Graph()
    graph.add_nodes_from(e.get("id") for tag in NODE_TAGS for e in root.iter(G + tag))
    graph.add_edges_from((e.get("from"), e.get("to")) for tag in LINK_TAGS for e in root.iter(G + tag))
    return counts, graph, root


def gauge_mpa(element: ET.Element, child: str) -> float:
    node = element.find(G + child)
    assert node.get("unit") == "bar"
    return (float(node.get("value")) - 1.01325) / 10


@pytest.mark.parametrize("name", XML_FILES)
def test_counts_links_and_connectivity(gaslib_dir, name):
    path = gaslib_dir / name
    counts, graph, _ = reference(path)
    net = read_network(path)
    assert net.counts() == {
        "junctions": counts["innode"],
        "gate_stations": counts["source"],
        "customers": counts["sink"],
        "risers": 0,
        "end_caps": 0,
        "pipes": counts["pipe"],
        "valves": counts["valve"],
        "regulators": counts["controlValve"],
        "links": counts["shortPipe"] + counts["compressorStation"] + counts["resistor"],
        "sensors": 0,
    }
    kinds = net["links"]["kind"].value_counts()
    assert kinds["short_pipe"] == counts["shortPipe"]
    assert kinds["compressor"] == counts["compressorStation"]
    assert kinds["resistor"] == counts["resistor"]
    topo = net.topology
    assert (topo.link_from >= 0).all() and (topo.link_to >= 0).all()
    assert topo.n_components == nx.number_connected_components(graph) == 1
    assert (net["pipes"]["pressure_class"] == "HP-A").all()  # 40–80 bar transmission, clipped to GB 50028's top


def test_gaslib_11_values(gaslib_dir):
    """Hand-checked against GasLib-11.net: 55 km DN500 pipes, 70 bar sources, 275 m per drawing unit."""
    path = gaslib_dir / "GasLib-11.net"
    _, _, root = reference(path)
    net = read_network(path)
    assert net.name == "GasLib_11"
    assert net.crs == schematic_crs(275.0)  # 55 km pipes drawn 200 units long
    pipe = net.feature("pipe01_entry01_entry03")
    assert (pipe["length_m"], pipe["dn"], pipe["inner_diameter_mm"], pipe["roughness_mm"]) == (55000.0, 500, 500.0, 0.1)
    assert pipe["pressure_max_mpa"] == pytest.approx((200 - 1.01325) / 10)
    entry = net.feature("entry01")
    assert entry["layer"] == "gate_stations"
    assert entry["supply_pressure_mpa"] == pytest.approx(6.898675)  # 70 bar absolute → gauge MPa
    assert entry["capacity_nm3h"] == 750_000.0 and entry["flow_min_nm3h"] == 50_000.0
    exit01 = root.find(f".//{G}sink[@id='exit01']")
    customer = net.feature("exit01")
    assert customer["category"] == "industrial"
    # flowMax is the exit's bound, kept as such; it is not a demand (a .net file states none).
    assert customer["flow_max_nm3h"] == float(exit01.find(G + "flowMax").get("value")) * 1000
    assert customer["peak_demand_nm3h"] == 0.0
    assert customer["pressure_max_mpa"] == pytest.approx(gauge_mpa(exit01, "pressureMax"))
    assert (entry["gaslib_x"], entry["gaslib_y"]) == (0.0, 0.0)
    entry03 = net["gate_stations"].set_index("id").geometry["entry03"]
    assert (entry03.x, entry03.y) == (200 * 275.0, 0.0)
    # The valve sits halfway between N01 and N03.
    valve = net["valves"].iloc[0]
    n01, n03 = (net["junctions"].set_index("id").geometry[k] for k in ("N01", "N03"))
    assert valve.geometry.equals(shapely.Point((n01.x + n03.x) / 2, (n01.y + n03.y) / 2))
    link = net["links"].set_index("id").loc["CS01_entry03_N01"]
    assert link["kind"] == "compressor" and link.geometry.geom_type == "LineString"


def test_gaslib_24_units_and_control_valve(gaslib_dir):
    path = gaslib_dir / "GasLib-24.net"
    _, _, root = reference(path)
    net = read_network(path)
    l04 = net.feature("L04")  # <length unit="m" value="10"/>, <diameter unit="m" value="2.1"/>
    assert (l04["length_m"], l04["inner_diameter_mm"], l04["dn"]) == (10.0, 2100.0, 2100)
    assert net.feature("entry03")["elevation_m"] == 200.0  # <height value="200.0"/> has no unit: metres
    cv = root.find(f".//{G}controlValve[@id='CV01']")
    outlet_node = root.find(f".//{G}*[@id='{cv.get('to')}']")
    regulator = net.feature("CV01")
    assert regulator["kind"] == "control_valve"
    assert (regulator["from_node"], regulator["to_node"]) == (cv.get("from"), cv.get("to"))
    expected = min(gauge_mpa(cv, "pressureOutMax"), gauge_mpa(outlet_node, "pressureMax"))
    assert regulator["set_outlet_pressure_mpa"] == pytest.approx(expected)
    assert (regulator["inlet_class"], regulator["outlet_class"]) == ("HP-A", "HP-A")
    assert regulator["pressure_differential_max_mpa"] == pytest.approx(1.0)  # 10 bar, no atmospheric offset
    resistor = net["links"].set_index("id").loc["re01"]
    assert (resistor["kind"], resistor["diameter_mm"], resistor["drag_factor"]) == ("resistor", 900.0, 5.40999984741211)


def test_georeferenced_gaslib_uses_utm_and_true_lengths(gaslib_dir):
    """GasLib-135 carries WGS 84 positions: projected to UTM, drawn pipe lengths match the stated lengths."""
    net = read_network(gaslib_dir / "GasLib-135.net")
    assert net.crs == CRS.from_epsg(32633)
    pipes = net["pipes"]
    ratio = pipes.geometry.length / pipes["length_m"]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.005)  # UTM scale error, a few ‰ across Germany
    as_lonlat = read_network(gaslib_dir / "GasLib-135.net", crs="EPSG:4326")
    _, _, root = reference(gaslib_dir / "GasLib-135.net")
    first = next(root.iter(G + "source"))
    point = as_lonlat["gate_stations"].set_index("id").geometry[first.get("id")]
    assert (point.x, point.y) == pytest.approx((float(first.get("geoWGS84Long")), float(first.get("geoWGS84Lat"))))


def test_schematic_with_crs_keeps_raw_coordinates(gaslib_dir):
    net = read_network(gaslib_dir / "GasLib-11.net", crs="EPSG:4529")
    assert net.crs == CRS.from_epsg(4529)
    entry03 = net["gate_stations"].set_index("id").geometry["entry03"]
    assert (entry03.x, entry03.y) == (200.0, 0.0)


def test_gaslib_json_4197(gaslib_dir):
    path = gaslib_dir / "GasLib-4197.network.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    net = read_network(path)  # .json sniffed as GasLib JSON, not GeoJSON
    receipts = {r["node_id"] for r in doc["receipts"].values()}
    deliveries = {r["node_id"] for r in doc["deliveries"].values()}
    assert (len(doc["nodes"]), len(doc["pipes"]), len(receipts), len(deliveries)) == (4197, 3537, 37, 732)
    counts = net.counts()
    assert counts["gate_stations"] == len(receipts) and counts["customers"] == len(deliveries)
    assert counts["junctions"] == len(doc["nodes"]) - len(receipts) - len(deliveries)
    assert counts["pipes"] == len(doc["pipes"])
    assert counts["valves"] == len(doc["valves"]) == 426
    assert counts["regulators"] == len(doc["control_valves"]) == 120
    kinds = net["links"]["kind"].value_counts()
    assert kinds["compressor"] == len(doc["compressors"]) == 12
    assert kinds["short_pipe"] == len(doc["short_pipes"])
    assert kinds["resistor"] == len(doc["resistors"]) + len(doc["loss_resistors"])
    graph = nx.Graph()
    names = {k: v["name"] for k, v in doc["nodes"].items()}
    graph.add_nodes_from(names.values())
    for key in ("pipes", "short_pipes", "valves", "control_valves", "compressors", "resistors", "loss_resistors"):
        graph.add_edges_from((names[str(r["fr_node"])], names[str(r["to_node"])]) for r in doc[key].values())
    assert net.topology.n_components == nx.number_connected_components(graph)
    assert (net.topology.link_from >= 0).all() and (net.topology.link_to >= 0).all()
    # x_coord is latitude and y_coord longitude: only then do the drawn lengths match the stated ones.
    assert net.crs == CRS.from_epsg(32632)
    ratio = net["pipes"].geometry.length / net["pipes"]["length_m"]
    assert np.median(ratio[net["pipes"]["length_m"] > 100]) == pytest.approx(1.0, abs=0.005)
    pipe = next(iter(doc["pipes"].values()))
    mine = net.feature(pipe["name"])
    assert mine["length_m"] == pipe["length"] and mine["inner_diameter_mm"] == pytest.approx(pipe["diameter"] * 1000)
    assert mine["friction_factor"] == pipe["friction_factor"]
    node = next(iter(doc["nodes"].values()))
    assert net.feature(node["name"])["pressure_max_mpa"] == pytest.approx((node["max_pressure"] - 101325) / 1e6)


MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<network xmlns="http://gaslib.zib.de/Gas" xmlns:framework="http://gaslib.zib.de/Framework">
  <framework:information><framework:title>tiny</framework:title></framework:information>
  <framework:nodes>
    <source id="S" x="0" y="0"><pressureMax unit="bar" value="5.01325"/></source>
    <innode id="N" x="3" y="4"/>
    <sink id="D" x="3" y="8"><flowMax unit="m_cube_per_hour" value="120"/></sink>
  </framework:nodes>
  <framework:connections>
    <pipe id="P" from="S" to="N"><length unit="m" value="500"/><diameter unit="mm" value="160"/></pipe>
    <controlValve id="CV" from="N" to="D"><pressureOutMax unit="bar" value="3.01325"/></controlValve>
  </framework:connections>
</network>
"""


def test_minimal_gaslib_hand_worked(tmp_path):
    """5 bar abs at the source → 0.4 MPa gauge (MP-A, upper bounds inclusive); N has no bound: the largest, 0.4."""
    path = tmp_path / "tiny.net"
    path.write_text(MINIMAL, encoding="utf-8")
    net = read_network(path)
    assert net.name == "tiny" and net.crs == schematic_crs(100.0)  # 500 m drawn as 5 units
    assert net.feature("S")["supply_pressure_mpa"] == pytest.approx(0.4)
    pipe = net.feature("P")
    assert (pipe["pressure_class"], pipe["roughness_mm"], pipe["length_m"]) == ("MP-A", 0.05, 500.0)
    regulator = net.feature("CV")
    assert regulator["set_outlet_pressure_mpa"] == pytest.approx(0.2)  # pressureOutMax 3 bar gauge
    assert (regulator["inlet_class"], regulator["outlet_class"]) == ("MP-A", "MP-A")
    assert (net.feature("D")["peak_demand_nm3h"], net.feature("D")["flow_max_nm3h"]) == (0.0, 120.0)
    d = net["customers"].geometry.iloc[0]
    assert (d.x, d.y) == (300.0, 800.0)
    assert net.topology.n_components == 1


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            '<length unit="m" value="500"/>',
            '<length unit="m" value="1e400"/>',
            "<length> value '1e400' is not a finite",
        ),
        ('<length unit="m" value="500"/>', '<length unit="m" value="nan"/>', "<length> value 'nan' is not a finite"),
        ('<diameter unit="mm" value="160"/>', '<diameter unit="mm" value="-160"/>', "diameter that is not a positive"),
        ('<length unit="m" value="500"/>', '<length unit="m" value="0"/>', "length that is not a positive"),
        ('x="3" y="4"', 'x="3e400" y="4"', "attribute x='3e400' is not finite"),
        ('<diameter unit="mm" value="160"/>', '<diameter unit="mm" value="wide"/>', "value 'wide' is not a number"),
    ],
)
def test_impossible_gaslib_values_are_errors_naming_the_feature(tmp_path, old, new, problem):
    from console.errors import NetworkFileError

    path = tmp_path / "bad.net"
    path.write_text(MINIMAL.replace(old, new), encoding="utf-8")
    with pytest.raises(NetworkFileError) as info:
        read_network(path)
    assert problem in str(info.value) and "bad.net" in str(info.value)
    assert "'P'" in str(info.value) or ": P" in str(info.value) or "'N'" in str(info.value)
