"""A virtual Zebra printer on 127.0.0.1 for the tests: takes ZPL on a TCP port, keeps every
byte it received, answers ``~HS`` with the status it is told to have, and cancels on ``~JA``.

``after_job`` says what happens when a label arrives: ``print`` (it comes out at once),
``paper-out`` (the labels run out: it stays queued and the paper-out flag goes up), ``stall``
(it stays queued, no fault), ``mute`` (the printer stops answering), ``slow`` (queued for
a few status questions, then printed).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

SLOW_POLLS = 3


@dataclass
class Flags:
    paper_out: bool = False
    paused: bool = False
    head_open: bool = False
    ribbon_out: bool = False
    thermal_transfer: bool = False
    over_temperature: bool = False
    under_temperature: bool = False
    buffer_full: bool = False


@dataclass
class VirtualZebra:
    flags: Flags = field(default_factory=Flags)
    after_job: str = "print"
    received: bytearray = field(default_factory=bytearray)
    printed: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    status_questions: int = 0

    def __enter__(self) -> VirtualZebra:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._server.settimeout(0.05)  # how soon the accept loop notices the stop
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._muted = False
        self._slow_left = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"zpl://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        conn.settimeout(10)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                with self._lock:
                    self.received += chunk
                    try:
                        pending = self._consume(pending + chunk, conn)
                    except OSError:
                        return  # the kiosk hung up before reading our answer

    def _consume(self, pending: bytes, conn: socket.socket) -> bytes:
        while pending:
            if pending[:1] == b"~":
                if len(pending) < 3:
                    return pending
                command, pending = pending[:3], pending[3:]
                if command == b"~HS":
                    self.status_questions += 1
                    if not self._muted:
                        conn.sendall(self._host_status())
                        self._advance()
                elif command == b"~JA":
                    self.cancelled += self.queued
                    self.queued = []
            elif pending[:3] == b"^XA":
                end = pending.find(b"^XZ")
                if end < 0:
                    return pending
                self._format(pending[:end + 3].decode("ascii"))
                pending = pending[end + 3:]
            elif len(pending) < 3 and b"^XA".startswith(pending):
                return pending
            else:
                pending = pending[1:]  # line ends between labels
        return pending

    def _format(self, zpl: str) -> None:
        flags = self.flags
        if flags.paper_out or flags.paused or flags.head_open or self.after_job in ("stall", "paper-out"):
            self.queued.append(zpl)
            if self.after_job == "paper-out":
                flags.paper_out = True
        elif self.after_job == "slow":
            self.queued.append(zpl)
            self._slow_left = SLOW_POLLS
        else:
            self.printed.append(zpl)
        if self.after_job == "mute":
            self._muted = True

    def _advance(self) -> None:
        if self.after_job == "slow" and self.queued:
            self._slow_left -= 1
            if self._slow_left <= 0:
                self.printed += self.queued
                self.queued = []

    def _host_status(self) -> bytes:
        f = self.flags
        b = lambda on: "1" if on else "0"  # noqa: E731
        first = (f"030,{b(f.paper_out)},{b(f.paused)},0609,{len(self.queued):03d},{b(f.buffer_full)},0,0,000,0,"
                 f"{b(f.under_temperature)},{b(f.over_temperature)}")
        second = (f"001,0,{b(f.head_open)},{b(f.ribbon_out)},{b(f.thermal_transfer)},2,0,0,"
                  f"{len(self.queued):08d},1,000")
        return b"".join(b"\x02" + s.encode() + b"\x03\r\n" for s in (first, second, "1234,0"))
