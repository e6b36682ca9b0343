"""Emergency dispatch scenario: from "open incident at pipe" to plan, impact, grade and pressure effect.

    python -m tests.bench.bench_dispatch [--pipes 100000,1000000] [--runs 5]

Per size: the demo network (cached GeoPackage, as the isolation scenario), valve segments and the base hydraulic run
built first (what a console has warm before the first call); then ``IncidentService.open`` at random pipes, timed
end to end (three signed ledger entries: opened, planned, graded) with the pressure effect off and on, the
pressure effect alone (the what-if solved in the pressure systems the outage touches, warm-started from the cached
base run; how much of the network it re-solved and how often it fell back to the whole network), and a ledger
verify of every entry written. The load average before each size is printed: the machine is shared. Prints a table
and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._common import CACHE, ROOT, peak_rss_mb, table, timed


def demo_network(n_pipes: int, seed: int):
    """The demo network, cached as a GeoPackage keyed by the demo generator's source (the isolation scenario's
    cache is keyed by DEMO_GENERATION only, and outlived a change of the generator that makes the 1M city feasible)."""
    import hashlib

    from console.io import read_network, write_network
    from console.network import generate_demo

    src = sorted((ROOT / "console" / "network").glob("_demo*.py"))
    key = hashlib.sha256(b"".join(p.read_bytes() for p in src)).hexdigest()[:12]
    path = CACHE / f"dispatch-{n_pipes}-s{seed}-{key}.gpkg"
    if path.exists():
        return read_network(path), f"read {path.name}"
    net = generate_demo(n_pipes=n_pipes, seed=seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    write_network(net, path)
    return net, f"generated, cached as {path.name}"


def one_size(n_pipes: int, runs: int) -> dict:
    from console.hydraulics import what_if_local
    from console.isolation import valve_segments
    from tests.dispatch.drill import make_service

    net, how = demo_network(n_pipes, 2026)
    seg_s, _ = timed(lambda: valve_segments(net))
    service, clock = make_service(tempfile.mkdtemp(), net, operators=False)
    service.what_if = True
    pipes = net["pipes"]
    ids = pipes["id"].to_numpy(dtype=object)[(pipes["status"] == "in_service").to_numpy()]
    rng = np.random.default_rng(7)
    load = os.getloadavg()[0]
    base_s, _ = timed(lambda: service.pressure_effect(service_plan_probe(service, ids[0])))
    out = {"pipes": n_pipes, "network": how, "load_avg_1min": load, "segments_s": seg_s,
           "base_run_and_first_effect_s": base_s}  # fmt: skip
    effect_s, parts, fallbacks = [], [], 0
    base = service.base_run()
    for pid in ids[rng.integers(0, len(ids), 3 * runs)]:
        plan = service_plan_probe(service, pid)
        t = time.perf_counter()
        service.pressure_effect(plan)
        effect_s.append(time.perf_counter() - t)
        local = what_if_local(net, [s.feature_id for s in plan.plan if s.required], base)
        parts.append(len(local.node_index) / len(base.node_ids))
        fallbacks += local.full
    out["effect_s"] = {"median": float(np.median(effect_s)), "max": float(np.max(effect_s))}
    out["effect_part"] = {"median": float(np.median(parts)), "max": float(np.max(parts)), "whole_network": fallbacks,
                          "n": len(parts)}  # fmt: skip
    # The hard case: breaks on the medium- and high-pressure mains, whose systems feed whole districts.
    upper = ids[(pipes.set_index("id").loc[ids, "pressure_class"].astype(str) != "LP").to_numpy()]
    mp_s, mp_parts = [], []
    for pid in upper[rng.integers(0, len(upper), runs)] if len(upper) else []:
        plan = service_plan_probe(service, pid)
        t = time.perf_counter()
        service.pressure_effect(plan)
        mp_s.append(time.perf_counter() - t)
        local = what_if_local(net, [s.feature_id for s in plan.plan if s.required], base)
        mp_parts.append(len(local.node_index) / len(base.node_ids))
        fallbacks += local.full
    if mp_s:
        out["effect_upper_s"] = {"median": float(np.median(mp_s)), "max": float(np.max(mp_s)),
                                 "part_max": float(np.max(mp_parts)), "n": len(mp_s)}  # fmt: skip
        out["effect_part"]["whole_network"] = fallbacks
    for effect in (False, True):
        service.what_if = effect
        times = []
        for _ in range(runs):
            pid = ids[rng.integers(0, len(ids))]
            clock.advance(300)  # apart in time: no duplicate-call check
            t = time.perf_counter()
            service.open("leak", pipe=pid, fraction=float(rng.random()), source="pipe")
            times.append(time.perf_counter() - t)
        out[f"open_{'with' if effect else 'without'}_effect_s"] = {"median": float(np.median(times)),
                                                                  "max": float(np.max(times))}  # fmt: skip
    verify_s, report = timed(lambda: service.ledger.verify().future.result())
    out["verify_s"], out["verified_ok"], out["entries"] = verify_s, report.ok, service.ledger.node.size()
    out["peak_rss_mb"] = peak_rss_mb()
    service.ledger.close()
    return out


def service_plan_probe(service, pipe_id):
    from console.isolation import IsolationRequest, isolate

    return isolate(service.network, IsolationRequest.at_pipe(str(pipe_id), 0.5))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pipes", default="100000,1000000")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    results = [one_size(int(n), args.runs) for n in args.pipes.split(",") if n]
    rows = [[r["pipes"], f"{r['segments_s']:.2f}", f"{r['base_run_and_first_effect_s']:.2f}",
             f"{r['open_without_effect_s']['median'] * 1000:.0f}", f"{r['open_with_effect_s']['median'] * 1000:.0f}",
             f"{r['open_with_effect_s']['max'] * 1000:.0f}", f"{r['effect_s']['median'] * 1000:.0f}",
             f"{r['effect_s']['max'] * 1000:.0f}",
             (f"{r['effect_upper_s']['median'] * 1000:.0f} / {r['effect_upper_s']['max'] * 1000:.0f}"
              if "effect_upper_s" in r else "–"),
             f"{r['effect_part']['median']:.2%} / {r['effect_part']['max']:.1%} / {r['effect_part']['whole_network']}",
             f"{r['entries']} / {'OK' if r['verified_ok'] else 'BAD'}", f"{r['peak_rss_mb']:.0f}",
             f"{r['load_avg_1min']:.1f}"] for r in results]  # fmt: skip
    print(table("Open incident at pipe → plan, impact, grade (+ pressure effect)",
                ["pipes", "segments s", "base run s", "open ms (no effect)", "open ms (effect) median", "max",
                 "effect ms median", "max", "effect ms MP+ median / max", "re-solved median / max / whole", "entries verified", "RSS MB",
                 "load"], rows))  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
