"""The 3D view's window: the view in the middle, the crossings dock beside it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMainWindow

from console.ui.i18n import translate
from console.ui.view3d._crossings_dock import CrossingsDock
from console.ui.view3d._view import View3D

__all__ = ["View3DWindow"]


class View3DWindow(QMainWindow):
    """A separate window (a second monitor in a control room) linked to the main window."""

    closed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(translate("View3D", "3D view — GasOps Console"))
        self.view = View3D(self)
        self.setCentralWidget(self.view)
        self.crossings_dock = CrossingsDock(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.crossings_dock)
        self.resize(1400, 900)
        self.resizeDocks([self.crossings_dock], [430], Qt.Orientation.Horizontal)

    def closeEvent(self, event) -> None:
        self.closed.emit()
        super().closeEvent(event)
