"""Whether the badge printer can print, asked while the welcome screen shows: a visitor learns
that it is out of paper, open or offline before the first step, not after the last. The
printer is asked on a thread of its own (a printer that does not answer takes seconds to say
so, and the visitor's own service calls must not queue behind it); the answer comes back on
the UI thread through ``Clock``. The last answer is kept, so the welcome screen shows it at
once and clears it as soon as a later answer says the printer is back."""

from __future__ import annotations

import threading

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import StringProperty

from printer.status import Status

POLL_SECONDS = 10.0  # how often the welcome screen asks again


class PrinterWatch(EventDispatcher):
    # The Status value that stops printing ("paper_out", "cover_open", "offline", "no_answer"),
    # "" while the printer can print or cannot tell (a file, CUPS or preview printer).
    problem = StringProperty("")

    def __init__(self, kiosk, **kwargs):
        super().__init__(**kwargs)
        self._kiosk = kiosk
        self._asking = False  # one question at a time: a silent printer is not asked twice

    def check(self) -> None:
        """Ask the printer now, unless a question is still out."""
        if self._asking:
            return
        self._asking = True
        # A daemon thread: a printer that never answers must not hold up the kiosk's stop.
        threading.Thread(target=self._ask, name="printer-status", daemon=True).start()

    def _ask(self) -> None:
        try:
            status = self._kiosk.printer.status()
        except Exception:  # noqa: BLE001 - a printer that cannot even be opened cannot print
            status = Status.NO_ANSWER
        Clock.schedule_once(lambda dt: self._answered(status))

    def _answered(self, status: Status) -> None:
        self._asking = False
        self.problem = "" if status.can_print else status.value
