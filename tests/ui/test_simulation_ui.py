"""The simulation UI (水力计算): Simulate job, pipe colouring and legends, violations, contours, what-if, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.hydraulics import InfeasibleError, SimulationRequest, simulate, what_if
from console.ui.map.styles import VALUES_STYLE, classify_values
from tests.builders import make_network
from tests.ui.conftest import SETTLE_TIMEOUT_MS, image_array, rgb, wait_settled

TIMEOUT = SETTLE_TIMEOUT_MS


@pytest.fixture
def sim(window):
    return window.extensions["simulation"]


@pytest.fixture
def simulated(qtbot, window, sim):
    with qtbot.waitSignal(sim.simulated, timeout=TIMEOUT):
        sim.action.trigger()
    wait_settled(qtbot, window.canvas)
    return sim


@pytest.fixture(scope="module")
def direct(network):
    return simulate(network, SimulationRequest())


def _label_range(label: str) -> tuple[float, float]:
    """The bin edges written in a legend label such as ``LP 2.17–2.3 kPa`` (a real minus sign for negatives)."""
    lo, hi = re.search(r"(−?[\d.,]+)–(−?[\d.,]+)", label).groups()
    num = lambda s: float(s.replace("−", "-").replace(",", ""))  # noqa: E731
    return num(lo), num(hi)


# -- generic value classification (map styles) ------------------------------------------------------------------------
def test_classify_values_bins_edges_and_no_value():
    values = np.array([0.0, 0.99, 1.0, 2.0, np.nan, 5.0, -1.0])
    c = classify_values(values, np.array([0.0, 1.0, 2.0]), ["#0000ff", ("#ff0000", "#880000")], ["a", "b"], "T")
    assert [c.classes[i].label for i in c.codes] == ["a", "a", "b", "b", "No value", "No value",
                                                     "No value"]  # fmt: skip
    assert c.title == "T" and c.style == VALUES_STYLE
    assert c.classes[0].label == "b" and c.classes[0].color("light") == "#880000"  # highest bin first
    with pytest.raises(ValueError):
        classify_values(values, np.array([0.0, 1.0]), ["#000000", "#ffffff"], ["a", "b"], "T")


# -- simulate ---------------------------------------------------------------------------------------------------------
def test_simulate_action_is_in_the_analysis_menu_with_f5(window, sim):
    assert sim.action is window.actions["simulation.run"]
    assert sim.action in window.analysis_menu.actions()
    assert sim.action.shortcut().toString() == "F5"
    assert sim.action in window.toolbar.actions()


def test_simulate_gives_the_same_pressures_as_a_direct_call(simulated, direct, network):
    result = simulated.run.result
    assert result.request.law.value == "colebrook" and result.request.demand.demand_factor == 1.0
    assert len(result.pipe_pressure_pa) == len(network["pipes"])
    np.testing.assert_allclose(result.pipe_pressure_pa, direct.pipe_pressure_pa, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(result.pipe_flow_nm3h, direct.pipe_flow_nm3h, rtol=1e-9, atol=1e-9)
    assert "Solved in" in simulated.dock.status.text()
    assert not simulated.window.progress.isVisible()


def test_pressure_legend_lists_the_bins_and_every_pipe_lies_in_its_bin(simulated, window, direct):
    canvas = window.canvas
    c = canvas.classification
    assert c.style == VALUES_STYLE and simulated.dock.colour_mode() == "pressure"
    counts = c.counts()
    shown = [cls.label for k, cls in enumerate(c.classes) if counts[k]]
    assert [e["label"] for e in simulated.dock.legend.entries()] == shown
    assert [e["label"] for e in window.layers_dock.legend_entries()] == shown  # the layer panel reads the same classes
    assert any(label.startswith("LP ") and label.endswith("kPa") for label in shown)
    assert any(label.startswith("HP-A ") and label.endswith("MPa") for label in shown)
    p = direct.pipe_pressure_pa
    for k, cls in enumerate(c.classes):
        rows = np.flatnonzero(c.codes == k)
        if not len(rows) or ":" not in cls.key:
            continue
        scale = 1e3 if cls.label.endswith("kPa") else 1e6
        lo, hi = _label_range(cls.label)
        # Edges are rounded to 3 significant figures for the legend: allow that rounding.
        assert np.all(p[rows] / scale >= lo * (1 - 5e-3)) and np.all(p[rows] / scale <= hi * (1 + 5e-3)), cls.label
    no_gas = c.codes == c.index("no_gas")
    np.testing.assert_array_equal(no_gas, ~direct.link_active[: direct.n_pipes])


def test_pipe_colour_at_its_midpoint_is_its_bin_colour(qtbot, simulated, window, network):
    canvas = window.canvas
    for layer in canvas.points:
        canvas.set_layer_visible(layer, False)
    c = canvas.classification
    lengths = shapely.length(network["pipes"].geometry.array)
    binned = np.array([":" in c.classes[k].key for k in c.codes]) & (lengths >= 80)
    row = int(np.flatnonzero(binned)[0])
    cls = c.class_of(row)
    mid = shapely.line_interpolate_point(network["pipes"].geometry.array[row], 0.5, normalized=True)
    canvas.set_map_range(mid.x - 60, mid.y - 60, mid.x + 60, mid.y + 60)
    wait_settled(qtbot, canvas)
    img = image_array(canvas.grab().toImage())
    pos = canvas.map_to_widget(mid.x, mid.y)
    ratio = canvas.devicePixelRatioF()
    x, y = int(round(pos.x() * ratio)), int(round(pos.y() * ratio))
    patch = img[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).astype(float)
    want = rgb(cls.color(window.theme.name))
    assert np.min(np.linalg.norm(patch - want, axis=1)) < 30, (cls.label, patch.tolist(), want)


def test_violations_list_matches_the_result_and_a_click_selects_the_feature(qtbot, simulated, window, direct):
    dock = simulated.violations
    result = simulated.run.result
    assert len(result.violations) == len(direct.violations) > 0
    order = {"error": 0, "warning": 1}
    expected = [v.feature_id for v in sorted(result.violations, key=lambda v: order.get(v.severity, 2))]
    assert dock.feature_ids() == expected
    first = result.violations[0]
    assert any(row[2] == first.feature_id and row[1] == first.severity for row in dock.rows())
    dock.show()
    dock.raise_()
    item = dock.tree.topLevelItem(3)
    rect = dock.tree.visualItemRect(item)
    qtbot.mouseClick(dock.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.canvas.selected is not None and window.canvas.selected.feature_id == expected[3]


def test_run_summary_names_systems_iterations_and_regulators(simulated):
    text = simulated.dock.summary.text()
    result = simulated.run.result
    assert f"{result.convergence.iterations} iterations" in text
    for s in result.systems:
        if s.supplied:
            assert f"<b>{s.pressure_class}</b>" in text
    assert "Regulators:" in text


def test_velocity_and_flow_colouring_and_back_to_network_style(qtbot, simulated, window):
    dock = simulated.dock
    dock.set_colour_mode("velocity", emit=True)
    assert window.canvas.classification.title.startswith("Velocity")
    assert all(e["label"].endswith("m/s") or e["label"].startswith("No") for e in dock.legend.entries())
    dock.set_colour_mode("flow", emit=True)
    assert all("Nm³/h" in e["label"] or e["label"].startswith("No") for e in dock.legend.entries())
    dock.network_style_button.click()
    wait_settled(qtbot, window.canvas)
    assert window.canvas.classification.style == "pressure_class"
    keys = {e["key"] for e in window.layers_dock.legend_entries()}
    assert {"LP", "HP-A"} <= keys
    assert not dock.legend.isVisibleTo(dock) and dock.colour_mode() == "network"


def test_choosing_a_named_style_in_the_layer_panel_ends_value_colouring(qtbot, simulated, window):
    window.set_pipe_style("diameter")
    assert simulated.dock.colour_mode() == "network"
    assert window.canvas.classification.style == "diameter"


def test_identify_shows_the_simulated_values(simulated, window, network, direct):
    row = 5
    pid = network["pipes"]["id"].iloc[row]
    window.canvas.zoom_to_feature(pid)
    text = simulated.dock.feature_label.text()
    assert text.startswith(pid) and "Velocity" in text and "Flow" in text
    assert f"{abs(direct.pipe_velocity_ms[row]):.3g} m/s" in text
    assert simulated.feature_text("no-such-id") is None


# -- contours -----------------------------------------------------------------------------------------------------
def test_contour_overlay_appears_when_toggled_on_and_vanishes_when_off(qtbot, simulated, window):
    dock, overlay = simulated.dock, simulated.overlay
    with qtbot.waitSignal(simulated.contoursShown, timeout=TIMEOUT):
        dock.contours_check.setChecked(True)
    items = overlay.items()
    levels = sum(1 for cs in overlay.contours.sets for line in cs.isobars if len(line))
    assert levels > 0 and len(overlay.isobars) == levels
    assert overlay.bands.count() > 0 and all(i.scene() is window.canvas.scene() for i in items)
    assert dock.contour_legend.entries()
    assert {cs.pressure_class for cs in overlay.contours.sets} == {"LP", "HP-A"}
    dock.contours_check.setChecked(False)
    assert overlay.items() == []
    assert not any(i in window.canvas.view.addedItems for i in items)
    assert not dock.contour_legend.isVisibleTo(dock)


# -- what-if ----------------------------------------------------------------------------------------------------------
def test_what_if_colours_pipes_by_pressure_change(qtbot, simulated, window, network, direct):
    # The valve whose closure lowers pressure most, and a customer's service pipe (that customer loses gas).
    drops = {vid: what_if(network, [vid], base=direct)[2].max_drop_pa for vid in network["valves"]["id"].tolist()}
    valve = max(drops, key=drops.get)
    pipes = network["pipes"]
    service = str(pipes["id"][pipes["to_node"].isin(network["customers"]["id"])].iloc[0])
    _, scenario, diff = what_if(network, [valve, service], base=direct)
    assert drops[valve] > 0 and diff.newly_unsupplied_customer_ids
    simulated.dock.close_edit.setText(f"{valve}, {service}")
    with qtbot.waitSignal(simulated.whatIfShown, timeout=TIMEOUT):
        simulated.dock.compare_button.click()
    np.testing.assert_allclose(simulated.service.what_if.diff.node_dp_pa, diff.node_dp_pa, atol=1e-6)
    c = window.canvas.classification
    assert c.title.startswith("Pressure change") and simulated.dock.colour_mode() == "difference"
    labels = [e["label"] for e in simulated.dock.legend.entries()]
    assert any(label.startswith("No change") for label in labels)
    n = direct.n_pipes
    lost = direct.link_active[:n] & ~scenario.link_active[:n]
    assert lost.any() and np.all(c.codes[lost] == c.index("no_value"))
    dp_kpa = (scenario.pipe_pressure_pa - direct.pipe_pressure_pa) / 1e3
    for k, cls in enumerate(c.classes):
        rows = np.flatnonzero(c.codes == k)
        if not len(rows) or cls.key == "no_value":
            continue
        if cls.label.startswith("No change"):
            tol = float(re.search(r"±([\d.]+)", cls.label).group(1))
            lo, hi = -tol, tol
        else:
            lo, hi = (float(v.replace("−", "-")) for v in re.findall(r"−?[\d.]+", cls.label)[:2])
        assert np.all(dp_kpa[rows] >= lo - 1e-9) and np.all(dp_kpa[rows] <= hi + 1e-9), cls.label
    assert (dp_kpa < -0.01).any()  # some pipes really fall
    assert simulated.dock.diff_label.isVisible() and "customers lose gas" in simulated.dock.diff_label.text()


def test_what_if_with_an_unknown_valve_is_one_line(qtbot, simulated):
    with qtbot.waitSignal(simulated.failed, timeout=TIMEOUT) as blocker:
        simulated.compare("NO-SUCH-VALVE")
    assert "NO-SUCH-VALVE" in blocker.args[0] and "Traceback" not in blocker.args[0]


# -- errors -------------------------------------------------------------------------------------------------------
def test_an_infeasible_network_shows_one_line_and_names_the_node(qtbot, window, sim):
    nodes = [("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.1}),
             ("C", "customers", 5000, 0, {"peak_demand_nm3h": 20_000.0})]  # fmt: skip
    net = make_network(nodes, [("P", "pipes", "G", "C", {"dn": 50, "inner_diameter_mm": 50.0})])
    with pytest.raises(InfeasibleError):
        simulate(net)
    with qtbot.waitSignal(window.networkShown, timeout=TIMEOUT):
        window.set_network(net)
    with qtbot.waitSignal(sim.failed, timeout=TIMEOUT) as blocker:
        sim.simulate()
    text = blocker.args[0]
    assert text.startswith("Infeasible") and "C" in text and "\n" not in text and "Traceback" not in text
    assert sim.dock.status.text() == text
    assert sim.violations.feature_ids() == ["C"] and sim.violations.rows()[0][0] == "Infeasible"
    assert sim.run is None and window.canvas.classification.style != VALUES_STYLE
    QApplication.processEvents()


def test_cancel_stops_the_job_and_says_so(qtbot, sim):
    job = sim.simulate()
    job.cancel()
    assert not sim.service.busy
    qtbot.waitUntil(lambda: sim.dock.run_button.isEnabled(), timeout=TIMEOUT)
    assert sim.dock.status.text() in ("Cancelled",) or sim.run is not None  # a tiny solve may finish first


def test_hovering_a_pipe_shows_its_simulated_values_as_a_tooltip(qtbot, simulated, window, network):
    from PySide6.QtWidgets import QToolTip

    for layer in window.canvas.points:
        window.canvas.set_layer_visible(layer, False)
    row = 5
    mid = shapely.line_interpolate_point(network["pipes"].geometry.array[row], 0.5, normalized=True)
    window.canvas.set_map_range(mid.x - 100, mid.y - 100, mid.x + 100, mid.y + 100)
    wait_settled(qtbot, window.canvas)
    window.canvas.cursorMoved.emit(mid.x, mid.y)
    expected = simulated.feature_text(network["pipes"]["id"].iloc[row])
    qtbot.waitUntil(lambda: QToolTip.text() == expected, timeout=5000)


def test_the_dock_opens_wide_enough_for_its_rows(qtbot, window, sim):
    """With no saved layout the simulation dock shows its run, colour and contour rows without a horizontal scroll
    bar (a 1400-px window has room for it beside the map)."""
    window.layouts.actions["planner"].trigger()  # the role layout whose column leads with the simulation dock
    scroll = sim.dock.widget()
    qtbot.waitUntil(lambda: sim.dock.width() >= scroll.widget().sizeHint().width(), timeout=TIMEOUT)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert window.canvas.width() > 1.5 * max(sim.dock.width(), window.attributes_dock.width())  # the map stays first


# -- demand scenario --------------------------------------------------------------------------------------------------
def test_a_demand_scenario_loaded_in_the_dock_drives_the_run_and_its_summary(qtbot, window, sim, network, tmp_path):
    customers = network["customers"]["id"].tolist()[:3]
    path = tmp_path / "evening peak.csv"
    path.write_text("node_id,demand_nm3h\n" + "".join(f"{c},{10.0 * (k + 1)}\n" for k, c in enumerate(customers)))
    sim.dock.demand_spin.setValue(2.0)
    scenario = sim.load_scenario(path)
    assert scenario is not None and sim.scenario is scenario
    assert "evening peak" in sim.dock.scenario_label.text() and "60.0 Nm³/h" in sim.dock.scenario_label.text()
    assert sim.dock.scenario_clear_button.isVisibleTo(sim.dock)
    with qtbot.waitSignal(sim.simulated, timeout=TIMEOUT) as blocker:
        sim.simulate()
    result = blocker.args[0].result
    demand = result.node_demand_nm3h
    index = network.topology.node_index(customers)
    np.testing.assert_allclose(demand[index], [20.0, 40.0, 60.0])  # × the dock's demand factor
    assert demand.sum() == pytest.approx(120.0)  # every other node draws nothing
    direct = simulate(network, SimulationRequest(demand=result.request.demand))
    np.testing.assert_allclose(result.node_pressure_pa, direct.node_pressure_pa)
    summary = sim.dock.summary.text()
    assert "Demand scenario <b>evening peak</b>: 3 nodes, 60.0 Nm³/h × 2" in summary
    # Back to the customers' peaks: the next run has no scenario line and the customers' whole demand.
    sim.dock.scenario_clear_button.click()
    assert sim.scenario is None and "peak" in sim.dock.scenario_label.text()
    assert not sim.dock.scenario_clear_button.isVisibleTo(sim.dock)
    with qtbot.waitSignal(sim.simulated, timeout=TIMEOUT) as blocker:
        sim.simulate()
    assert blocker.args[0].result.node_demand_nm3h.sum() > 120.0
    assert "Demand scenario" not in sim.dock.summary.text()


def test_the_scenario_button_opens_a_file_dialog_and_a_bad_file_changes_nothing(qtbot, window, sim, network, tmp_path,
                                                                                 monkeypatch):  # fmt: skip
    from PySide6.QtWidgets import QFileDialog

    good = tmp_path / "ok.csv"
    good.write_text(f"node_id,demand_nm3h\n{network['customers']['id'].iloc[0]},5\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(good), "")))
    sim.dock.scenario_button.click()
    assert sim.scenario is not None and sim.scenario.name == "ok"
    assert window.prefs.get("simulation/scenario_dir") == str(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("node_id,demand_nm3h\nNO-SUCH-NODE,5\n")
    with qtbot.waitSignal(sim.failed, timeout=TIMEOUT) as blocker:
        assert sim.load_scenario(bad) is None
    text = blocker.args[0]
    assert "bad.csv" in text and "NO-SUCH-NODE" in text and "\n" not in text and "Traceback" not in text
    assert sim.scenario.name == "ok"  # the loaded scenario stays
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    sim.dock.scenario_button.click()  # cancelled dialog: nothing changes
    assert sim.scenario.name == "ok"


def test_a_new_network_drops_the_scenario_of_the_old_one(qtbot, window, sim, network, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(f"node_id,demand_nm3h\n{network['customers']['id'].iloc[0]},5\n")
    assert sim.load_scenario(path) is not None
    with qtbot.waitSignal(window.networkShown, timeout=TIMEOUT):
        window.set_network(network)  # the same network shown again (as after an edit): kept
    assert sim.scenario is not None
    other = make_network([("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.1}), ("C", "customers", 50, 0, {})],
                         [("P", "pipes", "G", "C", {"dn": 50, "inner_diameter_mm": 50.0})])  # fmt: skip
    with qtbot.waitSignal(window.networkShown, timeout=TIMEOUT):
        window.set_network(other)
    assert sim.scenario is None and "peak" in sim.dock.scenario_label.text()
