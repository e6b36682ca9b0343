"""Editing with review before commit (编辑与审核入库), Qt-free: edit sessions, change sets, review, approval.

The workflow a utility's planners and reviewers follow:

1. **Edit.** A planner edits the open network through :meth:`EditingService.push` (edit commands from
   :mod:`console.network`), with undo and redo; the session's base is the network as it was opened or last saved.
2. **Submit.** :meth:`submit` turns the session into a change set — the feature changes between base and edited, with
   its author — signs its digest with the author's key and records a ``gis.changeset`` ledger entry (``submitted``).
3. **Review.** :meth:`review` computes the change set's engineering effect on a branch (master + change set):
   validation findings introduced, valve segments split or merged, valves made useless, customers whose isolation
   changes, minimum pressure per pressure system before and after (:mod:`console.app.review`).
4. **Approve or reject.** :meth:`approve` (permission ``changes.approve``, never the author) applies the change set to
   the master network after checking every feature against the change set's base values (a feature edited since is a
   :class:`console.network.ChangeConflict`, nothing written), commits it (a file atomically, PostGIS feature by
   feature with row versions) and records a ``gis.changeset`` entry (``approved``) signed by the reviewer that carries
   the author's signature of the same digest: the author's signature and the reviewer's co-signature. :meth:`reject`
   records the reviewer's comment.

Change sets are JSON files in the workspace's ``changes/`` folder (written atomically); :meth:`history` lists the
change sets that touched a feature (its as-built history).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from console.app.review import ReviewEffect, review_effect
from console.errors import GasOpsError
from console.network import (
    ApplyChangeSet,
    EditCommand,
    FeatureChange,
    GasNetwork,
    UndoStack,
    changes_from_json,
    changes_to_json,
    diff_networks,
)
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "CHANGES_DIR",
    "SEVERITY_ORDER",
    "STATUSES",
    "ChangeSet",
    "ChangeSetStoreError",
    "EditingService",
    "LiveValidation",
    "RESOLUTIONS",
    "changeset_digest_of",
    "edit_feature_ids",
    "source_state",
]

log = logging.getLogger(__name__)

CHANGES_DIR = "changes"
STATUSES = ("draft", "submitted", "approved", "rejected")
FORMAT = "gasops-changeset/1"
#: How a reviewer settles a conflicting feature: take the change set's version, or keep the master's.
RESOLUTIONS = ("branch", "master")


# Progress of a review job (English; the UI translates them with context "EditingService").
REVIEW_OPENING = QT_TRANSLATE_NOOP("EditingService", "opening the master network")
REVIEW_STEADY = QT_TRANSLATE_NOOP("EditingService", "the master's steady state")
REVIEW_BRANCH = QT_TRANSLATE_NOOP("EditingService", "applying the change set to a branch")
REVIEW_EFFECT = QT_TRANSLATE_NOOP("EditingService", "validation and valve segments")
REVIEW_HYDRAULICS = QT_TRANSLATE_NOOP("EditingService", "the branch's steady state where the change set reaches")
REVIEW_PROGRESS = (REVIEW_OPENING, REVIEW_STEADY, REVIEW_BRANCH, REVIEW_EFFECT, REVIEW_HYDRAULICS)


class ChangeSetStoreError(GasOpsError):
    """A change set file that cannot be read, or a change set that is not in a state for the asked step."""


@dataclass
class ChangeSet:
    """A reviewed unit of edits: feature changes against a base, with its author and its review."""

    change_id: str
    network: str
    author: str
    title: str
    changes: list[FeatureChange]
    created: str = ""
    status: str = "submitted"
    digest: str = ""
    author_did: str = ""
    author_signature: str = ""
    reviewer: str = ""
    comment: str = ""
    decided: str = ""
    ledger_entries: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"add": 0, "change": 0, "delete": 0}
        for c in self.changes:
            out[c.op] += 1
        return out

    @property
    def summary(self) -> str:
        n = self.counts()
        return f"{self.title or self.change_id}: +{n['add']} ~{n['change']} -{n['delete']}"

    def feature_ids(self) -> list[str]:
        return sorted({c.feature_id for c in self.changes})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "change_id": self.change_id,
            "network": self.network,
            "author": self.author,
            "title": self.title,
            "created": self.created,
            "status": self.status,
            "digest": self.digest,
            "author_did": self.author_did,
            "author_signature": self.author_signature,
            "reviewer": self.reviewer,
            "comment": self.comment,
            "decided": self.decided,
            "ledger_entries": self.ledger_entries,
            "changes": changes_to_json(self.changes),
        }

    @classmethod
    def from_json(cls, doc: Any, source: str = "change set") -> ChangeSet:
        """Parse a change set document; anything malformed is a :class:`ChangeSetStoreError` naming ``source``."""
        if not isinstance(doc, dict):
            raise ChangeSetStoreError(f"{source}: not a change set (a JSON object was expected)")
        if doc.get("format", FORMAT) != FORMAT:
            raise ChangeSetStoreError(f"{source}: format {doc.get('format')!r} is not {FORMAT}")
        text = {}
        for name in ("change_id", "network", "author", "title", "created", "status", "digest", "author_did",
                     "author_signature", "reviewer", "comment", "decided"):  # fmt: skip
            value = doc.get(name, "")
            if not isinstance(value, str):
                raise ChangeSetStoreError(f"{source}: {name!r} must be text")
            text[name] = value
        if not text["change_id"] and text["status"] != "draft":
            raise ChangeSetStoreError(f"{source}: no change_id")
        if text["status"] and text["status"] not in STATUSES:
            raise ChangeSetStoreError(f"{source}: status {text['status']!r} is not one of {', '.join(STATUSES)}")
        entries = doc.get("ledger_entries", [])
        if not isinstance(entries, list) or not all(isinstance(i, int) for i in entries):
            raise ChangeSetStoreError(f"{source}: 'ledger_entries' must be a list of entry numbers")
        try:
            changes = changes_from_json(doc.get("changes", []), source)
        except GasOpsError as exc:
            raise ChangeSetStoreError(str(exc)) from None
        return cls(changes=changes, ledger_entries=list(entries), **(text | {"status": text["status"] or "submitted"}))


def changeset_digest_of(cs: ChangeSet) -> str:
    """SHA-256 (hex) over the change set's identity and its changes (RFC 8785 JSON, via the ledger's digest)."""
    from console.ledger import changeset_digest

    head = {"change_id": cs.change_id, "network": cs.network, "author": cs.author, "title": cs.title}
    return changeset_digest([head, *changes_to_json(cs.changes)])[0]


def _source_state(source: Any) -> tuple | None:
    """What identifies the state of a network file (path, inode, size, modification time); None for a database URL or a
    path that cannot be read (read it again)."""
    from console.io import is_database_url

    if is_database_url(source):
        return None
    try:
        path = Path(source).resolve()
        st = path.stat()
    except (OSError, TypeError, ValueError):
        return None
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)  # an atomic write makes a new file: a new inode


def source_state(source: Any) -> tuple | None:
    """What identifies the state of a network file now (path, inode, size, modification time); None for a database
    URL or a path that cannot be read."""
    return _source_state(source)


def _same_content(reviewed: GasNetwork, master: GasNetwork) -> bool:
    """Whether ``master`` is ``reviewed`` or an unedited snapshot of it (a snapshot shares its version and its
    cached topology; any edit makes a new version)."""
    if reviewed is master:
        return True
    key = GasNetwork.TOPOLOGY_KEY
    a, b = reviewed._cache.get(key), master._cache.get(key)
    return reviewed.version == master.version and a is not None and a is b


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _new_id() -> str:
    return f"CS-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(3)}"


class EditingService:
    """Edit sessions and the change sets they produce, reviewed and committed (see the module).

    Parameters
    ----------
    folder
        Where change sets are kept (a workspace's ``changes/`` folder).
    operators
        The :class:`console.app.operators.OperatorService` that guards ``changes.edit``/``changes.approve`` and signs;
        ``None`` acts as a single-user install (no roles, nothing signed).
    network
        The network being edited (the GUI's open network), if any.

    Signals
    -------
    session_changed(int)
        The edit session changed (the undo stack's index).
    changesets_changed(str)
        A change set was submitted, approved or rejected (its id).
    """

    session_changed = Signal(int)
    changesets_changed = Signal(str)

    def __init__(self, folder: str | os.PathLike, *, operators: Any = None, network: GasNetwork | None = None,
                 state_dir: str | os.PathLike | None = None) -> None:  # fmt: skip
        self.folder = Path(folder)
        # Where the master's solved steady states are kept across sessions (default: the workspace's cache folder
        # beside ``changes/``); see console.app.master_state.
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.operators = operators
        self.stack = UndoStack()
        self.stack.changed.connect(self.session_changed.emit)
        self.network: GasNetwork | None = None
        self.base: GasNetwork | None = None
        # The master last opened for a review: (where it came from and that file's state, the network). Its derived
        # data (topology, valve segments, steady state) is cached on it per version, so every review of the same
        # master after the first is the cached path.
        self._master: tuple[tuple, GasNetwork] | None = None
        self.masters_opened = 0  # how many times a master was read from its source (tests, diagnostics)
        self.master_solves = 0  # how many times a master's steady state was solved cold (tests, diagnostics)
        self.master_states_reused = Counter()  # where a master's steady state came from without a solve
        self.carried = Counter()  # derived structures an approval took over from the reviewed branch, per cache key
        self._digests: dict[tuple, str] = {}  # file state → SHA-256 of its bytes, hashed this session
        # Reading a master, its steady state and what reviews read of it are prepared under this lock: a review asked
        # while the background prefetch prepares the same master waits for it and finds it ready, instead of a
        # second read and cold solve on the other job thread.
        self._preparing = threading.RLock()
        self._solving = threading.RLock()  # a master's steady state is solved (or read) once, see steady_state
        self._store: Any = None
        # The last review's branch steady state: (change id, the master reviewed, its changes, the branch's topology,
        # the branch's whole SimulationResult). On approval of exactly that change set onto that master, it is the
        # new master's steady state.
        self._reviewed: tuple | None = None
        # What the session's base was opened from (the file's state then): a solution the console holds for the
        # base (solution_provider) is the master's when the file is still in that state.
        self._base_state: tuple | None = None
        self._opened: tuple | None = None
        self.masters_from_window = 0  # masters taken from the open network instead of read (tests, diagnostics)
        #: ``() -> run`` with ``source``, ``version`` and ``result`` (a console.app.simulation.SimulationRun) or None:
        #: the simulator's solution of the network being edited, reused for the master when it is of the base.
        self.solution_provider: Callable[[], Any] | None = None
        if network is not None:
            self.start(network)

    # -- the edit session ---------------------------------------------------------------------------------------------
    def start(self, network: GasNetwork, source: Any = None) -> None:
        """Edit ``network`` from here on; its current state is the session's base (read from ``source``, when
        given: the file's state now is noted, so a solution of the base serves as the master's while it holds)."""
        self.network = network
        self.base = network.snapshot()
        self._base_state = _source_state(source) if source is not None else None
        # the network as read from the file in that state (master_at takes it instead of reading the file again)
        self._opened = (self._base_state, network, network.version, self.base) if self._base_state else None
        self.stack.clear()

    def _require(self, permission: str, action: str, owner: str | None = None) -> None:
        if self.operators is not None:
            self.operators.require(permission, action, owner=owner)

    def push(self, edit: EditCommand) -> None:
        """Apply an edit of the session (``changes.edit``), undoable."""
        self._require("changes.edit", "edit the network")
        self.stack.push(edit)

    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()

    @property
    def modified(self) -> bool:
        return not self.stack.is_clean

    def saved(self) -> None:
        """The network was saved: the saved state is the new base and the undo history's clean point."""
        if self.network is not None:
            self.base = self.network.snapshot()
        self._base_state = None
        self._opened = None
        self.stack.set_clean()

    def pending_changes(self) -> list[FeatureChange]:
        """The feature changes of the session so far (base → the network now)."""
        if self.network is None or self.base is None:
            return []
        return diff_networks(self.base, self.network)

    # -- operators -----------------------------------------------------------------------------------------------------
    def _who(self) -> tuple[str, str, Any]:
        op = getattr(self.operators, "current", None)
        if op is None:
            return "", "", None
        return op.operator_id, op.did, self.operators.signing_key

    def _record(self, cs: ChangeSet, decision: str) -> None:
        if self.operators is None:
            return
        n = cs.counts()
        body = {
            "change_id": cs.change_id,
            "network": cs.network[:200],
            "edits": len(cs.changes),
            "digest": cs.digest,
            "summary": f"{decision}: {cs.title[:120]} (+{n['add']} ~{n['change']} -{n['delete']})",
            "decision": decision,
            "author": cs.author_did or cs.author,
        }
        if cs.author_signature:
            body["author_signature"] = cs.author_signature
        if decision != "submitted" and cs.comment:
            body["comment"] = cs.comment[:500]
        entry = self.operators.record("gis.changeset", body)
        index = getattr(entry, "index", None)
        if isinstance(index, int):
            cs.ledger_entries.append(index)

    # -- change sets ---------------------------------------------------------------------------------------------------
    def path_of(self, change_id: str) -> Path:
        if not change_id or any(c in change_id for c in "/\\") or change_id.startswith("."):
            raise ChangeSetStoreError(f"{change_id!r} is not a change set id")
        return self.folder / f"{change_id}.json"

    def _save(self, cs: ChangeSet) -> None:
        from console.atomic import atomic_write_text

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path_of(cs.change_id), json.dumps(cs.to_json(), ensure_ascii=False, indent=1,
                                                                 allow_nan=False))  # fmt: skip

    def get(self, change_id: str) -> ChangeSet:
        path = self.path_of(change_id)
        if not path.is_file():
            known = ", ".join(c.change_id for c in self.list()) or "none"
            raise ChangeSetStoreError(f"no change set {change_id!r} in {self.folder} (known: {known})")
        return self.load(path)

    @staticmethod
    def load(path: str | os.PathLike) -> ChangeSet:
        """Read a change set file (a clear :class:`ChangeSetStoreError` naming the file for anything malformed)."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ChangeSetStoreError(f"{path}: not a readable change set ({exc})") from None
        return ChangeSet.from_json(doc, str(path))

    def list(self, status: str | None = None) -> list[ChangeSet]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("CS-*.json")):
            try:
                cs = self.load(path)
            except ChangeSetStoreError as exc:
                log.warning("%s", exc)
                continue
            if status is None or cs.status == status:
                out.append(cs)
        return out

    def submit(
        self, title: str = "", changes: Sequence[FeatureChange] | None = None, *, network_name: str = ""
    ) -> ChangeSet:
        """Submit the session's changes (or ``changes``) for review, signed by the author; the session starts over."""
        self._require("changes.edit", "submit a change set")
        from_session = changes is None
        changes = list(self.pending_changes() if changes is None else changes)
        if not changes:
            raise ChangeSetStoreError("nothing to submit: the network is as it was opened or last saved")
        author, did, key = self._who()
        name = network_name or (self.network.name if self.network is not None else "network")
        cs = ChangeSet(_new_id(), name, author, title or f"{len(changes)} feature changes", changes, created=_now(),
                       author_did=did)  # fmt: skip
        cs.digest = changeset_digest_of(cs)
        if key is not None:
            cs.author_signature = base64.b64encode(key.sign(bytes.fromhex(cs.digest))).decode("ascii")
        self._record(cs, "submitted")
        self._save(cs)
        if from_session and self.network is not None:
            self.base = self.network.snapshot()
            self.stack.clear()
        self.changesets_changed.emit(cs.change_id)
        return cs

    def import_changeset(self, cs: ChangeSet) -> ChangeSet:
        """Submit a change set made elsewhere (``gasops changes diff``) under the current operator as author."""
        return self.submit(cs.title, cs.changes, network_name=cs.network)

    def _check_signature(self, cs: ChangeSet) -> None:
        if cs.digest != changeset_digest_of(cs):
            raise ChangeSetStoreError(f"change set {cs.change_id}: its digest does not match its content (altered "
                                      f"after submission?)")  # fmt: skip
        if not cs.author_signature:
            return
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        from console.ledger import public_from_did_key

        try:
            public = Ed25519PublicKey.from_public_bytes(public_from_did_key(cs.author_did))
            public.verify(base64.b64decode(cs.author_signature), bytes.fromhex(cs.digest))
        except (InvalidSignature, ValueError, GasOpsError) as exc:
            raise ChangeSetStoreError(f"change set {cs.change_id}: the author's signature does not verify "
                                      f"({type(exc).__name__})") from None  # fmt: skip

    def branch(self, cs: ChangeSet, master: GasNetwork) -> GasNetwork:
        """``master`` with the change set applied (a copy; master is not touched)."""
        branch = master.snapshot()
        ApplyChangeSet(branch, cs.changes).redo()
        return branch

    def review(
        self, change_id: str, master: GasNetwork, *, hydraulics: bool = True, feedback: Any = None,
        source: Any = None, request: Any = None,
    ) -> ReviewEffect:  # fmt: skip
        """The engineering effect of a change set on ``master`` (conflicts raise before anything is computed).

        ``master`` is only read (the branch is a snapshot of it), so a job may review on the service's cached master
        while the window goes on; ``feedback`` (console.app.jobs.Feedback) gets progress and may cancel. The
        master's steady state (for ``request``, default design demand) comes from :meth:`steady_state` (``source``:
        where the master was read, for the persisted state)."""
        from console.app.review import add_hydraulics, prepare_master

        cs = self.get(change_id)
        with self._preparing:
            prepare_master(master, hydraulics=hydraulics)  # before the branch is snapshotted: it shares what is built
        if feedback is not None:
            feedback.progress(0.2, REVIEW_BRANCH)
        branch = self.branch(cs, master)
        if feedback is not None:
            feedback.progress(0.3, REVIEW_EFFECT)
        effect = review_effect(master, branch, hydraulics=False, changes=cs.changes)
        effect.overlapping_changesets = self.overlapping(cs, master)
        if hydraulics:
            from console.hydraulics import HydraulicsError

            if feedback is not None:  # validation and valve segments shown while the steady states are solved
                feedback.share(replace(effect, pressures=[], new_violations=[]))
                feedback.progress(0.5, REVIEW_STEADY)
            try:
                before = self.steady_state(master, source, request=request)
            except HydraulicsError:
                before = None  # the effect solves it again and says why the master does not solve
            if feedback is not None:
                feedback.progress(0.8, REVIEW_HYDRAULICS)
            add_hydraulics(master, branch, effect, cs.changes, before=before)
        # what approving this change set onto this master makes: the branch, whose derived structures become the
        # new master's (see _carry_over)
        self._reviewed = (cs.change_id, master, cs.changes, branch, effect.branch_steady_state)
        return effect

    # -- the master's steady state, kept -------------------------------------------------------------------------------
    @property
    def store(self):
        """The :class:`console.app.master_state.SteadyStateStore` of the workspace (its ``cache/`` folder)."""
        from console.app.master_state import SteadyStateStore

        folder = self.state_dir if self.state_dir is not None else self.folder.parent / "cache"
        if self._store is None or self._store.folder != folder:
            self._store = SteadyStateStore(folder)
        return self._store

    def _master_digest(self, source: Any, master: GasNetwork) -> str | None:
        """SHA-256 of the file ``master`` was read from, when it is the held master and the file is still in the
        state it was read in (checked again after hashing); None otherwise (a database, another network)."""
        held = self._master
        if source is None or held is None or held[1] is not master:
            return None
        key = held[0]
        if key in self._digests:
            return self._digests[key]
        from console.app.master_state import file_digest

        try:
            digest = file_digest(key[0])
        except OSError as exc:
            log.warning("%s: not hashed (%s): its steady state is not kept", key[0], exc)
            return None
        if _source_state(source) != key:
            log.warning("%s changed while it was hashed: its steady state is not kept", key[0])
            return None
        self._digests[key] = digest
        return digest

    def _from_provider(self, master: GasNetwork, source: Any, request: Any) -> Any:
        """The simulator's solution of the base, when the master is the base as opened (same file state) and the
        request is the same; None otherwise."""
        from console.app.master_state import request_digest

        if self.solution_provider is None or self._base_state is None or self.base is None:
            return None
        held = self._master
        if held is None or held[1] is not master or held[0] != self._base_state:
            return None
        run = self.solution_provider()
        if run is None or run.source is not self.network or run.version != self.base.version:
            return None
        result = run.result
        if request_digest(result.request) != request_digest(request):
            return None
        topo = master.topology
        if len(result.node_ids) != topo.n_nodes or len(result.link_ids) != topo.n_links:
            return None
        if not (np.array_equal(result.node_ids, topo.node_ids) and np.array_equal(result.link_ids, topo.link_ids)):
            return None
        return replace(result, network_version=master.version, network_name=master.name)

    def steady_state(self, master: GasNetwork, source: Any = None, *, request: Any = None, feedback: Any = None):
        """The steady state of ``master`` for ``request`` (default: design demand), kept on it per version: from
        the workspace's cache when a solution of this file's bytes and this request was kept (a session before, or
        an approval that carried the reviewed branch's over), else the simulator's solution of the same network
        (:attr:`solution_provider`), else solved (counted in :attr:`master_solves`) and kept on disk for the next
        session. Raises the solver's errors when the master does not solve."""
        from console.app.review import steady_state_key
        from console.hydraulics import SimulationRequest

        request = request or SimulationRequest()
        key = steady_state_key(request)
        hit = master._cache.get(key)
        if hit is not None and hit[0] == master.version:
            return hit[1]
        with self._solving:  # one solve of a master at a time: a second caller waits and finds it kept
            hit = master._cache.get(key)
            if hit is not None and hit[0] == master.version:
                return hit[1]
            return self._steady_state(master, source, request, key, feedback)

    def _steady_state(self, master: GasNetwork, source: Any, request: Any, key: str, feedback: Any):
        from console.app.master_state import request_digest
        from console.app.review import master_steady_state

        digest = self._master_digest(source, master)
        if digest is not None:
            got = self.store.load(master, request, digest)
            if got is not None:
                self.master_states_reused["disk"] += 1
                master.adopt(key, got, master.version)
                return got
        got = self._from_provider(master, source, request)
        if got is not None:
            self.master_states_reused["simulator"] += 1
            master.adopt(key, got, master.version)
        else:
            got = master_steady_state(master, request, feedback=feedback)
            self.master_solves += 1
        if digest is not None and request_digest(got.request) == request_digest(request):
            self._keep(master, got, digest)
        return got

    def _keep(self, master: GasNetwork, result: Any, digest: str) -> None:
        try:
            self.store.save(master, result, digest)
        except (OSError, ValueError) as exc:
            log.warning("the steady state of %s was not kept: %s", master.name, exc)

    def prefetch(self, source: Any, *, feedback: Any = None) -> GasNetwork:
        """Read the master at ``source`` and make its steady state ready (kept, reused or solved): what the console
        runs in the background when a network is opened for editing, so the first review finds it."""
        from console.app.review import prepare_master

        with self._preparing:
            master = prepare_master(self.master_at(source, feedback=feedback))
        self.steady_state(master, source, feedback=feedback)
        return master

    def master_at(self, source: Any, *, opener: Callable[[Any], GasNetwork] | None = None,
                  feedback: Any = None) -> GasNetwork:  # fmt: skip
        """The master network at ``source`` (a file or a PostGIS URL; None: the session's base, the network as opened
        or last saved), read once per state of its source: while the file is unchanged (same size and modification
        time) the network read before is returned, with its topology, valve segments and steady state cached on it.
        While the file is in the state the session's network was opened from (:meth:`start` with its ``source``), the
        master is that network as opened (:meth:`_opened_master`) and the file is not read at all.
        A database is read again every time (other consoles commit to it). Treat the answer as read-only: change a
        snapshot of it."""
        if source is None:
            if self.base is None:
                raise ChangeSetStoreError("no network is open: nothing to review against")
            return self.base
        with self._preparing:
            key = _source_state(source)
            held = self._master
            if key is not None and held is not None and held[0] == key:
                return held[1]
            master = self._opened_master(key)
            if master is not None:
                self.masters_from_window += 1
            else:
                if feedback is not None:
                    feedback.progress(0.05, REVIEW_OPENING)
                if opener is None:
                    from console.app.workspace import open_network as opener
                hashing = self._hash_meanwhile(key)
                try:
                    master = opener(source)
                finally:
                    if hashing is not None:
                        hashing.join()
                self.masters_opened += 1
            self._master = (key, master) if key is not None else None
            return master

    def _hash_meanwhile(self, key: tuple | None) -> threading.Thread | None:
        """Hash the master file (its steady state is kept under the SHA-256 of its bytes) on another thread while it is
        read: hashlib and the reader both release the GIL, so the hash costs a review nothing. Kept only when the
        file is still in the state ``key`` after hashing."""
        if key is None or key in self._digests:
            return None

        def run() -> None:
            from console.app.master_state import file_digest

            try:
                digest = file_digest(key[0])
            except OSError as exc:
                log.warning("%s: not hashed (%s)", key[0], exc)
                return
            if _source_state(key[0]) == key:
                self._digests[key] = digest

        thread = threading.Thread(target=run, name="gasops-master-digest", daemon=True)
        thread.start()
        return thread

    def _opened_master(self, key: tuple | None) -> GasNetwork | None:
        """The master from what the window has, when the file is still in the state the open network was read in:
        a snapshot of the network as it was opened, with what was derived on the open network since (topology, valve
        segments … :attr:`CARRIED_KEYS`) while that is unedited. None when the file changed (or was saved since).
        Safe from a job: the layers are the session's own snapshot's; only finished cache entries are read."""
        opened = self._opened
        if key is None or opened is None or opened[0] != key:
            return None
        _state, network, version, as_opened = opened
        master = as_opened.snapshot()
        if network is self.network and network.version == version == master.version:
            for name in self.CARRIED_KEYS:
                hit = network._cache.get(name)
                mine = master._cache.get(name)
                if hit is not None and hit[0] == version and (mine is None or mine[0] != version):
                    master._cache[name] = hit
        return master

    def review_at(self, change_id: str, source: Any, *, hydraulics: bool = True, feedback: Any = None,
                  opener: Callable[[Any], GasNetwork] | None = None) -> ReviewEffect:  # fmt: skip
        """:meth:`review` against the master at ``source`` (:meth:`master_at`): what a review job runs."""
        master = self.master_at(source, opener=opener, feedback=feedback)
        return self.review(change_id, master, hydraulics=hydraulics, feedback=feedback, source=source)

    def committed(self, source: Any, master: GasNetwork, *, persist: bool = True) -> None:
        """``master`` is now what ``source`` holds (an approval wrote it): keep it as the cached master, and its
        steady state (the reviewed branch's, carried over by :meth:`approve`) on disk unless ``persist`` is False
        (then :meth:`persist` does it, e.g. in a job)."""
        key = _source_state(source) if source is not None else None
        self._master = (key, master) if key is not None else None
        if persist and key is not None:
            self.persist(source, master)

    def settle(self, source: Any, master: GasNetwork) -> None:
        """What the console runs in a job after an approval: keep the carried steady state on disk (:meth:`persist`)
        and build the committed master's valve segments (the review builds only the branch's region; the next review
        and the isolation tools need the whole). Counted in :attr:`carried` under ``"segments built after approval"``."""
        from console.isolation import segments_ready, valve_segments

        if source is not None:
            self.persist(source, master)
        if not segments_ready(master):
            valve_segments(master)
            self.carried["segments built after approval"] += 1

    def persist(self, source: Any, master: GasNetwork) -> bool:
        """Keep the steady states cached on ``master`` (the held master of ``source``) in the workspace's cache;
        False when there is nothing to keep or the file is not the held master's."""
        from console.app.review import STEADY_STATE_KEY

        states = [hit[1] for k, hit in list(master._cache.items())
                  if k.startswith(STEADY_STATE_KEY) and hit[0] == master.version]  # fmt: skip
        if not states:
            return False
        digest = self._master_digest(source, master)
        if digest is None:
            return False
        for result in states:
            self._keep(master, result, digest)
        return True

    def overlapping(self, cs: ChangeSet, master: GasNetwork) -> list[str]:
        """Other pending change sets that meet this one on a valve segment whose boundary either of them alters —
        flagged even when the two touch different rows (their valves would bound the same outage differently)."""
        from console.app.review import boundary_segments, touched_segments

        mine_touched, mine_boundary = touched_segments(master, cs.changes), boundary_segments(master, cs.changes)
        out = []
        for other in self.list("submitted"):
            if other.change_id == cs.change_id:
                continue
            theirs_touched = touched_segments(master, other.changes)
            if (mine_boundary & theirs_touched) or (boundary_segments(master, other.changes) & mine_touched):
                out.append(other.change_id)
        return out

    def _decide(self, change_id: str, decision: str, comment: str) -> ChangeSet:
        cs = self.get(change_id)
        if cs.status != "submitted":
            raise ChangeSetStoreError(f"change set {change_id} is already {cs.status}"
                                      f"{' by ' + cs.reviewer if cs.reviewer else ''}")  # fmt: skip
        verb = "approve" if decision == "approved" else "reject"
        self._require("changes.approve", f"{verb} change set {change_id}", owner=cs.author or None)
        self._check_signature(cs)
        reviewer, _did, _key = self._who()
        return replace(cs, status=decision, reviewer=reviewer, comment=comment, decided=_now())

    def conflicts(self, change_id: str, master: GasNetwork) -> list[dict[str, Any]]:
        """The change set's features that ``master`` no longer holds as the change set found them, each with its
        three versions: ``ancestor`` (the change set's before), ``branch`` (its after) and ``master`` (now; None when
        the master deleted it), ``kind`` update-update, update-delete or insert-insert, and the ``columns`` concerned."""
        from console.network import find_conflicts

        cs = self.get(change_id)
        out = []
        for change, message, current in find_conflicts(master, cs.changes):
            if change.op == "add":
                kind = "insert-insert"
            else:
                kind = "update-delete" if current is None else "update-update"
            columns = sorted(set(change.before) | set(change.after)) if change.op == "change" else []
            out.append({
                "feature_id": change.feature_id, "layer": change.layer, "op": change.op, "kind": kind,
                "message": message, "columns": columns, "ancestor": dict(change.before), "branch": dict(change.after),
                "master": None if current is None else {k: current.get(k) for k in (columns or current)},
            })  # fmt: skip
        return out

    def resolved_changes(
        self, change_id: str, master: GasNetwork, resolutions: dict[str, str]
    ) -> tuple[list[FeatureChange], str]:
        """The change set with its conflicts resolved per feature (``RESOLUTIONS``): "master" keeps the master's
        version (the feature's change is dropped), "branch" takes the change set's over it (rebased: its before is
        the master's now). Returns (changes, a one-line account for the ledger). Every conflict needs a resolution;
        the branch's version of a feature the master deleted, or of an id the master took, cannot be taken."""
        cs = self.get(change_id)
        conflicts = {d["feature_id"]: d for d in self.conflicts(change_id, master)}
        unknown = {k: v for k, v in resolutions.items() if v not in RESOLUTIONS}
        if unknown:
            fid, value = next(iter(unknown.items()))
            raise ChangeSetStoreError(f"{fid}: resolution {value!r} is not one of {', '.join(RESOLUTIONS)}")
        missing = sorted(set(conflicts) - set(resolutions))
        if missing:
            raise ChangeSetStoreError(f"{len(missing)} conflicts are not resolved: {', '.join(missing[:5])}")
        out = []
        for change in cs.changes:
            conflict = conflicts.get(change.feature_id)
            if conflict is None:
                out.append(change)
                continue
            if resolutions[change.feature_id] == "master":
                continue
            if conflict["kind"] != "update-update":
                raise ChangeSetStoreError(
                    f"{change.feature_id}: the change set's version cannot be taken over an {conflict['kind']} "
                    f"conflict (the master {'deleted it' if conflict['kind'] == 'update-delete' else 'took the id'}); "
                    f"keep the master's and resubmit the feature"
                )
            out.append(replace(change, before={k: conflict["master"].get(k) for k in change.before}))
        account = "conflicts resolved: " + ", ".join(
            f"{fid} {'branch' if resolutions[fid] == 'branch' else 'master'}" for fid in sorted(conflicts)
        )
        return out, account

    def approve(
        self,
        change_id: str,
        master: GasNetwork,
        *,
        comment: str = "",
        commit: Callable[[GasNetwork, list[FeatureChange]], Any] | None = None,
        resolutions: dict[str, str] | None = None,
    ) -> ChangeSet:
        """Apply the change set to ``master`` and commit it, co-signed by the reviewer (see the module).

        ``commit(master, changes)`` persists the result (a file write, or per-feature PostGIS updates that may raise
        :class:`console.network.ChangeConflict`); when it raises, ``master`` is rolled back and nothing is recorded.
        ``resolutions`` (feature id → "branch" or "master") settle conflicts per feature (:meth:`resolved_changes`);
        the author's signed change set is kept as submitted and the ledger entry's comment says how each was settled.
        """
        changes = self.get(change_id).changes
        if resolutions:
            changes, account = self.resolved_changes(change_id, master, resolutions)
            comment = f"{comment}; {account}" if comment else account
        cs = self._decide(change_id, "approved", comment)
        reviewed = self._reviewed
        carried = (not resolutions and reviewed is not None and reviewed[0] == cs.change_id
                   and reviewed[2] == changes and _same_content(reviewed[1], master))  # fmt: skip
        edit = ApplyChangeSet(master, changes, f"change set {cs.change_id}")  # raises ChangeConflict first
        edit.redo()
        try:
            if commit is not None:
                commit(master, changes)
        except BaseException:
            edit.undo()
            raise
        self._record(cs, "approved")
        self._save(cs)
        if carried:
            self._carry_over(master, reviewed[3], reviewed[4])
        self._reviewed = None
        self.changesets_changed.emit(cs.change_id)
        return cs

    #: What a review builds on the branch at its version and a committed master would build again: the topology
    #: (with the id indices built on it), the component findings, the feature id index and the hydraulic model's
    #: arrays. Plain data, no reference to the branch (a spatial index or render buffers would hold it).
    CARRIED_KEYS = (GasNetwork.TOPOLOGY_KEY, "review.components", "feature_index", "hydraulics.arrays",
                    "isolation.segments")  # fmt: skip

    def _carry_over(self, master: GasNetwork, branch: GasNetwork, result: Any) -> None:
        """The reviewed branch becomes ``master`` (the change set applied to the same content, committed): its
        derived structures (:attr:`CARRIED_KEYS`, those built at the branch's version) and its steady state become
        the master's, so the next review does not rebuild them. Checked first: same version, layer sizes and ids."""
        from console.app.review import steady_state_key
        from console.network._ids import id_text

        same = master.version == branch.version and all(
            len(master[name]) == len(branch[name]) and id_text(master[name]["id"]).equals(id_text(branch[name]["id"]))
            for name in master.layers
        )
        if not same:
            log.warning("the approved master is not the reviewed branch: its derived state is built again")
            return
        for key in self.CARRIED_KEYS:
            hit = branch._cache.get(key)
            if hit is not None and hit[0] == branch.version:
                master.adopt(key, hit[1], master.version)
                self.carried[key] += 1
        if result is not None:
            state = replace(result, network_version=master.version, network_name=master.name)
            master.adopt(steady_state_key(state.request), state, master.version)
            self.master_states_reused["approval"] += 1

    def reject(self, change_id: str, comment: str) -> ChangeSet:
        """Reject a change set with the reviewer's comment (recorded in the ledger; the master is not touched)."""
        if not comment.strip():
            raise ChangeSetStoreError("a rejection needs a comment telling the planner what to change")
        cs = self._decide(change_id, "rejected", comment)
        self._record(cs, "rejected")
        self._save(cs)
        self.changesets_changed.emit(cs.change_id)
        return cs

    def history(self, feature_id: str) -> list[dict[str, Any]]:
        """The change sets that touched ``feature_id``, oldest first (its as-built history)."""
        out = []
        for cs in self.list():
            ops = [c.op for c in cs.changes if c.feature_id == feature_id]
            if ops:
                out.append({"change_id": cs.change_id, "status": cs.status, "op": ops[0], "author": cs.author,
                            "reviewer": cs.reviewer, "created": cs.created, "decided": cs.decided,
                            "title": cs.title})  # fmt: skip
        return sorted(out, key=lambda r: (r["created"], r["change_id"]))


# -- validation kept current while editing -------------------------------------------------------------------------------
SEVERITY_ORDER = ("error", "warning", "info")


def edit_feature_ids(edit: EditCommand) -> set[str]:
    """Every feature id an edit names (its steps' too, and the features it creates)."""
    out: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "features" and isinstance(v, dict):
                    out.update(map(str, v))
                else:
                    walk(v, k)
        elif isinstance(value, list):
            if key in ("ids", "feature_ids"):
                out.update(str(v) for v in value if isinstance(v, str))
            else:
                for item in value:
                    walk(item)
        elif isinstance(value, str) and key in ("node_id", "feature_id", "pipe_id"):
            out.add(value)

    walk(edit.describe())
    for ids in getattr(edit, "created", {}).values():
        out.update(map(str, ids))
    return out


class LiveValidation:
    """The validation report of the network being edited, one finding per (check, feature), kept current.

    :meth:`full` checks the whole network (run it off the UI thread at a million pipes); :meth:`recheck` re-checks
    only the neighbourhood of the features an edit touched (its local checks; the component check is global and is
    refreshed by the next :meth:`full`). ``changed`` fires after either.
    """

    changed = Signal()

    def __init__(self) -> None:
        self.findings: dict[tuple[str, str], Any] = {}
        self.version: int | None = None  # the network version of the last full report (None: none yet)

    @staticmethod
    def compute(network: GasNetwork) -> dict[tuple[str, str], Any]:
        from console.network import validate
        from console.network._validation import per_feature

        return per_feature(validate(network).findings)

    def full(self, network: GasNetwork, findings: dict | None = None) -> None:
        """Take the whole network's report (``findings`` computed elsewhere, e.g. in a job, or now)."""
        self.findings = self.compute(network) if findings is None else findings
        self.version = network.version
        self.changed.emit()

    def scope(self, network: GasNetwork, ids) -> set[str]:
        """The features whose local findings an edit of ``ids`` can change, in ``network`` as it is now."""
        from console.network._validation import neighbourhood

        return neighbourhood(network, ids)

    def recheck(self, network: GasNetwork, scope: set[str]) -> None:
        """Re-check the features in ``scope`` (local checks) and replace their findings."""
        from console.network._validation import GLOBAL_CHECKS, validate_features

        if self.version is None:
            return
        kept = {k: f for k, f in self.findings.items() if k[1] not in scope or k[0] in GLOBAL_CHECKS}
        for f in validate_features(network, scope):
            kept[(f.check, f.feature_ids[0])] = f
        self.findings = kept
        self.changed.emit()

    def by_severity(self) -> dict[str, dict[str, list[Any]]]:
        """severity → check → findings (sorted by feature id), severities in ``SEVERITY_ORDER``."""
        out: dict[str, dict[str, list[Any]]] = {}
        for (check, _fid), f in sorted(self.findings.items()):
            out.setdefault(f.severity, {}).setdefault(check, []).append(f)
        return {sev: out[sev] for sev in SEVERITY_ORDER if sev in out}

    def counts(self) -> dict[str, int]:
        return {sev: sum(len(v) for v in checks.values()) for sev, checks in self.by_severity().items()}
