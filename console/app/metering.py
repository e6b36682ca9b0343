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
5. :meth:`balance` and the emission verbs compute, and ``record_*`` sign, the gas balance and emission figures.
6. The network: :meth:`set_hydraulic_state` takes each solve (areas are its pressure systems) and keeps its line
   pack per area in ``linepack.json`` beside the ledger, which the balance reads at each day's boundaries;
   :meth:`train_network` puts simulated meters on the network's gate stations, regulators and customers;
   :meth:`raise_balance_hazard` reports a jump as a hazard candidate through ``LedgerService.report_hazard`` (the
   operator's ``hazard.report`` authority), once per area and day.
7. Emissions: stations from their methane detector (:meth:`station_emission_from_live`, or
   :meth:`station_emission_from_history` over a ``console.db``), incidents from their signed plan
   (:meth:`incident_emission`), isolations from their result (:meth:`isolation_emission`); the month's report as JSON
   or HTML (:meth:`write_emissions_report`).

Signals (psygnal): ``changed()`` after meters or anchored periods changed, ``anchored(AnchorReport)``,
``custody_flagged(CustodyResult)`` for a disputed or incomplete day, ``balance_jump(BalanceRow)`` for a jump of
unaccounted-for gas (a hazard candidate).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psygnal import Signal

from console.app.hazards import hazard_rows, new_hazard_id
from console.atomic import atomic_write_text
from console.errors import GasOpsError
from console.ledger import LedgerError, canonical_json
from console.metering import (
    READINGS_FORMAT,
    TRAINING_STATE_FILE,
    AmbiguousReading,
    BalanceRow,
    CustodyResult,
    DeviceView,
    EmissionFigure,
    Meter,
    MeteringError,
    MeteringSimulator,
    PartyFigure,
    PeriodReport,
    ReadingNotAnchored,
    ShareError,
    SignedBatch,
    StationParameters,
    TrainingKeys,
    build_reading_proof,
    build_share,
    examine_batch,
    find_reading_batch,
    flag_jumps,
    format_time,
    gas_balance,
    gwp_source,
    in_scope,
    line_pack_by_area,
    missing_period,
    parse_time,
    period_of,
    read_proof_file,
    read_share_file,
    reconcile_custody,
    simulator_from_network,
    station_emission,
    vented_emission,
    verify_reading_proof,
    verify_share,
    write_proof,
    write_share,
)

__all__ = ["AnchorReport", "LINEPACK_FILE", "MeteringService", "METERS_FILE", "SCOPES_FILE", "SHARES_DIR"]

log = logging.getLogger(__name__)

METERS_FILE = "meters.json"
LINEPACK_FILE = "linepack.json"  # line pack per area at the times the network was solved
SCOPES_FILE = "metering-scopes.json"  # per peer: the stations and meters whose evidence it may receive
SHARES_DIR = "metering-shares"  # verified shares imported from peers (one file per origin and checkpoint size)
LINEPACK_SNAPSHOTS = 2000
READINGS_PER_FILE = 1000
HAZARD_PREFIX = "Gas balance jump (输差突增)"


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
        self.network: Any = None  # the network and its last solve (line pack, areas on the map, training meters)
        self.result: Any = None
        self.trainer: Any = None  # the training simulator of this session (its devices' keys live only here)

    # -- meters ------------------------------------------------------------------------------------------------------
    @property
    def node(self):
        return self.ledger.require_node()

    def _author(self):
        return self.operators.signing_key if self.operators is not None else None

    def _guard(self, permission: str, action: str) -> None:
        """The operator's authority for an action that writes to the ledger (none needed without operators)."""
        if self.operators is not None:
            self.operators.require(permission, action)

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
        devices = [d["device"] for d in self.devices_of(meter_id, origin)] if meter_id else [None]
        out = []
        held = set()
        if origin == node.origin or any(log.origin == origin for log in node.logs()):
            rows = [r for device in devices for r in node.search(origin=origin, device=device)]
            for row in sorted(rows, key=lambda r: r["idx"]):
                if row["type"] != "metering.period":
                    continue
                body = node.entry(row["idx"], origin).body
                if meter_id and body["meter_id"] != meter_id:
                    continue
                held.add(row["idx"])
                out.append({**body, "_index": row["idx"], "_leaf": row["leaf"].hex() if isinstance(row["leaf"], bytes)
                            else str(row["leaf"])})  # fmt: skip
        if origin != node.origin:  # what a peer shared with this node (verified when imported)
            for index, entry in sorted(self._shared_entries(origin).items()):
                body = entry.body
                if index in held or entry.type != "metering.period" or (meter_id and body["meter_id"] != meter_id):
                    continue
                out.append({**body, "_index": index, "_leaf": entry.leaf_hash.hex()})
            out.sort(key=lambda b: b["_index"])
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
    def devices_of(self, meter_id: str, origin: str | None = None) -> list[dict]:
        """Every device that signed for ``meter_id`` in log ``origin``, oldest first: ``{device, registered,
        revoked}`` (entry indexes; ``revoked`` None for one in service). From the ledger: the meter's current device
        and each revoked device whose ``device.register`` names the meter (a meter swap revokes the old device and
        registers the new one under the same meter id)."""
        meter = self.meter(meter_id)
        origin = origin or self.origin_of(meter_id)
        try:
            state = self.node.state(origin)
        except LedgerError:  # a peer's log not held here: its meter's device as described
            return [{"device": meter.device, "registered": None, "revoked": None}]
        out = [d for d in self._former_devices(origin, state).get(meter_id, []) if d["device"] != meter.device]
        record = state.devices.get(meter.device)
        out.append({"device": meter.device, "registered": record.registered_index if record else None,
                    "revoked": record.revoked_index if record else None})  # fmt: skip
        return out

    def _former_devices(self, origin: str, state: Any) -> dict[str, list[dict]]:
        """Meter id -> its revoked devices, oldest first (read from their ``device.register`` entries; kept per log
        size, as only revoked devices can be a swapped meter's former ones)."""
        cache = self.__dict__.setdefault("_former", {})
        key = (str(self.ledger.folder), origin)
        if key in cache and cache[key][0] == state.size:
            return cache[key][1]
        index: dict[str, list[dict]] = {}
        for did, record in sorted(state.devices.items(), key=lambda kv: kv[1].registered_index):
            if record.revoked_index is None or not record.kind.startswith("meter."):
                continue
            meter_id = self.node.entry(record.registered_index, origin).body.get("meter_id")
            if meter_id:
                index.setdefault(str(meter_id), []).append(
                    {"device": did, "registered": record.registered_index, "revoked": record.revoked_index}
                )
        cache[key] = (state.size, index)
        return index

    def reading_candidates(self, meter_id: str, counter: int, device: str | None = None) -> list[dict]:
        """The anchored readings that ``meter_id`` + ``counter`` (+ ``device``) may name: each device of the meter
        with a batch holding that counter, ``{device, registered, revoked, batch, start, end}``."""
        devices = self.devices_of(meter_id)
        if device is not None and device not in {d["device"] for d in devices}:
            raise MeteringError(f"meter {meter_id}: device {device} never signed for it; its devices: "
                                + ", ".join(d["device"] for d in devices))  # fmt: skip
        origin = self.origin_of(meter_id)
        out = []
        for d in devices:
            if device is not None and d["device"] != device:
                continue
            entry = find_reading_batch(self.node, d["device"], counter, origin)
            if entry is not None:
                out.append({**d, "batch": entry.index, "start": entry.body["start"], "end": entry.body["end"]})
        return out

    def prove(self, meter_id: str, counter: int, out: str | os.PathLike, *, device: str | None = None) -> Path:
        """Write the proof file of reading ``counter`` of ``meter_id`` (signed by ``device``, which is needed only
        when the meter was swapped and more than one of its devices anchored that counter:
        :class:`AmbiguousReading` names them)."""
        self.meter(meter_id)
        candidates = self.reading_candidates(meter_id, counter, device)
        if len(candidates) > 1:
            raise AmbiguousReading(meter_id, counter, candidates)
        if not candidates:
            tried = [device] if device else [d["device"] for d in self.devices_of(meter_id)]
            raise ReadingNotAnchored(meter_id, f"reading {counter} (device{'s' if len(tried) > 1 else ''} "
                                     f"{', '.join(tried)})")  # fmt: skip
        doc = build_reading_proof(self.node, candidates[0]["device"], counter, meter_id=meter_id,
                                  origin=self.origin_of(meter_id))  # fmt: skip
        return write_proof(doc, out)

    @staticmethod
    def verify_proof(path: str | os.PathLike, log_keys: list[str] | None = None,
                     witness_keys: list[str] | None = None):  # fmt: skip
        """Verify a proof file offline (no ledger needed); :class:`ProofFileError` for an unreadable file."""
        return verify_reading_proof(read_proof_file(path), log_keys=log_keys, witness_keys=witness_keys)

    # -- per-peer disclosure (shares) ---------------------------------------------------------------------------------
    def _scopes_path(self) -> Path:
        return Path(self.ledger.folder) / SCOPES_FILE

    def peer_scopes(self) -> dict[str, dict]:
        """Each peer's scope: ``{peer name: {"stations": [...], "meters": [...]}}`` (an unreadable file is an error)."""
        path = self._scopes_path()
        if not path.exists():
            return {}
        try:
            doc = json.loads(path.read_text("utf-8"))
            out = {str(p): {"stations": [str(x) for x in v.get("stations", [])],
                            "meters": [str(x) for x in v.get("meters", [])]} for p, v in doc["peers"].items()}  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MeteringError(f"{path}: not a peer scope file ({exc}); fix or remove it") from None
        return out

    def set_peer_scope(self, peer: str, *, stations: Iterable[str] = (), meters: Iterable[str] = ()) -> dict:
        """Say which stations' and meters' evidence ``peer`` (a configured ledger peer) may receive (administrators:
        ``ledger.peers``); an empty scope withdraws it."""
        self._guard("ledger.peers", f"set what the peer {peer} may see of the metering")
        self._peer_row(peer)
        scopes = self.peer_scopes()
        scope = {"stations": sorted(set(stations)), "meters": sorted(set(meters))}
        if scope["stations"] or scope["meters"]:
            scopes[peer] = scope
        else:
            scopes.pop(peer, None)
        atomic_write_text(self._scopes_path(), json.dumps({"peers": scopes}, indent=1, ensure_ascii=False) + "\n")
        self.changed.emit()
        return scope

    def _peer_row(self, peer: str) -> dict:
        try:
            return self.node.peer_row(peer)
        except GasOpsError as exc:
            raise MeteringError(str(exc)) from None

    def share_for_peer(self, peer: str, out: str | os.PathLike) -> tuple[Path, dict]:
        """Write ``peer``'s share: the entries of the meters in its scope (this node's own meters only) with
        inclusion proofs to the latest checkpoint, their readings and descriptions. Returns the path and a summary."""
        self._guard("ledger.sync", f"share metering evidence with {peer}")
        row = self._peer_row(peer)
        scope = self.peer_scopes().get(peer)
        if not scope:
            raise MeteringError(f"peer {peer} has no metering scope: say which stations or meters it may see first")
        meters = [m for m in self.meters() if m.meter_id not in self._origins and in_scope(m, scope)]
        if not meters:
            raise MeteringError(
                f"no meter of this node is within {peer}'s scope ({', '.join(scope['stations'] + scope['meters'])})"
            )
        doc = build_share(self.node, meters, scope, recipient=row["origin"], peer=peer,
                          created=format_time(datetime.now(UTC)))  # fmt: skip
        path = write_share(doc, out)
        batches = sum(1 for e in doc["entries"] if '"metering.batch"' in e["entry"])
        return path, {"peer": peer, "meters": [m.meter_id for m in meters], "entries": len(doc["entries"]),
                      "batches": batches, "checkpoint_size": int(doc["checkpoint"].split("\n")[1])}  # fmt: skip

    def _shares_dir(self) -> Path:
        return Path(self.ledger.folder) / SHARES_DIR

    def import_share(self, path: str | os.PathLike):
        """Verify a peer's share offline against the keys pinned for that peer (its log key, the witnesses this
        node knows and its quorum) and keep it: the meters become the peer's meters here (custody compares them).
        :class:`console.metering.ShareError` names the first failed check; nothing is kept then."""
        self._guard("ledger.sync", "import a peer's metering share")
        doc = read_share_file(path)
        node = self.node
        origin = doc["origin"]
        peers = [p for p in node.store.list_peers() if p["origin"] == origin] if hasattr(node, "store") else []
        if not peers:
            raise ShareError(str(path), "checkpoint-signature", f"log {origin} is not a peer of this node: add it "
                             "(gasops ledger peers add) to pin its keys first")  # fmt: skip
        log_keys = [v.vkey for v in node.log_verifiers(origin)]
        witness_keys = sorted({v.vkey for v in node.witness_verifiers()} | {p["witness_vkey"] for p in peers})
        report = verify_share(doc, log_keys=log_keys, witness_keys=witness_keys, quorum=node.quorum,
                              recipient=node.origin)  # fmt: skip
        if not report.ok:
            name, detail = report.failure
            raise ShareError(str(path), name, detail)
        folder = self._shares_dir()
        folder.mkdir(parents=True, exist_ok=True)
        slug = hashlib.sha256(origin.encode()).hexdigest()[:16]
        atomic_write_text(folder / f"{slug}-{report.size:012d}.json", json.dumps(doc, ensure_ascii=False))
        self.__dict__.pop("_shared", None)
        for meter in report.meters:
            self._load()
            self._meters[meter.meter_id] = meter
            self._origins[meter.meter_id] = origin
        self._save()
        self.changed.emit()
        return report

    def _shared_entries(self, origin: str) -> dict[int, Any]:
        """The entries of ``origin`` this node holds from imported shares (checked when imported)."""
        cache = self.__dict__.setdefault("_shared", {})
        if origin not in cache:
            from console.ledger import decode_entry

            entries: dict[int, Any] = {}
            slug = hashlib.sha256(origin.encode()).hexdigest()[:16]
            for f in sorted(self._shares_dir().glob(f"{slug}-*.json")):
                try:
                    doc = json.loads(f.read_text("utf-8"))
                    for inc in doc["entries"]:
                        entries.setdefault(inc["index"], decode_entry(inc["entry"].encode("utf-8")))
                except (OSError, ValueError, KeyError, TypeError, GasOpsError) as exc:
                    raise MeteringError(f"{f}: an imported share cannot be read ({exc}); import it again") from None
            cache[origin] = entries
        return cache[origin]

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
        self._guard("feed.control", "sign a custody-transfer comparison")
        out = self.node.append("metering.custody", result.ledger_body(), author=self._author())
        if result.flagged:
            self.custody_flagged.emit(result)
        self.changed.emit()
        return out

    def custody_records(self) -> list[dict]:
        node = self.node
        return [node.entry(i).body for i in range(node.size()) if node.entry(i).type == "metering.custody"]

    # -- the network and its hydraulic state -------------------------------------------------------------------------
    def _linepack_path(self) -> Path:
        return Path(self.ledger.folder) / LINEPACK_FILE

    def linepack_snapshots(self) -> list[dict]:
        """Line pack per area at each time the network was solved (``{"time", "network", "areas": {area: Nm³}}``),
        oldest first; an unreadable file is reported, never guessed around."""
        path = self._linepack_path()
        if not path.exists():
            return []
        try:
            rows = json.loads(path.read_text("utf-8"))["snapshots"]
            if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("areas"), dict)
                                                     and isinstance(r.get("time"), str) for r in rows):  # fmt: skip
                raise ValueError("want a list of {time, areas}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MeteringError(f"{path}: not a line-pack record ({exc}); fix or remove it") from None
        return sorted(rows, key=lambda r: r["time"])

    def set_hydraulic_state(self, network: Any, result: Any, *, at: str | None = None) -> dict[str, float]:
        """Take the network's solved state: its areas, and its line pack per area, kept as a snapshot at ``at``
        (RFC 3339, default now) for the gas balance. Returns the line pack per area (Nm³)."""
        self.network, self.result = network, result
        areas = line_pack_by_area(network, result)
        when = at or format_time(datetime.now(UTC))
        if self.ledger.node is not None or Path(self.ledger.folder).exists():
            rows = [r for r in self.linepack_snapshots() if r["time"] != when]
            rows.append({"time": when, "network": str(getattr(network, "name", "")),
                         "version": int(getattr(result, "network_version", 0)), "areas": areas})  # fmt: skip
            rows = sorted(rows, key=lambda r: r["time"])[-LINEPACK_SNAPSHOTS:]
            atomic_write_text(self._linepack_path(), json.dumps({"snapshots": rows}, indent=1, ensure_ascii=False))
        return areas

    def linepack_at(self, area: str, time: str) -> tuple[float, str] | None:
        """The line pack of ``area`` at ``time``: the latest snapshot at or before it (else the earliest one: the
        state before the first solve is taken as that solve's), with the snapshot's time; None without any."""
        rows = [r for r in self.linepack_snapshots() if area in r["areas"]]
        if not rows:
            return None
        before = [r for r in rows if r["time"] <= time]
        row = before[-1] if before else rows[0]
        return float(row["areas"][area]), row["time"]

    def area_points(self, area: str) -> Any:
        """Map coordinates (n × 2, pairs of pipe ends) of ``area``'s pipes in the last solved state (None without
        one): what the map draws for a balance jump."""
        if self.network is None or self.result is None:
            return None
        import numpy as np

        from console.metering import area_pipe_rows

        rows = area_pipe_rows(self.network, self.result, area)
        if rows.size == 0:
            return None
        geoms = self.network["pipes"].geometry.array[rows]
        pts = []
        for g in geoms:
            if g is None or g.is_empty:
                continue
            xy = np.asarray(g.coords)
            pts.append(np.repeat(xy, 2, axis=0)[1:-1])  # segments as pairs
        return np.concatenate(pts) if pts else None

    def area_centre(self, area: str) -> tuple[float, float] | None:
        """Where a hazard of ``area`` is placed: the pipe point of the area nearest to its pipes' centroid."""
        pts = self.area_points(area)
        if pts is None:
            return None
        import numpy as np

        c = pts.mean(axis=0)
        best = pts[int(np.argmin(((pts - c) ** 2).sum(axis=1)))]
        return float(best[0]), float(best[1])

    def train_network(self, *, days: int = 1, leak_nm3h: dict[str, float] | None = None, start: str | None = None,
                      max_customers: int = 500, swap: bool = False) -> AnchorReport:  # fmt: skip
        """Training on the open network's own meters: the first call puts simulated meters on the solved network
        (:func:`console.metering.simulator_from_network`, registered in one transaction) starting at ``start``
        (default: midnight ``days`` days ago); each call runs ``days`` days with ``leak_nm3h`` per area and anchors
        them. The simulated devices' keys derive from the ledger's encrypted training key
        (:class:`console.metering.TrainingKeys`) and the simulator's state is kept beside the ledger, so a later
        session continues with the same meters, device identities, counters and totals. A missing or changed key
        file is a :class:`MeteringError`, unless ``swap``: then every training meter gets a new device, recorded in
        the ledger as a meter swap (``device.revoke`` of the old device, ``device.register`` of the new one)."""
        if self.network is None or self.result is None:
            raise MeteringError("no solved network: open a network and simulate it first")
        if self.trainer is None:
            self.trainer = self._restore_trainer(swap=swap)
        if self.trainer is None:
            begin = start or (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT00:00:00Z")
            keys = self._training_keys()
            sim = simulator_from_network(begin, self.network, self.result, max_customers=max_customers,
                                         profile_amplitude=0.3, key_factory=keys.device_key)  # fmt: skip
            known = {m.meter_id for m in self.meters()}
            clash = sorted(known & set(sim.meters))
            if clash and not swap:
                raise MeteringError(f"meters {', '.join(clash[:3])}… are registered from an earlier session whose "
                                    f"training state ({TRAINING_STATE_FILE}) is gone: swap the meters (new device "
                                    "keys, recorded in the ledger) or train on a new ledger")  # fmt: skip
            if clash:
                self._record_swaps([sim.meters[m] for m in clash], "the training state was lost")
            self.register_meters([s.meter for s in sim.meters.values() if s.meter.meter_id not in known])
            self.trainer = sim
            # steady state: the solved line pack holds through the training days
            self.set_hydraulic_state(self.network, self.result, at=format_time(sim.start))
        sim = self.trainer
        sim.leaks = dict(leak_nm3h or {})
        self.submit(sim.advance(int(days * 86_400)))
        report = self.anchor()
        self._save_trainer()
        return report

    # -- the training simulator's device keys across sessions -------------------------------------------------------
    def _training_state_path(self) -> Path:
        return Path(self.ledger.folder) / TRAINING_STATE_FILE

    def _training_keys(self) -> TrainingKeys:
        keys = self.__dict__.get("_keys")
        if keys is None:
            try:
                keys = TrainingKeys.load(self.node)
            except MeteringError:
                if (Path(self.node.folder) / "keys").exists() and self._training_state_path().exists():
                    raise
                keys = TrainingKeys.create(self.node)
            self.__dict__["_keys"] = keys
        return keys

    def _save_trainer(self) -> None:
        keys = self.__dict__.get("_keys")
        if self.trainer is None or keys is None:
            return
        state = {**self.trainer.to_state(), "generations": dict(keys.generations)}
        atomic_write_text(self._training_state_path(), json.dumps(state, ensure_ascii=False) + "\n")

    def _restore_trainer(self, *, swap: bool = False) -> MeteringSimulator | None:
        """The previous sessions' simulator with its device keys (None when none ran on this ledger)."""
        path = self._training_state_path()
        if not path.exists():
            return None
        try:
            state = json.loads(path.read_text("utf-8"))
            generations = {str(k): int(v) for k, v in state.pop("generations", {}).items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise MeteringError(f"{path}: not a training state ({exc}); fix or remove it") from None
        try:
            keys = TrainingKeys.load(self.node)
        except MeteringError:
            if not swap:
                raise
            old = Path(self.node.folder) / "keys" / "metering-training.key.json"
            if old.exists():  # kept, renamed, as evidence of what was found
                os.replace(old, old.with_name(f"{old.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"))
            keys = TrainingKeys.create(self.node)
        keys.generations = generations
        self.__dict__["_keys"] = keys
        try:
            sim = MeteringSimulator.from_state(state, keys.device_key)
        except ValueError as exc:
            raise MeteringError(f"{path}: {exc}; fix or remove it") from None
        registered = {m.meter_id: m.device for m in self.meters()}
        changed = [s for s in sim.meters.values()
                   if s.meter.meter_id in registered and registered[s.meter.meter_id] != s.device.did]  # fmt: skip
        if changed and not swap:
            raise MeteringError(f"the training key does not give meters {', '.join(s.meter.meter_id for s in changed[:3])}"
                                " their registered device identities (the key file was changed or replaced): swap "
                                "the meters (new device keys, recorded in the ledger) or restore the key file")  # fmt: skip
        if changed:
            self._record_swaps(changed, "the training key file was missing or changed")
        return sim

    def _record_swaps(self, sims: list, why: str) -> None:
        """Give each simulated meter a new device (generation + 1) and record the swap: the old device revoked, the
        new one registered under the same meter id; its readings start a new counter."""
        self._guard("feed.control", f"swap {len(sims)} training meter(s)")
        keys = self._training_keys()
        items = []
        swapped = []
        for sim in sims:
            meter_id = sim.meter.meter_id
            old = self.meter(meter_id)
            keys.generations[meter_id] = keys.generations.get(meter_id, 0) + 1
            sim.device.key = keys.device_key(meter_id)
            sim.device.counter, sim.device.pending = 0, []
            new = Meter.from_json({**old.to_json(), "device": sim.device.did})
            sim.meter = new
            items.extend(self._swap_items(old, new, f"meter swap of {meter_id}: {why}"))
            swapped.append(new)
        self._append_bulk(items)
        self._meters.update((m.meter_id, m) for m in swapped)
        self._save()
        log.warning("%d training meter(s) swapped to new device keys: %s", len(swapped), why)
        self.changed.emit()

    def _swap_items(self, old: Meter, new: Meter, reason: str) -> list[tuple[str, dict]]:
        items = []
        if self.node.state().devices.get(old.device) is not None:
            items.append(("device.revoke", {"device": old.device, "reason": reason}))
        body = {"device": new.device, "kind": f"meter.{new.kind}", "meter_id": new.meter_id}
        if new.station:
            body["site_digest"] = hashlib.sha256(new.station.encode("utf-8")).hexdigest()
        items.append(("device.register", body))
        return items

    def swap_meter(self, meter_id: str, new_device: str, reason: str) -> Meter:
        """A meter swap (换表): the meter's device is revoked (``device.revoke``) and ``new_device`` registered for
        the same meter id (``device.register``), in one transaction. Anchor the old device's last readings first:
        a batch of a revoked device is rejected. Its anchored readings stay provable (:meth:`prove` with
        ``device=``; the proof checks them against the old device's registration)."""
        self._load()
        old = self.meter(meter_id)
        if meter_id in self._origins:
            raise MeteringError(f"meter {meter_id} is a peer's meter: its owner records its swaps")
        if new_device == old.device or new_device in self.node.state().devices:
            raise MeteringError(f"meter {meter_id}: device {new_device} is already registered; a swap needs a new one")
        self._guard("feed.control", f"swap meter {meter_id}")
        new = Meter.from_json({**old.to_json(), "device": new_device})
        self._append_bulk(self._swap_items(old, new, f"meter swap of {meter_id}: {reason}"))
        self._meters[meter_id] = new
        self.__dict__.get("_last", {}).pop(meter_id, None)
        self._save()
        self.changed.emit()
        return new

    def meter_overview(self) -> list[dict]:
        """Each meter with its latest anchored period (``last_period``: the body, or None) and its origin."""
        out = []
        for m in self.meters():
            origin = self.origin_of(m.meter_id)
            last = self.period_bodies(m.meter_id, origin=origin)[-1:]
            out.append({**m.to_json(), "origin": origin,
                        "last_period": {k: v for k, v in last[0].items()} if last else None})  # fmt: skip
        return out

    def areas(self) -> list[str]:
        return sorted({m.area for m in self.meters() if m.area and m.meter_id not in self._origins})

    # -- gas balance -------------------------------------------------------------------------------------------------
    def balance(self, area: str, days: list[str], linepack_nm3: dict[str, float] | None = None) -> list[BalanceRow]:
        """Daily balance of ``area``: inflow (its gate and district meters) − consumption (its customer meters and
        the district meters that take gas on to areas downstream) − Δ line pack.

        ``linepack_nm3`` maps a time (RFC 3339, the days' boundaries) to the line pack then; without it the line
        pack comes from the network's solved states (:meth:`set_hydraulic_state`, :meth:`linepack_at`), and with
        neither the line pack counts as unchanged. Each day is flagged when it jumps out of its usual range."""
        mine = [m for m in self.meters() if m.meter_id not in self._origins]
        meters = [m for m in mine if m.area == area]
        outflow = [m for m in mine if m.from_area == area and m.area != area]
        if not meters:
            raise MeteringError(f"area {area!r} has no meters")
        sums: dict[str, list[float]] = {d: [0.0, 0.0] for d in days}
        for m, col in [*((m, 0 if m.kind != "customer" else 1) for m in meters), *((m, 1) for m in outflow)]:
            for b in self.period_bodies(m.meter_id):
                day = (parse_time(b["end"]) - timedelta(microseconds=1)).date().isoformat()
                if day in sums:
                    sums[day][col] += b.get("quantity_nm3", 0.0)

        def pack(t: str) -> float | None:
            if linepack_nm3 is not None:
                return linepack_nm3.get(t)
            got = self.linepack_at(area, t)
            return got[0] if got else None

        rows = []
        for d in days:
            start = d + "T00:00:00Z"
            end = format_time(parse_time(start) + timedelta(days=1))
            p0 = pack(start)
            p1 = pack(end)
            p0 = 0.0 if p0 is None else p0
            rows.append(gas_balance(area, start, end, sums[d][0], sums[d][1], p0, p0 if p1 is None else p1))
        flags = flag_jumps([r.ufg_pct for r in rows])
        out = []
        for row, jump in zip(rows, flags, strict=True):
            row = BalanceRow(**{**row.to_json(), "jump": jump})
            if jump:
                self.balance_jump.emit(row)
            out.append(row)
        return out

    def balance_hazard(self, row: BalanceRow) -> str | None:
        """The hazard already raised for this jump (its id), if any."""
        tag = f"{HAZARD_PREFIX}: {row.area} {row.start[:10]}"
        for h in hazard_rows(self.node, with_steps=False):
            if h.description.startswith(tag):
                return h.hazard_id
        return None

    def raise_balance_hazard(self, row: BalanceRow, x: float | None = None, y: float | None = None) -> str:
        """Raise a jump of unaccounted-for gas as a hazard candidate (``hazard.reported``, category leak) through the
        ledger service, with the logged-in operator's authority (``hazard.report``), at (x, y) or the area's centre.
        Raising the same area and day again returns the hazard already raised."""
        if not row.jump:
            raise MeteringError(f"{row.area} {row.start[:10]}: not a jump of unaccounted-for gas")
        done = self.balance_hazard(row)
        if done:
            return done
        if x is None or y is None:
            where = self.area_centre(row.area)
            if where is None:
                raise MeteringError(f"area {row.area}: no solved network to place the hazard on; simulate first")
            x, y = where
        pct = f"{row.ufg_pct:.2f} %" if row.ufg_pct is not None else "—"
        text = (f"{HAZARD_PREFIX}: {row.area} {row.start[:10]}: unaccounted-for gas {row.ufg_nm3:,.1f} Nm³ ({pct}) "
                f"beyond its usual range (inflow {row.inflow_nm3:,.1f}, consumption {row.consumption_nm3:,.1f}, "
                f"Δ line pack {row.linepack_change_nm3:,.1f} Nm³). Candidate leak: check the area.")  # fmt: skip
        hazard_id = new_hazard_id(self.node)
        self.ledger.report_hazard(x, y, category="leak", severity="major", description=text, hazard_id=hazard_id)
        self.changed.emit()
        return hazard_id

    def record_balance(self, row: BalanceRow) -> Any:
        self._guard("feed.control", "sign a gas balance")
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
        return self._station_figure(params, sensor_id, s.t, s.value, now - window_s, now, lel_pct_vol, gwp)

    def station_emission_from_history(
        self, params: StationParameters, sensor_id: str, history: Any, start: str, end: str, *,
        lel_pct_vol: float = 5.0, gwp: float = 29.8,
    ) -> EmissionFigure:  # fmt: skip
        """A station's emission over ``start``–``end`` from its methane detector's stored readings (% LEL) in a
        :class:`console.telemetry.HistoryStore` (the workspace's ``console.db``): what ``gasops meter emissions
        station`` reads after a feed has run."""
        t0, t1 = parse_time(start).timestamp(), parse_time(end).timestamp()
        if t1 <= t0:
            raise MeteringError(f"station {params.station}: the end {end} is not after the start {start}")
        try:
            h = history.readings(sensor_id, t0, t1 + 1e-6, "raw")
        except GasOpsError as exc:
            raise MeteringError(f"sensor {sensor_id}: {exc}") from None
        return self._station_figure(params, sensor_id, h.t, h.value, t0, t1, lel_pct_vol, gwp)

    def station_emission_for_period(
        self, params: StationParameters, sensor_id: str, start: str, end: str, *, lel_pct_vol: float = 5.0,
        gwp: float = 29.8,
    ) -> EmissionFigure:  # fmt: skip
        """A station's emission over ``start``–``end`` from its methane detector's readings in the live session's
        history (the workspace's ``console.db`` or historian): what the Metering dock computes."""
        if self.live is None:
            raise MeteringError("no live session: start a feed (or open the workspace's history) to read the "
                                "station's methane detector")  # fmt: skip
        store = getattr(getattr(self.live, "service", None), "store", None)
        if store is None:
            why = getattr(self.live, "history_error", "") or "it keeps no history"
            raise MeteringError(f"the live session has no readings history ({why})")
        try:
            store.flush()  # the readings of the last seconds too
        except (GasOpsError, OSError) as exc:
            log.warning("history not flushed before the emission estimate: %s", exc)
        return self.station_emission_from_history(params, sensor_id, store, start, end, lel_pct_vol=lel_pct_vol,
                                                  gwp=gwp)  # fmt: skip

    @staticmethod
    def _station_figure(params, sensor_id, t, lel, t0, t1, lel_pct_vol, gwp) -> EmissionFigure:
        import numpy as np

        t, lel = np.asarray(t, float), np.asarray(lel, float)
        ok = np.isfinite(t) & np.isfinite(lel)
        t, lel = t[ok], lel[ok]
        if t.size < 2:
            raise MeteringError(f"sensor {sensor_id}: fewer than two methane readings in the window; nothing to "
                                "integrate")  # fmt: skip
        order = np.argsort(t, kind="stable")
        t, lel = t[order], lel[order]
        keep = np.concatenate([[True], np.diff(t) > 0])  # one reading per instant
        t, lel = t[keep], lel[keep]
        ppm = lel * lel_pct_vol / 100 * 1e6 / 100  # % LEL -> volume fraction -> ppm
        digest = hashlib.sha256(t.tobytes() + lel.tobytes()).hexdigest()
        epoch = parse_time("1970-01-01T00:00:00Z")
        start = format_time(epoch + timedelta(seconds=float(t0)))
        end = format_time(epoch + timedelta(seconds=float(t1)))
        return station_emission(params, t, ppm, start=start, end=end, gwp=gwp, inputs=[digest])

    def vented_emission(self, subject: str, volume_nm3: float, *, start: str, end: str, scope: str = "incident",
                        plan_digest: str = "", gwp: float = 29.8) -> EmissionFigure:  # fmt: skip
        """Methane in gas vented by an incident or isolation (the isolation analysis's volume)."""
        return vented_emission(subject, volume_nm3, start=start, end=end, scope=scope, gwp=gwp,
                               inputs=[plan_digest] if plan_digest else [])  # fmt: skip

    def incident_emission(self, incidents: Any, incident_id: str, *, methane_fraction: float = 0.95,
                          gwp: float = 29.8) -> EmissionFigure:  # fmt: skip
        """Methane vented by an incident: the gas its latest signed plan vents (``gas_vented_nm3`` of
        ``incident.planned``, the isolation analysis's shut-off volume), from its opening to its closing (or to the
        plan while it is open); the input digest is the plan file's SHA-256. ``incidents`` is the
        :class:`~console.app.incidents.IncidentService` (read only)."""
        try:
            inc = incidents.incident(incident_id)
        except GasOpsError as exc:
            raise MeteringError(str(exc)) from None
        if inc.plan is None or "gas_vented_nm3" not in inc.plan.body:
            raise MeteringError(f"incident {incident_id} has no isolation plan yet: plan it to know the gas vented")
        body = inc.plan.body
        start = inc.opened.time if inc.opened is not None else inc.plan.time
        end = getattr(inc, "closed_at", "") or inc.plan.time
        try:
            return vented_emission(incident_id, float(body["gas_vented_nm3"]), start=start, end=end,
                                   methane_fraction=methane_fraction, scope="incident", gwp=gwp,
                                   inputs=[str(body.get("plan_sha256", ""))] if body.get("plan_sha256") else [])  # fmt: skip
        except ValueError as exc:
            raise MeteringError(str(exc)) from None

    def isolation_emission(self, result: Any, subject: str, *, start: str, end: str, methane_fraction: float = 0.95,
                           gwp: float = 29.8) -> EmissionFigure:  # fmt: skip
        """Methane vented by an isolation (an :class:`~console.isolation.IsolationResult` of the isolation
        analysis): its shut-off region's gas at operating pressure; the input digest is the SHA-256 of the result
        as JSON."""
        volume = float(result.impact.isolated_gas_volume_nm3)
        data = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True, default=str).encode()
        try:
            return vented_emission(subject, volume, start=start, end=end, methane_fraction=methane_fraction,
                                   scope="isolation", gwp=gwp, inputs=[hashlib.sha256(data).hexdigest()])  # fmt: skip
        except ValueError as exc:
            raise MeteringError(str(exc)) from None

    def record_emission(self, figure: EmissionFigure) -> Any:
        """Sign an emission figure into the ledger (``emission.estimate``) with the operator's authority."""
        self._guard("feed.control", "sign methane emission figures")
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
            "gwp_sources": {f"{g:g}": gwp_source(g) for g in sorted({r["gwp"] for r in rows})},
            "figures": rows,
            "totals": totals,
            "ch4_t": sum(r["ch4_t"] for r in rows),
            "co2e_t": sum(r["co2e_t"] for r in rows),
            "models": sorted({r["model"] for r in rows}),
            "gwp": sorted({r["gwp"] for r in rows}),
        }

    def emissions_report_html(self, month: str) -> str:
        """The month's report as a self-contained HTML page for the regulator: totals per scope and subject, every
        signed figure with its ledger entry and input digests, and the models, parameters and GWP used."""
        report = self.emissions_report(month)
        node = self.node
        refs = {}
        for i in range(node.size()):
            e = node.entry(i)
            if e.type == "emission.estimate":
                b = e.body
                refs.setdefault((b["scope"], b["subject"], b["start"], b["end"]), []).append(i)
        esc = html.escape
        gwps = ", ".join(f"{g:g}" for g in report["gwp"]) or "29.8"
        out = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>Methane emissions {esc(month)} — {esc(report['origin'])}</title>",
            "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:"
            "tabular-nums}th{background:#eee;color:#111}code{font-size:90%}</style></head><body>",
            f"<h1>Methane emissions — {esc(month)}</h1>",
            f"<p>Ledger <code>{esc(report['origin'])}</code>, {len(report['figures'])} signed figure(s). "
            f"Total <b>{report['ch4_t']:.4f} t CH₄</b> = <b>{report['co2e_t']:.3f} t CO₂e</b> "
            f"(GWP-100 {esc(gwps)}).</p>",
            "<h2>Totals per subject</h2><table><tr><th>Scope</th><th>Subject</th><th>t CH₄</th><th>t CO₂e</th></tr>",
        ]
        for key, t in sorted(report["totals"].items()):
            scope, subject = key.split(":", 1)
            out.append(f"<tr><td>{esc(scope)}</td><td>{esc(subject)}</td><td class='n'>{t['ch4_t']:.4f}</td>"
                       f"<td class='n'>{t['co2e_t']:.3f}</td></tr>")  # fmt: skip
        out.append("</table><h2>Signed figures</h2><table><tr><th>Entry</th><th>Scope</th><th>Subject</th>"
                   "<th>Start</th><th>End</th><th>t CH₄</th><th>t CO₂e</th><th>Model</th><th>Parameters</th>"
                   "<th>Input digests (SHA-256)</th></tr>")  # fmt: skip
        seen: dict[tuple, int] = {}
        for r in report["figures"]:
            key = (r["scope"], r["subject"], r["start"], r["end"])
            k = seen.get(key, 0)
            seen[key] = k + 1
            idx = refs.get(key, [])
            entry = f"#{idx[k]}" if k < len(idx) else "—"
            params = ", ".join(f"{esc(str(a))} = {esc(str(v))}" for a, v in sorted(r.get("parameters", {}).items()))
            inputs = "<br>".join(f"<code>{esc(d[:16])}…</code>" for d in r.get("inputs", [])) or "—"
            out.append(f"<tr><td>{entry}</td><td>{esc(r['scope'])}</td><td>{esc(r['subject'])}</td>"
                       f"<td>{esc(r['start'])}</td><td>{esc(r['end'])}</td><td class='n'>{r['ch4_t']:.6f}</td>"
                       f"<td class='n'>{r['co2e_t']:.4f}</td><td>{esc(r['model'])}</td><td>{params}</td>"
                       f"<td>{inputs}</td></tr>")  # fmt: skip
        out.append(
            "</table><h2>Models</h2><ul>"
            "<li><b>enclosure-mass-balance/v1</b> (stations): steady-state dilution ventilation of a well-mixed "
            "enclosure, E = Q · (C − C_bg) · ρ_CH₄(T, p), integrated over the detector's samples with the "
            "trapezoidal rule (ACGIH, <i>Industrial Ventilation</i>); the detector's % LEL is converted with LEL = "
            "5 % vol; parameters per station: ventilation Q, background C_bg, T, p.</li>"
            "<li><b>vented-volume/v1</b> (incidents, isolations): gas vented (Nm³ at 0 °C, 101.325 kPa, from the "
            "isolation analysis of the signed plan) × methane mole fraction × ρ_CH₄ = 0.7158 kg/m³.</li>"
            "<li>ρ_CH₄ from the ideal gas law, M = 16.043 g/mol. CO₂-equivalent with GWP-100 = 29.8 for fossil "
            "methane (IPCC AR6 WGI, Chapter 7, Table 7.15) unless stated per figure.</li></ul>"
            f"<p>Each figure is a signed <code>emission.estimate</code> entry of the ledger; verify with "
            f"<code>gasops ledger verify</code>. Log key <code>{esc(node.org_vkey)}</code>.</p></body></html>"
        )
        return "\n".join(out)

    def write_emissions_report(self, month: str, out: str | os.PathLike) -> Path:
        """Write the month's report: HTML for ``.html``/``.htm``, else JSON."""
        path = Path(out)
        if path.suffix.lower() in (".html", ".htm"):
            text = self.emissions_report_html(month)
        else:
            text = json.dumps(self.emissions_report(month), indent=1, ensure_ascii=False)
        atomic_write_text(path, text + "\n")
        return path
