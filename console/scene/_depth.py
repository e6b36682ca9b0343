"""Burial depth of every pipe, with the minimum cover of GB 50028 where the attribute is missing (管道埋深).

``depth_m`` in the network is the cover: ground surface to the *crown* (top) of the pipe (路面至管顶), as GB 50028
states its minimum cover and as surveyors record it. The centre line lies ``depth_m + outer diameter / 2`` below the
ground. A depth of exactly 0 is a pipe laid at ground level or above (the demo's riser-to-meter pipes): kept as is.

Where ``depth_m`` is missing (NaN or negative), the minimum cover of GB 50028-2006 (2020 edition) §6.3.4 for the
pipe's setting is used:

================================  =========  =========================================================
setting                           cover (m)  GB 50028 §6.3.4
================================  =========  =========================================================
``carriageway`` 机动车道下          0.9        item 1: under roads open to motor vehicles
``non_motor_lane`` 非机动车道下      0.6        item 2: under non-motorised lanes, including footways
``no_vehicles`` 机动车不可能到达处    0.3        item 3: where motor vehicles cannot reach
``paddy_field`` 水田下              0.8        item 4: under paddy fields
================================  =========  =========================================================

A pipe's setting comes from a ``setting`` column when the network has one (utilities that record it); otherwise
street pipes are taken to lie under the carriageway (0.9 m: mains run under the road) and service lines under the
footway (0.6 m: the last metres to a building cross the pavement). Both are the minimum the standard allows, so a
fallback never places a pipe deeper than a real, compliant one could be: clearances computed from them are the
best case, and a crossing flagged with fallback depths needs a survey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MIN_COVER_M",
    "MIN_VERTICAL_CLEARANCE_M",
    "SETTING_MAINS",
    "SETTING_SERVICES",
    "main_pipes",
    "outer_diameter_m",
    "pipe_depths",
    "service_lines",
]

MIN_COVER_M: dict[str, float] = {
    "carriageway": 0.9,
    "non_motor_lane": 0.6,
    "no_vehicles": 0.3,
    "paddy_field": 0.8,
}
SETTING_MAINS = "carriageway"
SETTING_SERVICES = "non_motor_lane"

# GB 50028 table 6.3.3-2, vertical clear distance (m) between a buried gas pipe and a crossing pipe or structure.
# Only gas pipes are in the network model; the other rows are kept for the day water or cable layers are imported.
MIN_VERTICAL_CLEARANCE_M: dict[str, float] = {
    "gas": 0.15,  # 其他燃气管道
    "water": 0.15,  # 给水管
    "drain": 0.15,  # 排水管
    "heat_in_duct": 0.15,  # 热力管 in a duct or trench (gas above a direct-buried heat pipe: 0.5, below: 1.0)
    "power_cable_direct": 0.50,  # 电力电缆 direct-buried (0.15 in a conduit)
    "telecom_cable_direct": 0.50,  # 通信电缆 direct-buried (0.15 in a conduit)
}


def outer_diameter_m(pipes: pd.DataFrame) -> np.ndarray:
    """Outer diameter per pipe in metres: the larger of DN and the inner diameter (PE pipes are named by their outer
    diameter ``de``, steel by a nominal bore close to the inner one; the larger is the safe side for clearances).

    >>> outer_diameter_m(pd.DataFrame({"dn": [110, 100], "inner_diameter_mm": [90.0, 106.3]})).round(4).tolist()
    [0.11, 0.1063]
    """
    dn = np.asarray(pipes["dn"], dtype=float)
    inner = np.asarray(pipes["inner_diameter_mm"], dtype=float)
    d = np.fmax(dn, inner) / 1000.0
    return np.where(np.isfinite(d) & (d > 0), d, 0.1)


LP_MAIN_MIN_DN = 110  # a low-pressure pipe of this DN or more that is not a service line is an LP main (低压干管)


def service_lines(pipes: pd.DataFrame, service_nodes: np.ndarray | list[str]) -> np.ndarray:
    """True for service lines (引入管): pipes with an end at a customer (meter) or riser node.

    >>> p = pd.DataFrame({"from_node": ["J1", "J2", "R1"], "to_node": ["J2", "R1", "C1"]})
    >>> service_lines(p, ["R1", "C1"]).tolist()
    [False, True, True]
    """
    service = pd.Index(np.asarray(service_nodes, dtype=object)).unique()
    # get_indexer, not isin: isin on Arrow-backed strings walks a Python list (seconds at a million pipes)
    ends = (service.get_indexer(pipes[end].to_numpy(dtype=object)) >= 0 for end in ("from_node", "to_node"))
    return np.logical_or(*ends)


def main_pipes(pipes: pd.DataFrame, service: np.ndarray) -> np.ndarray:
    """True for mains (干管), the backbone a view never drops: every pipe of a pressure class above LP (the MP and
    higher mains that feed the regulators) and LP pipes of DN >= 110 that are not service lines. LP street pipes
    below DN 110 (庭院管/支管) and service lines (``service``, from :func:`service_lines`) are distribution detail.

    >>> p = pd.DataFrame({"from_node": ["J1", "J2", "J3", "R1"], "to_node": ["J2", "J3", "R1", "C1"],
    ...                   "pressure_class": ["MP-A", "LP", "LP", "LP"], "dn": [110, 160, 63, 160]})
    >>> main_pipes(p, service_lines(p, ["R1", "C1"])).tolist()
    [True, True, False, False]
    """
    above_lp = pipes["pressure_class"].astype(str).to_numpy() != "LP"
    big = np.asarray(pipes["dn"], dtype=float) >= LP_MAIN_MIN_DN
    return ~np.asarray(service, dtype=bool) & (above_lp | big)


def pipe_depths(pipes: pd.DataFrame, under_road: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cover in m to the crown, True where it was filled from the GB 50028 minimum) per pipe; ``under_road`` is
    True for street pipes (everything but service lines, see :func:`service_lines`).

    >>> p = pd.DataFrame({"depth_m": [1.2, np.nan, np.nan, 0.0, np.nan],
    ...                   "setting": ["", "", "", "", "no_vehicles"]})
    >>> depth, filled = pipe_depths(p, np.array([True, True, False, False, False]))
    >>> depth.tolist(), filled.tolist()
    ([1.2, 0.9, 0.6, 0.0, 0.3], [False, True, True, False, True])
    """
    depth = np.asarray(pipes["depth_m"], dtype=float).copy()
    missing = ~np.isfinite(depth) | (depth < 0)
    fallback = np.where(np.asarray(under_road, dtype=bool), MIN_COVER_M[SETTING_MAINS], MIN_COVER_M[SETTING_SERVICES])
    if "setting" in pipes.columns:
        setting = pipes["setting"].astype("object").fillna("").astype(str).str.strip().str.lower().to_numpy()
        for name, cover in MIN_COVER_M.items():
            fallback = np.where(setting == name, cover, fallback)
    depth[missing] = fallback[missing]
    return depth, missing
