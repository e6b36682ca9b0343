"""The result dock (关阀分析 Isolation): the closing plan, who loses gas, notes, exports and the map legend.

The dock only shows a result and reports what the user asks for through signals; the controller
(:mod:`console.ui.isolation._controller`) runs the analysis and draws the map. Rows carry the feature id, so a click
zooms to the valve, customer or sensor on the map.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.isolation import ORDER_RULES, IsolationResult
from console.ui.i18n import translate
from console.ui.isolation._style import legend_entries
from console.ui.isolation._text import (
    break_text,
    category_label,
    count,
    customers_by_role,
    cut_off_summary,
    format_length,
    format_volume,
    headline,
    note_text,
    short_action,
    special_kind_label,
    step_detail,
)

__all__ = ["IsolationDock", "PLAN_COLUMNS"]

ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "step", "skipped", "customer", "sensor"
ACTION_ROLE = Qt.ItemDataRole.UserRole + 2
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3
PLAN_COLUMNS = (
    "#",
    QT_TRANSLATE_NOOP("IsolationDock", "Valve"),
    QT_TRANSLATE_NOOP("IsolationDock", "Action"),
    QT_TRANSLATE_NOOP("IsolationDock", "Need"),
    QT_TRANSLATE_NOOP("IsolationDock", "Distance"),
    QT_TRANSLATE_NOOP("IsolationDock", "Remote"),
    QT_TRANSLATE_NOOP("IsolationDock", "Reason"),
)
IMPACT_COLUMNS = (QT_TRANSLATE_NOOP("IsolationDock", "Impact"), QT_TRANSLATE_NOOP("IsolationDock", "Value"))
HINT = QT_TRANSLATE_NOOP(
    "IsolationDock",
    "Isolate here (Ctrl+I), then click a pipe or node where the gas escapes — or right-click a pipe › "
    "Isolate here. Shift+click adds another break to the same incident.",
)
ORDER_LABELS = {
    "upstream_first": QT_TRANSLATE_NOOP("IsolationDock", "Upstream first"),
    "nearest_first": QT_TRANSLATE_NOOP("IsolationDock", "Nearest first"),
}


def order_label(order: str) -> str:
    """A closing-order rule's name as the dock shows it."""
    return translate("IsolationDock", ORDER_LABELS[order]) if order in ORDER_LABELS else order.replace("_", " ")


class IsolationDock(QDockWidget):
    """Signals: ``featureActivated(id)`` (a row was clicked), ``failedRequested(id)``, ``exportPlanRequested``,
    ``exportCustomersRequested``, ``clearRequested``, ``zoomRequested``, ``dimToggled(bool)``, ``orderChanged(rule)``, ``themeMaybeChanged`` (the application
    palette changed: the controller re-reads the window's theme)."""

    featureActivated = Signal(str)
    failedRequested = Signal(str)
    exportPlanRequested = Signal()
    exportCustomersRequested = Signal()
    clearRequested = Signal()
    zoomRequested = Signal()
    dimToggled = Signal(bool)
    orderChanged = Signal(str)
    themeMaybeChanged = Signal()

    def __init__(self, tool_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(translate("IsolationDock", "Isolation"), parent)
        self.setObjectName("isolationDock")
        self._result: IsolationResult | None = None
        self._theme = "dark"
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(5)

        top = QHBoxLayout()
        self.title = QLabel(translate("IsolationDock", "No isolation"))
        self.title.setObjectName("panelTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setWordWrap(True)  # "Break: P3 at 30% + P8 at 50% + …" wraps instead of pushing the buttons out
        self.title.setMinimumWidth(0)
        self.tool_button = QToolButton()
        self.tool_button.setDefaultAction(tool_action)
        self.tool_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top.addWidget(self.title, 1)
        top.addWidget(self.tool_button)
        layout.addLayout(top)
        self.subtitle = QLabel(translate("IsolationDock", HINT))
        self.subtitle.setObjectName("panelSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)

        self.headline = QLabel("")
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.impact_label = QLabel("")
        self.impact_label.setWordWrap(True)
        self.impact_label.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        for w in (self.headline, self.impact_label, self.message):
            layout.addWidget(w)

        self.failed_button = QPushButton(translate("IsolationDock", "This valve failed"))
        self.failed_button.setToolTip(
            translate("IsolationDock", "The selected valve would not turn: plan again with the next ring of valves")
        )
        self.zoom_button = QPushButton(translate("IsolationDock", "Zoom to outage"))
        self.zoom_button.setToolTip(
            translate("IsolationDock", "Show the break, every valve of the plan and the shut-off region")
        )
        self.clear_button = QPushButton(translate("IsolationDock", "Clear"))
        self.clear_button.setToolTip(translate("IsolationDock", "Remove the isolation from the map and this panel"))
        # Short captions: the two rows must fit a dock column of ~330 px ("Cle", "Export customers C…" otherwise).
        self.export_plan_button = QPushButton(translate("IsolationDock", "Valves CSV…"))
        self.export_plan_button.setToolTip(
            translate("IsolationDock", "Save the closing plan (and skipped valves) as CSV for the crews")
        )
        self.export_customers_button = QPushButton(translate("IsolationDock", "Customers CSV…"))
        self.export_customers_button.setToolTip(
            translate("IsolationDock", "Save the customers without gas as CSV, special users first")
        )
        for row in (
            (self.failed_button, self.zoom_button, self.clear_button),
            (self.export_plan_button, self.export_customers_button),
        ):
            buttons = QHBoxLayout()
            for b in row:
                buttons.addWidget(b)
            layout.addLayout(buttons)
        self.failed_button.clicked.connect(self._on_failed_click)
        self.zoom_button.clicked.connect(self.zoomRequested)
        self.export_plan_button.clicked.connect(self.exportPlanRequested)
        self.export_customers_button.clicked.connect(self.exportCustomersRequested)
        self.clear_button.clicked.connect(self.clearRequested)

        self.tabs = QTabWidget()
        self.plan_tree = self._tree(PLAN_COLUMNS)
        self.plan_tree.setRootIsDecorated(False)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(48)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        plan_page = QWidget()
        plan_layout = QVBoxLayout(plan_page)
        plan_layout.setContentsMargins(0, 0, 0, 0)
        plan_layout.setSpacing(4)
        plan_layout.addWidget(self.plan_tree, 1)
        plan_layout.addWidget(self.detail)
        self.impact_tree = self._tree(IMPACT_COLUMNS)
        self.notes = QTextBrowser()
        self.notes.setOpenLinks(False)
        self.tabs.addTab(plan_page, translate("IsolationDock", "Plan"))
        self.tabs.addTab(self.impact_tree, translate("IsolationDock", "Impact"))
        self.tabs.addTab(self.notes, translate("IsolationDock", "Notes"))
        layout.addWidget(self.tabs, 1)
        self.plan_tree.currentItemChanged.connect(self._on_plan_row_change)

        self.legend = QWidget()
        self._legend_grid = QGridLayout(self.legend)
        self._legend_grid.setContentsMargins(0, 2, 0, 0)
        self._legend_grid.setHorizontalSpacing(6)
        self._legend_grid.setVerticalSpacing(1)
        layout.addWidget(self.legend)
        bottom = QHBoxLayout()
        self.dim_check = QCheckBox(translate("IsolationDock", "Dim the rest of the map"))
        self.dim_check.setChecked(True)
        self.dim_check.toggled.connect(self.dimToggled)
        self.order_combo = QComboBox()
        for order in ORDER_LABELS:
            self.order_combo.addItem(order_label(order), order)
        self.order_combo.setToolTip("\n\n".join(note_text(rule) for rule in ORDER_RULES.values()))
        self.order_combo.currentIndexChanged.connect(lambda _: self.orderChanged.emit(self.order_combo.currentData()))
        layout.addWidget(self.dim_check)  # its own row: beside the order box it widened the dock past its column
        bottom.addWidget(QLabel(translate("IsolationDock", "Closing order")))
        bottom.addWidget(self.order_combo, 1)
        layout.addLayout(bottom)
        # In a scroll area the dock can shrink with the window (its content needs ~400 × 700 px to show in full).
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWidget(scroll)
        self._build_legend()
        self.clear()

    def _tree(self, columns) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setColumnCount(len(columns))
        tree.setHeaderLabels([translate("IsolationDock", c) for c in columns])
        tree.setAlternatingRowColors(True)
        tree.setUniformRowHeights(True)
        tree.setRootIsDecorated(True)
        header = tree.header()
        header.setStretchLastSection(True)
        for k in range(len(columns) - 1):
            header.setSectionResizeMode(k, QHeaderView.ResizeMode.ResizeToContents)
        tree.itemClicked.connect(self._on_item_click)
        tree.itemActivated.connect(self._on_item_click)
        return tree

    # -- content -----------------------------------------------------------------------------------------------------
    @property
    def result(self) -> IsolationResult | None:
        return self._result

    def clear(self, hint: str | None = None) -> None:
        """Empty the dock (the tool hint stays)."""
        self._result = None
        self.title.setText(translate("IsolationDock", "No isolation"))
        self.subtitle.setText(hint if hint is not None else translate("IsolationDock", HINT))
        self.headline.setText("")
        self.impact_label.setText("")
        self.plan_tree.clear()
        self.impact_tree.clear()
        self.notes.clear()
        self.detail.setText("")
        self._update_buttons()

    def show_result(self, result: IsolationResult) -> None:
        self._result = result
        self.title.setText(translate("IsolationDock", "Break: {where}").format(where=break_text(result.request)))
        self.subtitle.setText(
            translate("IsolationDock", "{network} · version {version} · closing order: {rule}").format(
                network=result.network, version=result.version, rule=order_label(result.order_rule).lower()
            )
        )
        self.headline.setText(headline(result))
        self.impact_label.setText(self._impact_html(result))
        self._fill_plan(result)
        self._fill_impact(result)
        self._fill_notes(result)
        self._update_buttons()

    def show_message(self, text: str, kind: str = "error") -> None:
        """A one-line message above the lists (``error`` in the alarm colour, ``note`` muted); empty hides it."""
        self.message.setProperty("kind", kind)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self._style_message()

    def _impact_html(self, r: IsolationResult) -> str:
        imp = r.impact
        special = len(imp.special_users)
        customers = count(
            imp.customers_lost,
            translate("IsolationDock", "{count} customer"),
            translate("IsolationDock", "{count} customers"),
        )
        first = translate("IsolationDock", "{customers} lose gas").format(customers=f"<b>{customers}</b>")
        if special:
            users = count(
                special,
                translate("IsolationDock", "{count} special user"),
                translate("IsolationDock", "{count} special users"),
            )
            first += f" · <b style='color:{self._alarm()}'>{users}</b>"
        households = count(
            imp.households,
            translate("IsolationDock", "{count} household"),
            translate("IsolationDock", "{count} households"),
        )
        peak = translate("IsolationDock", "{flow} Nm³/h peak").format(flow=f"{imp.peak_demand_nm3h:,.1f}")
        lines = [
            f"{first} · {households} · {peak}",
            translate("IsolationDock", "Shut off {length}, {volume} to vent/purge · cut off {cut_off}").format(
                length=format_length(imp.isolated_pipe_length_m),
                volume=format_volume(imp.isolated_gas_volume_nm3),
                cut_off=format_length(imp.cut_off_pipe_length_m),
            ),
        ]
        if r.warnings:
            more = ""
            if len(r.warnings) > 1:
                more = translate("IsolationDock", " (+{count} more in Notes)").format(count=len(r.warnings) - 1)
            warning = html.escape(note_text(r.warnings[0]))
            lines.append(f"<span style='color:{self._alarm()}'>⚠ {warning}{html.escape(more)}</span>")
        return "<br>".join(lines)

    def _fill_plan(self, r: IsolationResult) -> None:
        tree = self.plan_tree
        tree.clear()
        bold = QFont(tree.font())
        bold.setBold(True)
        for s in r.plan:
            row = QTreeWidgetItem(
                [
                    str(s.order),
                    s.feature_id,
                    short_action(s.action),
                    translate("IsolationDock", "required") if s.required else translate("IsolationDock", "optional"),
                    format_length(s.distance_m),
                    translate("IsolationDock", "remote") if s.remote_controlled else "",
                    note_text(s.reason),
                ]
            )
            self._tag(row, s.feature_id, "step", s.action)
            row.setData(0, DETAIL_ROLE, step_detail(s))
            row.setToolTip(6, note_text(s.reason))
            if s.required:
                row.setFont(0, bold)
                row.setFont(1, bold)
            else:
                self._muted(row)
            tree.addTopLevelItem(row)
        for k in r.skipped:
            reason = note_text(k.reason)
            would_not = translate("IsolationDock", "would not turn")
            row = QTreeWidgetItem(["✕", k.feature_id, translate("IsolationDock", "Skip"), would_not, "", "", reason])
            self._tag(row, k.feature_id, "skipped", "")
            head = translate("IsolationDock", "{valve} would not turn").format(valve=k.feature_id)
            row.setData(0, DETAIL_ROLE, f"<b>✕ {html.escape(head)}</b><br>{html.escape(reason)}")
            row.setToolTip(6, reason)
            self._muted(row)
            tree.addTopLevelItem(row)
        if not r.plan:
            tree.addTopLevelItem(
                QTreeWidgetItem(["", "—", translate("IsolationDock", "Nothing to close: no supply reaches the break")])
            )
        first = tree.topLevelItem(0)
        hint = "<br><i>{}</i>".format(html.escape(translate("IsolationDock", "Click a row to zoom to it on the map.")))
        self.detail.setText((first.data(0, DETAIL_ROLE) or "") + hint if first is not None else "")

    def _fill_impact(self, r: IsolationResult) -> None:
        tree = self.impact_tree
        tree.clear()
        imp = r.impact
        top = self._group(tree, translate("IsolationDock", "Customers without gas"), f"{imp.customers_lost:,}")
        by_cat = sorted(imp.customers_by_category.items(), key=lambda kv: (kv[0] != "special", kv[0]))
        for cat, n in by_cat:
            if not n:
                continue
            row = QTreeWidgetItem([category_label(cat), f"{n:,}"])
            top.addChild(row)
            if cat == "special":
                for c in imp.special_users:
                    name = c.name or c.feature_id
                    kind = f" ({special_kind_label(c.special_kind)})" if c.special_kind else ""
                    child = QTreeWidgetItem([f"{name}{kind}", c.feature_id])
                    self._tag(child, c.feature_id, "customer", "")
                    row.addChild(child)
        self._group(tree, translate("IsolationDock", "Households"), f"{imp.households:,}")
        self._group(tree, translate("IsolationDock", "Peak demand lost"), f"{imp.peak_demand_nm3h:,.1f} Nm³/h")
        iso = self._group(
            tree, translate("IsolationDock", "Shut-off region"), format_length(imp.isolated_pipe_length_m)
        )
        roles = customers_by_role(imp.customers)
        iso.addChild(QTreeWidgetItem([translate("IsolationDock", "Pipes"), f"{len(r.isolated_pipe_ids):,}"]))
        iso.addChild(QTreeWidgetItem([translate("IsolationDock", "Customers"), f"{roles['isolated']:,}"]))
        iso.addChild(
            QTreeWidgetItem(
                [translate("IsolationDock", "Internal volume"), format_volume(imp.isolated_internal_volume_m3, "m³")]
            )
        )
        iso.addChild(
            QTreeWidgetItem(
                [translate("IsolationDock", "Gas to vent / purge"), format_volume(imp.isolated_gas_volume_nm3)]
            )
        )
        cut = self._group(tree, translate("IsolationDock", "Cut off"), format_length(imp.cut_off_pipe_length_m))
        cut.addChild(QTreeWidgetItem([translate("IsolationDock", "Segments"), f"{len(r.cut_off_segments):,}"]))
        cut.addChild(QTreeWidgetItem([translate("IsolationDock", "Customers"), f"{roles['cut_off']:,}"]))
        cut.addChild(QTreeWidgetItem([translate("IsolationDock", "Pipes"), f"{len(r.cut_off_pipe_ids):,}"]))
        cut.addChild(
            QTreeWidgetItem(
                [translate("IsolationDock", "Gas in cut-off pipes"), format_volume(imp.cut_off_gas_volume_nm3)]
            )
        )
        sensors = self._group(tree, translate("IsolationDock", "Sensors in the outage"), f"{len(imp.sensor_ids):,}")
        for sid in imp.sensor_ids:
            child = QTreeWidgetItem([sid, ""])
            self._tag(child, sid, "sensor", "")
            sensors.addChild(child)
        tree.expandToDepth(1)

    def _fill_notes(self, r: IsolationResult) -> None:
        def section(title: str, text: str) -> str:
            return f"<h4>{html.escape(title)}</h4><p>{html.escape(text)}</p>"

        parts = []
        if r.warnings:
            warnings = "".join(f"<p>⚠ {html.escape(note_text(w))}</p>" for w in r.warnings)
            parts.append(f"<h4>{html.escape(translate('IsolationDock', 'Warnings'))}</h4>{warnings}")
        rule = order_label(r.order_rule).lower()
        title = translate("IsolationDock", "Closing order: {rule}").format(rule=rule)
        parts.append(section(title, note_text(r.order_reason)))
        if r.request.inoperable:
            parts.append(
                section(translate("IsolationDock", "Reported would not turn"), ", ".join(r.request.inoperable))
            )
        if r.already_closed:
            text = translate("IsolationDock", "Check these really are closed: {valves}")
            title = translate("IsolationDock", "Normally closed on the boundary")
            parts.append(section(title, text.format(valves=", ".join(r.already_closed))))
        parts.append(section(translate("IsolationDock", "Cut off"), cut_off_summary(r)))
        op = ", ".join(f"{k} {v:g} MPa" for k, v in r.impact.operating_pressure_mpa.items())
        text = translate("IsolationDock", "At operating pressure (gauge): {pressures}.").format(pressures=op)
        parts.append(section(translate("IsolationDock", "Gas volume"), text))
        self.notes.setHtml("".join(parts))

    # -- rows --------------------------------------------------------------------------------------------------------
    @staticmethod
    def _group(tree: QTreeWidget, text: str, value: str = "") -> QTreeWidgetItem:
        item = QTreeWidgetItem([text, value] if value else [text])
        font = QFont(item.font(0))
        font.setBold(True)
        for col in range(tree.columnCount()):
            item.setFont(col, font)
        item.setFirstColumnSpanned(not value)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        tree.addTopLevelItem(item)
        return item

    @staticmethod
    def _tag(item: QTreeWidgetItem, feature_id: str, kind: str, action: str) -> None:
        item.setData(0, ID_ROLE, feature_id)
        item.setData(0, KIND_ROLE, kind)
        item.setData(0, ACTION_ROLE, action)

    def _muted(self, item: QTreeWidgetItem) -> None:
        for col in range(item.columnCount()):
            f = item.font(col)
            f.setItalic(True)
            item.setFont(col, f)

    def rows(self, kind: str = "step") -> list[QTreeWidgetItem]:
        """Rows of one kind (``step``, ``skipped``, ``customer``, ``sensor``) in display order."""
        out = []
        for tree in (self.plan_tree, self.impact_tree):
            stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())][::-1]
            while stack:
                item = stack.pop()
                if item.data(0, KIND_ROLE) == kind:
                    out.append(item)
                stack += [item.child(i) for i in range(item.childCount())][::-1]
        return out

    def plan_ids(self) -> list[str]:
        """Feature ids of the plan rows, in the order shown."""
        return [item.data(0, ID_ROLE) for item in self.rows("step")]

    def selected_step(self) -> str | None:
        """The plan step (valve or regulator) selected in the plan list, if any."""
        item = self.plan_tree.currentItem()
        if item is None or item.data(0, KIND_ROLE) != "step":
            return None
        if item.data(0, ACTION_ROLE) not in ("close_valve", "shut_regulator"):
            return None
        return item.data(0, ID_ROLE)

    def _on_item_click(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        fid = item.data(0, ID_ROLE)
        if fid:
            self.featureActivated.emit(str(fid))
        self._update_buttons()

    def _on_plan_row_change(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        detail = item.data(0, DETAIL_ROLE) if item is not None else None
        if detail:
            self.detail.setText(detail)
        self._update_buttons()

    def _on_failed_click(self) -> None:
        fid = self.selected_step()
        if fid:
            self.failedRequested.emit(fid)

    def _update_buttons(self) -> None:
        has = self._result is not None
        self.failed_button.setEnabled(self.selected_step() is not None)
        self.export_plan_button.setEnabled(has)
        self.export_customers_button.setEnabled(has and bool(self._result.impact.customers))
        self.clear_button.setEnabled(has)
        self.zoom_button.setEnabled(has)

    # -- theme -------------------------------------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self._build_legend()
        self._style_message()
        if self._result is not None:
            self.impact_label.setText(self._impact_html(self._result))

    def _alarm(self) -> str:
        return "#ff6b8b" if self._theme == "dark" else "#c0003c"

    def _style_message(self) -> None:
        colour = self._alarm() if self.message.property("kind") == "error" else self.palette().placeholderText().color()
        name = colour if isinstance(colour, str) else colour.name()
        self.message.setStyleSheet(f"color: {name};")

    def _build_legend(self) -> None:
        while self._legend_grid.count():
            w = self._legend_grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for k, (icon, label, tip) in enumerate(legend_entries(self._theme)):
            sym = QLabel()
            sym.setPixmap(icon.pixmap(34, 26))
            text = QLabel(label)
            for w in (sym, text):
                w.setToolTip(tip)
            self._legend_grid.addWidget(sym, k // 2, (k % 2) * 2)
            self._legend_grid.addWidget(text, k // 2, (k % 2) * 2 + 1)
        self._legend_grid.setColumnStretch(1, 1)
        self._legend_grid.setColumnStretch(3, 1)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.themeMaybeChanged.emit()
