"""Staff only, behind the hidden corner and a PIN: leave the kiosk, or print a test page.
Wrong PINs lock the pad for longer and longer, counted on disk (kiosk.store.staffpin), so
restarting the kiosk gives nobody fresh tries."""

from __future__ import annotations

from kivy.properties import BooleanProperty

from kiosk.store.staffpin import PinGuard
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class StaffScreen(KioskScreen):
    unlocked = BooleanProperty(False)
    keyboard_mode = "digits"

    lookup = BooleanProperty(False)  # the exit post's manual look-up of an unreadable badge

    def __init__(self, guard: PinGuard, quit_app=lambda: None, unlock_to: str = "", **kwargs):
        super().__init__(**kwargs)
        self._guard = guard
        self._unlock_to = unlock_to  # reception: the console, straight after the PIN
        self._quit = quit_app

    def on_pre_enter(self, *_):
        self.wipe()
        super().on_pre_enter()
        if self._guard.wait_s():
            self.tell_pin_refused(self._guard.wait_s())

    def submit(self) -> None:
        entered = self.ids.field.text
        self.ids.field.clear()
        attempt = self._guard.attempt(entered)
        if attempt.ok:
            self.message = ""
            if self._unlock_to:
                self.flow.go(self._unlock_to)
                return
            self.unlocked = True
            self.flow.use_keyboard(None)
        else:
            self.tell_pin_refused(attempt.wait_s)

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
