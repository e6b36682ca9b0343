"""Per-peer disclosure (按对等节点授权共享): the utility shares its gate station's evidence with the supplier only;
the supplier verifies the share offline with the keys it pinned, imports it and compares the custody day; tampered,
foreign, out-of-scope and wrongly keyed shares are refused with the check that failed."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from console.app.ledger import LedgerService
from console.app.metering import MeteringService
from console.ledger import LedgerServer, MerkleTree, reading_leaf, verify_inclusion
from console.metering import (
    MeteringError,
    MeteringSimulator,
    ShareError,
    read_share_file,
    verify_share,
)

PASSPHRASE = "correct horse battery staple"
DAY = "2026-03-01"


def _service(tmp_path, name):
    ledger = LedgerService(tmp_path / name)
    ledger.create(f"{name}.gas.example/ledger", PASSPHRASE, scrypt_n=2**10)
    return MeteringService(ledger)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Utility (gate meter GS-1 and three customers) and supplier (GS-1-S, 2.5 % high); the supplier cosigns the
    utility's checkpoint; the utility's share for the supplier, scoped to station GS-1."""
    tmp_path = tmp_path_factory.mktemp("share")
    utility, supplier = _service(tmp_path, "utility"), _service(tmp_path, "supplier")
    sim = MeteringSimulator(f"{DAY}T00:00:00Z")
    ours = sim.add_inflow("GS-1", "DMA-1", station="GS-1", party="utility")
    theirs = sim.add_inflow("GS-1-S", "DMA-1", station="GS-1", party="supplier", bias_pct=2.5)
    customers = [sim.add_customer(f"C-{i}", "DMA-1", q) for i, q in enumerate([300.0, 150.0, 40.0])]
    for c in customers:
        utility.register_meter(c.meter)
    sim.set_leak("DMA-1", 10.0)
    utility.register_meter(ours.meter)
    supplier.register_meter(theirs.meter)
    batches = sim.advance(86_400)
    utility.submit(b for b in batches if b.meter_id != "GS-1-S")
    supplier.submit(b for b in batches if b.meter_id == "GS-1-S")
    utility.anchor()
    supplier.anchor()
    u, s = utility.node, supplier.node
    server = LedgerServer(s, "127.0.0.1", 0)
    server.start()
    try:  # the supplier witnesses the utility's checkpoint (its cosignature makes the share's checkpoint witnessed)
        utility.ledger.add_peer("supplier", server.url, s.origin, s.org_vkey, s.witness_vkey)
        supplier.ledger.add_peer("utility", "http://127.0.0.1:9", u.origin, u.org_vkey, u.witness_vkey)
        utility.ledger.sync("supplier", cosign=True)
    finally:
        server.stop()
    utility.set_peer_scope("supplier", stations=["GS-1"])
    path, summary = utility.share_for_peer("supplier", tmp_path / "share.json")
    yield utility, supplier, path, summary, [c.meter for c in customers]
    utility.ledger.close()
    supplier.ledger.close()


def _keys(utility, supplier):
    return {"log_keys": [utility.node.org_vkey], "witness_keys": [supplier.node.witness_vkey], "quorum": 1,
            "recipient": supplier.node.origin}  # fmt: skip


def test_the_share_holds_the_station_and_nothing_else(shared):
    utility, supplier, path, summary, customers = shared
    text = path.read_text()
    doc = json.loads(text)
    assert summary["meters"] == ["GS-1"] and summary["batches"] == 25  # the opening total and 24 hours
    assert [m["meter_id"] for m in doc["meters"]] == ["GS-1"]
    for c in customers:  # no customer's device, meter id or reading travels
        assert c.device not in text and f'"{c.meter_id}"' not in text
    report = verify_share(doc, **_keys(utility, supplier))
    assert report.ok and report.witnesses == 1, report.to_json()
    assert {e.type for e in report.entries} == {"device.register", "metering.batch", "metering.period"}


def test_inclusion_proofs_check_by_an_independent_rfc6962_reference(shared):
    utility, supplier, path, *_ = shared
    doc = json.loads(path.read_text())
    from tests.metering.test_proof import rfc9162_verify  # the straight-from-the-RFC reference

    lines = doc["checkpoint"].split("\n")
    size, root = int(lines[1]), base64.b64decode(lines[2])
    from console.ledger import decode_entry

    for inc in doc["entries"][:10]:
        leaf = decode_entry(inc["entry"].encode()).leaf_hash
        proof = [base64.b64decode(h) for h in inc["inclusion_proof"]]
        assert rfc9162_verify(inc["index"], size, leaf, proof, root)
        verify_inclusion(inc["index"], size, leaf, proof, root)
    for r, readings in list(doc["readings"].items())[:3]:
        assert MerkleTree([reading_leaf(x) for x in readings]).root().hex() == r


def test_the_supplier_imports_it_and_compares_the_day(shared):
    utility, supplier, path, *_ = shared
    report = supplier.import_share(path)
    assert report.ok and [m.meter_id for m in report.meters] == ["GS-1"]
    assert supplier.origin_of("GS-1") == utility.node.origin
    result = supplier.custody("GS-1", DAY)
    # 24 h × 500 Nm³/h = 12 000 Nm³ (the utility's, from the share) against the supplier's own 12 300 Nm³
    assert result.utility.quantity_nm3 == pytest.approx(12_000.0, abs=0.01)
    assert result.supplier.quantity_nm3 == pytest.approx(12_300.0, abs=0.01)
    assert result.status == "disputed" and result.utility.evidence[0]["origin"] == utility.node.origin
    assert len(result.utility.evidence) == 24


def _fails(doc, keys, check):
    report = verify_share(doc, **keys)
    assert not report.ok and report.failure[0] == check, report.to_json()
    return report


def test_hostile_shares_are_refused_with_the_failed_check(shared, tmp_path):
    utility, supplier, path, _, customers = shared
    good = json.loads(path.read_text())
    keys = _keys(utility, supplier)
    # a tampered entry: the batch's count changed in its bytes
    doc = copy.deepcopy(good)
    i = next(k for k, e in enumerate(doc["entries"]) if '"count":12' in e["entry"])
    doc["entries"][i]["entry"] = doc["entries"][i]["entry"].replace('"count":12', '"count":13', 1)
    assert doc != good
    _fails(doc, keys, "entry-signature")
    # a proof for another root: an inclusion proof hash flipped, and the proofs against another checkpoint
    doc = copy.deepcopy(good)
    h = bytearray(base64.b64decode(doc["entries"][3]["inclusion_proof"][0]))
    h[3] ^= 0x10
    doc["entries"][3]["inclusion_proof"][0] = base64.b64encode(bytes(h)).decode()
    _fails(doc, keys, "entry-included")
    doc = copy.deepcopy(good)
    doc["checkpoint"] = supplier.node.checkpoint_note()  # the supplier's own log: another origin and root
    _fails(doc, keys, "checkpoint-signature")
    # an out-of-scope entry: a customer's batch with a valid proof to the same checkpoint
    doc = copy.deepcopy(good)
    size = int(doc["checkpoint"].split("\n")[1])
    row = next(r for r in utility.node.search(device=customers[0].device) if r["type"] == "metering.batch")
    doc["entries"].append({"index": row["idx"], "entry": utility.node.entry(row["idx"]).data.decode(),
                           "inclusion_proof": [base64.b64encode(x).decode()
                                               for x in utility.node.inclusion_proof(row["idx"], size)]})  # fmt: skip
    _fails(doc, keys, "out-of-scope")
    doc = copy.deepcopy(good)  # a meter outside the declared scope
    doc["meters"].append({**doc["meters"][0], "meter_id": "C-0", "station": ""})
    _fails(doc, keys, "out-of-scope")
    # a wrong key: the checkpoint checked with the supplier's key, and no pinned witness
    _fails(good, {**keys, "log_keys": [supplier.node.org_vkey]}, "checkpoint-signature")
    _fails(good, {**keys, "witness_keys": [utility.node.witness_vkey]}, "witnessed")
    _fails(good, {**keys, "quorum": 2}, "witnessed")
    # readings that do not hash to their batch's root, and a share for another node
    doc = copy.deepcopy(good)
    first = next(iter(doc["readings"]))
    doc["readings"][first][0]["value"] += 1.0
    _fails(doc, keys, "readings")
    _fails(good, {**keys, "recipient": "someone.else/ledger"}, "recipient")
    # the import says which check failed and keeps nothing; a file that is not a share is one clear error
    bad = tmp_path / "bad.json"
    doc = copy.deepcopy(good)
    doc["entries"][i]["entry"] = doc["entries"][i]["entry"].replace('"count":12', '"count":13', 1)
    bad.write_text(json.dumps(doc))
    with pytest.raises(ShareError, match=r"entry-signature") as err:
        supplier.import_share(bad)
    assert err.value.check == "entry-signature" and str(bad) in str(err.value)
    for junk in (b"", b"[1, 2", b'{"format": "gasops-metering-share/v1"}', b"\xff\xfe", b"[" * 100_000):
        bad.write_bytes(junk)
        with pytest.raises(ShareError, match="format"):
            read_share_file(bad)


def test_a_peer_without_a_scope_gets_nothing(shared, tmp_path):
    utility, supplier, *_ = shared
    utility.set_peer_scope("supplier")  # withdrawn
    try:
        with pytest.raises(MeteringError, match="no metering scope"):
            utility.share_for_peer("supplier", tmp_path / "x.json")
        with pytest.raises(MeteringError, match="unknown peer"):
            utility.set_peer_scope("nobody", stations=["GS-1"])
    finally:
        utility.set_peer_scope("supplier", stations=["GS-1"])


def test_verify_share_on_the_command_line(shared, tmp_path, capsys):
    from console.cli import main

    utility, supplier, path, *_ = shared
    keys = ["--log-key", utility.node.org_vkey, "--witness-key", supplier.node.witness_vkey]
    assert main(["meter", "verify-share", str(path), *keys, "--recipient", supplier.node.origin]) == 0
    assert "VERIFIED" in capsys.readouterr().out
    assert main(["meter", "verify-share", str(path), "--log-key", supplier.node.org_vkey, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["checks"][-1]["name"] == "checkpoint-signature"
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert main(["meter", "verify-share", str(junk), *keys]) != 0
    err = capsys.readouterr().err
    assert "junk.json" in err and "Traceback" not in err


def test_scope_and_share_on_the_command_line(shared, tmp_path, capsys):
    from console.cli import main

    utility, supplier, *_ = shared
    pp = tmp_path / "pp"
    pp.write_text(PASSPHRASE)
    L = ["--ledger", str(utility.ledger.folder), "--passphrase-file", str(pp)]
    assert main(["meter", "scope", *L, "supplier", "--station", "GS-1"]) == 0
    assert "supplier may see stations GS-1" in capsys.readouterr().out
    out = tmp_path / "cli-share.json"
    assert main(["meter", "share", *L, "supplier", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["meters"] == ["GS-1"] and summary["batches"] == 25
    keys = ["--log-key", utility.node.org_vkey, "--witness-key", supplier.node.witness_vkey]
    assert main(["meter", "verify-share", str(out), *keys, "--recipient", supplier.node.origin]) == 0
