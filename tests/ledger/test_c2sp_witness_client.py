"""Our node as a client of an outside C2SP tlog-witness: the spec's examples, our own ``serve --c2sp`` witness,
misbehaving witnesses, and the rollback guard a C2SP witness gives (it tells sizes only)."""

from __future__ import annotations

import shutil

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from console.ledger import (
    CheckpointConflictError,
    LedgerNode,
    LedgerServer,
    NoteError,
    NoteVerifier,
    SignatureError,
    ask_outside_witnesses,
    check_witnesses,
    parse_note,
)
from console.ledger._c2sp_witness import add_checkpoint_body, parse_cosignature_response, parse_size_response
from console.ledger._canonical import b64
from console.ledger._keys import SigningKey
from console.ledger._note import SIG_COSIGNATURE_V1, cosign_note
from console.ledger._server import parse_add_checkpoint
from tests.ledger.conftest import PASSPHRASE, reported, run_cli
from tests.ledger.test_c2sp import SPEC_REQUEST, SPEC_RESPONSE

# -- the specification's examples -------------------------------------------------------------------------------


def test_request_body_is_byte_for_byte_the_spec_example():
    old, proof, note = parse_add_checkpoint(SPEC_REQUEST.encode())
    assert add_checkpoint_body(old, proof, note) == SPEC_REQUEST.encode()
    assert add_checkpoint_body(0, [], note) == ("old 0\n\n" + note).encode()


def test_request_body_refuses_what_the_spec_forbids():
    note = parse_add_checkpoint(SPEC_REQUEST.encode())[2]
    with pytest.raises(ValueError):
        add_checkpoint_body(0, [bytes(32)], note)  # the proof must be empty from size 0
    with pytest.raises(ValueError):
        add_checkpoint_body(5, [bytes(32)] * 64, note)  # at most 63 proof lines
    with pytest.raises(ValueError):
        add_checkpoint_body(-1, [], note)


def test_spec_response_from_unknown_keys_is_ignored_not_accepted():
    """ "The client MUST ignore any cosignatures from unknown keys": the spec's three lines are by keys we do not
    hold, so the answer carries no cosignature by the configured witness."""
    text = parse_note(parse_add_checkpoint(SPEC_REQUEST.encode())[2]).text
    ours = NoteVerifier("witness.example/w1", SigningKey.generate("w", "witness").public_key, SIG_COSIGNATURE_V1)
    with pytest.raises(SignatureError, match="no cosignature by its key"):
        parse_cosignature_response(SPEC_RESPONSE.encode(), text, ours)


def test_response_with_the_witness_line_among_unknown_ones():
    text = parse_note(parse_add_checkpoint(SPEC_REQUEST.encode())[2]).text
    key = SigningKey.generate("w", "witness")
    witness = NoteVerifier("witness.example/w2", key.public_key, SIG_COSIGNATURE_V1)
    line = cosign_note(text, key, witness.name, 1_700_000_000).line
    kept = parse_cosignature_response((SPEC_RESPONSE + line + "\n").encode(), text, witness)
    assert [s.timestamp for s in kept] == [1_700_000_000]
    forged = line[:-6] + ("AAAA" if line[-6:-2] != "AAAA" else "BBBB") + line[-2:]  # same key id, bytes changed
    with pytest.raises(SignatureError, match="does not verify"):
        parse_cosignature_response((forged + "\n").encode(), text, witness)
    other_text = text.replace("20852163", "20852164")
    with pytest.raises(SignatureError):  # a cosignature over another checkpoint
        parse_cosignature_response((line + "\n").encode(), other_text, witness)


def test_size_answers():
    assert parse_size_response(b"20852014\n", "text/x.tlog.size") == 20852014
    assert parse_size_response(b"0\n", "text/x.tlog.size; charset=utf-8") == 0
    for bad in (b"01\n", b"5", b"-1\n", b" 5\n", b"5\n\n", b"99999999999999999999\n", b"\xff\n"):
        with pytest.raises(ValueError):
            parse_size_response(bad, "text/x.tlog.size")
    with pytest.raises(ValueError, match="not text/x.tlog.size"):
        parse_size_response(b"5\n", "text/html")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_response_parsers_are_total(body):
    text = "a.example/log\n5\n" + b64(bytes(32)) + "\n"
    witness = NoteVerifier("w.example", bytes(range(32)), SIG_COSIGNATURE_V1)
    try:
        parse_size_response(body, "text/x.tlog.size")
    except ValueError:
        pass
    try:
        parse_cosignature_response(body, text, witness)
    except (NoteError, SignatureError):
        pass


# -- against our own `gasops ledger serve --c2sp` witness ---------------------------------------------------------


@pytest.fixture
def witnessed(make_node, serve):
    """Node a, and node b serving C2SP tlog-witness and configured (out of band) with a's log key."""
    a, b = make_node("a"), make_node("b")
    b.add_peer("a", "http://127.0.0.1:9", a.origin, a.org_vkey, a.witness_vkey)
    sb = serve(b, c2sp=True)
    a.add_witness("bw", sb.url, b.witness_vkey)
    return a, b, sb


def test_node_collects_a_cosignature_from_a_c2sp_witness(witnessed):
    a, b, _ = witnessed
    [outcome] = ask_outside_witnesses(a)
    assert outcome.cosigned and outcome.size == 1
    status = a.witness_status()
    assert status.cosigners == [parse_note(b.latest_witnessed(a.origin)).signatures[-1].name] and status.witnessed
    note = a.checkpoint_note()  # the kept cosignature verifies under b's witness key, as any verifier would check
    assert NoteVerifier.from_vkey(b.witness_vkey).name in {s.name for s in parse_note(note).signatures}

    a.append_many([reported(f"H-{i}") for i in range(9)])
    [outcome] = ask_outside_witnesses(a)  # old 1 with a consistency proof 1 -> 10
    assert outcome.cosigned and a.witness_status().size == 10 and a.witness_status().witnessed
    assert a.outside_witnesses()[0].size == 10 and a.outside_witnesses()[0].status == "cosigned"

    a.append(*reported("H-x"))
    a.store.update_witness("bw", size=0)  # a stale view of the witness: it answers 409 with 10, then cosigns
    [outcome] = ask_outside_witnesses(a)
    assert outcome.cosigned and a.witness_status().size == 11


def test_witness_status_counts_outside_cosignatures_towards_the_quorum(make_node, serve):
    a = make_node("q", quorum=2)
    witnesses = []
    for name in ("w1", "w2"):
        w = make_node(name)
        w.add_peer("q", "http://127.0.0.1:9", a.origin, a.org_vkey, a.witness_vkey)
        a.add_witness(name, serve(w, c2sp=True).url, w.witness_vkey)
        witnesses.append(w)
    outcomes = ask_outside_witnesses(a)
    assert [o.status for o in outcomes] == ["cosigned", "cosigned"]
    status = a.witness_status()
    assert len(status.cosigners) == 2 and status.witnessed
    a.remove_witness("w2")  # no longer trusted: its cosignature no longer counts
    assert len(a.witness_status().cosigners) == 1 and not a.witness_status().witnessed


def test_witness_that_does_not_follow_us_is_reported(make_node, serve):
    a, stranger = make_node("a"), make_node("s")
    a.add_witness("sw", serve(stranger, c2sp=True).url, stranger.witness_vkey)
    [outcome] = ask_outside_witnesses(a)
    assert outcome.status == "refused" and "does not follow" in outcome.problem and a.org_vkey in outcome.problem
    assert not a.witness_status().witnessed


def test_unreachable_witness(make_node):
    a = make_node("a")
    witness = make_node("w")
    a.add_witness("gone", "http://127.0.0.1:9", witness.witness_vkey)
    [outcome] = ask_outside_witnesses(a)
    assert outcome.status == "unreachable"


class _Liar(LedgerServer):
    """A C2SP witness whose answers are rewritten by ``mangle(status, body) -> (status, body, content_type)``."""

    mangle = None

    async def _add_checkpoint(self, request):
        real = await super()._add_checkpoint(request)
        status, body, ctype = type(self).mangle(real.status, real.body)
        return web.Response(status=status, body=body, content_type=ctype)


def _flip_signature(status, body):
    line = body.decode()
    return 200, (line[:-8] + ("AAAA" if line[-8:-4] != "AAAA" else "BBBB") + line[-4:]).encode(), "text/plain"


@pytest.mark.parametrize(
    "mangle, status, problem",
    [
        (_flip_signature, "failed", "does not verify"),
        (lambda s, b: (200, b"", "text/plain"), "failed", "not note signature lines"),
        (
            lambda s, b: (200, b"\xe2\x80\x94 other.example/w " + b64(bytes(76)).encode() + b"\n", "text/plain"),
            "failed",
            "no cosignature by its key",
        ),  # fmt: skip
        (lambda s, b: (200, b"x" * 70_000, "text/plain"), "failed", "bytes"),
        (lambda s, b: (409, b"01\n", "text/x.tlog.size"), "failed", "malformed 409"),
        (lambda s, b: (409, b"5\n", "text/plain"), "failed", "malformed 409"),
        (lambda s, b: (409, b"7\n", "text/x.tlog.size"), "failed", "the old size 7 it was sent"),
        (lambda s, b: (409, b"12\n", "text/x.tlog.size"), "rollback", "more than this checkpoint's 10"),
        (lambda s, b: (403, b"forbidden\n", "text/plain"), "refused", "does not accept"),
        (lambda s, b: (500, b"boom\n", "text/plain"), "refused", "HTTP 500"),
    ],
)
def test_misbehaving_witness_is_never_counted(make_node, serve, mangle, status, problem):
    a, b = make_node("a"), make_node("b")
    a.append_many([reported(f"H-{i}") for i in range(9)])
    b.add_peer("a", "http://127.0.0.1:9", a.origin, a.org_vkey, a.witness_vkey)
    cls = type("Liar", (_Liar,), {"mangle": staticmethod(mangle)})
    a.add_witness("liar", serve(b, cls=cls, c2sp=True).url, b.witness_vkey)
    [outcome] = ask_outside_witnesses(a)
    assert outcome.status == status and problem in outcome.problem
    assert a.witness_status().cosigners == [] and not a.witness_status().witnessed
    assert any(f["peer"] == "liar" for f in a.store.list_faults()) or outcome.status == "refused"


# -- rollback: a C2SP witness holds the checkpoint, not the entries -------------------------------------------------


def test_restored_backup_is_stopped_by_a_c2sp_witness(witnessed, tmp_path):
    a, b, _ = witnessed
    assert ask_outside_witnesses(a)[0].cosigned
    a.close()
    shutil.copytree(a.folder, tmp_path / "backup")  # a backup of size 1 (the witness row included)
    a = LedgerNode.open(a.folder, PASSPHRASE)
    a.checked_witnesses = True
    a.append_many([reported(f"H-{i}") for i in range(4)])
    assert ask_outside_witnesses(a)[0].cosigned  # the witness now holds size 5
    a.close()

    restored = LedgerNode.open(tmp_path / "backup", PASSPHRASE)
    try:
        floor = check_witnesses(restored)
        assert floor["size"] == 5 and floor["witness"] == "bw"
        with pytest.raises(CheckpointConflictError, match="witness bw has cosigned size 5"):
            restored.append(*reported("H-lost"))
        assert restored.size() == 1
    finally:
        restored.close()


def test_fork_after_restore_is_refused_by_the_c2sp_witness(witnessed, tmp_path):
    """The restored node writes other entries past the witness's size: the witness answers 422 to the proof, which
    the node reports as a conflict and turns into a guard."""
    a, b, _ = witnessed
    a.close()
    shutil.copytree(a.folder, tmp_path / "backup")
    a = LedgerNode.open(a.folder, PASSPHRASE)
    a.checked_witnesses = True
    a.append_many([reported(f"H-{i}") for i in range(4)])
    assert ask_outside_witnesses(a)[0].cosigned  # the witness holds size 5
    a.close()

    restored = LedgerNode.open(tmp_path / "backup", PASSPHRASE)
    try:
        restored.checked_witnesses = True  # an operator who skipped the check and forked the log
        restored.append_many([reported(f"F-{i}") for i in range(7)])
        restored.store.update_witness("bw", size=5)
        [outcome] = ask_outside_witnesses(restored)
        assert outcome.status == "conflict" and "does not extend" in outcome.problem
        assert restored.witness_status().cosigners == []
        restored.checked_witnesses = False
        assert check_witnesses(restored)["inconsistent"]
        with pytest.raises(CheckpointConflictError):
            restored.append(*reported("F-more"))
    finally:
        restored.close()


# -- the command line ---------------------------------------------------------------------------------------------


def test_cli_witnesses(make_node, serve, monkeypatch, capsys):
    monkeypatch.setenv("GASOPS_LEDGER_PASSPHRASE", PASSPHRASE)
    a, b = make_node("a"), make_node("b")
    b.add_peer("a", "http://127.0.0.1:9", a.origin, a.org_vkey, a.witness_vkey)
    url = serve(b, c2sp=True).url
    folder = str(a.folder)
    a.close()
    assert run_cli(["ledger", "witnesses", "--ledger", folder, "add", "bw", url, b.witness_vkey]) == 0
    with pytest.raises(Exception, match="cosignature/v1"):
        run_cli(["ledger", "witnesses", "--ledger", folder, "add", "x", url, b.org_vkey])
    assert run_cli(["ledger", "witnesses", "--ledger", folder, "cosign"]) == 0
    out = capsys.readouterr().out
    assert "bw" in out and "cosigned" in out and "1/1 cosignatures (witnessed)" in out
    assert run_cli(["ledger", "sync", "--ledger", folder]) == 0  # no peers: the outside witness is still asked
    assert "witness bw" in capsys.readouterr().out
    assert run_cli(["ledger", "witnesses", "--ledger", folder]) == 0
    assert "cosigned" in capsys.readouterr().out
    assert run_cli(["ledger", "witnesses", "--ledger", folder, "remove", "bw"]) == 0
