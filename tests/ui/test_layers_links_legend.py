"""The layer panel's "Other links" legend: one row per role the network has (compressor, short pipe, resistor, pump,
valve/regulator span), drawn with the map's own pens and counted; the layer's check box hides them on the map."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from console.ui.map.links import LINK_STYLES
from tests.builders import make_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled

GASLIB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gaslib"


def _open(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.open_path(path)
    wait_settled(qtbot, window.canvas)


def test_gaslib_134_lists_its_short_pipes_compressor_and_device_span(qtbot, window):
    _open(qtbot, window, GASLIB / "GasLib-134-v2.net")
    entries = window.layers_dock.link_legend_entries()
    assert {e["key"]: e["count"] for e in entries} == {"short_pipe": 45, "compressor": 1, "connector": 1}
    assert [e["key"] for e in entries] == [k for k in LINK_STYLES if k in {"short_pipe", "compressor", "connector"}]
    for e in entries:  # the legend's colours are the map's
        assert e["label"] == LINK_STYLES[e["key"]].label and e["color"] == LINK_STYLES[e["key"]].color
    item = window.layers_dock._layer_items["links"]
    assert item.text(1) == "46" and not item.isDisabled()  # 45 short pipes and the compressor station
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert not window.canvas.layer_visible("links")
    item.setCheckState(0, Qt.CheckState.Checked)
    assert window.canvas.layer_visible("links")


def test_gaslib_4197_lists_compressors_resistors_and_short_pipes(qtbot, window):
    _open(qtbot, window, GASLIB / "GasLib-4197.network.json")
    entries = {e["key"]: e["count"] for e in window.layers_dock.link_legend_entries()}
    assert entries == {"compressor": 12, "resistor": 27, "short_pipe": 344}
    # The counts are features, whatever their vertices (the map's segment counts agree here: straight links).
    assert entries == window.canvas.links.counts()


def test_device_spans_without_other_links_and_a_network_with_neither(qtbot, window):
    # The district has no links of its own, only valves and regulators whose ends lie apart: their spans are listed.
    item = window.layers_dock._layer_items["links"]
    spans = window.canvas.links.counts()
    assert set(spans) == {"connector"} and item.text(1) == "0"
    assert window.layers_dock.link_legend_entries()[0]["count"] == spans["connector"] and not item.isDisabled()
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.1}), ("C", "customers", 50, 0, {})]
    net = make_network(nodes, [("P", "pipes", "G", "C", {"dn": 50, "inner_diameter_mm": 50.0})])
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.set_network(net)
    assert window.layers_dock.link_legend_entries() == [] and item.isDisabled()


def test_the_legend_survives_a_theme_change(qtbot, window):
    _open(qtbot, window, GASLIB / "GasLib-134-v2.net")
    window.layers_dock.set_theme("light")
    assert {e["key"] for e in window.layers_dock.link_legend_entries()} == {"short_pipe", "compressor", "connector"}
