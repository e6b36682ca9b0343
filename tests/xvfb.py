"""A private Xvfb display for tests that need real OpenGL (Mesa) or launch the desktop bundle.

Offscreen Qt has no OpenGL; those tests start their own X server on a free display number (``-displayfd``), with no
TCP listener, and stop it after the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest


def xvfb_display(what: str) -> Iterator[str]:
    """Yield ``":N"`` of a fresh Xvfb server (1600×1000×24); ``what`` names the tests in the failure message."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.fail(f"Xvfb is not installed: {what} need it (`make test` installs xvfb; or apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [binary, "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        proc.wait(10)
        pytest.fail("Xvfb did not start (no display number)")
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)
