"""Live-view scenario: does the UI keep repainting while the feed worker ingests 10,000 sensors at 1 Hz?

    python -m tests.bench.bench_live_ui [--sensors 10000] [--seconds 30]

The main window shows a demo district with ``--sensors`` sensors (pressure at junctions, methane in valve wells);
the live view's simulator runs paced at 1x (one reading per sensor per second, handed to the ingest worker every
0.1 s) with five leaks that raise alarms, so the alarm list, the badge and the map's sensor colours keep changing.
Meanwhile the main thread asks for a full repaint of the map every 16 ms (a 60 Hz display) and we record when each
one completes. Reported: frames per second actually painted, frame time (the synchronous repaint), the longest gap
between two frames (what a dispatcher would see as a stall), the cost of the live view's own refresh on the main
thread, and the readings ingested per second. The window is 1600×1000 on the offscreen platform.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from tests.bench._common import peak_rss_mb, table

FRAMES: list[float] = []  # completion times of the frames of the last run (perf_counter), for probes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ["GASOPS_DATA_DIR"] = tempfile.mkdtemp(prefix="gasops-bench-live-")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from console.ui.main_window import MainWindow
    from tests.bench.bench_telemetry import demo_with_sensors

    app = QApplication.instance() or QApplication([])
    net = demo_with_sensors(args.sensors, args.seed)
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    shown = []
    window.networkShown.connect(lambda: shown.append(1))
    window.set_network(net)
    _wait(app, lambda: bool(shown) and window.canvas.is_settled())
    ctrl = window.extensions["telemetry"]
    opened = []
    ctrl.sessionOpened.connect(opened.append)
    ctrl.open(start="simulator")
    _wait(app, lambda: bool(opened) and ctrl.session.feed is not None)
    session = ctrl.session
    pipes = net["pipes"]["id"].to_numpy()
    for k in range(1, 6):  # five leaks across the district: alarms (a flood) arrive while we watch
        session.inject_leak(str(pipes[k * len(pipes) // 6]), severity=0.9)

    # time the live view's own refresh (the 4 Hz tick on the main thread)
    refresh_ms: list[float] = []
    original = ctrl.refresh

    def timed_refresh(force: bool = False) -> None:
        t = time.perf_counter()
        original(force)
        refresh_ms.append((time.perf_counter() - t) * 1e3)

    ctrl._refresh.timeout.disconnect()
    ctrl._refresh.timeout.connect(timed_refresh)

    frames = FRAMES
    frames.clear()
    frame_ms: list[float] = []
    viewport = window.canvas.viewport()

    def frame() -> None:
        t = time.perf_counter()
        viewport.repaint()
        frame_ms.append((time.perf_counter() - t) * 1e3)
        frames.append(time.perf_counter())

    pump = QTimer()
    pump.setInterval(16)
    pump.timeout.connect(frame)
    accepted0 = session.feed.status().accepted
    t0 = time.perf_counter()
    pump.start()
    while time.perf_counter() - t0 < args.seconds:
        app.processEvents()
        time.sleep(0.001)
    pump.stop()
    elapsed = time.perf_counter() - t0
    accepted = session.feed.status().accepted - accepted0
    alarms = len(session.service.alarm_list())
    shown_alarm_rows = ctrl.alarm_dock.model.rowCount()
    gaps = np.diff(np.array(frames)) * 1e3 if len(frames) > 1 else np.array([np.inf])
    fps = len(frames) / elapsed
    window.close()

    f, r = np.array(frame_ms), np.array(refresh_ms or [np.nan])
    print(
        table(
            f"Live view: {args.sensors:,} sensors at 1 Hz for {elapsed:.0f} s, a repaint asked every 16 ms "
            "(target: >= 10 Hz)",
            ["measure", "value"],
            [
                ["frames painted per second", f"{fps:.1f}"],
                ["frame (full map repaint) median / p95 ms", f"{np.median(f):.1f} / {np.percentile(f, 95):.1f}"],
                ["longest gap between frames ms", f"{gaps.max():.0f}"],
                ["gaps over 100 ms (below 10 Hz)", f"{int((gaps > 100).sum())} of {len(gaps):,}"],
                [
                    "live refresh on the main thread median / p95 / max ms",
                    f"{np.nanmedian(r):.1f} / {np.nanpercentile(r, 95):.1f} / {np.nanmax(r):.1f}",
                ],
                ["readings ingested per second (feed worker)", f"{accepted / elapsed:,.0f}"],
                ["alarms outstanding at the end (rows in the list)", f"{alarms:,} ({shown_alarm_rows:,})"],
            ],
        )  # fmt: skip
    )
    print(
        json.dumps(
            {
                "sensors": args.sensors,
                "seconds": elapsed,
                "fps": fps,
                "frame_median_ms": float(np.median(f)),
                "frame_p95_ms": float(np.percentile(f, 95)),
                "max_gap_ms": float(gaps.max()),
                "gaps_over_100ms": int((gaps > 100).sum()),
                "refresh_median_ms": float(np.nanmedian(r)),
                "refresh_p95_ms": float(np.nanpercentile(r, 95)),
                "readings_per_s": accepted / elapsed,
                "alarms": alarms,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def _wait(app, predicate, timeout_s: float = 300.0) -> None:
    end = time.perf_counter() + timeout_s
    while not predicate():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("timed out")
        time.sleep(0.002)


if __name__ == "__main__":
    main()
