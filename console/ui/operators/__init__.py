"""Operators, roles and the lock screen in the main window (see console.app.operators)."""

from console.ui.operators._controller import OperatorsController

__all__ = ["OperatorsController", "install"]


def install(window) -> OperatorsController:
    """Add operators (log in, switch, lock screen, administration) to ``window``."""
    return OperatorsController(window)
