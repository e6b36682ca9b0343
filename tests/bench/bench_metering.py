"""Metering benchmark: anchoring throughput (readings/s into signed, checked, anchored batches) for a fleet of meters
reporting every 5 minutes and anchored hourly, and the size and time of one reading's offline proof.

    python -m tests.bench.bench_metering [--meters 85000]

Phases: the devices sign their hourly batches (the devices' work, shown for scale, not part of anchoring); the console
checks every batch (registered key, Ed25519 signature, Merkle root of the readings, counters, totals) and anchors it:
readings file into the evidence store, one ``metering.batch`` and one ``metering.period`` entry per meter.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from tests.bench._common import peak_rss_mb, repeat_ms, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=85_000)
    args = parser.parse_args()
    os.environ.setdefault("GASOPS_DATA_DIR", tempfile.mkdtemp(prefix="gasops-bench-"))
    from console.app.ledger import LedgerService
    from console.app.metering import MeteringService
    from console.metering import Meter, MeterDevice, examine_batch, period_of, verify_reading_proof

    folder = Path(tempfile.mkdtemp(prefix="gasops-bench-metering-"))
    ledger = LedgerService(folder / "ledger")
    ledger.create("bench.gas.example/ledger", "bench", scrypt_n=2**10)
    svc = MeteringService(ledger)
    n = args.meters
    devices = [MeterDevice.create(f"M{i:06d}") for i in range(n)]
    meters = [Meter(d.meter_id, "district", d.did, area=f"A{i % 50}") for i, d in enumerate(devices)]
    t0 = time.perf_counter()
    svc.register_meters(meters)
    t_register = time.perf_counter() - t0

    # the devices: 12 five-minute readings in the hour 05:00–06:00, signed as one batch each
    t0 = time.perf_counter()
    batches = []
    for i, d in enumerate(devices):
        for k in range(12):
            minute = 5 * (k + 1)
            d.read("2026-03-01T06:00:00Z" if minute == 60 else f"2026-03-01T05:{minute:02d}:00Z", 1000.0 + i + k)
        batches.append(d.close_period())
    t_sign = time.perf_counter() - t0
    readings = 12 * n

    # checking alone (what the console does before anything is written)
    t0 = time.perf_counter()
    for m, b in zip(meters, batches, strict=True):
        start, end = period_of(m, b.readings[-1]["time"])
        assert examine_batch(m, b, None and None, start, end) is not None
    t_check_unknown = time.perf_counter() - t0

    # full anchoring through the service
    svc.submit(batches)
    t0 = time.perf_counter()
    report = svc.anchor()
    t_anchor = time.perf_counter() - t0
    assert report.batch_entries == n and not report.rejected, report.rejected[:1]

    out = folder / "proof.json"
    t0 = time.perf_counter()
    svc.prove(meters[n // 2].meter_id, 5, out)
    t_prove = time.perf_counter() - t0
    doc = json.loads(out.read_text())
    key = ledger.node.org_vkey
    verify = repeat_ms(lambda: verify_reading_proof(doc, log_keys=[key]), 20)
    assert verify_reading_proof(doc, log_keys=[key]).ok
    ledger.close()

    rows = [
        ["register meters (one transaction)", f"{t_register:.2f} s", f"{n / t_register:,.0f} meters/s"],
        ["devices sign hourly batches", f"{t_sign:.2f} s", f"{readings / t_sign:,.0f} readings/s"],
        ["anchor: check + store + append", f"{t_anchor:.2f} s", f"{readings / t_anchor:,.0f} readings/s"],
        ["one reading's proof: build", f"{t_prove * 1000:.1f} ms", f"{out.stat().st_size:,} bytes"],
        ["one reading's proof: verify offline", f"{verify['median_ms']:.2f} ms", "median of 20"],
    ]
    print(table(f"Metering: {n:,} meters × 12 readings, anchored hourly ({readings:,} readings)",
                ["phase", "time", "rate / size"], rows))  # fmt: skip
    print(f"hourly budget: anchoring {n:,} meters takes {t_anchor / 3600 * 100:.2f} % of the hour; "
          f"peak RSS {peak_rss_mb():.0f} MB; {t_check_unknown:.2f} s to screen them as unknown devices")  # fmt: skip
    print(json.dumps({"meters": n, "readings": readings, "anchor_s": t_anchor,
                      "anchor_readings_per_s": readings / t_anchor, "proof_bytes": out.stat().st_size,
                      "proof_build_ms": t_prove * 1000, "proof_verify_ms": verify["median_ms"],
                      "peak_rss_mb": peak_rss_mb()}))  # fmt: skip


if __name__ == "__main__":
    main()
