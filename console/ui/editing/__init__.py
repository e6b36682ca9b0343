"""Planner editing in the main window (editing with review before commit): edit tools with snapping, the attribute form and table, one
undo stack, Save, and the review view.

Registered as a built-in UI extension (``console.app.builtin``). The edits are :mod:`console.network`'s commands and
the review workflow is :class:`console.app.editing.EditingService` (both Qt-free); this package turns clicks into
those calls and shows the results.
"""

from console.ui.editing._controller import EditingController, QtEdit
from console.ui.editing._form import AttributeForm, PipeDefaultsForm
from console.ui.editing._review import DiffOverlay, ReviewDock
from console.ui.editing._table import AttributeTableDock, LayerTableModel
from console.ui.editing._tool import EDIT_TOOLS, EditTool

__all__ = [
    "EDIT_TOOLS",
    "AttributeForm",
    "AttributeTableDock",
    "DiffOverlay",
    "EditTool",
    "EditingController",
    "LayerTableModel",
    "PipeDefaultsForm",
    "QtEdit",
    "ReviewDock",
    "install",
]


def install(window) -> EditingController:
    """Add the edit tools, undo stack, attribute form and table, and the review view to ``window``."""
    return EditingController(window)
