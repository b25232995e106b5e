"""Zebra (ZPL II) label printers over raw TCP, port 9100: ``zpl://HOST:9100?dpi=203&label=4x3``.

A badge goes as a ZPL label (printer/zpl_badge.py): the printer's own font for Latin text, its
own QR (``^BQ``), graphics for Chinese; other pages (roll call, test page) as one graphic each.
Before the job the kiosk asks ``~HS`` and refuses to print into a printer that is out of paper,
paused, open, out of ribbon, too hot or full; after it, it asks again until the printer's queue
is empty, so the kiosk says "printed" when the label left the printer, and "not printed" only
when that is true: a badge still queued behind a fault is cancelled (``~JA``), so it cannot come
out later beside the reprint reception makes. When the printer stops answering after taking the
job, or stays busy past the deadline, the answer is "not confirmed", which is what is known.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from printer import zpl_format
from printer.device import Printer, PrinterNotReady, PrintInterrupted
from printer.errors import PrinterError
from printer.outcome import CHECK_THE_PRINTER, PrintOutcomeUnknown
from printer.status import MESSAGES, Status
from printer.zpl_badge import Label, badge_zpl

DEFAULT_PORT = 9100
DEFAULT_DPI = 203
DEFAULT_LABEL = "4x3"
DPIS = (152, 203, 300, 600)
STATUS_TIMEOUT = 2.0  # seconds for the three lines of a ~HS reply
POLL_SECONDS = 0.2  # between ~HS questions while the label prints
LINK_BYTES_PER_SECOND = 20_000  # a slow Wi-Fi link or a serial bridge; Ethernet is far faster
SLOWEST_INCHES_PER_SECOND = 2.0  # Zebra desktop printers print 2-8 in/s
JOB_MARGIN = 8.0  # seconds: connecting, asking, the printer's own start-up of a job

_REPLY = re.compile(rb"\x02([^\x02\x03]*)\x03")


class PrintUnconfirmed(PrintOutcomeUnknown):
    """The badge reached the printer, but whether it came out is not known (told as every
    printer's unknown outcome is, so reception checks the printer rather than reprints)."""

    def __init__(self, message: str):
        super().__init__(f"{CHECK_THE_PRINTER}: {message}")


class ZebraNotReady(PrinterNotReady):
    """Before the job, the printer said (in ~HS) why it cannot print; nothing was sent."""

    def __init__(self, status: HostStatus | None):
        PrinterError.__init__(self, "not printed: " + (status.describe() if status else
                                                       "the printer does not answer its status question (~HS)"))
        self.status = status.status if status else Status.NO_ANSWER
        self.code = self.status.value


@dataclass(frozen=True)
class HostStatus:
    """The fields of a ``~HS`` reply the kiosk acts on (ZPL II manual, ~HS)."""

    paper_out: bool = False
    paused: bool = False
    head_open: bool = False
    ribbon_out: bool = False
    over_temperature: bool = False
    under_temperature: bool = False
    buffer_full: bool = False
    corrupt_ram: bool = False
    formats_queued: int = 0
    labels_remaining: int = 0
    partial_format: bool = False

    @classmethod
    def parse(cls, reply: bytes) -> HostStatus | None:
        """The three STX...ETX strings of a reply; None unless all three are there and sane.

        1: aaa,b paper out,c pause,dddd label length,eee formats in buffer,f buffer full,
           g diagnostics,h partial format,iii,j corrupt RAM,k under temp,l over temp
        2: mmm,n,o head up,p ribbon out,q thermal transfer,r print mode,s,t label waiting,
           uuuuuuuu labels remaining,v,www
        3: xxxx password,y static RAM
        """
        strings = [m.group(1).decode("ascii", "replace").split(",") for m in _REPLY.finditer(reply)]
        if len(strings) < 3 or len(strings[0]) < 12 or len(strings[1]) < 9:
            return None
        if not all(f.strip().isdigit() for f in strings[0] + strings[1]):
            return None  # line noise or another printer language, not a status
        first, second = strings[0], strings[1]
        try:
            flag = lambda fields, i: int(fields[i].strip()) == 1  # noqa: E731 - one line each below
            return cls(paper_out=flag(first, 1), paused=flag(first, 2), buffer_full=flag(first, 5),
                       partial_format=flag(first, 7), corrupt_ram=flag(first, 9),
                       under_temperature=flag(first, 10), over_temperature=flag(first, 11),
                       formats_queued=int(first[4]), head_open=flag(second, 2),
                       # The ribbon sensor matters only in thermal transfer mode.
                       ribbon_out=flag(second, 3) and flag(second, 4),
                       labels_remaining=int(second[8]))
        except ValueError:
            return None

    @property
    def problems(self) -> list[str]:
        """Why it cannot print now, in words for the operator; empty when it can."""
        words = [
            (self.paper_out, "out of labels (paper out)"),
            (self.head_open, "the print head is open"),
            (self.ribbon_out, "out of ribbon"),
            (self.paused, "the printer is paused (press PAUSE on the printer to resume)"),
            (self.over_temperature, "the print head is too hot"),
            (self.buffer_full, "the printer's receive buffer is full"),
            (self.corrupt_ram, "the printer's memory is corrupt (switch it off and on)"),
        ]
        return [text for on, text in words if on]

    @property
    def busy(self) -> bool:
        """A label is still queued or printing."""
        return bool(self.formats_queued or self.labels_remaining or self.partial_format)

    @property
    def status(self) -> Status:
        if self.paper_out:
            return Status.PAPER_OUT
        if self.head_open:
            return Status.COVER_OPEN
        return Status.OFFLINE if self.problems else Status.READY

    def describe(self) -> str:
        words = self.problems + (["the print head is cold (labels print faint)"] if self.under_temperature else [])
        return "; ".join(words) or "ready"


class ZplPrinter(Printer):
    """A ZPL printer on a TCP port; one connection per job."""

    profile = "zpl"

    def __init__(self, url: str, host: str, port: int, label: Label, timeout: float | None = None):
        self.url, self.host, self.port, self.label = url, host, port, label
        self.width = label.width
        self.timeout = timeout  # None: from the job's size and the label's length
        self.last_job = b""
        self.last_status: HostStatus | None = None

    def status(self) -> Status:
        self.last_status = self.host_status()
        return self.last_status.status if self.last_status else Status.NO_ANSWER

    def status_message(self, status: Status) -> str:
        last = self.last_status
        return last.describe() if last is not None and last.status is status else MESSAGES[status]

    def host_status(self) -> HostStatus | None:
        """The printer's ~HS answer in full (None when it does not answer)."""
        deadline = time.monotonic() + STATUS_TIMEOUT + 3
        try:
            with self._connect(deadline) as conn:
                return self._ask(conn, deadline)
        except OSError:
            return None

    def print_badge(self, content, *, name: str = "badge") -> None:
        self._job(badge_zpl(content, self.label).encode("ascii"))

    def warm_up(self, content) -> None:
        badge_zpl(content, self.label)  # what print_badge sends: no raster badge is ever drawn

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        self._job("".join(_page_zpl(page, self.label) for page in pages).encode("ascii"))

    def job_seconds(self, size: int, labels: int = 1) -> float:
        """How long a job of ``size`` bytes may take: the link, the slowest print speed, a margin."""
        if self.timeout is not None:
            return self.timeout
        inches = labels * self.label.length / self.label.dpi
        return JOB_MARGIN + size / LINK_BYTES_PER_SECOND + inches / SLOWEST_INCHES_PER_SECOND

    def _job(self, zpl: bytes) -> None:
        self.last_job = zpl
        seconds = self.job_seconds(len(zpl), max(1, zpl.count(b"^XZ")))
        deadline = time.monotonic() + seconds
        try:
            conn = self._connect(deadline)
        except OSError as exc:  # no byte left: a fallback printer may take the job
            raise PrintInterrupted(f"not printed: {_describe(exc)} ({self.url})", reached_printer=False) from None
        with conn:
            before = self._ask(conn, deadline)
            if before is None or before.problems:
                raise ZebraNotReady(before)
            try:
                conn.settimeout(max(0.01, deadline - time.monotonic()))
                conn.sendall(zpl)
            except OSError as exc:
                # A label is printed only once its ^XZ arrived; a cut stream leaves none.
                raise PrintInterrupted(f"not printed: {_describe(exc)} mid-job ({self.url})") from None
            self._confirm(conn, deadline, seconds)

    def _confirm(self, conn: socket.socket, deadline: float, seconds: float) -> None:
        """Ask until the printer's queue is empty (printed), a fault shows, or time is up."""
        while True:
            after = self._ask(conn, deadline)
            if after is None:
                raise PrintUnconfirmed("printing not confirmed: the printer took the badge, then stopped "
                                       f"answering; check whether it came out ({self.url})")
            if after.problems:
                if after.busy:
                    self._cancel(conn, deadline, after)
                raise PrintUnconfirmed(f"printing not confirmed: {after.describe()} once the badge "
                                       f"had left the queue; check it came out whole ({self.url})")
            if not after.busy:
                return
            if time.monotonic() + POLL_SECONDS >= deadline:
                raise PrintUnconfirmed(f"printing not confirmed: the badge was still queued in the printer "
                                       f"after {seconds:.0f} s; it may yet print ({self.url})")
            time.sleep(POLL_SECONDS)

    def _cancel(self, conn: socket.socket, deadline: float, fault: HostStatus) -> None:
        """Cancel the queued badge (~JA), so it cannot come out after reception's reprint, and
        say "not printed" once the printer shows an empty queue."""
        conn.sendall(b"~JA")
        emptied = self._ask(conn, deadline + STATUS_TIMEOUT)
        if emptied is not None and not emptied.busy:
            raise PrintInterrupted(f"not printed: {fault.describe()} (the badge was cancelled in the "
                                   f"printer) ({self.url})")
        raise PrintUnconfirmed(f"printing not confirmed: {fault.describe()}, and the printer did not "
                               f"confirm cancelling the badge; it may print once fixed ({self.url})")

    def _connect(self, deadline: float) -> socket.socket:
        conn = socket.create_connection((self.host, self.port), timeout=max(0.01, deadline - time.monotonic()))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _ask(self, conn: socket.socket, deadline: float) -> HostStatus | None:
        """Send ~HS and read its three strings; None when they do not all come in time."""
        _drain(conn)
        try:
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            conn.sendall(b"~HS")
            reply = b""
            wait_until = min(deadline, time.monotonic() + STATUS_TIMEOUT)
            while reply.count(b"\x03") < 3:
                left = wait_until - time.monotonic()
                if left <= 0:
                    return None
                conn.settimeout(left)
                chunk = conn.recv(1024)
                if not chunk:
                    return None
                reply += chunk
        except OSError:
            return None
        return HostStatus.parse(reply)


def _drain(conn: socket.socket) -> None:
    """Drop anything the printer sent unasked, so it is not read as the next answer."""
    conn.setblocking(False)
    try:
        while conn.recv(4096):
            pass
    except (BlockingIOError, InterruptedError, OSError):
        pass
    finally:
        conn.setblocking(True)


def _describe(exc: OSError) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "the printer did not respond in time"
    if isinstance(exc, ConnectionRefusedError):
        return "the printer refused the connection"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "the connection to the printer was cut"
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _page_zpl(page: Image.Image, label: Label) -> str:
    """A page drawn by us (roll call, test page) as one graphic on a label of its height."""
    if page.width > label.width:
        page = page.resize((label.width, round(page.height * label.width / page.width)))
    return (f"^XA^PW{label.width}^LL{page.height}^LH0,0" + zpl_format.graphic(0, 0, page.convert("1"))
            + "^PQ1,0,1,Y^XZ\n")


def open_zpl(url: str) -> ZplPrinter:
    """``zpl://HOST[:PORT]?dpi=203&label=4x3`` (inches, width x length) or with
    ``width_mm=...&length_mm=...``; ``timeout=`` seconds overrides the computed job deadline."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        if not parts.hostname:
            raise ValueError("zpl:// needs a host, e.g. zpl://192.168.1.30:9100?dpi=203&label=4x3")
        dpi = int(query.get("dpi", DEFAULT_DPI))
        if dpi not in DPIS:
            raise ValueError(f"dpi must be one of {', '.join(map(str, DPIS))}")
        if "width_mm" in query or "length_mm" in query:
            width_mm, length_mm = float(query["width_mm"]), float(query["length_mm"])
        else:
            w, _, l = query.get("label", DEFAULT_LABEL).lower().partition("x")
            width_mm, length_mm = float(w) * 25.4, float(l) * 25.4
        if not (25 <= width_mm <= 220 and 25 <= length_mm <= 1000):
            raise ValueError("the label must be 25-220 mm wide and 25-1000 mm long")
        label = Label(round(width_mm * dpi / 25.4), round(length_mm * dpi / 25.4), dpi)
        timeout = float(query["timeout"]) if "timeout" in query else None
        port = parts.port or DEFAULT_PORT
    except (ValueError, KeyError) as exc:
        detail = f"{exc.args[0]} is missing" if isinstance(exc, KeyError) else str(exc)
        raise PrinterError(f"printer URL {url!r}: {detail}") from None
    return ZplPrinter(url, parts.hostname, port, label, timeout)
