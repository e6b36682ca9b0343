"""``gasops ledger …``: the evidence ledger from the command line.

    gasops ledger init     --ledger DIR --origin ORIGIN [--quorum N]
    gasops ledger serve    --ledger DIR [--host 127.0.0.1] [--port 8470]
    gasops ledger sync     --ledger DIR [--peer NAME] [--recover PEER] [--no-cosign]
    gasops ledger append   --ledger DIR TYPE BODY.json|'{…}' [--attach FILE …]
    gasops ledger verify   --ledger DIR [--workers N] [--json]
    gasops ledger export   --ledger DIR --hazard ID OUT.zip
    gasops ledger verify-bundle BUNDLE.zip [--report OUT.html] [--trust VKEY …]
    gasops ledger peers    --ledger DIR [list | self | add NAME URL ORIGIN VKEY WITNESS_VKEY]

The passphrase comes from ``$GASOPS_LEDGER_PASSPHRASE``, ``--passphrase-file`` or a prompt; it is never echoed or logged.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from console.errors import GasOpsError

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    ledger = subparsers.add_parser("ledger", help="evidence ledger (区块链存证): signed logs, sync, witnesses, bundles")
    sub = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ledger", default="ledger", help="ledger folder (default ./ledger)")
        p.add_argument("--passphrase-file", help="read the key passphrase from this file")

    p = sub.add_parser("init", help="create a ledger: keys, database, genesis entry")
    common(p)
    p.add_argument("--origin", required=True, help="log name, a schema-less URL such as ledger.example-gas.cn/city")
    p.add_argument("--quorum", type=int, default=1, help="witness cosignatures a checkpoint needs (default 1)")
    p.set_defaults(handler=_init)

    p = sub.add_parser("serve", help="serve this node's logs to its peers over HTTP")
    common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8470)
    p.set_defaults(handler=_serve)

    p = sub.add_parser("sync", help="pull peers' logs, cosign them, and collect cosignatures of ours")
    common(p)
    p.add_argument("--peer", help="only this peer")
    p.add_argument("--recover", metavar="PEER", help="restore this node's own log from PEER (after restoring a backup)")
    p.add_argument("--no-cosign", action="store_true", help="do not ask peers to cosign our checkpoint")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.set_defaults(handler=_sync)

    p = sub.add_parser("append", help="sign and append one entry")
    common(p)
    p.add_argument("type", help="entry type, e.g. hazard.reported, incident.action, gis.changeset")
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
    p.add_argument("--trust", nargs="*", help="log keys (vkeys) you trust; default: the bundle's own, reported as such")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify_bundle)

    p = sub.add_parser("peers", help="list peers, show this node's keys, or add a peer")
    common(p)
    p.add_argument("action", nargs="?", default="list", choices=["list", "self", "add"])
    p.add_argument("args", nargs="*", help="for add: NAME URL ORIGIN VKEY WITNESS_VKEY")
    p.set_defaults(handler=_peers)


def _passphrase(args: argparse.Namespace, confirm: bool = False) -> str:
    if getattr(args, "passphrase_file", None):
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\n")
    env = os.environ.get("GASOPS_LEDGER_PASSPHRASE")
    if env:
        return env
    import getpass

    value = getpass.getpass("ledger passphrase: ")
    if confirm and getpass.getpass("again: ") != value:
        raise GasOpsError("the passphrases differ")
    return value


def _open(args: argparse.Namespace, unlock: bool = True):
    from console.ledger import LedgerNode

    return LedgerNode.open(args.ledger, _passphrase(args) if unlock else None)


def _init(args: argparse.Namespace) -> int:
    from console.ledger import LedgerNode

    node = LedgerNode.init(args.ledger, args.origin, _passphrase(args, confirm=True), quorum=args.quorum)
    print(f"created ledger {args.ledger} for log {node.origin}")
    print(f"organisation key  {node.org_vkey}")
    print(f"witness key       {node.witness_vkey}")
    node.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import threading

    from console.ledger import LedgerServer

    node = _open(args)
    server = LedgerServer(node, args.host, args.port)
    print(f"serving {node.origin} on {server.start()} (Ctrl+C to stop)")
    try:
        threading.Event().wait()
    finally:
        server.stop()
        node.close()
    return 0


def _sync(args: argparse.Namespace) -> int:
    from console.ledger import SyncLimits, collect_cosignatures, recover_from_peer, sync_peer

    node = _open(args)
    limits = SyncLimits(timeout_s=args.timeout)
    code = 0
    if args.recover:
        r = recover_from_peer(node, args.recover, limits)
        print(f"recovered {r.entries_added} entries of {node.origin} from {args.recover} (now {node.size()})")
    for peer in [args.peer] if args.peer else [p.name for p in node.peers()]:
        r = sync_peer(node, peer, limits)
        print(f"{peer:<16} {r.origin:<36} {r.status:<12} {r.old_size:>9} -> {r.new_size:<9} {r.problem or ''}")
        code = code or (1 if r.status in ("rejected", "equivocation") else 0)
    if not args.no_cosign and node.peers():
        w = collect_cosignatures(node, limits)
        print(f"checkpoint {w.size}: {len(w.cosigners)}/{w.quorum} cosignatures {'(witnessed)' if w.witnessed else ''}")
    node.close()
    return code


def _append(args: argparse.Namespace) -> int:
    node = _open(args)
    text = Path(args.body[1:]).read_text(encoding="utf-8") if args.body.startswith("@") else args.body
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise GasOpsError(f"entry body is not JSON: {exc}") from exc
    if args.attach:
        body.setdefault("attachments", [])
        for f in args.attach:
            body["attachments"].append(node.put_evidence(Path(f).read_bytes()))
    r = node.append(args.type, body)
    print(json.dumps(r.to_dict()))
    node.close()
    return 0


def _verify(args: argparse.Namespace) -> int:
    node = _open(args, unlock=False)
    report = node.verify(workers=args.workers)
    node.close()
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
    from console.ledger import export_hazard_bundle

    node = _open(args, unlock=False)
    out = export_hazard_bundle(node, args.hazard, args.output, args.origin)
    node.close()
    print(f"wrote {out}")
    return 0


def _verify_bundle(args: argparse.Namespace) -> int:
    from console.ledger import verify_bundle

    report_path = args.report or str(Path(args.bundle).with_suffix(".html"))
    report = verify_bundle(args.bundle, report_path, args.trust)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for c in report.checks:
            print(f"{'ok ' if c.ok else 'BAD'}  {c.name}: {c.detail}")
        print(f"{'VERIFIED' if report.ok else 'NOT VERIFIED'}; report written to {report_path}")
    return 0 if report.ok else 1


def _peers(args: argparse.Namespace) -> int:
    node = _open(args, unlock=False)
    try:
        if args.action == "self":
            print(f"origin       {node.origin}\nvkey         {node.org_vkey}\nwitness_vkey {node.witness_vkey}")
        elif args.action == "add":
            if len(args.args) != 5:
                raise GasOpsError("peers add needs NAME URL ORIGIN VKEY WITNESS_VKEY")
            node.add_peer(*args.args)
            print(f"added peer {args.args[0]}")
        else:
            for p in node.peers():
                print(
                    f"{p.name:<16} {p.url:<28} {p.origin:<36} {p.status or 'never synced':<12} size {p.last_size} faults {p.faults} {p.error or ''}"
                )
    finally:
        node.close()
    return 0
