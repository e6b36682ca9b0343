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


def test_a_plugin_feed_adapter_runs_from_the_command_line(workspace, mosquitto, capsys):
    """``gasops feed adapter sparkplug`` (the first-party plugin's adapter, found through the installed entry
    point) on a real broker: NBIRTH values become readings in the workspace's history."""
    import threading
    import time

    import paho.mqtt.client as mqtt

    from tests.telemetry.test_sparkplug import D, payload

    assert gasops("feed", "adapter", "--list") == 0
    assert "sparkplug: Sparkplug B" in capsys.readouterr().out
    with pytest.raises(GasOpsError, match="KEY=VALUE"):
        gasops("feed", "adapter", "sparkplug", str(workspace), "--option", "port")
    stop = threading.Event()

    def edge():
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cli-edge")
        client.connect(mosquitto.host, mosquitto.port, 5)
        client.loop_start()
        while not stop.wait(0.3):  # births again and again: the console subscribes at some point meanwhile
            now_ms = int(time.time() * 1000)
            birth = payload(0, now_ms, [("SG", 1, D.DOUBLE, 401.5)], bd_seq=0)
            client.publish("spBv1.0/ZS/NBIRTH/E9", birth, qos=1).wait_for_publish(2)
        client.disconnect()
        client.loop_stop()

    thread = threading.Thread(target=edge, daemon=True)
    thread.start()
    try:
        assert gasops("feed", "adapter", "sparkplug", str(workspace), "--option", f"port={mosquitto.port}",
                      "--option", "group=ZS", "--duration", "4", "--json", "--quiet") == 0  # fmt: skip
    finally:
        stop.set()
        thread.join(5)
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert summary["feed"]["feed"].startswith("sparkplug") and summary["feed"]["accepted"] >= 1
    assert summary["feed"]["accepted"] + summary["feed"]["dropped_total"] == summary["feed"]["received"]
