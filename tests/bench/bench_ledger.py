"""Ledger benchmark: signed appends/s (batched), sync between two nodes on loopback next to the raw Ed25519
verification rate of this machine measured in the same run, full verification of a log, inclusion proof at 1M.

    python -m tests.bench.bench_ledger [--entries 1000000] [--sync-entries 100000] [--proof-leaves 1000000]

Targets (issues 5 and 16): >= 5,000 appends/s batched; sync >= 80 % of the raw (single-thread) verification rate,
measured before and after the sync, with entries decoded and checked in --sync-workers processes while the previous
chunk is replayed (a pipeline); inclusion proof <= 1 ms. The load average is printed: other work on the machine
changes both rates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from tests.bench._common import peak_rss_mb, repeat_ms, table


def _items(prefix: str, start: int, n: int) -> list[tuple[str, dict]]:
    return [
        (
            "hazard.reported",
            {
                "hazard_id": f"{prefix}-{i}",
                "location": {"x": 500_000.0 + i * 0.25, "y": 3_400_000.5, "crs": "EPSG:4549"},
                "asset_id": f"P-{i % 5000}",
                "category": "leak",
                "severity": "major",
                "description": "gas smell near the riser",
            },
        )
        for i in range(start, start + n)
    ]


def _fill(node, prefix: str, n: int, batch: int = 1000) -> float:
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        node.append_many(_items(prefix, start, min(batch, n - start)))
    return time.perf_counter() - t0


def raw_verify_rate(n: int = 20_000) -> float:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    msgs = [os.urandom(400) for _ in range(n)]
    sigs = [key.sign(m) for m in msgs]
    t0 = time.perf_counter()
    for s, m in zip(sigs, msgs, strict=True):
        pub.verify(s, m)
    return n / (time.perf_counter() - t0)


def _verify_part(args: tuple[bytes, list[bytes], list[bytes]]) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pub = Ed25519PublicKey.from_public_bytes(args[0])
    for s, m in zip(args[1], args[2], strict=True):
        pub.verify(s, m)
    return len(args[1])


def parallel_verify_rate(workers: int, n: int = 20_000) -> float:
    """Raw Ed25519 verifications/s of ``workers`` processes together: what this machine can give a parallel
    verifier right now (about ``workers`` x the single-thread rate on idle cores, less when other work runs)."""
    from concurrent.futures import ProcessPoolExecutor

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    msgs = [os.urandom(400) for _ in range(n)]
    sigs = [key.sign(m) for m in msgs]
    step = -(-n // workers)
    parts = [(raw, sigs[i : i + step], msgs[i : i + step]) for i in range(0, n, step)]
    with ProcessPoolExecutor(workers) as pool:
        pool.submit(_verify_part, parts[0][:1] + (parts[0][1][:1], parts[0][2][:1])).result()  # start-up
        t0 = time.perf_counter()
        done = sum(pool.map(_verify_part, parts))
        return done / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000, help="log size for appends and full verification")
    parser.add_argument("--sync-entries", type=int, default=100_000)
    parser.add_argument("--proof-leaves", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="processes for signature checks in verification")
    parser.add_argument("--sync-workers", type=int, default=2, help="processes for signature checks in sync")
    args = parser.parse_args()

    from console.ledger import LedgerNode, LedgerServer, MerkleTree, SyncLimits, sync_peer, verify_inclusion

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        tmp = Path(tmp)
        a = LedgerNode.init(tmp / "a", "a.bench.example/ledger", "pw", scrypt_n=2**14)
        seconds = _fill(a, "A", args.entries)
        out["entries"] = args.entries
        out["appends_per_s"] = args.entries / seconds
        out["db_mb"] = (tmp / "a" / "ledger.db").stat().st_size / 1e6

        t0 = time.perf_counter()
        report = a.verify(workers=args.workers)
        out["verify_s"] = time.perf_counter() - t0
        out["verify_ok"] = report.ok
        out["verify_entries_per_s"] = (args.entries + 1) / out["verify_s"]

        # Sync: a fresh log of --sync-entries pulled by a second node over loopback.
        s = LedgerNode.init(tmp / "s", "s.bench.example/ledger", "pw", scrypt_n=2**14)
        _fill(s, "S", args.sync_entries)
        b = LedgerNode.init(tmp / "b", "b.bench.example/ledger", "pw", scrypt_n=2**14)
        server_s, server_b = LedgerServer(s, max_entries=2000), LedgerServer(b)
        server_s.start(), server_b.start()
        try:
            s.add_peer("b", server_b.url, b.origin, b.org_vkey, b.witness_vkey)
            b.add_peer("s", server_s.url, s.origin, s.org_vkey, s.witness_vkey)
            out["load_before"] = os.getloadavg()[0]
            raw_before = raw_verify_rate()
            t0 = time.perf_counter()
            result = sync_peer(
                b,
                "s",
                SyncLimits(
                    timeout_s=60, chunk_entries=2000, max_response_bytes=16 * 1024 * 1024, workers=args.sync_workers
                ),
            )
            sync_s = time.perf_counter() - t0
            # Other work on the machine shifts both rates: measure the raw rate on both sides of the sync.
            raw_after = raw_verify_rate()
            out["raw_ed25519_verify_per_s"] = (raw_before + raw_after) / 2
            out["raw_spread"] = abs(raw_before - raw_after) / out["raw_ed25519_verify_per_s"]
            out["load_after"] = os.getloadavg()[0]
            out["parallel_raw_verify_per_s"] = parallel_verify_rate(max(args.sync_workers, 1))
        finally:
            server_s.stop(), server_b.stop()
        out["sync_entries"] = result.entries_added
        out["sync_status"] = result.status
        out["sync_entries_per_s"] = result.entries_added / sync_s
        out["sync_vs_raw_verify"] = out["sync_entries_per_s"] / out["raw_ed25519_verify_per_s"]
        for n in (a, s, b):
            n.close()

    rng = random.Random(1)
    tree = MerkleTree(rng.randbytes(32) for _ in range(args.proof_leaves))
    size = tree.size
    root = tree.root()
    idx = iter([rng.randrange(size) for _ in range(2000)])
    out["proof_leaves"] = size
    proof = repeat_ms(lambda: tree.inclusion_proof(next(idx), size), n=1000, warmup=10)
    out["inclusion_proof_median_ms"], out["inclusion_proof_p95_ms"] = proof["median_ms"], proof["p95_ms"]
    i = rng.randrange(size)
    p = tree.inclusion_proof(i, size)
    check = repeat_ms(lambda: verify_inclusion(i, size, tree.leaf(i), p, root), n=1000, warmup=10)
    out["inclusion_verify_median_ms"] = check["median_ms"]
    out["peak_rss_mb"] = peak_rss_mb()

    print(
        table(
            "Ledger (targets: appends >= 5,000/s batched; sync >= 80 % of raw Ed25519 verify; inclusion proof <= 1 ms)",
            ["measure", "value"],
            [
                ["signed appends/s (batches of 1,000)", f"{out['appends_per_s']:,.0f}"],
                [
                    f"full verification of {args.entries:,} entries",
                    f"{out['verify_s']:.1f} s ({out['verify_entries_per_s']:,.0f}/s, ok={out['verify_ok']})",
                ],
                [f"sync {out['sync_entries']:,} entries on loopback", f"{out['sync_entries_per_s']:,.0f}/s"],
                [
                    "raw Ed25519 verifications/s (same run, before and after)",
                    f"{out['raw_ed25519_verify_per_s']:,.0f} (±{50 * out['raw_spread']:.0f} %)",
                ],
                [
                    f"sync / raw verify ({args.sync_workers} signature processes)",
                    f"{100 * out['sync_vs_raw_verify']:.0f} %",
                ],
                [
                    f"inclusion proof at {size:,} (median / p95)",
                    f"{out['inclusion_proof_median_ms']:.3f} / {out['inclusion_proof_p95_ms']:.3f} ms",
                ],
                [
                    f"raw verify in {max(args.sync_workers, 1)} processes / single thread (what the load leaves)",
                    f"{out['parallel_raw_verify_per_s']:,.0f}/s ({out['parallel_raw_verify_per_s'] / out['raw_ed25519_verify_per_s']:.2f}x)",
                ],
                ["load average during the sync (2 cores)", f"{out['load_before']:.1f} -> {out['load_after']:.1f}"],
                ["peak RSS", f"{out['peak_rss_mb']:.0f} MB"],
            ],
        )
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
