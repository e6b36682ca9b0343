"""Dialogs of the ledger UI: unlock, create, report a hazard, advance a hazard's lifecycle.

The passphrase fields are password fields; their text is handed to the controller once and never logged or stored.
Each dialog validates its own fields and shows what is missing in a red line instead of closing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.app.hazards import CATEGORIES, SEVERITIES
from console.ui.forms import FormDialog, password_field
from console.ui.i18n import translate
from console.ui.ledger._hazards_dock import step_label

__all__ = ["AddPeerDialog", "AdvanceDialog", "CreateLedgerDialog", "ReportHazardDialog", "UnlockDialog"]


class UnlockDialog(FormDialog):
    """Ask for the passphrase that decrypts the ledger's keys."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(translate("LedgerDialogs", "Unlock ledger"), parent)
        self.set_intro(
            translate(
                "LedgerDialogs",
                "The signing keys of the ledger in {folder} are encrypted. Enter the passphrase to sign entries.",
            ).format(folder=folder)
        )
        self.passphrase = password_field()
        self.form.addRow(translate("LedgerDialogs", "Passphrase"), self.passphrase)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("LedgerDialogs", "Unlock"))

    def validate(self) -> str | None:
        return None if self.passphrase.text() else translate("LedgerDialogs", "Enter the passphrase.")


class CreateLedgerDialog(FormDialog):
    """Create a ledger node: its origin (the log's name) and a passphrase, typed twice."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(translate("LedgerDialogs", "Create ledger"), parent)
        self.set_intro(
            translate(
                "LedgerDialogs",
                "No ledger exists in {folder} yet. Its origin names this organisation's log to its peers; "
                "the passphrase encrypts the signing keys and cannot be recovered.",
            ).format(folder=folder)
        )
        self.origin = QLineEdit("ledger.gas.example/city")
        self.origin.setPlaceholderText("ledger.example-gas.cn/city")
        self.passphrase = password_field()
        self.again = password_field()
        self.form.addRow(translate("LedgerDialogs", "Origin"), self.origin)
        self.form.addRow(translate("LedgerDialogs", "Passphrase"), self.passphrase)
        self.form.addRow(translate("LedgerDialogs", "Again"), self.again)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("LedgerDialogs", "Create"))

    def validate(self) -> str | None:
        origin = self.origin.text().strip()
        if not origin or any(c.isspace() for c in origin):
            return translate(
                "LedgerDialogs", "The origin must be a name without spaces, e.g. ledger.example-gas.cn/city."
            )
        if len(self.passphrase.text()) < 8:
            return translate("LedgerDialogs", "Use a passphrase of at least 8 characters.")
        if self.passphrase.text() != self.again.text():
            return translate("LedgerDialogs", "The two passphrases differ.")
        return None


class AddPeerDialog(FormDialog):
    """Follow another organisation's ledger: its name, URL, origin and keys (what ``gasops ledger peers self`` prints
    there; paste that JSON and the fields fill in). Takes effect at once: no restart of either node."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(translate("LedgerDialogs", "Add ledger peer"), parent)
        self.set_intro(
            translate(
                "LedgerDialogs",
                "Ask the peer for its identity (gasops ledger peers self, or Ledger › This node's identity) and paste "
                "it below, or fill in the fields. Its log is followed from the next sync; its witness counts at once.",
            )
        )
        self.paste = QPlainTextEdit()
        self.paste.setPlaceholderText('{"origin": "…", "vkey": "…", "witness_vkey": "…"}')
        self.paste.setMaximumHeight(64)
        self.paste.textChanged.connect(self._on_paste)
        self.name = QLineEdit()
        self.name.setPlaceholderText("district-b")
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://10.0.8.12:8741")
        self.origin = QLineEdit()
        self.vkey = QLineEdit()
        self.witness_vkey = QLineEdit()
        self.form.addRow(translate("LedgerDialogs", "Identity (JSON)"), self.paste)
        self.form.addRow(translate("LedgerDialogs", "Name"), self.name)
        self.form.addRow(translate("LedgerDialogs", "URL"), self.url)
        self.form.addRow(translate("LedgerDialogs", "Origin"), self.origin)
        self.form.addRow(translate("LedgerDialogs", "Organisation key"), self.vkey)
        self.form.addRow(translate("LedgerDialogs", "Witness key"), self.witness_vkey)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("LedgerDialogs", "Add peer"))

    def _on_paste(self) -> None:
        import json

        text = self.paste.toPlainText().strip()
        if not text:
            return
        try:
            data = json.loads(text)
        except ValueError:
            self.show_error(translate("LedgerDialogs", "The pasted identity is not JSON; fill in the fields instead."))
            return
        if not isinstance(data, dict):
            self.show_error(
                translate(
                    "LedgerDialogs", "The pasted identity is not a JSON object with origin, vkey and witness_vkey."
                )
            )
            return
        for key, edit in (("origin", self.origin), ("vkey", self.vkey), ("witness_vkey", self.witness_vkey),
                          ("name", self.name), ("url", self.url)):  # fmt: skip
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                edit.setText(value.strip())
        self.show_error("")

    def values(self) -> dict[str, str]:
        return {k: getattr(self, k).text().strip() for k in ("name", "url", "origin", "vkey", "witness_vkey")}

    def validate(self) -> str | None:
        v = self.values()
        missing = [label for key, label in (("name", translate("LedgerDialogs", "Name")), ("url", translate("LedgerDialogs", "URL")), ("origin", translate("LedgerDialogs", "Origin")),
                   ("vkey", translate("LedgerDialogs", "Organisation key")), ("witness_vkey", translate("LedgerDialogs", "Witness key"))) if not v[key]]  # fmt: skip
        if missing:
            return translate("LedgerDialogs", "Fill in: {fields}.").format(fields=", ".join(missing))
        if any(c.isspace() for c in v["name"]):
            return translate("LedgerDialogs", "The peer's name must be one word, e.g. district-b.")
        if not v["url"].startswith(("http://", "https://")):
            return translate("LedgerDialogs", "The URL must start with http:// or https://.")
        return None


class _Attachments(QWidget):
    """A list of evidence files with Add/Remove; files are read only when the entry is signed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(72)
        add = QPushButton(translate("LedgerDialogs", "Add files…"))
        remove = QPushButton(translate("LedgerDialogs", "Remove"))
        add.clicked.connect(self._browse)
        remove.clicked.connect(lambda: [self.list.takeItem(self.list.row(i)) for i in self.list.selectedItems()])
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def _browse(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            translate("LedgerDialogs", "Attach photos or documents"),
            "",
            translate("LedgerDialogs", "Photos and documents (*.jpg *.jpeg *.png *.pdf *.doc *.docx);;All (*)"),
        )
        self.add_files(files)

    def add_files(self, files) -> None:
        for f in files:
            self.list.addItem(str(f))

    def files(self) -> list[Path]:
        return [Path(self.list.item(i).text()) for i in range(self.list.count())]


class ReportHazardDialog(FormDialog):
    """Report a hazard at a map location."""

    def __init__(self, x: float, y: float, crs: str, asset_id: str = "", parent: QWidget | None = None) -> None:
        super().__init__(translate("LedgerDialogs", "Report hazard"), parent)
        self.x, self.y, self.crs = x, y, crs
        self.set_intro(
            translate(
                "LedgerDialogs",
                "The report is signed and appended to the ledger; attached files go to the evidence store and only "
                "their SHA-256 digests go on the ledger. Do not put names or phone numbers in the description.",
            )
        )
        crs_text = crs or translate("LedgerDialogs", "no CRS")
        self.location = QLabel(f"X {x:,.1f}  Y {y:,.1f} m  ({crs_text})")
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.category = QComboBox()
        for key, label in CATEGORIES:
            self.category.addItem(translate("Hazards", label), key)
        self.severity = QComboBox()
        for key, label in SEVERITIES:
            self.severity.addItem(translate("Hazards", label), key)
        self.severity.setCurrentIndex(1)
        self.asset_id = QLineEdit(asset_id)
        self.asset_id.setPlaceholderText(translate("LedgerDialogs", "pipe, valve or regulator id (optional)"))
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(translate("LedgerDialogs", "What was found, where exactly, how urgent"))
        self.description.setFixedHeight(80)
        self.actor = QLineEdit()
        self.actor.setPlaceholderText(translate("LedgerDialogs", "inspector or crew id — kept only as a keyed digest"))
        self.attachments = _Attachments()
        self.form.addRow(translate("LedgerDialogs", "Location"), self.location)
        self.form.addRow(translate("LedgerDialogs", "Category"), self.category)
        self.form.addRow(translate("LedgerDialogs", "Severity"), self.severity)
        self.form.addRow(translate("LedgerDialogs", "Asset id"), self.asset_id)
        self.form.addRow(translate("LedgerDialogs", "Description"), self.description)
        self.form.addRow(translate("LedgerDialogs", "Reported by"), self.actor)
        self.form.addRow(translate("LedgerDialogs", "Photos / documents"), self.attachments)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("LedgerDialogs", "Sign and report"))

    def validate(self) -> str | None:
        return None if self.description.toPlainText().strip() else translate("LedgerDialogs", "Describe the hazard.")

    def values(self) -> dict:
        return {
            "category": self.category.currentData(),
            "severity": self.severity.currentData(),
            "asset_id": self.asset_id.text().strip(),
            "description": self.description.toPlainText().strip(),
            "actor": self.actor.text().strip(),
            "files": self.attachments.files(),
        }


class AdvanceDialog(FormDialog):
    """Advance a hazard to its next lifecycle step with the fields that step records."""

    def __init__(self, hazard_id: str, step: str, parent: QWidget | None = None) -> None:
        super().__init__(f"{hazard_id}: {step_label(step)}", parent)
        self.hazard_id, self.step = hazard_id, step
        self.fields: dict[str, QWidget] = {}
        self.attachments: _Attachments | None = None
        if step == "assigned":
            self._line(
                "assignee",
                translate("LedgerDialogs", "Assign to"),
                translate("LedgerDialogs", "crew or contractor id, e.g. crew-3"),
            )
            self._line("due", translate("LedgerDialogs", "Due"), translate("LedgerDialogs", "YYYY-MM-DD (optional)"))
            self._text("note", translate("LedgerDialogs", "Note"))
        elif step == "rectified":
            self._text("description", translate("LedgerDialogs", "What was done"))
        elif step == "verified":
            result = QComboBox()
            result.addItem(translate("LedgerDialogs", "Pass — rectification accepted"), "pass")
            result.addItem(translate("LedgerDialogs", "Fail — needs more work"), "fail")
            self.fields["result"] = result
            self.form.addRow(translate("LedgerDialogs", "Result"), result)
            self._text("note", translate("LedgerDialogs", "Note"))
        else:
            self._text("note", translate("LedgerDialogs", "Note"))
        if step in ("rectified", "verified"):
            self.attachments = _Attachments()
            self.form.addRow(translate("LedgerDialogs", "Photos / documents"), self.attachments)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            translate("LedgerDialogs", "Sign: {step}").format(step=step_label(step))
        )

    def _line(self, key: str, label: str, placeholder: str) -> None:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        self.fields[key] = edit
        self.form.addRow(label, edit)

    def _text(self, key: str, label: str) -> None:
        edit = QPlainTextEdit()
        edit.setFixedHeight(64)
        self.fields[key] = edit
        self.form.addRow(label, edit)

    def set_value(self, key: str, value: str) -> None:
        w = self.fields[key]
        if isinstance(w, QComboBox):
            w.setCurrentIndex(max(w.findData(value), 0))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        else:
            w.setText(value)

    def values(self) -> dict:
        out: dict = {}
        for key, w in self.fields.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentData()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            else:
                out[key] = w.text()
        out["files"] = self.attachments.files() if self.attachments else []
        return out

    def validate(self) -> str | None:
        v = self.values()
        if self.step == "assigned" and not v["assignee"].strip():
            return translate("LedgerDialogs", "Say who is assigned (crew or contractor id).")
        if self.step == "rectified" and not v["description"].strip():
            return translate("LedgerDialogs", "Describe what was done.")
        return None
