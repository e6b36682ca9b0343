"""Signed HTTP requests between ledger nodes.

Each request carries four headers: ``X-GasOps-Origin`` (the caller's log origin, which names its pinned organisation
key), ``X-GasOps-Time`` (POSIX seconds), ``X-GasOps-Nonce`` (16 random bytes, base64) and ``X-GasOps-Signature``: the
caller's Ed25519 signature over::

    gasops-request/v1\\n<METHOD>\\n<path?query>\\n<time>\\n<nonce>\\n<hex SHA-256 of the body>

The server accepts a request only from a pinned peer, within ``max_skew_s`` of its clock, with a nonce it has not seen
in that window (replays are refused) and a signature that verifies. Responses need no signature: everything a peer
serves (checkpoints, entries, proofs, cosignatures) is verified cryptographically by the client anyway.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict

from console.ledger._canonical import b64, unb64
from console.ledger._errors import AuthError
from console.ledger._keys import SigningKey, verify_ed25519

__all__ = [
    "canonical_target",
    "sign_request",
    "RequestVerifier",
    "HEADER_ORIGIN",
    "HEADER_TIME",
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
]

HEADER_ORIGIN = "X-GasOps-Origin"
HEADER_TIME = "X-GasOps-Time"
HEADER_NONCE = "X-GasOps-Nonce"
HEADER_SIGNATURE = "X-GasOps-Signature"
_DOMAIN = b"gasops-request/v1\n"


def canonical_target(path: str, params) -> str:
    """``path?query`` with the query decoded, sorted and re-encoded the same way on both sides."""
    from urllib.parse import urlencode

    items = sorted((str(k), str(v)) for k, v in (params.items() if hasattr(params, "items") else params))
    return path + ("?" + urlencode(items) if items else "")


def _message(method: str, path_qs: str, stamp: str, nonce: str, body: bytes) -> bytes:
    return _DOMAIN + f"{method.upper()}\n{path_qs}\n{stamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign_request(
    key: SigningKey, origin: str, method: str, path_qs: str, body: bytes = b"", now: float | None = None
) -> dict[str, str]:
    """Headers that authenticate one request by the node whose log is ``origin``."""
    stamp = str(int(time.time() if now is None else now))
    nonce = b64(os.urandom(16))
    sig = key.sign(_message(method, path_qs, stamp, nonce, body))
    return {HEADER_ORIGIN: origin, HEADER_TIME: stamp, HEADER_NONCE: nonce, HEADER_SIGNATURE: b64(sig)}


class RequestVerifier:
    """Server side: checks pinned key, clock skew, nonce freshness and signature."""

    def __init__(self, max_skew_s: float = 120.0, max_nonces: int = 100_000) -> None:
        self.max_skew_s = max_skew_s
        self.max_nonces = max_nonces
        self._nonces: OrderedDict[str, float] = OrderedDict()

    def verify(self, headers, method: str, path_qs: str, body: bytes, public_keys: list[bytes]) -> None:
        try:
            stamp, nonce, sig64 = headers[HEADER_TIME], headers[HEADER_NONCE], headers[HEADER_SIGNATURE]
        except KeyError as exc:
            raise AuthError(f"missing header {exc}") from None
        if not public_keys:
            raise AuthError(f"caller {headers.get(HEADER_ORIGIN)!r} is not a pinned peer")
        try:
            when = int(stamp)
            sig = unb64(sig64, "request signature")
        except ValueError as exc:
            raise AuthError(str(exc)) from None
        now = time.time()
        if abs(now - when) > self.max_skew_s:
            raise AuthError(f"request time {when} is more than {self.max_skew_s:.0f} s from this node's clock")
        message = _message(method, path_qs, stamp, nonce, body)
        if not any(verify_ed25519(pk, sig, message) for pk in public_keys):
            raise AuthError("request signature does not verify against the pinned key")
        key = f"{headers.get(HEADER_ORIGIN)}|{nonce}"
        self._prune(now)
        if key in self._nonces:
            raise AuthError("replayed request (nonce already seen)")
        self._nonces[key] = now

    def _prune(self, now: float) -> None:
        while self._nonces and (
            len(self._nonces) >= self.max_nonces or next(iter(self._nonces.values())) < now - 2 * self.max_skew_s
        ):
            self._nonces.popitem(last=False)
