"""Small widgets of the live view: the feed indicator (status bar), the alarm badge (toolbar) and the feed dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from console.app.live import MqttSettings
from console.telemetry import DropReason, FeedState, FeedStatus
from console.ui.i18n import translate

__all__ = ["AlarmBadge", "FeedIndicator", "MqttDialog", "ReplayDialog", "feed_text"]

_STATE_COLORS = {
    FeedState.RUNNING: "#3ddc84",
    FeedState.CONNECTING: "#ffb300",
    FeedState.RECONNECTING: "#ffb300",
    FeedState.FAILED: "#ff2d55",
    FeedState.FINISHED: "#7d8a98",
    FeedState.STOPPED: "#7d8a98",
}
_KIND_LABELS = {
    "simulator": QT_TRANSLATE_NOOP("LiveFeed", "SIMULATOR"),
    "mqtt": QT_TRANSLATE_NOOP("LiveFeed", "MQTT"),
    "replay": QT_TRANSLATE_NOOP("LiveFeed", "REPLAY"),
}
_STATE_LABELS = {
    FeedState.STOPPED: QT_TRANSLATE_NOOP("LiveFeed", "stopped"),
    FeedState.CONNECTING: QT_TRANSLATE_NOOP("LiveFeed", "connecting"),
    FeedState.RUNNING: QT_TRANSLATE_NOOP("LiveFeed", "running"),
    FeedState.RECONNECTING: QT_TRANSLATE_NOOP("LiveFeed", "reconnecting"),
    FeedState.FINISHED: QT_TRANSLATE_NOOP("LiveFeed", "finished"),
    FeedState.FAILED: QT_TRANSLATE_NOOP("LiveFeed", "failed"),
}
_DROP_LABELS = {
    DropReason.MALFORMED: QT_TRANSLATE_NOOP("LiveFeed", "malformed"),
    DropReason.BAD_TOPIC: QT_TRANSLATE_NOOP("LiveFeed", "bad topic"),
    DropReason.TOPIC_MISMATCH: QT_TRANSLATE_NOOP("LiveFeed", "topic mismatch"),
    DropReason.UNKNOWN_SENSOR: QT_TRANSLATE_NOOP("LiveFeed", "unknown sensor"),
    DropReason.UNIT_MISMATCH: QT_TRANSLATE_NOOP("LiveFeed", "unit mismatch"),
    DropReason.NOT_FINITE: QT_TRANSLATE_NOOP("LiveFeed", "not a number"),
    DropReason.OUT_OF_RANGE: QT_TRANSLATE_NOOP("LiveFeed", "out of range"),
    DropReason.DUPLICATE: QT_TRANSLATE_NOOP("LiveFeed", "duplicate"),
    DropReason.OUT_OF_ORDER: QT_TRANSLATE_NOOP("LiveFeed", "out of order"),
    DropReason.FUTURE: QT_TRANSLATE_NOOP("LiveFeed", "future timestamp"),
    DropReason.TOO_OLD: QT_TRANSLATE_NOOP("LiveFeed", "too old"),
    DropReason.UNSIGNED: QT_TRANSLATE_NOOP("LiveFeed", "unsigned"),
    DropReason.UNKNOWN_DEVICE: QT_TRANSLATE_NOOP("LiveFeed", "unknown device"),
    DropReason.BAD_SIGNATURE: QT_TRANSLATE_NOOP("LiveFeed", "bad signature"),
    DropReason.BAD_QUALITY: QT_TRANSLATE_NOOP("LiveFeed", "bad quality"),
    DropReason.NO_BIRTH: QT_TRANSLATE_NOOP("LiveFeed", "no birth certificate"),
    DropReason.REPLAYED: QT_TRANSLATE_NOOP("LiveFeed", "replayed"),
}


def _label(table: dict, key) -> str:
    return translate("LiveFeed", table[key]) if key in table else str(key)


def feed_text(kind: str | None, status: FeedStatus | None, rate: float, n_sensors: int) -> tuple[str, str, str]:
    """(text, colour, tooltip) of the feed indicator."""
    if kind is None or status is None:
        return (
            translate("LiveFeed", "○ No live feed"),
            "#7d8a98",
            translate("LiveFeed", "No live feed — Live › Start simulator / Connect to MQTT broker / Replay"),
        )
    state = status.state
    state_text = _label(_STATE_LABELS, state)
    text = f"● {_label(_KIND_LABELS, kind)} · {state_text}"
    if state == FeedState.RUNNING:
        text += " · " + translate("LiveFeed", "{rate} readings/s").format(rate=f"{rate:,.0f}")
    if status.dropped_total:
        text += " · " + translate("LiveFeed", "{count} dropped").format(count=f"{status.dropped_total:,}")
    lines = [
        f"{status.feed}: {state_text}" + (f" — {status.detail}" if status.detail else ""),
        translate("LiveFeed", "{sensors} sensors · received {received} · accepted {accepted}").format(
            sensors=f"{n_sensors:,}", received=f"{status.received:,}", accepted=f"{status.accepted:,}"
        ),
    ]
    if status.reconnects:
        lines.append(translate("LiveFeed", "reconnected {count} times").format(count=f"{status.reconnects:,}"))
    if status.dropped:
        reasons = ", ".join(f"{_label(_DROP_LABELS, k)} {n:,}" for k, n in status.dropped.items())
        lines.append(translate("LiveFeed", "dropped: {reasons}").format(reasons=reasons))
    if kind == "simulator":
        lines.append(translate("LiveFeed", "Simulated readings (demo, training, drills) — not field data"))
    return text, _STATE_COLORS.get(state, "#7d8a98"), "\n".join(lines)


class FeedIndicator(QToolButton):
    """The feed's kind, state, rate and drops; its menu holds the feed actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feedIndicator")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAutoRaise(True)
        self.show_status(None, None, 0.0, 0)

    def show_status(self, kind: str | None, status: FeedStatus | None, rate: float, n_sensors: int) -> None:
        text, color, tip = feed_text(kind, status, rate, n_sensors)
        self.setText(text)
        self.setToolTip(tip)
        weight = "700" if kind == "simulator" else "500"
        self.setStyleSheet(f"QToolButton#feedIndicator {{ color: {color}; font-weight: {weight}; padding: 0 6px; }}")


class AlarmBadge(QToolButton):
    """Unacknowledged and active alarm counts in the toolbar; red while anything is unacknowledged."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBadge")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setToolTip(translate("LiveFeed", "Alarms: click to open the alarm list (F9)"))
        self._flash = False
        self.unack = self.active = 0
        self.worst = 4
        self.set_counts(0, 0, 4)

    def set_counts(self, unack: int, active: int, worst_priority: int) -> None:
        self.unack, self.active, self.worst = unack, active, worst_priority
        self._restyle()

    def flash(self) -> None:
        self._flash = not self._flash
        if self.unack:
            self._restyle()

    def _restyle(self) -> None:
        if self.unack:
            self.setText(
                translate("LiveFeed", "▲ {unack} UNACK · {active} active").format(
                    unack=f"{self.unack:,}", active=f"{self.active:,}"
                )
            )
            bg = "#ff2d55" if self.worst <= 2 else "#ff8c1a"
            if self._flash:
                style = f"background: {bg}; color: #ffffff; border: 1px solid {bg};"
            else:
                style = f"background: transparent; color: {bg}; border: 1px solid {bg};"
        elif self.active:
            self.setText(translate("LiveFeed", "▲ {active} active").format(active=f"{self.active:,}"))
            style = "background: transparent; color: #ffb300; border: 1px solid #ffb300;"
        else:
            self.setText(translate("LiveFeed", "✓ No alarms"))
            style = "background: transparent; color: #3ddc84; border: 1px solid transparent;"
        self.setStyleSheet(
            f"QToolButton#alarmBadge {{ {style} border-radius: 4px; padding: 2px 8px; font-weight: 700; }}"
        )


class MqttDialog(QDialog):
    """Broker address, utility, credentials and device-signature policy for the MQTT feed."""

    def __init__(self, settings: MqttSettings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("LiveFeed", "Connect to an MQTT broker"))
        form = QFormLayout(self)
        self.host = QLineEdit(settings.host)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(int(settings.port))
        self.utility = QLineEdit(settings.utility)
        self.utility.setToolTip(translate("LiveFeed", "Topic scheme gasops/v1/<utility>/<sensor_id>/reading"))
        self.protocol = QComboBox()
        self.protocol.addItems(["3.1.1", "5"])
        self.protocol.setCurrentText(settings.protocol)
        self.client_id = QLineEdit(settings.client_id or "")
        self.client_id.setPlaceholderText(translate("LiveFeed", "automatic (a persistent session needs a fixed id)"))
        self.username = QLineEdit(settings.username or "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(translate("LiveFeed", "not stored"))
        self.tls_ca = QLineEdit(settings.tls_ca or "")
        self.tls_ca.setPlaceholderText(
            translate("LiveFeed", "CA certificate for TLS (empty: plain TCP on loopback/LAN)")
        )
        browse = QPushButton("…")
        browse.clicked.connect(self._browse_ca)
        ca = QHBoxLayout()
        ca.addWidget(self.tls_ca, 1)
        ca.addWidget(browse)
        self.require_signed = QCheckBox(
            translate("LiveFeed", "Accept only readings signed by registered devices (did:key)")
        )
        self.require_signed.setChecked(settings.require_signed)
        for label, w in ((translate("LiveFeed", "Host"), self.host), (translate("LiveFeed", "Port"), self.port),
                         (translate("LiveFeed", "Utility"), self.utility),
                         (translate("LiveFeed", "Protocol"), self.protocol),
                         (translate("LiveFeed", "Client id"), self.client_id),
                         (translate("LiveFeed", "User"), self.username),
                         (translate("LiveFeed", "Password"), self.password)):  # fmt: skip
            form.addRow(label, w)
        form.addRow(translate("LiveFeed", "TLS CA"), ca)
        form.addRow(self.require_signed)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #ff2d55;")
        self.error.hide()
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("LiveFeed", "Connect"))
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            translate("LiveFeed", "CA certificate"),
            "",
            translate("LiveFeed", "Certificates (*.pem *.crt);;All files (*)"),
        )
        if path:
            self.tls_ca.setText(path)

    def _check_and_accept(self) -> None:
        problem = ""
        if not self.host.text().strip():
            problem = translate("LiveFeed", "Name the broker's host")
        elif not self.utility.text().strip() or any(c in self.utility.text() for c in "/+#"):
            problem = translate("LiveFeed", "The utility is one topic level: no '/', '+' or '#'")
        elif self.tls_ca.text().strip() and not Path(self.tls_ca.text().strip()).is_file():
            problem = translate("LiveFeed", "No CA certificate at {path}").format(path=self.tls_ca.text().strip())
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self.accept()

    def settings(self) -> MqttSettings:
        return MqttSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            utility=self.utility.text().strip(),
            client_id=self.client_id.text().strip() or None,
            protocol=self.protocol.currentText(),
            username=self.username.text().strip() or None,
            password=self.password.text() or None,
            tls_ca=self.tls_ca.text().strip() or None,
            require_signed=self.require_signed.isChecked(),
        )


class ReplayDialog(QDialog):
    """A recorded .csv/.parquet file and the replay speed (1–100x)."""

    def __init__(self, start_dir: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("LiveFeed", "Replay a recording"))
        form = QFormLayout(self)
        self.path = QLineEdit()
        browse = QPushButton(translate("LiveFeed", "Browse…"))
        browse.clicked.connect(lambda: self._browse(start_dir))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(translate("LiveFeed", "File"), row)
        self.speed = QDoubleSpinBox()
        self.speed.setRange(1.0, 100.0)
        self.speed.setValue(10.0)
        self.speed.setSuffix(" ×")
        form.addRow(translate("LiveFeed", "Speed"), self.speed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self, start_dir: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            translate("LiveFeed", "Recording"),
            start_dir,
            translate("LiveFeed", "Recordings (*.parquet *.csv);;All files (*)"),
        )
        if path:
            self.path.setText(path)
