"""The operators feature in the main window: log in, switch operator, lock screen, the operators table.

The Qt-free :class:`console.app.operators.OperatorService` decides; this controller shows its dialogs, the status
bar's operator label and the lock screen, watches input for the idle lock, and attaches the service to the ledger the
ledger feature opens. Other features read ``window.operators`` (the service) to guard their actions and to sign as
the operator.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMessageBox

from console.app.operators import OperatorService, RolePolicy
from console.errors import GasOpsError
from console.ui.actions import ActionSpec
from console.ui.i18n import translate
from console.ui.operators._dialogs import EnrolDialog, LoginDialog, OperatorsDialog, RolesDialog, operator_label
from console.ui.operators._lock import LockScreen

__all__ = ["OperatorsController"]

log = logging.getLogger(__name__)

_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.TouchBegin}


class OperatorsController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.service: OperatorService = window.operators  # the window's; the ledger service attaches it to its node
        self.lock_screen = LockScreen(window)
        self.lock_screen.unlockRequested.connect(self._on_unlock_requested)
        self._disabled: list[QAction] = []
        self.label = QLabel("")
        self.label.setToolTip(
            translate("Operators", "The operator at this console: every step is signed with their key")
        )
        window.statusBar().addPermanentWidget(self.label)
        d = window.actions.declare
        self.act_switch = d(ActionSpec("operators.switch", QT_TRANSLATE_NOOP("Actions", "&Switch operator…"),
                                       self.request_login, "Ctrl+Shift+L",
                                       QT_TRANSLATE_NOOP("Actions", "Log in, or hand the console over at shift change"),
                                       menu="File", section="operator"))  # fmt: skip
        self.act_logout = d(ActionSpec("operators.logout", QT_TRANSLATE_NOOP("Actions", "Log &out"), self.logout,
                                       tip=QT_TRANSLATE_NOOP("Actions", "Log the operator out"),
                                       menu="File", section="operator",
                                       enabled=lambda: self.service.current is not None))  # fmt: skip
        self.act_lock = d(ActionSpec("operators.lock", QT_TRANSLATE_NOOP("Actions", "&Lock screen"), self.lock, "Ctrl+L",
                                     QT_TRANSLATE_NOOP("Actions", "Lock the console (alarms stay visible)"), menu="File",
                                     section="operator", enabled=lambda: self.service.current is not None))  # fmt: skip
        self.act_manage = d(
            ActionSpec(
                "operators.manage",
                QT_TRANSLATE_NOOP("Actions", "&Operators…"),
                self.show_operators,
                tip=QT_TRANSLATE_NOOP("Actions", "Enrol operators, change their roles, revoke them"),
                menu="Ledger",
                enabled=lambda: self.service.node is not None,
            )
        )  # fmt: skip  (the dialog shows who may change what)
        self.service.session_changed.connect(self._on_session_change)
        self.service.locked_changed.connect(self._on_locked_change)
        self.service.denied.connect(lambda text: window.statusBar().showMessage(text, 10000))
        self._idle = QTimer(self)
        self._idle.setInterval(5000)
        self._idle.timeout.connect(self._on_idle_tick)
        self._idle.start()
        self._alarms = QTimer(self)
        self._alarms.setInterval(1000)
        self._alarms.timeout.connect(self._refresh_lock_alarms)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        window.prefs.on_change("security/idle_lock_min", lambda m: setattr(self.service, "idle_lock_s", m * 60.0))
        self._follow_ledger()
        self._on_session_change(None)

    # -- the ledger ---------------------------------------------------------------------------------------------------
    def _follow_ledger(self) -> None:
        """The ledger service attaches the operators to the node it opens; offer the log-in when one is needed."""
        self.service.attached.connect(self._on_attached)
        if self.service.node is not None:
            self._on_attached(self.service.node)

    def _on_attached(self, node) -> None:
        self.window.actions.refresh()
        self._on_session_change(self.service.current)
        if node is not None and not self.service.open_mode and self.service.current is None:
            QTimer.singleShot(0, self.request_login)

    def attach(self, node) -> None:
        """Use ``node`` (what the ledger service does when it opens one; tests call it directly)."""
        if node is not None and node is not self.service.node:
            self.service.attach(node)

    # -- sessions -----------------------------------------------------------------------------------------------------
    def request_login(self) -> LoginDialog | None:
        if self.service.node is None:
            self.window.statusBar().showMessage(
                translate("Operators", "Open the ledger first: operators are kept in it (Ledger menu)"), 8000
            )
            return None
        operators = self.service.operators()
        if not [o for o in operators if not o.revoked]:
            self.window.statusBar().showMessage(
                translate("Operators", "No operators yet: an administrator adds them in Ledger › Operators…"), 8000
            )
            return None
        current = self.service.current
        last = current.operator_id if current else self.window.prefs.get("security/last_operator")
        if current is None:
            dlg = LoginDialog(operators, last, self.window)
        else:
            intro = translate("Operators", "Shift change: {name} ({id}) hands the console over. The next operator logs "
                              "in with their own passphrase; from then on every step is signed by them.").format(
                name=current.name, id=current.operator_id)  # fmt: skip
            dlg = LoginDialog(operators, last, self.window, title=translate("Operators", "Switch operator"),
                              intro=intro, button=translate("Operators", "Take over"))  # fmt: skip
        dlg.on_submit = lambda: self._login(dlg.operator_id, dlg.passphrase.text())
        dlg.setModal(True)
        dlg.open()
        self.login_dialog = dlg
        return dlg

    def _login(self, operator_id: str, passphrase: str) -> str | None:
        try:
            self.service.login(operator_id, passphrase)
        except GasOpsError as exc:
            return str(exc)
        self.window.prefs.set("security/last_operator", operator_id)
        return None

    def logout(self) -> None:
        self.service.logout()

    def lock(self) -> None:
        self.service.lock()

    def _on_unlock_requested(self, operator_id: str, passphrase: str) -> None:
        try:
            self.service.unlock(passphrase, operator_id or None)
        except GasOpsError as exc:
            self.lock_screen.show_error(str(exc))

    def _on_session_change(self, operator) -> None:
        if operator is None:
            single_user = self.service.node is None or self.service.open_mode
            self.label.setText("" if single_user else translate("Operators", "Not logged in"))
            self.label.setVisible(not single_user)  # a single-user console acts as the organisation: nothing to say
            self.label.setToolTip(translate("Operators", "Log in: File › Switch operator (Ctrl+Shift+L)"))
        else:
            self.label.setText(f"{operator.name} · {operator.operator_id}")
            self.label.setToolTip(translate("Operators", "{operator}: every step is signed with this operator's key").format(
                operator=operator_label(operator)))  # fmt: skip
            self.label.setVisible(True)
        if not self.service.locked and self.lock_screen.isVisible():
            self._on_locked_change(False)
        self.window.actions.refresh()

    def _on_locked_change(self, locked: bool) -> None:
        if locked:
            self._disabled = [a for a in self.window.findChildren(QAction) if a.isEnabled()]
            for action in self._disabled:
                action.setEnabled(False)
            self.lock_screen.lock(self.service.current, self.service.operators())
            self._refresh_lock_alarms()
            self._alarms.start()
        else:
            self._alarms.stop()
            for action in self._disabled:
                action.setEnabled(True)
            self._disabled = []
            self.lock_screen.unlock()
            self.window.actions.refresh()

    def _refresh_lock_alarms(self) -> None:
        telemetry = self.window.extensions.get("telemetry") if isinstance(self.window.extensions, dict) else None
        session = getattr(telemetry, "session", None)
        service = getattr(session, "service", None)
        self.lock_screen.show_alarms(service.alarm_list() if service is not None else [])

    # -- idle -----------------------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and not self.service.locked:
            self.service.touch()
        return False

    def _on_idle_tick(self) -> None:
        self.service.idle_check()

    # -- administration -------------------------------------------------------------------------------------------------
    def show_operators(self) -> OperatorsDialog | None:
        if self.service.node is None:
            self.window.statusBar().showMessage(translate("Operators", "Open the ledger first (Ledger menu)"), 8000)
            return None
        dlg = OperatorsDialog(self.window)
        refresh = lambda: dlg.show_operators(  # noqa: E731
            self.service.operators(), self.service.current.operator_id if self.service.current else None
        )
        may = self.service.can("operators.manage")
        for button in (dlg.add_button, dlg.roles_button, dlg.revoke_button):
            button.setEnabled(may)
        if not may:
            dlg.note.setText(
                translate("Operators", "Only an administrator adds operators, changes roles or revokes operators.")
            )
        elif self.service.open_mode:
            dlg.note.setText(translate("Operators", "No operators yet: the first one is enrolled with the organisation "
                                       "key; make them an administrator, then log in as them to add the others."))  # fmt: skip
        dlg.add_button.clicked.connect(lambda: self._enrol(dlg, refresh))
        dlg.roles_button.clicked.connect(lambda: self._roles(dlg, refresh))
        dlg.revoke_button.clicked.connect(lambda: self._revoke(dlg, refresh))
        refresh()
        dlg.open()
        self.operators_dialog = dlg
        return dlg

    def _roles_list(self) -> list[str]:
        return list(self.service.policy.roles) if self.service.policy else list(RolePolicy.default().roles)

    def _enrol(self, parent, refresh) -> EnrolDialog:
        dlg = EnrolDialog(self._roles_list(), parent)

        def submit() -> str | None:
            try:
                self.service.enrol(dlg.operator_id.text().strip(), dlg.name.text(), dlg.roles.roles(),
                                   dlg.passphrase.text())  # fmt: skip
            except GasOpsError as exc:
                return str(exc)
            refresh()
            self._on_session_change(self.service.current)
            return None

        dlg.on_submit = submit
        dlg.open()
        self.enrol_dialog = dlg
        return dlg

    def _roles(self, parent, refresh) -> RolesDialog | None:
        operator_id = parent.selected_id()
        if operator_id is None:
            parent.note.setText(translate("Operators", "Select an operator first."))
            return None
        dlg = RolesDialog(self.service.operator(operator_id), self._roles_list(), parent)

        def submit() -> str | None:
            try:
                self.service.set_roles(operator_id, dlg.roles.roles(), dlg.reason.text().strip())
            except GasOpsError as exc:
                return str(exc)
            refresh()
            return None

        dlg.on_submit = submit
        dlg.open()
        return dlg

    def _revoke(self, parent, refresh) -> None:
        operator_id = parent.selected_id()
        if operator_id is None:
            parent.note.setText(translate("Operators", "Select an operator first."))
            return
        reason, ok = QInputDialog.getText(parent, translate("Operators", "Revoke operator"),
                                          translate("Operators", "Why is {id} revoked?").format(id=operator_id))  # fmt: skip
        if not ok:
            return
        try:
            self.service.revoke(operator_id, reason.strip())
        except GasOpsError as exc:
            QMessageBox.warning(parent, translate("Operators", "Revoke operator"), str(exc))
        refresh()
