"""Telling a keyboard-wedge scanner from a person at a keyboard. A scanner types a whole badge
in one burst, a few milliseconds per character, and ends it with Enter; a person is ten times
slower. Only a burst counts as a scan, so someone typing at the exit post signs nobody out."""

from __future__ import annotations

import time
from typing import Callable

MAX_GAP = 0.05  # seconds between two characters of one scan; people take 0.1 s and more
MIN_LENGTH = 8  # shorter bursts are keys pressed together, not a badge


class ScanDetector:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_gap: float = MAX_GAP,
                 min_length: int = MIN_LENGTH):
        self._clock = clock
        self.max_gap = max_gap
        self.min_length = min_length
        self._chars: list[str] = []
        self._last = float("-inf")
        self._burst = True

    def key(self, text: str) -> None:
        now = self._clock()
        if now - self._last > self.max_gap:  # a pause: whatever came before was not this scan
            self._chars, self._burst = [], True
        self._chars.append(text)
        self._last = now

    def enter(self) -> str | None:
        """The scan that Enter ends, or None when what came before was typed by hand."""
        text = "".join(self._chars)
        burst = self._burst and self._clock() - self._last <= self.max_gap and len(text) >= self.min_length
        self._chars, self._last = [], float("-inf")
        return text if burst else None
