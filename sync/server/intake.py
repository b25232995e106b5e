"""How a request's body comes in, before any route sees it: from whom, how much, how fast.

A stranger must not be able to make the server hold memory or a connection for long. So, in
this order:

- **Whose.** A body larger than ``STRANGER_BYTES``, or of a length not announced (chunked), is
  read only once the request's bearer token is known: a missing, unknown or revoked one is
  answered 401 before a byte of the body is read. A smaller body is read first, then its route
  checks the token before it looks at the body, as before: the 401 still comes before any 422.
- **How much.** A body over ``limit`` is refused 413, at once when Content-Length says so.
  The approval page, which takes no bearer token (its link is the credential), takes bodies of
  at most ``STRANGER_BYTES``: its form is a few hundred bytes.
- **How fast.** The whole body must arrive within ``timeout_s`` of its headers (or of its token's
  check), or the request is refused 408: a client that sends part of a body and stalls holds
  the partial body only that long.

Every refusal is answered at once and closes the connection; the rest of the body is never
kept, though what comes of it within the time and size above is read and dropped first, so that
the client can read its answer (``BodyGuard._linger``). Limits that come before the body
(concurrent connections, the backlog) are uvicorn's, set by ``kiosk-server serve``; slow headers
are the reverse proxy's to time out (README.md, "In front of the server").
"""

from __future__ import annotations

import asyncio
import logging
import mmap
from typing import Callable

from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server import auth
from sync.server.db import Database
from sync.server.errors import ServerError

log = logging.getLogger(__name__)

STRANGER_BYTES = 64 * 1024  # as much as uvicorn buffers for a connection anyway (its high-water mark)
DEFAULT_TIMEOUT_S = 10.0
ErrorResponse = Callable[[int, str, dict[str, str]], Response]


class _Refused(Exception):
    """``linger``: the client may still be sending the body (see ``BodyGuard._linger``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, *, linger: bool = True):
        super().__init__(message)
        self.status = status
        self.headers = {**(headers or {}), "Connection": "close"}
        self.linger = linger


class _Gone(Exception):
    """The client went away before its body was whole: nothing to answer."""


class BodyGuard:
    """Pure ASGI middleware, so that its refusals come before routing and are JSON (``error``
    makes them, as the app makes every other error)."""

    def __init__(self, app: ASGIApp, *, db: Database, limit: int, timeout_s: float, open_prefix: str,
                 error: ErrorResponse):
        self.app = app
        self.db = db
        self.limit = limit
        self.timeout_s = timeout_s
        self.open_prefix = open_prefix  # paths that take no bearer token
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = _announced_length(headers)
        if length == 0:  # no body at all: nothing to guard
            await self.app(scope, receive, send)
            return
        try:
            body = await self._body(scope, headers, length, receive)
        except _Refused as refused:
            await self._refuse(refused, receive, send)
            return
        except _Gone:
            return
        await self.app(scope, _replay(body, receive), send)

    async def _body(self, scope: Scope, headers: dict[bytes, bytes], length: int | None, receive: Receive) -> bytes:
        limit = self.limit
        if scope["path"].startswith(self.open_prefix):
            limit = min(limit, STRANGER_BYTES)
        elif length is None or length > STRANGER_BYTES:
            await self._authenticate(headers)
        if length is not None and length > limit:
            raise _Refused(413, f"the request body is larger than {limit} bytes")
        try:
            async with asyncio.timeout(self.timeout_s):
                return await _read(receive, limit, length)
        except TimeoutError:
            raise _Refused(408, f"the request body did not arrive whole within {self.timeout_s:g} seconds",
                           linger=False) from None

    async def _refuse(self, refused: _Refused, receive: Receive, send: Send) -> None:
        response = self.error(refused.status, str(refused), refused.headers)
        await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
        # The whole answer goes out now; the response ends (and the connection closes) after that.
        await send({"type": "http.response.body", "body": response.body, "more_body": True})
        if refused.linger:
            await self._linger(receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _linger(self, receive: Receive) -> None:
        """Read and drop what comes of a refused body, up to ``limit`` bytes or ``timeout_s``, as
        HTTP servers do before they close ("lingering close"): a connection closed while its client
        is still sending is reset by the kernel, and the client may never read the answer it has
        been sent. Nothing read here is kept."""
        dropped = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                while dropped <= self.limit:
                    message = await receive()
                    if message["type"] != "http.request" or not message.get("more_body"):
                        return
                    dropped += len(message.get("body", b""))
        except TimeoutError:
            pass

    async def _authenticate(self, headers: dict[bytes, bytes]) -> None:
        scheme, token = get_authorization_scheme_param(headers.get(b"authorization", b"").decode("latin-1"))
        try:
            await run_in_threadpool(auth.authenticate, self.db, token if scheme.lower() == "bearer" else None)
        except ServerError as e:
            if e.status >= 500:  # the database is down or busy: the operator must hear of it
                log.error("%s", e)
            raise _Refused(e.status, str(e), {"WWW-Authenticate": "Bearer"} if e.status == 401 else None) from None


def _announced_length(headers: dict[bytes, bytes]) -> int | None:
    """The body's length from Content-Length; None when it comes chunked (or the header is not
    a number, which uvicorn refuses before we see it); 0 when there is none."""
    if b"transfer-encoding" in headers:
        return None
    length = headers.get(b"content-length", b"0")
    return int(length) if length.isdigit() else None


async def _read(receive: Receive, limit: int, length: int | None) -> bytes:
    # The body is gathered in an anonymous memory map of its announced length (else the limit):
    # its pages count only once written, and all of them go back to the system when it is closed.
    # Gathered in the heap instead, the partial bodies of stalled clients stay in the process's
    # memory after they are dropped, the allocator keeping the freed space for later.
    with mmap.mmap(-1, length or limit) as buffer:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _Gone()
            chunk = message.get("body", b"")
            if buffer.tell() + len(chunk) > limit:  # chunked (uvicorn holds a body to its Content-Length)
                raise _Refused(413, f"the request body is larger than {limit} bytes")
            buffer.write(chunk)
            if not message.get("more_body"):
                return buffer[:buffer.tell()]


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return replay
