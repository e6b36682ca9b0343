"""Operators, roles and per-person signatures (操作员、权限与签名), Qt-free.

Each operator has an id (``D-017``), a name, roles and an Ed25519 key of their own, encrypted at rest under their
passphrase (scrypt + AES-256-GCM, as the organisation key) and enrolled in the ledger by the organisation or an
administrator (``key.operator.enrol``), so a verifier can tell who signed each entry; a change of roles
(``key.operator.roles``) and a revocation (``key.operator.revoke``) are entries too, and the verifier rejects a
revoked operator's later entries while the earlier ones still verify. Names are personal data and stay off the
ledger: the directory ``operators.json`` beside the ledger maps ids to names and keys; the ledger holds a keyed digest
of the name.

Once an operator is logged in, every entry the console appends is signed by that operator's key (the organisation
signs the checkpoints that include them), and :meth:`OperatorService.require` guards each action by the role policy:
a denied action raises :class:`PermissionDenied` with a clear message, nothing of the action is recorded, and the
refusal goes to the audit log (``audit.denied``) with logins, logouts and locks (``audit.session``).

Before any operator is enrolled the console acts as the organisation, as a single-user install does (``open`` mode).

>>> policy = RolePolicy.default()
>>> policy.allows(("dispatcher",), "alarm.acknowledge"), policy.allows(("planner",), "alarm.acknowledge")
(True, False)
>>> policy.allows(("reviewer",), "changes.approve"), policy.allows(("administrator",), "ledger.peers")
(True, True)
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psygnal import Signal

from console.app.settings import declare
from console.errors import GasOpsError
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "OPERATOR_ENV",
    "OPERATOR_PASSPHRASE_ENV",
    "PERMISSIONS",
    "ROLES",
    "ROLE_DESCRIPTIONS",
    "ROLE_LABELS",
    "Operator",
    "OperatorError",
    "OperatorService",
    "PermissionDenied",
    "RolePolicy",
]

log = logging.getLogger(__name__)

OPERATOR_ENV = "GASOPS_OPERATOR"
OPERATOR_PASSPHRASE_ENV = "GASOPS_OPERATOR_PASSPHRASE"
DIRECTORY_FILE = "operators.json"
POLICY_FILE = "roles.json"
OPERATOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")

declare("security/idle_lock_min", 15, int, "lock the screen after this many minutes without input (0: never)")
declare("security/last_operator", "", str, "the operator id offered at the next login")

# What each guarded action is called, and what it means (the menus and the denial messages use the text).
PERMISSIONS: dict[str, str] = {
    "alarm.acknowledge": QT_TRANSLATE_NOOP("Permissions", "acknowledge alarms"),
    "alarm.shelve": QT_TRANSLATE_NOOP("Permissions", "shelve and unshelve alarms"),
    "alarm.comment": QT_TRANSLATE_NOOP("Permissions", "comment on alarms"),
    "feed.control": QT_TRANSLATE_NOOP("Permissions", "start, stop and switch live feeds and training events"),
    "hazard.report": QT_TRANSLATE_NOOP("Permissions", "report hazards"),
    "hazard.advance": QT_TRANSLATE_NOOP("Permissions", "assign, rectify, verify and close hazards"),
    "isolation.run": QT_TRANSLATE_NOOP("Permissions", "run valve-shutoff analyses"),
    "simulation.run": QT_TRANSLATE_NOOP("Permissions", "run hydraulic simulations and what-ifs"),
    "incident.open": QT_TRANSLATE_NOOP("Permissions", "open incidents and log their steps"),
    "incident.close": QT_TRANSLATE_NOOP("Permissions", "close incidents"),
    "changes.edit": QT_TRANSLATE_NOOP("Permissions", "edit the network and submit change sets"),
    "changes.approve": QT_TRANSLATE_NOOP("Permissions", "approve or reject change sets (never one's own)"),
    "ledger.sync": QT_TRANSLATE_NOOP("Permissions", "sync the ledger with peers and verify it"),
    "ledger.peers": QT_TRANSLATE_NOOP("Permissions", "add and remove ledger peers and witnesses"),
    "operators.manage": QT_TRANSLATE_NOOP("Permissions", "add operators, change their roles and revoke them"),
}

# The default roles; an administrator can replace them with the ledger folder's roles.json (a policy change is audited).
ROLES: dict[str, frozenset[str]] = {
    "dispatcher": frozenset({"alarm.acknowledge", "alarm.shelve", "alarm.comment", "feed.control", "hazard.report",
                             "hazard.advance", "isolation.run", "simulation.run", "incident.open", "ledger.sync"}),
    "planner": frozenset({"hazard.report", "isolation.run", "simulation.run", "changes.edit"}),
    "reviewer": frozenset({"hazard.report", "hazard.advance", "isolation.run", "simulation.run", "changes.approve"}),
    "commander": frozenset({"alarm.acknowledge", "alarm.shelve", "alarm.comment", "feed.control", "hazard.report",
                            "hazard.advance", "isolation.run", "simulation.run", "incident.open", "incident.close",
                            "ledger.sync"}),
    "administrator": frozenset({"operators.manage", "ledger.peers", "ledger.sync", "feed.control", "isolation.run",
                                "simulation.run"}),
}  # fmt: skip
# What the UI calls each default role and what it is for (English; the UI translates them, context "Roles").
ROLE_LABELS = {
    "dispatcher": QT_TRANSLATE_NOOP("Roles", "Dispatcher"),
    "planner": QT_TRANSLATE_NOOP("Roles", "Planner"),
    "reviewer": QT_TRANSLATE_NOOP("Roles", "Reviewer"),
    "commander": QT_TRANSLATE_NOOP("Roles", "Emergency commander"),
    "administrator": QT_TRANSLATE_NOOP("Roles", "Administrator"),
}
ROLE_DESCRIPTIONS = {
    "dispatcher": QT_TRANSLATE_NOOP("Roles", "Watches the network, handles alarms, hazards and incidents"),
    "planner": QT_TRANSLATE_NOOP("Roles", "Edits the network and runs analyses"),
    "reviewer": QT_TRANSLATE_NOOP("Roles", "Approves or rejects change sets and verifies hazards"),
    "commander": QT_TRANSLATE_NOOP("Roles", "Leads the emergency response and closes incidents"),
    "administrator": QT_TRANSLATE_NOOP("Roles", "Manages operators, roles and ledger peers"),
}


class OperatorError(GasOpsError):
    """An operator action that cannot be done: unknown id, wrong passphrase, revoked, bad roles."""


class PermissionDenied(GasOpsError):
    """The logged-in operator may not do this (nothing was recorded of the action)."""

    def __init__(self, permission: str, message: str) -> None:
        self.permission = permission
        super().__init__(message)


@dataclass(frozen=True)
class Operator:
    operator_id: str
    name: str
    roles: tuple[str, ...]
    did: str
    revoked: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.operator_id}; {', '.join(self.roles)})"


class RolePolicy:
    """Which role may do what."""

    def __init__(self, roles: dict[str, Iterable[str]]) -> None:
        unknown = sorted({p for perms in roles.values() for p in perms} - set(PERMISSIONS))
        if unknown:
            raise OperatorError(f"role policy: unknown permission(s) {', '.join(unknown)}")
        bad = [r for r in roles if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", r)]
        if bad:
            raise OperatorError(f"role policy: bad role name(s) {', '.join(bad)} (lowercase letters, digits, - and _)")
        self.roles = {r: frozenset(p) for r, p in roles.items()}

    @classmethod
    def default(cls) -> RolePolicy:
        return cls(ROLES)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> RolePolicy:
        """A policy file ``{"role": ["permission", …], …}``; a missing file gives the default policy."""
        path = Path(path)
        if not path.is_file():
            return cls.default()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OperatorError(f"{path}: role policy not readable ({exc})") from exc
        if not isinstance(doc, dict) or not all(isinstance(v, list) for v in doc.values()):
            raise OperatorError(f"{path}: a role policy maps role names to lists of permissions")
        return cls(doc)

    def to_json(self) -> dict[str, list[str]]:
        return {r: sorted(p) for r, p in sorted(self.roles.items())}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    def allows(self, roles: Iterable[str], permission: str) -> bool:
        return any(permission in self.roles.get(r, ()) for r in roles)

    def check_roles(self, roles: Iterable[str]) -> tuple[str, ...]:
        roles = tuple(dict.fromkeys(r.strip() for r in roles if r.strip()))
        if not roles:
            raise OperatorError("an operator needs at least one role")
        unknown = [r for r in roles if r not in self.roles]
        if unknown:
            raise OperatorError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(self.roles))}")
        return roles


class OperatorService:
    """Who is at the console, what they may do, and their key for signing.

    Parameters
    ----------
    node
        The ledger node (``console.ledger.LedgerNode``); ``None`` until a ledger is opened (:meth:`attach`).
    idle_lock_s
        Lock after this long without :meth:`touch` (0: never); the GUI calls :meth:`idle_check` on a timer.

    Signals
    -------
    session_changed(operator)
        Someone logged in (the :class:`Operator`) or out (``None``).
    attached(node)
        A ledger node was attached (``None``: detached).
    locked_changed(bool)
        The screen was locked or unlocked.
    denied(str)
        An action was refused (the message shown to the operator).
    """

    session_changed = Signal(object)
    attached = Signal(object)
    locked_changed = Signal(bool)
    denied = Signal(str)

    def __init__(
        self,
        node: Any = None,
        *,
        idle_lock_s: float = 900.0,
        workstation: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = None
        self.policy = RolePolicy.default()
        self.idle_lock_s = float(idle_lock_s)
        self.workstation = workstation if workstation is not None else socket.gethostname()[:64]
        self._clock = clock
        self._current: Operator | None = None
        self._key: Any = None
        self._locked = False
        self._last_input = clock()
        if node is not None:
            self.attach(node)

    # -- the ledger ---------------------------------------------------------------------------------------------------
    def attach(self, node: Any) -> None:
        """Use ``node`` (a ledger was opened): its operators, its role policy; any session ends."""
        if self._current is not None:
            self.logout()
        self.node = node
        self.policy = (
            RolePolicy.from_file(Path(node.folder) / POLICY_FILE) if node is not None else RolePolicy.default()
        )

    def detach(self) -> None:
        if self._current is not None:
            self.logout()
        self.node = None
        self.attached.emit(None)

    @property
    def _directory_path(self) -> Path:
        return Path(self.node.folder) / DIRECTORY_FILE

    def _directory(self) -> dict[str, dict]:
        if self.node is None or not self._directory_path.is_file():
            return {}
        try:
            doc = json.loads(self._directory_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OperatorError(f"{self._directory_path}: operator directory not readable ({exc})") from exc
        return doc if isinstance(doc, dict) else {}

    def _save_directory(self, directory: dict[str, dict]) -> None:
        from console.atomic import atomic_write_text

        atomic_write_text(self._directory_path, json.dumps(directory, ensure_ascii=False, indent=1, sort_keys=True),
                          mode=0o600)  # fmt: skip

    def operators(self, *, include_revoked: bool = True) -> list[Operator]:
        """The enrolled operators; roles and revocation come from the ledger (the directory only names them)."""
        if self.node is None:
            return []
        state = self.node.state()
        out = []
        for operator_id, row in sorted(self._directory().items()):
            did = row.get("did", "")
            if did not in state.operators:
                continue  # never enrolled in this ledger (or a directory edited by hand): not an operator
            revoked = not state.active_operator(did)
            if revoked and not include_revoked:
                continue
            out.append(Operator(operator_id, str(row.get("name", operator_id)), state.operator_roles.get(did, ()),
                                did, revoked))  # fmt: skip
        return out

    def operator(self, operator_id: str) -> Operator:
        for op in self.operators():
            if op.operator_id == operator_id:
                return op
        known = ", ".join(o.operator_id for o in self.operators(include_revoked=False)) or "none enrolled"
        raise OperatorError(f"operator {operator_id!r} is not enrolled in this ledger (known: {known})")

    @property
    def open_mode(self) -> bool:
        """No operator is enrolled: the console acts as the organisation, without roles (a single-user install)."""
        return not self.operators(include_revoked=False)

    # -- enrolment (administrators) ----------------------------------------------------------------------------------
    def _admin_author(self, action: str) -> Any:
        """The key that signs operator changes: the logged-in administrator, else (first set-up) the organisation."""
        if self._current is not None:
            self.require("operators.manage", action)
            return self._key
        if not self.open_mode:
            raise PermissionDenied("operators.manage", "Log in as an administrator to change operators")
        if getattr(self.node, "org_key", None) is None:
            raise OperatorError("unlock the ledger with the organisation passphrase to enrol the first operator")
        return self.node.org_key

    def enrol(self, operator_id: str, name: str, roles: Iterable[str], passphrase: str) -> Operator:
        """Create ``operator_id``'s key (encrypted under ``passphrase``) and enrol it in the ledger."""
        self._need_node()
        if not OPERATOR_ID.fullmatch(operator_id or ""):
            raise OperatorError(f"operator id {operator_id!r}: 1-32 letters, digits, - or _ (e.g. D-017)")
        name = (name or "").strip()
        if not name or len(name) > 80:
            raise OperatorError("give the operator's name (at most 80 characters)")
        roles = self.policy.check_roles(roles)
        if len(passphrase or "") < 8:
            raise OperatorError("an operator passphrase has at least 8 characters")
        author = self._admin_author("add operators")
        directory = self._directory()
        if operator_id in directory:
            raise OperatorError(f"operator {operator_id} exists already (revoke it and choose a new id)")
        from console.ledger import SigningKey, save_key_file

        key = SigningKey.generate(operator_id, "operator")
        key_path = Path(self.node.folder) / "keys" / f"operator-{operator_id}.key.json"
        save_key_file(key_path, key, passphrase, scrypt_n=int(self.node.config.get("scrypt_n", 2**15)))
        body = {"operator": key.did, "role": ",".join(roles), "label_digest": self.node.personal_digest(name)}
        self.node.append("key.operator.enrol", body, author=author)  # durable before the directory names it
        directory[operator_id] = {"name": name, "did": key.did, "key": key_path.name}
        self._save_directory(directory)
        return self.operator(operator_id)

    def set_roles(self, operator_id: str, roles: Iterable[str], reason: str = "") -> Operator:
        """Change an operator's roles (a permission change, on the record)."""
        self._need_node()
        op = self.operator(operator_id)
        roles = self.policy.check_roles(roles)
        author = self._admin_author("change operators' roles")
        if op.did == getattr(author, "did", None) and "administrator" not in roles and "administrator" in op.roles:
            others = [o for o in self.operators(include_revoked=False) if "administrator" in o.roles and o != op]
            if not others:
                raise OperatorError("the last administrator cannot give up the administrator role")
        body = {"operator": op.did, "role": ",".join(roles), **({"reason": reason} if reason else {})}
        self.node.append("key.operator.roles", body, author=author)
        if self._current is not None and self._current.operator_id == operator_id:
            self._current = self.operator(operator_id)
            self.session_changed.emit(self._current)
        return self.operator(operator_id)

    def revoke(self, operator_id: str, reason: str = "") -> Operator:
        """Revoke an operator: their later signatures are rejected; their earlier ones still verify."""
        self._need_node()
        op = self.operator(operator_id)
        if op.revoked:
            raise OperatorError(f"operator {operator_id} is revoked already")
        author = self._admin_author("revoke operators")
        if self._current is not None and self._current.operator_id == operator_id:
            raise OperatorError("an administrator cannot revoke themself; another administrator must")
        self.node.append("key.operator.revoke", {"operator": op.did, **({"reason": reason} if reason else {})},
                         author=author)  # fmt: skip
        return self.operator(operator_id)

    def set_policy(self, policy: RolePolicy, summary: str = "") -> None:
        """Replace the role policy (administrators; the organisation key records its digest in the ledger)."""
        self._need_node()
        if not self.open_mode:
            self.require("operators.manage", "change the role policy")
        if getattr(self.node, "org_key", None) is None:
            raise OperatorError("unlock the ledger with the organisation passphrase to change the role policy")
        from console.atomic import atomic_write_text

        body = {"digest": policy.digest(), **({"summary": summary[:200]} if summary else {})}
        self.node.append("audit.policy", body, author=self.node.org_key)
        atomic_write_text(Path(self.node.folder) / POLICY_FILE, json.dumps(policy.to_json(), indent=1))
        self.policy = policy

    # -- sessions -----------------------------------------------------------------------------------------------------
    @property
    def current(self) -> Operator | None:
        return self._current

    @property
    def signing_key(self) -> Any:
        """The logged-in operator's key (``None``: entries are signed by the organisation, open mode)."""
        return self._key

    def login(self, operator_id: str, passphrase: str) -> Operator:
        """Unlock ``operator_id``'s key with ``passphrase`` and sign from now on as that operator."""
        self._need_node()
        op = self.operator(operator_id)
        if op.revoked:
            self._audit_denied_login(op)
            raise OperatorError(f"operator {operator_id} was revoked and can no longer log in")
        from console.ledger import KeyFileError, load_key_file

        row = self._directory()[operator_id]
        path = Path(self.node.folder) / "keys" / str(row.get("key", f"operator-{operator_id}.key.json"))
        try:
            key = load_key_file(path, passphrase)
        except KeyFileError as exc:
            if "passphrase" in str(exc).lower() or "decrypt" in str(exc).lower():
                raise OperatorError(f"wrong passphrase for operator {operator_id}") from None
            raise OperatorError(f"operator {operator_id}: {exc.problem}") from None
        if key.did != op.did:
            raise OperatorError(f"operator {operator_id}: the key file does not hold the enrolled key")
        if self._current is not None:
            self.logout()
        self._current, self._key = op, key
        self.node.author = key
        self._locked = False
        self._last_input = self._clock()
        self._audit_session("login")
        self.session_changed.emit(op)
        return op

    def logout(self) -> None:
        if self._current is None:
            return
        self._audit_session("logout")
        self._current = self._key = None
        if self.node is not None:
            self.node.author = getattr(self.node, "org_key", None)
        was_locked, self._locked = self._locked, False
        if was_locked:
            self.locked_changed.emit(False)
        self.session_changed.emit(None)

    def switch(self, operator_id: str, passphrase: str) -> Operator:
        """Shift change: the next operator logs in (the previous one is logged out) without closing the console."""
        return self.login(operator_id, passphrase)

    @classmethod
    def from_environment(cls, node: Any, *, prompt: bool = True) -> OperatorService:
        """An operator service on ``node``, logged in as the environment says (see :meth:`login_from_environment`)."""
        service = cls(node)
        service.login_from_environment(prompt=prompt)
        return service

    def login_from_environment(self, *, prompt: bool = True) -> Operator | None:
        """For the CLI and headless drills: log in as ``$GASOPS_OPERATOR`` with ``$GASOPS_OPERATOR_PASSPHRASE`` or a
        passphrase asked at the terminal (never a command-line argument). Without ``$GASOPS_OPERATOR``: open mode,
        or an error when the ledger has operators."""
        operator_id = os.environ.get(OPERATOR_ENV, "").strip()
        if not operator_id:
            if self.node is not None and not self.open_mode:
                raise OperatorError(f"this ledger has operators: set {OPERATOR_ENV} to act as one")
            return None
        passphrase = os.environ.get(OPERATOR_PASSPHRASE_ENV)
        if passphrase is None:
            if not prompt:
                raise OperatorError(f"set {OPERATOR_PASSPHRASE_ENV} or run at a terminal to give the passphrase")
            passphrase = getpass.getpass(f"Passphrase for operator {operator_id}: ")
        return self.login(operator_id, passphrase)

    # -- permissions --------------------------------------------------------------------------------------------------
    def can(self, permission: str, *, owner: str | None = None) -> bool:
        """Whether the current operator may do ``permission`` (on something of ``owner``'s, e.g. a change set)."""
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        if self._current is None:
            return self.open_mode
        if self._locked:
            return False
        if permission == "changes.approve" and owner is not None and owner == self._current.operator_id:
            return False
        return self.policy.allows(self._current.roles, permission)

    def require(self, permission: str, action: str = "", *, owner: str | None = None) -> None:
        """Raise :class:`PermissionDenied` (and audit the refusal) unless :meth:`can`."""
        if self.can(permission, owner=owner):
            return
        what = action or PERMISSIONS[permission]
        if self._current is None:
            message = f"Log in to {what}"
        elif self._locked:
            message = f"The console is locked: unlock it to {what}"
        elif permission == "changes.approve" and owner == self._current.operator_id:
            message = f"{self._current.name} cannot approve their own change set: another reviewer must"
        else:
            allowed = sorted(r for r, perms in self.policy.roles.items() if permission in perms)
            message = (f"{self._current.name} ({', '.join(self._current.roles)}) may not {what}; "
                       f"this needs the role {' or '.join(allowed) or '— none has it'}")  # fmt: skip
        if self._current is not None and self.node is not None:
            body = {"operator": self._current.did, "permission": permission, "action": what[:120]}
            try:
                self.node.append("audit.denied", body, author=self._key)
            except GasOpsError as exc:  # the refusal stands even if the audit entry cannot be written
                log.error("audit entry for a denied action not written: %s", exc)
        self.denied.emit(message)
        raise PermissionDenied(permission, message)

    def record(self, entry_type: str, body: dict) -> Any:
        """Append an operator's step to the ledger, signed by the logged-in operator (or the organisation in open
        mode); ``None`` when no ledger is open. The step itself is already done: a failure is logged, not raised."""
        if self.node is None or getattr(self.node, "author", None) is None:
            return None
        try:
            return self.node.append(entry_type, body, author=self._key)
        except GasOpsError as exc:
            log.error("%s not recorded in the ledger: %s", entry_type, exc)
            return None

    @property
    def name(self) -> str | None:
        """The logged-in operator's name (``None`` when nobody is)."""
        return self._current.name if self._current is not None else None

    # -- lock screen ---------------------------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._locked

    def touch(self) -> None:
        """Input from the operator (the GUI calls this on key presses and mouse clicks)."""
        self._last_input = self._clock()

    def idle_check(self) -> bool:
        """Lock if the operator has been idle longer than ``idle_lock_s``; True when (now) locked."""
        if self._current is not None and not self._locked and self.idle_lock_s > 0:
            if self._clock() - self._last_input >= self.idle_lock_s:
                self.lock()
        return self._locked

    def lock(self) -> None:
        if self._current is None or self._locked:
            return
        self._locked = True
        self._audit_session("lock")
        self.locked_changed.emit(True)

    def unlock(self, passphrase: str, operator_id: str | None = None) -> Operator:
        """Unlock with the current operator's passphrase, or hand over to ``operator_id`` (shift change)."""
        if operator_id is not None and (self._current is None or operator_id != self._current.operator_id):
            return self.login(operator_id, passphrase)
        if self._current is None:
            raise OperatorError("nobody is logged in")
        from console.ledger import KeyFileError, load_key_file

        row = self._directory()[self._current.operator_id]
        try:
            load_key_file(Path(self.node.folder) / "keys" / str(row.get("key")), passphrase)
        except KeyFileError:
            raise OperatorError(f"wrong passphrase for operator {self._current.operator_id}") from None
        self._locked = False
        self._last_input = self._clock()
        self._audit_session("unlock")
        self.locked_changed.emit(False)
        return self._current

    # -- helpers --------------------------------------------------------------------------------------------------------
    def _need_node(self) -> None:
        if self.node is None:
            raise OperatorError("no ledger is open: operators are kept in the ledger (Ledger › Open)")

    def _audit_session(self, event: str) -> None:
        if self.node is None or self._current is None:
            return
        body = {"event": event, "operator": self._current.did, "workstation": self.workstation}
        try:
            self.node.append("audit.session", body, author=self._key)
        except GasOpsError as exc:
            log.error("audit entry %s for %s not written: %s", event, self._current.operator_id, exc)

    def _audit_denied_login(self, op: Operator) -> None:
        log.warning("revoked operator %s tried to log in", op.operator_id)
