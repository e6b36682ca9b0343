"""Gas properties (燃气物性) and reference conditions for the steady-state flow laws.

Flows are volumes at *base conditions* per hour. The default base is the **normal state** 0 °C and 101.325 kPa
(标准状态 in GB 50028's pipe formulas, where the gas density ρ0 and T0 = 273.15 K are taken), so a flow named
``flow_nm3h`` is in Nm³/h. Chinese trade metering also uses the *standard reference conditions* 20 °C and 101.325 kPa
(GB/T 19205); choose them with ``GasProperties(base_temperature_k=T_STANDARD_K)`` and every flow of a result is then
in Sm³/h at 20 °C (the arrays keep their ``_nm3h`` names; :attr:`GasProperties.base_label` says which).

Pressures in the solver are absolute (Pa); results also give gauge pressures relative to the local atmosphere, whose
pressure falls with elevation by the ISA barometric formula (ISO 2533), so that a low-pressure network gains gauge
pressure uphill (附加压头: gas lighter than air) exactly as GB 50028 §6.2.8 describes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "AIR_DENSITY_NORMAL_KG_M3",
    "G_M_S2",
    "P_NORMAL_PA",
    "T_NORMAL_K",
    "T_STANDARD_K",
    "GasProperties",
]

P_NORMAL_PA = 101_325.0  # 101.325 kPa
T_NORMAL_K = 273.15  # 0 °C: "normal" Nm³ (GB 50028 formulas)
T_STANDARD_K = 293.15  # 20 °C: "standard" Sm³ (GB/T 19205 trade metering)
AIR_DENSITY_NORMAL_KG_M3 = 1.2930  # dry air at 0 °C, 101.325 kPa
G_M_S2 = 9.80665


@dataclass(frozen=True)
class GasProperties:
    """Properties of the gas and the reference conditions; natural gas (天然气) by default.

    Parameters
    ----------
    name
        A label for reports.
    relative_density
        Density relative to dry air at the same base conditions (pipeline natural gas 0.55–0.62; default 0.58,
        i.e. 0.750 kg/Nm³).
    viscosity_pa_s
        Dynamic viscosity at the flowing temperature (natural gas ~1.08e-5 Pa·s at 15 °C).
    temperature_k
        Flowing gas temperature (isothermal flow; default 15 °C, a typical ground temperature).
    z_factor, z_slope_per_mpa
        Compressibility factor at the mean absolute pressure p̄ of a pipe: ``Z = z_factor + z_slope_per_mpa · p̄``
        (p̄ in MPa absolute). The default slope −0.022 /MPa fits natural gas near 15 °C up to a few MPa; set it to
        0 for a constant Z.
    base_pressure_pa, base_temperature_k
        Base conditions of every flow (default normal: 101.325 kPa, 0 °C).
    atmospheric_pressure_pa
        Atmospheric pressure at elevation 0 m (gauge pressures are relative to the local atmosphere).
    """

    name: str = "natural gas (天然气)"
    relative_density: float = 0.58
    viscosity_pa_s: float = 1.08e-5
    temperature_k: float = 288.15
    z_factor: float = 1.0
    z_slope_per_mpa: float = -0.022
    base_pressure_pa: float = P_NORMAL_PA
    base_temperature_k: float = T_NORMAL_K
    atmospheric_pressure_pa: float = P_NORMAL_PA

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("name", "z_slope_per_mpa"):
                continue
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"gas property {f.name} must be a positive number, got {value!r}")

    @property
    def density_base_kg_m3(self) -> float:
        """Gas density at base conditions, ρ_b = d · ρ_air(base) (kg/m³).

        >>> round(GasProperties().density_base_kg_m3, 4)
        0.7499
        """
        air = AIR_DENSITY_NORMAL_KG_M3 * (T_NORMAL_K / self.base_temperature_k) * (self.base_pressure_pa / P_NORMAL_PA)
        return self.relative_density * air

    @property
    def base_label(self) -> str:
        """'Nm³' for the normal base (0 °C), 'Sm³ (20 °C)' for the standard one, else the temperature."""
        if self.base_pressure_pa == P_NORMAL_PA and self.base_temperature_k == T_NORMAL_K:
            return "Nm³"
        if self.base_pressure_pa == P_NORMAL_PA and self.base_temperature_k == T_STANDARD_K:
            return "Sm³ (20 °C)"
        return f"m³ at {self.base_temperature_k - 273.15:g} °C, {self.base_pressure_pa / 1000:g} kPa"

    def z(self, pressure_abs_pa: np.ndarray | float) -> np.ndarray:
        """Compressibility factor at an absolute pressure (Pa)."""
        return self.z_factor + self.z_slope_per_mpa * np.asarray(pressure_abs_pa, dtype=float) / 1e6

    def atmospheric_pa(self, elevation_m: np.ndarray | float) -> np.ndarray:
        """Local atmospheric pressure by the ISA barometric formula (ISO 2533, troposphere).

        >>> float(GasProperties().atmospheric_pa(0.0))
        101325.0
        >>> round(float(GasProperties().atmospheric_pa(100.0)))  # about 12 Pa per metre near sea level
        100129
        """
        z = np.asarray(elevation_m, dtype=float)
        return self.atmospheric_pressure_pa * (1.0 - 2.25577e-5 * z) ** 5.25588

    def to_normal_flow(self, flow_base: np.ndarray | float) -> np.ndarray:
        """Convert a flow at base conditions to normal conditions (0 °C, 101.325 kPa), ideal-gas scaling."""
        factor = (self.base_pressure_pa / P_NORMAL_PA) * (T_NORMAL_K / self.base_temperature_k)
        return np.asarray(flow_base, dtype=float) * factor

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GasProperties:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
