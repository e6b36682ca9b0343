"""Result types of the ledger service: typed, JSON-serialisable, with ids a dock can click through to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "AppendResult",
    "LogInfo",
    "WitnessStatus",
    "PeerInfo",
    "SyncResult",
    "LogVerification",
    "VerifyReport",
    "Equivocation",
    "OutsideWitness",
    "CosignOutcome",
]


class _Json:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class AppendResult(_Json):
    origin: str
    index: int
    leaf_hash: str  # hex; hazard steps reference the previous step by this hash
    type: str
    checkpoint_size: int


@dataclass(frozen=True)
class WitnessStatus(_Json):
    origin: str
    size: int
    root_hash: str
    cosigners: list[str]
    quorum: int
    witnessed: bool


@dataclass(frozen=True)
class LogInfo(_Json):
    origin: str
    own: bool
    size: int
    root_hash: str
    checkpoint_size: int
    peer: str | None
    witness: WitnessStatus | None = None


@dataclass(frozen=True)
class PeerInfo(_Json):
    name: str
    url: str
    origin: str
    last_sync_at: str | None
    last_size: int | None
    status: str | None
    error: str | None
    faults: int = 0


@dataclass(frozen=True)
class SyncResult(_Json):
    peer: str
    origin: str
    old_size: int
    new_size: int
    entries_added: int
    cosigned: bool
    status: str  # up-to-date, synced, rejected, unreachable, equivocation
    problem: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class LogVerification(_Json):
    origin: str
    size: int
    ok: bool
    first_bad_index: int | None = None
    # changed, deleted, reordered, inserted, checkpoint-signature, checkpoint-changed, store-damaged
    kind: str | None = None
    detail: str | None = None
    checkpoints_checked: int = 0
    signatures_checked: int = 0


@dataclass(frozen=True)
class VerifyReport(_Json):
    ok: bool
    logs: list[LogVerification] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Equivocation(_Json):
    id: int
    origin: str
    kind: str  # same-size, inconsistent
    detected_at: str
    peer: str | None
    evidence: dict


@dataclass(frozen=True)
class OutsideWitness(_Json):
    """A witness of this node's own log that speaks only C2SP tlog-witness (it holds no log of its own here)."""

    name: str
    url: str  # submission prefix: requests go to <url>/add-checkpoint
    vkey: str
    size: int | None = None  # the size of our log it last cosigned (or reported in a 409)
    last_at: str | None = None
    status: str | None = None  # cosigned, conflict, rollback, refused, unreachable, failed
    error: str | None = None


@dataclass(frozen=True)
class CosignOutcome(_Json):
    """What one tlog-witness add-checkpoint exchange gave: a kept cosignature, or why not."""

    witness: str
    status: str  # cosigned, conflict, rollback, refused, unreachable, failed
    size: int  # the checkpoint size asked for
    witness_size: int | None = None  # the size the witness holds (after a 409), if known
    problem: str | None = None

    @property
    def cosigned(self) -> bool:
        return self.status == "cosigned"
