"""The user manual (F1): every screen and workflow of the console, as two parallel documents, English and Chinese.

The English chapters are here (HTML fragments); the Chinese manual is ``manual_zh_CN.html`` beside this module, one
``<section id="…" title="…">`` per chapter with the same ids in the same order. The manual is long prose with markup,
so each language is kept as a whole document its writers can read and edit, not as hundreds of catalog entries
(where every English copy edit would mark a Chinese paragraph stale and translators would juggle HTML fragments);
the UI's short strings go through the Qt catalog. ``tests/ui/test_i18n_core.py`` checks both documents have every
chapter. Plain data, so the manual can be checked without Qt: :data:`CHAPTERS` lists ``Chapter`` rows; the shortcut
list and About are built live from the window (see :mod:`console.ui.help._manual`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CHAPTERS", "CHINESE_MANUAL", "Chapter", "read_sections"]

CHINESE_MANUAL = Path(__file__).with_name("manual_zh_CN.html")
_SECTION = re.compile(r'<section id="([\w-]+)" title="([^"]*)">(.*?)</section>', re.S)


@dataclass(frozen=True)
class Chapter:
    key: str
    title_en: str
    title_zh: str
    en: str
    zh: str
    screens: tuple[str, ...] = ()  # the docks / dialogs the chapter explains (object names), for the coverage test

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def html(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def read_sections(text: str) -> dict[str, tuple[str, str]]:
    r"""The chapters of a manual document: id → (title, HTML), in document order.

    >>> read_sections('<section id="a" title="T">\n<p>x</p>\n</section>')
    {'a': ('T', '<p>x</p>')}
    """
    return {key: (title, html.strip()) for key, title, html in _SECTION.findall(text)}


_ENGLISH: tuple[tuple, ...] = (  # key, title, HTML, screens
    (
        "start", "Getting started",
        """<p>GasOps Console shows a city gas network on a map and runs the control room's work on it: shut-off
        analysis, hydraulic simulation, live telemetry and alarms, emergency dispatch, the hazard register and its
        tamper-evident ledger, editing with review, and metering evidence.</p>
        <p><b>Open a network</b> with File › Open (Ctrl+O): GeoPackage, GeoJSON, Shapefile, GasLib (.net) or EPANET
        (.inp); File › Open from PostGIS (Ctrl+Shift+O) reads a database schema; File › Open demo district shows the
        bundled example. Loading runs in the background: the map stays usable and the status bar shows progress.
        File › Save (Ctrl+S) writes back to the file or schema the network came from. View › Language switches the console
        between English and Simplified Chinese (from the next start).</p>
        <p>The window is the <b>map</b> in the middle, a column of <b>docks</b> beside it (tabbed groups; drag a tab
        to move a dock, double-click its title to float it), the <b>toolbar</b> with the search box, and the
        <b>status bar</b> (coordinates, scale, CRS, feature counts, live feed state).</p>""",
    ),
    (
        "layouts", "Role layouts",
        """<p>Three arrangements of the docks, one per role — choose in the toolbar's role box, View › Role layout,
        or with <b>Ctrl+Alt+1</b> (Dispatcher), <b>Ctrl+Alt+2</b> (Planner), <b>Ctrl+Alt+3</b>
        (Commander); <b>Ctrl+Alt+0</b> goes to the next role.</p>
        <ul><li><b>Dispatcher</b>: alarms and hazards above; identify, trends, incidents board and isolation below.</li>
        <li><b>Planner</b>: simulation, layers and isolation above; identify, violations and trends below (left side).</li>
        <li><b>Commander</b>: incident, isolation and alarms above; incidents board, hazards, identify, trends and
        ledger below.</li></ul>
        <p>Docks a role does not need are hidden; View › (dock name) brings any of them back. Your changes (moved,
        resized, shown or hidden docks) are kept for each role and restored when you return to it; View › Reset role
        layout goes back to the default. Every layout leaves the map at least 60 % of a 1440×900 window.</p>""",
    ),
    (
        "map", "Map, search and identify",
        """<p><b>Navigate</b>: drag to pan (P), wheel to zoom about the cursor, Z for a zoom box, + / − to zoom,
        Home for the whole network. The north arrow and scale bar follow the view.</p>
        <p><b>Search</b> (Ctrl+F): type any part of a feature id, a customer's name, a meter id, an address
        ("18 Taowan Lu", "Taowan Lu 18" or the Chinese form) or a street; suggestions appear as you type, case does not matter. Enter zooms
        to the feature and identifies it; a street zooms to its whole length.</p>
        <p><b>Identify</b> (I, or click with the identify tool): the Feature dock lists the attributes, the address,
        and for sensors or devices with sensors the <b>live value</b>, unit, quality and age. Where several features
        sit at one point, "Also here" lists them — pick the one you mean; hovering shows the same feature first.
        Esc clears the selection.</p>
        <p><b>Layers</b> dock: show or hide each layer and colour pipes by pressure class, diameter or material.
        <b>Basemap</b> (View › Basemap): streets with their names and blocks under the network; View › Raster
        basemap… adds tiles from an MBTiles file (offline) or an XYZ/WMTS tile URL, fetched in the background.</p>""",
        ("attributesDock", "layersDock"),
    ),
    (
        "isolation", "Shut-off analysis",
        """<p>Isolate here (<b>Ctrl+I</b>), then click the pipe or node where gas escapes — or right-click a pipe ›
        Isolate here. <b>Shift+click</b> adds another break to the same incident. The Isolation dock lists the
        valves to close in order (numbered discs on the map, ids beside them where they do not collide), the
        customers who lose gas (special users first), the gas volume to vent and notes.</p>
        <p>Buttons: <i>This valve failed</i> plans again with the next ring of valves; <i>Zoom to outage</i>;
        <i>Clear</i>; <i>Valves CSV…</i> and <i>Customers CSV…</i> export the plan and the customers for the
        crews. The closing order rule
        (upstream first / nearest first) and the dimming of the rest of the map are at the bottom of the dock.</p>""",
        ("isolationDock",),
    ),
    (
        "simulation", "Hydraulic simulation and what-if",
        """<p><b>Simulate</b> (F5) computes pressures and flows for the network's demands; pipes are coloured by
        pressure, velocity or flow, and the Violations dock lists nodes below their minimum pressure and pipes above
        their velocity limit (click to zoom). <b>Pressure contours</b>: isobars and smooth filled bands per pressure
        system, optionally corrected with live readings.</p>
        <p><b>What-if</b>: type or pick valves in "What-if: close valves" and compare: pipes show the pressure
        change (falls red, rises blue, purple dotted: no gas) and each closed valve is marked on the map with a red
        ✕ and its id.</p>""",
        ("simulationDock", "simulationViolationsDock"),
    ),
    (
        "live", "Live monitoring, alarms and trends",
        """<p>The Live menu starts the telemetry feed: Start simulator (training), Connect to MQTT broker…, or Replay a
        recording…; Stop the feed ends it. The <b>Alarms</b> dock lists
        active alarms by priority with their <b>current value</b> (the onset value in the tooltip); acknowledge,
        shelve, comment, trend or zoom to the sensor. An empty list says why: no sensors in this network, no feed,
        or all normal.</p>
        <p>The <b>Trends</b> dock plots several sensors with a legend and the alarm limits (HIHI, HI, LO, LOLO) labelled
        at the right edge; wheel zooms in time, drag pans, <i>Follow now</i> keeps the newest reading in view again;
        export the shown data as CSV or the plot as PNG.</p>""",
        ("alarmDock", "trendDock"),
    ),
    (
        "dispatch", "Emergency dispatch",
        """<p>Take a call (<b>New call…</b>) or right-click a pipe › Open incident here. The <b>Incident</b> dock holds the
        plan (valves to close with their status), crews and their routes by street, notices to customers,
        restoration and the timeline; the <b>Incidents</b> board lists every open incident with its grade, state,
        customers affected and arrival time. Every step is signed into the ledger.</p>""",
        ("incidentDock", "incidentBoardDock"),
    ),
    (
        "ledger", "Hazards and the evidence ledger",
        """<p>Report a hazard (Ledger › Report hazard, or right-click the map › Report hazard here — on a valve the
        valve is named, not the sensor on it). The <b>Hazards</b> dock follows each hazard from reported to closed;
        every step is a signed, hash-chained ledger entry with its proof.</p>
        <p>The <b>Ledger</b> dock: unlock or create the ledger, <i>Verify now</i> recomputes every entry, signature and
        checkpoint; <i>Add peer…</i> follows another organisation's ledger (paste its identity JSON) — no restart
        needed; <i>Sync now</i> pulls the peers' logs and says, peer by peer, what it did (entries added, up to
        date, unreachable and why). Logs are listed with their full names, checkpoints and witness cosignatures;
        a red banner warns when a peer signed two histories.</p>""",
        ("ledgerHazardsDock", "ledgerDock"),
    ),
    (
        "editing", "Editing and review",
        """<p>The Edit menu: add pipes with snapping, insert valves, regulators, end caps or sensors on a pipe,
        move or reshape features, edit attributes in the Attribute table; every edit can be undone (Ctrl+Z). Submit
        the change set for review: the <b>Review</b> dock shows its effect (validation findings, valve segments,
        customers whose isolation changes, minimum pressures before and after). A reviewer approves (never their
        own) or rejects with a comment; approved changes are committed and signed. The <b>Validation</b> dock lists the
        network's findings by severity (a click zooms to the feature) and re-checks around each edit.</p>""",
        ("reviewDock", "attributeTableDock", "validationDock"),
    ),
    (
        "metering", "Metering evidence",
        """<p>The <b>Metering</b> dock checks signed meter batches before anchoring them in the ledger, compares
        custody transfer meters, computes the gas balance with line pack and flags jumps, and estimates methane
        emissions.</p>""",
        ("meteringDock",),
    ),
    (
        "view3d", "3D view",
        """<p>The 3D view opens a window with the pipes at their depth under a see-through ground, buildings, risers and symbols; colour
        by pressure class, diameter or the last simulation. The crossings list flies the camera to each pipe crossing
        with both pipes labelled. Right-click the map › View in 3D here.</p>""",
    ),
    (
        "operators", "Operators and permissions",
        """<p>Each operator logs in with their id and passphrase; their roles decide what they may do (an action they
        may not use is greyed out with the reason in its tip). Entries in the ledger are signed as the operator at
        the console. The console locks after the idle time set in the settings.</p>""",
    ),
)  # fmt: skip


def _chapters() -> tuple[Chapter, ...]:
    try:
        chinese = read_sections(CHINESE_MANUAL.read_text(encoding="utf-8"))
    except OSError:  # an incomplete installation: the English manual still shows
        chinese = {}
    out = []
    for key, title, html, *screens in _ENGLISH:
        title_zh, zh = chinese.get(key, (title, html))
        out.append(Chapter(key, title, title_zh, html, zh, tuple(screens[0]) if screens else ()))
    return tuple(out)


CHAPTERS: tuple[Chapter, ...] = _chapters()
