"""A USB ESC/POS printer at pyusb's boundary, for tests: ``usb.core.find`` returns this in
place of the device pyusb would open, and python-escpos's real Usb backend drives it. Like a
real printer it takes a bulk write only as fast as its small buffer empties onto the paper
(a write that cannot finish within its timeout fails as pyusb's does), answers DLE EOT once
the paper has reached the question in its buffer (as many cheap printers do: the answer to a
question asked right after a badge comes as that badge finishes printing), and its pages are
rendered by the virtual printer's decoder.
"""

from __future__ import annotations

import threading
import time

import usb.core

from printer.escpos_stream import OFFLINE_MODES, EscPosStream, status_byte, StatusScanner


class _Context:
    def dispose(self, device) -> None:
        pass


class _Backend:
    """Not libusb1: python-escpos leaves the kernel driver alone."""


class UsbPrinter:
    backend = _Backend()

    def __init__(self, bytes_per_second: float, mode: str = "ready", buffer_size: int = 65536):
        self.bytes_per_second = bytes_per_second  # how fast the paper takes bytes from the buffer
        self.buffer_size = buffer_size
        self.mode = mode
        self.pages = []
        self.received = 0
        self._ctx = _Context()
        self._stream, self._scanner = EscPosStream(), StatusScanner()
        self._paper_free = 0.0  # when the paper will have printed everything received so far
        self._answers = bytearray()
        self._answered = threading.Condition()

    def install(self, monkeypatch) -> None:
        monkeypatch.setattr(usb.core, "find", lambda **_: self)

    def set_configuration(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def write(self, endpoint: int, data: bytes, timeout_ms: int) -> int:
        now = time.monotonic()
        printed_at = max(now, self._paper_free) + len(data) / self.bytes_per_second
        room_at = printed_at - self.buffer_size / self.bytes_per_second  # all but a buffer's worth printed
        if room_at - now > timeout_ms / 1000:  # no room in time: pyusb gives up
            time.sleep(timeout_ms / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=110)
        time.sleep(max(0.0, room_at - now))
        self._paper_free = printed_at
        self.received += len(data)
        queries = self._scanner.queries(bytes(data))
        if queries and self.mode != "silent":
            answer = bytes(status_byte(self.mode, n) for n in queries)
            threading.Timer(max(0.0, printed_at - time.monotonic()), self._answer, (answer,)).start()
        for page in self._stream.feed(bytes(data), offline=self.mode in OFFLINE_MODES):
            if not page.offline:
                self.pages.append(page.render())
        return len(data)

    def _answer(self, answer: bytes) -> None:
        with self._answered:
            self._answers += answer
            self._answered.notify_all()

    def read(self, endpoint: int, size: int, timeout_ms: int | None = None):
        with self._answered:
            if not self._answered.wait_for(lambda: self._answers, (timeout_ms or 1000) / 1000):
                raise usb.core.USBTimeoutError("Operation timed out", errno=110)
            reply = bytes(self._answers[:size])
            del self._answers[:size]
            return reply
