"""A ledger node (账本节点): its own append-only log, the peers' logs it follows, and its witness role.

Folder layout (the workspace's ``ledger/``)::

    ledger.db                  SQLite: entries, checkpoints, cosignatures, state, peers, equivocations
    config.json                origin, key names, witness quorum
    keys/*.key.json            Ed25519 keys encrypted under the passphrase (organisation, witness, operators)
    objects/ab/cdef…           evidence files, content-addressed by SHA-256
    pii.secret.json            the key of personal-data digests, encrypted under the passphrase like the keys
                               (never leaves the node; a plaintext ``pii.secret`` of older nodes is encrypted and
                               removed at the first unlock)

Thread safety: one re-entrant lock guards the in-memory trees and states; the HTTP server thread and the caller
share the node through it. Signals are emitted after the lock is released.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psygnal import Signal

from console.atomic import atomic_write_bytes
from console.ledger._canonical import b64, utc_now_iso
from console.ledger._entries import Entry, decode_entry, encode_entry
from console.ledger._errors import (
    CheckpointConflictError,
    LedgerError,
    ProofError,
    SignatureError,
)
from console.ledger._keys import (
    SigningKey,
    load_key_file,
    load_secret_file,
    public_from_did_key,
    read_key_file_public,
    save_key_file,
    save_secret_file,
)
from console.ledger._merkle import MerkleTree
from console.ledger._note import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    Note,
    NoteSignature,
    NoteVerifier,
    cosign_note,
    open_note,
    parse_note,
    sign_note,
)
from console.ledger._state import LogState
from console.ledger._store import LedgerStore, SQLAlchemyError, StoreDamagedError
from console.ledger._types import AppendResult, Equivocation, LogInfo, OutsideWitness, PeerInfo, WitnessStatus
from console.ledger._verify import verify_consistency

__all__ = ["LedgerNode", "WitnessConflict", "UnknownLogError", "BadAddCheckpoint", "floor_met"]

_CONFIG = "config.json"
_PII_FILE = "pii.secret.json"
_RESERVED_PREFIXES = ("cosignature/", "gasops-request/", "gasops-ledger-entry/")


class WitnessConflict(LedgerError):
    """The witness's latest size differs from the old size in an add-checkpoint request (HTTP 409)."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"witness holds size {size}")


class BadAddCheckpoint(LedgerError):
    """An add-checkpoint request that is malformed for its checkpoint (HTTP 400 in tlog-witness)."""


class UnknownLogError(SignatureError):
    """A checkpoint of a log this witness does not follow (HTTP 404 in tlog-witness)."""


@dataclass
class _Log:
    """In-memory view of one log: Merkle tree and replayed state."""

    id: int
    origin: str
    own: bool
    tree: MerkleTree
    state: LogState
    pinned: NoteVerifier | None
    pulling: int = 0  # a sync is applying a peer's entries ahead of the store: refresh() leaves this log alone


def _atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, mode=mode)


class LedgerNode:
    """One organisation's ledger node.

    Signals (psygnal): ``entry_appended(AppendResult)``, ``checkpoint_signed(str note)``,
    ``equivocation_detected(Equivocation)``, ``sync_finished(SyncResult)``.
    """

    entry_appended = Signal(object)
    checkpoint_signed = Signal(object)
    equivocation_detected = Signal(object)
    sync_finished = Signal(object)

    def __init__(self, folder: Path, config: dict, store: LedgerStore) -> None:
        self.folder = folder
        self.config = config
        self.store = store
        self.origin: str = config["origin"]
        self.quorum: int = int(config.get("quorum", 1))
        self.lock = threading.RLock()
        self.org_key: SigningKey | None = None
        self.witness_key: SigningKey | None = None
        self.author: SigningKey | None = None
        self._pii_secret: bytes | None = None
        self.request_timeout_s = float(config.get("request_timeout_s", 10.0))
        self.checked_witnesses = False
        self.witness_floor: dict | None = None  # the largest cosigned checkpoint of our log a witness reported
        self._logs: dict[str, _Log] = {}
        try:
            for row in store.list_logs():
                self._load_log(row)
        except (SQLAlchemyError, ValueError, KeyError, TypeError, AttributeError, LedgerError) as exc:
            store.close()
            raise StoreDamagedError(store.path, exc) from None

    # -- creating and opening ----------------------------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        folder: str | Path,
        origin: str,
        passphrase: str,
        *,
        quorum: int = 1,
        scrypt_n: int = 2**15,
        description: str = "",
    ) -> LedgerNode:
        """Create a node: organisation and witness keys (encrypted), the database and the log's genesis entry."""
        folder = Path(folder)
        if (folder / _CONFIG).exists():
            raise LedgerError(f"{folder}: a ledger already exists here")
        if not origin or any(c.isspace() for c in origin) or "+" in origin or origin.startswith(_RESERVED_PREFIXES):
            raise LedgerError(
                f"origin {origin!r}: use a schema-less URL without spaces or '+', e.g. ledger.example-gas.cn/city"
            )
        folder.mkdir(parents=True, exist_ok=True)
        org = SigningKey.generate(origin, "organisation")
        witness = SigningKey.generate(origin + "/witness", "witness")
        save_key_file(folder / "keys" / "organisation.key.json", org, passphrase, scrypt_n=scrypt_n)
        save_key_file(folder / "keys" / "witness.key.json", witness, passphrase, scrypt_n=scrypt_n)
        pii = os.urandom(32)
        save_secret_file(folder / _PII_FILE, pii, passphrase, purpose="personal-data digests", scrypt_n=scrypt_n)
        config = {
            "origin": origin,
            "quorum": quorum,
            "witness_name": witness.name,
            "created": utc_now_iso(),
            "scrypt_n": scrypt_n,
        }
        store = LedgerStore(folder / "ledger.db")
        node = cls(folder, config, store)
        node.org_key, node.witness_key, node.author = org, witness, org
        node._pii_secret = pii
        node._register_log(origin, own=True, pinned=NoteVerifier(origin, org.public_key))
        node.append(
            "log.genesis",
            {"origin": origin, "org_key": org.did, **({"description": description} if description else {})},
        )
        _atomic_write(folder / _CONFIG, json.dumps(config, indent=2).encode("utf-8"))
        return node

    @classmethod
    def open(cls, folder: str | Path, passphrase: str | None = None) -> LedgerNode:
        """Open a node; with ``passphrase`` its keys are unlocked (needed to append, sign, cosign and sync)."""
        folder = Path(folder)
        try:
            config = json.loads((folder / _CONFIG).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LedgerError(f"{folder}: not a ledger folder ({exc}); create one with `gasops ledger init`") from exc
        node = cls(folder, config, LedgerStore(folder / "ledger.db"))
        if passphrase is not None:
            node.unlock(passphrase)
        return node

    def unlock(self, passphrase: str) -> None:
        keys = self.folder / "keys"
        self.org_key = load_key_file(self._current_org_key_file(), passphrase)
        self.witness_key = load_key_file(keys / "witness.key.json", passphrase)
        self.author = self.org_key
        self._pii_secret = self._unlock_pii(passphrase)

    def _unlock_pii(self, passphrase: str) -> bytes | None:
        encrypted, legacy = self.folder / _PII_FILE, self.folder / "pii.secret"
        if encrypted.exists():
            return load_secret_file(encrypted, passphrase)
        if not legacy.exists():
            return None
        secret = legacy.read_bytes()  # written in plaintext by older versions: encrypt it, then remove it
        save_secret_file(
            encrypted,
            secret,
            passphrase,
            purpose="personal-data digests",
            scrypt_n=int(self.config.get("scrypt_n", 2**15)),
        )
        legacy.unlink()
        return secret

    def _current_org_key_file(self) -> Path:
        name = self.config.get("org_key_file", "organisation.key.json")
        return self.folder / "keys" / name

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> LedgerNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- logs in memory ----------------------------------------------------------------------------------------------

    def _register_log(self, origin: str, *, own: bool, pinned: NoteVerifier | None, peer: str | None = None) -> _Log:
        with self.lock:
            if origin in self._logs:
                return self._logs[origin]
            log_id = self.store.log_id(
                origin, create=True, own=own, pinned_vkey=pinned.vkey if pinned else None, peer=peer
            )
            row = {"id": log_id, "origin": origin, "own": own, "pinned_vkey": pinned.vkey if pinned else None}
            return self._load_log(row)

    def _load_log(self, row: dict) -> _Log:
        tree = MerkleTree(self.store.leaves(row["id"]))
        last = tree.leaf(tree.size - 1) if tree.size else None
        state = LogState.from_rows(row["origin"], tree.size, last, self.store.state_rows(row["id"]))
        pinned = NoteVerifier.from_vkey(row["pinned_vkey"]) if row.get("pinned_vkey") else None
        log = _Log(row["id"], row["origin"], bool(row["own"]), tree, state, pinned)
        self._logs[row["origin"]] = log
        return log

    def refresh(self) -> None:
        """Catch up with what other processes committed to this node's store since it was opened (``gasops ledger
        append`` or ``sync`` next to a running server): new logs, new entries, new state. Cheap when nothing changed
        (one indexed query per log)."""
        with self.lock:
            known = {log.id for log in self._logs.values()}
            for row in self.store.list_logs():
                if row["id"] not in known:
                    self._load_log(row)
            for log in list(self._logs.values()):
                if log.pulling:
                    continue
                stored = self.store.next_index(log.id)
                if stored == log.tree.size:
                    continue
                if stored < log.tree.size:
                    self._load_log(
                        {
                            "id": log.id,
                            "origin": log.origin,
                            "own": log.own,
                            "pinned_vkey": log.pinned.vkey if log.pinned else None,
                        }
                    )
                    continue
                for leaf in self.store.leaves(log.id, start=log.tree.size, end=stored):
                    log.tree.append(leaf)
                last = log.tree.leaf(log.tree.size - 1) if log.tree.size else None
                log.state = LogState.from_rows(log.origin, log.tree.size, last, self.store.state_rows(log.id))

    def _log(self, origin: str | None = None) -> _Log:
        origin = origin or self.origin
        try:
            return self._logs[origin]
        except KeyError:
            raise LedgerError(f"unknown log {origin!r}; known logs: {sorted(self._logs)}") from None

    def log_verifiers(self, origin: str) -> list[NoteVerifier]:
        """Keys that may sign checkpoints of ``origin``: the pinned genesis key and every rotation since."""
        log = self._log(origin)
        verifiers = [NoteVerifier(origin, public_from_did_key(did)) for did, _ in log.state.org_keys]
        if log.pinned is not None and log.pinned not in verifiers:
            verifiers.append(log.pinned)
        return verifiers

    def witness_verifiers(self, exclude_origin: str | None = None) -> list[NoteVerifier]:
        """Cosigning keys of the configured peers (and this node's own witness key)."""
        out = [
            NoteVerifier.from_vkey(p["witness_vkey"]) for p in self.store.list_peers() if p["origin"] != exclude_origin
        ]
        out += [NoteVerifier.from_vkey(w["vkey"]) for w in self.store.list_witnesses()]
        if self.witness_key is not None and exclude_origin != self.origin:
            out.append(NoteVerifier(self.witness_key.name, self.witness_key.public_key, SIG_COSIGNATURE_V1))
        return out

    @property
    def witness_vkey(self) -> str:
        pub = read_key_file_public(self.folder / "keys" / "witness.key.json")
        from console.ledger._canonical import unb64

        return NoteVerifier(pub["name"], unb64(pub["public_key"]), SIG_COSIGNATURE_V1).vkey

    @property
    def org_vkey(self) -> str:
        log = self._log()
        return log.pinned.vkey if log.pinned else ""

    # -- evidence files (content-addressed store) ----------------------------------------------------------------------

    def put_evidence(self, data: bytes, media_type: str = "application/octet-stream") -> dict:
        """Store an evidence file under its SHA-256; returns the attachment reference for an entry body."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.evidence_path(digest)
        if not path.exists():
            _atomic_write(path, data)
        return {"sha256": digest, "media_type": media_type, "size": len(data)}

    def evidence_path(self, sha256: str) -> Path:
        return self.folder / "objects" / sha256[:2] / sha256[2:]

    def get_evidence(self, sha256: str) -> bytes:
        data = self.evidence_path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise LedgerError(f"evidence file {sha256} is damaged (its content no longer has that digest)")
        return data

    def personal_digest(self, value: str) -> str:
        """Keyed digest of personal data (see :func:`console.ledger.personal_digest`); needs the unlocked node."""
        from console.ledger._entries import personal_digest

        if self._pii_secret is None:
            raise LedgerError(f"{self.folder}: the ledger is locked; give the passphrase to digest personal data")
        return personal_digest(value, self._pii_secret)

    # -- keys: operators and rotation ----------------------------------------------------------------------------------

    def add_operator(self, name: str, passphrase: str, role: str = "operator") -> SigningKey:
        """Create an operator key (encrypted with its own passphrase) and enrol it in the log (signed by the org key)."""
        key = SigningKey.generate(name, "operator")
        save_key_file(
            self.folder / "keys" / f"operator-{name}.key.json",
            key,
            passphrase,
            scrypt_n=int(self.config.get("scrypt_n", 2**15)),
        )
        self.append("key.operator.enrol", {"operator": key.did, "role": role}, author=self._require_org())
        return key

    def use_operator(self, name: str, passphrase: str) -> SigningKey:
        """Sign later entries as operator ``name``."""
        self.author = load_key_file(self.folder / "keys" / f"operator-{name}.key.json", passphrase)
        return self.author

    def revoke_operator(self, did: str, reason: str = "") -> AppendResult:
        return self.append(
            "key.operator.revoke",
            {"operator": did, **({"reason": reason} if reason else {})},
            author=self._require_org(),
        )

    def rotate_org_key(self, passphrase: str, reason: str = "") -> SigningKey:
        """Replace the organisation key: the old key signs the rotation entry, the new one signs checkpoints from then
        on. Checkpoints signed before stay valid under the old key, which verifiers learn from the log itself."""
        old = self._require_org()
        new = SigningKey.generate(self.origin, "organisation")
        fname = f"organisation-{int(time.time())}.key.json"
        save_key_file(self.folder / "keys" / fname, new, passphrase, scrypt_n=int(self.config.get("scrypt_n", 2**15)))
        with self.lock:
            self._rotating_to = new
            try:
                self.append(
                    "key.org.rotate", {"new_key": new.did, **({"reason": reason} if reason else {})}, author=old
                )
            finally:
                self._rotating_to = None
            self.org_key = new
            if self.author is old:
                self.author = new
            self.config["org_key_file"] = fname
            _atomic_write(self.folder / _CONFIG, json.dumps(self.config, indent=2).encode("utf-8"))
        return new

    def _require_org(self) -> SigningKey:
        if self.org_key is None:
            raise LedgerError(f"{self.folder}: the ledger is locked; give the passphrase to append or sign")
        return self.org_key

    # -- appending -------------------------------------------------------------------------------------------------------

    def append(
        self, entry_type: str, body: dict, *, author: SigningKey | None = None, time: str | None = None
    ) -> AppendResult:
        """Sign and append one entry; durable on disk when this returns. Raises :class:`EntryRejected`."""
        return self.append_many([(entry_type, body)], author=author, time=time)[0]

    def append_many(
        self, items: list[tuple[str, dict]], *, author: SigningKey | None = None, time: str | None = None
    ) -> list[AppendResult]:
        """Sign and append a batch in one transaction with one new checkpoint; all or nothing."""
        author = author or self.author
        if author is None:
            raise LedgerError(f"{self.folder}: the ledger is locked; give the passphrase to append")
        if not items:
            return []
        with self.lock:
            self.refresh()
            log = self._log()
            self._guard_rollback()
            start = log.tree.size
            stamp = time or utc_now_iso()
            rows, results = [], []
            try:
                for entry_type, body in items:
                    entry = encode_entry(
                        author,
                        origin=self.origin,
                        index=log.state.size,
                        prev=log.state.last_leaf,
                        entry_type=entry_type,
                        body=body,
                        time=stamp,
                    )
                    # Signed just now by a key we hold, and encode_entry checked the body schema.
                    log.state.check(entry, verify_signature=False, check_schema=False)
                    leaf = entry.leaf_hash
                    log.state.apply(entry, leaf)
                    log.tree.append(leaf)
                    rows.append(_entry_row(entry, leaf))
                    results.append((entry.index, leaf.hex(), entry_type))
                note = self._sign_checkpoint(log)
                with self.store.begin() as conn:
                    self.store.insert_entries(conn, log.id, rows)
                    self.store.upsert_state(conn, log.id, log.state.rows())
                    self.store.add_checkpoint(
                        conn,
                        log.id,
                        log.tree.size,
                        log.tree.root(),
                        note,
                        signed_here=True,
                        at=utc_now_iso(),
                        source=None,
                    )
            except BaseException:
                self._reload(log, start)
                raise
            log.state.dirty.clear()
            size = log.tree.size
        out = [AppendResult(self.origin, i, h, t, size) for i, h, t in results]
        for r in out:
            self.entry_appended.emit(r)
        self.checkpoint_signed.emit(note)
        return out

    def _reload(self, log: _Log, size: int) -> None:
        log.tree.truncate(size)
        last = log.tree.leaf(size - 1) if size else None
        log.state = LogState.from_rows(log.origin, size, last, self.store.state_rows(log.id))

    def _guard_rollback(self) -> None:
        """Before the first signature after start-up, ask the witnesses how far they have seen this log."""
        if self.checked_witnesses:
            return
        self.checked_witnesses = True
        if self.store.list_peers() or self.store.list_witnesses():
            from console.ledger._sync import check_witnesses

            check_witnesses(self)

    def _sign_checkpoint(self, log: _Log) -> str:
        """Sign the checkpoint of the current tree, refusing anything inconsistent with what was signed before."""
        size, root = log.tree.size, log.tree.root()
        latest = self.store.latest_checkpoint(log.id, signed_here=True)
        if latest is not None and (latest["size"] > size or log.tree.root(latest["size"]) != latest["root"]):
            raise CheckpointConflictError(
                f"log {self.origin}: refusing to sign size {size}: it contradicts the checkpoint of size {latest['size']} signed before"
            )
        floor = self.witness_floor
        if floor is not None and not floor_met(floor, size, log.tree.root):
            raise CheckpointConflictError(
                f"log {self.origin}: witness {floor['witness']} has cosigned size {floor['size']} but this node holds {size} entries "
                "that do not extend it (restored from an old backup?): run `gasops ledger sync --recover` first"
            )
        key = getattr(self, "_rotating_to", None) or self._require_org()
        cp = Checkpoint(self.origin, size, root)
        return Note(cp.text, (sign_note(cp.text, key, self.origin),)).serialize()

    # -- checkpoints and witnessing --------------------------------------------------------------------------------------

    def checkpoint_note(self, origin: str | None = None) -> str | None:
        """The latest checkpoint of a log with every cosignature collected for it, as a signed note."""
        log = self._log(origin)
        latest = self.store.latest_checkpoint(log.id, max_size=log.tree.size)
        if latest is None:
            return None
        note = parse_note(latest["note"])
        cosigs = [
            parse_note(note.text + "\n" + c["line"] + "\n").signatures[0]
            for c in self.store.cosignatures_for(log.id, latest["size"], latest["root"])
        ]
        return note.with_signatures(*cosigs).serialize()

    def witness_status(self, origin: str | None = None) -> WitnessStatus | None:
        log = self._log(origin)
        latest = self.store.latest_checkpoint(log.id)
        if latest is None:
            return None
        trusted = {v.name for v in self.witness_verifiers(exclude_origin=log.origin)}
        cosigners = sorted(
            {c["witness"] for c in self.store.cosignatures_for(log.id, latest["size"], latest["root"])} & trusted
        )
        return WitnessStatus(
            log.origin, latest["size"], latest["root"].hex(), cosigners, self.quorum, len(cosigners) >= self.quorum
        )

    def add_cosignatures(self, origin: str, note_text: str, signatures: list[NoteSignature]) -> list[str]:
        """Verify cosignatures over a stored checkpoint and keep the valid ones; returns the cosigner names kept."""
        log = self._log(origin)
        cp = Checkpoint.parse(note_text)
        verifiers = {(v.name, v.key_id): v for v in self.witness_verifiers(exclude_origin=origin)}
        kept = []
        with self.store.begin() as conn:
            for sig in signatures:
                v = verifiers.get((sig.name, sig.key_id))
                if v is None:
                    continue
                ts = v.verify(note_text.encode("utf-8"), sig.signature)
                if ts is None:
                    raise SignatureError(f"cosignature by {sig.name} over {origin} size {cp.size} does not verify")
                self.store.add_cosignature(conn, log.id, cp.size, cp.root_hash, sig.name, sig.line, ts)
                kept.append(sig.name)
        return kept

    def witness_add_checkpoint(
        self, old_size: int, proof: list[bytes], note: str, peer: str | None = None
    ) -> NoteSignature:
        """Witness role (tlog-witness add-checkpoint): verify a peer log's checkpoint and cosign it.

        Raises :class:`WitnessConflict` when ``old_size`` is not the size this witness holds, :class:`SignatureError`
        for an unknown log or a bad signature, :class:`ProofError` for a bad consistency proof (recorded as an
        equivocation when the two checkpoints are both validly signed).
        """
        if self.witness_key is None:
            raise LedgerError("the witness key is locked")
        parsed = parse_note(note)
        cp = Checkpoint.parse(parsed.text)
        if cp.origin not in self._logs or cp.origin == self.origin:
            raise UnknownLogError(f"this witness does not follow log {cp.origin!r}")
        opened = open_note(parsed, self.log_verifiers(cp.origin))
        if cp.origin not in opened.verified_names():
            raise SignatureError(f"no signature of {cp.origin} by a key this witness trusts")
        if old_size > cp.size:
            raise BadAddCheckpoint(f"old size {old_size} is larger than the checkpoint's size {cp.size}")
        if old_size == 0 and proof:
            raise BadAddCheckpoint("the consistency proof must be empty when the old size is 0")
        with self.lock:
            seen = self.store.witnessed_of(cp.origin)
            seen_size = seen["size"] if seen else 0
            if old_size != seen_size:
                raise WitnessConflict(seen_size)
            if seen is not None:
                if cp.size < seen["size"]:
                    raise WitnessConflict(seen_size)
                if cp.size == seen["size"] and cp.root_hash != seen["root"]:
                    self.record_equivocation(cp.origin, "same-size", peer, {"note_a": seen["note"], "note_b": note})
                    raise WitnessConflict(seen_size)  # tlog-witness: 409 for equal sizes with different roots
                if cp.size > seen["size"]:
                    try:
                        verify_consistency(seen["size"], cp.size, proof, seen["root"], cp.root_hash)
                    except ProofError:
                        record = self.record_equivocation(
                            cp.origin,
                            "inconsistent",
                            peer,
                            {"note_a": seen["note"], "note_b": note, "proof": [b64(p) for p in proof]},
                        )
                        self._pin_in_background(record.id)
                        raise
            stamp = int(time.time())
            sig = cosign_note(parsed.text, self.witness_key, self.witness_key.name, stamp)
            with self.store.begin() as conn:
                # Kept with this witness's own cosignature: the log's node asks for it before signing again (a
                # C2SP witness keeps the checkpoint, not the entries), so it must stand on its own.
                own_sigs = tuple(x for x in parsed.signatures if x.name == cp.origin)
                self.store.set_witnessed(
                    conn,
                    cp.origin,
                    cp.size,
                    cp.root_hash,
                    Note(parsed.text, own_sigs + (sig,)).serialize(),
                    utc_now_iso(),
                )
                log = self._logs[cp.origin]
                if log.tree.size >= cp.size and (cp.size == 0 or log.tree.root(cp.size) == cp.root_hash):
                    self.store.add_cosignature(conn, log.id, cp.size, cp.root_hash, sig.name, sig.line, stamp)
        return sig

    def latest_witnessed(self, origin: str) -> str | None:
        """This node's latest cosigned checkpoint of ``origin`` (note with its cosignature), for restore checks."""
        seen = self.store.witnessed_of(origin)
        if seen is None:
            return None
        note = parse_note(seen["note"])
        log = self._logs.get(origin)
        if log is not None and self.witness_key is not None:  # rows written before the cosignature was kept with it
            cosigs = self.store.cosignatures_for(log.id, seen["size"], seen["root"])
            extra = [
                parse_note(note.text + "\n" + c["line"] + "\n").signatures[0]
                for c in cosigs
                if c["witness"] == self.witness_key.name
            ]
            note = note.with_signatures(*extra)
        return note.serialize()

    def record_equivocation(self, origin: str, kind: str, peer: str | None, evidence: dict) -> Equivocation:
        """Keep two checkpoints that cannot both be true, verbatim, and raise the alarm."""
        at = utc_now_iso()
        rid = self.store.add_equivocation(origin, kind, at, peer, evidence)
        record = Equivocation(rid, origin, kind, at, peer, evidence)
        self.equivocation_detected.emit(record)
        return record

    def _pin_in_background(self, record_id: int) -> None:
        """A witness that meets a fork holds the two checkpoints and the submitted proof; when that proof does not
        carry the forked tree's prefix root (its old size is a power of two), ask the log's node for it at once,
        while it still serves that tree (see :func:`console.ledger._sync.pin_equivocation`)."""
        from console.ledger._sync import pin_equivocation

        threading.Thread(
            target=pin_equivocation, args=(self, record_id), name=f"pin-equivocation-{record_id}", daemon=True
        ).start()

    def equivocations(self) -> list[Equivocation]:
        return [
            Equivocation(r["id"], r["origin"], r["kind"], r["detected_at"], r["peer"], r["evidence"])
            for r in self.store.list_equivocations()
        ]

    # -- outside witnesses (C2SP tlog-witness) ---------------------------------------------------------------------------

    def add_witness(self, name: str, url: str, vkey: str) -> None:
        """Ask an outside C2SP witness for cosignatures of this log: its submission prefix (``<url>/add-checkpoint``)
        and its cosignature/v1 key (type 0x04), obtained out of band. Its cosignatures count towards the quorum."""
        verifier = NoteVerifier.from_vkey(vkey)
        if verifier.sig_type != SIG_COSIGNATURE_V1:
            raise LedgerError(f"witness {name}: {vkey[:60]!r} is not a cosignature/v1 key (type 0x04)")
        if not url.startswith(("http://", "https://")):
            raise LedgerError(f"witness {name}: the URL must start with http:// or https://")
        if any(p["name"] == name for p in self.store.list_peers()):
            raise LedgerError(f"witness {name}: a peer already has that name")
        self.store.upsert_witness(name=name, url=url.rstrip("/"), vkey=vkey, size=None, status=None, error=None)

    def remove_witness(self, name: str) -> None:
        """Stop asking an outside witness; its cosignatures no longer count towards the quorum."""
        if not self.store.delete_witness(name):
            known = ", ".join(w["name"] for w in self.store.list_witnesses()) or "none"
            raise LedgerError(f"unknown witness {name!r} (outside witnesses: {known})")

    def outside_witnesses(self) -> list[OutsideWitness]:
        return [
            OutsideWitness(w["name"], w["url"], w["vkey"], w["size"], w["last_at"], w["status"], w["error"])
            for w in self.store.list_witnesses()
        ]

    # -- following peers' logs ---------------------------------------------------------------------------------------------

    def add_peer(self, name: str, url: str, origin: str, vkey: str, witness_vkey: str) -> None:
        """Follow a peer: its URL, the origin of its log, its pinned organisation key and its witness key."""
        verifier = NoteVerifier.from_vkey(vkey)
        NoteVerifier.from_vkey(witness_vkey)
        if verifier.name != origin:
            raise LedgerError(f"peer {name}: key name {verifier.name!r} does not match its log origin {origin!r}")
        if origin == self.origin:
            raise LedgerError(f"peer {name}: it cannot have this node's own origin {origin!r}")
        self.store.upsert_peer(name=name, url=url.rstrip("/"), origin=origin, vkey=vkey, witness_vkey=witness_vkey)
        self._register_log(origin, own=False, pinned=verifier, peer=name)

    def remove_peer(self, name: str) -> None:
        """Stop following a peer: no more syncs with it, its witness no longer counts towards the quorum, and its
        requests are no longer accepted. The entries of its log this node already holds stay (they remain evidence)."""
        if not self.store.delete_peer(name):
            known = ", ".join(p["name"] for p in self.store.list_peers()) or "none"
            raise LedgerError(f"unknown peer {name!r} (peers: {known})")

    def peers(self) -> list[PeerInfo]:
        faults: dict[str, int] = {}
        for f in self.store.list_faults():
            faults[f["peer"]] = faults.get(f["peer"], 0) + 1
        return [
            PeerInfo(
                p["name"],
                p["url"],
                p["origin"],
                p["last_sync_at"],
                p["last_size"],
                p["status"],
                p["error"],
                faults.get(p["name"], 0),
            )
            for p in self.store.list_peers()
        ]

    def peer_row(self, name: str) -> dict:
        for p in self.store.list_peers():
            if p["name"] == name:
                return p
        raise LedgerError(f"unknown peer {name!r}; add it with `gasops ledger peers add`")

    def size(self, origin: str | None = None) -> int:
        return self._log(origin).tree.size

    def root(self, origin: str | None = None, size: int | None = None) -> bytes:
        return self._log(origin).tree.root(size)

    def inclusion_proof(self, index: int, size: int | None = None, origin: str | None = None) -> list[bytes]:
        with self.lock:
            return self._log(origin).tree.inclusion_proof(index, size)

    def consistency_proof(self, size1: int, size2: int | None = None, origin: str | None = None) -> list[bytes]:
        with self.lock:
            return self._log(origin).tree.consistency_proof(size1, size2)

    def entries(self, start: int, end: int, origin: str | None = None) -> list[bytes]:
        return self.store.entry_data(self._log(origin).id, start, end)

    def entry(self, index: int, origin: str | None = None) -> Entry:
        data = self.entries(index, index + 1, origin)
        if not data:
            raise LedgerError(f"log {origin or self.origin} has no entry {index}")
        return decode_entry(data[0])

    def state(self, origin: str | None = None) -> LogState:
        return self._log(origin).state

    def ingest(self, origin: str, entries: list[tuple[Entry, bytes]], source: str | None) -> None:
        """Store already-verified ``(entry, leaf)`` pairs of a log (the caller checked them against a signed
        checkpoint and applied them to the in-memory tree and state)."""
        with self.lock, self.store.begin() as conn:
            log = self._log(origin)
            self.store.insert_entries(conn, log.id, [_entry_row(e, leaf) for e, leaf in entries])
            self.store.upsert_state(conn, log.id, log.state.rows())
        log.state.dirty.clear()

    def store_pulled(self, log_id: int, entries: list[tuple[Entry, bytes]], state_rows: list[dict]) -> None:
        """Write a pulled chunk that the caller already applied (and took the state rows of) under the lock; store
        only, so a sync can write one chunk from a thread while it replays the next."""
        with self.store.begin() as conn:
            self.store.insert_entries(conn, log_id, [_entry_row(e, leaf) for e, leaf in entries])
            self.store.upsert_state(conn, log_id, state_rows)

    def store_checkpoint(self, origin: str, note: str, source: str | None, conn: Any = None) -> None:
        log = self._log(origin)
        parsed = parse_note(note)
        cp = Checkpoint.parse(parsed.text)
        own = Note(parsed.text, tuple(s for s in parsed.signatures if s.name == origin)).serialize()
        if conn is None:
            with self.store.begin() as c:
                self.store.add_checkpoint(
                    c, log.id, cp.size, cp.root_hash, own, signed_here=False, at=utc_now_iso(), source=source
                )
        else:
            self.store.add_checkpoint(
                conn, log.id, cp.size, cp.root_hash, own, signed_here=False, at=utc_now_iso(), source=source
            )
        cosigs = [s for s in parsed.signatures if s.name != origin]
        if cosigs:
            try:
                self.add_cosignatures(origin, parsed.text, cosigs)
            except SignatureError:
                pass  # a bad cosignature from a third party is ignored, the log's own signature was verified

    # -- reading for the UI ----------------------------------------------------------------------------------------------

    def logs(self) -> list[LogInfo]:
        out = []
        for log in list(self._logs.values()):
            latest = self.store.latest_checkpoint(log.id)
            peer = (
                None
                if log.own
                else next((p["name"] for p in self.store.list_peers() if p["origin"] == log.origin), None)
            )
            out.append(
                LogInfo(
                    log.origin,
                    log.own,
                    log.tree.size,
                    log.tree.root().hex(),
                    latest["size"] if latest else 0,
                    peer,
                    self.witness_status(log.origin),
                )
            )
        return out

    def checkpoints(self, origin: str | None = None) -> list[dict]:
        return [
            {
                "size": c["size"],
                "root_hash": c["root"].hex(),
                "signed_here": bool(c["signed_here"]),
                "received_at": c["received_at"],
                "source": c["source"],
            }
            for c in self.store.checkpoints_of(self._log(origin).id)
        ]

    def search(
        self,
        *,
        hazard_id: str | None = None,
        device: str | None = None,
        incident_id: str | None = None,
        origin: str | None = None,
    ) -> list[dict]:
        """Entries by hazard, device or incident id across the logs (all logs when ``origin`` is None)."""
        log_id = self._log(origin).id if origin else None
        rows = self.store.search(log_id, hazard_id=hazard_id, device=device, incident_id=incident_id)
        return [{**r, "leaf": r["leaf"].hex()} for r in rows]

    def hazard_history(self, hazard_id: str, origin: str | None = None) -> list[Entry]:
        log = self._log(origin)
        return [self.entry(r["idx"], log.origin) for r in self.store.search(log.id, hazard_id=hazard_id)]

    def verify(self, *, workers: int = 1):
        """Recompute every log from its stored bytes (see :func:`console.ledger.verify_node`)."""
        from console.ledger._audit import verify_node

        return verify_node(self, workers=workers)


def floor_met(floor: dict, size: int, root_at) -> bool:
    """Whether a tree of ``size`` leaves (``root_at(n)``: its root at size n) extends what a witness cosigned. A C2SP
    witness reports only its size (``root`` None): the size must be reached; the witness itself refuses a tree that
    does not extend its own when it is next asked."""
    if floor["size"] > size or floor.get("inconsistent"):
        return False
    return floor["root"] is None or root_at(floor["size"]) == floor["root"]


def _entry_row(entry: Entry, leaf: bytes) -> dict:
    body = entry.payload["body"]
    entry_type = entry.payload["type"]
    return {
        "idx": entry.payload["index"],
        "data": entry.data,
        "leaf": leaf,
        "type": entry_type,
        "time": entry.payload["time"],
        "author": entry.payload["author"],
        "hazard_id": body.get("hazard_id") if entry_type.startswith("hazard.") else None,
        "device": body.get("device") if entry_type.startswith(("device.", "metering.")) else None,
        "incident_id": body.get("incident_id") if entry_type.startswith("incident.") else None,
    }
