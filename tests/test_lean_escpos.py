"""The lean and hybrid ESC/POS streams, decoded back to paper by the virtual printer's parser
(printer/virtual.py, which reads Epson's commands, not our encoder's intentions): the raster
parts come back dot for dot, the printer's own QR decodes (zxing-cpp) to the badge token at
the module size we asked for, Chinese and the name never travel as text, and the streams are
a fraction of the all-raster one. Through TCP and the kiosk: tests/test_printing.py."""

from datetime import datetime, timedelta, timezone

import pytest
import zxingcpp
from escpos.capabilities import get_profile
from escpos.printer import Dummy
from PIL import Image, ImageChops, ImageOps

from printer.badge import BadgeContent, render_badge, type_labels
from printer.device import FRAGMENT_HEIGHT, open_printer
from printer.errors import PrinterError
from printer.escpos_lean import NO_CUTTER_FEED, encode_page
from printer.escpos_stream import EscPosStream

BEIJING = timezone(timedelta(hours=8))
TOKEN = "VB1" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 5)[:152]  # a signed token's length
PROFILES = {"POS-5890": 384, "RP-F10-58mm": 432, "TM-T88V": 512, "TM-T20II": 576}


def badge(width: int, **changes) -> Image.Image:
    fields = dict(name="张三 Zhang San", company="华为技术有限公司", host_name="李四", host_department="研发部",
                  issued_at=datetime(2026, 12, 7, 9, 30, tzinfo=BEIJING),
                  valid_until=datetime(2026, 12, 7, 18, 0, tzinfo=BEIJING), badge_number="K7QF-2M9X",
                  qr_text=TOKEN, organisation="示例科技有限公司")
    fields.update(changes)
    return render_badge(BadgeContent(**fields), width)


def english(width: int, **changes) -> Image.Image:
    return badge(width, **{**dict(name="Alexandra Smith", company="Contoso Ltd", host_name="Wang Fang",
                                  host_department="Procurement", lang="en", organisation="Example Holdings",
                                  visitor_type=type_labels("contractor"), escort=True), **changes})


def printed(data: bytes, width: int):
    """What the printer makes of the bytes: the one page, whether it was cut."""
    stream = EscPosStream(width)
    pages = stream.feed(data)
    rest = stream.close()
    assert len(pages) + (rest is not None) == 1
    return pages[0] if pages else rest


def decode(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(ImageOps.expand(image.convert("L"), 32, fill=255))
    assert len(found) == 1
    return found[0].text


def raster_bytes(image: Image.Image, profile: str) -> int:
    """The old stream, as python-escpos sends it (and the kiosk did before)."""
    dummy = Dummy(profile=profile)
    dummy.image(image, impl="bitImageRaster", fragment_height=FRAGMENT_HEIGHT)
    dummy.cut()
    return len(dummy.output)


def same_paper(paper: Image.Image, original: Image.Image, rows: range) -> bool:
    """Rows of the printout equal those of the original (the printout may be narrower: a band
    is sent only as wide as its ink)."""
    crop = Image.new("1", (original.width, len(rows)), 1)
    crop.paste(paper.crop((0, rows.start, min(paper.width, original.width), rows.stop)), (0, 0))
    expected = original.crop((0, rows.start, original.width, rows.stop))
    return ImageChops.difference(crop.convert("L"), expected.convert("L")).getbbox() is None


def test_lean_without_native_qr_prints_the_badge_dot_for_dot_and_feeds_past_the_tear_bar():
    original = badge(384)
    data = encode_page(original, stream="lean", profile=get_profile("POS-5890"))
    page = printed(data, 384)
    paper = page.render()
    assert page.unknown == [] and page.text == "" and not page.cut  # POS-5890: no cutter
    assert same_paper(paper, original, range(original.height))
    assert paper.height == original.height + NO_CUTTER_FEED
    assert decode(paper) == TOKEN
    assert b"\x1dV" not in data[-8:] and data.endswith(b"\x1bJ" + bytes([NO_CUTTER_FEED]))


@pytest.mark.parametrize("profile", ["RP-F10-58mm", "TM-T88V", "TM-T20II"])
def test_lean_sends_the_printers_own_qr_at_our_module_size_with_a_quiet_zone(profile):
    width = PROFILES[profile]
    original = badge(width)
    qr = original.info["qr"]
    data = encode_page(original, stream="lean", profile=get_profile(profile), qr="printer")
    page = printed(data, width)
    paper = page.render()
    assert page.unknown == [] and page.cut
    assert b"\x1d(k" in data and len(data) < raster_bytes(original, profile) * 0.45
    # Everything but the QR comes back dot for dot, and the QR takes exactly its place.
    assert same_paper(paper, original, range(qr.top))
    assert same_paper(paper, original, range(qr.top + qr.height, original.height))
    assert paper.height == original.height
    symbol = paper.crop((0, qr.top, paper.width, qr.top + qr.height))
    assert decode(symbol) == TOKEN
    ink = ImageOps.invert(symbol.convert("L")).getbbox()
    quiet = 4 * qr.dots
    assert ink[1] == quiet and ink[3] == qr.height - quiet  # the quiet zone we fed, above and below
    assert (ink[2] - ink[0]) == (qr.modules - 8) * qr.dots  # the module size we asked for
    assert data.endswith(b"\x1dVA\x00")  # feed to the cutter, then cut: no fixed 22.5 mm


def test_a_partial_cut_is_asked_for_with_feed_to_cutter():
    data = encode_page(badge(576), stream="lean", profile=get_profile("TM-T20II"), cut="PART")
    assert data.endswith(b"\x1dVB\x00") and b"\x1bd\x06" not in data  # no python-escpos fixed feed


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_lean_by_default_saves_blank_rows_and_sends_every_dot_of_the_qr(profile):
    width = PROFILES[profile]
    original = badge(width)
    data = encode_page(original, stream="lean", profile=get_profile(profile))
    assert b"\x1d(k" not in data  # the printer's QR only when asked: clones that lack it pass for Epsons
    assert len(data) < 0.8 * raster_bytes(original, profile)
    page = printed(data, width)
    assert same_paper(page.render(), original, range(original.height)) and decode(page.render()) == TOKEN


def test_hybrid_uses_the_printers_qr_unless_told_not_to():
    original, profile = badge(576), get_profile("TM-T20II")
    assert b"\x1d(k" in encode_page(original, stream="hybrid", profile=profile)
    data = encode_page(original, stream="hybrid", profile=profile, qr="raster")
    assert b"\x1d(k" not in data and decode(printed(data, 576).render()) == TOKEN
    assert b"\x1d(k" not in encode_page(original, stream="hybrid", profile=get_profile("POS-5890"))


def test_a_badge_image_changed_after_layout_is_sent_as_the_raster_it_now_is():
    # Pillow copies info to derived images: a badge scaled (or pasted on a label) keeps the
    # original's QR position, which no longer holds; it must not be trusted.
    scaled = badge(576).resize((576, 1000))
    for stream in ("lean", "hybrid"):
        data = encode_page(scaled, stream=stream, profile=get_profile("TM-T20II"), qr="printer")
        page = printed(data, 576)
        assert b"\x1d(k" not in data and page.text == ""
        assert same_paper(page.render(), scaled.convert("1"), range(scaled.height))


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_hybrid_puts_latin_words_in_the_printers_font_and_keeps_the_name_and_chinese_raster(profile):
    width = PROFILES[profile]
    original = english(width)
    data = encode_page(original, stream="hybrid", profile=get_profile(profile))
    page = printed(data, width)
    assert page.unknown == []
    assert decode(page.render()) == TOKEN
    lines = [line.strip() for line in page.text.splitlines()]
    for words in ("CONTRACTOR", "ESCORT REQUIRED", "Example Holdings", "Contoso Ltd", "Wang Fang", "18:00",
                  "2026-12-07", "No. K7QF-2M9X", "Scan at exit when leaving"):
        assert words in lines
    assert "Alexandra" not in page.text  # the name is raster, exactly as designed
    assert not any("\u4e00" <= char <= "\u9fff" for char in page.text)  # Chinese never as text
    # POS-5890 has no QR command: its QR stays raster, most of what is left.
    assert len(data) < raster_bytes(original, profile) / (2 if profile == "POS-5890" else 5)


def test_hybrid_of_a_chinese_badge_sends_only_what_a_code_page_shows_as_text():
    page = printed(encode_page(badge(576), stream="hybrid", profile=get_profile("TM-T20II")), 576)
    assert page.unknown == [] and page.cut
    assert decode(page.render()) == TOKEN
    assert "18:00" in page.text and "No. K7QF-2M9X" in page.text
    assert not any(ord(char) > 0x7E for char in page.text)


def test_hybrid_sends_no_typed_control_character_to_the_printer():
    # A company name with ESC @ (reset), GS V (cut) and DLE EOT (status) in it: drawn, never sent.
    original = english(576, company="Evil\x1b@\x1dV\x00\x10\x04\x01 Corp", host_name="Wang\x1bd\x09Fang")
    page = printed(encode_page(original, stream="hybrid", profile=get_profile("TM-T20II")), 576)
    assert page.unknown == [] and page.cut
    assert "Evil" not in page.text and "Wang" not in page.text
    assert decode(page.render()) == TOKEN


@pytest.mark.parametrize("url, stream, qr", [
    ("serial:///dev/ttyUSB0?profile=TM-T20II", "hybrid", "printer"),
    ("serial:///dev/rfcomm0?profile=POS-5890&baudrate=115200", "hybrid", "printer"),  # Bluetooth SPP
    ("network://192.0.2.1:9100", "lean", "raster"),
    ("file:///dev/usb/lp0", "lean", "raster"),
    ("network://192.0.2.1:9100?stream=raster", "raster", "raster"),
    ("serial:///dev/ttyS0?stream=lean", "lean", "raster"),
    ("network://192.0.2.1:9100?stream=HYBRID", "hybrid", "printer"),
    ("network://192.0.2.1:9100?qr=printer", "lean", "printer"),
    ("serial:///dev/ttyS0?qr=raster", "hybrid", "raster"),
])
def test_the_stream_follows_the_link_unless_the_url_says(url, stream, qr):
    printer = open_printer(url)
    assert (printer.stream, printer.qr) == (stream, qr)


@pytest.mark.parametrize("query, message", [("stream=fast", "stream must be one of raster, lean, hybrid"),
                                            ("qr=native", "qr must be one of printer, raster")])
def test_an_unknown_stream_or_qr_is_refused_with_the_choices(query, message):
    with pytest.raises(PrinterError, match=message):
        open_printer(f"network://192.0.2.1:9100?{query}")


def test_hybrid_text_outside_ascii_goes_in_code_page_437_not_as_chinese_double_bytes():
    # A Chinese-market printer starts in GB18030 mode, where 0x81 would begin a Chinese
    # character: FS . and ESC t 0 must come first for "ü" to print as "ü".
    original = english(576, company="Müller Straße GmbH", host_name="José Núñez")
    data = encode_page(original, stream="hybrid", profile=get_profile("TM-T20II"))
    page = printed(data, 576)
    lines = [line.strip() for line in page.text.splitlines()]
    assert "Müller Straße GmbH" in lines and "José Núñez" in lines
    assert "Müller".encode("cp437") in data
