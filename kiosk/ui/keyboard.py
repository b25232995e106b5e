"""The kiosk's own on-screen keyboard: Latin letters, pinyin with a candidate bar (type
``zhang``, tap 张), a digit pad for phone numbers and a badge-number layout. Every key and
candidate is at least KEY_MIN (12 mm at 150 px/inch) in both axes; physical keyboards and
keyboard-wedge scanners type through the same ``type_text`` / ``press`` calls.

The field (``field``: name, company or other) picks the engine's ranking. Shift shows: the key
lights and the letters turn capital. In a name field typed in Latin letters each word starts with
a capital by itself (Shift lights at the start of each word)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.ime import PinyinInput, is_hanzi
from kiosk.ui import theme as T
from kiosk.ui.widgets import KButton

BACKSPACE, SPACE, SHIFT, SWITCH = "←", "space", "⇧", "中/EN"  # glyphs Noto Sans CJK has
PAGE = 7  # candidates shown at once
KEY_MIN = 71  # dp: 12 mm at 150 px/inch is 71 px; a dp is at least a px on every screen we run
MAX_COMPOSING = 24  # pinyin letters held at once: beyond that it is not pinyin; type it as it is

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

_LETTER_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_LAYOUTS = {
    "pinyin": [list(_LETTER_ROWS[0]), list(_LETTER_ROWS[1]) + [BACKSPACE], list(_LETTER_ROWS[2]) + ["'"],
               # "@" right of space, where a phone's e-mail keyboard has it (invitations, e-mail answers)
               [SHIFT] + list(_LETTER_ROWS[3]) + ["-", "."], [SWITCH, "(", ")", SPACE, "@", "&"]],
    "digits": [list("123"), list("456"), list("789"), ["+", "0", BACKSPACE]],
    "badge": [list(_LETTER_ROWS[0]), list(_LETTER_ROWS[1].upper()) + [BACKSPACE], list(_LETTER_ROWS[2].upper()),
              list(_LETTER_ROWS[3].upper()) + ["-"]],
}
_LAYOUTS["latin"] = _LAYOUTS["pinyin"]


class Key(KButton):
    key = StringProperty("")


class OnScreenKeyboard(BoxLayout):
    mode = OptionProperty("pinyin", options=list(_LAYOUTS))
    target = ObjectProperty(None, allownone=True)  # the TextField being typed into
    composing = StringProperty("")  # pinyin letters not yet turned into characters
    candidates = ListProperty([])
    page = NumericProperty(0)
    shift = BooleanProperty(False)
    script = StringProperty("zh_CN")
    has_more = BooleanProperty(False)
    digits = BooleanProperty(True)  # the row of digits above the letters (names never need it)
    field = OptionProperty("other", options=["name", "company", "other"])
    key_min = NumericProperty(KEY_MIN)  # for the kv rule

    def __init__(self, **kwargs):
        self.ime = PinyinInput()
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget):
        # ids exist only once the kv rule has been applied, which for a keyboard declared
        # inside a screen's rule is after __init__.
        for index in range(PAGE):
            choice = Key(disabled=True)
            choice.bind(on_release=lambda b, i=index: self.choose(i))
            self.ids.choices.add_widget(choice)
        self._build()

    def on_candidates(self, *_):
        for index, choice in enumerate(reversed(self.ids.choices.children)):
            choice.text = self.candidates[index] if index < len(self.candidates) else ""
            choice.disabled = index >= len(self.candidates)

    def on_digits(self, *_):
        self._build()

    def on_mode(self, *_):
        self.reset()
        self._build()

    def on_field(self, *_):
        self.ime.set_field(self.field)
        self._refresh()
        self._auto_shift()

    def on_shift(self, *_):
        for key in self.ids.rows.walk(restrict=True):
            if isinstance(key, Key) and key.key:
                key.text = self._label(key.key)
                key.fill = T.PRIMARY if key.key == SHIFT and self.shift else T.SURFACE

    def on_script(self, *_):
        self.ime.set_script("zh_TW" if self.script == "zh_TW" else "zh_CN")
        self._refresh()

    def reset(self) -> None:
        """Forget letters being composed (a new field, a wiped form)."""
        self.ime.clear()
        self.shift = False
        self.page = 0
        self._refresh()
        self._auto_shift()

    # -- typing -----------------------------------------------------------------------------

    def press(self, key: str) -> None:
        if key == BACKSPACE:
            if not (self.mode == "pinyin" and self.ime.backspace()) and self.target is not None:
                self.target.backspace()
                self._auto_shift()
        elif key == SPACE:
            self.choose(0) if self.composing else self._insert(" ")
            self._auto_shift()
        elif key == SHIFT:
            self.shift = not self.shift
        elif key == SWITCH:
            self.commit_letters()
            self.mode = "latin" if self.mode == "pinyin" else "pinyin"
        else:  # a letter key under Shift types its capital, which pinyin passes through as it is
            self.type_text(key.upper() if self.shift and len(key) == 1 else key)
            return
        self._refresh()

    def type_text(self, text: str) -> None:
        """Characters from a key, a physical keyboard or a scanner."""
        for char in text:
            # Pinyin takes lowercase letters; a capital (Shift) is typed as it is, as IMEs do.
            if self.mode == "pinyin" and char.isascii() and (char.islower() or (char == "'" and self.composing)):
                if len(self.ime.buffer) >= MAX_COMPOSING:
                    self.commit_letters()
                self.ime.type(char.lower())
            else:
                self.commit_letters()
                self._insert(char.upper() if self.shift else char)
                self.shift = False
                self._auto_shift()
        self._refresh()

    def commit_letters(self) -> None:
        """Put composing letters into the field as they are (Enter, or leaving pinyin)."""
        if self.composing:
            letters = self.composing.replace("'", "")
            self.ime.clear()
            self._insert(letters)
            self._refresh()

    def commit_composing(self) -> bool:
        """Turn the composing letters into their first candidates (Next, Enter): zhangsan gives
        张三, never the letters beside characters (刘qiang). Letters no candidate spells are put
        in as they are when the field holds no Chinese (a Latin word typed in pinyin); beside
        Chinese they stay composing, and False says so."""
        while self.composing and self.ime.candidates():
            self.page = 0
            self.choose(0)
        if self.composing and not any(is_hanzi(c) for c in self._field_text()):
            self.commit_letters()
        return not self.composing

    def _field_text(self) -> str:
        return getattr(self.target, "text", "") if self.target is not None else ""

    def _auto_shift(self) -> None:
        """Capitalise each word of a Latin name: Shift lights at the start of a word."""
        if self.mode == "latin" and self.field == "name":
            text = self._field_text()
            self.shift = not text or text[-1] in " -'"

    def choose(self, index: int) -> None:
        position = self.page * PAGE + index
        if position < len(self.ime.candidates()):
            self._insert(self.ime.choose(position))
        self.page = 0
        self._refresh()

    def turn_page(self, step: int) -> None:
        last = max(0, (len(self.ime.candidates()) - 1) // PAGE)
        self.page = min(max(0, self.page + step), last)
        self._refresh()

    def _insert(self, text: str) -> None:
        if self.target is not None:
            self.target.insert(text)

    def _refresh(self) -> None:
        self.composing = self.ime.buffer
        self.ime.set_context(self._field_text())
        found = self.ime.candidates() if self.composing else []
        self.page = min(self.page, max(0, (len(found) - 1) // PAGE))
        self.candidates = found[self.page * PAGE:(self.page + 1) * PAGE]
        self.has_more = len(found) > (self.page + 1) * PAGE

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        layout = _LAYOUTS[self.mode]
        if not self.digits and self.mode in ("pinyin", "latin"):
            layout = layout[1:]
        for row in layout:
            line = BoxLayout(spacing=dp(6))  # a wider gap across than down: rows are the scarce room
            for key in row:
                button = Key(key=key, text=self._label(key))
                button.bind(on_release=lambda b: self.press(b.key))
                if key == SHIFT and self.shift:
                    button.fill = T.PRIMARY
                if key == SPACE:
                    button.size_hint_x = 4
                elif key in (BACKSPACE, SWITCH, SHIFT) and self.mode != "digits":
                    button.size_hint_x = 1.5
                line.add_widget(button)
            rows.add_widget(line)

    def _label(self, key: str) -> str:
        if self.shift and self.mode != "badge" and len(key) == 1 and key.isalpha():
            return key.upper()
        if key == SPACE:
            return "空格  space" if self.mode == "pinyin" else "space"
        if key == SWITCH:
            return "中 / EN"
        return key

