"""The main window: opening a network, identify panel, search, theme, styles, errors and remembered settings."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from console.errors import NetworkFileError
from console.ui.theme import DARK, LIGHT
from tests.ui.conftest import SETTLE_TIMEOUT_MS, click, image_array, rgb, wait_settled


def test_opens_a_network_and_shows_it(window, network):
    assert window.network is network
    assert network.name in window.windowTitle() and "GasOps Console" in window.windowTitle()
    assert window.canvas.pipes.has_content
    assert "EPSG:4529" in window.crs_label.text()
    assert f"{len(network['pipes']):,} pipes" in window.counts_label.text()
    assert window.scale_label.text().startswith("1:")
    counts = {e["key"]: e["count"] for e in window.layers_dock.legend_entries()}
    assert counts["MP-A"] == int((network["pipes"]["pressure_class"] == "MP-A").sum())
    assert sum(counts.values()) == len(network["pipes"])


def test_click_identify_fills_the_attribute_panel(qtbot, window, network):
    canvas = window.canvas
    canvas.set_map_range(41_405_000 - 250, 3_320_000 - 250, 41_405_000 + 450, 3_320_000 + 450)
    wait_settled(qtbot, canvas)
    qtbot.keyClick(canvas, Qt.Key.Key_I)
    assert window.act_identify.isChecked() and canvas.tool == "identify"
    layer, row = network.locate("PH3_4")
    mid = shapely.line_interpolate_point(network["pipes"].geometry.array[row], 0.5, normalized=True)
    click(qtbot, canvas.viewport(), canvas.map_to_widget(mid.x, mid.y))
    panel = window.attributes_dock
    assert panel.feature_id == "PH3_4"
    values = panel.values()
    pipe = network["pipes"].iloc[row]
    assert values["Id"] == "PH3_4"
    assert values["Nominal diameter DN"] == f"DN{pipe['dn']}"
    assert values["Material"] == str(pipe["material"]).replace("_", " ")
    assert values["Pressure class"] == "LP low pressure"
    assert values["Length"] == "100.00 m"
    assert panel.title.text() == "Pipe PH3_4"
    lon, lat = (float(v.rstrip("°EN")) for v in values["Lon, lat"].split(", "))
    # 95 km west of zone 41's central meridian (123°E) at about 30°N: 123 - 95 / (111.3 · cos 30°) ≈ 122.015°E.
    assert lon == pytest.approx(122.02, abs=0.03) and lat == pytest.approx(29.99, abs=0.05)


def test_identify_a_valve_shows_position_and_units(window, network):
    closed = network["valves"][network["valves"]["normal_position"] == "closed"].iloc[0]
    window.canvas.set_map_range(
        closed.geometry.x - 100, closed.geometry.y - 100, closed.geometry.x + 100, closed.geometry.y + 100
    )
    window.canvas.identify_at(closed.geometry.x, closed.geometry.y)
    values = window.attributes_dock.values()
    assert values["Id"] == closed["id"] and values["Normal position"] == "closed"
    assert values["Nominal diameter DN"] == "DN200"
    assert values["Remote controlled"] in ("yes", "no")


def test_search_by_id_zooms_selects_and_identifies(qtbot, window, network):
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, "RG2")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    g = network["regulators"].geometry.array[1]
    view = window.canvas.map_range()
    assert view[0] < g.x < view[2] and view[1] < g.y < view[3]
    assert view[2] - view[0] < 1000  # zoomed in from the 2.9 km extent
    assert window.canvas.selected.feature_id == "RG2"
    assert window.attributes_dock.feature_id == "RG2"
    assert window.attributes_dock.values()["Outlet class"] == "LP low pressure"


def test_search_completes_prefixes_and_reports_unknown_ids(window):
    assert window.search.resolve("EC-") == "EC-B"  # the only id with that prefix
    assert window.search.resolve("PA1") == "PA1"  # exact beats the PA10… prefix matches
    assert window.search.resolve("PA") is None  # ambiguous
    assert window.zoom_to_feature("nonexistent-42") is None
    assert "nonexistent-42" in window.statusBar().currentMessage()


def test_escape_clears_the_selection(qtbot, window):
    window.zoom_to_feature("V3")
    assert window.canvas.selected is not None
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.selected is None and window.attributes_dock.feature_id is None


def test_home_and_plus_minus_keys(qtbot, window):
    canvas = window.canvas
    full = canvas.map_range()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.map_range()[2] - canvas.map_range()[0] == pytest.approx((full[2] - full[0]) / 2)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.map_range()[2] - canvas.map_range()[0] == pytest.approx((full[2] - full[0]) * 2)
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert canvas.map_range() == pytest.approx(full)


def test_status_bar_follows_the_cursor(qtbot, window):
    canvas = window.canvas
    pos = QPointF(300, 300)
    x, y = canvas.widget_to_map(pos)
    qtbot.mouseMove(canvas.viewport(), pos.toPoint())
    assert window.xy_label.text() == f"X {x:,.1f}  Y {y:,.1f} m"
    assert window.lonlat_label.text().endswith("°N") and "122.0" in window.lonlat_label.text()


def test_theme_toggle_changes_background_and_is_remembered(qtbot, window):
    assert window.theme is DARK  # the default
    corner = image_array(window.canvas.grab().toImage())[4, 4].astype(float)
    assert corner == pytest.approx(rgb(DARK.map_background), abs=2)
    window.act_theme.trigger()
    assert window.theme is LIGHT
    corner = image_array(window.canvas.grab().toImage())[4, 4].astype(float)
    assert corner == pytest.approx(rgb(LIGHT.map_background), abs=2)
    assert QSettings().value("ui/theme") == "light"
    # The legend shows the light-theme colours now.
    mp_a = next(e for e in window.layers_dock.legend_entries() if e["key"] == "MP-A")
    assert mp_a["color"] == window.canvas.classification.classes[window.canvas.classification.index("MP-A")].color(
        "light"
    )


def test_style_switch_changes_the_legend_and_is_remembered(qtbot, window):
    combo = window.layers_dock.style_combo
    with qtbot.waitSignal(window.canvas.styleChanged, timeout=SETTLE_TIMEOUT_MS):
        combo.setCurrentIndex(combo.findData("material"))
    keys = [e["key"] for e in window.layers_dock.legend_entries()]
    assert {"PE100", "steel", "cast_iron"} <= set(keys) and "MP-A" not in keys
    assert QSettings().value("map/pipe_style") == "material"
    with qtbot.waitSignal(window.canvas.styleChanged, timeout=SETTLE_TIMEOUT_MS):
        combo.setCurrentIndex(combo.findData("install_decade"))
    assert "<1980" in [e["key"] for e in window.layers_dock.legend_entries()]


def test_layer_checkbox_hides_the_layer(qtbot, window):
    dock = window.layers_dock
    dock.set_layer_checked("valves", False)
    assert not window.canvas.points["valves"].visible
    assert not any(item.isVisible() for item in window.canvas.points["valves"].items())
    assert QSettings().value("layers/valves/visible") in (False, "false")
    dock.set_layer_checked("pipes", False)
    assert not any(item.isVisible() for item in window.canvas.pipes.class_items())


def test_settings_are_restored_by_the_next_window(qtbot, window, network):
    from console.ui.main_window import MainWindow

    window.apply_theme(LIGHT)
    window.set_pipe_style("diameter")
    window.layers_dock.set_layer_checked("customers", False)
    window.resize(760, 560)  # within the offscreen screen (800 × 600): restoreGeometry keeps windows on screen
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.theme is LIGHT
    assert again._style == "diameter"
    assert not again.canvas.points["customers"].visible
    assert (again.width(), again.height()) == (760, 560)
    again.show()
    with qtbot.waitSignal(again.networkShown, timeout=SETTLE_TIMEOUT_MS):
        again.set_network(network)
    assert again.canvas.classification.style == "diameter"
    again.close()


def _message_box(window) -> QMessageBox:
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_a_bad_file_is_reported_in_one_line(qtbot, window, monkeypatch):
    import console.app.workspace as workspace

    def fail(path, feedback=None):
        raise NetworkFileError(path, "not a GeoPackage (no gpkg_contents table)")

    monkeypatch.setattr(workspace, "open_network", fail)
    job = window.open_path("/data/broken.gpkg")
    with qtbot.waitSignal(job.errored, timeout=SETTLE_TIMEOUT_MS):
        pass
    box = _message_box(window)
    assert box.text() == "/data/broken.gpkg: not a GeoPackage (no gpkg_contents table)"
    assert "Traceback" not in box.text() and box.detailedText() == ""
    box.close()


def test_an_unexpected_error_is_reported_without_a_traceback(qtbot, window, monkeypatch):
    import console.app.workspace as workspace

    def fail(path, feedback=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workspace, "open_network", fail)
    job = window.open_path("/data/any.gpkg")
    with qtbot.waitSignal(job.errored, timeout=SETTLE_TIMEOUT_MS):
        pass
    text = _message_box(window).text()
    assert text == "Unexpected error (RuntimeError): disk on fire"
    assert window.network is not None  # the network on screen stays


def test_open_path_reads_through_the_workspace_and_shows_progress(qtbot, window, monkeypatch, network):
    import console.app.workspace as workspace

    seen = []

    def read(path, feedback=None):
        feedback.progress(0.5, f"Reading {path.name}…")
        seen.append(str(path))
        return network

    monkeypatch.setattr(workspace, "open_network", read)
    messages = []
    job = window.open_path("/data/district.gpkg")
    job.progressed.connect(lambda f, m: messages.append(m))
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        pass
    assert seen == ["/data/district.gpkg"]
    assert "Reading district.gpkg…" in messages
    assert "district.gpkg" in window.windowTitle()
    assert not window.progress.isVisible()
    assert np.isfinite(window.canvas.metres_per_pixel())


def test_an_edit_redraws_the_map_in_place(qtbot, window):
    from tests.ui.synthetic import district

    network = district(8, name="Editable district")  # its own copy: the session network is shared
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.set_network(network)
    window.zoom_to_feature("PA3")
    view = window.canvas.map_range()
    row = network.locate("PA3")[1]
    with qtbot.waitSignal(window.canvas.styleChanged, timeout=SETTLE_TIMEOUT_MS):
        network.set_values("pipes", np.array([row]), "pressure_class", "MP-B")
    assert window.canvas.map_data.version == network.version
    assert window.canvas.classification.class_of(row).key == "MP-B"
    assert window.canvas.map_range() == pytest.approx(view)
    assert window.canvas.selected.feature_id == "PA3"


def test_open_preloaded_shows_a_network_read_elsewhere_and_reports_its_errors(qtbot, network):
    from concurrent.futures import Future

    from console.errors import NetworkFileError
    from console.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    ready: Future = Future()
    ready.set_result(network)
    with qtbot.waitSignal(w.networkShown, timeout=30_000):
        w.open_preloaded(ready)
    assert w.network is network
    failed: Future = Future()
    failed.set_exception(NetworkFileError("site.gpkg", "truncated file"))
    with qtbot.waitSignal(w.loadFailed, timeout=30_000) as blocker:
        w.open_preloaded(failed)
    assert blocker.args == ["site.gpkg: truncated file"]
    w.close()


def test_search_uses_the_networks_own_id_index(window):
    # One sorted index of every id serves network.locate and the search box: no second copy of two million ids.
    assert window.search._index.index is window.network.id_index


def test_a_network_opens_from_postgis_and_the_title_hides_the_password(qtbot, window, network, url, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from console.io import write_network

    write_network(network, url)
    password = url.split(":")[2].split("@")[0]
    # File › Open from PostGIS: the URL a user types (a Path would have folded its "//").
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (f"  {url}  ", True))
    with qtbot.waitSignal(window.networkShown, timeout=SETTLE_TIMEOUT_MS):
        window.act_open_db.trigger()
    assert window.network.counts() == network.counts()
    assert window.network["pipes"]["id"].tolist() == network["pipes"]["id"].tolist()
    assert window.network_path is None and window.network_source.startswith("postgresql://")
    title = window.windowTitle()
    assert "postgresql://" in title and "schema=" in title and password not in title
    remembered = str(window.settings.value("files/last_database"))
    assert remembered.startswith("postgresql://") and password not in remembered


def test_open_from_postgis_refuses_what_is_not_a_database_url(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("/home/gis/network.gpkg", True))
    before = window.network
    window.act_open_db.trigger()
    assert window.last_error == "/home/gis/network.gpkg: not a postgresql:// or postgis:// URL"
    assert window.network is before


def test_fit_dock_widens_to_the_contents_but_never_past_a_third_of_the_window(qtbot, window):
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QDockWidget, QWidget

    class Wide(QWidget):  # contents that would like the whole screen but can live in less
        def sizeHint(self):
            return QSize(2000, 200)

        def minimumSizeHint(self):
            return QSize(100, 100)

    # the left side: the dispatcher's role layout keeps its docks on the right (minimum widths of their own)
    dock = window.add_dock(QDockWidget("wide"), Qt.DockWidgetArea.LeftDockWidgetArea)
    dock.setObjectName("test_wide_dock")
    dock.setWidget(Wide())
    window.resizeDocks([dock], [200], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: dock.width() <= 210, timeout=SETTLE_TIMEOUT_MS)
    window.fit_dock(dock)
    qtbot.waitUntil(lambda: dock.width() >= window.width() // 3 - 2, timeout=SETTLE_TIMEOUT_MS)
    assert dock.width() <= window.width() // 3 + 2 and window.canvas.width() > dock.width()


def test_a_saved_layout_keeps_its_dock_widths_on_the_next_start(qtbot, network):
    from console.ui.main_window import MainWindow

    def start():
        w = MainWindow()
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        qtbot.waitExposed(w)
        return w, w.extensions["simulation"].dock

    w, dock = start()
    qtbot.wait(100)  # the start-up arrangement and fits are done
    w.layouts.actions["planner"].trigger()  # the role whose column holds the simulation dock
    fitted = dock.sizeHint().width()
    qtbot.waitUntil(lambda: dock.width() >= fitted, timeout=SETTLE_TIMEOUT_MS)  # first start: fitted to its rows
    narrower = dock.width() - 60
    w.resizeDocks([dock], [narrower], Qt.Orientation.Horizontal)  # the planner drags it narrower
    qtbot.waitUntil(lambda: abs(dock.width() - narrower) <= 2, timeout=SETTLE_TIMEOUT_MS)
    w.close()  # saves the layout
    w, dock = start()
    qtbot.wait(200)  # the start-up fit would have run by now
    assert abs(dock.width() - narrower) <= 2
    w.close()


@pytest.mark.parametrize("width", [1280, 1440])
def test_a_status_message_stays_readable_beside_the_readouts(qtbot, window, width):
    """The message takes the free width first: the lon/lat readout steps aside, a message too long for what is
    left is elided with "…" and its full text is the tooltip; the readouts come back when it clears."""
    window.resize(width, 800)
    window.show()
    qtbot.waitExposed(window)
    sb, label = window.statusBar(), window.message_label
    # the readouts as the demo district fills them
    window.crs_label.setText("EPSG:4529 · CGCS2000 / 3-degree Gauss-Kruger zone 41")
    window.counts_label.setText("30,000 pipes · 1,248 valves · 107 regulators · 11,279 customers")
    window.scale_label.setText("1:1,480")
    short = "Simulator started"
    sb.showMessage(short)
    qtbot.waitUntil(lambda: label.shown_text() == short)
    long = "Isolation at P-000292: close V-00080, V-00113; " + "188 customers without gas, 1,773 households; " * 4
    sb.showMessage(long)
    need = min(label.fontMetrics().horizontalAdvance(long), window.STATUS_MESSAGE_ROOM)
    qtbot.waitUntil(lambda: label.width() >= need - 40)
    assert not window.lonlat_label.isVisible()
    assert label.shown_text().endswith("…") and label.toolTip() == long
    sb.clearMessage()
    qtbot.waitUntil(lambda: window.lonlat_label.isVisible())
