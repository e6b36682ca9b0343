"""Shut-off analysis scenario: segment build and break queries at city scale and on WNTR's Net6, against WNTR.

    python -m tests.bench.bench_isolation [--pipes 1000000] [--queries 200]

1. The generated demo network (read from the GeoPackage cache under build/bench/ when present — the same file the
   network scenario writes — otherwise generated and cached): topology, valve-segment build, a rebuild after an edit,
   and the median / 95th-percentile time of a break query at random pipes and positions.
2. WNTR's Net6 with a random valve layer (``generate_valve_layer(wn, "random", n_pipes)``): our segmentation from
   (link, node) valve pairs against ``wntr.metrics.valve_segments`` on the same layer (partitions checked equal),
   timed in the same run, with the speed ratio; then Net6 drawn the GasOps way (each valve a link, reservoirs and
   tanks as gate stations) for segment build and break queries.

Prints a table and, as its last line, one JSON object with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

import numpy as np
import pandas as pd

from console.app.workspace import DEMO_GENERATION
from tests.bench._common import CACHE, peak_rss_mb, repeat_ms, table, timed


def demo_network(n_pipes: int, seed: int):
    """The demo network from the GeoPackage cache, or generated (and cached when console.io can write)."""
    from console.network import generate_demo

    path = CACHE / f"bench-{n_pipes}-s{seed}-g{DEMO_GENERATION}.gpkg"
    try:
        from console.io import read_network, write_network
    except ImportError:
        return generate_demo(n_pipes=n_pipes, seed=seed), "generated"
    if path.exists():
        return read_network(path), f"read {path.name}"
    net = generate_demo(n_pipes=n_pipes, seed=seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    write_network(net, path)
    return net, f"generated, cached as {path.name}"


def query_times(net, n: int, seed: int) -> tuple[dict, dict]:
    """Median/p95 of ``n`` break queries at random in-service pipes, and a summary of the answers."""
    from console.isolation import IsolationRequest, isolate

    pipes = net["pipes"]
    ids = pipes["id"].to_numpy(dtype=object)[(pipes["status"] == "in_service").to_numpy()]
    rng = np.random.default_rng(seed)
    picks = ids[rng.integers(0, len(ids), n + 2)]
    fractions = rng.random(n + 2)
    it = iter(range(n + 2))
    sizes = {"valves_to_close": [], "customers": [], "pipes": []}

    def one():
        k = next(it)
        r = isolate(net, IsolationRequest.at_pipe(str(picks[k]), float(fractions[k])))
        sizes["valves_to_close"].append(len(r.valves_to_close))
        sizes["customers"].append(r.impact.customers_lost)
        sizes["pipes"].append(len(r.isolated_pipe_ids) + len(r.cut_off_pipe_ids))
        return r

    times = repeat_ms(one, n=n, warmup=2)
    return times, {k: float(np.median(v)) for k, v in sizes.items()}


def bench_demo(n_pipes: int, seed: int, queries: int) -> dict:
    from console.isolation import build_valve_segments, valve_segments

    load_s, (net, how) = timed(lambda: demo_network(n_pipes, seed))
    topo_s, _ = timed(lambda: net.topology)
    build_s, seg = timed(lambda: build_valve_segments(net))
    valve_segments(net)  # into the cache, as the analysis uses it
    times, sizes = query_times(net, queries, seed)
    # An edit bumps the version: topology and segments are rebuilt on the next query.
    valves = net["valves"]
    net.set_values(
        "valves", np.array([0]), "normal_position", "closed" if valves["normal_position"].iat[0] == "open" else "open"
    )
    rebuild_s, _ = timed(lambda: valve_segments(net))
    return {
        "pipes": len(net["pipes"]),
        "valves": len(valves),
        "segments": seg.n_segments,
        "source": how,
        "load_s": load_s,
        "topology_s": topo_s,
        "build_s": build_s,
        "rebuild_after_edit_s": rebuild_s,
        "query_median_ms": times["median_ms"],
        "query_p95_ms": times["p95_ms"],
        "queries": times["n"],
        "median_valves_to_close": sizes["valves_to_close"],
        "median_customers_lost": sizes["customers"],
        "median_pipes_out": sizes["pipes"],
    }


def net6_as_gasnetwork(wn, layer: pd.DataFrame):
    """Net6 the GasOps way: each (link, node) valve becomes a valve link between the node and a new node at the
    link's end; reservoirs and tanks become gate stations; every other link a pipe."""
    from tests.builders import make_network

    valved = set(zip(layer["link"], layer["node"], strict=True))
    sources = set(wn.reservoir_name_list) | set(wn.tank_name_list)
    xy = {n: tuple(map(float, wn.get_node(n).coordinates)) for n in wn.node_name_list}
    nodes = [(n, "gate_stations" if n in sources else "junctions", x, y) for n, (x, y) in xy.items()]
    links = []
    for k in wn.link_name_list:
        link = wn.get_link(k)
        ends = []
        for n in (link.start_node_name, link.end_node_name):
            if (k, n) in valved:
                inner = f"{n}~{k}"
                nodes.append((inner, "junctions", xy[n][0] + 0.5, xy[n][1] + 0.5))
                links.append((f"V~{k}~{n}", "valves", n, inner))
                ends.append(inner)
            else:
                ends.append(n)
        links.append((k, "pipes", ends[0], ends[1], {"length_m": float(getattr(link, "length", 1.0) or 1.0)}))
    return make_network(nodes, links, name="Net6 (GasOps form)")


def bench_net6(queries: int, seed: int) -> dict:
    import wntr

    from console.isolation import build_valve_segments, segments_from_valve_pairs, valve_segments

    path = os.path.join(os.path.dirname(wntr.__file__), "library", "networks", "Net6.inp")
    wn = wntr.network.WaterNetworkModel(path)
    graph = wn.to_graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = wntr.network.generate_valve_layer(wn, "random", wn.num_pipes, seed=seed)
        wntr_s, (w_nodes, w_links, _) = timed(lambda: wntr.metrics.valve_segments(graph, layer))

    # Our side gets what WNTR gets: names for nodes and links, link ends, and the valve layer by name.
    node_index = pd.Index(wn.node_name_list)
    link_index = pd.Index(wn.link_name_list)
    starts = node_index.get_indexer([wn.get_link(k).start_node_name for k in wn.link_name_list])
    ends = node_index.get_indexer([wn.get_link(k).end_node_name for k in wn.link_name_list])

    def ours():
        return segments_from_valve_pairs(
            len(node_index),
            starts,
            ends,
            link_index.get_indexer(layer["link"].to_numpy(dtype=object)),
            node_index.get_indexer(layer["node"].to_numpy(dtype=object)),
        )

    ours_ms = repeat_ms(ours, n=50, warmup=3)
    labels = ours()
    same = _partition(labels.node_segment, labels.link_segment, node_index, link_index) == _partition(
        w_nodes.to_numpy(), w_links.to_numpy(), w_nodes.index, w_links.index
    )

    net = net6_as_gasnetwork(wn, layer)
    _ = net.topology  # built before timing the segments
    build_s, seg = timed(lambda: build_valve_segments(net))
    valve_segments(net)
    times, _ = query_times(net, queries, seed)
    return {
        "nodes": wn.num_nodes,
        "links": wn.num_links,
        "valves": len(layer),
        "segments": labels.n_segments,
        "wntr_valve_segments_s": wntr_s,
        "ours_median_ms": ours_ms["median_ms"],
        "speedup_vs_wntr": wntr_s * 1000.0 / ours_ms["median_ms"],
        "partition_equal": bool(same),
        "gasops_build_s": build_s,
        "gasops_segments": seg.n_segments,
        "query_median_ms": times["median_ms"],
        "query_p95_ms": times["p95_ms"],
    }


def _partition(node_seg, link_seg, node_names, link_names) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for n, s in zip(node_names, node_seg, strict=True):
        groups.setdefault(int(s), set()).add(f"N:{n}")
    for k, s in zip(link_names, link_seg, strict=True):
        if s >= 0:
            groups.setdefault(int(s), set()).add(f"L:{k}")
    return {frozenset(g) for g in groups.values()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    net6 = bench_net6(args.queries, seed=1)
    demo = bench_demo(args.pipes, args.seed, args.queries)
    rows = [
        [
            f"demo {demo['pipes']:,} pipes",
            f"{demo['valves']:,}",
            f"{demo['segments']:,}",
            f"{demo['build_s']:.2f}",
            f"{demo['rebuild_after_edit_s']:.2f}",
            f"{demo['query_median_ms']:.1f} / {demo['query_p95_ms']:.1f}",
            "—",
        ],
        [
            f"Net6 {net6['links']:,} links",
            f"{net6['valves']:,}",
            f"{net6['gasops_segments']:,}",
            f"{net6['gasops_build_s']:.3f}",
            "—",
            f"{net6['query_median_ms']:.1f} / {net6['query_p95_ms']:.1f}",
            f"{net6['wntr_valve_segments_s']:.2f} s vs {net6['ours_median_ms']:.2f} ms = {net6['speedup_vs_wntr']:,.0f}x",
        ],
    ]
    print(
        table(
            "Isolation (targets at 1M pipes: build <= 3 s, median break <= 20 ms; Net6 segmentation >= 100x WNTR)",
            ["network", "valves", "segments", "build s", "rebuild s", "break ms (med/p95)", "WNTR valve_segments"],
            rows,
        )
    )
    print(
        f"\ndemo: {demo['source']}; topology {demo['topology_s']:.2f} s (before the segment build); median answer "
        f"{demo['median_valves_to_close']:.0f} valves to close, {demo['median_customers_lost']:.0f} customers, "
        f"{demo['median_pipes_out']:.0f} pipes out. Net6 partitions equal to WNTR's: {net6['partition_equal']}"
    )
    print(json.dumps({"demo": demo, "net6": net6, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
