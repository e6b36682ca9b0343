"""Crews (抢修队伍): valve teams (阀门组), regulator teams (调压器组) and repair teams (抢修队).

A crew's members, vehicle and skills are the utility's roster (``crews.json`` in the workspace, off the ledger:
names are personal data); the ledger only names the crew id. A crew's status on an incident comes from its ledger
steps (dispatched → acknowledged → en route → on site → done); its position from a feed (a JSON message per crew,
as sensors report over MQTT) or, in training, from following its route (:meth:`Route.position_at`).

>>> roster = CrewRoster.from_dict({"crews": [{"crew_id": "VT-1", "kind": "valve", "members": ["Wang", "Li"],
...                                           "vehicle": "浙L-12345", "x": 0, "y": 0}]})
>>> roster.crew("VT-1").label
'VT-1 valve team (2 members, 浙L-12345)'
>>> roster.crew("VT-1").describe("zh_CN")
'VT-1 阀门组（2 人，浙L-12345）'
>>> roster.crew("VT-9")
Traceback (most recent call last):
...
console.dispatch._errors.IncidentError: crew VT-9 is not on the roster (crews: VT-1)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from console.dispatch._errors import (
    CREW_KIND_ONE_OF,
    CREW_NOT_ON_ROSTER,
    NONE,
    NOT_A_ROSTER,
    POSITION_FIELDS,
    POSITION_FINITE,
    ROSTER_BAD_KIND,
    ROSTER_NO_ID,
    ROSTER_TWICE,
    ROSTER_UNREADABLE,
    IncidentError,
)
from console.dispatch._language import phrase, term

__all__ = ["CREW_KINDS", "Crew", "CrewRoster", "STEP_CREW_KIND"]

CREW_KINDS = {"valve": "valve team", "regulator": "regulator team", "repair": "repair team"}  # Chinese: _language
STEP_CREW_KIND = {"close_valve": "valve", "shut_regulator": "regulator", "stop_source": "regulator", "site": "repair"}


@dataclass(frozen=True)
class Crew:
    crew_id: str
    kind: str
    members: tuple[str, ...] = ()
    vehicle: str = ""
    skills: tuple[str, ...] = ()
    x: float = math.nan
    y: float = math.nan
    position_at: str = ""  # when the position was last reported (RFC 3339)

    @property
    def label(self) -> str:
        return self.describe("en")

    def describe(self, lang: str = "en") -> str:
        """``VT-1 valve team (2 members, 浙L-12345)`` in ``lang`` (en or zh_CN)."""
        sep = "，" if lang == "zh_CN" else ", "
        return phrase("{crew} {kind} ({members} members{vehicle})", lang).format(
            crew=self.crew_id, kind=term(CREW_KINDS[self.kind], lang), members=len(self.members),
            vehicle=sep + self.vehicle if self.vehicle else "")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {"crew_id": self.crew_id, "kind": self.kind, "members": list(self.members), "vehicle": self.vehicle,
                "skills": list(self.skills), "x": self.x, "y": self.y, "position_at": self.position_at}  # fmt: skip


@dataclass
class CrewRoster:
    crews: dict[str, Crew] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, doc: Any, source: str = "crew roster") -> CrewRoster:
        try:
            out = {}
            for row in doc["crews"]:
                cid = str(row["crew_id"]).strip()
                kind = str(row["kind"])
                if not cid:
                    raise IncidentError(ROSTER_NO_ID.format(source=source))
                if kind not in CREW_KINDS:
                    raise IncidentError(
                        ROSTER_BAD_KIND.format(source=source, crew=cid, kind=kind, allowed=list(CREW_KINDS))
                    )
                if cid in out:
                    raise IncidentError(ROSTER_TWICE.format(source=source, crew=cid))
                out[cid] = Crew(cid, kind, tuple(map(str, row.get("members", ()))), str(row.get("vehicle", "")),
                                tuple(map(str, row.get("skills", ()))), float(row.get("x", math.nan)),
                                float(row.get("y", math.nan)), str(row.get("position_at", "")))  # fmt: skip
            return cls(out)
        except IncidentError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise IncidentError(NOT_A_ROSTER.format(source=source, error=f"{type(exc).__name__}: {exc}")) from None

    @classmethod
    def load(cls, path: str | Path) -> CrewRoster:
        path = Path(path)
        if not path.is_file():
            return cls()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IncidentError(ROSTER_UNREADABLE.format(path=path, error=exc)) from None
        return cls.from_dict(doc, str(path))

    def save(self, path: str | Path) -> None:
        from console.atomic import atomic_write_text

        doc = {"crews": [c.to_dict() for c in self.crews.values()]}
        atomic_write_text(Path(path), json.dumps(doc, ensure_ascii=False, indent=1), mode=0o600)

    def crew(self, crew_id: str) -> Crew:
        try:
            return self.crews[crew_id]
        except KeyError:
            raise IncidentError(CREW_NOT_ON_ROSTER.format(crew=crew_id, crews=", ".join(self.crews) or NONE),
                                code="unknown-crew") from None  # fmt: skip

    def add(self, crew: Crew) -> None:
        if crew.kind not in CREW_KINDS:
            raise IncidentError(
                CREW_KIND_ONE_OF.format(crew=crew.crew_id, kind=repr(crew.kind), allowed=list(CREW_KINDS))
            )
        self.crews[crew.crew_id] = crew

    def update_position(self, message: dict, at: str = "") -> Crew:
        """Apply a position message ``{"crew_id", "x", "y"[, "time"]}`` (the crew feed's payload)."""
        try:
            cid, x, y = str(message["crew_id"]), float(message["x"]), float(message["y"])
        except (KeyError, TypeError, ValueError):
            raise IncidentError(POSITION_FIELDS.format(message=message, fields="{crew_id, x, y}")) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise IncidentError(POSITION_FINITE.format(crew=cid))
        crew = replace(self.crew(cid), x=x, y=y, position_at=str(message.get("time", at)))
        self.crews[cid] = crew
        return crew

    @classmethod
    def training(cls, x: float, y: float) -> CrewRoster:
        """A training roster of four crews at a depot at (x, y)."""
        rows = [("VT-1", "valve", "浙L-A1001"), ("VT-2", "valve", "浙L-A1002"), ("RT-1", "regulator", "浙L-A2001"),
                ("RP-1", "repair", "浙L-A3001")]  # fmt: skip
        return cls({cid: Crew(cid, kind, (f"{cid} member 1", f"{cid} member 2"), veh, (kind,), x, y)
                    for cid, kind, veh in rows})  # fmt: skip
