"""The hybrid logical clock (kiosk.core.hlc): causal order whatever the clocks, bounded by the
server's time once heard."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import hlc
from kiosk.core.events import Event

MINUTE = 60_000
_ms = st.integers(0, 2**41)


@given(st.integers(0, 2**57), _ms, st.integers(0, 2**57))
def test_a_new_stamp_follows_all_it_saw_and_is_never_behind_its_clock(last, now, after):
    new = hlc.next_stamp(last, now, after)
    assert new > last and new > after and hlc.physical_ms(new) >= now


@given(st.lists(_ms, min_size=1, max_size=50))
def test_a_device_whose_clock_jumps_about_stamps_in_order_and_near_its_clock(clock):
    """A clock stepping back no longer freezes the order: stamps grow by one past the latest,
    and catch up with the clock as soon as it passes them."""
    last = 0
    for now in clock:
        new = hlc.next_stamp(last, now)
        assert new > last
        assert hlc.physical_ms(new) == max(now, hlc.physical_ms(last + 1))
        last = new


@given(_ms, _ms, st.integers(0, 2**41))
def test_events_without_a_stamp_keep_their_wall_clock_order(ts1, ts2, stamped):
    old1, old2 = Event("a" * 32, "hq", "k1", 1, ts1, "rated", "V" * 16), Event("b" * 32, "hq", "k1", 2, ts2, "rated", "V" * 16)
    assert (old1.order < old2.order) == (ts1 < ts2)
    # a stamped event sorts among old ones by its physical time
    new = Event("c" * 32, "hq", "k2", 1, 0, "rated", "V" * 16, hlc=hlc.stamp(stamped, 5))
    assert (new.order > old1.order) == (stamped >= ts1)


@st.composite
def exchanges(draw):
    """Three devices with clocks off by up to ±10 minutes, writing events at increasing true
    times and now and then hearing another device's latest event."""
    skews = draw(st.lists(st.integers(-10 * MINUTE, 10 * MINUTE), min_size=3, max_size=3))
    steps = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5000), st.integers(0, 2) | st.none()),
                          min_size=1, max_size=40))
    return skews, steps


@settings(max_examples=300)
@given(exchanges())
def test_whatever_the_skews_an_event_sorts_after_every_event_its_device_had_seen(case):
    skews, steps = case
    true_ms, state = 1_700_000_000_000, [0, 0, 0]
    seen: list[set[int]] = [set(), set(), set()]  # the stamps each device knows of
    for device, elapsed, hears in steps:
        true_ms += elapsed
        if hears is not None and hears != device and seen[hears]:
            heard = max(seen[hears])
            state[device] = max(state[device], heard)
            seen[device] |= seen[hears]
        new = hlc.next_stamp(state[device], true_ms + skews[device])
        assert all(new > earlier for earlier in seen[device])
        state[device] = new
        seen[device].add(new)


@given(_ms, st.integers(-30 * MINUTE, 30 * MINUTE), st.floats(0, 3600), st.floats(0, 2))
def test_a_device_that_heard_the_server_stamps_within_the_tolerance_of_its_time(server_ms, skew, elapsed, rtt):
    heard = hlc.ServerTime(server_ms, heard_at=100.0, round_trip=rtt)
    server_now = heard.now_ms(100.0 + elapsed)  # its time heard, carried forward by the monotonic clock
    assert abs(server_now - (server_ms + elapsed * 1000)) <= 1
    now = hlc.bounded_now(server_now + skew, heard, 100.0 + elapsed)
    assert abs(now - server_now) <= heard.tolerance_ms()
    assert now == server_now + skew or abs(skew) > heard.tolerance_ms()  # a clock close enough is kept


def test_a_server_time_too_old_or_from_before_a_reboot_bounds_nothing():
    heard = hlc.ServerTime(1_000_000, heard_at=500.0)
    assert hlc.bounded_now(42, heard, 500.0 + hlc.MAX_REFERENCE_AGE_S + 1) == 42
    assert hlc.bounded_now(42, heard, 10.0) == 42  # the monotonic clock started again
    assert hlc.bounded_now(42, None, 10.0) == 42


@given(st.integers(0, 2**57), _ms, st.integers(0, 10 * MINUTE))
def test_a_stamp_ahead_of_the_server_counts_only_up_to_the_tolerance(last, server_ms, ahead):
    heard = hlc.ServerTime(server_ms, heard_at=0.0)
    new = hlc.next_stamp(hlc.capped(last, heard, 0.0), hlc.bounded_now(server_ms + ahead, heard, 0.0))
    assert hlc.physical_ms(new) <= server_ms + heard.tolerance_ms() + 1
    assert new > last or hlc.physical_ms(last) >= server_ms + heard.tolerance_ms()
