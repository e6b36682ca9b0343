"""``make bench``: run every benchmark scenario in its own process (clean peak RSS) and print its table.

python -m tests.bench [--sizes 100000,1000000] [--only network,ui,launch,isolation,hydraulics,ledger,telemetry,postgis]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
from pathlib import Path

from tests.bench._common import ROOT, run_scenario

SCENARIOS = (
    "network",
    "ui",
    "launch",
    "isolation",
    "hydraulics",
    "ledger",
    "metering",
    "canonical",
    "telemetry",
    "live_ui",
    "broker",
    "postgis",
    "dispatch",
    "view3d",
    "editing",
)
SIZED = {"network", "ui", "postgis", "view3d", "editing"}  # run once per --sizes entry


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="100000,1000000", help="generated network sizes in pipes")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--save", default=str(ROOT / "build" / "bench" / "results.json"), help="where to keep the JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"GasOps Console benchmarks — {platform.machine()}, Python {platform.python_version()}")
    results: dict[str, object] = {}
    for name in args.only.split(","):
        module = f"tests.bench.bench_{name}"
        if name not in SCENARIOS or importlib.util.find_spec(module) is None:
            print(f"\n(no scenario {name!r})")
            continue
        runs = [("--pipes", str(n)) for n in sizes] if name in SIZED else [()]
        for extra in runs:
            key = f"{name}{'-' + extra[1] if extra else ''}"
            results[key] = run_scenario(module, *extra, echo=True)
    Path(args.save).parent.mkdir(parents=True, exist_ok=True)
    Path(args.save).write_text(json.dumps(results, indent=2))
    print(f"\nresults saved to {args.save}")


if __name__ == "__main__":
    main()
