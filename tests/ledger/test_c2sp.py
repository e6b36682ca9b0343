"""C2SP tlog-tiles (read-only) and tlog-witness add-checkpoint, against the specifications' own examples."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest

from console.ledger import Checkpoint, NoteVerifier, open_note, parse_note
from console.ledger._canonical import b64, unb64
from console.ledger._note import SIG_COSIGNATURE_V1
from console.ledger._server import parse_add_checkpoint
from console.ledger._tiles import parse_tile_path, read_entry_bundle, tile_path, tiles_for_size
from tests.ledger.conftest import reported

# -- the examples of c2sp.org/tlog-tiles --------------------------------------------------------------------------


def test_tile_index_encoding_of_the_spec():
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert parse_tile_path("0/x001/x234/067") == (0, 1234067, 256)
    assert tile_path(2, 0, 1) == "tile/2/000.p/1" and parse_tile_path("2/000.p/1") == (2, 0, 1)
    assert parse_tile_path("entries/x001/000.p/7") == (-1, 1000, 7)


@pytest.mark.parametrize(
    "bad",
    ["0/1234067", "0/x1/067", "00/000", "64/000", "0/000.p/0", "0/000.p/256", "0/000.p/007", "0/x001", "a/000", "0"],
)
def test_malformed_tile_paths_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_tile_path(bad)


def test_tiles_of_a_tree_of_70000_as_in_the_spec():
    """ "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of width 112,
    one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"."""
    tiles = tiles_for_size(70_000)
    full0 = [t for t in tiles if t.level == 0 and t.width == 256]
    assert len(full0) == 273
    assert [t for t in tiles if t.width < 256 or t.level > 0] == [(0, 273, 112), (1, 0, 256), (1, 1, 17), (2, 0, 1)]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    assert tiles_for_size(256) == [(0, 0, 256), (1, 0, 1)]


# -- a GasOps log read by a tiles client ---------------------------------------------------------------------------


def _root(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes (the reference recursion)."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + _root(hashes[:k]) + _root(hashes[k:])).digest()


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def _post(url: str, body: bytes) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=5) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def test_log_is_readable_as_tlog_tiles(make_node, serve):
    node = make_node("t")
    for start in range(0, 600, 200):
        node.append_many([reported(f"H-{i}") for i in range(start, start + 200)])
    server = serve(node, c2sp=True)
    prefix = server.url + "/tlog/"
    status, note, ctype = _get(prefix + "checkpoint")  # no request signature: the note is signed
    assert status == 200 and ctype.startswith("text/plain")
    cp = Checkpoint.parse(open_note(note, [NoteVerifier.from_vkey(node.org_vkey)]).note.text)
    assert cp.size == 601
    leaves: list[bytes] = []
    for t in tiles_for_size(cp.size):
        status, data, ctype = _get(prefix + tile_path(*t))
        assert status == 200 and ctype == "application/octet-stream" and len(data) == 32 * t.width
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        if t.level == 0:
            leaves += hashes
            status, bundle, _ = _get(prefix + tile_path(-1, t.index, t.width))
            entries = read_entry_bundle(bundle)
            assert [hashlib.sha256(b"\x00" + e).digest() for e in entries] == hashes
        else:  # each level-1 hash is the MTH of a full level-0 tile
            for i, h in enumerate(hashes):
                assert h == _root(leaves[i * 256 : (i + 1) * 256])
    assert _root(leaves) == cp.root_hash == node.root()
    assert _get(prefix + tile_path(0, 2, 50))[0] == 200  # a smaller partial tile (an older checkpoint)
    assert _get(prefix + tile_path(0, 2, 90))[0] == 404  # wider than the tree: not served
    assert _get(prefix + tile_path(0, 3))[0] == 404  # beyond the tree: never an empty tile
    assert _get(prefix + "tile/0/3")[0] == 404  # malformed index
    assert _get(server.url + "/v1/logs")[0] == 401  # the GasOps API still needs signed requests


def test_tiles_are_off_unless_asked_for(make_node, serve):
    server = serve(make_node("t"))
    assert _get(server.url + "/tlog/checkpoint")[0] in (401, 404)


# -- c2sp.org/tlog-witness ----------------------------------------------------------------------------------------

SPEC_REQUEST = """old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
"""

SPEC_RESPONSE = """— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==
— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==
— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==
"""


def test_add_checkpoint_body_of_the_spec_parses():
    old, proof, note = parse_add_checkpoint(SPEC_REQUEST.encode())
    assert old == 20852014 and len(proof) == 4 and proof[0] == unb64("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    parsed = parse_note(note)
    cp = Checkpoint.parse(parsed.text)
    assert (cp.origin, cp.size) == ("example.com/behind-the-sofa", 20852163) and len(parsed.signatures) == 2
    # the response is signature lines that a client appends to the checkpoint to verify
    sigs = parse_note(parsed.text + "\n" + SPEC_RESPONSE).signatures
    assert [s.name for s in sigs] == ["witness.example/w1", "witness.example/w1", "witness.example/w2"]
    assert all(len(s.signature) == 72 for s in sigs)  # timestamp ‖ Ed25519 signature (tlog-cosignature)


@pytest.mark.parametrize(
    "body, why",
    [
        (b"old 01\n\n", "leading zeroes"),
        (b"old 5\n" + (b64(bytes(32)) + "\n").encode() * 64 + b"\n", "more than 63 proof lines"),
        (b"old 5\nnot-base64\n\n", "proof line"),
        (b"old 5\n" + b64(bytes(31)).encode() + b"\n\n", "32 bytes"),
        (b"old 5\n", "no blank line"),
    ],
)
def test_malformed_add_checkpoint_bodies(body, why):
    with pytest.raises(ValueError):
        parse_add_checkpoint(body)


def test_witness_speaks_tlog_witness_to_any_client(make_node, serve):
    """A standard tlog-witness client (no GasOps request signing) gets b's cosignature on a's checkpoint."""
    a, b = make_node("a"), make_node("b")
    b.add_peer("a", "http://127.0.0.1:9", a.origin, a.org_vkey, a.witness_vkey)  # b witnesses a's log
    sb = serve(b, c2sp=True)
    url = sb.url + "/add-checkpoint"
    note = a.checkpoint_note()
    witness = NoteVerifier.from_vkey(b.witness_vkey)
    assert witness.sig_type == SIG_COSIGNATURE_V1

    status, reply, _ = _post(url, ("old 0\n\n" + note).encode())
    assert status == 200
    opened = open_note(parse_note(note).text + "\n" + reply.decode(), [witness])
    assert opened.verified_names() == {witness.name}

    a.append_many([reported(f"H-{i}") for i in range(5)])
    bigger = a.checkpoint_note()
    proof = "".join(b64(h) + "\n" for h in a.consistency_proof(1, a.size()))
    status, reply, ctype = _post(url, ("old 0\n\n" + bigger).encode())  # stale old size
    assert (status, reply, ctype.split(";")[0]) == (409, b"1\n", "text/x.tlog.size")
    assert _post(url, ("old 1\n" + b64(bytes(32)) + "\n\n" + bigger).encode())[0] == 422  # bad proof
    assert _post(url, ("old 9\n\n" + bigger).encode())[0] == 400  # old size beyond the checkpoint
    status, reply, _ = _post(url, ("old 1\n" + proof + "\n" + bigger).encode())
    assert status == 200 and open_note(parse_note(bigger).text + "\n" + reply.decode(), [witness])

    stranger = make_node("z")
    assert _post(url, ("old 0\n\n" + stranger.checkpoint_note()).encode())[0] == 404  # unknown log
    forged = (
        parse_note(bigger).text
        + "\n"
        + parse_note(stranger.checkpoint_note()).signatures[0].line.replace(stranger.origin, a.origin)
        + "\n"
    )
    assert _post(url, ("old 6\n\n" + forged).encode())[0] == 403  # no valid signature by a's key
