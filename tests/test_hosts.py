"""Host search: every way a visitor types a name, the ranking, and queries that are junk."""

import random
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypinyin import Style, pinyin

from kiosk.core import hosts as hosts_module
from kiosk.core.hosts import Host, HostIndex, host_id_for


def host(name, department="", email=""):
    return Host(host_id_for(name, department, email), name, department, email)


def names(found):
    return [h.name for h in found]


@pytest.fixture(scope="module")
def index():
    return HostIndex([
        host("张三", "研发部"), host("张三丰", "武当派"), host("章三"), host("張三"), host("章生张"),
        host("单雄信", "隋唐"), host("曾国藩", "湘军"), host("区志强"), host("吕布"),
        host("John Smith", "R&D", "john.smith@example.com"), host("李四", "市场部", "jsmith@example.com"),
        host("Mary-Jane O'Brien", "Legal"),
    ])


# -- characters -------------------------------------------------------------------------------

def test_full_name_in_characters_comes_first(index):
    assert names(index.search("张三"))[:2] == ["张三", "张三丰"]


def test_any_character_boundary_finds_the_name(index):
    assert names(index.search("三")) == ["张三", "張三", "章三", "张三丰"]
    assert names(index.search("三丰")) == ["张三丰"]
    assert names(index.search("雄信")) == ["单雄信"]


def test_characters_do_not_match_homophones(index):
    assert "章三" not in names(index.search("张"))
    assert "张三" not in names(index.search("章"))


def test_department_by_characters_and_pinyin(index):
    assert names(index.search("研发")) == ["张三"]
    assert names(index.search("发部")) == ["张三"]
    assert names(index.search("yanfa")) == ["张三"]
    assert names(index.search("yfb")) == ["张三"]
    assert names(index.search("wudang")) == ["张三丰"]


# -- pinyin -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["zhangsan", "zhangs", "zhang san", "ZhangSan", "ｚｈａｎｇ　ｓａｎ"])
def test_full_pinyin_from_the_start(index, query):
    assert names(index.search(query))[0] == "张三"


def test_pinyin_from_a_later_syllable(index):
    found = names(index.search("san"))
    assert found[:3] == ["张三", "張三", "章三"]  # same kind: two characters first, then name order
    assert "张三丰" in found
    assert "吕布" not in found
    assert names(index.search("xiongx")) == ["单雄信"]


@pytest.mark.parametrize("query, expected", [("zs", "张三"), ("zsf", "张三丰"), ("zgf", "曾国藩"), ("Z S", "张三")])
def test_initials(index, query, expected):
    assert names(index.search(query))[0] == expected


def test_initials_do_not_overreach(index):
    assert "张三" not in names(index.search("zsf"))
    assert names(index.search("zx")) == []


@pytest.mark.parametrize("query", ["zhangsf", "zsanfeng", "zsfeng", "zhangsanf"])
def test_full_syllables_and_initials_mixed(index, query):
    assert names(index.search(query)) == ["张三丰"]


def test_traditional_characters_have_their_own_pinyin(index):
    assert "張三" in names(index.search("zhangsan"))
    assert "張三" in names(index.search("zs"))
    assert names(index.search("張")) == ["張三"]


def test_u_umlaut_typed_as_v_or_u(index):
    assert names(index.search("lvbu")) == ["吕布"]
    assert names(index.search("lubu")) == ["吕布"]
    assert names(index.search("lb")) == ["吕布"]


# -- heteronyms -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("shanxiongxin", "单雄信"), ("danxiongxin", "单雄信"), ("sxx", "单雄信"), ("dxx", "单雄信"),
    ("zengguofan", "曾国藩"), ("cengguofan", "曾国藩"),
    ("ouzhiqiang", "区志强"), ("quzhiqiang", "区志强"), ("ozq", "区志强"),
])
def test_heteronym_surnames_are_found_by_every_reading(index, query, expected):
    assert names(index.search(query)) == [expected]


def test_surname_reading_is_indexed_even_where_pypinyin_lacks_it():
    assert "he" not in [r for rs in pinyin("黑", style=Style.NORMAL, heteronym=True) for r in rs]
    assert names(HostIndex([host("黑明")]).search("heming")) == ["黑明"]


def test_reading_combinations_are_capped():
    many = [("a", "b", "c")] * 64
    assert len(hosts_module._combos(many)) == hosts_module.MAX_READINGS
    # A name made only of heteronyms still indexes (quickly) and is found by its first reading.
    name = "单行长重和朝" * 10
    index = HostIndex([host(name)])
    assert names(index.search("shanxingzhangzhonghechao")) == [name]
    assert names(index.search(name[:30])) == [name]


# -- mixed Chinese and Latin -----------------------------------------------------------------

def test_han_then_latin_uses_the_pinyin_of_the_han(index):
    found = names(index.search("张s"))
    assert found[:2] == ["张三", "张三丰"]
    assert "章三" not in found  # zhangs, but not 张


def test_mixed_query_checks_where_the_han_occurs(index):
    # 章生张 spells zhangsheng... and holds 张, but not where the query starts.
    assert "章生张" not in names(index.search("张s"))
    assert "章生张" in names(index.search("zhangs"))


@pytest.mark.parametrize("query, expected", [("张sf", ["张三丰"]), ("z三", ["张三", "張三", "章三", "张三丰"]),
                                             ("zhang三f", ["张三丰"]), ("单x", ["单雄信"]), ("研f", ["张三"])])
def test_other_mixes(index, query, expected):
    assert names(index.search(query)) == expected


# -- Latin names and email --------------------------------------------------------------------

@pytest.mark.parametrize("query", ["john", "john s", "JOHN SMITH", "smi", "js", "jsm", "johnsmith"])
def test_latin_name_words_and_initials(index, query):
    assert "John Smith" in names(index.search(query))


def test_latin_name_punctuation_is_ignored(index):
    assert names(index.search("obri")) == ["Mary-Jane O'Brien"]
    assert names(index.search("mary jane")) == ["Mary-Jane O'Brien"]
    assert names(index.search("jane")) == ["Mary-Jane O'Brien"]


def test_latin_word_must_start_at_a_word(index):
    assert names(index.search("mith")) == []


def test_email_local_part_and_whole_address(index):
    assert names(index.search("jsmith")) == ["John Smith", "李四"]  # initials+word beats the email
    assert names(index.search("jsmith@example.com")) == ["李四"]
    assert names(index.search("john.smith@example.com")) == ["John Smith"]
    assert names(index.search("example")) == []  # the domain is everyone's


def test_host_id_finds_its_host(index):
    target = host("单雄信", "隋唐")
    assert index.search(target.host_id) == [target]
    assert index.get(target.host_id) == target
    assert index.get("nope") is None


# -- ranking ----------------------------------------------------------------------------------

def test_ranking_by_kind_of_match():
    directory = [
        host("赵六", "安保部"),            # department (an bao bu)
        host("李四", email="anders@example.com"),  # email local part
        host("王安"),                      # a later syllable
        host("爱南"),                      # initials then a full syllable: a-nan
        host("安娜"),                      # full pinyin from the first syllable
        host("Anna Lee"),                  # name prefix
        host("An"),                        # exact name
    ]
    random.Random(7).shuffle(directory)
    assert names(HostIndex(directory).search("an")) == ["An", "Anna Lee", "安娜", "爱南", "王安", "李四", "赵六"]


def test_ties_go_to_the_shorter_name_then_name_order():
    directory = [host("张三丰"), host("赵四"), host("张三"), host("周五六"), host("Zoe")]
    # Zoe is a name prefix, a better kind of match than pinyin, however long the name.
    assert names(HostIndex(directory).search("z")) == ["Zoe", "张三", "赵四", "周五六", "张三丰"]


def test_order_does_not_depend_on_input_order():
    directory = [host(f"张{c}") for c in "一二三四五六七八九十"] + [host(f"赵{c}{c}") for c in "一二三四五"]
    expected = [h.host_id for h in HostIndex(directory).search("zh", limit=12)]
    for seed in range(5):
        random.Random(seed).shuffle(directory)
        assert [h.host_id for h in HostIndex(directory).search("zh", limit=12)] == expected


def test_a_host_matching_many_ways_is_listed_once():
    directory = [host("张张", "张部", "zhang@example.com"), host("张三")]
    # 张张 matches as full pinyin, from a later syllable, by email and by department.
    assert names(HostIndex(directory).search("zhang")) == ["张三", "张张"]


def test_repeated_host_id_keeps_the_last():
    first = Host("same", "张三", "研发部")
    last = Host("same", "李四", "市场部")
    index = HostIndex([first, last])
    assert len(index) == 1
    assert index.search("lisi") == [last]
    assert index.search("zhangsan") == []


def test_limit():
    directory = [host(f"张{a}{b}") for a in "一二三四五六七八九十" for b in "明亮"]
    index = HostIndex(directory)
    assert len(index.search("zhang")) == 10
    assert len(index.search("zhang", limit=3)) == 3
    assert len(index.search("zhang", limit=100)) == 20
    assert index.search("zhang", limit=0) == []


def test_long_ranges_rank_as_short_ones():
    """Over TOP keys share a prefix, so the best hosts come precomputed; they must be the same
    as the full scan that a large limit forces."""
    rng = random.Random(3)
    given_names = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
    directory = [host("张" + "".join(rng.choices(given_names, k=rng.choice((1, 2)))), f"部{i % 7}")
                 for i in range(400)]
    index = HostIndex(directory)
    for query in ("z", "zh", "zhang", "张", "bu", "部"):
        everything = index.search(query, limit=1000)
        assert len(everything) > hosts_module.TOP, query
        assert index.search(query) == everything[:10], query
        assert index.search(query, limit=70) == everything[:70], query


# -- junk -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\x00\x01\x02", "!!!", "@", "。，、"])
def test_nothing_to_search_for(index, query):
    assert index.search(query) == []


@pytest.mark.parametrize("query", ["a" * 1000, "张" * 1000, "z张" * 500, "\x00" * 1000, "张" + "s" * 999])
def test_very_long_queries(index, query):
    assert index.search(query) == []


def test_control_characters_inside_a_query_are_ignored(index):
    assert names(index.search("z\x00s\x1b"))[0] == "张三"


def test_empty_directory():
    index = HostIndex([])
    assert len(index) == 0
    assert index.search("zhang") == []


# -- host ids ---------------------------------------------------------------------------------

def test_host_id_is_short_stable_and_prefers_the_email():
    assert re.fullmatch(r"[0-9a-f]{12}", host_id_for("张三", "研发部", ""))
    assert host_id_for("张三", "研发部", "") == host_id_for(" 张三 ", "研发部", "")
    assert host_id_for("张三", "研发部", "") != host_id_for("张三", "市场部", "")
    assert host_id_for("张三", "研发部", "Zs@Example.com") == host_id_for("张三", "市场部", "zs@example.com")
    assert host_id_for("张三", "研发部", "a@example.com") != host_id_for("张三", "研发部", "b@example.com")


# -- properties -------------------------------------------------------------------------------

COMMON = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超单曾区长行乐"
chinese_names = st.text(alphabet=COMMON, min_size=2, max_size=4)


def first_readings(name):
    """pypinyin's commonest reading of each character, as a plain reference."""
    return [readings[0] for readings in pinyin(list(name), style=Style.NORMAL, heteronym=True)]


@settings(max_examples=150, deadline=None)
@given(st.lists(chinese_names, min_size=1, max_size=12), st.data())
def test_a_name_is_found_by_its_characters_pinyin_initials_and_a_mix(directory_names, data):
    directory = [host(n) for n in directory_names]
    index = HostIndex(directory)
    target = data.draw(st.sampled_from(directory))
    syllables = first_readings(target.name)
    everyone = len(directory)
    for query in (target.name, "".join(syllables), "".join(s[0] for s in syllables),
                  target.name[0] + "".join(s[0] for s in syllables[1:]), target.name[1:]):
        assert target in index.search(query, limit=everyone), query


@settings(max_examples=150, deadline=None)
@given(st.lists(chinese_names, min_size=1, max_size=12), st.text(alphabet=COMMON + "abcdefghijklmnopqrstuvwxyz ", max_size=6),
       st.sampled_from(COMMON + "abcdefghijklmnopqrstuvwxyz"))
def test_typing_another_key_only_narrows(directory_names, typed, key):
    assume(typed.strip())  # an empty query finds nothing, on purpose
    index = HostIndex([host(n) for n in directory_names] + [host("John Smith"), host("Anna Lee")])
    before = {h.host_id for h in index.search(typed, limit=100)}
    after = {h.host_id for h in index.search(typed + key, limit=100)}
    assert after <= before


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.integers(min_value=-2, max_value=30))
def test_search_never_raises(index, query, limit):
    found = index.search(query, limit)
    assert len(found) <= max(limit, 0)
    assert len({h.host_id for h in found}) == len(found)


# -- English names and aliases ------------------------------------------------------------------

@pytest.fixture(scope="module")
def named():
    return HostIndex([
        Host("a1", "李四", "研发部", english_name="Li Si", aliases=("小李", "Lisa")),
        Host("a2", "李思"), Host("a3", "Lisa Wong"), Host("a4", "张三", aliases=("章三",)),
        Host("a5", "王芳", english_name="Fiona Wang"),
    ])


@pytest.mark.parametrize("query", ["li si", "lisi", "Li S", "LISA", "小李", "xiaoli", "xl", "小l", "xiao李"])
def test_an_english_name_or_an_alias_finds_its_host_first(named, query):
    assert names(named.search(query))[0] == "李四"


def test_an_english_name_is_found_by_each_of_its_words(named):
    assert names(named.search("fiona")) == ["王芳"]
    assert names(named.search("wang")) == ["王芳"]
    assert names(named.search("fw")) == ["王芳"]


def test_an_exact_alias_ranks_with_the_exact_name(named):
    assert names(named.search("lisa")) == ["李四", "Lisa Wong", "李思"]  # 思 also reads sai


def test_a_mixed_query_is_checked_in_the_name_its_key_came_from(named):
    # 李四 and Li Si both give the key lisi; the 李 of 李s is in the first only.
    assert names(named.search("李s")) == ["李四", "李思"]
    # An alias that sounds like the name: each is checked on its own characters.
    assert names(named.search("章s")) == ["张三"]
    assert names(named.search("张s")) == ["张三"]
    # The Han characters must be in that name, not in another: 章伞 spells zsan, its alias holds 三.
    assert names(HostIndex([Host("b1", "章伞", aliases=("三",))]).search("z三")) == []


def test_aliases_never_repeat_a_host(named):
    found = named.search("li", limit=20)
    assert len({h.host_id for h in found}) == len(found)
