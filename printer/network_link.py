"""The network backend (raw TCP, port 9100): python-escpos's Network with the whole-job
deadline and the status reads the job logic needs (printer.device).

python-escpos's timeout bounds each send; here the job's deadline bounds the whole job, status
questions go out at once (no Nagle), a status answer is waited for as long as the job may take
after it, and a job counts as sent only once the printer's TCP has acknowledged it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import termios
import time

from printer.deadline import JobDeadline


def network_class(status_timeout: float):
    from escpos import printer as backends

    class Network(JobDeadline, backends.Network):
        """python-escpos's Network, but its timeout bounds the whole job, not each send."""

        def open(self, raise_not_found: bool = True) -> None:
            self.timeout = min(self.timeout, self._remaining())
            super().open(raise_not_found)
            # A status query is a 3-byte write that waits for its answer: Nagle's algorithm
            # would hold it back until the printer's delayed ACK, tens of ms per question.
            self.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _raw(self, msg: bytes) -> None:
            self.device.settimeout(self._remaining())
            self.device.sendall(msg)

        def _read(self) -> bytes:
            wait = self._remaining()
            self.device.settimeout(wait if self.patient else min(status_timeout, wait))
            return self.device.recv(16)

        def wait_sent(self) -> None:
            """Until the printer's TCP has acknowledged every byte of the job: a printer that
            resets mid-job is then known to lack the end of it. At the deadline what is still
            queued is dropped (the connection reset), so that it never arrives after we said
            the job failed."""
            while _unacknowledged(self.device):
                error = self.device.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    raise ConnectionResetError(error, os.strerror(error))
                if time.monotonic() >= self.deadline:
                    self.device.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.aborted = True
                    raise socket.timeout("job deadline passed with bytes not yet taken by the printer")
                time.sleep(0.02)

        def close(self) -> None:
            if getattr(self, "aborted", False) and self._device:
                self._device.close()  # with SO_LINGER 0: a reset, the queued bytes dropped
                self._device = False
                return
            super().close()

        def drain(self) -> None:
            """Drop bytes the printer sent unasked: it answers any DLE EOT byte sequence, even
            one that occurs by chance inside image data, and those stale answers must not be
            read as the reply to our next question."""
            self.device.setblocking(False)
            try:
                while self.device.recv(4096):
                    pass
            except (BlockingIOError, InterruptedError):
                pass
            finally:
                self.device.setblocking(True)

    return Network


def _unacknowledged(sock: socket.socket) -> int:
    """Bytes of ours the peer's TCP has not acknowledged yet (Linux SIOCOUTQ; 0 elsewhere)."""
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0)))[0]
    except OSError:
        return 0
