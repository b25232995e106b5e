"""The hybrid logical clock (HLC, Kulkarni et al. 2014) that orders events whatever the devices'
clocks say.

An HLC stamp is one sortable integer: milliseconds since the epoch in the high bits and a
counter in the low COUNTER_BITS. A device stamps each new event one past everything it has seen
(its own events, every event it pulled, the server's time in each answer) or its physical time,
whichever is later (``next_stamp``), so an event always sorts after every event its device knew
of when it wrote it: a sign-out after the sign-in it ends, whatever either clock said. When the
counter overflows it carries into the milliseconds, so the packed integer only ever grows by one.

The physical time a device uses is its own clock, bounded by the server's once it has heard from
it (``bounded_now``): never more than TOLERANCE_MS ahead of or behind the server's time as last
heard plus the (monotonic) time elapsed since, so a clock 10 minutes behind, stepped back or
forward, stamps close to the server's time instead of freezing or stamping the future. Events
written before HLCs existed carry none (0): their stamp is derived from their wall-clock time
(``order_stamp``), which orders them exactly as before.

Wall-clock times (``ts``) stay what people are shown; this module decides only the order.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER_BITS = 16
TOLERANCE_MS = 250  # how far a device's stamps may stray from the server's time as it last heard it
MAX_REFERENCE_AGE_S = 24 * 3600.0  # a server time heard longer ago than this no longer bounds the clock


def stamp(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) + counter


def physical_ms(hlc: int) -> int:
    return hlc >> COUNTER_BITS


def order_stamp(ts: int, hlc: int) -> int:
    """An event's place in the causal order: its HLC, or for an event without one (written
    before HLCs, or by older software) its wall-clock time as an HLC with counter 0."""
    return hlc if hlc > 0 else stamp(ts)


def next_stamp(last: int, now_ms: int, after: int = 0) -> int:
    """The stamp of a new event: past ``last`` (the latest stamp this device has seen) and
    ``after`` (the latest of the events it answers, e.g. its visit's), or its physical time."""
    return max(last + 1, after + 1, stamp(now_ms))


@dataclass(frozen=True)
class ServerTime:
    """The server's clock as last heard: its time (ms), the device's monotonic clock (s) midway
    through the request that brought it, and the request's round trip (s)."""

    server_ms: int
    heard_at: float
    round_trip: float = 0.0

    def now_ms(self, monotonic_now: float) -> int | None:
        """The server's time now, by the monotonic time elapsed since it was heard; None when
        that is too long ago (or the monotonic clock went back: a reboot) to trust."""
        elapsed = monotonic_now - self.heard_at
        if not 0 <= elapsed <= MAX_REFERENCE_AGE_S:
            return None
        return self.server_ms + int(elapsed * 1000)

    def tolerance_ms(self) -> int:
        return TOLERANCE_MS + int(self.round_trip * 500)  # what the server's answer cannot pin down


def bounded_now(device_ms: int, server: ServerTime | None, monotonic_now: float) -> int:
    """The physical time to stamp with: the device's clock, brought within the tolerance of the
    server's time when the device has heard it (recently enough to trust)."""
    server_ms = server.now_ms(monotonic_now) if server is not None else None
    if server_ms is None:
        return device_ms
    slack = server.tolerance_ms()
    return min(max(device_ms, server_ms - slack), server_ms + slack)


def capped(last: int, server: ServerTime | None, monotonic_now: float) -> int:
    """``last`` as far as it may count for the next stamp: no more than the tolerance ahead of
    the server's time. A device whose clock ran ahead before it heard the server (or that pulled
    the events of one that did) thus stops stamping the future once it hears it; the order of
    each visit's own events is kept by ``next_stamp``'s ``after``."""
    server_ms = server.now_ms(monotonic_now) if server is not None else None
    if server_ms is None:
        return last
    return min(last, stamp(server_ms + server.tolerance_ms()))
