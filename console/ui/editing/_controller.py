"""The editing feature in the main window: tools, one undo stack, the attribute form and table, Save, review.

Every edit — a click of a map tool, an OK in the form, a cell of the table — is a domain command of
:mod:`console.network` pushed onto one :class:`QUndoStack` (consecutive small edits of the same thing merge: a drag
is one step, retyping a cell is one step). The stack's clean state is the window's modified marker; Save (Ctrl+S)
writes the file whole (atomically) or commits a PostGIS schema feature by feature. Submitting for review, reviewing,
approving and rejecting go through the Qt-free :class:`console.app.editing.EditingService`, guarded and signed by the
window's operator service.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QInputDialog, QMessageBox

from console.app.editing import CHANGES_DIR, EditingService, LiveValidation, edit_feature_ids, source_state
from console.app.settings import declare
from console.app.workspace import Workspace
from console.errors import GasOpsError
from console.network import DeleteFeatures, EditCommand, EditRefused, MoveFeature, SetAttribute
from console.ui.actions import ActionSpec
from console.ui.editing._conflicts import ConflictDialog
from console.ui.editing._form import AttributeForm, PipeDefaultsForm
from console.ui.editing._review import DiffOverlay, ReviewDock, effect_text
from console.ui.editing._table import AttributeTableDock, table_edit
from console.ui.editing._tool import EDIT_TOOLS, EditTool
from console.ui.editing._validation import ValidationDock
from console.ui.i18n import translate
from console.ui.i18n_messages import register, translate_message

__all__ = ["EditingController", "QtEdit"]

register("EditRefusals", EditRefused.MESSAGE_TEMPLATES)  # refusals are shown in the UI's language

declare("editing/snap_px", 12, int, "snapping tolerance of the edit tools, in screen pixels")

_MERGE_SET, _MERGE_MOVE = 1, 2


class QtEdit(QUndoCommand):
    """A domain edit on the QUndoStack; merges as the domain command does (a drag only within itself)."""

    def __init__(self, edit: EditCommand, drag: int = 0) -> None:
        super().__init__(edit.text)
        self.edit, self.drag = edit, drag
        self.ids: set[str] = set()  # the features the edit touches (validation re-checks around them)
        self.scope: set[str] = set()  # their neighbourhoods before and after the edit
        self.applied = lambda command: None  # called after every redo and undo

    def id(self) -> int:
        if isinstance(self.edit, SetAttribute):
            return _MERGE_SET
        return _MERGE_MOVE if isinstance(self.edit, MoveFeature) else -1

    def redo(self) -> None:
        self.edit.redo()
        self.applied(self)

    def undo(self) -> None:
        self.edit.undo()
        self.applied(self)

    def mergeWith(self, other) -> bool:
        if not isinstance(other, QtEdit) or other.drag != self.drag:
            return False
        if not self.edit.merge_with(other.edit):
            return False
        self.ids |= other.ids
        self.scope |= other.scope
        return True


class EditingController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.stack = QUndoStack(self)
        self.service = EditingService(self._changes_folder(), operators=window.operators)
        self.defaults: dict[str, Any] = {}
        self._drag = 0
        self._prefetched: tuple | None = None  # the master file state whose steady state a job made ready
        self.last_effect = None  # the last review's whole effect (validation, valve segments and hydraulics)
        self.tool = EditTool(window.canvas, self.push, lambda: dict(self.defaults), self._snap_px)
        self.tool.on_error = self._show_refusal
        self.tool.dragFinished = self._end_drag
        self.tool.selectionChanged = self._on_selection
        self.table = AttributeTableDock(window)
        self.table.model.edit = self.edit_attribute
        self.table.model.error = self._show_refusal
        self.table.featureSelected.connect(window.zoom_to_feature)
        window.add_dock(self.table, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.table.hide()
        self.validation = LiveValidation()
        self.validation_dock = ValidationDock(window)
        self.validation_dock.featureSelected.connect(window.zoom_to_feature)
        self.validation_dock.recheckRequested.connect(self.check_all)
        self.validation.changed.connect(self._show_validation)
        window.add_dock(self.validation_dock, Qt.DockWidgetArea.RightDockWidgetArea)
        self.validation_dock.hide()
        self.validation_dock.visibilityChanged.connect(lambda shown: shown and self._validation_wanted())
        self.review = ReviewDock(window)
        window.add_dock(self.review, Qt.DockWidgetArea.RightDockWidgetArea)
        self.review.hide()
        self.overlay = DiffOverlay(window.canvas)
        self.review.selected.connect(self.show_changeset)
        self.review.effectRequested.connect(self.review_effect)
        self.review.approveRequested.connect(self.approve)
        self.review.rejectRequested.connect(self.reject)
        self.review.historyRequested.connect(self.ask_history)
        self.stack.cleanChanged.connect(self._on_clean_change)
        self.stack.indexChanged.connect(self._on_index_change)
        window.closing.connect(self._on_closing)
        window.networkShown.connect(self._on_network_shown)
        window.networkSaved.connect(self._on_saved)
        window.saver = self.save_network
        self._declare_actions()
        if window.network is not None:
            self._on_network_shown()

    # -- actions ------------------------------------------------------------------------------------------------------
    def _declare_actions(self) -> None:
        w = self.window
        undo, redo = self.stack.createUndoAction(w, "&Undo"), self.stack.createRedoAction(w, "&Redo")
        self.act_undo = w.actions.declare(ActionSpec("edit.undo", QT_TRANSLATE_NOOP("Actions", "&Undo"), self.stack.undo,
                                                     ("Ctrl+Z",), QT_TRANSLATE_NOOP("Actions", "Undo the last edit"),
                                                     menu="Edit", section="undo"))  # fmt: skip
        self.act_redo = w.actions.declare(ActionSpec("edit.redo", QT_TRANSLATE_NOOP("Actions", "&Redo"), self.stack.redo,
                                                     ("Ctrl+Shift+Z", "Ctrl+Y"),
                                                     QT_TRANSLATE_NOOP("Actions", "Redo the edit undone"), menu="Edit",
                                                     section="undo"))  # fmt: skip
        undo.deleteLater(), redo.deleteLater()
        self.stack.canUndoChanged.connect(self.act_undo.setEnabled)
        self.stack.canRedoChanged.connect(self.act_redo.setEnabled)
        self.act_undo.setEnabled(False)
        self.act_redo.setEnabled(False)
        self.tool_actions = {}
        keys = {
            "add_pipe": "Shift+A",
            "valves": "Shift+V",
            "move": "Shift+M",
            "reshape": "Shift+R",
            "select": "Shift+S",
        }
        texts = {"add_pipe": QT_TRANSLATE_NOOP("Actions", "Draw &pipe"),
                 "valves": QT_TRANSLATE_NOOP("Actions", "Insert &valve"),
                 "regulators": QT_TRANSLATE_NOOP("Actions", "Insert re&gulator"),
                 "end_caps": QT_TRANSLATE_NOOP("Actions", "Insert &end cap"),
                 "sensors": QT_TRANSLATE_NOOP("Actions", "Insert &sensor"),
                 "move": QT_TRANSLATE_NOOP("Actions", "&Move feature"),
                 "reshape": QT_TRANSLATE_NOOP("Actions", "Res&hape pipe"),
                 "select": QT_TRANSLATE_NOOP("Actions", "Se&lect (box)")}  # fmt: skip
        for mode, tip in EDIT_TOOLS.items():
            self.tool_actions[mode] = w.actions.declare(
                ActionSpec(
                    f"edit.tool.{mode}",
                    texts[mode],
                    lambda checked, m=mode: self.set_mode(m if checked else None),
                    keys.get(mode, ()),
                    tip,
                    menu="Edit",
                    section="tools",
                    checkable=True,
                    permission="changes.edit",
                )  # fmt: skip
            )
        w.actions.declare(ActionSpec("edit.delete", QT_TRANSLATE_NOOP("Actions", "&Delete selected"),
                                     self.delete_selected, ("Del",),
                                     QT_TRANSLATE_NOOP("Actions", "Delete the identified feature with its dependants (or "
                                                       "say why not)"), menu="Edit",
                                     section="features", permission="changes.edit"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.form", QT_TRANSLATE_NOOP("Actions", "&Attributes…"), self.edit_selected,
                                     ("Ctrl+E",), QT_TRANSLATE_NOOP("Actions", "Edit the identified feature's attributes"),
                                     menu="Edit", section="features", permission="changes.edit"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.defaults", QT_TRANSLATE_NOOP("Actions", "Pipe &defaults…"), self.ask_defaults,
                                     (), QT_TRANSLATE_NOOP("Actions", "Pressure class, DN and material of pipes about to "
                                                           "be drawn"), menu="Edit",
                                     section="features"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.validation", QT_TRANSLATE_NOOP("Actions", "&Validation report"),
                                     self.show_validation, ("Ctrl+Shift+V",),
                                     QT_TRANSLATE_NOOP("Actions", "The network's data problems by severity, re-checked "
                                                       "around every edit"),
                                     menu="Edit", section="features"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.table", QT_TRANSLATE_NOOP("Actions", "Attribute &table"), self.show_table,
                                     ("Ctrl+T",), QT_TRANSLATE_NOOP("Actions", "The attribute table of a layer"),
                                     menu="Edit", section="features"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.submit", QT_TRANSLATE_NOOP("Actions", "&Submit for review…"), self.submit, (),
                                     QT_TRANSLATE_NOOP("Actions", "Submit the edits since the last save as a change set"),
                                     menu="Edit", section="review", permission="changes.edit"))  # fmt: skip
        w.actions.declare(ActionSpec("edit.review", QT_TRANSLATE_NOOP("Actions", "Re&view change sets"),
                                     self.show_review, (),
                                     QT_TRANSLATE_NOOP("Actions", "Change sets waiting for review"), menu="Edit",
                                     section="review"))  # fmt: skip

    def _snap_px(self) -> float:
        return float(self.window.prefs.get("editing/snap_px"))

    def _changes_folder(self):
        return (
            Workspace.for_network(self.window.network_source, getattr(self.window.network, "name", "")).folder
            / CHANGES_DIR
        )

    # -- the undo stack ------------------------------------------------------------------------------------------------
    def push(self, edit: EditCommand) -> None:
        """Put an edit on the one undo stack (which applies it); refused when the operator may not edit."""
        try:
            self.service._require("changes.edit", "edit the network")
        except GasOpsError as exc:
            self._show_refusal(str(exc))
            return
        command = QtEdit(edit, self._drag if isinstance(edit, MoveFeature) else 0)
        if self.validation.version is not None:  # a report is kept: note what the edit touches, before it is made
            command.ids = edit_feature_ids(edit)
            command.scope = self.validation.scope(self.window.network, command.ids)
        command.applied = self._revalidate
        self.stack.push(command)

    def _revalidate(self, command: QtEdit) -> None:
        """Re-check the validation report around an edit just made, undone or redone."""
        network = self.window.network
        if self.validation.version is None or network is None or not command.ids:
            return
        command.scope |= self.validation.scope(network, command.ids)
        self.validation.recheck(network, command.scope)

    def _on_clean_change(self, clean: bool) -> None:
        self.window.setWindowModified(not clean)

    def _on_index_change(self, _index: int) -> None:
        self.table.network_edited()

    def _on_closing(self) -> None:
        # The window goes: the stack's last signals (it is destroyed with the window) must not reach it.
        self.stack.cleanChanged.disconnect(self._on_clean_change)
        self.stack.indexChanged.disconnect(self._on_index_change)

    def _on_selection(self, ids: list[str]) -> None:
        if ids:
            self.window.statusBar().showMessage(translate("EditingController", "{n} selected: {ids} — Del deletes them")
                                                .format(n=len(ids), ids=", ".join(ids[:6]) + (" …" if len(ids) > 6 else "")),
                                                10000)  # fmt: skip

    def _end_drag(self) -> None:
        self._drag += 1

    def set_mode(self, mode: str | None) -> None:
        for name, action in self.tool_actions.items():
            if name != mode and action.isChecked():
                action.blockSignals(True)
                action.setChecked(False)
                action.blockSignals(False)
        self.tool.set_mode(mode)
        if mode is None:
            self.window.set_tool("pan")
        else:
            self.window.statusBar().showMessage(translate("Actions", EDIT_TOOLS[mode]), 8000)

    def _show_refusal(self, text: str) -> None:
        text = translate_message(text)
        self.last_refusal = text
        self.window.statusBar().showMessage(translate("EditingController", "Not done: {reason}").format(reason=text),
                                            10000)  # fmt: skip

    # -- features -------------------------------------------------------------------------------------------------------
    def _selected_id(self) -> str | None:
        hit = getattr(self.window.canvas, "_selected", None)  # the identified feature (the canvas keeps one)
        return getattr(hit, "feature_id", None)

    def delete_selected(self, feature_id: str | None = None) -> None:
        """Delete the features chosen with the select tool (box or clicks), else the identified one, with their
        dependants — or say why not (nothing is deleted then)."""
        if feature_id is not None:
            ids = [feature_id]
        elif self.tool.selection:
            ids = list(self.tool.selection)
        else:
            ids = [fid] if (fid := self._selected_id()) is not None else []
        if not ids or self.window.network is None:
            return
        try:
            self.push(DeleteFeatures(self.window.network, ids))
        except GasOpsError as exc:
            self._show_refusal(str(exc))
            QMessageBox.information(self.window, translate("EditingController", "Not deleted"),
                                    translate_message(str(exc)))  # fmt: skip
            return
        if self.tool.selection:
            self.tool.set_selection([])

    def edit_selected(self, feature_id: str | None = None) -> AttributeForm | None:
        fid = feature_id or self._selected_id()
        if fid is None or self.window.network is None:
            return None
        form = AttributeForm(self.window.network, fid, self.window)
        form.accepted.connect(lambda: self.apply_form(form))
        form.open()
        self.form = form
        return form

    def apply_form(self, form: AttributeForm) -> None:
        changes = form.changes()
        if not changes:
            return
        self.stack.beginMacro(f"edit attributes of {form.feature_id}")
        for column, value in changes:
            self.push(SetAttribute(self.window.network, form.layer, [form.feature_id], column, value))
        self.stack.endMacro()

    def edit_attribute(self, layer: str, ids: list[str], column: str, value: Any) -> None:
        self.push(table_edit(self.window.network, layer, ids, column, value))

    def ask_defaults(self) -> None:
        form = PipeDefaultsForm(self.defaults, self.window)
        form.accepted.connect(lambda: setattr(self, "defaults", form.values()))
        form.open()
        self.defaults_form = form

    def show_table(self, layer: str = "pipes") -> AttributeTableDock:
        self.table.set_layer(layer)
        self.table.set_network(self.window.network)
        if self.window.dockWidgetArea(
            self.table
        ) != Qt.DockWidgetArea.BottomDockWidgetArea or self.window.tabifiedDockWidgets(self.table):
            self.window.addDockWidget(
                Qt.DockWidgetArea.BottomDockWidgetArea, self.table
            )  # the full width: many columns
        self.table.show()
        self.table.raise_()
        return self.table

    # -- validation ----------------------------------------------------------------------------------------------------
    def show_validation(self) -> ValidationDock:
        """Show the validation dock (the whole network is checked once, in a job, then around each edit)."""
        dock = self.validation_dock
        self._give_room(dock, 460)
        self._validation_wanted()
        return dock

    def _validation_wanted(self) -> None:
        network = self.window.network
        if network is not None and self.validation.version is None:
            self.check_all()

    def check_all(self) -> None:
        """Validate the whole network in a job (the newest request wins); edits meanwhile are re-checked after."""
        network = self.window.network
        if network is None:
            return
        snapshot = network.snapshot()
        self.validation_dock.set_busy(
            translate("EditingController", "Checking {network}…").format(network=network.name)
        )

        def done(findings) -> None:
            if self.window.network is not network:
                return
            self.validation.full(snapshot, findings)
            if network.version != snapshot.version:  # edited while checking: check again
                self.check_all()

        self.window.jobs.submit(
            "editing.validation", lambda net, feedback=None: LiveValidation.compute(net), snapshot, on_done=done
        )

    def _show_validation(self) -> None:
        name = getattr(self.window.network, "name", "")
        self.validation_dock.show_report(self.validation.by_severity(), name)

    # -- network and saving ------------------------------------------------------------------------------------------------
    def _on_network_shown(self) -> None:
        network = self.window.network
        if network is not None and network is not self.service.network:
            self.service.folder = self._changes_folder()
            self.service.start(network, source=self.window.network_source)
            self.service.solution_provider = self._simulator_run
            self._prefetched = None
            self.stack.clear()
            self.table.set_network(network)
            self.validation.findings, self.validation.version = {}, None
            if self.validation_dock.isVisible():
                self.check_all()
            if self.service.list("submitted"):  # change sets wait for review: have the master's steady state ready
                self.prefetch_master()

    def save_network(self, network, target) -> None:
        """Save: a PostGIS schema it came from gets the session's changes feature by feature; anything else is
        written whole (atomically)."""
        from console.io import commit_changes, is_database_url, write_network

        if is_database_url(target) and target == self.window.network_source:
            commit_changes(str(target), self.service.pending_changes())
        else:
            write_network(network, target)

    def _on_saved(self, _target) -> None:
        self.service.saved()
        self.stack.setClean()

    # -- review ----------------------------------------------------------------------------------------------------------
    def submit(self, title: str | None = None):
        if title is None:
            title, ok = QInputDialog.getText(self.window, translate("EditingController", "Submit for review"),
                                             translate("EditingController", "What does this change set do?"))  # fmt: skip
            if not ok:
                return None
        try:
            cs = self.service.submit(title)
        except GasOpsError as exc:
            self._show_refusal(str(exc))
            return None
        self.stack.clear()
        self.window.setWindowModified(False)
        self.show_review()
        return cs

    def show_review(self) -> ReviewDock:
        self.review.set_changesets(self.service.list())
        self._give_room(self.review, 640)
        self.prefetch_master()
        return self.review

    def _simulator_run(self):
        """The simulator's run of the open network (reused as the master's steady state when it is of the network as
        opened, see EditingService.steady_state)."""
        extensions = self.window.extensions if isinstance(self.window.extensions, dict) else {}
        sim = extensions.get("simulation")
        return getattr(getattr(sim, "service", None), "run", None)

    def prefetch_master(self) -> None:
        """Read the master and make its steady state ready in the background (kept from a session before, the
        simulator's, or solved and kept) and what a review reads of it, once per network and file state, so the first
        review finds it. A review asked meanwhile waits for it (the service prepares a master once) instead of doing
        the same work again on the other job thread."""
        from console.io import is_database_url

        source = self.window.network_source
        jobs = self.window.jobs
        if source is None or is_database_url(source) or jobs.busy("editing.review") or jobs.busy("editing.prefetch"):
            return
        state = source_state(source)
        if state is None or self._prefetched == state:
            return
        self._prefetched = state
        service = self.service

        def work(feedback=None):
            service.prefetch(source, feedback=feedback)

        def failed(exc: BaseException) -> None:
            self._prefetched = None
            if not isinstance(exc, GasOpsError | OSError | ValueError):
                raise exc

        message = translate("EditingController", "Preparing the master's steady state for review…")

        def done(_result) -> None:
            bar = self.window.statusBar()
            if bar.currentMessage() == message:
                bar.clearMessage()

        jobs.submit("editing.prefetch", work, on_done=done, on_error=failed,
                    on_cancel=lambda: setattr(self, "_prefetched", None))  # fmt: skip
        self.window.statusBar().showMessage(message, 5000)

    def _give_room(self, dock, width: int) -> None:
        """Show ``dock`` on the right with room to read it: most of the column's height (the docks it shares the
        column with keep a strip) and ``width`` px (up to 45 % of the window)."""
        w = self.window
        if w.dockWidgetArea(dock) != Qt.DockWidgetArea.RightDockWidgetArea or dock.isFloating():
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.show()
        dock.raise_()
        w.resizeDocks([dock], [int(w.height() * 0.8)], Qt.Orientation.Vertical)
        w.fit_dock(dock, minimum=width, share=0.45)

    def show_changeset(self, change_id: str) -> None:
        try:
            cs = self.service.get(change_id)
        except GasOpsError as exc:
            self._show_refusal(str(exc))
            return
        self.review.show_changeset(cs)
        self.overlay.draw(cs.changes, self.window.network)

    def _master(self):
        """The master to approve onto: the service's cached one (read again only when its file changed)."""
        return self.service.master_at(self.window.network_source)

    def review_effect(self, change_id: str) -> None:
        """Compute the change set's engineering effect in a job (the window stays live); the master is the service's
        cached one, so a second review of the same master reuses its segments and steady state."""
        source = self.window.network_source
        service = self.service
        self.review.show_effect(
            translate("EditingController", "Computing the effect of {change}…").format(change=change_id)
        )

        def work(feedback=None):
            return service.review_at(change_id, source, feedback=feedback)

        shown: list = []  # the partial effect (validation and valve segments) once it came

        def progress(fraction: float, message: str) -> None:
            text = translate("EditingService", message) if message else ""
            if shown:  # the rest stays readable while the hydraulics are computed
                self.review.show_effect(effect_text(shown[-1]) + "\n" + translate(
                    "EditingController", "hydraulics: {step} ({percent} %)…").format(
                    step=text, percent=int(fraction * 100)))  # fmt: skip
                return
            self.review.show_effect(translate("EditingController", "Computing the effect of {change}: {step} "
                                              "({percent} %)").format(change=change_id, step=text,
                                                                      percent=int(fraction * 100)))  # fmt: skip

        def partial(effect) -> None:  # validation and valve segments while the steady states are solved
            shown.append(effect)
            progress(0.5, "")

        def done(effect) -> None:
            self.last_effect = effect
            self.review.show_effect(effect_text(effect))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, GasOpsError | OSError | ValueError):
                raise exc
            self.review.show_effect(translate("EditingController", "Cannot be reviewed: {error}").format(error=exc))

        self.review_job = self.window.jobs.submit("editing.review", work, on_done=done, on_error=failed,
                                                  on_progress=progress, on_partial=partial)  # fmt: skip

    def approve(self, change_id: str, resolutions: dict[str, str] | None = None) -> None:
        """Approve a change set; when the master changed some of its features since, the conflict dialog shows the
        three versions of each and approval waits for a resolution per feature."""
        from console.io import commit_changes, is_database_url, write_network

        source = self.window.network_source
        try:
            master = self._master()
        except (GasOpsError, OSError) as exc:
            self._show_refusal(str(exc))
            return
        if source is not None:
            master = master.snapshot()  # the cached master is shared with review jobs: approve onto a copy
        if resolutions is None:
            try:
                conflicts = self.service.conflicts(change_id, master)
            except GasOpsError as exc:
                self._show_refusal(str(exc))
                return
            if conflicts:
                dialog = ConflictDialog(change_id, conflicts, self.window)
                dialog.accepted.connect(lambda: self.approve(change_id, dialog.resolutions()))
                self.review.show_effect(translate("EditingController", "{n} conflicts with the master: resolve them to "
                                                  "approve").format(n=len(conflicts)))  # fmt: skip
                dialog.open()
                self.conflict_dialog = dialog
                return

        def commit(network, changes):
            if source is None:
                return
            if is_database_url(source):
                commit_changes(str(source), changes)
            else:
                write_network(network, source)

        try:
            self.service.approve(change_id, master, commit=commit, resolutions=resolutions or None)
        except GasOpsError as exc:
            self.review.show_effect(translate("EditingController", "Not approved: {error}").format(error=exc))
            self._show_refusal(str(exc))
            return
        if source is not None and not is_database_url(source):
            # the file now holds it: the next review starts from it, with the reviewed branch's steady state, kept on
            # disk in a job (hashing the file and writing the state take a moment at a million pipes)
            self.service.committed(source, master, persist=False)
            service = self.service
            self.window.jobs.submit("editing.persist",
                                    lambda feedback=None: service.settle(source, master))  # fmt: skip
        self.review.set_changesets(self.service.list())
        self.show_changeset(change_id)
        self.window.statusBar().showMessage(
            translate("EditingController", "{change} approved and committed").format(change=change_id), 8000
        )

    def reject(self, change_id: str, comment: str | None = None) -> None:
        if comment is None:
            comment, ok = QInputDialog.getMultiLineText(
                self.window, translate("EditingController", "Reject change set"),
                translate("EditingController", "What should the planner change?")
            )  # fmt: skip
            if not ok:
                return
        try:
            self.service.reject(change_id, comment)
        except GasOpsError as exc:
            self._show_refusal(str(exc))
            return
        self.review.set_changesets(self.service.list())
        self.show_changeset(change_id)

    def ask_history(self) -> None:
        fid = self._selected_id() or ""
        fid, ok = QInputDialog.getText(self.window, translate("EditingController", "As-built history"),
                                       translate("EditingController", "Feature id:"), text=fid)  # fmt: skip
        if ok and fid:
            lines = []
            for r in self.service.history(fid):
                who = translate("EditingController", "by {author}").format(author=r["author"] or "—")
                if r["reviewer"]:
                    who += translate("EditingController", ", reviewed by {reviewer}").format(reviewer=r["reviewer"])
                lines.append(f"{r['created']}  {r['change_id']}  {r['op']}  {r['status']}  {who}  {r['title']}")
            text = "\n".join(lines) or translate("EditingController", "no change set touched it")
            self.review.show_effect(translate("EditingController", "As-built history of {feature}:").format(feature=fid)
                                    + "\n" + text)  # fmt: skip
