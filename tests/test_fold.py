"""The visit fold: same answer for any order and duplication; the rules of a visit's life."""

import dataclasses
import random

from hypothesis import given, HealthCheck, settings
from hypothesis import strategies as st

from kiosk.core import events as ev
from kiosk.core import hlc
from kiosk.core.events import Event
from kiosk.core.visits import (AWAITING_APPROVAL, DENIED, EXPECTED, SIGNED_OUT, WAITING, WITH_HOST, fold, live,
                                payload_error)

VISIT = "V" * 16


def make(kind, ts, device="k1", seq=None, **data):
    make.counter += 1
    return Event(f"e{make.counter:04d}", "hq", device, seq or make.counter, ts, kind, VISIT, data)


make.counter = 0

SIGNED_IN_DATA = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}, "lang": "zh_CN"}


def issued(ts, badge, replaces=None, device="k1"):
    data = {"badge_id": badge, "issued_at": ts, "expires_at": ts + 3_600_000}
    if replaces:
        data["replaces"] = replaces
    return make(ev.BADGE_ISSUED, ts, device, **data)


def life():
    """A busy visit touched by three devices: sign in, print fails, reprint, lost, met, two sign-outs."""
    return [
        make(ev.SIGNED_IN, 1000, **SIGNED_IN_DATA),
        issued(1000, "AAAAAAAA"),
        make(ev.PRINT_FAILED, 1100, badge_id="AAAAAAAA", reason="paper out"),
        issued(2000, "BBBBBBBB", replaces="AAAAAAAA"),
        make(ev.BADGE_PRINTED, 2100, badge_id="BBBBBBBB"),
        make(ev.HOST_MET, 3000, device="reception"),
        make(ev.BADGE_LOST, 3500, device="reception", badge_id="BBBBBBBB"),
        issued(3600, "CCCCCCCC", device="reception"),
        make(ev.SIGNED_OUT, 5000, device="exit1", by="scan", badge_id="CCCCCCCC"),
        make(ev.SIGNED_OUT, 5000, device="exit2", by="scan", badge_id="CCCCCCCC"),
        make(ev.SIGNED_OUT, 9000, device="k1", by="auto"),
        make(ev.RATED, 9500, rating=4),
    ]


LIFE = life()


@settings(max_examples=300)
@given(st.lists(st.sampled_from(range(len(LIFE))), min_size=1, max_size=40), st.randoms())
def test_fold_ignores_order_and_duplicates(picks, rnd):
    chosen = [LIFE[i] for i in picks]
    shuffled = chosen * 2
    rnd.shuffle(shuffled)
    assert fold(shuffled) == fold(sorted(chosen, key=lambda e: e.event_id))


def test_whole_life_of_a_visit():
    visit = fold(LIFE)
    assert visit.state == SIGNED_OUT
    # the first sign-out wins; the tie at ts 5000 is broken the same way everywhere (device name)
    assert (visit.signed_out_at, visit.signed_out_device, visit.signed_out_by) == (5000, "exit1", "scan")
    assert visit.host_met_at == 3000
    revoked = {b.badge_id: b.revoked for b in visit.badges}
    assert revoked == {"AAAAAAAA": "reprinted", "BBBBBBBB": "lost", "CCCCCCCC": ""}
    assert visit.current_badge.badge_id == "CCCCCCCC"
    assert visit.badge("AAAAAAAA").print_error == "paper out" and not visit.badge("AAAAAAAA").printed
    assert visit.badge("BBBBBBBB").printed
    assert visit.rating == 4
    assert visit.visitor["name"] == "张三"


def test_states_through_a_day():
    signed_in = make(ev.SIGNED_IN, 1000, **SIGNED_IN_DATA)
    assert fold([signed_in]).state == WAITING
    assert fold([signed_in, make(ev.HOST_MET, 2000)]).state == WITH_HOST
    assert fold([make(ev.EXPECTED, 500, **SIGNED_IN_DATA)]).state == EXPECTED
    needs = make(ev.SIGNED_IN, 1000, needs_approval=True, **SIGNED_IN_DATA)
    assert fold([needs]).state == AWAITING_APPROVAL
    assert fold([needs, make(ev.APPROVED, 1500)]).state == WAITING
    assert fold([needs, make(ev.DENIED, 1500)]).state == DENIED
    # the latest decision stands
    assert fold([needs, make(ev.DENIED, 1500), make(ev.APPROVED, 1600)]).state == WAITING


def test_lost_outranks_reprinted_in_any_order():
    events = [issued(1000, "AAAAAAAA"), issued(2000, "BBBBBBBB", replaces="AAAAAAAA"),
              make(ev.BADGE_LOST, 1500, badge_id="AAAAAAAA")]
    for _ in range(10):
        random.shuffle(events)
        assert fold(events).badge("AAAAAAAA").revoked == "lost"


def test_sign_out_seen_before_sign_in_is_an_unknown_visit_then_completes():
    out = make(ev.SIGNED_OUT, 5000, device="exit1", by="scan")
    alone = fold([out])
    assert alone.state == SIGNED_OUT and not alone.known
    whole = fold([out, make(ev.SIGNED_IN, 1000, **SIGNED_IN_DATA)])
    assert whole.known and whole.state == SIGNED_OUT and whole.signed_in_at == 1000


def test_unknown_kinds_are_carried_not_folded():
    signed_in = make(ev.SIGNED_IN, 1000, **SIGNED_IN_DATA)
    assert fold([signed_in, make("from_the_future", 2000, x=1)]) == fold([signed_in])


@st.composite
def visit_histories(draw):
    """Random histories of one visit from three devices with coarse clocks (many equal
    timestamps), conflicting decisions, reprints, losses and several sign-outs."""
    badges = ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC"]
    choices = [
        lambda: (ev.SIGNED_IN, SIGNED_IN_DATA | {"needs_approval": draw(st.booleans())}),
        lambda: (ev.APPROVED, {}), lambda: (ev.DENIED, {}), lambda: (ev.HOST_MET, {}),
        lambda: (ev.BADGE_ISSUED, {"badge_id": draw(st.sampled_from(badges)), "issued_at": 1, "expires_at": 2,
                                   "replaces": draw(st.sampled_from(badges + [None]))}),
        lambda: (ev.BADGE_LOST, {"badge_id": draw(st.sampled_from(badges))}),
        lambda: (ev.BADGE_PRINTED, {"badge_id": draw(st.sampled_from(badges))}),
        lambda: (ev.PRINT_FAILED, {"badge_id": draw(st.sampled_from(badges)), "reason": "jam"}),
        lambda: (ev.SIGNED_OUT, {"by": draw(st.sampled_from(["scan", "manual", "auto"]))}),
        lambda: (ev.RATED, {"rating": draw(st.integers(1, 5))}),
    ]
    seqs: dict[str, int] = {}
    history = []
    for i in range(draw(st.integers(1, 25))):
        kind, data = draw(st.sampled_from(choices))()
        device = draw(st.sampled_from(["k1", "reception", "exit1"]))
        seqs[device] = seqs.get(device, 0) + 1
        history.append(Event(f"g{i:03d}", "hq", device, seqs[device], draw(st.integers(0, 4)) * 1000, kind, VISIT,
                             {k: v for k, v in data.items() if v is not None}))
    return history


@settings(max_examples=400)
@given(visit_histories(), st.randoms(), st.lists(st.integers(0, 100), max_size=10))
def test_any_history_folds_the_same_in_any_order_with_any_repeats(history, rnd, repeats):
    replay = history + [history[i % len(history)] for i in repeats]
    rnd.shuffle(replay)
    assert fold(replay) == fold(history)
    visit = fold(history)
    sign_outs = [e for e in history if e.kind == ev.SIGNED_OUT]
    _first_sign_out_kept_and_others_flagged(visit, history)
    lost = {e.data["badge_id"] for e in history if e.kind == ev.BADGE_LOST}
    assert all(visit.badge(b).revoked == "lost" for b in lost)


def _first_sign_out_kept_and_others_flagged(visit, history):
    sign_outs = sorted((e for e in history if e.kind == ev.SIGNED_OUT), key=Event.order_key)
    if not sign_outs:
        assert visit.signed_out_at is None and not visit.signed_out_twice
        return
    first = sign_outs[0]  # the first sign-out wins, by the order every device computes
    shown = first.ts if visit.signed_in_at is None else max(first.ts, visit.signed_in_at)
    assert (visit.state, visit.signed_out_at, visit.signed_out_device) == (SIGNED_OUT, shown, first.device)
    assert {o["device"] for o in visit.other_sign_outs} == {e.device for e in sign_outs} - {first.device}
    assert visit.signed_out_twice == any(e.device != first.device for e in sign_outs)


@st.composite
def skewed_histories(draw):
    """visit_histories' events written as devices do now: three devices whose clocks are off by
    up to ±10 minutes (and step), each stamping its events with a hybrid logical clock, having
    heard (synced) some of the events written before, or none; some older events carry no stamp."""
    history = draw(visit_histories())
    skews = {d: draw(st.integers(-600_000, 600_000)) for d in ("k1", "reception", "exit1")}
    true_ms, states, written = 1_700_000_000_000, dict.fromkeys(skews, 0), []
    for event in history:
        true_ms += draw(st.integers(0, 3000))
        skews[event.device] += draw(st.sampled_from([0, 0, 0, -600_000, 600_000]))  # a clock steps now and then
        heard = written[:draw(st.integers(0, len(written)))] if written else []
        after = max((e.order for e in heard if e.visit_id == event.visit_id), default=0)
        stamp = hlc.next_stamp(states[event.device], true_ms + skews[event.device], after)
        states[event.device] = stamp
        unstamped = draw(st.integers(0, 9)) == 0  # older software: the wall clock alone
        written.append(dataclasses.replace(event, ts=max(0, true_ms + skews[event.device]),
                                           hlc=0 if unstamped else stamp))
    return written


@settings(max_examples=400)
@given(skewed_histories(), st.randoms(), st.lists(st.integers(0, 100), max_size=10))
def test_skewed_clocks_fold_the_same_in_any_order_and_never_sign_out_before_sign_in(history, rnd, repeats):
    replay = history + [history[i % len(history)] for i in repeats]
    rnd.shuffle(replay)
    visit = fold(history)
    assert fold(replay) == visit
    _first_sign_out_kept_and_others_flagged(visit, history)
    if visit.signed_in_at is not None and visit.signed_out_at is not None:
        assert visit.signed_out_at >= visit.signed_in_at
    assert all(o["at"] >= (visit.signed_in_at or 0) for o in visit.other_sign_outs)


@given(st.integers(-600_000, 600_000), st.integers(1000, 2000))
def test_a_sign_out_by_hand_then_a_scan_by_a_skewed_exit_post_keeps_the_first(skew, later):
    """The fault test's case in the core: both devices heard the sign-in; the exit post's clock is
    off, but the server's time bounds it (kiosk.core.hlc.bounded_now)."""
    server = hlc.ServerTime(1_700_000_000_000, heard_at=0.0)
    signed_in = Event("a" * 32, "hq", "k2", 1, 1_700_000_000_000, ev.SIGNED_IN, VISIT, SIGNED_IN_DATA,
                      hlc=hlc.stamp(1_700_000_000_000))
    by_hand = hlc.next_stamp(signed_in.order, hlc.bounded_now(1_700_000_060_000, server, 60.0))
    scan_at = hlc.bounded_now(1_700_000_060_000 + later + skew, server, 60.0 + later / 1000)
    scanned = hlc.next_stamp(signed_in.order, scan_at)
    events = [signed_in, Event("b" * 32, "hq", "k1", 1, 1_700_000_060_000, ev.SIGNED_OUT, VISIT, {"by": "manual"},
                               hlc=by_hand),
              Event("c" * 32, "hq", "exit1", 1, scan_at, ev.SIGNED_OUT, VISIT, {"by": "scan"}, hlc=scanned)]
    visit = fold(events)
    assert (visit.signed_out_device, visit.signed_out_by) == ("k1", "manual")
    assert visit.signed_out_twice and visit.other_sign_outs[0]["device"] == "exit1"
    assert visit.signed_in_at <= visit.signed_out_at


# Anything JSON can hold, and values of the types the fold reads, under every key it reads.
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=5)
_value = st.one_of(_json, st.sampled_from(["AAAAAAAA", "BBBBBBBB"]), st.integers(0, 2**40), st.integers(1, 5),
                   st.dictionaries(st.sampled_from(["name", "company"]), _json, max_size=2))
_payload = st.dictionaries(st.sampled_from(["visitor", "host", "badge_id", "issued_at", "expires_at", "key_id",
                                            "replaces", "rating", "text", "by", "reason", "lang",
                                            "needs_approval"]), _value, max_size=6)


# Generating hostile payloads is slow on a loaded machine; the property does not depend on speed.
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(ev.KINDS)), _payload, st.integers(0, 10_000)), min_size=1,
                max_size=8))
def test_events_whose_payloads_pass_the_check_always_fold(specs):
    """What a server stores, it has checked with payload_error: the fold must then never fail on
    any mix of such events, or one visit would break on every device that pulls it."""
    events = [make(kind, ts, **data) for kind, data, ts in specs if not payload_error(kind, data)]
    if events:
        fold(events)


def test_payload_error_names_the_field():
    assert payload_error(ev.BADGE_ISSUED, {"issued_at": 1, "expires_at": 2}) == "badge_issued needs badge_id"
    assert "rating" in payload_error(ev.RATED, {"rating": "3"})
    assert "visitor" in payload_error(ev.SIGNED_IN, {"visitor": [["name", "x"]]})
    assert payload_error(ev.SIGNED_IN, {}) == payload_error("from_newer_software", {"x": [1]}) == ""


# -- hostile payloads and tombstones -----------------------------------------------------------

_hostile_scalar = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                   | st.text(st.characters(exclude_categories=()), max_size=8))  # NUL, surrogates, RTL marks
_hostile = st.recursive(_hostile_scalar, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=40)


def _deep(depth):
    value = "x"
    for _ in range(depth):
        value = [value]
    return value


_hostile_value = st.one_of(_hostile, _value, st.integers(1, 40).map(_deep),
                           st.dictionaries(st.sampled_from(["name", "company", "host_id", "department", "phone"]),
                                           _hostile, max_size=3),
                           st.lists(st.dictionaries(st.sampled_from(["note", "name", "why"]), _hostile, max_size=2),
                                    max_size=3))
_hostile_payload = st.dictionaries(st.sampled_from(["visitor", "host", "badge_id", "issued_at", "expires_at", "key_id",
                                                    "replaces", "rating", "text", "by", "reason", "lang", "answers",
                                                    "needs_approval", "reasons", "watchlist", "channel", "error",
                                                    "event_id", "visit_id", "visitor_type"]), _hostile_value,
                                   max_size=7)


@settings(max_examples=500)
@given(st.lists(st.tuples(st.sampled_from(sorted(ev.KINDS)), _hostile_payload, st.integers(0, 10_000),
                          st.sampled_from(["k1", "server"])), min_size=1, max_size=8))
def test_hostile_payloads_that_pass_the_check_fold_and_store(specs):
    """Anything a device can send: what passes payload_error folds, and the visit it folds to is
    text where the readers expect text (the server's columns, the device's SQL parameters)."""
    events = [make(kind, ts, device, **data) for kind, data, ts, device in specs if not payload_error(kind, data)]
    if not events:
        return
    visit = fold(events)
    for payload in (visit.visitor, visit.host):
        assert all(isinstance(value, str) for value in payload.values())
    assert isinstance(visit.lang, str) and isinstance(visit.visitor_type, str) and isinstance(visit.signed_out_by, str)
    assert all(isinstance(text, str) for text in visit.complaints + visit.notified + visit.messages + visit.reasons)


@settings(max_examples=300)
@given(visit_histories(), st.data(), st.randoms())
def test_a_tombstoned_event_folds_as_if_it_had_never_been_written(history, data, rnd):
    withdrawn = data.draw(st.sets(st.sampled_from([e.event_id for e in history])))
    tombstones = [Event(f"t{i:03d}", "hq", ev.SERVER_DEVICE, i + 1, data.draw(st.integers(0, 9)) * 1000,
                        ev.TOMBSTONED, VISIT, {"event_id": target, "reason": "bad"})
                  for i, target in enumerate(sorted(withdrawn))]
    kept = [e for e in history if e.event_id not in withdrawn]
    mixed = history + tombstones
    rnd.shuffle(mixed)
    if kept:
        assert fold(mixed) == fold(kept)
    assert live(mixed) == [e for e in mixed if e.event_id not in withdrawn and e.kind != ev.TOMBSTONED]


def test_only_the_servers_tombstones_count():
    signed_in = make(ev.SIGNED_IN, 1000, **SIGNED_IN_DATA)
    forged = Event("t001", "hq", "k1", 1, 2000, ev.TOMBSTONED, VISIT, {"event_id": signed_in.event_id, "reason": "x"})
    assert fold([signed_in, forged]).known
    real = Event("t002", "hq", ev.SERVER_DEVICE, 1, 2000, ev.TOMBSTONED, VISIT,
                 {"event_id": signed_in.event_id, "reason": "x"})
    assert not fold([signed_in, real]).known
