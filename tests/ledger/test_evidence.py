"""Portable equivocation proofs: `gasops ledger evidence export|verify` (issue 16)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.ledger import (
    Checkpoint,
    LedgerError,
    LedgerNode,
    MerkleTree,
    Note,
    NoteVerifier,
    SigningKey,
    SyncLimits,
    equivocation_proof,
    leaf_hash,
    sign_note,
    sync_peer,
    verify_equivocation,
)
from console.ledger._canonical import b64
from tests.ledger.conftest import PASSPHRASE, link, reported, run_cli
from tests.ledger.test_sync import _clone, _fill

FAST = SyncLimits(timeout_s=5)


@pytest.fixture
def forked(make_node, serve, tmp_path):
    """b follows a; a's owner runs a twin with a second history from size 6 on; b meets both."""
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    _fill(a, "E", 5)
    twin = LedgerNode.open(_clone(a, tmp_path / "twin"), PASSPHRASE)
    twin.checked_witnesses = True
    _fill(a, "honest", 3)
    _fill(twin, "forked", 3)
    assert sync_peer(b, "a", FAST).status == "synced"
    st_ = serve(twin)
    b.add_peer("a", st_.url, a.origin, a.org_vkey, a.witness_vkey)
    assert sync_peer(b, "a", FAST).status == "equivocation"  # same size 9, two roots
    _fill(twin, "more", 2)
    assert sync_peer(b, "a", FAST).status == "equivocation"  # size 11 that does not extend 9
    yield a, b, twin
    twin.close()


def test_exported_proofs_verify_with_the_logs_key(forked, tmp_path, capsys):
    a, b, _ = forked
    folder = str(b.folder)
    assert run_cli(["ledger", "evidence", "--ledger", folder, "list"]) == 0
    listed = capsys.readouterr().out
    assert "same-size" in listed and "inconsistent" in listed
    for record, kind in zip(b.equivocations(), ("same-size", "prefix"), strict=True):
        out = tmp_path / f"eq-{record.id}.json"
        assert run_cli(["ledger", "evidence", "--ledger", folder, "export", str(record.id), str(out)]) == 0
        assert json.loads(out.read_text())["kind"] == kind
        assert run_cli(["ledger", "evidence", "verify", str(out), "--key", a.org_vkey]) == 0
        assert "EQUIVOCATION PROVEN" in capsys.readouterr().out.split("wrote")[-1]
        # without the key from out of band: proven only under the file's own keys
        assert run_cli(["ledger", "evidence", "verify", str(out)]) == 2
        # under some other key: not a proof
        other = NoteVerifier.for_key(a.origin, SigningKey.generate(a.origin)).vkey
        assert run_cli(["ledger", "evidence", "verify", str(out), "--key", other]) == 1
        capsys.readouterr()


def test_a_tampered_proof_file_is_not_a_proof(forked, tmp_path):
    a, b, _ = forked
    same, prefix = b.equivocations()
    doc = equivocation_proof(b, same.id)
    doc["checkpoint_b"] = doc["checkpoint_a"]  # the same checkpoint twice
    f = tmp_path / "t.json"
    f.write_text(json.dumps(doc))
    assert not verify_equivocation(f, [a.org_vkey]).proven
    doc = equivocation_proof(b, prefix.id)
    doc["prefix_root"] = b64(bytes(32))
    f.write_text(json.dumps(doc))
    report = verify_equivocation(f, [a.org_vkey])
    assert not report.ok and "consistency" in report.detail
    for garbage in (b"", b"[" * 100_000, b'{"format": "gasops-equivocation-proof/v1"}', b"\xff"):
        f.write_bytes(garbage)
        with pytest.raises(LedgerError, match="t.json"):
            verify_equivocation(f)


KEY = SigningKey.from_seed("eq.example/log", bytes(32), "organisation")


def _signed(size: int, root: bytes) -> str:
    cp = Checkpoint("eq.example/log", size, root)
    return Note(cp.text, (sign_note(cp.text, KEY, "eq.example/log"),)).serialize()


@settings(max_examples=150, deadline=None)
@given(
    k=st.integers(1, 40),
    extra=st.integers(1, 40),
    fork_at=st.one_of(st.none(), st.integers(0, 39)),
)
def test_prefix_proofs_are_sound_and_complete(tmp_path_factory, k, extra, fork_at):
    """A prefix proof is accepted exactly when the larger tree's first k leaves differ from the smaller tree."""
    n = k + extra
    leaves = [leaf_hash(b"leaf %d" % i) for i in range(n)]
    other = list(leaves)
    if fork_at is not None and fork_at < k:
        other[fork_at] = leaf_hash(b"forged")
    small, large = MerkleTree(leaves[:k]), MerkleTree(other)
    doc = {
        "format": "gasops-equivocation-proof/v1",
        "origin": "eq.example/log",
        "kind": "prefix",
        "log_keys": [],
        "checkpoint_a": _signed(k, small.root()),
        "checkpoint_b": _signed(n, large.root()),
        "consistency_proof": [b64(p) for p in large.consistency_proof(k, n)],
        "prefix_root": b64(large.root(k)),
    }
    f = tmp_path_factory.mktemp("p") / "p.json"
    f.write_text(json.dumps(doc))
    report = verify_equivocation(f, [NoteVerifier.for_key("eq.example/log", KEY).vkey])
    assert report.ok == (fork_at is not None and fork_at < k), report.detail


def test_cli_evidence_needs_arguments(tmp_path, make_node):
    node = make_node("e")
    with pytest.raises(LedgerError, match="no equivocation 7"):
        equivocation_proof(node, 7)
    node.append(*reported("H-1"))


@pytest.mark.parametrize("held, fork_at", [(8, 4), (4, 1), (16, 15), (8, 7), (2, 1), (6, 3)])
def test_fork_from_any_size_is_exportable(make_node, serve, tmp_path, held, fork_at):
    """b holds ``held`` entries of a (a power of two in most cases: a consistency proof from there does not carry the
    prefix root); a's twin forks after ``fork_at`` entries and grows past b's size. The record keeps what pins the
    twin's prefix, so the export is a proof for anyone with a's key."""
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    if fork_at > 1:
        _fill(a, "E", fork_at - 1)
    twin = LedgerNode.open(_clone(a, tmp_path / "twin"), PASSPHRASE)
    twin.checked_witnesses = True
    try:
        _fill(a, "honest", held - fork_at)
        assert sync_peer(b, "a", FAST).new_size == held
        _fill(twin, "forked", held - fork_at + 3)
        b.add_peer("a", serve(twin).url, a.origin, a.org_vkey, a.witness_vkey)
        assert sync_peer(b, "a", FAST).status == "equivocation"
        [record] = b.equivocations()
        assert record.kind == "inconsistent"
        out = tmp_path / "eq.json"
        assert run_cli(["ledger", "evidence", "--ledger", str(b.folder), "export", str(record.id), str(out)]) == 0
        report = verify_equivocation(out, [a.org_vkey])
        assert report.ok and report.kind == "prefix", report.detail
    finally:
        twin.close()


def test_fork_met_as_a_witness_from_a_power_of_two_is_exportable(make_node, serve, tmp_path):
    """b witnessed a at size 8; a's twin (forked after 4) asks b to cosign size 11 with a proof from 8, which does
    not carry the twin's root at 8. b fetches what pins it from the log's node at once, so the record exports."""
    import time

    from console.ledger import collect_cosignatures

    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    _fill(a, "E", 3)
    twin = LedgerNode.open(_clone(a, tmp_path / "twin"), PASSPHRASE)
    twin.checked_witnesses = True
    try:
        _fill(a, "honest", 4)
        assert sync_peer(b, "a", FAST).status == "synced" and b.store.witnessed_of(a.origin)["size"] == 8
        _fill(twin, "forked", 7)
        b.add_peer("a", serve(twin).url, a.origin, a.org_vkey, a.witness_vkey)  # b now reaches the twin
        collect_cosignatures(twin, FAST)
        [record] = b.equivocations()
        assert record.kind == "inconsistent"
        for _ in range(100):
            if "prefix_root_b" in b.equivocations()[0].evidence:
                break
            time.sleep(0.1)
        out = tmp_path / "eq.json"
        assert run_cli(["ledger", "evidence", "--ledger", str(b.folder), "export", str(record.id), str(out)]) == 0
        report = verify_equivocation(out, [a.org_vkey])
        assert report.ok and report.kind == "prefix", report.detail
    finally:
        twin.close()
