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


def test_builtin_formats_come_from_the_one_format_table():
    from console.io import FORMATS

    registry = PluginRegistry()
    load_builtin(registry)
    for fmt in FORMATS.values():
        for ext in fmt.extensions:
            assert (ext in registry.readers) == fmt.reads or ext == ".json"  # ".json" is read by GeoJSON's entry
            if ext.startswith(".") and not fmt.folder:
                assert (ext in registry.writers) == fmt.writes or ext == ".json"
    assert registry.file_filter("read").split(";;")[0] == (
        "Network files (*.gpkg *.geojson *.json *.shp *.net *.xml *.inp)"
    )
    assert registry.file_filter("write").split(";;") == [
        "Network files (*.gpkg *.geojson *.json)",
        "GeoPackage (*.gpkg)",
        "GeoJSON (*.geojson *.json)",
        "All files (*)",
    ]
    assert "postgresql://" in registry.readers and "postgresql://" in registry.writers


def test_builtin_readers_and_writers_round_trip(tmp_path):
    from tests.builders import chain

    registry = PluginRegistry()
    load_builtin(registry)
    network = chain(5)
    for name in ("net.gpkg", "net.geojson", "net_shp"):
        registry.save(network, tmp_path / name)
        assert registry.open(tmp_path / name).counts() == network.counts()
    with pytest.raises(NetworkFileError, match=r"net\.inp: no writer"):
        registry.save(network, tmp_path / "net.inp")


def register_survey(registry):
    from tests.builders import chain

    registry.add_reader(".survey.json", lambda path, crs=None: chain(4), "Site survey")


def test_a_plugin_reader_is_offered_in_file_open_and_opens(monkeypatch):
    from console.app import workspace

    eps = [
        EntryPoint("builtin", "console.app.builtin:register", plugins.ENTRY_POINT_GROUP),
        EntryPoint("survey", f"{__name__}:register_survey", plugins.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(plugins, "_entry_points", lambda group: eps)
    monkeypatch.setattr(plugins, "_default", None)
    open_filter = plugins.default_registry().file_filter().split(";;")
    assert "*.survey.json" in open_filter[0] and "*.gpkg" in open_filter[0]
    assert "Site survey (*.survey.json)" in open_filter
    assert "*.survey.json" not in plugins.default_registry().file_filter("write")
    network = workspace.open_network("yard/site.survey.json")
    assert len(network["pipes"]) == 4


def load_builtin(registry):
    from console.app.builtin import register

    register(registry)
