"""Typed answers: the phone (of a visitor who has been here before), a purpose of one's own, a
note for the host, one per screen; and name and company together on the "who" screen. A
returning visitor whose name confirms the visit made under their phone number skips the
company (kiosk.core.recognise)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from kiosk.core.validation import MAX_COMPANY, MAX_NAME, MAX_PURPOSE, clean_name, clean_phone, clean_text
from kiosk.errors import KioskError
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.widgets import KButton

load_kv(__file__)

MAX_MESSAGE = 200  # a note, not a letter: it goes to a chat group as it is

# field -> (question, hint, keyboard, longest answer, check that cleans it or raises ValidationError)
FIELDS = {
    "phone": (N_("Your mobile number"), "", "digits", 20,
              lambda text: clean_phone(text) or clean_text("", "phone", 0, required=True)),
    "name": (N_("What is your name?"), N_("As on your ID"), "pinyin", MAX_NAME, clean_name),
    "company": (N_("Which company are you from?"), N_("Optional"), "pinyin",
                MAX_COMPANY, lambda text: clean_text(text, "company", MAX_COMPANY)),
    "purpose": (N_("What brings you here today?"), N_("A few words are enough."), "pinyin", MAX_PURPOSE,
                lambda text: clean_text(text, "purpose", MAX_PURPOSE, required=True)),
    "message": (N_("What would you like to tell your host?"),
                N_("Your host and reception see it."), "pinyin", MAX_MESSAGE,
                lambda text: clean_text(text, "message", MAX_MESSAGE, required=True)),
}


class EntryScreen(KioskScreen):
    commits_candidates = True  # Next and Enter take the composing letters' first candidate
    field_name = StringProperty("name")
    question = StringProperty("")
    hint = StringProperty("")
    max_length = NumericProperty(64)
    looking_up = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.question, self.hint, self._mode, self.max_length, self._check = FIELDS[self.field_name]
        self.keyboard_digits = self.field_name != "name"
        self.keyboard_field = self.field_name if self.field_name in ("name", "company") else "other"

    def on_pre_enter(self, *_):
        self.message = ""
        self.looking_up = False
        self.ids.field.text = getattr(self.flow.form, self.field_name, "")
        self.keyboard_mode = self._mode if self._mode == "digits" else self.flow.text_keyboard()
        super().on_pre_enter()

    def submit(self) -> None:
        if self.looking_up:
            return
        if not self.keyboard.commit_composing():
            self.tell("message", N_("Please pick the characters for the letters you typed, or delete them."))
            return
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
        if self.field_name == "phone" and not self.flow.editing:
            self.looking_up = True
            self.flow.look_up_phone(value, lambda: setattr(self, "looking_up", False))
        elif self.field_name == "phone":
            self.flow.offer_returning(None)  # a number added on review: for next time
        else:
            self.flow.next(self.name)


class WhoScreen(KioskScreen):
    """Name and company on one screen: Next on the name goes on to the company, a tap on a
    field types into it. After the phone step, four names to tap one's own (or type it)."""

    commits_candidates = True  # Next and Enter take the composing letters' first candidate
    active = StringProperty("name")  # the field typed into: "name" or "company"
    message_for = StringProperty("")
    choices = ListProperty([])  # "which is you?": names offered after the phone step

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keyboard_digits = False
        self.keyboard_field = self.active

    def on_active(self, *_):
        self.keyboard_field = self.active  # the keyboard ranks names or company words

    def typing_field(self):
        return self.ids[f"{self.active}_field"]

    def on_pre_enter(self, *_):
        form = self.flow.form
        self.message = ""
        self.ids.name_field.text, self.ids.company_field.text = form.name, form.company
        self.active = "company" if self.flow.editing == "company" else "name"
        self.choices = [] if self.flow.editing else self.flow.name_choices
        self.keyboard_mode = self.flow.text_keyboard()
        super().on_pre_enter()

    def on_choices(self, *_):
        grid = self.ids.choice_grid
        grid.clear_widgets()
        for name in self.choices:
            button = KButton(text=name)
            button.bind(on_release=lambda b: self.pick(b.text))
            grid.add_widget(button)

    def pick(self, name: str) -> None:
        """A tap on a name offered: one's own moves on as a returning visitor; another is a
        wrong answer, and the visitor types their name (nothing is taken from the tap)."""
        self.choices = []
        if not self.flow.name_picked(name):
            self.tell("message", N_("Please type your name."))

    def activate(self, field: str) -> None:
        """A tap on a field: the keyboard types there (letters being composed go where typed)."""
        if field != self.active and self._composed():
            self.active = field
            self.flow.use_keyboard(self)

    def _composed(self) -> bool:
        """The composing letters made characters (their first candidates), or a message why not."""
        if self.keyboard.commit_composing():
            return True
        self.tell("message", N_("Please pick the characters for the letters you typed, or delete them."))
        return False

    def submit(self) -> None:
        if not self._composed():
            return
        check = FIELDS[self.active][4]
        try:
            value = check(self.typing_field().text)
        except KioskError as exc:
            self.tell("message", reason_for(exc))
            return
        self.message = ""
        if self.active == "company":
            self.flow.form.company = value
            self.flow.next(self.name)
        elif self.flow.editing:
            self.flow.renamed(value)
        elif not self.flow.name_entered(value):
            self.choices = []
            self.activate("company")

    def wipe(self) -> None:
        super().wipe()
        self.ids.name_field.clear()
        self.ids.company_field.clear()
        self.active = "name"
        self.choices = []
