"""Staff only, behind the hidden corner and a PIN: leave the kiosk, or print a test page.
Five wrong PINs lock the pad for a minute."""

from __future__ import annotations

import secrets
import time

from kivy.properties import BooleanProperty

from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

MAX_TRIES = 5
LOCKED_SECONDS = 60


class StaffScreen(KioskScreen):
    unlocked = BooleanProperty(False)
    keyboard_mode = "digits"

    lookup = BooleanProperty(False)  # the exit post's manual look-up of an unreadable badge

    def __init__(self, pin: str = "", quit_app=lambda: None, unlock_to: str = "", **kwargs):
        super().__init__(**kwargs)
        self._pin = pin
        self._unlock_to = unlock_to  # reception: the console, straight after the PIN
        self._quit = quit_app
        self._wrong = 0
        self._locked_until = 0.0

    def on_pre_enter(self, *_):
        self.wipe()
        super().on_pre_enter()

    def submit(self) -> None:
        if time.monotonic() < self._locked_until:
            self.tell("message", N_("Too many wrong PINs. Try again in a minute."))
            return
        entered = self.ids.field.text
        self.ids.field.clear()
        if secrets.compare_digest(entered, self._pin):
            self._wrong = 0
            self.message = ""
            if self._unlock_to:
                self.flow.go(self._unlock_to)
                return
            self.unlocked = True
            self.flow.use_keyboard(None)
            return
        self._wrong += 1
        if self._wrong >= MAX_TRIES:
            self._wrong = 0
            self._locked_until = time.monotonic() + LOCKED_SECONDS
        self.tell("message", N_("Wrong PIN."))

    def test_page(self) -> None:
        def printed(_):
            self.tell("message", N_("Test page printed."))

        def failed(exc):
            self.tell("message", N_("The printer says: {error}"), error=exc)

        self.tell("message", N_("Printing a test page…"))
        self.flow.run_io(self.flow.print_test_page, printed, failed)

    def quit(self) -> None:
        self._quit()

    def wipe(self) -> None:
        super().wipe()
        self.unlocked = False
