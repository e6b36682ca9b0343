"""Settings: declared, typed, Qt-free, shared by the GUI (QSettings backend) and the CLI (JSON file)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from console.app.settings import SETTINGS, JsonFileBackend, MemoryBackend, Settings


def test_declared_defaults_and_types():
    s = Settings(MemoryBackend())
    assert s.get("telemetry/autostart_demo") is True
    assert s.get("isolation/order") == "upstream_first"
    assert s.get("ui/recent_files") == []
    assert all(setting.doc for setting in SETTINGS.values())


def test_strings_from_an_ini_backend_are_converted_back():
    s = Settings(MemoryBackend({"telemetry/autostart_demo": "false", "telemetry/mqtt/autoconnect": "true"}))
    assert s.get("telemetry/autostart_demo") is False
    assert s.get("telemetry/mqtt/autoconnect") is True


def test_a_bad_stored_value_falls_back_to_the_default():
    s = Settings(MemoryBackend({"map/pipe_style": None}))
    assert s.get("map/pipe_style") == "pressure_class"


def test_changes_are_announced_per_key():
    s = Settings(MemoryBackend())
    seen = []
    s.on_change("isolation/order", seen.append)
    s.set("ui/theme", "light")
    s.set("isolation/order", "nearest_first")
    assert seen == ["nearest_first"]


def test_json_file_backend_survives_a_restart_and_a_corrupt_file(tmp_path):
    path = tmp_path / "settings.json"
    Settings(JsonFileBackend(path)).set("isolation/export_dir", "/srv/exports")
    assert json.loads(path.read_text())["isolation/export_dir"] == "/srv/exports"
    assert Settings(JsonFileBackend(path)).get("isolation/export_dir") == "/srv/exports"
    path.write_text("{not json", encoding="utf-8")
    assert Settings(JsonFileBackend(path)).get("isolation/export_dir") == ""  # defaults, no traceback
    assert not list(tmp_path.glob(".settings.json.tmp-*"))


@given(st.one_of(st.booleans(), st.sampled_from(["true", "false", "1", "0", "yes", "no", "on", "off", "TRUE"])))
def test_boolean_settings_are_always_booleans(value):
    s = Settings(MemoryBackend({"telemetry/autostart_demo": value}))
    assert isinstance(s.get("telemetry/autostart_demo"), bool)
