"""Translations for the touchscreen: gettext catalogs (``locale/<lang>.po`` beside this module)
and ``tr``, a translator that kv rules bind to, so switching language re-renders every text on
every screen at once.

kv files use it as ``#:import _ kiosk.ui.i18n.tr`` and ``text: _("Sign in")``: Kivy's kv
compiler binds expressions that call ``_`` to the translator, which calls its observers back
when the language changes (the pattern of Kivy's own i18n example). Python code formats after
translating: ``tr("Goodbye, {name}!").format(name=...)``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polib
from kivy.event import Observable

from kiosk.settings import LANGUAGES

LOCALE_DIR = Path(__file__).with_name("locale")


def load_catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr for one language; untranslated and fuzzy entries are left out, so the
    English source text shows rather than nothing."""
    po = polib.pofile(str(LOCALE_DIR / f"{lang}.po"))
    return {e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


def N_(text: str) -> str:
    """Marks a string for the translation catalogs; it is translated where it is shown."""
    return text


class Translator(Observable):
    def __init__(self, lang: str = "zh_CN"):
        super().__init__()
        self.lang = lang
        self._catalogs: dict[str, dict[str, str]] = {}
        self._observers: list[tuple] = []

    def __call__(self, text: str) -> str:
        return self.into(self.lang, text)

    def into(self, lang: str, text: str) -> str:
        """``text`` in ``lang`` whatever the screen's language (the exit post speaks the
        visitor's language and the guard's side by side)."""
        if lang not in self._catalogs:
            self._catalogs[lang] = load_catalog(lang)
        return self._catalogs[lang].get(text, text)

    def switch(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        if lang == self.lang:
            return
        self.lang = lang
        observers, self._observers = self._observers, []
        alive = []
        for observer in observers:
            func, largs, _kwargs = observer
            try:
                func(largs, None, None)
            except ReferenceError:  # the widget is gone (a closed app's screens): forget it
                continue
            alive.append(observer)
        self._observers = alive + self._observers  # and any bound while re-translating

    # Kivy's kv compiler binds to "_" through these two, with one argument tuple. Observers are
    # compared by identity: their arguments hold weak proxies that may be dead by then.
    def fbind(self, name, func, largs=(), **kwargs):
        if name != "_":
            return super().fbind(name, func, largs, **kwargs)
        self._observers.append((func, largs, kwargs))
        return True

    def funbind(self, name, func, largs=(), **kwargs):
        if name != "_":
            return super().funbind(name, func, largs, **kwargs)
        self._observers = [o for o in self._observers if not (o[0] is func and o[1] is largs)]


tr = Translator()


_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(ms: int, lang: str, today: date | None = None) -> str:
    """A day as a visitor reads it: 12月7日, 7 Dec; with the year when it is not this one."""
    day, today = datetime.fromtimestamp(ms / 1000).date(), today or date.today()
    if lang == "en":
        return f"{day.day} {_EN_MONTHS[day.month - 1]}" + (f" {day.year}" if day.year != today.year else "")
    return (f"{day.year}年" if day.year != today.year else "") + f"{day.month}月{day.day}日"
