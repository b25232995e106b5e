"""Visits that never finished (kiosk.core.unconfirmed): a badge issued, no print outcome."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core.events import Event
from kiosk.core.unconfirmed import GRACE_MS, badge_unconfirmed
from kiosk.core.visits import fold

VISIT = "V" * 16
T0 = 1_700_000_000_000


def _event(kind, ts, seq, **data):
    return Event(f"e{seq}", "hq", "k1", seq, ts, kind, VISIT, data)


def _started(extra=()):
    return [_event(ev.SIGNED_IN, T0, 1, visitor={"name": "张三"}, host={"name": "李四"}),
            _event(ev.BADGE_ISSUED, T0, 2, badge_id="AAAAAAAA", issued_at=T0, expires_at=T0 + 3_600_000),
            *extra]


OUTCOMES = {
    "printed": _event(ev.BADGE_PRINTED, T0 + 5, 3, badge_id="AAAAAAAA"),
    "failed": _event(ev.PRINT_FAILED, T0 + 5, 3, badge_id="AAAAAAAA", reason="paper out", code="paper_out"),
    "unknown": _event(ev.PRINT_FAILED, T0 + 5, 3, badge_id="AAAAAAAA", reason="unknown", code="unknown"),
    "signed_out": _event(ev.SIGNED_OUT, T0 + 5, 3, by="manual", note="left"),
}


def test_no_outcome_is_unconfirmed_only_after_the_grace():
    visit = fold(_started())
    assert not badge_unconfirmed(visit, T0 + GRACE_MS - 1)  # it may still be printing
    assert badge_unconfirmed(visit, T0 + GRACE_MS)


@settings(max_examples=100)
@given(st.sampled_from(sorted(OUTCOMES)), st.integers(0, 10 * GRACE_MS), st.permutations(range(3)))
def test_any_outcome_or_a_sign_out_ends_it_in_any_order(outcome, later, order):
    events = _started([OUTCOMES[outcome]])
    visit = fold([events[i] for i in order])
    assert not badge_unconfirmed(visit, T0 + later)


def test_a_reprint_with_no_outcome_is_unconfirmed_again_from_its_own_issue():
    reprint_at = T0 + 10 * GRACE_MS
    visit = fold(_started([OUTCOMES["failed"],
                           _event(ev.BADGE_ISSUED, reprint_at, 4, badge_id="BBBBBBBB", issued_at=reprint_at,
                                  expires_at=reprint_at + 3_600_000, replaces="AAAAAAAA")]))
    assert not badge_unconfirmed(visit, reprint_at + 1)
    assert badge_unconfirmed(visit, reprint_at + GRACE_MS)
