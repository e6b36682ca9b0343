"""``gasops simulate``: the steady-state simulation from the command line, over the same
:class:`console.app.simulation.SimulationService` the GUI uses.

    gasops simulate NETWORK [--closed V1,V2] [--law colebrook|renouard|weymouth|panhandle-a] [--demand FILE] [--json OUT]

``--demand`` takes a demand scenario (CSV of node id → Nm³/h, or a GasLib nomination) instead of the customers' peaks.

Prints the pressure range of every pressure system, regulator states, unsupplied parts, violations, iterations
and solve time. An infeasible case (demand that would need negative absolute pressure) is an error (exit 1).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser", "run"]

LAWS = ("colebrook", "renouard", "weymouth", "panhandle-a", "nikuradse")


def add_parser(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand to gasops's argparse subparsers."""
    p = subparsers.add_parser(
        "simulate",
        help="steady-state gas flow (水力计算): pressures per system, violations, regulator states",
        description="Solve the steady-state gas flow of a network: node pressures, pipe flows and velocities, "
        "regulator states, unsupplied parts and violations of the minimum service pressure and velocity limits.",
    )
    p.add_argument("network", help="network file (.gpkg, .geojson, … anything gasops reads)")
    p.add_argument(
        "--closed", default="", metavar="V1,V2", help="links to close for this run (valves, pipes, regulators)"
    )
    p.add_argument("--law", choices=LAWS, default="colebrook", help="pressure-drop law (default colebrook)")
    p.add_argument("--demand-factor", type=float, default=1.0, metavar="F", help="scale every demand (default 1.0)")
    p.add_argument(
        "--demand",
        metavar="FILE",
        help="demand scenario: CSV (node_id,demand_nm3h) or a GasLib nomination JSON; replaces the customers' peaks",
    )
    p.add_argument("--crs", help="CRS to assume for formats that carry none (e.g. EPSG:4529)")
    p.add_argument("--json", metavar="OUT", help="write the full result (arrays included) as JSON to OUT")
    p.add_argument("--show", type=int, default=15, metavar="N", help="systems and violations to list (default 15)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from console.app.simulation import SimulationService
    from console.atomic import atomic_write_text
    from console.errors import GasOpsError
    from console.hydraulics import DemandOptions, SimulationRequest, format_pressure, read_demand_scenario
    from console.io import read_network
    from console.network import PressureClass

    if not args.demand_factor > 0:
        raise GasOpsError(f"--demand-factor {args.demand_factor}: give a positive number")
    network = read_network(args.network, crs=args.crs)
    closed = tuple(c.strip() for c in args.closed.split(",") if c.strip())
    scenario = read_demand_scenario(args.demand, network).node_demand_nm3h if args.demand else None
    demand = DemandOptions(demand_factor=args.demand_factor, node_demand_nm3h=scenario)
    request = SimulationRequest(closed=closed, law=args.law, demand=demand)
    service = SimulationService()  # inline jobs: the run is done when simulate() returns
    service.simulate(request, network=network).future.result()  # raises the solver's error (one line)
    result = service.run.result
    conv = result.convergence
    counts = network.counts()
    print(f"network   {network.name}  ({args.network}: {counts['pipes']:,} pipes, {len(result.node_ids):,} nodes)")
    print(
        f"law       {request.law.value}; flows in {request.gas.base_label}/h; demand {result.node_demand_nm3h.sum():,.1f} {request.gas.base_label}/h"
    )
    if closed:
        print(f"closed    {', '.join(closed)}")
    print(
        f"solved    in {conv.solve_seconds:.2f} s: {conv.iterations} Newton iteration(s), {conv.regulator_rounds} "
        f"regulator round(s); imbalance {conv.flow_residual_nm3h:.1e} Nm³/h, pipe-law residual "
        f"{conv.pressure_residual_pa:.1e} Pa, worst node balance {conv.conservation_max_nm3h:.1e} Nm³/h"
    )
    rank = {c.value: c.rank for c in PressureClass}
    systems = sorted(result.systems, key=lambda s: (-rank.get(s.pressure_class, -1), s.min_pressure_pa))
    print(f"pressure systems ({len(systems)}), highest class first, lowest pressure first:")
    for s in systems[: args.show]:
        if not s.supplied:
            print(f"  #{s.system_id:<5} {s.pressure_class:<6} unsupplied ({s.n_nodes} nodes)")
            continue
        print(
            f"  #{s.system_id:<5} {s.pressure_class:<6} min {format_pressure(s.min_pressure_pa):>11} at {s.min_node_id:<12} "
            f"max {format_pressure(s.max_pressure_pa):>11}  {s.demand_nm3h:10,.1f} Nm³/h  fed by {', '.join(s.fed_by[:3]) or '—'}"
        )
    if len(systems) > args.show:
        print(f"  … {len(systems) - args.show} more")
    summary = result.summary()
    print("regulators " + (", ".join(f"{n} {k}" for k, n in summary["regulator_states"].items()) or "none"))
    if result.unsupplied:
        n_cust = summary["unsupplied_customers"]
        lost = sum(u.demand_nm3h for u in result.unsupplied)
        print(f"unsupplied {len(result.unsupplied)} part(s), {n_cust} customer(s), {lost:,.1f} Nm³/h not served")
        for part in result.unsupplied[: min(5, args.show)]:
            border = (
                f"; closed on its border: {', '.join(part.closed_boundary_ids[:5])}" if part.closed_boundary_ids else ""
            )
            print(f"  {len(part.node_ids)} nodes from {part.node_ids[0]}, {len(part.customer_ids)} customers{border}")
    kinds = ", ".join(f"{n} {k}" for k, n in summary["violations_by_kind"].items())
    print(f"violations {len(result.violations)}" + (f" ({kinds})" if kinds else ""))
    for v in result.violations[: args.show]:
        print(f"  {v.severity:<7} {v.kind:<22} {v.message}")
    if len(result.violations) > args.show:
        print(f"  … {len(result.violations) - args.show} more")
    for w in result.warnings:
        print(f"warning   {w}")
    if args.json:
        atomic_write_text(args.json, json.dumps({"summary": summary, "result": result.to_dict()}, ensure_ascii=False))
        print(f"wrote     {args.json}")
    return 0
