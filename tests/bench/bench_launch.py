"""Launch → demo visible: start ``gasops --screenshot`` as a user would (a new process, warm demo cache) and time
from process start until the window reports the map shown. Median of several launches.

    python -m tests.bench.bench_launch
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._common import table


def launch(data_dir: str, shot: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GASOPS_DATA_DIR": data_dir}
    start = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "console", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    shown = next(float(line.split("=", 1)[1]) for line in proc.stdout.splitlines() if line.startswith("shown_at="))
    return shown - start


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        shot = Path(data_dir) / "shot.png"
        first = launch(data_dir, shot)  # generates and saves the demo district
        warm = [launch(data_dir, shot) for _ in range(5)]
    result = {"first_launch_s": first, "launch_to_visible_median_s": statistics.median(warm), "launches": warm}
    print(
        table(
            "Launch to demo visible (target <= 3 s; warm = the demo GeoPackage already in the data folder)",
            ["measure", "seconds"],
            [
                ["first launch (generates the 30k demo)", f"{first:.2f}"],
                ["warm launch, median of 5", f"{statistics.median(warm):.2f}"],
                ["warm launches", " ".join(f"{w:.2f}" for w in warm)],
            ],
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
