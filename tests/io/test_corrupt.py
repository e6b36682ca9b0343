"""Broken, truncated and mislabelled files: each is a NetworkFileError naming the file and the problem.

Every variant is derived here, in ``tmp_path``, from a good file: cut in half, bytes flipped, another format's
bytes under this format's name, an empty file, a required section or column taken out, a wrong code-list value.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from pathlib import Path

import geopandas as gpd
import pytest

from console.errors import NetworkFileError
from console.io import read_network, write_network

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13) + zlib.compress(b"not a network") * 4


def read_error(path: Path, **options) -> NetworkFileError:
    with pytest.raises(NetworkFileError) as info:
        read_network(path, **options)
    error = info.value
    assert "\n" not in str(error)  # one line, never a traceback
    return error


def half(path: Path, dest: Path) -> Path:
    data = path.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def flip(path: Path, dest: Path, start: int, length: int) -> Path:
    data = bytearray(path.read_bytes())
    data[start : start + length] = bytes(b ^ 0xFF for b in data[start : start + length])
    dest.write_bytes(bytes(data))
    return dest


# -- every format: missing, empty, another format's bytes --------------------------------------------------------


@pytest.mark.parametrize("name", ["net.gpkg", "net.geojson", "GasLib.net", "Net.inp", "GasLib.network.json"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    error = read_error(path)
    assert error.path == str(path) and error.problem == "empty file (0 bytes)"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("net.gpkg", "not a GeoPackage (SQLite header missing)"),
        ("net.geojson", "not a GeoJSON file (it does not start with '{')"),
        ("GasLib.net", "not a GasLib XML file (it does not start with '<')"),
        ("Net.inp", "not an EPANET input file (binary data)"),
    ],
)
def test_png_renamed(tmp_path, name, problem):
    path = tmp_path / name
    path.write_bytes(PNG)
    assert read_error(path).problem == problem


def test_missing_file_and_unknown_type(tmp_path):
    assert read_error(tmp_path / "nowhere.gpkg").problem == "no such file or folder"
    (tmp_path / "photo.png").write_bytes(PNG)
    assert read_error(tmp_path / "photo.png").problem.startswith("unknown file type '.png'")
    (tmp_path / "dir.gpkg").mkdir()
    assert read_error(tmp_path / "dir.gpkg").problem == "is a folder, not a file"


# -- GeoPackage ---------------------------------------------------------------------------------------------------


@pytest.fixture
def gpkg(small_network, tmp_path) -> Path:
    return write_network(small_network, tmp_path / "good.gpkg")


def test_gpkg_truncated(gpkg, tmp_path):
    error = read_error(half(gpkg, tmp_path / "half.gpkg"))
    size = gpkg.stat().st_size
    assert error.problem == f"truncated GeoPackage ({size // 2} bytes of the {size} its SQLite header announces)"


def test_gpkg_flipped_bytes(gpkg, tmp_path):
    assert read_error(flip(gpkg, tmp_path / "hdr.gpkg", 0, 16)).problem == "not a GeoPackage (SQLite header missing)"
    # SQLite has no checksums, so only structural damage is detectable: flip the schema b-tree on page 1.
    damaged = flip(gpkg, tmp_path / "schema.gpkg", 100, 2000)
    assert read_error(damaged).problem == "damaged GeoPackage (SQLite: database disk image is malformed)"


def test_sqlite_that_is_not_a_geopackage(tmp_path):
    path = tmp_path / "plain.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE pipes (id TEXT)")
    assert read_error(path).problem.startswith("an SQLite database but not a GeoPackage (application_id")


def test_gpkg_pipes_layer_without_required_column(small_network, tmp_path):
    path = tmp_path / "nolength.gpkg"
    pipes = small_network["pipes"].drop(columns=["length_m", "last_patrol"])
    for c in ("material", "pressure_class", "status"):
        pipes[c] = pipes[c].astype(str)
    pipes.to_file(path, layer="pipes", driver="GPKG")
    error = read_error(path)
    assert error.path == str(path)
    assert error.problem == "layer 'pipes' lacks required column 'length_m'"


def test_gpkg_with_no_gasops_layers(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=gpd.points_from_xy([0], [0]), crs=4326).to_file(path, layer="roads")
    assert read_error(path).problem.startswith("no GasOps layers in this GeoPackage (found ['roads'])")


def test_gpkg_with_layers_in_different_crs(small_network, tmp_path):
    path = write_network(small_network, tmp_path / "mixed.gpkg")
    valves = gpd.read_file(path, layer="valves").to_crs(4490)
    valves.to_file(path, layer="valves", driver="GPKG", mode="w")
    problem = read_error(path).problem
    assert problem.startswith("layers have different CRSs (") and "China Geodetic Coordinate System 2000" in problem


# -- GeoJSON ------------------------------------------------------------------------------------------------------


@pytest.fixture
def geojson(small_network, tmp_path) -> Path:
    return write_network(small_network, tmp_path / "good.geojson")


def test_geojson_truncated(geojson, tmp_path):
    problem = read_error(half(geojson, tmp_path / "half.geojson")).problem
    assert re.fullmatch(r"truncated GeoJSON at line \d+: .+ \(the file ends inside the FeatureCollection\)", problem)


def test_geojson_flipped_bytes(geojson, tmp_path):
    lines = geojson.read_bytes().split(b"\n")
    offset = sum(len(line) + 1 for line in lines[:5]) + 10  # inside the third feature, line 6
    problem = read_error(flip(geojson, tmp_path / "flipped.geojson", offset, 4)).problem
    assert problem.startswith("invalid JSON at line 6, character")


def test_geojson_invalid_pressure_class(geojson, tmp_path):
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    pipe = next(f for f in doc["features"] if f["properties"]["id"] == "P3")
    pipe["properties"]["pressure_class"] = "XX"
    path = tmp_path / "badclass.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    error = read_error(path)
    assert error.path == str(path)
    assert error.problem == (
        "layer 'pipes': column 'pressure_class' has values ['XX'] outside "
        "['LP', 'MP-B', 'MP-A', 'SHP-B', 'SHP-A', 'HP-B', 'HP-A'] (features ['P3'])"
    )


def test_geojson_layer_property_problems(geojson, tmp_path):
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["layer"] = "roads"
    bad = tmp_path / "roads.geojson"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert read_error(bad).problem.startswith("features ['J1'] have unknown layer ['roads']; layers are junctions")
    for feature in doc["features"]:
        del feature["properties"]["layer"]
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert "have no 'layer' property naming their layer" in read_error(bad).problem


# -- Shapefile ----------------------------------------------------------------------------------------------------


@pytest.fixture
def shp_folder(small_network, tmp_path) -> Path:
    return write_network(small_network, tmp_path / "good_shp")


@pytest.mark.parametrize("part", [".shp", ".dbf", ".shx"])
def test_shapefile_part_truncated(shp_folder, part):
    target = shp_folder / f"pipes{part}"
    size = target.stat().st_size
    half(target, target)
    error = read_error(shp_folder)
    assert error.path == str(target)
    assert error.problem.startswith(f"truncated {part} file ({size // 2} bytes of the ")


@pytest.mark.parametrize(("part", "what"), [(".dbf", "attribute table"), (".shx", "index")])
def test_shapefile_part_missing(shp_folder, part, what):
    (shp_folder / f"pipes{part}").unlink()
    assert read_error(shp_folder).problem == f"pipes{part} (the {what} of pipes.shp) is missing"


def test_shapefile_folder_problems(shp_folder, tmp_path):
    (shp_folder / "gasops.json").write_text('{"format": "gasops-shapefile", ', encoding="utf-8")
    assert read_error(shp_folder).problem.startswith("damaged GasOps side file")
    other = tmp_path / "other"
    other.mkdir()
    (other / "roads.shp").write_bytes(bytes(100))
    assert read_error(other).problem.startswith("no shapefiles named after GasOps layers (found ['roads.shp'])")
    assert read_error(other / "roads.shp").problem.startswith("cannot tell which layer 'roads.shp' holds")


# -- GasLib XML and JSON ------------------------------------------------------------------------------------------


def test_gaslib_truncated(gaslib_dir, tmp_path):
    source = gaslib_dir / "GasLib-135.net"
    path = half(source, tmp_path / "half.net")
    last_line = path.read_bytes().count(b"\n") + 1
    problem = read_error(path).problem
    assert re.fullmatch(rf"truncated XML at line {last_line}: .+ \(the file ends before </network>\)", problem)


def test_gaslib_flipped_bytes(gaslib_dir, tmp_path):
    source = gaslib_dir / "GasLib-11.net"
    line_40 = sum(len(line) + 1 for line in source.read_bytes().split(b"\n")[:39])
    problem = read_error(flip(source, tmp_path / "flipped.net", line_40 + 4, 3)).problem
    assert problem.startswith("malformed XML at line 40, column 4: ")


def edit_gaslib(source: Path, dest: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    dest.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dest


def test_gaslib_semantic_problems(gaslib_dir, tmp_path):
    source = gaslib_dir / "GasLib-11.net"
    lines = source.read_text(encoding="utf-8").splitlines()
    pipe_line = next(i for i, line in enumerate(lines, 1) if 'id="pipe02_N01_N02"' in line)
    bad = edit_gaslib(source, tmp_path / "a.net", 'from="N01" id="pipe02_N01_N02"', 'from="N99" id="pipe02_N01_N02"')
    assert read_error(bad).problem == f"line {pipe_line}: pipe 'pipe02_N01_N02' refers to unknown node 'N99'"
    bad = edit_gaslib(source, tmp_path / "b.net", '<length unit="km" value="55"/>', "")
    first_pipe = next(i for i, line in enumerate(lines, 1) if "<pipe " in line)
    assert read_error(bad).problem == f"line {first_pipe}: pipe 'pipe01_entry01_entry03' has no <length>"
    bad = edit_gaslib(
        source, tmp_path / "c.net", '<length unit="km" value="55"/>', '<length unit="furlong" value="55"/>'
    )
    assert "<length> has unknown unit 'furlong' (known: m, meter, km)" in read_error(bad).problem
    text = source.read_text(encoding="utf-8")
    start, end = text.index("<framework:connections>"), text.index("</framework:connections>")
    (tmp_path / "d.net").write_text(text[:start] + text[end + len("</framework:connections>") :], encoding="utf-8")
    assert read_error(tmp_path / "d.net").problem == (
        "not a complete GasLib network: no <framework:connections> section"
    )
    (tmp_path / "e.net").write_text('<?xml version="1.0"?>\n<scenario xmlns="http://x"/>\n', encoding="utf-8")
    assert read_error(tmp_path / "e.net").problem.startswith("not a GasLib network: root element is <scenario>")


def test_gaslib_json_problems(gaslib_dir, tmp_path):
    source = gaslib_dir / "GasLib-4197.network.json"
    problem = read_error(half(source, tmp_path / "half.network.json"), format="gaslib-json").problem
    assert re.fullmatch(r"truncated JSON at line \d+, column \d+: .+", problem)
    doc = json.loads(source.read_text(encoding="utf-8"))
    first = next(iter(doc["pipes"].values()))
    first["fr_node"] = 999999
    (tmp_path / "bad.network.json").write_text(json.dumps(doc), encoding="utf-8")
    assert read_error(tmp_path / "bad.network.json").problem == (
        f"pipes {first['name']!r} refers to unknown node id 999999"
    )


# -- EPANET -------------------------------------------------------------------------------------------------------


def test_epanet_truncated(wntr_networks, tmp_path):
    problem = read_error(half(wntr_networks / "Net3.inp", tmp_path / "half.inp")).problem
    assert problem.startswith("[COORDINATES]: 97 node(s) have no coordinates, e.g. ['10', '15', '20', '35', '40']")
    assert problem.endswith("(the file has no [END]: truncated?)")


def test_epanet_cut_inside_a_line(wntr_networks, tmp_path):
    text = (wntr_networks / "Net3.inp").read_text()
    start = " 101             \t10              \t1"
    cut = text.index(start) + len(start)  # in the middle of pipe 101's line: "101 10 1"
    path = tmp_path / "cut.inp"
    path.write_text(text[:cut])
    line = text[:cut].count("\n") + 1
    assert read_error(path).problem == (
        f"[PIPES] line {line}: expected ID Node1 Node2 Length Diameter Roughness, found 3 field(s)"
        " (the file ends here without [END]: truncated?)"
    )


def test_epanet_pipe_to_unknown_node(wntr_networks, tmp_path):
    text = (wntr_networks / "Net3.inp").read_text()
    old = " 101             \t10              \t101"
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "unknown.inp"
    path.write_text(text.replace(old, " 101             \tJ99             \t101"))
    error = read_error(path)
    assert error.path == str(path)
    assert error.problem == f"[PIPES] line {line}: pipe 101 refers to unknown node J99"


def test_epanet_other_problems(tmp_path):
    path = tmp_path / "words.inp"
    path.write_text("just some notes\n")
    assert read_error(path).problem == "line 1: data before the first [SECTION] header: 'just some notes'"
    path.write_text("; only a comment\n[TIMES]\n Duration 24\n")
    assert read_error(path).problem == "not an EPANET input file (no [JUNCTIONS], [RESERVOIRS], [TANKS] or [PIPES])"
    path.write_text("[JUNCTIONS]\n J1 10\n J2 x\n")
    assert read_error(path).problem == "[JUNCTIONS] line 3: J2: elevation 'x' is not a number"
    path.write_text("[JUNCTIONS]\n J1 10\n J1 12\n")
    assert read_error(path).problem == "[JUNCTIONS] line 3: duplicate node id 'J1' (first in [JUNCTIONS] line 2)"
    path.write_text("[JUNCTIONS]\n J1 10\n[COORDINATES]\n J1 0 0\n J7 1 1\n[END]\n")
    assert read_error(path).problem == "[COORDINATES] line 5: unknown node 'J7'"
