"""Bundles are verified against a trust policy from outside the evidence: the attacks of issue 16 are rejected."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ledger import (
    LedgerError,
    LedgerNode,
    NoteVerifier,
    SigningKey,
    TrustPolicy,
    collect_cosignatures,
    cosign_note,
    export_hazard_bundle,
    parse_note,
    sync_peer,
    verify_bundle,
)
from console.ledger._note import SIG_COSIGNATURE_V1
from tests.ledger.conftest import PASSPHRASE, link, reported, run_cli


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


@pytest.fixture
def witnessed_hazard(make_node, serve, tmp_path):
    """Log a (witnessed by b) with hazard H-1 reported and assigned; a copy of a's folder taken at that point."""
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    r = a.append(*reported("H-1"))
    r2 = a.append("hazard.assigned", {"hazard_id": "H-1", "prev": r.leaf_hash, "assignee": "crew-1"})
    assert sync_peer(b, "a").status == "synced"
    assert collect_cosignatures(a).witnessed
    snapshot = tmp_path / "a-copy"
    shutil.copytree(a.folder, snapshot)
    a.append("hazard.rectified", {"hazard_id": "H-1", "prev": r2.leaf_hash, "description": "coupling replaced"})
    assert collect_cosignatures(a).witnessed
    trust = TrustPolicy.from_vkeys([a.org_vkey, b.witness_vkey], quorum=1, source="test trust")
    return a, b, snapshot, r2, trust


def _owner_rewrite(snapshot, prev, out, fake_witness_name: str, fake_seed: bytes | None = None):
    """The log's owner rewrites history with the real organisation key (restored copy, witnesses ignored) and
    cosigns it with a witness key it made up under ``fake_witness_name``."""
    forged = LedgerNode.open(snapshot, PASSPHRASE)
    try:
        forged.checked_witnesses = True  # the owner controls the code: no rollback check
        forged.append(
            "hazard.rectified", {"hazard_id": "H-1", "prev": prev.leaf_hash, "description": "nothing found, closed"}
        )
        export_hazard_bundle(forged, "H-1", out)
    finally:
        forged.close()
    fake = (
        SigningKey.from_seed(fake_witness_name, fake_seed, "witness")
        if fake_seed
        else SigningKey.generate(fake_witness_name, "witness")
    )
    members = _members(out)
    m = json.loads(members["bundle.json"])
    note = parse_note(m["checkpoint"])
    note = note.with_signatures(cosign_note(note.text, fake, fake.name, 1_700_000_000))
    m["checkpoint"] = note.serialize()
    m["witness_keys"] = [NoteVerifier(fake.name, fake.public_key, SIG_COSIGNATURE_V1).vkey]
    members["bundle.json"] = json.dumps(m).encode()
    _write(out, members)
    return out


def test_honest_bundle_verifies_against_the_trust_policy(witnessed_hazard, tmp_path):
    a, b, _, _, trust = witnessed_hazard
    out = export_hazard_bundle(a, "H-1", tmp_path / "h1.zip")
    report = verify_bundle(out, tmp_path / "h1.html", trust=trust)
    assert report.ok and report.verdict == "VERIFIED", [c for c in report.checks if not c.ok]
    assert {k["name"] for k in report.trusted_keys} == {a.origin, b.config["witness_name"]}
    html = (tmp_path / "h1.html").read_text()
    assert "test trust" in html and NoteVerifier.from_vkey(b.witness_vkey).key_id.hex() in html


def test_owner_rewrite_with_a_made_up_witness_under_the_real_name_is_rejected(witnessed_hazard, tmp_path):
    a, b, snapshot, prev, trust = witnessed_hazard
    out = _owner_rewrite(snapshot, prev, tmp_path / "forged.zip", b.config["witness_name"])
    report = verify_bundle(out, tmp_path / "forged.html", trust=trust)
    assert not report.ok and report.verdict == "NOT VERIFIED"
    (witnessed,) = [c for c in report.checks if c.name == "witnessed"]
    assert not witnessed.ok and witnessed.detail.startswith("0 of 1")
    # Without a trust policy it is never VERIFIED: it is reported as only consistent with itself.
    alone = verify_bundle(out)
    assert not alone.ok and alone.verdict == "SELF-CONSISTENT, NOT TRUSTED" and not alone.trusted


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["b.gas.example/ledger/witness", "w", "a.gas.example/ledger"]),
    seed=st.binary(min_size=32, max_size=32),
)
def test_no_made_up_witness_key_meets_the_quorum(witnessed_hazard, tmp_path_factory, name, seed):
    _, _, snapshot, prev, trust = witnessed_hazard
    work = tmp_path_factory.mktemp("forge")
    copy = work / "copy"
    shutil.copytree(snapshot, copy)
    out = _owner_rewrite(copy, prev, work / "forged.zip", name, seed)
    assert not verify_bundle(out, trust=trust).ok


def test_stripped_cosignatures_and_quorum_zero_are_rejected(witnessed_hazard, tmp_path):
    a, _, _, _, trust = witnessed_hazard
    out = export_hazard_bundle(a, "H-1", tmp_path / "h1.zip")
    members = _members(out)
    m = json.loads(members["bundle.json"])
    note = parse_note(m["checkpoint"])
    m["checkpoint"] = note.without(NoteVerifier.from_vkey(trust.witnesses[0].vkey).name).serialize()
    m["quorum"], m["witness_keys"] = 0, []
    members["bundle.json"] = json.dumps(m).encode()
    _write(out, members)
    for report in (verify_bundle(out, trust=trust), verify_bundle(out)):
        assert not report.ok
        assert any(c.name == "witnessed" and not c.ok for c in report.checks)


def test_bundle_made_up_with_fresh_keys(make_node, serve, tmp_path, witnessed_hazard, capsys):
    """A whole log made up by someone else: self-consistent, so without trust it exits 2; with trust it fails."""
    _, _, _, _, trust = witnessed_hazard
    liar, liar_w = make_node("a2"), make_node("w2")
    link(liar, serve(liar), liar_w, serve(liar_w))
    liar.append(*reported("H-1"))
    sync_peer(liar_w, "a2")
    assert collect_cosignatures(liar).witnessed
    out = export_hazard_bundle(liar, "H-1", tmp_path / "made-up.zip")
    assert run_cli(["ledger", "verify-bundle", str(out)]) == 2
    text = capsys.readouterr().out
    assert "SELF-CONSISTENT, NOT TRUSTED" in text and "the bundle itself" in text
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(
        json.dumps(
            {
                "format": "gasops-trust/v1",
                "logs": {trust.log_keys[0].name: [trust.log_keys[0].vkey]},
                "witnesses": [w.vkey for w in trust.witnesses],
                "quorum": 1,
                "why": "read out at the audit meeting",
            }
        )
    )
    assert run_cli(["ledger", "verify-bundle", str(out), "--trust-file", str(trust_file)]) == 1
    text = capsys.readouterr().out
    assert "NOT VERIFIED" in text and "trust file" in text
    # the same log under a trust policy naming its key: a different origin, so still nothing trusted for it
    report = verify_bundle(out, trust=trust)
    assert not report.ok and any(c.name == "trusted log key" and not c.ok for c in report.checks)


def test_cli_trust_file_verifies_the_honest_bundle(witnessed_hazard, tmp_path, capsys):
    a, b, _, _, _ = witnessed_hazard
    out = export_hazard_bundle(a, "H-1", tmp_path / "h1.zip")
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(
        json.dumps({"format": "gasops-trust/v1", "logs": {a.origin: [a.org_vkey]}, "witnesses": [b.witness_vkey]})
    )
    assert run_cli(["ledger", "verify-bundle", str(out), "--trust-file", str(trust_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "VERIFIED" and doc["trusted"] and len(doc["trusted_keys"]) == 2
    assert run_cli(["ledger", "verify-bundle", str(out), "--trust", a.org_vkey, b.witness_vkey]) == 0
    # a quorum the witnesses cannot meet
    with pytest.raises(LedgerError, match="quorum 2"):
        run_cli(["ledger", "verify-bundle", str(out), "--trust-file", str(trust_file), "--quorum", "2"])


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        "[]",
        '{"format": "other"}',
        '{"format": "gasops-trust/v1", "logs": ["x"]}',
        '{"format": "gasops-trust/v1", "witnesses": ["nonsense"]}',
        '{"format": "gasops-trust/v1", "quorum": true}',
        '{"format": "gasops-trust/v1", "logs": {"a": [' + '"x",' * 3 + '"y"]}}',
        "[" * 100_000,
    ],
)
def test_bad_trust_files_are_clear_errors(tmp_path, doc):
    f = tmp_path / "t.json"
    f.write_text(doc)
    with pytest.raises(LedgerError, match="trust"):
        TrustPolicy.from_file(f)


def test_rotated_key_is_trusted_through_the_log(witnessed_hazard, tmp_path):
    a, b, _, _, trust = witnessed_hazard
    a.rotate_org_key(PASSPHRASE, "yearly rotation")
    a.append(*reported("H-2"))
    sync_peer(b, "a")
    assert collect_cosignatures(a).witnessed
    out = export_hazard_bundle(a, "H-1", tmp_path / "rotated.zip")
    report = verify_bundle(out, trust=trust)  # only the genesis key is pinned
    assert report.ok, [c for c in report.checks if not c.ok]
    assert any("key.org.rotate" in k["why"] for k in report.trusted_keys)
