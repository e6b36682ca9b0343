"""The 3D view (三维视图): pipes at their burial depth, the ground, buildings, risers, crossings and the incident in one
pyqtgraph.opengl scene, linked with the 2D map. Geometry comes prepared from :mod:`console.scene`.

Installed as a built-in UI extension (``console.app.builtin``): ``install(window)`` declares View › 3D view and the
map's "View in 3D here", and returns the :class:`View3DController`.
"""

from __future__ import annotations

from console.ui.view3d._controller import View3DController
from console.ui.view3d._view import View3D
from console.ui.view3d._window import View3DWindow

__all__ = ["View3D", "View3DController", "View3DWindow", "install"]


def install(window) -> View3DController:
    """Add the 3D view to a :class:`console.ui.main_window.MainWindow`."""
    return View3DController(window)
