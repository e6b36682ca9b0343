"""C2SP signed notes, checkpoints and cosignatures against the vectors in ../shared/data/merkle."""

from __future__ import annotations

import json

import pytest

from console.ledger import (
    Checkpoint,
    Note,
    NoteError,
    NoteVerifier,
    SignatureError,
    SigningKey,
    cosign_note,
    open_note,
    parse_note,
    sign_note,
)
from console.ledger._note import SIG_COSIGNATURE_V1, key_id
from tests.reference import shared_data

DATA = shared_data("merkle", "signed_note_checkpoint_vectors.json")
VECTORS = json.loads(DATA.read_text())["vectors"]


def test_spec_example_verifies():
    v = VECTORS[0]
    verifier = NoteVerifier.from_vkey(v["vkey"])
    assert verifier.vkey == v["vkey"]
    opened = open_note(v["note_body"] + "\n" + v["signature_line"] + "\n", [verifier])
    assert opened.verified_names() == {"example.com/foo"}


def test_sum_golang_org_checkpoint_verifies_for_each_signer():
    v = VECTORS[1]
    lines = "".join(s["signature_line"] + "\n" for s in v["signatures"])
    note = v["checkpoint_body"] + "\n" + lines
    cp = Checkpoint.parse(parse_note(note).text)
    assert (cp.origin, cp.size) == (v["origin"], v["size"])
    assert cp.text == v["checkpoint_body"]
    for s in v["signatures"]:
        assert open_note(note, [NoteVerifier.from_vkey(s["vkey"])]).verified_names() == {s["vkey"].split("+")[0]}


def test_unknown_names_are_ignored_and_a_failing_known_key_rejects():
    v = VECTORS[1]
    sumdb = NoteVerifier.from_vkey(v["signatures"][0]["vkey"])
    junk = "\u2014 random1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    note = v["checkpoint_body"] + "\n" + junk + v["signatures"][0]["signature_line"] + "\n"
    assert open_note(note, [sumdb]).verified_names() == {"sum.golang.org"}
    body = v["checkpoint_body"].replace("6476701", "6476702")
    with pytest.raises(SignatureError):
        open_note(body + "\n" + v["signatures"][0]["signature_line"] + "\n", [sumdb])
    with pytest.raises(SignatureError):  # only unknown signatures
        open_note(v["checkpoint_body"] + "\n" + junk, [sumdb])


@pytest.mark.parametrize(
    "text",
    [
        "no blank line\n\u2014 a AAAA\n",
        "body\n\n",
        "body\n\n- a AAAAAAA=\n",
        "body\n\n\u2014 a b c\n",
        "bo\x01dy\n\n\u2014 a AAAAAAA=\n",
        "body\n\n\u2014 a+b AAAAAAA=\n",
    ],
)
def test_malformed_notes_are_rejected(text):
    with pytest.raises(NoteError):
        parse_note(text)


def test_vkey_rejects_wrong_key_id():
    v = VECTORS[0]["vkey"]
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(v.replace("+530d903a+", "+530d903b+"))


def test_checkpoint_round_trip_and_strict_parsing():
    cp = Checkpoint("gas.example/log", 12, bytes(range(32)), ("ext line",))
    assert Checkpoint.parse(cp.text) == cp
    for bad in ["o\n012\nAAAA\n", "o\n12\nAAAA\n", "o\n12\n" + "A" * 44 + "\n\n", "o\n-1\n" + "A" * 43 + "=\n"]:
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


def test_cosignature_round_trip_and_format():
    log = SigningKey.generate("gas.example/log", "organisation")
    witness = SigningKey.generate("w.example/witness", "witness")
    cp = Checkpoint("gas.example/log", 5, bytes(32))
    note = Note(cp.text, (sign_note(cp.text, log, log.name),))
    cosig = cosign_note(cp.text, witness, witness.name, 1_700_000_000)
    assert cosig.key_id == key_id(witness.name, 0x04, witness.public_key)
    assert len(cosig.signature) == 72 and cosig.timestamp == 1_700_000_000
    full = note.with_signatures(cosig).serialize()
    wv = NoteVerifier(witness.name, witness.public_key, SIG_COSIGNATURE_V1)
    opened = open_note(full, [NoteVerifier(log.name, log.public_key), wv])
    assert dict((v.name, ts) for v, ts in opened.verified) == {log.name: 0, witness.name: 1_700_000_000}
    # The same key as a plain Ed25519 (type 0x01) verifier has a different key ID: the cosignature is ignored.
    assert open_note(full, [NoteVerifier(witness.name, witness.public_key)]) is not None if False else True
    with pytest.raises(SignatureError):
        open_note(full, [NoteVerifier(witness.name, witness.public_key)])
    # A cosignature over a different timestamp does not verify.
    forged = type(cosig)(cosig.name, cosig.key_id, (1_700_000_001).to_bytes(8, "big") + cosig.signature[8:])
    with pytest.raises(SignatureError):
        open_note(note.with_signatures(forged).serialize(), [wv])
