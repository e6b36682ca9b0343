"""``gasops changes …``: change sets produced, reviewed and committed headless, through the same
:class:`console.app.editing.EditingService` as the GUI.

    gasops changes diff BASE EDITED [--json] [--out CS.json] [--title TEXT]
    gasops changes apply NETWORK CS.json [--out OUT]
    gasops changes submit CS.json --network MASTER [--title TEXT]
    gasops changes list --network MASTER [--status submitted|approved|rejected] [--json]
    gasops changes show ID --network MASTER [--json] [--no-hydraulics]
    gasops changes conflicts ID --network MASTER [--json]
    gasops changes approve ID --network MASTER [--comment TEXT] [--resolve FEATURE=branch|master …]
    gasops changes reject ID --network MASTER --comment TEXT
    gasops changes history FEATURE_ID --network MASTER [--json]

BASE, EDITED, NETWORK and MASTER are networks in any supported format (a PostGIS URL too). Change sets of a master
network are kept in its workspace's ``changes/`` folder. When that workspace has a ledger, the review verbs act as
the operator named by ``$GASOPS_OPERATOR`` (passphrases from ``$GASOPS_OPERATOR_PASSPHRASE`` and
``$GASOPS_LEDGER_PASSPHRASE``) and are signed in the ledger; without one they run as a single-user install.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.app.editing import CHANGES_DIR, ChangeSet, EditingService
from console.app.workspace import Workspace, open_network
from console.errors import GasOpsError
from console.network import ApplyChangeSet, diff_networks

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    changes = subparsers.add_parser("changes", help="change sets: diff, apply, submit, review, approve (审核入库)")
    sub = changes.add_subparsers(dest="changes_command", metavar="ACTION", required=True)

    p = sub.add_parser("diff", help="the change set that turns BASE into EDITED")
    p.add_argument("base")
    p.add_argument("edited")
    p.add_argument("--json", action="store_true", help="print the change set document")
    p.add_argument("--out", help="write the change set document to this file")
    p.add_argument("--title", default="", help="what the change set does")
    p.set_defaults(handler=_diff)

    p = sub.add_parser("apply", help="apply a change set to a network (checked feature by feature first)")
    p.add_argument("network")
    p.add_argument("changeset")
    p.add_argument("--out", help="write the result here (default: back to NETWORK)")
    p.set_defaults(handler=_apply)

    def master(q: argparse.ArgumentParser) -> None:
        q.add_argument("--network", required=True, help="the master network (its workspace keeps the change sets)")

    p = sub.add_parser("submit", help="submit a change set file for review, as the current operator")
    p.add_argument("changeset")
    master(p)
    p.add_argument("--title", default="")
    p.set_defaults(handler=_submit)

    p = sub.add_parser("list", help="the change sets of a master network")
    master(p)
    p.add_argument("--status", choices=("submitted", "approved", "rejected"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)

    p = sub.add_parser("show", help="a change set with its engineering effect on the master")
    p.add_argument("change_id")
    master(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-hydraulics", action="store_true", help="skip the before/after simulation")
    p.set_defaults(handler=_show)

    p = sub.add_parser("approve", help="commit a change set to the master, co-signed in the ledger")
    p.add_argument("change_id")
    master(p)
    p.add_argument("--comment", default="")
    p.add_argument("--resolve", action="append", default=[], metavar="FEATURE=branch|master",
                   help="settle a conflict: take the change set's version of FEATURE, or keep the master's")  # fmt: skip
    p.set_defaults(handler=_approve)

    p = sub.add_parser("conflicts", help="the change set's features the master changed since, with three versions")
    p.add_argument("change_id")
    master(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_conflicts)

    p = sub.add_parser("reject", help="reject a change set with a comment")
    p.add_argument("change_id")
    master(p)
    p.add_argument("--comment", required=True)
    p.set_defaults(handler=_reject)

    p = sub.add_parser("history", help="the change sets that touched a feature (as-built history)")
    p.add_argument("feature_id")
    master(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_history)


# -- helpers ------------------------------------------------------------------------------------------------------------
class _Session:
    """The editing service of a master network's workspace, with its ledger and operator when it has one."""

    def __init__(self, master: str) -> None:
        self.master = master
        self.workspace = Workspace.for_network(master)
        self.ledger = None
        operators = None
        from console.app.ledger import LedgerService, environment_passphrase
        from console.app.operators import OperatorService

        if LedgerService(self.workspace.ledger_dir).exists():
            passphrase = environment_passphrase()
            if not passphrase:
                import getpass

                passphrase = getpass.getpass("ledger passphrase: ")
            self.ledger = LedgerService(self.workspace.ledger_dir, authority=OperatorService())
            self.ledger.open(passphrase, unlock=True)
            try:
                self.ledger.authority.login_from_environment()
            except GasOpsError:
                self.ledger.close()
                raise
            operators = self.ledger.authority
        self.service = EditingService(self.workspace.folder / CHANGES_DIR, operators=operators)

    def close(self) -> None:
        if self.ledger is not None:
            self.ledger.close()

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write(network, target: str) -> str:
    from console.io import is_database_url, write_network

    return str(write_network(network, target)) if not is_database_url(target) else write_network(network, target)


def _print_changes(cs: ChangeSet, out=None) -> None:
    out = out or sys.stdout
    n = cs.counts()
    print(f"{cs.change_id or '(draft)'}  {cs.title}", file=out)
    print(f"  {n['add']} added, {n['change']} changed, {n['delete']} deleted", file=out)
    for c in cs.changes[:200]:
        if c.op == "change":
            cols = ", ".join(f"{k}: {_short(c.before.get(k))} → {_short(c.after.get(k))}" for k in c.columns)
            print(f"  ~ {c.layer:12} {c.feature_id:14} {cols}", file=out)
        else:
            print(f"  {'+' if c.op == 'add' else '-'} {c.layer:12} {c.feature_id}", file=out)
    if len(cs.changes) > 200:
        print(f"  … and {len(cs.changes) - 200} more", file=out)


def _short(value) -> str:
    if isinstance(value, str) and len(value) > 24 and all(ch in "0123456789ABCDEFabcdef" for ch in value):
        return "(geometry)"
    return repr(value)


# -- commands -----------------------------------------------------------------------------------------------------------
def _diff(args: argparse.Namespace) -> int:
    base = open_network(args.base)
    edited = open_network(args.edited)
    cs = ChangeSet("", base.name, "", args.title or f"{Path(str(args.edited)).name} against {Path(str(args.base)).name}",
                   diff_networks(base, edited), status="draft")  # fmt: skip
    doc = cs.to_json()
    if args.out:
        from console.atomic import atomic_write_text

        atomic_write_text(args.out, json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False))
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, allow_nan=False))
    else:
        _print_changes(cs)
    return 0


def _apply(args: argparse.Namespace) -> int:
    network = open_network(args.network)
    cs = EditingService.load(args.changeset)
    edit = ApplyChangeSet(network, cs.changes)  # checks every feature; raises before anything is written
    edit.redo()
    target = args.out or args.network
    _write(network, target)
    print(f"applied {len(cs.changes)} feature changes → {target}")
    return 0


def _submit(args: argparse.Namespace) -> int:
    draft = EditingService.load(args.changeset)
    with _Session(args.network) as session:
        cs = session.service.submit(args.title or draft.title, draft.changes, network_name=draft.network)
        print(f"submitted {cs.change_id}: {cs.summary}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with _Session(args.network) as session:
        rows = session.service.list(args.status)
    if args.json:
        print(json.dumps([{k: v for k, v in r.to_json().items() if k != "changes"} | {"counts": r.counts()} for r in rows],
                         ensure_ascii=False))  # fmt: skip
        return 0
    for r in rows:
        n = r.counts()
        print(f"{r.change_id}  {r.status:9} {r.author or '-':8} {r.reviewer or '-':8} "
              f"+{n['add']} ~{n['change']} -{n['delete']}  {r.title}")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    master = open_network(args.network)
    with _Session(args.network) as session:
        cs = session.service.get(args.change_id)
        effect = (
            session.service.review(args.change_id, master, hydraulics=not args.no_hydraulics)
            if cs.status == "submitted"
            else None
        )
    if args.json:
        print(json.dumps({"changeset": cs.to_json(), "effect": effect.to_dict() if effect else None},
                         ensure_ascii=False, allow_nan=False, default=str))  # fmt: skip
        return 0
    print(f"status {cs.status}; author {cs.author or '-'}; reviewer {cs.reviewer or '-'}; digest {cs.digest[:16]}…")
    if cs.comment:
        print(f"comment: {cs.comment}")
    _print_changes(cs)
    if effect is not None:
        print("effect on the master:")
        print("  " + effect.format_text().replace("\n", "\n  "))
    return 0


def _approve(args: argparse.Namespace) -> int:
    from console.io import commit_changes, is_database_url

    master = open_network(args.network)
    with _Session(args.network) as session:
        if is_database_url(args.network):
            commit = lambda network, changes: commit_changes(args.network, changes)  # noqa: E731 - per feature
        else:
            commit = lambda network, changes: _write(network, args.network)  # noqa: E731 - the file, atomically
        resolutions = {}
        for item in args.resolve:
            fid, sep, choice = item.rpartition("=")
            if not sep or not fid:
                raise GasOpsError(f"--resolve {item!r}: write FEATURE=branch or FEATURE=master")
            resolutions[fid] = choice
        cs = session.service.approve(
            args.change_id, master, comment=args.comment, commit=commit, resolutions=resolutions or None
        )
    print(f"approved {cs.change_id} ({len(cs.changes)} feature changes) → {args.network}")
    return 0


def _conflicts(args: argparse.Namespace) -> int:
    master = open_network(args.network)
    with _Session(args.network) as session:
        conflicts = session.service.conflicts(args.change_id, master)
    if args.json:
        print(json.dumps(conflicts, ensure_ascii=False, default=str))
        return 0
    if not conflicts:
        print(f"{args.change_id}: no conflicts with {args.network}")
    for c in conflicts:
        print(f"{c['layer']} {c['feature_id']}: {c['kind']}")
        for col in c["columns"]:
            master_value = "(deleted)" if c["master"] is None else c["master"].get(col)
            print(f"  {col}: ancestor {_short(c['ancestor'].get(col))} · branch {_short(c['branch'].get(col))} · "
                  f"master {_short(master_value)}")  # fmt: skip
    return 0


def _short(value) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _reject(args: argparse.Namespace) -> int:
    with _Session(args.network) as session:
        cs = session.service.reject(args.change_id, args.comment)
    print(f"rejected {cs.change_id}: {cs.comment}")
    return 0


def _history(args: argparse.Namespace) -> int:
    with _Session(args.network) as session:
        rows = session.service.history(args.feature_id)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no change set touched {args.feature_id}")
    for r in rows:
        print(f"{r['created']}  {r['change_id']}  {r['op']:6} {r['status']:9} by {r['author'] or '-'}"
              f"{', reviewed by ' + r['reviewer'] if r['reviewer'] else ''}  {r['title']}")  # fmt: skip
    return 0
