"""``gasops isolate``: the shut-off analysis from the command line, over the same
:class:`~console.app.isolation.IsolationService` the GUI drives.

    gasops isolate NETWORK --pipe ID [--at FRACTION] | --node ID [--inoperable V1,V2] [--json]
                   [--sources ID,ID] [--order upstream_first|nearest_first] [--plan-csv F] [--customers-csv F]

``--pipe``/``--node`` may be repeated for simultaneous breaks (the n-th ``--at`` goes with the n-th ``--pipe``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.app.isolation import IsolationService
from console.app.settings import MemoryBackend, Settings
from console.errors import GasOpsError
from console.isolation import ORDER_RULES, Break, IsolationRequest, IsolationRequestError, IsolationResult

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Add the ``isolate`` subcommand to gasops's argparse subparsers."""
    p = subparsers.add_parser(
        "isolate",
        help="valve-shutoff analysis (关阀分析): valves to close, cut-off areas, customers who lose gas",
        description="Which valves to close (in order) to isolate a break, which valves are optional, which valves "
        "would not turn and what is closed instead, the segments cut off and the customers who lose gas.",
    )
    p.add_argument("network", help="network file (.gpkg, .geojson, … anything gasops reads)")
    p.add_argument("--pipe", action="append", default=[], metavar="ID", help="break on this pipe (repeatable)")
    p.add_argument(
        "--at",
        action="append",
        type=float,
        default=[],
        metavar="FRACTION",
        help="position of the break along the pipe, 0 (from node) … 1 (to node); default 0.5",
    )
    p.add_argument(
        "--node", action="append", default=[], metavar="ID", help="break at this node, valve or regulator (repeatable)"
    )
    p.add_argument("--inoperable", default="", metavar="V1,V2", help="valves that will not turn in this incident")
    p.add_argument("--sources", default=None, metavar="ID,ID", help="supply sources (default: every gate station)")
    p.add_argument("--order", choices=sorted(ORDER_RULES), default="upstream_first", help="closing order rule")
    p.add_argument("--crs", help="CRS to assume for formats that carry none (e.g. EPSG:4529)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--plan-csv", metavar="PATH", help="also write the closing plan as CSV (for crews)")
    p.add_argument("--customers-csv", metavar="PATH", help="also write the affected customers as CSV (for notices)")
    p.set_defaults(handler=run)


def request_from_args(args: argparse.Namespace) -> IsolationRequest:
    """The request the command line describes (raises IsolationRequestError for a malformed one)."""
    if not args.pipe and not args.node:
        raise IsolationRequestError("give a break position: --pipe ID [--at FRACTION] or --node ID")
    if args.at and len(args.at) != len(args.pipe):
        raise IsolationRequestError(
            f"{len(args.at)} --at value(s) for {len(args.pipe)} --pipe break(s): give one per pipe"
        )
    fractions = args.at or [0.5] * len(args.pipe)
    breaks = [Break(p, f) for p, f in zip(args.pipe, fractions, strict=True)] + [Break(n) for n in args.node]
    inoperable = [v for v in args.inoperable.split(",") if v.strip()]
    sources = None if args.sources is None else [s for s in args.sources.split(",") if s.strip()]
    return IsolationRequest(tuple(breaks), inoperable=tuple(inoperable), sources=sources, order=args.order)


def run(args: argparse.Namespace) -> int:
    from console.io import read_network  # file formats are only needed by the command line

    request = request_from_args(args)
    network = read_network(args.network, crs=args.crs)
    # Inline jobs: every call has answered when it returns. Memory settings: a command leaves the GUI's alone.
    service = IsolationService(settings=Settings(MemoryBackend()))
    errors: list[str] = []
    service.error.connect(errors.append)
    service.set_network(network, prebuild=False)
    service.run(request)
    for kind, path in (("plan", args.plan_csv), ("customers", args.customers_csv)):
        if path and not errors:
            service.export(kind, path)
    if errors:
        raise GasOpsError(errors[0])
    result = service.result
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_text(result))
    return 0


def format_text(result: IsolationResult) -> str:
    """The result as a report for a terminal or a plain-text message to crews."""
    out: list[str] = []
    imp = result.impact
    breaks = ", ".join(
        f"{b.feature_id}" + (f" at {b.fraction:.2f}" if b.fraction is not None else "") for b in result.request.breaks
    )
    out.append(f"network   {result.network} (version {result.version})")
    out.append(f"break     {breaks}  →  segment(s) {', '.join(map(str, result.break_segments))}")
    if len(result.isolated_segments) > len(result.break_segments):
        out.append(f"shut-off region grows to segment(s) {', '.join(map(str, result.isolated_segments))}")
    out.append(f"\nvalves to close — {result.order_reason}")
    required = result.required_steps
    if not required:
        out.append("  (none: nothing supplies the break)")
    for s in required:
        out.append("  " + _step_line(s))
    if result.optional_steps:
        out.append("\noptional (keep the line pack of cut-off pipes from venting through the break)")
        for s in result.optional_steps:
            out.append("  " + _step_line(s))
    if result.skipped:
        out.append("\nskipped — cannot be used, the next ring is closed instead")
        for k in result.skipped:
            out.append(f"  {k.feature_id:<14} {k.reason}")
    if result.already_closed:
        out.append(f"\nalready closed on the boundary (check): {', '.join(result.already_closed)}")
    out.append(
        f"\ncut-off segments: {len(result.cut_off_segments)}"
        + (
            f" ({', '.join(map(str, result.cut_off_segments[:20]))}{' …' if len(result.cut_off_segments) > 20 else ''})"
            if result.cut_off_segments
            else ""
        )
    )
    out.append("\nimpact")
    cats = ", ".join(f"{c} {n:,}" for c, n in imp.customers_by_category.items() if n)
    out.append(f"  customers lost      {imp.customers_lost:,}" + (f"  ({cats})" if cats else ""))
    out.append(f"  households          {imp.households:,}")
    out.append(f"  peak demand lost    {imp.peak_demand_nm3h:,.1f} Nm³/h")
    out.append(
        f"  pipes               {imp.isolated_pipe_length_m:,.1f} m shut off ({len(result.isolated_pipe_ids):,} pipes), "
        f"{imp.cut_off_pipe_length_m:,.1f} m cut off ({len(result.cut_off_pipe_ids):,} pipes)"
    )
    out.append(
        f"  internal volume     {imp.isolated_internal_volume_m3:,.2f} m³ shut off, "
        f"{imp.cut_off_internal_volume_m3:,.2f} m³ cut off"
    )
    out.append(
        f"  gas at op. pressure {imp.isolated_gas_volume_nm3:,.1f} Nm³ to vent/purge, "
        f"{imp.cut_off_gas_volume_nm3:,.1f} Nm³ line pack cut off"
    )
    if imp.sensor_ids:
        out.append(f"  sensors in outage   {', '.join(imp.sensor_ids[:20])}{' …' if len(imp.sensor_ids) > 20 else ''}")
    if imp.special_users:
        out.append("\nspecial users (served first)")
        for c in imp.special_users:
            kind = f" [{c.special_kind}]" if c.special_kind else ""
            out.append(f"  {c.name or '—'}{kind}  {c.feature_id}  {c.peak_demand_nm3h:,.1f} Nm³/h  ({c.role})")
    for w in result.warnings:
        out.append(f"\nwarning: {w}")
    return "\n".join(out)


def _step_line(s) -> str:
    what = {"close_valve": "close", "shut_regulator": "shut regulator", "stop_source": "stop source"}[s.action]
    dist = f"{s.distance_m:,.0f} m from break" if s.distance_m is not None else "distance unknown"
    remote = ", remote" if s.remote_controlled else ""
    return f"{s.order:>3}. {what} {s.feature_id:<14} {dist}{remote} — {s.reason}"
