"""The shut-off analysis (关阀分析) in the main window: "Isolate here" tool, result dock and map overlay.

Registered as a built-in UI extension (``console.app.builtin``): :func:`install` receives the main window and
returns the :class:`IsolationController`. The analysis itself is :mod:`console.isolation` (Qt-free); this package
only asks it questions and shows the answers.
"""

from console.ui.isolation._controller import SHORTCUT, IsolationController
from console.ui.isolation._dock import IsolationDock
from console.ui.isolation._overlay import IsolationOverlay
from console.ui.isolation._style import OVERLAY_COLORS, OverlayColors, overlay_colors

__all__ = [
    "OVERLAY_COLORS",
    "SHORTCUT",
    "IsolationController",
    "IsolationDock",
    "IsolationOverlay",
    "OverlayColors",
    "install",
    "overlay_colors",
]


def install(window) -> IsolationController:
    """Add the isolation tool, dock and overlay to ``window`` (a :class:`console.ui.main_window.MainWindow`)."""
    return IsolationController(window)
