"""The Unicode line breaking algorithm (UAX #14, rules LB2-LB31) in one linear pass.

uniseg implements the same rules as a series of passes over the whole text, at about a
millisecond a character: every label of every screen would pay that. Here uniseg gives only
the Line_Break property of each character (a table lookup), and the rules are applied left to
right with the little context they need (the class before a run of spaces, the base of a
combining sequence, the count of regional indicators). tests/test_linebreak.py checks this
against uniseg on mixed Chinese, English, digits and punctuation.

Where Unicode 15.1+ added rules for East Asian quotation marks and Brahmic clusters
(LB15a-d, LB19a, LB20a, LB28a), the earlier, stricter forms are used: no break on either
side of a quotation mark, which keeps “…” with its text. LB21a (Hebrew hyphens) is left out.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

from uniseg.linebreak import line_break

_HARD = {"BK", "CR", "LF", "NL"}
_LETTERS = {"AL", "HL"}
_HANGUL = {"JL", "JV", "JT", "H2", "H3"}
_NO_BREAK_BEFORE = {"CL", "CP", "EX", "IS", "SY"}  # LB13
_WORD_START_AFTER = _HARD | {"SP", "ZW", "CB", "GL"}  # LB20a


@lru_cache(maxsize=8192)
def _klass(char: str) -> str:
    """The character's Line_Break class after LB1's resolution."""
    name = line_break(char).name
    if name in ("AI", "SG", "XX"):
        return "AL"
    if name == "SA":
        return "CM" if unicodedata.category(char) in ("Mn", "Mc") else "AL"
    if name == "CJ":
        return "NS"
    if name in ("AK", "AP", "AS", "VF", "VI"):  # Brahmic clusters (LB28a): kept as letters
        return "AL"
    return name


def breakables(text: str) -> list[int]:
    """For each position of ``text``, 1 when a line may break before it, else 0 (LB2: never
    before the first character; the end of the text, LB3, is not a position)."""
    result = [0] * len(text)
    if not text:
        return result
    classes = [_klass(c) for c in text]
    base = classes[0] if classes[0] not in ("CM", "ZWJ") else "AL"  # LB10
    before_spaces = base  # the class before the current run of spaces (LB8, LB14-17)
    prev = base
    zwj_before = classes[0] == "ZWJ"
    ri_run = 1 if base == "RI" else 0
    numeric = _numeric(None, base)
    for i in range(1, len(text)):
        cur = classes[i]
        word_start_hyphen = prev == "HY" and (i == 1 or classes[i - 2] in _WORD_START_AFTER)
        context = _Context(before_spaces, zwj_before, ri_run, numeric, text[i - 1], text[i],
                           classes[i + 1:i + 3], word_start_hyphen)
        result[i] = 1 if _decide(prev, cur, context) else 0
        # Carry the context forward.
        zwj_before = cur == "ZWJ"
        if cur in ("CM", "ZWJ") and prev not in _HARD | {"SP", "ZW"}:
            continue  # LB9: a combining mark takes its base's class; nothing else changes
        if cur in ("CM", "ZWJ"):
            cur = "AL"  # LB10
        ri_run = ri_run + 1 if cur == "RI" else 0
        numeric = _numeric(numeric, cur)
        if cur != "SP":
            before_spaces = cur
        prev = cur
    return result


class _Context(NamedTuple):
    before_spaces: str  # the class before the run of spaces that ends at prev (or prev)
    zwj_before: bool
    ri_run: int  # regional indicators in a row up to prev
    numeric: str | None  # "nu" inside a number (NU (SY|IS)*), "close" after its CL/CP
    prev_char: str
    char: str
    ahead: list  # the classes of the next two characters
    word_start_hyphen: bool  # prev is a hyphen at the start of a word


def _numeric(state: str | None, klass: str) -> str | None:
    """Where a number stands after a character of ``klass`` (for LB25)."""
    if klass == "NU" or (state == "nu" and klass in ("SY", "IS")):
        return "nu"
    if state == "nu" and klass in ("CL", "CP"):
        return "close"
    return None


def _decide(prev: str, cur: str, context: _Context) -> bool:
    """Whether a break is allowed between a character of class ``prev`` and one of ``cur``."""
    before_spaces, zwj_before = context.before_spaces, context.zwj_before
    if prev == "BK" or prev == "NL" or prev == "LF":  # LB4, LB5
        return True
    if prev == "CR":
        return cur != "LF"
    if cur in _HARD or cur in ("SP", "ZW"):  # LB6, LB7
        return False
    if before_spaces == "ZW":  # LB8
        return True
    if zwj_before:  # LB8a
        return False
    if cur in ("CM", "ZWJ"):  # LB9 (after spaces or breaks, LB10 makes them AL: handled below)
        if prev not in ("SP", "ZW") and prev not in _HARD:
            return False
        cur = "AL"
    if prev == "WJ" or cur == "WJ":  # LB11
        return False
    if prev == "GL":  # LB12
        return False
    if cur == "GL" and prev not in ("SP", "BA", "HY"):  # LB12a
        return False
    if cur == "IS" and prev == "SP" and context.ahead[:1] == ["NU"]:  # LB15c: " .5"
        return True
    if cur in _NO_BREAK_BEFORE:  # LB13
        return False
    if before_spaces == "OP":  # LB14
        return False
    if before_spaces == "QU" and cur == "OP":  # LB15
        return False
    if before_spaces in ("CL", "CP") and cur == "NS":  # LB16
        return False
    if before_spaces == "B2" and cur == "B2":  # LB17
        return False
    if prev == "SP":  # LB18
        return True
    if prev == "QU" or cur == "QU":  # LB19
        return False
    if prev == "CB" or cur == "CB":  # LB20
        return True
    if context.word_start_hyphen and cur in _LETTERS:  # LB20a: "-word"
        return False
    if cur in ("BA", "HY", "NS") or prev == "BB":  # LB21
        return False
    if prev == "SY" and cur == "HL":  # LB21b
        return False
    if cur == "IN":  # LB22
        return False
    return not _joined(prev, cur, context)


def _joined(prev: str, cur: str, context: _Context) -> bool:
    """LB23-LB30b: the pairs that stay together."""
    if (prev in _LETTERS and cur == "NU") or (prev == "NU" and cur in _LETTERS):  # LB23
        return True
    if (prev == "PR" and cur in ("ID", "EB", "EM")) or (prev in ("ID", "EB", "EM") and cur == "PO"):  # LB23a
        return True
    if (prev in ("PR", "PO") and cur in _LETTERS) or (prev in _LETTERS and cur in ("PR", "PO")):  # LB24
        return True
    if _number(prev, cur, context):  # LB25
        return True
    if (prev == "JL" and cur in _HANGUL - {"JT"}) or (prev in ("JV", "H2") and cur in ("JV", "JT")) \
            or (prev in ("JT", "H3") and cur == "JT"):  # LB26
        return True
    if (prev in _HANGUL and cur == "PO") or (prev == "PR" and cur in _HANGUL):  # LB27
        return True
    if prev in _LETTERS and cur in _LETTERS:  # LB28
        return True
    if prev == "IS" and cur in _LETTERS:  # LB29
        return True
    if prev in _LETTERS | {"NU"} and cur == "OP" and not _wide(context.char):  # LB30
        return True
    if prev == "CP" and cur in _LETTERS | {"NU"} and not _wide(context.prev_char):
        return True
    if prev == "RI" and cur == "RI" and context.ri_run % 2 == 1:  # LB30a
        return True
    if prev == "EB" and cur == "EM":  # LB30b
        return True
    return False


def _number(prev: str, cur: str, context: _Context) -> bool:
    """LB25 (Unicode 15.1): numbers with their signs, separators and brackets stay whole."""
    if cur in ("PO", "PR") and context.numeric in ("nu", "close"):
        return True
    if cur == "NU" and (context.numeric == "nu" or prev in ("PO", "PR", "HY", "IS")):
        return True
    ahead = context.ahead
    return prev in ("PO", "PR") and cur == "OP" and (
        ahead[:1] == ["NU"] or ahead[:2] == ["IS", "NU"])


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("F", "W", "H")
