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
