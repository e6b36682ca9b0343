"""Serving the truth, server limits, precise tamper reports, rollback protection (issue 16)."""

from __future__ import annotations

import json
import socket
import sqlite3
import time

import pytest

from console.ledger import (
    CheckpointConflictError,
    KeyFileError,
    LedgerError,
    LedgerNode,
    LedgerServer,
    PeerError,
    SigningKey,
    SyncLimits,
    collect_cosignatures,
    parse_note,
    recover_from_peer,
    sign_note,
    sync_peer,
)
from tests.ledger.conftest import PASSPHRASE, link, reported, run_cli

FAST = SyncLimits(timeout_s=5)


def test_server_serves_what_another_process_appended(make_node, serve):
    """`gasops ledger append` next to a running `serve`: peers get the new checkpoint with matching proofs."""
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a), serve(b)
    link(a, sa, b, sb)
    a.append(*reported("H-1"))
    assert sync_peer(b, "a", FAST).status == "synced"
    other = LedgerNode.open(a.folder, PASSPHRASE)  # a second process on the same node folder
    try:
        other.checked_witnesses = True
        other.append_many([reported(f"H-x{i}") for i in range(7)])
    finally:
        other.close()
    r = sync_peer(b, "a", FAST)
    assert (r.status, r.new_size) == ("synced", 9), r.problem
    assert b.store.list_faults("a") == [] and b.root(a.origin) == a.root()
    a.append(*reported("H-2"))  # and the serving process itself continues the log where the other left it
    assert a.size() == 10 and a.verify().ok


def test_slow_clients_are_disconnected(make_node, serve):
    a = make_node("a")
    sa = serve(a, timeout_s=0.5)
    with socket.create_connection(("127.0.0.1", sa.port), timeout=5) as sock:
        sock.sendall(b"GET /v1/logs HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
        t0 = time.monotonic()
        data = sock.recv(100)
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
        assert time.monotonic() - t0 < 4


def test_replaced_checkpoint_signature_is_named_as_such(make_node, capsys):
    node = make_node("t")
    node.append_many([reported(f"H-{i}") for i in range(3)])
    node.append_many([reported(f"H-{i}") for i in range(3, 6)])
    folder = node.folder
    node.close()
    db = sqlite3.connect(folder / "ledger.db")
    size, note = db.execute("SELECT size, note FROM checkpoints WHERE size = 4").fetchone()
    text = parse_note(note).text
    forged = text + "\n" + sign_note(text, SigningKey.generate("x"), "t.gas.example/ledger").line + "\n"
    db.execute("UPDATE checkpoints SET note = ? WHERE size = 4", (forged,))
    db.commit()
    db.close()
    assert run_cli(["ledger", "verify", "--ledger", str(folder), "--json"]) == 1
    (log,) = json.loads(capsys.readouterr().out)["logs"]
    assert (log["first_bad_index"], log["kind"]) == (4, "checkpoint-signature")
    assert "entries produce the signed root" in log["detail"]


def test_altered_checkpoint_row_is_named_as_such(make_node):
    node = make_node("t")
    node.append_many([reported(f"H-{i}") for i in range(3)])
    folder = node.folder
    node.close()
    db = sqlite3.connect(folder / "ledger.db")
    db.execute("UPDATE checkpoints SET size = 3 WHERE size = 4")
    db.commit()
    db.close()
    with LedgerNode.open(folder) as again:
        (log,) = again.verify().logs
    assert log.kind == "checkpoint-changed" and log.first_bad_index == 3


def test_witness_that_only_cosigned_stops_a_restored_backup(make_node, serve, tmp_path):
    """b never pulls a's entries: it only cosigns a's checkpoints (tlog-witness). Its latest cosigned checkpoint
    alone makes the restored a refuse to sign; recovery fetches the entries from c, which holds them."""
    a, b, c = make_node("a"), make_node("b"), make_node("c")
    sa, sb, sc = serve(a), serve(b), serve(c)
    link(a, sa, b, sb)
    link(a, sa, c, sc)
    a.append(*reported("H-1"))
    import shutil

    backup = tmp_path / "backup"
    shutil.copytree(a.folder, backup)
    a.append_many([reported(f"H-after-{i}") for i in range(4)])
    assert sync_peer(c, "a", FAST, witness=False).status == "synced"  # c mirrors the entries, does not witness
    a.remove_peer("c")  # (for now: so that only b is asked to cosign)
    status = collect_cosignatures(a, FAST)  # b cosigns without holding the entries
    assert "b.gas.example/ledger/witness" in status.cosigners and b.size(a.origin) == 0
    size, root = a.size(), a.root()
    sa.stop()
    a.close()
    restored = LedgerNode.open(backup, PASSPHRASE)
    try:
        with pytest.raises(CheckpointConflictError, match="witness"):
            restored.append(*reported("lost?"))
        assert restored.witness_floor["witness"] == "b"
        with pytest.raises(PeerError, match="no checkpoint"):
            recover_from_peer(restored, "b", FAST)  # b has only the checkpoint, not the entries
        r = recover_from_peer(restored, None, FAST)  # any peer that holds them
        assert (restored.size(), restored.root()) == (size, root) and r.entries_added == 4
        restored.append(*reported("back in business"))
        assert restored.verify().ok
    finally:
        restored.close()


def test_personal_data_secret_is_encrypted_at_rest(make_node):
    node = make_node("p")
    digest = node.personal_digest("13800138000")
    secret_file = node.folder / "pii.secret.json"
    assert not (node.folder / "pii.secret").exists() and secret_file.stat().st_mode & 0o077 == 0
    doc = json.loads(secret_file.read_text())
    assert doc["kdf"]["alg"] == "scrypt" and doc["cipher"]["alg"] == "AES-256-GCM"
    assert node._pii_secret.hex() not in secret_file.read_text()
    folder = node.folder
    node.close()
    with LedgerNode.open(folder) as locked:
        with pytest.raises(LedgerError, match="locked"):
            locked.personal_digest("13800138000")
    with LedgerNode.open(folder, PASSPHRASE) as unlocked:
        assert unlocked.personal_digest("13800138000") == digest  # the same digest after reopening
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        LedgerNode.open(folder, "not the passphrase")


def test_plaintext_secret_of_an_older_node_is_encrypted_on_unlock(make_node):
    node = make_node("p")
    folder = node.folder
    node.close()
    (folder / "pii.secret.json").unlink()
    legacy = bytes(range(32))
    (folder / "pii.secret").write_bytes(legacy)
    with LedgerNode.open(folder, PASSPHRASE) as again:
        from console.ledger import personal_digest

        assert again.personal_digest("x") == personal_digest("x", legacy)
    assert not (folder / "pii.secret").exists() and (folder / "pii.secret.json").exists()
    with LedgerNode.open(folder, PASSPHRASE) as third:
        assert third.personal_digest("x") == personal_digest("x", legacy)


@pytest.mark.parametrize("mode", ["forged", "bad-proof"])
def test_large_pulls_check_signatures_in_worker_processes_and_keep_nothing_bad(make_node, serve, mode):
    from tests.ledger.test_sync import _Evil

    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Evil), serve(b)
    link(a, sa, b, sb)
    a.append_many([reported(f"H-{i}") for i in range(40)])
    parallel = SyncLimits(timeout_s=10, chunk_entries=16, workers=2, parallel_from=1)
    sa.mode = mode
    r = sync_peer(b, "a", parallel)
    assert r.status == "rejected" and b.size(a.origin) == 0
    assert ("signature does not verify" if mode == "forged" else "consistency") in r.problem
    sa.mode = ""
    r = sync_peer(b, "a", parallel)
    assert (r.status, r.new_size) == ("synced", 41) and b.root(a.origin) == a.root() and b.verify().ok


class _Crafted(LedgerServer):
    """A hostile peer that serves crafted entries: a non-text type, deep nesting, a huge line."""

    mode = ""

    async def serve_entries(self, origin, start, end):
        data = await super().serve_entries(origin, start, end)
        prefix = b'{"payload":'
        sig = b',"sig":"' + b"A" * 86 + b'=="}'
        if self.mode == "type-not-text":
            data[0] = prefix + data[0][len(prefix) :].replace(b'"type":"hazard.reported"', b'"type":["x"]', 1)
        elif self.mode == "nested":
            data[0] = prefix + b'{"body":' + b"[" * 50_000 + b"]" * 50_000 + b"}" + sig
        elif self.mode == "huge":
            data[0] = prefix + b'{"body":"' + b"x" * (2 << 20) + b'"}' + sig
        return data

    async def _consistency(self, request):
        if self.mode == "nested-proof":
            from aiohttp import web

            nested = b'{"proof":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
            return web.Response(body=nested, content_type="application/json")
        return await super()._consistency(request)


@pytest.mark.parametrize("mode", ["type-not-text", "nested", "huge", "nested-proof"])
def test_crafted_input_from_a_hostile_peer_is_rejected_not_a_crash(make_node, serve, mode):
    a, b = make_node("a"), make_node("b")
    sa, sb = serve(a, _Crafted), serve(b)
    link(a, sa, b, sb)
    a.append(*reported("H-1"))
    assert sync_peer(b, "a", FAST).status == "synced"
    a.append_many([reported(f"H-{i}") for i in range(2, 6)])
    sa.mode = mode
    r = sync_peer(b, "a", SyncLimits(timeout_s=5, max_response_bytes=8 << 20))
    assert r.status == "rejected" and r.problem and b.size(a.origin) == 2
    assert ("proof" if mode == "nested-proof" else "rejected") in r.problem
