"""The payload schema (kiosk.core.payloads) and the role table (kiosk.core.roles): the check
never fails to answer, refuses what no reader can read, and accepts everything the real kiosk
code records, each kind from a role whose row allows it."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core import roles
from kiosk.core.hosts import Host
from kiosk.core.payloads import MAX_DEPTH
from kiosk.core.visits import payload_error
from kiosk.errors import ValidationError, VisitorBlocked
from kiosk.notifier import Notifier
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from tests.notify_fixtures import ALLOW_LOCAL_HTTP, Reply, http_receiver  # noqa: F401
from tests.test_entry_policy import WATCHLIST, Clock

LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com", "13800000001")
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=30)
CONTRACTOR = {"permit": "P-1", "work_area": "3F 机房", "tools": "yes"}
ANY_KIND = st.sampled_from(sorted(ev.KINDS)) | st.text(max_size=12)


def nested(depth: int) -> dict:
    value: dict = {"x": 1}
    for _ in range(depth - 2):
        value = {"x": value}
    return value  # ``depth`` levels counting the payload itself


@settings(max_examples=500)
@given(ANY_KIND, JSON)
def test_the_check_answers_for_any_json_value(kind, data):
    assert isinstance(payload_error(kind, data), str)


@given(ANY_KIND, st.integers(MAX_DEPTH + 1, 3000))
def test_anything_deeper_than_the_limit_is_refused_whatever_its_kind(kind, depth):
    assert "nested deeper" in payload_error(kind, {"visitor": {"name": "张三"}, "deep": nested(depth)})


def test_the_limit_itself_passes():
    assert payload_error(ev.SIGNED_OUT, {"by": "scan", "deep": nested(MAX_DEPTH - 1)}) == ""
    assert payload_error(ev.SIGNED_OUT, {"by": "scan", "deep": [nested(MAX_DEPTH - 1)]}) != ""


@pytest.mark.parametrize("data, field", [
    ({"visitor": {"name": ["张", "三"]}}, "visitor.name"),
    ({"visitor": {"name": 12345}}, "visitor.name"),
    ({"visitor": {"name": "张三" * 40}}, "visitor.name"),
    ({"visitor": {"name": "\u202e三张"}}, "visitor.name"),
    ({"visitor": {"company": {"a": 1}}}, "visitor.company"),
    ({"visitor": "张三"}, "visitor"),
    ({"host": {"name": None}}, "host.name"),
    ({"lang": ["zh_CN"]}, "lang"),
    ({"answers": {"permit": 1}}, "answers.permit"),
    ({"needs_approval": "yes"}, "needs_approval"),
])
def test_a_sign_in_no_reader_can_read_is_named(data, field):
    assert payload_error(ev.SIGNED_IN, {"visitor": {"name": "张三"}, **data}).startswith(field)


def test_the_other_kinds_are_checked_too():
    assert payload_error(ev.BLOCKED, {"watchlist": [{"note": ["x"]}]}).startswith("watchlist")
    assert payload_error(ev.BLOCKED, {"reasons": "watchlist"}).startswith("reasons")
    assert payload_error(ev.SIGNED_OUT, {"by": ["scan"]}).startswith("by")
    assert payload_error(ev.RATED, {"rating": True}).startswith("rating")
    assert payload_error(ev.BADGE_ISSUED, {"badge_id": "x'; drop", "issued_at": 1, "expires_at": 2}).startswith("badge_id")
    assert payload_error(ev.BADGE_ISSUED, {"badge_id": "AAAAAAAA", "issued_at": -1, "expires_at": 2}).startswith("issued_at")
    assert payload_error(ev.INVITATION_USED, {"visit_id": "../x"}).startswith("visit_id")
    assert payload_error(ev.TOMBSTONED, {"event_id": "0" * 32}) == "tombstoned needs reason"
    assert payload_error(ev.COMPLAINT, {"text": "x" * 501}).startswith("text")
    assert payload_error(ev.SIGNED_IN, "not an object") == "data must be an object"


def test_the_role_table_lets_no_device_write_the_servers_kinds():
    for role, kinds in roles.WRITES.items():
        assert not kinds & roles.SERVER_ONLY, role
        assert kinds <= ev.KINDS, role
    assert roles.WRITES["exit"] == {ev.SIGNED_OUT, ev.RATED}
    assert not {ev.APPROVED, ev.DENIED} & roles.WRITES["visitor"]
    assert roles.may_write("reception", ev.APPROVED) and not roles.may_write("boss", ev.RATED)


# -- what the real code records passes ---------------------------------------------------------

def _kiosk(tmp_path, role: str, **settings_) -> Kiosk:
    configured = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", role=role, **settings_)
    kiosk = Kiosk.open(configured, PreviewPrinter(tmp_path / "previews"), Clock(datetime(2026, 12, 1, 10, 0)))
    kiosk.entry.replace_watchlist(WATCHLIST)
    return kiosk


def _all_pass(kiosk: Kiosk, role: str) -> list[str]:
    recorded = kiosk.log.own_events_after(0, 10_000)
    for _, event in recorded:
        assert payload_error(event.kind, event.data) == "", (event.kind, event.data)
        assert roles.may_write(role, event.kind), (role, event.kind)
    return sorted({event.kind for _, event in recorded})


def test_a_visitor_kiosks_and_a_desks_whole_day_passes(tmp_path, http_receiver):
    http_receiver.script(Reply(200), Reply(404))  # the first notice goes, the next is refused for good
    kiosk = _kiosk(tmp_path / "kiosk", "visitor", webhook=f"webhook+{http_receiver.url}/hook",
                   allow_plain_http=ALLOW_LOCAL_HTTP)
    signature = {"version": "2024-05", "lang": "zh_CN", "signature": ["AAEC", "AwQF"]}
    first = kiosk.check_in(name="张三", host=LISI, company="华为技术有限公司", phone="+86 138 0000 0001",
                           purpose="面试", agreement=signature, visitor_type="contractor", answers=CONTRACTOR)
    second = kiosk.check_in(name="Alice O'Brien", host=LISI, company="AT&T (China)")
    with pytest.raises(VisitorBlocked):
        kiosk.check_in(name="张伟", host=LISI)  # on the watchlist: blocked, recorded
    waiting = kiosk.check_in(name="王芳", company="竞品科技", host=LISI)  # needs approval
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    kiosk.leave_message(second.visit.visit_id, "我在大厅等")
    kiosk.reprint(second.visit.visit_id)
    kiosk.mark_lost(kiosk.log.visit(second.visit.visit_id).current_badge.badge_id)
    third = kiosk.check_in(name="李雷", host=LISI)
    assert first.visit.state == "awaiting_approval" and kiosk.check_out(third.badge).ok
    kiosk.rate(third.visit.visit_id, 5)
    kiosk.sign_out_by_hand(second.visit.visit_id, "badge lost")
    kinds = _all_pass(kiosk, "visitor")
    assert {ev.SIGNED_IN, ev.BLOCKED, ev.APPROVAL_REQUESTED, ev.BADGE_ISSUED, ev.BADGE_PRINTED, ev.BADGE_LOST,
            ev.MESSAGE_LEFT, ev.SIGNED_OUT, ev.HOST_NOTIFIED} <= set(kinds), kinds

    desk = _kiosk(tmp_path / "desk", "reception")
    visit = desk.check_in(name="王芳", company="竞品科技", host=LISI).visit  # the desk signs in too
    desk.decide(visit.visit_id, approve=True, by="reception", note="见过本人")
    desk.issue_badge(visit.visit_id)
    desk.host_met(visit.visit_id)
    desk.complain(visit.visit_id, "等太久")
    other = desk.check_in(name="钱七", host=LISI, visitor_type="contractor", answers=CONTRACTOR).visit
    desk.decide(other.visit_id, approve=False, by="reception")
    desk.auto_sign_out(desk.clock() + 1)
    assert {ev.APPROVED, ev.DENIED, ev.HOST_MET, ev.COMPLAINT} <= set(_all_pass(desk, "reception"))
    assert waiting.visit.state == "awaiting_approval"


_NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(name=_NAMES, company=st.text(max_size=120), purpose=st.text(max_size=220),
       phone=st.sampled_from(["", "13800000001", "+86 (10) 6552-9988"]))
def test_any_sign_in_the_kiosk_accepts_passes(tmp_path_factory, name, company, purpose, phone):
    kiosk = _kiosk(tmp_path_factory.mktemp("k"), "visitor")
    try:
        kiosk.check_in(name=name, host=LISI, company=company, purpose=purpose, phone=phone)
    except ValidationError:
        return  # the kiosk refused it: nothing recorded
    except VisitorBlocked:  # by the watchlist: recorded all the same
        pass
    _all_pass(kiosk, "visitor")
