"""Label printers through a real CUPS daemon (tests/cups_fixtures.py): the kiosk signs a
visitor in with ``cups://QUEUE?media=...``, Debian's drivers (ptouch for Brother QL, dymo for
LabelWriter, the generic PDF printer for sheets) make the printer's bytes, a ``file://`` back
end keeps them, and readers independent of our code (tests/label_decoders.py, poppler's
pdftoppm) turn them back into the label, whose QR must decode to the badge the kiosk issued.

Status errors are CUPS's own states: a stopped queue, one refusing jobs, a printer it cannot
reach, media the driver does not have, a CUPS that is not there.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageOps

from printer import ipp
from printer.badge import BadgeContent, render_badge
from printer.device import PrinterNotReady, open_printer
from printer.errors import PrinterError
from printer.labels import MEDIA, badge_width, lay_out
from tests.conftest import KioskCommand
from tests.cups_fixtures import cups  # noqa: F401 - the fixture
from tests.label_decoders import brother_ql_pages, dymo_pages

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "labels"
GENERIC_PDF_PPD = "/usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd"
BEIJING = timezone(timedelta(hours=8))


def save(image: Image.Image, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / name)


def decoded(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image.convert("L"))]


def checkin(tmp_path, url: str, check: int = 0) -> dict:
    kiosk = KioskCommand(tmp_path / "data", KIOSK_PRINTER=url, KIOSK_ORGANISATION="示例科技有限公司")
    return kiosk.json("checkin", "--name", "张三 Zhang San", "--host", "李四", "--company", "华为技术有限公司",
                      check=check)


def url(cups, queue: str, media: str, **more) -> str:  # noqa: F811 - the fixture
    query = "&".join(f"{k}={v}" for k, v in {"media": media, "server": cups.server, **more}.items())
    return f"cups://{queue}?{query}"


# -- each medium, through its driver, back to an image --------------------------------------------

@pytest.mark.parametrize("media", ["62x100", "DK-11202"])
def test_brother_die_cut_badge_fits_the_label_and_its_qr_decodes(cups, tmp_path, media):  # noqa: F811
    out = cups.add_queue(f"QL_{media.replace('-', '_')}", "ql")
    result = checkin(tmp_path, url(cups, out.stem, media))
    assert result["printed"] is True, result
    [label] = brother_ql_pages(out.read_bytes())
    save(label, f"cups-ql-{media}.png")
    # DK-11202 is 62x100 mm: the driver's fixed 1109 rows of 720 dots, never longer.
    assert label.size == (720, 1109)
    assert decoded(label) == [result["badge"]]


def test_brother_continuous_tape_is_cut_to_the_badge_length(cups, tmp_path):  # noqa: F811
    out = cups.add_queue("QL_tape", "ql")
    result = checkin(tmp_path, url(cups, "QL_tape", "62mm"))
    assert result["printed"] is True, result
    [label] = brother_ql_pages(out.read_bytes())
    save(label, "cups-ql-62mm.png")
    rows_with_ink = [y for y in range(label.height) if label.crop((0, y, label.width, y + 1)).getextrema()[0] == 0]
    # The whole badge and no more: ink from near the top to near the end of the tape.
    assert rows_with_ink[0] < 60 and label.height - rows_with_ink[-1] < 120
    assert decoded(label) == [result["badge"]]


@pytest.mark.parametrize("media", ["30857", "S0929100"])
def test_dymo_badge_label_and_its_qr_decodes(cups, tmp_path, media):  # noqa: F811
    out = cups.add_queue(f"DY_{media}", "dymo")
    result = checkin(tmp_path, url(cups, out.stem, media))
    assert result["printed"] is True, result
    [label] = dymo_pages(out.read_bytes())
    save(label, f"cups-dymo-{media}.png")
    assert label.width == 672 and label.height <= 1112  # the 450's head; the label's printable length
    assert decoded(label) == [result["badge"]]


@pytest.mark.parametrize("media", ["a4", "letter"])
def test_a_sheet_holds_four_badges_each_readable(cups, tmp_path, media):  # noqa: F811
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm missing: apt install poppler-utils")
    queue = f"SHEET_{media}"
    out = cups.root / "out" / f"{queue}.pdf"
    cups.lpadmin("-p", queue, "-E", "-v", f"file://{out}", "-P", GENERIC_PDF_PPD)
    printer = open_printer(url(cups, queue, media))
    tokens = [f"VB1TEST{i}" + "A" * 150 for i in range(4)]
    printer.print_pages([render_badge(content(token), printer.width) for token in tokens], name="sheet")
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(out), str(tmp_path / "sheet")], check=True)
    [page] = sorted(tmp_path.glob("sheet*.png"))
    sheet = Image.open(page)
    save(sheet, f"cups-sheet-{media}.png")
    assert sorted(decoded(sheet)) == sorted(tokens)
    # Everything inside what the PPD says an office printer prints (its ImageableArea, points).
    page_height, (llx, lly, urx, ury) = {"a4": (842, (18, 36, 577, 806)), "letter": (792, (18, 36, 594, 756))}[media]
    px = 200 / 72
    x0, y0, x1, y1 = ImageOps.invert(sheet.convert("L")).getbbox()
    assert llx * px <= x0 and x1 <= urx * px and (page_height - ury) * px <= y0 and y1 <= (page_height - lly) * px


@pytest.mark.parametrize("driver, key", [("ql", "62x100"), ("ql", "62mm"), ("dymo", "30857")])
def test_the_room_we_give_a_badge_is_what_the_driver_prints(cups, driver, key):  # noqa: F811
    """A frame around the whole room a badge gets comes back whole: no row or column of it is
    lost between our image and the driver's bytes."""
    out = cups.add_queue(f"frame_{driver}_{key}", driver)
    printer = open_printer(url(cups, out.stem, key))
    width, length = MEDIA[key].cell_dots(printer.dpi)
    frame = Image.new("1", (width, length or 800), 1)
    ImageDraw.Draw(frame).rectangle((0, 0, frame.width - 1, frame.height - 1), outline=0, width=2)
    printer.print_image(frame)
    [label] = (brother_ql_pages if driver == "ql" else dymo_pages)(out.read_bytes())
    ink = ImageOps.invert(label.convert("L"))
    left, top, right, bottom = ink.getbbox()
    assert (right - left, bottom - top) == frame.size
    for x, y in [(left, (top + bottom) // 2), (right - 1, (top + bottom) // 2),
                 ((left + right) // 2, top), ((left + right) // 2, bottom - 1)]:
        assert ink.getpixel((x, y)) == 255  # each side of the frame is there


def content(token: str, **changes) -> BadgeContent:
    start = datetime(2026, 12, 7, 9, 30, tzinfo=BEIJING)
    fields = dict(name="王小明 Wang Xiaoming", company="示例科技", host_name="李四", host_department="研发部",
                  issued_at=start, valid_until=start + timedelta(hours=12), badge_number="K7QF-2M9X",
                  qr_text=token, organisation="示例科技有限公司")
    return BadgeContent(**{**fields, **changes})


# -- status errors in words, and "not printed" only when true --------------------------------------

def test_a_stopped_queue_refuses_before_sending_and_says_how_to_start_it(cups, tmp_path):  # noqa: F811
    out = cups.add_queue("QL_stopped", "ql")
    cups.tool("cupsdisable", "QL_stopped")
    result = checkin(tmp_path, url(cups, "QL_stopped", "62x100"), check=4)
    assert result["printed"] is False
    assert "stopped" in result["print_error"] and "QL_stopped" in result["print_error"]
    assert jobs(cups, "QL_stopped") == [] and not out.exists()
    with pytest.raises(PrinterNotReady) as refused:  # the same refusal a receipt printer gives
        open_printer(url(cups, "QL_stopped", "62x100")).print_image(Image.new("1", (600, 900), 1))
    assert refused.value.code == "offline"


def test_a_queue_refusing_jobs_says_so(cups, tmp_path):  # noqa: F811
    cups.add_queue("QL_rejecting", "ql")
    cups.tool("cupsreject", "QL_rejecting")
    with pytest.raises(PrinterError, match="not accepting jobs.*cupsaccept"):
        open_printer(url(cups, "QL_rejecting", "62x100")).print_image(Image.new("1", (600, 900), 1))


@pytest.mark.parametrize("queue_driver, media, loaded", [("dymo", "62x100", "DK-11202"), ("ql", "30857", "DYMO 30857")])
def test_media_the_driver_has_not_got_is_refused_in_words(cups, queue_driver, media, loaded):  # noqa: F811
    queue = f"wrong_{queue_driver}"
    cups.add_queue(queue, queue_driver)
    with pytest.raises(PrinterError, match=f"has no .*{loaded}.*media={media}") as error:
        open_printer(url(cups, queue, media)).print_image(Image.new("1", (600, 900), 1))
    assert jobs(cups, queue) == []
    assert "not printed" in str(error.value)


def test_a_printer_cups_cannot_reach_is_cancelled_then_reported_not_printed(cups, tmp_path):  # noqa: F811
    with socket.socket() as s:  # a port nobody listens on: the printer is switched off
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    cups.add_queue("QL_off", "ql", uri=f"socket://127.0.0.1:{dead}")
    result = checkin(tmp_path, url(cups, "QL_off", "62x100", timeout=4), check=4)
    assert result["printed"] is False
    assert "cancelled" in result["print_error"], result
    # True: CUPS holds no job that could still come out once the printer is switched on.
    assert jobs(cups, "QL_off") == []


def test_a_back_end_failing_mid_job_stops_the_queue_and_the_job_is_cancelled(cups, tmp_path):  # noqa: F811
    # The file back end cannot write here, as a USB printer unplugged mid-job: CUPS stops the
    # queue and keeps the job to print when someone starts the queue again.
    cups.add_queue("QL_broken", "ql", uri="file:///nonexistent/kiosk/label.bin")
    result = checkin(tmp_path, url(cups, "QL_broken", "62x100"), check=4)
    assert result["printed"] is False
    assert "cancelled as CUPS stopped it" in result["print_error"], result
    assert jobs(cups, "QL_broken") == []


def test_no_cups_server_is_a_clear_error_and_no_answer(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = open_printer(f"cups://QL?media=62x100&server=127.0.0.1:{port}")
    assert printer.status().value == "no_answer"
    with pytest.raises(PrinterError, match="cannot be reached.*cupsd running"):
        printer.print_image(Image.new("1", (600, 900), 1))


def test_an_unknown_queue_and_an_unknown_media_are_named(cups):  # noqa: F811
    with pytest.raises(PrinterError, match="no queue 'NOPE'.*lpstat"):
        open_printer(url(cups, "NOPE", "62x100")).print_image(Image.new("1", (600, 900), 1))
    with pytest.raises(PrinterError, match="'A7'.*62mm.*30857"):
        open_printer(url(cups, "QL", "A7"))


def test_status_follows_the_queue(cups):  # noqa: F811
    cups.add_queue("QL_status", "ql")
    printer = open_printer(url(cups, "QL_status", "62x100"))
    assert printer.status().value == "ready"
    cups.tool("cupsdisable", "QL_status")
    assert printer.status().value == "offline"


def test_printer_status_and_test_page_commands_work_on_a_label_queue(cups, tmp_path):  # noqa: F811
    out = cups.add_queue("QL_cli", "ql")
    kiosk = KioskCommand(tmp_path / "data", KIOSK_PRINTER=url(cups, "QL_cli", "62x100"))
    assert kiosk.json("printer", "status")["status"] == "ready"
    page = kiosk.json("printer", "test")
    assert page["printed"] is True and page["width"] <= 696
    [label] = brother_ql_pages(out.read_bytes())
    save(label, "cups-ql-test-page.png")
    assert label.size == (720, 1109) and decoded(label)  # the test page's QR, shrunk onto the label
    cups.tool("cupsdisable", "QL_cli")
    assert kiosk.json("printer", "status", check=1)["status"] == "offline"


def jobs(cups, queue: str) -> list[int]:  # noqa: F811
    """The ids of the queue's jobs that are not finished (pending, held, processing, stopped)."""
    client = ipp.IppClient(cups.server)
    response = client.request(0x000A, f"/printers/{queue}", [  # Get-Jobs, which-jobs=not-completed
        (ipp.OPERATION, ipp.URI, "printer-uri", client.printer_uri(queue)),
        (ipp.OPERATION, ipp.KEYWORD, "which-jobs", "not-completed"),
    ])
    return [attrs["job-id"][0] for tag, attrs in response.groups if tag == ipp.JOB and "job-id" in attrs]


# -- the layout, without CUPS -------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["62x100", "30857"])
def test_the_tallest_badge_fits_a_die_cut_label_without_shrinking(key):
    medium = MEDIA[key]
    width = badge_width(medium, 300)
    _, length = medium.area_dots(300)
    long_text = content("VB1" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 5 + "ABCDEFGHIJKLMNOPQRSTUV",
                        name="Bartholomew Maximilian Featherstonehaugh-Cholmondeley",
                        company="Shenzhen International Logistics and Supply Chain Management Co Ltd",
                        host_department="Facilities, Safety and Environmental Compliance", lang="en")
    badge = render_badge(long_text, width)
    assert badge.height <= length
    [placed] = lay_out([badge], medium, 300)
    save(placed, f"layout-{key}.png")
    assert placed.size == medium.area_dots(300) and decoded(placed) == [long_text.qr_text]


@pytest.mark.parametrize("key", list(MEDIA))
def test_any_page_stays_inside_what_the_driver_prints(key):
    """Short, tall or wide, a page lands inside the safe box of the printable area, whole
    (shrunk if need be); only continuous tape grows with it."""
    medium = MEDIA[key]
    width, length = medium.area_dots(300)
    left, top, safe_w, safe_h = medium.safe_box(300)
    for size in [(100, 10), (medium.cell_dots(300)[0], 900), (400, 5000), (3000, 300)]:
        [placed] = lay_out([Image.new("1", size, 0)], medium, 300)
        assert placed.width == width
        if length is not None:
            assert placed.height == length
        x0, y0, x1, y1 = ImageOps.invert(placed.convert("L")).getbbox()
        assert left <= x0 and x1 <= left + safe_w and top <= y0 and y1 <= top + (safe_h or placed.height)
