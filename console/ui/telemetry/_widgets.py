"""Small widgets of the live view: the feed indicator (status bar), the alarm badge (toolbar) and the feed dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
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
from console.telemetry import FeedState, FeedStatus

__all__ = ["AlarmBadge", "FeedIndicator", "MqttDialog", "ReplayDialog", "feed_text"]

_STATE_COLORS = {
    FeedState.RUNNING: "#3ddc84",
    FeedState.CONNECTING: "#ffb300",
    FeedState.RECONNECTING: "#ffb300",
    FeedState.FAILED: "#ff2d55",
    FeedState.FINISHED: "#7d8a98",
    FeedState.STOPPED: "#7d8a98",
}
_KIND_LABELS = {"simulator": "SIMULATOR 仿真", "mqtt": "MQTT", "replay": "REPLAY 回放"}


def feed_text(kind: str | None, status: FeedStatus | None, rate: float, n_sensors: int) -> tuple[str, str, str]:
    """(text, colour, tooltip) of the feed indicator."""
    if kind is None or status is None:
        return "○ No live feed", "#7d8a98", "No live feed — Live › Start simulator / Connect to MQTT broker / Replay"
    state = status.state
    text = f"● {_KIND_LABELS.get(kind, kind)} · {state.value}"
    if state == FeedState.RUNNING:
        text += f" · {rate:,.0f} readings/s"
    if status.dropped_total:
        text += f" · {status.dropped_total:,} dropped"
    lines = [
        f"{status.feed}: {state.value}" + (f" — {status.detail}" if status.detail else ""),
        f"{n_sensors:,} sensors · received {status.received:,} · accepted {status.accepted:,}",
    ]
    if status.reconnects:
        lines.append(f"reconnected {status.reconnects:,} times")
    if status.dropped:
        lines.append("dropped: " + ", ".join(f"{k} {n:,}" for k, n in status.dropped.items()))
    if kind == "simulator":
        lines.append("Simulated readings (demo, training, drills) — not field data")
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
        self.setToolTip("Alarms: click to open the alarm list (F9)")
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
            self.setText(f"▲ {self.unack:,} UNACK · {self.active:,} active")
            bg = "#ff2d55" if self.worst <= 2 else "#ff8c1a"
            if self._flash:
                style = f"background: {bg}; color: #ffffff; border: 1px solid {bg};"
            else:
                style = f"background: transparent; color: {bg}; border: 1px solid {bg};"
        elif self.active:
            self.setText(f"▲ {self.active:,} active")
            style = "background: transparent; color: #ffb300; border: 1px solid #ffb300;"
        else:
            self.setText("✓ No alarms")
            style = "background: transparent; color: #3ddc84; border: 1px solid transparent;"
        self.setStyleSheet(
            f"QToolButton#alarmBadge {{ {style} border-radius: 4px; padding: 2px 8px; font-weight: 700; }}"
        )


class MqttDialog(QDialog):
    """Broker address, utility, credentials and device-signature policy for the MQTT feed."""

    def __init__(self, settings: MqttSettings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to an MQTT broker")
        form = QFormLayout(self)
        self.host = QLineEdit(settings.host)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(int(settings.port))
        self.utility = QLineEdit(settings.utility)
        self.utility.setToolTip("Topic scheme gasops/v1/<utility>/<sensor_id>/reading")
        self.protocol = QComboBox()
        self.protocol.addItems(["3.1.1", "5"])
        self.protocol.setCurrentText(settings.protocol)
        self.client_id = QLineEdit(settings.client_id or "")
        self.client_id.setPlaceholderText("automatic (a persistent session needs a fixed id)")
        self.username = QLineEdit(settings.username or "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("not stored")
        self.tls_ca = QLineEdit(settings.tls_ca or "")
        self.tls_ca.setPlaceholderText("CA certificate for TLS (empty: plain TCP on loopback/LAN)")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse_ca)
        ca = QHBoxLayout()
        ca.addWidget(self.tls_ca, 1)
        ca.addWidget(browse)
        self.require_signed = QCheckBox("Accept only readings signed by registered devices (did:key)")
        self.require_signed.setChecked(settings.require_signed)
        for label, w in (("Host", self.host), ("Port", self.port), ("Utility", self.utility),
                         ("Protocol", self.protocol), ("Client id", self.client_id), ("User", self.username),
                         ("Password", self.password)):  # fmt: skip
            form.addRow(label, w)
        form.addRow("TLS CA", ca)
        form.addRow(self.require_signed)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #ff2d55;")
        self.error.hide()
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "Certificates (*.pem *.crt);;All files (*)")
        if path:
            self.tls_ca.setText(path)

    def _check_and_accept(self) -> None:
        problem = ""
        if not self.host.text().strip():
            problem = "Name the broker's host"
        elif not self.utility.text().strip() or any(c in self.utility.text() for c in "/+#"):
            problem = "The utility is one topic level: no '/', '+' or '#'"
        elif self.tls_ca.text().strip() and not Path(self.tls_ca.text().strip()).is_file():
            problem = f"No CA certificate at {self.tls_ca.text().strip()}"
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
        self.setWindowTitle("Replay a recording")
        form = QFormLayout(self)
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(start_dir))
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.speed = QDoubleSpinBox()
        self.speed.setRange(1.0, 100.0)
        self.speed.setValue(10.0)
        self.speed.setSuffix(" ×")
        form.addRow("Speed", self.speed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self, start_dir: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Recording", start_dir, "Recordings (*.parquet *.csv);;All files (*)"
        )
        if path:
            self.path.setText(path)
