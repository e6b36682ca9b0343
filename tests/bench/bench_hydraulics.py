"""Hydraulics scenario: our steady-state solve against pandapipes on the same 10k-junction city network (with and
without numba), the 100k-junction solve, a re-solve with 20 valves closed, and contours at 100k nodes.

    python -m tests.bench.bench_hydraulics [--junctions 10000] [--large 100000] [--seed 2026]

"Junctions" counts every node (pandapipes' junctions): customers, risers and end caps included. Our times are the
median of repeated solves on a network whose flow model is already built (the first, cold call builds the topology
and the model arrays per network version and is reported separately); pandapipes' after one warm-up call (numba
compiles then), each with friction_model="colebrook" and its default tolerances. For the comparison our solver also
uses Colebrook–White at every Reynolds number (``laminar_flow=False``), as pandapipes does.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from tests.bench._common import peak_rss_mb, repeat_ms, table, timed


def _network(junctions: int, seed: int):
    from console.network import generate_demo

    net = generate_demo(n_pipes=max(100, int(junctions / 1.025)), seed=seed)
    return net, net.topology.n_nodes


def _feasible(net, request):
    """Solve; if the demo's demand cannot be delivered at this size, scale it down (reported)."""
    from dataclasses import replace

    from console.hydraulics import DemandOptions, InfeasibleError, simulate

    for factor in (1.0, 0.5, 0.25, 0.1):
        req = replace(request, demand=DemandOptions(demand_factor=factor))
        try:
            seconds, result = timed(lambda req=req: simulate(net, req))
            return req, result, seconds, factor
        except InfeasibleError:
            continue
    raise RuntimeError("generated network infeasible even at 10 % of its demand")


def _pandapipes_ms(net_pp, use_numba: bool, repeats: int) -> dict:
    from tests.hydraulics._reference import pipeflow

    def run():
        pipeflow(net_pp, use_numba=use_numba, tol_p=1e-5, tol_m=1e-5, max_iter_hyd=50, max_iter_colebrook=100)
        assert net_pp.converged

    return repeat_ms(run, n=repeats, warmup=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--junctions", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from console.hydraulics import SimulationRequest, pressure_contours, simulate, what_if
    from tests.hydraulics._reference import to_pandapipes

    out: dict = {}
    # -- 10k: ours vs pandapipes ----------------------------------------------------------------------------------------
    net, n_nodes = _network(args.junctions, args.seed)
    request, result, cold_s, factor = _feasible(net, SimulationRequest(laminar_flow=False))
    ours = repeat_ms(lambda: simulate(net, request), n=args.repeats, warmup=1)
    ours_default = repeat_ms(lambda: simulate(net, SimulationRequest(demand=request.demand)), n=args.repeats, warmup=1)
    net_pp, junction = to_pandapipes(net, request, result.node_demand_nm3h)
    pp_np = _pandapipes_ms(net_pp, use_numba=False, repeats=max(2, args.repeats // 2))
    pp_nb = _pandapipes_ms(net_pp, use_numba=True, repeats=max(2, args.repeats // 2))
    ref = net_pp.res_junction.p_bar.to_numpy()[junction] * 1e5
    worst = 0.0
    for s in result.systems:
        nodes = result.node_supplied & (result.node_system == s.system_id)
        if s.supplied and s.n_pipes > 1:
            drop = ref[nodes].max() - ref[nodes].min()
            if drop > 0:
                worst = max(worst, float(np.max(np.abs(result.node_pressure_pa[nodes] - ref[nodes])) / drop))
    out.update(
        junctions=n_nodes,
        pipes=len(net["pipes"]),
        demand_factor=factor,
        ours_cold_ms=cold_s * 1000,
        ours_ms=ours["median_ms"],
        ours_laminar_model_ms=ours_default["median_ms"],
        ours_iterations=result.convergence.iterations,
        pandapipes_ms=pp_np["median_ms"],
        pandapipes_numba_ms=pp_nb["median_ms"],
        ratio=pp_np["median_ms"] / ours["median_ms"],
        ratio_numba=pp_nb["median_ms"] / ours["median_ms"],
        max_dp_pct_of_system_drop=100 * worst,
    )
    # -- re-solve with 20 valves closed at 10k --------------------------------------------------------------------------
    rng = np.random.default_rng(args.seed)
    valves = net["valves"]
    open_ids = valves["id"].to_numpy(dtype=object)[(valves["normal_position"].astype(str) == "open").to_numpy()]
    closed = rng.choice(open_ids, size=min(20, len(open_ids)), replace=False).tolist()
    resolve = repeat_ms(lambda: what_if(net, closed, request, base=result), n=args.repeats, warmup=1)
    _, scenario, diff = what_if(net, closed, request, base=result)
    out.update(
        resolve_20_valves_ms=resolve["median_ms"],
        resolve_iterations=scenario.convergence.iterations,
        resolve_customers_cut_off=len(diff.newly_unsupplied_customer_ids),
    )
    del net_pp
    # -- 100k ------------------------------------------------------------------------------------------------------------
    big, big_nodes = _network(args.large, args.seed)
    big_request, big_result, big_cold_s, big_factor = _feasible(big, SimulationRequest())
    big_ms = repeat_ms(lambda: simulate(big, big_request), n=max(2, args.repeats // 2), warmup=1)
    contours = repeat_ms(lambda: pressure_contours(big, big_result), n=args.repeats, warmup=1)
    cs = pressure_contours(big, big_result)
    out.update(
        large_junctions=big_nodes,
        large_pipes=len(big["pipes"]),
        large_demand_factor=big_factor,
        large_cold_s=big_cold_s,
        large_s=big_ms["median_ms"] / 1000,
        large_iterations=big_result.convergence.iterations,
        contours_ms=contours["median_ms"],
        contours_p95_ms=contours["p95_ms"],
        contour_cell_m=cs.cell_m,
        contour_systems=sum(len(c.system_ids) for c in cs.sets),
        peak_rss_mb=peak_rss_mb(),
    )
    rows = [
        [f"{n_nodes:,} junctions", f"{out['ours_ms']:.0f}", f"{out['pandapipes_ms']:.0f}", f"{out['ratio']:.1f}x", f"{out['pandapipes_numba_ms']:.0f}", f"{out['ratio_numba']:.1f}x"],
    ]  # fmt: skip
    print(table("Hydraulics vs pandapipes (colebrook; target >= 5x at 10k)", ["network", "ours ms", "pandapipes ms", "ratio", "pp+numba ms", "ratio"], rows))  # fmt: skip
    print(
        table(
            "Hydraulics (targets: 100k <= 3 s; re-solve 20 valves <= 0.5 s at 10k; contours <= 300 ms at 100k)",
            ["scenario", "value"],
            [
                ["10k cold solve (builds model) ms", f"{out['ours_cold_ms']:.0f}"],
                ["10k solve, laminar model ms", f"{out['ours_laminar_model_ms']:.0f}"],
                ["10k max |dp| vs pandapipes, % of system drop", f"{out['max_dp_pct_of_system_drop']:.3f}"],
                ["10k re-solve, 20 valves closed ms", f"{out['resolve_20_valves_ms']:.0f}"],
                [f"{big_nodes:,} junctions solve s (cold {big_cold_s:.2f})", f"{out['large_s']:.2f}"],
                [
                    f"contours at {big_nodes:,} nodes ms (p95)",
                    f"{out['contours_ms']:.0f} ({out['contours_p95_ms']:.0f})",
                ],
                ["demand factor used 10k / 100k", f"{factor:g} / {big_factor:g}"],
                ["peak RSS MB", f"{out['peak_rss_mb']:.0f}"],
            ],
        )
    )
    out["timestamp"] = time.time()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
