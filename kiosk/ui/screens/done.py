"""Signed in: take the badge, whom you are here to see, where to wait; back to welcome by
itself so the next visitor finds a fresh screen."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.notifier import channels_for
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

SHOWN_SECONDS = 12


class DoneScreen(KioskScreen):
    host = StringProperty("")
    host_name = StringProperty("")
    name_text = StringProperty("")
    told = BooleanProperty(False)  # the host is being told on some channel (else reception tells them)
    message_left = BooleanProperty(False)
    seconds_left = NumericProperty(SHOWN_SECONDS)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        visit = self.flow.last_check_in.visit
        self.name_text = visit.visitor.get("name", "")
        self.host_name = visit.host.get("name", "")
        self.host = f"{self.host_name}   {visit.host.get('department', '')}".strip()
        self.told = bool(channels_for(self.flow.kiosk.settings, self.flow.form.host))
        self.message_left = self.flow.message_left
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
        self.host = self.name_text = ""
