"""Feature UIs plug into the main window through the plugin registry; a broken one never stops the console."""

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAction

from console.app.plugins import PluginRegistry
from console.ui.extensions import install_extensions
from tests.ui.conftest import send_mouse, wait_settled


def test_extensions_install_and_broken_ones_are_reported(window):
    registry = PluginRegistry()
    calls = []

    def good(win):
        calls.append(win)
        return win.add_analysis_action(QAction("Do analysis", win))

    registry.add_ui_extension("good", good)
    registry.add_ui_extension("broken", "no_such_module_for_gasops:install")
    installed = install_extensions(window, registry)
    assert calls == [window]
    assert installed["good"].text() == "Do analysis"
    assert "broken" not in installed
    assert window.analysis_menu.menuAction().isVisible()
    assert "unavailable" in window.statusBar().currentMessage()


def test_right_click_reports_the_feature_under_the_cursor(qtbot, window, network):
    pipe = network["pipes"].iloc[5]
    mid = pipe.geometry.interpolate(0.5, normalized=True)
    window.canvas.set_map_range(mid.x - 60, mid.y - 60, mid.x + 60, mid.y + 60)
    wait_settled(qtbot, window.canvas)
    seen = []
    window.canvas.contextRequested.connect(lambda hit, x, y, pos: seen.append((hit, x, y)))
    pos = window.canvas.map_to_widget(mid.x, mid.y)
    viewport = window.canvas.viewport()
    right = Qt.MouseButton.RightButton
    send_mouse(viewport, QEvent.Type.MouseButtonPress, pos, right, right)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, pos, right, Qt.MouseButton.NoButton)
    assert len(seen) == 1
    hit, x, y = seen[0]
    assert hit is not None and hit.feature_id == pipe["id"]
    assert abs(x - mid.x) < 2 and abs(y - mid.y) < 2


def test_overlays_use_local_coordinates(window, network):
    import pyqtgraph as pg

    x0, y0 = network["junctions"].geometry.x.iloc[0], network["junctions"].geometry.y.iloc[0]
    lx, ly = window.canvas.to_local([x0], [y0])
    item = pg.ScatterPlotItem(x=lx, y=ly)
    window.canvas.add_overlay(item)
    assert item.scene() is window.canvas.scene()
    assert abs(lx[0] + window.canvas.origin[0] - x0) < 1e-6
    window.canvas.remove_overlay(item)
    assert item.scene() is None


def test_features_share_one_right_click_menu(window):
    """Isolation and the hazard register add their actions to the same menu, separated, in install order."""
    network = window.network
    geom = network["pipes"].geometry.array[0]
    c = geom.interpolate(0.5, normalized=True)
    window.canvas.contextRequested.emit(window.canvas.pick(c.x, c.y), c.x, c.y, QPoint(10, 10))
    menu = window.context_menu
    texts = [a.text() for a in menu.actions()]
    isolate = next(i for i, t in enumerate(texts) if t.startswith("Isolate here"))
    report = next(i for i, t in enumerate(texts) if t.startswith("Report hazard here"))
    assert isolate < report and any(a.isSeparator() for a in menu.actions()[isolate:report])
    menu.close()
