"""The visitor badge layout: the QR scans, text stays on the paper, labels follow the language.

What was drawn is observed by recording ImageDraw.text calls (text, font, ink box), so tests
can check words and bounds without OCR; the QR is checked by actually decoding the image.
"""

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageDraw

from printer.badge import BADGE_WIDTHS, BadgeContent, fit_text, render_badge, type_labels
from printer import fonts
from printer.errors import BadgeLayoutError, FontMissing, PrinterError
from printer.fonts import font, unsupported_chars

BEIJING = timezone(timedelta(hours=8))
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LONG_QR = "VK1:" + (BASE32 * 6)[:186]  # 190 characters, more than a signed token takes
TOKEN = "VB1" + (BASE32 * 5)[:152]  # 155 characters: what kiosk/core/tokens.py signs


def content(**changes) -> BadgeContent:
    base = BadgeContent(
        name="张三",
        company="华为技术有限公司",
        host_name="李四",
        host_department="研发部",
        issued_at=datetime(2024, 5, 1, 9, 30, tzinfo=BEIJING),
        valid_until=datetime(2024, 5, 1, 18, 0, tzinfo=BEIJING),
        badge_number="K7QF-2M9X",
        qr_text="VK1:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPI",
        organisation="示例科技有限公司",
    )
    return replace(base, **changes)


@pytest.fixture
def drawn(monkeypatch):
    """Every text drawn while rendering: (text, font family, ink bounding box)."""
    calls = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, fill=None, font=None, anchor=None, *args, **kwargs):
        box = self.textbbox(xy, text, font=font, anchor=anchor)
        calls.append((text, font.getname()[0], box))
        return original(self, xy, text, fill, font, anchor, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    return calls


def texts(calls) -> list[str]:
    return [text for text, _family, _box in calls]


def decode(image) -> list:
    return zxingcpp.read_barcodes(image)


def finder_dots_per_module(image, barcode) -> float:
    """The top-left finder pattern's outer ring is 7 modules of solid black."""
    x, y = barcode.position.top_left.x, barcode.position.top_left.y
    run = 0
    while image.getpixel((x + run, y + 1)) == 0:
        run += 1
    return run / 7


@pytest.mark.parametrize("width", BADGE_WIDTHS)
@pytest.mark.parametrize("qr_text", ["VK1:MFRGGZDFMZTWQ2LK", TOKEN, LONG_QR])
def test_qr_decodes_to_exact_text_with_big_whole_modules(width, qr_text):
    image = render_badge(content(qr_text=qr_text), width)

    assert image.mode == "1"
    assert image.width == width
    [barcode] = decode(image)
    assert barcode.text == qr_text
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    # Level Q at 6 dots a module even on 58 mm for a real token (155 characters); a longer
    # text drops to M there rather than to smaller modules.
    assert barcode.ec_level == ("M" if width == 384 and len(qr_text) > len(TOKEN) else "Q")
    dots = finder_dots_per_module(image, barcode)
    assert dots == int(dots) and 6 <= dots <= 8
    symbol = barcode.position.top_right.x - barcode.position.top_left.x
    assert symbol % dots == 0 and (symbol // dots - 17) % 4 == 0  # 17 + 4 * version modules


@pytest.mark.parametrize("width", BADGE_WIDTHS)
def test_qr_uses_most_of_the_width_and_has_a_four_module_quiet_zone(width):
    image = render_badge(content(qr_text=LONG_QR), width)
    [barcode] = decode(image)
    dots = int(finder_dots_per_module(image, barcode))
    left, top = barcode.position.top_left.x, barcode.position.top_left.y
    right, bottom = barcode.position.bottom_right.x, barcode.position.bottom_right.y
    quiet = 4 * dots

    total = right - left + 2 * quiet
    # Within 80 % of the paper, unless that would take it under 6 dots a module (58 mm paper):
    # then the quiet zone runs into the margins, at exactly 6 dots.
    assert total <= 0.8 * width or dots == 6
    assert total // dots * (dots + 1) > 0.8 * width or dots == 8, "the QR could be larger"
    ring = image.crop((left - quiet, top - quiet, right + quiet, bottom + quiet))
    ring.paste(255, (quiet, quiet, quiet + right - left, quiet + bottom - top))
    assert ring.getextrema() == (255, 255), "something is drawn in the QR's quiet zone"
    assert left - quiet >= 0 and right + quiet <= width


def test_qr_text_too_long_for_the_paper_is_an_error_not_an_unreadable_badge():
    with pytest.raises(BadgeLayoutError) as raised:
        render_badge(content(qr_text=BASE32 * 60), 384)
    assert isinstance(raised.value, PrinterError)


@pytest.mark.parametrize("width", [384, 576])
def test_huge_name_and_company_stay_on_the_paper_and_are_ellipsized(width, drawn):
    normal = render_badge(content(), width)
    drawn.clear()
    image = render_badge(content(name="张" * 5000 + "Zhang" * 1000, company="Contoso " * 37 + "Ltd"), width)

    assert image.width == width and image.mode == "1"
    [barcode] = decode(image)
    assert barcode.text == content().qr_text
    # Two lines for the name, two for the company: bounded, not one line per 20 characters.
    assert image.height < normal.height + 260 * width / 576
    name_lines = [t for t in texts(drawn) if t.startswith("张")]
    company_lines = [t for t in texts(drawn) if t.startswith("Contoso")]
    assert len(name_lines) == 2 and name_lines[-1].endswith("…")
    assert len(company_lines) == 2 and company_lines[-1].endswith("…")


@pytest.mark.parametrize("width", BADGE_WIDTHS)
@pytest.mark.parametrize("name", [
    "Alexandra Montgomery-Fitzgerald",
    "Supercalifragilisticexpialidociousness-Worthington",
    "张三 Zhang San",
    "欧阳" * 20,
    "W" * 300,
])
def test_no_text_is_drawn_past_the_margins(width, name, drawn):
    render_badge(content(name=name, company=name, host_name=name, host_department=name,
                         organisation=name, badge_number="K7QF-2M9X" * 3), width)
    for text, _family, (left, _top, right, _bottom) in drawn:
        assert left >= 6 and right <= width - 6, f"{text!r} spans {left}..{right} on {width} dots"


@pytest.mark.parametrize("width", BADGE_WIDTHS)
def test_a_long_latin_name_wraps_large_rather_than_shrinking_to_a_sliver(width, drawn):
    render_badge(content(name="Alexandra Montgomery-Fitzgerald"), width)
    name_lines = [(text, box) for text, _f, box in drawn if any(w in text for w in ("Alex", "Mont", "Fitz"))]
    assert " ".join(text for text, _box in name_lines).replace("- ", "-") == "Alexandra Montgomery-Fitzgerald"
    assert len(name_lines) <= 3
    fitz = [box for text, box in name_lines if text.endswith("Fitzgerald")][0]
    cap_height = fitz[3] - fitz[1]  # "Fitzgerald" has no descender: its ink is its capitals' height
    assert cap_height >= max(0.045 * width, 32)  # 4 mm at 203 dpi, read from a metre away
    # The expiry time is as tall as a guard needs too.
    [expiry] = [box for text, _f, box in drawn if text == "18:00"]
    assert expiry[3] - expiry[1] >= 32


@pytest.mark.parametrize("name, lines", [
    ("Alexandra Montgomery-Fitzgerald Wolfe", 3),  # whole on three lines
    ("Alexandra Montgomery-Fitzgerald Wolfeschlegelsteinhausen", 2),  # endless: two, ellipsized
])
def test_a_very_long_latin_name_wraps_never_under_four_mm_capitals(drawn, name, lines):
    render_badge(content(name=name, lang="en"), 384)
    name_lines = [(text, box) for text, _f, box in drawn if text.startswith(("Alex", "Mont", "Fitz", "Wolf"))]
    assert len(name_lines) == lines
    assert name_lines[-1][0].endswith("…") is (lines == 2)
    caps = [box for text, box in name_lines if text.startswith("Alex")][0]
    assert caps[3] - caps[1] >= 32


def test_mixed_chinese_and_latin_name_renders_without_tofu(drawn):
    render_badge(content(name="张三 Zhang San"), 576)
    assert "张三 Zhang San" in texts(drawn)
    for text, family, _box in drawn:
        assert family == "Noto Sans CJK SC"
        assert unsupported_chars(text) == [], text


def test_names_are_normalised_before_drawing(drawn):
    render_badge(content(name="  Jose\u0301\n  Zhang  "), 576)
    assert "José Zhang" in texts(drawn)


@pytest.mark.parametrize("text, missing", [
    ("😀", ["😀"]),
    ("Visitor \U0001F600 \U0001F600 ok", ["\U0001F600"]),
    ("张三 José Zhang 華", []),
    ("José\u00a0Zhang\u3000李四\t", []),
    ("Jose\u0301", []),
    ("a😀b🎉a😀", ["😀", "🎉"]),
])
def test_unsupported_chars(text, missing):
    assert unsupported_chars(text) == missing


def test_unsupported_chars_agrees_with_what_the_font_draws():
    """Cross-check the cmap reading against FreeType: a missing glyph draws as .notdef."""
    def pixels(char):
        image = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(image).text((4, 4), char, font=font(24), fill=255)
        return image.tobytes()

    notdef = pixels("\U000F0000")  # a private-use plane the font does not cover
    for char in "张華한ㄅあé€→😀🎉\U000F0001":
        assert (unsupported_chars(char) == [char]) == (pixels(char) == notdef), char


def test_traditional_chinese_badge_uses_tc_labels_and_face(drawn):
    render_badge(content(lang="zh_TW", name="陳大文", company="台灣積體電路製造"), 576)
    words = texts(drawn)
    for label in ("访客 VISITOR", "受訪人", "被访人 Host", "來訪時間", "有效至", "Valid until"):
        assert label in words
    assert any("離開時請在出口掃碼簽退" in w for w in words)
    assert {family for _t, family, _b in drawn} == {"Noto Sans CJK TC"}


def test_english_badge_still_speaks_chinese_to_the_guard(drawn):
    render_badge(content(lang="en", name="Alexandra Smith", company="Contoso Ltd",
                         host_name="Li Si", host_department="R&D", organisation="Example Corp"), 576)
    words = texts(drawn)
    for label in ("访客 VISITOR", "Host", "被访人", "Visit", "Valid until", "有效至"):
        assert label in words
    assert any("Scan at exit when leaving" in w for w in words)
    assert any("离开时请在出口扫码签退" in w for w in words)


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
@pytest.mark.parametrize("key, title", [("guest", "访客 VISITOR"), ("contractor", "施工 CONTRACTOR"),
                                        ("interview", "面试 INTERVIEW"), ("delivery", "送货 DELIVERY")])
def test_the_title_is_the_visitor_type_in_chinese_and_english(drawn, lang, key, title):
    render_badge(content(lang=lang, visitor_type=type_labels(key)), 384)
    assert title in texts(drawn)


def test_a_sites_own_visitor_type_prints_its_policy_labels():
    assert type_labels("auditor", {"zh_CN": "审计", "zh_TW": "審計", "en": "Auditor"}) == ("审计", "Auditor")
    assert type_labels("guest", {"zh_CN": "访客", "en": "Guest"}) == ("访客", "Visitor")


def test_simplified_chinese_labels_are_bilingual(drawn):
    render_badge(content(), 576)
    words = texts(drawn)
    for label in ("访客 VISITOR", "被访人", "Host", "来访时间", "Visit", "有效至", "Valid until"):
        assert label in words
    assert any("离开时请在出口扫码签退" in w for w in words)
    assert any("Scan at exit when leaving" in w for w in words)


def test_empty_company_and_department_are_omitted(drawn):
    full = render_badge(content(), 576)
    drawn.clear()
    bare = render_badge(content(company="", host_department=" ", organisation=""), 576)

    assert "" not in texts(drawn) and " " not in texts(drawn)
    assert "华为技术有限公司" not in texts(drawn) and "研发部" not in texts(drawn)
    assert bare.height < full.height - 60
    [barcode] = decode(bare)
    assert barcode.text == content().qr_text


def test_times_are_shown_in_their_own_timezone(drawn):
    utc_issue = datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc)  # 09:30 in Beijing
    render_badge(content(issued_at=utc_issue.astimezone(BEIJING),
                         valid_until=datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)), 576)
    assert "2024-05-01 09:30" in texts(drawn)
    assert "10:00" in texts(drawn) and "2024-05-01" in texts(drawn)  # the expiry: time large, date under it


def test_naive_times_and_unknown_languages_are_refused():
    with pytest.raises(ValueError):
        content(issued_at=datetime(2024, 5, 1, 9, 30))
    with pytest.raises(ValueError):
        content(lang="fr")


def test_long_cjk_text_breaks_between_characters_and_keeps_punctuation_attached():
    text = "华为技术（深圳）有限公司，北京研究所（海淀）分部"
    for width in range(120, 400, 17):
        fitted = fit_text(text, width, max_size=30, min_size=30, max_lines=10)
        assert not fitted.truncated and len(fitted.lines) > 1
        assert "".join(fitted.lines) == text
        for line in fitted.lines:
            assert fitted.font.getlength(line) <= width
            assert line[0] not in "）)，。、" and line[-1] not in "（("


def test_latin_breaks_at_spaces_and_hard_breaks_an_overlong_word():
    fitted = fit_text("Alexandra Montgomery Fitzgerald", 300, max_size=40, min_size=40, max_lines=5)
    assert fitted.lines == ("Alexandra", "Montgomery", "Fitzgerald")
    word = fit_text("Pneumonoultramicroscopicsilicovolcanoconiosis", 200,
                    max_size=30, min_size=30, max_lines=5)
    assert len(word.lines) > 1 and "".join(word.lines) == "Pneumonoultramicroscopicsilicovolcanoconiosis"
    assert all(word.font.getlength(line) <= 200 for line in word.lines)


def test_names_shrink_before_they_wrap():
    one_line = fit_text("Alexandra Smith", 300, max_size=60, min_size=20, max_lines=2)
    assert one_line.lines == ("Alexandra Smith",) and 20 <= one_line.font.size < 60
    assert one_line.font.getlength("Alexandra Smith") <= 300
    assert one_line.font.size >= 300 / font(1000).getlength("Alexandra Smith") * 1000 - 2


_name_chars = st.sampled_from(list("张三李四欧阳華為 abcXYZ-éWi（）,。\n"))


@settings(max_examples=150, deadline=None)
@given(text=st.text(_name_chars, max_size=120), width=st.integers(60, 560),
       max_lines=st.integers(1, 3))
def test_fit_text_never_overflows(text, width, max_lines):
    fitted = fit_text(text, width, max_size=48, min_size=20, max_lines=max_lines, bold=True)
    assert len(fitted.lines) <= max_lines
    for line in fitted.lines:
        assert fitted.font.getlength(line) <= width
        assert line == line.strip() and line
    squeezed = "".join(text.split())
    if fitted.truncated:
        assert fitted.lines[-1].endswith("…")
    else:
        assert "".join("".join(fitted.lines).split()) == squeezed


SAMPLES = {  # all with a token-sized QR, as real badges carry
    "zh_huawei": content(qr_text=LONG_QR),
    "en_long_latin": content(name="Alexandra Montgomery-Fitzgerald", company="Contoso Ltd",
                             host_name="Wang Fang", host_department="Procurement", lang="en",
                             organisation="Example Holdings", qr_text=LONG_QR),
    "zh_mixed": content(name="张三 Zhang San", company="Contoso 中国有限公司", qr_text=LONG_QR),
    "zh_very_long": content(name="爱新觉罗" * 10, company="中国华能集团清洁能源技术研究院有限公司" * 2,
                            host_name="欧阳" * 12, host_department="战略规划与数字化转型管理委员会办公室" * 2,
                            qr_text=LONG_QR),
    "zh_TW": content(lang="zh_TW", name="陳大文", company="台灣積體電路製造股份有限公司",
                     host_name="林志明", host_department="資訊安全處", organisation="範例科技",
                     qr_text=LONG_QR),
    "zh_TW_contractor": content(lang="zh_TW", name="歐陽志明" * 3, company="台灣積體電路製造股份有限公司新竹科學園區分公司",
                                host_name="林志明", host_department="資訊安全處", organisation="範例科技",
                                visitor_type=type_labels("contractor"), qr_text=LONG_QR),
    "en_contractor": content(name="Alexandra Montgomery-Fitzgerald Wolfeschlegelsteinhausen", lang="en",
                             company="International Business Machines Corporation (China) Ltd.",
                             host_name="Ouyang Zhiming", host_department="Facilities and Workplace Safety",
                             visitor_type=type_labels("contractor"), organisation="Example Holdings",
                             qr_text=TOKEN, escort=True),
    "en_interview": content(name="Li Wei", company="", host_name="Wang Fang", host_department="HR", lang="en",
                            visitor_type=type_labels("interview"), qr_text=LONG_QR),
    "zh_delivery": content(name="王小明", company="顺丰速运", visitor_type=type_labels("delivery"), qr_text=LONG_QR),
    "zh_interview_long": content(name="爱新觉罗·溥仪", company="北京市海淀区中关村科技园区管理委员会（人才服务中心）访客卡发放处",
                                 visitor_type=type_labels("interview"), qr_text=LONG_QR),
}


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_write_sample_badges(sample, width, tmp_path):
    """Sample PNGs for a human to look at (set KIOSK_ARTIFACTS to keep them)."""
    out = Path(os.environ.get("KIOSK_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    image = render_badge(SAMPLES[sample], width)
    path = out / f"badge_{sample}_{'58' if width == 384 else '80'}mm.png"
    image.save(path)
    [barcode] = decode(image)
    assert barcode.text == SAMPLES[sample].qr_text


@pytest.fixture
def fresh_font_lookup():
    """Font discovery is cached for the process; these tests change what it would find."""
    caches = (fonts._resolve, fonts._load, fonts._has_glyph)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_kiosk_font_picks_the_face_for_the_language(monkeypatch, fresh_font_lookup):
    bold_collection = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
    monkeypatch.setenv("KIOSK_FONT", bold_collection)
    assert font(20, lang="zh_TW").getname() == ("Noto Sans CJK TC", "Bold")
    assert font(20, lang="en").getname() == ("Noto Sans CJK SC", "Bold")


def test_a_missing_kiosk_font_says_how_to_fix_it(monkeypatch, tmp_path, fresh_font_lookup):
    monkeypatch.setenv("KIOSK_FONT", str(tmp_path / "nope.ttc"))
    with pytest.raises(FontMissing) as raised:
        font(20)
    assert isinstance(raised.value, PrinterError)
    assert "fonts-noto-cjk" in str(raised.value) and "nope.ttc" in str(raised.value)


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
def test_an_escorted_visitor_type_says_so_in_the_header_band(lang, drawn):
    plain = render_badge(content(lang=lang), 384)
    assert not any("ESCORT" in t for t in texts(drawn))
    drawn.clear()
    image = render_badge(content(lang=lang, escort=True, visitor_type=type_labels("contractor")), 384)
    [(text, _f, box)] = [c for c in drawn if "ESCORT" in c[0]]
    assert text == "需陪同 ESCORT REQUIRED"
    title = [c for c in drawn if c[0] == "施工 CONTRACTOR"][0][2]
    band = next(y for y in range(image.height) if image.getpixel((2, y)))  # the black band's end
    # Under the visitor type, inside the band: a white box of its own holds the words.
    assert band > title[3] + (box[3] - box[1]) + 10
    assert any(image.getpixel((image.width // 2, y)) for y in range(title[3] + 4, band))
    [barcode] = decode(image)
    assert barcode.text == content().qr_text and image.height > plain.height
