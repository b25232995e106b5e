"""Printers as the kiosk sees them: print pages of 1-bit images, report status, know the width.

One abstract :class:`Printer` holds the job logic (status before, send, status after) once;
backends are small. ESC/POS backends are python-escpos's own (Network, Usb, Serial, File, LP)
driven through its high-level ``image`` and ``cut``, with its printer profiles for the paper
width and the cutter. The preview backend writes each page as a PNG: it is the default, so a
kiosk with no printer attached still works and an installer sees exactly what paper would show.

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

from printer.errors import PrinterError
from printer.status import DLE_EOT, MESSAGES, Status, read_status

DEFAULT_WIDTH = 576  # 80 mm paper at 203 dpi, the common kiosk printer
DEFAULT_PROFILE = "TM-T20II"
# Tall GS v 0 images overflow the receive buffer of cheap printers (POS-58 class firmware
# prints garbage or stalls above a few hundred rows); 256-row bands work everywhere.
FRAGMENT_HEIGHT = 256
JOB_TIMEOUT = 10.0  # seconds for a whole job, connect included
STATUS_TIMEOUT = 1.5  # seconds to wait for one DLE EOT reply


class PrinterNotReady(PrinterError):
    """The printer said, before the job, that it cannot print (paper out, cover open, ...)."""

    def __init__(self, status: Status):
        super().__init__(f"not printed: {MESSAGES[status]}")
        self.status = status
        self.code = status.value


class PrintInterrupted(PrinterError):
    """The job did not reach the paper whole: connection lost, timeout, paper ran out."""

    code = "interrupted"


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
        self.print_image(self.badge_page(content), name=name)

    def badge_page(self, content) -> Image.Image:
        """The raster page print_badge prints: laid out at this printer's width and dpi."""
        from printer.badge import render_badge

        return render_badge(content, self.width, dpi=self.dpi)

    def warm_up(self, content) -> None:
        """Prepare ``content`` as print_badge would, sending nothing, so the first visitor does
        not also wait for code, fonts and layout searches to load.  Backends that turn pages
        into bytes of their own, or draw badges natively (ZPL), warm that too."""
        self.badge_page(content)

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
                 can_read: bool, cut: str = "FULL", timeout: float = JOB_TIMEOUT, stream: str = "lean",
                 qr: str | None = None):
        self.url, self.profile, self.width = url, profile, width
        self.stream, self.qr = stream, qr  # how pages become bytes: printer/escpos_lean.py
        self._connect = connect
        self.can_read = can_read
        self.cut = cut
        self.timeout = timeout

    def status(self) -> Status:
        if not self.can_read:
            return Status.UNKNOWN
        try:
            return self._bounded(self._read_status)
        except PrintInterrupted:
            return Status.NO_ANSWER  # switched off, unplugged, or not there at all

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        self._bounded(lambda: self._print(pages))

    def _bounded(self, job: Callable[[], object]):
        """Run a job on its own thread and give up on it after the timeout: a device file
        with no printer behind it, or a serial line held by flow control, blocks in the
        kernel where no timeout of ours reaches. An abandoned job may still finish later;
        the caller has recorded a failure by then, and a reprint revokes that badge."""
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["result"] = job()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                outcome["error"] = exc

        worker = threading.Thread(target=run, name=f"printer:{self.url}", daemon=True)
        worker.start()
        worker.join(self.timeout + 1)
        if worker.is_alive():
            raise PrintInterrupted(f"not printed: the printer did not respond in time ({self.url})")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _read_status(self) -> Status:
        with self._job() as device:
            return self._status(device)

    def _print(self, pages: Sequence[Image.Image]) -> None:
        with self._job() as device:
            before = self._status(device) if self.can_read else Status.UNKNOWN
            if not before.can_print:
                raise PrinterNotReady(before)
            for page in pages:
                self._send_page(device, page)
            if self.can_read:
                # Real-time status is answered even while printing: a paper-out or an open
                # cover now means the badge came out short, so the job failed. The printer
                # reads this question only after the image queued ahead of it, seconds later
                # on a slow printer: wait for the answer as long as the job may take.
                device.patient = True
                after = self._status(device)
                if after not in (Status.READY, Status.PAPER_LOW):
                    raise PrintInterrupted(f"not printed whole: {MESSAGES[after]}")

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
    def _job(self) -> Iterator[object]:
        from escpos.exceptions import Error as EscposError

        device = self._connect()
        device.deadline = time.monotonic() + self.timeout
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


def _network_class():
    backends = _escpos_printers()

    class Network(backends.Network):
        """python-escpos's Network, but its timeout bounds the whole job, not each send."""

        deadline = float("inf")
        patient = False  # wait for a status answer until the deadline, not STATUS_TIMEOUT

        def _remaining(self) -> float:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("job deadline passed")
            return left

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
            self.device.settimeout(wait if self.patient else min(STATUS_TIMEOUT, wait))
            return self.device.recv(16)

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
        connect, can_read = opener(parts, query, profile)
        timeout = float(query.get("timeout", JOB_TIMEOUT))
    except (ValueError, TypeError) as exc:
        raise PrinterError(f"printer URL {url!r}: {exc}") from None
    cut = "PART" if query.get("cut", "").lower() == "part" else "FULL"
    stream, qr = _stream(url, parts, query)
    return EscposPrinter(url, connect, profile=profile, width=width, can_read=can_read, cut=cut, timeout=timeout,
                         stream=stream, qr=qr)


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
    network = _network_class()
    return (lambda: network(host, port=port, timeout=JOB_TIMEOUT, profile=profile)), True


def _usb(parts, query, profile):
    vid, _, pid = parts.netloc.partition(":")
    vendor, product = int(vid, 16), int(pid, 16)
    backends = _escpos_printers()
    extra = {k: int(query[k], 16) for k in ("in_ep", "out_ep") if k in query}
    return (lambda: backends.Usb(vendor, product, timeout=int(STATUS_TIMEOUT * 1000), profile=profile, **extra)), True


def _serial(parts, query, profile):
    devfile = unquote(parts.path)
    baudrate = int(query.get("baudrate", 9600))
    backends = _escpos_printers()
    return (lambda: backends.Serial(devfile, baudrate=baudrate, timeout=STATUS_TIMEOUT, profile=profile)), True


def _file(parts, query, profile):
    devfile = unquote(parts.netloc + parts.path)
    backends = _escpos_printers()
    return (lambda: backends.File(devfile, profile=profile)), False


def _cups(parts, query, profile):
    # The lp command, not pycups: no C extension to build, and raw queues take ESC/POS as is.
    queue = unquote(parts.netloc + parts.path).strip("/")
    backends = _escpos_printers()
    return (lambda: backends.LP(queue, profile=profile)), False


_OPENERS = {"network": _network, "usb": _usb, "serial": _serial, "file": _file, "cups": _cups}
