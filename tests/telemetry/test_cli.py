"""``gasops feed …`` and ``gasops alarms`` through their argparse subcommands (wired into gasops by the lead)."""

from __future__ import annotations

import argparse
import json

import pytest

from console.cli.feed import add_parser
from console.errors import GasOpsError
from console.io import write_network


def gasops(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gasops")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.fixture
def workspace(net, tmp_path):
    write_network(net, tmp_path / "network.gpkg")
    return tmp_path


def test_simulate_prints_alarms_then_alarms_lists_them(workspace, capsys):
    assert gasops("feed", "simulate", str(workspace), "--duration", "1800", "--seed", "3", "--no-faults",
                  "--leak", "PA2@600:0.9", "--json", "--record", str(workspace / "rec.parquet")) == 0  # fmt: skip
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    events, summary = [x["event"] for x in lines[:-1]], lines[-1]["summary"]
    raised = {(e["sensor_id"], e["condition"]) for e in events if e["kind"] == "activated"}
    assert {("SA1", "LO"), ("SA1", "LOLO")} <= raised, raised
    assert summary["feed"]["accepted"] == summary["feed"]["received"] > 0
    assert {(a["sensor_id"], a["condition"]) for a in summary["alarms"]} == raised
    assert (workspace / "console.db").exists() and (workspace / "rec.parquet").exists()

    assert gasops("alarms", str(workspace), "--json") == 0
    stored = json.loads(capsys.readouterr().out)
    state = lambda alarms: {(a["sensor_id"], a["condition"], a["state"]) for a in alarms}  # noqa: E731
    assert state(stored) == state(summary["alarms"])  # the database tells what the console knew
    assert gasops("alarms", str(workspace), "--history", "--sensor", "SA1") == 0
    history = capsys.readouterr().out.splitlines()
    assert history and all(" SA1 " in line for line in history) and any("LOLO  activated" in line for line in history)
    assert gasops("alarms", str(workspace), "--flood") == 0
    assert "floods (> 10 per period): 0 periods" in capsys.readouterr().out


def test_replay_of_the_recording_into_another_workspace(workspace, tmp_path_factory, capsys):
    gasops("feed", "simulate", str(workspace), "--duration", "900", "--no-faults", "--regulator-failure", "RB@300",
           "--record", str(workspace / "rec.csv"), "--no-store", "--quiet")  # fmt: skip
    capsys.readouterr()
    other = tmp_path_factory.mktemp("other")
    assert (
        gasops("feed", "replay", str(workspace / "network.gpkg"), str(workspace / "rec.csv"), "--workspace", str(other))
        == 0
    )
    out = capsys.readouterr().out
    assert "SB0          HIHI  activated" in out and "finished" in out
    assert (other / "console.db").exists()


def test_user_errors(workspace, tmp_path):
    with pytest.raises(GasOpsError, match="FEATURE_ID@SECONDS"):
        gasops("feed", "simulate", str(workspace), "--leak", "PA2")
    with pytest.raises(GasOpsError, match="no console.db here"):
        gasops("alarms", str(tmp_path / "empty"))
    (tmp_path / "folder").mkdir()
    with pytest.raises(GasOpsError, match="holds network.gpkg"):
        gasops("feed", "simulate", str(tmp_path / "folder"))
