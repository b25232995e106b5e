"""While the badge prints: a moving indicator (the screen is alive even on a slow printer).
If the badge does not print, the visit is kept and the visitor is sent to reception, who see
"not printed" in the log and reprint it."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import DictProperty, NumericProperty, OptionProperty, StringProperty

from kiosk.core.visits import DENIED, ON_SITE_STATES
from kiosk.errors import VisitorBlocked

from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for

HEADLINES = {"printing": N_("Printing your badge…"),
             "not_printed": N_("You are signed in, but your badge could not be printed"),
             "print_unknown": N_("You are signed in. Please take your badge from the printer"),
             "not_signed_in": N_("Sorry, we could not sign you in"),
             "awaiting": N_("Your visit needs approval"),
             "denied": N_("Sorry, your visit was not approved"),
             "see_reception": N_("Please see reception")}
# The texts under the headline; {host} is the visitor's host. A blocked visitor sees the same
# neutral words as one whose approval takes too long: nothing tells them why.
BODIES = {"printing": N_("This takes a few seconds. Your badge will come out of the printer below the screen."),
          "not_printed": N_("Your visit is recorded. Please see reception for your badge."),
          # The printer never confirmed the job: the badge may well be in the tray.
          "print_unknown": N_("If no badge came out, please see reception."),
          "awaiting": N_("We have asked {host}; reception can approve it too. Please wait here for your badge."),
          "awaiting_reception": N_("We have asked reception to approve your visit. Please wait here for your badge."),
          "awaiting_nobody": N_("Reception will decide on your visit. Please see reception."),
          "denied": N_("Please see reception if you have any questions."),
          "see_reception": N_("Reception will help you complete your registration.")}
APPROVAL_WAIT_S = 180  # then the visitor is sent to reception, who can approve and print the badge
POLL_S = 2.0

load_kv(__file__)


class PrintingScreen(KioskScreen):
    HEADLINES = HEADLINES
    # The text under each headline; "awaiting" says who was really asked (see awaiting()).
    BODIES = DictProperty(BODIES)
    state = OptionProperty("printing", options=[*HEADLINES])
    angle = NumericProperty(0)
    detail = StringProperty("")
    host = StringProperty("")

    def on_state(self, _screen, state: str) -> None:
        # Its button appears where "Confirm and print" was: the second tap of a double tap on
        # that must not press OK and skip what the visitor has to read (not printed, denied).
        app = App.get_running_app()
        if state != "printing" and self.manager is not None and self.manager.current == self.name \
                and hasattr(app, "guard_taps"):
            app.guard_taps()

    def start(self) -> None:
        self.state = "printing"
        self.detail = ""
        self.keeps_awake = False
        self.every("spin", 0, self._turn)  # every frame, as long as it prints or waits

    def _turn(self) -> None:
        self.angle = (self.angle + 300 * Clock.frametime) % 360

    def not_printed(self, result) -> None:
        """Signed in, badge not printed (or not confirmed: then it may be in the tray): the
        visit stands; reception will hand over a badge."""
        self.stop_timer("spin")
        self.state = "print_unknown" if getattr(result, "print_unknown", False) else "not_printed"
        self.detail = ""

    def failed(self, error: Exception) -> None:
        """Nothing was recorded (a name the badge cannot print, a full disk): say so plainly.
        A visitor the entry policy stopped is only sent to reception."""
        self.stop_timer("spin")
        if isinstance(error, VisitorBlocked):
            self.state = "see_reception"
            return
        self.state = "not_signed_in"
        self.tell("detail", reason_for(error))

    def awaiting(self, result) -> None:
        """Signed in, waiting for reception or the host to approve: the badge prints here as
        soon as they do, if the visitor is still waiting."""
        self.BODIES = {**BODIES, "awaiting": BODIES[asked_text(self.flow.telling)]}
        self.state = "awaiting"
        self.host = result.visit.host.get("name", "")
        self.keeps_awake = True
        visit_id = result.visit.visit_id
        self.every("poll", POLL_S, lambda: self.flow.run_io(lambda: self.flow.kiosk.log.visit(visit_id),
                                                            self._decided, lambda _error: None))
        self.later("give_up", APPROVAL_WAIT_S, lambda: self._stop_waiting("see_reception"))

    def _decided(self, visit) -> None:
        if self.state != "awaiting" or visit is None:
            return
        if visit.state in ON_SITE_STATES:
            self._stop_waiting("printing")
            self.flow.print_approved(visit.visit_id)
        elif visit.state == DENIED:
            self._stop_waiting("denied")

    def _stop_waiting(self, state: str) -> None:
        for timer in ("poll", "give_up", "spin"):
            self.stop_timer(timer)
        self.keeps_awake = False
        self.state = state

    def finish(self) -> None:
        if self.state == "not_signed_in":
            self.flow.go("review")
        else:
            self.flow.cancel()


def asked_text(told) -> str:
    """Whom the waiting visitor is told was asked (a BODIES key): the host only when they were
    sent a link that decides, reception only when a reception desk sees the visit; with
    neither, reception decides when the visitor goes there."""
    if told.host_asked and told.reception_sees:
        return "awaiting"
    return "awaiting_reception" if told.reception_sees else "awaiting_nobody"
