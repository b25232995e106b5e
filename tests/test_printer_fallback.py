"""A fallback printer (settings printer_fallback): two virtual printers on 127.0.0.1, the first
out of paper, unplugged or failing part-way; badges decoded back from the bytes that reached
the second; which printer printed each badge kept in the log."""

import zxingcpp
import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter, open_printer
from printer.fallback import FallbackPrinter, open_printers
from sync.client import SyncClient
from sync.worker import Syncer
from printer.status import Status
from printer.virtual import VirtualPrinter
from tests.conftest import KioskCommand
from tests.ptyprinter import PtyPrinter
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

HOST = Host("h1", "李四", "研发部")


@pytest.fixture
def pair(tmp_path):
    with VirtualPrinter(tmp_path / "first") as first, VirtualPrinter(tmp_path / "second") as second:
        yield first, second


def url_of(printer, profile="TM-T20II"):
    return f"network://127.0.0.1:{printer.port}?profile={profile}&timeout=5"


def kiosk_on(tmp_path, first_url, second_url):
    settings = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=first_url,
                        printer_fallback=second_url)
    return Kiosk.open(settings, open_printers(settings.printer_url, settings.printer_fallback))


def printed_by(kiosk, visit_id):
    [printed] = [e for e in kiosk.log.events(visit_id) if e.kind == ev.BADGE_PRINTED]
    return printed.data["printer"]


def decode(image):
    [found] = zxingcpp.read_barcodes(image)
    return found.text


def test_the_first_printer_out_of_paper_sends_the_badge_to_the_fallback(pair, tmp_path):
    first, second = pair
    first.mode = "paper-out"
    kiosk = kiosk_on(tmp_path, url_of(first), url_of(second))
    result = kiosk.check_in(name="张三", host=HOST)
    assert result.printed, result.print_error
    [job] = second.wait_for_jobs(1)
    assert decode(job.image) == result.badge and kiosk.verdict(result.badge).ok
    assert first.jobs == []
    assert printed_by(kiosk, result.visit.visit_id) == url_of(second)
    assert result.visit.current_badge.printed_by == url_of(second)
    # and what reception's console asks shows it: the fallback in use, and why
    assert kiosk.printer.status() == Status.READY and kiosk.printer.first_trouble == Status.PAPER_OUT


def test_back_on_the_first_printer_once_it_has_paper(pair, tmp_path):
    first, second = pair
    first.mode = "paper-out"
    kiosk = kiosk_on(tmp_path, url_of(first), url_of(second))
    kiosk.check_in(name="张三", host=HOST)
    first.mode = "ready"
    result = kiosk.check_in(name="王五", host=HOST)
    [job] = first.wait_for_jobs(1)
    assert decode(job.image) == result.badge
    assert printed_by(kiosk, result.visit.visit_id) == url_of(first)
    assert kiosk.printer.first_trouble is None


def test_a_first_printer_nobody_answers_at_sends_the_badge_to_the_fallback(pair, tmp_path):
    _, second = pair
    with VirtualPrinter() as gone:
        gone_url = url_of(gone)
    kiosk = kiosk_on(tmp_path, gone_url, url_of(second))
    result = kiosk.check_in(name="张三", host=HOST)
    assert result.printed, result.print_error
    assert decode(second.wait_for_jobs(1)[0].image) == result.badge
    assert kiosk.printer.first_trouble == Status.NO_ANSWER


def test_a_fallback_of_another_width_gets_the_badge_laid_out_for_its_paper(pair, tmp_path):
    first, second = pair
    first.mode = "cover-open"
    kiosk = kiosk_on(tmp_path, url_of(first), url_of(second, "POS-5890"))
    result = kiosk.check_in(name="张三", host=HOST)
    [job] = second.wait_for_jobs(1)
    assert job.image.width == 384 and decode(job.image) == result.badge


def test_a_job_that_failed_part_way_is_never_printed_again_on_the_fallback(pair, tmp_path):
    first, second = pair
    first.drop_after = 3000
    kiosk = kiosk_on(tmp_path, url_of(first), url_of(second))
    result = kiosk.check_in(name="张三", host=HOST)
    assert not result.printed and "not printed whole" in result.print_error
    assert second.jobs == []


def test_both_out_of_paper_says_both(pair, tmp_path):
    first, second = pair
    first.mode = second.mode = "paper-out"
    kiosk = kiosk_on(tmp_path, url_of(first), url_of(second))
    result = kiosk.check_in(name="张三", host=HOST)
    assert not result.printed
    assert result.print_error.count("out of paper") == 2 and "fallback" in result.print_error
    assert first.jobs == second.jobs == []


def test_cli_printer_status_shows_the_fallback_in_use(pair, tmp_path):
    first, second = pair
    first.mode = "paper-out"
    cmd = KioskCommand(tmp_path / "data", KIOSK_PRINTER=url_of(first), KIOSK_PRINTER_FALLBACK=url_of(second))
    said = cmd.json("printer", "status", check=0)
    assert said["status"] == "paper_out"
    assert said["fallback"] == {"printer": url_of(second), "status": "ready", "message": "ready", "in_use": True}
    assert cmd.json("checkin", "--name", "张三", "--host", "李四")["printed"] is True
    assert len(second.wait_for_jobs(1)) == 1


def test_without_a_fallback_setting_the_printer_is_the_first_alone(pair):
    first, _ = pair
    assert not isinstance(open_printers(url_of(first), ""), FallbackPrinter)


def test_which_printer_printed_and_a_confirmed_print_reach_reception_through_the_server(pair, tmp_path, server):
    first, second = pair
    first.mode = "paper-out"
    lobby = kiosk_on(tmp_path / "lobby", url_of(first), url_of(second))
    desk = Kiosk.open(Settings(data_dir=str(tmp_path / "desk"), site="hq", device="desk-1", role="reception"),
                      PreviewPrinter(tmp_path / "desk-paper"))
    lobby_sync = Syncer(lobby, SyncClient(server.url, server.device("hq", "k1")))
    desk_sync = Syncer(desk, SyncClient(server.url, server.device("hq", "desk-1", "reception")))
    on_fallback = lobby.check_in(name="张三", host=HOST)
    # a badge the lobby kiosk sent whole to a serial printer that then never answered
    with PtyPrinter(460800, mode_after=(1_000, "silent")) as serial_printer:
        lobby.printer = open_printer(serial_printer.url(timeout=4))
        unknown = lobby.check_in(name="王五", host=HOST)
    assert unknown.print_unknown
    lobby_sync.sync_once()
    desk_sync.sync_once()
    assert desk.log.visit(on_fallback.visit.visit_id).current_badge.printed_by == url_of(second)
    seen = desk.log.visit(unknown.visit.visit_id).current_badge
    assert seen.print_unknown and not seen.printed
    desk.confirm_printed(unknown.visit.visit_id)
    desk_sync.sync_once()
    lobby_sync.sync_once()
    assert lobby.log.visit(unknown.visit.visit_id).current_badge.printed
    assert not server.errors

