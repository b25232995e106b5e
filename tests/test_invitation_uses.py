"""The uses of an invitation: the invitation's visit collects them from ``invitation_used``
events (and from a sign-in under its own id, as kiosks recorded one before that event), the
same for any order and duplication of its events; every visit of an invitation used more than
once names the others, in a real SQLite log too, whatever order and batches sync brings the
events in."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core.events import Event
from kiosk.core.reuse import MAX_LISTED, shared
from kiosk.core.visits import EXPECTED, USED, fold
from kiosk.store.db import Database
from kiosk.store.log import EventLog

INVITE = "I" * 16
USES = ["A" * 16, "B" * 16, "C" * 16]
PERSON = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}, "lang": "zh_CN"}
DEVICES = ["lobby-a", "lobby-b", "desk"]


@st.composite
def invitation_histories(draw):
    """The events under an invitation's visit from three devices with coarse clocks: the server's
    expected event, uses (several naming the same visit), old-style sign-ins and blocks under the
    invitation's own id, and events the uses do not depend on."""
    choices = [
        lambda: (ev.EXPECTED, PERSON | {"invite_id": INVITE}),
        lambda: (ev.INVITATION_USED, {"visit_id": draw(st.sampled_from(USES))}),
        lambda: (ev.SIGNED_IN, PERSON | {"invite_id": INVITE}),
        lambda: (ev.BLOCKED, PERSON | {"invite_id": INVITE, "reasons": ["watchlist_block"]}),
        lambda: (ev.SIGNED_IN, PERSON),  # no invitation named: not a use
        lambda: (ev.HOST_NOTIFIED, {"channel": "email smtp.example.com"}),
        lambda: (ev.SIGNED_OUT, {"by": "manual"}),
    ]
    seqs: dict[str, int] = {}
    history = []
    for i in range(draw(st.integers(1, 20))):
        kind, data = draw(st.sampled_from(choices))()
        device = draw(st.sampled_from(DEVICES))
        seqs[device] = seqs.get(device, 0) + 1
        history.append(Event(f"u{i:03d}", "hq", device, seqs[device], draw(st.integers(0, 4)) * 1000, kind, INVITE,
                             data))
    return history


def uses_by_hand(history: list[Event]) -> tuple[str, ...]:
    """Each visit that used the invitation, once, in the order of the first event that says so."""
    uses: list[str] = []
    for e in sorted(history, key=Event.order_key):
        if e.kind == ev.INVITATION_USED:
            used = e.data["visit_id"]
        elif e.kind in (ev.SIGNED_IN, ev.BLOCKED) and e.data.get("invite_id") == INVITE:
            used = INVITE
        else:
            continue
        if used not in uses:
            uses.append(used)
    return tuple(uses)


@settings(max_examples=400)
@given(invitation_histories(), st.randoms(), st.lists(st.integers(0, 100), max_size=10))
def test_the_uses_are_the_same_for_any_order_and_repeats(history, rnd, repeats):
    replay = history + [history[i % len(history)] for i in repeats]
    rnd.shuffle(replay)
    visit = fold(replay)
    assert visit == fold(history)
    assert visit.invitation_uses == uses_by_hand(history)
    if not any(e.kind in (ev.SIGNED_IN, ev.BLOCKED, ev.SIGNED_OUT) for e in history):  # nobody under its id
        assert visit.state == (USED if visit.invitation_uses else EXPECTED)


@given(invitation_histories())
def test_every_visit_of_an_invitation_used_twice_names_all_the_others(history):
    invitation = fold(history)
    marks = shared(invitation, {})
    if len(invitation.invitation_uses) < 2:
        assert marks == {}
        return
    uses = invitation.invitation_uses
    for visit_id in {INVITE, *uses}:
        use, others = marks[visit_id]
        assert use == (uses.index(visit_id) + 1 if visit_id in uses else 0)
        assert [(o["visit_id"], o["use"]) for o in others] == [
            (u, n) for n, u in enumerate(uses, 1) if u != visit_id][:MAX_LISTED]


def test_a_use_that_came_by_another_invitation_is_not_this_ones():
    """An ``invitation_used`` naming a visit that signed in with another invitation (or none) is
    a forged link: it marks nobody."""
    events = [Event("e1", "hq", "lobby-a", 1, 1000, ev.INVITATION_USED, INVITE, {"visit_id": USES[0]}),
              Event("e2", "hq", "lobby-b", 1, 2000, ev.INVITATION_USED, INVITE, {"visit_id": USES[1]})]
    honest = fold([Event("e3", "hq", "lobby-a", 2, 1000, ev.SIGNED_IN, USES[0], PERSON | {"invite_id": INVITE})])
    unrelated = fold([Event("e4", "hq", "lobby-b", 2, 2000, ev.SIGNED_IN, USES[1], PERSON)])
    assert shared(fold(events), {USES[0]: honest, USES[1]: unrelated}) == {}


# -- in a real log, as sync brings the events ------------------------------------------------------

def use_events(visit_id: str, device: str, ts: int, seq: int) -> list[Event]:
    """One new-style use: the sign-in under its own visit and the use under the invitation's."""
    return [Event(f"{visit_id}-used", "hq", device, seq, ts, ev.INVITATION_USED, INVITE, {"visit_id": visit_id}),
            Event(f"{visit_id}-in", "hq", device, seq + 1, ts, ev.SIGNED_IN, visit_id, PERSON | {"invite_id": INVITE}),
            Event(f"{visit_id}-badge", "hq", device, seq + 2, ts, ev.BADGE_ISSUED, visit_id,
                  {"badge_id": visit_id[:8], "issued_at": ts, "expires_at": ts + 3_600_000})]


ALL = ([Event("expected", "hq", "server", 1, 0, ev.EXPECTED, INVITE, PERSON | {"invite_id": INVITE})]
       + use_events(USES[0], "lobby-a", 1000, 1) + use_events(USES[1], "lobby-b", 2000, 1)
       + use_events(USES[2], "lobby-b", 3000, 4)
       + [Event("printed", "hq", "lobby-a", 4, 1000, ev.BADGE_PRINTED, USES[0], {"badge_id": USES[0][:8]})])


def marks_after_ingesting(batches: list[list[Event]]) -> dict[str, tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "log.sqlite3")
        log = EventLog(db, "hq", "desk")
        for batch in batches:
            log.ingest(batch)
        found = {visit_id: log.visit(visit_id) for visit_id in [INVITE, *USES]}
        db.close()
    return {visit_id: (v.invitation_uses, v.invitation_shared_with, v.invitation_use) for visit_id, v in found.items()}


WHOLE = marks_after_ingesting([ALL])


@settings(max_examples=40, deadline=None)
@given(st.permutations(ALL), st.lists(st.integers(1, len(ALL)), min_size=1, max_size=5))
def test_the_log_marks_the_same_whatever_order_and_batches_sync_brings(events, cuts):
    bounds = sorted({0, *cuts, len(events)})
    assert marks_after_ingesting([events[a:b] for a, b in zip(bounds, bounds[1:])]) == WHOLE


def test_the_marks_of_the_whole_log():
    assert WHOLE[INVITE][0] == tuple(USES)
    first, second, third = (WHOLE[u] for u in USES)
    assert [o["visit_id"] for o in first[1]] == USES[1:] and first[2] == 1
    assert [o["visit_id"] for o in third[1]] == USES[:2] and third[2] == 3
    assert second[1][0] == {"visit_id": USES[0], "use": 1, "name": "张三", "signed_in_at": 1000,
                            "device": "lobby-a", "badge_id": USES[0][:8]}


def test_many_uses_name_the_first_few_and_a_new_use_changes_no_earlier_mark():
    """An invitation copied around (an attack, or a leak): every use is marked with its number,
    each names at most MAX_LISTED others, and the marks of the uses before a new one stay as
    they were, so a device rewrites one visit per new use."""
    many = [f"{n:016d}" for n in range(1, MAX_LISTED + 4)]
    used = [Event(f"m{n}", "hq", "lobby-a", n, n * 1000, ev.INVITATION_USED, INVITE, {"visit_id": v})
            for n, v in enumerate(many, start=1)]
    before, after = shared(fold(used[:-1]), {}), shared(fold(used), {})
    assert [after[v].use for v in many] == list(range(1, len(many) + 1))
    assert all(len(mark.others) == MAX_LISTED for mark in after.values())
    assert [o["visit_id"] for o in after[many[-1]].others] == many[:MAX_LISTED]
    assert all(after[v] == before[v] for v in many[:-1])
