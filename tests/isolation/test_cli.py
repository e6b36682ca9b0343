"""``gasops isolate`` end to end on a GeoPackage: text and JSON output, exit codes, clear one-line errors."""

import csv
import json

import pytest

from console.cli import main
from console.io import write_network
from console.isolation import IsolationResult
from tests.isolation.nets import path_network


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    # MP {G P1 A} =V1= {B P2 Q} >R1> LP {D P3 E P5 C1} =V3= LP {F P4 H P6 C2}; V1 cannot be reached
    net = path_network(
        [
            "G",
            "V0",
            "G1",
            "P0",
            "A0",
            "V9",
            "A",
            "P1",
            "A1",
            "V1",
            "B",
            "P2",
            "Q",
            "R1",
            "D",
            "P3",
            "E",
            "V3",
            "F",
            "P4",
            "H",
        ],
        ["E", "P5", "C1"],
        ["H", "P6", "C2"],
        attrs={
            "V1": {"accessible": False},
            "C1": {"households": 12, "peak_demand_nm3h": 6.0},
            "C2": {"category": "special", "special_kind": "hospital", "name": "Hospital", "peak_demand_nm3h": 30.0},
        },
    )
    path = tmp_path_factory.mktemp("cli") / "net.gpkg"
    write_network(net, path)
    return str(path)


def test_text_report(gpkg, capsys):
    assert main(["isolate", gpkg, "--pipe", "P2", "--at", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "close V9" in out  # V1 is not accessible: the next ring
    assert "V1" in out and "not accessible" in out
    assert "Hospital [hospital]" in out
    assert "customers lost      2" in out


def test_json_report_round_trips(gpkg, capsys):
    assert main(["isolate", gpkg, "--node", "Q", "--inoperable", "V9", "--json"]) == 0
    result = IsolationResult.from_dict(json.loads(capsys.readouterr().out))
    assert result.valves_to_close == ("V0",)
    assert result.skipped_valves == ("V1", "V9")
    assert [c.feature_id for c in result.impact.customers] == ["C2", "C1"]


def test_several_breaks_and_nearest_first(gpkg, capsys):
    assert (
        main(
            [
                "isolate",
                gpkg,
                "--pipe",
                "P3",
                "--at",
                "0.5",
                "--pipe",
                "P1",
                "--at",
                "0.1",
                "--order",
                "nearest_first",
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert [b["feature_id"] for b in result["request"]["breaks"]] == ["P3", "P1"]
    assert result["order_rule"] == "nearest_first"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pipe", "NOPE"], "unknown feature id 'NOPE'"),
        (["--node", "NOPE"], "unknown feature id 'NOPE'"),
        (["--pipe", "P2", "--inoperable", "V1,VX"], "unknown feature id 'VX'"),
        (["--pipe", "P2", "--at", "1.5"], "between 0 and 1"),
        (["--pipe", "P2", "--at", "0.1", "--at", "0.2"], "give one per pipe"),
        ([], "give a break position"),
    ],
)
def test_errors_exit_non_zero_with_one_line(gpkg, capsys, argv, message):
    assert main(["isolate", gpkg, *argv]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("gasops: error:") and err.count("\n") == 1


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["isolate", str(tmp_path / "none.gpkg"), "--pipe", "P1"]) == 1
    assert "none.gpkg" in capsys.readouterr().err


def test_csv_exports_for_crews_and_notices(gpkg, tmp_path, capsys):
    plan, customers = tmp_path / "plan.csv", tmp_path / "customers.csv"
    assert main(["isolate", gpkg, "--pipe", "P2", "--plan-csv", str(plan), "--customers-csv", str(customers)]) == 0
    capsys.readouterr()
    assert plan.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names right
    rows = list(csv.DictReader(plan.open(encoding="utf-8-sig")))
    assert [(r["action"], r["feature_id"]) for r in rows] == [("close_valve", "V9"), ("skipped", "V1")]
    assert 121.0 < float(rows[0]["lon"]) < 123.5 and 29.0 < float(rows[0]["lat"]) < 31.0  # Zhoushan
    people = list(csv.DictReader(customers.open(encoding="utf-8-sig")))
    assert [(r["feature_id"], r["category"], r["role"]) for r in people] == [
        ("C2", "special", "cut_off"),
        ("C1", "residential", "cut_off"),
    ]
