"""Typed request and result of a shut-off analysis (关阀分析), with a JSON round trip.

A result carries everything a view needs without going back to the network: feature ids to select and zoom to,
the (x, y) of every valve in the plan and of every affected customer in the network's CRS, the segment numbers of the
outage (index ``ValveSegments.link_segment`` to colour pipes) and the pipe ids per role.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from console.errors import GasOpsError
from console.isolation._volume import CLASS_CODES
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "IsolationRequestError",
    "Break",
    "IsolationRequest",
    "ClosingStep",
    "SkippedDevice",
    "AffectedCustomer",
    "Impact",
    "IsolationResult",
    "ORDER_RULES",
]

#: Closing-order rules and why one would choose each; the result repeats the reason next to the plan.
ORDER_RULES: dict[str, str] = {
    "upstream_first": QT_TRANSLATE_NOOP(
        "IsolationNotes",
        "upstream first: a source inside the outage is stopped first; then the valves through which gas still "
        "feeds the outage, those whose far side sits nearest a source (fewest valves/regulators from a gate station "
        "in normal operation, i.e. the trunk feeds) before the rest, because each one closed cuts the most flow to "
        "the break soonest; ties go to the valve nearest the break along the network. Optional valves (they only "
        "keep cut-off pipes from venting) come last, nearest first.",
    ),
    "nearest_first": QT_TRANSLATE_NOOP(
        "IsolationNotes",
        "nearest first: the steps that must be done in order of distance along the network from the break, for "
        "a single crew working outwards from the scene; optional valves come last, nearest first.",
    ),
}

ACTIONS = ("stop_source", "shut_regulator", "close_valve")


class IsolationRequestError(GasOpsError, ValueError):
    """A shut-off request that cannot be answered as asked (bad fraction, wrong kind of feature, pipe not in use)."""


def _opt_float(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)


@dataclass(frozen=True)
class Break:
    """Where the gas escapes: a pipe with a position along it (``fraction`` 0 at from_node … 1 at to_node), a node,
    or a valve/regulator (both of its sides are isolated)."""

    feature_id: str
    fraction: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.feature_id, str) or not self.feature_id:
            raise IsolationRequestError(f"a break needs a feature id, got {self.feature_id!r}")
        if self.fraction is not None:
            try:
                f = float(self.fraction)
            except (TypeError, ValueError):
                raise IsolationRequestError(
                    f"break on {self.feature_id!r}: position {self.fraction!r} is not a number"
                ) from None
            if not (0.0 <= f <= 1.0):
                raise IsolationRequestError(
                    f"break on {self.feature_id!r}: position {self.fraction!r} must be a fraction of the pipe's "
                    "length between 0 and 1"
                )
            object.__setattr__(self, "fraction", f)

    def to_dict(self) -> dict[str, Any]:
        return {"feature_id": self.feature_id, "fraction": self.fraction}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Break:
        return cls(d["feature_id"], d.get("fraction"))


@dataclass(frozen=True)
class IsolationRequest:
    """One incident: where the gas escapes, what cannot be turned, what counts as supply.

    Parameters
    ----------
    breaks
        One or more break positions (several simultaneous breaks are isolated together).
    inoperable
        Valve or regulator ids that will not turn in this incident ("V-123 would not turn"), on top of those whose
        attributes say not operable or not accessible.
    sources
        Feature ids that supply gas: nodes (gate stations, an LNG/CNG station drawn as a junction …) or regulators
        (whose outlet is then fed from outside the model). ``None`` means every gate station.
    order
        ``"upstream_first"`` (default) or ``"nearest_first"``; see :data:`ORDER_RULES`.
    operating_pressure_mpa
        Gauge operating pressure per pressure class (``{"MP-A": 0.35}``) for the gas-volume estimate, overriding
        the typical pressures in ``console.isolation.TYPICAL_OPERATING_PRESSURE_MPA``.
    """

    breaks: tuple[Break, ...]
    inoperable: tuple[str, ...] = ()
    sources: tuple[str, ...] | None = None
    order: str = "upstream_first"
    operating_pressure_mpa: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        breaks = (self.breaks,) if isinstance(self.breaks, Break) else tuple(self.breaks)
        if not breaks:
            raise IsolationRequestError("a shut-off request needs at least one break")
        if not all(isinstance(b, Break) for b in breaks):
            raise IsolationRequestError("breaks must be Break objects")
        object.__setattr__(self, "breaks", breaks)
        object.__setattr__(self, "inoperable", _ids(self.inoperable, "inoperable"))
        if self.sources is not None:
            object.__setattr__(self, "sources", _ids(self.sources, "sources"))
        if self.order not in ORDER_RULES:
            raise IsolationRequestError(f"closing order {self.order!r} unknown; choose {' or '.join(ORDER_RULES)}")
        pressures = dict(self.operating_pressure_mpa or {})
        for cls, p in pressures.items():
            if cls not in CLASS_CODES:
                raise IsolationRequestError(f"operating pressure for {cls!r}: pressure classes are {list(CLASS_CODES)}")
            if not isinstance(p, (int, float)) or not math.isfinite(p) or not (0.0 <= p <= 4.0):
                raise IsolationRequestError(f"operating pressure for {cls}: {p!r} is not a gauge pressure in 0–4 MPa")
        object.__setattr__(self, "operating_pressure_mpa", {k: float(v) for k, v in pressures.items()})

    @classmethod
    def at_pipe(cls, pipe_id: str, fraction: float = 0.5, **kwargs: Any) -> IsolationRequest:
        """A request for one break on a pipe."""
        return cls((Break(pipe_id, fraction),), **kwargs)

    @classmethod
    def at_node(cls, node_id: str, **kwargs: Any) -> IsolationRequest:
        """A request for one break at a node (or a valve/regulator)."""
        return cls((Break(node_id),), **kwargs)

    def with_failed(self, valve_ids: Iterable[str]) -> IsolationRequest:
        """The same request with more valves that would not turn."""
        extra = [v for v in _ids(valve_ids, "failed valves") if v not in self.inoperable]
        return replace(self, inoperable=(*self.inoperable, *extra))

    def to_dict(self) -> dict[str, Any]:
        return {
            "breaks": [b.to_dict() for b in self.breaks],
            "inoperable": list(self.inoperable),
            "sources": None if self.sources is None else list(self.sources),
            "order": self.order,
            "operating_pressure_mpa": dict(self.operating_pressure_mpa),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IsolationRequest:
        return cls(
            breaks=tuple(Break.from_dict(b) for b in d["breaks"]),
            inoperable=tuple(d.get("inoperable", ())),
            sources=None if d.get("sources") is None else tuple(d["sources"]),
            order=d.get("order", "upstream_first"),
            operating_pressure_mpa=dict(d.get("operating_pressure_mpa") or {}),
        )


def _ids(values: Iterable[str] | str, what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v for v in values.split(",")]
    out = tuple(str(v).strip() for v in values)
    if any(not v for v in out):
        raise IsolationRequestError(f"{what}: empty feature id in {list(out)}")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class ClosingStep:
    """One action of the closing plan.

    ``action`` is ``close_valve``, ``shut_regulator`` (shut the regulator station/box itself: its inlet valve or
    slam-shut, when gas reaches the outage straight through it) or ``stop_source`` (a gate station inside the
    outage). ``required`` steps stop gas reaching the break; optional ones only keep the line pack of cut-off pipes
    from venting through it. ``supply_segment`` is the segment on the far side of the device (``None`` for a
    source), ``upstream_hops`` how many valves/regulators that side sits from a source in normal operation (0: a
    source's own segment; ``None`` when it has no supply once the plan is carried out), ``distance_m`` the distance
    along the network from the nearest break (``None`` when not connected to it within the outage).
    """

    order: int
    action: str
    feature_id: str
    layer: str
    required: bool
    reason: str
    x: float
    y: float
    supply_segment: int | None = None
    upstream_hops: int | None = None
    distance_m: float | None = None
    remote_controlled: bool = False
    sensor_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "action": self.action,
            "feature_id": self.feature_id,
            "layer": self.layer,
            "required": self.required,
            "reason": self.reason,
            "x": self.x,
            "y": self.y,
            "supply_segment": self.supply_segment,
            "upstream_hops": self.upstream_hops,
            "distance_m": _opt_float(self.distance_m),
            "remote_controlled": self.remote_controlled,
            "sensor_ids": list(self.sensor_ids),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClosingStep:
        return cls(**{**d, "sensor_ids": tuple(d.get("sensor_ids", ()))})


@dataclass(frozen=True)
class SkippedDevice:
    """A valve (or regulator) on the isolation boundary that cannot be used; the next ring is closed instead."""

    feature_id: str
    layer: str
    reason: str
    passed_to_segment: int
    x: float
    y: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SkippedDevice:
        return cls(**d)


class AffectedCustomer(NamedTuple):
    """A customer that loses gas; ``role`` is ``isolated`` (in the shut-off region) or ``cut_off``.

    A named tuple rather than a dataclass: an outage can list tens of thousands of customers and a tuple is built
    in a fraction of the time.
    """

    feature_id: str
    name: str
    category: str
    special_kind: str
    households: int
    peak_demand_nm3h: float
    segment: int
    role: str
    x: float
    y: float

    @property
    def special(self) -> bool:
        return self.category == "special"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AffectedCustomer:
        return cls(**d)


@dataclass(frozen=True)
class Impact:
    """Who and what loses gas. Volumes: ``internal_volume_m3`` is geometric; ``gas_volume_nm3`` the gas in it at
    operating pressure (see ``console.isolation._volume``). ``isolated_*`` is the shut-off region (it vents through
    the break and needs purging), ``cut_off_*`` the pipes that only lose supply."""

    customers: tuple[AffectedCustomer, ...]  # special users first (by name, then id), then the rest by id
    customers_by_category: Mapping[str, int]
    households: int
    peak_demand_nm3h: float
    isolated_pipe_length_m: float
    cut_off_pipe_length_m: float
    isolated_internal_volume_m3: float
    cut_off_internal_volume_m3: float
    isolated_gas_volume_nm3: float
    cut_off_gas_volume_nm3: float
    sensor_ids: tuple[str, ...]
    operating_pressure_mpa: Mapping[str, float]

    @property
    def customers_lost(self) -> int:
        return len(self.customers)

    @property
    def special_users(self) -> tuple[AffectedCustomer, ...]:
        return tuple(c for c in self.customers if c.special)

    @property
    def pipe_length_m(self) -> float:
        return self.isolated_pipe_length_m + self.cut_off_pipe_length_m

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers_lost": self.customers_lost,
            "customers_by_category": dict(self.customers_by_category),
            "special_users": [c.feature_id for c in self.special_users],
            "households": self.households,
            "peak_demand_nm3h": self.peak_demand_nm3h,
            "isolated_pipe_length_m": self.isolated_pipe_length_m,
            "cut_off_pipe_length_m": self.cut_off_pipe_length_m,
            "isolated_internal_volume_m3": self.isolated_internal_volume_m3,
            "cut_off_internal_volume_m3": self.cut_off_internal_volume_m3,
            "isolated_gas_volume_nm3": self.isolated_gas_volume_nm3,
            "cut_off_gas_volume_nm3": self.cut_off_gas_volume_nm3,
            "sensor_ids": list(self.sensor_ids),
            "operating_pressure_mpa": dict(self.operating_pressure_mpa),
            "customers": [c.to_dict() for c in self.customers],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Impact:
        derived = {"customers_lost", "special_users"}
        fields = {k: v for k, v in d.items() if k not in derived}
        return cls(
            **{
                **fields,
                "customers": tuple(AffectedCustomer.from_dict(c) for c in d["customers"]),
                "customers_by_category": dict(d["customers_by_category"]),
                "sensor_ids": tuple(d["sensor_ids"]),
                "operating_pressure_mpa": dict(d["operating_pressure_mpa"]),
            }
        )


@dataclass(frozen=True)
class IsolationResult:
    """The answer to an :class:`IsolationRequest` on one network version.

    Segments: ``break_segments`` hold the breaks; ``isolated_segments`` the shut-off region (the break segments
    plus those reached through valves that would not turn); ``cut_off_segments`` lose every path to a source once
    the plan is carried out. Pipe ids per role are listed for drawing; ``already_closed`` are normally-closed valves
    on the boundary of the shut-off region (check they really are closed).
    """

    network: str
    version: int
    request: IsolationRequest
    order_rule: str
    order_reason: str
    break_points: tuple[tuple[str, float, float], ...]  # (feature id, x, y) of each break
    break_segments: tuple[int, ...]
    isolated_segments: tuple[int, ...]
    cut_off_segments: tuple[int, ...]
    plan: tuple[ClosingStep, ...]
    skipped: tuple[SkippedDevice, ...]
    already_closed: tuple[str, ...]
    isolated_pipe_ids: tuple[str, ...]
    cut_off_pipe_ids: tuple[str, ...]
    impact: Impact
    warnings: tuple[str, ...] = ()

    @property
    def required_steps(self) -> tuple[ClosingStep, ...]:
        return tuple(s for s in self.plan if s.required)

    @property
    def optional_steps(self) -> tuple[ClosingStep, ...]:
        return tuple(s for s in self.plan if not s.required)

    @property
    def valves_to_close(self) -> tuple[str, ...]:
        """Valve ids that must be closed, in plan order."""
        return tuple(s.feature_id for s in self.plan if s.required and s.action == "close_valve")

    @property
    def optional_valves(self) -> tuple[str, ...]:
        return tuple(s.feature_id for s in self.plan if not s.required and s.action == "close_valve")

    @property
    def skipped_valves(self) -> tuple[str, ...]:
        return tuple(s.feature_id for s in self.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "version": self.version,
            "request": self.request.to_dict(),
            "order_rule": self.order_rule,
            "order_reason": self.order_reason,
            "break_points": [list(b) for b in self.break_points],
            "break_segments": list(self.break_segments),
            "isolated_segments": list(self.isolated_segments),
            "cut_off_segments": list(self.cut_off_segments),
            "valves_to_close": list(self.valves_to_close),
            "optional_valves": list(self.optional_valves),
            "plan": [s.to_dict() for s in self.plan],
            "skipped": [s.to_dict() for s in self.skipped],
            "already_closed": list(self.already_closed),
            "isolated_pipe_ids": list(self.isolated_pipe_ids),
            "cut_off_pipe_ids": list(self.cut_off_pipe_ids),
            "impact": self.impact.to_dict(),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IsolationResult:
        return cls(
            network=d["network"],
            version=int(d["version"]),
            request=IsolationRequest.from_dict(d["request"]),
            order_rule=d["order_rule"],
            order_reason=d["order_reason"],
            break_points=tuple((str(f), float(x), float(y)) for f, x, y in d["break_points"]),
            break_segments=tuple(d["break_segments"]),
            isolated_segments=tuple(d["isolated_segments"]),
            cut_off_segments=tuple(d["cut_off_segments"]),
            plan=tuple(ClosingStep.from_dict(s) for s in d["plan"]),
            skipped=tuple(SkippedDevice.from_dict(s) for s in d["skipped"]),
            already_closed=tuple(d["already_closed"]),
            isolated_pipe_ids=tuple(d["isolated_pipe_ids"]),
            cut_off_pipe_ids=tuple(d["cut_off_pipe_ids"]),
            impact=Impact.from_dict(d["impact"]),
            warnings=tuple(d.get("warnings", ())),
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> IsolationResult:
        return cls.from_dict(json.loads(text))
