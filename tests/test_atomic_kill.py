"""A save killed with SIGKILL half way leaves the previous file intact; the next save leaves no temporary behind."""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from console.io import read_network, write_network
from console.network import GasNetwork, generate_demo

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

ROOT = Path(__file__).resolve().parents[1]

# write_network of a real network into a GeoPackage, stopped (and then killed) after its second layer is on disk.
WRITE_NETWORK = """
import sys, time
import pyogrio
from console.io import write_network
from console.network import generate_demo

network = generate_demo(n_pipes=3000, seed=7)
real = pyogrio.write_dataframe
layers = []

def write_dataframe(*args, **kwargs):
    real(*args, **kwargs)
    layers.append(kwargs.get("layer"))
    if len(layers) == 2:
        print("mid-write", flush=True)
        time.sleep(300)

pyogrio.write_dataframe = write_dataframe
write_network(network, sys.argv[1])
"""

# atomic_output filled with 64 KiB chunks, as long as it takes to be killed.
ATOMIC_OUTPUT = """
import os, sys
from console.atomic import atomic_output

with atomic_output(sys.argv[1]) as tmp:
    with open(tmp, "wb") as handle:
        for i in range(4096):
            handle.write(os.urandom(1 << 16))
            handle.flush()
            if i == 16:
                print("mid-write", flush=True)
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and ".tmp-" in p.name)


def start_writer(script: str, target: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-c", script, str(target)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def wait_for_line(process: subprocess.Popen, expected: str, timeout: float = 120) -> None:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        process.kill()
        pytest.fail(f"the writer did not reach {expected!r} in {timeout} s")
    assert line.strip() == expected, f"writer said {line!r} (exit code {process.poll()})"


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.stdout.close()


def test_kill_during_write_network_keeps_the_previous_network(tmp_path):
    target = tmp_path / "network.gpkg"
    write_network(GasNetwork({}, "EPSG:4529", name="上一版"), target)
    before = digest(target)

    writer = start_writer(WRITE_NETWORK, target)
    wait_for_line(writer, "mid-write")
    left = temporaries(tmp_path)
    assert left and all(p.name.startswith(f".network.gpkg.tmp-{writer.pid}-") for p in left)
    assert left[0].stat().st_size > 0  # half a GeoPackage is on disk
    kill(writer)

    assert digest(target) == before
    assert read_network(target).name == "上一版"
    assert temporaries(tmp_path)  # what the killed save left behind …

    network = generate_demo(n_pipes=500, seed=3)
    write_network(network, target)
    assert temporaries(tmp_path) == []  # … the next save of the same file removes
    assert read_network(target).counts() == network.counts()


def test_kill_during_atomic_output_keeps_the_previous_file(tmp_path):
    target = tmp_path / "readings.bin"
    target.write_bytes(b"previous readings")

    writer = start_writer(ATOMIC_OUTPUT, target)
    wait_for_line(writer, "mid-write")
    time.sleep(0.05)  # still writing when the kill arrives
    kill(writer)

    assert target.read_bytes() == b"previous readings"
    (leftover,) = temporaries(tmp_path)
    assert leftover.stat().st_size >= 16 << 16

    from console.atomic import atomic_write_bytes

    atomic_write_bytes(target, b"next readings")
    assert target.read_bytes() == b"next readings"
    assert temporaries(tmp_path) == []
