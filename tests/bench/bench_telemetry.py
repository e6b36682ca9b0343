"""Telemetry scenario: sustained ingest with alarm evaluation in the feed worker, and history query times.

    python -m tests.bench.bench_telemetry [--sensors 10000] [--seconds 120] [--history-sensors 100]

1. Ingest: a demo district with ``--sensors`` sensors (pressure at junctions, methane in valve wells) simulated at
   1 Hz with a leak; ``--seconds`` of readings are generated first, then handed to the service's ingest worker as
   1-second batches as fast as it takes them (validation, vectorised alarm evaluation, signals, history in
   console.db). Reported: readings/s end to end, with and without history.
2. History: ``--history-sensors`` sensors × 24 h at 1 Hz written the way live ingest writes them (a flush every 30 s
   of data), then the last 24 h of one sensor queried raw, in 1-minute and in 15-minute buckets.

Prints tables and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.bench._common import peak_rss_mb, repeat_ms, table, timed


def demo_with_sensors(n_sensors: int, seed: int):
    import geopandas as gpd
    import shapely

    from console.network import generate_demo

    net = generate_demo(n_pipes=max(30_000, n_sensors * 2), seed=seed)
    rng = np.random.default_rng(seed)
    junctions, valves = net["junctions"], net["valves"]
    n_ch4 = min(len(valves), n_sensors // 5)
    n_p = n_sensors - n_ch4
    at_j = rng.choice(len(junctions), n_p, replace=n_p > len(junctions))
    at_v = rng.choice(len(valves), n_ch4, replace=False)
    fid = np.r_[junctions["id"].to_numpy()[at_j], valves["id"].to_numpy()[at_v]].astype(object)
    geom = np.r_[junctions.geometry.to_numpy()[at_j], valves.geometry.to_numpy()[at_v]]
    kind = np.r_[np.full(n_p, "pressure", object), np.full(n_ch4, "methane", object)]
    frame = gpd.GeoDataFrame(
        {"id": [f"B-{i:06d}" for i in range(n_sensors)], "kind": kind, "feature_id": fid},
        geometry=shapely.points(shapely.get_coordinates(geom)),
        crs=net.crs,
    )
    net.replace_layer("sensors", frame)
    return net


def ingest_rate(net, batches, store_path: Path | None) -> dict:
    from console.telemetry import HistoryStore, TelemetryService

    store = HistoryStore(store_path) if store_path else None
    service = TelemetryService(net, store=store)
    counters = batches[0].counters
    total = sum(len(b) for b in batches)
    events = []
    service.alarm_changed.connect(events.append)
    service.readings_arrived.connect(lambda b: None)  # a subscriber, as the UI would be
    service.start()
    t0 = time.perf_counter()
    for b in batches:
        service.submit(b)
    while counters.accepted + sum(counters.dropped.values()) < total:
        time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    t1 = time.perf_counter()
    service.stop()
    flush_s = time.perf_counter() - t1
    if store is not None:
        store.close()
    return {
        "readings": total,
        "seconds": elapsed,
        "per_s": total / elapsed,
        "events": len(events),
        "final_flush_s": flush_s,
    }


def build_history(path: Path, n_sensors: int, hours: float, flush_s: float, seed: int) -> dict:
    from console.telemetry import HistoryStore, ReadingBatch, SensorTable

    sensors = SensorTable.from_arrays([f"H-{i:05d}" for i in range(n_sensors)], ["pressure"] * n_sensors)
    store = HistoryStore(path, flush_readings=10**12, flush_interval_s=1e9)
    store.bind_sensors(sensors)
    rng = np.random.default_rng(seed)
    t_end = 1.8e9
    t_start = t_end - hours * 3600
    steps = int(flush_s)
    t0 = time.perf_counter()
    rows_1 = np.tile(np.arange(n_sensors, dtype=np.int32), steps)
    for k in range(int(hours * 3600 / steps)):
        t = np.repeat(t_start + k * steps + np.arange(steps, dtype=float), n_sensors)
        store.append(ReadingBatch(rows_1, t, 300 + rng.normal(0, 2, len(t))))
        store.flush()
    build_s = time.perf_counter() - t0
    counts = store.counts()
    store.close()
    return {"build_s": build_s, "t_end": t_end, "readings": counts["readings"], "blocks": counts["telemetry_blocks"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--history-sensors", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from console.telemetry import HistoryStore, Leak, SimulatorConfig, SimulatorFeed

    gen_s, net = timed(lambda: demo_with_sensors(args.sensors, args.seed))
    leak_pipe = net["pipes"]["id"].iloc[len(net["pipes"]) // 2]

    def batches():  # a fresh feed (and counters) per run
        sim = SimulatorFeed(net, SimulatorConfig(seed=1), [Leak(leak_pipe, at_s=30, severity=0.9, ramp_s=20)])
        return [sim.readings(k, k + 1) for k in range(args.seconds)]

    sim_s, first = timed(batches)
    with tempfile.TemporaryDirectory(prefix="gasops-bench-") as tmp:
        tmp = Path(tmp)
        plain = ingest_rate(net, first, None)
        stored = ingest_rate(net, batches(), tmp / "ingest.db")

        hist = build_history(tmp / "history.db", args.history_sensors, 24.0, 30.0, args.seed)
        store = HistoryStore(tmp / "history.db")
        end = hist["t_end"]
        q = {}
        for res in ("raw", "1m", "15m"):
            sid = iter([f"H-{i % args.history_sensors:05d}" for i in range(10_000)])
            q[res] = repeat_ms(
                lambda res=res, sid=sid: store.readings(next(sid), end - 86400, end, res), n=20, warmup=2
            )
        n_raw = len(store.readings("H-00000", end - 86400, end, "raw"))
        store.close()

    print(
        f"network: {args.sensors:,} sensors (generated in {gen_s:.1f} s); {args.seconds} s at 1 Hz simulated in {sim_s:.1f} s"
    )
    print(
        table(
            "Sustained ingest (validation + vectorised alarm evaluation + signals) in the feed worker",
            ["history", "readings", "seconds", "readings/s", "alarm events", "final flush s"],
            [
                [
                    "none",
                    f"{plain['readings']:,}",
                    f"{plain['seconds']:.2f}",
                    f"{plain['per_s']:,.0f}",
                    plain["events"],
                    "-",
                ],
                [
                    "console.db",
                    f"{stored['readings']:,}",
                    f"{stored['seconds']:.2f}",
                    f"{stored['per_s']:,.0f}",
                    stored["events"],
                    f"{stored['final_flush_s']:.2f}",
                ],
            ],
        )
    )
    print(
        table(
            f"History: last 24 h of one sensor ({args.history_sensors} sensors × 24 h at 1 Hz, "
            f"{hist['readings']:,} readings in {hist['blocks']:,} blocks, written in {hist['build_s']:.1f} s)",
            ["resolution", "points", "median ms", "p95 ms"],
            [
                ["raw", f"{n_raw:,}", f"{q['raw']['median_ms']:.1f}", f"{q['raw']['p95_ms']:.1f}"],
                ["1 min", "1,440", f"{q['1m']['median_ms']:.1f}", f"{q['1m']['p95_ms']:.1f}"],
                ["15 min", "96", f"{q['15m']['median_ms']:.1f}", f"{q['15m']['p95_ms']:.1f}"],
            ],
        )
    )
    print(
        json.dumps(
            {
                "sensors": args.sensors,
                "ingest_readings": plain["readings"],
                "ingest_per_s": plain["per_s"],
                "ingest_with_history_per_s": stored["per_s"],
                "ingest_final_flush_s": stored["final_flush_s"],
                "alarm_events": stored["events"],
                "history_readings": hist["readings"],
                "history_build_s": hist["build_s"],
                "query_24h_raw_ms": q["raw"]["median_ms"],
                "query_24h_raw_p95_ms": q["raw"]["p95_ms"],
                "query_24h_raw_points": n_raw,
                "query_24h_1m_ms": q["1m"]["median_ms"],
                "query_24h_15m_ms": q["15m"]["median_ms"],
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
