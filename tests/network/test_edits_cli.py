"""``gasops changes``: diff, apply, submit, show with effect, approve, reject, history — headless, end to end."""

from __future__ import annotations

import json

import shapely

from console.cli import main
from console.io import read_network, write_network
from console.ledger import LedgerNode
from console.network import InsertDevice, SetAttribute
from tests.builders import ORIGIN, chain
from tests.network.edit_helpers import assert_same_network

OX, OY = ORIGIN


def _files(tmp_path):
    base = chain(3)
    edited = base.snapshot()
    InsertDevice(edited, "P2", shapely.Point(OX + 150, OY), "valves").redo()
    SetAttribute(edited, "pipes", ["P1"], "dn", 160).redo()
    ws = tmp_path / "ws"
    ws.mkdir()
    write_network(base, ws / "network.gpkg")
    write_network(edited, tmp_path / "edited.gpkg")
    return ws / "network.gpkg", tmp_path / "edited.gpkg"


def test_diff_apply_round_trip_through_files(tmp_path, capsys):
    master, edited = _files(tmp_path)
    assert main(["changes", "diff", str(master), str(edited), "--out", str(tmp_path / "cs.json")]) == 0
    out = capsys.readouterr().out
    assert "4 added, 2 changed, 0 deleted" in out and "~ pipes        P1" in out and "dn: 110 → 160" in out
    assert main(["changes", "diff", str(master), str(edited), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "draft" and len(doc["changes"]) == 6
    assert main(["changes", "apply", str(master), str(tmp_path / "cs.json"), "--out", str(tmp_path / "out.gpkg")]) == 0
    assert_same_network(read_network(tmp_path / "out.gpkg"), read_network(edited), ordered=False)
    # applying twice: every feature is no longer as the change set found it; nothing written
    code = main(["changes", "apply", str(tmp_path / "out.gpkg"), str(tmp_path / "cs.json")])
    assert code == 1
    err = capsys.readouterr().err
    assert "is no longer in the network" not in err and "already taken" in err, err


def test_submit_show_approve_history_single_user(tmp_path, capsys):
    master, edited = _files(tmp_path)
    main(["changes", "diff", str(master), str(edited), "--out", str(tmp_path / "cs.json"), "--title", "valve on P2"])
    capsys.readouterr()
    assert main(["changes", "submit", str(tmp_path / "cs.json"), "--network", str(master)]) == 0
    change_id = capsys.readouterr().out.split()[1].rstrip(":")
    assert main(["changes", "list", "--network", str(master), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["change_id"] for r in rows] == [change_id] and rows[0]["status"] == "submitted"
    assert main(["changes", "show", change_id, "--network", str(master)]) == 0
    out = capsys.readouterr().out
    assert "valve segments: 1 → 2 (1 split, 0 merged)" in out and "min " in out
    assert main(["changes", "approve", change_id, "--network", str(master), "--comment", "fine"]) == 0
    assert_same_network(read_network(master), read_network(edited), ordered=False)
    assert main(["changes", "history", "P2", "--network", str(master)]) == 0
    assert change_id in capsys.readouterr().out
    assert main(["changes", "reject", change_id, "--network", str(master), "--comment", "late"]) == 1
    assert "already approved" in capsys.readouterr().err


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    master, edited = _files(tmp_path)
    (tmp_path / "bad.json").write_text('{"change_id": "CS-1", "changes": [{"op": "add", "layer": "roads", "id": "X"}]}')
    assert main(["changes", "apply", str(master), str(tmp_path / "bad.json")]) == 1
    err = capsys.readouterr().err
    assert "bad.json" in err and "unknown layer 'roads'" in err and "Traceback" not in err
    assert main(["changes", "show", "CS-nope", "--network", str(master)]) == 1
    assert "no change set 'CS-nope'" in capsys.readouterr().err


def test_review_verbs_signed_as_operators(tmp_path, capsys, monkeypatch):
    master, edited = _files(tmp_path)
    org = "correct horse battery staple"
    node = LedgerNode.init(master.parent / "ledger", "ops.gas.example/ledger", org, scrypt_n=2**10)
    from console.app.operators import OperatorService

    ops = OperatorService(node)
    ops.enrol("A-1", "admin", ["administrator"], "admin pass")
    ops.login("A-1", "admin pass")
    ops.enrol("P-3", "planner", ["planner"], "planner pass")
    ops.enrol("R-2", "reviewer", ["reviewer"], "review pass")
    ops.logout()
    node.close()
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", org)
    main(["changes", "diff", str(master), str(edited), "--out", str(tmp_path / "cs.json")])
    monkeypatch.setenv("GASOPS_OPERATOR", "P-3")
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "planner pass")
    capsys.readouterr()
    assert main(["changes", "submit", str(tmp_path / "cs.json"), "--network", str(master)]) == 0
    change_id = capsys.readouterr().out.split()[1].rstrip(":")
    assert main(["changes", "approve", change_id, "--network", str(master)]) == 1
    assert "cannot approve their own change set" in capsys.readouterr().err
    monkeypatch.setenv("GASOPS_OPERATOR", "R-2")
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "review pass")
    assert main(["changes", "approve", change_id, "--network", str(master)]) == 0
    node = LedgerNode.open(master.parent / "ledger", org)
    entries = [node.entry(i) for i in range(node.size()) if node.entry(i).type == "gis.changeset"]
    assert [e.body["decision"] for e in entries] == ["submitted", "approved"]
    assert (
        entries[1].body["author"] == entries[0].author != entries[1].author
    )  # planner's signature, reviewer's co-sign
    node.close()


def test_conflicts_shown_and_resolved_headless(tmp_path, capsys):
    master, edited = _files(tmp_path)
    main(["changes", "diff", str(master), str(edited), "--out", str(tmp_path / "cs.json")])
    main(["changes", "submit", str(tmp_path / "cs.json"), "--network", str(master)])
    change_id = capsys.readouterr().out.split("\n")[-2].split()[1].rstrip(":")
    other = read_network(master)
    SetAttribute(other, "pipes", ["P1"], "dn", 200).redo()  # another change set reached the master first
    write_network(other, master)
    assert main(["changes", "conflicts", change_id, "--network", str(master)]) == 0
    out = capsys.readouterr().out
    assert "pipes P1: update-update" in out and "dn: ancestor 110 · branch 160 · master 200" in out
    assert main(["changes", "approve", change_id, "--network", str(master)]) == 1
    assert "P1: dn is 200 here, the change set expected 110" in capsys.readouterr().err
    assert main(["changes", "approve", change_id, "--network", str(master), "--resolve", "P1"]) == 1
    assert "write FEATURE=branch or FEATURE=master" in capsys.readouterr().err
    assert read_network(master).feature("P1")["dn"] == 200  # nothing written by the refusals
    assert main(["changes", "approve", change_id, "--network", str(master), "--resolve", "P1=master"]) == 0
    result = read_network(master)
    assert result.feature("P1")["dn"] == 200 and len(result["valves"]) == 1  # the master's P1, the rest applied
