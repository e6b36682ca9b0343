"""Every parser of untrusted bytes is total: any input is a clear error or a report, never a traceback.

Property-based (hypothesis) over entries, proofs, checkpoints and cosignatures, HTTP bodies, bundle zips and the
database behind ``gasops ledger verify``; plus the crafted inputs of issue 16 (non-string ``type``, deep nesting).
"""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ledger import (
    BundleError,
    Checkpoint,
    LedgerError,
    NoteError,
    NoteVerifier,
    PeerError,
    SigningKey,
    StoreDamagedError,
    TrustPolicy,
    decode_entry,
    encode_entry,
    export_hazard_bundle,
    open_note,
    parse_note,
    sign_note,
    verify_bundle,
    verify_store,
)
from console.ledger._canonical import b64
from console.ledger._entries import _PREFIX
from console.ledger._server import parse_add_checkpoint
from console.ledger._sync import parse_proof_body
from tests.ledger.conftest import reported, run_cli

KEY = SigningKey.from_seed("fuzz.example/log", bytes(range(32)), "organisation")
GOOD = encode_entry(
    KEY, origin="fuzz.example/log", index=0, prev=None, entry_type="hazard.reported", body=reported("H-1")[1], time="t"
).data
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)


def _mutations(data: bytes):
    return st.one_of(
        st.binary(max_size=600),
        st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)).map(
            lambda t: data[: t[0]] + bytes([t[1]]) + data[t[0] + 1 :]
        ),
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.tuples(st.integers(0, len(data)), st.binary(max_size=20)).map(lambda t: data[: t[0]] + t[1] + data[t[0] :]),
    )


# -- entries -----------------------------------------------------------------------------------------------------------


def _entry_bytes(payload_text: bytes) -> bytes:
    return _PREFIX + payload_text + b',"sig":"' + b64(bytes(64)).encode() + b'"}'


@FUZZ
@given(data=_mutations(GOOD))
def test_decode_entry_is_total_on_mutated_bytes(data):
    try:
        entry = decode_entry(data)
    except ValueError:
        return
    assert isinstance(entry.type, str) and type(entry.index) is int and isinstance(entry.body, dict)


@FUZZ
@given(
    payload=st.dictionaries(
        st.sampled_from(["v", "log", "index", "prev", "type", "time", "author", "body"]), json_values
    )
)
def test_decode_entry_is_total_on_any_payload(payload):
    data = _entry_bytes(json.dumps(payload, separators=(",", ":")).encode())
    try:
        entry = decode_entry(data)
    except ValueError:
        return
    assert isinstance(entry.type, str) and isinstance(entry.author, str)


@pytest.mark.parametrize(
    "payload",
    [
        {
            "v": 1,
            "log": "x",
            "index": 0,
            "prev": None,
            "type": ["hazard.reported"],
            "time": "t",
            "author": "a",
            "body": {},
        },
        {"v": 1, "log": "x", "index": 0, "prev": None, "type": 7, "time": "t", "author": "a", "body": {}},
        {"v": 1, "log": "x", "index": 0, "prev": 5, "type": "t", "time": "t", "author": "a", "body": {}},
        {"v": True, "log": "x", "index": 0, "prev": None, "type": "t", "time": "t", "author": "a", "body": {}},
    ],
)
def test_entry_fields_of_the_wrong_type_are_rejected(payload):
    with pytest.raises(ValueError, match="bad version|not text"):
        decode_entry(_entry_bytes(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()))


@pytest.mark.parametrize("depth", [40, 2_000, 200_000])
def test_deeply_nested_entries_are_rejected(depth):
    payload = (
        b'{"author":"a","body":{"x":'
        + b"[" * depth
        + b"]" * depth
        + b'},"index":0,"log":"x","prev":null,"time":"t","type":"t","v":1}'
    )
    with pytest.raises(ValueError, match="nested"):
        decode_entry(_entry_bytes(payload))


# -- proofs, checkpoints, cosignatures, HTTP bodies ----------------------------------------------------------------------


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps({"proof": v}).encode())))
def test_proof_bodies_are_total(body):
    try:
        proof = parse_proof_body(body, "peer-x")
    except PeerError as exc:
        assert exc.peer == "peer-x"
        return
    assert all(isinstance(h, bytes) for h in proof)


def test_nested_proof_body_is_a_peer_error():
    with pytest.raises(PeerError, match="nested|malformed"):
        parse_proof_body(b'{"proof":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "p")


NOTE = Checkpoint("fuzz.example/log", 5, bytes(32)).text
SIGNED = NOTE + "\n" + sign_note(NOTE, KEY, "fuzz.example/log").line + "\n"


@FUZZ
@given(data=_mutations(SIGNED.encode()))
def test_notes_and_checkpoints_are_total(data):
    verifier = NoteVerifier.for_key("fuzz.example/log", KEY)
    try:
        opened = open_note(data, [verifier])
        Checkpoint.parse(opened.note.text)
    except LedgerError:
        return


@FUZZ
@given(text=st.text(max_size=120))
def test_vkeys_and_checkpoint_bodies_are_total(text):
    for parse in (NoteVerifier.from_vkey, Checkpoint.parse, parse_note):
        try:
            parse(text)
        except (NoteError, LedgerError):
            pass


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), _mutations(("old 3\n" + b64(bytes(32)) + "\n\n" + SIGNED).encode())))
def test_add_checkpoint_bodies_are_total(data):
    try:
        old, proof, note = parse_add_checkpoint(data)
    except ValueError:
        return
    assert 0 <= old < 2**63 and all(len(h) == 32 for h in proof) and len(proof) <= 63


# -- bundle zips ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory):
    from console.ledger import LedgerNode

    folder = tmp_path_factory.mktemp("bundle")
    node = LedgerNode.init(folder / "n", "n.gas.example/ledger", "pw-fuzz", scrypt_n=2**10)
    photo = node.put_evidence(b"photo bytes " * 50, "image/jpeg")
    node.append(*reported("H-1", attachments=[photo]))
    out = export_hazard_bundle(node, "H-1", folder / "h.zip")
    vkey = node.org_vkey
    node.close()
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return out.read_bytes(), members, vkey


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_single_byte_change_of_a_bundle_is_reported(bundle_bytes, tmp_path_factory, data):
    """A changed byte is an error naming the file, a failed check, or harmless (zip metadata): never a crash, and
    never a verified bundle whose content differs."""
    bundle_bytes, members, vkey = bundle_bytes
    trust = TrustPolicy.from_vkeys([vkey], quorum=0, source="test")
    pos = data.draw(st.integers(0, len(bundle_bytes) - 1))
    value = data.draw(st.integers(0, 255))
    mutated = bundle_bytes[:pos] + bytes([value]) + bundle_bytes[pos + 1 :]
    path = tmp_path_factory.mktemp("z") / "m.zip"
    path.write_bytes(mutated)
    try:
        report = verify_bundle(path, trust=trust)
    except BundleError as exc:
        assert str(path) in str(exc)
        return
    if report.ok:
        with zipfile.ZipFile(path) as zf:
            assert {n: zf.read(n) for n in zf.namelist()} == members


@FUZZ
@given(
    manifest=st.dictionaries(
        st.sampled_from(
            ["format", "origin", "hazard_id", "checkpoint", "log_keys", "witness_keys", "quorum", "entries", "files"]
        ),
        json_values,
    )
)
def test_any_manifest_is_a_report_or_a_bundle_error(tmp_path_factory, manifest):
    manifest.setdefault("format", "gasops-evidence-bundle/v1")
    path = tmp_path_factory.mktemp("m") / "m.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bundle.json", json.dumps(manifest))
    try:
        assert not verify_bundle(path).ok
    except BundleError:
        pass


def _zip_with(tmp_path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return path


@pytest.mark.parametrize(
    "members, message",
    [
        ({"bundle.json": b"{}", "../../etc/passwd": b"x"}, "unexpected member"),
        ({"bundle.json": b"{}", "/abs": b"x"}, "unexpected member"),
        ({"files/" + "a" * 64: b"x"}, "bundle.json missing"),
        ({"bundle.json": b"[" * 100_000}, "nested"),
        ({"bundle.json": b"\xff\xfe"}, "not JSON"),
        ({"bundle.json": json.dumps({"format": "gasops-evidence-bundle/v1", "entries": 5}).encode()}, "must be text"),
    ],
)
def test_hostile_zips_are_clear_errors(tmp_path, members, message):
    with pytest.raises(BundleError, match=message):
        verify_bundle(_zip_with(tmp_path, members))


def test_zip_bomb_and_unsupported_compression_are_refused(tmp_path):
    bomb = _zip_with(tmp_path, {"bundle.json": b"{}", "files/" + "b" * 64: bytes(300 * 1024 * 1024)})
    with pytest.raises(BundleError, match="larger than"):
        verify_bundle(bomb)
    bz = _zip_with(tmp_path, {"bundle.json": b"{}"}, zipfile.ZIP_BZIP2)
    with pytest.raises(BundleError, match="unsupported compression"):
        verify_bundle(bz)


def test_cli_reports_a_garbage_bundle_without_a_traceback(tmp_path):
    path = tmp_path / "garbage.zip"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(BundleError, match="garbage.zip"):
        run_cli(["ledger", "verify-bundle", str(path)])


# -- the store behind `gasops ledger verify` ---------------------------------------------------------------------------


@pytest.fixture
def small_ledger(make_node):
    node = make_node("t")
    node.append_many([reported(f"H-{i}") for i in range(5)])
    folder = node.folder
    node.close()
    return folder


@pytest.mark.parametrize("cut", [0, 100, 4096, 10_000])
def test_truncated_or_foreign_store_is_reported(small_ledger, cut, capsys):
    db = small_ledger / "ledger.db"
    for suffix in ("-wal", "-shm"):
        (small_ledger / f"ledger.db{suffix}").unlink(missing_ok=True)
    db.write_bytes(db.read_bytes()[:cut] if cut else b"this is not a database at all" * 100)
    report = verify_store(small_ledger)
    assert not report.ok and report.logs[0].kind == "store-damaged"
    assert run_cli(["ledger", "verify", "--ledger", str(small_ledger)]) == 1
    assert "store-damaged" in capsys.readouterr().out
    with pytest.raises(StoreDamagedError, match="damaged"):
        from console.ledger import LedgerNode

        LedgerNode.open(small_ledger)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    column=st.sampled_from(["data", "leaf", "idx", "type"]),
    value=st.one_of(
        st.binary(max_size=40),
        st.integers(-(2**63), 2**63 - 1),
        st.text(max_size=20),
        st.none(),
        st.just('{"payload":{"type":[1]},"sig":"x"}'),
        st.just("[" * 5000),
    ),
    index=st.integers(0, 5),
)
def test_any_tampered_cell_is_named_not_a_crash(small_ledger, tmp_path_factory, column, value, index):
    import shutil

    copy = tmp_path_factory.mktemp("t") / "t"
    shutil.copytree(small_ledger, copy)
    db = sqlite3.connect(copy / "ledger.db")
    try:
        db.execute(f"UPDATE entries SET {column} = ? WHERE log_id = 1 AND idx = ?", (value, index))
        db.commit()
    except sqlite3.Error:
        return  # the database refused the value itself (NOT NULL, primary key)
    finally:
        db.close()
    try:
        from console.ledger import LedgerNode

        node = LedgerNode.open(copy)
    except StoreDamagedError:
        report = verify_store(copy)
    else:
        try:
            report = node.verify()
        finally:
            node.close()
    (log,) = report.logs
    if not log.ok:
        assert log.kind in {
            "changed",
            "deleted",
            "reordered",
            "inserted",
            "checkpoint-signature",
            "checkpoint-changed",
            "store-damaged",
        }
        assert log.first_bad_index is not None and log.detail


# -- the canonical check of entries takes a fast path only when it is provably the same ------------------------------


@FUZZ
@given(payload=st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_fast_canonical_check_agrees_with_rfc8785(payload):
    """The fast path decides exactly as the full canonicaliser (itself pinned to the rfc8785 package)."""
    import rfc8785

    from console.ledger import canonical_json
    from console.ledger._entries import _is_canonical

    candidates = [
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"),
        json.dumps(payload).encode(),
    ]
    try:
        candidates.append(rfc8785.dumps(payload))
    except rfc8785.CanonicalizationError:
        pass
    for data in candidates:
        parsed = json.loads(data)
        try:
            expected = canonical_json(parsed) == data
        except ValueError:
            expected = False
        assert _is_canonical(parsed, data) == expected
