"""Signed in: take the badge, whom you are here to see, where to wait; back to welcome by
itself so the next visitor finds a fresh screen."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.telling import Telling
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

SHOWN_SECONDS = 12


class DoneScreen(KioskScreen):
    host = StringProperty("")
    host_name = StringProperty("")
    name_text = StringProperty("")
    status = StringProperty("")  # who tells the host, as it will really happen (kiosk.telling)
    can_message = BooleanProperty(False)  # a note for the host reaches someone
    message_left = BooleanProperty(False)
    seconds_left = NumericProperty(SHOWN_SECONDS)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        visit = self.flow.last_check_in.visit
        self.name_text = visit.visitor.get("name", "")
        self.host_name = visit.host.get("name", "")
        self.host = f"{self.host_name}   {visit.host.get('department', '')}".strip()
        self.message_left = self.flow.message_left
        self.can_message = self.flow.telling.can_message
        self.tell("status", status_text(self.flow.telling, self.message_left), host=self.host_name)
        self.seconds_left = SHOWN_SECONDS
        self.every("countdown", 1.0, self._tick)

    def _tick(self) -> None:
        self.seconds_left -= 1
        if self.seconds_left <= 0:
            self.finish()

    def finish(self) -> None:
        self.flow.cancel()

    def leave_message(self) -> None:
        self.flow.go("message")

    def wipe(self) -> None:
        super().wipe()
        self.host = self.name_text = self.status = ""


def status_text(told: Telling, message_left: bool) -> str:
    """What the visitor is told about their host (a msgid with {host}): only what a channel or
    a reception desk will really do; with neither, the visitor tells reception themselves."""
    if message_left:
        return N_("Your message for {host} is on its way.") if told.message_sent \
            else N_("Reception will pass your message on to {host}.")
    if told.host_told:
        return N_("We are letting {host} know you are here.")
    if told.reception_sees:
        return N_("Reception will let {host} know you are here.")
    return N_("Please tell reception that you are here to see {host}.")
