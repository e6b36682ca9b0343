"""Role layouts (岗位布局): Dispatcher 调度, Planner 规划 and Commander 应急, each a saved arrangement of docks.

A role puts the docks it needs in one column beside the map, in two tabbed groups stacked one above the other (the
first dock of each group in front); docks the role does not name are tabbed behind its second group, so nothing is
lost, and the layer panel of a role that does not need it is hidden (View menu brings it back). One column of about
a quarter of the window leaves the map at least 60 % of a 1440×900 window, and the column still fits at 1280×720.

Switching role (View › Role layout, Ctrl+Alt+1/2/3, or the toolbar's role box) first keeps the arrangement the user
made for the role being left (``QMainWindow.saveState`` under ``layouts/<role>``), then restores the one saved for the
new role, or its default. *Reset role layout* goes back to the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QDockWidget, QTabBar, QTabWidget

from console.ui.actions import ActionSpec

__all__ = ["ROLES", "Role", "RoleLayouts", "install"]

_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
_LEFT = Qt.DockWidgetArea.LeftDockWidgetArea


@dataclass(frozen=True)
class Role:
    """A role's arrangement: ``top`` and ``bottom`` tab groups (dock object names) in one column on ``side``."""

    key: str
    title: str
    side: Qt.DockWidgetArea
    top: tuple[str, ...]
    bottom: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    column_share: float = 0.27  # of the window width
    top_share: float = 0.5  # of the column height

    @property
    def shown(self) -> tuple[str, ...]:
        return self.top + self.bottom


ROLES = (
    Role("dispatcher", "Dispatcher 调度", _RIGHT,
         top=("alarmDock", "ledgerHazardsDock"),
         bottom=("attributesDock", "trendDock", "isolationDock"),
         hidden=("layersDock", "simulationDock", "simulationViolationsDock", "ledgerDock"), top_share=0.48),
    Role("planner", "Planner 规划", _LEFT,
         top=("simulationDock", "layersDock", "isolationDock"),
         bottom=("attributesDock", "simulationViolationsDock", "trendDock"),
         hidden=("alarmDock", "ledgerHazardsDock", "ledgerDock"), top_share=0.58),
    Role("commander", "Commander 应急", _RIGHT,
         top=("isolationDock", "alarmDock"),
         bottom=("ledgerHazardsDock", "attributesDock", "trendDock", "ledgerDock"),
         hidden=("layersDock", "simulationDock", "simulationViolationsDock"), top_share=0.55),
)  # fmt: skip
_BY_KEY = {r.key: r for r in ROLES}


class RoleLayouts:
    """The role layouts of one main window (``window.layouts``)."""

    def __init__(self, window) -> None:
        self.window = window
        self.settings = window.settings
        key = str(self.settings.value("layouts/role", "dispatcher"))
        self.role = _BY_KEY.get(key, ROLES[0])
        self._declare()

    # -- building ----------------------------------------------------------------------------------------------------
    def _declare(self) -> None:
        w = self.window
        self.actions = {}
        for k, role in enumerate(ROLES, start=1):
            spec = ActionSpec(f"view.role_{role.key}", f"{role.title} layout", lambda *_, r=role: self.switch(r.key),
                              f"Ctrl+Alt+{k}", f"Arrange the docks for the {role.title} role (your changes are kept)",
                              menu="View", section="roles", checkable=True)  # fmt: skip
            self.actions[role.key] = w.actions.declare(spec)
        self.act_next = w.actions.declare(ActionSpec(
            "view.role_next", "Next role layout", lambda *_: self.switch(self._next().key), "Ctrl+Shift+L",
            "Switch to the next role's layout", menu="View", section="roles"))  # fmt: skip
        self.act_reset = w.actions.declare(ActionSpec(
            "view.role_reset", "Reset role layout", lambda *_: self.reset(), (),
            "Back to the default arrangement of the current role", menu="View", section="roles"))  # fmt: skip
        self.combo = QComboBox(w)
        self.combo.setObjectName("roleLayoutBox")
        self.combo.setToolTip("Role layout (Ctrl+Alt+1/2/3): the docks a dispatcher, planner or commander needs")
        for role in ROLES:
            self.combo.addItem(role.title, role.key)
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
        self.settings.setValue(f"layouts/{self.role.key}", self.window.saveState())
        self.role = role
        self.settings.setValue("layouts/role", role.key)
        saved = self.settings.value(f"layouts/{role.key}")
        if isinstance(saved, QByteArray) and not saved.isEmpty() and self.window.restoreState(saved):
            self._tidy_tabs()
        else:
            self.apply(role)
        self._show_role()
        self.window.statusBar().showMessage(f"Layout: {role.title}", 4000)

    def reset(self) -> None:
        self.settings.remove(f"layouts/{self.role.key}")
        self.apply(self.role)

    def apply(self, role: Role | None = None) -> None:
        """Arrange the docks as ``role`` (default: the current role) says."""
        role = role or self.role
        w = self.window
        docks = self.docks()
        top = [docks[n] for n in role.top if n in docks]
        bottom = [docks[n] for n in role.bottom if n in docks]
        others = [d for n, d in docks.items() if n not in role.shown and n not in role.hidden]
        bottom += others  # a feature's dock this role does not name: tabbed behind, never lost
        groups = [g for g in (top, bottom) if g]
        for name in role.hidden:
            if name in docks:
                docks[name].hide()
        if not groups:
            return
        for dock in top + bottom:
            dock.setFloating(False)
        w.addDockWidget(role.side, groups[0][0])
        if len(groups) > 1:
            w.splitDockWidget(groups[0][0], groups[1][0], Qt.Orientation.Vertical)
        for group in groups:
            for dock in group[1:]:
                w.tabifyDockWidget(group[0], dock)
            for dock in group:
                dock.show()
            group[0].raise_()
        width = max(int(w.width() * role.column_share), 300)
        w.resizeDocks([groups[0][0]], [width], Qt.Orientation.Horizontal)
        if len(groups) > 1:
            height = max(w.centralWidget().height(), 400)
            first = int(height * role.top_share)
            w.resizeDocks([groups[0][0], groups[1][0]], [first, height - first], Qt.Orientation.Vertical)
        self._tidy_tabs()

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
    """Role layouts for ``window`` (once the features' docks exist); on a first start, the current role's default."""
    layouts = getattr(window, "layouts", None)
    if layouts is None:
        layouts = window.layouts = RoleLayouts(window)
    if window.saved_state() is None:
        layouts.apply()
        QTimer.singleShot(0, layouts.apply)  # again once the window has its final size
    else:
        layouts._tidy_tabs()
    return layouts
