"""Small hand-made networks for the hydraulics tests (answers worked out in the tests)."""

from __future__ import annotations

from console.hydraulics import DemandOptions
from tests.builders import make_network

ALL_ONE = DemandOptions(simultaneity={c: 1.0 for c in ("residential", "commercial", "industrial", "special")})
P_ATM = 101_325.0


def single_pipe(supply_mpa: float, demand_m3h: float, length_m: float, diameter_mm: float, roughness_mm: float = 0.05,
                *, pressure_class: str = "MP-A", z_from: float = 0.0, z_to: float = 0.0, parallel: bool = False):  # fmt: skip
    """Gate station G — pipe P (length, inner diameter) — customer C drawing ``demand_m3h`` (simultaneity 1).

    With ``parallel`` a second identical pipe P2 joins G and C, so each carries half the flow and Newton (not the
    tree march) solves it.
    """
    pipe = {
        "length_m": length_m,
        "inner_diameter_mm": diameter_mm,
        "roughness_mm": roughness_mm,
        "pressure_class": pressure_class,
    }
    nodes = [
        ("G", "gate_stations", 0, 0, {"supply_pressure_mpa": supply_mpa, "elevation_m": z_from}),
        ("C", "customers", 100, 0, {"peak_demand_nm3h": demand_m3h, "category": "special", "elevation_m": z_to}),
    ]
    links = [("P", "pipes", "G", "C", pipe)]
    if parallel:
        links.append(("P2", "pipes", "G", "C", pipe))
    return make_network(nodes, links)


def regulated(gate_mpa: float = 0.4, set_mpa: float = 0.003, capacity: float = 100.0, demand: float = 20.0,
              extra_nodes=(), extra_links=()):  # fmt: skip
    """G —P1— J1 —P2— RI =R1=> RO —P3 (LP)— C: a gate station, an MP line, a regulator box, an LP service line."""
    lp = {"pressure_class": "LP", "inner_diameter_mm": 100.0}
    nodes = [
        ("G", "gate_stations", 0, 0, {"supply_pressure_mpa": gate_mpa}),
        ("J1", "junctions", 100, 0),
        ("RI", "junctions", 200, 0),
        ("RO", "junctions", 202, 0),
        ("C", "customers", 400, 0, {"peak_demand_nm3h": demand}),
        *extra_nodes,
    ]
    links = [
        ("P1", "pipes", "G", "J1"),
        ("P2", "pipes", "J1", "RI"),
        ("R1", "regulators", "RI", "RO", {"set_outlet_pressure_mpa": set_mpa, "capacity_nm3h": capacity}),
        ("P3", "pipes", "RO", "C", lp),
        *extra_links,
    ]
    return make_network(nodes, links)
