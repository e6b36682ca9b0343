"""The ledger feature in the main window: the Hazards and Ledger docks, the hazard markers on the map, the dialogs,
and the Ledger menu, over a :class:`console.app.ledger.LedgerService` that owns the node, signs the entries and runs
verification and sync as jobs.

Passphrases go from a dialog (or ``$GASOPS_LEDGER_PASSPHRASE``, as for the CLI) straight to the service; they are
never logged, stored or kept on the controller.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, Signal

from console.app.hazards import HazardRow
from console.app.jobs import JobHandle
from console.app.ledger import PASSPHRASE_ENV, LedgerService, environment_passphrase
from console.errors import GasOpsError
from console.ledger import AppendResult, LedgerNode, VerifyReport
from console.ui.actions import ActionSpec
from console.ui.docks import pick_asset
from console.ui.i18n import translate
from console.ui.ledger._dialogs import (
    AddPeerDialog,
    AdvanceDialog,
    CreateLedgerDialog,
    ReportHazardDialog,
    UnlockDialog,
)
from console.ui.ledger._hazards_dock import HazardsDock, step_label
from console.ui.ledger._ledger_dock import LedgerDock
from console.ui.ledger._overlay import HazardOverlay

__all__ = ["LedgerController", "PASSPHRASE_ENV"]

_ZOOM_HALF_M = 150.0


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
        self.service = LedgerService(folder, jobs=window.jobs, authority=getattr(window, "operators", None))
        self.last_error: str | None = None
        self.dialog = None  # the dialog open now (tests drive it through this)

        self.hazards_dock = HazardsDock(window)
        self.ledger_dock = LedgerDock(window)
        window.add_dock(self.hazards_dock)
        window.add_dock(self.ledger_dock, tabify_with=self.hazards_dock)
        self.hazards_dock.raise_()
        self.overlay = HazardOverlay(self.canvas)

        declare = window.actions.declare
        self.act_report = declare(ActionSpec(
            "ledger.report_hazard", QT_TRANSLATE_NOOP("Actions", "Report hazard…"), lambda: self.request_report(), menu="Ledger",
            tip=QT_TRANSLATE_NOOP("Actions", "Report a hazard at the centre of the map, or right-click the map where it is"),
            permission="hazard.report"))  # fmt: skip
        self.act_verify = declare(ActionSpec(
            "ledger.verify", QT_TRANSLATE_NOOP("Actions", "Verify ledger"), self.verify_now, menu="Ledger",
            tip=QT_TRANSLATE_NOOP("Actions", "Recompute every entry, signature and checkpoint of the ledger")))  # fmt: skip
        self.act_sync = declare(ActionSpec(
            "ledger.sync", QT_TRANSLATE_NOOP("Actions", "Sync with peers"), self.sync_now, menu="Ledger", section="node",
            tip=QT_TRANSLATE_NOOP("Actions", "Pull the peers' logs and cosign them"), enabled=lambda: self.service.node is not None,
            permission="ledger.sync"))  # fmt: skip
        self.act_add_peer = declare(ActionSpec(
            "ledger.add_peer", QT_TRANSLATE_NOOP("Actions", "Add peer…"), lambda: self.request_add_peer(), menu="Ledger",
            section="node", tip=QT_TRANSLATE_NOOP("Actions", "Follow another organisation's ledger: its URL, origin and keys"),
            enabled=lambda: self.service.node is not None, permission="ledger.peers"))  # fmt: skip
        self.act_lock = declare(ActionSpec(
            "ledger.lock", QT_TRANSLATE_NOOP("Actions", "Lock ledger"), self.close_ledger, menu="Ledger", section="node",
            tip=QT_TRANSLATE_NOOP("Actions", "Forget the unlocked keys until the passphrase is given again"),
            enabled=lambda: self.service.node is not None))  # fmt: skip

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
        ld.addPeerRequested.connect(self.request_add_peer)
        ld.searchRequested.connect(self.search)
        ld.hazardRequested.connect(self._show_hazard)

        svc = self.service
        svc.opened.connect(self._on_opened)
        svc.closed.connect(self._on_closed)
        svc.hazards_changed.connect(self._on_hazards_change)
        svc.hazard_signed.connect(self._on_hazard_signed)
        svc.busy_changed.connect(self.ledger_dock.set_busy)
        svc.verified.connect(self._on_verified)
        svc.synced.connect(self._on_synced)
        svc.verify_failed.connect(lambda text: self.ledger_dock.set_verification(None, error=text))
        svc.failed.connect(
            lambda text: self._fail(translate("LedgerController", "Ledger"), _service_text(text), box=False)
        )
        svc.failed.connect(
            lambda text: text.startswith("Ledger sync") and self.ledger_dock.show_sync_text(_service_text(text), "warn")
        )

        window.add_context_provider(self._add_context_actions)
        window.networkShown.connect(self._on_network_shown)
        self._on_theme_change()
        self._follow_network()
        self._show_node_state()
        self._open_unattended()

    # -- where the node lives, opening and creating ---------------------------------------------------------------------
    @property
    def node(self) -> LedgerNode | None:
        return self.service.node

    @property
    def folder(self) -> Path:
        return self.service.folder

    @property
    def last_report(self) -> VerifyReport | None:
        return self.service.last_report

    def set_folder(self, folder: str | os.PathLike) -> None:
        self.service.set_folder(folder)
        self._show_node_state()

    def exists(self) -> bool:
        return self.service.exists()

    def open_ledger(self, passphrase: str | None = None) -> bool:
        """Open and unlock the ledger; without a passphrase use ``$GASOPS_LEDGER_PASSPHRASE`` or ask for it."""
        passphrase = passphrase or environment_passphrase()
        if passphrase is None:
            self.request_unlock()
            return False
        return self._open(passphrase) is None

    def _open(self, passphrase: str) -> str | None:
        """Open with ``passphrase``; returns the error text (also reported) or None."""
        try:
            self.service.open(passphrase)
        except GasOpsError as exc:
            return self._fail(translate("LedgerController", "Cannot open the ledger"), str(exc))
        return None

    def create_ledger(self, origin: str, passphrase: str, *, quorum: int = 1, scrypt_n: int = 2**15) -> bool:
        try:
            self.service.create(origin, passphrase, quorum=quorum, scrypt_n=scrypt_n)
        except GasOpsError as exc:
            self._fail(translate("LedgerController", "Cannot create the ledger"), str(exc))
            return False
        return True

    def close_ledger(self) -> None:
        self.service.close()

    def _open_unattended(self) -> None:
        try:
            self.service.open_unattended()  # like `gasops ledger …` with the variable set
        except GasOpsError as exc:
            self._fail(translate("LedgerController", "Cannot open the ledger"), str(exc), box=False)

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
    def report_hazard(self, x: float, y: float, **fields) -> AppendResult | None:
        """Sign ``hazard.reported`` at (x, y) through the service (see :meth:`LedgerService.report_hazard`);
        None (and a message) on failure."""
        if self._require_node() is None:
            return None
        try:
            return self.service.report_hazard(x, y, **fields)
        except (GasOpsError, OSError) as exc:
            self._fail(translate("LedgerController", "Hazard not reported"), str(exc))
            return None

    def advance(self, hazard_id: str, step: str, fields: dict | None = None, files=()) -> AppendResult | None:
        """Sign lifecycle ``step`` of a hazard through the service; None (and a message) on failure."""
        if self._require_node() is None:
            return None
        try:
            return self.service.advance_hazard(hazard_id, step, fields, files)
        except (GasOpsError, OSError) as exc:
            self._fail(translate("LedgerController", "Step refused"), str(exc))
            return None

    def request_report(self, x: float | None = None, y: float | None = None, asset_id: str = ""):
        if self._require_node() is None:
            return None
        if x is None or y is None:
            xmin, ymin, xmax, ymax = self.canvas.map_range()
            x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
        dlg = ReportHazardDialog(x, y, self.service.crs, asset_id, self.window)

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
        step = self.service.next_step(hazard_id)
        if step is None:
            known = hazard_id in node.state().hazards
            if known:
                text = translate("LedgerController", "{hazard} is closed").format(hazard=hazard_id)
            else:
                text = translate("LedgerController", "{hazard} is not in this log").format(hazard=hazard_id)
            self._fail(translate("LedgerController", "Nothing to advance"), text)
            return None
        dlg = AdvanceDialog(hazard_id, step, self.window)

        def submit() -> str | None:
            v = dlg.values()
            files = v.pop("files")
            return None if self.advance(hazard_id, step, v, files) else self.last_error

        dlg.on_submit = submit
        return self._show_dialog(dlg)

    def hazards(self) -> list[HazardRow]:
        return self.service.hazards()

    def zoom_to_hazard(self, hazard_id: str) -> bool:
        row = self.service.hazard(hazard_id)
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
        row = self.service.hazard(hazard_id)
        self.overlay.set_selected(row.x if row else None, row.y if row else None)
        self.zoom_to_hazard(hazard_id)

    def _show_hazard(self, hazard_id: str) -> None:
        self.hazards_dock.show()
        self.hazards_dock.raise_()
        self.hazards_dock.select_hazard(hazard_id)

    def _on_hazard_signed(self, hazard_id: str, step: str, result: AppendResult) -> None:
        if step == "reported":
            self.window.statusBar().showMessage(
                translate("LedgerController", "Hazard {hazard} signed as entry {index}").format(
                    hazard=hazard_id, index=result.index
                ),
                6000,
            )
            self.hazards_dock.select_hazard(hazard_id)
        else:
            self.window.statusBar().showMessage(
                translate("LedgerController", "{hazard} {step}: signed as entry {index}").format(
                    hazard=hazard_id, step=step_label(step), index=result.index
                ),
                6000,
            )

    # -- verification, sync, search ------------------------------------------------------------------------------------
    def verify_now(self) -> JobHandle | None:
        """Recompute the whole ledger in a background job; the dock shows the badge when it returns."""
        if self._require_node() is None:
            return None
        return self.service.verify()

    def _on_verified(self, report: VerifyReport) -> None:
        self.ledger_dock.set_verification(report)
        self.verified.emit(report)

    def sync_now(self) -> JobHandle | None:
        node = self._require_node()
        if node is None:
            return None
        if not node.peers():
            self.ledger_dock.show_sync_text(translate("LedgerDock", "No peers to sync with — Add peer… first."), "warn")
            self.window.statusBar().showMessage(
                translate("LedgerController", "Ledger: no peers to sync with — Add peer… in the Ledger dock"), 6000
            )
            return None
        self.ledger_dock.show_sync_text(translate("LedgerService", "Syncing with peers…"))
        return self.service.sync()

    def _on_synced(self, report) -> None:
        from datetime import datetime

        self.ledger_dock.set_sync_result(report, datetime.now().strftime("%H:%M:%S"))
        self.window.statusBar().showMessage(
            translate("LedgerController", "Ledger: {status}").format(status=self.ledger_dock.sync_text), 8000
        )

    def request_add_peer(self) -> AddPeerDialog | None:
        """The add-peer dialog: the peer is followed at once (its witness counts, its log from the next sync)."""
        if self._require_node() is None:
            return None
        dlg = AddPeerDialog(self.window)
        dlg.on_submit = lambda: self._submit_add_peer(dlg)
        return self._show_dialog(dlg)

    def _submit_add_peer(self, dlg: AddPeerDialog) -> str | None:
        v = dlg.values()
        try:
            self.service.add_peer(v["name"], v["url"], v["origin"], v["vkey"], v["witness_vkey"])
        except GasOpsError as exc:
            return self._fail(translate("LedgerController", "Add peer"), str(exc), box=False)
        added = translate("LedgerController", "Peer {peer} added — Sync now pulls its log.").format(peer=v["name"])
        self.window.statusBar().showMessage(added, 6000)
        self.ledger_dock.show_sync_text(added)
        return None

    def search(self, kind: str, text: str) -> list[dict]:
        if self._require_node() is None:
            return []
        rows = self.service.search(kind, text)
        self.ledger_dock.set_results(rows, text.strip())
        return rows

    # -- keeping the views in step ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the node into both docks and the map."""
        self.service.refresh()

    def _on_opened(self) -> None:
        self.last_error = None
        self.window.actions.refresh()
        self.ledgerOpened.emit()
        node = self.service.node
        self.window.statusBar().showMessage(
            translate("LedgerController", "Ledger {origin} unlocked — {count} entries").format(
                origin=node.origin, count=f"{node.size():,}"
            ),
            6000,
        )

    def _on_closed(self) -> None:
        self.overlay.clear()
        self.hazards_dock.set_hazards([])
        self.window.actions.refresh()
        self._show_node_state()

    def _on_hazards_change(self) -> None:
        status = self.service.status
        if status is None:
            self._show_node_state()
            return
        self.hazards_dock.set_hazards(self.service.rows)
        self.ledger_dock.origin = status.origin
        self.ledger_dock.set_node_state(
            "open",
            f"{status.origin}",
            translate("LedgerController", "{folder} · {count} entries · quorum {quorum} · keys unlocked").format(
                folder=status.folder, count=f"{status.size:,}", quorum=status.quorum
            ),
        )
        self.ledger_dock.set_logs(status.logs, status.checkpoints)
        self.ledger_dock.set_peers(status.peers)
        self.ledger_dock.set_equivocations(status.equivocations)
        if self.service.last_report is not None:
            self.ledger_dock.set_verification(self.service.last_report)
        self._draw_hazards()
        self.hazardsChanged.emit()

    def _follow_network(self) -> None:
        network = self.window.network
        self.service.set_network(
            self.window.network_path,
            network.name if network is not None else "",
            network.crs if network is not None else None,
        )

    def _on_network_shown(self) -> None:
        self._follow_network()
        if self.service.node is None:
            self._show_node_state()
            self._open_unattended()
        self._draw_hazards()

    def _draw_hazards(self) -> None:
        rows = self.service.rows
        if self.window.network is None or not rows:
            self.overlay.clear()
            return
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
        state = self.service.state
        if state == "open":
            return
        if state == "locked":
            self.ledger_dock.set_node_state(
                "locked",
                translate("LedgerController", "Ledger locked"),
                translate("LedgerController", "{folder} — unlock to sign and verify").format(folder=self.folder),
            )
            self.hazards_dock.set_message(
                translate("LedgerController", "Unlock the ledger (Ledger dock › Unlock…) to see and report hazards.")
            )
        else:
            self.ledger_dock.set_node_state(
                "none",
                translate("LedgerController", "No ledger yet"),
                translate("LedgerController", "{folder} — create one to record hazards").format(folder=self.folder),
            )
            self.hazards_dock.set_message(
                translate("LedgerController", "No ledger yet: create one in the Ledger dock to record hazards.")
            )

    def _on_theme_change(self) -> None:
        theme = self.window.theme.name
        if theme == self.overlay.theme and theme == self.hazards_dock.theme:
            return
        self.overlay.set_theme(theme)
        self.hazards_dock.set_theme(theme)
        self.ledger_dock.set_theme(theme)
        if self.service.node is not None:
            self.service.refresh()

    # -- the map's context menu ------------------------------------------------------------------------------------------
    def _add_context_actions(self, menu, hit, x: float, y: float) -> None:
        if self.window.network is None:
            return
        if hit is not None and hit.layer == "sensors":  # a sensor sits on the asset it measures: report that
            hit = pick_asset(self.window.canvas, x, y) or hit
        asset = hit.feature_id if hit is not None and hit.layer not in ("customers", "junctions", "sensors") else ""
        if asset:
            text = translate("LedgerController", "Report hazard here — {asset}").format(asset=asset)
        else:
            text = translate("LedgerController", "Report hazard here")
        act = menu.addAction(text)
        act.triggered.connect(lambda *_: self.request_report(x, y, asset))

    # -- helpers ---------------------------------------------------------------------------------------------------------
    def _require_node(self) -> LedgerNode | None:
        """The open node; else ask for the passphrase (or to create a ledger) and return None until then."""
        if self.service.node is not None:
            return self.service.node
        if self.exists():
            self.open_ledger()
        else:
            self.request_create()
        return self.service.node

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


def _service_text(text: str) -> str:
    """A failure the ledger service announces ("Ledger sync failed: …"), in the console's language."""
    for name, template in (
        ("sync", QT_TRANSLATE_NOOP("LedgerController", "Ledger sync failed: {error}")),
        ("verify", QT_TRANSLATE_NOOP("LedgerController", "Ledger verification failed: {error}")),
    ):
        prefix = f"Ledger {name} failed: "
        if text.startswith(prefix):
            return translate("LedgerController", template).format(error=text[len(prefix) :])
    return text
