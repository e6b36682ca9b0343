"""The desktop front end (the only package that imports Qt): main window, map canvas, docks, themes, workers."""

from console.ui.app import create_application, run_gui
from console.ui.main_window import MainWindow

__all__ = ["MainWindow", "create_application", "run_gui"]
