import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from tests.builders import chain, make_network


def test_chain_topology_arrays():
    net = chain(3)
    t = net.topology
    # Node order is layer order: junctions, gate_stations, customers, risers, end_caps.
    assert t.node_ids.tolist() == ["J1", "J2", "G", "E"]
    assert t.link_ids.tolist() == ["P1", "P2", "P3"]
    assert t.node_ids[t.link_from].tolist() == ["G", "J1", "J2"]
    assert t.node_ids[t.link_to].tolist() == ["J1", "J2", "E"]
    assert t.degree.tolist() == [2, 2, 1, 1]
    assert t.n_components == 1
    j1 = t.node_index("J1")[0]
    assert sorted(t.node_ids[t.neighbours(j1)]) == ["G", "J2"]
    assert sorted(t.link_ids[t.links_at(j1)]) == ["P1", "P2"]
    assert t.node_index(["E", "zzz"]).tolist() == [3, -1]
    assert t.node_xy[t.node_index("E")[0]].tolist() == [41_405_300.0, 3_320_000.0]


def test_unknown_node_reference_is_minus_one_and_not_in_adjacency():
    net = make_network(
        [("A", "junctions", 0, 0), ("B", "junctions", 5, 0)], [("P1", "pipes", "A", "B"), ("P2", "pipes", "B", "X")]
    )
    t = net.topology
    assert t.link_to.tolist() == [1, -1]
    assert t.degree.tolist() == [1, 1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), min_size=1, max_size=40))
def test_csr_adjacency_and_components_match_scipy(edges):
    nodes = [(f"N{i}", "junctions", float(i), float(i % 3)) for i in range(15)]
    links = [(f"L{k}", "pipes", f"N{a}", f"N{b}") for k, (a, b) in enumerate(edges) if a != b]
    if not links:
        return
    net = make_network(nodes, links)
    t = net.topology
    n = t.n_nodes
    # Every link appears exactly twice in the adjacency, once from each end.
    assert np.bincount(t.adj_link, minlength=t.n_links).tolist() == [2] * t.n_links
    for i in range(n):
        for k, j in zip(t.links_at(i), t.neighbours(i), strict=True):
            assert {t.link_from[k], t.link_to[k]} == {i, j}
    a = np.array([(int(link[2][1:]), int(link[3][1:])) for link in links])
    g = sp.coo_matrix((np.ones(len(a)), (a[:, 0], a[:, 1])), shape=(15, 15))
    ncomp, labels = connected_components(g, directed=False)
    assert t.n_components == ncomp
    order = t.node_index([f"N{i}" for i in range(15)])
    # Same partition (labels may be numbered differently).
    ours = t.component[order]
    assert len(set(zip(ours, labels, strict=True))) == ncomp
