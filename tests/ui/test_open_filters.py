"""File › Open offers every reader in the plugin registry, and a file of a plugin's kind opens on the map."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from console.app import plugins
from tests.ui.conftest import SETTLE_TIMEOUT_MS


def register_survey(registry):
    from tests.ui.synthetic import district

    registry.add_reader(".survey.json", lambda path, crs=None: district(4, name="Survey yard"), "Site survey")


def test_a_plugin_reader_appears_in_file_open_and_opens(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    eps = [
        EntryPoint("builtin", "console.app.builtin:register", plugins.ENTRY_POINT_GROUP),
        EntryPoint("survey", f"{__name__}:register_survey", plugins.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(plugins, "_entry_points", lambda group: eps)
    monkeypatch.setattr(plugins, "_default", None)
    offered = []

    def choose(parent, title, start, filters):
        offered.extend(filters.split(";;"))
        return "/site/yard.survey.json", filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.open_file_dialog()
    assert "*.survey.json" in offered[0] and "*.gpkg" in offered[0]
    assert "Site survey (*.survey.json)" in offered
    assert "GeoPackage (*.gpkg)" in offered and offered[-1] == "All files (*)"
    assert window.network.name == "Survey yard"
