"""Checking a device's signed batch before it is anchored (上链前校验), and what a period's ledger entries say.

Readings are stamped at the end of their interval, so a period ``(start, end]`` holds the readings after ``start`` up
to and including ``end``, and its quantity is the total at its last reading minus the total at the last reading
anchored before it. Steps, for one meter and one period:

1. The device must be registered and not revoked, and the batch signed by the key the ledger holds for it
   (``unknown-device``, ``revoked-device``, ``wrong-device-key``, ``bad-device-signature``).
2. The readings must be the ones signed: their Merkle root equals the signed ``values_root``, counters run
   ``counter_first … counter_last`` without a hole, count and times match the body, and every reading lies in the
   period (``root-mismatch``, ``bad-counter-range``, ``outside-period``).
3. The first counter must follow the last anchored one: a counter at or below it is a replay (``replay``); a jump
   above it is readings lost between device and console, recorded as a ``counter-gap`` event.
4. Totals must not run backwards; a drop is a meter reset or swap, recorded as a ``reset`` event, and the volume of
   that one interval is left out of the period's quantity (it is unknown), never guessed.
5. Readings expected (period ÷ interval) but not received make the period ``partial``; no batch at all makes it
   ``missing``. A period is never completed silently: its ``metering.period`` entry says what it holds.

Problems in 1–3 stop the batch from being anchored (the period is anchored as ``rejected`` with the reasons).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from console.ledger import metering_statement, public_from_did_key, readings_root
from console.metering._device import Meter, SignedBatch
from console.metering._time import format_time, parse_time, period_bounds

__all__ = ["DeviceView", "PERIOD_STATUSES", "PeriodReport", "examine_batch", "missing_period", "period_of"]

PERIOD_STATUSES = ("complete", "partial", "missing", "rejected")


@dataclass(frozen=True)
class DeviceView:
    """What the ledger knows of a device: current key, earlier keys, revoked, last anchored counter and total."""

    device: str
    key: str
    revoked: bool = False
    last_counter: int = -1
    last_total: float | None = None


@dataclass
class PeriodReport:
    """The check of one meter's period; :meth:`period_body` is the ``metering.period`` entry body."""

    meter_id: str
    device: str
    start: str
    end: str
    expected: int
    received: int = 0
    status: str = "missing"
    problems: list[dict] = field(default_factory=list)  # {code, detail}: why the batch is not anchored
    events: list[dict] = field(default_factory=list)  # {kind, counter, detail}: recorded, anchoring goes on
    first_total: float | None = None
    last_total: float | None = None
    quantity_nm3: float | None = None
    signed_by: str = "device"
    batch: SignedBatch | None = None

    @property
    def anchorable(self) -> bool:
        return self.batch is not None and not self.problems

    def period_body(self, batch_leaf: str | None) -> dict:
        body = {
            "meter_id": self.meter_id,
            "device": self.device,
            "start": self.start,
            "end": self.end,
            "expected": self.expected,
            "received": self.received,
            "status": self.status,
            "signed_by": self.signed_by,
        }
        if batch_leaf:
            body["batch_leaf"] = batch_leaf
        for key in ("first_total", "last_total", "quantity_nm3"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.events:
            body["events"] = self.events
        if self.problems:
            body["problems"] = self.problems
        return body

    def to_json(self) -> dict:
        return {**self.period_body(None), "anchorable": self.anchorable}


def _expected(meter: Meter, start: str, end: str) -> int:
    try:
        return int((parse_time(end) - parse_time(start)).total_seconds() // meter.interval_s)
    except ValueError:  # a batch whose times cannot be read has no period: it is rejected as bad-reading
        return 0


def missing_period(meter: Meter, start: str, end: str) -> PeriodReport:
    """A period for which no batch arrived."""
    return PeriodReport(meter.meter_id, meter.device, start, end, _expected(meter, start, end),
                        signed_by="device" if meter.signs else "gateway")  # fmt: skip


def examine_batch(meter: Meter, batch: SignedBatch, view: DeviceView | None, start: str, end: str) -> PeriodReport:
    """Check ``batch`` for ``meter``'s period ``(start, end]`` against the ledger's ``view`` of its device."""
    report = missing_period(meter, start, end)
    report.batch = batch
    body, readings = batch.body, batch.readings
    report.received = len(readings) if isinstance(readings, list) else 0

    def problem(code: str, detail: str) -> None:
        report.problems.append({"code": code, "detail": detail})

    # 1. identity and signature
    device = body.get("device") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(readings, list) or not readings:
        problem("bad-batch", "the batch has no body or no readings")
    elif view is None or device != meter.device:
        problem("unknown-device", f"device {device} is not the registered device of meter {meter.meter_id}")
    elif view.revoked:
        problem("revoked-device", f"device {device} was revoked")
    elif body.get("signer") != view.key:
        problem("wrong-device-key", f"batch signed by {body.get('signer')}, the ledger holds {view.key}")
    elif not _signature_ok(body):
        problem("bad-device-signature", f"device {device}: the batch signature does not verify")
    if report.problems:
        report.status = "rejected"
        return report
    # 2. the readings are the ones signed
    try:
        root = readings_root(readings).hex()
        counters = [int(r["counter"]) for r in readings]
        times = [parse_time(r["time"]) for r in readings]
        values = [float(r["value"]) for r in readings]
        t0, t1 = parse_time(start), parse_time(end)
    except (KeyError, TypeError, ValueError) as exc:
        problem("bad-reading", f"a reading is malformed: {exc}")
        report.status = "rejected"
        return report
    if root != body["values_root"]:
        problem("root-mismatch", f"readings hash to {root}, the device signed {body['values_root']}")
    if counters != list(range(body["counter_first"], body["counter_first"] + len(readings))) or (
        body["counter_last"] != counters[-1] or body["count"] != len(readings)
    ):
        problem("bad-counter-range", f"counters {counters[0]}…{counters[-1]} do not match the signed range")
    if body["start"] != readings[0]["time"] or body["end"] != readings[-1]["time"]:
        problem("bad-time-range", "the signed start/end do not match the first/last reading")
    if any(not (t0 < t <= t1) for t in times) or times != sorted(times):
        problem("outside-period", f"readings lie outside {start} – {end} or out of order")
    # 3. replay and counter gaps
    if view is not None and counters[0] <= view.last_counter:
        problem("replay", f"counter {counters[0]} was already anchored (last anchored counter {view.last_counter})")
    if report.problems:
        report.status = "rejected"
        return report
    if view is not None and view.last_counter >= 0 and counters[0] > view.last_counter + 1:
        lost = counters[0] - view.last_counter - 1
        report.events.append({"kind": "counter-gap", "counter": counters[0],
                              "detail": f"{lost} reading(s) after counter {view.last_counter} never arrived"})  # fmt: skip
    # 4. totals: resets and the period's quantity
    previous = view.last_total if view is not None else None
    quantity = 0.0
    for counter, value in zip(counters, values, strict=True):
        if previous is not None:
            if value < previous:
                report.events.append({"kind": "reset", "counter": counter,
                                      "detail": f"total fell from {previous} to {value} Nm3 (reset or swap): "
                                                "that interval's volume is unknown"})  # fmt: skip
            else:
                quantity += value - previous
        previous = value
    report.first_total, report.last_total = values[0], values[-1]
    report.quantity_nm3 = round(quantity, 3)
    # 5. completeness
    partial = report.received < report.expected or any(e["kind"] == "counter-gap" for e in report.events)
    report.status = "partial" if partial else "complete"
    if report.received < report.expected:
        report.events.append({"kind": "missing", "counter": counters[-1],
                              "detail": f"{report.expected - report.received} of {report.expected} readings missing"})  # fmt: skip
    return report


def _signature_ok(body: dict) -> bool:
    """The device's Ed25519 signature over the batch statement (``metering_statement``)."""
    try:
        public = Ed25519PublicKey.from_public_bytes(public_from_did_key(body["signer"]))
        public.verify(base64.b64decode(body["device_signature"], validate=True), metering_statement(body))
        return True
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidSignature):
        return False


def period_of(meter: Meter, t: str) -> tuple[str, str]:
    """The anchoring period ``(start, end]`` of ``meter`` that holds time ``t`` (RFC 3339 strings)."""
    a, b = period_bounds(parse_time(t) - timedelta(microseconds=1), meter.period_s)
    return format_time(a), format_time(b)
