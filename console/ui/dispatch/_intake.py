"""The call intake form: who calls, what they smell or see, and where — a feature id, a place or street
name searched over the network, or a click on the map.

The dialog only collects; the controller opens the incident (:meth:`IncidentService.open`). A call near an open
incident comes back refused as a duplicate: the form then offers to join that incident, or to open anyway.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from console.dispatch import INCIDENT_KINDS, SYMPTOMS, term
from console.ui.forms import FormDialog
from console.ui.i18n import current_language, translate

__all__ = ["CallIntakeDialog"]

MAX_DESCRIPTION = 500
KIND_LABELS = {"leak": QT_TRANSLATE_NOOP("CallIntake", "Leak / smell"),
               "rupture": QT_TRANSLATE_NOOP("CallIntake", "Pipe hit / rupture"),
               "fire": QT_TRANSLATE_NOOP("CallIntake", "Fire or explosion"),
               "odour": QT_TRANSLATE_NOOP("CallIntake", "Odour only"),
               "pressure": QT_TRANSLATE_NOOP("CallIntake", "No gas / low pressure")}  # fmt: skip
SYMPTOM_LABELS = {"fire_explosion": QT_TRANSLATE_NOOP("CallIntake", "Fire or explosion"),
                  "gas_migration": QT_TRANSLATE_NOOP("CallIntake", "Gas in buildings / underground"),
                  "overpressure": QT_TRANSLATE_NOOP("CallIntake", "Higher pressure into lower"),
                  "special_users": QT_TRANSLATE_NOOP("CallIntake", "Special users affected")}  # fmt: skip


class CallIntakeDialog(FormDialog):
    """The form. ``search`` is ``(text) -> [(label, where)]`` with ``where`` a dict of :meth:`IncidentService.open`
    location arguments. Signal ``pickRequested()``: the dispatcher wants to click the location on the map (the
    controller calls :meth:`set_point` with it)."""

    pickRequested = Signal()

    def __init__(self, search, parent: QWidget | None = None, *, where: dict | None = None, label: str = "") -> None:
        super().__init__(translate("CallIntake", "New call"), parent)
        self.setMinimumWidth(560)
        self._search = search
        self.where: dict | None = None
        self.duplicate_of: str | None = None  # set by the controller when the call is near an open incident
        self.open_anyway = False
        self.set_intro(translate("CallIntake", "A caller reports gas: record what they say and where. Calls near an "
                                 "open incident are offered to join it instead of opening a duplicate."))  # fmt: skip
        self.caller = QLineEdit()
        self.caller.setPlaceholderText(
            translate("CallIntake", "name (kept in the workspace; only a digest goes on the ledger)")
        )
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(translate("CallIntake", "phone number"))
        self.kind = QComboBox()
        for k in INCIDENT_KINDS:
            if k in KIND_LABELS:
                self.kind.addItem(translate("CallIntake", KIND_LABELS[k]), k)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(
            translate("CallIntake", "what they smell, hear or see; people inside; anything burning")
        )
        self.description.setMaximumHeight(70)
        sym = QWidget()
        grid = QGridLayout(sym)
        grid.setContentsMargins(0, 0, 0, 0)
        self.symptoms: dict[str, QCheckBox] = {}
        for i, (key, text) in enumerate(SYMPTOMS.items()):
            box = QCheckBox(translate("CallIntake", SYMPTOM_LABELS[key]) if key in SYMPTOM_LABELS else text)
            box.setToolTip(term(text, current_language()))
            grid.addWidget(box, i // 2, i % 2)
            self.symptoms[key] = box
        loc = QWidget()
        row = QHBoxLayout(loc)
        row.setContentsMargins(0, 0, 0, 0)
        self.location = QLineEdit()
        self.location.setPlaceholderText(
            translate("CallIntake", "feature id (P-000123), street, place or customer name")
        )
        self.location.setClearButtonEnabled(True)
        self.pick_button = QPushButton(translate("CallIntake", "Pick on map…"))
        self.pick_button.setToolTip(
            translate("CallIntake", "Close the form for one click on the map where the caller is")
        )
        row.addWidget(self.location, 1)
        row.addWidget(self.pick_button)
        self.matches = QListWidget()
        self.matches.setMaximumHeight(110)
        self.form.addRow(translate("CallIntake", "Caller"), self.caller)
        self.form.addRow(translate("CallIntake", "Phone"), self.phone)
        self.form.addRow(translate("CallIntake", "Kind"), self.kind)
        self.form.addRow(translate("CallIntake", "Seen on site"), sym)
        self.form.addRow(translate("CallIntake", "Description"), self.description)
        self.form.addRow(translate("CallIntake", "Where"), loc)
        self.form.addRow("", self.matches)
        self.anyway_button = self.buttons.addButton(translate("CallIntake", "Open anyway"),
                                                    self.buttons.ButtonRole.ActionRole)  # fmt: skip
        self.anyway_button.hide()
        self.anyway_button.clicked.connect(self._open_anyway)
        self.location.textEdited.connect(self._on_search)
        self.matches.currentItemChanged.connect(self._on_match)
        self.pick_button.clicked.connect(self.pickRequested)
        self.buttons.button(self.buttons.StandardButton.Ok).setText(translate("CallIntake", "Open incident"))
        if where:
            self.set_where(where, label)

    # -- location ----------------------------------------------------------------------------------------------------
    def _on_search(self, text: str) -> None:
        self.matches.clear()
        self.where = None
        self._reset_duplicate()
        if len(text.strip()) < 1:
            return
        for label, where in self._search(text)[:30]:
            item = QListWidgetItem(label)
            item.setData(256, where)
            self.matches.addItem(item)
        if self.matches.count():
            self.matches.setCurrentRow(0)

    def _on_match(self, item, _prev=None) -> None:
        if item is not None:
            self.where = dict(item.data(256))
            self._reset_duplicate()

    def set_where(self, where: dict, label: str) -> None:
        self.where = dict(where)
        self.location.setText(label)
        self.matches.clear()
        self._reset_duplicate()

    def set_point(self, x: float, y: float, label: str = "") -> None:
        self.set_where(
            {"x": x, "y": y}, label or translate("CallIntake", "map point {x:.1f}, {y:.1f}").format(x=x, y=y)
        )

    # -- what the controller reads -------------------------------------------------------------------------------------
    def values(self) -> dict:
        return {"kind": self.kind.currentData(), "caller": self.caller.text().strip(),
                "phone": self.phone.text().strip(), "description": self.description.toPlainText().strip(),
                "symptoms": [k for k, b in self.symptoms.items() if b.isChecked()], **(self.where or {})}  # fmt: skip

    def validate(self) -> str | None:
        if self.where is None:
            return translate("CallIntake", "Say where: a feature id, a street or place from the list, or Pick on map")
        if len(self.description.toPlainText()) > MAX_DESCRIPTION:
            return translate("CallIntake", "The description is limited to {n} characters").format(n=MAX_DESCRIPTION)
        return None

    def offer_join(self, incident_id: str, text: str) -> None:
        """The call is near open incident ``incident_id``: OK now joins it; "Open anyway" opens a new one."""
        self.duplicate_of = incident_id
        self.buttons.button(self.buttons.StandardButton.Ok).setText(
            translate("CallIntake", "Join {incident}").format(incident=incident_id)
        )
        self.anyway_button.show()
        self.show_error(text)

    def _reset_duplicate(self) -> None:
        if self.duplicate_of is not None:
            self.duplicate_of = None
            self.buttons.button(self.buttons.StandardButton.Ok).setText(translate("CallIntake", "Open incident"))
            self.anyway_button.hide()
            self.show_error("")

    def _open_anyway(self) -> None:
        self.open_anyway = True
        self.duplicate_of = None
        self.accept()
