"""While the badge prints: a moving indicator (the screen is alive even on a slow printer).
If the badge does not print, the visit is kept and the visitor is sent to reception, who see
"not printed" in the log and reprint it."""

from __future__ import annotations

from kivy.animation import Animation
from kivy.properties import NumericProperty, OptionProperty, StringProperty

from kiosk.ui.screens.base import N_, KioskScreen, load_kv, say

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
        self.angle = 0
        self._spin = Animation(angle=360, duration=1.2)
        self._spin.repeat = True
        self._spin.start(self)

    def on_leave(self, *_):
        self._stop_spinning()

    def _stop_spinning(self) -> None:
        Animation.cancel_all(self, "angle")

    def not_printed(self, result) -> None:
        """Signed in, badge not printed: the visit stands; reception will hand over a badge."""
        self._stop_spinning()
        self.state = "not_printed"
        self.detail = ""

    def failed(self, error: Exception) -> None:
        """Nothing was recorded (a name the badge cannot print, a full disk): say so plainly."""
        self._stop_spinning()
        self.state = "not_signed_in"
        self.detail = say(error)

    def finish(self) -> None:
        if self.state == "not_signed_in":
            self.flow.go("review")
        else:
            self.flow.cancel()

