"""What every screen shares: the flow it reports to, and keys from a physical keyboard or a
keyboard-wedge scanner, routed to the screen's on-screen keyboard."""

from __future__ import annotations

import time
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.errors import ValidationError
from kiosk.ui.i18n import N_, tr
from kiosk.ui.keyboard import BACKSPACE


def load_kv(module_file: str) -> None:
    """Load the .kv file beside a screen module."""
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


STAFF_TAPS = 5
STAFF_WINDOW = 4.0  # seconds for the taps

_MESSAGES = {
    "required": N_("Please fill this in."),
    "too_long": N_("That is too long; please shorten it."),
    "invalid_phone": N_("Please enter a phone number of 5 to 15 digits."),
    "control_character": N_("Please use only letters, digits and common punctuation."),
    "symbol_character": N_("Please use only letters, digits and common punctuation."),
    "unprintable": N_("Some characters cannot be printed on the badge; please use others."),
}


def reason_for(error: Exception) -> str:
    """The visitor-facing sentence (a msgid) for what went wrong."""
    if isinstance(error, ValidationError):
        return _MESSAGES.get(error.code, N_("Please check what you entered."))
    return N_("Something went wrong. Please see reception.")


class KioskScreen(Screen):
    flow = ObjectProperty(None)
    message = StringProperty("")  # a hint or what went wrong, in the visitor's language
    # The shared on-screen keyboard: its layout on this screen ("" for none), typing into the
    # screen's ``field``.
    keyboard_mode = StringProperty("")
    keyboard_digits = BooleanProperty(True)
    keyboard_field = StringProperty("other")  # what is typed: name, company or other (the ranking)
    keeps_awake = BooleanProperty(False)  # the idle timer leaves the screen alone (a wait for approval)

    def __init__(self, **kwargs):
        self._timers: dict[str, object] = {}
        super().__init__(**kwargs)

    def later(self, name: str, seconds: float, action) -> None:
        """``action()`` in ``seconds``, while this screen shows; one timer per name."""
        self.stop_timer(name)
        self._timers[name] = Clock.schedule_once(lambda dt: action(), seconds)

    def every(self, name: str, seconds: float, action) -> None:
        """``action()`` every ``seconds`` (0: every frame), while this screen shows."""
        self.stop_timer(name)
        self._timers[name] = Clock.schedule_interval(lambda dt: action(), seconds)

    def stop_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def on_leave(self, *_):
        for name in list(self._timers):
            self.stop_timer(name)

    def on_pre_enter(self, *_):
        self.flow.use_keyboard(self)

    def tell(self, prop: str, msgid: str, **values) -> None:
        """Set a text property to a translated sentence, remembered so that switching language
        translates it again (a message set once in Chinese must not stay Chinese in English)."""
        text = tr(msgid).format(**values)
        self._told = {**getattr(self, "_told", {}), prop: (msgid, values, text)}
        setattr(self, prop, text)

    def tell_pin_refused(self, wait_s: int = 0) -> None:
        """A PIN pad's refusal: locked for a while after too many wrong PINs, or just wrong."""
        if wait_s:
            self.tell("message", N_("Too many wrong PINs. Try again in {minutes} min."), minutes=-(-wait_s // 60))
        else:
            self.tell("message", N_("Wrong PIN."))

    def retell(self) -> None:
        for prop, (msgid, values, text) in getattr(self, "_told", {}).items():
            if getattr(self, prop) == text:  # still showing what was told, not something newer
                self.tell(prop, msgid, **values)

    def staff_tap(self) -> None:
        """Five quick taps on the hidden corner open the staff PIN pad."""
        now = time.monotonic()
        self._taps = [t for t in getattr(self, "_taps", []) if now - t < STAFF_WINDOW] + [now]
        if len(self._taps) >= STAFF_TAPS:
            self._taps = []
            self.flow.go("staff")

    @property
    def keyboard(self):
        return self.flow.keyboard if self.keyboard_mode else None

    def typing_field(self):
        """The field the on-screen keyboard types into."""
        return self.ids.field

    def key_text(self, text: str) -> None:
        if self.keyboard is not None:
            self.keyboard.type_text(text)

    def key_backspace(self) -> None:
        if self.keyboard is not None:
            self.keyboard.press(BACKSPACE)

    def key_enter(self) -> None:
        if getattr(self, "commits_candidates", False):
            pass  # submit() turns the composing letters into characters itself
        elif self.keyboard is not None:
            self.keyboard.commit_letters()
        submit = getattr(self, "submit", None)
        if submit is not None:
            submit()

    def scanned(self, text: str) -> None:
        """A scan from a scanner read through evdev: ignored where nothing is scanned."""

    def wipe(self) -> None:
        """Forget whatever this screen shows of the visitor."""
        self.message = ""
        field = self.ids.get("field")
        if field is not None:
            field.clear()
