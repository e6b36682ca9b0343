"""Errors of the metering evidence chain: each names the meter, device or proof file and what is wrong."""

from __future__ import annotations

from console.errors import GasOpsError

__all__ = ["MeteringError", "ProofFileError", "ReadingNotAnchored"]


class MeteringError(GasOpsError):
    """A metering step that cannot be done (unknown meter, no ledger, a bad period)."""


class ReadingNotAnchored(MeteringError):
    """A proof was asked for a reading that no anchored batch holds."""

    def __init__(self, meter_id: str, what: str) -> None:
        self.meter_id = meter_id
        super().__init__(f"meter {meter_id}: {what} was never anchored in the ledger (anchor its period first)")


class ProofFileError(MeteringError):
    """A reading-proof file that cannot be read at all (not JSON, wrong format, fields missing or mistyped)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = str(path), problem
        super().__init__(f"{self.path}: {problem}")
