"""Brother QL direct: badges over real TCP (and a pseudo-terminal standing in for /dev/usb/lp0)
into a virtual QL, read back into labels by an independent decoder, brother_ql's reader (a
GPL-3.0 test-only tool, never shipped or imported by the kiosk: see README), whose QR decodes
to the badge token; the printer's status before and after the job, in words.
"""

import io
import os
from datetime import datetime, timezone
from pathlib import Path

import packbits as reference_packbits  # brother_ql's own dependency: an independent PackBits
import pytest
import zxingcpp
from brother_ql.reader import BrotherQLReader
from hypothesis import given, strategies as st
from PIL import Image, ImageDraw

from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.badge import BadgeContent, render_badge
from printer.brother_ql import BrotherQLPrinter
from printer.device import open_printer
from printer.errors import PrinterError
from printer.ql_raster import MEDIA, packbits
from printer.status import Status
from tests.conftest import KioskCommand
from tests.virtual_ql import COMPLETED, ERROR, NetworkQL, UsbQL, status_bytes

# a crash inside the virtual printer's threads fails the test that caused it
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
HOST = Host("h1", "李四", "研发部")


def loaded(label: str, **fields) -> bytes:
    """The status of a QL with this DK roll in it."""
    medium = MEDIA[label]
    return status_bytes(width=medium.width_mm, length=medium.length_mm, **fields)


def decode_labels(data: bytes, tmp_path: Path) -> tuple[list[Image.Image], BrotherQLReader]:
    """The labels a QL would print from ``data``, by brother_ql's reader (not our encoder)."""
    out = tmp_path / "decoded"
    out.mkdir(parents=True, exist_ok=True)
    reader = BrotherQLReader(io.BytesIO(data))
    reader.filename_fmt = str(out / "label{counter:04d}.png")
    reader.analyse()
    return [Image.open(p).convert("1") for p in sorted(out.glob("label*.png"))], reader


def qr_text(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return found[0].text


def kiosk_on(url: str, tmp_path: Path) -> Kiosk:
    return Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=url),
                      open_printer(url))


def printable(label: Image.Image, medium) -> Image.Image:
    left = 720 - medium.dots - medium.right_pins
    return label.crop((left, 0, left + medium.dots, label.height))


@pytest.mark.parametrize("label", ["62", "62x100", "29", "29x90"])
def test_a_badge_on_each_roll_decodes_to_its_token(tmp_path, label, capsys):
    medium = MEDIA[label]
    with NetworkQL(loaded(label)) as ql:
        kiosk = kiosk_on(ql.url(model="QL-820NWB", label=label), tmp_path)
        result = kiosk.check_in(name="欧阳娜娜 Nana Ouyang-Schwarzenegger", host=HOST, company="示例科技有限公司")
        assert result.printed, result.print_error
        assert [b.unknown for b in ql.brains] == [[]] and ql.brains[0].status_requests == 1
        [badge], reader = decode_labels(ql.received, tmp_path)
    assert badge.width == 720  # the whole head; the badge sits on the roll's printable pins
    if medium.die_cut:
        # exactly the label's dots, however tall the badge was laid out
        assert badge.height == medium.length_dots == reader.raster_no
    assert reader.mwidth == medium.width_mm and reader.cut_at_end and not reader.high_resolution_printing
    assert qr_text(badge) == result.badge and kiosk.verdict(result.badge).ok
    ARTIFACTS.mkdir(exist_ok=True)
    printable(badge, medium).save(ARTIFACTS / f"brother-ql-{label}.png")


def badge_content() -> BadgeContent:
    moment = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
    return BadgeContent(name="欧阳娜娜 Nana Ouyang", company="示例科技有限公司", host_name="李四",
                        host_department="研发部", issued_at=moment, valid_until=moment,
                        badge_number="K7QF-2M9X", qr_text="VB1" + "A" * 180)


def test_a_badge_taller_than_the_die_cut_label_is_fitted_not_refused(tmp_path):
    page = render_badge(badge_content(), 696)
    assert page.height > MEDIA["62x100"].length_dots  # 696x1220 for 696x1109: what brother_ql refuses
    with NetworkQL(loaded("62x100")) as ql:
        open_printer(ql.url(label="62x100")).print_image(page)
        [label], _ = decode_labels(ql.received, tmp_path)
    assert label.size == (720, 1109) and qr_text(label) == badge_content().qr_text


@pytest.mark.parametrize("label", ["62", "29", "62x29"])
def test_the_label_is_the_page_dot_for_dot_and_not_mirrored(tmp_path, label):
    medium = MEDIA[label]
    page = Image.new("1", (medium.dots, medium.length_dots or 300), 1)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 40, 20), fill=0)  # top left only: a mirror image would show it right
    draw.text((60, 40), "R", fill=0)
    for x in range(0, medium.dots, 7):
        draw.point((x, page.height - 1), fill=0)
    with NetworkQL(loaded(label)) as ql:
        open_printer(ql.url(label=label)).print_image(page)
        [decoded], _ = decode_labels(ql.received, tmp_path)
    assert printable(decoded, medium).tobytes() == page.tobytes()
    # nothing printed outside the roll's printable pins
    assert decoded.crop((0, 0, 720, decoded.height)).getbbox() is not None
    outside = Image.new("1", decoded.size, 1)
    outside.paste(printable(decoded, medium), (720 - medium.dots - medium.right_pins, 0))
    assert outside.tobytes() == decoded.tobytes()


def test_the_kiosks_62x100_badge_fits_the_label_unscaled(tmp_path):
    with NetworkQL(loaded("62x100")) as ql:
        printer = open_printer(ql.url(label="62x100"))
        badge = render_badge(badge_content(), printer.width)  # as the kiosk lays it out
        printer.print_image(badge)
        [label], _ = decode_labels(ql.received, tmp_path)
    ink = badge.convert("L").point(lambda v: 255 - v).getbbox()
    trimmed = badge.crop((0, ink[1], badge.width, ink[3]))
    assert trimmed.height <= 1109
    left, top = 12 + (696 - badge.width) // 2, (1109 - trimmed.height) // 2
    # centred on the label dot for dot: nothing was resampled
    assert label.crop((left, top, left + badge.width, top + trimmed.height)).tobytes() == trimmed.tobytes()


@pytest.mark.parametrize("model,compressed,mode_switch,cutter", [
    ("QL-820NWB", True, True, True), ("QL-800", False, True, True), ("QL-700", False, False, True),
    ("QL-500", False, False, False),
])
def test_each_model_gets_only_the_commands_its_firmware_takes(tmp_path, model, compressed, mode_switch, cutter):
    with NetworkQL(loaded("62")) as ql:
        open_printer(ql.url(model=model, label="62")).print_image(render_badge(badge_content(), 696))
        [label], reader = decode_labels(ql.received, tmp_path)
        sent = ql.received
    assert qr_text(label) == badge_content().qr_text
    assert (b"M\x02" in sent, b"\x1bia\x01" in sent, b"\x1biK\x08" in sent) == (compressed, mode_switch, cutter)
    assert reader.compression is compressed
    if not compressed:
        assert sent.count(b"g\x00\x5a") == label.height  # every line 90 bytes as it is


def test_two_pages_are_two_labels_each_cut(tmp_path):
    pages = [Image.new("1", (696, 200), 1), Image.new("1", (696, 260), 0)]
    with NetworkQL(loaded("62")) as ql:
        open_printer(ql.url(label="62")).print_pages(pages)
        labels, _ = decode_labels(ql.received, tmp_path)
        assert ql.brains[0].pages == 2
    # brother_ql's reader starts a new page only at ESC @, so its second image holds both
    # pages' lines; the second page is its last 260 lines
    assert [label.height for label in labels] == [200, 460]
    assert labels[0].getextrema() == (1, 1) or labels[0].getextrema() == (255, 255)
    assert labels[1].crop((12, 200, 708, 460)).getextrema() == (0, 0)
    assert ql.received.count(b"\x1biz") == 2 and ql.received.endswith(b"\x1a")
    assert ql.received.count(b"\x0c") >= 1


@pytest.mark.parametrize("label,status,words", [
    ("62", loaded("29"), "wrong labels: loaded 29 mm, the badge needs 62 mm"),
    ("62x100", loaded("62"), "loaded 62 mm continuous tape, the badge needs 62x100 mm die-cut"),
    ("62x100", loaded("62x29"), "loaded 62x29 mm die-cut labels, the badge needs 62x100 mm die-cut"),
])
def test_the_wrong_roll_is_refused_in_words_before_a_label_is_spent(tmp_path, label, status, words):
    with NetworkQL(status) as ql:
        kiosk = kiosk_on(ql.url(label=label), tmp_path)
        result = kiosk.check_in(name="张三", host=HOST)
        assert not result.printed and words in result.print_error
        assert result.print_error.startswith("not printed: ")
        assert all(b.pages == 0 and b"\x1biz" not in b.received for b in ql.brains)  # no job sent
        printer = open_printer(ql.url(label=label))
        assert printer.status() is Status.OFFLINE and words in printer.status_message(Status.OFFLINE)
    assert kiosk.in_building()  # the visit is kept; reception reprints once the roll is right


@pytest.mark.parametrize("fields,state,words", [
    ({"error1": 0x01, "width": 0, "media_type": 0}, Status.PAPER_OUT, "no labels are loaded"),
    ({"error1": 0x02}, Status.PAPER_OUT, "the label roll has run out"),
    ({"error1": 0x04}, Status.OFFLINE, "the cutter is jammed"),
    ({"error2": 0x10}, Status.COVER_OPEN, "the printer cover is open"),
    ({"error2": 0x40}, Status.PAPER_OUT, "the labels cannot be fed"),
])
def test_a_printer_that_cannot_print_says_why_and_gets_no_job(tmp_path, fields, state, words):
    with NetworkQL(status_bytes(**{"width": 62, **fields})) as ql:
        printer = open_printer(ql.url(label="62"))
        assert printer.status() is state and words in printer.status_message(state)
        with pytest.raises(PrinterError, match=f"^not printed: .*{words}"):
            printer.print_image(Image.new("1", (696, 300), 1))
        assert all(b.pages == 0 for b in ql.brains)


def test_an_error_while_printing_means_not_printed_whole(tmp_path):
    failure = loaded("62x100", status_type=ERROR, error1=0x02)  # end of the roll mid-label
    with NetworkQL(loaded("62x100"), fail_with=failure) as ql:
        result = kiosk_on(ql.url(label="62x100"), tmp_path).check_in(name="张三", host=HOST)
    assert not result.printed
    assert result.print_error.startswith("not printed whole: the label roll has run out")


def test_a_head_cooling_down_is_not_a_failure(tmp_path):
    with NetworkQL(loaded("62"), cooling=True) as ql:
        result = kiosk_on(ql.url(label="62"), tmp_path).check_in(name="张三", host=HOST)
        assert result.printed, result.print_error
        [badge], _ = decode_labels(ql.received, tmp_path)
    assert qr_text(badge) == result.badge


def test_a_network_printer_that_never_answers_on_9100_still_prints(tmp_path):
    with NetworkQL(loaded("62x100"), silent=True) as ql:
        printer = open_printer(ql.url(label="62x100"))
        assert printer.status() is Status.UNKNOWN and "status unknown" in printer.status_message(Status.UNKNOWN)
        result = kiosk_on(ql.url(label="62x100"), tmp_path).check_in(name="张三", host=HOST)
        assert result.printed, result.print_error  # it read the whole job: "not printed" is not known
        [badge], _ = decode_labels(bytes(ql.brains[-1].received), tmp_path)
    assert qr_text(badge) == result.badge


def test_a_printer_that_goes_quiet_is_not_worded_by_its_last_reply():
    with NetworkQL(loaded("62")) as ql:
        printer = open_printer(ql.url(label="62"))
        assert printer.status() is Status.READY and printer.status_message(Status.READY).startswith("ready (")
    # switched off: the words are not the "ready (62 mm ...)" it said before (the console shows them)
    assert printer.status() is Status.NO_ANSWER
    assert printer.status_message(Status.NO_ANSWER) == "the printer does not answer"


def test_no_printer_at_the_address_is_not_printed(tmp_path):
    with NetworkQL() as ql:
        url = ql.url(label="62")
    printer = open_printer(url)
    assert printer.status() is Status.NO_ANSWER
    result = kiosk_on(url, tmp_path).check_in(name="张三", host=HOST)
    assert not result.printed and "refused the connection" in result.print_error


def test_usb_device_file_reads_status_and_prints(tmp_path):
    with UsbQL(loaded("62x100")) as ql:
        kiosk = kiosk_on(ql.url(model="QL-700", label="62x100"), tmp_path)
        result = kiosk.check_in(name="王五", host=HOST)
        assert result.printed, result.print_error
        assert ql.brain.status_requests == 1 and ql.brain.pages == 1 and ql.brain.unknown == []
        [badge], _ = decode_labels(ql.received, tmp_path)
    assert badge.height == 1109 and qr_text(badge) == result.badge


def test_usb_reports_left_over_from_the_last_job_are_not_taken_for_the_answer(tmp_path):
    with UsbQL(loaded("29")) as ql:
        # the last job's "printing completed" and "waiting" still sit in the device's buffer
        os.write(ql.master, loaded("62", status_type=COMPLETED) + loaded("62", status_type=0x06))
        printer = open_printer(ql.url(label="62"))
        with pytest.raises(PrinterError, match="loaded 29 mm, the badge needs 62 mm"):
            printer.print_image(Image.new("1", (696, 300), 1))


def test_usb_wrong_roll_and_silence_are_refused(tmp_path):
    with UsbQL(loaded("29")) as ql:
        printer = open_printer(ql.url(label="62"))
        assert printer.status() is Status.OFFLINE
        with pytest.raises(PrinterError, match="loaded 29 mm, the badge needs 62 mm"):
            printer.print_image(Image.new("1", (696, 300), 1))
        assert ql.brain.pages == 0
    with UsbQL(loaded("62"), silent=True) as ql:
        printer = open_printer(ql.url(label="62"))
        assert printer.status() is Status.NO_ANSWER  # a USB printer always answers: it is not there
        with pytest.raises(PrinterError, match="^not printed: the printer does not answer"):
            printer.print_image(Image.new("1", (696, 300), 1))
        assert b"\x1biz" not in ql.received


def test_cli_checkin_and_status_on_a_brother_ql(tmp_path):
    with NetworkQL(loaded("62x100")) as ql:
        cmd = KioskCommand(tmp_path / "data", KIOSK_PRINTER=ql.url(model="QL-820NWB", label="62x100"))
        assert cmd.json("printer", "status")["status"] == "ready"
        result = cmd.json("checkin", "--name", "张三", "--host", "李四")
        assert result["printed"] is True
        width = open_printer(ql.url(label="62x100")).width
        assert cmd.json("printer", "test")["width"] == width < 696  # a badge's width that fits 100 mm
        badge_job, test_job = [b.received for b in ql.brains if b.pages]
        [badge], _ = decode_labels(bytes(badge_job), tmp_path)
        assert qr_text(badge) == result["badge"]
        [test_page], _ = decode_labels(bytes(test_job), tmp_path / "test")
        assert qr_text(test_page) == f"KIOSK-PRINTER-TEST QL-820NWB {width}"
    with NetworkQL(loaded("29")) as ql:
        cmd = KioskCommand(tmp_path / "data", KIOSK_PRINTER=ql.url(label="62x100"))
        result = cmd.json("checkin", "--name", "李雷", "--host", "李四", check=4)
        assert "loaded 29 mm, the badge needs 62 mm" in result["print_error"]
        status = cmd.json("printer", "status", check=1)
        assert status["status"] == "offline" and "loaded 29 mm, the badge needs 62 mm" in status["message"]


@pytest.mark.parametrize("url,words", [
    ("brother-ql://10.0.0.9?label=62x999", "unknown label '62x999'"),
    ("brother-ql://10.0.0.9?model=QL-1100", "model 'QL-1100'"),
    ("brother-ql://?label=62", "give a host"),
])
def test_bad_urls_say_what_is_wrong(url, words):
    with pytest.raises(PrinterError, match=words):
        open_printer(url)


def test_urls_name_rolls_by_size_or_dk_number():
    printer = open_printer("brother-ql:///dev/usb/lp0?label=DK-11202")
    assert isinstance(printer, BrotherQLPrinter) and printer.medium.length_dots == 1109
    # even the tallest badge laid out this wide fits 100 mm as it is: never shrunk (its QR at
    # 0.75 mm a module at 300 dpi takes more of the length than the 0.59 mm one did)
    assert 400 < printer.width < 696 == printer.medium.dots
    assert open_printer("brother-ql://192.168.1.20").medium.name == "62"
    assert open_printer("brother-ql://192.168.1.20?label=62mm").medium.name == "62"  # as cups:// spells it


@given(st.binary(min_size=90, max_size=90) | st.lists(st.sampled_from([0, 255, 0x0F]), min_size=90, max_size=90).map(bytes))
def test_packbits_round_trips_through_an_independent_decoder(line):
    packed = packbits(line)
    assert reference_packbits.decode(packed) == line
    assert len(packed) <= 91  # never more than a byte over the line
