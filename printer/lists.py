"""Printed lists for the thermal printer: the evacuation roll call and the printer self-test.

The roll call (紧急疏散名单) is what the front desk prints when the alarm goes: every visitor
still signed in, with a tick box each, so marshals can check people off at the assembly
point.  It is read outside, in a hurry, possibly in the rain, so it favours large bold names,
a fixed two-line row per person (the page length is predictable and nothing can push a row
out of shape), and an unmistakable page when nobody is on site.

The self-test page (``kiosk printer test``) shows an installer that the paper width, the
print head and the CJK font are right: a dot ruler whose end marks show a cut-off edge, solid
and 50 % blocks that reveal a weak head, and a QR code to check the printer's resolution.

Both are drawn in greyscale with Pillow and thresholded to 1 bit with the primitives the badge
uses too (:mod:`printer.raster`), and reuse its public text fitting
(:func:`printer.badge.fit_text`), so no input can run off the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from PIL import Image, ImageDraw

from printer.badge import FittedText, fit_text
from printer.errors import BadgeLayoutError
from printer.fonts import font
from printer.raster import canvas, qr_code, rule, stack, to_1bit, when

MIN_WIDTH = 320
PRINTER_DPI = 203  # every common ESC/POS receipt printer; dots per mm = 8

_REFERENCE_WIDTH = 576  # sizes below are designed for 80 mm paper and scaled down
_MARGIN = 8
# Below ~16 dots (2 mm) a thermal head turns dense hanzi such as 灣 or 體 into blots, so
# text is cut with "…" rather than shrunk further.
_LEGIBLE = 16
_STATES = ("waiting", "with_host")
_TEST_QR_PREFIX = "KIOSK-PRINTER-TEST"
_QR_PROFILE_CHARS = 40  # profile names are short; a runaway one must not push the QR off 320 dots

_LABELS = {
    "zh_CN": {
        "title": ("紧急疏散名单", "EVACUATION ROLL CALL"),
        "printed": "打印时间 Printed",
        "on_site": "在场人数 On site",
        "page": "第 {i} / {n} 页 Page {i} / {n}",
        "columns": (("姓名 Name", "签到 Since"), ("单位 Company", "被访人 Host")),
        "waiting": "等候",
        "waiting_legend": "尚未与被访人会合 Waiting for host",
        "continued": "续下页 Continued on next page",
        "total": "共 {n} 人 Total {n}",
        "signatures": ("清点人 Checked by", "时间 Time"),
        "nobody": ("无在场访客", "No visitors on site"),
    },
    "zh_TW": {
        "title": ("緊急疏散名單", "EVACUATION ROLL CALL"),
        "printed": "列印時間 Printed",
        "on_site": "在場人數 On site",
        "page": "第 {i} / {n} 頁 Page {i} / {n}",
        "columns": (("姓名 Name", "簽到 Since"), ("單位 Company", "受訪人 Host")),
        "waiting": "等候",
        "waiting_legend": "尚未與受訪人會合 Waiting for host",
        "continued": "續下頁 Continued on next page",
        "total": "共 {n} 人 Total {n}",
        "signatures": ("清點人 Checked by", "時間 Time"),
        "nobody": ("無在場訪客", "No visitors on site"),
    },
    "en": {
        "title": ("EVACUATION ROLL CALL",),
        "printed": "Printed",
        "on_site": "On site",
        "page": "Page {i} / {n}",
        "columns": (("Name", "Since"), ("Company", "Host")),
        "waiting": "WAITING",
        "waiting_legend": "not yet met by their host",
        "continued": "Continued on next page",
        "total": "Total {n}",
        "signatures": ("Checked by", "Time"),
        "nobody": ("No visitors on site",),
    },
}

# The self-test page has no language setting: an installer of any language reads it.
_TEST_LABELS = {
    "title": ("打印机自检", "PRINTER SELF-TEST"),
    "rows": ("配置 Profile", "纸宽 Width", "打印机 Printer", "状态 Status", "打印时间 Printed"),
    "sample": "中文简体 繁體中文 English 0123456789",
    "blocks": ("100%", "50%"),
}


@dataclass(frozen=True)
class RollCallEntry:
    """One person on site.  ``since`` is the timezone-aware sign-in time; ``state`` says
    whether the visitor is still waiting for the host (likely in the lobby) or with them."""

    name: str
    company: str
    host_name: str
    host_department: str
    since: datetime
    state: str = "waiting"

    def __post_init__(self):
        if self.since.tzinfo is None:
            raise ValueError("RollCallEntry.since must be timezone-aware")
        if self.state not in _STATES:
            raise ValueError(f"roll call state {self.state!r} is not one of {_STATES}")


def render_roll_call(entries: Sequence[RollCallEntry], *, width: int, printed_at: datetime,
                     site: str, organisation: str = "", lang: str = "zh_CN",
                     rows_per_page: int = 40) -> list[Image.Image]:
    """The evacuation list as mode "1" pages exactly ``width`` dots wide, in the order given.

    Every page repeats the header (a page found on its own still says what it is, when and
    how many); the last page adds the total and the marshal's signature lines.  No entries
    give one page that says nobody is on site.
    """
    sheet = _Sheet(width, lang)
    _require_aware(printed_at, "printed_at")
    if rows_per_page < 1:
        raise ValueError(f"rows_per_page must be at least 1, not {rows_per_page}")
    entries = list(entries)
    chunks = [entries[i:i + rows_per_page] for i in range(0, len(entries), rows_per_page)] or [[]]
    head = _Heading(site=site, organisation=organisation, printed_at=printed_at,
                    total=len(entries), pages=len(chunks))
    rows = _RowLayout(sheet, len(entries))
    pages = []
    for page, chunk in enumerate(chunks, start=1):
        first = (page - 1) * rows_per_page + 1  # numbers run on across pages
        pages.append(to_1bit(_roll_call_page(sheet, head, rows, chunk, page, first)))
    return pages


def render_test_page(*, width: int, profile: str, status: str, printed_at: datetime,
                     url: str, dpi: int = PRINTER_DPI) -> Image.Image:
    """The printer self-test page as a mode "1" image exactly ``width`` dots wide."""
    sheet = _Sheet(width, "zh_CN")
    _require_aware(printed_at, "printed_at")
    millimetres = width * 25.4 / dpi
    values = (profile, f"{width} 点 dots = {millimetres:.1f} mm ({dpi}dpi)", url, status,
              when(printed_at))
    parts = [
        _ruler(sheet),
        sheet.px(10),
        _band(sheet, _TEST_LABELS["title"]),
        sheet.px(16),
        _label_values(sheet, zip(_TEST_LABELS["rows"], values)),
        sheet.px(16),
        _centred(sheet, _TEST_LABELS["sample"], size=28, floor=20, bold=True),
        sheet.px(8),
        _test_qr(sheet, f"{_TEST_QR_PREFIX} {profile[:_QR_PROFILE_CHARS]} {width}"),
        sheet.px(20, 14),
        _density_blocks(sheet),
        sheet.px(40, 24),  # room for the cutter
    ]
    return to_1bit(stack(parts, width))


# -- shared drawing -------------------------------------------------------------------------


class _Sheet:
    """The paper: its width, the language, and sizes designed for 576 dots scaled to it but
    never below a floor that still prints legibly at 203 dpi."""

    def __init__(self, width: int, lang: str):
        if width < MIN_WIDTH:
            raise ValueError(f"list width {width} is narrower than {MIN_WIDTH} dots")
        if lang not in _LABELS:
            raise ValueError(f"list language {lang!r} is not one of {sorted(_LABELS)}")
        self.width = width
        self.lang = lang
        self.labels = _LABELS[lang]
        self.inner = width - 2 * _MARGIN
        self.right = width - _MARGIN

    def px(self, base: int, floor: int = 0) -> int:
        return max(floor, round(base * self.width / _REFERENCE_WIDTH))

    def fit(self, text: str, width: int, size: int, floor: int, *, bold: bool = False,
            lines: int = 1, shrink: float = 0.75) -> FittedText:
        """``text`` at the scaled ``size``, shrinking to ``shrink`` of it before wrapping or
        cutting with an ellipsis."""
        biggest = self.px(size, floor)
        smallest = min(biggest, max(_LEGIBLE, round(biggest * shrink)))
        return fit_text(text, width, max_size=biggest, min_size=smallest,
                        max_lines=lines, bold=bold, lang=self.lang)

    def line_box(self, size: int, floor: int, *, bold: bool = False) -> tuple[int, int]:
        """Ascent and descent of one line of text at the scaled ``size``, as the badge sets it."""
        line = FittedText(font(self.px(size, floor), bold=bold, lang=self.lang), ("国",))
        return line.ascent, line.height - line.ascent


def _text_block(sheet: _Sheet, texts: list[FittedText], gap: int, *, center: bool = False,
                fill: int = 0, background: int = 255) -> Image.Image:
    texts = [t for t in texts if t.lines]
    image = canvas(sheet.width, sum(t.height for t in texts) + gap * max(0, len(texts) - 1),
                   fill=background)
    draw = ImageDraw.Draw(image)
    top = 0
    for text in texts:
        text.draw(draw, _MARGIN, top, sheet.inner, center=center, fill=fill)
        top += text.height + gap
    return image


def _band(sheet: _Sheet, title: tuple[str, ...]) -> Image.Image:
    """The black title band: the title large, its English gloss (if any) smaller below."""
    room = sheet.inner - 2 * sheet.px(12)  # keep the title off the band's edges
    texts = [sheet.fit(title[0], room, 46, 32, bold=True, lines=2)]
    texts += [sheet.fit(gloss, room, 26, 19, bold=True) for gloss in title[1:]]
    pad = sheet.px(14, 10)
    body = _text_block(sheet, texts, sheet.px(6, 4), center=True, fill=255, background=0)
    band = canvas(sheet.width, body.height + 2 * pad, fill=0)
    band.paste(body, (0, pad))
    return band


def _centred(sheet: _Sheet, text: str, *, size: int, floor: int, bold: bool = False) -> Image.Image:
    return _text_block(sheet, [sheet.fit(text, sheet.inner, size, floor, bold=bold, lines=2)], 0,
                       center=True)


# Rows line texts of different sizes up on a shared baseline, so these take the baseline, not
# the top; both draw the first (only) line of a one-line FittedText.
def _right_aligned(draw: ImageDraw.ImageDraw, text: FittedText, right: int, baseline: int) -> None:
    if text.lines:
        draw.text((right, baseline), text.lines[0], font=text.font, fill=0, anchor="rs")


def _left_aligned(draw: ImageDraw.ImageDraw, text: FittedText, x: int, baseline: int) -> None:
    if text.lines:
        draw.text((x, baseline), text.lines[0], font=text.font, fill=0, anchor="ls")


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")


# -- the roll call --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    """What every page of one roll call repeats."""

    site: str
    organisation: str
    printed_at: datetime
    total: int
    pages: int


def _roll_call_page(sheet: _Sheet, head: _Heading, rows: _RowLayout, chunk: list[RollCallEntry],
                    page: int, first: int) -> Image.Image:
    parts = [_band(sheet, sheet.labels["title"]), sheet.px(14), _page_facts(sheet, head, page),
             sheet.px(14)]
    if not head.total:
        parts += [rule(sheet.width, 3, _MARGIN), sheet.px(28), _nobody(sheet), sheet.px(28)]
    else:
        parts += [_column_legend(sheet, rows), sheet.px(6), rule(sheet.width, 3, _MARGIN),
                  rows.draw(chunk, first, head.printed_at)]
    if page < head.pages:
        parts += [rule(sheet.width, 3, _MARGIN), sheet.px(12),
                  _centred(sheet, sheet.labels["continued"], size=20, floor=16)]
    else:
        parts += [rule(sheet.width, 3, _MARGIN), sheet.px(16), _footer(sheet, head.total)]
    parts.append(sheet.px(48, 32))  # blank paper before the cut, so the cutter misses the text
    return stack(parts, sheet.width)


def _page_facts(sheet: _Sheet, head: _Heading, page: int) -> Image.Image:
    """Who, where, when, how many, which page: the facts a marshal reads out first."""
    labels = sheet.labels
    place = " · ".join(part for part in (head.organisation.strip(), head.site.strip()) if part)
    texts = [
        sheet.fit(place, sheet.inner, 28, 20, bold=True, lines=2),
        sheet.fit(f"{labels['printed']}: {when(head.printed_at)}", sheet.inner, 24, 18),
        sheet.fit(f"{labels['on_site']}: {head.total}", sheet.inner, 34, 26, bold=True),
        sheet.fit(labels["page"].format(i=page, n=head.pages), sheet.inner, 24, 18, bold=True),
    ]
    return _text_block(sheet, texts, sheet.px(8, 6))


def _column_legend(sheet: _Sheet, rows: _RowLayout) -> Image.Image:
    """Small column headings over the two-line rows, and what the waiting tag means."""
    (name, since), (company, host) = sheet.labels["columns"]
    ascent, descent = sheet.line_box(18, 16)
    step = ascent + descent + sheet.px(4, 3)
    tag_baseline = ascent + step + descent + sheet.px(8, 6) + rows.tag_above
    image = canvas(sheet.width, tag_baseline + rows.tag_below)
    draw = ImageDraw.Draw(image)
    half = rows.text_width // 2 - sheet.px(6)
    for baseline, (left, right) in ((ascent, (name, since)), (ascent + step, (company, host))):
        _left_aligned(draw, sheet.fit(left, half, 18, 16), rows.text_x, baseline)
        _right_aligned(draw, sheet.fit(right, half, 18, 16), sheet.right, baseline)
    legend_x = rows.draw_tag(draw, rows.text_x, tag_baseline) + sheet.px(8)
    legend = sheet.fit(sheet.labels["waiting_legend"], sheet.right - legend_x, 18, 16)
    _left_aligned(draw, legend, legend_x, tag_baseline)
    return image


class _RowLayout:
    """Where everything in a person's two-line row goes.  Every row is the same height, so a
    page's length depends only on how many people are on it, never on what they typed."""

    def __init__(self, sheet: _Sheet, total: int):
        self.sheet = s = sheet
        self.pad, gap = s.px(9, 6), s.px(6, 4)
        name_ascent, name_descent = s.line_box(34, 26, bold=True)
        second_ascent, second_descent = s.line_box(23, 18)
        self.baselines = (self.pad + name_ascent,
                          self.pad + name_ascent + name_descent + gap + second_ascent)
        self.height = self.baselines[1] + second_descent + self.pad
        # Numbers run on across pages, so the column is as wide as the largest one.
        self.number_font = font(s.px(22, 18), bold=True, lang=s.lang)
        self.number_right = _MARGIN + round(self.number_font.getlength(str(max(total, 9))))
        self.box = s.px(40, 30)
        self.box_x = self.number_right + s.px(10, 6)
        self.text_x = self.box_x + self.box + s.px(14, 10)
        self.text_width = s.right - self.text_x
        self.tag_font = font(s.px(20, 17), lang=s.lang)  # regular: bold hanzi fill in when inverted
        tag = FittedText(self.tag_font, (s.labels["waiting"],))
        pad = s.px(4, 3)
        self.tag_above, self.tag_below = tag.ascent + pad, tag.height - tag.ascent + pad
        self.tag_width = round(self.tag_font.getlength(tag.lines[0])) + 2 * s.px(6, 4)

    def draw(self, chunk: list[RollCallEntry], first: int, printed_at: datetime) -> Image.Image:
        image = canvas(self.sheet.width, self.height * len(chunk))
        draw = ImageDraw.Draw(image)
        for i, entry in enumerate(chunk):
            top = i * self.height
            self._person(draw, top, first + i, entry, printed_at)
            if i:  # a thin rule between people; the page's thick rules frame the first and last
                draw.line((_MARGIN, top, self.sheet.right - 1, top), fill=0, width=1)
        return image

    def _person(self, draw, top: int, number: int, entry: RollCallEntry,
                printed_at: datetime) -> None:
        s = self.sheet
        first, second = (top + b for b in self.baselines)
        draw.text((self.number_right, first), str(number), font=self.number_font, fill=0,
                  anchor="rs")
        box_top = top + (self.height - self.box) // 2
        draw.rectangle((self.box_x, box_top, self.box_x + self.box - 1, box_top + self.box - 1),
                       outline=0, width=s.px(3, 2))
        # Line 1: the name, and at the right the sign-in time (after a tag if still waiting).
        since = s.fit(_since(entry.since, printed_at), self.text_width // 2, 26, 20, bold=True)
        _right_aligned(draw, since, s.right, first)
        right_edge = s.right - round(since.font.getlength(since.lines[0]))
        if entry.state == "waiting":
            right_edge -= self.tag_width + s.px(10, 6)
            self.draw_tag(draw, right_edge, first)
        name_width = right_edge - s.px(12, 8) - self.text_x
        name = s.fit(entry.name, name_width, 34, 26, bold=True, shrink=0.7)
        _left_aligned(draw, name, self.text_x, first)
        # Line 2: company at the left, host and department at the right.
        host = " · ".join(p for p in (entry.host_name.strip(), entry.host_department.strip()) if p)
        company, host = self._share_line(entry.company, host)
        _left_aligned(draw, company, self.text_x, second)
        _right_aligned(draw, host, s.right, second)

    def _share_line(self, left: str, right: str) -> tuple[FittedText, FittedText]:
        """Company and host on one line in one size: both shrink together; if that is not
        enough, each gets at least half the line and what does not fit ends in "…"."""
        s = self.sheet
        room = self.text_width - s.px(16, 10)
        largest = s.px(23, 18)
        smallest = max(_LEGIBLE, round(largest * 0.8))
        def lengths(size: int) -> tuple[float, float]:
            face = font(size, lang=s.lang)
            return face.getlength(left), face.getlength(right)

        # Advances scale with the size, so one division lands within a dot or so of the fit.
        size = max(smallest, min(largest, int(largest * room / max(1.0, sum(lengths(largest))))))
        while size > smallest and sum(lengths(size)) > room:
            size -= 1
        left_length, right_length = lengths(size)
        right_room = math.ceil(min(right_length, max(room / 2, room - left_length)))
        fitted = [fit_text(text, width, max_size=size, min_size=size, max_lines=1, lang=s.lang)
                  for text, width in ((left, room - right_room), (right, right_room))]
        return fitted[0], fitted[1]

    def draw_tag(self, draw, x: int, baseline: int) -> int:
        """The inverse "waiting" tag with its text on ``baseline``; returns its right edge."""
        s = self.sheet
        right = x + self.tag_width
        draw.rounded_rectangle((x, baseline - self.tag_above, right, baseline + self.tag_below),
                               radius=s.px(5, 3), fill=0)
        draw.text(((x + right) / 2, baseline), s.labels["waiting"], font=self.tag_font, fill=255,
                  anchor="ms")
        return right


def _since(moment: datetime, printed_at: datetime) -> str:
    """The sign-in time in the printout's time zone, with the date when it is not today."""
    local = moment.astimezone(printed_at.tzinfo)
    if local.date() == printed_at.date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M" if local.year == printed_at.year else "%Y-%m-%d %H:%M")


def _nobody(sheet: _Sheet) -> Image.Image:
    """The empty roll call: a framed, unmissable statement that nobody is signed in."""
    message = sheet.labels["nobody"]
    room = sheet.inner - 2 * sheet.px(24)
    texts = [sheet.fit(message[0], room, 52, 36, bold=True, lines=2)]
    texts += [sheet.fit(gloss, room, 30, 22, bold=True) for gloss in message[1:]]
    body = _text_block(sheet, texts, sheet.px(10, 8), center=True)
    pad, border = sheet.px(24, 16), sheet.px(5, 4)
    framed = canvas(sheet.width, body.height + 2 * pad)
    framed.paste(body, (0, pad))
    ImageDraw.Draw(framed).rectangle((_MARGIN, 0, sheet.right - 1, framed.height - 1), outline=0,
                                     width=border)
    return framed


def _footer(sheet: _Sheet, total: int) -> Image.Image:
    """The total, then lines for the marshal to sign and time the check."""
    count = sheet.fit(sheet.labels["total"].format(n=total), sheet.inner, 34, 26, bold=True)
    _ascent, descent = sheet.line_box(24, 19)
    writing_room = sheet.px(56, 44)  # ~6 mm of space above each line to write in
    labels = [sheet.fit(label, sheet.inner // 2, 24, 19) for label in sheet.labels["signatures"]]
    height = count.height + len(labels) * (writing_room + descent) + sheet.px(8)
    image = canvas(sheet.width, height)
    draw = ImageDraw.Draw(image)
    count.draw(draw, _MARGIN, 0, sheet.inner)
    baseline = count.height
    for label in labels:
        baseline += writing_room
        _left_aligned(draw, label, _MARGIN, baseline)
        start = _MARGIN + round(label.font.getlength(label.lines[0])) + sheet.px(12, 8)
        draw.line((start, baseline + 2, sheet.right - 1, baseline + 2), fill=0, width=2)
    return image


# -- the self-test page ---------------------------------------------------------------------


def _ruler(sheet: _Sheet) -> Image.Image:
    """Ticks every 8 dots, longer every 40, numbered every 80, hanging from a full-width line
    (a dead heating element shows as a gap in it); both end dots are drawn full height, so a
    missing one means the paper or the profile width is wrong."""
    width = sheet.width
    label_font = font(sheet.px(16, 14), lang=sheet.lang)
    short, medium, long_ = sheet.px(10, 8), sheet.px(18, 14), sheet.px(26, 20)
    height = long_ + label_font.size + sheet.px(6, 4)
    image = canvas(width, height)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, 1), fill=0)
    for x in range(0, width, 8):
        draw.line((x, 0, x, long_ if x % 80 == 0 else medium if x % 40 == 0 else short), fill=0)
    for x in range(0, width, 80):
        label = str(x)
        half = label_font.getlength(label) / 2
        centre = min(max(x, half + 3), width - 4 - half)  # keep the number clear of the end marks
        draw.text((centre, long_ + 2), label, font=label_font, fill=0, anchor="mt")
    draw.line((0, 0, 0, height - 1), fill=0)
    draw.line((width - 1, 0, width - 1, height - 1), fill=0)
    return image


def _label_values(sheet: _Sheet, rows) -> Image.Image:
    """Label / value rows, the values in a column of their own, each at most two lines."""
    rows = list(rows)
    label_font = font(sheet.px(20, 16), lang=sheet.lang)
    label_width = round(max(label_font.getlength(label) for label, _ in rows))
    value_x = _MARGIN + label_width + sheet.px(16, 10)
    value_width = sheet.right - value_x
    fitted = [(FittedText(label_font, (label,)),
               sheet.fit(value, value_width, 22, 17, bold=True, lines=2)) for label, value in rows]
    gap = sheet.px(10, 6)
    # Label and value share their first baseline; each row is as tall as what reaches
    # furthest above and below it.
    extents = [(max(label.ascent, value.ascent),
                max(label.height - label.ascent, value.height - value.ascent))
               for label, value in fitted]
    image = canvas(sheet.width, sum(map(sum, extents)) + gap * (len(rows) - 1))
    draw = ImageDraw.Draw(image)
    top = 0
    for (label, value), (above, below) in zip(fitted, extents):
        _left_aligned(draw, label, _MARGIN, top + above)
        value.draw(draw, value_x, top + above - value.ascent, value_width)
        top += above + below + gap
    return image


def _test_qr(sheet: _Sheet, text: str) -> Image.Image:
    """The QR taking at most half the paper (more only if 4 dots per module need it), with
    its text printed below."""
    try:
        code = qr_code(text, sheet.width // 2)
    except BadgeLayoutError:  # _QR_PROFILE_CHARS keeps it within the paper at 4 dots
        code = qr_code(text, sheet.width)
    caption = sheet.fit(text, sheet.inner, 18, 15, lines=2)
    image = canvas(sheet.width, code.height + caption.height)
    image.paste(code, ((sheet.width - code.width) // 2, 0))
    caption.draw(ImageDraw.Draw(image), _MARGIN, code.height, sheet.inner, center=True)
    return image


def _density_blocks(sheet: _Sheet) -> Image.Image:
    """A solid square and a 1-dot checkerboard side by side: a weak or uneven head prints the
    first grey or streaked and loses the second's fine pattern."""
    side = sheet.px(120, 96)
    gap = sheet.px(40, 24)
    label_font = font(sheet.px(18, 15), bold=True, lang=sheet.lang)
    image = canvas(sheet.width, side + sheet.px(8) + label_font.size + sheet.px(16))
    draw = ImageDraw.Draw(image)
    left = (sheet.width - 2 * side - gap) // 2
    draw.rectangle((left, 0, left + side - 1, side - 1), fill=0)
    checker = Image.frombytes("L", (side, side), bytes(
        0 if (x + y) % 2 == 0 else 255 for y in range(side) for x in range(side)))
    image.paste(checker, (left + side + gap, 0))
    for i, label in enumerate(_TEST_LABELS["blocks"]):
        draw.text((left + i * (side + gap) + side / 2, side + sheet.px(8)), label, font=label_font,
                  fill=0, anchor="mt")
    return image
