"""The lock screen: covers the window after idle time or Ctrl+L, while live alarms stay visible (and audible).

A control room never hides its alarms: the lock screen lists the unacknowledged and active alarms, newest most urgent
first, updated live, and beeps when a new one arrives. Unlocking needs the operator's passphrase; the next shift can
log in from here instead (shift change).
"""

from __future__ import annotations

import enum
import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.app.operators import Operator
from console.ui.forms import password_field
from console.ui.i18n import translate
from console.ui.operators._dialogs import operator_label

__all__ = ["LockScreen"]

_STATE_TEXT = {
    "unack_active": QT_TRANSLATE_NOOP("LockScreen", "UNACK  active"),
    "ack_active": QT_TRANSLATE_NOOP("LockScreen", "ack    active"),
    "unack_rtn": QT_TRANSLATE_NOOP("LockScreen", "UNACK  returned"),
    "shelved": QT_TRANSLATE_NOOP("LockScreen", "shelved"),
}
_PRIORITY_TEXT = {
    "critical": QT_TRANSLATE_NOOP("LockScreen", "CRITICAL"),
    "high": QT_TRANSLATE_NOOP("LockScreen", "HIGH"),
    "medium": QT_TRANSLATE_NOOP("LockScreen", "MEDIUM"),
    "low": QT_TRANSLATE_NOOP("LockScreen", "LOW"),
}
_PRIORITY_COLOURS = {"critical": "#ff3b3b", "high": "#ff8a1f", "medium": "#f5d90a", "low": "#7fb2ff"}


def _code(value) -> str:
    """An alarm field's code in lower case: a str enum by its value, an int enum (``Priority``) by its name."""
    if isinstance(value, enum.Enum):
        return (value.value if isinstance(value.value, str) else value.name).lower()
    return str(value).lower()


class LockScreen(QFrame):
    """A full-window cover over the main window's contents.

    Signals
    -------
    unlockRequested(operator_id, passphrase)
        The operator (the one logged in, or the next shift's) gave a passphrase.
    """

    unlockRequested = Signal(str, str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "#lockScreen { background: #0d1117; } #lockScreen QLabel { color: #e6edf3; }"
            "#lockTitle { font-size: 22px; font-weight: 600; } #lockError { color: #ff6b6b; font-weight: 600; }"
            "#lockAlarms { background: #161b22; color: #e6edf3; border: 1px solid #30363d; font-size: 14px; }"
        )
        self._seen: set[tuple[str, str]] = set()
        self.beeps = 0
        self.title = QLabel(translate("LockScreen", "Console locked"))
        self.title.setObjectName("lockTitle")
        self.who = QLabel("")
        self.alarm_title = QLabel(translate("LockScreen", "Live alarms"))
        self.alarm_title.setStyleSheet("font-weight: 600;")
        self.alarms = QListWidget()
        self.alarms.setObjectName("lockAlarms")
        self.alarms.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(12)
        self.alarms.setFont(mono)
        self.operator = QComboBox()
        self.passphrase = password_field()
        self.passphrase.setPlaceholderText(translate("LockScreen", "Passphrase"))
        self.passphrase.returnPressed.connect(self._submit)
        self.unlock_button = QPushButton(translate("LockScreen", "Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        self.error = QLabel("")
        self.error.setObjectName("lockError")

        form = QHBoxLayout()
        form.addWidget(QLabel(translate("LockScreen", "Operator")))
        form.addWidget(self.operator, 2)
        form.addWidget(self.passphrase, 2)
        form.addWidget(self.unlock_button)
        panel = QVBoxLayout()
        panel.addWidget(self.title)
        panel.addWidget(self.who)
        panel.addSpacing(12)
        panel.addWidget(self.alarm_title)
        panel.addWidget(self.alarms, 1)
        panel.addSpacing(8)
        panel.addLayout(form)
        panel.addWidget(self.error)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(panel, 4)
        outer.addStretch(1)
        outer.setContentsMargins(40, 40, 40, 40)
        self.hide()
        window.installEventFilter(self)

    # -- showing -------------------------------------------------------------------------------------------------------
    def lock(self, current: Operator | None, operators: list[Operator]) -> None:
        self.who.setText(
            translate("LockScreen", "Locked by {name} ({id}) at {time}. Alarms keep arriving and sounding; unlock with "
                      "your passphrase, or the next shift logs in.").format(
                name=current.name, id=current.operator_id, time=time.strftime("%H:%M"))
            if current is not None
            else translate("LockScreen", "Locked.")
        )  # fmt: skip
        self.operator.clear()
        for op in operators:
            if not op.revoked:
                self.operator.addItem(operator_label(op), op.operator_id)
        if current is not None:
            self.operator.setCurrentIndex(max(self.operator.findData(current.operator_id), 0))
        self.passphrase.clear()
        self.error.clear()
        self._cover()
        self.show()
        self.raise_()
        self.passphrase.setFocus()

    def unlock(self) -> None:
        self.passphrase.clear()
        self.hide()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def show_alarms(self, records) -> None:
        """The alarms to show (``console.telemetry.AlarmRecord``s, most urgent first); a new unacknowledged one beeps."""
        self.alarms.clear()
        new = False
        for rec in records[:200]:
            state = _code(rec.state)
            priority = _code(rec.priority)
            condition = _code(rec.condition).upper()
            unacked = "unack" in state
            when = time.strftime("%H:%M:%S", time.localtime(rec.since)) if rec.since == rec.since else "—"
            shown = translate("LockScreen", _STATE_TEXT[state]) if state in _STATE_TEXT else state
            level = (
                translate("LockScreen", _PRIORITY_TEXT[priority]) if priority in _PRIORITY_TEXT else priority.upper()
            )
            text = translate("LockScreen", "{when}  {priority} {sensor} {condition} {state} at {feature}").format(
                when=when, priority=f"{level:<8}", sensor=f"{rec.sensor_id:<10}", condition=f"{condition:<6}",
                state=f"{shown:<16}", feature=rec.feature_id)  # fmt: skip
            item = QListWidgetItem(text)
            item.setForeground(Qt.GlobalColor.white)
            colour = _PRIORITY_COLOURS.get(priority)
            if colour and unacked:
                item.setForeground(QColor(colour))
            self.alarms.addItem(item)
            key = (rec.sensor_id, condition)
            if unacked and key not in self._seen:
                new = True
            if unacked:
                self._seen.add(key)
        n = len(records)
        self.alarm_title.setText(
            translate("LockScreen", "Live alarms — {count} not normal").format(count=n)
            if n
            else translate("LockScreen", "Live alarms — none")
        )
        if new and self.isVisible():
            self.beeps += 1
            QApplication.beep()

    # -- plumbing ---------------------------------------------------------------------------------------------------------
    def _submit(self) -> None:
        operator_id = str(self.operator.currentData() or "")
        if not self.passphrase.text():
            self.show_error(translate("LockScreen", "Enter the passphrase."))
            return
        self.unlockRequested.emit(operator_id, self.passphrase.text())

    def _cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._cover()
        return False
