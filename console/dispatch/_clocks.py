"""Service clocks (服务时限) of an incident: arrival, isolation, notice, restoration, each from the first call.

A clock is *met* when its event came within the limit, *missed* when it came late, *running* while it has not come
and time remains, *breached* when it has not come and the limit has passed (the board flags these).

>>> from console.dispatch._incident import Incident, Step
>>> inc = Incident("INC-1")
>>> inc.apply(Step("incident.opened", {"incident_id": "INC-1", "source": "call", "kind": "leak"}, "2026-01-01T08:00:00Z"))
>>> [(c.name, c.status) for c in service_clocks(inc, {"arrival": 30, "isolation": 60}, now="2026-01-01T08:45:00Z")]
[('arrival', 'breached'), ('isolation', 'running')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.dispatch._incident import Incident, parse_time

__all__ = ["ServiceClock", "service_clocks", "clock_events"]


@dataclass(frozen=True)
class ServiceClock:
    name: str
    limit_min: float
    done_at: str  # "" while it has not happened
    elapsed_min: float  # to done_at, or to now
    status: str  # met, missed, running, breached

    @property
    def flagged(self) -> bool:
        return self.status in ("missed", "breached")

    def to_dict(self) -> dict:
        return {"name": self.name, "limit_min": self.limit_min, "done_at": self.done_at,
                "elapsed_min": round(self.elapsed_min, 1), "status": self.status}  # fmt: skip


def clock_events(incident: Incident) -> dict[str, str]:
    """When each clock's event happened (RFC 3339; "" not yet)."""
    arrival = min((c["times"].get("on_site", "") for c in incident.crews.values() if "on_site" in c["times"]),
                  default="")  # fmt: skip
    isolation = ""
    if incident.state in ("isolated", "restoring", "closed") and incident.closed_valves:
        isolation = max(incident.closed_valves[v] for v in incident.valves if v in incident.closed_valves) if \
            incident.valves else min(incident.closed_valves.values())  # fmt: skip
    notice = next((n.time for n in incident.notices if n.body["kind"] in ("outage", "planned")), "")
    return {"arrival": arrival, "isolation": isolation, "notice": notice, "restoration": incident.closed_at}


def service_clocks(incident: Incident, limits_min: Mapping[str, float], now: str) -> list[ServiceClock]:
    """The clocks of ``incident`` against ``limits_min`` at time ``now`` (RFC 3339)."""
    if incident.opened is None:
        return []
    start = incident.opened.when
    events = clock_events(incident)
    out = []
    for name, limit in limits_min.items():
        done = events.get(name, "")
        end = parse_time(done) if done else parse_time(now)
        elapsed = (end - start).total_seconds() / 60.0
        if done:
            status = "met" if elapsed <= limit else "missed"
        else:
            status = "running" if elapsed <= limit else "breached"
        out.append(ServiceClock(name, float(limit), done, elapsed, status))
    return out
