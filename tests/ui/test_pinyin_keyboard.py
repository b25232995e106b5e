"""The on-screen pinyin keyboard on the real touchscreen, by simulated touches: a name field
offers whole names (zhangsan -> 张三), Next takes the composing letters' first candidate and
never stores letters beside characters, Shift shows its state, Latin names get capitals, keys
are big enough to hit, long pinyin stays in its box; and how many taps a name and a company take."""

from __future__ import annotations

import json

import pytest
from kivy.core.window import Window

from kiosk.ui.i18n import tr
from kiosk.ui.keyboard import SHIFT, SPACE, SWITCH, Key
from kiosk.ui import theme as T
from tests.ui.driver import SCREENSHOTS, _shown

MIN_TARGET_PX = 71  # 12 mm at 150 px/inch
ARTIFACTS = SCREENSHOTS.parent


# Name and company are asked on one screen ("who"); the other fields have a screen each.
SCREEN_OF = {"name": "who", "company": "who"}


def open_field(d, field: str, lang: str = "zh_CN"):
    d.app.flow.set_language(lang)
    setattr(d.app.flow.form, field, "")  # a new visitor's empty field
    screen = SCREEN_OF.get(field, field)
    d.app.flow.go(screen)
    d.pump(0.1)
    assert d.screen == screen
    if screen == "who":
        d.tap(d.current().ids[f"{field}_field"])  # a tap on a field types into it
        d.pump(0.1)
        assert d.current().active == field
    return d.app.flow.keyboard


def typed_into(d):
    """The text field the keyboard types into on the current screen."""
    return d.current().typing_field()


def tap_next(d):
    d.tap(d.find(tr("Next") + "  ›"))


def candidate_button(keyboard, text):
    return next((w for w in keyboard.ids.choices.children if w.text == text and not w.disabled), None)


def test_zhangsan_and_next_stores_zhang_san(drive):
    d = drive()
    keyboard = open_field(d, "name")
    d.type_keys("zhangsan")
    assert keyboard.candidates[0] == "张三"
    tap_next(d)
    assert d.app.flow.form.name == "张三"


def test_next_never_stores_latin_letters_beside_chinese(drive):
    d = drive()
    keyboard = open_field(d, "name")
    d.type_keys("liu")
    d.tap(candidate_button(keyboard, "刘"))
    d.type_keys("qiang")
    tap_next(d)
    assert d.app.flow.form.name == "刘强"

    d.app.flow.form.name = ""
    d.app.flow.go("welcome")  # and back: the screen shows the emptied form
    keyboard = open_field(d, "name")
    d.type_keys("liu")
    d.tap(candidate_button(keyboard, "刘"))
    d.type_keys("iii")  # letters no syllable starts with: nothing to convert them to
    tap_next(d)
    assert d.screen == "who" and d.app.flow.form.name == ""
    assert typed_into(d).text == "刘" and keyboard.composing == "iii"
    assert d.current().message == tr("Please pick the characters for the letters you typed, or delete them.")


def test_a_surname_picked_alone_is_followed_by_given_name_characters(drive):
    d = drive()
    keyboard = open_field(d, "name")
    d.type_keys("zhang")
    d.tap(candidate_button(keyboard, "张"))
    d.type_keys("wei")
    assert keyboard.candidates[0] == "伟"  # not the surnames 韦 or 魏, which head wei on their own
    tap_next(d)
    assert d.app.flow.form.name == "张伟"


def test_a_company_field_offers_company_words_first(drive):
    d = drive()
    keyboard = open_field(d, "company")
    d.type_keys("huawei")
    assert keyboard.candidates[:2] == ["华为", "化为"]
    tap_next(d)
    assert d.app.flow.form.company == "华为"


def letter_key(keyboard, key):
    return next(w for w in keyboard.ids.rows.walk() if isinstance(w, Key) and w.key == key)


def test_shift_shows_its_state(drive):
    d = drive()
    keyboard = open_field(d, "company")
    shift = letter_key(keyboard, SHIFT)
    assert tuple(shift.fill) == tuple(T.SURFACE) and letter_key(keyboard, "q").text == "q"
    d.tap(shift)
    assert keyboard.shift and tuple(shift.fill) == tuple(T.PRIMARY)
    assert letter_key(keyboard, "q").text == "Q"
    d.type_keys("q")  # one capital, then Shift is off again, and shows it
    assert typed_into(d).text == "Q"
    assert not keyboard.shift and tuple(shift.fill) == tuple(T.SURFACE) and letter_key(keyboard, "q").text == "q"


def test_latin_names_get_a_capital_on_each_word(drive):
    d = drive()
    keyboard = open_field(d, "name", "en")
    assert keyboard.mode == "latin" and keyboard.shift  # the first letter will be a capital
    d.type_keys("ann")
    d.type_keys([SPACE])
    d.type_keys("lee-smith")
    assert typed_into(d).text == "Ann Lee-Smith"
    d.type_keys([SPACE])
    assert keyboard.shift and tuple(letter_key(keyboard, SHIFT).fill) == tuple(T.PRIMARY)
    d.screenshot(SCREENSHOTS / "keyboard-name-latin-en.png")
    keyboard = open_field(d, "company", "en")
    d.type_keys("acme")
    assert typed_into(d).text == "acme"  # only names are capitalised by themselves


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("field", ["name", "company", "phone", "signout"])
def test_every_key_and_candidate_is_big_enough_to_hit(drive, size, field):
    d = drive()
    old = Window.size
    try:
        Window.size = size
        d.pump(0.2)
        keyboard = open_field(d, field)
        if keyboard.mode == "pinyin":
            d.type_keys("zhang")
        d.pump(0.2)
        targets = [w for w in keyboard.walk() if hasattr(w, "on_release") and _shown(w)]  # every button shown
        assert len(targets) > (40 if keyboard.mode == "pinyin" else 11), keyboard.mode
        small = [(w.text, round(w.width), round(w.height)) for w in targets
                 if w.width < MIN_TARGET_PX or w.height < MIN_TARGET_PX]
        assert not small, small
        field_box = typed_into(d)
        assert field_box is not None and keyboard.to_window(keyboard.x, keyboard.top)[1] <= field_box.to_window(field_box.x, field_box.y)[1]
    finally:
        Window.size = old
        d.pump(0.2)


def test_long_pinyin_stays_inside_its_box(drive):
    d = drive()
    keyboard = open_field(d, "company")
    d.type_keys("zhonghuarenmingongheguo")
    d.pump(0.1)
    label = keyboard.ids.composing
    label.texture_update()
    assert label.text == "zhonghuarenmingongheguo"
    assert label.texture_size[0] <= label.width + 1 and label.texture_size[1] <= label.height + 1


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
def test_screens_of_the_keyboard_composing(drive, lang):
    from tests.ui.test_screens import problems

    d = drive()
    for field, letters in (("name", "wangxiuying"), ("company", "tengxun")):
        keyboard = open_field(d, field, lang)
        if keyboard.mode == "latin":
            d.type_keys([SWITCH])
        d.type_keys(letters)
        if lang == "zh_TW":
            assert keyboard.candidates[0] == {"name": "王秀英", "company": "騰訊"}[field]
        d.screenshot(SCREENSHOTS / f"keyboard-{field}-composing-{lang}.png")
        assert not problems(d.app.root, lang)


# -- how many taps a name and a company take ----------------------------------------------------

def type_as_a_visitor(d, keyboard, target: str, letters: str) -> int:
    """Type `letters`, then pick candidates until the field holds `target`, as a visitor does:
    the longest candidate that the rest of the target starts with, turning pages to find it; the
    last one is left to Next when it is first and Next takes it. Returns the taps, Next included."""
    field = typed_into(d)
    taps = len(letters)
    d.type_keys(letters)
    while field.text != target:
        rest = target[len(field.text):]
        first = keyboard.candidates[0] if keyboard.candidates else None
        if first == rest and keyboard.page == 0 and hasattr(keyboard, "commit_composing"):
            break  # Next commits it
        fitting = [c for c in keyboard.candidates if rest.startswith(c)]
        if fitting:
            d.tap(candidate_button(keyboard, max(fitting, key=len)))
        else:
            assert keyboard.has_more, (target, keyboard.candidates)
            keyboard.turn_page(1)
        taps += 1
    tap_next(d)
    return taps + 1


TYPED = [("name", "张伟", "zhangwei"), ("name", "王秀英", "wangxiuying"), ("name", "张三", "zhangsan"),
         ("company", "华为", "huawei"), ("company", "腾讯", "tengxun")]


def test_taps_for_a_name_and_a_company(drive):
    d = drive()
    counts = {}
    for field, target, letters in TYPED:
        keyboard = open_field(d, field)
        counts[target] = type_as_a_visitor(d, keyboard, target, letters)
        assert getattr(d.app.flow.form, field) == target
        d.app.flow.go("welcome")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "ime-taps.json").write_text(json.dumps(counts, ensure_ascii=False))
    # the letters and Next: each is its name's or company's first candidate
    assert counts == {target: len(letters) + 1 for _, target, letters in TYPED}


def test_an_email_address_is_typed_by_key_taps_alone(drive, make_kiosk):
    """Reception's invitation asks for an e-mail address: every character of one, "@" included,
    has its key (the keyboard had no "@": an address could not be typed at the desk)."""
    from tests.ui.test_console import unlock

    d = drive(make_kiosk(role="reception", device="desk-1"))
    unlock(d)
    console = d.current()
    console.inviting = {"name": "欧阳娜娜", "company": "华为", "phone": "13812345678"}
    console.start_entry("invite_email")
    d.pump(0.1)
    d.type_keys("nana.ouyang-1@huawei.example.com")
    assert console.ids.bar.field.text == "nana.ouyang-1@huawei.example.com"
    at = next(w for w in d.app.flow.keyboard.walk() if getattr(w, "key", None) == "@")
    assert _shown(at) and min(at.size) >= MIN_TARGET_PX, at.size
