"""``gasops ledger …``: the evidence ledger from the command line, through the same
:class:`console.app.ledger.LedgerService` as the GUI.

    gasops ledger init     --ledger DIR --origin ORIGIN [--quorum N]
    gasops ledger hazard report  --ledger DIR --at X Y --category C --severity S --description TEXT
                                 [--crs EPSG:4529] [--asset ID] [--reporter NAME] [--attach FILE …] [--id HZ-…]
    gasops ledger hazard advance --ledger DIR HAZARD_ID [STEP] [--assignee WHO] [--due DATE] [--description TEXT]
                                 [--result pass|fail] [--note TEXT] [--attach FILE …]
    gasops ledger hazard list    --ledger DIR [--status STATUS] [--json]
    gasops ledger serve    --ledger DIR [--host 127.0.0.1] [--port 8470] [--c2sp] [--timeout S]
    gasops ledger sync     --ledger DIR [--peer NAME] [--recover PEER] [--no-cosign]
    gasops ledger append   --ledger DIR TYPE BODY.json|'{…}' [--attach FILE …]
    gasops ledger verify   --ledger DIR [--workers N] [--json]
    gasops ledger export   --ledger DIR --hazard ID OUT.zip
    gasops ledger verify-bundle BUNDLE.zip [--report OUT.html] [--trust-file TRUST.json] [--trust VKEY …]
                                [--quorum N] [--lang en|zh_CN]
                                exit 0 verified, 1 not verified, 2 self-consistent but not trusted
    gasops ledger evidence --ledger DIR list | export ID OUT.json      (portable proofs of equivocation)
    gasops ledger evidence verify PROOF.json [--key VKEY …]            exit 0 proven, 1 not a proof, 2 not trusted
    gasops ledger peers    --ledger DIR [list | self | add NAME URL ORIGIN VKEY WITNESS_VKEY | remove NAME]
    gasops ledger witnesses --ledger DIR [list | add NAME URL VKEY | remove NAME | cosign]
                                 outside C2SP tlog-witness witnesses of this log (URL: their submission prefix)

``--network FILE`` instead of ``--ledger DIR`` uses the ledger of that network's workspace (the GUI's). The
passphrase comes from ``$GASOPS_LEDGER_PASSPHRASE``, ``--passphrase-file`` or a prompt; it is never echoed or logged.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from console.app.hazards import CATEGORIES, SEVERITIES, STEP_LABELS, media_type
from console.app.ledger import LedgerService, environment_passphrase
from console.app.operators import OperatorService
from console.app.workspace import Workspace
from console.errors import GasOpsError
from console.ledger import (
    BUNDLE_REPORT_LANGUAGES,
    HAZARD_STEPS,
    LedgerServer,
    StoreDamagedError,
    SyncLimits,
    TrustPolicy,
    ask_outside_witnesses,
    export_equivocation,
    verify_bundle,
    verify_equivocation,
    verify_store,
)

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    ledger = subparsers.add_parser("ledger", help="evidence ledger (区块链存证): signed logs, sync, witnesses, bundles")
    sub = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ledger", help="ledger folder (default: the --network's workspace ledger, else ./ledger)")
        p.add_argument("--network", help="use the ledger of this network's workspace (as the GUI does)")
        p.add_argument("--passphrase-file", help="read the key passphrase from this file")

    p = sub.add_parser("init", help="create a ledger: keys, database, genesis entry")
    common(p)
    p.add_argument("--origin", required=True, help="log name, a schema-less URL such as ledger.example-gas.cn/city")
    p.add_argument("--quorum", type=int, default=1, help="witness cosignatures a checkpoint needs (default 1)")
    p.set_defaults(handler=_init)

    _add_hazard_parser(sub, common)

    p = sub.add_parser("serve", help="serve this node's logs to its peers over HTTP")
    common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8470)
    p.add_argument(
        "--c2sp",
        action="store_true",
        help="also serve the log read-only as C2SP tlog-tiles (/tlog/…) and witness over tlog-witness "
        "(/add-checkpoint) for tools that do not sign GasOps requests",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds a client may take per request (default 10)")
    p.set_defaults(handler=_serve)

    p = sub.add_parser("sync", help="pull peers' logs, cosign them, and collect cosignatures of ours")
    common(p)
    p.add_argument("--peer", help="only this peer")
    p.add_argument(
        "--recover",
        metavar="PEER",
        help="restore this node's own log from PEER, or from 'any' peer holding it (after restoring a backup)",
    )
    p.add_argument("--no-cosign", action="store_true", help="do not ask peers to cosign our checkpoint")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.set_defaults(handler=_sync)

    p = sub.add_parser("append", help="sign and append one raw entry (hazards: use `gasops ledger hazard`)")
    common(p)
    p.add_argument("type", help="entry type, e.g. incident.action, gis.changeset")
    p.add_argument("body", help="the entry body as JSON, or @FILE")
    p.add_argument("--attach", nargs="*", default=[], help="evidence files to store and reference as attachments")
    p.set_defaults(handler=_append)

    p = sub.add_parser("verify", help="recompute every log; name the first bad index when tampered")
    common(p)
    p.add_argument("--workers", type=int, default=1, help="processes for signature checks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("export", help="write the evidence bundle of a hazard")
    common(p)
    p.add_argument("--hazard", required=True)
    p.add_argument("--origin", help="log holding the hazard (default: this node's)")
    p.add_argument("output")
    p.set_defaults(handler=_export)

    p = sub.add_parser("verify-bundle", help="verify an evidence bundle offline and write an HTML report")
    p.add_argument("bundle")
    p.add_argument("--report", help="HTML report path (default: BUNDLE.html)")
    p.add_argument(
        "--trust",
        nargs="*",
        default=[],
        metavar="VKEY",
        help="log keys (type 0x01) and witness keys (type 0x04) you trust, obtained out of band",
    )
    p.add_argument("--trust-file", help="a gasops-trust/v1 JSON file: log keys by origin, witness keys, quorum")
    p.add_argument("--quorum", type=int, help="witness cosignatures required (default: the trust file's, else 1)")
    p.add_argument("--lang", choices=BUNDLE_REPORT_LANGUAGES, default="en",
                   help="language of the HTML report's text (the checks and digests are the same in each)")  # fmt: skip
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify_bundle)

    p = sub.add_parser("evidence", help="equivocations (分叉证据): list them, export a portable proof, verify one")
    common(p)
    p.add_argument("action", choices=["list", "export", "verify"])
    p.add_argument("args", nargs="*", help="export: ID OUT.json; verify: PROOF.json")
    p.add_argument(
        "--key", nargs="*", default=[], metavar="VKEY", help="verify: the log's key(s), obtained out of band"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_evidence)

    p = sub.add_parser("peers", help="list peers, show this node's keys, add or remove a peer")
    common(p)
    p.add_argument("action", nargs="?", default="list", choices=["list", "self", "add", "remove"])
    p.add_argument("args", nargs="*", help="for add: NAME URL ORIGIN VKEY WITNESS_VKEY; for remove: NAME")
    p.set_defaults(handler=_peers)

    p = sub.add_parser(
        "witnesses",
        help="outside witnesses speaking C2SP tlog-witness: list, add, remove, ask them to cosign our checkpoint",
    )
    common(p)
    p.add_argument("action", nargs="?", default="list", choices=["list", "add", "remove", "cosign"])
    p.add_argument(
        "args", nargs="*", help="for add: NAME URL VKEY (URL: the witness's submission prefix); remove: NAME"
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_witnesses)

    p = sub.add_parser(
        "operators",
        help="operators (操作员): list, add, change roles, revoke (administrators; act as one with $GASOPS_OPERATOR)",
    )
    common(p)
    p.add_argument("action", nargs="?", default="list", choices=["list", "add", "roles", "revoke"])
    p.add_argument("operator_id", nargs="?", help="the operator's id (add, roles, revoke)")
    p.add_argument("--name", help="the operator's name (add; kept off the ledger, which holds a keyed digest)")
    p.add_argument("--roles", help="comma-separated roles (add, roles): dispatcher,planner,reviewer,commander,"
                   "administrator")  # fmt: skip
    p.add_argument("--reason", default="", help="why (roles, revoke)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_operators)


def _add_hazard_parser(sub, common) -> None:
    hazard = sub.add_parser("hazard", help="the hazard register (隐患登记): report, advance, list")
    hsub = hazard.add_subparsers(dest="hazard_command", metavar="STEP", required=True)

    p = hsub.add_parser("report", help="sign a new hazard (上报) at a map point")
    common(p)
    p.add_argument("--at", nargs=2, type=float, required=True, metavar=("X", "Y"), help="map coordinates")
    p.add_argument("--crs", default="", help="CRS of X Y, e.g. EPSG:4529 (that of the network on the map)")
    p.add_argument("--category", required=True, choices=[k for k, _ in CATEGORIES])
    p.add_argument("--severity", required=True, choices=[k for k, _ in SEVERITIES])
    p.add_argument("--description", required=True)
    p.add_argument("--asset", default="", help="id of the pipe, valve or station concerned")
    p.add_argument("--reporter", default="", help="who reports (written only as a keyed digest)")
    p.add_argument("--attach", nargs="*", default=[], help="photos or documents kept as evidence")
    p.add_argument("--id", dest="hazard_id", help="hazard id (default HZ-YYYYMMDD-NNN)")
    p.set_defaults(handler=_hazard_report)

    p = hsub.add_parser("advance", help="sign a hazard's next lifecycle step (派单 整改 复核 销号)")
    common(p)
    p.add_argument("hazard_id")
    p.add_argument("step", nargs="?", choices=HAZARD_STEPS[1:], help="default: the step after its status")
    for field in ("assignee", "due", "description", "result", "note"):
        p.add_argument(f"--{field}")
    p.add_argument("--attach", nargs="*", default=[], help="evidence files (rectified, verified)")
    p.set_defaults(handler=_hazard_advance)

    p = hsub.add_parser("list", help="the register: every hazard with its status and proof badge")
    common(p)
    p.add_argument("--status", choices=HAZARD_STEPS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_hazard_list)


def _passphrase(args: argparse.Namespace, confirm: bool = False) -> str:
    if getattr(args, "passphrase_file", None):
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    env = environment_passphrase()
    if env:
        return env
    import getpass

    value = getpass.getpass("ledger passphrase: ")
    if confirm and getpass.getpass("again: ") != value:
        raise GasOpsError("the passphrases differ")
    return value


def _folder(args: argparse.Namespace) -> Path:
    if getattr(args, "ledger", None):
        return Path(args.ledger)
    if getattr(args, "network", None):
        return Workspace.for_network(args.network).ledger_dir
    return Path("ledger")


def _service(args: argparse.Namespace, unlock: bool = True) -> LedgerService:
    """The ledger named on the command line, open (and unlocked when signing), acting as the operator named by
    ``$GASOPS_OPERATOR`` (passphrase from ``$GASOPS_OPERATOR_PASSPHRASE`` or a prompt) when the ledger has operators."""
    service = LedgerService(_folder(args), authority=OperatorService())
    service.open(_passphrase(args) if unlock else None, unlock=unlock)
    try:
        service.authority.login_from_environment()
    except GasOpsError:
        service.close()
        raise
    return service


def _init(args: argparse.Namespace) -> int:
    service = LedgerService(_folder(args))
    node = service.create(args.origin, _passphrase(args, confirm=True), quorum=args.quorum)
    print(f"created ledger {service.folder} for log {node.origin}")
    print(f"organisation key  {node.org_vkey}")
    print(f"witness key       {node.witness_vkey}")
    service.close()
    return 0


def _hazard_report(args: argparse.Namespace) -> int:
    service = _service(args)
    try:
        x, y = args.at
        result = service.report_hazard(
            x, y, category=args.category, severity=args.severity, description=args.description, asset_id=args.asset,
            actor=args.reporter, files=args.attach, hazard_id=args.hazard_id, crs=args.crs,
        )  # fmt: skip
        hazard_id = service.node.entry(result.index).body["hazard_id"]
        print(f"{hazard_id} reported: entry {result.index} of {result.origin} (leaf {result.leaf_hash[:16]})")
    finally:
        service.close()
    return 0


def _hazard_advance(args: argparse.Namespace) -> int:
    service = _service(args)
    try:
        fields = {k: getattr(args, k) for k in ("assignee", "due", "description", "result", "note")}
        result = service.advance_hazard(args.hazard_id, args.step, fields, args.attach)
        step = result.type.split(".", 1)[1]
        print(f"{args.hazard_id} {step}: entry {result.index} of {result.origin} (leaf {result.leaf_hash[:16]})")
    finally:
        service.close()
    return 0


def _hazard_list(args: argparse.Namespace) -> int:
    service = _service(args, unlock=False)
    try:
        rows = [r for r in service.hazards() if args.status is None or r.status == args.status]
    finally:
        service.close()
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in rows], indent=2, ensure_ascii=False, default=_nan_as_none))
        return 0
    if not rows:
        print("no hazards")
    for r in rows:
        label = STEP_LABELS.get(r.status, r.status)
        print(
            f"{r.hazard_id:<18} {label:<16} {r.severity:<9} {r.category:<12} {r.badge:<10} {r.origin}  {r.description}"
        )
    return 0


def _nan_as_none(value):
    return None if isinstance(value, float) and value != value else str(value)


def _serve(args: argparse.Namespace) -> int:
    import threading

    service = _service(args)
    server = LedgerServer(service.node, args.host, args.port, c2sp=args.c2sp, timeout_s=args.timeout)
    print(f"serving {service.node.origin} on {server.start()} (Ctrl+C to stop)")
    try:
        threading.Event().wait()
    finally:
        server.stop()
        service.close()
    return 0


def _sync(args: argparse.Namespace) -> int:
    service = _service(args)
    try:
        handle = service.sync(
            args.peer, recover_from=args.recover, cosign=not args.no_cosign, limits=SyncLimits(timeout_s=args.timeout)
        )
        report = handle.future.result()  # the CLI's jobs run inline: done, or raises the job's error
        node = service.node
        if report.recovered is not None:
            r = report.recovered
            print(f"recovered {r.entries_added} entries of {node.origin} from {args.recover} (now {node.size()})")
        for r in report.results:
            print(f"{r.peer:<16} {r.origin:<36} {r.status:<12} {r.old_size:>9} -> {r.new_size:<9} {r.problem or ''}")
        w = report.witness
        if not args.no_cosign and not report.results and service.node.outside_witnesses():
            for o in ask_outside_witnesses(node, SyncLimits(timeout_s=args.timeout)):
                print(f"witness {o.witness:<16} {o.status:<12} {o.problem or ''}")
            w = node.witness_status()
        if w is not None:
            print(
                f"checkpoint {w.size}: {len(w.cosigners)}/{w.quorum} cosignatures {'(witnessed)' if w.witnessed else ''}"
            )
    finally:
        service.close()
    return 0 if report.ok else 1


def _append(args: argparse.Namespace) -> int:
    service = _service(args)
    try:
        node = service.node
        text = Path(args.body[1:]).read_text(encoding="utf-8") if args.body.startswith("@") else args.body
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise GasOpsError(f"entry body is not JSON: {exc}") from exc
        for f in args.attach:
            body.setdefault("attachments", []).append(node.put_evidence(Path(f).read_bytes(), media_type(f)))
        r = node.append(args.type, body)
        print(json.dumps(r.to_dict()))
    finally:
        service.close()
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        service = _service(args, unlock=False)
    except StoreDamagedError:
        # The node cannot even be opened: check what can be read of the database and say what is damaged.
        report = verify_store(_folder(args), workers=args.workers)
    else:
        try:
            report = service.verify(workers=args.workers).future.result()
        finally:
            service.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for log in report.logs:
            if log.ok:
                print(f"OK    {log.origin}: {log.size} entries, {log.checkpoints_checked} checkpoints")
            else:
                print(f"BAD   {log.origin}: first bad index {log.first_bad_index} ({log.kind}): {log.detail}")
        print(f"verified in {report.seconds:.1f} s")
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    service = _service(args, unlock=False)
    try:
        out = service.export_bundle(args.hazard, args.output, args.origin)
    finally:
        service.close()
    print(f"wrote {out}")
    return 0


def _trust_policy(args: argparse.Namespace) -> TrustPolicy | None:
    """The trust policy of the command line: a trust file, keys given with --trust, or both (None: no policy)."""
    policy = TrustPolicy.from_file(args.trust_file, args.quorum) if args.trust_file else None
    if args.trust:
        given = TrustPolicy.from_vkeys(
            args.trust, args.quorum if args.quorum is not None else (policy.quorum if policy else None), "--trust"
        )
        policy = given if policy is None else policy.merged(given)
    elif args.quorum is not None and policy is None:
        raise GasOpsError("--quorum needs trusted witness keys (--trust-file or --trust)")
    return policy


def _verify_bundle(args: argparse.Namespace) -> int:
    report_path = args.report or str(Path(args.bundle).with_suffix(".html"))
    report = verify_bundle(args.bundle, report_path, trust=_trust_policy(args), lang=args.lang)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(f"trust: {report.trust_source}")
        for k in report.trusted_keys:
            print(f"  {k['kind']:<34} {k['name']:<40} {k['key_id']}  {k['why']}")
        for c in report.checks:
            print(f"{'ok ' if c.ok else 'BAD'}  {c.name}: {c.detail}")
        print(f"{report.verdict}; report written to {report_path}")
    if report.ok:
        return 0
    return 1 if not report.consistent else 2


def _evidence(args: argparse.Namespace) -> int:
    if args.action == "verify":
        if len(args.args) != 1:
            raise GasOpsError("evidence verify needs PROOF.json")
        report = verify_equivocation(args.args[0], args.key or None)
        if args.json:
            print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            keys = "the keys you gave" if report.trusted else "the file's own keys (give --key to trust them)"
            print(f"{report.verdict}: log {report.origin} ({report.kind}), checked with {keys}\n{report.detail}")
        return 0 if report.ok else (2 if report.proven else 1)
    service = _service(args, unlock=False)
    try:
        if args.action == "list":
            rows = service.node.equivocations()
            if args.json:
                print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
            for r in rows if not args.json else ():
                print(f"{r.id:>4}  {r.detected_at}  {r.kind:<13} {r.origin:<36} from {r.peer or '-'}")
            if not rows and not args.json:
                print("no equivocations recorded")
            return 0
        if len(args.args) != 2 or not args.args[0].isdigit():
            raise GasOpsError("evidence export needs ID OUT.json (ids from `gasops ledger evidence list`)")
        out = export_equivocation(service.node, int(args.args[0]), args.args[1])
    finally:
        service.close()
    print(f"wrote {out}: check it with `gasops ledger evidence verify {out} --key <the log's vkey>`")
    return 0


NEW_OPERATOR_PASSPHRASE_ENV = "GASOPS_NEW_OPERATOR_PASSPHRASE"


def _new_operator_passphrase(operator_id: str) -> str:
    import getpass
    import os

    value = os.environ.get(NEW_OPERATOR_PASSPHRASE_ENV)
    if value is not None:
        return value
    value = getpass.getpass(f"passphrase for the new operator {operator_id}: ")
    if getpass.getpass("again: ") != value:
        raise GasOpsError("the passphrases differ")
    return value


def _operators(args: argparse.Namespace) -> int:
    service = _service(args, unlock=args.action != "list")
    ops = service.authority
    try:
        if args.action != "list" and not args.operator_id:
            raise GasOpsError(f"operators {args.action} needs the operator id")
        roles = [r for r in (args.roles or "").split(",") if r.strip()]
        if args.action == "add":
            if not args.name or not roles:
                raise GasOpsError("operators add needs --name and --roles")
            op = ops.enrol(args.operator_id, args.name, roles, _new_operator_passphrase(args.operator_id))
            print(f"enrolled {op.operator_id} ({', '.join(op.roles)}) as {op.did}")
        elif args.action == "roles":
            op = ops.set_roles(args.operator_id, roles, args.reason)
            print(f"{op.operator_id} now has the roles {', '.join(op.roles)}")
        elif args.action == "revoke":
            op = ops.revoke(args.operator_id, args.reason)
            print(f"revoked {op.operator_id}: their later signatures are rejected, earlier ones still verify")
        elif args.json:
            print(json.dumps([dataclasses.asdict(o) for o in ops.operators()], ensure_ascii=False, indent=2))
        else:
            for o in ops.operators():
                status = "revoked" if o.revoked else "active"
                print(f"{o.operator_id:<10} {o.name:<20} {','.join(o.roles):<28} {status:<8} {o.did}")
    finally:
        service.close()
    return 0


def _peers(args: argparse.Namespace) -> int:
    service = _service(args, unlock=False)
    try:
        if args.action == "self":
            ident = service.identity()
            print(f"origin       {ident['origin']}\nvkey         {ident['vkey']}\nwitness_vkey {ident['witness_vkey']}")
        elif args.action == "add":
            if len(args.args) != 5:
                raise GasOpsError("peers add needs NAME URL ORIGIN VKEY WITNESS_VKEY")
            service.add_peer(*args.args)
            print(f"added peer {args.args[0]}")
        elif args.action == "remove":
            if len(args.args) != 1:
                raise GasOpsError("peers remove needs NAME")
            service.remove_peer(args.args[0])
            print(f"removed peer {args.args[0]}")
        else:
            for p in service.peers():
                print(
                    f"{p.name:<16} {p.url:<28} {p.origin:<36} {p.status or 'never synced':<12} size {p.last_size} faults {p.faults} {p.error or ''}"
                )
    finally:
        service.close()
    return 0


def _witnesses(args: argparse.Namespace) -> int:
    service = _service(args, unlock=args.action == "cosign")
    try:
        node = service.node
        if args.action in ("add", "remove") and service.authority is not None:
            service.authority.require("ledger.peers", f"{args.action} the outside witness {' '.join(args.args[:1])}")
        if args.action == "add":
            if len(args.args) != 3:
                raise GasOpsError("witnesses add needs NAME URL VKEY (the witness's cosignature/v1 key)")
            node.add_witness(*args.args)
            print(f"added witness {args.args[0]}: `gasops ledger witnesses cosign` asks it to cosign {node.origin}")
        elif args.action == "remove":
            if len(args.args) != 1:
                raise GasOpsError("witnesses remove needs NAME")
            node.remove_witness(args.args[0])
            print(f"removed witness {args.args[0]}")
        elif args.action == "cosign":
            outcomes = ask_outside_witnesses(node, SyncLimits(timeout_s=args.timeout))
            w = node.witness_status()
            if args.json:
                print(json.dumps({"outcomes": [o.to_dict() for o in outcomes], "witness": w.to_dict()}, indent=2))
            else:
                for o in outcomes:
                    print(f"{o.witness:<16} {o.status:<12} size {o.size:<9} {o.problem or ''}")
                if not outcomes:
                    print("no outside witnesses; add one with `gasops ledger witnesses add NAME URL VKEY`")
                print(
                    f"checkpoint {w.size}: {len(w.cosigners)}/{w.quorum} cosignatures {'(witnessed)' if w.witnessed else ''}"
                )
            return 0 if all(o.cosigned for o in outcomes) else 1
        else:
            rows = node.outside_witnesses()
            if args.json:
                print(json.dumps([r.to_dict() for r in rows], indent=2))
            else:
                for r in rows:
                    size = "-" if r.size is None else r.size
                    print(f"{r.name:<16} {r.url:<36} {r.status or 'never asked':<12} size {size} {r.error or ''}")
                if not rows:
                    print("no outside witnesses")
    finally:
        service.close()
    return 0
