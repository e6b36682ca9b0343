"""Evidence bundles (export, offline verification, tampering) and the ``gasops ledger`` command line."""

from __future__ import annotations

import json
import zipfile

import pytest

import console.ledger as ledger
from console.ledger import collect_cosignatures, export_hazard_bundle, verify_bundle
from tests.ledger.conftest import PASSPHRASE, link, reported, run_cli


@pytest.fixture
def bundle(make_node, serve, tmp_path):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    photo = a.put_evidence(b"\x89PNG fake photo of the leak", "image/png")
    r = a.append(*reported("H-77", attachments=[photo]))
    a.append("hazard.assigned", {"hazard_id": "H-77", "prev": r.leaf_hash, "assignee": "crew-1"})
    a.append(*reported("H-78"))
    from console.ledger import sync_peer

    assert sync_peer(b, "a").status == "synced"
    assert collect_cosignatures(a).witnessed
    out = export_hazard_bundle(a, "H-77", tmp_path / "H-77.zip")
    return out, a


def _rewrite(path, change):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def test_bundle_verifies_offline_and_writes_a_report(bundle, tmp_path):
    path, a = bundle
    report = verify_bundle(path, tmp_path / "report.html", trusted_log_keys=[a.org_vkey])
    assert report.ok, [c for c in report.checks if not c.ok]
    assert [t["step"] for t in report.timeline] == ["reported", "assigned"]
    html = (tmp_path / "report.html").read_text()
    assert "VERIFIED" in html and "H-77" in html and "NOT VERIFIED" not in html


def _manifest_change(fn):
    def change(members):
        m = json.loads(members["bundle.json"])
        fn(m)
        members["bundle.json"] = json.dumps(m).encode()

    return change


@pytest.mark.parametrize(
    "tamper, failing",
    [
        (
            _manifest_change(
                lambda m: m["entries"][-1].update(entry=m["entries"][-1]["entry"].replace("crew-1", "crew-2"))
            ),
            "entry",
        ),
        (_manifest_change(lambda m: m["entries"][-1]["inclusion_proof"].reverse()), "entry"),
        (
            _manifest_change(lambda m: m.update(checkpoint=m["checkpoint"].replace("\n\n", "\nextra\n\n", 1))),
            "checkpoint signature",
        ),
        (
            _manifest_change(
                lambda m: m.update(
                    checkpoint="\n".join(line for line in m["checkpoint"].split("\n") if "witness" not in line)
                )
            ),
            "witnessed",
        ),
        (lambda members: members.update({k: b"photoshopped" for k in members if k.startswith("files/")}), "file"),
    ],
    ids=["changed-entry", "bad-proof", "changed-checkpoint", "cosignature-removed", "changed-file"],
)
def test_tampered_bundles_fail(bundle, tmp_path, tamper, failing):
    path, _ = bundle
    _rewrite(path, tamper)
    report = verify_bundle(path, tmp_path / "bad.html")
    assert not report.ok
    assert any(c.name.startswith(failing) and not c.ok for c in report.checks), report.checks
    assert "NOT VERIFIED" in (tmp_path / "bad.html").read_text()


def test_bundle_with_an_untrusted_key_is_flagged(bundle, make_node):
    path, _ = bundle
    other = make_node("z")
    report = verify_bundle(path, trusted_log_keys=[other.org_vkey])
    assert not report.ok and any(c.name == "trusted log key" and not c.ok for c in report.checks)


def test_cli_round_trip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", PASSPHRASE)
    folder = str(tmp_path / "ledger")
    assert run_cli(["ledger", "init", "--ledger", folder, "--origin", "cli.gas.example/ledger"]) == 0
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg bytes")
    body = json.dumps(reported("H-1")[1])
    assert run_cli(["ledger", "append", "--ledger", folder, "hazard.reported", body, "--attach", str(photo)]) == 0
    assert run_cli(["ledger", "verify", "--ledger", folder]) == 0
    out = tmp_path / "H-1.zip"
    assert run_cli(["ledger", "export", "--ledger", folder, "--hazard", "H-1", str(out)]) == 0
    # Not witnessed (no peers): the bundle is intact but does not meet the quorum.
    assert run_cli(["ledger", "verify-bundle", str(out), "--report", str(tmp_path / "r.html")]) == 1
    text = capsys.readouterr().out
    assert "witnessed" in text and "file" in text and (tmp_path / "r.html").exists()
    assert run_cli(["ledger", "peers", "--ledger", folder, "self"]) == 0
    assert "cli.gas.example/ledger+" in capsys.readouterr().out


def test_public_api_is_pinned():
    assert sorted(ledger.__all__) == sorted(set(ledger.__all__))
    for name in ledger.__all__:
        assert hasattr(ledger, name), name
    assert {
        "LedgerNode",
        "LedgerServer",
        "verify_inclusion",
        "verify_consistency",
        "export_hazard_bundle",
        "verify_bundle",
        "sync_peer",
    } <= set(ledger.__all__)


def test_service_signals_for_a_dock(make_node):
    node = make_node()
    seen = {"entries": [], "checkpoints": []}
    node.entry_appended.connect(seen["entries"].append)
    node.checkpoint_signed.connect(seen["checkpoints"].append)
    node.append_many([reported("S-1"), reported("S-2")])
    assert [r.index for r in seen["entries"]] == [1, 2] and len(seen["checkpoints"]) == 1
    (log,) = node.logs()
    assert json.loads(json.dumps(log.to_dict()))["size"] == 3
    assert node.checkpoints()[-1]["size"] == 3


def test_cli_hazard_report_advance_list(tmp_path, monkeypatch, capsys):
    """`gasops ledger hazard …` signs the same entries as the GUI, through the ledger service."""
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", PASSPHRASE)
    folder = str(tmp_path / "ledger")
    assert run_cli(["ledger", "init", "--ledger", folder, "--origin", "cli.gas.example/ledger"]) == 0
    capsys.readouterr()
    photo = tmp_path / "riser.jpg"
    photo.write_bytes(b"jpeg bytes")
    report = ["ledger", "hazard", "report", "--ledger", folder, "--at", "500100.5", "3400200.25", "--crs", "EPSG:4529"]
    report += ["--category", "leak", "--severity", "major", "--description", "gas smell", "--attach", str(photo)]
    assert run_cli([*report, "--id", "HZ-CLI-1", "--asset", "P-17", "--reporter", "inspector-07"]) == 0
    assert capsys.readouterr().out.startswith("HZ-CLI-1 reported: entry 1 ")
    assert run_cli(["ledger", "hazard", "advance", "--ledger", folder, "HZ-CLI-1", "--assignee", "crew-3"]) == 0
    assert capsys.readouterr().out.startswith("HZ-CLI-1 assigned: entry 2 ")
    # out of order: refused with the reason, nothing appended
    with pytest.raises(ledger.LedgerError, match="Not allowed: hazard HZ-CLI-1 is assigned; closed must follow"):
        run_cli(["ledger", "hazard", "advance", "--ledger", folder, "HZ-CLI-1", "closed"])
    assert (
        run_cli(["ledger", "hazard", "advance", "--ledger", folder, "HZ-CLI-1", "--description", "coupling replaced"])
        == 0
    )
    capsys.readouterr()

    assert run_cli(["ledger", "hazard", "list", "--ledger", folder, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["hazard_id"], row["status"], row["asset_id"], row["crs"]) == (
        "HZ-CLI-1",
        "rectified",
        "P-17",
        "EPSG:4529",
    )
    assert [s["state"] for s in row["steps"]] == ["reported", "assigned", "rectified"]
    assert run_cli(["ledger", "hazard", "list", "--ledger", folder, "--status", "closed"]) == 0
    assert capsys.readouterr().out.strip() == "no hazards"
    assert run_cli(["ledger", "verify", "--ledger", folder]) == 0

    node = ledger.LedgerNode.open(folder)
    try:
        body = node.hazard_history("HZ-CLI-1")[0].body
        assert body["location"] == {"x": 500100.5, "y": 3400200.25, "crs": "EPSG:4529"}
        assert body["attachments"][0]["media_type"] == "image/jpeg" and "reporter_digest" in body
    finally:
        node.close()


def test_cli_peers_add_and_remove(make_node, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", PASSPHRASE)
    folder = str(tmp_path / "ledger")
    assert run_cli(["ledger", "init", "--ledger", folder, "--origin", "cli.gas.example/ledger"]) == 0
    peer = make_node("b")
    add = ["ledger", "peers", "--ledger", folder, "add", "b", "http://127.0.0.1:9", peer.origin]
    assert run_cli([*add, peer.org_vkey, peer.witness_vkey]) == 0
    capsys.readouterr()
    assert run_cli(["ledger", "peers", "--ledger", folder]) == 0
    assert capsys.readouterr().out.startswith("b ")
    assert run_cli(["ledger", "peers", "--ledger", folder, "remove", "b"]) == 0
    assert run_cli(["ledger", "peers", "--ledger", folder]) == 0
    assert capsys.readouterr().out.strip() == "removed peer b"
