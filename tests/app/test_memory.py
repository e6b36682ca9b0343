"""The allocator settings the console starts with give freed large arrays back to the system (glibc on Linux).

The scenario is what reading and preparing a big network does: a large temporary freed (glibc then raises its mmap
threshold), then many 1 MB arrays interleaved with small allocations, then the arrays freed. With glibc's defaults
the arrays sit in the heap behind the small allocations and stay resident; with the console's settings they do not.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCENARIO = """
import sys
import numpy as np
if sys.argv[1] == "tuned":
    from console.app.memory import tune_allocator
    assert tune_allocator()
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
big = np.ones(4 << 20, np.uint8)
del big
base = rss_mb()
arrays, small = [], []
for _ in range(100):
    arrays.append(np.ones(1 << 20, np.uint8))
    small.append(np.ones(600))
del arrays
print(rss_mb() - base)
"""


def _retained_mb(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", SCENARIO, mode], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout)


def test_freed_large_arrays_leave_the_process_with_the_consoles_settings():
    assert _retained_mb("plain") > 60.0  # glibc's defaults keep ~100 MB resident here
    assert _retained_mb("tuned") < 10.0


def test_the_environment_wins_over_the_consoles_settings(monkeypatch):
    from console.app import memory

    calls: list[tuple[int, int]] = []

    def mallopt(param, value):
        calls.append((param, value))
        return 1

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: type("Libc", (), {"mallopt": staticmethod(mallopt)}))
    assert memory.tune_allocator()
    assert calls == [(memory._M_MMAP_THRESHOLD, 256 * 1024), (memory._M_TRIM_THRESHOLD, 1024 * 1024)]
