"""The database: tampering of each kind is named at its first bad index; kill -9 loses no acknowledged entry."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from console.ledger import LedgerNode
from tests.ledger.conftest import PASSPHRASE, reported

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ledger_dir(make_node):
    node = make_node("t")
    for batch in range(4):
        node.append_many([reported(f"H-{batch}-{i}") for i in range(3)])  # entries 1..12, one checkpoint per batch
    folder = node.folder
    node.close()
    return folder


def _rewrite(folder: Path, change) -> None:
    """Rewrite the own log's rows as a tamperer with sqlite3 would, renumbering idx to the new positions."""
    db = sqlite3.connect(folder / "ledger.db")
    rows = db.execute(
        "SELECT idx, data, leaf, type, time, author, hazard_id, device, incident_id FROM entries WHERE log_id = 1 ORDER BY idx"
    ).fetchall()
    rows = change([list(r) for r in rows])
    db.execute("DELETE FROM entries WHERE log_id = 1")
    for pos, r in enumerate(rows):
        db.execute(
            "INSERT INTO entries (log_id, idx, data, leaf, type, time, author, hazard_id, device, incident_id) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pos, *r[1:]],
        )
    db.commit()
    db.close()


def _verify(folder: Path):
    node = LedgerNode.open(folder)
    try:
        report = node.verify()
    finally:
        node.close()
    (log,) = [log for log in report.logs if log.origin.startswith("t.")]
    return report, log


def test_untampered_log_verifies(ledger_dir):
    report, log = _verify(ledger_dir)
    assert report.ok and log.size == 13 and log.checkpoints_checked == 5


def test_changed_entry(ledger_dir):
    db = sqlite3.connect(ledger_dir / "ledger.db")
    db.execute("UPDATE entries SET data = replace(data, 'riser', 'valve') WHERE idx = 5")
    db.commit()
    db.close()
    report, log = _verify(ledger_dir)
    assert not report.ok and (log.first_bad_index, log.kind) == (5, "changed")


def test_changed_entry_with_recomputed_leaf(ledger_dir):
    import hashlib

    db = sqlite3.connect(ledger_dir / "ledger.db")
    (data,) = db.execute("SELECT data FROM entries WHERE idx = 7").fetchone()
    data = data.replace(b'"major"', b'"minor"')
    db.execute("UPDATE entries SET data = ?, leaf = ? WHERE idx = 7", (data, hashlib.sha256(b"\x00" + data).digest()))
    db.commit()
    db.close()
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (7, "changed")


def test_deleted_entry_renumbered(ledger_dir):
    _rewrite(ledger_dir, lambda rows: rows[:5] + rows[6:])
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (5, "deleted")


def test_deleted_entry_leaving_a_gap(ledger_dir):
    db = sqlite3.connect(ledger_dir / "ledger.db")
    db.execute("DELETE FROM entries WHERE idx = 9")
    db.commit()
    db.close()
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (9, "deleted")


def test_deleted_tail(ledger_dir):
    db = sqlite3.connect(ledger_dir / "ledger.db")
    db.execute("DELETE FROM entries WHERE idx >= 11")
    db.commit()
    db.close()
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (11, "deleted")


def test_reordered_entries(ledger_dir):
    def swap(rows):
        rows[4], rows[8] = rows[8], rows[4]
        return rows

    _rewrite(ledger_dir, swap)
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (4, "reordered")


def test_inserted_copy_of_an_entry(ledger_dir):
    _rewrite(ledger_dir, lambda rows: rows[:6] + [list(rows[2])] + rows[6:])
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (6, "inserted")


def test_inserted_forged_entry(ledger_dir):
    def forge(rows):
        fake = list(rows[6])
        fake[1] = bytes(rows[6][1]).replace(b"riser", b"valve")
        return rows[:6] + [fake] + rows[6:]

    _rewrite(ledger_dir, forge)
    _, log = _verify(ledger_dir)
    assert (log.first_bad_index, log.kind) == (6, "inserted")


def test_cli_verify_names_the_index(ledger_dir, capsys):
    from console.cli.ledger import _verify as cli_verify

    db = sqlite3.connect(ledger_dir / "ledger.db")
    db.execute("UPDATE entries SET data = replace(data, 'riser', 'valve') WHERE idx = 3")
    db.commit()
    db.close()
    import argparse

    code = cli_verify(argparse.Namespace(ledger=str(ledger_dir), passphrase_file=None, workers=1, json=False))
    out = capsys.readouterr().out
    assert code == 1 and "first bad index 3 (changed)" in out


_WRITER = textwrap.dedent(
    """
    import sys
    from console.ledger import LedgerNode
    node = LedgerNode.open(sys.argv[1], sys.argv[2])
    i = 0
    while True:
        batch = [("hazard.reported", {"hazard_id": f"K-{i}-{j}", "location": {"x": 1.0, "y": 2.0, "crs": "EPSG:4549"},
                  "category": "leak", "severity": "minor", "description": "crash test"}) for j in range(25)]
        results = node.append_many(batch)
        print("ACK", results[-1].index, flush=True)
        i += 1
    """
)


def test_kill_9_during_appends_loses_no_acknowledged_entry(make_node):
    node = make_node("k")
    folder = node.folder
    node.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(folder), PASSPHRASE], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    acked = -1
    try:
        for line in proc.stdout:
            acked = int(line.split()[1])
            if acked >= 25 * 6:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert acked >= 150
    reopened = LedgerNode.open(folder, PASSPHRASE)
    try:
        assert reopened.size() >= acked + 1
        report = reopened.verify()
        assert report.ok, report
        reopened.append(*reported("after-crash"))  # the log goes on from where it was
        assert reopened.verify().ok
    finally:
        reopened.close()
