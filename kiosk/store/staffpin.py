"""The staff PIN on disk: the one chosen at first start (``DATA_DIR/staff-pin``) and the count
of wrong PINs with the lockout's deadline (``DATA_DIR/staff-pin-lock``), both 0600, so that
neither a restart nor a power cut gives a guesser fresh tries. The rules are kiosk.core.pinlock's.

Every PIN pad of a device (the staff menu, the reception console's lock, the exit post's
look-up) checks through one :class:`PinGuard`, so they share one count."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Callable, NamedTuple

from kiosk.core import pinlock
from kiosk.core.pinlock import PinLock
from kiosk.errors import SettingsError
from kiosk.privatefiles import replace_private

PIN_FILE = "staff-pin"
LOCK_FILE = "staff-pin-lock"
NEW, REPLACED = "new", "replaced"  # what load_pin did to the kept PIN
PIN_WANTED = (f"staff_pin must be {pinlock.MIN_DIGITS}-{pinlock.MAX_DIGITS} digits "
              "(or empty to have the kiosk choose one at first start)")


def load_pin(configured: str, data_dir: Path) -> tuple[str, str]:
    """``(pin, news)``: the configured PIN, else the one kept in ``data_dir``; ``news`` is ""
    when nothing changed, NEW when a PIN was just chosen, REPLACED when the kept one was too
    short (older versions chose 4 digits) and a new one replaced it."""
    if configured:
        if not pinlock.acceptable(configured):
            raise SettingsError(PIN_WANTED)
        return configured, ""
    path = data_dir / PIN_FILE
    try:
        kept: str | None = path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        kept = None
    if kept is not None and pinlock.acceptable(kept):
        return kept, ""
    pin = f"{secrets.randbelow(10 ** pinlock.MIN_DIGITS):0{pinlock.MIN_DIGITS}d}"
    replace_private(path, (pin + "\n").encode())
    return pin, NEW if kept is None else REPLACED


class Attempt(NamedTuple):
    ok: bool
    wait_s: int  # when not ok: seconds until the next try is allowed (0: at once)


class PinGuard:
    """Checks what was typed on a PIN pad, counting wrong PINs in ``data_dir``."""

    def __init__(self, pin: str, data_dir: Path, clock_ms: Callable[[], int]):
        if not pinlock.acceptable(pin):
            raise SettingsError(PIN_WANTED)
        self._pin = pin
        self._path = data_dir / LOCK_FILE
        self._clock = clock_ms
        self._lock = self._read()

    def wait_s(self) -> int:
        """Seconds (rounded up) until a PIN may be tried; 0 when it may be now."""
        return -(-pinlock.wait_ms(self._lock, self._clock()) // 1000)

    def attempt(self, entered: str) -> Attempt:
        """Whether ``entered`` is the PIN. While the pad is locked nothing typed is even
        compared: the right PIN then is refused like any other."""
        if self.wait_s():
            return Attempt(False, self.wait_s())
        if secrets.compare_digest(entered.encode(), self._pin.encode()):
            if self._lock != PinLock():
                self._save(pinlock.after_right(self._lock))
            return Attempt(True, 0)
        self._save(pinlock.after_wrong(self._lock, self._clock()))
        return Attempt(False, self.wait_s())

    def _read(self) -> PinLock:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return PinLock(int(raw["failures"]), int(raw["locked_until_ms"]))
        except FileNotFoundError:
            return PinLock()
        except (OSError, ValueError, KeyError, TypeError):
            # Damaged: the next wrong PIN locks, rather than a damaged file giving fresh tries.
            return PinLock(failures=pinlock.FREE_TRIES - 1)

    def _save(self, lock: PinLock) -> None:
        self._lock = lock
        try:
            replace_private(self._path, json.dumps({"failures": lock.failures,
                                                  "locked_until_ms": lock.locked_until_ms}).encode())
        except OSError:
            pass  # a full or read-only disk: the count holds in memory until the app restarts
