"""The pinyin input engine behind the on-screen keyboard: segmentation, ranking, choosing, scripts."""

import gzip
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import ime, ime_build
from kiosk.core.ime import PinyinInput, segment

ROOT = Path(__file__).resolve().parents[1]


def typed(letters, script="zh_CN", limit=30):
    engine = PinyinInput(script, limit)
    for letter in letters:
        engine.type(letter)
    return engine


def candidates(letters, script="zh_CN"):
    return typed(letters, script).candidates()


# -- segmentation ------------------------------------------------------------------------------

@pytest.mark.parametrize("letters, syllables", [
    ("xian", ["xian"]),
    ("xi'an", ["xi", "an"]),
    ("zhangsan", ["zhang", "san"]),
    ("beijing", ["bei", "jing"]),
    ("fangan", ["fan", "gan"]),  # the apostrophe rule: 方案 is written fang'an
    ("fang'an", ["fang", "an"]),
    ("zhangs", ["zhang", "s"]),
    ("kj", ["k", "j"]),
    ("zhs", ["zh", "s"]),
    ("lv", ["lv"]),
    ("lue", ["lue"]),
    ("iii", ["i", "i", "i"]),
    ("zhangiii", ["zhang", "i", "i", "i"]),
    ("", []),
    ("'", []),
])
def test_segment(letters, syllables):
    assert segment(letters) == syllables


# -- ranking -----------------------------------------------------------------------------------

def test_a_surname_comes_first_and_common_characters_before_rare_ones():
    found = candidates("zhang")
    assert found.index("张") < 3
    assert found.index("张") < found.index("章") < found.index("彰")


@pytest.mark.parametrize("letters, surname, within", [
    ("li", "李", 1), ("wang", "王", 1), ("chen", "陈", 1), ("zhou", "周", 1), ("wei", "魏", 5),
    ("zeng", "曾", 2),  # 曾 is mostly ceng in words; its surname reading still ranks
    ("shan", "单", 2),
])
def test_common_surnames_are_boosted_for_a_single_syllable(letters, surname, within):
    assert surname in candidates(letters)[:within]


def test_the_boost_does_not_push_the_commonest_character_off_the_top():
    assert candidates("shi")[0] == "是"
    assert candidates("de")[0] == "的"


@pytest.mark.parametrize("letters, word, within", [
    ("beijing", "北京", 2), ("keji", "科技", 1), ("youxiangongsi", "有限公司", 1),
    ("bj", "北京", 2), ("kj", "科技", 2), ("yxgs", "有限公司", 1),  # initials
    ("beij", "北京", 2), ("bjing", "北京", 2),  # a half-typed syllable, a mix
])
def test_words(letters, word, within):
    assert word in candidates(letters)[:within]


def test_words_spelling_the_whole_buffer_come_before_shorter_words_and_characters():
    found = candidates("beijing")
    assert found[:2] == ["北京", "背景"]
    assert found.index("背景") < found.index("北")
    found = candidates("youxiangongsi")
    assert found.index("有限公司") < found.index("有限") < found.index("有")


def test_an_exact_spelling_ranks_before_a_longer_syllable_it_starts():
    found = candidates("xi'an")
    assert found[0] == "西安"
    assert "西安" not in candidates("xian")[:10]  # xian is one syllable: 现, 先, 县 ...
    assert candidates("xian")[0] == "现"


@pytest.mark.parametrize("letters, char, within", [("lv", "吕", 5), ("nv", "女", 1), ("lve", "略", 1),
                                                   ("lue", "略", 1), ("nue", "虐", 1), ("lvse", "绿色", 1)])
def test_u_umlaut_is_typed_as_v(letters, char, within):
    assert char in candidates(letters)[:within]


def test_a_partial_syllable_offers_characters_of_every_syllable_it_starts():
    found = candidates("zh")
    assert {"中", "这", "张"} <= set(found)
    assert "在" not in found  # zai


@pytest.mark.parametrize("letters", ["iii", "u", "v", "izhang"])
def test_letters_no_syllable_starts_with_give_nothing(letters):
    assert candidates(letters) == []


def test_unknown_letters_after_a_syllable_leave_the_syllable_usable():
    engine = typed("zhangiii")
    found = engine.candidates()
    assert found.index("张") < 3
    engine.choose(found.index("张"))
    assert engine.buffer == "iii"
    assert engine.candidates() == []


def test_initials_alone_offer_the_longest_words_first():
    found = candidates("zzz")
    assert len(found[0]) == 3  # a word spelled z-z-z (自治州)
    assert [len(w) for w in found] == sorted((len(w) for w in found), reverse=True)


def test_candidates_are_distinct_and_at_most_limit():
    engine = typed("z", limit=7)
    found = engine.candidates()
    assert len(found) == 7 == len(set(found))


# -- choosing ----------------------------------------------------------------------------------

def test_zhangsan_picked_one_character_at_a_time():
    engine = typed("zhangsan")
    found = engine.candidates()
    assert found.index("张") < 3
    assert engine.choose(found.index("张")) == "张"
    assert engine.buffer == "san"
    assert engine.candidates()[0] == "三"
    assert engine.choose(0) == "三"
    assert engine.buffer == ""
    assert engine.candidates() == []


def test_a_word_consumes_its_letters_and_the_apostrophe_after_them():
    engine = typed("xi'anshi")
    assert engine.choose(engine.candidates().index("西安")) == "西安"
    assert engine.buffer == "shi"
    engine = typed("youxiangongsi")
    assert engine.choose(engine.candidates().index("有限")) == "有限"
    assert engine.buffer == "gongsi"


def test_choose_takes_what_candidates_showed():
    engine = typed("beijing")
    shown = engine.candidates()
    assert engine.choose(1) == shown[1]


def test_choose_outside_the_list_raises_index_error():
    engine = typed("zhang", limit=3)
    with pytest.raises(IndexError):
        engine.choose(3)
    with pytest.raises(IndexError):
        engine.choose(-1)
    with pytest.raises(IndexError):
        PinyinInput().choose(0)
    assert engine.buffer == "zhang"


# -- typing ------------------------------------------------------------------------------------

def test_backspace_removes_one_letter_then_says_the_buffer_was_empty():
    engine = typed("xi'")
    assert [engine.backspace() for _ in range(4)] == [True, True, True, False]
    assert engine.buffer == ""


def test_apostrophe_only_separates():
    engine = PinyinInput()
    for letter in "'xi''an'":
        engine.type(letter)
    assert engine.buffer == "xi'an'"
    assert engine.candidates()[0] == "西安"


@pytest.mark.parametrize("letter", ["A", "1", " ", "ü", "ab", "", "’", "\n"])
def test_anything_but_a_to_z_and_apostrophe_is_refused(letter):
    engine = typed("zh")
    with pytest.raises(ValueError):
        engine.type(letter)
    assert engine.buffer == "zh"


def test_clear_empties_the_buffer():
    engine = typed("zhang")
    engine.clear()
    assert engine.buffer == "" and engine.candidates() == []


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        PinyinInput("en")
    with pytest.raises(ValueError):
        PinyinInput(limit=0)
    with pytest.raises(ValueError):
        PinyinInput().set_script("zh_HK")


# -- traditional script ------------------------------------------------------------------------

def test_traditional_script_ranks_traditional_characters_by_the_same_frequency():
    simplified, traditional = candidates("zhang"), candidates("zhang", "zh_TW")
    assert traditional.index("張") == simplified.index("张")
    assert "张" not in traditional
    wei = candidates("wei", "zh_TW")
    assert "偉" in wei and "伟" not in wei


def test_traditional_words_are_converted_as_words():
    assert candidates("toufa", "zh_TW")[0] == "頭髮"  # not 頭發
    assert candidates("fazhan", "zh_TW")[0] == "發展"
    assert candidates("beijing", "zh_TW")[0] == "北京"


def test_a_character_with_several_traditional_forms_offers_them_all():
    found = candidates("fa", "zh_TW")
    assert found[:2] == ["發", "髮"]


def test_set_script_switches_what_is_shown():
    engine = typed("zhangsan")
    engine.set_script("zh_TW")
    assert "張" in engine.candidates()[:3]
    assert engine.choose(engine.candidates().index("張")) == "張"
    assert engine.buffer == "san"
    engine.set_script("zh_CN")
    assert engine.candidates()[0] == "三"


# -- properties --------------------------------------------------------------------------------

LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", max_size=24)


@settings(max_examples=200, deadline=None)
@given(LETTERS, st.sampled_from(ime.SCRIPTS))
def test_any_letters_give_distinct_candidates_without_raising(letters, script):
    found = typed(letters, script).candidates()
    assert len(found) == len(set(found)) <= 30
    assert all(found)
    assert "".join(segment(letters)) == letters.replace("'", "")


@settings(max_examples=200, deadline=None)
@given(LETTERS, st.data())
def test_choose_consumes_at_least_one_letter_and_only_from_the_front(letters, data):
    engine = typed(letters)
    found = engine.candidates()
    if found:
        before = engine.buffer
        engine.choose(data.draw(st.integers(0, len(found) - 1)))
        assert len(engine.buffer) < len(before) and before.endswith(engine.buffer)


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("type"), st.sampled_from("abcdefghijklmnopqrstuvwxyz'")),
    st.tuples(st.just("backspace"), st.none()),
    st.tuples(st.just("choose"), st.integers(0, 40)),
    st.tuples(st.just("script"), st.sampled_from(ime.SCRIPTS)),
), max_size=40)


@settings(max_examples=150, deadline=None)
@given(OPERATIONS)
def test_the_buffer_shrinks_only_by_backspace_and_choose(operations):
    engine = PinyinInput(limit=8)
    for name, arg in operations:
        before = engine.buffer
        if name == "type":
            engine.type(arg)
            assert engine.buffer in (before, before + arg)
        elif name == "backspace":
            assert engine.backspace() == bool(before)
            assert engine.buffer == before[:-1]
        elif name == "choose":
            shown = engine.candidates()
            if arg < len(shown):
                assert engine.choose(arg) == shown[arg]
                assert len(engine.buffer) < len(before) and before.endswith(engine.buffer)
            else:
                with pytest.raises(IndexError):
                    engine.choose(arg)
                assert engine.buffer == before
        else:
            engine.set_script(arg)
            assert engine.buffer == before


# -- the data and its loading ------------------------------------------------------------------

def test_the_table_is_loaded_once_even_by_racing_threads(monkeypatch):
    reads = []
    real_decompress = gzip.decompress
    monkeypatch.setattr(ime, "_loaded", None)
    monkeypatch.setattr(ime.gzip, "decompress", lambda data: reads.append(1) or real_decompress(data))
    tables, start = [], threading.Barrier(8)

    def load():
        start.wait()
        tables.append(ime._table())

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1
    assert len(tables) == 8 and all(t is tables[0] for t in tables)


def test_the_engine_needs_none_of_the_build_packages_at_run_time():
    code = ("import sys; from kiosk.core.ime import PinyinInput; p = PinyinInput(); p.type('a'); p.candidates(); "
            "print(sorted({'jieba', 'opencc', 'pypinyin', 'kivy'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_committed_table_stays_small():
    assert ime.DATA_PATH.stat().st_size < 1_500_000


def test_the_generator_writes_what_the_engine_reads():
    text = ime_build.render(
        chars={"zhang": [("长", 90), ("张", 50)], "san": [("三", 70)]},
        words=[("长沙", ["chang", "sha"]), ("张三", ["zhang", "san"])],
        surname_entries=["张zhang"],
        traditional={"张": ["張"], "长": ["長"], "发": ["發", "髮"]},
        traditional_word_forms={"头发": "頭髮"},
        frequencies={"长沙": 300, "张三": 20},
        names={"surnames": [("张zhang", 9), ("欧阳ou'yang", 2)], "given": {"san": [("三", 70)]},
               "unfit": {"屎"}, "proper": {"长沙"}},
    )
    table = ime._Table(text)
    assert table.chars("zhang") == [("长", 90), ("张", 50)]
    assert table.words("zs") == [("张三", ("zhang", "san"), 20, False)]
    assert table.words("cs") == [("长沙", ("chang", "sha"), 300, True)]
    assert ("张", "zhang") in table.surnames
    assert table.surname_counts == [("张", ("zhang",), 9), ("欧阳", ("ou", "yang"), 2)]
    assert table.given("san") == [("三", 70)] and table.unfit == {"屎"}
    assert table.traditional["发"] == "發髮" and table.traditional_words["头发"] == "頭髮"


# -- the field picks the ranking ---------------------------------------------------------------

def in_field(letters, field, script="zh_CN", limit=30):
    engine = PinyinInput(script, limit, field=field)
    for letter in letters:
        engine.type(letter)
    return engine.candidates()


@pytest.mark.parametrize("letters, name", [
    ("zhangsan", "张三"), ("zhangwei", "张伟"), ("wangxiuying", "王秀英"), ("liuqiang", "刘强"),
    ("zhangxiaoming", "张晓明"), ("lina", "李娜"), ("ouyangnana", "欧阳娜娜"), ("zw", "张伟"),
])
def test_a_name_field_offers_the_whole_name_first(letters, name):
    assert in_field(letters, "name")[0] == name
    assert in_field(letters, "other")[0] != name or letters == "lina"  # the ranking is the field's


def test_whole_names_show_in_the_visitors_script():
    assert in_field("zhangwei", "name", "zh_TW")[0] == "張偉"


@pytest.mark.parametrize("letters, surname", [("shan", "单"), ("zeng", "曾"), ("ou", "区"), ("qiu", "仇"),
                                              ("xie", "谢"), ("zha", "查")])
def test_a_name_field_puts_surname_readings_first(letters, surname):
    found = in_field(letters, "name")
    surnames = [c for c in found if (c, letters) in ime._table().surnames]
    assert surname in surnames and found[:len(surnames)] == surnames


def test_a_company_field_ranks_company_words_above_common_ones():
    assert in_field("huawei", "company")[:2] == ["华为", "化为"]
    assert in_field("huawei", "other")[:2] == ["化为", "华为"]  # as jieba counts them
    assert in_field("tengxun", "company")[0] == "腾讯"
    assert in_field("keji", "company")[0] == "科技"


@pytest.mark.parametrize("letters, unfit", [("shi", "屎"), ("sha", "傻"), ("jian", "贱"), ("pi", "屁"),
                                            ("biao", "婊"), ("zhangshi", "张屎")])
def test_a_name_field_never_offers_characters_unfit_for_names(letters, unfit):
    assert unfit[-1] in ime._table().unfit
    assert not any(set(c) & ime._table().unfit for c in in_field(letters, "name", limit=2000))
    assert unfit in in_field(letters, "other", limit=2000) or unfit[-1] in in_field(letters[5:], "other", limit=2000)


def test_the_unfit_list_is_small_and_spares_common_name_characters():
    unfit = ime._table().unfit
    assert 10 < len(unfit) < 60
    assert not unfit & set("伟芳秀英强明丽干柒三")


def test_a_bad_field_is_refused():
    with pytest.raises(ValueError):
        PinyinInput(field="address")


SURNAME_SYLLABLES = sorted({s for _, syllables, _ in ime._table().surname_counts for s in syllables})
GIVEN_SYLLABLES = sorted(s for s in ime._table().syllables if ime._table().given(s))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([e for e in ime._table().surname_counts if len(e[1]) == 1]),
       st.lists(st.sampled_from(GIVEN_SYLLABLES), min_size=1, max_size=2))
def test_the_first_candidate_for_a_surname_and_given_name_is_a_name(surname, given_syllables):
    _, syllables, _ = surname
    typed_letters = "'".join(syllables + tuple(given_syllables))
    found = in_field(typed_letters, "name")
    first = found[0]
    table = ime._table()
    assert len(first) == 1 + len(given_syllables)
    assert (first[0], syllables[0]) in table.surnames
    assert all(c in {g for g, _ in table.given(s)} for c, s in zip(first[1:], given_syllables))


def readings(char):
    table = ime._table()
    return {s for s in table.syllables if any(c == char for c, _ in table.chars(s))}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(ime._table().syllables - set(ime._ALIASES))), min_size=1, max_size=4),
       st.sampled_from(ime.FIELDS))
def test_every_candidate_spells_the_syllables_typed(syllables, field):
    """Each candidate's characters read, in turn, as the typed syllables it consumes."""
    engine = PinyinInput(field=field)
    for letter in "'".join(syllables):
        engine.type(letter)
    for index, text in enumerate(engine.candidates()):
        consumed = engine._ranked()[index][1]
        spelled = segment("'".join(syllables)[:consumed].strip("'"))
        assert len(text) == len(spelled), (text, spelled)
        for char, syllable in zip(text, spelled):
            assert syllable in readings(char) or any(t.startswith(syllable) for t in readings(char)), (text, spelled)


@pytest.mark.parametrize("letters, given_name", [("wei", "伟"), ("shan", "山"), ("xiuying", "秀英"), ("jun", "军")])
def test_after_a_surname_in_the_field_the_letters_spell_the_given_name(letters, given_name):
    engine = PinyinInput(field="name")
    engine.set_context("张")
    for letter in letters:
        engine.type(letter)
    assert engine.candidates()[0] == given_name
    engine.set_context("")  # an empty field: the letters start with a surname again (韦 for wei)
    if letters in ("wei", "shan"):
        assert engine.candidates()[0] != given_name


@settings(max_examples=100, deadline=None)
@given(LETTERS, st.sampled_from(["", "张", "Li "]))
def test_a_name_field_never_offers_an_unfit_character_whatever_was_typed(letters, before):
    engine = PinyinInput(field="name", limit=200)
    engine.set_context(before)
    for letter in letters:
        engine.type(letter)
    assert all(ime._table().unfit.isdisjoint(c) for c in engine.candidates())
