"""The main window: map in the centre, layer panel and identify panel as docks, toolbar, search and status bar.

Networks are loaded and prepared for drawing in a background job (:mod:`console.ui.workers`); the window applies
the result on the main thread and emits ``networkShown`` once the map has painted it. Window geometry, dock
layout, theme and pipe style are remembered in QSettings.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future
from pathlib import Path

from pyproj import CRS, Transformer
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from console.app.jobs import Feedback, JobRunner
from console.errors import GasOpsError, UnknownFeatureError
from console.network import GasNetwork, Hit
from console.ui.docks.attributes_dock import AttributesDock
from console.ui.docks.layers_dock import LayersDock
from console.ui.extensions import install_extensions
from console.ui.icons import icon
from console.ui.map.canvas import MapCanvas
from console.ui.map.layers import MapData, prepare_map_data
from console.ui.map.styles import PIPE_STYLES, PipeClassification
from console.ui.search import FeatureIdIndex, SearchBox
from console.ui.settings import qt_settings
from console.ui.theme import DARK, LIGHT, Theme, apply_theme, load_theme, save_theme
from console.ui.workers import JobWorker, QtJobs, start_job

__all__ = ["MainWindow", "load_map_data"]

log = logging.getLogger(__name__)

APP_TITLE = "GasOps Console"
# Shown when console.io cannot tell us its formats (it lists them in console.io.FORMATS when it can).
_FALLBACK_FILTERS = (
    "Network files (*.gpkg *.geojson *.json *.shp *.net *.inp)",
    "GeoPackage (*.gpkg)",
    "GeoJSON (*.geojson *.json)",
    "Shapefile (*.shp)",
    "GasLib network (*.net)",
    "EPANET input (*.inp)",
    "All files (*)",
)
SHORTCUTS = (
    ("Ctrl+O", "Open a network file"),
    ("Ctrl+F", "Find a feature by id"),
    ("Home", "Zoom to the whole network"),
    ("+ / −", "Zoom in / out"),
    ("Wheel", "Zoom about the cursor"),
    ("P", "Pan tool (drag to move the map)"),
    ("Z", "Zoom box tool (drag a rectangle)"),
    ("I", "Identify tool (click a feature)"),
    ("Esc", "Clear the selection"),
    ("Ctrl+Shift+T", "Switch dark / light theme"),
    ("F1", "This list"),
)


def load_map_data(path: str | os.PathLike | None, style: str, feedback: Feedback | None = None) -> MapData:
    """Read a network file (or the bundled demo district when ``path`` is None) and prepare it for the map.

    Runs in a worker; everything heavy (reading, topology, render buffers, spatial index, id index) happens here.
    """
    from console.app.workspace import ensure_demo, open_network

    if path is None:
        path = ensure_demo(feedback=_Stage(feedback, 0.0, 0.5) if feedback else None)
        feedback = _Stage(feedback, 0.5, 1.0) if feedback else None
    network = open_network(path, feedback)
    data = _prepare(network, style, feedback)
    data.extras["path"] = source_of(path)
    return data


def source_of(path: str | os.PathLike) -> Path | str:
    """A file as a Path; a ``postgresql://`` URL kept as text (a Path would fold its ``//``)."""
    from console.io import is_database_url

    return str(path) if is_database_url(str(path)) else Path(path)


def source_label(source: Path | str | None) -> str:
    """What a title bar or status line shows for a source: the file name, or the URL without its password."""
    from console.io import redact_url

    if source is None:
        return ""
    return source.name if isinstance(source, Path) else redact_url(source)


def prepare_preloaded(future: Future, style: str, feedback: Feedback | None = None) -> MapData:
    """Wait for a network already being read (see ``gasops``'s start-up) and prepare it for the map."""
    network = future.result()
    data = _prepare(network, style, feedback)
    if network.source:
        data.extras["path"] = source_of(network.source)
    return data


class _Stage:
    """One stage of a longer job: maps the stage's 0..1 progress onto [lo, hi] of the job's feedback."""

    def __init__(self, feedback: Feedback, lo: float, hi: float) -> None:
        self._feedback, self._lo, self._hi = feedback, lo, hi

    def progress(self, fraction: float, message: str = "") -> None:
        self._feedback.progress(self._lo + (self._hi - self._lo) * fraction, message)

    def check(self) -> None:
        self._feedback.check()

    @property
    def cancelled(self) -> bool:
        return self._feedback.cancelled


def _prepare(network: GasNetwork, style: str, feedback: Feedback | None = None) -> MapData:
    data = prepare_map_data(network, style, feedback)
    data.extras["id_index"] = network.cached("ui.id_index", lambda: FeatureIdIndex.of(network))
    return data


def _file_filters() -> str:
    try:
        from console.io import FORMATS  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return ";;".join(_FALLBACK_FILTERS)
    try:
        patterns = []
        named = []
        for fmt in FORMATS.values() if isinstance(FORMATS, dict) else FORMATS:
            if not getattr(fmt, "reads", True):
                continue
            exts = [e for e in getattr(fmt, "extensions", ()) if e.startswith(".")]  # not "<folder>"
            label = getattr(fmt, "label", None) or getattr(fmt, "key", "")
            if exts:
                patterns += [f"*{e}" for e in exts if f"*{e}" not in patterns]
                named.append(f"{label} ({' '.join('*' + e for e in exts)})")
        if not patterns:
            return ";;".join(_FALLBACK_FILTERS)
        return ";;".join([f"Network files ({' '.join(patterns)})", *named, "All files (*)"])
    except Exception:
        return ";;".join(_FALLBACK_FILTERS)


class MainWindow(QMainWindow):
    """GasOps Console's main window. ``networkShown`` fires once the map has painted a newly set network."""

    networkShown = Signal()
    loadFailed = Signal(str)  # the one-line error shown to the user
    closing = Signal()  # the window is closing: features stop their feeds, threads and timers

    def __init__(
        self, parent: QWidget | None = None, *, settings: QSettings | None = None, defer_features: bool = False
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()  # window geometry and dock state (Qt's own byte arrays)
        self.prefs = qt_settings(self.settings)  # the declared, typed settings the services share with the CLI
        self.runner = JobRunner(max_workers=2)
        self.jobs = QtJobs(
            self.runner, self
        )  # the services' jobs: one current job per channel, outcomes on this thread
        self._theme = load_theme(self.settings)
        self._style = str(self.settings.value("map/pipe_style", "pressure_class"))
        if self._style not in PIPE_STYLES:
            self._style = "pressure_class"
        self._path: Path | str | None = None  # the file, or the PostGIS URL, the network was read from
        self._load_job: JobWorker | None = None
        self._edit_job: JobWorker | None = None
        self._lonlat: Transformer | None = None
        self.last_error: str | None = None
        self.setWindowTitle(APP_TITLE)
        self.resize(1440, 900)

        self.canvas = MapCanvas(self, runner=JobRunner(max_workers=1))
        self.setCentralWidget(self.canvas)
        self.layers_dock = LayersDock(self)
        self.attributes_dock = AttributesDock(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.layers_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.attributes_dock)
        self.resizeDocks([self.layers_dock, self.attributes_dock], [300, 320], Qt.Orientation.Horizontal)
        self.search = SearchBox(self)
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self.extensions: dict[str, object] = {}
        self._context_providers: list = []
        self.context_menu: QMenu | None = None
        if not defer_features:
            self.extensions = install_extensions(self)
        self._restore_layout()
        self.apply_theme(self._theme, save=False)

    def install_features(self) -> None:
        """Install the feature UIs (isolation, simulation, ledger …) if not yet done.

        ``run_gui`` starts reading the network first and installs the features right after, so their imports
        overlap the load instead of delaying the first map.
        """
        if self.extensions:
            return
        self.extensions = install_extensions(self)
        if (state := self.saved_state()) is not None:
            self.restoreState(state)  # again: the features' docks exist only now
        self.apply_theme(self._theme, save=False)

    # -- building --------------------------------------------------------------------------------------------------
    def _action(self, text: str, icon_name: str | None, shortcuts, tip: str, slot, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            seqs = [QKeySequence(s) if isinstance(s, str) else QKeySequence(s) for s in shortcuts]
            action.setShortcuts(seqs)
            tip = f"{tip} ({seqs[0].toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.setData(icon_name)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work while the toolbar is hidden
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_open = a(
            "&Open network…", "open", [QKeySequence.StandardKey.Open], "Open a network file", self.open_file_dialog
        )
        self.act_open_db = a(
            "Open from Post&GIS…",
            None,
            ["Ctrl+Shift+O"],
            "Open a network stored in a PostGIS database",
            self.open_database_dialog,
        )
        self.act_demo = a("Open &demo district", None, [], "Open the bundled demo district (示范片区)", self.open_demo)
        self.act_quit = a("&Quit", None, [QKeySequence.StandardKey.Quit], "Quit GasOps Console", self.close)
        self.act_pan = a("&Pan", "pan", ["P"], "Pan: drag to move the map", lambda: self.set_tool("pan"), True)
        self.act_zoom_box = a("&Zoom box", "zoom_box", ["Z"], "Zoom box: drag a rectangle to zoom into",
                              lambda: self.set_tool("zoom_box"), True)  # fmt: skip
        self.act_identify = a("&Identify", "identify", ["I"], "Identify: click a feature to see its attributes",
                              lambda: self.set_tool("identify"), True)  # fmt: skip
        group = QActionGroup(self)
        for act in (self.act_pan, self.act_zoom_box, self.act_identify):
            group.addAction(act)
        self.act_pan.setChecked(True)
        self.act_zoom_in = a("Zoom &in", "zoom_in", ["+", "=", QKeySequence.StandardKey.ZoomIn], "Zoom in",
                             lambda: self.canvas.zoom_by(2.0))  # fmt: skip
        self.act_zoom_out = a("Zoom &out", "zoom_out", ["-", QKeySequence.StandardKey.ZoomOut], "Zoom out",
                              lambda: self.canvas.zoom_by(0.5))  # fmt: skip
        self.act_extent = a(
            "Zoom to &extent", "extent", ["Home"], "Zoom to the whole network", self.canvas.zoom_to_extent
        )
        self.act_find = a(
            "&Find feature…", "search", [QKeySequence.StandardKey.Find], "Find a feature by id", self.focus_search
        )
        self.act_clear = a("&Clear selection", "clear", ["Esc"], "Clear the selection", self.clear_selection)
        self.act_theme = a("Dark / light &theme", "theme", ["Ctrl+Shift+T"], "Switch between the dark and light theme",
                           self.toggle_theme)  # fmt: skip
        self.act_help = a("&Keyboard shortcuts", "help", [QKeySequence.StandardKey.HelpContents], "Keyboard shortcuts",
                          self.show_shortcuts)  # fmt: skip

    def _build_toolbar(self) -> None:
        tb = QToolBar("Map tools", self)
        tb.setObjectName("mapToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for act in (self.act_open, None, self.act_pan, self.act_zoom_box, self.act_identify, None, self.act_zoom_in,
                    self.act_zoom_out, self.act_extent):  # fmt: skip
            tb.addSeparator() if act is None else tb.addAction(act)
        tb.addSeparator()
        tb.addWidget(self.search)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        tb.addAction(self.act_theme)
        tb.addAction(self.act_help)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.act_open, self.act_open_db, self.act_demo])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = self.view_menu = bar.addMenu("&View")
        m.addActions([self.act_pan, self.act_zoom_box, self.act_identify])
        m.addSeparator()
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_extent, self.act_find, self.act_clear])
        m.addSeparator()
        m.addAction(self.act_theme)
        m.addAction(self.layers_dock.toggleViewAction())
        m.addAction(self.attributes_dock.toggleViewAction())
        self.analysis_menu = bar.addMenu("&Analysis")  # features (isolation, simulation, …) add their actions here
        self.analysis_menu.menuAction().setVisible(False)
        m = bar.addMenu("&Help")
        m.addAction(self.act_help)

    def add_dock(self, dock, area=Qt.DockWidgetArea.RightDockWidgetArea, *, tabify_with=None):
        """Add a feature's dock (with an objectName, so the layout is remembered) and its View-menu toggle."""
        self.addDockWidget(area, dock)
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def saved_state(self) -> QByteArray | None:
        """The dock layout the user left last time (``None`` on a first start)."""
        state = self.settings.value("window/state")
        return state if isinstance(state, QByteArray) and not state.isEmpty() else None

    def fit_dock(self, dock, minimum: int = 0, share: float = 1 / 3, beside=None) -> None:
        """Widen ``dock`` to its contents (or ``minimum`` px) so its rows show without a horizontal scroll bar, but
        never past ``share`` of the window (at least 300 px): beside the map a third, so the map stays the widest
        thing; a bottom dock split with another (``beside``, which gives up the width) can take more. A wider dock
        is kept."""
        body, extra = dock.widget(), 8  # 8: the dock's frame around its widget
        if isinstance(body, QScrollArea) and body.widget() is not None:  # a scroll area caps its own size hint
            if body.verticalScrollBar().isVisible():
                extra += body.verticalScrollBar().width()
            body = body.widget()
        want = max(body.sizeHint().width() + extra, minimum)
        if dock.width() < want:
            width = min(want, max(int(self.width() * share), 300))
            if beside is None:
                self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
            else:  # both at once: Qt spreads a single dock's change over its neighbours and falls short
                total = dock.width() + beside.width()
                self.resizeDocks([dock, beside], [width, total - width], Qt.Orientation.Horizontal)

    def add_context_provider(self, provider) -> None:
        """A feature's right-click actions on the map: ``provider(menu, hit, x, y)`` adds them to the context menu.

        One menu gathers every feature's actions (in the order the features were installed, separated), so
        features never pop up menus of their own that would compete for the same click.
        """
        self._context_providers.append(provider)

    def _on_context_request(self, hit: Hit | None, x: float, y: float, global_pos) -> None:
        if self.network is None:
            return
        menu = QMenu(self.canvas)
        for provider in self._context_providers:
            before = len(menu.actions())
            try:
                provider(menu, hit, x, y)
            except Exception as exc:  # one feature's bug must not take the others' actions away
                log.error("context menu provider %r failed", provider, exc_info=exc)
            if before and len(menu.actions()) > before:
                menu.insertSeparator(menu.actions()[before])
        if menu.isEmpty():
            menu.deleteLater()
            return
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = menu
        menu.popup(global_pos)

    def add_analysis_action(self, action, *, toolbar: bool = False):
        self.analysis_menu.menuAction().setVisible(True)
        self.analysis_menu.addAction(action)
        if toolbar:
            self.toolbar.insertAction(self.act_theme, action)
        return action

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.xy_label = QLabel("X —  Y —")
        self.lonlat_label = QLabel("—°E  —°N")
        self.scale_label = QLabel("")
        self.crs_label = QLabel("")
        self.counts_label = QLabel("")
        for w, tip in (
            (self.xy_label, "Projected coordinates under the cursor (metres)"),
            (self.lonlat_label, "Longitude / latitude under the cursor (CGCS2000)"),
            (self.scale_label, "Map scale on this screen"),
            (self.crs_label, "Coordinate reference system of the network"),
            (self.counts_label, "Feature counts"),
        ):
            w.setToolTip(tip)
        mono = self.xy_label.font()
        mono.setStyleHint(mono.StyleHint.Monospace)
        mono.setFamily("DejaVu Sans Mono")
        for w in (self.xy_label, self.lonlat_label):
            w.setFont(mono)
        sb.addPermanentWidget(self.progress)
        for w in (self.xy_label, self.lonlat_label, self.scale_label, self.crs_label, self.counts_label):
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        c = self.canvas
        c.cursorMoved.connect(self._on_cursor_move)
        c.viewChanged.connect(self._on_view_change)
        c.featureIdentified.connect(self._on_feature_identified)
        c.styleChanged.connect(self._on_style_change)
        c.networkPainted.connect(self.networkShown)
        c.contextRequested.connect(self._on_context_request)
        self.layers_dock.layerVisibilityChanged.connect(self._on_layer_visibility_change)
        self.layers_dock.pipeStyleChanged.connect(self.set_pipe_style)
        self.attributes_dock.zoomRequested.connect(self.zoom_to_feature)
        self.search.featureRequested.connect(self.zoom_to_feature)

    # -- settings ----------------------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if (state := self.saved_state()) is not None:
            self.restoreState(state)
        for layer in ("pipes", *self.canvas.points):
            visible = self.settings.value(f"layers/{layer}/visible", True)
            visible = visible if isinstance(visible, bool) else str(visible).lower() == "true"
            if not visible:
                self.layers_dock.set_layer_checked(layer, False)
                self.canvas.set_layer_visible(layer, False)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("map/pipe_style", self._style)
        save_theme(self._theme, s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        self.save_settings()
        if self._load_job is not None:
            self._load_job.cancel()
        self.canvas.shutdown()
        self.runner.shutdown(wait=False)
        super().closeEvent(event)

    # -- loading -----------------------------------------------------------------------------------------------------
    def open_file_dialog(self) -> None:
        start = str(self.settings.value("files/last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open network", start, _file_filters())
        if path:
            self.settings.setValue("files/last_dir", str(Path(path).parent))
            self.open_path(path)

    def open_database_dialog(self) -> None:
        """Ask for a PostGIS URL (the last one offered again, without its password) and open it."""
        last = str(self.settings.value("files/last_database", "postgresql://gis@localhost:5432/gis?schema=public"))
        url, ok = QInputDialog.getText(
            self,
            "Open from PostGIS",
            "Database URL — postgresql://user@host:5432/db?schema=NAME\n"
            "(the password from PGPASSWORD or ~/.pgpass; it is never stored or shown):",
            text=last,
        )
        url = url.strip()
        if not ok or not url:
            return
        from console.io import is_database_url, redact_url

        if not is_database_url(url):
            self.show_error("Open from PostGIS", f"{url[:200]}: not a postgresql:// or postgis:// URL")
            return
        self.settings.setValue("files/last_database", redact_url(url))
        self.open_path(url)

    def open_path(self, path: str | os.PathLike) -> JobWorker:
        """Load a network file (or a ``postgresql://`` URL) in the background; the map shows it when ready."""
        source = source_of(path)
        return self._start_load(source, f"Opening {source_label(source)}…")

    def open_preloaded(self, future: Future, path: str | os.PathLike | None = None) -> JobWorker:
        """Show a network whose reading already started elsewhere (the command line starts it before Qt loads)."""
        self._path = source_of(path) if path else None
        return self._start_job(prepare_preloaded, (future, self._style), "Opening the network…")

    def open_demo(self) -> JobWorker:
        """Load (generating it the first time) the bundled demo district in the background."""
        return self._start_load(None, "Opening the demo district…")

    def set_network(self, network: GasNetwork, path: str | os.PathLike | None = None) -> JobWorker:
        """Show an in-memory network (its map buffers are prepared in the background)."""
        source = path or network.source
        self._path = source_of(source) if source else None
        return self._start_job(_prepare, (network, self._style), f"Preparing {network.name}…")

    def _start_load(self, path: Path | str | None, message: str) -> JobWorker:
        self._path = path
        return self._start_job(load_map_data, (path, self._style), message)

    def _start_job(self, fn, args: tuple, message: str) -> JobWorker:
        if self._load_job is not None:
            self._load_job.cancel()
        self.canvas.set_placeholder(message)
        self.statusBar().showMessage(message)
        self.progress.setValue(0)
        self.progress.show()
        job = start_job(self.runner, fn, *args)
        job.progressed.connect(self._on_load_progress)
        job.finished.connect(lambda data, job=job: self._on_load_finished(job, data))
        job.errored.connect(lambda exc, job=job: self._on_load_error(job, exc))
        job.cancelled.connect(lambda job=job: self._load_job is job and self._end_progress())
        self._load_job = job
        return job

    def _on_load_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if message:
            self.statusBar().showMessage(message)

    def _end_progress(self) -> None:
        self._load_job = None
        self.progress.hide()

    def _on_load_finished(self, job: JobWorker, data: MapData) -> None:
        if job is not self._load_job:
            return  # superseded by a later open
        self._end_progress()
        self.apply_map_data(data)
        self.statusBar().showMessage(f"Opened {data.network.name}", 5000)

    def _on_load_error(self, job: JobWorker, exc: BaseException) -> None:
        if job is not self._load_job:
            return
        self._end_progress()
        self.canvas.set_placeholder("No network — File › Open (Ctrl+O)")
        if isinstance(exc, GasOpsError):
            text = str(exc)
        else:
            log.error("unexpected error while opening a network", exc_info=exc)
            text = f"Unexpected error ({type(exc).__name__}): {exc}"
        self.show_error("Cannot open the network", text)
        self.loadFailed.emit(text)

    def show_error(self, title: str, text: str) -> None:
        """A message box (window-modal, non-blocking) with one line saying what went wrong; never a traceback."""
        self.last_error = text
        self.statusBar().showMessage(text, 10000)
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_box = box

    def apply_map_data(self, data: MapData, *, keep_view: bool = False) -> None:
        """Show prepared data (main thread): map, panels, search, title and status bar."""
        network = data.network
        if data.extras.get("path"):
            self._path = data.extras["path"]
        old = self.canvas.network
        if old is not None and old is not network:
            old.changed.disconnect(self._on_network_edit)
        if old is not network:
            network.changed.connect(self._on_network_edit)
        self.canvas.set_map_data(data, keep_view=keep_view and old is network)
        self.layers_dock.set_counts(
            network.counts(), {k: [len(r) for r in rows] for k, rows in data.point_rows.items()}
        )
        self.attributes_dock.clear()
        self.search.set_index(data.extras.get("id_index") or FeatureIdIndex.of(network))
        self._lonlat = Transformer.from_crs(network.crs, CRS.from_epsg(4490), always_xy=True) if network.crs else None
        crs = network.crs
        self.crs_label.setText(
            f"EPSG:{crs.to_epsg()} · {crs.name}" if crs and crs.to_epsg() else (crs.name if crs else "no CRS")
        )
        counts = network.counts()
        parts = [f"{counts[k]:,} {label}" for k, label in (("pipes", "pipes"), ("valves", "valves"),
                 ("regulators", "regulators"), ("customers", "customers")) if counts.get(k)]  # fmt: skip
        self.counts_label.setText(" · ".join(parts))
        where = f" — {source_label(self._path)}" if self._path else ""
        self.setWindowTitle(f"{network.name}{where} — {APP_TITLE}")

    @property
    def network_path(self) -> Path | None:
        """The file the shown network was read from (None for an in-memory or a database network)."""
        return self._path if isinstance(self._path, Path) else None

    @property
    def network_source(self) -> Path | str | None:
        """The file or the PostGIS URL the shown network was read from (None for an in-memory network)."""
        return self._path

    @property
    def network(self) -> GasNetwork | None:
        return self.canvas.network

    def _on_network_edit(self, version: int) -> None:
        """An edit bumped the version: rebuild the map buffers in the background, keeping view and selection."""
        network = self.network
        if network is None:
            return
        if self._edit_job is not None:
            self._edit_job.cancel()
        job = start_job(self.runner, _prepare, network, self._style)
        job.finished.connect(lambda data, n=network: self._on_edit_prepared(n, data))
        self._edit_job = job

    def _on_edit_prepared(self, network: GasNetwork, data: MapData) -> None:
        if data.network is self.network and data.version == network.version:  # else a newer edit is on its way
            self.apply_map_data(data, keep_view=True)

    # -- map interaction -------------------------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        {"pan": self.act_pan, "zoom_box": self.act_zoom_box, "identify": self.act_identify}[tool].setChecked(True)

    def zoom_to_feature(self, feature_id: str) -> Hit | None:
        """Zoom to, select and identify a feature by id; an unknown id is reported in the status bar."""
        if not feature_id or self.network is None:
            return None
        resolved = self.search.resolve(feature_id) or feature_id
        try:
            return self.canvas.zoom_to_feature(resolved)
        except UnknownFeatureError:
            self.statusBar().showMessage(f"No feature with id “{feature_id}” in {self.network.name}", 6000)
            return None

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_selection(self) -> None:
        self.canvas.clear_selection()
        self.attributes_dock.clear()

    def set_pipe_style(self, style: str) -> None:
        self._style = style
        self.settings.setValue("map/pipe_style", style)
        self.canvas.set_pipe_style(style)

    def _on_style_change(self, classification: PipeClassification) -> None:
        self.layers_dock.set_classification(classification)

    def _on_layer_visibility_change(self, layer: str, visible: bool) -> None:
        self.canvas.set_layer_visible(layer, visible)
        self.settings.setValue(f"layers/{layer}/visible", visible)

    def _on_feature_identified(self, hit: Hit | None) -> None:
        if hit is None or self.network is None:
            self.attributes_dock.clear()
            return
        lonlat = None
        if self._lonlat is not None:
            geom = self.network[hit.layer].geometry.array[hit.row]
            c = geom.centroid
            lonlat = self._lonlat.transform(c.x, c.y)
        self.attributes_dock.show_feature(self.network, hit, lonlat)
        self.attributes_dock.show()
        self.attributes_dock.raise_()

    def _on_cursor_move(self, x: float, y: float) -> None:
        self.xy_label.setText(f"X {x:,.1f}  Y {y:,.1f} m")
        if self._lonlat is not None:
            lon, lat = self._lonlat.transform(x, y)
            self.lonlat_label.setText(f"{lon:.6f}°E  {lat:.6f}°N")

    def _on_view_change(self, _box) -> None:
        self.scale_label.setText(f"1:{self.canvas.scale_denominator():,.0f}")

    # -- theme and help ------------------------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return self._theme

    def toggle_theme(self) -> None:
        self.apply_theme(LIGHT if self._theme.name == "dark" else DARK)

    def apply_theme(self, theme: Theme, save: bool = True) -> None:
        self._theme = theme
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, theme)
        self.canvas.set_theme(theme)
        self.layers_dock.set_theme(theme.name)
        for act in self.findChildren(QAction):
            name = act.data()
            if isinstance(name, str):
                act.setIcon(icon(name, theme.text))
        if save:
            save_theme(theme, self.settings)

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS)
        box = QMessageBox(
            QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table>{rows}</table>", QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
