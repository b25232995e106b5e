"""Questions answered by a tap on one of a few big buttons, and the questions a visitor type
brings (the entry policy's), one per screen: typed, yes/no or a choice. The type itself is
chosen on the visit screen (purpose.py)."""

from __future__ import annotations

from typing import Mapping

from kivy.properties import StringProperty

from kiosk.core.policy import CHOICE, MAX_ANSWER, TEXT, YESNO
from kiosk.core.validation import clean_text
from kiosk.errors import KioskError
from kiosk.ui.i18n import N_, tr
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.widgets import KButton

load_kv(__file__)


def in_language(labels: Mapping[str, str]) -> str:
    """A policy label in the screen's language (the policy document gives all three)."""
    return labels.get(tr.lang) or labels.get("en") or next(iter(labels.values()), "")


class ChoiceButton(KButton):
    value = StringProperty("")


class ChoiceScreen(KioskScreen):
    """A question answered by one of a few big buttons."""

    def show_choices(self, choices: list[tuple[str, str]]) -> None:
        grid = self.ids.choices
        grid.clear_widgets()
        for value, text in choices:
            button = ChoiceButton(value=value, text=text)
            button.bind(on_release=lambda b: self.choose(b.value))
            grid.add_widget(button)

    def retell(self) -> None:
        super().retell()
        if self.manager is not None and self.manager.current == self.name:
            self.show()

    def on_pre_enter(self, *_):
        self.show()
        super().on_pre_enter()

    def show(self) -> None:
        raise NotImplementedError

    def choose(self, value: str) -> None:
        raise NotImplementedError


class QuestionScreen(ChoiceScreen):
    commits_candidates = True  # Next and Enter take the composing letters' first candidate
    question = StringProperty("")
    kind = StringProperty(TEXT)

    def _asked(self):
        return self.flow.questions()[self.flow.form.question]

    def show(self) -> None:
        asked = self._asked()
        self.kind, self.question, self.message = asked.kind, in_language(asked.labels), ""
        if asked.kind == TEXT:
            self.ids.field.text = self.flow.form.answers.get(asked.key, "")
            self.keyboard_mode = self.flow.text_keyboard()
            self.show_choices([])
        else:
            self.keyboard_mode = ""
            choices = [("yes", tr("Yes")), ("no", tr("No"))] if asked.kind == YESNO else \
                [(c.key, in_language(c.labels)) for c in asked.choices if asked.kind == CHOICE]
            self.show_choices(choices)

    def submit(self) -> None:
        if self.kind != TEXT:
            return
        if not self.keyboard.commit_composing():
            self.tell("message", N_("Please pick the characters for the letters you typed, or delete them."))
            return
        asked = self._asked()
        try:
            answer = clean_text(self.ids.field.text, asked.key, MAX_ANSWER, required=asked.required)
        except KioskError as exc:
            self.tell("message", reason_for(exc))
            return
        self.choose(answer)

    def choose(self, value: str) -> None:
        self.flow.form.answers[self._asked().key] = value
        self.flow.next(self.name)
