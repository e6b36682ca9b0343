"""Training simulator for meters (计量仿真): totals consistent with the hydraulic demand, leaks as missing volume.

Each district metering area has customer meters with their demand (Nm³/h) and one or more inflow meters (gate or
district) that carry the area's demand, its leaks and what its own district meters pass on to areas downstream
(a district meter with ``from_area``): a leak is gas that enters through the inflow meters and reaches
no customer meter, so the gas balance shows it as unaccounted-for gas. Flows follow an optional daily profile
(``1 + a·sin(2π(h − 9)/24)``, whose mean over a day is 1) applied alike to every meter, so over whole days the balance
is exact: ``UFG = leak × hours``. A meter may read with a bias (% of volume) to train custody disputes.

Readings are stamped at the end of each interval; a meter commissioned at ``start`` reads its opening total then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from console.metering._device import Meter, MeterDevice, SignedBatch
from console.metering._time import format_time, parse_time

__all__ = ["MeteringSimulator", "SimulatedMeter"]


@dataclass
class SimulatedMeter:
    meter: Meter
    device: MeterDevice
    flow_nm3h: float  # customers: own demand; inflow meters: share of the area's inflow (0..1) in ``share``
    share: float = 1.0
    bias_pct: float = 0.0
    total_nm3: float = 0.0
    offline: list[tuple[float, float]] = field(default_factory=list)  # (from, to] s since start: no readings taken


class MeteringSimulator:
    """Meters of several areas, advanced in time, handing signed batches over at each meter's period end."""

    def __init__(self, start: str, *, profile_amplitude: float = 0.0, key_factory=None) -> None:
        self.start = parse_time(start)
        self.key_factory = key_factory  # meter id -> SigningKey (None: a new random key per device)
        self.now = self.start
        self.amplitude = profile_amplitude
        self.meters: dict[str, SimulatedMeter] = {}
        self.leaks: dict[str, float] = {}  # area -> Nm³/h
        self._opening: list[SignedBatch] = []

    # -- set-up ----------------------------------------------------------------------------------------------------
    def add_customer(self, meter_id: str, area: str, demand_nm3h: float, **meter_kw) -> SimulatedMeter:
        return self._add(meter_id, "customer", area, demand_nm3h, **meter_kw)

    def add_inflow(self, meter_id: str, area: str, kind: str = "gate", *, share: float = 1.0, bias_pct: float = 0.0,
                   **meter_kw) -> SimulatedMeter:  # fmt: skip
        """An inflow meter carrying ``share`` of the area's inflow (two parties metering one station: both 1.0)."""
        sim = self._add(meter_id, kind, area, 0.0, **meter_kw)
        sim.share, sim.bias_pct = share, bias_pct
        return sim

    def _add(self, meter_id: str, kind: str, area: str, flow: float, *, opening_nm3: float = 0.0, **meter_kw):
        if meter_id in self.meters:
            raise ValueError(f"meter {meter_id} is already in the simulator")
        if self.key_factory is None:
            device = MeterDevice.create(meter_id)
        else:
            device = MeterDevice(meter_id, self.key_factory(meter_id))
        meter = Meter(meter_id, kind, device.did, area=area, **meter_kw)
        sim = SimulatedMeter(meter, device, flow, total_nm3=opening_nm3)
        self.meters[meter_id] = sim
        device.read(format_time(self.now), opening_nm3)
        self._opening.append(device.close_period())  # the opening total closes the period ending at commissioning
        return sim

    def set_leak(self, area: str, leak_nm3h: float) -> None:
        self.leaks[area] = leak_nm3h

    @classmethod
    def from_hydraulics(cls, start: str, node_ids, node_demand_nm3h, node_supply_nm3h, node_system,
                        *, max_customers: int = 200, leak_nm3h: dict[str, float] | None = None) -> MeteringSimulator:  # fmt: skip
        """Meters of a solved network: one gate meter per supplying node, customer meters at the largest demand nodes
        of each pressure system (the rest of each system's demand is one aggregate meter, so volumes still add up)."""
        sim = cls(start)
        ids, demand = np.asarray(node_ids).astype(str), np.asarray(node_demand_nm3h, float)
        supply, system = np.asarray(node_supply_nm3h, float), np.asarray(node_system).astype(str)
        for area in sorted(set(system[(demand > 0) | (supply > 0)])):
            in_area = system == area
            gates = np.flatnonzero(in_area & (supply > 0))
            total_supply = float(supply[gates].sum())
            for g in gates:
                sim.add_inflow(
                    f"GM-{ids[g]}", area, "gate", share=float(supply[g]) / total_supply if total_supply else 0
                )
            users = np.flatnonzero(in_area & (demand > 0))
            users = users[np.argsort(-demand[users], kind="stable")]
            for u in users[:max_customers]:
                sim.add_customer(f"CM-{ids[u]}", area, float(demand[u]))
            rest = float(demand[users[max_customers:]].sum())
            if rest > 0:
                sim.add_customer(f"CM-{area}-rest", area, rest)
        for area, q in (leak_nm3h or {}).items():
            sim.set_leak(area, q)
        return sim

    # -- running ---------------------------------------------------------------------------------------------------
    def area_inflow_nm3h(self, area: str, _seen: tuple[str, ...] = ()) -> float:
        """Gas entering ``area``: its customers' demand, its leak and what its district meters pass on downstream."""
        if area in _seen:  # regulators in a loop: each area counted once
            return 0.0
        out = self.leaks.get(area, 0.0)
        for s in self.meters.values():
            if s.meter.kind == "customer" and s.meter.area == area:
                out += s.flow_nm3h
            elif s.meter.kind == "district" and s.meter.from_area == area and s.meter.area != area:
                out += self.area_inflow_nm3h(s.meter.area, (*_seen, area)) * s.share
        return out

    def _profile_integral_h(self, a_s: float, b_s: float) -> float:
        """∫ profile dt over [a, b] (seconds since start), in hours."""
        hours = (b_s - a_s) / 3600
        if not self.amplitude:
            return hours
        h0 = self.start.hour + self.start.minute / 60
        w = 2 * math.pi / 24

        def prim(s: float) -> float:
            return -self.amplitude / w * math.cos(w * (h0 + s / 3600 - 9))

        return hours + prim(b_s) - prim(a_s)

    def advance(self, seconds: int) -> list[SignedBatch]:
        """Move time on by ``seconds``: every meter reads at its interval ends; returns the batches of periods that
        ended (in time order)."""
        end = self.now + timedelta(seconds=seconds)
        t0 = (self.now - self.start).total_seconds()
        t1 = (end - self.start).total_seconds()
        events = []
        for sim in self.meters.values():
            iv, period = sim.meter.interval_s, sim.meter.period_s
            k = math.floor(t0 / iv) + 1
            while k * iv <= t1:
                events.append((k * iv, sim.meter.meter_id, self._aligned(k * iv, period)))
                k += 1
        batches, self._opening = self._opening, []
        inflow = {a: self.area_inflow_nm3h(a) for a in {s.meter.area for s in self.meters.values()}}
        for t, meter_id, closes in sorted(events):
            sim = self.meters[meter_id]
            rate = sim.flow_nm3h if sim.meter.kind == "customer" else inflow[sim.meter.area] * sim.share
            sim.total_nm3 += rate * (1 + sim.bias_pct / 100) * self._profile_integral_h(t - sim.meter.interval_s, t)
            if not any(a < t <= b for a, b in sim.offline):
                sim.device.read(format_time(self.start + timedelta(seconds=t)), sim.total_nm3)
            if closes:
                batch = sim.device.close_period()
                if batch is not None:
                    batches.append(batch)
        self.now = end
        return batches

    def _aligned(self, t_s: float, period_s: int) -> bool:
        """Periods are aligned to UTC midnight: true when ``start + t`` is a period boundary."""
        moment = self.start + timedelta(seconds=t_s)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return (moment - midnight).total_seconds() % period_s == 0

    # -- persistence (no key material: the keys come from ``key_factory`` when the state is restored) ---------------
    def to_state(self) -> dict:
        """What a later session needs to continue this run: time, leaks and each meter's description, flow, total,
        counter and open readings. Device keys are not part of it."""
        if self._opening:
            raise ValueError("hand over the opening batches (advance) before saving the simulator")
        return {
            "start": format_time(self.start),
            "now": format_time(self.now),
            "amplitude": self.amplitude,
            "leaks": dict(self.leaks),
            "meters": [
                {"meter": s.meter.to_json(), "flow_nm3h": s.flow_nm3h, "share": s.share, "bias_pct": s.bias_pct,
                 "total_nm3": s.total_nm3, "counter": s.device.counter, "pending": list(s.device.pending),
                 "offline": [list(w) for w in s.offline]}
                for s in self.meters.values()
            ],
        }  # fmt: skip

    @classmethod
    def from_state(cls, state: dict, key_factory) -> MeteringSimulator:
        """The simulator :meth:`to_state` saved, its devices keyed by ``key_factory`` (ValueError for a bad state)."""
        try:
            sim = cls(state["start"], profile_amplitude=float(state["amplitude"]), key_factory=key_factory)
            sim.now = parse_time(state["now"])
            sim.leaks = {str(a): float(q) for a, q in state["leaks"].items()}
            for row in state["meters"]:
                meter = Meter.from_json(row["meter"])
                device = MeterDevice(meter.meter_id, key_factory(meter.meter_id), int(row["counter"]),
                                     [dict(r) for r in row["pending"]])  # fmt: skip
                sim.meters[meter.meter_id] = SimulatedMeter(
                    meter, device, float(row["flow_nm3h"]), float(row["share"]), float(row["bias_pct"]),
                    float(row["total_nm3"]), [(float(a), float(b)) for a, b in row["offline"]])  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a metering simulator state ({exc})") from None
        return sim

    def flush(self) -> list[SignedBatch]:
        """Close every meter's open period now (partial periods), e.g. at the end of a training run."""
        return [b for b in (s.device.close_period() for s in self.meters.values()) if b is not None]
