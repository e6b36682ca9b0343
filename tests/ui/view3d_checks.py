"""The 3D view's checks, run by tests/ui/test_view3d.py in a process of their own on an Xvfb display.

Offscreen Qt (the rest of tests/ui) has no OpenGL, and a QApplication's platform cannot change within a process, so
the GL checks run here with ``QT_QPA_PLATFORM=xcb`` on the Xvfb display the test starts, and print one JSON object
of what they saw. Screenshots go to the folder given as the first argument.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

OUT = Path(".")  # set from the first argument in main(); importing this module (doctest collection) must not need one
RESULTS: dict[str, object] = {}


def wait(condition, timeout=60.0, what="condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        QTest.qWait(20)


def settle(view) -> None:
    """Wait until the view is back at full detail (the camera rested)."""
    wait(lambda: view.at_full_detail, 5, "full detail")
    QTest.qWait(30)


def image_array(img) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = img.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return arr[:, : img.width(), 2::-1].astype(int)  # BGRA → RGB


def check(name):
    def wrap(fn):
        try:
            RESULTS[name] = fn()
        except Exception:
            RESULTS[name] = {"error": traceback.format_exc()}
        return fn

    return wrap


def main() -> None:
    global OUT
    OUT = Path(sys.argv[1])
    app = QApplication([])  # noqa: F841  (kept alive for the whole run)
    from console.network import generate_demo
    from console.ui.main_window import MainWindow
    from console.ui.view3d import _view as view_module

    network = generate_demo(3000, seed=1)
    window = MainWindow()
    window.resize(1200, 800)
    window.show()
    window.set_network(network)
    wait(lambda: window.network is network, what="the network on the map")
    window.install_features()
    controller = window.extensions["view3d"]
    RESULTS["gl_renderer"] = _renderer()
    ready = {"scene": False, "crossings": False}
    controller.sceneReady.connect(lambda: ready.__setitem__("scene", True))
    controller.crossingsReady.connect(lambda: ready.__setitem__("crossings", True))
    controller.open()
    wait(lambda: ready["scene"] and ready["crossings"], what="the 3D scene and crossings")
    view = controller.view
    controller.view_window.resize(1400, 900)
    QTest.qWait(200)

    @check("screenshot")
    def _():
        view.look_from(above=True)
        QTest.qWait(100)
        settle(view)
        img = view.grab_image()
        img.save(str(OUT / "view3d_above.png"))
        px = image_array(img)
        background = np.array([0x0D, 0x11, 0x17])
        not_bg = np.abs(px - background).sum(axis=2) > 12
        # the pipes alone (no ground, buildings, symbols): every pipe pixel must be a legend colour
        view.set_ground_opacity(0.0)
        shown = {key: item.visible() for key, item in view.items.items()}
        for key in list(view.items):
            if key not in ("pipes", "pipes_lod"):
                view.items[key].setVisible(False)
        QTest.qWait(100)
        settle(view)
        pipes_only = image_array(view.grab_image())
        settle(view)
        view.grab_image().save(str(OUT / "view3d_pipes_only.png"))
        legend = np.array([[int(e.color[i : i + 2], 16) for i in (1, 3, 5)] for e in view.legend_entries])
        drawn = np.abs(pipes_only - background).sum(axis=2) > 12
        colours = pipes_only[drawn]
        nearest = np.abs(colours[:, None, :] - legend[None, :, :]).sum(axis=2).min(axis=1)
        for key, on in shown.items():
            view.items[key].setVisible(on)
        view._full_detail()
        view.set_ground_opacity(0.55)
        view.look_from(above=False)
        QTest.qWait(100)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_below.png"))
        settle(view)
        below = image_array(view.grab_image())
        return {
            "non_background_fraction": float(not_bg.mean()),
            "distinct_colours": int(len(np.unique(px.reshape(-1, 3), axis=0))),
            "pipe_pixels": int(drawn.sum()),
            "pipe_pixels_in_legend": float((nearest <= 6).mean()) if len(nearest) else 0.0,
            "legend": [e.label for e in view.legend_entries],
            "below_non_background_fraction": float((np.abs(below - background).sum(axis=2) > 12).mean()),
        }

    @check("pick")
    def _():
        view.look_from(above=True)
        QTest.qWait(50)
        scene = controller.scene
        # a long main near the middle of the district, picked at its middle
        rows = np.flatnonzero(scene.is_main)
        rows = rows[np.argsort(-scene.length_m[rows])][:20]
        out = []
        for row in rows:
            segs = np.flatnonzero(scene.segment_pipe == row)
            ab = scene.segments.reshape(-1, 2, 3)[segs]
            seg = segs[np.argmax(np.hypot(*(ab[:, 1, :2] - ab[:, 0, :2]).T))]  # its longest segment, away from valves
            a, b = scene.segments[2 * seg], scene.segments[2 * seg + 1]
            view.fly_to(0.5 * (a + b), 300.0, 50.0, animate=False)  # as a user picks: close enough to tell pipes apart
            x, y = view.screen_position(0.5 * (a + b))
            if not (0 < x < view.gl.width() and 0 < y < view.gl.height()):
                continue
            hit = view.pick(x, y)
            out.append((str(scene.pipe_ids[row]), hit[1] if hit else None))
            if hit is not None and hit[1] == out[-1][0]:
                last_mid = 0.5 * (a + b)
        # a real click on the last one: the 2D map selects the same pipe
        expected = next(e for e, g in reversed(out) if e == g)
        view.fly_to(last_mid, 300.0, 50.0, animate=False)
        x, y = view.screen_position(last_mid)
        QTest.mouseClick(view.gl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
        QTest.qWait(50)
        selected_2d = window.canvas.selected.feature_id if window.canvas.selected is not None else None
        t = time.perf_counter()
        for _ in range(10):
            view.pick(x, y)
        pick_ms = (time.perf_counter() - t) * 100
        return {
            "picks": out,
            "clicked": expected,
            "selected_2d": selected_2d,
            "selected_3d": view.selected,
            "ms": pick_ms,
        }

    @check("link_2d_to_3d")
    def _():
        pid = str(controller.scene.pipe_ids[5])
        window.zoom_to_feature(pid)
        QTest.qWait(50)
        return {"asked": pid, "selected_3d": view.selected}

    @check("crossing")
    def _():
        dock = controller.view_window.crossings_dock
        k = dock.crossing_at(0)
        dock.choose(0)
        QTest.qWait(20)
        wait(lambda: not view.flying, what="the camera flight")
        QTest.qWait(100)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_crossing.png"))
        c = controller.crossings
        lx, ly = controller.scene.local(c.x[k], c.y[k])
        target = view.camera_target()
        labels = [i.text for i in view.overlays.get("crossing", []) if hasattr(i, "text")]
        return {
            "rows": dock.table.rowCount(),
            "below": int(c.below_minimum.sum()),
            "total": len(c),
            "target_offset_m": float(np.hypot(target[0] - lx, target[1] - ly)),
            "labels": labels,
            "ids": [str(c.id_a[k]), str(c.id_b[k])],
            "distance": float(view.gl.opts["distance"]),
        }

    @check("colour_modes")
    def _():
        sim = window.extensions["simulation"]
        sim.simulate()
        wait(lambda: sim.service.run is not None and not sim.service.busy, 120, "the simulation")
        QTest.qWait(50)
        modes = [view.colour_mode.itemData(i) for i in range(view.colour_mode.count())]
        titles = {}
        for mode in modes:
            controller.set_colour_mode(mode)
            titles[mode] = view.legend.text()[:60]
        controller.set_colour_mode("sim:pressure")
        view.look_from(above=True)
        QTest.qWait(50)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_pressure.png"))
        view.show_contours.setChecked(True)
        wait(lambda: view._ground_colors is not None, 120, "contour bands on the ground")
        QTest.qWait(100)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_contours.png"))
        bands = len(np.unique(view._ground_colors, axis=0))
        view.show_contours.setChecked(False)
        return {"modes": modes, "titles": titles, "ground_band_colours": bands, "mode": controller.colour_mode}

    @check("isolation")
    def _():
        from console.isolation import Break

        iso = window.extensions["isolation"]
        scene = controller.scene
        pid = str(scene.pipe_ids[np.flatnonzero(scene.is_main)[40]])
        iso.service.run(Break(pid, 0.5))
        wait(lambda: iso.service.result is not None and not iso.service.busy, 120, "the isolation result")
        QTest.qWait(100)
        wait(lambda: "isolation" in view.overlays, 10, "the isolation overlay")
        result = iso.service.result
        brk = result.break_points[0]
        controller.look_at(brk[1], brk[2], 350.0, 55.0)
        view.set_ground_opacity(0.35)
        QTest.qWait(100)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_isolation.png"))
        view.set_ground_opacity(0.55)
        labels = [i.text for i in view.overlays["isolation"] if hasattr(i, "text")]
        valve = result.valves_to_close[0] if result.valves_to_close else str(network["valves"]["id"].iat[0])
        controller._on_3d_menu("valves", valve, view.gl.mapToGlobal(QPoint(10, 10)))
        actions = [a.text() for a in controller.context_menu.actions()]
        controller.context_menu.close()
        return {"valves_to_close": list(result.valves_to_close), "labels": labels, "valve_menu": actions}

    @check("symbols")
    def _():
        """Valves, regulators and gate stations are told apart by shape and colour, and the legend shows them."""
        from console.ui.view3d._symbols import SHAPES

        legend = {e.label: (e.shape, e.color) for e in view.symbol_legend_entries}
        out = {"legend": legend, "shapes_known": all(e.shape in (*SHAPES, "line") for e in view.symbol_legend_entries)}
        view.set_ground_opacity(0.0)  # symbols lie at the pipes' depth: see them without the ground's tint
        view.show_buildings.setChecked(False)
        seen = {}
        for layer in ("valves", "regulators", "gate_stations"):
            ids, xyz = view._symbol_xyz[layer]
            p = xyz[len(xyz) // 2].astype(float)
            view.fly_to(p, 60.0, 89.0, 0.0, animate=False)  # straight down on it
            QTest.qWait(50)
            settle(view)
            img = view.grab_image()
            px = image_array(img)
            x, y = view.screen_position(p)
            r = view_module.SYMBOL_SIZES[layer] / 2 * img.devicePixelRatio()
            colour = np.array([round(c * 255) for c in view_module.SYMBOL_COLOURS[layer][:3]])

            def is_fill(dx, dy, px=px, x=x, y=y, colour=colour):
                sample = px[int(round(y + dy)), int(round(x + dx))]
                return bool(np.abs(sample - colour).sum() <= 12)

            # the centre line of a bow-tie is filled left and right of the centre, empty above it; a square is
            # filled both ways; a triangle's apex is up: filled above the centre, empty at its top corners
            seen[layer] = {
                "id": str(ids[len(xyz) // 2]),
                "left": is_fill(-0.55 * r, 0),
                "above": is_fill(0, -0.55 * r),
                "top_left": is_fill(-0.6 * r, -0.6 * r),
                "pixels": int((np.abs(px - colour).sum(axis=2) <= 12).sum()),
            }
            img.save(str(OUT / f"view3d_symbol_{layer}.png"))
        view.set_ground_opacity(0.55)
        view.show_buildings.setChecked(True)
        out["seen"] = seen
        return out

    def _mid(pid):
        layer, prow = network.locate(pid)
        mid = network[layer].geometry.iloc[prow].interpolate(0.5, normalized=True)
        return mid.x, mid.y

    @check("view_here")
    def _():
        """The map's right-click "View in 3D here" points the 3D camera at the clicked spot and selects the pipe."""
        scene = controller.scene
        row = int(np.flatnonzero(scene.is_main)[25])
        pid = str(scene.pipe_ids[row])
        window.zoom_to_feature(pid)
        QTest.qWait(100)
        wait(lambda: window.canvas.pick(*_mid(pid)) is not None, 20, "the pipe under the cursor on the map")
        x, y = _mid(pid)
        canvas = window.canvas
        local = canvas.map_to_widget(x, y)
        canvas.contextRequested.emit(canvas.pick(x, y), x, y, canvas.mapToGlobal(local.toPoint()))
        menu = window.context_menu
        texts = [a.text() for a in menu.actions()]
        action = next(a for a in menu.actions() if a.text().startswith("View in 3D here"))
        menu.close()
        view.select(None)
        view.fly_to((0.0, 0.0, 0.0), 5000.0, 40.0, animate=False)
        action.trigger()
        QTest.qWait(50)
        lx, ly = scene.local(x, y)
        target = view.camera_target()
        return {
            "menu": texts,
            "target_offset_m": float(np.hypot(target[0] - lx, target[1] - ly)),
            "distance": float(view.gl.opts["distance"]),
            "clicked": canvas.pick(x, y).feature_id if canvas.pick(x, y) is not None else None,
            "selected_3d": view.selected,
            "visible": controller.view_window.isVisible(),
        }

    @check("incident")
    def _():
        """The dispatch feature's open incident in the same scene, from IncidentService's public API."""
        import tempfile

        ledger = window.extensions["ledger"]
        dispatch = window.extensions["dispatch"]
        ledger.set_folder(Path(tempfile.mkdtemp()) / "ws" / "ledger")
        assert ledger.create_ledger("view3d.test-gas.example/city", "view3d checks passphrase", scrypt_n=2**10), (
            ledger.last_error
        )
        service = dispatch.service
        scene = controller.scene
        pid = str(scene.pipe_ids[np.flatnonzero(scene.is_main)[60]])
        inc = service.open("leak", pipe=pid, fraction=0.5)
        dispatch.show_incident(inc.incident_id)
        wait(lambda: controller.incident_drawn is not None, 30, "the incident in 3D")
        first = dict(controller.incident_drawn)
        first_plan = [s.feature_id for s in service.plan_result(inc).plan if s.layer == "valves"]
        valves = list(inc.valves)
        # the first valve would not turn (a re-plan around it), then the first valve of the new plan is closed
        service.valve_failed(inc.incident_id, valves[0])
        dispatch.refresh()
        wait(lambda: controller.incident_drawn["valves"].get(valves[0], "failed") == "failed", 30, "the failed valve")
        replanned = list(service.incident(inc.incident_id).valves)
        service.valve(inc.incident_id, replanned[0], "closed")
        dispatch.refresh()
        wait(lambda: controller.incident_drawn["valves"].get(replanned[0]) == "closed", 30, "a closed valve")
        steps = {"planned": valves, "replanned": replanned}
        drawn = controller.incident_drawn
        labels = [i.text for i in view.overlays.get("incident", []) if hasattr(i, "text")]
        framed = controller.look_at_incident(50.0)
        on_screen = [view.screen_position(p) for p in controller.incident_drawn["points"]]
        view.set_ground_opacity(0.35)
        QTest.qWait(100)
        settle(view)
        view.grab_image().save(str(OUT / "view3d_incident.png"))
        controller.view_window.grab().save(str(OUT / "view3d_incident_window.png"))
        drawn_rects = [
            (i.drawn_rect.x(), i.drawn_rect.y(), i.drawn_rect.width(), i.drawn_rect.height())
            for i in view.overlays.get("incident", [])
            if getattr(i, "drawn_rect", None) is not None
        ]
        minimum = controller.view_window.minimumSizeHint()
        sizes = {}
        for width, height in ((1280, 720), (1440, 900)):
            controller.view_window.resize(width, height)
            QTest.qWait(100)
            sizes[f"{width}x{height}"] = [controller.view_window.width(), controller.view_window.height()]
        view.set_ground_opacity(0.55)
        result = service.plan_result(service.incident(inc.incident_id))
        return {
            "incident_id": inc.incident_id,
            "framed": framed,
            "on_screen": [bool(0 <= x <= view.gl.width() and 0 <= y <= view.gl.height()) for x, y in on_screen],
            "first": first["valves"],
            "first_plan": first_plan,
            "drawn": drawn["valves"],
            "steps": steps,
            "labels": labels,
            "label_rects": drawn_rects,
            "minimum_size": [minimum.width(), minimum.height()],
            "sizes": sizes,
            "plan_valves": [s.feature_id for s in result.plan if s.layer == "valves"],
            "isolated": len(result.isolated_pipe_ids),
            "cut_off": len(result.cut_off_pipe_ids),
            "lines": sum(1 for i in view.overlays.get("incident", []) if type(i).__name__ == "GLLinePlotItem"),
            "legend": [e.label for e in view.symbol_legend_entries],
            "failed": list(service.incident(inc.incident_id).failed_valves),
            "closed": list(service.incident(inc.incident_id).still_closed),
        }

    @check("cache")
    def _():
        """Closing and reopening the view on the same network version reuses the scene and crossings (no new job)."""
        scene, crossings = controller.scene, controller.crossings
        submitted = []
        original = window.jobs.submit
        window.jobs.submit = lambda channel, *a, **k: (submitted.append(channel), original(channel, *a, **k))[1]
        try:
            controller.view_window.close()
            QTest.qWait(50)
            controller.open()
            QTest.qWait(200)
        finally:
            window.jobs.submit = original
        return {"same_scene": controller.scene is scene, "same_crossings": controller.crossings is crossings,
                "jobs": submitted, "topology_adopted": "topology" in window.network._cache}  # fmt: skip

    @check("lod")
    def _():
        budget = view_module.LOD_BUDGET_SEGMENTS
        view_module.LOD_BUDGET_SEGMENTS = 2000
        view.set_scene(controller.scene)
        controller.set_colour_mode("pressure_class")
        lod_segments = len(view._lod_rows)
        mains = set(np.flatnonzero(controller.scene.is_main).tolist())
        kept = set(view._lod_rows.tolist())
        view.gl.orbit(10, 0)
        moving = (view.items["pipes_lod"].visible(), view.items["pipes"].visible())
        details_while_moving = [k for k in ("buildings", "risers", "symbols:customers") if view.items[k].visible()]
        wait(lambda: view.at_full_detail, 5, "full detail after the camera stops")
        view_module.LOD_BUDGET_SEGMENTS = budget
        return {
            "lod_segments": lod_segments,
            "mains_kept": mains <= kept,
            "moving": moving,
            "details_while_moving": details_while_moving,
            "after": view.at_full_detail,
        }

    window.close()
    print("RESULTS=" + json.dumps(RESULTS), flush=True)


def _renderer() -> str:
    import pyqtgraph.opengl as gl
    from OpenGL import GL

    w = gl.GLViewWidget()
    w.show()
    QTest.qWait(50)
    w.makeCurrent()
    name = GL.glGetString(GL.GL_RENDERER).decode()
    w.close()
    return name


if __name__ == "__main__":
    main()
