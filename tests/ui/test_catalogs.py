"""The translation catalogs against the code: every string the screens show is in every
catalog, translated, with the same {placeholders}; no catalog keeps strings the code no
longer uses; and every translation can be drawn by the screen's font."""

from __future__ import annotations

import re
import string
from pathlib import Path

import polib
import pytest

from kiosk.ui.i18n import LANGUAGES, LOCALE_DIR
from printer.fonts import unsupported_chars

UI = Path(__file__).resolve().parents[2] / "kiosk" / "ui"
# _("..."), tr("...") and N_("...") in Python and kv, in either quote.
MARKED = re.compile(r"""(?<![A-Za-z0-9])(?:_|tr|N_)\((['"])((?:(?!\1).)+)\1\)""")


def marked_strings() -> set[str]:
    found = set()
    for path in UI.rglob("*"):
        if path.suffix in (".py", ".kv") and path.name != "i18n.py":  # its docstring shows examples
            found |= {match.group(2) for match in MARKED.finditer(path.read_text(encoding="utf-8"))}
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_marks_a_realistic_number_of_strings():
    assert len(marked_strings()) > 150  # the extraction itself works


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated_with_its_placeholders(lang):
    catalog = {e.msgid: e for e in polib.pofile(str(LOCALE_DIR / f"{lang}.po"))}
    code = marked_strings()
    assert not code - set(catalog), f"missing in {lang}.po: {sorted(code - set(catalog))}"
    assert not set(catalog) - code, f"{lang}.po holds strings the code no longer uses: {sorted(set(catalog) - code)}"
    for msgid, entry in catalog.items():
        assert entry.msgstr and "fuzzy" not in entry.flags, f"{lang}: {msgid!r} is not translated"
        assert placeholders(entry.msgstr) == placeholders(msgid), f"{lang}: {msgid!r} -> {entry.msgstr!r}"
        assert not unsupported_chars(entry.msgstr, lang=lang), f"{lang}: {entry.msgstr!r} would show tofu"


def test_a_language_switch_forgets_widgets_that_are_gone():
    import gc

    from kivy.weakproxy import WeakProxy

    from kiosk.ui.i18n import Translator

    class Widget:
        text = "alive"

    translator, calls, kept = Translator("zh_CN"), [], Widget()
    show = lambda largs, *rest: calls.append(largs[0].text)  # noqa: E731 - what kv's binding does
    translator.fbind("_", show, (WeakProxy(kept),))
    translator.fbind("_", show, (WeakProxy(Widget()),))  # that widget is collected at once
    gc.collect()
    translator.switch("en")
    assert calls == ["alive"] and len(translator._observers) == 1
    translator.funbind("_", show, translator._observers[0][1])
    assert translator._observers == []
