"""The privacy notice and consents in the pure core: the notice file's shape, what a consent
event holds, that it is a kind visitor kiosks and reception write (not exit posts), and that the
fold keeps each purpose's latest answer whatever the order."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import consent, roles
from kiosk.core import events as ev
from kiosk.core.events import Event
from kiosk.core.payloads import payload_error
from kiosk.core.visits import fold

RAW = "version: 2026-12-07\nsummary: {organisation} keeps it {retention_days} days.\n\nKept by {organisation}.\n\nAsk {contact}.\n"
VALUES = {"organisation": "示例科技", "retention_days": 180, "contact": "前台"}


def test_a_notice_file_gives_version_summary_and_filled_text():
    notice = consent.parse_notice(RAW, VALUES, "zh_CN")
    assert notice.version == "2026-12-07"
    assert notice.summary == "示例科技 keeps it 180 days."
    assert notice.text == "Kept by 示例科技.\n\nAsk 前台."


def test_the_digest_follows_the_words_not_the_line_breaks():
    notice = consent.parse_notice(RAW, VALUES)
    assert consent.parse_notice(RAW.replace("\n\nAsk", "\nAsk"), VALUES).digest == notice.digest
    assert consent.parse_notice(RAW.replace("180", "{retention_days}"), {**VALUES, "retention_days": 30}).digest \
        != notice.digest  # another retention is other words, whatever the version says


@pytest.mark.parametrize("raw", ["summary: x\n\ntext", "version: 1\n\ntext", ""])
def test_a_notice_without_version_or_summary_is_refused(raw):
    with pytest.raises(ValueError):
        consent.parse_notice(raw, {})


def test_a_consent_record_passes_its_schema_and_a_bad_one_does_not():
    notice = consent.parse_notice(RAW, VALUES, "en")
    data = consent.record(consent.NOTICE, True, notice=notice, by=consent.START, at=1_000)
    assert data == {"purpose": "notice", "given": True, "by": "start", "version": "2026-12-07",
                    "digest": notice.digest, "lang": "en", "at": 1_000}
    assert payload_error(ev.CONSENT, data) == ""
    assert payload_error(ev.CONSENT, {"purpose": "notice"}) == "consent needs given"
    assert "given must be true or false" in payload_error(ev.CONSENT, {"purpose": "photo", "given": "yes"})
    assert "purpose must be" in payload_error(ev.CONSENT, {"purpose": "Photo; drop", "given": True})


def test_visitor_kiosks_and_reception_record_consent_exit_posts_do_not():
    assert ev.CONSENT in ev.KINDS
    assert roles.may_write(roles.VISITOR, ev.CONSENT) and roles.may_write(roles.RECEPTION, ev.CONSENT)
    assert not roles.may_write(roles.EXIT, ev.CONSENT)
    assert roles.refusal(roles.EXIT, ev.CONSENT) == "an exit post cannot record a visitor's consent: do it at reception"


def _event(n, ts, kind, data):
    return Event(f"e{n:03d}", "hq", "k1", n, ts, kind, "V" * 16, data)


ANSWERS = [
    _event(1, 100, ev.SIGNED_IN, {"visitor": {"name": "张三"}, "host": {"name": "李四"}}),
    _event(2, 100, ev.CONSENT, consent.record("notice", True, by="start", lang="zh_CN", at=90)),
    _event(3, 100, ev.CONSENT, consent.record("photo", True, at=95)),
    _event(4, 500, ev.CONSENT, consent.record("photo", False, at=500)),
]


@given(st.permutations(ANSWERS), st.integers(0, 3))
def test_the_fold_keeps_each_purposes_latest_answer_in_any_order(events, repeat):
    visit = fold(events + events[:repeat])
    assert {c["purpose"]: c["given"] for c in visit.consents} == {"notice": True, "photo": False}
    assert consent.accepted_notice(visit.consents)["at"] == 90
    assert not consent.given(visit.consents, "photo")


def test_the_notice_cannot_be_registered_as_a_separate_consent():
    with pytest.raises(ValueError):
        consent.register(consent.Purpose("notice", "q", "e", "1"))
