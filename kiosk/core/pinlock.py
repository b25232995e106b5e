"""The staff PIN's rules, with no IO: how long a PIN must be, and how wrong PINs lock the pad.

The PIN pad is in a public lobby, so guessing must be slow whoever tries and however often the
kiosk restarts (the state is kept on disk by kiosk.store.staffpin). After ``FREE_TRIES`` wrong
PINs the pad locks for ``FIRST_LOCK_S``; every further wrong PIN locks it again for twice as long
as the last time, up to ``LONGEST_LOCK_S`` (an hour: a prankster can keep staff out for an hour
at a time, not for days). A right PIN starts the count again. With 6 digits that leaves a
guesser about 30 tries on the first day and 24 on each day after, out of a million PINs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_DIGITS, MAX_DIGITS = 6, 12
PIN_RE = re.compile(rf"^[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}$")
FREE_TRIES = 5
FIRST_LOCK_S = 60
LONGEST_LOCK_S = 3600


def acceptable(pin: str) -> bool:
    """A PIN of 6 to 12 digits."""
    return bool(PIN_RE.match(pin))


@dataclass(frozen=True)
class PinLock:
    failures: int = 0  # wrong PINs since the last right one
    locked_until_ms: int = 0  # wall-clock time the pad opens again (0: open)


def lock_seconds(failures: int) -> int:
    """How long the pad stays locked after the ``failures``-th wrong PIN in a row (0: not)."""
    if failures < FREE_TRIES:
        return 0
    return min(FIRST_LOCK_S * 2 ** min(failures - FREE_TRIES, 16), LONGEST_LOCK_S)


def wait_ms(lock: PinLock, now_ms: int) -> int:
    """Milliseconds until a PIN may be tried (0: now). Never more than the lock's own length,
    so a clock set back cannot lock staff out for longer than the rules say."""
    return max(0, min(lock.locked_until_ms - now_ms, lock_seconds(lock.failures) * 1000))


def after_wrong(lock: PinLock, now_ms: int) -> PinLock:
    failures = lock.failures + 1
    seconds = lock_seconds(failures)
    return PinLock(failures, now_ms + seconds * 1000 if seconds else 0)


def after_right(_lock: PinLock) -> PinLock:
    return PinLock()
