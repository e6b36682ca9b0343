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
import sys
from collections.abc import Sequence

from console import __version__
from console.cli import network
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
    "changes": "console.cli.changes",
    "incident": "console.cli.incident",
    "meter": "console.cli.meter",
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
    gui.add_argument(
        "--screenshot-delay", type=float, default=0.8, metavar="S", help="seconds after the map shows (default 0.8)"
    )
    gui.add_argument(
        "--view", choices=("2d", "3d"), default="2d", help="3d: open the 3D view too (with --screenshot: save it)"
    )

    gui.set_defaults(handler=_gui)
    network.add_parser(sub)
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
        return run_gui(
            shown,
            screenshot=args.screenshot,
            preloaded=preloaded,
            screenshot_delay_s=args.screenshot_delay,
            view=args.view,
        )
    finally:
        runner.shutdown(wait=False)
