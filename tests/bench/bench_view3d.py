"""3D view scenario (one process per size), under Xvfb with Mesa llvmpipe: scene preparation, crossings, time to
open the view, frame time while orbiting (level of detail) and at full detail, CPU pick.

    python -m tests.bench.bench_view3d --pipes 100000

Without a DISPLAY an Xvfb server is started for the run (offscreen Qt has no OpenGL). A frame is timed as the view's
``paintGL`` followed by ``glFinish`` (the GPU, here llvmpipe, has finished drawing), the view 1400×900.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time

from console.app.workspace import DEMO_GENERATION
from tests.bench._common import CACHE, peak_rss_mb, repeat_ms, table


def _display() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    binary = shutil.which("Xvfb")
    if binary is None:
        raise SystemExit("bench_view3d needs Xvfb (apt-get install xvfb) or a DISPLAY")
    read, write = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as f:
        os.environ["DISPLAY"] = ":" + f.readline().strip()
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    xvfb = _display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        run(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()


def run(args) -> None:
    from console.app.memory import tune_allocator

    tune_allocator()
    from OpenGL import GL
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from console.io import read_network, write_network
    from console.network import generate_demo
    from console.scene import build_scene, network_crossings
    from console.ui.map.styles import classify_pipes
    from console.ui.view3d import View3D
    from console.ui.view3d._view import _rgba, prepare_view

    path = CACHE / f"bench-{args.pipes}-s{args.seed}-g{DEMO_GENERATION}.gpkg"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write_network(generate_demo(n_pipes=args.pipes, seed=args.seed), path)
    app = QApplication.instance() or QApplication([])
    network = read_network(path)
    t0 = time.perf_counter()
    _ = network.topology  # int32 node-link arrays, built once per network version and shared with every analysis
    t_topology = time.perf_counter() - t0
    t0 = time.perf_counter()
    scene = build_scene(network)
    t_scene = time.perf_counter() - t0
    t0 = time.perf_counter()
    prepared = prepare_view(scene)  # in the same job as the scene, off the UI thread
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    crossings = network_crossings(network, scene)
    t_cross = time.perf_counter() - t0

    view = View3D()
    view.resize(1400, 900)
    view.show()
    QTest.qWaitForWindowExposed(view)
    gl = view.gl

    def frame() -> None:
        gl.makeCurrent()
        gl.paintGL()
        GL.glFinish()

    import numpy as np

    t0 = time.perf_counter()
    view.set_scene(scene, prepared)
    c = classify_pipes(network["pipes"], "pressure_class")
    colours = np.array([_rgba(k.color("dark")) for k in c.classes], dtype=np.float32)
    view.set_pipe_colors(colours[c.codes], [])
    frame()
    t_open = time.perf_counter() - t0
    renderer = GL.glGetString(GL.GL_RENDERER).decode()

    def orbit_frame() -> None:
        gl.orbit(2.0, 0.0)  # shows the level-of-detail set until the camera rests
        frame()

    moving = repeat_ms(orbit_frame, 15)
    lod = bool("pipes_lod" in view.items and view.items["pipes_lod"].visible())
    view._full_detail()
    view._lod_timer.stop()
    full = repeat_ms(frame, 5, warmup=1)
    w, h = gl.width(), gl.height()
    points = [(w * fx, h * fy) for fx in (0.3, 0.5, 0.7) for fy in (0.3, 0.5, 0.7)]
    k = [0]

    def pick() -> None:
        view.pick(*points[k[0] % len(points)])
        k[0] += 1

    picked = repeat_ms(pick, 27)
    n_seg = len(scene.segment_pipe)
    lod_seg = len(view._lod_rows) if view._lod_rows is not None else n_seg
    rows = [
        ["topology (once per network version, shared)", f"{t_topology * 1000:,.0f}", ""],
        ["prepare the scene (Qt-free, a job)", f"{t_scene * 1000:,.0f}", f"{len(scene.buildings):,} buildings"],
        ["picker and level of detail (same job)", f"{t_prepare * 1000:,.0f}", ""],
        ["crossings and clearances", f"{t_cross * 1000:,.0f}", f"{len(crossings):,} crossings"],
        ["open the view (UI thread: upload + first frame)", f"{t_open * 1000:,.0f}", ""],
        ["frame while orbiting (LOD), median", f"{moving['median_ms']:,.0f}", f"p95 {moving['p95_ms']:,.0f}; {lod_seg:,} segments"],
        ["full-detail frame, median", f"{full['median_ms']:,.0f}", f"{n_seg:,} segments"],
        ["pick (CPU), median", f"{picked['median_ms']:,.1f}", f"p95 {picked['p95_ms']:,.1f}"],
    ]  # fmt: skip
    print(table(f"3D view — {args.pipes:,} pipes, {renderer}, 1400×900", ["step", "ms", "note"], rows))
    print(
        json.dumps(
            {
                "pipes": args.pipes,
                "renderer": renderer,
                "topology_s": t_topology,
                "scene_s": t_scene,
                "prepare_view_s": t_prepare,
                "crossings_s": t_cross,
                "crossings": len(crossings),
                "open_s": t_open,
                "orbit_frame_ms": moving,
                "lod_active": lod,
                "full_frame_ms": full,
                "pick_ms": picked,
                "segments": n_seg,
                "lod_segments": lod_seg,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )
    view.close()
    app.processEvents()


if __name__ == "__main__":
    main()
