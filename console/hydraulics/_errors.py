"""Errors of the hydraulic simulation: each names the features concerned and what to do."""

from __future__ import annotations

from collections.abc import Sequence

from console.errors import GasOpsError

__all__ = ["HydraulicModelError", "HydraulicsError", "InfeasibleError", "NotConvergedError"]


def _ids(ids: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(map(str, ids[:limit]))
    return shown + (f" … ({len(ids)} in all)" if len(ids) > limit else "")


class HydraulicsError(GasOpsError):
    """Base class of the hydraulic simulation's errors."""


class HydraulicModelError(HydraulicsError):
    """Data the flow model cannot use (a pipe without diameter, a regulator without set point …)."""

    def __init__(self, problem: str, feature_ids: Sequence[str]) -> None:
        self.feature_ids = list(feature_ids)
        super().__init__(f"{problem}: {_ids(self.feature_ids)}")


class InfeasibleError(HydraulicsError):
    """The demand cannot be delivered: some pressures would have to be negative (absolute).

    Not a result: pandapipes and others converge to such "solutions" silently; the console refuses them and names
    where pressure collapses (``node_ids``, lowest first) and in which pressure systems (``system_ids``).
    """

    def __init__(self, message: str, node_ids: Sequence[str], system_ids: Sequence[int] = ()) -> None:
        self.node_ids = list(node_ids)
        self.system_ids = list(system_ids)
        super().__init__(f"infeasible: {message}; pressure would fall below zero absolute at {_ids(self.node_ids)}")


class NotConvergedError(HydraulicsError):
    """Newton did not converge within the iteration limit; ``history`` holds (flow, pressure) residuals."""

    def __init__(self, message: str, history: Sequence[tuple[float, float]] = ()) -> None:
        self.history = list(history)
        super().__init__(message)
