"""A second printer for when the first cannot print (settings ``printer`` and
``printer_fallback``): a lobby whose receipt printer ran out of paper still hands out badges.

The fallback takes a job only when the first printer certainly printed none of it: it said it
cannot print before the job (paper out, cover open, offline, no answer), or the job failed
before any byte reached it (nobody listening). A job that failed part-way, or was sent but not
confirmed, is never printed again elsewhere: a badge may be in the visitor's hand already.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

from PIL import Image

from printer.device import Printer, open_printer
from printer.errors import PrinterError
from printer.status import Status


class FallbackPrinter(Printer):
    def __init__(self, first: Printer, second: Printer):
        self.first, self.second = first, second
        self.url, self.width, self.profile = first.url, first.width, first.profile
        self._lock = threading.Lock()
        self._printed_by = first.url
        # The first printer's state when it was last found unable to print (None: it could).
        self.first_trouble: Status | None = None

    @property
    def printed_by(self) -> str:
        return self._printed_by

    @property
    def fallback_in_use(self) -> bool:
        return self.first_trouble is not None

    def status(self) -> Status:
        """The state of the printer the next job goes to: the first's while it can print."""
        first = self.first.status()
        self.first_trouble = None if first.can_print else first
        return first if first.can_print else self.second.status()

    def status_message(self, status: Status) -> str:
        """In the words of the printer ``status`` came from (the first's, or the fallback's)."""
        return (self.first if self.first_trouble is None else self.second).status_message(status)

    def warm_up(self, content) -> None:
        self.first.warm_up(content)
        self.second.warm_up(content)  # the first badge may well go to the fallback

    def print_pages(self, pages: Sequence[Image.Image], *, name: str = "job") -> None:
        self.print_rendered(lambda width: pages, name=name)

    def print_rendered(self, render: Callable[[int], Sequence[Image.Image]], *, name: str = "job") -> None:
        self._on_either(lambda printer: printer.print_rendered(render, name=name))

    def print_badge(self, content, *, name: str = "badge") -> None:
        self._on_either(lambda printer: printer.print_badge(content, name=name))

    def _on_either(self, job: Callable[[Printer], None]) -> None:
        with self._lock:  # printed_by names this job's printer
            try:
                job(self.first)
            except PrinterError as exc:
                if getattr(exc, "reached_printer", True):
                    raise  # part of it, or all of it, may be on paper: never print it twice
                self.first_trouble = getattr(exc, "status", None) or Status.NO_ANSWER
                self._on_second(job, why=str(exc))
                return
            self.first_trouble = None
            self._printed_by = self.first.url

    def _on_second(self, job: Callable[[Printer], None], why: str) -> None:
        try:
            job(self.second)
        except PrinterError as exc:
            exc.args = (f"{exc} (fallback {self.second.url}); the first printer: {why}",)
            raise
        self._printed_by = self.second.url


def open_printers(url: str, fallback_url: str = "") -> Printer:
    """The printer the settings name, with its fallback when ``printer_fallback`` is set."""
    first = open_printer(url)
    return FallbackPrinter(first, open_printer(fallback_url)) if fallback_url else first
