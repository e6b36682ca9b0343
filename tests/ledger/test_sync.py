"""Peers on loopback: three nodes syncing and cosigning, partitions, equivocation, misbehaving peers, rollback."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from console.ledger import (
    AuthError,
    CheckpointConflictError,
    LedgerNode,
    LedgerServer,
    NoteVerifier,
    SyncLimits,
    collect_cosignatures,
    open_note,
    recover_from_peer,
    sync_peer,
)
from console.ledger._auth import RequestVerifier, sign_request
from tests.ledger.conftest import PASSPHRASE, link, reported

FAST = SyncLimits(timeout_s=5.0, chunk_entries=7)


def _fill(node, prefix: str, n: int) -> None:
    node.append_many([reported(f"{prefix}-{i}") for i in range(n)])


def _clone(node: LedgerNode, dest: Path) -> Path:
    """A consistent copy of a node folder (what a backup tool would save)."""
    shutil.copytree(node.folder, dest, ignore=shutil.ignore_patterns("ledger.db*"))
    src = sqlite3.connect(node.folder / "ledger.db")
    dst = sqlite3.connect(dest / "ledger.db")
    src.backup(dst)
    src.close()
    dst.close()
    return dest


def test_three_nodes_sync_and_cosign(make_node, serve):
    nodes = [make_node(n, quorum=2) for n in ("a", "b", "c")]
    servers = [serve(n) for n in nodes]
    for i in range(3):
        for j in range(i + 1, 3):
            link(nodes[i], servers[i], nodes[j], servers[j])
    appended = []
    nodes[0].entry_appended.connect(appended.append)
    for k, node in enumerate(nodes):
        _fill(node, f"N{k}", 10 + 5 * k)
    assert len(appended) == 10
    for node in nodes:
        for peer in node.peers():
            r = sync_peer(node, peer.name, FAST)
            assert r.status == "synced" and r.cosigned, r
    for node in nodes:
        status = collect_cosignatures(node, FAST)
        assert status.witnessed and len(status.cosigners) == 2, status
    # Every node holds every log with the same root; its copies verify from scratch.
    for node in nodes:
        for other in nodes:
            assert node.root(other.origin) == other.root()
        assert node.verify().ok
    # The witnessed checkpoint verifies for anyone with the log key and the witnesses' keys.
    a, b, c = nodes
    note = a.checkpoint_note()
    opened = open_note(
        note,
        [
            NoteVerifier.from_vkey(a.org_vkey),
            NoteVerifier.from_vkey(b.witness_vkey),
            NoteVerifier.from_vkey(c.witness_vkey),
        ],
    )
    assert len(opened.verified) == 3
    # Search works across followed logs (the dock searches by hazard id).
    assert [r["origin"] for r in c.search(hazard_id="N0-3")] == [a.origin]
    # Syncing again is idempotent.
    assert sync_peer(b, "a", FAST).status == "up-to-date"
    assert b.size(a.origin) == a.size()


def test_partition_then_resume(make_node, serve):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    _fill(a, "P", 5)
    assert sync_peer(b, "a", FAST).status == "synced"
    sa.stop()  # partition: a is unreachable; both keep working offline
    _fill(a, "Q", 30)
    _fill(b, "R", 3)
    r = sync_peer(b, "a", FAST)
    assert r.status == "unreachable" and b.size(a.origin) == 6
    sa2 = serve(a)
    b.add_peer("a", sa2.url, a.origin, a.org_vkey, a.witness_vkey)  # a came back on a new port
    r = sync_peer(b, "a", FAST)
    assert (r.status, r.old_size, r.new_size, r.entries_added) == ("synced", 6, 36, 30)
    assert b.root(a.origin) == a.root()


class _FailAfter(LedgerServer):
    """Serves the first ``n`` entry requests, then drops the connection: a pull interrupted half-way."""

    budget = 2

    async def serve_entries(self, origin, start, end):
        if self.budget <= 0:
            raise ConnectionResetError("link dropped")
        self.budget -= 1
        return await super().serve_entries(origin, start, end)


def test_interrupted_pull_resumes_without_refetching(make_node, serve):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _FailAfter), serve(b)
    link(a, sa, b, sb)
    _fill(a, "I", 40)
    r = sync_peer(b, "a", FAST)
    assert r.status in ("rejected", "unreachable") and b.size(a.origin) == 14  # two verified chunks of 7 kept
    good = serve(a)
    b.add_peer("a", good.url, a.origin, a.org_vkey, a.witness_vkey)
    r = sync_peer(b, "a", FAST)
    assert (r.status, r.old_size, r.entries_added) == ("synced", 14, 27)
    assert b.verify().ok


def test_equivocating_log_is_caught_and_kept_as_proof(make_node, serve, tmp_path):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    _fill(a, "E", 4)
    twin = LedgerNode.open(_clone(a, tmp_path / "a-twin"), PASSPHRASE)  # same keys, a second history
    twin.checked_witnesses = True
    try:
        _fill(a, "honest", 3)
        _fill(twin, "forked", 3)
        assert a.size() == twin.size() and a.root() != twin.root()
        assert sync_peer(b, "a", FAST).status == "synced"
        alarms = []
        b.equivocation_detected.connect(alarms.append)
        st = serve(twin)
        b.add_peer("a", st.url, a.origin, a.org_vkey, a.witness_vkey)
        r = sync_peer(b, "a", FAST)
        assert r.status == "equivocation" and b.root(a.origin) == a.root()
        _fill(twin, "more", 2)  # now a larger fork: the consistency proof from b's view fails
        r = sync_peer(b, "a", FAST)
        assert r.status == "equivocation" and b.size(a.origin) == a.size()
        assert [e.kind for e in alarms] == ["same-size", "inconsistent"]
        # The stored evidence is portable: both notes verify under a's pinned key and disagree.
        for record in b.equivocations():
            pinned = [NoteVerifier.from_vkey(a.org_vkey)]
            one = open_note(record.evidence["note_a"], pinned).note.text
            two = open_note(record.evidence["note_b"], pinned).note.text
            assert one != two
    finally:
        twin.close()


class _Evil(LedgerServer):
    mode = ""

    async def serve_entries(self, origin, start, end):
        data = await super().serve_entries(origin, start, end)
        if self.mode == "forged":
            data[-1] = data[-1].replace(b"riser", b"valve")
        if self.mode == "oversized":
            data = [b"x" * (3 * 1024 * 1024)] * (end - start)
        return data

    async def serve_consistency(self, origin, old, new):
        proof = await super().serve_consistency(origin, old, new)
        if self.mode == "bad-proof":
            proof[0] = bytes(32)
        return proof

    async def serve_checkpoint(self, origin):
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "replay":
            return self.node.store.checkpoints_of(self.node._log(origin).id)[1]["note"]
        if self.mode == "forged-checkpoint":
            from console.ledger import Checkpoint, Note, SigningKey, sign_note

            cp = Checkpoint(origin, self.node.size(origin), self.node.root(origin))
            return Note(cp.text, (sign_note(cp.text, SigningKey.generate(origin), origin),)).serialize()
        return await super().serve_checkpoint(origin)


@pytest.mark.parametrize("mode", ["forged", "bad-proof", "oversized", "slow", "replay", "forged-checkpoint"])
def test_misbehaving_peer_is_detected_and_nothing_accepted(make_node, serve, mode):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Evil), serve(b)
    link(a, sa, b, sb)
    _fill(a, "M", 5)
    _fill(a, "M2", 5)
    assert sync_peer(b, "a", FAST).status == "synced"
    _fill(a, "M3", 10)
    before = (b.size(a.origin), b.root(a.origin))
    sa.mode = mode
    limits = SyncLimits(timeout_s=0.5, max_response_bytes=1024 * 1024, chunk_entries=7)
    r = sync_peer(b, "a", limits)
    assert r.status in ("rejected", "unreachable") and r.problem
    assert (b.size(a.origin), b.root(a.origin)) == before
    assert b.store.list_faults("a")[-1]["problem"] == r.problem
    assert b.equivocations() == []  # misbehaving peers are not mistaken for an equivocating log
    assert b.verify().ok
    expected = {
        "forged": "rejected",
        "bad-proof": "consistency",
        "oversized": "limit",
        "slow": "timed out",
        "replay": "replayed",
        "forged-checkpoint": "signature",
    }
    assert expected[mode] in r.problem
    sa.mode = ""
    assert sync_peer(b, "a", FAST).status == "synced"


def test_requests_are_authenticated(make_node, serve):
    a, b, stranger = make_node("a"), make_node("b"), make_node("s")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    stranger.add_peer("a", sa.url, a.origin, a.org_vkey, a.witness_vkey)  # stranger pins a, but a does not pin it
    r = sync_peer(stranger, "a", FAST)
    assert r.status == "rejected" and "401" in r.problem
    verifier = RequestVerifier()
    headers = sign_request(b.org_key, b.origin, "GET", "/v1/logs")
    verifier.verify(headers, "GET", "/v1/logs", b"", [b.org_key.public_key])
    with pytest.raises(AuthError, match="replayed"):
        verifier.verify(headers, "GET", "/v1/logs", b"", [b.org_key.public_key])
    with pytest.raises(AuthError, match="signature"):
        verifier.verify(
            sign_request(b.org_key, b.origin, "GET", "/v1/logs"), "GET", "/v1/entries", b"", [b.org_key.public_key]
        )
    old = sign_request(b.org_key, b.origin, "GET", "/v1/logs", now=0)
    with pytest.raises(AuthError, match="clock"):
        verifier.verify(old, "GET", "/v1/logs", b"", [b.org_key.public_key])


def test_restored_backup_refuses_to_sign_until_recovered(make_node, serve, tmp_path):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    _fill(a, "B", 5)
    backup = _clone(a, tmp_path / "backup")
    _fill(a, "after-backup", 6)
    assert sync_peer(b, "a", FAST).status == "synced"
    assert collect_cosignatures(a, FAST).witnessed
    size, root = a.size(), a.root()
    sa.stop()
    a.close()
    restored = LedgerNode.open(backup, PASSPHRASE)  # the machine died; the backup comes back
    try:
        assert restored.size() == 6
        with pytest.raises(CheckpointConflictError, match="witness"):
            restored.append(*reported("lost?"))
        assert restored.size() == 6
        r = recover_from_peer(restored, "b", FAST)
        assert r.entries_added == 6 and (restored.size(), restored.root()) == (size, root)
        restored.append(*reported("back in business"))
        assert restored.verify().ok
    finally:
        restored.close()
