"""Gas balance (输差分析) of a district metering area or pressure system over a period.

Unaccounted-for gas ``UFG = inflow − consumption − Δ line pack`` (Nm³), and ``UFG % = UFG / inflow``. Line pack is the
gas held in the pipes, from the hydraulic state: per pipe ``V·(p_m/p_n)·(T_n/T)/Z`` with the mean pressure of a
compressible pipe flow ``p_m = ⅔·(p₁ + p₂ − p₁p₂/(p₁ + p₂))`` (absolute pressures; Menon, *Gas Pipeline Hydraulics*,
2005, eq. 2.38 — the average pressure used for line-pack computations) and Z = 1 (distribution pressures).

A period's UFG % is a *jump* when it leaves its usual range: more than ``k`` robust standard deviations
(1.4826·MAD) from the median of the preceding periods (at least ``min_history`` of them).

>>> row = gas_balance("DMA-1", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", 10_000.0, 9_700.0, 1_000.0, 1_050.0)
>>> row.ufg_nm3, round(row.ufg_pct, 2)
(250.0, 2.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.hydraulics import P_NORMAL_PA, T_NORMAL_K

__all__ = ["BalanceRow", "flag_jumps", "gas_balance", "line_pack_nm3"]


@dataclass(frozen=True)
class BalanceRow:
    area: str
    start: str
    end: str
    inflow_nm3: float
    consumption_nm3: float
    linepack_change_nm3: float
    ufg_nm3: float
    ufg_pct: float | None
    jump: bool = False

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def ledger_body(self) -> dict:
        body = {k: getattr(self, k) for k in ("area", "start", "end", "inflow_nm3", "consumption_nm3",
                                               "linepack_change_nm3", "ufg_nm3")}  # fmt: skip
        if self.ufg_pct is not None:
            body["ufg_pct"] = round(self.ufg_pct, 6)
        body["jump"] = "yes" if self.jump else "no"
        return body


def gas_balance(
    area: str,
    start: str,
    end: str,
    inflow_nm3: float,
    consumption_nm3: float,
    linepack_start_nm3: float = 0.0,
    linepack_end_nm3: float = 0.0,
) -> BalanceRow:
    """One period's balance (see the module docstring)."""
    change = linepack_end_nm3 - linepack_start_nm3
    ufg = inflow_nm3 - consumption_nm3 - change
    pct = ufg / inflow_nm3 * 100 if inflow_nm3 > 0 else None
    return BalanceRow(area, start, end, round(inflow_nm3, 6), round(consumption_nm3, 6), round(change, 6),
                      round(ufg, 6), pct)  # fmt: skip


def line_pack_nm3(
    diameter_m: np.ndarray,
    length_m: np.ndarray,
    p_from_abs_pa: np.ndarray,
    p_to_abs_pa: np.ndarray,
    temperature_k: float = 288.15,
) -> float:
    """Gas held in the pipes (Nm³ at 0 °C, 101.325 kPa), Z = 1.

    >>> round(line_pack_nm3(np.array([0.2]), np.array([1000.0]), np.array([501_325.0]), np.array([501_325.0]), 273.15), 3)
    155.436
    """
    d, length = np.asarray(diameter_m, float), np.asarray(length_m, float)
    p1, p2 = np.asarray(p_from_abs_pa, float), np.asarray(p_to_abs_pa, float)
    total = p1 + p2
    with np.errstate(invalid="ignore", divide="ignore"):
        p_mean = np.where(total > 0, 2.0 / 3.0 * (total - p1 * p2 / total), 0.0)
    volume = np.pi * d**2 / 4 * length
    return float(np.nansum(volume * p_mean / P_NORMAL_PA * T_NORMAL_K / temperature_k))


def flag_jumps(values: list[float | None], k: float = 3.5, min_history: int = 6, floor: float = 0.25) -> list[bool]:
    """For each value, whether it lies more than ``k`` robust standard deviations (``max(1.4826·MAD, floor)``) from
    the median of the values before it (None values are skipped and never flagged).

    >>> flag_jumps([2.0, 2.1, 1.9, 2.0, 2.2, 1.8, 2.0, 6.5])
    [False, False, False, False, False, False, False, True]
    """
    out, history = [], []
    for v in values:
        flagged = False
        if v is not None and len(history) >= min_history:
            h = np.asarray(history)
            median = float(np.median(h))
            sigma = max(1.4826 * float(np.median(np.abs(h - median))), floor)
            flagged = abs(v - median) > k * sigma
        out.append(flagged)
        if v is not None:
            history.append(v)
    return out
