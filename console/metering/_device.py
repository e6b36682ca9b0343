"""Meters and their signing devices (计量设备身份): a meter reports corrected volume totals (Nm³); its device — or,
for a meter that cannot sign, the gateway that reads it — holds an Ed25519 key whose ``did:key`` is the device id
registered in the ledger (``device.register``), and signs each period's readings as one batch at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from console.ledger import SigningKey, sign_metering_batch

__all__ = ["METER_KINDS", "Meter", "MeterDevice", "SignedBatch", "UNIT"]

UNIT = "Nm3"
# gate station (门站) custody meters, district regulator (区域调压) meters, customer smart meters (智能表)
METER_KINDS = ("gate", "district", "customer")
DEFAULT_PERIOD_S = {"gate": 3600, "district": 3600, "customer": 86400}
DEFAULT_INTERVAL_S = {"gate": 300, "district": 300, "customer": 3600}
# expanded uncertainty (k = 2) of the meter class, % of volume: custody ultrasonic/turbine ≈ 1 %, diaphragm 2–3 %
DEFAULT_UNCERTAINTY_PCT = {"gate": 1.0, "district": 1.5, "customer": 3.0}


@dataclass(frozen=True)
class Meter:
    """A meter as the utility knows it.

    ``station`` groups the meters of a custody-transfer point; ``area`` is the district metering area (or pressure
    system) the meter feeds (``gate``/``district``: inflow) or draws from (``customer``: consumption).
    ``interval_s`` is the reading interval and ``period_s`` the anchoring period (hourly for stations, daily for
    customers by default); ``signs`` is False for a meter read and signed by its gateway. ``feature_id`` is the
    network feature the meter sits on (a customer, gate station or regulator: where the map draws it; "" for an
    aggregate meter with no one place); ``from_area`` is, for a district meter at a regulator, the area upstream of
    it, whose balance counts the meter's volume as outflow.
    """

    meter_id: str
    kind: str
    device: str  # did:key of the signing device (or gateway)
    area: str = ""
    station: str = ""
    party: str = ""
    interval_s: int = 0
    period_s: int = 0
    uncertainty_pct: float = 0.0
    signs: bool = True
    feature_id: str = ""
    from_area: str = ""

    def __post_init__(self) -> None:
        if self.kind not in METER_KINDS:
            raise ValueError(f"meter {self.meter_id}: kind {self.kind!r} is not one of {METER_KINDS}")
        if not self.interval_s:
            object.__setattr__(self, "interval_s", DEFAULT_INTERVAL_S[self.kind])
        if not self.period_s:
            object.__setattr__(self, "period_s", DEFAULT_PERIOD_S[self.kind])
        if not self.uncertainty_pct:
            object.__setattr__(self, "uncertainty_pct", DEFAULT_UNCERTAINTY_PCT[self.kind])
        if self.period_s % self.interval_s:
            raise ValueError(f"meter {self.meter_id}: the period is not a whole number of reading intervals")

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, row: dict) -> Meter:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in row})


@dataclass(frozen=True)
class SignedBatch:
    """What a device hands over at the end of a period: the signed ``metering.batch`` body and its readings."""

    meter_id: str
    body: dict
    readings: list[dict]

    def to_json(self) -> dict:
        return {"meter_id": self.meter_id, "body": self.body, "readings": self.readings}


@dataclass
class MeterDevice:
    """The signing end of a meter (its secure element, or the edge gateway): numbers each reading with a monotonic
    counter and signs each period's readings as one batch."""

    meter_id: str
    key: SigningKey
    counter: int = 0
    pending: list[dict] = field(default_factory=list)

    @classmethod
    def create(cls, meter_id: str) -> MeterDevice:
        return cls(meter_id, SigningKey.generate(f"meter-{meter_id}", role="device"))

    @property
    def did(self) -> str:
        return self.key.did

    def read(self, time: str, total_nm3: float) -> dict:
        """Record one reading (corrected volume total, Nm³) and return it."""
        reading = {"counter": self.counter, "time": time, "value": round(float(total_nm3), 3), "unit": UNIT}
        self.counter += 1
        self.pending.append(reading)
        return reading

    def close_period(self) -> SignedBatch | None:
        """Sign the readings taken since the last batch (None when there are none)."""
        if not self.pending:
            return None
        readings, self.pending = self.pending, []
        body = sign_metering_batch(self.key, self.did, readings, UNIT)
        return SignedBatch(self.meter_id, body, readings)
