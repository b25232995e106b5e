"""While the badge prints: a moving indicator (the screen is alive even on a slow printer).
If the badge does not print, the visit is kept and the visitor is sent to reception, who see
"not printed" in the log and reprint it."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import NumericProperty, OptionProperty, StringProperty

from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for

HEADLINES = {"printing": N_("Printing your badge…"),
             "not_printed": N_("You are signed in, but your badge could not be printed"),
             "not_signed_in": N_("Sorry, we could not sign you in")}

load_kv(__file__)


class PrintingScreen(KioskScreen):
    HEADLINES = HEADLINES
    state = OptionProperty("printing", options=["printing", "not_printed", "not_signed_in"])
    angle = NumericProperty(0)
    detail = StringProperty("")

    def start(self) -> None:
        self.state = "printing"
        self.detail = ""
        self.every("spin", 0, self._turn)  # every frame, as long as it prints

    def _turn(self) -> None:
        self.angle = (self.angle + 300 * Clock.frametime) % 360

    def not_printed(self, result) -> None:
        """Signed in, badge not printed: the visit stands; reception will hand over a badge."""
        self.stop_timer("spin")
        self.state = "not_printed"
        self.detail = ""

    def failed(self, error: Exception) -> None:
        """Nothing was recorded (a name the badge cannot print, a full disk): say so plainly."""
        self.stop_timer("spin")
        self.state = "not_signed_in"
        self.tell("detail", reason_for(error))

    def finish(self) -> None:
        if self.state == "not_signed_in":
            self.flow.go("review")
        else:
            self.flow.cancel()

