"""A synthetic gas district for UI tests, built with numpy (any size, deterministic, known feature ids).

Layout (offsets in metres from ``ORIGIN``, CGCS2000 / 3-degree GK zone 41, EPSG:4529)::

    GS1 ─T1─T2─ … ─T8─┐        trunk west of the ring: HP-A, HP-A, HP-B, HP-B, SHP-A, SHP-A, SHP-B, SHP-B
                      RA …     MP-A ring "PA<k>" around the LP grid, valves on every third ring pipe
                      │ LP grid "J<i>_<j>" with pipes "PH<i>_<j>" (east) and "PV<i>_<j>" (north)
                      └ MP-B spur "PB<k>" east of the ring, ending in end cap "EC-B"

Service lines "PS<i>_<j>" (LP DN32) run from every third grid junction to a customer "C<i>_<j>", every second one
through a riser "R<i>_<j>"; stubs "PE<j>" end in end caps on the west edge of the grid; regulator boxes join the
ring to the four grid corners; sensors sit on the regulators and on a diagonal of junctions.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from console.network import GasNetwork

ORIGIN = (41_405_000.0, 3_320_000.0)
CRS = 4529
TRUNK_CLASSES = ("HP-A", "HP-A", "HP-B", "HP-B", "SHP-A", "SHP-A", "SHP-B", "SHP-B")
MATERIALS = np.array(["PE100", "PE80", "steel", "ductile_iron", "cast_iron", "unknown"])


def _frame(data: dict, xy: np.ndarray | None = None, lines: list[np.ndarray] | None = None) -> gpd.GeoDataFrame:
    if xy is not None:
        geometry = shapely.points(xy[:, 0] + ORIGIN[0], xy[:, 1] + ORIGIN[1])
    else:
        geometry = [shapely.LineString(c + np.asarray(ORIGIN)) for c in lines]
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)


def _pipes_from_nodes(ids, a_xy, b_xy, from_ids, to_ids, **attrs) -> gpd.GeoDataFrame:
    a_xy, b_xy = np.asarray(a_xy, float), np.asarray(b_xy, float)
    n = len(ids)
    coords = np.stack([a_xy, b_xy], axis=1) + np.asarray(ORIGIN)
    geoms = shapely.linestrings(coords)
    data = {"id": ids, "from_node": from_ids, "to_node": to_ids, "length_m": shapely.length(geoms)}
    for key, value in attrs.items():
        data[key] = np.broadcast_to(np.asarray(value, dtype=object), (n,)).copy() if np.ndim(value) == 0 else value
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def district(n_side: int = 20, spacing: float = 100.0, name: str = "Synthetic district") -> GasNetwork:
    """A district whose LP grid has ``n_side`` × ``n_side`` junctions (about 2·n² LP pipes)."""
    n, sp = n_side, spacing
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    jid = np.char.add(np.char.add(np.char.add("J", ii.astype(str)), "_"), jj.astype(str)).astype(object)
    jxy = np.column_stack([ii * sp, jj * sp]).astype(float)

    def node(i, j):
        return i * n + j

    # LP grid pipes
    h = np.flatnonzero(ii < n - 1)
    v = np.flatnonzero(jj < n - 1)
    h_to, v_to = h + n, v + 1
    lp_ids = np.concatenate(
        [np.char.add("PH", np.char.add(np.char.add(ii[h].astype(str), "_"), jj[h].astype(str))),
         np.char.add("PV", np.char.add(np.char.add(ii[v].astype(str), "_"), jj[v].astype(str)))]
    ).astype(object)  # fmt: skip
    a = np.concatenate([h, v])
    b = np.concatenate([h_to, v_to])
    k = np.arange(len(a))
    lp = _pipes_from_nodes(
        lp_ids, jxy[a], jxy[b], jid[a], jid[b],
        dn=np.where(k % 7 == 0, 160, 110), inner_diameter_mm=90.0, material=MATERIALS[k % 6],
        pressure_class="LP", install_year=np.where(k % 9 == 0, 0, 1975 + (k * 7) % 50),
        status=np.where(k == 5, "planned", np.where(k == 11, "abandoned", "in_service")),
    )  # fmt: skip

    # MP-A ring, one node per grid spacing, just outside the grid
    lo, hi = -sp, n * sp
    side = np.arange(lo, hi, sp)
    ring_xy = np.concatenate(
        [np.column_stack([side, np.full_like(side, lo)]), np.column_stack([np.full_like(side, hi), side]),
         np.column_stack([side[::-1] + sp, np.full_like(side, hi)]), np.column_stack([np.full_like(side, lo), side[::-1] + sp])]
    )  # fmt: skip
    m = len(ring_xy)
    rid = np.array([f"RA{k}" for k in range(m)], dtype=object)
    nxt = (np.arange(m) + 1) % m
    ring = _pipes_from_nodes(
        np.array([f"PA{k}" for k in range(m)], dtype=object), ring_xy, ring_xy[nxt], rid, rid[nxt],
        dn=200, inner_diameter_mm=190.0, material="steel", pressure_class="MP-A", install_year=2008,
    )  # fmt: skip

    # Trunk from the gate station to the west side of the ring, class by class
    west = int(np.argmin(np.hypot(ring_xy[:, 0] - lo, ring_xy[:, 1] - (n // 2) * sp)))
    t_x = lo - sp * np.arange(len(TRUNK_CLASSES), -1, -1)
    t_xy = np.column_stack([t_x, np.full(len(t_x), ring_xy[west, 1])])
    t_ids = np.array(["GS1", *[f"T{k}" for k in range(1, len(TRUNK_CLASSES))], rid[west]], dtype=object)
    trunk = _pipes_from_nodes(
        np.array([f"PT{k + 1}" for k in range(len(TRUNK_CLASSES))], dtype=object), t_xy[:-1], t_xy[1:], t_ids[:-1], t_ids[1:],
        dn=300, inner_diameter_mm=290.0, material="steel", pressure_class=np.array(TRUNK_CLASSES, dtype=object),
        install_year=1995,
    )  # fmt: skip

    # MP-B spur east of the ring
    east = int(np.argmin(np.hypot(ring_xy[:, 0] - hi, ring_xy[:, 1] - (n // 2) * sp)))
    b_xy = np.column_stack([hi + sp * np.arange(7), np.full(7, ring_xy[east, 1])])
    b_ids = np.array([rid[east], *[f"B{k}" for k in range(1, 6)], "EC-B"], dtype=object)
    spur = _pipes_from_nodes(
        np.array([f"PB{k + 1}" for k in range(6)], dtype=object), b_xy[:-1], b_xy[1:], b_ids[:-1], b_ids[1:],
        dn=160, inner_diameter_mm=145.0, material="PE100", pressure_class="MP-B", install_year=2015,
    )  # fmt: skip

    # Service lines to customers (every third junction), every second one via a riser
    s = np.flatnonzero((ii + jj) % 3 == 0)
    tag = np.char.add(np.char.add(ii[s].astype(str), "_"), jj[s].astype(str)).astype(object)
    cxy = jxy[s] + np.array([14.0, 22.0])
    cid = np.char.add("C", tag.astype(str)).astype(object)
    via = np.arange(len(s)) % 2 == 0
    rxy = jxy[s][via] + np.array([7.0, 11.0])
    risers_id = np.char.add("R", tag[via].astype(str)).astype(object)
    svc_direct = _pipes_from_nodes(
        np.char.add("PS", tag[~via].astype(str)).astype(object), jxy[s][~via], cxy[~via], jid[s][~via], cid[~via],
        dn=32, inner_diameter_mm=26.0, material="PE100", pressure_class="LP", install_year=2019,
    )  # fmt: skip
    svc_riser = _pipes_from_nodes(
        np.char.add("PS", tag[via].astype(str)).astype(object), jxy[s][via], rxy, jid[s][via], risers_id,
        dn=32, inner_diameter_mm=26.0, material="PE100", pressure_class="LP", install_year=2019,
    )  # fmt: skip
    svc_meter = _pipes_from_nodes(
        np.char.add("PM", tag[via].astype(str)).astype(object), rxy, cxy[via], risers_id, cid[via],
        dn=25, inner_diameter_mm=20.0, material="steel", pressure_class="LP", install_year=2019,
    )  # fmt: skip

    # Stubs with end caps on the west edge of the grid
    w = np.flatnonzero(ii == 0)
    e_xy = jxy[w] + np.array([-40.0, 0.0])
    e_id = np.array([f"E{j}" for j in jj[w]], dtype=object)
    stubs = _pipes_from_nodes(
        np.array([f"PE{j}" for j in jj[w]], dtype=object), jxy[w], e_xy, jid[w], e_id,
        dn=63, inner_diameter_mm=51.0, material="PE80", pressure_class="LP", install_year=1988,
    )  # fmt: skip

    pipes = pd.concat([trunk, ring, spur, lp, svc_direct, svc_riser, svc_meter, stubs], ignore_index=True)

    # Regulator boxes: ring corner nodes to the grid corners; the station at the trunk end
    corners = [(0, 0), (n - 1, 0), (n - 1, n - 1), (0, n - 1)]
    c_nodes = [node(i, j) for i, j in corners]
    ring_near = [int(np.argmin(np.hypot(*(ring_xy - jxy[c]).T))) for c in c_nodes]
    reg_xy = np.array([(ring_xy[r] + jxy[c]) / 2 for r, c in zip(ring_near, c_nodes, strict=True)])
    regulators = _frame(
        {"id": [f"RG{k + 1}" for k in range(4)], "from_node": rid[ring_near], "to_node": jid[c_nodes],
         "name": [f"Box {k + 1}" for k in range(4)], "kind": ["box", "box", "cabinet", "box"], "inlet_class": "MP-A",
         "outlet_class": "LP", "set_outlet_pressure_mpa": 0.0025},
        reg_xy,
    )  # fmt: skip

    # Valves: every third ring pipe (closed on every twelfth), every fifth trunk/spur pipe's midpoint
    mids = shapely.get_coordinates(shapely.line_interpolate_point(ring.geometry.array, 0.5, normalized=True)) - ORIGIN
    vk = np.arange(0, m, 3)
    valves = _frame(
        {"id": [f"V{k}" for k in vk], "from_node": ring["from_node"].to_numpy()[vk], "to_node": ring["to_node"].to_numpy()[vk],
         "normal_position": np.where(vk % 12 == 0, "closed", "open"), "valve_type": "ball", "dn": 200,
         "remote_controlled": vk % 2 == 0},
        mids[vk],
    )  # fmt: skip

    junctions = _frame({"id": np.concatenate([jid, rid, t_ids[1:-1], b_ids[1:-1]]), "elevation_m": 3.0},
                       np.concatenate([jxy, ring_xy, t_xy[1:-1], b_xy[1:-1]]))  # fmt: skip
    customers = _frame(
        {"id": cid, "category": np.where(np.arange(len(s)) % 25 == 7, "special", "residential"),
         "special_kind": np.where(np.arange(len(s)) % 25 == 7, "hospital", ""), "households": 12, "peak_demand_nm3h": 6.5},
        cxy,
    )  # fmt: skip
    risers = _frame({"id": risers_id, "floors": 6}, rxy)
    end_caps = _frame({"id": np.concatenate([e_id, ["EC-B"]])}, np.vstack([e_xy, b_xy[-1:]]))
    gate = _frame({"id": ["GS1"], "name": ["Gate station 门站"], "supply_pressure_mpa": [3.0]}, t_xy[:1])
    d = np.flatnonzero(ii == jj)
    sensors = _frame(
        {"id": [*[f"S-RG{k + 1}" for k in range(4)], *[f"S-{jid[x]}" for x in d]],
         "kind": "pressure", "unit": "kPa", "feature_id": [*[f"RG{k + 1}" for k in range(4)], *jid[d]]},
        np.vstack([reg_xy + np.array([6.0, 6.0]), jxy[d] + np.array([-6.0, 6.0])]),
    )  # fmt: skip
    layers = {
        "pipes": pipes, "junctions": junctions, "customers": customers, "risers": risers, "end_caps": end_caps,
        "gate_stations": gate, "regulators": regulators, "valves": valves, "sensors": sensors,
    }  # fmt: skip
    return GasNetwork(layers, crs=CRS, name=name)
