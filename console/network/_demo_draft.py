"""The demo district's draft: code tables, names, growing node/link arrays, and the layer tables they become.

Nodes and links are added as chunks of numpy arrays with global indices; valves are requested per pipe end and laid in
one vectorised step; :func:`layer_tables` assigns ids (prefixed per layer, unique across layers) and builds one
GeoDataFrame per layer for :class:`~console.network.GasNetwork`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from console.network._demo_plan import Plan
from console.network._demo_streets import Island, first_of_each
from console.network._schema import (
    SENSOR_UNITS,
    CustomerCategory,
    Material,
    PipeStatus,
    PressureClass,
    RegulatorKind,
    SensorKind,
    ValvePosition,
    ValveType,
)

__all__ = [
    "ABANDONED",
    "CAST",
    "CITY",
    "COMMERCIAL",
    "CUSTOMER",
    "DUCTILE",
    "GATE",
    "HP_MAIN",
    "HP_SUPPLY_PRESSURE_MPA",
    "INDUSTRIAL",
    "IN_SERVICE",
    "JUNCTION",
    "LP",
    "LP_MAIN",
    "LP_SERVICE",
    "MP",
    "MP_MAIN",
    "MP_SERVICE",
    "PE100",
    "PE80",
    "PLANNED",
    "QUARTERS",
    "RESIDENTIAL",
    "RISER",
    "RISER_PIPE",
    "ROUGHNESS_MM",
    "SHP",
    "SPECIAL",
    "SPECIAL_USERS",
    "STEEL",
    "SUPPLY_PRESSURE_MPA",
    "Draft",
    "cn_number",
    "factory_names",
    "inner_diameter_mm",
    "layer_tables",
    "numbered_names",
]

SUPPLY_PRESSURE_MPA = 0.4  # gate station outlet (or district station set point), top of MP-A
HP_SUPPLY_PRESSURE_MPA = 1.5  # gate station outlet into a city's SHP-A ring (次高压A, 0.8–1.6 MPa)
VALVE_GAP_M = 1.5  # a valve's downstream junction is this far along the pipe

# Material codes (index into MATERIALS) and their properties.
MATERIALS = np.array(["PE80", "PE100", "steel", "ductile_iron", "cast_iron"], dtype=object)
PE80, PE100, STEEL, DUCTILE, CAST = range(5)
ROUGHNESS_MM = np.array([0.007, 0.007, 0.05, 0.1, 0.25])
_STEEL_OD_WALL = {
    25: (33.7, 3.2),
    32: (42.4, 3.2),
    40: (48.3, 3.5),
    50: (60.3, 3.5),
    80: (88.9, 4.0),
    100: (114.3, 4.0),
    150: (168.3, 4.5),
    200: (219.1, 6.3),
    250: (273.0, 6.3),
    300: (323.9, 7.1),
    350: (355.6, 8.0),
    400: (406.4, 8.8),
    500: (508.0, 10.0),
    600: (610.0, 11.0),
    700: (711.0, 12.7),
    800: (813.0, 14.2),
}
REGULATOR_MARGIN = 1.3  # regulators and the gate station are rated this far above their design flow
REGULATOR_SIZES_NM3H = np.array(
    [
        50,
        100,
        200,
        300,
        500,
        800,
        1000,
        1500,
        2000,
        3000,
        5000,
        8000,
        10_000,
        20_000,
        50_000,
        80_000,
        100_000,
        150_000,
        200_000,
        300_000,
        500_000.0,
    ]
)
_STEEL_ID = np.zeros(801)
for _dn, (_od, _wall) in _STEEL_OD_WALL.items():
    _STEEL_ID[_dn] = _od - 2 * _wall
# What a pipe is for, which picks its size ladder (see console.network._demo_sizing).
MP_MAIN, MP_SERVICE, LP_MAIN, LP_SERVICE, RISER_PIPE, HP_MAIN = range(6)
PRESSURE_CLASSES = np.array(["MP-A", "LP", "SHP-A"], dtype=object)
MP, LP, SHP = 0, 1, 2
STATUSES = np.array(["in_service", "planned", "abandoned"], dtype=object)
VALVE_TYPES = np.array(["ball", "plug", "gate"], dtype=object)
CATEGORIES = np.array(["residential", "commercial", "industrial", "special"], dtype=object)
RESIDENTIAL, COMMERCIAL, INDUSTRIAL, SPECIAL = range(4)
IN_SERVICE, PLANNED, ABANDONED = range(3)
# Node layer codes, and each layer's id prefix and least number of digits.
JUNCTION, GATE, CUSTOMER, RISER, END_CAP = range(5)
NODE_ID_FORMAT = ((JUNCTION, "J-", 6), (GATE, "GS-", 3), (CUSTOMER, "C-", 6), (RISER, "R-", 5), (END_CAP, "EC-", 5))
SPECIAL_USERS = {  # kind: (households per user, Nm³/h peak range, name endings)
    "hospital": (50_000, (50.0, 200.0), ("人民医院", "中医院", "中心医院")),
    "school": (8_000, (10.0, 60.0), ("小学", "小学", "中学", "实验学校")),
    "care_home": (15_000, (5.0, 30.0), ("敬老院", "颐养院", "老年公寓")),
    "kindergarten": (8_000, (3.0, 15.0), ("幼儿园", "幼儿园", "中心幼儿园")),
}
QUARTERS = np.array(["城东", "城北", "城西", "城南"], dtype=object)  # by bearing from the town centre
FACTORIES = ("水产加工厂", "船舶修造厂", "食品厂", "冷链物流园", "机械厂", "建材厂")
CITY = "岱海市"  # fictional city of the district
_CN_DIGITS = "零一二三四五六七八九"


def factory_names(rng: np.random.Generator, towns: np.ndarray) -> np.ndarray:
    """Factory names by town, e.g. 白岙水产加工厂 (unique through :func:`numbered_names`)."""
    kinds = np.asarray(FACTORIES, dtype=object)[rng.integers(0, len(FACTORIES), len(towns))]
    return numbered_names(towns, kinds)


def cn_number(k: np.ndarray) -> np.ndarray:
    """Chinese numerals for 1..999, vectorised over a small array.

    >>> cn_number(np.array([2, 10, 12, 20, 105, 110])).tolist()
    ['二', '十', '十二', '二十', '一百零五', '一百一十']
    """
    k = np.asarray(k)
    d = np.asarray(list(_CN_DIGITS), dtype=object)
    hundreds, tens, ones = k // 100, (k // 10) % 10, k % 10
    h = np.where(hundreds > 0, d[hundreds] + "百", "")
    t = np.where(
        tens > 0,
        np.where((tens == 1) & (hundreds == 0), "", d[tens]) + "十",
        np.where((hundreds > 0) & (ones > 0), "零", ""),
    )
    o = np.where(ones > 0, d[ones], "")
    return (h.astype(object) + t.astype(object) + o.astype(object)).astype(object)


def numbered_names(towns: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """'{town}{kind}', and '{town}第二{kind}' … for the second and later of a kind in the same town: unique.

    >>> numbered_names(np.array(["白岙", "白岙", "东港"], dtype=object), np.array(["小学"] * 3, dtype=object)).tolist()
    ['白岙小学', '白岙第二小学', '东港小学']
    """
    towns = np.asarray(towns, dtype=object)
    kinds = np.asarray(kinds, dtype=object)
    if not len(towns):
        return np.empty(0, dtype=object)
    nth = pd.DataFrame({"t": towns, "k": kinds}).groupby(["t", "k"], sort=False).cumcount().to_numpy() + 1
    ordinal = np.where(nth > 1, "第" + cn_number(nth).astype(object), "").astype(object)
    return towns + ordinal + kinds


class Draft:
    """Nodes and links as chunks of arrays; node and pipe indices are global and stable once added.

    Besides the features, the laying step leaves here what the tables need: ``lp_node``/``mp_node`` (the LP and MP
    junction of each street node, -1 where there is none), ``gate_nodes`` (``gate_node`` the first) and their
    ``gate_supply_mpa``, and from the sizing step the design flows ``regulator_design_nm3h`` (per regulator, in the
    order added), ``gate_design_nm3h`` and ``customer_design_nm3h``.
    """

    def __init__(self) -> None:
        self._xy: list[np.ndarray] = []
        self._layer: list[np.ndarray] = []
        self.n_nodes = 0
        self.node_attrs: dict[int, list[dict[str, np.ndarray]]] = {CUSTOMER: [], RISER: [], GATE: []}
        self._pipes: list[dict[str, np.ndarray]] = []
        self.n_pipes = 0
        self._valves: list[dict[str, np.ndarray]] = []
        self._regulators: list[dict[str, np.ndarray]] = []
        self.lp_node = self.mp_node = self.regulator_design_nm3h = self.customer_design_nm3h = np.empty(0)
        self.gate_node = -1
        self.gate_nodes = np.empty(0, np.int64)
        self.gate_supply_mpa = np.empty(0)
        self.gate_design_nm3h = np.empty(0)

    def add_nodes(self, xy: np.ndarray, layer: int, **attrs: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, float).reshape(-1, 2)
        idx = np.arange(self.n_nodes, self.n_nodes + len(xy))
        self._xy.append(xy)
        self._layer.append(np.full(len(xy), layer, np.int8))
        self.n_nodes += len(xy)
        if attrs:
            self.node_attrs[layer].append(attrs)
        return idx

    def _consolidate(self) -> None:
        if len(self._xy) > 1:
            self._xy = [np.concatenate(self._xy)]
            self._layer = [np.concatenate(self._layer)]

    @property
    def xy(self) -> np.ndarray:
        """(n_nodes, 2) coordinates of every node added so far."""
        self._consolidate()
        return self._xy[0]

    @property
    def layer(self) -> np.ndarray:
        """Node layer code (JUNCTION, GATE, …) of every node added so far."""
        self._consolidate()
        return self._layer[0]

    def add_pipes(self, frm: np.ndarray, to: np.ndarray, vertices: np.ndarray | None = None, mask=None, **attrs):
        """Pipes ``frm`` -> ``to``; ``vertices`` (n, k, 2) with ``mask`` (n, k) give the shape, ends included."""
        frm, to = np.asarray(frm, np.int64), np.asarray(to, np.int64)
        xy = self.xy
        if vertices is None:
            vertices = np.stack([xy[frm], xy[to]], axis=1)
        if mask is None:
            mask = np.ones(vertices.shape[:2], dtype=bool)
        n = len(frm)
        chunk = {"from": frm, "to": to, "coords": vertices[mask], "count": mask.sum(axis=1)}
        chunk.update({k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in attrs.items()})
        self._pipes.append(chunk)
        idx = np.arange(self.n_pipes, self.n_pipes + n)
        self.n_pipes += n
        return idx

    def add_valves(self, pipes: np.ndarray, end: int | np.ndarray, closed=False, remote=False) -> None:
        """Valves on ``pipes`` at their from (``end`` 0) or to (1) node; laid by :meth:`insert_valves`."""
        n = len(pipes)
        self._valves.append(
            {
                "pipe": np.asarray(pipes, np.int64),
                "end": np.broadcast_to(end, (n,)).astype(np.int8),
                "closed": np.broadcast_to(closed, (n,)).astype(bool),
                "remote": np.broadcast_to(remote, (n,)).astype(bool),
            }
        )

    def add_regulators(self, inlet: np.ndarray, outlet: np.ndarray, xy: np.ndarray, **attrs: np.ndarray) -> None:
        """Regulators from ``inlet`` to ``outlet`` nodes, drawn at ``xy``; tables take them in the order added."""
        attrs.setdefault("inlet_pc", np.full(len(inlet), MP))
        attrs.setdefault("outlet_pc", np.full(len(inlet), LP))
        self._regulators.append({"frm": inlet, "to": outlet, "xy": xy, **attrs})

    def regulators(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([c[k] for c in self._regulators]) for k in self._regulators[0]}

    def pipes(self) -> dict[str, np.ndarray]:
        if len(self._pipes) > 1:
            self._pipes = [{k: np.concatenate([c[k] for c in self._pipes]) for k in self._pipes[0]}]
        return self._pipes[0]

    def insert_valves(self) -> None:
        """Each valve: a new junction 1.5 m into its pipe, the valve from the old end node to it, the pipe shortened."""
        pipes = self.pipes()
        v = {k: np.concatenate([c[k] for c in self._valves]) for k in self._valves[0]}
        first = first_of_each(v["pipe"] * 2 + v["end"])  # one valve per pipe end
        v = {k: a[first] for k, a in v.items()}
        start = np.concatenate([[0], np.cumsum(pipes["count"])[:-1]])
        coords = pipes["coords"]
        at_from = v["end"] == 0
        k0 = np.where(at_from, start[v["pipe"]], start[v["pipe"]] + pipes["count"][v["pipe"]] - 1)
        k1 = np.where(at_from, k0 + 1, k0 - 1)
        seg = coords[k1] - coords[k0]
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        gap = np.minimum(VALVE_GAP_M, 0.4 * seg_len)
        junction_xy = coords[k0] + seg * (gap / seg_len)[:, None]
        end_node = np.where(at_from, pipes["from"][v["pipe"]], pipes["to"][v["pipe"]])
        new = self.add_nodes(junction_xy, JUNCTION)
        coords[k0] = junction_xy
        pipes["from"][v["pipe"][at_from]] = new[at_from]
        pipes["to"][v["pipe"][~at_from]] = new[~at_from]
        v.update(frm=end_node, to=new, xy=0.5 * (self.xy[end_node] + junction_xy))
        self.valves = v


def _ids(prefix: str, n: int, width: int = 0) -> np.ndarray:
    """'P-000001' … as an object array of str: digits written straight into a fixed-width unicode buffer."""
    width = max(width, len(str(n)))
    buf = np.empty((n, len(prefix) + width), dtype=np.uint32)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode("utf-32-le"), dtype=np.uint32)
    k = np.arange(1, n + 1, dtype=np.int64)
    for j in range(width):
        buf[:, len(prefix) + width - 1 - j] = 48 + (k // 10**j) % 10
    return buf.view(f"U{len(prefix) + width}").ravel().astype(object)


def _categorical(codes: np.ndarray, labels: np.ndarray, code_list: type) -> pd.Categorical:
    """A code-list column typed as the schema types it, from integer ``codes`` into ``labels`` (no string hashing)."""
    categories = [member.value for member in code_list]
    remap = np.array([categories.index(label) for label in labels], dtype=np.int8)  # a handful of labels
    return pd.Categorical.from_codes(remap[np.asarray(codes, dtype=np.int64)], categories=categories)


def _standard_capacity(peak: np.ndarray) -> np.ndarray:
    """The smallest catalogue size (Nm³/h) at or above ``peak``."""
    return REGULATOR_SIZES_NM3H[np.minimum(np.searchsorted(REGULATOR_SIZES_NM3H, peak), len(REGULATOR_SIZES_NM3H) - 1)]


def inner_diameter_mm(material: np.ndarray, dn: np.ndarray) -> np.ndarray:
    """PE: SDR 11 on the outside diameter; steel: the wall of the table above; iron: its nominal bore."""
    pe = material <= PE100
    steel_id = _STEEL_ID[np.clip(dn, 0, len(_STEEL_ID) - 1)]
    return np.round(np.where(pe, dn * (1 - 2 / 11), np.where(material == STEEL, steel_id, dn.astype(float))), 1)


def layer_tables(rng: np.random.Generator, island: Island, plan: Plan, draft: Draft) -> dict[str, gpd.GeoDataFrame]:
    """One GeoDataFrame per layer: ids assigned, junctions on a single link turned into end caps, sensors placed."""
    xy, pipes, valves, regs = draft.xy, draft.pipes(), draft.valves, draft.regulators()
    layer = draft.layer.copy()
    degree = np.bincount(
        np.concatenate([pipes["from"], pipes["to"], valves["frm"], valves["to"], regs["frm"], regs["to"]]),
        minlength=len(xy),
    )
    layer[(layer == JUNCTION) & (degree == 1)] = END_CAP
    node_id = np.empty(len(xy), dtype=object)
    rows = {}
    for code, prefix, width in NODE_ID_FORMAT:
        rows[code] = np.flatnonzero(layer == code)
        node_id[rows[code]] = _ids(prefix, len(rows[code]), width)
    elevation = np.round(island.sample(island.elevation, xy[:, 0], xy[:, 1]), 2)
    points = shapely.points(xy)

    def node_table(code: int, **columns) -> gpd.GeoDataFrame:
        r = rows[code]
        return gpd.GeoDataFrame({"id": node_id[r], "elevation_m": elevation[r], **columns}, geometry=points[r])

    layers = {"junctions": node_table(JUNCTION), "end_caps": node_table(END_CAP)}
    layers["risers"] = node_table(RISER, floors=np.concatenate([c["floors"] for c in draft.node_attrs[RISER]]))
    cust = {k: np.concatenate([c[k] for c in draft.node_attrs[CUSTOMER]]) for k in draft.node_attrs[CUSTOMER][0]}
    meter = _ids("330902", len(rows[CUSTOMER]), 7)  # Dinghai district code + serial, shuffled so neighbours differ
    layers["customers"] = node_table(
        CUSTOMER,
        name=cust["name"],
        category=_categorical(cust["category"], CATEGORIES, CustomerCategory),
        special_kind=cust["special_kind"],
        households=cust["households"].astype(np.int64),
        peak_demand_nm3h=np.round(cust["peak"], 2),
        meter_id=meter[rng.permutation(len(meter))],
    )
    layers["regulators"] = _regulator_table(island, plan, draft, regs, node_id)
    gates = draft.gate_nodes  # GATE rows are numbered in node order, as the gates were added
    gate_names = numbered_names(island.town_names[plan.town[plan.gates]], np.full(len(gates), "门站", dtype=object))
    layers["gate_stations"] = node_table(
        GATE,
        name=gate_names,
        supply_pressure_mpa=draft.gate_supply_mpa,
        capacity_nm3h=np.ceil(REGULATOR_MARGIN * draft.gate_design_nm3h / 1000) * 1000,
    )
    layers["pipes"] = _pipe_table(pipes, node_id)
    layers["valves"] = _valve_table(rng, pipes, valves, node_id)
    layers["sensors"] = _sensors(rng, plan, draft, layers, layer, node_id, gate_names)
    return layers


def _regulator_table(island: Island, plan: Plan, draft: Draft, regs: dict, node_id: np.ndarray) -> gpd.GeoDataFrame:
    """Regulators rated for the design flow of their area (or factory) with a margin, named by town."""
    station, factory = regs["station"], regs["factory"]
    n = len(station)
    design = draft.regulator_design_nm3h
    capacity = _standard_capacity(REGULATOR_MARGIN * np.maximum(design, np.where(station, 1500.0, 30.0)))
    inlet_pc, outlet_pc = regs["inlet_pc"], regs["outlet_pc"]
    kind_name = np.where(
        inlet_pc == SHP, "高中压调压站", np.where(station, "调压站", np.where(factory, "专用调压箱", "调压箱"))
    ).astype(object)
    name = numbered_names(island.town_names[plan.town[regs["site"]]], kind_name)
    reg_id = np.empty(n, dtype=object)
    reg_id[station] = _ids("RS-", int(station.sum()), 3)
    reg_id[~station] = _ids("RX-", int((~station).sum()), 4)
    table = gpd.GeoDataFrame(
        {
            "id": reg_id,
            "from_node": node_id[regs["frm"]],
            "to_node": node_id[regs["to"]],
            "name": name,
            "kind": _categorical(~station, np.array(["station", "box"]), RegulatorKind),
            "inlet_class": _categorical(inlet_pc, PRESSURE_CLASSES, PressureClass),
            "outlet_class": _categorical(outlet_pc, PRESSURE_CLASSES, PressureClass),
            "set_outlet_pressure_mpa": regs["set_mpa"],
            "capacity_nm3h": capacity,
        },
        geometry=shapely.points(regs["xy"]),
    )
    return table


def _pipe_table(pipes: dict, node_id: np.ndarray) -> gpd.GeoDataFrame:
    material, dn, counts = pipes["material"], pipes["dn"].astype(np.int64), pipes["count"]
    geometry = shapely.linestrings(pipes["coords"], indices=np.repeat(np.arange(len(counts)), counts))
    return gpd.GeoDataFrame(
        {
            "id": _ids("P-", len(dn), 6),
            "from_node": node_id[pipes["from"]],
            "to_node": node_id[pipes["to"]],
            "length_m": np.round(shapely.length(geometry), 3),
            "dn": dn,
            "inner_diameter_mm": inner_diameter_mm(material, dn),
            "material": _categorical(material, MATERIALS, Material),
            "pressure_class": _categorical(pipes["pclass"], PRESSURE_CLASSES, PressureClass),
            "roughness_mm": ROUGHNESS_MM[material],
            "install_year": pipes["year"].astype(np.int64),
            "depth_m": np.round(pipes["depth"], 2),
            "status": _categorical(pipes["status"], STATUSES, PipeStatus),
        },
        geometry=geometry,
    )


def _valve_table(rng, pipes: dict, valves: dict, node_id: np.ndarray) -> gpd.GeoDataFrame:
    """Valve type and size from the pipe each sits on; a few per cent are seized or paved over (never remote ones)."""
    on = valves["pipe"]
    material, dn = pipes["material"][on], pipes["dn"][on].astype(np.int64)
    n = len(on)
    valve_type = np.select([material <= PE100, (material == STEEL) & (dn < 100)], [0, 1], 2)  # into VALVE_TYPES
    remote = valves["remote"]
    seized = ~remote & (rng.random(n) < np.where(pipes["year"][on] < 2000, 0.06, 0.02))
    paved_over = ~remote & (rng.random(n) < 0.025)
    return gpd.GeoDataFrame(
        {
            "id": _ids("V-", n, 5),
            "from_node": node_id[valves["frm"]],
            "to_node": node_id[valves["to"]],
            "normal_position": _categorical(valves["closed"], np.array(["open", "closed"]), ValvePosition),
            "operable": ~seized,
            "accessible": ~paved_over,
            "valve_type": _categorical(valve_type, VALVE_TYPES, ValveType),
            "dn": dn,
            "remote_controlled": remote,
        },
        geometry=shapely.points(valves["xy"]),
    )


def _sensors(rng, plan: Plan, draft: Draft, layers: dict, layer: np.ndarray, node_id: np.ndarray, gate_names):
    """Gate station P/Q/T, regulator outlet (and station inlet) pressure, far ends, valve-well methane, valve positions.

    Pressure sensors sit on nodes (the gate station, a regulator's inlet or outlet junction, an end cap), so a reading
    compares with a computed node pressure; methane and valve-position sensors sit on their valve.
    """
    pipes, valves, regs = draft.pipes(), draft.valves, draft.regulators()
    reg_name = layers["regulators"]["name"].to_numpy(dtype=object)
    valve_ids = layers["valves"]["id"].to_numpy(dtype=object)
    kinds: list[np.ndarray] = []
    feature: list[np.ndarray] = []
    names: list[np.ndarray] = []
    where: list[np.ndarray] = []

    def add(kind: str, fid: np.ndarray, name: np.ndarray, at: np.ndarray) -> None:
        kinds.append(np.full(len(fid), kind, dtype=object))
        feature.append(np.asarray(fid, dtype=object))
        names.append(np.asarray(name, dtype=object))
        where.append(np.asarray(at, float).reshape(-1, 2))

    xy = draft.xy
    g = draft.gate_nodes
    for kind, label in (("pressure", "出站压力"), ("flow", "出站流量"), ("temperature", "出站温度")):
        add(kind, node_id[g], gate_names + label, xy[g])
    add("pressure", node_id[regs["to"]], reg_name + "出口压力", xy[regs["to"]])
    st = np.flatnonzero(regs["station"])
    add("pressure", node_id[regs["frm"][st]], reg_name[st] + "进口压力", xy[regs["frm"][st]])

    # Far ends: the LP dead ends farthest (by street) from their regulator, and the far end of the MP tree.
    streets_far = np.argsort(-plan.lp_dist, kind="stable")
    ends = draft.lp_node[streets_far]
    ends = ends[layer[ends] == END_CAP][: max(3, round(len(plan.sites) / 25))]
    add("pressure", node_id[ends], node_id[ends].astype(object) + " 末端压力", xy[ends])
    mp_far = draft.mp_node[np.argmax(np.where(plan.mp_on, plan.mp_dist, -1))]
    add("pressure", node_id[[mp_far]], np.array([node_id[mp_far] + " 中压末端压力"], dtype=object), xy[[mp_far]])

    # Valve wells on MP mains: methane (%LEL) in a quarter of them; remote valves report their position.
    mp_valve = np.flatnonzero(pipes["pclass"][valves["pipe"]] == MP)
    well = mp_valve[rng.random(len(mp_valve)) < 0.25]
    add("methane", valve_ids[well], valve_ids[well] + " 阀井可燃气体", valves["xy"][well])
    remote = np.flatnonzero(valves["remote"])
    add("valve_position", valve_ids[remote], valve_ids[remote] + " 阀位", valves["xy"][remote])

    kind = np.concatenate(kinds)
    unit = pd.Series(kind).map({k.value: unit for k, unit in SENSOR_UNITS.items()}).to_numpy(dtype=object)
    return gpd.GeoDataFrame(
        {
            "id": _ids("S-", len(kind), 5),
            "kind": pd.Categorical(kind, categories=[k.value for k in SensorKind]),
            "unit": unit,
            "feature_id": np.concatenate(feature),
            "name": np.concatenate(names),
        },
        geometry=shapely.points(np.concatenate(where)),
    )
