"""UI test fixtures: offscreen Qt, isolated QSettings, a synthetic district, a shown main window and map canvas."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.ui.synthetic import district

SETTLE_TIMEOUT_MS = 20_000


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp):
    """Every test writes QSettings into its own folder, never the user's."""
    folder = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, str(folder / "system"))
    qapp.setOrganizationName("GasOps")
    qapp.setApplicationName("GasOps Console")
    return folder


@pytest.fixture(scope="session")
def network():
    """A 20 × 20 district: about a thousand pipes of every pressure class, and every point layer."""
    return district(20)


def wait_settled(qtbot, canvas) -> None:
    """Wait until the map's level of detail matches its view (debounce elapsed, rasters rendered)."""
    qtbot.wait(canvas._lod_timer.interval() + 10)
    qtbot.waitUntil(canvas.is_settled, timeout=SETTLE_TIMEOUT_MS)
    QApplication.processEvents()


@pytest.fixture
def canvas(qtbot, network):
    from console.ui.map.canvas import MapCanvas

    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(900, 700)
    c.show()
    qtbot.waitExposed(c)
    c.set_network(network)
    wait_settled(qtbot, c)
    yield c
    c.shutdown()


@pytest.fixture
def window(qtbot, network):
    from console.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.networkShown, timeout=SETTLE_TIMEOUT_MS):
        w.set_network(network)
    wait_settled(qtbot, w.canvas)
    yield w
    w.close()


# -- input and pixels ---------------------------------------------------------------------------------------------
def send_mouse(widget, kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(kind, pos, global_pos, button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget, start: QPointF, end: QPointF, steps: int = 8) -> None:
    """A left-button drag with intermediate moves (pyqtgraph needs moves with the button held)."""
    left = Qt.MouseButton.LeftButton
    send_mouse(widget, QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        send_mouse(widget, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left)
        qtbot.wait(5)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, end, left, Qt.MouseButton.NoButton)


def click(qtbot, widget, pos: QPointF) -> None:
    left = Qt.MouseButton.LeftButton
    send_mouse(widget, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    send_mouse(widget, QEvent.Type.MouseButtonPress, pos, left, left)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, pos, left, Qt.MouseButton.NoButton)
    qtbot.wait(10)


def wheel(widget, pos: QPointF, steps: int) -> None:
    """``steps`` wheel notches (positive: away from the user, zoom in)."""
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def image_array(image: QImage) -> np.ndarray:
    """An (h, w, 3) uint8 RGB array of a QImage."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    data = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return data[:, : w * 3].reshape(h, w, 3).copy()


def rgb(color: str) -> np.ndarray:
    c = QColor(color)
    return np.array([c.red(), c.green(), c.blue()], dtype=float)
