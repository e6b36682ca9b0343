"""The EPANET networks shipped with wntr, opened in a running console: title, counts and every link drawn (pipes in
the pipe legend, pumps as other links), checked against wntr's own reading of each file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.conftest import SETTLE_TIMEOUT_MS, wait_settled

wntr = pytest.importorskip("wntr")  # a test dependency (pyproject's test extra); without it there is nothing to open
NETWORKS = Path(os.path.dirname(wntr.__file__)) / "library" / "networks"


@pytest.mark.parametrize("name", ["Net1.inp", "Net2.inp", "Net3.inp", "Net6.inp", "ky4.inp", "ky10.inp"])
def test_every_wntr_network_opens_in_the_console_with_every_link_drawn(qtbot, window, name):
    model = wntr.network.WaterNetworkModel(str(NETWORKS / name))
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.open_path(NETWORKS / name)
    wait_settled(qtbot, window.canvas)
    assert name in window.windowTitle()
    assert window.counts_label.text().startswith(f"{model.num_pipes:,} pipes")
    # Every pipe is in a class of the pipe legend (what the map draws), every pump in the other links' legend.
    assert sum(e["count"] for e in window.layers_dock.legend_entries()) == model.num_pipes
    links = {e["key"]: e["count"] for e in window.layers_dock.link_legend_entries()}
    assert links.get("pump", 0) == model.num_pumps
    if model.num_pumps:
        assert window.canvas.links.counts()["pump"] >= model.num_pumps  # a pump with vertices is several segments
