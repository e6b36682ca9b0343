"""The ledger feature in the main window: owns the :class:`LedgerNode`, signs what the docks request, keeps the
docks and the map overlay in step with the node's signals, and runs verification and sync in background jobs.

Passphrases go from a dialog (or ``$GASOPS_LEDGER_PASSPHRASE``, as for the CLI) straight to
:meth:`LedgerNode.open`/``init``; they are never logged, stored or kept on the controller.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction

from console.errors import GasOpsError
from console.ledger import AppendResult, EntryRejected, LedgerError, LedgerNode
from console.ui.ledger._dialogs import AdvanceDialog, CreateLedgerDialog, ReportHazardDialog, UnlockDialog, media_type
from console.ui.ledger._hazards_dock import HazardsDock
from console.ui.ledger._ledger_dock import LedgerDock
from console.ui.ledger._overlay import HazardOverlay
from console.ui.ledger._register import HazardRow, hazard_rows, new_hazard_id, next_step, step_body
from console.ui.workers import JobWorker, start_job

__all__ = ["LedgerController", "PASSPHRASE_ENV", "default_ledger_folder"]

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "GASOPS_LEDGER_PASSPHRASE"
_ZOOM_HALF_M = 150.0


def default_ledger_folder(network_path: Path | None = None) -> Path:
    """The workspace's ``ledger/`` when the network is a workspace's ``network.gpkg``, else the app's data folder."""
    if network_path is not None and network_path.name == "network.gpkg":
        return network_path.parent / "ledger"
    from console.app.workspace import data_dir

    return data_dir() / "ledger"


def _verify_job(node: LedgerNode, feedback=None):
    if feedback is not None:
        feedback.progress(0.0, "Verifying the ledger…")
    return node.verify()


def _sync_job(node: LedgerNode, feedback=None):
    from console.ledger import sync_all

    if feedback is not None:
        feedback.progress(0.0, "Syncing with peers…")
    return sync_all(node)


class LedgerController(QObject):
    """Signals: ``ledgerOpened()``, ``hazardsChanged()`` (after the docks and map show the new state),
    ``verified(object)`` (a VerifyReport), ``failed(str)`` (a one-line error also shown to the user)."""

    ledgerOpened = Signal()
    hazardsChanged = Signal()
    verified = Signal(object)
    failed = Signal(str)

    def __init__(self, window, folder: str | os.PathLike | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self._folder = Path(folder) if folder else None
        self.node: LedgerNode | None = None
        self.last_error: str | None = None
        self.last_report = None
        self.dialog = None  # the dialog open now (tests drive it through this)
        self._rows: list[HazardRow] = []
        self._jobs: dict[str, JobWorker] = {}

        self.hazards_dock = HazardsDock(window)
        self.ledger_dock = LedgerDock(window)
        window.add_dock(self.hazards_dock)
        window.add_dock(self.ledger_dock, tabify_with=self.hazards_dock)
        self.hazards_dock.raise_()
        self.overlay = HazardOverlay(self.canvas)

        self.act_report = QAction("Report hazard… (上报隐患)", window)
        self.act_report.setToolTip("Report a hazard at the centre of the map, or right-click the map where it is")
        self.act_report.triggered.connect(lambda: self.request_report())
        self.act_verify = QAction("Verify ledger (存证校验)", window)
        self.act_verify.triggered.connect(self.verify_now)
        window.add_analysis_action(self.act_report)
        window.add_analysis_action(self.act_verify)

        hd, ld = self.hazards_dock, self.ledger_dock
        hd.advanceRequested.connect(self.request_advance)
        hd.zoomRequested.connect(self.zoom_to_hazard)
        hd.hazardSelected.connect(self._on_hazard_select)
        hd.reportRequested.connect(lambda: self.request_report())
        hd.themeMaybeChanged.connect(self._on_theme_change)
        ld.unlockRequested.connect(self.request_unlock)
        ld.createRequested.connect(self.request_create)
        ld.verifyRequested.connect(self.verify_now)
        ld.syncRequested.connect(self.sync_now)
        ld.searchRequested.connect(self.search)
        ld.hazardRequested.connect(self._show_hazard)
        window.add_context_provider(self._add_context_actions)
        window.networkShown.connect(self._draw_hazards)
        self._on_theme_change()
        self._show_node_state()
        if os.environ.get(PASSPHRASE_ENV) and (self.folder / "config.json").exists():
            self.open_ledger()  # unattended use, like `gasops ledger … ` with the variable set

    # -- where the node lives, opening and creating ---------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self._folder or default_ledger_folder(self.window.network_path)

    def set_folder(self, folder: str | os.PathLike) -> None:
        self.close_ledger()
        self._folder = Path(folder)
        self._show_node_state()

    def exists(self) -> bool:
        return (self.folder / "config.json").exists()

    def open_ledger(self, passphrase: str | None = None) -> bool:
        """Open and unlock the ledger; without a passphrase use ``$GASOPS_LEDGER_PASSPHRASE`` or ask for it."""
        passphrase = passphrase or os.environ.get(PASSPHRASE_ENV)
        if passphrase is None:
            self.request_unlock()
            return False
        return self._open(passphrase) is None

    def _open(self, passphrase: str) -> str | None:
        """Open with ``passphrase``; returns the error text (also reported) or None."""
        node = None
        try:
            node = LedgerNode.open(self.folder, passphrase)
        except GasOpsError as exc:
            if node is not None:
                node.close()
            return self._fail("Cannot open the ledger", _unlock_message(exc))
        self._attach(node)
        return None

    def create_ledger(self, origin: str, passphrase: str, *, quorum: int = 1, scrypt_n: int = 2**15) -> bool:
        try:
            node = LedgerNode.init(self.folder, origin, passphrase, quorum=quorum, scrypt_n=scrypt_n)
        except GasOpsError as exc:
            self._fail("Cannot create the ledger", str(exc))
            return False
        self._attach(node)
        return True

    def _attach(self, node: LedgerNode) -> None:
        self.close_ledger()
        self.node = node
        self.last_error = None
        node.entry_appended.connect(self._on_node_change)
        node.sync_finished.connect(self._on_node_change)
        node.equivocation_detected.connect(self._on_node_change)
        self.refresh()
        self.ledgerOpened.emit()
        self.window.statusBar().showMessage(f"Ledger {node.origin} unlocked — {node.size():,} entries", 6000)

    def close_ledger(self) -> None:
        if self.node is None:
            return
        for job in self._jobs.values():
            job.cancel()
        self._jobs.clear()
        node, self.node = self.node, None
        for sig in (node.entry_appended, node.sync_finished, node.equivocation_detected):
            sig.disconnect(self._on_node_change)
        node.close()
        self._rows = []
        self.overlay.clear()
        self.hazards_dock.set_hazards([])
        self._show_node_state()

    def request_unlock(self) -> UnlockDialog:
        dlg = UnlockDialog(self.folder, self.window)
        dlg.on_submit = lambda: self._open(dlg.passphrase.text())
        return self._show_dialog(dlg)

    def request_create(self) -> CreateLedgerDialog:
        dlg = CreateLedgerDialog(self.folder, self.window)
        dlg.on_submit = lambda: self._submit_create(dlg)
        return self._show_dialog(dlg)

    def _submit_create(self, dlg: CreateLedgerDialog) -> str | None:
        ok = self.create_ledger(dlg.origin.text().strip(), dlg.passphrase.text())
        return None if ok else self.last_error

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
        files=(),
        hazard_id: str | None = None,
    ) -> AppendResult | None:
        """Store the evidence files, then sign and append ``hazard.reported``; None (and a message) on failure."""
        node = self._require_node()
        if node is None:
            return None
        network = self.window.network
        crs = network.crs if network is not None else None
        crs_text = f"EPSG:{crs.to_epsg()}" if crs is not None and crs.to_epsg() else (crs.to_string() if crs else "")
        body = {
            "hazard_id": hazard_id or new_hazard_id(node),
            "location": {"x": float(x), "y": float(y), "crs": crs_text},
            "category": category,
            "severity": severity,
            "description": description.strip(),
        }
        if asset_id:
            body["asset_id"] = asset_id
        try:
            if actor:
                body["reporter_digest"] = node.personal_digest(actor)
            attachments = self._store_files(node, files)
            if attachments:
                body["attachments"] = attachments
            result = node.append("hazard.reported", body)
        except (GasOpsError, OSError) as exc:
            self._fail("Hazard not reported", str(exc))
            return None
        self.window.statusBar().showMessage(f"Hazard {body['hazard_id']} signed as entry {result.index}", 6000)
        self.hazards_dock.select_hazard(body["hazard_id"])
        return result

    def advance(self, hazard_id: str, step: str, fields: dict | None = None, files=()) -> AppendResult | None:
        """Sign and append lifecycle ``step`` of a hazard (referencing its latest step by hash)."""
        node = self._require_node()
        if node is None:
            return None
        record = node.state().hazards.get(hazard_id)
        if record is None:
            self._fail("Step refused", f"hazard {hazard_id} is not in this node's own log")
            return None
        try:
            attachments = self._store_files(node, files)
            body = step_body(hazard_id, step, record.last_leaf, fields or {}, attachments)
            result = node.append(f"hazard.{step}", body)
        except ValueError as exc:
            self._fail("Step refused", f"{hazard_id}: {exc}")
            return None
        except EntryRejected as exc:
            self._fail("Step refused", f"Not allowed: {exc.detail}")
            return None
        except (GasOpsError, OSError) as exc:
            self._fail("Step refused", str(exc))
            return None
        self.window.statusBar().showMessage(f"{hazard_id} {step}: signed as entry {result.index}", 6000)
        return result

    def _store_files(self, node: LedgerNode, files) -> list[dict]:
        out = []
        for f in files:
            path = Path(f)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LedgerError(f"{path}: cannot read the attachment ({exc.strerror or exc})") from exc
            out.append(node.put_evidence(data, media_type(path)))
        return out

    def request_report(self, x: float | None = None, y: float | None = None, asset_id: str = ""):
        if self._require_node() is None:
            return None
        if x is None or y is None:
            xmin, ymin, xmax, ymax = self.canvas.map_range()
            x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
        network = self.window.network
        crs = network.crs if network is not None else None
        crs_text = f"EPSG:{crs.to_epsg()}" if crs is not None and crs.to_epsg() else ""
        dlg = ReportHazardDialog(x, y, crs_text, asset_id, self.window)

        def submit() -> str | None:
            v = dlg.values()
            ok = self.report_hazard(x, y, category=v["category"], severity=v["severity"], description=v["description"],
                                    asset_id=v["asset_id"], actor=v["actor"], files=v["files"])  # fmt: skip
            return None if ok else self.last_error

        dlg.on_submit = submit
        return self._show_dialog(dlg)

    def request_advance(self, hazard_id: str):
        node = self._require_node()
        if node is None:
            return None
        record = node.state().hazards.get(hazard_id)
        step = next_step(record.status) if record else None
        if step is None:
            self._fail("Nothing to advance", f"{hazard_id} is closed" if record else f"{hazard_id} is not in this log")
            return None
        dlg = AdvanceDialog(hazard_id, step, self.window)

        def submit() -> str | None:
            v = dlg.values()
            files = v.pop("files")
            return None if self.advance(hazard_id, step, v, files) else self.last_error

        dlg.on_submit = submit
        return self._show_dialog(dlg)

    def hazards(self) -> list[HazardRow]:
        return list(self._rows)

    def zoom_to_hazard(self, hazard_id: str) -> bool:
        row = next((r for r in self._rows if r.hazard_id == hazard_id), None)
        if row is None or not np.isfinite(row.x) or self.window.network is None:
            return False
        (cx0, cy0, cx1, cy1) = self.canvas.map_range()
        if not (cx0 < row.x < cx1 and cy0 < row.y < cy1) or (cx1 - cx0) > 8 * _ZOOM_HALF_M:
            self.canvas.set_map_range(
                row.x - _ZOOM_HALF_M, row.y - _ZOOM_HALF_M, row.x + _ZOOM_HALF_M, row.y + _ZOOM_HALF_M
            )
        self.hazards_dock.select_hazard(hazard_id)
        return True

    def _on_hazard_select(self, hazard_id: str) -> None:
        row = next((r for r in self._rows if r.hazard_id == hazard_id), None)
        self.overlay.set_selected(row.x if row else None, row.y if row else None)
        self.zoom_to_hazard(hazard_id)

    def _show_hazard(self, hazard_id: str) -> None:
        self.hazards_dock.show()
        self.hazards_dock.raise_()
        self.hazards_dock.select_hazard(hazard_id)

    # -- verification, sync, search ------------------------------------------------------------------------------------
    def verify_now(self) -> JobWorker | None:
        """Recompute the whole ledger in a background job; the dock shows the badge when it returns."""
        node = self._require_node()
        if node is None or "verify" in self._jobs:
            return self._jobs.get("verify")
        self.ledger_dock.set_busy("Verifying every entry, signature and checkpoint…")
        job = start_job(self.window.runner, _verify_job, node)
        job.finished.connect(self._on_verified)
        job.errored.connect(lambda exc: self._on_job_error("verify", exc))
        job.cancelled.connect(lambda: self._end_job("verify"))
        self._jobs["verify"] = job
        return job

    def _on_verified(self, report) -> None:
        self._end_job("verify")
        self.last_report = report
        self.ledger_dock.set_verification(report)
        self.refresh()  # the hazard badges re-prove their entries too
        self.verified.emit(report)

    def sync_now(self) -> JobWorker | None:
        node = self._require_node()
        if node is None or "sync" in self._jobs:
            return self._jobs.get("sync")
        self.ledger_dock.set_busy("Syncing with peers…")
        job = start_job(self.window.runner, _sync_job, node)
        job.finished.connect(lambda _results: (self._end_job("sync"), self.refresh()))
        job.errored.connect(lambda exc: self._on_job_error("sync", exc))
        job.cancelled.connect(lambda: self._end_job("sync"))
        self._jobs["sync"] = job
        return job

    def _end_job(self, name: str) -> None:
        self._jobs.pop(name, None)
        self.ledger_dock.set_busy(None)
        if name == "verify" and self.last_report is None:
            self.ledger_dock.set_verification(None)

    def _on_job_error(self, name: str, exc: BaseException) -> None:
        self._end_job(name)
        text = str(exc) if isinstance(exc, GasOpsError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, GasOpsError):
            log.error("ledger %s failed", name, exc_info=exc)
        if name == "verify":
            self.ledger_dock.set_verification(None, error=text)
        self._fail(f"Ledger {name} failed", text, box=False)

    def search(self, kind: str, text: str) -> list[dict]:
        node = self._require_node()
        if node is None:
            return []
        key = {"hazard": "hazard_id", "device": "device", "incident": "incident_id"}[kind]
        rows = node.search(**{key: text.strip()})
        self.ledger_dock.set_results(rows, text.strip())
        return rows

    # -- keeping the views in step ---------------------------------------------------------------------------------------
    def _on_node_change(self, *_args) -> None:
        # psygnal calls on the emitting thread: a sync job or the peer server's thread must hop onto the main thread.
        if QThread.currentThread() is self.thread():
            self.refresh()
        else:
            QTimer.singleShot(0, self, self.refresh)

    def refresh(self) -> None:
        """Re-read the node into both docks and the map."""
        node = self.node
        if node is None:
            self._show_node_state()
            return
        self._rows = hazard_rows(node)
        self.hazards_dock.set_hazards(self._rows)
        checkpoints = {}
        for info in node.logs():
            cps = node.checkpoints(info.origin)
            checkpoints[info.origin] = cps[-1] if cps else None
        self.ledger_dock.origin = node.origin
        self.ledger_dock.set_node_state(
            "open",
            f"{node.origin}",
            f"{self.folder} · {node.size():,} entries · quorum {node.quorum} · keys unlocked",
        )
        self.ledger_dock.set_logs(node.logs(), checkpoints)
        self.ledger_dock.set_peers(node.peers())
        self.ledger_dock.set_equivocations(node.equivocations())
        if self.last_report is not None:
            self.ledger_dock.set_verification(self.last_report)
        self._draw_hazards()
        self.hazardsChanged.emit()

    def _draw_hazards(self) -> None:
        if self.window.network is None or not self._rows:
            self.overlay.clear()
            return
        rows = self._rows
        current = self.hazards_dock.current_id()
        selected = next((r for r in rows if r.hazard_id == current), None)
        self.overlay.set_selected(selected.x if selected else None, selected.y if selected else None)
        self.overlay.set_hazards(
            np.array([r.status for r in rows], dtype=object),
            np.array([r.severity for r in rows], dtype=object),
            np.array([r.x for r in rows]),
            np.array([r.y for r in rows]),
        )

    def _show_node_state(self) -> None:
        if self.node is not None:
            return
        if self.exists():
            self.ledger_dock.set_node_state("locked", "Ledger locked", f"{self.folder} — unlock to sign and verify")
            self.hazards_dock.set_message("Unlock the ledger (Ledger dock › Unlock…) to see and report hazards.")
        else:
            self.ledger_dock.set_node_state("none", "No ledger yet", f"{self.folder} — create one to record hazards")
            self.hazards_dock.set_message("No ledger yet: create one in the Ledger dock to record hazards.")

    def _on_theme_change(self) -> None:
        theme = self.window.theme.name
        if theme == self.overlay.theme and theme == self.hazards_dock.theme:
            return
        self.overlay.set_theme(theme)
        self.hazards_dock.set_theme(theme)
        self.ledger_dock.set_theme(theme)
        if self.node is not None:
            self.refresh()

    # -- the map's context menu ------------------------------------------------------------------------------------------
    def _add_context_actions(self, menu, hit, x: float, y: float) -> None:
        if self.window.network is None:
            return
        asset = hit.feature_id if hit is not None and hit.layer not in ("customers", "junctions") else ""
        act = menu.addAction("Report hazard here (上报隐患)" + (f" — {asset}" if asset else ""))
        act.triggered.connect(lambda *_: self.request_report(x, y, asset))

    # -- helpers ---------------------------------------------------------------------------------------------------------
    def _require_node(self) -> LedgerNode | None:
        if self.node is not None:
            return self.node
        if self.exists():
            self.open_ledger()
        else:
            self.request_create()
        return self.node

    def _show_dialog(self, dlg):
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.destroyed.connect(lambda *_: setattr(self, "dialog", None) if self.dialog is dlg else None)
        dlg.open()
        return dlg

    def _fail(self, title: str, text: str, *, box: bool = True) -> str:
        self.last_error = text
        self.failed.emit(text)
        if self.dialog is not None and self.dialog.isVisible():
            self.window.statusBar().showMessage(text, 10000)  # the dialog shows it in its red line
        elif box:
            self.window.show_error(title, text)
        else:
            self.window.statusBar().showMessage(text, 10000)
        return text


def _unlock_message(exc: GasOpsError) -> str:
    text = str(exc)
    if "wrong passphrase" in text:
        return "Wrong passphrase: the ledger's keys did not decrypt. Nothing was changed; try again."
    return text
