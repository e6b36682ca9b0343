"""Start the desktop application: ``gasops`` (the demo district) and ``gasops FILE``.

:func:`run_gui` creates the QApplication (organisation "GasOps", application "GasOps Console", so QSettings land
in one place), applies the saved theme, shows the main window at once and loads the network in the background,
with progress in the status bar. Errors a user can act on (:class:`console.errors.GasOpsError`) appear in a message
box as one line; nothing shows a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from console.ui.i18n import LANGUAGE, install_translators, resolve_language
from console.ui.main_window import MainWindow
from console.ui.settings import qt_settings
from console.ui.theme import apply_theme, load_theme

__all__ = ["create_application", "run_gui"]

ORGANIZATION = "GasOps"
APPLICATION = "GasOps Console"
_translators_installed: list[bool] = []


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), named so that QSettings find the user's settings."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setWindowIcon(QIcon(str(Path(__file__).resolve().parent / "images" / "gasops.png")))  # also in the bundle
    app.setDesktopFileName("gasops")  # Wayland shows the icon of resources/gasops.desktop
    if not _translators_installed:
        # The language is chosen once per process, before any window is built (View › Language offers a restart).
        install_translators(app, resolve_language(str(qt_settings().get(LANGUAGE.key))))
        _translators_installed.append(True)
    apply_theme(app, load_theme())
    return app


def run_gui(
    path: str | os.PathLike | None = None,
    *,
    argv: Sequence[str] | None = None,
    screenshot: str | os.PathLike | None = None,
    preloaded: Future | None = None,
    screenshot_delay_s: float = 0.8,
    view: str = "2d",
) -> int:
    """Show the main window with ``path`` (or the demo district) and run the event loop; returns the exit code.

    With ``screenshot``, the window is saved as a PNG once the network is on screen and the application quits
    (exit code 1 if the network could not be opened): a headless check of ``make run`` and the source of the
    README's screenshots. It prints ``shown_at=<epoch seconds>`` so a benchmark can time launch → map visible.
    ``preloaded`` is a future of the network already being read (the CLI starts it before importing Qt).
    ``view="3d"`` also opens the 3D view once the network is shown; with ``screenshot`` the 3D window is saved instead.
    """
    app = create_application(argv)
    window = MainWindow(defer_features=True)
    window.show()
    if screenshot is not None:
        _quit_after_first_paint(app, window, Path(screenshot), screenshot_delay_s, view)
    elif view == "3d":
        window.networkShown.connect(
            lambda: QTimer.singleShot(0, _open_3d(window)), Qt.ConnectionType.SingleShotConnection
        )
    # The feature UIs (isolation, simulation, ledger …) import their analysis stacks: install them once the map is
    # on screen, so a dispatcher sees the network first (or at once if the file could not be opened).
    window.networkShown.connect(lambda: QTimer.singleShot(0, window.install_features))
    window.loadFailed.connect(lambda _text: QTimer.singleShot(0, window.install_features))
    if preloaded is not None:
        window.open_preloaded(preloaded, path)
    elif path is None:
        window.open_demo()
    else:
        window.open_path(path)
    return app.exec()


def _open_3d(window: MainWindow):
    """The 3D view's controller after opening its window (None when the feature is not installed)."""

    def open_3d():
        window.install_features()
        controller = window.extensions.get("view3d")
        if controller is not None:
            controller.open()
        return controller

    return open_3d


def _quit_after_first_paint(
    app: QApplication, window: MainWindow, target: Path, delay_s: float = 0.8, view: str = "2d"
) -> None:
    def on_shown() -> None:
        print(f"shown_at={time.time():.6f}", flush=True)
        # let the features install and the sharper raster arrive (longer: the live feed starts, alarms come in)
        QTimer.singleShot(int(max(delay_s, 0.0) * 1000), save_and_quit)

    def save_and_quit() -> None:
        window.install_features()  # the screenshot shows the whole console
        QApplication.processEvents()
        if view == "3d":
            controller = _open_3d(window)()
            if controller is None:
                print("error=the 3D view is not available", file=sys.stderr, flush=True)
                app.exit(1)
                return
            controller.crossingsReady.connect(
                lambda: QTimer.singleShot(int(max(delay_s, 0.3) * 1000), lambda: save(controller.view_window)),
                Qt.ConnectionType.SingleShotConnection,
            )
            return
        save(window)

    def save(widget) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(target))
        print(f"screenshot={target}", flush=True)
        app.exit(0)

    def on_error() -> None:
        print(f"error={window.last_error}", file=sys.stderr, flush=True)
        app.exit(1)

    # once: install_features announces the first network again to the features that install after it
    window.networkShown.connect(on_shown, Qt.ConnectionType.SingleShotConnection)
    window.loadFailed.connect(on_error)
