"""The ledger dock (存证账本): node state, logs and their checkpoints, witness status, peers, equivocation alarms,
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

__all__ = ["LedgerDock", "verification_text"]

_GOOD = {"dark": "#3ddc84", "light": "#1b8a3a"}
_WARN = {"dark": "#ffb74d", "light": "#b26a00"}
_BAD = {"dark": "#ff4d4f", "light": "#c62828"}
_MUTED = {"dark": "#8b98a7", "light": "#5f6b78"}


def verification_text(report: VerifyReport, own_origin: str | None = None) -> tuple[bool, str]:
    """(ok, badge text): ``✓ verified to size N`` (N: the own log's size) or ``✗ <log>: first bad index I (kind)``."""
    if report.ok:
        if not report.logs:
            return True, "✓ verified (no logs)"
        own = next((v for v in report.logs if v.origin == own_origin), report.logs[0])
        others = [v for v in report.logs if v is not own]
        more = f" (+ {len(others)} followed log{'s' if len(others) > 1 else ''})" if others else ""
        return True, f"✓ verified to size {own.size}{more}"
    bad = next(v for v in report.logs if not v.ok)
    return False, f"✗ {bad.origin}: first bad index {bad.first_bad_index} ({bad.kind or 'bad'})"


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
        super().__init__("Ledger 存证账本", parent)
        self.setObjectName("ledgerDock")
        self.theme = "dark"
        self.verification_ok: bool | None = None
        self.origin: str | None = None  # the node's own log, named first in the badge
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.node_label = QLabel("No ledger open")
        self.node_label.setObjectName("panelTitle")
        self.node_label.setWordWrap(True)
        self.node_detail = QLabel("")
        self.node_detail.setObjectName("panelSubtitle")
        self.node_detail.setWordWrap(True)
        self.unlock_button = QPushButton("Unlock…")
        self.create_button = QPushButton("Create ledger…")
        self.verify_button = QPushButton("Verify now")
        self.verify_button.setToolTip("Recompute every entry, signature, Merkle root and checkpoint from the database")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setToolTip("Pull the peers' logs now and cosign them; the outcome shows below")
        self.add_peer_button = QPushButton("Add peer…")
        self.add_peer_button.setToolTip("Follow another organisation's ledger (its URL, origin and keys)")
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
        self.badge = QLabel("Not verified yet")
        self.badge.setWordWrap(True)
        self.alarm = QLabel("")
        self.alarm.setWordWrap(True)
        self.alarm.setTextFormat(Qt.TextFormat.RichText)
        self.alarm.setStyleSheet(
            "background: #b00020; color: white; font-weight: 700; padding: 8px; border-radius: 4px;"
        )
        self.alarm.hide()
        self.logs = _tree(["Log", "Entries", "Checkpoint", "Witnesses"])
        self.logs.header().setStretchLastSection(False)
        self.logs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Log names in full (a scroll bar when the dock is narrow): "l…s" tells a dispatcher nothing.
        self.logs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.logs.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.logs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.logs.setMinimumHeight(72)
        self.logs.setMaximumHeight(120)
        self.peers = _tree(["Peer", "Log", "Last sync", "State"])
        self.peers.setMinimumHeight(56)
        self.peers.setMaximumHeight(100)
        self.search_kind = QComboBox()
        for key, label in (("hazard", "Hazard id"), ("device", "Device id"), ("incident", "Incident id")):
            self.search_kind.addItem(label, key)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("search entries, e.g. HZ-20261122-001")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self._on_search)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_kind)
        search_row.addWidget(self.search_edit, 1)
        self.results = _tree(["#", "Type", "Time (UTC)", "Leaf hash", "Log"])
        self.results.itemDoubleClicked.connect(self._on_result_activated)
        self.results_label = QLabel("")
        self.results_label.setObjectName("panelSubtitle")
        layout.addWidget(self.node_label)
        layout.addWidget(self.node_detail)
        layout.addLayout(buttons)
        layout.addWidget(self.badge)
        layout.addWidget(self.alarm)
        layout.addWidget(_section("Logs and checkpoints"))
        layout.addWidget(self.logs)
        peers_row = QHBoxLayout()
        peers_row.addWidget(_section("Peers"), 1)
        peers_row.addWidget(self.add_peer_button)
        layout.addLayout(peers_row)
        layout.addWidget(self.peers)
        layout.addWidget(self.sync_label)
        layout.addWidget(_section("Search entries"))
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
            text or {"none": "No ledger in this workspace", "locked": "Ledger locked"}.get(state, "")
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
        if what:
            self.badge.setText(f"<span style='color:{_MUTED[self.theme]}'>{what}</span>")
        if what and "Sync" in what:
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
            self.show_sync_text("No peers to sync with — Add peer… first.", "warn")
            return
        parts = []
        for r in report.results:
            if r.status == "synced":
                parts.append(f"{r.peer}: +{r.entries_added:,} entries")
            elif r.status == "up-to-date":
                parts.append(f"{r.peer}: up to date")
            else:
                parts.append(f"{r.peer}: {r.status}" + (f" ({r.problem})" if r.problem else ""))
        when = f"Synced {at}: " if at else "Synced: "
        self.show_sync_text(when + "; ".join(parts), "good" if report.ok and all(
            r.status in ("synced", "up-to-date") for r in report.results) else "warn")  # fmt: skip

    def set_logs(self, logs: list[LogInfo], checkpoints: dict[str, dict | None]) -> None:
        self.logs.clear()
        for info in sorted(logs, key=lambda i: (not i.own, i.origin)):
            cp = checkpoints.get(info.origin)
            cp_text = f"{cp['size']} · {short(cp['root_hash'], 8)}" if cp else "none yet"
            w = info.witness
            if w is None:
                wit, colour = "—", _MUTED[self.theme]
            elif w.witnessed:
                wit, colour = f"✓ witnessed {len(w.cosigners)}/{w.quorum}", _GOOD[self.theme]
            else:
                wit, colour = f"{len(w.cosigners)}/{w.quorum} cosigned", _WARN[self.theme]
            item = QTreeWidgetItem([info.origin, f"{info.size:,}", cp_text, wit])
            if info.own:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            item.setToolTip(
                0, f"{info.origin} — {'this node’s own log' if info.own else 'followed from peer ' + str(info.peer)}"
            )
            item.setForeground(3, QBrush(QColor(colour)))
            item.setToolTip(2, f"size {cp['size']}, root {cp['root_hash']}, at {cp['received_at']}" if cp else "")
            item.setToolTip(3, ", ".join(w.cosigners) if w and w.cosigners else "no cosignatures yet")
            self.logs.addTopLevelItem(item)

    def set_peers(self, peers: list[PeerInfo]) -> None:
        self.peers.clear()
        if not peers:
            item = QTreeWidgetItem(["no peers yet", "", "", "offline: appends continue, sync later"])
            item.setForeground(0, QBrush(QColor(_MUTED[self.theme])))
            self.peers.addTopLevelItem(item)
            return
        for p in peers:
            state = p.status or "never synced"
            if p.error:
                state += f": {p.error}"
            if p.faults:
                state += f" · {p.faults} faults"
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
        lines = "".join(
            f"<br>• log {r.origin}: {r.kind} checkpoints (seen {r.detected_at[:19].replace('T', ' ')}"
            f"{', from ' + r.peer if r.peer else ''})"
            for r in records[-3:]
        )
        self.alarm.setText(
            f"⚠ EQUIVOCATION — {len(records)} pair(s) of contradicting checkpoints kept as proof. "
            f"A peer signed two histories: do not trust its log until resolved.{lines}"
        )
        self.alarm.show()

    def set_verification(self, report: VerifyReport | None, *, error: str | None = None) -> None:
        if error is not None:
            self.verification_ok = False
            self.badge.setText(f"<b style='color:{_BAD[self.theme]}'>✗ verification could not run: {error}</b>")
            return
        if report is None:
            self.verification_ok = None
            self.badge.setText("")
            return
        ok, text = verification_text(report, self.origin)
        self.verification_ok = ok
        colour = (_GOOD if ok else _BAD)[self.theme]
        bad = next((v for v in report.logs if not v.ok), None)
        extra = f"<br>{bad.detail}" if bad is not None and bad.detail else f" in {report.seconds:.2f} s"
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
        self.results_label.setText(
            f"{len(rows)} {'entry' if len(rows) == 1 else 'entries'} for “{query}”"
            if rows
            else f"No entries for “{query}”"
        )
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
