"""The 3D view under Xvfb with Mesa: it opens on the demo, its screenshot is not blank and its pipe colours are the
legend's, a pick returns the right pipe (and selects it on the 2D map), a crossing in the dock flies the camera to
it, colour modes include the last simulation, the isolation result is drawn, the level of detail swaps while moving.

Offscreen Qt has no OpenGL: the checks run in their own process (tests/ui/view3d_checks.py) on an Xvfb display this
module starts. Nothing is skipped: without Xvfb the tests fail and say how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.xvfb import xvfb_display as start_xvfb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def xvfb_display():
    yield from start_xvfb("the 3D view tests")


@pytest.fixture(scope="module")
def seen(xvfb_display, tmp_path_factory):
    out = tmp_path_factory.mktemp("view3d")
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "LIBGL_ALWAYS_SOFTWARE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.view3d_checks", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS=")), None)
    assert line is not None, f"the 3D checks did not finish (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    results = json.loads(line.removeprefix("RESULTS="))
    results["_out"] = str(out)
    return results


def _ok(seen, name):
    value = seen[name]
    assert not (isinstance(value, dict) and "error" in value), value.get("error")
    return value


def test_it_draws_with_mesa(seen):
    assert "llvmpipe" in seen["gl_renderer"] or "softpipe" in seen["gl_renderer"] or seen["gl_renderer"]


def test_screenshot_is_not_blank_and_pipe_colours_are_the_legends(seen):
    s = _ok(seen, "screenshot")
    assert s["non_background_fraction"] > 0.05 and s["distinct_colours"] > 6
    assert s["below_non_background_fraction"] > 0.05  # from below ground too
    assert s["pipe_pixels"] > 2000
    # opaque blending: every pipe pixel is exactly a legend colour (additive blending would mix them)
    assert s["pipe_pixels_in_legend"] > 0.99
    assert any("MP-A" in label for label in s["legend"]) and any("LP" in label for label in s["legend"])
    for name in ("view3d_above.png", "view3d_below.png"):
        assert (Path(seen["_out"]) / name).stat().st_size > 10_000


def test_pick_returns_the_pipe_under_the_cursor_and_selects_it_in_2d(seen):
    p = _ok(seen, "pick")
    assert len(p["picks"]) >= 5
    right = sum(expected == got for expected, got in p["picks"])
    assert right >= len(p["picks"]) - 1  # a pipe crossing the very same pixel may win once
    assert p["selected_3d"] == p["clicked"] == p["selected_2d"]


def test_selecting_in_2d_selects_in_3d(seen):
    link = _ok(seen, "link_2d_to_3d")
    assert link["selected_3d"] == link["asked"]


def test_a_crossing_in_the_dock_flies_the_camera_to_it_with_both_pipes_labelled(seen):
    c = _ok(seen, "crossing")
    assert c["total"] > 0 and c["below"] > 0 and c["rows"] == c["below"]
    assert c["target_offset_m"] < 0.5 and c["distance"] < 30
    assert any(c["ids"][0] in t for t in c["labels"]) and any(c["ids"][1] in t for t in c["labels"])
    assert any("clear" in t for t in c["labels"])


def test_colour_modes_include_the_last_simulation_and_contours_drape_the_ground(seen):
    m = _ok(seen, "colour_modes")
    assert {"pressure_class", "diameter", "material", "sim:pressure", "sim:velocity"} <= set(m["modes"])
    assert len(set(m["titles"].values())) == len(m["modes"])
    assert m["mode"] == "sim:pressure"
    assert m["ground_band_colours"] >= 3


def test_the_isolation_result_is_drawn_and_a_valve_can_fail(seen):
    i = _ok(seen, "isolation")
    assert i["valves_to_close"]
    assert any(t.startswith("1. close ") for t in i["labels"]) and any(t.startswith("break ") for t in i["labels"])
    assert any("valve failed" in a for a in i["valve_menu"])


def test_valves_regulators_and_gate_stations_are_distinct_symbols_with_a_legend(seen):
    s = _ok(seen, "symbols")
    legend = s["legend"]
    shapes = {label.split()[0]: shape for label, (shape, _c) in legend.items()}
    colours = {label.split()[0]: c for label, (_s, c) in legend.items()}
    assert shapes["Valve"] == "bowtie" and shapes["Regulator"] == "square" and shapes["Gate"] == "triangle"
    assert len({colours["Valve"], colours["Regulator"], colours["Gate"]}) == 3 and s["shapes_known"]
    seen_ = s["seen"]
    for layer in ("valves", "regulators", "gate_stations"):
        assert seen_[layer]["pixels"] > 20, (layer, seen_[layer])  # drawn, in its legend colour
    # the shapes on screen: a bow-tie is filled beside its centre and empty above it; a square is filled both ways;
    # a triangle (apex up) is filled above its centre and empty at its top-left corner
    assert seen_["valves"]["left"] and not seen_["valves"]["above"]
    assert seen_["regulators"]["left"] and seen_["regulators"]["above"] and seen_["regulators"]["top_left"]
    assert seen_["gate_stations"]["above"] and not seen_["gate_stations"]["top_left"]


def test_view_in_3d_here_from_the_maps_right_click(seen):
    v = _ok(seen, "view_here")
    assert any(t.startswith("View in 3D here") for t in v["menu"])
    assert v["visible"] and v["target_offset_m"] < 0.5 and v["distance"] < 500
    assert v["clicked"] is not None and v["selected_3d"] == v["clicked"]


def test_the_open_incident_is_drawn_in_the_same_scene(seen):
    i = _ok(seen, "incident")
    planned = i["steps"]["planned"]
    assert planned and list(i["first"]) == i["first_plan"]  # every valve of the plan, in the order to close them
    assert set(i["first"].values()) == {"to close"}
    # the first valve would not turn, the re-planned first valve was closed: the states follow the ledger steps
    replanned = i["steps"]["replanned"]
    assert planned[0] in i["failed"] and planned[0] not in replanned
    assert i["drawn"].get(planned[0], "failed") == "failed"
    assert any(f"failed {planned[0]}" in t for t in i["labels"])
    assert i["drawn"][replanned[0]] == "closed" and replanned[0] in i["closed"]
    assert list(i["drawn"]) == i["plan_valves"]
    assert any(t.startswith(f"{i['incident_id']} leak at ") for t in i["labels"])
    assert any(". to close " in t or ". closed " in t for t in i["labels"])
    assert i["isolated"] > 0 and i["lines"] >= 1  # the shut-off region (and the cut-off areas when any)
    assert any("shut-off region" in e for e in i["legend"]) and any("break" in e for e in i["legend"])
    assert i["framed"] and all(i["on_screen"])  # "look at the incident" shows its break and every valve to close


def test_incident_labels_never_cover_each_other(seen):
    rects = _ok(seen, "incident")["label_rects"]
    assert len(rects) >= 2  # the break's label and the valves'
    for k, (x, y, w, h) in enumerate(rects):
        for x2, y2, w2, h2 in rects[k + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, (rects[k], (x2, y2, w2, h2))


def test_the_window_with_an_incident_fits_1280x720_and_1440x900_screens(seen):
    i = _ok(seen, "incident")
    width, height = i["minimum_size"]
    assert width <= 1280 and height <= 720, i["minimum_size"]
    assert i["sizes"] == {"1280x720": [1280, 720], "1440x900": [1440, 900]}


def test_the_scene_and_crossings_are_cached_per_network_version(seen):
    c = _ok(seen, "cache")
    assert c["same_scene"] and c["same_crossings"] and not any(j.startswith("view3d.") for j in c["jobs"])
    assert c["topology_adopted"]  # the network holds its topology (adopted from the scene's job if none was built)


def test_level_of_detail_while_moving(seen):
    lod = _ok(seen, "lod")
    assert lod["mains_kept"] and lod["moving"] == [True, False] and lod["after"]
    assert lod["details_while_moving"] == []


def test_gasops_view_3d_screenshot_saves_the_3d_window(xvfb_display, tmp_path):
    from console.io import write_network
    from console.network import generate_demo

    network_file = tmp_path / "district.gpkg"
    write_network(generate_demo(1000, seed=3), network_file)
    out = tmp_path / "view3d.png"
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "GASOPS_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-m", "console", "--view", "3d", "--screenshot", str(out), "--screenshot-delay", "0.3",
         str(network_file)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"screenshot={out}" in proc.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)  # the 3D window's size (View3DWindow), not the main window
