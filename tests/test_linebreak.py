"""Line breaking shared by the badge and the screens (printer/linebreak.py): UAX #14 with
Chinese kinsoku and whole words, checked for every text hypothesis can make."""

import re
import unicodedata

from hypothesis import assume, given, settings, strategies as st

from printer.linebreak import CLOSING, OPENING, units, wrap

# Full-width characters count 2, the rest 1: a measure as monotone as a font's.
def measure(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


PUNCTUATION = "。，、；：？！）」』》】（「『《【“”‘’,.;:!?()"
texts = st.lists(st.one_of(
    st.sampled_from(["访客卡", "被访人", "签退", "请全程佩戴", "出口", "扫描", "华为技术有限公司", "北京",
                     "訪客卡", "Visitor", "badge ", "Zhang San", "the ", " ", "\n", "-", "2026-12-07 "]),
    st.sampled_from(PUNCTUATION),
    st.text(alphabet="访客张三李四的是在了ab c", max_size=6),
), max_size=40).map("".join)


def _after_hard_break(lines, i):
    return i == 0 or lines[i - 1].endswith("\n")


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=40))
def test_joining_the_lines_gives_the_text_back(text, width):
    assert "".join(wrap(text, width, measure)) == text


def clusters(text):
    """Each character with the opening marks before it and the closing marks after it."""
    return re.findall(f"(?:[{re.escape(''.join(OPENING))}] *)*.[{re.escape(''.join(CLOSING))}]*", text, re.S)


# When every character fits a line with the punctuation attached to it, there is always a place
# to cut that keeps it attached (a line one character wide has none).
@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=40))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text, width):
    assume(all(measure(c.rstrip()) <= width for c in clusters(text)))
    lines = wrap(text, width, measure)
    for i, line in enumerate(lines):
        if not _after_hard_break(lines, i) and line:
            assert line[0] not in CLOSING, lines
        if i < len(lines) - 1 and not line.endswith("\n") and line.rstrip():
            assert line.rstrip()[-1] not in OPENING, lines


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=40))
def test_every_line_fits_when_every_unbreakable_unit_does(text, width):
    if all(measure(unit.rstrip()) <= width for unit in units(text)):
        assert all(measure(line.rstrip()) <= width for line in wrap(text, width, measure))


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=4))
def test_a_line_limit_puts_the_rest_on_the_last_line(text, width, max_lines):
    lines = wrap(text, width, measure, max_lines)
    assert "".join(lines) == text and len(lines) <= max_lines


def test_chinese_words_stay_whole_and_punctuation_stays_attached():
    text = "请全程佩戴访客卡，离开时在出口扫描访客卡签退。"
    for width in range(8, 40):
        lines = wrap(text, width, measure)
        joined = "|".join(lines)
        assert "访|客" not in joined and "客|卡" not in joined and "签|退" not in joined, joined
        assert not any(line[0] in "，。" for line in lines)


def test_traditional_words_stay_whole_too():
    assert "訪客卡，" in units("請佩戴訪客卡，離開時簽退。")


def test_english_breaks_at_spaces_only():
    assert wrap("Wear your visitor badge at all times.", 12, len) == [
        "Wear your ", "visitor ", "badge at all ", "times."]


def test_a_line_break_in_the_text_is_kept_even_before_punctuation():
    assert wrap("访客（\n，签退", 40, measure) == ["访客（\n", "，签退"]


# printer/uax14.py applies UAX #14 in one pass; uniseg applies it rule by rule, a thousand
# times slower. They must agree, except where uax14.py keeps the stricter pre-15.1 rules on
# quotation marks (so no ' “ ” here) and on marks combined into a number's brackets.
ORACLE_ALPHABET = list("访客卡张三，。、；：？！（）《》「」【】abcXYZ 0123-—…·/%$€.,;:!?()[]\n\t") + [
    "\u200b", "\u00a0", "\u2060", "ー", "ぁ", "々", "한", "😀", "🇨", "🇳", "\u00ad", "/", "&"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(ORACLE_ALPHABET), min_size=1, max_size=16).map("".join))
def test_the_one_pass_algorithm_agrees_with_uniseg(text):
    from uniseg.linebreak import line_break_breakables

    from printer.uax14 import breakables

    expected = list(line_break_breakables(text))
    expected[0] = 0
    assert breakables(text) == expected
