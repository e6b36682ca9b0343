"""Hand-drawn test networks for the shut-off analysis, written as paths so the answers can be checked on paper.

``path_network(["G", "P1", "A", "V1", "B"])`` lays the nodes out 100 m apart along x and joins consecutive nodes by
the links between them. Layers come from the id's first letter: nodes G… gate stations, C1, C2 … (C and a digit)
customers, E… end caps, others junctions; links P… pipes, V… valves, R… regulators (from = inlet).
"""

from __future__ import annotations

from tests.builders import make_network

NODE_LAYER = {"G": "gate_stations", "C": "customers", "E": "end_caps"}
LINK_LAYER = {"P": "pipes", "V": "valves", "R": "regulators"}


def node_layer(node_id: str) -> str:
    if node_id[0] == "C" and not node_id[1:2].isdigit():
        return "junctions"
    return NODE_LAYER.get(node_id[0], "junctions")


def path_network(*paths, nodes=None, attrs=None, sensors=(), spacing=100.0):
    """Join several paths (lists alternating node id, link id, node id …) into one network.

    ``nodes`` gives (x, y) for nodes placed by hand; ``attrs`` extra attributes per feature id.
    """
    attrs = attrs or {}
    placed = dict(nodes or {})
    node_rows, link_rows, seen = [], [], set()
    for r, path in enumerate(paths):
        for i, item in enumerate(path):
            if i % 2 == 0:
                if item in seen:
                    continue
                seen.add(item)
                x, y = placed.get(item, (i // 2 * spacing, -r * spacing))
                node_rows.append((item, node_layer(item), x, y, attrs.get(item, {})))
            else:
                link_rows.append((item, LINK_LAYER[item[0]], path[i - 1], path[i + 1], attrs.get(item, {})))
    return make_network(node_rows, link_rows, sensors)


def hand_network():
    """The hand network of the isolation UI and service tests (x right, 100 m grid; MP-A; G is the gate station)::

        G ─P1─ A ─V1─ B ─P2─ C ─P3─ D ─V2✗─ E ─P4─ F1 ─V4─ F
        │             │      │                             │
        P5           Pc3     V3                            P7
        │             C3     M ─P8─ N ─Pc1─ C1 (hospital)  │
        K ──────────────V5────────────── L ────────────────┘
                                     N ─Pc2─ C2

    A break on P3: V2 is not operable, so the shut-off region is {B, C, D, E, F1} and the valves to close are V1 and
    V4 (both far sides fed from G round the loop); M–N loses its only feed, so V3 is optional and P8, Pc1, Pc2 are cut
    off. If V4 would not turn, gas passes it too and the next ring holds: V1, V5, with V3 optional.
    """
    nodes = [
        ("G", "gate_stations", 0, 0),
        ("A", "junctions", 100, 0),
        ("B", "junctions", 120, 0),
        ("C", "junctions", 300, 0),
        ("D", "junctions", 480, 0),
        ("E", "junctions", 500, 0),
        ("F1", "junctions", 600, 0),
        ("F", "junctions", 620, 0),
        ("K", "junctions", 0, -200),
        ("L", "junctions", 620, -200),
        ("M", "junctions", 300, 20),
        ("N", "junctions", 300, 150),
        ("C1", "customers", 260, 190, {"category": "special", "name": "Dinghai hospital", "special_kind": "hospital",
                                        "peak_demand_nm3h": 40.0}),
        ("C2", "customers", 340, 190, {"households": 36, "peak_demand_nm3h": 18.0}),
        ("C3", "customers", 140, 40, {"households": 24, "peak_demand_nm3h": 12.0}),
    ]  # fmt: skip
    links = [
        ("P1", "pipes", "G", "A"),
        ("V1", "valves", "A", "B", {"remote_controlled": True}),
        ("P2", "pipes", "B", "C"),
        ("P3", "pipes", "C", "D"),
        ("V2", "valves", "D", "E", {"operable": False}),
        ("P4", "pipes", "E", "F1"),
        ("V4", "valves", "F1", "F"),
        ("P7", "pipes", "F", "L"),
        ("V5", "valves", "L", "K"),
        ("P5", "pipes", "K", "G"),
        ("V3", "valves", "C", "M"),
        ("P8", "pipes", "M", "N"),
        ("Pc1", "pipes", "N", "C1"),
        ("Pc2", "pipes", "N", "C2"),
        ("Pc3", "pipes", "B", "C3"),
    ]
    return make_network(nodes, links, sensors=[("S1", "pressure", "C", 300, 5)], name="Hand network")
