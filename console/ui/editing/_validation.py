"""The validation report as a dock: findings by severity and check, a click zooms to the feature.

The report is :class:`console.app.editing.LiveValidation`'s: checked whole once (in a job) when the dock is first
shown for a network, then re-checked around every edit, undo and redo (the features the edit touched and their
neighbours), so the dock follows the planner's work without re-validating a city.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.network import CHECKS, ValidationReport
from console.ui.i18n import translate
from console.ui.i18n_messages import register, translate_message

__all__ = ["ValidationDock", "check_title"]

register("ValidationFindings", ValidationReport.MESSAGE_TEMPLATES)

#: Feature rows listed per check (the count says how many more there are).
MAX_ROWS_PER_CHECK = 500
_COLORS = {"error": "#d9534f", "warning": "#e0a030", "info": "#5b9bd5"}
_TITLES = {"error": QT_TRANSLATE_NOOP("ValidationDock", "Errors"),
           "warning": QT_TRANSLATE_NOOP("ValidationDock", "Warnings"),
           "info": QT_TRANSLATE_NOOP("ValidationDock", "Notes")}  # fmt: skip
_SEVERITIES = {"error": QT_TRANSLATE_NOOP("ValidationDock", "error"),
               "warning": QT_TRANSLATE_NOOP("ValidationDock", "warning"),
               "info": QT_TRANSLATE_NOOP("ValidationDock", "note")}  # fmt: skip


class ValidationDock(QDockWidget):
    """Severity → check → feature rows. ``featureSelected`` carries the id of a clicked feature row."""

    featureSelected = Signal(str)
    recheckRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(translate("ValidationDock", "Validation"), parent)
        self.setObjectName("validationDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        top = QHBoxLayout()
        self.summary = QLabel(translate("ValidationDock", "Not checked yet"))
        self.summary.setWordWrap(True)
        self.recheck = QPushButton(translate("ValidationDock", "Check all"))
        self.recheck.setToolTip(translate("ValidationDock", "Validate the whole network again (edits are re-checked "
                                          "around them as you go)"))  # fmt: skip
        top.addWidget(self.summary, 1)
        top.addWidget(self.recheck)
        layout.addLayout(top)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([translate("ValidationDock", "Finding"), translate("ValidationDock", "Problem")])
        self.tree.setColumnWidth(0, 200)
        self.tree.setUniformRowHeights(True)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self.tree.itemClicked.connect(self._on_click)
        self.tree.itemActivated.connect(self._on_click)
        self.recheck.clicked.connect(self.recheckRequested)

    def set_busy(self, text: str) -> None:
        self.summary.setText(text)

    def show_report(self, grouped: dict, network_name: str = "") -> None:
        """``grouped``: severity → check → findings (``LiveValidation.by_severity``)."""
        collapsed = {
            self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 1)
            for i in range(self.tree.topLevelItemCount())
            if not self.tree.topLevelItem(i).isExpanded()
        }
        self.tree.clear()
        counts = {sev: sum(len(v) for v in checks.values()) for sev, checks in grouped.items()}
        if not counts:
            self.summary.setText(translate("ValidationDock", "No problems found in {network}").format(
                network=network_name) if network_name else translate("ValidationDock", "No problems found"))  # fmt: skip
            return
        parts = [translate("ValidationDock", "{n} {severity}").format(n=n, severity=_severity(sev, n))
                 for sev, n in counts.items()]  # fmt: skip
        summary = parts[0]
        for part in parts[1:]:  # "2 errors, 1 warning": the comma is the language's
            summary = translate("ValidationDock", "{summary}, {more}").format(summary=summary, more=part)
        self.summary.setText(summary)
        for severity, checks in grouped.items():
            title = translate("ValidationDock", _TITLES[severity]) if severity in _TITLES else severity
            top = QTreeWidgetItem([f"{title} ({counts[severity]})", ""])
            top.setData(0, Qt.ItemDataRole.UserRole + 1, severity)
            top.setForeground(0, QBrush(QColor(_COLORS.get(severity, "#888"))))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for check, findings in checks.items():
                group = QTreeWidgetItem([f"{check_title(check)} ({len(findings)})", ""])
                if check in CHECKS:
                    group.setToolTip(0, translate("ValidationFindings", CHECKS[check][1]))
                top.addChild(group)
                for f in findings[:MAX_ROWS_PER_CHECK]:
                    message = translate_message(f.message)
                    row = QTreeWidgetItem([f.feature_ids[0], message])
                    row.setData(0, Qt.ItemDataRole.UserRole, f.feature_ids[0])
                    row.setToolTip(0, message)
                    row.setToolTip(1, message)
                    group.addChild(row)
                if len(findings) > MAX_ROWS_PER_CHECK:
                    more = translate("ValidationDock", "… {n} more").format(n=len(findings) - MAX_ROWS_PER_CHECK)
                    group.addChild(QTreeWidgetItem([more, ""]))
                group.setFirstColumnSpanned(True)
                group.setExpanded(len(checks) == 1 or len(findings) <= 20)
            top.setFirstColumnSpanned(True)
            top.setExpanded(severity not in collapsed)

    def feature_rows(self) -> list[tuple[str, str]]:
        """(check text, feature id) of every feature row shown (tests, screenshots)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                group = top.child(j)
                for k in range(group.childCount()):
                    fid = group.child(k).data(0, Qt.ItemDataRole.UserRole)
                    if fid:
                        out.append((group.text(0), fid))
        return out

    def _on_click(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        fid = item.data(0, Qt.ItemDataRole.UserRole)
        if fid:
            self.featureSelected.emit(str(fid))


def check_title(check: str) -> str:
    """A validation check's short title in the UI's language (``zero_length``: "zero length")."""
    titles = ValidationReport.CHECK_TITLES
    return translate("ValidationFindings", titles[check]) if check in titles else check.replace("_", " ")


def severity_word(severity: str) -> str:
    """One finding's severity in the UI's language (``error``, ``warning``, ``note``)."""
    return translate("ValidationDock", _SEVERITIES[severity]) if severity in _SEVERITIES else severity


def _severity(severity: str, n: int) -> str:
    """``error`` for one finding, ``errors`` for several (in Chinese the same word)."""
    if n != 1 and severity in _TITLES:
        return translate("ValidationDock", _TITLES[severity]).lower()
    return translate("ValidationDock", _SEVERITIES[severity]) if severity in _SEVERITIES else severity
