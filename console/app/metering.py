"""Metering evidence service (计量存证): meters, anchoring, proofs, custody transfer, gas balance, methane emissions.

One service behind the metering dock, ``gasops meter`` and the tests, over the ledger (through
:class:`~console.app.ledger.LedgerService` and the signing key of :class:`~console.app.operators.OperatorService`)
and, for station methane, the live feeds (:meth:`LiveSession.trends`).

Workflow:

1. :meth:`register_meter` enrols a meter's device key (``device.register``) and keeps the meter's description (kind,
   area, station, party, uncertainty) in ``meters.json`` beside the ledger; a supplier's meter at a shared gate
   station is described too, with the origin of the supplier's log (:meth:`register_peer_meter`).
2. Devices hand over signed batches (:meth:`submit`); :meth:`anchor` checks each one
   (:func:`console.metering.examine_batch`), stores the readings in evidence files (a thousand batches a file, named
   by each batch's ``values_file``), appends the ``metering.batch``
   entries and then one ``metering.period`` entry per meter and period — ``complete``, ``partial``, ``missing`` or
   ``rejected`` with its reasons — so a period is never completed silently. Two checkpoints per run.
3. :meth:`prove` writes a reading's proof file; :func:`console.metering.verify_reading_proof` checks it offline.
4. :meth:`custody` compares a station's day in this log with the supplier's log (synced from the peer) and
   :meth:`record_custody` signs the comparison with both figures' entry references.
5. :meth:`balance` and :meth:`emissions` compute, and ``record_*`` sign, the gas balance and emission figures.

Signals (psygnal): ``changed()`` after meters or anchored periods changed, ``anchored(AnchorReport)``,
``custody_flagged(CustodyResult)`` for a disputed or incomplete day, ``balance_jump(BalanceRow)`` for a jump of
unaccounted-for gas (a hazard candidate).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from psygnal import Signal

from console.atomic import atomic_write_text
from console.ledger import canonical_json
from console.metering import (
    READINGS_FORMAT,
    BalanceRow,
    CustodyResult,
    DeviceView,
    EmissionFigure,
    Meter,
    MeteringError,
    PartyFigure,
    PeriodReport,
    SignedBatch,
    StationParameters,
    build_reading_proof,
    examine_batch,
    flag_jumps,
    format_time,
    gas_balance,
    missing_period,
    parse_time,
    period_of,
    read_proof_file,
    reconcile_custody,
    station_emission,
    vented_emission,
    verify_reading_proof,
    write_proof,
)

__all__ = ["AnchorReport", "MeteringService", "METERS_FILE"]

log = logging.getLogger(__name__)

METERS_FILE = "meters.json"
READINGS_PER_FILE = 1000


@dataclass
class AnchorReport:
    """One anchoring run: every period checked, and the entries appended."""

    periods: list[PeriodReport] = field(default_factory=list)
    batch_entries: int = 0
    period_entries: int = 0

    @property
    def rejected(self) -> list[PeriodReport]:
        return [p for p in self.periods if p.status == "rejected"]

    def to_json(self) -> dict:
        return {
            "batch_entries": self.batch_entries,
            "period_entries": self.period_entries,
            "periods": [p.to_json() for p in self.periods],
        }


class MeteringService:
    """Metering over one workspace's ledger (see the module docstring)."""

    changed = Signal()
    anchored = Signal(object)
    custody_flagged = Signal(object)
    balance_jump = Signal(object)

    def __init__(self, ledger: Any, operators: Any = None, live: Any = None) -> None:
        self.ledger = ledger
        self.operators = operators
        self.live = live
        self.inbox: list[SignedBatch] = []
        self._meters: dict[str, Meter] = {}
        self._origins: dict[str, str] = {}  # meter id -> log origin of a peer's meter
        self._loaded_from: Path | None = None

    # -- meters ------------------------------------------------------------------------------------------------------
    @property
    def node(self):
        return self.ledger.require_node()

    def _author(self):
        return self.operators.signing_key if self.operators is not None else None

    def _meters_path(self) -> Path:
        return Path(self.ledger.folder) / METERS_FILE

    def _load(self) -> None:
        path = self._meters_path()
        if self._loaded_from == path:
            return
        self._meters, self._origins, self._loaded_from = {}, {}, path
        if not path.exists():
            return
        try:
            rows = json.loads(path.read_text("utf-8"))
            for row in rows["meters"]:
                meter = Meter.from_json(row)
                self._meters[meter.meter_id] = meter
                if row.get("origin"):
                    self._origins[meter.meter_id] = row["origin"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MeteringError(f"{path}: not a meter register ({exc}); fix or remove it") from None

    def _save(self) -> None:
        rows = [{**m.to_json(), **({"origin": self._origins[i]} if i in self._origins else {})}
                for i, m in sorted(self._meters.items())]  # fmt: skip
        atomic_write_text(self._meters_path(), json.dumps({"meters": rows}, indent=1, ensure_ascii=False) + "\n")

    def meters(self) -> list[Meter]:
        self._load()
        return list(self._meters.values())

    def meter(self, meter_id: str) -> Meter:
        self._load()
        try:
            return self._meters[meter_id]
        except KeyError:
            raise MeteringError(f"meter {meter_id!r} is not registered (gasops meter list shows the meters)") from None

    def origin_of(self, meter_id: str) -> str:
        """The log whose entries hold the meter's batches (this node's own log, or a peer's)."""
        self._load()
        return self._origins.get(meter_id, self.node.origin)

    def _append_bulk(self, items: list[tuple[str, dict]]) -> list:
        """Append many entries in one transaction. The per-entry ``entry_appended`` signals are held back and the
        ledger service re-reads its state once: it re-reads everything on each of them, which for an hour of 85,000
        meters would be 170,000 re-reads of the same final state."""
        node = self.node
        if not items:
            return []
        with node.entry_appended.blocked():
            results = node.append_many(items, author=self._author())
        self.ledger.refresh()
        return results

    def register_meter(self, meter: Meter) -> None:
        """Enrol the meter's device in this ledger (``device.register``) and keep its description."""
        self.register_meters([meter])

    def register_meters(self, meters: list[Meter]) -> None:
        """Enrol several meters in one ledger transaction (one checkpoint), all or none."""
        self._load()
        seen = set(self._meters)
        for meter in meters:
            if meter.meter_id in seen:
                raise MeteringError(f"meter {meter.meter_id} is already registered")
            seen.add(meter.meter_id)
        if self.operators is not None:
            self.operators.require("feed.control", f"register {len(meters)} meter(s)")
        items = []
        for meter in meters:
            body = {"device": meter.device, "kind": f"meter.{meter.kind}", "meter_id": meter.meter_id}
            if meter.station:
                body["site_digest"] = hashlib.sha256(meter.station.encode("utf-8")).hexdigest()
            items.append(("device.register", body))
        self._append_bulk(items)
        self._meters.update((m.meter_id, m) for m in meters)
        self._save()
        self.changed.emit()

    def register_peer_meter(self, meter: Meter, origin: str) -> None:
        """Describe a meter whose device is registered in a peer's log (the supplier's meter at a shared station)."""
        self._load()
        self._meters[meter.meter_id] = meter
        self._origins[meter.meter_id] = origin
        self._save()
        self.changed.emit()

    # -- anchoring ---------------------------------------------------------------------------------------------------
    def submit(self, batches: Iterable[SignedBatch]) -> int:
        """Queue devices' signed batches for the next :meth:`anchor`."""
        before = len(self.inbox)
        self.inbox.extend(batches)
        return len(self.inbox) - before

    def _view(self, meter: Meter) -> DeviceView | None:
        record = self.node.state().devices.get(meter.device)
        if record is None:
            return None
        last = self._last_period(meter.meter_id)
        last_total = last.get("last_total") if last else None
        return DeviceView(meter.device, record.key, record.revoked_index is not None, record.last_counter, last_total)

    def _last_period(self, meter_id: str) -> dict | None:
        """The latest anchored period of a meter with readings (cached; anchoring updates it)."""
        cache = self.__dict__.setdefault("_last", {})
        if meter_id not in cache:
            bodies = [b for b in self.period_bodies(meter_id) if "last_total" in b]
            cache[meter_id] = bodies[-1] if bodies else None
        return cache[meter_id]

    def period_bodies(self, meter_id: str | None = None, origin: str | None = None) -> list[dict]:
        """``metering.period`` bodies of a log in ledger order (each with ``_index`` and ``_leaf``)."""
        node = self.node
        origin = origin or node.origin
        devices = {self.meter(meter_id).device} if meter_id else None
        out = []
        for row in node.search(origin=origin, device=next(iter(devices)) if devices else None):
            if row["type"] != "metering.period":
                continue
            body = node.entry(row["idx"], origin).body
            if meter_id and body["meter_id"] != meter_id:
                continue
            out.append({**body, "_index": row["idx"], "_leaf": row["leaf"].hex() if isinstance(row["leaf"], bytes)
                        else str(row["leaf"])})  # fmt: skip
        return out

    def anchor(self, *, until: str | None = None) -> AnchorReport:
        """Check and anchor every queued batch; with ``until`` also anchor, as ``missing``, each registered meter's
        periods that ended by then with nothing received since its last anchored period."""
        self._load()
        if self.operators is not None:
            self.operators.require("feed.control", "anchor meter readings")
        node = self.node
        report = AnchorReport()
        batches, self.inbox = self.inbox, []
        views: dict[str, DeviceView | None] = {}
        accepted: list[tuple[PeriodReport, dict, list[dict]]] = []
        for batch in batches:
            meter = self._meters.get(batch.meter_id)
            if meter is None or batch.meter_id in self._origins:
                meter = Meter(batch.meter_id, "customer", str(batch.body.get("device", "")))
                view = None
            else:
                view = views[meter.meter_id] if meter.meter_id in views else self._view(meter)
            last_time = batch.readings[-1].get("time") if batch.readings else None
            try:
                start, end = period_of(meter, str(last_time))
            except ValueError:
                start = end = str(last_time)
            period = examine_batch(meter, batch, view, start, end)
            report.periods.append(period)
            if period.anchorable:
                accepted.append((period, dict(batch.body), batch.readings))
                if view is not None:  # the next batch of this meter in the same run follows this one
                    views[meter.meter_id] = DeviceView(view.device, view.key, view.revoked,
                                                       batch.body["counter_last"], period.last_total)  # fmt: skip
        if until is not None:
            report.periods.extend(self._missing_periods(until, [p for p in report.periods if p.anchorable]))
        # the readings files: up to READINGS_PER_FILE batches each (one durable write per file, not per meter)
        for lo in range(0, len(accepted), READINGS_PER_FILE):
            chunk = accepted[lo : lo + READINGS_PER_FILE]
            data = canonical_json({"format": READINGS_FORMAT, "batches": {b["values_root"]: r for _, b, r in chunk}})
            digest = node.put_evidence(data, "application/json")["sha256"]
            for _, body, _ in chunk:
                body["values_file"] = digest
        results = self._append_bulk([("metering.batch", body) for _, body, _ in accepted])
        leaves = {id(p): r.leaf_hash for (p, _, _), r in zip(accepted, results, strict=True)}
        report.batch_entries = len(results)
        known = [p for p in report.periods if p.meter_id in self._meters and p.meter_id not in self._origins]
        cache = self.__dict__.setdefault("_last", {})
        for p in known:
            if p.last_total is not None and p.status != "rejected":
                cache[p.meter_id] = {"end": p.end, "last_total": p.last_total}
        bodies = [("metering.period", p.period_body(leaves.get(id(p)))) for p in known]
        report.period_entries = len(self._append_bulk(bodies))
        for p in report.rejected:
            log.warning("meter %s period %s–%s rejected: %s", p.meter_id, p.start, p.end,
                        "; ".join(x["detail"] for x in p.problems))  # fmt: skip
        self.anchored.emit(report)
        self.changed.emit()
        return report

    def _missing_periods(self, until: str, arriving: list[PeriodReport]) -> list[PeriodReport]:
        ends: dict[str, str] = {}
        for meter_id in self._meters:
            bodies = self.period_bodies(meter_id) if meter_id not in self._origins else []
            if bodies:
                ends[meter_id] = max(b["end"] for b in bodies)
        for p in arriving:
            ends[p.meter_id] = max(ends.get(p.meter_id, ""), p.end)
        limit = parse_time(until)
        out = []
        for meter_id, meter in self._meters.items():
            if meter_id in self._origins or meter_id not in ends:
                continue
            t = parse_time(ends[meter_id])
            covered = {p.end for p in arriving if p.meter_id == meter_id}
            while t + timedelta(seconds=meter.period_s) <= limit:
                nxt = t + timedelta(seconds=meter.period_s)
                if format_time(nxt) not in covered:
                    out.append(missing_period(meter, format_time(t), format_time(nxt)))
                t = nxt
        return out

    # -- proofs ------------------------------------------------------------------------------------------------------
    def prove(self, meter_id: str, counter: int, out: str | os.PathLike) -> Path:
        """Write the proof file of reading ``counter`` of ``meter_id``."""
        meter = self.meter(meter_id)
        doc = build_reading_proof(self.node, meter.device, counter, meter_id=meter_id, origin=self.origin_of(meter_id))
        return write_proof(doc, out)

    @staticmethod
    def verify_proof(path: str | os.PathLike, log_keys: list[str] | None = None,
                     witness_keys: list[str] | None = None):  # fmt: skip
        """Verify a proof file offline (no ledger needed); :class:`ProofFileError` for an unreadable file."""
        return verify_reading_proof(read_proof_file(path), log_keys=log_keys, witness_keys=witness_keys)

    # -- custody transfer --------------------------------------------------------------------------------------------
    def _day_figure(self, meter: Meter, day: str, party: str) -> PartyFigure:
        origin = self.origin_of(meter.meter_id)
        start = parse_time(day + "T00:00:00Z")
        end = start + timedelta(days=1)
        rows = [b for b in self.period_bodies(meter.meter_id, origin=origin)
                if start < parse_time(b["end"]) <= end]  # fmt: skip
        hours = int((end - start).total_seconds() // meter.period_s)
        if not rows:
            return PartyFigure(party, None, meter.uncertainty_pct, False, (), origin)
        quantity = sum(b.get("quantity_nm3", 0.0) for b in rows)
        complete = len(rows) == hours and all(b["status"] == "complete" for b in rows)
        evidence = tuple({"origin": origin, "index": b["_index"], "leaf": b["_leaf"]} for b in rows)
        return PartyFigure(party, round(quantity, 3), meter.uncertainty_pct, complete, evidence, origin)

    def custody(self, station: str, day: str) -> CustodyResult:
        """Compare ``station``'s day (``YYYY-MM-DD``) as the utility's and the supplier's meters recorded it."""
        meters = [m for m in self.meters() if m.station == station and m.kind == "gate"]
        utility = [m for m in meters if m.party != "supplier"]
        supplier = [m for m in meters if m.party == "supplier"]
        if not utility or not supplier:
            raise MeteringError(f"station {station}: custody needs a utility and a supplier gate meter registered")
        return reconcile_custody(station, day, self._day_figure(utility[0], day, "utility"),
                                 self._day_figure(supplier[0], day, "supplier"))  # fmt: skip

    def record_custody(self, result: CustodyResult) -> Any:
        """Sign the comparison into this ledger; a disputed or incomplete day is also announced."""
        out = self.node.append("metering.custody", result.ledger_body(), author=self._author())
        if result.flagged:
            self.custody_flagged.emit(result)
        self.changed.emit()
        return out

    def custody_records(self) -> list[dict]:
        node = self.node
        return [node.entry(i).body for i in range(node.size()) if node.entry(i).type == "metering.custody"]

    # -- gas balance -------------------------------------------------------------------------------------------------
    def balance(self, area: str, days: list[str], linepack_nm3: dict[str, float] | None = None) -> list[BalanceRow]:
        """Daily balance of ``area``: inflow (gate/district meters) − consumption (customer meters) − Δ line pack.

        ``linepack_nm3`` maps a time (RFC 3339, the days' boundaries) to the line pack then (from the hydraulic
        state); missing boundaries count as no change. Each day is flagged when it jumps out of its usual range."""
        meters = [m for m in self.meters() if m.area == area and m.meter_id not in self._origins]
        if not meters:
            raise MeteringError(f"area {area!r} has no meters")
        linepack = linepack_nm3 or {}
        sums: dict[str, list[float]] = {d: [0.0, 0.0] for d in days}
        for m in meters:
            for b in self.period_bodies(m.meter_id):
                day = (parse_time(b["end"]) - timedelta(microseconds=1)).date().isoformat()
                if day in sums:
                    sums[day][0 if m.kind != "customer" else 1] += b.get("quantity_nm3", 0.0)
        rows = []
        for d in days:
            start = d + "T00:00:00Z"
            end = format_time(parse_time(start) + timedelta(days=1))
            rows.append(gas_balance(area, start, end, sums[d][0], sums[d][1], linepack.get(start, 0.0),
                                    linepack.get(end, linepack.get(start, 0.0))))  # fmt: skip
        flags = flag_jumps([r.ufg_pct for r in rows])
        out = []
        for row, jump in zip(rows, flags, strict=True):
            row = BalanceRow(**{**row.to_json(), "jump": jump})
            if jump:
                self.balance_jump.emit(row)
            out.append(row)
        return out

    def record_balance(self, row: BalanceRow) -> Any:
        out = self.node.append("metering.balance", row.ledger_body(), author=self._author())
        self.changed.emit()
        return out

    # -- methane -----------------------------------------------------------------------------------------------------
    def station_emission_from_live(
        self, params: StationParameters, sensor_id: str, window_s: float, *, lel_pct_vol: float = 5.0,
        gwp: float = 29.8,
    ) -> EmissionFigure:  # fmt: skip
        """A station's emission over the last ``window_s`` from its methane detector (% LEL) in the live history."""
        if self.live is None:
            raise MeteringError("no live session: start a feed to read station methane")
        series, now = self.live.trends([sensor_id], window_s)
        if not series:
            raise MeteringError(f"sensor {sensor_id!r} is not a live sensor")
        s = series[0]
        ppm = s.value * lel_pct_vol / 100 * 1e6 / 100  # % LEL -> volume fraction -> ppm
        digest = hashlib.sha256(s.t.tobytes() + s.value.tobytes()).hexdigest()
        start = format_time(parse_time("1970-01-01T00:00:00Z") + timedelta(seconds=float(now - window_s)))
        end = format_time(parse_time("1970-01-01T00:00:00Z") + timedelta(seconds=float(now)))
        return station_emission(params, s.t, ppm, start=start, end=end, gwp=gwp, inputs=[digest])

    def vented_emission(self, subject: str, volume_nm3: float, *, start: str, end: str, scope: str = "incident",
                        plan_digest: str = "", gwp: float = 29.8) -> EmissionFigure:  # fmt: skip
        """Methane in gas vented by an incident or isolation (the isolation analysis's volume)."""
        return vented_emission(subject, volume_nm3, start=start, end=end, scope=scope, gwp=gwp,
                               inputs=[plan_digest] if plan_digest else [])  # fmt: skip

    def record_emission(self, figure: EmissionFigure) -> Any:
        body = {k: v for k, v in figure.to_json().items() if k != "inputs" or v}
        body["ch4_t"], body["co2e_t"] = round(figure.ch4_t, 9), round(figure.co2e_t, 9)
        out = self.node.append("emission.estimate", body, author=self._author())
        self.changed.emit()
        return out

    def emission_records(self) -> list[dict]:
        node = self.node
        return [node.entry(i).body for i in range(node.size()) if node.entry(i).type == "emission.estimate"]

    def emissions_report(self, month: str) -> dict:
        """The regulator's report of a month (``YYYY-MM``): every signed figure of the month, totals per scope and
        subject, and the models and GWP used."""
        rows = [r for r in self.emission_records() if r["start"][:7] == month or r["end"][:7] == month]
        totals: dict[str, dict[str, float]] = {}
        for r in rows:
            t = totals.setdefault(f"{r['scope']}:{r['subject']}", {"ch4_t": 0.0, "co2e_t": 0.0})
            t["ch4_t"] += r["ch4_t"]
            t["co2e_t"] += r["co2e_t"]
        return {
            "month": month,
            "origin": self.node.origin,
            "figures": rows,
            "totals": totals,
            "ch4_t": sum(r["ch4_t"] for r in rows),
            "co2e_t": sum(r["co2e_t"] for r in rows),
            "models": sorted({r["model"] for r in rows}),
            "gwp": sorted({r["gwp"] for r in rows}),
        }
