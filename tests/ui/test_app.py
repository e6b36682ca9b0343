"""``run_gui``: the application starts, opens the demo district in the background and shows it."""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

import console.app.workspace as workspace
from tests.ui.synthetic import district


def test_run_gui_opens_the_demo_and_shows_it(qapp, monkeypatch, tmp_path):
    from console.ui import run_gui
    from console.ui.main_window import MainWindow

    demo = district(6, name="Demo district")
    calls = []
    monkeypatch.setattr(
        workspace, "ensure_demo", lambda feedback=None: calls.append("ensure") or tmp_path / "demo.gpkg"
    )
    monkeypatch.setattr(workspace, "open_network", lambda path, feedback=None: calls.append(path.name) or demo)
    seen = {}

    def event_loop(app) -> int:
        """Stands in for QApplication.exec: quitting the real one would stop Qt timers for the rest of the suite."""
        loop = QEventLoop()

        def check() -> None:
            windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            if windows and windows[0].network is demo and windows[0].canvas.pipes.has_content:
                w = windows[0]  # the title as shown: Qt draws "[*]" as "*" only while there are unsaved edits
                seen["title"] = w.windowTitle().replace("[*]", "*" if w.isWindowModified() else "")
                seen["org"] = (app.organizationName(), app.applicationName())
                windows[0].close()
                loop.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(50)
        QTimer.singleShot(30_000, loop.quit)  # never hang the suite
        loop.exec()
        poll.stop()
        return 0

    monkeypatch.setattr(QApplication, "exec", event_loop)
    assert run_gui(argv=["gasops"]) == 0
    assert calls == ["ensure", "demo.gpkg"]
    assert seen["title"] == "Demo district — demo.gpkg — GasOps Console"
    assert seen["org"] == ("GasOps", "GasOps Console")
