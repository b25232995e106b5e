"""One typed answer per screen: phone, name, company, or a purpose of one's own. The phone
comes first, so that a returning visitor who then types their name skips the company."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.core.validation import MAX_COMPANY, MAX_NAME, MAX_PURPOSE, clean_name, clean_phone, clean_text
from kiosk.errors import KioskError
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for

load_kv(__file__)

MAX_MESSAGE = 200  # a note, not a letter: it goes to a chat group as it is

# field -> (question, hint, keyboard, longest answer, check that cleans it or raises ValidationError)
FIELDS = {
    "phone": (N_("What is your mobile number?"), N_("We use it to recognise you next time."), "digits", 20,
              lambda text: clean_phone(text) or clean_text("", "phone", 0, required=True)),
    "name": (N_("What is your name?"), N_("As on your ID, please."), "pinyin", MAX_NAME, clean_name),
    "company": (N_("Which company are you from?"), N_("Leave empty if you are visiting privately."), "pinyin",
                MAX_COMPANY, lambda text: clean_text(text, "company", MAX_COMPANY)),
    "purpose": (N_("What brings you here today?"), N_("A few words are enough."), "pinyin", MAX_PURPOSE,
                lambda text: clean_text(text, "purpose", MAX_PURPOSE, required=True)),
    "message": (N_("What would you like to tell your host?"),
                N_("Your host and reception see it."), "pinyin", MAX_MESSAGE,
                lambda text: clean_text(text, "message", MAX_MESSAGE, required=True)),
}


class EntryScreen(KioskScreen):
    field_name = StringProperty("name")
    question = StringProperty("")
    hint = StringProperty("")
    max_length = NumericProperty(64)
    looking_up = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.question, self.hint, self._mode, self.max_length, self._check = FIELDS[self.field_name]
        self.keyboard_digits = self.field_name != "name"

    def on_pre_enter(self, *_):
        self.message = ""
        self.looking_up = False
        self.ids.field.text = getattr(self.flow.form, self.field_name, "")
        self.keyboard_mode = self._mode if self._mode == "digits" else self.flow.text_keyboard()
        super().on_pre_enter()

    def submit(self) -> None:
        if self.looking_up:
            return
        self.keyboard.commit_letters()
        try:
            value = self._check(self.ids.field.text)
        except KioskError as exc:
            self.tell("message", reason_for(exc))
            return
        if self.field_name == "message":
            self.looking_up = True  # one message per tap, however often Send is pressed meanwhile

            def failed(exc: Exception) -> None:
                self.looking_up = False
                self.tell("message", reason_for(exc))

            self.flow.leave_message(value, failed)
            return
        if self.field_name == "name":
            self.flow.name_entered(value)
            return
        setattr(self.flow.form, self.field_name, value)
        if self.field_name == "phone":
            self._recognise(value)
        else:
            self.flow.next(self.name)

    def _recognise(self, phone: str) -> None:
        self.looking_up = True

        def found(known):
            self.looking_up = False
            self.flow.offer_returning(known)

        def failed(exc):  # the log could not be read: carry on as a new visitor
            self.looking_up = False
            self.flow.offer_returning(None)

        self.flow.run_io(lambda: self.flow.kiosk.returning_visitor(phone), found, failed)
