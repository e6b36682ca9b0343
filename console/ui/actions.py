"""Actions as data: every command of the window is declared once, and the menus, the toolbar, the window-wide
shortcuts and Help › Keyboard shortcuts are all built from the declarations, so none can be missing from Help.

A feature declares its commands when it installs::

    window.actions.declare(ActionSpec("isolation.isolate", QT_TRANSLATE_NOOP("Actions", "Isolate here"),
                                      controller.set_tool_active, shortcut="Ctrl+I", menu="Analysis", toolbar=True,
                                      checkable=True,
                                      tip=QT_TRANSLATE_NOOP("Actions", "Isolate here: click where the gas escapes")))

Texts are English, marked with ``QT_TRANSLATE_NOOP("Actions", …)`` so ``lupdate`` extracts them; the registry shows
them translated (context ``Actions``, see :mod:`console.ui.i18n`). It gets the ``QAction`` back for state it must show (checked, enabled). ``enabled`` predicates are re-evaluated by
:meth:`ActionRegistry.refresh` (the window calls it when a network is shown or a feature's state changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu

__all__ = ["MENUS", "ActionRegistry", "ActionSpec", "Shortcut"]

# The window's menus, in menu-bar order; a menu appears when its first action is declared.
MENUS = ("File", "Edit", "View", "Analysis", "Live", "Ledger", "Help")
MENU_TEXT = {"File": QT_TRANSLATE_NOOP("Menus", "&File"), "Edit": QT_TRANSLATE_NOOP("Menus", "&Edit"),
             "View": QT_TRANSLATE_NOOP("Menus", "&View"), "Analysis": QT_TRANSLATE_NOOP("Menus", "&Analysis"),
             "Live": QT_TRANSLATE_NOOP("Menus", "&Live"), "Ledger": QT_TRANSLATE_NOOP("Menus", "L&edger"),
             "Help": QT_TRANSLATE_NOOP("Menus", "&Help")}  # fmt: skip


def menu_title(name: str) -> str:
    """A menu's title in the current language."""
    from console.ui.i18n import translate

    return translate("Menus", MENU_TEXT.get(name, name))


KeySpec = str | QKeySequence.StandardKey | QKeySequence


@dataclass(frozen=True)
class ActionSpec:
    """One command: what it is called, what it does, where it appears and when it can be used.

    ``callback`` receives the checked state for a checkable action, nothing otherwise. ``icon`` is a name from
    :mod:`console.ui.icons` (stroked in the theme's text colour) or a function ``(text_colour) -> QIcon``.
    ``permission`` names what the action needs (``"alarm.acknowledge"`` …): the action is disabled while the operator at
    the console may not do it, so the menus show what they may do. ``menu=None`` keeps an action out of the menus (a window-wide shortcut only); ``section`` starts a separated group
    within the menu when it changes. ``help`` overrides the text shown in the shortcut list.
    """

    id: str
    text: str
    callback: Callable[..., Any]
    shortcut: KeySpec | Sequence[KeySpec] = ()
    tip: str = ""
    menu: str | None = "Analysis"
    section: str = ""
    toolbar: bool = False
    checkable: bool = False
    icon: str | Callable[[str], QIcon] | None = None
    enabled: Callable[[], bool] | None = None
    help: str = ""
    permission: str = (
        ""  # console.app.operators.PERMISSIONS: disabled (with the reason as tip) when the operator may not
    )

    @property
    def shortcuts(self) -> list[QKeySequence]:
        keys = self.shortcut
        if isinstance(keys, (str, QKeySequence.StandardKey, QKeySequence)):
            keys = (keys,) if keys != "" else ()
        return [k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys]


def _translated(spec: ActionSpec) -> ActionSpec:
    """``spec`` with its texts in the current language (context ``Actions``)."""
    from console.ui.i18n import translate

    return replace(spec, text=translate("Actions", spec.text), tip=translate("Actions", spec.tip) if spec.tip else "",
                   help=translate("Actions", spec.help) if spec.help else "")  # fmt: skip


@dataclass(frozen=True)
class Shortcut:
    """A line of Help › Keyboard shortcuts."""

    keys: str
    text: str
    menu: str


class ActionRegistry(QObject):
    """The declared actions of one main window.

    ``window`` must provide ``menu_for(name) -> QMenu`` and ``add_toolbar_action(action)``; the registry owns the
    QActions (parented to the window, added to it so their shortcuts work while menus and toolbar are hidden).
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._specs: dict[str, ActionSpec] = {}
        self._actions: dict[str, QAction] = {}
        self._sections: dict[str, str] = {}
        self._extra_help: list[Shortcut] = []
        self._icon_colour = "#000000"

    # -- declaring ---------------------------------------------------------------------------------------------------
    def declare(self, spec: ActionSpec) -> QAction:
        """Create the QAction of ``spec`` and put it where the spec says. Declaring an id twice is an error."""
        if spec.id in self._specs:
            raise ValueError(f"action {spec.id!r} is declared twice")
        if spec.menu is not None and spec.menu not in MENUS:
            raise ValueError(f"action {spec.id!r}: unknown menu {spec.menu!r} (one of {', '.join(MENUS)})")
        spec = _translated(spec)
        action = QAction(spec.text, self.window)
        action.setObjectName(spec.id)
        keys = spec.shortcuts
        tip = spec.tip or spec.text.replace("&", "")
        if keys:
            action.setShortcuts(keys)
            tip = f"{tip} ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        if spec.checkable:
            action.toggled.connect(spec.callback)
        else:
            action.triggered.connect(lambda *_: spec.callback())
        self.window.addAction(action)
        self._specs[spec.id] = spec
        self._actions[spec.id] = action
        self._apply_icon(spec, action)
        if spec.menu is not None:
            menu: QMenu = self.window.menu_for(spec.menu)
            if spec.section and self._sections.get(spec.menu, spec.section) != spec.section and menu.actions():
                menu.addSeparator()
            self._sections[spec.menu] = spec.section
            menu.addAction(action)
        if spec.toolbar:
            self.window.add_toolbar_action(action)
        if spec.enabled is not None or spec.permission:
            self._update(spec, action)
        return action

    def add_help(self, keys: str, text: str, menu: str = "View") -> None:
        """A line for the shortcut list that is not an action (mouse gestures: wheel zoom, Shift+click …)."""
        self._extra_help.append(Shortcut(keys, text, menu))

    # -- reading -----------------------------------------------------------------------------------------------------
    def __getitem__(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def __contains__(self, action_id: str) -> bool:
        return action_id in self._actions

    def get(self, action_id: str) -> QAction | None:
        return self._actions.get(action_id)

    def spec(self, action_id: str) -> ActionSpec:
        return self._specs[action_id]

    def specs(self) -> list[ActionSpec]:
        return list(self._specs.values())

    def shortcuts(self) -> list[Shortcut]:
        """Every declared shortcut (and the extra help lines), grouped by menu in menu-bar order."""
        rows = []
        for spec in self._specs.values():
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in spec.shortcuts]
            keys = [k for k in keys if k]
            if keys:
                rows.append(Shortcut(" / ".join(keys), spec.help or (spec.tip or spec.text).replace("&", ""),
                                     spec.menu or "View"))  # fmt: skip
        rows.extend(self._extra_help)
        order = {m: i for i, m in enumerate(MENUS)}
        return sorted(rows, key=lambda r: order.get(r.menu, len(MENUS)))

    # -- state -------------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-evaluate every ``enabled`` predicate and permission (after a state change, a log-in or a switch)."""
        for action_id, spec in self._specs.items():
            if spec.enabled is not None or spec.permission:
                self._update(spec, self._actions[action_id])

    def _allowed(self, spec: ActionSpec) -> bool:
        authority = getattr(self.window, "operators", None)
        return not spec.permission or authority is None or authority.can(spec.permission)

    def _update(self, spec: ActionSpec, action: QAction) -> None:
        allowed = self._allowed(spec)
        action.setEnabled(allowed and (spec.enabled is None or bool(spec.enabled())))
        tip = spec.tip or spec.text.replace("&", "")
        if not allowed:
            from console.app.operators import PERMISSIONS
            from console.ui.i18n import translate

            needed = translate("Permissions", PERMISSIONS.get(spec.permission, spec.permission))
            tip = translate("Actions", "{tip} — your roles do not allow this ({permission})").format(
                tip=tip, permission=needed
            )
        action.setStatusTip(tip)

    def set_icon_colour(self, colour: str) -> None:
        """Redraw every icon in ``colour`` (the theme changed)."""
        self._icon_colour = colour
        for action_id, spec in self._specs.items():
            self._apply_icon(spec, self._actions[action_id])

    def _apply_icon(self, spec: ActionSpec, action: QAction) -> None:
        if spec.icon is None:
            return
        if isinstance(spec.icon, str):
            from console.ui.icons import icon

            action.setIcon(icon(spec.icon, self._icon_colour))
        else:
            action.setIcon(spec.icon(self._icon_colour))
