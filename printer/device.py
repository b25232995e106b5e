"""Printers as the kiosk sees them: print pages of 1-bit images, report status, know the width.

One abstract :class:`Printer` holds the job logic (status before, send, status after) once;
backends are small. ESC/POS backends are python-escpos's own (Network, Usb, Serial, File, LP)
driven through its high-level ``image`` and ``cut``, with its printer profiles for the paper
width and the cutter. Each job may take as long as its bytes need on its link (printer.deadline),
and its outcome is told only as far as it is known (printer.outcome). The preview backend
writes each page as a PNG: it is the default, so a kiosk with no printer attached still works
and an installer sees exactly what paper would show.

Pages are raster (``GS v 0``) made from our own layout: Chinese prints on printers with no
Chinese font. How they are sent is the URL's ``stream`` (printer/escpos_lean.py): all raster,
lean (blank rows as feeds; the printer's own QR with ``qr=printer``) or hybrid (that, and Latin
lines in the printer's font);
text reaches the printer only as printable code-page bytes, never as a control byte.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

from printer import deadline as timing
from printer.errors import PrinterError
from printer.outcome import PrinterNotReady, PrintInterrupted, PrintOutcomeUnknown, Progress, judged  # noqa: F401
from printer.network_link import network_class
from printer.serial_link import DEFAULT_BAUDRATE, serial_class
from printer.status import DLE_EOT, MESSAGES, Status, read_status
from printer.usb_link import usb_class

DEFAULT_WIDTH = 576  # 80 mm paper at 203 dpi, the common kiosk printer
DEFAULT_PROFILE = "TM-T20II"
# Tall GS v 0 images overflow the receive buffer of cheap printers (POS-58 class firmware
# prints garbage or stalls above a few hundred rows); 256-row bands work everywhere.
FRAGMENT_HEIGHT = 256
JOB_TIMEOUT = 10.0  # seconds for a status question, connect included (a job's: printer.deadline)
STATUS_TIMEOUT = 1.5  # seconds to wait for one DLE EOT reply


class Printer(ABC):
    """A printer of 1-bit raster pages ``width`` dots wide, cut after each page."""

    width: int = DEFAULT_WIDTH
    profile: str = DEFAULT_PROFILE
    url: str = ""
    dpi: int = 203  # what badges are laid out for (their QR's module size); label printers say more

    def print_image(self, image: Image.Image, *, name: str = "job") -> None:
        self.print_pages([image], name=name)

    def print_badge(self, content, *, name: str = "badge") -> None:
        """Print one visitor badge (a printer.badge.BadgeContent): as our raster here; a printer
        with fonts and barcodes of its own (ZPL) overrides this to draw it natively."""
        from printer.badge import render_badge

        self.print_rendered(lambda width: [render_badge(content, width, dpi=self.dpi)], name=name)

    def badge_page(self, content) -> Image.Image:
        """The raster page print_badge prints: laid out at this printer's width and dpi."""
        from printer.badge import render_badge

        return render_badge(content, self.width, dpi=self.dpi)

    def warm_up(self, content) -> None:
        """Prepare ``content`` as print_badge would, sending nothing, so the first visitor does
        not also wait for code, fonts and layout searches to load.  Backends that turn pages
        into bytes of their own, or draw badges natively (ZPL), warm that too."""
        self.badge_page(content)

    def print_rendered(self, render: Callable[[int], Sequence[Image.Image]], *, name: str = "job") -> None:
        """Lay the pages out for this printer's width (``render(width)``) and print them: a
        printer with a fallback (printer.fallback) lays them out again for the fallback's."""
        self.print_pages(render(self.width), name=name)

    @property
    def printed_by(self) -> str:
        """The URL of the printer that printed the last job (a fallback's, say)."""
        return self.url

    @abstractmethod
    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        """Print and cut each page; raise PrinterError unless all of it reached the paper."""

    @abstractmethod
    def status(self) -> Status:
        """What the printer says about itself now."""

    def status_message(self, status: Status) -> str:
        """``status`` in words; a printer that says more about itself (ZPL ~HS) says it here."""
        return MESSAGES[status]


class PreviewPrinter(Printer):
    """Writes each page to DIR as a PNG, exactly the image a thermal printer would get."""

    def __init__(self, directory: Path, width: int = DEFAULT_WIDTH, profile: str = DEFAULT_PROFILE):
        self.directory = Path(directory)
        self.width = width
        self.profile = profile
        self.url = f"preview://{self.directory}"
        self.last_paths: list[Path] = []

    def status(self) -> Status:
        return Status.READY

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        paths = [self.directory / f"{stamp}-{safe}{'' if len(pages) == 1 else f'-p{i}'}.png"
                 for i, _ in enumerate(pages, start=1)]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for page, path in zip(pages, paths):
                tmp = path.with_suffix(".tmp")
                page.save(tmp, format="PNG")
                tmp.replace(path)  # a reader never sees half a PNG
        except OSError as exc:
            raise PrinterError(f"preview directory {self.directory}: {exc.strerror or exc}") from None
        self.last_paths = paths


class EscposPrinter(Printer):
    """An ESC/POS printer behind one python-escpos connection object, opened per job."""

    def __init__(self, url: str, connect: Callable[[], object], *, profile: str, width: int,
                 can_read: bool, cut: str = "FULL", timeout: float | None = None,
                 link: timing.Link = timing.NETWORK, stream: str = "lean", qr: str | None = None):
        self.url, self.profile, self.width = url, profile, width
        self.stream, self.qr = stream, qr  # how pages become bytes: printer/escpos_lean.py
        self._connect = connect
        self.can_read = can_read
        self.cut = cut
        self.timeout = timeout  # None: each job's own deadline (printer.deadline); else fixed
        self.link = link

    def status(self) -> Status:
        if not self.can_read:
            return Status.UNKNOWN
        try:
            return self._bounded(self._read_status, self.timeout or JOB_TIMEOUT)
        except PrintInterrupted:
            return Status.NO_ANSWER  # switched off, unplugged, or not there at all

    def job_seconds(self, pages: Sequence[Image.Image]) -> float:
        """How long a job of ``pages`` may take on this printer's link before we stop waiting."""
        return self.timeout or timing.job_seconds(pages, self.link)

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        progress = Progress()
        seconds = self.job_seconds(pages)
        try:
            self._bounded(lambda: self._print(pages, progress, seconds), seconds)
        except PrintInterrupted as exc:
            raise judged(exc, progress, f"within {seconds:.0f} s ({self.link.name})", self.url) from None

    def _bounded(self, job: Callable[[], object], seconds: float):
        """Run a job on its own thread and give up on it after ``seconds``: a device file
        with no printer behind it, or a serial line held by flow control, blocks in the
        kernel where no timeout of ours reaches. An abandoned job may still finish later,
        which is why a job given up after its first byte is told as unknown, never as
        "not printed" (print_pages)."""
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["result"] = job()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                outcome["error"] = exc

        worker = threading.Thread(target=run, name=f"printer:{self.url}", daemon=True)
        worker.start()
        worker.join(seconds + 1)
        if worker.is_alive():
            late = PrintInterrupted(f"not printed: the printer did not respond in time ({self.url})")
            late.abandoned = True
            raise late
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _read_status(self) -> Status:
        with self._job(self.timeout or JOB_TIMEOUT) as device:
            return self._status(device)

    def _print(self, pages: Sequence[Image.Image], progress: Progress, seconds: float) -> None:
        with self._job(seconds) as device:
            before = self._status(device) if self.can_read else Status.UNKNOWN
            if not before.can_print:
                raise PrinterNotReady(before)
            send = device._raw

            def counted(data: bytes) -> None:
                progress.sending(len(data))
                send(data)

            device._raw = counted
            for page in pages:
                self._send_page(device, page)
            getattr(device, "wait_sent", lambda: None)()  # handed over is not yet received
            progress.complete = True
            if self.can_read:
                self._confirm(device)

    def _confirm(self, device) -> None:
        """Ask the printer after the job. Real-time status is answered even while printing:
        a paper-out or an open cover now means the badge came out short. The printer reads
        this question only after the image queued ahead of it, seconds later on a slow link:
        wait for the answer as long as the job may take. No answer is no confirmation."""
        device.patient = True
        after = self._status(device)
        if after == Status.NO_ANSWER:
            raise PrintInterrupted(f"the printer did not answer after the job ({self.url})")
        if after not in (Status.READY, Status.PAPER_LOW):
            short = PrintInterrupted(f"not printed whole: {MESSAGES[after]} ({self.url})")
            short.said_by_printer = True
            raise short

    def _send_page(self, device, page: Image.Image) -> None:
        if self.stream == "raster":
            device.image(page, impl="bitImageRaster", fragment_height=FRAGMENT_HEIGHT)
            device.cut(mode=self.cut)
        else:
            from printer.escpos_lean import encode_page

            device._raw(encode_page(page, stream=self.stream, profile=device.profile, cut=self.cut, qr=self.qr))

    def _status(self, device) -> Status:
        def ask(n: int) -> bytes:
            getattr(device, "drain", lambda: None)()
            device._raw(DLE_EOT + bytes([n]))
            try:
                return device._read() or b""
            except (OSError, ValueError):
                return b""  # a timeout: the printer did not answer

        return read_status(ask)

    @contextmanager
    def _job(self, seconds: float) -> Iterator[object]:
        from escpos.exceptions import Error as EscposError

        device = self._connect()
        device.deadline = time.monotonic() + seconds
        try:
            device.open()
            yield device
        except PrinterError:
            raise
        except (OSError, EscposError) as exc:
            raise PrintInterrupted(f"not printed: {_describe(exc)} ({self.url})") from None
        except Exception as exc:  # noqa: BLE001 - e.g. pyusb without a USB backend: still a failed print
            raise PrintInterrupted(f"not printed: {type(exc).__name__}: {_describe(exc)} ({self.url})") from None
        finally:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail any way
                pass

    def warm_up(self, content) -> None:
        from escpos.capabilities import get_profile

        from printer.escpos_lean import encode_page

        page = self.badge_page(content)
        if self.stream != "raster":  # python-escpos's own raster needs a connection to encode
            encode_page(page, stream=self.stream, profile=get_profile(self.profile), cut=self.cut, qr=self.qr)


def _describe(exc: BaseException) -> str:
    # python-escpos wraps socket errors in its DeviceNotFoundError: say what really happened.
    inner = exc.__cause__ or exc.__context__
    if not isinstance(exc, OSError) and isinstance(inner, OSError):
        exc = inner
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "the printer did not respond in time"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "the connection to the printer was cut mid-job"
    if isinstance(exc, ConnectionRefusedError):
        return "the printer refused the connection"
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


# -- backends: python-escpos's own, with a whole-job deadline -----------------------------------

def _use_stable_profile_cache() -> None:
    """python-escpos parses its YAML profile database into a pickle under a directory it
    reads from the environment when first imported, else a fresh temporary directory: every
    start would re-parse (about 100 ms) and leave a directory behind. So we name one before
    anything imports escpos."""
    cache = os.environ.get("CACHE_DIRECTORY") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "kiosk")
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError:
        cache = tempfile.gettempdir()
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", cache)


_use_stable_profile_cache()


def _escpos_printers():
    from escpos import printer as backends

    return backends


def profile_width(profile: str) -> int:
    from escpos.capabilities import get_profile

    try:
        pixels = get_profile(profile).profile_data["media"]["width"]["pixels"]
    except Exception as exc:  # noqa: BLE001 - an unknown name raises from deep inside python-escpos
        raise PrinterError(f"unknown printer profile {profile!r} (python-escpos profiles, e.g. TM-T20II, "
                           "TM-T88V, POS-5890, RP-F10-58mm)") from exc
    return int(pixels) if str(pixels).isdigit() else DEFAULT_WIDTH


def open_printer(url: str) -> Printer:
    """The printer a ``KIOSK_PRINTER`` URL names (see README)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    profile = query.get("profile", DEFAULT_PROFILE)
    if parts.scheme == "preview":
        width = int(query["width"]) if query.get("width", "").isdigit() else _preview_width(profile, query)
        return PreviewPrinter(Path(unquote(parts.netloc + parts.path)), width, profile)
    if parts.scheme == "brother-ql":
        from printer.brother_ql import open_brother_ql  # its own module: Brother's raster, not ESC/POS

        return open_brother_ql(url)
    if parts.scheme == "cups" and "media" in query:  # a label printer's queue, sent images
        from printer.cups import open_cups_label_printer

        return open_cups_label_printer(url, unquote(parts.netloc + parts.path).strip("/"), query)
    if parts.scheme == "zpl":
        from printer.zpl import open_zpl

        return open_zpl(url)
    opener = _OPENERS.get(parts.scheme)
    if opener is None:
        raise PrinterError(f"printer URL {url!r}: scheme must be one of network, usb, serial, file, cups, zpl, preview")
    width = int(query["width"]) if query.get("width", "").isdigit() else profile_width(profile)
    try:
        connect, can_read, *link = opener(parts, query, profile)  # link: how fast bytes reach it
        timeout = float(query["timeout"]) if "timeout" in query else None
    except (ValueError, TypeError) as exc:
        raise PrinterError(f"printer URL {url!r}: {exc}") from None
    cut = "PART" if query.get("cut", "").lower() == "part" else "FULL"
    stream, qr = _stream(url, parts, query)
    return EscposPrinter(url, connect, profile=profile, width=width, can_read=can_read, cut=cut, timeout=timeout,
                         link=link[0] if link else timing.NETWORK, stream=stream, qr=qr)


def _stream(url: str, parts, query: dict) -> tuple[str, str]:
    """``stream=raster|lean|hybrid``; by default hybrid on a serial line (RS-232, USB serial
    or a Bluetooth SPP /dev/rfcomm port: tens of KB/s at best), lean elsewhere. And
    ``qr=printer|raster``: by default the printer's own in the hybrid stream only."""
    from printer.escpos_lean import QR_MODES, STREAMS, default_qr

    stream = query.get("stream", "hybrid" if parts.scheme == "serial" else "lean").lower()
    if stream not in STREAMS:
        raise PrinterError(f"printer URL {url!r}: stream must be one of {', '.join(STREAMS)}")
    qr = query.get("qr", default_qr(stream)).lower()
    if qr not in QR_MODES:
        raise PrinterError(f"printer URL {url!r}: qr must be one of {', '.join(QR_MODES)}")
    return stream, qr


def _preview_width(profile: str, query: dict) -> int:
    return profile_width(profile) if "profile" in query else DEFAULT_WIDTH


def _network(parts, query, profile):
    if not parts.hostname:
        raise ValueError("network:// needs a host, e.g. network://192.168.1.50:9100")
    host, port = parts.hostname, parts.port or 9100
    network = network_class(STATUS_TIMEOUT)
    return (lambda: network(host, port=port, timeout=JOB_TIMEOUT, profile=profile)), True, timing.NETWORK


def _usb(parts, query, profile):
    vid, _, pid = parts.netloc.partition(":")
    vendor, product = int(vid, 16), int(pid, 16)
    usb = usb_class(STATUS_TIMEOUT)
    extra = {k: int(query[k], 16) for k in ("in_ep", "out_ep") if k in query}
    return ((lambda: usb(vendor, product, timeout=int(STATUS_TIMEOUT * 1000), profile=profile, **extra)),
            True, timing.USB)


def _serial(parts, query, profile):
    devfile = unquote(parts.path)
    baudrate = int(query.get("baudrate", DEFAULT_BAUDRATE))
    serial = serial_class(STATUS_TIMEOUT)
    return ((lambda: serial(devfile, baudrate=baudrate, timeout=STATUS_TIMEOUT, profile=profile)), True,
            timing.serial_link(baudrate))


def _file(parts, query, profile):
    devfile = unquote(parts.netloc + parts.path)
    backends = _escpos_printers()
    # Most often /dev/usb/lp0: a USB printer, which takes bytes as fast as it prints them.
    return (lambda: backends.File(devfile, profile=profile)), False, timing.USB


def _cups(parts, query, profile):
    # The lp command, not pycups: no C extension to build, and raw queues take ESC/POS as is.
    queue = unquote(parts.netloc + parts.path).strip("/")
    backends = _escpos_printers()
    return (lambda: backends.LP(queue, profile=profile)), False, timing.LOCAL


_OPENERS = {"network": _network, "usb": _usb, "serial": _serial, "file": _file, "cups": _cups}
