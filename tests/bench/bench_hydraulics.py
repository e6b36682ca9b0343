"""Hydraulics scenario: our steady-state solve against pandapipes on the same 10k-junction city network (with and
without numba), the 100k-junction solve, a re-solve with 20 valves closed, contours at 100k nodes, and the
million-pipe demo city at its design peak (cold, with peak memory).

    python -m tests.bench.bench_hydraulics [--junctions 10000] [--large 100000] [--city 1000000] [--seed 2026]

Every network is solved at its design peak (demand factor 1.0, as generated): a network that cannot be simulated
fails the run, it is never scaled down to something that can. Everything runs at the default thread settings (the
solver sets the BLAS pool it needs itself; pandapipes runs as installed). The city's solves also report this
process's CPU time and the machine's load average: on a shared machine the wall time is the CPU time stretched by
the other work.

"Junctions" counts every node (pandapipes' junctions): customers, risers and end caps included. Our times are the
median of repeated solves on a network whose flow model is already built (the first, cold call builds the topology
and the model arrays per network version and is reported separately); pandapipes' after one warm-up call (numba
compiles then), each with friction_model="colebrook" and its default tolerances. For the comparison our solver also
uses Colebrook–White at every Reynolds number (``laminar_flow=False``), as pandapipes does.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from tests.bench._common import peak_rss_mb, repeat_ms, table, timed


def _network(junctions: int, seed: int):
    return _network_pipes(max(500, int(junctions / 1.025)), seed)


def _network_pipes(pipes: int, seed: int):
    from console.network import generate_demo

    net = generate_demo(n_pipes=pipes, seed=seed)
    return net, net.topology.n_nodes


def _design_peak(net, request, what: str):
    """Solve at the design peak; a network that cannot be simulated fails the benchmark loudly."""
    from console.hydraulics import HydraulicsError, simulate

    try:
        seconds, result = timed(lambda: simulate(net, request))
    except HydraulicsError as exc:
        raise SystemExit(
            f"hydraulics benchmark FAILED: the {what} cannot be simulated at its design peak: {exc}"
        ) from None
    errors = [v for v in result.violations if v.severity == "error"]
    if errors:
        raise SystemExit(f"hydraulics benchmark FAILED: the {what} breaks service limits: {errors[0].message}")
    return request, result, seconds


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
    parser.add_argument("--city", type=int, default=1_000_000, help="pipes of the demo city solved cold (0: skip)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from console.hydraulics import SimulationRequest, pressure_contours, simulate, what_if
    from tests.hydraulics._reference import to_pandapipes

    out: dict = {}
    # -- 10k: ours vs pandapipes ----------------------------------------------------------------------------------------
    net, n_nodes = _network(args.junctions, args.seed)
    request, result, cold_s = _design_peak(net, SimulationRequest(laminar_flow=False), f"{n_nodes:,}-junction demo")
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
    big_request, big_result, big_cold_s = _design_peak(big, SimulationRequest(), f"{big_nodes:,}-junction demo")
    big_ms = repeat_ms(lambda: simulate(big, big_request), n=max(2, args.repeats // 2), warmup=1)
    contours = repeat_ms(lambda: pressure_contours(big, big_result), n=args.repeats, warmup=1)
    cs = pressure_contours(big, big_result)
    out.update(
        large_junctions=big_nodes,
        large_pipes=len(big["pipes"]),
        large_cold_s=big_cold_s,
        large_s=big_ms["median_ms"] / 1000,
        large_iterations=big_result.convergence.iterations,
        contours_ms=contours["median_ms"],
        contours_p95_ms=contours["p95_ms"],
        contour_cell_m=cs.cell_m,
        contour_systems=sum(len(c.system_ids) for c in cs.sets),
        peak_rss_mb=peak_rss_mb(),
    )
    big = big_result = cs = None  # free the 100k network before the city
    # -- the million-pipe city: cold (topology and flow model built in the timed call), then warm ----------------------
    if args.city:
        t0 = time.perf_counter()
        city, city_nodes = _network_pipes(args.city, args.seed)
        generate_s = time.perf_counter() - t0
        cpu0, load0 = time.process_time(), os.getloadavg()[0]
        _, city_result, city_cold_s = _design_peak(city, SimulationRequest(), f"{args.city:,}-pipe demo city")
        cold_cpu_s = time.process_time() - cpu0
        cpu0 = time.process_time()
        warm_s, _ = timed(lambda: simulate(city, SimulationRequest()))
        warm_cpu_s = time.process_time() - cpu0
        out.update(
            city_pipes=len(city["pipes"]),
            city_junctions=city_nodes,
            city_generate_s=generate_s,
            city_cold_s=city_cold_s,
            city_warm_s=warm_s,
            city_cold_cpu_s=cold_cpu_s,
            city_warm_cpu_s=warm_cpu_s,
            city_load_average=max(load0, os.getloadavg()[0]),
            city_iterations=city_result.convergence.iterations,
            city_min_customer_kpa=float(np.nanmin(city_result.node_values("customers", "pressure_pa"))) / 1e3,
            city_peak_rss_mb=peak_rss_mb(),
        )
    rows = [
        [f"{n_nodes:,} junctions", f"{out['ours_ms']:.0f}", f"{out['pandapipes_ms']:.0f}", f"{out['ratio']:.1f}x", f"{out['pandapipes_numba_ms']:.0f}", f"{out['ratio_numba']:.1f}x"],
    ]  # fmt: skip
    print(table("Hydraulics vs pandapipes (colebrook, default settings; goal >= 10x at 10k)", ["network", "ours ms", "pandapipes ms", "ratio", "pp+numba ms", "ratio"], rows))  # fmt: skip
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
                ["peak RSS MB (through 100k)", f"{out['peak_rss_mb']:.0f}"],
            ],
        )
    )
    if args.city:
        print(
            table(
                "Demo city at its design peak (target: 1M pipes <= 10 s cold)",
                ["scenario", "value"],
                [
                    [f"{out['city_pipes']:,} pipes, {out['city_junctions']:,} junctions: generate s", f"{out['city_generate_s']:.1f}"],
                    ["cold solve s (builds topology and model)", f"{out['city_cold_s']:.2f}"],
                    ["cold solve, CPU time of this process s", f"{out['city_cold_cpu_s']:.2f}"],
                    ["warm solve s (CPU s)", f"{out['city_warm_s']:.2f} ({out['city_warm_cpu_s']:.2f})"],
                    ["machine load average (2 cores; > 2: wall time shared)", f"{out['city_load_average']:.1f}"],
                    ["Newton iterations", f"{out['city_iterations']}"],
                    ["lowest customer pressure kPa", f"{out['city_min_customer_kpa']:.2f}"],
                    ["peak RSS MB", f"{out['city_peak_rss_mb']:.0f}"],
                ],
            )
        )  # fmt: skip
    out["timestamp"] = time.time()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
