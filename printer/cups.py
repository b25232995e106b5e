"""Label printers through CUPS: ``cups://QUEUE?media=...`` sends each badge as a PNG laid out
for the queue's media (see printer.labels), and CUPS's driver for the printer (Debian's
printer-driver-ptouch for Brother QL, printer-driver-dymo for DYMO LabelWriter, any office
printer for A4/Letter sheets) turns it into the printer's own raster.

The job goes over IPP (printer.ipp) and is followed to its end: "printed" means CUPS finished
the job; a queue that is stopped, not accepting, or has no such media refuses before anything
is sent; a job that does not finish within the deadline is cancelled, and only once CUPS
confirms the cancel do we say "not printed" (else it may still come out, and a reprint would
revoke the badge in the visitor's hand).
"""

from __future__ import annotations

import io
import os
import time
from typing import Sequence

from PIL import Image

from printer import ipp
from printer.device import PrintInterrupted, Printer, PrinterNotReady
from printer.ipp import IppError
from printer.errors import PrinterError
from printer.labels import Media, badge_width, lay_out, media, offers
from printer.outcome import CHECK_THE_PRINTER, PrintOutcomeUnknown
from printer.status import Status

JOB_TIMEOUT = 60.0  # seconds: ghostscript and the driver take a few, a label ~1 s to print
POLL_INTERVAL = 0.25

# printer-state-reasons (RFC 8011 5.4.12, CUPS's own) in words, worst first; "-report" and
# "-warning" suffixes are stripped before looking up.
REASONS = {
    "media-empty": (Status.PAPER_OUT, "out of labels"),
    "media-needed": (Status.PAPER_OUT, "out of labels or the wrong labels loaded"),
    "media-jam": (Status.OFFLINE, "labels jammed"),
    "cover-open": (Status.COVER_OPEN, "the printer cover is open"),
    "door-open": (Status.COVER_OPEN, "the printer cover is open"),
    "offline": (Status.OFFLINE, "the printer is offline"),
    "shutdown": (Status.OFFLINE, "the printer is switched off"),
    "connecting-to-device": (Status.OFFLINE, "CUPS cannot reach the printer"),
    "paused": (Status.OFFLINE, "the CUPS queue is stopped (cupsenable QUEUE starts it)"),
    "media-low": (Status.PAPER_LOW, "labels are running low"),
}


class CupsLabelPrinter(Printer):
    """One CUPS queue and the label media loaded in it."""

    profile = "cups"

    def __init__(self, url: str, queue: str, medium: Media, *, server: str, timeout: float = JOB_TIMEOUT):
        self.url, self.queue, self.medium, self.timeout = url, queue, medium, timeout
        self.client = ipp.IppClient(server, timeout=min(timeout, 10.0))
        self.last_job_id: int | None = None
        self._dpi: int | None = None
        self._width: int | None = None

    @property
    def dpi(self) -> int:
        if self._dpi is None:
            try:
                self._dpi = min(_queue_dpi(self._attributes()) or self.medium.dpi, self.medium.max_dpi)
            except PrinterError:
                return self.medium.dpi  # asked again next time; the job itself will say why
        return self._dpi

    @property
    def width(self) -> int:  # what render_badge is given
        if self._width is None:
            self._width = badge_width(self.medium, self.dpi)
        return self._width

    def status(self) -> Status:
        try:
            attrs = self._attributes()
        except PrinterError:
            return Status.NO_ANSWER
        return _status(attrs)[0]

    def warm_up(self, content) -> None:
        lay_out([self.badge_page(content)], self.medium, self.dpi)  # asks the queue its dpi once

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        try:
            self._check_queue()
        except PrinterError as exc:
            exc.reached_printer = False  # nothing sent: a fallback printer may take the job
            raise
        dpi = self.dpi
        for image in lay_out(pages, self.medium, dpi):
            self._run_job(image, dpi, name)

    def _check_queue(self) -> None:
        attrs = self._attributes()
        status, words = _status(attrs)
        if not attrs.get("printer-is-accepting-jobs", [True])[0]:
            raise PrinterError(f"not printed: the CUPS queue {self.queue} is not accepting jobs "
                               f"(cupsaccept {self.queue})")
        if not status.can_print:
            raise _NotReady(status, f"not printed: {words} ({self.queue})")
        self._check_media(attrs)

    def _attributes(self) -> dict:
        response = self.client.request(ipp.GET_PRINTER_ATTRIBUTES, f"/printers/{self.queue}", [
            (ipp.OPERATION, ipp.URI, "printer-uri", self.client.printer_uri(self.queue)),
            (ipp.OPERATION, ipp.KEYWORD, "requested-attributes",
             ["printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
              "media-supported", "printer-resolution-default"]),
        ])
        if not response.ok:
            raise PrinterError(f"not printed: CUPS has no queue {self.queue!r} ({response.message}; "
                               "lpstat -p lists the queues)")
        return response.group(ipp.PRINTER)

    def _check_media(self, attrs: dict) -> None:
        offered = attrs.get("media-supported", [])
        if not offered or offers(self.medium, offered):
            return
        sizes = ", ".join(dict.fromkeys(m.rsplit("_", 1)[-1] for m in offered if not m.startswith("custom_m")))
        raise PrinterError(f"not printed: the CUPS queue {self.queue} has no {self.medium.title} "
                           f"(media={self.medium.key} in the printer URL); its driver offers: {sizes}")

    def _run_job(self, image: Image.Image, dpi: int, name: str) -> None:
        png = io.BytesIO()
        image.save(png, format="PNG", dpi=(dpi, dpi))
        deadline = time.monotonic() + self.timeout
        try:
            response = self._print_job(png.getvalue(), dpi, image.height, name)
        except IppError as exc:
            if exc.request_sent:  # CUPS may have queued it: its answer was lost, not the job
                raise PrintOutcomeUnknown(f"{CHECK_THE_PRINTER}: the job reached CUPS on {self.queue}, but "
                                          f"{str(exc).removeprefix('not printed: ')}") from None
            exc.reached_printer = False
            raise
        if not response.ok:
            raise PrinterError(f"not printed: CUPS refused the job on {self.queue}: {response.message}")
        self.last_job_id = response.group(ipp.JOB).get("job-id", [0])[0]
        try:
            self._follow(self.last_job_id, deadline)
        except IppError as exc:  # CUPS holds the job and may print it: never "not printed"
            raise PrintOutcomeUnknown(f"{CHECK_THE_PRINTER}: CUPS took job {self.last_job_id} on {self.queue}, "
                                      f"then {str(exc).removeprefix('not printed: ')}") from None

    def _print_job(self, document: bytes, dpi: int, height: int, name: str) -> ipp.Response:
        return self.client.request(ipp.PRINT_JOB, f"/printers/{self.queue}", [
            (ipp.OPERATION, ipp.URI, "printer-uri", self.client.printer_uri(self.queue)),
            (ipp.OPERATION, ipp.NAME, "requesting-user-name", _user()),
            (ipp.OPERATION, ipp.NAME, "job-name", name[:80]),
            (ipp.OPERATION, ipp.MIME, "document-format", "image/png"),
            (ipp.JOB, ipp.KEYWORD, "media", self.medium.cups_media(height, dpi)),
            # One image dot to one printer dot: no scaling, the layout already fits the area.
            (ipp.JOB, ipp.INTEGER, "ppi", dpi),
            (ipp.JOB, ipp.KEYWORD, "print-scaling", "none"),
        ], document)

    def _follow(self, job_id: int, deadline: float) -> None:
        """Wait for the job to end; past the deadline, cancel it and say so only once it is."""
        while True:
            state, why, queue_stopped = self._job_state(job_id)
            if state == ipp.COMPLETED:
                return
            if state in (ipp.CANCELED, ipp.ABORTED):
                raise PrintInterrupted(f"not printed: CUPS {'cancelled' if state == ipp.CANCELED else 'aborted'} "
                                       f"job {job_id} on {self.queue}{why}")
            # Held, or its queue stopped (CUPS stops a queue whose back end failed and keeps
            # the job to print once someone starts the queue): it will not go on by itself.
            if time.monotonic() >= deadline or state in (ipp.HELD, ipp.STOPPED) or queue_stopped:
                return self._give_up(job_id, state, why, late=time.monotonic() >= deadline)
            time.sleep(POLL_INTERVAL)

    def _give_up(self, job_id: int, state: int, why: str, *, late: bool) -> None:
        cancel = self.client.request(ipp.CANCEL_JOB, "/jobs", [
            (ipp.OPERATION, ipp.URI, "printer-uri", self.client.printer_uri(self.queue)),
            (ipp.OPERATION, ipp.INTEGER, "job-id", job_id),
            (ipp.OPERATION, ipp.NAME, "requesting-user-name", _user()),
        ])
        after, _, _ = self._job_state(job_id)
        if after == ipp.COMPLETED:
            return  # it finished while we asked: printed after all
        if not cancel.ok and after not in (ipp.CANCELED, ipp.ABORTED):
            raise PrintInterrupted(f"job {job_id} on {self.queue} did not finish in {self.timeout:g} s and could "
                                   f"not be cancelled ({cancel.message}): it may still print{why}")
        where = "was being printed" if state == ipp.PROCESSING else "had not started"
        when = f"after {self.timeout:g} s" if late else {
            ipp.HELD: "as CUPS held it", ipp.STOPPED: "as CUPS stopped it"}.get(state, "as its queue stopped")
        raise PrintInterrupted(f"not printed: job {job_id} on {self.queue} {where} and was cancelled {when}{why}")

    def _job_state(self, job_id: int) -> tuple[int, str, bool]:
        """The job's state, why it has not completed (the queue's words), whether the queue
        is stopped."""
        response = self.client.request(ipp.GET_JOB_ATTRIBUTES, "/jobs", [
            (ipp.OPERATION, ipp.URI, "printer-uri", self.client.printer_uri(self.queue)),
            (ipp.OPERATION, ipp.INTEGER, "job-id", job_id),
            (ipp.OPERATION, ipp.KEYWORD, "requested-attributes", ["job-state", "job-printer-state-message"]),
        ])
        job = response.group(ipp.JOB)
        state = job.get("job-state", [ipp.PENDING])[0]
        if state == ipp.COMPLETED:
            return state, "", False
        try:
            queue = self._attributes()
        except PrinterError:
            queue = {}
        words = _status(queue)[1] if queue else ""
        message = job.get("job-printer-state-message", [""])[0]
        said = "; ".join(w for w in (words if words != "ready" else "", message) if w)
        stopped = queue.get("printer-state", [0])[0] == ipp.PRINTER_STOPPED
        return state, f" ({said})" if said else "", stopped


class _NotReady(PrinterNotReady):
    def __init__(self, status: Status, message: str):
        PrinterError.__init__(self, message)
        self.status, self.code = status, status.value


def _status(attrs: dict) -> tuple[Status, str]:
    """The queue's state as our Status and in words."""
    reasons = [r for r in attrs.get("printer-state-reasons", []) if r != "none"]
    stopped = attrs.get("printer-state", [ipp.PRINTER_IDLE])[0] == ipp.PRINTER_STOPPED
    found = []
    for reason in reasons:
        base = reason.removesuffix("-report").removesuffix("-warning").removesuffix("-error")
        if base in REASONS and not reason.endswith("-warning"):
            found.append(REASONS[base])
    if stopped and not any(s is not Status.PAPER_LOW for s, _ in found):
        message = attrs.get("printer-state-message", [""])[0]
        found.append((Status.OFFLINE, "the CUPS queue is stopped" + (f": {message}" if message else "")))
    bad = [f for f in found if f[0] is not Status.PAPER_LOW]
    if bad:
        return bad[0][0], "; ".join(words for _, words in bad)
    if found:
        return Status.PAPER_LOW, found[0][1]
    return Status.READY, "ready"


def _queue_dpi(attrs: dict) -> int | None:
    resolution = attrs.get("printer-resolution-default", [None])[0]
    if isinstance(resolution, tuple) and resolution[0] > 0:
        x, _, units = resolution
        return x if units == 3 else round(x * 2.54)  # 3: dots per inch, 4: per cm
    return None


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return "kiosk"


def default_server() -> str:
    """Where CUPS is, as its own clients find it: CUPS_SERVER, else the local socket."""
    server = os.environ.get("CUPS_SERVER", "")
    if server and not server.startswith("/"):
        return server
    socket_path = server or "/run/cups/cups.sock"
    return socket_path if os.path.exists(socket_path) else "localhost:631"


def open_cups_label_printer(url: str, queue: str, query: dict) -> CupsLabelPrinter:
    if not queue:
        raise PrinterError(f"printer URL {url!r}: cups:// needs a queue name, e.g. cups://QL820?media=62mm")
    timeout = float(query.get("timeout", JOB_TIMEOUT))
    return CupsLabelPrinter(url, queue, media(query["media"]), server=query.get("server") or default_server(),
                            timeout=timeout)
