"""A small hand-built district with sensors, for simulator and service tests (distances worked out by hand).

    G (0,0) ─P1 200 m─ J1 (200,0) ─P2 400 m─ J3 (600,0)          MP-A, gate station supply 0.4 MPa
                        │ RA (set 2.5 kPa)        │ RB (set 2.5 kPa)
                        A0 (200,-10)              B0 (600,-10)     LP
                        │ PA1 400 m               │ PB1 400 m
                        A1 (200,-410)             B1 (600,-410)
                        │ VA (valve, 1 m)         │ VB (valve, 1 m)
                        A1v (200,-411)            B1v (600,-411)
                        │ PA2 200 m               │ PB2 200 m
                        A2 (200,-611) end cap     B2 (600,-611) end cap

Sensors: SG pressure at G; SA0/SA1/SA2 pressure at A0/A1/A2; SB0/SB2 at B0/B2; MA/MB methane in the wells of
VA/VB; FG flow at G. A leak on PA2 at fraction 0.1 sits 20 m from A1v (21 m from A1 and SA1, 180 m from SA2,
421 m from SA0) and about 20.5 m from MA; zone B and the MP zone are cut off by the regulators.
"""

from __future__ import annotations

from tests.builders import make_network

LP = {"pressure_class": "LP"}


def district():
    nodes = [
        ("G", "gate_stations", 0, 0, {"supply_pressure_mpa": 0.4}),
        ("J1", "junctions", 200, 0),
        ("J3", "junctions", 600, 0),
        ("A0", "junctions", 200, -10),
        ("A1", "junctions", 200, -410),
        ("A1v", "junctions", 200, -411),
        ("A2", "end_caps", 200, -611),
        ("B0", "junctions", 600, -10),
        ("B1", "junctions", 600, -410),
        ("B1v", "junctions", 600, -411),
        ("B2", "end_caps", 600, -611),
    ]
    links = [
        ("P1", "pipes", "G", "J1"),
        ("P2", "pipes", "J1", "J3"),
        ("RA", "regulators", "J1", "A0", {"set_outlet_pressure_mpa": 0.0025}),
        ("RB", "regulators", "J3", "B0", {"set_outlet_pressure_mpa": 0.0025}),
        ("PA1", "pipes", "A0", "A1", LP),
        ("VA", "valves", "A1", "A1v"),
        ("PA2", "pipes", "A1v", "A2", LP),
        ("PB1", "pipes", "B0", "B1", LP),
        ("VB", "valves", "B1", "B1v"),
        ("PB2", "pipes", "B1v", "B2", LP),
    ]
    sensors = [
        ("SG", "pressure", "G", 0, 0),
        ("FG", "flow", "G", 0, 0),
        ("SA0", "pressure", "A0", 200, -10),
        ("SA1", "pressure", "A1", 200, -410),
        ("SA2", "pressure", "A2", 200, -611),
        ("SB0", "pressure", "RB", 600, -10),
        ("SB2", "pressure", "B2", 600, -611),
        ("MA", "methane", "VA", 200, -410.5),
        ("MB", "methane", "VB", 600, -410.5),
    ]
    return make_network(nodes, links, sensors, name="district")
