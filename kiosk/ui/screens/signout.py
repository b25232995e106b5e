"""Signing out: the visitor holds the badge's QR to the scanner (a keyboard-wedge scanner
types it, then Enter; or the camera reads it) or types the badge number printed under the QR.

A scan carries the badge's signature; a number does not, and anyone can read it off another
visitor's badge. So at the lobby kiosk a typed number signs out only after staff type the PIN
(the PIN pad's lockout applies); the visitor is asked to fetch reception. Text that is neither
gets its "not a visitor badge" at once: it can sign nobody out. At the exit post this
screen is the staff look-up, reached through the PIN already, so no second PIN is asked."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.tokens import PREFIX, parse_badge_number
from kiosk.store.staffpin import PinGuard
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for

load_kv(__file__)


def is_scan(text: str) -> bool:
    """A badge's signed QR text, as a scanner reads it (not a badge number typed by hand)."""
    return text.strip().upper().startswith(PREFIX)


class SignOutScreen(KioskScreen):
    checking = BooleanProperty(False)
    asking_pin = BooleanProperty(False)  # a typed badge number waits for staff
    keyboard_mode = StringProperty("badge")
    number = StringProperty("")  # the typed badge number the PIN is for

    def __init__(self, guard: PinGuard | None = None, **kwargs):
        super().__init__(**kwargs)
        self._guard = guard  # None: whoever is here has typed the PIN already
        
    def on_pre_enter(self, *_):
        self.wipe()
        self.checking = False
        super().on_pre_enter()

    def submit(self) -> None:
        if self.asking_pin:
            self._check_pin()
            return
        text = self.ids.field.text.strip()
        if self.checking or not text:
            return
        if self._guard is not None and not is_scan(text) and parse_badge_number(text) is not None:
            self._ask_pin(text)
            return
        self._sign_out(text)

    def scanned(self, text: str) -> None:
        """From the camera or an evdev scanner: a scan signs out even while the PIN is asked."""
        if self.asking_pin and is_scan(text):
            self._number_mode()
        self.ids.field.text = text
        self.submit()

    def _sign_out(self, text: str) -> None:
        self.checking = True
        self.flow.sign_out(text)

    def _ask_pin(self, number: str) -> None:
        self.number = number
        self.asking_pin = True
        self.keyboard_mode = "digits"
        self.ids.field.clear()
        self.flow.use_keyboard(self)
        wait = self._guard.wait_s()
        if wait:
            self.tell_pin_refused(wait)
        else:
            self.tell("message", N_("A typed badge number needs staff: please ask reception to type the staff PIN."))

    def _check_pin(self) -> None:
        entered = self.ids.field.text
        self.ids.field.clear()
        attempt = self._guard.attempt(entered)
        if attempt.ok:
            number = self.number
            self._number_mode()
            self._sign_out(number)
        else:
            self.tell_pin_refused(attempt.wait_s)

    def _number_mode(self) -> None:
        self.number = ""
        self.message = ""
        self.asking_pin = False
        self.keyboard_mode = "badge"
        self.ids.field.clear()
        if self.manager is not None and self.manager.current_screen is self:
            self.flow.use_keyboard(self)

    def on_leave(self, *_):
        super().on_leave()
        self.checking = False

    def failed(self, error: Exception) -> None:
        """The log could not be read or written: nothing changed; say so and let them retry."""
        self.checking = False
        self.tell("message", reason_for(error))

    def wipe(self) -> None:
        self.number = ""
        self.asking_pin = False
        self.keyboard_mode = "badge"
        super().wipe()
