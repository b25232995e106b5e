"""The HTTP connections under the app: uvicorn's httptools protocol, with a request's headers
bounded in size and in time.

uvicorn bounds neither: a client may send headers for ever, or open a connection and send
nothing, and hold memory or one of the ``--max-connections`` slots as long as it likes; a
stranger with a few hundred idle sockets would otherwise answer every device 503. So a
connection must begin each request and finish its headers within the read timeout (the body
then has its own, sync.server.intake), and a request's line and headers may take at most
``MAX_HEADER_BYTES``. Between requests, uvicorn's keep-alive timeout closes an idle connection.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# How long an idle kept-alive connection stays open. Longer than a device's interval between
# sync rounds (sync.worker.INTERVAL, 5 s): at uvicorn's default, also 5 s, the server closed a
# connection just as the worker reused it, and the request failed for nothing.
KEEP_ALIVE_S = 65
MAX_HEADER_BYTES = 16 * 1024  # as h11's default; a device's request takes well under 1 KiB


class HeadersTooLarge(Exception):
    """Raised from the parser's callback: uvicorn answers 400 and closes the connection."""


class BoundedHttpTools(HttpToolsProtocol):
    read_timeout_s = 10.0  # set by ``bounded``
    _headers_due: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._headers_due is None:  # a next request on a kept-alive connection
            self._await_headers()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise HeadersTooLarge()

    def _await_headers(self) -> None:
        self._headers_due = self.loop.call_later(self.read_timeout_s, self._headers_too_slow)

    def _headers_arrived(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_too_slow(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()


def bounded(read_timeout_s: float) -> type[BoundedHttpTools]:
    """The protocol class for uvicorn's ``http`` setting, with this read timeout."""
    return type("BoundedHttpTools", (BoundedHttpTools,), {"read_timeout_s": read_timeout_s})
