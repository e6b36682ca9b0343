"""The evidence ledger in the console (区块链存证): hazard register, ledger dock, hazards on the map.

Installed as the built-in UI extension ``ledger`` (see :mod:`console.app.builtin`): :func:`install` adds the
Hazards and Ledger docks, the map overlay, the "Report hazard here" map action and "Verify ledger" to the window.
"""

from __future__ import annotations

from console.ui.ledger._controller import PASSPHRASE_ENV, LedgerController, default_ledger_folder

__all__ = ["LedgerController", "PASSPHRASE_ENV", "default_ledger_folder", "install"]


def install(window) -> LedgerController:
    """Add the ledger feature to ``window`` (a :class:`console.ui.main_window.MainWindow`)."""
    return LedgerController(window)
