"""The attract screen: who we are, the time, the language, and the two big actions. Five
quick taps in the top-left corner open the staff PIN pad. The privacy notice's line sits under
the start buttons, which say that starting accepts it (kiosk.core.consent); its full text is one
tap away."""

from __future__ import annotations

from datetime import datetime

from kivy.properties import StringProperty

from kiosk.core import invites
from kiosk.core.invites import is_invite
from kiosk.errors import InvitationRefused
from kiosk.ui.i18n import N_, tr
from kiosk.ui.printer_watch import POLL_SECONDS, PrinterWatch
from kiosk.ui.scanner import ScanDetector
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

MESSAGE_SECONDS = 10
# Why a scanned invitation cannot be used, in words for the visitor; anything forged or
# unreadable is just "not valid".
INVITATION_REFUSED = {
    "": N_("This invitation is not valid. Please see reception."),
    invites.EXPIRED: N_("This invitation has expired. Please see reception."),
    invites.NOT_YET_VALID: N_("This invitation is not valid yet. Please see reception."),
    invites.OTHER_SITE: N_("This invitation is for another site. Please see reception."),
    invites.USED: N_("This invitation has already been used. Please see reception."),
}

# The printer cannot print (kiosk.ui.printer_watch): said on welcome, before the first step.
PRINTER_PROBLEMS = {
    "paper_out": N_("The badge printer is out of paper. Please see reception for your badge."),
    "cover_open": N_("The badge printer's cover is open. Please see reception for your badge."),
    "": N_("The badge printer is not working. Please see reception for your badge."),
}

def format_clock(now: datetime, lang: str) -> str:
    """The time as the lobby clock shows it (the same in every language). No date: a visitor
    acts on nothing in it, and every word on this screen is read before the first tap."""
    return f"{now:%H:%M}"


class WelcomeScreen(KioskScreen):
    organisation = StringProperty("")
    logo = StringProperty("")  # a file; a missing or unreadable one shows nothing
    clock_text = StringProperty("")
    printer_problem = StringProperty("")  # why the badge cannot print now, in the visitor's words
    notice_summary = StringProperty("")  # the privacy notice's one line, which the start buttons accept

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scanner = ScanDetector()
        self.printer = PrinterWatch(self.flow.kiosk)
        self.printer.bind(problem=lambda _watch, problem: self._printer_is(problem))

    def key_text(self, text: str) -> None:
        self.scanner.key(text)

    def key_enter(self) -> None:
        scan = self.scanner.enter()
        if scan is not None:
            self.scanned(scan)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.show_notice()
        self.tick()
        self.every("clock", 1.0, self.tick)
        self.printer.check()
        self.every("printer", POLL_SECONDS, self.printer.check)

    def show_notice(self) -> None:
        self.notice_summary = self.flow.notice(tr.lang).summary

    def retell(self) -> None:
        super().retell()
        self.show_notice()

    def _printer_is(self, problem: str) -> None:
        if problem:
            self.tell("printer_problem", PRINTER_PROBLEMS.get(problem, PRINTER_PROBLEMS[""]))
        else:
            self.printer_problem = ""

    def scanned(self, text: str) -> None:
        """An invitation held to the scanner: the visitor is expected, their details come with
        it. A badge: the visitor is leaving."""
        if is_invite(text):
            self.flow.start_invitation(text, self.refused)
            return
        self.flow.go("signout")
        self.flow.screen("signout").scanned(text)

    def refused(self, error: Exception) -> None:
        reason = error.reason if isinstance(error, InvitationRefused) else ""
        self.tell("message", INVITATION_REFUSED.get(reason, INVITATION_REFUSED[""]))
        self.later("message", MESSAGE_SECONDS, lambda: setattr(self, "message", ""))

    def tick(self, *_):
        self.clock_text = format_clock(datetime.now(), tr.lang)
