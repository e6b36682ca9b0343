"""Gas held in isolated pipes: internal volume (m³) and the gas at operating pressure (Nm³) to vent or purge.

The normal volume is the internal volume times the absolute-to-reference pressure ratio,
``V_n = π/4 · ID² · L · (p_op + p_atm) / p_ref``, with ``p_ref`` = 101.325 kPa. Temperature and compressibility are
ignored (Z ≈ 1 and ground temperature ≈ reference temperature): below 0.4 MPa both corrections are a few per cent and
partly cancel; at high-pressure classes the estimate is low by up to ~10 %. The operating pressure is the *typical*
pressure of the pipe's class, not a measured one: override it per class in the request from SCADA readings for a real
incident.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from console.network import PressureClass

__all__ = ["TYPICAL_OPERATING_PRESSURE_MPA", "REFERENCE_PRESSURE_MPA", "normal_volume_factors", "internal_volume_m3"]

#: Absolute reference pressure of a normal cubic metre (Nm³), MPa. Also taken as the atmospheric pressure.
REFERENCE_PRESSURE_MPA = 0.101325

#: Typical gauge operating pressure per GB 50028 class (MPa): inside each class's range, towards its upper half, as
#: Chinese city networks are usually run. LP 3 kPa is a typical low-pressure street main.
TYPICAL_OPERATING_PRESSURE_MPA: dict[str, float] = {
    PressureClass.LP.value: 0.003,
    PressureClass.MP_B.value: 0.1,
    PressureClass.MP_A.value: 0.3,
    PressureClass.SHP_B.value: 0.6,
    PressureClass.SHP_A.value: 1.2,
    PressureClass.HP_B.value: 2.0,
    PressureClass.HP_A.value: 3.0,
}

CLASS_CODES: tuple[str, ...] = tuple(c.value for c in PressureClass)


def internal_volume_m3(inner_diameter_mm: np.ndarray, length_m: np.ndarray) -> np.ndarray:
    """π/4 · ID² · L in m³ (vectorised); missing diameters or lengths count as 0.

    >>> float(internal_volume_m3(np.array([1000.0]), np.array([4.0]))[0]) == np.pi
    True
    """
    d = np.nan_to_num(np.asarray(inner_diameter_mm, dtype=float), nan=0.0) / 1000.0
    return np.pi / 4.0 * d * d * np.nan_to_num(np.asarray(length_m, dtype=float), nan=0.0)


def normal_volume_factors(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """Nm³ per m³ of internal volume for each class, in ``PressureClass`` order: (p_gauge + p_atm) / p_ref.

    >>> normal_volume_factors({"MP-A": 0.0})[CLASS_CODES.index("MP-A")]
    np.float64(1.0)
    """
    pressures = {**TYPICAL_OPERATING_PRESSURE_MPA, **(overrides or {})}
    gauge = np.array([pressures[c] for c in CLASS_CODES], dtype=float)
    return (gauge + REFERENCE_PRESSURE_MPA) / REFERENCE_PRESSURE_MPA
