"""``gasops info | convert | demo``: network files from the command line (any format the registry reads or writes).

FILE, IN and OUT may be PostGIS URLs, ``postgresql://user@host:port/db?schema=NAME`` (password from the URL,
PGPASSWORD or ~/.pgpass; it is never printed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from console.errors import GasOpsError

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add ``info``, ``convert`` and ``demo`` to gasops's subparsers."""
    info = sub.add_parser("info", help="counts per feature class, CRS, extent and validation summary")
    info.add_argument("file")
    info.add_argument("--crs", help="CRS to assume for formats that carry none (e.g. EPSG:4529)")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.add_argument("--findings", type=int, default=8, metavar="N", help="feature ids to list per finding")

    convert = sub.add_parser(
        "convert", help="convert between formats (.gpkg .geojson .shp postgresql://…?schema=NAME; import .net .inp)"
    )
    convert.add_argument("input")
    convert.add_argument("output")
    convert.add_argument("--to-crs", help="reproject to this CRS (e.g. EPSG:4549)")
    convert.add_argument("--crs", help="CRS of the input when its format carries none")

    demo = sub.add_parser("demo", help="generate the demo district into a GeoPackage")
    demo.add_argument("output")
    demo.add_argument("--pipes", type=int, default=30_000, help="target number of pipes (default 30000)")
    demo.add_argument("--seed", type=int, default=2026)

    info.set_defaults(handler=_info)
    convert.set_defaults(handler=_convert)
    demo.set_defaults(handler=_demo)


def _info(args: argparse.Namespace) -> int:
    from console.app.workspace import open_network
    from console.io import redact_url
    from console.network import LAYERS, validate

    t0 = time.perf_counter()
    network = open_network(args.file, crs=args.crs)
    load_s = time.perf_counter() - t0
    report = validate(network)
    counts = network.counts()
    pipes = network["pipes"]
    xmin, ymin, xmax, ymax = network.bounds
    info = {
        "file": redact_url(args.file),
        "name": network.name,
        "crs": network.crs.to_string() if network.crs else None,
        "crs_name": network.crs.name if network.crs else None,
        "extent": [xmin, ymin, xmax, ymax],
        "counts": counts,
        "pipe_length_km": float(pipes["length_m"].sum() / 1000.0),
        "pipe_length_km_by_class": {
            str(k): round(float(v) / 1000.0, 3)
            for k, v in pipes.groupby("pressure_class", observed=True)["length_m"].sum().items()
        },
        "components": network.topology.n_components,
        "validation": report.to_dict(),
        "load_seconds": round(load_s, 3),
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"network   {network.name}  ({info['file']}, read in {load_s:.2f} s)")
    print(f"CRS       {info['crs'] or '—'}  {info['crs_name'] or ''}")
    if network.crs is not None and not network.crs.is_geographic:
        print(
            f"extent    x {xmin:,.1f} … {xmax:,.1f}   y {ymin:,.1f} … {ymax:,.1f}   ({(xmax - xmin) / 1000:.1f} km × {(ymax - ymin) / 1000:.1f} km)"
        )
    else:
        print(f"extent    x {xmin:.6f} … {xmax:.6f}   y {ymin:.6f} … {ymax:.6f}")
    print("features")
    for name, n in counts.items():
        if n:
            extra = f"   {info['pipe_length_km']:,.1f} km" if name == "pipes" else ""
            print(f"  {LAYERS[name].label:<20} {LAYERS[name].label_zh:<8} {n:>10,}{extra}")
    for cls, km in info["pipe_length_km_by_class"].items():
        print(f"    pressure class {cls:<6} {km:>10,.1f} km")
    print(f"topology  {info['components']} connected component(s)")
    errors = sum(1 for f in report.findings if f.severity == "error")
    warnings = len(report.findings) - errors
    print(f"validation  {'OK' if report.ok else 'PROBLEMS'}: {errors} error finding(s), {warnings} warning finding(s)")
    if report.findings:
        print(report.format_text(max_ids=args.findings))
    return 0


def _convert(args: argparse.Namespace) -> int:
    from console.app.workspace import open_network
    from console.io import reproject, write_network

    network = open_network(args.input, crs=args.crs)
    if args.to_crs:
        network = reproject(network, args.to_crs)
    out = write_network(network, args.output)
    counts = ", ".join(f"{n:,} {k}" for k, n in network.counts().items() if n)
    print(f"wrote {out} ({counts}; {network.crs.to_string() if network.crs else 'no CRS'})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from console.io import write_network
    from console.network import generate_demo

    if args.pipes < 100 or args.pipes > 5_000_000:
        raise GasOpsError(f"--pipes {args.pipes}: choose between 100 and 5,000,000")
    t0 = time.perf_counter()
    network = generate_demo(n_pipes=args.pipes, seed=args.seed)
    gen_s = time.perf_counter() - t0
    out = write_network(network, Path(args.output))
    counts = ", ".join(f"{n:,} {k}" for k, n in network.counts().items() if n)
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s (generated in {gen_s:.1f} s): {counts}")
    return 0
