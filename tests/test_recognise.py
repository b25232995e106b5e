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


# -- the names a visitor picks theirs from (what a holder of the phone number alone sees) -----

from kiosk.core.ime import is_hanzi  # noqa: E402
from kiosk.core.recognise import CHOICES, name_choices  # noqa: E402

seeds = st.binary(min_size=32, max_size=32)
REAL = ["王小明", "张伟", "欧阳娜娜", "陳大文", "Mary Baker", "mary baker", "欧阳娜娜 Emma Wood"]
# Names the made-up ones could not look like: offering them among made-up names would single them out.
STANDS_OUT = ["李四", "王秘密", "Tom Baker", "Jean-Pierre Kowalczyk", "Mary Ann Lee", "欧阳娜娜 Nana Ouyang"]


def shape(name: str) -> list[tuple[bool, int, bool]]:
    """What sets a name apart at a glance: per word, Han or letters, its length in characters
    (Han), capitalised or not (letters); and simplified or traditional."""
    return [(all(is_hanzi(c) for c in w), len(w) if is_hanzi(w[0]) else 0, w[:1].isupper()) for w in name.split()]


@pytest.mark.parametrize("real", REAL)
@given(seed=seeds)
def test_the_real_name_is_one_of_four_of_its_shape_and_no_other_confirms_it(real, seed):
    choices = name_choices(real, seed, "zh_CN")
    assert len(choices) == CHOICES == len(set(choices)) and choices.count(real) == 1
    others = [c for c in choices if c != real]
    assert not any(confirms(other, real) for other in others)
    assert all(shape(other) == shape(real) for other in others), choices


@pytest.mark.parametrize("real", REAL)
@given(seed=seeds)
def test_asking_again_shows_the_same_names_in_the_same_order(real, seed):
    assert name_choices(real, seed, "zh_CN") == name_choices(real, seed, "zh_CN")


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
@given(seed=seeds)
def test_an_unknown_number_shows_four_names_too(lang, seed):
    choices = name_choices("", seed, lang)
    assert len(choices) == CHOICES == len(set(choices))
    if lang == "en":
        assert all(shape(c) == [(False, 0, True), (False, 0, True)] for c in choices)
    else:
        assert all(len(shape(c)) == 1 and shape(c)[0][1] in (2, 3) for c in choices)


@pytest.mark.parametrize("real", STANDS_OUT)
def test_a_name_that_would_stand_out_is_typed_not_picked(real):
    assert name_choices(real, b"\x01" * 32, "zh_CN") == []


@given(seed=seeds, real=st.sampled_from(REAL))
def test_every_made_up_name_could_have_been_the_real_one(seed, real):
    from kiosk.core.recognise import could_be_made_up

    assert all(could_be_made_up(name) for name in name_choices(real, seed, "zh_CN"))


def test_the_real_name_sits_anywhere_and_made_up_names_follow_its_script():
    positions = {name_choices("王小明", bytes([i]) * 32, "zh_CN").index("王小明") for i in range(64)}
    assert positions == set(range(CHOICES))  # its place says nothing
    traditional = name_choices("陳大文", b"\x01" * 32, "zh_CN")
    simplified = name_choices("陈大文", b"\x01" * 32, "zh_CN")
    assert traditional != simplified
    tw = set("".join(traditional)) - set("".join(simplified))
    assert tw, (traditional, simplified)  # traditional forms where the real name has them


def test_two_kiosks_of_a_site_offer_the_same_four_names_for_a_known_number(tmp_path):
    # Different decoys on two kiosks would give the real name away: the one on both lists.
    from kiosk.core.hosts import Host
    from kiosk.services import Kiosk
    from kiosk.settings import Settings
    from printer.device import PreviewPrinter

    lobby, side_door = (Kiosk.open(Settings(data_dir=str(tmp_path / name), site="hq", device=name),
                                   PreviewPrinter(tmp_path / name / "paper")) for name in ("k1", "k2"))
    visit = lobby.check_in(name="王小明", company="华为", phone="13912345678", host=Host("h1", "李四", "研发部")).visit
    side_door.log.ingest(lobby.log.events(visit.visit_id))  # as sync brings it
    offered = [k.name_choices("13912345678", k.returning_visitor("13912345678"), "zh_CN") for k in (lobby, side_door)]
    assert offered[0] == offered[1] and "王小明" in offered[0]
