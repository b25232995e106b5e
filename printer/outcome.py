"""What became of a print job, said only as far as it is known.

"Not printed" is true when no byte of the job left the kiosk, and "not printed whole" when the
job was cut off while being sent or the printer said afterwards that it ran out of paper. A
job sent whole that the printer never confirmed, or one whose sending was abandoned with bytes
on their way, may be on paper: that is "unknown, check the printer", never "not printed", for
reception then reprints and revokes a badge the visitor holds. ``reached_printer`` tells a
fallback printer (printer.fallback) whether it may take the job.
"""

from __future__ import annotations

import threading

from printer.errors import PrinterError
from printer.status import MESSAGES, Status

CHECK_THE_PRINTER = "unknown, check the printer"  # how an unconfirmed job's outcome is told


class PrinterNotReady(PrinterError):
    """The printer said, before the job, that it cannot print (paper out, cover open, ...)."""

    reached_printer = False

    def __init__(self, status: Status):
        super().__init__(f"not printed: {MESSAGES[status]}")
        self.status = status
        self.code = status.value


class PrintInterrupted(PrinterError):
    """The job did not reach the paper whole: connection lost, timeout, paper ran out."""

    code = "interrupted"
    said_by_printer = False  # the printer itself said so after the job (paper out, cover open)
    abandoned = False  # we stopped waiting for a job still under way on its thread

    def __init__(self, message: str, *, reached_printer: bool = True):
        super().__init__(message)
        self.reached_printer = reached_printer


class PrintOutcomeUnknown(PrinterError):
    """Bytes of the job reached the printer but it never confirmed the job: the badge may well
    be in the visitor's hand. Never "not printed": someone must look at the printer."""

    code = "unknown"


class Progress:
    """What one job has done so far, shared with the thread that runs it."""

    def __init__(self) -> None:
        self.sent = 0  # bytes of the job handed to the connection (they may have reached the printer)
        self.complete = False  # every byte of the job was handed over
        self._abandoned = False
        self._lock = threading.Lock()

    def sending(self, size: int) -> None:
        """Count ``size`` bytes about to be written (counted first: a write cut short may still
        have landed), or refuse them once the job was abandoned: a job given up before its
        first byte must then never send one, or "not printed" would be false."""
        with self._lock:
            if self._abandoned:
                raise PrintInterrupted("not printed: the job was given up before it was sent")
            self.sent += size

    def abandon(self) -> None:
        """We stop waiting for the job: from now on its thread sends nothing more."""
        with self._lock:
            self._abandoned = True


def judged(exc: PrintInterrupted, progress: Progress, waited: str, url: str) -> PrinterError:
    """The failure as far as it is known: nothing sent is "not printed"; cut off while we were
    still sending is "not printed whole"; sent whole (or abandoned mid-send) and never
    confirmed is unknown. ``waited`` says how long we waited, on what link."""
    if exc.abandoned:
        progress.abandon()  # before reading ``sent``: a job not yet begun now never begins
    if progress.sent == 0:
        exc.reached_printer = False
        return exc
    if exc.said_by_printer:
        return exc
    if progress.complete or exc.abandoned:
        return PrintOutcomeUnknown(f"{CHECK_THE_PRINTER}: {progress.sent} bytes were sent but the printer did not "
                                   f"confirm the badge {waited}; if it came out, it is valid ({url})")
    why = str(exc).removeprefix("not printed: ")
    return PrintInterrupted(f"not printed whole: the job was cut off after {progress.sent} bytes: {why}")
