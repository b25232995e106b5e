"""Reception's services on a real log: the queue, host met, approvals, complaints, search of
the log, and the typed badge number at the kiosk's own sign-out."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.core.tokens import badge_number
from kiosk.errors import KioskError, ValidationError
from kiosk.exit_desk import UNKNOWN_BADGE
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter

LISI = Host("h1", "李四", "研发部")
ALICE = Host("h2", "Alice Smith", "Sales")
HOUR = 3_600_000


class Clock:
    def __init__(self):
        self.ms = int(datetime(2026, 12, 1, 9, 0).astimezone().timestamp() * 1000)

    def __call__(self):
        return self.ms


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def kiosk(tmp_path, clock):
    return Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="desk", role="reception"),
                      PreviewPrinter(tmp_path / "paper"), clock=clock)


def sign_in(kiosk, clock, name, host=LISI, minutes_later=0, **more):
    clock.ms += minutes_later * 60_000
    return kiosk.check_in(name=name, host=host, **more).visit


def test_the_queue_shows_the_longest_wait_first_and_who_left_today(kiosk, clock):
    day_start = clock.ms - HOUR
    first = sign_in(kiosk, clock, "张三")
    second = sign_in(kiosk, clock, "李雷", minutes_later=5)
    third = sign_in(kiosk, clock, "韩梅梅", minutes_later=5)
    kiosk.host_met(second.visit_id)
    kiosk.sign_out_by_hand(third.visit_id, "left by the side door")
    queue = kiosk.queue(day_start)
    assert [v.visitor["name"] for v in queue.waiting] == ["张三"]
    assert [v.visitor["name"] for v in queue.with_host] == ["李雷"]
    assert [v.visitor["name"] for v in queue.signed_out_today] == ["韩梅梅"]
    assert queue.in_building == 2
    assert kiosk.queue(clock.ms + 1).signed_out_today == []  # left before "today" began
    assert first.visit_id in {v.visit_id for v in queue.waiting}


def test_host_met_is_recorded_once(kiosk, clock):
    visit = sign_in(kiosk, clock, "张三")
    kiosk.host_met(visit.visit_id)
    kiosk.host_met(visit.visit_id)
    assert [e.kind for e in kiosk.log.events(visit.visit_id)].count(ev.HOST_MET) == 1
    assert kiosk.log.visit(visit.visit_id).state == "with_host"


def test_an_approval_decides_a_waiting_visit_and_only_that(kiosk, clock):
    visit = sign_in(kiosk, clock, "张三")
    kiosk.log.record((ev.APPROVAL_REQUESTED, visit.visit_id, {"why": "watchlist"}))
    assert kiosk.queue(0).awaiting_approval[0].visit_id == visit.visit_id
    assert kiosk.decide(visit.visit_id, approve=True, by="reception").state == "waiting"
    with pytest.raises(KioskError, match="not waiting for approval"):
        kiosk.decide(visit.visit_id, approve=False, by="reception")


def test_complaints_are_kept_in_order_with_the_visit_and_survive_the_log(kiosk, clock):
    visit = sign_in(kiosk, clock, "张三")
    kiosk.complain(visit.visit_id, "等候时间太长")
    kiosk.complain(visit.visit_id, "No parking space")
    assert kiosk.log.visit(visit.visit_id).complaints == ("等候时间太长", "No parking space")
    with pytest.raises(ValidationError):
        kiosk.complain(visit.visit_id, "   ")
    with pytest.raises(KioskError):
        kiosk.complain("A" * 16, "no such visit")


def test_the_log_is_searched_by_name_company_host_and_last_phone_digits(kiosk, clock):
    sign_in(kiosk, clock, "张三", company="华为技术有限公司", phone="13812345678")
    sign_in(kiosk, clock, "Bob", host=ALICE, company="ACME 100%", minutes_later=60)
    names = lambda found: sorted(v.visitor["name"] for v in found)  # noqa: E731
    assert names(kiosk.search("张")) == ["张三"]
    assert names(kiosk.search("华为")) == ["张三"]
    assert names(kiosk.search("alice")) == ["Bob"]  # host name, any case
    assert names(kiosk.search("5678")) == ["张三"]
    assert names(kiosk.search("67")) == []  # two digits are too few to single anyone out
    assert names(kiosk.search("100%")) == ["Bob"] and kiosk.search("1%0") == []  # % is text, not a wildcard
    assert names(kiosk.search("a", since_ms=clock.ms - 1)) == ["Bob"]  # signed in within the range
    assert kiosk.search("   ") == []


def test_reception_finds_a_visitor_as_the_kiosk_finds_hosts(kiosk, clock):
    """Pinyin, initials, a mix, the company's pinyin, the host's pinyin, and a typed badge
    number: none of which a LIKE over the stored text finds."""
    zhang = sign_in(kiosk, clock, "张三", company="华为技术有限公司")
    sign_in(kiosk, clock, "Bob", host=ALICE, company="化工研究院", minutes_later=5)
    shan = sign_in(kiosk, clock, "单雄信", company="ACME", minutes_later=5)
    names = lambda found: [v.visitor["name"] for v in found]  # noqa: E731
    assert names(kiosk.search("zs")) == ["张三"]
    assert names(kiosk.search("zhangsan")) == ["张三"]
    assert names(kiosk.search("张s")) == ["张三"]
    assert names(kiosk.search("huawei")) == ["张三"]  # the company's pinyin; 化工 is hua too, not huawei
    assert names(kiosk.search("hua")) == ["Bob", "张三"]  # newest first
    assert names(kiosk.search("lisi")) == ["单雄信", "张三"]  # the host they came to see
    assert names(kiosk.search("shanxx")) == ["单雄信"]  # the surname's reading
    badge = badge_number(kiosk.log.visit(shan.visit_id).current_badge.badge_id)
    assert names(kiosk.search(badge)) == ["单雄信"]
    assert names(kiosk.search(badge.replace("-", "").lower())) == ["单雄信"]
    sign_in(kiosk, clock, "张珊", minutes_later=5)  # the log grew: the index sees the newcomer
    assert names(kiosk.search("zs")) == ["张珊", "张三"]
    assert zhang.visit_id in {v.visit_id for v in kiosk.search("zs", since_ms=zhang.signed_in_at)}
    assert kiosk.search("zs", since_ms=clock.ms + 1) == []  # outside the range asked for


def test_a_typed_badge_number_signs_out_once_and_refuses_what_it_must(kiosk, clock):
    first = kiosk.check_in(name="张三", host=LISI)
    number = badge_number(first.badge_id)
    assert kiosk.check_out_by_number(number.lower().replace("-", " ")).ok
    assert kiosk.check_out_by_number(number).reason == "already_signed_out"
    assert kiosk.check_out_by_number("ZZZZ-ZZZZ").reason == UNKNOWN_BADGE
    assert kiosk.check_out_by_number("hello").reason == "malformed"
    second = kiosk.check_in(name="李雷", host=LISI)
    kiosk.mark_lost(second.badge_id)
    assert kiosk.check_out_by_number(badge_number(second.badge_id)).reason == "revoked"
    third = kiosk.check_in(name="韩梅梅", host=LISI)
    clock.ms += 13 * HOUR
    assert kiosk.check_out_by_number(badge_number(third.badge_id)).reason == "expired"


def test_a_rating_is_a_whole_number_from_1_to_5(kiosk, clock):
    visit = sign_in(kiosk, clock, "张三")
    for bad in (0, 6, True, 2.5):
        with pytest.raises(ValidationError):
            kiosk.rate(visit.visit_id, bad)
    kiosk.rate(visit.visit_id, 4)
    assert kiosk.log.visit(visit.visit_id).rating == 4


def test_a_returning_visitor_is_found_by_phone_in_any_format(kiosk, clock):
    kiosk.import_hosts([LISI])
    visit = sign_in(kiosk, clock, "王小明", company="华为", phone="139 1234 5678", purpose="会议",
                    agreement={"version": "2026-12-01", "lang": "zh_CN", "signature": ["AAD/AA=="]})
    known = {"name": "王小明", "company": "华为", "host": LISI, "visit_id": visit.visit_id,
             "visitor_type": "guest", "purpose": "会议",  # offered once the name is confirmed, as the host
             "accepted": {"version": "2026-12-01", "agreement": "default", "at": visit.signed_in_at,
                          "visit": visit.visit_id}}
    assert kiosk.returning_visitor("13912345678") == known
    assert kiosk.returning_visitor("139-1234-5678") == known
    assert kiosk.returning_visitor("13900000000") is None


def test_a_returning_visitors_last_host_is_offered_only_while_in_the_directory(kiosk, clock):
    sign_in(kiosk, clock, "王小明", host=Host("h-gone", "赵离职", "财务部"), phone="13912345678")
    assert kiosk.returning_visitor("13912345678")["host"] is None
