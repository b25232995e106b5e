"""Building blocks every screen uses: big buttons, the text field the on-screen keyboard types
into, and the top bar (back, language, cancel)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui import linewrap, theme as T
from printer.fonts import unsupported_chars

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
linewrap.install()  # every screen imports this module: one line-breaking rule for all labels


class KButton(Button):
    fill = ColorProperty(T.SURFACE)
    shown = BooleanProperty(True)  # hidden buttons keep their place in the layout


class PrimaryButton(KButton):
    fill = ColorProperty(T.PRIMARY)


class TextField(FloatLayout):
    """A one-line field typed into by the on-screen keyboard, a physical keyboard or a scanner.
    It refuses what could not be shown or printed (control characters, emoji, glyphs the CJK
    font lacks) instead of drawing tofu, and says so through ``refused``."""

    text = StringProperty("")
    hint = StringProperty("")
    max_length = NumericProperty(64)
    allowed = StringProperty("")  # when set, only these characters are taken
    refused = StringProperty("")  # the characters last refused, for the screen to explain
    secret = BooleanProperty(False)

    def insert(self, chars: str) -> None:
        text, refused = self.text, []
        for char in unicodedata.normalize("NFC", chars):
            if char.isspace():  # one space between words, none in front
                if text and not text.endswith(" ") and not self.allowed:
                    text += " "
            elif self._acceptable(char):
                text += char
            else:
                refused.append(char)
        self.text = text[:int(self.max_length)]
        self.refused = "".join(dict.fromkeys(refused))

    def _acceptable(self, char: str) -> bool:
        if self.allowed:
            return char in self.allowed
        return unicodedata.category(char)[0] not in "CZ" and not unsupported_chars(char)

    def backspace(self) -> None:
        self.text = self.text[:-1]
        self.refused = ""

    def clear(self) -> None:
        self.text = ""
        self.refused = ""


class TopBar(BoxLayout):
    """Back, the step's progress, the language choice and cancel; the screen handles the events."""

    screen = StringProperty("")  # the screen's name
    __events__ = ("on_back", "on_cancel", "on_language")

    def on_back(self):
        pass

    def on_cancel(self):
        pass

    def on_language(self, lang):
        pass
