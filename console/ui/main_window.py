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

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError
from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, QEvent, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QPainter
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
from console.app.operators import OperatorService
from console.errors import GasOpsError, UnknownFeatureError
from console.network import GasNetwork, Hit
from console.ui.actions import MENUS, ActionRegistry, ActionSpec, menu_title
from console.ui.docks import follow_identify
from console.ui.docks.attributes_dock import AttributesDock
from console.ui.docks.layers_dock import LayersDock
from console.ui.elided import ElidedLabel
from console.ui.extensions import install_extensions
from console.ui.i18n import declare_language_actions, translate
from console.ui.layouts import install as install_layouts
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
    QT_TRANSLATE_NOOP("MainWindow", "Network files (*.gpkg *.geojson *.json *.shp *.net *.inp)"),
    "GeoPackage (*.gpkg)",
    "GeoJSON (*.geojson *.json)",
    "Shapefile (*.shp)",
    QT_TRANSLATE_NOOP("MainWindow", "GasLib network (*.net)"),
    QT_TRANSLATE_NOOP("MainWindow", "EPANET input (*.inp)"),
    QT_TRANSLATE_NOOP("MainWindow", "All files (*)"),
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


# Feature counts in the status bar: (layer, text with its count).
_COUNT_TEXTS = (
    ("pipes", QT_TRANSLATE_NOOP("MainWindow", "{count} pipes")),
    ("valves", QT_TRANSLATE_NOOP("MainWindow", "{count} valves")),
    ("regulators", QT_TRANSLATE_NOOP("MainWindow", "{count} regulators")),
    ("customers", QT_TRANSLATE_NOOP("MainWindow", "{count} customers")),
)


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


class _ElidedLabel(QLabel):
    """A status-bar label that gives way when the window is narrow: its text is elided (the full text is in the
    tooltip) instead of being cut off or pushing the other labels out."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("EPSG:00000")), hint.height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)

    def shown_text(self) -> str:
        """What is drawn at the current width (tests read it)."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())


def _lonlat_transformer(crs: CRS | None) -> Transformer | None:
    """CGCS2000 longitude/latitude from map coordinates, or None where the CRS has no place on the Earth (a GasLib
    schematic, an EPANET drawing) or no transformation exists."""
    if crs is None or crs.is_engineering:
        return None
    try:
        return Transformer.from_crs(crs, CRS.from_epsg(4490), always_xy=True)
    except ProjError:
        return None


def _file_filters() -> str:
    """File › Open's filters, from the plugin registry: the built-in formats (console.io.FORMATS) and plugins' readers."""
    from console.app.plugins import default_registry

    try:
        return default_registry().file_filter("read")
    except Exception:  # a broken registry must not keep the dialog from opening
        log.exception("file filters from the plugin registry")
        return ";;".join(translate("MainWindow", f) for f in _FALLBACK_FILTERS)


class MainWindow(QMainWindow):
    """GasOps Console's main window. ``networkShown`` fires once the map has painted a newly set network."""

    networkShown = Signal()
    loadFailed = Signal(str)  # the one-line error shown to the user
    closing = Signal()  # the window is closing: features stop their feeds, threads and timers
    networkSaved = Signal(object)  # the network was saved to this file or PostGIS URL

    def __init__(
        self, parent: QWidget | None = None, *, settings: QSettings | None = None, defer_features: bool = False
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()  # window geometry and dock state (Qt's own byte arrays)
        self.prefs = qt_settings(self.settings)  # the declared, typed settings the services share with the CLI
        self.runner = JobRunner(max_workers=2)
        # Who is at the console and what they may do: features pass it to their services (Qt-free, see
        # console.app.operators); the operators feature shows its log-in, switch and lock screens.
        self.operators = OperatorService(idle_lock_s=max(int(self.prefs.get("security/idle_lock_min")), 0) * 60.0)
        self.jobs = QtJobs(
            self.runner, self
        )  # the services' jobs: one current job per channel, outcomes on this thread
        self._theme = load_theme(self.settings)
        self._style = self.prefs.get("map/pipe_style")
        if self._style not in PIPE_STYLES:
            self._style = "pressure_class"
        self._path: Path | str | None = None  # the file, or the PostGIS URL, the network was read from
        self._shown_path: Path | str | None = None  # the source of the network on screen (kept when an open fails)
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
        self._build_status_bar()
        self._connect()
        self.extensions: dict[str, object] = {}
        self._context_providers: list = []
        self.context_menu: QMenu | None = None
        if not defer_features:
            self.extensions = install_extensions(self)
        self._restore_layout()
        if self.extensions:
            install_layouts(self)  # role layouts (dispatcher, planner, commander): once the features' docks exist
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
        install_layouts(self)
        self.apply_theme(self._theme, save=False)
        if self.network is not None and self._load_job is None:
            # The first network was shown before the features existed: announce it again, so each feature takes it
            # up as it does every later one (the demo district starts its simulator, segments are pre-built).
            self.networkShown.emit()

    # -- building --------------------------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        """The window's own commands, declared once (see console.ui.actions): menus, toolbar and Help follow."""
        self.actions = ActionRegistry(self)
        self.toolbar = tb = QToolBar(translate("MainWindow", "Map tools"), self)
        tb.setObjectName("mapToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(tb)
        self._menus: dict[str, QMenu] = {}
        self._toolbar_section: str | None = None
        self._toolbar_anchor: QAction | None = None  # features' toolbar actions go before it (theme, help)
        self.view_menu = self.menu_for("View")
        K = QKeySequence.StandardKey
        tool = lambda name: lambda checked: checked and self.set_tool(name)  # noqa: E731
        # attribute, id, text, callback, keys, tip, menu, section, toolbar, checkable, icon
        table = (
            ("act_open", "file.open", QT_TRANSLATE_NOOP("Actions", "&Open network…"), self.open_file_dialog, K.Open,
             QT_TRANSLATE_NOOP("Actions", "Open a network file"),
             "File", "open", True, False, "open"),
            ("act_open_db", "file.open_postgis", QT_TRANSLATE_NOOP("Actions", "Open from Post&GIS…"),
             self.open_database_dialog, "Ctrl+Shift+O",
             QT_TRANSLATE_NOOP("Actions", "Open a network stored in a PostGIS database"),
             "File", "open", False, False, None),
            ("act_demo", "file.demo", QT_TRANSLATE_NOOP("Actions", "Open &demo district"), self.open_demo, (),
             QT_TRANSLATE_NOOP("Actions", "Open the bundled demo district"),
             "File", "open", False, False, None),
            ("act_save", "file.save", QT_TRANSLATE_NOOP("Actions", "&Save"), self.save, K.Save,
             QT_TRANSLATE_NOOP("Actions", "Save the network to its file or PostGIS schema"),
             "File", "save", False, False, None),
            ("act_save_as", "file.save_as", QT_TRANSLATE_NOOP("Actions", "Save &as…"), self.save_as, "Ctrl+Shift+S",
             QT_TRANSLATE_NOOP("Actions", "Save the network to another file"),
             "File", "save", False, False, None),
            ("act_quit", "file.quit", QT_TRANSLATE_NOOP("Actions", "&Quit"), self.close, (K.Quit, "Ctrl+Q"),
             QT_TRANSLATE_NOOP("Actions", "Quit GasOps Console"),
             "File", "quit", False, False, None),
            ("act_pan", "view.pan", QT_TRANSLATE_NOOP("Actions", "&Pan"), tool("pan"), "P",
             QT_TRANSLATE_NOOP("Actions", "Pan: drag to move the map"),
             "View", "tools", True, True, "pan"),
            ("act_zoom_box", "view.zoom_box", QT_TRANSLATE_NOOP("Actions", "&Zoom box"), tool("zoom_box"), "Z",
             QT_TRANSLATE_NOOP("Actions", "Zoom box: drag a rectangle to zoom into"),
             "View", "tools", True, True, "zoom_box"),
            ("act_identify", "view.identify", QT_TRANSLATE_NOOP("Actions", "&Identify"), tool("identify"), "I",
             QT_TRANSLATE_NOOP("Actions", "Identify: click a feature to see its attributes"),
             "View", "tools", True, True, "identify"),
            ("act_zoom_in", "view.zoom_in", QT_TRANSLATE_NOOP("Actions", "Zoom &in"),
             lambda: self.canvas.zoom_by(2.0), ("+", "=", K.ZoomIn),
             QT_TRANSLATE_NOOP("Actions", "Zoom in"),
             "View", "zoom", True, False, "zoom_in"),
            ("act_zoom_out", "view.zoom_out", QT_TRANSLATE_NOOP("Actions", "Zoom &out"),
             lambda: self.canvas.zoom_by(0.5), ("-", K.ZoomOut),
             QT_TRANSLATE_NOOP("Actions", "Zoom out"),
             "View", "zoom", True, False, "zoom_out"),
            ("act_extent", "view.extent", QT_TRANSLATE_NOOP("Actions", "Zoom to &extent"),
             self.canvas.zoom_to_extent, "Home",
             QT_TRANSLATE_NOOP("Actions", "Zoom to the whole network"),
             "View", "zoom", True, False, "extent"),
            ("act_find", "view.find", QT_TRANSLATE_NOOP("Actions", "&Find feature…"), self.focus_search, K.Find,
             QT_TRANSLATE_NOOP("Actions", "Find a feature by id or street"),
             "View", "zoom", False, False, "search"),
            ("act_clear", "view.clear", QT_TRANSLATE_NOOP("Actions", "&Clear selection"), self.clear_selection, "Esc",
             QT_TRANSLATE_NOOP("Actions", "Clear the selection (and leave a map tool)"),
             "View", "zoom", False, False, "clear"),
            (None, "", "", None, (), "", "", "", False, False, None),  # the search box and a spacer go here
            ("act_theme", "view.theme", QT_TRANSLATE_NOOP("Actions", "Dark / light &theme"),
             self.toggle_theme, "Ctrl+Shift+T",
             QT_TRANSLATE_NOOP("Actions", "Switch between the dark and light theme"),
             "View", "theme", True, False, "theme"),
            ("act_help", "help.manual", QT_TRANSLATE_NOOP("Actions", "User &manual"), self.show_manual, K.HelpContents,
             QT_TRANSLATE_NOOP("Actions", "The user manual: every screen, workflow and shortcut"),
             "Help", "", True, False, "help"),
            ("act_shortcuts", "help.shortcuts", QT_TRANSLATE_NOOP("Actions", "&Keyboard shortcuts"),
             self.show_shortcuts, "Ctrl+F1",
             QT_TRANSLATE_NOOP("Actions", "Keyboard shortcuts"),
             "Help", "", False, False, None),
        )  # fmt: skip
        tools = QActionGroup(self)
        for attr, action_id, text, callback, keys, tip, menu, section, toolbar, checkable, icon_name in table:
            if attr is None:
                tb.addSeparator()
                tb.addWidget(self.search)
                spacer = QWidget()
                spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                tb.addWidget(spacer)
                self._toolbar_section = None
                continue
            spec = ActionSpec(action_id, text, callback, keys, tip, menu=menu, section=section, toolbar=toolbar,
                              checkable=checkable, icon=icon_name)  # fmt: skip
            setattr(self, attr, self.actions.declare(spec))
            if section == "tools":
                tools.addAction(getattr(self, attr))
        self.act_pan.setChecked(True)
        declare_language_actions(self)  # View › Language
        self._toolbar_anchor = self.act_theme
        self.actions.add_help(translate("Actions", "Wheel"), translate("Actions", "Zoom about the cursor"))
        self.actions.add_help(translate("Actions", "Right-click"),
                              translate("Actions", "What can be done with the feature under the cursor"))  # fmt: skip

    def menu_for(self, name: str) -> QMenu:
        """The menu ``name`` (one of console.ui.actions.MENUS), created in menu-bar order on first use."""
        menu = self._menus.get(name)
        if menu is None:
            menu = QMenu(menu_title(name), self)
            menu.setObjectName(f"menu{name}")
            later = [self._menus[m] for m in MENUS[MENUS.index(name) + 1 :] if m in self._menus]
            if later:
                self.menuBar().insertMenu(later[0].menuAction(), menu)
            else:
                self.menuBar().addMenu(menu)
            self._menus[name] = menu
        return menu

    def add_toolbar_action(self, action: QAction, section: str = "") -> None:
        """A declared action on the toolbar: the window's own in order, a feature's before the theme switch."""
        if self._toolbar_anchor is not None:
            self.toolbar.insertAction(self._toolbar_anchor, action)
            return
        if self._toolbar_section is not None and section != self._toolbar_section:
            self.toolbar.addSeparator()
        self._toolbar_section = section
        self.toolbar.addAction(action)

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

    @property
    def analysis_menu(self) -> QMenu:
        return self.menu_for("Analysis")

    def add_analysis_action(self, action, *, toolbar: bool = False):
        """A plugin's ready-made QAction in the Analysis menu (built-in features declare ActionSpecs instead)."""
        self.menu_for("Analysis").addAction(action)
        if toolbar:
            self.add_toolbar_action(action)
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
        self.crs_label = _ElidedLabel()
        self.counts_label = _ElidedLabel()
        for w, tip in (
            (self.xy_label, translate("MainWindow", "Projected coordinates under the cursor (metres)")),
            (self.lonlat_label, translate("MainWindow", "Longitude / latitude under the cursor (CGCS2000)")),
            (self.scale_label, translate("MainWindow", "Map scale on this screen")),
            (self.crs_label, translate("MainWindow", "Coordinate reference system of the network")),
            (self.counts_label, translate("MainWindow", "Feature counts")),
        ):
            w.setToolTip(tip)
        mono = self.xy_label.font()
        mono.setStyleHint(mono.StyleHint.Monospace)
        mono.setFamily("DejaVu Sans Mono")
        for w, widest in (
            (self.xy_label, "X 41,405,000.0  Y 3,320,000.0 m"),
            (self.lonlat_label, "122.000000°E  30.000000°N"),
        ):
            w.setFont(mono)
            # room for a Gauss-Krüger easting with its zone number, so the readout does not clip as the cursor moves
            w.setMinimumWidth(w.fontMetrics().horizontalAdvance(widest) + 6)
        # Temporary messages are shown in a label of their own that takes the free width first: elided with "…"
        # (the full text in its tooltip), while the least useful permanent readouts step aside when space is short.
        self.message_label = ElidedLabel(min_chars=24)
        self.message_label.setObjectName("statusMessage")
        sb.addPermanentWidget(self.message_label, 1)
        sb.messageChanged.connect(self._on_status_message)
        sb.addPermanentWidget(self.progress)
        for w in (self.xy_label, self.lonlat_label, self.scale_label, self.crs_label, self.counts_label):
            sb.addPermanentWidget(w)
        sb.installEventFilter(self)

    # The permanent readouts that give way to a message, least useful first.
    STATUS_YIELD_ORDER = ("lonlat_label", "xy_label", "counts_label", "crs_label")
    STATUS_MESSAGE_ROOM = 460  # px a message gets before the readouts step aside
    STATUS_ELIDED_ROOM = 180  # px counted for a readout that elides (the CRS, the feature counts)

    def _on_status_message(self, text: str) -> None:
        self.message_label.setText(text)
        self._fit_status_bar()

    def _fit_status_bar(self) -> None:
        """Show the permanent readouts that fit beside the message: when the current message needs more room than
        is left, hide the readouts in :attr:`STATUS_YIELD_ORDER` until it has :attr:`STATUS_MESSAGE_ROOM` px (or its
        full width, if less); they come back when the message clears or the window widens."""
        sb = self.statusBar()
        text = self.message_label.text()
        need = min(self.message_label.fontMetrics().horizontalAdvance(text) + 12, self.STATUS_MESSAGE_ROOM)
        widgets = [getattr(self, name) for name in self.STATUS_YIELD_ORDER]
        others = [w for w in sb.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                  if not w.isHidden() and w not in widgets and w is not self.message_label]  # fmt: skip
        spacing = 8

        def room(w: QWidget) -> int:  # an elided readout does with part of its text (all of it in the tooltip)
            width = max(w.sizeHint().width(), w.minimumWidth())
            return min(width, self.STATUS_ELIDED_ROOM) if isinstance(w, _ElidedLabel) else width

        used = sum(room(w) + spacing for w in others) + 24
        budget = sb.width() - used - (need if text else self.message_label.minimumSizeHint().width())
        widths = [room(w) + spacing for w in widgets]
        hide = 0  # the first ``hide`` in the yield order step aside until the rest fit
        while hide < len(widgets) and sum(widths[hide:]) > budget:
            hide += 1
        for k, w in enumerate(widgets):
            w.setVisible(k >= hide)
        # The elided readouts shown share what the others leave (never less than their minimum), so the layout does
        # not give them their whole text at the message's expense.
        elided = [w for k, w in enumerate(widgets) if k >= hide and isinstance(w, _ElidedLabel)]
        spare = budget - sum(widths[k] for k in range(hide, len(widgets)) if not isinstance(widgets[k], _ElidedLabel))
        for w in elided:
            w.setMaximumWidth(max(w.minimumSizeHint().width(), spare // len(elided) - spacing))

    def eventFilter(self, obj, event) -> bool:
        if obj is self.statusBar() and event.type() == QEvent.Type.Resize:
            self._fit_status_bar()
        return super().eventFilter(obj, event)

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
        self.search.boundsRequested.connect(lambda box: self.canvas.set_map_range(*box, padding=0.08))
        follow_identify(self)  # identify panel: co-located features

    # -- settings ----------------------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if (state := self.saved_state()) is not None:
            self.restoreState(state)
        for layer in ("pipes", *self.canvas.points):
            if not self.prefs.get(f"layers/{layer}/visible", True):
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
        if self.isWindowModified() and not self.confirm_discard():
            event.ignore()
            return
        self.closing.emit()
        self.save_settings()
        if self._load_job is not None:
            self._load_job.cancel()
        self.canvas.shutdown()
        self.runner.shutdown(wait=False)
        super().closeEvent(event)

    # -- saving (the editing feature marks the window modified and may set ``saver``) -----------------------------------
    saver = None  # (network, target) -> None; default: write the whole network (console.io.write_network)

    def save(self) -> bool:
        """Save to the file or PostGIS schema the network came from (Save As when it came from neither)."""
        target = self.network_source
        if self.network is None:
            return False
        return self._save_to(target) if target is not None else self.save_as()

    def save_as(self) -> bool:
        if self.network is None:
            return False
        path, _ = QFileDialog.getSaveFileName(
            self, translate("MainWindow", "Save network as"), str(self.network_path or ""), _file_filters()
        )
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, target: Path | str) -> bool:
        from console.io import write_network

        try:
            (self.saver or write_network)(self.network, target)
        except GasOpsError as exc:
            self.show_error(translate("MainWindow", "Save failed"), str(exc))
            return False
        self._path = self._shown_path = target
        self.setWindowTitle(f"{self.network.name}[*] — {source_label(target)} — {APP_TITLE}")
        self.setWindowModified(False)
        self.statusBar().showMessage(
            translate("MainWindow", "Saved to {target}").format(target=source_label(target)), 5000
        )
        self.networkSaved.emit(target)
        return True

    def confirm_discard(self) -> bool:
        """Ask what to do with unsaved edits: True to go on (saved or discarded), False to stay."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, translate("MainWindow", "Unsaved edits"),
                                      translate("MainWindow", "The network has unsaved edits. Save them first?"),
                                      buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)  # fmt: skip
        return answer == buttons.Discard or (answer == buttons.Save and self.save())

    # -- loading -----------------------------------------------------------------------------------------------------
    def open_file_dialog(self) -> None:
        start = self.prefs.get("files/last_dir") or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, translate("MainWindow", "Open network"), start, _file_filters())
        if path:
            self.prefs.set("files/last_dir", str(Path(path).parent))
            self.open_path(path)

    def open_database_dialog(self) -> None:
        """Ask for a PostGIS URL (the last one offered again, without its password) and open it."""
        last = self.prefs.get("files/last_database")
        url, ok = QInputDialog.getText(
            self,
            translate("MainWindow", "Open from PostGIS"),
            translate(
                "MainWindow",
                "Database URL — postgresql://user@host:5432/db?schema=NAME\n"
                "(the password from PGPASSWORD or ~/.pgpass; it is never stored or shown):",
            ),
            text=last,
        )
        url = url.strip()
        if not ok or not url:
            return
        from console.io import is_database_url, redact_url

        if not is_database_url(url):
            self.show_error(
                translate("MainWindow", "Open from PostGIS"),
                translate("MainWindow", "{url}: not a postgresql:// or postgis:// URL").format(url=url[:200]),
            )
            return
        self.prefs.set("files/last_database", redact_url(url))
        self.open_path(url)

    def open_path(self, path: str | os.PathLike) -> JobWorker:
        """Load a network file (or a ``postgresql://`` URL) in the background; the map shows it when ready."""
        source = source_of(path)
        return self._start_load(
            source, translate("MainWindow", "Opening {source}…").format(source=source_label(source))
        )

    def open_preloaded(self, future: Future, path: str | os.PathLike | None = None) -> JobWorker:
        """Show a network whose reading already started elsewhere (the command line starts it before Qt loads)."""
        self._path = source_of(path) if path else None
        return self._start_job(
            prepare_preloaded, (future, self._style), translate("MainWindow", "Opening the network…")
        )

    def open_demo(self) -> JobWorker:
        """Load (generating it the first time) the bundled demo district in the background."""
        return self._start_load(None, translate("MainWindow", "Opening the demo district…"))

    def set_network(self, network: GasNetwork, path: str | os.PathLike | None = None) -> JobWorker:
        """Show an in-memory network (its map buffers are prepared in the background)."""
        source = path or network.source
        self._path = source_of(source) if source else None
        return self._start_job(
            _prepare,
            (network, self._style),
            translate("MainWindow", "Preparing {network}…").format(network=network.name),
        )

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
        self.statusBar().showMessage(
            translate("MainWindow", "Opened {network}").format(network=data.network.name), 5000
        )

    def _on_load_error(self, job: JobWorker, exc: BaseException) -> None:
        if job is not self._load_job:
            return
        self._end_progress()
        # The network on screen stays as it was: its source, title, CRS, counts and map (only the attempt failed).
        self._path = self._shown_path
        if self.network is None:
            self.canvas.set_placeholder(translate("MapCanvas", "No network — File › Open (Ctrl+O)"))
        if isinstance(exc, GasOpsError):
            text = str(exc)
        else:
            log.error("unexpected error while opening a network", exc_info=exc)
            text = translate("MainWindow", "Unexpected error ({kind}): {error}").format(
                kind=type(exc).__name__, error=exc
            )
        text = " ".join(text.split())  # one line, whatever the message held
        self.show_error(translate("MainWindow", "Cannot open the network"), text)
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
        self._lonlat = _lonlat_transformer(network.crs)
        crs = network.crs
        epsg = crs.to_epsg() if crs else None
        no_crs = translate("MainWindow", "no CRS")
        crs_text = f"EPSG:{epsg} · {crs.name}" if epsg else (crs.name if crs else no_crs)
        self.crs_label.setText(crs_text)  # elided
        self.crs_label.setToolTip(translate("MainWindow", "Coordinate reference system: {crs}").format(crs=crs_text))
        counts = network.counts()
        parts = [translate("MainWindow", text).format(count=f"{counts[k]:,}") for k, text in _COUNT_TEXTS
                 if counts.get(k)]  # fmt: skip
        self.counts_label.setText(" · ".join(parts))
        self.counts_label.setToolTip(
            translate("MainWindow", "Feature counts: {counts}").format(
                counts=", ".join(parts) or translate("MainWindow", "none")
            )
        )
        where = f" — {source_label(self._path)}" if self._path else ""
        self.setWindowTitle(f"{network.name}[*]{where} — {APP_TITLE}")  # [*]: the modified marker
        self._shown_path = self._path

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
            self.statusBar().showMessage(translate("MainWindow", "No feature with id “{id}” in {network}").format(
                id=feature_id, network=self.network.name), 6000)  # fmt: skip
            return None

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_selection(self) -> None:
        self.canvas.clear_selection()
        self.attributes_dock.clear()

    def set_pipe_style(self, style: str) -> None:
        self._style = style
        self.prefs.set("map/pipe_style", style)
        self.canvas.set_pipe_style(style)

    def _on_style_change(self, classification: PipeClassification) -> None:
        self.layers_dock.set_classification(classification)

    def _on_layer_visibility_change(self, layer: str, visible: bool) -> None:
        self.canvas.set_layer_visible(layer, visible)
        self.prefs.set(f"layers/{layer}/visible", visible)

    def _on_feature_identified(self, hit: Hit | None) -> None:
        if hit is None or self.network is None:
            self.attributes_dock.clear()
            return
        lonlat = None
        if self._lonlat is not None:
            geom = self.network[hit.layer].geometry.array[hit.row]
            c = geom.centroid
            lonlat = self._lonlat.transform(c.x, c.y)
            lonlat = lonlat if np.isfinite(lonlat).all() else None
        self.attributes_dock.show_feature(self.network, hit, lonlat)
        self.attributes_dock.show()
        self.attributes_dock.raise_()

    def _on_cursor_move(self, x: float, y: float) -> None:
        self.xy_label.setText(f"X {x:,.1f}  Y {y:,.1f} m")
        if self._lonlat is not None:
            lon, lat = self._lonlat.transform(x, y)
            ok = np.isfinite(lon) and np.isfinite(lat)
            self.lonlat_label.setText(f"{lon:.6f}°E  {lat:.6f}°N" if ok else "—°E  —°N")

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
        self.actions.set_icon_colour(theme.text)
        if save:
            save_theme(theme, self.settings)

    def show_manual(self) -> None:
        from console.ui.help import show_manual

        show_manual(self)

    def show_shortcuts(self) -> None:
        rows, menu = [], None
        for row in self.actions.shortcuts():
            if row.menu != menu:
                menu = row.menu
                rows.append(f"<tr><td colspan=2><br><b>{menu_title(menu).replace('&', '')}</b></td></tr>")
            rows.append(f"<tr><td><b>{row.keys}</b>&nbsp;&nbsp;</td><td>{row.text}</td></tr>")
        rows = "".join(rows)
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            translate("MainWindow", "Keyboard shortcuts"),
            f"<table>{rows}</table>",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
