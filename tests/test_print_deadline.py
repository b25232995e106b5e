"""A badge job's deadline follows its bytes and the link, the printer is asked after the job,
and "not printed" is said only when it is true: against a serial printer on a pseudo-terminal
that takes bytes at its baud rate, through python-escpos's real Serial backend."""

from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer import deadline
from printer.device import open_printer
from printer.serial_link import DEFAULT_BAUDRATE
from tests.conftest import KioskCommand
from tests.ptyprinter import PtyPrinter
from tests.usbprinter import UsbPrinter

HOST = Host("h1", "李四", "研发部")


def kiosk_for(url, tmp_path):
    return Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=url), open_printer(url))


def decode(image):
    found = zxingcpp.read_barcodes(image)
    if len(found) != 1:  # kept for a look: what reached the paper
        Path("artifacts").mkdir(exist_ok=True)
        image.save("artifacts/print-deadline-undecoded.png")
    assert len(found) == 1, f"{len(found)} QR codes on the page (artifacts/print-deadline-undecoded.png)"
    return found[0].text


def test_a_badge_longer_than_ten_seconds_at_57600_baud_prints_and_is_called_printed(tmp_path):
    with PtyPrinter(57600) as serial_printer:  # all raster: the hybrid stream takes 2 s at this rate
        kiosk = kiosk_for(serial_printer.url(stream="raster"), tmp_path)
        result = kiosk.check_in(name="张三 Zhang San", host=HOST, company="华为技术有限公司")
        # what this test is about: the badge's bytes take longer than the old fixed 10 s
        assert serial_printer.line_seconds > 10, "the badge got smaller: lower this test's baud rate"
        assert result.printed, result.print_error
        [page] = serial_printer.wait_for_pages(1)
        assert decode(page) == result.badge  # whole: the QR at its foot decodes
        assert kiosk.verdict(result.badge).ok
        assert result.visit.current_badge.printed
        assert [e.kind for e in kiosk.log.events(result.visit.visit_id)].count(ev.PRINT_FAILED) == 0


def test_paper_out_during_the_job_is_not_printed_and_says_why(tmp_path):
    with PtyPrinter(460800, mode_after=(3_000, "paper-out")) as serial_printer:
        kiosk = kiosk_for(serial_printer.url(), tmp_path)
        result = kiosk.check_in(name="张三", host=HOST)
        assert not result.printed and not result.print_unknown
        assert "not printed whole: out of paper" in result.print_error
        assert serial_printer.pages == []
        [failed] = [e for e in kiosk.log.events(result.visit.visit_id) if e.kind == ev.PRINT_FAILED]
        assert failed.data["code"] == "interrupted"
        assert not kiosk.on_site()[0].current_badge.print_unknown


def test_a_job_sent_whole_but_never_confirmed_is_unknown_not_not_printed(tmp_path):
    # The printer takes every byte, then stops answering (a firmware busy printing, a cable
    # whose receive line broke): the badge may be in the visitor's hand.
    with PtyPrinter(460800, mode_after=(1_000, "silent")) as serial_printer:
        kiosk = kiosk_for(serial_printer.url(timeout=4), tmp_path)
        result = kiosk.check_in(name="张三", host=HOST)
        [page] = serial_printer.wait_for_pages(1)
        assert decode(page) == result.badge  # it did print
        assert not result.printed and result.print_unknown
        assert result.print_error.startswith("unknown, check the printer")
        assert "not printed" not in result.print_error
        badge = kiosk.on_site()[0].current_badge
        assert badge.print_unknown and not badge.printed
        # reception sees it came out: recorded as printed, no reprint, the badge still works
        assert kiosk.confirm_printed(result.visit.visit_id).current_badge.printed
        assert kiosk.verdict(result.badge).ok


def test_a_printer_silent_before_the_job_gets_no_byte_and_is_not_printed(tmp_path):
    with PtyPrinter(115200, mode="silent") as serial_printer:
        kiosk = kiosk_for(serial_printer.url(), tmp_path)
        result = kiosk.check_in(name="张三", host=HOST)
        assert not result.printed and not result.print_unknown
        assert "not printed: the printer does not answer" in result.print_error
        assert serial_printer.received <= 6  # two status questions, never the badge


def test_reprint_says_the_badge_it_revokes_may_be_in_the_visitors_hand(tmp_path):
    with PtyPrinter(460800, mode_after=(1_000, "silent")) as serial_printer:
        url = serial_printer.url(timeout=4)
        cmd = KioskCommand(tmp_path / "data", KIOSK_PRINTER=url)
        first = cmd.json("checkin", "--name", "张三", "--host", "李四", check=6)
        assert (first["printed"], first["print_outcome"]) == (None, "unknown")
        serial_printer.mode_after, serial_printer.mode = None, "ready"
        again = cmd.json("reprint", first["visit_id"], check=0)
        assert again["revoked"] == first["badge_number"] and again["revoked_may_be_held"] is True
        text = cmd("reprint", again["visit_id"], check=0).stdout
        assert f"badge {again['badge_number']} revoked (it was printed" in text


def test_the_serial_default_is_115200_baud():
    printer = open_printer("serial:///dev/ttyS0")
    assert DEFAULT_BAUDRATE == 115200 and printer.link.bytes_per_second == 11_520


@given(height=st.integers(1, 4000), baud=st.sampled_from([9600, 19200, 38400, 57600, 115200, 230400]))
def test_a_jobs_deadline_outlasts_its_bytes_on_the_line_and_its_paper(height, baud):
    page = Image.new("1", (576, height), 1)
    link = deadline.serial_link(baud)
    line_seconds = 576 // 8 * height * 10 / baud
    seconds = deadline.job_seconds([page], link)
    assert seconds >= max(deadline.MIN_JOB_SECONDS, line_seconds + deadline.print_seconds([page]))
    assert seconds >= deadline.job_seconds([page], deadline.serial_link(baud * 2))  # slower link, longer wait


@pytest.mark.parametrize("url,link", [("network://10.0.0.5", "network"), ("usb://04b8:0e15", "usb"),
                                      ("serial:///dev/ttyUSB0?baudrate=9600", "serial at 9600 baud")])
def test_each_link_has_its_own_estimate(url, link):
    assert open_printer(url).link.name == link


def test_a_usb_printer_that_answers_after_printing_its_buffer_is_waited_for(tmp_path, monkeypatch):
    # 64 KB of buffer at 40 KB/s of paper: the question after the badge is answered 1.6 s
    # later, past the 1.5 s status wait (which called it "not printed whole: does not answer").
    usb_printer = UsbPrinter(40_000, buffer_size=65536)
    usb_printer.install(monkeypatch)
    kiosk = kiosk_for("usb://04b8:0e15", tmp_path)
    result = kiosk.check_in(name="张三", host=HOST)
    assert result.printed, result.print_error
    [page] = usb_printer.pages
    assert decode(page) == result.badge


def test_a_usb_printer_out_of_paper_before_the_job_gets_nothing(tmp_path, monkeypatch):
    usb_printer = UsbPrinter(100_000, mode="paper-out")
    usb_printer.install(monkeypatch)
    result = kiosk_for("usb://04b8:0e15", tmp_path).check_in(name="张三", host=HOST)
    assert not result.printed and "not printed: out of paper" in result.print_error
    assert usb_printer.received <= 9 and usb_printer.pages == []


def test_a_job_given_up_before_its_first_byte_never_sends_one_later(tmp_path):
    # A device file with nobody behind it yet (a FIFO: opening it blocks until a reader comes):
    # the kiosk gives up at the deadline and says "not printed" (a fallback may take the job).
    # When a reader does come, the abandoned job must send nothing, or that would be false.
    import os
    import threading

    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    printer = open_printer(f"file://{fifo}?timeout=1")
    with pytest.raises(Exception, match="^not printed") as refused:
        printer.print_image(Image.new("1", (printer.width, 200), 0))
    assert refused.value.reached_printer is False
    received = []
    reader = threading.Thread(target=lambda: received.append(Path(fifo).read_bytes()), daemon=True)
    reader.start()  # the abandoned thread's open() now returns
    reader.join(10)
    assert not reader.is_alive() and received == [b""]
