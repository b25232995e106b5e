"""Brother QL label printers driven directly, without CUPS: raw TCP port 9100 or the USB
printer device file (``/dev/usb/lpN``), in Brother's raster language (printer/ql_raster.py).

``brother-ql://192.168.1.20?model=QL-820NWB&label=62x100`` or
``brother-ql:///dev/usb/lp0?label=62``.  Before each job the printer is asked for its status
(``ESC i S``): no labels, an open cover, a jammed cutter or the wrong roll (named, e.g.
"loaded 29 mm, the badge needs 62 mm") refuse the job before a byte of it is sent.  After the
job, a printer that talks (USB always; on the network, those that answer on 9100) reports
"printing completed" or the error that stopped it.  So "not printed" is said only when it is
true: the printer refused, reported an error, or never received the job's print command.
A network printer that never answers is sent the job and trusted once it has read all of it.
"""

from __future__ import annotations

import os
import select
import socket
import time
from contextlib import contextmanager
from typing import Iterator, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

from printer.device import STATUS_TIMEOUT, PrinterNotReady, PrintInterrupted, Printer, _describe
from printer.errors import PrinterError
from printer.ql_raster import INITIALISE, INVALIDATE, MODELS, STATUS_REQUEST, DPI, Media, Model, encode_job, media
from printer.ql_status import ERROR_OCCURRED, REPLY, QLStatus, frames
from printer.status import MESSAGES, Status

DEFAULT_MODEL = "QL-820NWB"
DEFAULT_LABEL = "62"
JOB_TIMEOUT = 10.0  # connect and send; the wait for "printing completed" gets PAGE_SECONDS more
PAGE_SECONDS = 5.0  # a 100 mm label prints in about 1 s; a head cooling down pauses it longer
USB_STATUS_TIMEOUT = 3.0  # a USB printer always answers, but may finish a cut first
DRAIN_SECONDS = 2.0  # a silent network printer closes the connection once it has read the job


class LabelsNotReady(PrinterNotReady):
    """The printer's status, before the job, says it cannot print this badge: in words."""

    def __init__(self, status: Status, words: str):
        super().__init__(status)
        self.args = (f"not printed: {words}",)


class _Link:
    """How bytes reach the printer and its replies come back, each step bounded by a deadline."""

    answers: bool = False  # a printer that must answer a status request (USB) or may (network)

    def write(self, data: bytes, deadline: float) -> None:
        raise NotImplementedError

    def read(self, wait: float) -> bytes | None:
        """What the printer sent within ``wait`` seconds: b"" for nothing, None at end of file."""
        raise NotImplementedError

    def finish(self, deadline: float) -> None:
        """After the job: wait until the printer has read all of it, where that can be seen."""

    def close(self) -> None:
        raise NotImplementedError


class _Tcp(_Link):
    def __init__(self, host: str, port: int, deadline: float):
        self.sock = socket.create_connection((host, port), timeout=_left(deadline))
        # a 3-byte status request must not wait for the printer's delayed ACK (Nagle)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(_left(deadline))
        self.sock.sendall(data)

    def read(self, wait: float) -> bytes | None:
        self.sock.settimeout(max(wait, 0.001))
        try:
            return self.sock.recv(4096) or None
        except (socket.timeout, TimeoutError):
            return b""

    def finish(self, deadline: float) -> None:
        # Half-close and read to the end: a printer that closes its side has read every byte,
        # so the socket is not closed under a job still in flight.
        self.sock.shutdown(socket.SHUT_WR)
        until = min(deadline, time.monotonic() + DRAIN_SECONDS)
        while time.monotonic() < until:
            if self.read(until - time.monotonic()) is None:
                return

    def close(self) -> None:
        self.sock.close()


class _DeviceFile(_Link):
    """The kernel's USB printer device (usblp): bidirectional, so the printer's status replies
    are read from the same file.  Non-blocking, so an unplugged printer cannot hang a job."""

    answers = True

    def __init__(self, path: str):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.fd], [], _left(deadline))
            if ready:
                try:
                    view = view[os.write(self.fd, view[:16384]):]
                except BlockingIOError:
                    pass

    def read(self, wait: float) -> bytes | None:
        readable, _, _ = select.select([self.fd], [], [], max(wait, 0))
        if not readable:
            return b""
        try:
            return os.read(self.fd, 4096) or b""
        except BlockingIOError:
            return b""

    def close(self) -> None:
        os.close(self.fd)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("job deadline passed")
    return left


class BrotherQLPrinter(Printer):
    """A Brother QL with one roll of DK labels (``medium``), printing each page on one label."""

    def __init__(self, url: str, connect, medium: Media, model: Model, *, timeout: float = JOB_TIMEOUT,
                 must_answer: bool = False):
        self.url, self.medium, self.model, self.profile = url, medium, model, model.name
        self.dpi = DPI
        self._width: int | None = None
        self._connect = connect
        self.timeout = timeout
        self.must_answer = must_answer  # USB: silence means the printer is off or not there
        self.last_status: QLStatus | None = None

    @property
    def width(self) -> int:
        """The width pages are laid out at: the roll's printable width, but on a die-cut label
        the widest at which even the tallest badge fits its length, as printer/labels.py
        chooses it for the same roll through CUPS, so no badge is ever shrunk (fit_to_label
        still scales down anything taller, such as a roll call).  Found once, when first asked."""
        if self._width is None:
            from printer.labels import widest_badge_for  # renders trial badges: only when needed

            self._width = widest_badge_for(self.medium.dots, self.medium.length_dots or None, dpi=self.dpi)
        return self._width

    # -- status -----------------------------------------------------------------------------

    def status(self) -> Status:
        try:
            with self._link(time.monotonic() + self.timeout) as link:
                reply = self._ask(link)
        except PrinterError:
            return Status.NO_ANSWER
        self.last_status = reply
        if reply is None:
            return Status.NO_ANSWER if self.must_answer else Status.UNKNOWN
        return reply.state(self.medium)

    def status_message(self, status: Status) -> str:
        """The last status read, in words ("wrong labels: loaded 29 mm, ..."): more than ``status``,
        when it is the one ``status`` came from (not a reply from before the printer went quiet)."""
        last = self.last_status
        if last is not None and last.state(self.medium) is status:
            return last.words(self.medium)
        if status is Status.NO_ANSWER and self.must_answer:
            return "the printer does not answer (switched off, unplugged, or another device file)"
        if status is Status.UNKNOWN:
            return "status unknown: the printer does not answer status requests on this port"
        return MESSAGES[status]

    def _ask(self, link: _Link) -> QLStatus | None:
        link.write(INVALIDATE + INITIALISE + STATUS_REQUEST, time.monotonic() + self.timeout)
        buffer, seen = bytearray(), None
        until = time.monotonic() + (USB_STATUS_TIMEOUT if self.must_answer else STATUS_TIMEOUT)
        while time.monotonic() < until:
            chunk = link.read(until - time.monotonic())
            if chunk is None:
                break
            buffer += chunk
            for report in frames(buffer):
                if report.status_type == REPLY:
                    return report
                seen = report  # a report left over from the last job (USB keeps them): not the answer
        return seen

    # -- printing ---------------------------------------------------------------------------

    def warm_up(self, content) -> None:
        encode_job([self.badge_page(content)], self.medium, self.model)  # finds the die-cut width too

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        job = encode_job(pages, self.medium, self.model)  # before connecting: a layout error sends nothing
        deadline = time.monotonic() + self.timeout
        with self._link(deadline) as link:
            before = self._ask(link)
            self.last_status = before
            self._check_before(before)
            try:
                link.write(job, deadline)
            except (OSError, TimeoutError) as exc:
                # A page prints on its print command, its last byte: without it nothing comes out
                # (of a job of several pages, those before may have).
                whole = " whole" if len(pages) > 1 else ""
                raise PrintInterrupted(f"not printed{whole}: {_describe(exc)} before the whole job was sent "
                                       f"({self.url})") from None
            if before is None:
                self._trust_silent(link, deadline)
            else:
                self._await_completion(link, len(pages), deadline + PAGE_SECONDS * len(pages))

    def _check_before(self, before: QLStatus | None) -> None:
        if before is None:
            if self.must_answer:
                raise PrinterNotReady(Status.NO_ANSWER)
            return  # a network printer that keeps quiet on 9100: its status is unknown
        problems = before.problems(self.medium)
        if problems:
            raise LabelsNotReady(problems[0][1], before.words(self.medium))

    @staticmethod
    def _trust_silent(link: _Link, deadline: float) -> None:
        try:
            link.finish(deadline)
        except (OSError, TimeoutError):
            # Every byte was handed over and the printer never said a word: a reset now may be
            # how its firmware ends any connection, so "not printed" would not be known true.
            pass

    def _await_completion(self, link: _Link, pages: int, deadline: float) -> None:
        """Read the printer's own reports until each page is "printing completed", raising on
        the error report that stops it.  A printer that reports neither before the deadline
        had the whole job and named no fault: it is taken as printed, not as failed."""
        buffer, done = bytearray(), 0
        while done < pages and time.monotonic() < deadline:
            try:
                chunk = link.read(deadline - time.monotonic())
            except OSError:
                return
            if chunk is None:
                return
            buffer += chunk
            for report in frames(buffer):
                self.last_status = report
                if report.status_type == ERROR_OCCURRED or report.faults():
                    raise PrintInterrupted(f"not printed whole: {report.words(self.medium)} ({self.url})")
                done += report.completed

    @contextmanager
    def _link(self, deadline: float) -> Iterator[_Link]:
        try:
            link = self._connect(deadline)
        except (OSError, TimeoutError) as exc:  # no byte left: a fallback printer may take the job
            raise PrintInterrupted(f"not printed: {_describe(exc)} ({self.url})", reached_printer=False) from None
        try:
            yield link
        except (OSError, TimeoutError) as exc:
            raise PrintInterrupted(f"not printed: {_describe(exc)} ({self.url})") from None
        finally:
            try:
                link.close()
            except OSError:
                pass


def open_brother_ql(url: str) -> BrotherQLPrinter:
    """The printer a ``brother-ql://`` URL names: a host (port 9100 unless given) or, with an
    empty host, the device file in the path."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    name = query.get("model", DEFAULT_MODEL).upper()
    if name not in MODELS:
        raise PrinterError(f"printer URL {url!r}: model {name!r} is not a 62 mm (720-pin) Brother QL: "
                           f"one of {', '.join(MODELS)}")
    model = MODELS[name]
    try:
        medium = media(query.get("label", DEFAULT_LABEL))
        timeout = float(query.get("timeout", JOB_TIMEOUT))
        port = parts.port or 9100
    except ValueError as exc:
        raise PrinterError(f"printer URL {url!r}: {exc}") from None
    if parts.hostname:
        host = parts.hostname
        return BrotherQLPrinter(url, lambda deadline: _Tcp(host, port, deadline), medium, model, timeout=timeout)
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise PrinterError(f"printer URL {url!r}: give a host (brother-ql://192.168.1.20) or a device file "
                           "(brother-ql:///dev/usb/lp0)")
    return BrotherQLPrinter(url, lambda deadline: _DeviceFile(path), medium, model, timeout=timeout,
                            must_answer=True)
