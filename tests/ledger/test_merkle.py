"""Merkle hashing, proofs and the strict verifier: every vector in ../shared/data/merkle and the RFC reference."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.ledger import (
    EMPTY_ROOT,
    HashLengthError,
    MerkleTree,
    ProofError,
    ProofSizeError,
    RootMismatchError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from console.ledger._verify import root_from_inclusion_proof
from tests.ledger import rfc6962_reference as ref
from tests.reference import shared_data

DATA = shared_data("merkle")


def _b64(v):
    return base64.b64decode(v) if v else b""


def _proof(v):
    return [_b64(p) for p in (v or [])]


INCLUSION = sorted((DATA / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((DATA / "consistency").rglob("*.json"))


def test_vector_files_are_present():
    assert len(INCLUSION) > 50 and len(CONSISTENCY) > 80


@pytest.mark.parametrize("path", INCLUSION, ids=lambda p: str(p.relative_to(DATA)))
def test_inclusion_vectors(path):
    v = json.loads(path.read_text())
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v["proof"]), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda p: str(p.relative_to(DATA)))
def test_consistency_vectors(path):
    v = json.loads(path.read_text())
    args = (v["size1"], v["size2"], _proof(v["proof"]), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_distinct_errors_for_distinct_failures():
    t = MerkleTree([leaf_hash(bytes([i])) for i in range(8)])
    proof = t.inclusion_proof(5, 8)
    with pytest.raises(ProofSizeError):
        verify_inclusion(5, 8, t.leaf(5), proof + [proof[0]], t.root())
    with pytest.raises(RootMismatchError):
        verify_inclusion(5, 8, t.leaf(4), proof, t.root())
    with pytest.raises(HashLengthError):
        verify_inclusion(5, 8, t.leaf(5)[:31], proof, t.root())


def test_rfc6962_tree_hashes():
    d = json.loads((DATA / "rfc6962_tree_hashes.json").read_text())
    leaves = [leaf_hash(bytes.fromhex(h)) for h in d["leaf_inputs_hex"]]
    t = MerkleTree(leaves)
    for size, root in enumerate(d["root_hashes_by_tree_size_hex"]):
        assert t.root(size).hex() == root
    for level, hashes in enumerate(d["node_hashes_by_level_hex"]):
        for i, h in enumerate(hashes):
            assert t.range_hash(i << level, (i + 1) << level).hex() == h
    for vec in d["hasher_vectors"]:
        if "input" in vec:
            assert hashlib.sha256(bytes.fromhex(vec["input"])).hexdigest() == vec["want"] == EMPTY_ROOT.hex()
        elif "leaf_hex" in vec:
            assert leaf_hash(bytes.fromhex(vec["leaf_hex"])).hex() == vec["want"]
        else:
            assert node_hash(bytes.fromhex(vec["left_hex"]), bytes.fromhex(vec["right_hex"])).hex() == vec["want"]


def test_ct_python_legacy_real_log_proof():
    d = json.loads((DATA / "ct_python_legacy_vectors.json").read_text())
    real = d["real_log_inclusion"]
    proof = [bytes.fromhex(h) for h in real["audit_path_hex"]]
    leaf = bytes.fromhex(real["leaf_hash_hex"])
    root = bytes.fromhex(real["expected_root_hex"])
    verify_inclusion(real["leaf_index"], real["tree_size"], leaf, proof, root)
    with pytest.raises(RootMismatchError):
        verify_inclusion(real["leaf_index"] + 1, real["tree_size"], leaf, proof, root)
    for h in d["extra_hasher"]:
        if "leaf_hash" in h:
            assert leaf_hash(bytes.fromhex(h["leaf_hex"])).hex() == h["leaf_hash"]
        else:
            assert node_hash(bytes.fromhex(h["left_hex"]), bytes.fromhex(h["right_hex"])).hex() == h["node_hash"]


def test_all_pairs_up_to_256_against_the_rfc_reference():
    leaves = [bytes([i % 256, i // 256]) * (i % 5) for i in range(256)]
    fast = MerkleTree([leaf_hash(x) for x in leaves])
    slow = ref.MemoTree(leaves)
    for n in range(1, 257):
        root = fast.root(n)
        assert root == slow.mth(0, n)
        for m in range(n):
            p = fast.inclusion_proof(m, n)
            assert p == slow.path(m, 0, n)
            verify_inclusion(m, n, fast.leaf(m), p, root)
        for m in range(1, n + 1):
            c = fast.consistency_proof(m, n)
            assert c == slow.subproof(m, 0, n, True)
            verify_consistency(m, n, c, fast.root(m), root)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=600), st.data())
def test_random_trees_match_the_recursive_definitions(leaves, data):
    n = len(leaves)
    t = MerkleTree([leaf_hash(x) for x in leaves])
    size = data.draw(st.integers(1, n))
    m = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert t.root(size) == ref.mth(leaves[:size])
    assert t.inclusion_proof(m, size) == ref.path(m, leaves[:size])
    assert t.consistency_proof(old, size) == ref.proof(old, leaves[:size])
    assert root_from_inclusion_proof(m, size, t.leaf(m), t.inclusion_proof(m, size)) == t.root(size)


def test_truncate_restores_earlier_state():
    t = MerkleTree([leaf_hash(bytes([i])) for i in range(37)])
    roots = [t.root(s) for s in range(38)]
    t.truncate(20)
    assert t.size == 20 and t.root() == roots[20]
    t.extend(leaf_hash(bytes([i])) for i in range(20, 37))
    assert t.root() == roots[37]
