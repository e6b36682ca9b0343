"""``make bench``: run every benchmark scenario in its own process and print the tables for the README.

python -m tests.bench [--sizes 100000,1000000] [--only network,ui]
"""

from __future__ import annotations

import argparse
import platform

from tests.bench._common import run_scenario, table


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="100000,1000000", help="generated network sizes in pipes")
    parser.add_argument("--only", default="network,ui", help="scenarios: network, ui")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    only = set(args.only.split(","))
    print(
        f"GasOps Console benchmarks — {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )

    if "network" in only:
        rows = []
        for n in sizes:
            r = run_scenario("tests.bench.bench_network", "--pipes", str(n))
            rows.append(
                [
                    f"{r['pipes']:,}",
                    f"{r['generate_s']:.1f}",
                    f"{r['save_gpkg_s']:.1f}",
                    f"{r['load_gpkg_s']:.2f}",
                    f"{r['topology_s']:.2f}",
                    f"{r['validate_s']:.2f}",
                    f"{r['identify_median_ms']:.2f} / {r['identify_p95_ms']:.2f}",
                    f"{r['peak_rss_mb']:.0f}",
                ]
            )
        print(
            table(
                "Network (targets: load 1M <= 10 s; identify <= 5 ms; peak RSS 1M <= 1,500 MB)",
                [
                    "pipes",
                    "generate s",
                    "save gpkg s",
                    "load gpkg s",
                    "topology s",
                    "validate s",
                    "identify ms (med/p95)",
                    "peak RSS MB",
                ],
                rows,
            )
        )

    if "ui" in only:
        from tests.bench import bench_ui_driver

        bench_ui_driver.report(sizes)


if __name__ == "__main__":
    main()
