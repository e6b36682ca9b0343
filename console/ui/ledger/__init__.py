"""The evidence ledger in the console (区块链存证): hazard register, ledger dock, hazards on the map.

Installed as the built-in UI extension ``ledger`` (see :mod:`console.app.builtin`): :func:`install` adds the
Hazards and Ledger docks, the map overlay, the "Report hazard here" map action and the Ledger menu to the window.
The workflow itself (the node, the entries signed, verification, sync, peers) is
:class:`console.app.ledger.LedgerService`; the controller draws it and forwards the user's requests.
"""

from __future__ import annotations

from console.ui.ledger._controller import PASSPHRASE_ENV, LedgerController

__all__ = ["LedgerController", "PASSPHRASE_ENV", "install"]


def install(window) -> LedgerController:
    """Add the ledger feature to ``window`` (a :class:`console.ui.main_window.MainWindow`)."""
    return LedgerController(window)
