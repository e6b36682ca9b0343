"""Dialogs of the operators feature: log in / switch operator, enrol an operator, the operators table."""

from __future__ import annotations

from PySide6.QtCore import Qt
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

from console.app.operators import ROLE_LABELS, Operator
from console.ui.forms import FormDialog, password_field

__all__ = ["EnrolDialog", "LoginDialog", "OperatorsDialog", "RolesDialog"]


class LoginDialog(FormDialog):
    """Who is at the console: operator and passphrase (the passphrase goes to the service once, never stored)."""

    def __init__(self, operators: list[Operator], last: str = "", parent: QWidget | None = None, *,
                 title: str = "Log in 操作员登录", intro: str = "", button: str = "Log in") -> None:  # fmt: skip
        super().__init__(title, parent)
        self.set_intro(intro or "Log in with your operator id and passphrase. Every step you take is signed "
                       "with your own key, so the record names you.")  # fmt: skip
        self.operator = QComboBox()
        for op in operators:
            if not op.revoked:
                self.operator.addItem(op.label, op.operator_id)
        if last:
            i = self.operator.findData(last)
            if i >= 0:
                self.operator.setCurrentIndex(i)
        self.passphrase = password_field()
        self.form.addRow("Operator 操作员", self.operator)
        self.form.addRow("Passphrase 口令", self.passphrase)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(button)
        self.passphrase.setFocus()

    @property
    def operator_id(self) -> str:
        return str(self.operator.currentData() or "")

    def validate(self) -> str | None:
        if not self.operator_id:
            return "No operator is enrolled: an administrator adds operators in Ledger › Operators."
        return None if self.passphrase.text() else "Enter your passphrase."


class _RolePicker(QWidget):
    def __init__(self, roles: list[str], checked: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes = {}
        for role in roles:
            box = QCheckBox(f"{role} {ROLE_LABELS.get(role, '')}".strip())
            box.setChecked(role in checked)
            layout.addWidget(box)
            self.boxes[role] = box
        layout.addStretch(1)

    def roles(self) -> list[str]:
        return [r for r, box in self.boxes.items() if box.isChecked()]


class EnrolDialog(FormDialog):
    """Enrol an operator: id, name, roles and the passphrase that encrypts their key (typed twice)."""

    def __init__(self, roles: list[str], parent: QWidget | None = None) -> None:
        super().__init__("Add operator 添加操作员", parent)
        self.set_intro("The operator's key is created here and encrypted under their passphrase; the ledger records "
                       "the enrolment (signed by you) so verifiers can tell who signed each step.")  # fmt: skip
        self.operator_id = QLineEdit()
        self.operator_id.setPlaceholderText("D-017")
        self.name = QLineEdit()
        self.roles = _RolePicker(roles, ("dispatcher",))
        self.passphrase = password_field()
        self.again = password_field()
        self.form.addRow("Operator id", self.operator_id)
        self.form.addRow("Name 姓名", self.name)
        self.form.addRow("Roles 角色", self.roles)
        self.form.addRow("Passphrase", self.passphrase)
        self.form.addRow("Again", self.again)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add operator")

    def validate(self) -> str | None:
        if not self.operator_id.text().strip() or not self.name.text().strip():
            return "Give the operator id and name."
        if not self.roles.roles():
            return "Choose at least one role."
        if len(self.passphrase.text()) < 8:
            return "Use a passphrase of at least 8 characters."
        if self.passphrase.text() != self.again.text():
            return "The two passphrases differ."
        return None


class RolesDialog(FormDialog):
    def __init__(self, operator: Operator, roles: list[str], parent: QWidget | None = None) -> None:
        super().__init__(f"Roles of {operator.operator_id}", parent)
        self.set_intro(f"Change the roles of {operator.name}. The change is a permission change on the record.")
        self.roles = _RolePicker(roles, operator.roles)
        self.reason = QLineEdit()
        self.form.addRow("Roles 角色", self.roles)
        self.form.addRow("Reason", self.reason)

    def validate(self) -> str | None:
        return None if self.roles.roles() else "Choose at least one role."


class OperatorsDialog(QDialog):
    """The enrolled operators, with Add, Roles… and Revoke for administrators."""

    COLUMNS = ("Id", "Name 姓名", "Roles 角色", "Status", "Key (did:key)")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Operators 操作员")
        self.resize(820, 380)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.add_button = QPushButton("Add operator…")
        self.roles_button = QPushButton("Roles…")
        self.revoke_button = QPushButton("Revoke…")
        self.close_button = QPushButton("Close")
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
            status = "revoked 已吊销" if op.revoked else ("logged in 当前" if op.operator_id == current else "active")
            cells = (op.operator_id, op.name, ", ".join(op.roles), status, op.did[:24] + "…")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, op.operator_id)
                if op.revoked:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, col, item)

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None
