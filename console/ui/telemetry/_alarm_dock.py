"""The alarm list dock: what is in alarm, acknowledge, shelve, comment, and click → zoom.

The dock only shows and asks: operator actions go out as signals carrying ``(sensor_id, condition)`` pairs and the
controller carries them out on the telemetry service. The selection survives the list's refreshes (rows are matched
by sensor and condition), so a dispatcher can select an alarm while new ones arrive.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.telemetry import MAX_SHELVE_S, AlarmRecord, AlarmState, Priority
from console.ui.i18n import translate
from console.ui.telemetry._alarm_model import COL, RECORD_ROLE, AlarmFilter, AlarmTableModel

__all__ = ["AlarmDock", "CommentDialog", "ShelveDialog", "SHELVE_CHOICES"]

SHELVE_CHOICES = ((15 * 60, QT_TRANSLATE_NOOP("AlarmDock", "15 min")), (30 * 60, QT_TRANSLATE_NOOP("AlarmDock", "30 min")),
                  (3600, QT_TRANSLATE_NOOP("AlarmDock", "1 h")), (2 * 3600, QT_TRANSLATE_NOOP("AlarmDock", "2 h")),
                  (4 * 3600, QT_TRANSLATE_NOOP("AlarmDock", "4 h")),
                  (8 * 3600, QT_TRANSLATE_NOOP("AlarmDock", "8 h (one shift)")),
                  (12 * 3600, QT_TRANSLATE_NOOP("AlarmDock", "12 h")))  # fmt: skip
MAX_COMMENT_CHARS = 500
ALL_NORMAL = QT_TRANSLATE_NOOP("AlarmDock", "No alarms — all normal")
Key = tuple[str, str]  # (sensor id, condition)


class AlarmDock(QDockWidget):
    """Signals: ``acknowledgeRequested(list[Key])``, ``shelveRequested(list[Key], seconds, reason)``,
    ``unshelveRequested(list[Key])``, ``commentRequested(list[Key], text)``, ``featureActivated(feature id)``,
    ``trendRequested(list[sensor id])``, ``themeMaybeChanged``."""

    acknowledgeRequested = Signal(list)
    shelveRequested = Signal(list, float, str)
    unshelveRequested = Signal(list)
    commentRequested = Signal(list, str)
    featureActivated = Signal(str)
    trendRequested = Signal(list)
    themeMaybeChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("AlarmDock", "Alarms"), parent)
        self.setObjectName("alarmDock")
        self.model = AlarmTableModel(self)
        self.proxy = AlarmFilter(self)
        self.proxy.setSourceModel(self.model)
        self._kept: list[Key] = []
        self.dialog: QDialog | None = None

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        top = QHBoxLayout()
        self._empty_text = translate("AlarmDock", "No live view — no readings")
        self.summary = QLabel(self._empty_text)
        self.summary.setObjectName("panelTitle")
        self.flood = QLabel("")
        self.flood.setObjectName("floodBanner")
        self.flood.setToolTip(
            translate(
                "AlarmDock",
                "ISA-18.2: more than 10 alarms in 10 minutes is an alarm flood — work the P1/P2 alarms first",
            )
        )
        self.flood.hide()
        # Summary, filters and buttons each on rows of their own: the list fits a column beside the map (role
        # layouts, console.ui.layouts) as well as a wide bottom dock.
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setMinimumWidth(120)
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.flood)
        layout.addLayout(head)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(translate("AlarmDock", "Filter: sensor, name, feature, comment…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.priority_combo = QComboBox()
        for label, p in ((translate("AlarmDock", "All priorities"), Priority.LOW),
                         (translate("AlarmDock", "P1 only"), Priority.CRITICAL), ("P1–P2", Priority.HIGH),
                         ("P1–P3", Priority.MEDIUM)):  # fmt: skip
            self.priority_combo.addItem(label, int(p))
        self.state_combo = QComboBox()
        for label, key in ((translate("AlarmDock", "All states"), "all"),
                           (translate("AlarmDock", "Unacknowledged"), "unacknowledged"),
                           (translate("AlarmDock", "Active"), "active"),
                           (translate("AlarmDock", "Shelved"), "shelved")):  # fmt: skip
            self.state_combo.addItem(label, key)
        for w in (self.filter_edit, self.priority_combo, self.state_combo):
            top.addWidget(w)
        self.filter_edit.setMinimumWidth(120)
        layout.addLayout(top)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the model's own (EEMUA) order until a header click
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for name, width in (("P", 82), ("Since", 78), ("Sensor", 80), ("Name", 150), ("Alarm", 150), ("State", 170),
                            ("Value", 90), ("Limit", 80), ("Feature", 90)):  # fmt: skip
            self.table.setColumnWidth(COL[name], width)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.ack_button = QPushButton(translate("AlarmDock", "Acknowledge"))
        self.ack_button.setToolTip(translate("AlarmDock", "Acknowledge the selected alarms (Ctrl+Return)"))
        self.ack_all_button = QPushButton(translate("AlarmDock", "Acknowledge all shown"))
        self.shelve_button = QPushButton(translate("AlarmDock", "Shelve…"))
        self.shelve_button.setToolTip(
            translate("AlarmDock", "Hide the selected alarms for a while, with a reason (ISA-18.2 shelving)")
        )
        self.unshelve_button = QPushButton(translate("AlarmDock", "Unshelve"))
        self.comment_button = QPushButton(translate("AlarmDock", "Comment…"))
        self.trend_button = QPushButton(translate("AlarmDock", "Trend"))
        self.trend_button.setToolTip(translate("AlarmDock", "Show the selected sensors in the trend plot"))
        self.zoom_button = QPushButton(translate("AlarmDock", "Zoom to"))
        for b in (self.ack_button, self.ack_all_button, self.shelve_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        more = QHBoxLayout()
        for b in (self.unshelve_button, self.comment_button):
            more.addWidget(b)
        more.addStretch(1)
        more.addWidget(self.trend_button)
        more.addWidget(self.zoom_button)
        layout.addLayout(more)
        scroll = QScrollArea()  # a small window scrolls the dock instead of refusing to shrink
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)

        self.act_ack = QAction(translate("AlarmDock", "Acknowledge selected alarms"), self)
        self.act_ack.setShortcut(QKeySequence("Ctrl+Return"))
        self.act_ack.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_ack.triggered.connect(self._acknowledge)
        self.addAction(self.act_ack)

        self.filter_edit.textChanged.connect(lambda t: self.proxy.set_filter(text=t))
        self.priority_combo.currentIndexChanged.connect(
            lambda _: self.proxy.set_filter(max_priority=self.priority_combo.currentData())
        )
        self.state_combo.currentIndexChanged.connect(
            lambda _: self.proxy.set_filter(states=self.state_combo.currentData())
        )
        self.ack_button.clicked.connect(self._acknowledge)
        self.ack_all_button.clicked.connect(self._acknowledge_shown)
        self.shelve_button.clicked.connect(self._shelve)
        self.unshelve_button.clicked.connect(lambda: self._emit_keys(self.unshelveRequested))
        self.comment_button.clicked.connect(self._comment)
        self.trend_button.clicked.connect(lambda: self.trendRequested.emit(self.selected_sensors()))
        self.zoom_button.clicked.connect(self._zoom_selected)
        self.table.activated.connect(self._on_activated)
        self.table.clicked.connect(self._on_activated)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._restore_selection)
        self._update_buttons()

    # -- content -----------------------------------------------------------------------------------------------------
    def set_empty_text(self, text: str | None) -> None:
        """What the summary says when there are no alarms (None: "all normal"); say what is true: a network without
        sensors has nothing to monitor, a session without a feed receives nothing."""
        self._empty_text = text or translate("AlarmDock", ALL_NORMAL)
        if not self.model.rowCount():
            self.summary.setText(self._empty_text)

    def set_records(self, records: list[AlarmRecord], *, flooding: bool = False, rate_10min: int = 0) -> None:
        self.model.set_records(records)
        unack = sum(r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN) for r in records)
        active = sum(r.active and r.state != AlarmState.SHELVED for r in records)
        shelved = sum(r.state == AlarmState.SHELVED for r in records)
        if not records:
            self.summary.setText(self._empty_text)
        else:
            self.summary.setText(
                translate("AlarmDock", "{unack:,} unacknowledged · {active:,} active · {shelved:,} shelved").format(
                    unack=unack, active=active, shelved=shelved
                )
            )
        self.flood.setVisible(flooding)
        flood = translate("AlarmDock", "ALARM FLOOD: {count} alarms in 10 min").format(count=rate_10min)
        self.flood.setText(f"  {flood}  ")
        self._update_buttons()

    def selected_records(self) -> list[AlarmRecord]:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return [self.proxy.data(i, RECORD_ROLE) for i in rows]

    def selected_keys(self) -> list[Key]:
        return [(r.sensor_id, r.condition.value) for r in self.selected_records()]

    def selected_sensors(self) -> list[str]:
        return list(dict.fromkeys(r.sensor_id for r in self.selected_records()))

    def shown_records(self) -> list[AlarmRecord]:
        return [self.proxy.data(self.proxy.index(i, 0), RECORD_ROLE) for i in range(self.proxy.rowCount())]

    def select_keys(self, keys: list[Key]) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        wanted = set(keys)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for i in range(self.proxy.rowCount()):
            index = self.proxy.index(i, 0)
            r = self.proxy.data(index, RECORD_ROLE)
            if (r.sensor_id, r.condition.value) in wanted:
                sel.select(index, flags)

    def _keep_selection(self) -> None:
        self._kept = self.selected_keys()

    def _restore_selection(self) -> None:
        if self._kept:
            self.select_keys(self._kept)

    def _update_buttons(self, *_args) -> None:
        records = self.selected_records()
        unack = any(r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN) for r in records)
        self.ack_button.setEnabled(unack)
        self.ack_all_button.setEnabled(
            any(r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN) for r in self.model.records())
        )
        self.shelve_button.setEnabled(any(r.state != AlarmState.SHELVED for r in records))
        self.unshelve_button.setEnabled(any(r.state == AlarmState.SHELVED for r in records))
        for b in (self.comment_button, self.trend_button, self.zoom_button):
            b.setEnabled(bool(records))

    # -- actions -----------------------------------------------------------------------------------------------------
    def _emit_keys(self, signal) -> None:
        keys = self.selected_keys()
        if keys:
            signal.emit(keys)

    def _acknowledge(self) -> None:
        self._emit_keys(self.acknowledgeRequested)

    def _acknowledge_shown(self) -> None:
        keys = [(r.sensor_id, r.condition.value) for r in self.shown_records()
                if r.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN)]  # fmt: skip
        if keys:
            self.acknowledgeRequested.emit(keys)

    def _shelve(self) -> None:
        keys = [(r.sensor_id, r.condition.value) for r in self.selected_records() if r.state != AlarmState.SHELVED]
        if not keys:
            return
        dlg = ShelveDialog(keys, self)
        dlg.accepted.connect(lambda: self.shelveRequested.emit(keys, dlg.duration_s(), dlg.reason()))
        self._show(dlg)

    def _comment(self) -> None:
        keys = self.selected_keys()
        if not keys:
            return
        dlg = CommentDialog(keys, self)
        dlg.accepted.connect(lambda: dlg.text() and self.commentRequested.emit(keys, dlg.text()))
        self._show(dlg)

    def _show(self, dlg: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dlg
        dlg.open()

    def _on_activated(self, index) -> None:
        r = self.proxy.data(index, RECORD_ROLE)
        if r is not None and r.feature_id:
            self.featureActivated.emit(r.feature_id)

    def _zoom_selected(self) -> None:
        records = self.selected_records()
        if records and records[0].feature_id:
            self.featureActivated.emit(records[0].feature_id)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.themeMaybeChanged.emit()


def _keys_text(keys: list[Key]) -> str:
    shown = ", ".join(f"{s} {c}" for s, c in keys[:6])
    if len(keys) <= 6:
        return shown
    return translate("AlarmDock", "{alarms} and {count} more").format(alarms=shown, count=len(keys) - 6)


class ShelveDialog(QDialog):
    """How long to shelve and why (ISA-18.2: shelving is time-limited and recorded with a reason)."""

    def __init__(self, keys: list[Key], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("AlarmDock", "Shelve alarms"))
        form = QFormLayout(self)
        form.addRow(QLabel(translate("AlarmDock", "Shelve {alarms}").format(alarms=_keys_text(keys))))
        self.duration = QComboBox()
        for seconds, label in SHELVE_CHOICES:
            if seconds <= MAX_SHELVE_S:
                self.duration.addItem(translate("AlarmDock", label), float(seconds))
        self.duration.setCurrentIndex(2)
        form.addRow(translate("AlarmDock", "For"), self.duration)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(
            translate("AlarmDock", "Why (required): e.g. sensor under maintenance, work order 2026-1205")
        )
        form.addRow(translate("AlarmDock", "Reason"), self.reason_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda t: ok.setEnabled(bool(t.strip())))

    def duration_s(self) -> float:
        return float(self.duration.currentData())

    def reason(self) -> str:
        return self.reason_edit.text().strip()


class CommentDialog(QDialog):
    def __init__(self, keys: list[Key], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("AlarmDock", "Comment on alarms"))
        layout = QVBoxLayout(self)
        text = translate("AlarmDock", "Comment on {alarms} (kept in the alarm history)").format(alarms=_keys_text(keys))
        layout.addWidget(QLabel(text))
        self.edit = QPlainTextEdit()
        self.edit.setMaximumHeight(90)
        self.edit.textChanged.connect(self._bound)
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _bound(self) -> None:
        text = self.edit.toPlainText()
        if len(text) > MAX_COMMENT_CHARS:
            self.edit.setPlainText(text[:MAX_COMMENT_CHARS])

    def text(self) -> str:
        return self.edit.toPlainText().strip()[:MAX_COMMENT_CHARS]
