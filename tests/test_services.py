"""Services in-process, on a real data directory: the order of durable writes and printing,
printer faults, the daily automatic sign-out, host resolution."""

import os
import stat
import threading
import time
from datetime import datetime

import pytest

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.hosts import Host, host_id_for
from kiosk.core.visits import SIGNED_OUT, WAITING
from kiosk.errors import HostNotFound, KioskError, StoreError, ValidationError
from kiosk.exit_desk import UNKNOWN_BADGE
from kiosk.services import Kiosk, end_of_day_cutoff
from kiosk.settings import Settings
from printer.device import PreviewPrinter, open_printer


class Clock:
    """The outside boundary we control: the wall clock."""

    def __init__(self, when: datetime):
        self.ms = int(when.timestamp() * 1000)

    def __call__(self):
        return self.ms


def host(name, department=""):
    return Host(host_id_for(name, department), name, department)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 23, 9, 30).astimezone())


@pytest.fixture
def kiosk(tmp_path, clock):
    settings = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", auto_signout_at="20:00")
    return Kiosk.open(settings, PreviewPrinter(tmp_path / "previews"), clock)


def test_sign_in_is_on_disk_before_the_printer_is_called(kiosk):
    seen = []

    class WatchingPrinter(PreviewPrinter):
        def print_pages(self, pages, *, name="job"):
            # what another process would read from the file at this instant
            seen.append([row[0] for row in kiosk.log.db.read("SELECT kind FROM events ORDER BY rowid")])
            super().print_pages(pages, name=name)

    kiosk.printer = WatchingPrinter(kiosk.printer.directory)
    result = kiosk.check_in(name="张三", host=host("李四"))
    assert seen == [[ev.SIGNED_IN, ev.BADGE_ISSUED]]
    assert [e.kind for e in kiosk.log.events(result.visit.visit_id)] == [ev.SIGNED_IN, ev.BADGE_ISSUED, ev.BADGE_PRINTED]


def test_a_failed_print_keeps_the_visit_and_can_be_reprinted(kiosk, tmp_path):
    (tmp_path / "jammed").write_text("a file where the printer's directory should be")
    kiosk.printer = PreviewPrinter(tmp_path / "jammed")
    result = kiosk.check_in(name="张三", host=host("李四"))
    assert not result.printed and result.print_error
    assert result.visit.state == WAITING
    assert result.visit.current_badge.print_error == result.print_error
    kiosk.printer = PreviewPrinter(tmp_path / "fixed")
    again = kiosk.reprint(result.visit.visit_id)
    assert again.printed and kiosk.verdict(result.badge).reason == "revoked"
    assert kiosk.verdict(again.badge).ok


def test_full_disk_at_sign_in_records_all_or_nothing_and_says_which(kiosk):
    conn = kiosk.log.db.connection()
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0] + 3}")
    recorded = []
    with pytest.raises(StoreError, match="NOT recorded.*full"):
        for i in range(1000):
            recorded.append(kiosk.check_in(name=f"张三{i}", host=host("李四"), purpose="x" * 200, company="y" * 100))
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert len(recorded) >= 1
    assert {v.visit_id for v in kiosk.on_site()} == {r.visit.visit_id for r in recorded}
    assert len(list(kiosk.printer.directory.glob("*.png"))) == len(recorded)


def test_unprintable_names_are_refused_before_anything_is_recorded(kiosk):
    with pytest.raises(ValidationError) as info:
        kiosk.check_in(name="𠀀𠀁", host=host("李四"))  # CJK extension B: not in the badge font
    assert info.value.code == "unprintable"
    assert kiosk.on_site() == []


def test_expired_badge(kiosk, clock):
    result = kiosk.check_in(name="张三", host=host("李四"))
    clock.ms += kiosk.settings.badge_valid_hours * 3_600_000
    assert kiosk.check_out(result.badge).reason == "expired"
    assert kiosk.on_site()[0].visit_id == result.visit.visit_id


def test_an_expired_badge_of_a_visit_that_ended_says_already_signed_out(kiosk, clock):
    """Not "expired" (which the exit post shows under "not signed out"): the visit is over."""
    result = kiosk.check_in(name="张三", host=host("李四"))
    left = kiosk.check_out(result.badge)
    clock.ms += kiosk.settings.badge_valid_hours * 3_600_000
    again = kiosk.check_out(result.badge)
    assert (again.reason, again.signed_out_at) == ("already_signed_out", left.signed_out_at)
    assert again.visit.visit_id == result.visit.visit_id


def test_end_of_day_signs_out_only_those_from_before_the_cutoff(kiosk, clock):
    early = kiosk.check_in(name="张三", host=host("李四"))
    clock.ms = int(datetime(2026, 11, 23, 21, 0).astimezone().timestamp() * 1000)
    late = kiosk.check_in(name="王五", host=host("李四"))
    cutoff = end_of_day_cutoff(kiosk.settings.auto_signout_at, clock())
    assert cutoff == int(datetime(2026, 11, 23, 20, 0).astimezone().timestamp() * 1000)
    out = kiosk.auto_sign_out(cutoff)
    assert [v.visit_id for v in out] == [early.visit.visit_id]
    assert out[0].state == SIGNED_OUT and out[0].signed_out_by == "auto"
    assert [v.visit_id for v in kiosk.on_site()] == [late.visit.visit_id]
    assert kiosk.auto_sign_out(cutoff) == []  # running it twice changes nothing
    # before today's cut-off time, the cut-off is yesterday's
    assert end_of_day_cutoff("20:00", int(datetime(2026, 11, 23, 9, 0).astimezone().timestamp() * 1000)) == \
        int(datetime(2026, 11, 22, 20, 0).astimezone().timestamp() * 1000)
    assert end_of_day_cutoff("", clock()) is None


def test_find_host(kiosk):
    assert kiosk.find_host("李四").name == "李四"  # no directory: taken as typed
    kiosk.import_hosts([host("李四", "研发部"), host("张伟", "行政部"), host("张伟", "财务部"), host("王芳", "财务部")])
    assert kiosk.find_host("lisi").department == "研发部"
    assert kiosk.find_host("wf").name == "王芳"
    with pytest.raises(HostNotFound) as info:
        kiosk.find_host("张伟")
    assert {h.department for h in info.value.candidates} == {"行政部", "财务部"}
    with pytest.raises(HostNotFound, match="no host matches"):
        kiosk.find_host("赵六")


def test_sign_out_race_first_wins(kiosk, tmp_path, clock):
    """Two exit posts sign out the same badge; once their logs meet, the earlier one stands."""
    result = kiosk.check_in(name="张三", host=host("李四"))
    other = Kiosk.open(Settings(data_dir=str(tmp_path / "exit"), site="hq", device="exit2"),
                       PreviewPrinter(tmp_path / "p2"), clock)
    other.trust(kiosk.keyring().get(kiosk.signer.key_id))
    clock.ms += 1000
    first = other.check_out(result.badge)
    clock.ms += 1000
    second = kiosk.check_out(result.badge)
    assert first.ok and second.ok  # each post, alone, saw the visitor leave
    kiosk.log.ingest(other.log.events(result.visit.visit_id))
    other.log.ingest(kiosk.log.events(result.visit.visit_id))
    assert kiosk.log.visit(result.visit.visit_id) == other.log.visit(result.visit.visit_id)
    assert kiosk.log.visit(result.visit.visit_id).signed_out_device == "exit2"
    assert kiosk.check_out(result.badge).reason == "already_signed_out"


def test_renaming_the_site_keeps_badges_verifying(tmp_path, clock):
    first = Kiosk.open(Settings(data_dir=str(tmp_path / "d"), site="default", device="k1"),
                       PreviewPrinter(tmp_path / "p"), clock)
    first.check_in(name="张三", host=host("李四"))
    renamed = Kiosk.open(Settings(data_dir=str(tmp_path / "d"), site="hq", device="k1"),
                         PreviewPrinter(tmp_path / "p"), clock)
    badge = renamed.check_in(name="王五", host=host("李四")).badge
    assert renamed.check_out(badge).ok


def test_any_failure_while_printing_is_recorded_not_raised(tmp_path, clock):
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "d"), site="hq", device="k1"),
                       PreviewPrinter(tmp_path / "p", width=100), clock)  # too narrow to lay out
    result = kiosk.check_in(name="张三", host=host("李四"))
    assert not result.printed and "ValueError" in result.print_error
    assert kiosk.on_site()[0].current_badge.print_error == result.print_error


def test_a_device_file_with_no_printer_behind_it_times_out(tmp_path, clock):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)  # opening it for writing blocks until a reader comes: one never does
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "d"), site="hq", device="k1"),
                       open_printer(f"file://{fifo}?timeout=1"), clock)
    start = time.monotonic()
    result = kiosk.check_in(name="张三", host=host("李四"))
    assert time.monotonic() - start < 3
    assert not result.printed and "in time" in result.print_error
    assert kiosk.on_site()[0].visit_id == result.visit.visit_id


def test_simultaneous_scans_of_one_badge_sign_out_once(kiosk):
    badge = kiosk.check_in(name="张三", host=host("李四")).badge  # the clock is frozen: same ms for all
    verdicts = []
    threads = [threading.Thread(target=lambda: verdicts.append(kiosk.check_out(badge).reason)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(verdicts) == ["already_signed_out"] * 5 + ["ok"]
    assert [e.kind for e in kiosk.log.events(kiosk.log.visits_in([SIGNED_OUT])[0].visit_id)].count(ev.SIGNED_OUT) == 1


def test_an_exit_post_verifies_but_cannot_mint(kiosk, tmp_path, clock):
    post = Kiosk.open(Settings(data_dir=str(tmp_path / "exit"), site="hq", device="exit1", role="exit"),
                      PreviewPrinter(tmp_path / "none"), clock)
    assert post.signer is None and not (tmp_path / "exit" / "keys").exists()
    with pytest.raises(KioskError, match="exit post"):
        post.check_in(name="张三", host=host("李四"))
    post.trust(kiosk.keyring().get(kiosk.signer.key_id))
    assert post.check_out(kiosk.check_in(name="张三", host=host("李四")).badge).ok


def test_the_log_is_private_to_the_kiosk_user(kiosk):
    data = kiosk.log.db.path.parent
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(kiosk.log.db.path.stat().st_mode) == 0o600


def test_manual_sign_out_needs_a_reason(kiosk):
    visit = kiosk.check_in(name="张三", host=host("李四")).visit
    with pytest.raises(ValidationError):
        kiosk.sign_out_by_hand(visit.visit_id, "  ")
    out = kiosk.sign_out_by_hand(visit.visit_id, "badge taken home")
    assert (out.state, out.signed_out_by) == (SIGNED_OUT, "manual")
    with pytest.raises(KioskError, match="not on site"):
        kiosk.sign_out_by_hand(visit.visit_id, "again")


def _withdraw(kiosk, visit_id, kinds):
    """What the server's tombstones of these events of the visit do when the device pulls them."""
    events = [e for e in kiosk.log.events(visit_id) if e.kind in kinds]
    kiosk.log.ingest([ev.Event(ev.new_id(), "hq", ev.SERVER_DEVICE, i, e.ts + 1, ev.TOMBSTONED, visit_id,
                               {"event_id": e.event_id, "reason": "forged"}) for i, e in enumerate(events, 1)])


def test_a_badge_the_server_withdrew_is_unknown_at_check_out(kiosk):
    result = kiosk.check_in(name="张三", host=host("李四"))
    _withdraw(kiosk, result.visit.visit_id, {ev.BADGE_ISSUED, ev.BADGE_PRINTED})
    verdict = kiosk.check_out_by_number(tokens.badge_number(result.badge_id))
    assert (verdict.reason, verdict.ok, verdict.visit) == (UNKNOWN_BADGE, False, None)
    with pytest.raises(KioskError, match="not in this kiosk's log"):
        kiosk.mark_lost(result.badge_id)
    assert [v.visit_id for v in kiosk.on_site()] == [result.visit.visit_id]  # the visit stands, badgeless


def test_a_badge_row_its_visit_no_longer_holds_is_unknown(kiosk):
    """A log written before withdrawn badges left the badges table may still hold such a row."""
    result = kiosk.check_in(name="张三", host=host("李四"))
    with kiosk.log.db.write() as conn:
        conn.execute("INSERT INTO badges (badge_id, visit_id, revoked) VALUES ('ZZZZZZZZ', ?, '')",
                     (result.visit.visit_id,))
    assert kiosk.check_out_by_number(tokens.badge_number("ZZZZZZZZ")).reason == UNKNOWN_BADGE
    with pytest.raises(KioskError, match="not in this kiosk's log"):
        kiosk.mark_lost("ZZZZZZZZ")


def test_a_visit_whose_events_are_all_withdrawn_leaves_the_device(kiosk):
    kept = kiosk.check_in(name="李雷", host=host("李四"))
    gone = kiosk.check_in(name="张三", host=host("李四"))
    _withdraw(kiosk, gone.visit.visit_id, {ev.SIGNED_IN, ev.BADGE_ISSUED, ev.BADGE_PRINTED})
    assert [v.visit_id for v in kiosk.on_site()] == [kept.visit.visit_id]
    assert kiosk.log.visit(gone.visit.visit_id) is None
    assert kiosk.log.db.read("SELECT COUNT(*) FROM visits WHERE visit_id = ?", (gone.visit.visit_id,)) == [(0,)]
    assert kiosk.check_out_by_number(tokens.badge_number(gone.badge_id)).reason == UNKNOWN_BADGE
