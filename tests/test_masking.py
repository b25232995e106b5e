"""Masking (kiosk.core.masking): the one function every screen, list, print and export shows
phone and ID numbers through. Properties hold for every number, not the few examples."""

import re

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.masking import mask_id, mask_phone, mask_text, masked_answers, masked_visitor

digits = st.text(alphabet="0123456789", min_size=5, max_size=15)


def test_the_usual_shapes():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "861******5678"
    assert mask_phone("12345") == "***45"
    assert mask_id("110101199001011234") == "1101**********1234"
    assert mask_id("11010119900101123X") == "1101**********123X"
    assert mask_id("E12345678") == "*******78"


@given(digits)
def test_a_masked_phone_never_shows_the_number_and_hides_at_least_4_digits(number):
    shown = mask_phone(number)
    assert number not in shown
    assert len(shown) == len(number)
    assert shown.count("*") >= (4 if len(number) >= 8 else len(number) - 2)
    if len(number) >= 8:  # the last 4 stay: a visitor recognises their own number
        assert shown.endswith(number[-4:])


@given(st.text(alphabet="0123456789X", min_size=6, max_size=20))
def test_a_masked_id_hides_its_middle(number):
    shown = mask_id(number)
    assert number not in shown and len(shown) == len(number)
    assert sum(ch != "*" for ch in shown) <= 8


@given(st.text(max_size=20), st.from_regex(r"1[3-9]\d{9}", fullmatch=True), st.text(max_size=20))
def test_a_mobile_number_typed_into_free_text_is_masked_wherever_it_stands(before, number, after):
    # Text around it that is not itself digits (else it is one longer number, masked as one).
    before, after = re.sub(r"\d", "", before), re.sub(r"\d", "", after)
    shown = mask_text(before + number + after)
    assert number not in shown
    assert shown.startswith(before) and shown.endswith(after)


def test_free_text_keeps_what_is_no_number():
    assert mask_text("会议 2026-12-01 3楼") == "会议 2026-12-01 3楼"
    assert mask_text("call 138 1234 5678 please") == "call 138****5678 please"
    assert mask_text("身份证 110101199001011234") == "身份证 1101**********1234"
    assert mask_text("room 12") == "room 12"


def test_a_visitor_and_answers_as_shown():
    visitor = {"name": "张三", "company": "华为", "phone": "13812345678", "purpose": "回电 13987654321"}
    assert masked_visitor(visitor) == {"name": "张三", "company": "华为", "phone": "138****5678",
                                       "purpose": "回电 139****4321"}
    assert masked_answers({"id": "110101199001011234", "ok": "yes"}) == {"id": "1101**********1234", "ok": "yes"}


def test_a_payload_as_lists_and_exports_show_it():
    from kiosk.core.masking import masked_payload

    data = {"visitor": {"name": "张三", "phone": "13812345678", "purpose": "见 13987654321"},
            "answers": {"id_card": "110101199001011234"}, "agreement": {"version": "1", "signature": ["M1 2", "L3 4"]},
            "watchlist": [{"phone": "13600001111", "note": "call 13600001111"}], "rating": 5}
    shown = masked_payload(data)
    assert shown == {"visitor": {"name": "张三", "phone": "138****5678", "purpose": "见 139****4321"},
                     "answers": {"id_card": "1101**********1234"}, "agreement": {"version": "1", "signature": "2 strokes"},
                     "watchlist": [{"phone": "136****1111", "note": "call 136****1111"}], "rating": 5}
