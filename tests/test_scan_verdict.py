"""An exit post's verdict on a genuine badge (kiosk.core.scan_verdict): a visit's sign-out
outranks the badge's revocation, whatever order the two reached the post in."""

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.events import Event
from kiosk.core.scan_verdict import badge_verdict
from kiosk.core.visits import fold
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from tests.test_services import Clock, host

VISIT = "V" * 16
BADGES = ("AAAAAAAA", "BBBBBBBB")
DEVICES = ("k1", "exit1", "reception")


def _event(kind, ts, device, seq, **data):
    return Event(f"{device}-{seq}-{kind}", "hq", device, seq, ts, kind, VISIT, data)


@st.composite
def histories(draw, signed_out: bool):
    """A visit's events as some device may hold them: a sign-in, badges (one a reprint of the
    other), any number of lost reports and, if ``signed_out``, at least one sign-out, every one
    stamped by any device at any time (skewed clocks: a sign-out may carry an earlier time than
    the loss reported after it)."""
    ts = st.integers(0, 10_000)
    seq = iter(range(1, 1000))
    events = [_event(ev.SIGNED_IN, draw(ts), "k1", next(seq), visitor={"name": "张三"}, host={"name": "李四"})]
    for i, badge in enumerate(BADGES[:draw(st.integers(1, 2))]):
        issued = draw(ts)
        data = {"badge_id": badge, "issued_at": issued, "expires_at": issued + 3_600_000}
        if i:
            data["replaces"] = BADGES[0]
        events.append(_event(ev.BADGE_ISSUED, issued, "k1", next(seq), **data))
    for _ in range(draw(st.integers(0, 3))):
        events.append(_event(ev.BADGE_LOST, draw(ts), draw(st.sampled_from(DEVICES)), next(seq),
                             badge_id=draw(st.sampled_from(BADGES))))
    for _ in range(draw(st.integers(1, 2)) if signed_out else 0):
        events.append(_event(ev.SIGNED_OUT, draw(ts), draw(st.sampled_from(DEVICES)), next(seq),
                             by=draw(st.sampled_from(["scan", "manual", "auto"])), badge_id=BADGES[0]))
    return draw(st.permutations(events))


@settings(max_examples=300)
@given(histories(signed_out=True), st.sampled_from(BADGES))
def test_a_signed_out_visit_answers_already_signed_out_whatever_was_revoked(events, badge_id):
    visit = fold(events)
    reason, detail = badge_verdict(visit, badge_id)
    assert reason == tokens.ALREADY_SIGNED_OUT
    badge = visit.badge(badge_id)
    assert detail == (badge.revoked if badge else "")  # still said, for whoever reads the detail


@settings(max_examples=200)
@given(histories(signed_out=False), st.sampled_from(BADGES))
def test_on_site_a_revoked_badge_is_refused_and_a_live_one_lets_out(events, badge_id):
    visit = fold(events)
    badge = visit.badge(badge_id)
    reason, _ = badge_verdict(visit, badge_id)
    assert reason == (tokens.REVOKED if badge is not None and badge.revoked else tokens.OK)


def test_a_visit_not_seen_yet_lets_out():
    assert badge_verdict(None, BADGES[0]) == (tokens.OK, "")


def test_lost_badge_scanned_offline_then_again_says_already_signed_out(tmp_path):
    """Reception reports the badge lost while the exit post is offline; the visitor (who found
    it) scans out there; once the logs meet, the next scan says when they left."""
    clock = Clock(datetime(2026, 11, 23, 9, 30).astimezone())
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "k"), site="hq", device="k1"),
                       PreviewPrinter(tmp_path / "p1"), clock)
    exit_post = Kiosk.open(Settings(data_dir=str(tmp_path / "exit"), site="hq", device="exit1"),
                           PreviewPrinter(tmp_path / "p2"), clock)
    exit_post.trust(kiosk.keyring().get(kiosk.signer.key_id))
    signed_in = kiosk.check_in(name="张三", host=host("李四"))
    visit_id = signed_in.visit.visit_id
    exit_post.log.ingest(kiosk.log.events(visit_id))
    clock.ms += 60_000
    kiosk.mark_lost(signed_in.visit.current_badge.badge_id)  # not synced to the exit post yet
    clock.ms += 60_000
    left = exit_post.check_out(signed_in.badge)
    assert left.ok
    exit_post.log.ingest(kiosk.log.events(visit_id))  # the exit post syncs
    again = exit_post.check_out(signed_in.badge)
    assert again.reason == tokens.ALREADY_SIGNED_OUT and again.signed_out_at == left.signed_out_at
    assert again.detail == "lost"
    kiosk.log.ingest(exit_post.log.events(visit_id))  # and the kiosk answers the same
    assert kiosk.verdict(signed_in.badge).reason == tokens.ALREADY_SIGNED_OUT
    by_number = exit_post.check_out_by_number(tokens.badge_number(signed_in.visit.current_badge.badge_id))
    assert by_number.reason == tokens.ALREADY_SIGNED_OUT
