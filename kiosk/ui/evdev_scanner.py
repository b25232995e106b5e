"""A USB scanner read exclusively through Linux evdev, so that a scan never leaks into any
other window as typed text and nothing typed elsewhere reaches the kiosk as a scan. Set
``scanner`` to its device (``/dev/input/by-id/...-event-kbd``); the reader grabs it and hands
each scan, ended by Enter, to the app on the Kivy thread.

``KeyDecoder`` turns key events into text (US layout, which scanners default to); it is plain
Python, driven in the tests by the same events a device delivers."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

# Linux input event codes (linux/input-event-codes.h): a stable kernel ABI.
EV_KEY = 1
KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 28, 96, 42, 54
_ROWS = {2: "1234567890-=", 16: "qwertyuiop[]", 30: "asdfghjkl;'`", 43: "\\zxcvbnm,./"}
_SHIFTED = dict(zip("1234567890-=[];'`\\,./", "!@#$%^&*()_+{}:\"~|<>?"))
KEYS = {code + i: char for code, row in _ROWS.items() for i, char in enumerate(row)}
KEYS[57] = " "
PRESS, RELEASE = 1, 0


class KeyDecoder:
    def __init__(self):
        self._chars: list[str] = []
        self._shift = False

    def feed(self, event_type: int, code: int, value: int) -> str | None:
        """One input event; returns the scan when it ends (Enter pressed), else None."""
        if event_type != EV_KEY:
            return None
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            self._shift = value != RELEASE
        elif value == PRESS and code in (KEY_ENTER, KEY_KPENTER):
            scan, self._chars = "".join(self._chars), []
            return scan or None
        elif value == PRESS and code in KEYS:
            char = KEYS[code]
            self._chars.append((_SHIFTED.get(char, char.upper())) if self._shift else char)
        return None


def decode(events: Iterable[tuple[int, int, int]], on_scan: Callable[[str], None]) -> None:
    decoder = KeyDecoder()
    for event in events:
        scan = decoder.feed(*event)
        if scan:
            on_scan(scan)


def start_reader(path: str, on_scan: Callable[[str], None], retry: float = 2.0) -> threading.Thread:
    """Read the scanner at ``path`` on a thread of its own, grabbed so no one else sees it. A
    scanner that is missing or unplugged is looked for again every ``retry`` seconds: the
    kiosk keeps running, and scans work again as soon as it is back."""
    def read_forever() -> None:
        import logging

        while True:
            try:
                import evdev  # Linux only: pip install 'visitor-kiosk[scanner]'

                device = evdev.InputDevice(path)
                device.grab()
                decode(((e.type, e.code, e.value) for e in device.read_loop()), on_scan)
            except Exception as exc:  # noqa: BLE001 - unplugged, missing, no permission, no evdev
                logging.getLogger("kiosk").warning("scanner %s: %s; trying again", path, exc)
            time.sleep(retry)

    thread = threading.Thread(target=read_forever, name="scanner", daemon=True)
    thread.start()
    return thread
