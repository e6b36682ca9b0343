"""gasops command line: the light built-in commands, exit codes and one-line errors."""

import json

import pytest

from console.cli import main
from console.io import read_network, write_network
from tests.builders import chain


@pytest.fixture
def small_gpkg(tmp_path):
    path = tmp_path / "chain.gpkg"
    write_network(chain(4), path)
    return path


def test_info_text_and_json(small_gpkg, capsys):
    assert main(["info", str(small_gpkg)]) == 0
    out = capsys.readouterr().out
    assert "EPSG:4529" in out and "Pipes" in out and "validation  OK" in out
    assert main(["info", str(small_gpkg), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counts"]["pipes"] == 4
    assert info["pipe_length_km"] == pytest.approx(0.4)
    assert info["validation"]["ok"] is True
    assert info["components"] == 1


def test_convert_reprojects_and_keeps_ids(small_gpkg, tmp_path, capsys):
    out = tmp_path / "out.geojson"
    assert main(["convert", str(small_gpkg), str(out), "--to-crs", "EPSG:4490"]) == 0
    assert "wrote" in capsys.readouterr().out
    net = read_network(out)
    assert net.crs.to_epsg() == 4490
    assert net["pipes"]["id"].tolist() == ["P1", "P2", "P3", "P4"]
    x, y = net["gate_stations"].geometry.iat[0].coords[0]
    assert 121.5 < x < 124.5 and 29 < y < 31  # zone 41 around Zhoushan, now in degrees
    assert net["pipes"]["length_m"].tolist() == pytest.approx([100.0] * 4)  # lengths are kept, not degrees


def test_demo_command_writes_a_valid_district(tmp_path, capsys):
    out = tmp_path / "demo.gpkg"
    assert main(["demo", str(out), "--pipes", "800", "--seed", "3"]) == 0
    assert "wrote" in capsys.readouterr().out
    net = read_network(out)
    assert abs(len(net["pipes"]) - 800) <= 40
    assert net.crs.to_epsg() == 4529


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["info", "/no/such/file.gpkg"], "no such file"),
        (["demo", "x.gpkg", "--pipes", "5"], "--pipes 5"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(argv, needle, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gasops: error:") and needle in err
    assert "\n" not in err and "Traceback" not in err


def test_corrupt_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "broken.gpkg" in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["convert", "only-one-arg"])
    assert exc.value.code == 2
