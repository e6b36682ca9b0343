"""The segment partition equals WNTR's ``wntr.metrics.valve_segments`` on WNTR's bundled networks.

WNTR places a valve on a link next to a node (a (link, node) pair) and ``generate_valve_layer(wn, "random", n)``
samples such pairs from the pipe ends. Partitions are compared as sets of sets of ids ("N:" nodes, "L:" links),
never by segment number. WNTR's own function takes seconds on Net6 (it filters a DataFrame per node and per link),
so each reference partition is computed once per module.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import wntr  # a test dependency (pyproject [test] extra)

from console.isolation import segments_from_valve_pairs, valve_segments
from tests.builders import make_network

NETWORKS = os.path.join(os.path.dirname(wntr.__file__), "library", "networks")
CASES = [  # (file, number of random valves, seed): sparse and dense valve layers
    ("Net3.inp", 40, 1),
    ("Net3.inp", 150, 2),
    ("ky4.inp", 500, 3),
    ("Net6.inp", 800, 4),
]
_cache: dict[tuple[str, int, int], tuple] = {}


def reference(name: str, n_valves: int, seed: int):
    """(WaterNetworkModel, valve layer, WNTR's partition), computed once."""
    key = (name, n_valves, seed)
    if key not in _cache:
        wn = wntr.network.WaterNetworkModel(os.path.join(NETWORKS, name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = wntr.network.generate_valve_layer(wn, "random", n_valves, seed=seed)
            node_seg, link_seg, _ = wntr.metrics.valve_segments(wn.to_graph(), layer)
        groups: dict[int, set[str]] = {}
        for n, s in node_seg.items():
            groups.setdefault(int(s), set()).add(f"N:{n}")
        for k, s in link_seg.items():
            groups.setdefault(int(s), set()).add(f"L:{k}")
        _cache[key] = (wn, layer, {frozenset(g) for g in groups.values()})
    return _cache[key]


def as_arrays(wn):
    nodes = list(wn.node_name_list)
    links = list(wn.link_name_list)
    at = {n: i for i, n in enumerate(nodes)}
    frm = np.array([at[wn.get_link(k).start_node_name] for k in links])
    to = np.array([at[wn.get_link(k).end_node_name] for k in links])
    return nodes, links, frm, to


@pytest.mark.slow
@pytest.mark.parametrize(("name", "n_valves", "seed"), CASES)
def test_valve_pairs_partition_equals_wntr(name, n_valves, seed):
    wn, layer, expected = reference(name, n_valves, seed)
    nodes, links, frm, to = as_arrays(wn)
    node_at = {n: i for i, n in enumerate(nodes)}
    link_at = {k: i for i, k in enumerate(links)}
    labels = segments_from_valve_pairs(
        len(nodes),
        frm,
        to,
        np.array([link_at[k] for k in layer["link"]]),
        np.array([node_at[n] for n in layer["node"]]),
    )
    ours = {frozenset({f"N:{nodes[i]}" for i in ns} | {f"L:{links[j]}" for j in ls}) for ns, ls in labels.members()}
    assert len(ours) == len(expected) > 1
    assert ours == expected


def test_gasnetwork_with_valve_links_partitions_like_wntr():
    """The same valve layer drawn the GasOps way: each (link, node) valve becomes a valve link between the node and
    a new node at the link's end. Mapped back to WNTR's ids, the segments are WNTR's."""
    wn, layer, expected = reference("Net3.inp", 150, 2)
    valved = {(k, n) for k, n in zip(layer["link"], layer["node"], strict=True)}
    xy = {n: (float(wn.get_node(n).coordinates[0]), float(wn.get_node(n).coordinates[1])) for n in wn.node_name_list}
    node_rows = [(n, "junctions", x, y) for n, (x, y) in xy.items()]
    link_rows = []
    for k in wn.link_name_list:
        link = wn.get_link(k)
        ends = []
        for n in (link.start_node_name, link.end_node_name):
            if (k, n) in valved:
                inner = f"{n}~{k}"
                node_rows.append((inner, "junctions", xy[n][0] + 0.5, xy[n][1] + 0.5))
                link_rows.append((f"V~{k}~{n}", "valves", n, inner))
                ends.append(inner)
            else:
                ends.append(n)
        link_rows.append((k, "pipes", ends[0], ends[1], {"length_m": 10.0}))
    net = make_network(node_rows, link_rows, name="Net3 as GasOps")
    seg = valve_segments(net)
    topo = net.topology
    groups: dict[int, set[str]] = {}
    original = set(wn.node_name_list)
    for i, s in enumerate(seg.node_segment):
        if topo.node_ids[i] in original:
            groups.setdefault(int(s), set()).add(f"N:{topo.node_ids[i]}")
    for j, s in enumerate(seg.link_segment):
        if s >= 0:
            groups.setdefault(int(s), set()).add(f"L:{topo.link_ids[j]}")
    assert {frozenset(g) for g in groups.values() if g} == expected
