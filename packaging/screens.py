"""Regenerate the README's screens of the console in English and Chinese (简体中文), at 1440×900.

Usage (from the repository root, under Xvfb so the window is drawn as on a desktop)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screens.py --lang zh_CN --out resources/screenshots
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screens.py            # both languages

Five screens, each saved as ``<screen>_<lang>.png``:

``main_window``
    The demo district in the Dispatcher layout with its training simulator running, a regulator identified.
``isolation``
    The valve-shutoff analysis (关阀分析) in the Commander layout: a break on pipe P-000292, the plan in its dock.
``live``
    The live view: a training leak at valve V-00161 raises the valve well's methane alarm (HI, unacknowledged);
    the alarm list and the trend of that sensor beside a nearby regulator's outlet pressure.
``incident``
    The dispatch board: an incident opened from a call, graded, its valves planned and a valve crew dispatched.
``review``
    审核入库: a planner's change set (a valve inserted on P-000292, a main upsized) in review, its diff on the map and
    its engineering effect (valve segments split, customers whose isolation changes, pressures before and after).

The README's Screens section (English only, each saved under its own name ``<screen>.png`` so the README's links
stay): ``main_window_dark`` (its top picture), ``isolation_dark``, ``simulation_dark``, ``ledger_dark``,
``live_dark``, ``basemap_street_dark``, ``manual_dark``, ``main_window_light``, ``first_launch_dark``, the 3D view's
``view3d_incident_dark``, ``view3d_crossing_dark`` and ``view3d_contours_dark`` (OpenGL: run under Xvfb, each is
taken with ``QT_QPA_PLATFORM=xcb``), and the operators' ``login_dark``, ``switch_operator_dark`` and
``lock_screen_dark`` (dialogs drawn over the main window). ``--only`` takes any of these names::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screens.py --lang en --only ledger_dark

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
LANGUAGE_SCREENS = ("main_window", "isolation", "live", "incident", "review")
# The README's Screens section: in English only, saved under their own names (``<screen>.png``), so its links stay.
README_SCREENS = (
    "main_window_dark", "isolation_dark", "simulation_dark", "ledger_dark", "live_dark", "basemap_street_dark",
    "manual_dark", "main_window_light", "first_launch_dark", "view3d_incident_dark", "view3d_crossing_dark",
    "view3d_contours_dark", "login_dark", "switch_operator_dark", "lock_screen_dark",
)  # fmt: skip
SCREENS = LANGUAGE_SCREENS + README_SCREENS
LANGS = ("en", "zh_CN")
LOCALES = {"en": "en_US.UTF-8", "zh_CN": "zh_CN.UTF-8"}
SIZE = (1440, 900)

ISOLATION_PIPE = "P-000292"  # as in the README's isolation screen
LEAK_VALVE = "V-00161"  # a valve well with a methane sensor (the README's live screen)
CALL_PIPE = "P-000292"
FAILED_VALVE = "V-00113"  # reported failed in the README's isolation screen (the plan redone without it)
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
            if screen in README_SCREENS and lang != "en":
                continue  # the README's Screens section is in English
            target = out / file_name(screen, lang)
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=f"gasops-screen-{screen}-{lang}-") as tmp:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", screen, "--lang", lang,
                       "--out", str(out.resolve())]  # fmt: skip
                env = clean_environment(Path(tmp), lang)
                if screen.startswith("view3d_"):
                    env["QT_QPA_PLATFORM"] = "xcb"  # the 3D view needs OpenGL: the X display (Xvfb with Mesa)
                try:
                    done = subprocess.run(cmd, env=env, cwd=ROOT, timeout=timeout_s)
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


def file_name(screen: str, lang: str) -> str:
    return f"{screen}.png" if screen in README_SCREENS else f"{screen}_{lang}.png"


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
        self.shown = None  # a window to grab instead of the main window (the 3D view)
        self.on_top: list = []  # dialogs and windows drawn over the main window's picture
        self.view3d = None  # the 3D view in ``shown``
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

    def grab_shown(self):
        """The window's picture; a 3D view's scene drawn in as the view renders it (with its text labels, which a
        widget grab leaves out)."""
        from PySide6.QtCore import QPoint
        from PySide6.QtGui import QPainter

        image = (self.shown or self.window).grab().toImage()
        if self.view3d is not None:
            painter = QPainter(image)
            painter.drawImage(self.view3d.gl.mapTo(self.shown, QPoint(0, 0)), self.view3d.grab_image())
            painter.end()
        return image

    def save(self, path: Path) -> None:
        from PySide6.QtCore import Qt

        self.settle()
        self.QApplication.processEvents()
        image = self.grab_shown()
        if self.shown is not None and image.width() > SIZE[0]:
            # A window that cannot be as narrow as 1440 px (the 3D view with an incident's legend row, which does not
            # wrap) is taken at the same aspect ratio and scaled down to 1440×900.
            width = image.width()
            self.shown.resize(width, round(width * SIZE[1] / SIZE[0]))
            self.settle()
            self.pause(0.5)
            image = self.grab_shown().scaled(*SIZE, mode=Qt.TransformationMode.SmoothTransformation)
        if self.on_top:  # dialogs and windows over the main window, centred on it as they open
            from PySide6.QtGui import QColor, QPainter

            painter = QPainter(image)
            painter.setPen(QColor("#6b7685"))  # the window frame the desktop would draw around it
            for widget in self.on_top:
                picture = widget.grab()
                x, y = (SIZE[0] - picture.width()) // 2, (SIZE[1] - picture.height()) // 2
                painter.drawPixmap(x, y, picture)
                painter.drawRect(x - 1, y - 1, picture.width() + 1, picture.height() + 1)
            painter.end()
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
    """A node's position, a link's middle."""
    layer, row = network.locate(feature_id)
    g = network[layer].geometry.array[row]
    if g.geom_type != "Point":
        g = g.interpolate(0.5, normalized=True)
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


REVIEW_VALVE_PIPE = "P-000292"  # a valve inserted mid-pipe: the valve segment it lies in is split
REVIEWER = ("R-5", "赵审核", ["reviewer"], "review passphrase")


def review(s: Screen) -> None:
    """Planner layout; the planner inserts a valve on P-000292 and upsizes the pipe beside it, submits the change set;
    a reviewer logs in, opens it (diff on the map) and computes its effect."""
    s.layout("planner")
    ops = operators(s)
    ops.service.login("A-1", "admin passphrase")
    ops.service.enrol(*REVIEWER)
    ops.service.login("P-3", "planner passphrase")
    ed = s.window.extensions["editing"]
    network = s.window.network
    s.window.zoom_to_feature(REVIEW_VALVE_PIPE)
    pipes = network["pipes"]
    end = str(pipes["to_node"].iat[network.rows_of("pipes", [REVIEW_VALVE_PIPE])[0]])
    beside = [str(p) for p, a, b in zip(pipes["id"], pipes["from_node"].astype(str), pipes["to_node"].astype(str),
                                        strict=True) if end in (a, b) and str(p) != REVIEW_VALVE_PIPE]  # fmt: skip
    ed.tool_actions["valves"].trigger()
    ed.tool.click(*point_on(network, REVIEW_VALVE_PIPE, 0.5))
    ed.set_mode(None)
    if not beside:
        raise SystemExit(f"no pipe meets {REVIEW_VALVE_PIPE} at {end}")
    pipes = network["pipes"]
    dn = int(pipes["dn"].iat[network.rows_of("pipes", [beside[0]])[0]])
    ed.edit_attribute("pipes", [beside[0]], "dn", {63: 90, 90: 110, 110: 160, 160: 200, 200: 250}.get(dn, dn + 50))
    zh = s.lang == "zh_CN"
    cs = ed.submit("东大街加装分段阀，相邻干管扩径" if zh else "Section valve on the east main; next main upsized")
    if cs is None:
        raise SystemExit("the change set was not submitted")
    ops.service.login("R-5", "review passphrase")
    ed.show_review()
    dock = ed.review
    dock.list.setCurrentRow(0)
    ed.show_changeset(cs.change_id)
    ed.review_effect(cs.change_id)
    s.wait(lambda: ed.last_effect is not None and not s.window.jobs.busy("editing.review"), 300, "the review effect")
    around(s, REVIEW_VALVE_PIPE, 420.0)
    s.pause(1.0)


# -- the README's Screens section (English) --------------------------------------------------------------------------
HAZARDS = (  # (category, severity, description, steps after "reported"): eight hazards through their lifecycle
    ("leak", "critical", "Gas smell at the riser of block 3", 0),
    ("corrosion", "major", "Corroded coupling in the valve well", 1),
    ("third_party", "major", "Excavation 2 m from the main, no permit shown", 2),
    ("occupation", "major", "Kiosk built over the service line", 3),
    ("clearance", "minor", "Cable duct laid 0.1 m above the main", 4),
    ("equipment", "minor", "Regulator cabinet door does not lock", 0),
    ("leak", "critical", "Bubbles at the joint after rain", 1),
    ("other", "major", "Marker post knocked down", 4),
)  # fmt: skip
STEP_FIELDS = {
    "assigned": {"assignee": "crew-3", "due": "2026-12-20"},
    "rectified": {"description": "Repaired and pressure-tested"},
    "verified": {"result": "pass", "note": "Site visit, no reading above 0 % LEL"},
    "closed": {"note": "Closed after verification"},
}
OPERATORS = (  # (id, name, roles, passphrase) in the throw-away ledger of the operator screens
    ("A-1", "王工", ["administrator"], "admin passphrase"),
    ("D-7", "李调度", ["dispatcher"], "dispatch passphrase"),
    ("P-3", "陈规划", ["planner"], "planner passphrase"),
)


def at_scale(s: Screen, feature_id: str, denominator: float) -> None:
    """Centre the map on ``feature_id`` at 1:``denominator`` on this screen."""
    canvas = s.window.canvas
    width_m = denominator * 0.0254 / max(canvas.logicalDpiX(), 1) * canvas.width()
    around(s, feature_id, width_m)
    around(s, feature_id, width_m * denominator / canvas.scale_denominator())  # as the status bar reads it


def identified_regulator(s: Screen) -> str:
    """A named regulator found with the search box and identified (its street address in the identify panel)."""
    regulators = s.window.network["regulators"]
    named = [str(r) for r, n in zip(regulators["id"], regulators["name"].astype(str), strict=True) if n.strip()]
    regulator = named[len(named) // 3] if named else str(regulators["id"].iloc[0])
    s.window.zoom_to_feature(regulator)
    return regulator


def main_window_dark(s: Screen) -> None:
    """The README's top picture: Dispatcher layout at 1:11,700, simulator running, a regulator identified."""
    s.layout("dispatcher")
    s.simulator()
    at_scale(s, identified_regulator(s), 11_700)
    s.pause(2.0)


def main_window_light(s: Screen) -> None:
    """The light theme (View › Dark / light theme) at 1:3,280, a regulator identified."""
    s.window.toggle_theme()
    s.layout("dispatcher")
    s.simulator()
    at_scale(s, identified_regulator(s), 3_280)
    s.pause(2.0)


def first_launch_dark(s: Screen) -> None:
    """What ``gasops`` shows on a fresh machine: the demo district, its training simulator running (status bar)."""
    s.simulator()
    s.pause(2.0)


def basemap_street_dark(s: Screen) -> None:
    """The basemap at street scale (1:4,500) in the dense north-west of the district: named streets, blocks and
    building footprints under the mains."""
    s.layout("dispatcher")
    regulators = s.window.network["regulators"]
    named = [str(r) for r, n in zip(regulators["id"], regulators["name"].astype(str), strict=True) if n.strip()]
    at_scale(s, named[len(named) // 3] if named else str(regulators["id"].iloc[0]), 4_500)
    s.pause(1.0)


def isolation_dark(s: Screen) -> None:
    """The isolation screen, then the first valve of the plan (V-00113 where it is in the plan) reported failed:
    the plan redone without it."""
    isolation(s)
    ctrl = s.window.extensions["isolation"]
    valves = list(ctrl.result.valves_to_close)
    failed = FAILED_VALVE if FAILED_VALVE in valves else valves[0]
    if failed != FAILED_VALVE:
        print(f"note: {FAILED_VALVE} is not in the plan; {failed} reported failed instead", file=sys.stderr)
    first = ctrl.result
    ctrl.valve_failed(failed)
    s.wait(lambda: ctrl.result is not first and ctrl.result is not None and not ctrl.busy, 120, "the plan redone")
    s.pause(0.5)


def simulation_dark(s: Screen) -> None:
    """Planner layout; demand × 0.3 simulated; pipes coloured by pressure class; isobars and bands shown."""
    s.layout("planner")
    ctrl = s.window.extensions["simulation"]
    ctrl.dock.demand_spin.setValue(0.3)
    ctrl.simulate()
    s.wait(lambda: ctrl.run is not None and not ctrl.service.busy, 300, "the simulation")
    ctrl.dock.set_colour_mode("pressure", emit=True)
    ctrl.dock.contours_check.setChecked(True)
    s.wait(lambda: ctrl.service.contours is not None and not ctrl.service.busy, 300, "the isobars and bands")
    ctrl.dock.raise_()
    s.pause(0.5)
    ctrl.dock.widget().ensureWidgetVisible(ctrl.dock.legend, 0, 0)  # the dock scrolled to the pressure classes
    s.pause(0.5)


def ledger_dark(s: Screen) -> None:
    """Dispatcher layout; a new ledger; eight hazards reported on mains and taken through their lifecycle, the
    ledger verified and a peer (a district's ledger) added."""
    from console.ledger import HAZARD_STEPS, LedgerNode

    s.layout("dispatcher")
    ledger = s.window.extensions["ledger"]
    if not ledger.create_ledger(LEDGER_ORIGIN, LEDGER_PASSPHRASE, scrypt_n=2**14):
        raise SystemExit(f"cannot create the ledger: {getattr(ledger, 'last_error', '')}")
    network = s.window.network
    pipes = network["pipes"]
    cx, cy = point_of(network, LEAK_VALVE)
    distance = pipes.geometry.distance(__import__("shapely").Point(cx, cy)).to_numpy()
    near = [str(pipes["id"].iloc[int(i)]) for i in distance.argsort()[:400:50]]  # eight pipes around the valve
    for pipe_id, (category, severity, description, steps) in zip(near, HAZARDS, strict=True):
        x, y = point_on(network, pipe_id, 0.5)
        done = ledger.report_hazard(x, y, category=category, severity=severity, description=description,
                                    asset_id=pipe_id, actor="Zhang Wei")  # fmt: skip
        if done is None:
            raise SystemExit(f"hazard not reported: {ledger.last_error}")
        hazard_id = next(h.hazard_id for h in ledger.hazards() if h.asset_id == pipe_id)
        for step in HAZARD_STEPS[1 : 1 + steps]:
            if ledger.advance(hazard_id, step, STEP_FIELDS[step]) is None:
                raise SystemExit(f"{step} refused: {ledger.last_error}")
    with tempfile.TemporaryDirectory(prefix="gasops-peer-") as tmp:
        peer = LedgerNode.init(Path(tmp) / "peer", "ledger.district.gasops.example/west", "peer pw", scrypt_n=2**10)
        try:
            ledger.service.add_peer("district", "https://ledger.district.gasops.example", peer.origin,
                                    peer.org_vkey, peer.witness_vkey)  # fmt: skip
        finally:
            peer.close()
    reports: list = []
    ledger.verified.connect(reports.append)
    ledger.verify_now()
    s.wait(lambda: reports, 120, "the ledger verified")
    ledger.refresh()
    ledger.hazards_dock.raise_()
    ledger.ledger_dock.show()
    ledger.ledger_dock.raise_()
    hazards = ledger.hazards()
    verified = [h for h in hazards if h.status == "verified"]
    chosen = (verified or hazards)[0].hazard_id
    ledger.hazards_dock.select_hazard(chosen)
    at_scale(s, LEAK_VALVE, 7_700)
    s.pause(1.0)


def manual_dark(s: Screen) -> None:
    """The user manual (Help › Manual, F1) over the main window."""
    s.layout("dispatcher")
    from console.ui.help import show_manual

    manual = show_manual(s.window)
    manual.resize(1200, 800)
    s.pause(1.0)
    s.on_top.append(manual)


def operators(s: Screen):
    """A new ledger with three operators enrolled (administrator, dispatcher, planner); none logged in."""
    ledger = s.window.extensions["ledger"]
    if not ledger.create_ledger(LEDGER_ORIGIN, LEDGER_PASSPHRASE, scrypt_n=2**14):
        raise SystemExit(f"cannot create the ledger: {getattr(ledger, 'last_error', '')}")
    ops = s.window.extensions["operators"]
    s.wait(lambda: ops.service.node is not None, 30, "the operators attached to the ledger")
    svc = ops.service
    for n, (oid, name, roles, passphrase) in enumerate(OPERATORS):
        svc.enrol(oid, name, roles, passphrase)
        if n == 0:
            svc.login(oid, passphrase)
    svc.logout()
    s.pause(0.3)
    login = getattr(ops, "login_dialog", None)
    if login is not None and login.isVisible():
        login.reject()
    return ops


def login_dark(s: Screen) -> None:
    """File › Switch operator with nobody logged in: the log-in dialog, the dispatcher chosen."""
    s.layout("dispatcher")
    ops = operators(s)
    dlg = ops.request_login()
    if dlg is None:
        raise SystemExit("the log-in dialog did not open")
    dlg.operator.setCurrentIndex(dlg.operator.findData("D-7"))
    dlg.passphrase.setText("dispatch passphrase")
    s.pause(0.5)
    s.on_top.append(dlg)


def switch_operator_dark(s: Screen) -> None:
    """Shift change: the dispatcher hands over to the planner (File › Switch operator)."""
    s.layout("dispatcher")
    ops = operators(s)
    ops.service.login("D-7", "dispatch passphrase")
    dlg = ops.request_login()
    if dlg is None:
        raise SystemExit("the switch-operator dialog did not open")
    dlg.operator.setCurrentIndex(dlg.operator.findData("P-3"))
    dlg.passphrase.setText("planner passphrase")
    s.pause(0.5)
    s.on_top.append(dlg)


def lock_screen_dark(s: Screen) -> None:
    """The dispatcher locks the console (File › Lock screen) while a training leak's methane alarm stands."""
    from console.telemetry import AlarmState

    s.layout("dispatcher")
    ops = operators(s)
    ops.service.login("D-7", "dispatch passphrase")
    ctrl = s.simulator()
    ctrl.leak_at(LEAK_VALVE)
    s.wait(lambda: any(a.state == AlarmState.UNACK_ACTIVE for a in ctrl.session.service.alarm_list()), 300,
           "a live alarm")  # fmt: skip
    s.window.actions["operators.lock"].trigger()
    s.wait(lambda: ops.lock_screen.isVisible(), 10, "the lock screen")
    s.pause(1.5)


def view3d(s: Screen):
    """View › 3D view (Ctrl+3) at 1440×900 once its scene and crossings are built; grabbed instead of the window."""
    controller = s.window.extensions["view3d"]
    ready = {"scene": False, "crossings": False}
    controller.sceneReady.connect(lambda: ready.__setitem__("scene", True))
    controller.crossingsReady.connect(lambda: ready.__setitem__("crossings", True))
    controller.open()
    s.wait(lambda: ready["scene"] and ready["crossings"], 600, "the 3D scene and crossings")
    controller.view_window.resize(*SIZE)
    s.pause(0.5)
    s.shown, s.view3d = controller.view_window, controller.view
    return controller


def rest(s: Screen, view) -> None:
    s.wait(lambda: not view.flying, 30, "the camera flight")
    s.pause(0.2)
    s.wait(lambda: view.at_full_detail, 30, "the 3D view at full detail")
    s.pause(0.3)


def view3d_incident_dark(s: Screen) -> None:
    """The dispatch board's open incident in 3D: its first valve would not turn (plan redone), the first valve of
    the new plan closed; the break, valves in order, shut-off region and cut-off areas among the buildings."""
    s.layout("commander")
    ledger = s.window.extensions["ledger"]
    if not ledger.create_ledger(LEDGER_ORIGIN, LEDGER_PASSPHRASE, scrypt_n=2**14):
        raise SystemExit(f"cannot create the ledger: {getattr(ledger, 'last_error', '')}")
    dispatch = s.window.extensions["dispatch"]
    s.wait(lambda: dispatch.service is not None, 60, "the incident service")
    service = dispatch.service
    inc = service.open("leak", pipe=CALL_PIPE, fraction=0.5)
    controller = view3d(s)
    dispatch.show_incident(inc.incident_id)
    s.wait(lambda: controller.incident_drawn is not None, 60, "the incident in 3D")
    valves = list(service.incident(inc.incident_id).valves)
    service.valve_failed(inc.incident_id, valves[0])
    dispatch.refresh()
    s.wait(lambda: controller.incident_drawn["valves"].get(valves[0], "failed") == "failed", 60, "the failed valve")
    replanned = list(service.incident(inc.incident_id).valves)
    service.valve(inc.incident_id, replanned[0], "closed")
    dispatch.refresh()
    s.wait(lambda: controller.incident_drawn["valves"].get(replanned[0]) == "closed", 60, "a closed valve")
    controller.view_window.crossings_dock.hide()  # the incident's legend is wide: the scene gets the whole window
    controller.view_window.resize(*SIZE)
    controller.look_at_incident(50.0)
    controller.view.set_ground_opacity(0.35)
    rest(s, controller.view)


def view3d_crossing_dark(s: Screen) -> None:
    """The first crossing of the crossings dock (below GB 50028's clearance first), seen from below ground."""
    controller = view3d(s)
    dock = controller.view_window.crossings_dock
    dock.choose(0)  # the row selected (as a click does) …
    controller.fly_to_crossing(dock.crossing_at(0), animate=False)  # … and the camera there without the flight
    rest(s, controller.view)


def view3d_contours_dark(s: Screen) -> None:
    """A simulation, the pipes coloured by pressure and its bands on the ground; symbols for valves, regulators and
    the gate station."""
    sim = s.window.extensions["simulation"]
    sim.simulate()
    s.wait(lambda: sim.run is not None and not sim.service.busy, 300, "the simulation")
    controller = view3d(s)
    view = controller.view
    controller.set_colour_mode("sim:pressure")
    view.look_from(above=True)
    view.show_contours.setChecked(True)
    s.wait(lambda: view._ground_colors is not None, 300, "the pressure bands on the ground")
    gate = s.window.network["gate_stations"].geometry.iloc[0]
    controller.look_at(float(gate.x), float(gate.y) - 700.0, 2200.0, 40.0)  # the dense north, the gate station ▲
    rest(s, view)


SCREEN_FUNCTIONS = {
    "main_window": main_window, "isolation": isolation, "live": live, "incident": incident, "review": review,
    "main_window_dark": main_window_dark, "isolation_dark": isolation_dark, "simulation_dark": simulation_dark,
    "ledger_dark": ledger_dark, "live_dark": live, "basemap_street_dark": basemap_street_dark,
    "manual_dark": manual_dark, "main_window_light": main_window_light, "first_launch_dark": first_launch_dark,
    "view3d_incident_dark": view3d_incident_dark, "view3d_crossing_dark": view3d_crossing_dark,
    "view3d_contours_dark": view3d_contours_dark, "login_dark": login_dark,
    "switch_operator_dark": switch_operator_dark, "lock_screen_dark": lock_screen_dark,
}  # fmt: skip


def run_child(screen: str, lang: str, out: Path) -> int:
    s = Screen(lang)
    SCREEN_FUNCTIONS[screen](s)
    s.save(out / file_name(screen, lang))
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
