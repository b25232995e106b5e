"""Signing out: the visitor holds the badge's QR to the scanner (a keyboard-wedge scanner
types it, then Enter) or types the badge number printed under the QR."""

from __future__ import annotations

from kivy.properties import BooleanProperty

from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for

load_kv(__file__)


class SignOutScreen(KioskScreen):
    checking = BooleanProperty(False)
    keyboard_mode = "badge"

    def on_pre_enter(self, *_):
        self.wipe()
        self.checking = False
        super().on_pre_enter()

    def submit(self) -> None:
        text = self.ids.field.text.strip()
        if self.checking or not text:
            return
        self.checking = True
        self.flow.sign_out(text)

    def scanned(self, text: str) -> None:
        self.ids.field.text = text
        self.submit()

    def on_leave(self, *_):
        super().on_leave()
        self.checking = False

    def failed(self, error: Exception) -> None:
        """The log could not be read or written: nothing changed; say so and let them retry."""
        self.checking = False
        self.tell("message", reason_for(error))
