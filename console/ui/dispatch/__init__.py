"""Emergency dispatch in the main window: incident board, incident dock (plan, crews, notices,
restoration, timeline), map overlay of incidents, outages, crews and routes, the call intake form, "Open incident
here" on the map's context menu, alarms offered as incidents, and the after-action report in HTML and PDF.

Registered as a built-in UI extension (``console.app.builtin``) after the ledger (every step is a signed entry of the
ledger it opened): :func:`install` returns the :class:`DispatchController`. The workflow is
:class:`console.app.incidents.IncidentService`, the same one ``gasops incident`` and the tests drive.
"""

from console.ui.dispatch._board import IncidentBoardDock
from console.ui.dispatch._controller import NEW_CALL_SHORTCUT, OFFERED_ALARMS, DispatchController
from console.ui.dispatch._dock import TABS, IncidentDock
from console.ui.dispatch._intake import CallIntakeDialog
from console.ui.dispatch._overlay import IncidentOverlay
from console.ui.dispatch._pdf import html_to_pdf

__all__ = [
    "NEW_CALL_SHORTCUT",
    "OFFERED_ALARMS",
    "TABS",
    "CallIntakeDialog",
    "DispatchController",
    "IncidentBoardDock",
    "IncidentDock",
    "IncidentOverlay",
    "html_to_pdf",
    "install",
]


def install(window) -> DispatchController:
    """Add the incident board, incident dock, overlay, call intake and context actions to ``window``."""
    return DispatchController(window)
