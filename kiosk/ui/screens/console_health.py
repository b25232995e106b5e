"""The console's lines about the devices and its notices: the printer's state, sync's health
(and events sync set aside), and what reception was last told, each in the language on screen
and said again on a language switch; a notice names what it reports, so that it goes when that
changes (a failed print's notice once the printer is ready again)."""

from __future__ import annotations

from datetime import datetime

from kiosk.ui.i18n import N_, tr
from kiosk.ui.verdicts import clock_text
from printer.status import MESSAGES, Status

SYNC_LATE = 60  # seconds without contact before sync needs a person to look
QUARANTINE_ALERT_MS = 24 * 3_600_000  # events set aside show in the alert colour this long
PRINTER_STATES = {Status.READY: N_("ready"), Status.PAPER_LOW: N_("paper is running low"),
                  Status.PAPER_OUT: N_("OUT OF PAPER"), Status.COVER_OPEN: N_("cover open"),
                  Status.OFFLINE: N_("offline"), Status.NO_ANSWER: N_("does not answer"),
                  Status.UNKNOWN: N_("status unknown")}


def _ask(printer) -> tuple:
    """The printer's status and, for one with a fallback (printer.fallback), why the first
    printer is not in use (None when it is), each with the printer's own words for it
    (Printer.status_message: a QL's wrong roll, a paused Zebra): asked on a worker thread."""
    status = printer.status()
    trouble = getattr(printer, "first_trouble", None)
    trouble_words = printer.first.status_message(trouble) if trouble is not None else ""
    return status, trouble, printer.status_message(status), trouble_words


def in_words(status: Status, words: str) -> str:
    """What a printer said of itself, in the language on screen where it is a common state
    ("ready (62 mm loaded)" keeps its detail as said), and as the printer said it otherwise:
    "wrong labels: loaded 29 mm, ..." says more than "offline"."""
    common = MESSAGES[status]
    if not words or words == common:
        return tr(PRINTER_STATES[status])
    if words.startswith(common + " ("):
        return tr(PRINTER_STATES[status]) + words[len(common):]
    return words


class HealthLines:
    """Mixed into the console screen, which holds the properties (printer_text, printer_alert,
    sync_text, sync_alert, notice), the flow and the syncer."""

    _printer = None  # the last printer status (or why it could not be asked)
    _first_trouble = None  # with a fallback printer in use: why the first one is not
    _words = ("", "")  # what the printer, and the first printer in trouble, said of themselves
    _notice_about = ""

    def check_health(self) -> None:
        self.flow.run_io(lambda: _ask(self.flow.kiosk.printer), self._printer_is, self._printer_unknown)
        self.sync_health()

    def _printer_is(self, answer) -> None:
        status, self._first_trouble, said, trouble_said = answer
        self._words = (said, trouble_said)
        self._printer = status
        self.show_printer()
        if status.can_print:  # what a notice said about the printer is over
            self.forget("printer")

    def _printer_unknown(self, error: Exception) -> None:
        self._printer = error
        self.show_printer()

    def show_printer(self) -> None:
        """The printer line, in the language now on screen."""
        status = self._printer
        if status is None:
            return
        state = str(status) if isinstance(status, Exception) else in_words(status, self._words[0])
        self.printer_text = tr("Printer: {state}").format(state=state)
        self.printer_alert = isinstance(status, Exception) or not status.can_print
        if self._first_trouble is not None and not isinstance(status, Exception):
            # Badges still print, on the fallback: someone must still see to the first printer.
            self.printer_text = tr("Printer: the fallback is in use ({state}); the first printer: {trouble}").format(
                state=state, trouble=in_words(self._first_trouble, self._words[1]))
            self.printer_alert = True

    # -- notices ----------------------------------------------------------------------------

    def say(self, msgid: str, about: str = "", **values) -> None:
        """A notice, translated again on a language switch; ``about`` names what it reports
        (printer, search, visit), so that it goes when that changes."""
        self.tell("notice", msgid, **values)
        self._notice_about = about

    def forget(self, about: str) -> None:
        if self.notice and self._notice_about == about:
            self.notice = ""

    def sync_health(self) -> None:
        if self.syncer is None:
            self.sync_text, self.sync_alert = tr("Stand-alone: no server configured"), False
            return
        status = self.syncer.status
        if status.last_success is None:
            self.sync_text = tr("Not yet in contact with the server: {error}").format(error=status.last_error or "…")
            self.sync_alert = bool(status.last_error)
        else:
            seconds = int(datetime.now().timestamp() - status.last_success)
            self.sync_text = tr("Synced {n} s ago").format(n=seconds) if seconds < 120 else \
                tr("Last synced {time}").format(time=clock_text(int(status.last_success * 1000)))
            self.sync_alert = status.needs_attention or seconds > SYNC_LATE
            if status.server_failed:  # the server said what is wrong (a full disk): tell it at once
                self.sync_alert = True
            if status.last_error and self.sync_alert:
                self.sync_text += " — " + status.last_error
        if status.refused:  # kept here, never on the server: someone must look (kiosk sync lists them)
            self.sync_text += " — " + tr("{n} events refused by the server").format(n=status.refused)
            self.sync_alert = True
        self._set_aside(status.set_aside)

    def _set_aside(self, found) -> None:
        """Pulled events this device could not ingest (kiosk.store.quarantine): someone may be
        missing from the lists, and an administrator must look; in the alert colour for a day."""
        if not found.count:
            return
        self.sync_text += " — " + tr("{n} synced events set aside: {reasons}").format(
            n=found.count, reasons="; ".join(found.reasons))
        self.sync_alert = self.sync_alert or (found.latest_ms or 0) > self.flow.kiosk.clock() - QUARANTINE_ALERT_MS

