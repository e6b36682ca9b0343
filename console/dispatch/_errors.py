"""Errors of the incident domain: one type, with the incident and the reason a step was refused."""

from __future__ import annotations

from console.errors import GasOpsError

__all__ = ["IncidentError"]


class IncidentError(GasOpsError, ValueError):
    """A step that cannot be taken as asked (unknown id, out of order, on a closed incident …); nothing was recorded.

    ``incident_id`` names the incident (empty when none applies), ``code`` the kind of refusal
    (``unknown-incident``, ``out-of-order``, ``closed``, ``not-in-plan``, ``crew-busy``, ``bad-input`` …).
    """

    def __init__(self, message: str, *, incident_id: str = "", code: str = "bad-input") -> None:
        self.incident_id = incident_id
        self.code = code
        super().__init__(message)
