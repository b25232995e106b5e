"""The watchlist: every way a watched name is written, near spellings, phones, companies, the
JSON form the server distributes, and input that is not a name at all."""

import random
import string
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kiosk.core.confusables_build import latin_table, read_mappings
from kiosk.core.watchlist import (ALIAS, APPROVE, COMPANY, LATIN_LOOKALIKES, MAX_KEY, NAME, NEAR_NAME, PHONE, Match,
                                  WatchEntry, Watchlist, _distance, _reach, company_key, name_keys, phone_key)
from kiosk.errors import ValidationError

name_keys("张")  # import pypinyin now, not inside a hypothesis deadline


def whys(watchlist, name="", company="", phone=""):
    return [(m.entry.entry_id, m.why) for m in watchlist.match(name, company, phone)]


@pytest.fixture(scope="module")
def watchlist():
    return Watchlist([
        WatchEntry("zw", "张伟", note="banned after an incident"),
        WatchEntry("sx", "单雄信", action=APPROVE),
        WatchEntry("zg", "Zeng Guofan"),
        WatchEntry("lb", "吕布"),
        WatchEntry("oy", "欧阳晓明", aliases=("Ouyang Xiaoming", "Ming Ou")),
        WatchEntry("ph", phone="+86 138 0013 8000"),
        WatchEntry("hw", company="华为技术有限公司"),
        WatchEntry("ac", company="Acme Co., Ltd.", action=APPROVE),
        WatchEntry("jd", "John Doe", company="Acme Co., Ltd."),
        WatchEntry("li", "李"),
    ])


# -- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["张伟", "張偉", "Zhang Wei", "zhangwei", "ZHANG  WEI", "Wei Zhang", "zhang-wei",
                                  "Zhang.Wei", "ｚｈａｎｇ　ｗｅｉ", " zhang\twei ", "WEI, Zhang", "章伟",
                                  "张 伟"])
def test_every_writing_of_a_watched_name_matches(watchlist, name):
    assert whys(watchlist, name) == [("zw", NAME)]


def test_a_latin_entry_matches_the_characters():
    assert whys(Watchlist([WatchEntry("x", "Wei ZHANG")]), "张伟") == [("x", NAME)]
    assert whys(Watchlist([WatchEntry("x", "Xiaoming Wang")]), "王小明") == [("x", NAME)]


@pytest.mark.parametrize("name", ["Shan Xiongxin", "Dan Xiongxin", "shanxiongxin", "Xiongxin Shan", "单雄信"])
def test_any_reading_of_a_heteronym_matches(watchlist, name):
    assert whys(watchlist, name) == [("sx", NAME)]


@pytest.mark.parametrize("name", ["Zeng Wei", "Ceng Wei", "Wei Zeng", "曾伟"])
def test_a_heteronym_surname_matches_in_every_reading(name):
    assert whys(Watchlist([WatchEntry("x", "曾伟")]), name) == [("x", NAME)]


@pytest.mark.parametrize("name, why", [("曾国藩", NAME), ("Guofan Zeng", NAME), ("Ceng Guofan", NEAR_NAME)])
def test_a_latin_entry_is_matched_by_the_characters(watchlist, name, why):
    assert whys(watchlist, name) == [("zg", why)]  # Ceng is another reading of 曾, but not of "Zeng"


@pytest.mark.parametrize("name", ["Lü Bu", "Lu Bu", "Lv Bu", "LÜ BU"])
def test_u_umlaut_is_typed_every_way(watchlist, name):
    assert whys(watchlist, name) == [("lb", NAME)]


def test_aliases_match_as_aliases(watchlist):
    assert whys(watchlist, "Ming Ou") == [("oy", ALIAS)]
    assert whys(watchlist, "Ouyang Xiaoming") == [("oy", NAME)]  # also the name's own pinyin


@pytest.mark.parametrize("name", ["zhangwie", "zhangwe", "zhangweii", "zhnagwei", "Wei Zhnag"])
def test_one_edit_off_a_name_of_six_letters_is_near(watchlist, name):
    assert whys(watchlist, name) == [("zw", NEAR_NAME)]


@pytest.mark.parametrize("name", ["Ouyang Xiaomnig", "Oyang Xiaomin", "ouyangxiaomingg"])
def test_two_edits_off_a_name_of_eleven_letters_are_near(watchlist, name):
    assert whys(watchlist, name) == [("oy", NEAR_NAME)]


@pytest.mark.parametrize("name", ["lu", "li na", "zhangxue", "zhwei", "Oyang Xiaomni", "Bu Lv Xu"])
def test_short_or_far_names_do_not_match(watchlist, name):
    assert whys(watchlist, name) == []


def test_a_name_of_one_letter_matches_only_exactly(watchlist):
    assert whys(watchlist, "Li") == [("li", NAME)]
    assert whys(watchlist, "Lee") == []


@pytest.mark.parametrize("name", ["", "   ", "12345", "😀😀", "\x00\x1b\x7f", "-.·"])
def test_a_name_without_letters_matches_nothing(watchlist, name):
    assert name_keys(name) == ()
    assert whys(watchlist, name) == []


# -- phones and companies ---------------------------------------------------------------------

@pytest.mark.parametrize("phone", ["+86 138 0013 8000", "13800138000", "0086-138-0013-8000", "86 13800138000",
                                   "(+86) 138-0013-8000", "１３８００１３８０００", "+8613800138000"])
def test_phone_formats_match(watchlist, phone):
    assert phone_key(phone) == "13800138000"
    assert whys(watchlist, "someone", phone=phone) == [("ph", PHONE)]


@pytest.mark.parametrize("phone", ["1380013800", "138001380001", "12345", "", "+1 138 0013 8000"])
def test_other_phones_do_not_match(watchlist, phone):
    assert whys(watchlist, "someone", phone=phone) == []


def test_short_phones_have_no_key():
    assert phone_key("12345") == phone_key("1" * 16) == ""
    assert phone_key("010-6552 9988") == "01065529988"


@pytest.mark.parametrize("company, key", [
    ("华为技术有限公司", "华为技术"), ("华为技术股份有限公司", "华为技术"),
    ("华为技术", "华为技术"),
    ("Acme Co., Ltd.", "acme"), ("ACME Inc.", "acme"), ("Acme Company Limited", "acme"), ("ＡＣＭＥ", "acme"),
    ("Costco", "costco"), ("Limited", "limited"), ("某某集团有限公司", "某某"), ("3M China", "3mchina"),
])
def test_company_keys_drop_the_legal_form(company, key):
    assert company_key(company) == key


def test_a_company_entry_matches_everyone_from_it(watchlist):
    assert whys(watchlist, "王芳", company="华为技术") == [("hw", COMPANY)]
    assert whys(watchlist, "王芳", company="ACME inc") == [("ac", COMPANY)]
    assert whys(watchlist, "王芳", company="Huawei") == []


def test_a_named_entry_matches_by_name_alone(watchlist):
    assert whys(watchlist, "Jane Roe", company="Acme") == [("ac", COMPANY)]  # not jd: another person
    assert whys(watchlist, "John Doe", company="Other") == [("jd", NAME)]


def test_matches_come_strongest_first_each_entry_once(watchlist):
    assert whys(watchlist, "John Doe", company="Acme Ltd", phone="13800138000") == [
        ("jd", NAME), ("ph", PHONE), ("ac", COMPANY)]
    both = Watchlist([WatchEntry("a", "Zhang Wei", phone="13800138000"), WatchEntry("b", "Zhang Wie")])
    assert whys(both, "张伟", phone="13800138000") == [("a", NAME), ("b", NEAR_NAME)]


# -- the index --------------------------------------------------------------------------------

def test_an_empty_watchlist_matches_nothing():
    assert Watchlist([]).match("张伟", "华为", "13800138000") == ()


def test_a_repeated_id_keeps_the_last_entry():
    watchlist = Watchlist([WatchEntry("a", "张伟"), WatchEntry("a", "李娜")])
    assert len(watchlist) == 1 and whys(watchlist, "Li Na") == [("a", NAME)] and whys(watchlist, "张伟") == []


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_the_index_finds_what_a_linear_scan_finds(seed):
    """Symmetric-delete neighbourhoods miss nothing and add nothing: compare with the distance
    to every entry's likeliest key."""
    rnd = random.Random(seed)
    words = ["".join(rnd.choices("abcdeghijklmnou", k=rnd.randint(2, 8))) for _ in range(60)]
    names = [" ".join(rnd.sample(words, rnd.randint(1, 2))) for _ in range(40)]
    visitor = list(rnd.choice(names).replace(" ", ""))
    for _ in range(rnd.randint(0, 3)):  # random edits: insert, delete, substitute, swap
        at = rnd.randrange(len(visitor))
        edit = rnd.choice("idst")
        if edit == "i":
            visitor.insert(at, rnd.choice("abcdegh"))
        elif edit == "d" and len(visitor) > 1:
            del visitor[at]
        elif edit == "s":
            visitor[at] = rnd.choice("abcdegh")
        elif at + 1 < len(visitor):
            visitor[at], visitor[at + 1] = visitor[at + 1], visitor[at]
    visitor = "".join(visitor)
    watchlist = Watchlist(WatchEntry(str(i), name) for i, name in enumerate(names))

    def near(key, other):
        limit = _reach(min(len(key), len(other)))
        return _distance(key, other, limit) <= limit

    expected = {str(i) for i, name in enumerate(names)
                if set(name_keys(visitor)) & set(name_keys(name))
                or any(near(key, name_keys(name)[0]) for key in name_keys(visitor))}
    assert {m.entry.entry_id for m in watchlist.match(visitor)} == expected


@pytest.mark.parametrize("a, b, distance", [("zhangwei", "zhangwie", 1), ("zhangwei", "zhangwe", 1),
                                            ("abcd", "bcde", 2), ("ca", "abc", 3), ("abcdef", "abcdef", 0)])
def test_distance_is_damerau_with_swaps(a, b, distance):
    assert _distance(a, b, 5) == _distance(b, a, 5) == distance


# -- hostile input ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["张" * 10_000, "单" * 10_000, "单a " * 3_000, "a" * 10_000,
                                  "\x00\x1b😀" * 1000,
                                  "𠀀𠀁𠀂" * 3000, "\u202e张伟\u200b", "Z\u0335h\u0336a\u0337n\u0338g wei"])
def test_hostile_input_is_bounded(watchlist, text):
    keys = name_keys(text)
    assert len(keys) <= 24 and all(len(k) <= MAX_KEY for k in keys)
    watchlist.match(text, text, text)
    if keys:
        assert Watchlist([WatchEntry("me", text)]).match(text)


def test_direction_marks_and_zalgo_do_not_hide_a_name(watchlist):
    assert whys(watchlist, "\u202e张伟\u200b") == [("zw", NAME)]
    assert whys(watchlist, "Z\u0335h\u0336a\u0337n\u0338g wei") == [("zw", NAME)]


def test_rare_characters_match_themselves_spaced_or_not():
    assert whys(Watchlist([WatchEntry("x", "\U0002a6d6\U0002a6d5")]), "\U0002a6d6 \U0002a6d5") == [("x", NAME)]


# -- entries and their JSON form --------------------------------------------------------------

def test_an_entry_survives_json():
    entry = WatchEntry("e1", "张伟", ("Zhang Wei",), "华为", "13800138000", APPROVE, "reception only")
    assert WatchEntry.from_dict(entry.to_dict()) == entry
    assert entry.to_dict()["aliases"] == ["Zhang Wei"]


@pytest.mark.parametrize("raw, field, code", [
    ({"name": "张伟"}, "entry_id", "required"),
    ({"entry_id": "", "name": "张伟"}, "entry_id", "required"),
    ({"entry_id": "e"}, "name", "required"),
    ({"entry_id": "e", "name": "12345"}, "name", "no_letters"),
    ({"entry_id": "e", "aliases": ["Zhang", "😀"]}, "aliases[1]", "no_letters"),
    ({"entry_id": "e", "aliases": "Zhang Wei"}, "aliases", "wrong_type"),
    ({"entry_id": "e", "name": 42}, "name", "wrong_type"),
    ({"entry_id": "e", "phone": "12345"}, "phone", "invalid_phone"),
    ({"entry_id": "e", "company": "(!)"}, "company", "invalid"),
    ({"entry_id": "e", "name": "张伟", "action": "deny"}, "action", "invalid"),
    ({"entry_id": "e", "name": "张伟", "alias": ["x"]}, "alias", "unknown_field"),
])
def test_bad_entries_are_refused_with_the_field(raw, field, code):
    with pytest.raises(ValidationError) as info:
        WatchEntry.from_dict(raw)
    assert (info.value.field, info.value.code) == (field, code)
    assert field in str(info.value)


def test_an_entry_must_be_an_object():
    with pytest.raises(ValidationError, match="must be an object"):
        WatchEntry.from_dict(["张伟"])


# -- properties -------------------------------------------------------------------------------

HAN = "张伟李娜王小明單雄信曾国藩吕欧阳章張偉"
LATIN = string.ascii_letters + "äöüéèñçß"
names = st.lists(st.text(alphabet=HAN + LATIN, min_size=1, max_size=8), min_size=1, max_size=3).map(" ".join)


def respelt(name: str, rnd: random.Random) -> str:
    """The same name typed otherwise: case, full-width letters, other whitespace around words."""
    def char(ch: str) -> str:
        cased = ch.upper() if rnd.random() < 0.5 else ch.lower()  # ß.upper() is SS
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and rnd.random() < 0.5 else c for c in cased)

    def gap() -> str:
        return "".join(rnd.choices([" ", "\u3000", "\t"], k=rnd.randint(1, 3)))

    return "".join(gap() + "".join(map(char, word)) for word in name.split(" ")) + gap()


@settings(max_examples=200, deadline=None)
@given(names, st.lists(names, max_size=6), st.integers(0, 2**32))
def test_matching_ignores_case_width_and_spacing(name, others, seed):
    watchlist = Watchlist(WatchEntry(str(i), n) for i, n in enumerate([name] + others))
    assert watchlist.match(respelt(name, random.Random(seed))) == watchlist.match(name)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_a_name_always_matches_an_entry_of_itself(name):
    assume(any(unicodedata.category(ch).startswith("L") for ch in unicodedata.normalize("NFKC", name)))
    assert Watchlist([WatchEntry("me", name)]).match(name) == (Match(WatchEntry("me", name), NAME),)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=40), st.text(max_size=40))
def test_matching_never_raises(watchlist, name, company, phone):
    watchlist.match(name, company, phone)


# -- look-alikes of Latin letters (Unicode confusables, UTS #39) ------------------------------

LOOKALIKES: dict[str, list[str]] = {}  # a Latin letter -> the characters that pass for it
for _code, _letter in sorted(LATIN_LOOKALIKES.items()):
    if len(_letter) == 1:
        LOOKALIKES.setdefault(_letter, []).append(chr(_code))


@pytest.mark.parametrize("typed", ["Іvаn Реtrоv",   # Cyrillic І а Р е о
                                   "ІVАN РЕТRОV",   # Cyrillic І А Р Е Т О
                                   "Реtrоv Іvаn", "іvаn реtrоv", "Ivan Petrov"])
def test_a_name_typed_with_cyrillic_look_alikes_matches(typed):
    assert whys(Watchlist([WatchEntry("ip", "Ivan Petrov")]), typed) == [("ip", NAME)]


def test_a_watched_company_typed_with_look_alikes_matches():
    watched = Watchlist([WatchEntry("ac", company="Acme Co., Ltd.")])
    assert whys(watched, "王五", company="Асmе Со., Ltd.") == [("ac", COMPANY)]  # Cyrillic А с е С о


def test_a_name_typed_with_greek_look_alikes_matches():
    assert whys(Watchlist([WatchEntry("tk", "Tim Kohn")]), "ΤΙΜ ΚΟΗΝ") == [("tk", NAME)]  # Greek capitals
    assert whys(Watchlist([WatchEntry("nv", "Nino Vino")]), "Νιnο νιnο") == [("nv", NAME)]


@pytest.mark.parametrize("lookalikes, letters", [
    ("аеорсухіјѕԁԛԝ", "aeopcyxijsdqw"), ("АВЕКМНОРСТХІЈЅ", "abekmhopctxijs"),
    ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "abezhikmnoptyx"), ("οιν", "oiv")])
def test_the_common_cyrillic_and_greek_look_alikes_are_folded(lookalikes, letters):
    """Checked against letters written out here, not against the generated table."""
    assert name_keys(lookalikes) == (letters,)


@settings(max_examples=300)
@given(st.lists(st.text(string.ascii_letters, min_size=2, max_size=9), min_size=1, max_size=3), st.data())
def test_matching_is_invariant_under_look_alikes_of_latin_letters(words, data):
    name = " ".join(words)
    disguised = "".join(data.draw(st.sampled_from([ch, *LOOKALIKES.get(ch, ())])) for ch in name)
    assert name_keys(disguised) == name_keys(name)
    assert whys(Watchlist([WatchEntry("x", name)]), disguised) == [("x", NAME)]


@given(st.text(st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF), max_size=20))
def test_chinese_japanese_and_korean_text_is_not_folded(text):
    assert text.translate(LATIN_LOOKALIKES) == text


def test_chinese_names_keep_their_keys():
    assert name_keys("张伟") == ("zhangwei",) and name_keys("口田") == name_keys("kou tian")[:1]


def test_the_table_is_built_by_the_rules():
    source = ("0430 ;\t0061 ;\tMA\t# CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A\n"
              "0406 ;\t006C ;\tMA\t# CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I → LATIN SMALL LETTER L\n"
              "04CF ;\t006C ;\tMA\t# CYRILLIC SMALL LETTER PALOCHKA → LATIN SMALL LETTER L\n"
              "0451 ;\t00EB ;\tMA\t# CYRILLIC SMALL LETTER IO → LATIN SMALL LETTER E WITH DIAERESIS\n"
              "0031 ;\t006C ;\tMA\t# DIGIT ONE → LATIN SMALL LETTER L\n"
              "006D ;\t0072 006E ;\tMA\t# LATIN SMALL LETTER M → r n\n"
              "4E00 ;\t30FC ;\tMA\t# CJK UNIFIED IDEOGRAPH-4E00 → KATAKANA-HIRAGANA PROLONGED SOUND MARK\n"
              "30CD ;\t0061 ;\tMA\t# (made up) KATAKANA LETTER NE → a\n"
              "03B2 ;\t00DF ;\tMA\t# GREEK SMALL LETTER BETA → LATIN SMALL LETTER SHARP S\n"
              "FF41 ;\t0061 ;\tMA\t# FULLWIDTH LATIN SMALL LETTER A → a (NFKC does it first)\n")
    assert latin_table(read_mappings(source)) == {"а": "a", "І": "I", "ӏ": "l", "ё": "e"}
