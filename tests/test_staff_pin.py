"""The staff PIN: at least 6 digits, chosen once and kept private, told only to a terminal,
and wrong PINs locking the pad for longer and longer, counted on disk across restarts."""

from __future__ import annotations

import io
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import pinlock
from kiosk.core.pinlock import PinLock
from kiosk.errors import SettingsError
from kiosk.settings import load_settings
from kiosk.store.staffpin import LOCK_FILE, NEW, PIN_FILE, REPLACED, PinGuard, load_pin
from kiosk.ui.launch import announce_pin


class Clock:
    def __init__(self):
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the rules ----------------------------------------------------------------------------------

def test_the_lock_starts_after_five_wrong_pins_and_doubles_up_to_an_hour():
    assert [pinlock.lock_seconds(n) for n in range(1, 14)] == [0, 0, 0, 0, 60, 120, 240, 480, 960, 1920,
                                                               3600, 3600, 3600]


@given(st.lists(st.integers(min_value=0, max_value=10**7), max_size=40))
def test_wrong_pins_never_shorten_the_wait_nor_exceed_the_longest_lock(gaps_ms):
    lock, now = PinLock(), 0
    for gap in gaps_ms:
        now += gap
        waited_before = pinlock.lock_seconds(lock.failures)
        lock = pinlock.after_wrong(lock, now)
        assert pinlock.lock_seconds(lock.failures) >= waited_before
        assert 0 <= pinlock.wait_ms(lock, now) <= pinlock.LONGEST_LOCK_S * 1000
    assert pinlock.wait_ms(pinlock.after_right(lock), now) == 0


@given(st.integers(min_value=5, max_value=50), st.integers(min_value=0, max_value=10**12))
def test_a_clock_set_back_cannot_lock_longer_than_the_rules_say(failures, back_ms):
    lock = pinlock.after_wrong(PinLock(failures - 1), 10**13)
    assert pinlock.wait_ms(lock, 10**13 - back_ms) <= pinlock.lock_seconds(failures) * 1000


# -- the PIN on disk ------------------------------------------------------------------------------

def test_a_pin_is_chosen_once_with_six_digits_kept_private_and_reused(tmp_path):
    pin, news = load_pin("", tmp_path / "data")
    assert news == NEW and len(pin) == 6 and pin.isdigit()
    assert mode(tmp_path / "data" / PIN_FILE) == 0o600 and mode(tmp_path / "data") == 0o700
    assert load_pin("", tmp_path / "data") == (pin, "")


def test_a_configured_pin_wins(tmp_path):
    load_pin("", tmp_path)
    assert load_pin("43210987", tmp_path) == ("43210987", "")


def test_a_four_digit_pin_kept_by_an_older_version_is_replaced_once(tmp_path):
    (tmp_path / PIN_FILE).write_text("4321\n")
    pin, news = load_pin("", tmp_path)
    assert news == REPLACED and len(pin) == 6 and pin != "4321"
    assert (tmp_path / PIN_FILE).read_text().strip() == pin and mode(tmp_path / PIN_FILE) == 0o600
    assert load_pin("", tmp_path) == (pin, "")  # the notice is once


@pytest.mark.parametrize("short", ["1234", "12345", "12ab56"])
def test_a_short_staff_pin_setting_is_refused_without_repeating_it(tmp_path, short):
    with pytest.raises(SettingsError) as info:
        load_settings(env={"KIOSK_STAFF_PIN": short, "KIOSK_DATA_DIR": str(tmp_path)})
    assert "KIOSK_STAFF_PIN" in str(info.value) and "6-12 digits" in str(info.value)
    assert short not in str(info.value)
    with pytest.raises(SettingsError, match="6-12 digits"):  # settings made in code, not read
        load_pin(short, tmp_path)
    with pytest.raises(SettingsError, match="6-12 digits"):
        PinGuard(short, tmp_path, Clock())
    assert load_settings(env={"KIOSK_STAFF_PIN": "135790"}).staff_pin == "135790"


def test_the_chosen_pin_is_printed_to_a_terminal_only(tmp_path):
    path = tmp_path / PIN_FILE
    leader, follower = os.openpty()  # a real terminal, as when someone runs `kiosk run` by hand
    with os.fdopen(follower, "w") as terminal:
        announce_pin("918273", NEW, path, terminal)
    said = os.read(leader, 4096).decode()
    os.close(leader)
    assert "918273" in said and str(path) in said

    journal = io.StringIO()  # what systemd hands a service: not a terminal
    announce_pin("918273", NEW, path, journal)
    announce_pin("918273", REPLACED, path, journal)
    said = journal.getvalue()
    assert "918273" not in said
    assert said.count(str(path)) == 3 and "staff_pin" in said and "not 6-12 digits" in said

    quiet = io.StringIO()
    announce_pin("918273", "", path, quiet)
    assert quiet.getvalue() == ""


# -- the lock on disk -----------------------------------------------------------------------------

def test_wrong_pins_lock_the_pad_and_a_restart_does_not_unlock_it(tmp_path):
    clock = Clock()
    guard = PinGuard("135790", tmp_path, clock)
    assert [guard.attempt("000000").wait_s for _ in range(4)] == [0, 0, 0, 0]
    assert guard.attempt("000000") == (False, 60)
    assert mode(tmp_path / LOCK_FILE) == 0o600

    restarted = PinGuard("135790", tmp_path, clock)  # a new process over the same data directory
    assert restarted.wait_s() == 60
    assert restarted.attempt("135790") == (False, 60)  # the right PIN too, while locked
    clock.ms += 30_000
    assert PinGuard("135790", tmp_path, clock).wait_s() == 30

    clock.ms += 30_000
    assert restarted.attempt("000000") == (False, 120)  # one more wrong: twice as long
    clock.ms += 120_000
    assert PinGuard("135790", tmp_path, clock).attempt("135790") == (True, 0)
    assert PinGuard("135790", tmp_path, clock).attempt("000000") == (False, 0)  # counting from zero again


def test_a_damaged_lock_file_gives_no_fresh_tries(tmp_path):
    (tmp_path / LOCK_FILE).write_text("{not json")
    guard = PinGuard("135790", tmp_path, Clock())
    assert guard.attempt("000000") == (False, 60)


def test_a_disk_that_cannot_keep_the_count_still_locks_the_pad(tmp_path):
    clock = Clock()
    guard = PinGuard("135790", tmp_path, clock)
    (tmp_path / LOCK_FILE).mkdir()  # the file cannot be written
    for _ in range(4):
        guard.attempt("000000")
    assert guard.attempt("000000") == (False, 60)
