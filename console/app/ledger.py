"""The evidence ledger workflow (区块链存证): the workspace's ledger node, hazards reported and advanced through their
lifecycle (隐患: 上报 → 派单 → 整改 → 复核 → 销号), the hazard register, verification, sync and peers.

Qt-free: the GUI's ledger controller and ``gasops ledger …`` both drive a :class:`LedgerService`; tests call it
directly. The service builds every entry body it signs (see :mod:`console.app.hazards`), so the GUI and the command
line write the same entries.

Passphrases go from the caller (a dialog, a prompt, ``--passphrase-file`` or ``$GASOPS_LEDGER_PASSPHRASE`` for
unattended use) straight to :meth:`LedgerNode.open`/``init``; the service never logs, stores or keeps them.

Verbs (:meth:`~LedgerService.open`, :meth:`~LedgerService.report_hazard`, :meth:`~LedgerService.advance_hazard` …)
raise a :class:`~console.ledger.LedgerError` whose message can be shown as is. Verification and sync run as jobs
(channels ``ledger.verify`` and ``ledger.sync``) and announce their outcome through signals.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psygnal import Signal

from console.app.hazards import (
    HazardRow,
    crs_label,
    hazard_rows,
    media_type,
    new_hazard_id,
    next_step,
    report_body,
    step_body,
)
from console.app.jobs import JobHandle, Jobs
from console.app.workspace import Workspace
from console.errors import GasOpsError
from console.ledger import (
    AppendResult,
    EntryRejected,
    Equivocation,
    KeyFileError,
    LedgerError,
    LedgerNode,
    LogInfo,
    PeerInfo,
    SyncLimits,
    SyncResult,
    VerifyReport,
    WitnessStatus,
    collect_cosignatures,
    export_hazard_bundle,
    recover_from_peer,
    sync_peer,
)
from console.texts import QT_TRANSLATE_NOOP

__all__ = [
    "PASSPHRASE_ENV",
    "HazardStepRefused",
    "LedgerLocked",
    "LedgerService",
    "LedgerStatus",
    "SyncReport",
    "WrongPassphrase",
    "environment_passphrase",
]

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "GASOPS_LEDGER_PASSPHRASE"


def environment_passphrase() -> str | None:
    """The passphrase for unattended use (``$GASOPS_LEDGER_PASSPHRASE``), or None when it is not set."""
    return os.environ.get(PASSPHRASE_ENV) or None


class WrongPassphrase(LedgerError):
    """The passphrase did not decrypt the ledger's keys; nothing was changed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__("Wrong passphrase: the ledger's keys did not decrypt. Nothing was changed; try again.")


class LedgerLocked(LedgerError):
    """The ledger is not open and unlocked (or does not exist yet), so nothing can be signed."""

    def __init__(self, folder: Path, exists: bool) -> None:
        self.folder = folder
        self.exists = exists
        if exists:
            text = f"{folder}: the ledger is locked; unlock it with its passphrase (or set ${PASSPHRASE_ENV})"
        else:
            text = f"{folder}: no ledger yet; create one first (Ledger dock › Create…, or `gasops ledger init`)"
        super().__init__(text)


class HazardStepRefused(LedgerError):
    """A lifecycle step that cannot be signed: unknown hazard, a step out of order, or a missing field."""

    def __init__(self, hazard_id: str, text: str) -> None:
        self.hazard_id = hazard_id
        super().__init__(text)


@dataclass(frozen=True)
class LedgerStatus:
    """What the ledger dock shows about the node: its logs with their latest checkpoints, peers, alarms."""

    origin: str
    folder: Path
    size: int
    quorum: int
    logs: list[LogInfo] = field(default_factory=list)
    checkpoints: dict[str, dict | None] = field(default_factory=dict)
    peers: list[PeerInfo] = field(default_factory=list)
    equivocations: list[Equivocation] = field(default_factory=list)


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one sync: the own log restored from a peer (if asked), each peer's pull, cosignatures."""

    results: list[SyncResult]
    recovered: SyncResult | None = None
    witness: WitnessStatus | None = None

    @property
    def ok(self) -> bool:
        return not any(r.status in ("rejected", "equivocation") for r in self.results)


def _verify_job(node: LedgerNode, *, workers: int = 1, feedback=None) -> VerifyReport:
    if feedback is not None:
        feedback.progress(0.0, "Verifying the ledger…")
    return node.verify(workers=workers)


def _sync_job(
    node: LedgerNode,
    peers: list[str],
    *,
    recover_from: str | None,
    cosign: bool,
    limits: SyncLimits,
    feedback=None,
) -> SyncReport:
    if feedback is not None:
        feedback.progress(0.0, "Syncing with peers…")
    recovered = recover_from_peer(node, recover_from, limits) if recover_from else None
    results = []
    for i, name in enumerate(peers):
        if feedback is not None:
            feedback.progress(i / max(len(peers), 1), f"Syncing with {name}…")
        results.append(sync_peer(node, name, limits))
    witness = collect_cosignatures(node, limits) if cosign and peers else None
    return SyncReport(results, recovered, witness)


class LedgerService:
    """The ledger of one workspace and the hazard register it holds.

    Signals (psygnal): ``opened()`` after a node is opened or created and unlocked, ``closed()``,
    ``hazards_changed()`` after :attr:`rows` and :attr:`status` were re-read, ``hazard_signed(hazard_id, step,
    AppendResult)`` after a step of a hazard was signed (the register already shows it), ``verified(VerifyReport)``,
    ``verify_failed(str)``, ``synced(SyncReport)``, ``failed(str)`` when a background job fails (verbs raise
    instead), ``busy_changed(str | None)`` with what a running job is doing (None when idle).

    ``folder`` fixes the ledger's folder; without it the folder is the ledger of the open network's workspace
    (:meth:`set_network`, :attr:`Workspace.ledger_dir`).
    """

    opened = Signal()
    closed = Signal()
    hazards_changed = Signal()
    hazard_signed = Signal(str, str, object)
    verified = Signal(object)
    verify_failed = Signal(str)
    synced = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(object)

    def __init__(
        self,
        folder: str | os.PathLike | None = None,
        *,
        jobs: Jobs | None = None,
        network_path: str | os.PathLike | None = None,
        network_name: str = "",
        authority: Any = None,
    ) -> None:
        self.jobs = jobs if jobs is not None else Jobs()
        # Who may do what (console.app.operators.OperatorService): attached to the node this service opens, it signs
        # each step with the logged-in operator's key and refuses what their roles do not allow.
        self.authority = authority
        self._folder = Path(folder) if folder else None
        self._workspace = Workspace.for_network(network_path, network_name)
        self.crs = ""  # the CRS a hazard's location is given in (that of the network on the map)
        self.node: LedgerNode | None = None
        self.rows: list[HazardRow] = []
        self.status: LedgerStatus | None = None
        self.last_report: VerifyReport | None = None
        self._thread = threading.get_ident()  # the thread the service belongs to (the GUI's main thread)

    # -- where the node lives ----------------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self._folder or self._workspace.ledger_dir

    def set_folder(self, folder: str | os.PathLike) -> None:
        """Use the ledger in ``folder`` from now on (the open one is closed)."""
        self.close()
        self._folder = Path(folder)

    def set_network(self, network_path: str | os.PathLike | None, network_name: str = "", crs=None) -> None:
        """Follow the network now open: its workspace's ledger (unless a folder was set) and its CRS.

        A ledger open in another folder is closed: hazards of this network belong in its own workspace's ledger.
        """
        self.crs = crs_label(crs)
        before = self.folder
        self._workspace = Workspace.for_network(network_path, network_name)
        if self.folder != before:
            self.close()

    def exists(self) -> bool:
        return (self.folder / "config.json").exists()

    @property
    def state(self) -> str:
        """``open`` (unlocked), ``locked`` (a ledger exists here) or ``none``."""
        return "open" if self.node is not None else "locked" if self.exists() else "none"

    # -- opening, creating, closing ------------------------------------------------------------------------------------
    def open(self, passphrase: str | None = None, *, unlock: bool = True) -> LedgerNode:
        """Open the ledger and unlock its keys with ``passphrase`` (default ``$GASOPS_LEDGER_PASSPHRASE``).

        ``unlock=False`` opens it read-only (verify, export, list: no signing). Raises :class:`WrongPassphrase`,
        :class:`LedgerLocked` (no passphrase, or no ledger here) or another :class:`LedgerError`.
        """
        if not self.exists():
            raise LedgerLocked(self.folder, exists=False)
        if unlock:
            passphrase = passphrase if passphrase is not None else environment_passphrase()
            if passphrase is None:
                raise LedgerLocked(self.folder, exists=True)
        node = LedgerNode.open(self.folder)
        try:
            if unlock:
                node.unlock(passphrase)
        except KeyFileError as exc:
            node.close()
            if exc.problem.startswith("wrong passphrase"):
                raise WrongPassphrase(self.folder) from None  # the key file's path and nothing of the passphrase
            raise
        except BaseException:
            node.close()
            raise
        self._attach(node)
        return node

    def open_unattended(self) -> bool:
        """Open the ledger when ``$GASOPS_LEDGER_PASSPHRASE`` is set and a ledger exists (what a kiosk or a test
        does); True when it is open afterwards."""
        if self.node is None and environment_passphrase() and self.exists():
            self.open()
        return self.node is not None

    def create(self, origin: str, passphrase: str, *, quorum: int = 1, scrypt_n: int = 2**15) -> LedgerNode:
        """Create the ledger (keys encrypted under ``passphrase``, genesis entry) and keep it open."""
        if not passphrase:
            raise LedgerError(f"{self.folder}: give a passphrase to protect the ledger's keys")
        node = LedgerNode.init(self.folder, origin.strip(), passphrase, quorum=quorum, scrypt_n=scrypt_n)
        self._attach(node)
        return node

    def _guard(self, permission: str, action: str = "") -> None:
        if self.authority is not None:
            self.authority.require(permission, action)

    def _attach(self, node: LedgerNode) -> None:
        self.close()
        self.node = node
        self.last_report = None
        if self.authority is not None:
            self.authority.attach(node)
        node.entry_appended.connect(self._on_node_change)
        node.sync_finished.connect(self._on_node_change)
        node.equivocation_detected.connect(self._on_node_change)
        self.refresh()
        self.opened.emit()

    def close(self) -> None:
        """Close the node (its keys are forgotten); running verify and sync jobs are cancelled."""
        if self.node is None:
            return
        self.jobs.cancel("ledger.verify")
        self.jobs.cancel("ledger.sync")
        self.jobs.cancel("ledger.refresh")
        node, self.node = self.node, None
        if self.authority is not None and self.authority.node is node:
            self.authority.detach()
        for sig in (node.entry_appended, node.sync_finished, node.equivocation_detected):
            sig.disconnect(self._on_node_change)
        node.close()
        self.rows = []
        self.status = None
        self.last_report = None
        self.busy_changed.emit(None)
        self.closed.emit()

    def require_node(self) -> LedgerNode:
        """The open node, or :class:`LedgerLocked` naming what to do."""
        if self.node is None:
            raise LedgerLocked(self.folder, self.exists())
        return self.node

    # -- hazards -------------------------------------------------------------------------------------------------------
    def report_hazard(
        self,
        x: float,
        y: float,
        *,
        category: str,
        severity: str,
        description: str,
        asset_id: str = "",
        actor: str = "",
        files: Iterable[str | os.PathLike] = (),
        hazard_id: str | None = None,
        crs: str | None = None,
    ) -> AppendResult:
        """Store the evidence ``files``, then sign and append ``hazard.reported`` at map point (x, y).

        ``actor`` (who reports) goes on the ledger only as a keyed digest; ``crs`` defaults to the network's.
        """
        node = self.require_node()
        self._guard("hazard.report", "report a hazard")
        if not description.strip():
            raise LedgerError("describe the hazard (what was seen, where exactly)")
        body = report_body(
            hazard_id or new_hazard_id(node),
            x,
            y,
            self.crs if crs is None else crs,
            category=category,
            severity=severity,
            description=description,
            asset_id=asset_id,
            reporter_digest=node.personal_digest(actor) if actor else "",
            attachments=self._store_files(node, files),
        )
        try:
            result = node.append("hazard.reported", body)
        except EntryRejected as exc:
            raise LedgerError(f"hazard {body['hazard_id']} not reported: {exc.detail}") from exc
        self.hazard_signed.emit(body["hazard_id"], "reported", result)
        return result

    def advance_hazard(
        self,
        hazard_id: str,
        step: str | None = None,
        fields: dict | None = None,
        files: Iterable[str | os.PathLike] = (),
    ) -> AppendResult:
        """Sign and append lifecycle ``step`` of a hazard (default: the step that follows its status), chained to its
        latest step by hash. ``fields``: assignee/due/note, description, result/note or note, by step."""
        node = self.require_node()
        self._guard("hazard.advance", f"take the next step of hazard {hazard_id}")
        record = node.state().hazards.get(hazard_id)
        if record is None:
            raise HazardStepRefused(hazard_id, f"hazard {hazard_id} is not in this node's own log")
        step = step or next_step(record.status)
        if step is None:
            raise HazardStepRefused(hazard_id, f"{hazard_id} is closed: no step follows")
        try:
            step_body(
                hazard_id, step, record.last_leaf, fields or {}, []
            )  # refuse a missing field before storing files
            body = step_body(hazard_id, step, record.last_leaf, fields or {}, self._store_files(node, files))
            result = node.append(f"hazard.{step}", body)
        except ValueError as exc:
            raise HazardStepRefused(hazard_id, f"{hazard_id}: {exc}") from exc
        except EntryRejected as exc:
            raise HazardStepRefused(hazard_id, f"Not allowed: {exc.detail}") from exc
        self.hazard_signed.emit(hazard_id, step, result)
        return result

    def next_step(self, hazard_id: str) -> str | None:
        """The step a hazard of this node's own log can take next (None when closed or unknown)."""
        if self.node is None:
            return None
        record = self.node.state().hazards.get(hazard_id)
        return next_step(record.status) if record is not None else None

    def hazards(self) -> list[HazardRow]:
        """The hazard register: every hazard of every log the node holds, with its status and proof badge."""
        return list(self.rows)

    def hazard(self, hazard_id: str) -> HazardRow | None:
        return next((r for r in self.rows if r.hazard_id == hazard_id), None)

    def search(self, kind: str, text: str) -> list[dict]:
        """Entries by ``hazard`` id, ``device`` or ``incident`` id."""
        key = {"hazard": "hazard_id", "device": "device", "incident": "incident_id"}[kind]
        return self.require_node().search(**{key: text.strip()})

    def export_bundle(self, hazard_id: str, output: str | os.PathLike, origin: str | None = None) -> Path:
        """Write the offline-verifiable evidence bundle of a hazard (a zip)."""
        return export_hazard_bundle(self.require_node(), hazard_id, output, origin)

    @staticmethod
    def _store_files(node: LedgerNode, files: Iterable[str | os.PathLike]) -> list[dict]:
        out = []
        for f in files:
            path = Path(f)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LedgerError(f"{path}: cannot read the attachment ({exc.strerror or exc})") from exc
            out.append(node.put_evidence(data, media_type(path)))
        return out

    # -- peers ---------------------------------------------------------------------------------------------------------
    def peers(self) -> list[PeerInfo]:
        return self.require_node().peers()

    def add_peer(self, name: str, url: str, origin: str, vkey: str, witness_vkey: str) -> None:
        """Follow a peer's log and accept its witness (its keys as ``gasops ledger peers self`` prints them)."""
        self._guard("ledger.peers", f"add the ledger peer {name}")
        self.require_node().add_peer(name, url, origin, vkey, witness_vkey)
        self.refresh()

    def remove_peer(self, name: str) -> None:
        """Stop syncing with a peer and counting its witness; the entries of its log already held stay."""
        self._guard("ledger.peers", f"remove the ledger peer {name}")
        self.require_node().remove_peer(name)
        self.refresh()

    def identity(self) -> dict[str, str]:
        """What a peer needs to follow this node: origin, organisation key and witness key (vkeys)."""
        node = self.require_node()
        return {"origin": node.origin, "vkey": node.org_vkey, "witness_vkey": node.witness_vkey}

    # -- verification and sync (jobs) ------------------------------------------------------------------------------------
    def verify(self, *, workers: int = 1) -> JobHandle:
        """Recompute every log, signature and checkpoint in a job; ``verified(report)`` when done. A verification
        already running is returned instead of starting another."""
        node = self.require_node()
        self.busy_changed.emit(QT_TRANSLATE_NOOP("LedgerService", "Verifying every entry, signature and checkpoint…"))
        return self.jobs.submit(
            "ledger.verify",
            _verify_job,
            node,
            workers=workers,
            key=("verify", id(node)),
            on_done=self._on_verified,
            on_error=lambda exc: self._on_job_error("verify", exc),
            on_cancel=self._on_job_cancelled,
        )

    def sync(
        self,
        peer: str | None = None,
        *,
        recover_from: str | None = None,
        cosign: bool = False,
        limits: SyncLimits | None = None,
    ) -> JobHandle:
        """Pull the peers' logs (or only ``peer``'s) in a job; ``recover_from`` first restores this node's own log
        from that peer, ``cosign`` then asks the peers to cosign our checkpoint. ``synced(SyncReport)`` when done."""
        node = self.require_node()
        self._guard("ledger.sync", "sync the ledger with its peers")
        names = [peer] if peer else [p.name for p in node.peers()]
        self.busy_changed.emit(QT_TRANSLATE_NOOP("LedgerService", "Syncing with peers…"))
        return self.jobs.submit(
            "ledger.sync",
            _sync_job,
            node,
            names,
            recover_from=recover_from,
            cosign=cosign,
            limits=limits or SyncLimits(),
            key=("sync", id(node), peer, recover_from, cosign),
            on_done=self._on_synced,
            on_error=lambda exc: self._on_job_error("sync", exc),
            on_cancel=self._on_job_cancelled,
        )

    def _on_verified(self, report: VerifyReport) -> None:
        self.last_report = report
        self.busy_changed.emit(None)
        self.refresh()  # the hazard badges re-prove their entries too
        self.verified.emit(report)

    def _on_synced(self, report: SyncReport) -> None:
        self.busy_changed.emit(None)
        self.refresh()
        self.synced.emit(report)

    def _on_job_cancelled(self) -> None:
        self.busy_changed.emit(None)

    def _on_job_error(self, name: str, exc: BaseException) -> None:
        self.busy_changed.emit(None)
        text = str(exc) if isinstance(exc, GasOpsError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, GasOpsError):
            log.error("ledger %s failed", name, exc_info=exc)
        if name == "verify":
            self.verify_failed.emit(text)
        self.failed.emit(f"Ledger {name} failed: {text}")

    # -- keeping the register in step ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the hazard register and the node's status; ``hazards_changed`` follows."""
        node = self.node
        if node is None:
            self.rows, self.status = [], None
            self.hazards_changed.emit()
            return
        self.rows = hazard_rows(node)
        logs = node.logs()
        checkpoints = {}
        for info in logs:
            cps = node.checkpoints(info.origin)
            checkpoints[info.origin] = cps[-1] if cps else None
        self.status = LedgerStatus(
            node.origin, self.folder, node.size(), node.quorum, logs, checkpoints, node.peers(), node.equivocations()
        )
        self.hazards_changed.emit()

    def _on_node_change(self, *_args) -> None:
        # The node signals on the thread that changed it: a sync job or the peer server's thread. The register is
        # re-read on the service's own thread, through a job whose outcome is delivered there (a burst of entries
        # from a sync supersedes itself into one re-read).
        if threading.get_ident() == self._thread or not self.jobs.threaded:
            self.refresh()
        else:
            self.jobs.submit("ledger.refresh", _nothing, on_done=lambda _: self.refresh())


def _nothing(feedback=None) -> None:
    return None
