"""Difference between two results on the same network (base case vs a what-if scenario)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from console.hydraulics._types import SimulationResult, Violation, _jsonable
from console.network import LINK_LAYERS, NODE_LAYERS

__all__ = ["ResultDiff", "diff_results"]

_CUSTOMER = NODE_LAYERS.index("customers")


@dataclass(eq=False)
class ResultDiff:
    """Scenario minus base. Pressure changes are gauge Pa (an unsupplied node counts as 0 gauge, so losing supply
    shows as the full base pressure lost); flow changes in Nm³/h with the links' own sign convention."""

    node_ids: np.ndarray
    node_dp_pa: np.ndarray
    link_ids: np.ndarray
    link_dflow_nm3h: np.ndarray
    newly_unsupplied_node_ids: tuple[str, ...]
    newly_unsupplied_customer_ids: tuple[str, ...]
    restored_node_ids: tuple[str, ...]
    lost_demand_nm3h: float
    new_violations: list[Violation]
    resolved_violations: list[Violation]
    regulator_changes: list[tuple[str, str, str]]  # (regulator id, base state, scenario state)
    max_drop_pa: float  # largest pressure fall at a node that stays supplied (0 when nothing falls)
    max_drop_node_id: str

    @property
    def low_pressure_customer_ids(self) -> tuple[str, ...]:
        """Customers that fall below their minimum service pressure (or atmospheric) in the scenario only."""
        kinds = {"low_pressure", "below_atmospheric"}
        return tuple(v.feature_id for v in self.new_violations if v.kind in kinds and v.layer == "customers")

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}
        out["low_pressure_customer_ids"] = list(self.low_pressure_customer_ids)
        return out


def diff_results(base: SimulationResult, scenario: SimulationResult) -> ResultDiff:
    """Compare two results of the same network version (raises ValueError otherwise)."""
    if len(base.node_ids) != len(scenario.node_ids) or not np.array_equal(base.node_ids, scenario.node_ids):
        raise ValueError("results are of different networks (node ids differ)")
    if not np.array_equal(base.link_ids, scenario.link_ids):
        raise ValueError("results are of different networks (link ids differ)")
    dp = scenario.node_pressure_pa - base.node_pressure_pa
    lost = base.node_supplied & ~scenario.node_supplied
    back = ~base.node_supplied & scenario.node_supplied
    stays = base.node_supplied & scenario.node_supplied
    drop = np.where(stays, dp, np.inf)
    worst = int(np.argmin(drop)) if stays.any() else -1
    key = lambda v: (v.kind, v.feature_id)  # noqa: E731
    base_keys = {key(v) for v in base.violations}
    scen_keys = {key(v) for v in scenario.violations}
    states_b, states_s = base.regulator_state.astype(str), scenario.regulator_state.astype(str)
    changed = np.flatnonzero(states_b != states_s)
    reg_ids = base.link_ids[base.link_layer == LINK_LAYERS.index("regulators")]
    return ResultDiff(
        node_ids=base.node_ids,
        node_dp_pa=dp,
        link_ids=base.link_ids,
        link_dflow_nm3h=scenario.link_flow_nm3h - base.link_flow_nm3h,
        newly_unsupplied_node_ids=tuple(base.node_ids[lost].tolist()),
        newly_unsupplied_customer_ids=tuple(base.node_ids[lost & (base.node_layer == _CUSTOMER)].tolist()),
        restored_node_ids=tuple(base.node_ids[back].tolist()),
        lost_demand_nm3h=float(base.node_demand_nm3h[lost].sum()),
        new_violations=[v for v in scenario.violations if key(v) not in base_keys],
        resolved_violations=[v for v in base.violations if key(v) not in scen_keys],
        regulator_changes=[(str(reg_ids[k]), str(states_b[k]), str(states_s[k])) for k in changed.tolist()],
        max_drop_pa=max(0.0, float(-drop[worst])) if worst >= 0 else 0.0,
        max_drop_node_id=str(base.node_ids[worst]) if worst >= 0 and drop[worst] < 0 else "",
    )
