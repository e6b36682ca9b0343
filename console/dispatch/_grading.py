"""Graded response (分级响应): an incident's grade from the households cut off and from what is seen on site.

The default table follows municipal gas emergency plans (城镇燃气突发事件应急预案): grade I (特别重大) when 30,000 or
more households lose gas for 24 h or longer, II (重大) 10,000–30,000, III (较大) 5,000–10,000, IV (一般) 2,000–5,000;
below that the incident is handled as routine (日常抢修). Symptoms raise the grade to at least a minimum: fire or
explosion, gas migrating into underground spaces or buildings, higher pressure let into a lower-pressure system,
special users (hospitals, schools …) affected. The grade sets who is notified and the service clocks (arrival,
isolation, notice, restoration). A utility replaces the table with its own JSON (:meth:`GradingTable.from_json`).

>>> table = GradingTable.default()
>>> table.grade(12_000).grade, table.grade(1_999).grade, table.grade(2_000).grade
('II', 'routine', 'IV')
>>> g = table.grade(300, symptoms=["fire_explosion"])
>>> g.grade, g.reasons
('II', ('symptom fire_explosion: at least grade II',))
>>> table.grade(40_000, duration_h=6).grade  # grade I needs the outage to last 24 h; else it is grade II
'II'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from console.dispatch._errors import (
    GRADING_TABLE,
    HOUSEHOLDS_NEGATIVE,
    NOT_A_TABLE,
    TABLE_BAD_GRADE,
    TABLE_CLOCKS,
    TABLE_LEAST_ZERO,
    TABLE_ORDER,
    TABLE_SYMPTOM_GRADE,
    TABLE_UNKNOWN_SYMPTOMS,
    TABLE_UNREADABLE,
    UNKNOWN_SYMPTOMS,
    IncidentError,
)
from console.dispatch._language import grade_label

__all__ = ["GRADES", "SYMPTOMS", "CLOCKS", "Grade", "GradeLevel", "GradingTable"]

GRADES = ("I", "II", "III", "IV", "routine")  # most severe first
SYMPTOMS = {  # the words in Chinese: console.dispatch._language (term)
    "fire_explosion": "fire or explosion",
    "gas_migration": "gas migrating into underground spaces or buildings",
    "overpressure": "higher pressure let into a lower-pressure system",
    "special_users": "special users affected",
}
CLOCKS = ("arrival", "isolation", "notice", "restoration")  # service clocks, each in minutes from the first call


@dataclass(frozen=True)
class GradeLevel:
    """One row of the table: the households from which it applies, who is notified and the service clocks (min)."""

    grade: str
    min_households: int
    min_duration_h: float = 0.0
    notify: tuple[str, ...] = ()
    clocks_min: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Grade:
    """An incident's grade, why, who to notify and its clocks (minutes)."""

    grade: str
    households: int
    reasons: tuple[str, ...]
    notify: tuple[str, ...]
    clocks_min: Mapping[str, float]

    @property
    def label(self) -> str:
        return grade_label(self.grade)

    def to_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "households": self.households, "reasons": list(self.reasons),
                "notify": list(self.notify), "clocks_min": dict(self.clocks_min)}  # fmt: skip


def _rank(grade: str) -> int:
    return GRADES.index(grade)


_DEFAULT = {
    "levels": [
        {"grade": "I", "min_households": 30000, "min_duration_h": 24,
         "notify": ["city government", "gas authority", "fire brigade", "police",
                    "utility general manager"],
         "clocks_min": {"arrival": 30, "isolation": 60, "notice": 60, "restoration": 2880}},
        {"grade": "II", "min_households": 10000,
         "notify": ["gas authority", "fire brigade", "utility general manager"],
         "clocks_min": {"arrival": 30, "isolation": 90, "notice": 120, "restoration": 1440}},
        {"grade": "III", "min_households": 5000,
         "notify": ["gas authority", "utility duty manager"],
         "clocks_min": {"arrival": 30, "isolation": 120, "notice": 180, "restoration": 1440}},
        {"grade": "IV", "min_households": 2000,
         "notify": ["utility duty manager"],
         "clocks_min": {"arrival": 60, "isolation": 180, "notice": 240, "restoration": 1440}},
        {"grade": "routine", "min_households": 0,
         "notify": ["dispatch supervisor"],
         "clocks_min": {"arrival": 60, "isolation": 240, "notice": 480, "restoration": 1440}},
    ],
    "symptoms": {"fire_explosion": "II", "gas_migration": "III", "overpressure": "II", "special_users": "IV"},
}  # fmt: skip


class GradingTable:
    """A utility's grading table: levels by households cut off, minimum grades by symptom."""

    def __init__(self, levels: Iterable[GradeLevel], symptoms: Mapping[str, str]) -> None:
        levels = sorted(levels, key=lambda lv: _rank(lv.grade))
        if not levels or levels[-1].min_households != 0:
            raise IncidentError(TABLE_LEAST_ZERO)
        for a, b in zip(levels, levels[1:], strict=False):
            if a.min_households < b.min_households:
                raise IncidentError(TABLE_ORDER.format(grade=a.grade, lower=b.grade, households=a.min_households))
        unknown = sorted(set(symptoms) - set(SYMPTOMS))
        if unknown:
            raise IncidentError(TABLE_UNKNOWN_SYMPTOMS.format(unknown=unknown, known=sorted(SYMPTOMS)))
        for s, g in symptoms.items():
            if g not in GRADES:
                raise IncidentError(TABLE_SYMPTOM_GRADE.format(symptom=s, grade=g, allowed=GRADES))
        self.levels = tuple(levels)
        self.symptoms = dict(symptoms)

    @classmethod
    def default(cls) -> GradingTable:
        return cls.from_dict(_DEFAULT)

    @classmethod
    def from_dict(cls, doc: Any, source: str = GRADING_TABLE) -> GradingTable:
        try:
            levels = []
            for row in doc["levels"]:
                grade = str(row["grade"])
                if grade not in GRADES:
                    raise IncidentError(TABLE_BAD_GRADE.format(source=source, grade=grade, allowed=GRADES))
                clocks = {k: float(v) for k, v in dict(row.get("clocks_min", {})).items()}
                bad = sorted(set(clocks) - set(CLOCKS))
                if bad or any(not (0 < v < 1e6) for v in clocks.values()):
                    raise IncidentError(TABLE_CLOCKS.format(source=source, grade=grade, clocks=CLOCKS, got=clocks))
                levels.append(GradeLevel(grade, int(row["min_households"]), float(row.get("min_duration_h", 0)),
                                         tuple(str(n) for n in row.get("notify", ())), clocks))  # fmt: skip
            return cls(levels, dict(doc.get("symptoms", {})))
        except IncidentError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IncidentError(NOT_A_TABLE.format(source=source, error=f"{type(exc).__name__}: {exc}")) from None

    @classmethod
    def from_json(cls, path: Any) -> GradingTable:
        from pathlib import Path

        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IncidentError(TABLE_UNREADABLE.format(path=path, error=exc)) from None
        return cls.from_dict(doc, str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": [{"grade": lv.grade, "min_households": lv.min_households, "min_duration_h": lv.min_duration_h,
                        "notify": list(lv.notify), "clocks_min": dict(lv.clocks_min)} for lv in self.levels],
            "symptoms": dict(self.symptoms),
        }  # fmt: skip

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def level(self, grade: str) -> GradeLevel:
        return next(lv for lv in self.levels if lv.grade == grade)

    def grade(self, households: int, symptoms: Iterable[str] = (), duration_h: float | None = None) -> Grade:
        """The grade for ``households`` cut off (for ``duration_h``; None: assume it lasts) and the symptoms seen."""
        if households < 0:
            raise IncidentError(HOUSEHOLDS_NEGATIVE.format(households=households))
        symptoms = tuple(dict.fromkeys(symptoms))
        unknown = [s for s in symptoms if s not in SYMPTOMS]
        if unknown:
            raise IncidentError(UNKNOWN_SYMPTOMS.format(unknown=unknown, known=", ".join(SYMPTOMS)))
        reasons = []
        chosen = self.levels[-1]
        for lv in self.levels:
            long_enough = duration_h is None or duration_h >= lv.min_duration_h
            if households >= lv.min_households and long_enough:
                chosen = lv
                if lv.min_households:
                    reasons.append(f"{households} households cut off (≥ {lv.min_households})")
                break
        for s in symptoms:
            floor = self.symptoms.get(s)
            if floor is not None and _rank(floor) < _rank(chosen.grade):
                chosen = self.level(floor)
                reasons.append(f"symptom {s}: at least grade {floor}")
        return Grade(chosen.grade, households, tuple(reasons), chosen.notify, dict(chosen.clocks_min))
