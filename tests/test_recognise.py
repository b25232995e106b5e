"""A returning visitor's name, compared as the watchlist compares names: however it is written,
but only the whole name, never a near one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.recognise import confirms
from kiosk.core.watchlist import name_keys


@pytest.mark.parametrize("typed", ["王小明", "王小明 ", "wang xiaoming", "WANG XIAOMING", "Xiaoming Wang",
                                   "ｗａｎｇ　ｘｉａｏｍｉｎｇ", "wangxiaoming"])
def test_the_name_of_the_earlier_visit_however_written_confirms_it(typed):
    assert confirms(typed, "王小明")


@pytest.mark.parametrize("typed,stored", [("張偉", "张伟"), ("张伟", "張偉"), ("Zhang Wei", "張偉"),
                                          ("müller anna", "Anna Müller")])
def test_traditional_simplified_accents_and_word_order_confirm(typed, stored):
    assert confirms(typed, stored)


@pytest.mark.parametrize("typed", ["王", "wang", "小明", "王小", "王晓敏", "wang xiaomin", "李小明", "", "  ", "123"])
def test_a_surname_part_or_near_spelling_does_not(typed):
    assert not confirms(typed, "王小明")


names = st.text(st.characters(codec="utf-8", categories=("L", "Zs")), max_size=12)


@given(names)
def test_a_name_with_letters_confirms_itself_and_one_without_confirms_nothing(name):
    assert confirms(name, name) == bool(name_keys(name))
    assert not confirms(name, "") and not confirms("", name)


@given(names, names)
def test_confirming_is_symmetric(a, b):
    assert confirms(a, b) == confirms(b, a)
