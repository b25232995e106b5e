"""kiosk.core.purge for all inputs: a purged history still passes the payload check and folds to
the same states, times, badges, host and rating; nothing the visitor typed survives; a scope
never narrows what was stripped before; the retention rule's boundaries."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core.events import Event
from kiosk.core.purge import ALL, DAY_MS, SENSITIVE, Retention, due_scope, stripped
from kiosk.core.visits import fold, payload_error
from tests.test_fold import VISIT, visit_histories

_person = st.fixed_dictionaries({
    "visitor": st.fixed_dictionaries({"name": st.just("欧阳娜娜"), "company": st.just("星辰量子"),
                                      "phone": st.just("13912345678"), "purpose": st.just("面试 欧阳娜娜"),
                                      "id_number": st.just("110101199003071234")}),
    "host": st.just({"host_id": "h1", "name": "李四", "department": "研发部"}),
    "answers": st.just({"permit": "欧阳娜娜的许可证"}),
    "agreement": st.just({"version": "3", "lang": "zh_CN", "strokes": [[[1, 2]]]}),
    "visitor_type": st.sampled_from(["guest", "contractor"]), "lang": st.just("zh_CN"),
    "email": st.just("nana@example.com")})
_texts = [(ev.COMPLAINT, {"text": "欧阳娜娜 13912345678"}), (ev.MESSAGE_LEFT, {"text": "星辰量子 waiting"}),
          (ev.SIGNED_OUT, {"by": "manual", "note": "欧阳娜娜 left"}), (ev.APPROVED, {"by": "desk", "note": "星辰量子 ok"}),
          (ev.BLOCKED, {"reasons": ["watchlist: 欧阳娜娜"], "watchlist": [{"name": "欧阳娜娜"}]})]
SECRETS = ("欧阳娜娜", "星辰量子", "13912345678", "110101199003071234", "nana@example.com", "许可证")


@st.composite
def histories_with_a_person(draw):
    history = draw(visit_histories())
    person = draw(_person)
    history = [replace(e, data={**e.data, **person}) if e.kind == ev.SIGNED_IN else e for e in history]
    extra = draw(st.lists(st.sampled_from(_texts), max_size=4))
    history += [Event(f"x{i:03d}", "hq", "reception", 100 + i, 3000, kind, VISIT, data)
                for i, (kind, data) in enumerate(extra)]
    return history


def purged(history, scope):
    return [replace(e, data=stripped(e.kind, e.data, scope)) for e in history]


@settings(max_examples=300)
@given(histories_with_a_person(), st.sampled_from([ALL, SENSITIVE]))
def test_a_purged_history_folds_to_the_same_statistics(history, scope):
    after = purged(history, scope)
    assert all(payload_error(e.kind, e.data) == "" for e in after if payload_error(e.kind, dict(
        next(h for h in history if h.event_id == e.event_id).data)) == "")
    before, now = fold(history), fold(after)
    for field in ("state", "site", "host", "lang", "visitor_type", "signed_in_at", "signed_out_at", "host_met_at",
                  "badges", "rating", "signed_in_device", "signed_out_device", "blocked_at"):
        assert getattr(now, field) == getattr(before, field), field
    assert len(now.complaints) == len(before.complaints) and len(now.messages) == len(before.messages)
    if scope == ALL:
        assert not any(secret in repr(e.data) for e in after for secret in SECRETS)
    else:
        assert not any(secret in repr(e.data) for e in after for secret in ("110101199003071234", "许可证", "strokes"))


@given(histories_with_a_person())
def test_a_narrower_purge_never_brings_back_what_a_wider_one_took(history):
    twice = purged(purged(history, ALL), SENSITIVE)
    assert twice == purged(history, ALL)
    assert purged(purged(history, SENSITIVE), ALL) == purged(history, ALL)


def test_the_retention_rule_at_its_boundaries():
    policy, now = Retention(180, 30), 1000 * DAY_MS
    assert due_scope(now - 30 * DAY_MS, "", policy, now) == ""  # exactly 30 days: not yet
    assert due_scope(now - 30 * DAY_MS - 1, "", policy, now) == SENSITIVE
    assert due_scope(now - 180 * DAY_MS - 1, SENSITIVE, policy, now) == ALL
    assert due_scope(now - 180 * DAY_MS - 1, ALL, policy, now) == ""
    assert due_scope(now - 31 * DAY_MS, SENSITIVE, policy, now) == ""
    with pytest.raises(ValueError):
        Retention(30, 31)
