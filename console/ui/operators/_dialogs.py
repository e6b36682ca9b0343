"""Dialogs of the operators feature: log in / switch operator, enrol an operator, the operators table."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.app.operators import PERMISSIONS, ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES, Operator
from console.ui.forms import FormDialog, password_field
from console.ui.i18n import translate


def role_name(role: str) -> str:
    """A role's name in the current language (a role of a custom roles.json by its key)."""
    return translate("Roles", ROLE_LABELS[role]) if role in ROLE_LABELS else role


def operator_label(op: Operator) -> str:
    """``王工 (A-1; Administrator)``: name, id and roles in the current language."""
    return translate("Operators", "{name} ({id}; {roles})").format(
        name=op.name, id=op.operator_id, roles=", ".join(role_name(r) for r in op.roles))  # fmt: skip


def _role_tip(role: str) -> str:
    lines = [translate("Roles", ROLE_DESCRIPTIONS[role])] if role in ROLE_DESCRIPTIONS else []
    lines += [f"• {translate('Permissions', PERMISSIONS[p])}" for p in sorted(ROLES.get(role, ())) if p in PERMISSIONS]
    return "\n".join(lines)


__all__ = ["EnrolDialog", "LoginDialog", "OperatorsDialog", "RolesDialog", "operator_label", "role_name"]


class LoginDialog(FormDialog):
    """Who is at the console: operator and passphrase (the passphrase goes to the service once, never stored)."""

    def __init__(self, operators: list[Operator], last: str = "", parent: QWidget | None = None, *,
                 title: str = "", intro: str = "", button: str = "") -> None:  # fmt: skip
        super().__init__(title or translate("Operators", "Operator log-in"), parent)
        self.set_intro(intro or translate("Operators", "Log in with your operator id and passphrase. Every step you "
                                          "take is signed with your own key, so the record names you."))  # fmt: skip
        self.operator = QComboBox()
        for op in operators:
            if not op.revoked:
                self.operator.addItem(operator_label(op), op.operator_id)
        if last:
            i = self.operator.findData(last)
            if i >= 0:
                self.operator.setCurrentIndex(i)
        self.passphrase = password_field()
        self.form.addRow(translate("Operators", "Operator"), self.operator)
        self.form.addRow(translate("Operators", "Passphrase"), self.passphrase)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(button or translate("Operators", "Log in"))
        self.passphrase.setFocus()

    @property
    def operator_id(self) -> str:
        return str(self.operator.currentData() or "")

    def validate(self) -> str | None:
        if not self.operator_id:
            return translate(
                "Operators", "No operator is enrolled: an administrator adds operators in Ledger › Operators."
            )
        return None if self.passphrase.text() else translate("Operators", "Enter your passphrase.")


class _RolePicker(QWidget):
    def __init__(self, roles: list[str], checked: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes = {}
        for role in roles:
            box = QCheckBox(role_name(role))
            box.setToolTip(_role_tip(role))
            box.setChecked(role in checked)
            layout.addWidget(box)
            self.boxes[role] = box
        layout.addStretch(1)

    def roles(self) -> list[str]:
        return [r for r, box in self.boxes.items() if box.isChecked()]


class EnrolDialog(FormDialog):
    """Enrol an operator: id, name, roles and the passphrase that encrypts their key (typed twice)."""

    def __init__(self, roles: list[str], parent: QWidget | None = None) -> None:
        super().__init__(translate("Operators", "Add operator"), parent)
        self.set_intro(translate("Operators", "The operator's key is created here and encrypted under their passphrase; "
                                 "the ledger records the enrolment (signed by you) so verifiers can tell who signed each "
                                 "step."))  # fmt: skip
        self.operator_id = QLineEdit()
        self.operator_id.setPlaceholderText("D-017")
        self.name = QLineEdit()
        self.roles = _RolePicker(roles, ("dispatcher",))
        self.passphrase = password_field()
        self.again = password_field()
        self.form.addRow(translate("Operators", "Operator id"), self.operator_id)
        self.form.addRow(translate("Operators", "Name"), self.name)
        self.form.addRow(translate("Operators", "Roles"), self.roles)
        self.form.addRow(translate("Operators", "Passphrase"), self.passphrase)
        self.form.addRow(translate("Operators", "Again"), self.again)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("Operators", "Add operator"))

    def validate(self) -> str | None:
        if not self.operator_id.text().strip() or not self.name.text().strip():
            return translate("Operators", "Give the operator id and name.")
        if not self.roles.roles():
            return translate("Operators", "Choose at least one role.")
        if len(self.passphrase.text()) < 8:
            return translate("Operators", "Use a passphrase of at least 8 characters.")
        if self.passphrase.text() != self.again.text():
            return translate("Operators", "The two passphrases differ.")
        return None


class RolesDialog(FormDialog):
    def __init__(self, operator: Operator, roles: list[str], parent: QWidget | None = None) -> None:
        super().__init__(translate("Operators", "Roles of {id}").format(id=operator.operator_id), parent)
        self.set_intro(translate("Operators", "Change the roles of {name}. The change is a permission change on the "
                                 "record.").format(name=operator.name))  # fmt: skip
        self.roles = _RolePicker(roles, operator.roles)
        self.reason = QLineEdit()
        self.form.addRow(translate("Operators", "Roles"), self.roles)
        self.form.addRow(translate("Operators", "Reason"), self.reason)

    def validate(self) -> str | None:
        return None if self.roles.roles() else translate("Operators", "Choose at least one role.")


class OperatorsDialog(QDialog):
    """The enrolled operators, with Add, Roles… and Revoke for administrators."""

    COLUMNS = (QT_TRANSLATE_NOOP("Operators", "Id"), QT_TRANSLATE_NOOP("Operators", "Name"),
               QT_TRANSLATE_NOOP("Operators", "Roles"), QT_TRANSLATE_NOOP("Operators", "Status"),
               QT_TRANSLATE_NOOP("Operators", "Key (did:key)"))  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Operators", "Operators"))
        self.resize(820, 380)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([translate("Operators", c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.add_button = QPushButton(translate("Operators", "Add operator…"))
        self.roles_button = QPushButton(translate("Operators", "Roles…"))
        self.revoke_button = QPushButton(translate("Operators", "Revoke…"))
        self.close_button = QPushButton(translate("Operators", "Close"))
        self.close_button.clicked.connect(self.accept)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setObjectName("panelSubtitle")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.roles_button, self.revoke_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addLayout(buttons)

    def show_operators(self, operators: list[Operator], current: str | None) -> None:
        self.table.setRowCount(len(operators))
        for row, op in enumerate(operators):
            if op.revoked:
                status = translate("Operators", "revoked")
            else:
                logged_in = op.operator_id == current
                status = translate("Operators", "logged in") if logged_in else translate("Operators", "active")
            cells = (op.operator_id, op.name, ", ".join(role_name(r) for r in op.roles), status, op.did[:24] + "…")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, op.operator_id)
                if op.revoked:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, col, item)

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None
