"""``gasops``: the command-line front end, beside the GUI, over the same services.

``gasops`` alone opens the GUI on the demo district; ``gasops FILE`` opens a file. Subcommands run headless:

    gasops info FILE [--json]
    gasops convert IN OUT [--to-crs EPSG] [--crs EPSG]
    gasops demo OUT.gpkg [--pipes N] [--seed S]

FILE, IN and OUT may be PostGIS URLs, ``postgresql://user@host:port/db?schema=NAME`` (password from the URL,
PGPASSWORD or ~/.pgpass; it is never printed).

Exit codes: 0 success, 1 a reported error (one line on stderr naming the file/feature and the problem), 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from console import __version__
from console.errors import GasOpsError

__all__ = ["main", "build_parser"]

# Analysis packages add their own subcommands through ``add_parser(subparsers)``. They are imported only when their
# command is used (or for --help), so the GUI and the light commands start without loading scipy-heavy analyses.
COMMAND_MODULES = {
    "isolate": "console.cli.isolate",
    "simulate": "console.cli.simulate",
    "ledger": "console.cli.ledger",
    "feed": "console.cli.feed",
    "alarms": "console.cli.feed",
}
BUILTIN_COMMANDS = ("gui", "info", "convert", "demo")


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``commands`` limits which analysis modules are imported (default: all)."""
    parser = argparse.ArgumentParser(
        prog="gasops",
        description="GasOps Console: GIS operations console for city gas networks (城镇燃气). "
        "Without a subcommand, opens the GUI (on FILE, or on the demo district).",
    )
    parser.add_argument("--version", action="version", version=f"gasops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the console window (the default)")
    gui.add_argument("file", nargs="?", help="network file to open (default: the demo district)")
    gui.add_argument("--screenshot", metavar="PNG", help="save the window once the map is shown, then quit")

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

    gui.set_defaults(handler=_gui)
    info.set_defaults(handler=_info)
    convert.set_defaults(handler=_convert)
    demo.set_defaults(handler=_demo)
    wanted = COMMAND_MODULES.keys() if commands is None else [c for c in commands if c in COMMAND_MODULES]
    for module in dict.fromkeys(COMMAND_MODULES[c] for c in wanted):
        if importlib.util.find_spec(module.rsplit(".", 1)[0]) is not None and importlib.util.find_spec(module):
            importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from console.app.memory import tune_allocator

    tune_allocator()  # before any worker thread: fewer arenas, big temporaries back to the system (see its module)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*BUILTIN_COMMANDS, *COMMAND_MODULES, "-h", "--help", "--version"):
        argv = ["gui", *argv]  # `gasops`, `gasops FILE` and `gasops --screenshot X` open the GUI
    parser = build_parser(None if argv[0] in ("-h", "--help") else argv[:1])
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except GasOpsError as exc:
        print(f"gasops: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gasops: interrupted", file=sys.stderr)
        return 130


def _gui(args: argparse.Namespace) -> int:
    from console.app.jobs import JobRunner
    from console.app.workspace import load_network

    # Start reading the network before Qt is imported: GDAL/arrow release the GIL, so the read overlaps the
    # imports and the window construction (the map is on screen ~0.5 s sooner).
    runner = JobRunner(max_workers=1)
    preloaded, _feedback = runner.submit(lambda feedback: load_network(args.file, feedback=feedback))
    from console.io import redact_url
    from console.ui.app import run_gui  # Qt is imported only when the GUI is wanted

    shown = redact_url(args.file) if args.file else None  # the window title names a database without its password
    try:
        return run_gui(shown, screenshot=args.screenshot, preloaded=preloaded)
    finally:
        runner.shutdown(wait=False)


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
