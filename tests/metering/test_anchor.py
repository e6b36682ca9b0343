"""Checking signed batches before anchoring: hand-worked periods, and every kind of bad batch."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from console.metering import DeviceView, Meter, MeterDevice, SignedBatch, examine_batch, period_of

START, END = "2026-03-01T05:00:00Z", "2026-03-01T06:00:00Z"


def gate_batch(totals, minutes=None, device=None):
    """A gate meter (5-min readings, hourly period) reading ``totals`` at 05:05, 05:10, …"""
    device = device or MeterDevice.create("GS-1")
    minutes = minutes or [5 * (i + 1) for i in range(len(totals))]
    for m, total in zip(minutes, totals, strict=True):
        t = "2026-03-01T06:00:00Z" if m == 60 else f"2026-03-01T05:{m:02d}:00Z"
        device.read(t, total)
    batch = device.close_period()
    meter = Meter("GS-1", "gate", device.did, area="DMA-1", station="GS-1")
    return meter, batch, device


def view_of(device, last_counter=-1, last_total=None):
    return DeviceView(device.did, device.did, False, last_counter, last_total)


def test_a_complete_hour_is_anchorable_with_its_quantity():
    # 12 five-minute readings, 10 Nm³ each from a last anchored total of 1000 Nm³: 120 Nm³ in the hour
    meter, batch, device = gate_batch([1000 + 10 * (i + 1) for i in range(12)])
    report = examine_batch(meter, batch, view_of(device, -1, 1000.0), START, END)
    assert report.anchorable and report.status == "complete" and not report.events
    assert (report.expected, report.received, report.quantity_nm3) == (12, 12, 120.0)
    assert (report.first_total, report.last_total) == (1010.0, 1120.0)
    assert period_of(meter, "2026-03-01T06:00:00Z") == (START, END)  # a reading at 06:00 closes the 05–06 hour
    assert period_of(meter, "2026-03-01T06:00:01Z") == (END, "2026-03-01T07:00:00Z")


def test_missing_readings_make_the_period_partial_never_complete():
    meter, batch, device = gate_batch([1010, 1020, 1030, 1060], minutes=[5, 10, 15, 30])
    report = examine_batch(meter, batch, view_of(device, -1, 1000.0), START, END)
    assert report.anchorable and report.status == "partial"
    assert report.quantity_nm3 == 60.0
    assert [e["kind"] for e in report.events] == ["missing"] and "8 of 12" in report.events[0]["detail"]


def test_a_reset_is_an_event_and_its_interval_is_left_out():
    # 1010, 1020, then the meter was swapped: 5, 15 -> known volume 10 + 10 + 10; the reset interval is unknown
    meter, batch, device = gate_batch([1010, 1020, 5, 15], minutes=[5, 10, 15, 20])
    report = examine_batch(meter, batch, view_of(device, -1, 1000.0), START, END)
    assert report.anchorable
    assert report.quantity_nm3 == 30.0
    assert [e["kind"] for e in report.events][0] == "reset"


def test_a_counter_gap_is_recorded_and_a_replay_refused():
    device = MeterDevice.create("GS-1")
    device.counter = 10
    meter, batch, device = gate_batch([1010 + i for i in range(12)], device=device)
    first = batch.body["counter_first"]
    assert first == 10
    gap = examine_batch(meter, batch, view_of(device, first - 4, 1000.0), START, END)
    assert gap.anchorable and gap.status == "partial"
    assert gap.events[0]["kind"] == "counter-gap" and "3 reading(s)" in gap.events[0]["detail"]
    replay = examine_batch(meter, batch, view_of(device, first, 1000.0), START, END)
    assert not replay.anchorable and replay.status == "rejected"
    assert replay.problems[0]["code"] == "replay"


def test_bad_batches_are_rejected_with_their_reason():
    meter, batch, device = gate_batch([1010 + i for i in range(12)])
    view = view_of(device)

    def code(b, v=view, m=meter, start=START, end=END):
        r = examine_batch(m, b, v, start, end)
        assert not r.anchorable and r.status == "rejected"
        return r.problems[0]["code"]

    changed = copy.deepcopy(batch)
    changed.readings[3]["value"] += 1
    assert code(changed) == "root-mismatch"
    forged = copy.deepcopy(batch)
    forged.body["count"] = 11
    assert code(forged) == "bad-device-signature"
    assert code(batch, v=None) == "unknown-device"
    other = MeterDevice.create("X")
    stranger = SignedBatch("GS-1", other.key and _signed_by(other, batch.readings), batch.readings)
    assert code(stranger) == "unknown-device"  # a batch by a device that is not this meter's
    assert code(batch, v=DeviceView(device.did, device.did, True)) == "revoked-device"
    assert code(batch, v=DeviceView(device.did, other.did)) == "wrong-device-key"
    assert code(batch, start="2026-03-01T06:00:00Z", end="2026-03-01T07:00:00Z") == "outside-period"
    assert code(SignedBatch("GS-1", batch.body, [])) == "bad-batch"
    broken = copy.deepcopy(batch)
    broken.readings[0] = {"counter": "x"}
    assert code(broken) == "bad-reading"


def _signed_by(device, readings):
    from console.ledger import sign_metering_batch

    return sign_metering_batch(device.key, device.did, readings, "Nm3")


@settings(max_examples=40, deadline=None)
@given(
    increments=st.lists(st.integers(0, 5000), min_size=1, max_size=12),
    tamper=st.tuples(st.integers(0, 11), st.sampled_from(["value", "time", "counter"])),
)
def test_quantity_is_the_sum_of_increments_and_any_change_is_caught(increments, tamper):
    totals, t = [], 100_000.0
    for inc in increments:
        t += inc / 10
        totals.append(round(t, 3))
    meter, batch, device = gate_batch(totals)
    report = examine_batch(meter, batch, view_of(device, -1, 100_000.0), START, END)
    assert report.anchorable
    assert abs(report.quantity_nm3 - round(totals[-1] - 100_000.0, 3)) < 1e-6
    i, key = tamper[0] % len(totals), tamper[1]
    changed = copy.deepcopy(batch)
    old = changed.readings[i][key]
    changed.readings[i][key] = old + 1 if key != "time" else old.replace(":00Z", ":01Z")
    assert not examine_batch(meter, changed, view_of(device, -1, 100_000.0), START, END).anchorable
