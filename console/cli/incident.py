"""``gasops incident …``: emergency dispatch (应急抢险调度) from the command line, for scripted drills and tests, over
the same :class:`console.app.incidents.IncidentService` as the GUI. WORKSPACE is a folder with ``network.gpkg`` and
``ledger/`` (create the ledger with ``gasops ledger init --ledger WORKSPACE/ledger``).

    gasops incident open     WORKSPACE (--pipe ID [--at F] | --node ID | --xy X Y | --place NAME)
                             [--kind leak|rupture|fire|odour|pressure] [--source call|alarm|hazard|map|pipe]
                             [--caller NAME] [--phone N] [--description TEXT] [--symptom S …] [--new] [--json]
    gasops incident join     WORKSPACE ID [--caller NAME] [--phone N] [--description TEXT] [--symptom S …]
    gasops incident list     WORKSPACE [--all] [--json]
    gasops incident show     WORKSPACE ID [--json]
    gasops incident dispatch WORKSPACE ID CREW [--step FEATURE …]
    gasops incident crew     WORKSPACE ID CREW acknowledged|en_route|on_site|done
    gasops incident valve    WORKSPACE ID VALVE closed|failed|opened [--crew C] [--note TEXT]
    gasops incident reading  WORKSPACE ID QUANTITY VALUE UNIT [--feature ID]
    gasops incident notice   WORKSPACE ID [--kind outage|restoration|planned] [--language zh|en]
    gasops incident meter    WORKSPACE ID shut_off|relit|not_home|handed_over [METER …] (none: every one due)
    gasops incident purge    WORKSPACE ID [--note TEXT]
    gasops incident close    WORKSPACE ID [--summary TEXT]
    gasops incident report   WORKSPACE ID --out FILE.html [--lang en|zh_CN]

The ledger passphrase comes from ``$GASOPS_LEDGER_PASSPHRASE`` (or a prompt); with operators enrolled the command
acts as ``$GASOPS_OPERATOR`` (passphrase ``$GASOPS_OPERATOR_PASSPHRASE``). ``gasops ledger verify --ledger
WORKSPACE/ledger`` verifies every incident step.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.app.incidents import IncidentService
from console.app.ledger import LedgerService, environment_passphrase
from console.app.operators import OperatorService
from console.app.workspace import Workspace
from console.dispatch import (
    CREW_STATUSES,
    INCIDENT_KINDS,
    INCIDENT_SOURCES,
    METER_STEPS,
    REPORT_LANGUAGES,
    SYMPTOMS,
    IncidentError,
)
from console.errors import GasOpsError

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("incident", help="emergency dispatch: incidents from call to report")
    sub = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name: str, help_: str, with_id: bool = True) -> argparse.ArgumentParser:
        v = sub.add_parser(name, help=help_)
        v.add_argument("workspace", help="workspace folder (network.gpkg and ledger/)")
        if with_id:
            v.add_argument("incident_id", metavar="ID")
        v.add_argument("--json", action="store_true", help="print the incident as JSON")
        return v

    o = verb("open", "open an incident (plan, impact and grade at once)", with_id=False)
    o.add_argument("--pipe", default="", metavar="ID")
    o.add_argument("--at", type=float, default=None, metavar="F", help="position along the pipe, 0…1 (default 0.5)")
    o.add_argument("--node", default="", metavar="ID")
    o.add_argument("--xy", nargs=2, type=float, metavar=("X", "Y"), help="map point (network CRS)")
    o.add_argument("--place", default="", help="a named place (customer, regulator, station) to search for")
    o.add_argument("--kind", choices=INCIDENT_KINDS, default="leak")
    o.add_argument("--source", choices=INCIDENT_SOURCES, default="pipe")
    o.add_argument("--new", action="store_true", help="open even when an open incident is near (no join)")
    _caller_args(o)
    j = verb("join", "record a further call about an open incident")
    _caller_args(j)
    ls = verb("list", "the incidents", with_id=False)
    ls.add_argument("--all", action="store_true", help="closed incidents too")
    verb("show", "one incident: state, plan, crews, clocks")
    d = verb("dispatch", "assign plan steps to a crew (route and ETA along the streets)")
    d.add_argument("crew")
    d.add_argument("--step", action="append", default=None, metavar="FEATURE", help="plan step (default: by kind)")
    c = verb("crew", "a crew's acknowledgement or progress")
    c.add_argument("crew")
    c.add_argument("status", choices=CREW_STATUSES)
    v = verb("valve", "a valve closed, failed (would not turn: re-plan) or reopened")
    v.add_argument("valve")
    v.add_argument("action", choices=("closed", "failed", "opened"))
    v.add_argument("--crew", default="")
    v.add_argument("--note", default="")
    r = verb("reading", "a reading on site (methane %LEL, CO ppm, pressure kPa …)")
    r.add_argument("quantity")
    r.add_argument("value", type=float)
    r.add_argument("unit")
    r.add_argument("--feature", default="")
    n = verb("notice", "write the call list and SMS batch and record the notice")
    n.add_argument("--kind", choices=("outage", "restoration", "planned"), default="outage")
    n.add_argument("--language", choices=("zh", "en"), default="zh")
    n.add_argument("--lead-time-h", type=float, default=None)
    m = verb("meter", "per-meter restoration: shut_off, relit, not_home, handed_over")
    m.add_argument("step", choices=METER_STEPS)
    m.add_argument("meters", nargs="*", metavar="METER", help="customer ids (none: every one due for the step)")
    m.add_argument("--crew", default="")
    pg = verb("purge", "the isolated section was purged")
    pg.add_argument("--note", default="")
    cl = verb("close", "close the incident (commander)")
    cl.add_argument("--summary", default="")
    rp = verb("report", "write the after-action report (HTML)")
    rp.add_argument("--out", required=True, metavar="FILE.html")
    rp.add_argument("--lang", choices=REPORT_LANGUAGES, default="en",
                    help="language of the report's text (the figures, ids and hashes are the same in each)")  # fmt: skip
    p.set_defaults(handler=run)


def _caller_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--caller", default="", help="caller's name (kept off the ledger; a digest goes on it)")
    p.add_argument("--phone", default="", help="caller's phone (kept off the ledger; a digest goes on it)")
    p.add_argument("--description", default="")
    p.add_argument("--symptom", action="append", default=[], choices=sorted(SYMPTOMS))


def _service(folder: str) -> IncidentService:
    ws = Workspace(folder)
    if not ws.folder.is_dir():
        raise GasOpsError(f"{ws.folder}: no such workspace folder")
    if not ws.network_path.is_file():
        raise GasOpsError(f"{ws.network_path}: the workspace has no network.gpkg")
    ledger = LedgerService(ws.ledger_dir, authority=OperatorService())
    if not ledger.exists():
        raise GasOpsError(f"{ws.ledger_dir}: no ledger; create it with gasops ledger init --ledger {ws.ledger_dir}")
    passphrase = environment_passphrase()
    if passphrase is None:
        import getpass

        passphrase = getpass.getpass("ledger passphrase: ")
    ledger.open(passphrase)
    try:
        ledger.authority.login_from_environment()
        network = ws.load()
    except BaseException:
        ledger.close()
        raise
    return IncidentService(ledger, network=network, workspace=ws)


def _show(service: IncidentService, iid: str) -> dict:
    inc = service.incident(iid)
    d = inc.to_dict()
    d["clocks"] = [c.to_dict() for c in service.clocks(iid, inc.closed_at or None)]
    if inc.plan is not None:
        doc = service.plan_document(inc)
        imp = doc["isolation"]["impact"]
        d["impact"] = {k: imp[k] for k in ("customers_lost", "customers_by_category", "households",
                                          "isolated_gas_volume_nm3", "special_users")}  # fmt: skip
        d["effect"] = doc["effect"]
        d["plan"] = [{k: s[k] for k in ("order", "action", "feature_id", "required")} for s in doc["isolation"]["plan"]]
    return d


def _print(service: IncidentService, iid: str, as_json: bool, line: str = "") -> None:
    if as_json:
        print(json.dumps(_show(service, iid), ensure_ascii=False, indent=1))
    else:
        inc = service.incident(iid)
        print(line or f"{iid}: {inc.state}, grade {inc.grade or '—'}")


def run(args: argparse.Namespace) -> int:
    service = _service(args.workspace)
    try:
        return _run(service, args)
    except IncidentError as exc:
        raise GasOpsError(str(exc)) from None
    finally:
        service.ledger.close()


def _run(service: IncidentService, args: argparse.Namespace) -> int:
    verb = args.verb
    iid = getattr(args, "incident_id", "")
    if verb == "open":
        x, y = args.xy if args.xy else (None, None)
        inc = service.open(args.kind, source=args.source, pipe=args.pipe, node=args.node, x=x, y=y, place=args.place,
                           fraction=args.at, caller=args.caller, phone=args.phone, description=args.description,
                           symptoms=args.symptom, allow_duplicate=args.new)  # fmt: skip
        _print(service, inc.incident_id, args.json,
               f"{inc.incident_id} opened: grade {inc.grade}, {inc.households} households, "
               f"{len(inc.affected)} customers; close {', '.join(inc.valves) or 'no valves'}")  # fmt: skip
    elif verb == "join":
        service.join(iid, caller=args.caller, phone=args.phone, description=args.description, symptoms=args.symptom)
        _print(service, iid, args.json)
    elif verb == "list":
        rows = [
            service.incident(i.incident_id) for i in (service.incidents() if args.all else service.open_incidents())
        ]
        if args.json:
            print(json.dumps([_show(service, i.incident_id) for i in rows], ensure_ascii=False, indent=1))
        else:
            for i in rows:
                print(f"{i.incident_id}  {i.state:<10} grade {i.grade or '—':<8} {i.kind:<8} {i.feature_id}  "
                      f"{i.households} households  opened {i.opened.time}")  # fmt: skip
    elif verb == "show":
        d = _show(service, iid)
        if args.json:
            print(json.dumps(d, ensure_ascii=False, indent=1))
        else:
            for row in service.timeline(iid):
                print(f"{row.index:>5}  {row.time}  {row.who:<24} {row.activity}")
            print("clocks: " + ", ".join(f"{c['name']} {c['status']}" for c in d["clocks"]))
    elif verb == "dispatch":
        route = service.dispatch(iid, args.crew, args.step)
        eta = f", {route.length_m / 1000:.2f} km, ETA {route.eta_s / 60:.0f} min" if route is not None else ""
        _print(service, iid, args.json, f"{args.crew} dispatched to {iid}{eta}")
    elif verb == "crew":
        service.crew_status(iid, args.crew, args.status)
        _print(service, iid, args.json, f"{args.crew}: {args.status}")
    elif verb == "valve":
        inc = service.valve(iid, args.valve, args.action, crew=args.crew, note=args.note)
        _print(service, iid, args.json, f"{args.valve} {args.action}; {iid} is {inc.state}"
               + (f"; new plan: close {', '.join(inc.valves)}" if args.action == "failed" else ""))  # fmt: skip
    elif verb == "reading":
        service.reading(iid, args.quantity, args.value, args.unit, args.feature)
        _print(service, iid, args.json)
    elif verb == "notice":
        calls, sms = service.notify(iid, args.kind, args.language, lead_time_h=args.lead_time_h)
        _print(service, iid, args.json, f"call list {calls}\nSMS batch {sms}")
    elif verb == "meter":
        inc = service.meters(iid, args.step, args.meters or None, crew=args.crew)
        r = inc.restoration_counts()
        _print(service, iid, args.json, f"{iid}: {r['shut_off']} shut off, {r['relit']} relit, {r['not_home']} not at "
               f"home, {r['handed_over']} handed over, {r['pending']} pending")  # fmt: skip
    elif verb == "purge":
        service.purge(iid, args.note)
        _print(service, iid, args.json)
    elif verb == "close":
        service.close(iid, args.summary)
        _print(service, iid, args.json)
    elif verb == "report":
        out = service.report(iid, Path(args.out), lang=args.lang)
        print(f"report {out}")
    return 0
