"""Errors of the metering evidence chain: each names the meter, device or proof file and what is wrong."""

from __future__ import annotations

from console.errors import GasOpsError

__all__ = ["AmbiguousReading", "MeteringError", "ProofFileError", "ReadingNotAnchored"]


class MeteringError(GasOpsError):
    """A metering step that cannot be done (unknown meter, no ledger, a bad period)."""


class ReadingNotAnchored(MeteringError):
    """A proof was asked for a reading that no anchored batch holds."""

    def __init__(self, meter_id: str, what: str) -> None:
        self.meter_id = meter_id
        super().__init__(f"meter {meter_id}: {what} was never anchored in the ledger (anchor its period first)")


class AmbiguousReading(MeteringError):
    """A meter id and counter that name readings of more than one device (the meter was swapped: each device
    numbers its readings from 0). ``candidates`` are dicts with ``device``, ``registered``, ``revoked``, ``batch``,
    ``start``, ``end``; the message names them and asks for the device."""

    def __init__(self, meter_id: str, counter: int, candidates: list[dict]) -> None:
        self.meter_id, self.counter, self.candidates = meter_id, counter, candidates
        lines = [
            f"  {c['device']} (registered at entry {c['registered']}, "
            + (f"revoked at entry {c['revoked']}" if c["revoked"] is not None else "in service")
            + f"): batch entry {c['batch']}, readings {c['start']} – {c['end']}"
            for c in candidates
        ]
        super().__init__(f"meter {meter_id}: reading {counter} is ambiguous: the meter was swapped and "
                         f"{len(candidates)} of its devices anchored a reading {counter}:\n" + "\n".join(lines)
                         + "\nname the device (gasops meter prove … --device DID)")  # fmt: skip


class ProofFileError(MeteringError):
    """A reading-proof file that cannot be read at all (not JSON, wrong format, fields missing or mistyped)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = str(path), problem
        super().__init__(f"{self.path}: {problem}")
