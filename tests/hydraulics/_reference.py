"""pandapipes as the test-only reference solver: converters both ways and a pandas-3 compatibility shim.

pandapipes 0.16.0 (the newest) pins pandapower 3.3.3, which declares ``pandas~=2.3`` and ``scipy<1.17``; with the
project's pandas 3.1 its pipeflow fails with "ValueError: assignment destination is read-only", because pandas 3's
copy-on-write hands out read-only ``.values`` arrays and pandapipes writes through them (``text_vals[...] = …`` in
``pipe_component.py``, ``res_table[...].values[...] = …`` in ``result_extraction.py``). :func:`pandas2_values`
restores the pandas-2 behaviour (``.values`` writable, writing through to the frame) for the duration of a
pandapipes call only. pandapipes' one-element ``create_*`` functions also fail under pandas 3 (``.at`` refuses to
upcast a float column to bool); the plural ``create_*s`` functions work and are the only ones used here. With it pandapipes' own STANET comparison suite (``pandapipes/test/stanet_comparison/
test_gas_stanet.py``, 42 cases) passes unchanged, which is the evidence that the shim is faithful.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from console.hydraulics import DemandOptions, GasProperties, SimulationRequest
from console.hydraulics._gas import AIR_DENSITY_NORMAL_KG_M3, T_NORMAL_K
from console.network import GasNetwork
from tests.builders import make_network

ALL_ONE = DemandOptions(simultaneity={c: 1.0 for c in ("residential", "commercial", "industrial", "special")})


def _writable(prop: property) -> property:
    def get(self: Any) -> Any:
        arr = prop.fget(self)
        if isinstance(arr, np.ndarray) and not arr.flags.writeable:
            try:
                arr.flags.writeable = True
            except ValueError:
                arr = arr.copy()
        return arr

    return property(get)


@contextlib.contextmanager
def pandas2_values() -> Iterator[None]:
    """Within the block, ``Series.values``/``DataFrame.values`` are writable views as in pandas 2."""
    if int(pd.__version__.split(".")[0]) < 3:
        yield
        return
    series, frame = pd.Series.values, pd.DataFrame.values
    pd.Series.values = _writable(series)  # type: ignore[method-assign]
    pd.DataFrame.values = _writable(frame)  # type: ignore[method-assign]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        pd.Series.values = series  # type: ignore[method-assign]
        pd.DataFrame.values = frame  # type: ignore[method-assign]


@cache
def pandapipes() -> Any:
    with pandas2_values():
        import pandapipes as pp
        import pandapipes.networks

    return pp


def stanet_cases() -> dict[str, str]:
    """name -> path of the STANET gas comparison cases shipped with pandapipes."""
    root = os.path.join(
        os.path.dirname(pandapipes().__file__), "networks", "network_files", "stanet_test_networks", "gas_cases"
    )
    out = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith(".json"):
                out[f[:-5]] = os.path.join(folder, f)
    return dict(sorted(out.items()))


def schutterwald() -> Any:
    """pandapipes' Schutterwald gas network (a real 1-bar town network)."""
    with pandas2_values():
        return pandapipes().networks.schutterwald_gas()


def load_json(path: str) -> Any:
    with pandas2_values():
        return pandapipes().from_json(path)


def pipeflow(net: Any, *, use_numba: bool = False, **kwargs: Any) -> Any:
    """pandapipes' pipeflow with Colebrook and tight tolerances (the reference's own defaults are 1e-5)."""
    opts = {"friction_model": "colebrook", "mode": "hydraulics", "tol_p": 1e-9, "tol_m": 1e-9, "max_iter_hyd": 200,
            "max_iter_colebrook": 100, "use_numba": use_numba}  # fmt: skip
    opts.update(kwargs)
    with pandas2_values():
        pandapipes().pipeflow(net, **opts)
    return net


def gas_of(net: Any) -> GasProperties:
    """Our GasProperties equal to a pandapipes net's fluid at its (uniform) fluid temperature."""
    fluid = net.fluid
    t = float(net.ext_grid.t_k.iloc[0]) if len(net.ext_grid) else float(net.junction.tfluid_k.iloc[0])
    with pandas2_values():
        rho_n = float(np.atleast_1d(fluid.get_density(T_NORMAL_K))[0])
        mu = float(np.atleast_1d(fluid.get_viscosity(t))[0])
    comp = fluid.all_properties["compressibility"]
    if hasattr(comp, "slope"):
        z0, slope = float(comp.offset), float(comp.slope) * 10.0  # per bar -> per MPa
    else:
        z0, slope = float(comp.value), 0.0
    return GasProperties(name=fluid.name, relative_density=rho_n / AIR_DENSITY_NORMAL_KG_M3, viscosity_pa_s=mu,
                         temperature_k=t, z_factor=z0, z_slope_per_mpa=slope)  # fmt: skip


def _class_for(p_bar: float) -> str:
    mpa = p_bar / 10.0
    for cls, upper in (("LP", 0.01), ("MP-B", 0.2), ("MP-A", 0.4), ("SHP-B", 0.8), ("SHP-A", 1.6), ("HP-B", 2.5)):
        if mpa <= upper:
            return cls
    return "HP-A"


def from_pandapipes(net: Any) -> tuple[GasNetwork, SimulationRequest, np.ndarray]:
    """A pandapipes gas net as our network + request (same gas, demand as given) + node id per junction index.

    Junctions with an external grid become gate stations, junctions with sinks/sources customers (sources as
    negative demand), others junctions. Valves between junctions become valves, or zero-length pipes with the
    valve's loss coefficient. Pumps, compressors and pressure/flow controllers are not converted (ValueError).
    """
    for table in ("pump", "compressor", "press_control", "flow_control", "circ_pump_mass", "circ_pump_pressure"):
        if table in net and len(net[table]):
            raise ValueError(f"pandapipes net has {len(net[table])} {table}(s), not modelled")
    gas = gas_of(net)
    rho_n = gas.density_base_kg_m3
    junctions = net.junction
    idx = junctions.index.to_numpy()
    ids = np.array([f"N{i}" for i in idx], dtype=object)
    pos = pd.Series(np.arange(len(idx)), index=idx)
    if "junction_geodata" in net and len(net.junction_geodata):
        geo = net.junction_geodata.reindex(idx)
        x, y = geo.x.to_numpy(float), geo.y.to_numpy(float)
        x, y = x - np.nanmin(x), y - np.nanmin(y)
    else:
        x, y = np.arange(len(idx)) * 10.0, np.zeros(len(idx))
    layer = np.full(len(idx), "junctions", dtype=object)
    attrs: list[dict[str, Any]] = [{"elevation_m": float(h)} for h in junctions.height_m.to_numpy(float)]
    demand = np.zeros(len(idx))
    for table, sign in (("sink", 1.0), ("source", -1.0)):
        if table in net and len(net[table]):
            t = net[table][net[table].in_service]
            np.add.at(
                demand,
                pos[t.junction].to_numpy(),
                sign * (t.mdot_kg_per_s * t.scaling).to_numpy(float) * 3600.0 / rho_n,
            )
    has_demand = np.zeros(len(idx), dtype=bool)
    for table in ("sink", "source"):
        if table in net and len(net[table]):
            has_demand[pos[net[table].junction].to_numpy()] = True
    layer[has_demand] = "customers"
    for i in np.flatnonzero(has_demand):
        attrs[i].update(category="special", peak_demand_nm3h=float(demand[i]))
    eg = net.ext_grid[net.ext_grid.in_service]
    p_max = float(eg.p_bar.max())
    for j, p in zip(pos[eg.junction].to_numpy(), eg.p_bar.to_numpy(float), strict=True):
        layer[j] = "gate_stations"
        attrs[j] = {"elevation_m": attrs[j]["elevation_m"], "supply_pressure_mpa": p / 10.0}
    nodes = [(ids[i], layer[i], float(x[i]), float(y[i]), attrs[i]) for i in range(len(idx))]
    cls = _class_for(p_max)
    links = []
    for i, row in net.pipe.iterrows():
        links.append((f"P{i}", "pipes", ids[pos[row.from_junction]], ids[pos[row.to_junction]], {
            "length_m": float(row.length_km) * 1000.0, "dn": int(round(row.inner_diameter_mm)),
            "inner_diameter_mm": float(row.inner_diameter_mm), "roughness_mm": float(row.k_mm),
            "loss_coefficient": float(row.loss_coefficient), "pressure_class": cls,
            "status": "in_service" if row.in_service else "abandoned"}))  # fmt: skip
    if "valve" in net and len(net.valve):
        for i, row in net.valve.iterrows():
            a, b = ids[pos[row.junction]], ids[pos[row.element]]
            if row.et != "ju":
                raise ValueError("valves between a junction and a pipe are not converted")
            if row.opened and row.loss_coefficient > 0:
                links.append((f"V{i}", "pipes", a, b, {"length_m": 0.0, "dn": int(round(row.inner_diameter_mm)),
                              "inner_diameter_mm": float(row.inner_diameter_mm), "loss_coefficient": float(row.loss_coefficient),
                              "pressure_class": cls}))  # fmt: skip
            else:
                links.append((f"V{i}", "valves", a, b, {"normal_position": "open" if row.opened else "closed"}))
    network = make_network(nodes, links, name=str(net.name or "pandapipes"))
    return network, SimulationRequest(gas=gas, demand=ALL_ONE, laminar_flow=False), ids


def to_pandapipes(network: GasNetwork, request: SimulationRequest, demand_nm3h: np.ndarray) -> tuple[Any, np.ndarray]:
    """Our network as a pandapipes net with a constant fluid equal to ``request.gas``.

    One junction per node (topology order), pipes in service, open valves as valves without loss, leading
    regulators as ideal pressure controllers (outlet controlled at the set pressure), gate stations as external
    grids, demand (Nm³/h per node) as sinks. Returns (net, junction index per node).
    """
    pp = pandapipes()
    gas = request.gas
    topo = network.topology
    with pandas2_values():
        net = pp.create_empty_network(fluid="hgas")
        from pandapipes.properties.fluids import FluidPropertyLinear, _add_fluid_to_net, create_constant_fluid

        fluid = create_constant_fluid("gasops", "gas", density=gas.density_base_kg_m3, viscosity=gas.viscosity_pa_s,
                                      heat_capacity=2200.0, compressibility=gas.z_factor,
                                      der_compressibility=gas.z_slope_per_mpa / 10.0)  # fmt: skip
        fluid.all_properties["compressibility"] = FluidPropertyLinear(gas.z_slope_per_mpa / 10.0, gas.z_factor)
        _add_fluid_to_net(net, fluid)
        elev = np.concatenate(
            [
                network[n]["elevation_m"].to_numpy(float)
                for n in ("junctions", "gate_stations", "customers", "risers", "end_caps")
            ]
        )
        j = pp.create_junctions(net, topo.n_nodes, pn_bar=1.0, tfluid_k=gas.temperature_k, height_m=np.nan_to_num(elev))
        j = np.asarray(j)
        pipes = network["pipes"]
        live = (pipes["status"].astype(str) == "in_service").to_numpy()
        rows = np.flatnonzero(live)
        pp.create_pipes_from_parameters(net, j[topo.link_from[rows]], j[topo.link_to[rows]],
                                        length_km=pipes["length_m"].to_numpy(float)[rows] / 1000.0,
                                        inner_diameter_mm=pipes["inner_diameter_mm"].to_numpy(float)[rows],
                                        k_mm=pipes["roughness_mm"].to_numpy(float)[rows])  # fmt: skip
        valves = network["valves"]
        start = int(np.searchsorted(topo.link_layer, 1))
        is_open = (valves["normal_position"].astype(str) == "open").to_numpy()
        vr = np.flatnonzero(is_open)
        if len(vr):
            pp.create_valves(
                net,
                j[topo.link_from[start + vr]],
                j[topo.link_to[start + vr]],
                et="ju",
                inner_diameter_mm=100.0,
                opened=True,
            )
        regs = network["regulators"]
        rstart = int(np.searchsorted(topo.link_layer, 2))
        if len(regs):
            a, b = j[topo.link_from[rstart : rstart + len(regs)]], j[topo.link_to[rstart : rstart + len(regs)]]
            pp.create_pressure_controls(net, a, b, b, regs["set_outlet_pressure_mpa"].to_numpy(float) * 10.0)
        gates = np.flatnonzero(topo.node_layer == 1)
        supply = network["gate_stations"]["supply_pressure_mpa"].to_numpy(float)
        pp.create_ext_grids(net, j[gates], p_bar=supply * 10.0, t_k=gas.temperature_k, type="pt")
        sinks = np.flatnonzero(demand_nm3h != 0)
        pp.create_sinks(net, j[sinks], mdot_kg_per_s=demand_nm3h[sinks] / 3600.0 * gas.density_base_kg_m3)
    return net, j
