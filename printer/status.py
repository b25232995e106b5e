"""Real-time printer status (ESC/POS ``DLE EOT n``), parsed by us.

python-escpos 3.1's ``paper_status()`` answers "paper present" when the printer does not answer
at all, and ``is_online()`` cannot tell offline from a cover left open; a kiosk that trusts them
prints into the void. So we send the queries ourselves and read the Epson bit layout: every
reply byte has bits 1 and 4 set and bits 0 and 7 clear, which also lets us reject noise.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_OFFLINE = 0x08
_COVER_OPEN = 0x04
_PAPER_STOP = 0x20
_PAPER_NEAR_END = 0x0C
_PAPER_END = 0x60


class Status(str, Enum):
    READY = "ready"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    NO_ANSWER = "no_answer"
    UNKNOWN = "unknown"  # the connection cannot read (file, cups, preview)

    @property
    def can_print(self) -> bool:
        return self in (Status.READY, Status.PAPER_LOW, Status.UNKNOWN)


MESSAGES = {
    Status.READY: "ready",
    Status.PAPER_LOW: "paper is running low",
    Status.PAPER_OUT: "out of paper",
    Status.COVER_OPEN: "the printer cover is open",
    Status.OFFLINE: "the printer is offline",
    Status.NO_ANSWER: "the printer does not answer",
    Status.UNKNOWN: "status unknown (this connection cannot read from the printer)",
}


def _valid(reply: bytes) -> int | None:
    if len(reply) < 1 or reply[0] & _FIXED_MASK != _FIXED_BITS:
        return None
    return reply[0]


def read_status(ask: Callable[[int], bytes]) -> Status:
    """The printer's state from ``ask(n)``, which sends ``DLE EOT n`` and returns the reply
    (empty when nothing came back in time)."""
    printer = _valid(ask(PRINTER))
    if printer is None:
        return Status.NO_ANSWER
    if printer & _OFFLINE:
        cause = _valid(ask(OFFLINE_CAUSE)) or 0
        if cause & _COVER_OPEN:
            return Status.COVER_OPEN
        if cause & _PAPER_STOP:
            return Status.PAPER_OUT
    paper = _valid(ask(PAPER))
    if paper is None:
        return Status.NO_ANSWER
    if paper & _PAPER_END == _PAPER_END:
        return Status.PAPER_OUT
    if printer & _OFFLINE:
        return Status.OFFLINE
    if paper & _PAPER_NEAR_END:
        return Status.PAPER_LOW
    return Status.READY
