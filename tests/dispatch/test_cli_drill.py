"""A scripted drill through ``gasops incident`` in a workspace folder, then ``gasops ledger verify`` on it."""

from __future__ import annotations

import json

import pytest

from console.app.ledger import LedgerService
from console.app.workspace import Workspace
from console.cli import main
from tests.dispatch.drill import BREAK_PIPE, ORG, demo_network


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws").ensure()
    ws.save(demo_network())
    ledger = LedgerService(ws.ledger_dir)
    ledger.create("cli-drill.gas.example/ledger", ORG, scrypt_n=2**10)
    ledger.close()
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", ORG)
    monkeypatch.delenv("GASOPS_OPERATOR", raising=False)
    return ws


def gasops(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_drill_whole_lifecycle(workspace, capsys, tmp_path):
    ws = str(workspace.folder)
    code, out, err = gasops(capsys, "incident", "open", ws, "--pipe", BREAK_PIPE, "--at", "0.3", "--kind", "rupture",
                            "--json")  # fmt: skip
    assert code == 0, err
    inc = json.loads(out)
    iid, valves = inc["incident_id"], inc["valves"]
    assert inc["state"] == "planned" and inc["grade"] and valves
    assert inc["impact"]["customers_lost"] == inc["restoration"]["affected"] > 0
    assert [s["feature_id"] for s in inc["plan"] if s["required"] and s["action"] == "close_valve"] == valves

    assert gasops(capsys, "incident", "dispatch", ws, iid, "VT-1")[0] == 0
    for status in ("acknowledged", "en_route", "on_site"):
        assert gasops(capsys, "incident", "crew", ws, iid, "VT-1", status)[0] == 0
    # bad input: a valve not in the plan, a meter relit too early: refused, exit 1, one line
    code, _, err = gasops(capsys, "incident", "valve", ws, iid, "V-99999", "closed")
    assert code == 1 and "not in the plan" in err and err.count("\n") == 1
    for v in valves:
        assert gasops(capsys, "incident", "valve", ws, iid, v, "closed", "--crew", "VT-1")[0] == 0
    assert gasops(capsys, "incident", "reading", ws, iid, "methane", "12", "%LEL")[0] == 0
    code, out, _ = gasops(capsys, "incident", "notice", ws, iid, "--language", "en")
    assert code == 0 and "sms" in out
    assert gasops(capsys, "incident", "meter", ws, iid, "shut_off")[0] == 0
    code, _, err = gasops(capsys, "incident", "meter", ws, iid, "relit")
    assert code == 1 and "before the valves reopened" in err
    for v in reversed(valves):
        assert gasops(capsys, "incident", "valve", ws, iid, v, "opened")[0] == 0
    assert gasops(capsys, "incident", "purge", ws, iid)[0] == 0
    assert gasops(capsys, "incident", "meter", ws, iid, "relit")[0] == 0
    code, out, err = gasops(capsys, "incident", "close", ws, iid, "--summary", "drill done", "--json")
    assert code == 0, err
    assert json.loads(out)["state"] == "closed"
    code, _, err = gasops(capsys, "incident", "purge", ws, iid)
    assert code == 1 and "closed" in err

    code, out, _ = gasops(capsys, "incident", "list", ws, "--all", "--json")
    assert [i["incident_id"] for i in json.loads(out)] == [iid]
    code, out, _ = gasops(capsys, "incident", "show", ws, iid)
    assert code == 0 and "Closed: drill done" in out
    report = tmp_path / "report.html"
    assert gasops(capsys, "incident", "report", ws, iid, "--out", str(report))[0] == 0
    assert iid in report.read_text(encoding="utf-8")
    code, out, err = gasops(capsys, "ledger", "verify", "--ledger", str(workspace.ledger_dir))
    assert code == 0 and out.startswith("OK"), out + err


def test_cli_unknown_incident_and_missing_ledger(workspace, capsys, tmp_path):
    code, _, err = gasops(capsys, "incident", "show", str(workspace.folder), "INC-404")
    assert code == 1 and "INC-404" in err
    empty = Workspace(tmp_path / "empty").ensure()
    empty.save(demo_network())
    code, _, err = gasops(capsys, "incident", "list", str(empty.folder))
    assert code == 1 and "gasops ledger init" in err
