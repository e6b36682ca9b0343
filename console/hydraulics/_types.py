"""Requests and results of the hydraulic simulation: typed, immutable requests; results of numpy arrays aligned with
the network (node arrays in ``network.topology`` node order, link arrays in topology link order, whose first
``n_pipes`` entries are the rows of ``network["pipes"]``), JSON-serialisable with :meth:`to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np

from console.hydraulics._gas import GasProperties
from console.hydraulics._laws import FlowLaw
from console.network import LINK_LAYERS, NODE_LAYERS

__all__ = [
    "DEFAULT_MAX_VELOCITY_MS",
    "DEFAULT_MIN_PRESSURE_MPA",
    "DEFAULT_SIMULTANEITY",
    "ConvergenceInfo",
    "DemandOptions",
    "RegulatorState",
    "ServiceLimits",
    "SimulationRequest",
    "SimulationResult",
    "SolverOptions",
    "SystemSummary",
    "UnsuppliedPart",
    "Violation",
    "format_pressure",
    "pa_to_kpa",
    "pa_to_mpa",
]

# Illustrative defaults; every utility sets its own (GB 50028 §10.2.9 gives residential coefficients that fall with
# the number of households served, from 1.0 for one household to ~0.2 for thousands).
DEFAULT_SIMULTANEITY = {"residential": 0.3, "commercial": 0.6, "industrial": 0.8, "special": 0.8}
# Minimum service pressure per class (gauge MPa): 1.5 kPa in LP networks (0.75 × the 2.0 kPa rated pressure of
# natural-gas appliances); the lower bound of the GB 50028 class range otherwise.
DEFAULT_MIN_PRESSURE_MPA = {
    "LP": 0.0015,
    "MP-B": 0.01,
    "MP-A": 0.2,
    "SHP-B": 0.4,
    "SHP-A": 0.8,
    "HP-B": 1.6,
    "HP-A": 2.5,
}
DEFAULT_MAX_VELOCITY_MS = {c: 20.0 for c in DEFAULT_MIN_PRESSURE_MPA}  # a common noise/erosion limit for gas mains


def pa_to_kpa(pressure_pa: Any) -> Any:
    return np.asarray(pressure_pa, dtype=float) / 1e3


def pa_to_mpa(pressure_pa: Any) -> Any:
    return np.asarray(pressure_pa, dtype=float) / 1e6


def format_pressure(pressure_pa: float) -> str:
    """Pressure for display: kPa below 0.1 MPa (low-pressure practice), MPa above.

    >>> format_pressure(2310.0), format_pressure(382_000.0)
    ('2.31 kPa', '0.382 MPa')
    """
    if abs(pressure_pa) < 1e5:
        return f"{pressure_pa / 1e3:.3g} kPa" if abs(pressure_pa) >= 1e3 else f"{pressure_pa / 1e3:.3f} kPa"
    return f"{pressure_pa / 1e6:.3f} MPa"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            bad = ~np.isfinite(value)
            if not bad.any():
                return value.tolist()
            out = value.astype(object)
            out[bad] = None
            return out.tolist()
        return value.tolist()
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    return value


class RegulatorState(StrEnum):
    """What a regulator (调压器) does in a solution."""

    ACTIVE = "active"  # holds its set outlet pressure
    CAPACITY_EXCEEDED = "capacity_exceeded"  # holds the set point, but passes more than its rated capacity
    PASS_THROUGH = "pass_through"  # inlet below the set point: wide open, outlet follows the inlet (直通)
    NO_FLOW = "no_flow"  # active, but nothing downstream draws gas
    CLOSED = "closed"  # closed by the request, or shut by back-pressure (outlet side above its set point)
    STANDBY = "standby"  # shares its outlet with a regulator of higher (or equal, listed first) set point
    BYPASSED = "bypassed"  # inlet and outlet joined by an open valve or link: the outlet sees inlet pressure
    UNSUPPLIED = "unsupplied"  # no gas reaches its inlet


@dataclass(frozen=True)
class DemandOptions:
    """Customer demand = peak_demand_nm3h × simultaneity[category] × demand_factor (同时工作系数).

    With ``node_demand_nm3h`` (a demand scenario, e.g. from :func:`~console.hydraulics.read_demand_scenario`) the
    listed nodes draw the given flow × ``demand_factor`` instead, and every other node draws nothing.
    """

    simultaneity: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SIMULTANEITY))
    demand_factor: float = 1.0
    node_demand_nm3h: dict[str, float] | None = None

    def factors(self, categories: np.ndarray) -> np.ndarray:
        lookup = {**DEFAULT_SIMULTANEITY, **self.simultaneity}
        unknown = sorted(set(categories.tolist()) - set(lookup))
        if unknown:
            raise ValueError(f"no simultaneity factor for customer categories {unknown}")
        return np.array([lookup[c] for c in categories.tolist()], dtype=float) * self.demand_factor


@dataclass(frozen=True)
class ServiceLimits:
    """Checks on a solution: minimum service pressure (gauge MPa) and maximum velocity (m/s) per pressure class."""

    min_pressure_mpa: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_PRESSURE_MPA))
    max_velocity_ms: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MAX_VELOCITY_MS))


@dataclass(frozen=True)
class SolverOptions:
    max_iterations: int = 60
    flow_tolerance_nm3h: float = 1e-6  # per node balance
    pressure_tolerance_pa: float = 1e-4  # per pipe law, as a pressure
    max_regulator_rounds: int = 12


@dataclass(frozen=True)
class SimulationRequest:
    """A steady-state simulation: which links to close (and normally-closed valves to open), law, gas, demand.

    ``closed`` takes any link id (valves above all, e.g. from the shut-off analysis; pipes and regulators too).
    """

    closed: tuple[str, ...] = ()
    opened: tuple[str, ...] = ()
    law: FlowLaw = FlowLaw.COLEBROOK
    gas: GasProperties = field(default_factory=GasProperties)
    demand: DemandOptions = field(default_factory=DemandOptions)
    limits: ServiceLimits = field(default_factory=ServiceLimits)
    solver: SolverOptions = field(default_factory=SolverOptions)
    efficiency: float = 0.92  # Weymouth and Panhandle A pipeline efficiency
    laminar_flow: bool = True  # Darcy laws: 64/Re below Re 2000; False: Colebrook–White at every Re (STANET)
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed", tuple(self.closed))
        object.__setattr__(self, "opened", tuple(self.opened))
        object.__setattr__(self, "law", FlowLaw(self.law))

    def with_closed(self, ids: Any, label: str = "") -> SimulationRequest:
        """This request with ``ids`` closed as well (a what-if scenario)."""
        extra = tuple(i for i in ids if i not in self.closed)
        return replace(self, closed=self.closed + extra, label=label or self.label)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationRequest:
        return cls(
            closed=tuple(data.get("closed", ())),
            opened=tuple(data.get("opened", ())),
            law=FlowLaw(data.get("law", "colebrook")),
            gas=GasProperties.from_dict(data.get("gas", {})),
            demand=DemandOptions(**data.get("demand", {})),
            limits=ServiceLimits(**data.get("limits", {})),
            solver=SolverOptions(**data.get("solver", {})),
            efficiency=data.get("efficiency", 0.92),
            laminar_flow=data.get("laminar_flow", True),
            label=data.get("label", ""),
        )


@dataclass(frozen=True)
class Violation:
    """One finding on a solution, with the feature id the UI zooms to.

    ``kind``: ``low_pressure`` (below the class's minimum service pressure), ``below_atmospheric`` (negative gauge
    pressure: air would be drawn in), ``high_pressure`` (above the class's GB 50028 range), ``high_velocity``,
    ``regulator_capacity``, ``gate_capacity``, ``regulator_pass_through`` (inlet below set point),
    ``regulator_bypassed``, ``unsupplied`` (a customer with demand but no supply).
    """

    kind: str
    severity: str  # "error" | "warning"
    feature_id: str
    layer: str
    value: float
    limit: float
    unit: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class SystemSummary:
    """A pressure system (压力级制): the pipes connected without passing a regulator."""

    system_id: int
    pressure_class: str
    n_nodes: int
    n_pipes: int
    supplied: bool
    min_pressure_pa: float  # gauge, over supplied nodes (0.0 when unsupplied)
    min_node_id: str
    max_pressure_pa: float
    max_node_id: str
    demand_nm3h: float
    fed_by: tuple[str, ...]  # gate stations and regulators whose outlet lies in the system

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class UnsuppliedPart:
    """A connected part with no path from any gate station (无气源区域): named, never returned as NaN pressures."""

    node_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]
    pipe_ids: tuple[str, ...]
    demand_nm3h: float  # demand that cannot be served
    closed_boundary_ids: tuple[str, ...]  # closed valves/links/regulators on its border

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ConvergenceInfo:
    converged: bool
    iterations: int  # Newton iterations, all regulator rounds together
    regulator_rounds: int
    flow_residual_nm3h: float  # largest node-group imbalance left by Newton
    pressure_residual_pa: float  # largest pipe-law residual, as a pressure
    conservation_max_nm3h: float  # largest |inflow − outflow − demand + supply| over every node
    solve_seconds: float
    history: tuple[tuple[int, float, float], ...]  # (round, flow residual Nm³/h, pressure residual Pa) per iteration

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(eq=False)
class SimulationResult:
    """A converged, feasible steady state. Node arrays follow ``node_ids``; link arrays follow ``link_ids``.

    Pressures are gauge Pa unless named ``_abs``; flows at the base conditions of ``request.gas`` (Nm³/h by
    default), signed: positive from ``from_node`` to ``to_node``. Unsupplied nodes have ``node_supplied`` False,
    pressure 0.0 gauge (no supply: the part empties to the atmosphere) and are listed in ``unsupplied``.
    """

    network_name: str
    network_version: int
    request: SimulationRequest
    node_ids: np.ndarray
    node_layer: np.ndarray
    node_pressure_pa: np.ndarray
    node_pressure_abs_pa: np.ndarray
    node_supplied: np.ndarray
    node_system: np.ndarray
    node_demand_nm3h: np.ndarray
    node_supply_nm3h: np.ndarray  # gas delivered by gate stations (0 elsewhere)
    node_conservation_nm3h: np.ndarray  # inflow − outflow − demand + supply per node
    link_ids: np.ndarray
    link_layer: np.ndarray
    link_flow_nm3h: np.ndarray
    link_velocity_ms: np.ndarray  # pipes: mean velocity at the mean pressure of the pipe; 0.0 for devices
    link_pressure_from_pa: np.ndarray
    link_pressure_to_pa: np.ndarray
    link_dp_per_km_pa: np.ndarray  # pipes: |p_from − p_to| (absolute pressures) per km
    link_active: np.ndarray  # carries gas in this state (in service, open, supplied)
    regulator_state: np.ndarray  # str per regulators row
    regulator_loading: np.ndarray  # flow / capacity per regulators row (NaN without a capacity)
    systems: list[SystemSummary]
    unsupplied: list[UnsuppliedPart]
    violations: list[Violation]
    convergence: ConvergenceInfo
    n_pipes: int
    warnings: list[str] = field(default_factory=list)

    # -- views for the UI -------------------------------------------------------------------------------------------
    def _link_slice(self, layer: str) -> slice:
        code = LINK_LAYERS.index(layer)
        start = int(np.searchsorted(self.link_layer, code))
        return slice(start, int(np.searchsorted(self.link_layer, code, side="right")))

    def link_values(self, layer: str, name: str) -> np.ndarray:
        """The link array ``name`` (e.g. ``"flow_nm3h"``) restricted to ``layer``, aligned with its rows."""
        return getattr(self, f"link_{name}")[self._link_slice(layer)]

    def node_values(self, layer: str, name: str) -> np.ndarray:
        code = NODE_LAYERS.index(layer)
        lo, hi = np.searchsorted(self.node_layer, code), np.searchsorted(self.node_layer, code, side="right")
        return getattr(self, f"node_{name}")[lo:hi]

    @property
    def pipe_flow_nm3h(self) -> np.ndarray:
        return self.link_flow_nm3h[: self.n_pipes]

    @property
    def pipe_velocity_ms(self) -> np.ndarray:
        return self.link_velocity_ms[: self.n_pipes]

    @property
    def pipe_pressure_pa(self) -> np.ndarray:
        """Mean of the two end pressures (gauge Pa) per pipe row: the value to colour pipes by."""
        return 0.5 * (self.link_pressure_from_pa[: self.n_pipes] + self.link_pressure_to_pa[: self.n_pipes])

    @property
    def pipe_dp_per_km_pa(self) -> np.ndarray:
        return self.link_dp_per_km_pa[: self.n_pipes]

    @property
    def link_direction(self) -> np.ndarray:
        """+1 flow from → to, −1 reverse, 0 no flow (below 1e-6 Nm³/h)."""
        return np.where(np.abs(self.link_flow_nm3h) <= 1e-6, 0, np.sign(self.link_flow_nm3h)).astype(np.int8)

    @property
    def min_pressure_pa(self) -> float:
        p = self.node_pressure_pa[self.node_supplied]
        return float(p.min()) if len(p) else 0.0

    def feature_values(self, feature_id: str) -> dict[str, Any]:
        """Tooltip values of one node or link (pressures in Pa gauge, flows in base m³/h)."""
        node = np.flatnonzero(self.node_ids == feature_id)
        if len(node):
            i = int(node[0])
            return {
                "layer": NODE_LAYERS[self.node_layer[i]],
                "pressure_pa": float(self.node_pressure_pa[i]),
                "supplied": bool(self.node_supplied[i]),
                "system": int(self.node_system[i]),
                "demand_nm3h": float(self.node_demand_nm3h[i]),
            }
        link = np.flatnonzero(self.link_ids == feature_id)
        if len(link):
            i = int(link[0])
            return {
                "layer": LINK_LAYERS[self.link_layer[i]],
                "flow_nm3h": float(self.link_flow_nm3h[i]),
                "velocity_ms": float(self.link_velocity_ms[i]),
                "pressure_from_pa": float(self.link_pressure_from_pa[i]),
                "pressure_to_pa": float(self.link_pressure_to_pa[i]),
                "dp_per_km_pa": float(self.link_dp_per_km_pa[i]),
            }
        raise KeyError(f"{feature_id!r} is neither a node nor a link of this result")

    def summary(self) -> dict[str, Any]:
        """A compact JSON-ready summary: per-system pressure range, violations by kind, regulator states, convergence."""
        kinds: dict[str, int] = {}
        for v in self.violations:
            kinds[v.kind] = kinds.get(v.kind, 0) + 1
        states, counts = np.unique(self.regulator_state.astype(str), return_counts=True)
        return {
            "network": self.network_name,
            "law": self.request.law.value,
            "closed": list(self.request.closed),
            "base": self.request.gas.base_label,
            "total_demand_nm3h": float(self.node_demand_nm3h.sum()),
            "systems": [s.to_dict() for s in self.systems],
            "violations_by_kind": kinds,
            "regulator_states": {str(s): int(c) for s, c in zip(states, counts, strict=True)},
            "unsupplied_parts": len(self.unsupplied),
            "unsupplied_customers": sum(len(u.customer_ids) for u in self.unsupplied),
            "convergence": self.convergence.to_dict(),
            "warnings": list(self.warnings),
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, arrays as lists (NaN as null)."""
        out = {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}
        out["node_layer"] = [NODE_LAYERS[i] for i in self.node_layer.tolist()]
        out["link_layer"] = [LINK_LAYERS[i] for i in self.link_layer.tolist()]
        return out
