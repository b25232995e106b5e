"""The incremental fold (kiosk.core.visits.OpenFold) and the log that keeps it between pages
(kiosk.store.log): for any events, any arrival order, any duplication and any split into pages,
the visit is exactly fold(all events so far) after every page."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core import hlc
from kiosk.core.events import Event
from kiosk.core.visits import OpenFold, fold
from kiosk.store.db import Database
from kiosk.store.log import EventLog

VISIT = "V" * 16
BADGES = ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC")
PERSON = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}, "lang": "zh_CN"}


def _payloads() -> st.SearchStrategy[tuple[str, dict]]:
    badge = st.sampled_from(BADGES)
    issued = st.builds(lambda b, at, r: {"badge_id": b, "issued_at": at, "expires_at": at + 10,
                                         **({"replaces": r} if r else {})},
                       badge, st.integers(0, 30), st.none() | badge)
    return st.one_of(
        st.tuples(st.sampled_from([ev.SIGNED_IN, ev.EXPECTED]),
                  st.builds(lambda name, approval: {**PERSON, "visitor": {"name": name}, "needs_approval": approval},
                            st.sampled_from(["张三", "王五", "Ann"]), st.booleans())),
        st.tuples(st.just(ev.BLOCKED), st.just({**PERSON, "reasons": ["watchlist"]})),
        st.tuples(st.just(ev.APPROVAL_REQUESTED), st.just({"reasons": ["contractor"]})),
        st.tuples(st.sampled_from([ev.APPROVED, ev.DENIED, ev.HOST_MET]), st.just({})),
        st.tuples(st.just(ev.BADGE_ISSUED), issued),
        st.tuples(st.sampled_from([ev.BADGE_PRINTED, ev.BADGE_LOST]), st.builds(lambda b: {"badge_id": b}, badge)),
        st.tuples(st.just(ev.PRINT_FAILED), st.builds(lambda b: {"badge_id": b, "reason": "paper out"}, badge)),
        st.tuples(st.just(ev.SIGNED_OUT), st.builds(lambda by: {"by": by}, st.sampled_from(["scan", "manual"]))),
        st.tuples(st.just(ev.RATED), st.builds(lambda r: {"rating": r}, st.integers(1, 5))),
        st.tuples(st.sampled_from([ev.MESSAGE_LEFT, ev.COMPLAINT]),
                  st.builds(lambda t: {"text": t}, st.text(max_size=3))),
    )


@st.composite
def visit_events(draw) -> list[Event]:
    """Events of one visit from three devices whose clocks disagree (small ts range: many ties),
    some with a clock stamp (kiosk.core.hlc) that orders them apart from their time, some without."""
    stamps = st.none() | st.builds(hlc.stamp, st.integers(0, 12), st.integers(0, 3))
    specs = draw(st.lists(st.tuples(st.sampled_from(["k1", "k2", "exit"]), st.integers(0, 12), _payloads(), stamps),
                          min_size=1, max_size=30))
    return [Event(f"{n:032x}", "hq", device, n + 1, ts, kind, VISIT, data, stamp or 0)
            for n, (device, ts, (kind, data), stamp) in enumerate(specs)]


@st.composite
def arrivals(draw) -> list[list[Event]]:
    """The events in any order, some twice, cut into pages anywhere (pages may be empty)."""
    events = draw(visit_events())
    again = draw(st.lists(st.sampled_from(events), max_size=5))
    order = draw(st.permutations(events + again))
    cuts = sorted(draw(st.lists(st.integers(0, len(order)), max_size=6)))
    bounds = [0, *cuts, len(order)]
    return [order[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=400)
@given(arrivals())
def test_open_fold_is_the_plain_fold_after_every_page(pages):
    seen: list[Event] = []
    state = None
    for page in pages:
        if not page:
            continue
        seen += page
        if state is None or not state.extend(page):
            state = OpenFold(seen)  # what the log does: fold again from everything
        assert state.visit() == fold(seen)


@given(visit_events(), st.integers(1, 10))
def test_pages_in_order_are_applied_without_folding_again(events, page_size):
    ordered = sorted(events, key=Event.order_key)
    state = OpenFold(ordered[:page_size])
    for start in range(page_size, len(ordered), page_size):
        assert state.extend(ordered[start:start + page_size])
    assert state.visit() == fold(events)


def test_an_event_sorting_before_the_last_applied_is_refused_and_changes_nothing():
    signed_in = Event("a" * 32, "hq", "k1", 1, 100, ev.SIGNED_IN, VISIT, PERSON)
    out = Event("b" * 32, "hq", "k1", 2, 300, ev.SIGNED_OUT, VISIT, {"by": "scan"})
    met = Event("c" * 32, "hq", "reception", 1, 200, ev.HOST_MET, VISIT, {})
    state = OpenFold([signed_in, out])
    before = state.visit()
    assert not state.extend([met])
    assert not state.extend([out])  # a repeat of an applied event
    assert state.visit() == before
    later_met = Event("d" * 32, "hq", "reception", 2, 400, ev.HOST_MET, VISIT, {})
    assert state.extend([later_met])
    assert state.visit() == fold([signed_in, out, later_met])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals(), st.lists(st.booleans(), max_size=8))
def test_the_log_keeps_visits_equal_to_the_plain_fold_page_by_page(pages, by_other_writer):
    """Pages ingested into a real SQLite log, some by a second writer on the same file (another
    process: the first log's kept fold must take in what it wrote)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.sqlite3"
        ours = EventLog(Database(path), "hq", "k9")
        other = EventLog(Database(path), "hq", "k8")
        seen: list[Event] = []
        for index, page in enumerate(pages):
            writer = other if index < len(by_other_writer) and by_other_writer[index] else ours
            writer.ingest(page)
            seen += page
            if seen:
                assert ours.visit(VISIT) == fold(seen)
                assert other.visit(VISIT) == fold(seen)
