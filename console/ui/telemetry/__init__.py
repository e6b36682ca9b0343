"""The live view (实时监测): sensors coloured by alarm state on the map, the alarm list, trends and feed status.

Installed into the main window as a feature UI (see console.app.builtin); the Qt-free session behind it is
:class:`console.app.live.LiveSession`.
"""

from console.ui.telemetry._controller import TelemetryController

__all__ = ["TelemetryController", "install"]


def install(window) -> TelemetryController:
    return TelemetryController(window)
