"""The badge's QR at the printer's own resolution: at least 0.75 mm a module (the issue's
minimum) on a 203 dpi receipt printer and on a 300 dpi Brother QL, direct or through CUPS,
measured on the image the printer would print and decoded by zxing-cpp, not by our encoder."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings, strategies as st
from PIL import Image

from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.badge import BadgeContent, render_badge
from printer.device import open_printer
from printer.raster import module_dots as module_dots_at, qr_matrix
from tests.cups_fixtures import cups  # noqa: F401 - the fixture
from tests.label_decoders import brother_ql_pages
from tests.test_brother_ql import decode_labels, loaded
from tests.virtual_ql import NetworkQL

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TOKEN = "VB1" + (BASE32 * 5)[:152]  # 155 characters: what kiosk/core/tokens.py signs
MM_PER_INCH = 25.4


def content(qr_text: str = TOKEN) -> BadgeContent:
    moment = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
    return BadgeContent(name="欧阳娜娜 Nana Ouyang", company="示例科技有限公司", host_name="李四",
                        host_department="研发部", issued_at=moment, valid_until=moment,
                        badge_number="K7QF-2M9X", qr_text=qr_text)


def module_dots(image: Image.Image) -> tuple[str, str, float]:
    """The one QR's text, level and dots a module, measured along the top-left finder
    pattern's outer ring (7 modules of solid black) in the image itself."""
    image = image.convert("L")
    [barcode] = zxingcpp.read_barcodes(image)
    x, y = barcode.position.top_left.x, barcode.position.top_left.y + 1
    run = 0
    while image.getpixel((x + run, y)) < 128:
        run += 1
    return barcode.text, barcode.ec_level, run / 7


@pytest.mark.parametrize("width, dpi, dots", [(384, 203, 6), (576, 203, 8), (696, 300, 9), (1240, 300, 12),
                                              (512, 180, 7)])
def test_a_qr_module_is_at_least_three_quarters_of_a_mm_at_any_dpi(width, dpi, dots):
    image = render_badge(content(), width, dpi=dpi)
    text, level, measured = module_dots(image)
    assert text == TOKEN and level == "Q"
    assert measured == dots == image.info["qr"].dots
    assert 0.75 <= measured * MM_PER_INCH / dpi <= 1.02  # and never more than a millimetre
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / f"badge-{width}-{dpi}dpi.png")


def test_without_a_dpi_a_badge_is_laid_out_for_203_dpi_as_before():
    assert render_badge(content(), 384).tobytes() == render_badge(content(), 384, dpi=203).tobytes()


def test_a_300_dpi_badge_on_a_58mm_wide_layout_keeps_its_modules_and_drops_to_level_m():
    # 384 dots at 300 dpi is 32.5 mm: a 155-character token at level Q and 9 dots does not fit,
    # at M it does; modules are not shrunk first.
    text, level, measured = module_dots(render_badge(content(), 480, dpi=300))
    assert (text, level) == (TOKEN, "M") and measured == 9


def kiosk_on(url: str, tmp_path: Path) -> Kiosk:
    return Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=url),
                      open_printer(url))


def test_brother_ql_direct_prints_the_qr_at_nine_dots_a_module_on_a_62mm_roll(tmp_path):
    with NetworkQL(loaded("62")) as ql:
        kiosk = kiosk_on(ql.url(model="QL-820NWB", label="62"), tmp_path)
        result = kiosk.check_in(name="欧阳娜娜 Nana Ouyang", host=Host("h1", "李四", "研发部"), company="示例")
        assert result.printed, result.print_error
        [label], _ = decode_labels(ql.received, tmp_path)  # brother_ql's own reader
    ARTIFACTS.mkdir(exist_ok=True)
    label.save(ARTIFACTS / "brother-ql-62-300dpi-qr.png")
    text, level, measured = module_dots(label)
    assert text == result.badge and level == "Q"
    assert measured == 9 and measured * MM_PER_INCH / 300 >= 0.75


def test_cups_brother_ql_tape_prints_the_qr_at_nine_dots_a_module(cups, tmp_path):  # noqa: F811
    out = cups.add_queue("QL_dpi", "ql")
    url = f"cups://QL_dpi?media=62mm&server={cups.server}"
    printer = open_printer(url)
    assert printer.dpi == 300
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=url), printer)
    result = kiosk.check_in(name="Zhang San", host=Host("h1", "李四", "研发部"), company="Contoso")
    assert result.printed, result.print_error
    [label] = brother_ql_pages(out.read_bytes())
    ARTIFACTS.mkdir(exist_ok=True)
    label.save(ARTIFACTS / "cups-ql-62mm-300dpi-qr.png")
    text, level, measured = module_dots(label)
    assert text == result.badge and level == "Q" and measured == 9


@settings(max_examples=25, deadline=None)
@given(width=st.integers(256, 1400), dpi=st.sampled_from([180, 203, 300, 600]))
def test_modules_shrink_under_three_quarters_of_a_mm_only_when_the_paper_is_too_narrow(width, dpi):
    image = render_badge(content(), width, dpi=dpi)
    placed = image.info["qr"]
    smallest_symbol = len(qr_matrix(TOKEN, "M")) * module_dots_at(0.75, dpi)  # quiet zone included
    if width >= smallest_symbol:
        assert placed.dots * MM_PER_INCH / dpi >= 0.75
    assert placed.dots * MM_PER_INCH / dpi <= 1.0 + MM_PER_INCH / dpi  # never much over a millimetre
    if placed.level == "M":  # Q only gives way when Q at 0.75 mm does not fit the paper
        assert width < len(qr_matrix(TOKEN, "Q")) * module_dots_at(0.75, dpi)
