"""``gasops meter …``: metering evidence (计量存证) from the command line, through the same
:class:`console.app.metering.MeteringService` as the GUI.

    gasops meter list     --ledger DIR [--json]
    gasops meter register --ledger DIR METER_ID --kind gate|district|customer --device DID
                          [--area A] [--station S] [--party utility|supplier] [--uncertainty PCT] [--gateway]
    gasops meter anchor   --ledger DIR BATCHES.jsonl [--until TIME] [--json]
    gasops meter simulate --ledger DIR [--start TIME] [--hours H] [--customers N] [--leak NM3H] [--area A]
    gasops meter simulate --network FILE --on-network [--start TIME] [--hours H] [--leak NM3H --area "PS0 LP"]
    gasops meter prove    --ledger DIR METER_ID COUNTER OUT.json [--device DID]   (DID: after a meter swap)
    gasops meter verify   PROOF.json [--log-key VKEY …] [--witness-key VKEY …] [--json]   (offline: no ledger)
    gasops meter custody  --ledger DIR STATION DAY [--record] [--json]
    gasops meter balance  --ledger DIR AREA DAY [DAY …] [--record] [--json]
    gasops meter emissions vented --ledger DIR SUBJECT VOLUME_NM3 --start T --end T [--fraction 0.95] [--record]
    gasops meter emissions station --ledger DIR --station S --sensor ID --ventilation M3H --start T --end T
                                  [--db console.db] [--background PPM] [--record]   (stored detector readings)
    gasops meter emissions incident --ledger DIR INCIDENT_ID [--fraction 0.95] [--record]   (its signed plan)
    gasops meter emissions report --ledger DIR MONTH [--out REPORT.html|REPORT.json]
    gasops meter scope    --ledger DIR PEER [--station S …] [--meter M …]   (what PEER may see; none: withdrawn)
    gasops meter share    --ledger DIR PEER OUT.json [--json]    (the peer's stations' entries, proofs, readings)
    gasops meter import-share --ledger DIR SHARE.json [--json]   (verified with the keys pinned for that peer)
    gasops meter verify-share SHARE.json --log-key VKEY [--witness-key VKEY …] [--quorum N] [--recipient ORIGIN]

A batches file holds one signed batch per line, ``{"meter_id", "body", "readings"}`` as devices hand them over.
``verify`` exits 0 when every check passed against pinned keys, 2 when the proof is only self-consistent (checked
with the keys in the file: pass ``--log-key``), 1 otherwise; the ledger's passphrase comes as for ``gasops ledger``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from console.app.ledger import LedgerService, environment_passphrase
from console.app.metering import MeteringService
from console.app.operators import OperatorService
from console.app.workspace import Workspace
from console.errors import GasOpsError
from console.metering import Meter, MeteringError, MeteringSimulator, SignedBatch, line_pack_by_area

__all__ = ["add_parser"]

MAX_BATCH_FILE_BYTES = 512 * 1024 * 1024


def add_parser(subparsers) -> None:
    meter = subparsers.add_parser("meter", help="metering evidence (计量存证): anchor, prove, custody, balance, CH4")
    sub = meter.add_subparsers(dest="meter_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ledger", help="ledger folder (default: the --network's workspace ledger, else ./ledger)")
        p.add_argument("--network", help="use the ledger of this network's workspace (as the GUI does)")
        p.add_argument("--passphrase-file", help="read the key passphrase from this file")

    p = sub.add_parser("list", help="the registered meters and their latest anchored period")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)

    p = sub.add_parser("register", help="register a meter's signing device (device.register)")
    common(p)
    p.add_argument("meter_id")
    p.add_argument("--kind", required=True, choices=("gate", "district", "customer"))
    p.add_argument("--device", required=True, help="the device's did:key")
    p.add_argument("--area", default="")
    p.add_argument("--station", default="")
    p.add_argument("--party", default="utility")
    p.add_argument("--uncertainty", type=float, default=0.0, help="expanded uncertainty, %% (default by kind)")
    p.add_argument("--gateway", action="store_true", help="the meter cannot sign: its gateway signs for it")
    p.set_defaults(handler=_register)

    p = sub.add_parser("anchor", help="check devices' signed batches and anchor them with their periods")
    common(p)
    p.add_argument("batches", nargs="?", help="JSON-lines file of signed batches")
    p.add_argument("--until", help="also anchor, as missing, periods that ended by this time with nothing received")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_anchor)

    p = sub.add_parser("simulate", help="training: simulated meters of one area (with a leak), anchored")
    common(p)
    p.add_argument("--start", default="2026-03-01T00:00:00Z")
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--customers", type=int, default=5)
    p.add_argument("--leak", type=float, default=0.0, help="leak in the area, Nm³/h")
    p.add_argument("--area", default="DMA-1")
    p.add_argument("--on-network", action="store_true",
                   help="meters of the --network itself (gate stations, regulators, customers), areas its pressure "
                   "systems; --leak goes into --area")  # fmt: skip
    p.add_argument("--max-customers", type=int, default=500, help="with --on-network: customers with own meters")
    p.add_argument("--swap", action="store_true",
                   help="with --on-network: the training key file is missing or changed: give the meters new "
                   "device keys, recorded in the ledger as meter swaps")  # fmt: skip
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("prove", help="write the offline proof of one reading")
    common(p)
    p.add_argument("meter_id")
    p.add_argument("counter", type=int)
    p.add_argument("out")
    p.add_argument("--device", help="the did:key of the device that signed the reading: needed when the meter was "
                   "swapped and more than one of its devices anchored that counter (the error lists them)")  # fmt: skip
    p.set_defaults(handler=_prove)

    p = sub.add_parser(
        "verify",
        aliases=["verify-proof"],
        help="verify a reading proof offline (exit 0 verified, 1 not, 2 keys not pinned)",
    )
    p.add_argument("proof")
    p.add_argument("--log-key", action="append", default=[], help="pinned log key (vkey); repeatable")
    p.add_argument("--witness-key", action="append", default=[], help="pinned witness key (vkey); repeatable")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("custody", help="compare a gate station's day between utility and supplier")
    common(p)
    p.add_argument("station")
    p.add_argument("day", help="YYYY-MM-DD")
    p.add_argument("--record", action="store_true", help="sign the comparison into the ledger")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_custody)

    p = sub.add_parser("balance", help="gas balance (输差) of an area per day")
    common(p)
    p.add_argument("area")
    p.add_argument("days", nargs="+", help="YYYY-MM-DD …")
    p.add_argument("--record", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_balance)

    p = sub.add_parser("scope", help="which stations and meters a ledger peer may receive (empty: withdrawn)")
    common(p)
    p.add_argument("peer")
    p.add_argument("--station", action="append", default=[], help="a station whose meters the peer sees; repeatable")
    p.add_argument("--meter", action="append", default=[], help="a meter id the peer sees; repeatable")
    p.set_defaults(handler=_scope)

    p = sub.add_parser("share", help="write a peer's share: its stations' entries with proofs to a checkpoint")
    common(p)
    p.add_argument("peer")
    p.add_argument("out")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_share)

    p = sub.add_parser("import-share", help="verify a peer's share with the keys pinned for it and import it")
    common(p)
    p.add_argument("share")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_import_share)

    p = sub.add_parser("verify-share", help="verify a share offline (exit 0 verified, 1 not)")
    p.add_argument("share")
    p.add_argument("--log-key", action="append", default=[], required=True, help="pinned log key (vkey); repeatable")
    p.add_argument("--witness-key", action="append", default=[], help="pinned witness key (vkey); repeatable")
    p.add_argument("--quorum", type=int, default=1, help="witness cosignatures required (default 1)")
    p.add_argument("--recipient", help="this node's origin: the share must be addressed to it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify_share)

    em = sub.add_parser("emissions", help="methane emissions (甲烷排放)")
    esub = em.add_subparsers(dest="emissions_command", metavar="WHAT", required=True)
    p = esub.add_parser("vented", help="methane in gas vented by an incident or isolation")
    common(p)
    p.add_argument("subject")
    p.add_argument("volume_nm3", type=float)
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--fraction", type=float, default=0.95, help="methane mole fraction of the gas")
    p.add_argument("--scope", default="incident", choices=("incident", "isolation", "station"))
    p.add_argument("--record", action="store_true")
    p.set_defaults(handler=_vented)
    p = esub.add_parser("station", help="a station's methane from its detector's stored readings (% LEL)")
    common(p)
    p.add_argument("--station", required=True, help="station id (gate station or regulator)")
    p.add_argument("--sensor", required=True, help="the station's methane detector (sensor id)")
    p.add_argument("--ventilation", type=float, required=True, help="exhaust air of the station house, m³/h")
    p.add_argument("--background", type=float, default=2.0, help="background methane, ppm (default 2)")
    p.add_argument("--lel", type=float, default=5.0, help="LEL of methane, %% vol (default 5)")
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--db", help="history database (default: the --network's workspace console.db)")
    p.add_argument("--record", action="store_true")
    p.set_defaults(handler=_station)
    p = esub.add_parser("incident", help="methane vented by an incident (the gas its signed isolation plan vents)")
    common(p)
    p.add_argument("incident_id")
    p.add_argument("--fraction", type=float, default=0.95, help="methane mole fraction of the gas")
    p.add_argument("--record", action="store_true")
    p.set_defaults(handler=_incident)
    p = esub.add_parser("report", help="the month's signed emission figures (for the regulator): JSON, or a file")
    common(p)
    p.add_argument("month", help="YYYY-MM")
    p.add_argument("--out", help="write the report here: .html for a page, else JSON")
    p.set_defaults(handler=_report)


# -- plumbing -------------------------------------------------------------------------------------------------------


def _folder(args: argparse.Namespace) -> Path:
    if getattr(args, "ledger", None):
        return Path(args.ledger)
    if getattr(args, "network", None):
        return Workspace.for_network(args.network).ledger_dir
    return Path("ledger")


def _passphrase(args: argparse.Namespace) -> str:
    if getattr(args, "passphrase_file", None):
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    env = environment_passphrase()
    if env:
        return env
    import getpass

    return getpass.getpass("ledger passphrase: ")


def _service(args: argparse.Namespace) -> MeteringService:
    ledger = LedgerService(_folder(args), authority=OperatorService())
    ledger.open(_passphrase(args))
    try:
        ledger.authority.login_from_environment()
    except GasOpsError:
        ledger.close()
        raise
    return MeteringService(ledger, ledger.authority)


def _run(args: argparse.Namespace, fn) -> int:
    svc = _service(args)
    try:
        return fn(svc)
    finally:
        svc.ledger.close()


def _print_json(value) -> None:
    print(json.dumps(value, indent=1, ensure_ascii=False, default=str))


def read_batches(path: str | Path) -> list[SignedBatch]:
    """Signed batches from a JSON-lines file; :class:`MeteringError` names the file and line of a bad one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BATCH_FILE_BYTES:
            raise MeteringError(f"{path}: larger than {MAX_BATCH_FILE_BYTES} bytes; split it")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MeteringError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise MeteringError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MeteringError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("meter_id"), str)
            or not isinstance(row.get("body"), dict)
            or not isinstance(row.get("readings"), list)
            or not all(isinstance(r, dict) for r in row["readings"])
        ):
            raise MeteringError(f'{path}:{n}: want {{"meter_id": str, "body": {{…}}, "readings": [{{…}}, …]}}')
        out.append(SignedBatch(row["meter_id"], row["body"], row["readings"]))
    return out


# -- verbs ----------------------------------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        rows = []
        for m in svc.meters():
            last = svc.period_bodies(m.meter_id, origin=svc.origin_of(m.meter_id))[-1:]
            rows.append({**m.to_json(), "origin": svc.origin_of(m.meter_id),
                         "last_period": {k: v for k, v in last[0].items() if not k.startswith("_")} if last else None})  # fmt: skip
        if args.json:
            _print_json(rows)
        else:
            for r in rows:
                lp = r["last_period"]
                status = f"{lp['end']} {lp['status']} {lp.get('quantity_nm3', '—')} Nm3" if lp else "no period anchored"
                print(f"{r['meter_id']:<16} {r['kind']:<9} {r['area']:<10} {r['station']:<10} {status}")
        return 0

    return _run(args, run)


def _register(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        meter = Meter(args.meter_id, args.kind, args.device, area=args.area, station=args.station, party=args.party,
                      uncertainty_pct=args.uncertainty, signs=not args.gateway)  # fmt: skip
        svc.register_meter(meter)
        print(f"meter {meter.meter_id} registered: device {meter.device}")
        return 0

    return _run(args, run)


def _anchor_report(report, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_json())
        return
    for p in report.periods:
        why = "; ".join(x["detail"] for x in p.problems + p.events)
        print(f"{p.meter_id:<16} {p.start} – {p.end}  {p.status:<8} {p.received}/{p.expected}"
              + (f"  {p.quantity_nm3} Nm3" if p.quantity_nm3 is not None else "") + (f"  ({why})" if why else ""))  # fmt: skip
    print(f"{report.batch_entries} batch(es) and {report.period_entries} period(s) anchored; "
          f"{len(report.rejected)} rejected")  # fmt: skip


def _anchor(args: argparse.Namespace) -> int:
    batches = read_batches(args.batches) if args.batches else []

    def run(svc: MeteringService) -> int:
        svc.submit(batches)
        report = svc.anchor(until=args.until)
        _anchor_report(report, args.json)
        return 0

    return _run(args, run)


def _simulate(args: argparse.Namespace) -> int:
    if args.on_network:
        return _simulate_network(args)

    def run(svc: MeteringService) -> int:
        sim = MeteringSimulator(args.start, profile_amplitude=0.3)
        prefix = f"{args.area}-{len(svc.meters()):03d}"
        gate = sim.add_inflow(f"{prefix}-GS", args.area, station=f"{args.area}-GS")
        svc.register_meter(gate.meter)
        for i in range(args.customers):
            c = sim.add_customer(f"{prefix}-C{i:02d}", args.area, 20.0 + 15.0 * (i % 4))
            svc.register_meter(c.meter)
        sim.set_leak(args.area, args.leak)
        svc.submit(sim.advance(args.hours * 3600))
        _anchor_report(svc.anchor(), False)
        return 0

    return _run(args, run)


def _simulate_network(args: argparse.Namespace) -> int:
    if not args.network:
        raise MeteringError("--on-network needs --network FILE (the network whose meters to train on)")
    from console.app.workspace import load_network
    from console.hydraulics import simulate

    network = load_network(args.network)
    result = simulate(network)

    def run(svc: MeteringService) -> int:
        svc.set_hydraulic_state(network, result, at=args.start)
        areas = svc.areas() or sorted(set(line_pack_by_area(network, result)))
        leak = {args.area: args.leak} if args.leak else None
        if leak and args.area not in line_pack_by_area(network, result):
            raise MeteringError(f"area {args.area!r} is not a pressure system of {args.network}; areas: "
                                + ", ".join(sorted(line_pack_by_area(network, result))))  # fmt: skip
        report = svc.train_network(days=args.hours / 24, leak_nm3h=leak, start=args.start,
                                   max_customers=args.max_customers, swap=args.swap)  # fmt: skip
        print(f"{len(svc.trainer.meters)} meters on {network.name}: "
              f"{sum(1 for m in svc.trainer.meters.values() if m.meter.kind == 'gate')} gate, "
              f"{sum(1 for m in svc.trainer.meters.values() if m.meter.kind == 'district')} district, "
              f"{sum(1 for m in svc.trainer.meters.values() if m.meter.kind == 'customer')} customer; "
              f"areas {', '.join(areas)}")  # fmt: skip
        print(f"{report.batch_entries} batch(es) and {report.period_entries} period(s) anchored; "
              f"{len(report.rejected)} rejected")  # fmt: skip
        return 0

    return _run(args, run)


def _prove(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        out = svc.prove(args.meter_id, args.counter, args.out, device=args.device)
        print(f"proof of reading {args.counter} of meter {args.meter_id}"
              + (f" (device {args.device})" if args.device else "") + f" written to {out}")  # fmt: skip
        print(f"verify it offline: gasops meter verify {out} --log-key {svc.node.org_vkey}")
        return 0

    return _run(args, run)


def _verify(args: argparse.Namespace) -> int:
    report = MeteringService.verify_proof(args.proof, log_keys=args.log_key or None,
                                          witness_keys=args.witness_key or None)  # fmt: skip
    if args.json:
        _print_json(report.to_json())
    else:
        for c in report.checks:
            print(f"{'ok ' if c.ok else 'FAIL'} {c.name:<28} {c.detail}")
        r = report.reading or {}
        verdict = "VERIFIED" if report.ok else f"NOT VERIFIED ({report.failure})"
        print(f"{verdict}: meter {report.meter_id} reading {r.get('counter')} = {r.get('value')} {r.get('unit')} "
              f"at {r.get('time')}" + ("" if report.pinned else " — keys from the file, not pinned: pass --log-key"))  # fmt: skip
    return (0 if report.pinned else 2) if report.ok else 1


def _custody(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        result = svc.custody(args.station, args.day)
        if args.record:
            svc.record_custody(result)
        if args.json:
            _print_json(result.to_json())
        else:
            u, s = result.utility, result.supplier
            print(f"{result.station} {result.day}: utility {u.quantity_nm3} Nm3, supplier {s.quantity_nm3} Nm3")
            if result.difference_nm3 is not None:
                print(f"difference {result.difference_nm3:+.3f} Nm3 ({result.difference_pct:+.3f} %), "
                      f"combined uncertainty ±{result.tolerance_nm3:.3f} Nm3, E_n {result.en:+.3f}")  # fmt: skip
            print(result.status.upper() + ("" if not result.notes else ": " + "; ".join(result.notes)))
        return 0

    return _run(args, run)


def _balance(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        rows = svc.balance(args.area, args.days)
        if args.record:
            for row in rows:
                svc.record_balance(row)
        if args.json:
            _print_json([r.to_json() for r in rows])
            return 0
        for r in rows:
            pct = f" ({r.ufg_pct:.2f} %)" if r.ufg_pct is not None else ""
            print(f"{r.area} {r.start[:10]}: in {r.inflow_nm3:.1f}  out {r.consumption_nm3:.1f}  "
                  f"Δpack {r.linepack_change_nm3:.1f}  UFG {r.ufg_nm3:.1f} Nm3{pct}" + ("  JUMP" if r.jump else ""))  # fmt: skip
        return 0

    return _run(args, run)


def _vented(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        from console.metering import vented_emission

        fig = vented_emission(args.subject, args.volume_nm3, start=args.start, end=args.end, scope=args.scope,
                              methane_fraction=args.fraction)  # fmt: skip
        if args.record:
            svc.record_emission(fig)
        _print_json(dataclasses.asdict(fig))
        return 0

    try:
        return _run(args, run)
    except ValueError as exc:
        raise MeteringError(str(exc)) from None


def _record_and_print(svc: MeteringService, fig, record: bool) -> int:
    if record:
        svc.record_emission(fig)
    _print_json(dataclasses.asdict(fig))
    return 0


def _station(args: argparse.Namespace) -> int:
    from console.metering import StationParameters
    from console.telemetry import HistoryStore

    if args.db:
        db = Path(args.db)
    elif args.network:
        db = Workspace.for_network(args.network).db_path
    else:
        raise MeteringError("give --db console.db (or --network FILE: its workspace's history)")
    if not db.exists():
        raise MeteringError(f"{db}: no history database (run a feed with that workspace first)")
    if args.ventilation <= 0 or not 0 < args.lel <= 100 or args.background < 0:
        raise MeteringError("--ventilation must be > 0, --lel in (0, 100] and --background ≥ 0")
    store = HistoryStore(db)
    params = StationParameters(args.station, args.ventilation, background_ppm=args.background)
    try:
        return _run(args, lambda svc: _record_and_print(
            svc, svc.station_emission_from_history(params, args.sensor, store, args.start, args.end,
                                                   lel_pct_vol=args.lel), args.record))  # fmt: skip
    except ValueError as exc:
        raise MeteringError(str(exc)) from None
    finally:
        store.close()


def _incident(args: argparse.Namespace) -> int:
    from console.app.incidents import IncidentService

    return _run(args, lambda svc: _record_and_print(
        svc, svc.incident_emission(IncidentService(svc.ledger), args.incident_id, methane_fraction=args.fraction),
        args.record))  # fmt: skip


def _report(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        if args.out:
            out = svc.write_emissions_report(args.month, args.out)
            print(f"emissions report of {args.month} written to {out}")
        else:
            _print_json(svc.emissions_report(args.month))
        return 0

    return _run(args, run)


def _scope(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        scope = svc.set_peer_scope(args.peer, stations=args.station, meters=args.meter)
        if scope["stations"] or scope["meters"]:
            print(f"{args.peer} may see stations {', '.join(scope['stations']) or '—'} and meters "
                  f"{', '.join(scope['meters']) or '—'}")  # fmt: skip
        else:
            print(f"{args.peer} sees no metering evidence")
        return 0

    return _run(args, run)


def _share(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        out, summary = svc.share_for_peer(args.peer, args.out)
        if args.json:
            _print_json({**summary, "path": str(out)})
        else:
            print(f"share for {args.peer} written to {out}: meters {', '.join(summary['meters'])}, "
                  f"{summary['batches']} batch(es), {summary['entries']} entries proved to checkpoint size "
                  f"{summary['checkpoint_size']}")  # fmt: skip
        return 0

    return _run(args, run)


def _share_report(report, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_json())
        return
    for name, ok, detail in report.checks:
        print(f"{'ok ' if ok else 'FAIL'} {name:<22} {detail}")


def _import_share(args: argparse.Namespace) -> int:
    def run(svc: MeteringService) -> int:
        report = svc.import_share(args.share)
        _share_report(report, args.json)
        if not args.json:
            print(f"imported from {report.origin}: meters {', '.join(m.meter_id for m in report.meters)}")
        return 0

    return _run(args, run)


def _verify_share(args: argparse.Namespace) -> int:
    from console.metering import read_share_file, verify_share

    doc = read_share_file(args.share)
    report = verify_share(doc, log_keys=args.log_key, witness_keys=args.witness_key, quorum=args.quorum,
                          recipient=args.recipient)  # fmt: skip
    _share_report(report, args.json)
    if not args.json:
        failure = report.failure
        print("VERIFIED" if report.ok else f"NOT VERIFIED ({failure[0]}: {failure[1]})")
    return 0 if report.ok else 1
