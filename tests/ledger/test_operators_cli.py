"""Scripted drills act as a named operator: the CLI's records are signed by that person, as the GUI's are."""

from __future__ import annotations

import pytest

from console.app.operators import PermissionDenied
from console.errors import GasOpsError
from console.ledger import LedgerNode
from tests.ledger.conftest import PASSPHRASE, run_cli


def test_cli_acts_as_the_operator_named_in_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", PASSPHRASE)
    folder = str(tmp_path / "ledger")
    LedgerNode.init(folder, "cli.gas.example/ledger", PASSPHRASE, scrypt_n=2**10).close()
    monkeypatch.setenv("GASOPS_NEW_OPERATOR_PASSPHRASE", "admin passphrase")
    # The first operator is enrolled by the organisation (no operators yet).
    assert (
        run_cli(["ledger", "operators", "--ledger", folder, "add", "A-1", "--name", "王工", "--roles", "administrator"])
        == 0
    )
    # From now on the ledger has operators: acting anonymously is refused with what to do.
    with pytest.raises(GasOpsError, match="set GASOPS_OPERATOR"):
        run_cli(["ledger", "operators", "--ledger", folder, "add", "D-7", "--name", "李调度", "--roles", "dispatcher"])
    monkeypatch.setenv("GASOPS_OPERATOR", "A-1")
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "admin passphrase")
    monkeypatch.setenv("GASOPS_NEW_OPERATOR_PASSPHRASE", "dispatch passphrase")
    assert (
        run_cli(["ledger", "operators", "--ledger", folder, "add", "D-7", "--name", "李调度", "--roles", "dispatcher"])
        == 0
    )
    # An administrator may not report hazards (not in the role); the dispatcher may.
    with pytest.raises(PermissionDenied, match="may not report a hazard"):
        run_cli(["ledger", "hazard", "report", "--ledger", folder, "--at", "1", "2", "--category", "leak",
              "--severity", "major", "--description", "smell at the riser"])  # fmt: skip
    monkeypatch.setenv("GASOPS_OPERATOR", "D-7")
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "dispatch passphrase")
    assert run_cli(["ledger", "hazard", "report", "--ledger", folder, "--at", "1", "2", "--category", "leak",
                 "--severity", "major", "--description", "smell at the riser", "--id", "HZ-1"]) == 0  # fmt: skip
    with pytest.raises(PermissionDenied, match="may not add operators"):
        run_cli(["ledger", "operators", "--ledger", folder, "add", "X-1", "--name", "x", "--roles", "planner"])
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "not the passphrase")
    with pytest.raises(GasOpsError, match="wrong passphrase for operator D-7"):
        run_cli(["ledger", "hazard", "list", "--ledger", folder])
    capsys.readouterr()
    monkeypatch.setenv("GASOPS_OPERATOR_PASSPHRASE", "dispatch passphrase")
    assert run_cli(["ledger", "operators", "--ledger", folder]) == 0
    listing = capsys.readouterr().out
    assert "A-1" in listing and "D-7" in listing and "dispatcher" in listing

    node = LedgerNode.open(folder, PASSPHRASE)
    try:
        entries = [node.entry(i) for i in range(node.size())]
        report = next(e for e in entries if e.type == "hazard.reported")
        d7 = next(
            e.body["operator"] for e in entries if e.type == "key.operator.enrol" and "dispatcher" in e.body["role"]
        )
        assert report.author == d7 and report.signature_ok()
        denied = [e.body["permission"] for e in entries if e.type == "audit.denied"]
        assert denied == ["hazard.report", "operators.manage"]
        assert node.verify().ok
    finally:
        node.close()
