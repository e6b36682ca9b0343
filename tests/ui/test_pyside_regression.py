"""PySide6 6.12.0 on Python 3.11 leaks a reference to ``True`` on every ``Signal.emit()`` and the interpreter aborts
at exit with ``Fatal Python error: bool_dealloc``. We pin PySide6-Essentials 6.11.*; this test fails if a release
with that bug (or any like it) slips in."""

import subprocess
import sys
import textwrap
from importlib.metadata import version

SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        fired = Signal(bool)
        counted = Signal(int, bool)

    app = QCoreApplication([])
    e = Emitter()
    seen = []
    e.fired.connect(seen.append)
    e.counted.connect(lambda i, flag: None)
    before = sys.getrefcount(True)
    for i in range(10_000):
        e.fired.emit(True)
        e.counted.emit(i, True)
    seen.clear()
    after = sys.getrefcount(True)
    print("REFDELTA", after - before)
    print("EMITTED", 20_000)
    """
)


def test_pinned_pyside_version():
    assert version("PySide6-Essentials").startswith("6.11."), version("PySide6-Essentials")


def test_ten_thousand_emits_exit_cleanly():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert "Fatal Python error" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    lines = dict(line.split() for line in result.stdout.splitlines() if line.startswith(("REFDELTA", "EMITTED")))
    assert lines["EMITTED"] == "20000"
    # A leak of one reference per emit would show as about -10,000 (or +10,000); allow for interpreter noise.
    assert abs(int(lines["REFDELTA"])) < 100, result.stdout
