"""The web console's catalogs (sync/server/console/locale) against its code and templates: every
string marked with _() or N_() is in every catalog, translated, with the same {placeholders},
and no catalog keeps strings nothing uses."""

from __future__ import annotations

import re
import string

import polib
import pytest

from sync.server.console.web import HERE, LANGUAGES, LOCALE_DIR

MARKED = re.compile(r"""(?<![A-Za-z0-9])N?_\((['"])((?:(?!\1).)+)\1""")


def marked_strings() -> set[str]:
    found = set()
    for path in [*HERE.rglob("*.py"), *HERE.rglob("*.html")]:
        found |= {m.group(2) for m in MARKED.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_the_extraction_finds_the_pages_strings():
    assert {"Log in", "Audit log", "Wrong name or password."} <= marked_strings()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated(lang):
    catalog = {e.msgid: e for e in polib.pofile(str(LOCALE_DIR / f"{lang}.po"))}
    code = marked_strings()
    assert not code - set(catalog), f"missing in {lang}.po: {sorted(code - set(catalog))}"
    assert not set(catalog) - code, f"{lang}.po holds unused strings: {sorted(set(catalog) - code)}"
    for msgid, entry in catalog.items():
        assert entry.msgstr and "fuzzy" not in entry.flags, f"{lang}: {msgid!r} is not translated"
        names = {n for _, n, _, _ in string.Formatter().parse(entry.msgstr) if n}
        assert names == {n for _, n, _, _ in string.Formatter().parse(msgid) if n}, f"{lang}: {msgid!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_policy_reasons_come_from_the_kiosks_catalogs(lang):
    from sync.server.console.web import KIOSK_LOCALE, REASONS, reason_text
    kiosk = {e.msgid for e in polib.pofile(str(KIOSK_LOCALE / f"{lang}.po"))}
    assert set(REASONS.values()) <= kiosk
    if lang == "zh_CN":
        assert reason_text(lang)("type_needs_approval") != REASONS["type_needs_approval"]
