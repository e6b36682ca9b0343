"""The conflict dialog: a change set's features that the master changed since, each with its three
versions — the change set's (branch), the common ancestor and the master's — and a resolution per feature."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from console.ui.editing._review import _shown
from console.ui.i18n import translate

__all__ = ["ConflictDialog"]

_CHOICES = (("branch", QT_TRANSLATE_NOOP("ConflictDialog", "Take the change set's")),
            ("master", QT_TRANSLATE_NOOP("ConflictDialog", "Keep the master's")))  # fmt: skip
_HEADERS = [QT_TRANSLATE_NOOP("ConflictDialog", "Feature"), QT_TRANSLATE_NOOP("ConflictDialog", "Conflict"),
            QT_TRANSLATE_NOOP("ConflictDialog", "Column"), QT_TRANSLATE_NOOP("ConflictDialog", "Ancestor (base)"),
            QT_TRANSLATE_NOOP("ConflictDialog", "Branch (change set)"),
            QT_TRANSLATE_NOOP("ConflictDialog", "Master (now)"),
            QT_TRANSLATE_NOOP("ConflictDialog", "Resolution")]  # fmt: skip
_DIFFERS = QColor("#e0a030")


def _text(column: str, value) -> str:
    """A value as the review shows it; an empty one (not recorded) as a dash."""
    return "—" if value is None or value == "" else _shown(column, value)


class ConflictDialog(QDialog):
    """One row per conflicting column (a feature's first row carries its resolution); OK approves with them."""

    def __init__(self, change_id: str, conflicts: list[dict], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("ConflictDialog", "Conflicts in {change}").format(change=change_id))
        self.conflicts = conflicts
        self.choosers: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)
        head = (translate("ConflictDialog", "<b>1 feature of {change} changed on the master since the change set "
                          "was made.</b>") if len(conflicts) == 1 else
                translate("ConflictDialog", "<b>{n} features of {change} changed on the master since the change set "
                          "was made.</b>")).format(n=len(conflicts), change=change_id)  # fmt: skip
        intro = QLabel(head + " " + translate("ConflictDialog", "For each, take the change set's version (applied over "
                                              "the master's) or keep the master's. Values that differ from the "
                                              "ancestor are highlighted."))  # fmt: skip
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = []
        for c in conflicts:
            columns = c["columns"] or [""]
            for k, col in enumerate(columns):
                rows.append((c, col, k == 0))
        self.table = QTableWidget(len(rows), len(_HEADERS))
        self.table.setHorizontalHeaderLabels([translate("ConflictDialog", h) for h in _HEADERS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (c, col, first) in enumerate(rows):
            added, deleted = translate("ConflictDialog", "added"), translate("ConflictDialog", "deleted")
            ancestor = c["ancestor"].get(col) if col else ("—" if c["op"] == "add" else
                                                           translate("ConflictDialog", "(as it was)"))  # fmt: skip
            branch = c["branch"].get(col) if col else {"add": added, "delete": deleted}.get(c["op"], "")
            if c["master"] is None:
                master = deleted
            elif col:
                master = c["master"].get(col)
            else:
                master = (translate("ConflictDialog", "id taken") if c["kind"] == "insert-insert"
                          else translate("ConflictDialog", "changed"))  # fmt: skip
            cells = [c["feature_id"] if first else "", c["kind"] if first else "", col,
                     _text(col, ancestor), _text(col, branch), _text(col, master)]  # fmt: skip
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if k in (4, 5) and col and text != cells[3]:
                    item.setForeground(QBrush(_DIFFERS))
                if k == 0:
                    item.setToolTip(c["message"])
                self.table.setItem(r, k, item)
            if first:
                box = QComboBox()
                for value, label in _CHOICES:
                    box.addItem(translate("ConflictDialog", label), value)
                if c["kind"] != "update-update":  # only the master's version can be kept
                    box.model().item(0).setEnabled(False)
                    box.setCurrentIndex(1)
                    box.setToolTip(translate("ConflictDialog", "The master deleted this feature or took its id: keep "
                                             "the master's, resubmit it"))  # fmt: skip
                self.table.setCellWidget(r, 6, box)
                self.choosers[c["feature_id"]] = box
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(translate("ConflictDialog", "Approve with these resolutions"),
                                    QDialogButtonBox.ButtonRole.AcceptRole)  # fmt: skip
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(980, min(260 + 30 * len(rows), 640))

    def set_resolution(self, feature_id: str, choice: str) -> None:
        box = self.choosers[feature_id]
        box.setCurrentIndex(box.findData(choice))

    def resolutions(self) -> dict[str, str]:
        return {fid: box.currentData() for fid, box in self.choosers.items()}

    def rows(self) -> list[list[str]]:
        """The table's text, row by row (tests)."""
        return [
            [self.table.item(r, k).text() if self.table.item(r, k) else "" for k in range(6)]
            for r in range(self.table.rowCount())
        ]
