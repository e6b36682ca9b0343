"""PostGIS scenario (one process per size): write and read a network in PostGIS next to GeoPackage, in the same run.

python -m tests.bench.bench_postgis --pipes 1000000 [--network FILE]

The server is a fresh PostgreSQL + PostGIS on loopback (tests/postgres_server.py) with its default durability
(fsync and synchronous commit on, WAL level replica, as a production server has them); the GeoPackage is written to
the benchmark cache folder on the same disk. "write" is into an empty schema, "rewrite" replaces the network already
there (the usual save), "read" builds the GasNetwork with every attribute. ``--network`` times an existing network
file instead of a generated demo district.
"""

from __future__ import annotations

import argparse
import json
import statistics

from tests.bench._common import CACHE, peak_rss_mb, table, timed
from tests.postgres_server import PostgresServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--network", help="time this network file instead of a generated demo district")
    parser.add_argument("--repeat", type=int, default=0, help="runs per measure (default 3 up to 200k pipes, else 1)")
    args = parser.parse_args()

    from console.io import read_network, write_network
    from console.network import generate_demo

    net = read_network(args.network) if args.network else generate_demo(n_pipes=args.pipes, seed=args.seed)
    counts = net.counts()
    repeat = args.repeat or (3 if counts["pipes"] <= 200_000 else 1)
    CACHE.mkdir(parents=True, exist_ok=True)
    gpkg = CACHE / f"bench-postgis-{counts['pipes']}.gpkg"

    def best(fn) -> float:
        return statistics.median(timed(fn)[0] for _ in range(repeat))

    result: dict[str, object] = {"pipes": counts["pipes"], "features": int(sum(counts.values())), "repeat": repeat}
    result["gpkg_write_s"] = best(lambda: write_network(net, gpkg))
    result["gpkg_read_s"] = best(lambda: read_network(gpkg))
    result["gpkg_mb"] = gpkg.stat().st_size / 1e6
    gpkg.unlink()
    with PostgresServer(durable=True) as server:
        first = []
        for i in range(repeat):
            server.execute(f"CREATE SCHEMA run{i}")
            first.append(timed(lambda i=i: write_network(net, server.url(schema=f"run{i}")))[0])
            if i:
                server.execute(f"DROP SCHEMA run{i} CASCADE")
        url = server.url(schema="run0")
        result["postgis_write_s"] = statistics.median(first)
        result["postgis_rewrite_s"] = best(lambda: write_network(net, url))
        result["postgis_read_s"] = best(lambda: read_network(url))
        size = server.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'run0' AND c.relkind = 'r'"
        )[0][0]
        result["postgis_mb"] = float(size) / 1e6
        back = read_network(url)
        result["round_trip_same_counts"] = back.counts() == counts
    result["peak_rss_mb"] = peak_rss_mb()

    rows = [
        ["write (new)", f"{result['gpkg_write_s']:.2f} s", f"{result['postgis_write_s']:.2f} s"],
        ["rewrite (replace)", "—", f"{result['postgis_rewrite_s']:.2f} s"],
        ["read", f"{result['gpkg_read_s']:.2f} s", f"{result['postgis_read_s']:.2f} s"],
        ["size on disk", f"{result['gpkg_mb']:.0f} MB", f"{result['postgis_mb']:.0f} MB (tables + indexes)"],
    ]
    title = (
        f"PostGIS next to GeoPackage at {counts['pipes']:,} pipes ({result['features']:,} features, "
        f"median of {repeat}; peak RSS {result['peak_rss_mb']:,.0f} MB)"
    )
    print(table(title, ["measure", "GeoPackage", "PostGIS (loopback)"], rows))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
