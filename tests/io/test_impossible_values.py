"""Impossible values in real files are errors naming the features, never a network that "validates OK": a GeoPackage
length of 1e308, a negative diameter, text in a numeric column, a layer the file lists but lost, a coordinate of
1e300 — and no Python or GDAL warning leaks to the user on the way."""

from __future__ import annotations

import json
import shutil
import sqlite3
import warnings

import pytest

from console.cli import main
from console.errors import NetworkFileError
from console.io import read_network, write_network
from console.network import generate_demo


@pytest.fixture(scope="module")
def base_gpkg(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpkg") / "base.gpkg"
    write_network(generate_demo(500, seed=1), path)
    return path


def _damage(base, tmp_path, sql: str):
    path = tmp_path / "damaged.gpkg"
    shutil.copy(base, path)
    con = sqlite3.connect(path)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):  # the R-tree triggers' functions
        con.create_function(name, 1, lambda geometry: 0)
    con.executescript(sql)
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE pipes SET length_m = 1e308 WHERE id = 'P-000003'", "length_m not a positive number up to 1,000,000 for P-000003 (1e+308)"),
        ("UPDATE pipes SET inner_diameter_mm = -5 WHERE id = 'P-000004'", "inner_diameter_mm not a positive number up to 5,000 for P-000004 (-5)"),
        ("UPDATE pipes SET length_m = 0 WHERE id = 'P-000004'", "length_m not a positive number up to 1,000,000 for P-000004 (0)"),
        ("UPDATE pipes SET inner_diameter_mm = 'wide' WHERE id = 'P-000004'", "column 'inner_diameter_mm' holds text ('wide') where numbers belong, for P-000004"),
        ("UPDATE customers SET peak_demand_nm3h = 'n/a' WHERE rowid = 2", "layer 'customers': column 'peak_demand_nm3h' holds text ('n/a')"),
        ("UPDATE junctions SET elevation_m = 9e999 WHERE rowid = 1", "layer 'junctions': elevation_m not finite for J-"),
        ("DROP TABLE pipes", "layer(s) pipes listed in gpkg_contents but their table is missing"),
    ],
)  # fmt: skip
def test_impossible_geopackage_values_are_errors_naming_the_features(base_gpkg, tmp_path, sql, problem, capsys):
    path = _damage(base_gpkg, tmp_path, sql)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak as a warning on the way to the error
        with pytest.raises(NetworkFileError) as info:
            read_network(path)
    assert problem in str(info.value) and "damaged.gpkg" in str(info.value)
    # gasops convert refuses it too (exit 1, one line, no traceback), writing nothing.
    out = tmp_path / "out.gpkg"
    assert main(["convert", str(path), str(out)]) != 0
    err = capsys.readouterr().err
    assert problem in err and "Traceback" not in err and "Warning" not in err
    assert not out.exists()


def test_geojson_coordinates_outside_any_extent_are_errors(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"id": "J1"},
        "geometry": {"type": "Point", "coordinates": [1e300, 5.0]},
    }
    path = tmp_path / "far.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "junctions", "features": [feature]}))
    with pytest.raises(NetworkFileError, match=r"coordinates beyond ±1e\+08 m for J1"):
        read_network(path, crs="EPSG:4529", layer="junctions")
