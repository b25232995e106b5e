"""The printed lists: the evacuation roll call pages and the printer self-test page.

Pages must be exactly the paper width in 1 bit, split into the right number of pages, keep a
fixed height per person whatever was typed, and never draw a character the font lacks; the
self-test QR is checked by decoding it.  The last test writes sample PNGs for a human to look
at (set KIOSK_ARTIFACTS to keep them).
"""

import os
from datetime import datetime, timedelta, timezone
from itertools import cycle, islice
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from printer.fonts import unsupported_chars
from printer.lists import RollCallEntry, render_roll_call, render_test_page

BEIJING = timezone(timedelta(hours=8))
PRINTED = datetime(2024, 5, 1, 14, 5, tzinfo=BEIJING)

PEOPLE = [  # (name, company, host, department)
    ("张三", "华为技术有限公司", "李四", "研发部"),
    ("Alice Smith", "Contoso Ltd.", "王芳", "财务部"),
    ("張偉", "台灣積體電路製造股份有限公司", "林志明", "資訊安全處"),
    ("欧阳娜娜", "北京字节跳动科技有限公司", "张伟", "行政部"),
    ("Jean-Luc Picard", "Starfleet Engineering & Logistics International", "Alice Smith", "Sales"),
    ("陳大文", "香港電燈有限公司", "李四", "研发部"),
    ("王小明", "", "赵敏", "人力资源部"),
    ("María José García", "Telefónica España", "刘洋", "市场部"),
    ("李娜", "中国华能集团清洁能源技术研究院有限公司", "欧阳修", "战略规划与数字化转型管理委员会办公室"),
    ("Nguyễn Văn An", "Vingroup", "王芳", ""),
    ("黃淑芬", "鴻海精密工業", "陳建國", "採購部"),
    ("Tom O'Brien", "Acme Corp", "张伟", "行政部"),
]


def people(count: int, start: datetime = PRINTED - timedelta(hours=30)) -> list[RollCallEntry]:
    """``count`` realistic visitors, oldest first, some from yesterday, some still waiting."""
    rows = islice(cycle(PEOPLE), count)
    step = (PRINTED - start) / max(count, 1)
    return [RollCallEntry(name, company, host, department, since=start + i * step,
                          state="waiting" if i % 3 == 0 else "with_host")
            for i, (name, company, host, department) in enumerate(rows)]


def roll_call(entries, width=576, **options):
    return render_roll_call(entries, width=width, printed_at=PRINTED, site="北京总部 HQ",
                            organisation="示例科技有限公司", **options)


def test_page(width=576, **changes):
    options = dict(width=width, profile="TM-T20II", status="在线 online, paper OK",
                   printed_at=PRINTED, url="network://192.168.1.50:9100?profile=TM-T20II")
    return render_test_page(**{**options, **changes})


test_page.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("count, pages", [(0, 1), (1, 1), (40, 1), (41, 2), (300, 8)])
def test_pages_hold_rows_per_page_people(count, pages):
    assert len(roll_call(people(count), rows_per_page=40)) == pages


@pytest.mark.parametrize("width", [320, 384, 512, 576])
@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
def test_every_page_is_one_bit_and_exactly_the_paper_width(width, lang):
    pages = roll_call(people(45), width=width, lang=lang) + roll_call([], width=width, lang=lang)
    for page in pages:
        assert page.mode == "1"
        assert page.width == width


@pytest.mark.parametrize("width", [384, 576])
def test_a_person_costs_the_same_height_whatever_they_typed(width):
    plain = roll_call(people(2), width=width)[0]
    huge = [RollCallEntry("爱新觉罗" * 75, "Contoso " * 40, "欧阳" * 150, "办公室" * 100,
                          since=PRINTED, state="waiting"), people(2)[1]]
    assert len("爱新觉罗" * 75) == 300
    assert roll_call(huge, width=width)[0].height == plain.height


@pytest.mark.parametrize("width", [384, 576])
def test_page_height_grows_linearly_with_people(width):
    one, two, three = (roll_call(people(n), width=width)[0].height for n in (1, 2, 3))
    assert three - two == two - one > 0


@pytest.fixture
def drawn(monkeypatch):
    """Every text drawn while rendering, with its ink box."""
    calls = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, **kwargs):
        box = self.textbbox(xy, text, font=kwargs.get("font"), anchor=kwargs.get("anchor"))
        calls.append((text, box, self.im.size))
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    return calls


@pytest.mark.parametrize("width", [384, 576])
def test_mixed_scripts_draw_without_tofu_and_within_the_paper(drawn, width):
    roll_call(people(len(PEOPLE)), width=width)
    test_page(width=width)
    for text, (left, top, right, bottom), (canvas_width, canvas_height) in drawn:
        assert unsupported_chars(text) == [], text
        assert 0 <= left and right <= canvas_width and 0 <= top and bottom <= canvas_height, text


def test_names_and_numbers_reach_the_page(drawn):
    roll_call(people(41), rows_per_page=40)
    texts = [text for text, _box, _size in drawn]
    assert "张三" in texts and "Alice Smith" in texts and "張偉" in texts
    assert "41" in texts  # numbering runs on across pages
    assert "第 2 / 2 页 Page 2 / 2" in texts


def test_the_empty_roll_call_says_nobody_is_on_site(drawn):
    [page] = roll_call([])
    texts = [text for text, _box, _size in drawn]
    assert page.mode == "1" and page.height > 0
    assert "无在场访客" in texts and "No visitors on site" in texts
    assert any("2024-05-01 14:05" in text for text in texts)
    assert "在场人数 On site: 0" in texts


def test_the_date_is_shown_only_for_sign_ins_before_today(drawn):
    early = RollCallEntry("张三", "", "李四", "", since=datetime(2024, 4, 30, 17, 45, tzinfo=BEIJING))
    # 01:30 UTC is 09:30 in Beijing on the printout's day.
    today = RollCallEntry("李娜", "", "李四", "",
                          since=datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc))
    roll_call([early, today])
    texts = [text for text, _box, _size in drawn]
    assert "04-30 17:45" in texts and "09:30" in texts


def test_naive_times_and_unknown_states_are_refused():
    with pytest.raises(ValueError):
        RollCallEntry("张三", "", "李四", "", since=datetime(2024, 5, 1, 9, 0))
    with pytest.raises(ValueError):
        RollCallEntry("张三", "", "李四", "", since=PRINTED, state="gone")
    with pytest.raises(ValueError):
        render_roll_call([], width=576, printed_at=datetime(2024, 5, 1), site="hq")
    with pytest.raises(ValueError):
        roll_call([], width=256)


@pytest.mark.parametrize("width", [320, 384, 512, 576])
def test_the_self_test_qr_decodes_to_the_profile_and_width(width):
    image = test_page(width=width)
    assert image.mode == "1" and image.width == width
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.text == f"KIOSK-PRINTER-TEST TM-T20II {width}"
    top_left = barcode.position.top_left
    run = 0
    while image.getpixel((top_left.x + run, top_left.y + 1)) == 0:
        run += 1
    assert run / 7 >= 4  # the finder's 7-module edge: at least 4 dots per module


@pytest.mark.parametrize("width", [384, 576])
def test_the_ruler_marks_both_edge_dots(width):
    image = test_page(width=width)
    for y in range(0, 20):
        assert image.getpixel((0, y)) == 0
        assert image.getpixel((width - 1, y)) == 0
    assert all(image.getpixel((x, 0)) == 0 for x in range(width))  # every head element fires


def test_a_long_printer_url_is_cut_not_spilled(drawn):
    url = "network://" + "printer-in-the-lobby." * 20 + "example.com:9100"
    image = test_page(width=384, url=url)
    assert image.width == 384
    assert any(text.endswith("…") for text, _box, _size in drawn)


def test_write_sample_lists(tmp_path):
    """Sample PNGs for a human to look at."""
    out = Path(os.environ.get("KIOSK_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    written = {}

    def save(image, name):
        image.save(out / name)
        written[name] = image

    for width, paper in ((384, "58mm"), (576, "80mm")):
        pages = roll_call(people(50), width=width, rows_per_page=40)
        for number, page in enumerate(pages, start=1):
            save(page, f"roll_call_{paper}_page{number}.png")
        save(roll_call([], width=width)[0], f"roll_call_empty_{paper}.png")
        save(test_page(width=width), f"printer_test_{paper}.png")
    save(roll_call(people(5), width=576, lang="en")[0], "roll_call_en_80mm.png")
    save(roll_call(people(5), width=384, lang="zh_TW")[0], "roll_call_zh_TW_58mm.png")
    # What this run wrote, read back: files left in KIOSK_ARTIFACTS by earlier runs count for
    # nothing, and a stale file under one of these names would not match this run's pixels.
    assert len(written) == 10
    for name, image in written.items():
        with Image.open(out / name) as saved:
            assert saved.size == image.size and saved.tobytes() == image.tobytes(), name
