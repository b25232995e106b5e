"""A real ``kiosk checkin`` killed (kill -9) while a slow printer on 127.0.0.1 is still
receiving its badge: the visit is on disk with no print outcome. After the grace, reception
sees it as "badge not confirmed" (``kiosk onsite``, the roll call), one command settles it,
and the end-of-day sign-out notes it."""

import contextlib
import io
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

import kiosk.store.log
from kiosk.cli import main
from kiosk.core import events as ev
from kiosk.core.unconfirmed import GRACE_MS, NOTE, badge_unconfirmed
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from printer.virtual import VirtualPrinter
from tests.conftest import KioskCommand


class _ShiftedTime:
    """The wall clock, ``shift_ms`` later: the outside boundary every kiosk clock reads."""

    def __init__(self, shift_ms: int):
        self.shift_ns = shift_ms * 1_000_000

    def time_ns(self):
        return time.time_ns() + self.shift_ns

    def __getattr__(self, name):
        return getattr(time, name)


def _badge_issued(data_dir) -> bool:
    path = data_dir / "kiosk.sqlite3"
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT 1 FROM events WHERE kind = 'badge_issued'").fetchone() is not None
    except sqlite3.OperationalError:  # the schema is still being made
        return False


def kill_checkin_while_printing(tmp_path) -> KioskCommand:
    """Run ``kiosk checkin`` against a printer that takes 50 bytes a second and kill -9 it
    once its visit is written and the printer is receiving the badge."""
    with VirtualPrinter(tmp_path / "paper", bytes_per_second=50) as printer:
        url = f"network://127.0.0.1:{printer.port}?profile=TM-T20II&timeout=120"
        cmd = KioskCommand(tmp_path / "data", KIOSK_PRINTER=url)
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "checkin", "--name", "张三", "--host", "李四"],
                                env=cmd.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (_badge_issued(cmd.data_dir) and printer._connections):  # noqa: SLF001 - receiving now
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the check-in never reached the printer"
            time.sleep(0.05)
        time.sleep(0.3)  # well into the badge's bytes
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        assert proc.returncode == -signal.SIGKILL and out == ""  # it never said how the print went
    # What the kernel had already taken from the dead process may still reach the printer: the
    # badge may well be in the visitor's hand, which is why nobody may call it "not printed".
    return cmd


def _as(monkeypatch, cmd: KioskCommand, shift_ms: int) -> None:
    """This process's ``kiosk`` commands on ``cmd``'s settings, the wall clock ``shift_ms`` ahead."""
    for name, value in cmd.env.items():
        if name.startswith("KIOSK_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(kiosk.store.log, "time", _ShiftedTime(shift_ms))


def _run(monkeypatch, cmd: KioskCommand, shift_ms: int, *argv, code=0) -> dict:
    """``kiosk ARGV --json`` in this process, with the wall clock ``shift_ms`` ahead."""
    _as(monkeypatch, cmd, shift_ms)
    try:
        return _json_of_main(*argv, code=code)
    finally:
        monkeypatch.setattr(kiosk.store.log, "time", time)


def _json_of_main(*argv, code=0):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        returned = main([*argv, "--json"])
    assert code is None or returned == code
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    return kill_checkin_while_printing(tmp_path_factory.mktemp("killed"))


def test_a_killed_checkin_leaves_a_visit_with_no_print_outcome(killed):
    [(visit_id, kinds)] = sqlite3.connect(killed.data_dir / "kiosk.sqlite3").execute(
        "SELECT visit_id, group_concat(kind) FROM events GROUP BY visit_id").fetchall()
    assert sorted(kinds.split(",")) == [ev.BADGE_ISSUED, ev.SIGNED_IN]
    desk = Kiosk.open(Settings(data_dir=str(killed.data_dir), site="hq", device="kiosk-a"), PreviewPrinter(killed.data_dir))
    visit = desk.log.visit(visit_id)
    assert visit.on_site
    issued = visit.current_badge.issued_at
    assert not badge_unconfirmed(visit, issued + GRACE_MS - 1)  # it may still be printing
    assert badge_unconfirmed(visit, issued + GRACE_MS)


def test_onsite_and_roll_call_mark_it_and_a_reprint_settles_it(killed, monkeypatch, capsys):
    assert [v["badge_not_confirmed"] for v in _run(monkeypatch, killed, 0, "onsite")["visits"]] == [False]
    later = GRACE_MS + 1000
    [row] = _run(monkeypatch, killed, later, "onsite")["visits"]
    assert row["badge_not_confirmed"] is True and row["name"] == "张三"
    # the roll call (its printer is gone: the list is still given) marks it too
    assert [v["badge_not_confirmed"] for v in _run(monkeypatch, killed, later, "roll-call", code=None)["visits"]] == [True]
    desk = KioskCommand(killed.data_dir)  # the printer mended: the preview printer
    reprinted = desk.json("reprint", row["visit_id"])  # one command: a new badge, printed
    assert reprinted["printed"] is True
    assert [v["badge_not_confirmed"] for v in _run(monkeypatch, killed, later, "onsite")["visits"]] == [False]


def test_the_plain_listing_says_what_to_do(tmp_path, monkeypatch, capsys):
    cmd = kill_checkin_while_printing(tmp_path)
    _as(monkeypatch, cmd, GRACE_MS)
    assert main(["onsite"]) == 0
    monkeypatch.setattr(kiosk.store.log, "time", time)
    line = capsys.readouterr().out.splitlines()[0]
    assert "张三" in line and "[badge not confirmed: kiosk reprint " in line and "kiosk signout " in line
    visit_id = line.split("kiosk reprint ")[1].split(",")[0]
    # cancelling is one command too: signed out by hand, with the reason on record
    assert KioskCommand(cmd.data_dir)("signout", visit_id, "--reason", "left without a badge").returncode == 0
    assert _run(monkeypatch, cmd, GRACE_MS, "onsite")["visits"] == []


def test_end_of_day_signs_it_out_and_says_its_badge_was_never_confirmed(tmp_path, monkeypatch):
    cmd = kill_checkin_while_printing(tmp_path)
    shift = 3 * 3_600_000
    cutoff = datetime.now().astimezone() + timedelta(hours=1, minutes=1)
    monkeypatch.setenv("KIOSK_AUTO_SIGNOUT_AT", cutoff.strftime("%H:%M"))
    [row] = _run(monkeypatch, cmd, shift, "end-of-day")["visits"]
    assert row["state"] == "signed_out" and row["badge_not_confirmed"] is True
    desk = Kiosk.open(Settings(data_dir=str(cmd.data_dir), site="hq", device="kiosk-a"), PreviewPrinter(tmp_path))
    [signed_out] = [e for e in desk.log.events(row["visit_id"]) if e.kind == ev.SIGNED_OUT]
    assert signed_out.data == {"by": "auto", "note": NOTE}
