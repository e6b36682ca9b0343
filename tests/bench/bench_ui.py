"""UI scenario (one process per size): full-extent and zoomed-in repaint, identify through the map, network shown.

    python -m tests.bench.bench_ui --pipes 1000000

Repaint is timed as a synchronous ``canvas.viewport().repaint()`` once the level of detail has settled (see
console/ui/map/canvas.py). The window is 1600×1000 on the offscreen platform.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import shapely

from console.app.workspace import DEMO_GENERATION
from tests.bench._common import CACHE, peak_rss_mb, repeat_ms, table


def _wait(app, predicate, timeout_s: float = 120.0) -> None:
    end = time.perf_counter() + timeout_s
    while not predicate():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("the map did not settle")
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from console.app.memory import tune_allocator

    tune_allocator()  # as `gasops` does at start-up

    from PySide6.QtWidgets import QApplication

    from console.io import read_network, write_network
    from console.network import generate_demo
    from console.ui.main_window import MainWindow

    path = CACHE / f"bench-{args.pipes}-s{args.seed}-g{DEMO_GENERATION}.gpkg"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write_network(generate_demo(n_pipes=args.pipes, seed=args.seed), path)
    app = QApplication.instance() or QApplication([])
    network = read_network(path)
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    shown = []
    window.networkShown.connect(lambda: shown.append(time.perf_counter()))
    t0 = time.perf_counter()
    window.set_network(network)
    _wait(app, lambda: bool(shown))
    shown_s = shown[0] - t0
    canvas = window.canvas
    _wait(app, canvas.is_settled)
    full = repeat_ms(canvas.viewport().repaint, n=21)
    full_mode = canvas.lod_mode

    rng = np.random.default_rng(7)
    pipes = network["pipes"]
    views = rng.choice(len(pipes), 8, replace=False)
    picks = rng.choice(len(pipes), 400, replace=True)
    # Midpoints of the sampled pipes only: a midpoint per pipe (a million shapely points) would be the
    # benchmark's own memory, not the console's, and would count in the peak RSS below.
    rows = np.unique(np.concatenate([views, picks]))
    mids = shapely.line_interpolate_point(np.asarray(pipes.geometry.array, dtype=object)[rows], 0.5, normalized=True)
    xy = dict(zip(rows.tolist(), shapely.get_coordinates(mids).tolist(), strict=True))
    zoomed = []
    modes = set()
    for k in views:
        x, y = xy[int(k)]
        canvas.set_map_range(x - 400, y - 250, x + 400, y + 250)  # an 800 m wide street view
        _wait(app, canvas.is_settled)
        zoomed.append(repeat_ms(canvas.viewport().repaint, n=7, warmup=1)["median_ms"])
        modes.add(canvas.lod_mode)
    picks = iter(picks)

    def identify() -> None:
        canvas.identify_at(*xy[int(next(picks))])

    ident = repeat_ms(identify, n=200, warmup=5)
    window.close()
    result = {
        "pipes": len(pipes),
        "network_shown_s": shown_s,
        "full_repaint_median_ms": full["median_ms"],
        "full_repaint_p95_ms": full["p95_ms"],
        "full_mode": full_mode,
        "zoomed_repaint_median_ms": float(np.median(zoomed)),
        "zoomed_repaint_max_ms": float(np.max(zoomed)),
        "zoomed_modes": sorted(m or "" for m in modes),
        "identify_median_ms": ident["median_ms"],
        "identify_p95_ms": ident["p95_ms"],
        "peak_rss_mb": peak_rss_mb(),
    }
    print(
        table(
            f"UI at {len(pipes):,} pipes (targets: full repaint <= 150 ms, zoomed <= 50 ms, identify <= 5 ms)",
            ["measure", "value"],
            [
                ["set_network -> map shown (s)", f"{shown_s:.2f}"],
                [
                    f"full-extent repaint median / p95 (ms, {full_mode})",
                    f"{full['median_ms']:.1f} / {full['p95_ms']:.1f}",
                ],
                ["zoomed-in repaint median / max (ms)", f"{np.median(zoomed):.1f} / {np.max(zoomed):.1f}"],
                ["identify via map median / p95 (ms)", f"{ident['median_ms']:.2f} / {ident['p95_ms']:.2f}"],
                ["peak RSS (MB)", f"{peak_rss_mb():.0f}"],
            ],
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
