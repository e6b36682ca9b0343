"""The desktop bundle (`make package` -> dist/gasops/): the frozen console starts on the demo district and draws it,
its plugins are found through their entry points, its translations are inside, and it is built from the lock.

`make test` builds the bundle first (a stamped target, rebuilt only when a bundled source changes); run alone, the
``bundle`` fixture runs ``make package`` (a no-op when the bundle is current). Nothing is skipped: without a
bundle, Xvfb or the build tools the tests fail and say why. Every process a test starts (the bundle, Xvfb) is
stopped when the test ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.xvfb import xvfb_display as start_xvfb

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "gasops"
EXECUTABLE = BUNDLE / "gasops"
LOCK = ROOT / "packaging" / "requirements-lock.txt"


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd`` in a process group of its own; on a timeout the whole group is killed (no process left behind)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd[0]} did not finish in {timeout:.0f} s\nstdout: {out}\nstderr: {err[-3000:]}")
    finally:
        try:  # children the command started and left (there should be none)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.fixture(scope="module")
def bundle() -> Path:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed: the bundle is built by `make package`")
    proc = subprocess.run([make, "-s", "package"], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"make package failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    assert EXECUTABLE.is_file() and os.access(EXECUTABLE, os.X_OK), "make package made no dist/gasops/gasops"
    return EXECUTABLE


@pytest.fixture(scope="module")
def xvfb_display():
    yield from start_xvfb("the bundle tests")


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's desktop session: none of the source checkout's Python, settings in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "LANG", "LC_"))}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["GASOPS_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def info(bundle, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bundle-info")
    proc = _run([str(bundle), "--bundle-info"], _clean_env(tmp, QT_QPA_PLATFORM="offscreen"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_bundle_finds_both_plugins_through_their_entry_points(info):
    assert info["frozen"] is True
    assert {"builtin", "sparkplug"} <= set(info["entry_points"])
    assert info["plugins"]["builtin"] == "ok" and info["plugins"]["sparkplug"] == "ok", info["plugins"]
    assert "sparkplug" in info["feed_adapters"]
    assert {".gpkg", ".geojson", ".shp", ".inp"} <= set(info["readers"]), info["readers"]


def test_bundle_carries_the_translations(info):
    assert "qtbase_zh_CN.qm" in info["qt_translations"]  # Qt's own dialogs (Cancel, Yes/No …) in Chinese
    sources = sorted(p.stem for p in (ROOT / "resources" / "i18n").glob("*.ts"))
    assert info["catalogs"] == [f"{s}.qm" for s in sources]  # every catalog compiled into the bundle
    if sources:
        # loaded in the frozen app: Qt's and the console's translators, and a Qt string comes back in Chinese
        assert info["zh_CN"]["translators"] == 2, info["zh_CN"]
        assert info["zh_CN"]["qt_cancel"] == "取消", info["zh_CN"]


def test_bundle_is_built_from_the_lock(info):
    """Every distribution of the lock is in the bundle at the locked version (PyInstaller itself excepted)."""
    pins = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", LOCK.read_text(), re.M))
    norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    bundled = {norm(k): v for k, v in info["distributions"].items()}
    build_only = {"pyinstaller", "pyinstaller-hooks-contrib", "altgraph", "setuptools", "packaging"}
    expected = {norm(k): v for k, v in pins.items() if norm(k) not in build_only}
    assert {k: bundled.get(k) for k in expected} == expected
    assert bundled["gas-ops-console"] == info["version"]
    assert re.search(r"^pyinstaller==\d", LOCK.read_text(), re.M), "the lock pins PyInstaller"


def _pixels(png: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB888)
    assert not image.isNull(), f"{png} is not an image"
    rows = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height()).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()  # owned: image is freed


def _count_near(pixels: np.ndarray, hex_colour: str, tolerance: int = 24) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.int16)
    return int((np.abs(pixels.astype(np.int16) - rgb).max(axis=2) <= tolerance).sum())


def test_bundle_starts_on_the_demo_district_and_draws_it(bundle, xvfb_display, tmp_path):
    out = tmp_path / "bundle.png"
    env = _clean_env(tmp_path, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb", LANG="en_US.UTF-8")
    proc = _run([str(bundle), "--screenshot", str(out), "--screenshot-delay", "1.5"], env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert re.search(r"^shown_at=\d+\.\d+$", proc.stdout, re.M), proc.stdout
    assert f"screenshot={out}" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr[-5000:]
    pixels = _pixels(out)
    height, width, _ = pixels.shape
    assert width >= 1000 and height >= 600
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 500  # a drawn window, not a blank or uniform one
    # the demo's pipes on the map (left of the docks) in their pressure-class colours (dark theme, the default):
    # the medium-pressure A mains and the low-pressure distribution and service lines
    map_area = pixels[:, : width * 2 // 3]
    for colour in ("#ff9a1f", "#38b6e8"):
        assert _count_near(map_area, colour) > 2000, f"no pipes drawn in {colour}"


def test_lock_satisfies_the_ranges_of_pyproject():
    """Every dependency of pyproject.toml (and the `package` extra) is pinned in the lock, within its range, with
    hashes: a range changed without `make lock` fails here, before a bundle is built from a stale lock."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    text = LOCK.read_text()
    pins = {canonicalize_name(k): v for k, v in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", text, re.M)}
    for line in project["dependencies"] + project["optional-dependencies"]["package"]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in the lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), f"lock pins {req.name}=={pins[name]}, not {req}"
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert all("--hash=sha256:" in e for e in entries if re.match(r"[A-Za-z0-9]", e)), "every pin has its hashes"


def test_bundle_carries_the_window_icon(bundle):
    from PySide6.QtGui import QImage

    icon = bundle.parent / "_internal" / "console" / "ui" / "images" / "gasops.png"
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "gasops-256.png").read_bytes()
    assert QImage(str(icon)).size().toTuple() == (256, 256)


def test_icons_and_desktop_entry_match_their_sources():
    """The PNGs are the SVG rendered (packaging/render_icons.py), the console's copies are the resources', and the
    menu entry starts `gasops` with the `gasops` icon (packaging/install-desktop.sh installs both)."""
    from PySide6.QtGui import QImage

    icons = ROOT / "resources" / "icons"
    for size in (48, 128, 256):
        image = QImage(str(icons / f"gasops-{size}.png"))
        assert image.size().toTuple() == (size, size) and image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0 and image.pixelColor(size // 2, size // 2).alpha() == 255
    package = ROOT / "console" / "ui" / "images"
    assert (package / "gasops.svg").read_bytes() == (icons / "gasops.svg").read_bytes()
    assert (package / "gasops.png").read_bytes() == (icons / "gasops-256.png").read_bytes()
    entry = dict(
        line.split("=", 1) for line in (ROOT / "resources" / "gasops.desktop").read_text().splitlines() if "=" in line
    )
    assert entry["Type"] == "Application" and entry["Exec"].split()[0] == "gasops" and entry["Icon"] == "gasops"
    assert entry["Name"] == "GasOps Console" and entry["Name[zh_CN]"]
    assert entry["Categories"].endswith(";")


def test_bundle_opens_the_3d_view(bundle, xvfb_display, tmp_path):
    """PyOpenGL inside the bundle: the 3D window of the demo is drawn (pyqtgraph.opengl on Mesa)."""
    out = tmp_path / "bundle-3d.png"
    env = _clean_env(tmp_path, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb", LIBGL_ALWAYS_SOFTWARE="1")
    proc = _run([str(bundle), "--view", "3d", "--screenshot", str(out), "--screenshot-delay", "0.5"], env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-5000:]
    pixels = _pixels(out)
    assert pixels.shape[:2] == (900, 1400)  # the 3D window (View3DWindow), not the main window
    scene = pixels[:, :900]
    assert len(np.unique(scene.reshape(-1, 3), axis=0)) > 200
    assert _count_near(scene, "#38b6e8", tolerance=40) > 500  # low-pressure pipes in their colour
