"""Visitor input: what is accepted as it is, what is cleaned, what is refused and why."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.validation import clean_phone, mask_phone, validate_visitor
from kiosk.errors import ValidationError


@pytest.mark.parametrize("name", ["张三", "José Álvarez", "O'Brien", "Jean-Luc Picard", "阿卜杜拉·买买提",
                                  "張三", "Zhang San 张三", "Nguyễn Văn A"])
def test_real_names_pass(name):
    assert validate_visitor(name).name == name


def test_whitespace_is_tidied():
    assert validate_visitor("  张  三 ", company=" 华为技术有限公司  ").as_dict() == {
        "name": "张 三", "company": "华为技术有限公司", "phone": "", "purpose": ""}


@pytest.mark.parametrize("name,code", [
    ("", "required"), ("   ", "required"), ("张三\x1b[2J", "control_character"), ("张\x00三", "control_character"),
    ("张三😀", "symbol_character"), ("x" * 65, "too_long"), ("12345", "no_letters"), ("张\u200b三", "control_character"),
    ("<script>", "symbol_character"), ("张三\n李四", "control_character"),
])
def test_bad_names_are_refused_with_a_reason(name, code):
    with pytest.raises(ValidationError) as info:
        validate_visitor(name)
    assert info.value.field == "name" and info.value.code == code


def test_ten_thousand_characters_are_refused_quickly():
    with pytest.raises(ValidationError, match="too long"):
        validate_visitor("张" * 10_000)


def test_company_allows_business_punctuation_but_not_emoji():
    assert validate_visitor("张三", company="AT&T (China) Co., Ltd. / C++ 部").company == "AT&T (China) Co., Ltd. / C++ 部"
    with pytest.raises(ValidationError) as info:
        validate_visitor("张三", company="华为🚀")
    assert info.value.field == "company"


@pytest.mark.parametrize("raw,clean", [("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "+8613800138000"),
                                       ("(010) 6552 9988", "01065529988"), ("１３８００１３８０００", "13800138000")])
def test_plausible_phones(raw, clean):
    assert clean_phone(raw) == clean


@pytest.mark.parametrize("raw", ["1234", "abc", "138001380001234567", "+", "13800138000 ext 5", "++86 138"])
def test_implausible_phones(raw):
    with pytest.raises(ValidationError) as info:
        clean_phone(raw)
    assert info.value.field == "phone"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "861******5678"
    assert mask_phone("12345") == "***45"


@given(st.text(max_size=200))
def test_any_text_either_validates_or_raises_validation_error(text):
    try:
        details = validate_visitor(text, company=text, purpose=text)
    except ValidationError:
        return
    for value in details.as_dict().values():
        assert all(ch.isprintable() for ch in value)
