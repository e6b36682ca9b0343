"""Two-party custody transfer (交接计量): the utility and the supplier each meter the same gate station; their daily
quantities are compared against the meters' stated uncertainties.

The criterion is the normalised error of ISO 13528 / ISO/IEC 17043 (``E_n``): with expanded uncertainties
``U₁ = u₁%·Q₁`` and ``U₂ = u₂%·Q₂`` (k = 2, independent meters), ``E_n = (Q₁ − Q₂) / √(U₁² + U₂²)``; the two figures
agree when ``|E_n| ≤ 1``, i.e. the difference is within the combined expanded uncertainty.

>>> r = reconcile_custody("GS-1", "2026-03-01", PartyFigure("utility", 100_000.0, 1.0), PartyFigure("supplier", 101_000.0, 1.0))
>>> round(r.tolerance_nm3, 1), r.difference_nm3, round(r.en, 3), r.status
(1421.3, -1000.0, -0.704, 'agreed')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["CustodyResult", "PartyFigure", "reconcile_custody"]


@dataclass(frozen=True)
class PartyFigure:
    """One party's quantity (Nm³) for the day, its meter's expanded uncertainty (%), completeness and evidence
    (``{origin, index, leaf}`` of the ledger entries behind it)."""

    party: str
    quantity_nm3: float | None
    uncertainty_pct: float
    complete: bool = True
    evidence: tuple[dict, ...] = ()
    origin: str = ""

    def to_json(self) -> dict:
        return {"party": self.party, "origin": self.origin, "quantity_nm3": self.quantity_nm3,
                "uncertainty_pct": self.uncertainty_pct, "complete": self.complete, "evidence": list(self.evidence)}  # fmt: skip


@dataclass(frozen=True)
class CustodyResult:
    """``status``: ``agreed`` (|E_n| ≤ 1), ``disputed`` (beyond the combined uncertainty) or ``incomplete`` (a side
    has no figure or a partial day: compared, never agreed)."""

    station: str
    day: str
    utility: PartyFigure
    supplier: PartyFigure
    difference_nm3: float | None
    difference_pct: float | None
    tolerance_nm3: float | None
    en: float | None
    status: str
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.status != "agreed"

    def to_json(self) -> dict:
        return {
            "station": self.station,
            "day": self.day,
            "utility": self.utility.to_json(),
            "supplier": self.supplier.to_json(),
            "difference_nm3": self.difference_nm3,
            "difference_pct": self.difference_pct,
            "tolerance_nm3": self.tolerance_nm3,
            "en": self.en,
            "status": self.status,
            "notes": self.notes,
        }

    def ledger_body(self) -> dict:
        """Body of the ``metering.custody`` entry that flags (or records agreement on) the day."""
        body = {"station": self.station, "day": self.day, "status": self.status,
                "utility": self.utility.to_json(), "supplier": self.supplier.to_json()}  # fmt: skip
        for key in ("difference_nm3", "tolerance_nm3", "en"):
            if getattr(self, key) is not None:
                body[key] = round(getattr(self, key), 6)
        return body


def reconcile_custody(station: str, day: str, utility: PartyFigure, supplier: PartyFigure) -> CustodyResult:
    """Compare two parties' figures for one station and day (see the module docstring for the criterion)."""
    notes = [f"{p.party}: no figure" for p in (utility, supplier) if p.quantity_nm3 is None]
    notes += [f"{p.party}: the day is not complete" for p in (utility, supplier)
              if p.quantity_nm3 is not None and not p.complete]  # fmt: skip
    if utility.quantity_nm3 is None or supplier.quantity_nm3 is None:
        return CustodyResult(station, day, utility, supplier, None, None, None, None, "incomplete", notes)
    q1, q2 = utility.quantity_nm3, supplier.quantity_nm3
    u1, u2 = utility.uncertainty_pct / 100 * abs(q1), supplier.uncertainty_pct / 100 * abs(q2)
    tolerance = math.hypot(u1, u2)
    diff = q1 - q2
    mean = (q1 + q2) / 2
    en = diff / tolerance if tolerance > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    status = "incomplete" if notes else ("agreed" if abs(en) <= 1 else "disputed")
    pct = diff / mean * 100 if mean else None
    return CustodyResult(station, day, utility, supplier, round(diff, 6), pct, tolerance, en, status, notes)
