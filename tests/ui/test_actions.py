"""Actions as data: every command is declared once; menus, toolbar, shortcuts and Help come from the declarations."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from console.ui.actions import MENUS, ActionSpec


def _menu_actions(window):
    seen = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is not None:
            seen.extend(a for a in menu.actions() if not a.isSeparator())
    return seen


def test_every_shortcut_of_every_installed_feature_is_in_help(window):
    listed = {row.keys for row in window.actions.shortcuts()}
    for spec in window.actions.specs():
        for key in spec.shortcuts:
            text = key.toString(QKeySequence.SequenceFormat.NativeText)
            if not text:  # a standard key this platform does not bind
                continue
            assert any(text in keys.split(" / ") for keys in listed), f"{spec.id}: {text} missing from Help"


def test_no_two_actions_share_a_shortcut(window):
    owner: dict[str, str] = {}
    for spec in window.actions.specs():
        for text in dict.fromkeys(k.toString() for k in spec.shortcuts):
            if not text:
                continue
            assert text not in owner, f"{text} is bound to both {owner.get(text)} and {spec.id}"
            owner[text] = spec.id


def test_declared_actions_are_in_their_menu_and_menus_in_fixed_order(window):
    in_menus = set(map(id, _menu_actions(window)))
    for spec in window.actions.specs():
        if spec.menu is not None:
            assert id(window.actions[spec.id]) in in_menus, spec.id
    titles = [a.text().replace("&", "").split(" ")[0] for a in window.menuBar().actions()]
    order = [m for m in MENUS if m in titles]
    assert [t for t in titles if t in MENUS] == order
    assert titles[0] == "File" and titles[-1] == "Help"


def test_toolbar_actions_come_from_declarations(window):
    on_toolbar = {id(a) for a in window.toolbar.actions()}
    for spec in window.actions.specs():
        assert (id(window.actions[spec.id]) in on_toolbar) == spec.toolbar, spec.id


def test_a_feature_declaring_late_lands_in_menu_help_and_toolbar(window):
    hits = []
    action = window.actions.declare(
        ActionSpec(
            "test.drill", "Run a drill", lambda: hits.append(1), "Ctrl+Alt+D", "Run a drill", menu="Live", toolbar=True
        )  # fmt: skip
    )
    assert action in window.menu_for("Live").actions()
    assert action in window.toolbar.actions()
    assert any(r.keys == QKeySequence("Ctrl+Alt+D").toString(QKeySequence.SequenceFormat.NativeText)
               for r in window.actions.shortcuts())  # fmt: skip
    action.trigger()
    assert hits == [1]
    with pytest.raises(ValueError, match="declared twice"):
        window.actions.declare(ActionSpec("test.drill", "again", lambda: None))
    with pytest.raises(ValueError, match="unknown menu"):
        window.actions.declare(ActionSpec("test.other", "x", lambda: None, menu="Tools"))


def test_enabled_predicates_are_re_evaluated_on_refresh(window):
    state = {"on": False}
    action = window.actions.declare(ActionSpec("test.gated", "Gated", lambda: None, enabled=lambda: state["on"]))
    assert not action.isEnabled()
    state["on"] = True
    window.actions.refresh()
    assert action.isEnabled()


def test_help_dialog_lists_the_declared_shortcuts(qtbot, window):
    window.show_shortcuts()
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    text = box.text()
    for spec in window.actions.specs():
        for key in spec.shortcuts:
            assert (
                key.toString(QKeySequence.SequenceFormat.NativeText).replace("<", "&lt;") in text or spec.help in text
            )
    box.close()
