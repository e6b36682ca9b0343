"""The metering feature (计量存证) in the main window: the Metering dock (meters, anchoring, custody differences, gas
balance and methane emissions with plots) and its actions in the Ledger menu, over
:class:`console.app.metering.MeteringService`."""

from __future__ import annotations

from console.ui.metering._controller import MeteringController
from console.ui.metering._dock import MeteringDock

__all__ = ["MeteringController", "MeteringDock", "install"]


def install(window) -> MeteringController:
    """Add the metering feature to ``window`` (after the ledger feature, whose service it shares)."""
    return MeteringController(window)
