"""Canonical JSON: our encoder (console.ledger._canonical) against the rfc8785 package, same inputs, same bytes.

    python -m tests.bench.bench_canonical

The ledger encodes every entry before signing and hashing; we keep our own encoder only while it is measurably
faster than the reference package and byte-identical to it (tests/ledger pins the equality with hypothesis).
"""

from __future__ import annotations

import json

import rfc8785

from console.ledger import canonical_json
from tests.bench._common import repeat_ms, table


def _payloads(n: int) -> list[dict]:
    return [
        {
            "type": "hazard.reported",
            "origin": "gasops.example/utility",
            "index": i,
            "prev": "5f" * 32,
            "time": "2026-11-22T08:15:00Z",
            "author": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "body": {
                "hazard_id": f"HZ-20261122-{i:03d}",
                "location": {"x": 41419220.62 + i, "y": 3322685.1, "crs": "EPSG:4529"},
                "asset_id": f"P-{i:06d}",
                "category": "leak",
                "severity": "major",
                "description": "燃气泄漏 near valve well, 35 %LEL measured",
                "attachments": [{"sha256": "ab" * 32, "media_type": "image/jpeg", "bytes": 183_422}],
                "values": [0.1 * k for k in range(8)],
            },
        }
        for i in range(n)
    ]


def main() -> None:
    payloads = _payloads(2000)
    assert all(canonical_json(p) == rfc8785.dumps(p) for p in payloads[:200])
    ours = repeat_ms(lambda: [canonical_json(p) for p in payloads], n=9)
    ref = repeat_ms(lambda: [rfc8785.dumps(p) for p in payloads], n=9)
    per_s_ours = len(payloads) / (ours["median_ms"] / 1000)
    per_s_ref = len(payloads) / (ref["median_ms"] / 1000)
    print(
        table(
            "Canonical JSON (RFC 8785) of 2,000 ledger entries — identical bytes",
            ["encoder", "median ms", "entries/s"],
            [
                ["console.ledger canonical_json", f"{ours['median_ms']:.1f}", f"{per_s_ours:,.0f}"],
                ["rfc8785.dumps (reference)", f"{ref['median_ms']:.1f}", f"{per_s_ref:,.0f}"],
                ["speed-up", f"{ref['median_ms'] / ours['median_ms']:.1f}x", ""],
            ],
        )
    )
    print(
        json.dumps(
            {
                "ours_ms": ours["median_ms"],
                "rfc8785_ms": ref["median_ms"],
                "speedup": ref["median_ms"] / ours["median_ms"],
            }
        )
    )


if __name__ == "__main__":
    main()
