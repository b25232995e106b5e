"""Timing helpers shared by the benchmark scripts: samples in milliseconds, sorted."""

from __future__ import annotations

import time
from typing import Callable, Iterable


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    """``runs`` calls of ``fn`` after one warm-up call (steady state is what a kiosk sees)."""
    fn()
    return timed_each(lambda _: fn(), range(runs))


def timed_each(fn: Callable[[object], object], items: Iterable) -> list[float]:
    """One call of ``fn`` per item."""
    samples = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
