"""Full verification with signature checks in worker processes gives the serial path's answers, chunk by chunk."""

from __future__ import annotations

import base64
import hashlib
import sqlite3

import pytest

import console.ledger._audit as audit
from console.ledger import LedgerNode
from tests.ledger.conftest import reported


@pytest.fixture
def one_batch_dir(make_node):
    """Genesis (checkpoint 1) then 14 entries in one batch (checkpoint 15): most entries are not a checkpoint edge."""
    node = make_node("t")
    node.append_many([reported(f"H-{i}") for i in range(14)])
    folder = node.folder
    node.close()
    return folder


def _forge_signature(folder, index: int) -> None:
    """Put another entry's (valid-looking) signature on entry ``index`` and recompute its stored leaf."""
    db = sqlite3.connect(folder / "ledger.db")
    (data,) = db.execute("SELECT data FROM entries WHERE log_id = 1 AND idx = ?", (index,)).fetchone()
    (other,) = db.execute("SELECT data FROM entries WHERE log_id = 1 AND idx = ?", (index - 1,)).fetchone()
    sig_at = data.rindex(b',"sig":"')
    forged = data[:sig_at] + other[other.rindex(b',"sig":"') :]
    assert forged != data and base64.b64decode(forged[sig_at + 8 : -2])  # still a well-formed entry
    db.execute(
        "UPDATE entries SET data = ?, leaf = ? WHERE log_id = 1 AND idx = ?",
        (forged, hashlib.sha256(b"\x00" + forged).digest(), index),
    )
    db.commit()
    db.close()


def _report(folder, workers: int):
    node = LedgerNode.open(folder)
    try:
        (log,) = [log for log in node.verify(workers=workers).logs if log.origin.startswith("t.")]
    finally:
        node.close()
    return log


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(audit, "_CHUNK", 4)  # 15 entries: four chunks, each split between two workers


def test_parallel_verification_of_an_intact_log(one_batch_dir, small_chunks):
    log = _report(one_batch_dir, workers=2)
    assert log.ok and log.size == 15 and log.signatures_checked == 15 and log.checkpoints_checked == 2


@pytest.mark.parametrize("index", [2, 5, 6, 13])
def test_forged_signature_named_at_its_index_serial_and_parallel(one_batch_dir, small_chunks, index):
    _forge_signature(one_batch_dir, index)
    serial, parallel = _report(one_batch_dir, workers=1), _report(one_batch_dir, workers=2)
    assert not serial.ok and serial.first_bad_index == index and serial.kind == "changed"
    assert "signature" in serial.detail
    assert (parallel.ok, parallel.first_bad_index, parallel.kind, parallel.detail) == (
        serial.ok,
        serial.first_bad_index,
        serial.kind,
        serial.detail,
    )
