"""Methane emission accounting at stations (甲烷排放测算).

Two sources, each a documented model:

**Station enclosures from concentrations** — the steady-state mass balance of a well-mixed, mechanically ventilated
enclosure (a gate-station or regulator house): at steady state the methane leaving with the exhaust air equals the
methane released inside, ``E = Q · (C − C_bg) · ρ_CH4(T, p)``, the dilution-ventilation equation (ACGIH, *Industrial
Ventilation: A Manual of Recommended Practice*, ``G = Q·C``). Parameters, per station: ventilation rate ``Q`` (m³/h
of exhaust air at the measured ``T``, ``p``), background concentration ``C_bg`` (ppm, outdoor air ≈ 2 ppm); the
concentration ``C`` (ppm by volume) is the station's methane detector. A series of samples is integrated with the
trapezoidal rule over time.

**Gas vented by incidents and isolations** — the volume (Nm³ at 0 °C, 101.325 kPa) the isolation analysis reports,
times the methane mole fraction of the gas (default 0.95 for pipeline natural gas, a parameter), times the density of
methane at those conditions.

Densities are the ideal gas law with M(CH₄) = 16.043 g/mol and R = 8.314462618 J/(mol·K): 0.7158 kg/m³ at 0 °C and
0.6669 kg/m³ at 20 °C, 101.325 kPa. CO₂-equivalent uses GWP-100 = 29.8 for fossil methane (IPCC AR6 WGI, Chapter 7,
Table 7.15); a regulator who asks for another value (AR5: 28) sets ``gwp``.

Worked example (the tests check it): Q = 1200 m³/h, C = 120 ppm, C_bg = 2 ppm at 20 °C gives
``1200 × 118e-6 × 0.66693 = 0.094437 kg/h``; over a 30-day month 67.99 kg = 0.06799 t CH₄ = 2.026 t CO₂e.

>>> round(ch4_density_kg_m3(273.15), 4), round(ch4_density_kg_m3(293.15), 5)
(0.7158, 0.66693)
>>> round(enclosure_emission_kg_h(120.0, 1200.0, background_ppm=2.0), 6)
0.094437
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from console.hydraulics import P_NORMAL_PA, T_NORMAL_K

__all__ = [
    "EmissionFigure",
    "GWP100_CH4_AR6_FOSSIL",
    "StationParameters",
    "GWP_SOURCES",
    "ch4_density_kg_m3",
    "enclosure_emission_kg_h",
    "gwp_source",
    "station_emission",
    "vented_emission",
]

M_CH4_KG_MOL = 0.016043
R_J_MOL_K = 8.314462618
GWP100_CH4_AR6_FOSSIL = 29.8
# where each GWP-100 of methane a regulator may ask for comes from (stated with every figure and in the report)
GWP_SOURCES = {
    29.8: "IPCC AR6 WGI, Chapter 7, Table 7.15: GWP-100 of fossil CH₄",
    27.0: "IPCC AR6 WGI, Chapter 7, Table 7.15: GWP-100 of non-fossil CH₄",
    28.0: "IPCC AR5 WGI, Chapter 8, Table 8.7: GWP-100 of CH₄ (no climate-carbon feedback)",
    25.0: "IPCC AR4 WGI, Chapter 2, Table 2.14: GWP-100 of CH₄",
    21.0: "IPCC SAR (1995): GWP-100 of CH₄ (UNFCCC reporting before 2015)",
}
MODEL_ENCLOSURE = "enclosure-mass-balance/v1"
MODEL_VENTED = "vented-volume/v1"


def gwp_source(gwp: float) -> str:
    """Where a GWP-100 of methane comes from (a value not in :data:`GWP_SOURCES` is said to be the user's).

    >>> gwp_source(29.8)
    'IPCC AR6 WGI, Chapter 7, Table 7.15: GWP-100 of fossil CH₄'
    >>> gwp_source(31.0)
    'GWP-100 31 set by the user (no published source recorded)'
    """
    for value, source in GWP_SOURCES.items():
        if abs(float(gwp) - value) < 1e-9:
            return source
    return f"GWP-100 {float(gwp):g} set by the user (no published source recorded)"


def ch4_density_kg_m3(temperature_k: float = T_NORMAL_K, pressure_pa: float = P_NORMAL_PA) -> float:
    """Density of methane, ideal gas (kg/m³)."""
    return pressure_pa * M_CH4_KG_MOL / (R_J_MOL_K * temperature_k)


def enclosure_emission_kg_h(
    concentration_ppm,
    ventilation_m3h: float,
    *,
    background_ppm: float = 2.0,
    temperature_k: float = 293.15,
    pressure_pa: float = P_NORMAL_PA,
):
    """Methane emission rate (kg/h) of a ventilated enclosure; arrays in, arrays out. Below-background readings count
    as zero (a detector's noise is not negative emission)."""
    excess = np.clip(np.asarray(concentration_ppm, float) - background_ppm, 0.0, None)
    rate = ventilation_m3h * excess * 1e-6 * ch4_density_kg_m3(temperature_k, pressure_pa)
    return float(rate) if rate.ndim == 0 else rate


@dataclass(frozen=True)
class StationParameters:
    """The emission model's parameters for one station (documented in the regulator's report)."""

    station: str
    ventilation_m3h: float
    background_ppm: float = 2.0
    temperature_k: float = 293.15
    pressure_pa: float = P_NORMAL_PA

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class EmissionFigure:
    """One emission figure: ``scope`` station, incident or month; ``subject`` its id; masses in tonnes."""

    scope: str
    subject: str
    start: str
    end: str
    ch4_t: float
    co2e_t: float
    gwp: float
    model: str
    parameters: dict
    inputs: list[str] = field(default_factory=list)  # SHA-256 digests of the input data

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def station_emission(
    params: StationParameters,
    times_s,
    concentration_ppm,
    *,
    start: str,
    end: str,
    gwp: float = GWP100_CH4_AR6_FOSSIL,
    inputs: list[str] | None = None,
) -> EmissionFigure:
    """A station's emission over a series of concentration samples (times in seconds, increasing), trapezoidal."""
    t = np.asarray(times_s, float)
    rate = np.atleast_1d(enclosure_emission_kg_h(concentration_ppm, params.ventilation_m3h,
                                                 background_ppm=params.background_ppm,
                                                 temperature_k=params.temperature_k, pressure_pa=params.pressure_pa))  # fmt: skip
    if t.size != rate.size:
        raise ValueError(f"station {params.station}: {t.size} times but {rate.size} concentrations")
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise ValueError(f"station {params.station}: sample times must increase")
    kg = float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(t) / 3600.0)) if t.size > 1 else 0.0
    ch4_t = kg / 1000
    return EmissionFigure("station", params.station, start, end, ch4_t, ch4_t * gwp, gwp, MODEL_ENCLOSURE,
                          params.to_json(), list(inputs or []))  # fmt: skip


def vented_emission(
    subject: str,
    volume_nm3: float,
    *,
    start: str,
    end: str,
    methane_fraction: float = 0.95,
    scope: str = "incident",
    gwp: float = GWP100_CH4_AR6_FOSSIL,
    inputs: list[str] | None = None,
) -> EmissionFigure:
    """Methane in gas vented by an incident or isolation (Nm³ at 0 °C, 101.325 kPa).

    >>> round(vented_emission("INC-1", 1000.0, start="", end="").ch4_t, 5)
    0.67997
    """
    if not 0 <= methane_fraction <= 1 or volume_nm3 < 0:
        raise ValueError(f"{subject}: methane fraction must be in [0, 1] and the volume non-negative")
    ch4_t = volume_nm3 * methane_fraction * ch4_density_kg_m3(T_NORMAL_K, P_NORMAL_PA) / 1000
    params = {"volume_nm3": volume_nm3, "methane_fraction": methane_fraction,
              "temperature_k": T_NORMAL_K, "pressure_pa": P_NORMAL_PA}  # fmt: skip
    return EmissionFigure(scope, subject, start, end, ch4_t, ch4_t * gwp, gwp, MODEL_VENTED, params, list(inputs or []))
