"""Form dialogs: fields, OK/Cancel and a red error line; the dialog closes only when its action succeeded."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

__all__ = ["FormDialog", "password_field"]

_ERROR_STYLE = "color: #ff5a5a; font-weight: 600;"


class FormDialog(QDialog):
    """A form with OK/Cancel and a red error line; ``validate()`` returns an error text or None."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_submit = None  # () -> error text or None: the dialog closes only when the action succeeded
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.intro = QLabel("")
        self.intro.setWordWrap(True)
        self.intro.setObjectName("panelSubtitle")
        self.intro.hide()
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.setVisible(bool(text))

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def validate(self) -> str | None:
        return None

    def accept(self) -> None:
        problem = self.validate()
        if not problem and self.on_submit is not None:
            problem = self.on_submit()
        if problem:
            self.show_error(problem)
            return
        self.show_error("")
        super().accept()


def password_field() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit
