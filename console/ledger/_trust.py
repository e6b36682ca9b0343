"""Trust policies (信任策略): which log keys, which witnesses and how many cosignatures a verifier accepts.

Evidence is only as good as the keys it is checked against, and those keys must not come from the evidence itself: a
log's owner who rewrites a bundle can also rewrite the keys and the quorum inside it. As in C2SP and Sigsum, the
verifier pins them out of band, in a trust file or on the command line::

    {
      "format": "gasops-trust/v1",
      "logs": {"city.gas.example/ledger": ["city.gas.example/ledger+1a2b3c4d+AU…"]},
      "witnesses": ["district.gas.example/ledger/witness+5e6f7a8b+BM…"],
      "quorum": 1,
      "why": "keys read out at the 2026-03 audit meeting"
    }

Log keys are signed-note verifier keys of type 0x01 named by the log's origin; witness keys are type 0x04. A log key
also vouches for the rotations the log itself records (a ``key.org.rotate`` entry signed by it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from console.ledger._errors import LedgerError
from console.ledger._limits import load_json
from console.ledger._note import SIG_COSIGNATURE_V1, SIG_ED25519, NoteVerifier

__all__ = ["TrustPolicy", "TRUST_FORMAT"]

TRUST_FORMAT = "gasops-trust/v1"
_MAX_KEYS = 1000


@dataclass(frozen=True)
class TrustPolicy:
    """Keys and quorum a verifier takes from outside the evidence; ``source`` says where they came from."""

    log_keys: tuple[NoteVerifier, ...] = ()
    witnesses: tuple[NoteVerifier, ...] = ()
    quorum: int = 0
    source: str = "command line"
    why: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if any(v.sig_type != SIG_ED25519 for v in self.log_keys):
            raise LedgerError("trust policy: log keys must be Ed25519 note keys (type 0x01)")
        if any(v.sig_type != SIG_COSIGNATURE_V1 for v in self.witnesses):
            raise LedgerError("trust policy: witness keys must be cosignature keys (type 0x04)")
        if not 0 <= self.quorum <= len(self.witnesses):
            raise LedgerError(
                f"trust policy ({self.source}): quorum {self.quorum} needs at least as many trusted witnesses "
                f"({len(self.witnesses)} given)"
            )

    def log_keys_for(self, origin: str) -> list[NoteVerifier]:
        return [v for v in self.log_keys if v.name == origin]

    @classmethod
    def from_vkeys(cls, vkeys: list[str], quorum: int | None = None, source: str = "command line") -> TrustPolicy:
        """Keys given as vkeys of either type (0x01 log keys, 0x04 witnesses); the quorum defaults to one
        witness when any is given, else none."""
        logs, witnesses = [], []
        for vkey in vkeys:
            try:
                v = NoteVerifier.from_vkey(vkey)
            except LedgerError as exc:
                raise LedgerError(f"trust policy ({source}): {exc}") from None
            (witnesses if v.sig_type == SIG_COSIGNATURE_V1 else logs).append(v)
        if quorum is None:
            quorum = 1 if witnesses else 0
        return cls(tuple(logs), tuple(witnesses), quorum, source)

    @classmethod
    def from_file(cls, path: str | Path, quorum: int | None = None) -> TrustPolicy:
        """Read a ``gasops-trust/v1`` JSON file (see the module docstring); ``quorum`` overrides the file's."""
        path = Path(path)
        where = f"trust file {path}"
        try:
            doc = load_json(path.read_bytes(), where, max_bytes=1 << 20, max_depth=4)
        except OSError as exc:
            raise LedgerError(f"{where}: cannot read it ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        if not isinstance(doc, dict) or doc.get("format") != TRUST_FORMAT:
            raise LedgerError(f"{where}: not a {TRUST_FORMAT} file")
        logs, witnesses = doc.get("logs", {}), doc.get("witnesses", [])
        if (
            not isinstance(logs, dict)
            or not all(isinstance(v, list) and all(isinstance(k, str) for k in v) for v in logs.values())
            or not isinstance(witnesses, list)
            or not all(isinstance(k, str) for k in witnesses)
        ):
            raise LedgerError(f"{where}: 'logs' maps origins to lists of vkeys, 'witnesses' is a list of vkeys")
        vkeys = [k for keys in logs.values() for k in keys]
        if len(vkeys) + len(witnesses) > _MAX_KEYS:
            raise LedgerError(f"{where}: more than {_MAX_KEYS} keys")
        file_quorum = doc.get("quorum")
        if file_quorum is not None and (type(file_quorum) is not int or file_quorum < 0):
            raise LedgerError(f"{where}: quorum must be a whole number >= 0")
        policy = cls.from_vkeys(vkeys + witnesses, quorum if quorum is not None else file_quorum, where)
        for origin, keys in logs.items():
            for k in keys:
                if NoteVerifier.from_vkey(k).name != origin:
                    raise LedgerError(f"{where}: key {k[:40]}… is not named {origin!r}")
        why = doc.get("why", "")
        return cls(policy.log_keys, policy.witnesses, policy.quorum, where, why if isinstance(why, str) else "")

    def merged(self, other: TrustPolicy) -> TrustPolicy:
        """Both policies' keys; the quorum of ``other`` (the more specific one, e.g. the command line)."""
        return TrustPolicy(
            tuple(dict.fromkeys(self.log_keys + other.log_keys)),
            tuple(dict.fromkeys(self.witnesses + other.witnesses)),
            other.quorum,
            f"{self.source} + {other.source}",
            self.why or other.why,
        )
