from importlib.metadata import EntryPoint

import pytest

from console.app import plugins
from console.app.plugins import PluginRegistry, load_plugins
from console.errors import NetworkFileError

CALLS = []


def register_demo(registry):
    registry.add_reader(".demo.json", lambda path, crs=None: ("demo-reader", str(path)), "Demo JSON")
    registry.add_ui_extension("demo", "some.module:install")


def register_broken(registry):
    raise RuntimeError("plugin exploded")


@pytest.fixture
def fake_entry_points(monkeypatch):
    eps = [
        EntryPoint("builtin", "console.app.builtin:register", plugins.ENTRY_POINT_GROUP),
        EntryPoint("demo", f"{__name__}:register_demo", plugins.ENTRY_POINT_GROUP),
        EntryPoint("broken", f"{__name__}:register_broken", plugins.ENTRY_POINT_GROUP),
        EntryPoint("missing", "no_such_module_anywhere:register", plugins.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(plugins, "_entry_points", lambda group: eps)
    return eps


def test_plugins_register_readers_and_docks_and_failures_are_recorded(fake_entry_points):
    registry = PluginRegistry()
    loaded = {p.name: p for p in load_plugins(registry)}
    assert loaded["builtin"].ok and loaded["demo"].ok
    assert "plugin exploded" in loaded["broken"].error
    assert "ModuleNotFoundError" in loaded["missing"].error
    # The multi-part extension wins over the built-in ".json" reader.
    assert registry.open("x/site.demo.json") == ("demo-reader", "x/site.demo.json")
    assert registry.reader_for("net.gpkg") is registry.readers[".gpkg"][1]
    assert registry.ui_extensions["demo"] == "some.module:install"
    assert "*.gpkg" in registry.file_filter()


def test_only_named_plugins_load(fake_entry_points):
    registry = PluginRegistry()
    loaded = load_plugins(registry, names=["demo"])
    assert [p.name for p in loaded] == ["demo"]
    assert ".gpkg" not in registry.readers


def test_unknown_extension_names_the_file_and_the_known_kinds():
    registry = PluginRegistry()
    registry.add_reader("gpkg", lambda p, crs=None: None)
    with pytest.raises(NetworkFileError, match=r"photo\.png: no reader.*\.gpkg"):
        registry.reader_for("photo.png")


def test_installed_builtin_plugin_is_found():
    names = {ep.name for ep in plugins._entry_points(plugins.ENTRY_POINT_GROUP)}
    assert "builtin" in names
