"""Pushes and pulls per device over time: a token bucket per device and kind of request, in
memory (each server process counts its own), answering 429 with Retry-After when one is empty.

The limits leave an honest device room to catch up after a week offline (the burst, then the
rate: README, "Bounded work per device"), and keep one device token from taking the server's
whole write capacity (a push holds its site's write lock while it stores) or its reads.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sync.server.errors import TooManyRequests


@dataclass(frozen=True)
class Rate:
    per_second: float  # sustained requests a second
    burst: int  # requests at once, after a quiet spell


PUSH_RATE = Rate(per_second=2.0, burst=30)  # a push is up to protocol.MAX_BATCH (500) events
PULL_RATE = Rate(per_second=10.0, burst=100)  # a pull is up to protocol.PULL_LIMIT (1000) events


@dataclass
class Buckets:
    """One bucket per key, full at first; ``take`` spends a token or says how long until one."""

    rate: Rate
    clock: Callable[[], float] = time.monotonic
    _levels: dict[object, tuple[float, float]] = field(default_factory=dict)  # key: (tokens, when)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: object) -> float:
        """0 when a request may go now (its token spent), else the seconds until one may."""
        with self._lock:
            now = self.clock()
            tokens, then = self._levels.get(key, (self.rate.burst, now))
            tokens = min(self.rate.burst, tokens + (now - then) * self.rate.per_second)
            if tokens >= 1:
                self._levels[key] = (tokens - 1, now)
                return 0.0
            self._levels[key] = (tokens, now)
            return (1 - tokens) / self.rate.per_second


def parse_rate(text: str) -> Rate | None:
    """``PER_SECOND/BURST`` (e.g. ``2/30``) as a Rate; ``off``: None, no limit."""
    if text.strip().lower() == "off":
        return None
    per_second, slash, burst = text.partition("/")
    try:
        rate = Rate(float(per_second), int(burst))
    except ValueError:
        rate = None
    if not slash or rate is None or not (rate.per_second > 0 and rate.burst >= 1):
        raise ValueError(f"{text!r}: give requests a second and a burst, as 2/30, or off")
    return rate


@dataclass
class Limits:
    """The server's limits: pushes and pulls, each per device (site and name); None: no limit."""

    push: Rate | None = PUSH_RATE
    pull: Rate | None = PULL_RATE
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self):
        self._buckets = {what: Buckets(rate, self.clock) for what, rate in (("push", self.push), ("pull", self.pull))
                         if rate is not None}

    def check(self, what: str, site: str, device: str) -> None:
        """Spend one of the device's ``what`` ("push" or "pull") tokens, or TooManyRequests."""
        if what not in self._buckets:
            return
        wait = self._buckets[what].take((site, device))
        if wait:
            rate = self._buckets[what].rate
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(f"device {device} of site {site}: more than {rate.burst} {what} requests at once "
                                  f"or {rate.per_second:g} a second; try again in {seconds} s", seconds)
