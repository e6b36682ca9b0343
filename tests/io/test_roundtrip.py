"""Round trips through GeoPackage, GeoJSON and Shapefile keep every id, attribute, dtype, geometry and the CRS."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from console.io import read_network, write_network
from console.io._gaslib_model import schematic_crs
from console.network import LAYERS, GasNetwork

TARGETS = {"gpkg": "net.gpkg", "geojson": "net.geojson", "shapefile": "net_shp"}


def assert_same_network(a: GasNetwork, b: GasNetwork) -> None:
    assert b.crs == a.crs
    assert b.name == a.name
    for layer in LAYERS:
        left, right = a[layer], b[layer]
        pd.testing.assert_frame_equal(
            left.drop(columns="geometry"), right.drop(columns="geometry"), check_exact=True, obj=layer
        )
        assert shapely.equals_exact(
            np.asarray(left.geometry.array, dtype=object), np.asarray(right.geometry.array, dtype=object), tolerance=0
        ).all(), layer


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_round_trip_keeps_everything(small_network, tmp_path, fmt):
    path = write_network(small_network, tmp_path / TARGETS[fmt])
    back = read_network(path)
    assert_same_network(small_network, back)
    # Spot checks on the values most at risk, independent of the frame comparison above.
    pipes = back["pipes"].set_index("id")
    assert pipes.loc["P2", "owner"] != pipes.loc["P2", "owner"]  # None survives as a missing value
    assert np.isnan(pipes.loc["P2", "depth_m"]) and pipes.loc["P1", "depth_m"] == 1.2
    assert pipes["leak_history"].dtype == bool and pipes.loc["P4", "leak_history"]
    assert pipes["pressure_class"].dtype == small_network["pipes"]["pressure_class"].dtype
    assert back.feature("C2")["name"] == "市第一人民医院"
    assert back.feature("V2")["operable"] is False or back.feature("V2")["operable"] == np.False_
    assert back.topology.n_components == 1


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_round_trip_of_an_engineering_crs(gaslib_dir, tmp_path, fmt):
    """GasLib schematics live in a local ENGCRS: every writable format must give it back unchanged."""
    net = read_network(gaslib_dir / "GasLib-24.net")
    assert net.crs == schematic_crs(400.0)
    back = read_network(write_network(net, tmp_path / TARGETS[fmt]))
    assert back.crs == net.crs
    assert back.counts() == net.counts()
    pd.testing.assert_frame_equal(back["pipes"].drop(columns="geometry"), net["pipes"].drop(columns="geometry"))


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_empty_network_round_trip(tmp_path, fmt):
    net = GasNetwork({}, "EPSG:4529", name="空管网")
    back = read_network(write_network(net, tmp_path / TARGETS[fmt]))
    assert back.crs == net.crs and back.name == "空管网"
    assert all(n == 0 for n in back.counts().values())
    for layer in LAYERS:
        assert list(back[layer].columns) == list(net[layer].columns)


@pytest.mark.parametrize("fmt", list(TARGETS))
def test_round_trip_without_crs(small_network, tmp_path, fmt):
    """A network without a CRS stays without one (GeoJSON must not turn it into WGS 84)."""
    net = GasNetwork(small_network.layers, None, name="no crs")
    back = read_network(write_network(net, tmp_path / TARGETS[fmt]))
    assert back.crs is None
    assert_same_network(net, back)


def test_geopackage_layout(small_network, tmp_path):
    """One GPKG layer per feature class (empty ones too), text code lists, a gasops_meta table with the name."""
    path = write_network(small_network, tmp_path / "net.gpkg")
    with sqlite3.connect(path) as db:
        tables = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        meta = dict(db.execute("SELECT key, value FROM gasops_meta").fetchall())
        classes = [r[0] for r in db.execute("SELECT pressure_class FROM pipes ORDER BY fid")]
        srs = db.execute(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys s "
            "JOIN gpkg_geometry_columns g ON g.srs_id = s.srs_id WHERE g.table_name = 'pipes'"
        ).fetchone()
    assert {name: kind for name, kind in tables.items() if name in LAYERS} == {name: "features" for name in LAYERS}
    assert tables["gasops_meta"] == "attributes"
    assert meta["name"] == "测试管网 small"
    assert CRS.from_wkt(meta["crs_wkt"]) == CRS.from_epsg(4529)
    assert classes == ["SHP-B", "SHP-B", "MP-A", "MP-A", "LP", "MP-A", "LP"]
    assert srs == ("EPSG", 4529)


def test_geopackage_without_meta_reads_layer_names(small_network, tmp_path):
    """A GeoPackage made by QGIS (no gasops_meta, multi-part lines) still reads by its layer names."""
    path = tmp_path / "qgis.gpkg"
    pipes = small_network["pipes"].copy()
    pipes["material"] = pipes["material"].astype(str)
    pipes["pressure_class"] = pipes["pressure_class"].astype(str)
    pipes["status"] = pipes["status"].astype(str)
    pipes = pipes.drop(columns=["last_patrol"]).set_geometry(
        gpd.GeoSeries(shapely.multilinestrings([[g] for g in pipes.geometry]), crs=pipes.crs)
    )
    pipes.to_file(path, layer="pipes", driver="GPKG")
    gpd.GeoDataFrame({"id": ["X"]}, geometry=gpd.points_from_xy([0], [0]), crs=4529).to_file(path, layer="roads")
    net = read_network(path)
    assert net.name == "qgis" and net.crs == CRS.from_epsg(4529)
    assert net.counts()["pipes"] == 7 and net.counts()["junctions"] == 0
    assert shapely.equals_exact(
        np.asarray(net["pipes"].geometry.array, dtype=object),
        np.asarray(small_network["pipes"].geometry.array, dtype=object),
        tolerance=0,
    ).all()


def test_geojson_layout(small_network, tmp_path):
    """One FeatureCollection; a layer property on each feature; an EPSG crs member; the gasops member."""
    path = write_network(small_network, tmp_path / "net.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert doc["crs"] == {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}}
    layers = pd.Series([f["properties"]["layer"] for f in doc["features"]]).value_counts().to_dict()
    assert layers == {name: n for name, n in small_network.counts().items() if n}
    valve = next(f for f in doc["features"] if f["properties"]["id"] == "V1")
    assert valve["properties"]["remote_controlled"] is True and valve["properties"]["dn"] == 200
    assert doc["gasops"]["name"] == "测试管网 small"
    assert "城东门站" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes


def test_geojson_from_another_tool_splits_by_layer(tmp_path):
    """Without the gasops member, a layer keeps its schema columns and the extras that have values in it."""
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"layer": "junctions", "id": "a", "zone": "北区", "dn": None},
                "geometry": {"type": "Point", "coordinates": [120.1, 30.2]},
            },
            {
                "type": "Feature",
                "properties": {"layer": "junctions", "id": "b", "zone": None, "dn": None},
                "geometry": {"type": "Point", "coordinates": [120.2, 30.2]},
            },
            {
                "type": "Feature",
                "properties": {
                    "layer": "pipes",
                    "id": "p",
                    "from_node": "a",
                    "to_node": "b",
                    "length_m": 9.6,
                    "dn": 110,
                    "inner_diameter_mm": 90.0,
                    "pressure_class": "MP-A",
                    "zone": None,
                },
                "geometry": {"type": "LineString", "coordinates": [[120.1, 30.2], [120.2, 30.2]]},
            },
        ],
    }
    path = tmp_path / "other.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    net = read_network(path)
    assert net.crs == CRS.from_epsg(4326)  # GeoJSON without a crs member is WGS 84
    assert list(net["junctions"].columns) == ["id", "name", "elevation_m", "zone", "geometry"]
    assert "zone" not in net["pipes"].columns
    assert net["pipes"].loc[0, "dn"] == 110 and net["pipes"]["dn"].dtype == np.int64


def test_shapefile_layout(small_network, tmp_path):
    """One .shp per non-empty layer with .prj and UTF-8 .cpg; 10-character field names; gasops.json."""
    folder = write_network(small_network, tmp_path / "net_shp")
    names = {p.name for p in folder.iterdir()}
    for layer in LAYERS:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            assert f"{layer}{ext}" in names
    assert (folder / "pipes.cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    fields = gpd.read_file(folder / "pipes.shp").columns
    assert {"inner_diam", "pres_class", "rough_mm", "inst_year"} <= set(fields)
    assert all(len(f.encode()) <= 10 for f in fields)
    marker = json.loads((folder / "gasops.json").read_text(encoding="utf-8"))
    assert marker["fields"]["pipes"]["inner_diameter_mm"] == "inner_diam"


def test_single_shapefile_of_another_tool(small_network, tmp_path):
    """A lone pipes.shp (no gasops.json) reads as the pipes layer, field names mapped through the fixed table."""
    folder = write_network(small_network, tmp_path / "net_shp")
    (folder / "gasops.json").unlink()
    net = read_network(folder / "pipes.shp")
    assert net.counts()["pipes"] == 7 and net.counts()["valves"] == 0
    pipes = net["pipes"]
    assert pipes["inner_diameter_mm"].tolist() == small_network["pipes"]["inner_diameter_mm"].tolist()
    assert pipes["pressure_class"].astype(str).tolist() == small_network["pipes"]["pressure_class"].astype(str).tolist()
    assert net.crs == CRS.from_epsg(4529)  # from the .prj
    renamed = read_network(folder / "pipes.shp", layer="pipes", crs="EPSG:4549")
    assert renamed.crs == CRS.from_epsg(4549)


def test_crs_option_assigns_without_moving(small_network, tmp_path):
    path = write_network(small_network, tmp_path / "net.gpkg")
    net = read_network(path, crs="EPSG:4549")
    assert net.crs == CRS.from_epsg(4549)
    assert net.bounds == small_network.bounds


def test_write_replaces_previous_file(small_network, tmp_path):
    path = tmp_path / "net.gpkg"
    write_network(GasNetwork({}, "EPSG:4529", name="old"), path)
    write_network(small_network, path)
    assert read_network(path).counts() == small_network.counts()
    folder = tmp_path / "net_shp"
    write_network(GasNetwork({}, "EPSG:4529", name="old"), folder)
    write_network(small_network, folder)
    assert read_network(folder).counts() == small_network.counts()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.gpkg", "net_shp"]
