"""Regenerate the README's screens of the console in English and Chinese (简体中文), at 1440×900.

Usage (from the repository root, under Xvfb so the window is drawn as on a desktop)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screens.py --lang zh_CN --out resources/screenshots
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screens.py            # both languages

Four screens, each saved as ``<screen>_<lang>.png``:

``main_window``
    The demo district in the Dispatcher layout with its training simulator running, a regulator identified.
``isolation``
    The valve-shutoff analysis (关阀分析) in the Commander layout: a break on pipe P-000292, the plan in its dock.
``live``
    The live view: a training leak at valve V-00161 raises the valve well's methane alarm (HI, unacknowledged);
    the alarm list and the trend of that sensor beside a nearby regulator's outlet pressure.
``incident``
    The dispatch board: an incident opened from a call, graded, its valves planned and a valve crew dispatched.

Every screen is taken by its own process in fresh temporary folders (``GASOPS_DATA_DIR``, ``XDG_CONFIG_HOME``,
``HOME``), so none of the user's settings, layouts, ledgers or histories appear in it, and with the language set the
way a user sets it (``LANG``). The process drives the same controllers a user's clicks drive, waits for their jobs
and grabs the window.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ("main_window", "isolation", "live", "incident")
LANGS = ("en", "zh_CN")
LOCALES = {"en": "en_US.UTF-8", "zh_CN": "zh_CN.UTF-8"}
SIZE = (1440, 900)

ISOLATION_PIPE = "P-000292"  # as in the README's isolation screen
LEAK_VALVE = "V-00161"  # a valve well with a methane sensor (the README's live screen)
CALL_PIPE = "P-000292"
LEDGER_ORIGIN = "screens.gasops.example/demo"
LEDGER_PASSPHRASE = "screens demo passphrase"  # a throw-away ledger in a temporary folder


# -- the parent: one clean process per screen -----------------------------------------------------------------------
def clean_environment(folder: Path, lang: str) -> dict[str, str]:
    """The environment of one screen's process: temporary data, config and home folders, the language's locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GASOPS_", "LC_", "LANGUAGE", "PG"))}
    for name in ("data", "config", "home", "cache"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    env.update(
        GASOPS_DATA_DIR=str(folder / "data"),
        XDG_CONFIG_HOME=str(folder / "config"),
        XDG_CACHE_HOME=str(folder / "cache"),
        XDG_DATA_HOME=str(folder / "data"),
        HOME=str(folder / "home"),
        LANG=LOCALES[lang],  # what Qt's system locale (the console's "system" language) is read from
        LC_CTYPE="C.UTF-8",  # a UTF-8 character set even where the language's C library locale is not installed
        PYTHONPATH=str(ROOT),
    )
    return env


def compile_catalogs() -> None:
    """Compile the .ts catalogs when a .qm is missing or older (what ``make`` does at install time)."""
    for ts in sorted((ROOT / "resources" / "i18n").glob("*.ts")):
        qm = ROOT / "console" / "ui" / "translations" / f"{ts.stem}.qm"
        if not qm.is_file() or qm.stat().st_mtime < ts.stat().st_mtime:
            subprocess.run([sys.executable, str(ROOT / "packaging" / "i18n.py"), "release"], check=True, cwd=ROOT)
            return


def run_all(langs: list[str], screens: list[str], out: Path, timeout_s: float) -> int:
    compile_catalogs()
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for lang in langs:
        for screen in screens:
            target = out / f"{screen}_{lang}.png"
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=f"gasops-screen-{screen}-{lang}-") as tmp:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", screen, "--lang", lang,
                       "--out", str(out.resolve())]  # fmt: skip
                try:
                    done = subprocess.run(cmd, env=clean_environment(Path(tmp), lang), cwd=ROOT, timeout=timeout_s)
                    code = done.returncode
                except subprocess.TimeoutExpired:
                    code = -1
            took = time.monotonic() - started
            if code == 0 and target.is_file():
                print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  "
                      f"{target.stat().st_size / 1024:.0f} KiB  {took:.0f} s", flush=True)  # fmt: skip
            else:
                failures += 1
                print(f"FAILED {screen} ({lang}): exit {code} after {took:.0f} s", file=sys.stderr, flush=True)
    return 1 if failures else 0


# -- the child: one screen -------------------------------------------------------------------------------------------
class Screen:
    """The console's main window on the demo district, as ``gasops`` shows it, and ways to wait for it."""

    def __init__(self, lang: str) -> None:
        from PySide6.QtWidgets import QApplication

        from console.ui.app import create_application
        from console.ui.i18n import current_language
        from console.ui.main_window import MainWindow

        self.QApplication = QApplication
        self.lang = lang
        self.app = create_application([sys.argv[0]])
        if current_language() != lang:
            raise SystemExit(f"the console chose {current_language()!r}, not {lang!r}, from LANG={os.environ['LANG']}")
        self.window = w = MainWindow(defer_features=True)  # as run_gui: the map first, then the features
        w.resize(*SIZE)
        w.show()
        self.wait(lambda: w.isVisible() and w.width() == SIZE[0], 10, "the window on screen")
        shown: list[bool] = []
        w.networkShown.connect(lambda: shown.append(True))
        w.open_demo()
        self.wait(lambda: shown or w.last_error, 300, "the demo district on the map")
        if not shown:
            raise SystemExit(f"the demo district could not be opened: {w.last_error}")
        w.install_features()
        self.settle()

    def wait(self, condition, timeout: float = 60.0, what: str = "condition") -> None:
        """Process events until ``condition()`` is true (jobs report on this thread); fail naming ``what``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            self.QApplication.processEvents()
            time.sleep(0.02)

    def pause(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.wait(lambda: time.monotonic() >= end, seconds + 5, "a pause")

    def settle(self) -> None:
        """Let the map's level of detail catch up with the view (rasters drawn) and the layout settle."""
        canvas = self.window.canvas
        self.pause(canvas._lod_timer.interval() / 1000 + 0.05)
        self.wait(canvas.is_settled, 60, "the map drawn")
        self.pause(0.3)

    def layout(self, role: str) -> None:
        self.window.layouts.switch(role)
        self.settle()

    def simulator(self):
        """The live view's controller once the demo's training simulator is running and has sent readings."""
        ctrl = self.window.extensions["telemetry"]
        self.wait(lambda: ctrl.session is not None and ctrl.session.feed is not None, 120, "the live session")
        self.wait(lambda: ctrl.session.feed.status().accepted > 0, 120, "the simulator's first readings")
        return ctrl

    def save(self, path: Path) -> None:
        self.settle()
        self.QApplication.processEvents()
        image = self.window.grab().toImage()
        if (image.width(), image.height()) != SIZE:
            raise SystemExit(f"the window is {image.width()}×{image.height()}, not {SIZE[0]}×{SIZE[1]}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial.png")
        if not image.save(str(partial), "PNG"):
            raise SystemExit(f"cannot write {path}")
        os.replace(partial, path)


def point_on(network, pipe_id: str, fraction: float) -> tuple[float, float]:
    layer, row = network.locate(pipe_id)
    p = network[layer].geometry.array[row].interpolate(fraction, normalized=True)
    return float(p.x), float(p.y)


def main_window(s: Screen) -> None:
    """Dispatcher layout, simulator running, a regulator found with the search box and identified."""
    s.layout("dispatcher")
    s.simulator()
    network = s.window.network
    regulators = network["regulators"]
    named = [str(r) for r, n in zip(regulators["id"], regulators["name"].astype(str), strict=True) if n.strip()]
    s.window.zoom_to_feature(named[len(named) // 3] if named else str(regulators["id"].iloc[0]))
    around(s, named[len(named) // 3] if named else str(regulators["id"].iloc[0]), 2600.0)
    s.pause(2.0)  # a few simulator beats: the status bar's feed indicator counts readings


def isolation(s: Screen) -> None:
    """Commander layout; "Isolate here" armed and the break clicked on P-000292; the plan in the dock."""
    s.layout("commander")
    ctrl = s.window.extensions["isolation"]
    s.wait(lambda: not ctrl.busy, 120, "the valve segments")
    ctrl.set_tool_active(True)
    x, y = point_on(s.window.network, ISOLATION_PIPE, 0.5)
    s.window.zoom_to_feature(ISOLATION_PIPE)
    s.settle()
    if not ctrl.isolate_at(x, y):
        raise SystemExit(f"nothing to isolate at {ISOLATION_PIPE}")
    s.wait(lambda: ctrl.result is not None and not ctrl.busy, 120, "the isolation plan")
    ctrl.set_tool_active(False)  # one click, one analysis (as after a click on the map)
    s.pause(0.5)


def live(s: Screen) -> None:
    """Dispatcher layout; a training leak at a valve well until its methane sensor raises HI (unacknowledged)."""
    import shapely

    from console.telemetry import AlarmState, Condition

    s.layout("dispatcher")
    ctrl = s.simulator()
    session = ctrl.session
    methane = [str(x) for x in session.sensors.ids[session.sensors.feature_id == LEAK_VALVE]]
    if not methane:
        raise SystemExit(f"{LEAK_VALVE} has no sensor in the demo district")
    s.window.zoom_to_feature(LEAK_VALVE)  # the dispatcher finds the valve (search box) …
    ctrl.leak_at(LEAK_VALVE)  # … and scripts the training leak (context menu "Training: simulate a leak")

    def hi_alarm():
        return [a for a in session.service.alarm_list()
                if a.sensor_id in methane and a.condition == Condition.HI and a.state == AlarmState.UNACK_ACTIVE]  # fmt: skip

    s.wait(hi_alarm, 300, f"the methane HI alarm at {LEAK_VALVE}")
    ctrl.refresh(force=True)
    # The trend of the methane sensor beside the outlet pressure of the regulator nearest to the valve.
    network = s.window.network
    sensors, regulators = network["sensors"], network["regulators"]
    outlets = set(regulators["to_node"].astype(str)) if "to_node" in regulators else set()
    vx, vy = point_of(network, LEAK_VALVE)
    candidates = sensors[(sensors["kind"] == "pressure") & sensors["feature_id"].astype(str).isin(outlets)]
    pressure = []
    if len(candidates):
        d = candidates.geometry.distance(shapely.Point(vx, vy))
        pressure = [str(candidates["id"].iloc[int(d.to_numpy().argmin())])]
    shown: list[bool] = []
    ctrl.trendsShown.connect(lambda: shown.append(True))
    ctrl.trend_sensors(methane[:1] + pressure[:1])
    s.wait(lambda: shown, 60, "the trends")
    ctrl.show_alarms()
    around(s, LEAK_VALVE, 700.0)
    s.pause(1.0)
    if not hi_alarm():
        raise SystemExit("the HI alarm moved on before the screen was taken")


def around(s: Screen, feature_id: str, width_m: float) -> None:
    """Centre the map on ``feature_id`` with ``width_m`` metres across (a district-wide view around it)."""
    x, y = point_of(s.window.network, feature_id)
    half = width_m / 2
    s.window.canvas.set_map_range(x - half, y - half * 0.8, x + half, y + half * 0.8)
    s.settle()


def point_of(network, feature_id: str) -> tuple[float, float]:
    layer, row = network.locate(feature_id)
    g = network[layer].geometry.array[row]
    return float(g.x), float(g.y)


def incident(s: Screen) -> None:
    """Commander layout; a new ledger (Ledger › Create); a call taken on the intake form at P-000292 opens the
    incident (graded, valves planned); valve team VT-1 dispatched from the incident's Crews tab."""
    s.layout("commander")
    ledger = s.window.extensions["ledger"]
    if not ledger.create_ledger(LEDGER_ORIGIN, LEDGER_PASSPHRASE, scrypt_n=2**14):
        raise SystemExit(f"cannot create the ledger: {getattr(ledger, 'last_error', '')}")
    ctrl = s.window.extensions["dispatch"]
    s.wait(lambda: ctrl.service is not None, 60, "the incident service")
    dlg = ctrl.request_call()
    if dlg is None:
        raise SystemExit("the call intake form did not open")
    zh = s.lang == "zh_CN"
    dlg.caller.setText("张伟" if zh else "Zhang Wei")
    dlg.phone.setText("13800138000")
    dlg.description.setPlainText("楼道里有很重的燃气味，街上能听到嘶嘶声" if zh else
                                 "Strong smell of gas in the stairwell, hissing from the street")  # fmt: skip
    dlg.location.setText(CALL_PIPE)
    dlg.location.textEdited.emit(CALL_PIPE)  # as typed: the matches list offers the pipe
    s.wait(lambda: dlg.where is not None, 10, "the call's location")
    s.pause(0.3)
    dlg.accept()
    s.wait(lambda: ctrl.service.open_incidents(), 120, "the incident")
    (inc,) = ctrl.service.open_incidents()
    dock = ctrl.dock
    dock.show_tab("crews")
    rows = {dock.crews.item(r, 0).text(): r for r in range(dock.crews.rowCount())}
    crew = "VT-1" if "VT-1" in rows else next(iter(rows))
    dock.crews.selectRow(rows[crew])
    dock.dispatch_button.click()
    s.wait(lambda: ctrl.service.incident(inc.incident_id).crews.get(crew, {}).get("status") == "dispatched", 60,
           f"crew {crew} dispatched")  # fmt: skip
    dock.show_tab("plan")
    ctrl.show_board()
    ctrl.show_incident(inc.incident_id, zoom=True)
    dock.show_tab("plan")
    s.pause(1.0)


def run_child(screen: str, lang: str, out: Path) -> int:
    s = Screen(lang)
    {"main_window": main_window, "isolation": isolation, "live": live, "incident": incident}[screen](s)
    s.save(out / f"{screen}_{lang}.png")
    s.window.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=(*LANGS, "all"), default="all")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--only", nargs="+", choices=SCREENS, default=list(SCREENS), help="some of the screens")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per screen")
    parser.add_argument("--child", choices=SCREENS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, args.lang, args.out)
    langs = list(LANGS) if args.lang == "all" else [args.lang]
    return run_all(langs, args.only, args.out, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
