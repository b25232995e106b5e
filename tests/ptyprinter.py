"""A serial ESC/POS printer on the far end of a pseudo-terminal, for tests: the kiosk opens the
pty's device file with python-escpos's real Serial backend (pyserial, termios), and this end
takes the bytes no faster than the chosen baud rate carries them (8N1: 10 bits a byte), answers
DLE EOT when the question's bytes have crossed the line, and renders each cut page with the
virtual printer's decoder (printer.escpos_stream.EscPosStream, not our encoder).

It is the outside boundary only: a wire and a printer's receive side, nothing of ours faked.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty

from PIL import Image

from printer.escpos_stream import OFFLINE_MODES, EscPosStream, status_byte, StatusScanner

TICK = 0.02  # seconds of line time taken per read


class PtyPrinter:
    def __init__(self, baudrate: int, mode: str = "ready", *, mode_after: tuple[int, str] | None = None):
        self.baudrate = baudrate
        self.mode = mode
        self.mode_after = mode_after  # (bytes received, mode): e.g. the paper runs out mid-job
        self.pages: list[Image.Image] = []
        self.received = 0
        self.first_byte_at: float | None = None
        self.last_byte_at: float | None = None
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # pyserial sets raw mode too; no echo before it opens
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pty-printer", daemon=True)

    def __enter__(self) -> "PtyPrinter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self._master)
        os.close(self._slave)

    def url(self, **query) -> str:
        params = "&".join(f"{k}={v}" for k, v in {"baudrate": self.baudrate, **query}.items())
        return f"serial://{self.path}?{params}"

    @property
    def line_seconds(self) -> float:
        """How long the bytes received so far took on the line at this baud rate."""
        return self.received * 10 / self.baudrate

    def wait_for_pages(self, count: int, timeout: float = 60) -> list[Image.Image]:
        end = time.monotonic() + timeout
        while len(self.pages) < count and time.monotonic() < end:
            time.sleep(0.05)
        return self.pages

    def _run(self) -> None:
        stream, scanner = EscPosStream(), StatusScanner()
        per_second = self.baudrate / 10
        chunk = max(1, int(per_second * TICK))
        line_free = time.monotonic()
        while not self._stop.is_set():
            if not select.select([self._master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(self._master, chunk)
            except OSError:
                return
            now = time.monotonic()
            # The wire carries bytes at the baud rate: these arrive once it has carried them.
            line_free = max(line_free, now) + len(data) / per_second
            time.sleep(max(0.0, line_free - now))
            self._take(data, stream, scanner)

    def _take(self, data: bytes, stream: EscPosStream, scanner: StatusScanner) -> None:
        self.first_byte_at = self.first_byte_at or time.monotonic()
        self.last_byte_at = time.monotonic()
        self.received += len(data)
        if self.mode_after and self.received >= self.mode_after[0]:
            self.mode = self.mode_after[1]
        queries = scanner.queries(data)
        if queries and self.mode != "silent":
            os.write(self._master, bytes(status_byte(self.mode, n) for n in queries))
        for page in stream.feed(data, offline=self.mode in OFFLINE_MODES):
            if not page.offline:
                self.pages.append(page.render())
