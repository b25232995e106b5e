"""An HTTP/1.1 proxy on 127.0.0.1 that breaks requests on purpose, for sync tests.

Each request (also the second and later ones on a kept-alive connection) gets one fate,
drawn from seeded weights: pass through, be dropped at once, be delayed, be answered with a
502 as a failing reverse proxy would, or be reset after the request went through (so the
server did the work but the client never hears of it: the case that makes idempotency matter),
or be reset after the first bytes of the answer went back (``reset_mid_answer``). ``plan`` gives
the fates of the first requests of a kind, in order ("POST /v1/events": [...]), before the
weights decide; ``weights`` may be changed while it runs (a network that heals).
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

_BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                b"Connection: close\r\n\r\nBad Gateway")


class FaultProxy:
    def __init__(self, target_port: int, *, weights: dict[str, float] | None = None, seed: int = 1,
                 delay: float = 0.3, plan: dict[str, list[str]] | None = None):
        self.target = ("127.0.0.1", target_port)
        self.weights = weights or {"pass": 1.0}
        self.plan = {kind: list(fates) for kind, fates in (plan or {}).items()}
        self.delay = delay
        self.rnd = random.Random(seed)
        self.fates: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _fate(self, request: bytes) -> str:
        method, _, rest = request.partition(b" ")
        kind = f"{method.decode()} {rest.split(b' ', 1)[0].split(b'?', 1)[0].decode()}"
        planned = self.plan.get(kind)
        fate = planned.pop(0) if planned else self.rnd.choices(list(self.weights), list(self.weights.values()))[0]
        self.fates.append(fate)
        return fate

    def _handle(self, client: socket.socket) -> None:
        upstream = None
        with client:
            while True:
                request = _read_message(client)
                if not request:
                    break
                fate = self._fate(request)
                if fate == "drop":
                    _reset(client)
                    break
                if fate == "bad_gateway":
                    client.sendall(_BAD_GATEWAY)
                    break
                if fate == "delay":
                    time.sleep(self.delay)
                try:
                    upstream = upstream or socket.create_connection(self.target, timeout=10)
                    upstream.sendall(request)
                    response = _read_message(upstream)
                except OSError:
                    response = b""
                if not response or fate == "reset_after_request":
                    _reset(client)  # the server is down, or it did the work and we hide the answer
                    break
                if fate == "reset_mid_answer":
                    client.sendall(response[:12])  # "HTTP/1.1 200": the status line cut short
                    _reset(client)
                    break
                client.sendall(response)
        if upstream is not None:
            upstream.close()


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _read_message(sock: socket.socket) -> bytes:
    """One whole HTTP message: headers, then a Content-Length or chunked body ("" at EOF)."""
    sock.settimeout(30)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers = head.lower()
        if b"transfer-encoding: chunked" in headers:
            while not body.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    return b""
                body += chunk
        else:
            length = next((int(line.split(b":", 1)[1]) for line in headers.split(b"\r\n")
                           if line.startswith(b"content-length:")), 0)
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return b""
                body += chunk
        return head + b"\r\n\r\n" + body
    except OSError:
        return b""
