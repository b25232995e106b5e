"""A virtual ESC/POS thermal printer on TCP: what the demo, the tests and an installer without
hardware print to.

It listens like an Epson-compatible network printer on port 9100 (any port here), renders
each job to a 1-bit PNG (``job-0001.png``; ``job-0002-incomplete.png`` when the connection
ended before a cut), answers real-time status queries (DLE EOT n) and can be told to
misbehave: go offline, run out of paper, open its cover, never answer, read slowly, or reset
the connection after N bytes.

Behaviour that mirrors real printers, on purpose, so that tests against it mean something:

* DLE EOT n is answered as soon as its three bytes arrive, wherever they are in the stream,
  even inside image data: Epson documents that real-time commands are executed from the
  receive buffer "and then the printer continues with the bit image".  A client that sends
  raster data may therefore get unsolicited status bytes back and must not mistake them for
  the answer to its next query.
* Status is answered in every mode except "silent", also while offline.
* Commands are parsed incrementally, so a command split across TCP segments is fine.
* A printer without a cutter (58 mm POS-5890 class) never receives a cut: its job ends when
  the connection closes and is recorded with ``complete=False``.
* The receive buffer is small (like a printer's), so a slow reader pushes back on the sender.

Simplifications, documented so nobody relies on them:

* While the mode is offline, paper-out or cover-open, every job that was (partly) received
  in that mode is discarded: not in ``jobs``, no file.  A real printer would hold the data
  and print it once it is back online; discarding makes "nothing reached the paper" visible.
* Text (printer/virtual_native.py) is drawn in Pillow's default font in 12x24-dot cells
  magnified by GS !, aligned by ESC a, wrapped at the head's width (48 characters on 80 mm),
  30 dots a line; decoded as GB18030 (Chinese-market printers start in that double-byte mode)
  until FS . selects the ESC t code page. Bold and underline have no visible effect. QR codes
  (GS ( k, model 2) are drawn from the stored data, without a quiet zone, like Epson's.
* Connections are served concurrently (a real printer serves one at a time on 9100).
"""

from __future__ import annotations

import re
import socket
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from printer.device import DEFAULT_WIDTH
from printer.escpos_stream import MODES, OFFLINE_MODES, EscPosStream, Page, status_byte, StatusScanner

IDLE_TIMEOUT = 30.0  # seconds without data before a connection is closed
RECEIVE_BUFFER = 8192  # bytes; real printers buffer a few KB, so senders feel backpressure
_ACCEPT_POLL = 0.05  # seconds: how soon the accept loop notices stop()


@dataclass(eq=False)
class Job:
    """One printout, as the tests and the console see it."""

    number: int
    image: Image.Image | None  # mode "1": what the paper shows; None if nothing was drawn
    complete: bool  # ended by a cut; False if the connection ended mid-job (or no cutter)
    path: Path | None  # the PNG written, None without out_dir or image
    bytes_received: int
    unknown: list[bytes]  # commands not recognised (empty for our kiosk)
    text: str  # printable bytes sent as text (only the hybrid stream sends any)


class VirtualPrinter:
    """The printer: a listening socket, a thread per connection, and the jobs they produced."""

    def __init__(self, out_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 mode: str = "ready", bytes_per_second: int | None = None,
                 drop_after: int | None = None, width: int = DEFAULT_WIDTH):
        self.width = width  # dots across the head: 576 (80 mm) or 384 (58 mm)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.host, self.port = host, port
        self.mode = mode
        self.bytes_per_second = bytes_per_second
        self.drop_after = drop_after
        self.jobs: list[Job] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._next_number = 1

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"printer mode {value!r}: expected one of {', '.join(MODES)}")
        self._mode = value

    def start(self) -> VirtualPrinter:
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._next_number = _next_free_number(self.out_dir)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)  # inherited by connections
        listener.bind((self.host, self.port))
        listener.listen()
        listener.settimeout(_ACCEPT_POLL)
        self._listener, self.port = listener, listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"virtual-printer:{self.port}",
                                          daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop listening and end open connections (their unfinished jobs are recorded)."""
        self._stopping.set()
        if self._acceptor is None:
            return
        self._acceptor.join()
        self._listener.close()
        with self._changed:
            connections = dict(self._connections)
        for conn, thread in connections.items():
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its thread
            thread.join(timeout=5)

    def wait_for_jobs(self, count: int, timeout: float = 10) -> list[Job]:
        """All jobs so far, once there are at least ``count``; TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise TimeoutError(f"{len(self.jobs)} of {count} print jobs after {timeout} s")
            return list(self.jobs)

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # e.g. out of file descriptors: wait for one, rather than die or spin
                self._stopping.wait(_ACCEPT_POLL)
                continue
            thread = threading.Thread(target=self._serve_connection, args=(conn,), daemon=True,
                                      name=f"virtual-printer:{self.port}:connection")
            with self._changed:
                self._connections[conn] = thread
            thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        stream, scanner = EscPosStream(self.width), StatusScanner()
        received = 0
        try:
            conn.settimeout(IDLE_TIMEOUT)
            while not self._dropped(conn, received):
                data = conn.recv(self._chunk_size(received))
                if not data:
                    break
                received += len(data)
                offline = self.mode in OFFLINE_MODES
                self._answer(conn, scanner.queries(data))
                for page in stream.feed(data, offline=offline):
                    self._record(page)
                self._throttle(len(data))
        except OSError:
            pass  # idle timeout, reset by the client, or stop(): what arrived is still recorded
        finally:
            conn.close()  # first, so that a job is only visible once a drop's RST has gone out
            with self._changed:
                self._connections.pop(conn, None)
        page = stream.close()
        if page:
            self._record(page)

    def _dropped(self, conn: socket.socket, received: int) -> bool:
        """Past drop_after: arrange for close() to reset the connection (RST), like a crash."""
        if self.drop_after is None or received < self.drop_after:
            return False
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return True

    def _chunk_size(self, received: int) -> int:
        size = max(1, self.bytes_per_second // 10) if self.bytes_per_second else 65536
        return min(size, self.drop_after - received) if self.drop_after is not None else size

    def _answer(self, conn: socket.socket, queries: list[int]) -> None:
        mode = self.mode
        if queries and mode != "silent":
            conn.sendall(bytes(status_byte(mode, n) for n in queries))

    def _throttle(self, size: int) -> None:
        rate = self.bytes_per_second
        if rate:
            self._stopping.wait(size / rate)

    def _record(self, page: Page) -> None:
        if page.offline:
            return  # an offline printer prints nothing (see the module docstring)
        image = page.render()
        with self._changed:
            number = self._next_number
            self._next_number += 1
            path = self._save(number, image, page.cut)
            self.jobs.append(Job(number, image, page.cut, path, page.received, page.unknown, page.text))
            self._changed.notify_all()

    def _save(self, number: int, image: Image.Image | None, complete: bool) -> Path | None:
        if self.out_dir is None or image is None:
            return None
        path = self.out_dir / f"job-{number:04d}{'' if complete else '-incomplete'}.png"
        temporary = path.with_suffix(".tmp")  # so a watcher never sees half a file
        image.save(temporary, format="PNG")
        temporary.replace(path)
        return path


def _next_free_number(out_dir: Path) -> int:
    """Continue after the jobs already in out_dir, so a restart never overwrites a printout."""
    numbers = [int(m.group(1)) for p in out_dir.glob("job-*.png") if (m := re.match(r"job-(\d+)", p.name))]
    return max(numbers, default=0) + 1


def describe(job: Job) -> str:
    """One line about a job, for the console."""
    size = f"{job.image.width}x{job.image.height} dots" if job.image else "blank"
    parts = [f"job {job.number}: {size}", f"{job.bytes_received} bytes", str(job.path or "no file"),
             "complete" if job.complete else "incomplete (no cut: connection ended)"]
    if job.unknown:
        parts.append(f"{len(job.unknown)} unknown commands")
    if job.text:
        parts.append("text sent")
    return ", ".join(parts)


def serve(port: int, out_dir: Path, host: str = "127.0.0.1", mode: str = "ready",
          bytes_per_second: int | None = None, drop_after: int | None = None, width: int = DEFAULT_WIDTH) -> None:
    """Run a virtual printer in the foreground until Ctrl-C, printing one line per job."""
    with VirtualPrinter(out_dir, host, port, mode=mode, bytes_per_second=bytes_per_second,
                        drop_after=drop_after, width=width) as printer:
        print(f"virtual printer on {host}:{printer.port} (mode {mode}), jobs in {out_dir}", flush=True)
        seen = 0
        try:
            while True:
                try:
                    jobs = printer.wait_for_jobs(seen + 1, timeout=1)
                except TimeoutError:
                    continue
                for job in jobs[seen:]:
                    print(describe(job), flush=True)
                seen = len(jobs)
        except KeyboardInterrupt:
            pass
