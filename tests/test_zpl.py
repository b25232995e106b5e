"""Zebra ZPL printing, end to end: the kiosk's printer sends a badge over TCP to a virtual Zebra
on 127.0.0.1; the ZPL it received is drawn back into a label by tests/zpl_render.py (our own
small interpreter, with segno drawing the QR: not the encoder the kiosk uses) and the QR on that
picture is read by zxing-cpp. Status comes from the virtual Zebra's ~HS answers.

Badge pictures for 4x3 and 4x6 in labels at 203 and 300 dpi are saved in artifacts/zpl/.
"""

import re
import string
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings, strategies as st
from PIL import Image

from kiosk.core import tokens
from printer import zpl_format
from printer.badge import BadgeContent, type_labels
from printer.device import PrintInterrupted, PrinterNotReady, open_printer
from printer.errors import PrinterError
from printer.status import Status
from printer.zpl import HostStatus, PrintUnconfirmed, ZplPrinter
from printer.zpl_badge import Label, badge_zpl
from tests.conftest import KioskCommand
from tests.zpl_render import decompress, render, tokens as zpl_tokens
from tests.zpl_virtual import VirtualZebra

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "zpl"
BEIJING = timezone(timedelta(hours=8))
SIGNER = tokens.Signer(Ed25519PrivateKey.generate())
LABELS = [("4x3", 203), ("4x6", 203), ("4x3", 300), ("4x6", 300)]
# What a label may contain: anything else in a stream means data became a command.
ALLOWED = {"^CI", "^PW", "^LL", "^LH", "^PO", "^FO", "^FR", "^A0", "^FB", "^FH", "^FD", "^FS",
           "^GB", "^GF", "^BQ", "^PQ"}


def token(site="hq") -> str:
    return SIGNER.sign(badge_id=tokens.new_badge_id(), visit_id=tokens.new_visit_id(), site=site,
                       issued_at=1_765_000_000, expires_at=1_765_036_000)


def content(**changes) -> BadgeContent:
    base = BadgeContent(name="张三", company="华为技术有限公司", host_name="李四", host_department="研发部",
                        issued_at=datetime(2026, 12, 7, 9, 30, tzinfo=BEIJING),
                        valid_until=datetime(2026, 12, 7, 18, 0, tzinfo=BEIJING),
                        badge_number="K7QF-2M9X", qr_text=token(), organisation="示例科技有限公司")
    return replace(base, **changes)


LATIN = dict(name="Alexandra Montgomery-Smithson", company="Acme Widgets GmbH", host_name="Alice Smith",
             host_department="Sales", organisation="Example Ltd", lang="en")


@pytest.fixture
def zebra():
    with VirtualZebra() as printer:
        yield printer


def printed_label(zebra):
    [label] = render(zebra.printed[-1])
    assert label.errors == []
    return label


def decode(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} codes"
    return found[0].text


# -- the badge, drawn back and scanned --------------------------------------------------------

@pytest.mark.parametrize("size,dpi", LABELS)
@pytest.mark.parametrize("case", ["zh", "en", "long"])
def test_badge_scans_to_its_token_on_every_label(zebra, size, dpi, case):
    badge = {"zh": content(), "en": content(**LATIN),
             "long": content(name="Maximilian Alexander Wolfgang von Hohenzollern-Sigmaringen", qr_text=token("a" * 20),
                             company="Internationale Gesellschaft für Zusammenarbeit", lang="en",
                             visitor_type=type_labels("contractor"))}[case]
    printer = open_printer(f"{zebra.url}?dpi={dpi}&label={size}")
    printer.print_badge(badge)
    label = printed_label(zebra)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    picture = label.picture()
    picture.save(ARTIFACTS / f"badge-{case}-{size}-{dpi}dpi.png")
    inches = [float(v) for v in size.split("x")]
    assert picture.size == (round(inches[0] * dpi), round(inches[1] * dpi))
    assert decode(picture) == badge.qr_text
    [qr] = label.qrs
    assert qr.data == badge.qr_text and qr.mode == "A" and qr.model == 2
    assert qr.level == "Q"  # the sturdiest level we aim for fits every one of these labels
    assert qr.magnification == {203: 6, 300: 9}[dpi]
    assert qr.magnification * 25.4 / dpi >= 0.75  # mm a module
    quiet = 4 * qr.magnification  # nothing else inked in the quiet zone around the code
    box = (qr.x - quiet, qr.y - quiet, qr.x + qr.side + quiet, qr.y + qr.side + quiet)
    around = label.image.crop(box)
    around.paste(0, (quiet, quiet, quiet + qr.side, quiet + qr.side))
    assert around.getbbox() is None


def test_latin_text_goes_as_text_and_chinese_as_graphics(zebra):
    printer = open_printer(f"{zebra.url}?dpi=203&label=4x6")
    printer.print_badge(content(**LATIN))
    label = printed_label(zebra)
    lines = " ".join(label.text.split())
    assert ["Alexandra", "Montgomery-Smithson"] in [t.lines for t in label.texts]
    for part in ["Acme Widgets GmbH", "Alice Smith", "Sales",
                 "2026-12-07 09:30", "2026-12-07 18:00", "No. K7QF-2M9X"]:
        assert part in lines
    assert label.graphics  # the visitor type and the labels carry Chinese glosses
    printer.print_badge(content())
    label = printed_label(zebra)
    assert "张三" not in label.text and len(label.graphics) >= 5
    for text in label.texts:  # font 0 is only ever asked for Latin-1
        assert all(ord(c) < 0x100 for line in text.lines for c in line)
    assert "2026-12-07 18:00" in label.text and "No. K7QF-2M9X" in label.text


def test_chinese_name_is_drawn_where_the_name_goes(zebra):
    """The graphic holds ink of the name's size near the top, not an empty box."""
    open_printer(f"{zebra.url}?dpi=203&label=4x6").print_badge(content(name="欧阳娜娜"))
    label = printed_label(zebra)
    header_bottom = min(y for x, y, image in label.graphics if y > 50)
    name = [image for x, y, image in label.graphics if y == header_bottom][0]
    assert name.getbbox() is not None and name.height >= round(5.7 * 203 / 25.4)


# -- visitor text never becomes a command -------------------------------------------------------

HOSTILE = ["Bob^XZ^XA^PQ99^FS", "~JA~HS~JR", "^FS^FO0,0^GB812,609,609^FS", "A_5E_7E_", "line\\&break",
           "ctl\x00\x1b\x10\x04\x7f", "é~^ü", "名字^XZ~JA", "^FDQA,http://evil^FS", "_"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_print_as_typed_and_nothing_else(zebra, name):
    badge = content(name=name, company=name, host_name=name, host_department=name, organisation=name, lang="en")
    open_printer(f"{zebra.url}?dpi=203&label=4x6").print_badge(badge)
    stream = zebra.printed[-1]
    assert stream.count("^XA") == 1 and stream.count("^XZ") == 1 and "~" not in stream
    assert not re.search(r"[\x00-\x1f\x7f]", stream.rstrip("\n"))
    label = printed_label(zebra)
    assert set(label.commands) <= ALLOWED
    assert decode(label.picture()) == badge.qr_text
    if zpl_format.native_ok(name) and len(name) < 30:
        assert name in [line for t in label.texts for line in t.lines]


TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80) | st.sampled_from(
    ["W" * 80, "Wolfeschlegelsteinhausenbergerdorff " * 3, "欧阳" * 30, "a-" * 40, " ".join(["Mm"] * 40)])


@settings(max_examples=25, deadline=None)
@given(name=TEXTS, company=TEXTS, host=TEXTS, department=TEXTS, organisation=TEXTS,
       size=st.sampled_from(LABELS), lang=st.sampled_from(["zh_CN", "zh_TW", "en"]))
def test_any_text_makes_a_label_that_stays_on_it_and_scans(name, company, host, department, organisation,
                                                            size, lang):
    badge = content(name=name, company=company, host_name=host, host_department=department,
                    organisation=organisation, lang=lang)
    inches, dpi = size
    width, length = (round(float(v) * dpi) for v in inches.split("x"))
    [label] = render(badge_zpl(badge, Label(width, length, dpi)))
    assert label.errors == [] and set(label.commands) <= ALLOWED
    assert decode(label.picture()) == badge.qr_text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_field_data_hides_every_character_and_gives_it_back(text):
    field = zpl_format.field_data(text)
    assert re.fullmatch(r"\^FH_\^FD[A-Za-z0-9 .,:;\-+/()'&@#*!?=%_]*\^FS", field)
    [(fh, ind), (fd, data), (fs, _)] = zpl_tokens(field)
    raw = re.sub(rb"_([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), data.encode())
    assert raw.decode("utf-8") == text


# -- the parts: graphics, QR data, status replies ------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.integers(1, 12), st.randoms(use_true_random=False), st.sampled_from(["noise", "runs"]))
def test_graphics_come_back_pixel_for_pixel(width, height, rng, kind):
    if kind == "noise":
        data = rng.randbytes((width + 7) // 8 * height)
    else:  # long runs, repeated rows and full rows: every compression rule is used
        rows = [bytes([rng.choice([0, 255])]) * ((width + 7) // 8) for _ in range(height)]
        data = b"".join(rows[i // 3 * 3] for i in range(height))
    image = Image.frombytes("1", (width, height), data)
    command = zpl_format.graphic(0, 0, image)
    _, total, _, row_bytes, payload = command.split("^GF")[1].removesuffix("^FS").split(",", 4)
    back = Image.frombytes("1", (int(row_bytes) * 8, height), b"".join(decompress(payload, int(row_bytes))))
    # ZPL's 1 is black; Pillow's 1 is white.
    expected = Image.eval(image.convert("L"), lambda v: 255 - v).convert("1")
    assert back.crop((0, 0, width, height)).tobytes() == expected.tobytes()
    assert back.crop((width, 0, back.width, height)).getbbox() is None  # padding stays white


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=20))
def test_qr_field_data_round_trips_tokens(site):
    text = token(site)
    field = zpl_format.qr_field(10, 20, text, magnification=6, level="Q")
    assert field == f"^FO10,20^BQN,2,6,Q^FDQM,A{text}^FS"
    [label] = render(f"^XA^PW812^LL1218{field}^XZ")
    assert label.errors == [] and label.qrs[0].data == text


def test_qr_text_that_could_end_its_field_is_refused():
    with pytest.raises(PrinterError):
        zpl_format.qr_field(0, 0, "a^XZ", magnification=6, level="Q")
    with pytest.raises(PrinterError):
        zpl_format.qr_field(0, 0, "a~JA", magnification=6, level="Q")
    lower = zpl_format.qr_field(0, 0, "a b:c", magnification=6, level="M")  # not QR-alphanumeric: bytes
    assert lower.endswith("^FDMM,B0005a b:c^FS")
    [label] = render(f"^XA^PW812^LL609{lower}^XZ")
    assert label.errors == [] and label.qrs[0].data == "a b:c" and label.qrs[0].mode == "B"
    assert decode(label.picture()) == "a b:c"


def test_magnification_keeps_modules_at_least_three_quarters_of_a_millimetre():
    assert [zpl_format.qr_magnification(dpi) for dpi in (152, 203, 300, 600)] == [5, 6, 9, 10]


# Written from the ZPL II manual's ~HS layout, not from the virtual printer.
READY_REPLY = b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"


def test_host_status_is_read_field_by_field():
    assert HostStatus.parse(READY_REPLY) == HostStatus()
    assert HostStatus.parse(READY_REPLY).status is Status.READY
    paper_paused = READY_REPLY.replace(b"030,0,0,1218,000", b"030,1,1,1218,002")
    status = HostStatus.parse(paper_paused)
    assert status.paper_out and status.paused and status.formats_queued == 2 and status.busy
    assert status.describe() == ("out of labels (paper out); the printer is paused (press PAUSE on the "
                                 "printer to resume)")
    head_ribbon = READY_REPLY.replace(b"001,0,0,0,0", b"001,0,1,1,1")
    assert HostStatus.parse(head_ribbon).problems == ["the print head is open", "out of ribbon"]
    hot_full = READY_REPLY.replace(b"000,0,0,0,000,0,0,0", b"000,1,0,0,000,0,0,1")
    assert HostStatus.parse(hot_full).problems == ["the print head is too hot", "the printer's receive buffer is full"]
    for garbage in [b"", b"\x02030,0\x03", READY_REPLY[:40], READY_REPLY.replace(b"1218", b"12x8")]:
        assert HostStatus.parse(garbage) is None


# -- status before and after the job ----------------------------------------------------------

@pytest.mark.parametrize("flag,words,status", [
    ("paper_out", "out of labels", Status.PAPER_OUT),
    ("head_open", "print head is open", Status.COVER_OPEN),
    ("paused", "paused", Status.OFFLINE),
    ("over_temperature", "too hot", Status.OFFLINE),
    ("buffer_full", "receive buffer is full", Status.OFFLINE),
])
def test_a_printer_that_cannot_print_gets_nothing(zebra, flag, words, status):
    setattr(zebra.flags, flag, True)
    printer = open_printer(zebra.url)
    assert printer.status() is status
    with pytest.raises(PrinterNotReady, match=f"not printed: .*{words}") as raised:
        printer.print_badge(content())
    assert raised.value.status is status
    assert b"^XA" not in zebra.received  # nothing was sent: "not printed" is true


def test_ribbon_out_counts_only_with_a_ribbon(zebra):
    zebra.flags.ribbon_out = True  # direct thermal labels: the ribbon sensor means nothing
    open_printer(zebra.url).print_badge(content())
    assert len(zebra.printed) == 1
    zebra.flags.thermal_transfer = True
    with pytest.raises(PrinterNotReady, match="out of ribbon"):
        open_printer(zebra.url).print_badge(content())


def test_labels_running_out_mid_job_cancel_the_badge_and_say_not_printed(zebra):
    zebra.after_job = "paper-out"
    with pytest.raises(PrintInterrupted, match="not printed: out of labels .*cancelled"):
        open_printer(zebra.url).print_badge(content())
    assert zebra.printed == [] and zebra.queued == [] and len(zebra.cancelled) == 1


def test_a_slow_printer_is_waited_for(zebra):
    zebra.after_job = "slow"
    open_printer(zebra.url).print_badge(content())
    assert len(zebra.printed) == 1 and zebra.status_questions >= 4


def test_a_badge_still_queued_at_the_deadline_is_not_called_unprinted(zebra):
    zebra.after_job = "stall"
    with pytest.raises(PrintUnconfirmed, match="not confirmed: .*still queued.*may yet print"):
        open_printer(f"{zebra.url}?timeout=1.5").print_badge(content())
    assert len(zebra.queued) == 1 and zebra.cancelled == []  # left to print: we said so


def test_a_printer_that_goes_quiet_after_the_job_is_not_called_unprinted(zebra):
    zebra.after_job = "mute"
    with pytest.raises(PrintUnconfirmed, match="not confirmed: .*stopped answering"):
        open_printer(zebra.url).print_badge(content())
    assert len(zebra.printed) == 1


def test_no_printer_at_all(zebra):
    port = zebra.port
    zebra.__exit__(None, None, None)
    printer = open_printer(f"zpl://127.0.0.1:{port}")
    assert printer.status() is Status.NO_ANSWER
    with pytest.raises(PrintInterrupted, match="not printed: the printer refused the connection"):
        printer.print_badge(content())


def test_job_deadline_follows_the_bytes_and_the_label():
    small = open_printer("zpl://printer.invalid?label=4x3")
    tall = open_printer("zpl://printer.invalid?label=4x6")
    assert small.job_seconds(10_000) < small.job_seconds(200_000)
    assert small.job_seconds(10_000) < tall.job_seconds(10_000)
    assert open_printer("zpl://printer.invalid?timeout=3").job_seconds(10**6) == 3


# -- the URL ------------------------------------------------------------------------------

def test_urls_name_the_label_in_inches_or_millimetres():
    p = open_printer("zpl://192.0.2.30:9101?dpi=300&label=4x6")
    assert isinstance(p, ZplPrinter) and (p.host, p.port) == ("192.0.2.30", 9101)
    assert (p.label, p.width) == (Label(1200, 1800, 300), 1200)
    p = open_printer("zpl://192.0.2.30?width_mm=100&length_mm=75")
    assert p.port == 9100 and p.label == Label(799, 599, 203)
    for bad, words in [("zpl://?label=4x3", "needs a host"), ("zpl://h?dpi=250", "dpi must be one of"),
                       ("zpl://h?label=4", "could not convert"), ("zpl://h?width_mm=100", "length_mm is missing"),
                       ("zpl://h?label=20x3", "25-220 mm wide")]:
        with pytest.raises(PrinterError, match=words):
            open_printer(bad)


def test_a_label_too_small_for_the_qr_is_refused_not_misprinted():
    with pytest.raises(PrinterError, match="does not fit"):
        badge_zpl(content(), Label(400, 300, 203))


# -- the kiosk's own commands ------------------------------------------------------------------

def test_check_in_prints_a_zebra_badge_and_the_test_page_prints_too(zebra, tmp_path):
    kiosk = KioskCommand(tmp_path / "data", KIOSK_PRINTER=f"{zebra.url}?dpi=203&label=4x6", KIOSK_LANGUAGE="en")
    result = kiosk.json("checkin", "--name", "José Núñez", "--company", "Acme", "--host", "Li Si")
    assert result["printed"] is True
    label = printed_label(zebra)
    assert decode(label.picture()) == result["badge"]
    assert "José Núñez" in label.text
    status = kiosk.json("printer", "status", check=0)
    assert "ready" in str(status)
    kiosk("printer", "test", check=0)
    [page] = render(zebra.printed[-1])
    assert page.errors == [] and len(page.graphics) == 1 and page.picture().getbbox() is not None


def test_check_in_says_not_printed_only_when_it_was_not(zebra, tmp_path):
    zebra.after_job = "paper-out"
    kiosk = KioskCommand(tmp_path / "data", KIOSK_PRINTER=zebra.url)
    result = kiosk.json("checkin", "--name", "张三", "--host", "李四", check=4)
    assert result["printed"] is False and "not printed: out of labels" in result["print_error"]
    assert zebra.printed == [] and len(zebra.cancelled) == 1


def test_printer_status_says_what_the_zebra_said(zebra, tmp_path):
    zebra.flags.paused = True
    zebra.flags.under_temperature = True
    kiosk = KioskCommand(tmp_path / "data", KIOSK_PRINTER=zebra.url)
    status = kiosk.json("printer", "status", check=1)
    assert status["status"] == "offline"
    assert status["message"] == ("the printer is paused (press PAUSE on the printer to resume); "
                                 "the print head is cold (labels print faint)")
