"""The public surface of console.io: __all__, the format table, detection, reprojection, the field-name table."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from pyproj import CRS

import console.io
from console.errors import GasOpsError, NetworkFileError
from console.io import FORMATS, SHAPEFILE_FIELD_NAMES, detect_format, read_network, reproject, write_network
from console.io._shapefile import field_names
from console.network import LAYERS, GasNetwork, to_lonlat


def test_public_names():
    assert console.io.__all__ == [
        "FORMATS",
        "SHAPEFILE_FIELD_NAMES",
        "FileFormat",
        "commit_changes",
        "PostGISError",
        "detect_format",
        "is_database_url",
        "read_network",
        "redact_url",
        "reproject",
        "write_network",
    ]


def test_format_table():
    assert list(FORMATS) == ["gpkg", "geojson", "shapefile", "gaslib", "gaslib-json", "epanet", "postgis"]
    assert {k for k, f in FORMATS.items() if f.writes} == {"gpkg", "geojson", "shapefile", "postgis"}
    assert all(f.reads for f in FORMATS.values())


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("a.gpkg", "gpkg"),
        ("a.GPKG", "gpkg"),
        ("a.geojson", "geojson"),
        ("new.json", "geojson"),
        ("pipes.shp", "shapefile"),
        ("folder_without_suffix", "shapefile"),
        ("GasLib-11.net", "gaslib"),
        ("model.xml", "gaslib"),
        ("Net3.inp", "epanet"),
        ("postgresql://gis@db:5432/city?schema=east", "postgis"),
        ("POSTGIS://db/city", "postgis"),
    ],
)
def test_detect_format_by_name(name, key):
    assert detect_format(name) == key


def test_detect_format_by_content(tmp_path, gaslib_dir, small_network):
    assert detect_format(gaslib_dir / "GasLib-4197.network.json") == "gaslib-json"
    geojson = write_network(small_network, tmp_path / "net.json")
    assert detect_format(geojson) == "geojson"
    assert detect_format(tmp_path) == "shapefile"
    with pytest.raises(NetworkFileError, match=r"unknown file type '\.dwg'"):
        detect_format(tmp_path / "plan.dwg")


@pytest.mark.filterwarnings("ignore:.*extension.*:RuntimeWarning")
def test_explicit_format_and_options(tmp_path, small_network):
    path = write_network(small_network, tmp_path / "net.data", format="geopackage")
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    assert read_network(path, format="GPKG").counts() == small_network.counts()
    with pytest.raises(NetworkFileError, match="unknown format 'dxf'"):
        read_network(path, format="dxf")
    with pytest.raises(TypeError, match="GeoPackage takes no option"):
        read_network(path, format="gpkg", layer="pipes")


def test_shapefile_field_name_table_is_reversible():
    fields = list(SHAPEFILE_FIELD_NAMES.values())
    assert all(re.fullmatch(r"[a-z0-9_]{1,10}", f) for f in fields)
    assert len(set(fields)) == len(fields)
    schema_columns = {c for spec in LAYERS.values() for c in spec.column_names}
    assert not set(fields) & schema_columns  # a field name never shadows a real column name
    long_columns = {c for c in schema_columns if len(c) > 10}
    assert long_columns <= set(SHAPEFILE_FIELD_NAMES)


def test_generated_field_names():
    mapping = field_names(["id", "special", "special_kind", "管理单位", "维修班组", "maintenance_team", "maintenanc"])
    assert mapping == {
        "id": "id",
        "special": "special_1",  # the table's special_kind → special wins; the user's column steps aside
        "special_kind": "special",
        "管理单位": "field",
        "维修班组": "field_1",
        "maintenance_team": "maintena_1",
        "maintenanc": "maintenanc",
    }
    assert len(set(mapping.values())) == len(mapping)


def test_generated_field_names_round_trip(small_network, tmp_path):
    pipes = small_network["pipes"].copy()
    pipes["管理单位"] = "城投燃气"
    pipes["special"] = 1.5
    pipes["maintenance_team"] = "二班"
    small_network.replace_layer("pipes", pipes)
    folder = write_network(small_network, tmp_path / "shp")
    marker = json.loads((folder / "gasops.json").read_text(encoding="utf-8"))
    assert marker["fields"]["pipes"]["管理单位"] == "field"
    back = read_network(folder)
    assert list(back["pipes"].columns) == list(small_network["pipes"].columns)
    assert back["pipes"]["管理单位"].tolist() == ["城投燃气"] * 7


def test_reproject_moves_geometry_and_keeps_lengths(small_network):
    moved = reproject(small_network, "EPSG:4490")
    assert moved.crs == CRS.from_epsg(4490)
    assert moved.name == small_network.name and moved.counts() == small_network.counts()
    j = small_network["junctions"]
    lon, lat = to_lonlat(small_network.crs, j.geometry.x.to_numpy(), j.geometry.y.to_numpy())
    np.testing.assert_allclose(moved["junctions"].geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(moved["junctions"].geometry.y, lat, atol=1e-9)
    assert 121.5 < lon.min() and lon.max() < 124.5  # inside zone 41
    assert moved["pipes"]["length_m"].tolist() == small_network["pipes"]["length_m"].tolist()
    back = reproject(moved, "EPSG:4529")
    for layer in LAYERS:
        a = shapely.get_coordinates(np.asarray(small_network[layer].geometry.array, dtype=object))
        b = shapely.get_coordinates(np.asarray(back[layer].geometry.array, dtype=object))
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_reproject_refusals(small_network, gaslib_dir):
    with pytest.raises(GasOpsError, match="has no CRS"):
        reproject(GasNetwork({}, None, name="x"), "EPSG:4326")
    with pytest.raises(GasOpsError, match="invalid target CRS"):
        reproject(small_network, "EPSG:99999999")
    schematic = read_network(gaslib_dir / "GasLib-11.net")
    with pytest.raises(GasOpsError, match="cannot reproject network 'GasLib_11'"):
        reproject(schematic, "EPSG:4326")
