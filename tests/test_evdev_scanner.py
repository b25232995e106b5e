"""The evdev scanner's key decoding, fed the key events a USB scanner delivers: a badge
token (uppercase Base32, typed with Shift) and its Enter become exactly that text."""

from hypothesis import given, strategies as st

from kiosk.ui.evdev_scanner import EV_KEY, KEY_ENTER, KEY_LEFTSHIFT, KEYS, PRESS, RELEASE, decode

CODES = {char: code for code, char in KEYS.items()}
EV_SYN, EV_MSC = 0, 4


def typed(text: str) -> list[tuple[int, int, int]]:
    """The events of a scanner typing ``text`` then Enter, with the SYN and MSC noise real
    devices interleave."""
    events = []
    for char in text:
        shifted = char.isupper()
        code = CODES[char.lower()]
        if shifted:
            events.append((EV_KEY, KEY_LEFTSHIFT, PRESS))
        events += [(EV_MSC, 4, 458756), (EV_KEY, code, PRESS), (EV_SYN, 0, 0), (EV_KEY, code, RELEASE)]
        if shifted:
            events.append((EV_KEY, KEY_LEFTSHIFT, RELEASE))
    return events + [(EV_KEY, KEY_ENTER, PRESS), (EV_KEY, KEY_ENTER, RELEASE)]


@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-", min_size=1, max_size=200), max_size=5))
def test_every_scan_comes_out_as_it_was_typed(scans):
    got = []
    decode([event for scan in scans for event in typed(scan)], got.append)
    assert got == scans


def test_a_real_badge_token_and_a_lone_enter():
    got = []
    token = "VB1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    decode(typed(token) + [(EV_KEY, KEY_ENTER, PRESS)], got.append)
    assert got == [token]  # Enter with nothing before it is no scan
