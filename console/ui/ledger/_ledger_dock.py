"""The ledger dock: node state, logs and their checkpoints, witness status, peers, equivocation alarms,
the verification badge and entry search.

It shows plain values (``LogInfo``, ``PeerInfo``, ``Equivocation``, ``VerifyReport``, search rows) and emits
requests; the controller talks to the node and runs verification and sync in background jobs.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.hazards import short
from console.ledger import Equivocation, LogInfo, PeerInfo, VerifyReport
from console.ui.i18n import translate

__all__ = ["LedgerDock", "verification_text"]

_GOOD = {"dark": "#3ddc84", "light": "#1b8a3a"}
_WARN = {"dark": "#ffb74d", "light": "#b26a00"}
_BAD = {"dark": "#ff4d4f", "light": "#c62828"}
_MUTED = {"dark": "#8b98a7", "light": "#5f6b78"}


def verification_text(report: VerifyReport, own_origin: str | None = None) -> tuple[bool, str]:
    """(ok, badge text): ``✓ verified to size N`` (N: the own log's size) or ``✗ <log>: first bad index I (kind)``."""
    if report.ok:
        if not report.logs:
            return True, translate("LedgerDock", "✓ verified (no logs)")
        own = next((v for v in report.logs if v.origin == own_origin), report.logs[0])
        others = [v for v in report.logs if v is not own]
        if len(others) > 1:
            more = translate("LedgerDock", " (+ {count} followed logs)").format(count=len(others))
        elif others:
            more = translate("LedgerDock", " (+ 1 followed log)")
        else:
            more = ""
        return True, translate("LedgerDock", "✓ verified to size {size}").format(size=own.size) + more
    bad = next(v for v in report.logs if not v.ok)
    return False, translate("LedgerDock", "✗ {log}: first bad index {index} ({kind})").format(
        log=bad.origin, index=bad.first_bad_index, kind=bad.kind or "bad"
    )


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("panelTitle")
    return label


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(True)
    return tree


class LedgerDock(QDockWidget):
    """Signals: ``unlockRequested()``, ``createRequested()``, ``verifyRequested()``, ``syncRequested()``,
    ``searchRequested(str kind, str text)``, ``hazardRequested(str)``, ``themeMaybeChanged()``."""

    unlockRequested = Signal()
    createRequested = Signal()
    verifyRequested = Signal()
    syncRequested = Signal()
    addPeerRequested = Signal()
    searchRequested = Signal(str, str)
    hazardRequested = Signal(str)
    themeMaybeChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("LedgerDock", "Ledger"), parent)
        self.setObjectName("ledgerDock")
        self.theme = "dark"
        self.verification_ok: bool | None = None
        self.origin: str | None = None  # the node's own log, named first in the badge
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.node_label = QLabel(translate("LedgerDock", "No ledger open"))
        self.node_label.setObjectName("panelTitle")
        self.node_label.setWordWrap(True)
        self.node_detail = QLabel("")
        self.node_detail.setObjectName("panelSubtitle")
        self.node_detail.setWordWrap(True)
        self.unlock_button = QPushButton(translate("LedgerDock", "Unlock…"))
        self.create_button = QPushButton(translate("LedgerDock", "Create ledger…"))
        self.verify_button = QPushButton(translate("LedgerDock", "Verify now"))
        self.verify_button.setToolTip(
            translate("LedgerDock", "Recompute every entry, signature, Merkle root and checkpoint from the database")
        )
        self.sync_button = QPushButton(translate("LedgerDock", "Sync now"))
        self.sync_button.setToolTip(
            translate("LedgerDock", "Pull the peers' logs now and cosign them; the outcome shows below")
        )
        self.add_peer_button = QPushButton(translate("LedgerDock", "Add peer…"))
        self.add_peer_button.setToolTip(
            translate("LedgerDock", "Follow another organisation's ledger (its URL, origin and keys)")
        )
        self.add_peer_button.clicked.connect(self.addPeerRequested)
        self.sync_label = QLabel("")
        self.sync_label.setWordWrap(True)
        self.sync_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_label.hide()
        self.sync_text = ""
        self.unlock_button.clicked.connect(self.unlockRequested)
        self.create_button.clicked.connect(self.createRequested)
        self.verify_button.clicked.connect(self.verifyRequested)
        self.sync_button.clicked.connect(self.syncRequested)
        buttons = QHBoxLayout()
        for b in (self.unlock_button, self.create_button, self.verify_button, self.sync_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.badge = QLabel(translate("LedgerDock", "Not verified yet"))
        self.badge.setWordWrap(True)
        self.alarm = QLabel("")
        self.alarm.setWordWrap(True)
        self.alarm.setTextFormat(Qt.TextFormat.RichText)
        self.alarm.setStyleSheet(
            "background: #b00020; color: white; font-weight: 700; padding: 8px; border-radius: 4px;"
        )
        self.alarm.hide()
        self.logs = _tree(
            [
                translate("LedgerDock", "Log"),
                translate("LedgerDock", "Entries"),
                translate("LedgerDock", "Checkpoint"),
                translate("LedgerDock", "Witnesses"),
            ]
        )
        self.logs.header().setStretchLastSection(False)
        self.logs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Log names in full (a scroll bar when the dock is narrow): "l…s" tells a dispatcher nothing.
        self.logs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.logs.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.logs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.logs.setMinimumHeight(72)
        self.logs.setMaximumHeight(120)
        self.peers = _tree(
            [
                translate("LedgerDock", "Peer"),
                translate("LedgerDock", "Log"),
                translate("LedgerDock", "Last sync"),
                translate("LedgerDock", "State"),
            ]
        )
        self.peers.setMinimumHeight(56)
        self.peers.setMaximumHeight(100)
        self.search_kind = QComboBox()
        for key, label in (("hazard", translate("LedgerDock", "Hazard id")),
                           ("device", translate("LedgerDock", "Device id")),
                           ("incident", translate("LedgerDock", "Incident id"))):  # fmt: skip
            self.search_kind.addItem(label, key)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(translate("LedgerDock", "search entries, e.g. HZ-20261122-001"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self._on_search)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_kind)
        search_row.addWidget(self.search_edit, 1)
        self.results = _tree(
            [
                "#",
                translate("LedgerDock", "Type"),
                translate("LedgerDock", "Time (UTC)"),
                translate("LedgerDock", "Leaf hash"),
                translate("LedgerDock", "Log"),
            ]
        )
        self.results.itemDoubleClicked.connect(self._on_result_activated)
        self.results_label = QLabel("")
        self.results_label.setObjectName("panelSubtitle")
        layout.addWidget(self.node_label)
        layout.addWidget(self.node_detail)
        layout.addLayout(buttons)
        layout.addWidget(self.badge)
        layout.addWidget(self.alarm)
        layout.addWidget(_section(translate("LedgerDock", "Logs and checkpoints")))
        layout.addWidget(self.logs)
        peers_row = QHBoxLayout()
        peers_row.addWidget(_section(translate("LedgerDock", "Peers")), 1)
        peers_row.addWidget(self.add_peer_button)
        layout.addLayout(peers_row)
        layout.addWidget(self.peers)
        layout.addWidget(self.sync_label)
        layout.addWidget(_section(translate("LedgerDock", "Search entries")))
        layout.addLayout(search_row)
        layout.addWidget(self.results_label)
        layout.addWidget(self.results, 1)
        # A scroll area keeps the dock's minimum height small: tabbed with other docks it must not force the window taller.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.set_node_state("none", "")

    # -- node state --------------------------------------------------------------------------------------------------
    def set_node_state(self, state: str, text: str, detail: str = "") -> None:
        """``state``: none (no ledger), locked, open, busy."""
        self.node_label.setText(
            text
            or {
                "none": translate("LedgerDock", "No ledger in this workspace"),
                "locked": translate("LedgerDock", "Ledger locked"),
            }.get(state, "")
        )
        self.node_detail.setText(detail)
        self.unlock_button.setVisible(state == "locked")
        self.create_button.setVisible(state == "none")
        opened = state in ("open", "busy")
        for w in (self.verify_button, self.sync_button, self.add_peer_button, self.search_edit, self.search_kind):
            w.setEnabled(opened)
        if not opened:
            self.logs.clear()
            self.peers.clear()
            self.results.clear()
            self.badge.setText("")

    def set_busy(self, what: str | None) -> None:
        """Disable Verify/Sync while a job runs; ``what`` is shown in the badge line."""
        self.verify_button.setEnabled(what is None)
        self.sync_button.setEnabled(what is None)
        syncing = bool(what) and "Sync" in what
        if what:
            what = translate("LedgerService", what)  # the service's texts are marked with this context
            self.badge.setText(f"<span style='color:{_MUTED[self.theme]}'>{what}</span>")
        if syncing:
            self.show_sync_text(what, "muted")

    def show_sync_text(self, text: str, tone: str = "muted") -> None:
        """The line under the peers: what "Sync now" is doing or did (never silent)."""
        self.sync_text = text
        colour = {"good": _GOOD, "warn": _WARN}.get(tone, _MUTED)[self.theme]
        self.sync_label.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>")
        self.sync_label.setVisible(bool(text))

    def set_sync_result(self, report, at: str = "") -> None:
        """Say what the last sync did, peer by peer: entries pulled, up to date, or why not."""
        if not report.results:
            self.show_sync_text(translate("LedgerDock", "No peers to sync with — Add peer… first."), "warn")
            return
        parts = []
        for r in report.results:
            if r.status == "synced":
                parts.append(
                    translate("LedgerDock", "{peer}: +{count} entries").format(
                        peer=r.peer, count=f"{r.entries_added:,}"
                    )
                )
            elif r.status == "up-to-date":
                parts.append(translate("LedgerDock", "{peer}: up to date").format(peer=r.peer))
            else:
                parts.append(f"{r.peer}: {r.status}" + (f" ({r.problem})" if r.problem else ""))
        when = translate("LedgerDock", "Synced {time}: ").format(time=at) if at else translate("LedgerDock", "Synced: ")
        self.show_sync_text(when + "; ".join(parts), "good" if report.ok and all(
            r.status in ("synced", "up-to-date") for r in report.results) else "warn")  # fmt: skip

    def set_logs(self, logs: list[LogInfo], checkpoints: dict[str, dict | None]) -> None:
        self.logs.clear()
        for info in sorted(logs, key=lambda i: (not i.own, i.origin)):
            cp = checkpoints.get(info.origin)
            cp_text = f"{cp['size']} · {short(cp['root_hash'], 8)}" if cp else translate("LedgerDock", "none yet")
            w = info.witness
            if w is None:
                wit, colour = "—", _MUTED[self.theme]
            elif w.witnessed:
                wit = translate("LedgerDock", "✓ witnessed {count}/{quorum}").format(
                    count=len(w.cosigners), quorum=w.quorum
                )
                colour = _GOOD[self.theme]
            else:
                wit = translate("LedgerDock", "{count}/{quorum} cosigned").format(
                    count=len(w.cosigners), quorum=w.quorum
                )
                colour = _WARN[self.theme]
            item = QTreeWidgetItem([info.origin, f"{info.size:,}", cp_text, wit])
            if info.own:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            whose = (
                translate("LedgerDock", "this node’s own log")
                if info.own
                else translate("LedgerDock", "followed from peer {peer}").format(peer=info.peer)
            )
            item.setToolTip(0, f"{info.origin} — {whose}")
            item.setForeground(3, QBrush(QColor(colour)))
            if cp:
                tip = translate("LedgerDock", "size {size}, root {root}, at {time}").format(
                    size=cp["size"], root=cp["root_hash"], time=cp["received_at"]
                )
                item.setToolTip(2, tip)
            item.setToolTip(
                3, ", ".join(w.cosigners) if w and w.cosigners else translate("LedgerDock", "no cosignatures yet")
            )
            self.logs.addTopLevelItem(item)

    def set_peers(self, peers: list[PeerInfo]) -> None:
        self.peers.clear()
        if not peers:
            item = QTreeWidgetItem(
                [
                    translate("LedgerDock", "no peers yet"),
                    "",
                    "",
                    translate("LedgerDock", "offline: appends continue, sync later"),
                ]
            )
            item.setForeground(0, QBrush(QColor(_MUTED[self.theme])))
            self.peers.addTopLevelItem(item)
            return
        for p in peers:
            state = p.status or translate("LedgerDock", "never synced")
            if p.error:
                state += f": {p.error}"
            if p.faults:
                state += " · " + translate("LedgerDock", "{count} faults").format(count=p.faults)
            item = QTreeWidgetItem([p.name, p.origin, (p.last_sync_at or "—").replace("T", " ")[:19], state])
            bad = p.status in ("rejected", "equivocation", "unreachable") or p.faults
            colour = (_BAD if bad else _GOOD if p.status else _MUTED)[self.theme]
            item.setForeground(3, QBrush(QColor(colour)))
            item.setToolTip(0, p.url)
            self.peers.addTopLevelItem(item)

    def set_equivocations(self, records: list[Equivocation]) -> None:
        if not records:
            self.alarm.hide()
            return
        lines = ""
        for r in records[-3:]:
            seen = r.detected_at[:19].replace("T", " ")
            if r.peer:
                line = translate("LedgerDock", "log {log}: {kind} checkpoints (seen {time}, from {peer})")
            else:
                line = translate("LedgerDock", "log {log}: {kind} checkpoints (seen {time})")
            lines += "<br>• " + line.format(log=r.origin, kind=r.kind, time=seen, peer=r.peer)
        text = translate(
            "LedgerDock",
            "⚠ EQUIVOCATION — {count} pair(s) of contradicting checkpoints kept as proof. "
            "A peer signed two histories: do not trust its log until resolved.",
        ).format(count=len(records))
        self.alarm.setText(text + lines)
        self.alarm.show()

    def set_verification(self, report: VerifyReport | None, *, error: str | None = None) -> None:
        if error is not None:
            self.verification_ok = False
            text = translate("LedgerDock", "✗ verification could not run: {error}").format(error=error)
            self.badge.setText(f"<b style='color:{_BAD[self.theme]}'>{text}</b>")
            return
        if report is None:
            self.verification_ok = None
            self.badge.setText("")
            return
        ok, text = verification_text(report, self.origin)
        self.verification_ok = ok
        colour = (_GOOD if ok else _BAD)[self.theme]
        bad = next((v for v in report.logs if not v.ok), None)
        if bad is not None and bad.detail:
            extra = f"<br>{bad.detail}"
        else:
            # the duration never wraps inside ("in 0.02 / s"): the badge wraps in the text before it instead
            took = translate("LedgerDock", " in {seconds} s").format(seconds=f"{report.seconds:.2f}")
            extra = f"<span style='white-space:nowrap'>{html.escape(took)}</span>"
        self.badge.setText(f"<b style='color:{colour}; font-size:11pt'>{text}</b>{extra}")

    def badge_text(self) -> str:
        return self.badge.text()

    # -- search ------------------------------------------------------------------------------------------------------
    def _on_search(self) -> None:
        text = self.search_edit.text().strip()
        if text:
            self.searchRequested.emit(self.search_kind.currentData(), text)

    def search(self, kind: str, text: str) -> None:
        self.search_kind.setCurrentIndex(max(self.search_kind.findData(kind), 0))
        self.search_edit.setText(text)
        self._on_search()

    def set_results(self, rows: list[dict], query: str) -> None:
        self.results.clear()
        if len(rows) == 1:
            found = translate("LedgerDock", "1 entry for “{query}”").format(query=query)
        elif rows:
            found = translate("LedgerDock", "{count} entries for “{query}”").format(count=len(rows), query=query)
        else:
            found = translate("LedgerDock", "No entries for “{query}”").format(query=query)
        self.results_label.setText(found)
        for r in rows:
            item = QTreeWidgetItem([str(r["idx"]), r["type"], str(r["time"]).replace("T", " ")[:19],
                                    short(r["leaf"]), r.get("origin", "")])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, r.get("hazard_id"))
            item.setToolTip(3, r["leaf"])
            self.results.addTopLevelItem(item)

    def _on_result_activated(self, item, _column) -> None:
        hazard_id = item.data(0, Qt.ItemDataRole.UserRole)
        if hazard_id:
            self.hazardRequested.emit(hazard_id)

    def set_theme(self, theme: str) -> None:
        self.theme = theme

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.themeMaybeChanged.emit()
