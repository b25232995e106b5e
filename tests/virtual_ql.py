"""A virtual Brother QL for the tests: the fake at the outside boundary (a TCP port on
127.0.0.1, or the far end of a pseudo-terminal standing in for /dev/usb/lpN).

It frames the incoming bytes into commands the way a printer must, to find the status requests
(ESC i S) among them and the print commands at the end of each page; it answers the first with
a chosen 32-byte status and the second with the reports a QL sends by itself while printing
(phase change, then "printing completed", or "error occurred" when told to fail).  It keeps
every byte it received, for an independent decoder to turn back into labels.  Status bytes are
built here by hand from Brother's raster reference, not with the kiosk's parser.
"""

from __future__ import annotations

import os
import pty
import socket
import threading
import tty

# Status byte 11 (media type), 18 (status type)
CONTINUOUS, DIE_CUT = 0x0A, 0x0B
REPLY, COMPLETED, ERROR, NOTIFICATION, PHASE_CHANGE = 0x00, 0x01, 0x02, 0x05, 0x06


def status_bytes(*, width=62, length=0, media_type=None, error1=0, error2=0, status_type=REPLY,
                 phase=0, notification=0, model=0x41) -> bytes:
    """A QL's 32-byte status, field by field (model 0x41: QL-820NWB)."""
    if media_type is None:
        media_type = DIE_CUT if length else (CONTINUOUS if width else 0)
    raw = bytearray(32)
    raw[0:8] = bytes([0x80, 0x20, 0x42, 0x34, model, 0x30, 0x30, 0x00])
    raw[8], raw[9] = error1, error2
    raw[10], raw[11], raw[17] = width, media_type, length
    raw[18], raw[19], raw[22] = status_type, phase, notification
    return bytes(raw)


# command prefix -> number of parameter bytes after it
_FIXED = {b"\x1b@": 0, b"\x1biS": 0, b"\x1bia": 1, b"\x1biz": 10, b"\x1biM": 1, b"\x1biA": 1,
          b"\x1biK": 1, b"\x1bid": 2, b"\x1bi!": 1, b"M": 1, b"Z": 0}


class QLBrain:
    """The printer's side of the conversation, fed bytes as they arrive."""

    def __init__(self, status: bytes, *, silent=False, fail_with: bytes | None = None, cooling=False):
        self.status = status  # the answer to ESC i S
        self.silent = silent  # never says a word (some network QLs on port 9100)
        self.fail_with = fail_with  # the error report sent instead of "printing completed"
        self.cooling = cooling  # a "cooling started" notification before completing
        self.received = bytearray()
        self.pending = bytearray()
        self.status_requests = 0
        self.pages = 0
        self.unknown: list[bytes] = []

    def feed(self, data: bytes) -> bytes:
        """Take bytes in; return what the printer sends back."""
        self.received += data
        self.pending += data
        replies = bytearray()
        while self.pending:
            size = self._command_size()
            if size is None:
                break  # wait for the rest of the command
            command = bytes(self.pending[:size])
            del self.pending[:size]
            replies += self._act(command)
        return b"" if self.silent else bytes(replies)

    def _command_size(self) -> int | None:
        data = self.pending
        if data[0] in (0x00, 0x0C, 0x1A):
            return 1
        if data[0] == ord("g"):
            return 3 + data[2] if len(data) >= 3 and len(data) >= 3 + data[2] else None
        for prefix, params in _FIXED.items():
            if data[:len(prefix)] == prefix:
                return len(prefix) + params if len(data) >= len(prefix) + params else None
            if prefix.startswith(bytes(data)):
                return None  # a command split across reads
        self.unknown.append(bytes(data[:4]))
        return 1

    def _act(self, command: bytes) -> bytes:
        if command == b"\x1biS":
            self.status_requests += 1
            return self.status
        if command in (b"\x0c", b"\x1a"):
            self.pages += 1
            media = dict(width=self.status[10], length=self.status[17], media_type=self.status[11])
            out = status_bytes(status_type=PHASE_CHANGE, phase=1, **media)
            if self.cooling:
                out += status_bytes(status_type=NOTIFICATION, notification=0x03, **media)
            if self.fail_with is not None:
                return out + self.fail_with
            return out + status_bytes(status_type=COMPLETED, **media) + status_bytes(status_type=PHASE_CHANGE, **media)
        return b""


class NetworkQL:
    """The virtual QL on a TCP port of 127.0.0.1; one brain per connection, kept in order."""

    def __init__(self, status: bytes | None = None, **behaviour):
        self.status = status or status_bytes()
        self.behaviour = behaviour
        self.brains: list[QLBrain] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            brain = QLBrain(self.status, **self.behaviour)
            self.brains.append(brain)
            threading.Thread(target=self._talk, args=(conn, brain), daemon=True).start()

    @staticmethod
    def _talk(conn: socket.socket, brain: QLBrain) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return  # the client half-closed: everything is read, close our side too
                reply = brain.feed(data)
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return

    @property
    def received(self) -> bytes:
        return b"".join(bytes(b.received) for b in self.brains)

    def url(self, **query) -> str:
        return f"brother-ql://127.0.0.1:{self.port}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept() so the port really closes
        except OSError:
            pass
        self.server.close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class UsbQL:
    """The virtual QL behind a pseudo-terminal in raw mode: the kiosk opens the terminal's
    path as it would /dev/usb/lp0, writes the job and reads the status replies from it."""

    def __init__(self, status: bytes | None = None, **behaviour):
        self.master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no newline translation: bytes pass as they are
        self.path = os.ttyname(slave)
        self._slave = slave  # kept open so the terminal lives between jobs
        self.brain = QLBrain(status or status_bytes(), **behaviour)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            reply = self.brain.feed(data)
            if reply:
                try:
                    os.write(self.master, reply)
                except OSError:
                    return

    @property
    def received(self) -> bytes:
        return bytes(self.brain.received)

    def url(self, **query) -> str:
        return f"brother-ql://{self.path}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def close(self) -> None:
        os.close(self._slave)
        os.close(self.master)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
