"""Role layouts: Dispatcher, Planner and Commander, each a saved arrangement of docks.

A role puts the docks it needs in one column beside the map, in two tabbed groups stacked one above the other (the
first dock of each group in front); the docks it does not name are hidden, tabbed behind its second group, so the View
menu brings any of them back in place. One column of about a quarter of the window leaves the map at least 60 % of a
1440×900 window, and the column still fits at 1280×720.

Switching role (View › Role layout, Ctrl+Alt+1/2/3, or the toolbar's role box) first keeps the arrangement the user
made for the role being left (``QMainWindow.saveState`` under ``layouts/<role>``), then restores the one saved for the
new role, or its default. *Reset role layout* goes back to the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, Qt, QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QComboBox, QDockWidget, QScrollArea, QStyle, QTabBar, QTabWidget

from console.ui.actions import ActionSpec
from console.ui.i18n import translate

__all__ = ["ROLES", "Role", "RoleLayouts", "install"]

_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
_LEFT = Qt.DockWidgetArea.LeftDockWidgetArea


@dataclass(frozen=True)
class Role:
    """A role's arrangement: ``top`` and ``bottom`` tab groups (dock object names) in one column on ``side``; the
    docks it does not name are hidden (tabbed behind the bottom group, so the View menu shows them there)."""

    key: str
    title: str  # marked QT_TRANSLATE_NOOP("RoleLayouts", …): shown translated in the toolbar's role box
    action: str  # the View menu's text (context "Actions")
    tip: str  # (context "Actions")
    side: Qt.DockWidgetArea
    top: tuple[str, ...]
    bottom: tuple[str, ...]
    column_share: float = 0.27  # of the window width (a dock's minimum width may take more)
    top_share: float = 0.5  # of the column height

    @property
    def shown(self) -> tuple[str, ...]:
        return self.top + self.bottom


ROLES = (
    Role("dispatcher", QT_TRANSLATE_NOOP("RoleLayouts", "Dispatcher"),
         QT_TRANSLATE_NOOP("Actions", "Dispatcher layout"),
         QT_TRANSLATE_NOOP("Actions", "Arrange the docks for the dispatcher (your changes are kept)"), _RIGHT,
         top=("alarmDock", "ledgerHazardsDock"),
         bottom=("attributesDock", "trendDock", "incidentBoardDock", "isolationDock"), top_share=0.48),
    Role("planner", QT_TRANSLATE_NOOP("RoleLayouts", "Planner"), QT_TRANSLATE_NOOP("Actions", "Planner layout"),
         QT_TRANSLATE_NOOP("Actions", "Arrange the docks for the planner (your changes are kept)"), _LEFT,
         top=("simulationDock", "layersDock", "isolationDock"),
         bottom=("attributesDock", "simulationViolationsDock", "trendDock"),
         top_share=0.55),
    Role("commander", QT_TRANSLATE_NOOP("RoleLayouts", "Commander"),
         QT_TRANSLATE_NOOP("Actions", "Commander layout"),
         QT_TRANSLATE_NOOP("Actions", "Arrange the docks for the emergency commander (your changes are kept)"), _RIGHT,
         top=("incidentDock", "isolationDock", "alarmDock"),
         bottom=("incidentBoardDock", "ledgerHazardsDock", "attributesDock", "trendDock", "ledgerDock"),
         top_share=0.55),
)  # fmt: skip
_BY_KEY = {r.key: r for r in ROLES}


class RoleLayouts:
    """The role layouts of one main window (``window.layouts``)."""

    def __init__(self, window) -> None:
        self.window = window
        self.settings = window.settings
        key = str(self.settings.value("layouts/role", "dispatcher"))
        self.role = _BY_KEY.get(key, ROLES[0])
        self._switched = False
        self._declare()

    # -- building ----------------------------------------------------------------------------------------------------
    def _declare(self) -> None:
        w = self.window
        self.actions = {}
        self.group = QActionGroup(w)  # one role at a time
        for k, role in enumerate(ROLES, start=1):
            # checkable actions call back on toggled: only the one checked by the user switches (not _show_role's)
            spec = ActionSpec(f"view.role_{role.key}", role.action,
                              lambda checked=True, r=role: checked and r is not self.role and self.switch(r.key),
                              f"Ctrl+Alt+{k}", role.tip, menu="View", section="roles", checkable=True)  # fmt: skip
            self.actions[role.key] = w.actions.declare(spec)
            self.group.addAction(self.actions[role.key])
        self.act_next = w.actions.declare(ActionSpec(
            "view.role_next", QT_TRANSLATE_NOOP("Actions", "Next role layout"), lambda *_: self.switch(self._next().key),
            "Ctrl+Alt+0", QT_TRANSLATE_NOOP("Actions", "Switch to the next role's layout"), menu="View",
            section="roles"))  # fmt: skip
        self.act_reset = w.actions.declare(ActionSpec(
            "view.role_reset", QT_TRANSLATE_NOOP("Actions", "Reset role layout"), lambda *_: self.reset(), (),
            QT_TRANSLATE_NOOP("Actions", "Back to the default arrangement of the current role"), menu="View",
            section="roles"))  # fmt: skip
        self.combo = QComboBox(w)
        self.combo.setObjectName("roleLayoutBox")
        self.combo.setToolTip(translate(
            "RoleLayouts", "Role layout (Ctrl+Alt+1/2/3): the docks a dispatcher, planner or commander needs"))  # fmt: skip
        for role in ROLES:
            self.combo.addItem(translate("RoleLayouts", role.title), role.key)
        self.combo.activated.connect(lambda i: self.switch(self.combo.itemData(i)))
        w.toolbar.insertWidget(w.act_theme, self.combo)
        self._show_role()

    def _next(self) -> Role:
        return ROLES[(ROLES.index(self.role) + 1) % len(ROLES)]

    def _show_role(self) -> None:
        for key, act in self.actions.items():
            act.setChecked(key == self.role.key)
        self.combo.setCurrentIndex(ROLES.index(self.role))

    # -- switching ---------------------------------------------------------------------------------------------------
    def docks(self) -> dict[str, QDockWidget]:
        w = self.window
        return {d.objectName(): d for d in w.findChildren(QDockWidget) if d.parent() is w and d.objectName()}

    def switch(self, key: str) -> None:
        """Keep the current role's arrangement, then show ``key``'s (its saved one, else its default)."""
        role = _BY_KEY[key]
        self._switched = True
        self.keep()
        self.role = role
        self.settings.setValue("layouts/role", role.key)
        saved = self.settings.value(f"layouts/{role.key}")
        if isinstance(saved, QByteArray) and not saved.isEmpty() and self.window.restoreState(saved):
            self._tidy_tabs()
            self._settle()
        else:
            self.apply(role)
        self._show_role()  # the toolbar's role box names the layout (a status message would be squeezed to "D")

    def _again(self) -> None:
        """The first start's arrangement again, once the window has its size (unless a role was chosen since)."""
        if not self._switched:
            self.apply()

    def keep(self) -> None:
        """Remember the current arrangement as the current role's."""
        self.settings.setValue(f"layouts/{self.role.key}", self.window.saveState())

    def reset(self) -> None:
        self.settings.remove(f"layouts/{self.role.key}")
        self.apply(self.role)

    def apply(self, role: Role | None = None) -> None:
        """Arrange the docks as ``role`` (default: the current role) says.

        Every dock is first taken out of the layout and then put back group by group: moving docks between existing
        tab groups one at a time leaves Qt's emptied groups (and their tab bars) behind, drawn where docks used to be.
        """
        role = role or self.role
        w = self.window
        docks = self.docks()
        top = [docks[n] for n in role.top if n in docks]
        bottom = [docks[n] for n in role.bottom if n in docks]
        hidden = [d for n, d in docks.items() if n not in role.shown]  # not needed here: View menu brings them
        groups = [g for g in (top, bottom) if g]
        if not groups:
            return
        w.setUpdatesEnabled(False)
        try:
            for dock in docks.values():
                w.removeDockWidget(dock)
                dock.setFloating(False)
            w.addDockWidget(role.side, groups[0][0])
            if len(groups) > 1:
                w.splitDockWidget(groups[0][0], groups[1][0], Qt.Orientation.Vertical)
            for dock in hidden:  # behind the last group: the View menu shows them there
                groups[-1].append(dock)
            for group in groups:
                for dock in group[1:]:
                    w.tabifyDockWidget(group[0], dock)
                for dock in group:
                    dock.setVisible(dock not in hidden)
                group[0].raise_()
        finally:
            w.setUpdatesEnabled(True)
        w.layout().activate()  # Qt sizes docks of a layout it has laid out
        self._size(role, groups)
        self._tidy_tabs()
        self._settle()

    def _size(self, role: Role, groups: list[list[QDockWidget]]) -> None:
        w = self.window
        width = max(int(w.width() * role.column_share), 300)
        w.resizeDocks([groups[0][0]], [width], Qt.Orientation.Horizontal)
        w.layout().activate()
        want = max(self._wanted_width(g[0]) for g in groups)  # the front docks' rows without a horizontal scroll
        if want > groups[0][0].width():
            w.resizeDocks([groups[0][0]], [min(want, max(w.width() // 3, 300))], Qt.Orientation.Horizontal)
        if len(groups) > 1:
            height = max(w.height() - w.menuBar().height() - w.toolbar.height() - w.statusBar().height(), 300)
            first = int(height * role.top_share)
            w.resizeDocks([groups[0][0], groups[1][0]], [first, height - first], Qt.Orientation.Vertical)

    def _wanted_width(self, dock: QDockWidget) -> int:
        """The width that shows ``dock``'s rows whole, with room for a vertical scroll bar when its rows are taller
        than the dock (the bar appears only later, and would then hide the right edge)."""
        body, extra = dock.widget(), 8
        if isinstance(body, QScrollArea) and body.widget() is not None:
            if body.widget().sizeHint().height() > body.viewport().height() or body.verticalScrollBar().isVisible():
                extra += dock.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 2
            body = body.widget()
        return body.sizeHint().width() + extra if body is not None else 0

    def _settle(self) -> None:
        """Lay the window out now, so what is on screen (and a grab) shows the new arrangement at once."""
        w = self.window
        w.layout().activate()
        self._fix_tab_bars()
        self._tidy_tabs()
        w.update()

    def _fix_tab_bars(self) -> None:
        """Show the tab bar of every tabbed group, hide the others.

        Moving docks between groups leaves Qt's emptied groups' tab bars drawn where the docks used to be, and the
        bar of a group just made is not always shown. A group's bar sits right above its front dock, with its
        docks' titles.
        """
        w = self.window
        fronts = [d for d in self.docks().values() if d.isVisible() and not d.isFloating()]
        for bar in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            g = bar.geometry()
            titles = {bar.tabText(i) for i in range(bar.count())}
            heads = bar.count() > 1 and any(
                d.windowTitle() in titles and d.x() == g.x() and d.width() == g.width()
                and abs(d.y() - g.bottom() - 1) <= 2 for d in fronts)  # fmt: skip
            if heads != bar.isVisible():
                bar.setVisible(heads)

    def leftover_tab_bars(self) -> list[QTabBar]:
        """Visible dock tab bars that head no group (what a role switch must never leave behind)."""
        w = self.window
        fronts = [d for d in self.docks().values() if d.isVisible() and not d.isFloating()]
        out = []
        for bar in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            g = bar.geometry()
            if bar.isVisible() and not any(d.x() == g.x() and abs(d.y() - g.bottom() - 1) <= 2 for d in fronts):
                out.append(bar)
        return out

    def _tidy_tabs(self) -> None:
        """Dock tabs on top, with whole titles (scroll buttons when they do not fit), never "Layer…"."""
        w = self.window
        w.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        for bar in w.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
            bar.setExpanding(False)

    def map_share(self) -> float:
        """The map's share of the window area (what the role promises: at least 0.6 at 1440×900)."""
        w, c = self.window, self.window.centralWidget()
        return c.width() * c.height() / max(w.width() * w.height(), 1)


def install(window) -> RoleLayouts:
    """Role layouts for ``window`` (once the features' docks exist): on a first start the current role's default,
    else the arrangement the user left; the current role's arrangement is kept when the window closes."""
    layouts = getattr(window, "layouts", None)
    if layouts is None:
        layouts = window.layouts = RoleLayouts(window)
        window.closing.connect(layouts.keep)
    if window.saved_state() is None:
        layouts.apply()
        QTimer.singleShot(0, layouts._again)  # again once the window has its final size
    else:
        layouts._tidy_tabs()
        QTimer.singleShot(0, layouts._settle)
    return layouts
