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


class HealthLines:
    """Mixed into the console screen, which holds the properties (printer_text, printer_alert,
    sync_text, sync_alert, notice), the flow and the syncer."""

    _printer = None  # the last printer status (or why it could not be asked)
    _printer_words = (None, "")  # a status and what the printer said with it (a wrong roll, paused)
    _notice_about = ""

    def check_health(self) -> None:
        self.flow.run_io(lambda: _status_and_words(self.flow.kiosk.printer), self._printer_said,
                         self._printer_unknown)
        self.sync_health()

    def _printer_said(self, answer) -> None:
        self._printer_words = answer
        self._printer_is(answer[0])

    def _printer_is(self, status) -> None:
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
        state = str(status) if isinstance(status, Exception) else self._printer_state(status)
        self.printer_text = tr("Printer: {state}").format(state=state)
        self.printer_alert = isinstance(status, Exception) or not status.can_print

    def _printer_state(self, status: Status) -> str:
        """The printer's own words (Printer.status_message), in the language on screen where
        they are a common state ("ready (62 mm loaded)" keeps its detail as said), and as the
        printer said them otherwise: "wrong labels: loaded 29 mm, ..." says more than "offline"."""
        said_with, words = self._printer_words
        common = MESSAGES[status]
        if said_with is not status or not words or words == common:
            return tr(PRINTER_STATES[status])
        if words.startswith(common + " ("):
            return tr(PRINTER_STATES[status]) + words[len(common):]
        return words

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


def _status_and_words(printer) -> tuple[Status, str]:
    """Asked together, off the UI thread: a printer words its last answer (ZPL ~HS, QL ESC i S)."""
    status = printer.status()
    return status, printer.status_message(status)
