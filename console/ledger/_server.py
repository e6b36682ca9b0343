"""The node's HTTP API (aiohttp), served from its own thread and event loop on a loopback or LAN address.

    GET  /v1/logs                                  logs served: [{origin, size}]
    GET  /v1/checkpoint?origin=O                   latest checkpoint of O with its cosignatures (signed note)
    GET  /v1/entries?origin=O&start=S&end=E        entries S..E-1, one per line (at most ``max_entries``)
    GET  /v1/consistency?origin=O&old=A&new=B      consistency proof, JSON {"proof": [base64…]}
    GET  /v1/inclusion?origin=O&index=I&size=N     inclusion proof, JSON {"proof": [base64…]}
    GET  /v1/witnessed?origin=O                    this witness's latest cosigned checkpoint of O
    POST /v1/add-checkpoint                        tlog-witness: "old N", proof lines, blank line, checkpoint note

Every request must be signed by a pinned peer (see ``_auth``); request bodies are capped, each peer has a token
bucket (HTTP 429 beyond it), and ranges are clamped. A client that makes no progress for ``timeout_s`` is
disconnected, and every request refreshes the node from its store first (other processes append and sync).

With ``c2sp=True`` the node also speaks the C2SP standards to tools that do not know GasOps (no request signing:
the signed checkpoints authenticate themselves; token buckets per client address):

    GET  /tlog/checkpoint, /tlog/tile/<L>/<N>[.p/<W>], /tlog/tile/entries/<N>[.p/<W>]   tlog-tiles, read-only
    POST /add-checkpoint                                                               tlog-witness
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

from aiohttp import web

from console.ledger._auth import HEADER_ORIGIN, RequestVerifier, canonical_target
from console.ledger._canonical import b64, unb64
from console.ledger._errors import AuthError, LedgerError, NoteError, ProofError, SignatureError
from console.ledger._keys import public_from_did_key
from console.ledger._node import BadAddCheckpoint, LedgerNode, UnknownLogError, WitnessConflict
from console.ledger._tiles import TILE_WIDTH, entry_bundle, parse_tile_path, tile_hashes

__all__ = ["LedgerServer"]

_PEER = web.RequestKey("peer_origin", str)
_BODY = web.RequestKey("body", bytes)


class _Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class LedgerServer:
    """Serve a :class:`LedgerNode` over HTTP in a background thread.

    Subclasses may override the ``serve_*`` coroutines (tests use this to build misbehaving peers).
    """

    def __init__(
        self,
        node: LedgerNode,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_entries: int = 2000,
        max_body_bytes: int = 256 * 1024,
        rate_per_s: float = 500.0,
        burst: float = 1000.0,
        timeout_s: float | None = None,
        max_connections: int = 64,
        c2sp: bool = False,
    ) -> None:
        self.c2sp = c2sp
        self.node, self.host, self.port = node, host, port
        # A client that does not finish sending a request, or reading its answer, within this time is disconnected.
        self.timeout_s = float(timeout_s if timeout_s is not None else node.request_timeout_s)
        self.max_connections = max_connections
        self._progress: dict[object, float] = {}  # transport -> when it last started or finished a request
        self.max_entries, self.max_body_bytes = max_entries, max_body_bytes
        self.rate_per_s, self.burst = rate_per_s, burst
        self.auth = RequestVerifier()
        self._buckets: dict[str, _Bucket] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------------------------------

    def start(self) -> str:
        self._thread = threading.Thread(target=self._run, name=f"ledger-server-{self.node.origin}", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise LedgerError(f"cannot serve the ledger on {self.host}:{self.port}: {self._error}")
        return self.url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_app())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        self._watchdog.cancel()
        loop.run_until_complete(asyncio.gather(self._watchdog, return_exceptions=True))
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    async def _start_app(self) -> None:
        app = web.Application(client_max_size=self.max_body_bytes, middlewares=[self._middleware])
        app.add_routes(
            [
                web.get("/v1/logs", self._logs),
                web.get("/v1/checkpoint", self._checkpoint),
                web.get("/v1/entries", self._entries),
                web.get("/v1/consistency", self._consistency),
                web.get("/v1/inclusion", self._inclusion),
                web.get("/v1/witnessed", self._witnessed),
                web.post("/v1/add-checkpoint", self._add_checkpoint),
            ]
        )
        if self.c2sp:
            app.add_routes(
                [
                    web.get("/tlog/checkpoint", self._tlog_checkpoint),
                    web.get("/tlog/tile/{rest:.+}", self._tlog_tile),
                    web.post("/add-checkpoint", self._add_checkpoint),
                ]
            )
        self._runner = web.AppRunner(app, access_log=None, keepalive_timeout=self.timeout_s)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._watchdog = asyncio.get_running_loop().create_task(self._watch_connections())

    async def _watch_connections(self) -> None:
        """Disconnect clients that hold a connection without progress (slowloris, a reader that stopped reading)
        and the newest ones beyond ``max_connections``."""
        tick = min(1.0, self.timeout_s / 4)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            server = self._runner.server if self._runner is not None else None
            handlers = list(server.connections) if server is not None else []
            alive = set()
            for i, handler in enumerate(handlers):
                transport = handler.transport
                if transport is None:
                    continue
                alive.add(transport)
                since = self._progress.setdefault(transport, now)
                if now - since > self.timeout_s or i >= self.max_connections:
                    transport.abort()
            for transport in list(self._progress):
                if transport not in alive:
                    del self._progress[transport]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = self._loop = None

    def __enter__(self) -> LedgerServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- authentication and limits ----------------------------------------------------------------------------------------

    def _peer_keys(self, origin: str) -> list[bytes]:
        if origin == self.node.origin:
            return []
        try:
            state = self.node.state(origin)
            keys = [public_from_did_key(did) for did, _ in state.org_keys]
            pinned = self.node._log(origin).pinned
        except LedgerError:
            return []
        if pinned is not None:
            keys.append(pinned.public_key)
        return keys

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        self._progress[request.transport] = time.monotonic()
        try:
            return await asyncio.wait_for(self._handle(request, handler), self.timeout_s)
        except TimeoutError:
            return web.Response(status=503, text=f"request not completed within {self.timeout_s} s\n")
        finally:
            self._progress[request.transport] = time.monotonic()

    async def _handle(self, request: web.Request, handler):
        origin = request.headers.get(HEADER_ORIGIN, "")
        body = await request.read() if request.can_read_body else b""
        if self.c2sp and (request.path.startswith("/tlog/") or request.path == "/add-checkpoint"):
            return await self._public(request, handler, body)
        try:
            self.auth.verify(
                request.headers,
                request.method,
                canonical_target(request.path, request.query),
                body,
                self._peer_keys(origin),
            )
        except AuthError as exc:
            return web.Response(status=401, text=f"unauthenticated: {exc}\n")
        bucket = self._buckets.setdefault(origin, _Bucket(self.rate_per_s, self.burst))
        if not bucket.take():
            return web.Response(status=429, text="too many requests\n", headers={"Retry-After": "1"})
        request[_PEER] = origin
        request[_BODY] = body
        try:
            self.node.refresh()  # another process may have appended or synced since the last request
            return await handler(request)
        except (ValueError, KeyError) as exc:
            return web.Response(status=400, text=f"bad request: {exc}\n")
        except LedgerError as exc:
            return web.Response(status=404, text=f"{exc}\n")

    async def _public(self, request: web.Request, handler, body: bytes) -> web.StreamResponse:
        """C2SP endpoints: no request signature (the checkpoints are signed), a token bucket per client address."""
        bucket = self._buckets.setdefault("ip:" + str(request.remote), _Bucket(self.rate_per_s, self.burst))
        if not bucket.take():
            return web.Response(status=429, text="too many requests\n", headers={"Retry-After": "1"})
        request[_BODY] = body
        try:
            self.node.refresh()
            return await handler(request)
        except (ValueError, KeyError) as exc:
            return web.Response(status=400, text=f"bad request: {exc}\n")
        except LedgerError as exc:
            return web.Response(status=404, text=f"{exc}\n")

    # -- C2SP tlog-tiles --------------------------------------------------------------------------------------------

    async def _tlog_checkpoint(self, request: web.Request) -> web.Response:
        note = self.node.checkpoint_note()
        if note is None:
            return web.Response(status=404, text="no checkpoint\n")
        return web.Response(
            text=note, content_type="text/plain", charset="utf-8", headers={"Cache-Control": "max-age=2"}
        )

    async def _tlog_tile(self, request: web.Request) -> web.Response:
        try:
            level, index, width = parse_tile_path(request.match_info["rest"])
        except ValueError as exc:
            return web.Response(status=404, text=f"{exc}\n")
        with self.node.lock:
            tree = self.node._log().tree
            if level < 0:
                first = index * TILE_WIDTH
                if first + width > tree.size:
                    return web.Response(status=404, text="no such entry bundle (yet)\n")
                data = None
            else:
                data = tile_hashes(tree, level, index, width)
                if data is None:
                    return web.Response(status=404, text="no such tile (yet)\n")
        if data is None:
            data = entry_bundle(self.node.entries(first, first + width))
        return web.Response(
            body=data,
            content_type="application/octet-stream",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    # -- overridable content ----------------------------------------------------------------------------------------------

    async def serve_checkpoint(self, origin: str) -> str | None:
        return self.node.checkpoint_note(origin)

    async def serve_entries(self, origin: str, start: int, end: int) -> list[bytes]:
        return self.node.entries(start, end, origin)

    async def serve_consistency(self, origin: str, old: int, new: int) -> list[bytes]:
        return self.node.consistency_proof(old, new, origin)

    async def serve_inclusion(self, origin: str, index: int, size: int) -> list[bytes]:
        return self.node.inclusion_proof(index, size, origin)

    # -- handlers -------------------------------------------------------------------------------------------------------

    async def _logs(self, request: web.Request) -> web.Response:
        return web.json_response([{"origin": log.origin, "size": log.size} for log in self.node.logs()])

    async def _checkpoint(self, request: web.Request) -> web.Response:
        note = await self.serve_checkpoint(request.query["origin"])
        if note is None:
            return web.Response(status=404, text="no checkpoint\n")
        return web.Response(text=note, content_type="text/plain")

    def _sizes(self, request: web.Request, *names: str) -> list[int]:
        values = [int(request.query[n]) for n in names]
        if any(not 0 <= v < 2**63 for v in values):
            raise ValueError("sizes must be between 0 and 2**63 - 1")
        return values

    async def _entries(self, request: web.Request) -> web.Response:
        origin = request.query["origin"]
        start, end = self._sizes(request, "start", "end")
        end = min(end, start + self.max_entries, self.node.size(origin))
        if end <= start:
            return web.Response(status=416, text="range outside the log\n")
        data = await self.serve_entries(origin, start, end)
        return web.Response(body=b"\n".join(data) + b"\n", content_type="application/x-ndjson")

    async def _consistency(self, request: web.Request) -> web.Response:
        old, new = self._sizes(request, "old", "new")
        proof = await self.serve_consistency(request.query["origin"], old, new)
        return web.json_response({"proof": [b64(p) for p in proof]})

    async def _inclusion(self, request: web.Request) -> web.Response:
        index, size = self._sizes(request, "index", "size")
        proof = await self.serve_inclusion(request.query["origin"], index, size)
        return web.json_response({"proof": [b64(p) for p in proof]})

    async def _witnessed(self, request: web.Request) -> web.Response:
        note = self.node.latest_witnessed(request.query["origin"])
        if note is None:
            return web.Response(status=404, text="not witnessed\n")
        return web.Response(text=note, content_type="text/plain")

    async def _add_checkpoint(self, request: web.Request) -> web.Response:
        try:
            old, proof, note = parse_add_checkpoint(request[_BODY])
        except ValueError as exc:
            return web.Response(status=400, text=f"{exc}\n")
        try:
            sig = self.node.witness_add_checkpoint(old, proof, note, peer=request.get(_PEER))
        except BadAddCheckpoint as exc:
            return web.Response(status=400, text=f"{exc}\n")
        except WitnessConflict as exc:
            return web.Response(status=409, text=f"{exc.size}\n", content_type="text/x.tlog.size")
        except UnknownLogError as exc:
            return web.Response(status=404, text=f"{exc}\n")
        except (SignatureError, NoteError) as exc:
            return web.Response(status=403, text=f"{exc}\n")
        except ProofError as exc:
            return web.Response(status=422, text=f"{exc}\n")
        return web.Response(text=sig.line + "\n", content_type="text/plain")


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """Split a tlog-witness add-checkpoint body: ``old <size>``, up to 63 base64 proof lines, a blank line, the
    checkpoint note. Raises ``ValueError`` saying what is wrong."""
    if len(body) > MAX_ADD_CHECKPOINT_BYTES:
        raise ValueError(f"request body is larger than {MAX_ADD_CHECKPOINT_BYTES} bytes")
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old ") or not _DECIMAL.fullmatch(lines[0][4:]):
        raise ValueError("want 'old <size>', proof lines, a blank line and the checkpoint")
    old = int(lines[0][4:])
    if old >= 2**63:
        raise ValueError("old size out of range")
    if len(lines) - 1 > 63:
        raise ValueError(f"{len(lines) - 1} proof lines, more than 63")
    proof = [unb64(line, f"proof line {i}") for i, line in enumerate(lines[1:], 1)]
    if any(len(h) != 32 for h in proof):
        raise ValueError("proof lines must be 32-byte hashes")
    return old, proof, note


MAX_ADD_CHECKPOINT_BYTES = 64 * 1024 + 64 * 48
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
