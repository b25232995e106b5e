"""Who a sign-in really tells (kiosk.telling), read from the outbox of a real SQLite log: the
visitor's screens say "we are letting your host know" or "we have asked your host" from this
and from nothing else."""

from __future__ import annotations

from dataclasses import replace

from kiosk.core.hosts import Host
from kiosk.notifier import Notifier
from kiosk.telling import NOBODY, Telling, telling
from tests.notify_fixtures import Reply, http_receiver  # noqa: F401
from tests.test_entry_policy import LISI, open_kiosk

NO_EMAIL = Host("h-ww", "王五", "行政部")


def told(kiosk, result) -> Telling:
    return telling(kiosk, result.visit.visit_id)


def test_a_host_without_a_channel_on_a_stand_alone_kiosk_is_told_by_nobody(tmp_path):
    kiosk = open_kiosk(tmp_path)
    assert told(kiosk, kiosk.check_in(name="王小明", host=LISI)) == NOBODY  # an address, but no smtp
    assert not NOBODY.can_message


def test_an_email_or_a_site_channel_tells_the_host(tmp_path, http_receiver):
    kiosk = open_kiosk(tmp_path, smtp="smtp://127.0.0.1:2525?from=kiosk@example.com")
    assert told(kiosk, kiosk.check_in(name="王小明", host=LISI)).host_told
    assert not told(kiosk, kiosk.check_in(name="王小明", host=NO_EMAIL)).host_told  # email needs an address
    grouped = open_kiosk(tmp_path / "2", notify=f"slack+{http_receiver.url}/group")
    shown = told(grouped, grouped.check_in(name="王小明", host=NO_EMAIL))
    assert shown.host_told and shown.can_message and not shown.host_asked


def test_a_notice_that_failed_already_tells_nobody(tmp_path, http_receiver):
    http_receiver.default = Reply(404, b"no such hook")  # a refusal no retry can fix
    kiosk = open_kiosk(tmp_path, notify=f"slack+{http_receiver.url}/gone")
    result = kiosk.check_in(name="王小明", host=NO_EMAIL)
    assert told(kiosk, result).host_told
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    assert not told(kiosk, result).host_told


def test_a_message_is_sent_only_where_a_channel_carries_it(tmp_path, http_receiver):
    http_receiver.default = Reply(200, b"ok")
    kiosk = open_kiosk(tmp_path, notify=f"slack+{http_receiver.url}/group")
    visit = kiosk.check_in(name="王小明", host=NO_EMAIL).visit
    assert not telling(kiosk, visit.visit_id).message_sent
    kiosk.leave_message(visit.visit_id, "在咖啡厅")
    assert telling(kiosk, visit.visit_id).message_sent


def test_the_host_is_asked_only_with_a_link_and_reception_sees_only_a_synced_kiosk(tmp_path, http_receiver):
    host = replace(LISI, channels=(f"slack+{http_receiver.url}/lisi",))
    answers = {"work_area": "3F", "permit": "1", "tools": "no"}
    alone = open_kiosk(tmp_path / "alone")
    waiting = told(alone, alone.check_in(name="赵六", host=host, visitor_type="contractor", answers=answers))
    assert waiting.host_told and not waiting.host_asked and not waiting.reception_sees  # no link stand-alone
    synced = open_kiosk(tmp_path / "synced", server="https://visitors.example.com", token="t" * 32)
    waiting = told(synced, synced.check_in(name="赵六", host=host, visitor_type="contractor", answers=answers))
    assert waiting.host_asked and waiting.reception_sees
    unlisted = told(synced, synced.check_in(name="赵六", host=NO_EMAIL, visitor_type="contractor", answers=answers))
    assert not unlisted.host_asked and unlisted.reception_sees and unlisted.can_message
