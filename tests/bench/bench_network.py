"""Network scenario (one process per size): generate, save and load a GeoPackage, validate, identify, peak RSS.

python -m tests.bench.bench_network --pipes 1000000
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from console.app.workspace import DEMO_GENERATION
from tests.bench._common import CACHE, peak_rss_mb, repeat_ms, table, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from console.io import read_network, write_network
    from console.network import generate_demo, validate

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"bench-{args.pipes}-s{args.seed}-g{DEMO_GENERATION}.gpkg"
    gen_s, net = timed(lambda: generate_demo(n_pipes=args.pipes, seed=args.seed))
    save_s, _ = timed(lambda: write_network(net, path))
    counts = net.counts()
    del net
    load_s, net = timed(lambda: read_network(path))
    topo_s, _ = timed(lambda: net.topology)
    validate_s, report = timed(lambda: validate(net))
    spatial_s, _ = timed(lambda: net.spatial.build("pipes"))
    # Identify: random points near pipe midpoints, as a user would click.
    rng = np.random.default_rng(1)
    mids = net["pipes"].geometry.interpolate(0.5, normalized=True)
    picks = rng.choice(len(mids), 200, replace=False)
    xy = np.column_stack([mids.x.to_numpy()[picks], mids.y.to_numpy()[picks]]) + rng.normal(0, 1.0, (200, 2))
    it = iter(np.vstack([xy] * 3))
    identify = repeat_ms(lambda: net.spatial.nearest(*next(it), 5.0), n=200, warmup=5)
    result = {
        "pipes": counts["pipes"],
        "features": int(sum(counts.values())),
        "generate_s": gen_s,
        "save_gpkg_s": save_s,
        "load_gpkg_s": load_s,
        "gpkg_mb": path.stat().st_size / 1e6,
        "topology_s": topo_s,
        "validate_s": validate_s,
        "validation_ok": report.ok,
        "pipe_index_s": spatial_s,
        "identify_median_ms": identify["median_ms"],
        "identify_p95_ms": identify["p95_ms"],
        "peak_rss_mb": peak_rss_mb(),
    }
    rows = [[k, f"{v:.3f}" if isinstance(v, float) else str(v)] for k, v in result.items()]
    title = (
        f"Network at {counts['pipes']:,} pipes (targets: load 1M <= 10 s, identify <= 5 ms, peak RSS 1M <= 1,500 MB)"
    )
    print(table(title, ["measure", "value"], rows))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
